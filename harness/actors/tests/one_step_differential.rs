//! The deployed Solidity one-step against the engine (PROTOCOL §8.3), on one
//! anvil devnet: random pre-states (balances near `2^128`, nonces at
//! `2^32 − 2` and `2^32 − 1`, withdrawal leaves) and random steps (deposits
//! and forced withdrawals; transfers and withdraws valid or signed wrongly,
//! with high `s`, bad `v`, `r = 0`, unknown kinds, dirty padding, stale
//! nonces, overdrafts, overflowing credits, `from = to =` fee recipient;
//! identity steps). The engine builds each witness and verifies it with
//! `verify_step_outcome`; `OneStepVerifier.execute` runs the same bytes
//! through `eth_call`. Both must give the same post-root, the same
//! applied/skipped and the same skip reason. Fixed cases, one per reason, run
//! first, so a broken rule is named.
//!
//! 1,000 random cases by default; `PROPTEST_CASES` sets the count.

mod one_step;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Instant;

use alloy::primitives::hex;
use bulwark_actors::devnet::{Devnet, DevnetConfig};
use bulwark_engine::{Domain, Step, trace};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use tokio::runtime::Runtime;

use one_step::build::build;
use one_step::onchain::{Verdict, Verifier, engine};
use one_step::{fixed, plan};

const DEFAULT_CASES: u32 = 1_000;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

#[test]
fn the_deployed_one_step_agrees_with_the_engine() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let devnet = runtime
        .block_on(Devnet::start(&DevnetConfig::default()))
        .expect("devnet");
    let d = &devnet.deployment;
    // The Rollup is the EIP-712 verifying contract, whoever verifies.
    let domain = Domain::new(d.chain_id, d.rollup);
    let verifier = Verifier::new(d.verifier, devnet.deployer.provider.clone());
    fixed_cases(&runtime, &verifier, &domain);
    random_cases(&runtime, &verifier, &domain);
}

fn fixed_cases(runtime: &Runtime, verifier: &Verifier, domain: &Domain) {
    let cases = fixed::all(domain);
    let mut failures = Vec::new();
    for case in &cases {
        let (engine, _) = engine(case.pre_root, domain, &case.anchor, &case.witness);
        let said = match &engine {
            Verdict::Ran { outcome, .. } => outcome.clone(),
            Verdict::Rejected(error) => format!("rejected: {error}"),
        };
        if said != case.expect {
            failures.push(format!(
                "{}: the engine says {said}, the case expects {}",
                case.name, case.expect
            ));
            continue;
        }
        let solidity = runtime
            .block_on(verifier.verdict(case.pre_root, &case.anchor, &case.witness.encode()))
            .expect("the node answers");
        if solidity != engine {
            failures.push(format!(
                "{}: engine {engine:?}, one-step {solidity:?}",
                case.name
            ));
        }
    }
    println!("{} fixed cases", cases.len());
    assert!(
        failures.is_empty(),
        "fixed cases failed:\n{}",
        failures.join("\n")
    );
}

/// What the random cases did, by the engine's verdict.
#[derive(Default)]
struct Tally {
    cases: usize,
    applied: usize,
    skipped: usize,
    by_step: BTreeMap<&'static str, usize>,
    reasons: BTreeMap<String, usize>,
}

impl Tally {
    fn count(&mut self, step: &Step, verdict: &Verdict) {
        self.cases += 1;
        let kind = match step {
            Step::Message(_) => "message",
            Step::Record(_) => "record",
            Step::Identity => "identity",
        };
        *self.by_step.entry(kind).or_default() += 1;
        if let Verdict::Ran { outcome, .. } = verdict {
            if verdict.skipped() {
                self.skipped += 1;
                *self.reasons.entry(outcome.clone()).or_default() += 1;
            } else {
                self.applied += 1;
            }
        }
    }
}

fn random_cases(runtime: &Runtime, verifier: &Verifier, domain: &Domain) {
    let tally = RefCell::new(Tally::default());
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        max_shrink_iters: 1_000,
        failure_persistence: None,
        ..Config::default()
    });
    let start = Instant::now();
    let result = runner.run(&plan::case(), |plan| {
        let built = build(&plan, domain);
        let pre_root = built.state.root();
        let anchor = built.anchor();
        let witness = built.witness(domain);
        let (engine, _) = engine(pre_root, domain, &anchor, &witness);
        // The stateful engine took the same step to the same place.
        let (traced, _) = trace(&built.state, domain, &built.messages, &built.batch)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let stateful = Verdict::Ran {
            post_root: traced.post_roots()[built.index],
            outcome: traced.outcomes()[built.index].name().to_owned(),
        };
        prop_assert_eq!(&engine, &stateful, "verify_step disagrees with the stateful engine");
        let bytes = witness.encode();
        let solidity = runtime
            .block_on(verifier.verdict(pre_root, &anchor, &bytes))
            .map_err(TestCaseError::fail)?;
        tally.borrow_mut().count(&built.step(), &engine);
        prop_assert_eq!(
            &solidity,
            &engine,
            "one-step (left) and engine (right) disagree on {}\npre-root {}\nanchor {:?}\nwitness 0x{}",
            built.step(),
            pre_root,
            anchor,
            hex::encode(&bytes)
        );
        Ok(())
    });
    let elapsed = start.elapsed();
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, plan)) => panic!("{reason}\nminimal case: {plan:#?}"),
        Err(TestError::Abort(reason)) => panic!("proptest aborted: {reason}"),
    }
    let t = tally.into_inner();
    println!(
        "{} random cases in {elapsed:.1?}: {} applied, {} skipped; by step {:?}",
        t.cases, t.applied, t.skipped, t.by_step
    );
    println!("skip reasons: {:?}", t.reasons);
    assert!(
        3 * t.skipped >= t.cases,
        "only {} of {} cases skipped: the generators lost their malformed third",
        t.skipped,
        t.cases
    );
    assert!(
        5 * t.applied >= t.cases,
        "only {} of {} cases applied: the generators lost their valid steps",
        t.applied,
        t.cases
    );
}
