//! Finality, payouts, the guardian, the freeze and the escape hatch.

use alloy::primitives::{Address, U256};
use bulwark_chain::{ChainError, Sent, balance_of, bindings::Rollup, dispute, send};
use bulwark_engine::TokenId;

use super::{Failure, action::UserId, world::World};
use crate::{
    escape,
    exit::{ExitError, final_state, finalize_withdrawal},
};

impl World {
    /// Finalizes batches in order. The keeper on duty (`due_only`) finalizes
    /// every batch the model says is due and sends nothing else; the
    /// `finalize` action tries the next batch whatever the model says (so,
    /// after the keeper, it sees the refusal the model predicts).
    pub(super) async fn finalize(&mut self, due_only: bool) -> Result<(), Failure> {
        let rollup = Rollup::new(self.deployment().rollup, self.keeper().provider.clone());
        loop {
            let index = self.model.last_final + 1;
            let at = self.now().await? + 1;
            let expected = match self.model.batches.get(&index) {
                _ if self.model.frozen => Err("RollupFrozen"),
                None => Err("UnknownBatch"),
                Some(b) if at < b.commit_time + self.deployment().params.window => Err("NotFinal"),
                Some(b) if b.open_games > 0 => Err("GamesOpen"),
                Some(_) => Ok(()),
            };
            if due_only && expected.is_err() {
                return Ok(());
            }
            let result = send(rollup.finalizeBatch(index), "finalizeBatch").await;
            if self.expect("finalizeBatch", expected, result)?.is_none() {
                return Ok(());
            }
            let record =
                dispute::batch(&self.keeper().provider, self.deployment().rollup, index).await?;
            self.model.last_final = index;
            self.model.finals.insert(index, record.state_root);
            self.tally("batch finalized");
            self.log(format!("  batch {index} is final"));
        }
    }

    /// The keeper pays every final, unpaid withdrawal (anyone may: the Bridge
    /// pays the leaf's recipient), then replays the last one paid.
    pub(super) async fn payout(&mut self) -> Result<(), Failure> {
        let view = final_state(self.keeper(), self.deployment()).await?;
        let leaves: Vec<_> = view.state.withdrawals().copied().collect();
        let (keeper, d) = (self.keeper().clone(), self.deployment().clone());
        let finalize = |index| {
            let (keeper, d, view) = (&keeper, &d, &view);
            async move {
                finalize_withdrawal(keeper, d, view, index)
                    .await
                    .map_err(|e| match e {
                        ExitError::Chain(c) => c,
                        other => ChainError::Rpc {
                            method: "finalizeWithdrawal",
                            reason: other.to_string(),
                        },
                    })
            }
        };
        let mut last_paid = None;
        for leaf in leaves {
            if self.model.paid.contains(&leaf.index.0) {
                last_paid = Some(leaf.index);
                continue;
            }
            let before = self.l1_balance(leaf.token, leaf.recipient).await?;
            let sent = finalize(leaf.index).await;
            self.expect("finalizeWithdrawal", Ok(()), sent)?;
            self.paid_out(
                leaf.token,
                leaf.recipient,
                before,
                leaf.amount,
                "withdrawal",
            )
            .await?;
            self.model.paid.insert(leaf.index.0);
            last_paid = Some(leaf.index);
        }
        if let Some(index) = last_paid {
            let again = finalize(index).await;
            self.expect("finalizeWithdrawal replay", Err("AlreadyPaid"), again)?;
        }
        Ok(())
    }

    pub(super) async fn l1_balance(&self, token: TokenId, who: Address) -> Result<U256, Failure> {
        let address = (token != TokenId::ETH).then_some(self.devnet.token);
        Ok(balance_of(&self.keeper().provider, address, who).await?)
    }

    /// Checks `who` received exactly `amount` since `before`, and books it.
    pub(super) async fn paid_out(
        &mut self,
        token: TokenId,
        who: Address,
        before: U256,
        amount: u128,
        what: &str,
    ) -> Result<(), Failure> {
        let after = self.l1_balance(token, who).await?;
        if after != before + U256::from(amount) {
            return Err(Failure::Violated(format!(
                "a {what} of {amount} in {token} moved {who}'s L1 balance from {before} to {after}"
            )));
        }
        self.model.pay(token.0, amount);
        self.tally(format!("{what} paid"));
        let name = self
            .users
            .iter()
            .find(|u| u.address() == who)
            .map_or_else(|| who.to_string(), |u| u.name.clone());
        self.log(format!("  {what}: {amount} of {token} paid to {name}"));
        Ok(())
    }

    pub(super) async fn pause(&mut self) -> Result<(), Failure> {
        let at = self.now().await? + 1;
        let expected = if self.model.frozen {
            Err("RollupFrozen")
        } else if at < self.model.next_pause_at {
            Err("PauseInCooldown")
        } else {
            Ok(())
        };
        let result = self.devnet.guardian.pause(self.deployment()).await;
        if self.expect("pause", expected, result)?.is_some() {
            // Safe transactions are one block each: the pause starts at `at`.
            let (pause, cooldown) = (
                self.deployment().params.pause,
                self.deployment().params.cooldown,
            );
            self.tally("pause");
            self.model.paused_until = at + pause;
            self.model.next_pause_at = at + pause + cooldown;
        }
        Ok(())
    }

    pub(super) async fn unpause(&mut self) -> Result<(), Failure> {
        let at = self.now().await? + 1;
        let expected = if self.model.frozen {
            Err("RollupFrozen")
        } else if at >= self.model.paused_until {
            Err("NotPaused")
        } else {
            Ok(())
        };
        let result = self.devnet.guardian.unpause(self.deployment()).await;
        if self.expect("unpause", expected, result)?.is_some() {
            self.model.paused_until = at;
            self.tally("unpause");
        }
        Ok(())
    }

    pub(super) async fn rotate(&mut self) -> Result<(), Failure> {
        let next = 1 - self.model.sequencer;
        let expected = if self.model.frozen {
            Err("RollupFrozen")
        } else {
            Ok(())
        };
        let address = self.sequencers[next].address();
        let result = self
            .devnet
            .guardian
            .set_sequencer(self.deployment(), address)
            .await;
        if self.expect("setSequencer", expected, result)?.is_some() {
            self.model.sequencer = next;
            self.pool.clear();
            self.stale = true;
            self.tally("rotation");
            self.log(format!(
                "  sequencer {next} takes over at batch {}",
                self.model.tip
            ));
        }
        Ok(())
    }

    pub(super) async fn freeze(&mut self) -> Result<(), Failure> {
        // The keeper freezes once the newest block is past the deadline (its
        // transaction, in a later block, is then surely past it too).
        let at = self.now().await?;
        let expected = self
            .model
            .freezable_at(at, self.deployment().params.deadline);
        let sent = escape::freeze_if_overdue(self.keeper(), self.deployment()).await?;
        if sent.is_some() != expected {
            return Err(Failure::Violated(format!(
                "the keeper {} the rollup at {at}; the model says it is {}freezable",
                if sent.is_some() {
                    "froze"
                } else {
                    "could not freeze"
                },
                if expected { "" } else { "not " }
            )));
        }
        if sent.is_some() {
            self.model.freeze();
            self.tally("freeze");
            self.log(format!("  frozen at final batch {}", self.model.last_final));
        }
        Ok(())
    }

    pub(super) async fn escape(&mut self, user: UserId) -> Result<(), Failure> {
        if !self.model.frozen {
            return Ok(());
        }
        let u = self.user(user).clone();
        let plan = escape::plan(self.keeper(), self.deployment()).await?;
        let d = self.deployment().clone();
        let mut replay: Vec<(&'static str, &'static str, Result<Sent, ChainError>)> = Vec::new();
        let owned: Vec<_> = plan
            .state
            .accounts()
            .filter(|(i, a)| {
                a.owner == u.address() && a.balance > 0 && !self.model.exited.contains(&i.0)
            })
            .map(|(i, a)| (i, *a))
            .collect();
        for (index, leaf) in owned {
            let Some(proof) = plan.state.account_proof(index) else {
                continue;
            };
            let before = self.l1_balance(leaf.token, u.address()).await?;
            let sent = escape::exit(self.keeper(), &d, &plan, &proof).await;
            self.expect("exit", Ok(()), sent)?;
            self.paid_out(leaf.token, u.address(), before, leaf.balance, "exit")
                .await?;
            self.model.exited.insert(index.0);
            let again = escape::exit(self.keeper(), &d, &plan, &proof).await;
            replay.push(("exit replay", "AlreadyExited", again));
        }
        let leaves: Vec<_> = plan
            .state
            .withdrawals()
            .filter(|w| w.recipient == u.address() && !self.model.paid.contains(&w.index.0))
            .copied()
            .collect();
        for leaf in leaves {
            let before = self.l1_balance(leaf.token, u.address()).await?;
            let sent = escape::withdraw(self.keeper(), &d, &plan, leaf.index).await;
            self.expect("finalizeWithdrawal", Ok(()), sent)?;
            self.paid_out(leaf.token, u.address(), before, leaf.amount, "withdrawal")
                .await?;
            self.model.paid.insert(leaf.index.0);
        }
        let consumed = plan.state.preimage().msgs_consumed;
        let history = bulwark_chain::history::read_messages(
            &self.keeper().provider,
            d.bridge,
            bulwark_chain::history::Blocks::to_head(&self.keeper().provider, d.deploy_block)
                .await?,
        )
        .await?;
        for message in history {
            let m = &self.model.queue[message.index as usize];
            if message.index < consumed
                || !m.deposit
                || m.sender != u.address()
                || self.model.refunded.contains(&message.index)
            {
                continue;
            }
            let (token, amount) = (TokenId(m.token), m.amount);
            let before = self.l1_balance(token, u.address()).await?;
            let sent = escape::refund(self.keeper(), &d, &message).await;
            self.expect("refund", Ok(()), sent)?;
            self.paid_out(token, u.address(), before, amount, "refund")
                .await?;
            self.model.refunded.insert(message.index);
            let again = escape::refund(self.keeper(), &d, &message).await;
            replay.push(("refund replay", "AlreadyRefunded", again));
        }
        for (what, error, result) in replay {
            self.expect(what, Err(error), result)?;
        }
        Ok(())
    }
}
