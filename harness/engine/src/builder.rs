//! Building a batch as a sequencer does: messages first, then records, each
//! executed as it is pushed so the sequencer sees its outcome.

use alloy_primitives::B256;

use crate::batch::{Batch, RecordBytes};
use crate::eip712::Domain;
use crate::header::Header;
use crate::leaf::StatePreimage;
use crate::message::L1Message;
use crate::outcome::Outcome;
use crate::params::{MAX_MSGS, MAX_RECORDS};
use crate::state::State;
use crate::trace::{Stepper, Trace};

/// Why a push or build was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The message is not the queue's next one.
    #[error("message {found} pushed, the next to consume is {expected}")]
    MessageOutOfOrder {
        /// Next queue index to consume.
        expected: u64,
        /// Index pushed.
        found: u64,
    },
    /// Messages precede records in a trace.
    #[error("a message cannot follow a record")]
    MessageAfterRecord,
    /// The batch already consumes `MAX_MSGS` messages.
    #[error("the batch already consumes 512 messages")]
    TooManyMessages,
    /// The batch already carries `MAX_RECORDS` records.
    #[error("the batch already carries 512 records")]
    TooManyRecords,
    /// Neither a message nor a record was pushed.
    #[error("empty batch: no message and no record")]
    Empty,
}

/// Accumulates a batch on top of a parent state.
#[derive(Clone, Debug)]
pub struct BatchBuilder {
    stepper: Stepper,
    header: Header,
    records: Vec<RecordBytes>,
    msgs_before: u64,
}

/// A built batch: what a commit needs, with its trace and post-state.
#[derive(Clone, Debug)]
pub struct BuiltBatch {
    /// Header and records.
    pub batch: Batch,
    /// The parent's `msgsConsumed`.
    pub msgs_before: u64,
    /// `msgsConsumed` after the batch.
    pub msgs_after: u64,
    /// Every step with its outcome and post-root.
    pub trace: Trace,
    /// The post-state.
    pub post: State,
}

impl BuiltBatch {
    /// The batch's state root.
    pub fn state_root(&self) -> B256 {
        self.trace.state_root()
    }

    /// The trace root the commit claims.
    pub fn trace_root(&self) -> B256 {
        self.trace.root()
    }

    /// The post-state preimage the commit passes.
    pub fn post_preimage(&self) -> StatePreimage {
        self.post.preimage()
    }

    /// What each step did (identity padding included).
    pub fn outcomes(&self) -> &[Outcome] {
        self.trace.outcomes()
    }
}

impl BatchBuilder {
    /// Starts a batch on `parent` whose fees go to `header`'s recipients.
    pub fn new(parent: State, domain: Domain, header: Header) -> Self {
        let msgs_before = parent.msgs_consumed();
        Self {
            stepper: Stepper::new(parent, domain, header.clone()),
            header,
            records: Vec::new(),
            msgs_before,
        }
    }

    /// Consumes the queue's next message.
    pub fn push_message(&mut self, message: &L1Message) -> Result<Outcome, BuildError> {
        if !self.records.is_empty() {
            return Err(BuildError::MessageAfterRecord);
        }
        if self.stepper.message_count() >= MAX_MSGS {
            return Err(BuildError::TooManyMessages);
        }
        let expected = self.msgs_before + self.stepper.message_count() as u64;
        if message.index != expected {
            return Err(BuildError::MessageOutOfOrder {
                expected,
                found: message.index,
            });
        }
        Ok(self.stepper.message(message))
    }

    /// Appends a record, whatever it does; malformed records are allowed.
    pub fn push_record(&mut self, record: RecordBytes) -> Result<Outcome, BuildError> {
        self.check_room()?;
        self.records.push(record);
        Ok(self.stepper.record(&record))
    }

    /// Appends a record only if it applies; returns its outcome either way.
    pub fn try_push_record(&mut self, record: RecordBytes) -> Result<Outcome, BuildError> {
        self.check_room()?;
        let outcome = self.stepper.record_if_applied(&record);
        if outcome.is_applied() {
            self.records.push(record);
        }
        Ok(outcome)
    }

    /// The running state after the steps so far.
    pub fn state(&self) -> &State {
        self.stepper.state()
    }

    /// Messages consumed so far.
    pub fn message_count(&self) -> usize {
        self.stepper.message_count()
    }

    /// Records carried so far.
    pub fn record_count(&self) -> usize {
        self.records.len()
    }

    /// Whether nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.message_count() == 0 && self.records.is_empty()
    }

    /// Pads the trace and returns the batch.
    pub fn build(self) -> Result<BuiltBatch, BuildError> {
        if self.is_empty() {
            return Err(BuildError::Empty);
        }
        let msgs_after = self.msgs_before + self.message_count() as u64;
        let batch =
            Batch::new(self.header, self.records).map_err(|_| BuildError::TooManyRecords)?;
        let (trace, post) = self.stepper.finish();
        Ok(BuiltBatch {
            batch,
            msgs_before: self.msgs_before,
            msgs_after,
            trace,
            post,
        })
    }

    fn check_room(&self) -> Result<(), BuildError> {
        if self.records.len() >= MAX_RECORDS {
            Err(BuildError::TooManyRecords)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::Address;
    use k256::ecdsa::SigningKey;

    use super::*;
    use crate::eip712::Transfer;
    use crate::message::{MessageKind, NEW_ACCOUNT};
    use crate::primitives::{AccountIndex, TokenId};
    use crate::record::SignedTransfer;
    use crate::signature::address_of;
    use crate::trace::trace;

    fn setup() -> (Domain, SigningKey, Vec<L1Message>) {
        let key = SigningKey::from_bytes(&[3; 32].into()).unwrap();
        let sender = address_of(&key);
        let deposit = |index| L1Message {
            index,
            kind: MessageKind::Deposit,
            sender,
            target: NEW_ACCOUNT,
            token: TokenId(0),
            amount: 100,
            queued_at: 0,
        };
        (
            Domain::new(1, Address::ZERO),
            key,
            vec![deposit(0), deposit(1)],
        )
    }

    #[test]
    fn built_batch_matches_its_trace() {
        let (domain, key, messages) = setup();
        let mut builder = BatchBuilder::new(State::genesis(), domain, Header::default());
        assert_eq!(
            builder.push_message(&messages[1]),
            Err(BuildError::MessageOutOfOrder {
                expected: 0,
                found: 1
            })
        );
        for m in &messages {
            assert_eq!(builder.push_message(m), Ok(Outcome::Applied));
        }
        let tx = Transfer {
            from: AccountIndex(0),
            to: AccountIndex(1),
            token: TokenId(0),
            amount: 5,
            fee: 0,
            nonce: 0,
        };
        let record = SignedTransfer::sign(tx, &domain, &key).encode();
        assert_eq!(builder.push_record(record), Ok(Outcome::Applied));
        assert_eq!(
            builder.push_message(&messages[0]),
            Err(BuildError::MessageAfterRecord)
        );
        let replay = builder.try_push_record(record).unwrap();
        assert!(!replay.is_applied());
        assert_eq!(builder.record_count(), 1, "a skipped record is left out");
        let built = builder.build().unwrap();
        let (expected, post) = trace(&State::genesis(), &domain, &messages, &built.batch).unwrap();
        assert_eq!(built.trace, expected);
        assert_eq!(built.post, post);
        assert_eq!((built.msgs_before, built.msgs_after), (0, 2));
        assert_eq!(built.state_root(), post.root());
    }

    #[test]
    fn empty_batch_is_refused() {
        let (domain, _, _) = setup();
        let builder = BatchBuilder::new(State::genesis(), domain, Header::default());
        assert_eq!(builder.build().unwrap_err(), BuildError::Empty);
    }
}
