//! What the CLI's process tests share: a child process killed when the test
//! ends (even by a failed assertion), and a `bulwark devnet` started that way.

#![allow(dead_code, reason = "each test binary uses its own part")]

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

use serde_json::Value;

/// The checkout's root (where `scenarios/` is).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `bulwark` with `args` to completion: whether it succeeded, its
/// stdout and its stderr.
pub fn bulwark(args: &[&std::ffi::OsStr]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bulwark"))
        .args(args)
        .output()
        .expect("run bulwark");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A child process, stopped and reaped on drop: SIGTERM first, so that a
/// `bulwark devnet` stops the L1 it started (SIGKILL would orphan it), then
/// SIGKILL if it is still running after 10 s.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let pid = self.0.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        for _ in 0..100 {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `bin devnet --json` (API on any free port, a batch a second) with
/// `env` set, from `cwd`; returns the process and the JSON it printed.
pub fn devnet(bin: &Path, cwd: &Path, env: &[(&str, &str)]) -> (Guard, Value) {
    let mut cmd = Command::new(bin);
    cmd.args([
        "devnet",
        "--json",
        "--listen",
        "127.0.0.1:0",
        "--batch-interval",
        "1",
    ])
    .current_dir(cwd)
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut guard = Guard(cmd.spawn().expect("start bulwark devnet"));
    let mut line = String::new();
    BufReader::new(guard.0.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("read the devnet's first line");
    let json = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    (guard, json)
}
