//! Derivation (PROTOCOL §12): the L2 state from L1 data alone, checking every
//! committed state root on the way.

use alloy_primitives::B256;

use crate::batch::{Batch, BatchError};
use crate::eip712::Domain;
use crate::message::L1Message;
use crate::params::MAX_MSGS;
use crate::state::State;
use crate::stf::{Step, apply_step};

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
}

/// Why derivation stopped; `batch` is the position in the batches given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DeriveError {
    /// The calldata is not a batch the Rollup accepts.
    #[error("batch {batch}: {source}")]
    BadBatch {
        /// Position of the batch.
        batch: usize,
        /// What is wrong with it.
        source: BatchError,
    },
    /// The batch consumes fewer messages than zero, or more than 512.
    #[error("batch {batch}: consumes messages {msgs_before}..{msgs_after}")]
    BadMessageRange {
        /// Position of the batch.
        batch: usize,
        /// `msgsConsumed` before it.
        msgs_before: u64,
        /// `msgsConsumed` it claims after.
        msgs_after: u64,
    },
    /// The batch consumes messages not given.
    #[error("batch {batch}: needs message {index}, only {available} given")]
    MissingMessage {
        /// Position of the batch.
        batch: usize,
        /// Queue index needed.
        index: u64,
        /// Messages given.
        available: usize,
    },
    /// The message given at a queue position names another index.
    #[error("message at queue position {position} has index {found}")]
    MessageOutOfOrder {
        /// Position in the messages given.
        position: u64,
        /// Index it names.
        found: u64,
    },
    /// The batch has no message and no record.
    #[error("batch {batch}: empty")]
    Empty {
        /// Position of the batch.
        batch: usize,
    },
    /// The committed root is not the derived one: the batch is fraudulent.
    #[error("batch {batch}: claims state root {claimed}, derived {derived}")]
    RootMismatch {
        /// Position of the batch.
        batch: usize,
        /// Root the commit claims.
        claimed: B256,
        /// Root derived from L1 data.
        derived: B256,
    },
}

/// Derivation in progress: the state after the batches applied so far.
#[derive(Clone, Debug, Default)]
pub struct Derivation {
    state: State,
    batches: usize,
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

    /// Number of batches applied.
    pub fn batches(&self) -> usize {
        self.batches
    }

    /// The state, consuming the derivation.
    pub fn into_state(self) -> State {
        self.state
    }

    /// Applies the next batch; `messages` is the bridge's queue from index 0.
    /// On error the state stays at the parent, so a challenger can trace the
    /// batch from there.
    pub fn push(
        &mut self,
        domain: &Domain,
        messages: &[L1Message],
        committed: &DerivedBatch,
    ) -> Result<(), DeriveError> {
        let batch_position = self.batches;
        let batch =
            Batch::from_calldata(&committed.header, &committed.records).map_err(|source| {
                DeriveError::BadBatch {
                    batch: batch_position,
                    source,
                }
            })?;
        let msgs_before = self.state.msgs_consumed();
        let count = committed
            .msgs_after
            .checked_sub(msgs_before)
            .filter(|&m| m <= MAX_MSGS as u64)
            .ok_or(DeriveError::BadMessageRange {
                batch: batch_position,
                msgs_before,
                msgs_after: committed.msgs_after,
            })?;
        if count == 0 && batch.records().is_empty() {
            return Err(DeriveError::Empty {
                batch: batch_position,
            });
        }
        let mut next = self.state.clone();
        for index in msgs_before..committed.msgs_after {
            let message = usize::try_from(index)
                .ok()
                .and_then(|i| messages.get(i))
                .ok_or(DeriveError::MissingMessage {
                    batch: batch_position,
                    index,
                    available: messages.len(),
                })?;
            if message.index != index {
                return Err(DeriveError::MessageOutOfOrder {
                    position: index,
                    found: message.index,
                });
            }
            apply_step(&mut next, domain, batch.header(), &Step::Message(*message));
        }
        for record in batch.records() {
            apply_step(&mut next, domain, batch.header(), &Step::Record(*record));
        }
        let derived = next.root();
        if derived != committed.state_root {
            return Err(DeriveError::RootMismatch {
                batch: batch_position,
                claimed: committed.state_root,
                derived,
            });
        }
        self.state = next;
        self.batches += 1;
        Ok(())
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
        assert!(matches!(error, DeriveError::RootMismatch { batch: 1, .. }));
        assert_eq!(
            derivation.state(),
            &parent,
            "a rejected batch leaves the parent"
        );
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
            DeriveError::BadBatch { batch: 0, .. }
        ));
        assert!(matches!(
            bad(|b| b.header = vec![1]),
            DeriveError::BadBatch { batch: 0, .. }
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
            DeriveError::Empty { batch: 0 }
        ));
    }
}
