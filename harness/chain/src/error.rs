//! Errors of the L1 side: every RPC failure and every answer that does not
//! have the shape the protocol promises is named, with the offending values.

use std::path::PathBuf;

use alloy::primitives::{Address, B256};

use crate::{bindings::Revert, node::L1Kind};

/// Failures talking to, or reading from, L1.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// A tool the harness starts is not installed.
    #[error("{0} is missing: run `npm ci` in the project root")]
    MissingBinary(PathBuf),
    /// An L1 node did not come up.
    #[error("could not start {kind}: {reason}")]
    NodeStart { kind: L1Kind, reason: String },
    /// `--l1` named a client we do not know.
    #[error("unknown L1 client {0:?} (expected anvil or hardhat)")]
    UnknownL1Kind(String),
    /// An endpoint string is not a URL.
    #[error("bad RPC endpoint {0:?}")]
    BadEndpoint(String),
    /// There is no dev key with that index.
    #[error("no dev key #{0}")]
    NoDevKey(usize),
    /// A JSON-RPC call failed.
    #[error("RPC {method} failed: {reason}")]
    Rpc {
        method: &'static str,
        reason: String,
    },
    /// A contract call or transaction reverted or could not be sent.
    #[error("{call} failed: {revert}")]
    Contract { call: &'static str, revert: Revert },
    /// A sent transaction was not mined (timeout, or a receipt without a block).
    #[error("{call} was not mined: {reason}")]
    NotMined { call: &'static str, reason: String },
    /// A wallet could not sign typed data.
    #[error("signing typed data failed: {0}")]
    Sign(String),
    /// A mined transaction reverted (out of gas when it used its whole limit).
    #[error("{call} reverted in transaction {tx} (used {gas_used} of its {gas_limit} gas)")]
    Reverted {
        call: &'static str,
        tx: B256,
        gas_used: u64,
        gas_limit: u64,
    },
    /// A contract did not land at the address the Rollup was told.
    #[error("{contract} deployed at {actual}, but the Rollup was built naming {expected}")]
    PredictedAddressMismatch {
        contract: &'static str,
        expected: Address,
        actual: Address,
    },
    /// A log the node returned does not decode as the event it claims to be.
    #[error("log in transaction {tx:?} does not decode as {event}: {reason}")]
    BadLog {
        event: &'static str,
        tx: Option<B256>,
        reason: String,
    },
    /// A log came without the transaction hash derivation needs.
    #[error("{event} log has no transaction hash")]
    LogWithoutTx { event: &'static str },
    /// The node does not know a transaction that one of its logs names.
    #[error("transaction {0} named by a BatchCommitted log is unknown to the node")]
    MissingTransaction(B256),
    /// A commit did not call the Rollup directly, so its data is not in the input.
    #[error("batch {batch}: transaction {tx} is not a direct call to the rollup (to = {to:?})")]
    NotDirectCommit {
        batch: u64,
        tx: B256,
        to: Option<Address>,
    },
    /// A commit transaction's input is not a `commitBatch` call.
    #[error("batch {batch}: input of transaction {tx} is not a commitBatch call: {reason}")]
    BadCommitInput {
        batch: u64,
        tx: B256,
        reason: String,
    },
    /// The data root the engine computes from a commit's input differs from the
    /// one the Rollup computed: Rust and Solidity disagree on the encoding.
    #[error("batch {batch}: rollup computed data root {rollup}, engine computes {engine}")]
    DataRootMismatch {
        batch: u64,
        rollup: B256,
        engine: B256,
    },
    /// A commit's input does not form a batch the engine accepts.
    #[error("batch {batch}: {source}")]
    BadBatchData {
        batch: u64,
        source: bulwark_engine::BatchError,
    },
    /// The input of a commit does not match what its event says was committed.
    #[error("batch {batch}: commit input disagrees with its event on {field}")]
    CommitEventMismatch { batch: u64, field: &'static str },
    /// Messages are not numbered 0, 1, 2, ... in the events read.
    #[error("message log #{position} has index {index}; the queue is not contiguous")]
    MessageGap { position: usize, index: u64 },
    /// The first event read from the deployment's `deployBlock` is not the
    /// first of its kind: the file names a block after the Rollup's creation.
    #[error(
        "the first {event} read from deployBlock {deploy_block} has index {index}: \
         deployBlock is after the deployment's first activity; set it at or before \
         the block that created the Rollup"
    )]
    StartsLate {
        deploy_block: u64,
        event: &'static str,
        index: u64,
    },
    /// No commit of a game's batch carries the trace root the game opened on.
    #[error(
        "game {game}: no commit of batch {batch} with trace root {trace_root} before block {block}"
    )]
    GameCommitMissing {
        game: u64,
        batch: u64,
        trace_root: B256,
        block: u64,
    },
    /// Batches are not numbered 1, 2, 3, ... in the events read.
    #[error("batch log #{position} has index {index}; batches are not contiguous")]
    BatchGap { position: usize, index: u64 },
    /// The engine hashes a message differently from the Bridge: Rust and
    /// Solidity disagree on the encoding.
    #[error("message {index}: bridge stored hash {bridge}, engine computes {engine}")]
    MessageHashMismatch {
        index: u64,
        bridge: B256,
        engine: B256,
    },
    /// Rebuilding the L2 from L1 data failed: a batch's claimed root differs
    /// from what its data produces, or its data is not a valid commit.
    #[error("derivation from L1 failed: {0}")]
    Derivation(#[from] bulwark_engine::DeriveError),
    /// An L1 value does not fit the width the protocol gives it.
    #[error("{field} = {value} does not fit the protocol's width")]
    OutOfRange { field: &'static str, value: String },
    /// A Safe's owners and threshold are ones its `setup` would refuse.
    #[error("cannot set up a Safe: {0}")]
    SafeSetup(String),
    /// A Safe refused to run a transaction (signatures, gas, setup), with its
    /// revert code.
    #[error("Safe {safe} refused the transaction with {code}: {meaning}")]
    SafeRefused {
        safe: Address,
        code: String,
        meaning: &'static str,
    },
    /// The call a Safe made for its owners reverted (the Safe says only
    /// "GS013"); `revert` and `data` are the target's own, found by replaying
    /// the call from the Safe. Boxed: `Revert` is large, and this variant
    /// would otherwise make every `Result<_, ChainError>` larger.
    #[error("Safe {safe}'s call to {to} reverted: {revert}")]
    SafeCallReverted {
        safe: Address,
        to: Address,
        revert: Box<Revert>,
        data: Option<alloy::primitives::Bytes>,
    },
}

impl ChainError {
    /// Wraps an RPC transport error.
    pub fn rpc(method: &'static str, e: impl std::fmt::Display) -> Self {
        Self::Rpc {
            method,
            reason: e.to_string(),
        }
    }

    /// Wraps a contract-call error, decoding the protocol's custom errors.
    pub fn contract(call: &'static str, e: &alloy::contract::Error) -> Self {
        Self::Contract {
            call,
            revert: Revert::from(e),
        }
    }

    /// The Bridge's custom error, if this is a Bridge revert.
    pub fn bridge_revert(&self) -> Option<&crate::bindings::Bridge::BridgeErrors> {
        match self {
            Self::Contract {
                revert: Revert::Bridge(e),
                ..
            } => Some(e),
            _ => None,
        }
    }
}
