//! `bulwark dispute replay` as auditors use it: the shipped fraud scenario
//! runs with `--record`, its game replays as text and JSON, and as an HTML
//! page that opens in a real headless Chromium (a screenshot, and the DOM
//! holding the picture of the bisection). The page is kept at
//! `target/tmp/replay/fraud-challenge.html` for whoever wants to look.

mod common;

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use common::{bulwark, root};
use serde_json::Value;

fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("replay");
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Chromium as the machine's probe runs it: headless, no sandbox (root), no
/// background networking (the network is closed), a fresh profile.
fn chromium(dir: &Path, args: &[&std::ffi::OsStr]) -> std::process::Output {
    let profile = dir.join(format!("chromium-profile-{}", std::process::id()));
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("chromium is needed for this test (make test installs it: tools/install-chromium.sh): {e}")
        });
    let _ = fs::remove_dir_all(profile);
    out
}

#[test]
fn the_fraud_scenario_replays_as_text_json_and_a_page_a_browser_opens() {
    let dir = out_dir();
    let record = dir.join("fraud-challenge.json");
    let html = dir.join("fraud-challenge.html");
    let scenario = root().join("scenarios/fraud-challenge.toml");
    let (ok, out, err) = bulwark(&[
        "scenario".as_ref(),
        "run".as_ref(),
        scenario.as_os_str(),
        "--record".as_ref(),
        record.as_os_str(),
    ]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("recorded 1 dispute game"), "{out}");

    // Text: every move, the one-step decoded and run again by the engine.
    let (ok, out, err) = bulwark(&[
        "dispute".as_ref(),
        "replay".as_ref(),
        "--record".as_ref(),
        record.as_os_str(),
        "--html".as_ref(),
        html.as_os_str(),
    ]);
    assert!(ok, "{out}{err}");
    for line in [
        "game 0 against batch 2 (epoch 0)",
        "(depth 5, 32 steps)",
        "defender   reveals 16 hashes below the root",
        "challenger picks child 4 -> node 20 (depth 4, index 4)",
        "defender   reveals 2 hashes below node 20",
        "challenger picks child 1 -> leaf 41 (step 9)",
        "runs the one-step of step 9",
        "-> ChallengerWon",
        "resolves it through the Rollup: ChallengerWon",
        "one-step: step 9 is a record: transfer of 3000000000000000 token 0 from #2 to #4",
        "the engine runs it again: applied",
        "(the same)",
        "the claim is false",
        "result: ChallengerWon, resolved; 7 transactions",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }

    // JSON: the same game, with full hashes; the engine and the contract agree.
    let (ok, out, err) = bulwark(&[
        "dispute".as_ref(),
        "replay".as_ref(),
        "--record".as_ref(),
        record.as_os_str(),
        "--game".as_ref(),
        "0".as_ref(),
        "--json".as_ref(),
    ]);
    assert!(ok, "{err}");
    let games: Value = serde_json::from_str(&out).unwrap();
    let game = &games[0];
    assert_eq!(game["status"], "ChallengerWon");
    let moves: Vec<&str> = game["moves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["move"].as_str().unwrap())
        .collect();
    assert_eq!(
        moves,
        [
            "open", "reveal", "pick", "reveal", "pick", "step", "resolve"
        ]
    );
    let step = &game["oneStep"];
    assert_eq!(step["step"], 9);
    assert_eq!(step["engine"]["result"], "ran");
    assert_eq!(step["engine"]["postRoot"], step["postRoot"]);
    assert_ne!(step["postRoot"], step["claimed"]);
    let total: u64 = game["moves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["gas"].as_u64().unwrap())
        .sum();
    assert!(total > 500_000 && total < 1_000_000, "{total}");

    // The page is self-contained: nothing in it reaches for the network.
    let page = fs::read_to_string(&html).unwrap();
    for reach in ["http://", "https://", "<script", "src="] {
        let outside = page.replace("http://www.w3.org/2000/svg", "");
        assert!(!outside.contains(reach), "the page contains {reach:?}");
    }

    // A real browser opens it: a screenshot of the whole picture ...
    let png = dir.join("fraud-challenge.png");
    let _ = fs::remove_file(&png);
    let shot = chromium(
        &dir,
        &[
            format!("--screenshot={}", png.display()).as_ref(),
            "--window-size=1100,900".as_ref(),
            format!("file://{}", html.display()).as_ref(),
        ],
    );
    assert!(
        shot.status.success(),
        "{}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let image = fs::read(&png).unwrap();
    assert_eq!(&image[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let (width, height) = (
        u32::from_be_bytes(image[16..20].try_into().unwrap()),
        u32::from_be_bytes(image[20..24].try_into().unwrap()),
    );
    assert_eq!((width, height), (1100, 900));
    // A blank page compresses to a few kilobytes; this one has tables and a picture.
    assert!(image.len() > 40_000, "{} bytes", image.len());

    // ... and its DOM as the browser built it: the root, 16 + 2 revealed
    // hashes with 4 + 1 agreed and 2 picked, and the one-step at the leaf.
    let dom = chromium(
        &dir,
        &[
            "--dump-dom".as_ref(),
            format!("file://{}", html.display()).as_ref(),
        ],
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains(r#"<body data-games="1">"#), "{dom}");
    assert!(dom.contains(r#"<svg class="trace" data-game="0""#), "{dom}");
    let count = |class: &str| dom.matches(&format!(r#"class="node {class}""#)).count();
    assert_eq!(count("root"), 1);
    assert_eq!(count("agreed"), 5);
    assert_eq!(count("picked"), 2);
    assert_eq!(count("other"), 11);
    assert_eq!(count("leaf-false"), 1);
    assert_eq!(dom.matches(r#"<tr class="move">"#).count(), 7);
    eprintln!("the replay page: {}", html.display());

    let (ok, _, err) = bulwark(&[
        "dispute".as_ref(),
        "replay".as_ref(),
        "--record".as_ref(),
        record.as_os_str(),
        "--game".as_ref(),
        "7".as_ref(),
    ]);
    assert!(!ok);
    assert_eq!(err.trim(), "error: there is no game 7");
}

#[test]
fn bad_replay_input_is_named_in_one_line() {
    let dir = out_dir();
    let not_a_record = dir.join("not-a-record.json");
    fs::write(&not_a_record, "{\"games\": 3}").unwrap();
    let missing = dir.join("missing.json");
    for (args, expected) in [
        (
            vec!["--record".as_ref(), not_a_record.as_os_str()],
            "not a scenario run's record",
        ),
        (
            vec!["--record".as_ref(), missing.as_os_str()],
            "reading record",
        ),
        (vec![], "name the games to replay"),
    ] {
        let mut all: Vec<&std::ffi::OsStr> = vec!["dispute".as_ref(), "replay".as_ref()];
        all.extend(args);
        let (ok, out, err) = bulwark(&all);
        assert!(!ok, "{out}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(expected), "{err}");
    }
}
