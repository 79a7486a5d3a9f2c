//! The L2 state (PROTOCOL §2–3): account and withdrawal leaves with their
//! trees and counters, and the proofs users need against it.

use core::fmt;
use std::convert::Infallible;

use alloy_primitives::{Address, B256};

use crate::leaf::{AccountLeaf, StatePreimage, WithdrawalLeaf};
use crate::primitives::{AccountIndex, TokenId, WithdrawalIndex};
use crate::stf::Ledger;
use crate::tree::{MerkleTree, Siblings, TreeError, root_from_proof};

/// The full L2 state. Roots are recomputed lazily, when first asked for.
#[derive(Clone, Default)]
pub struct State {
    accounts: Vec<AccountLeaf>,
    account_tree: MerkleTree,
    withdrawals: Vec<WithdrawalLeaf>,
    withdrawal_tree: MerkleTree,
    msgs_consumed: u64,
}

/// Why leaves do not make a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LeavesError {
    /// A withdrawal leaf names another index than its position.
    #[error("withdrawal at position {position} names index {index}")]
    WithdrawalIndex {
        /// Position in the given withdrawals.
        position: usize,
        /// The index the leaf names.
        index: WithdrawalIndex,
    },
    /// More than `2^32` leaves for one tree.
    #[error(transparent)]
    Tree(#[from] TreeError),
}

/// An account leaf with its 32 siblings in the account tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountProof {
    /// Position of the leaf.
    pub index: AccountIndex,
    /// The leaf.
    pub leaf: AccountLeaf,
    /// Siblings, leaf level first.
    pub siblings: Siblings,
}

impl AccountProof {
    /// The accounts root this proof folds to.
    pub fn root(&self) -> B256 {
        root_from_proof(self.leaf.hash(), self.index.0, &self.siblings)
    }
}

/// A withdrawal leaf with its 32 siblings, as `finalizeWithdrawal` takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WithdrawalProof {
    /// The leaf (it names its own position).
    pub leaf: WithdrawalLeaf,
    /// Siblings, leaf level first.
    pub siblings: Siblings,
}

impl WithdrawalProof {
    /// The withdrawals root this proof folds to.
    pub fn root(&self) -> B256 {
        root_from_proof(self.leaf.hash(), self.leaf.index.0, &self.siblings)
    }
}

impl State {
    /// The genesis state: both trees empty, all counters 0.
    pub fn genesis() -> Self {
        Self::default()
    }

    /// The state holding exactly these leaves and counter. For tests and
    /// vectors that need a state no short history reaches (a nonce at
    /// `2^32 − 1`); withdrawal `i` must name index `i`.
    pub fn from_leaves(
        accounts: Vec<AccountLeaf>,
        withdrawals: Vec<WithdrawalLeaf>,
        msgs_consumed: u64,
    ) -> Result<Self, LeavesError> {
        let mut state = Self {
            msgs_consumed,
            ..Self::default()
        };
        for leaf in &accounts {
            state.account_tree.push(leaf.hash())?;
        }
        for (position, leaf) in withdrawals.iter().enumerate() {
            if leaf.index.0 as usize != position {
                return Err(LeavesError::WithdrawalIndex {
                    position,
                    index: leaf.index,
                });
            }
            state.withdrawal_tree.push(leaf.hash())?;
        }
        state.accounts = accounts;
        state.withdrawals = withdrawals;
        Ok(state)
    }

    /// The state root (§3).
    pub fn root(&self) -> B256 {
        self.preimage().root()
    }

    /// The five fields hashed into the state root.
    pub fn preimage(&self) -> StatePreimage {
        StatePreimage {
            accounts_root: self.account_tree.root(),
            withdrawals_root: self.withdrawal_tree.root(),
            next_account_index: self.next_account_index(),
            msgs_consumed: self.msgs_consumed,
            withdrawal_count: self.withdrawal_count(),
        }
    }

    /// `nextAccountIndex`.
    pub fn next_account_index(&self) -> u64 {
        self.accounts.len() as u64
    }

    /// `msgsConsumed`.
    pub fn msgs_consumed(&self) -> u64 {
        self.msgs_consumed
    }

    /// `withdrawalCount`.
    pub fn withdrawal_count(&self) -> u64 {
        self.withdrawals.len() as u64
    }

    /// Account `index`, if it exists.
    pub fn account(&self, index: AccountIndex) -> Option<&AccountLeaf> {
        self.accounts.get(index.0 as usize)
    }

    /// Withdrawal `index`, if it exists.
    pub fn withdrawal(&self, index: WithdrawalIndex) -> Option<&WithdrawalLeaf> {
        self.withdrawals.get(index.0 as usize)
    }

    /// Account `index` with its proof against the current accounts root.
    pub fn account_proof(&self, index: AccountIndex) -> Option<AccountProof> {
        let leaf = *self.account(index)?;
        Some(AccountProof {
            index,
            leaf,
            siblings: self.account_tree.proof(index.0),
        })
    }

    /// Withdrawal `index` with its proof against the current withdrawals root.
    pub fn withdrawal_proof(&self, index: WithdrawalIndex) -> Option<WithdrawalProof> {
        let leaf = *self.withdrawal(index)?;
        Some(WithdrawalProof {
            leaf,
            siblings: self.withdrawal_tree.proof(index.0),
        })
    }

    /// Every account, in index order.
    pub fn accounts(&self) -> impl Iterator<Item = (AccountIndex, &AccountLeaf)> {
        self.accounts
            .iter()
            .enumerate()
            .map(|(i, leaf)| (AccountIndex(i as u32), leaf))
    }

    /// Every withdrawal leaf, in index order.
    pub fn withdrawals(&self) -> impl Iterator<Item = &WithdrawalLeaf> {
        self.withdrawals.iter()
    }

    /// The accounts `owner` signs for.
    pub fn accounts_owned_by(
        &self,
        owner: Address,
    ) -> impl Iterator<Item = (AccountIndex, &AccountLeaf)> {
        self.accounts().filter(move |(_, leaf)| leaf.owner == owner)
    }

    /// The first account of `owner` holding `token`.
    pub fn find_account(
        &self,
        owner: Address,
        token: TokenId,
    ) -> Option<(AccountIndex, &AccountLeaf)> {
        self.accounts_owned_by(owner)
            .find(|(_, leaf)| leaf.token == token)
    }

    /// Siblings of any account position, empty ones included.
    pub(crate) fn account_siblings(&self, position: u32) -> Siblings {
        self.account_tree.proof(position)
    }

    /// Siblings of any withdrawal position, empty ones included.
    pub(crate) fn withdrawal_siblings(&self, position: u32) -> Siblings {
        self.withdrawal_tree.proof(position)
    }

    /// This state as the STF's ledger, journaled so a skipped step reverts.
    pub(crate) fn ledger(&mut self) -> StateLedger<'_> {
        StateLedger {
            undo: Vec::new(),
            accounts_len: self.accounts.len(),
            withdrawals_len: self.withdrawals.len(),
            state: self,
        }
    }

    fn put_account(&mut self, index: AccountIndex, leaf: AccountLeaf) {
        if let Some(slot) = self.accounts.get_mut(index.0 as usize) {
            *slot = leaf;
            // In range by the check above, so the tree accepts the write.
            let _ = self.account_tree.set(index.0, leaf.hash());
        }
    }
}

/// [`State`] as a [`Ledger`]: writes go straight to the state and are undone
/// from a journal on [`Ledger::revert`].
pub(crate) struct StateLedger<'a> {
    state: &'a mut State,
    undo: Vec<(AccountIndex, AccountLeaf)>,
    accounts_len: usize,
    withdrawals_len: usize,
}

impl StateLedger<'_> {
    /// The state behind the ledger, for recording proofs.
    pub(crate) fn state(&self) -> &State {
        self.state
    }
}

impl Ledger for StateLedger<'_> {
    type Error = Infallible;

    fn next_account_index(&self) -> u64 {
        self.state.next_account_index()
    }

    fn withdrawal_count(&self) -> u64 {
        self.state.withdrawal_count()
    }

    fn read_account(&mut self, index: AccountIndex) -> Result<Option<AccountLeaf>, Infallible> {
        Ok(self.state.account(index).copied())
    }

    fn write_account(&mut self, index: AccountIndex, leaf: &AccountLeaf) -> Result<(), Infallible> {
        if let Some(previous) = self.state.account(index).copied() {
            self.undo.push((index, previous));
            self.state.put_account(index, *leaf);
        }
        Ok(())
    }

    fn create_account(&mut self, leaf: &AccountLeaf) -> Result<(), Infallible> {
        // The STF creates only below 2^32, so the push succeeds.
        if self.state.account_tree.push(leaf.hash()).is_ok() {
            self.state.accounts.push(*leaf);
        }
        Ok(())
    }

    fn append_withdrawal(&mut self, leaf: &WithdrawalLeaf) -> Result<(), Infallible> {
        if self.state.withdrawal_tree.push(leaf.hash()).is_ok() {
            self.state.withdrawals.push(*leaf);
        }
        Ok(())
    }

    fn consume_message(&mut self) -> Result<(), Infallible> {
        self.state.msgs_consumed += 1;
        Ok(())
    }

    fn checkpoint(&mut self) {
        self.undo.clear();
        self.accounts_len = self.state.accounts.len();
        self.withdrawals_len = self.state.withdrawals.len();
    }

    fn revert(&mut self) -> Result<(), Infallible> {
        while let Some((index, previous)) = self.undo.pop() {
            self.state.put_account(index, previous);
        }
        self.state.accounts.truncate(self.accounts_len);
        self.state.account_tree.truncate(self.accounts_len as u64);
        self.state.withdrawals.truncate(self.withdrawals_len);
        self.state
            .withdrawal_tree
            .truncate(self.withdrawals_len as u64);
        Ok(())
    }
}

impl PartialEq for State {
    fn eq(&self, other: &Self) -> bool {
        // The trees are functions of the leaves.
        self.accounts == other.accounts
            && self.withdrawals == other.withdrawals
            && self.msgs_consumed == other.msgs_consumed
    }
}

impl Eq for State {}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("State")
            .field("root", &self.root())
            .field("accounts", &self.accounts.len())
            .field("withdrawals", &self.withdrawals.len())
            .field("msgs_consumed", &self.msgs_consumed)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::empty_subtrees;

    fn leaf(owner: u8, balance: u128) -> AccountLeaf {
        AccountLeaf {
            owner: Address::repeat_byte(owner),
            token: TokenId(0),
            balance,
            nonce: 0,
        }
    }

    #[test]
    fn state_can_be_shared_across_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<State>();
    }

    #[test]
    fn genesis_root_hashes_empty_trees_and_zero_counters() {
        let genesis = State::genesis();
        let z32 = empty_subtrees()[32];
        let expected = StatePreimage {
            accounts_root: z32,
            withdrawals_root: z32,
            next_account_index: 0,
            msgs_consumed: 0,
            withdrawal_count: 0,
        };
        assert_eq!(genesis.preimage(), expected);
        assert_eq!(genesis.root(), expected.root());
    }

    #[test]
    fn journal_reverts_writes_and_appends() {
        let mut state = State::genesis();
        let mut ledger = state.ledger();
        ledger.create_account(&leaf(1, 10)).unwrap();
        ledger.create_account(&leaf(2, 20)).unwrap();
        let before = state.clone();
        let root = state.root();
        let mut ledger = state.ledger();
        ledger.checkpoint();
        ledger.write_account(AccountIndex(0), &leaf(1, 5)).unwrap();
        ledger.write_account(AccountIndex(0), &leaf(1, 4)).unwrap();
        ledger.create_account(&leaf(3, 1)).unwrap();
        ledger.revert().unwrap();
        assert_eq!(state, before);
        assert_eq!(state.root(), root);
    }

    #[test]
    fn a_state_from_leaves_is_the_state_that_wrote_them() {
        let mut state = State::genesis();
        let mut ledger = state.ledger();
        ledger.create_account(&leaf(1, 10)).unwrap();
        ledger.create_account(&leaf(2, 20)).unwrap();
        let withdrawal = WithdrawalLeaf {
            index: WithdrawalIndex(0),
            recipient: Address::repeat_byte(1),
            token: TokenId(0),
            amount: 1,
        };
        ledger.append_withdrawal(&withdrawal).unwrap();
        let accounts = vec![leaf(1, 10), leaf(2, 20)];
        let built = State::from_leaves(accounts.clone(), vec![withdrawal], 0).unwrap();
        assert_eq!((built.root(), &built), (state.root(), &state));
        let misplaced = WithdrawalLeaf {
            index: WithdrawalIndex(1),
            ..withdrawal
        };
        assert_eq!(
            State::from_leaves(accounts, vec![misplaced], 0),
            Err(LeavesError::WithdrawalIndex {
                position: 0,
                index: WithdrawalIndex(1)
            })
        );
    }

    #[test]
    fn proofs_fold_to_the_state_roots() {
        let mut state = State::genesis();
        let mut ledger = state.ledger();
        for i in 0..5 {
            ledger.create_account(&leaf(i, u128::from(i))).unwrap();
        }
        ledger
            .append_withdrawal(&WithdrawalLeaf {
                index: WithdrawalIndex(0),
                recipient: Address::repeat_byte(1),
                token: TokenId(0),
                amount: 1,
            })
            .unwrap();
        let pre = state.preimage();
        for (index, _) in state.accounts() {
            assert_eq!(
                state.account_proof(index).unwrap().root(),
                pre.accounts_root
            );
        }
        assert_eq!(
            state.withdrawal_proof(WithdrawalIndex(0)).unwrap().root(),
            pre.withdrawals_root
        );
        assert!(state.account_proof(AccountIndex(5)).is_none());
        assert_eq!(state.accounts_owned_by(Address::repeat_byte(3)).count(), 1);
    }
}
