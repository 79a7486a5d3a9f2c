//! Where an operator's key comes from: an encrypted keystore (the format
//! `cast wallet import` writes), by path or by name in Foundry's keystore
//! directory, or the `BULWARK_PRIVATE_KEY` environment variable. Never a
//! flag (shell history and `ps` would show it) and never echoed, not even in
//! an error.

use std::path::{Path, PathBuf};

use alloy::signers::local::{LocalSignerError, PrivateKeySigner};
use clap::Args;

/// The environment variable holding a raw private key (hex, `0x` optional).
pub const PRIVATE_KEY_VAR: &str = "BULWARK_PRIVATE_KEY";
/// The environment variable holding a keystore's password, for scripts and
/// services; without it the password is asked on the terminal.
pub const PASSWORD_VAR: &str = "BULWARK_KEYSTORE_PASSWORD";

/// The key flags every command that signs shares.
#[derive(Args, Clone, Debug, Default)]
pub struct KeyArgs {
    /// Sign with this encrypted keystore file (`cast wallet import` format); its password
    /// comes from BULWARK_KEYSTORE_PASSWORD or is asked on the terminal. Without a keystore
    /// the key comes from BULWARK_PRIVATE_KEY.
    #[arg(long, value_name = "PATH", conflicts_with = "account")]
    pub keystore: Option<PathBuf>,
    /// Sign with the keystore of this name in Foundry's keystore directory
    /// ($FOUNDRY_KEYSTORES_DIR, else ~/.foundry/keystores), as `cast wallet import NAME` saves it.
    #[arg(long, value_name = "NAME")]
    pub account: Option<String>,
}

/// Why no key could be had. No variant carries key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Nothing says where the key is.
    #[error("no key: pass --keystore PATH or --account NAME, or set {PRIVATE_KEY_VAR}")]
    NoKey,
    /// Two sources were given; which one pays is not guessed.
    #[error(
        "both a keystore and {PRIVATE_KEY_VAR} are given: unset one, so that it is clear which key signs"
    )]
    TwoKeys,
    /// The environment variable is not a private key.
    #[error("{PRIVATE_KEY_VAR} is not a private key (64 hex digits, 0x optional)")]
    BadPrivateKey,
    /// The keystore file is not there.
    #[error("keystore {0} does not exist")]
    KeystoreMissing(PathBuf),
    /// The password does not open the keystore.
    #[error("wrong password for keystore {0}")]
    WrongPassword(PathBuf),
    /// The file is not a keystore we can read.
    #[error("keystore {path} cannot be opened: {reason}")]
    BadKeystore { path: PathBuf, reason: String },
    /// No password was given and there is no terminal to ask on.
    #[error("keystore {0} needs a password: set {PASSWORD_VAR} or run in a terminal")]
    NoPassword(PathBuf),
    /// `--account` without a home directory to find Foundry's keystores in.
    #[error("--account needs $FOUNDRY_KEYSTORES_DIR or $HOME to find keystore {0:?}")]
    NoKeystoreDir(String),
}

impl KeyArgs {
    /// The signer these flags and the environment name.
    pub fn signer(&self) -> Result<PrivateKeySigner, KeyError> {
        let env_key = std::env::var(PRIVATE_KEY_VAR)
            .ok()
            .filter(|k| !k.is_empty());
        let keystore = match (&self.keystore, &self.account) {
            (Some(path), _) => Some(path.clone()),
            (None, Some(name)) => Some(keystore_dir(name)?.join(name)),
            (None, None) => None,
        };
        match (keystore, env_key) {
            (Some(_), Some(_)) => Err(KeyError::TwoKeys),
            (Some(path), None) => decrypt(&path),
            (None, Some(key)) => key.trim().parse().map_err(|_| KeyError::BadPrivateKey),
            (None, None) => Err(KeyError::NoKey),
        }
    }
}

fn keystore_dir(name: &str) -> Result<PathBuf, KeyError> {
    if let Some(dir) = std::env::var_os("FOUNDRY_KEYSTORES_DIR") {
        return Ok(PathBuf::from(dir));
    }
    std::env::var_os("HOME")
        .map(|home| PathBuf::from(home).join(".foundry/keystores"))
        .ok_or_else(|| KeyError::NoKeystoreDir(name.to_owned()))
}

fn decrypt(path: &Path) -> Result<PrivateKeySigner, KeyError> {
    if !path.is_file() {
        return Err(KeyError::KeystoreMissing(path.to_owned()));
    }
    let password = match std::env::var(PASSWORD_VAR) {
        Ok(password) => password,
        Err(_) => rpassword::prompt_password(format!("password for {}: ", path.display()))
            .map_err(|_| KeyError::NoPassword(path.to_owned()))?,
    };
    PrivateKeySigner::decrypt_keystore(path, password).map_err(|e| match e {
        LocalSignerError::EthKeystoreError(eth_keystore::KeystoreError::MacMismatch) => {
            KeyError::WrongPassword(path.to_owned())
        }
        other => KeyError::BadKeystore {
            path: path.to_owned(),
            reason: other.to_string(),
        },
    })
}
