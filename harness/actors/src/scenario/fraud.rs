//! The demo's fraud stage: the sequencer commits a batch whose post-state
//! invents a withdrawal draining the Bridge; a watcher's challenger, which
//! re-executes every batch from L1 alone, opens a game; every move is
//! narrated (node, revealed hashes, pick, agreed pre-root, clocks, gas); the
//! batch loses, the stake pays the watcher, and the honest sequencer
//! re-commits the same L1 messages.

use alloy::primitives::U256;
use bulwark_chain::{ChainError, bindings::Rollup};
use bulwark_engine::{Header, NEW_ACCOUNT, TokenId};

use super::ScenarioError;
use crate::devnet::Devnet;
use crate::dispute::{
    challenger::ChallengerStrategy,
    defender::DefenderStrategy,
    fault::Fault,
    moves::{GameMove, MoveKind},
};
use crate::exit::bridge_holdings;
use crate::sequencer::Sequencer;
use crate::transcript::{Event, Transcript, units};
use crate::user::User;

/// Gas of the fraud stage's game, from receipts.
#[derive(Clone, Debug, Default)]
pub struct FraudFigures {
    /// Every move of the game, in order.
    pub moves: Vec<GameMove>,
    /// The sum of their gas.
    pub total_gas: u64,
}

/// Runs the fraud stage on `devnet`: `depositor` queues a deposit, the
/// sequencer commits a lie about it, `watcher` challenges and wins, the
/// sequencer re-stakes and re-commits honestly. Returns the new sequencer
/// (rebuilt from L1) and the game's figures.
pub async fn run(
    devnet: &mut Devnet,
    depositor: &User,
    watcher: &User,
    transcript: &mut Transcript,
) -> Result<FraudFigures, ScenarioError> {
    let d = devnet.deployment.clone();
    let provider = watcher.l1.provider.clone();
    let rollup = Rollup::new(d.rollup, &provider);
    transcript.push(Event::Stage("A wrong root: a fraud proof".into()));

    for _ in 0..3 {
        depositor
            .deposit_eth(&d, 10u128.pow(15), NEW_ACCOUNT)
            .await?;
    }
    let held = bridge_holdings(&watcher.l1, &d, TokenId::ETH).await?;
    let thief = devnet.sequencer_account().address();
    let drain = u128::try_from(held).unwrap_or(u128::MAX);
    let lie = Fault::PostRootFrom {
        step: 1,
        thief,
        amount: drain,
    };
    let report = devnet.sequencer.commit_claiming(vec![], Some(lie)).await?;
    transcript.push(Event::Line(format!(
        "the sequencer commits batch {} ({} of {}'s deposits) claiming state root {:#x}: its post-state \
         invents a withdrawal of {} ETH to the sequencer, all the Bridge holds; the true root is {:#x} ({} gas)",
        report.batch,
        report.messages,
        depositor.name,
        report.state_root,
        units(drain),
        report.honest_root,
        report.sent.gas_used
    )));

    let challenger = devnet.challenger(watcher, ChallengerStrategy::Honest);
    let defender = devnet.defender(DefenderStrategy::Honest);
    let audit = challenger.audit().await?;
    let wrong = audit.values().find(|a| !a.honest);
    transcript.push(Event::Line(format!(
        "{} re-executes every batch from L1 alone: batches 1..{} hold; batch {} claims {:#x}, re-execution gives {:#x}",
        watcher.name,
        report.batch - 1,
        report.batch,
        report.state_root,
        wrong.map(|a| a.trace.state_root()).unwrap_or_default()
    )));

    let mut figures = FraudFigures::default();
    for _ in 0..32 {
        let mut round = challenger.tick().await?;
        round.extend(defender.tick().await?);
        if round.is_empty() {
            break;
        }
        for m in &round {
            transcript.push(Event::Line(m.to_string()));
        }
        figures.moves.extend(round);
    }
    figures.total_gas = figures.moves.iter().map(|m| m.gas).sum();
    let won = figures
        .moves
        .iter()
        .any(|m| matches!(m.kind, MoveKind::Resolved { status } if status == bulwark_chain::dispute::GameStatus::ChallengerWon));
    transcript.push(Event::Check {
        what: format!("the wrong batch {} lost its game", report.batch),
        ok: won,
    });
    let call = |name: &'static str| move |e: alloy::contract::Error| ChainError::contract(name, &e);
    let tip = rollup.tip().call().await.map_err(call("tip"))?;
    let credit = rollup
        .creditOf(watcher.address())
        .call()
        .await
        .map_err(call("creditOf"))?;
    let burned = rollup.burned().call().await.map_err(call("burned"))?;
    transcript.push(Event::Line(format!(
        "the tip rewinds to batch {tip}; {} is credited {} ETH (its bond and half the stake); {} ETH of the stake is burned; whole game {} gas",
        watcher.name,
        units(u128::try_from(credit).unwrap_or(u128::MAX)),
        units(u128::try_from(burned).unwrap_or(u128::MAX)),
        figures.total_gas
    )));
    transcript.push(Event::Check {
        what: format!(
            "the tip rewound to {} and the stake paid the watcher",
            report.batch - 1
        ),
        ok: tip == report.batch - 1
            && credit == d.params.challenge_bond + d.params.stake / U256::from(2),
    });
    let still = bridge_holdings(&watcher.l1, &d, TokenId::ETH).await?;
    transcript.push(Event::Check {
        what: format!(
            "the Bridge keeps every wei ({} ETH)",
            units(u128::try_from(still).unwrap_or(u128::MAX))
        ),
        ok: still == held,
    });

    // The honest sequencer rebuilds from L1, stakes again and re-commits the same messages.
    let mut honest = Sequencer::resume(
        devnet.sequencer_account().clone(),
        d.clone(),
        Header::default(),
    )
    .await?;
    honest.stake().await?;
    let again = honest.commit(vec![]).await?;
    transcript.push(Event::Line(format!(
        "the sequencer, rebuilt from L1, stakes again and re-commits batch {} honestly: state root {:#x} ({} gas)",
        again.batch, again.state_root, again.sent.gas_used
    )));
    let quiet = challenger.tick().await?;
    transcript.push(Event::Check {
        what: format!(
            "{} finds nothing to dispute in the re-committed batch",
            watcher.name
        ),
        ok: quiet.is_empty(),
    });
    devnet.sequencer = honest;
    Ok(figures)
}
