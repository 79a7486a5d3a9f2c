// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {Vm} from "forge-std/Vm.sol";

/// @notice The Safe 1.4.1 functions the tests call (the sources pin solc 0.7, so they are not imported).
interface ISafe {
    function setup(
        address[] calldata owners,
        uint256 threshold,
        address to,
        bytes calldata data,
        address fallbackHandler,
        address paymentToken,
        uint256 payment,
        address payable paymentReceiver
    ) external;

    /// @dev `operation` is Safe's `Enum.Operation` (0 = Call, 1 = DelegateCall), a uint8 in the ABI.
    function execTransaction(
        address to,
        uint256 value,
        bytes calldata data,
        uint8 operation,
        uint256 safeTxGas,
        uint256 baseGas,
        uint256 gasPrice,
        address gasToken,
        address payable refundReceiver,
        bytes calldata signatures
    ) external payable returns (bool success);

    function getTransactionHash(
        address to,
        uint256 value,
        bytes calldata data,
        uint8 operation,
        uint256 safeTxGas,
        uint256 baseGas,
        uint256 gasPrice,
        address gasToken,
        address refundReceiver,
        uint256 nonce
    ) external view returns (bytes32);

    function nonce() external view returns (uint256);
    function getOwners() external view returns (address[] memory);
    function getThreshold() external view returns (uint256);
}

/// @notice Safe 1.4.1's SafeProxyFactory, reduced to the call the tests make.
interface ISafeProxyFactory {
    function createProxyWithNonce(address singleton, bytes memory initializer, uint256 saltNonce)
        external
        returns (address proxy);
}

/// @title SafeMultisig
/// @notice Models the guardian (security council) as a real Safe 1.4.1 multisig: deploys the audited
///         singleton and proxy factory from the npm artifacts, and executes calls through `execTransaction`
///         with real ECDSA signatures by the owners, submitted by a relayer that is not an owner.
/// @dev `vm.getCode`/`deployCode` read hardhat artifacts (`bytecode` as a hex string) as well as forge's,
///      so the bytecode is exactly the published one; foundry.toml grants read access to the artifacts.
///
///      Inner reverts: with safeTxGas = 0 and gasPrice = 0 a failing inner call makes `execTransaction`
///      revert with `Error("GS013")`; Safe drops the inner revert data. So `vm.expectRevert(Inner.selector)`
///      (also with `expectPartialRevert` or a reverter address) does NOT match around execTransaction: forge
///      compares against the outermost revert data, which is only "GS013". What forge 1.7.1 does record is
///      the first frame that reverted, so `vm.expectRevert(bytes("GS013"), target)` passes only if the target
///      itself reverted. `_expectSafeInnerRevert` uses that, then repeats the call directly with
///      `vm.prank(safe)` to assert the inner error itself.
///
///      A pending `vm.expectRevert` applies to the next external call, views included: sign first
///      (`_signSafeTx` reads the nonce and the hash), then expect, then `_submitSafeTx`.
abstract contract SafeMultisig is Test {
    string private constant ARTIFACTS = "node_modules/@safe-global/safe-contracts/build/artifacts/contracts/";

    /// @notice Anyone may submit a fully signed Safe transaction; the tests use this non-owner EOA.
    address internal safeRelayer = makeAddr("safe relayer");

    address private _safeSingleton;
    address private _safeFactory;
    uint256 private _safeCount;
    /// @dev Owner keys per Safe, ascending by owner address (the order Safe wants signatures in).
    mapping(address safe => uint256[] keys) private _ownerKeys;

    /// @notice A 3-of-5 Safe, the default council.
    function _deploySafe() internal returns (address safe) {
        return _deploySafe(5, 3);
    }

    /// @notice A fresh `threshold`-of-`owners` Safe proxy with newly created owner wallets.
    function _deploySafe(uint256 owners, uint256 threshold) internal returns (address safe) {
        if (_safeSingleton == address(0)) {
            _safeSingleton = deployCode(string.concat(ARTIFACTS, "Safe.sol/Safe.json"));
            _safeFactory = deployCode(string.concat(ARTIFACTS, "proxies/SafeProxyFactory.sol/SafeProxyFactory.json"));
        }
        uint256 id = ++_safeCount;
        uint256[] memory keys = new uint256[](owners);
        for (uint256 i; i < owners; ++i) {
            string memory label = string.concat("safe", vm.toString(id), " owner", vm.toString(i));
            keys[i] = vm.createWallet(label).privateKey;
        }
        _sortByAddress(keys);
        address[] memory addrs = new address[](owners);
        for (uint256 i; i < owners; ++i) {
            addrs[i] = vm.addr(keys[i]);
        }
        bytes memory init = abi.encodeCall(
            ISafe.setup, (addrs, threshold, address(0), "", address(0), address(0), 0, payable(address(0)))
        );
        safe = ISafeProxyFactory(_safeFactory).createProxyWithNonce(_safeSingleton, init, id);
        vm.label(safe, string.concat("safe", vm.toString(id)));
        _ownerKeys[safe] = keys;
    }

    /// @notice Keys of the first `count` owners of `safe` (ascending by address).
    function _safeSigners(address safe, uint256 count) internal view returns (uint256[] memory keys) {
        keys = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            keys[i] = _ownerKeys[safe][i];
        }
    }

    /// @notice The hash the owners sign for a call of `target` with `data` at the Safe's current nonce.
    function _safeTxHash(address safe, address target, bytes memory data) internal view returns (bytes32) {
        uint256 nonce = ISafe(safe).nonce();
        return ISafe(safe).getTransactionHash(target, 0, data, 0, 0, 0, 0, address(0), address(0), nonce);
    }

    /// @notice Signatures by `keys` over the Safe tx calling `target` with `data` at the current nonce.
    /// @dev Plain ECDSA (v 27/28) over the Safe tx hash, packed r‖s‖v ascending by signer address.
    function _signSafeTx(address safe, address target, bytes memory data, uint256[] memory keys)
        internal
        view
        returns (bytes memory signatures)
    {
        bytes32 txHash = _safeTxHash(safe, target, data);
        uint256[] memory sorted = new uint256[](keys.length);
        for (uint256 i; i < keys.length; ++i) {
            sorted[i] = keys[i];
        }
        _sortByAddress(sorted);
        for (uint256 i; i < sorted.length; ++i) {
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(sorted[i], txHash);
            signatures = abi.encodePacked(signatures, r, s, v);
        }
    }

    /// @notice The relayer submits the Safe tx with `signatures`; no other external call precedes it,
    ///         so a `vm.expectRevert` placed just before applies to `execTransaction`.
    function _submitSafeTx(address safe, address target, bytes memory data, bytes memory signatures)
        internal
        returns (bool)
    {
        vm.prank(safeRelayer);
        return ISafe(safe).execTransaction(target, 0, data, 0, 0, 0, 0, address(0), payable(address(0)), signatures);
    }

    /// @notice `target.call(data)` from `safe`, signed by exactly `threshold` owners.
    function _execAsSafe(address safe, address target, bytes memory data) internal returns (bool) {
        uint256[] memory keys = _safeSigners(safe, ISafe(safe).getThreshold());
        return _submitSafeTx(safe, target, data, _signSafeTx(safe, target, data, keys));
    }

    /// @notice Asserts that a fully signed Safe tx fails because `target` reverts with `innerRevertData`:
    ///         through the Safe it reverts "GS013" with `target` as the reverting frame, and the same call
    ///         made directly as the Safe reverts with `innerRevertData` (which Safe does not propagate).
    function _expectSafeInnerRevert(address safe, address target, bytes memory data, bytes memory innerRevertData)
        internal
    {
        bytes memory sigs = _signSafeTx(safe, target, data, _safeSigners(safe, ISafe(safe).getThreshold()));
        vm.expectRevert(bytes("GS013"), target);
        _submitSafeTx(safe, target, data, sigs);

        vm.prank(safe);
        vm.expectRevert(innerRevertData);
        // With expectRevert pending, `ok` reports whether the expectation held, not the call's success.
        (bool ok,) = target.call(data);
        assertTrue(ok, "inner revert data");
    }

    /// @dev Insertion sort of private keys by their addresses; owner lists are a handful long.
    function _sortByAddress(uint256[] memory keys) private pure {
        for (uint256 i = 1; i < keys.length; ++i) {
            uint256 key = keys[i];
            address a = vm.addr(key);
            uint256 j = i;
            while (j > 0 && vm.addr(keys[j - 1]) > a) {
                keys[j] = keys[j - 1];
                --j;
            }
            keys[j] = key;
        }
    }
}
