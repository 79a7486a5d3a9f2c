//! Users and the sequencer: deposits, signed records, forced withdrawals, commits.

use alloy::primitives::Address;
use bulwark_chain::dispute;
use bulwark_engine::{
    AccountIndex, NEW_ACCOUNT, Record, RecordBytes, State, Step, TokenId, Transfer, Withdraw,
};

use super::{
    Failure,
    action::{Defense, Flaw, Lie, Target, Token, UNIT, UserId},
    model,
    world::{FEE, Pending, THEFT, World},
};
use crate::{dispute::fault::Fault, user::User};

impl World {
    pub(super) async fn deposit(
        &mut self,
        user: UserId,
        token: Token,
        units: u16,
        target: Target,
    ) -> Result<(), Failure> {
        let u = self.user(user).clone();
        let amount = u128::from(units) * UNIT;
        let state = self.devnet.sequencer.state().clone();
        let index = match target {
            Target::New => NEW_ACCOUNT,
            Target::Own => own(&state, &u, token).map_or(NEW_ACCOUNT, |i| u64::from(i.0)),
            Target::Other(o) => {
                own(&state, self.user(o), token).map_or(NEW_ACCOUNT, |i| u64::from(i.0))
            }
            Target::Missing => state.preimage().next_account_index + 7,
            Target::WrongToken => {
                let other = match token {
                    Token::Eth => Token::Bdt,
                    Token::Bdt => Token::Eth,
                };
                own(&state, &u, other).map_or(NEW_ACCOUNT, |i| u64::from(i.0))
            }
        };
        // An ERC20 deposit is its approval's block, then its own.
        let at = self.now().await? + if token == Token::Bdt { 2 } else { 1 };
        let expected = if self.model.frozen {
            Err("QueueClosed")
        } else if at < self.model.paused_until {
            Err("DepositsPausedUntil")
        } else if amount == 0 {
            Err("ZeroAmount")
        } else {
            Ok(())
        };
        let d = self.deployment().clone();
        let sent = match token {
            Token::Eth => u.deposit_eth(&d, amount, index).await,
            Token::Bdt => u.deposit_erc20(&d, self.devnet.token, amount, index).await,
        };
        let queued = self.expect("deposit", expected, sent)?;
        if let Some(q) = queued {
            self.model.queue.push(model::Queued {
                sender: u.address(),
                deposit: true,
                token: token.id(),
                amount,
                queued_at: q.message.queued_at,
            });
            self.model.hold(token.id(), amount);
            self.tally("deposit queued");
            self.log(format!("  queued message {}", q.message.index));
        }
        Ok(())
    }

    pub(super) async fn force_withdrawal(
        &mut self,
        user: UserId,
        token: Token,
        units: u16,
        own_account: bool,
    ) -> Result<(), Failure> {
        let u = self.user(user).clone();
        let state = self.devnet.sequencer.state().clone();
        let whose = if own_account {
            u.clone()
        } else {
            self.user(user + 1).clone()
        };
        let account = own(&state, &whose, token).map_or(0, |i| i.0);
        let amount = u128::from(units) * UNIT;
        let expected = if self.model.frozen {
            Err("QueueClosed")
        } else if amount == 0 {
            Err("ZeroAmount")
        } else {
            Ok(())
        };
        let d = self.deployment().clone();
        let sent = u.force_withdrawal(&d, account, token.id(), amount).await;
        if let Some(q) = self.expect("forceWithdrawal", expected, sent)? {
            self.model.queue.push(model::Queued {
                sender: u.address(),
                deposit: false,
                token: token.id(),
                amount: 0,
                queued_at: q.message.queued_at,
            });
            self.tally("forced withdrawal queued");
            self.log(format!("  queued message {}", q.message.index));
        }
        Ok(())
    }

    /// Signs a transfer (`to` some user) or a withdrawal (`to` none) into the pool.
    pub(super) async fn transfer(
        &mut self,
        from: UserId,
        to: Option<UserId>,
        token: Token,
        units: u16,
        fee: bool,
        flaw: Flaw,
    ) -> Result<(), Failure> {
        let state = self.devnet.sequencer.state().clone();
        let payer = self.user(from).clone();
        let Some(from_index) = own(&state, &payer, token) else {
            self.log(format!(
                "  {} has no {token} account: nothing signed",
                payer.name
            ));
            return Ok(());
        };
        let Some(leaf) = state.account(from_index).copied() else {
            return Ok(());
        };
        let queued = self
            .pool
            .iter()
            .filter(|p| p.flaw == Flaw::None && !p.zero_withdraw)
            .filter(|p| signer_account(&p.record) == Some(from_index))
            .count() as u32;
        let mut nonce = leaf.nonce + queued;
        let mut amount = u128::from(units) * UNIT;
        let signer = match flaw {
            Flaw::WrongSigner => self.user(from + 1).clone(),
            _ => payer.clone(),
        };
        match flaw {
            // Below the committed nonce: stale whatever the pool holds.
            Flaw::StaleNonce if leaf.nonce > 0 => nonce = leaf.nonce - 1,
            Flaw::StaleNonce => nonce += 1_000,
            // More than all the ETH and BDT there is: an overdraft whatever reaches the account first.
            Flaw::Overdraft => amount = leaf.balance + 10u128.pow(30),
            _ => {}
        }
        let fee = if fee { FEE } else { 0 };
        let d = self.deployment().clone();
        let record = match to {
            Some(to) => {
                let Some(to_index) = own(&state, self.user(to), token) else {
                    self.log("  the payee has no account in that token: nothing signed");
                    return Ok(());
                };
                let tx = Transfer {
                    from: from_index,
                    to: to_index,
                    token: TokenId(token.id()),
                    amount,
                    fee,
                    nonce,
                };
                signer.sign_transfer(&d, tx).await?.encode()
            }
            None => {
                let tx = Withdraw {
                    from: from_index,
                    recipient: payer.address(),
                    amount,
                    fee,
                    nonce,
                };
                signer.sign_withdraw(&d, tx).await?.encode()
            }
        };
        let mut record = record;
        if flaw == Flaw::Malformed {
            record[record.len() - 1] = 0xff;
        }
        let zero_withdraw = to.is_none() && amount == 0;
        self.pool.push(Pending {
            record,
            flaw,
            zero_withdraw,
        });
        self.tally(if to.is_some() {
            "transfer signed"
        } else {
            "withdrawal signed"
        });
        Ok(())
    }

    pub(super) async fn commit(&mut self, lie: Option<(Lie, Defense)>) -> Result<(), Failure> {
        if self.stale {
            self.log("  the sequencer waits for the false batch below it to fall");
            return Ok(());
        }
        let current = self.model.sequencer;
        let messages = if self.model.frozen {
            Vec::new()
        } else {
            self.devnet.sequencer.pending_messages().await?
        };
        if messages.is_empty() && self.pool.is_empty() {
            self.log("  nothing to commit");
            return Ok(());
        }
        if !self.model.staked[current] && !self.model.frozen {
            self.devnet.sequencer.stake().await?;
            self.model.staked[current] = true;
            self.log("  the sequencer stakes again");
        }
        let at = self.now().await? + 1;
        let expected = if self.model.frozen {
            Err("RollupFrozen")
        } else if at < self.model.paused_until {
            Err("CommitsPaused")
        } else {
            Ok(())
        };
        let records: Vec<RecordBytes> = self.pool.iter().map(|p| p.record).collect();
        let fault = lie.map(|(lie, _)| fault(lie, self.mallory.address()));
        let result = self
            .devnet
            .sequencer
            .commit_claiming(records.clone(), fault)
            .await;
        let result = match result {
            Ok(report) => Ok(report),
            Err(crate::sequencer::SequencerError::Chain(e)) => Err(e),
            Err(e) => return Err(e.into()),
        };
        let Some(report) = self.expect("commitBatch", expected, result)? else {
            return Ok(());
        };
        let pool = std::mem::take(&mut self.pool);
        let record_steps = report
            .steps
            .iter()
            .filter(|s| matches!(s.input, Step::Record(_)));
        for (pending, step) in pool.iter().zip(record_steps) {
            let skip = step.outcome.skip_reason().map(|r| r.name());
            let fine = if pending.zero_withdraw && pending.flaw != Flaw::Malformed {
                skip == Some("ZeroAmount")
            } else {
                matches!(
                    (pending.flaw, skip),
                    (Flaw::None, None | Some("Overdraft" | "BadNonce"))
                        | (Flaw::StaleNonce, Some("BadNonce"))
                        | (Flaw::WrongSigner, Some("WrongSigner"))
                        | (Flaw::Overdraft, Some("Overdraft" | "BadNonce"))
                        | (Flaw::Malformed, Some("NonZeroPadding"))
                )
            };
            if !fine {
                return Err(Failure::Violated(format!(
                    "batch {} step {} ({}) was {} though the record was signed {:?}",
                    report.batch,
                    step.step,
                    step.input,
                    step.outcome.name(),
                    pending.flaw
                )));
            }
        }
        let record = dispute::batch(
            &self.keeper().provider,
            self.deployment().rollup,
            report.batch,
        )
        .await?;
        self.model.tip = report.batch;
        self.model.batches.insert(
            report.batch,
            model::Batch {
                epoch: self.model.epoch,
                commit_time: record.commit_time,
                msgs_after: record.msgs_after,
                honest: lie.is_none(),
                committer: current,
                open_games: 0,
            },
        );
        // On anvil every block is one second after the last: the commit lands at exactly
        // `at`. Hardhat's node stamps by its clock: no earlier than `at`.
        let stamped_as_predicted = if self.exact_time {
            record.commit_time == at
        } else {
            record.commit_time >= at
        };
        if record.epoch != self.model.epoch || !stamped_as_predicted {
            return Err(Failure::Violated(format!(
                "batch {} committed at {} in epoch {}, the model expected {at} and epoch {}",
                report.batch, record.commit_time, record.epoch, self.model.epoch
            )));
        }
        if let Some((_, defense)) = lie {
            self.lies.insert((report.batch, record.epoch), defense);
        }
        self.tally(if lie.is_some() {
            "false batch committed"
        } else {
            "batch committed"
        });
        let applied = report
            .steps
            .iter()
            .filter(|s| s.outcome.is_applied())
            .count();
        *self.coverage.entry("steps applied".into()).or_default() += applied as u64;
        self.log(format!(
            "  batch {}: {} messages, {} records{} ({} gas)",
            report.batch,
            report.messages,
            report.records,
            if lie.is_some() { ", lying" } else { "" },
            report.sent.gas_used
        ));
        // What an auditor asks of a batch: which steps the STF skipped, and why.
        for step in report.steps.iter().filter(|s| !s.outcome.is_applied()) {
            self.log(format!("    step {}: {}", step.step, step.outcome));
        }
        Ok(())
    }

    /// After a lost game rewound the Rollup below the sequencer's tip, the
    /// sequencer restarts from L1 (its claims kept, for batches still live).
    pub(super) async fn follow_rewinds(&mut self) -> Result<(), Failure> {
        if self.model.frozen {
            return Ok(());
        }
        if self.stale || self.devnet.sequencer.tip() > self.model.tip {
            if self.model.batches.values().any(|b| !b.honest) {
                self.stale = true;
                return Ok(());
            }
            self.stale = false;
            self.devnet.sequencer = self.sequencer_for(self.model.sequencer).await?;
            self.pool.clear();
            self.log(format!(
                "  the sequencer restarts from L1 at batch {}",
                self.model.tip
            ));
        }
        Ok(())
    }
}

/// `user`'s account in `token`, if it has one.
pub(super) fn own(state: &State, user: &User, token: Token) -> Option<AccountIndex> {
    state
        .find_account(user.address(), TokenId(token.id()))
        .map(|(i, _)| i)
}

/// The account a signed record debits.
pub(super) fn signer_account(record: &RecordBytes) -> Option<AccountIndex> {
    match Record::decode(record) {
        Record::Transfer(t) => Some(t.tx.from),
        Record::Withdraw(w) => Some(w.tx.from),
        _ => None,
    }
}

pub(super) fn fault(lie: Lie, thief: Address) -> Fault {
    match lie {
        Lie::From(step) => Fault::PostRootFrom {
            step: usize::from(step),
            thief,
            amount: THEFT,
        },
        Lie::StateRootOnly => Fault::StateRootOnly {
            thief,
            amount: THEFT,
        },
        Lie::TraceOnly(step) => Fault::TraceOnly {
            step: usize::from(step),
        },
        Lie::Garbage => Fault::GarbageTrace {
            thief,
            amount: THEFT,
        },
    }
}
