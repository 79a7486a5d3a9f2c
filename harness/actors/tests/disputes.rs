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
    node::L1Kind,
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
    fraud_loses(L1Kind::Anvil).await;
}

/// Hardhat's node enforces EIP-7825's 2^24 gas cap: a whole game passes there too.
#[tokio::test]
async fn a_full_game_passes_on_hardhat() {
    fraud_loses(L1Kind::Hardhat).await;
}

async fn fraud_loses(l1: L1Kind) {
    let config = DevnetConfig {
        l1,
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
    // A descendant on top of the lie: it falls with it.
    alice.deposit_eth(&d, ETH, 0).await.expect("deposit");
    let descendant = devnet.sequencer.commit(vec![]).await.expect("descendant");
    assert_eq!(descendant.batch, 3);
    let held = bridge_holdings(&alice.l1, &d, TokenId::ETH).await.unwrap();
    assert_eq!(held, U256::from(6 * ETH));

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
    assert!(
        !audit.contains_key(&3),
        "batch 3 stands on batch 2 and is not judged"
    );

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

    // The batch and its descendant are gone, the stake paid out as §14.5
    // says, the Bridge untouched.
    assert_eq!(rollup.tip().call().await.unwrap(), 1);
    assert!(rollup.batch(3).call().await.is_err(), "batch 3 was dropped");
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
        U256::from(6 * ETH),
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
                amount: 5 * ETH,
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
    assert_eq!(
        after - before,
        U256::from(5 * ETH),
        "alice's account 0 pays out exactly its L2 balance"
    );
    assert_eq!(
        view.state
            .account(bulwark_engine::AccountIndex(0))
            .map(|a| a.balance),
        Some(0)
    );
}

/// A devnet with an honest batch 1 (alice's deposit), alice's account 0 funded.
async fn devnet_with_batch() -> Devnet {
    let config = DevnetConfig {
        users: ["alice", "watcher", "colluder"].map(String::from).to_vec(),
        ..DevnetConfig::default()
    };
    let mut devnet = Devnet::start(&config).await.expect("devnet");
    let d = devnet.deployment.clone();
    devnet.users[0]
        .deposit_eth(&d, 2 * ETH, NEW_ACCOUNT)
        .await
        .expect("deposit");
    devnet.sequencer.commit(vec![]).await.expect("commit");
    devnet
}

/// Queues `deposits` more deposits to alice's account 0 and commits them as
/// batch 2 with the lie `fault`.
async fn lie_after_deposits(devnet: &mut Devnet, deposits: usize, fault: Fault) {
    let d = devnet.deployment.clone();
    for _ in 0..deposits {
        devnet.users[0].deposit_eth(&d, ETH, 0).await.unwrap();
    }
    devnet
        .sequencer
        .commit_claiming(vec![], Some(fault))
        .await
        .unwrap();
}

fn defender(devnet: &Devnet, strategy: DefenderStrategy) -> Defender {
    devnet.defender(strategy)
}

fn challenger(devnet: &Devnet, user: usize, strategy: ChallengerStrategy) -> Challenger {
    devnet.challenger(&devnet.users[user], strategy)
}

fn status_of(moves: &[GameMove], game: u64) -> Option<GameStatus> {
    moves.iter().rev().find_map(|m| match m.kind {
        MoveKind::Resolved { status } if m.game == game => Some(status),
        _ => None,
    })
}

#[tokio::test]
async fn a_frivolous_challenger_loses_its_bond() {
    let devnet = devnet_with_batch().await;
    let d = devnet.deployment.clone();
    let frivolous = challenger(&devnet, 1, ChallengerStrategy::Honest);
    assert!(frivolous.audit().await.unwrap()[&1].honest);
    let opened = frivolous
        .challenge(1)
        .await
        .expect("anyone may open a game");
    let mut moves = vec![opened];
    moves.extend(play_out(&frivolous, &defender(&devnet, DefenderStrategy::Honest)).await);
    let log = lines(&moves);
    assert_eq!(status_of(&moves, 0), Some(GameStatus::DefenderWon), "{log}");
    let rollup = Rollup::new(d.rollup, &devnet.deployer.provider);
    let sequencer = devnet.sequencer_account().address();
    assert_eq!(
        rollup.creditOf(sequencer).call().await.unwrap(),
        d.params.challenge_bond
    );
    assert_eq!(
        rollup
            .creditOf(devnet.users[1].address())
            .call()
            .await
            .unwrap(),
        U256::ZERO
    );
    assert_eq!(
        rollup.stakeOf(sequencer).call().await.unwrap(),
        d.params.stake
    );
    assert_eq!(rollup.tip().call().await.unwrap(), 1);
    devnet.pass_window().await.unwrap();
    let sent = rollup
        .finalizeBatch(1)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(sent.status(), "the defended batch finalizes");
}

#[tokio::test]
async fn a_stalling_defender_loses_on_time() {
    let mut devnet = devnet_with_batch().await;
    let fault = Fault::GarbageTrace {
        thief: devnet.sequencer_account().address(),
        amount: 3 * ETH,
    };
    lie_after_deposits(&mut devnet, 3, fault).await;
    let d = devnet.deployment.clone();
    let watcher = challenger(&devnet, 1, ChallengerStrategy::Honest);
    let stalling = defender(&devnet, DefenderStrategy::Stall);
    let mut moves = play_out(&watcher, &stalling).await;
    assert!(matches!(moves[0].kind, MoveKind::Opened { batch: 2, .. }));
    assert_eq!(
        moves.len(),
        1,
        "nothing moves until the defender's clock runs out"
    );
    bulwark_chain::node::advance_time(&devnet.deployer.provider, d.params.clock + 1)
        .await
        .unwrap();
    moves.extend(play_out(&watcher, &stalling).await);
    let log = lines(&moves);
    assert!(
        moves
            .iter()
            .any(|m| m.kind == MoveKind::TimedOut { loser: "defender" }),
        "{log}"
    );
    assert_eq!(
        status_of(&moves, 0),
        Some(GameStatus::ChallengerWon),
        "{log}"
    );
    let rollup = Rollup::new(d.rollup, &devnet.deployer.provider);
    assert_eq!(rollup.tip().call().await.unwrap(), 1);
}

#[tokio::test]
async fn a_defender_revealing_hashes_that_do_not_fold_is_refused_then_loses() {
    let mut devnet = devnet_with_batch().await;
    lie_after_deposits(&mut devnet, 2, Fault::TraceOnly { step: 0 }).await;
    let d = devnet.deployment.clone();
    let watcher = challenger(&devnet, 1, ChallengerStrategy::Honest);
    let cheat = defender(&devnet, DefenderStrategy::BadFold);
    let mut moves = Vec::new();
    moves.extend(watcher.tick().await.unwrap());
    moves.extend(cheat.tick().await.unwrap());
    let log = lines(&moves);
    let refused = moves.iter().find_map(|m| match &m.kind {
        MoveKind::RevealRefused { reason } => Some(reason.clone()),
        _ => None,
    });
    assert!(
        refused
            .as_deref()
            .is_some_and(|r| r.contains("ChildrenDoNotFold")),
        "{log}"
    );
    bulwark_chain::node::advance_time(&devnet.deployer.provider, d.params.clock + 1)
        .await
        .unwrap();
    moves.extend(play_out(&watcher, &defender(&devnet, DefenderStrategy::Stall)).await);
    assert_eq!(
        status_of(&moves, 0),
        Some(GameStatus::ChallengerWon),
        "{}",
        lines(&moves)
    );
}

/// Two games on one wrong batch: a challenger colluding with the sequencer
/// opens first and plays to lose; the honest one still rejects the batch, and
/// the colluder's game ends dropped with its bond refunded.
#[tokio::test]
async fn parallel_games_on_one_batch_resolve_consistently() {
    let mut devnet = devnet_with_batch().await;
    let fault = Fault::PostRootFrom {
        step: 5,
        thief: devnet.sequencer_account().address(),
        amount: 7 * ETH,
    };
    lie_after_deposits(&mut devnet, 5, fault).await;
    let d = devnet.deployment.clone();
    let colluder = challenger(&devnet, 2, ChallengerStrategy::FirstChild);
    let watcher = challenger(&devnet, 1, ChallengerStrategy::Honest);
    let honest_defender = defender(&devnet, DefenderStrategy::Honest);
    let mut moves = vec![colluder.challenge(2).await.unwrap()];
    for _ in 0..32 {
        let mut round = colluder.tick().await.unwrap();
        round.extend(watcher.tick().await.unwrap());
        round.extend(honest_defender.tick().await.unwrap());
        if round.is_empty() {
            break;
        }
        moves.extend(round);
    }
    let log = lines(&moves);
    let provider = &devnet.deployer.provider;
    let colluders = dispute::game(provider, d.dispute, 0).await.unwrap();
    let watchers = dispute::game(provider, d.dispute, 1).await.unwrap();
    assert_eq!(watchers.status, GameStatus::ChallengerWon, "{log}");
    assert!(watchers.resolved);
    assert!(
        matches!(
            colluders.status,
            GameStatus::Dropped | GameStatus::DefenderWon
        ),
        "{log}"
    );
    let rollup = Rollup::new(d.rollup, provider);
    assert_eq!(rollup.tip().call().await.unwrap(), 1, "rewound once");
    assert_eq!(rollup.epoch().call().await.unwrap(), 1);
    let half = d.params.stake / U256::from(2);
    assert_eq!(
        rollup
            .creditOf(devnet.users[1].address())
            .call()
            .await
            .unwrap(),
        d.params.challenge_bond + half
    );
    if colluders.status == GameStatus::Dropped {
        assert_eq!(
            rollup
                .creditOf(devnet.users[2].address())
                .call()
                .await
                .unwrap(),
            d.params.challenge_bond,
            "the colluder's bond is refunded, nothing more"
        );
    }
    assert_eq!(rollup.burned().call().await.unwrap(), half);
}

/// The attack from outside: someone holding the sequencer's key (public on a
/// devnet) commits a batch whose post-state pays them the Bridge's ETH, and
/// walks away. The challenger, running as a task on L1 blocks, catches it;
/// the batch never finalizes and the Bridge keeps every wei.
#[tokio::test]
async fn a_running_challenger_stops_a_bridge_drain_by_the_sequencer_key() {
    let devnet = devnet_with_batch().await;
    let d = devnet.deployment.clone();
    devnet.users[0].deposit_eth(&d, 3 * ETH, 0).await.unwrap();
    let (task, mut seen) = bulwark_actors::dispute::spawn(
        challenger(&devnet, 1, ChallengerStrategy::Honest),
        std::time::Duration::from_millis(50),
    );

    let attacker_key = bulwark_chain::node::dev_signer(1).unwrap();
    let attacker =
        bulwark_actors::wallet::L1Account::connect(&devnet.node.endpoint(), attacker_key).unwrap();
    let mut forger = Sequencer::resume(attacker.clone(), d.clone(), Header::default())
        .await
        .unwrap();
    let held = bridge_holdings(&attacker, &d, TokenId::ETH).await.unwrap();
    let drain = u128::try_from(held).unwrap();
    let fault = Fault::PostRootFrom {
        step: 0,
        thief: attacker.address(),
        amount: drain,
    };
    let forged = forger.commit_claiming(vec![], Some(fault)).await.unwrap();
    assert_eq!(forged.batch, 2);

    let opened = tokio::time::timeout(std::time::Duration::from_secs(30), seen.recv())
        .await
        .expect("the running challenger reacts")
        .expect("a move");
    assert!(
        matches!(opened.kind, MoveKind::Opened { batch: 2, .. }),
        "{opened}"
    );
    // Nobody defends the forgery: the clock runs out, and the challenger ends it.
    bulwark_chain::node::advance_time(&devnet.deployer.provider, d.params.clock + 1)
        .await
        .unwrap();
    let mut moves = vec![opened];
    while status_of(&moves, 0).is_none() {
        let m = tokio::time::timeout(std::time::Duration::from_secs(30), seen.recv())
            .await
            .unwrap_or_else(|_| panic!("no resolution:\n{}", lines(&moves)))
            .expect("a move");
        moves.push(m);
    }
    task.abort();
    assert_eq!(
        status_of(&moves, 0),
        Some(GameStatus::ChallengerWon),
        "{}",
        lines(&moves)
    );

    // The window passes; the forged batch is gone and can never pay.
    devnet.pass_window().await.unwrap();
    let rollup = Rollup::new(d.rollup, &attacker.provider);
    assert_eq!(rollup.tip().call().await.unwrap(), 1);
    let finalize = rollup.finalizeBatch(2).call().await;
    assert!(finalize.is_err(), "batch 2 is unknown after the rewind");
    assert_eq!(
        bridge_holdings(&attacker, &d, TokenId::ETH).await.unwrap(),
        held,
        "the Bridge keeps every wei"
    );
}

/// The lie at every kind of step: first (a deposit), a forced withdrawal, a
/// transfer, a malformed record (the middle), an identity padding step, and
/// the last. Each time the game ends at exactly the lying step and the
/// challenger wins; the sequencer re-stakes and lies again about the same
/// batch, which the rewind left unconsumed.
#[tokio::test]
async fn the_lie_is_caught_at_whatever_step_it_sits() {
    let mut devnet = devnet_with_batch().await;
    let d = devnet.deployment.clone();
    let alice = devnet.users[0].clone();
    alice.deposit_eth(&d, ETH, 0).await.unwrap();
    alice.deposit_eth(&d, ETH, NEW_ACCOUNT).await.unwrap();
    let bridge = bulwark_chain::bindings::Bridge::new(d.bridge, &alice.l1.provider);
    bulwark_chain::send(bridge.forceWithdrawal(0, 0, ETH / 2), "forceWithdrawal")
        .await
        .unwrap();
    let transfer = |nonce: u32| bulwark_engine::Transfer {
        from: bulwark_engine::AccountIndex(0),
        to: bulwark_engine::AccountIndex(1),
        token: TokenId::ETH,
        amount: ETH / 10,
        fee: 0,
        nonce,
    };
    let records = vec![
        alice.sign_transfer(&d, transfer(0)).await.unwrap().encode(),
        [0xee; 128],
        alice.sign_transfer(&d, transfer(1)).await.unwrap().encode(),
    ];
    // Steps: 0–1 deposits, 2 the forced withdrawal, 3 a transfer, 4 the malformed
    // record, 5 a transfer, 6–7 identity padding (T = 8).
    let thief = devnet.sequencer_account().address();
    let watcher = challenger(&devnet, 1, ChallengerStrategy::Honest);
    for (game, (step, what)) in [
        (0, "deposit"),
        (2, "forced withdrawal"),
        (3, "transfer"),
        (4, "malformed"),
        (6, "identity"),
        (7, "identity"),
    ]
    .into_iter()
    .enumerate()
    {
        let fault = Fault::PostRootFrom {
            step,
            thief,
            amount: ETH,
        };
        devnet
            .sequencer
            .commit_claiming(records.clone(), Some(fault))
            .await
            .unwrap();
        let moves = play_out(&watcher, &defender(&devnet, DefenderStrategy::Honest)).await;
        let log = lines(&moves);
        let stepped = moves.iter().find_map(|m| match &m.kind {
            MoveKind::Stepped { step, input, .. } => Some((*step, input.clone())),
            _ => None,
        });
        let (at, input) = stepped.unwrap_or_else(|| panic!("no step for a lie at {step}:\n{log}"));
        assert_eq!(at, step as u64, "the game ends at the lying step\n{log}");
        assert!(input.contains(what), "step {step} is a {what}: {input}");
        assert_eq!(
            status_of(&moves, game as u64),
            Some(GameStatus::ChallengerWon),
            "{log}"
        );
        // The sequencer rebuilds from L1, stakes again, and lies once more.
        devnet.sequencer = Sequencer::resume(
            devnet.sequencer_account().clone(),
            d.clone(),
            Header::default(),
        )
        .await
        .unwrap();
        devnet.sequencer.stake().await.unwrap();
    }
    let rollup = Rollup::new(d.rollup, &alice.l1.provider);
    assert_eq!(rollup.tip().call().await.unwrap(), 1);
    assert_eq!(rollup.epoch().call().await.unwrap(), 6);
}
