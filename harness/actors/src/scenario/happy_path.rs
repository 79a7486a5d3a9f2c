//! The happy path, end to end: users deposit ETH and an ERC20 on L1, transact
//! on L2 (with invalid transactions among them, each skipped and reported),
//! a user the sequencer ignores forces a withdrawal on L1 and the sequencer
//! consumes it before the deadline even though the guardian pauses at the
//! worst moment, the batches finalize, users withdraw with proofs from a
//! state rebuilt from L1 alone, and every L1 balance change is checked
//! against the L2 state.

use std::collections::BTreeMap;

use alloy::primitives::{Address, U256};
use bulwark_chain::{
    ChainError, balance_of,
    bindings::{Bridge, Bridge::BridgeErrors, Rollup, Safe},
    dispute::{batch as batch_record, l1_time},
    node::advance_time,
    send,
};
use bulwark_engine::{
    AccountIndex, Header, NEW_ACCOUNT, Outcome, RecordBytes, SignedTransfer, TokenId, Transfer,
    Withdraw,
};

use super::{ScenarioError, expect_refused, narrate_commit};
use crate::{
    devnet::{Devnet, DevnetConfig},
    escape::oldest_unconsumed,
    exit::{ExitError, bridge_holdings, final_state, finalize_withdrawal, l2_total},
    sequencer::CommitReport,
    transcript::{Event, Transcript, signed_units},
    user::User,
};

const ETH: u128 = 10u128.pow(18);
const MILLI: u128 = ETH / 1_000;

/// Gas figures measured from receipts along the way.
#[derive(Clone, Debug, Default)]
pub struct GasFigures {
    /// A `depositETH`.
    pub deposit_eth: u64,
    /// A `depositERC20` (the token's first deposit registers it).
    pub deposit_erc20_first: u64,
    /// A later `depositERC20` of a registered token.
    pub deposit_erc20: u64,
    /// Each commit: (records, messages, gas).
    pub commits: Vec<(usize, u64, u64)>,
    /// A `forceWithdrawal` (PROTOCOL §16).
    pub forced_withdrawal: u64,
    /// The guardian's pause, relayed through its Safe.
    pub guardian_pause: u64,
    /// A `finalizeBatch`.
    pub finalize_batch: u64,
    /// A `finalizeWithdrawal` of ETH.
    pub withdraw_eth: u64,
    /// A `finalizeWithdrawal` of an ERC20.
    pub withdraw_erc20: u64,
    /// The demo's whole fraud game, both sides, open to resolve.
    pub dispute_whole: u64,
    /// Skipped steps seen while committing (kept beside the gas they cost).
    skipped: Vec<(u64, usize, Outcome)>,
}

/// What the scenario leaves behind for callers to assert on.
#[derive(Debug)]
pub struct Outcomes {
    /// Steps skipped, with their outcomes, over all batches: (batch, step, outcome).
    pub skipped: Vec<(u64, usize, Outcome)>,
    /// Batches committed.
    pub batches: u64,
    /// Withdrawals paid on L1: (index, recipient, token, amount).
    pub payouts: Vec<(u32, Address, u32, u128)>,
    /// Gas figures.
    pub gas: GasFigures,
    /// Checks that failed (empty on success).
    pub failed_checks: Vec<String>,
}

/// Runs the happy path on a fresh devnet, recording into `transcript`.
pub async fn run(
    config: &DevnetConfig,
    transcript: &mut Transcript,
) -> Result<Outcomes, ScenarioError> {
    transcript.push(Event::Stage(format!("Deploying to {}", config.l1)));
    let mut devnet = Devnet::start(config).await?;
    let d = devnet.deployment.clone();
    transcript.push(Event::Deployed {
        l1: config.l1.to_string(),
        rollup: d.rollup,
        bridge: d.bridge,
        chain_id: d.chain_id,
        window: d.params.window,
        stake: u128::try_from(d.params.stake).unwrap_or(u128::MAX),
    });
    let [alice, bob, carol] = match devnet.users.as_slice() {
        [a, b, c, ..] => [a.clone(), b.clone(), c.clone()],
        _ => {
            return Err(ScenarioError::Setup(
                "the happy path needs three users".into(),
            ));
        }
    };
    let mut gas = GasFigures::default();
    let symbols: BTreeMap<u32, &str> = [(0, "ETH"), (1, "BDT")].into();
    let symbol = |t: u32| symbols.get(&t).copied().unwrap_or("?");

    // --- L1 deposits -------------------------------------------------------
    transcript.push(Event::Stage("Deposits on L1".into()));
    let sequencer_user = User::new("sequencer", devnet.sequencer_account().clone());
    let deposits: Vec<(&User, u32, u128)> = vec![
        (&sequencer_user, 0, MILLI),
        (&alice, 0, 5 * ETH),
        (&bob, 0, 2 * ETH),
        (&carol, 0, ETH),
        (&alice, 1, 300 * ETH),
        (&bob, 1, 200 * ETH),
        (&carol, 1, 50 * ETH),
    ];
    for (user, token, amount) in deposits {
        let deposit = if token == 0 {
            let dep = user.deposit_eth(&d, amount, NEW_ACCOUNT).await?;
            gas.deposit_eth = dep.sent.gas_used;
            dep
        } else {
            let dep = user
                .deposit_erc20(&d, devnet.token, amount, NEW_ACCOUNT)
                .await?;
            if gas.deposit_erc20_first == 0 {
                gas.deposit_erc20_first = dep.sent.gas_used;
            } else {
                gas.deposit_erc20 = dep.sent.gas_used;
            }
            dep
        };
        transcript.push(Event::Deposited {
            user: user.name.clone(),
            symbol: symbol(token).into(),
            amount,
            target: "a new account".into(),
            message: deposit.message.index,
            gas: deposit.sent.gas_used,
        });
    }

    // --- Batch 1: the deposits become accounts -----------------------------
    transcript.push(Event::Stage(
        "Batch 1: the sequencer consumes the deposits".into(),
    ));
    let report = devnet.sequencer.commit(Vec::new()).await?;
    record_commit(transcript, &mut gas, &report);

    let state = devnet.sequencer.state().clone();
    let acct = |user: &User, token: u32| -> Result<AccountIndex, ScenarioError> {
        state
            .find_account(user.address(), TokenId(token))
            .map(|(index, _)| index)
            .ok_or_else(|| {
                ScenarioError::Setup(format!("{} has no account for token {token}", user.name))
            })
    };
    let seq_eth = acct(&sequencer_user, 0)?;
    let (alice_eth, bob_eth, carol_eth) = (acct(&alice, 0)?, acct(&bob, 0)?, acct(&carol, 0)?);
    let (bob_bdt, carol_bdt) = (acct(&bob, 1)?, acct(&carol, 1)?);
    // ETH fees go to the sequencer's account; no recipient is named for BDT,
    // so BDT transfers are free whatever fee they state.
    devnet.sequencer.set_header(
        Header::new(vec![(TokenId::ETH, seq_eth)])
            .map_err(|e| ScenarioError::Setup(e.to_string()))?,
    );

    // --- Batch 2: transfers, valid and invalid ------------------------------
    transcript.push(Event::Stage(
        "Batch 2: L2 transfers, some of them invalid".into(),
    ));
    let carol_topup = carol
        .deposit_erc20(&d, devnet.token, 25 * ETH, u64::from(carol_bdt.0))
        .await?;
    gas.deposit_erc20 = carol_topup.sent.gas_used;
    transcript.push(Event::Deposited {
        user: carol.name.clone(),
        symbol: "BDT".into(),
        amount: 25 * ETH,
        target: format!("her account {carol_bdt}"),
        message: carol_topup.message.index,
        gas: carol_topup.sent.gas_used,
    });

    let mut records = Vec::new();
    let t1 = alice
        .sign_transfer(
            &d,
            Transfer {
                from: alice_eth,
                to: bob_eth,
                token: TokenId::ETH,
                amount: ETH,
                fee: MILLI,
                nonce: 0,
            },
        )
        .await?;
    submit(
        transcript,
        &mut records,
        &alice,
        "1 ETH to bob (fee 0.001 ETH)",
        t1.encode(),
    );
    let t2 = bob
        .sign_transfer(
            &d,
            Transfer {
                from: bob_bdt,
                to: carol_bdt,
                token: TokenId(1),
                amount: 50 * ETH,
                fee: 0,
                nonce: 0,
            },
        )
        .await?;
    submit(
        transcript,
        &mut records,
        &bob,
        "50 BDT to carol",
        t2.encode(),
    );
    let t3 = carol
        .sign_transfer(
            &d,
            Transfer {
                from: carol_eth,
                to: alice_eth,
                token: TokenId::ETH,
                amount: ETH / 4,
                fee: MILLI,
                nonce: 0,
            },
        )
        .await?;
    submit(
        transcript,
        &mut records,
        &carol,
        "0.25 ETH to alice (fee 0.001 ETH)",
        t3.encode(),
    );
    // bob signs a transfer out of carol's account: signature by the wrong key.
    let forged = bob
        .sign_transfer(
            &d,
            Transfer {
                from: carol_eth,
                to: bob_eth,
                token: TokenId::ETH,
                amount: ETH / 2,
                fee: 0,
                nonce: 1,
            },
        )
        .await?;
    submit(
        transcript,
        &mut records,
        &bob,
        "a transfer out of carol's account, signed with bob's key",
        forged.encode(),
    );
    // alice's second transfer, with its signature malleated to the high-s twin.
    let t4 = alice
        .sign_transfer(
            &d,
            Transfer {
                from: alice_eth,
                to: carol_eth,
                token: TokenId::ETH,
                amount: ETH / 10,
                fee: 0,
                nonce: 1,
            },
        )
        .await?;
    submit(
        transcript,
        &mut records,
        &alice,
        "0.1 ETH to carol, signature malleated to high s",
        high_s(t4).encode(),
    );
    let overdraft = bob
        .sign_transfer(
            &d,
            Transfer {
                from: bob_eth,
                to: alice_eth,
                token: TokenId::ETH,
                amount: 100 * ETH,
                fee: 0,
                nonce: 0,
            },
        )
        .await?;
    submit(
        transcript,
        &mut records,
        &bob,
        "100 ETH to alice (he has 3)",
        overdraft.encode(),
    );
    submit(
        transcript,
        &mut records,
        &alice,
        "her first transfer again (a replay, stale nonce)",
        t1.encode(),
    );
    let mut malformed = [0u8; 128];
    malformed[0] = 0x07;
    malformed[1..9].copy_from_slice(b"garbage!");
    transcript.push(Event::Submitted {
        user: "mallory".into(),
        what: "a malformed record (kind 0x07)".into(),
    });
    records.push(malformed);
    let report = devnet.sequencer.commit(records).await?;
    record_commit(transcript, &mut gas, &report);

    // --- Batch 3: withdrawals ----------------------------------------------
    transcript.push(Event::Stage("Batch 3: withdrawals to L1".into()));
    let mut records = Vec::new();
    let w1 = alice
        .sign_withdraw(
            &d,
            Withdraw {
                from: alice_eth,
                recipient: alice.address(),
                amount: 2 * ETH,
                fee: MILLI,
                nonce: 1,
            },
        )
        .await?;
    submit(
        transcript,
        &mut records,
        &alice,
        "withdraw 2 ETH to L1 (fee 0.001 ETH)",
        w1.encode(),
    );
    let w2 = bob
        .sign_withdraw(
            &d,
            Withdraw {
                from: bob_bdt,
                recipient: bob.address(),
                amount: 100 * ETH,
                fee: 0,
                nonce: 1,
            },
        )
        .await?;
    submit(
        transcript,
        &mut records,
        &bob,
        "withdraw 100 BDT to L1",
        w2.encode(),
    );
    let w3 = carol
        .sign_withdraw(
            &d,
            Withdraw {
                from: carol_bdt,
                recipient: carol.address(),
                amount: 75 * ETH,
                fee: 0,
                nonce: 0,
            },
        )
        .await?;
    submit(
        transcript,
        &mut records,
        &carol,
        "withdraw 75 BDT to L1",
        w3.encode(),
    );
    let w4 = bob
        .sign_withdraw(
            &d,
            Withdraw {
                from: bob_eth,
                recipient: bob.address(),
                amount: ETH,
                fee: MILLI,
                nonce: 0,
            },
        )
        .await?;
    submit(
        transcript,
        &mut records,
        &bob,
        "withdraw 1 ETH to L1 (fee 0.001 ETH)",
        w4.encode(),
    );
    let report = devnet.sequencer.commit(records).await?;
    record_commit(transcript, &mut gas, &report);

    // --- Batch 4: a forced withdrawal, through the guardian's worst pause -----
    transcript.push(Event::Stage(
        "Batch 4: a forced withdrawal on L1, through a guardian pause".into(),
    ));
    let deployer = devnet.deployer.provider.clone();
    let rollup = Rollup::new(d.rollup, &deployer);
    let call = |name: &'static str| move |e: alloy::contract::Error| ChainError::contract(name, &e);
    let forced_amount = ETH / 2;
    transcript.push(Event::Line(format!(
        "the sequencer ignores carol's signed L2 withdrawals, so she takes {} ETH out the way no sequencer can refuse",
        crate::transcript::units(forced_amount)
    )));
    let forced = carol
        .force_withdrawal(&d, carol_eth.0, TokenId::ETH.0, forced_amount)
        .await?;
    gas.forced_withdrawal = forced.sent.gas_used;
    let deadline = rollup.DEADLINE().call().await.map_err(call("DEADLINE"))?;
    let due_at = forced.message.queued_at + deadline;
    let forced_what = format!(
        "carol's forced withdrawal of {} ETH",
        crate::transcript::units(forced_amount)
    );
    transcript.push(Event::ForcedWithdrawal {
        user: carol.name.clone(),
        account: u64::from(carol_eth.0),
        symbol: "ETH".into(),
        amount: forced_amount,
        message: forced.message.index,
        queued_at: forced.message.queued_at,
        deadline,
        gas: forced.sent.gas_used,
    });

    // The guardian pauses the moment the forced withdrawal waits: the worst
    // it can do. Commits and deposits stop; the deadline does not move.
    let paused = devnet.guardian.pause_at_worst(&d).await?.ok_or_else(|| {
        ScenarioError::Setup("the guardian found no forced withdrawal to pause against".into())
    })?;
    gas.guardian_pause = paused.gas_used;
    let until = rollup
        .pausedUntil()
        .call()
        .await
        .map_err(call("pausedUntil"))?;
    let next_pause_at = rollup
        .nextPauseAt()
        .call()
        .await
        .map_err(call("nextPauseAt"))?;
    let safe = Safe::new(devnet.guardian.address(), &deployer);
    let threshold = safe
        .getThreshold()
        .call()
        .await
        .map_err(call("Safe.getThreshold"))?;
    let owners = safe
        .getOwners()
        .call()
        .await
        .map_err(call("Safe.getOwners"))?;
    transcript.push(Event::Paused {
        guardian: devnet.guardian.address(),
        threshold: u64::try_from(threshold).unwrap_or(u64::MAX),
        owners: owners.len(),
        until,
        next_pause_at,
        gas: paused.gas_used,
    });
    transcript.push(Event::Deadline {
        message: forced.message.index,
        what: forced_what.clone(),
        due_at,
        now: l1_time(&deployer).await?,
    });
    let refused = devnet.sequencer.commit(Vec::new()).await;
    expect_refused(
        transcript,
        "the sequencer",
        "its commit of batch 4",
        refused,
        "CommitsPaused",
    );
    let refused = alice.deposit_eth(&d, ETH, u64::from(alice_eth.0)).await;
    expect_refused(
        transcript,
        "alice",
        "a deposit of 1 ETH",
        refused,
        "DepositsPausedUntil",
    );

    // The pause runs out by itself; the sequencer consumes the message in time.
    let seconds = until.saturating_sub(l1_time(&deployer).await?);
    advance_time(&deployer, seconds).await?;
    transcript.push(Event::Waited {
        seconds,
        until: format!("the pause ends at L1 time {until}"),
    });
    let report = devnet.sequencer.commit(Vec::new()).await?;
    record_commit(transcript, &mut gas, &report);
    let consumed_at = batch_record(&deployer, d.rollup, report.batch)
        .await?
        .commit_time;
    transcript.push(Event::DeadlineMet {
        batch: report.batch,
        message: forced.message.index,
        what: forced_what,
        consumed_at,
        due_at,
    });
    let forced_leaf = devnet.sequencer.state().withdrawals().last().cloned();
    let waiting = oldest_unconsumed(&deployer, &d).await?;
    transcript.push(Event::Check {
        what: format!(
            "batch {} consumed the forced withdrawal before its deadline, despite the pause: nothing is overdue",
            report.batch
        ),
        ok: report.messages == 1 && consumed_at <= due_at && waiting.is_none(),
    });
    let batches = report.batch;

    // --- Finality ------------------------------------------------------------
    transcript.push(Event::Stage("Challenge window".into()));
    let seconds = devnet.pass_window().await?;
    transcript.push(Event::TimeTravel { seconds });
    for batch in 1..=batches {
        let sent = send(rollup.finalizeBatch(batch), "finalizeBatch").await?;
        gas.finalize_batch = sent.gas_used;
        transcript.push(Event::Finalized {
            batch,
            gas: sent.gas_used,
        });
    }

    // --- Rebuild from L1 and withdraw ----------------------------------------
    transcript.push(Event::Stage(
        "Withdrawals on L1, proven from a state rebuilt from L1".into(),
    ));
    let view = final_state(&alice.l1, &d).await?;
    let matches = view.state.root() == devnet.sequencer.state().root();
    transcript.push(Event::Rebuilt {
        batches: view.batch as usize,
        messages: view.state.msgs_consumed() as usize,
        root: view.state.root(),
        matches_sequencer: matches,
    });
    // Derivation already refuses a batch whose claimed root differs; this
    // checks the other side: L1 alone reproduces what the sequencer holds.
    transcript.push(Event::Check {
        what: "the state rebuilt from L1 equals the sequencer's".into(),
        ok: matches,
    });

    let by_address: BTreeMap<Address, &User> = [&alice, &bob, &carol, &sequencer_user]
        .into_iter()
        .map(|u| (u.address(), u))
        .collect();
    let mut payouts = Vec::new();
    let withdrawals: Vec<_> = view.state.withdrawals().cloned().collect();
    for leaf in &withdrawals {
        let user = by_address.get(&leaf.recipient).ok_or_else(|| {
            ScenarioError::Setup(format!("withdrawal to unknown {}", leaf.recipient))
        })?;
        let token_address = (leaf.token.0 != 0).then_some(devnet.token);
        let before = balance_of(&user.l1.provider, token_address, user.address()).await?;
        let sent = finalize_withdrawal(&user.l1, &d, &view, leaf.index).await?;
        let after = balance_of(&user.l1.provider, token_address, user.address()).await?;
        let gas_cost = if leaf.token.0 == 0 {
            U256::from(sent.gas_used) * U256::from(sent.receipt.effective_gas_price)
        } else {
            U256::ZERO
        };
        if leaf.token.0 == 0 {
            gas.withdraw_eth = sent.gas_used;
        } else {
            gas.withdraw_erc20 = sent.gas_used;
        }
        transcript.push(Event::WithdrawalPaid {
            user: user.name.clone(),
            index: leaf.index.0,
            symbol: symbol(leaf.token.0).into(),
            amount: leaf.amount,
            l1_change: signed_units(before, after),
            gas: sent.gas_used,
        });
        transcript.push(Event::Check {
            what: format!(
                "{}'s L1 {} balance changed by exactly the L2 withdrawal (+{} wei{})",
                user.name,
                symbol(leaf.token.0),
                leaf.amount,
                if gas_cost.is_zero() {
                    String::new()
                } else {
                    format!(", less {gas_cost} wei of gas")
                }
            ),
            ok: after + gas_cost == before + U256::from(leaf.amount),
        });
        payouts.push((leaf.index.0, leaf.recipient, leaf.token.0, leaf.amount));
    }

    // The forced withdrawal paid carol like any other withdrawal.
    let forced_paid = match &forced_leaf {
        Some(leaf) => {
            Bridge::new(d.bridge, &deployer)
                .paid(leaf.index.0)
                .call()
                .await
                .map_err(call("paid"))?
                && leaf.recipient == carol.address()
                && leaf.amount == forced_amount
                && payouts.iter().any(|(index, ..)| *index == leaf.index.0)
        }
        None => false,
    };
    transcript.push(Event::Check {
        what: format!(
            "carol's forced withdrawal (message #{}) was paid on L1: {} ETH",
            forced.message.index,
            crate::transcript::units(forced_amount)
        ),
        ok: forced_paid,
    });

    // A second payout of the same leaf must revert.
    if let Some(first) = withdrawals.first() {
        match finalize_withdrawal(&alice.l1, &d, &view, first.index).await {
            Err(e) => {
                let already_paid = matches!(&e, ExitError::Chain(c) if matches!(c.bridge_revert(), Some(BridgeErrors::AlreadyPaid(_))));
                transcript.push(Event::DoublePayoutRefused {
                    index: first.index.0,
                    reason: e.to_string(),
                });
                transcript.push(Event::Check {
                    what: "the second payout reverted with AlreadyPaid".into(),
                    ok: already_paid,
                });
            }
            Ok(_) => transcript.push(Event::Check {
                what: "a second payout of the same withdrawal reverts".into(),
                ok: false,
            }),
        }
    }

    // --- A wrong root loses its dispute game ----------------------------------
    let fraud = super::fraud::run(&mut devnet, &alice, &carol, transcript).await?;
    gas.dispute_whole = fraud.total_gas;
    let seconds = devnet.pass_window().await?;
    transcript.push(Event::TimeTravel { seconds });
    let recommitted = devnet.sequencer.tip();
    let sent = send(rollup.finalizeBatch(recommitted), "finalizeBatch").await?;
    transcript.push(Event::Finalized {
        batch: recommitted,
        gas: sent.gas_used,
    });

    let (unstaked, credit) = devnet.sequencer.withdraw_stake().await?;
    let withdrawn = credit
        .receipt
        .inner
        .logs()
        .iter()
        .find_map(|log| log.log_decode::<Rollup::CreditWithdrawn>().ok())
        .map(|log| log.inner.data.amount)
        .ok_or_else(|| ScenarioError::Setup("withdrawCredit emitted no CreditWithdrawn".into()))?;
    transcript.push(Event::StakeWithdrawn {
        amount: withdrawn,
        gas: unstaked.gas_used + credit.gas_used,
    });
    transcript.push(Event::Check {
        what: format!(
            "with every batch final (through batch {recommitted}), the sequencer took back exactly its stake"
        ),
        ok: withdrawn == d.params.stake,
    });

    // --- Conservation ---------------------------------------------------------
    transcript.push(Event::Stage("Balances: L1 against L2".into()));
    let view = final_state(&alice.l1, &d).await?;
    for token in [TokenId::ETH, TokenId(1)] {
        let l2 = l2_total(&view.state, token);
        let held = bridge_holdings(&alice.l1, &d, token).await?;
        let unpaid = unpaid_withdrawals(&alice.l1, &d, &view.state, token).await?;
        let queued = unconsumed_deposits(&alice.l1, &d, view.state.msgs_consumed(), token).await?;
        transcript.push(Event::Line(format!(
            "{:>4}: bridge holds {} on L1; L2 accounts hold {}; unpaid withdrawals {}; unconsumed deposits {}",
            symbol(token.0),
            crate::transcript::units(u128::try_from(held).unwrap_or(u128::MAX)),
            crate::transcript::units(u128::try_from(l2).unwrap_or(u128::MAX)),
            crate::transcript::units(u128::try_from(unpaid).unwrap_or(u128::MAX)),
            crate::transcript::units(u128::try_from(queued).unwrap_or(u128::MAX))
        )));
        transcript.push(Event::Check {
            what: format!(
                "{}: bridge holdings = L2 balances + unpaid withdrawals + unconsumed deposits",
                symbol(token.0)
            ),
            ok: held == l2 + unpaid + queued,
        });
    }
    for user in [&alice, &bob, &carol] {
        let line = view
            .state
            .accounts_owned_by(user.address())
            .map(|(i, a)| {
                format!(
                    "{} {} {}",
                    i,
                    crate::transcript::units(a.balance),
                    symbol(a.token.0)
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        transcript.push(Event::Line(format!("{:>6} on L2: {line}", user.name)));
    }

    let skipped = gas.skipped.clone();
    let failed_checks = transcript
        .failed_checks()
        .into_iter()
        .map(String::from)
        .collect();
    Ok(Outcomes {
        skipped,
        batches,
        payouts,
        gas,
        failed_checks,
    })
}

fn submit(
    transcript: &mut Transcript,
    records: &mut Vec<RecordBytes>,
    user: &User,
    what: &str,
    record: RecordBytes,
) {
    transcript.push(Event::Submitted {
        user: user.name.clone(),
        what: what.into(),
    });
    records.push(record);
}

fn record_commit(transcript: &mut Transcript, gas: &mut GasFigures, report: &CommitReport) {
    narrate_commit(transcript, report);
    gas.commits
        .push((report.records, report.messages, report.sent.gas_used));
    gas.skipped.extend(
        report
            .steps
            .iter()
            .filter(|s| !matches!(s.outcome, Outcome::Applied))
            .map(|s| (report.batch, s.step, s.outcome)),
    );
}

/// The other valid-looking signature of the same message: s -> n - s, v flipped.
/// The protocol accepts only the low-s one.
fn high_s(mut signed: SignedTransfer) -> SignedTransfer {
    const N: U256 = U256::from_be_bytes(alloy::hex!(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
    ));
    let s = U256::from_be_slice(&signed.signature[32..64]);
    signed.signature[32..64].copy_from_slice(&(N - s).to_be_bytes::<32>());
    signed.signature[64] = 55 - signed.signature[64]; // 27 <-> 28
    signed
}

/// What the final state's withdrawal leaves of `token` still owe: the leaves
/// the Bridge has not paid, asked of the Bridge one by one.
async fn unpaid_withdrawals(
    account: &crate::wallet::L1Account,
    d: &bulwark_chain::Deployment,
    state: &bulwark_engine::State,
    token: TokenId,
) -> Result<U256, ScenarioError> {
    let bridge = bulwark_chain::bindings::Bridge::new(d.bridge, &account.provider);
    let mut owed = U256::ZERO;
    for leaf in state.withdrawals().filter(|w| w.token == token) {
        let paid = bridge
            .paid(leaf.index.0)
            .call()
            .await
            .map_err(|e| bulwark_chain::ChainError::contract("paid", &e))?;
        if !paid {
            owed += U256::from(leaf.amount);
        }
    }
    Ok(owed)
}

/// Deposits of `token` queued on L1 that the final state has not consumed.
async fn unconsumed_deposits(
    account: &crate::wallet::L1Account,
    d: &bulwark_chain::Deployment,
    consumed: u64,
    token: TokenId,
) -> Result<U256, ScenarioError> {
    let blocks = bulwark_chain::history::Blocks::to_head(&account.provider, d.deploy_block).await?;
    let queued = bulwark_chain::history::read_messages(&account.provider, d.bridge, blocks).await?;
    Ok(queued
        .iter()
        .filter(|m| m.index >= consumed && m.kind == 1 && m.token == token.0)
        .map(|m| U256::from(m.amount))
        .sum())
}
