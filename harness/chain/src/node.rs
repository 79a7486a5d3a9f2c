//! L1 nodes the harness can start itself: anvil and Hardhat's node (EDR), both
//! from the project's `node_modules`, both on loopback with the well-known dev
//! mnemonic. Everything but time travel goes through plain JSON-RPC, so the
//! same scenario runs on either.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy::{
    node_bindings::{Anvil, AnvilInstance},
    primitives::{U64, U256},
    providers::{Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};

use crate::ChainError;

/// The dev accounts' private keys (the "test test ... junk" mnemonic) that anvil
/// and Hardhat's node both fund with 10,000 ETH.
pub const DEV_KEYS: [&str; 10] = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
];

/// Which L1 client to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum L1Kind {
    /// Foundry's anvil: fast, but does not enforce EIP-7825's gas cap.
    Anvil,
    /// Hardhat 2's node (EDR): enforces EIP-7623 and EIP-7825.
    Hardhat,
}

impl std::fmt::Display for L1Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Anvil => "anvil",
            Self::Hardhat => "hardhat",
        })
    }
}

impl std::str::FromStr for L1Kind {
    type Err = ChainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "anvil" => Ok(Self::Anvil),
            "hardhat" => Ok(Self::Hardhat),
            other => Err(ChainError::UnknownL1Kind(other.to_owned())),
        }
    }
}

/// The project's root: `BULWARK_ROOT` if set, else the checkout this crate was
/// built from.
pub fn project_root() -> PathBuf {
    std::env::var_os("BULWARK_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// A running L1 node, stopped when dropped.
pub enum L1Node {
    /// anvil, owned by alloy's node bindings.
    Anvil(AnvilInstance),
    /// Hardhat's node, a child process we own.
    Hardhat {
        /// The node process.
        child: Child,
        /// Its HTTP endpoint.
        endpoint: String,
        /// Where its stderr goes, for the error when it fails to start.
        log: PathBuf,
    },
}

impl L1Node {
    /// Starts a node of `kind` on a free loopback port and waits until it answers.
    pub async fn start(kind: L1Kind) -> Result<Self, ChainError> {
        let fail = |reason: String| ChainError::NodeStart { kind, reason };
        match kind {
            L1Kind::Anvil => {
                // The native binary, not the npm wrapper script: killing the
                // wrapper would leave its child running.
                let path = native_anvil()?;
                // Not `--silent`: alloy reads the listening port from anvil's stdout.
                let anvil = Anvil::at(path)
                    .try_spawn()
                    .map_err(|e| fail(e.to_string()))?;
                tracing::debug!(endpoint = %anvil.endpoint(), "anvil started");
                Ok(Self::Anvil(anvil))
            }
            L1Kind::Hardhat => {
                let root = project_root();
                let path = root.join("node_modules/.bin/hardhat");
                require_binary(&path)?;
                let port = free_port().map_err(|e| fail(e.to_string()))?;
                let log = std::env::temp_dir().join(format!("bulwark-hardhat-{port}.log"));
                let stderr = std::fs::File::create(&log)
                    .map_err(|e| fail(format!("{}: {e}", log.display())))?;
                // Started directly (not through npx) so that killing the child
                // stops the node itself.
                let child = Command::new(&path)
                    .current_dir(&root)
                    .args(["--config", "tools/hardhat/hardhat.config.js", "node"])
                    .args(["--hostname", "127.0.0.1", "--port", &port.to_string()])
                    .env("HARDHAT_DISABLE_TELEMETRY_PROMPT", "true")
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(stderr)
                    .spawn()
                    .map_err(|e| fail(e.to_string()))?;
                let mut node = Self::Hardhat {
                    child,
                    endpoint: format!("http://127.0.0.1:{port}"),
                    log,
                };
                node.wait_for_hardhat(Duration::from_secs(60)).await?;
                tracing::debug!(endpoint = %node.endpoint(), "hardhat node started");
                Ok(node)
            }
        }
    }

    /// The node's HTTP JSON-RPC endpoint.
    pub fn endpoint(&self) -> String {
        match self {
            Self::Anvil(anvil) => anvil.endpoint(),
            Self::Hardhat { endpoint, .. } => endpoint.clone(),
        }
    }

    /// Which client this is.
    pub fn kind(&self) -> L1Kind {
        match self {
            Self::Anvil(_) => L1Kind::Anvil,
            Self::Hardhat { .. } => L1Kind::Hardhat,
        }
    }

    /// Waits until Hardhat answers on its port. Checks that the answer comes
    /// from Hardhat (another node could have taken the port between our probe
    /// and its bind) and that the process is still alive.
    async fn wait_for_hardhat(&mut self, timeout: Duration) -> Result<(), ChainError> {
        let Self::Hardhat {
            child,
            endpoint,
            log,
        } = self
        else {
            return Ok(());
        };
        let kind = L1Kind::Hardhat;
        let url = endpoint
            .parse()
            .map_err(|_| ChainError::BadEndpoint(endpoint.clone()))?;
        let provider = ProviderBuilder::new().connect_http(url);
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let reason = format!("exited with {status}: {}", tail(log));
                return Err(ChainError::NodeStart { kind, reason });
            }
            if let Ok(version) = provider.get_client_version().await {
                if version.starts_with("HardhatNetwork") {
                    return Ok(());
                }
                return Err(ChainError::NodeStart {
                    kind,
                    reason: format!("port taken by {version}"),
                });
            }
            if start.elapsed() > timeout {
                return Err(ChainError::NodeStart {
                    kind,
                    reason: format!("no RPC answer within {timeout:?}: {}", tail(log)),
                });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for L1Node {
    fn drop(&mut self) {
        if let Self::Hardhat { child, log, .. } = self {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_file(log);
        }
    }
}

/// anvil's native binary for this platform, as `@foundry-rs/anvil` installs it.
fn native_anvil() -> Result<PathBuf, ChainError> {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        "windows" => "win32",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    let path = project_root().join(format!(
        "node_modules/@foundry-rs/anvil-{os}-{arch}/bin/anvil"
    ));
    if path.is_file() {
        return Ok(path);
    }
    // An installed `bulwark` outside its checkout: an anvil on PATH will do.
    if let Some(found) = std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("anvil"))
        .find(|p| p.is_file())
    {
        return Ok(found);
    }
    require_binary(&path)?;
    Ok(path)
}

/// The last lines of a log file, for an error message.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().rev().take(5).collect();
    lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
}

/// The dev account `i` as a local signer.
pub fn dev_signer(i: usize) -> Result<PrivateKeySigner, ChainError> {
    let key = DEV_KEYS.get(i).ok_or(ChainError::NoDevKey(i))?;
    key.parse().map_err(|_| ChainError::NoDevKey(i))
}

/// Moves the L1 clock forward by `seconds` and mines a block, on anvil and
/// Hardhat's node alike (both speak the `evm_*` dialect). The next block is
/// stamped exactly `seconds` after the latest, also on an anvil mining one
/// second per block (which ignores `evm_increaseTime`).
pub async fn advance_time<P: Provider>(provider: &P, seconds: u64) -> Result<(), ChainError> {
    let latest = crate::dispute::l1_time(provider).await?;
    let _: serde_json::Value = provider
        .raw_request(
            "evm_setNextBlockTimestamp".into(),
            (U64::from(latest + seconds.max(1)),),
        )
        .await
        .map_err(|e| ChainError::rpc("evm_setNextBlockTimestamp", e))?;
    let _: serde_json::Value = provider
        // An explicit empty array: Hardhat's node refuses a missing params field.
        .raw_request("evm_mine".into(), serde_json::json!([]))
        .await
        .map_err(|e| ChainError::rpc("evm_mine", e))?;
    Ok(())
}

/// Makes anvil stamp each new block exactly one second after the one before,
/// whatever the wall clock says: runs then repeat to the second (property
/// tests and their replays), and a call estimated against the pending block
/// sees the timestamp it will be mined at. Only [`advance_time`] moves the
/// clock further.
pub async fn one_second_blocks<P: Provider>(provider: &P) -> Result<(), ChainError> {
    let _: serde_json::Value = provider
        .raw_request("anvil_setBlockTimestampInterval".into(), (1u64,))
        .await
        .map_err(|e| ChainError::rpc("anvil_setBlockTimestampInterval", e))?;
    Ok(())
}

/// An L1 snapshot: the whole chain state at the moment it was taken, which
/// [`revert_to`] restores. Both anvil and Hardhat's node speak `evm_snapshot`
/// and `evm_revert`; a revert consumes its snapshot (and every later one), so
/// a caller resetting repeatedly takes a fresh snapshot after each revert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snapshot(U256);

/// Takes a snapshot of the node's whole state (blocks, balances, storage, time).
pub async fn snapshot<P: Provider>(provider: &P) -> Result<Snapshot, ChainError> {
    let id: U256 = provider
        .raw_request("evm_snapshot".into(), serde_json::json!([]))
        .await
        .map_err(|e| ChainError::rpc("evm_snapshot", e))?;
    Ok(Snapshot(id))
}

/// Restores the node to `snapshot`. The node answers `false` for a snapshot it
/// no longer holds (already reverted, or older than a revert), which is an
/// error here: continuing would run against the wrong state.
pub async fn revert_to<P: Provider>(provider: &P, snapshot: Snapshot) -> Result<(), ChainError> {
    let reverted: bool = provider
        .raw_request("evm_revert".into(), (snapshot.0,))
        .await
        .map_err(|e| ChainError::rpc("evm_revert", e))?;
    if reverted {
        Ok(())
    } else {
        Err(ChainError::Rpc {
            method: "evm_revert",
            reason: format!("the node no longer holds snapshot {}", snapshot.0),
        })
    }
}

fn require_binary(path: &Path) -> Result<(), ChainError> {
    if path.exists() {
        Ok(())
    } else {
        Err(ChainError::MissingBinary(path.to_path_buf()))
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}
