//! Censorship resistance end to end (PROTOCOL §16–§17): an honest sequencer
//! consumes a forced withdrawal before the deadline even when the guardian (a
//! real Safe) pauses at the worst moment; a censoring sequencer misses it,
//! anyone freezes, and every user gets exactly their balance in the last final
//! batch, pending deposits back, and the Bridge ends holding zero of every
//! token. The freeze path also runs on Hardhat's node.

use alloy::primitives::{Address, U256};
use bulwark_actors::{
    devnet::{Devnet, DevnetConfig},
    escape::{self, EscapeError, freeze_if_overdue, oldest_unconsumed},
    exit::{bridge_holdings, final_state, finalize_withdrawal},
    sequencer::Censorship,
};
use bulwark_chain::{
    ChainError, balance_of,
    bindings::{Bridge, Revert, Rollup},
    node::{L1Kind, advance_time},
    send,
};
use bulwark_engine::{AccountIndex, NEW_ACCOUNT, TokenId, Transfer, WithdrawalIndex};

const ETH: u128 = 10u128.pow(18);

/// The Rollup error a failed call or Safe execution carries, by name.
fn rollup_error(e: &ChainError) -> String {
    match e {
        ChainError::Contract {
            revert: Revert::Rollup(r),
            ..
        } => format!("{r:?}"),
        ChainError::SafeCallReverted { revert, .. } => match revert.as_ref() {
            Revert::Rollup(r) => format!("{r:?}"),
            other => format!("{other:?}"),
        },
        other => format!("{other}"),
    }
}

#[tokio::test]
async fn an_honest_sequencer_includes_a_forced_withdrawal_despite_a_worst_case_pause() {
    let mut devnet = Devnet::start(&DevnetConfig::default())
        .await
        .expect("devnet");
    let d = devnet.deployment.clone();
    let alice = devnet.users[0].clone();
    let provider = alice.l1.provider.clone();

    alice
        .deposit_eth(&d, 2 * ETH, NEW_ACCOUNT)
        .await
        .expect("deposit");
    devnet.sequencer.commit(vec![]).await.expect("commit");
    // Alice is ignored on L2, so she forces her withdrawal on L1.
    let forced = alice
        .force_withdrawal(&d, 0, 0, ETH)
        .await
        .expect("forced withdrawal");
    assert!(
        forced.sent.gas_used <= 60_000,
        "forced request costs {} gas",
        forced.sent.gas_used
    );

    // The guardian pauses at the worst moment: commits and deposits stop...
    let paused = devnet.guardian.pause_at_worst(&d).await.expect("pause");
    assert!(paused.is_some(), "the guardian had its chance and took it");
    let refused = devnet.sequencer.commit(vec![]).await.expect_err("paused");
    assert!(format!("{refused}").contains("CommitsPaused"), "{refused}");
    let deposit = alice.deposit_eth(&d, ETH, 0).await.expect_err("paused");
    assert!(
        format!("{deposit}").contains("DepositsPausedUntil"),
        "{deposit}"
    );
    // ...but it cannot pause again within the cooldown, nor touch the queue.
    let again = devnet.guardian.pause(&d).await.expect_err("cooldown");
    assert!(rollup_error(&again).contains("PauseInCooldown"), "{again}");

    // The pause ends by itself; the sequencer consumes the message in time.
    advance_time(&provider, d.params.pause).await.expect("time");
    let report = devnet.sequencer.commit(vec![]).await.expect("commit");
    assert_eq!(report.messages, 1, "the forced withdrawal is consumed");
    assert!(oldest_unconsumed(&provider, &d).await.unwrap().is_none());
    advance_time(&provider, d.params.deadline)
        .await
        .expect("time");
    assert!(
        freeze_if_overdue(&alice.l1, &d).await.unwrap().is_none(),
        "nothing is overdue: the rollup cannot be frozen"
    );

    // Final after the window, the forced withdrawal pays alice on L1.
    let rollup = Rollup::new(d.rollup, &provider);
    advance_time(&provider, d.params.window)
        .await
        .expect("time");
    for batch in 1..=report.batch {
        send(rollup.finalizeBatch(batch), "finalizeBatch")
            .await
            .expect("finalize");
    }
    let view = final_state(&alice.l1, &d).await.expect("final state");
    let leaf = view
        .state
        .withdrawal(WithdrawalIndex(0))
        .copied()
        .expect("the forced withdrawal made a withdrawal leaf");
    assert_eq!((leaf.recipient, leaf.amount), (alice.address(), ETH));
    let before = balance_of(&provider, None, alice.address()).await.unwrap();
    let relayer = &devnet.users[1].l1;
    finalize_withdrawal(relayer, &d, &view, WithdrawalIndex(0))
        .await
        .expect("withdrawal");
    let after = balance_of(&provider, None, alice.address()).await.unwrap();
    assert_eq!(after - before, U256::from(ETH), "alice got exactly 1 ETH");
}

#[tokio::test]
async fn a_censoring_sequencer_is_frozen_and_everyone_exits_on_anvil() {
    censored_rollup_freezes(L1Kind::Anvil).await;
}

/// Hardhat's node enforces EIP-7825's gas cap: the freeze and every exit fit.
#[tokio::test]
async fn a_censoring_sequencer_is_frozen_and_everyone_exits_on_hardhat() {
    censored_rollup_freezes(L1Kind::Hardhat).await;
}

async fn censored_rollup_freezes(l1: L1Kind) {
    let config = DevnetConfig {
        l1,
        users: ["alice", "bob", "carol", "keeper"]
            .map(String::from)
            .to_vec(),
        ..DevnetConfig::default()
    };
    let mut devnet = Devnet::start(&config).await.expect("devnet");
    let d = devnet.deployment.clone();
    let [alice, bob, carol, keeper] = [0, 1, 2, 3].map(|i| devnet.users[i].clone());
    let provider = alice.l1.provider.clone();
    let token = devnet.token;
    let rollup = Rollup::new(d.rollup, &provider);

    // Batch 1 (final): alice 5 ETH and 100 BDT, bob 1 ETH; alice pays bob 2 ETH
    // and withdraws 1 ETH (left unpaid until after the freeze).
    alice.deposit_eth(&d, 5 * ETH, NEW_ACCOUNT).await.unwrap();
    alice
        .deposit_erc20(&d, token, 100 * ETH, NEW_ACCOUNT)
        .await
        .unwrap();
    bob.deposit_eth(&d, ETH, NEW_ACCOUNT).await.unwrap();
    // Accounts 0 and 2 are alice's and bob's ETH leaves (1 is alice's BDT).
    let (a_eth, b_eth) = (AccountIndex(0), AccountIndex(2));
    let t = alice
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
        .await
        .unwrap();
    let w = alice
        .sign_withdraw(
            &d,
            bulwark_engine::Withdraw {
                from: a_eth,
                recipient: alice.address(),
                amount: ETH,
                fee: 0,
                nonce: 1,
            },
        )
        .await
        .unwrap();
    devnet
        .sequencer
        .commit(vec![t.encode(), w.encode()])
        .await
        .unwrap();
    advance_time(&provider, d.params.window).await.unwrap();
    send(rollup.finalizeBatch(1), "finalizeBatch")
        .await
        .unwrap();

    // Batch 2 (pending): carol deposits 3 ETH, bob pays alice 1 ETH. Both are
    // lost with the batch: the deposit comes back as a refund, the transfer is gone.
    carol.deposit_eth(&d, 3 * ETH, NEW_ACCOUNT).await.unwrap();
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
        .await
        .unwrap();
    devnet.sequencer.commit(vec![t2.encode()]).await.unwrap();

    // The sequencer now censors bob: his forced withdrawal holds back the
    // queue, carol's later deposit of 50 BDT with it.
    devnet
        .sequencer
        .set_censorship(Censorship::Senders([bob.address()].into()));
    bob.force_withdrawal(&d, b_eth.0, 0, ETH).await.unwrap();
    carol
        .deposit_erc20(&d, token, 50 * ETH, NEW_ACCOUNT)
        .await
        .unwrap();
    let t3 = alice
        .sign_transfer(
            &d,
            Transfer {
                from: a_eth,
                to: b_eth,
                token: TokenId::ETH,
                amount: ETH,
                fee: 0,
                nonce: 2,
            },
        )
        .await
        .unwrap();
    let report = devnet.sequencer.commit(vec![t3.encode()]).await.unwrap();
    assert_eq!(report.messages, 0, "the censored queue does not move");

    // Not overdue yet: the keeper cannot freeze; one second past the deadline it can.
    assert!(freeze_if_overdue(&keeper.l1, &d).await.unwrap().is_none());
    let early = escape::plan(&keeper.l1, &d).await.expect_err("not frozen");
    assert!(matches!(early, EscapeError::NotFrozen), "{early}");
    advance_time(&provider, d.params.deadline + 1)
        .await
        .unwrap();
    let frozen = freeze_if_overdue(&keeper.l1, &d)
        .await
        .unwrap()
        .expect("the keeper freezes");
    assert!(frozen.gas_used < 1 << 24, "the freeze fits EIP-7825's cap");
    assert_eq!(rollup.tip().call().await.unwrap(), 1, "pinned at batch 1");
    assert!(rollup.frozen().call().await.unwrap());

    // Nothing moves any more, and the guardian has nothing left to do.
    let commit = devnet
        .sequencer
        .commit(vec![[0u8; 128]])
        .await
        .expect_err("frozen");
    assert!(format!("{commit}").contains("RollupFrozen"), "{commit}");
    let deposit = alice.deposit_eth(&d, ETH, 0).await.expect_err("frozen");
    assert!(format!("{deposit}").contains("QueueClosed"), "{deposit}");
    for refused in [
        devnet.guardian.pause(&d).await.err(),
        devnet
            .guardian
            .set_sequencer(&d, Address::repeat_byte(7))
            .await
            .err(),
    ] {
        let e = refused.expect("the guardian is refused once frozen");
        assert!(rollup_error(&e).contains("RollupFrozen"), "{e}");
    }

    // Everyone's L1 balances before the escape.
    let eth_before = |who: Address| {
        let provider = provider.clone();
        async move { balance_of(&provider, None, who).await.unwrap() }
    };
    let bdt_before = |who: Address| {
        let provider = provider.clone();
        async move { balance_of(&provider, Some(token), who).await.unwrap() }
    };
    let people = [alice.address(), bob.address(), carol.address()];
    let mut eth = Vec::new();
    let mut bdt = Vec::new();
    for who in people {
        eth.push(eth_before(who).await);
        bdt.push(bdt_before(who).await);
    }

    // The keeper, not the users, pays everyone out of the pinned state.
    let plan = escape::plan(&keeper.l1, &d).await.expect("plan");
    assert_eq!(plan.batch, 1);
    assert_eq!(plan.exits.len(), 3, "alice ETH, alice BDT, bob ETH");
    assert_eq!(plan.withdrawals, vec![WithdrawalIndex(0)]);
    let refunds: Vec<u64> = plan.refunds.iter().map(|m| m.index).collect();
    assert_eq!(
        refunds,
        vec![3, 5],
        "carol's two deposits; bob's forced withdrawal carries nothing"
    );
    let report = escape::escape_all(&keeper.l1, &d).await.expect("escape");
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    for (index, sent) in &report.exits {
        assert!(
            sent.gas_used <= 100_000,
            "exit of {index} cost {}",
            sent.gas_used
        );
    }

    // Exactly the balances of batch 1: alice 5 − 2 − 1 = 2 ETH (+1 withdrawn)
    // and 100 BDT, bob 1 + 2 = 3 ETH, carol her 3 ETH and 50 BDT back; the
    // transfers of the dropped batches are gone.
    let gained = |i: usize, now: U256, before: &[U256]| now - before[i];
    let expected_eth = [3 * ETH, 3 * ETH, 3 * ETH];
    let expected_bdt = [100 * ETH, 0, 50 * ETH];
    for (i, who) in people.into_iter().enumerate() {
        let e = gained(i, eth_before(who).await, &eth);
        let b = gained(i, bdt_before(who).await, &bdt);
        assert_eq!(e, U256::from(expected_eth[i]), "ETH of user {i}");
        assert_eq!(b, U256::from(expected_bdt[i]), "BDT of user {i}");
    }
    for t in [TokenId::ETH, TokenId(1)] {
        let held = bridge_holdings(&keeper.l1, &d, t).await.unwrap();
        assert_eq!(
            held,
            U256::ZERO,
            "the Bridge holds nothing of token {}",
            t.0
        );
    }

    // Replays and proofs against other roots are refused with their own errors.
    let bridge = Bridge::new(d.bridge, &keeper.l1.provider);
    let again = escape::exit(&keeper.l1, &d, &plan, &plan.exits[0])
        .await
        .expect_err("exit twice");
    assert!(format!("{again}").contains("AlreadyExited"), "{again}");
    let refund_again = escape::refund(&keeper.l1, &d, &plan.refunds[0])
        .await
        .expect_err("refund twice");
    assert!(
        format!("{refund_again}").contains("AlreadyRefunded"),
        "{refund_again}"
    );
    // The sequencer's own state at its dropped tip: a real state, but not the pinned one.
    let dropped = devnet.sequencer.state().clone();
    let proof = dropped
        .account_proof(a_eth)
        .expect("alice's account in the dropped state");
    let other_root = bridge.exit(
        (&dropped.preimage()).into(),
        (&proof.leaf).into(),
        proof.index.0,
        proof.siblings.to_vec(),
    );
    let e = send(other_root, "exit").await.expect_err("another root");
    assert!(format!("{e}").contains("NotEscapeRoot"), "{e}");

    // The sequencer's pending batches were dropped: its stake stays locked.
    let unstake = send(
        Rollup::new(d.rollup, &devnet.sequencer_account().provider).unstake(),
        "unstake",
    )
    .await
    .expect_err("stake locked");
    assert!(format!("{unstake}").contains("StakeLocked"), "{unstake}");
}
