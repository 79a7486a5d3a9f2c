// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {LowLevelCall} from "@openzeppelin/contracts/utils/LowLevelCall.sol";
import {BitMaps} from "@openzeppelin/contracts/utils/structs/BitMaps.sol";

import {IBridge} from "../interfaces/IBridge.sol";
import {IRollup} from "../interfaces/IRollup.sol";
import {LibHash} from "../libraries/LibHash.sol";
import {LibTree} from "../libraries/LibTree.sol";
import {
    TREE_DEPTH,
    MSG_DEPOSIT,
    MSG_FORCED_WITHDRAWAL,
    AccountLeaf,
    L1Message,
    StatePreimage,
    WithdrawalLeaf
} from "../libraries/Types.sol";

/// @title Bridge
/// @notice Holds Bulwark's L1 value: queues deposits and forced withdrawals as L1 messages (PROTOCOL §4),
///         pays withdrawal leaves proven against final batches of the Rollup (§11) and, once the Rollup froze,
///         pays each account of the pinned batch and refunds each message it did not consume (§16).
/// @dev Deployed after the Rollup, which names this contract's (predicted) address as its immutable BRIDGE;
///      the constructor checks that wiring. ETH enters only through `depositETH`. Every payout is one
///      recipient's own call: a recipient that cannot receive blocks only its own payout.
contract Bridge is IBridge, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using BitMaps for BitMaps.BitMap;

    /// @inheritdoc IBridge
    address public immutable ROLLUP;

    /// @dev Messages queued. With the three fields below in one slot: every deposit reads them all.
    uint64 private _messageCount;
    /// @dev Registered tokens, ETH (id 0, address zero) included.
    uint32 private _tokenCount = 1;
    /// @inheritdoc IBridge
    uint64 public depositsPausedUntil;
    /// @dev Set once, by the Rollup's freeze: the queue is closed and the escape hatch open.
    bool private _frozen;

    /// @dev Hash of each message (§4); its preimage holds the queued-at time (§16 reads it from there).
    mapping(uint64 index => bytes32) private _messageHash;
    mapping(uint32 id => address) private _tokenAddress;
    /// @dev Id of each registered ERC20 (never 0: id 0 is ETH).
    mapping(address token => uint32) private _tokenId;

    /// @dev Withdrawal leaf indices already paid.
    BitMaps.BitMap private _paid;

    /// @dev The pinned batch's state root once frozen (a keccak output, so nonzero: an exit reads only it).
    bytes32 private _escapeRoot;
    /// @dev The pinned batch and its messages consumed, with the flag a refund reads: one slot.
    uint64 private _escapeBatch;
    uint64 private _escapeMsgs;
    bool private _escapeOpen;
    /// @dev Account indices of the pinned state already exited.
    BitMaps.BitMap private _exited;
    /// @dev Queue indices already refunded.
    BitMaps.BitMap private _refunded;

    modifier onlyRollup() {
        if (msg.sender != ROLLUP) revert NotRollup(msg.sender);
        _;
    }

    /// @param rollup The Rollup, already deployed with this contract's address as its BRIDGE.
    constructor(address rollup) {
        address named = IRollup(rollup).BRIDGE();
        if (named != address(this)) revert WrongRollup(rollup, named);
        ROLLUP = rollup;
        emit TokenRegistered(0, address(0));
    }

    // -----------------------------------------------------------------------------------------------------
    // Queue
    // -----------------------------------------------------------------------------------------------------

    /// @inheritdoc IBridge
    function depositETH(uint64 target) external payable returns (uint64 index) {
        _checkDepositsOpen();
        if (msg.value == 0) revert ZeroAmount();
        if (msg.value > type(uint128).max) revert AmountTooLarge(msg.value);
        return _queue(MSG_DEPOSIT, target, 0, uint128(msg.value));
    }

    /// @inheritdoc IBridge
    function depositERC20(address token, uint256 amount, uint64 target) external nonReentrant returns (uint64 index) {
        _checkDepositsOpen();
        if (token == address(0)) revert ZeroToken();
        if (amount == 0) revert ZeroAmount();
        uint32 id = _tokenId[token];
        if (id == 0) id = _register(token);

        // Interaction before the queue write is unavoidable: the credit is what arrived. nonReentrant covers it.
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - before;

        if (received == 0) revert ZeroAmount();
        if (received > type(uint128).max) revert AmountTooLarge(received);
        // casting to 'uint128' is safe because `received` was just checked against type(uint128).max
        // forge-lint: disable-next-line(unsafe-typecast)
        return _queue(MSG_DEPOSIT, target, id, uint128(received));
    }

    /// @inheritdoc IBridge
    function forceWithdrawal(uint64 account, uint32 token, uint128 amount) external returns (uint64 index) {
        // Never paused: a forced withdrawal is how a censored user gets out (§17).
        if (_frozen) revert QueueClosed();
        if (amount == 0) revert ZeroAmount();
        if (token >= _tokenCount) revert UnknownToken(token);
        return _queue(MSG_FORCED_WITHDRAWAL, account, token, amount);
    }

    // -----------------------------------------------------------------------------------------------------
    // Withdrawals
    // -----------------------------------------------------------------------------------------------------

    /// @inheritdoc IBridge
    function finalizeWithdrawal(
        uint64 batchIndex,
        StatePreimage calldata post,
        WithdrawalLeaf calldata leaf,
        bytes32[] calldata proof
    ) external nonReentrant {
        // Checks (§11, in order).
        IRollup rollup = IRollup(ROLLUP);
        if (!rollup.isFinal(batchIndex)) revert BatchNotFinal(batchIndex);
        bytes32 given = LibHash.stateRoot(post);
        bytes32 stored = rollup.stateRoot(batchIndex);
        if (given != stored) revert StateRootMismatch(batchIndex, given, stored);
        if (proof.length != TREE_DEPTH) revert BadProofLength(proof.length);
        // Positions at or past withdrawalCount hold Z[0]; the first test is redundant for an honest tree.
        if (
            leaf.index >= post.withdrawalCount
                || !LibTree.verify(post.withdrawalsRoot, LibHash.withdrawalLeaf(leaf), leaf.index, proof)
        ) revert WithdrawalNotInState(leaf.index);
        if (_paid.get(leaf.index)) revert AlreadyPaid(leaf.index);
        // Unreachable for leaves the STF writes (tokens reach L2 only through deposits); a safety net.
        if (leaf.token >= _tokenCount) revert UnknownToken(leaf.token);

        // Effects.
        _paid.set(leaf.index);
        emit WithdrawalFinalized(leaf.index, leaf.recipient, leaf.token, leaf.amount, batchIndex);

        // Interaction.
        _pay(leaf.recipient, leaf.token, leaf.amount);
    }

    // -----------------------------------------------------------------------------------------------------
    // Escape hatch (§16)
    // -----------------------------------------------------------------------------------------------------

    /// @inheritdoc IBridge
    function exit(StatePreimage calldata post, AccountLeaf calldata leaf, uint32 index, bytes32[] calldata proof)
        external
        nonReentrant
    {
        // Checks.
        bytes32 pinned = _escapeRoot;
        if (pinned == 0) revert NotFrozen();
        bytes32 given = LibHash.stateRoot(post);
        if (given != pinned) revert NotEscapeRoot(given, pinned);
        if (proof.length != TREE_DEPTH) revert BadProofLength(proof.length);
        // Positions at or past nextAccountIndex hold Z[0], which no account leaf hashes to.
        if (
            index >= post.nextAccountIndex
                || !LibTree.verify(post.accountsRoot, LibHash.accountLeaf(leaf), index, proof)
        ) {
            revert AccountNotInState(index);
        }
        if (_exited.get(index)) revert AlreadyExited(index);
        if (leaf.balance == 0) revert NothingToExit(index);

        // Effects.
        _exited.set(index);
        emit Exited(index, leaf.owner, leaf.token, leaf.balance);

        // Interaction.
        _pay(leaf.owner, leaf.token, leaf.balance);
    }

    /// @inheritdoc IBridge
    function refund(L1Message calldata m) external nonReentrant {
        // Checks.
        if (!_escapeOpen) revert NotFrozen();
        uint64 consumed = _escapeMsgs;
        if (m.index < consumed) revert MessageConsumed(m.index, consumed);
        // An index never queued has hash zero, which no preimage matches.
        if (LibHash.message(m) != _messageHash[m.index]) revert MessageMismatch(m.index);
        if (_refunded.get(m.index)) revert AlreadyRefunded(m.index);
        if (m.kind != MSG_DEPOSIT) revert NothingToRefund(m.index);

        // Effects.
        _refunded.set(m.index);
        emit Refunded(m.index, m.sender, m.token, m.amount);

        // Interaction.
        _pay(m.sender, m.token, m.amount);
    }

    // -----------------------------------------------------------------------------------------------------
    // Rollup hooks
    // -----------------------------------------------------------------------------------------------------

    /// @inheritdoc IBridge
    function pauseDeposits(uint64 until) external onlyRollup {
        depositsPausedUntil = until;
        emit DepositsPaused(until);
    }

    /// @inheritdoc IBridge
    function freeze(uint64 finalBatch, bytes32 stateRoot, uint64 msgsConsumed) external onlyRollup {
        _frozen = true;
        _escapeRoot = stateRoot;
        _escapeBatch = finalBatch;
        _escapeMsgs = msgsConsumed;
        _escapeOpen = true;
        emit EscapeOpened(finalBatch, stateRoot, msgsConsumed);
    }

    // -----------------------------------------------------------------------------------------------------
    // Views
    // -----------------------------------------------------------------------------------------------------

    /// @inheritdoc IBridge
    function messageCount() external view returns (uint64) {
        return _messageCount;
    }

    /// @inheritdoc IBridge
    function messageHash(uint64 index) external view returns (bytes32) {
        return _messageHash[index];
    }

    /// @inheritdoc IBridge
    function tokenAddress(uint32 id) external view returns (address) {
        return _tokenAddress[id];
    }

    /// @inheritdoc IBridge
    function tokenIdOf(address token) external view returns (uint32 id, bool registered) {
        if (token == address(0)) return (0, true);
        id = _tokenId[token];
        registered = id != 0;
    }

    /// @inheritdoc IBridge
    function tokenCount() external view returns (uint32) {
        return _tokenCount;
    }

    /// @inheritdoc IBridge
    function paid(uint32 index) external view returns (bool) {
        return _paid.get(index);
    }

    /// @inheritdoc IBridge
    function exited(uint32 index) external view returns (bool) {
        return _exited.get(index);
    }

    /// @inheritdoc IBridge
    function refunded(uint64 index) external view returns (bool) {
        return _refunded.get(index);
    }

    /// @inheritdoc IBridge
    function escape() external view returns (uint64 finalBatch, bytes32 stateRoot, uint64 msgsConsumed) {
        if (!_frozen) revert NotFrozen();
        return (_escapeBatch, _escapeRoot, _escapeMsgs);
    }

    // -----------------------------------------------------------------------------------------------------
    // Internal
    // -----------------------------------------------------------------------------------------------------

    /// @dev Appends message (kind, msg.sender, target, token, amount, now) to the queue (§4).
    function _queue(uint8 kind, uint64 target, uint32 token, uint128 amount) private returns (uint64 index) {
        index = _messageCount;
        uint64 at = uint64(block.timestamp);
        bytes32 h = LibHash.message(index, kind, msg.sender, target, token, amount, at);
        unchecked {
            _messageCount = index + 1; // 2^64 messages are unreachable
        }
        _messageHash[index] = h;
        emit MessageQueued(index, kind, msg.sender, target, token, amount, at, h);
    }

    /// @dev Deposits wait out the guardian's pause and stop for good at the freeze.
    function _checkDepositsOpen() private view {
        if (_frozen) revert QueueClosed();
        uint64 until = depositsPausedUntil;
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < until) revert DepositsPausedUntil(until);
    }

    /// @dev Sends `amount` of `token` to `to`. An ETH recipient that refuses reverts this payout only.
    function _pay(address to, uint32 token, uint128 amount) private {
        if (token == 0) {
            if (!LowLevelCall.callNoReturn(to, amount, "")) revert PayoutFailed(to, amount);
        } else {
            IERC20(_tokenAddress[token]).safeTransfer(to, amount);
        }
    }

    /// @dev Gives `token` the next id (append-only, first ERC20 is 1).
    function _register(address token) private returns (uint32 id) {
        id = _tokenCount;
        if (id == type(uint32).max) revert TokenIdsExhausted();
        _tokenCount = id + 1;
        _tokenId[token] = id;
        _tokenAddress[id] = token;
        emit TokenRegistered(id, token);
    }
}
