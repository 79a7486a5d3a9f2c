// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccountLeaf, L1Message, StatePreimage, WithdrawalLeaf} from "../libraries/Types.sol";

/// @title IBridge
/// @notice The L1 side of Bulwark's value flows (PROTOCOL §4, §11, §16): one ordered queue of L1 → L2
///         messages (deposits and forced withdrawals), the token registry, withdrawal payouts against final
///         batches and, once the rollup froze, the escape hatch: exits of account leaves and refunds of
///         unconsumed messages.
interface IBridge {
    // -----------------------------------------------------------------------------------------------------
    // Events
    // -----------------------------------------------------------------------------------------------------

    /// @notice Message `index` joined the queue; `hash` is what the Bridge stores (§4).
    event MessageQueued(
        uint64 indexed index,
        uint8 kind,
        address indexed sender,
        uint64 target,
        uint32 token,
        uint128 amount,
        uint64 queuedAt,
        bytes32 hash
    );

    /// @notice An ERC20 received its token id on its first deposit. Emitted for ETH (id 0, address zero) at
    ///         deployment, so the events alone give the whole registry.
    event TokenRegistered(uint32 indexed id, address indexed token);

    /// @notice Withdrawal leaf `index` was paid, proven against final batch `batchIndex`.
    event WithdrawalFinalized(
        uint32 indexed index, address indexed recipient, uint32 token, uint128 amount, uint64 batchIndex
    );

    /// @notice Account leaf `index` of the pinned batch was paid out to its owner.
    event Exited(uint32 indexed index, address indexed owner, uint32 token, uint128 amount);

    /// @notice Message `index`, not consumed by the pinned batch, was refunded to its L1 sender.
    event Refunded(uint64 indexed index, address indexed sender, uint32 token, uint128 amount);

    /// @notice The guardian paused deposits until `until` (through the Rollup).
    event DepositsPaused(uint64 until);

    /// @notice The rollup froze at batch `finalBatch`: exits prove against `stateRoot`, messages from
    ///         `msgsConsumed` on are refunded.
    event EscapeOpened(uint64 indexed finalBatch, bytes32 stateRoot, uint64 msgsConsumed);

    // -----------------------------------------------------------------------------------------------------
    // Errors
    // -----------------------------------------------------------------------------------------------------

    /// @notice The Rollup named in the constructor does not name this Bridge as its own.
    error WrongRollup(address rollup, address rollupsBridge);
    /// @notice A deposit or forced withdrawal of zero (for ERC20: nothing arrived).
    error ZeroAmount();
    /// @notice An ERC20 deposit named the zero address as token.
    error ZeroToken();
    /// @notice The amount does not fit a u128.
    error AmountTooLarge(uint256 amount);
    /// @notice The token id was never registered.
    error UnknownToken(uint32 token);
    /// @notice All 2^32 token ids are taken.
    error TokenIdsExhausted();
    /// @notice The batch a withdrawal is proven against is not final (or does not exist).
    error BatchNotFinal(uint64 batchIndex);
    /// @notice The state preimage does not hash to the batch's state root.
    error StateRootMismatch(uint64 batchIndex, bytes32 given, bytes32 stored);
    /// @notice A withdrawal or account proof does not have exactly 32 siblings.
    error BadProofLength(uint256 length);
    /// @notice The withdrawal leaf is not in the state's withdrawal tree.
    error WithdrawalNotInState(uint32 index);
    /// @notice Withdrawal leaf `index` was already paid.
    error AlreadyPaid(uint32 index);
    /// @notice The ETH payout to `recipient` failed.
    error PayoutFailed(address recipient, uint128 amount);
    /// @notice Only the Rollup pauses deposits and opens the escape hatch.
    error NotRollup(address caller);
    /// @notice The guardian paused deposits until `until`.
    error DepositsPausedUntil(uint64 until);
    /// @notice The rollup is frozen: the queue is closed.
    error QueueClosed();
    /// @notice The rollup is not frozen: no exit or refund yet.
    error NotFrozen();
    /// @notice The state preimage does not hash to the pinned batch's root (an exit proves against it only).
    error NotEscapeRoot(bytes32 given, bytes32 escapeRoot);
    /// @notice The account leaf is not in the pinned state's account tree at `index`.
    error AccountNotInState(uint32 index);
    /// @notice Account leaf `index` already exited.
    error AlreadyExited(uint32 index);
    /// @notice Account leaf `index` holds nothing.
    error NothingToExit(uint32 index);
    /// @notice Message `index` was consumed by the pinned batch: its value is in the pinned state.
    error MessageConsumed(uint64 index, uint64 msgsConsumed);
    /// @notice The message given is not the one queued at `index`.
    error MessageMismatch(uint64 index);
    /// @notice Message `index` was already refunded.
    error AlreadyRefunded(uint64 index);
    /// @notice Message `index` carries no value (a forced withdrawal).
    error NothingToRefund(uint64 index);

    // -----------------------------------------------------------------------------------------------------
    // Queue
    // -----------------------------------------------------------------------------------------------------

    /// @notice Deposits `msg.value` wei of ETH (token 0) for L2 account `target`, or a new account if
    ///         `target` is `NEW_ACCOUNT`; the L2 state transition decides where it lands (§7.1).
    /// @return index The message's queue index.
    function depositETH(uint64 target) external payable returns (uint64 index);

    /// @notice Pulls `amount` of ERC20 `token` from the caller and deposits what arrived (the Bridge's
    ///         balance change) for L2 account `target`. Registers the token on its first deposit.
    /// @dev Needs an allowance; reverts `ZeroAmount` if nothing arrived.
    /// @return index The message's queue index.
    function depositERC20(address token, uint256 amount, uint64 target) external returns (uint64 index);

    /// @notice Queues a forced withdrawal of `amount` of `token` from L2 account `account`, which the caller
    ///         must own on L2; the L2 state transition skips it otherwise (§7.2).
    /// @return index The message's queue index.
    function forceWithdrawal(uint64 account, uint32 token, uint128 amount) external returns (uint64 index);

    // -----------------------------------------------------------------------------------------------------
    // Withdrawals
    // -----------------------------------------------------------------------------------------------------

    /// @notice Pays withdrawal leaf `leaf` to its recipient, proven with 32 siblings against the withdrawal
    ///         tree of `post`, the state preimage of final batch `batchIndex`. Anyone may call; each leaf
    ///         index pays at most once.
    function finalizeWithdrawal(
        uint64 batchIndex,
        StatePreimage calldata post,
        WithdrawalLeaf calldata leaf,
        bytes32[] calldata proof
    ) external;

    // -----------------------------------------------------------------------------------------------------
    // Escape hatch (§16)
    // -----------------------------------------------------------------------------------------------------

    /// @notice Pays account leaf `leaf` at `index` of the pinned batch's state `post` to its owner, proven
    ///         with 32 siblings. Anyone may call; each account index exits at most once.
    function exit(StatePreimage calldata post, AccountLeaf calldata leaf, uint32 index, bytes32[] calldata proof)
        external;

    /// @notice Gives message `m`'s value back to its L1 sender, if the pinned batch did not consume it.
    ///         Anyone may call; each queue index is refunded at most once.
    function refund(L1Message calldata m) external;

    // -----------------------------------------------------------------------------------------------------
    // Rollup hooks
    // -----------------------------------------------------------------------------------------------------

    /// @notice Rollup only: deposits revert until `until` (the guardian's pause).
    function pauseDeposits(uint64 until) external;

    /// @notice Rollup only: the rollup froze at `finalBatch`; closes the queue and opens exits and refunds.
    function freeze(uint64 finalBatch, bytes32 stateRoot, uint64 msgsConsumed) external;

    // -----------------------------------------------------------------------------------------------------
    // Views
    // -----------------------------------------------------------------------------------------------------

    /// @notice The Rollup whose final batches pay withdrawals.
    function ROLLUP() external view returns (address);

    /// @notice Number of messages ever queued; the next message's index.
    function messageCount() external view returns (uint64);

    /// @notice Stored hash of message `index` (zero if not queued).
    function messageHash(uint64 index) external view returns (bytes32);

    /// @notice Address of token `id` (zero for ETH, id 0, and for unregistered ids).
    function tokenAddress(uint32 id) external view returns (address);

    /// @notice Token id of `token`; the zero address is ETH (id 0, registered).
    function tokenIdOf(address token) external view returns (uint32 id, bool registered);

    /// @notice Number of registered tokens, ETH included: ids `0 .. tokenCount()` are registered.
    function tokenCount() external view returns (uint32);

    /// @notice True iff withdrawal leaf `index` was paid.
    function paid(uint32 index) external view returns (bool);

    /// @notice True iff account leaf `index` of the pinned batch exited.
    function exited(uint32 index) external view returns (bool);

    /// @notice True iff message `index` was refunded.
    function refunded(uint64 index) external view returns (bool);

    /// @notice End of the guardian's deposit pause (deposits revert while `now < depositsPausedUntil`).
    function depositsPausedUntil() external view returns (uint64);

    /// @notice The pinned batch, its state root and its messages consumed; reverts `NotFrozen` before.
    function escape() external view returns (uint64 finalBatch, bytes32 stateRoot, uint64 msgsConsumed);
}
