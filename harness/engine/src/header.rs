//! The batch header of PROTOCOL §6.1: fee recipients per token.

use alloy_primitives::B256;

use crate::hash::header_hash;
use crate::params::{HEADER_ENTRY_SIZE, MAX_FEE_TOKENS};
use crate::primitives::{AccountIndex, TokenId};

/// Why header bytes are not a header the Rollup accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// The length is not a multiple of 8.
    #[error("header is {0} bytes, not a multiple of 8")]
    Length(usize),
    /// More than `MAX_FEE_TOKENS` entries.
    #[error("header has {0} entries, more than 16")]
    TooManyEntries(usize),
    /// Tokens are not strictly increasing.
    #[error("header entry {position} names {token} after {previous}")]
    NotIncreasing {
        /// Position of the offending entry.
        position: usize,
        /// Token of the entry before it.
        previous: TokenId,
        /// Token of the offending entry.
        token: TokenId,
    },
}

/// The fee recipients of a batch: at most 16 `(token, account)` pairs, tokens
/// strictly increasing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Header {
    fee_recipients: Vec<(TokenId, AccountIndex)>,
}

impl Header {
    /// A header naming `fee_recipients`, checked as the Rollup checks it.
    pub fn new(fee_recipients: Vec<(TokenId, AccountIndex)>) -> Result<Self, HeaderError> {
        if fee_recipients.len() > MAX_FEE_TOKENS {
            return Err(HeaderError::TooManyEntries(fee_recipients.len()));
        }
        for (position, pair) in fee_recipients.windows(2).enumerate() {
            if pair[1].0 <= pair[0].0 {
                return Err(HeaderError::NotIncreasing {
                    position: position + 1,
                    previous: pair[0].0,
                    token: pair[1].0,
                });
            }
        }
        Ok(Self { fee_recipients })
    }

    /// Decodes header bytes: `k ≤ 16` entries `token:u32 ‖ account:u32`.
    pub fn decode(bytes: &[u8]) -> Result<Self, HeaderError> {
        if !bytes.len().is_multiple_of(HEADER_ENTRY_SIZE) {
            return Err(HeaderError::Length(bytes.len()));
        }
        let count = bytes.len() / HEADER_ENTRY_SIZE;
        if count > MAX_FEE_TOKENS {
            return Err(HeaderError::TooManyEntries(count));
        }
        let entries = bytes
            .chunks_exact(HEADER_ENTRY_SIZE)
            .map(|e| {
                let token = u32::from_be_bytes([e[0], e[1], e[2], e[3]]);
                let account = u32::from_be_bytes([e[4], e[5], e[6], e[7]]);
                (TokenId(token), AccountIndex(account))
            })
            .collect();
        Self::new(entries)
    }

    /// The header bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.fee_recipients.len() * HEADER_ENTRY_SIZE);
        for (token, account) in &self.fee_recipients {
            out.extend_from_slice(&token.0.to_be_bytes());
            out.extend_from_slice(&account.0.to_be_bytes());
        }
        out
    }

    /// `headerHash = H(0x08 ‖ header)`.
    pub fn hash(&self) -> B256 {
        header_hash(&self.encode())
    }

    /// The account collecting fees in `token`, if the header names one.
    pub fn fee_recipient(&self, token: TokenId) -> Option<AccountIndex> {
        self.fee_recipients
            .binary_search_by_key(&token, |(t, _)| *t)
            .ok()
            .map(|i| self.fee_recipients[i].1)
    }

    /// The `(token, account)` entries, tokens increasing.
    pub fn fee_recipients(&self) -> &[(TokenId, AccountIndex)] {
        &self.fee_recipients
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_looks_up() {
        let h = Header::new(vec![
            (TokenId(0), AccountIndex(5)),
            (TokenId(3), AccountIndex(1)),
        ])
        .unwrap();
        let bytes = h.encode();
        assert_eq!(bytes, [0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 3, 0, 0, 0, 1]);
        assert_eq!(Header::decode(&bytes), Ok(h.clone()));
        assert_eq!(h.fee_recipient(TokenId(3)), Some(AccountIndex(1)));
        assert_eq!(h.fee_recipient(TokenId(1)), None);
    }

    #[test]
    fn rejects_what_the_rollup_rejects() {
        assert_eq!(Header::decode(&[0; 7]), Err(HeaderError::Length(7)));
        assert_eq!(
            Header::decode(&[0; 8 * 17]),
            Err(HeaderError::TooManyEntries(17))
        );
        let dup = [0u8; 16];
        assert_eq!(
            Header::decode(&dup),
            Err(HeaderError::NotIncreasing {
                position: 1,
                previous: TokenId(0),
                token: TokenId(0)
            })
        );
        assert_eq!(Header::decode(&[]), Ok(Header::default()));
    }
}
