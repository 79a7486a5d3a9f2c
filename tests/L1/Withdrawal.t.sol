// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IBridge} from "../../contracts/interfaces/IBridge.sol";
import {LibHash} from "../../contracts/libraries/LibHash.sol";
import {StatePreimage, WithdrawalLeaf, NEW_ACCOUNT} from "../../contracts/libraries/Types.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {MerkleBuilder} from "../utils/MerkleBuilder.sol";
import {RejectingRecipient, ReentrantRecipient} from "../mocks/Recipients.sol";

/// @notice Withdrawals on L1 (PROTOCOL §11): proven against a final batch, paid once per leaf index.
contract WithdrawalTest is BaseTest {
    WithdrawalLeaf[] internal leaves;

    function setUp() public override {
        super.setUp();
        _fundBridge();
    }

    function _addLeaf(address recipient, uint32 tokenId, uint128 amount) internal returns (WithdrawalLeaf memory w) {
        w = WithdrawalLeaf(uint32(leaves.length), recipient, tokenId, amount);
        leaves.push(w);
    }

    function _hashes() internal view returns (bytes32[] memory hs) {
        hs = new bytes32[](leaves.length);
        for (uint256 i; i < leaves.length; ++i) {
            hs[i] = LibHash.withdrawalLeaf(leaves[i]);
        }
    }

    /// @dev Commits a batch whose post-state holds the current withdrawal leaves; returns it and its preimage.
    function _commitLeaves() internal returns (uint64 index, StatePreimage memory post) {
        post = _post(MerkleBuilder.stateRoot(_hashes()), 2, uint64(leaves.length));
        index = _commit("", _records(1, leaves.length), post); // one record: a batch is never empty
    }

    function _proof(uint256 i) internal view returns (bytes32[] memory proof) {
        (, proof) = MerkleBuilder.stateProof(_hashes(), i);
    }

    function test_Bridge_finalizeWithdrawalPaysETH() public {
        WithdrawalLeaf memory w = _addLeaf(bob, 0, 3 ether);
        _addLeaf(alice, 1, 10);
        (uint64 b, StatePreimage memory post) = _commitLeaves();
        _finalize(b);
        uint256 before = bob.balance;
        vm.expectEmit(address(bridge));
        emit IBridge.WithdrawalFinalized(0, bob, 0, 3 ether, b);
        vm.prank(alice); // anyone may finalize
        bridge.finalizeWithdrawal(b, post, w, _proof(0));
        assertEq(bob.balance, before + 3 ether);
        assertTrue(bridge.paid(0));
        assertFalse(bridge.paid(1));
    }

    function test_Bridge_finalizeWithdrawalPaysERC20() public {
        _addLeaf(bob, 0, 1 ether);
        WithdrawalLeaf memory w = _addLeaf(bob, 1, 400);
        (uint64 b, StatePreimage memory post) = _commitLeaves();
        _finalize(b);
        bridge.finalizeWithdrawal(b, post, w, _proof(1));
        assertEq(token.balanceOf(bob), 400);
        assertEq(token.balanceOf(address(bridge)), 600);
        assertTrue(bridge.paid(1));
    }

    function test_Bridge_identicalWithdrawalsPayOncePerIndex() public {
        WithdrawalLeaf memory w0 = _addLeaf(bob, 0, 1 ether);
        WithdrawalLeaf memory w1 = _addLeaf(bob, 0, 1 ether);
        (uint64 b, StatePreimage memory post) = _commitLeaves();
        _finalize(b);
        uint256 before = bob.balance;
        bridge.finalizeWithdrawal(b, post, w0, _proof(0));
        bridge.finalizeWithdrawal(b, post, w1, _proof(1));
        assertEq(bob.balance, before + 2 ether);
    }

    function test_Bridge_withdrawalProvableAgainstAnyFinalBatch() public {
        WithdrawalLeaf memory w = _addLeaf(bob, 0, 1 ether);
        (uint64 b1,) = _commitLeaves();
        _addLeaf(alice, 0, 1 ether);
        (uint64 b2, StatePreimage memory post2) = _commitLeaves();
        _finalize(b1);
        _finalize(b2);
        bridge.finalizeWithdrawal(b2, post2, w, _proof(0)); // proven against the later batch
        assertTrue(bridge.paid(0));
    }

    function test_RevertWhen_WithdrawalPaidTwice() public {
        WithdrawalLeaf memory w = _addLeaf(bob, 0, 1 ether);
        (uint64 b1, StatePreimage memory post1) = _commitLeaves();
        bytes32[] memory proof1 = _proof(0);
        _addLeaf(alice, 0, 1 ether);
        (uint64 b2, StatePreimage memory post2) = _commitLeaves();
        bytes32[] memory proof2 = _proof(0);
        _finalize(b1);
        _finalize(b2);
        bridge.finalizeWithdrawal(b1, post1, w, proof1);
        vm.expectRevert(abi.encodeWithSelector(IBridge.AlreadyPaid.selector, 0));
        bridge.finalizeWithdrawal(b1, post1, w, proof1);
        vm.expectRevert(abi.encodeWithSelector(IBridge.AlreadyPaid.selector, 0));
        bridge.finalizeWithdrawal(b2, post2, w, proof2); // nor against another batch
    }

    function test_RevertWhen_WithdrawalBatchNotFinal() public {
        WithdrawalLeaf memory w = _addLeaf(bob, 0, 1 ether);
        (uint64 b, StatePreimage memory post) = _commitLeaves();
        bytes32[] memory proof = _proof(0);
        vm.warp(block.timestamp + WINDOW - 1);
        vm.expectRevert(abi.encodeWithSelector(IBridge.BatchNotFinal.selector, b));
        bridge.finalizeWithdrawal(b, post, w, proof);
        vm.expectRevert(abi.encodeWithSelector(IBridge.BatchNotFinal.selector, 7));
        bridge.finalizeWithdrawal(7, post, w, proof); // past the tip
        _finalize(b);
        bridge.finalizeWithdrawal(b, post, w, proof);
    }

    function test_RevertWhen_WithdrawalPreimageMismatch() public {
        WithdrawalLeaf memory w = _addLeaf(bob, 0, 1 ether);
        (uint64 b, StatePreimage memory post) = _commitLeaves();
        _finalize(b);
        bytes32 stored = rollup.stateRoot(b);
        post.nextAccountIndex += 1;
        bytes32 given = LibHash.stateRoot(post);
        bytes32[] memory proof = _proof(0);
        vm.expectRevert(abi.encodeWithSelector(IBridge.StateRootMismatch.selector, b, given, stored));
        bridge.finalizeWithdrawal(b, post, w, proof);
    }

    function test_RevertWhen_WithdrawalProofNot32Siblings() public {
        WithdrawalLeaf memory w = _addLeaf(bob, 0, 1 ether);
        (uint64 b, StatePreimage memory post) = _commitLeaves();
        _finalize(b);
        bytes32[] memory proof = _proof(0);
        bytes32[] memory short = new bytes32[](31);
        for (uint256 i; i < 31; ++i) {
            short[i] = proof[i];
        }
        vm.expectRevert(abi.encodeWithSelector(IBridge.BadProofLength.selector, 31));
        bridge.finalizeWithdrawal(b, post, w, short);
    }

    function test_RevertWhen_WithdrawalNotInTree() public {
        WithdrawalLeaf memory w = _addLeaf(bob, 0, 1 ether);
        _addLeaf(bob, 0, 2 ether);
        (uint64 b, StatePreimage memory post) = _commitLeaves();
        _finalize(b);
        bytes32[] memory proof = _proof(0);

        WithdrawalLeaf memory inflated = w;
        inflated.amount = 5 ether;
        vm.expectRevert(abi.encodeWithSelector(IBridge.WithdrawalNotInState.selector, 0));
        bridge.finalizeWithdrawal(b, post, inflated, proof);

        WithdrawalLeaf memory redirected = WithdrawalLeaf(0, alice, 0, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IBridge.WithdrawalNotInState.selector, 0));
        bridge.finalizeWithdrawal(b, post, redirected, proof);

        WithdrawalLeaf memory moved = WithdrawalLeaf(1, bob, 0, 1 ether); // leaf 0's content at index 1
        bytes32[] memory proof1 = _proof(1);
        vm.expectRevert(abi.encodeWithSelector(IBridge.WithdrawalNotInState.selector, 1));
        bridge.finalizeWithdrawal(b, post, moved, proof1);
    }

    function test_RevertWhen_WithdrawalIndexPastCount() public {
        // A preimage whose count excludes a leaf that its tree contains (not a state the STF produces).
        WithdrawalLeaf memory w = _addLeaf(bob, 0, 1 ether);
        StatePreimage memory post = _post(MerkleBuilder.stateRoot(_hashes()), 2, 0);
        uint64 b = _commit("", "", post);
        _finalize(b);
        bytes32[] memory proof = _proof(0);
        vm.expectRevert(abi.encodeWithSelector(IBridge.WithdrawalNotInState.selector, 0));
        bridge.finalizeWithdrawal(b, post, w, proof);
    }

    function test_RevertWhen_WithdrawalTokenUnregistered() public {
        WithdrawalLeaf memory w = _addLeaf(bob, 9, 1);
        (uint64 b, StatePreimage memory post) = _commitLeaves();
        _finalize(b);
        bytes32[] memory proof = _proof(0);
        vm.expectRevert(abi.encodeWithSelector(IBridge.UnknownToken.selector, 9));
        bridge.finalizeWithdrawal(b, post, w, proof);
    }

    function test_RevertWhen_WithdrawalRecipientRejectsETH() public {
        address rejecting = address(new RejectingRecipient());
        WithdrawalLeaf memory w = _addLeaf(rejecting, 0, 1 ether);
        (uint64 b, StatePreimage memory post) = _commitLeaves();
        _finalize(b);
        bytes32[] memory proof = _proof(0);
        vm.expectRevert(abi.encodeWithSelector(IBridge.PayoutFailed.selector, rejecting, 1 ether));
        bridge.finalizeWithdrawal(b, post, w, proof);
        assertFalse(bridge.paid(0)); // nothing was marked: it can be retried
    }

    function test_Bridge_reentrantRecipientCannotDoubleSpend() public {
        ReentrantRecipient attacker = new ReentrantRecipient();
        WithdrawalLeaf memory w = _addLeaf(address(attacker), 0, 1 ether);
        (uint64 b, StatePreimage memory post) = _commitLeaves();
        _finalize(b);
        bytes32[] memory proof = _proof(0);
        attacker.arm(bridge, b, post, w, proof);
        bridge.finalizeWithdrawal(b, post, w, proof);
        assertEq(address(attacker).balance, 1 ether);
        assertEq(
            attacker.reentryError(),
            abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector)
        );
    }

    function testFuzz_withdrawalPaysExactlyOnce(uint8 n, uint256 pick, uint128 amount) public {
        n = uint8(bound(n, 1, 20));
        pick = bound(pick, 0, n - 1);
        amount = uint128(bound(amount, 1, 10 ether / uint256(n)));
        for (uint256 i; i < n; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast)
            _addLeaf(address(uint160(0x1000 + i)), 0, amount);
        }
        (uint64 b, StatePreimage memory post) = _commitLeaves();
        _finalize(b);
        WithdrawalLeaf memory w = leaves[pick];
        bytes32[] memory proof = _proof(pick);
        bridge.finalizeWithdrawal(b, post, w, proof);
        assertEq(w.recipient.balance, amount);
        // forge-lint: disable-next-line(unsafe-typecast)
        vm.expectRevert(abi.encodeWithSelector(IBridge.AlreadyPaid.selector, uint32(pick)));
        bridge.finalizeWithdrawal(b, post, w, proof);
    }
}
