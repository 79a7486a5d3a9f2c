//! Derivation from L1: the Bridge's messages and the commits' input bytes,
//! handed to the engine, rebuild the L2 state at any committed batch. A
//! challenger, an exiting user and a restarted sequencer all start here.

use alloy::providers::Provider;
use bulwark_engine::{DerivedBatch, Domain, State, derive};

use crate::{
    ChainError, Deployment,
    history::{Blocks, read_batches, read_messages},
};

/// The L2 state at a batch, as L1 alone determines it.
#[derive(Clone, Debug)]
pub struct Rebuilt {
    /// The batch whose post-state this is (0 = genesis).
    pub batch: u64,
    /// The state.
    pub state: State,
}

/// Rebuilds the state at batch `upto` (or the highest committed batch below
/// it) and checks every batch's claimed root along the way.
pub async fn rebuild<P: Provider>(
    provider: &P,
    deployment: &Deployment,
    upto: u64,
) -> Result<Rebuilt, ChainError> {
    let blocks = Blocks::to_head(provider, deployment.deploy_block).await?;
    let queued = read_messages(provider, deployment.bridge, blocks).await?;
    let messages = queued
        .iter()
        .map(|m| m.to_engine())
        .collect::<Result<Vec<_>, _>>()?;
    let committed = read_batches(provider, deployment.rollup, blocks, upto).await?;
    let batches: Vec<DerivedBatch> = committed
        .iter()
        .map(|b| DerivedBatch {
            header: b.header.to_vec(),
            records: b.records.to_vec(),
            msgs_after: b.msgs_after,
            state_root: b.state_root,
            trace_root: b.trace_root,
        })
        .collect();
    let batch = batches.len() as u64;
    let domain = Domain::new(deployment.chain_id, deployment.rollup);
    let state: State = derive(&messages, &batches, &domain)?;
    tracing::debug!(batch, messages = messages.len(), head = blocks.to, root = %state.root(), "rebuilt L2 state from L1");
    Ok(Rebuilt { batch, state })
}
