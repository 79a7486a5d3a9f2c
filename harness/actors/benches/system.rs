//! Throughput of the system property tests: how many random histories of 30
//! actions run per minute against one anvil, reset by snapshot between cases
//! (issue target: at least 20 per minute on a 2-core machine). Not a timed
//! test: it measures and prints, and fails only if a history breaks the
//! system.
//!
//! `cargo bench -p bulwark-actors --bench system` (or `make bench`);
//! `BULWARK_BENCH_CASES` sets the number of cases (default 30).

#[path = "../tests/system/strategy.rs"]
mod strategy;

use std::time::Instant;

use bulwark_actors::system::World;
use proptest::{
    strategy::{Strategy, ValueTree},
    test_runner::{Config, RngSeed, TestRunner},
};

/// Actions per history, as the target counts them.
const ACTIONS: usize = 30;

fn main() {
    let cases: usize = std::env::var("BULWARK_BENCH_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let started = Instant::now();
    let mut world = runtime
        .block_on(World::start())
        .unwrap_or_else(|e| panic!("starting the system: {e}"));
    let setup = started.elapsed();

    let config = Config {
        rng_seed: RngSeed::Fixed(0xBE4C),
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let histories: Vec<_> = (0..cases)
        .map(|_| {
            strategy::history(ACTIONS, ACTIONS)
                .new_tree(&mut runner)
                .expect("a history")
                .current()
        })
        .collect();

    let running = Instant::now();
    for (i, history) in histories.iter().enumerate() {
        if let Err(failed) = runtime.block_on(world.run(history)) {
            panic!("case {i} breaks the system:\n{failed}");
        }
    }
    let elapsed = running.elapsed().as_secs_f64();
    let actions = (cases * ACTIONS) as f64;
    println!("system histories: {cases} cases of {ACTIONS} actions on one anvil");
    println!(
        "  set-up (anvil, deploy, batch 1 final): {:.1} s",
        setup.as_secs_f64()
    );
    println!(
        "  {:.1} s: {:.1} cases per minute, {:.1} actions per second ({:.0} ms per action, invariants included)",
        elapsed,
        cases as f64 * 60.0 / elapsed,
        actions / elapsed,
        elapsed * 1000.0 / actions
    );
    println!("  what the histories reached:");
    for (event, count) in &world.coverage {
        println!("    {count:>6}  {event}");
    }
}
