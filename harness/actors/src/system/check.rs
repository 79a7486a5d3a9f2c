//! The invariants checked after every action (issue: system property tests).

use alloy::{eips::BlockId, primitives::U256};
use bulwark_chain::{
    bindings::{Bridge, Rollup},
    derive::rebuild,
    dispute::{self, GameStatus, l1_time},
};
use bulwark_engine::TokenId;

use super::{
    Failure,
    model::Side,
    world::{World, revert_name},
};
use crate::{
    escape,
    exit::{bridge_holdings, final_state},
    scenario::dispute_gas::moves_bound,
};

/// Every invariant, in the order a reader would check them.
pub async fn all(w: &World) -> Result<(), Failure> {
    l1_view(w).await?;
    games(w).await?;
    conservation(w).await?;
    overdue_freezes(w).await?;
    derivation(w).await
}

fn violated(what: String) -> Failure {
    Failure::Violated(what)
}

macro_rules! read {
    ($call:expr, $name:literal) => {
        $call
            .call()
            .await
            .map_err(|e| bulwark_chain::ChainError::contract($name, &e))?
    };
}

/// The model's view of L1 equals what the contracts report, and a final
/// batch never changes.
async fn l1_view(w: &World) -> Result<(), Failure> {
    let m = &w.model;
    let p = &w.devnet().deployer.provider;
    let d = &w.devnet().deployment;
    let rollup = Rollup::new(d.rollup, p);
    let seen = (
        read!(rollup.tip(), "tip"),
        read!(rollup.lastFinalized(), "lastFinalized"),
        read!(rollup.frozen(), "frozen"),
        read!(rollup.epoch(), "epoch"),
        read!(rollup.sequencer(), "sequencer"),
    );
    let want = (
        m.tip,
        m.last_final,
        m.frozen,
        m.epoch,
        w.sequencer_addresses()[m.sequencer],
    );
    if seen != want {
        return Err(violated(format!(
            "(tip, last final, frozen, epoch, sequencer): the Rollup says {seen:?}, the model {want:?}"
        )));
    }
    let pause = (
        read!(rollup.pausedUntil(), "pausedUntil"),
        read!(rollup.nextPauseAt(), "nextPauseAt"),
    );
    if pause != (m.paused_until, m.next_pause_at) {
        return Err(violated(format!(
            "(paused until, next pause at): the Rollup says {pause:?}, the model {:?}",
            (m.paused_until, m.next_pause_at)
        )));
    }
    if m.frozen {
        // The Bridge pays exits and refunds against what the freeze pinned:
        // the last final batch, its root, and the messages it consumed.
        let bridge = Bridge::new(d.bridge, p);
        let escape = read!(bridge.escape(), "escape");
        let pinned = (escape.finalBatch, escape.stateRoot, escape.msgsConsumed);
        let want = (
            m.last_final,
            m.finals.get(&m.last_final).copied().unwrap_or_default(),
            m.batches.get(&m.last_final).map_or(0, |b| b.msgs_after),
        );
        if pinned != want {
            return Err(violated(format!(
                "(batch, root, messages consumed) the Bridge pinned: {pinned:?}, the model {want:?}"
            )));
        }
    }
    for (&index, &root) in &m.finals {
        let b = dispute::batch(p, d.rollup, index).await?;
        if b.state_root != root {
            return Err(violated(format!(
                "final batch {index} changed: state root {} became {}",
                root, b.state_root
            )));
        }
    }
    Ok(())
}

/// Every game the model knows is on chain as the model says, the honest side
/// never loses, and no side moves more than the spec's bound.
async fn games(w: &World) -> Result<(), Failure> {
    let p = &w.devnet().deployer.provider;
    let d = &w.devnet().deployment;
    let on_chain = dispute::games(p, d.dispute).await?;
    if on_chain.len() != w.model.games.len() {
        return Err(violated(format!(
            "{} games on chain, the model knows {}",
            on_chain.len(),
            w.model.games.len()
        )));
    }
    for g in on_chain {
        let Some(m) = w.model.games.get(&g.id) else {
            return Err(violated(format!("game {} is not in the model", g.id)));
        };
        if g.resolved != m.settled || g.batch != m.batch {
            return Err(violated(format!(
                "game {} on batch {}: settled {} on chain, {} in the model (batch {})",
                g.id, g.batch, g.resolved, m.settled, m.batch
            )));
        }
        let winner = match g.status {
            GameStatus::ChallengerWon => Some(Side::Challenger),
            GameStatus::DefenderWon => Some(Side::Defender),
            _ => None,
        };
        if let (Some(honest), Some(winner)) = (m.honest, winner)
            && honest != winner
        {
            return Err(violated(format!(
                "game {} on batch {}: the honest {honest:?} lost",
                g.id, g.batch
            )));
        }
        let bound = moves_bound(1usize << m.depth);
        if m.moves.0 > bound || m.moves.1 > bound {
            return Err(violated(format!(
                "game {}: {:?} moves (challenger, defender), above the bound {bound}",
                g.id, m.moves
            )));
        }
    }
    Ok(())
}

/// Per token, the Bridge holds exactly what the model booked, and that is
/// what the last final state owes: its unexited balances, its unpaid
/// withdrawals and every deposit it has not consumed and was not refunded.
async fn conservation(w: &World) -> Result<(), Failure> {
    let m = &w.model;
    let keeper = &w.devnet().deployer;
    let d = &w.devnet().deployment;
    let view = final_state(keeper, d).await?;
    let bridge = Bridge::new(d.bridge, &keeper.provider);
    let tokens = read!(bridge.tokenCount(), "tokenCount");
    let consumed = view.state.preimage().msgs_consumed;
    for token in (0..tokens).map(TokenId) {
        let held = bridge_holdings(keeper, d, token).await?;
        let booked = m.holdings.get(&token.0).copied().unwrap_or_default();
        let balances: U256 = view
            .state
            .accounts()
            .filter(|(i, a)| a.token == token && !m.exited.contains(&i.0))
            .map(|(_, a)| U256::from(a.balance))
            .sum();
        let unpaid: U256 = view
            .state
            .withdrawals()
            .filter(|l| l.token == token && !m.paid.contains(&l.index.0))
            .map(|l| U256::from(l.amount))
            .sum();
        let queued: U256 = m
            .queue
            .iter()
            .enumerate()
            .skip(consumed as usize)
            .filter(|(i, q)| q.deposit && q.token == token.0 && !m.refunded.contains(&(*i as u64)))
            .map(|(_, q)| U256::from(q.amount))
            .sum();
        let owed = balances + unpaid + queued;
        if held != booked || held != owed {
            return Err(violated(format!(
                "{token}: the Bridge holds {held}, the model booked {booked}, batch {} owes {owed} \
                 ({balances} in accounts, {unpaid} in unpaid withdrawals, {queued} in unconsumed deposits)",
                view.batch
            )));
        }
    }
    // Each payout at most once, and only those the model made.
    for leaf in view.state.withdrawals() {
        let paid = read!(bridge.paid(leaf.index.0), "paid");
        if paid != m.paid.contains(&leaf.index.0) {
            return Err(violated(format!(
                "withdrawal {}: paid {paid} on chain, the model says {}",
                leaf.index.0, !paid
            )));
        }
    }
    for (index, _) in view.state.accounts() {
        let exited = read!(bridge.exited(index.0), "exited");
        if exited != m.exited.contains(&index.0) {
            return Err(violated(format!(
                "account {}: exited {exited} on chain, the model says {}",
                index.0, !exited
            )));
        }
    }
    for index in 0..m.queue.len() as u64 {
        let refunded = read!(bridge.refunded(index), "refunded");
        if refunded != m.refunded.contains(&index) {
            return Err(violated(format!(
                "message {index}: refunded {refunded} on chain, the model says {}",
                !refunded
            )));
        }
    }
    Ok(())
}

/// An overdue message always makes the rollup freezable, and a timely one
/// never does (a freeze simulated against the next block).
async fn overdue_freezes(w: &World) -> Result<(), Failure> {
    let m = &w.model;
    let keeper = &w.devnet().deployer;
    let d = &w.devnet().deployment;
    let Some((index, _)) = m.oldest_unconsumed() else {
        return Ok(());
    };
    let oldest = escape::oldest_unconsumed(&keeper.provider, d).await?;
    let Some(message) = oldest.map(|o| o.message).filter(|q| q.index == index) else {
        return Err(violated(format!(
            "the oldest message the tip has not consumed is not the model's {index}"
        )));
    };
    let at = l1_time(&keeper.provider).await? + 1;
    let freezable = m.freezable_at(at, d.params.deadline);
    let rollup = Rollup::new(d.rollup, &keeper.provider);
    let result = rollup
        .freeze((&message).into())
        .block(BlockId::pending())
        .call()
        .await
        .map_err(|e| bulwark_chain::ChainError::contract("freeze", &e));
    let outcome = match &result {
        Ok(_) => "freezes".to_owned(),
        Err(e) => revert_name(e).unwrap_or_else(|| e.to_string()),
    };
    let fine = match (freezable, m.frozen) {
        (true, _) => result.is_ok(),
        (false, true) => outcome == "AlreadyFrozen",
        (false, false) => outcome == "NotOverdue",
    };
    if !fine {
        return Err(violated(format!(
            "message {index} queued at {} with deadline {}: a freeze at {at} {outcome}, the model says {}",
            message.queued_at,
            d.params.deadline,
            if freezable {
                "it freezes"
            } else {
                "it may not"
            }
        )));
    }
    Ok(())
}

/// The state rebuilt from L1 alone equals the honest sequencer's.
async fn derivation(w: &World) -> Result<(), Failure> {
    let s = w.sequencer();
    let lying = w.model.batches.values().any(|b| !b.honest);
    if w.model.frozen || lying || s.tip() != w.model.tip {
        return Ok(());
    }
    let keeper = &w.devnet().deployer;
    let rebuilt = rebuild(&keeper.provider, &w.devnet().deployment, s.tip()).await?;
    if rebuilt.state.root() != s.state().root() {
        return Err(violated(format!(
            "batch {}: the state rebuilt from L1 has root {}, the sequencer's {}",
            s.tip(),
            rebuilt.state.root(),
            s.state().root()
        )));
    }
    Ok(())
}
