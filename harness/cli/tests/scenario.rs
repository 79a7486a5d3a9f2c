//! `bulwark scenario run` as CI and auditors run it: every scenario shipped
//! under `scenarios/` passes on anvil and on Hardhat's node, each in its own
//! process; a failed expectation names its step and line; a malformed file is
//! refused in one line naming the line and field, and nothing runs.

mod common;

use std::{
    fs,
    path::{Path, PathBuf},
};

use bulwark_chain::node::L1Kind;
use common::{bulwark, root};
use serde_json::Value;

fn shipped() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(root().join("scenarios"))
        .expect("scenarios/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

fn run_json(file: &Path, l1: L1Kind) -> (bool, Value, String) {
    let l1 = l1.to_string();
    let (ok, out, err) = bulwark(&[
        "scenario".as_ref(),
        "run".as_ref(),
        file.as_os_str(),
        "--l1".as_ref(),
        l1.as_ref(),
        "--json".as_ref(),
    ]);
    let report = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    (ok, report, err)
}

fn every_shipped_scenario_passes(l1: L1Kind) {
    let files = shipped();
    assert!(files.len() >= 7, "{files:?}");
    for file in files {
        let (ok, report, err) = run_json(&file, l1);
        assert!(ok, "{} on {l1}: {err}\n{report:#}", file.display());
        assert_eq!(report["passed"], true);
        let text = fs::read_to_string(&file).unwrap();
        let steps = report["steps"].as_array().unwrap();
        assert_eq!(
            steps.len(),
            text.lines().filter(|l| l.trim() == "[[step]]").count(),
            "{}",
            file.display()
        );
        // Every expect step checked something, and something was expected.
        let expects: Vec<_> = steps.iter().filter(|s| s["what"] == "expect").collect();
        assert!(!expects.is_empty(), "{} expects nothing", file.display());
        for e in expects {
            assert!(
                !e["checked"].as_array().unwrap().is_empty(),
                "{}: {e}",
                file.display()
            );
        }
    }
}

#[test]
fn every_shipped_scenario_passes_on_anvil() {
    every_shipped_scenario_passes(L1Kind::Anvil);
}

#[test]
fn every_shipped_scenario_passes_on_hardhat() {
    every_shipped_scenario_passes(L1Kind::Hardhat);
}

#[test]
fn the_fraud_scenario_prints_the_game_move_by_move() {
    let file = root().join("scenarios/fraud-challenge.toml");
    let (ok, out, err) = bulwark(&["scenario".as_ref(), "run".as_ref(), file.as_os_str()]);
    assert!(ok, "{out}{err}");
    for line in [
        "scenario \"fraud challenge won by the challenger\"",
        "transfer alice 3 eth to bob (x16)",
        "commit-lie from-step 9 defend claims",
        "batch 2: 1 messages, 16 records, lying",
        "watcher opens a game against batch 2 (trace depth 5)",
        "defender reveals 16 hashes below the root",
        "watcher picks child 4 -> node 20 (depth 4, index 4)",
        "defender reveals 2 hashes below node 20",
        "watcher runs the one-step of step 9",
        "-> the claim is false",
        "watcher resolves it: ChallengerWon",
        "ok: winner challenger",
        "ok: l2-eth alice 2379.9",
        "passed: every prediction, invariant and expectation held over",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
}

fn scratch(name: &str, text: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("scenarios");
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_failed_expectation_names_its_step_and_line() {
    let text = fs::read_to_string(root().join("scenarios/deposits.toml"))
        .unwrap()
        .replace("alice = 2325", "alice = 2324");
    let file = scratch("wrong-expectation.toml", &text);
    let (ok, out, err) = bulwark(&["scenario".as_ref(), "run".as_ref(), file.as_os_str()]);
    assert!(!ok, "{out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("step 8 (line 50, expect) failed: expected l2-eth alice 2324, found 2325"),
        "{err}"
    );
    // The steps before it ran and were reported.
    assert!(out.contains("ok: bridge-eth 6333"), "{out}");

    let (ok, report, _) = run_json(&file, L1Kind::Anvil);
    assert!(!ok);
    assert_eq!(report["passed"], false);
    assert_eq!(report["failed"]["step"], 8);
    assert_eq!(report["failed"]["line"], 50);
}

/// Each kind of expectation fails when the run does not meet it: none holds
/// vacuously.
#[test]
fn refusals_winners_and_gas_ceilings_are_checked() {
    for (shipped, from, to, expected) in [
        (
            "batch-commits.toml",
            "reverts = \"NotFinal\"",
            "reverts = \"GamesOpen\"",
            "expected reverts GamesOpen, found NotFinal",
        ),
        (
            "frivolous-challenge.toml",
            "winner = \"defender\"",
            "winner = \"challenger\"",
            "expected winner challenger, found game 0 DefenderWon",
        ),
        (
            "deposits.toml",
            "gas-below = 200000",
            "gas-below = 100000",
            "expected gas below 100000, found",
        ),
        (
            "fraud-challenge.toml",
            "tx-gas-below = 250000",
            "tx-gas-below = 140000",
            "expected every transaction's gas below 140000, found one of 147",
        ),
    ] {
        let text = fs::read_to_string(root().join("scenarios").join(shipped)).unwrap();
        assert!(text.contains(from), "{shipped} no longer says {from}");
        let file = scratch(&format!("mutated-{shipped}"), &text.replace(from, to));
        let (ok, out, err) = bulwark(&["scenario".as_ref(), "run".as_ref(), file.as_os_str()]);
        assert!(!ok, "{shipped}: {out}");
        assert!(err.contains(expected), "{shipped}: {err}");
    }
}

#[test]
fn a_malformed_file_is_refused_in_one_line_and_nothing_runs() {
    let head = "name = \"bad\"\nactors = [\"alice\"]\n\n[[step]]\n";
    for (name, body, expected) in [
        (
            "units.toml",
            "do = \"deposit\"\nuser = \"alice\"\nunits = 70000\n",
            "line 7, field `units`: invalid value: integer `70000`, expected u16",
        ),
        (
            "verb.toml",
            "do = \"fly\"\n",
            "line 5, field `do`: unknown variant `fly`",
        ),
        (
            "lie.toml",
            "do = \"commit-lie\"\nlie = \"trace-step\"\ndefense = \"claims\"\n",
            "line 4, field `step`: this lie needs the step it starts at",
        ),
        (
            "actor.toml",
            "do = \"escape\"\nuser = \"bob\"\n",
            "line 4: step 1 names bob, who is not in `actors`",
        ),
        ("syntax.toml", "do = \"commit\"\nunits = \n", "line 6"),
    ] {
        let file = scratch(name, &format!("{head}{body}"));
        let (ok, out, err) = bulwark(&["scenario".as_ref(), "run".as_ref(), file.as_os_str()]);
        assert!(!ok, "{name}: {out}");
        assert!(out.is_empty(), "{name}: nothing runs, but: {out}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.contains(&file.display().to_string()), "{err}");
        assert!(err.contains(expected), "{name}: {err}");
    }

    let missing = scratch("x.toml", "").with_file_name("missing.toml");
    let (ok, _, err) = bulwark(&["scenario".as_ref(), "run".as_ref(), missing.as_os_str()]);
    assert!(!ok);
    assert!(
        err.contains("reading scenario") && err.contains("missing.toml"),
        "{err}"
    );
}

#[test]
fn a_record_that_cannot_be_written_fails_the_run_but_hides_nothing() {
    let file = root().join("scenarios/deposits.toml");
    let (ok, out, err) = bulwark(&[
        "scenario".as_ref(),
        "run".as_ref(),
        file.as_os_str(),
        "--record".as_ref(),
        "/dev/null/record.json".as_ref(),
    ]);
    assert!(!ok, "{out}");
    // The run itself is reported, then why the record is missing.
    assert!(out.contains("passed: every prediction"), "{out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("passed, but the record was not written") && err.contains("/dev/null"),
        "{err}"
    );
}
