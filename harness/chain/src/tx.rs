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

/// EIP-7825's cap on one transaction's gas limit.
pub const TX_GAS_CAP: u64 = 1 << 24;

/// The gas limit sent for a call estimated at `estimate`: a quarter more, below
/// EIP-7825's cap. The estimate is the least gas that succeeds against the
/// pending block, but the transaction runs in the block that mines it, whose
/// timestamp may be later: a dispute move that estimates while the clock it
/// restarts reads zero seconds elapsed writes its slot unchanged (100 gas),
/// then mined a second later writes it anew (2,900 gas) and would run out.
pub fn gas_limit(estimate: u64) -> u64 {
    estimate
        .saturating_add(estimate / 4)
        .min(TX_GAS_CAP)
        .max(estimate)
}

/// Polls for the receipt of `tx` until it is mined. Polled by hash rather
/// than through alloy's block heartbeat: after an L1 snapshot is restored,
/// the same transaction (same sender, nonce and data) can be sent again, and
/// a heartbeat that saw it mined before the revert would report it mined now.
async fn receipt<P: Provider>(
    provider: &P,
    tx: B256,
    label: &'static str,
) -> Result<TransactionReceipt, ChainError> {
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(2);
    loop {
        let found =
            provider
                .get_transaction_receipt(tx)
                .await
                .map_err(|e| ChainError::NotMined {
                    call: label,
                    reason: e.to_string(),
                })?;
        if let Some(receipt) = found {
            return Ok(receipt);
        }
        if started.elapsed() > RECEIPT_TIMEOUT {
            return Err(ChainError::NotMined {
                call: label,
                reason: format!("no receipt for {tx} after {} s", RECEIPT_TIMEOUT.as_secs()),
            });
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(250));
    }
}

/// Sends `call` and waits for it to be mined; a revert is an error naming `label`.
pub async fn send<P: Provider, D: CallDecoder>(
    call: CallBuilder<P, D>,
    label: &'static str,
) -> Result<Sent, ChainError> {
    let contract = |e: alloy::contract::Error| ChainError::Contract {
        call: label,
        revert: Revert::from(&e),
    };
    let estimate = call.estimate_gas().await.map_err(contract)?;
    let limit = gas_limit(estimate);
    let pending = call.gas(limit).send().await.map_err(contract)?;
    let receipt = receipt(pending.provider(), *pending.tx_hash(), label).await?;
    if !receipt.status() {
        return Err(ChainError::Reverted {
            call: label,
            tx: receipt.transaction_hash,
            gas_used: receipt.gas_used,
            gas_limit: limit,
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

#[cfg(test)]
mod tests {
    use super::{TX_GAS_CAP, gas_limit};

    #[test]
    fn the_limit_leaves_a_quarter_of_headroom_below_the_cap() {
        assert_eq!(gas_limit(100_000), 125_000);
        assert_eq!(gas_limit(0), 0);
        assert_eq!(gas_limit(TX_GAS_CAP - 10), TX_GAS_CAP);
        // Above the cap already: sent as estimated, for the node to refuse by name.
        assert_eq!(gas_limit(TX_GAS_CAP + 1), TX_GAS_CAP + 1);
    }
}
