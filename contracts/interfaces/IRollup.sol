// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Batch, StatePreimage} from "../libraries/Types.sol";

/// @title IRollup
/// @notice Bulwark's chain of batch commitments (PROTOCOL §9–§10, §14): a staked sequencer commits batches
///         on top of the tip; a batch finalizes after the challenge window once its parent is final and no
///         dispute game against it is open; a batch that loses a game rewinds the tip to its parent and its
///         committer's stake pays the winner. The Rollup holds every wei of stakes and challenge bonds and
///         pays out through one pull ledger (`creditOf`).
interface IRollup {
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

    /// @notice Batch `index` lost a dispute game: the tip rewound to its parent (dropping every later batch)
    ///         and the epoch moved to `epoch`; `reward` of the committer's stake went to `challenger`'s
    ///         credit and `burned` is locked here forever.
    event BatchRejected(uint64 indexed index, uint32 epoch, address indexed challenger, uint256 reward, uint256 burned);

    /// @notice A game against batch `index` was opened; the Rollup holds its challenge bond.
    event GameLocked(uint64 indexed index, address indexed challenger, uint32 openGames);

    /// @notice A game against batch `index` ended; its bond went to `bondTo`'s credit.
    event GameSettled(uint64 indexed index, address indexed challenger, address bondTo, bool batchLive);

    /// @notice `staker` added `amount` wei to its stake, now `total`.
    event Staked(address indexed staker, uint256 amount, uint256 total);

    /// @notice `staker` moved its whole stake, `amount` wei, to its credit.
    event Unstaked(address indexed staker, uint256 amount);

    /// @notice `owner` withdrew `amount` wei of credit to `to`.
    event CreditWithdrawn(address indexed owner, address indexed to, uint256 amount);

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
    ///         defender win pays the bond to the committer.
    /// @return live Whether the batch was still live (not dropped) when the game ended.
    function settleChallenge(uint64 index, uint32 epoch, address challenger, bool challengerWon)
        external
        returns (bool live);

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
}
