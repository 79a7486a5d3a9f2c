//! Witness bytes (PROTOCOL §8.2): the one byte string a Solidity one-step
//! reads, written by [`StepWitness::encode`] and read by [`StepWitness::decode`].
//!
//! `pre ‖ input ‖ opening*`, big-endian, no padding. Which input follows `pre`
//! is the anchor's business ([`InputKind`]), never the witness's. Decoding
//! only parses: whether the parts prove the step is [`verify_step`](super::verify_step)'s.

use core::fmt;

use alloy_primitives::B256;

use super::{InputKind, Opening, OpeningKind, StepInput, StepWitness};
use crate::batch::RecordPath;
use crate::header::{Header, HeaderError};
use crate::leaf::{AccountLeaf, StatePreimage, be};
use crate::message::L1Message;
use crate::params::{DATA_DEPTH, RECORD_SIZE, TREE_DEPTH};
use crate::tree::Siblings;

/// Bytes of `pre`, the pre-state preimage.
pub const PRE_SIZE: usize = 88;
/// Bytes of a message input.
pub const MESSAGE_INPUT_SIZE: usize = L1Message::ENCODED_SIZE;
/// Bytes of a record input before its header: position, record, path, header length.
pub const RECORD_INPUT_FIXED_SIZE: usize = 4 + RECORD_SIZE + DATA_DEPTH * 32 + 1;
/// Bytes of an account opening (kind byte, leaf, siblings).
pub const ACCOUNT_OPENING_SIZE: usize = 1 + AccountLeaf::ENCODED_SIZE + SIBLINGS_SIZE;
/// Bytes of an empty-position opening (kind byte, siblings).
pub const EMPTY_OPENING_SIZE: usize = 1 + SIBLINGS_SIZE;

const SIBLINGS_SIZE: usize = TREE_DEPTH * 32;
const PATH_SIZE: usize = DATA_DEPTH * 32;

/// A field of the witness bytes, named in decode errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WitnessField {
    /// The 88-byte pre-state preimage.
    Pre,
    /// The 65-byte message input.
    Message,
    /// A record input's `position:u32`.
    RecordPosition,
    /// A record input's 128 record bytes.
    Record,
    /// A record input's 9-sibling path.
    RecordPath,
    /// A record input's `headerLength:u8`.
    HeaderLength,
    /// A record input's header bytes.
    Header,
    /// An opening's kind byte.
    OpeningKind,
    /// An account opening's leaf (owner, token, balance, nonce).
    AccountLeaf,
    /// An opening's 32 siblings.
    Siblings,
}

impl fmt::Display for WitnessField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Pre => "pre-state preimage",
            Self::Message => "message",
            Self::RecordPosition => "record position",
            Self::Record => "record",
            Self::RecordPath => "record path",
            Self::HeaderLength => "header length",
            Self::Header => "header",
            Self::OpeningKind => "opening kind",
            Self::AccountLeaf => "account leaf",
            Self::Siblings => "siblings",
        })
    }
}

/// Why bytes are not a witness of the §8.2 layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WitnessDecodeError {
    /// The bytes end inside a field (`WitnessTruncated` on chain).
    #[error(
        "witness ends inside the {field} at byte {offset}: {needed} bytes needed, {available} left"
    )]
    Truncated {
        /// The field cut short.
        field: WitnessField,
        /// Where it starts.
        offset: usize,
        /// Its size.
        needed: usize,
        /// Bytes left from `offset`.
        available: usize,
    },
    /// A message's kind byte is not 1 or 2 (`UnknownMessageKind` on chain).
    #[error("message kind byte {kind} at byte {offset} is not 1 or 2")]
    UnknownMessageKind {
        /// Where the kind byte is.
        offset: usize,
        /// The byte.
        kind: u8,
    },
    /// A record input's header is not a header the Rollup accepts. On chain
    /// such a header cannot hash into a committed `dataRoot` (`RecordProofMismatch`).
    #[error("header at byte {offset}: {error}")]
    BadHeader {
        /// Where the header bytes start.
        offset: usize,
        /// What is wrong with them.
        error: HeaderError,
    },
    /// An opening's kind byte is not 1, 2 or 3 (`UnexpectedOpening` on chain).
    #[error("opening kind byte {kind} at byte {offset} is not 1, 2 or 3")]
    UnknownOpeningKind {
        /// Where the kind byte is.
        offset: usize,
        /// The byte.
        kind: u8,
    },
}

impl OpeningKind {
    /// The kind byte that starts an opening of this kind.
    pub fn byte(self) -> u8 {
        match self {
            Self::Account => 1,
            Self::EmptyAccount => 2,
            Self::EmptyWithdrawal => 3,
        }
    }

    /// The kind a byte names, if any.
    pub fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(Self::Account),
            2 => Some(Self::EmptyAccount),
            3 => Some(Self::EmptyWithdrawal),
            _ => None,
        }
    }
}

impl StepWitness {
    /// The witness bytes of §8.2: `pre ‖ input ‖ opening*`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        out.extend_from_slice(&self.pre.encode());
        match &self.input {
            StepInput::Message(message) => out.extend_from_slice(&message.encode()),
            StepInput::Record {
                position,
                record,
                path,
                header,
            } => {
                out.extend_from_slice(&position.to_be_bytes());
                out.extend_from_slice(record);
                path.iter()
                    .for_each(|word| out.extend_from_slice(word.as_slice()));
                let header = header.encode();
                // A header has at most 16 entries of 8 bytes, so its length fits a byte.
                out.push(header.len() as u8);
                out.extend_from_slice(&header);
            }
            StepInput::Identity => {}
        }
        for opening in &self.openings {
            out.push(opening.kind().byte());
            let siblings = match opening {
                Opening::Account { leaf, siblings } => {
                    out.extend_from_slice(&leaf.encode());
                    siblings
                }
                Opening::EmptyAccount { siblings } | Opening::EmptyWithdrawal { siblings } => {
                    siblings
                }
            };
            siblings
                .iter()
                .for_each(|word| out.extend_from_slice(word.as_slice()));
        }
        out
    }

    /// Length of [`encode`](Self::encode)'s output.
    pub fn encoded_len(&self) -> usize {
        let input = match &self.input {
            StepInput::Message(_) => MESSAGE_INPUT_SIZE,
            StepInput::Record { header, .. } => {
                RECORD_INPUT_FIXED_SIZE + header.fee_recipients().len() * 8
            }
            StepInput::Identity => 0,
        };
        let openings: usize = self
            .openings
            .iter()
            .map(|opening| match opening {
                Opening::Account { .. } => ACCOUNT_OPENING_SIZE,
                _ => EMPTY_OPENING_SIZE,
            })
            .sum();
        PRE_SIZE + input + openings
    }

    /// Reads witness bytes whose input is of `kind` (what the step's anchor
    /// implies). Total: any bytes give a witness or an error, never a panic.
    pub fn decode(bytes: &[u8], kind: InputKind) -> Result<Self, WitnessDecodeError> {
        let mut reader = Reader { bytes, offset: 0 };
        let pre = StatePreimage::decode(reader.take(WitnessField::Pre)?);
        let input = match kind {
            InputKind::Message => {
                let offset = reader.offset;
                let message =
                    L1Message::decode(reader.take(WitnessField::Message)?).map_err(|kind| {
                        WitnessDecodeError::UnknownMessageKind {
                            offset: offset + 8,
                            kind,
                        }
                    })?;
                StepInput::Message(message)
            }
            InputKind::Record => {
                let position = u32::from_be_bytes(*reader.take(WitnessField::RecordPosition)?);
                let record = *reader.take(WitnessField::Record)?;
                let path: RecordPath = words(reader.take::<PATH_SIZE>(WitnessField::RecordPath)?);
                let [length] = *reader.take(WitnessField::HeaderLength)?;
                let offset = reader.offset;
                let header = reader.take_slice(usize::from(length), WitnessField::Header)?;
                let header = Header::decode(header)
                    .map_err(|error| WitnessDecodeError::BadHeader { offset, error })?;
                StepInput::Record {
                    position,
                    record,
                    path,
                    header,
                }
            }
            InputKind::Identity => StepInput::Identity,
        };
        let mut openings = Vec::new();
        while !reader.is_empty() {
            let offset = reader.offset;
            let [byte] = *reader.take(WitnessField::OpeningKind)?;
            let kind = OpeningKind::from_byte(byte)
                .ok_or(WitnessDecodeError::UnknownOpeningKind { offset, kind: byte })?;
            let opening = match kind {
                OpeningKind::Account => {
                    let leaf = AccountLeaf::decode(reader.take(WitnessField::AccountLeaf)?);
                    let siblings = reader.siblings()?;
                    Opening::Account { leaf, siblings }
                }
                OpeningKind::EmptyAccount => Opening::EmptyAccount {
                    siblings: reader.siblings()?,
                },
                OpeningKind::EmptyWithdrawal => Opening::EmptyWithdrawal {
                    siblings: reader.siblings()?,
                },
            };
            openings.push(opening);
        }
        Ok(Self {
            pre,
            input,
            openings,
        })
    }
}

/// A cursor over witness bytes that never reads past their end.
struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.offset..).unwrap_or_default()
    }

    fn is_empty(&self) -> bool {
        self.rest().is_empty()
    }

    fn truncated(&self, field: WitnessField, needed: usize) -> WitnessDecodeError {
        WitnessDecodeError::Truncated {
            field,
            offset: self.offset,
            needed,
            available: self.rest().len(),
        }
    }

    /// The next `N` bytes, as `field`.
    fn take<const N: usize>(
        &mut self,
        field: WitnessField,
    ) -> Result<&'a [u8; N], WitnessDecodeError> {
        let (head, _) = self
            .rest()
            .split_first_chunk::<N>()
            .ok_or_else(|| self.truncated(field, N))?;
        self.offset += N;
        Ok(head)
    }

    /// The next `len` bytes, as `field`.
    fn take_slice(
        &mut self,
        len: usize,
        field: WitnessField,
    ) -> Result<&'a [u8], WitnessDecodeError> {
        let head = self
            .rest()
            .get(..len)
            .ok_or_else(|| self.truncated(field, len))?;
        self.offset += len;
        Ok(head)
    }

    fn siblings(&mut self) -> Result<Siblings, WitnessDecodeError> {
        Ok(words(self.take::<SIBLINGS_SIZE>(WitnessField::Siblings)?))
    }
}

/// `K` 32-byte words from exactly `32·K` bytes.
fn words<const K: usize>(bytes: &[u8]) -> [B256; K] {
    let mut out = [B256::ZERO; K];
    for (word, chunk) in out.iter_mut().zip(bytes.chunks_exact(32)) {
        *word = B256::from(be::<32>(chunk));
    }
    out
}
