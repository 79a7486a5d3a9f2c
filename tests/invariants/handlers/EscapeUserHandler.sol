// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {Bridge} from "../../../contracts/L1/Bridge.sol";
import {IBridge} from "../../../contracts/interfaces/IBridge.sol";
import {DemoToken} from "../../../contracts/mocks/DemoToken.sol";
import {
    MSG_DEPOSIT,
    MSG_FORCED_WITHDRAWAL,
    NEW_ACCOUNT,
    AccountLeaf,
    L1Message,
    WithdrawalLeaf
} from "../../../contracts/libraries/Types.sol";
import {EscapeBooks} from "./EscapeBooks.sol";

/// @title EscapeUserHandler
/// @notice Invariant-test actor of the escape suite: four L1 users. Before the freeze they deposit ETH and
///         DEMO (to a new account, their own, or any index: the STF decides, §7.1), queue forced withdrawals
///         (mostly of their own accounts within their balance, sometimes not: the STF skips those, §7.2) and
///         finalize their withdrawal leaves of final batches; after it they claim what is theirs: exits of
///         their accounts of F, refunds of their messages (consumed ones and forced withdrawals included,
///         which must be refused) and withdrawals. Every message is recorded in the books as queued.
/// @dev A deposit while the guardian's pause runs (the books know its end) is made and must be refused; so is
///      any queueing after the freeze, after which every queueing action also claims. Nothing is guarded
///      by asking the Bridge first.
contract EscapeUserHandler is CommonBase, StdCheats, StdUtils {
    uint256 internal constant USERS = 4;

    EscapeBooks public immutable books;
    Bridge public immutable bridge;
    DemoToken public immutable demo;
    address[USERS] public users;

    uint256 public deposits;
    uint256 public forcedWithdrawals;
    uint256 public claims;
    /// @dev Deposits refused during a pause, and queue calls refused after the freeze, each as expected.
    uint256 public pausedRefusals;
    uint256 public closedRefusals;
    uint256 public skippedNothing;

    constructor(EscapeBooks books_) {
        books = books_;
        bridge = books_.bridge();
        demo = books_.demo();
        for (uint256 i; i < USERS; ++i) {
            users[i] = makeAddr(string.concat("user", vm.toString(i)));
        }
    }

    // ----------------------------------------------------------------------------------------------------
    // Queue
    // ----------------------------------------------------------------------------------------------------

    /// @dev An ETH deposit; while the pause runs it must be refused (`DepositsPausedUntil`), and after the
    ///      freeze (`QueueClosed`), when the user claims instead.
    function depositETH(uint256 who, uint256 amount, uint256 targetSeed) external {
        address user = users[who % USERS];
        if (books.frozen()) return _closedThenClaim(user, amount, targetSeed);
        // casting to 'uint128' is safe because the amount is bounded to 10 ether
        // forge-lint: disable-next-line(unsafe-typecast)
        uint128 value = uint128(_bound(amount, 1, 10 ether));
        uint64 target = _target(user, 0, targetSeed);
        vm.deal(user, value);
        bytes memory call = abi.encodeCall(IBridge.depositETH, (target));
        if (_paused(user, value, call)) return;
        vm.prank(user);
        uint64 index = bridge.depositETH{value: value}(target);
        books.recordMessage(L1Message(index, MSG_DEPOSIT, user, target, 0, value, uint64(block.timestamp)));
        ++deposits;
    }

    /// @dev A DEMO deposit, refused like an ETH one during a pause or after the freeze.
    function depositDemo(uint256 who, uint256 amount, uint256 targetSeed) external {
        address user = users[who % USERS];
        if (books.frozen()) return _closedThenClaim(user, amount, targetSeed);
        // casting to 'uint128' is safe because the amount is bounded to 1e24
        // forge-lint: disable-next-line(unsafe-typecast)
        uint128 value = uint128(_bound(amount, 1, 1e24));
        // DEMO is the only ERC20: it registers as token 1 on its first deposit (§4).
        uint64 target = _target(user, 1, targetSeed);
        demo.mint(user, value);
        vm.prank(user);
        demo.approve(address(bridge), value);
        bytes memory call = abi.encodeCall(IBridge.depositERC20, (address(demo), value, target));
        if (_paused(user, 0, call)) return;
        vm.prank(user);
        uint64 index = bridge.depositERC20(address(demo), value, target);
        (uint32 id, bool registered) = bridge.tokenIdOf(address(demo));
        require(registered && id == 1, "user: DEMO is token 1");
        books.recordMessage(L1Message(index, MSG_DEPOSIT, user, target, 1, value, uint64(block.timestamp)));
        ++deposits;
    }

    /// @dev Mostly a withdrawal the STF applies: one of the user's own accounts in the tip's state, at most
    ///      its balance. Otherwise any account, token and amount, which the STF skips unless they fit. Never
    ///      paused (§17); after the freeze refused (`QueueClosed`), when the user claims instead.
    function forceWithdrawal(uint256 who, uint256 accountSeed, uint256 amountSeed) external {
        address user = users[who % USERS];
        if (books.frozen()) return _closedThenClaim(user, accountSeed, amountSeed);
        AccountLeaf[] memory a = books.accounts(books.tipState());
        uint64 account;
        uint32 token;
        uint128 amount;
        (bool found, uint256 i) = _own(a, user, accountSeed);
        if (found && a[i].balance != 0 && accountSeed % 4 != 0) {
            // forge-lint: disable-next-line(unsafe-typecast)
            account = uint64(i);
            token = a[i].token;
            // casting to 'uint128' is safe because the bound is a uint128 balance
            // forge-lint: disable-next-line(unsafe-typecast)
            amount = uint128(_bound(amountSeed, 1, a[i].balance));
        } else {
            // casting to 'uint64' is safe because the bound is a small account count
            // forge-lint: disable-next-line(unsafe-typecast)
            account = uint64(_bound(accountSeed >> 8, 0, a.length + 1));
            // forge-lint: disable-next-line(unsafe-typecast)
            token = uint32(_bound(amountSeed >> 128, 0, bridge.tokenCount() - 1));
            // forge-lint: disable-next-line(unsafe-typecast)
            amount = uint128(_bound(amountSeed, 1, 10 ether));
        }
        vm.prank(user);
        uint64 index = bridge.forceWithdrawal(account, token, amount);
        books.recordMessage(
            L1Message(index, MSG_FORCED_WITHDRAWAL, user, account, token, amount, uint64(block.timestamp))
        );
        ++forcedWithdrawals;
    }

    // ----------------------------------------------------------------------------------------------------
    // Claims
    // ----------------------------------------------------------------------------------------------------

    /// @dev The user claims something of its own: a withdrawal leaf of the last final batch (frozen or
    ///      not), or after the freeze an exit of its account of F or a refund of one of its messages.
    function claim(uint256 who, uint256 kindSeed, uint256 seed) external {
        _claim(users[who % USERS], kindSeed, seed);
    }

    function _claim(address user, uint256 kindSeed, uint256 seed) internal {
        uint256 kind = books.frozen() ? kindSeed % 3 : 0;
        uint256 f = books.finalState();
        if (kind == 0) {
            (bool found, uint256 i) = _ownLeaf(books.withdrawalsOf(f), user, seed);
            if (!found) return _nothing();
            // forge-lint: disable-next-line(unsafe-typecast)
            books.payWithdrawal(books.lastFinal(), uint32(i), user);
        } else if (kind == 1) {
            (bool found, uint256 i) = _own(books.accounts(f), user, seed);
            if (!found) return _nothing();
            // forge-lint: disable-next-line(unsafe-typecast)
            books.payExit(uint32(i), user);
        } else {
            (bool found, uint256 q) = _ownMessage(user, seed);
            if (!found) return _nothing();
            // forge-lint: disable-next-line(unsafe-typecast)
            books.payRefund(uint64(q), user);
        }
        ++claims;
    }

    // ----------------------------------------------------------------------------------------------------
    // Internal
    // ----------------------------------------------------------------------------------------------------

    /// @dev While the guardian's pause runs (the books know its end), the deposit `call` must be refused
    ///      with `DepositsPausedUntil`; true iff it was.
    function _paused(address user, uint256 value, bytes memory call) internal returns (bool) {
        uint64 until = books.pausedUntil();
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp >= until) return false;
        _refused(user, value, call, abi.encodeWithSelector(IBridge.DepositsPausedUntil.selector, until));
        ++pausedRefusals;
        return true;
    }

    /// @dev After the freeze the queue is closed for good: a deposit or forced withdrawal by `user` must be
    ///      refused with `QueueClosed` (§16). The user then claims what is its own, from the same seeds.
    function _closedThenClaim(address user, uint256 a, uint256 b) internal {
        bytes memory call = a % 2 == 0
            ? abi.encodeCall(IBridge.depositETH, (NEW_ACCOUNT))
            : abi.encodeCall(IBridge.forceWithdrawal, (0, 0, 1));
        uint256 value = a % 2 == 0 ? 1 : 0;
        vm.deal(user, user.balance + value);
        _refused(user, value, call, abi.encodeWithSelector(IBridge.QueueClosed.selector));
        ++closedRefusals;
        _claim(user, a >> 1, b);
    }

    /// @dev `user` calls the Bridge with `call` and `value`; it must revert with exactly `expected`.
    function _refused(address user, uint256 value, bytes memory call, bytes memory expected) internal {
        vm.prank(user);
        (bool ok, bytes memory err) = address(bridge).call{value: value}(call);
        require(!ok, "user: a refused call went through");
        require(keccak256(err) == keccak256(expected), "user: refused with the wrong error");
    }

    /// @dev A deposit target: NEW (half the time), the user's own account of `token`, or any index up to
    ///      one past the tip's accounts (another token's account or a missing one: a new account, §7.1).
    function _target(address user, uint32 token, uint256 seed) internal view returns (uint64) {
        uint256 mode = seed % 4;
        if (mode < 2) return NEW_ACCOUNT;
        AccountLeaf[] memory a = books.accounts(books.tipState());
        if (mode == 2) {
            for (uint256 k; k < a.length; ++k) {
                uint256 i = (seed / 4 + k) % a.length;
                // forge-lint: disable-next-line(unsafe-typecast)
                if (a[i].owner == user && a[i].token == token) return uint64(i);
            }
            return NEW_ACCOUNT;
        }
        // casting to 'uint64' is safe because the bound is a small account count
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint64(_bound(seed / 4, 0, a.length));
    }

    /// @dev One of `user`'s accounts in `a`, from `seed` on (wrapping).
    function _own(AccountLeaf[] memory a, address user, uint256 seed) internal pure returns (bool, uint256) {
        for (uint256 k; k < a.length; ++k) {
            uint256 i = (seed % a.length + k) % a.length;
            if (a[i].owner == user) return (true, i);
        }
        return (false, 0);
    }

    /// @dev One of `user`'s withdrawal leaves in `w`, from `seed` on (wrapping).
    function _ownLeaf(WithdrawalLeaf[] memory w, address user, uint256 seed) internal pure returns (bool, uint256) {
        for (uint256 k; k < w.length; ++k) {
            uint256 i = (seed % w.length + k) % w.length;
            if (w[i].recipient == user) return (true, i);
        }
        return (false, 0);
    }

    /// @dev One of `user`'s messages, from `seed` on (wrapping): deposits, forced withdrawals, consumed or not.
    function _ownMessage(address user, uint256 seed) internal view returns (bool, uint256) {
        uint256 n = books.messageCount();
        for (uint256 k; k < n; ++k) {
            uint256 q = (seed % n + k) % n;
            if (books.message(q).sender == user) return (true, q);
        }
        return (false, 0);
    }

    function _nothing() internal {
        ++skippedNothing;
    }
}
