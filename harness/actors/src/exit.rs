//! Exits to L1: rebuild the L2 state at the last final batch from L1 data
//! alone, then finalize withdrawals with proofs against that batch's root.
//! Nothing here reads the sequencer's memory.

use alloy::primitives::U256;
use bulwark_chain::{
    ChainError, Deployment, Sent, balance_of,
    bindings::{Bridge, Rollup},
    derive::{Rebuilt, rebuild},
    send,
};
use bulwark_engine::{State, TokenId, WithdrawalIndex};

use crate::wallet::L1Account;

/// Why an exit failed.
#[derive(Debug, thiserror::Error)]
pub enum ExitError {
    /// L1 failed, answered something malformed, or derivation disagreed with it.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The withdrawal is not in the final state.
    #[error("{index} is not in the state of final batch {batch}")]
    NotInFinalState { index: WithdrawalIndex, batch: u64 },
}

/// The L2 state at the last final batch, rebuilt from L1.
pub async fn final_state(
    account: &L1Account,
    deployment: &Deployment,
) -> Result<Rebuilt, ExitError> {
    let rollup = Rollup::new(deployment.rollup, &account.provider);
    let last_final = rollup
        .lastFinalized()
        .call()
        .await
        .map_err(|e| ChainError::contract("lastFinalized", &e))?;
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
        .ok_or(ExitError::NotInFinalState {
            index,
            batch: view.batch,
        })?;
    let bridge = Bridge::new(deployment.bridge, &account.provider);
    let call = bridge.finalizeWithdrawal(
        view.batch,
        (&view.state.preimage()).into(),
        (&proof.leaf).into(),
        proof.siblings.to_vec(),
    );
    Ok(send(call, "finalizeWithdrawal").await?)
}

/// What the Bridge holds of a token on L1.
pub async fn bridge_holdings(
    account: &L1Account,
    deployment: &Deployment,
    token: TokenId,
) -> Result<U256, ChainError> {
    let address = if token == TokenId::ETH {
        None
    } else {
        let bridge = Bridge::new(deployment.bridge, &account.provider);
        Some(
            bridge
                .tokenAddress(token.0)
                .call()
                .await
                .map_err(|e| ChainError::contract("tokenAddress", &e))?,
        )
    };
    balance_of(&account.provider, address, deployment.bridge).await
}

/// Sum of the L2 balances of `token` in `state`, in 256 bits so that no sum of
/// 128-bit balances can overflow.
pub fn l2_total(state: &State, token: TokenId) -> U256 {
    state
        .accounts()
        .filter(|(_, a)| a.token == token)
        .map(|(_, a)| U256::from(a.balance))
        .sum()
}
