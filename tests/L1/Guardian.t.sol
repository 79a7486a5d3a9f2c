// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {console2} from "forge-std/console2.sol";

import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {IBridge} from "../../contracts/interfaces/IBridge.sol";
import {IDisputeGame} from "../../contracts/interfaces/IDisputeGame.sol";
import {Game, GameStatus, Position, Turn} from "../../contracts/dispute/DisputeTypes.sol";
import {LibHash} from "../../contracts/libraries/LibHash.sol";
import {
    AccountLeaf,
    L1Message,
    StatePreimage,
    WithdrawalLeaf,
    MSG_DEPOSIT,
    MSG_FORCED_WITHDRAWAL,
    NEW_ACCOUNT
} from "../../contracts/libraries/Types.sol";
import {Deploy} from "../../script/Deploy.s.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {ISafe} from "../utils/SafeMultisig.sol";
import {MerkleBuilder} from "../utils/MerkleBuilder.sol";
import {TraceTree} from "../dispute/utils/TraceTree.sol";

/// @title GuardianTest
/// @notice The guardian's powers and their limits (PROTOCOL §17), with the guardian a real 3-of-5 Safe whose
///         transactions carry threshold owner signatures and are submitted by a relayer. The guardian may
///         pause commits and deposits for at most PAUSE, not again before pause start + PAUSE + COOLDOWN (an
///         early unpause does not shorten the cooldown), and rotate the sequencer (who must post its own
///         stake). It touches nothing else: during a pause forced withdrawals queue, games open, move and
///         time out, batches finalize, withdrawals pay, stakes and credits come out, and the freeze comes
///         exactly DEADLINE after the overdue message was queued; once frozen the guardian is inert and
///         exits and refunds pay their rightful owners even when the Safe submits them. A fuzzed adversarial
///         guardian never pauses more than PAUSE of any message's deadline, so an honest sequencer always
///         commits before the freeze.
/// @dev Inner reverts do not cross the Safe (it reverts "GS013"): `_expectSafeInnerRevert` checks GS013
///      through `execTransaction` and the exact inner error by repeating the call directly as the Safe.
contract GuardianTest is BaseTest {
    using TraceTree for bytes32[];

    /// @dev One pause as it really ran: paused while `start <= now < end` (`end` moved by an early unpause).
    struct Span {
        uint64 start;
        uint64 end;
    }

    /// @dev State of one fuzzed run of `testFuzz_Guardian_pausesNeverStarveAnHonestSequencer`.
    struct Run {
        uint256 seed;
        uint256 draws;
        /// @dev When the message is queued, and when the guardian next tries to pause / unpause early.
        uint256 queueAt;
        uint256 attemptAt;
        uint256 unpauseAt;
        /// @dev When the honest sequencer's commit consuming the message landed.
        uint256 commitAt;
        bool queued;
        bool committed;
        /// @dev The earliest next pause the rules allow, from the pauses seen so far.
        uint64 allowedAt;
        L1Message m;
    }

    Run internal _run;
    Span[] internal _spans;

    // ----------------------------------------------------------------------------------------------------
    // Helpers
    // ----------------------------------------------------------------------------------------------------

    /// @dev Threshold signatures of the guardian's owners over a call of `target` with `data`. Signing reads
    ///      the Safe (nonce, hash), so it must come before any `vm.expectEmit`/`vm.expectRevert`.
    function _guardianSigs(address target, bytes memory data) internal view returns (bytes memory) {
        return _signSafeTx(guardian, target, data, _safeSigners(guardian, ISafe(guardian).getThreshold()));
    }

    /// @dev The guardian calls the Rollup through its Safe; the Safe transaction must succeed.
    function _guardian(bytes memory data) internal {
        assertTrue(_execAsSafe(guardian, address(rollup), data), "guardian Safe tx");
    }

    function _pause() internal {
        _guardian(abi.encodeCall(IRollup.pause, ()));
    }

    function _unpause() internal {
        _guardian(abi.encodeCall(IRollup.unpause, ()));
    }

    function _setSequencer(address next) internal {
        _guardian(abi.encodeCall(IRollup.setSequencer, (next)));
    }

    /// @dev A fully signed guardian transaction calling the Rollup with `data` fails with `inner`.
    function _expectGuardianRevert(bytes memory data, bytes memory inner) internal {
        _expectSafeInnerRevert(guardian, address(rollup), data, inner);
    }

    /// @dev Queues an ETH deposit of `amount` from `who` and returns the message as the Bridge hashed it.
    function _depositMsg(address who, uint128 amount) internal returns (L1Message memory m) {
        m = L1Message(bridge.messageCount(), MSG_DEPOSIT, who, NEW_ACCOUNT, 0, amount, uint64(block.timestamp));
        vm.prank(who);
        assertEq(bridge.depositETH{value: amount}(NEW_ACCOUNT), m.index);
    }

    /// @dev Queues a forced withdrawal of `amount` ETH from L2 account `account`, sent by `who`.
    function _forcedMsg(address who, uint64 account, uint128 amount) internal returns (L1Message memory m) {
        m = L1Message(bridge.messageCount(), MSG_FORCED_WITHDRAWAL, who, account, 0, amount, uint64(block.timestamp));
        vm.prank(who);
        assertEq(bridge.forceWithdrawal(account, 0, amount), m.index);
    }

    /// @dev Commits one record on the tip as `who`, consuming every message queued so far.
    function _commitAs(address who) internal returns (uint64) {
        uint64 parent = rollup.tip();
        bytes memory records = _records(1, parent);
        StatePreimage memory post = _post(_emptyRoot(), bridge.messageCount(), 0);
        vm.prank(who, who);
        return rollup.commitBatch(parent, "", records, post, TRACE_ROOT);
    }

    /// @dev The same commit as `_commitAs`, expected to revert with `err`.
    function _expectCommitRevert(address who, bytes memory err) internal {
        uint64 parent = rollup.tip();
        bytes memory records = _records(1, parent);
        StatePreimage memory post = _post(_emptyRoot(), bridge.messageCount(), 0);
        vm.prank(who, who);
        vm.expectRevert(err);
        rollup.commitBatch(parent, "", records, post, TRACE_ROOT);
    }

    /// @dev Commits and both kinds of deposit fail with the pause's end `until`.
    function _assertPausedUntil(uint64 until) internal {
        _expectCommitRevert(sequencer, abi.encodeWithSelector(IRollup.CommitsPaused.selector, until));
        bytes memory err = abi.encodeWithSelector(IBridge.DepositsPausedUntil.selector, until);
        vm.prank(alice);
        vm.expectRevert(err);
        bridge.depositETH{value: 1 ether}(NEW_ACCOUNT);
        token.mint(alice, 100);
        vm.startPrank(alice);
        token.approve(address(bridge), 100);
        vm.expectRevert(err);
        bridge.depositERC20(address(token), 100, NEW_ACCOUNT);
        vm.stopPrank();
    }

    /// @dev A commit and both kinds of deposit go through.
    function _assertOpen() internal {
        uint64 queued = bridge.messageCount();
        vm.prank(alice);
        bridge.depositETH{value: 1 ether}(NEW_ACCOUNT);
        token.mint(alice, 100);
        vm.startPrank(alice);
        token.approve(address(bridge), 100);
        bridge.depositERC20(address(token), 100, NEW_ACCOUNT);
        vm.stopPrank();
        assertEq(bridge.messageCount(), queued + 2, "deposits queued");
        uint64 tip = rollup.tip();
        assertEq(_commitAs(sequencer), tip + 1, "committed on the tip");
    }

    // ----------------------------------------------------------------------------------------------------
    // Pause and unpause
    // ----------------------------------------------------------------------------------------------------

    /// @dev A pause stops commits and deposits until `until`, and ends on its own: no second guardian
    ///      transaction is needed (or possible, see the cooldown) to resume.
    function test_Guardian_pauseStopsCommitsAndDepositsUntilItEnds() public {
        uint64 until = uint64(block.timestamp) + PAUSE;
        uint64 next = until + COOLDOWN;
        bytes memory data = abi.encodeCall(IRollup.pause, ());
        bytes memory sigs = _guardianSigs(address(rollup), data);
        vm.expectEmit(address(rollup));
        emit IRollup.Paused(until, next);
        vm.expectEmit(address(bridge));
        emit IBridge.DepositsPaused(until);
        assertTrue(_submitSafeTx(guardian, address(rollup), data, sigs));

        assertEq(rollup.pausedUntil(), until, "pausedUntil = now + PAUSE");
        assertEq(rollup.nextPauseAt(), next, "nextPauseAt = now + PAUSE + COOLDOWN");
        assertEq(bridge.depositsPausedUntil(), until, "the Bridge pauses to the same second");
        _assertPausedUntil(until);
        vm.warp(until - 1);
        _assertPausedUntil(until);

        uint256 nonce = ISafe(guardian).nonce();
        vm.warp(until);
        _assertOpen();
        assertEq(ISafe(guardian).nonce(), nonce, "resumed without any guardian transaction");
        assertEq(rollup.nextPauseAt(), next, "the cooldown still runs");
    }

    /// @dev An early unpause resumes commits and deposits in the same second, and leaves the cooldown as it
    ///      was: unpausing buys the guardian nothing.
    function test_Guardian_unpauseEndsThePauseEarly() public {
        _pause();
        uint64 next = rollup.nextPauseAt();
        vm.warp(block.timestamp + 1 hours);
        uint64 now_ = uint64(block.timestamp);
        bytes memory data = abi.encodeCall(IRollup.unpause, ());
        bytes memory sigs = _guardianSigs(address(rollup), data);
        vm.expectEmit(address(rollup));
        emit IRollup.Unpaused();
        vm.expectEmit(address(bridge));
        emit IBridge.DepositsPaused(now_);
        assertTrue(_submitSafeTx(guardian, address(rollup), data, sigs));

        assertEq(rollup.pausedUntil(), now_);
        assertEq(bridge.depositsPausedUntil(), now_);
        assertEq(rollup.nextPauseAt(), next, "an early unpause does not move the next pause");
        _assertOpen();
    }

    /// @dev Unpause needs a running pause: never paused, already unpaused, or expired on its own.
    function test_RevertWhen_UnpauseWithoutAPause() public {
        bytes memory unpause = abi.encodeCall(IRollup.unpause, ());
        bytes memory notPaused = abi.encodeWithSelector(IRollup.NotPaused.selector);
        _expectGuardianRevert(unpause, notPaused);

        _pause();
        vm.warp(block.timestamp + 1 hours);
        _unpause();
        _expectGuardianRevert(unpause, notPaused);

        vm.warp(rollup.nextPauseAt());
        _pause();
        vm.warp(rollup.pausedUntil());
        _expectGuardianRevert(unpause, notPaused);
    }

    /// @dev No second pause before pause start + PAUSE + COOLDOWN: not in the same second, not once the
    ///      pause expired, not one second early; exactly at `nextPauseAt` it succeeds and restarts the clock.
    function test_RevertWhen_PauseInCooldown() public {
        uint64 start = uint64(block.timestamp);
        _pause();
        uint64 next = start + PAUSE + COOLDOWN;
        bytes memory pause = abi.encodeCall(IRollup.pause, ());
        bytes memory inCooldown = abi.encodeWithSelector(IRollup.PauseInCooldown.selector, next);
        _expectGuardianRevert(pause, inCooldown);
        vm.warp(start + PAUSE);
        _expectGuardianRevert(pause, inCooldown);
        vm.warp(next - 1);
        _expectGuardianRevert(pause, inCooldown);
        assertEq(rollup.pausedUntil(), start + PAUSE, "the failed attempts changed nothing");

        vm.warp(next);
        _pause();
        assertEq(rollup.pausedUntil(), next + PAUSE);
        assertEq(rollup.nextPauseAt(), next + PAUSE + COOLDOWN);
        _assertPausedUntil(next + PAUSE);
    }

    /// @dev Unpausing early and pausing again would let the guardian split one pause into many; the
    ///      cooldown counts from the first pause's full length, whatever the unpause did.
    function test_RevertWhen_PauseInCooldownAfterEarlyUnpause() public {
        uint64 start = uint64(block.timestamp);
        _pause();
        vm.warp(start + 1 minutes);
        _unpause();
        uint64 next = start + PAUSE + COOLDOWN;
        bytes memory pause = abi.encodeCall(IRollup.pause, ());
        bytes memory inCooldown = abi.encodeWithSelector(IRollup.PauseInCooldown.selector, next);
        _expectGuardianRevert(pause, inCooldown);
        vm.warp(next - 1);
        _expectGuardianRevert(pause, inCooldown);
        vm.warp(next);
        _pause();
        assertEq(rollup.pausedUntil(), next + PAUSE);
    }

    // ----------------------------------------------------------------------------------------------------
    // Only the Safe, with threshold signatures
    // ----------------------------------------------------------------------------------------------------

    /// @dev Every owner acting alone, the sequencer, the relayer, an outsider and the other contracts of the
    ///      suite are all refused: only the Safe's address is the guardian.
    function test_RevertWhen_GuardianActionNotFromTheSafe() public {
        address[] memory owners = ISafe(guardian).getOwners();
        address[] memory callers = new address[](owners.length + 5);
        for (uint256 i; i < owners.length; ++i) {
            callers[i] = owners[i];
        }
        uint256 n = owners.length;
        (callers[n], callers[n + 1], callers[n + 2]) = (sequencer, safeRelayer, alice);
        (callers[n + 3], callers[n + 4]) = (address(bridge), address(dispute));
        bytes[3] memory calls = [
            abi.encodeCall(IRollup.pause, ()),
            abi.encodeCall(IRollup.unpause, ()),
            abi.encodeCall(IRollup.setSequencer, (alice))
        ];
        for (uint256 i; i < callers.length; ++i) {
            for (uint256 j; j < calls.length; ++j) {
                vm.prank(callers[i]);
                vm.expectRevert(abi.encodeWithSelector(IRollup.NotGuardian.selector, callers[i]));
                // With expectRevert pending, `ok` reports whether the expectation held.
                (bool ok,) = address(rollup).call(calls[j]);
                assertTrue(ok, "NotGuardian");
            }
        }
        assertEq(rollup.pausedUntil(), 0);
        assertEq(rollup.nextPauseAt(), 0);
        assertEq(rollup.sequencer(), sequencer);
    }

    /// @dev Another Safe, properly signed by its own owners, is not the guardian either.
    function test_RevertWhen_AnotherSafePauses() public {
        address other = _deploySafe();
        _expectSafeInnerRevert(
            other,
            address(rollup),
            abi.encodeCall(IRollup.pause, ()),
            abi.encodeWithSelector(IRollup.NotGuardian.selector, other)
        );
    }

    /// @dev Two of five owners cannot act: the Safe refuses before calling anything ("GS020").
    function test_RevertWhen_GuardianBelowThreshold() public {
        bytes[2] memory calls = [abi.encodeCall(IRollup.pause, ()), abi.encodeCall(IRollup.setSequencer, (alice))];
        for (uint256 j; j < calls.length; ++j) {
            bytes memory sigs = _signSafeTx(guardian, address(rollup), calls[j], _safeSigners(guardian, 2));
            vm.expectRevert(bytes("GS020"));
            _submitSafeTx(guardian, address(rollup), calls[j], sigs);
        }
        assertEq(ISafe(guardian).nonce(), 0);
        assertEq(rollup.pausedUntil(), 0);
        assertEq(rollup.sequencer(), sequencer);
    }

    /// @dev The Bridge's hooks answer the Rollup alone: the guardian cannot pause deposits past its own
    ///      rule, nor open the escape hatch on a state of its choosing, by calling the Bridge directly.
    function test_RevertWhen_BridgeHooksCalledByAnyoneButTheRollup() public {
        bytes[2] memory hooks = [
            abi.encodeCall(IBridge.pauseDeposits, (type(uint64).max)),
            abi.encodeCall(IBridge.freeze, (0, keccak256("any root"), 0))
        ];
        address[4] memory callers = [sequencer, alice, ISafe(guardian).getOwners()[0], address(dispute)];
        for (uint256 j; j < hooks.length; ++j) {
            _expectSafeInnerRevert(
                guardian, address(bridge), hooks[j], abi.encodeWithSelector(IBridge.NotRollup.selector, guardian)
            );
            for (uint256 i; i < callers.length; ++i) {
                vm.prank(callers[i]);
                vm.expectRevert(abi.encodeWithSelector(IBridge.NotRollup.selector, callers[i]));
                (bool ok,) = address(bridge).call(hooks[j]);
                assertTrue(ok, "NotRollup");
            }
        }
        assertEq(bridge.depositsPausedUntil(), 0);
        vm.expectRevert(IBridge.NotFrozen.selector);
        bridge.escape();
        _assertOpen();
    }

    // ----------------------------------------------------------------------------------------------------
    // What a pause never stops
    // ----------------------------------------------------------------------------------------------------

    /// @dev A forced withdrawal is how a censored user gets out; the pause that refuses deposits queues it.
    function test_Guardian_forceWithdrawalQueuesDuringAPause() public {
        _pause();
        uint64 index = bridge.messageCount();
        bytes32 h = LibHash.message(index, MSG_FORCED_WITHDRAWAL, alice, 3, 0, 1 ether, uint64(block.timestamp));
        vm.expectEmit(address(bridge));
        emit IBridge.MessageQueued(index, MSG_FORCED_WITHDRAWAL, alice, 3, 0, 1 ether, uint64(block.timestamp), h);
        L1Message memory m = _forcedMsg(alice, 3, 1 ether);
        assertEq(bridge.messageCount(), index + 1);
        assertEq(bridge.messageHash(m.index), h);
        assertLt(block.timestamp, rollup.pausedUntil(), "queued inside the pause");
    }

    /// @dev A game on an honest batch, opened late in its window, runs wholly inside a pause: open, reveal,
    ///      pick, the challenger's timeout, resolve; then the batch finalizes at the end of its window, and
    ///      the sequencer unstakes and withdraws its stake and the forfeited bond, all before the pause ends.
    function test_Guardian_disputeFinalityAndPayoutsRunThroughAPause() public {
        // T = 4: three padding records and the identity step, each leaving the genesis state as it was.
        bytes32[] memory tree = TraceTree.build(TraceTree.filled(rollup.stateRoot(0), 4));
        vm.prank(sequencer, sequencer);
        uint64 index = rollup.commitBatch(0, "", new bytes(3 * 128), _post(_emptyRoot(), 0, 0), tree.root());
        uint256 committedAt = block.timestamp;

        vm.warp(committedAt + WINDOW - 3 hours);
        _pause();
        uint64 until = rollup.pausedUntil();

        vm.prank(alice);
        uint256 id = dispute.open{value: CHALLENGE_BOND}(index);
        vm.warp(block.timestamp + 10 minutes);
        vm.prank(sequencer);
        dispute.reveal(id, tree.children(1, 2));
        vm.warp(block.timestamp + 10 minutes);
        // Child 1 is step 1's leaf (generalized index 5); its pre-root is step 0's post-root (index 4).
        vm.prank(alice);
        dispute.pick(id, 1, tree[5], tree.open(5, 1), tree[4], tree.open(4, 1));
        Game memory g = dispute.game(id);
        assertEq(Position.unwrap(g.position), 5);
        assertEq(uint8(g.turn), uint8(Turn.Challenger), "at the leaf: the challenger must step");

        // An honest step cannot be won; the challenger stalls and loses on its clock.
        vm.warp(block.timestamp + CLOCK);
        vm.expectEmit(address(dispute));
        emit IDisputeGame.GameDecided(id, GameStatus.DefenderWon);
        vm.prank(bob);
        dispute.timeout(id);
        vm.prank(bob);
        dispute.resolve(id);
        assertEq(rollup.creditOf(sequencer), CHALLENGE_BOND, "the challenger's bond to the defender");
        assertEq(rollup.batch(index).openGames, 0);

        vm.warp(committedAt + WINDOW);
        vm.expectEmit(address(rollup));
        emit IRollup.BatchFinalized(index, rollup.stateRoot(index));
        rollup.finalizeBatch(index);

        uint256 before = sequencer.balance;
        vm.startPrank(sequencer);
        rollup.unstake();
        rollup.withdrawCredit(payable(sequencer));
        vm.stopPrank();
        assertEq(sequencer.balance, before + STAKE + CHALLENGE_BOND);
        assertLt(block.timestamp, until, "all of it inside the pause");
        _expectCommitRevert(sequencer, abi.encodeWithSelector(IRollup.CommitsPaused.selector, until));
    }

    /// @dev A final batch of bob's withdrawal of `amount` ETH (the bridge funded by alice's deposits, which
    ///      the batch consumes), with its post-state preimage, leaf and proof.
    function _withdrawalBatch(uint128 amount)
        internal
        returns (uint64 index, StatePreimage memory post, WithdrawalLeaf memory leaf, bytes32[] memory proof)
    {
        _fundBridge();
        leaf = WithdrawalLeaf(0, bob, 0, amount);
        bytes32[] memory hashes = new bytes32[](1);
        hashes[0] = LibHash.withdrawalLeaf(leaf);
        bytes32 root;
        (root, proof) = MerkleBuilder.stateProof(hashes, 0);
        post = _post(root, 2, 1);
        index = _commit("", _records(1, 1), post);
    }

    /// @dev A batch finalizes and its withdrawal pays during a pause; unstake and withdrawCredit work too.
    function test_Guardian_finalizeWithdrawalUnstakePayDuringAPause() public {
        (uint64 index, StatePreimage memory post, WithdrawalLeaf memory leaf, bytes32[] memory proof) =
            _withdrawalBatch(3 ether);
        vm.warp(block.timestamp + WINDOW - 1 hours);
        _pause();
        _finalize(index);
        uint256 before = bob.balance;
        vm.prank(alice); // anyone may finalize a withdrawal
        bridge.finalizeWithdrawal(index, post, leaf, proof);
        assertEq(bob.balance, before + 3 ether);

        before = sequencer.balance;
        vm.startPrank(sequencer);
        rollup.unstake();
        rollup.withdrawCredit(payable(sequencer));
        vm.stopPrank();
        assertEq(sequencer.balance, before + STAKE);
        assertLt(block.timestamp, rollup.pausedUntil(), "inside the pause");
    }

    /// @dev The guardian has no function that moves user funds; submitting a user's withdrawal through its
    ///      Safe pays the recipient of the leaf, not the Safe, and only once.
    function test_Guardian_safeFinalizingAWithdrawalPaysTheRecipient() public {
        (uint64 index, StatePreimage memory post, WithdrawalLeaf memory leaf, bytes32[] memory proof) =
            _withdrawalBatch(3 ether);
        _finalize(index);
        bytes memory data = abi.encodeCall(IBridge.finalizeWithdrawal, (index, post, leaf, proof));
        uint256 before = bob.balance;
        assertTrue(_execAsSafe(guardian, address(bridge), data));
        assertEq(bob.balance, before + 3 ether, "the leaf's recipient is paid");
        assertEq(guardian.balance, 0, "the Safe gets nothing");
        assertTrue(bridge.paid(0));
        _expectSafeInnerRevert(
            guardian, address(bridge), data, abi.encodeWithSelector(IBridge.AlreadyPaid.selector, uint32(0))
        );
    }

    /// @dev A message queued one second before a pause is freezable exactly DEADLINE after it was queued:
    ///      the pause does not move the deadline. Frozen, the guardian can do nothing at all.
    function test_Guardian_pauseDoesNotMoveTheFreezeDeadline() public {
        L1Message memory m = _depositMsg(alice, 1 ether);
        uint256 dueAt = uint256(m.queuedAt) + DEADLINE;
        vm.warp(block.timestamp + 1);
        _pause();
        assertLe(rollup.pausedUntil(), dueAt, "the pause ends before the deadline");

        vm.warp(dueAt);
        vm.expectRevert(abi.encodeWithSelector(IRollup.NotOverdue.selector, m.index, dueAt));
        rollup.freeze(m);
        vm.warp(dueAt + 1);
        vm.expectEmit(address(rollup));
        emit IRollup.Frozen(0, m.index, bob);
        vm.expectEmit(address(bridge));
        emit IBridge.EscapeOpened(0, rollup.stateRoot(0), 0);
        vm.prank(bob);
        rollup.freeze(m);
        assertTrue(rollup.frozen());

        _assertGuardianInert();
        uint256 before = alice.balance;
        vm.prank(alice);
        bridge.refund(m);
        assertEq(alice.balance, before + 1 ether, "refunded");
    }

    /// @dev A pause laid over the deadline's end does not hold the freeze back either: the freeze lands inside
    ///      the pause, and the guardian cannot even unpause afterwards.
    function test_Guardian_freezeLandsInsideAPause() public {
        L1Message memory m = _depositMsg(alice, 1 ether);
        uint256 dueAt = uint256(m.queuedAt) + DEADLINE;
        vm.warp(dueAt - 1 hours);
        _pause();
        vm.warp(dueAt + 1);
        assertLt(block.timestamp, rollup.pausedUntil(), "still paused");
        rollup.freeze(m);
        assertTrue(rollup.frozen());
        _assertGuardianInert();
        vm.prank(bob);
        vm.expectRevert(IBridge.QueueClosed.selector);
        bridge.depositETH{value: 1 ether}(NEW_ACCOUNT);
        vm.prank(alice);
        bridge.refund(m);
        assertTrue(bridge.refunded(m.index));
    }

    /// @dev Once frozen: pause, unpause and setSequencer revert RollupFrozen even with threshold signatures.
    function _assertGuardianInert() internal {
        bytes memory frozen = abi.encodeWithSelector(IRollup.RollupFrozen.selector);
        _expectGuardianRevert(abi.encodeCall(IRollup.pause, ()), frozen);
        _expectGuardianRevert(abi.encodeCall(IRollup.unpause, ()), frozen);
        _expectGuardianRevert(abi.encodeCall(IRollup.setSequencer, (alice)), frozen);
        assertEq(rollup.sequencer(), sequencer);
    }

    /// @dev After the freeze, exits and refunds are beyond the guardian: it is inert, and exits and refunds
    ///      it submits through its Safe pay the account's owner and the deposit's sender.
    function test_Guardian_cannotBlockOrRedirectExitsAndRefunds() public {
        _fundBridge(); // alice: 10 ether (message 0) and 1000 DEMO (message 1)
        AccountLeaf[] memory accounts = new AccountLeaf[](2);
        accounts[0] = AccountLeaf(alice, 0, 10 ether, 0);
        accounts[1] = AccountLeaf(bob, 1, 1000, 3); // alice's DEMO, sent on to bob on L2
        bytes32[] memory hashes = new bytes32[](2);
        hashes[0] = LibHash.accountLeaf(accounts[0]);
        hashes[1] = LibHash.accountLeaf(accounts[1]);
        StatePreimage memory post = StatePreimage(MerkleBuilder.stateRoot(hashes), _emptyRoot(), 2, 2, 0);
        uint64 index = _commit("", _records(1, 5), post);
        // Bob's deposit after the batch is never consumed: the sequencer has gone, the rollup will freeze.
        L1Message memory m = _depositMsg(bob, 1 ether);
        _finalize(index);
        vm.warp(uint256(m.queuedAt) + DEADLINE + 1);
        rollup.freeze(m);
        (uint64 pinned,,) = bridge.escape();
        assertEq(pinned, index);

        _assertGuardianInert();

        (, bytes32[] memory proof0) = MerkleBuilder.stateProof(hashes, 0);
        uint256 before = alice.balance;
        assertTrue(_execAsSafe(guardian, address(bridge), abi.encodeCall(IBridge.exit, (post, accounts[0], 0, proof0))));
        assertEq(alice.balance, before + 10 ether, "the account's owner is paid");
        assertTrue(bridge.exited(0));

        (, bytes32[] memory proof1) = MerkleBuilder.stateProof(hashes, 1);
        vm.prank(bob);
        bridge.exit(post, accounts[1], 1, proof1);
        assertEq(token.balanceOf(bob), 1000);

        before = bob.balance;
        assertTrue(_execAsSafe(guardian, address(bridge), abi.encodeCall(IBridge.refund, (m))));
        assertEq(bob.balance, before + 1 ether, "the deposit's sender is refunded");
        assertEq(guardian.balance, 0, "the Safe gets nothing");
        assertEq(token.balanceOf(guardian), 0);
        assertEq(address(bridge).balance, 0);
    }

    // ----------------------------------------------------------------------------------------------------
    // Rotating the sequencer
    // ----------------------------------------------------------------------------------------------------

    /// @dev The new sequencer replaces the old at once, but commits only with its own stake.
    function test_Guardian_rotatesTheSequencer() public {
        address next = makeAddr("next sequencer");
        vm.deal(next, 10 ether);
        _commitRecords(1);
        bytes memory data = abi.encodeCall(IRollup.setSequencer, (next));
        bytes memory sigs = _guardianSigs(address(rollup), data);
        vm.expectEmit(address(rollup));
        emit IRollup.SequencerRotated(sequencer, next);
        assertTrue(_submitSafeTx(guardian, address(rollup), data, sigs));
        assertEq(rollup.sequencer(), next);

        _expectCommitRevert(sequencer, abi.encodeWithSelector(IRollup.NotSequencer.selector));
        _expectCommitRevert(next, abi.encodeWithSelector(IRollup.InsufficientStake.selector, 0, STAKE));
        vm.prank(next);
        rollup.stake{value: STAKE}();
        assertEq(_commitAs(next), 2, "on the tip the old sequencer left");
        assertEq(rollup.batch(2).committer, next);
        assertEq(rollup.batch(2).parent, 1);
    }

    function test_RevertWhen_SetSequencerZero() public {
        _expectGuardianRevert(
            abi.encodeCall(IRollup.setSequencer, (address(0))),
            abi.encodeWithSelector(IRollup.ZeroParameter.selector, "sequencer")
        );
        assertEq(rollup.sequencer(), sequencer);
    }

    /// @dev The old sequencer's stake answers for its own batches only: locked until its last one is final,
    ///      then free, even while its successor's batch on top is still pending.
    function test_Guardian_oldSequencerUnstakesOnceItsLastBatchIsFinal() public {
        address next = makeAddr("next sequencer");
        vm.deal(next, 10 ether);
        uint64 last = _commitRecords(1);
        _setSequencer(next);
        vm.prank(next);
        rollup.stake{value: STAKE}();
        vm.warp(block.timestamp + 1 hours);
        uint64 theirs = _commitAs(next);

        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(IRollup.StakeLocked.selector, sequencer, last));
        rollup.unstake();
        _finalize(last);
        uint256 before = sequencer.balance;
        vm.startPrank(sequencer);
        rollup.unstake();
        rollup.withdrawCredit(payable(sequencer));
        vm.stopPrank();
        assertEq(sequencer.balance, before + STAKE);

        vm.prank(next);
        vm.expectRevert(abi.encodeWithSelector(IRollup.StakeLocked.selector, next, theirs));
        rollup.unstake();
    }

    /// @dev Rotation is allowed during a pause; the pause holds the new sequencer too, until it ends.
    function test_Guardian_rotatesDuringAPause() public {
        address next = makeAddr("next sequencer");
        vm.deal(next, 10 ether);
        vm.prank(next);
        rollup.stake{value: STAKE}();
        _pause();
        uint64 until = rollup.pausedUntil();
        _setSequencer(next);
        _expectCommitRevert(next, abi.encodeWithSelector(IRollup.CommitsPaused.selector, until));
        vm.warp(until);
        assertEq(_commitAs(next), 1);
    }

    // ----------------------------------------------------------------------------------------------------
    // Liveness: pauses never starve an honest sequencer
    // ----------------------------------------------------------------------------------------------------

    /// @dev Replaces the suite with one at the tightest parameters the constructor accepts: D = 2P,
    ///      COOLDOWN = D − P. Same guardian Safe, the sequencer staked.
    function _useTightSuite() internal {
        Deploy script = new Deploy();
        Deploy.Deployment memory d = script.deploy(
            address(script),
            Deploy.Params(sequencer, WINDOW, STAKE, CHALLENGE_BOND, CLOCK, guardian, 16 hours, 8 hours, 8 hours)
        );
        (rollup, bridge, verifier, dispute) = (d.rollup, d.bridge, d.verifier, d.dispute);
        vm.prank(sequencer);
        rollup.stake{value: STAKE}();
    }

    function _draw() internal returns (uint256) {
        return uint256(keccak256(abi.encode(_run.seed, _run.draws++)));
    }

    /// @dev The guardian's next pause attempt after now: at `nextPauseAt` exactly (greedy), one second before
    ///      it (refused), at the message's arrival, where a pause would straddle the deadline's end, or at a
    ///      random later time.
    function _nextAttempt() internal returns (uint256 at) {
        uint256 now_ = block.timestamp;
        uint256 r = _draw();
        uint256 allowed = rollup.nextPauseAt();
        uint256 mode = r % 6;
        if (mode == 0) at = allowed;
        else if (mode == 1 && allowed != 0) at = allowed - 1;
        else if (mode == 2) at = _run.queueAt;
        else if (mode == 3) at = _run.queueAt + rollup.DEADLINE() - rollup.PAUSE();
        else if (mode == 4) at = now_ + 1 + (r >> 8) % (2 * uint256(rollup.PAUSE()));
        else at = now_ + 1 + (r >> 8) % (uint256(rollup.COOLDOWN()) + rollup.PAUSE());
        if (at <= now_) at = now_ + 1 + (r >> 16) % rollup.PAUSE();
    }

    /// @dev A pause attempt through the Safe: it succeeds iff the rules allow one now (checked against a
    ///      model of them); a successful one is sometimes cut short by a scheduled early unpause.
    function _guardianAttempts() internal {
        uint64 allowed = rollup.nextPauseAt();
        assertEq(allowed, _run.allowedAt, "nextPauseAt follows the rules");
        uint64 now_ = uint64(block.timestamp);
        uint64 p = rollup.PAUSE();
        if (now_ >= allowed) {
            _pause();
            assertEq(rollup.pausedUntil(), now_ + p);
            _spans.push(Span(now_, now_ + p));
            _run.allowedAt = now_ + p + rollup.COOLDOWN();
            uint256 r = _draw();
            if (r % 3 == 0) _run.unpauseAt = now_ + 1 + (r >> 8) % (p - 1);
        } else {
            _expectGuardianRevert(
                abi.encodeCall(IRollup.pause, ()), abi.encodeWithSelector(IRollup.PauseInCooldown.selector, allowed)
            );
        }
        _run.attemptAt = _nextAttempt();
    }

    function _guardianUnpausesEarly() internal {
        assertLt(block.timestamp, rollup.pausedUntil(), "unpause inside the pause");
        _unpause();
        _spans[_spans.length - 1].end = uint64(block.timestamp);
        _run.unpauseAt = type(uint256).max;
    }

    /// @dev The message arrives (a deposit, or while deposits are paused a forced withdrawal) and the
    ///      sequencer tries to commit it at once.
    function _queue() internal {
        // forge-lint: disable-next-line(block-timestamp)
        _run.m = block.timestamp < bridge.depositsPausedUntil() ? _forcedMsg(alice, 0, 1 ether) : _depositMsg(alice, 1);
        _run.queued = true;
        _sequencerTries();
    }

    /// @dev The honest sequencer commits the message, or meets the pause and retries when it ends.
    function _sequencerTries() internal {
        uint64 until = rollup.pausedUntil();
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < until) {
            _expectCommitRevert(sequencer, abi.encodeWithSelector(IRollup.CommitsPaused.selector, until));
            return;
        }
        _commitAs(sequencer);
        _run.committed = true;
        _run.commitAt = block.timestamp;
    }

    /// @dev The next event's time; the loop dispatches ties guardian first (the adversary moves first
    ///      within a second), then the message's arrival, then the sequencer.
    function _nextEvent() internal view returns (uint256 next) {
        next = _run.attemptAt;
        if (_run.unpauseAt < next) next = _run.unpauseAt;
        if (!_run.queued) {
            if (_run.queueAt < next) next = _run.queueAt;
        } else if (!_run.committed) {
            uint256 until = rollup.pausedUntil();
            // forge-lint: disable-next-line(block-timestamp)
            uint256 retry = until > block.timestamp ? until : block.timestamp;
            if (retry < next) next = retry;
        }
    }

    /// @dev Seconds of pause within `[from, to]`.
    function _pausedWithin(uint256 from, uint256 to) internal view returns (uint256 total) {
        for (uint256 i; i < _spans.length; ++i) {
            uint256 lo = _spans[i].start > from ? _spans[i].start : from;
            uint256 hi = _spans[i].end < to ? _spans[i].end : to;
            if (hi > lo) total += hi - lo;
        }
    }

    /// @dev A guardian pausing as often and as adversarially as the cooldown lets it (greedy at
    ///      `nextPauseAt`, at the message's arrival, across the deadline's end, at random, with refused
    ///      attempts and early unpauses) and a message queued at any time `t`: the paused time inside
    ///      `[t, t + D]` is at most P, the honest sequencer's commit lands by `t + P <= t + D − P`, and the
    ///      freeze at `t + D + 1` finds the message consumed. Under this suite's parameters and the
    ///      tightest ones the constructor accepts (D = 2P, COOLDOWN = D − P).
    function testFuzz_Guardian_pausesNeverStarveAnHonestSequencer(uint256 seed, uint256 queueOffset, bool tight)
        public
    {
        if (tight) _useTightSuite();
        uint256 d = rollup.DEADLINE();
        uint256 p = rollup.PAUSE();
        uint256 t = block.timestamp + bound(queueOffset, 0, 2 * d);
        _run.seed = seed;
        _run.queueAt = t;
        _run.unpauseAt = type(uint256).max;
        uint256 r = _draw();
        // The first attempt: at the message's arrival, up to P before it, or anywhere in the first 2D.
        uint256 back = (r >> 8) % p;
        // forge-lint: disable-next-line(block-timestamp)
        if (back > t - block.timestamp) back = t - block.timestamp;
        if (r % 3 == 0) _run.attemptAt = t;
        else if (r % 3 == 1) _run.attemptAt = t - back;
        else _run.attemptAt = block.timestamp + (r >> 8) % (2 * d);

        for (uint256 i;; ++i) {
            assertLt(i, 300, "simulation ran away");
            uint256 next = _nextEvent();
            if (_run.committed && next > t + d) break;
            assertLe(next, t + d, "the deadline passed with the message unconsumed");
            vm.warp(next);
            if (next == _run.attemptAt) _guardianAttempts();
            else if (next == _run.unpauseAt) _guardianUnpausesEarly();
            else if (!_run.queued) _queue();
            else _sequencerTries();
        }

        assertLe(_pausedWithin(t, t + d), p, "at most P paused inside [t, t + D]");
        assertLe(_run.commitAt, t + p, "committed by t + P");
        assertLe(_run.commitAt, t + d - p, "with D - P >= P to spare");
        // The worst windows start where a pause starts.
        for (uint256 i; i < _spans.length; ++i) {
            assertLe(_pausedWithin(_spans[i].start, _spans[i].start + d), p, "at most P in any deadline");
        }
        vm.warp(t + d + 1);
        vm.expectRevert(abi.encodeWithSelector(IRollup.MessageConsumed.selector, _run.m.index, _run.m.index + 1));
        rollup.freeze(_run.m);
    }

    // ----------------------------------------------------------------------------------------------------
    // Gas
    // ----------------------------------------------------------------------------------------------------

    /// @dev Gas of a pause as the guardian sends it (the relayer's `execTransaction`, 3 signatures) and of
    ///      the Rollup's `pause()` itself (including the Bridge hook): callee frames, or under `--isolate`
    ///      whole transactions. Each measured first in its test so the Rollup's and Bridge's slots are cold.
    function test_Guardian_gasPauseThroughSafe() public {
        bytes memory data = abi.encodeCall(IRollup.pause, ());
        bytes memory sigs = _guardianSigs(address(rollup), data);
        _submitSafeTx(guardian, address(rollup), data, sigs);
        uint256 used = vm.lastCallGas().gasTotalUsed;
        console2.log("gas Safe.execTransaction(Rollup.pause):", used);
        // What a transaction pays before executing: 21,000 and 4 (zero) or 16 gas a calldata byte.
        bytes memory input = abi.encodeCall(
            ISafe.execTransaction, (address(rollup), 0, data, 0, 0, 0, 0, address(0), payable(address(0)), sigs)
        );
        uint256 intrinsic = 21_000;
        for (uint256 i; i < input.length; ++i) {
            intrinsic += input[i] == 0 ? 4 : 16;
        }
        console2.log("  calldata bytes:", input.length, "intrinsic gas:", intrinsic);
        assertGt(rollup.pausedUntil(), 0);
        assertLt(used, 150_000);
    }

    function test_Guardian_gasRollupPause() public {
        vm.prank(guardian);
        rollup.pause();
        uint256 used = vm.lastCallGas().gasTotalUsed;
        console2.log("gas Rollup.pause:", used);
        assertLt(used, 100_000);
    }
}
