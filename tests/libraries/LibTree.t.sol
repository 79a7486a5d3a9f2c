// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {LibTree} from "../../contracts/libraries/LibTree.sol";
import {LibHash} from "../../contracts/libraries/LibHash.sol";
import {LibHarness} from "../utils/LibHarness.sol";
import {MerkleBuilder} from "../utils/MerkleBuilder.sol";

/// @notice LibTree against the independent reference in MerkleBuilder (PROTOCOL §2, §6.2, §8).
contract LibTreeTest is Test {
    LibHarness internal h = new LibHarness();

    function _leaves(uint256 n, uint256 seed) internal pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            leaves[i] = keccak256(abi.encode(seed, i));
        }
    }

    function _randomBytes(uint256 len, uint256 seed) internal pure returns (bytes memory out) {
        out = new bytes(len);
        for (uint256 i; i < len; i += 32) {
            bytes32 w = keccak256(abi.encode(seed, i));
            for (uint256 j; j < 32 && i + j < len; ++j) {
                out[i + j] = w[j];
            }
        }
    }

    // ----------------------------------------------------------------------------------------------------
    // State trees
    // ----------------------------------------------------------------------------------------------------

    function test_LibTree_zeroFollowsRecurrence() public pure {
        assertEq(LibTree.zero(0), keccak256(hex"00"));
        for (uint256 k; k < 32; ++k) {
            bytes32 zk = LibTree.zero(k);
            assertEq(LibTree.zero(k + 1), keccak256(bytes.concat(hex"03", zk, zk)));
        }
        assertEq(LibTree.emptyRoot(), LibTree.zero(32));
        assertEq(LibTree.emptyRoot(), MerkleBuilder.z(32));
    }

    function test_LibTree_foldProvesEmptyPositionOfEmptyTree() public view {
        bytes32[] memory proof = new bytes32[](32);
        for (uint256 k; k < 32; ++k) {
            proof[k] = LibTree.zero(k);
        }
        assertEq(h.fold(LibTree.zero(0), type(uint32).max, proof), LibTree.emptyRoot());
        assertTrue(h.verify(LibTree.emptyRoot(), LibTree.zero(0), 12345, proof));
    }

    function testFuzz_foldMatchesReferenceTree(uint8 n, uint256 index, uint256 seed) public view {
        n = uint8(bound(n, 1, 40));
        index = bound(index, 0, n - 1);
        bytes32[] memory leaves = _leaves(n, seed);
        (bytes32 root, bytes32[] memory proof) = MerkleBuilder.stateProof(leaves, index);
        // forge-lint: disable-next-line(unsafe-typecast)
        assertEq(h.fold(leaves[index], uint32(index), proof), root);
        // forge-lint: disable-next-line(unsafe-typecast)
        assertTrue(h.verify(root, leaves[index], uint32(index), proof));
    }

    function testFuzz_verifyRejectsWrongLeafOrIndex(uint8 n, uint256 index, uint256 seed, bytes32 other) public view {
        n = uint8(bound(n, 2, 40));
        index = bound(index, 0, n - 1);
        bytes32[] memory leaves = _leaves(n, seed);
        vm.assume(other != leaves[index]);
        (bytes32 root, bytes32[] memory proof) = MerkleBuilder.stateProof(leaves, index);
        // forge-lint: disable-next-line(unsafe-typecast)
        assertFalse(h.verify(root, other, uint32(index), proof));
        // forge-lint: disable-next-line(unsafe-typecast)
        assertFalse(h.verify(root, leaves[index], uint32(index ^ 1), proof));
    }

    function testFuzz_verifyRejectsWrongProofLength(uint8 len) public view {
        vm.assume(len != 32);
        bytes32[] memory proof = new bytes32[](len);
        assertFalse(h.verify(LibTree.emptyRoot(), LibTree.zero(0), 0, proof));
    }

    /// @dev Without the length check, the 31 upper siblings of a real proof fold an inner node (the hash of
    ///      leaves 0 and 1) to the root: a "leaf" that is no leaf. The check is what rejects it.
    function test_LibTree_verifyRejectsInnerNodeWith31Siblings() public view {
        bytes32[] memory leaves = _leaves(4, 7);
        (bytes32 root, bytes32[] memory proof) = MerkleBuilder.stateProof(leaves, 0);
        bytes32 inner = LibHash.stateNode(leaves[0], proof[0]);
        bytes32[] memory upper = new bytes32[](31);
        for (uint256 k; k < 31; ++k) {
            upper[k] = proof[k + 1];
        }
        bytes32 h31 = inner;
        for (uint256 k; k < 31; ++k) {
            h31 = LibHash.stateNode(h31, upper[k]);
        }
        assertEq(h31, root, "the 31 upper siblings do fold the inner node to the root");
        assertFalse(h.verify(root, inner, 0, upper), "verify refuses a 31-sibling proof");
        assertTrue(h.verify(root, leaves[0], 0, proof));
    }

    function test_RevertWhen_FoldProofShort() public {
        vm.expectRevert(abi.encodeWithSelector(LibTree.ProofLength.selector, 31, 32));
        h.fold(bytes32(0), 0, new bytes32[](31));
    }

    function test_RevertWhen_FoldProofLong() public {
        vm.expectRevert(abi.encodeWithSelector(LibTree.ProofLength.selector, 33, 32));
        h.fold(bytes32(0), 0, new bytes32[](33));
    }

    // ----------------------------------------------------------------------------------------------------
    // Data tree
    // ----------------------------------------------------------------------------------------------------

    function test_LibTree_emptyRecordSubtrees() public pure {
        assertEq(LibTree.dataZero(0), keccak256(bytes.concat(hex"06", new bytes(128))));
        for (uint256 k; k < 9; ++k) {
            bytes32 d = LibTree.dataZero(k);
            assertEq(LibTree.dataZero(k + 1), keccak256(bytes.concat(hex"07", d, d)));
        }
    }

    function test_LibTree_recordsRootOfNothingIsD9() public view {
        assertEq(h.recordsRoot(""), LibTree.dataZero(9));
    }

    function test_LibTree_recordsRootOfFullBatch() public view {
        bytes memory records = _randomBytes(512 * 128, 7);
        (bytes32 root,) = MerkleBuilder.dataProof(records, 0);
        assertEq(h.recordsRoot(records), root);
    }

    function test_LibTree_recordsRootPadsWithEmptyLeaves() public view {
        // A batch of n records equals the 512-record batch padded with 128 zero bytes per empty position.
        bytes memory three = _randomBytes(3 * 128, 3);
        assertEq(h.recordsRoot(three), h.recordsRoot(bytes.concat(three, new bytes(509 * 128))));
    }

    function testFuzz_recordsRootMatchesReference(uint16 n, uint256 seed) public view {
        n = uint16(bound(n, 0, 70));
        bytes memory records = _randomBytes(uint256(n) * 128, seed);
        (bytes32 root,) = MerkleBuilder.dataProof(records, 0);
        assertEq(h.recordsRoot(records), root);
    }

    function testFuzz_foldDataProvesEachRecord(uint16 n, uint256 index, uint256 seed) public view {
        n = uint16(bound(n, 1, 40));
        index = bound(index, 0, 511);
        bytes memory records = _randomBytes(uint256(n) * 128, seed);
        (bytes32 root, bytes32[] memory proof) = MerkleBuilder.dataProof(records, index);
        bytes32 leaf = index < n ? h.recordLeaf(_slice(records, index)) : LibTree.dataZero(0);
        assertEq(h.foldData(leaf, index, proof), root);
        assertEq(h.recordsRoot(records), root);
    }

    function test_RevertWhen_FoldDataIndexPastMaxRecords() public {
        vm.expectRevert(abi.encodeWithSelector(LibTree.RecordIndexOutOfRange.selector, 512));
        h.foldData(bytes32(0), 512, new bytes32[](9));
    }

    function test_RevertWhen_FoldDataProofWrongLength() public {
        vm.expectRevert(abi.encodeWithSelector(LibTree.ProofLength.selector, 8, 9));
        h.foldData(bytes32(0), 0, new bytes32[](8));
    }

    function test_RevertWhen_RecordsNotWholeRecords() public {
        vm.expectRevert(abi.encodeWithSelector(LibTree.RecordsLength.selector, 129));
        h.recordsRoot(new bytes(129));
    }

    function test_RevertWhen_RecordsMoreThanMax() public {
        vm.expectRevert(abi.encodeWithSelector(LibTree.RecordsLength.selector, 513 * 128));
        h.recordsRoot(new bytes(513 * 128));
    }

    function _slice(bytes memory records, uint256 i) internal pure returns (bytes memory rec) {
        rec = new bytes(128);
        for (uint256 j; j < 128; ++j) {
            rec[j] = records[i * 128 + j];
        }
    }

    // ----------------------------------------------------------------------------------------------------
    // Trace tree
    // ----------------------------------------------------------------------------------------------------

    function test_LibTree_traceRootOfOneStepIsTheStep() public pure {
        bytes32[] memory p = new bytes32[](1);
        p[0] = keccak256("p0");
        assertEq(LibTree.traceRoot(p), keccak256("p0"));
    }

    function test_LibTree_traceRootOfFourSteps() public pure {
        bytes32[] memory p = _leaves(4, 1);
        bytes32 l = keccak256(bytes.concat(hex"0a", p[0], p[1]));
        bytes32 r = keccak256(bytes.concat(hex"0a", p[2], p[3]));
        assertEq(LibTree.traceRoot(p), keccak256(bytes.concat(hex"0a", l, r)));
    }

    function test_RevertWhen_TraceEmpty() public {
        vm.expectRevert(abi.encodeWithSelector(LibTree.TraceLength.selector, 0));
        this.traceRoot(new bytes32[](0));
    }

    function test_RevertWhen_TraceNotPowerOfTwo() public {
        vm.expectRevert(abi.encodeWithSelector(LibTree.TraceLength.selector, 3));
        this.traceRoot(new bytes32[](3));
    }

    function traceRoot(bytes32[] memory p) external pure returns (bytes32) {
        return LibTree.traceRoot(p);
    }

    function test_LibTree_stateNodeIsTheFoldNode() public pure {
        assertEq(LibHash.stateNode(LibTree.zero(3), LibTree.zero(3)), LibTree.zero(4));
    }
}
