//! Deploys the suite: the Rollup first, told where the Bridge will land (the
//! deployer's next CREATE address), then the Bridge pointing back at it. Both
//! hold the other's address as an immutable.

use alloy::{
    primitives::{Address, U256},
    providers::Provider,
};

use crate::{
    ChainError,
    bindings::{Bridge, DemoToken, Rollup, describe},
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
        .await
        .map_err(|e| ChainError::rpc("eth_getTransactionCount", e))?;
    let expected_bridge = deployer.create(nonce + 1);

    let rollup = Rollup::deploy(provider.clone(), expected_bridge, params.sequencer, params.window, params.bond)
        .await
        .map_err(|e| ChainError::contract("deploy Rollup", describe(&e)))?;
    let bridge = Bridge::deploy(provider.clone(), *rollup.address())
        .await
        .map_err(|e| ChainError::contract("deploy Bridge", describe(&e)))?;
    if *bridge.address() != expected_bridge {
        return Err(ChainError::BridgeAddressMismatch { expected: expected_bridge, actual: *bridge.address() });
    }

    let chain_id = provider.get_chain_id().await.map_err(|e| ChainError::rpc("eth_chainId", e))?;
    let deploy_block = provider.get_block_number().await.map_err(|e| ChainError::rpc("eth_blockNumber", e))?;
    Ok(Deployment { rollup: *rollup.address(), bridge: expected_bridge, chain_id, deploy_block, params })
}

/// Deploys a mintable ERC20 for demos and tests.
pub async fn deploy_demo_token<P: Provider + Clone>(provider: &P, name: &str, symbol: &str) -> Result<Address, ChainError> {
    let token = DemoToken::deploy(provider.clone(), name.to_owned(), symbol.to_owned())
        .await
        .map_err(|e| ChainError::contract("deploy DemoToken", describe(&e)))?;
    Ok(*token.address())
}
