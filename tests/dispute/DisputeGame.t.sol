// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {console2} from "forge-std/console2.sol";

import {IDisputeGame} from "../../contracts/interfaces/IDisputeGame.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Game, GameStatus, Position, Turn} from "../../contracts/dispute/DisputeTypes.sol";
import {LibClock} from "../../contracts/dispute/lib/LibClock.sol";
import {StatePreimage} from "../../contracts/libraries/Types.sol";
import {MerkleBuilder} from "../utils/MerkleBuilder.sol";
import {DisputeHarness} from "./utils/DisputeHarness.sol";
import {TraceTree} from "./utils/TraceTree.sol";

/// @notice Dispute games walked to the one-step over real traces (PROTOCOL §8, §14), from the attacker's
///         side: a wrong batch loses to an honest challenger (up to T = 1,024, with each move's gas and the
///         whole dispute's), an honest batch beats a frivolous challenger, an honest trace with a wrong state
///         root loses at its last step, T = 1, who may move, and a fuzzed honest-side-wins property. The
///         step only decides; each game is then settled by a third party's `resolve`, and nothing is paid or
///         rewound in between.
contract DisputeGameTest is DisputeHarness {
    using TraceTree for bytes32[];

    // ----------------------------------------------------------------------------------------------------
    // A wrong batch loses
    // ----------------------------------------------------------------------------------------------------

    /// @dev T = 4 (3 padding records and an identity step), the trace wrong from step 2.
    function test_DisputeGame_wrongRootLoses() public {
        bytes memory records = _padding(3);
        bytes32[] memory honest = TraceTree.build(TraceTree.filled(r0, 4));
        bytes32[] memory claimed = TraceTree.build(_faultFrom(r0, rBad, 4, 2));
        uint64 index = _commitTrace(records, _badPost(0), claimed);

        uint256 id = _open(alice, index);
        Game memory g = _game(id);
        assertEq(g.traceDepth, 2);
        assertEq(uint8(g.turn), uint8(Turn.Defender));
        assertEq(Position.unwrap(g.position), 1);
        assertEq(g.node, claimed.root());
        assertEq(g.preRoot, r0);
        assertEq(g.defender, sequencer);

        _reveal(id, claimed, sequencer);
        uint64 child = _leftmostDiffering(id, honest, claimed);
        assertEq(child, 2, "leftmost differing child");
        _pick(id, claimed, child, alice);
        g = _game(id);
        assertEq(Position.unwrap(g.position), 4 + 2);
        assertEq(g.node, rBad);
        assertEq(g.preRoot, r0, "pre-root: the agreed step 1");

        // The step decides: the challenger has won, but the batch stands until the game is resolved.
        Ledger memory before = _watch(id);
        vm.expectEmit(address(dispute));
        emit IDisputeGame.GameDecided(id, GameStatus.ChallengerWon);
        _step(id, records, alice);
        _assertUnsettled(id, GameStatus.ChallengerWon, before);
        assertEq(rollup.tip(), index, "not rewound before resolve");
        assertTrue(rollup.isLive(index, 0));
        assertEq(rollup.stakeOf(sequencer), STAKE);
        assertEq(rollup.creditOf(alice), 0);

        // Anyone settles it.
        vm.expectEmit(address(rollup));
        emit IRollup.BatchRejected(index, 1, alice, STAKE / 2, STAKE / 2);
        vm.expectEmit(address(dispute));
        emit IDisputeGame.GameResolved(id, GameStatus.ChallengerWon);
        vm.prank(stranger);
        dispute.resolve(id);

        assertEq(uint8(_status(id)), uint8(GameStatus.ChallengerWon));
        assertTrue(_game(id).resolved);
        assertEq(rollup.creditOf(stranger), 0, "the caller of resolve gets nothing");
        assertEq(rollup.tip(), 0, "tip rewound to the parent");
        assertEq(rollup.epoch(), 1);
        assertFalse(rollup.isLive(index, 0));
        assertEq(rollup.stakeOf(sequencer), 0, "stake slashed");
        assertEq(rollup.creditOf(alice), CHALLENGE_BOND + STAKE / 2, "bond back and half the stake");
        assertEq(rollup.creditOf(sequencer), 0);
        assertEq(rollup.burned(), STAKE / 2);
        assertEq(address(rollup).balance, rollup.creditOf(alice) + rollup.burned());
        _assertRollupSolvent(_actors(), 0);

        // The slashed sequencer cannot commit again; the rejected batch cannot be challenged again.
        vm.prank(sequencer, sequencer);
        vm.expectRevert(abi.encodeWithSelector(IRollup.InsufficientStake.selector, 0, STAKE));
        rollup.commitBatch(0, "", records, _genesisPost(), claimed.root());
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IRollup.BatchNotPending.selector, index));
        dispute.open{value: CHALLENGE_BOND}(index);

        // The winner withdraws.
        uint256 balance = alice.balance;
        vm.prank(alice);
        rollup.withdrawCredit(payable(alice));
        assertEq(alice.balance - balance, CHALLENGE_BOND + STAKE / 2);
        assertEq(address(rollup).balance, STAKE / 2, "only the burned half stays");
    }

    // ----------------------------------------------------------------------------------------------------
    // Gas: T = 16, 256 and the largest trace, T = 1,024
    // ----------------------------------------------------------------------------------------------------

    /// @dev Gas of one whole dispute, call by call (whole transactions under `--isolate`).
    struct Walk {
        uint256 open;
        uint256 reveals;
        uint256 picks;
        uint256 step;
        uint256 resolve;
        uint256 total;
        uint256 revealedHashes;
        uint256 defenderMoves;
        uint256 challengerMoves;
    }

    /// @dev A reveal or a pick fits in 100,000 gas, a step (it only decides) in 200,000, a whole dispute in
    ///      1,000,000: whole transactions under `--isolate`, callee frames otherwise.
    uint256 internal constant MOVE_GAS = 100_000;
    uint256 internal constant STEP_GAS = 200_000;
    uint256 internal constant DISPUTE_GAS = 1_000_000;

    function test_DisputeGame_largestTraceFaultInIdentityStep() public {
        _largestTrace(777);
    }

    function test_DisputeGame_largestTraceFaultInRecordStep() public {
        _largestTrace(300);
    }

    function test_DisputeGame_largestTraceFaultInFirstIdentityStep() public {
        _largestTrace(513);
    }

    function test_DisputeGame_largestTraceFaultInLastRecordStep() public {
        _largestTrace(512);
    }

    /// @dev The deposit's message step: the heaviest step this harness builds (a 32-sibling account path).
    function test_DisputeGame_largestTraceFaultInMessageStep() public {
        _largestTrace(0);
    }

    /// @dev A frivolous challenger of an honest T = 1,024 batch, to its message step: the defender wins.
    function test_DisputeGame_largestTraceHonestBatchMessageStep() public {
        Walk memory w = _measuredDispute(1024, 512, 0, true);
        assertEq(w.defenderMoves, 3);
        assertEq(w.challengerMoves, 4);
    }

    /// @dev A frivolous challenger of an honest T = 1,024 batch, to a record step: the defender wins.
    function test_DisputeGame_largestTraceHonestBatchRecordStep() public {
        Walk memory w = _measuredDispute(1024, 512, 300, true);
        assertEq(w.defenderMoves, 3);
        assertEq(w.challengerMoves, 4);
    }

    /// @dev T = 16 (1 deposit, 15 records): one reveal of 16, one pick and the step.
    function test_DisputeGame_gasT16MessageStep() public {
        Walk memory w = _measuredDispute(16, 15, 0, false);
        assertEq(w.revealedHashes, 16);
        assertEq(w.defenderMoves, 1);
        assertEq(w.challengerMoves, 2);
    }

    function test_DisputeGame_gasT16RecordStep() public {
        Walk memory w = _measuredDispute(16, 15, 13, false);
        assertEq(w.defenderMoves, 1);
        assertEq(w.challengerMoves, 2);
    }

    /// @dev T = 256 (1 deposit, 255 records): two reveals of 16, two picks and the step.
    function test_DisputeGame_gasT256MessageStep() public {
        Walk memory w = _measuredDispute(256, 255, 0, false);
        assertEq(w.revealedHashes, 32);
        assertEq(w.defenderMoves, 2);
        assertEq(w.challengerMoves, 3);
    }

    function test_DisputeGame_gasT256RecordStep() public {
        Walk memory w = _measuredDispute(256, 255, 215, false);
        assertEq(w.defenderMoves, 2);
        assertEq(w.challengerMoves, 3);
    }

    /// @dev 1 deposit + 512 padding records (m + n = 513, T = 1,024, d = 10), the trace wrong from `fault`:
    ///      3 reveals of 16, 16 and 4 hashes, 3 picks and the step, then the resolve.
    function _largestTrace(uint256 fault) internal {
        Walk memory w = _measuredDispute(1024, 512, fault, false);
        assertEq(w.revealedHashes, 16 + 16 + 4, "reveals of 16, 16 and 4 hashes");
        // ceil(log16 1024) + 1 = 4 moves per side at most.
        assertLe(w.defenderMoves, 4);
        assertLe(w.challengerMoves, 4);
        assertEq(w.defenderMoves, 3);
        assertEq(w.challengerMoves, 4);
    }

    /// @dev A measured dispute's batch and game: its records, the honest and the committed trace trees.
    struct Case {
        bytes records;
        bytes32[] honest;
        bytes32[] claimed;
        uint64 index;
        uint256 id;
        uint256 target;
        bool honestBatch;
    }

    /// @dev One deposit and `padding` padding records (`T = t` steps), and a challenger walking down to step
    ///      `target`: against a trace wrong from `target` (an honest challenger, picking the leftmost child
    ///      that differs; it wins), or against the honest trace (`honestBatch`: a frivolous challenger; the
    ///      defender wins). Each call is measured (under `--isolate`, as its own transaction), logged and
    ///      bounded: reveals and picks below 100,000, the step below 200,000; a third party resolves, after
    ///      the verdict is shown to have settled nothing; the whole dispute (open, reveals, picks, step,
    ///      resolve) stays within 1,000,000.
    function _measuredDispute(uint256 t, uint256 padding, uint256 target, bool honestBatch)
        internal
        returns (Walk memory w)
    {
        Case memory c = _case(t, padding, target, honestBatch);
        console2.log(
            string.concat(
                "-- T = ",
                vm.toString(t),
                ", to step ",
                vm.toString(target),
                honestBatch ? ", honest batch" : ", wrong batch"
            )
        );
        w.open = _measure("open", alice, CHALLENGE_BOND, abi.encodeCall(dispute.open, (c.index)));
        c.id = dispute.gameCount() - 1;
        assertEq(uint256(1) << _game(c.id).traceDepth, t);
        _walkDown(c, w);
        assertEq(_leafStep(c.id), target, "the walk ends at the target step");
        _stepAndResolve(c, w, target == 0 ? "message" : target <= padding ? "record" : "identity");

        w.total = w.open + w.reveals + w.picks + w.step + w.resolve;
        _logWalk(t, w);
        assertLe(w.total, DISPUTE_GAS, "whole dispute over 1,000,000 gas");
        // At most ceil(d / REVEAL_LEVELS) + 1 moves per side (§14.3).
        uint256 bound = (_game(c.id).traceDepth + LEVELS - 1) / LEVELS + 1;
        assertLe(w.defenderMoves, bound);
        assertLe(w.challengerMoves, bound);
    }

    /// @dev The batch of a measured dispute: alice's deposit (a message step) then the padding records.
    function _case(uint256 t, uint256 padding, uint256 target, bool honestBatch) internal returns (Case memory c) {
        _deposit(alice, 1 ether);
        bytes32[] memory accounts = new bytes32[](1);
        accounts[0] = keccak256(abi.encodePacked(bytes1(0x01), alice, uint32(0), uint128(1 ether), uint32(0)));
        StatePreimage memory post1 = StatePreimage(MerkleBuilder.stateRoot(accounts), MerkleBuilder.z(32), 1, 1, 0);
        bytes32 r1 = _remember(post1.accountsRoot, post1.withdrawalsRoot, 1, 1, 0);
        assertEq(r1, _rootOf(post1));

        c.records = _padding(padding);
        c.honest = TraceTree.build(TraceTree.filled(r1, t));
        c.claimed = honestBatch ? c.honest : TraceTree.build(_faultFrom(r1, _rootOf(_badPost(1)), t, target));
        c.index = _commitTrace(c.records, honestBatch ? post1 : _badPost(1), c.claimed);
        c.target = target;
        c.honestBatch = honestBatch;
    }

    /// @dev Reveals and picks down to the leaf, each measured and bounded.
    function _walkDown(Case memory c, Walk memory w) internal {
        while (TraceTree.depthOf(Position.unwrap(_game(c.id).position)) < _game(c.id).traceDepth) {
            bytes32[] memory children = _revealed(c.id, c.claimed);
            uint256 used = _measure(
                string.concat("reveal of ", vm.toString(children.length)),
                sequencer,
                abi.encodeCall(dispute.reveal, (c.id, children))
            );
            assertLt(used, MOVE_GAS, "reveal over 100,000 gas");
            w.reveals += used;
            w.revealedHashes += children.length;
            ++w.defenderMoves;

            uint64 child = _childToward(c.id, c.target);
            if (!c.honestBatch) assertEq(child, _leftmostDiffering(c.id, c.honest, c.claimed), "honest challenger");
            (bytes32 h, bytes32[] memory p, bytes32 pre, bytes32[] memory pp) = _pickArgs(c.id, c.claimed, child);
            used = _measure(
                string.concat("pick of child ", vm.toString(child)),
                alice,
                abi.encodeCall(dispute.pick, (c.id, child, h, p, pre, pp))
            );
            assertLt(used, MOVE_GAS, "pick over 100,000 gas");
            w.picks += used;
            ++w.challengerMoves;
        }
    }

    /// @dev The step (decide only: the witness and the verdict), shown to settle nothing, then a third
    ///      party's resolve, and the settlement.
    function _stepAndResolve(Case memory c, Walk memory w, string memory kind) internal {
        GameStatus verdict = c.honestBatch ? GameStatus.DefenderWon : GameStatus.ChallengerWon;
        string memory winner = c.honestBatch ? "defender" : "challenger";
        Ledger memory before = _watch(c.id);
        bytes memory witness = _witness(c.id, c.records);
        w.step = _measure(
            string.concat("step (", kind, ", ", winner, " wins)"), alice, abi.encodeCall(dispute.step, (c.id, witness))
        );
        assertLt(w.step, STEP_GAS, "step over 200,000 gas");
        ++w.challengerMoves;
        _assertUnsettled(c.id, verdict, before);

        w.resolve =
            _measure(string.concat("resolve (", winner, " win)"), stranger, abi.encodeCall(dispute.resolve, (c.id)));
        assertLt(w.resolve, 1 << 24);
        Game memory g = _game(c.id);
        assertEq(uint8(g.status), uint8(verdict));
        assertTrue(g.resolved);
        assertEq(rollup.creditOf(stranger), 0, "the caller of resolve gets nothing");
        if (c.honestBatch) {
            assertEq(rollup.tip(), c.index);
            assertEq(rollup.creditOf(sequencer), CHALLENGE_BOND, "the committer takes the bond");
            assertEq(rollup.stakeOf(sequencer), STAKE);
            _finalize(c.index);
        } else {
            assertEq(rollup.tip(), 0, "rewound");
            assertEq(rollup.stakeOf(sequencer), 0, "slashed");
            assertEq(rollup.creditOf(alice), CHALLENGE_BOND + STAKE / 2);
        }
        _assertRollupSolvent(_actors(), 0);
    }

    function _logWalk(uint256 t, Walk memory w) internal pure {
        string memory parts = string.concat(
            "open ",
            vm.toString(w.open),
            ", reveals ",
            vm.toString(w.reveals),
            ", picks ",
            vm.toString(w.picks),
            ", step ",
            vm.toString(w.step),
            ", resolve ",
            vm.toString(w.resolve)
        );
        string memory moves = string.concat(
            "moves: defender ", vm.toString(w.defenderMoves), ", challenger ", vm.toString(w.challengerMoves)
        );
        console2.log(
            string.concat(
                "gas whole dispute at T = ", vm.toString(t), ": ", vm.toString(w.total), " (", parts, "; ", moves, ")"
            )
        );
    }

    /// @dev The revealed child on the path from the game's node down to leaf `target`.
    function _childToward(uint256 id, uint256 target) internal view returns (uint64) {
        Game memory g = _game(id);
        (uint8 below, uint8 s) = _levels(g);
        return uint64((target >> (below - s)) & ((uint256(1) << s) - 1));
    }

    // ----------------------------------------------------------------------------------------------------
    // An honest batch wins
    // ----------------------------------------------------------------------------------------------------

    /// @dev A frivolous challenger of an honest batch loses its bond to the committer; the batch cannot
    ///      finalize while the game is open, and does once it ends.
    function test_DisputeGame_frivolousChallengerLoses() public {
        bytes memory records = _padding(5);
        bytes32[] memory honest = TraceTree.build(TraceTree.filled(r0, 8));
        uint64 index = _commitTrace(records, _genesisPost(), honest);
        uint64 commitTime = rollup.batch(index).commitTime;

        vm.warp(commitTime + WINDOW - 10 minutes);
        uint256 id = _open(bob, index);
        vm.warp(commitTime + WINDOW);
        vm.expectRevert(abi.encodeWithSelector(IRollup.GamesOpen.selector, index, 1));
        rollup.finalizeBatch(index);

        _reveal(id, honest, sequencer);
        _pick(id, honest, 5, bob); // nothing differs: any pick is frivolous
        assertEq(_leafStep(id), 5);
        Ledger memory before = _watch(id);
        bytes memory w = _witness(id, records);
        vm.expectEmit(address(dispute));
        emit IDisputeGame.GameDecided(id, GameStatus.DefenderWon);
        uint256 used = _measure("step (record, defender wins, T = 8)", bob, abi.encodeCall(dispute.step, (id, w)));
        assertLt(used, STEP_GAS);

        // Decided, not settled: the bond is still locked and the game still holds the batch back.
        _assertUnsettled(id, GameStatus.DefenderWon, before);
        assertEq(rollup.creditOf(sequencer), 0);
        assertEq(rollup.batch(index).openGames, 1);
        vm.expectRevert(abi.encodeWithSelector(IRollup.GamesOpen.selector, index, 1));
        rollup.finalizeBatch(index);

        _gas("resolve (defender win, T = 8)", _resolve(id, GameStatus.DefenderWon));
        assertEq(rollup.creditOf(sequencer), CHALLENGE_BOND, "the committer takes the bond");
        assertEq(rollup.creditOf(bob), 0);
        assertEq(rollup.stakeOf(sequencer), STAKE);
        assertEq(rollup.tip(), index);
        assertEq(rollup.batch(index).openGames, 0);

        rollup.finalizeBatch(index);
        assertTrue(rollup.isFinal(index));
        _assertRollupSolvent(_actors(), 0);
    }

    /// @dev A frivolous challenger that goes all the way to the last step of an honest trace still loses.
    function test_DisputeGame_frivolousChallengerLosesAtLastStep() public {
        bytes memory records = _padding(3);
        bytes32[] memory honest = TraceTree.build(TraceTree.filled(r0, 4));
        uint256 id = _open(bob, _commitTrace(records, _genesisPost(), honest));
        _reveal(id, honest, sequencer);
        _pick(id, honest, 3, bob);
        _step(id, records, bob);
        assertEq(uint8(_status(id)), uint8(GameStatus.DefenderWon));
    }

    // ----------------------------------------------------------------------------------------------------
    // Honest trace, wrong state root
    // ----------------------------------------------------------------------------------------------------

    /// @dev T = 32 (20 records, 12 identity steps): the honest challenger picks the last child each time and
    ///      wins at step 31, whose post-root matches the trace but not the batch's state root.
    function test_DisputeGame_honestTraceWrongStateRootLosesAtLastStep() public {
        bytes memory records = _padding(20);
        bytes32[] memory honest = TraceTree.build(TraceTree.filled(r0, 32));
        uint64 index = _commitTrace(records, _badPost(0), honest);
        uint256 id = _open(alice, index);

        _reveal(id, honest, sequencer);
        assertEq(_leftmostDiffering(id, honest, honest), 15);
        _pick(id, honest, 15, alice);
        _reveal(id, honest, sequencer);
        assertEq(_leftmostDiffering(id, honest, honest), 1);
        _pick(id, honest, 1, alice);
        assertEq(_leafStep(id), 31);
        Ledger memory before = _watch(id);
        _step(id, records, alice);

        _settle(id, GameStatus.ChallengerWon, before);
        assertEq(rollup.tip(), 0);
        assertEq(rollup.creditOf(alice), CHALLENGE_BOND + STAKE / 2);
    }

    /// @dev The same batch defends any other leaf: only the last step is checked against the state root.
    function test_DisputeGame_honestTraceWrongStateRootWinsElsewhere() public {
        bytes memory records = _padding(20);
        bytes32[] memory honest = TraceTree.build(TraceTree.filled(r0, 32));
        uint256 id = _open(alice, _commitTrace(records, _badPost(0), honest));
        _reveal(id, honest, sequencer);
        _pick(id, honest, 15, alice);
        _reveal(id, honest, sequencer);
        _pick(id, honest, 0, alice);
        assertEq(_leafStep(id), 30);
        _step(id, records, alice);
        assertEq(uint8(_status(id)), uint8(GameStatus.DefenderWon));
    }

    // ----------------------------------------------------------------------------------------------------
    // T = 1
    // ----------------------------------------------------------------------------------------------------

    /// @dev One padding record: the root is the only leaf, the challenger moves first, with the step.
    function test_DisputeGame_singleStepTraceStartsAtLeaf() public {
        bytes memory records = _padding(1);
        bytes32[] memory claimed = TraceTree.build(TraceTree.filled(rBad, 1));
        uint64 index = _commitTrace(records, _badPost(0), claimed);
        uint256 id = _open(alice, index);

        Game memory g = _game(id);
        assertEq(g.traceDepth, 0);
        assertEq(uint8(g.turn), uint8(Turn.Challenger));
        assertEq(g.node, rBad);
        assertEq(g.preRoot, r0);
        assertEq(LibClock.since(g.challengerClock), block.timestamp, "the challenger's clock runs");
        assertEq(LibClock.since(g.defenderClock), 0);

        Ledger memory before = _watch(id);
        _step(id, records, alice);
        _settle(id, GameStatus.ChallengerWon, before);
        assertEq(rollup.tip(), 0);
    }

    /// @dev T = 1 with the right leaf but a wrong state root: step 0 is the last step.
    function test_DisputeGame_singleStepTraceWrongStateRoot() public {
        bytes memory records = _padding(1);
        uint256 id = _open(alice, _commitTrace(records, _badPost(0), TraceTree.build(TraceTree.filled(r0, 1))));
        _step(id, records, alice);
        assertEq(uint8(_status(id)), uint8(GameStatus.ChallengerWon));
    }

    function test_DisputeGame_singleStepTraceHonest() public {
        bytes memory records = _padding(1);
        uint256 id = _open(bob, _commitTrace(records, _genesisPost(), TraceTree.build(TraceTree.filled(r0, 1))));
        Ledger memory before = _watch(id);
        _step(id, records, bob);
        _settle(id, GameStatus.DefenderWon, before);
        assertEq(rollup.creditOf(sequencer), CHALLENGE_BOND);
    }

    // ----------------------------------------------------------------------------------------------------
    // Who moves
    // ----------------------------------------------------------------------------------------------------

    /// @dev Anyone may reveal (only the committed hashes fold), anyone may step and resolve; only the
    ///      challenger picks.
    function test_DisputeGame_revealIsPermissionlessPickIsNot() public {
        bytes memory records = _padding(32);
        bytes32[] memory claimed = TraceTree.build(_faultFrom(r0, rBad, 32, 21));
        bytes32[] memory honest = TraceTree.build(TraceTree.filled(r0, 32));
        uint256 id = _open(alice, _commitTrace(records, _badPost(0), claimed));

        _reveal(id, claimed, stranger);
        (bytes32 h, bytes32[] memory p, bytes32 pre, bytes32[] memory pp) = _pickArgs(id, claimed, 10);
        address[2] memory others = [stranger, sequencer];
        for (uint256 i; i < others.length; ++i) {
            vm.prank(others[i]);
            vm.expectRevert(abi.encodeWithSelector(IDisputeGame.NotChallenger.selector, others[i], alice));
            dispute.pick(id, 10, h, p, pre, pp);
        }
        _pick(id, claimed, _leftmostDiffering(id, honest, claimed), alice);
        _reveal(id, claimed, bob);
        _pick(id, claimed, _leftmostDiffering(id, honest, claimed), alice);
        assertEq(_leafStep(id), 21);

        Ledger memory before = _watch(id);
        _step(id, records, stranger);
        _settle(id, GameStatus.ChallengerWon, before); // resolved by the stranger too
        assertEq(rollup.creditOf(alice), CHALLENGE_BOND + STAKE / 2, "the challenger is paid, not the caller");
        assertEq(rollup.creditOf(stranger), 0);
    }

    /// @dev The sequencer abandons the defence of its own honest batch against a colluding challenger, to
    ///      have it rejected (and recover half its stake); a watcher reveals in its place and the batch stands.
    function test_DisputeGame_watcherDefendsAbandonedHonestBatch() public {
        bytes memory records = _padding(40);
        bytes32[] memory honest = TraceTree.build(TraceTree.filled(r0, 64));
        uint64 index = _commitTrace(records, _genesisPost(), honest);
        uint256 id = _open(carol, index);
        for (uint256 level; level < 2; ++level) {
            vm.warp(block.timestamp + 20 minutes);
            _reveal(id, honest, bob);
            _pick(id, honest, 1, carol);
        }
        assertEq(_leafStep(id), 5, "child 1 of 16 (steps 4..7), then child 1 of 4");
        // Carol cannot win the step; she stalls instead and loses on her clock.
        vm.warp(block.timestamp + CLOCK);
        Ledger memory before = _watch(id);
        dispute.timeout(id);
        _settle(id, GameStatus.DefenderWon, before);
        assertEq(rollup.tip(), index);
        assertEq(rollup.stakeOf(sequencer), STAKE);
        assertEq(rollup.creditOf(sequencer), CHALLENGE_BOND);
        assertEq(rollup.creditOf(bob), 0, "the watcher defends for nothing");
    }

    // ----------------------------------------------------------------------------------------------------
    // Fuzz: the honest side always wins
    // ----------------------------------------------------------------------------------------------------

    /// @dev T = 16 or 32 of padding records and identity steps. `mode` 0: an honest batch against a
    ///      challenger picking at random; 1: a trace wrong from a random step (later leaves random, the
    ///      state root right or wrong); 2: an honest trace with a wrong state root. The honest side wins.
    function testFuzz_HonestSideAlwaysWins(uint256 seed, bool big, uint8 mode, uint8 faultSeed) public {
        uint256 t = big ? 32 : 16;
        bytes memory records = _padding(bound(seed, t / 2 + 1, t));
        mode %= 3;
        uint256 fault = uint256(faultSeed) % t;
        (bytes32[] memory claimed, bool wrongRoot) = _fuzzTrace(seed, t, mode, fault);
        uint64 index = _commitTrace(records, wrongRoot ? _badPost(0) : _genesisPost(), claimed);
        uint256 id = _open(alice, index);
        Ledger memory before = _watch(id);

        if (mode == 0) {
            _playFrivolous(id, claimed, records, seed);
            _settle(id, GameStatus.DefenderWon, before);
            assertEq(rollup.tip(), index);
            assertEq(rollup.creditOf(sequencer), CHALLENGE_BOND);
        } else {
            _play(id, TraceTree.build(TraceTree.filled(r0, t)), claimed, records);
            assertEq(_leafStep(id), mode == 1 ? fault : t - 1, "the first wrong step, or the last");
            _settle(id, GameStatus.ChallengerWon, before);
            assertEq(rollup.tip(), 0);
            assertEq(rollup.creditOf(alice), CHALLENGE_BOND + STAKE / 2);
        }
        _assertRollupSolvent(_actors(), 0);
    }

    /// @dev The committed tree of a fuzz case, and whether its state root is wrong.
    function _fuzzTrace(uint256 seed, uint256 t, uint8 mode, uint256 fault)
        internal
        view
        returns (bytes32[] memory tree, bool wrongRoot)
    {
        bytes32[] memory leaves = TraceTree.filled(r0, t);
        wrongRoot = mode == 2 || (mode == 1 && (seed >> 200) & 1 == 1);
        if (mode == 1) {
            leaves[fault] = rBad;
            for (uint256 j = fault + 1; j < t; ++j) {
                uint256 r = uint256(keccak256(abi.encode(seed, j))) % 3;
                leaves[j] = r == 0 ? r0 : r == 1 ? rBad : keccak256(abi.encode("garbage", seed, j));
            }
            if (leaves[t - 1] != r0) wrongRoot = true;
        }
        tree = TraceTree.build(leaves);
    }

    /// @dev A frivolous challenger: random picks, then the only witness there is.
    function _playFrivolous(uint256 id, bytes32[] memory claimed, bytes memory records, uint256 seed) internal {
        for (uint256 k;; ++k) {
            Game memory g = _game(id);
            if (TraceTree.depthOf(Position.unwrap(g.position)) == g.traceDepth) break;
            _reveal(id, claimed, sequencer);
            (, uint8 s) = _levels(g);
            _pick(id, claimed, uint64(uint256(keccak256(abi.encode(seed, k))) % (uint256(1) << s)), alice);
        }
        _step(id, records, alice);
    }
}
