// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TAG_RECORD, TREE_DEPTH, DATA_DEPTH, RECORD_SIZE, MAX_RECORDS} from "./Types.sol";
import {LibHash} from "./LibHash.sol";

/// @title LibTree
/// @notice Bulwark's three binary Merkle trees (PROTOCOL §2, §6.2, §8): the depth-32 state trees (account
///         and withdrawal), the depth-9 data tree over a batch's records, and the trace tree over step roots.
/// @dev Proofs are folded from the leaf upwards: bit `k` of the index 0 means the running hash is the left
///      child at level `k`. A proof of the wrong length reverts (`fold*`) or is invalid (`verify`); no input
///      makes these functions read out of bounds.
library LibTree {
    /// @notice A proof does not have exactly the tree's depth in siblings.
    error ProofLength(uint256 length, uint256 depth);
    /// @notice A data-tree index is not below `MAX_RECORDS`.
    error RecordIndexOutOfRange(uint256 index);
    /// @notice Batch data is not a whole number of records, or holds more than `MAX_RECORDS`.
    error RecordsLength(uint256 length);
    /// @notice A trace has no steps, or a number of steps that is not a power of two.
    error TraceLength(uint256 steps);

    // -----------------------------------------------------------------------------------------------------
    // State trees (§2)
    // -----------------------------------------------------------------------------------------------------

    /// @notice Empty state subtree of height `k`: `Z[0] = H(0x00)`, `Z[k+1] = node(Z[k], Z[k])`.
    /// @dev Computed (k hashes); `k > TREE_DEPTH` is allowed and simply keeps going.
    function zero(uint256 k) internal pure returns (bytes32 z) {
        z = LibHash.emptyLeaf();
        for (uint256 i; i < k; ++i) {
            z = LibHash.stateNode(z, z);
        }
    }

    /// @notice Root of an empty state tree, `Z[32]`.
    function emptyRoot() internal pure returns (bytes32) {
        return zero(TREE_DEPTH);
    }

    /// @notice Folds a 32-sibling state-tree proof for the leaf at `index`; reverts unless 32 siblings.
    function fold(bytes32 leaf, uint32 index, bytes32[] calldata proof) internal pure returns (bytes32) {
        if (proof.length != TREE_DEPTH) revert ProofLength(proof.length, TREE_DEPTH);
        return _fold(leaf, index, proof, LibHash.stateNode);
    }

    /// @notice True iff `proof` has exactly 32 siblings and folds `leaf` at `index` to `root`.
    function verify(bytes32 root, bytes32 leaf, uint32 index, bytes32[] calldata proof) internal pure returns (bool) {
        return proof.length == TREE_DEPTH && _fold(leaf, index, proof, LibHash.stateNode) == root;
    }

    // -----------------------------------------------------------------------------------------------------
    // Data tree (§6.2)
    // -----------------------------------------------------------------------------------------------------

    /// @notice Record leaf of an empty position, `D[0] = H(0x06 ‖ 128 zero bytes)`.
    function emptyRecordLeaf() internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(TAG_RECORD, bytes32(0), bytes32(0), bytes32(0), bytes32(0)));
    }

    /// @notice Empty data subtree of height `k`: `D[0]` as above, `D[k+1] = dnode(D[k], D[k])`.
    function dataZero(uint256 k) internal pure returns (bytes32 d) {
        d = emptyRecordLeaf();
        for (uint256 i; i < k; ++i) {
            d = LibHash.dataNode(d, d);
        }
    }

    /// @notice Folds a 9-sibling data-tree proof for the record leaf at `index` (< 512) to a records root.
    function foldData(bytes32 leaf, uint256 index, bytes32[] calldata proof) internal pure returns (bytes32) {
        if (proof.length != DATA_DEPTH) revert ProofLength(proof.length, DATA_DEPTH);
        if (index >= MAX_RECORDS) revert RecordIndexOutOfRange(index);
        return _fold(leaf, index, proof, LibHash.dataNode);
    }

    /// @notice Root of the depth-9 data tree over `records` (n × 128 bytes, n ≤ 512), empty positions `D[0]`.
    /// @dev Hashes only the non-empty nodes of each level: a level of `c` nodes becomes `ceil(c/2)`, the
    ///      last odd node paired with `D[k]`; about 2n hashes whatever n is. The running level lives in
    ///      memory past the free pointer (n words, then 129 bytes of preimage scratch), never allocated.
    function recordsRoot(bytes calldata records) internal pure returns (bytes32 root) {
        uint256 len = records.length;
        if (len % RECORD_SIZE != 0 || len > MAX_RECORDS * RECORD_SIZE) revert RecordsLength(len);
        bytes32 empty = emptyRecordLeaf();
        // Assembly: ~200 gas a record instead of ~700 with checked indexing and a call per hash.
        assembly ("memory-safe") {
            let count := div(len, RECORD_SIZE)
            let level := mload(0x40)
            let scratch := add(level, shl(5, count))
            // Leaves: H(0x06 ‖ record i).
            mstore8(scratch, 0x06)
            for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                calldatacopy(add(scratch, 1), add(records.offset, mul(i, RECORD_SIZE)), RECORD_SIZE)
                mstore(add(level, shl(5, i)), keccak256(scratch, 129))
            }
            // Levels: H(0x07 ‖ l ‖ r), r = D[k] past the last node. In place: node i reads 2i, 2i+1 ≥ i.
            mstore8(scratch, 0x07)
            for { let k := 0 } lt(k, DATA_DEPTH) { k := add(k, 1) } {
                let half := shr(1, add(count, 1))
                for { let i := 0 } lt(i, half) { i := add(i, 1) } {
                    let j := shl(1, i)
                    mstore(add(scratch, 1), mload(add(level, shl(5, j))))
                    let r := empty
                    if lt(add(j, 1), count) { r := mload(add(level, shl(5, add(j, 1)))) }
                    mstore(add(scratch, 33), r)
                    mstore(add(level, shl(5, i)), keccak256(scratch, 65))
                }
                count := half
                mstore(add(scratch, 1), empty)
                mstore(add(scratch, 33), empty)
                empty := keccak256(scratch, 65)
            }
            root := empty
            if count { root := mload(level) }
        }
    }

    // -----------------------------------------------------------------------------------------------------
    // Trace tree (§8)
    // -----------------------------------------------------------------------------------------------------

    /// @notice Root of the trace tree over the post-roots `p_0 .. p_{T-1}`; `T` must be a power of two.
    /// @dev For `T = 1` the root is `p_0`. The input array is overwritten.
    function traceRoot(bytes32[] memory stepRoots) internal pure returns (bytes32) {
        uint256 count = stepRoots.length;
        if (count == 0 || count & (count - 1) != 0) revert TraceLength(count);
        unchecked {
            while (count > 1) {
                count >>= 1;
                for (uint256 i; i < count; ++i) {
                    stepRoots[i] = LibHash.traceNode(stepRoots[2 * i], stepRoots[2 * i + 1]);
                }
            }
        }
        return stepRoots[0];
    }

    /// @notice Folds an opening of `leaf` at `index` below some trace-tree node with `tnode`, one sibling per
    ///         level from the leaf up (any number of levels: the caller checks the length it expects).
    function foldTrace(bytes32 leaf, uint256 index, bytes32[] calldata proof) internal pure returns (bytes32) {
        return _fold(leaf, index, proof, LibHash.traceNode);
    }

    // -----------------------------------------------------------------------------------------------------
    // Internal
    // -----------------------------------------------------------------------------------------------------

    /// @dev Folds `proof` (already length-checked) with `node`, bit `k` of `index` choosing the side.
    function _fold(
        bytes32 leaf,
        uint256 index,
        bytes32[] calldata proof,
        function(bytes32, bytes32) internal pure returns (bytes32) node
    ) private pure returns (bytes32 h) {
        h = leaf;
        uint256 depth = proof.length;
        for (uint256 k; k < depth; ++k) {
            h = (index >> k) & 1 == 0 ? node(h, proof[k]) : node(proof[k], h);
        }
    }
}
