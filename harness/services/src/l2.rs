//! The L2 as L1 alone determines it, with every committed transaction's fate:
//! which batch carried it, at which step, applied or skipped and why. A
//! service starts here, with no database of its own.

use std::collections::HashMap;

use alloy::providers::Provider;
use bulwark_chain::{
    ChainError, Deployment,
    history::{Blocks, read_batches, read_messages},
};
use bulwark_engine::{
    B256, Derivation, DerivedBatch, Domain, Outcome, Record, RecordBytes, State, Step, Trace,
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
}

/// The EIP-712 digest a record's owner signed, for transfers and withdrawals.
pub fn record_hash(record: &RecordBytes, domain: &Domain) -> Option<B256> {
    match Record::decode(record) {
        Record::Transfer(t) => Some(t.tx.digest(domain)),
        Record::Withdraw(w) => Some(w.tx.digest(domain)),
        Record::Padding | Record::Malformed(_) => None,
    }
}

/// The fates of the records in one batch's trace, by digest.
pub fn fates(batch: u64, trace: &Trace, domain: &Domain) -> Vec<(B256, Landed)> {
    trace
        .steps()
        .iter()
        .zip(trace.outcomes())
        .enumerate()
        .filter_map(|(step, (input, outcome))| match input {
            Step::Record(record) => record_hash(record, domain).map(|hash| {
                (
                    hash,
                    Landed {
                        batch,
                        step,
                        outcome: *outcome,
                        record: *record,
                    },
                )
            }),
            Step::Message(_) | Step::Identity => None,
        })
        .collect()
}

/// The L2 at the Rollup's tip, rebuilt from L1.
#[derive(Clone, Debug)]
pub struct Replayed {
    /// The state after the last committed batch.
    pub state: State,
    /// That batch's index.
    pub tip: u64,
    /// Every committed transaction's fate, by digest (a digest committed
    /// twice, e.g. after a rewind, keeps its latest landing).
    pub fates: HashMap<B256, Landed>,
}

/// Replays every batch up to `tip` from L1, checking each claimed root.
pub async fn replay<P: Provider>(
    provider: &P,
    deployment: &Deployment,
    tip: u64,
) -> Result<Replayed, ChainError> {
    let blocks = Blocks::to_head(provider, deployment.deploy_block).await?;
    let messages = read_messages(provider, deployment.bridge, blocks)
        .await?
        .iter()
        .map(|m| m.to_engine())
        .collect::<Result<Vec<_>, _>>()?;
    let committed = read_batches(provider, deployment.rollup, blocks, tip).await?;
    let domain = Domain::new(deployment.chain_id, deployment.rollup);
    let mut derivation = Derivation::new();
    let mut landed = HashMap::new();
    for b in &committed {
        let batch = DerivedBatch {
            header: b.header.to_vec(),
            records: b.records.to_vec(),
            msgs_after: b.msgs_after,
            state_root: b.state_root,
            trace_root: b.trace_root,
        };
        let trace = derivation.push(&domain, &messages, &batch)?;
        landed.extend(fates(derivation.batches(), &trace, &domain));
    }
    Ok(Replayed {
        tip: derivation.batches(),
        state: derivation.into_state(),
        fates: landed,
    })
}
