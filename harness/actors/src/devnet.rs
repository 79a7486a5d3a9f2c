//! A local devnet: an L1 node, the suite deployed on it, a demo ERC20, a
//! sequencer and funded users. Scenarios and end-to-end tests start here.

use alloy::primitives::{Address, U256};
use bulwark_chain::{
    ChainError, DeployParams, Deployment,
    bindings::{DemoToken, Rollup},
    deploy, deploy_demo_token,
    node::{L1Kind, L1Node, Snapshot, dev_signer},
    send,
};
use bulwark_engine::Header;

use crate::{
    dispute::{
        challenger::{Challenger, ChallengerStrategy},
        defender::{Defender, DefenderStrategy},
    },
    guardian::Guardian,
    sequencer::Sequencer,
    user::User,
    wallet::L1Account,
};

/// Dev key of the deployer; the sequencer and users take the next ones.
const DEPLOYER_KEY: usize = 0;
const SEQUENCER_KEY: usize = 1;
const FIRST_USER_KEY: usize = 2;

/// Settings of a devnet.
#[derive(Clone, Debug)]
pub struct DevnetConfig {
    /// Which L1 client to start.
    pub l1: L1Kind,
    /// Challenge window in seconds.
    pub window: u64,
    /// The sequencer's stake in wei (it stakes at start).
    pub stake: u128,
    /// Bond each dispute game locks, in wei.
    pub challenge_bond: u128,
    /// Seconds on each side's chess clock in a dispute game.
    pub clock: u64,
    /// Forced-inclusion deadline in seconds (PROTOCOL §16).
    pub deadline: u64,
    /// Longest guardian pause in seconds.
    pub pause: u64,
    /// Seconds after a pause before the next may start.
    pub cooldown: u64,
    /// Users to fund, by name (at most 8: the dev keys after deployer and sequencer).
    pub users: Vec<String>,
    /// Demo tokens each user gets minted on L1.
    pub token_mint: u128,
}

impl Default for DevnetConfig {
    fn default() -> Self {
        Self {
            l1: L1Kind::Anvil,
            window: 3_600,
            stake: 2 * 10u128.pow(17),
            challenge_bond: 5 * 10u128.pow(16),
            clock: 600,
            deadline: 1_800,
            pause: 600,
            cooldown: 1_200,
            users: ["alice", "bob", "carol"].map(String::from).to_vec(),
            token_mint: 1_000 * 10u128.pow(18),
        }
    }
}

/// A running devnet. Fields drop in order, so the node, declared last, stops
/// only after every provider connected to it is gone.
pub struct Devnet {
    /// Contract addresses and parameters.
    pub deployment: Deployment,
    /// The deployer (owns the demo token).
    pub deployer: L1Account,
    /// The sequencer.
    pub sequencer: Sequencer,
    /// The demo ERC20 on L1.
    pub token: Address,
    /// The guardian: a 3-of-5 Safe, relayed by the deployer.
    pub guardian: Guardian,
    /// Funded users, in the config's order.
    pub users: Vec<User>,
    /// The L1 node (stopped on drop).
    pub node: L1Node,
}

impl Devnet {
    /// Starts the node, deploys, funds users with the demo token.
    pub async fn start(config: &DevnetConfig) -> Result<Self, ChainError> {
        if config.users.len() > 8 {
            return Err(ChainError::NoDevKey(
                FIRST_USER_KEY + config.users.len() - 1,
            ));
        }
        let node = L1Node::start(config.l1).await?;
        let endpoint = node.endpoint();
        let deployer = L1Account::connect(&endpoint, dev_signer(DEPLOYER_KEY)?)?;
        let sequencer_account = L1Account::connect(&endpoint, dev_signer(SEQUENCER_KEY)?)?;
        // Deployed first: the Rollup names its guardian at construction.
        let guardian = Guardian::deploy(deployer.clone(), "bulwark devnet guardian", 5, 3).await?;
        let params = DeployParams {
            sequencer: sequencer_account.address(),
            window: config.window,
            stake: U256::from(config.stake),
            challenge_bond: U256::from(config.challenge_bond),
            clock: config.clock,
            guardian: guardian.address(),
            deadline: config.deadline,
            pause: config.pause,
            cooldown: config.cooldown,
        };
        let mut deployment = deploy(&deployer.provider, deployer.address(), params).await?;
        let rollup = Rollup::new(deployment.rollup, &sequencer_account.provider);
        send(rollup.stake().value(deployment.params.stake), "stake").await?;
        let token = deploy_demo_token(&deployer.provider, "Bulwark Demo Token", "BDT").await?;
        deployment.demo_token = Some(token);

        let mut users = Vec::with_capacity(config.users.len());
        let erc20 = DemoToken::new(token, &deployer.provider);
        for (i, name) in config.users.iter().enumerate() {
            let account = L1Account::connect(&endpoint, dev_signer(FIRST_USER_KEY + i)?)?;
            send(
                erc20.mint(account.address(), U256::from(config.token_mint)),
                "mint",
            )
            .await?;
            users.push(User::new(name.clone(), account));
        }
        let sequencer = Sequencer::new(sequencer_account, deployment.clone(), Header::default());
        Ok(Self {
            deployment,
            deployer,
            sequencer,
            token,
            guardian,
            users,
            node,
        })
    }

    /// The sequencer's L1 account (it also holds an L2 account for fees).
    pub fn sequencer_account(&self) -> &L1Account {
        self.sequencer.account()
    }

    /// A challenger played by `user` (its name and L1 account).
    pub fn challenger(&self, user: &User, strategy: ChallengerStrategy) -> Challenger {
        Challenger::new(
            user.name.clone(),
            user.l1.clone(),
            self.deployment.clone(),
            strategy,
        )
    }

    /// The sequencer's defender, revealing from the sequencer's claims.
    pub fn defender(&self, strategy: DefenderStrategy) -> Defender {
        Defender::new(
            self.sequencer_account().clone(),
            self.deployment.clone(),
            self.sequencer.claims(),
            strategy,
        )
    }

    /// Takes an L1 snapshot to come back to with [`restore`](Self::restore):
    /// property tests deploy once and reset between cases this way.
    pub async fn snapshot(&self) -> Result<Snapshot, ChainError> {
        bulwark_chain::node::snapshot(&self.deployer.provider).await
    }

    /// Restores L1 to `snapshot` and restarts the sequencer from the restored
    /// chain (its state rebuilt from L1, never kept from before the revert;
    /// its censorship and claims start empty). The snapshot is consumed.
    pub async fn restore(&mut self, snapshot: Snapshot) -> Result<(), ChainError> {
        bulwark_chain::node::revert_to(&self.deployer.provider, snapshot).await?;
        let header = self.sequencer.header().clone();
        self.sequencer = Sequencer::resume(
            self.sequencer.account().clone(),
            self.deployment.clone(),
            header,
        )
        .await?;
        Ok(())
    }

    /// Moves L1 time past the challenge window.
    pub async fn pass_window(&self) -> Result<u64, ChainError> {
        let seconds = self.deployment.params.window + 1;
        bulwark_chain::node::advance_time(&self.deployer.provider, seconds).await?;
        Ok(seconds)
    }
}
