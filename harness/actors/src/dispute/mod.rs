//! Dispute actors (PROTOCOL §14): the sequencer's lies ([`fault`]), the
//! defender that answers every game on its batches, and the challenger that
//! re-executes every batch from L1 alone and plays the games it opens.

pub mod challenger;
pub mod defender;
pub mod fault;
pub mod moves;

use bulwark_chain::ChainError;
use bulwark_engine::{DeriveError, WitnessBuildError};

/// Levels a reveal descends (`REVEAL_LEVELS` of the DisputeGame).
pub const REVEAL_LEVELS: u32 = 4;

/// Why a dispute actor could not move.
#[derive(Debug, thiserror::Error)]
pub enum DisputeError {
    /// L1 failed, or a move reverted.
    #[error(transparent)]
    Chain(Box<ChainError>),
    /// The defender has no claim for the batch of a game against it.
    #[error("no claim recorded for batch {batch}")]
    NoClaim {
        /// The batch.
        batch: u64,
    },
    /// The recorded claim does not hold the game's node.
    #[error("game {game}: the claim recorded for batch {batch} does not hold the game's node")]
    ClaimMismatch {
        /// The game.
        game: u64,
        /// Its batch.
        batch: u64,
    },
    /// A game's position is outside its trace tree.
    #[error("game {game}: position {position} is outside the trace tree")]
    BadPosition {
        /// The game.
        game: u64,
        /// The position.
        position: u64,
    },
    /// The challenger has no trace of the batch a game of its judges.
    #[error("game {game}: no re-executed trace of batch {batch}")]
    NoTrace {
        /// The game.
        game: u64,
        /// Its batch.
        batch: u64,
    },
    /// No reveal was found for the node the game is at.
    #[error("game {game}: no reveal found at node {position}")]
    NoReveal {
        /// The game.
        game: u64,
        /// The node.
        position: u64,
    },
    /// L1 data does not derive (a commit the engine rejects).
    #[error(transparent)]
    Derive(#[from] DeriveError),
    /// The witness of a step could not be built.
    #[error(transparent)]
    Witness(#[from] WitnessBuildError),
    /// A shared lock was poisoned by a panicking thread.
    #[error("the claims lock is poisoned")]
    Poisoned,
}
