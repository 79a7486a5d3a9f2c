//! The escape hatch from the users' side (PROTOCOL §16): a keeper that
//! freezes the rollup once the tip leaves a message unconsumed past the
//! deadline, and an exit helper that derives the pinned batch's state from L1
//! alone and builds every exit, withdrawal and refund out of it. Nothing here
//! reads the sequencer's memory, and nothing needs anyone's permission.

use alloy::{primitives::B256, providers::Provider};
use bulwark_chain::{
    ChainError, Deployment, Sent,
    bindings::{Bridge, Rollup},
    derive::rebuild,
    dispute::{batch as batch_record, l1_time},
    history::{Blocks, QueuedMessage, read_messages},
    send,
};
use bulwark_engine::{AccountIndex, AccountProof, MessageKind, State, WithdrawalIndex};

use crate::wallet::L1Account;

/// Why the escape hatch could not be used.
#[derive(Debug, thiserror::Error)]
pub enum EscapeError {
    /// L1 failed, answered something malformed, or derivation disagreed with it.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The rollup is not frozen: exits and refunds open only after a freeze.
    #[error("the rollup is not frozen: nothing to exit yet")]
    NotFrozen,
    /// The state derived from L1 is not the one the Bridge pinned.
    #[error("derived state of batch {batch} has root {derived}, the Bridge pinned {pinned}")]
    RootMismatch {
        /// The pinned batch.
        batch: u64,
        /// Root of the state rebuilt from L1.
        derived: B256,
        /// Root the Bridge pays against.
        pinned: B256,
    },
}

/// The oldest message the tip has not consumed, and when it falls due.
#[derive(Clone, Debug)]
pub struct Oldest {
    /// The message, as the Bridge queued it.
    pub message: QueuedMessage,
    /// The freeze is allowed once L1 time is strictly past this.
    pub due_at: u64,
}

/// The oldest message not consumed by the Rollup's tip, if any is queued.
pub async fn oldest_unconsumed<P: Provider>(
    provider: &P,
    deployment: &Deployment,
) -> Result<Option<Oldest>, ChainError> {
    let tip = Rollup::new(deployment.rollup, provider)
        .tip()
        .call()
        .await
        .map_err(|e| ChainError::contract("tip", &e))?;
    let consumed = batch_record(provider, deployment.rollup, tip)
        .await?
        .msgs_after;
    let blocks = Blocks::to_head(provider, deployment.deploy_block).await?;
    let queued = read_messages(provider, deployment.bridge, blocks).await?;
    Ok(queued
        .into_iter()
        .find(|m| m.index == consumed)
        .map(|message| Oldest {
            due_at: message.queued_at + deployment.params.deadline,
            message,
        }))
}

/// Freezes the rollup from `account` if a message is overdue; `None` when
/// none is (nothing queued, or the oldest is not yet due), or the rollup is
/// already frozen.
pub async fn freeze_if_overdue(
    account: &L1Account,
    deployment: &Deployment,
) -> Result<Option<Sent>, ChainError> {
    let provider = &account.provider;
    let rollup = Rollup::new(deployment.rollup, provider);
    let frozen = rollup
        .frozen()
        .call()
        .await
        .map_err(|e| ChainError::contract("frozen", &e))?;
    if frozen {
        return Ok(None);
    }
    let Some(oldest) = oldest_unconsumed(provider, deployment).await? else {
        return Ok(None);
    };
    if l1_time(provider).await? <= oldest.due_at {
        return Ok(None);
    }
    let sent = send(rollup.freeze((&oldest.message).into()), "freeze").await?;
    tracing::info!(
        overdue = oldest.message.index,
        gas = sent.gas_used,
        "froze the rollup"
    );
    Ok(Some(sent))
}

/// Everything still owed once the rollup froze, derived from L1 alone.
#[derive(Clone, Debug)]
pub struct EscapePlan {
    /// The pinned batch: the last final one at the freeze.
    pub batch: u64,
    /// Its state, rebuilt from L1 and checked against the pinned root.
    pub state: State,
    /// Account leaves with a balance that have not exited, with their proofs.
    pub exits: Vec<AccountProof>,
    /// Withdrawal leaves of the pinned state not yet paid.
    pub withdrawals: Vec<WithdrawalIndex>,
    /// Deposits the pinned batch did not consume, not yet refunded.
    pub refunds: Vec<QueuedMessage>,
}

/// What [`escape_all`] paid, and what it could not.
#[derive(Debug, Default)]
pub struct EscapeReport {
    /// Exits paid, by account index.
    pub exits: Vec<(AccountIndex, Sent)>,
    /// Withdrawals paid, by leaf index.
    pub withdrawals: Vec<(WithdrawalIndex, Sent)>,
    /// Deposits refunded, by queue index.
    pub refunds: Vec<(u64, Sent)>,
    /// Payouts that reverted (a recipient refusing ETH, say), with why. The
    /// others went ahead: one recipient never blocks another.
    pub failed: Vec<(String, ChainError)>,
}

/// Derives what is owed after the freeze: the pinned state from L1 (its root
/// must be the one the Bridge pays against), minus what was already paid.
pub async fn plan(account: &L1Account, deployment: &Deployment) -> Result<EscapePlan, EscapeError> {
    let provider = &account.provider;
    let bridge = Bridge::new(deployment.bridge, provider);
    let escape = bridge.escape().call().await.map_err(|e| {
        let err = ChainError::contract("escape", &e);
        match &err {
            ChainError::Contract {
                revert: bulwark_chain::bindings::Revert::Bridge(Bridge::BridgeErrors::NotFrozen(_)),
                ..
            } => EscapeError::NotFrozen,
            _ => EscapeError::Chain(err),
        }
    })?;
    let rebuilt = rebuild(provider, deployment, escape.finalBatch).await?;
    let derived = rebuilt.state.root();
    if rebuilt.batch != escape.finalBatch || derived != escape.stateRoot {
        return Err(EscapeError::RootMismatch {
            batch: escape.finalBatch,
            derived,
            pinned: escape.stateRoot,
        });
    }
    let state = rebuilt.state;

    let mut exits = Vec::new();
    for (index, leaf) in state.accounts() {
        if leaf.balance == 0 {
            continue;
        }
        let done = bridge
            .exited(index.0)
            .call()
            .await
            .map_err(|e| ChainError::contract("exited", &e))?;
        if !done && let Some(proof) = state.account_proof(index) {
            exits.push(proof);
        }
    }
    let mut withdrawals = Vec::new();
    for leaf in state.withdrawals() {
        let paid = bridge
            .paid(leaf.index.0)
            .call()
            .await
            .map_err(|e| ChainError::contract("paid", &e))?;
        if !paid {
            withdrawals.push(leaf.index);
        }
    }
    let blocks = Blocks::to_head(provider, deployment.deploy_block).await?;
    let mut refunds = Vec::new();
    for message in read_messages(provider, deployment.bridge, blocks).await? {
        if message.index < escape.msgsConsumed || message.kind != MessageKind::Deposit.as_u8() {
            continue;
        }
        let done = bridge
            .refunded(message.index)
            .call()
            .await
            .map_err(|e| ChainError::contract("refunded", &e))?;
        if !done {
            refunds.push(message);
        }
    }
    Ok(EscapePlan {
        batch: escape.finalBatch,
        state,
        exits,
        withdrawals,
        refunds,
    })
}

/// Sends the exit of one account leaf of the pinned state; the Bridge pays
/// the leaf's owner, whoever sends it.
pub async fn exit(
    account: &L1Account,
    deployment: &Deployment,
    plan: &EscapePlan,
    proof: &AccountProof,
) -> Result<Sent, ChainError> {
    let bridge = Bridge::new(deployment.bridge, &account.provider);
    let call = bridge.exit(
        (&plan.state.preimage()).into(),
        (&proof.leaf).into(),
        proof.index.0,
        proof.siblings.to_vec(),
    );
    send(call, "exit").await
}

/// Sends the refund of one unconsumed deposit to its L1 sender.
pub async fn refund(
    account: &L1Account,
    deployment: &Deployment,
    message: &QueuedMessage,
) -> Result<Sent, ChainError> {
    let bridge = Bridge::new(deployment.bridge, &account.provider);
    send(bridge.refund(message.into()), "refund").await
}

/// Finalizes withdrawal leaf `index` of the pinned state, proven against the
/// pinned batch (final, so the Bridge still pays it after the freeze).
pub async fn withdraw(
    account: &L1Account,
    deployment: &Deployment,
    plan: &EscapePlan,
    index: WithdrawalIndex,
) -> Result<Sent, ChainError> {
    let proof = plan
        .state
        .withdrawal_proof(index)
        .ok_or_else(|| ChainError::Rpc {
            method: "finalizeWithdrawal",
            reason: format!("{index} is not in the state of batch {}", plan.batch),
        })?;
    let bridge = Bridge::new(deployment.bridge, &account.provider);
    let call = bridge.finalizeWithdrawal(
        plan.batch,
        (&plan.state.preimage()).into(),
        (&proof.leaf).into(),
        proof.siblings.to_vec(),
    );
    send(call, "finalizeWithdrawal").await
}

/// Pays everything the plan holds from `account`: every exit, every unpaid
/// withdrawal (proven against the pinned batch) and every refund. A payout
/// that reverts is reported and the rest go on.
pub async fn escape_all(
    account: &L1Account,
    deployment: &Deployment,
) -> Result<EscapeReport, EscapeError> {
    let plan = plan(account, deployment).await?;
    let mut report = EscapeReport::default();
    for proof in &plan.exits {
        match exit(account, deployment, &plan, proof).await {
            Ok(sent) => report.exits.push((proof.index, sent)),
            Err(e) => report.failed.push((format!("exit of {}", proof.index), e)),
        }
    }
    for &index in &plan.withdrawals {
        match withdraw(account, deployment, &plan, index).await {
            Ok(sent) => report.withdrawals.push((index, sent)),
            Err(e) => report.failed.push((format!("withdrawal {index}"), e)),
        }
    }
    for message in &plan.refunds {
        match refund(account, deployment, message).await {
            Ok(sent) => report.refunds.push((message.index, sent)),
            Err(e) => report
                .failed
                .push((format!("refund of message {}", message.index), e)),
        }
    }
    tracing::info!(
        batch = plan.batch,
        exits = report.exits.len(),
        withdrawals = report.withdrawals.len(),
        refunds = report.refunds.len(),
        failed = report.failed.len(),
        "escape hatch used"
    );
    Ok(report)
}
