// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {LibHash} from "../../contracts/libraries/LibHash.sol";
import {StatePreimage, WithdrawalLeaf, AccountLeaf} from "../../contracts/libraries/Types.sol";
import {LibHarness} from "../utils/LibHarness.sol";

/// @notice Every LibHash preimage has the exact byte layout of PROTOCOL §1–§8: built here byte by byte.
contract LibHashTest is Test {
    LibHarness internal h = new LibHarness();

    /// @dev Big-endian encoding of `v` in exactly `len` bytes.
    function _be(uint256 v, uint256 len) internal pure returns (bytes memory out) {
        out = new bytes(len);
        for (uint256 i; i < len; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast)
            out[len - 1 - i] = bytes1(uint8(v >> (8 * i)));
        }
    }

    function test_LibHash_emptyLeafIsHashOfZeroByte() public pure {
        assertEq(LibHash.emptyLeaf(), keccak256(hex"00"));
    }

    function testFuzz_accountLeafPreimageIs45Bytes(address owner, uint32 token, uint128 balance, uint32 nonce)
        public
        pure
    {
        bytes memory pre = bytes.concat(hex"01", bytes20(owner), _be(token, 4), _be(balance, 16), _be(nonce, 4));
        assertEq(pre.length, 45);
        assertEq(LibHash.accountLeaf(owner, token, balance, nonce), keccak256(pre));
        assertEq(LibHash.accountLeaf(AccountLeaf(owner, token, balance, nonce)), keccak256(pre));
    }

    function testFuzz_withdrawalLeafPreimageIs45Bytes(uint32 index, address to, uint32 token, uint128 amount)
        public
        pure
    {
        bytes memory pre = bytes.concat(hex"02", _be(index, 4), bytes20(to), _be(token, 4), _be(amount, 16));
        assertEq(pre.length, 45);
        assertEq(LibHash.withdrawalLeaf(index, to, token, amount), keccak256(pre));
        assertEq(LibHash.withdrawalLeaf(WithdrawalLeaf(index, to, token, amount)), keccak256(pre));
    }

    function testFuzz_stateRootPreimageIs89Bytes(bytes32 a, bytes32 w, uint64 next, uint64 consumed, uint64 count)
        public
        pure
    {
        bytes memory pre = bytes.concat(hex"04", a, w, _be(next, 8), _be(consumed, 8), _be(count, 8));
        assertEq(pre.length, 89);
        assertEq(LibHash.stateRoot(a, w, next, consumed, count), keccak256(pre));
        assertEq(LibHash.stateRoot(StatePreimage(a, w, next, consumed, count)), keccak256(pre));
    }

    function testFuzz_messagePreimageIs66Bytes(
        uint64 index,
        uint8 kind,
        address sender,
        uint64 target,
        uint32 token,
        uint128 amount,
        uint64 queuedAt
    ) public pure {
        bytes memory pre = bytes.concat(
            hex"05",
            _be(index, 8),
            _be(kind, 1),
            bytes20(sender),
            _be(target, 8),
            _be(token, 4),
            _be(amount, 16),
            _be(queuedAt, 8)
        );
        assertEq(pre.length, 66);
        assertEq(LibHash.message(index, kind, sender, target, token, amount, queuedAt), keccak256(pre));
    }

    function testFuzz_nodesAreTaggedPairs(bytes32 l, bytes32 r) public pure {
        assertEq(LibHash.stateNode(l, r), keccak256(bytes.concat(hex"03", l, r)));
        assertEq(LibHash.dataNode(l, r), keccak256(bytes.concat(hex"07", l, r)));
        assertEq(LibHash.traceNode(l, r), keccak256(bytes.concat(hex"0a", l, r)));
    }

    /// @dev The assembly node hash uses memory past the free pointer without allocating: it must neither
    ///      move the pointer nor touch memory that is allocated.
    function testFuzz_nodeLeavesAllocatedMemoryAlone(bytes32 l, bytes32 r) public pure {
        bytes32[] memory kept = new bytes32[](3);
        kept[0] = l;
        kept[1] = r;
        kept[2] = ~l;
        uint256 freeBefore;
        assembly {
            freeBefore := mload(0x40)
        }
        LibHash.stateNode(l, r);
        uint256 freeAfter;
        assembly {
            freeAfter := mload(0x40)
        }
        assertEq(freeAfter, freeBefore);
        assertEq(kept[0], l);
        assertEq(kept[1], r);
        assertEq(kept[2], ~l);
    }

    function testFuzz_recordLeafIsTaggedRecord(bytes32 a, bytes32 b, bytes32 c, bytes32 d) public view {
        bytes memory rec = bytes.concat(a, b, c, d);
        assertEq(h.recordLeaf(rec), keccak256(bytes.concat(hex"06", rec)));
    }

    function testFuzz_headerAndDataRoot(bytes calldata header, bytes32 recordsRoot) public view {
        bytes32 hh = keccak256(bytes.concat(hex"08", header));
        assertEq(h.headerHash(header), hh);
        assertEq(LibHash.dataRoot(hh, recordsRoot), keccak256(bytes.concat(hex"09", hh, recordsRoot)));
    }

    /// @dev Two kinds of object never share a preimage: every tag differs.
    function test_LibHash_domainTagsSeparateKinds() public pure {
        bytes32 l = keccak256("l");
        bytes32 r = keccak256("r");
        assertTrue(LibHash.stateNode(l, r) != LibHash.dataNode(l, r));
        assertTrue(LibHash.dataNode(l, r) != LibHash.traceNode(l, r));
        assertTrue(LibHash.stateNode(l, r) != LibHash.traceNode(l, r));
    }
}
