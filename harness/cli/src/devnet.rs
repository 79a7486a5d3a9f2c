//! `bulwark devnet`: a local L1 (anvil or Hardhat's node), the suite deployed
//! on it with a Safe guardian and a demo token, a staked sequencer serving the
//! API, an honest challenger, and funded users: everything a developer needs
//! to try a wallet or a script against, until Ctrl-C.

use std::{net::SocketAddr, time::Duration};

use alloy::signers::local::PrivateKeySigner;
use bulwark_actors::devnet::{Devnet, DevnetConfig};
use bulwark_chain::{
    follow::FollowConfig,
    node::{L1Kind, dev_signer},
};
use bulwark_services::{ChallengerConfig, ChallengerService, SequencerConfig, SequencerService};
use clap::Args;
use eyre::WrapErr;
use serde_json::{Value, json};

use crate::serve::shutdown;

/// `bulwark devnet`'s flags.
#[derive(Args, Debug)]
pub struct DevnetArgs {
    /// L1 client to start: anvil or hardhat.
    #[arg(long, default_value = "anvil")]
    pub l1: L1Kind,
    /// Where the sequencer's HTTP API listens (port 0: any free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8547")]
    pub listen: SocketAddr,
    /// Seconds between batches.
    #[arg(long, value_name = "SECONDS", default_value_t = 2)]
    pub batch_interval: u64,
    /// Challenge window, seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 3_600)]
    pub window: u64,
    /// Print one JSON object (endpoints, addresses, keys) instead of the summary.
    #[arg(long)]
    pub json: bool,
}

/// Runs `bulwark devnet` until Ctrl-C or SIGTERM.
pub async fn run(args: DevnetArgs) -> eyre::Result<()> {
    if args.batch_interval == 0 {
        eyre::bail!("--batch-interval must be at least 1 second");
    }
    let config = DevnetConfig {
        l1: args.l1,
        window: args.window,
        ..DevnetConfig::default()
    };
    let net = Devnet::start(&config)
        .await
        .wrap_err_with(|| format!("starting a devnet on {}", args.l1))?;
    let rpc = net.node.endpoint();
    let dir = std::env::temp_dir().join(format!("bulwark-devnet-{}", std::process::id()));
    let file = dir.join(format!("{}.json", net.deployment.chain_id));
    net.deployment
        .save(&file)
        .wrap_err_with(|| file.display().to_string())?;
    // The next dev key after the users plays the challenger.
    let watcher = dev_signer(2 + config.users.len())?;

    let sequencer = SequencerService::start(SequencerConfig {
        deployment: net.deployment.clone(),
        rpc_url: rpc.clone(),
        signer: net.sequencer_account().signer.clone(),
        data_dir: dir.clone(),
        listen: args.listen,
        batch_interval: Duration::from_secs(args.batch_interval),
        follow: FollowConfig::default(),
        on_replay: None,
    })
    .await
    .wrap_err("starting the sequencer")?;
    let challenger = ChallengerService::start(ChallengerConfig {
        deployment: net.deployment.clone(),
        rpc_url: rpc.clone(),
        signer: watcher.clone(),
        interval: Duration::from_secs(args.batch_interval),
        follow: FollowConfig::default(),
        on_replay: None,
    })
    .await
    .wrap_err("starting the challenger")?;

    let summary = summary(&net, &rpc, &file, &watcher, sequencer.local_addr());
    if args.json {
        println!("{summary}");
    } else {
        print_summary(&summary);
    }

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let on_stop = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        loop {
            let stop = *rx.borrow_and_update();
            if stop || rx.changed().await.is_err() {
                break;
            }
        }
    };
    let sequencer = tokio::spawn(sequencer.run(on_stop(stopped.clone())));
    let challenger = tokio::spawn(challenger.run(on_stop(stopped)));
    shutdown().await;
    let _ = stop.send(true);
    let served = sequencer.await;
    let _ = challenger.await;
    drop(net);
    let _ = std::fs::remove_dir_all(&dir);
    served.wrap_err("the sequencer task")??;
    if !args.json {
        println!("devnet stopped");
    }
    Ok(())
}

fn summary(
    net: &Devnet,
    rpc: &str,
    file: &std::path::Path,
    watcher: &PrivateKeySigner,
    api: SocketAddr,
) -> Value {
    let d = &net.deployment;
    let key = |s: &PrivateKeySigner| format!("0x{}", alloy::hex::encode(s.to_bytes()));
    let mut keys = vec![json!({
        "role": "sequencer",
        "address": net.sequencer_account().address().to_checksum(None),
        "privateKey": key(&net.sequencer_account().signer),
    })];
    for user in &net.users {
        keys.push(json!({
            "role": user.name,
            "address": user.address().to_checksum(None),
            "privateKey": key(&user.l1.signer),
        }));
    }
    keys.push(json!({
        "role": "challenger",
        "address": watcher.address().to_checksum(None),
        "privateKey": key(watcher),
    }));
    json!({
        "l1": net.node.kind().to_string(),
        "rpcUrl": rpc,
        "chainId": d.chain_id,
        "api": format!("http://{api}"),
        "deploymentFile": file,
        "rollup": d.rollup.to_checksum(None),
        "bridge": d.bridge.to_checksum(None),
        "verifier": d.verifier.to_checksum(None),
        "dispute": d.dispute.to_checksum(None),
        "demoToken": net.token.to_checksum(None),
        "guardian": net.guardian.address().to_checksum(None),
        "keys": keys,
    })
}

fn print_summary(s: &Value) {
    let text = |k: &str| s[k].as_str().unwrap_or_default().to_owned();
    println!("bulwark devnet on {}, chain {}", text("l1"), s["chainId"]);
    println!("  L1 RPC           {}", text("rpcUrl"));
    println!("  sequencer API    {}", text("api"));
    println!("  Rollup           {}", text("rollup"));
    println!("  Bridge           {}", text("bridge"));
    println!("  OneStepVerifier  {}", text("verifier"));
    println!("  DisputeGame      {}", text("dispute"));
    println!("  DemoToken (BDT)  {}", text("demoToken"));
    println!("  guardian         {} (a 3-of-5 Safe)", text("guardian"));
    println!("  deployment file  {}", text("deploymentFile"));
    println!("funded dev keys (public: never use them on a real network):");
    for k in s["keys"].as_array().into_iter().flatten() {
        println!(
            "  {:<10} {}  {}",
            k["role"].as_str().unwrap_or_default(),
            k["address"].as_str().unwrap_or_default(),
            k["privateKey"].as_str().unwrap_or_default()
        );
    }
    println!(
        "ready: the sequencer commits every batch interval, the challenger watches; Ctrl-C stops"
    );
}
