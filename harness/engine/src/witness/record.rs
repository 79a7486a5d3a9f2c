//! Recording a witness: the stateful ledger, plus the opening of every access.

use std::convert::Infallible;

use super::Opening;
use crate::leaf::{AccountLeaf, WithdrawalLeaf};
use crate::primitives::AccountIndex;
use crate::state::StateLedger;
use crate::stf::Ledger;

/// Runs the STF on the real state and records, before each access, the
/// siblings the verifier will need against the running root.
pub(super) struct Recorder<'a> {
    ledger: StateLedger<'a>,
    openings: Vec<Opening>,
}

impl<'a> Recorder<'a> {
    pub(super) fn new(ledger: StateLedger<'a>) -> Self {
        Self {
            ledger,
            openings: Vec::new(),
        }
    }

    pub(super) fn into_openings(self) -> Vec<Opening> {
        self.openings
    }
}

impl Ledger for Recorder<'_> {
    type Error = Infallible;

    fn next_account_index(&self) -> u64 {
        self.ledger.next_account_index()
    }

    fn withdrawal_count(&self) -> u64 {
        self.ledger.withdrawal_count()
    }

    fn read_account(&mut self, index: AccountIndex) -> Result<Option<AccountLeaf>, Infallible> {
        let leaf = self.ledger.read_account(index)?;
        if let Some(leaf) = leaf {
            let siblings = self.ledger.state().account_siblings(index.0);
            self.openings.push(Opening::Account { leaf, siblings });
        }
        Ok(leaf)
    }

    fn write_account(&mut self, index: AccountIndex, leaf: &AccountLeaf) -> Result<(), Infallible> {
        self.ledger.write_account(index, leaf)
    }

    fn create_account(&mut self, leaf: &AccountLeaf) -> Result<(), Infallible> {
        let position = self.ledger.next_account_index() as u32;
        let siblings = self.ledger.state().account_siblings(position);
        self.openings.push(Opening::EmptyAccount { siblings });
        self.ledger.create_account(leaf)
    }

    fn append_withdrawal(&mut self, leaf: &WithdrawalLeaf) -> Result<(), Infallible> {
        let siblings = self.ledger.state().withdrawal_siblings(leaf.index.0);
        self.openings.push(Opening::EmptyWithdrawal { siblings });
        self.ledger.append_withdrawal(leaf)
    }

    fn consume_message(&mut self) -> Result<(), Infallible> {
        self.ledger.consume_message()
    }

    fn checkpoint(&mut self) {
        self.ledger.checkpoint();
    }

    fn revert(&mut self) -> Result<(), Infallible> {
        self.ledger.revert()
    }
}
