// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LowLevelCall} from "@openzeppelin/contracts/utils/LowLevelCall.sol";

import {IRollup} from "../interfaces/IRollup.sol";
import {IBridge} from "../interfaces/IBridge.sol";
import {LibHash} from "../libraries/LibHash.sol";
import {LibTree} from "../libraries/LibTree.sol";
import {LibHeader} from "../libraries/LibHeader.sol";
import {LibEIP712} from "../libraries/LibEIP712.sol";
import {RECORD_SIZE, MAX_RECORDS, MAX_MSGS, Batch, L1Message, StatePreimage} from "../libraries/Types.sol";

/// @title Rollup
/// @notice Bulwark's linear chain of batch commitments (PROTOCOL §9–§10, §14). Batch 0 is genesis, final
///         from deployment; the staked sequencer commits each next batch on the tip; a batch finalizes once
///         its parent is final, its challenge window has passed and no game against it is open. A batch that
///         loses a game rewinds the tip to its parent: later batches are dropped lazily (the epoch moves on,
///         so their records no longer match what their games saw), never in a loop. If the tip leaves a
///         queued message unconsumed for more than `DEADLINE`, anyone may freeze the rollup at its last final
///         batch (§16); the guardian may pause commits and deposits and rotate the sequencer (§17).
/// @dev Deployed first, with the Bridge's and the DisputeGame's predicted addresses; each of those checks
///      in its constructor that the Rollup names it. All stakes and bonds are held here; payouts are pulled
///      through `withdrawCredit`, so no game's outcome waits on a recipient that cannot receive ETH.
contract Rollup is IRollup {
    /// @dev Share of a slashed stake that is burned, in basis points: a sequencer that challenges its own
    ///      wrong batch gets back at most the other half (§14.5).
    uint256 internal constant BURN_BPS = 5000;

    /// @inheritdoc IRollup
    address public immutable BRIDGE;
    /// @inheritdoc IRollup
    address public immutable DISPUTE;
    /// @inheritdoc IRollup
    uint64 public immutable WINDOW;
    /// @inheritdoc IRollup
    uint256 public immutable STAKE;
    /// @inheritdoc IRollup
    uint256 public immutable CHALLENGE_BOND;
    /// @inheritdoc IRollup
    address public immutable GUARDIAN;
    /// @inheritdoc IRollup
    uint64 public immutable DEADLINE;
    /// @inheritdoc IRollup
    uint64 public immutable PAUSE;
    /// @inheritdoc IRollup
    uint64 public immutable COOLDOWN;

    /// @inheritdoc IRollup
    address public sequencer;
    /// @dev Newest committed batch; packed with `sequencer` and `_epoch`, all read by every commit.
    uint64 private _tip;
    /// @dev Bumped by every rewind; each batch records the epoch it was committed in.
    uint32 private _epoch;
    /// @dev Newest final batch; packed with the pause and the freeze, which every commit also reads.
    uint64 private _lastFinalized;
    /// @inheritdoc IRollup
    uint64 public pausedUntil;
    /// @inheritdoc IRollup
    uint64 public nextPauseAt;
    /// @inheritdoc IRollup
    bool public frozen;
    /// @dev The tip when the rollup froze: games decided against batches up to it still slash (§16).
    uint64 private _tipAtFreeze;

    mapping(uint64 index => Batch) private _batches;
    /// @inheritdoc IRollup
    mapping(address staker => uint256) public stakeOf;
    /// @inheritdoc IRollup
    mapping(address owner => uint256) public creditOf;
    /// @inheritdoc IRollup
    uint256 public burned;

    /// @dev The index of each committer's newest batch: its stake stays locked until the chain is final at
    ///      that index. Once that batch is final so are all its older ones; if it was dropped, its older ones
    ///      below the rewind may still be pending, and are final too once a batch at that index is.
    mapping(address committer => uint64) private _lastCommit;

    modifier onlyDispute() {
        if (msg.sender != DISPUTE) revert NotDispute(msg.sender);
        _;
    }

    modifier onlyGuardian() {
        if (msg.sender != GUARDIAN) revert NotGuardian(msg.sender);
        if (frozen) revert RollupFrozen();
        _;
    }

    /// @param c The deployment parameters; see `IRollup.Config`.
    constructor(Config memory c) {
        if (c.bridge == address(0)) revert ZeroParameter("bridge");
        if (c.dispute == address(0)) revert ZeroParameter("dispute");
        if (c.sequencer == address(0)) revert ZeroParameter("sequencer");
        if (c.guardian == address(0)) revert ZeroParameter("guardian");
        if (c.window == 0) revert ZeroParameter("window");
        if (c.stake == 0) revert ZeroParameter("stake");
        if (c.challengeBond == 0) revert ZeroParameter("challengeBond");
        if (c.deadline == 0) revert ZeroParameter("deadline");
        if (c.pause == 0) revert ZeroParameter("pause");
        // The two bounds that keep an honest sequencer clear of the freeze through any pauses (§17).
        if (c.deadline < 2 * uint256(c.pause)) revert DeadlineTooShort(c.deadline, c.pause);
        if (c.cooldown < c.deadline - c.pause) revert CooldownTooShort(c.cooldown, c.deadline - c.pause);
        if (c.bridge.code.length != 0) revert BridgeAlreadyDeployed(c.bridge);
        BRIDGE = c.bridge;
        DISPUTE = c.dispute;
        WINDOW = c.window;
        STAKE = c.stake;
        CHALLENGE_BOND = c.challengeBond;
        GUARDIAN = c.guardian;
        DEADLINE = c.deadline;
        PAUSE = c.pause;
        COOLDOWN = c.cooldown;
        sequencer = c.sequencer;
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
    ) external returns (uint64 index) {
        // Checks, in the order of §9.
        uint64 tip_ = _tip;
        if (frozen) revert RollupFrozen();
        uint64 until = pausedUntil;
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < until) revert CommitsPaused(until);
        if (msg.sender != sequencer) revert NotSequencer();
        // An EIP-7702 delegation gives an EOA code that could commit from inside another call, with
        // msg.sender == tx.origin still true; derivation reads commits from transaction inputs.
        if (msg.sender.code.length != 0) revert CallerHasCode(msg.sender);
        if (msg.sender != tx.origin) revert NotDirectCall();
        uint256 staked = stakeOf[msg.sender];
        if (staked < STAKE) revert InsufficientStake(staked, STAKE);
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
        b.epoch = _epoch;
        b.dataRoot = LibHash.dataRoot(LibHash.header(header), LibTree.recordsRoot(records));
        b.stateRoot = LibHash.stateRoot(post);
        b.traceRoot = traceRoot;
        unchecked {
            index = tip_ + 1; // 2^64 batches are unreachable
        }
        _batches[index] = b;
        _tip = index;
        _lastCommit[msg.sender] = index;
        emit BatchCommitted(
            index, msg.sender, b.dataRoot, b.stateRoot, traceRoot, b.recordCount, b.msgsBefore, b.msgsAfter
        );
    }

    /// @inheritdoc IRollup
    function finalizeBatch(uint64 index) external {
        // Checks (§10).
        if (frozen) revert RollupFrozen();
        if (index > _tip) revert UnknownBatch(index);
        uint64 last = _lastFinalized;
        if (index <= last) revert AlreadyFinal(index);
        if (index != last + 1) revert ParentNotFinal(index, last);
        Batch storage b = _batches[index];
        uint256 finalAt = uint256(b.commitTime) + WINDOW;
        // The window is days long; a validator's few seconds of timestamp drift do not matter (§10).
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < finalAt) revert NotFinal(index, finalAt);
        if (b.openGames != 0) revert GamesOpen(index, b.openGames);

        // Effects.
        _lastFinalized = index;
        emit BatchFinalized(index, b.stateRoot);
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
    // Stake and credit
    // -----------------------------------------------------------------------------------------------------

    /// @inheritdoc IRollup
    function stake() external payable {
        uint256 total = stakeOf[msg.sender] + msg.value;
        stakeOf[msg.sender] = total;
        emit Staked(msg.sender, msg.value, total);
    }

    /// @inheritdoc IRollup
    function unstake() external {
        uint256 amount = stakeOf[msg.sender];
        if (amount == 0) revert NoStake(msg.sender);
        uint64 last = _lastCommit[msg.sender];
        if (last > _lastFinalized) revert StakeLocked(msg.sender, last);
        stakeOf[msg.sender] = 0;
        creditOf[msg.sender] += amount;
        emit Unstaked(msg.sender, amount);
    }

    /// @inheritdoc IRollup
    function withdrawCredit(address payable to) external {
        uint256 amount = creditOf[msg.sender];
        if (amount == 0) revert NoCredit(msg.sender);
        creditOf[msg.sender] = 0;
        emit CreditWithdrawn(msg.sender, to, amount);
        if (!LowLevelCall.callNoReturn(to, amount, "")) revert CreditPayoutFailed(to, amount);
    }

    // -----------------------------------------------------------------------------------------------------
    // Escape hatch (§16)
    // -----------------------------------------------------------------------------------------------------

    /// @inheritdoc IRollup
    function freeze(L1Message calldata m) external {
        // Checks: `m` is queued, not consumed by the tip, and overdue.
        if (frozen) revert AlreadyFrozen();
        uint64 consumed = _batches[_tip].msgsAfter;
        if (m.index < consumed) revert MessageConsumed(m.index, consumed);
        // An index never queued has hash zero, which no preimage matches.
        if (LibHash.message(m) != IBridge(BRIDGE).messageHash(m.index)) revert MessageMismatch(m.index);
        uint256 dueAt = uint256(m.queuedAt) + DEADLINE;
        // The deadline is hours long; a validator's seconds of timestamp drift do not matter.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp <= dueAt) revert NotOverdue(m.index, dueAt);

        // Effects: pin the last final batch, drop every pending one (their games close as refunds).
        uint64 pinned = _lastFinalized;
        frozen = true;
        _tipAtFreeze = _tip;
        _tip = pinned;
        Batch storage f = _batches[pinned];
        emit Frozen(pinned, m.index, msg.sender);

        // Interaction: the Bridge, which pays exits and refunds, learns the pinned state.
        IBridge(BRIDGE).freeze(pinned, f.stateRoot, f.msgsAfter);
    }

    // -----------------------------------------------------------------------------------------------------
    // Guardian (§17)
    // -----------------------------------------------------------------------------------------------------

    /// @inheritdoc IRollup
    function pause() external onlyGuardian {
        uint64 next = nextPauseAt;
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < next) revert PauseInCooldown(next);
        uint64 until = uint64(block.timestamp) + PAUSE;
        next = until + COOLDOWN;
        pausedUntil = until;
        nextPauseAt = next;
        emit Paused(until, next);
        IBridge(BRIDGE).pauseDeposits(until);
    }

    /// @inheritdoc IRollup
    function unpause() external onlyGuardian {
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp >= pausedUntil) revert NotPaused();
        uint64 now_ = uint64(block.timestamp);
        pausedUntil = now_;
        emit Unpaused();
        IBridge(BRIDGE).pauseDeposits(now_);
    }

    /// @inheritdoc IRollup
    function setSequencer(address next) external onlyGuardian {
        if (next == address(0)) revert ZeroParameter("sequencer");
        emit SequencerRotated(sequencer, next);
        sequencer = next;
    }

    // -----------------------------------------------------------------------------------------------------
    // Dispute hooks
    // -----------------------------------------------------------------------------------------------------

    /// @inheritdoc IRollup
    function lockChallenge(uint64 index, address challenger)
        external
        payable
        onlyDispute
        returns (Batch memory b, bytes32 parentRoot)
    {
        if (frozen) revert RollupFrozen();
        if (index <= _lastFinalized || index > _tip) revert BatchNotPending(index);
        Batch storage s = _batches[index];
        uint256 closedAt = uint256(s.commitTime) + WINDOW;
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp >= closedAt) revert ChallengeWindowClosed(index, closedAt);
        if (msg.value != CHALLENGE_BOND) revert WrongChallengeBond(msg.value, CHALLENGE_BOND);
        uint32 open = s.openGames + 1;
        s.openGames = open;
        emit GameLocked(index, challenger, open);
        b = s;
        parentRoot = _batches[index - 1].stateRoot;
    }

    /// @inheritdoc IRollup
    function settleChallenge(uint64 index, uint32 epoch_, address challenger, bool challengerWon)
        external
        onlyDispute
        returns (bool counted)
    {
        Batch storage b = _batches[index];
        address bondTo = challenger;
        if (_isLive(index, epoch_)) {
            counted = true;
            if (challengerWon) {
                _reject(index, b.committer, challenger);
            } else {
                bondTo = b.committer;
                b.openGames -= 1;
            }
        } else if (challengerWon && frozen && index <= _tipAtFreeze && b.epoch == epoch_) {
            // The freeze dropped the batch unjudged, but this game had already decided against it: the
            // committer is slashed all the same, so letting the rollup freeze never saves a losing
            // sequencer the challenger's reward (§16). Nothing rewinds: the tip is pinned.
            counted = true;
            _slash(index, _epoch, b.committer, challenger);
        }
        creditOf[bondTo] += CHALLENGE_BOND;
        emit GameSettled(index, challenger, bondTo, counted);
    }

    /// @dev Batch `index` lost: rewind the tip to its parent and slash its committer's stake (§14.5).
    function _reject(uint64 index, address committer, address challenger) private {
        uint32 next;
        unchecked {
            _tip = index - 1; // index > lastFinalized >= 0
            next = _epoch + 1; // one rewind per lost batch; 2^32 are unreachable
        }
        _epoch = next;
        _slash(index, next, committer, challenger);
    }

    /// @dev Moves `committer`'s whole stake: half to `challenger`'s credit, half burned (§14.5).
    function _slash(uint64 index, uint32 epoch_, address committer, address challenger) private {
        uint256 slashed = stakeOf[committer];
        stakeOf[committer] = 0;
        uint256 burn = slashed * BURN_BPS / 10_000;
        uint256 reward = slashed - burn;
        burned += burn;
        creditOf[challenger] += reward;
        emit BatchRejected(index, epoch_, challenger, reward, burn);
    }

    /// @dev True iff batch `index` is still the one committed in `epoch_`: not past the tip, and not
    ///      re-committed after a rewind.
    function _isLive(uint64 index, uint32 epoch_) private view returns (bool) {
        return index <= _tip && _batches[index].epoch == epoch_;
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
    function epoch() external view returns (uint32) {
        return _epoch;
    }

    /// @inheritdoc IRollup
    function batch(uint64 index) external view returns (Batch memory) {
        if (index > _tip) revert UnknownBatch(index);
        return _batches[index];
    }

    /// @inheritdoc IRollup
    function liveBatch(uint64 index, uint32 epoch_) external view returns (Batch memory) {
        if (!_isLive(index, epoch_)) revert BatchDropped(index, epoch_);
        return _batches[index];
    }

    /// @inheritdoc IRollup
    function isLive(uint64 index, uint32 epoch_) external view returns (bool) {
        return _isLive(index, epoch_);
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
