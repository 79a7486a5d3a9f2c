//! The guardian (PROTOCOL §17): a Safe multisig whose owners sign, and an L1
//! account that relays what they signed. It may pause commits and deposits
//! for at most `PAUSE`, never within the cooldown, and rotate the sequencer;
//! nothing else. Tests drive it adversarially: [`Guardian::pause_at_worst`]
//! pauses just as a forced withdrawal waits to be consumed.

use alloy::{
    primitives::{Address, Bytes, keccak256},
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
};
use bulwark_chain::{ChainError, Deployment, Multisig, Sent, bindings::Rollup, dispute::l1_time};
use bulwark_engine::MessageKind;

use crate::{escape::oldest_unconsumed, wallet::L1Account};

/// The guardian: its Safe and the relayer that submits its transactions.
#[derive(Clone, Debug)]
pub struct Guardian {
    multisig: Multisig,
    relayer: L1Account,
}

impl Guardian {
    /// Deploys a `threshold`-of-`owners` Safe from `relayer`, with owner keys
    /// derived from `seed` (reproducible, and never funded: owners only sign).
    pub async fn deploy(
        relayer: L1Account,
        seed: &str,
        owners: usize,
        threshold: u64,
    ) -> Result<Self, ChainError> {
        let keys = (0..owners)
            .map(|i| {
                PrivateKeySigner::from_bytes(&keccak256(format!("{seed} owner {i}")))
                    .map_err(|e| ChainError::Sign(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let multisig = Multisig::deploy(&relayer.provider, keys, threshold).await?;
        Ok(Self { multisig, relayer })
    }

    /// The Safe's address: the Rollup's `GUARDIAN`.
    pub fn address(&self) -> Address {
        self.multisig.address()
    }

    /// The Safe and the owners' keys it holds.
    pub fn multisig(&self) -> &Multisig {
        &self.multisig
    }

    /// Pauses commits and deposits for `PAUSE` seconds.
    pub async fn pause(&self, deployment: &Deployment) -> Result<Sent, ChainError> {
        self.call(deployment, Rollup::pauseCall {}.abi_encode())
            .await
    }

    /// Ends the running pause early.
    pub async fn unpause(&self, deployment: &Deployment) -> Result<Sent, ChainError> {
        self.call(deployment, Rollup::unpauseCall {}.abi_encode())
            .await
    }

    /// Names `next` the sequencer (it must stake before it commits).
    pub async fn set_sequencer(
        &self,
        deployment: &Deployment,
        next: Address,
    ) -> Result<Sent, ChainError> {
        self.call(deployment, Rollup::setSequencerCall { next }.abi_encode())
            .await
    }

    /// The adversarial guardian: pauses the moment the oldest message the
    /// tip has not consumed is a forced withdrawal, if the cooldown allows.
    /// `None` when it had no such chance. Whatever it does, an honest
    /// sequencer still has `DEADLINE − PAUSE` to consume the message (§17).
    pub async fn pause_at_worst(
        &self,
        deployment: &Deployment,
    ) -> Result<Option<Sent>, ChainError> {
        let provider = &self.relayer.provider;
        let Some(oldest) = oldest_unconsumed(provider, deployment).await? else {
            return Ok(None);
        };
        if oldest.message.kind != MessageKind::ForcedWithdrawal.as_u8() {
            return Ok(None);
        }
        let next = Rollup::new(deployment.rollup, provider)
            .nextPauseAt()
            .call()
            .await
            .map_err(|e| ChainError::contract("nextPauseAt", &e))?;
        if l1_time(provider).await? < next {
            return Ok(None);
        }
        self.pause(deployment).await.map(Some)
    }

    /// Has the Safe call any contract: for tests showing what the guardian
    /// cannot do (every such call reverts with the target's own error).
    pub async fn exec(&self, to: Address, data: Vec<u8>) -> Result<Sent, ChainError> {
        self.multisig
            .exec(&self.relayer.provider, to, Bytes::from(data))
            .await
    }

    async fn call(&self, deployment: &Deployment, data: Vec<u8>) -> Result<Sent, ChainError> {
        self.exec(deployment.rollup, data).await
    }
}
