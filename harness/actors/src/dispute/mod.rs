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

use std::future::Future;
use std::time::Duration;

use alloy::providers::{DynProvider, Provider};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;

use moves::GameMove;

/// Runs `tick` whenever L1 has a new block, until the task is aborted or
/// `moves` is closed: the loop a challenger or defender service runs beside
/// the sequencer. A failed tick (a move raced by another player, a node
/// hiccup) is logged and retried on the next block.
pub async fn drive<F, Fut>(
    provider: DynProvider,
    interval: Duration,
    moves: UnboundedSender<GameMove>,
    mut tick: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Vec<GameMove>, DisputeError>>,
{
    let mut seen = None;
    loop {
        if moves.is_closed() {
            return;
        }
        match provider.get_block_number().await {
            Ok(head) if seen != Some(head) => match tick().await {
                Ok(made) => {
                    // A tick that moved changes L1 itself; look again on the next head.
                    seen = made.is_empty().then_some(head);
                    for m in made {
                        tracing::info!(%m, "dispute move");
                        if moves.send(m).is_err() {
                            return;
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "dispute tick failed; retrying on the next block")
                }
            },
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "reading the L1 head failed"),
        }
        tokio::time::sleep(interval).await;
    }
}

/// A dispute actor that moves in passes: the challenger or the defender.
pub trait Player: Send + Sync + 'static {
    /// The provider it reads L1 with.
    fn provider(&self) -> DynProvider;

    /// One pass: the moves due now.
    fn tick(&self) -> impl Future<Output = Result<Vec<GameMove>, DisputeError>> + Send;
}

/// Runs `player` as a task beside the sequencer, ticking on every new L1
/// block (polled every `interval`); its moves arrive on the returned channel.
pub fn spawn<P: Player>(
    player: P,
    interval: Duration,
) -> (JoinHandle<()>, UnboundedReceiver<GameMove>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let provider = player.provider();
    let player = std::sync::Arc::new(player);
    let task = tokio::spawn(drive(provider, interval, tx, move || {
        let player = std::sync::Arc::clone(&player);
        async move { player.tick().await }
    }));
    (task, rx)
}
