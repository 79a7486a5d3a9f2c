//! The state transition function of PROTOCOL §7, written once.
//!
//! Everything the STF reads and writes goes through [`Ledger`], so the
//! stateful engine ([`crate::State`]), the witness recorder and the stateless
//! verifier ([`crate::witness::verify_step`]) run this same code.

mod messages;
mod records;

use core::fmt;

use crate::batch::RecordBytes;
use crate::eip712::Domain;
use crate::header::Header;
use crate::leaf::{AccountLeaf, WithdrawalLeaf};
use crate::message::L1Message;
use crate::outcome::{Outcome, SkipReason};
use crate::primitives::{AccountIndex, TokenId};
use crate::record::Record;
use crate::state::State;

/// The state as the STF sees it: two counters, account reads and writes, and
/// appends, against a running root.
///
/// The STF reads an account only below [`next_account_index`](Self::next_account_index),
/// and writes an account only right after reading it, with no other access
/// in between; implementations may rely on both.
pub trait Ledger {
    /// Failure of the backing store (a bad proof, for the verifier).
    type Error;

    /// `nextAccountIndex`.
    fn next_account_index(&self) -> u64;

    /// `withdrawalCount`.
    fn withdrawal_count(&self) -> u64;

    /// Reads account `index`; `None` only if it does not exist.
    fn read_account(&mut self, index: AccountIndex) -> Result<Option<AccountLeaf>, Self::Error>;

    /// Overwrites account `index`, just read.
    fn write_account(&mut self, index: AccountIndex, leaf: &AccountLeaf)
    -> Result<(), Self::Error>;

    /// Writes `leaf` at the empty position `nextAccountIndex` and increments it.
    fn create_account(&mut self, leaf: &AccountLeaf) -> Result<(), Self::Error>;

    /// Writes `leaf` at the empty position `withdrawalCount` (its own index) and increments it.
    fn append_withdrawal(&mut self, leaf: &WithdrawalLeaf) -> Result<(), Self::Error>;

    /// `msgsConsumed += 1`.
    fn consume_message(&mut self) -> Result<(), Self::Error>;

    /// Marks the state a skipped step returns to.
    fn checkpoint(&mut self);

    /// Discards every write since the last [`checkpoint`](Self::checkpoint).
    fn revert(&mut self) -> Result<(), Self::Error>;
}

/// One step of a batch's trace (§8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// An L1 message, consumed in queue order.
    Message(L1Message),
    /// A record of the batch data.
    Record(RecordBytes),
    /// Padding of the trace to a power of two.
    Identity,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Message(message) => message.fmt(f),
            Self::Record(bytes) => match Record::decode(bytes) {
                Record::Transfer(t) => write!(
                    f,
                    "transfer of {} {} from {} to {} (fee {}, nonce {})",
                    t.tx.amount, t.tx.token, t.tx.from, t.tx.to, t.tx.fee, t.tx.nonce
                ),
                Record::Withdraw(w) => write!(
                    f,
                    "withdraw of {} from {} to {:#x} (fee {}, nonce {})",
                    w.tx.amount, w.tx.from, w.tx.recipient, w.tx.fee, w.tx.nonce
                ),
                Record::Padding => f.write_str("padding record"),
                Record::Malformed(reason) => write!(f, "malformed record ({reason})"),
            },
            Self::Identity => f.write_str("identity"),
        }
    }
}

/// Runs one step over `ledger`: a skipped step is reverted, and a message
/// step consumes its message either way (§7).
pub fn execute<L: Ledger>(
    ledger: &mut L,
    domain: &Domain,
    header: &Header,
    step: &Step,
) -> Result<Outcome, L::Error> {
    ledger.checkpoint();
    let mut access = Access { ledger };
    let result = match step {
        Step::Message(message) => messages::apply(&mut access, message),
        Step::Record(bytes) => records::apply(&mut access, domain, header, bytes),
        Step::Identity => Ok(()),
    };
    let outcome = match result {
        Ok(()) => Outcome::Applied,
        Err(Halt::Skip(reason)) => {
            ledger.revert()?;
            Outcome::Skipped(reason)
        }
        Err(Halt::Ledger(error)) => return Err(error),
    };
    if matches!(step, Step::Message(_)) {
        ledger.consume_message()?;
    }
    Ok(outcome)
}

/// Applies one step to `state`; the in-memory state never fails a read.
pub fn apply_step(state: &mut State, domain: &Domain, header: &Header, step: &Step) -> Outcome {
    match execute(&mut state.ledger(), domain, header, step) {
        Ok(outcome) => outcome,
        Err(never) => match never {},
    }
}

/// Why a step stopped early: a protocol skip, or the ledger failed.
enum Halt<E> {
    Skip(SkipReason),
    Ledger(E),
}

impl<E> From<SkipReason> for Halt<E> {
    fn from(reason: SkipReason) -> Self {
        Self::Skip(reason)
    }
}

type Flow<E> = Result<(), Halt<E>>;

/// The ledger seen through `?`: each call either continues, skips or fails.
struct Access<'a, L: Ledger> {
    ledger: &'a mut L,
}

impl<L: Ledger> Access<'_, L> {
    fn next_account_index(&self) -> u64 {
        self.ledger.next_account_index()
    }

    fn withdrawal_count(&self) -> u64 {
        self.ledger.withdrawal_count()
    }

    /// Checks `index < nextAccountIndex`.
    fn exists(&self, index: u64) -> Flow<L::Error> {
        ensure(
            index < self.next_account_index(),
            SkipReason::NoSuchAccount(index),
        )
    }

    fn read(&mut self, index: AccountIndex) -> Result<AccountLeaf, Halt<L::Error>> {
        match self.ledger.read_account(index) {
            Ok(Some(leaf)) => Ok(leaf),
            Ok(None) => Err(Halt::Skip(SkipReason::NoSuchAccount(u64::from(index.0)))),
            Err(error) => Err(Halt::Ledger(error)),
        }
    }

    fn write(&mut self, index: AccountIndex, leaf: &AccountLeaf) -> Flow<L::Error> {
        self.ledger.write_account(index, leaf).map_err(Halt::Ledger)
    }

    fn create(&mut self, leaf: &AccountLeaf) -> Flow<L::Error> {
        self.ledger.create_account(leaf).map_err(Halt::Ledger)
    }

    fn append_withdrawal(&mut self, leaf: &WithdrawalLeaf) -> Flow<L::Error> {
        self.ledger.append_withdrawal(leaf).map_err(Halt::Ledger)
    }

    /// Reads `index`, checks it holds `token`, credits `amount` (§7.3 steps 8–9).
    fn credit(&mut self, index: AccountIndex, token: TokenId, amount: u128) -> Flow<L::Error> {
        let mut leaf = self.read(index)?;
        ensure(
            leaf.token == token,
            SkipReason::TokenMismatch {
                account: index,
                holds: leaf.token,
                wanted: token,
            },
        )?;
        leaf.balance = leaf
            .balance
            .checked_add(amount)
            .ok_or(SkipReason::CreditOverflow(index))?;
        self.write(index, &leaf)
    }
}

fn ensure<E>(condition: bool, reason: SkipReason) -> Flow<E> {
    if condition {
        Ok(())
    } else {
        Err(Halt::Skip(reason))
    }
}

#[cfg(test)]
mod tests;
