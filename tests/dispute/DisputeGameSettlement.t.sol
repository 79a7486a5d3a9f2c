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
///         chess clocks and timeouts, several games on one batch with a challenger colluding with the
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

        vm.prank(stranger);
        dispute.timeout(id);
        _gas("timeout (defender)    ");
        assertEq(uint8(_status(id)), uint8(GameStatus.ChallengerWon));
        assertEq(rollup.tip(), 0);
        assertEq(rollup.creditOf(alice), CHALLENGE_BOND + STAKE / 2);
        assertEq(rollup.creditOf(stranger), 0, "the caller of timeout gets nothing");
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

        dispute.timeout(id);
        _gas("timeout (challenger)  ");
        assertEq(uint8(_status(id)), uint8(GameStatus.DefenderWon), "a wrong batch wins by the clock");
        assertEq(rollup.creditOf(sequencer), CHALLENGE_BOND);
        assertEq(rollup.tip(), index);
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

        dispute.timeout(id);
        assertEq(uint8(_status(id)), uint8(GameStatus.DefenderWon));
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
        dispute.timeout(id);
        assertEq(uint8(_status(id)), uint8(GameStatus.ChallengerWon));
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

        _play(honestId, honest, claimed, records);
        assertEq(uint8(_status(honestId)), uint8(GameStatus.ChallengerWon));
        assertEq(rollup.tip(), 0);

        dispute.close(colluder);
        _gas("close                 ");
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
        _step(colluder, records, carol);
        assertEq(uint8(_status(colluder)), uint8(GameStatus.DefenderWon));
        assertEq(rollup.creditOf(sequencer), CHALLENGE_BOND);
        assertEq(rollup.batch(index).openGames, 1);

        vm.warp(block.timestamp + 1);
        vm.expectRevert(abi.encodeWithSelector(IRollup.GamesOpen.selector, index, 1));
        rollup.finalizeBatch(index);

        _play(honestId, honest, claimed, records);
        assertEq(uint8(_status(honestId)), uint8(GameStatus.ChallengerWon));
        assertEq(rollup.tip(), 0);
        vm.expectRevert(abi.encodeWithSelector(IRollup.UnknownBatch.selector, index));
        rollup.finalizeBatch(index);
        _assertRollupSolvent(_actors(), 0);
    }

    /// @dev Batch 1 is wrong, batch 2 sits on it, each has a game. Batch 1 loses: batch 2 is dropped lazily,
    ///      its games end Dropped (by close, or by timeout) with bonds refunded; the sequencer re-stakes and
    ///      re-commits index 1, and a game against the new batch 1 has a key of its own.
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

        _play(a, honest, claimed1, records);
        assertEq(uint8(_status(a)), uint8(GameStatus.ChallengerWon));
        assertEq(rollup.tip(), 0);
        assertEq(rollup.epoch(), 1);
        assertFalse(rollup.isLive(two, 0));

        // Bob's game reached its leaf, but its batch is gone: no step, only close.
        vm.expectRevert(abi.encodeWithSelector(IRollup.BatchDropped.selector, two, 0));
        dispute.step(b, w);
        dispute.close(b);
        assertEq(uint8(_status(b)), uint8(GameStatus.Dropped));
        assertEq(rollup.creditOf(bob), CHALLENGE_BOND);

        // Carol's game times out on the defender's clock: still Dropped, still a refund, no second slash.
        vm.warp(block.timestamp + CLOCK);
        dispute.timeout(c);
        assertEq(uint8(_status(c)), uint8(GameStatus.Dropped));
        assertEq(rollup.creditOf(carol), CHALLENGE_BOND);
        assertEq(rollup.burned(), STAKE / 2);

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

        _play(own, honest, claimed, records);
        assertEq(uint8(_status(own)), uint8(GameStatus.ChallengerWon));
        dispute.close(honestId);
        assertEq(uint8(_status(honestId)), uint8(GameStatus.Dropped));
        assertEq(rollup.creditOf(sequencer), CHALLENGE_BOND + STAKE / 2);
        assertEq(rollup.creditOf(alice), CHALLENGE_BOND);
        assertEq(rollup.burned(), STAKE / 2, "the sequencer lost half its stake");
    }

    /// @dev One stake backs every pending batch of its committer: once a later wrong batch is rejected (here
    ///      by the sequencer's own game), rejecting an earlier wrong batch pays its challenger no reward.
    function test_DisputeGame_secondRejectionFindsNoStake() public {
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
        _play(own, TraceTree.build(TraceTree.filled(rBad, 2)), claimed2, records);
        assertEq(uint8(_status(own)), uint8(GameStatus.ChallengerWon));
        assertEq(rollup.tip(), one, "batch 1 is still pending, no stake behind it");
        assertEq(rollup.stakeOf(sequencer), 0);

        _play(honestId, TraceTree.build(TraceTree.filled(r0, 2)), claimed1, records);
        assertEq(uint8(_status(honestId)), uint8(GameStatus.ChallengerWon));
        assertEq(rollup.tip(), 0);
        assertEq(rollup.creditOf(alice), CHALLENGE_BOND, "no reward: the stake was already slashed");
        assertEq(rollup.creditOf(sequencer), CHALLENGE_BOND + STAKE / 2);
        _assertRollupSolvent(_actors(), 0);
    }
}
