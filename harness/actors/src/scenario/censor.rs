//! Censorship and the escape hatch, narrated (PROTOCOL §16–§17): users
//! deposit and transact, batch 1 is final and batch 2 pending when the
//! sequencer starts censoring bob. His forced withdrawal stalls the queue
//! (messages are consumed in order); its deadline passes; a keeper freezes
//! the rollup, which pins the last final batch and drops the pending ones.
//! Commits, deposits and the guardian are refused from then on. The keeper's
//! exit helper derives the pinned state from L1 alone and pays every exit,
//! withdrawal and refund; each user's L1 gain equals what the pinned batch
//! owes them, transfers of the dropped batches are gone, and the Bridge ends
//! with nothing.

use std::collections::{BTreeMap, BTreeSet};

use alloy::primitives::{Address, U256};
use bulwark_chain::{
    ChainError, balance_of,
    bindings::{Bridge, Rollup},
    dispute::l1_time,
    node::advance_time,
    send,
};
use bulwark_engine::{AccountIndex, MessageKind, NEW_ACCOUNT, State, TokenId, Transfer, Withdraw};

use super::{ScenarioError, expect_refused, narrate_commit};
use crate::{
    devnet::{Devnet, DevnetConfig},
    escape::{self, freeze_if_overdue, oldest_unconsumed},
    exit::bridge_holdings,
    sequencer::Censorship,
    transcript::{Event, Transcript, signed_units, units},
    user::User,
};

const ETH: u128 = 10u128.pow(18);

/// The users this scenario needs, in order; the last one is the keeper, who
/// freezes the rollup and runs the exit helper for everyone.
pub const USERS: [&str; 4] = ["alice", "bob", "carol", "keeper"];

/// One user's L1 gain in one token over the escape, beside what the pinned
/// batch owes them.
#[derive(Clone, Debug)]
pub struct Gain {
    /// The user.
    pub user: String,
    /// The token's symbol (`ETH`, `BDT`).
    pub symbol: String,
    /// Their balance in the pinned batch, plus its unpaid withdrawals to
    /// them, plus their deposits the pinned batch never consumed.
    pub owed: U256,
    /// Their L1 balance after the escape minus before, read from the chain.
    pub gained: U256,
}

/// Gas of the censorship scenario's L1 transactions, from receipts.
#[derive(Clone, Debug, Default)]
pub struct EscapeGas {
    /// Bob's `forceWithdrawal`.
    pub forced_withdrawal: u64,
    /// The keeper's `freeze`.
    pub freeze: u64,
    /// Each exit: (account index, gas).
    pub exits: Vec<(u32, u64)>,
    /// Each withdrawal paid after the freeze: (leaf index, gas).
    pub withdrawals: Vec<(u32, u64)>,
    /// Each refund: (queue index, gas).
    pub refunds: Vec<(u64, u64)>,
}

/// What the scenario leaves behind for callers to assert on.
#[derive(Debug)]
pub struct Outcomes {
    /// The tip when the keeper froze the rollup.
    pub tip_at_freeze: u64,
    /// The pinned batch: the last final one at the freeze.
    pub pinned: u64,
    /// Each user's gain per token (alice, bob, carol; ETH then BDT).
    pub gains: Vec<Gain>,
    /// What the Bridge holds of each token at the end, by symbol.
    pub bridge_after: Vec<(String, U256)>,
    /// Actions refused, with the error each reverted with: (action, error).
    pub refused: Vec<(String, String)>,
    /// Gas figures.
    pub gas: EscapeGas,
    /// Checks that failed (empty on success).
    pub failed_checks: Vec<String>,
}

/// Runs the censorship scenario on a fresh devnet, recording into
/// `transcript`. The config must name at least four users ([`USERS`]).
pub async fn run(
    config: &DevnetConfig,
    transcript: &mut Transcript,
) -> Result<Outcomes, ScenarioError> {
    transcript.push(Event::Stage(format!("Deploying to {}", config.l1)));
    let mut devnet = Devnet::start(config).await?;
    let d = devnet.deployment.clone();
    let [alice, bob, carol, keeper] = match devnet.users.as_slice() {
        [a, b, c, k, ..] => [a.clone(), b.clone(), c.clone(), k.clone()],
        _ => {
            return Err(ScenarioError::Setup(format!(
                "the censorship scenario needs four users ({})",
                USERS.join(", ")
            )));
        }
    };
    let provider = keeper.l1.provider.clone();
    let rollup = Rollup::new(d.rollup, &provider);
    let call = |name: &'static str| move |e: alloy::contract::Error| ChainError::contract(name, &e);
    transcript.push(Event::Deployed {
        l1: config.l1.to_string(),
        rollup: d.rollup,
        bridge: d.bridge,
        chain_id: d.chain_id,
        window: d.params.window,
        stake: u128::try_from(d.params.stake).unwrap_or(u128::MAX),
    });
    let deadline = rollup.DEADLINE().call().await.map_err(call("DEADLINE"))?;
    let pause = rollup.PAUSE().call().await.map_err(call("PAUSE"))?;
    let cooldown = rollup.COOLDOWN().call().await.map_err(call("COOLDOWN"))?;
    transcript.push(Event::Line(format!(
        "forced-inclusion deadline {deadline} s; the guardian (a Safe) may pause for at most {pause} s, \
         then not again for {cooldown} s"
    )));
    let token = devnet.token;
    let symbol = |t: TokenId| if t == TokenId::ETH { "ETH" } else { "BDT" };
    let mut refused = Vec::new();

    // --- Deposits, and batch 1, which becomes final -------------------------
    transcript.push(Event::Stage("Deposits on L1".into()));
    // Deposits to new accounts take the next indices in queue order: alice's
    // ETH is account #0, her BDT #1, bob's ETH #2.
    let (a_eth, b_eth) = (AccountIndex(0), AccountIndex(2));
    deposit(transcript, &d, &alice, None, 5 * ETH).await?;
    deposit(transcript, &d, &alice, Some(token), 100 * ETH).await?;
    deposit(transcript, &d, &bob, None, ETH).await?;

    transcript.push(Event::Stage(
        "Batch 1: the deposits, a transfer and a withdrawal; then final".into(),
    ));
    let t1 = alice
        .sign_transfer(
            &d,
            Transfer {
                from: a_eth,
                to: b_eth,
                token: TokenId::ETH,
                amount: 2 * ETH,
                fee: 0,
                nonce: 0,
            },
        )
        .await?;
    submit(transcript, &alice, "2 ETH to bob");
    let w1 = alice
        .sign_withdraw(
            &d,
            Withdraw {
                from: a_eth,
                recipient: alice.address(),
                amount: ETH,
                fee: 0,
                nonce: 1,
            },
        )
        .await?;
    submit(
        transcript,
        &alice,
        "withdraw 1 ETH to L1 (she leaves it unpaid for now)",
    );
    let report = devnet
        .sequencer
        .commit(vec![t1.encode(), w1.encode()])
        .await?;
    narrate_commit(transcript, &report);
    let seconds = devnet.pass_window().await?;
    transcript.push(Event::TimeTravel { seconds });
    let sent = send(rollup.finalizeBatch(report.batch), "finalizeBatch").await?;
    transcript.push(Event::Finalized {
        batch: report.batch,
        gas: sent.gas_used,
    });

    // --- Batch 2, pending ------------------------------------------------------
    transcript.push(Event::Stage(
        "Batch 2 (pending): a deposit and a transfer".into(),
    ));
    deposit(transcript, &d, &carol, None, 3 * ETH).await?;
    let t2 = bob
        .sign_transfer(
            &d,
            Transfer {
                from: b_eth,
                to: a_eth,
                token: TokenId::ETH,
                amount: ETH,
                fee: 0,
                nonce: 0,
            },
        )
        .await?;
    submit(transcript, &bob, "1 ETH to alice");
    let report = devnet.sequencer.commit(vec![t2.encode()]).await?;
    narrate_commit(transcript, &report);

    // --- Censorship ------------------------------------------------------------
    transcript.push(Event::Stage(
        "The sequencer censors bob's forced withdrawal".into(),
    ));
    devnet
        .sequencer
        .set_censorship(Censorship::Senders([bob.address()].into()));
    transcript.push(Event::Line(
        "the sequencer stops consuming bob's L1 messages; messages are consumed in queue order, \
         so the whole queue stalls behind his"
            .into(),
    ));
    let forced = bob
        .force_withdrawal(&d, b_eth.0, TokenId::ETH.0, ETH)
        .await?;
    transcript.push(Event::ForcedWithdrawal {
        user: bob.name.clone(),
        account: u64::from(b_eth.0),
        symbol: "ETH".into(),
        amount: ETH,
        message: forced.message.index,
        queued_at: forced.message.queued_at,
        deadline,
        gas: forced.sent.gas_used,
    });
    let forced_what = "bob's forced withdrawal".to_owned();
    deposit(transcript, &d, &carol, Some(token), 50 * ETH).await?;
    let t3 = alice
        .sign_transfer(
            &d,
            Transfer {
                from: a_eth,
                to: b_eth,
                token: TokenId::ETH,
                amount: ETH / 2,
                fee: 0,
                nonce: 2,
            },
        )
        .await?;
    submit(transcript, &alice, "0.5 ETH to bob");
    let report = devnet.sequencer.commit(vec![t3.encode()]).await?;
    narrate_commit(transcript, &report);
    let dropped_view = devnet.sequencer.state().clone();
    let oldest = oldest_unconsumed(&provider, &d).await?.ok_or_else(|| {
        ScenarioError::Setup("no message waits: the censorship did not stall the queue".into())
    })?;
    transcript.push(Event::Check {
        what: format!(
            "batch {} consumed no message: the queue stalls at message #{} ({forced_what})",
            report.batch, oldest.message.index
        ),
        ok: report.messages == 0 && oldest.message.index == forced.message.index,
    });
    transcript.push(Event::Deadline {
        message: oldest.message.index,
        what: forced_what.clone(),
        due_at: oldest.due_at,
        now: l1_time(&provider).await?,
    });
    let early = send(rollup.freeze((&oldest.message).into()), "freeze").await;
    let e = expect_refused(
        transcript,
        "keeper",
        "a freeze before the deadline",
        early,
        "NotOverdue",
    );
    refused.push(("an early freeze".to_owned(), e));

    // --- The deadline passes ---------------------------------------------------
    transcript.push(Event::Stage("The deadline passes".into()));
    let seconds = (oldest.due_at + 1).saturating_sub(l1_time(&provider).await?);
    advance_time(&provider, seconds).await?;
    transcript.push(Event::Waited {
        seconds,
        until: format!(
            "one second past message #{}'s deadline",
            oldest.message.index
        ),
    });
    transcript.push(Event::Deadline {
        message: oldest.message.index,
        what: forced_what,
        due_at: oldest.due_at,
        now: l1_time(&provider).await?,
    });

    // --- The freeze ------------------------------------------------------------
    transcript.push(Event::Stage("A keeper freezes the rollup".into()));
    let tip_at_freeze = rollup.tip().call().await.map_err(call("tip"))?;
    let frozen = freeze_if_overdue(&keeper.l1, &d)
        .await?
        .ok_or_else(|| ScenarioError::Setup("the keeper found nothing overdue".into()))?;
    let frozen_at = l1_time(&provider).await?;
    let pinned = rollup.tip().call().await.map_err(call("tip"))?;
    let last_final = rollup
        .lastFinalized()
        .call()
        .await
        .map_err(call("lastFinalized"))?;
    transcript.push(Event::Frozen {
        by: keeper.name.clone(),
        message: oldest.message.index,
        overdue_by: frozen_at.saturating_sub(oldest.due_at),
        pinned,
        dropped_tip: tip_at_freeze,
        gas: frozen.gas_used,
    });
    let bridge = Bridge::new(d.bridge, &provider);
    let escape_state = bridge.escape().call().await.map_err(call("escape"))?;
    transcript.push(Event::Line(format!(
        "the Bridge pins batch {}: state root {:#x}, {} messages consumed; deposits from message #{} on are refundable",
        escape_state.finalBatch,
        escape_state.stateRoot,
        escape_state.msgsConsumed,
        escape_state.msgsConsumed
    )));
    let is_frozen = rollup.frozen().call().await.map_err(call("frozen"))?;
    transcript.push(Event::Check {
        what: format!(
            "the rollup is frozen at batch {pinned}, the last final one, and the Bridge pays against it"
        ),
        ok: is_frozen && pinned == last_final && escape_state.finalBatch == pinned,
    });

    // Nothing moves any more, and the guardian has nothing left to guard.
    let result = devnet.sequencer.commit(vec![[0u8; 128]]).await;
    let e = expect_refused(
        transcript,
        "the sequencer",
        "a commit",
        result,
        "RollupFrozen",
    );
    refused.push(("a commit".to_owned(), e));
    let result = send(rollup.finalizeBatch(pinned + 1), "finalizeBatch").await;
    let e = expect_refused(
        transcript,
        "keeper",
        &format!("finalizing batch {}", pinned + 1),
        result,
        "RollupFrozen",
    );
    refused.push(("a finalization".to_owned(), e));
    let result = alice.deposit_eth(&d, ETH, u64::from(a_eth.0)).await;
    let e = expect_refused(
        transcript,
        "alice",
        "a deposit of 1 ETH",
        result,
        "QueueClosed",
    );
    refused.push(("a deposit".to_owned(), e));
    let result = alice
        .force_withdrawal(&d, a_eth.0, TokenId::ETH.0, ETH)
        .await;
    let e = expect_refused(
        transcript,
        "alice",
        "a forced withdrawal",
        result,
        "QueueClosed",
    );
    refused.push(("a forced withdrawal".to_owned(), e));
    let result = devnet.guardian.pause(&d).await;
    let e = expect_refused(
        transcript,
        "the guardian",
        "a pause",
        result,
        "RollupFrozen",
    );
    refused.push(("a guardian pause".to_owned(), e));
    let result = devnet.guardian.set_sequencer(&d, keeper.address()).await;
    let e = expect_refused(
        transcript,
        "the guardian",
        "naming a new sequencer",
        result,
        "RollupFrozen",
    );
    refused.push(("a sequencer rotation".to_owned(), e));

    // --- The escape hatch --------------------------------------------------------
    transcript.push(Event::Stage(
        "The escape hatch: every exit, withdrawal and refund, from L1 alone".into(),
    ));
    let people = [&alice, &bob, &carol];
    let by_address: BTreeMap<Address, &User> = people.iter().map(|u| (u.address(), *u)).collect();
    let name_of = |a: Address| {
        by_address
            .get(&a)
            .map_or_else(|| format!("{a:#x}"), |u| u.name.clone())
    };
    let token_address = |t: TokenId| (t != TokenId::ETH).then_some(token);
    let mut before = BTreeMap::new();
    for user in people {
        for t in [TokenId::ETH, TokenId(1)] {
            let balance = balance_of(&provider, token_address(t), user.address()).await?;
            before.insert((user.address(), t), balance);
        }
    }

    let plan = escape::plan(&keeper.l1, &d).await?;
    transcript.push(Event::Line(format!(
        "the keeper's exit helper rebuilds batch {}'s state from L1 alone ({} messages): root {:#x}, \
         the root the Bridge pinned; it owes exits: {}, withdrawals: {}, refunds: {}",
        plan.batch,
        plan.state.msgs_consumed(),
        plan.state.root(),
        plan.exits.len(),
        plan.withdrawals.len(),
        plan.refunds.len()
    )));
    let mut gas = EscapeGas {
        forced_withdrawal: forced.sent.gas_used,
        freeze: frozen.gas_used,
        ..EscapeGas::default()
    };
    let mut payout_failed = Vec::new();
    for proof in &plan.exits {
        let (owner, t) = (proof.leaf.owner, proof.leaf.token);
        let was = balance_of(&provider, token_address(t), owner).await?;
        match escape::exit(&keeper.l1, &d, &plan, proof).await {
            Ok(sent) => {
                let now = balance_of(&provider, token_address(t), owner).await?;
                transcript.push(Event::Exited {
                    user: name_of(owner),
                    account: proof.index.0,
                    symbol: symbol(t).into(),
                    amount: proof.leaf.balance,
                    l1_change: signed_units(was, now),
                    gas: sent.gas_used,
                });
                gas.exits.push((proof.index.0, sent.gas_used));
            }
            Err(e) => payout_failed.push(format!("exit of {}: {e}", proof.index)),
        }
    }
    for &index in &plan.withdrawals {
        let Some(leaf) = plan.state.withdrawal(index).copied() else {
            payout_failed.push(format!("{index} is not in the pinned state"));
            continue;
        };
        let was = balance_of(&provider, token_address(leaf.token), leaf.recipient).await?;
        match escape::withdraw(&keeper.l1, &d, &plan, index).await {
            Ok(sent) => {
                let now = balance_of(&provider, token_address(leaf.token), leaf.recipient).await?;
                transcript.push(Event::EscapeWithdrawal {
                    user: name_of(leaf.recipient),
                    index: index.0,
                    symbol: symbol(leaf.token).into(),
                    amount: leaf.amount,
                    l1_change: signed_units(was, now),
                    gas: sent.gas_used,
                });
                gas.withdrawals.push((index.0, sent.gas_used));
            }
            Err(e) => payout_failed.push(format!("{index}: {e}")),
        }
    }
    for message in &plan.refunds {
        let t = TokenId(message.token);
        let was = balance_of(&provider, token_address(t), message.sender).await?;
        match escape::refund(&keeper.l1, &d, message).await {
            Ok(sent) => {
                let now = balance_of(&provider, token_address(t), message.sender).await?;
                transcript.push(Event::Refunded {
                    user: name_of(message.sender),
                    message: message.index,
                    symbol: symbol(t).into(),
                    amount: message.amount,
                    l1_change: signed_units(was, now),
                    gas: sent.gas_used,
                });
                gas.refunds.push((message.index, sent.gas_used));
            }
            Err(e) => payout_failed.push(format!("refund of message #{}: {e}", message.index)),
        }
    }
    transcript.push(Event::Line(format!(
        "message #{} ({}) carries no value, so there is nothing to refund: bob's ETH leaves with his exit",
        forced.message.index, "bob's forced withdrawal"
    )));
    transcript.push(Event::Check {
        what: format!(
            "every exit, withdrawal and refund was paid{}",
            if payout_failed.is_empty() {
                String::new()
            } else {
                format!(" (failed: {})", payout_failed.join("; "))
            }
        ),
        ok: payout_failed.is_empty(),
    });
    if let Some(first) = plan.exits.first() {
        let again = escape::exit(&keeper.l1, &d, &plan, first).await;
        let e = expect_refused(
            transcript,
            "keeper",
            &format!("a second exit of account {}", first.index),
            again,
            "AlreadyExited",
        );
        refused.push(("a second exit".to_owned(), e));
    }

    // --- Balances ------------------------------------------------------------------
    transcript.push(Event::Stage(
        "Balances: each user's L1 gain against the pinned batch".into(),
    ));
    let mut gains = Vec::new();
    for user in people {
        for t in [TokenId::ETH, TokenId(1)] {
            let owed = owed_to(&plan, user.address(), t);
            let was = before
                .get(&(user.address(), t))
                .copied()
                .unwrap_or_default();
            let now = balance_of(&provider, token_address(t), user.address()).await?;
            let gained = now.saturating_sub(was);
            let pinned_balance = balance_in(&plan.state, user.address(), t);
            let dropped_balance = balance_in(&dropped_view, user.address(), t);
            transcript.push(Event::Line(format!(
                "{:>6} {}: L1 {} = {} (balance in batch {}) + {} (withdrawals) + {} (refunds); the dropped batch {} had said {}",
                user.name,
                symbol(t),
                signed_units(was, now),
                units(u128::try_from(pinned_balance).unwrap_or(u128::MAX)),
                plan.batch,
                units(u128::try_from(owed.withdrawals).unwrap_or(u128::MAX)),
                units(u128::try_from(owed.refunds).unwrap_or(u128::MAX)),
                tip_at_freeze,
                units(u128::try_from(dropped_balance).unwrap_or(u128::MAX)),
            )));
            let total = owed.total();
            transcript.push(Event::Check {
                what: format!(
                    "{}'s L1 {} gain equals what the pinned batch owes them",
                    user.name,
                    symbol(t)
                ),
                ok: now >= was && gained == total,
            });
            gains.push(Gain {
                user: user.name.clone(),
                symbol: symbol(t).into(),
                owed: total,
                gained,
            });
        }
    }
    let dropped_transfers_gone = [&alice, &bob].iter().all(|u| {
        balance_in(&plan.state, u.address(), TokenId::ETH)
            != balance_in(&dropped_view, u.address(), TokenId::ETH)
    });
    transcript.push(Event::Check {
        what: format!(
            "the transfers of the dropped batches {}–{tip_at_freeze} are gone: alice and bob are paid batch {}'s balances",
            pinned + 1,
            plan.batch
        ),
        ok: dropped_transfers_gone,
    });
    let carol_refunded = plan.state.accounts_owned_by(carol.address()).count() == 0
        && plan
            .refunds
            .iter()
            .filter(|m| m.sender == carol.address())
            .count()
            == 2;
    transcript.push(Event::Check {
        what: "carol's two pending deposits came back as refunds: the pinned batch never saw them"
            .into(),
        ok: carol_refunded,
    });

    let mut bridge_after = Vec::new();
    for t in [TokenId::ETH, TokenId(1)] {
        let held = bridge_holdings(&keeper.l1, &d, t).await?;
        transcript.push(Event::Line(format!(
            "the Bridge holds {} {}",
            units(u128::try_from(held).unwrap_or(u128::MAX)),
            symbol(t)
        )));
        bridge_after.push((symbol(t).to_owned(), held));
    }
    transcript.push(Event::Check {
        what: "the Bridge ends with 0 of every token".into(),
        ok: bridge_after.iter().all(|(_, held)| held.is_zero()),
    });

    // The sequencer's dropped batches never become final: its stake stays locked.
    let result = devnet.sequencer.withdraw_stake().await;
    let e = expect_refused(
        transcript,
        "the sequencer",
        "taking back its stake (its newest batch was dropped)",
        result,
        "StakeLocked",
    );
    refused.push(("an unstake".to_owned(), e));

    let failed_checks = transcript
        .failed_checks()
        .into_iter()
        .map(String::from)
        .collect();
    Ok(Outcomes {
        tip_at_freeze,
        pinned,
        gains,
        bridge_after,
        refused,
        gas,
        failed_checks,
    })
}

/// Queues a deposit to a new account and narrates it.
async fn deposit(
    transcript: &mut Transcript,
    d: &bulwark_chain::Deployment,
    user: &User,
    token: Option<Address>,
    amount: u128,
) -> Result<(), ScenarioError> {
    let (queued, symbol) = match token {
        None => (user.deposit_eth(d, amount, NEW_ACCOUNT).await?, "ETH"),
        Some(token) => (
            user.deposit_erc20(d, token, amount, NEW_ACCOUNT).await?,
            "BDT",
        ),
    };
    transcript.push(Event::Deposited {
        user: user.name.clone(),
        symbol: symbol.into(),
        amount,
        target: "a new account".into(),
        message: queued.message.index,
        gas: queued.sent.gas_used,
    });
    Ok(())
}

fn submit(transcript: &mut Transcript, user: &User, what: &str) {
    transcript.push(Event::Submitted {
        user: user.name.clone(),
        what: what.into(),
    });
}

/// What the pinned batch owes one user in one token, by source.
struct Owed {
    balances: U256,
    withdrawals: U256,
    refunds: U256,
}

impl Owed {
    fn total(&self) -> U256 {
        self.balances + self.withdrawals + self.refunds
    }
}

/// Everything the plan pays `who` in `token`: their account balances in the
/// pinned state, its unpaid withdrawals to them, their unconsumed deposits.
fn owed_to(plan: &escape::EscapePlan, who: Address, token: TokenId) -> Owed {
    let unpaid: BTreeSet<_> = plan.withdrawals.iter().collect();
    Owed {
        balances: balance_in(&plan.state, who, token),
        withdrawals: plan
            .state
            .withdrawals()
            .filter(|w| unpaid.contains(&w.index) && w.recipient == who && w.token == token)
            .map(|w| U256::from(w.amount))
            .sum(),
        refunds: plan
            .refunds
            .iter()
            .filter(|m| {
                m.kind == MessageKind::Deposit.as_u8() && m.sender == who && m.token == token.0
            })
            .map(|m| U256::from(m.amount))
            .sum(),
    }
}

/// The sum of `who`'s balances of `token` in `state`.
fn balance_in(state: &State, who: Address, token: TokenId) -> U256 {
    state
        .accounts_owned_by(who)
        .filter(|(_, a)| a.token == token)
        .map(|(_, a)| U256::from(a.balance))
        .sum()
}
