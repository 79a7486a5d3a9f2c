//! The sequencer as a long-running service: rebuilds the L2 from L1 on start,
//! takes signed transactions over HTTP (journaled before they are
//! acknowledged), and commits a batch every interval while there is anything
//! to carry: pending transactions or unconsumed L1 messages.

use std::{
    collections::HashMap,
    net::SocketAddr,
    path::PathBuf,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use alloy::{primitives::U256, providers::DynProvider, signers::local::PrivateKeySigner};
use bulwark_actors::{
    dispute::defender::{Defender, DefenderStrategy},
    sequencer::{Claims, Sequencer},
    wallet::L1Account,
};
use bulwark_chain::{
    ChainError, Deployment,
    bindings::Rollup,
    derive::Rebuilt,
    follow::{FollowConfig, Follower},
    send,
};
use bulwark_engine::{
    B256, Domain, Header, Outcome, SkipReason, State, Step, apply_step, params::MAX_RECORDS,
};

use crate::{
    api,
    journal::{Entry, Journal, JournalError},
    l2::{self, Landed, ReplayReport},
    submit::{FieldError, Submission},
};

/// How the sequencer service runs.
#[derive(Clone)]
pub struct SequencerConfig {
    /// The deployment, already checked against the chain.
    pub deployment: Deployment,
    /// The L1 endpoint.
    pub rpc_url: String,
    /// The sequencer's key: the Rollup's current sequencer.
    pub signer: PrivateKeySigner,
    /// Where the journal of accepted transactions lives.
    pub data_dir: PathBuf,
    /// Where the HTTP API listens.
    pub listen: SocketAddr,
    /// Seconds between batches.
    pub batch_interval: Duration,
    /// How the L1 queue is followed: messages are consumed only once this
    /// deep.
    pub follow: FollowConfig,
    /// Told how far the start-up replay is (a progress bar).
    pub on_replay: Option<ReplayReport>,
}

impl std::fmt::Debug for SequencerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key stays out of logs.
        f.debug_struct("SequencerConfig")
            .field("deployment", &self.deployment)
            .field("sequencer", &self.signer.address())
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field("batch_interval", &self.batch_interval)
            .field("follow", &self.follow)
            .finish_non_exhaustive()
    }
}

/// Why the service cannot start or go on.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// L1 failed or answered something malformed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The journal cannot be read or written.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The key is not the Rollup's sequencer.
    #[error("key {key} is not the Rollup's sequencer ({sequencer})")]
    NotSequencer {
        key: alloy::primitives::Address,
        sequencer: alloy::primitives::Address,
    },
    /// The key cannot pay what its role needs.
    #[error("key {key} holds {holds} ETH, less than the {needs} ETH it must be able to post")]
    Unfunded {
        key: alloy::primitives::Address,
        holds: String,
        needs: String,
    },
    /// The data directory cannot be created or its lock file opened.
    #[error("data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Another sequencer process holds the lock on this journal.
    #[error("another sequencer is running on this journal ({0} is locked)")]
    DataDirInUse(PathBuf),
    /// The API's address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A submitted transaction's fate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Accepted and journaled; not yet in a batch.
    Pending,
    /// Carried by batch `batch` at trace step `step`; `final_` once that batch is final.
    Landed {
        batch: u64,
        step: usize,
        outcome: Outcome,
        final_: bool,
    },
}

impl Fate {
    fn landed(landed: &Landed, last_finalized: u64) -> Self {
        Self::Landed {
            batch: landed.batch,
            step: landed.step,
            outcome: landed.outcome,
            final_: landed.batch <= last_finalized,
        }
    }
}

/// Why a submission was refused; nothing was queued.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// A field is missing or malformed (HTTP 400).
    #[error(transparent)]
    Field(#[from] FieldError),
    /// Well-formed, but the STF would skip it against the pending state (HTTP 422).
    #[error("{field}: would be skipped: {reason}")]
    WouldSkip {
        field: &'static str,
        reason: SkipReason,
    },
    /// The journal could not be written (HTTP 503): not accepted.
    #[error("not accepted: {0}")]
    Journal(#[from] JournalError),
}

/// What the API reads and the commit loop updates.
pub(crate) struct Book {
    /// The state at the tip.
    pub state: State,
    /// The tip's batch index.
    pub tip: u64,
    /// The Rollup's last final batch.
    pub last_finalized: u64,
    /// Accepted transactions not yet committed, in order.
    pub pool: Vec<Entry>,
    /// `state` with `pool` applied: what a new submission is checked against.
    pub pool_state: State,
    /// Every committed transaction's landing, by digest.
    pub landed: HashMap<B256, Landed>,
    journal: Journal,
    /// Held for the service's lifetime: the OS releases it even on SIGKILL.
    _lock: std::fs::File,
}

/// The service's shared parts.
pub(crate) struct Shared {
    pub deployment: Deployment,
    pub domain: Domain,
    pub book: Mutex<Book>,
    /// Reads L1 for the API (the final state that withdrawal proofs are against).
    pub provider: DynProvider,
    /// The state at the last final batch, rebuilt from L1 when finalization
    /// moves; a failed rebuild is remembered for [`REBUILD_RETRY`] so that a
    /// failing endpoint is not asked again by every request.
    pub final_view: tokio::sync::Mutex<FinalView>,
    /// The widest `eth_getLogs` range a replay asks for.
    pub max_range: u64,
}

/// How long a failed rebuild of the final state answers requests before the
/// next one tries L1 again.
pub(crate) const REBUILD_RETRY: Duration = Duration::from_secs(5);

/// The cached final state, or the last failure to rebuild it.
#[derive(Default)]
pub(crate) struct FinalView {
    rebuilt: Option<Rebuilt>,
    failed: Option<(u64, Instant, String)>,
}

impl Shared {
    /// The L2 state at batch `last_final`, rebuilt from L1 (cached until
    /// finalization moves on).
    pub async fn final_state(&self, last_final: u64) -> Result<Rebuilt, String> {
        let mut view = self.final_view.lock().await;
        if let Some(v) = view.rebuilt.as_ref().filter(|v| v.batch == last_final) {
            return Ok(v.clone());
        }
        if let Some((_, _, error)) = view
            .failed
            .as_ref()
            .filter(|(batch, at, _)| *batch == last_final && at.elapsed() < REBUILD_RETRY)
        {
            return Err(error.clone());
        }
        match l2::replay(
            &self.provider,
            &self.deployment,
            last_final,
            last_final,
            self.max_range,
        )
        .await
        {
            Ok(replayed) => {
                let rebuilt = Rebuilt {
                    batch: replayed.tip,
                    state: replayed.state,
                };
                view.rebuilt = Some(rebuilt.clone());
                view.failed = None;
                Ok(rebuilt)
            }
            Err(e) => {
                let error = e.to_string();
                view.failed = Some((last_final, Instant::now(), error.clone()));
                Err(error)
            }
        }
    }

    /// A submission's fate, if it is known.
    pub fn fate(&self, hash: &B256) -> Option<Fate> {
        let book = self.book.lock().expect("book lock");
        // Pending first: a transaction skipped once may be pending again.
        if book.pool.iter().any(|e| e.hash == *hash) {
            return Some(Fate::Pending);
        }
        book.landed
            .get(hash)
            .map(|landed| Fate::landed(landed, book.last_finalized))
    }

    /// Accepts `submission` if the STF would apply it after everything
    /// pending: journaled (synced) first, then pooled. A repeat of a pending
    /// or applied digest is answered with its fate and never queued again; a
    /// digest that landed skipped is checked again like a new submission.
    ///
    /// Blocks on the journal's fsync while holding the book, so that the
    /// journal's order is the pool's: call it off the async workers.
    pub fn submit(&self, submission: Submission) -> Result<Submitted, Refusal> {
        let mut book = self.book.lock().expect("book lock");
        if book.pool.iter().any(|e| e.hash == submission.hash) {
            return Ok(Submitted::Known(Fate::Pending));
        }
        // Applied once is final; skipped (its nonce unspent) it may be sent again,
        // say once the account holds enough, and is checked like any new one.
        if let Some(landed) = book.landed.get(&submission.hash)
            && landed.outcome.is_applied()
        {
            return Ok(Submitted::Known(Fate::landed(landed, book.last_finalized)));
        }
        let mut trial = book.pool_state.clone();
        let outcome = apply_step(
            &mut trial,
            &self.domain,
            &Header::default(),
            &Step::Record(submission.record),
        );
        if let Outcome::Skipped(reason) = outcome {
            return Err(Refusal::WouldSkip {
                field: field_of(&reason),
                reason,
            });
        }
        let entry = Entry {
            hash: submission.hash,
            record: submission.record,
        };
        book.journal.append(&entry)?;
        book.pool.push(entry);
        book.pool_state = trial;
        Ok(Submitted::Accepted)
    }
}

/// Where a started sequencer stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Started {
    /// The Rollup's tip, rebuilt from L1.
    pub tip: u64,
    /// The last final batch.
    pub last_finalized: u64,
    /// Journaled transactions not yet committed.
    pub pending: usize,
    /// The L2 state root at the tip.
    pub state_root: B256,
}

/// What a submission did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Submitted {
    /// Journaled and pooled now.
    Accepted,
    /// The digest was already pending or applied: nothing queued again.
    Known(Fate),
}

/// The request field a skip reason is about.
fn field_of(reason: &SkipReason) -> &'static str {
    use SkipReason::*;
    match reason {
        SignatureLength(_)
        | SignatureV(_)
        | SignatureR
        | SignatureS
        | RecoveryFailed
        | WrongSigner { .. } => "signature",
        NoSuchAccount(_) => "message.from",
        TokenMismatch { .. } => "message.token",
        BadNonce { .. } | NonceExhausted => "message.nonce",
        Overdraft { .. } | ZeroAmount => "message.amount",
        CreditOverflow(_) => "message.to",
        ZeroRecipient => "message.recipient",
        _ => "message",
    }
}

/// Applies `pool` over `state`, dropping what no longer applies.
fn reapply(state: &State, domain: &Domain, pool: &[Entry]) -> State {
    let mut next = state.clone();
    for entry in pool {
        let mut trial = next.clone();
        if apply_step(
            &mut trial,
            domain,
            &Header::default(),
            &Step::Record(entry.record),
        )
        .is_applied()
        {
            next = trial;
        }
    }
    next
}

/// A started sequencer: state rebuilt, journal recovered, API bound.
pub struct SequencerService {
    shared: Arc<Shared>,
    sequencer: Sequencer,
    defender: Defender,
    follower: Follower,
    listener: tokio::net::TcpListener,
    interval: Duration,
}

impl SequencerService {
    /// Checks the key, rebuilds the L2 from L1, stakes if the Rollup holds
    /// less than `STAKE` for it, recovers the journal (dropping what L1 shows
    /// committed) and binds the API.
    pub async fn start(config: SequencerConfig) -> Result<Self, ServiceError> {
        let SequencerConfig {
            deployment,
            rpc_url,
            signer,
            data_dir,
            listen,
            batch_interval,
            follow,
            on_replay,
        } = config;
        let account = L1Account::connect(&rpc_url, signer)?;
        let rollup = Rollup::new(deployment.rollup, &account.provider);
        let current = rollup
            .sequencer()
            .call()
            .await
            .map_err(|e| ChainError::contract("sequencer", &e))?;
        if current != account.address() {
            return Err(ServiceError::NotSequencer {
                key: account.address(),
                sequencer: current,
            });
        }
        let staked = rollup
            .stakeOf(account.address())
            .call()
            .await
            .map_err(|e| ChainError::contract("stakeOf", &e))?;
        if staked < deployment.params.stake {
            let more: U256 = deployment.params.stake - staked;
            tracing::info!(wei = %more, "staking so that commits are accepted");
            send(rollup.stake().value(more), "stake").await?;
        }
        let (tip, last_finalized) = heads(&rollup).await?;
        let replayed = l2::replay_reporting(
            &account.provider,
            &deployment,
            tip,
            last_finalized,
            follow.max_range,
            |progress| {
                if let Some(report) = &on_replay {
                    report(progress);
                }
            },
        )
        .await?;
        let domain = Domain::new(deployment.chain_id, deployment.rollup);

        // One sequencer per journal: a second one would overwrite the first's pool.
        std::fs::create_dir_all(&data_dir).map_err(|source| ServiceError::DataDir {
            path: data_dir.clone(),
            source,
        })?;
        let lock_path = data_dir.join(format!(
            "{}-{}.lock",
            deployment.chain_id, deployment.rollup
        ));
        let lock = std::fs::File::create(&lock_path).map_err(|source| ServiceError::DataDir {
            path: lock_path.clone(),
            source,
        })?;
        if lock.try_lock().is_err() {
            return Err(ServiceError::DataDirInUse(lock_path));
        }
        // Named by chain and Rollup: two deployments on one chain never share a pool.
        let journal = Journal::at(data_dir.join(format!(
            "{}-{}-pool.jsonl",
            deployment.chain_id, deployment.rollup
        )));
        let mut pool = journal.load()?;
        let recovered = pool.len();
        // Dropped: what L1 shows applied. A skipped one sent again stays pending.
        pool.retain(|e| {
            !replayed
                .fates
                .get(&e.hash)
                .is_some_and(|l| l.outcome.is_applied())
        });
        journal.rewrite(&pool)?;
        tracing::info!(
            tip = replayed.tip,
            root = %replayed.state.root(),
            committed = replayed.fates.len(),
            pending = pool.len(),
            dropped = recovered - pool.len(),
            journal = %journal.path().display(),
            "rebuilt the L2 from L1"
        );
        let pool_state = reapply(&replayed.state, &domain, &pool);
        let mut follower = Follower::new(&deployment, follow);
        let read = follower.poll(&account.provider).await?;
        tracing::info!(
            block = read.block,
            messages = read.messages,
            confirmations = %follow.confirmations,
            "following L1"
        );
        let claims: Claims = Arc::new(std::sync::Mutex::new(replayed.claims.clone()));
        let defender = Defender::new(
            account.clone(),
            deployment.clone(),
            Arc::clone(&claims),
            DefenderStrategy::Honest,
        );
        let mut sequencer = Sequencer::at(
            account,
            deployment.clone(),
            Header::default(),
            replayed.state.clone(),
            replayed.tip,
        );
        sequencer.adopt_claims(claims);
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|source| ServiceError::Listen {
                addr: listen,
                source,
            })?;
        let shared = Arc::new(Shared {
            provider: sequencer.account().provider.clone(),
            final_view: tokio::sync::Mutex::default(),
            max_range: follow.max_range,
            deployment,
            domain,
            book: Mutex::new(Book {
                state: replayed.state,
                tip: replayed.tip,
                last_finalized,
                pool,
                pool_state,
                landed: replayed.fates,
                journal,
                _lock: lock,
            }),
        });
        Ok(Self {
            shared,
            sequencer,
            defender,
            follower,
            listener,
            interval: batch_interval,
        })
    }

    /// Where the API listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// What the start rebuilt: the tip, the last final batch and how many
    /// journaled transactions are pending.
    pub fn started(&self) -> Started {
        let book = self.shared.book.lock().expect("book lock");
        Started {
            tip: book.tip,
            last_finalized: book.last_finalized,
            pending: book.pool.len(),
            state_root: book.state.root(),
        }
    }

    /// Serves the API and commits batches until `shutdown` completes; then
    /// stops taking requests and returns (whatever is pending stays in the
    /// journal for the next start).
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServiceError> {
        let Self {
            shared,
            mut sequencer,
            defender,
            mut follower,
            listener,
            interval,
        } = self;
        let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
        let app = api::router(Arc::clone(&shared));
        let mut serve_stop = stop_rx.clone();
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = serve_stop.wait_for(|stop| *stop).await;
                })
                .await
        });
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        // The first batch one interval after start, like every other: a
        // restart does not commit in the middle of being asked about.
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                // The guard `wait_for` returns is dropped inside: held across the
                // other branch's awaits it would make this future not `Send`.
                () = async { drop(stop_rx.wait_for(|stop| *stop).await) } => break,
                _ = ticks.tick() => {
                    // Its batches first: a game left unanswered is lost on the clock.
                    match defender.tick().await {
                        Ok(moves) => moves.iter().for_each(|m| tracing::info!("{m}")),
                        Err(e) => tracing::warn!(error = %e, "defending failed; retrying next interval"),
                    }
                    if let Err(e) = tick(&shared, &mut sequencer, &mut follower).await {
                        tracing::warn!(error = %e, "commit failed; retrying next interval");
                    }
                }
            }
        }
        let _ = server.await;
        tracing::info!("sequencer stopped");
        Ok(())
    }
}

/// The Rollup's tip and last final batch.
async fn heads<P: alloy::providers::Provider>(
    rollup: &Rollup::RollupInstance<P>,
) -> Result<(u64, u64), ChainError> {
    let tip = rollup
        .tip()
        .call()
        .await
        .map_err(|e| ChainError::contract("tip", &e))?;
    let last_finalized = rollup
        .lastFinalized()
        .call()
        .await
        .map_err(|e| ChainError::contract("lastFinalized", &e))?;
    Ok((tip, last_finalized))
}

/// One interval: follows L1, resynchronizes if the Rollup's tip is not the
/// sequencer's (a rewind after a lost game, or a reorg that dropped a
/// commit), then commits the pool's head (up to a batch) with every
/// confirmed pending message, and records each transaction's fate.
async fn tick(
    shared: &Shared,
    sequencer: &mut Sequencer,
    follower: &mut Follower,
) -> Result<(), ServiceError> {
    let provider = sequencer.account().provider.clone();
    let read = follower.poll(&provider).await?;
    if let Some(block) = read.rolled_back_from {
        tracing::warn!(
            block,
            "L1 reorg: re-read the queue and the commits from this block"
        );
    }
    let rollup = Rollup::new(shared.deployment.rollup, &provider);
    let (tip, mut last_finalized) = heads(&rollup).await?;
    // Anyone may finalize a batch whose window has passed; the sequencer does, so
    // withdrawals become provable without a keeper (an eth_call first: nothing is
    // sent for a batch not yet due).
    while last_finalized < tip
        && rollup
            .finalizeBatch(last_finalized + 1)
            .call()
            .await
            .is_ok()
    {
        send(rollup.finalizeBatch(last_finalized + 1), "finalizeBatch").await?;
        last_finalized += 1;
        tracing::info!(batch = last_finalized, "finalized");
    }
    shared.book.lock().expect("book lock").last_finalized = last_finalized;
    if tip != sequencer.tip() {
        resync(shared, sequencer, tip).await?;
    }
    let consumed = sequencer.state().msgs_consumed() as usize;
    let messages = follower
        .messages()
        .skip(consumed)
        .map(|m| m.to_engine())
        .collect::<Result<Vec<_>, _>>()?;
    let batch: Vec<Entry> = {
        let book = shared.book.lock().expect("book lock");
        book.pool.iter().take(MAX_RECORDS).copied().collect()
    };
    if batch.is_empty() && messages.is_empty() {
        return Ok(());
    }
    let records = batch.iter().map(|e| e.record).collect();
    let withdrawals_before = sequencer.state().withdrawal_count();
    let report = match sequencer.commit_messages(&messages, records).await {
        Ok(report) => report,
        Err(bulwark_actors::sequencer::SequencerError::Chain(e)) => return Err(e.into()),
        Err(e) => {
            tracing::error!(error = %e, "building the batch failed");
            return Ok(());
        }
    };
    let mut book = shared.book.lock().expect("book lock");
    let steps = report.steps.iter().map(|s| (s.step, &s.input, &s.outcome));
    for (hash, landed) in l2::landings(report.batch, steps, &shared.domain, withdrawals_before) {
        l2::land(&mut book.landed, hash, landed);
    }
    book.pool.drain(..batch.len());
    book.state = sequencer.state().clone();
    book.tip = report.batch;
    book.pool_state = reapply(&book.state, &shared.domain, &book.pool);
    let remaining = book.pool.clone();
    book.journal.rewrite(&remaining)?;
    tracing::info!(
        batch = report.batch,
        messages = report.messages,
        records = report.records,
        gas = report.sent.gas_used,
        "committed"
    );
    Ok(())
}

/// Rebuilds the sequencer at the Rollup's `tip` from L1. Transactions whose
/// batches L1 no longer holds are pending again, ahead of the pool, in the
/// order they were carried: nothing accepted is lost to a rewind or a reorg.
async fn resync(shared: &Shared, sequencer: &mut Sequencer, tip: u64) -> Result<(), ServiceError> {
    let account = sequencer.account().clone();
    let last_final = shared.book.lock().expect("book lock").last_finalized;
    let replayed = l2::replay(
        &account.provider,
        &shared.deployment,
        tip,
        last_final,
        shared.max_range,
    )
    .await?;
    let claims = sequencer.claims();
    {
        // The same map the defender reads: it answers for the batches L1 now holds.
        let mut held = claims.lock().expect("claims lock");
        held.clear();
        held.extend(replayed.claims.clone());
    }
    let mut book = shared.book.lock().expect("book lock");
    let mut dropped: Vec<(u64, usize, Entry)> = book
        .landed
        .iter()
        .filter(|(hash, _)| !replayed.fates.contains_key(*hash))
        .map(|(hash, l)| {
            let entry = Entry {
                hash: *hash,
                record: l.record,
            };
            (l.batch, l.step, entry)
        })
        .collect();
    dropped.sort_by_key(|(batch, step, _)| (*batch, *step));
    tracing::warn!(
        from = sequencer.tip(),
        to = replayed.tip,
        pending_again = dropped.len(),
        "the Rollup's tip is not ours: rebuilt from L1"
    );
    // The new pool is written before anything in memory changes: if the journal
    // cannot be rewritten, the book (and the old journal) stay as they were. Entries
    // L1 shows carried (a commit whose receipt never came back) leave the pool.
    let mut pool: Vec<Entry> = dropped.into_iter().map(|(_, _, e)| e).collect();
    let again: std::collections::HashSet<B256> = pool.iter().map(|e| e.hash).collect();
    pool.extend(book.pool.iter().copied().filter(|e| {
        let applied = replayed
            .fates
            .get(&e.hash)
            .is_some_and(|l| l.outcome.is_applied());
        !again.contains(&e.hash) && !applied
    }));
    book.journal.rewrite(&pool)?;
    book.pool_state = reapply(&replayed.state, &shared.domain, &pool);
    book.pool = pool;
    book.state = replayed.state.clone();
    book.tip = replayed.tip;
    book.landed = replayed.fates;
    *sequencer = Sequencer::at(
        account,
        shared.deployment.clone(),
        Header::default(),
        replayed.state,
        replayed.tip,
    );
    sequencer.adopt_claims(claims);
    Ok(())
}
