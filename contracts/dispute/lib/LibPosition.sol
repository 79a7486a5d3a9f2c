// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Position} from "../DisputeTypes.sol";

/// @title LibPosition
/// @notice Generalized indices in a trace tree (PROTOCOL §14.1): `g = 2^depth + index`.
/// @dev Traces have at most 1,024 steps (depth ≤ 10), so every position fits in a few bits of the u64;
///      the game never builds one deeper than the trace.
library LibPosition {
    /// @notice The root of a trace tree.
    Position internal constant ROOT = Position.wrap(1);

    /// @notice Depth below the root: the index of the highest set bit.
    function depth(Position p) internal pure returns (uint8 d) {
        uint64 g = Position.unwrap(p);
        while (g > 1) {
            g >>= 1;
            ++d;
        }
    }

    /// @notice Index among the nodes of the same depth.
    function indexAtDepth(Position p) internal pure returns (uint64) {
        return Position.unwrap(p) ^ (uint64(1) << depth(p));
    }

    /// @notice The descendant `levels` below `p`, `child`-th from the left (`child < 2^levels`).
    function descendant(Position p, uint8 levels, uint64 child) internal pure returns (Position) {
        return Position.wrap((Position.unwrap(p) << levels) | child);
    }
}
