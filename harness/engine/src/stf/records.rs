//! Record steps: transfers (§7.3) and withdraws (§7.4). Padding and
//! malformed records are no-ops (§7.5).

use super::{Access, Flow, Ledger, ensure};
use crate::batch::RecordBytes;
use crate::eip712::Domain;
use crate::header::Header;
use crate::leaf::{AccountLeaf, WithdrawalLeaf};
use crate::outcome::SkipReason;
use crate::params::TREE_CAPACITY;
use crate::primitives::{AccountIndex, TokenId, WithdrawalIndex};
use crate::record::{Record, SignedTransfer, SignedWithdraw};
use crate::signature::Signature;

pub(super) fn apply<L: Ledger>(
    access: &mut Access<'_, L>,
    domain: &Domain,
    header: &Header,
    bytes: &RecordBytes,
) -> Flow<L::Error> {
    match Record::decode(bytes) {
        Record::Transfer(transfer) => apply_transfer(access, domain, header, &transfer),
        Record::Withdraw(withdraw) => apply_withdraw(access, domain, header, &withdraw),
        Record::Padding => Ok(()),
        Record::Malformed(reason) => Err(reason.into()),
    }
}

/// §7.3, checks in the order given there.
fn apply_transfer<L: Ledger>(
    access: &mut Access<'_, L>,
    domain: &Domain,
    header: &Header,
    signed: &SignedTransfer,
) -> Flow<L::Error> {
    let tx = &signed.tx;
    let signature = Signature::parse(&signed.signature)?;
    let fee_to = fee_recipient(header, tx.token, tx.fee);
    access.exists(u64::from(tx.from.0))?;
    access.exists(u64::from(tx.to.0))?;
    if let Some(fee_to) = fee_to {
        access.exists(u64::from(fee_to.0))?;
    }
    let mut from = access.read(tx.from)?;
    check_signer(&signature, &tx.digest(domain), &from)?;
    ensure(
        from.token == tx.token,
        SkipReason::TokenMismatch {
            account: tx.from,
            holds: from.token,
            wanted: tx.token,
        },
    )?;
    check_nonce(&from, tx.nonce)?;
    let fee = if fee_to.is_some() { tx.fee } else { 0 };
    debit(&mut from, tx.amount, fee)?;
    access.write(tx.from, &from)?;
    access.credit(tx.to, tx.token, tx.amount)?;
    match fee_to {
        Some(fee_to) => access.credit(fee_to, tx.token, fee),
        None => Ok(()),
    }
}

/// §7.4, checks in the order given there; the token is the account's.
fn apply_withdraw<L: Ledger>(
    access: &mut Access<'_, L>,
    domain: &Domain,
    header: &Header,
    signed: &SignedWithdraw,
) -> Flow<L::Error> {
    let tx = &signed.tx;
    let signature = Signature::parse(&signed.signature)?;
    access.exists(u64::from(tx.from.0))?;
    ensure(tx.amount > 0, SkipReason::ZeroAmount)?;
    ensure(!tx.recipient.is_zero(), SkipReason::ZeroRecipient)?;
    let count = access.withdrawal_count();
    ensure(count < TREE_CAPACITY, SkipReason::WithdrawalsFull)?;
    let mut from = access.read(tx.from)?;
    check_signer(&signature, &tx.digest(domain), &from)?;
    let token = from.token;
    let fee_to = fee_recipient(header, token, tx.fee);
    if let Some(fee_to) = fee_to {
        access.exists(u64::from(fee_to.0))?;
    }
    check_nonce(&from, tx.nonce)?;
    let fee = if fee_to.is_some() { tx.fee } else { 0 };
    debit(&mut from, tx.amount, fee)?;
    access.write(tx.from, &from)?;
    if let Some(fee_to) = fee_to {
        access.credit(fee_to, token, fee)?;
    }
    access.append_withdrawal(&WithdrawalLeaf {
        // Below 2^32 by the check above.
        index: WithdrawalIndex(count as u32),
        recipient: tx.recipient,
        token,
        amount: tx.amount,
    })
}

/// The header's recipient for `token` when it charges a fee: a named
/// recipient and `fee > 0`; otherwise nothing is charged.
fn fee_recipient(header: &Header, token: TokenId, fee: u128) -> Option<AccountIndex> {
    if fee == 0 {
        None
    } else {
        header.fee_recipient(token)
    }
}

/// §5.2 rules 4–5.
fn check_signer<E>(
    signature: &Signature,
    digest: &alloy_primitives::B256,
    from: &AccountLeaf,
) -> Flow<E> {
    let signer = signature.recover(digest)?;
    ensure(
        signer == from.owner,
        SkipReason::WrongSigner {
            signer,
            owner: from.owner,
        },
    )
}

fn check_nonce<E>(from: &AccountLeaf, nonce: u32) -> Flow<E> {
    ensure(
        nonce == from.nonce,
        SkipReason::BadNonce {
            expected: from.nonce,
            got: nonce,
        },
    )?;
    ensure(from.nonce < u32::MAX, SkipReason::NonceExhausted)
}

/// Debits `amount + fee`, compared without wrapping, and bumps the nonce.
fn debit<E>(from: &mut AccountLeaf, amount: u128, fee: u128) -> Flow<E> {
    let overdraft = SkipReason::Overdraft {
        balance: from.balance,
        amount,
        fee,
    };
    let total = amount.checked_add(fee).ok_or(overdraft)?;
    from.balance = from.balance.checked_sub(total).ok_or(overdraft)?;
    from.nonce = from
        .nonce
        .checked_add(1)
        .ok_or(SkipReason::NonceExhausted)?;
    Ok(())
}
