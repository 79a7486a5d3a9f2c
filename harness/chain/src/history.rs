//! Reads L1 history: the Bridge's message queue from its events, and every
//! committed batch's data from the input of its commit transaction. This is
//! all derivation needs; nothing here trusts a sequencer's database.

use std::collections::BTreeMap;

use alloy::{
    consensus::Transaction as _,
    primitives::{Address, B256, Bytes},
    providers::Provider,
    rpc::types::{Filter, Log, TransactionReceipt},
    sol_types::{SolCall, SolEvent},
};

use bulwark_engine::{Batch, L1Message, MessageKind, TokenId};

use crate::{
    ChainError,
    bindings::{Bridge, Rollup},
};

/// One L1 -> L2 message as the Bridge queued it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedMessage {
    /// Position in the queue.
    pub index: u64,
    /// 1 = deposit, 2 = forced withdrawal.
    pub kind: u8,
    /// L1 `msg.sender` that queued it.
    pub sender: Address,
    /// Target account index, or `NEW` (u64::MAX).
    pub target: u64,
    /// L2 token id.
    pub token: u32,
    /// Amount (the measured amount for deposits).
    pub amount: u128,
    /// L1 timestamp of queueing.
    pub queued_at: u64,
    /// The hash the Bridge stored.
    pub hash: B256,
}

impl QueuedMessage {
    /// The message `bridge` queued in a transaction, from its receipt's logs.
    /// Only the Bridge's own log counts: a token contract called during the
    /// deposit could emit a look-alike.
    pub fn from_receipt(receipt: &TransactionReceipt, bridge: Address) -> Result<Self, ChainError> {
        let log = receipt
            .inner
            .logs()
            .iter()
            .find(|log| {
                log.address() == bridge
                    && log.topic0() == Some(&Bridge::MessageQueued::SIGNATURE_HASH)
            })
            .ok_or(ChainError::BadLog {
                event: "MessageQueued",
                tx: Some(receipt.transaction_hash),
                reason: "no such log in the receipt".into(),
            })?;
        Ok(Self::from_event(decode::<Bridge::MessageQueued>(
            log,
            "MessageQueued",
        )?))
    }

    pub(crate) fn from_event(m: Bridge::MessageQueued) -> Self {
        Self {
            index: m.index,
            kind: m.kind,
            sender: m.sender,
            target: m.target,
            token: m.token,
            amount: m.amount,
            queued_at: m.queuedAt,
            hash: m.hash,
        }
    }

    /// The engine's view of this message. The engine recomputes the hash from
    /// the fields; it must equal the one the Bridge stored.
    pub fn to_engine(&self) -> Result<L1Message, ChainError> {
        let kind = MessageKind::try_from(self.kind).map_err(|_| ChainError::OutOfRange {
            field: "message kind",
            value: self.kind.to_string(),
        })?;
        let message = L1Message {
            index: self.index,
            kind,
            sender: self.sender,
            target: self.target,
            token: TokenId(self.token),
            amount: self.amount,
            queued_at: self.queued_at,
        };
        let hash = message.hash();
        if hash != self.hash {
            return Err(ChainError::MessageHashMismatch {
                index: self.index,
                bridge: self.hash,
                engine: hash,
            });
        }
        Ok(message)
    }
}

/// A committed batch, read back from its event and its transaction's input.
#[derive(Clone, Debug)]
pub struct CommittedBatch {
    /// Batch index (genesis is 0; commits start at 1).
    pub index: u64,
    /// The sequencer that committed it.
    pub committer: Address,
    /// Header bytes (fee recipients) from the commit input.
    pub header: Bytes,
    /// Record bytes from the commit input.
    pub records: Bytes,
    /// The post-state preimage from the commit input.
    pub post: Rollup::StatePreimage,
    /// The claimed trace root.
    pub trace_root: B256,
    /// The claimed state root (hash of `post`, as the Rollup stored it).
    pub state_root: B256,
    /// The data root the Rollup computed.
    pub data_root: B256,
    /// Queue position before this batch.
    pub msgs_before: u64,
    /// Queue position after this batch.
    pub msgs_after: u64,
    /// The commit transaction.
    pub tx: B256,
}

/// The L1 block range history is read from: one fixed head per read, so that
/// messages and batches are seen as of the same block.
#[derive(Clone, Copy, Debug)]
pub struct Blocks {
    /// First block (the deployment's).
    pub from: u64,
    /// Last block (the head when the read began).
    pub to: u64,
}

impl Blocks {
    /// From `from` to the node's current head.
    pub async fn to_head<P: Provider>(provider: &P, from: u64) -> Result<Self, ChainError> {
        let to = provider
            .get_block_number()
            .await
            .map_err(|e| ChainError::rpc("eth_blockNumber", e))?;
        Ok(Self { from, to })
    }
}

/// Reads every message the Bridge queued in `blocks`, checking that the queue
/// is contiguous from index 0.
pub async fn read_messages<P: Provider>(
    provider: &P,
    bridge: Address,
    blocks: Blocks,
) -> Result<Vec<QueuedMessage>, ChainError> {
    let filter = Filter::new()
        .address(bridge)
        .event_signature(Bridge::MessageQueued::SIGNATURE_HASH)
        .from_block(blocks.from)
        .to_block(blocks.to);
    let logs = provider
        .get_logs(&filter)
        .await
        .map_err(|e| ChainError::rpc("eth_getLogs", e))?;
    let mut messages = Vec::with_capacity(logs.len());
    for (position, log) in logs.iter().enumerate() {
        let m = QueuedMessage::from_event(decode::<Bridge::MessageQueued>(log, "MessageQueued")?);
        if m.index != position as u64 {
            return Err(ChainError::MessageGap {
                position,
                index: m.index,
            });
        }
        messages.push(m);
    }
    Ok(messages)
}

/// Reads the batches committed to `rollup` in `blocks`, up to index `upto`, in
/// index order. A later commit of an index already seen (after a rewind)
/// replaces it and drops the batches above it, as the Rollup's tip did; only
/// the commits that remain have their transactions fetched.
pub async fn read_batches<P: Provider>(
    provider: &P,
    rollup: Address,
    blocks: Blocks,
    upto: u64,
) -> Result<Vec<CommittedBatch>, ChainError> {
    let filter = Filter::new()
        .address(rollup)
        .event_signature(Rollup::BatchCommitted::SIGNATURE_HASH)
        .from_block(blocks.from)
        .to_block(blocks.to);
    let logs = provider
        .get_logs(&filter)
        .await
        .map_err(|e| ChainError::rpc("eth_getLogs", e))?;
    let mut events: BTreeMap<u64, (Rollup::BatchCommitted, B256)> = BTreeMap::new();
    for (position, log) in logs.iter().enumerate() {
        let event = decode::<Rollup::BatchCommitted>(log, "BatchCommitted")?;
        let expected_next = events.keys().next_back().map_or(1, |last| last + 1);
        if event.index == 0 || event.index > expected_next {
            return Err(ChainError::BatchGap {
                position,
                index: event.index,
            });
        }
        let tx = log.transaction_hash.ok_or(ChainError::LogWithoutTx {
            event: "BatchCommitted",
        })?;
        events.split_off(&event.index);
        events.insert(event.index, (event, tx));
    }
    let mut batches = Vec::new();
    for (event, tx) in events.range(..=upto).map(|(_, v)| v) {
        batches.push(read_commit(provider, rollup, event, *tx).await?);
    }
    Ok(batches)
}

/// Fetches a commit transaction and checks its input against its event.
pub(crate) async fn read_commit<P: Provider>(
    provider: &P,
    rollup: Address,
    event: &Rollup::BatchCommitted,
    tx: B256,
) -> Result<CommittedBatch, ChainError> {
    let batch = event.index;
    let transaction = provider
        .get_transaction_by_hash(tx)
        .await
        .map_err(|e| ChainError::rpc("eth_getTransactionByHash", e))?
        .ok_or(ChainError::MissingTransaction(tx))?;
    let to = transaction.to();
    if to != Some(rollup) {
        return Err(ChainError::NotDirectCommit { batch, tx, to });
    }
    let call = Rollup::commitBatchCall::abi_decode(transaction.input()).map_err(|e| {
        ChainError::BadCommitInput {
            batch,
            tx,
            reason: e.to_string(),
        }
    })?;
    if call.parent + 1 != batch {
        return Err(ChainError::CommitEventMismatch {
            batch,
            field: "parent",
        });
    }
    if call.traceRoot != event.traceRoot {
        return Err(ChainError::CommitEventMismatch {
            batch,
            field: "traceRoot",
        });
    }
    if call.post.msgsConsumed != event.msgsAfter {
        return Err(ChainError::CommitEventMismatch {
            batch,
            field: "msgsAfter",
        });
    }
    // The Rollup hashed these bytes on chain; the engine must get the same root.
    let data = Batch::from_calldata(&call.header, &call.records)
        .map_err(|source| ChainError::BadBatchData { batch, source })?;
    if data.data_root() != event.dataRoot {
        return Err(ChainError::DataRootMismatch {
            batch,
            rollup: event.dataRoot,
            engine: data.data_root(),
        });
    }
    Ok(CommittedBatch {
        index: batch,
        committer: event.committer,
        header: call.header,
        records: call.records,
        post: call.post,
        trace_root: event.traceRoot,
        state_root: event.stateRoot,
        data_root: event.dataRoot,
        msgs_before: event.msgsBefore,
        msgs_after: event.msgsAfter,
        tx,
    })
}

pub(crate) fn decode<E: SolEvent>(log: &Log, event: &'static str) -> Result<E, ChainError> {
    log.log_decode::<E>()
        .map(|decoded| decoded.inner.data)
        .map_err(|e| ChainError::BadLog {
            event,
            tx: log.transaction_hash,
            reason: e.to_string(),
        })
}
