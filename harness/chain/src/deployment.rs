//! The deployment file, `deployments/<chainId>.json`: where the suite lives on
//! one chain and the parameters it was built with. `bulwark deploy` and
//! `script/Deploy.s.sol` write the same format (docs/OPERATORS.md); every
//! service reads it and checks it against the chain before acting on it, so a
//! stale file (a restarted devnet) or one for another chain is refused by name.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use alloy::{
    primitives::{Address, U256},
    providers::Provider,
};
use serde::{Deserialize, Serialize};

use crate::{
    ChainError, DeployParams, Deployment,
    bindings::{Bridge, DisputeGame, OneStepVerifier, Rollup},
};

/// Why a deployment file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DeploymentError {
    /// The file could not be read.
    #[error("cannot read it: {0}")]
    Read(std::io::Error),
    /// The file is not JSON of the deployment format.
    #[error("not a deployment file: {0}")]
    Malformed(String),
    /// A field has a value the format does not allow.
    #[error("field {field}: {reason}")]
    BadField { field: &'static str, reason: String },
    /// The file is for another chain than the endpoint serves.
    #[error("it is for chain {file}, but the RPC endpoint serves chain {rpc}")]
    WrongChain { file: u64, rpc: u64 },
    /// A contract the file names has no code on the chain.
    #[error(
        "chain {chain} has no code at its {contract} address {address} (a restarted devnet? move the file aside to deploy anew)"
    )]
    NoCode {
        chain: u64,
        contract: &'static str,
        address: Address,
    },
    /// The contracts on chain were built differently from what the file says.
    #[error("it says {what} is {file}, but the contract on chain says {chain}")]
    Mismatch {
        what: &'static str,
        file: String,
        chain: String,
    },
    /// The file could not be written.
    #[error("cannot write it: {0}")]
    Write(std::io::Error),
    /// L1 could not be asked.
    #[error(transparent)]
    Chain(#[from] ChainError),
}

/// The file's JSON shape. Wei amounts are decimal strings (JSON numbers lose
/// precision above 2^53 in most readers); numbers are accepted too.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct File {
    chain_id: u64,
    deploy_block: u64,
    #[serde(serialize_with = "checksummed")]
    rollup: Address,
    #[serde(serialize_with = "checksummed")]
    bridge: Address,
    #[serde(serialize_with = "checksummed")]
    verifier: Address,
    #[serde(serialize_with = "checksummed")]
    dispute: Address,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "checksummed_some"
    )]
    demo_token: Option<Address>,
    params: Params,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Params {
    #[serde(serialize_with = "checksummed")]
    sequencer: Address,
    #[serde(serialize_with = "checksummed")]
    guardian: Address,
    window: u64,
    clock: u64,
    deadline: u64,
    pause: u64,
    cooldown: u64,
    stake: Wei,
    challenge_bond: Wei,
}

/// Addresses are written EIP-55 checksummed, as forge and block explorers show them.
fn checksummed<S: serde::Serializer>(a: &Address, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&a.to_checksum(None))
}

fn checksummed_some<S: serde::Serializer>(a: &Option<Address>, s: S) -> Result<S::Ok, S::Error> {
    match a {
        Some(a) => checksummed(a, s),
        None => s.serialize_none(),
    }
}

/// A wei amount as written: forge's `serializeUint` writes a JSON number when
/// the value fits 64 bits, our writers a decimal string.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Wei {
    Number(u64),
    Text(String),
}

impl Wei {
    fn parse(&self, field: &'static str) -> Result<U256, DeploymentError> {
        match self {
            Self::Number(n) => Ok(U256::from(*n)),
            Self::Text(s) => s.parse().map_err(|_| DeploymentError::BadField {
                field,
                reason: format!("{s:?} is not an amount of wei"),
            }),
        }
    }
}

impl Deployment {
    /// The deployment as the file's JSON, pretty-printed.
    pub fn to_json(&self) -> String {
        let p = &self.params;
        let file = File {
            chain_id: self.chain_id,
            deploy_block: self.deploy_block,
            rollup: self.rollup,
            bridge: self.bridge,
            verifier: self.verifier,
            dispute: self.dispute,
            demo_token: self.demo_token,
            params: Params {
                sequencer: p.sequencer,
                guardian: p.guardian,
                window: p.window,
                clock: p.clock,
                deadline: p.deadline,
                pause: p.pause,
                cooldown: p.cooldown,
                stake: Wei::Text(p.stake.to_string()),
                challenge_bond: Wei::Text(p.challenge_bond.to_string()),
            },
        };
        let mut json = serde_json::to_string_pretty(&file).expect("plain data serializes");
        json.push('\n');
        json
    }

    /// Parses a deployment file's text.
    pub fn from_json(text: &str) -> Result<Self, DeploymentError> {
        let file: File =
            serde_json::from_str(text).map_err(|e| DeploymentError::Malformed(e.to_string()))?;
        let p = file.params;
        Ok(Self {
            rollup: file.rollup,
            bridge: file.bridge,
            verifier: file.verifier,
            dispute: file.dispute,
            demo_token: file.demo_token,
            chain_id: file.chain_id,
            deploy_block: file.deploy_block,
            params: DeployParams {
                sequencer: p.sequencer,
                window: p.window,
                stake: p.stake.parse("params.stake")?,
                challenge_bond: p.challenge_bond.parse("params.challengeBond")?,
                clock: p.clock,
                guardian: p.guardian,
                deadline: p.deadline,
                pause: p.pause,
                cooldown: p.cooldown,
            },
        })
    }

    /// Reads and parses the deployment file at `path`.
    pub fn load(path: &Path) -> Result<Self, DeploymentError> {
        let text = std::fs::read_to_string(path).map_err(DeploymentError::Read)?;
        Self::from_json(&text)
    }

    /// Writes the deployment file at `path` whole or not at all: a temporary
    /// file beside it, flushed to disk, then renamed over it. Creates the
    /// directory if needed.
    pub fn save(&self, path: &Path) -> Result<(), DeploymentError> {
        write_atomically(path, self.to_json().as_bytes()).map_err(DeploymentError::Write)
    }

    /// The file this deployment is kept in under `dir`: `<dir>/<chainId>.json`.
    pub fn path_in(dir: &Path, chain_id: u64) -> PathBuf {
        dir.join(format!("{chain_id}.json"))
    }

    /// Checks the deployment against the chain behind `provider`: the same
    /// chain id, code at every address, and the contracts' immutables as the
    /// file says. The sequencer is not compared: the guardian may have
    /// rotated it since (PROTOCOL §17); `params.sequencer` is the first one.
    pub async fn verify<P: Provider>(&self, provider: &P) -> Result<(), DeploymentError> {
        let rpc = provider
            .get_chain_id()
            .await
            .map_err(|e| ChainError::rpc("eth_chainId", e))?;
        if rpc != self.chain_id {
            return Err(DeploymentError::WrongChain {
                file: self.chain_id,
                rpc,
            });
        }
        for (contract, address) in [
            ("Rollup", self.rollup),
            ("Bridge", self.bridge),
            ("OneStepVerifier", self.verifier),
            ("DisputeGame", self.dispute),
        ]
        .into_iter()
        .chain(self.demo_token.map(|t| ("DemoToken", t)))
        {
            let code = provider
                .get_code_at(address)
                .await
                .map_err(|e| ChainError::rpc("eth_getCode", e))?;
            if code.is_empty() {
                return Err(DeploymentError::NoCode {
                    chain: rpc,
                    contract,
                    address,
                });
            }
        }
        self.verify_wiring(provider).await
    }

    async fn verify_wiring<P: Provider>(&self, provider: &P) -> Result<(), DeploymentError> {
        let rollup = Rollup::new(self.rollup, provider);
        let bridge = Bridge::new(self.bridge, provider);
        let verifier = OneStepVerifier::new(self.verifier, provider);
        let dispute = DisputeGame::new(self.dispute, provider);
        let p = &self.params;
        let call = |what: &'static str| {
            move |e: alloy::contract::Error| DeploymentError::Chain(ChainError::contract(what, &e))
        };
        let addresses = [
            ("Rollup.BRIDGE", self.bridge, rollup.BRIDGE().call().await),
            (
                "Rollup.DISPUTE",
                self.dispute,
                rollup.DISPUTE().call().await,
            ),
            (
                "Rollup.GUARDIAN",
                p.guardian,
                rollup.GUARDIAN().call().await,
            ),
            ("Bridge.ROLLUP", self.rollup, bridge.ROLLUP().call().await),
            (
                "OneStepVerifier.ROLLUP",
                self.rollup,
                verifier.ROLLUP().call().await,
            ),
            (
                "DisputeGame.ROLLUP",
                self.rollup,
                dispute.ROLLUP().call().await,
            ),
            (
                "DisputeGame.VERIFIER",
                self.verifier,
                dispute.VERIFIER().call().await,
            ),
        ];
        for (what, file, chain) in addresses {
            same(what, file, chain.map_err(call(what))?)?;
        }
        let seconds = [
            ("Rollup.WINDOW", p.window, rollup.WINDOW().call().await),
            (
                "Rollup.DEADLINE",
                p.deadline,
                rollup.DEADLINE().call().await,
            ),
            ("Rollup.PAUSE", p.pause, rollup.PAUSE().call().await),
            (
                "Rollup.COOLDOWN",
                p.cooldown,
                rollup.COOLDOWN().call().await,
            ),
            ("DisputeGame.CLOCK", p.clock, dispute.CLOCK().call().await),
        ];
        for (what, file, chain) in seconds {
            same(what, file, chain.map_err(call(what))?)?;
        }
        let wei = [
            ("Rollup.STAKE", p.stake, rollup.STAKE().call().await),
            (
                "Rollup.CHALLENGE_BOND",
                p.challenge_bond,
                rollup.CHALLENGE_BOND().call().await,
            ),
        ];
        for (what, file, chain) in wei {
            same(what, file, chain.map_err(call(what))?)?;
        }
        Ok(())
    }
}

fn same<T: PartialEq + std::fmt::Display>(
    what: &'static str,
    file: T,
    chain: T,
) -> Result<(), DeploymentError> {
    if file == chain {
        Ok(())
    } else {
        Err(DeploymentError::Mismatch {
            what,
            file: file.to_string(),
            chain: chain.to_string(),
        })
    }
}

/// Writes `bytes` to `path` so that a reader sees the old file or the new
/// one, never a part: a temporary file in the same directory, synced, then
/// renamed over `path`, and the directory synced.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename itself survives a power loss only once the directory is synced.
        #[cfg(unix)]
        std::fs::File::open(dir)?.sync_all()?;
        Ok(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Deployment {
        Deployment {
            rollup: Address::repeat_byte(1),
            bridge: Address::repeat_byte(2),
            verifier: Address::repeat_byte(3),
            dispute: Address::repeat_byte(4),
            demo_token: None,
            chain_id: 11_155_111,
            deploy_block: 7_000_000,
            params: DeployParams {
                sequencer: Address::repeat_byte(5),
                window: 604_800,
                stake: U256::from(10).pow(U256::from(30)),
                challenge_bond: U256::from(5) * U256::from(10).pow(U256::from(16)),
                clock: 259_200,
                guardian: Address::repeat_byte(6),
                deadline: 86_400,
                pause: 28_800,
                cooldown: 86_400,
            },
        }
    }

    #[test]
    fn round_trips_with_amounts_beyond_64_bits() {
        let d = sample();
        let back = Deployment::from_json(&d.to_json()).unwrap();
        assert_eq!(back.to_json(), d.to_json());
        assert_eq!(back.params.stake, d.params.stake);
        assert!(
            d.to_json()
                .contains("\"stake\": \"1000000000000000000000000000000\"")
        );
    }

    #[test]
    fn accepts_forge_numbers_for_wei() {
        let json = sample()
            .to_json()
            .replace("\"50000000000000000\"", "50000000000000000");
        let d = Deployment::from_json(&json).unwrap();
        assert_eq!(
            d.params.challenge_bond,
            U256::from(50_000_000_000_000_000u64)
        );
    }

    #[test]
    fn names_what_is_wrong() {
        let missing = sample().to_json().replace("\"rollup\"", "\"rollupp\"");
        let err = Deployment::from_json(&missing).unwrap_err().to_string();
        assert!(err.contains("missing field `rollup`"), "{err}");

        let bad = sample()
            .to_json()
            .replace("\"50000000000000000\"", "\"lots\"");
        let err = Deployment::from_json(&bad).unwrap_err().to_string();
        assert_eq!(
            err,
            "field params.challengeBond: \"lots\" is not an amount of wei"
        );

        let bad_address = sample()
            .to_json()
            .replace("0x0202020202020202020202020202020202020202", "0x0202");
        assert!(Deployment::from_json(&bad_address).is_err());
        assert!(Deployment::from_json("not json").is_err());
    }

    #[test]
    fn writes_whole_files_only() {
        let dir = std::env::temp_dir().join(format!("bulwark-deployment-{}", std::process::id()));
        let path = Deployment::path_in(&dir.join("deployments"), 11_155_111);
        sample().save(&path).unwrap();
        assert_eq!(
            Deployment::load(&path).unwrap().to_json(),
            sample().to_json()
        );
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
