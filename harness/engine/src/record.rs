//! The record codec of PROTOCOL §6: fixed 128-byte records, decoded totally.

use alloy_primitives::Address;
use k256::ecdsa::SigningKey;

use crate::eip712::{Domain, Transfer, Withdraw};
use crate::outcome::SkipReason;
use crate::params::RECORD_SIZE;
use crate::primitives::{AccountIndex, TokenId};
use crate::signature::{SIGNATURE_LEN, sign};

/// One record of batch data.
pub type RecordBytes = [u8; RECORD_SIZE];

/// Kind byte of a transfer record.
pub const KIND_TRANSFER: u8 = 0x01;

/// Kind byte of a withdraw record.
pub const KIND_WITHDRAW: u8 = 0x02;

/// End of a transfer's fields; every later byte is zero.
const TRANSFER_END: usize = 114;

/// End of a withdraw's fields; every later byte is zero.
const WITHDRAW_END: usize = 126;

/// A transfer with the owner's signature, as carried in a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignedTransfer {
    /// The signed transaction.
    pub tx: Transfer,
    /// `r ‖ s ‖ v`, not yet checked.
    pub signature: [u8; SIGNATURE_LEN],
}

/// A withdraw with the owner's signature, as carried in a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignedWithdraw {
    /// The signed transaction.
    pub tx: Withdraw,
    /// `r ‖ s ‖ v`, not yet checked.
    pub signature: [u8; SIGNATURE_LEN],
}

/// What a record decodes to; decoding never fails the batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Record {
    /// Kind `0x01`.
    Transfer(SignedTransfer),
    /// Kind `0x02`.
    Withdraw(SignedWithdraw),
    /// All 128 bytes zero.
    Padding,
    /// Anything else; a no-op step with this reason.
    Malformed(SkipReason),
}

impl Record {
    /// Decodes one record (§6). Total: every byte string has one reading.
    pub fn decode(bytes: &RecordBytes) -> Self {
        let mut r = Reader { bytes, at: 1 };
        match bytes[0] {
            0 if bytes.iter().all(|&b| b == 0) => Self::Padding,
            0 => Self::Malformed(SkipReason::NonZeroPadding),
            KIND_TRANSFER if zero_from(bytes, TRANSFER_END) => Self::Transfer(SignedTransfer {
                tx: Transfer {
                    from: AccountIndex(r.u32()),
                    to: AccountIndex(r.u32()),
                    token: TokenId(r.u32()),
                    amount: r.u128(),
                    fee: r.u128(),
                    nonce: r.u32(),
                },
                signature: r.signature(),
            }),
            KIND_WITHDRAW if zero_from(bytes, WITHDRAW_END) => Self::Withdraw(SignedWithdraw {
                tx: Withdraw {
                    from: AccountIndex(r.u32()),
                    recipient: r.address(),
                    amount: r.u128(),
                    fee: r.u128(),
                    nonce: r.u32(),
                },
                signature: r.signature(),
            }),
            KIND_TRANSFER | KIND_WITHDRAW => Self::Malformed(SkipReason::NonZeroPadding),
            kind => Self::Malformed(SkipReason::UnknownKind(kind)),
        }
    }
}

impl SignedTransfer {
    /// Signs `tx` for `domain` with `key` (a helper for tests and tools).
    pub fn sign(tx: Transfer, domain: &Domain, key: &SigningKey) -> Self {
        Self {
            tx,
            signature: sign(&tx.digest(domain), key),
        }
    }

    /// The 128-byte record.
    pub fn encode(&self) -> RecordBytes {
        let mut w = Writer::new(KIND_TRANSFER);
        w.put(&self.tx.from.0.to_be_bytes());
        w.put(&self.tx.to.0.to_be_bytes());
        w.put(&self.tx.token.0.to_be_bytes());
        w.put(&self.tx.amount.to_be_bytes());
        w.put(&self.tx.fee.to_be_bytes());
        w.put(&self.tx.nonce.to_be_bytes());
        w.put(&self.signature);
        debug_assert_eq!(w.at, TRANSFER_END);
        w.bytes
    }
}

impl SignedWithdraw {
    /// Signs `tx` for `domain` with `key` (a helper for tests and tools).
    pub fn sign(tx: Withdraw, domain: &Domain, key: &SigningKey) -> Self {
        Self {
            tx,
            signature: sign(&tx.digest(domain), key),
        }
    }

    /// The 128-byte record.
    pub fn encode(&self) -> RecordBytes {
        let mut w = Writer::new(KIND_WITHDRAW);
        w.put(&self.tx.from.0.to_be_bytes());
        w.put(self.tx.recipient.as_slice());
        w.put(&self.tx.amount.to_be_bytes());
        w.put(&self.tx.fee.to_be_bytes());
        w.put(&self.tx.nonce.to_be_bytes());
        w.put(&self.signature);
        debug_assert_eq!(w.at, WITHDRAW_END);
        w.bytes
    }
}

fn zero_from(bytes: &RecordBytes, end: usize) -> bool {
    bytes[end..].iter().all(|&b| b == 0)
}

/// Reads fixed-width big-endian fields; offsets are constants within 128 bytes.
struct Reader<'a> {
    bytes: &'a RecordBytes,
    at: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        out.copy_from_slice(&self.bytes[self.at..self.at + N]);
        self.at += N;
        out
    }

    fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.take())
    }

    fn u128(&mut self) -> u128 {
        u128::from_be_bytes(self.take())
    }

    fn address(&mut self) -> Address {
        Address::from(self.take::<20>())
    }

    fn signature(&mut self) -> [u8; SIGNATURE_LEN] {
        self.take()
    }
}

struct Writer {
    bytes: RecordBytes,
    at: usize,
}

impl Writer {
    fn new(kind: u8) -> Self {
        let mut bytes = [0u8; RECORD_SIZE];
        bytes[0] = kind;
        Self { bytes, at: 1 }
    }

    fn put(&mut self, field: &[u8]) {
        self.bytes[self.at..self.at + field.len()].copy_from_slice(field);
        self.at += field.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transfer() -> SignedTransfer {
        SignedTransfer {
            tx: Transfer {
                from: AccountIndex(1),
                to: AccountIndex(2),
                token: TokenId(3),
                amount: 4,
                fee: 5,
                nonce: 6,
            },
            signature: [0x77; 65],
        }
    }

    fn withdraw() -> SignedWithdraw {
        SignedWithdraw {
            tx: Withdraw {
                from: AccountIndex(1),
                recipient: Address::repeat_byte(9),
                amount: 4,
                fee: 5,
                nonce: 6,
            },
            signature: [0x66; 65],
        }
    }

    #[test]
    fn signed_records_round_trip_at_spec_offsets() {
        let bytes = transfer().encode();
        assert_eq!(bytes[0], 1);
        assert_eq!(&bytes[45..49], &6u32.to_be_bytes());
        assert_eq!(&bytes[49..114], &[0x77; 65]);
        assert_eq!(Record::decode(&bytes), Record::Transfer(transfer()));
        let bytes = withdraw().encode();
        assert_eq!(&bytes[5..25], &[9; 20]);
        assert_eq!(&bytes[61..126], &[0x66; 65]);
        assert_eq!(Record::decode(&bytes), Record::Withdraw(withdraw()));
    }

    #[test]
    fn trailing_bytes_make_a_record_malformed() {
        let mut t = transfer().encode();
        t[TRANSFER_END] = 1;
        assert_eq!(
            Record::decode(&t),
            Record::Malformed(SkipReason::NonZeroPadding)
        );
        let mut w = withdraw().encode();
        w[127] = 1;
        assert_eq!(
            Record::decode(&w),
            Record::Malformed(SkipReason::NonZeroPadding)
        );
        let mut p = [0u8; 128];
        assert_eq!(Record::decode(&p), Record::Padding);
        p[127] = 1;
        assert_eq!(
            Record::decode(&p),
            Record::Malformed(SkipReason::NonZeroPadding)
        );
        p[0] = 3;
        assert_eq!(
            Record::decode(&p),
            Record::Malformed(SkipReason::UnknownKind(3))
        );
    }
}
