//! The outcome of one step and the reasons of PROTOCOL §7.6 for skipping one.
//!
//! Reasons are diagnostic; only "applied" versus "skipped" is consensus.

use core::fmt;

use alloy_primitives::Address;

use crate::primitives::{AccountIndex, TokenId};

/// Why a step was skipped (a no-op), with the values that failed the check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum SkipReason {
    /// The record's kind byte is not 0, 1 or 2.
    #[error("unknown record kind {0:#04x}")]
    UnknownKind(u8),
    /// A non-zero byte past the record's last field (or in a kind-0 record).
    #[error("non-zero byte past the record's last field")]
    NonZeroPadding,
    /// The signature is not 65 bytes.
    #[error("signature is {0} bytes, not 65")]
    SignatureLength(usize),
    /// The signature's `v` is not 27 or 28.
    #[error("signature v is {0}, not 27 or 28")]
    SignatureV(u8),
    /// The signature's `r` is zero or not below the group order.
    #[error("signature r is zero or not below n")]
    SignatureR,
    /// The signature's `s` is zero or above n/2.
    #[error("signature s is zero or above n/2")]
    SignatureS,
    /// Public-key recovery found no point, or the zero address.
    #[error("signature recovers no signer")]
    RecoveryFailed,
    /// The recovered signer does not own the debited account.
    #[error("signed by {signer:#x}, but the account is owned by {owner:#x}")]
    WrongSigner {
        /// Recovered signer.
        signer: Address,
        /// Owner of the debited account.
        owner: Address,
    },
    /// An account index at or past `nextAccountIndex`.
    #[error("account #{0} does not exist")]
    NoSuchAccount(u64),
    /// An account holds another token than the step moves.
    #[error("account {account} holds {holds}, not {wanted}")]
    TokenMismatch {
        /// Account read.
        account: AccountIndex,
        /// Token it holds.
        holds: TokenId,
        /// Token the step moves.
        wanted: TokenId,
    },
    /// The transaction's nonce is not the account's.
    #[error("nonce {got}, but the account expects {expected}")]
    BadNonce {
        /// The account's nonce.
        expected: u32,
        /// The transaction's nonce.
        got: u32,
    },
    /// The account's nonce reached `2^32 − 1`.
    #[error("account nonce exhausted")]
    NonceExhausted,
    /// The balance does not cover amount plus effective fee.
    #[error("balance {balance} below amount {amount} + fee {fee}")]
    Overdraft {
        /// Balance of the debited account.
        balance: u128,
        /// Amount debited.
        amount: u128,
        /// Effective fee debited.
        fee: u128,
    },
    /// A credit would reach `2^128`.
    #[error("credit to account {0} would overflow")]
    CreditOverflow(AccountIndex),
    /// A withdraw of zero.
    #[error("withdraw of zero")]
    ZeroAmount,
    /// A withdraw to the zero address.
    #[error("withdraw to the zero address")]
    ZeroRecipient,
    /// The withdrawal tree is full (or, for a deposit, both trees are).
    #[error("withdrawal tree full")]
    WithdrawalsFull,
    /// A forced withdrawal's L1 sender does not own the account.
    #[error("forced withdrawal by {sender:#x} from an account owned by {owner:#x}")]
    NotOwner {
        /// L1 sender of the message.
        sender: Address,
        /// Owner of the account.
        owner: Address,
    },
}

impl SkipReason {
    /// The reason's name as PROTOCOL §7.6 and the shared vectors spell it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::UnknownKind(_) => "UnknownKind",
            Self::NonZeroPadding => "NonZeroPadding",
            Self::SignatureLength(_) => "SignatureLength",
            Self::SignatureV(_) => "SignatureV",
            Self::SignatureR => "SignatureR",
            Self::SignatureS => "SignatureS",
            Self::RecoveryFailed => "RecoveryFailed",
            Self::WrongSigner { .. } => "WrongSigner",
            Self::NoSuchAccount(_) => "NoSuchAccount",
            Self::TokenMismatch { .. } => "TokenMismatch",
            Self::BadNonce { .. } => "BadNonce",
            Self::NonceExhausted => "NonceExhausted",
            Self::Overdraft { .. } => "Overdraft",
            Self::CreditOverflow(_) => "CreditOverflow",
            Self::ZeroAmount => "ZeroAmount",
            Self::ZeroRecipient => "ZeroRecipient",
            Self::WithdrawalsFull => "WithdrawalsFull",
            Self::NotOwner { .. } => "NotOwner",
        }
    }
}

/// What one step did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The step ran (a padding record or identity step runs as a no-op).
    Applied,
    /// The step was a no-op, for this reason.
    Skipped(SkipReason),
}

impl Outcome {
    /// Whether the step was applied.
    pub fn is_applied(&self) -> bool {
        matches!(self, Self::Applied)
    }

    /// The skip reason, if skipped.
    pub fn skip_reason(&self) -> Option<SkipReason> {
        match self {
            Self::Applied => None,
            Self::Skipped(reason) => Some(*reason),
        }
    }

    /// `"applied"` or the §7.6 reason name, as the shared vectors spell it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Skipped(reason) => reason.name(),
        }
    }
}

impl From<SkipReason> for Outcome {
    fn from(reason: SkipReason) -> Self {
        Self::Skipped(reason)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Applied => f.write_str("applied"),
            Self::Skipped(reason) => write!(f, "skipped: {reason}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_read_as_sentences() {
        assert_eq!(
            Outcome::Skipped(SkipReason::SignatureS).to_string(),
            "skipped: signature s is zero or above n/2"
        );
        assert_eq!(Outcome::Applied.to_string(), "applied");
        let nonce = Outcome::from(SkipReason::BadNonce {
            expected: 2,
            got: 1,
        });
        assert_eq!(
            nonce.to_string(),
            "skipped: nonce 1, but the account expects 2"
        );
        assert_eq!(nonce.name(), "BadNonce");
    }
}
