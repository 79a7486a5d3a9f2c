//! Dispute games: challenges, the honest and dishonest parties' rounds, timeouts, time.

use alloy::primitives::U256;
use bulwark_chain::{
    ChainError,
    bindings::DisputeGame,
    dispute::{self, GameStatus, Turn},
    node::advance_time,
    send,
};

use super::{
    Failure,
    action::{Defense, Play, Wait},
    model::{self, Side},
    world::{SETTLE_ROUNDS, World},
};
use crate::dispute::{
    challenger::{Challenger, ChallengerStrategy},
    defender::{Defender, DefenderStrategy},
    moves::{GameMove, MoveKind},
};

impl World {
    pub(super) fn watcher_challenger(&self) -> Challenger {
        self.devnet
            .challenger(&self.watcher, ChallengerStrategy::Honest)
    }

    pub(super) async fn challenge(&mut self, pick: u8, play: Play) -> Result<(), Failure> {
        let live: Vec<u64> = self
            .model
            .batches
            .keys()
            .copied()
            .filter(|&i| i > self.model.last_final)
            .collect();
        if live.is_empty() {
            self.log("  no pending batch to challenge");
            return Ok(());
        }
        let batch = live[usize::from(pick) % live.len()];
        let b = self.model.batches[&batch].clone();
        let at = self.now().await? + 1;
        let already = self.frivolous.keys().any(|id| {
            self.model
                .games
                .get(id)
                .is_some_and(|g| g.batch == batch && g.epoch == b.epoch)
        });
        let expected = if self.model.frozen {
            Err("RollupFrozen")
        } else if at >= b.commit_time + self.deployment().params.window {
            Err("ChallengeWindowClosed")
        } else if already {
            Err("AlreadyChallenged")
        } else {
            Ok(())
        };
        let strategy = strategy(play);
        let challenger = self.devnet.challenger(&self.mallory, strategy);
        let result = challenger.challenge(batch).await.map_err(dispute_chain);
        let opened = match result {
            Ok(m) => Ok(m),
            Err(Ok(e)) => Err(e),
            Err(Err(e)) => return Err(e.into()),
        };
        if let Some(m) = self.expect("open", expected, opened)? {
            self.frivolous.insert(m.game, play);
            let honest = b.honest.then_some(Side::Defender);
            self.observe_moves(&[m], honest)?;
        }
        Ok(())
    }

    /// One round of the honest parties' moves: the watcher audits every live
    /// batch (opening a game on the first false one) and plays its games, the
    /// honest defenders answer in games on true batches, the keeper closes
    /// games whose batch was dropped. Returns whether anyone moved.
    pub(super) async fn honest_round(&mut self) -> Result<bool, Failure> {
        if self.model.frozen {
            let moves = self.sweep_frozen().await?;
            self.observe_moves(&moves, None)?;
            return Ok(!moves.is_empty());
        }
        let moves = self.watcher_challenger().tick().await?;
        self.observe_moves(&moves, Some(Side::Challenger))?;
        let mut any = !moves.is_empty();
        for i in 0..2 {
            let key = self.ensure_defender(i, None);
            let lies = self.lies.clone();
            let model = self.model.clone();
            let moved = self.defenders[&key]
                .tick_where(|g| {
                    model.is_live(g.batch, g.epoch) && !lies.contains_key(&(g.batch, g.epoch))
                })
                .await?;
            any |= !moved.is_empty();
            self.observe_moves(&moved, None)?;
        }
        any |= self.close_dropped().await?;
        Ok(any)
    }

    /// One round of the dishonest parties' moves: mallory in each of her
    /// games, each lying sequencer's defender in games on its false batches.
    pub(super) async fn dishonest_round(&mut self) -> Result<(), Failure> {
        if self.model.frozen {
            return Ok(());
        }
        let games = dispute::games(&self.keeper().provider, self.deployment().dispute).await?;
        for (&id, &play) in self.frivolous.clone().iter() {
            if games.iter().any(|g| g.id == id && !g.resolved) {
                let challenger = self.devnet.challenger(&self.mallory, strategy(play));
                let moved = challenger.play_games(|g| g.id == id).await?;
                self.observe_moves(&moved, None)?;
            }
        }
        for i in 0..2 {
            for defense in [Defense::Claims, Defense::BadFold, Defense::Stall] {
                let key = self.ensure_defender(i, Some(defense));
                let lies = self.lies.clone();
                let model = self.model.clone();
                let moved = self.defenders[&key]
                    .tick_where(|g| {
                        model.is_live(g.batch, g.epoch)
                            && lies.get(&(g.batch, g.epoch)) == Some(&defense)
                    })
                    .await?;
                self.observe_moves(&moved, None)?;
            }
        }
        Ok(())
    }

    /// The defender of sequencer `i`'s batches, honest or with `defense`; returns its key.
    pub(super) fn ensure_defender(&mut self, i: usize, defense: Option<Defense>) -> (usize, u8) {
        let key = (i, defense.map_or(0, |d| d as u8 + 1));
        let account = self.sequencers[i].clone();
        let deployment = self.deployment().clone();
        let claims = self.claims[i].clone();
        self.defenders.entry(key).or_insert_with(|| {
            let strategy = match defense {
                None | Some(Defense::Claims) => DefenderStrategy::Honest,
                Some(Defense::BadFold) => DefenderStrategy::BadFold,
                Some(Defense::Stall) => DefenderStrategy::Stall,
            };
            Defender::new(account, deployment, claims, strategy)
        });
        key
    }

    /// The keeper closes every game whose batch was dropped (anyone may).
    pub(super) async fn close_dropped(&mut self) -> Result<bool, Failure> {
        let games = dispute::games(&self.keeper().provider, self.deployment().dispute).await?;
        let contract = DisputeGame::new(self.deployment().dispute, &self.keeper().provider);
        let mut closed = Vec::new();
        for g in games {
            if g.status == GameStatus::InProgress && !self.model.is_live(g.batch, g.epoch) {
                let sent = send(contract.close(U256::from(g.id)), "close").await?;
                closed.push(GameMove {
                    actor: "keeper".into(),
                    game: g.id,
                    kind: MoveKind::Closed,
                    gas: sent.gas_used,
                });
            }
        }
        let any = !closed.is_empty();
        self.observe_moves(&closed, None)?;
        Ok(any)
    }

    /// After a freeze no move is legal: the keeper closes every game in
    /// progress and resolves every decided one (§16).
    pub(super) async fn sweep_frozen(&mut self) -> Result<Vec<GameMove>, Failure> {
        let games = dispute::games(&self.keeper().provider, self.deployment().dispute).await?;
        let contract = DisputeGame::new(self.deployment().dispute, &self.keeper().provider);
        let mut moves = Vec::new();
        for g in games {
            let kind = match (g.status, g.resolved) {
                (GameStatus::InProgress, _) => {
                    send(contract.close(U256::from(g.id)), "close").await?;
                    MoveKind::Closed
                }
                (GameStatus::ChallengerWon | GameStatus::DefenderWon, false) => {
                    send(contract.resolve(U256::from(g.id)), "resolve").await?;
                    let status =
                        dispute::game(&self.keeper().provider, self.deployment().dispute, g.id)
                            .await?
                            .status;
                    MoveKind::Resolved { status }
                }
                _ => continue,
            };
            moves.push(GameMove {
                actor: "keeper".into(),
                game: g.id,
                kind,
                gas: 0,
            });
        }
        Ok(moves)
    }

    /// Right after the dishonest parties' moves, someone claims a timeout in
    /// every game whose mover's clock has not run out: the dishonest side
    /// against an honest mover (whose clock can never run out: the honest
    /// side answers every move before any time passes), a bystander against
    /// a dishonest one. Each must revert `ClockNotExpired`.
    pub(super) async fn eager_timeouts(&mut self) -> Result<(), Failure> {
        if self.model.frozen {
            return Ok(());
        }
        let games = dispute::games(&self.keeper().provider, self.deployment().dispute).await?;
        for g in games {
            let Some(m) = self.model.games.get(&g.id).cloned() else {
                continue;
            };
            if g.status != GameStatus::InProgress || !self.model.is_live(g.batch, g.epoch) {
                continue;
            }
            let waiting = match g.turn {
                Turn::Challenger => Side::Challenger,
                Turn::Defender => Side::Defender,
            };
            // §14.3: the mover's clock runs out once the seconds since its
            // turn began reach what it had left.
            let at = self.now().await? + 1;
            let expired = g.expired_at(at);
            if expired && m.honest == Some(waiting) {
                return Err(Failure::Violated(format!(
                    "game {}: the honest {waiting:?}'s clock ran out",
                    g.id
                )));
            }
            if expired {
                continue;
            }
            // Against an honest mover its dishonest opponent tries; against a
            // dishonest one, an impatient bystander (the keeper).
            let from = match (m.honest == Some(waiting), waiting) {
                (true, Side::Defender) => self.mallory.l1.clone(),
                (true, Side::Challenger) => self.sequencers[self.committer_of(g.batch)].clone(),
                (false, _) => self.keeper().clone(),
            };
            let contract = DisputeGame::new(self.deployment().dispute, &from.provider);
            let result = send(contract.timeout(U256::from(g.id)), "timeout").await;
            self.expect("timeout", Err("ClockNotExpired"), result)?;
        }
        Ok(())
    }

    pub(super) fn committer_of(&self, batch: u64) -> usize {
        self.model.batches.get(&batch).map_or(0, |b| b.committer)
    }

    /// Applies what moves did to the model; `opener` is the honest side of
    /// any game they open.
    pub(super) fn observe_moves(
        &mut self,
        moves: &[GameMove],
        opener: Option<Side>,
    ) -> Result<(), Failure> {
        for m in moves {
            self.log(format!("  {m}"));
            let event = match &m.kind {
                MoveKind::Opened { .. } => "game opened".to_owned(),
                MoveKind::Revealed { .. } => "reveal".to_owned(),
                MoveKind::RevealRefused { .. } => "reveal refused".to_owned(),
                MoveKind::Picked { .. } => "pick".to_owned(),
                MoveKind::Stepped { .. } => "one-step".to_owned(),
                MoveKind::TimedOut { loser } => format!("timeout of the {loser}"),
                MoveKind::Resolved { status } => format!("game resolved: {status:?}"),
                MoveKind::Closed => "game closed".to_owned(),
            };
            self.tally(event);
            match &m.kind {
                MoveKind::Opened { batch, depth } => {
                    let epoch = self.model.batches.get(batch).map_or(0, |b| b.epoch);
                    let honest = opener;
                    if let Some(b) = self.model.batches.get_mut(batch) {
                        b.open_games += 1;
                    }
                    self.model.games.insert(
                        m.game,
                        model::Game {
                            batch: *batch,
                            epoch,
                            honest,
                            depth: *depth,
                            moves: (0, 0),
                            settled: false,
                        },
                    );
                }
                MoveKind::Revealed { .. } => self.count_move(m.game, Side::Defender),
                MoveKind::Picked { .. } | MoveKind::Stepped { .. } => {
                    self.count_move(m.game, Side::Challenger)
                }
                MoveKind::RevealRefused { .. } | MoveKind::TimedOut { .. } => {}
                MoveKind::Resolved { status } => {
                    let Some(g) = self.model.games.get_mut(&m.game) else {
                        continue;
                    };
                    g.settled = true;
                    let (batch, epoch) = (g.batch, g.epoch);
                    if self.model.is_live(batch, epoch) {
                        if let Some(b) = self.model.batches.get_mut(&batch) {
                            b.open_games = b.open_games.saturating_sub(1);
                        }
                        if *status == GameStatus::ChallengerWon {
                            self.model.challenger_won(batch);
                        }
                    } else if *status == GameStatus::ChallengerWon && self.model.frozen {
                        // Decided before the freeze: the committer still loses its stake.
                        self.model.challenger_won(batch);
                    }
                }
                MoveKind::Closed => {
                    if let Some(g) = self.model.games.get_mut(&m.game) {
                        g.settled = true;
                    }
                }
            }
        }
        Ok(())
    }

    pub(super) fn count_move(&mut self, game: u64, side: Side) {
        if let Some(g) = self.model.games.get_mut(&game) {
            match side {
                Side::Challenger => g.moves.0 += 1,
                Side::Defender => g.moves.1 += 1,
            }
        }
    }

    /// Honest parties move until none has a move due.
    pub(super) async fn settle(&mut self) -> Result<(), Failure> {
        for _ in 0..SETTLE_ROUNDS {
            if !self.honest_round().await? {
                return Ok(());
            }
        }
        Err(Failure::Violated(format!(
            "honest parties still had moves after {SETTLE_ROUNDS} rounds"
        )))
    }

    pub(super) async fn wait(&mut self, wait: Wait) -> Result<(), Failure> {
        self.settle().await?;
        let p = &self.deployment().params;
        let seconds = match wait {
            Wait::Minute => 60,
            Wait::Clock => p.clock + 1,
            Wait::Deadline => p.deadline + 1,
            Wait::Window => p.window + 1,
        };
        advance_time(&self.keeper().provider, seconds).await?;
        self.log(format!("  {seconds} s pass"));
        Ok(())
    }
}

pub(super) fn strategy(play: Play) -> ChallengerStrategy {
    match play {
        Play::Honest => ChallengerStrategy::Honest,
        Play::FirstChild => ChallengerStrategy::FirstChild,
        Play::Stall => ChallengerStrategy::Stall,
        Play::Toward(step) => ChallengerStrategy::Toward(u64::from(step)),
    }
}

/// A dispute error that is a revert (to check against a prediction), or not.
pub(super) fn dispute_chain(
    e: crate::dispute::DisputeError,
) -> Result<ChainError, crate::dispute::DisputeError> {
    match e {
        crate::dispute::DisputeError::Chain(c) => Ok(*c),
        other => Err(other),
    }
}
