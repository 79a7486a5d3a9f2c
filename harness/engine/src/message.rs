//! L1 messages queued by the bridge (PROTOCOL §4).

use core::fmt;

use alloy_primitives::{Address, B256, keccak256};

use crate::hash::tags;
use crate::leaf::be;
use crate::primitives::TokenId;

/// Deposit target meaning "create a new account" (`2^64 − 1`).
pub const NEW_ACCOUNT: u64 = u64::MAX;

/// The kind of an L1 message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MessageKind {
    /// Credits `amount` of `token` to `target`, or to a new account.
    Deposit = 1,
    /// Moves `amount` from the sender's account `target` to a withdrawal leaf.
    ForcedWithdrawal = 2,
}

impl MessageKind {
    /// The kind byte hashed into the message.
    pub fn as_u8(self) -> u8 {
        self as u8
    }
}

impl TryFrom<u8> for MessageKind {
    type Error = u8;

    /// Parses a kind byte; returns the byte itself when it names no kind.
    fn try_from(kind: u8) -> Result<Self, u8> {
        match kind {
            1 => Ok(Self::Deposit),
            2 => Ok(Self::ForcedWithdrawal),
            other => Err(other),
        }
    }
}

/// One message of the bridge's queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct L1Message {
    /// Position in the queue (0, 1, 2, ...).
    pub index: u64,
    /// Deposit or forced withdrawal.
    pub kind: MessageKind,
    /// L1 `msg.sender` that queued the message.
    pub sender: Address,
    /// Account index, or [`NEW_ACCOUNT`] for a deposit to a new account.
    pub target: u64,
    /// Token id.
    pub token: TokenId,
    /// Amount credited or withdrawn.
    pub amount: u128,
    /// L1 block timestamp when queued.
    pub queued_at: u64,
}

impl L1Message {
    /// Bytes of [`encode`](Self::encode).
    pub const ENCODED_SIZE: usize = 65;

    /// `H(0x05 ‖ index:u64 ‖ kind:u8 ‖ sender ‖ target:u64 ‖ token:u32 ‖ amount:u128 ‖ queuedAt:u64)`.
    pub fn hash(&self) -> B256 {
        let mut buf = [0u8; 1 + Self::ENCODED_SIZE];
        buf[0] = tags::MESSAGE;
        buf[1..].copy_from_slice(&self.encode());
        keccak256(buf)
    }

    /// The 65 bytes that follow the tag in the message preimage (a witness's message input, §8.2).
    pub fn encode(&self) -> [u8; Self::ENCODED_SIZE] {
        let mut buf = [0u8; Self::ENCODED_SIZE];
        buf[0..8].copy_from_slice(&self.index.to_be_bytes());
        buf[8] = self.kind.as_u8();
        buf[9..29].copy_from_slice(self.sender.as_slice());
        buf[29..37].copy_from_slice(&self.target.to_be_bytes());
        buf[37..41].copy_from_slice(&self.token.0.to_be_bytes());
        buf[41..57].copy_from_slice(&self.amount.to_be_bytes());
        buf[57..65].copy_from_slice(&self.queued_at.to_be_bytes());
        buf
    }

    /// The message whose [`encode`](Self::encode) is `bytes`; fails with the kind
    /// byte (at offset 8) when it is not 1 or 2.
    pub fn decode(bytes: &[u8; Self::ENCODED_SIZE]) -> Result<Self, u8> {
        let (index, rest) = bytes.split_at(8);
        let (kind, rest) = rest.split_at(1);
        let (sender, rest) = rest.split_at(20);
        let (target, rest) = rest.split_at(8);
        let (token, rest) = rest.split_at(4);
        let (amount, queued_at) = rest.split_at(16);
        Ok(Self {
            index: u64::from_be_bytes(be(index)),
            kind: MessageKind::try_from(kind[0])?,
            sender: Address::from_slice(sender),
            target: u64::from_be_bytes(be(target)),
            token: TokenId(u32::from_be_bytes(be(token))),
            amount: u128::from_be_bytes(be(amount)),
            queued_at: u64::from_be_bytes(be(queued_at)),
        })
    }
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Deposit => "deposit",
            Self::ForcedWithdrawal => "forced withdrawal",
        })
    }
}

impl fmt::Display for L1Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "message {}: {} of {} {} from {:#x} ",
            self.index, self.kind, self.amount, self.token, self.sender
        )?;
        match self.target {
            NEW_ACCOUNT => f.write_str("to a new account"),
            target => write!(f, "for account #{target}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_preimage_layout() {
        let msg = L1Message {
            index: 1,
            kind: MessageKind::ForcedWithdrawal,
            sender: Address::repeat_byte(0x11),
            target: NEW_ACCOUNT,
            token: TokenId(3),
            amount: 9,
            queued_at: 1000,
        };
        let mut pre = vec![0x05];
        pre.extend_from_slice(&1u64.to_be_bytes());
        pre.push(2);
        pre.extend_from_slice(&[0x11; 20]);
        pre.extend_from_slice(&[0xff; 8]);
        pre.extend_from_slice(&3u32.to_be_bytes());
        pre.extend_from_slice(&9u128.to_be_bytes());
        pre.extend_from_slice(&1000u64.to_be_bytes());
        assert_eq!(pre.len(), 66);
        assert_eq!(msg.hash(), keccak256(&pre));
    }

    #[test]
    fn message_round_trips_through_its_bytes() {
        let msg = L1Message {
            index: u64::MAX,
            kind: MessageKind::Deposit,
            sender: Address::repeat_byte(0x22),
            target: 7,
            token: TokenId(1),
            amount: u128::MAX,
            queued_at: 12,
        };
        let bytes = msg.encode();
        assert_eq!(L1Message::decode(&bytes), Ok(msg));
        let mut bad = bytes;
        bad[8] = 3;
        assert_eq!(L1Message::decode(&bad), Err(3));
    }

    #[test]
    fn kind_byte_round_trips() {
        assert_eq!(MessageKind::try_from(1), Ok(MessageKind::Deposit));
        assert_eq!(MessageKind::try_from(2), Ok(MessageKind::ForcedWithdrawal));
        assert_eq!(MessageKind::try_from(3), Err(3));
    }
}
