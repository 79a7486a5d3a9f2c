//! System property tests: random adversarial histories of every actor on one
//! anvil (deployed once, reset between cases by snapshot), each outcome
//! predicted by the model and every invariant checked after every action
//! (`bulwark_actors::system`). A failure shrinks to a short history, printed
//! as a transcript and written to `target/tmp/system-failures/` as a scenario
//! file (docs/SCENARIOS.md) that `bulwark scenario run` replays.
//!
//! Two runs per `cargo test`: a fixed seed, then a random one (or
//! `BULWARK_SYSTEM_SEED`), both printed. `PROPTEST_CASES` sets the cases per
//! run (default 16), `BULWARK_SYSTEM_ACTIONS` the longest history (default 30);
//! `BULWARK_SYSTEM_TRACE=1` prints every case's transcript.

#[path = "system/strategy.rs"]
mod strategy;

use std::cell::{Cell, RefCell};

use bulwark_actors::system::{self, Action, World};
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};

/// The seed every run starts with, so CI always covers the same histories too.
const FIXED_SEED: u64 = 184_629_836;

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|s| s.parse().ok())
}

fn run_seed(runtime: &tokio::runtime::Runtime, world: &RefCell<World>, seed: u64, label: &str) {
    let cases = env_number("PROPTEST_CASES").unwrap_or(16) as u32;
    let actions = env_number("BULWARK_SYSTEM_ACTIONS").unwrap_or(30) as usize;
    let trace = std::env::var_os("BULWARK_SYSTEM_TRACE").is_some();
    eprintln!("system properties: {label} seed {seed}, {cases} cases of up to {actions} actions");
    let config = Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        max_shrink_iters: 256,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    // Runs before the first failure are cases; runs after it are shrink steps.
    let (runs, caught_at) = (Cell::new(0u32), Cell::new(None));
    let result = runner.run(&strategy::history(1, actions), |history: Vec<Action>| {
        runs.set(runs.get() + 1);
        let result = runtime.block_on(world.borrow_mut().run(&history));
        if trace {
            eprintln!("case {}:", runs.get());
            for line in &world.borrow().transcript {
                eprintln!("  {line}");
            }
        }
        result.map_err(|failed| {
            caught_at.set(caught_at.get().or(Some(runs.get())));
            TestCaseError::fail(failed.to_string())
        })
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, history)) => {
            let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join("system-failures")
                .join(format!("seed-{seed}.toml"));
            let caught = caught_at.get().unwrap_or(0);
            let shrinks = runs.get() - caught;
            let comment = format!(
                "A history that breaks the system (seed {seed}): caught at case {caught}, \
                 shrunk in {shrinks} runs to {} actions.\n{reason}",
                history.len()
            );
            let scenario = system::file::write(&format!("seed {seed}"), &comment, &history);
            let written = system::write_file(&path, &scenario);
            panic!(
                "{label} seed {seed}: caught at case {caught}, shrunk in {shrinks} runs to a history of {} actions \
                 (scenario {}: {written:?}):\n{reason}",
                history.len(),
                path.display()
            );
        }
        Err(TestError::Abort(why)) => panic!("{label} seed {seed}: aborted: {why}"),
    }
}

#[test]
fn every_history_keeps_every_invariant() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let world = RefCell::new(
        runtime
            .block_on(World::start())
            .unwrap_or_else(|e| panic!("starting the system: {e}")),
    );
    run_seed(&runtime, &world, FIXED_SEED, "fixed");
    let random = env_number("BULWARK_SYSTEM_SEED").unwrap_or_else(rand_seed);
    run_seed(&runtime, &world, random, "random");
    eprintln!("system properties: what the histories reached:");
    for (event, count) in &world.borrow().coverage {
        eprintln!("  {count:>6}  {event}");
    }
}

/// A seed from the OS's randomness (through the standard library's hasher keys).
fn rand_seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

proptest::proptest! {
    /// A history written as a scenario file reads back as the same history,
    /// so a shrunk failure replays exactly through `bulwark scenario run`.
    #[test]
    fn scenario_files_read_back_as_written(history in strategy::history(1, 40)) {
        let text = system::file::write("a case", "a comment\nover two lines", &history);
        let parsed = system::file::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let read: Vec<Action> = parsed
            .plan()
            .filter_map(|(_, step)| match step {
                system::file::Planned::Act(action, _) => Some(action),
                system::file::Planned::Expect(_) => None,
            })
            .collect();
        proptest::prop_assert_eq!(read, history);
    }
}
