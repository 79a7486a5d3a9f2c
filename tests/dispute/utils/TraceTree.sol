// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title TraceTree
/// @notice Test-only trace trees (PROTOCOL §8, §14.1), written from the spec with plain `keccak256` and
///         independent of LibTree: a tree is an array indexed by generalized index `g = 2^depth + index`
///         (slot 0 unused, the root at 1, leaf `j` at `T + j`), so nodes, reveals and openings are lookups.
library TraceTree {
    /// @notice `tnode(l, r) = H(0x0a ‖ l ‖ r)`.
    function node(bytes32 l, bytes32 r) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x0a), l, r));
    }

    /// @notice The tree over the post-roots `leaves` (a power of two of them), by generalized index.
    function build(bytes32[] memory leaves) internal pure returns (bytes32[] memory tree) {
        uint256 t = leaves.length;
        require(t != 0 && t & (t - 1) == 0, "TraceTree: T not a power of two");
        tree = new bytes32[](2 * t);
        for (uint256 j; j < t; ++j) {
            tree[t + j] = leaves[j];
        }
        for (uint256 g = t - 1; g >= 1; --g) {
            tree[g] = node(tree[2 * g], tree[2 * g + 1]);
        }
    }

    /// @notice The trace root (for `T = 1` the only leaf).
    function root(bytes32[] memory tree) internal pure returns (bytes32) {
        return tree[1];
    }

    /// @notice Number of steps `T` of the tree.
    function steps(bytes32[] memory tree) internal pure returns (uint256) {
        return tree.length / 2;
    }

    /// @notice Post-root of step `j`.
    function leaf(bytes32[] memory tree, uint256 j) internal pure returns (bytes32) {
        return tree[steps(tree) + j];
    }

    /// @notice The `2^s` nodes `s` levels below node `g`, left to right: what a reveal at `g` carries.
    function children(bytes32[] memory tree, uint256 g, uint256 s) internal pure returns (bytes32[] memory out) {
        out = new bytes32[](uint256(1) << s);
        for (uint256 c; c < out.length; ++c) {
            out[c] = tree[(g << s) + c];
        }
    }

    /// @notice Opening of descendant `desc` against its ancestor `anc`: the siblings from `desc` upwards.
    function open(bytes32[] memory tree, uint256 desc, uint256 anc) internal pure returns (bytes32[] memory proof) {
        uint256 levels;
        for (uint256 x = desc; x > anc; x >>= 1) {
            ++levels;
        }
        require(desc >> levels == anc, "TraceTree: not a descendant");
        proof = new bytes32[](levels);
        for (uint256 k; k < levels; ++k) {
            proof[k] = tree[desc ^ 1];
            desc >>= 1;
        }
    }

    /// @notice Depth of generalized index `g` (the index of its highest set bit).
    function depthOf(uint256 g) internal pure returns (uint8 d) {
        while (g > 1) {
            g >>= 1;
            ++d;
        }
    }

    /// @notice `T` leaves all equal to `r`.
    function filled(bytes32 r, uint256 t) internal pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](t);
        for (uint256 j; j < t; ++j) {
            leaves[j] = r;
        }
    }
}
