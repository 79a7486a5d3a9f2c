//! Derivation (PROTOCOL §12): the L2 state from L1 data alone, checking every
//! committed state root and trace root on the way.

use alloy_primitives::B256;

use crate::batch::{Batch, BatchError};
use crate::eip712::Domain;
use crate::message::L1Message;
use crate::params::MAX_MSGS;
use crate::state::State;
use crate::trace::{Trace, TraceError, trace};

/// One committed batch as L1 shows it: the commit's calldata and claims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DerivedBatch {
    /// The `header` argument of the commit.
    pub header: Vec<u8>,
    /// The `records` argument of the commit.
    pub records: Vec<u8>,
    /// `post.msgsConsumed` of the commit.
    pub msgs_after: u64,
    /// The state root the commit claims.
    pub state_root: B256,
    /// The trace root the commit claims.
    pub trace_root: B256,
}

/// Why derivation stopped; `batch` is the batch's Rollup index (the first
/// batch after genesis is 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DeriveError {
    /// The calldata is not a batch the Rollup accepts.
    #[error("batch {batch}: {source}")]
    BadBatch {
        /// Rollup index of the batch.
        batch: u64,
        /// What is wrong with it.
        source: BatchError,
    },
    /// The batch consumes fewer messages than zero, or more than 512.
    #[error("batch {batch}: consumes messages {msgs_before}..{msgs_after}")]
    BadMessageRange {
        /// Rollup index of the batch.
        batch: u64,
        /// `msgsConsumed` before it.
        msgs_before: u64,
        /// `msgsConsumed` it claims after.
        msgs_after: u64,
    },
    /// The batch consumes messages not given.
    #[error("batch {batch}: needs message {index}, only {available} given")]
    MissingMessage {
        /// Rollup index of the batch.
        batch: u64,
        /// Queue index needed.
        index: u64,
        /// Messages given.
        available: usize,
    },
    /// The messages given are not the queue in order.
    #[error("batch {batch}: {source}")]
    BadTrace {
        /// Rollup index of the batch.
        batch: u64,
        /// Why the messages and records do not form a trace.
        source: TraceError,
    },
    /// The committed state root is not the derived one: the batch is fraudulent.
    #[error("batch {batch}: claims state root {claimed}, derived {derived}")]
    RootMismatch {
        /// Rollup index of the batch.
        batch: u64,
        /// Root the commit claims.
        claimed: B256,
        /// Root derived from L1 data.
        derived: B256,
    },
    /// The committed trace root is not the derived one: the batch is
    /// fraudulent even if its state root is right.
    #[error("batch {batch}: claims trace root {claimed}, derived {derived}")]
    TraceRootMismatch {
        /// Rollup index of the batch.
        batch: u64,
        /// Root the commit claims.
        claimed: B256,
        /// Root derived from L1 data.
        derived: B256,
    },
}

impl DeriveError {
    /// The Rollup index of the batch derivation stopped at.
    pub fn batch(&self) -> u64 {
        match self {
            Self::BadBatch { batch, .. }
            | Self::BadMessageRange { batch, .. }
            | Self::MissingMessage { batch, .. }
            | Self::BadTrace { batch, .. }
            | Self::RootMismatch { batch, .. }
            | Self::TraceRootMismatch { batch, .. } => *batch,
        }
    }

    /// Whether the batch is well formed but claims roots its data does not
    /// give: what a dispute game proves.
    pub fn is_fraud(&self) -> bool {
        matches!(
            self,
            Self::RootMismatch { .. } | Self::TraceRootMismatch { .. }
        )
    }
}

/// Derivation in progress: the state after the batches applied so far.
#[derive(Clone, Debug, Default)]
pub struct Derivation {
    state: State,
    batches: u64,
}

impl Derivation {
    /// Starts from genesis.
    pub fn new() -> Self {
        Self::default()
    }

    /// The state after the batches applied so far.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Number of batches applied: the Rollup index of the last one.
    pub fn batches(&self) -> u64 {
        self.batches
    }

    /// The state, consuming the derivation.
    pub fn into_state(self) -> State {
        self.state
    }

    /// Executes the next batch from the current state: its messages (from
    /// `messages`, the bridge's queue from index 0) and records, as a trace.
    /// Checks nothing against the commit's claims; see [`push`](Self::push).
    pub fn execute(
        &self,
        domain: &Domain,
        messages: &[L1Message],
        committed: &DerivedBatch,
    ) -> Result<(Trace, State), DeriveError> {
        let batch_index = self.batches + 1;
        let batch =
            Batch::from_calldata(&committed.header, &committed.records).map_err(|source| {
                DeriveError::BadBatch {
                    batch: batch_index,
                    source,
                }
            })?;
        let msgs_before = self.state.msgs_consumed();
        let count = committed
            .msgs_after
            .checked_sub(msgs_before)
            .filter(|&m| m <= MAX_MSGS as u64)
            .ok_or(DeriveError::BadMessageRange {
                batch: batch_index,
                msgs_before,
                msgs_after: committed.msgs_after,
            })?;
        let start = usize::try_from(msgs_before).unwrap_or(usize::MAX);
        let end = start.saturating_add(count as usize);
        let consumed = messages
            .get(start..end)
            .ok_or(DeriveError::MissingMessage {
                batch: batch_index,
                index: committed.msgs_after.saturating_sub(1),
                available: messages.len(),
            })?;
        trace(&self.state, domain, consumed, &batch).map_err(|source| DeriveError::BadTrace {
            batch: batch_index,
            source,
        })
    }

    /// Applies the next batch, checking its claimed state root and trace
    /// root, and returns its trace (each step's outcome). On error the state
    /// stays at the parent, so a challenger can trace the batch from there.
    pub fn push(
        &mut self,
        domain: &Domain,
        messages: &[L1Message],
        committed: &DerivedBatch,
    ) -> Result<Trace, DeriveError> {
        let batch = self.batches + 1;
        let (trace, next) = self.execute(domain, messages, committed)?;
        let derived = trace.state_root();
        if derived != committed.state_root {
            return Err(DeriveError::RootMismatch {
                batch,
                claimed: committed.state_root,
                derived,
            });
        }
        let derived = trace.root();
        if derived != committed.trace_root {
            return Err(DeriveError::TraceRootMismatch {
                batch,
                claimed: committed.trace_root,
                derived,
            });
        }
        self.state = next;
        self.batches = batch;
        Ok(trace)
    }
}

/// Rebuilds the state from genesis through `batches`, in commit order.
pub fn derive(
    messages: &[L1Message],
    batches: &[DerivedBatch],
    domain: &Domain,
) -> Result<State, DeriveError> {
    let mut derivation = Derivation::new();
    for batch in batches {
        derivation.push(domain, messages, batch)?;
    }
    Ok(derivation.into_state())
}

#[cfg(test)]
mod tests {
    use alloy_primitives::Address;

    use super::*;
    use crate::builder::BatchBuilder;
    use crate::header::Header;
    use crate::message::{MessageKind, NEW_ACCOUNT};
    use crate::primitives::TokenId;

    fn deposit(index: u64) -> L1Message {
        L1Message {
            index,
            kind: MessageKind::Deposit,
            sender: Address::repeat_byte(5),
            target: NEW_ACCOUNT,
            token: TokenId(0),
            amount: 10,
            queued_at: 0,
        }
    }

    /// Two batches of one message and one garbage record each.
    fn committed(domain: &Domain, messages: &[L1Message]) -> (Vec<DerivedBatch>, State) {
        let mut state = State::genesis();
        let mut out = Vec::new();
        for m in messages {
            let mut builder = BatchBuilder::new(state, *domain, Header::default());
            builder.push_message(m).unwrap();
            builder.push_record([0xee; 128]).unwrap();
            let built = builder.build().unwrap();
            out.push(DerivedBatch {
                header: built.batch.header_bytes(),
                records: built.batch.records_bytes(),
                msgs_after: built.msgs_after,
                state_root: built.state_root(),
                trace_root: built.trace_root(),
            });
            state = built.post;
        }
        (out, state)
    }

    #[test]
    fn rebuilds_the_committed_state() {
        let domain = Domain::new(1, Address::ZERO);
        let messages = [deposit(0), deposit(1), deposit(2)];
        let (batches, state) = committed(&domain, &messages[..2]);
        assert_eq!(derive(&messages, &batches, &domain).unwrap(), state);
    }

    #[test]
    fn names_the_batch_whose_root_differs() {
        let domain = Domain::new(1, Address::ZERO);
        let messages = [deposit(0), deposit(1)];
        let (mut batches, _) = committed(&domain, &messages);
        batches[1].state_root = B256::repeat_byte(1);
        let mut derivation = Derivation::new();
        derivation.push(&domain, &messages, &batches[0]).unwrap();
        let parent = derivation.state().clone();
        let error = derivation
            .push(&domain, &messages, &batches[1])
            .unwrap_err();
        assert!(matches!(error, DeriveError::RootMismatch { batch: 2, .. }));
        assert_eq!(error.batch(), 2, "errors name the Rollup index");
        assert!(error.is_fraud());
        assert_eq!(
            derivation.state(),
            &parent,
            "a rejected batch leaves the parent"
        );
    }

    /// A batch whose state root is right but whose trace is not is fraud too:
    /// a game over its trace would pick the wrong leaf.
    #[test]
    fn checks_the_trace_root() {
        let domain = Domain::new(1, Address::ZERO);
        let messages = [deposit(0), deposit(1)];
        let (mut batches, _) = committed(&domain, &messages);
        let honest = batches[0].trace_root;
        batches[0].trace_root = B256::repeat_byte(2);
        let error = derive(&messages, &batches, &domain).unwrap_err();
        assert_eq!(
            error,
            DeriveError::TraceRootMismatch {
                batch: 1,
                claimed: B256::repeat_byte(2),
                derived: honest
            }
        );
        assert!(error.is_fraud());
    }

    #[test]
    fn rejects_what_the_rollup_rejects() {
        let domain = Domain::new(1, Address::ZERO);
        let messages = [deposit(0)];
        let (batches, _) = committed(&domain, &messages);
        let bad = |edit: fn(&mut DerivedBatch)| {
            let mut b = batches[0].clone();
            edit(&mut b);
            derive(&messages, &[b], &domain).unwrap_err()
        };
        assert!(matches!(
            bad(|b| b.records.push(0)),
            DeriveError::BadBatch { batch: 1, .. }
        ));
        assert!(matches!(
            bad(|b| b.header = vec![1]),
            DeriveError::BadBatch { batch: 1, .. }
        ));
        assert!(matches!(
            bad(|b| b.msgs_after = 2),
            DeriveError::MissingMessage { index: 1, .. }
        ));
        assert!(matches!(
            bad(|b| {
                b.msgs_after = 0;
                b.records.clear();
            }),
            DeriveError::BadTrace {
                batch: 1,
                source: TraceError::Empty
            }
        ));
    }
}
