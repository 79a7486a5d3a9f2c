// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Rollup} from "../../contracts/L1/Rollup.sol";
import {LibHash} from "../../contracts/libraries/LibHash.sol";
import {LibEIP712} from "../../contracts/libraries/LibEIP712.sol";
import {Batch, StatePreimage, NEW_ACCOUNT, MAX_MSGS, MAX_RECORDS} from "../../contracts/libraries/Types.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {MerkleBuilder} from "../utils/MerkleBuilder.sol";
import {RejectingRecipient} from "../mocks/Recipients.sol";

/// @dev What a delegating sequencer's code would do: commit from inside its own call.
contract BatchForwarder {
    function forward(address rollup, bytes calldata data) external {
        (bool ok,) = rollup.call(data);
        require(ok);
    }
}

/// @notice The Rollup's commit checks (PROTOCOL §9, in order), finality (§10) and bonds.
contract RollupTest is BaseTest {
    bytes internal constant HEADER = hex"00000000000000070000000100000009"; // token 0 → 7, token 1 → 9

    function _genesis() internal pure returns (bytes32) {
        bytes32 empty = MerkleBuilder.z(32);
        return keccak256(abi.encodePacked(bytes1(0x04), empty, empty, uint64(0), uint64(0), uint64(0)));
    }

    function _deposit(uint256 count) internal {
        for (uint256 i; i < count; ++i) {
            vm.prank(alice);
            bridge.depositETH{value: 1}(NEW_ACCOUNT);
        }
    }

    /// @dev commitBatch as the sequencer with full control of every argument.
    function _commitRaw(uint64 parent, bytes memory header, bytes memory records, StatePreimage memory post)
        internal
        returns (uint64)
    {
        vm.prank(sequencer, sequencer);
        return rollup.commitBatch(parent, header, records, post, TRACE_ROOT);
    }

    // ----------------------------------------------------------------------------------------------------
    // Genesis and views
    // ----------------------------------------------------------------------------------------------------

    function test_Rollup_genesisIsFinalBatchZero() public view {
        assertEq(rollup.tip(), 0);
        assertEq(rollup.lastFinalized(), 0);
        assertTrue(rollup.isFinal(0));
        assertFalse(rollup.isFinal(1));
        assertEq(rollup.stateRoot(0), _genesis());
        Batch memory g = rollup.batch(0);
        assertEq(g.stateRoot, _genesis());
        assertEq(g.committer, address(0));
        assertEq(g.msgsAfter, 0);
        assertEq(rollup.sequencer(), sequencer);
        assertEq(rollup.WINDOW(), WINDOW);
        assertEq(rollup.STAKE(), STAKE);
        assertEq(rollup.CHALLENGE_BOND(), CHALLENGE_BOND);
        assertEq(rollup.DISPUTE(), address(dispute));
        assertEq(rollup.epoch(), 0);
    }

    function test_Rollup_constructorEmitsGenesisFinalized() public {
        vm.expectEmit();
        emit IRollup.BatchFinalized(0, _genesis());
        new Rollup(_config(address(0xB41D6E), address(dispute), sequencer));
    }

    function test_RevertWhen_ConstructorParameterZero() public {
        address b = address(0xB41D6E);
        address g = address(dispute);
        IRollup.Config memory c;
        c = _config(address(0), g, sequencer);
        _expectZero(c, "bridge");
        c = _config(b, address(0), sequencer);
        _expectZero(c, "dispute");
        c = _config(b, g, address(0));
        _expectZero(c, "sequencer");
        c = _config(b, g, sequencer);
        c.guardian = address(0);
        _expectZero(c, "guardian");
        c = _config(b, g, sequencer);
        c.window = 0;
        _expectZero(c, "window");
        c = _config(b, g, sequencer);
        c.stake = 0;
        _expectZero(c, "stake");
        c = _config(b, g, sequencer);
        c.challengeBond = 0;
        _expectZero(c, "challengeBond");
        c = _config(b, g, sequencer);
        c.deadline = 0;
        _expectZero(c, "deadline");
        c = _config(b, g, sequencer);
        c.pause = 0;
        _expectZero(c, "pause");
    }

    function _expectZero(IRollup.Config memory c, string memory what) private {
        vm.expectRevert(abi.encodeWithSelector(IRollup.ZeroParameter.selector, what));
        new Rollup(c);
    }

    /// @dev D >= 2P: after the longest pause an honest sequencer still has half its deadline (§17).
    function test_RevertWhen_ConstructorDeadlineBelowTwoPauses() public {
        IRollup.Config memory c = _config(address(0xB41D6E), address(dispute), sequencer);
        c.deadline = 2 * c.pause - 1;
        vm.expectRevert(abi.encodeWithSelector(IRollup.DeadlineTooShort.selector, c.deadline, c.pause));
        new Rollup(c);
        c.deadline = 2 * c.pause;
        c.cooldown = c.deadline - c.pause;
        new Rollup(c); // the bounds themselves are allowed
    }

    /// @dev cooldown >= D - P: pauses inside one deadline add up to at most PAUSE (§17).
    function test_RevertWhen_ConstructorCooldownTooShort() public {
        IRollup.Config memory c = _config(address(0xB41D6E), address(dispute), sequencer);
        c.cooldown = c.deadline - c.pause - 1;
        vm.expectRevert(abi.encodeWithSelector(IRollup.CooldownTooShort.selector, c.cooldown, c.deadline - c.pause));
        new Rollup(c);
    }

    /// @dev The Bridge is deployed after the Rollup, naming it: an address that already holds code (here the
    ///      suite's own Bridge) is a wiring mistake.
    function test_RevertWhen_ConstructorBridgeAlreadyDeployed() public {
        vm.expectRevert(abi.encodeWithSelector(IRollup.BridgeAlreadyDeployed.selector, address(bridge)));
        new Rollup(_config(address(bridge), address(dispute), sequencer));
    }

    function test_Rollup_domainSeparatorIsChainAndRollup() public view {
        assertEq(rollup.domainSeparator(), LibEIP712.domainSeparator(block.chainid, address(rollup)));
    }

    function test_RevertWhen_BatchViewPastTip() public {
        vm.expectRevert(abi.encodeWithSelector(IRollup.UnknownBatch.selector, 1));
        rollup.batch(1);
        vm.expectRevert(abi.encodeWithSelector(IRollup.UnknownBatch.selector, 1));
        rollup.stateRoot(1);
    }

    // ----------------------------------------------------------------------------------------------------
    // Commit
    // ----------------------------------------------------------------------------------------------------

    function test_Rollup_commitStoresBatchRecord() public {
        _deposit(3);
        bytes memory records = _records(5, 1);
        StatePreimage memory post = _post(keccak256("w"), 3, 0);
        (bytes32 recordsRoot,) = MerkleBuilder.dataProof(records, 0);
        bytes32 dataRoot = keccak256(bytes.concat(hex"09", keccak256(bytes.concat(hex"08", HEADER)), recordsRoot));
        bytes32 root = LibHash.stateRoot(post);

        vm.warp(block.timestamp + 100);
        vm.expectEmit(address(rollup));
        emit IRollup.BatchCommitted(1, sequencer, dataRoot, root, TRACE_ROOT, 5, 0, 3);
        assertEq(_commitRaw(0, HEADER, records, post), 1);

        Batch memory b = rollup.batch(1);
        assertEq(b.committer, sequencer);
        assertEq(b.commitTime, block.timestamp);
        assertEq(b.recordCount, 5);
        assertEq(b.parent, 0);
        assertEq(b.msgsBefore, 0);
        assertEq(b.msgsAfter, 3);
        assertEq(b.dataRoot, dataRoot);
        assertEq(b.stateRoot, root);
        assertEq(b.traceRoot, TRACE_ROOT);
        assertEq(rollup.tip(), 1);
        assertEq(b.epoch, 0);
        assertEq(b.openGames, 0);
        assertEq(address(rollup).balance, STAKE);
        assertFalse(rollup.isFinal(1));
    }

    function test_Rollup_msgsBeforeIsParentsMsgsAfter() public {
        _deposit(5);
        _commit("", "", _post(_emptyRoot(), 2, 0));
        _commit("", "", _post(_emptyRoot(), 5, 0));
        Batch memory b = rollup.batch(2);
        assertEq(b.parent, 1);
        assertEq(b.msgsBefore, 2);
        assertEq(b.msgsAfter, 5);
        assertEq(b.recordCount, 0);
    }

    function test_Rollup_commitRecordsOnlyWithoutMessages() public {
        assertEq(_commitRaw(0, "", _records(1, 0), _post(_emptyRoot(), 0, 0)), 1);
    }

    function test_Rollup_commitMaxMessagesAndRecords() public {
        _deposit(MAX_MSGS);
        // forge-lint: disable-next-line(unsafe-typecast)
        _commitRaw(0, "", _records(MAX_RECORDS, 0), _post(_emptyRoot(), uint64(MAX_MSGS), 0));
        assertEq(rollup.batch(1).recordCount, MAX_RECORDS);
    }

    function test_RevertWhen_CommitNotSequencer() public {
        vm.prank(bob);
        rollup.stake{value: STAKE}(); // a stake does not make a sequencer
        vm.prank(bob, bob);
        vm.expectRevert(IRollup.NotSequencer.selector);
        rollup.commitBatch(0, "", _records(1, 0), _post(_emptyRoot(), 0, 0), TRACE_ROOT);
    }

    function test_RevertWhen_CommitThroughAContract() public {
        vm.prank(sequencer, bob); // msg.sender is the sequencer, but tx.origin is not
        vm.expectRevert(IRollup.NotDirectCall.selector);
        rollup.commitBatch(0, "", _records(1, 0), _post(_emptyRoot(), 0, 0), TRACE_ROOT);
    }

    function test_RevertWhen_CommitUnderstaked() public {
        StatePreimage memory post = _post(_emptyRoot(), 0, 0);
        bytes memory records = _records(1, 0);
        vm.prank(sequencer);
        rollup.unstake();
        vm.expectRevert(abi.encodeWithSelector(IRollup.InsufficientStake.selector, 0, STAKE));
        _commitRaw(0, "", records, post);
        vm.prank(sequencer);
        rollup.stake{value: STAKE - 1}();
        vm.expectRevert(abi.encodeWithSelector(IRollup.InsufficientStake.selector, STAKE - 1, STAKE));
        _commitRaw(0, "", records, post);
        vm.prank(sequencer);
        rollup.stake{value: 1}();
        assertEq(_commitRaw(0, "", records, post), 1);
    }

    /// @dev EIP-7702: a sequencer EOA that delegates to code still has msg.sender == tx.origin, and its code
    ///      could commit several batches inside one transaction whose input is not a commitBatch call,
    ///      halting every deriver. A caller with code is refused.
    function test_RevertWhen_CommitFromDelegatedEOA() public {
        (address eoa, uint256 key) = makeAddrAndKey("delegating sequencer");
        Rollup r = _rollupFor(eoa);
        vm.deal(eoa, STAKE);
        vm.prank(eoa);
        r.stake{value: STAKE}();
        vm.signAndAttachDelegation(address(new BatchForwarder()), key);
        assertGt(eoa.code.length, 0, "delegation designator installed");
        vm.prank(eoa, eoa);
        vm.expectRevert(abi.encodeWithSelector(IRollup.CallerHasCode.selector, eoa));
        r.commitBatch(0, "", _records(1, 0), _post(_emptyRoot(), 0, 0), TRACE_ROOT);
    }

    function test_RevertWhen_CommitParentNotTip() public {
        _commitRecords(1);
        StatePreimage memory post = _post(_emptyRoot(), 0, 0);
        bytes memory records = _records(1, 0);
        vm.expectRevert(abi.encodeWithSelector(IRollup.WrongParent.selector, 0, 1));
        _commitRaw(0, "", records, post);
        vm.expectRevert(abi.encodeWithSelector(IRollup.WrongParent.selector, 2, 1));
        _commitRaw(2, "", records, post);
    }

    function test_RevertWhen_CommitBadHeader() public {
        StatePreimage memory post = _post(_emptyRoot(), 0, 0);
        bytes memory records = _records(1, 0);
        vm.expectRevert(IRollup.BadHeader.selector);
        _commitRaw(0, hex"00000001000000", records, post);
        vm.expectRevert(IRollup.BadHeader.selector);
        _commitRaw(0, hex"00000001000000070000000100000009", records, post); // token 1 twice
    }

    function test_RevertWhen_CommitPartialRecord() public {
        vm.expectRevert(abi.encodeWithSelector(IRollup.BadRecordLength.selector, 200));
        _commitRaw(0, "", new bytes(200), _post(_emptyRoot(), 0, 0));
    }

    function test_RevertWhen_CommitTooManyRecords() public {
        vm.expectRevert(abi.encodeWithSelector(IRollup.TooManyRecords.selector, 513, 512));
        _commitRaw(0, "", new bytes(513 * 128), _post(_emptyRoot(), 0, 0));
    }

    function test_RevertWhen_CommitRewindsMessages() public {
        _deposit(3);
        _commit("", "", _post(_emptyRoot(), 3, 0));
        vm.expectRevert(abi.encodeWithSelector(IRollup.MessagesRewound.selector, 2, 3));
        _commitRaw(1, "", _records(1, 0), _post(_emptyRoot(), 2, 0));
    }

    function test_RevertWhen_CommitTooManyMessages() public {
        // Checked before the queue: 513 messages are rejected whether or not they were queued.
        vm.expectRevert(abi.encodeWithSelector(IRollup.TooManyMessages.selector, 513, 512));
        _commitRaw(0, "", "", _post(_emptyRoot(), 513, 0));
    }

    function test_RevertWhen_CommitConsumesUnqueuedMessages() public {
        _deposit(2);
        vm.expectRevert(abi.encodeWithSelector(IRollup.MessagesNotQueued.selector, 3, 2));
        _commitRaw(0, "", "", _post(_emptyRoot(), 3, 0));
    }

    function test_RevertWhen_CommitEmptyBatch() public {
        _deposit(2);
        vm.expectRevert(IRollup.EmptyBatch.selector);
        _commitRaw(0, "", "", _post(_emptyRoot(), 0, 0));
    }

    /// @dev §9 fixes the order: with every check failing, the first one (sequencer) is reported, and so on.
    function test_Rollup_commitChecksRunInSpecOrder() public {
        StatePreimage memory post = _post(_emptyRoot(), 600, 0); // rewound? no; too many and unqueued
        vm.prank(bob, alice);
        vm.expectRevert(IRollup.NotSequencer.selector);
        rollup.commitBatch(5, hex"01", new bytes(1), post, TRACE_ROOT);
        vm.prank(sequencer, alice);
        vm.expectRevert(IRollup.NotDirectCall.selector);
        rollup.commitBatch(5, hex"01", new bytes(1), post, TRACE_ROOT);
        vm.prank(sequencer);
        rollup.unstake();
        vm.expectRevert(abi.encodeWithSelector(IRollup.InsufficientStake.selector, 0, STAKE));
        _commitRaw(5, hex"01", new bytes(1), post);
        vm.prank(sequencer);
        rollup.stake{value: STAKE}();
        vm.expectRevert(abi.encodeWithSelector(IRollup.WrongParent.selector, 5, 0));
        _commitRaw(5, hex"01", new bytes(1), post);
        vm.expectRevert(IRollup.BadHeader.selector);
        _commitRaw(0, hex"01", new bytes(1), post);
        vm.expectRevert(abi.encodeWithSelector(IRollup.BadRecordLength.selector, 1));
        _commitRaw(0, "", new bytes(1), post);
        vm.expectRevert(abi.encodeWithSelector(IRollup.TooManyRecords.selector, 513, 512));
        _commitRaw(0, "", new bytes(513 * 128), post);
        vm.expectRevert(abi.encodeWithSelector(IRollup.TooManyMessages.selector, 600, 512));
        _commitRaw(0, "", "", post);
        vm.expectRevert(abi.encodeWithSelector(IRollup.MessagesNotQueued.selector, 1, 0));
        _commitRaw(0, "", "", _post(_emptyRoot(), 1, 0));
    }

    // ----------------------------------------------------------------------------------------------------
    // Finality and bonds
    // ----------------------------------------------------------------------------------------------------

    function test_Rollup_finalizeAfterWindow() public {
        uint64 index = _commitRecords(1);
        uint64 committed = uint64(block.timestamp);
        vm.warp(committed + WINDOW);
        vm.expectEmit(address(rollup));
        emit IRollup.BatchFinalized(1, rollup.stateRoot(1));
        vm.prank(bob); // anyone may finalize
        rollup.finalizeBatch(index);
        assertEq(rollup.lastFinalized(), 1);
        assertTrue(rollup.isFinal(1));
        assertEq(rollup.creditOf(sequencer), 0, "a stake is not a per-batch bond: nothing is credited");
        assertEq(rollup.stakeOf(sequencer), STAKE);
    }

    function test_RevertWhen_FinalizeUnknownBatch() public {
        vm.expectRevert(abi.encodeWithSelector(IRollup.UnknownBatch.selector, 1));
        rollup.finalizeBatch(1);
    }

    function test_RevertWhen_FinalizeAlreadyFinal() public {
        vm.expectRevert(abi.encodeWithSelector(IRollup.AlreadyFinal.selector, 0));
        rollup.finalizeBatch(0);
        _finalize(_commitRecords(1));
        vm.expectRevert(abi.encodeWithSelector(IRollup.AlreadyFinal.selector, 1));
        rollup.finalizeBatch(1);
    }

    function test_RevertWhen_FinalizeBeforeParent() public {
        _commitRecords(1);
        _commitRecords(2);
        vm.warp(block.timestamp + WINDOW);
        vm.expectRevert(abi.encodeWithSelector(IRollup.ParentNotFinal.selector, 2, 0));
        rollup.finalizeBatch(2);
        rollup.finalizeBatch(1);
        rollup.finalizeBatch(2);
        assertEq(rollup.lastFinalized(), 2);
    }

    function test_RevertWhen_FinalizeInsideWindow() public {
        _commitRecords(1);
        uint256 finalAt = block.timestamp + WINDOW;
        vm.warp(finalAt - 1);
        vm.expectRevert(abi.encodeWithSelector(IRollup.NotFinal.selector, 1, finalAt));
        rollup.finalizeBatch(1);
        vm.warp(finalAt);
        rollup.finalizeBatch(1);
    }

    function test_Rollup_stakeUnstakeAndWithdraw() public {
        _finalize(_commitRecords(1));
        _finalize(_commitRecords(2));
        vm.expectEmit(address(rollup));
        emit IRollup.Unstaked(sequencer, STAKE);
        vm.prank(sequencer);
        rollup.unstake();
        assertEq(rollup.stakeOf(sequencer), 0);
        assertEq(rollup.creditOf(sequencer), STAKE);
        uint256 before = bob.balance;
        vm.expectEmit(address(rollup));
        emit IRollup.CreditWithdrawn(sequencer, bob, STAKE);
        vm.prank(sequencer);
        rollup.withdrawCredit(payable(bob));
        assertEq(bob.balance, before + STAKE);
        assertEq(rollup.creditOf(sequencer), 0);
        assertEq(address(rollup).balance, 0);
    }

    function test_RevertWhen_UnstakeWithPendingBatch() public {
        _finalize(_commitRecords(1));
        _commitRecords(2);
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(IRollup.StakeLocked.selector, sequencer, 2));
        rollup.unstake();
        _finalize(2);
        vm.prank(sequencer);
        rollup.unstake();
        assertEq(rollup.creditOf(sequencer), STAKE);
    }

    function test_RevertWhen_UnstakeWithoutStake() public {
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IRollup.NoStake.selector, bob));
        rollup.unstake();
    }

    function test_RevertWhen_WithdrawCreditWithNone() public {
        _finalize(_commitRecords(1)); // a final batch credits nothing
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(IRollup.NoCredit.selector, sequencer));
        rollup.withdrawCredit(payable(sequencer));
    }

    function test_RevertWhen_CreditPayoutRejected() public {
        vm.prank(sequencer);
        rollup.unstake();
        address rejecting = address(new RejectingRecipient());
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(IRollup.CreditPayoutFailed.selector, rejecting, STAKE));
        rollup.withdrawCredit(payable(rejecting));
        assertEq(rollup.creditOf(sequencer), STAKE);
    }

    function testFuzz_finalityFollowsWindow(uint32 wait) public {
        _commitRecords(1);
        uint256 committed = block.timestamp;
        vm.warp(committed + wait);
        if (wait < WINDOW) {
            vm.expectRevert(abi.encodeWithSelector(IRollup.NotFinal.selector, 1, committed + WINDOW));
        }
        rollup.finalizeBatch(1);
        assertEq(rollup.isFinal(1), wait >= WINDOW);
    }
}
