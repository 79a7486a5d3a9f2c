//! Bulwark's long-running services. Each rebuilds what it knows from L1 on
//! start (no database of its own); the sequencer keeps only a journal of
//! transactions it accepted and has not yet committed; the challenger keeps
//! nothing.

mod api;
pub mod challenger;
pub mod journal;
pub mod l2;
pub mod sequencer;
pub mod submit;

pub use challenger::{ChallengerConfig, ChallengerService};
pub use l2::{ReplayProgress, ReplayReport};
pub use sequencer::{SequencerConfig, SequencerService, ServiceError, Started};
