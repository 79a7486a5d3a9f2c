//! The whole system under random adversarial histories: every actor's
//! actions ([`Action`]) run against the real contracts on one anvil, a
//! [`Model`](model::Model) predicting each outcome, and every invariant
//! checked after each action ([`check`]). Property tests generate the
//! histories; a failing one shrinks to a short history printed as a
//! transcript and written as a scenario file ([`file`]).

pub mod action;
pub mod check;
mod exits;
pub mod file;
mod games;
pub mod model;
pub mod run;
mod users;
pub mod world;

use std::path::Path;

pub use action::Action;
pub use world::World;

use bulwark_chain::ChainError;

/// Why a history failed.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// An invariant or a prediction did not hold: a bug in the system (or the model).
    #[error("violated: {0}")]
    Violated(String),
    /// Setting up the devnet failed.
    #[error("set-up failed: {0}")]
    Setup(&'static str),
    /// L1 failed or answered what no action expected.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The sequencer could not build or commit.
    #[error(transparent)]
    Sequencer(#[from] crate::sequencer::SequencerError),
    /// A dispute actor could not move.
    #[error(transparent)]
    Dispute(#[from] crate::dispute::DisputeError),
    /// The escape hatch could not be used.
    #[error(transparent)]
    Escape(#[from] crate::escape::EscapeError),
    /// A withdrawal could not be proven.
    #[error(transparent)]
    Exit(#[from] crate::exit::ExitError),
}

/// A failed history: where it failed, why, and what happened up to there.
#[derive(Debug)]
pub struct Failed {
    /// The history.
    pub history: Vec<Action>,
    /// Index of the action that failed; `None` when the reset before the
    /// first action did.
    pub at: Option<usize>,
    /// Why.
    pub failure: Failure,
    /// Every event up to the failure.
    pub transcript: Vec<String>,
}

impl Failed {
    /// Which step failed, in words: an action with its number, or the reset.
    pub fn step(&self) -> String {
        match self.at.and_then(|at| Some((at, self.history.get(at)?))) {
            Some((at, action)) => {
                format!("action {} of {} ({action})", at + 1, self.history.len())
            }
            None => "the reset before the first action".to_owned(),
        }
    }
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} failed: {}", self.step(), self.failure)?;
        writeln!(f, "transcript:")?;
        for line in &self.transcript {
            writeln!(f, "  {line}")?;
        }
        Ok(())
    }
}

impl World {
    /// Resets the world and runs `history`, checking every invariant after
    /// each action.
    pub async fn run(&mut self, history: &[Action]) -> Result<(), Box<Failed>> {
        let fail = |world: &mut World, at: Option<usize>, failure: Failure| {
            Box::new(Failed {
                history: history.to_vec(),
                at,
                failure,
                transcript: std::mem::take(&mut world.transcript),
            })
        };
        if let Err(e) = self.reset().await {
            return Err(fail(self, None, e));
        }
        for (at, &action) in history.iter().enumerate() {
            if let Err(e) = self.apply(action).await {
                return Err(fail(self, Some(at), e));
            }
        }
        Ok(())
    }
}

/// Writes `text` to `path` whole (a temporary file renamed into place).
pub fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}
