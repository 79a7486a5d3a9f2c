//! The L2 as L1 alone determines it, with every committed transaction's fate:
//! which batch carried it, at which step, applied or skipped and why. A
//! service starts here, with no database of its own.

use std::collections::{BTreeMap, HashMap};

use alloy::providers::Provider;
use bulwark_actors::dispute::fault::Claim;
use bulwark_chain::{
    ChainError, Deployment,
    follow::{Confirmations, FollowConfig, Follower},
};
use bulwark_engine::{
    B256, Derivation, DerivedBatch, Domain, MessageKind, Outcome, Record, RecordBytes, State, Step,
};

/// Where a committed transaction landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Landed {
    /// The batch that carried it.
    pub batch: u64,
    /// Its step in that batch's trace.
    pub step: usize,
    /// Applied, or skipped with the STF's reason.
    pub outcome: Outcome,
    /// The record itself: pending again if a rewind or a reorg drops its batch.
    pub record: RecordBytes,
    /// For an applied withdrawal, the index of the withdrawal leaf it added.
    pub withdrawal: Option<u64>,
}

/// The EIP-712 digest a record's owner signed, for transfers and withdrawals.
pub fn record_hash(record: &RecordBytes, domain: &Domain) -> Option<B256> {
    match Record::decode(record) {
        Record::Transfer(t) => Some(t.tx.digest(domain)),
        Record::Withdraw(w) => Some(w.tx.digest(domain)),
        Record::Padding | Record::Malformed(_) => None,
    }
}

/// The fates of the records among `steps` (a batch's `(position, input,
/// outcome)`, in trace order), by digest. `withdrawals_before` is the parent
/// state's withdrawal count: each applied withdrawal, a forced one (an L1
/// message) included, adds the next leaf.
pub fn landings<'a>(
    batch: u64,
    steps: impl IntoIterator<Item = (usize, &'a Step, &'a Outcome)>,
    domain: &Domain,
    withdrawals_before: u64,
) -> Vec<(B256, Landed)> {
    let mut next_withdrawal = withdrawals_before;
    let mut landed = Vec::new();
    for (step, input, outcome) in steps {
        let adds_withdrawal = outcome.is_applied()
            && match input {
                Step::Record(record) => matches!(Record::decode(record), Record::Withdraw(_)),
                Step::Message(m) => m.kind == MessageKind::ForcedWithdrawal,
                Step::Identity => false,
            };
        let withdrawal = adds_withdrawal.then(|| {
            next_withdrawal += 1;
            next_withdrawal - 1
        });
        if let Step::Record(record) = input
            && let Some(hash) = record_hash(record, domain)
        {
            let fate = Landed {
                batch,
                step,
                outcome: *outcome,
                record: *record,
                withdrawal,
            };
            landed.push((hash, fate));
        }
    }
    landed
}

/// Records where `hash` landed. A transaction carried twice (its signed bytes
/// resent after a lost receipt) is applied once and skipped as a replay the
/// second time: the applied landing is the one that counts.
pub fn land(landed: &mut HashMap<B256, Landed>, hash: B256, fate: Landed) {
    let keep_old = landed
        .get(&hash)
        .is_some_and(|old| old.outcome.is_applied() && !fate.outcome.is_applied());
    if !keep_old {
        landed.insert(hash, fate);
    }
}

/// The L2 at the Rollup's tip, rebuilt from L1.
#[derive(Clone, Debug)]
pub struct Replayed {
    /// The state after the last committed batch.
    pub state: State,
    /// That batch's index.
    pub tip: u64,
    /// Every committed transaction's fate, by digest (a digest carried twice
    /// keeps its applied landing; see [`land`]).
    pub fates: HashMap<B256, Landed>,
    /// What each batch above the last final one claims, for the defender:
    /// the honest trace and post-state (every batch replayed has checked roots).
    pub claims: BTreeMap<u64, Claim>,
}

/// Replays every batch up to `tip` from L1, checking each claimed root; keeps
/// the claims of the batches above `last_final`. History is read through a
/// [`Follower`] to the head, in pages of at most `max_range` blocks: an
/// endpoint that caps `eth_getLogs` ranges still serves a start-up.
pub async fn replay<P: Provider>(
    provider: &P,
    deployment: &Deployment,
    tip: u64,
    last_final: u64,
    max_range: u64,
) -> Result<Replayed, ChainError> {
    replay_reporting(provider, deployment, tip, last_final, max_range, |_| {}).await
}

/// How far a replay is: long histories take a while to read and re-execute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplayProgress {
    /// L1 read from the deployment's block through `block`, of `to`.
    Read { from: u64, block: u64, to: u64 },
    /// `batch` of `of` re-executed.
    Derived { batch: u64, of: u64 },
}

/// Told how far a start-up read of L1 is (a progress bar).
pub type ReplayReport = std::sync::Arc<dyn Fn(ReplayProgress) + Send + Sync>;

/// [`replay`], telling `report` how far it is.
pub async fn replay_reporting<P: Provider>(
    provider: &P,
    deployment: &Deployment,
    tip: u64,
    last_final: u64,
    max_range: u64,
    mut report: impl FnMut(ReplayProgress),
) -> Result<Replayed, ChainError> {
    let mut head = Follower::new(
        deployment,
        FollowConfig {
            confirmations: Confirmations::Depth(0),
            max_range,
        },
    );
    let from = deployment.deploy_block;
    head.poll_reporting(provider, |block, to| {
        report(ReplayProgress::Read { from, block, to })
    })
    .await?;
    let messages = head
        .messages()
        .map(|m| m.to_engine())
        .collect::<Result<Vec<_>, _>>()?;
    let committed: Vec<_> = head
        .batches()
        .into_iter()
        .filter(|b| b.index <= tip)
        .collect();
    let domain = Domain::new(deployment.chain_id, deployment.rollup);
    let mut derivation = Derivation::new();
    let mut landed = HashMap::new();
    let mut claims = BTreeMap::new();
    for b in &committed {
        let batch = DerivedBatch {
            header: b.header.to_vec(),
            records: b.records.to_vec(),
            msgs_after: b.msgs_after,
            state_root: b.state_root,
            trace_root: b.trace_root,
        };
        let withdrawals_before = derivation.state().withdrawal_count();
        let trace = derivation.push(&domain, &messages, &batch)?;
        let steps = trace.steps().iter().zip(trace.outcomes()).enumerate();
        let steps = steps.map(|(i, (step, outcome))| (i, step, outcome));
        for (hash, fate) in landings(derivation.batches(), steps, &domain, withdrawals_before) {
            land(&mut landed, hash, fate);
        }
        if derivation.batches() > last_final {
            claims.insert(
                derivation.batches(),
                Claim::honest(&trace, derivation.state()),
            );
        }
        report(ReplayProgress::Derived {
            batch: derivation.batches(),
            of: committed.len() as u64,
        });
    }
    Ok(Replayed {
        tip: derivation.batches(),
        state: derivation.into_state(),
        fates: landed,
        claims,
    })
}

#[cfg(test)]
mod tests {
    use bulwark_engine::SkipReason;

    use super::*;

    fn at(batch: u64, outcome: Outcome) -> Landed {
        Landed {
            batch,
            step: 0,
            outcome,
            record: [0; 128],
            withdrawal: None,
        }
    }

    /// The same signed bytes carried again (a commit resent after a lost
    /// receipt) are skipped as a replay: the applied landing stays.
    #[test]
    fn an_applied_landing_outlives_a_replayed_copy() {
        let replay = Outcome::Skipped(SkipReason::BadNonce {
            expected: 1,
            got: 0,
        });
        let mut landed = HashMap::new();
        land(&mut landed, B256::ZERO, at(3, Outcome::Applied));
        land(&mut landed, B256::ZERO, at(4, replay));
        assert_eq!(landed[&B256::ZERO], at(3, Outcome::Applied));
        // A skipped landing is replaced by a later applied one.
        land(&mut landed, B256::ZERO, at(5, Outcome::Applied));
        land(&mut landed, B256::repeat_byte(1), at(6, replay));
        land(&mut landed, B256::repeat_byte(1), at(7, Outcome::Applied));
        assert_eq!(landed[&B256::repeat_byte(1)], at(7, Outcome::Applied));
    }
}
