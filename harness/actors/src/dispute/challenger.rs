//! The challenger: rebuilds the L2 from L1 alone, re-executes every live
//! batch (its state root and its trace root), opens a game on the first one
//! whose claim is false, and plays its games to the end (PROTOCOL §14.2).

use std::collections::BTreeMap;

use alloy::primitives::{B256, Bytes, U256};
use bulwark_chain::{
    Deployment, Sent,
    bindings::{DisputeGame, Rollup},
    dispute::{self, GameStatus, GameView, Turn, l1_time},
    follow::Follower,
    history::{self, Blocks},
    send,
};
use bulwark_engine::{
    Batch, Derivation, DerivedBatch, Domain, L1Message, State, Trace, TracePosition, TraceTree,
    witness,
};

use super::moves::{GameMove, MoveKind};
use super::{DisputeError, REVEAL_LEVELS};
use crate::wallet::L1Account;

/// How the challenger plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ChallengerStrategy {
    /// Picks the leftmost child that differs from the honest trace (the last
    /// when none does) and steps with an honest witness.
    #[default]
    Honest,
    /// Always picks the first child, whatever differs (a careless or
    /// colluding challenger).
    FirstChild,
    /// Opens games, then never moves.
    Stall,
    /// Descends toward step `.0` (clamped to the trace), whatever differs,
    /// and steps there: a frivolous challenger probing one step of an honest
    /// batch, or a careless one on a false batch.
    Toward(u64),
}

/// A live batch as the challenger re-executed it from L1.
#[derive(Clone, Debug)]
pub struct Audited {
    /// Rollup index.
    pub index: u64,
    /// The Rollup's epoch when it was committed.
    pub epoch: u32,
    /// When it was committed.
    pub commit_time: u64,
    /// The honest state before it.
    pub parent: State,
    /// The messages it consumes.
    pub messages: Vec<L1Message>,
    /// Its header and records.
    pub batch: Batch,
    /// The honest trace.
    pub trace: Trace,
    /// Whether its claimed state root and trace root are the honest ones.
    pub honest: bool,
}

/// A challenger watching a deployment.
pub struct Challenger {
    name: String,
    account: L1Account,
    deployment: Deployment,
    domain: Domain,
    strategy: ChallengerStrategy,
    follower: Option<tokio::sync::Mutex<Follower>>,
}

impl Challenger {
    /// A challenger named `name` (for transcripts) sending from `account`.
    pub fn new(
        name: impl Into<String>,
        account: L1Account,
        deployment: Deployment,
        strategy: ChallengerStrategy,
    ) -> Self {
        let domain = Domain::new(deployment.chain_id, deployment.rollup);
        Self {
            name: name.into(),
            account,
            deployment,
            domain,
            strategy,
            follower: None,
        }
    }

    /// Reads L1 through `follower` from now on (incrementally, in pages, as
    /// deep as it confirms) instead of whole-history reads each pass: for a
    /// long-running service.
    pub fn with_follower(mut self, follower: Follower) -> Self {
        self.follower = Some(tokio::sync::Mutex::new(follower));
        self
    }

    async fn tip(&self) -> Result<u64, DisputeError> {
        Ok(Rollup::new(self.deployment.rollup, &self.account.provider)
            .tip()
            .call()
            .await
            .map_err(|e| bulwark_chain::ChainError::contract("tip", &e))?)
    }

    /// Re-executes every live batch from L1 alone, up to and including the
    /// first whose claim is false (the later ones stand on it and are
    /// dropped with it).
    pub async fn audit(&self) -> Result<BTreeMap<u64, Audited>, DisputeError> {
        let provider = &self.account.provider;
        let (messages, committed) = match &self.follower {
            // A service: only the blocks not read before, in pages.
            Some(follower) => {
                let mut follower = follower.lock().await;
                follower.poll(provider).await?;
                let messages = follower
                    .messages()
                    .map(history::QueuedMessage::to_engine)
                    .collect::<Result<Vec<_>, _>>()?;
                let tip = self.tip().await?;
                let batches: Vec<_> = follower
                    .batches()
                    .into_iter()
                    .filter(|b| b.index <= tip)
                    .cloned()
                    .collect();
                (messages, batches)
            }
            None => {
                let blocks = Blocks::to_head(provider, self.deployment.deploy_block).await?;
                let messages = history::read_messages(provider, self.deployment.bridge, blocks)
                    .await?
                    .iter()
                    .map(history::QueuedMessage::to_engine)
                    .collect::<Result<Vec<_>, _>>()?;
                let tip = self.tip().await?;
                let batches =
                    history::read_batches(provider, self.deployment.rollup, blocks, tip).await?;
                (messages, batches)
            }
        };
        let mut derivation = Derivation::new();
        let mut audited = BTreeMap::new();
        for c in committed {
            let derived = DerivedBatch {
                header: c.header.to_vec(),
                records: c.records.to_vec(),
                msgs_after: c.msgs_after,
                state_root: c.state_root,
                trace_root: c.trace_root,
            };
            let (trace, _) = derivation.execute(&self.domain, &messages, &derived)?;
            let honest = trace.state_root() == c.state_root && trace.root() == c.trace_root;
            let record = dispute::batch(provider, self.deployment.rollup, c.index).await?;
            let consumed = messages
                .get(c.msgs_before as usize..c.msgs_after as usize)
                .unwrap_or_default()
                .to_vec();
            let batch = Batch::from_calldata(&c.header, &c.records).map_err(|source| {
                bulwark_engine::DeriveError::BadBatch {
                    batch: c.index,
                    source,
                }
            })?;
            audited.insert(
                c.index,
                Audited {
                    index: c.index,
                    epoch: record.epoch,
                    commit_time: record.commit_time,
                    parent: derivation.state().clone(),
                    messages: consumed,
                    batch,
                    trace,
                    honest,
                },
            );
            if !honest {
                break;
            }
            derivation.push(&self.domain, &messages, &derived)?;
        }
        Ok(audited)
    }

    /// One pass: opens a game on the first false batch still inside its
    /// window, then makes every move due in its games.
    pub async fn tick(&self) -> Result<Vec<GameMove>, DisputeError> {
        self.tick_where(true, |_| true).await
    }

    /// Makes the moves due now in its games that `play` selects, without
    /// opening any (a challenger playing several strategies, one per game).
    pub async fn play_games(
        &self,
        play: impl Fn(&GameView) -> bool,
    ) -> Result<Vec<GameMove>, DisputeError> {
        self.tick_where(false, play).await
    }

    async fn tick_where(
        &self,
        open: bool,
        play: impl Fn(&GameView) -> bool,
    ) -> Result<Vec<GameMove>, DisputeError> {
        let audited = self.audit().await?;
        let provider = &self.account.provider;
        let now = l1_time(provider).await?;
        let mut moves = Vec::new();
        let rollup = Rollup::new(self.deployment.rollup, provider);
        let last_final = rollup
            .lastFinalized()
            .call()
            .await
            .map_err(|e| bulwark_chain::ChainError::contract("lastFinalized", &e))?;
        if open
            && let Some(wrong) = audited.values().find(|a| !a.honest)
            && wrong.index > last_final
            && now < wrong.commit_time + self.deployment.params.window
            && self.game_of(wrong).await? == 0
        {
            moves.push(self.open(wrong.index, wrong.trace.depth()).await?);
        }
        for game in dispute::games(provider, self.deployment.dispute).await? {
            if game.challenger != self.account.address() || !play(&game) {
                continue;
            }
            if let Some(m) = self.play(&game, &audited, now).await? {
                moves.push(m);
            }
        }
        Ok(moves)
    }

    /// Opens a game against `batch` whatever the audit says (a frivolous
    /// challenge, when the batch is honest).
    pub async fn challenge(&self, batch: u64) -> Result<GameMove, DisputeError> {
        let audited = self.audit().await?;
        let depth = audited.get(&batch).map_or(0, |a| a.trace.depth());
        self.open(batch, depth).await
    }

    async fn game_of(&self, a: &Audited) -> Result<u64, DisputeError> {
        let id = DisputeGame::new(self.deployment.dispute, &self.account.provider)
            .gameOf(a.index, a.epoch, self.account.address())
            .call()
            .await
            .map_err(|e| bulwark_chain::ChainError::contract("gameOf", &e))?;
        Ok(u64::try_from(id).unwrap_or(u64::MAX))
    }

    async fn open(&self, batch: u64, depth: u32) -> Result<GameMove, DisputeError> {
        let contract = DisputeGame::new(self.deployment.dispute, &self.account.provider);
        let call = contract
            .open(batch)
            .value(self.deployment.params.challenge_bond);
        let sent = send(call, "open").await?;
        let id = sent
            .receipt
            .inner
            .logs()
            .iter()
            .find_map(|log| log.log_decode::<DisputeGame::GameOpened>().ok())
            .map(|log| log.inner.data.id)
            .unwrap_or_default();
        Ok(self.moved(
            u64::try_from(id).unwrap_or(u64::MAX),
            MoveKind::Opened { batch, depth },
            &sent,
        ))
    }

    async fn play(
        &self,
        game: &GameView,
        audited: &BTreeMap<u64, Audited>,
        now: u64,
    ) -> Result<Option<GameMove>, DisputeError> {
        let provider = &self.account.provider;
        let contract = DisputeGame::new(self.deployment.dispute, provider);
        let id = U256::from(game.id);
        match (game.status, game.resolved, game.turn) {
            (GameStatus::InProgress, ..) => {
                let live = Rollup::new(self.deployment.rollup, provider)
                    .isLive(game.batch, game.epoch)
                    .call()
                    .await
                    .map_err(|e| bulwark_chain::ChainError::contract("isLive", &e))?;
                if !live {
                    let sent = send(contract.close(id), "close").await?;
                    return Ok(Some(self.moved(game.id, MoveKind::Closed, &sent)));
                }
                if game.expired_at(now) {
                    if game.turn == Turn::Defender {
                        let sent = send(contract.timeout(id), "timeout").await?;
                        let kind = MoveKind::TimedOut { loser: "defender" };
                        return Ok(Some(self.moved(game.id, kind, &sent)));
                    }
                    return Ok(None);
                }
                if game.turn == Turn::Defender || self.strategy == ChallengerStrategy::Stall {
                    return Ok(None);
                }
                let a = audited
                    .get(&game.batch)
                    .filter(|a| a.epoch == game.epoch)
                    .ok_or(DisputeError::NoTrace {
                        game: game.id,
                        batch: game.batch,
                    })?;
                if game.at_leaf() {
                    self.step(game, a).await.map(Some)
                } else {
                    self.pick(game, a, now).await.map(Some)
                }
            }
            (GameStatus::ChallengerWon, false, _) => {
                let sent = send(contract.resolve(id), "resolve").await?;
                let status = dispute::game(provider, self.deployment.dispute, game.id)
                    .await?
                    .status;
                Ok(Some(self.moved(
                    game.id,
                    MoveKind::Resolved { status },
                    &sent,
                )))
            }
            _ => Ok(None),
        }
    }

    async fn pick(&self, game: &GameView, a: &Audited, now: u64) -> Result<GameMove, DisputeError> {
        let bad_position = DisputeError::BadPosition {
            game: game.id,
            position: game.position,
        };
        let position = TracePosition::new(game.position).ok_or(bad_position)?;
        let revealed = dispute::revealed(
            &self.account.provider,
            self.deployment.dispute,
            game.id,
            game.position,
            self.deployment.deploy_block,
        )
        .await?
        .ok_or(DisputeError::NoReveal {
            game: game.id,
            position: game.position,
        })?;
        let honest =
            a.trace
                .descendants(position, REVEAL_LEVELS)
                .ok_or(DisputeError::BadPosition {
                    game: game.id,
                    position: game.position,
                })?;
        let last = revealed.len().saturating_sub(1);
        let child = match self.strategy {
            ChallengerStrategy::FirstChild => 0,
            ChallengerStrategy::Toward(step) => {
                // The child of the node whose subtree holds the leaf of `step`.
                let d = a.trace.depth();
                let steps = 1u64 << d;
                let leaf = steps | step.min(steps - 1);
                let below_child = d.saturating_sub(game.depth() + revealed.len().trailing_zeros());
                ((leaf >> below_child) - (game.position << revealed.len().trailing_zeros()))
                    as usize
            }
            _ => revealed
                .iter()
                .zip(honest)
                .position(|(claimed, ours)| claimed != ours)
                .unwrap_or(last),
        };
        let s = revealed.len().trailing_zeros();
        let tree = TraceTree::new(revealed.clone()).map_err(|_| DisputeError::NoReveal {
            game: game.id,
            position: game.position,
        })?;
        let child_proof = tree.opening(child, TracePosition::ROOT).unwrap_or_default();
        let (pre_root, pre_proof) = if child == 0 {
            (B256::ZERO, Vec::new())
        } else {
            // The last step of the child before: honest, since that child agrees with our trace.
            let before = position
                .child(s, child as u64 - 1)
                .ok_or(DisputeError::BadPosition {
                    game: game.id,
                    position: game.position,
                })?;
            let step = before.last_step(a.trace.depth()).unwrap_or_default() as usize;
            let mut proof = a.trace.opening(step, before).unwrap_or_default();
            proof.extend(
                tree.opening(child - 1, TracePosition::ROOT)
                    .unwrap_or_default(),
            );
            (a.trace.post_roots()[step], proof)
        };
        let contract = DisputeGame::new(self.deployment.dispute, &self.account.provider);
        let call = contract.pick(
            U256::from(game.id),
            child as u64,
            revealed[child],
            child_proof,
            pre_root,
            pre_proof,
        );
        let sent = send(call, "pick").await?;
        let picked = position
            .child(s, child as u64)
            .map_or(0, TracePosition::get);
        let kind = MoveKind::Picked {
            child: child as u64,
            position: picked,
            node: revealed[child],
            pre_root: if child == 0 { game.pre_root } else { pre_root },
            clock_left: game.challenger_clock.left_at(now),
        };
        Ok(self.moved(game.id, kind, &sent))
    }

    async fn step(&self, game: &GameView, a: &Audited) -> Result<GameMove, DisputeError> {
        let j = game.step().unwrap_or_default() as usize;
        let w = witness(&a.parent, &self.domain, &a.messages, &a.batch, j)?;
        let contract = DisputeGame::new(self.deployment.dispute, &self.account.provider);
        let sent = send(
            contract.step(U256::from(game.id), Bytes::from(w.encode())),
            "step",
        )
        .await?;
        let computed = sent
            .receipt
            .inner
            .logs()
            .iter()
            .find_map(|log| log.log_decode::<DisputeGame::Stepped>().ok())
            .map_or(B256::ZERO, |log| log.inner.data.postRoot);
        let input = a
            .trace
            .steps()
            .get(j)
            .map_or_else(String::new, ToString::to_string);
        let kind = MoveKind::Stepped {
            step: j as u64,
            input,
            claimed: game.node,
            computed,
        };
        Ok(self.moved(game.id, kind, &sent))
    }

    fn moved(&self, game: u64, kind: MoveKind, sent: &Sent) -> GameMove {
        GameMove {
            actor: self.name.clone(),
            game,
            kind,
            gas: sent.gas_used,
        }
    }
}

impl super::Player for Challenger {
    fn provider(&self) -> alloy::providers::DynProvider {
        self.account.provider.clone()
    }

    fn tick(
        &self,
    ) -> impl std::future::Future<Output = Result<Vec<GameMove>, DisputeError>> + Send {
        Challenger::tick(self)
    }
}
