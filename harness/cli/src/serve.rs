//! `bulwark sequencer`: the long-running sequencer against a deployment file,
//! serving its HTTP API until Ctrl-C or SIGTERM.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use bulwark_chain::{
    Deployment,
    follow::{Confirmations, FollowConfig},
};
use bulwark_services::{ChallengerConfig, ChallengerService, SequencerConfig, SequencerService};
use clap::Args;
use eyre::WrapErr;

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
}

/// Runs `bulwark challenger` until Ctrl-C or SIGTERM.
pub async fn challenger(args: ChallengerArgs) -> eyre::Result<()> {
    let signer = args.chain.key.signer()?;
    let deployment = deployment(&args.chain.deployment, &args.chain.rpc_url).await?;
    if args.interval == 0 {
        eyre::bail!("--interval must be at least 1 second");
    }
    let (rollup, key) = (deployment.rollup, signer.address());
    let service = ChallengerService::start(ChallengerConfig {
        deployment,
        rpc_url: args.chain.rpc_url,
        signer,
        interval: Duration::from_secs(args.interval),
        follow: FollowConfig {
            confirmations: args.confirmations,
            max_range: args.log_range.max(1),
        },
    })
    .await
    .wrap_err("starting the challenger")?;
    // Scripts and tests wait for this line.
    println!("challenger {key} watching rollup {rollup}");
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
    })
    .await
    .wrap_err("starting the sequencer")?;
    // Scripts and tests wait for this line.
    println!("sequencer API listening on http://{}", service.local_addr());
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
