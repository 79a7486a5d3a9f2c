// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDisputeGame} from "../../contracts/interfaces/IDisputeGame.sol";
import {IOneStepVerifier} from "../../contracts/interfaces/IOneStepVerifier.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Game, GameStatus, Position, Turn} from "../../contracts/dispute/DisputeTypes.sol";
import {DisputeHarness} from "./utils/DisputeHarness.sol";
import {TraceTree} from "./utils/TraceTree.sol";

/// @notice Every illegal move of a dispute game reverts with its own error (PROTOCOL §14), tried by an
///         attacker on either side: moves out of turn, reveals that do not fold, picks that do not open,
///         steps with bad witnesses, resolves of games not yet decided or already settled, opens the Rollup
///         must refuse, and the Rollup's hooks called directly.
contract DisputeGameRulesTest is DisputeHarness {
    using TraceTree for bytes32[];

    bytes internal records;
    bytes32[] internal claimed;
    bytes32[] internal honest;
    uint64 internal index;
    uint256 internal id;

    /// @dev Alice's game against a batch of `n` padding records whose trace (T = 32) is wrong from `fault`.
    function _begin(uint256 n, uint256 fault) internal {
        records = _padding(n);
        honest = TraceTree.build(TraceTree.filled(r0, 32));
        claimed = TraceTree.build(_faultFrom(r0, rBad, 32, fault));
        index = _commitTrace(records, _badPost(0), claimed);
        id = _open(alice, index);
    }

    function _beginStandard() internal {
        _begin(32, 7);
    }

    /// @dev Plays the standard game to its leaf (step 7).
    function _toLeaf() internal {
        _reveal(id, claimed, sequencer);
        _pick(id, claimed, 3, alice);
        _reveal(id, claimed, sequencer);
        _pick(id, claimed, 1, alice);
        assertEq(_leafStep(id), 7);
    }

    function _expectInProgress() internal view {
        assertEq(uint8(_status(id)), uint8(GameStatus.InProgress));
    }

    // ----------------------------------------------------------------------------------------------------
    // Turns and roles
    // ----------------------------------------------------------------------------------------------------

    function test_RevertWhen_PickOnDefendersTurn() public {
        _beginStandard();
        (bytes32 h, bytes32[] memory p, bytes32 pre, bytes32[] memory pp) = _pickArgs(id, claimed, 3);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.NotYourTurn.selector, id, Turn.Defender));
        dispute.pick(id, 3, h, p, pre, pp);
    }

    function test_RevertWhen_RevealOnChallengersTurn() public {
        _beginStandard();
        _reveal(id, claimed, sequencer);
        bytes32[] memory again = claimed.children(1, 4);
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.NotYourTurn.selector, id, Turn.Challenger));
        dispute.reveal(id, again);
    }

    function test_RevertWhen_RevealOnSingleStepTrace() public {
        bytes32[] memory one = TraceTree.build(TraceTree.filled(rBad, 1));
        uint256 g = _open(alice, _commitTrace(_padding(1), _badPost(0), one));
        bytes32[] memory children = new bytes32[](1);
        children[0] = rBad;
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.NotYourTurn.selector, g, Turn.Challenger));
        dispute.reveal(g, children);
    }

    function test_RevertWhen_StrangerOrDefenderPicks() public {
        _beginStandard();
        _reveal(id, claimed, sequencer);
        (bytes32 h, bytes32[] memory p, bytes32 pre, bytes32[] memory pp) = _pickArgs(id, claimed, 3);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.NotChallenger.selector, stranger, alice));
        dispute.pick(id, 3, h, p, pre, pp);
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.NotChallenger.selector, sequencer, alice));
        dispute.pick(id, 3, h, p, pre, pp);
    }

    // ----------------------------------------------------------------------------------------------------
    // Reveals
    // ----------------------------------------------------------------------------------------------------

    function test_RevertWhen_RevealHasWrongChildCount() public {
        _beginStandard();
        uint256[4] memory counts = [uint256(0), 1, 8, 32];
        for (uint256 i; i < counts.length; ++i) {
            bytes32[] memory children = new bytes32[](counts[i]);
            vm.prank(sequencer);
            vm.expectRevert(abi.encodeWithSelector(IDisputeGame.WrongChildCount.selector, counts[i], 16));
            dispute.reveal(id, children);
        }
        // The 32 leaves fold to the root too, but a reveal descends four levels, not five.
        bytes32[] memory leaves = claimed.children(1, 5);
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.WrongChildCount.selector, 32, 16));
        dispute.reveal(id, leaves);

        // At the bottom of a T = 32 trace a reveal carries 2 hashes.
        _reveal(id, claimed, sequencer);
        _pick(id, claimed, 3, alice);
        bytes32[] memory sixteen = claimed.children(1, 4);
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.WrongChildCount.selector, 16, 2));
        dispute.reveal(id, sixteen);
    }

    function test_RevertWhen_RevealedChildrenDoNotFold() public {
        _beginStandard();
        bytes32 node = claimed.root();
        // What a wrong batch's defender would like to reveal: the honest hashes.
        bytes32[] memory lie = honest.children(1, 4);
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.ChildrenDoNotFold.selector, honest.root(), node));
        dispute.reveal(id, lie);

        // One hash changed, and two swapped.
        bytes32[] memory children = claimed.children(1, 4);
        children[5] = keccak256("forged");
        vm.expectRevert(
            abi.encodeWithSelector(IDisputeGame.ChildrenDoNotFold.selector, TraceTree.build(children).root(), node)
        );
        dispute.reveal(id, children);
        children = claimed.children(1, 4);
        (children[3], children[4]) = (children[4], children[3]);
        vm.expectRevert(
            abi.encodeWithSelector(IDisputeGame.ChildrenDoNotFold.selector, TraceTree.build(children).root(), node)
        );
        dispute.reveal(id, children);
        _expectInProgress();
    }

    // ----------------------------------------------------------------------------------------------------
    // Picks
    // ----------------------------------------------------------------------------------------------------

    function test_RevertWhen_PickedChildOutOfRange() public {
        _beginStandard();
        _reveal(id, claimed, sequencer);
        (bytes32 h, bytes32[] memory p, bytes32 pre, bytes32[] memory pp) = _pickArgs(id, claimed, 15);
        uint64[3] memory bad = [uint64(16), 31, type(uint64).max];
        for (uint256 i; i < bad.length; ++i) {
            vm.prank(alice);
            vm.expectRevert(abi.encodeWithSelector(IDisputeGame.ChildOutOfRange.selector, bad[i], 16));
            dispute.pick(id, bad[i], h, p, pre, pp);
        }
        // At the bottom two children only.
        _pick(id, claimed, 3, alice);
        _reveal(id, claimed, sequencer);
        (h, p, pre, pp) = _pickArgs(id, claimed, 1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.ChildOutOfRange.selector, 2, 2));
        dispute.pick(id, 2, h, p, pre, pp);
    }

    function test_RevertWhen_PickedChildOpeningIsBad() public {
        _beginStandard();
        _reveal(id, claimed, sequencer);
        (bytes32 h, bytes32[] memory p, bytes32 pre, bytes32[] memory pp) = _pickArgs(id, claimed, 3);

        // Another hash than the one revealed: the honest one.
        vm.startPrank(alice);
        vm.expectRevert(IDisputeGame.BadChildOpening.selector);
        dispute.pick(id, 3, honest[16 + 3], p, pre, pp);
        // A sibling short, a sibling too many.
        bytes32[] memory shortProof = new bytes32[](3);
        bytes32[] memory longProof = new bytes32[](5);
        for (uint256 k; k < 3; ++k) {
            shortProof[k] = p[k];
        }
        for (uint256 k; k < 4; ++k) {
            longProof[k] = p[k];
        }
        vm.expectRevert(IDisputeGame.BadChildOpening.selector);
        dispute.pick(id, 3, h, shortProof, pre, pp);
        vm.expectRevert(IDisputeGame.BadChildOpening.selector);
        dispute.pick(id, 3, h, longProof, pre, pp);
        // Child 4's hash and opening presented as child 3.
        (bytes32 h4, bytes32[] memory p4,,) = _pickArgs(id, claimed, 4);
        vm.expectRevert(IDisputeGame.BadChildOpening.selector);
        dispute.pick(id, 3, h4, p4, pre, pp);
        vm.stopPrank();
        _expectInProgress();
    }

    /// @dev The challenger cannot choose the pre-root it steps from: it must open as the last leaf of the
    ///      child before the picked one, with exactly `d − depth` siblings; child 0 keeps the agreed one.
    function test_RevertWhen_PreRootOpeningIsBad() public {
        _begin(32, 8); // leaves 0..7 honest: child 4 (steps 8, 9) differs first
        _reveal(id, claimed, sequencer);
        (bytes32 h, bytes32[] memory p, bytes32 pre, bytes32[] memory pp) = _pickArgs(id, claimed, 4);
        assertEq(pre, r0);
        vm.startPrank(alice);

        // A wrong leaf with the right opening: a pre-root of the challenger's choosing.
        vm.expectRevert(IDisputeGame.BadPreRootOpening.selector);
        dispute.pick(id, 4, h, p, rBad, pp);
        // The right leaf opened at another position (step 8, the picked child's first step).
        bytes32[] memory at8 = claimed.open(32 + 8, 1);
        vm.expectRevert(IDisputeGame.BadPreRootOpening.selector);
        dispute.pick(id, 4, h, p, claimed[32 + 8], at8);
        // The opening of the child before (4 siblings) instead of the leaf (5 siblings).
        (bytes32 h3, bytes32[] memory p3,,) = _pickArgs(id, claimed, 3);
        vm.expectRevert(IDisputeGame.BadPreRootOpening.selector);
        dispute.pick(id, 4, h, p, h3, p3);
        // Wrong lengths.
        bytes32[] memory shortProof = new bytes32[](4);
        bytes32[] memory longProof = new bytes32[](6);
        for (uint256 k; k < 4; ++k) {
            shortProof[k] = pp[k];
            longProof[k] = pp[k];
        }
        longProof[4] = pp[4];
        vm.expectRevert(IDisputeGame.BadPreRootOpening.selector);
        dispute.pick(id, 4, h, p, pre, shortProof);
        vm.expectRevert(IDisputeGame.BadPreRootOpening.selector);
        dispute.pick(id, 4, h, p, pre, longProof);
        vm.expectRevert(IDisputeGame.BadPreRootOpening.selector);
        dispute.pick(id, 4, h, p, pre, new bytes32[](0));

        // Child 0: no pre-root and no opening, not even a correct-looking one.
        (bytes32 h0, bytes32[] memory p0,,) = _pickArgs(id, claimed, 0);
        vm.expectRevert(IDisputeGame.BadPreRootOpening.selector);
        dispute.pick(id, 0, h0, p0, rBad, new bytes32[](0));
        vm.expectRevert(IDisputeGame.BadPreRootOpening.selector);
        dispute.pick(id, 0, h0, p0, bytes32(0), pp);
        vm.expectRevert(IDisputeGame.BadPreRootOpening.selector);
        dispute.pick(id, 0, h0, p0, r0, pp);
        vm.stopPrank();
        _expectInProgress();

        // The right pick goes through.
        _pick(id, claimed, 4, alice);
        assertEq(_game(id).preRoot, r0);
    }

    function test_RevertWhen_PickAtLeaf() public {
        _beginStandard();
        _toLeaf();
        bytes32[] memory none = new bytes32[](0);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.AtLeaf.selector, id));
        dispute.pick(id, 0, claimed[32 + 7], none, bytes32(0), none);
    }

    function test_RevertWhen_PickOnSingleStepTrace() public {
        bytes32[] memory one = TraceTree.build(TraceTree.filled(rBad, 1));
        uint256 g = _open(alice, _commitTrace(_padding(1), _badPost(0), one));
        bytes32[] memory none = new bytes32[](0);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.AtLeaf.selector, g));
        dispute.pick(g, 0, rBad, none, bytes32(0), none);
    }

    // ----------------------------------------------------------------------------------------------------
    // Steps
    // ----------------------------------------------------------------------------------------------------

    function test_RevertWhen_StepBeforeLeaf() public {
        _beginStandard();
        bytes memory pre = _preOf[r0];
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.NotAtLeaf.selector, id));
        dispute.step(id, pre);
        _reveal(id, claimed, sequencer);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.NotAtLeaf.selector, id));
        dispute.step(id, pre);
        _pick(id, claimed, 3, alice);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.NotAtLeaf.selector, id));
        dispute.step(id, pre);
    }

    /// @dev A bad witness (§8.2) reverts the step, naming why, and leaves the game where it was: the
    ///      challenger may still step with the right one.
    function test_RevertWhen_StepWitnessIsBad() public {
        _beginStandard();
        _toLeaf();
        bytes memory good = _witness(id, records);
        assertEq(good.length, 88 + 421);
        Game memory before = _game(id);
        bytes memory pre = _preOf[r0];

        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.WitnessTruncated.selector, 0, 88));
        dispute.step(id, "");
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.WitnessTruncated.selector, 87, 88));
        dispute.step(id, _slice(pre, 87));
        // The pre-state of another root: the challenger cannot pick what it steps from.
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.PreimageMismatch.selector, r0, rBad));
        dispute.step(id, bytes.concat(_preOf[rBad], _tail(good, 88)));
        // An identity witness for a record step.
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.WitnessTruncated.selector, 88, 88 + 421));
        dispute.step(id, pre);
        // Another record position (step 7 is record 7).
        bytes memory moved = bytes.concat(good);
        moved[91] = 0x08;
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.RecordPositionMismatch.selector, 7, 8));
        dispute.step(id, moved);
        // Other record bytes than the batch's: a transfer that would change the state.
        bytes memory forged = bytes.concat(good);
        forged[92] = 0x01;
        vm.expectPartialRevert(IOneStepVerifier.RecordProofMismatch.selector);
        dispute.step(id, forged);
        // A byte left over.
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.UnusedWitnessBytes.selector, 88 + 421, 1));
        dispute.step(id, bytes.concat(good, hex"00"));

        Game memory afterwards = _game(id);
        assertEq(uint8(afterwards.status), uint8(GameStatus.InProgress));
        assertEq(uint8(afterwards.turn), uint8(Turn.Challenger));
        assertEq(Position.unwrap(afterwards.position), Position.unwrap(before.position));
        assertEq(afterwards.preRoot, before.preRoot);

        dispute.step(id, good);
        assertEq(uint8(_status(id)), uint8(GameStatus.ChallengerWon));
    }

    function test_RevertWhen_IdentityStepWitnessIsBad() public {
        _begin(20, 25);
        _reveal(id, claimed, sequencer);
        _pick(id, claimed, 12, alice);
        _reveal(id, claimed, sequencer);
        _pick(id, claimed, 1, alice);
        assertEq(_leafStep(id), 25);
        bytes memory pre = _preOf[r0];
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.UnusedWitnessBytes.selector, 88, 4));
        dispute.step(id, bytes.concat(pre, hex"00000019"));
        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.PreimageMismatch.selector, r0, rBad));
        dispute.step(id, _preOf[rBad]);
        _expectInProgress();
        dispute.step(id, pre);
        assertEq(uint8(_status(id)), uint8(GameStatus.ChallengerWon));
    }

    // ----------------------------------------------------------------------------------------------------
    // Ended and unknown games
    // ----------------------------------------------------------------------------------------------------

    function test_RevertWhen_MoveAfterGameOver() public {
        _beginStandard();
        _toLeaf();
        bytes memory w = _witness(id, records);
        dispute.step(id, w);
        bytes memory over = abi.encodeWithSelector(IDisputeGame.GameOver.selector, id, GameStatus.ChallengerWon);

        bytes32[] memory two = claimed.children(16 + 3, 1);
        vm.expectRevert(over);
        dispute.reveal(id, two);
        bytes32[] memory none = new bytes32[](0);
        vm.prank(alice);
        vm.expectRevert(over);
        dispute.pick(id, 0, bytes32(0), none, bytes32(0), none);
        vm.expectRevert(over);
        dispute.step(id, w);
        vm.warp(block.timestamp + 2 * CLOCK);
        vm.expectRevert(over);
        dispute.timeout(id);
        vm.expectRevert(over);
        dispute.close(id);

        // Resolved, the game stays over: no move, no close.
        dispute.resolve(id);
        vm.expectRevert(over);
        dispute.step(id, w);
        vm.expectRevert(over);
        dispute.timeout(id);
        vm.expectRevert(over);
        dispute.close(id);
    }

    function test_RevertWhen_GameUnknown() public {
        _beginStandard();
        uint256 unknown = dispute.gameCount();
        assertEq(unknown, 1);
        bytes memory err = abi.encodeWithSelector(IDisputeGame.UnknownGame.selector, unknown);
        bytes32[] memory none = new bytes32[](0);
        vm.expectRevert(err);
        dispute.reveal(unknown, none);
        vm.expectRevert(err);
        dispute.pick(unknown, 0, bytes32(0), none, bytes32(0), none);
        vm.expectRevert(err);
        dispute.step(unknown, "");
        vm.expectRevert(err);
        dispute.timeout(unknown);
        vm.expectRevert(err);
        dispute.close(unknown);
        vm.expectRevert(err);
        dispute.resolve(unknown);
        vm.expectRevert(err);
        dispute.game(unknown);
    }

    // ----------------------------------------------------------------------------------------------------
    // Resolving
    // ----------------------------------------------------------------------------------------------------

    /// @dev Nothing to settle while the game is in progress: at the root, after a reveal, at the leaf, after
    ///      a rejected step and a premature timeout; on a T = 1 game too.
    function test_RevertWhen_ResolveBeforeDecided() public {
        _beginStandard();
        bytes memory notDecided = abi.encodeWithSelector(IDisputeGame.NotDecided.selector, id);
        vm.expectRevert(notDecided);
        dispute.resolve(id);
        _reveal(id, claimed, sequencer);
        vm.prank(alice);
        vm.expectRevert(notDecided);
        dispute.resolve(id);
        _pick(id, claimed, 3, alice);
        _reveal(id, claimed, sequencer);
        _pick(id, claimed, 1, alice);
        vm.prank(sequencer);
        vm.expectRevert(notDecided);
        dispute.resolve(id);

        vm.expectRevert(abi.encodeWithSelector(IOneStepVerifier.WitnessTruncated.selector, 0, 88));
        dispute.step(id, "");
        vm.expectPartialRevert(IDisputeGame.ClockNotExpired.selector);
        dispute.timeout(id);
        vm.prank(stranger);
        vm.expectRevert(notDecided);
        dispute.resolve(id);
        _expectInProgress();
        assertFalse(_game(id).resolved);
        assertEq(rollup.batch(index).openGames, 1);

        bytes32[] memory one = TraceTree.build(TraceTree.filled(rBad, 1));
        uint256 single = _open(bob, _commitTrace(_padding(1), _badPost(0), one));
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.NotDecided.selector, single));
        dispute.resolve(single);
    }

    /// @dev A game settles once, whoever calls: a challenger win, a defender win and a closed game.
    function test_RevertWhen_ResolveTwice() public {
        _beginStandard();
        uint256 lost = _open(bob, index);
        uint256 stalled = _open(carol, index);
        // Bob's game: he picks an agreed child and loses at step 1.
        _reveal(lost, claimed, sequencer);
        _pick(lost, claimed, 0, bob);
        _reveal(lost, claimed, sequencer);
        _pick(lost, claimed, 1, bob);
        _step(lost, records, bob);
        dispute.resolve(lost);
        assertEq(rollup.creditOf(sequencer), CHALLENGE_BOND);
        address[3] memory callers = [stranger, bob, sequencer];
        for (uint256 i; i < callers.length; ++i) {
            vm.prank(callers[i]);
            vm.expectRevert(abi.encodeWithSelector(IDisputeGame.AlreadyResolved.selector, lost));
            dispute.resolve(lost);
        }
        assertEq(rollup.creditOf(sequencer), CHALLENGE_BOND, "paid once");

        // Alice's game: she wins at step 7.
        _toLeaf();
        _step(id, records, alice);
        vm.prank(stranger);
        dispute.resolve(id);
        for (uint256 i; i < callers.length; ++i) {
            vm.prank(callers[i]);
            vm.expectRevert(abi.encodeWithSelector(IDisputeGame.AlreadyResolved.selector, id));
            dispute.resolve(id);
        }
        assertEq(rollup.epoch(), 1, "rewound once");
        assertEq(rollup.creditOf(alice), CHALLENGE_BOND + STAKE / 2, "paid once");

        // Carol's game is closed, which settles it: nothing left for resolve.
        dispute.close(stalled);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.AlreadyResolved.selector, stalled));
        dispute.resolve(stalled);
        assertEq(rollup.creditOf(carol), CHALLENGE_BOND, "refunded once");
        assertEq(address(rollup).balance, rollup.burned() + rollup.creditOf(alice) + 2 * CHALLENGE_BOND);
    }

    // ----------------------------------------------------------------------------------------------------
    // Opening a game
    // ----------------------------------------------------------------------------------------------------

    function test_RevertWhen_OpenOnBatchNotPending() public {
        bytes32[] memory tree = TraceTree.build(TraceTree.filled(r0, 1));
        // Genesis.
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IRollup.BatchNotPending.selector, 0));
        dispute.open{value: CHALLENGE_BOND}(0);
        // Past the tip.
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IRollup.BatchNotPending.selector, 1));
        dispute.open{value: CHALLENGE_BOND}(1);
        // A final batch.
        uint64 b = _commitTrace(_padding(1), _genesisPost(), tree);
        _finalize(b);
        _commitTrace(_padding(1), _genesisPost(), tree);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IRollup.BatchNotPending.selector, b));
        dispute.open{value: CHALLENGE_BOND}(b);
    }

    function test_RevertWhen_OpenAfterWindow() public {
        uint64 b = _commitTrace(_padding(1), _genesisPost(), TraceTree.build(TraceTree.filled(r0, 1)));
        uint256 closedAt = rollup.batch(b).commitTime + WINDOW;
        vm.warp(closedAt);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IRollup.ChallengeWindowClosed.selector, b, closedAt));
        dispute.open{value: CHALLENGE_BOND}(b);
        vm.warp(closedAt - 1); // the last second of the window is open
        _open(alice, b);
    }

    function test_RevertWhen_OpenWithWrongBond() public {
        uint64 b = _commitTrace(_padding(1), _genesisPost(), TraceTree.build(TraceTree.filled(r0, 1)));
        uint256[3] memory values = [uint256(0), CHALLENGE_BOND - 1, CHALLENGE_BOND + 1];
        for (uint256 i; i < values.length; ++i) {
            vm.prank(alice);
            vm.expectRevert(abi.encodeWithSelector(IRollup.WrongChallengeBond.selector, values[i], CHALLENGE_BOND));
            dispute.open{value: values[i]}(b);
        }
    }

    function test_RevertWhen_SameChallengerTwice() public {
        _beginStandard();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.AlreadyChallenged.selector, index, alice, id));
        dispute.open{value: CHALLENGE_BOND}(index);
        // Another challenger may; the first still may not once its game is lost.
        _open(bob, index);
        _reveal(id, claimed, sequencer);
        vm.warp(block.timestamp + CLOCK);
        dispute.timeout(id);
        assertEq(uint8(_status(id)), uint8(GameStatus.DefenderWon));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.AlreadyChallenged.selector, index, alice, id));
        dispute.open{value: CHALLENGE_BOND}(index);
        // Nor once it is resolved.
        dispute.resolve(id);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.AlreadyChallenged.selector, index, alice, id));
        dispute.open{value: CHALLENGE_BOND}(index);
    }

    function test_RevertWhen_DisputeHooksCalledDirectly() public {
        _beginStandard();
        address[3] memory callers = [alice, sequencer, stranger];
        for (uint256 i; i < callers.length; ++i) {
            vm.prank(callers[i]);
            vm.expectRevert(abi.encodeWithSelector(IRollup.NotDispute.selector, callers[i]));
            rollup.lockChallenge{value: CHALLENGE_BOND}(index, callers[i]);
            vm.prank(callers[i]);
            vm.expectRevert(abi.encodeWithSelector(IRollup.NotDispute.selector, callers[i]));
            rollup.settleChallenge(index, 0, callers[i], true);
        }
    }

    function test_RevertWhen_CloseOnLiveBatch() public {
        _beginStandard();
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.BatchStillLive.selector, index));
        dispute.close(id);
    }

    // ----------------------------------------------------------------------------------------------------
    // Bytes
    // ----------------------------------------------------------------------------------------------------

    function _slice(bytes memory b, uint256 len) internal pure returns (bytes memory out) {
        out = new bytes(len);
        for (uint256 i; i < len; ++i) {
            out[i] = b[i];
        }
    }

    function _tail(bytes memory b, uint256 from) internal pure returns (bytes memory out) {
        out = new bytes(b.length - from);
        for (uint256 i; i < out.length; ++i) {
            out[i] = b[from + i];
        }
    }
}
