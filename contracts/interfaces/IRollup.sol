// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Batch, L1Message, StatePreimage} from "../libraries/Types.sol";

/// @title IRollup
/// @notice Bulwark's chain of batch commitments (PROTOCOL §9–§10, §14): a staked sequencer commits batches
///         on top of the tip; a batch finalizes after the challenge window once its parent is final and no
///         dispute game against it is open; a batch that loses a game rewinds the tip to its parent and its
///         committer's stake pays the winner. The Rollup holds every wei of stakes and challenge bonds and
///         pays out through one pull ledger (`creditOf`). A message the sequencer leaves unconsumed past
///         `DEADLINE` lets anyone freeze the rollup at its last final batch (§16); a guardian may pause
///         commits and deposits for at most `PAUSE` and rotate the sequencer (§17).
interface IRollup {
    /// @notice Deployment parameters (§0, §10, §16, §17).
    /// @param bridge The Bridge's address (predicted: it is deployed next, naming this contract).
    /// @param dispute The DisputeGame's address (predicted: deployed after the Bridge, naming this contract).
    /// @param sequencer The first address allowed to commit batches.
    /// @param guardian The guardian (a Safe multisig in production): pauses and rotates the sequencer.
    /// @param window Challenge window in seconds.
    /// @param stake Stake in wei a committer must hold (§14.6).
    /// @param challengeBond Bond in wei each game locks (§14.6).
    /// @param deadline Seconds within which the tip must consume a queued message (§16).
    /// @param pause Seconds a guardian pause lasts at most; `deadline >= 2 * pause`.
    /// @param cooldown Seconds after a pause ends before the next may start; `cooldown >= deadline - pause`.
    struct Config {
        address bridge;
        address dispute;
        address sequencer;
        address guardian;
        uint64 window;
        uint256 stake;
        uint256 challengeBond;
        uint64 deadline;
        uint64 pause;
        uint64 cooldown;
    }

    // -----------------------------------------------------------------------------------------------------
    // Events
    // -----------------------------------------------------------------------------------------------------

    /// @notice Batch `index` was committed; its header and records are in this transaction's input.
    event BatchCommitted(
        uint64 indexed index,
        address indexed committer,
        bytes32 dataRoot,
        bytes32 stateRoot,
        bytes32 traceRoot,
        uint32 recordCount,
        uint64 msgsBefore,
        uint64 msgsAfter
    );

    /// @notice Batch `index` is final with `stateRoot`. Emitted for the genesis batch 0 at deployment.
    event BatchFinalized(uint64 indexed index, bytes32 stateRoot);

    /// @notice Batch `index` lost a dispute game: the tip rewound to its parent (dropping every later batch;
    ///         no rewind if the rollup froze before the game was resolved) and the epoch is `epoch`; `reward` of the committer's stake went to `challenger`'s
    ///         credit and `burned` is locked here forever.
    event BatchRejected(uint64 indexed index, uint32 epoch, address indexed challenger, uint256 reward, uint256 burned);

    /// @notice A game against batch `index` was opened; the Rollup holds its challenge bond.
    event GameLocked(uint64 indexed index, address indexed challenger, uint32 openGames);

    /// @notice A game against batch `index` ended; its bond went to `bondTo`'s credit; `counted` is false when
    ///         the batch was dropped first and the game ended as a refund.
    event GameSettled(uint64 indexed index, address indexed challenger, address bondTo, bool counted);

    /// @notice `staker` added `amount` wei to its stake, now `total`.
    event Staked(address indexed staker, uint256 amount, uint256 total);

    /// @notice `staker` moved its whole stake, `amount` wei, to its credit.
    event Unstaked(address indexed staker, uint256 amount);

    /// @notice `owner` withdrew `amount` wei of credit to `to`.
    event CreditWithdrawn(address indexed owner, address indexed to, uint256 amount);

    /// @notice The rollup froze: message `overdue` was not consumed by the tip within `DEADLINE`. Batch
    ///         `finalBatch` is pinned for exits, every later batch is dropped.
    event Frozen(uint64 indexed finalBatch, uint64 overdue, address indexed by);

    /// @notice The guardian paused commits and deposits until `until`; the next pause may start at
    ///         `nextPauseAt`.
    event Paused(uint64 until, uint64 nextPauseAt);

    /// @notice The guardian ended its pause early.
    event Unpaused();

    /// @notice The guardian replaced the sequencer (the new one stakes its own `STAKE`).
    event SequencerRotated(address indexed previous, address indexed next);

    // -----------------------------------------------------------------------------------------------------
    // Errors
    // -----------------------------------------------------------------------------------------------------

    /// @notice A constructor argument is zero where it must not be (`what` names it).
    error ZeroParameter(string what);
    /// @notice The Bridge address already holds code: the Bridge is deployed after the Rollup, naming it.
    error BridgeAlreadyDeployed(address bridge);
    /// @notice Only the sequencer commits batches.
    error NotSequencer();
    /// @notice The committer has code (a contract, or an EIP-7702 delegation): it could commit from inside
    ///         another call, where derivation does not look.
    error CallerHasCode(address caller);
    /// @notice A commit must be the transaction's top-level call (`msg.sender == tx.origin`).
    error NotDirectCall();
    /// @notice The committer's stake is below `STAKE`.
    error InsufficientStake(uint256 staked, uint256 required);
    /// @notice A commit's parent must be the tip.
    error WrongParent(uint64 given, uint64 tip);
    /// @notice The header is not `k ≤ 16` entries of 8 bytes with strictly increasing tokens.
    error BadHeader();
    /// @notice The records are not a whole number of 128-byte records.
    error BadRecordLength(uint256 length);
    /// @notice More records than `MAX_RECORDS`.
    error TooManyRecords(uint256 count, uint256 max);
    /// @notice The post-state consumed fewer messages than the parent.
    error MessagesRewound(uint64 consumed, uint64 msgsBefore);
    /// @notice The batch consumes more than `MAX_MSGS` messages.
    error TooManyMessages(uint256 count, uint256 max);
    /// @notice The post-state consumed messages the Bridge has not queued.
    error MessagesNotQueued(uint64 consumed, uint64 queued);
    /// @notice A batch must consume a message or carry a record.
    error EmptyBatch();
    /// @notice No batch has this index (it is past the tip).
    error UnknownBatch(uint64 index);
    /// @notice The batch is already final.
    error AlreadyFinal(uint64 index);
    /// @notice The batch's parent is not final yet.
    error ParentNotFinal(uint64 index, uint64 lastFinalized);
    /// @notice The batch's challenge window runs until `finalAt`.
    error NotFinal(uint64 index, uint256 finalAt);
    /// @notice Dispute games against the batch are still open.
    error GamesOpen(uint64 index, uint32 openGames);
    /// @notice Only the DisputeGame contract calls this.
    error NotDispute(address caller);
    /// @notice The batch is final or was dropped by a rewind: no game may be opened against it.
    error BatchNotPending(uint64 index);
    /// @notice The batch's challenge window closed at `closedAt`.
    error ChallengeWindowClosed(uint64 index, uint256 closedAt);
    /// @notice A game must lock exactly the challenge bond.
    error WrongChallengeBond(uint256 sent, uint256 required);
    /// @notice The batch a game was opened against was dropped by a rewind.
    error BatchDropped(uint64 index, uint32 epoch);
    /// @notice The chain is not final yet at the staker's newest batch.
    error StakeLocked(address staker, uint64 pendingBatch);
    /// @notice The caller has no stake.
    error NoStake(address staker);
    /// @notice The caller has no credit to withdraw.
    error NoCredit(address owner);
    /// @notice Sending withdrawn credit to `to` failed.
    error CreditPayoutFailed(address to, uint256 amount);
    /// @notice `deadline` is below twice `pause`: a pause could eat half an honest sequencer's deadline.
    error DeadlineTooShort(uint64 deadline, uint64 pause);
    /// @notice `cooldown` is below `deadline - pause`: two pauses could fall inside one deadline.
    error CooldownTooShort(uint64 cooldown, uint64 minimum);
    /// @notice The rollup is frozen: nothing commits, finalizes, deposits or moves in a game.
    error RollupFrozen();
    /// @notice The rollup is already frozen.
    error AlreadyFrozen();
    /// @notice Message `index` was consumed by the tip (`consumed` messages): it is not overdue.
    error MessageConsumed(uint64 index, uint64 consumed);
    /// @notice The message given is not the one the Bridge queued at `index`.
    error MessageMismatch(uint64 index);
    /// @notice Message `index` is due at `dueAt`; the rollup freezes only after that.
    error NotOverdue(uint64 index, uint256 dueAt);
    /// @notice Only the guardian pauses, unpauses and rotates the sequencer.
    error NotGuardian(address caller);
    /// @notice The guardian paused commits until `until`.
    error CommitsPaused(uint64 until);
    /// @notice A new pause may start only at `nextPauseAt` (a pause is never renewed within the cooldown).
    error PauseInCooldown(uint64 nextPauseAt);
    /// @notice There is no pause to end.
    error NotPaused();

    // -----------------------------------------------------------------------------------------------------
    // Batches
    // -----------------------------------------------------------------------------------------------------

    /// @notice Commits batch `tip + 1` on top of `parent` (which must be the tip). Only the sequencer, with
    ///         at least `STAKE` staked, called directly from an account without code. Computes the batch's
    ///         data root from `header` and `records`.
    /// @param parent The current tip.
    /// @param header Fee recipients: up to 16 entries `token:u32 ‖ account:u32`, tokens strictly increasing.
    /// @param records `n ≤ 512` records of 128 bytes.
    /// @param post Preimage of the batch's post-state root; its `msgsConsumed` gives the messages consumed.
    /// @param traceRoot Root of the trace tree over the batch's step roots.
    /// @return index The new batch's index.
    function commitBatch(
        uint64 parent,
        bytes calldata header,
        bytes calldata records,
        StatePreimage calldata post,
        bytes32 traceRoot
    ) external returns (uint64 index);

    /// @notice Finalizes batch `index` once its parent is final, its window has passed and no game against
    ///         it is open; anyone may call.
    function finalizeBatch(uint64 index) external;

    // -----------------------------------------------------------------------------------------------------
    // Stake and credit
    // -----------------------------------------------------------------------------------------------------

    /// @notice Adds `msg.value` to the caller's stake. A committer needs `STAKE` staked.
    function stake() external payable;

    /// @notice Moves the caller's whole stake to its credit, once the chain is final at the index of its newest
    ///         batch (so none of its batches can still lose a game, even after a rewind dropped the newest).
    function unstake() external;

    /// @notice Sends the caller's whole credit (won bonds and rewards, unstaked stake) to `to`.
    function withdrawCredit(address payable to) external;

    // -----------------------------------------------------------------------------------------------------
    // Escape hatch (§16) and guardian (§17)
    // -----------------------------------------------------------------------------------------------------

    /// @notice Freezes the rollup; anyone may call once a queued message `m` is not consumed by the tip
    ///         more than `DEADLINE` after it was queued. Pins the last final batch for exits and refunds
    ///         (the Bridge pays them), drops every later batch, and stops commits, finalization, deposits and
    ///         game moves for good. Queue times never decrease, so any overdue message will do.
    /// @param m The overdue message, as the Bridge queued it (from its `MessageQueued` event).
    function freeze(L1Message calldata m) external;

    /// @notice Guardian only: pauses commits and deposits for `PAUSE` seconds. Never forced withdrawals,
    ///         games, finalization, withdrawals, the freeze, exits or refunds; never within the cooldown.
    function pause() external;

    /// @notice Guardian only: ends the current pause early (the cooldown still counts from its planned end).
    function unpause() external;

    /// @notice Guardian only: names a new sequencer, which must stake `STAKE` before it commits.
    function setSequencer(address next) external;

    // -----------------------------------------------------------------------------------------------------
    // Dispute hooks (DisputeGame only)
    // -----------------------------------------------------------------------------------------------------

    /// @notice Locks `msg.value` (exactly `CHALLENGE_BOND`) for a game by `challenger` against batch `index`,
    ///         which must be pending and inside its window; counts the game so the batch cannot finalize.
    /// @return b The batch record. @return parentRoot The parent's state root (step 0's pre-root).
    function lockChallenge(uint64 index, address challenger)
        external
        payable
        returns (Batch memory b, bytes32 parentRoot);

    /// @notice Ends a game against batch `index` committed in `epoch`. If the batch was dropped meanwhile the
    ///         bond is refunded; else a challenger win rewinds the tip to the batch's parent and pays
    ///         the challenger its bond and half the committer's stake (the other half burned), and a
    ///         defender win pays the bond to the committer. A challenger win decided before a freeze that
    ///         dropped the batch still slashes (without a rewind: the tip is pinned).
    /// @return counted Whether the verdict counted (else the game ends as a refund).
    function settleChallenge(uint64 index, uint32 epoch, address challenger, bool challengerWon)
        external
        returns (bool counted);

    // -----------------------------------------------------------------------------------------------------
    // Views
    // -----------------------------------------------------------------------------------------------------

    /// @notice Index of the newest committed batch (0: genesis only).
    function tip() external view returns (uint64);

    /// @notice Index of the newest final batch.
    function lastFinalized() external view returns (uint64);

    /// @notice The rewind counter: bumped each time a batch loses a game.
    function epoch() external view returns (uint32);

    /// @notice The stored record of batch `index`; reverts `UnknownBatch` past the tip.
    function batch(uint64 index) external view returns (Batch memory);

    /// @notice The record of batch `index` if it is still the one committed in `epoch_`; else reverts
    ///         `BatchDropped`.
    function liveBatch(uint64 index, uint32 epoch_) external view returns (Batch memory);

    /// @notice True iff batch `index` is still the one committed in `epoch_` (not past the tip, not
    ///         re-committed after a rewind).
    function isLive(uint64 index, uint32 epoch_) external view returns (bool);

    /// @notice State root of batch `index`; reverts `UnknownBatch` past the tip.
    function stateRoot(uint64 index) external view returns (bytes32);

    /// @notice True iff batch `index` is final.
    function isFinal(uint64 index) external view returns (bool);

    /// @notice EIP-712 domain separator of L2 transactions: this chain's id and this contract's address.
    function domainSeparator() external view returns (bytes32);

    /// @notice Wei staked by `staker`.
    function stakeOf(address staker) external view returns (uint256);

    /// @notice Wei credited to `owner` and not yet withdrawn.
    function creditOf(address owner) external view returns (uint256);

    /// @notice Wei of slashed stakes burned: held by this contract, released by no function.
    function burned() external view returns (uint256);

    /// @notice The Bridge whose message queue batches consume.
    function BRIDGE() external view returns (address);

    /// @notice The DisputeGame contract whose games judge pending batches.
    function DISPUTE() external view returns (address);

    /// @notice Challenge window, in seconds.
    function WINDOW() external view returns (uint64);

    /// @notice Stake, in wei, a committer must hold.
    function STAKE() external view returns (uint256);

    /// @notice Bond, in wei, each dispute game locks.
    function CHALLENGE_BOND() external view returns (uint256);

    /// @notice The address allowed to commit batches.
    function sequencer() external view returns (address);

    /// @notice The guardian: pauses commits and deposits, rotates the sequencer.
    function GUARDIAN() external view returns (address);

    /// @notice Seconds within which the tip must consume a queued message before anyone may freeze.
    function DEADLINE() external view returns (uint64);

    /// @notice Seconds a guardian pause lasts at most.
    function PAUSE() external view returns (uint64);

    /// @notice Seconds after a pause's end before the next may start.
    function COOLDOWN() external view returns (uint64);

    /// @notice True once the rollup is frozen (for good).
    function frozen() external view returns (bool);

    /// @notice End of the current or last pause (commits and deposits are paused while `now < pausedUntil`).
    function pausedUntil() external view returns (uint64);

    /// @notice Earliest time the guardian may start its next pause.
    function nextPauseAt() external view returns (uint64);
}
