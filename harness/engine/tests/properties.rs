//! Property tests: decoders and the STF are total, `verify_step` agrees with
//! the stateful engine on every step, value is conserved, nonces only grow,
//! replays are no-ops, and derivation reproduces what was built.
//!
//! Case counts are modest by default; `PROPTEST_CASES` overrides them.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use bulwark_engine::signature::{SECP256K1_N, address_of};
use bulwark_engine::witness::{step_anchor, verify_step_outcome, witness};
use bulwark_engine::{
    AccountIndex, Address, Batch, BatchBuilder, Domain, Header, InputKind, L1Message, MessageKind,
    NEW_ACCOUNT, Record, SignedTransfer, SignedWithdraw, State, Step, StepWitness, TokenId,
    Transfer, U256, Withdraw, apply_step, derive, trace,
};
use bulwark_engine::{DerivedBatch, Outcome};
use k256::ecdsa::SigningKey;
use proptest::prelude::*;

const KEYS: usize = 4;

static SIGNERS: LazyLock<Vec<(SigningKey, Address)>> = LazyLock::new(|| {
    (0..KEYS)
        .map(|i| {
            let key = SigningKey::from_bytes(&[i as u8 + 1; 32].into()).expect("a valid key");
            let address = address_of(&key);
            (key, address)
        })
        .collect()
});

fn domain() -> Domain {
    Domain::new(31337, Address::repeat_byte(0x42))
}

fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// An account index chosen relative to the state at the time of use.
#[derive(Clone, Copy, Debug)]
enum Target {
    /// `k mod nextAccountIndex`.
    Existing(u8),
    /// `nextAccountIndex + k`.
    Past(u8),
    /// `NEW` (for deposits; a huge index elsewhere).
    New,
}

#[derive(Clone, Copy, Debug)]
enum Nonce {
    Current,
    Off(i8),
}

#[derive(Clone, Copy, Debug)]
enum Mangle {
    None,
    HighS,
    V(u8),
    ZeroR,
    ZeroS,
    OtherKey(usize),
}

#[derive(Clone, Debug)]
enum MessageOp {
    Deposit {
        sender: usize,
        target: Target,
        token: u32,
        amount: u128,
    },
    Forced {
        sender: usize,
        target: Target,
        token: u32,
        amount: u128,
        by_owner: bool,
    },
}

#[derive(Clone, Debug)]
enum RecordOp {
    Transfer {
        from: Target,
        to: Target,
        token: Option<u32>,
        amount: u128,
        fee: u128,
        nonce: Nonce,
        mangle: Mangle,
    },
    Withdraw {
        from: Target,
        zero_recipient: bool,
        amount: u128,
        fee: u128,
        nonce: Nonce,
        mangle: Mangle,
    },
    Raw(Vec<u8>),
    Replay(usize),
    /// An earlier applied record with a non-zero byte past its fields.
    Dirty(usize),
}

#[derive(Clone, Debug)]
struct BatchPlan {
    fee_recipients: Vec<(u32, Target)>,
    messages: Vec<MessageOp>,
    records: Vec<RecordOp>,
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![8 => any::<u8>().prop_map(Target::Existing), 1 => (0u8..3).prop_map(Target::Past), 1 => Just(Target::New)]
}

fn amount() -> impl Strategy<Value = u128> {
    prop_oneof![8 => 0u128..1000, 1 => Just(0u128), 1 => (0u128..4).prop_map(|d| u128::MAX - d), 1 => any::<u128>()]
}

fn fee() -> impl Strategy<Value = u128> {
    prop_oneof![3 => Just(0u128), 6 => 0u128..50, 1 => (0u128..4).prop_map(|d| u128::MAX - d)]
}

fn nonce() -> impl Strategy<Value = Nonce> {
    prop_oneof![8 => Just(Nonce::Current), 1 => (-2i8..3).prop_map(Nonce::Off)]
}

fn mangle() -> impl Strategy<Value = Mangle> {
    prop_oneof![
        12 => Just(Mangle::None),
        1 => Just(Mangle::HighS),
        1 => prop::sample::select(vec![0u8, 1, 29, 255]).prop_map(Mangle::V),
        1 => Just(Mangle::ZeroR),
        1 => Just(Mangle::ZeroS),
        1 => (0..KEYS).prop_map(Mangle::OtherKey),
    ]
}

fn message_op() -> impl Strategy<Value = MessageOp> {
    prop_oneof![
        3 => (0..KEYS, target(), 0u32..2, amount())
            .prop_map(|(sender, target, token, amount)| MessageOp::Deposit { sender, target, token, amount }),
        1 => (0..KEYS, target(), 0u32..2, amount(), prop::bool::weighted(0.8)).prop_map(
            |(sender, target, token, amount, by_owner)| MessageOp::Forced { sender, target, token, amount, by_owner }
        ),
    ]
}

fn record_op() -> impl Strategy<Value = RecordOp> {
    let token = prop_oneof![4 => Just(None), 1 => (0u32..3).prop_map(Some)];
    prop_oneof![
        6 => (target(), target(), token, amount(), fee(), nonce(), mangle()).prop_map(
            |(from, to, token, amount, fee, nonce, mangle)| RecordOp::Transfer { from, to, token, amount, fee, nonce, mangle }
        ),
        3 => (target(), prop::bool::weighted(0.1), amount(), fee(), nonce(), mangle()).prop_map(
            |(from, zero_recipient, amount, fee, nonce, mangle)| RecordOp::Withdraw { from, zero_recipient, amount, fee, nonce, mangle }
        ),
        1 => prop::collection::vec(any::<u8>(), 128).prop_map(RecordOp::Raw),
        1 => any::<usize>().prop_map(RecordOp::Replay),
        1 => any::<usize>().prop_map(RecordOp::Dirty),
    ]
}

fn batch_plan() -> impl Strategy<Value = BatchPlan> {
    (
        prop::collection::vec((0u32..2, target()), 0..3),
        prop::collection::vec(message_op(), 0..7),
        prop::collection::vec(record_op(), 0..10),
    )
        .prop_map(|(fee_recipients, messages, records)| BatchPlan {
            fee_recipients,
            messages,
            records,
        })
}

/// Plays plans against a running state, as a sequencer and its users would.
struct Driver {
    state: State,
    queue: Vec<L1Message>,
    signed: Vec<[u8; 128]>,
}

impl Driver {
    fn index(&self, target: Target) -> u64 {
        let next = self.state.next_account_index();
        match target {
            Target::Existing(k) if next > 0 => u64::from(k) % next,
            Target::Existing(k) | Target::Past(k) => next + u64::from(k),
            Target::New => NEW_ACCOUNT,
        }
    }

    fn account(&self, target: Target) -> AccountIndex {
        AccountIndex(u32::try_from(self.index(target)).unwrap_or(u32::MAX))
    }

    fn owner_key(&self, index: AccountIndex) -> usize {
        let owner = self.state.account(index).map(|a| a.owner);
        SIGNERS
            .iter()
            .position(|(_, a)| Some(*a) == owner)
            .unwrap_or(0)
    }

    fn nonce(&self, index: AccountIndex, nonce: Nonce) -> u32 {
        let current = self.state.account(index).map_or(0, |a| a.nonce);
        match nonce {
            Nonce::Current => current,
            Nonce::Off(d) => current.wrapping_add_signed(i32::from(d)),
        }
    }

    fn header(&self, plan: &BatchPlan) -> Header {
        let mut entries: BTreeMap<u32, AccountIndex> = BTreeMap::new();
        for (token, target) in &plan.fee_recipients {
            entries.insert(*token, self.account(*target));
        }
        Header::new(entries.into_iter().map(|(t, a)| (TokenId(t), a)).collect())
            .expect("sorted, at most 2 entries")
    }

    fn message(&self, op: &MessageOp) -> L1Message {
        let index = self.queue.len() as u64;
        let (kind, sender, target, token, amount) = match *op {
            MessageOp::Deposit {
                sender,
                target,
                token,
                amount,
            } => (
                MessageKind::Deposit,
                SIGNERS[sender].1,
                self.index(target),
                token,
                amount,
            ),
            MessageOp::Forced {
                sender,
                target,
                token,
                amount,
                by_owner,
            } => {
                let index = self.index(target);
                let owner = u32::try_from(index)
                    .ok()
                    .and_then(|i| self.state.account(AccountIndex(i)));
                let sender = match owner {
                    Some(a) if by_owner => a.owner,
                    _ => SIGNERS[sender].1,
                };
                (MessageKind::ForcedWithdrawal, sender, index, token, amount)
            }
        };
        L1Message {
            index,
            kind,
            sender,
            target,
            token: TokenId(token),
            amount,
            queued_at: index * 12,
        }
    }

    fn record(&self, op: &RecordOp) -> [u8; 128] {
        let domain = domain();
        match op {
            RecordOp::Transfer {
                from,
                to,
                token,
                amount,
                fee,
                nonce,
                mangle,
            } => {
                let from = self.account(*from);
                let token = token.map_or_else(
                    || self.state.account(from).map_or(TokenId(0), |a| a.token),
                    TokenId,
                );
                let tx = Transfer {
                    from,
                    to: self.account(*to),
                    token,
                    amount: *amount,
                    fee: *fee,
                    nonce: self.nonce(from, *nonce),
                };
                let signed = SignedTransfer::sign(tx, &domain, &self.signer(from, *mangle));
                mangled(signed.encode(), 49, *mangle)
            }
            RecordOp::Withdraw {
                from,
                zero_recipient,
                amount,
                fee,
                nonce,
                mangle,
            } => {
                let from = self.account(*from);
                let recipient = if *zero_recipient {
                    Address::ZERO
                } else {
                    Address::repeat_byte(0xcc)
                };
                let tx = Withdraw {
                    from,
                    recipient,
                    amount: *amount,
                    fee: *fee,
                    nonce: self.nonce(from, *nonce),
                };
                let signed = SignedWithdraw::sign(tx, &domain, &self.signer(from, *mangle));
                mangled(signed.encode(), 61, *mangle)
            }
            RecordOp::Raw(bytes) => bytes.clone().try_into().unwrap_or([0; 128]),
            RecordOp::Replay(k) if !self.signed.is_empty() => self.signed[k % self.signed.len()],
            RecordOp::Replay(_) => [0; 128],
            RecordOp::Dirty(k) => {
                let mut record = if self.signed.is_empty() {
                    [0; 128]
                } else {
                    self.signed[k % self.signed.len()]
                };
                record[127] = 1;
                record
            }
        }
    }

    fn signer(&self, from: AccountIndex, mangle: Mangle) -> SigningKey {
        match mangle {
            Mangle::OtherKey(k) => SIGNERS[k].0.clone(),
            _ => SIGNERS[self.owner_key(from)].0.clone(),
        }
    }
}

/// Applies a signature mangling to the signature starting at byte `at`.
fn mangled(mut record: [u8; 128], at: usize, mangle: Mangle) -> [u8; 128] {
    let sig = &mut record[at..at + 65];
    match mangle {
        Mangle::None | Mangle::OtherKey(_) => {}
        Mangle::HighS => {
            let s = U256::from_be_slice(&sig[32..64]);
            sig[32..64].copy_from_slice(&(SECP256K1_N - s).to_be_bytes::<32>());
            sig[64] = if sig[64] == 27 { 28 } else { 27 };
        }
        Mangle::V(v) => sig[64] = v,
        Mangle::ZeroR => sig[..32].fill(0),
        Mangle::ZeroS => sig[32..64].fill(0),
    }
    record
}

fn plans() -> impl Strategy<Value = Vec<BatchPlan>> {
    prop::collection::vec(batch_plan(), 1..4)
}

/// Total per token of deposits consumed; u128 sums may exceed, so compare in U256.
fn deposited(queue: &[L1Message], consumed: u64) -> BTreeMap<u32, U256> {
    let mut total = BTreeMap::new();
    for m in queue
        .iter()
        .take(consumed as usize)
        .filter(|m| m.kind == MessageKind::Deposit)
    {
        *total.entry(m.token.0).or_insert(U256::ZERO) += U256::from(m.amount);
    }
    total
}

fn held(state: &State) -> BTreeMap<u32, U256> {
    let mut total = BTreeMap::new();
    let leaves = state.accounts().map(|(_, a)| (a.token, a.balance));
    for (token, amount) in leaves.chain(state.withdrawals().map(|w| (w.token, w.amount))) {
        *total.entry(token.0).or_insert(U256::ZERO) += U256::from(amount);
    }
    total
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn record_decoder_is_total(bytes in prop::collection::vec(any::<u8>(), 128)) {
        let record: [u8; 128] = bytes.try_into().expect("128 bytes");
        match Record::decode(&record) {
            Record::Transfer(t) => prop_assert_eq!(t.encode(), record),
            Record::Withdraw(w) => prop_assert_eq!(w.encode(), record),
            Record::Padding => prop_assert_eq!(record, [0u8; 128]),
            Record::Malformed(_) => {}
        }
    }

    #[test]
    fn header_and_calldata_decoders_are_total(
        header in prop::collection::vec(any::<u8>(), 0..160),
        records in prop::collection::vec(any::<u8>(), 0..700),
    ) {
        if let Ok(h) = Header::decode(&header) {
            prop_assert_eq!(h.encode(), header.clone());
        }
        if let Ok(batch) = Batch::from_calldata(&header, &records) {
            prop_assert_eq!(batch.records_bytes(), records);
            let _ = batch.data_root();
        }
    }
}

const INPUT_KINDS: [InputKind; 3] = [InputKind::Message, InputKind::Record, InputKind::Identity];

/// Bytes shaped like a witness, so decoding gets past `pre` and the input:
/// random fields, a header length and kind bytes from near the valid ones,
/// and openings of random kinds cut at random lengths.
fn witness_like() -> impl Strategy<Value = (usize, Vec<u8>)> {
    let opening = (0u8..5, 0usize..1100, any::<u8>());
    (
        0usize..3,
        prop::collection::vec(any::<u8>(), 88 + 421),
        prop::sample::select(vec![0u8, 1, 2, 3]),
        prop::sample::select(vec![0u8, 7, 8, 16, 128, 136, 255]),
        prop::collection::vec(opening, 0..4),
    )
        .prop_map(|(kind, mut head, message_kind, header_length, openings)| {
            match INPUT_KINDS[kind] {
                InputKind::Message => {
                    head.truncate(88 + 65);
                    head[96] = message_kind;
                }
                InputKind::Record => {
                    head[508] = header_length;
                    // Strictly increasing tokens, so some headers decode.
                    for entry in 0..u32::from(header_length) / 8 {
                        head.extend_from_slice(&entry.to_be_bytes());
                        head.extend_from_slice(&entry.to_be_bytes());
                    }
                }
                InputKind::Identity => head.truncate(88),
            }
            for (kind_byte, len, fill) in openings {
                head.push(kind_byte);
                head.extend(std::iter::repeat_n(fill, len));
            }
            (kind, head)
        })
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn witness_decoder_is_total_on_random_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..2500),
        kind in 0usize..3,
    ) {
        if let Ok(w) = StepWitness::decode(&bytes, INPUT_KINDS[kind]) {
            prop_assert_eq!(w.encode(), bytes);
        }
    }

    #[test]
    fn witness_decoder_is_total_on_witness_like_bytes((kind, bytes) in witness_like()) {
        if let Ok(w) = StepWitness::decode(&bytes, INPUT_KINDS[kind]) {
            prop_assert_eq!(w.encode(), bytes);
        }
    }
}

proptest! {
    #![proptest_config(cases(96))]

    #[test]
    fn engine_and_verifier_agree_and_invariants_hold(plans in plans()) {
        let domain = domain();
        let mut driver = Driver { state: State::genesis(), queue: Vec::new(), signed: Vec::new() };
        let mut committed = Vec::new();
        for plan in &plans {
            let parent = driver.state.clone();
            let header = driver.header(plan);
            let mut builder = BatchBuilder::new(parent.clone(), domain, header);
            for op in &plan.messages {
                let message = driver.message(op);
                driver.queue.push(message);
                builder.push_message(&message).expect("in order, under the cap");
                driver.state = builder.state().clone();
            }
            for op in &plan.records {
                let record = driver.record(op);
                if builder.push_record(record).expect("under the cap").is_applied() {
                    driver.signed.push(record);
                }
                driver.state = builder.state().clone();
            }
            if builder.is_empty() {
                builder.push_record([0; 128]).expect("room");
            }
            let built = builder.build().expect("non-empty");
            let messages = &driver.queue[parent.msgs_consumed() as usize..built.msgs_after as usize];

            // The trace of the committed data is the built one.
            let (traced, post) = trace(&parent, &domain, messages, &built.batch).expect("valid");
            prop_assert_eq!(&traced, &built.trace);
            prop_assert_eq!(&post, &built.post);

            // verify_step agrees with the stateful STF on every step.
            for i in 0..traced.len() {
                let w = witness(&parent, &domain, messages, &built.batch, i).expect("in range");
                let anchor = step_anchor(messages, &built.batch, i).expect("in range");
                let pre = traced.pre_root_of(i).expect("in range");
                let verified = verify_step_outcome(pre, &domain, &anchor, &w);
                prop_assert_eq!(verified, Ok((traced.post_roots()[i], traced.outcomes()[i])), "step {}", i);
                // The §8.2 bytes carry the witness exactly.
                let bytes = w.encode();
                prop_assert_eq!(bytes.len(), w.encoded_len());
                prop_assert_eq!(StepWitness::decode(&bytes, anchor.input_kind()), Ok(w), "step {}", i);
            }

            // Step by step: nonces only grow, value is conserved.
            let mut state = parent.clone();
            for step in traced.steps() {
                let before: Vec<u32> = state.accounts().map(|(_, a)| a.nonce).collect();
                apply_step(&mut state, &domain, built.batch.header(), step);
                let after: Vec<u32> = state.accounts().map(|(_, a)| a.nonce).collect();
                prop_assert!(after.len() >= before.len());
                prop_assert!(before.iter().zip(&after).all(|(b, a)| a >= b), "a nonce decreased");
                prop_assert_eq!(held(&state), deposited(&driver.queue, state.msgs_consumed()));
            }
            prop_assert_eq!(&state, &built.post);

            // Replaying any applied record of the batch is a no-op.
            for (step, outcome) in traced.steps().iter().zip(traced.outcomes()) {
                if let (Step::Record(bytes), Outcome::Applied) = (step, outcome) {
                    if *bytes == [0u8; 128] {
                        continue;
                    }
                    let mut replayed = built.post.clone();
                    let root = replayed.root();
                    let outcome = apply_step(&mut replayed, &domain, built.batch.header(), &Step::Record(*bytes));
                    prop_assert!(!outcome.is_applied(), "replay applied: {}", outcome);
                    prop_assert_eq!(replayed.root(), root);
                }
            }

            committed.push(DerivedBatch {
                header: built.batch.header_bytes(),
                records: built.batch.records_bytes(),
                msgs_after: built.msgs_after,
                state_root: built.state_root(),
                trace_root: built.trace_root(),
            });
            driver.state = built.post;
        }
        // Derivation from L1 data alone reproduces the state.
        let derived = derive(&driver.queue, &committed, &domain).expect("honest batches derive");
        prop_assert_eq!(&derived, &driver.state);
    }

    #[test]
    fn stf_is_total_on_random_records(
        plans in prop::collection::vec(batch_plan(), 1..2),
        garbage in prop::collection::vec(prop::collection::vec(any::<u8>(), 128), 1..16),
    ) {
        let domain = domain();
        let mut driver = Driver { state: State::genesis(), queue: Vec::new(), signed: Vec::new() };
        for op in &plans[0].messages {
            let message = driver.message(op);
            driver.queue.push(message);
            apply_step(&mut driver.state, &domain, &Header::default(), &Step::Message(message));
        }
        let header = driver.header(&plans[0]);
        for bytes in garbage {
            let mut record: [u8; 128] = bytes.try_into().expect("128 bytes");
            // Half the time, make the kind valid so the field checks run.
            if record[0].is_multiple_of(2) {
                record[0] = 1 + (record[1] % 2);
            }
            let root = driver.state.root();
            let outcome = apply_step(&mut driver.state, &domain, &header, &Step::Record(record));
            if !outcome.is_applied() {
                prop_assert_eq!(driver.state.root(), root);
            }
        }
    }
}
