//! Deploys the suite from one account, in nonce order: the Rollup, told
//! where the Bridge and the DisputeGame will land (the deployer's CREATE
//! addresses at nonce + 1 and + 3); the Bridge and the one-step verifier,
//! naming the Rollup; the DisputeGame, which checks the wiring.

use alloy::{
    contract::RawCallBuilder,
    primitives::{Address, U256},
    providers::Provider,
};

use crate::{
    ChainError,
    bindings::{Bridge, DemoToken, DisputeGame, IRollup, OneStepVerifier, Rollup},
    send,
};

/// The defaults `bulwark deploy` and `script/Deploy.s.sol` share for a public
/// network (PROTOCOL §0, §14.6, §16 and §17 say why each).
pub mod defaults {
    /// Challenge window: 7 days, as optimistic rollups on mainnet use.
    pub const WINDOW: u64 = 7 * 24 * 3_600;
    /// Chess clock per side: 3 days, so finality takes at most 13 days.
    pub const CLOCK: u64 = 3 * 24 * 3_600;
    /// Sequencer stake: 0.2 ETH.
    pub const STAKE: u128 = 2 * 10u128.pow(17);
    /// Challenge bond: 0.05 ETH.
    pub const CHALLENGE_BOND: u128 = 5 * 10u128.pow(16);
    /// Forced-inclusion deadline: a day, as Arbitrum's delayed inbox.
    pub const DEADLINE: u64 = 24 * 3_600;
    /// Longest guardian pause: 8 hours.
    pub const PAUSE: u64 = 8 * 3_600;
    /// Cooldown after a pause: a day, above `DEADLINE - PAUSE`.
    pub const COOLDOWN: u64 = 24 * 3_600;
}

/// Gas a deployment may need, with room: the four creations used 8.8M
/// together on anvil and the demo token less than 1M (the deploy test asserts
/// the total stays below this); a node also reserves each transaction's whole
/// limit, a quarter above its estimate, before running it. A key holding less
/// than this times the gas price is refused before anything is sent.
pub const DEPLOY_GAS: u64 = 16_000_000;

/// Protocol parameters fixed at deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeployParams {
    /// Who may commit batches.
    pub sequencer: Address,
    /// Challenge window, in seconds.
    pub window: u64,
    /// Stake a committer must hold, in wei.
    pub stake: U256,
    /// Bond each dispute game locks, in wei.
    pub challenge_bond: U256,
    /// Seconds on each side's chess clock in a dispute game.
    pub clock: u64,
    /// Who may pause commits and deposits and rotate the sequencer (a Safe
    /// multisig on any network that matters).
    pub guardian: Address,
    /// Seconds within which the tip must consume a queued message; past it
    /// anyone may freeze the rollup (PROTOCOL §16).
    pub deadline: u64,
    /// Longest guardian pause, in seconds; `deadline >= 2 * pause`.
    pub pause: u64,
    /// Seconds after a pause ends before the next may start;
    /// `cooldown >= deadline - pause`.
    pub cooldown: u64,
}

/// Where the suite lives and how it was configured.
#[derive(Clone, Debug)]
pub struct Deployment {
    /// The Rollup contract (also the EIP-712 verifying contract).
    pub rollup: Address,
    /// The Bridge contract (L1 message queue and withdrawals).
    pub bridge: Address,
    /// The one-step verifier the games call.
    pub verifier: Address,
    /// The DisputeGame contract.
    pub dispute: Address,
    /// A mintable demo ERC20, on devnets and testnets that asked for one.
    pub demo_token: Option<Address>,
    /// The L1 chain id, part of the EIP-712 domain.
    pub chain_id: u64,
    /// The block the Rollup was deployed in: history starts here.
    pub deploy_block: u64,
    /// The parameters the contracts were built with.
    pub params: DeployParams,
}

/// Deploys Rollup, Bridge, verifier and DisputeGame from `deployer`, whose
/// wallet `provider` carries.
pub async fn deploy<P: Provider + Clone>(
    provider: &P,
    deployer: Address,
    params: DeployParams,
) -> Result<Deployment, ChainError> {
    deploy_reporting(provider, deployer, params, |_| {}).await
}

/// [`deploy`], telling `progress` the name of each contract as its creation
/// is sent (on a public network each waits for a block).
pub async fn deploy_reporting<P: Provider + Clone>(
    provider: &P,
    deployer: Address,
    params: DeployParams,
    mut progress: impl FnMut(&'static str),
) -> Result<Deployment, ChainError> {
    let nonce = provider
        .get_transaction_count(deployer)
        .pending()
        .await
        .map_err(|e| ChainError::rpc("eth_getTransactionCount", e))?;
    let expected_bridge = deployer.create(nonce + 1);
    let expected_dispute = deployer.create(nonce + 3);

    let config = IRollup::Config {
        bridge: expected_bridge,
        dispute: expected_dispute,
        sequencer: params.sequencer,
        guardian: params.guardian,
        window: params.window,
        stake: params.stake,
        challengeBond: params.challenge_bond,
        deadline: params.deadline,
        pause: params.pause,
        cooldown: params.cooldown,
    };
    progress("Rollup");
    let rollup_tx = Rollup::deploy_builder(provider.clone(), config);
    let (rollup, deploy_block) = create(rollup_tx, "deploy Rollup").await?;
    progress("Bridge");
    let (bridge, _) = create(
        Bridge::deploy_builder(provider.clone(), rollup),
        "deploy Bridge",
    )
    .await?;
    check_address("Bridge", expected_bridge, bridge)?;
    progress("OneStepVerifier");
    let (verifier, _) = create(
        OneStepVerifier::deploy_builder(provider.clone(), rollup),
        "deploy OneStepVerifier",
    )
    .await?;
    progress("DisputeGame");
    let dispute_tx = DisputeGame::deploy_builder(provider.clone(), rollup, verifier, params.clock);
    let (dispute, _) = create(dispute_tx, "deploy DisputeGame").await?;
    check_address("DisputeGame", expected_dispute, dispute)?;
    let chain_id = provider
        .get_chain_id()
        .await
        .map_err(|e| ChainError::rpc("eth_chainId", e))?;
    Ok(Deployment {
        rollup,
        bridge,
        verifier,
        dispute,
        demo_token: None,
        chain_id,
        deploy_block,
        params,
    })
}

fn check_address(
    contract: &'static str,
    expected: Address,
    actual: Address,
) -> Result<(), ChainError> {
    if expected == actual {
        Ok(())
    } else {
        Err(ChainError::PredictedAddressMismatch {
            contract,
            expected,
            actual,
        })
    }
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
