//! L1 message steps: deposits (§7.1) and forced withdrawals (§7.2).

use super::{Access, Flow, Ledger, ensure};
use crate::leaf::{AccountLeaf, WithdrawalLeaf};
use crate::message::{L1Message, MessageKind};
use crate::outcome::SkipReason;
use crate::params::TREE_CAPACITY;
use crate::primitives::{AccountIndex, WithdrawalIndex};

pub(super) fn apply<L: Ledger>(access: &mut Access<'_, L>, message: &L1Message) -> Flow<L::Error> {
    match message.kind {
        MessageKind::Deposit => deposit(access, message),
        MessageKind::ForcedWithdrawal => forced_withdrawal(access, message),
    }
}

/// §7.1: credit an existing account of the same token, else a new account,
/// else a withdrawal back to the sender. Never skipped short of both trees full.
fn deposit<L: Ledger>(access: &mut Access<'_, L>, message: &L1Message) -> Flow<L::Error> {
    if let Some(index) = existing(access, message.target) {
        let mut leaf = access.read(index)?;
        if leaf.token == message.token
            && let Some(balance) = leaf.balance.checked_add(message.amount)
        {
            leaf.balance = balance;
            return access.write(index, &leaf);
        }
    }
    if access.next_account_index() < TREE_CAPACITY {
        let leaf = AccountLeaf {
            owner: message.sender,
            token: message.token,
            balance: message.amount,
            nonce: 0,
        };
        return access.create(&leaf);
    }
    let count = access.withdrawal_count();
    ensure(count < TREE_CAPACITY, SkipReason::WithdrawalsFull)?;
    access.append_withdrawal(&WithdrawalLeaf {
        // Below 2^32 by the check above.
        index: WithdrawalIndex(count as u32),
        recipient: message.sender,
        token: message.token,
        amount: message.amount,
    })
}

/// §7.2: move `amount` from the sender's own account to a withdrawal leaf.
fn forced_withdrawal<L: Ledger>(access: &mut Access<'_, L>, message: &L1Message) -> Flow<L::Error> {
    let index =
        existing(access, message.target).ok_or(SkipReason::NoSuchAccount(message.target))?;
    let count = access.withdrawal_count();
    ensure(count < TREE_CAPACITY, SkipReason::WithdrawalsFull)?;
    let mut leaf = access.read(index)?;
    ensure(
        leaf.owner == message.sender,
        SkipReason::NotOwner {
            sender: message.sender,
            owner: leaf.owner,
        },
    )?;
    ensure(
        leaf.token == message.token,
        SkipReason::TokenMismatch {
            account: index,
            holds: leaf.token,
            wanted: message.token,
        },
    )?;
    leaf.balance = leaf
        .balance
        .checked_sub(message.amount)
        .ok_or(SkipReason::Overdraft {
            balance: leaf.balance,
            amount: message.amount,
            fee: 0,
        })?;
    access.write(index, &leaf)?;
    access.append_withdrawal(&WithdrawalLeaf {
        // Below 2^32 by the check above.
        index: WithdrawalIndex(count as u32),
        recipient: message.sender,
        token: message.token,
        amount: message.amount,
    })
}

/// The account a message targets, if `target < nextAccountIndex`.
fn existing<L: Ledger>(access: &Access<'_, L>, target: u64) -> Option<AccountIndex> {
    if target < access.next_account_index() {
        u32::try_from(target).ok().map(AccountIndex)
    } else {
        None
    }
}
