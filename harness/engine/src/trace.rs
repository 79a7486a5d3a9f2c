//! The trace of a batch (PROTOCOL §8): its steps, each step's post-root, and
//! the trace root the commit claims; with the tree over the post-roots, the
//! reveals and openings a dispute game asks for (§14).

mod position;
mod reveal;

use alloy_primitives::B256;

use crate::batch::{Batch, RecordBytes};
use crate::eip712::Domain;
use crate::hash::{fold, trace_node};
use crate::header::Header;
use crate::message::L1Message;
use crate::outcome::Outcome;
use crate::params::MAX_MSGS;
use crate::state::State;
use crate::stf::{Step, apply_step};

pub use position::TracePosition;
pub use reveal::TraceTree;

/// Why messages and a batch do not form a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TraceError {
    /// No message and no record (`m + n = 0`).
    #[error("empty batch: no message and no record")]
    Empty,
    /// More than `MAX_MSGS` messages.
    #[error("{0} messages, more than 512")]
    TooManyMessages(usize),
    /// A trace tree needs a power of two of post-roots.
    #[error("{0} post-roots, not a power of two")]
    NotPowerOfTwo(usize),
    /// Messages are not the queue's next ones, in order.
    #[error("message at position {position} has index {found}, expected {expected}")]
    MessageOutOfOrder {
        /// Position in the given messages.
        position: usize,
        /// Queue index expected there (`msgsConsumed` of the parent plus position).
        expected: u64,
        /// Queue index found.
        found: u64,
    },
}

/// The steps of one batch with their outcomes and post-roots, padded with
/// identity steps to a power of two, and the trace tree over the post-roots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    pre_root: B256,
    msgs_before: u64,
    message_count: usize,
    record_count: usize,
    steps: Vec<Step>,
    outcomes: Vec<Outcome>,
    /// `p_0 .. p_{T−1}`: the tree's leaves (height 0).
    post_roots: Vec<B256>,
    /// The tree over `post_roots`, hashed once when the trace is finished.
    tree: TraceTree,
}

impl Trace {
    /// Number of steps `T`, a power of two.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Whether the trace has no step (never, for a trace built from a batch).
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The parent's state root: step 0's pre-root.
    pub fn pre_root(&self) -> B256 {
        self.pre_root
    }

    /// The pre-root of step `index`: the previous post-root, or the parent's root.
    pub fn pre_root_of(&self, index: usize) -> Option<B256> {
        match index {
            0 => Some(self.pre_root),
            i if i <= self.post_roots.len() => Some(self.post_roots[i - 1]),
            _ => None,
        }
    }

    /// The batch's state root `p_{T−1}`.
    pub fn state_root(&self) -> B256 {
        self.post_roots.last().copied().unwrap_or(self.pre_root)
    }

    /// `msgsConsumed` of the parent.
    pub fn msgs_before(&self) -> u64 {
        self.msgs_before
    }

    /// `msgsConsumed` after the batch.
    pub fn msgs_after(&self) -> u64 {
        self.msgs_before + self.message_count as u64
    }

    /// Number of message steps `m`.
    pub fn message_count(&self) -> usize {
        self.message_count
    }

    /// Number of record steps `n`.
    pub fn record_count(&self) -> usize {
        self.record_count
    }

    /// The steps, messages first, then records, then identity steps.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// What each step did.
    pub fn outcomes(&self) -> &[Outcome] {
        &self.outcomes
    }

    /// `p_0 .. p_{T−1}`.
    pub fn post_roots(&self) -> &[B256] {
        &self.post_roots
    }

    /// The trace root: the tree of `tnode` over the post-roots (`p_0` when `T = 1`).
    pub fn root(&self) -> B256 {
        self.node(TracePosition::ROOT).unwrap_or(self.pre_root)
    }

    /// The `log2(T)` siblings opening post-root `index` against [`root`](Self::root).
    pub fn proof(&self, index: usize) -> Option<Vec<B256>> {
        self.opening(index, TracePosition::ROOT)
    }
}

/// Folds an opening of `post_root`, step `index`, to the node it proves: the
/// trace root for a full proof, or the node `siblings.len()` levels up (§14.1).
pub fn trace_root_from_proof(post_root: B256, index: u64, siblings: &[B256]) -> B256 {
    fold(post_root, index, siblings, trace_node)
}

/// Runs `messages` then `batch`'s records from `parent` (§8) and returns the
/// trace and the post-state.
///
/// `messages` are exactly the batch's messages: queue indices
/// `parent.msgs_consumed() ..` in order.
pub fn trace(
    parent: &State,
    domain: &Domain,
    messages: &[L1Message],
    batch: &Batch,
) -> Result<(Trace, State), TraceError> {
    check_messages(parent.msgs_consumed(), messages)?;
    if messages.is_empty() && batch.records().is_empty() {
        return Err(TraceError::Empty);
    }
    let mut stepper = Stepper::new(parent.clone(), *domain, batch.header().clone());
    for message in messages {
        stepper.message(message);
    }
    for record in batch.records() {
        stepper.record(record);
    }
    Ok(stepper.finish())
}

/// Checks that `messages` are the queue's next ones after `msgs_before`.
pub(crate) fn check_messages(msgs_before: u64, messages: &[L1Message]) -> Result<(), TraceError> {
    if messages.len() > MAX_MSGS {
        return Err(TraceError::TooManyMessages(messages.len()));
    }
    for (position, message) in messages.iter().enumerate() {
        let expected = msgs_before + position as u64;
        if message.index != expected {
            return Err(TraceError::MessageOutOfOrder {
                position,
                expected,
                found: message.index,
            });
        }
    }
    Ok(())
}

/// Applies steps one by one, recording each post-root; shared by [`trace`]
/// and the batch builder.
#[derive(Clone, Debug)]
pub(crate) struct Stepper {
    state: State,
    domain: Domain,
    header: Header,
    trace: Trace,
}

impl Stepper {
    pub(crate) fn new(parent: State, domain: Domain, header: Header) -> Self {
        let trace = Trace {
            pre_root: parent.root(),
            msgs_before: parent.msgs_consumed(),
            message_count: 0,
            record_count: 0,
            steps: Vec::new(),
            outcomes: Vec::new(),
            post_roots: Vec::new(),
            tree: TraceTree::default(),
        };
        Self {
            state: parent,
            domain,
            header,
            trace,
        }
    }

    pub(crate) fn state(&self) -> &State {
        &self.state
    }

    pub(crate) fn message_count(&self) -> usize {
        self.trace.message_count
    }

    pub(crate) fn message(&mut self, message: &L1Message) -> Outcome {
        self.trace.message_count += 1;
        self.step(Step::Message(*message))
    }

    pub(crate) fn record(&mut self, record: &RecordBytes) -> Outcome {
        self.trace.record_count += 1;
        self.step(Step::Record(*record))
    }

    /// Runs a record without keeping it, unless it applies. A skipped record
    /// leaves the state as it was (§7), so nothing needs undoing.
    pub(crate) fn record_if_applied(&mut self, record: &RecordBytes) -> Outcome {
        let outcome = apply_step(
            &mut self.state,
            &self.domain,
            &self.header,
            &Step::Record(*record),
        );
        if outcome.is_applied() {
            self.trace.record_count += 1;
            self.keep(Step::Record(*record), outcome);
        }
        outcome
    }

    fn step(&mut self, step: Step) -> Outcome {
        let outcome = apply_step(&mut self.state, &self.domain, &self.header, &step);
        self.keep(step, outcome);
        outcome
    }

    fn keep(&mut self, step: Step, outcome: Outcome) {
        self.trace.steps.push(step);
        self.trace.outcomes.push(outcome);
        self.trace.post_roots.push(self.state.root());
    }

    /// Pads with identity steps to a power of two, hashes the trace tree and
    /// returns the trace and post-state.
    pub(crate) fn finish(mut self) -> (Trace, State) {
        let used = self.trace.steps.len();
        let last = self.trace.state_root();
        for _ in used..used.next_power_of_two() {
            self.trace.steps.push(Step::Identity);
            self.trace.outcomes.push(Outcome::Applied);
            self.trace.post_roots.push(last);
        }
        // A power of two, just padded to one.
        self.trace.tree = TraceTree::new(self.trace.post_roots.clone()).unwrap_or_default();
        (self.trace, self.state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{MessageKind, NEW_ACCOUNT};
    use crate::primitives::TokenId;
    use alloy_primitives::Address;

    fn deposit(index: u64) -> L1Message {
        L1Message {
            index,
            kind: MessageKind::Deposit,
            sender: Address::repeat_byte(1),
            target: NEW_ACCOUNT,
            token: TokenId(0),
            amount: 10,
            queued_at: 0,
        }
    }

    fn domain() -> Domain {
        Domain::new(1, Address::ZERO)
    }

    #[test]
    fn pads_to_power_of_two_and_roots_over_post_roots() {
        let messages: Vec<_> = (0..3).map(deposit).collect();
        let (trace, post) =
            trace(&State::genesis(), &domain(), &messages, &Batch::default()).unwrap();
        assert_eq!(trace.len(), 4);
        assert_eq!(trace.steps()[3], Step::Identity);
        assert_eq!(trace.post_roots()[3], trace.post_roots()[2]);
        assert_eq!(trace.state_root(), post.root());
        let p = trace.post_roots();
        assert_eq!(
            trace.root(),
            trace_node(&trace_node(&p[0], &p[1]), &trace_node(&p[2], &p[3]))
        );
        for (i, root) in p.iter().enumerate() {
            assert_eq!(
                trace_root_from_proof(*root, i as u64, &trace.proof(i).unwrap()),
                trace.root()
            );
        }
    }

    #[test]
    fn single_step_trace_root_is_its_post_root() {
        let (trace, _) = trace(
            &State::genesis(),
            &domain(),
            &[deposit(0)],
            &Batch::default(),
        )
        .unwrap();
        assert_eq!(trace.len(), 1);
        assert_eq!(trace.root(), trace.post_roots()[0]);
        assert_eq!(trace.proof(0), Some(vec![]));
    }

    #[test]
    fn rejects_empty_and_out_of_order_input() {
        let genesis = State::genesis();
        assert_eq!(
            trace(&genesis, &domain(), &[], &Batch::default()).unwrap_err(),
            TraceError::Empty
        );
        assert_eq!(
            trace(
                &genesis,
                &domain(),
                &[deposit(0), deposit(2)],
                &Batch::default()
            )
            .unwrap_err(),
            TraceError::MessageOutOfOrder {
                position: 1,
                expected: 1,
                found: 2
            }
        );
        let many: Vec<_> = (0..513).map(deposit).collect();
        assert_eq!(
            trace(&genesis, &domain(), &many, &Batch::default()).unwrap_err(),
            TraceError::TooManyMessages(513)
        );
    }
}
