//! Random deposit / transfer / withdraw histories on anvil. After every
//! history: all batches final, the state rebuilt from L1 equals the
//! sequencer's, transactions were skipped only for overdrafts and stale nonces
//! (anything else means signing or encoding broke), every applied withdraw
//! left one leaf, every withdrawal leaf is paid on L1 for exactly its amount to
//! exactly its recipient, a second payout of the same leaf reverts with
//! `AlreadyPaid`, and the Bridge holds exactly what L2 holds.
//!
//! Each case starts its own anvil, so the default is a few cases; set
//! `PROPTEST_CASES` for more.

use std::collections::BTreeMap;

use alloy::primitives::{Address, U256};
use bulwark_actors::{
    devnet::{Devnet, DevnetConfig},
    exit::{ExitError, bridge_holdings, final_state, finalize_withdrawal, l2_total},
    user::User,
};
use bulwark_chain::{
    balance_of,
    bindings::{Bridge, Bridge::BridgeErrors, Rollup},
    send,
};
use bulwark_engine::{NEW_ACCOUNT, Record, RecordBytes, Step, TokenId, Transfer, Withdraw};
use proptest::{prelude::*, test_runner::TestCaseError};

const UNIT: u128 = 10u128.pow(15); // 0.001 of an 18-decimal token

/// One user action; amounts are in `UNIT`s and may exceed balances (those
/// transactions are skipped by the STF, which is part of what is tested).
#[derive(Clone, Debug)]
enum Op {
    Deposit {
        user: usize,
        token: u32,
        units: u32,
        to_existing: bool,
    },
    Transfer {
        from: usize,
        to: usize,
        token: u32,
        units: u32,
    },
    Withdraw {
        user: usize,
        token: u32,
        units: u32,
    },
    Commit,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..3usize, 0..2u32, 1..5_000u32, any::<bool>())
            .prop_map(|(user, token, units, to_existing)| Op::Deposit { user, token, units, to_existing }),
        4 => (0..3usize, 0..3usize, 0..2u32, 0..3_000u32).prop_map(|(from, to, token, units)| Op::Transfer { from, to, token, units }),
        3 => (0..3usize, 0..2u32, 1..3_000u32).prop_map(|(user, token, units)| Op::Withdraw { user, token, units }),
        1 => Just(Op::Commit),
    ]
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 8, ..ProptestConfig::default() })]

    #[test]
    fn l1_payouts_equal_l2_withdrawals(ops in prop::collection::vec(op(), 4..24)) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        runtime.block_on(history(ops))?;
    }
}

async fn history(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let fail = |what: &str, e: &dyn std::fmt::Display| TestCaseError::fail(format!("{what}: {e}"));
    let mut devnet = Devnet::start(&DevnetConfig::default())
        .await
        .map_err(|e| fail("devnet", &e))?;
    let d = devnet.deployment.clone();
    let users = devnet.users.clone();
    let mut pending: Vec<RecordBytes> = Vec::new();
    let mut nonces: BTreeMap<(usize, u32), u32> = BTreeMap::new();
    let mut applied_withdraws = 0usize;

    for op in ops.into_iter().chain([Op::Commit]) {
        let state = devnet.sequencer.state().clone();
        let account = |user: &User, token: u32| {
            state
                .find_account(user.address(), TokenId(token))
                .map(|(index, _)| index)
        };
        match op {
            Op::Deposit {
                user,
                token,
                units,
                to_existing,
            } => {
                let u = &users[user];
                let target = match (to_existing, account(u, token)) {
                    (true, Some(index)) => u64::from(index.0),
                    _ => NEW_ACCOUNT,
                };
                let amount = u128::from(units) * UNIT;
                if token == 0 {
                    u.deposit_eth(&d, amount, target)
                        .await
                        .map_err(|e| fail("depositETH", &e))?;
                } else {
                    u.deposit_erc20(&d, devnet.token, amount, target)
                        .await
                        .map_err(|e| fail("depositERC20", &e))?;
                }
            }
            Op::Transfer {
                from,
                to,
                token,
                units,
            } => {
                let (Some(from_index), Some(to_index)) =
                    (account(&users[from], token), account(&users[to], token))
                else {
                    continue;
                };
                let nonce = nonces
                    .entry((from, token))
                    .or_insert(state.account(from_index).map_or(0, |a| a.nonce));
                let tx = Transfer {
                    from: from_index,
                    to: to_index,
                    token: TokenId(token),
                    amount: u128::from(units) * UNIT,
                    fee: 0,
                    nonce: *nonce,
                };
                *nonce += 1;
                let signed = users[from]
                    .sign_transfer(&d, tx)
                    .await
                    .map_err(|e| fail("sign", &e))?;
                pending.push(signed.encode());
            }
            Op::Withdraw { user, token, units } => {
                let u = &users[user];
                let Some(from_index) = account(u, token) else {
                    continue;
                };
                let nonce = nonces
                    .entry((user, token))
                    .or_insert(state.account(from_index).map_or(0, |a| a.nonce));
                let tx = Withdraw {
                    from: from_index,
                    recipient: u.address(),
                    amount: u128::from(units) * UNIT,
                    fee: 0,
                    nonce: *nonce,
                };
                *nonce += 1;
                let signed = u
                    .sign_withdraw(&d, tx)
                    .await
                    .map_err(|e| fail("sign", &e))?;
                pending.push(signed.encode());
            }
            Op::Commit => {
                let has_messages = !devnet
                    .sequencer
                    .pending_messages()
                    .await
                    .map_err(|e| fail("messages", &e))?
                    .is_empty();
                if has_messages || !pending.is_empty() {
                    let report = devnet
                        .sequencer
                        .commit(std::mem::take(&mut pending))
                        .await
                        .map_err(|e| fail("commit", &e))?;
                    for step in &report.steps {
                        match step.outcome.skip_reason() {
                            None => {}
                            Some(reason) => prop_assert!(
                                matches!(reason.name(), "Overdraft" | "BadNonce"),
                                "batch {} step {} skipped for {}: only overdrafts and stale nonces are expected",
                                report.batch,
                                step.step,
                                reason
                            ),
                        }
                    }
                    applied_withdraws += report
                        .steps
                        .iter()
                        .filter(|s| s.outcome.is_applied())
                        .filter(|s| matches!(&s.input, Step::Record(bytes) if matches!(Record::decode(bytes), Record::Withdraw(_))))
                        .count();
                    // Skipped transactions did not consume their nonces: resync.
                    nonces.clear();
                }
            }
        }
    }

    devnet
        .pass_window()
        .await
        .map_err(|e| fail("time travel", &e))?;
    let rollup = Rollup::new(d.rollup, &devnet.deployer.provider);
    let tip = rollup.tip().call().await.map_err(|e| fail("tip", &e))?;
    for batch in 1..=tip {
        send(rollup.finalizeBatch(batch), "finalizeBatch")
            .await
            .map_err(|e| fail("finalize", &e))?;
    }

    let view = final_state(&devnet.deployer, &d)
        .await
        .map_err(|e| fail("rebuild", &e))?;
    prop_assert_eq!(
        view.state.root(),
        devnet.sequencer.state().root(),
        "state rebuilt from L1 equals the sequencer's"
    );
    let by_address: BTreeMap<Address, &User> = users.iter().map(|u| (u.address(), u)).collect();
    let leaves: Vec<_> = view.state.withdrawals().cloned().collect();
    prop_assert_eq!(
        leaves.len(),
        applied_withdraws,
        "one withdrawal leaf per applied withdraw"
    );
    for leaf in &leaves {
        let user = by_address
            .get(&leaf.recipient)
            .ok_or_else(|| fail("recipient", &leaf.recipient))?;
        let token = (leaf.token.0 != 0).then_some(devnet.token);
        let before = balance_of(&user.l1.provider, token, user.address())
            .await
            .map_err(|e| fail("balance", &e))?;
        // Paid by the deployer, so the recipient's balance moves by the payout alone.
        finalize_withdrawal(&devnet.deployer, &d, &view, leaf.index)
            .await
            .map_err(|e| fail("finalizeWithdrawal", &e))?;
        let after = balance_of(&user.l1.provider, token, user.address())
            .await
            .map_err(|e| fail("balance", &e))?;
        prop_assert_eq!(
            after - before,
            U256::from(leaf.amount),
            "withdrawal {} pays exactly its amount",
            leaf.index.0
        );
        let again = finalize_withdrawal(&devnet.deployer, &d, &view, leaf.index).await;
        prop_assert!(
            matches!(&again, Err(ExitError::Chain(e)) if matches!(e.bridge_revert(), Some(BridgeErrors::AlreadyPaid(_)))),
            "a second payout of withdrawal {} must revert with AlreadyPaid, got {:?}",
            leaf.index.0,
            again.map(|s| s.tx)
        );
    }

    // Every token the Bridge registered (ETH is id 0): all paid, so L1 = L2.
    let bridge = Bridge::new(d.bridge, &devnet.deployer.provider);
    let tokens = bridge
        .tokenCount()
        .call()
        .await
        .map_err(|e| fail("tokenCount", &e))?;
    for token in (0..tokens).map(TokenId) {
        let held = bridge_holdings(&devnet.deployer, &d, token)
            .await
            .map_err(|e| fail("holdings", &e))?;
        prop_assert_eq!(
            held,
            l2_total(&view.state, token),
            "{}: bridge holds exactly the L2 balances once all is paid",
            token
        );
    }
    Ok(())
}
