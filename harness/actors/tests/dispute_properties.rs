//! Random disputes on anvil: random batches (deposits, signed transfers,
//! malformed records), a random lie at a random step, and random strategies
//! on both sides. Whatever the other side plays, the honest side wins every
//! game, within the move bound of PROTOCOL §14.3 (⌈d / 4⌉ + 1 per side).
//!
//! Each case starts its own anvil, so the default is a few cases; set
//! `PROPTEST_CASES` for more.

use bulwark_actors::{
    devnet::{Devnet, DevnetConfig},
    dispute::{
        challenger::{Challenger, ChallengerStrategy},
        defender::{Defender, DefenderStrategy},
        fault::Fault,
        moves::{GameMove, MoveKind},
    },
};
use bulwark_chain::dispute::{self, GameStatus};
use bulwark_engine::{AccountIndex, NEW_ACCOUNT, TokenId, Transfer};
use proptest::{prelude::*, test_runner::TestCaseError};

const MILLI: u128 = 10u128.pow(15);

#[derive(Clone, Copy, Debug)]
enum Lie {
    From,
    StateRootOnly,
    TraceOnly,
    Garbage,
}

#[derive(Clone, Debug)]
struct Case {
    deposits: usize,
    /// Per record: `None` a malformed record, `Some(milli)` a transfer of that amount.
    records: Vec<Option<u32>>,
    lie: Option<(Lie, usize)>,
    defender: DefenderStrategy,
    challenger: ChallengerStrategy,
}

fn case() -> impl Strategy<Value = Case> {
    let lie = prop_oneof![
        1 => Just(None),
        3 => (
            prop_oneof![Just(Lie::From), Just(Lie::StateRootOnly), Just(Lie::TraceOnly), Just(Lie::Garbage)],
            0..64usize
        ).prop_map(Some),
    ];
    let defender = prop_oneof![
        3 => Just(DefenderStrategy::Honest),
        1 => Just(DefenderStrategy::BadFold),
        1 => Just(DefenderStrategy::Stall),
    ];
    let challenger = prop_oneof![
        3 => Just(ChallengerStrategy::Honest),
        1 => Just(ChallengerStrategy::FirstChild),
        1 => Just(ChallengerStrategy::Stall),
    ];
    (
        1..24usize,
        prop::collection::vec(prop::option::weighted(0.8, 0..3_000u32), 0..12),
        lie,
        defender,
        challenger,
    )
        .prop_map(|(deposits, records, lie, defender, challenger)| Case {
            deposits,
            records,
            lie,
            defender,
            challenger,
        })
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
    fn the_honest_side_wins_every_game(case in case()) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        runtime.block_on(dispute_case(case))?;
    }
}

async fn dispute_case(case: Case) -> Result<(), TestCaseError> {
    let fail = |what: &str, e: &dyn std::fmt::Display| TestCaseError::fail(format!("{what}: {e}"));
    let config = DevnetConfig {
        users: ["alice", "watcher"].map(String::from).to_vec(),
        ..DevnetConfig::default()
    };
    let mut devnet = Devnet::start(&config)
        .await
        .map_err(|e| fail("devnet", &e))?;
    let d = devnet.deployment.clone();
    let (alice, watcher) = (devnet.users[0].clone(), devnet.users[1].clone());

    // Batch 1: alice's account 0. Batch 2: the disputed one.
    alice
        .deposit_eth(&d, 100 * MILLI, NEW_ACCOUNT)
        .await
        .map_err(|e| fail("deposit", &e))?;
    devnet
        .sequencer
        .commit(vec![])
        .await
        .map_err(|e| fail("commit", &e))?;
    for _ in 0..case.deposits {
        alice
            .deposit_eth(&d, MILLI, 0)
            .await
            .map_err(|e| fail("deposit", &e))?;
    }
    let mut records = Vec::new();
    let mut nonce = 0;
    for record in &case.records {
        records.push(match record {
            None => [0xee; 128],
            Some(milli) => {
                let tx = Transfer {
                    from: AccountIndex(0),
                    to: AccountIndex(0),
                    token: TokenId::ETH,
                    amount: u128::from(*milli) * MILLI,
                    fee: 0,
                    nonce,
                };
                nonce += 1;
                alice
                    .sign_transfer(&d, tx)
                    .await
                    .map_err(|e| fail("sign", &e))?
                    .encode()
            }
        });
    }
    let steps = case.deposits + records.len();
    let trace_depth = steps.next_power_of_two().trailing_zeros();
    let thief = devnet.sequencer_account().address();
    let last = (1usize << trace_depth) - 1;
    let fault = case.lie.map(|(lie, at)| match lie {
        Lie::From => Fault::PostRootFrom {
            step: at % (last + 1),
            thief,
            amount: MILLI,
        },
        Lie::StateRootOnly => Fault::StateRootOnly {
            thief,
            amount: MILLI,
        },
        Lie::TraceOnly => Fault::TraceOnly {
            step: at % (last + 1),
        },
        Lie::Garbage => Fault::GarbageTrace {
            thief,
            amount: MILLI,
        },
    });
    let report = devnet
        .sequencer
        .commit_claiming(records, fault)
        .await
        .map_err(|e| fail("commit", &e))?;
    let challenger = Challenger::new("watcher", watcher.l1.clone(), d.clone(), case.challenger);
    let defender = Defender::new(
        devnet.sequencer_account().clone(),
        d.clone(),
        devnet.sequencer.claims(),
        case.defender,
    );
    let audit = challenger.audit().await.map_err(|e| fail("audit", &e))?;
    let wrong = !audit[&report.batch].honest;
    // A lie that changes nothing (a trace-only lie on a one-step trace) is no lie.
    prop_assume!(wrong == fault.is_some() || trace_depth > 0);

    let mut moves: Vec<GameMove> = Vec::new();
    if !wrong {
        // A frivolous challenge of an honest batch.
        moves.push(
            challenger
                .challenge(report.batch)
                .await
                .map_err(|e| fail("open", &e))?,
        );
    }
    for _ in 0..48 {
        let mut round = challenger
            .tick()
            .await
            .map_err(|e| fail("challenger", &e))?;
        round.extend(defender.tick().await.map_err(|e| fail("defender", &e))?);
        if round.is_empty() {
            let game = dispute::game(&alice.l1.provider, d.dispute, 0)
                .await
                .map_err(|e| fail("game", &e))?;
            if game.status != GameStatus::InProgress && game.resolved {
                break;
            }
            if game.status != GameStatus::InProgress {
                // Decided but nobody resolves for this side (a stalling loser): anyone may.
                break;
            }
            bulwark_chain::node::advance_time(&alice.l1.provider, d.params.clock + 1)
                .await
                .map_err(|e| fail("time", &e))?;
        }
        moves.extend(round);
    }
    let log: String = moves.iter().map(|m| format!("{m}\n")).collect();
    let game = dispute::game(&alice.l1.provider, d.dispute, 0)
        .await
        .map_err(|e| fail("game", &e))?;
    prop_assert!(
        game.status != GameStatus::InProgress,
        "the game ended\n{}",
        log
    );
    if wrong && case.challenger == ChallengerStrategy::Honest {
        prop_assert_eq!(
            game.status,
            GameStatus::ChallengerWon,
            "an honest challenger wins\n{}",
            log
        );
    }
    if !wrong && case.defender == DefenderStrategy::Honest {
        prop_assert_eq!(
            game.status,
            GameStatus::DefenderWon,
            "an honest defender wins\n{}",
            log
        );
    }
    let bound = trace_depth.div_ceil(4) as usize + 1;
    let reveals = moves
        .iter()
        .filter(|m| m.game == 0 && matches!(m.kind, MoveKind::Revealed { .. }))
        .count();
    let challenger_moves = moves
        .iter()
        .filter(|m| {
            m.game == 0 && matches!(m.kind, MoveKind::Picked { .. } | MoveKind::Stepped { .. })
        })
        .count();
    prop_assert!(reveals <= bound, "{} reveals > {}\n{}", reveals, bound, log);
    prop_assert!(
        challenger_moves <= bound,
        "{} challenger moves > {}\n{}",
        challenger_moves,
        bound,
        log
    );
    prop_assert!(
        moves.iter().all(|m| m.gas < 1 << 24),
        "every move fits 2^24 gas\n{}",
        log
    );
    Ok(())
}
