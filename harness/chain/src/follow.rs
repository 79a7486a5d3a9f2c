//! Following L1 as a long-running service must: incrementally (each poll
//! reads only the blocks it has not read), in pages (`eth_getLogs` ranges an
//! endpoint accepts, halved when it refuses one), only as deep as the
//! configured confirmations (a depth, or the `safe`/`finalized` tags), and
//! through reorgs: the hash of the last block read is pinned, and when the
//! chain no longer has it the follower rolls back to the newest pinned block
//! it still has and reads forward again. A log marked `removed` is a reorg too.

use std::collections::BTreeMap;

use alloy::{
    eips::BlockNumberOrTag,
    primitives::{Address, B256},
    providers::Provider,
    rpc::types::{Filter, Log},
    sol_types::SolEvent,
};

use crate::{
    ChainError, Deployment,
    bindings::{Bridge, Rollup},
    history::{CommittedBatch, QueuedMessage, decode, read_commit},
};

/// How deep a block must be before a service acts on what it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confirmations {
    /// This many blocks below the head (0: the head itself).
    Depth(u64),
    /// The node's `safe` block.
    Safe,
    /// The node's `finalized` block.
    Finalized,
}

impl std::str::FromStr for Confirmations {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "safe" => Ok(Self::Safe),
            "finalized" => Ok(Self::Finalized),
            n => n
                .parse()
                .map(Self::Depth)
                .map_err(|_| format!("{n:?} is not a block count, \"safe\" or \"finalized\"")),
        }
    }
}

impl std::fmt::Display for Confirmations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Depth(n) => write!(f, "{n}"),
            Self::Safe => f.write_str("safe"),
            Self::Finalized => f.write_str("finalized"),
        }
    }
}

/// How a follower reads.
#[derive(Clone, Copy, Debug)]
pub struct FollowConfig {
    /// How deep a block must be.
    pub confirmations: Confirmations,
    /// The widest `eth_getLogs` range asked for (halved while refused).
    pub max_range: u64,
}

impl Default for FollowConfig {
    fn default() -> Self {
        Self {
            confirmations: Confirmations::Depth(0),
            max_range: 10_000,
        }
    }
}

/// What one poll did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// The last block read (confirmed as configured).
    pub block: u64,
    /// Messages and commits newly read.
    pub messages: usize,
    /// Commit events newly read.
    pub commits: usize,
    /// When a reorg was found: the first block whose events were dropped.
    pub rolled_back_from: Option<u64>,
}

/// Pins kept: enough to find a common ancestor through any reorg a
/// confirmation depth leaves possible, without growing for ever.
const PINS: usize = 256;

/// The Bridge's queue and the Rollup's commits, as far as read.
#[derive(Clone, Debug)]
pub struct Follower {
    bridge: Address,
    rollup: Address,
    deploy_block: u64,
    config: FollowConfig,
    next: u64,
    pins: BTreeMap<u64, B256>,
    messages: Vec<(u64, QueuedMessage)>,
    commits: Vec<(u64, CommittedBatch)>,
}

impl Follower {
    /// A follower of `deployment` that has read nothing yet.
    pub fn new(deployment: &Deployment, config: FollowConfig) -> Self {
        Self {
            bridge: deployment.bridge,
            rollup: deployment.rollup,
            deploy_block: deployment.deploy_block,
            config: FollowConfig {
                max_range: config.max_range.max(1),
                ..config
            },
            next: deployment.deploy_block,
            pins: BTreeMap::new(),
            messages: Vec::new(),
            commits: Vec::new(),
        }
    }

    /// Every message queued in the blocks read, in queue order.
    pub fn messages(&self) -> impl ExactSizeIterator<Item = &QueuedMessage> {
        self.messages.iter().map(|(_, m)| m)
    }

    /// The batches as the Rollup's tip holds them after the blocks read: a
    /// later commit of an index replaces it and drops every batch above
    /// (a rewind, PROTOCOL §14.4).
    pub fn batches(&self) -> Vec<&CommittedBatch> {
        let mut canonical: Vec<&CommittedBatch> = Vec::new();
        for (_, commit) in &self.commits {
            canonical.truncate(commit.index.saturating_sub(1) as usize);
            canonical.push(commit);
        }
        canonical
    }

    /// The last block read, if any.
    pub fn block(&self) -> Option<u64> {
        self.next.checked_sub(1).filter(|b| *b >= self.deploy_block)
    }

    /// Reads forward to the confirmed head, first rolling back past any
    /// block the chain no longer has.
    pub async fn poll<P: Provider>(&mut self, provider: &P) -> Result<Progress, ChainError> {
        self.poll_reporting(provider, |_, _| {}).await
    }

    /// [`Self::poll`], telling `report` the last block read and the block it
    /// reads up to after each page (a long history takes many).
    pub async fn poll_reporting<P: Provider>(
        &mut self,
        provider: &P,
        mut report: impl FnMut(u64, u64),
    ) -> Result<Progress, ChainError> {
        let rolled_back_from = self.check_pins(provider).await?;
        let mut progress = Progress {
            block: self.block().unwrap_or(0),
            rolled_back_from,
            ..Progress::default()
        };
        let mut range = self.config.max_range;
        let mut unsettled = 0;
        loop {
            let target = self.confirmed_head(provider).await?;
            if self.next > target {
                break;
            }
            let to = target.min(self.next + range - 1);
            match self.read_page(provider, self.next, to).await {
                Ok(Some((messages, commits))) => {
                    progress.messages += messages;
                    progress.commits += commits;
                    progress.block = to;
                    report(to, target);
                }
                // The page end changed under us or a log was removed: a reorg
                // in progress. Check the pins again, then read on.
                Ok(None) => {
                    unsettled += 1;
                    if unsettled > 16 {
                        return Err(ChainError::rpc(
                            "eth_getLogs",
                            "L1 kept reorganizing while it was read",
                        ));
                    }
                    if let Some(from) = self.check_pins(provider).await? {
                        progress.rolled_back_from =
                            Some(progress.rolled_back_from.map_or(from, |f| f.min(from)));
                    }
                }
                // Only the log query is retried narrower: endpoints cap its range.
                Err(
                    e @ ChainError::Rpc {
                        method: "eth_getLogs",
                        ..
                    },
                ) if range > 1 => {
                    range = (range / 2).max(1);
                    tracing::debug!(error = %e, range, "eth_getLogs refused; halving the range");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(progress)
    }

    /// The block a poll reads up to.
    async fn confirmed_head<P: Provider>(&self, provider: &P) -> Result<u64, ChainError> {
        let tag = match self.config.confirmations {
            Confirmations::Depth(depth) => {
                let head = provider
                    .get_block_number()
                    .await
                    .map_err(|e| ChainError::rpc("eth_blockNumber", e))?;
                return Ok(head.saturating_sub(depth));
            }
            Confirmations::Safe => BlockNumberOrTag::Safe,
            Confirmations::Finalized => BlockNumberOrTag::Finalized,
        };
        let block = provider
            .get_block_by_number(tag)
            .await
            .map_err(|e| ChainError::rpc("eth_getBlockByNumber", e))?
            .ok_or_else(|| ChainError::rpc("eth_getBlockByNumber", format!("no {tag} block")))?;
        Ok(block.header.number)
    }

    async fn block_hash<P: Provider>(
        provider: &P,
        number: u64,
    ) -> Result<Option<B256>, ChainError> {
        Ok(provider
            .get_block_by_number(number.into())
            .await
            .map_err(|e| ChainError::rpc("eth_getBlockByNumber", e))?
            .map(|b| b.header.hash))
    }

    /// Rolls back to the newest pinned block the chain still has; returns the
    /// first block dropped, if any.
    async fn check_pins<P: Provider>(&mut self, provider: &P) -> Result<Option<u64>, ChainError> {
        let mut dropped_from = None;
        while let Some((&number, &pinned)) = self.pins.last_key_value() {
            if Self::block_hash(provider, number).await? == Some(pinned) {
                break;
            }
            self.pins.remove(&number);
            dropped_from = Some(
                self.pins
                    .last_key_value()
                    .map_or(self.deploy_block, |(n, _)| n + 1),
            );
        }
        if let Some(from) = dropped_from {
            tracing::warn!(from, "L1 reorg: dropping what was read from this block on");
            self.messages.retain(|(block, _)| *block < from);
            self.commits.retain(|(block, _)| *block < from);
            self.next = from;
        }
        Ok(dropped_from)
    }

    /// Reads `from..=to`; `None` when the chain changed while reading.
    async fn read_page<P: Provider>(
        &mut self,
        provider: &P,
        from: u64,
        to: u64,
    ) -> Result<Option<(usize, usize)>, ChainError> {
        let Some(end) = Self::block_hash(provider, to).await? else {
            return Ok(None);
        };
        // The page must build on the last block read: a reorg between the pin
        // check and this read would otherwise splice two forks together.
        if let Some(&pinned) = from.checked_sub(1).and_then(|b| self.pins.get(&b)) {
            let first = provider
                .get_block_by_number(from.into())
                .await
                .map_err(|e| ChainError::rpc("eth_getBlockByNumber", e))?;
            if first.is_none_or(|b| b.header.parent_hash != pinned) {
                return Ok(None);
            }
        }
        let filter = Filter::new()
            .address(vec![self.bridge, self.rollup])
            .event_signature(vec![
                Bridge::MessageQueued::SIGNATURE_HASH,
                Rollup::BatchCommitted::SIGNATURE_HASH,
            ])
            .from_block(from)
            .to_block(to);
        let logs: Vec<Log> = provider
            .get_logs(&filter)
            .await
            .map_err(|e| ChainError::rpc("eth_getLogs", e))?;
        if logs.iter().any(|l| l.removed)
            || Self::block_hash(provider, to).await? != Some(end)
            || logs
                .iter()
                .any(|l| l.block_number == Some(to) && l.block_hash != Some(end))
        {
            return Ok(None);
        }
        let (mut messages, mut commits) = (Vec::new(), Vec::new());
        for log in &logs {
            let block = log.block_number.ok_or(ChainError::BadLog {
                event: "MessageQueued or BatchCommitted",
                tx: log.transaction_hash,
                reason: "no block number".into(),
            })?;
            if log.address() == self.bridge
                && log.topic0() == Some(&Bridge::MessageQueued::SIGNATURE_HASH)
            {
                let event = decode::<Bridge::MessageQueued>(log, "MessageQueued")?;
                messages.push((block, QueuedMessage::from_event(event)));
            } else if log.address() == self.rollup
                && log.topic0() == Some(&Rollup::BatchCommitted::SIGNATURE_HASH)
            {
                let event = decode::<Rollup::BatchCommitted>(log, "BatchCommitted")?;
                let tx = log.transaction_hash.ok_or(ChainError::LogWithoutTx {
                    event: "BatchCommitted",
                })?;
                commits.push((block, event, tx));
            }
        }
        // Check before keeping anything, so a bad page leaves the follower as it was.
        for (position, (_, m)) in (self.messages.len()..).zip(&messages) {
            if m.index != position as u64 {
                if position == 0 {
                    return Err(ChainError::StartsLate {
                        deploy_block: self.deploy_block,
                        event: "message",
                        index: m.index,
                    });
                }
                return Err(ChainError::MessageGap {
                    position,
                    index: m.index,
                });
            }
        }
        let mut next_index = self.batches().len() as u64 + 1;
        let mut read = Vec::with_capacity(commits.len());
        for (position, (block, event, tx)) in commits.into_iter().enumerate() {
            if event.index == 0 || event.index > next_index {
                if self.commits.is_empty() && position == 0 && event.index > 1 {
                    return Err(ChainError::StartsLate {
                        deploy_block: self.deploy_block,
                        event: "batch",
                        index: event.index,
                    });
                }
                return Err(ChainError::BatchGap {
                    position: self.commits.len() + position,
                    index: event.index,
                });
            }
            next_index = event.index + 1;
            read.push((block, read_commit(provider, self.rollup, &event, tx).await?));
        }
        let counts = (messages.len(), read.len());
        self.messages.extend(messages);
        self.commits.extend(read);
        self.pins.insert(to, end);
        while self.pins.len() > PINS {
            self.pins.pop_first();
        }
        self.next = to + 1;
        Ok(Some(counts))
    }
}
