// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LibRecord} from "../../libraries/LibRecord.sol";
import {LibHeader} from "../../libraries/LibHeader.sol";
import {LibEIP712} from "../../libraries/LibEIP712.sol";
import {LibSignature} from "../../libraries/LibSignature.sol";
import {RecordKind, SkipReason, Record, AccountLeaf} from "../../libraries/Types.sol";
import {LibLedger, Ledger, TREE_CAPACITY} from "./LibLedger.sol";

/// @title LibRecordStep
/// @notice Record steps of the STF: transfers (PROTOCOL §7.3) and withdraws (§7.4), checks in the engine's
///         order (`stf/records.rs`); padding applies and a malformed record skips (§7.5).
/// @dev Returns the first failing check's reason (`None` when applied); the caller discards a skipped step's
///      writes. Content never reverts: the record is decoded by `LibRecord` (any 128 bytes), the signature's
///      form is checked before recovery (`LibSignature`, `tryRecover`), and sums of u128 values are compared
///      in uint256.
library LibRecordStep {
    /// @notice Applies the 128-byte record `rec` to `l`, with the batch's `header` and the EIP-712 domain
    ///         `separator`.
    function run(Ledger memory l, bytes32 separator, bytes calldata rec, bytes calldata header)
        internal
        pure
        returns (SkipReason)
    {
        Record memory d = LibRecord.decode(rec);
        if (d.kind == RecordKind.Transfer) return _transfer(l, separator, header, d);
        if (d.kind == RecordKind.Withdraw) return _withdraw(l, separator, header, d);
        // Padding decodes with reason None (applied), a malformed record with its reason.
        return d.reason;
    }

    /// @dev §7.3: form, existence, signer, token, nonce, balance; then debit, credit and fee credit, each
    ///      against the running root so that from, to and fee recipient may be one account.
    function _transfer(Ledger memory l, bytes32 separator, bytes calldata header, Record memory d)
        private
        pure
        returns (SkipReason reason)
    {
        reason = LibSignature.checkForm(d.r, d.s, d.v);
        if (reason != SkipReason.None) return reason;
        (bool charged, uint32 feeTo) = _feeRecipient(header, d.token, d.fee);
        uint256 next = l.nextAccountIndex;
        if (d.from >= next || d.to >= next || (charged && feeTo >= next)) return SkipReason.NoSuchAccount;
        (AccountLeaf memory from, uint256 siblings) = LibLedger.readAccount(l, d.from);
        bytes32 structHash = LibEIP712.transferHash(d.from, d.to, d.token, d.amount, d.fee, d.nonce);
        reason = _checkSigner(LibEIP712.digest(separator, structHash), d, from.owner);
        if (reason != SkipReason.None) return reason;
        if (from.token != d.token) return SkipReason.TokenMismatch;
        reason = _debit(from, d.nonce, d.amount, charged ? d.fee : 0);
        if (reason != SkipReason.None) return reason;
        LibLedger.writeAccount(l, d.from, siblings, from);
        reason = _credit(l, d.to, d.token, d.amount);
        if (reason != SkipReason.None || !charged) return reason;
        return _credit(l, feeTo, d.token, d.fee);
    }

    /// @dev §7.4: like a transfer, the token being the sender's; the fee recipient is known only after the
    ///      read, and the amount goes to a withdrawal leaf instead of an account.
    function _withdraw(Ledger memory l, bytes32 separator, bytes calldata header, Record memory d)
        private
        pure
        returns (SkipReason reason)
    {
        reason = LibSignature.checkForm(d.r, d.s, d.v);
        if (reason != SkipReason.None) return reason;
        if (d.from >= l.nextAccountIndex) return SkipReason.NoSuchAccount;
        if (d.amount == 0) return SkipReason.ZeroAmount;
        if (d.recipient == address(0)) return SkipReason.ZeroRecipient;
        if (l.withdrawalCount >= TREE_CAPACITY) return SkipReason.WithdrawalsFull;
        (AccountLeaf memory from, uint256 siblings) = LibLedger.readAccount(l, d.from);
        bytes32 structHash = LibEIP712.withdrawHash(d.from, d.recipient, d.amount, d.fee, d.nonce);
        reason = _checkSigner(LibEIP712.digest(separator, structHash), d, from.owner);
        if (reason != SkipReason.None) return reason;
        uint32 token = from.token;
        (bool charged, uint32 feeTo) = _feeRecipient(header, token, d.fee);
        if (charged && feeTo >= l.nextAccountIndex) return SkipReason.NoSuchAccount;
        reason = _debit(from, d.nonce, d.amount, charged ? d.fee : 0);
        if (reason != SkipReason.None) return reason;
        LibLedger.writeAccount(l, d.from, siblings, from);
        if (charged) {
            reason = _credit(l, feeTo, token, d.fee);
            if (reason != SkipReason.None) return reason;
        }
        LibLedger.appendWithdrawal(l, d.recipient, token, d.amount);
    }

    /// @dev The header's recipient for `token` when it charges a fee: a named recipient and `fee > 0`.
    function _feeRecipient(bytes calldata header, uint32 token, uint128 fee)
        private
        pure
        returns (bool charged, uint32 feeTo)
    {
        if (fee == 0) return (false, 0);
        return LibHeader.feeRecipient(header, token);
    }

    /// @dev §5.2 rules 4–5 (the form, rules 2–3, passed already).
    function _checkSigner(bytes32 digest, Record memory d, address owner) private pure returns (SkipReason) {
        (address signer, SkipReason reason) = LibSignature.recover(digest, d.r, d.s, d.v);
        if (reason != SkipReason.None) return reason;
        return signer == owner ? SkipReason.None : SkipReason.WrongSigner;
    }

    /// @dev Checks the nonce, then debits `amount + fee` and bumps the nonce of `from` (in memory).
    function _debit(AccountLeaf memory from, uint32 nonce, uint128 amount, uint256 fee)
        private
        pure
        returns (SkipReason)
    {
        if (nonce != from.nonce) return SkipReason.BadNonce;
        if (from.nonce == type(uint32).max) return SkipReason.NonceExhausted;
        // Below 2^129: the sum of two u128 never wraps in uint256.
        uint256 total = uint256(amount) + fee;
        if (total > from.balance) return SkipReason.Overdraft;
        unchecked {
            // total ≤ balance < 2^128 and nonce < 2^32 − 1, both checked above.
            from.balance -= uint128(total);
            from.nonce += 1;
        }
        return SkipReason.None;
    }

    /// @dev §7.3 steps 8–9: reads `index` (after the writes before it), checks it holds `token`, credits
    ///      `amount` unless the balance would reach 2^128.
    function _credit(Ledger memory l, uint32 index, uint32 token, uint128 amount) private pure returns (SkipReason) {
        (AccountLeaf memory a, uint256 siblings) = LibLedger.readAccount(l, index);
        if (a.token != token) return SkipReason.TokenMismatch;
        uint256 balance = uint256(a.balance) + amount;
        if (balance > type(uint128).max) return SkipReason.CreditOverflow;
        a.balance = uint128(balance);
        LibLedger.writeAccount(l, index, siblings, a);
        return SkipReason.None;
    }
}
