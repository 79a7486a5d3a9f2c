//! The `steps[]` vectors: one-step witnesses (PROTOCOL §8.2) with their
//! anchors, pre- and post-roots and outcomes. Every step of the `trace`
//! vector, then one step for each STF rule (§7) no other vector pins.
//!
//! Each entry comes from the engine: a parent state, messages and a batch
//! run through `trace` and `witness`; the few pre-states no short history
//! reaches (a nonce at `2^32 − 1`, full trees) are built from leaves or
//! crafted, and their post-roots come from `verify_step`.

use bulwark_engine::signature::{SECP256K1_N, address_of};
use bulwark_engine::tree::MerkleTree;
use bulwark_engine::witness::{step_anchor, verify_step_outcome, witness};
use bulwark_engine::{
    AccountIndex, AccountLeaf, Address, B256, Batch, Header, L1Message, MessageKind, NEW_ACCOUNT,
    Outcome, SignedTransfer, SignedWithdraw, State, StatePreimage, Step, StepAnchor, StepInput,
    StepWitness, TokenId, Transfer, U256, Withdraw, apply_step, trace,
};
use k256::ecdsa::SigningKey;
use serde_json::{Value, json};

use super::{CHAIN_ID, ETHER, ROLLUP, dec, domain, hx, key, r_off_curve, trace_inputs};

/// Every `steps[]` entry: the trace vector's steps, then the rule cases.
pub fn steps() -> Vec<Value> {
    let (messages, batch) = trace_inputs();
    let genesis = State::genesis();
    let len = (messages.len() + batch.records().len()).next_power_of_two();
    let mut out: Vec<Value> = (0..len)
        .map(|i| step_json(&format!("trace step {i}"), &genesis, &messages, &batch, i))
        .collect();
    out.extend(message_cases());
    out.extend(record_cases());
    out.extend(signature_cases());
    out.extend(boundary_cases());
    out.extend(crafted_cases());
    out
}

/// The JSON of one step, from what the one-step receives and what it must return.
fn entry(
    name: &str,
    pre_root: B256,
    anchor: &StepAnchor,
    witness: &StepWitness,
    post_root: B256,
    outcome: Outcome,
) -> Value {
    let (kind, hash, position) = match *anchor {
        StepAnchor::Message { hash } => ("message", hash, 0),
        StepAnchor::Record {
            position,
            data_root,
        } => ("record", data_root, position),
        StepAnchor::Identity => ("identity", B256::ZERO, 0),
    };
    json!({
        "name": name,
        "chainId": dec(CHAIN_ID),
        "rollup": hx(ROLLUP),
        "preRoot": hx(pre_root),
        "anchorKind": kind,
        "anchorHash": hx(hash),
        "anchorPosition": dec(position),
        "witness": hx(witness.encode()),
        "postRoot": hx(post_root),
        "outcome": outcome.name(),
    })
}

/// Step `index` of the trace of `messages` and `batch` from `parent`.
fn step_json(
    name: &str,
    parent: &State,
    messages: &[L1Message],
    batch: &Batch,
    index: usize,
) -> Value {
    let d = domain();
    let Ok((trace, _)) = trace(parent, &d, messages, batch) else {
        return Value::Null;
    };
    let (Ok(w), Ok(anchor), Some(pre_root)) = (
        witness(parent, &d, messages, batch, index),
        step_anchor(messages, batch, index),
        trace.pre_root_of(index),
    ) else {
        return Value::Null;
    };
    entry(
        name,
        pre_root,
        &anchor,
        &w,
        trace.post_roots()[index],
        trace.outcomes()[index],
    )
}

/// A batch of the one record `record` under `header`, run from `parent`.
fn one_record(name: &str, parent: &State, header: &Header, record: [u8; 128]) -> Value {
    let batch = Batch::new(header.clone(), vec![record]).unwrap_or_default();
    step_json(name, parent, &[], &batch, 0)
}

/// The queue's next message after `parent`'s, run from `parent`.
fn one_message(name: &str, parent: &State, message: L1Message) -> Value {
    let message = L1Message {
        index: parent.msgs_consumed(),
        ..message
    };
    step_json(name, parent, &[message], &Batch::default(), 0)
}

fn message(kind: MessageKind, sender: Address, target: u64, token: u32, amount: u128) -> L1Message {
    L1Message {
        index: 0,
        kind,
        sender,
        target,
        token: TokenId(token),
        amount,
        queued_at: 1_700_000_000,
    }
}

fn deposit(sender: Address, target: u64, token: u32, amount: u128) -> L1Message {
    message(MessageKind::Deposit, sender, target, token, amount)
}

fn forced(sender: Address, target: u64, token: u32, amount: u128) -> L1Message {
    message(MessageKind::ForcedWithdrawal, sender, target, token, amount)
}

/// The state after deposits to new accounts, in order: account `i` is `deposits[i]`.
fn funded(deposits: &[(Address, u32, u128)]) -> State {
    let mut state = State::genesis();
    for (index, (sender, token, amount)) in deposits.iter().enumerate() {
        let message = L1Message {
            index: index as u64,
            ..deposit(*sender, NEW_ACCOUNT, *token, *amount)
        };
        apply_step(
            &mut state,
            &domain(),
            &Header::default(),
            &Step::Message(message),
        );
    }
    state
}

fn alice() -> Address {
    address_of(&key(0))
}

fn bob() -> Address {
    address_of(&key(1))
}

fn carol() -> Address {
    address_of(&key(2))
}

fn sequencer() -> Address {
    address_of(&key(3))
}

/// Account 0: alice, 10 ETH; 1: bob, 5 ETH; 2: the sequencer, 1 wei; 3: carol, 500 of token 1.
fn base() -> State {
    funded(&[
        (alice(), 0, 10 * ETHER),
        (bob(), 0, 5 * ETHER),
        (sequencer(), 0, 1),
        (carol(), 1, 500),
    ])
}

/// A header naming `entries` as `(token, account)`.
fn header(entries: &[(u32, u32)]) -> Header {
    Header::new(
        entries
            .iter()
            .map(|(token, account)| (TokenId(*token), AccountIndex(*account)))
            .collect(),
    )
    .unwrap_or_default()
}

fn transfer(
    signer: &SigningKey,
    from: u32,
    to: u32,
    token: u32,
    amount: u128,
    fee: u128,
    nonce: u32,
) -> SignedTransfer {
    let tx = Transfer {
        from: AccountIndex(from),
        to: AccountIndex(to),
        token: TokenId(token),
        amount,
        fee,
        nonce,
    };
    SignedTransfer::sign(tx, &domain(), signer)
}

fn withdraw(
    signer: &SigningKey,
    from: u32,
    recipient: Address,
    amount: u128,
    fee: u128,
    nonce: u32,
) -> [u8; 128] {
    let tx = Withdraw {
        from: AccountIndex(from),
        recipient,
        amount,
        fee,
        nonce,
    };
    SignedWithdraw::sign(tx, &domain(), signer).encode()
}

/// Deposits (§7.1) and forced withdrawals (§7.2).
fn message_cases() -> Vec<Value> {
    let s = base();
    let (a, c) = (alice(), carol());
    vec![
        one_message("deposit to NEW", &s, deposit(c, NEW_ACCOUNT, 0, 7)),
        one_message(
            "deposit to an existing account of its token (credited)",
            &s,
            deposit(c, 1, 0, 7),
        ),
        one_message(
            "deposit to an account of another token (new account for the sender)",
            &s,
            deposit(a, 3, 0, 7),
        ),
        one_message(
            "deposit to an index past nextAccountIndex (new account for the sender)",
            &s,
            deposit(a, 4, 0, 7),
        ),
        one_message("forced withdrawal by the owner", &s, forced(a, 0, 0, ETHER)),
        one_message("forced withdrawal by a non-owner", &s, forced(c, 0, 0, 1)),
        one_message("forced withdrawal of another token", &s, forced(a, 0, 1, 1)),
        one_message(
            "forced withdrawal above the balance",
            &s,
            forced(a, 0, 0, 11 * ETHER),
        ),
        one_message(
            "forced withdrawal from a missing account",
            &s,
            forced(a, 4, 0, 1),
        ),
    ]
}

/// Transfers (§7.3) and withdraws (§7.4): fee legs, aliasing, checks.
fn record_cases() -> Vec<Value> {
    let s = base();
    let alice = key(0);
    let fee_to_sequencer = header(&[(0, 2)]);
    let t =
        |to, token, amount, fee, nonce| transfer(&alice, 0, to, token, amount, fee, nonce).encode();
    vec![
        one_record(
            "transfer with a fee to the header's recipient",
            &s,
            &fee_to_sequencer,
            t(1, 0, ETHER, 5, 0),
        ),
        one_record(
            "transfer of 0 (bumps the nonce, pays the fee)",
            &s,
            &fee_to_sequencer,
            t(1, 0, 0, 5, 0),
        ),
        one_record(
            "transfer with fee 0 while the header's fee account does not exist (no fee, no check)",
            &s,
            &header(&[(0, 99)]),
            t(1, 0, 1, 0, 0),
        ),
        one_record(
            "transfer with fee > 0 while the header's fee account does not exist",
            &s,
            &header(&[(0, 99)]),
            t(1, 0, 1, 5, 0),
        ),
        one_record(
            "transfer with fee > 0 and no fee recipient for its token (no fee)",
            &s,
            &header(&[(1, 3)]),
            t(1, 0, 1, 5, 0),
        ),
        one_record(
            "transfer from = to = fee recipient",
            &s,
            &header(&[(0, 0)]),
            t(0, 0, 3, 2, 0),
        ),
        one_record(
            "transfer from the fee recipient",
            &s,
            &header(&[(0, 0)]),
            t(1, 0, 3, 2, 0),
        ),
        one_record(
            "transfer to the fee recipient",
            &s,
            &header(&[(0, 1)]),
            t(1, 0, 3, 2, 0),
        ),
        one_record(
            "transfer to a missing account",
            &s,
            &fee_to_sequencer,
            t(99, 0, 1, 0, 0),
        ),
        one_record(
            "transfer of a token the sender does not hold",
            &s,
            &fee_to_sequencer,
            t(1, 1, 1, 0, 0),
        ),
        one_record(
            "transfer to an account of another token (whole step reverted)",
            &s,
            &fee_to_sequencer,
            t(3, 0, 1, 5, 0),
        ),
        one_record(
            "transfer with a stale nonce",
            &s,
            &fee_to_sequencer,
            t(1, 0, 1, 0, 1),
        ),
        one_record(
            "transfer above the balance",
            &s,
            &fee_to_sequencer,
            t(1, 0, 11 * ETHER, 0, 0),
        ),
        one_record(
            "transfer whose amount + fee passes 2^128 (compared without wrapping)",
            &s,
            &fee_to_sequencer,
            t(1, 0, u128::MAX, 1, 0),
        ),
        one_record(
            "withdraw with a fee (appends a withdrawal leaf)",
            &s,
            &fee_to_sequencer,
            withdraw(&alice, 0, carol(), ETHER, 5, 0),
        ),
        one_record(
            "withdraw of amount 0",
            &s,
            &fee_to_sequencer,
            withdraw(&alice, 0, carol(), 0, 0, 0),
        ),
        one_record(
            "withdraw to recipient 0",
            &s,
            &fee_to_sequencer,
            withdraw(&alice, 0, Address::ZERO, 1, 0, 0),
        ),
        one_record(
            "withdraw with fee > 0 while the header's fee account does not exist",
            &s,
            &header(&[(0, 99)]),
            withdraw(&alice, 0, carol(), 1, 5, 0),
        ),
        one_record(
            "withdraw whose fee recipient is the sender",
            &s,
            &header(&[(0, 0)]),
            withdraw(&alice, 0, carol(), 1, 5, 0),
        ),
        one_record(
            "withdraw above the balance",
            &s,
            &fee_to_sequencer,
            withdraw(&alice, 0, carol(), 10 * ETHER, 1, 0),
        ),
        one_record(
            "malformed record (unknown kind)",
            &s,
            &fee_to_sequencer,
            super::edited(t(1, 0, 1, 0, 0), 0, 3),
        ),
        one_record(
            "malformed record (non-zero byte past the fields)",
            &s,
            &fee_to_sequencer,
            super::edited(t(1, 0, 1, 0, 0), 127, 1),
        ),
        one_record("padding record", &s, &fee_to_sequencer, [0; 128]),
        identity_case(&s),
    ]
}

/// Step 3 of a batch of one message and two records: an identity step.
fn identity_case(parent: &State) -> Value {
    let message = L1Message {
        index: parent.msgs_consumed(),
        ..deposit(carol(), NEW_ACCOUNT, 0, 7)
    };
    let records = vec![transfer(&key(0), 0, 1, 0, 1, 0, 0).encode(), [0; 128]];
    let batch = Batch::new(header(&[(0, 2)]), records).unwrap_or_default();
    step_json("identity step", parent, &[message], &batch, 3)
}

/// Signature form and recovery (§5.2), as records.
fn signature_cases() -> Vec<Value> {
    let s = base();
    let h = header(&[(0, 2)]);
    let good = transfer(&key(0), 0, 1, 0, 1, 0, 0);
    let with = |edit: &dyn Fn(&mut [u8; 65])| {
        let mut signed = good;
        edit(&mut signed.signature);
        signed.encode()
    };
    let high_s = with(&|sig| {
        let low = U256::from_be_slice(&sig[32..64]);
        sig[32..64].copy_from_slice(&(SECP256K1_N - low).to_be_bytes::<32>());
        sig[64] = if sig[64] == 27 { 28 } else { 27 };
    });
    let digest = good.tx.digest(&domain());
    let off_curve: [u8; 65] = r_off_curve(&digest, &good.signature)
        .try_into()
        .unwrap_or([0; 65]);
    vec![
        one_record("signature with a high s", &s, &h, high_s),
        one_record("signature with v = 29", &s, &h, with(&|sig| sig[64] = 29)),
        one_record(
            "signature with r = 0",
            &s,
            &h,
            with(&|sig| sig[..32].fill(0)),
        ),
        one_record(
            "signature whose r is no curve point",
            &s,
            &h,
            with(&|sig| *sig = off_curve),
        ),
        one_record(
            "signed by another key than the owner's",
            &s,
            &h,
            transfer(&key(2), 0, 1, 0, 1, 0, 0).encode(),
        ),
    ]
}

/// `u128` credits at `2^128` and nonces at `2^32 − 1`.
fn boundary_cases() -> Vec<Value> {
    let (a, b, q) = (alice(), bob(), sequencer());
    let near = |bob_balance, sequencer_balance| {
        funded(&[
            (a, 0, 10 * ETHER),
            (b, 0, bob_balance),
            (q, 0, sequencer_balance),
        ])
    };
    let h = header(&[(0, 2)]);
    let t = |amount, fee| transfer(&key(0), 0, 1, 0, amount, fee, 0).encode();
    let exhausted = |nonce| {
        let leaf = |owner, balance| AccountLeaf {
            owner,
            token: TokenId(0),
            balance,
            nonce,
        };
        State::from_leaves(vec![leaf(a, 100), leaf(b, 0)], vec![], 0).unwrap_or_default()
    };
    let last = |nonce| transfer(&key(0), 0, 1, 0, 1, 0, nonce).encode();
    vec![
        one_record(
            "transfer credit reaching exactly 2^128 (whole step reverted)",
            &near(u128::MAX, 1),
            &h,
            t(1, 5),
        ),
        one_record(
            "transfer credit reaching 2^128 - 1",
            &near(u128::MAX - 1, 1),
            &h,
            t(1, 5),
        ),
        one_record(
            "fee credit reaching exactly 2^128 (whole step reverted)",
            &near(1, u128::MAX),
            &h,
            t(1, 1),
        ),
        one_message(
            "deposit whose credit would reach exactly 2^128 (new account for the sender)",
            &near(u128::MAX, 1),
            deposit(a, 1, 0, 1),
        ),
        one_message(
            "deposit whose credit reaches 2^128 - 1 (credited)",
            &near(u128::MAX - 1, 1),
            deposit(a, 1, 0, 1),
        ),
        one_record(
            "account at nonce 2^32 - 1 signing nonce 2^32 - 1",
            &exhausted(u32::MAX),
            &Header::default(),
            last(u32::MAX),
        ),
        one_record(
            "withdraw from an account at nonce 2^32 - 1",
            &exhausted(u32::MAX),
            &Header::default(),
            withdraw(&key(0), 0, a, 1, 0, u32::MAX),
        ),
        one_record(
            "account at nonce 2^32 - 2 signing its last transaction",
            &exhausted(u32::MAX - 1),
            &Header::default(),
            last(u32::MAX - 1),
        ),
    ]
}

/// Full trees: pre-states no in-memory history reaches, crafted as preimages
/// whose counters sit at `2^32`. Their steps need no account opening.
fn crafted_cases() -> Vec<Value> {
    let pre = base().preimage();
    let full = 1u64 << 32;
    let accounts_full = StatePreimage {
        next_account_index: full,
        ..pre
    };
    let both_full = StatePreimage {
        withdrawal_count: full,
        ..accounts_full
    };
    let withdrawals_full = StatePreimage {
        withdrawal_count: full,
        ..pre
    };
    let empty_withdrawal = bulwark_engine::Opening::EmptyWithdrawal {
        siblings: MerkleTree::new().proof(0),
    };
    let message_step = |name, pre: StatePreimage, message: L1Message, openings| {
        let message = L1Message {
            index: pre.msgs_consumed,
            ..message
        };
        let w = StepWitness {
            pre,
            input: StepInput::Message(message),
            openings,
        };
        let anchor = StepAnchor::Message {
            hash: message.hash(),
        };
        verified(name, &anchor, &w)
    };
    let batch = Batch::new(
        Header::default(),
        vec![withdraw(&key(0), 0, alice(), 1, 0, 0)],
    )
    .unwrap_or_default();
    let withdraw_step = StepWitness {
        pre: withdrawals_full,
        input: StepInput::Record {
            position: 0,
            record: batch.records()[0],
            path: batch.record_proof(0).unwrap_or_default(),
            header: Header::default(),
        },
        openings: vec![],
    };
    let record_anchor = StepAnchor::Record {
        position: 0,
        data_root: batch.data_root(),
    };
    vec![
        message_step(
            "deposit into a full account tree (a withdrawal back to the sender)",
            accounts_full,
            deposit(bob(), NEW_ACCOUNT, 0, 9),
            vec![empty_withdrawal],
        ),
        message_step(
            "deposit into full account and withdrawal trees (only consumed)",
            both_full,
            deposit(bob(), NEW_ACCOUNT, 0, 9),
            vec![],
        ),
        message_step(
            "forced withdrawal into a full withdrawal tree",
            withdrawals_full,
            forced(alice(), 0, 0, 1),
            vec![],
        ),
        verified(
            "withdraw into a full withdrawal tree",
            &record_anchor,
            &withdraw_step,
        ),
    ]
}

/// A crafted witness's entry, its post-root and outcome from `verify_step`.
fn verified(name: &str, anchor: &StepAnchor, w: &StepWitness) -> Value {
    let pre_root = w.pre.root();
    match verify_step_outcome(pre_root, &domain(), anchor, w) {
        Ok((post_root, outcome)) => entry(name, pre_root, anchor, w, post_root, outcome),
        Err(_) => Value::Null,
    }
}
