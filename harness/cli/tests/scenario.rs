//! `bulwark scenario run`: a scenario file replays on a fresh anvil with its
//! transcript; a bad line or a missing file is named, and nothing runs.

use std::{fs, path::PathBuf, process::Command};

fn scenario_file(name: &str, text: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("scenarios");
    fs::create_dir_all(&dir).expect("scenario dir");
    let path = dir.join(name);
    fs::write(&path, text).expect("write scenario");
    path
}

fn bulwark(args: &[&std::ffi::OsStr]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bulwark"))
        .args(args)
        .output()
        .expect("run bulwark");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn a_scenario_replays_with_its_transcript() {
    let path = scenario_file(
        "withdraw.scenario",
        "# bob withdraws what alice sent him\n\
         transfer alice 3 eth to bob with-fee\n\
         withdraw bob 2 eth\n\
         commit\n\
         wait window\n\
         finalize\n\
         payout\n",
    );
    let (ok, out) = bulwark(&["scenario".as_ref(), "run".as_ref(), path.as_os_str()]);
    assert!(ok, "{out}");
    for line in [
        "replaying 6 actions",
        "> withdraw bob 2 eth",
        "batch 2: 0 messages, 2 records",
        "batch 2 is final",
        "withdrawal: 2000000000000000 of token 0 paid to bob",
        "finalizeWithdrawal replay refused: AlreadyPaid",
        "every prediction and invariant held over 6 actions",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
}

#[test]
fn a_bad_line_is_named_and_nothing_runs() {
    let path = scenario_file("bad.scenario", "commit\nwait forever\n");
    let (ok, out) = bulwark(&["scenario".as_ref(), "run".as_ref(), path.as_os_str()]);
    assert!(!ok, "{out}");
    assert!(out.contains("line 2: unknown wait"), "{out}");
    assert!(!out.contains("replaying"), "{out}");

    let missing = path.with_file_name("missing.scenario");
    let (ok, out) = bulwark(&["scenario".as_ref(), "run".as_ref(), missing.as_os_str()]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("reading scenario") && out.contains("missing.scenario"),
        "{out}"
    );
}
