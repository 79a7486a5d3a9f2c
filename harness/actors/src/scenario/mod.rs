//! Scenarios: scripted runs of the actors against a devnet, recorded in a
//! transcript.

pub mod censor;
pub mod dispute_gas;
pub mod fraud;
pub mod gas_per_transfer;
pub mod gas_report;
pub mod happy_path;

use bulwark_chain::{ChainError, bindings::Revert};
use bulwark_engine::Outcome;

use self::dispute_gas::DisputeGasError;
use crate::{
    dispute::DisputeError,
    escape::EscapeError,
    exit::ExitError,
    sequencer::{CommitReport, SequencerError},
    transcript::{Event, Transcript},
};

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
    /// The escape hatch could not be used.
    #[error(transparent)]
    Escape(#[from] EscapeError),
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

/// The words a refused action is reported with: the protocol's error as the
/// contract names it (`CommitsPaused { until: 1754000000 }`, `RollupFrozen`),
/// or the failure's own words when it is not one of the protocol's errors.
pub trait RefusalReason {
    /// The error, as the transcript shows it.
    fn reason(&self) -> String;
}

impl RefusalReason for ChainError {
    fn reason(&self) -> String {
        let revert = match self {
            Self::Contract { revert, .. } => revert,
            Self::SafeCallReverted { revert, .. } => revert.as_ref(),
            other => return other.to_string(),
        };
        let debug = match revert {
            Revert::Rollup(e) => format!("{e:?}"),
            Revert::Bridge(e) => format!("{e:?}"),
            Revert::Dispute(e) => format!("{e:?}"),
            Revert::Verifier(e) => format!("{e:?}"),
            Revert::Other(words) => return words.clone(),
        };
        // `sol!` errors debug-print as `Name(Name { .. })`; the inner part is the error.
        match debug.split_once('(') {
            Some((_, inner)) => inner.strip_suffix(')').unwrap_or(inner).to_owned(),
            None => debug,
        }
    }
}

impl RefusalReason for SequencerError {
    fn reason(&self) -> String {
        match self {
            Self::Chain(e) => e.reason(),
            other => other.to_string(),
        }
    }
}

/// The name of the error in a [`RefusalReason`]: `CommitsPaused` of
/// `CommitsPaused { until: 1754000000 }`.
pub fn error_name(reason: &str) -> &str {
    reason
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .next()
        .unwrap_or(reason)
}

/// Records an action that must be refused: a `Refused` line with the error
/// it reverted with, and a failed check when it went through or reverted
/// with anything but `expected`. Returns the error (empty if none).
pub(crate) fn expect_refused<T, E: RefusalReason>(
    transcript: &mut Transcript,
    who: &str,
    action: &str,
    result: Result<T, E>,
    expected: &str,
) -> String {
    match result {
        Err(e) => {
            let reason = e.reason();
            transcript.push(Event::Refused {
                who: who.into(),
                action: action.into(),
                error: reason.clone(),
            });
            if error_name(&reason) != expected {
                transcript.push(Event::Check {
                    what: format!("{who}: {action} is refused with {expected}"),
                    ok: false,
                });
            }
            reason
        }
        Ok(_) => {
            transcript.push(Event::Check {
                what: format!("{who}: {action} is refused with {expected} (it went through)"),
                ok: false,
            });
            String::new()
        }
    }
}

/// Narrates a commit: every non-identity step with its outcome, then the commit.
pub(crate) fn narrate_commit(transcript: &mut Transcript, report: &CommitReport) {
    for step in &report.steps {
        transcript.push(Event::Step {
            batch: report.batch,
            step: step.step,
            what: step.input.to_string(),
            outcome: step.outcome.to_string(),
        });
    }
    let skipped = report
        .steps
        .iter()
        .filter(|s| !matches!(s.outcome, Outcome::Applied))
        .count();
    transcript.push(Event::Committed {
        batch: report.batch,
        messages: report.messages,
        records: report.records,
        applied: report.steps.len() - skipped,
        skipped,
        calldata: report.calldata,
        gas: report.sent.gas_used,
        state_root: report.state_root,
    });
}

#[cfg(test)]
mod tests {
    use super::error_name;

    #[test]
    fn error_names_stop_at_the_fields() {
        assert_eq!(error_name("CommitsPaused { until: 5 }"), "CommitsPaused");
        assert_eq!(error_name("RollupFrozen"), "RollupFrozen");
    }
}
