//! Fixed one-step cases, one per skip reason a one-step can meet and a few
//! applied edges, so that a disagreement names the rule. Steps the engine
//! cannot reach from a small state (full trees, `msgsConsumed` at `2^64 − 1`)
//! are the engine's witness of a nearby step with its preimage edited: the
//! checks that decide them come before any opening is needed.
//!
//! `SignatureLength` has no case: a record always carries 65 signature bytes.

use bulwark_engine::hash::empty_subtrees;
use bulwark_engine::signature::recover_signer;
use bulwark_engine::{
    AccountIndex, AccountLeaf, Address, B256, Domain, Header, L1Message, MessageKind, NEW_ACCOUNT,
    Opening, Record, RecordBytes, SignedTransfer, SignedWithdraw, SkipReason, State, StepAnchor,
    StepInput, StepWitness, TokenId, Transfer, Withdraw, WithdrawalIndex, WithdrawalLeaf,
};

use super::build::{Built, SIGNERS, mangled};
use super::plan::Mangle;

/// One fixed case: what the engine must say, and the step to ask both sides about.
pub struct Fixed {
    /// The rule, in words.
    pub name: &'static str,
    /// The engine's expected outcome name, or `rejected: <error>`.
    pub expect: &'static str,
    /// The agreed pre-root.
    pub pre_root: B256,
    /// What the chain knows of the step.
    pub anchor: StepAnchor,
    /// The witness.
    pub witness: StepWitness,
}

const FULL: u64 = 1 << 32;

fn leaf(key: usize, token: u32, balance: u128, nonce: u32) -> AccountLeaf {
    AccountLeaf {
        owner: SIGNERS[key].1,
        token: TokenId(token),
        balance,
        nonce,
    }
}

/// Five accounts (#0 and #3 share key 0) and one withdrawal leaf.
fn state(withdrawals: bool, msgs_consumed: u64) -> State {
    let accounts = vec![
        leaf(0, 0, 1_000, 0),
        leaf(1, 0, u128::MAX - 5, 0),
        leaf(2, 1, 50, u32::MAX),
        leaf(0, 0, 10, u32::MAX - 1),
        leaf(3, 1, 7, 0),
    ];
    let withdrawals = match withdrawals {
        true => vec![WithdrawalLeaf {
            index: WithdrawalIndex(0),
            recipient: SIGNERS[1].1,
            token: TokenId(0),
            amount: 5,
        }],
        false => Vec::new(),
    };
    State::from_leaves(accounts, withdrawals, msgs_consumed).expect("few leaves")
}

fn header(entries: &[(u32, u32)]) -> Header {
    let entries = entries
        .iter()
        .map(|&(t, a)| (TokenId(t), AccountIndex(a)))
        .collect();
    Header::new(entries).expect("sorted entries")
}

fn transfer(
    domain: &Domain,
    (from, to, token): (u32, u32, u32),
    amount: u128,
    fee: u128,
    nonce: u32,
    key: usize,
) -> RecordBytes {
    let tx = Transfer {
        from: AccountIndex(from),
        to: AccountIndex(to),
        token: TokenId(token),
        amount,
        fee,
        nonce,
    };
    SignedTransfer::sign(tx, domain, &SIGNERS[key].0).encode()
}

fn withdraw(
    domain: &Domain,
    from: u32,
    recipient: Address,
    amount: u128,
    fee: u128,
    nonce: u32,
) -> RecordBytes {
    let tx = Withdraw {
        from: AccountIndex(from),
        recipient,
        amount,
        fee,
        nonce,
    };
    SignedWithdraw::sign(tx, domain, &SIGNERS[0].0).encode()
}

/// A transfer of 1 from #0 to #1, signed by its owner, with its signature mangled.
fn bad_signature(domain: &Domain, mangle: Mangle) -> RecordBytes {
    mangled(transfer(domain, (0, 1, 0), 1, 0, 0, 0), 49, 28, mangle)
}

/// The transfer of [`bad_signature`] with `r` the smallest x coordinate that has no curve point.
fn unrecoverable(domain: &Domain) -> RecordBytes {
    let good = transfer(domain, (0, 1, 0), 1, 0, 0, 0);
    let Record::Transfer(signed) = Record::decode(&good) else {
        unreachable!("a signed transfer decodes as one")
    };
    let digest = signed.tx.digest(domain);
    (1u8..=255)
        .map(|x| {
            let mut r = [0u8; 32];
            r[31] = x;
            mangled(good, 49, 28, Mangle::RandomR(r))
        })
        .find(|record| recover_signer(&digest, &record[49..114]) == Err(SkipReason::RecoveryFailed))
        .expect("about half of all x have no point")
}

fn message(kind: MessageKind, key: usize, target: u64, token: u32, amount: u128) -> L1Message {
    L1Message {
        index: 0,
        kind,
        sender: SIGNERS[key].1,
        target,
        token: TokenId(token),
        amount,
        queued_at: 1_700_000_000,
    }
}

/// Collects the fixed cases, building each witness in one domain.
struct Cases<'d> {
    domain: &'d Domain,
    list: Vec<Fixed>,
}

impl Cases<'_> {
    /// The step of `built`, whose engine outcome must be `expect`.
    fn add(&mut self, name: &'static str, expect: &'static str, built: Built) {
        self.edited(name, expect, built, |_| {});
    }

    /// [`add`](Self::add) with the witness edited first (the anchor follows an edited message).
    fn edited(
        &mut self,
        name: &'static str,
        expect: &'static str,
        built: Built,
        edit: impl FnOnce(&mut StepWitness),
    ) {
        let mut witness = built.witness(self.domain);
        edit(&mut witness);
        let anchor = match &witness.input {
            StepInput::Message(message) => StepAnchor::Message {
                hash: message.hash(),
            },
            _ => built.anchor(),
        };
        self.list.push(Fixed {
            name,
            expect,
            pre_root: witness.pre.root(),
            anchor,
            witness,
        });
    }
}

/// Every fixed case.
pub fn all(domain: &Domain) -> Vec<Fixed> {
    let d = domain;
    let rec =
        |entries: &[(u32, u32)], record| Built::record(state(true, 7), header(entries), record, 0);
    let msg = |m| Built::message(state(true, 7), m);
    let forced =
        |key, target, amount| message(MessageKind::ForcedWithdrawal, key, target, 0, amount);
    let deposit = |target, amount| message(MessageKind::Deposit, 2, target, 0, amount);
    let (cc, zero) = (Address::repeat_byte(0xcc), Address::ZERO);
    let mut dirty = transfer(d, (0, 1, 0), 1, 0, 0, 0);
    dirty[127] = 1;
    let mut unknown = [0u8; 128];
    unknown[0] = 7;
    let mut c = Cases {
        domain,
        list: Vec::new(),
    };

    c.add("padding applies", "applied", rec(&[], [0u8; 128]));
    c.add(
        "an unknown kind byte skips",
        "UnknownKind",
        rec(&[], unknown),
    );
    c.add(
        "a non-zero byte past the fields skips",
        "NonZeroPadding",
        rec(&[], dirty),
    );
    c.add(
        "v = 29 skips",
        "SignatureV",
        rec(&[], bad_signature(d, Mangle::V(29))),
    );
    c.add(
        "r = 0 skips",
        "SignatureR",
        rec(&[], bad_signature(d, Mangle::ZeroR)),
    );
    c.add(
        "high s skips",
        "SignatureS",
        rec(&[], bad_signature(d, Mangle::HighS)),
    );
    c.add(
        "r with no curve point skips",
        "RecoveryFailed",
        rec(&[], unrecoverable(d)),
    );
    let other_key = transfer(d, (0, 1, 0), 1, 0, 0, 1);
    c.add(
        "a signature by another key skips",
        "WrongSigner",
        rec(&[], other_key),
    );
    let past = transfer(d, (0, 5, 0), 1, 0, 0, 0);
    c.add(
        "a recipient past the accounts skips",
        "NoSuchAccount",
        rec(&[], past),
    );
    let fee_past = rec(&[(0, 9)], transfer(d, (0, 1, 0), 1, 2, 0, 0));
    c.add(
        "a fee recipient past the accounts skips",
        "NoSuchAccount",
        fee_past,
    );
    let other_token = transfer(d, (0, 4, 0), 1, 0, 0, 0);
    c.add(
        "a recipient of another token skips after the debit",
        "TokenMismatch",
        rec(&[], other_token),
    );
    let stale = transfer(d, (0, 1, 0), 1, 0, 1, 0);
    c.add("a stale nonce skips", "BadNonce", rec(&[], stale));
    let exhausted = transfer(d, (2, 4, 1), 1, 0, u32::MAX, 2);
    c.add(
        "a nonce at 2^32 − 1 skips",
        "NonceExhausted",
        rec(&[], exhausted),
    );
    let last = transfer(d, (3, 0, 0), 1, 0, u32::MAX - 1, 0);
    c.add(
        "the last nonce, 2^32 − 2, applies",
        "applied",
        rec(&[], last),
    );
    let overdraft = rec(&[(0, 1)], transfer(d, (0, 3, 0), 1_000, 1, 0, 0));
    c.add(
        "amount plus fee above the balance skips",
        "Overdraft",
        overdraft,
    );
    let overflow = transfer(d, (0, 1, 0), 6, 0, 0, 0);
    c.add(
        "a credit reaching 2^128 skips",
        "CreditOverflow",
        rec(&[], overflow),
    );
    let fee_overflow = rec(&[(0, 1)], transfer(d, (0, 3, 0), 1, 6, 0, 0));
    c.add(
        "a fee credit reaching 2^128 skips",
        "CreditOverflow",
        fee_overflow,
    );
    let aliased = rec(&[(0, 0)], transfer(d, (0, 0, 0), 400, 600, 0, 0));
    c.add("from = to = fee recipient applies", "applied", aliased);
    let own_fee = rec(&[(0, 0)], withdraw(d, 0, cc, 400, 600, 0));
    c.add("a withdraw paying its own fee applies", "applied", own_fee);
    c.add(
        "a withdraw of zero skips",
        "ZeroAmount",
        rec(&[], withdraw(d, 0, cc, 0, 0, 0)),
    );
    let to_zero = withdraw(d, 0, zero, 1, 0, 0);
    c.add(
        "a withdraw to the zero address skips",
        "ZeroRecipient",
        rec(&[], to_zero),
    );
    c.add(
        "a forced withdrawal by a non-owner skips",
        "NotOwner",
        msg(forced(1, 0, 1)),
    );
    c.add(
        "a forced withdrawal above the balance skips",
        "Overdraft",
        msg(forced(0, 0, 1_001)),
    );
    c.add(
        "a forced withdrawal of everything applies",
        "applied",
        msg(forced(0, 0, 1_000)),
    );
    c.add(
        "a forced withdrawal from 2^32 skips",
        "NoSuchAccount",
        msg(forced(0, FULL, 1)),
    );
    c.add(
        "a deposit of another token opens an account",
        "applied",
        msg(deposit(4, 3)),
    );
    c.add(
        "a deposit overflowing its target opens an account",
        "applied",
        msg(deposit(1, 6)),
    );

    // Full trees: the checks that skip come before any opening.
    let full_withdrawals = |w: &mut StepWitness| {
        w.pre.withdrawal_count = FULL;
        w.openings.clear();
    };
    let withdraw_one = rec(&[], withdraw(d, 0, cc, 1, 0, 0));
    c.edited(
        "a withdraw with the withdrawal tree full skips",
        "WithdrawalsFull",
        withdraw_one,
        full_withdrawals,
    );
    let forced_one = msg(forced(0, 0, 1));
    c.edited(
        "a forced withdrawal with the withdrawal tree full skips",
        "WithdrawalsFull",
        forced_one,
        full_withdrawals,
    );
    c.edited(
        "a deposit with both trees full skips",
        "WithdrawalsFull",
        msg(deposit(NEW_ACCOUNT, 9)),
        |w| {
            w.pre.next_account_index = FULL;
            full_withdrawals(w);
        },
    );
    // A full account tree sends the deposit back as withdrawal leaf 0.
    let first_withdrawal = Built::message(state(false, 7), deposit(NEW_ACCOUNT, 9));
    c.edited(
        "a deposit with the account tree full becomes a withdrawal",
        "applied",
        first_withdrawal,
        |w| {
            w.pre.next_account_index = FULL;
            w.openings = vec![Opening::EmptyWithdrawal {
                siblings: empty_subtrees()[..32].try_into().expect("32 siblings"),
            }];
        },
    );
    // The deposit runs, then msgsConsumed cannot grow: a bad witness on both sides.
    let last_message = Built::message(state(true, u64::MAX - 1), deposit(NEW_ACCOUNT, 9));
    c.edited(
        "a message at msgsConsumed = 2^64 − 1 is rejected",
        "rejected: CounterOverflow",
        last_message,
        |w| {
            w.pre.msgs_consumed = u64::MAX;
            if let StepInput::Message(m) = &mut w.input {
                m.index = u64::MAX;
            }
        },
    );
    c.list
}
