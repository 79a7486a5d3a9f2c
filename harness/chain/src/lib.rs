//! Bulwark's L1 side in Rust: contract bindings generated from forge's
//! artifacts, deployment, L1 nodes for tests and demos, sending transactions
//! with their receipts, and reading L1 history back into the engine.
//!
//! Data flows engine -> chain -> actors: this crate knows the engine's types
//! but the engine never knows this crate.

mod balance;
pub mod bindings;
mod deploy;
mod deployment;
pub mod derive;
pub mod dispute;
mod error;
pub mod follow;
pub mod history;
pub mod node;
pub mod replay;
pub mod safe;
mod tx;

pub use balance::balance_of;
pub use deploy::{
    DEPLOY_GAS, DeployParams, Deployment, defaults, deploy, deploy_demo_token, deploy_reporting,
};
pub use deployment::{DeploymentError, write_atomically};
pub use error::ChainError;
pub use safe::{Multisig, SafeFactory, deploy_safe};
pub use tx::{Sent, TX_GAS_CAP, gas_limit, send};
