// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Vm} from "forge-std/Vm.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IBridge} from "../../contracts/interfaces/IBridge.sol";
import {Bridge} from "../../contracts/L1/Bridge.sol";
import {Rollup} from "../../contracts/L1/Rollup.sol";
import {DemoToken} from "../../contracts/mocks/DemoToken.sol";
import {LibHash} from "../../contracts/libraries/LibHash.sol";
import {MSG_DEPOSIT, MSG_FORCED_WITHDRAWAL, NEW_ACCOUNT} from "../../contracts/libraries/Types.sol";
import {FeeOnTransferToken} from "../mocks/FeeOnTransferToken.sol";
import {ReentrantToken} from "../mocks/Recipients.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice The Bridge's message queue and token registry (PROTOCOL §4).
contract BridgeTest is BaseTest {
    function _hash(uint64 index, uint8 kind, address sender, uint64 target, uint32 tokenId, uint128 amount)
        internal
        view
        returns (bytes32)
    {
        return LibHash.message(index, kind, sender, target, tokenId, amount, uint64(block.timestamp));
    }

    // ----------------------------------------------------------------------------------------------------
    // Deployment
    // ----------------------------------------------------------------------------------------------------

    function test_Bridge_wiredToRollup() public view {
        assertEq(bridge.ROLLUP(), address(rollup));
        assertEq(rollup.BRIDGE(), address(bridge));
        assertEq(bridge.messageCount(), 0);
        assertEq(bridge.tokenCount(), 1);
        (uint32 id, bool registered) = bridge.tokenIdOf(address(0));
        assertEq(id, 0);
        assertTrue(registered);
    }

    function test_Bridge_constructorRegistersETH() public {
        address predicted = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 1);
        Rollup r = new Rollup(_config(predicted, address(dispute), sequencer));
        vm.expectEmit(predicted);
        emit IBridge.TokenRegistered(0, address(0));
        new Bridge(address(r));
    }

    function test_RevertWhen_RollupNamesAnotherBridge() public {
        Rollup other = new Rollup(_config(address(0xB0B), address(dispute), sequencer));
        vm.expectRevert(abi.encodeWithSelector(IBridge.WrongRollup.selector, address(other), address(0xB0B)));
        new Bridge(address(other));
    }

    // ----------------------------------------------------------------------------------------------------
    // ETH deposits
    // ----------------------------------------------------------------------------------------------------

    function test_Bridge_depositETHQueuesMessage() public {
        bytes32 h = _hash(0, MSG_DEPOSIT, alice, NEW_ACCOUNT, 0, 1 ether);
        vm.expectEmit(address(bridge));
        emit IBridge.MessageQueued(0, MSG_DEPOSIT, alice, NEW_ACCOUNT, 0, 1 ether, uint64(block.timestamp), h);
        vm.prank(alice);
        assertEq(bridge.depositETH{value: 1 ether}(NEW_ACCOUNT), 0);
        assertEq(bridge.messageCount(), 1);
        assertEq(bridge.messageHash(0), h);
        assertEq(address(bridge).balance, 1 ether);
    }

    function test_Bridge_indicesAreSequential() public {
        for (uint64 i; i < 6; ++i) {
            vm.warp(block.timestamp + 13);
            vm.prank(alice);
            assertEq(bridge.depositETH{value: 1 + i}(i), i);
            assertEq(bridge.messageHash(i), _hash(i, MSG_DEPOSIT, alice, i, 0, 1 + i));
        }
        assertEq(bridge.messageCount(), 6);
        assertEq(bridge.messageHash(6), 0);
    }

    function testFuzz_depositETH(address sender, uint128 amount, uint64 target, uint32 time) public {
        vm.assume(sender != address(0) && amount > 0);
        vm.warp(time);
        vm.deal(sender, amount);
        vm.prank(sender);
        uint64 index = bridge.depositETH{value: amount}(target);
        assertEq(bridge.messageHash(index), _hash(index, MSG_DEPOSIT, sender, target, 0, amount));
    }

    function test_RevertWhen_DepositETHZero() public {
        vm.expectRevert(IBridge.ZeroAmount.selector);
        bridge.depositETH(NEW_ACCOUNT);
    }

    function test_RevertWhen_DepositETHAboveU128() public {
        uint256 big = uint256(type(uint128).max) + 1;
        vm.deal(alice, big);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IBridge.AmountTooLarge.selector, big));
        bridge.depositETH{value: big}(NEW_ACCOUNT);
    }

    // ----------------------------------------------------------------------------------------------------
    // ERC20 deposits
    // ----------------------------------------------------------------------------------------------------

    function _fund(address who, DemoToken t, uint256 amount) internal {
        t.mint(who, amount);
        vm.prank(who);
        t.approve(address(bridge), type(uint256).max);
    }

    function test_Bridge_firstERC20DepositRegistersToken() public {
        _fund(alice, token, 100);
        vm.expectEmit(address(bridge));
        emit IBridge.TokenRegistered(1, address(token));
        vm.expectEmit(address(bridge));
        emit IBridge.MessageQueued(
            0, MSG_DEPOSIT, alice, 5, 1, 40, uint64(block.timestamp), _hash(0, MSG_DEPOSIT, alice, 5, 1, 40)
        );
        vm.prank(alice);
        bridge.depositERC20(address(token), 40, 5);
        assertEq(bridge.tokenCount(), 2);
        assertEq(bridge.tokenAddress(1), address(token));
        (uint32 id, bool registered) = bridge.tokenIdOf(address(token));
        assertEq(id, 1);
        assertTrue(registered);
        assertEq(token.balanceOf(address(bridge)), 40);
    }

    function test_Bridge_laterDepositsKeepTheTokenId() public {
        DemoToken second = new DemoToken("Second", "TWO");
        _fund(alice, token, 100);
        _fund(alice, second, 100);
        vm.startPrank(alice);
        bridge.depositERC20(address(token), 1, NEW_ACCOUNT);
        bridge.depositERC20(address(second), 1, NEW_ACCOUNT);
        vm.recordLogs();
        bridge.depositERC20(address(token), 2, NEW_ACCOUNT);
        vm.stopPrank();
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 2); // the token's Transfer and MessageQueued: no second TokenRegistered
        assertEq(logs[1].topics[0], IBridge.MessageQueued.selector);
        assertEq(bridge.tokenCount(), 3);
        (uint32 id,) = bridge.tokenIdOf(address(second));
        assertEq(id, 2);
        assertEq(bridge.messageHash(2), _hash(2, MSG_DEPOSIT, alice, NEW_ACCOUNT, 1, 2));
    }

    function test_Bridge_unregisteredTokenHasNoId() public view {
        (uint32 id, bool registered) = bridge.tokenIdOf(address(token));
        assertEq(id, 0);
        assertFalse(registered);
        assertEq(bridge.tokenAddress(1), address(0));
    }

    function testFuzz_depositERC20CreditsWhatArrived(uint256 amount, uint16 feeBps) public {
        feeBps = uint16(bound(feeBps, 0, 9_999));
        amount = bound(amount, 1, type(uint128).max);
        FeeOnTransferToken fot = new FeeOnTransferToken(feeBps);
        uint256 arrives = amount - amount * feeBps / 10_000;
        vm.assume(arrives > 0);
        fot.mint(alice, amount);
        vm.startPrank(alice);
        fot.approve(address(bridge), amount);
        uint64 index = bridge.depositERC20(address(fot), amount, 3);
        vm.stopPrank();
        assertEq(fot.balanceOf(address(bridge)), arrives);
        // forge-lint: disable-next-line(unsafe-typecast)
        assertEq(bridge.messageHash(index), _hash(index, MSG_DEPOSIT, alice, 3, 1, uint128(arrives)));
    }

    function test_RevertWhen_DepositERC20Zero() public {
        vm.expectRevert(IBridge.ZeroAmount.selector);
        bridge.depositERC20(address(token), 0, NEW_ACCOUNT);
    }

    function test_RevertWhen_DepositERC20NothingArrives() public {
        FeeOnTransferToken all = new FeeOnTransferToken(10_000);
        all.mint(alice, 100);
        vm.startPrank(alice);
        all.approve(address(bridge), 100);
        vm.expectRevert(IBridge.ZeroAmount.selector);
        bridge.depositERC20(address(all), 100, NEW_ACCOUNT);
        vm.stopPrank();
        (, bool registered) = bridge.tokenIdOf(address(all));
        assertFalse(registered); // the failed first deposit registered nothing
    }

    function test_RevertWhen_DepositERC20ZeroToken() public {
        vm.expectRevert(IBridge.ZeroToken.selector);
        bridge.depositERC20(address(0), 1, NEW_ACCOUNT);
    }

    function test_RevertWhen_DepositERC20AboveU128() public {
        uint256 big = uint256(type(uint128).max) + 1;
        _fund(alice, token, big);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IBridge.AmountTooLarge.selector, big));
        bridge.depositERC20(address(token), big, NEW_ACCOUNT);
    }

    function test_RevertWhen_DepositERC20WithoutAllowance() public {
        token.mint(alice, 10);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(bridge), 0, 10)
        );
        bridge.depositERC20(address(token), 10, NEW_ACCOUNT);
    }

    function test_Bridge_depositERC20IsNotReentrant() public {
        ReentrantToken evil = new ReentrantToken(bridge);
        bridge.depositERC20(address(evil), 5, 0);
        assertEq(
            evil.reentryError(), abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector)
        );
        assertEq(bridge.messageCount(), 1);
    }

    function test_RevertWhen_TokenIdsExhausted() public {
        // _tokenCount lives in slot 0, bits 64..95, after the u64 _messageCount.
        uint256 slot0 = uint256(vm.load(address(bridge), bytes32(0)));
        slot0 = (slot0 & ~(uint256(type(uint32).max) << 64)) | (uint256(type(uint32).max) << 64);
        vm.store(address(bridge), bytes32(0), bytes32(slot0));
        assertEq(bridge.tokenCount(), type(uint32).max);
        _fund(alice, token, 1);
        vm.prank(alice);
        vm.expectRevert(IBridge.TokenIdsExhausted.selector);
        bridge.depositERC20(address(token), 1, NEW_ACCOUNT);
    }

    // ----------------------------------------------------------------------------------------------------
    // Forced withdrawals
    // ----------------------------------------------------------------------------------------------------

    function test_Bridge_forceWithdrawalQueuesKind2() public {
        bytes32 h = _hash(0, MSG_FORCED_WITHDRAWAL, bob, 42, 0, 7);
        vm.expectEmit(address(bridge));
        emit IBridge.MessageQueued(0, MSG_FORCED_WITHDRAWAL, bob, 42, 0, 7, uint64(block.timestamp), h);
        vm.prank(bob);
        assertEq(bridge.forceWithdrawal(42, 0, 7), 0);
        assertEq(bridge.messageHash(0), h);
    }

    function test_Bridge_forceWithdrawalOfRegisteredERC20() public {
        _fund(alice, token, 1);
        vm.prank(alice);
        bridge.depositERC20(address(token), 1, NEW_ACCOUNT);
        vm.prank(alice);
        uint64 index = bridge.forceWithdrawal(0, 1, 1);
        assertEq(bridge.messageHash(index), _hash(index, MSG_FORCED_WITHDRAWAL, alice, 0, 1, 1));
    }

    function test_RevertWhen_ForceWithdrawalZero() public {
        vm.expectRevert(IBridge.ZeroAmount.selector);
        bridge.forceWithdrawal(0, 0, 0);
    }

    function test_RevertWhen_ForceWithdrawalUnknownToken() public {
        vm.expectRevert(abi.encodeWithSelector(IBridge.UnknownToken.selector, 1));
        bridge.forceWithdrawal(0, 1, 1);
    }
}
