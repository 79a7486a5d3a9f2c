//! The challenger as a long-running service: every interval it re-executes
//! the live batches from L1 alone, opens a game on the first whose claim is
//! false while its window is open, and makes every move due in its games
//! (reveals, picks, the one-step, timeouts, resolution). It keeps nothing
//! locally: a restart reads the games it is playing back from L1.

use std::time::Duration;

use alloy::{
    primitives::utils::format_ether, providers::Provider, signers::local::PrivateKeySigner,
};
use bulwark_actors::{
    dispute::challenger::{Challenger, ChallengerStrategy},
    wallet::L1Account,
};
use bulwark_chain::{
    ChainError, Deployment,
    follow::{FollowConfig, Follower},
};

use crate::{
    ServiceError,
    l2::{ReplayProgress, ReplayReport},
};

/// How the challenger service runs.
#[derive(Clone)]
pub struct ChallengerConfig {
    /// The deployment, already checked against the chain.
    pub deployment: Deployment,
    /// The L1 endpoint.
    pub rpc_url: String,
    /// The challenger's key; it posts the challenge bond from it.
    pub signer: PrivateKeySigner,
    /// Seconds between passes.
    pub interval: Duration,
    /// How L1 is followed (pages, confirmations).
    pub follow: FollowConfig,
    /// Told how far the start-up read of L1 is (a progress bar).
    pub on_replay: Option<ReplayReport>,
}

impl std::fmt::Debug for ChallengerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key stays out of logs.
        f.debug_struct("ChallengerConfig")
            .field("deployment", &self.deployment)
            .field("challenger", &self.signer.address())
            .field("interval", &self.interval)
            .field("follow", &self.follow)
            .finish_non_exhaustive()
    }
}

/// A started challenger.
pub struct ChallengerService {
    challenger: Challenger,
    interval: Duration,
}

impl ChallengerService {
    /// Checks that the key can post a challenge bond and reads L1's history
    /// (the first pass then starts from the confirmed head).
    pub async fn start(config: ChallengerConfig) -> Result<Self, ServiceError> {
        let account = L1Account::connect(&config.rpc_url, config.signer)?;
        let balance = account
            .provider
            .get_balance(account.address())
            .await
            .map_err(|e| ChainError::rpc("eth_getBalance", e))?;
        let bond = config.deployment.params.challenge_bond;
        if balance < bond {
            return Err(ServiceError::Unfunded {
                key: account.address(),
                holds: format_ether(balance),
                needs: format_ether(bond),
            });
        }
        let mut follower = Follower::new(&config.deployment, config.follow);
        let from = config.deployment.deploy_block;
        follower
            .poll_reporting(&account.provider, |block, to| {
                if let Some(report) = &config.on_replay {
                    report(ReplayProgress::Read { from, block, to });
                }
            })
            .await?;
        Ok(Self {
            challenger: Challenger::new(
                "challenger",
                account,
                config.deployment.clone(),
                ChallengerStrategy::Honest,
            )
            .with_follower(follower),
            interval: config.interval,
        })
    }

    /// Plays until `shutdown` completes; a pass that fails (an RPC error, a
    /// move that reverted) is logged and the next pass tries again.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        let mut ticks = tokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                _ = ticks.tick() => match self.challenger.tick().await {
                    Ok(moves) => {
                        for m in moves {
                            tracing::info!("{m}");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "challenger pass failed; retrying next interval"),
                },
            }
        }
        tracing::info!("challenger stopped");
    }
}
