//! `bulwark challenger` as an operator runs it: its own process, with only a
//! deployment file and an RPC endpoint. A sequencer (played here, in the
//! test's process) commits an honest batch, then one whose post-state invents
//! a withdrawal; the challenger leaves the honest one alone, opens a game on
//! the false one, and wins it when the sequencer does not defend.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

use bulwark_actors::{
    devnet::{Devnet, DevnetConfig},
    dispute::fault::Fault,
};
use bulwark_chain::{
    bindings::Rollup,
    dispute::{self, GameStatus},
    node::{DEV_KEYS, L1Kind, advance_time},
};
use bulwark_engine::NEW_ACCOUNT;

const ETH: u128 = 1_000_000_000_000_000_000;

/// The challenger process and the file its stderr goes to (shown when the
/// test fails, so that a failure names what the service logged).
struct Process(Child, std::path::PathBuf);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.1).unwrap_or_default();
            eprintln!("--- challenger stderr ---\n{log}");
        }
    }
}

fn challenger(
    rpc: &str,
    deployment: &std::path::Path,
    key: &str,
    flags: &[&str],
) -> (Process, String) {
    static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let log = deployment.with_file_name(format!("challenger-{n}.log"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_bulwark"))
        .args([
            "challenger",
            "--rpc-url",
            rpc,
            "--interval",
            "1",
            "--deployment",
        ])
        .arg(deployment)
        .args(flags)
        .env("BULWARK_PRIVATE_KEY", key)
        .env("RUST_LOG", "bulwark_services=debug,bulwark_actors=debug")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    if line.is_empty() {
        let _ = child.wait();
        let err = std::fs::read_to_string(&log).unwrap();
        return (Process(child, log), err);
    }
    (Process(child, log), line)
}

#[tokio::test]
async fn the_challenger_process_wins_against_a_false_batch_on_anvil() {
    the_challenger_process_wins_against_a_false_batch(L1Kind::Anvil).await;
}

#[tokio::test]
async fn the_challenger_process_wins_against_a_false_batch_on_hardhat() {
    the_challenger_process_wins_against_a_false_batch(L1Kind::Hardhat).await;
}

async fn the_challenger_process_wins_against_a_false_batch(kind: L1Kind) {
    let mut net = Devnet::start(&DevnetConfig {
        l1: kind,
        ..DevnetConfig::default()
    })
    .await
    .unwrap();
    let d = net.deployment.clone();
    let rpc = net.node.endpoint();
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("challenger-{kind:?}-{}", std::process::id()));
    let file = dir.join("31337.json");
    d.save(&file).unwrap();

    // The start line, plain on one client and as JSON for scripts on the other.
    let watcher = signer_address(DEV_KEYS[5]);
    let _watcher = if kind == L1Kind::Hardhat {
        let (process, line) = challenger(&rpc, &file, DEV_KEYS[5], &["--json"]);
        let started: serde_json::Value = serde_json::from_str(&line).expect(&line);
        assert_eq!(
            started,
            serde_json::json!({ "service": "challenger", "chainId": d.chain_id, "rollup": d.rollup, "challenger": watcher })
        );
        process
    } else {
        let (process, line) = challenger(&rpc, &file, DEV_KEYS[5], &[]);
        assert_eq!(
            line.trim(),
            format!("challenger {watcher} watching rollup {}", d.rollup)
        );
        process
    };

    net.users[0]
        .deposit_eth(&d, 2 * ETH, NEW_ACCOUNT)
        .await
        .unwrap();
    net.sequencer.commit(Vec::new()).await.unwrap();
    let thief = net.sequencer_account().address();
    net.users[1]
        .deposit_eth(&d, ETH, NEW_ACCOUNT)
        .await
        .unwrap();
    net.sequencer
        .commit_claiming(
            Vec::new(),
            Some(Fault::PostRootFrom {
                step: 0,
                thief,
                amount: 3 * ETH,
            }),
        )
        .await
        .unwrap();

    let provider = net.deployer.provider.clone();
    let game = wait_for(|| async {
        let games = dispute::games(&provider, d.dispute).await.unwrap();
        games.into_iter().next()
    })
    .await;
    assert_eq!(game.batch, 2, "the false batch, not the honest one");
    assert_eq!(game.defender, thief);

    // The batch's trace has one step: the challenger runs the one-step at once and wins
    // (the sequencer never answers; had it a move to make, its clock would run out here).
    advance_time(&provider, d.params.clock + 1).await.unwrap();
    let rollup = Rollup::new(d.rollup, &provider);
    // Won, then resolved: the tip rewinds past the false batch.
    wait_for(|| async {
        let games = dispute::games(&provider, d.dispute).await.unwrap();
        let resolved = games[0].status == GameStatus::ChallengerWon && games[0].resolved;
        (resolved && rollup.tip().call().await.unwrap() == 1).then_some(())
    })
    .await;
    assert_eq!(dispute::games(&provider, d.dispute).await.unwrap().len(), 1);

    // The game replays from the chain alone, as an auditor would read it.
    let out = Command::new(env!("CARGO_BIN_EXE_bulwark"))
        .args([
            "dispute",
            "replay",
            "--rpc-url",
            &rpc,
            "--json",
            "--deployment",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let games: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let game = &games[0];
    assert_eq!(
        (game["id"].as_u64(), game["batch"].as_u64()),
        (Some(0), Some(2))
    );
    assert_eq!(game["status"], "ChallengerWon");
    assert_eq!(game["defender"], serde_json::json!(thief));
    let moves: Vec<_> = game["moves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["move"].as_str().unwrap(), m["side"].as_str().unwrap()))
        .collect();
    // A one-step trace: the challenger steps at once, and the step refutes the claim.
    assert_eq!(
        moves,
        [
            ("open", "challenger"),
            ("step", "challenger"),
            ("resolve", "challenger")
        ]
    );
    let step = &game["oneStep"];
    assert_eq!(step["kind"], "message");
    assert_eq!(step["engine"]["postRoot"], step["postRoot"]);
    assert_ne!(step["postRoot"], step["claimed"]);
}

#[tokio::test]
async fn an_unfunded_challenger_or_a_stale_file_is_refused() {
    let net = Devnet::start(&DevnetConfig::default()).await.unwrap();
    let rpc = net.node.endpoint();
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("challenger-bad-{}", std::process::id()));
    let file = dir.join("31337.json");
    net.deployment.save(&file).unwrap();
    let empty = "0x1111111111111111111111111111111111111111111111111111111111111111";
    let (_, err) = challenger(&rpc, &file, empty, &[]);
    assert!(err.contains("holds 0"), "{err}");
    assert!(err.contains("it must be able to post"), "{err}");

    let mut stale = net.deployment.clone();
    stale.rollup = alloy::primitives::Address::repeat_byte(7);
    stale.save(&file).unwrap();
    let (_, err) = challenger(&rpc, &file, DEV_KEYS[5], &[]);
    assert!(err.contains("has no code at its Rollup address"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    // A replay against a stale file is refused the same way, before any read.
    let out = Command::new(env!("CARGO_BIN_EXE_bulwark"))
        .args(["dispute", "replay", "--rpc-url", &rpc, "--deployment"])
        .arg(&file)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("has no code at its Rollup address"), "{err}");
}

/// Polls `probe` every 100 ms until it yields (60 s at most).
async fn wait_for<T, F: std::future::Future<Output = Option<T>>>(probe: impl Fn() -> F) -> T {
    for _ in 0..600 {
        if let Some(v) = probe().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting");
}

fn signer_address(key: &str) -> alloy::primitives::Address {
    key.parse::<alloy::signers::local::PrivateKeySigner>()
        .unwrap()
        .address()
}
