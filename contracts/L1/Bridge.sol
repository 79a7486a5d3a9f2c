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
import {TREE_DEPTH, MSG_DEPOSIT, MSG_FORCED_WITHDRAWAL, StatePreimage, WithdrawalLeaf} from "../libraries/Types.sol";

/// @title Bridge
/// @notice Holds Bulwark's L1 value: queues deposits and forced withdrawals as L1 messages (PROTOCOL §4) and
///         pays withdrawal leaves proven against final batches of the Rollup (§11).
/// @dev Deployed after the Rollup, which names this contract's (predicted) address as its immutable BRIDGE;
///      the constructor checks that wiring. ETH enters only through `depositETH`.
contract Bridge is IBridge, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using BitMaps for BitMaps.BitMap;

    /// @inheritdoc IBridge
    address public immutable ROLLUP;

    /// @dev Queued-at time of each message, packed four per slot; its length is the message count.
    uint64[] private _queuedAt;
    /// @dev Hash of each message (§4).
    mapping(uint64 index => bytes32) private _messageHash;

    /// @dev Registered tokens, ETH (id 0, address zero) included.
    uint32 private _tokenCount = 1;
    mapping(uint32 id => address) private _tokenAddress;
    /// @dev Id of each registered ERC20 (never 0: id 0 is ETH).
    mapping(address token => uint32) private _tokenId;

    /// @dev Withdrawal leaf indices already paid.
    BitMaps.BitMap private _paid;

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
        if (msg.value == 0) revert ZeroAmount();
        if (msg.value > type(uint128).max) revert AmountTooLarge(msg.value);
        return _queue(MSG_DEPOSIT, target, 0, uint128(msg.value));
    }

    /// @inheritdoc IBridge
    function depositERC20(address token, uint256 amount, uint64 target) external nonReentrant returns (uint64 index) {
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
        if (leaf.token == 0) {
            if (!LowLevelCall.callNoReturn(leaf.recipient, leaf.amount, "")) {
                revert PayoutFailed(leaf.recipient, leaf.amount);
            }
        } else {
            IERC20(_tokenAddress[leaf.token]).safeTransfer(leaf.recipient, leaf.amount);
        }
    }

    // -----------------------------------------------------------------------------------------------------
    // Views
    // -----------------------------------------------------------------------------------------------------

    /// @inheritdoc IBridge
    function messageCount() external view returns (uint64) {
        return uint64(_queuedAt.length);
    }

    /// @inheritdoc IBridge
    function messageHash(uint64 index) external view returns (bytes32) {
        return _messageHash[index];
    }

    /// @inheritdoc IBridge
    function queuedAt(uint64 index) external view returns (uint64) {
        return index < _queuedAt.length ? _queuedAt[index] : 0;
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

    // -----------------------------------------------------------------------------------------------------
    // Internal
    // -----------------------------------------------------------------------------------------------------

    /// @dev Appends message (kind, msg.sender, target, token, amount, now) to the queue (§4).
    function _queue(uint8 kind, uint64 target, uint32 token, uint128 amount) private returns (uint64 index) {
        index = uint64(_queuedAt.length);
        uint64 at = uint64(block.timestamp);
        bytes32 h = LibHash.message(index, kind, msg.sender, target, token, amount, at);
        _queuedAt.push(at);
        _messageHash[index] = h;
        emit MessageQueued(index, kind, msg.sender, target, token, amount, at, h);
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
