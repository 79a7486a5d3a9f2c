// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {console2} from "forge-std/console2.sol";

import {IDisputeGame} from "../../contracts/interfaces/IDisputeGame.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Game, GameStatus, Position, Turn} from "../../contracts/dispute/DisputeTypes.sol";
import {LibClock} from "../../contracts/dispute/lib/LibClock.sol";
import {MerkleBuilder} from "../utils/MerkleBuilder.sol";
import {DisputeHarness} from "./utils/DisputeHarness.sol";
import {TraceTree} from "./utils/TraceTree.sol";

/// @notice Dispute games walked to the one-step over real traces (PROTOCOL §8, §14), from the attacker's
///         side: a wrong batch loses to an honest challenger (up to T = 1,024, with each move's gas), an
///         honest batch beats a frivolous challenger, an honest trace with a wrong state root loses at its
///         last step, T = 1, who may move, and a fuzzed honest-side-wins property.
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

        vm.expectEmit(address(rollup));
        emit IRollup.BatchRejected(index, 1, alice, STAKE / 2, STAKE / 2);
        vm.expectEmit(address(dispute));
        emit IDisputeGame.GameResolved(id, GameStatus.ChallengerWon);
        _step(id, records, alice);

        assertEq(uint8(_status(id)), uint8(GameStatus.ChallengerWon));
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
        uint256 before = alice.balance;
        vm.prank(alice);
        rollup.withdrawCredit(payable(alice));
        assertEq(alice.balance - before, CHALLENGE_BOND + STAKE / 2);
        assertEq(address(rollup).balance, STAKE / 2, "only the burned half stays");
    }

    // ----------------------------------------------------------------------------------------------------
    // The largest trace: T = 1,024
    // ----------------------------------------------------------------------------------------------------

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

    function test_DisputeGame_largestTraceFaultInMessageStep() public {
        _largestTrace(0);
    }

    /// @dev 1 deposit + 512 padding records (m + n = 513, T = 1,024, d = 10), the trace wrong from `fault`:
    ///      3 reveals of 16, 16 and 4 hashes, 3 picks and the step, each call's gas logged and bounded.
    function _largestTrace(uint256 fault) internal {
        _deposit(alice, 1 ether);
        bytes32[] memory accounts = new bytes32[](1);
        accounts[0] = keccak256(abi.encodePacked(bytes1(0x01), alice, uint32(0), uint128(1 ether), uint32(0)));
        bytes32 r1 = _remember(MerkleBuilder.stateRoot(accounts), MerkleBuilder.z(32), 1, 1, 0);
        bytes32 bad = _rootOf(_badPost(1));

        bytes memory records = _padding(512);
        bytes32[] memory honest = TraceTree.build(TraceTree.filled(r1, 1024));
        bytes32[] memory claimed = TraceTree.build(_faultFrom(r1, bad, 1024, fault));
        uint64 index = _commitTrace(records, _badPost(1), claimed);

        uint256 id = _open(alice, index);
        _bounded(_gas("open                  "), false);
        assertEq(_game(id).traceDepth, 10);

        uint256[3] memory sizes = [uint256(16), 16, 4];
        uint256 defenderMoves;
        uint256 challengerMoves;
        for (uint256 r; r < 3; ++r) {
            bytes32[] memory children = _revealed(id, claimed);
            assertEq(children.length, sizes[r], "reveal size");
            vm.prank(sequencer);
            dispute.reveal(id, children);
            _bounded(_gas("reveal                "), true);
            console2.log("  (children revealed)", children.length);
            ++defenderMoves;

            _pick(id, claimed, _leftmostDiffering(id, honest, claimed), alice);
            _bounded(_gas("pick                  "), true);
            ++challengerMoves;
        }
        assertEq(_leafStep(id), fault, "the walk ends at the first wrong step");
        _step(id, records, alice);
        // The winning step also settles: it rewinds the tip, slashes the stake and writes two new credits
        // and `burned` (zero to non-zero), so it is bounded by 2^24 only; see the report for its figures.
        _bounded(_gas("step (challenger wins)"), false);
        ++challengerMoves;

        assertEq(uint8(_status(id)), uint8(GameStatus.ChallengerWon));
        assertEq(rollup.tip(), 0);
        // ceil(log16 1024) + 1 = 4 moves per side at most.
        assertLe(defenderMoves, 4);
        assertLe(challengerMoves, 4);
        assertEq(defenderMoves, 3);
        assertEq(challengerMoves, 4);
    }

    /// @dev Every call fits in 2^24 gas (EIP-7825's per-transaction cap); a reveal or a pick in 100,000.
    function _bounded(uint256 used, bool isMove) internal pure {
        assertLt(used, 1 << 24, "call over 2^24 gas");
        if (isMove) assertLt(used, 100_000, "move over 100,000 gas");
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
        vm.expectEmit(address(dispute));
        emit IDisputeGame.GameResolved(id, GameStatus.DefenderWon);
        _step(id, records, bob);
        _bounded(_gas("step (defender wins)  "), false);

        assertEq(uint8(_status(id)), uint8(GameStatus.DefenderWon));
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
        _step(id, records, alice);

        assertEq(uint8(_status(id)), uint8(GameStatus.ChallengerWon));
        assertEq(rollup.tip(), 0);
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

        _step(id, records, alice);
        assertEq(uint8(_status(id)), uint8(GameStatus.ChallengerWon));
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
        _step(id, records, bob);
        assertEq(uint8(_status(id)), uint8(GameStatus.DefenderWon));
        assertEq(rollup.creditOf(sequencer), CHALLENGE_BOND);
    }

    // ----------------------------------------------------------------------------------------------------
    // Who moves
    // ----------------------------------------------------------------------------------------------------

    /// @dev Anyone may reveal (only the committed hashes fold), anyone may step; only the challenger picks.
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

        _step(id, records, stranger);
        assertEq(uint8(_status(id)), uint8(GameStatus.ChallengerWon));
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
        dispute.timeout(id);
        assertEq(uint8(_status(id)), uint8(GameStatus.DefenderWon));
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

        if (mode == 0) {
            _playFrivolous(id, claimed, records, seed);
            assertEq(uint8(_status(id)), uint8(GameStatus.DefenderWon));
            assertEq(rollup.tip(), index);
        } else {
            _play(id, TraceTree.build(TraceTree.filled(r0, t)), claimed, records);
            assertEq(uint8(_status(id)), uint8(GameStatus.ChallengerWon));
            assertEq(rollup.tip(), 0);
            assertEq(_leafStep(id), mode == 1 ? fault : t - 1, "the first wrong step, or the last");
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
