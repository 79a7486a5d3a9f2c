// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeMultisig} from "../utils/SafeMultisig.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {Rollup} from "../../contracts/L1/Rollup.sol";
import {Deploy} from "../../script/Deploy.s.sol";
import {Bridge} from "../../contracts/L1/Bridge.sol";
import {LibHash} from "../../contracts/libraries/LibHash.sol";
import {Batch, L1Message} from "../../contracts/libraries/Types.sol";
import {UserHandler} from "./handlers/UserHandler.sol";
import {OperatorHandler} from "./handlers/OperatorHandler.sol";

/// @title ProtocolInvariants
/// @notice L1 invariants of the happy path (DESIGN "Invariants"): value is conserved by the bridge, the
///         queue is exactly what users sent, token ids are append-only, each withdrawal leaf pays at most
///         once, the sequencer's stake is held, and final batches never change.
contract ProtocolInvariants is SafeMultisig {
    Rollup internal rollup;
    Bridge internal bridge;
    UserHandler internal users;
    OperatorHandler internal operator;
    address internal sequencer = makeAddr("sequencer");

    function setUp() public {
        Deploy script = new Deploy();
        Deploy.Deployment memory d = script.deploy(
            address(script),
            Deploy.Params(sequencer, 1 days, 0.1 ether, 0.01 ether, 1 hours, _deploySafe(), 1 days, 8 hours, 1 days)
        );
        (rollup, bridge) = (d.rollup, d.bridge);
        vm.deal(sequencer, 0.1 ether);
        vm.prank(sequencer);
        rollup.stake{value: 0.1 ether}();
        users = new UserHandler(bridge);
        operator = new OperatorHandler(rollup, bridge, users, sequencer);
        targetContract(address(users));
        targetContract(address(operator));
    }

    /// @dev What the bridge holds = what arrived − what was paid, per token.
    function invariant_bridgeHoldsArrivedMinusPaid() public view {
        assertEq(address(bridge).balance, users.arrived(0) - operator.paidOut(0), "ETH");
        for (uint256 i; i < users.registeredCount(); ++i) {
            address token = users.registered(i);
            // forge-lint: disable-next-line(unsafe-typecast)
            uint32 id = uint32(i + 1);
            assertEq(IERC20(token).balanceOf(address(bridge)), users.arrived(id) - operator.paidOut(id), "ERC20");
        }
    }

    /// @dev Payouts never exceed what was promised to leaves, which never exceeds what arrived.
    function invariant_payoutsCoveredByDeposits() public view {
        for (uint32 id; id <= users.registeredCount(); ++id) {
            assertLe(operator.paidOut(id), operator.allocated(id));
            assertLe(operator.allocated(id), users.arrived(id));
        }
    }

    /// @dev Every stored message hash and time is the hash of what the user sent, in order.
    function invariant_queueIsWhatUsersSent() public view {
        uint256 n = users.messageCount();
        assertEq(bridge.messageCount(), n);
        for (uint256 i; i < n; ++i) {
            L1Message memory m = users.message(i);
            assertEq(m.index, i);
            bytes32 h = LibHash.message(m.index, m.kind, m.sender, m.target, m.token, m.amount, m.queuedAt);
            // forge-lint: disable-next-line(unsafe-typecast)
            assertEq(bridge.messageHash(uint64(i)), h);
        }
    }

    /// @dev Token ids follow first deposits: ETH 0, then 1, 2, ... and never move.
    function invariant_tokenIdsAppendOnly() public view {
        uint256 n = users.registeredCount();
        assertEq(bridge.tokenCount(), n + 1);
        for (uint256 i; i < n; ++i) {
            address token = users.registered(i);
            // forge-lint: disable-next-line(unsafe-typecast)
            assertEq(bridge.tokenAddress(uint32(i + 1)), token);
            (uint32 id, bool known) = bridge.tokenIdOf(token);
            assertTrue(known);
            assertEq(id, i + 1);
        }
    }

    /// @dev A withdrawal leaf pays out at most once, and `paid` says whether it did.
    function invariant_withdrawalPaysAtMostOnce() public view {
        for (uint32 i; i < operator.leafCount(); ++i) {
            uint256 times = operator.timesPaid(i);
            assertLe(times, 1);
            assertEq(bridge.paid(i), times == 1);
        }
    }

    /// @dev Without games, the Rollup holds exactly the sequencer's stake, whatever was committed or final.
    function invariant_stakeHeld() public view {
        assertEq(rollup.stakeOf(sequencer), rollup.STAKE());
        assertEq(address(rollup).balance, rollup.STAKE());
        assertEq(rollup.creditOf(sequencer), 0);
    }

    /// @dev Final batches keep their roots; the chain is linear and consumes messages in order.
    function invariant_batchChainConsistent() public view {
        uint64 tip = rollup.tip();
        uint64 last = rollup.lastFinalized();
        assertLe(last, tip);
        assertEq(last, operator.maxFinalizedSeen());
        for (uint64 i = 1; i <= tip; ++i) {
            Batch memory b = rollup.batch(i);
            Batch memory p = rollup.batch(i - 1);
            assertEq(b.parent, i - 1);
            assertEq(b.msgsBefore, p.msgsAfter);
            assertGe(b.msgsAfter, b.msgsBefore);
            assertLe(b.msgsAfter - b.msgsBefore, 512);
            assertGe(uint256(b.msgsAfter - b.msgsBefore) + b.recordCount, 1);
            assertEq(b.stateRoot, operator.committedRoot(i));
        }
        assertLe(rollup.batch(tip).msgsAfter, bridge.messageCount());
    }
}
