//! Deploys the suite: the Rollup first, told where the Bridge will land (the
//! deployer's next CREATE address), then the Bridge pointing back at it. Both
//! hold the other's address as an immutable.

use alloy::{
    contract::RawCallBuilder,
    primitives::{Address, U256},
    providers::Provider,
};

use crate::{
    ChainError,
    bindings::{Bridge, DemoToken, Rollup},
    send,
};

/// Protocol parameters fixed at deployment.
#[derive(Clone, Debug)]
pub struct DeployParams {
    /// Who may commit batches.
    pub sequencer: Address,
    /// Challenge window, in seconds.
    pub window: u64,
    /// Bond posted with every commit, in wei.
    pub bond: U256,
}

/// Where the suite lives and how it was configured.
#[derive(Clone, Debug)]
pub struct Deployment {
    /// The Rollup contract (also the EIP-712 verifying contract).
    pub rollup: Address,
    /// The Bridge contract (L1 message queue and withdrawals).
    pub bridge: Address,
    /// The L1 chain id, part of the EIP-712 domain.
    pub chain_id: u64,
    /// The block the Rollup was deployed in: history starts here.
    pub deploy_block: u64,
    /// The parameters the contracts were built with.
    pub params: DeployParams,
}

/// Deploys Rollup and Bridge from `deployer`, whose wallet `provider` carries.
pub async fn deploy<P: Provider + Clone>(
    provider: &P,
    deployer: Address,
    params: DeployParams,
) -> Result<Deployment, ChainError> {
    let nonce = provider
        .get_transaction_count(deployer)
        .pending()
        .await
        .map_err(|e| ChainError::rpc("eth_getTransactionCount", e))?;
    let expected_bridge = deployer.create(nonce + 1);

    let rollup_tx = Rollup::deploy_builder(
        provider.clone(),
        expected_bridge,
        params.sequencer,
        params.window,
        params.bond,
    );
    let (rollup, deploy_block) = create(rollup_tx, "deploy Rollup").await?;
    let (bridge, _) = create(
        Bridge::deploy_builder(provider.clone(), rollup),
        "deploy Bridge",
    )
    .await?;
    if bridge != expected_bridge {
        return Err(ChainError::BridgeAddressMismatch {
            expected: expected_bridge,
            actual: bridge,
        });
    }
    let chain_id = provider
        .get_chain_id()
        .await
        .map_err(|e| ChainError::rpc("eth_chainId", e))?;
    Ok(Deployment {
        rollup,
        bridge,
        chain_id,
        deploy_block,
        params,
    })
}

/// Deploys a mintable ERC20 for demos and tests.
pub async fn deploy_demo_token<P: Provider + Clone>(
    provider: &P,
    name: &str,
    symbol: &str,
) -> Result<Address, ChainError> {
    let tx = DemoToken::deploy_builder(provider.clone(), name.to_owned(), symbol.to_owned());
    Ok(create(tx, "deploy DemoToken").await?.0)
}

/// Sends a contract creation; returns the new address and its block.
async fn create<P: Provider>(
    tx: RawCallBuilder<P>,
    label: &'static str,
) -> Result<(Address, u64), ChainError> {
    let sent = send(tx, label).await?;
    let address = sent.receipt.contract_address.ok_or(ChainError::NotMined {
        call: label,
        reason: format!("receipt of {} names no created contract", sent.tx),
    })?;
    Ok((address, sent.block))
}
