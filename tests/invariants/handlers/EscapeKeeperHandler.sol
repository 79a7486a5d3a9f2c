// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {Rollup} from "../../../contracts/L1/Rollup.sol";
import {Bridge} from "../../../contracts/L1/Bridge.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {L1Message, StatePreimage, WithdrawalLeaf} from "../../../contracts/libraries/Types.sol";
import {EscapeBooks} from "./EscapeBooks.sol";
import {EscapeChallengerHandler} from "./EscapeChallengerHandler.sol";

/// @title EscapeKeeperHandler
/// @notice Invariant-test actor of the escape suite: the permissionless keeper. It lets time pass (a few
///         hours, or a long quiet spell until the oldest message the tip did not consume is just overdue),
///         finalizes every batch that may finalize (window over, no unsettled game), freezes the rollup once
///         such a message is overdue, checks that nothing finalizes after the freeze, and pays: withdrawal
///         leaves of final batches at any time, and after the freeze exits of F's accounts, refunds of any
///         queued message (consumed ones and forced withdrawals must be refused), exits against another
///         batch's root, older or dropped (must be refused), or everything still owed at once.
/// @dev Finalization and the freeze are decided by the books, never by asking the Rollup first: each call
///      that the books say must succeed is made unguarded, so a Rollup that disagrees fails the run.
contract EscapeKeeperHandler is CommonBase, StdCheats, StdUtils {
    /// @dev The longest single wait: a quarter of the deadline, three challenge windows, so a run of a few
    ///      dozen calls sees batches finalize and, if nobody consumes a message, its deadline pass.
    uint256 internal constant MAX_WAIT = 6 hours;

    EscapeBooks public immutable books;
    Rollup public immutable rollup;
    Bridge public immutable bridge;
    EscapeChallengerHandler public immutable chal;
    address public immutable keeper;

    uint256 public finalizations;
    uint256 public freezes;
    uint256 public longWaits;
    uint256 public payouts;
    uint256 public staleExits;
    uint256 public payAlls;
    uint256 public frozenRefusals;
    uint256 public skippedNothing;

    constructor(EscapeBooks books_, EscapeChallengerHandler chal_) {
        books = books_;
        rollup = books_.rollup();
        bridge = books_.bridge();
        chal = chal_;
        keeper = chal_.keeper();
    }

    function wait(uint256 secs) external {
        vm.warp(block.timestamp + _bound(secs, 1, MAX_WAIT));
    }

    /// @dev Finalizes batches in order while the next one may finalize (§10).
    function finalize() external {
        if (books.frozen()) {
            // Nothing finalizes after the freeze, for good (§16).
            uint64 next = books.lastFinal() + 1;
            vm.prank(keeper);
            try rollup.finalizeBatch(next) {
                revert("keeper: finalized after the freeze");
            } catch (bytes memory err) {
                require(keccak256(err) == keccak256(abi.encodeWithSelector(IRollup.RollupFrozen.selector)), "frozen");
            }
            ++frozenRefusals;
            return;
        }
        uint256 before = finalizations;
        for (uint64 next = books.lastFinal() + 1; next <= books.tip(); ++next) {
            // forge-lint: disable-next-line(block-timestamp)
            if (block.timestamp < uint256(books.commitTimeOf(next)) + rollup.WINDOW()) break;
            if (chal.unsettledOf(chal.key(next, books.epochOf(next))) != 0) break;
            vm.prank(keeper);
            rollup.finalizeBatch(next);
            books.recordFinal(next);
            require(rollup.stateRoot(next) == books.finalRoot(next), "keeper: final root is the committed state");
            ++finalizations;
        }
        if (finalizations == before) _nothing();
    }

    /// @dev A long quiet spell: time runs until the oldest message the tip did not consume is just overdue
    ///      (a day if none is pending). Whoever acts next decides: a late commit still consumes it and averts
    ///      the freeze, a keeper's `freeze` first ends the rollup.
    function waitPastDeadline() external {
        if (books.frozen()) return _nothing();
        uint256 consumed = books.pre(books.tipState()).msgsConsumed;
        uint256 due = consumed == books.messageCount()
            ? block.timestamp + rollup.DEADLINE()
            : uint256(books.message(consumed).queuedAt) + rollup.DEADLINE();
        // forge-lint: disable-next-line(block-timestamp)
        if (due < block.timestamp) return _nothing();
        vm.warp(due + 1);
        ++longWaits;
    }

    /// @dev Freezes with an overdue message the tip did not consume, if there is one: any of them, since
    ///      queue times never decrease (§16). The books decide; the Rollup must agree.
    function freeze(uint256 seed) external {
        if (books.frozen()) return _nothing();
        uint256 consumed = books.pre(books.tipState()).msgsConsumed;
        uint256 n = books.messageCount();
        uint256 deadline = rollup.DEADLINE();
        // forge-lint: disable-next-line(block-timestamp)
        if (consumed == n || block.timestamp <= uint256(books.message(consumed).queuedAt) + deadline) {
            return _nothing();
        }
        // The overdue messages are a prefix of the unconsumed ones; present a random one of them.
        uint256 last = consumed;
        // forge-lint: disable-next-line(block-timestamp)
        while (last + 1 < n && block.timestamp > uint256(books.message(last + 1).queuedAt) + deadline) {
            ++last;
        }
        L1Message memory m = books.message(_bound(seed >> 8, consumed, last));
        vm.prank(keeper);
        rollup.freeze(m);
        books.recordFreeze();
        (uint64 pinned, bytes32 root, uint64 msgs) = bridge.escape();
        StatePreimage memory f = books.pre(books.finalState());
        require(pinned == books.lastFinal() && root == books.rootOf(f) && msgs == f.msgsConsumed, "keeper: escape");
        ++freezes;
    }

    /// @dev One payout to someone else: a withdrawal leaf of a final batch (the only kind before the
    ///      freeze), an exit of F's account, a refund of any message, or an exit against a stale root.
    function pay(uint256 kindSeed, uint256 indexSeed, uint256 batchSeed) external {
        uint256 kind = books.frozen() ? kindSeed % 4 : 0;
        uint64 last = books.lastFinal();
        if (kind == 0) {
            if (last == 0) return _nothing();
            // casting to 'uint64' is safe because the bound is a batch index
            // forge-lint: disable-next-line(unsafe-typecast)
            uint64 b = uint64(_bound(batchSeed, 1, last));
            WithdrawalLeaf[] memory w = books.withdrawalsOf(books.stateIdOf(b));
            if (w.length == 0) return _nothing();
            // forge-lint: disable-next-line(unsafe-typecast)
            books.payWithdrawal(b, uint32(indexSeed % w.length), keeper);
        } else if (kind == 1) {
            uint256 count = books.accounts(books.finalState()).length;
            if (count == 0) return _nothing();
            // forge-lint: disable-next-line(unsafe-typecast)
            books.payExit(uint32(indexSeed % count), keeper);
        } else if (kind == 2) {
            uint256 count = books.messageCount();
            if (count == 0) return _nothing();
            // forge-lint: disable-next-line(unsafe-typecast)
            books.payRefund(uint64(indexSeed % count), keeper);
        } else {
            // Another batch's state: an older final one, or one the freeze dropped (up to the tip then).
            uint64 top = books.tipAtFreeze();
            if (top < 2) return _nothing();
            // casting to 'uint64' is safe because the bound is a batch index
            // forge-lint: disable-next-line(unsafe-typecast)
            uint64 b = uint64(_bound(batchSeed, 1, top));
            uint256 id = books.stateIdOf(b);
            uint256 count = books.accounts(id).length;
            if (b == last || count == 0 || books.stateRoot(id) == books.stateRoot(books.finalState())) {
                return _nothing();
            }
            // forge-lint: disable-next-line(unsafe-typecast)
            books.payStaleExit(b, uint32(indexSeed % count), keeper);
            ++staleExits;
        }
        ++payouts;
    }

    /// @dev After the freeze, pays everything still owed; the Bridge must then hold nothing.
    function payAll() external {
        if (!books.frozen()) return _nothing();
        books.payAll(keeper);
        ++payAlls;
    }

    function _nothing() internal {
        ++skippedNothing;
    }
}
