//! Throughput of the engine against the cost it cannot avoid: ECDSA recovery.
//!
//! On the same 512 pre-signed transfers (one full batch) it measures
//! (a) raw recoveries per second, with the very function the STF uses, and
//! (b) transfers per second: every transfer through the STF (signature checks
//!     included) plus the final state root.
//! It prints both and their ratio; the engine's own overhead is `1 − ratio`.
//!
//!     cargo bench -p bulwark-engine --bench throughput

use std::hint::black_box;
use std::time::{Duration, Instant};

use bulwark_engine::signature::{Signature, address_of};
use bulwark_engine::{
    AccountIndex, Address, B256, Batch, Domain, Header, L1Message, MessageKind, NEW_ACCOUNT,
    SignedTransfer, State, Step, TokenId, Transfer, apply_step, trace,
};
use criterion::{BatchSize, Criterion, Throughput};
use k256::ecdsa::SigningKey;

const ACCOUNTS: u32 = 1024;
const OWNERS: u32 = 64;
const TRANSFERS: u32 = 512;

/// The pre-state, the batch, and each transfer's digest and signature.
struct Inputs {
    domain: Domain,
    state: State,
    header: Header,
    records: Vec<[u8; 128]>,
    signed: Vec<(B256, [u8; 65])>,
}

fn inputs() -> Inputs {
    let domain = Domain::new(31337, Address::repeat_byte(0x42));
    let keys: Vec<SigningKey> = (0..OWNERS)
        .map(|i| SigningKey::from_bytes(&[i as u8 + 1; 32].into()).expect("a valid key"))
        .collect();
    let mut state = State::genesis();
    for i in 0..ACCOUNTS {
        let deposit = L1Message {
            index: u64::from(i),
            kind: MessageKind::Deposit,
            sender: address_of(&keys[(i % OWNERS) as usize]),
            target: NEW_ACCOUNT,
            token: TokenId(0),
            amount: 1_000_000,
            queued_at: 0,
        };
        apply_step(
            &mut state,
            &domain,
            &Header::default(),
            &Step::Message(deposit),
        );
    }
    let header = Header::new(vec![(TokenId(0), AccountIndex(0))]).expect("one entry");
    let mut records = Vec::new();
    let mut signed = Vec::new();
    for i in 0..TRANSFERS {
        // 7 is odd, so each account sends at most once and nonce 0 is right.
        let from = (i * 7) % ACCOUNTS;
        let tx = Transfer {
            from: AccountIndex(from),
            to: AccountIndex((i * 13 + 5) % ACCOUNTS),
            token: TokenId(0),
            amount: 10,
            fee: 1,
            nonce: 0,
        };
        let record = SignedTransfer::sign(tx, &domain, &keys[(from % OWNERS) as usize]);
        signed.push((tx.digest(&domain), record.signature));
        records.push(record.encode());
    }
    Inputs {
        domain,
        state,
        header,
        records,
        signed,
    }
}

/// (a): recovery alone, as the STF calls it.
fn recover_all(inputs: &Inputs) -> usize {
    let mut ok = 0;
    for (digest, signature) in &inputs.signed {
        if let Ok(signature) = Signature::parse(signature) {
            ok += usize::from(signature.recover(digest).is_ok());
        }
    }
    ok
}

/// (b): the STF over every record, then the state root.
fn apply_all(inputs: &Inputs, mut state: State) -> (usize, B256) {
    let mut applied = 0;
    for record in &inputs.records {
        applied += usize::from(
            apply_step(
                &mut state,
                &inputs.domain,
                &inputs.header,
                &Step::Record(*record),
            )
            .is_applied(),
        );
    }
    (applied, state.root())
}

fn criterion_benches(c: &mut Criterion, inputs: &Inputs) {
    let mut group = c.benchmark_group("batch_of_512_transfers");
    group.throughput(Throughput::Elements(u64::from(TRANSFERS)));
    group.sample_size(20);
    group.bench_function("ecrecover", |b| b.iter(|| black_box(recover_all(inputs))));
    group.bench_function("stf_and_state_root", |b| {
        b.iter_batched(
            || inputs.state.clone(),
            |state| black_box(apply_all(inputs, state)),
            BatchSize::LargeInput,
        )
    });
    let batch = Batch::new(inputs.header.clone(), inputs.records.clone()).expect("512 records");
    group.bench_function("trace_with_every_step_root", |b| {
        b.iter(|| {
            black_box(trace(&inputs.state, &inputs.domain, &[], &batch).map(|(t, _)| t.root()))
        })
    });
    group.finish();
}

/// Median seconds of `runs` runs of `f`, each on fresh input from `setup`.
fn median<S, T>(runs: usize, mut setup: impl FnMut() -> S, mut f: impl FnMut(S) -> T) -> f64 {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let input = setup();
            let start = Instant::now();
            black_box(f(input));
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2].as_secs_f64()
}

fn main() {
    let inputs = inputs();
    assert_eq!(
        recover_all(&inputs),
        TRANSFERS as usize,
        "every signature recovers"
    );
    assert_eq!(
        apply_all(&inputs, inputs.state.clone()).0,
        TRANSFERS as usize,
        "every transfer applies"
    );

    let mut criterion = Criterion::default().configure_from_args();
    criterion_benches(&mut criterion, &inputs);
    criterion.final_summary();

    // A full run (`cargo bench`) measures the ratio carefully; `cargo test
    // --benches` only checks that it runs.
    let runs = if std::env::args().any(|a| a == "--bench") {
        41
    } else {
        3
    };
    let recover = median(runs, || (), |()| recover_all(&inputs));
    let apply = median(
        runs,
        || inputs.state.clone(),
        |state| apply_all(&inputs, state),
    );
    let n = f64::from(TRANSFERS);
    let (recoveries_per_s, transfers_per_s) = (n / recover, n / apply);
    let ratio = transfers_per_s / recoveries_per_s;
    println!("ecrecover:  {recoveries_per_s:>9.0} recoveries/s (512 signatures, median of {runs})");
    println!(
        "transfers:  {transfers_per_s:>9.0} transfers/s  (STF + signature checks + final state root)"
    );
    println!("ratio:      {ratio:.3} (transfers/s over ecrecover/s; target >= 0.6)");
}
