// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Batch, StatePreimage} from "../libraries/Types.sol";

/// @title IRollup
/// @notice Bulwark's chain of batch commitments (PROTOCOL §9–§10): the sequencer commits batches on top of
///         the tip with a bond, each batch finalizes after the challenge window once its parent is final,
///         and finalizing credits the bond back to its committer.
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

    /// @notice Batch `index` is final with `stateRoot`; its committer's bond became withdrawable. Emitted for
    ///         the genesis batch 0 at deployment.
    event BatchFinalized(uint64 indexed index, bytes32 stateRoot);

    /// @notice `owner` withdrew `amount` wei of credited bonds to `to`.
    event BondWithdrawn(address indexed owner, address indexed to, uint256 amount);

    // -----------------------------------------------------------------------------------------------------
    // Errors
    // -----------------------------------------------------------------------------------------------------

    /// @notice Only the sequencer commits batches.
    error NotSequencer();
    /// @notice A commit must be the transaction's top-level call (`msg.sender == tx.origin`).
    error NotDirectCall();
    /// @notice A commit must carry exactly the bond.
    error WrongBond(uint256 sent, uint256 required);
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
    /// @notice The caller has no bond to withdraw.
    error NoBond(address owner);
    /// @notice Sending withdrawn bonds to `to` failed.
    error BondPayoutFailed(address to, uint256 amount);

    // -----------------------------------------------------------------------------------------------------
    // Batches
    // -----------------------------------------------------------------------------------------------------

    /// @notice Commits batch `tip + 1` on top of `parent` (which must be the tip), paying `BOND`. Only the
    ///         sequencer, called directly. Computes the batch's data root from `header` and `records`.
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
    ) external payable returns (uint64 index);

    /// @notice Finalizes batch `index` once its parent is final and its window has passed; anyone may call.
    ///         Credits the batch's bond to its committer.
    function finalizeBatch(uint64 index) external;

    /// @notice Sends the caller's credited bonds to `to`.
    function withdrawBond(address payable to) external;

    // -----------------------------------------------------------------------------------------------------
    // Views
    // -----------------------------------------------------------------------------------------------------

    /// @notice Index of the newest committed batch (0: genesis only).
    function tip() external view returns (uint64);

    /// @notice Index of the newest final batch.
    function lastFinalized() external view returns (uint64);

    /// @notice The stored record of batch `index`; reverts `UnknownBatch` past the tip.
    function batch(uint64 index) external view returns (Batch memory);

    /// @notice State root of batch `index`; reverts `UnknownBatch` past the tip.
    function stateRoot(uint64 index) external view returns (bytes32);

    /// @notice True iff batch `index` is final.
    function isFinal(uint64 index) external view returns (bool);

    /// @notice EIP-712 domain separator of L2 transactions: this chain's id and this contract's address.
    function domainSeparator() external view returns (bytes32);

    /// @notice Bonds credited to `owner` and not yet withdrawn.
    function bondOf(address owner) external view returns (uint256);

    /// @notice The Bridge whose message queue batches consume.
    function BRIDGE() external view returns (address);

    /// @notice Challenge window, in seconds.
    function WINDOW() external view returns (uint64);

    /// @notice Bond, in wei, each commit carries.
    function BOND() external view returns (uint256);

    /// @notice The address allowed to commit batches.
    function sequencer() external view returns (address);
}
