// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title MerkleBuilder
/// @notice Test-only reference implementation of Bulwark's trees, written from the spec with plain
///         `keccak256(abi.encodePacked(...))` and independent of LibHash/LibTree: roots and proofs of sparse
///         depth-32 state trees (leaves at 0..n-1, the rest Z[0]) and of the full depth-9 data tree.
library MerkleBuilder {
    function z(uint256 k) internal pure returns (bytes32 h) {
        h = keccak256(abi.encodePacked(bytes1(0x00)));
        for (uint256 i; i < k; ++i) {
            h = keccak256(abi.encodePacked(bytes1(0x03), h, h));
        }
    }

    /// @notice Root and proof for `index` of the depth-32 state tree with `leaves` at positions 0..n-1.
    function stateProof(bytes32[] memory leaves, uint256 index)
        internal
        pure
        returns (bytes32 root, bytes32[] memory proof)
    {
        proof = new bytes32[](32);
        bytes32[] memory level = new bytes32[](leaves.length);
        for (uint256 i; i < leaves.length; ++i) {
            level[i] = leaves[i];
        }
        uint256 count = leaves.length;
        bytes32 empty = z(0);
        for (uint256 k; k < 32; ++k) {
            uint256 sib = index ^ 1;
            proof[k] = sib < count ? level[sib] : empty;
            uint256 next = (count + 1) / 2;
            for (uint256 i; i < next; ++i) {
                bytes32 l = level[2 * i];
                bytes32 r = 2 * i + 1 < count ? level[2 * i + 1] : empty;
                level[i] = keccak256(abi.encodePacked(bytes1(0x03), l, r));
            }
            count = next;
            index >>= 1;
            empty = keccak256(abi.encodePacked(bytes1(0x03), empty, empty));
        }
        root = count == 0 ? empty : level[0];
    }

    /// @notice Root of the depth-32 state tree with `leaves` at positions 0..n-1.
    function stateRoot(bytes32[] memory leaves) internal pure returns (bytes32 root) {
        (root,) = stateProof(leaves, 0);
    }

    /// @notice Root of the full depth-9 data tree (512 leaves, empty ones `D[0]`) and the proof of `index`.
    function dataProof(bytes memory records, uint256 index)
        internal
        pure
        returns (bytes32 root, bytes32[] memory proof)
    {
        uint256 n = records.length / 128;
        bytes32[] memory level = new bytes32[](512);
        bytes32 d0 = keccak256(abi.encodePacked(bytes1(0x06), new bytes(128)));
        for (uint256 i; i < 512; ++i) {
            if (i < n) {
                bytes memory rec = new bytes(128);
                for (uint256 j; j < 128; ++j) {
                    rec[j] = records[i * 128 + j];
                }
                level[i] = keccak256(abi.encodePacked(bytes1(0x06), rec));
            } else {
                level[i] = d0;
            }
        }
        proof = new bytes32[](9);
        uint256 width = 512;
        for (uint256 k; k < 9; ++k) {
            proof[k] = level[index ^ 1];
            width /= 2;
            for (uint256 i; i < width; ++i) {
                level[i] = keccak256(abi.encodePacked(bytes1(0x07), level[2 * i], level[2 * i + 1]));
            }
            index >>= 1;
        }
        root = level[0];
    }
}
