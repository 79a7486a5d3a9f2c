// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MSG_DEPOSIT, SkipReason, AccountLeaf} from "../../libraries/Types.sol";
import {LibWitness} from "./LibWitness.sol";
import {LibLedger, Ledger, TREE_CAPACITY} from "./LibLedger.sol";

/// @notice The fields of an L1 message the STF reads (§4); index and queuedAt only bind the hash.
struct StepMessage {
    uint8 kind;
    address sender;
    uint64 target;
    uint32 token;
    uint128 amount;
}

/// @title LibMessageStep
/// @notice L1 message steps of the STF: deposits (PROTOCOL §7.1) and forced withdrawals (§7.2), checks in
///         the engine's order (`stf/messages.rs`). Consuming the message is the caller's, in every case.
/// @dev Returns the first failing check's reason (`None` when applied); the caller discards a skipped
///      step's writes. Arithmetic is compared in uint256, so no message content can make it revert.
library LibMessageStep {
    /// @notice The message input at calldata offset `at` (its 65 bytes reserved and hash-checked).
    function read(uint256 at) internal pure returns (StepMessage memory m) {
        m.kind = uint8(LibWitness.uintAt(at + 8, 1));
        m.sender = address(uint160(LibWitness.uintAt(at + 9, 20)));
        m.target = uint64(LibWitness.uintAt(at + 29, 8));
        m.token = uint32(LibWitness.uintAt(at + 37, 4));
        m.amount = uint128(LibWitness.uintAt(at + 41, 16));
    }

    /// @notice Applies message `m` (of kind 1 or 2) to `l`.
    function run(Ledger memory l, StepMessage memory m) internal pure returns (SkipReason) {
        return m.kind == MSG_DEPOSIT ? _deposit(l, m) : _forcedWithdrawal(l, m);
    }

    /// @dev §7.1: credit an existing account of the same token, else a new account, else a withdrawal back
    ///      to the sender. Skipped only when both trees are full.
    function _deposit(Ledger memory l, StepMessage memory m) private pure returns (SkipReason) {
        if (_exists(l, m.target)) {
            (AccountLeaf memory a, uint256 siblings) = LibLedger.readAccount(l, m.target);
            uint256 balance = uint256(a.balance) + m.amount;
            if (a.token == m.token && balance <= type(uint128).max) {
                a.balance = uint128(balance);
                LibLedger.writeAccount(l, m.target, siblings, a);
                return SkipReason.None;
            }
        }
        if (l.nextAccountIndex < TREE_CAPACITY) {
            LibLedger.createAccount(l, AccountLeaf({owner: m.sender, token: m.token, balance: m.amount, nonce: 0}));
            return SkipReason.None;
        }
        if (l.withdrawalCount >= TREE_CAPACITY) return SkipReason.WithdrawalsFull;
        LibLedger.appendWithdrawal(l, m.sender, m.token, m.amount);
        return SkipReason.None;
    }

    /// @dev §7.2: move `amount` from the sender's own account to a withdrawal leaf.
    function _forcedWithdrawal(Ledger memory l, StepMessage memory m) private pure returns (SkipReason) {
        if (!_exists(l, m.target)) return SkipReason.NoSuchAccount;
        if (l.withdrawalCount >= TREE_CAPACITY) return SkipReason.WithdrawalsFull;
        (AccountLeaf memory a, uint256 siblings) = LibLedger.readAccount(l, m.target);
        if (a.owner != m.sender) return SkipReason.NotOwner;
        if (a.token != m.token) return SkipReason.TokenMismatch;
        if (a.balance < m.amount) return SkipReason.Overdraft;
        unchecked {
            a.balance -= m.amount; // checked just above
        }
        LibLedger.writeAccount(l, m.target, siblings, a);
        LibLedger.appendWithdrawal(l, m.sender, m.token, m.amount);
        return SkipReason.None;
    }

    /// @dev Whether `target` names an account: below `nextAccountIndex` and a tree index (the engine's
    ///      `u32::try_from`), so a target ≥ 2^32 never exists, whatever the counter says.
    function _exists(Ledger memory l, uint64 target) private pure returns (bool) {
        return target < l.nextAccountIndex && target < TREE_CAPACITY;
    }
}
