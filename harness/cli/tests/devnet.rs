//! `bulwark devnet` as a developer runs it: one process that starts an L1,
//! deploys, and serves a sequencer API with a challenger beside it; what it
//! prints is enough to use it, and Ctrl-C (SIGTERM here) stops all of it.

use std::{path::Path, process::Command, time::Duration};

use alloy::{
    primitives::U256,
    providers::{Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use bulwark_chain::{Deployment, bindings::Bridge, send};
use bulwark_engine::NEW_ACCOUNT;
use serde_json::Value;

mod common;

#[tokio::test]
async fn a_devnet_serves_until_it_is_stopped() {
    let bin = Path::new(env!("CARGO_BIN_EXE_bulwark"));
    let (mut guard, devnet) = common::devnet(bin, Path::new("."), &[]);
    let child = &mut guard.0;
    let rpc = devnet["rpcUrl"].as_str().unwrap().to_owned();
    let api = devnet["api"].as_str().unwrap().to_owned();

    // The deployment file it names is one the chain confirms.
    let file = std::path::PathBuf::from(devnet["deploymentFile"].as_str().unwrap());
    let deployment = Deployment::load(&file).unwrap();
    let provider = ProviderBuilder::new().connect_http(rpc.parse().unwrap());
    deployment.verify(&provider).await.unwrap();
    assert_eq!(
        devnet["rollup"]
            .as_str()
            .unwrap()
            .parse::<alloy::primitives::Address>()
            .unwrap(),
        deployment.rollup
    );

    // Every printed key is funded, and the users' keys work against the API.
    let keys = devnet["keys"].as_array().unwrap();
    let roles: Vec<&str> = keys.iter().map(|k| k["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["sequencer", "alice", "bob", "carol", "challenger"]);
    for k in keys {
        let signer: PrivateKeySigner = k["privateKey"].as_str().unwrap().parse().unwrap();
        assert_eq!(signer.address().to_string(), k["address"].as_str().unwrap());
        assert!(provider.get_balance(signer.address()).await.unwrap() > U256::ZERO);
    }
    let alice: PrivateKeySigner = keys[1]["privateKey"].as_str().unwrap().parse().unwrap();
    let wallet = ProviderBuilder::new()
        .wallet(alice.clone())
        .connect_http(rpc.parse().unwrap());
    send(
        Bridge::new(deployment.bridge, &wallet)
            .depositETH(NEW_ACCOUNT)
            .value(U256::from(10u64.pow(18))),
        "depositETH",
    )
    .await
    .unwrap();
    let url = format!("{api}/v1/accounts?owner={}", alice.address());
    let mut seen = false;
    for _ in 0..200 {
        let v: Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
        if v["accounts"].as_array().is_some_and(|a| !a.is_empty()) {
            assert_eq!(v["accounts"][0]["balance"], "1000000000000000000");
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen, "the devnet's sequencer never committed the deposit");

    // SIGTERM stops everything: the process exits 0, the L1 and the API are gone.
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let mut status = None;
    for _ in 0..100 {
        if let Some(s) = child.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = status.unwrap_or_else(|| {
        let _ = child.kill();
        panic!("the devnet did not stop within 10 s of SIGTERM")
    });
    assert!(status.success(), "{status}");
    assert!(
        provider.get_block_number().await.is_err(),
        "the L1 still answers"
    );
    assert!(
        reqwest::get(format!("{api}/v1/status")).await.is_err(),
        "the API still answers"
    );
    assert!(!file.exists(), "the devnet's files outlive it");
}

/// The binary as `cargo install` leaves it: copied out of the checkout, run
/// from elsewhere, with `BULWARK_ROOT` pointing nowhere. The contracts are
/// built into it; the devnet finds anvil on PATH.
#[tokio::test]
async fn an_installed_binary_needs_no_checkout() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("installed-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    let bin = dir.join("bin/bulwark");
    std::fs::copy(env!("CARGO_BIN_EXE_bulwark"), &bin).unwrap();
    let anvil_dir = bulwark_chain::node::project_root()
        .join("node_modules/@foundry-rs/anvil-linux-amd64/bin")
        .canonicalize()
        .unwrap();
    let path = format!("{}:/usr/bin:/bin", anvil_dir.display());
    let root = dir.join("no-checkout");
    let root = root.to_str().unwrap();
    let env = [("BULWARK_ROOT", root), ("PATH", path.as_str())];
    let (_devnet, devnet) = common::devnet(&bin, &dir, &env);
    let rpc = devnet["rpcUrl"].as_str().unwrap().to_owned();

    // `deploy` against that L1, from the installed copy, outside the checkout.
    let out = Command::new(&bin)
        .args([
            "deploy",
            "--rpc-url",
            &rpc,
            "--out",
            "deployments",
            "--json",
        ])
        .current_dir(&dir)
        .env("BULWARK_ROOT", dir.join("no-checkout"))
        .env(
            "BULWARK_PRIVATE_KEY",
            devnet["keys"][3]["privateKey"].as_str().unwrap(),
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deployment = Deployment::load(&dir.join("deployments/31337.json")).unwrap();
    let provider = ProviderBuilder::new().connect_http(rpc.parse().unwrap());
    deployment.verify(&provider).await.unwrap();
}
