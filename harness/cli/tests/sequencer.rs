//! `bulwark sequencer` as an operator runs it: its own process against a
//! deployment `bulwark deploy` wrote, taking transactions over HTTP. A
//! transfer signed by Foundry's `cast wallet sign --data` (a foreign wallet)
//! is executed and committed; a sequencer killed with SIGKILL restarts from
//! L1 and its journal with every accepted transaction.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use alloy::{
    primitives::{Address, U256},
    providers::{Provider, ProviderBuilder, ext::AnvilApi},
    rpc::types::anvil::ReorgOptions,
    signers::local::PrivateKeySigner,
};
use bulwark_actors::typed_data;
use bulwark_chain::{
    Deployment,
    bindings::{Bridge, Rollup},
    derive::rebuild,
    history::{self, Blocks},
    node::{DEV_KEYS, L1Kind, L1Node, project_root},
    send,
};
use bulwark_engine::{AccountIndex, NEW_ACCOUNT};
use serde_json::{Value, json};

const ETH: u128 = 1_000_000_000_000_000_000;

fn signer(i: usize) -> PrivateKeySigner {
    DEV_KEYS[i].parse().unwrap()
}

/// A fresh directory under cargo's per-target temp dir.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("sequencer-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Deploys with `bulwark deploy` (dev key 0), naming dev key 1 the sequencer.
fn deploy(rpc: &str, dir: &Path) -> Deployment {
    let out = Command::new(env!("CARGO_BIN_EXE_bulwark"))
        .args(["deploy", "--rpc-url", rpc, "--out"])
        .arg(dir.join("deployments"))
        .args(["--sequencer", &signer(1).address().to_string()])
        .args(["--window", "3600", "--clock", "600", "--deadline", "1800"])
        .args(["--pause", "600", "--cooldown", "1200"])
        .env("BULWARK_PRIVATE_KEY", DEV_KEYS[0])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Deployment::load(&dir.join("deployments/31337.json")).unwrap()
}

/// A running `bulwark sequencer` process and its API's base URL.
struct Service {
    child: Child,
    api: String,
    /// The `--json` start line: what the start rebuilt.
    started: Value,
    /// Held open: the service's stdout is a pipe it may write to again.
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Service {
    fn start(rpc: &str, dir: &Path, interval: u64) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bulwark"))
            .args(["sequencer", "--rpc-url", rpc, "--deployment"])
            .arg(dir.join("deployments/31337.json"))
            .arg("--data-dir")
            .arg(dir.join("data"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--batch-interval",
                &interval.to_string(),
                "--json",
            ])
            .env("BULWARK_PRIVATE_KEY", DEV_KEYS[1])
            // Warnings only (a resync, a reorg): the test log stays readable.
            .env("RUST_LOG", "bulwark_services=warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let started: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("first line {line:?} is not JSON: {e}"));
        assert_eq!(started["service"], "sequencer", "{started}");
        let api = started["api"].as_str().unwrap().to_owned();
        Self {
            child,
            api,
            started,
            _stdout: stdout,
        }
    }

    /// SIGTERM, as a service manager stops it: the process must exit 0 soon.
    fn terminate(mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        for _ in 0..100 {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "stopped with {status}");
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the sequencer did not stop within 10 s of SIGTERM");
    }

    /// SIGKILL: no shutdown path runs.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let resp = reqwest::get(format!("{}{path}", self.api)).await.unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap())
    }

    async fn post(&self, body: &Value) -> (u16, Value) {
        let resp = reqwest::Client::new()
            .post(format!("{}/v1/transactions", self.api))
            .json(body)
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap())
    }

    /// Polls `path` until `done` holds of its answer (30 s at most).
    async fn until(&self, path: &str, done: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..300 {
            let (_, v) = self.get(path).await;
            if done(&v) {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{path} never reached the expected answer");
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Deposits `eth` ETH from dev key `i` into a new L2 account.
async fn deposit(rpc: &str, d: &Deployment, i: usize, eth: u128) {
    let provider = ProviderBuilder::new()
        .wallet(signer(i))
        .connect_http(rpc.parse().unwrap());
    let bridge = Bridge::new(d.bridge, &provider);
    send(
        bridge.depositETH(NEW_ACCOUNT).value(U256::from(eth * ETH)),
        "depositETH",
    )
    .await
    .unwrap();
}

/// The account index `owner` holds, once the sequencer has committed its deposit.
async fn account_of(service: &Service, owner: Address) -> u32 {
    let v = service
        .until(&format!("/v1/accounts?owner={owner}"), |v| {
            v["accounts"].as_array().is_some_and(|a| !a.is_empty())
        })
        .await;
    v["accounts"][0]["index"].as_u64().unwrap() as u32
}

/// A fresh L1 with the suite deployed, a sequencer process committing a
/// batch a second, and alice (dev key 2) and bob (dev key 3) each holding an
/// L2 account funded with the ETH given.
struct Funded {
    /// Held: the L1 stops when it drops.
    _node: L1Node,
    rpc: String,
    dir: PathBuf,
    d: Deployment,
    service: Service,
    alice: u32,
    bob: u32,
}

async fn funded(kind: L1Kind, name: &str, alice_eth: u128, bob_eth: u128) -> Funded {
    let node = L1Node::start(kind).await.unwrap();
    let rpc = node.endpoint();
    let dir = scratch(name);
    let d = deploy(&rpc, &dir);
    let service = Service::start(&rpc, &dir, 1);
    deposit(&rpc, &d, 2, alice_eth).await;
    deposit(&rpc, &d, 3, bob_eth).await;
    let alice = account_of(&service, signer(2).address()).await;
    let bob = account_of(&service, signer(3).address()).await;
    Funded {
        _node: node,
        rpc,
        dir,
        d,
        service,
        alice,
        bob,
    }
}

fn transfer_message(from: u32, to: u32, amount: u128, nonce: u32) -> Value {
    json!({ "from": from, "to": to, "token": 0, "amount": amount.to_string(), "fee": "0", "nonce": nonce })
}

/// The body a wallet posts for an ETH transfer signed by dev key `key`.
async fn signed_transfer(
    d: &Deployment,
    key: usize,
    (from, to): (u32, u32),
    amount: u128,
    nonce: u32,
) -> Value {
    let payload = typed_data::Transfer {
        from,
        to,
        token: 0,
        amount,
        fee: 0,
        nonce,
    };
    let domain = typed_data::domain(d.chain_id, d.rollup);
    let sig = typed_data::sign(&signer(key), &payload, &domain)
        .await
        .unwrap();
    json!({
        "primaryType": "Transfer",
        "message": transfer_message(from, to, amount, nonce),
        "signature": format!("0x{}", alloy::hex::encode(sig)),
    })
}

/// The body a wallet posts: what it signed and the signature.
fn body(typed: &Value, signature: &str) -> Value {
    json!({
        "primaryType": typed["primaryType"],
        "domain": typed["domain"],
        "message": typed["message"],
        "signature": signature,
    })
}

#[tokio::test]
async fn a_transfer_signed_by_cast_is_executed_and_committed_on_anvil() {
    a_transfer_signed_by_cast_is_executed_and_committed(L1Kind::Anvil).await;
}

#[tokio::test]
async fn a_transfer_signed_by_cast_is_executed_and_committed_on_hardhat() {
    a_transfer_signed_by_cast_is_executed_and_committed(L1Kind::Hardhat).await;
}

async fn a_transfer_signed_by_cast_is_executed_and_committed(kind: L1Kind) {
    let Funded {
        _node,
        rpc,
        dir,
        d,
        service,
        alice,
        bob,
    } = funded(kind, "cast", 2, 1).await;

    // The wallet builds its typed data from the API's types and domain.
    let (status, mut typed) = service.get("/v1/eip712").await;
    assert_eq!(status, 200);
    typed["primaryType"] = json!("Transfer");
    typed["message"] = transfer_message(alice, bob, ETH / 2, 0);
    let file = dir.join("transfer.json");
    std::fs::write(&file, typed.to_string()).unwrap();
    let cast = Command::new(project_root().join("node_modules/.bin/cast"))
        .args(["wallet", "sign", "--data", "--from-file"])
        .arg(&file)
        .args(["--private-key", DEV_KEYS[2]])
        .output()
        .unwrap();
    assert!(
        cast.status.success(),
        "{}",
        String::from_utf8_lossy(&cast.stderr)
    );
    let signature = String::from_utf8(cast.stdout).unwrap().trim().to_owned();

    let (status, accepted) = service.post(&body(&typed, &signature)).await;
    assert_eq!(status, 202, "{accepted}");
    assert_eq!(accepted["status"], "pending");
    let hash = accepted["hash"].as_str().unwrap().to_owned();
    let landed = service
        .until(&format!("/v1/transactions/{hash}"), |v| {
            v["status"] == "committed"
        })
        .await;
    assert_eq!(landed["outcome"], "applied", "{landed}");
    let batch = landed["batch"].as_u64().unwrap();

    // L1 alone says the same: the batch is on the Rollup and its data moves the half ether.
    let provider = ProviderBuilder::new().connect_http(rpc.parse().unwrap());
    let tip = Rollup::new(d.rollup, &provider).tip().call().await.unwrap();
    assert!(tip >= batch);
    let state = rebuild(&provider, &d, tip).await.unwrap().state;
    assert_eq!(
        state.account(AccountIndex(alice)).unwrap().balance,
        2 * ETH - ETH / 2
    );
    assert_eq!(
        state.account(AccountIndex(bob)).unwrap().balance,
        ETH + ETH / 2
    );
    assert_eq!(state.account(AccountIndex(alice)).unwrap().nonce, 1);

    // The same signed transaction again: its fate, not a second copy.
    let (status, again) = service.post(&body(&typed, &signature)).await;
    assert_eq!(status, 200, "a repeat is answered, not accepted again");
    assert_eq!(again["status"], "committed");
    assert_eq!(again["batch"], landed["batch"]);
}

#[tokio::test]
async fn bad_requests_are_named_and_nothing_is_queued() {
    let node = L1Node::start(L1Kind::Anvil).await.unwrap();
    let rpc = node.endpoint();
    let dir = scratch("bad");
    let d = deploy(&rpc, &dir);
    let service = Service::start(&rpc, &dir, 1);
    deposit(&rpc, &d, 2, 1).await;
    let alice = account_of(&service, signer(2).address()).await;
    let sign = |amount: u128, nonce: u32, key: usize| {
        signed_transfer(&d, key, (alice, alice), amount, nonce)
    };
    let good = sign(1, 0, 2).await;
    let mut cases = vec![
        (400, "message.amount", {
            let mut b = good.clone();
            b["message"]["amount"] = json!("-1");
            b
        }),
        (400, "signature", {
            let mut b = good.clone();
            b["signature"] = json!("0x00");
            b
        }),
        (400, "primaryType", {
            let mut b = good.clone();
            b["primaryType"] = json!("Mint");
            b
        }),
        (400, "domain.chainId", {
            let mut b = good.clone();
            b["domain"] = json!({ "name": "Bulwark", "version": "1", "chainId": 1, "verifyingContract": d.rollup });
            b
        }),
    ];
    cases.push((422, "signature", sign(1, 0, 3).await));
    cases.push((422, "message.nonce", sign(1, 5, 2).await));
    cases.push((422, "message.amount", sign(5 * ETH, 0, 2).await));
    for (code, field, body) in cases {
        let (status, answer) = service.post(&body).await;
        assert_eq!(
            (status, answer["field"].as_str()),
            (code, Some(field)),
            "{answer}"
        );
        assert!(answer["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    let (_, status) = service.get("/v1/status").await;
    assert_eq!(
        status["pending"], 0,
        "a refused request was queued: {status}"
    );
    let (code, _) = service.get("/v1/transactions/0x1234").await;
    assert_eq!(code, 400);
    let (code, _) = service
        .get(&format!(
            "/v1/transactions/{}",
            alloy::primitives::B256::ZERO
        ))
        .await;
    assert_eq!(code, 404);
    let (code, _) = service.get("/v1/accounts/99").await;
    assert_eq!(code, 404);
    // Every refusal is JSON naming a field, wrong methods and repeated query keys too.
    let (code, answer) = service.get("/v1/transactions").await;
    assert_eq!(
        (code, answer["field"].as_str()),
        (405, Some("method")),
        "{answer}"
    );
    let (code, answer) = service.get("/v1/accounts?owner=0x01&owner=0x02").await;
    assert_eq!(
        (code, answer["field"].as_str()),
        (400, Some("owner")),
        "{answer}"
    );

    // A well-formed request after all of them is still taken.
    let (code, answer) = service.post(&good).await;
    assert_eq!(code, 202, "{answer}");
    // Sent twice, it is answered with its fate and queued once.
    let (code, again) = service.post(&good).await;
    assert_eq!((code, &again["hash"]), (200, &answer["hash"]), "{again}");
    let (_, status) = service.get("/v1/status").await;
    let pending = status["pending"]
        .as_u64()
        .expect("status names its pending count");
    assert!(pending <= 1, "{status}");
}

#[tokio::test]
async fn a_killed_sequencer_restarts_with_every_accepted_transaction() {
    let Funded {
        _node,
        rpc,
        dir,
        d,
        service,
        alice,
        bob,
    } = funded(L1Kind::Anvil, "kill", 3, 1).await;
    let submit = |service: &Service, nonce: u32| {
        let api = service.api.clone();
        let d = d.clone();
        async move {
            let body = signed_transfer(&d, 2, (alice, bob), ETH / 10, nonce).await;
            let resp = reqwest::Client::new()
                .post(format!("{api}/v1/transactions"))
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status().as_u16(), 202);
            let v: Value = resp.json().await.unwrap();
            v["hash"].as_str().unwrap().to_owned()
        }
    };

    let first = submit(&service, 0).await;
    let landed = service
        .until(&format!("/v1/transactions/{first}"), |v| {
            v["status"] == "committed"
        })
        .await;
    service.kill();

    // Restarted with a batch interval no test waits out: what it accepts stays pending.
    let service = Service::start(&rpc, &dir, 3_600);
    let (_, again) = service.get(&format!("/v1/transactions/{first}")).await;
    assert_eq!(
        again, landed,
        "a committed transaction's fate is rebuilt from L1"
    );
    let second = submit(&service, 1).await;
    let third = submit(&service, 2).await;
    let (_, status) = service.get("/v1/status").await;
    assert_eq!(status["pending"], 2);
    // A second sequencer on the same journal is refused while this one runs.
    let rival = Command::new(env!("CARGO_BIN_EXE_bulwark"))
        .args(["sequencer", "--rpc-url", &rpc, "--deployment"])
        .arg(dir.join("deployments/31337.json"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(["--listen", "127.0.0.1:0"])
        .env("BULWARK_PRIVATE_KEY", DEV_KEYS[1])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&rival.stderr);
    assert!(!rival.status.success());
    assert!(
        err.contains("another sequencer is running on this journal"),
        "{err}"
    );
    let (_, account) = service.get(&format!("/v1/accounts/{alice}")).await;
    assert_eq!(
        (account["nonce"].as_u64(), account["pendingNonce"].as_u64()),
        (Some(1), Some(3))
    );
    service.kill();

    // Nothing accepted is lost: both commit after the next start.
    let service = Service::start(&rpc, &dir, 1);
    assert_eq!(
        (&service.started["pending"], &service.started["tip"]),
        (&json!(2), &landed["batch"]),
        "the start line counts the journaled transactions: {}",
        service.started
    );
    for hash in [&second, &third] {
        let v = service
            .until(&format!("/v1/transactions/{hash}"), |v| {
                v["status"] == "committed"
            })
            .await;
        assert_eq!(v["outcome"], "applied", "{v}");
    }
    let provider = ProviderBuilder::new().connect_http(rpc.parse().unwrap());
    let tip = Rollup::new(d.rollup, &provider).tip().call().await.unwrap();
    let state = rebuild(&provider, &d, tip).await.unwrap().state;
    assert_eq!(
        state.account(AccountIndex(alice)).unwrap().balance,
        3 * ETH - 3 * ETH / 10
    );
    assert_eq!(state.account(AccountIndex(alice)).unwrap().nonce, 3);
    assert_eq!(
        state.account(AccountIndex(bob)).unwrap().balance,
        ETH + 3 * ETH / 10
    );
    let (_, status) = service.get("/v1/status").await;
    assert_eq!(status["pending"], 0);
    service.terminate();
}

#[tokio::test]
async fn a_reorg_that_drops_a_commit_puts_its_transactions_back() {
    let Funded {
        _node,
        rpc,
        dir: _,
        d,
        service,
        alice,
        bob,
    } = funded(L1Kind::Anvil, "reorg", 1, 1).await;
    let body = signed_transfer(&d, 2, (alice, bob), ETH / 4, 0).await;
    let (code, accepted) = service.post(&body).await;
    assert_eq!(code, 202, "{accepted}");
    let hash = accepted["hash"].as_str().unwrap().to_owned();
    let landed = service
        .until(&format!("/v1/transactions/{hash}"), |v| {
            v["status"] == "committed"
        })
        .await;
    let batch = landed["batch"].as_u64().unwrap();

    // L1 drops every block from the commit on.
    let provider = ProviderBuilder::new().connect_http(rpc.parse().unwrap());
    let rollup = Rollup::new(d.rollup, &provider);
    let committed_at = rollup.batch(batch).call().await.unwrap();
    assert_ne!(committed_at.stateRoot, alloy::primitives::B256::ZERO);
    let head = provider.get_block_number().await.unwrap();
    let commit_block = find_commit_block(&provider, &d, batch).await;
    provider
        .anvil_reorg(ReorgOptions {
            depth: head - commit_block + 1,
            tx_block_pairs: Vec::new(),
        })
        .await
        .unwrap();
    assert_eq!(
        rollup.tip().call().await.unwrap(),
        batch - 1,
        "the reorg removed the commit"
    );

    // The sequencer notices, puts the transfer back and commits it again.
    service
        .until(&format!("/v1/transactions/{hash}"), |v| {
            v["status"] == "committed"
        })
        .await;
    let tip = loop {
        let tip = rollup.tip().call().await.unwrap();
        if tip >= batch {
            break tip;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let state = rebuild(&provider, &d, tip).await.unwrap().state;
    assert_eq!(
        state.account(AccountIndex(bob)).unwrap().balance,
        ETH + ETH / 4
    );
    assert_eq!(state.account(AccountIndex(alice)).unwrap().nonce, 1);
}

/// The L1 block of batch `index`'s commit.
async fn find_commit_block(provider: &impl Provider, d: &Deployment, index: u64) -> u64 {
    let blocks = Blocks::to_head(provider, d.deploy_block).await.unwrap();
    let batches = history::read_batches(provider, d.rollup, blocks, index)
        .await
        .unwrap();
    let tx = batches.last().unwrap().tx;
    provider
        .get_transaction_receipt(tx)
        .await
        .unwrap()
        .unwrap()
        .block_number
        .unwrap()
}

/// The service defends its batches: a frivolous challenge against an honest
/// batch is answered and lost by the challenger, even one opened against a
/// batch committed before the service restarted (its claims rebuilt from L1).
#[tokio::test]
async fn a_frivolous_challenge_loses_against_the_service() {
    use bulwark_actors::{
        dispute::challenger::{Challenger, ChallengerStrategy},
        wallet::L1Account,
    };
    use bulwark_chain::dispute::{self, GameStatus};
    let node = L1Node::start(L1Kind::Anvil).await.unwrap();
    let rpc = node.endpoint();
    let dir = scratch("frivolous");
    let d = deploy(&rpc, &dir);
    // Three deposits in the first batch: a trace deep enough that the game
    // needs the defender's reveal before any one-step.
    for key in [2, 3, 4] {
        deposit(&rpc, &d, key, 1).await;
    }
    let service = Service::start(&rpc, &dir, 1);
    account_of(&service, signer(4).address()).await;
    service.kill();
    // Restarted: the batch it defends was committed by the run before.
    let service = Service::start(&rpc, &dir, 1);

    let mallory = L1Account::connect(&rpc, signer(5)).unwrap();
    let challenger = Challenger::new("mallory", mallory, d.clone(), ChallengerStrategy::Honest);
    challenger.challenge(1).await.unwrap();
    let provider = ProviderBuilder::new().connect_http(rpc.parse().unwrap());
    // mallory plays on (picks, then the one-step); the service reveals at every level.
    let mut answered = false;
    let mut moves = Vec::new();
    for _ in 0..300 {
        let games = dispute::games(&provider, d.dispute).await.unwrap();
        if games[0].status == GameStatus::DefenderWon && games[0].resolved {
            answered = true;
            break;
        }
        if let Ok(made) = challenger.play_games(|_| true).await {
            moves.extend(made.into_iter().map(|m| m.to_string()));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(
        answered,
        "the service did not win the frivolous game: {moves:#?}"
    );
    assert!(
        moves.iter().any(|m| m.contains("pick")),
        "mallory never had a reveal to pick from: {moves:#?}"
    );
    let rollup = Rollup::new(d.rollup, &provider);
    assert_eq!(
        rollup.tip().call().await.unwrap(),
        1,
        "the honest batch stands"
    );
    assert_eq!(
        rollup.stakeOf(signer(1).address()).call().await.unwrap(),
        d.params.stake,
        "the sequencer keeps its stake"
    );
    drop(service);
}

/// An endpoint that refuses `eth_getLogs` over more than 3 blocks (as public
/// endpoints cap ranges): the service starts (its replay reads in pages),
/// follows the queue and commits every deposit, and restarts through it too.
#[tokio::test]
async fn a_range_limited_endpoint_is_read_in_pages() {
    let node = L1Node::start(L1Kind::Anvil).await.unwrap();
    let rpc = node.endpoint();
    let dir = scratch("ranges");
    let d = deploy(&rpc, &dir);
    for key in 2..=7 {
        deposit(&rpc, &d, key, 1).await;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/rpc_proxy.py");
    let mut proxy = Command::new("python3")
        .args([script, &rpc, "--max-range", "3"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut port = String::new();
    BufReader::new(proxy.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    let proxy = ProxyGuard(proxy);
    let limited = format!("http://127.0.0.1:{}", port.trim());

    // A whole-history read is refused there: what the service must not need.
    let provider = ProviderBuilder::new().connect_http(limited.parse().unwrap());
    let blocks = Blocks::to_head(&provider, d.deploy_block).await.unwrap();
    assert!(blocks.to - blocks.from >= 3, "too few blocks to need pages");
    assert!(
        history::read_messages(&provider, d.bridge, blocks)
            .await
            .is_err()
    );

    let service = Service::start(&limited, &dir, 1);
    account_of(&service, signer(7).address()).await;
    let (_, status) = service.get("/v1/status").await;
    assert_eq!(status["tip"], 1, "{status}");
    service.kill();
    deposit(&rpc, &d, 8, 1).await;
    let service = Service::start(&limited, &dir, 1);
    account_of(&service, signer(8).address()).await;
    drop(proxy);
}

struct ProxyGuard(Child);

impl Drop for ProxyGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A transaction accepted against the pending state can still be skipped
/// when its batch is built (a forced withdrawal queued on L1 meanwhile runs
/// first); its fate says why, and the same signed transaction is taken again
/// once the account can pay.
#[tokio::test]
async fn a_skipped_transaction_can_be_sent_again() {
    let Funded {
        _node,
        rpc,
        dir,
        d,
        service,
        alice,
        bob,
    } = funded(L1Kind::Anvil, "skipped", 1, 1).await;
    service.kill();

    let service = Service::start(&rpc, &dir, 3_600);
    let body = signed_transfer(&d, 2, (alice, bob), 8 * ETH / 10, 0).await;
    let (code, accepted) = service.post(&body).await;
    assert_eq!(code, 202, "{accepted}");
    let hash = accepted["hash"].as_str().unwrap().to_owned();
    // alice forces half her balance out on L1 before the transfer is batched.
    let wallet = ProviderBuilder::new()
        .wallet(signer(2))
        .connect_http(rpc.parse().unwrap());
    send(
        Bridge::new(d.bridge, &wallet).forceWithdrawal(u64::from(alice), 0, ETH / 2),
        "forceWithdrawal",
    )
    .await
    .unwrap();
    service.kill();

    let service = Service::start(&rpc, &dir, 1);
    let skipped = service
        .until(&format!("/v1/transactions/{hash}"), |v| {
            v["status"] == "committed"
        })
        .await;
    assert_eq!(skipped["outcome"], "skipped", "{skipped}");
    assert!(
        skipped["reason"].as_str().unwrap().contains("balance"),
        "{skipped}"
    );

    // Topped up, the same signed transfer is taken again and applied.
    let bridge = Bridge::new(d.bridge, &wallet);
    send(
        bridge.depositETH(u64::from(alice)).value(U256::from(ETH)),
        "depositETH",
    )
    .await
    .unwrap();
    service
        .until(&format!("/v1/accounts/{alice}"), |v| {
            v["balance"] == (ETH / 2 + ETH).to_string()
        })
        .await;
    let (code, again) = service.post(&body).await;
    assert_eq!(
        (code, again["status"].as_str()),
        (202, Some("pending")),
        "{again}"
    );
    let applied = service
        .until(&format!("/v1/transactions/{hash}"), |v| {
            v["outcome"] == "applied"
        })
        .await;
    assert!(
        applied["batch"].as_u64() > skipped["batch"].as_u64(),
        "{applied}"
    );
}
