// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IBridge} from "../../contracts/interfaces/IBridge.sol";
import {StatePreimage, WithdrawalLeaf} from "../../contracts/libraries/Types.sol";

/// @notice Test-only recipient that refuses ETH.
contract RejectingRecipient {
    receive() external payable {
        revert("no");
    }
}

/// @notice Test-only recipient that tries to finalize the same withdrawal again while being paid.
contract ReentrantRecipient {
    IBridge public bridge;
    uint64 public batchIndex;
    StatePreimage public post;
    WithdrawalLeaf public leaf;
    bytes32[] public proof;
    bytes public reentryError;

    function arm(
        IBridge bridge_,
        uint64 batchIndex_,
        StatePreimage calldata post_,
        WithdrawalLeaf calldata leaf_,
        bytes32[] calldata proof_
    ) external {
        bridge = bridge_;
        batchIndex = batchIndex_;
        post = post_;
        leaf = leaf_;
        proof = proof_;
    }

    receive() external payable {
        try bridge.finalizeWithdrawal(batchIndex, post, leaf, proof) {
            reentryError = "succeeded";
        } catch (bytes memory err) {
            reentryError = err;
        }
    }
}

/// @notice Test-only ERC20-shaped token whose transferFrom "moves" the amount and re-enters
///         `depositERC20` once.
contract ReentrantToken {
    IBridge public bridge;
    uint256 public held;
    bytes public reentryError;

    constructor(IBridge bridge_) {
        bridge = bridge_;
    }

    function balanceOf(address) external view returns (uint256) {
        return held;
    }

    function transferFrom(address, address, uint256 amount) external returns (bool) {
        held += amount;
        try bridge.depositERC20(address(this), 1, 0) {
            reentryError = "succeeded";
        } catch (bytes memory err) {
            reentryError = err;
        }
        return true;
    }
}
