//! Account and withdrawal leaves (PROTOCOL §2.1–2.2) and the state preimage (§3).

use core::fmt;

use alloy_primitives::{Address, B256, keccak256};

use crate::hash::{empty_subtrees, tags};
use crate::params::TREE_DEPTH;
use crate::primitives::{TokenId, WithdrawalIndex};

/// One account: an owner's balance of one token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AccountLeaf {
    /// L1 address whose EIP-712 signatures move the balance.
    pub owner: Address,
    /// Token held.
    pub token: TokenId,
    /// Balance.
    pub balance: u128,
    /// Number of transactions signed from this account.
    pub nonce: u32,
}

impl AccountLeaf {
    /// Bytes of [`encode`](Self::encode).
    pub const ENCODED_SIZE: usize = 44;

    /// `H(0x01 ‖ owner ‖ token:u32 ‖ balance:u128 ‖ nonce:u32)`.
    pub fn hash(&self) -> B256 {
        let mut buf = [0u8; 1 + Self::ENCODED_SIZE];
        buf[0] = tags::ACCOUNT_LEAF;
        buf[1..].copy_from_slice(&self.encode());
        keccak256(buf)
    }

    /// The 44 bytes that follow the tag in the leaf preimage (also an account opening's leaf, §8.2).
    pub fn encode(&self) -> [u8; Self::ENCODED_SIZE] {
        let mut buf = [0u8; Self::ENCODED_SIZE];
        buf[0..20].copy_from_slice(self.owner.as_slice());
        buf[20..24].copy_from_slice(&self.token.0.to_be_bytes());
        buf[24..40].copy_from_slice(&self.balance.to_be_bytes());
        buf[40..44].copy_from_slice(&self.nonce.to_be_bytes());
        buf
    }

    /// The leaf whose [`encode`](Self::encode) is `bytes`; every 44 bytes are one.
    pub fn decode(bytes: &[u8; Self::ENCODED_SIZE]) -> Self {
        let (owner, rest) = bytes.split_at(20);
        let (token, rest) = rest.split_at(4);
        let (balance, nonce) = rest.split_at(16);
        Self {
            owner: Address::from_slice(owner),
            token: TokenId(u32::from_be_bytes(be(token))),
            balance: u128::from_be_bytes(be(balance)),
            nonce: u32::from_be_bytes(be(nonce)),
        }
    }
}

impl fmt::Display for AccountLeaf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} owned by {:#x} (nonce {})",
            self.balance, self.token, self.owner, self.nonce
        )
    }
}

/// One withdrawal, payable once on L1 by its index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WithdrawalLeaf {
    /// The leaf's own position in the withdrawal tree.
    pub index: WithdrawalIndex,
    /// L1 address paid.
    pub recipient: Address,
    /// Token paid.
    pub token: TokenId,
    /// Amount paid.
    pub amount: u128,
}

impl WithdrawalLeaf {
    /// `H(0x02 ‖ index:u32 ‖ recipient ‖ token:u32 ‖ amount:u128)`.
    pub fn hash(&self) -> B256 {
        let mut buf = [0u8; 45];
        buf[0] = tags::WITHDRAWAL_LEAF;
        buf[1..5].copy_from_slice(&self.index.0.to_be_bytes());
        buf[5..25].copy_from_slice(self.recipient.as_slice());
        buf[25..29].copy_from_slice(&self.token.0.to_be_bytes());
        buf[29..45].copy_from_slice(&self.amount.to_be_bytes());
        keccak256(buf)
    }
}

impl fmt::Display for WithdrawalLeaf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} of {} to {:#x}",
            self.index, self.amount, self.token, self.recipient
        )
    }
}

/// The five fields hashed into a state root; a commit carries them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StatePreimage {
    /// Root of the account tree.
    pub accounts_root: B256,
    /// Root of the withdrawal tree.
    pub withdrawals_root: B256,
    /// Number of accounts (the next account's index).
    pub next_account_index: u64,
    /// Number of L1 messages consumed.
    pub msgs_consumed: u64,
    /// Number of withdrawal leaves.
    pub withdrawal_count: u64,
}

impl StatePreimage {
    /// The genesis preimage: both trees empty, all counters 0.
    pub fn genesis() -> Self {
        let empty = empty_subtrees()[TREE_DEPTH];
        Self {
            accounts_root: empty,
            withdrawals_root: empty,
            next_account_index: 0,
            msgs_consumed: 0,
            withdrawal_count: 0,
        }
    }

    /// `stateRoot = H(0x04 ‖ accountsRoot ‖ withdrawalsRoot ‖ next:u64 ‖ msgs:u64 ‖ count:u64)`.
    pub fn root(&self) -> B256 {
        let mut buf = [0u8; 89];
        buf[0] = tags::STATE_ROOT;
        buf[1..33].copy_from_slice(self.accounts_root.as_slice());
        buf[33..65].copy_from_slice(self.withdrawals_root.as_slice());
        buf[65..73].copy_from_slice(&self.next_account_index.to_be_bytes());
        buf[73..81].copy_from_slice(&self.msgs_consumed.to_be_bytes());
        buf[81..89].copy_from_slice(&self.withdrawal_count.to_be_bytes());
        keccak256(buf)
    }

    /// The 88 bytes that follow the tag in the state-root preimage (a witness's `pre`, §8.2).
    pub fn encode(&self) -> [u8; 88] {
        let mut buf = [0u8; 88];
        buf[0..32].copy_from_slice(self.accounts_root.as_slice());
        buf[32..64].copy_from_slice(self.withdrawals_root.as_slice());
        buf[64..72].copy_from_slice(&self.next_account_index.to_be_bytes());
        buf[72..80].copy_from_slice(&self.msgs_consumed.to_be_bytes());
        buf[80..88].copy_from_slice(&self.withdrawal_count.to_be_bytes());
        buf
    }

    /// The preimage whose [`encode`](Self::encode) is `bytes`; every 88 bytes are one.
    pub fn decode(bytes: &[u8; 88]) -> Self {
        let (accounts_root, rest) = bytes.split_at(32);
        let (withdrawals_root, rest) = rest.split_at(32);
        let (next_account_index, rest) = rest.split_at(8);
        let (msgs_consumed, withdrawal_count) = rest.split_at(8);
        Self {
            accounts_root: B256::from_slice(accounts_root),
            withdrawals_root: B256::from_slice(withdrawals_root),
            next_account_index: u64::from_be_bytes(be(next_account_index)),
            msgs_consumed: u64::from_be_bytes(be(msgs_consumed)),
            withdrawal_count: u64::from_be_bytes(be(withdrawal_count)),
        }
    }
}

/// A big-endian integer's bytes from a slice of exactly `N` bytes (callers split fixed arrays).
pub(crate) fn be<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(bytes);
    out
}

impl Default for StatePreimage {
    fn default() -> Self {
        Self::genesis()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_leaf_preimage_layout() {
        let leaf = AccountLeaf {
            owner: Address::repeat_byte(0xaa),
            token: TokenId(2),
            balance: 5,
            nonce: 7,
        };
        let mut pre = vec![0x01];
        pre.extend_from_slice(&[0xaa; 20]);
        pre.extend_from_slice(&[0, 0, 0, 2]);
        pre.extend_from_slice(&5u128.to_be_bytes());
        pre.extend_from_slice(&[0, 0, 0, 7]);
        assert_eq!(pre.len(), 45);
        assert_eq!(leaf.hash(), keccak256(&pre));
    }

    #[test]
    fn leaves_and_preimages_round_trip_through_their_bytes() {
        let leaf = AccountLeaf {
            owner: Address::repeat_byte(0xaa),
            token: TokenId(u32::MAX),
            balance: u128::MAX - 1,
            nonce: 7,
        };
        assert_eq!(AccountLeaf::decode(&leaf.encode()), leaf);
        let pre = StatePreimage {
            accounts_root: B256::repeat_byte(1),
            withdrawals_root: B256::repeat_byte(2),
            next_account_index: 3,
            msgs_consumed: u64::MAX,
            withdrawal_count: 5,
        };
        assert_eq!(StatePreimage::decode(&pre.encode()), pre);
    }

    #[test]
    fn withdrawal_leaf_binds_its_index() {
        let a = WithdrawalLeaf {
            index: WithdrawalIndex(0),
            recipient: Address::ZERO,
            token: TokenId(0),
            amount: 1,
        };
        let b = WithdrawalLeaf {
            index: WithdrawalIndex(1),
            ..a
        };
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn state_root_is_tagged_hash_of_encoding() {
        let pre = StatePreimage {
            next_account_index: 3,
            msgs_consumed: 4,
            withdrawal_count: 5,
            ..StatePreimage::genesis()
        };
        let mut bytes = vec![tags::STATE_ROOT];
        bytes.extend_from_slice(&pre.encode());
        assert_eq!(pre.root(), keccak256(&bytes));
        assert_ne!(pre.root(), StatePreimage::genesis().root());
    }
}
