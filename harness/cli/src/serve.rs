//! `bulwark sequencer`: the long-running sequencer against a deployment file,
//! serving its HTTP API until Ctrl-C or SIGTERM.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use bulwark_chain::{
    Deployment,
    follow::{Confirmations, FollowConfig},
};
use bulwark_services::{
    ChallengerConfig, ChallengerService, ReplayProgress, ReplayReport, SequencerConfig,
    SequencerService,
};
use clap::Args;
use eyre::WrapErr;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use crate::{keys::KeyArgs, rpc};

/// A deployment, the endpoint of its chain and a key: what every command
/// acting on a live deployment takes.
#[derive(Args, Debug)]
pub struct ChainArgs {
    /// The deployment file (`bulwark deploy` or the forge script wrote it).
    #[arg(long, value_name = "FILE")]
    pub deployment: PathBuf,
    /// The L1 JSON-RPC endpoint (http or https).
    #[arg(
        long,
        value_name = "URL",
        env = "BULWARK_RPC_URL",
        hide_env_values = true
    )]
    pub rpc_url: String,
    #[command(flatten)]
    pub key: KeyArgs,
}

/// `bulwark sequencer`'s flags.
#[derive(Args, Debug)]
pub struct SequencerArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    /// Where the HTTP API listens.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8547")]
    pub listen: SocketAddr,
    /// Where the journal of accepted, not yet committed transactions is kept.
    #[arg(long, value_name = "DIR", default_value = ".bulwark")]
    pub data_dir: PathBuf,
    /// Seconds between batches (a batch is committed only when there is something to carry).
    #[arg(long, value_name = "SECONDS", default_value_t = 12)]
    pub batch_interval: u64,
    /// How deep an L1 message must be before it is consumed: a block count, "safe" or
    /// "finalized".
    #[arg(long, value_name = "DEPTH", default_value = "0")]
    pub confirmations: Confirmations,
    /// The widest eth_getLogs block range asked for (halved while the endpoint refuses it).
    #[arg(long, value_name = "BLOCKS", default_value_t = 10_000)]
    pub log_range: u64,
    /// Print the start line as one JSON object (API URL, addresses, tip) for scripts.
    #[arg(long)]
    pub json: bool,
}

/// `bulwark challenger`'s flags.
#[derive(Args, Debug)]
pub struct ChallengerArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    /// Seconds between passes over the live batches and the games.
    #[arg(long, value_name = "SECONDS", default_value_t = 12)]
    pub interval: u64,
    /// How deep a block must be before its batches are audited: a block count, "safe" or
    /// "finalized".
    #[arg(long, value_name = "DEPTH", default_value = "0")]
    pub confirmations: Confirmations,
    /// The widest eth_getLogs block range asked for (halved while the endpoint refuses it).
    #[arg(long, value_name = "BLOCKS", default_value_t = 10_000)]
    pub log_range: u64,
    /// Print the start line as one JSON object (addresses) for scripts.
    #[arg(long)]
    pub json: bool,
}

/// A progress bar on stderr for a service's start-up read of L1 (drawn only
/// on a terminal), and the report that moves it.
fn replay_bar() -> (ProgressBar, ReplayReport) {
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{spinner} {msg} [{pos}/{len}] ({elapsed})")
            .expect("static template"),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let moved = bar.clone();
    let report = move |progress: ReplayProgress| match progress {
        ReplayProgress::Read { from, block, to } => {
            moved.set_message("reading L1 blocks");
            moved.set_length(to.saturating_sub(from) + 1);
            moved.set_position(block.saturating_sub(from) + 1);
        }
        ReplayProgress::Derived { batch, of } => {
            moved.set_message("re-executing batches");
            moved.set_length(of);
            moved.set_position(batch);
        }
    };
    (bar, std::sync::Arc::new(report))
}

/// Runs `bulwark challenger` until Ctrl-C or SIGTERM.
pub async fn challenger(args: ChallengerArgs) -> eyre::Result<()> {
    let signer = args.chain.key.signer()?;
    let deployment = deployment(&args.chain.deployment, &args.chain.rpc_url).await?;
    if args.interval == 0 {
        eyre::bail!("--interval must be at least 1 second");
    }
    let (rollup, key, chain_id) = (deployment.rollup, signer.address(), deployment.chain_id);
    let (bar, report) = replay_bar();
    let service = ChallengerService::start(ChallengerConfig {
        deployment,
        rpc_url: args.chain.rpc_url,
        signer,
        interval: Duration::from_secs(args.interval),
        follow: FollowConfig {
            confirmations: args.confirmations,
            max_range: args.log_range.max(1),
        },
        on_replay: Some(report),
    })
    .await
    .wrap_err("starting the challenger");
    bar.finish_and_clear();
    let service = service?;
    // Scripts and tests wait for this line.
    if args.json {
        println!(
            "{}",
            json!({ "service": "challenger", "chainId": chain_id, "rollup": rollup, "challenger": key })
        );
    } else {
        println!("challenger {key} watching rollup {rollup}");
    }
    service.run(shutdown()).await;
    Ok(())
}

/// Loads and checks a deployment file against the chain behind `url`.
pub async fn deployment(path: &std::path::Path, url: &str) -> eyre::Result<Deployment> {
    let name = || path.display().to_string();
    let deployment = Deployment::load(path).wrap_err_with(name)?;
    let provider = rpc::connect(url)?;
    rpc::chain_id(&provider, url, None).await?;
    deployment.verify(&provider).await.wrap_err_with(name)?;
    Ok(deployment)
}

/// Runs `bulwark sequencer` until Ctrl-C or SIGTERM.
pub async fn sequencer(args: SequencerArgs) -> eyre::Result<()> {
    let signer = args.chain.key.signer()?;
    let deployment = deployment(&args.chain.deployment, &args.chain.rpc_url).await?;
    if args.batch_interval == 0 {
        eyre::bail!("--batch-interval must be at least 1 second");
    }
    if args.log_range == 0 {
        eyre::bail!("--log-range must be at least 1 block");
    }
    let (rollup, key, chain_id) = (deployment.rollup, signer.address(), deployment.chain_id);
    let (bar, report) = replay_bar();
    let service = SequencerService::start(SequencerConfig {
        deployment,
        rpc_url: args.chain.rpc_url,
        signer,
        data_dir: args.data_dir,
        listen: args.listen,
        batch_interval: Duration::from_secs(args.batch_interval),
        follow: FollowConfig {
            confirmations: args.confirmations,
            max_range: args.log_range,
        },
        on_replay: Some(report),
    })
    .await
    .wrap_err("starting the sequencer");
    bar.finish_and_clear();
    let service = service?;
    let api = format!("http://{}", service.local_addr());
    // Scripts and tests wait for this line.
    if args.json {
        let at = service.started();
        println!(
            "{}",
            json!({
                "service": "sequencer",
                "api": api,
                "chainId": chain_id,
                "rollup": rollup,
                "sequencer": key,
                "tip": at.tip,
                "lastFinalized": at.last_finalized,
                "pending": at.pending,
                "stateRoot": at.state_root,
            })
        );
    } else {
        println!("sequencer API listening on {api}");
    }
    service.run(shutdown()).await?;
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
