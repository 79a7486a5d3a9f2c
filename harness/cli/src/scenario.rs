//! `bulwark scenario run FILE`: a scenario file (docs/SCENARIOS.md) on a
//! fresh L1, step by step, every prediction, invariant and expectation
//! checked; a transcript as it goes, or one JSON object for scripts.

use std::path::PathBuf;

use bulwark_actors::system::{
    World,
    file::{self, Parsed},
    run::{self, StepReport},
};
use bulwark_chain::node::L1Kind;
use clap::{Args, Subcommand};
use eyre::{WrapErr, bail};
use serde_json::json;

use crate::replay::{self, Record};

/// `bulwark scenario`'s subcommands.
#[derive(Subcommand, Debug)]
pub enum ScenarioCommand {
    /// Run a scenario file on a fresh L1 and print its transcript.
    ///
    /// Every action's outcome is predicted and every invariant checked after it; `expect`
    /// steps check balances, winners, refusals and gas. Exits non-zero naming the first step
    /// that failed.
    Run(RunArgs),
}

/// `bulwark scenario run`'s flags.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,
    /// L1 client to start: anvil or hardhat.
    #[arg(long, default_value = "anvil")]
    pub l1: L1Kind,
    /// Print one JSON object (every step's report) instead of the transcript.
    #[arg(long)]
    pub json: bool,
    /// Write the run's record here (every dispute game, read back from L1 at the end) for
    /// `bulwark dispute replay --record FILE`; written whether the run passes or fails.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
}

/// Runs a `bulwark scenario` subcommand.
pub async fn run(command: ScenarioCommand) -> eyre::Result<()> {
    match command {
        ScenarioCommand::Run(args) => run_file(args).await,
    }
}

/// Reads and checks a scenario file: a one-line error naming the line and field.
pub fn read(path: &std::path::Path) -> eyre::Result<Parsed> {
    let text = std::fs::read_to_string(path)
        .wrap_err_with(|| format!("reading scenario {}", path.display()))?;
    file::parse(&text).wrap_err_with(|| path.display().to_string())
}

async fn run_file(args: RunArgs) -> eyre::Result<()> {
    let parsed = read(&args.file)?;
    let scenario = &parsed.scenario;
    let name = args.file.display().to_string();
    if !args.json {
        println!(
            "scenario {:?} ({name}) on {}: {} steps",
            scenario.name,
            args.l1,
            scenario.steps.len()
        );
        for line in scenario.description.lines() {
            println!("  {line}");
        }
    }
    let mut world = World::start_on(args.l1)
        .await
        .wrap_err("starting the system")?;
    let json = args.json;
    let result = run::run(&mut world, &parsed, |report| {
        if !json {
            print_step(report);
        }
    })
    .await;
    // The record is written whatever the run did; failing to write it never hides the run's
    // own result.
    let recorded = match &args.record {
        Some(path) => Some(record(&world, &args, scenario, result.is_ok(), path).await),
        None => None,
    };
    let record_error = match &recorded {
        Some(Err(e)) => Some(format!("{e:#}")),
        _ => None,
    };
    if let (Some(Ok(games)), Some(path), false) = (&recorded, &args.record, json) {
        println!(
            "recorded {games} dispute game{} in {}",
            if *games == 1 { "" } else { "s" },
            path.display()
        );
    }
    match result {
        Ok(reports) => {
            if json {
                println!(
                    "{}",
                    json!({ "scenario": scenario.name, "file": name, "l1": args.l1.to_string(), "passed": true, "steps": reports, "recordError": record_error })
                );
            } else {
                println!(
                    "passed: every prediction, invariant and expectation held over {} steps",
                    reports.len()
                );
            }
            match record_error {
                Some(e) => bail!("{name}: passed, but the record was not written: {e}"),
                None => Ok(()),
            }
        }
        Err(failed) => {
            if json {
                println!(
                    "{}",
                    json!({
                        "scenario": scenario.name, "file": name, "l1": args.l1.to_string(), "passed": false,
                        "failed": { "step": failed.step, "line": failed.line, "what": failed.what, "reason": failed.reason, "transcript": failed.transcript },
                        "recordError": record_error,
                    })
                );
            } else {
                for line in &failed.transcript {
                    println!("      {line}");
                }
            }
            match record_error {
                Some(e) => bail!("{name}: {failed} (and the record was not written: {e})"),
                None => bail!("{name}: {failed}"),
            }
        }
    }
}

/// Writes the run's record: its games read back from L1 before the L1 stops.
/// Returns how many games it holds.
async fn record(
    world: &World,
    args: &RunArgs,
    scenario: &file::Scenario,
    passed: bool,
    path: &std::path::Path,
) -> eyre::Result<usize> {
    let provider = &world.devnet().deployer.provider;
    let deployment = &world.devnet().deployment;
    let record = Record {
        scenario: scenario.name.clone(),
        file: args.file.display().to_string(),
        l1: args.l1.to_string(),
        passed,
        deployment: serde_json::from_str(&deployment.to_json()).wrap_err("the deployment")?,
        games: replay::games_for_record(provider, deployment).await?,
    };
    record.save(path)?;
    Ok(record.games.len())
}

fn print_step(report: &StepReport) {
    let head = format!(
        "step {} (line {}) {}",
        report.step, report.line, report.what
    );
    match report.gas {
        Some(gas) if gas.txs > 0 => println!(
            "{head:<60} {} gas in {} tx{} (largest {})",
            gas.total,
            gas.txs,
            if gas.txs == 1 { "" } else { "s" },
            gas.max
        ),
        _ => println!("{head}"),
    }
    for line in &report.transcript {
        println!("      {line}");
    }
    for line in &report.checked {
        println!("      ok: {line}");
    }
}
