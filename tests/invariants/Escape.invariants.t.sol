// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {console2} from "forge-std/console2.sol";

import {Rollup} from "../../contracts/L1/Rollup.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Bridge} from "../../contracts/L1/Bridge.sol";
import {DisputeGame} from "../../contracts/dispute/DisputeGame.sol";
import {DemoToken} from "../../contracts/mocks/DemoToken.sol";
import {MSG_DEPOSIT, AccountLeaf, L1Message, StatePreimage, WithdrawalLeaf} from "../../contracts/libraries/Types.sol";
import {Deploy} from "../../script/Deploy.s.sol";
import {EscapeBooks} from "./handlers/EscapeBooks.sol";
import {EscapeUserHandler} from "./handlers/EscapeUserHandler.sol";
import {EscapeSequencerHandler} from "./handlers/EscapeSequencerHandler.sol";
import {EscapeChallengerHandler} from "./handlers/EscapeChallengerHandler.sol";
import {EscapeGuardianHandler} from "./handlers/EscapeGuardianHandler.sol";
import {EscapeKeeperHandler} from "./handlers/EscapeKeeperHandler.sol";

/// @title EscapeInvariants
/// @notice Invariants of forced inclusion, the freeze and the escape hatch (PROTOCOL §16) with the guardian
///         (§17), under random play by every actor: users deposit ETH and DEMO, queue forced withdrawals and
///         claim; a sequencer (rotated by the guardian) commits batches with real account and withdrawal
///         trees, honestly, lazily, censoring or not at all, and defends its games when it likes;
///         challengers open games that end on a clock, so some batches lose and rewind the tip; the guardian
///         (a real Safe) pauses, unpauses and rotates, its pauses in the cooldown refused; a keeper waits,
///         finalizes, freezes once a message is overdue and pays withdrawals, exits and refunds. In every
///         state:
///         1. conservation per token: the Bridge holds the last final (after the freeze: pinned) state's
///            account balances, its unpaid withdrawal leaves and the deposits it did not consume, less the
///            exits and refunds paid; once everything owed is paid it holds exactly zero;
///         2. pay-once: no withdrawal leaf, exit (account index) or refund (queue index) pays twice, and the
///            Bridge's flags say exactly which paid;
///         3. a final batch never changes;
///         4. an overdue message the tip did not consume always makes the rollup freezable, and a message
///            that is not overdue never does (checked by freezing inside a call that is then reverted);
///         5. the Rollup holds exactly stakes, credits, burned stake and the bonds of unsettled games;
///         and the chain, the pause, the sequencer and the escape the contracts report are the books'.
/// @dev Every action the books say must succeed is made unguarded, and every one they say must fail (a
///      repeat payout, a refund of a consumed message, a commit or deposit in a pause, anything after the
///      freeze that §16 stops, a pause in the cooldown) is made and must fail with exactly the error the
///      spec names; only an action with nothing to act on is skipped. So the run fails on any revert
///      (`fail-on-revert`) and the summary's revert column stays zero.
///      Runs of 96 calls, not fewer: a freeze that pays anything but refunds needs a history first (deposits,
///      commits, a window, a finalization), and the payouts need calls after it; 32 runs keep the suite near
///      15 s.
/// forge-config: default.invariant.runs = 32
/// forge-config: default.invariant.depth = 96
/// forge-config: default.invariant.fail-on-revert = true
contract EscapeInvariants is Test {
    /// @dev Window and clock are short against the keeper's waits (up to 6 hours) so that batches finalize
    ///      and games time out within a run; deadline, pause and cooldown are the deployment defaults (§0).
    uint64 internal constant WINDOW = 2 hours;
    uint256 internal constant STAKE = 1 ether;
    uint256 internal constant CHALLENGE_BOND = 0.1 ether;
    uint64 internal constant CLOCK = 1 hours;
    uint64 internal constant DEADLINE = 1 days;
    uint64 internal constant PAUSE = 8 hours;
    uint64 internal constant COOLDOWN = 1 days;

    /// @dev What the pinned (or last final) state F owes in one token: its account balances (and of those,
    ///      the accounts not yet exited), its withdrawal leaves not yet paid, and the deposits it did not
    ///      consume (and of those, the ones not yet refunded).
    struct Owed {
        uint256 accounts;
        uint256 accountsLeft;
        uint256 leavesLeft;
        uint256 deposits;
        uint256 depositsLeft;
    }

    /// @dev What `probeFreeze` reverts with: whether the freeze went through, and its revert data if not.
    error ProbeResult(bool frozen, bytes err);

    Rollup internal rollup;
    Bridge internal bridge;
    DisputeGame internal dispute;
    DemoToken internal demo;
    EscapeBooks internal books;
    EscapeUserHandler internal users;
    EscapeSequencerHandler internal seq;
    EscapeChallengerHandler internal chal;
    EscapeGuardianHandler internal guardian;
    EscapeKeeperHandler internal keeper;
    address[3] internal sequencers;
    /// @dev Selectors being listed for the next target (see `_add`).
    bytes4[] internal _selectors;

    function setUp() public {
        vm.warp(1_700_000_000);
        // The guardian's Safe exists before the Rollup, which names it immutably.
        guardian = new EscapeGuardianHandler();
        sequencers = [makeAddr("sequencer0"), makeAddr("sequencer1"), makeAddr("sequencer2")];
        Deploy script = new Deploy();
        Deploy.Deployment memory d = script.deploy(
            address(script),
            Deploy.Params(
                sequencers[0], WINDOW, STAKE, CHALLENGE_BOND, CLOCK, guardian.safe(), DEADLINE, PAUSE, COOLDOWN
            )
        );
        (rollup, bridge, dispute) = (d.rollup, d.bridge, d.dispute);
        demo = new DemoToken("Demo", "DEMO");
        books = new EscapeBooks(rollup, bridge, demo, sequencers[0]);
        users = new EscapeUserHandler(books);
        seq = new EscapeSequencerHandler(books, dispute, sequencers);
        chal = new EscapeChallengerHandler(books, dispute, makeAddr("keeper"));
        keeper = new EscapeKeeperHandler(books, chal);
        guardian.init(rollup, books, sequencers);

        // Relative frequencies: time, commits, finalization and deposits drive everything else, so they
        // come most often; a run then sees a few windows, games, often a freeze, and payouts after it.
        _add(users.depositETH.selector, 2);
        _add(users.depositDemo.selector, 2);
        _add(users.forceWithdrawal.selector, 1);
        _add(users.claim.selector, 2);
        _flush(address(users));
        _add(seq.commit.selector, 4);
        _add(seq.setMode.selector, 1);
        _add(seq.defend.selector, 2);
        _add(seq.cashOut.selector, 1);
        _flush(address(seq));
        _add(chal.open.selector, 2);
        _add(chal.settle.selector, 2);
        _add(chal.withdrawCredit.selector, 1);
        _flush(address(chal));
        _add(guardian.pause.selector, 1);
        _add(guardian.unpause.selector, 1);
        _add(guardian.rotate.selector, 1);
        _flush(address(guardian));
        _add(keeper.wait.selector, 4);
        _add(keeper.finalize.selector, 3);
        _add(keeper.waitPastDeadline.selector, 1);
        _add(keeper.freeze.selector, 2);
        _add(keeper.pay.selector, 2);
        _add(keeper.payAll.selector, 1);
        _flush(address(keeper));
    }

    /// @dev Lists `selector` `weight` times for the next `_flush`: forge picks uniformly among the listed
    ///      entries of all targets, so a weight is a relative frequency.
    function _add(bytes4 selector, uint256 weight) internal {
        for (uint256 i; i < weight; ++i) {
            _selectors.push(selector);
        }
    }

    /// @dev Targets `handler` with the selectors listed since the last flush, and only those (the guardian
    ///      handler inherits `Test`, whose public functions the fuzzer must not call).
    function _flush(address handler) internal {
        targetContract(handler);
        targetSelector(FuzzSelector({addr: handler, selectors: _selectors}));
        delete _selectors;
    }

    // ----------------------------------------------------------------------------------------------------
    // Invariants
    // ----------------------------------------------------------------------------------------------------

    /// @dev 1. Per token, with F the last final batch (pinned once frozen):
    ///      held + exits and refunds paid = F's balances + F's unpaid leaves + deposits from F.msgsConsumed on,
    ///      written with the payouts on the left so no overpayment hides in an underflow. That alone would let
    ///      a wrong payout pass if it were counted as paid (a second exit, a refund of a consumed deposit), so
    ///      also: held = exactly what is still owed (accounts not exited, leaves not paid, unconsumed
    ///      deposits not refunded), and the exits and refunds paid are exactly the owed items marked paid.
    ///      Once everything F owes is paid, the Bridge is empty.
    function invariant_conservation() public view {
        for (uint32 t; t < 2; ++t) {
            Owed memory o = _owed(t);
            uint256 exited = books.exitedValue(t);
            uint256 refunded = books.refundedValue(t);
            uint256 held = _held(t);
            if (!books.frozen()) assertEq(exited + refunded, 0, "no exit or refund before the freeze");
            assertEq(
                held + exited + refunded,
                o.accounts + o.leavesLeft + o.deposits,
                "held + exits + refunds = F's accounts + unpaid leaves + unconsumed deposits"
            );
            assertEq(held, o.accountsLeft + o.leavesLeft + o.depositsLeft, "held = what is still owed");
            assertEq(exited, o.accounts - o.accountsLeft, "exits paid = balances of the accounts exited");
            assertEq(refunded, o.deposits - o.depositsLeft, "refunds paid = unconsumed deposits refunded");
            assertEq(held + books.withdrawn(t) + exited + refunded, books.deposited(t), "held = in - out");
        }
        if (books.allPaid()) {
            assertEq(address(bridge).balance, 0, "everything paid: no ETH left");
            assertEq(demo.balanceOf(address(bridge)), 0, "everything paid: no DEMO left");
        }
    }

    /// @dev 2. Each withdrawal leaf, exit and refund paid at most once, exactly as the Bridge's flags say.
    function invariant_payOnce() public view {
        for (uint256 i; i < books.maxWithdrawals(); ++i) {
            // forge-lint: disable-next-line(unsafe-typecast)
            uint256 times = books.timesPaid(uint32(i));
            assertLe(times, 1, "withdrawal leaf paid twice");
            // forge-lint: disable-next-line(unsafe-typecast)
            assertEq(bridge.paid(uint32(i)), times == 1, "paid flag");
        }
        for (uint256 i; i < books.maxAccounts(); ++i) {
            // forge-lint: disable-next-line(unsafe-typecast)
            uint256 times = books.timesExited(uint32(i));
            assertLe(times, 1, "account exited twice");
            // forge-lint: disable-next-line(unsafe-typecast)
            assertEq(bridge.exited(uint32(i)), times == 1, "exited flag");
        }
        for (uint256 q; q < books.messageCount(); ++q) {
            // forge-lint: disable-next-line(unsafe-typecast)
            uint256 times = books.timesRefunded(uint64(q));
            assertLe(times, 1, "message refunded twice");
            // forge-lint: disable-next-line(unsafe-typecast)
            assertEq(bridge.refunded(uint64(q)), times == 1, "refunded flag");
        }
    }

    /// @dev 3. Every final batch keeps the root it finalized with, on the Rollup and on the books' chain.
    function invariant_finalBatchesNeverChange() public view {
        uint64 last = rollup.lastFinalized();
        assertEq(last, books.lastFinal(), "lastFinalized moves only by finalize");
        for (uint64 i; i <= last; ++i) {
            bytes32 root = books.finalRoot(i);
            assertEq(rollup.stateRoot(i), root, "final state root changed");
            assertEq(books.stateRoot(books.stateIdOf(i)), root, "books: final batch replaced");
        }
    }

    /// @dev 4. Not frozen: the oldest message the tip did not consume (and the newest) freezes the rollup iff
    ///      it is overdue, else reverts `NotOverdue`; a consumed one reverts `MessageConsumed`. Frozen: any
    ///      freeze reverts `AlreadyFrozen`. Each freeze is tried inside `probeFreeze`, which always reverts.
    function invariant_overdueMessageFreezes() public {
        uint256 n = books.messageCount();
        if (books.frozen()) {
            if (n != 0) {
                (bool ok, bytes memory err) = _probe(books.message(n - 1));
                assertFalse(ok, "froze twice");
                assertEq(err, abi.encodeWithSelector(IRollup.AlreadyFrozen.selector), "AlreadyFrozen");
            }
            return;
        }
        uint64 consumed = books.pre(books.tipState()).msgsConsumed;
        assertEq(rollup.batch(rollup.tip()).msgsAfter, consumed, "the tip consumed what the books say");
        if (consumed != 0) {
            (bool ok, bytes memory err) = _probe(books.message(consumed - 1));
            assertFalse(ok, "froze with a consumed message");
            assertEq(err, abi.encodeWithSelector(IRollup.MessageConsumed.selector, consumed - 1, consumed));
        }
        if (consumed < n) {
            _checkFreezable(consumed);
            if (n - 1 > consumed) _checkFreezable(n - 1);
        }
    }

    /// @dev 5. Every wei the Rollup holds is a stake, a credit, burned, or the bond of an unsettled game.
    function invariant_rollupValue() public view {
        uint256 sum = rollup.burned() + CHALLENGE_BOND * chal.unsettled();
        address[6] memory actors =
            [sequencers[0], sequencers[1], sequencers[2], chal.challengers(0), chal.challengers(1), chal.keeper()];
        for (uint256 i; i < actors.length; ++i) {
            sum += rollup.stakeOf(actors[i]) + rollup.creditOf(actors[i]);
        }
        assertEq(address(rollup).balance, sum, "Rollup = stakes + credits + burned + unsettled bonds");
        assertEq(address(dispute).balance, 0, "DisputeGame holds nothing");
    }

    /// @dev The chain, the pause, the sequencer and the escape are what the books say.
    function invariant_chainMatchesBooks() public view {
        assertEq(rollup.frozen(), books.frozen(), "frozen");
        assertEq(rollup.tip(), books.tip(), "tip");
        assertEq(rollup.epoch(), books.epoch(), "epoch");
        assertEq(rollup.stateRoot(books.tip()), books.stateRoot(books.tipState()), "tip state");
        assertEq(rollup.pausedUntil(), books.pausedUntil(), "pausedUntil");
        assertEq(rollup.nextPauseAt(), books.nextPauseAt(), "nextPauseAt");
        assertEq(bridge.depositsPausedUntil(), books.pausedUntil(), "deposits paused as commits");
        assertEq(rollup.sequencer(), books.sequencer(), "sequencer");
        assertEq(bridge.messageCount(), books.messageCount(), "queue length");
        if (books.frozen()) {
            (uint64 pinned, bytes32 root, uint64 consumed) = bridge.escape();
            StatePreimage memory f = books.pre(books.finalState());
            assertEq(pinned, books.lastFinal(), "pinned batch");
            assertEq(root, books.rootOf(f), "pinned root");
            assertEq(consumed, f.msgsConsumed, "pinned msgsConsumed");
        }
    }

    function afterInvariant() public view {
        console2.log("deposits", users.deposits(), "forced withdrawals", users.forcedWithdrawals());
        console2.log("commits", seq.commits(), "censoring", seq.censoredCommits());
        console2.log("messages consumed", seq.messagesConsumed(), "reveals", seq.reveals());
        console2.log("finalized", books.lastFinal(), "rewinds", chal.rewinds());
        console2.log("games", chal.opens(), "timeouts", chal.timeouts());
        console2.log("defender wins", chal.defenderWins(), "drops", chal.drops());
        console2.log("frozen slashes", chal.frozenSlashes(), "frozen", books.frozen());
        console2.log("pauses", guardian.pauses(), "cooldown refusals", guardian.cooldownRefusals());
        console2.log("unpauses", guardian.unpauses(), "rotations", guardian.rotations());
        console2.log("guardian refused after freeze", guardian.frozenRefusals());
        console2.log("withdrawals paid", books.withdrawalsPaid(), "exits", books.exitsPaid());
        console2.log("refunds", books.refundsPaid(), "refusals", books.refusals());
        console2.log("claims", users.claims(), "keeper payouts", keeper.payouts());
        console2.log("stale exits", keeper.staleExits(), "payAll", keeper.payAlls());
        console2.log("all paid", books.allPaid(), "unstakes", seq.unstakes());
        console2.log("refused: paused deposits", users.pausedRefusals(), "paused commits", seq.pausedRefusals());
        console2.log("refused after freeze: queue", users.closedRefusals(), "commit/reveal", seq.frozenRefusals());
        console2.log("refused after freeze: finalize", keeper.frozenRefusals(), "open", chal.frozenRefusals());
    }

    // ----------------------------------------------------------------------------------------------------
    // The freeze probe
    // ----------------------------------------------------------------------------------------------------

    /// @notice Freezes with `m` and reverts with the outcome, so the invariant sees it and nothing changes.
    ///         A freeze that goes through must pin the last final batch exactly.
    function probeFreeze(L1Message calldata m) external {
        try rollup.freeze(m) {
            (uint64 pinned, bytes32 root, uint64 consumed) = bridge.escape();
            StatePreimage memory f = books.pre(books.finalState());
            bool exact = rollup.frozen() && rollup.tip() == books.lastFinal() && pinned == books.lastFinal()
                && root == books.rootOf(f) && consumed == f.msgsConsumed;
            revert ProbeResult(true, exact ? bytes("") : bytes("froze, but pinned the wrong state"));
        } catch (bytes memory err) {
            revert ProbeResult(false, err);
        }
    }

    function _probe(L1Message memory m) internal returns (bool ok, bytes memory err) {
        try this.probeFreeze(m) {
            revert("probe: returned");
        } catch (bytes memory e) {
            // casting to 'bytes4' is safe because it reads the selector, and the length was checked first
            // forge-lint: disable-next-line(unsafe-typecast)
            require(e.length >= 4 && bytes4(e) == ProbeResult.selector, "probe: unexpected revert");
            bytes memory payload;
            assembly ("memory-safe") {
                payload := add(e, 4)
                mstore(payload, sub(mload(e), 4))
            }
            (ok, err) = abi.decode(payload, (bool, bytes));
        }
    }

    /// @dev Message `i` (not consumed by the tip) freezes iff overdue, and pins exactly F when it does.
    function _checkFreezable(uint256 i) internal {
        L1Message memory m = books.message(i);
        uint256 dueAt = uint256(m.queuedAt) + DEADLINE;
        (bool ok, bytes memory err) = _probe(m);
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp > dueAt) {
            assertTrue(ok, "an overdue message must freeze the rollup");
            assertEq(err, "", "the freeze pinned the last final batch");
        } else {
            assertFalse(ok, "a message that is not overdue froze the rollup");
            assertEq(err, abi.encodeWithSelector(IRollup.NotOverdue.selector, m.index, dueAt), "NotOverdue");
        }
    }

    /// @dev What F owes in `token`, in all and still unpaid, by kind (from the books' payout flags).
    function _owed(uint32 token) internal view returns (Owed memory o) {
        uint256 f = books.finalState();
        AccountLeaf[] memory a = books.accounts(f);
        for (uint256 i; i < a.length; ++i) {
            if (a[i].token != token) continue;
            o.accounts += a[i].balance;
            // forge-lint: disable-next-line(unsafe-typecast)
            if (books.timesExited(uint32(i)) == 0) o.accountsLeft += a[i].balance;
        }
        WithdrawalLeaf[] memory w = books.withdrawalsOf(f);
        for (uint256 i; i < w.length; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast)
            if (w[i].token == token && books.timesPaid(uint32(i)) == 0) o.leavesLeft += w[i].amount;
        }
        uint256 n = books.messageCount();
        for (uint256 q = books.pre(f).msgsConsumed; q < n; ++q) {
            L1Message memory m = books.message(q);
            if (m.kind != MSG_DEPOSIT || m.token != token) continue;
            o.deposits += m.amount;
            // forge-lint: disable-next-line(unsafe-typecast)
            if (books.timesRefunded(uint64(q)) == 0) o.depositsLeft += m.amount;
        }
    }

    function _held(uint32 token) internal view returns (uint256) {
        return token == 0 ? address(bridge).balance : demo.balanceOf(address(bridge));
    }
}
