//! Scenarios: scripted runs of the actors against a devnet, recorded in a
//! transcript.

pub mod dispute_gas;
pub mod fraud;
pub mod gas_per_transfer;
pub mod gas_report;
pub mod happy_path;

use bulwark_chain::ChainError;

use self::dispute_gas::DisputeGasError;
use crate::{dispute::DisputeError, exit::ExitError, sequencer::SequencerError};

/// Why a scenario stopped.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// L1 failed or answered something malformed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The sequencer could not commit.
    #[error(transparent)]
    Sequencer(#[from] SequencerError),
    /// A withdrawal could not be finalized.
    #[error(transparent)]
    Exit(#[from] ExitError),
    /// A dispute actor could not move.
    #[error(transparent)]
    Dispute(#[from] DisputeError),
    /// A measured dispute game is not the measurement it claims to be.
    #[error(transparent)]
    DisputeGas(#[from] DisputeGasError),
    /// The scenario's own preconditions failed.
    #[error("scenario setup: {0}")]
    Setup(String),
}
