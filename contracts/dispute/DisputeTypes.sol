// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title DisputeTypes
/// @notice The types of Bulwark's dispute games (PROTOCOL §8.3, §14): the anchor a one-step is checked
///         against, and (added with the game) positions in the trace tree, chess clocks and game status.

/// @notice What the chain knows about the step a one-step executes (§8.1): a message step is bound to the
///         hash the Bridge stores for its queue index, a record step to the batch's data root and the
///         record's position, an identity step to nothing.
enum AnchorKind {
    Message,
    Record,
    Identity
}

/// @notice The anchor of one trace step. `hash` is the stored message hash (Message), the batch's
///         `dataRoot` (Record) or zero (Identity); `position` is the record's index in the batch (Record).
struct StepAnchor {
    AnchorKind kind;
    bytes32 hash;
    uint32 position;
}

/// @notice A node of a batch's trace tree, by generalized index `g = 2^depth + index` (§14.1): the root
///         is 1, the children `s` levels below `g` are `g·2^s + c`, leaf `2^d + j` is step `j`'s post-root.
type Position is uint64;

/// @notice One side's chess clock (§14.3): the seconds it has left and, while it runs, since when. Packed
///         as `remaining << 64 | since`; only the clock of the side to move is running.
type Clock is uint128;

/// @notice Where a game stands. A step or a timeout decides `ChallengerWon` or `DefenderWon`; `resolve` then
///         settles it through the Rollup (`Game.resolved`). `Dropped`: its batch was rewound by another game
///         before it was settled, and its bond refunded.
enum GameStatus {
    None,
    InProgress,
    ChallengerWon,
    DefenderWon,
    Dropped
}

/// @notice Whose clock runs: the defender must reveal, or the challenger must pick (or, at a leaf, step).
enum Turn {
    Defender,
    Challenger
}

/// @notice A game's storage, five slots.
struct Game {
    // slot 0
    address challenger;
    uint64 batch;
    GameStatus status;
    Turn turn;
    /// @dev `d = log2 T` of the batch's trace.
    uint8 traceDepth;
    /// @dev The verdict was settled through the Rollup (bond and stake paid out, or refunded).
    bool resolved;
    // slot 1
    address defender;
    /// @dev The Rollup's epoch when the batch was committed: the batch is live while it still matches.
    uint32 epoch;
    Position position;
    // slot 2
    /// @dev The defender's claim at `position`: a node of the committed trace tree.
    bytes32 node;
    // slot 3
    /// @dev The agreed pre-root of the first step under `position`.
    bytes32 preRoot;
    // slot 4
    Clock defenderClock;
    Clock challengerClock;
}
