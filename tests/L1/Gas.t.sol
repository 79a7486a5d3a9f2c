// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {console2} from "forge-std/console2.sol";
import {StatePreimage, WithdrawalLeaf, NEW_ACCOUNT} from "../../contracts/libraries/Types.sol";
import {LibHash} from "../../contracts/libraries/LibHash.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {MerkleBuilder} from "../utils/MerkleBuilder.sol";

/// @notice Gas of each L1 operation, logged for the record. `npx forge test --mc GasTest -vv --isolate` runs
///         every call as its own transaction (cold storage, as on a real chain) and then `vm.lastCallGas`
///         is the whole transaction's gas: 21000, calldata and the EIP-7623 floor included. Without
///         `--isolate` it is the callee frame's gas alone, with storage warmed by earlier calls in the test.
contract GasTest is BaseTest {
    function _log(string memory what) internal view returns (uint256 used) {
        used = vm.lastCallGas().gasTotalUsed;
        console2.log(what, used);
    }

    function test_Gas_deposits() public {
        vm.prank(alice);
        bridge.depositETH{value: 1 ether}(NEW_ACCOUNT);
        _log("depositETH (first message)   ");
        vm.prank(bob);
        bridge.depositETH{value: 1 ether}(3);
        _log("depositETH (later message)   ");

        token.mint(alice, 100);
        vm.prank(alice);
        token.approve(address(bridge), 100);
        vm.prank(alice);
        bridge.depositERC20(address(token), 10, NEW_ACCOUNT);
        _log("depositERC20 (first, registers)");
        vm.prank(alice);
        bridge.depositERC20(address(token), 10, NEW_ACCOUNT);
        _log("depositERC20 (later)          ");

        vm.prank(alice);
        bridge.forceWithdrawal(0, 0, 1);
        _log("forceWithdrawal               ");
    }

    function test_Gas_commitAndFinalize() public {
        uint256[3] memory sizes = [uint256(16), 256, 512];
        for (uint256 i; i < sizes.length; ++i) {
            bytes memory records = _records(sizes[i], i);
            StatePreimage memory post = _post(_emptyRoot(), 0, 0);
            uint64 parent = rollup.tip();
            vm.prank(sequencer, sequencer);
            rollup.commitBatch(parent, "", records, post, TRACE_ROOT);
            console2.log("commitBatch records", sizes[i], "gas", vm.lastCallGas().gasTotalUsed);
        }
        vm.warp(block.timestamp + WINDOW);
        rollup.finalizeBatch(1);
        _log("finalizeBatch                 ");
        rollup.finalizeBatch(2);
        rollup.finalizeBatch(3);
        vm.prank(sequencer);
        rollup.unstake();
        _log("unstake                       ");
        vm.prank(sequencer);
        rollup.withdrawCredit(payable(sequencer));
        _log("withdrawCredit                ");
    }

    function test_Gas_finalizeWithdrawal() public {
        _fundBridge();

        WithdrawalLeaf memory eth = WithdrawalLeaf(0, bob, 0, 1 ether);
        WithdrawalLeaf memory erc = WithdrawalLeaf(1, bob, 1, 500);
        bytes32[] memory leaves = new bytes32[](2);
        leaves[0] = LibHash.withdrawalLeaf(eth);
        leaves[1] = LibHash.withdrawalLeaf(erc);
        (bytes32 root, bytes32[] memory proof0) = MerkleBuilder.stateProof(leaves, 0);
        (, bytes32[] memory proof1) = MerkleBuilder.stateProof(leaves, 1);
        StatePreimage memory post = _post(root, 2, 2);
        _finalize(_commit("", "", post));

        bridge.finalizeWithdrawal(1, post, eth, proof0);
        _log("finalizeWithdrawal (ETH)      ");
        bridge.finalizeWithdrawal(1, post, erc, proof1);
        _log("finalizeWithdrawal (ERC20)    ");
    }
}
