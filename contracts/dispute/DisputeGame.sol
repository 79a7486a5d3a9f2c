// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDisputeGame} from "../interfaces/IDisputeGame.sol";
import {IOneStepVerifier} from "../interfaces/IOneStepVerifier.sol";
import {IRollup} from "../interfaces/IRollup.sol";
import {IBridge} from "../interfaces/IBridge.sol";
import {LibHash} from "../libraries/LibHash.sol";
import {LibTree} from "../libraries/LibTree.sol";
import {Batch, SkipReason} from "../libraries/Types.sol";
import {AnchorKind, Clock, Game, GameStatus, Position, StepAnchor, Turn} from "./DisputeTypes.sol";
import {LibClock} from "./lib/LibClock.sol";
import {LibPosition} from "./lib/LibPosition.sol";

/// @title DisputeGame
/// @notice Bulwark's dispute games (PROTOCOL §14), all in one contract: a game is a walk down the trace tree
///         a batch committed, one challenger against the batch's committer, each on a chess clock.
/// @dev Holds no ETH: the Rollup locks each game's bond and pays every outcome through its credit ledger,
///      so resolving a game never calls an untrusted address. Reveals, picks and timeouts need no liveness
///      check of the batch: a game whose batch was dropped settles as a refund whatever its verdict
///      (`IRollup.settleChallenge`). Only the step reads the batch (`liveBatch`), since its anchor does.
///      A step or a timeout only decides; `resolve` settles, so the one-step's transaction carries the
///      witness and nothing else (its worst case stays under 200,000 gas). Once the rollup froze no game
///      moves: every pending batch was dropped, so `close` (or `resolve` of a decided game) refunds.
contract DisputeGame is IDisputeGame {
    using LibClock for Clock;
    using LibPosition for Position;

    /// @inheritdoc IDisputeGame
    uint8 public constant REVEAL_LEVELS = 4;

    /// @inheritdoc IDisputeGame
    address public immutable ROLLUP;
    /// @inheritdoc IDisputeGame
    address public immutable BRIDGE;
    /// @inheritdoc IDisputeGame
    address public immutable VERIFIER;
    /// @inheritdoc IDisputeGame
    uint64 public immutable CLOCK;

    Game[] private _games;
    /// @dev keccak(batch, epoch, challenger) → game id + 1.
    mapping(bytes32 key => uint256) private _gameOf;

    /// @param rollup The Rollup, already deployed with this contract's (predicted) address as DISPUTE.
    /// @param verifier The one-step verifier, serving the same Rollup.
    /// @param clock Seconds on each side's chess clock (§14.3).
    constructor(address rollup, address verifier, uint64 clock) {
        if (rollup == address(0)) revert ZeroParameter("rollup");
        if (verifier == address(0)) revert ZeroParameter("verifier");
        if (clock == 0) revert ZeroParameter("clock");
        address named = IRollup(rollup).DISPUTE();
        if (named != address(this)) revert WrongRollup(rollup, named);
        address itsRollup = IOneStepVerifier(verifier).ROLLUP();
        if (itsRollup != rollup) revert WrongVerifier(verifier, itsRollup);
        ROLLUP = rollup;
        BRIDGE = IRollup(rollup).BRIDGE();
        VERIFIER = verifier;
        CLOCK = clock;
    }

    // -----------------------------------------------------------------------------------------------------
    // Moves
    // -----------------------------------------------------------------------------------------------------

    /// @inheritdoc IDisputeGame
    function open(uint64 batch) external payable returns (uint256 id) {
        // The Rollup checks the batch is pending and inside its window, and locks the bond.
        (Batch memory b, bytes32 parentRoot) = IRollup(ROLLUP).lockChallenge{value: msg.value}(batch, msg.sender);
        bytes32 key = _key(batch, b.epoch, msg.sender);
        uint256 existing = _gameOf[key];
        if (existing != 0) revert AlreadyChallenged(batch, msg.sender, existing - 1);
        id = _games.length;
        _gameOf[key] = id + 1;

        uint8 d = _traceDepth(uint256(b.msgsAfter - b.msgsBefore) + b.recordCount);
        uint64 now_ = uint64(block.timestamp);
        // A one-step trace's root is its only leaf: the challenger moves first, with the step.
        Turn turn = d == 0 ? Turn.Challenger : Turn.Defender;
        _games.push(
            Game({
                challenger: msg.sender,
                batch: batch,
                status: GameStatus.InProgress,
                turn: turn,
                traceDepth: d,
                resolved: false,
                defender: b.committer,
                epoch: b.epoch,
                position: LibPosition.ROOT,
                node: b.traceRoot,
                preRoot: parentRoot,
                defenderClock: LibClock.wrap(CLOCK, turn == Turn.Defender ? now_ : 0),
                challengerClock: LibClock.wrap(CLOCK, turn == Turn.Challenger ? now_ : 0)
            })
        );
        emit GameOpened(id, batch, msg.sender, b.committer, b.traceRoot, d);
    }

    /// @inheritdoc IDisputeGame
    function reveal(uint256 id, bytes32[] calldata children) external {
        Game storage g = _movable(id);
        if (g.turn != Turn.Defender) revert NotYourTurn(id, g.turn);
        uint64 left = _spend(id, g.defenderClock, Turn.Defender);
        uint256 expected = uint256(1) << _levels(g.position.depth(), g.traceDepth);
        if (children.length != expected) revert WrongChildCount(children.length, expected);
        bytes32 folded = _foldLevel(children);
        if (folded != g.node) revert ChildrenDoNotFold(folded, g.node);

        uint64 now_ = uint64(block.timestamp);
        g.turn = Turn.Challenger;
        g.defenderClock = LibClock.wrap(left, 0);
        g.challengerClock = LibClock.wrap(g.challengerClock.remaining(), now_);
        emit Revealed(id, g.position, children, left);
    }

    /// @inheritdoc IDisputeGame
    function pick(
        uint256 id,
        uint64 child,
        bytes32 childHash,
        bytes32[] calldata childProof,
        bytes32 preRoot,
        bytes32[] calldata preRootProof
    ) external {
        Game storage g = _movable(id);
        if (g.turn != Turn.Challenger) revert NotYourTurn(id, g.turn);
        if (msg.sender != g.challenger) revert NotChallenger(msg.sender, g.challenger);
        uint8 below = g.traceDepth - g.position.depth();
        if (below == 0) revert AtLeaf(id);
        uint8 s = below < REVEAL_LEVELS ? below : REVEAL_LEVELS;
        _checkPick(g.node, below, s, child, childHash, childProof, preRoot, preRootProof);
        // Child 0 starts where the node starts: the agreed pre-root stands.
        if (child != 0) g.preRoot = preRoot;
        _descend(id, g, s, child, childHash, below == s);
    }

    /// @dev Checks a pick against `node` (`below` levels above the leaves, last revealed `s` levels down):
    ///      the child's hash opens at `child`, and the picked child's first step starts from the last step
    ///      root of the child before it, which `preRoot` must open to (nothing for child 0).
    function _checkPick(
        bytes32 node,
        uint8 below,
        uint8 s,
        uint64 child,
        bytes32 childHash,
        bytes32[] calldata childProof,
        bytes32 preRoot,
        bytes32[] calldata preRootProof
    ) private pure {
        if (child >> s != 0) revert ChildOutOfRange(child, uint256(1) << s);
        if (childProof.length != s || LibTree.foldTrace(childHash, child, childProof) != node) {
            revert BadChildOpening();
        }
        if (child == 0) {
            if (preRoot != bytes32(0) || preRootProof.length != 0) revert BadPreRootOpening();
        } else {
            uint256 leaf = (uint256(child) << (below - s)) - 1;
            if (preRootProof.length != below || LibTree.foldTrace(preRoot, leaf, preRootProof) != node) {
                revert BadPreRootOpening();
            }
        }
    }

    /// @dev Spends the challenger's clock, moves game `id` to the picked child and hands the move over: to
    ///      the defender, or at a leaf back to the challenger (the one-step, on its own clock).
    function _descend(uint256 id, Game storage g, uint8 s, uint64 child, bytes32 childHash, bool leaf) private {
        uint64 left = _spend(id, g.challengerClock, Turn.Challenger);
        Position position = g.position.descendant(s, child);
        g.position = position;
        g.node = childHash;
        uint64 now_ = uint64(block.timestamp);
        if (leaf) {
            g.challengerClock = LibClock.wrap(left, now_);
        } else {
            g.turn = Turn.Defender;
            g.challengerClock = LibClock.wrap(left, 0);
            g.defenderClock = LibClock.wrap(g.defenderClock.remaining(), now_);
        }
        emit Picked(id, position, childHash, g.preRoot, left);
    }

    /// @inheritdoc IDisputeGame
    function step(uint256 id, bytes calldata witness) external {
        Game storage g = _movable(id);
        Position position = g.position;
        uint8 d = g.traceDepth;
        if (position.depth() != d) revert NotAtLeaf(id);
        _spend(id, g.challengerClock, Turn.Challenger);
        Batch memory b = IRollup(ROLLUP).liveBatch(g.batch, g.epoch);

        uint64 j = position.indexAtDepth();
        uint64 m = b.msgsAfter - b.msgsBefore;
        StepAnchor memory anchor;
        if (j < m) {
            anchor = StepAnchor(AnchorKind.Message, IBridge(BRIDGE).messageHash(b.msgsBefore + j), 0);
        } else if (j < m + b.recordCount) {
            // casting to 'uint32' is safe because j - m < recordCount <= MAX_RECORDS
            // forge-lint: disable-next-line(unsafe-typecast)
            anchor = StepAnchor(AnchorKind.Record, b.dataRoot, uint32(j - m));
        } else {
            anchor = StepAnchor(AnchorKind.Identity, bytes32(0), 0);
        }
        (bytes32 postRoot, SkipReason reason) = IOneStepVerifier(VERIFIER).execute(g.preRoot, anchor, witness);

        bytes32 claimed = g.node;
        bool last = j == (uint64(1) << d) - 1;
        emit Stepped(id, j, claimed, postRoot, reason);
        _decide(id, g, postRoot != claimed || (last && claimed != b.stateRoot));
    }

    /// @inheritdoc IDisputeGame
    function timeout(uint256 id) external {
        Game storage g = _movable(id);
        Turn turn = g.turn;
        Clock clock = turn == Turn.Defender ? g.defenderClock : g.challengerClock;
        if (!clock.expired(block.timestamp)) {
            revert ClockNotExpired(id, turn, clock.remaining() - clock.elapsed(block.timestamp));
        }
        _decide(id, g, turn == Turn.Defender);
    }

    /// @inheritdoc IDisputeGame
    function resolve(uint256 id) external {
        if (id >= _games.length) revert UnknownGame(id);
        Game storage g = _games[id];
        GameStatus status = g.status;
        if (status == GameStatus.InProgress) revert NotDecided(id);
        if (g.resolved) revert AlreadyResolved(id);
        g.resolved = true;
        bool challengerWon = status == GameStatus.ChallengerWon;
        if (!IRollup(ROLLUP).settleChallenge(g.batch, g.epoch, g.challenger, challengerWon)) {
            status = GameStatus.Dropped;
            g.status = status;
        }
        emit GameResolved(id, status);
    }

    /// @inheritdoc IDisputeGame
    function close(uint256 id) external {
        Game storage g = _inProgress(id);
        if (IRollup(ROLLUP).isLive(g.batch, g.epoch)) revert BatchStillLive(g.batch);
        g.status = GameStatus.Dropped;
        g.resolved = true;
        IRollup(ROLLUP).settleChallenge(g.batch, g.epoch, g.challenger, false);
        emit GameResolved(id, GameStatus.Dropped);
    }

    // -----------------------------------------------------------------------------------------------------
    // Views
    // -----------------------------------------------------------------------------------------------------

    /// @inheritdoc IDisputeGame
    function game(uint256 id) external view returns (Game memory) {
        if (id >= _games.length) revert UnknownGame(id);
        return _games[id];
    }

    /// @inheritdoc IDisputeGame
    function gameCount() external view returns (uint256) {
        return _games.length;
    }

    /// @inheritdoc IDisputeGame
    function gameOf(uint64 batch, uint32 epoch, address challenger) external view returns (uint256) {
        return _gameOf[_key(batch, epoch, challenger)];
    }

    // -----------------------------------------------------------------------------------------------------
    // Internal
    // -----------------------------------------------------------------------------------------------------

    /// @dev The game `id`, which must exist and still be in progress.
    function _inProgress(uint256 id) private view returns (Game storage g) {
        if (id >= _games.length) revert UnknownGame(id);
        g = _games[id];
        if (g.status != GameStatus.InProgress) revert GameOver(id, g.status);
    }

    /// @dev The game `id`, in progress, while the rollup is not frozen: a freeze ends every game (§16).
    function _movable(uint256 id) private view returns (Game storage g) {
        g = _inProgress(id);
        if (IRollup(ROLLUP).frozen()) revert RollupFrozen();
    }

    /// @dev Stops the mover's running clock: the seconds it has left, or `ClockExpired` if none.
    function _spend(uint256 id, Clock clock, Turn turn) private view returns (uint64) {
        if (clock.expired(block.timestamp)) revert ClockExpired(id, turn);
        // casting to 'uint64' is safe because elapsed < remaining, a uint64, was just checked
        // forge-lint: disable-next-line(unsafe-typecast)
        return clock.remaining() - uint64(clock.elapsed(block.timestamp));
    }

    /// @dev Records the verdict; `resolve` settles it.
    function _decide(uint256 id, Game storage g, bool challengerWon) private {
        GameStatus status = challengerWon ? GameStatus.ChallengerWon : GameStatus.DefenderWon;
        g.status = status;
        emit GameDecided(id, status);
    }

    /// @dev Levels a reveal at `depth` descends in a trace of depth `d`: REVEAL_LEVELS, fewer at the bottom.
    function _levels(uint8 depth, uint8 d) private pure returns (uint8) {
        uint8 below = d - depth;
        return below < REVEAL_LEVELS ? below : REVEAL_LEVELS;
    }

    /// @dev `d = log2 T`, `T` the smallest power of two ≥ `steps` (≥ 1: the Rollup rejects empty batches).
    function _traceDepth(uint256 steps) private pure returns (uint8 d) {
        while ((uint256(1) << d) < steps) {
            ++d;
        }
    }

    /// @dev Folds a power-of-two list of sibling hashes with `tnode` to their common ancestor.
    function _foldLevel(bytes32[] calldata hashes) private pure returns (bytes32) {
        bytes32[] memory level = hashes;
        return LibTree.traceRoot(level);
    }

    function _key(uint64 batch, uint32 epoch, address challenger) private pure returns (bytes32) {
        return keccak256(abi.encode(batch, epoch, challenger));
    }
}
