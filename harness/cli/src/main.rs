//! `bulwark`: the command-line edge of the harness. Deploys the suite to any
//! chain, runs the sequencer and challenger services, runs the demo, measures
//! gas and replays scenario files.

mod deploy;
mod devnet;
mod keys;
mod replay;
mod rpc;
mod scenario;
mod serve;
mod tx;

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    time::Instant,
};

use bulwark_actors::{
    devnet::DevnetConfig,
    scenario::{
        censor,
        dispute_gas::{self, DisputeTable},
        gas_per_transfer::{self, Measurement},
        gas_report::GasReport,
        happy_path,
    },
    transcript::{Event, Transcript},
};
use bulwark_chain::node::L1Kind;
use bulwark_engine::params::MAX_RECORDS;
use clap::{Parser, Subcommand};
use eyre::{WrapErr, bail};

#[derive(Parser)]
#[command(
    name = "bulwark",
    version,
    about = "Bulwark, an optimistic rollup on Ethereum: deploy it, run it, use it, test it"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Deploy the suite to any chain, recorded in <out>/<chainId>.json.
    ///
    /// Re-running against a chain that already has that deployment changes nothing.
    Deploy(deploy::DeployArgs),
    /// Run everything locally: an L1, the suite, a sequencer with its API, a challenger.
    ///
    /// Starts anvil (or Hardhat's node), deploys the suite with a Safe guardian and a demo
    /// token, runs a sequencer with its API and an honest challenger, prints the endpoints,
    /// addresses and funded dev keys, and serves until Ctrl-C.
    Devnet(devnet::DevnetArgs),
    /// Run the sequencer service for a deployment.
    ///
    /// Rebuilds the L2 from L1, serves the HTTP API (docs/API.md), commits a batch every
    /// interval; stops cleanly on Ctrl-C or SIGTERM.
    Sequencer(serve::SequencerArgs),
    /// Run an independent challenger for a deployment.
    ///
    /// Re-executes every batch from L1 alone, opens a game on a false one and plays it to the
    /// end; stops cleanly on Ctrl-C or SIGTERM.
    Challenger(serve::ChallengerArgs),
    /// The user's side: deposits, transfers, withdrawals, the escape hatch.
    ///
    /// Deposit and force-withdraw on L1; sign and post transfers and withdrawals to the
    /// sequencer's API; read a transaction's fate; pay a final withdrawal; exit after a freeze.
    Tx {
        #[command(subcommand)]
        command: tx::TxCommand,
    },
    /// The narrated demo on a fresh local L1.
    ///
    /// Deposit, transact (with invalid transactions), commit, finalize and withdraw, a forced
    /// withdrawal through a guardian pause, and a dispute game, narrating every step.
    Demo {
        /// L1 client to start: anvil or hardhat.
        #[arg(long, default_value = "anvil")]
        l1: L1Kind,
        /// Challenge window in seconds.
        #[arg(long, default_value_t = 3_600)]
        window: u64,
        /// Run the censorship scenario instead: the sequencer ignores a forced
        /// withdrawal past its deadline, a keeper freezes the rollup, and
        /// everyone exits from the last final batch.
        #[arg(long)]
        censor: bool,
    },
    /// Measure L1 gas per L2 transfer from commit receipts at several batch sizes.
    GasPerTransfer {
        /// L1 client to start: anvil or hardhat.
        #[arg(long, default_value = "anvil")]
        l1: L1Kind,
        /// Batch sizes (transfers per commit), each at most MAX_RECORDS (512).
        #[arg(long, value_delimiter = ',', default_value = "16,256,512")]
        sizes: Vec<usize>,
    },
    /// Measure every gas figure from receipts and write them as JSON.
    ///
    /// Commits per transfer, the happy path's deposits, finalizations and withdrawals, the
    /// escape hatch, and whole dispute games.
    Gas {
        /// L1 client to start: anvil or hardhat.
        #[arg(long, default_value = "anvil")]
        l1: L1Kind,
        /// Batch sizes (transfers per commit), each at most MAX_RECORDS (512).
        #[arg(long, value_delimiter = ',', default_value = "16,256,512")]
        sizes: Vec<usize>,
        /// Trace sizes of the disputed batches: powers of two in 2..=1024.
        #[arg(long, value_delimiter = ',', default_value = "16,256,1024")]
        traces: Vec<usize>,
        /// Where to write the figures (written atomically; its directory is created).
        #[arg(long, default_value = "target/gas.json")]
        json: PathBuf,
    },
    /// Replay dispute games move by move, as text, JSON or an HTML page with a picture.
    Dispute {
        #[command(subcommand)]
        command: replay::DisputeCommand,
    },
    /// Run scenario files: actors, steps and expectations in TOML (docs/SCENARIOS.md).
    ///
    /// The shipped ones are under scenarios/; the system property tests write their shrunk
    /// failures in the same format.
    Scenario {
        #[command(subcommand)]
        command: scenario::ScenarioCommand,
    },
}

fn main() -> ExitCode {
    let command = Cli::parse().command;
    // A one-shot command's output piped into a reader that stops early (`bulwark … | head`)
    // ends the process quietly, as other command-line tools do, instead of a panic in
    // `println!`. Long-running services keep Rust's default: a closed pipe is an error they
    // survive, not a signal that kills them.
    #[cfg(unix)]
    if !matches!(
        command,
        Command::Sequencer(_) | Command::Challenger(_) | Command::Devnet(_)
    ) {
        // SAFETY: no other thread exists yet (the runtime starts below); this only restores
        // the default action for SIGPIPE.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: starting the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async_main(command))
}

async fn async_main(command: Command) -> ExitCode {
    // Without RUST_LOG: the services' own progress, warnings from the harness, nothing from
    // dependencies (a TLS verifier logging its refusal would double the one-line error).
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(
            "off,bulwark=warn,bulwark_chain=warn,bulwark_actors=warn,bulwark_services=info",
        )
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match run(command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, the causes joined by ": "; RUST_LOG=debug shows more.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> eyre::Result<()> {
    match command {
        Command::Deploy(args) => deploy::run(args).await,
        Command::Devnet(args) => devnet::run(args).await,
        Command::Sequencer(args) => serve::sequencer(args).await,
        Command::Challenger(args) => serve::challenger(args).await,
        Command::Tx { command } => tx::run(command).await,
        Command::Demo { l1, window, censor } if censor => demo_censor(l1, window).await,
        Command::Demo { l1, window, .. } => demo(l1, window).await,
        Command::GasPerTransfer { l1, sizes } => transfers(l1, &sizes).await.map(drop),
        Command::Gas {
            l1,
            sizes,
            traces,
            json,
        } => gas(l1, &sizes, &traces, &json).await,
        Command::Scenario { command } => scenario::run(command).await,
        Command::Dispute { command } => replay::run(command).await,
    }
}

async fn gas(l1: L1Kind, sizes: &[usize], traces: &[usize], json: &Path) -> eyre::Result<()> {
    let started = Instant::now();
    for &trace in traces {
        dispute_gas::check_trace(trace)?;
    }
    let mut report = GasReport::default();
    report.add_transfers(&transfers(l1, sizes).await?);

    println!("running the happy path (deposits, finalization, withdrawals) on {l1} ...");
    let config = DevnetConfig {
        l1,
        ..DevnetConfig::default()
    };
    let outcomes = happy_path::run(&config, &mut Transcript::silent())
        .await
        .wrap_err("running the happy path")?;
    if !outcomes.failed_checks.is_empty() {
        bail!("happy path checks failed: {:?}", outcomes.failed_checks);
    }
    report.add_happy_path(&outcomes.gas);

    println!("running the censorship scenario (freeze, exits, refunds) on {l1} ...");
    let censored = censor::run(
        &DevnetConfig {
            users: censor::USERS.map(String::from).to_vec(),
            ..config.clone()
        },
        &mut Transcript::silent(),
    )
    .await
    .wrap_err("running the censorship scenario")?;
    if !censored.failed_checks.is_empty() {
        bail!("censorship checks failed: {:?}", censored.failed_checks);
    }
    report.add_escape(&censored.gas);

    println!("playing dispute games at T = {traces:?} on {l1} ...");
    let config = DevnetConfig {
        users: ["alice", "bob", "carol", "dave", "watcher"]
            .map(String::from)
            .to_vec(),
        ..config
    };
    let runs = dispute_gas::measure(&config, traces)
        .await
        .wrap_err("measuring dispute games")?;
    for run in &runs {
        println!("T = {}:", run.trace);
        for m in &run.moves {
            println!("  {m}");
        }
    }
    println!("{}", DisputeTable(&runs));
    report.add_disputes(&runs);

    println!("\ngas used, from receipts (dispute.moves_per_side.* are move counts):");
    print!("{report}");
    let over = report.over_cap();
    if !over.is_empty() {
        bail!("transactions at or above 2^24 gas: {over:?}");
    }
    let missed = report.over_target();
    if !missed.is_empty() {
        bail!("figures above their targets (name, gas, target): {missed:?}");
    }
    report
        .write_json(json)
        .wrap_err_with(|| format!("writing {}", json.display()))?;
    println!(
        "wrote {} figures to {} in {:.1} s",
        report.figures().count(),
        json.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Measures and prints L1 gas per transfer at each batch size.
async fn transfers(l1: L1Kind, sizes: &[usize]) -> eyre::Result<Vec<Measurement>> {
    if let Some(n) = sizes.iter().find(|&&n| n == 0 || n > MAX_RECORDS) {
        bail!("batch size {n} is outside 1..={MAX_RECORDS} (MAX_RECORDS)");
    }
    let users = (0..8).map(|i| format!("user{i}")).collect();
    let config = DevnetConfig {
        l1,
        users,
        ..DevnetConfig::default()
    };
    println!("measuring commits of {sizes:?} transfers on {l1} ...");
    let measured = gas_per_transfer::measure(&config, sizes)
        .await
        .wrap_err("measuring gas per transfer")?;
    println!(
        "{:>9} {:>12} {:>10} {:>14} {:>8}",
        "transfers", "commit gas", "calldata", "gas/transfer", "applied"
    );
    for m in &measured {
        println!(
            "{:>9} {:>12} {:>10} {:>14.0} {:>8}",
            m.transfers,
            m.commit_gas,
            m.calldata,
            m.gas_per_transfer(),
            m.applied
        );
        if m.applied != m.transfers {
            bail!(
                "only {} of {} transfers applied: the measurement is not of valid transfers",
                m.applied,
                m.transfers
            );
        }
    }
    if let [first, .., last] = measured.as_slice()
        && last.transfers != first.transfers
    {
        let marginal = (last.commit_gas as f64 - first.commit_gas as f64)
            / (last.transfers as f64 - first.transfers as f64);
        println!(
            "marginal gas per transfer between {} and {}: {marginal:.0}",
            first.transfers, last.transfers
        );
    }
    Ok(measured)
}

async fn demo(l1: L1Kind, window: u64) -> eyre::Result<()> {
    let started = Instant::now();
    let config = DevnetConfig {
        l1,
        window,
        ..DevnetConfig::default()
    };
    let mut transcript = Transcript::printing();
    let outcomes = happy_path::run(&config, &mut transcript)
        .await
        .wrap_err("the demo scenario failed")?;

    transcript.push(Event::Stage("Summary".into()));
    let g = &outcomes.gas;
    transcript.push(Event::Line(format!(
        "gas: depositETH {}, depositERC20 {} (first {}), finalizeBatch {}, finalizeWithdrawal ETH {} / ERC20 {}",
        g.deposit_eth, g.deposit_erc20, g.deposit_erc20_first, g.finalize_batch, g.withdraw_eth, g.withdraw_erc20
    )));
    transcript.push(Event::Line(format!(
        "gas: forceWithdrawal {}, the guardian's pause through its Safe {}",
        g.forced_withdrawal, g.guardian_pause
    )));
    for (records, messages, gas) in &g.commits {
        transcript.push(Event::Line(format!(
            "gas: commit of {records} records + {messages} messages: {gas}"
        )));
    }
    transcript.push(Event::Line(format!(
        "gas: the dispute game, open to resolve, both sides: {}",
        g.dispute_whole
    )));
    transcript.push(Event::Line(format!(
        "{} batches, {} steps skipped, {} withdrawals paid, {} checks failed, {:.1} s",
        outcomes.batches,
        outcomes.skipped.len(),
        outcomes.payouts.len(),
        outcomes.failed_checks.len(),
        started.elapsed().as_secs_f64()
    )));
    if !outcomes.failed_checks.is_empty() {
        bail!("checks failed: {:?}", outcomes.failed_checks);
    }
    Ok(())
}

async fn demo_censor(l1: L1Kind, window: u64) -> eyre::Result<()> {
    let started = Instant::now();
    let config = DevnetConfig {
        l1,
        window,
        users: censor::USERS.map(String::from).to_vec(),
        ..DevnetConfig::default()
    };
    let mut transcript = Transcript::printing();
    let outcomes = censor::run(&config, &mut transcript)
        .await
        .wrap_err("the censorship scenario failed")?;

    transcript.push(Event::Stage("Summary".into()));
    let g = &outcomes.gas;
    /// `lo..hi` of the gas figures, or the one figure when all are equal.
    fn span(gas: impl Iterator<Item = u64> + Clone) -> String {
        match (gas.clone().min(), gas.max()) {
            (Some(lo), Some(hi)) if lo < hi => format!("{lo}..{hi}"),
            (Some(lo), _) => lo.to_string(),
            _ => "-".into(),
        }
    }
    transcript.push(Event::Line(format!(
        "gas: forceWithdrawal {}, freeze {}, exit {}, withdrawal {}, refund {}",
        g.forced_withdrawal,
        g.freeze,
        span(g.exits.iter().map(|e| e.1)),
        span(g.withdrawals.iter().map(|w| w.1)),
        span(g.refunds.iter().map(|r| r.1)),
    )));
    transcript.push(Event::Line(format!(
        "frozen at tip {}, pinned batch {}; paid: exits {}, withdrawals {}, refunds {}; {} actions refused; \
         {} checks failed, {:.1} s",
        outcomes.tip_at_freeze,
        outcomes.pinned,
        g.exits.len(),
        g.withdrawals.len(),
        g.refunds.len(),
        outcomes.refused.len(),
        outcomes.failed_checks.len(),
        started.elapsed().as_secs_f64()
    )));
    if !outcomes.failed_checks.is_empty() {
        bail!("checks failed: {:?}", outcomes.failed_checks);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every subcommand's flags are well-formed (unique names, valid defaults).
    #[test]
    fn the_command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
