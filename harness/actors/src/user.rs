//! An L2 user: deposits on L1, signs EIP-712 transfers and withdrawals with
//! its wallet, and finalizes its withdrawals on L1 with proofs.

use alloy::primitives::{Address, U256};
use bulwark_chain::{
    ChainError, Deployment, Sent,
    bindings::{Bridge, DemoToken},
    history::QueuedMessage,
    send,
};
use bulwark_engine::{SignedTransfer, SignedWithdraw, Transfer, Withdraw};

use crate::{typed_data, wallet::L1Account};

/// A user, named for the transcript.
#[derive(Clone, Debug)]
pub struct User {
    /// Name in the transcript.
    pub name: String,
    /// L1 key and connection.
    pub l1: L1Account,
}

/// A message (a deposit or a forced withdrawal) that reached the Bridge's queue.
#[derive(Clone, Debug)]
pub struct Queued {
    /// The message as queued (decoded from the receipt's log).
    pub message: QueuedMessage,
    /// The receipt.
    pub sent: Sent,
}

impl User {
    /// A user with an L1 account.
    pub fn new(name: impl Into<String>, l1: L1Account) -> Self {
        Self {
            name: name.into(),
            l1,
        }
    }

    /// The user's L1 address (also the owner of its L2 leaves).
    pub fn address(&self) -> Address {
        self.l1.address()
    }

    /// Deposits `amount` wei to `target` (an account index or `NEW_ACCOUNT`).
    pub async fn deposit_eth(
        &self,
        deployment: &Deployment,
        amount: u128,
        target: u64,
    ) -> Result<Queued, ChainError> {
        let bridge = Bridge::new(deployment.bridge, &self.l1.provider);
        let sent = send(
            bridge.depositETH(target).value(U256::from(amount)),
            "depositETH",
        )
        .await?;
        let message = QueuedMessage::from_receipt(&sent.receipt, deployment.bridge)?;
        Ok(Queued { message, sent })
    }

    /// Approves and deposits `amount` of an ERC20 to `target`.
    pub async fn deposit_erc20(
        &self,
        deployment: &Deployment,
        token: Address,
        amount: u128,
        target: u64,
    ) -> Result<Queued, ChainError> {
        let erc20 = DemoToken::new(token, &self.l1.provider);
        send(
            erc20.approve(deployment.bridge, U256::from(amount)),
            "approve",
        )
        .await?;
        let bridge = Bridge::new(deployment.bridge, &self.l1.provider);
        let sent = send(
            bridge.depositERC20(token, U256::from(amount), target),
            "depositERC20",
        )
        .await?;
        let message = QueuedMessage::from_receipt(&sent.receipt, deployment.bridge)?;
        Ok(Queued { message, sent })
    }

    /// Queues a forced withdrawal of `amount` of `token` from L2 account
    /// `account` (which this user must own, or the STF skips it): the way
    /// out when the sequencer ignores the user's signed withdrawals. The
    /// sequencer must consume it within the deadline or anyone may freeze
    /// the rollup (PROTOCOL §16).
    pub async fn force_withdrawal(
        &self,
        deployment: &Deployment,
        account: u32,
        token: u32,
        amount: u128,
    ) -> Result<Queued, ChainError> {
        let bridge = Bridge::new(deployment.bridge, &self.l1.provider);
        let sent = send(
            bridge.forceWithdrawal(u64::from(account), token, amount),
            "forceWithdrawal",
        )
        .await?;
        let message = QueuedMessage::from_receipt(&sent.receipt, deployment.bridge)?;
        Ok(Queued { message, sent })
    }

    /// Signs a transfer with the wallet's typed-data signing.
    pub async fn sign_transfer(
        &self,
        deployment: &Deployment,
        tx: Transfer,
    ) -> Result<SignedTransfer, ChainError> {
        let payload = typed_data::Transfer {
            from: tx.from.0,
            to: tx.to.0,
            token: tx.token.0,
            amount: tx.amount,
            fee: tx.fee,
            nonce: tx.nonce,
        };
        let signature = self.sign(deployment, &payload).await?;
        Ok(SignedTransfer { tx, signature })
    }

    /// Signs a withdrawal with the wallet's typed-data signing.
    pub async fn sign_withdraw(
        &self,
        deployment: &Deployment,
        tx: Withdraw,
    ) -> Result<SignedWithdraw, ChainError> {
        let payload = typed_data::Withdraw {
            from: tx.from.0,
            recipient: tx.recipient,
            amount: tx.amount,
            fee: tx.fee,
            nonce: tx.nonce,
        };
        let signature = self.sign(deployment, &payload).await?;
        Ok(SignedWithdraw { tx, signature })
    }

    async fn sign<T: alloy::sol_types::SolStruct + Send + Sync>(
        &self,
        deployment: &Deployment,
        payload: &T,
    ) -> Result<[u8; 65], ChainError> {
        let domain = typed_data::domain(deployment.chain_id, deployment.rollup);
        typed_data::sign(&self.l1.signer, payload, &domain)
            .await
            .map_err(|e| ChainError::Sign(e.to_string()))
    }
}
