//! EIP-712 domain, transaction types and digests (PROTOCOL §5.1).

use std::sync::LazyLock;

use alloy_primitives::{Address, B256, keccak256};

use crate::params::{EIP712_NAME, EIP712_VERSION};
use crate::primitives::{AccountIndex, TokenId};

/// The EIP-712 domain type string.
pub const DOMAIN_TYPE: &str =
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";

/// The transfer type string.
pub const TRANSFER_TYPE: &str =
    "Transfer(uint32 from,uint32 to,uint32 token,uint128 amount,uint128 fee,uint32 nonce)";

/// The withdraw type string.
pub const WITHDRAW_TYPE: &str =
    "Withdraw(uint32 from,address recipient,uint128 amount,uint128 fee,uint32 nonce)";

static DOMAIN_TYPEHASH: LazyLock<B256> = LazyLock::new(|| keccak256(DOMAIN_TYPE));
static TRANSFER_TYPEHASH: LazyLock<B256> = LazyLock::new(|| keccak256(TRANSFER_TYPE));
static WITHDRAW_TYPEHASH: LazyLock<B256> = LazyLock::new(|| keccak256(WITHDRAW_TYPE));

/// `H(DOMAIN_TYPE)`.
pub fn domain_typehash() -> B256 {
    *DOMAIN_TYPEHASH
}

/// `H(TRANSFER_TYPE)`.
pub fn transfer_typehash() -> B256 {
    *TRANSFER_TYPEHASH
}

/// `H(WITHDRAW_TYPE)`.
pub fn withdraw_typehash() -> B256 {
    *WITHDRAW_TYPEHASH
}

/// The signing domain: the L1 chain id and the Rollup contract's address.
///
/// The separator is computed once, on construction, because every signature
/// check of a batch needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Domain {
    chain_id: u64,
    rollup: Address,
    separator: B256,
}

impl Domain {
    /// The domain of the Rollup at `rollup` on chain `chain_id`.
    pub fn new(chain_id: u64, rollup: Address) -> Self {
        let mut buf = [0u8; 5 * 32];
        buf[0..32].copy_from_slice(DOMAIN_TYPEHASH.as_slice());
        buf[32..64].copy_from_slice(keccak256(EIP712_NAME).as_slice());
        buf[64..96].copy_from_slice(keccak256(EIP712_VERSION).as_slice());
        buf[120..128].copy_from_slice(&chain_id.to_be_bytes());
        buf[140..160].copy_from_slice(rollup.as_slice());
        Self {
            chain_id,
            rollup,
            separator: keccak256(buf),
        }
    }

    /// The L1 chain id.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The Rollup contract's address (`verifyingContract`).
    pub fn rollup(&self) -> Address {
        self.rollup
    }

    /// The domain separator.
    pub fn separator(&self) -> B256 {
        self.separator
    }

    /// `H(0x19 ‖ 0x01 ‖ separator ‖ structHash)`.
    pub fn digest(&self, struct_hash: &B256) -> B256 {
        let mut buf = [0u8; 66];
        buf[0] = 0x19;
        buf[1] = 0x01;
        buf[2..34].copy_from_slice(self.separator.as_slice());
        buf[34..66].copy_from_slice(struct_hash.as_slice());
        keccak256(buf)
    }
}

/// A transfer between two accounts of one token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Transfer {
    /// Account debited; its owner signs.
    pub from: AccountIndex,
    /// Account credited.
    pub to: AccountIndex,
    /// Token moved.
    pub token: TokenId,
    /// Amount credited to `to`.
    pub amount: u128,
    /// Fee offered to the batch's fee recipient for `token`.
    pub fee: u128,
    /// Must equal the `from` account's nonce.
    pub nonce: u32,
}

impl Transfer {
    /// `H(transferTypehash ‖ from ‖ to ‖ token ‖ amount ‖ fee ‖ nonce)`, each a 32-byte word.
    pub fn struct_hash(&self) -> B256 {
        let mut buf = [0u8; 7 * 32];
        buf[0..32].copy_from_slice(TRANSFER_TYPEHASH.as_slice());
        put_u32(&mut buf, 1, self.from.0);
        put_u32(&mut buf, 2, self.to.0);
        put_u32(&mut buf, 3, self.token.0);
        put_u128(&mut buf, 4, self.amount);
        put_u128(&mut buf, 5, self.fee);
        put_u32(&mut buf, 6, self.nonce);
        keccak256(buf)
    }

    /// The digest an owner signs.
    pub fn digest(&self, domain: &Domain) -> B256 {
        domain.digest(&self.struct_hash())
    }
}

/// A withdrawal of an account's token to an L1 recipient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Withdraw {
    /// Account debited; its owner signs.
    pub from: AccountIndex,
    /// L1 address paid.
    pub recipient: Address,
    /// Amount withdrawn.
    pub amount: u128,
    /// Fee offered to the batch's fee recipient for the account's token.
    pub fee: u128,
    /// Must equal the `from` account's nonce.
    pub nonce: u32,
}

impl Withdraw {
    /// `H(withdrawTypehash ‖ from ‖ recipient ‖ amount ‖ fee ‖ nonce)`, each a 32-byte word.
    pub fn struct_hash(&self) -> B256 {
        let mut buf = [0u8; 6 * 32];
        buf[0..32].copy_from_slice(WITHDRAW_TYPEHASH.as_slice());
        put_u32(&mut buf, 1, self.from.0);
        buf[2 * 32 + 12..3 * 32].copy_from_slice(self.recipient.as_slice());
        put_u128(&mut buf, 3, self.amount);
        put_u128(&mut buf, 4, self.fee);
        put_u32(&mut buf, 5, self.nonce);
        keccak256(buf)
    }

    /// The digest an owner signs.
    pub fn digest(&self, domain: &Domain) -> B256 {
        domain.digest(&self.struct_hash())
    }
}

fn put_u32(buf: &mut [u8], word: usize, value: u32) {
    buf[word * 32 + 28..(word + 1) * 32].copy_from_slice(&value.to_be_bytes());
}

fn put_u128(buf: &mut [u8], word: usize, value: u128) {
    buf[word * 32 + 16..(word + 1) * 32].copy_from_slice(&value.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separator_follows_eip712_encoding() {
        let domain = Domain::new(31337, Address::repeat_byte(0x42));
        let mut enc = Vec::new();
        enc.extend_from_slice(keccak256(DOMAIN_TYPE).as_slice());
        enc.extend_from_slice(keccak256("Bulwark").as_slice());
        enc.extend_from_slice(keccak256("1").as_slice());
        let mut chain = [0u8; 32];
        chain[24..].copy_from_slice(&31337u64.to_be_bytes());
        enc.extend_from_slice(&chain);
        enc.extend_from_slice(&[0u8; 12]);
        enc.extend_from_slice(&[0x42; 20]);
        assert_eq!(domain.separator(), keccak256(&enc));
        assert_ne!(
            domain.separator(),
            Domain::new(1, Address::repeat_byte(0x42)).separator()
        );
    }

    #[test]
    fn digests_bind_every_field() {
        let domain = Domain::new(1, Address::ZERO);
        let t = Transfer {
            from: AccountIndex(1),
            to: AccountIndex(2),
            token: TokenId(0),
            amount: 3,
            fee: 4,
            nonce: 5,
        };
        let variants = [
            Transfer {
                from: AccountIndex(9),
                ..t
            },
            Transfer {
                to: AccountIndex(9),
                ..t
            },
            Transfer {
                token: TokenId(9),
                ..t
            },
            Transfer { amount: 9, ..t },
            Transfer { fee: 9, ..t },
            Transfer { nonce: 9, ..t },
        ];
        for v in variants {
            assert_ne!(v.digest(&domain), t.digest(&domain));
        }
        let w = Withdraw {
            from: AccountIndex(1),
            recipient: Address::repeat_byte(1),
            amount: 3,
            fee: 4,
            nonce: 5,
        };
        assert_ne!(
            Withdraw {
                recipient: Address::repeat_byte(2),
                ..w
            }
            .digest(&domain),
            w.digest(&domain)
        );
    }
}
