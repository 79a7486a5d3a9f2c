//! `bulwark tx` against a `bulwark devnet`, each its own process: deposits on
//! L1, a transfer and a withdrawal signed and posted to the API and waited
//! for, a forced withdrawal the sequencer consumes, and a refusal that names
//! its field.

use std::{process::Command, time::Duration};

use alloy::{
    primitives::{Address, U256},
    providers::{Provider, ProviderBuilder},
};
use serde_json::Value;

mod common;

fn bulwark(args: &[&str], key: &str) -> (bool, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bulwark"))
        .args(args)
        .env("BULWARK_PRIVATE_KEY", key)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
    (out.status.success(), json, stderr)
}

#[tokio::test]
async fn a_user_deposits_transfers_withdraws_and_forces_a_withdrawal() {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_bulwark"));
    let (_devnet, devnet) = common::devnet(bin, std::path::Path::new("."), &[]);
    let text = |k: &str| devnet[k].as_str().unwrap().to_owned();
    let (rpc, api, file) = (text("rpcUrl"), text("api"), text("deploymentFile"));
    let key = |role: usize| {
        devnet["keys"][role]["privateKey"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (alice, bob) = (key(1), key(2));
    let l1 = ["--deployment", &file, "--rpc-url", &rpc];

    let (ok, deposit, err) = bulwark(
        &[
            &["tx", "deposit"],
            &l1[..],
            &["--amount", "2000000000000000000"],
        ]
        .concat(),
        &alice,
    );
    assert!(ok, "{err}");
    assert_eq!(
        (deposit["message"].as_u64(), deposit["kind"].as_str()),
        (Some(0), Some("deposit"))
    );
    let (ok, _, err) = bulwark(
        &[&["tx", "deposit"], &l1[..], &["--amount", "1000"]].concat(),
        &bob,
    );
    assert!(ok, "{err}");
    // Both accounts exist once the sequencer has committed the deposits.
    for _ in 0..100 {
        let v: Value = reqwest::get(format!("{api}/v1/accounts/1"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if v["index"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let api_flag = ["--api", api.as_str()];
    // Checked against another deployment's file, the API's domain is refused: nothing signed.
    let mut other = bulwark_chain::Deployment::load(std::path::Path::new(&file)).unwrap();
    other.rollup = Address::repeat_byte(0x42);
    let other_file = std::env::temp_dir().join(format!("other-{}.json", std::process::id()));
    other.save(&other_file).unwrap();
    let transfer = [
        "tx", "transfer", "--from", "0", "--to", "1", "--amount", "500",
    ];
    let (ok, _, err) = bulwark(
        &[
            &transfer[..],
            &api_flag[..],
            &["--deployment", other_file.to_str().unwrap()],
        ]
        .concat(),
        &alice,
    );
    assert!(!ok);
    assert!(err.contains("nothing signed"), "{err}");
    let status: Value = reqwest::get(format!("{api}/v1/status"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["pending"], 0);

    let (ok, fate, err) = bulwark(
        &[
            &transfer[..],
            &["--wait", "--deployment", &file],
            &api_flag[..],
        ]
        .concat(),
        &alice,
    );
    assert!(ok, "{err}");
    assert_eq!(
        (fate["status"].as_str(), fate["outcome"].as_str()),
        (Some("committed"), Some("applied")),
        "{fate}"
    );
    let hash = fate["hash"].as_str().unwrap().to_owned();
    let (ok, status, err) = bulwark(&[&["tx", "status", &hash], &api_flag[..]].concat(), "");
    assert!(ok, "{err}");
    assert_eq!(status, fate);

    let beef = "0x000000000000000000000000000000000000bEEF";
    let withdraw = [
        "tx",
        "withdraw",
        "--wait",
        "--from",
        "0",
        "--amount",
        "700",
        "--recipient",
        beef,
    ];
    let (ok, fate, err) = bulwark(&[&withdraw[..], &api_flag[..]].concat(), &alice);
    assert!(ok, "{err}");
    assert_eq!(fate["outcome"], "applied", "{fate}");
    let withdrawal = fate["hash"].as_str().unwrap().to_owned();
    let finalize = [
        &["tx", "finalize-withdrawal", &withdrawal],
        &l1[..],
        &api_flag[..],
    ]
    .concat();
    let (ok, _, err) = bulwark(&finalize, &bob);
    assert!(!ok, "paid before its batch is final");
    assert!(err.contains("its batch is not final yet"), "{err}");

    // Past the window the sequencer finalizes; anyone (bob here) pays it with the API's proof.
    let provider = ProviderBuilder::new().connect_http(rpc.parse().unwrap());
    bulwark_chain::node::advance_time(&provider, 3_601)
        .await
        .unwrap();
    for _ in 0..100 {
        let url = format!("{api}/v1/withdrawals/{withdrawal}");
        let v: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
        if v["status"] == "final" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (ok, paid, err) = bulwark(&finalize, &bob);
    assert!(ok, "{err}");
    assert_eq!(paid["paid"], "700", "{paid}");
    let beef: Address = beef.parse().unwrap();
    assert_eq!(provider.get_balance(beef).await.unwrap(), U256::from(700));
    let (ok, _, err) = bulwark(&finalize, &bob);
    assert!(!ok, "paid twice");
    assert!(err.contains("AlreadyPaid"), "{err}");

    // bob signing for alice's account: refused by the API, the field named, nothing queued.
    let (ok, _, err) = bulwark(
        &[
            &[
                "tx", "transfer", "--from", "0", "--to", "1", "--amount", "1",
            ],
            &api_flag[..],
        ]
        .concat(),
        &bob,
    );
    assert!(!ok);
    assert!(err.contains("field signature, HTTP 422"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let (ok, forced, err) = bulwark(
        &[
            &["tx", "force-withdraw", "--from", "1", "--amount", "400"],
            &l1[..],
        ]
        .concat(),
        &bob,
    );
    assert!(ok, "{err}");
    assert_eq!(forced["kind"], "forcedWithdrawal");
    // The sequencer consumes it: bob's L2 balance drops by 400.
    let mut balance = String::new();
    for _ in 0..100 {
        let v: Value = reqwest::get(format!("{api}/v1/accounts/1"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        balance = v["balance"].as_str().unwrap_or_default().to_owned();
        if balance == "1100" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        balance, "1100",
        "1000 deposited + 500 received - 400 forced out"
    );

    // An ERC20 deposit: approved, deposited, and credited to a new account of that token.
    let token = text("demoToken");
    let (ok, erc20, err) = bulwark(
        &[
            &["tx", "deposit", "--token", &token, "--amount", "5"],
            &l1[..],
        ]
        .concat(),
        &alice,
    );
    assert!(ok, "{err}");
    assert_eq!(
        (erc20["kind"].as_str(), erc20["amount"].as_str()),
        (Some("deposit"), Some("5"))
    );
    let token_id = erc20["token"].as_u64().unwrap();
    assert_ne!(token_id, 0, "an ERC20 is not ETH");
    let owner = devnet["keys"][1]["address"].as_str().unwrap().to_owned();
    let mut credited = false;
    for _ in 0..100 {
        let url = format!("{api}/v1/accounts?owner={owner}");
        let v: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
        let accounts = v["accounts"].as_array().cloned().unwrap_or_default();
        if accounts
            .iter()
            .any(|a| a["token"] == token_id && a["balance"] == "5")
        {
            credited = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        credited,
        "the ERC20 deposit never reached alice's L2 accounts"
    );
}

#[tokio::test]
async fn a_user_the_sequencer_left_behind_exits_without_anyones_permission() {
    use bulwark_chain::node::{DEV_KEYS, L1Kind, L1Node, advance_time};
    let node = L1Node::start(L1Kind::Anvil).await.unwrap();
    let rpc = node.endpoint();
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("tx-exit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = dir.to_str().unwrap();
    // Deployed, but no sequencer ever runs.
    let (ok, _, err) = bulwark(
        &[
            &[
                "deploy",
                "--rpc-url",
                &rpc,
                "--out",
                out,
                "--window",
                "3600",
            ],
            &[
                "--clock",
                "600",
                "--deadline",
                "1800",
                "--pause",
                "600",
                "--cooldown",
                "1200",
            ][..],
        ]
        .concat(),
        DEV_KEYS[0],
    );
    assert!(ok, "{err}");
    let file = dir.join("31337.json");
    let l1 = ["--deployment", file.to_str().unwrap(), "--rpc-url", &rpc];
    let alice = DEV_KEYS[2];
    let (ok, _, err) = bulwark(
        &[
            &["tx", "deposit"],
            &l1[..],
            &["--amount", "1000000000000000000"],
        ]
        .concat(),
        alice,
    );
    assert!(ok, "{err}");

    let exit = [&["tx", "exit"], &l1[..]].concat();
    let (ok, _, err) = bulwark(&exit, alice);
    assert!(!ok, "exited before the deadline");
    assert!(
        err.contains("the rollup is not frozen: the oldest unconsumed message (0) becomes overdue"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    let provider = ProviderBuilder::new().connect_http(rpc.parse().unwrap());
    advance_time(&provider, 1_801).await.unwrap();
    let (ok, report, err) = bulwark(&exit, alice);
    assert!(ok, "{err}");
    assert!(report["froze"].is_string(), "{report}");
    assert_eq!(report["paid"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(report["paid"][0]["paid"]["refund"], 0, "{report}");
    assert_eq!(
        report["paid"][0]["paid"]["amount"], "1000000000000000000",
        "{report}"
    );
    let d = bulwark_chain::Deployment::load(&file).unwrap();
    assert_eq!(
        provider.get_balance(d.bridge).await.unwrap(),
        U256::ZERO,
        "the Bridge still holds ETH"
    );

    // Nothing is owed twice.
    let (ok, again, err) = bulwark(&exit, alice);
    assert!(ok, "{err}");
    assert!(again["froze"].is_null());
    assert_eq!(again["paid"].as_array().unwrap().len(), 0, "{again}");
}
