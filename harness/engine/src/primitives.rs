//! Newtypes for the protocol's indices, so an account index is never taken for
//! a token id or a withdrawal index.

use core::fmt;

/// Index of an account leaf in the account tree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountIndex(pub u32);

/// Token id assigned by the bridge; 0 is ETH.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenId(pub u32);

/// Index of a withdrawal leaf in the withdrawal tree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WithdrawalIndex(pub u32);

impl TokenId {
    /// The token id of ETH.
    pub const ETH: Self = Self(0);
}

impl fmt::Display for AccountIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "token {}", self.0)
    }
}

impl fmt::Display for WithdrawalIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "withdrawal {}", self.0)
    }
}

impl From<u32> for AccountIndex {
    fn from(value: u32) -> Self {
        Self(value)
    }
}

impl From<u32> for TokenId {
    fn from(value: u32) -> Self {
        Self(value)
    }
}

impl From<u32> for WithdrawalIndex {
    fn from(value: u32) -> Self {
        Self(value)
    }
}
