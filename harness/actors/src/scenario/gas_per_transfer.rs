//! L1 gas per L2 transfer, measured from commit receipts at several batch
//! sizes: the figure the rollup exists to make small. Under EIP-7623 a commit
//! pays at least the calldata floor (10 gas per zero byte, 40 per non-zero
//! byte), so each 128-byte record's share of the commit is what a transfer
//! costs on L1.

use bulwark_engine::{NEW_ACCOUNT, TokenId, Transfer};

use super::ScenarioError;
use crate::devnet::{Devnet, DevnetConfig};

/// One measured commit.
#[derive(Clone, Debug)]
pub struct Measurement {
    /// Transfers in the batch.
    pub transfers: usize,
    /// Gas of the commit transaction (receipt).
    pub commit_gas: u64,
    /// Calldata bytes of the commit.
    pub calldata: usize,
    /// Transfers the STF applied (all of them, if the measurement is honest).
    pub applied: usize,
}

impl Measurement {
    /// Commit gas divided by transfers.
    pub fn gas_per_transfer(&self) -> f64 {
        self.commit_gas as f64 / self.transfers as f64
    }
}

/// Commits one batch of `n` valid transfers for each size in `sizes`, on a
/// fresh devnet, and returns what each commit cost.
pub async fn measure(
    config: &DevnetConfig,
    sizes: &[usize],
) -> Result<Vec<Measurement>, ScenarioError> {
    let mut devnet = Devnet::start(config).await?;
    let d = devnet.deployment.clone();
    let users = devnet.users.clone();
    for user in &users {
        user.deposit_eth(&d, 10u128.pow(18), NEW_ACCOUNT).await?;
    }
    devnet.sequencer.commit(Vec::new()).await?;

    let state = devnet.sequencer.state().clone();
    let accounts = users
        .iter()
        .map(|u| {
            state
                .find_account(u.address(), TokenId::ETH)
                .map(|(index, _)| index)
                .ok_or_else(|| ScenarioError::Setup(format!("{} has no account", u.name)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut nonces = vec![0u32; users.len()];

    let mut out = Vec::with_capacity(sizes.len());
    for &n in sizes {
        let mut records = Vec::with_capacity(n);
        for i in 0..n {
            let from = i % users.len();
            let to = (i + 1) % users.len();
            // Realistic amounts: a few significant bytes, like 0.0123 ETH.
            let amount = 12_300_000_000_000 + i as u128;
            let tx = Transfer {
                from: accounts[from],
                to: accounts[to],
                token: TokenId::ETH,
                amount,
                fee: 0,
                nonce: nonces[from],
            };
            nonces[from] += 1;
            records.push(users[from].sign_transfer(&d, tx).await?.encode());
        }
        let report = devnet.sequencer.commit(records).await?;
        // Only the records count: this batch consumes no messages.
        let applied = report
            .steps
            .iter()
            .filter(|s| s.outcome.is_applied())
            .count()
            - report.messages as usize;
        out.push(Measurement {
            transfers: n,
            commit_gas: report.sent.gas_used,
            calldata: report.calldata,
            applied,
        });
    }
    Ok(out)
}
