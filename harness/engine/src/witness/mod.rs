//! Step witnesses (PROTOCOL §8.1): what a one-step needs to re-execute step
//! `i` of a batch from proofs alone, and the stateless [`verify_step`].
//!
//! A witness is flat and ordered so a Solidity one-step can consume it: the
//! pre-state preimage, the step input, then one [`Opening`] per tree access
//! in the order the STF makes them. The STF decides which access comes next,
//! so an opening's index is implied. [`StepWitness::encode`] and
//! [`StepWitness::decode`] write and read the §8.2 bytes the one-step takes.

mod encode;
mod record;
mod verify;

use alloy_primitives::B256;

use crate::batch::{Batch, RecordBytes, RecordPath};
use crate::eip712::Domain;
use crate::header::Header;
use crate::leaf::{AccountLeaf, StatePreimage};
use crate::message::L1Message;
use crate::state::State;
use crate::stf::{Step, apply_step, execute};
use crate::trace::{TraceError, check_messages};
use crate::tree::Siblings;

pub use encode::{
    ACCOUNT_OPENING_SIZE, EMPTY_OPENING_SIZE, MESSAGE_INPUT_SIZE, PRE_SIZE,
    RECORD_INPUT_FIXED_SIZE, WitnessDecodeError, WitnessField,
};
pub use verify::{OpeningKind, WitnessError, verify_step, verify_step_outcome};

/// One tree access of a step, with its 32 siblings against the running root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opening {
    /// An account read; a write to it reuses these siblings.
    Account {
        /// The leaf read.
        leaf: AccountLeaf,
        /// Its siblings in the account tree.
        siblings: Siblings,
    },
    /// The empty position `nextAccountIndex`, where a deposit creates an account.
    EmptyAccount {
        /// Its siblings in the account tree.
        siblings: Siblings,
    },
    /// The empty position `withdrawalCount`, where a withdrawal leaf is appended.
    EmptyWithdrawal {
        /// Its siblings in the withdrawal tree.
        siblings: Siblings,
    },
}

impl Opening {
    /// Which kind of access this opens.
    pub fn kind(&self) -> OpeningKind {
        match self {
            Self::Account { .. } => OpeningKind::Account,
            Self::EmptyAccount { .. } => OpeningKind::EmptyAccount,
            Self::EmptyWithdrawal { .. } => OpeningKind::EmptyWithdrawal,
        }
    }
}

/// Which input a witness carries after `pre` (§8.2); the step's anchor says,
/// never the witness.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InputKind {
    /// An L1 message (step `i < m`).
    Message,
    /// A record with its path and the header (`m ≤ i < m + n`).
    Record,
    /// Nothing (an identity step).
    Identity,
}

/// The input of one step, as the one-step receives it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "a witness holds one input; boxing it buys nothing"
)]
pub enum StepInput {
    /// An L1 message; the one-step checks its hash against the bridge.
    Message(L1Message),
    /// A record with its proof against the batch's `dataRoot`.
    Record {
        /// Position of the record in the batch.
        position: u32,
        /// The record.
        record: RecordBytes,
        /// Its 9 siblings in the records tree.
        path: RecordPath,
        /// The batch header (fee recipients).
        header: Header,
    },
    /// An identity step.
    Identity,
}

/// Everything needed to re-execute one step statelessly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepWitness {
    /// Preimage of the step's pre-root.
    pub pre: StatePreimage,
    /// The step's input.
    pub input: StepInput,
    /// Tree accesses, in the order the STF makes them.
    pub openings: Vec<Opening>,
}

/// What the chain itself knows about step `i`, against which a witness is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StepAnchor {
    /// A message step: the hash the bridge stores for queue index `msgsBefore + i`.
    Message {
        /// Stored message hash.
        hash: B256,
    },
    /// A record step: record `i − m` of the batch with this `dataRoot`.
    Record {
        /// Position of the record in the batch.
        position: u32,
        /// The batch's `dataRoot`.
        data_root: B256,
    },
    /// An identity step (`i ≥ m + n`).
    Identity,
}

impl StepAnchor {
    /// The input a witness of this step carries.
    pub fn input_kind(&self) -> InputKind {
        match self {
            Self::Message { .. } => InputKind::Message,
            Self::Record { .. } => InputKind::Record,
            Self::Identity => InputKind::Identity,
        }
    }
}

/// Why a witness cannot be built for the requested step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WitnessBuildError {
    /// The messages and batch do not form a trace.
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// The step index is past the trace.
    #[error("step {index} is past the trace of {len} steps")]
    StepOutOfRange {
        /// Step asked for.
        index: usize,
        /// Steps in the trace.
        len: usize,
    },
}

/// The step at `index` of the trace of `messages` and `batch`.
fn step_at(messages: &[L1Message], batch: &Batch, index: usize) -> Result<Step, WitnessBuildError> {
    let (m, n) = (messages.len(), batch.records().len());
    if m + n == 0 {
        return Err(TraceError::Empty.into());
    }
    let len = (m + n).next_power_of_two();
    Ok(match index {
        i if i < m => Step::Message(messages[i]),
        i if i < m + n => Step::Record(batch.records()[i - m]),
        i if i < len => Step::Identity,
        _ => return Err(WitnessBuildError::StepOutOfRange { index, len }),
    })
}

/// The anchor of step `index` of the batch: what a one-step reads on chain.
pub fn step_anchor(
    messages: &[L1Message],
    batch: &Batch,
    index: usize,
) -> Result<StepAnchor, WitnessBuildError> {
    Ok(match step_at(messages, batch, index)? {
        Step::Message(message) => StepAnchor::Message {
            hash: message.hash(),
        },
        Step::Record(_) => StepAnchor::Record {
            position: (index - messages.len()) as u32,
            data_root: batch.data_root(),
        },
        Step::Identity => StepAnchor::Identity,
    })
}

/// The witness of step `index` of the trace of `messages` and `batch` from `parent`.
pub fn witness(
    parent: &State,
    domain: &Domain,
    messages: &[L1Message],
    batch: &Batch,
    index: usize,
) -> Result<StepWitness, WitnessBuildError> {
    check_messages(parent.msgs_consumed(), messages)?;
    let step = step_at(messages, batch, index)?;
    let header = batch.header();
    let mut state = parent.clone();
    for earlier in 0..index {
        apply_step(
            &mut state,
            domain,
            header,
            &step_at(messages, batch, earlier)?,
        );
    }
    let pre = state.preimage();
    let input = match step {
        Step::Message(message) => StepInput::Message(message),
        Step::Record(bytes) => {
            let position = index - messages.len();
            StepInput::Record {
                position: position as u32,
                record: bytes,
                path: batch.record_proof(position).unwrap_or_default(),
                header: header.clone(),
            }
        }
        Step::Identity => StepInput::Identity,
    };
    let mut recorder = record::Recorder::new(state.ledger());
    match execute(&mut recorder, domain, header, &step) {
        Ok(_) => {}
        Err(never) => match never {},
    }
    Ok(StepWitness {
        pre,
        input,
        openings: recorder.into_openings(),
    })
}

#[cfg(test)]
mod tests;
