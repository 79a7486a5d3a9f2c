// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {LibEIP712} from "../../contracts/libraries/LibEIP712.sol";

/// @dev OpenZeppelin's EIP712 at some address: its domain must equal LibEIP712's for that address.
contract OzDomain is EIP712("Bulwark", "1") {
    function separator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }
}

/// @notice LibEIP712 (PROTOCOL §5.1) against OpenZeppelin's EIP712 and forge's eth_signTypedData_v4 hasher.
contract LibEIP712Test is Test {
    function test_LibEIP712_typeHashesAreTheSpecStrings() public pure {
        assertEq(
            LibEIP712.DOMAIN_TYPEHASH,
            keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
        );
        assertEq(
            LibEIP712.TRANSFER_TYPEHASH,
            keccak256("Transfer(uint32 from,uint32 to,uint32 token,uint128 amount,uint128 fee,uint32 nonce)")
        );
        assertEq(
            LibEIP712.WITHDRAW_TYPEHASH,
            keccak256("Withdraw(uint32 from,address recipient,uint128 amount,uint128 fee,uint32 nonce)")
        );
        assertEq(
            LibEIP712.TRANSFER_TYPEHASH,
            vm.eip712HashType("Transfer(uint32 from,uint32 to,uint32 token,uint128 amount,uint128 fee,uint32 nonce)")
        );
    }

    function testFuzz_domainSeparatorMatchesOpenZeppelin(uint64 chainId) public {
        vm.chainId(bound(chainId, 1, type(uint64).max));
        OzDomain oz = new OzDomain();
        assertEq(LibEIP712.domainSeparator(block.chainid, address(oz)), oz.separator());
    }

    function test_LibEIP712_separatorDependsOnChainAndRollup() public pure {
        bytes32 a = LibEIP712.domainSeparator(1, address(1));
        assertTrue(a != LibEIP712.domainSeparator(2, address(1)));
        assertTrue(a != LibEIP712.domainSeparator(1, address(2)));
    }

    function _transferJson(uint256 chainId, address rollup) internal pure returns (string memory) {
        return string.concat(
            '{"types":{"EIP712Domain":[{"name":"name","type":"string"},{"name":"version","type":"string"},',
            '{"name":"chainId","type":"uint256"},{"name":"verifyingContract","type":"address"}],',
            '"Transfer":[{"name":"from","type":"uint32"},{"name":"to","type":"uint32"},',
            '{"name":"token","type":"uint32"},{"name":"amount","type":"uint128"},',
            '{"name":"fee","type":"uint128"},{"name":"nonce","type":"uint32"}]},',
            '"primaryType":"Transfer","domain":{"name":"Bulwark","version":"1","chainId":',
            vm.toString(chainId),
            ',"verifyingContract":"',
            vm.toString(rollup),
            '"},"message":{"from":7,"to":9,"token":1,"amount":"1000000000000000000","fee":"1000","nonce":3}}'
        );
    }

    function _withdrawJson(uint256 chainId, address rollup) internal pure returns (string memory) {
        return string.concat(
            '{"types":{"EIP712Domain":[{"name":"name","type":"string"},{"name":"version","type":"string"},',
            '{"name":"chainId","type":"uint256"},{"name":"verifyingContract","type":"address"}],',
            '"Withdraw":[{"name":"from","type":"uint32"},{"name":"recipient","type":"address"},',
            '{"name":"amount","type":"uint128"},{"name":"fee","type":"uint128"},{"name":"nonce","type":"uint32"}]},',
            '"primaryType":"Withdraw","domain":{"name":"Bulwark","version":"1","chainId":',
            vm.toString(chainId),
            ',"verifyingContract":"',
            vm.toString(rollup),
            '"},"message":{"from":7,"recipient":"0x000000000000000000000000000000000000bEEF",',
            '"amount":"5","fee":"0","nonce":0}}'
        );
    }

    /// @dev The digest any wallet's eth_signTypedData_v4 signs (forge implements the same hashing).
    function test_LibEIP712_transferDigestMatchesSignTypedDataV4() public pure {
        address rollup = address(0x1234);
        bytes32 sep = LibEIP712.domainSeparator(31337, rollup);
        bytes32 want = LibEIP712.digest(sep, LibEIP712.transferHash(7, 9, 1, 1e18, 1000, 3));
        assertEq(vm.eip712HashTypedData(_transferJson(31337, rollup)), want);
    }

    function test_LibEIP712_withdrawDigestMatchesSignTypedDataV4() public pure {
        address rollup = address(0x1234);
        bytes32 sep = LibEIP712.domainSeparator(1, rollup);
        bytes32 want = LibEIP712.digest(sep, LibEIP712.withdrawHash(7, address(0xBEEF), 5, 0, 0));
        assertEq(vm.eip712HashTypedData(_withdrawJson(1, rollup)), want);
    }

    function testFuzz_digestIsEip191TypedData(bytes32 sep, bytes32 structHash) public pure {
        assertEq(LibEIP712.digest(sep, structHash), keccak256(bytes.concat(hex"1901", sep, structHash)));
    }
}
