// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {Bridge} from "../../../contracts/L1/Bridge.sol";
import {DemoToken} from "../../../contracts/mocks/DemoToken.sol";
import {MSG_DEPOSIT, MSG_FORCED_WITHDRAWAL, L1Message} from "../../../contracts/libraries/Types.sol";
import {FeeOnTransferToken} from "../../mocks/FeeOnTransferToken.sol";

/// @title UserHandler
/// @notice Invariant-test actor: L1 users depositing ETH and ERC20s (one with a transfer fee) and queueing
///         forced withdrawals. Keeps a ghost copy of every queued message and of the value that arrived.
contract UserHandler is CommonBase, StdCheats, StdUtils {
    Bridge public immutable bridge;
    address[3] public tokens;
    address[4] public actors = [address(0xA1), address(0xA2), address(0xA3), address(0xA4)];

    L1Message[] public messages;
    /// @dev Value that arrived in the bridge, per token id (0 = ETH).
    mapping(uint32 => uint256) public arrived;
    /// @dev Token addresses in the order they were first deposited.
    address[] public registered;

    constructor(Bridge bridge_) {
        bridge = bridge_;
        tokens[0] = address(new DemoToken("A", "A"));
        tokens[1] = address(new DemoToken("B", "B"));
        tokens[2] = address(new FeeOnTransferToken(100));
    }

    function messageCount() external view returns (uint256) {
        return messages.length;
    }

    function registeredCount() external view returns (uint256) {
        return registered.length;
    }

    function message(uint256 i) external view returns (L1Message memory) {
        return messages[i];
    }

    function depositETH(uint256 actorSeed, uint256 amount, uint64 target) external {
        address actor = actors[actorSeed % actors.length];
        amount = bound(amount, 1, 100 ether);
        vm.deal(actor, amount);
        vm.prank(actor);
        bridge.depositETH{value: amount}(target);
        arrived[0] += amount;
        // forge-lint: disable-next-line(unsafe-typecast)
        uint128 credited = uint128(amount);
        messages.push(L1Message(_nextIndex(), MSG_DEPOSIT, actor, target, 0, credited, uint64(block.timestamp)));
    }

    function depositERC20(uint256 actorSeed, uint256 tokenSeed, uint256 amount, uint64 target) external {
        address actor = actors[actorSeed % actors.length];
        address token = tokens[tokenSeed % tokens.length];
        amount = bound(amount, 1, 1e30);
        DemoToken(token).mint(actor, amount);
        (, bool known) = bridge.tokenIdOf(token);
        uint256 before = IERC20(token).balanceOf(address(bridge));
        vm.startPrank(actor);
        IERC20(token).approve(address(bridge), amount);
        // A 1% fee rounds to nothing below 100 units, and everything arrives then; never zero.
        bridge.depositERC20(token, amount, target);
        vm.stopPrank();
        uint256 received = IERC20(token).balanceOf(address(bridge)) - before;
        if (!known) registered.push(token);
        (uint32 id,) = bridge.tokenIdOf(token);
        arrived[id] += received;
        // forge-lint: disable-next-line(unsafe-typecast)
        uint128 credited = uint128(received);
        messages.push(L1Message(_nextIndex(), MSG_DEPOSIT, actor, target, id, credited, uint64(block.timestamp)));
    }

    function forceWithdrawal(uint256 actorSeed, uint64 account, uint32 tokenId, uint128 amount) external {
        address actor = actors[actorSeed % actors.length];
        tokenId = uint32(bound(tokenId, 0, bridge.tokenCount() - 1));
        amount = uint128(bound(amount, 1, type(uint128).max));
        vm.prank(actor);
        bridge.forceWithdrawal(account, tokenId, amount);
        messages.push(
            L1Message(_nextIndex(), MSG_FORCED_WITHDRAWAL, actor, account, tokenId, amount, uint64(block.timestamp))
        );
    }

    function wait(uint256 secs) external {
        vm.warp(block.timestamp + bound(secs, 1, 3 days));
    }

    /// @dev The queue index the next message gets: the ghost queue's length.
    function _nextIndex() internal view returns (uint64) {
        // casting to 'uint64' is safe because a test queues a few hundred messages at most
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint64(messages.length);
    }
}
