// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeMultisig} from "../utils/SafeMultisig.sol";
import {console2} from "forge-std/console2.sol";

import {Rollup} from "../../contracts/L1/Rollup.sol";
import {DisputeGame} from "../../contracts/dispute/DisputeGame.sol";
import {Game, GameStatus} from "../../contracts/dispute/DisputeTypes.sol";
import {Batch} from "../../contracts/libraries/Types.sol";
import {Deploy} from "../../script/Deploy.s.sol";
import {DisputeSequencerHandler} from "./handlers/DisputeSequencerHandler.sol";
import {DisputeChallengerHandler} from "./handlers/DisputeChallengerHandler.sol";

/// @title DisputeInvariants
/// @notice Invariants of dispute games (PROTOCOL §10, §14) under random play: a sequencer commits honest
///         and dishonest batches of padding records, challengers open games on pending batches and play them
///         with random (valid) moves, anyone reveals, steps, times out, resolves and closes, and everyone
///         stakes, unstakes and withdraws. Value is conserved, final batches never change, a batch counts
///         exactly its unsettled games, no game is open against a final batch, each game settles once (a
///         dropped one refunding exactly its bond), and an honest batch never loses a step.
/// forge-config: default.invariant.runs = 64
/// forge-config: default.invariant.depth = 128
/// forge-config: default.invariant.fail-on-revert = true
contract DisputeInvariants is SafeMultisig {
    uint64 internal constant WINDOW = 1 days;
    uint256 internal constant STAKE = 1 ether;
    uint256 internal constant CHALLENGE_BOND = 0.1 ether;
    uint64 internal constant CLOCK = 1 hours;

    Rollup internal rollup;
    DisputeGame internal dispute;
    DisputeSequencerHandler internal seq;
    DisputeChallengerHandler internal chal;
    address internal sequencer = makeAddr("sequencer");

    function setUp() public {
        vm.warp(1_700_000_000);
        Deploy script = new Deploy();
        Deploy.Deployment memory d = script.deploy(
            address(script),
            Deploy.Params(sequencer, WINDOW, STAKE, CHALLENGE_BOND, CLOCK, _deploySafe(), 1 days, 8 hours, 1 days)
        );
        (rollup, dispute) = (d.rollup, d.dispute);
        vm.deal(sequencer, STAKE);
        vm.prank(sequencer);
        rollup.stake{value: STAKE}();
        seq = new DisputeSequencerHandler(rollup, sequencer);
        chal = new DisputeChallengerHandler(rollup, dispute, seq);
        targetContract(address(seq));
        targetContract(address(chal));
    }

    /// @dev 1. Every wei the Rollup holds is a stake, a credit, burned, or the bond of an unsettled game.
    function invariant_valueConserved() public view {
        uint256 sum = rollup.burned() + CHALLENGE_BOND * chal.unsettled();
        address[] memory a = _actors();
        for (uint256 i; i < a.length; ++i) {
            sum += rollup.stakeOf(a[i]) + rollup.creditOf(a[i]);
        }
        assertEq(address(rollup).balance, sum, "balance = stakes + credits + burned + locked bonds");
    }

    /// @dev 2. A final batch keeps the state root (and epoch) it finalized with; finality only moves forward.
    function invariant_finalBatchesNeverChange() public view {
        uint64 last = rollup.lastFinalized();
        assertEq(last, seq.maxFinalizedSeen(), "lastFinalized moves only by finalize");
        for (uint64 i = 1; i <= last; ++i) {
            Batch memory b = rollup.batch(i);
            assertEq(b.stateRoot, seq.finalRoot(i), "final state root");
            assertEq(b.epoch, seq.finalEpoch(i), "final epoch");
        }
    }

    /// @dev 3. Each live pending batch counts exactly its games that are not yet settled.
    function invariant_openGamesMatchGhost() public view {
        uint64 tip = rollup.tip();
        for (uint64 i = rollup.lastFinalized() + 1; i <= tip; ++i) {
            Batch memory b = rollup.batch(i);
            assertEq(b.openGames, chal.unsettledOf(seq.batchKey(i, b.epoch)), "openGames");
        }
        uint256 open;
        uint256 n = dispute.gameCount();
        assertEq(n, chal.games(), "game count");
        for (uint256 id; id < n; ++id) {
            if (!dispute.game(id).resolved) ++open;
        }
        assertEq(open, chal.unsettled(), "unsettled games");
    }

    /// @dev 4. No unsettled game stands against a final batch; a final batch has no open games.
    function invariant_noGameAgainstFinalBatch() public view {
        uint64 last = rollup.lastFinalized();
        assertLe(last, rollup.tip(), "lastFinalized <= tip");
        for (uint64 i = 1; i <= last; ++i) {
            assertEq(rollup.batch(i).openGames, 0, "final batch has open games");
        }
        uint256 n = dispute.gameCount();
        for (uint256 id; id < n; ++id) {
            Game memory g = dispute.game(id);
            if (g.resolved) continue;
            if (rollup.isLive(g.batch, g.epoch)) assertGt(g.batch, last, "unsettled game against a final batch");
        }
    }

    /// @dev 5. Each game settles at most once; a Dropped game's challenger got exactly its bond back.
    function invariant_settleOnceAndDropRefunds() public view {
        uint256 n = dispute.gameCount();
        for (uint256 id; id < n; ++id) {
            Game memory g = dispute.game(id);
            uint256 times = chal.settledCount(id);
            assertLe(times, 1, "settled more than once");
            assertEq(g.resolved, times == 1, "resolved flag");
            if (g.status == GameStatus.Dropped) {
                assertTrue(chal.settledDropped(id), "dropped without settling");
                assertEq(chal.droppedRefund(id), CHALLENGE_BOND, "dropped refund");
            } else {
                assertFalse(chal.settledDropped(id), "settled Dropped, status changed since");
            }
        }
    }

    /// @dev 6. An honest batch never loses a step, whatever the challenger picked (§14.4).
    function invariant_honestBatchNeverLosesStep() public view {
        assertEq(chal.honestLostByStep(), 0, "honest batch lost a step");
    }

    function afterInvariant() public view {
        console2.log("commits", seq.commits(), "dishonest", seq.dishonestCommits());
        console2.log("finalizations", seq.finalizations(), "games", chal.games());
        console2.log("reveals", chal.reveals(), "picks", chal.picks());
        console2.log("steps", chal.steps(), "timeouts", chal.timeouts());
        console2.log("resolves", chal.resolves(), "closes", chal.closes());
        console2.log("challenger wins", chal.challengerWins(), "defender wins", chal.defenderWins());
        console2.log("dropped", chal.drops(), "rollup epoch", rollup.epoch());
    }

    function _actors() internal view returns (address[] memory a) {
        a = new address[](5);
        a[0] = sequencer;
        a[4] = chal.keeper();
        for (uint256 i; i < 3; ++i) {
            a[i + 1] = chal.challengers(i);
        }
    }
}
