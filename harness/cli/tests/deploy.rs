//! `bulwark deploy`, run as its own process the way an operator runs it, with
//! a keystore `cast wallet import` wrote: deploys once, re-runs change nothing,
//! `forge script` writes the same file, and every bad input is one line
//! naming what was wrong, with nothing sent and nothing written.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use alloy::{
    primitives::Address,
    providers::{Provider, ProviderBuilder},
};
use bulwark_chain::{
    DEPLOY_GAS, Deployment,
    node::{DEV_KEYS, L1Kind, L1Node, project_root},
};

const PASSWORD: &str = "correct horse battery staple";
/// The devnet's short parameters, so a re-run can ask for the same ones.
const PARAMS: [&str; 10] = [
    "--window",
    "3600",
    "--clock",
    "600",
    "--deadline",
    "1800",
    "--pause",
    "600",
    "--cooldown",
    "1200",
];

/// Environment variables set for one run.
type Env<'a> = Vec<(&'a str, &'a str)>;

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn bulwark(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bulwark"));
    cmd.args(args)
        .env_remove("BULWARK_PRIVATE_KEY")
        .env_remove("BULWARK_KEYSTORE_PASSWORD")
        .env_remove("BULWARK_RPC_URL")
        .stdin(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("run bulwark");
    Run {
        ok: status.success(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// A fresh directory under cargo's per-target temp dir.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("deploy-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A keystore for dev key `i`, written by Foundry's own `cast wallet import`.
fn keystore(dir: &Path, i: usize) -> PathBuf {
    let cast = project_root().join("node_modules/.bin/cast");
    let out = Command::new(cast)
        .args(["wallet", "import", "operator", "--private-key", DEV_KEYS[i]])
        .arg("--keystore-dir")
        .arg(dir.join("keystores"))
        .args(["--unsafe-password", PASSWORD])
        .output()
        .expect("run cast");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir.join("keystores/operator")
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

async fn nonce(endpoint: &str, who: Address) -> u64 {
    let provider = ProviderBuilder::new().connect_http(endpoint.parse().unwrap());
    provider.get_transaction_count(who).await.unwrap()
}

fn one_error_line(run: &Run, names: &str) {
    assert!(
        !run.ok,
        "expected a failure naming {names:?}; stdout:\n{}",
        run.stdout
    );
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line, got:\n{}", run.stderr);
    assert!(lines[0].starts_with("error: "), "{}", run.stderr);
    assert!(
        lines[0].contains(names),
        "expected {names:?} in: {}",
        run.stderr
    );
    for key in DEV_KEYS {
        assert!(
            !run.stderr.contains(&key[2..]),
            "a key was echoed: {}",
            run.stderr
        );
    }
}

#[tokio::test]
async fn deploys_once_and_a_rerun_changes_nothing_on_anvil() {
    deploys_once_and_a_rerun_changes_nothing(L1Kind::Anvil).await;
}

#[tokio::test]
async fn deploys_once_and_a_rerun_changes_nothing_on_hardhat() {
    deploys_once_and_a_rerun_changes_nothing(L1Kind::Hardhat).await;
}

async fn deploys_once_and_a_rerun_changes_nothing(kind: L1Kind) {
    let node = L1Node::start(kind).await.unwrap();
    let rpc = node.endpoint();
    let dir = scratch("once");
    let keystore = keystore(&dir, 0);
    let out = dir.join("deployments");
    let deployer: Address = DEV_KEYS[0]
        .parse::<alloy::signers::local::PrivateKeySigner>()
        .unwrap()
        .address();
    let mut args = vec![
        "deploy",
        "--rpc-url",
        &rpc,
        "--keystore",
        keystore.to_str().unwrap(),
    ];
    args.extend(["--out", out.to_str().unwrap(), "--demo-token"]);
    args.extend(PARAMS);
    let password = [("BULWARK_KEYSTORE_PASSWORD", PASSWORD)];

    let first = bulwark(&[args.as_slice(), &["--json"]].concat(), &password);
    assert!(first.ok, "{}", first.stderr);
    let path = out.join("31337.json");
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(first.stdout, written, "--json prints the file");
    let deployment = Deployment::from_json(&written).unwrap();
    let provider = ProviderBuilder::new().connect_http(rpc.parse().unwrap());
    deployment.verify(&provider).await.unwrap();
    assert_eq!(deployment.params.sequencer, deployer);
    assert_eq!(deployment.params.window, 3600);
    assert!(deployment.demo_token.is_some());
    assert!(
        written.contains(&deployment.rollup.to_checksum(None)),
        "{written}"
    );

    // Every creation's gas, summed from the blocks it took, fits the funds check.
    let head = provider.get_block_number().await.unwrap();
    let mut gas = 0;
    for n in deployment.deploy_block..=head {
        let block = provider.get_block(n.into()).await.unwrap().unwrap();
        gas += block.header.gas_used;
    }
    assert!(gas <= DEPLOY_GAS, "deployment used {gas} gas");

    let sent = nonce(&rpc, deployer).await;
    let again = bulwark(&args, &password);
    assert!(again.ok, "{}", again.stderr);
    assert!(
        again
            .stdout
            .contains("already deployed; nothing sent, nothing written"),
        "{}",
        again.stdout
    );
    assert!(
        again.stdout.contains(&deployment.rollup.to_checksum(None)),
        "{}",
        again.stdout
    );
    assert_eq!(nonce(&rpc, deployer).await, sent);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), written);
    assert_eq!(files_in(&out), ["31337.json"]);

    // Other parameters against the same file: refused, naming each difference.
    let other_args: Vec<&str> = args
        .iter()
        .map(|&a| if a == "3600" { "7200" } else { a })
        .collect();
    let other = bulwark(&other_args, &password);
    one_error_line(&other, "window 3600, asked 7200");
    assert_eq!(nonce(&rpc, deployer).await, sent);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), written);
}

#[tokio::test]
async fn forge_script_writes_the_file_bulwark_deploy_reads() {
    let node = L1Node::start(L1Kind::Anvil).await.unwrap();
    let rpc = node.endpoint();
    // forge may write only inside the project (foundry.toml's fs_permissions).
    let rel = format!("target/tmp/deploy-forge-{}", std::process::id());
    let out = project_root().join(&rel);
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let forge = Command::new(project_root().join("node_modules/.bin/forge"))
        .current_dir(project_root())
        .args([
            "script",
            "script/Deploy.s.sol",
            "--rpc-url",
            &rpc,
            "--broadcast",
        ])
        .env("PRIVATE_KEY", DEV_KEYS[3])
        .env("BULWARK_DEPLOYMENTS", &rel)
        .env("BULWARK_WINDOW", "3600")
        .env("BULWARK_CLOCK", "600")
        .env("BULWARK_DEADLINE", "1800")
        .env("BULWARK_PAUSE", "600")
        .env("BULWARK_COOLDOWN", "1200")
        .env("BULWARK_DEMO_TOKEN", "true")
        .output()
        .expect("run forge");
    let log = String::from_utf8_lossy(&forge.stdout).into_owned()
        + &String::from_utf8_lossy(&forge.stderr);
    assert!(forge.status.success(), "{log}");
    let path = out.join("31337.json");
    let written = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}: {log}"));
    let deployment = Deployment::from_json(&written).unwrap();
    let provider = ProviderBuilder::new().connect_http(rpc.parse().unwrap());
    deployment.verify(&provider).await.unwrap();
    assert!(deployment.demo_token.is_some());
    assert!(deployment.deploy_block <= provider.get_block_number().await.unwrap());
    assert_eq!(
        Deployment::from_json(&deployment.to_json())
            .unwrap()
            .to_json(),
        deployment.to_json()
    );

    // bulwark deploy reads it as its own and sends nothing.
    let deployer = DEV_KEYS[3]
        .parse::<alloy::signers::local::PrivateKeySigner>()
        .unwrap()
        .address();
    let sent = nonce(&rpc, deployer).await;
    let run = bulwark(
        &[
            &[
                "deploy",
                "--rpc-url",
                &rpc,
                "--out",
                out.to_str().unwrap(),
                "--demo-token",
            ],
            &PARAMS[..],
        ]
        .concat(),
        &[("BULWARK_PRIVATE_KEY", DEV_KEYS[3])],
    );
    assert!(run.ok, "{}", run.stderr);
    assert!(run.stdout.contains("already deployed"), "{}", run.stdout);
    assert_eq!(nonce(&rpc, deployer).await, sent);
    std::fs::remove_dir_all(&out).unwrap();
}

#[tokio::test]
async fn bad_input_is_one_line_and_nothing_is_sent_or_written() {
    let node = L1Node::start(L1Kind::Anvil).await.unwrap();
    let rpc = node.endpoint();
    let dir = scratch("bad");
    let keystore = keystore(&dir, 1);
    let ks = keystore.to_str().unwrap();
    let out = dir.join("deployments");
    let o = out.to_str().unwrap();
    let deployer = DEV_KEYS[1]
        .parse::<alloy::signers::local::PrivateKeySigner>()
        .unwrap()
        .address();
    let password = ("BULWARK_KEYSTORE_PASSWORD", PASSWORD);
    let key = ("BULWARK_PRIVATE_KEY", DEV_KEYS[1]);

    let cases: Vec<(&str, Vec<&str>, Env)> = vec![
        (
            "wrong password for keystore",
            vec!["--keystore", ks],
            vec![("BULWARK_KEYSTORE_PASSWORD", "hunter2")],
        ),
        ("needs a password", vec!["--keystore", ks], vec![]),
        (
            "does not exist",
            vec!["--keystore", "/nonexistent/keystore"],
            vec![password],
        ),
        ("no key: pass --keystore", vec![], vec![]),
        (
            "is not a private key",
            vec![],
            vec![("BULWARK_PRIVATE_KEY", "0x1234")],
        ),
        (
            "both a keystore and BULWARK_PRIVATE_KEY",
            vec!["--keystore", ks],
            vec![password, key],
        ),
        (
            "cannot reach L1 at http://127.0.0.1:9",
            vec!["--rpc-url", "http://127.0.0.1:9"],
            vec![key],
        ),
        ("is not a URL", vec!["--rpc-url", "not a url"], vec![key]),
        (
            "serves chain 31337, not chain 11155111",
            vec!["--chain-id", "11155111"],
            vec![key],
        ),
        (
            "is below twice --pause",
            vec!["--deadline", "100", "--pause", "60"],
            vec![key],
        ),
        (
            "holds 0 ETH on chain 31337",
            vec![],
            vec![(
                "BULWARK_PRIVATE_KEY",
                "0x1111111111111111111111111111111111111111111111111111111111111111",
            )],
        ),
    ];
    for (names, extra, env) in cases {
        let mut args = vec!["deploy", "--out", o];
        if !extra.contains(&"--rpc-url") {
            args.extend(["--rpc-url", rpc.as_str()]);
        }
        args.extend(extra);
        one_error_line(&bulwark(&args, &env), names);
        assert!(
            files_in(&out).is_empty(),
            "{names}: wrote {:?}",
            files_in(&out)
        );
        assert_eq!(
            nonce(&rpc, deployer).await,
            0,
            "{names}: sent a transaction"
        );
    }

    // A file already at <out>/31337.json that cannot be trusted is named and left as it was.
    let path = out.join("31337.json");
    let good = Deployment::from_json(&sample_file()).unwrap();
    for (names, text) in [
        (
            "31337.json: not a deployment file",
            "{ \"chainId\": 31337 ".to_owned(),
        ),
        (
            "missing field `rollup`",
            sample_file().replace("\"rollup\"", "\"rolup\""),
        ),
        (
            "it is for chain 1, but the RPC endpoint serves chain 31337",
            sample_file().replace("31337", "1"),
        ),
        ("has no code at its Rollup address", good.to_json()),
    ] {
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(&path, &text).unwrap();
        let run = bulwark(&["deploy", "--rpc-url", &rpc, "--out", o], &[key]);
        one_error_line(&run, names);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        assert_eq!(files_in(&out), ["31337.json"]);
        assert_eq!(
            nonce(&rpc, deployer).await,
            0,
            "{names}: sent a transaction"
        );
    }
}

fn sample_file() -> String {
    r#"{
  "chainId": 31337,
  "deployBlock": 0,
  "rollup": "0x0101010101010101010101010101010101010101",
  "bridge": "0x0202020202020202020202020202020202020202",
  "verifier": "0x0303030303030303030303030303030303030303",
  "dispute": "0x0404040404040404040404040404040404040404",
  "params": {
    "sequencer": "0x0505050505050505050505050505050505050505",
    "guardian": "0x0606060606060606060606060606060606060606",
    "window": 3600,
    "clock": 600,
    "deadline": 1800,
    "pause": 600,
    "cooldown": 1200,
    "stake": "200000000000000000",
    "challengeBond": "50000000000000000"
  }
}
"#
    .to_owned()
}
