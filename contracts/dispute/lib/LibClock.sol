// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Clock} from "../DisputeTypes.sol";

/// @title LibClock
/// @notice A side's chess clock (PROTOCOL §14.3): seconds left and the time it last started running, packed
///         as `remaining << 64 | since` in one `uint128`.
library LibClock {
    /// @notice A clock with `remaining` seconds left, running (if it is the mover's) since `since`.
    function wrap(uint64 secondsLeft, uint64 startedAt) internal pure returns (Clock) {
        return Clock.wrap((uint128(secondsLeft) << 64) | startedAt);
    }

    /// @notice Seconds left when the clock last stopped.
    function remaining(Clock c) internal pure returns (uint64) {
        return uint64(Clock.unwrap(c) >> 64);
    }

    /// @notice When the clock last started running.
    function since(Clock c) internal pure returns (uint64) {
        return uint64(Clock.unwrap(c));
    }

    /// @notice Seconds spent since it started running, at `now_`.
    function elapsed(Clock c, uint256 now_) internal pure returns (uint256) {
        return now_ - since(c);
    }

    /// @notice True iff a running clock has no time left at `now_`: a move must come strictly before.
    function expired(Clock c, uint256 now_) internal pure returns (bool) {
        return elapsed(c, now_) >= remaining(c);
    }
}
