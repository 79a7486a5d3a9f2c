//! What the system must look like after each action: the L1 facts the
//! contracts must report, kept by rules of their own (PROTOCOL §9–§17) rather
//! than read back from the contracts. L2 state is the engine's: the model
//! holds what L1 must pay, not the accounts themselves.

use std::collections::{BTreeMap, BTreeSet};

use alloy::primitives::{Address, B256, U256};

/// Which side of a game.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The challenger.
    Challenger,
    /// The batch's committer.
    Defender,
}

/// A message the Bridge queued.
#[derive(Clone, Debug)]
pub struct Queued {
    /// Its L1 sender (a refund's recipient).
    pub sender: Address,
    /// A deposit (else a forced withdrawal, which carries no value).
    pub deposit: bool,
    /// Token id.
    pub token: u32,
    /// Value held for it.
    pub amount: u128,
    /// When it was queued.
    pub queued_at: u64,
}

/// A live batch: committed, not dropped, maybe final.
#[derive(Clone, Debug)]
pub struct Batch {
    /// The Rollup's epoch at its commit.
    pub epoch: u32,
    /// When it was committed.
    pub commit_time: u64,
    /// Messages consumed once it applies.
    pub msgs_after: u64,
    /// Whether its claim is the truth.
    pub honest: bool,
    /// Which sequencer committed it (0 or 1).
    pub committer: usize,
    /// Games opened against it and not yet settled.
    pub open_games: u32,
}

/// A game.
#[derive(Clone, Debug)]
pub struct Game {
    /// The batch judged.
    pub batch: u64,
    /// Its epoch.
    pub epoch: u32,
    /// The side playing honestly, if one does (a frivolous challenger on a
    /// false batch and its liar are both dishonest).
    pub honest: Option<Side>,
    /// Trace depth of the batch.
    pub depth: u32,
    /// Moves made: (challenger's picks and step, defender's reveals).
    pub moves: (usize, usize),
    /// Settled through the Rollup (resolved or closed).
    pub settled: bool,
}

/// The model.
#[derive(Clone, Debug, Default)]
pub struct Model {
    /// The Rollup's tip.
    pub tip: u64,
    /// The last final batch.
    pub last_final: u64,
    /// The Rollup's epoch.
    pub epoch: u32,
    /// Frozen (for good).
    pub frozen: bool,
    /// Commits and deposits fail before this time.
    pub paused_until: u64,
    /// No pause may start before this time.
    pub next_pause_at: u64,
    /// Which sequencer (0 or 1) the Rollup names.
    pub sequencer: usize,
    /// Whether each sequencer holds its stake (false once slashed).
    pub staked: [bool; 2],
    /// Every queued message, by queue index.
    pub queue: Vec<Queued>,
    /// Live batches above the genesis, by index (the final ones included).
    pub batches: BTreeMap<u64, Batch>,
    /// State roots of the final batches, as finalized.
    pub finals: BTreeMap<u64, B256>,
    /// What the Bridge must hold, by token id.
    pub holdings: BTreeMap<u32, U256>,
    /// Withdrawal leaves paid.
    pub paid: BTreeSet<u32>,
    /// Account leaves exited.
    pub exited: BTreeSet<u32>,
    /// Messages refunded.
    pub refunded: BTreeSet<u64>,
    /// Every game, by id.
    pub games: BTreeMap<u64, Game>,
}

impl Model {
    /// Messages the tip has consumed.
    pub fn consumed(&self) -> u64 {
        self.batches.get(&self.tip).map_or(0, |b| b.msgs_after)
    }

    /// The first message the tip has not consumed, with its queue index.
    pub fn oldest_unconsumed(&self) -> Option<(u64, &Queued)> {
        let consumed = self.consumed();
        self.queue.get(consumed as usize).map(|m| (consumed, m))
    }

    /// Whether a freeze sent in a block stamped `at` succeeds (§16: strictly
    /// more than `deadline` after the oldest unconsumed message was queued).
    pub fn freezable_at(&self, at: u64, deadline: u64) -> bool {
        !self.frozen
            && self
                .oldest_unconsumed()
                .is_some_and(|(_, m)| at > m.queued_at + deadline)
    }

    /// Records a value arriving in (or, negative, leaving) the Bridge.
    pub fn hold(&mut self, token: u32, amount: u128) {
        *self.holdings.entry(token).or_default() += U256::from(amount);
    }

    /// Records a payout out of the Bridge.
    pub fn pay(&mut self, token: u32, amount: u128) {
        let held = self.holdings.entry(token).or_default();
        *held = held.saturating_sub(U256::from(amount));
    }

    /// A winning challenge against `batch` was resolved (§14.4): the committer
    /// loses its stake; before a freeze the batch and everything above it
    /// are dropped and the epoch moves on.
    pub fn challenger_won(&mut self, batch: u64) {
        if let Some(b) = self.batches.get(&batch) {
            self.staked[b.committer] = false;
        }
        if !self.frozen && batch > self.last_final && batch <= self.tip {
            self.batches.retain(|&i, _| i < batch);
            self.tip = batch - 1;
            self.epoch += 1;
        }
    }

    /// The rollup froze (§16): the last final batch is pinned and every
    /// batch above it dropped.
    pub fn freeze(&mut self) {
        self.frozen = true;
        let last_final = self.last_final;
        self.batches.retain(|&i, _| i <= last_final);
        self.tip = last_final;
    }

    /// Whether game `id`'s batch is still live.
    pub fn is_live(&self, batch: u64, epoch: u32) -> bool {
        self.batches.get(&batch).is_some_and(|b| b.epoch == epoch)
    }
}
