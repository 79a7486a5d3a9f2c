// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {console2} from "forge-std/console2.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IBridge} from "../../contracts/interfaces/IBridge.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {IDisputeGame} from "../../contracts/interfaces/IDisputeGame.sol";
import {GameStatus, Turn} from "../../contracts/dispute/DisputeTypes.sol";
import {
    MSG_DEPOSIT,
    MSG_FORCED_WITHDRAWAL,
    NEW_ACCOUNT,
    AccountLeaf,
    L1Message,
    StatePreimage,
    WithdrawalLeaf
} from "../../contracts/libraries/Types.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {MerkleBuilder} from "../utils/MerkleBuilder.sol";
import {TraceTree} from "../dispute/utils/TraceTree.sol";

/// @notice Test-only L1 actor for the escape hatch: it deposits ETH in its own name (so refunds come back
///         to it), may refuse ETH outright, and may be armed with a call that its `receive` sends to the
///         Bridge while being paid, to try to exit or refund again inside the payout.
contract EscapeActor {
    IBridge public immutable BRIDGE;
    /// @dev When set, every ETH payment reverts (an owner that cannot receive).
    bool public refuse;
    /// @dev Calldata sent to the Bridge from inside the payout; empty: do nothing.
    bytes public reentry;
    /// @dev What the re-entering call returned: its revert data, or "succeeded".
    bytes public reentryError;
    uint256 public attempts;

    constructor(IBridge bridge_) {
        BRIDGE = bridge_;
    }

    function setRefuse(bool refuse_) external {
        refuse = refuse_;
    }

    function arm(bytes calldata data) external {
        reentry = data;
    }

    function depositETH() external payable returns (uint64) {
        return BRIDGE.depositETH{value: msg.value}(NEW_ACCOUNT);
    }

    receive() external payable {
        if (refuse) revert("refused");
        if (reentry.length == 0) return;
        ++attempts;
        (bool ok, bytes memory err) = address(BRIDGE).call(reentry);
        reentryError = ok ? bytes("succeeded") : err;
    }
}

/// @notice Test-only ERC20 that, when armed, calls the Bridge with `reentry` from inside every transfer out
///         of the Bridge: a malicious token trying to exit or refund a second time during a payout.
contract ReentrantEscapeToken is ERC20 {
    address public bridge;
    bytes public reentry;
    bytes public reentryError;
    uint256 public attempts;

    constructor() ERC20("Evil", "EVIL") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(address bridge_, bytes calldata data) external {
        bridge = bridge_;
        reentry = data;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (from == bridge && from != address(0) && reentry.length != 0) {
            ++attempts;
            (bool ok, bytes memory err) = bridge.call(reentry);
            reentryError = ok ? bytes("succeeded") : err;
        }
    }
}

/// @title EscapeTest
/// @notice The escape hatch (PROTOCOL §16), end to end and from the attacker's side. The freeze predicate:
///         the rollup is freezable iff the oldest message the tip did not consume was queued more than
///         `DEADLINE` ago, shown by any queued message from that index on. What the freeze stops (commits,
///         finalization, deposits, forced withdrawals, game moves, the guardian) and what it still settles
///         (games close as refunds). What the Bridge then pays, each exactly once: every account leaf of the
///         pinned batch F to its owner, withdrawal leaves of final batches, and every message from
///         F.msgsAfter on back to its L1 sender. The forfeit: a committer above F keeps its stake locked for
///         good. And conservation: paying everything, in any order, leaves the Bridge with exactly nothing.
/// @dev Batches here are not STF-valid (nobody challenges them): their post-states are built directly with
///      `MerkleBuilder` and an independent leaf hash, so a mistake in LibHash or LibTree would show.
///
///      The main fixture (`_buildEscape`) at t0 = setUp's time, T1 = t0 + 2 days:
///        m0 alice 10 ETH, m1 bob 5 ETH, m2 alice 600 DEMO, m3 bob 400 DEMO                      (t0)
///        batch 1 (final): consumes m0..m3; alice 7 ETH, bob 5 ETH, alice 600 DEMO, bob 400 DEMO;
///                         withdrawal w0 (alice, 3 ETH)
///        batch 2 = F (final): alice 8 ETH, bob 4 ETH, alice 600 DEMO, bob 300 DEMO, carol 0 ETH;
///                         withdrawals w0, w1 (carol, 100 DEMO)
///        m4 alice 2 ETH, m5 bob 50 DEMO, m6 carol 1 ETH, m7 bob's forced withdrawal          (T1)
///        batch 3 (pending, T1 + 12h): consumes m4, m5; a forged state giving the sequencer everything
///        freeze at T1 + DEADLINE + 1 with m6, the oldest message batch 3 left unconsumed.
///      The Bridge holds 18 ETH and 1050 DEMO; F owes 12 ETH + 900 DEMO in accounts, 3 ETH + 100 DEMO in
///      withdrawals, and 3 ETH + 50 DEMO in refunds of m4..m6.
contract EscapeTest is BaseTest {
    using TraceTree for bytes32[];

    uint64 internal constant OLD = 1;
    uint64 internal constant F = 2;
    uint64 internal constant DROPPED = 3;
    /// @dev Messages F consumed (m0..m3).
    uint64 internal constant F_MSGS = 4;
    uint32 internal constant ETH = 0;
    /// @dev DEMO's token id: the first ERC20 deposited in every scenario here.
    uint32 internal constant DEMO = 1;

    address internal carol = makeAddr("carol");
    address internal stranger = makeAddr("stranger");

    /// @dev Every message queued through the helpers, by queue index.
    L1Message[] internal queue;

    AccountLeaf[] internal oldAccounts;
    WithdrawalLeaf[] internal oldWithdrawals;
    StatePreimage internal oldPost;
    AccountLeaf[] internal fAccounts;
    WithdrawalLeaf[] internal fWithdrawals;
    StatePreimage internal fPost;
    AccountLeaf[] internal droppedAccounts;
    WithdrawalLeaf[] internal droppedWithdrawals;
    StatePreimage internal droppedPost;
    /// @dev The trace tree batch 3 committed (4 steps: m4, m5, one record, padding to T = 4).
    bytes32[] internal droppedTrace;
    /// @dev When the main fixture's freeze becomes possible: m6's queue time + DEADLINE + 1.
    uint256 internal freezeAt;

    function setUp() public override {
        super.setUp();
        vm.deal(carol, 1_000 ether);
        vm.deal(stranger, 1_000 ether);
    }

    // ----------------------------------------------------------------------------------------------------
    // Hashes, trees and states, written from the spec (independent of LibHash)
    // ----------------------------------------------------------------------------------------------------

    function _messageHash(L1Message memory m) internal pure returns (bytes32) {
        return
            keccak256(
                abi.encodePacked(bytes1(0x05), m.index, m.kind, m.sender, m.target, m.token, m.amount, m.queuedAt)
            );
    }

    function _accountHash(AccountLeaf memory a) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x01), a.owner, a.token, a.balance, a.nonce));
    }

    function _withdrawalHash(WithdrawalLeaf memory w) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x02), w.index, w.recipient, w.token, w.amount));
    }

    function _rootOf(StatePreimage memory p) internal pure returns (bytes32) {
        return keccak256(
            abi.encodePacked(
                bytes1(0x04), p.accountsRoot, p.withdrawalsRoot, p.nextAccountIndex, p.msgsConsumed, p.withdrawalCount
            )
        );
    }

    /// @dev A fresh copy: assigning a memory struct only aliases it.
    function _copy(L1Message memory m) internal pure returns (L1Message memory) {
        return L1Message(m.index, m.kind, m.sender, m.target, m.token, m.amount, m.queuedAt);
    }

    function _copy(AccountLeaf memory a) internal pure returns (AccountLeaf memory) {
        return AccountLeaf(a.owner, a.token, a.balance, a.nonce);
    }

    function _accountHashes(AccountLeaf[] memory a) internal pure returns (bytes32[] memory hs) {
        hs = new bytes32[](a.length);
        for (uint256 i; i < a.length; ++i) {
            hs[i] = _accountHash(a[i]);
        }
    }

    function _withdrawalHashes(WithdrawalLeaf[] memory w) internal pure returns (bytes32[] memory hs) {
        hs = new bytes32[](w.length);
        for (uint256 i; i < w.length; ++i) {
            hs[i] = _withdrawalHash(w[i]);
        }
    }

    /// @dev The post-state holding accounts `a` and withdrawals `w`, having consumed `consumed` messages.
    function _stateOf(AccountLeaf[] memory a, WithdrawalLeaf[] memory w, uint64 consumed)
        internal
        pure
        returns (StatePreimage memory)
    {
        return StatePreimage({
            accountsRoot: MerkleBuilder.stateRoot(_accountHashes(a)),
            withdrawalsRoot: MerkleBuilder.stateRoot(_withdrawalHashes(w)),
            nextAccountIndex: uint64(a.length),
            msgsConsumed: consumed,
            withdrawalCount: uint64(w.length)
        });
    }

    function _accountProof(AccountLeaf[] memory a, uint256 i) internal pure returns (bytes32[] memory proof) {
        (, proof) = MerkleBuilder.stateProof(_accountHashes(a), i);
    }

    function _withdrawalProof(WithdrawalLeaf[] memory w, uint256 i) internal pure returns (bytes32[] memory proof) {
        (, proof) = MerkleBuilder.stateProof(_withdrawalHashes(w), i);
    }

    // ----------------------------------------------------------------------------------------------------
    // Queue
    // ----------------------------------------------------------------------------------------------------

    /// @dev Keeps `m` as the message queued at its index, after checking the Bridge stored its hash.
    function _keep(L1Message memory m) internal returns (L1Message memory) {
        assertEq(queue.length, m.index, "helpers queue every message");
        assertEq(bridge.messageHash(m.index), _messageHash(m), "stored message hash");
        queue.push(m);
        return m;
    }

    function _depositETH(address who, uint128 amount) internal returns (L1Message memory) {
        vm.prank(who);
        uint64 i = bridge.depositETH{value: amount}(NEW_ACCOUNT);
        return _keep(L1Message(i, MSG_DEPOSIT, who, NEW_ACCOUNT, ETH, amount, uint64(block.timestamp)));
    }

    /// @dev Mints `amount` DEMO to `who`, who deposits it (DEMO registers as token 1 on its first deposit).
    function _depositDemo(address who, uint128 amount) internal returns (L1Message memory) {
        token.mint(who, amount);
        vm.startPrank(who);
        token.approve(address(bridge), amount);
        uint64 i = bridge.depositERC20(address(token), amount, NEW_ACCOUNT);
        vm.stopPrank();
        (uint32 id,) = bridge.tokenIdOf(address(token));
        assertEq(id, DEMO);
        return _keep(L1Message(i, MSG_DEPOSIT, who, NEW_ACCOUNT, DEMO, amount, uint64(block.timestamp)));
    }

    function _forceWithdrawal(address who, uint64 account, uint32 tokenId, uint128 amount)
        internal
        returns (L1Message memory)
    {
        vm.prank(who);
        uint64 i = bridge.forceWithdrawal(account, tokenId, amount);
        return _keep(L1Message(i, MSG_FORCED_WITHDRAWAL, who, account, tokenId, amount, uint64(block.timestamp)));
    }

    // ----------------------------------------------------------------------------------------------------
    // Batches and the freeze
    // ----------------------------------------------------------------------------------------------------

    /// @dev Commits `post` on the tip (one record, so the batch is never empty) and finalizes it.
    function _pinFinal(StatePreimage memory post) internal returns (uint64 index) {
        index = _commit("", _records(1, rollup.tip()), post);
        _finalize(index);
    }

    /// @dev Freezes with `m` as soon as it is overdue, as a stranger (anyone may).
    function _freezeWith(L1Message memory m) internal {
        uint256 due = uint256(m.queuedAt) + DEADLINE + 1;
        if (block.timestamp < due) vm.warp(due);
        vm.prank(stranger);
        rollup.freeze(m);
    }

    /// @dev The main fixture (see the contract's notes), up to but not including the freeze.
    function _buildEscape() internal {
        _depositETH(alice, 10 ether);
        _depositETH(bob, 5 ether);
        _depositDemo(alice, 600);
        _depositDemo(bob, 400);

        oldAccounts.push(AccountLeaf(alice, ETH, 7 ether, 1));
        oldAccounts.push(AccountLeaf(bob, ETH, 5 ether, 0));
        oldAccounts.push(AccountLeaf(alice, DEMO, 600, 0));
        oldAccounts.push(AccountLeaf(bob, DEMO, 400, 0));
        oldWithdrawals.push(WithdrawalLeaf(0, alice, ETH, 3 ether));
        oldPost = _stateOf(oldAccounts, oldWithdrawals, F_MSGS);
        assertEq(_pinFinal(oldPost), OLD);

        // bob pays alice 1 ETH and withdraws 100 DEMO to carol; carol's account is empty.
        fAccounts.push(AccountLeaf(alice, ETH, 8 ether, 1));
        fAccounts.push(AccountLeaf(bob, ETH, 4 ether, 1));
        fAccounts.push(AccountLeaf(alice, DEMO, 600, 0));
        fAccounts.push(AccountLeaf(bob, DEMO, 300, 1));
        fAccounts.push(AccountLeaf(carol, ETH, 0, 0));
        fWithdrawals.push(oldWithdrawals[0]);
        fWithdrawals.push(WithdrawalLeaf(1, carol, DEMO, 100));
        fPost = _stateOf(fAccounts, fWithdrawals, F_MSGS);
        assertEq(_pinFinal(fPost), F);

        _depositETH(alice, 2 ether); // m4
        _depositDemo(bob, 50); // m5
        _depositETH(carol, 1 ether); // m6
        _forceWithdrawal(bob, 1, ETH, 1 ether); // m7
        freezeAt = uint256(queue[6].queuedAt) + DEADLINE + 1;

        // The sequencer's pending batch: consumes m4 and m5 and claims all the Bridge's value for itself.
        vm.warp(block.timestamp + 12 hours);
        droppedAccounts.push(AccountLeaf(sequencer, ETH, 18 ether, 0));
        droppedAccounts.push(AccountLeaf(sequencer, DEMO, 1050, 0));
        droppedWithdrawals.push(fWithdrawals[0]);
        droppedWithdrawals.push(fWithdrawals[1]);
        droppedWithdrawals.push(WithdrawalLeaf(2, sequencer, ETH, 18 ether));
        droppedPost = _stateOf(droppedAccounts, droppedWithdrawals, 6);
        bytes32[] memory steps = new bytes32[](4);
        for (uint256 j; j < 4; ++j) {
            steps[j] = keccak256(abi.encode("dropped step", j));
        }
        droppedTrace = TraceTree.build(steps);
        vm.prank(sequencer, sequencer);
        assertEq(rollup.commitBatch(F, "", _records(1, 3), droppedPost, droppedTrace.root()), DROPPED);
        assertLt(block.timestamp, freezeAt);
        assertGt(uint256(rollup.batch(DROPPED).commitTime) + WINDOW, freezeAt, "batch 3 still pending at freeze");

        assertEq(address(bridge).balance, 18 ether);
        assertEq(token.balanceOf(address(bridge)), 1050);
    }

    /// @dev The main fixture, frozen with m6.
    function _buildFrozen() internal {
        _buildEscape();
        _freezeWith(queue[6]);
    }

    // ----------------------------------------------------------------------------------------------------
    // Payouts of the main fixture
    // ----------------------------------------------------------------------------------------------------

    function _balanceOf(address who, uint32 tokenId) internal view returns (uint256) {
        return tokenId == ETH ? who.balance : token.balanceOf(who);
    }

    function _exitArgs(uint256 i)
        internal
        view
        returns (StatePreimage memory post, AccountLeaf memory leaf, bytes32[] memory proof)
    {
        post = fPost;
        leaf = fAccounts[i];
        proof = _accountProof(fAccounts, i);
    }

    /// @dev Exits F's account `i` as `caller` and checks the owner got exactly its balance, the caller
    ///      nothing, and the Bridge lost exactly that.
    function _exit(uint256 i, address caller) internal {
        (StatePreimage memory post, AccountLeaf memory leaf, bytes32[] memory proof) = _exitArgs(i);
        uint256 ownerBefore = _balanceOf(leaf.owner, leaf.token);
        uint256 callerBefore = _balanceOf(caller, leaf.token);
        uint256 bridgeBefore = _balanceOf(address(bridge), leaf.token);
        vm.expectEmit(address(bridge));
        emit IBridge.Exited(uint32(i), leaf.owner, leaf.token, leaf.balance);
        vm.prank(caller);
        bridge.exit(post, leaf, uint32(i), proof);
        assertEq(_balanceOf(leaf.owner, leaf.token), ownerBefore + leaf.balance, "owner paid its balance");
        if (caller != leaf.owner) assertEq(_balanceOf(caller, leaf.token), callerBefore, "caller paid nothing");
        assertEq(_balanceOf(address(bridge), leaf.token), bridgeBefore - leaf.balance, "bridge paid once");
        assertTrue(bridge.exited(uint32(i)));
    }

    /// @dev Pays withdrawal leaf `i` of F's tree, proven against F or (leaf 0 only) against batch 1.
    function _withdraw(uint256 i, bool againstOld, address caller) internal {
        WithdrawalLeaf memory w = fWithdrawals[i];
        uint256 before = _balanceOf(w.recipient, w.token);
        uint256 bridgeBefore = _balanceOf(address(bridge), w.token);
        vm.prank(caller);
        if (againstOld) bridge.finalizeWithdrawal(OLD, oldPost, w, _withdrawalProof(oldWithdrawals, i));
        else bridge.finalizeWithdrawal(F, fPost, w, _withdrawalProof(fWithdrawals, i));
        assertEq(_balanceOf(w.recipient, w.token), before + w.amount, "recipient paid");
        assertEq(_balanceOf(address(bridge), w.token), bridgeBefore - w.amount, "bridge paid once");
    }

    /// @dev Refunds message `i` as `caller` and checks its sender got exactly its amount.
    function _refund(uint256 i, address caller) internal {
        L1Message memory m = queue[i];
        uint256 before = _balanceOf(m.sender, m.token);
        uint256 bridgeBefore = _balanceOf(address(bridge), m.token);
        vm.expectEmit(address(bridge));
        emit IBridge.Refunded(m.index, m.sender, m.token, m.amount);
        vm.prank(caller);
        bridge.refund(m);
        assertEq(_balanceOf(m.sender, m.token), before + m.amount, "sender refunded");
        assertEq(_balanceOf(address(bridge), m.token), bridgeBefore - m.amount, "bridge paid once");
        assertTrue(bridge.refunded(m.index));
    }

    // ----------------------------------------------------------------------------------------------------
    // The freeze predicate
    // ----------------------------------------------------------------------------------------------------

    /// @dev The deadline is strict: at exactly queuedAt + DEADLINE the sequencer still had its full time.
    function test_RevertWhen_FreezeAtExactlyTheDeadline() public {
        L1Message memory m = _depositETH(alice, 1 ether);
        uint256 dueAt = uint256(m.queuedAt) + DEADLINE;
        vm.warp(dueAt);
        vm.expectRevert(abi.encodeWithSelector(IRollup.NotOverdue.selector, 0, dueAt));
        rollup.freeze(m);

        vm.warp(dueAt + 1);
        bytes32 genesis = rollup.stateRoot(0);
        vm.expectEmit(address(rollup));
        emit IRollup.Frozen(0, 0, stranger);
        vm.expectEmit(address(bridge));
        emit IBridge.EscapeOpened(0, genesis, 0);
        vm.prank(stranger);
        rollup.freeze(m);
        assertTrue(rollup.frozen());
    }

    function test_Escape_freezePinsLastFinalAndDropsPending() public {
        _buildEscape();
        bytes32 fRoot = _rootOf(fPost);
        assertEq(rollup.stateRoot(F), fRoot);
        vm.expectRevert(IBridge.NotFrozen.selector);
        bridge.escape();

        vm.warp(freezeAt);
        vm.expectEmit(address(rollup));
        emit IRollup.Frozen(F, 6, stranger);
        vm.expectEmit(address(bridge));
        emit IBridge.EscapeOpened(F, fRoot, F_MSGS);
        vm.prank(stranger);
        rollup.freeze(queue[6]);
        console2.log("gas freeze (call, 1 pending batch dropped):", vm.lastCallGas().gasTotalUsed);

        assertTrue(rollup.frozen());
        assertEq(rollup.tip(), F, "tip = F");
        assertEq(rollup.lastFinalized(), F);
        assertEq(rollup.epoch(), 0, "a freeze is not a rewind");
        assertTrue(rollup.isLive(F, 0));
        assertFalse(rollup.isLive(DROPPED, 0), "pending batch dropped");
        assertFalse(rollup.isFinal(DROPPED));
        vm.expectRevert(abi.encodeWithSelector(IRollup.UnknownBatch.selector, DROPPED));
        rollup.batch(DROPPED);
        vm.expectRevert(abi.encodeWithSelector(IRollup.UnknownBatch.selector, DROPPED));
        rollup.stateRoot(DROPPED);
        (uint64 pinned, bytes32 root, uint64 consumed) = bridge.escape();
        assertEq(pinned, F);
        assertEq(root, fRoot);
        assertEq(consumed, F_MSGS);
    }

    /// @dev A batch past its window that nobody finalized is still pending: the freeze drops it too.
    function test_Escape_freezeDropsFinalizableButUnfinalizedBatch() public {
        L1Message memory m0 = _depositETH(alice, 1 ether);
        _commit("", "", _post(_emptyRoot(), 1, 0)); // consumes m0
        L1Message memory m1 = _depositETH(bob, 1 ether);
        vm.warp(uint256(m1.queuedAt) + DEADLINE + 1); // batch 1's window is over too
        vm.expectRevert(abi.encodeWithSelector(IRollup.MessageConsumed.selector, 0, 1));
        rollup.freeze(m0);
        rollup.freeze(m1);
        assertEq(rollup.tip(), 0);
        vm.expectRevert(IRollup.RollupFrozen.selector);
        rollup.finalizeBatch(1);
        (uint64 pinned,, uint64 consumed) = bridge.escape();
        assertEq(pinned, 0);
        assertEq(consumed, 0, "m0 is refundable: batch 1 never became final");
    }

    function test_RevertWhen_FreezeWithMessageConsumedByTip() public {
        _buildEscape();
        vm.warp(freezeAt + 30 days);
        for (uint64 i; i < 6; ++i) {
            // m0..m3 by final batches, m4 and m5 by the pending tip.
            vm.expectRevert(abi.encodeWithSelector(IRollup.MessageConsumed.selector, i, 6));
            rollup.freeze(queue[i]);
        }
        rollup.freeze(queue[7]); // any unconsumed message past the deadline will do
        assertTrue(rollup.frozen());
    }

    /// @dev The tip's pending batch consumed the message in time: however long it then waits for its window,
    ///      and with nothing else queued, the rollup cannot be frozen.
    function test_RevertWhen_FreezeWithMessageConsumedByPendingTip() public {
        L1Message memory m = _depositETH(alice, 1 ether);
        _commit("", "", _post(_emptyRoot(), 1, 0));
        assertFalse(rollup.isFinal(1));
        vm.warp(block.timestamp + 365 days);
        vm.expectRevert(abi.encodeWithSelector(IRollup.MessageConsumed.selector, 0, 1));
        rollup.freeze(m);
        // The next index was never queued: no preimage matches its zero hash.
        L1Message memory next = L1Message(1, MSG_DEPOSIT, alice, NEW_ACCOUNT, ETH, 1 ether, m.queuedAt);
        vm.expectRevert(abi.encodeWithSelector(IRollup.MessageMismatch.selector, 1));
        rollup.freeze(next);
    }

    function test_RevertWhen_FreezeWithNothingQueued() public {
        vm.warp(block.timestamp + 30 days);
        L1Message memory fake = L1Message(0, MSG_DEPOSIT, alice, NEW_ACCOUNT, ETH, 1 ether, 1);
        vm.expectRevert(abi.encodeWithSelector(IRollup.MessageMismatch.selector, 0));
        rollup.freeze(fake);
        L1Message memory zero;
        vm.expectRevert(abi.encodeWithSelector(IRollup.MessageMismatch.selector, 0));
        rollup.freeze(zero);
        assertFalse(rollup.frozen());
    }

    /// @dev Each field of the preimage is bound: in particular a backdated `queuedAt` cannot make a fresh
    ///      message look overdue, and another message's index cannot borrow its age.
    function test_RevertWhen_FreezeWithTamperedMessage() public {
        L1Message memory m0 = _depositETH(alice, 1 ether);
        vm.warp(block.timestamp + 1 hours);
        L1Message memory m1 = _depositDemo(bob, 5);
        vm.warp(block.timestamp + 1 hours);
        L1Message memory m = _depositETH(bob, 2 ether); // fresh: not overdue

        L1Message[] memory bad = new L1Message[](8);
        for (uint256 k; k < bad.length; ++k) {
            bad[k] = _copy(m);
        }
        bad[0].kind = MSG_FORCED_WITHDRAWAL;
        bad[1].sender = alice;
        bad[2].target = 0;
        bad[3].token = DEMO;
        bad[4].amount = 3 ether;
        bad[5].queuedAt = m.queuedAt - DEADLINE - 1; // backdated
        bad[6].index = 1; // another queued index
        bad[7].index = 3; // never queued
        for (uint256 k; k < bad.length; ++k) {
            vm.expectRevert(abi.encodeWithSelector(IRollup.MessageMismatch.selector, bad[k].index));
            rollup.freeze(bad[k]);
        }
        // m0's and m1's real preimages are accepted, once overdue.
        vm.warp(uint256(m0.queuedAt) + DEADLINE + 1);
        vm.expectRevert(abi.encodeWithSelector(IRollup.NotOverdue.selector, 1, uint256(m1.queuedAt) + DEADLINE));
        rollup.freeze(m1);
        rollup.freeze(m0);
        assertTrue(rollup.frozen());
    }

    /// @dev Queue times never decrease, so a later unconsumed message being overdue proves the oldest is:
    ///      it freezes just as well; a later message not yet overdue does not, even when the oldest is.
    function test_Escape_laterUnconsumedOverdueMessageFreezes() public {
        L1Message memory m0 = _depositETH(alice, 1 ether);
        vm.warp(block.timestamp + 3 hours);
        L1Message memory m1 = _depositETH(bob, 1 ether);
        vm.warp(block.timestamp + 3 hours);
        L1Message memory m2 = _forceWithdrawal(bob, 0, ETH, 1); // a forced withdrawal counts as well

        vm.warp(uint256(m1.queuedAt) + DEADLINE + 1);
        vm.expectRevert(abi.encodeWithSelector(IRollup.NotOverdue.selector, 2, uint256(m2.queuedAt) + DEADLINE));
        rollup.freeze(m2);
        uint256 snapshot = vm.snapshotState();
        rollup.freeze(m0);
        vm.revertToState(snapshot);

        vm.expectEmit(address(rollup));
        emit IRollup.Frozen(0, 1, stranger);
        vm.prank(stranger);
        rollup.freeze(m1);

        vm.warp(uint256(m2.queuedAt) + DEADLINE + 1);
        vm.expectRevert(IRollup.AlreadyFrozen.selector);
        rollup.freeze(m2);
        vm.expectRevert(IRollup.AlreadyFrozen.selector);
        rollup.freeze(m1);
    }

    /// @dev A batch that loses its game rewinds the tip: the messages it consumed are unconsumed again,
    ///      with their original queue times, so the rollup freezes once they are overdue.
    function test_Escape_rewindMakesConsumedMessageOverdueAgain() public {
        L1Message memory m = _depositETH(alice, 1 ether);
        uint64 b = _commit("", _records(1, 1), _post(_emptyRoot(), 1, 0)); // 2 steps: the defender moves
        vm.prank(carol);
        uint256 id = dispute.open{value: CHALLENGE_BOND}(b);
        vm.warp(block.timestamp + CLOCK);
        vm.expectRevert(abi.encodeWithSelector(IRollup.MessageConsumed.selector, 0, 1));
        rollup.freeze(m);

        dispute.timeout(id); // the sequencer never revealed
        dispute.resolve(id);
        assertEq(rollup.tip(), 0, "rewound");
        uint256 dueAt = uint256(m.queuedAt) + DEADLINE;
        vm.expectRevert(abi.encodeWithSelector(IRollup.NotOverdue.selector, 0, dueAt));
        rollup.freeze(m);
        vm.warp(dueAt + 1);
        rollup.freeze(m);
        (uint64 pinned,, uint64 consumed) = bridge.escape();
        assertEq(pinned, 0);
        assertEq(consumed, 0);
        _refund(0, stranger);
    }

    /// @dev A game decided against a batch that a rewind dropped before the freeze is not revived by the
    ///      freeze: it settles as a refund and the committer's fresh stake is untouched. With `recommit`,
    ///      a new batch sits at the same index in a later epoch (the epoch check); without, the index is
    ///      above the tip at the freeze (the tip check).
    function _rewoundGameStaysDropped(bool recommit) internal {
        L1Message memory m = _depositETH(alice, 1 ether);
        uint64 b1 = _commit("", _records(1, 1), _post(_emptyRoot(), 1, 0));
        uint64 b2 = _commitRecords(2); // 2 steps: the defender moves first, and times out
        vm.prank(carol);
        uint256 g1 = dispute.open{value: CHALLENGE_BOND}(b1);
        vm.prank(bob);
        uint256 g2 = dispute.open{value: CHALLENGE_BOND}(b2);
        vm.warp(block.timestamp + CLOCK);
        dispute.timeout(g1);
        dispute.timeout(g2); // decided for bob, never resolved before the freeze
        assertEq(uint8(dispute.game(g2).status), uint8(GameStatus.ChallengerWon));
        dispute.resolve(g1); // rewinds to 0 and slashes the sequencer
        assertEq(rollup.tip(), 0);
        vm.prank(sequencer);
        rollup.stake{value: STAKE}();

        L1Message memory overdue = m;
        if (recommit) {
            assertEq(_commit("", _records(1, 7), _post(_emptyRoot(), 1, 0)), b1);
            assertEq(_commitRecords(2), b2, "a new batch at the dropped index");
            overdue = _depositETH(alice, 1 ether);
        }
        _freezeWith(overdue);

        vm.expectEmit(address(rollup));
        emit IRollup.GameSettled(b2, bob, bob, false);
        dispute.resolve(g2);
        assertEq(uint8(dispute.game(g2).status), uint8(GameStatus.Dropped));
        assertEq(rollup.creditOf(bob), CHALLENGE_BOND, "bond back, no reward");
        assertEq(rollup.stakeOf(sequencer), STAKE, "the fresh stake is not slashed again");
        assertEq(rollup.burned(), STAKE / 2, "only the first slash burned");
    }

    function test_Escape_gameOnBatchRewoundBeforeFreezeStaysDropped() public {
        _rewoundGameStaysDropped(false);
    }

    function test_Escape_gameOnBatchReplacedBeforeFreezeStaysDropped() public {
        _rewoundGameStaysDropped(true);
    }

    /// @dev Only the Rollup opens the escape hatch: an attacker cannot pin a root of its own.
    function test_RevertWhen_BridgeHooksCalledByStranger() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IBridge.NotRollup.selector, stranger));
        bridge.freeze(0, keccak256("forged"), 0);
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(IBridge.NotRollup.selector, sequencer));
        bridge.pauseDeposits(type(uint64).max);
        vm.expectRevert(IBridge.NotFrozen.selector);
        bridge.escape();
    }

    // ----------------------------------------------------------------------------------------------------
    // What the freeze stops
    // ----------------------------------------------------------------------------------------------------

    function test_RevertWhen_CommitOrFinalizeAfterFreeze() public {
        _buildFrozen();
        StatePreimage memory post = fPost;
        vm.prank(sequencer, sequencer);
        vm.expectRevert(IRollup.RollupFrozen.selector);
        rollup.commitBatch(F, "", _records(1, 9), post, TRACE_ROOT);
        vm.warp(block.timestamp + 30 days);
        vm.expectRevert(IRollup.RollupFrozen.selector);
        rollup.finalizeBatch(DROPPED);
        vm.expectRevert(IRollup.RollupFrozen.selector);
        rollup.finalizeBatch(F);
        assertEq(rollup.lastFinalized(), F);
    }

    function test_RevertWhen_QueueAfterFreeze() public {
        _buildFrozen();
        uint64 count = bridge.messageCount();
        vm.prank(alice);
        vm.expectRevert(IBridge.QueueClosed.selector);
        bridge.depositETH{value: 1 ether}(NEW_ACCOUNT);
        token.mint(alice, 10);
        vm.startPrank(alice);
        token.approve(address(bridge), 10);
        vm.expectRevert(IBridge.QueueClosed.selector);
        bridge.depositERC20(address(token), 10, 0);
        vm.expectRevert(IBridge.QueueClosed.selector);
        bridge.forceWithdrawal(0, ETH, 1 ether);
        vm.stopPrank();
        assertEq(bridge.messageCount(), count);
    }

    /// @dev The guardian cannot undo or steer a freeze: its pause, unpause and rotation all revert, through
    ///      the real Safe.
    function test_RevertWhen_GuardianActsAfterFreeze() public {
        _buildFrozen();
        bytes memory frozen = abi.encodeWithSelector(IRollup.RollupFrozen.selector);
        _expectSafeInnerRevert(guardian, address(rollup), abi.encodeCall(rollup.pause, ()), frozen);
        _expectSafeInnerRevert(guardian, address(rollup), abi.encodeCall(rollup.unpause, ()), frozen);
        _expectSafeInnerRevert(guardian, address(rollup), abi.encodeCall(rollup.setSequencer, (stranger)), frozen);
        assertEq(rollup.sequencer(), sequencer);
    }

    /// @dev Games against the pending batch, opened minutes before the freeze with time left on every
    ///      clock: after it nobody moves (not even the side about to win), no new game opens, and each
    ///      undecided game settles as a refund of its challenger's bond. The game already decided against the
    ///      batch still slashes at resolve, so the losing sequencer keeps nothing by freezing.
    function test_Escape_freezeStopsGamesAndRefundsBonds() public {
        _buildEscape();
        // Game D (stranger), decided against the defender before the freeze but not yet resolved.
        vm.warp(freezeAt - 2 hours);
        uint256 d = _openGame(stranger);
        vm.warp(block.timestamp + CLOCK);
        dispute.timeout(d);
        assertEq(uint8(dispute.game(d).status), uint8(GameStatus.ChallengerWon));

        vm.warp(freezeAt - 10 minutes);
        uint256 a = _openGame(alice); // the defender must reveal
        uint256 b = _openGame(bob); // the challenger must pick
        _revealAll(b);
        uint256 c = _openGame(carol); // at the leaf: the challenger must step
        _revealAll(c);
        _pickFirst(c, carol);
        assertEq(rollup.batch(DROPPED).openGames, 4);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.BatchStillLive.selector, DROPPED));
        dispute.close(a);
        uint256 locked = address(rollup).balance;
        assertEq(locked, STAKE + 4 * CHALLENGE_BOND);

        vm.warp(freezeAt);
        vm.prank(sequencer); // the sequencer itself may freeze; it still forfeits
        rollup.freeze(queue[6]);

        bytes32[] memory children = droppedTrace.children(1, 2);
        vm.prank(sequencer);
        vm.expectRevert(IDisputeGame.RollupFrozen.selector);
        dispute.reveal(a, children);
        bytes32[] memory childProof = droppedTrace.open(4, 1);
        bytes32 child = droppedTrace[4];
        vm.prank(bob);
        vm.expectRevert(IDisputeGame.RollupFrozen.selector);
        dispute.pick(b, 0, child, childProof, bytes32(0), new bytes32[](0));
        vm.prank(carol);
        vm.expectRevert(IDisputeGame.RollupFrozen.selector);
        dispute.step(c, "");
        vm.warp(block.timestamp + CLOCK); // every clock has now run out
        for (uint256 id = a; id <= c; ++id) {
            vm.expectRevert(IDisputeGame.RollupFrozen.selector);
            dispute.timeout(id);
        }
        vm.prank(carol);
        vm.expectRevert(IRollup.RollupFrozen.selector);
        dispute.open{value: CHALLENGE_BOND}(DROPPED);
        vm.prank(carol);
        vm.expectRevert(IRollup.RollupFrozen.selector);
        dispute.open{value: CHALLENGE_BOND}(F);

        // The decided game slashes as it would have without the freeze (no rewind: the tip is pinned);
        // every other game settles as a refund, once.
        vm.expectEmit(address(rollup));
        emit IRollup.BatchRejected(DROPPED, rollup.epoch(), stranger, STAKE / 2, STAKE / 2);
        dispute.resolve(d);
        assertEq(uint8(dispute.game(d).status), uint8(GameStatus.ChallengerWon));
        for (uint256 id = a; id <= c; ++id) {
            _expectDropped(id);
            dispute.close(id);
            vm.expectRevert(abi.encodeWithSelector(IDisputeGame.GameOver.selector, id, GameStatus.Dropped));
            dispute.close(id);
            vm.expectRevert(abi.encodeWithSelector(IDisputeGame.AlreadyResolved.selector, id));
            dispute.resolve(id);
        }
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.AlreadyResolved.selector, d));
        dispute.resolve(d);
        assertEq(rollup.creditOf(stranger), CHALLENGE_BOND + STAKE / 2, "bond and half the stake");
        assertTrue(dispute.game(d).resolved);
        address[4] memory challengers = [stranger, alice, bob, carol];
        for (uint256 k = 1; k < 4; ++k) {
            assertEq(rollup.creditOf(challengers[k]), CHALLENGE_BOND, "bond refunded");
            assertTrue(dispute.game(k).resolved);
            assertEq(uint8(dispute.game(k).status), uint8(GameStatus.Dropped));
        }
        assertEq(rollup.creditOf(sequencer), 0);
        assertEq(rollup.stakeOf(sequencer), 0, "slashed whole");
        assertEq(rollup.burned(), STAKE / 2);
        assertEq(rollup.tip(), F, "no rewind below F");
        assertEq(address(rollup).balance, locked, "no wei moved");
        assertEq(address(rollup).balance, STAKE / 2 + STAKE / 2 + 4 * CHALLENGE_BOND, "credits + burned");

        vm.expectRevert(abi.encodeWithSelector(IRollup.NoStake.selector, sequencer));
        vm.prank(sequencer);
        rollup.unstake();
        uint256 before = alice.balance;
        vm.prank(alice);
        rollup.withdrawCredit(payable(alice));
        assertEq(alice.balance, before + CHALLENGE_BOND);
    }

    function _openGame(address who) internal returns (uint256 id) {
        vm.prank(who);
        id = dispute.open{value: CHALLENGE_BOND}(DROPPED);
    }

    function _revealAll(uint256 id) internal {
        bytes32[] memory children = droppedTrace.children(1, 2);
        vm.prank(sequencer);
        dispute.reveal(id, children);
        assertEq(uint8(dispute.game(id).turn), uint8(Turn.Challenger));
    }

    function _pickFirst(uint256 id, address who) internal {
        bytes32[] memory proof = droppedTrace.open(4, 1);
        bytes32 child = droppedTrace[4];
        vm.prank(who);
        dispute.pick(id, 0, child, proof, bytes32(0), new bytes32[](0));
    }

    function _expectDropped(uint256 id) internal {
        address challenger = dispute.game(id).challenger;
        vm.expectEmit(address(rollup));
        emit IRollup.GameSettled(DROPPED, challenger, challenger, false);
        vm.expectEmit(address(dispute));
        emit IDisputeGame.GameResolved(id, GameStatus.Dropped);
    }

    // ----------------------------------------------------------------------------------------------------
    // Exits
    // ----------------------------------------------------------------------------------------------------

    function test_Escape_exitPaysOwnerETHAndERC20() public {
        _buildFrozen();
        _exit(0, stranger); // anyone may call: alice is paid, not the caller
        _exit(3, stranger);
        _exit(1, bob);
        assertEq(address(bridge).balance, 18 ether - 12 ether);
        assertEq(token.balanceOf(address(bridge)), 1050 - 300);
        assertFalse(bridge.exited(2));
    }

    function test_RevertWhen_ExitTwice() public {
        _buildFrozen();
        _exit(2, alice);
        (StatePreimage memory post, AccountLeaf memory leaf, bytes32[] memory proof) = _exitArgs(2);
        vm.expectRevert(abi.encodeWithSelector(IBridge.AlreadyExited.selector, 2));
        bridge.exit(post, leaf, 2, proof);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IBridge.AlreadyExited.selector, 2));
        bridge.exit(post, leaf, 2, proof);
    }

    function test_RevertWhen_ExitBeforeFreeze() public {
        _buildEscape();
        (StatePreimage memory post, AccountLeaf memory leaf, bytes32[] memory proof) = _exitArgs(0);
        vm.expectRevert(IBridge.NotFrozen.selector);
        bridge.exit(post, leaf, 0, proof);
        L1Message memory m = queue[4];
        vm.expectRevert(IBridge.NotFrozen.selector);
        bridge.refund(m);
    }

    /// @dev Exits prove against F's root only: not the sequencer's dropped state (which gives it
    ///      everything), nor an older final state in which bob held more.
    function test_RevertWhen_ExitAgainstAnotherRoot() public {
        _buildFrozen();
        bytes32 pinned = _rootOf(fPost);
        StatePreimage memory dropped = droppedPost;
        AccountLeaf memory loot = droppedAccounts[0];
        bytes32[] memory proof = _accountProof(droppedAccounts, 0);
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(IBridge.NotEscapeRoot.selector, _rootOf(dropped), pinned));
        bridge.exit(dropped, loot, 0, proof);

        StatePreimage memory old = oldPost;
        AccountLeaf memory richer = oldAccounts[1]; // bob: 5 ETH in batch 1, 4 in F
        proof = _accountProof(oldAccounts, 1);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IBridge.NotEscapeRoot.selector, _rootOf(old), pinned));
        bridge.exit(old, richer, 1, proof);

        // F's preimage with a field changed hashes elsewhere (the root binds nextAccountIndex, too).
        StatePreimage memory stretched = fPost;
        stretched.nextAccountIndex = 100;
        (, AccountLeaf memory leaf, bytes32[] memory fProof) = _exitArgs(1);
        vm.expectRevert(abi.encodeWithSelector(IBridge.NotEscapeRoot.selector, _rootOf(stretched), pinned));
        bridge.exit(stretched, leaf, 1, fProof);
        assertEq(address(bridge).balance, 18 ether);
    }

    function test_RevertWhen_ExitLeafNotInState() public {
        _buildFrozen();
        (StatePreimage memory post, AccountLeaf memory leaf, bytes32[] memory proof) = _exitArgs(0);

        AccountLeaf memory altered = _copy(leaf);
        altered.balance = 9 ether; // inflated
        _expectNotInState(post, altered, 0, proof);
        altered = _copy(leaf);
        altered.owner = stranger; // redirected
        _expectNotInState(post, altered, 0, proof);
        altered = _copy(leaf);
        altered.token = DEMO; // 8 ETH claimed as 8e18 DEMO
        _expectNotInState(post, altered, 0, proof);
        altered = _copy(leaf);
        altered.nonce = 0;
        _expectNotInState(post, altered, 0, proof);

        bytes32[] memory wrong = _accountProof(fAccounts, 0);
        wrong[0] = keccak256("sibling");
        _expectNotInState(post, leaf, 0, wrong);
        wrong = _accountProof(fAccounts, 0);
        wrong[31] = bytes32(0);
        _expectNotInState(post, leaf, 0, wrong);

        // Leaf 0 at index 1 (with either proof): alice's 8 ETH cannot be exited twice under two indices.
        _expectNotInState(post, leaf, 1, proof);
        _expectNotInState(post, leaf, 1, _accountProof(fAccounts, 1));
        assertEq(address(bridge).balance, 18 ether);
    }

    function _expectNotInState(StatePreimage memory post, AccountLeaf memory leaf, uint32 index, bytes32[] memory proof)
        internal
    {
        vm.expectRevert(abi.encodeWithSelector(IBridge.AccountNotInState.selector, index));
        bridge.exit(post, leaf, index, proof);
    }

    /// @dev Positions from nextAccountIndex on are empty: in F (Z[0] there, no leaf hashes to it), and in a
    ///      non-STF state whose tree holds a leaf past its own count, where the count check alone rejects it.
    function test_RevertWhen_ExitIndexPastNextAccountIndex() public {
        _depositETH(alice, 3 ether);
        AccountLeaf[] memory a = new AccountLeaf[](2);
        a[0] = AccountLeaf(alice, ETH, 1 ether, 0);
        a[1] = AccountLeaf(bob, ETH, 2 ether, 0);
        StatePreimage memory post = _stateOf(a, new WithdrawalLeaf[](0), 1);
        post.nextAccountIndex = 1; // the tree holds bob's leaf at 1, the count excludes it
        _pinFinal(post);
        L1Message memory m = _depositETH(carol, 1 ether);
        _freezeWith(m);

        bytes32[] memory proof = _accountProof(a, 1);
        _expectNotInState(post, a[1], 1, proof);
        AccountLeaf memory empty = AccountLeaf(address(0), ETH, 0, 0);
        _expectNotInState(post, empty, 2, _accountProof(a, 2));
        _expectNotInState(post, a[1], type(uint32).max, proof);
        // The leaf inside the count still exits.
        uint256 before = alice.balance;
        bridge.exit(post, a[0], 0, _accountProof(a, 0));
        assertEq(alice.balance, before + 1 ether);
    }

    function test_RevertWhen_ExitProofNot32Siblings() public {
        _buildFrozen();
        (StatePreimage memory post, AccountLeaf memory leaf, bytes32[] memory proof) = _exitArgs(0);
        bytes32[] memory short = new bytes32[](31);
        bytes32[] memory long = new bytes32[](33);
        for (uint256 k; k < 31; ++k) {
            short[k] = proof[k];
        }
        for (uint256 k; k < 32; ++k) {
            long[k] = proof[k];
        }
        vm.expectRevert(abi.encodeWithSelector(IBridge.BadProofLength.selector, 31));
        bridge.exit(post, leaf, 0, short);
        vm.expectRevert(abi.encodeWithSelector(IBridge.BadProofLength.selector, 33));
        bridge.exit(post, leaf, 0, long);
        vm.expectRevert(abi.encodeWithSelector(IBridge.BadProofLength.selector, 0));
        bridge.exit(post, leaf, 0, new bytes32[](0));
        _exit(0, alice); // the right length still works
    }

    function test_RevertWhen_ExitZeroBalance() public {
        _buildFrozen();
        (StatePreimage memory post, AccountLeaf memory leaf, bytes32[] memory proof) = _exitArgs(4);
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IBridge.NothingToExit.selector, 4));
        bridge.exit(post, leaf, 4, proof);
        assertFalse(bridge.exited(4));
    }

    /// @dev An owner that refuses ETH blocks only its own exit, which stays open to retry; everyone else
    ///      exits as usual.
    function test_RevertWhen_ExitOwnerRefusesETH() public {
        EscapeActor refuser = new EscapeActor(bridge);
        refuser.setRefuse(true);
        _depositETH(alice, 3 ether);
        AccountLeaf[] memory a = new AccountLeaf[](2);
        a[0] = AccountLeaf(address(refuser), ETH, 2 ether, 0);
        a[1] = AccountLeaf(alice, ETH, 1 ether, 0);
        StatePreimage memory post = _stateOf(a, new WithdrawalLeaf[](0), 1);
        _pinFinal(post);
        _freezeWith(_depositETH(bob, 1 ether));

        bytes32[] memory proof0 = _accountProof(a, 0);
        vm.expectRevert(abi.encodeWithSelector(IBridge.PayoutFailed.selector, address(refuser), 2 ether));
        bridge.exit(post, a[0], 0, proof0);
        assertFalse(bridge.exited(0), "nothing marked");

        uint256 before = alice.balance;
        bridge.exit(post, a[1], 1, _accountProof(a, 1));
        assertEq(alice.balance, before + 1 ether);
        _refund(1, stranger);

        refuser.setRefuse(false);
        bridge.exit(post, a[0], 0, proof0);
        assertEq(address(refuser).balance, 2 ether);
        assertEq(address(bridge).balance, 0);
    }

    function test_RevertWhen_RefundSenderRefusesETH() public {
        EscapeActor refuser = new EscapeActor(bridge);
        uint64 i = refuser.depositETH{value: 1 ether}(); // the actor holds nothing itself
        L1Message memory m =
            _keep(L1Message(i, MSG_DEPOSIT, address(refuser), NEW_ACCOUNT, ETH, 1 ether, uint64(block.timestamp)));
        _freezeWith(m);
        refuser.setRefuse(true);
        vm.expectRevert(abi.encodeWithSelector(IBridge.PayoutFailed.selector, address(refuser), 1 ether));
        bridge.refund(m);
        assertFalse(bridge.refunded(i));
        refuser.setRefuse(false);
        bridge.refund(m);
        assertEq(address(refuser).balance, 1 ether);
    }

    /// @dev An ETH owner that re-enters the Bridge from inside its payout, to exit again or to pull its
    ///      refund within the same call, is stopped by the guard; each payout still happens exactly once.
    function test_Escape_reentrantETHRecipientCannotDoubleSpend() public {
        EscapeActor attacker = new EscapeActor(bridge);
        _depositETH(alice, 2 ether);
        AccountLeaf[] memory a = new AccountLeaf[](2);
        a[0] = AccountLeaf(address(attacker), ETH, 1 ether, 3);
        a[1] = AccountLeaf(alice, ETH, 1 ether, 0);
        StatePreimage memory post = _stateOf(a, new WithdrawalLeaf[](0), 1);
        _pinFinal(post);
        uint64 i = attacker.depositETH{value: 0.5 ether}(); // the actor holds nothing itself
        L1Message memory m =
            _keep(L1Message(i, MSG_DEPOSIT, address(attacker), NEW_ACCOUNT, ETH, 0.5 ether, uint64(block.timestamp)));
        _freezeWith(m);
        bytes32[] memory proof = _accountProof(a, 0);
        bytes memory guard = abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);

        attacker.arm(abi.encodeCall(IBridge.exit, (post, a[0], 0, proof)));
        bridge.exit(post, a[0], 0, proof);
        assertEq(attacker.reentryError(), guard, "exit again inside the exit");
        assertEq(address(attacker).balance, 1 ether);

        attacker.arm(abi.encodeCall(IBridge.refund, (m)));
        bridge.refund(m);
        assertEq(attacker.reentryError(), guard, "refund again inside the refund");
        assertEq(attacker.attempts(), 2);
        assertEq(address(attacker).balance, 1.5 ether, "paid once each");
        assertEq(address(bridge).balance, 1 ether, "alice's exit is still there");

        vm.expectRevert(abi.encodeWithSelector(IBridge.AlreadyExited.selector, 0));
        bridge.exit(post, a[0], 0, proof);
        vm.expectRevert(abi.encodeWithSelector(IBridge.AlreadyRefunded.selector, i));
        bridge.refund(m);
    }

    /// @dev A token whose transfer re-enters the Bridge during an exit (to exit the same leaf again, or to
    ///      take a refund in the same call) is stopped by the guard; the Bridge ends holding none of it.
    function test_Escape_reentrantTokenCannotDoubleSpend() public {
        ReentrantEscapeToken evil = new ReentrantEscapeToken();
        evil.mint(alice, 1000);
        vm.startPrank(alice);
        evil.approve(address(bridge), 1000);
        bridge.depositERC20(address(evil), 1000, NEW_ACCOUNT);
        vm.stopPrank();
        (uint32 id,) = bridge.tokenIdOf(address(evil));
        AccountLeaf[] memory a = new AccountLeaf[](2);
        a[0] = AccountLeaf(alice, id, 600, 0);
        a[1] = AccountLeaf(bob, id, 400, 0);
        StatePreimage memory post = _stateOf(a, new WithdrawalLeaf[](0), 1);
        _pinFinal(post);
        evil.mint(bob, 50);
        vm.startPrank(bob);
        evil.approve(address(bridge), 50);
        uint64 i = bridge.depositERC20(address(evil), 50, NEW_ACCOUNT);
        vm.stopPrank();
        L1Message memory m = L1Message(i, MSG_DEPOSIT, bob, NEW_ACCOUNT, id, 50, uint64(block.timestamp));
        _freezeWith(m);
        bytes memory guard = abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);

        bytes32[] memory proof0 = _accountProof(a, 0);
        evil.arm(address(bridge), abi.encodeCall(IBridge.exit, (post, a[0], 0, proof0)));
        bridge.exit(post, a[0], 0, proof0);
        assertEq(evil.reentryError(), guard, "exit again inside the exit");
        assertEq(evil.balanceOf(alice), 600);

        evil.arm(address(bridge), abi.encodeCall(IBridge.refund, (m)));
        bridge.exit(post, a[1], 1, _accountProof(a, 1));
        assertEq(evil.reentryError(), guard, "refund inside an exit");
        assertEq(evil.balanceOf(bob), 400, "the exit alone was paid");
        assertFalse(bridge.refunded(i));

        evil.arm(address(bridge), "");
        bridge.refund(m);
        assertEq(evil.balanceOf(bob), 450);
        assertEq(evil.attempts(), 2);
        assertEq(evil.balanceOf(address(bridge)), 0);
    }

    /// @dev Not a state the STF produces (tokens reach L2 only through deposits): a leaf of an unregistered
    ///      token pays nothing. Unlike `finalizeWithdrawal` there is no `UnknownToken` check; the transfer to
    ///      the zero address fails inside SafeERC20 instead.
    function test_RevertWhen_ExitUnregisteredToken() public {
        _depositETH(alice, 1 ether);
        AccountLeaf[] memory a = new AccountLeaf[](1);
        a[0] = AccountLeaf(alice, 7, 1 ether, 0);
        StatePreimage memory post = _stateOf(a, new WithdrawalLeaf[](0), 1);
        _pinFinal(post);
        _freezeWith(_depositETH(bob, 1 ether));
        bytes32[] memory proof = _accountProof(a, 0);
        vm.expectRevert(abi.encodeWithSelector(SafeERC20.SafeERC20FailedOperation.selector, address(0)));
        bridge.exit(post, a[0], 0, proof);
        assertFalse(bridge.exited(0));
    }

    // ----------------------------------------------------------------------------------------------------
    // Refunds
    // ----------------------------------------------------------------------------------------------------

    /// @dev m4 and m5 were consumed by the dropped batch 3 and m6 by nothing: all go back to their senders.
    function test_Escape_refundUnconsumedDeposits() public {
        _buildFrozen();
        _refund(4, stranger); // alice's 2 ETH, though batch 3 had consumed it
        _refund(5, alice); // bob's 50 DEMO, called by someone else
        _refund(6, carol);
        assertEq(address(bridge).balance, 15 ether);
        assertEq(token.balanceOf(address(bridge)), 1000);
    }

    function test_RevertWhen_RefundTwice() public {
        _buildFrozen();
        _refund(5, bob);
        L1Message memory m = queue[5];
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IBridge.AlreadyRefunded.selector, 5));
        bridge.refund(m);
    }

    /// @dev Deposits F consumed are in F's accounts: refunding them too would pay them twice.
    function test_RevertWhen_RefundConsumedByF() public {
        _buildFrozen();
        for (uint64 i; i < F_MSGS; ++i) {
            L1Message memory m = queue[i];
            vm.expectRevert(abi.encodeWithSelector(IBridge.MessageConsumed.selector, i, F_MSGS));
            bridge.refund(m);
        }
    }

    function test_RevertWhen_RefundForcedWithdrawal() public {
        _buildFrozen();
        L1Message memory m = queue[7];
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IBridge.NothingToRefund.selector, 7));
        bridge.refund(m);
        assertFalse(bridge.refunded(7));
    }

    function test_RevertWhen_RefundTamperedMessage() public {
        _buildFrozen();
        L1Message memory m = queue[4];
        L1Message[] memory bad = new L1Message[](8);
        for (uint256 k; k < bad.length; ++k) {
            bad[k] = _copy(m);
        }
        bad[0].amount = 3 ether; // inflated
        bad[1].sender = stranger; // redirected
        bad[2].token = DEMO; // 2 ETH claimed as 2e18 DEMO
        bad[3].kind = MSG_FORCED_WITHDRAWAL;
        bad[4].target = 0;
        bad[5].queuedAt = m.queuedAt + 1;
        bad[6].index = 5; // another unconsumed index
        bad[7].index = 8; // never queued
        for (uint256 k; k < bad.length; ++k) {
            vm.expectRevert(abi.encodeWithSelector(IBridge.MessageMismatch.selector, bad[k].index));
            bridge.refund(bad[k]);
        }
        // The forced withdrawal m7 dressed up as a deposit of 1 ETH.
        L1Message memory dressed = queue[7];
        dressed.kind = MSG_DEPOSIT;
        vm.expectRevert(abi.encodeWithSelector(IBridge.MessageMismatch.selector, 7));
        bridge.refund(dressed);
        assertEq(address(bridge).balance, 18 ether);
    }

    // ----------------------------------------------------------------------------------------------------
    // Withdrawals
    // ----------------------------------------------------------------------------------------------------

    function test_Escape_withdrawalsOfFinalBatchesStillPay() public {
        _buildFrozen();
        _withdraw(0, true, stranger); // against batch 1, an earlier final batch
        _withdraw(1, false, stranger); // against F
        WithdrawalLeaf memory w = fWithdrawals[0];
        StatePreimage memory post = fPost;
        bytes32[] memory proof = _withdrawalProof(fWithdrawals, 0);
        vm.expectRevert(abi.encodeWithSelector(IBridge.AlreadyPaid.selector, 0));
        bridge.finalizeWithdrawal(F, post, w, proof);
    }

    /// @dev The dropped batch's withdrawal of the whole Bridge to the sequencer never becomes payable.
    function test_RevertWhen_WithdrawalAgainstDroppedBatch() public {
        _buildFrozen();
        StatePreimage memory post = droppedPost;
        WithdrawalLeaf memory loot = droppedWithdrawals[2];
        bytes32[] memory proof = _withdrawalProof(droppedWithdrawals, 2);
        vm.warp(block.timestamp + 365 days);
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(IBridge.BatchNotFinal.selector, DROPPED));
        bridge.finalizeWithdrawal(DROPPED, post, loot, proof);
        // Nor under F's index: F's root is not the dropped state's.
        vm.expectRevert(abi.encodeWithSelector(IBridge.StateRootMismatch.selector, F, _rootOf(post), _rootOf(fPost)));
        bridge.finalizeWithdrawal(F, post, loot, proof);
        assertEq(address(bridge).balance, 18 ether);
    }

    // ----------------------------------------------------------------------------------------------------
    // Stake
    // ----------------------------------------------------------------------------------------------------

    /// @dev The forfeit: the sequencer committed batch 3 above F, which can never become final now.
    function test_RevertWhen_UnstakeWithBatchAboveF() public {
        _buildFrozen();
        for (uint256 k; k < 3; ++k) {
            vm.prank(sequencer);
            vm.expectRevert(abi.encodeWithSelector(IRollup.StakeLocked.selector, sequencer, DROPPED));
            rollup.unstake();
            vm.warp(block.timestamp + 3650 days);
        }
        assertEq(rollup.stakeOf(sequencer), STAKE);
        assertEq(rollup.creditOf(sequencer), 0);
    }

    function test_Escape_unstakeWhenAllBatchesFinal() public {
        _depositETH(alice, 1 ether);
        _pinFinal(_post(_emptyRoot(), 1, 0));
        _freezeWith(_depositETH(bob, 1 ether));
        vm.prank(sequencer);
        rollup.unstake();
        assertEq(rollup.creditOf(sequencer), STAKE);
        uint256 before = sequencer.balance;
        vm.prank(sequencer);
        rollup.withdrawCredit(payable(sequencer));
        assertEq(sequencer.balance, before + STAKE);
    }

    /// @dev After a rotation the forfeit falls on whoever committed above F: the old sequencer, whose
    ///      batches are all final, leaves; the new one, which let the deadline pass, cannot.
    function test_Escape_forfeitFallsOnCommitterAboveF() public {
        _depositETH(alice, 1 ether);
        _pinFinal(_post(_emptyRoot(), 1, 0));
        address next = makeAddr("next sequencer");
        vm.deal(next, 10 ether);
        assertTrue(_execAsSafe(guardian, address(rollup), abi.encodeCall(rollup.setSequencer, (next))));
        vm.prank(next);
        rollup.stake{value: STAKE}();
        L1Message memory m = _depositETH(bob, 1 ether);
        vm.prank(next, next);
        rollup.commitBatch(1, "", _records(1, 2), _post(_emptyRoot(), 1, 0), TRACE_ROOT); // skips m
        _freezeWith(m);

        vm.prank(sequencer);
        rollup.unstake();
        assertEq(rollup.creditOf(sequencer), STAKE);
        vm.warp(block.timestamp + 3650 days);
        vm.prank(next);
        vm.expectRevert(abi.encodeWithSelector(IRollup.StakeLocked.selector, next, 2));
        rollup.unstake();
    }

    // ----------------------------------------------------------------------------------------------------
    // Conservation
    // ----------------------------------------------------------------------------------------------------

    /// @dev Every exit, withdrawal and refund paid: the Bridge holds exactly 0 ETH and 0 DEMO, and each
    ///      user got exactly what F and the unconsumed queue say.
    function test_Escape_payingEverythingEmptiesBridge() public {
        _buildEscape();
        uint256[6] memory before = _userBalances();
        _freezeWith(queue[6]);

        for (uint256 i; i < 4; ++i) {
            _exit(i, stranger);
        }
        _withdraw(0, false, stranger);
        _withdraw(1, false, stranger);
        for (uint256 i = 4; i < 7; ++i) {
            _refund(i, stranger);
        }
        _assertNothingElsePays();
        _assertDrained(before);
    }

    /// @dev Any order of the nine payouts, each replayed at a random later point, with leaf 0 of the
    ///      withdrawal tree optionally paid before the freeze or proven against the older batch: every
    ///      payout happens exactly once and the Bridge ends at exactly zero.
    function testFuzz_Escape_anyOrderDrainsBridge(uint256 seed, bool paidEarly, bool againstOld, address caller)
        public
    {
        vm.assume(caller != alice && caller != bob && caller != carol && caller != address(bridge));
        vm.assume(caller.code.length == 0 && uint160(caller) > 0x100);
        vm.assume(caller != address(vm) && caller != CONSOLE);
        _buildEscape();
        uint256[6] memory before = _userBalances();
        if (paidEarly) _withdraw(0, againstOld, caller);
        _freezeWith(queue[6]);

        uint256[9] memory order;
        for (uint256 k; k < 9; ++k) {
            order[k] = k;
        }
        for (uint256 k = 8; k > 0; --k) {
            uint256 j = uint256(keccak256(abi.encode(seed, k))) % (k + 1);
            (order[k], order[j]) = (order[j], order[k]);
        }
        for (uint256 k; k < 9; ++k) {
            uint256 action = order[k];
            if (action == 4 && paidEarly) _expectReplayFails(action, againstOld);
            else _pay(action, againstOld, caller);
            // Replay one payout already made, chosen by the seed: it must not pay again.
            _expectReplayFails(order[uint256(keccak256(abi.encode(seed, "replay", k))) % (k + 1)], againstOld);
        }
        _assertNothingElsePays();
        _assertDrained(before);
    }

    /// @dev Payout `action`: 0..3 exit F's accounts, 4..5 withdrawal leaves, 6..8 refund m4..m6.
    function _pay(uint256 action, bool againstOld, address caller) internal {
        if (action < 4) _exit(action, caller);
        else if (action < 6) _withdraw(action - 4, againstOld && action == 4, caller);
        else _refund(action - 2, caller);
    }

    function _expectReplayFails(uint256 action, bool againstOld) internal {
        if (action < 4) {
            (StatePreimage memory post, AccountLeaf memory leaf, bytes32[] memory proof) = _exitArgs(action);
            vm.expectRevert(abi.encodeWithSelector(IBridge.AlreadyExited.selector, action));
            bridge.exit(post, leaf, uint32(action), proof);
        } else if (action < 6) {
            uint256 i = action - 4;
            bool old = againstOld && i == 0;
            StatePreimage memory post = old ? oldPost : fPost;
            uint64 batchIndex = old ? OLD : F;
            bytes32[] memory proof = old ? _withdrawalProof(oldWithdrawals, 0) : _withdrawalProof(fWithdrawals, i);
            vm.expectRevert(abi.encodeWithSelector(IBridge.AlreadyPaid.selector, i));
            bridge.finalizeWithdrawal(batchIndex, post, fWithdrawals[i], proof);
        } else {
            L1Message memory m = queue[action - 2];
            vm.expectRevert(abi.encodeWithSelector(IBridge.AlreadyRefunded.selector, m.index));
            bridge.refund(m);
        }
    }

    /// @dev What is left unpaid is unpayable: carol's empty account and bob's forced withdrawal.
    function _assertNothingElsePays() internal {
        (StatePreimage memory post, AccountLeaf memory leaf, bytes32[] memory proof) = _exitArgs(4);
        vm.expectRevert(abi.encodeWithSelector(IBridge.NothingToExit.selector, 4));
        bridge.exit(post, leaf, 4, proof);
        L1Message memory m = queue[7];
        vm.expectRevert(abi.encodeWithSelector(IBridge.NothingToRefund.selector, 7));
        bridge.refund(m);
    }

    /// @dev ETH and DEMO of alice, bob and carol.
    function _userBalances() internal view returns (uint256[6] memory b) {
        b = [
            alice.balance,
            bob.balance,
            carol.balance,
            token.balanceOf(alice),
            token.balanceOf(bob),
            token.balanceOf(carol)
        ];
    }

    /// @dev The Bridge is empty and each user got exactly F's accounts and withdrawals plus its refunds:
    ///      alice 8 + 3 + 2 ETH and 600 DEMO, bob 4 ETH and 300 + 50 DEMO, carol 1 ETH and 100 DEMO.
    function _assertDrained(uint256[6] memory before) internal view {
        assertEq(address(bridge).balance, 0, "bridge holds no ETH");
        assertEq(token.balanceOf(address(bridge)), 0, "bridge holds no DEMO");
        uint256[6] memory got = _userBalances();
        uint256[6] memory owed = [uint256(13 ether), 4 ether, 1 ether, 600, 350, 100];
        for (uint256 k; k < 6; ++k) {
            assertEq(got[k] - before[k], owed[k], "paid exactly what is owed");
        }
    }

    // ----------------------------------------------------------------------------------------------------
    // Gas
    // ----------------------------------------------------------------------------------------------------

    /// @dev Logs the callee-frame gas of the freeze, an exit and a refund of each kind (run with --isolate
    ///      for whole transactions).
    function test_Escape_gas() public {
        _buildEscape();
        vm.warp(freezeAt);
        L1Message memory m6 = queue[6];
        rollup.freeze(m6);
        console2.log("gas freeze:", vm.lastCallGas().gasTotalUsed);
        for (uint256 i; i < 4; i += 3) {
            (StatePreimage memory post, AccountLeaf memory leaf, bytes32[] memory proof) = _exitArgs(i);
            bridge.exit(post, leaf, uint32(i), proof);
            console2.log(i == 0 ? "gas exit ETH:" : "gas exit ERC20:", vm.lastCallGas().gasTotalUsed);
        }
        for (uint256 i = 4; i < 6; ++i) {
            L1Message memory m = queue[i];
            bridge.refund(m);
            console2.log(i == 4 ? "gas refund ETH:" : "gas refund ERC20:", vm.lastCallGas().gasTotalUsed);
        }
    }
}
