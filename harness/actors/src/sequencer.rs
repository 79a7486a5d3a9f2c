//! The sequencer: reads the Bridge's queue, orders records after the queued
//! messages, executes them with the engine, and commits each batch (header,
//! records, post-state preimage, trace root) by a direct call, on its stake.
//! It keeps what each batch claimed, for its defender to reveal; tests can
//! make it lie ([`Fault`]) or censor ([`Censorship`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use alloy::primitives::{Address, B256, Bytes};
use bulwark_chain::{
    ChainError, Deployment, Sent,
    bindings::Rollup,
    derive::rebuild,
    history::{self, Blocks, QueuedMessage},
    send,
};
use bulwark_engine::{BatchBuilder, BuildError, Domain, Header, L1Message, Outcome, State, Step};

use crate::dispute::fault::{Claim, Fault};
use crate::wallet::L1Account;

/// What the sequencer's batches claimed, by Rollup index: shared with its
/// defender, which reveals from them.
pub type Claims = Arc<Mutex<BTreeMap<u64, Claim>>>;

/// Why the sequencer could not commit.
#[derive(Debug, thiserror::Error)]
pub enum SequencerError {
    /// L1 failed or answered something malformed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The engine refused to build the batch.
    #[error("building batch {batch}: {source}")]
    Build { batch: u64, source: BuildError },
}

/// One executed step, for the transcript.
#[derive(Clone, Debug)]
pub struct StepReport {
    /// Position in the trace.
    pub step: usize,
    /// The step itself (its `Display` says what it was in words).
    pub input: Step,
    /// Applied, or skipped with a reason.
    pub outcome: Outcome,
}

/// What one commit did.
#[derive(Clone, Debug)]
pub struct CommitReport {
    /// The batch index the Rollup gave it.
    pub batch: u64,
    /// L1 messages consumed.
    pub messages: u64,
    /// Records carried.
    pub records: usize,
    /// Every non-identity step and its outcome.
    pub steps: Vec<StepReport>,
    /// Length of the commit's calldata.
    pub calldata: usize,
    /// The post-state root committed (a forged one under a fault).
    pub state_root: B256,
    /// The honest post-state root, whatever was committed.
    pub honest_root: B256,
    /// The receipt.
    pub sent: Sent,
}

/// Which queued messages the sequencer consumes. Messages are consumed in
/// queue order, so ignoring one holds back every message queued after it:
/// censoring one user stalls the whole queue, which is what makes the
/// deadline (PROTOCOL §16) bite.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Censorship {
    /// Consume every pending message (an honest sequencer).
    #[default]
    None,
    /// Stop at the first message from any of these L1 senders.
    Senders(BTreeSet<Address>),
    /// Consume no message at all (records only).
    AllMessages,
}

impl Censorship {
    /// Whether message `m` is one this policy refuses to consume.
    fn refuses(&self, m: &QueuedMessage) -> bool {
        match self {
            Self::None => false,
            Self::Senders(senders) => senders.contains(&m.sender),
            Self::AllMessages => true,
        }
    }
}

/// A sequencer with its local view of the L2 at the Rollup's tip.
pub struct Sequencer {
    account: L1Account,
    deployment: Deployment,
    domain: Domain,
    header: Header,
    state: State,
    tip: u64,
    claims: Claims,
    censorship: Censorship,
}

impl Sequencer {
    /// A sequencer starting from genesis, charging fees to `header`'s recipients.
    pub fn new(account: L1Account, deployment: Deployment, header: Header) -> Self {
        let domain = Domain::new(deployment.chain_id, deployment.rollup);
        Self {
            account,
            deployment,
            domain,
            header,
            state: State::genesis(),
            tip: 0,
            claims: Claims::default(),
            censorship: Censorship::None,
        }
    }

    /// The sequencer's L1 account.
    pub fn account(&self) -> &L1Account {
        &self.account
    }

    /// The sequencer's view of the L2 state (at its last commit).
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The EIP-712 domain the sequencer checks signatures under.
    pub fn domain(&self) -> &Domain {
        &self.domain
    }

    /// The fee recipients of its batches.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Sets the fee recipients for later batches.
    pub fn set_header(&mut self, header: Header) {
        self.header = header;
    }

    /// Sets which messages later batches leave out (for adversarial tests).
    pub fn set_censorship(&mut self, censorship: Censorship) {
        self.censorship = censorship;
    }

    /// A sequencer at batch `tip` whose post-state is `state`, as a service
    /// rebuilt it from L1 (see [`resume`](Self::resume)).
    pub fn at(
        account: L1Account,
        deployment: Deployment,
        header: Header,
        state: State,
        tip: u64,
    ) -> Self {
        let domain = Domain::new(deployment.chain_id, deployment.rollup);
        Self {
            account,
            deployment,
            domain,
            header,
            state,
            tip,
            claims: Claims::default(),
            censorship: Censorship::None,
        }
    }

    /// A sequencer restarting against a live deployment: its state is rebuilt
    /// from L1 at the Rollup's tip, never read from a local database.
    pub async fn resume(
        account: L1Account,
        deployment: Deployment,
        header: Header,
    ) -> Result<Self, ChainError> {
        let rollup = Rollup::new(deployment.rollup, &account.provider);
        let tip = rollup
            .tip()
            .call()
            .await
            .map_err(|e| ChainError::contract("tip", &e))?;
        let rebuilt = rebuild(&account.provider, &deployment, tip).await?;
        let domain = Domain::new(deployment.chain_id, deployment.rollup);
        Ok(Self {
            account,
            deployment,
            domain,
            header,
            state: rebuilt.state,
            tip,
            claims: Claims::default(),
            censorship: Censorship::None,
        })
    }

    /// The last batch this sequencer committed (or resumed at).
    pub fn tip(&self) -> u64 {
        self.tip
    }

    /// What its batches claimed, shared with a defender.
    pub fn claims(&self) -> Claims {
        Arc::clone(&self.claims)
    }

    /// Shares `claims` from now on (keeping what it holds): a sequencer that
    /// restarts keeps defending the batches it committed before.
    pub fn adopt_claims(&mut self, claims: Claims) {
        self.claims = claims;
    }

    /// Stakes `STAKE` more wei on the Rollup (after a slash, to commit again).
    pub async fn stake(&self) -> Result<Sent, ChainError> {
        let rollup = Rollup::new(self.deployment.rollup, &self.account.provider);
        send(rollup.stake().value(self.deployment.params.stake), "stake").await
    }

    /// Messages queued on L1 that the tip has not consumed, up to the first
    /// one its censorship refuses.
    pub async fn pending_messages(&self) -> Result<Vec<L1Message>, ChainError> {
        let blocks = Blocks::to_head(&self.account.provider, self.deployment.deploy_block).await?;
        let queued =
            history::read_messages(&self.account.provider, self.deployment.bridge, blocks).await?;
        let consumed = self.state.preimage().msgs_consumed;
        queued
            .iter()
            .filter(|m| m.index >= consumed)
            .take_while(|m| !self.censorship.refuses(m))
            .map(QueuedMessage::to_engine)
            .collect()
    }

    /// Builds and commits one batch: every pending message (up to the cap),
    /// then `records` in the order given.
    pub async fn commit(
        &mut self,
        records: Vec<[u8; 128]>,
    ) -> Result<CommitReport, SequencerError> {
        self.commit_claiming(records, None).await
    }

    /// As [`commit`](Self::commit), but committing the lie `fault` tells
    /// about the batch instead of the truth (for adversarial tests). The
    /// sequencer's own state stays the honest one.
    pub async fn commit_claiming(
        &mut self,
        records: Vec<[u8; 128]>,
        fault: Option<Fault>,
    ) -> Result<CommitReport, SequencerError> {
        let messages = self.pending_messages().await?;
        self.commit_built(&messages, records, fault).await
    }

    /// Commits `messages` (the queue's next ones, in order, as far as a batch
    /// holds them) and `records`: for a service that follows the queue itself
    /// and consumes only messages confirmed as deep as it requires.
    pub async fn commit_messages(
        &mut self,
        messages: &[L1Message],
        records: Vec<[u8; 128]>,
    ) -> Result<CommitReport, SequencerError> {
        self.commit_built(messages, records, None).await
    }

    async fn commit_built(
        &mut self,
        messages: &[L1Message],
        records: Vec<[u8; 128]>,
        fault: Option<Fault>,
    ) -> Result<CommitReport, SequencerError> {
        let batch_index = self.tip + 1;
        let mut builder = BatchBuilder::new(self.state.clone(), self.domain, self.header.clone());
        for message in messages {
            match builder.push_message(message) {
                Ok(_) => {}
                // The batch is full of messages; the rest wait for the next one.
                Err(BuildError::TooManyMessages) => break,
                Err(source) => {
                    return Err(SequencerError::Build {
                        batch: batch_index,
                        source,
                    });
                }
            }
        }
        for record in records {
            builder
                .push_record(record)
                .map_err(|source| SequencerError::Build {
                    batch: batch_index,
                    source,
                })?;
        }
        let built = builder.build().map_err(|source| SequencerError::Build {
            batch: batch_index,
            source,
        })?;

        let claim = match fault {
            None => Claim::honest(&built.trace, &built.post),
            Some(fault) => Claim::forged(&built.trace, &built.post, fault),
        };
        let header_bytes = Bytes::from(built.batch.header_bytes());
        let record_bytes = Bytes::from(built.batch.records_bytes());
        let rollup = Rollup::new(self.deployment.rollup, &self.account.provider);
        let call = rollup.commitBatch(
            self.tip,
            header_bytes,
            record_bytes,
            (&claim.post).into(),
            claim.trace_root(),
        );
        let calldata = call.calldata().len();
        let sent = send(call, "commitBatch").await?;
        tracing::info!(
            batch = batch_index,
            messages = built.trace.message_count(),
            records = built.trace.record_count(),
            gas = sent.gas_used,
            tx = %sent.tx,
            "committed batch"
        );

        let steps = built
            .trace
            .steps()
            .iter()
            .zip(built.trace.outcomes())
            .enumerate()
            .filter(|(_, (step, _))| !matches!(step, Step::Identity))
            .map(|(i, (step, outcome))| StepReport {
                step: i,
                input: *step,
                outcome: *outcome,
            })
            .collect();
        let report = CommitReport {
            batch: batch_index,
            messages: built.trace.msgs_after() - built.trace.msgs_before(),
            records: built.batch.records().len(),
            steps,
            calldata,
            state_root: claim.post.root(),
            honest_root: built.trace.state_root(),
            sent,
        };
        if let Ok(mut claims) = self.claims.lock() {
            claims.insert(batch_index, claim);
        }
        self.state = built.post;
        self.tip = batch_index;
        Ok(report)
    }

    /// Takes its stake back once none of its batches is pending: unstakes
    /// (stake to credit), then withdraws its whole credit to itself.
    pub async fn withdraw_stake(&self) -> Result<(Sent, Sent), ChainError> {
        let rollup = Rollup::new(self.deployment.rollup, &self.account.provider);
        let unstaked = send(rollup.unstake(), "unstake").await?;
        let withdrawn = send(
            rollup.withdrawCredit(self.account.address()),
            "withdrawCredit",
        )
        .await?;
        Ok((unstaked, withdrawn))
    }
}
