//! Dispute games end to end on anvil: the running challenger catches a batch
//! whose post-state invents a withdrawal draining the Bridge, the defender
//! answers every move, the batch loses before it can finalize, the stake pays
//! the challenger, and the honest sequencer re-commits and users withdraw.

use alloy::{primitives::U256, providers::Provider};
use bulwark_actors::{
    devnet::{Devnet, DevnetConfig},
    dispute::{
        challenger::{Challenger, ChallengerStrategy},
        defender::{Defender, DefenderStrategy},
        fault::Fault,
        moves::{GameMove, MoveKind},
    },
    exit::{bridge_holdings, final_state, finalize_withdrawal},
    sequencer::Sequencer,
};
use bulwark_chain::{
    bindings::Rollup,
    dispute::{self, GameStatus},
};
use bulwark_engine::{Header, NEW_ACCOUNT, TokenId, WithdrawalIndex};

const ETH: u128 = 10u128.pow(18);

/// Ticks challenger and defender until neither has a move left; returns every move.
async fn play_out(challenger: &Challenger, defender: &Defender) -> Vec<GameMove> {
    let mut all = Vec::new();
    for _ in 0..32 {
        let mut moves = challenger.tick().await.expect("challenger tick");
        moves.extend(defender.tick().await.expect("defender tick"));
        if moves.is_empty() {
            return all;
        }
        all.extend(moves);
    }
    panic!("the game did not end in 32 rounds:\n{}", lines(&all));
}

fn lines(moves: &[GameMove]) -> String {
    moves.iter().map(|m| format!("{m}\n")).collect()
}

#[tokio::test]
async fn a_batch_inventing_a_withdrawal_is_challenged_and_loses() {
    let config = DevnetConfig {
        users: ["alice", "bob", "watcher"].map(String::from).to_vec(),
        ..DevnetConfig::default()
    };
    let mut devnet = Devnet::start(&config).await.expect("devnet");
    let d = devnet.deployment.clone();
    let (alice, watcher) = (devnet.users[0].clone(), devnet.users[2].clone());
    let provider = alice.l1.provider.clone();
    let rollup = Rollup::new(d.rollup, &provider);

    // An honest batch with alice's deposit, then one that lies at step 1.
    alice
        .deposit_eth(&d, 3 * ETH, NEW_ACCOUNT)
        .await
        .expect("deposit");
    devnet
        .sequencer
        .commit(vec![])
        .await
        .expect("honest commit");
    alice.deposit_eth(&d, ETH, 0).await.expect("deposit");
    alice
        .deposit_eth(&d, ETH, NEW_ACCOUNT)
        .await
        .expect("deposit");
    let thief = devnet.sequencer_account().address();
    let fault = Fault::PostRootFrom {
        step: 1,
        thief,
        amount: 5 * ETH,
    };
    let wrong = devnet
        .sequencer
        .commit_claiming(vec![], Some(fault))
        .await
        .expect("wrong commit");
    assert_ne!(wrong.state_root, wrong.honest_root);
    let held = bridge_holdings(&alice.l1, &d, TokenId::ETH).await.unwrap();
    assert_eq!(held, U256::from(5 * ETH));

    let challenger = Challenger::new(
        "watcher",
        watcher.l1.clone(),
        d.clone(),
        ChallengerStrategy::Honest,
    );
    let defender = Defender::new(
        devnet.sequencer_account().clone(),
        d.clone(),
        devnet.sequencer.claims(),
        DefenderStrategy::Honest,
    );
    let audit = challenger.audit().await.expect("audit");
    assert!(audit[&1].honest, "batch 1 re-executes to its claims");
    assert!(!audit[&2].honest, "batch 2 does not");

    let moves = play_out(&challenger, &defender).await;
    let log = lines(&moves);
    println!("{log}");
    assert!(
        matches!(moves[0].kind, MoveKind::Opened { batch: 2, .. }),
        "{log}"
    );
    let stepped = moves
        .iter()
        .find_map(|m| match &m.kind {
            MoveKind::Stepped {
                step,
                claimed,
                computed,
                ..
            } => Some((*step, *claimed, *computed)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no step:\n{log}"));
    assert_eq!(stepped.0, 1, "the game ends at the first wrong step\n{log}");
    assert_ne!(stepped.1, stepped.2, "{log}");
    let game = dispute::game(&provider, d.dispute, 0).await.unwrap();
    assert_eq!(game.status, GameStatus::ChallengerWon, "{log}");
    assert!(game.resolved);
    let picks = moves
        .iter()
        .filter(|m| matches!(m.kind, MoveKind::Picked { .. } | MoveKind::Stepped { .. }))
        .count();
    assert!(picks <= 2, "T = 4: one reveal, one pick, the step\n{log}");

    // The batch is gone, the stake paid out as §14.5 says, the Bridge untouched.
    assert_eq!(rollup.tip().call().await.unwrap(), 1);
    assert_eq!(rollup.epoch().call().await.unwrap(), 1);
    let stake = d.params.stake;
    assert_eq!(rollup.stakeOf(thief).call().await.unwrap(), U256::ZERO);
    assert_eq!(
        rollup.creditOf(watcher.address()).call().await.unwrap(),
        d.params.challenge_bond + stake / U256::from(2)
    );
    assert_eq!(rollup.burned().call().await.unwrap(), stake / U256::from(2));
    assert_eq!(
        bridge_holdings(&alice.l1, &d, TokenId::ETH).await.unwrap(),
        U256::from(5 * ETH),
        "the Bridge keeps every wei"
    );

    // The honest sequencer re-stakes, rebuilds from L1 and re-commits; the
    // challenger finds nothing to dispute; after the window alice withdraws.
    let mut honest = Sequencer::resume(
        devnet.sequencer_account().clone(),
        d.clone(),
        Header::default(),
    )
    .await
    .expect("resume");
    honest.stake().await.expect("stake again");
    let alice_user = bulwark_engine::AccountIndex(0);
    let withdraw = alice
        .sign_withdraw(
            &d,
            bulwark_engine::Withdraw {
                from: alice_user,
                recipient: alice.address(),
                amount: 4 * ETH,
                fee: 0,
                nonce: 0,
            },
        )
        .await
        .unwrap();
    let recommit = honest
        .commit(vec![withdraw.encode()])
        .await
        .expect("re-commit");
    assert_eq!(recommit.batch, 2);
    assert!(play_out(&challenger, &defender).await.is_empty());
    devnet.pass_window().await.unwrap();
    for b in 1..=2u64 {
        Rollup::new(d.rollup, &watcher.l1.provider)
            .finalizeBatch(b)
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
    }
    let view = final_state(&alice.l1, &d).await.unwrap();
    let before = provider.get_balance(alice.address()).await.unwrap();
    finalize_withdrawal(&watcher.l1, &d, &view, WithdrawalIndex(0))
        .await
        .expect("alice's withdrawal pays");
    let after = provider.get_balance(alice.address()).await.unwrap();
    assert_eq!(after - before, U256::from(4 * ETH));
}
