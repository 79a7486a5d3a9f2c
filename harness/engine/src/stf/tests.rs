//! One test per rule of §7, on a state built through the STF itself.

use alloy_primitives::Address;
use k256::ecdsa::SigningKey;

use super::{Step, apply_step};
use crate::eip712::{Domain, Transfer, Withdraw};
use crate::header::Header;
use crate::leaf::AccountLeaf;
use crate::message::{L1Message, MessageKind, NEW_ACCOUNT};
use crate::outcome::{Outcome, SkipReason};
use crate::primitives::{AccountIndex, TokenId, WithdrawalIndex};
use crate::record::{SignedTransfer, SignedWithdraw};
use crate::signature::address_of;
use crate::state::State;

struct World {
    state: State,
    domain: Domain,
    keys: Vec<SigningKey>,
    header: Header,
}

fn key(i: usize) -> SigningKey {
    SigningKey::from_bytes(&[i as u8 + 1; 32].into()).unwrap()
}

impl World {
    /// Accounts 0..n, account i owned by key i, holding 1000 of token 0.
    fn new(n: usize) -> Self {
        let mut world = Self {
            state: State::genesis(),
            domain: Domain::new(31337, Address::repeat_byte(0x42)),
            keys: (0..4).map(key).collect(),
            header: Header::default(),
        };
        for i in 0..n {
            assert_eq!(world.deposit(i, NEW_ACCOUNT, 0, 1000), Outcome::Applied);
        }
        world
    }

    fn addr(&self, i: usize) -> Address {
        address_of(&self.keys[i])
    }

    fn message(
        &mut self,
        kind: MessageKind,
        sender: usize,
        target: u64,
        token: u32,
        amount: u128,
    ) -> Outcome {
        let message = L1Message {
            index: self.state.msgs_consumed(),
            kind,
            sender: self.addr(sender),
            target,
            token: TokenId(token),
            amount,
            queued_at: 0,
        };
        let before = self.state.msgs_consumed();
        let outcome = apply_step(
            &mut self.state,
            &self.domain,
            &self.header,
            &Step::Message(message),
        );
        assert_eq!(
            self.state.msgs_consumed(),
            before + 1,
            "a message is always consumed"
        );
        outcome
    }

    fn deposit(&mut self, sender: usize, target: u64, token: u32, amount: u128) -> Outcome {
        self.message(MessageKind::Deposit, sender, target, token, amount)
    }

    fn forced(&mut self, sender: usize, target: u64, token: u32, amount: u128) -> Outcome {
        self.message(MessageKind::ForcedWithdrawal, sender, target, token, amount)
    }

    fn record(&mut self, record: [u8; 128]) -> Outcome {
        let root = self.state.root();
        let outcome = apply_step(
            &mut self.state,
            &self.domain,
            &self.header,
            &Step::Record(record),
        );
        if !outcome.is_applied() {
            assert_eq!(self.state.root(), root, "a skipped record changes nothing");
        }
        outcome
    }

    fn transfer(
        &mut self,
        signer: usize,
        from: u32,
        to: u32,
        amount: u128,
        fee: u128,
        nonce: u32,
    ) -> Outcome {
        let tx = Transfer {
            from: AccountIndex(from),
            to: AccountIndex(to),
            token: TokenId(0),
            amount,
            fee,
            nonce,
        };
        self.record(SignedTransfer::sign(tx, &self.domain, &self.keys[signer]).encode())
    }

    fn withdraw(
        &mut self,
        signer: usize,
        from: u32,
        recipient: Address,
        amount: u128,
        fee: u128,
        nonce: u32,
    ) -> Outcome {
        let tx = Withdraw {
            from: AccountIndex(from),
            recipient,
            amount,
            fee,
            nonce,
        };
        self.record(SignedWithdraw::sign(tx, &self.domain, &self.keys[signer]).encode())
    }

    fn account(&self, i: u32) -> AccountLeaf {
        *self.state.account(AccountIndex(i)).unwrap()
    }

    fn balance(&self, i: u32) -> u128 {
        self.account(i).balance
    }
}

fn skipped(reason: SkipReason) -> Outcome {
    Outcome::Skipped(reason)
}

#[test]
fn deposit_credits_existing_account_of_same_token() {
    let mut w = World::new(1);
    assert_eq!(w.deposit(1, 0, 0, 5), Outcome::Applied);
    assert_eq!(w.balance(0), 1005);
    assert_eq!(w.account(0).owner, w.addr(0), "crediting keeps the owner");
    assert_eq!(w.state.next_account_index(), 1);
}

#[test]
fn deposit_that_cannot_credit_creates_account_for_sender() {
    let mut w = World::new(1);
    w.deposit(1, 0, 7, 5); // other token
    w.deposit(1, 99, 0, 6); // past nextAccountIndex
    w.deposit(1, 0, 0, u128::MAX); // overflow
    assert_eq!(w.state.next_account_index(), 4);
    assert_eq!(
        w.account(1),
        AccountLeaf {
            owner: w.addr(1),
            token: TokenId(7),
            balance: 5,
            nonce: 0
        }
    );
    assert_eq!(w.balance(2), 6);
    assert_eq!(w.balance(3), u128::MAX);
    assert_eq!(w.balance(0), 1000);
}

#[test]
fn forced_withdrawal_moves_balance_to_a_withdrawal_leaf() {
    let mut w = World::new(2);
    assert_eq!(w.forced(1, 1, 0, 300), Outcome::Applied);
    assert_eq!(w.balance(1), 700);
    assert_eq!(w.account(1).nonce, 0, "nonce unchanged");
    let leaf = w.state.withdrawal(WithdrawalIndex(0)).unwrap();
    assert_eq!(
        (leaf.recipient, leaf.token, leaf.amount),
        (w.addr(1), TokenId(0), 300)
    );
}

#[test]
fn forced_withdrawal_checks_in_order() {
    let mut w = World::new(2);
    w.deposit(1, NEW_ACCOUNT, 5, 10); // account 2: key 1, token 5
    assert_eq!(w.forced(1, 3, 0, 1), skipped(SkipReason::NoSuchAccount(3)));
    assert_eq!(
        w.forced(0, 1, 0, 1),
        skipped(SkipReason::NotOwner {
            sender: w.addr(0),
            owner: w.addr(1)
        })
    );
    let mismatch = SkipReason::TokenMismatch {
        account: AccountIndex(2),
        holds: TokenId(5),
        wanted: TokenId(0),
    };
    assert_eq!(w.forced(1, 2, 0, 1), skipped(mismatch));
    assert_eq!(
        w.forced(1, 1, 0, 1001),
        skipped(SkipReason::Overdraft {
            balance: 1000,
            amount: 1001,
            fee: 0
        })
    );
    assert_eq!(w.state.withdrawal_count(), 0);
}

#[test]
fn transfer_moves_amount_and_bumps_nonce() {
    let mut w = World::new(2);
    assert_eq!(w.transfer(0, 0, 1, 250, 0, 0), Outcome::Applied);
    assert_eq!((w.balance(0), w.balance(1)), (750, 1250));
    assert_eq!(w.account(0).nonce, 1);
    assert_eq!(
        w.transfer(0, 0, 1, 1, 0, 0),
        skipped(SkipReason::BadNonce {
            expected: 1,
            got: 0
        }),
        "replay"
    );
}

#[test]
fn fee_is_charged_only_with_a_named_recipient() {
    let mut w = World::new(3);
    assert_eq!(w.transfer(0, 0, 1, 100, 7, 0), Outcome::Applied);
    assert_eq!(w.balance(0), 900, "no recipient named: no fee");
    w.header = Header::new(vec![(TokenId(0), AccountIndex(2))]).unwrap();
    assert_eq!(w.transfer(0, 0, 1, 100, 7, 1), Outcome::Applied);
    assert_eq!(
        (w.balance(0), w.balance(1), w.balance(2)),
        (793, 1200, 1007)
    );
    w.header = Header::new(vec![(TokenId(0), AccountIndex(9))]).unwrap();
    assert_eq!(
        w.transfer(0, 0, 1, 1, 1, 2),
        skipped(SkipReason::NoSuchAccount(9))
    );
    assert_eq!(
        w.transfer(0, 0, 1, 1, 0, 2),
        Outcome::Applied,
        "zero fee needs no recipient"
    );
}

#[test]
fn from_to_and_fee_recipient_may_alias() {
    let mut w = World::new(1);
    w.header = Header::new(vec![(TokenId(0), AccountIndex(0))]).unwrap();
    assert_eq!(w.transfer(0, 0, 0, 400, 600, 0), Outcome::Applied);
    assert_eq!(w.balance(0), 1000);
    assert_eq!(w.account(0).nonce, 1);
    assert_eq!(
        w.transfer(0, 0, 0, 400, 601, 1),
        skipped(SkipReason::Overdraft {
            balance: 1000,
            amount: 400,
            fee: 601
        })
    );
}

#[test]
fn failed_credit_discards_the_debit() {
    let mut w = World::new(1);
    w.deposit(1, NEW_ACCOUNT, 0, u128::MAX - 10); // account 1 near the top
    assert_eq!(
        w.transfer(0, 0, 1, 11, 0, 0),
        skipped(SkipReason::CreditOverflow(AccountIndex(1)))
    );
    assert_eq!((w.balance(0), w.account(0).nonce), (1000, 0));
    w.deposit(2, NEW_ACCOUNT, 3, 1); // account 2 holds token 3
    w.header = Header::new(vec![(TokenId(0), AccountIndex(2))]).unwrap();
    let mismatch = SkipReason::TokenMismatch {
        account: AccountIndex(2),
        holds: TokenId(3),
        wanted: TokenId(0),
    };
    assert_eq!(w.transfer(0, 0, 1, 1, 1, 0), skipped(mismatch));
    assert_eq!((w.balance(0), w.balance(1)), (1000, u128::MAX - 10));
}

#[test]
fn transfer_checks_signer_token_and_existence() {
    let mut w = World::new(2);
    assert_eq!(
        w.transfer(1, 0, 1, 1, 0, 0),
        skipped(SkipReason::WrongSigner {
            signer: w.addr(1),
            owner: w.addr(0)
        })
    );
    assert_eq!(
        w.transfer(0, 0, 5, 1, 0, 0),
        skipped(SkipReason::NoSuchAccount(5))
    );
    assert_eq!(
        w.transfer(0, 5, 0, 1, 0, 0),
        skipped(SkipReason::NoSuchAccount(5))
    );
    let tx = Transfer {
        from: AccountIndex(0),
        to: AccountIndex(1),
        token: TokenId(4),
        amount: 1,
        fee: 0,
        nonce: 0,
    };
    let record = SignedTransfer::sign(tx, &w.domain, &w.keys[0]).encode();
    let mismatch = SkipReason::TokenMismatch {
        account: AccountIndex(0),
        holds: TokenId(0),
        wanted: TokenId(4),
    };
    assert_eq!(w.record(record), skipped(mismatch));
    let mut bad_v = record;
    bad_v[113] = 1;
    assert_eq!(w.record(bad_v), skipped(SkipReason::SignatureV(1)));
}

#[test]
fn withdraw_appends_a_leaf_in_the_accounts_token() {
    let mut w = World::new(2);
    w.header = Header::new(vec![(TokenId(0), AccountIndex(1))]).unwrap();
    let to = Address::repeat_byte(0xee);
    assert_eq!(w.withdraw(0, 0, to, 300, 5, 0), Outcome::Applied);
    assert_eq!((w.balance(0), w.balance(1)), (695, 1005));
    let leaf = *w.state.withdrawal(WithdrawalIndex(0)).unwrap();
    assert_eq!(
        (leaf.index, leaf.recipient, leaf.token, leaf.amount),
        (WithdrawalIndex(0), to, TokenId(0), 300)
    );
    assert_eq!(
        w.withdraw(0, 0, to, 0, 0, 1),
        skipped(SkipReason::ZeroAmount)
    );
    assert_eq!(
        w.withdraw(0, 0, Address::ZERO, 1, 0, 1),
        skipped(SkipReason::ZeroRecipient)
    );
    assert_eq!(
        w.withdraw(0, 0, to, 696, 0, 1),
        skipped(SkipReason::Overdraft {
            balance: 695,
            amount: 696,
            fee: 0
        })
    );
    assert_eq!(w.withdraw(0, 0, to, 695, 0, 1), Outcome::Applied);
    assert_eq!(w.state.withdrawal_count(), 2);
}

#[test]
fn padding_and_identity_change_nothing() {
    let mut w = World::new(1);
    let root = w.state.root();
    assert_eq!(w.record([0; 128]), Outcome::Applied);
    assert_eq!(
        apply_step(&mut w.state, &w.domain, &w.header, &Step::Identity),
        Outcome::Applied
    );
    assert_eq!(w.state.root(), root);
    assert_eq!(w.record([9; 128]), skipped(SkipReason::UnknownKind(9)));
}
