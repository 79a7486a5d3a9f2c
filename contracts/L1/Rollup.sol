// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LowLevelCall} from "@openzeppelin/contracts/utils/LowLevelCall.sol";

import {IRollup} from "../interfaces/IRollup.sol";
import {IBridge} from "../interfaces/IBridge.sol";
import {LibHash} from "../libraries/LibHash.sol";
import {LibTree} from "../libraries/LibTree.sol";
import {LibHeader} from "../libraries/LibHeader.sol";
import {LibEIP712} from "../libraries/LibEIP712.sol";
import {RECORD_SIZE, MAX_RECORDS, MAX_MSGS, Batch, StatePreimage} from "../libraries/Types.sol";

/// @title Rollup
/// @notice Bulwark's linear chain of batch commitments (PROTOCOL §9–§10). Batch 0 is genesis, final from
///         deployment; the sequencer commits each next batch on the tip with a bond; a batch finalizes once
///         its parent is final and its challenge window has passed, and its bond becomes withdrawable.
/// @dev Deployed before the Bridge, with the Bridge's predicted address (deployer nonce + 1) as BRIDGE.
///      Storage is laid out for what comes next: disputes rewind `tip`, a guardian rotates `sequencer`.
contract Rollup is IRollup {
    /// @inheritdoc IRollup
    address public immutable BRIDGE;
    /// @inheritdoc IRollup
    uint64 public immutable WINDOW;
    /// @inheritdoc IRollup
    uint256 public immutable BOND;

    /// @inheritdoc IRollup
    address public sequencer;
    /// @dev Newest committed batch; packed with `sequencer`, both read by every commit.
    uint64 private _tip;
    /// @dev Newest final batch.
    uint64 private _lastFinalized;

    mapping(uint64 index => Batch) private _batches;
    /// @inheritdoc IRollup
    mapping(address owner => uint256) public bondOf;

    /// @param bridge The Bridge's address (predicted: it is deployed next, naming this contract).
    /// @param sequencer_ The address allowed to commit batches.
    /// @param window Challenge window in seconds.
    /// @param bond Bond in wei each commit carries.
    constructor(address bridge, address sequencer_, uint64 window, uint256 bond) {
        BRIDGE = bridge;
        WINDOW = window;
        BOND = bond;
        sequencer = sequencer_;
        bytes32 genesis = LibHash.stateRoot(LibTree.emptyRoot(), LibTree.emptyRoot(), 0, 0, 0);
        _batches[0].commitTime = uint64(block.timestamp);
        _batches[0].stateRoot = genesis;
        emit BatchFinalized(0, genesis);
    }

    // -----------------------------------------------------------------------------------------------------
    // Batches
    // -----------------------------------------------------------------------------------------------------

    /// @inheritdoc IRollup
    function commitBatch(
        uint64 parent,
        bytes calldata header,
        bytes calldata records,
        StatePreimage calldata post,
        bytes32 traceRoot
    ) external payable returns (uint64 index) {
        // Checks, in the order of §9.
        uint64 tip_ = _tip;
        if (msg.sender != sequencer) revert NotSequencer();
        if (msg.sender != tx.origin) revert NotDirectCall();
        if (msg.value != BOND) revert WrongBond(msg.value, BOND);
        if (parent != tip_) revert WrongParent(parent, tip_);
        if (!LibHeader.isWellFormed(header)) revert BadHeader();
        if (records.length % RECORD_SIZE != 0) revert BadRecordLength(records.length);
        uint256 n = records.length / RECORD_SIZE;
        if (n > MAX_RECORDS) revert TooManyRecords(n, MAX_RECORDS);
        Batch memory b;
        b.msgsBefore = _batches[parent].msgsAfter;
        b.msgsAfter = post.msgsConsumed;
        _checkMessages(b.msgsBefore, b.msgsAfter, n);

        // Effects.
        b.committer = msg.sender;
        b.commitTime = uint64(block.timestamp);
        // casting to 'uint32' is safe because n <= MAX_RECORDS was checked above
        // forge-lint: disable-next-line(unsafe-typecast)
        b.recordCount = uint32(n);
        b.parent = parent;
        b.dataRoot = LibHash.dataRoot(LibHash.header(header), LibTree.recordsRoot(records));
        b.stateRoot = LibHash.stateRoot(post);
        b.traceRoot = traceRoot;
        unchecked {
            index = tip_ + 1; // 2^64 batches are unreachable
        }
        _batches[index] = b;
        _tip = index;
        emit BatchCommitted(
            index, msg.sender, b.dataRoot, b.stateRoot, traceRoot, b.recordCount, b.msgsBefore, b.msgsAfter
        );
    }

    /// @inheritdoc IRollup
    function finalizeBatch(uint64 index) external {
        // Checks (§10).
        if (index > _tip) revert UnknownBatch(index);
        uint64 last = _lastFinalized;
        if (index <= last) revert AlreadyFinal(index);
        if (index != last + 1) revert ParentNotFinal(index, last);
        Batch storage b = _batches[index];
        uint256 finalAt = uint256(b.commitTime) + WINDOW;
        // The window is days long; a validator's few seconds of timestamp drift do not matter (§10).
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < finalAt) revert NotFinal(index, finalAt);

        // Effects.
        _lastFinalized = index;
        bondOf[b.committer] += BOND;
        emit BatchFinalized(index, b.stateRoot);
    }

    /// @inheritdoc IRollup
    function withdrawBond(address payable to) external {
        uint256 amount = bondOf[msg.sender];
        if (amount == 0) revert NoBond(msg.sender);
        bondOf[msg.sender] = 0;
        emit BondWithdrawn(msg.sender, to, amount);
        if (!LowLevelCall.callNoReturn(to, amount, "")) revert BondPayoutFailed(to, amount);
    }

    /// @dev The message checks of §9: not rewound, at most MAX_MSGS, all queued, and a non-empty batch.
    function _checkMessages(uint64 msgsBefore, uint64 msgsAfter, uint256 n) private view {
        if (msgsAfter < msgsBefore) revert MessagesRewound(msgsAfter, msgsBefore);
        uint256 m = msgsAfter - msgsBefore;
        if (m > MAX_MSGS) revert TooManyMessages(m, MAX_MSGS);
        uint64 queued = IBridge(BRIDGE).messageCount();
        if (msgsAfter > queued) revert MessagesNotQueued(msgsAfter, queued);
        if (m + n == 0) revert EmptyBatch();
    }

    // -----------------------------------------------------------------------------------------------------
    // Views
    // -----------------------------------------------------------------------------------------------------

    /// @inheritdoc IRollup
    function tip() external view returns (uint64) {
        return _tip;
    }

    /// @inheritdoc IRollup
    function lastFinalized() external view returns (uint64) {
        return _lastFinalized;
    }

    /// @inheritdoc IRollup
    function batch(uint64 index) external view returns (Batch memory) {
        if (index > _tip) revert UnknownBatch(index);
        return _batches[index];
    }

    /// @inheritdoc IRollup
    function stateRoot(uint64 index) external view returns (bytes32) {
        if (index > _tip) revert UnknownBatch(index);
        return _batches[index].stateRoot;
    }

    /// @inheritdoc IRollup
    function isFinal(uint64 index) external view returns (bool) {
        return index <= _lastFinalized;
    }

    /// @inheritdoc IRollup
    function domainSeparator() external view returns (bytes32) {
        return LibEIP712.domainSeparator(block.chainid, address(this));
    }
}
