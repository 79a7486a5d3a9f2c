//! Exits to L1: rebuild the L2 state at the last final batch from L1 data
//! alone, then finalize withdrawals with proofs against that batch's root.
//! Nothing here reads the sequencer's memory.

use alloy::primitives::U256;
use bulwark_chain::{
    ChainError, Deployment, Sent,
    bindings::{Bridge, Rollup, describe},
    derive::{Rebuilt, rebuild},
    send,
};
use bulwark_engine::WithdrawalIndex;

use crate::wallet::L1Account;

/// Why an exit failed.
#[derive(Debug, thiserror::Error)]
pub enum ExitError {
    /// L1 failed, answered something malformed, or derivation disagreed with it.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The withdrawal is not in the final state.
    #[error("withdrawal {index} is not in the state of final batch {batch}")]
    NotInFinalState { index: u32, batch: u64 },
}

/// The L2 state at the last final batch, rebuilt from L1.
pub async fn final_state(account: &L1Account, deployment: &Deployment) -> Result<Rebuilt, ExitError> {
    let rollup = Rollup::new(deployment.rollup, &account.provider);
    let last_final = rollup
        .lastFinalized()
        .call()
        .await
        .map_err(|e| ChainError::contract("lastFinalized", describe(&e)))?;
    Ok(rebuild(&account.provider, deployment, last_final).await?)
}

/// Finalizes withdrawal `index` on L1 from `account`, proving it against the
/// rebuilt final state. Anyone may send it; the Bridge pays the leaf's recipient.
pub async fn finalize_withdrawal(
    account: &L1Account,
    deployment: &Deployment,
    view: &Rebuilt,
    index: WithdrawalIndex,
) -> Result<Sent, ExitError> {
    let proof = view
        .state
        .withdrawal_proof(index)
        .ok_or(ExitError::NotInFinalState { index: index.0, batch: view.batch })?;
    let leaf = proof.leaf;
    let post = view.state.preimage();
    let bridge = Bridge::new(deployment.bridge, &account.provider);
    let call = bridge.finalizeWithdrawal(
        view.batch,
        Bridge::StatePreimage {
            accountsRoot: post.accounts_root,
            withdrawalsRoot: post.withdrawals_root,
            nextAccountIndex: post.next_account_index,
            msgsConsumed: post.msgs_consumed,
            withdrawalCount: post.withdrawal_count,
        },
        Bridge::WithdrawalLeaf {
            index: leaf.index.0,
            recipient: leaf.recipient,
            token: leaf.token.0,
            amount: leaf.amount,
        },
        proof.siblings.to_vec(),
    );
    Ok(send(call, "finalizeWithdrawal").await?)
}

/// What the Bridge holds of a token on L1 (token 0 is ETH).
pub async fn bridge_holdings(account: &L1Account, deployment: &Deployment, token: u32) -> Result<U256, ChainError> {
    let bridge = Bridge::new(deployment.bridge, &account.provider);
    if token == 0 {
        return bulwark_chain::node::eth_balance(&account.provider, deployment.bridge).await;
    }
    let address = bridge.tokenAddress(token).call().await.map_err(|e| ChainError::contract("tokenAddress", describe(&e)))?;
    let erc20 = bulwark_chain::bindings::DemoToken::new(address, &account.provider);
    erc20.balanceOf(deployment.bridge).call().await.map_err(|e| ChainError::contract("balanceOf", describe(&e)))
}
