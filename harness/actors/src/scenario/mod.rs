//! Scenarios: scripted runs of the actors against a devnet, recorded in a
//! transcript.

pub mod gas_per_transfer;
pub mod happy_path;

use bulwark_chain::ChainError;

use crate::{exit::ExitError, sequencer::SequencerError};

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
    /// The scenario's own preconditions failed.
    #[error("scenario setup: {0}")]
    Setup(String),
}
