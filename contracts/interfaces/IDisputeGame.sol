// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Game, GameStatus, Position, Turn} from "../dispute/DisputeTypes.sol";
import {SkipReason} from "../libraries/Types.sol";

/// @title IDisputeGame
/// @notice Bulwark's dispute games (PROTOCOL §14): anyone opens a game against a pending batch with a bond;
///         the defender reveals the hashes below the current node of the batch's trace tree, the challenger
///         picks the leftmost one that differs from the honest trace (opening the agreed pre-root), and a
///         one-step settles the last leaf. Each side has a chess clock; a side out of time loses.
interface IDisputeGame {
    // -----------------------------------------------------------------------------------------------------
    // Events
    // -----------------------------------------------------------------------------------------------------

    /// @notice Game `id` opened by `challenger` against batch `batch`, whose trace has depth `traceDepth`.
    event GameOpened(
        uint256 indexed id,
        uint64 indexed batch,
        address indexed challenger,
        address defender,
        bytes32 traceRoot,
        uint8 traceDepth
    );

    /// @notice The hashes `children` below the node at `position` were revealed (they fold to it).
    event Revealed(uint256 indexed id, Position position, bytes32[] children, uint64 clockLeft);

    /// @notice The challenger picked the node at `position` with hash `node`; `preRoot` is now agreed.
    event Picked(uint256 indexed id, Position position, bytes32 node, bytes32 preRoot, uint64 clockLeft);

    /// @notice Step `step` ran from the agreed pre-root to `postRoot` (skipped for `reason` unless None),
    ///         against the defender's leaf `claimed`.
    event Stepped(uint256 indexed id, uint64 step, bytes32 claimed, bytes32 postRoot, SkipReason reason);

    /// @notice Game `id` was decided: `status` is `ChallengerWon` or `DefenderWon`, to be settled by `resolve`.
    event GameDecided(uint256 indexed id, GameStatus status);

    /// @notice Game `id` was settled through the Rollup with `status` (`Dropped` if its batch was rewound).
    event GameResolved(uint256 indexed id, GameStatus status);

    // -----------------------------------------------------------------------------------------------------
    // Errors
    // -----------------------------------------------------------------------------------------------------

    /// @notice The rollup is frozen: no game moves; `close` refunds (§16).
    error RollupFrozen();
    /// @notice The Rollup does not name this contract as its DisputeGame.
    error WrongRollup(address rollup, address named);
    /// @notice The one-step verifier serves another Rollup.
    error WrongVerifier(address verifier, address itsRollup);
    /// @notice A constructor argument is zero where it must not be.
    error ZeroParameter(string what);
    /// @notice This challenger already has a game against this batch.
    error AlreadyChallenged(uint64 batch, address challenger, uint256 id);
    /// @notice No game has this id.
    error UnknownGame(uint256 id);
    /// @notice The game has ended.
    error GameOver(uint256 id, GameStatus status);
    /// @notice The move belongs to the other side.
    error NotYourTurn(uint256 id, Turn turn);
    /// @notice Only the game's challenger picks.
    error NotChallenger(address caller, address challenger);
    /// @notice The side to move ran out of time.
    error ClockExpired(uint256 id, Turn turn);
    /// @notice The side to move still has time: no timeout yet.
    error ClockNotExpired(uint256 id, Turn turn, uint256 secondsLeft);
    /// @notice A reveal must carry exactly `expected` hashes.
    error WrongChildCount(uint256 given, uint256 expected);
    /// @notice The revealed hashes fold to `computed`, not the node.
    error ChildrenDoNotFold(bytes32 computed, bytes32 node);
    /// @notice The picked child index is past the revealed ones.
    error ChildOutOfRange(uint256 child, uint256 count);
    /// @notice The picked hash does not open against the node.
    error BadChildOpening();
    /// @notice The pre-root does not open as the last leaf of the child before the picked one.
    error BadPreRootOpening();
    /// @notice The game is at a leaf: the next move is the one-step.
    error AtLeaf(uint256 id);
    /// @notice The game is not at a leaf yet: no one-step.
    error NotAtLeaf(uint256 id);
    /// @notice The game's batch is still live: it cannot be closed as dropped.
    error BatchStillLive(uint64 batch);
    /// @notice The game is still in progress: nothing to resolve yet.
    error NotDecided(uint256 id);
    /// @notice The game was already settled.
    error AlreadyResolved(uint256 id);

    // -----------------------------------------------------------------------------------------------------
    // Moves
    // -----------------------------------------------------------------------------------------------------

    /// @notice Opens a game against pending batch `batch`, inside its window, locking `msg.value` (exactly the
    ///         Rollup's `CHALLENGE_BOND`). One game per challenger and batch.
    /// @return id The new game's id.
    function open(uint64 batch) external payable returns (uint256 id);

    /// @notice Defender's move: reveals the `2^s` hashes `s = min(REVEAL_LEVELS, d − depth)` levels below the
    ///         current node; they must fold to it. Anyone may send them: only the committed hashes fold.
    function reveal(uint256 id, bytes32[] calldata children) external;

    /// @notice Challenger's move: picks child `child` of the last reveal, with its hash opened against the
    ///         node (`childProof`, `s` siblings) and, unless `child == 0`, the last step root of the child
    ///         before it (`preRoot`, opened by `preRootProof`, `d − depth` siblings) as the new agreed pre-root.
    function pick(
        uint256 id,
        uint64 child,
        bytes32 childHash,
        bytes32[] calldata childProof,
        bytes32 preRoot,
        bytes32[] calldata preRootProof
    ) external;

    /// @notice At a leaf (step `j`): executes step `j` from the agreed pre-root with `witness` (§8.2) and
    ///         decides the game. The challenger wins iff the result differs from the defender's leaf, or `j`
    ///         is the last step and the leaf differs from the batch's state root. Anyone may call, on the
    ///         challenger's clock.
    function step(uint256 id, bytes calldata witness) external;

    /// @notice Decides the game against the side to move once its clock has run out; anyone may call.
    function timeout(uint256 id) external;

    /// @notice Settles a decided game through the Rollup: a challenger win rejects the batch and pays the
    ///         challenger from the committer's stake, a defender win pays the bond to the committer, and a
    ///         batch dropped meanwhile refunds the bond. Anyone may call, once.
    function resolve(uint256 id) external;

    /// @notice Ends a game in progress whose batch was dropped by a rewind, refunding the bond; anyone may call.
    function close(uint256 id) external;

    // -----------------------------------------------------------------------------------------------------
    // Views
    // -----------------------------------------------------------------------------------------------------

    /// @notice The stored state of game `id`.
    function game(uint256 id) external view returns (Game memory);

    /// @notice Number of games ever opened (ids are `0 .. gameCount − 1`).
    function gameCount() external view returns (uint256);

    /// @notice The game id of `challenger` against `batch` as committed in `epoch`, plus one (0: none).
    function gameOf(uint64 batch, uint32 epoch, address challenger) external view returns (uint256);

    /// @notice The Rollup whose batches the games judge.
    function ROLLUP() external view returns (address);

    /// @notice The Bridge whose stored message hashes anchor message steps.
    function BRIDGE() external view returns (address);

    /// @notice The one-step verifier.
    function VERIFIER() external view returns (address);

    /// @notice Seconds each side's chess clock starts with.
    function CLOCK() external view returns (uint64);

    /// @notice Levels a reveal descends (`2^REVEAL_LEVELS` hashes per reveal, fewer at the bottom).
    function REVEAL_LEVELS() external view returns (uint8);
}
