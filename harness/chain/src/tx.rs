//! Sending a transaction and waiting for its receipt, with reverts decoded
//! into the protocol's custom errors and the gas it used kept for reports.

use std::time::Duration;

use alloy::{
    contract::{CallBuilder, CallDecoder},
    primitives::B256,
    providers::Provider,
    rpc::types::TransactionReceipt,
};

use crate::{ChainError, bindings::Revert};

/// How long a sent transaction may take to be mined before we give up on it.
const RECEIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// A mined, successful transaction.
#[derive(Clone, Debug)]
pub struct Sent {
    /// Its hash.
    pub tx: B256,
    /// Gas it used (from the receipt).
    pub gas_used: u64,
    /// The block it was mined in.
    pub block: u64,
    /// The full receipt, for logs.
    pub receipt: TransactionReceipt,
}

/// Sends `call` and waits for it to be mined; a revert is an error naming `label`.
pub async fn send<P: Provider, D: CallDecoder>(
    call: CallBuilder<P, D>,
    label: &'static str,
) -> Result<Sent, ChainError> {
    let pending = call.send().await.map_err(|e| ChainError::Contract {
        call: label,
        revert: Revert::from(&e),
    })?;
    let receipt = pending
        .with_timeout(Some(RECEIPT_TIMEOUT))
        .get_receipt()
        .await
        .map_err(|e| ChainError::NotMined {
            call: label,
            reason: e.to_string(),
        })?;
    if !receipt.status() {
        return Err(ChainError::Reverted {
            call: label,
            tx: receipt.transaction_hash,
        });
    }
    let block = receipt.block_number.ok_or(ChainError::NotMined {
        call: label,
        reason: format!(
            "receipt of {} has no block number",
            receipt.transaction_hash
        ),
    })?;
    Ok(Sent {
        tx: receipt.transaction_hash,
        gas_used: receipt.gas_used,
        block,
        receipt,
    })
}
