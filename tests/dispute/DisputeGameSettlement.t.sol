// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDisputeGame} from "../../contracts/interfaces/IDisputeGame.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Game, GameStatus, Turn} from "../../contracts/dispute/DisputeTypes.sol";
import {LibClock} from "../../contracts/dispute/lib/LibClock.sol";
import {MerkleBuilder} from "../utils/MerkleBuilder.sol";
import {DisputeHarness} from "./utils/DisputeHarness.sol";
import {TraceTree} from "./utils/TraceTree.sol";

/// @notice How dispute games end besides the one-step (PROTOCOL §14.3, §14.5), from the attacker's side:
///         chess clocks and timeouts, deciding and resolving (a step or a timeout decides, a third party's
///         `resolve` settles, once), several games on one batch with a challenger colluding with the
///         sequencer, descendants dropped lazily by a rewind, and who collects the slashed stake.
contract DisputeGameSettlementTest is DisputeHarness {
    using TraceTree for bytes32[];

    // ----------------------------------------------------------------------------------------------------
    // Timeouts and clocks
    // ----------------------------------------------------------------------------------------------------

    function test_DisputeGame_defenderStallsLoses() public {
        bytes32[] memory claimed = TraceTree.build(_faultFrom(r0, rBad, 4, 1));
        uint64 index = _commitTrace(_padding(3), _badPost(0), claimed);
        uint256 id = _open(alice, index);
        uint256 start = block.timestamp;

        vm.warp(start + CLOCK - 1);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.ClockNotExpired.selector, id, Turn.Defender, 1));
        dispute.timeout(id);

        vm.warp(start + CLOCK);
        bytes32[] memory children = _revealed(id, claimed);
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.ClockExpired.selector, id, Turn.Defender));
        dispute.reveal(id, children);

        Ledger memory before = _watch(id);
        vm.expectEmit(address(dispute));
        emit IDisputeGame.GameDecided(id, GameStatus.ChallengerWon);
        _measure("timeout (defender out of time)", stranger, abi.encodeCall(dispute.timeout, (id)));
        _assertUnsettled(id, GameStatus.ChallengerWon, before);
        assertEq(rollup.tip(), index, "decided, not yet rewound");
        assertEq(rollup.creditOf(alice), 0);

        _gas("resolve (challenger win, T = 4)", _resolve(id, GameStatus.ChallengerWon));
        assertEq(rollup.tip(), 0);
        assertEq(rollup.creditOf(alice), CHALLENGE_BOND + STAKE / 2);
        assertEq(rollup.creditOf(stranger), 0, "the caller of timeout and resolve gets nothing");
    }

    function test_DisputeGame_challengerStallsAtPickLoses() public {
        bytes32[] memory claimed = TraceTree.build(_faultFrom(r0, rBad, 16, 3));
        uint64 index = _commitTrace(_padding(16), _badPost(0), claimed);
        uint256 id = _open(alice, index);
        _reveal(id, claimed, sequencer);
        uint256 revealedAt = block.timestamp;

        vm.warp(revealedAt + CLOCK - 1);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.ClockNotExpired.selector, id, Turn.Challenger, 1));
        dispute.timeout(id);

        vm.warp(revealedAt + CLOCK);
        (bytes32 h, bytes32[] memory p, bytes32 pre, bytes32[] memory pp) = _pickArgs(id, claimed, 3);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.ClockExpired.selector, id, Turn.Challenger));
        dispute.pick(id, 3, h, p, pre, pp);

        Ledger memory before = _watch(id);
        vm.expectEmit(address(dispute));
        emit IDisputeGame.GameDecided(id, GameStatus.DefenderWon);
        _measure("timeout (challenger out of time)", stranger, abi.encodeCall(dispute.timeout, (id)));
        _assertUnsettled(id, GameStatus.DefenderWon, before);
        assertEq(rollup.creditOf(sequencer), 0, "decided, not yet paid");

        _resolve(id, GameStatus.DefenderWon);
        assertEq(uint8(_status(id)), uint8(GameStatus.DefenderWon), "a wrong batch wins by the clock");
        assertEq(rollup.creditOf(sequencer), CHALLENGE_BOND);
        assertEq(rollup.tip(), index);
        assertEq(rollup.batch(index).openGames, 0);
    }

    /// @dev The one-step runs on the challenger's clock: the picks already spent part of it.
    function test_DisputeGame_challengerStallsAtLeafLoses() public {
        bytes memory records = _padding(3);
        bytes32[] memory claimed = TraceTree.build(_faultFrom(r0, rBad, 4, 2));
        uint256 id = _open(alice, _commitTrace(records, _badPost(0), claimed));
        _reveal(id, claimed, sequencer);
        vm.warp(block.timestamp + 20 minutes);
        _pick(id, claimed, 2, alice);
        assertEq(uint8(_turn(id)), uint8(Turn.Challenger), "at the leaf the challenger still moves");

        vm.warp(block.timestamp + 40 minutes);
        bytes memory w = _witness(id, records);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.ClockExpired.selector, id, Turn.Challenger));
        dispute.step(id, w);

        Ledger memory before = _watch(id);
        dispute.timeout(id);
        _settle(id, GameStatus.DefenderWon, before);
        assertEq(rollup.creditOf(sequencer), CHALLENGE_BOND);
    }

    /// @dev Each side spends only its own clock: 50 minutes thinking by the defender leave the challenger
    ///      a full hour, and the defender 10 minutes for the rest of the game.
    function test_DisputeGame_clocksArePerSide() public {
        bytes32[] memory claimed = TraceTree.build(_faultFrom(r0, rBad, 32, 7));
        uint256 id = _open(alice, _commitTrace(_padding(32), _badPost(0), claimed));
        uint256 t0 = block.timestamp;

        vm.warp(t0 + 50 minutes);
        _reveal(id, claimed, sequencer);
        Game memory g = _game(id);
        assertEq(LibClock.remaining(g.defenderClock), 10 minutes);
        assertEq(LibClock.remaining(g.challengerClock), CLOCK);

        vm.warp(t0 + 50 minutes + CLOCK - 1); // the challenger's last second
        _pick(id, claimed, 0, alice);
        g = _game(id);
        assertEq(LibClock.remaining(g.challengerClock), 1);
        assertEq(LibClock.remaining(g.defenderClock), 10 minutes);
        assertEq(LibClock.since(g.defenderClock), block.timestamp);

        uint256 t1 = block.timestamp;
        vm.warp(t1 + 10 minutes - 1);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.ClockNotExpired.selector, id, Turn.Defender, 1));
        dispute.timeout(id);
        vm.warp(t1 + 10 minutes);
        Ledger memory before = _watch(id);
        dispute.timeout(id);
        _settle(id, GameStatus.ChallengerWon, before);
        assertEq(rollup.tip(), 0);
    }

    // ----------------------------------------------------------------------------------------------------
    // Deciding and resolving
    // ----------------------------------------------------------------------------------------------------

    /// @dev The step decides either way and emits `GameDecided` with the verdict, nothing else: on a batch
    ///      wrong from step 2, alice steps at step 2 (she wins) and bob at step 1 (he loses); both games are
    ///      settled afterwards by a third party, bob's first (the bond to the committer), then alice's.
    function test_DisputeGame_stepEmitsGameDecided() public {
        bytes memory records = _padding(3);
        bytes32[] memory claimed = TraceTree.build(_faultFrom(r0, rBad, 4, 2));
        uint64 index = _commitTrace(records, _badPost(0), claimed);
        uint256 a = _open(alice, index);
        uint256 b = _open(bob, index);
        _reveal(a, claimed, sequencer);
        _pick(a, claimed, 2, alice);
        _reveal(b, claimed, sequencer);
        _pick(b, claimed, 1, bob); // step 1 is right: bob loses

        Ledger memory before = _watch(a);
        bytes memory w = _witness(a, records);
        vm.expectEmit(address(dispute));
        emit IDisputeGame.GameDecided(a, GameStatus.ChallengerWon);
        vm.prank(alice);
        dispute.step(a, w);
        _assertUnsettled(a, GameStatus.ChallengerWon, before);

        before = _watch(b);
        w = _witness(b, records);
        vm.expectEmit(address(dispute));
        emit IDisputeGame.GameDecided(b, GameStatus.DefenderWon);
        vm.prank(bob);
        dispute.step(b, w);
        _assertUnsettled(b, GameStatus.DefenderWon, before);
        assertEq(rollup.batch(index).openGames, 2, "both decided games still count");

        _resolve(b, GameStatus.DefenderWon);
        assertEq(rollup.creditOf(sequencer), CHALLENGE_BOND);
        assertEq(rollup.batch(index).openGames, 1);
        _resolve(a, GameStatus.ChallengerWon);
        assertEq(rollup.tip(), 0);
        assertEq(rollup.creditOf(alice), CHALLENGE_BOND + STAKE / 2);
        _assertRollupSolvent(_actors(), 0);
    }

    /// @dev The timeout decides against the side out of time and emits `GameDecided`, nothing else: in
    ///      alice's game the defender never reveals (ChallengerWon), in bob's bob never picks (DefenderWon).
    function test_DisputeGame_timeoutEmitsGameDecided() public {
        bytes32[] memory claimed = TraceTree.build(_faultFrom(r0, rBad, 16, 3));
        uint64 index = _commitTrace(_padding(16), _badPost(0), claimed);
        uint256 a = _open(alice, index);
        uint256 b = _open(bob, index);
        _reveal(b, claimed, sequencer);
        vm.warp(block.timestamp + CLOCK);

        Ledger memory before = _watch(b);
        vm.expectEmit(address(dispute));
        emit IDisputeGame.GameDecided(b, GameStatus.DefenderWon);
        vm.prank(stranger);
        dispute.timeout(b);
        _assertUnsettled(b, GameStatus.DefenderWon, before);

        before = _watch(a);
        vm.expectEmit(address(dispute));
        emit IDisputeGame.GameDecided(a, GameStatus.ChallengerWon);
        vm.prank(stranger);
        dispute.timeout(a);
        _assertUnsettled(a, GameStatus.ChallengerWon, before);

        // Decided games take no more moves, not even a second timeout.
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.GameOver.selector, a, GameStatus.ChallengerWon));
        dispute.timeout(a);

        _resolve(b, GameStatus.DefenderWon);
        _resolve(a, GameStatus.ChallengerWon);
        assertEq(rollup.creditOf(sequencer), CHALLENGE_BOND);
        assertEq(rollup.creditOf(alice), CHALLENGE_BOND + STAKE / 2);
        assertEq(rollup.tip(), 0);
        _assertRollupSolvent(_actors(), 0);
    }

    /// @dev Two challengers both win against one wrong batch: alice by the step, bob by the defender's
    ///      timeout. Alice's resolve rejects the batch; the sequencer re-stakes and re-commits index 1 in the
    ///      new epoch; bob's resolve then finds his batch dropped and ends his game Dropped: his bond back,
    ///      no second slash, no second rewind, and the new batch 1 untouched.
    function test_DisputeGame_challengerWinDroppedBeforeResolveRefunds() public {
        bytes memory records = _padding(4);
        bytes32[] memory honest = TraceTree.build(TraceTree.filled(r0, 4));
        bytes32[] memory claimed = TraceTree.build(_faultFrom(r0, rBad, 4, 1));
        uint64 index = _commitTrace(records, _badPost(0), claimed);
        uint256 a = _open(alice, index);
        uint256 b = _open(bob, index);

        Ledger memory before = _watch(a);
        _play(a, honest, claimed, records);
        _assertUnsettled(a, GameStatus.ChallengerWon, before);
        vm.warp(block.timestamp + CLOCK);
        before = _watch(b);
        dispute.timeout(b);
        _assertUnsettled(b, GameStatus.ChallengerWon, before);
        assertEq(rollup.batch(index).openGames, 2);

        _resolve(a, GameStatus.ChallengerWon);
        assertEq(rollup.tip(), 0);
        assertEq(rollup.epoch(), 1);
        assertEq(rollup.burned(), STAKE / 2);
        assertEq(rollup.creditOf(alice), CHALLENGE_BOND + STAKE / 2);

        // The sequencer stakes again and re-commits index 1 (epoch 1) before bob's game is resolved.
        vm.prank(sequencer);
        rollup.stake{value: STAKE}();
        uint64 again = _commitTrace(records, _genesisPost(), honest);
        assertEq(again, index);

        // Still ChallengerWon, unresolved: close is for games in progress only.
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.GameOver.selector, b, GameStatus.ChallengerWon));
        dispute.close(b);
        vm.expectEmit(address(rollup));
        emit IRollup.GameSettled(index, bob, bob, false);
        vm.expectEmit(address(dispute));
        emit IDisputeGame.GameResolved(b, GameStatus.Dropped);
        _measure("resolve (dropped)", stranger, abi.encodeCall(dispute.resolve, (b)));
        assertEq(uint8(_status(b)), uint8(GameStatus.Dropped));
        assertTrue(_game(b).resolved);
        assertEq(rollup.creditOf(stranger), 0);

        assertEq(rollup.creditOf(bob), CHALLENGE_BOND, "bond refunded");
        assertEq(rollup.stakeOf(sequencer), STAKE, "the new stake is not slashed");
        assertEq(rollup.burned(), STAKE / 2, "nothing more burned");
        assertEq(rollup.creditOf(alice), CHALLENGE_BOND + STAKE / 2, "no second reward");
        assertEq(rollup.creditOf(sequencer), 0);
        assertEq(rollup.epoch(), 1, "no second rewind");
        assertEq(rollup.tip(), again);
        assertEq(rollup.batch(again).openGames, 0, "the new batch 1 is not touched");

        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.AlreadyResolved.selector, b));
        dispute.resolve(b);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.GameOver.selector, b, GameStatus.Dropped));
        dispute.close(b);
        _assertRollupSolvent(_actors(), 0);
    }

    /// @dev A defender win settles only when resolved: an honest batch with two lost games (one by the step,
    ///      one by the challenger's timeout) cannot finalize until both are resolved, and then does.
    function test_DisputeGame_defenderWinResolvedLetsBatchFinalize() public {
        bytes memory records = _padding(6);
        bytes32[] memory honest = TraceTree.build(TraceTree.filled(r0, 8));
        uint64 index = _commitTrace(records, _genesisPost(), honest);
        uint256 b = _open(bob, index);
        uint256 c = _open(carol, index);

        _reveal(b, honest, sequencer);
        _pick(b, honest, 6, bob);
        Ledger memory before = _watch(b);
        _step(b, records, bob);
        _assertUnsettled(b, GameStatus.DefenderWon, before);

        _reveal(c, honest, sequencer);
        vm.warp(block.timestamp + CLOCK);
        before = _watch(c);
        dispute.timeout(c);
        _assertUnsettled(c, GameStatus.DefenderWon, before);

        _warpToWindowEnd(index);
        vm.expectRevert(abi.encodeWithSelector(IRollup.GamesOpen.selector, index, 2));
        rollup.finalizeBatch(index);
        _resolve(b, GameStatus.DefenderWon);
        vm.expectRevert(abi.encodeWithSelector(IRollup.GamesOpen.selector, index, 1));
        rollup.finalizeBatch(index);
        _resolve(c, GameStatus.DefenderWon);

        rollup.finalizeBatch(index);
        assertTrue(rollup.isFinal(index));
        assertEq(rollup.creditOf(sequencer), 2 * CHALLENGE_BOND, "the committer takes both bonds");
        assertEq(rollup.stakeOf(sequencer), STAKE);
        // A resolved game, its batch final: nothing left to do.
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.AlreadyResolved.selector, b));
        dispute.resolve(b);
        _assertRollupSolvent(_actors(), 0);
    }

    /// @dev A defender win not yet resolved when another game rejects the batch settles as Dropped: the
    ///      colluding challenger's bond goes back to it, not to the committer (whose batch was wrong).
    function test_DisputeGame_defenderWinResolvedAfterRejectionIsDropped() public {
        bytes memory records = _padding(8);
        bytes32[] memory honest = TraceTree.build(TraceTree.filled(r0, 8));
        bytes32[] memory claimed = TraceTree.build(_faultFrom(r0, rBad, 8, 5));
        uint64 index = _commitTrace(records, _badPost(0), claimed);
        uint256 colluder = _open(carol, index);
        uint256 honestId = _open(alice, index);

        _reveal(colluder, claimed, sequencer);
        _pick(colluder, claimed, 2, carol); // an agreed step: carol loses
        _step(colluder, records, carol);
        assertEq(uint8(_status(colluder)), uint8(GameStatus.DefenderWon));

        _play(honestId, honest, claimed, records);
        _resolve(honestId, GameStatus.ChallengerWon);
        assertEq(rollup.tip(), 0);

        _resolve(colluder, GameStatus.Dropped);
        assertEq(rollup.creditOf(carol), CHALLENGE_BOND, "refunded");
        assertEq(rollup.creditOf(sequencer), 0, "the committer of a rejected batch takes no bond");
        assertEq(rollup.burned(), STAKE / 2);
        _assertRollupSolvent(_actors(), 0);
    }

    /// @dev Warps to the end of batch `index`'s window (if not there yet).
    function _warpToWindowEnd(uint64 index) internal {
        uint256 end = uint256(rollup.batch(index).commitTime) + WINDOW;
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < end) vm.warp(end);
    }

    // ----------------------------------------------------------------------------------------------------
    // Several games on one batch, and descendants
    // ----------------------------------------------------------------------------------------------------

    /// @dev A challenger colluding with the sequencer stalls; the honest game still rejects the batch, and
    ///      the stalled game is closed as dropped, its bond refunded.
    function test_DisputeGame_stallingSecondChallengerCannotSaveBatch() public {
        bytes memory records = _padding(8);
        bytes32[] memory honest = TraceTree.build(TraceTree.filled(r0, 8));
        bytes32[] memory claimed = TraceTree.build(_faultFrom(r0, rBad, 8, 5));
        uint64 index = _commitTrace(records, _badPost(0), claimed);
        uint256 colluder = _open(carol, index);
        uint256 honestId = _open(alice, index);
        assertEq(rollup.batch(index).openGames, 2);
        _reveal(colluder, claimed, sequencer); // carol now stalls

        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.BatchStillLive.selector, index));
        dispute.close(colluder);

        Ledger memory before = _watch(honestId);
        _play(honestId, honest, claimed, records);
        _assertUnsettled(honestId, GameStatus.ChallengerWon, before);
        // Decided but not resolved: the batch is still live, so the stalled game cannot be closed yet.
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.BatchStillLive.selector, index));
        dispute.close(colluder);

        _resolve(honestId, GameStatus.ChallengerWon);
        assertEq(rollup.tip(), 0);

        vm.expectEmit(address(dispute));
        emit IDisputeGame.GameResolved(colluder, GameStatus.Dropped);
        _measure("close", stranger, abi.encodeCall(dispute.close, (colluder)));
        assertTrue(_game(colluder).resolved, "close settles at once");
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.AlreadyResolved.selector, colluder));
        dispute.resolve(colluder);
        assertEq(uint8(_status(colluder)), uint8(GameStatus.Dropped));
        assertEq(rollup.creditOf(carol), CHALLENGE_BOND, "bond refunded");
        assertEq(rollup.creditOf(alice), CHALLENGE_BOND + STAKE / 2);
        assertEq(rollup.creditOf(sequencer), 0);
        _assertRollupSolvent(_actors(), 0);
    }

    /// @dev The colluding challenger picks an agreed child and loses first (the committer takes its bond);
    ///      the batch stays unfinalizable while the honest game runs, and is then rejected.
    function test_DisputeGame_wrongPickingSecondChallengerCannotSaveBatch() public {
        bytes memory records = _padding(8);
        bytes32[] memory honest = TraceTree.build(TraceTree.filled(r0, 8));
        bytes32[] memory claimed = TraceTree.build(_faultFrom(r0, rBad, 8, 5));
        uint64 index = _commitTrace(records, _badPost(0), claimed);
        vm.warp(block.timestamp + WINDOW - 1);
        uint256 colluder = _open(carol, index);
        uint256 honestId = _open(alice, index);

        _reveal(colluder, claimed, sequencer);
        _pick(colluder, claimed, 2, carol); // step 2 is right: a deliberately losing pick
        Ledger memory before = _watch(colluder);
        _step(colluder, records, carol);
        _assertUnsettled(colluder, GameStatus.DefenderWon, before);
        assertEq(rollup.batch(index).openGames, 2, "both games count until the lost one is resolved");
        _resolve(colluder, GameStatus.DefenderWon);
        assertEq(rollup.creditOf(sequencer), CHALLENGE_BOND);
        assertEq(rollup.batch(index).openGames, 1);

        vm.warp(block.timestamp + 1);
        vm.expectRevert(abi.encodeWithSelector(IRollup.GamesOpen.selector, index, 1));
        rollup.finalizeBatch(index);

        before = _watch(honestId);
        _play(honestId, honest, claimed, records);
        _settle(honestId, GameStatus.ChallengerWon, before);
        assertEq(rollup.tip(), 0);
        vm.expectRevert(abi.encodeWithSelector(IRollup.UnknownBatch.selector, index));
        rollup.finalizeBatch(index);
        _assertRollupSolvent(_actors(), 0);
    }

    /// @dev Batch 1 is wrong, batch 2 sits on it, each has a game. Batch 1 loses: batch 2 is dropped lazily,
    ///      its games end Dropped (by close, or by a timeout then resolve) with bonds refunded; the sequencer
    ///      re-stakes and re-commits index 1, and a game against the new batch 1 has a key of its own.
    function test_DisputeGame_descendantsAreDroppedLazily() public {
        bytes memory records = _padding(4);
        bytes32[] memory honest = TraceTree.build(TraceTree.filled(r0, 4));
        bytes32[] memory claimed1 = TraceTree.build(_faultFrom(r0, rBad, 4, 1));
        uint64 one = _commitTrace(records, _badPost(0), claimed1);
        // Batch 2 is honest on top of batch 1's (wrong) state.
        bytes32[] memory claimed2 = TraceTree.build(TraceTree.filled(rBad, 2));
        uint64 two = _commitTrace(_padding(2), _badPost(0), claimed2);

        uint256 a = _open(alice, one);
        uint256 b = _open(bob, two);
        uint256 c = _open(carol, two);
        _reveal(b, claimed2, sequencer);
        _pick(b, claimed2, 1, bob);
        bytes memory w = _witness(b, _padding(2));

        Ledger memory before = _watch(a);
        _play(a, honest, claimed1, records);
        _assertUnsettled(a, GameStatus.ChallengerWon, before);
        assertTrue(rollup.isLive(two, 0), "batch 2 stands until batch 1's game is resolved");
        _resolve(a, GameStatus.ChallengerWon);
        assertEq(rollup.tip(), 0);
        assertEq(rollup.epoch(), 1);
        assertFalse(rollup.isLive(two, 0));

        // Bob's game reached its leaf, but its batch is gone: no step, only close.
        vm.expectRevert(abi.encodeWithSelector(IRollup.BatchDropped.selector, two, 0));
        dispute.step(b, w);
        dispute.close(b);
        assertEq(uint8(_status(b)), uint8(GameStatus.Dropped));
        assertEq(rollup.creditOf(bob), CHALLENGE_BOND);

        // Carol's game times out on the defender's clock: decided ChallengerWon, but its batch is gone, so
        // resolve ends it Dropped: a refund, no second slash. A decided game is no longer closed, only resolved.
        vm.warp(block.timestamp + CLOCK);
        before = _watch(c);
        dispute.timeout(c);
        _assertUnsettled(c, GameStatus.ChallengerWon, before);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.GameOver.selector, c, GameStatus.ChallengerWon));
        dispute.close(c);
        _resolve(c, GameStatus.Dropped);
        assertEq(rollup.creditOf(carol), CHALLENGE_BOND);
        assertEq(rollup.burned(), STAKE / 2);
        assertEq(rollup.epoch(), 1, "no second rewind");

        // The sequencer re-stakes and re-commits index 1 in epoch 1.
        vm.prank(sequencer);
        rollup.stake{value: STAKE}();
        uint64 again = _commitTrace(records, _genesisPost(), honest);
        assertEq(again, one);
        assertEq(rollup.batch(again).epoch, 1);
        uint256 d = _open(alice, again);
        assertTrue(d != a);
        assertEq(dispute.gameOf(one, 0, alice), a + 1);
        assertEq(dispute.gameOf(one, 1, alice), d + 1);
        assertEq(dispute.gameOf(two, 0, bob), b + 1);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.GameOver.selector, a, GameStatus.ChallengerWon));
        dispute.close(a);
        _assertRollupSolvent(_actors(), CHALLENGE_BOND);
    }

    /// @dev The sequencer challenges its own wrong batch and wins first: it recovers half its stake, the other
    ///      half burns, and the honest challenger's game is dropped with a refund (§14.5's burn at work).
    function test_DisputeGame_selfChallengeRecoversAtMostHalf() public {
        bytes memory records = _padding(4);
        bytes32[] memory honest = TraceTree.build(TraceTree.filled(r0, 4));
        bytes32[] memory claimed = TraceTree.build(_faultFrom(r0, rBad, 4, 0));
        uint64 index = _commitTrace(records, _badPost(0), claimed);
        uint256 own = _open(sequencer, index);
        uint256 honestId = _open(alice, index);

        Ledger memory before = _watch(own);
        _play(own, honest, claimed, records);
        _settle(own, GameStatus.ChallengerWon, before);
        dispute.close(honestId);
        assertEq(uint8(_status(honestId)), uint8(GameStatus.Dropped));
        assertEq(rollup.creditOf(sequencer), CHALLENGE_BOND + STAKE / 2);
        assertEq(rollup.creditOf(alice), CHALLENGE_BOND);
        assertEq(rollup.burned(), STAKE / 2, "the sequencer lost half its stake");
    }

    /// @dev One stake backs every pending batch of its committer: once a later wrong batch is rejected (here
    ///      by the sequencer's own game), the earlier wrong batch's challenger is paid only from a stake posted
    ///      since, which cannot be unstaked while that batch is pending (§10, §14.5).
    function test_DisputeGame_secondRejectionPaysFromLockedRestake() public {
        bytes memory records = _padding(2);
        bytes32[] memory claimed1 = TraceTree.build(_faultFrom(r0, rBad, 2, 0));
        uint64 one = _commitTrace(records, _badPost(0), claimed1);
        bytes32 bad2 = _remember(MerkleBuilder.z(32), keccak256("wrong again"), 0, 0, 0);
        bytes32[] memory claimed2 = TraceTree.build(TraceTree.filled(bad2, 2));
        vm.prank(sequencer, sequencer);
        uint64 two = rollup.commitBatch(
            one, "", records, _postWith(MerkleBuilder.z(32), keccak256("wrong again")), claimed2.root()
        );

        uint256 honestId = _open(alice, one);
        uint256 own = _open(sequencer, two);
        Ledger memory before = _watch(own);
        _play(own, TraceTree.build(TraceTree.filled(rBad, 2)), claimed2, records);
        _settle(own, GameStatus.ChallengerWon, before);
        assertEq(rollup.tip(), one, "batch 1 is still pending, no stake behind it");
        assertEq(rollup.stakeOf(sequencer), 0);

        // A stake posted now cannot be pulled out from under batch 1, though batch 2 (the newest) was dropped:
        // the lock holds until the chain is final at index 2.
        vm.prank(sequencer);
        rollup.stake{value: STAKE}();
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(IRollup.StakeLocked.selector, sequencer, two));
        rollup.unstake();

        before = _watch(honestId);
        _play(honestId, TraceTree.build(TraceTree.filled(r0, 2)), claimed1, records);
        _settle(honestId, GameStatus.ChallengerWon, before);
        assertEq(rollup.tip(), 0);
        assertEq(
            rollup.creditOf(alice), CHALLENGE_BOND + STAKE / 2, "the re-posted stake, locked, pays batch 1's challenger"
        );
        assertEq(rollup.creditOf(sequencer), CHALLENGE_BOND + STAKE / 2);
        _assertRollupSolvent(_actors(), 0);
    }
}
