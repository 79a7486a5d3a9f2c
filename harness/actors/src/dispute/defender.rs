//! The defender: answers every game against its sequencer's batches by
//! revealing what each batch claimed, calls the timeout when a challenger
//! stalls, and resolves the games it won.

use alloy::primitives::{B256, U256};
use bulwark_chain::{
    ChainError, Deployment,
    bindings::DisputeGame,
    dispute::{self, GameStatus, GameView, Turn, l1_time},
    send,
};
use bulwark_engine::TracePosition;

use super::moves::{GameMove, MoveKind};
use super::{DisputeError, REVEAL_LEVELS};
use crate::sequencer::Claims;
use crate::wallet::L1Account;

/// How the defender plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DefenderStrategy {
    /// Reveals what the batch claimed, every time.
    #[default]
    Honest,
    /// Reveals hashes that do not fold to the node (the contract refuses
    /// them), once per node, then stalls.
    BadFold,
    /// Never moves.
    Stall,
}

/// A defender of the batches its sequencer committed.
pub struct Defender {
    account: L1Account,
    deployment: Deployment,
    claims: Claims,
    strategy: DefenderStrategy,
    /// (game, node) pairs where a bad reveal was already tried.
    tried: std::sync::Mutex<std::collections::BTreeSet<(u64, u64)>>,
}

impl Defender {
    /// A defender sending from `account`, revealing from `claims`.
    pub fn new(
        account: L1Account,
        deployment: Deployment,
        claims: Claims,
        strategy: DefenderStrategy,
    ) -> Self {
        Self {
            account,
            deployment,
            claims,
            strategy,
            tried: Default::default(),
        }
    }

    /// One pass over every game against a batch of this defender's: the
    /// moves due now. Driven by L1 blocks (`run`) or called by a test.
    pub async fn tick(&self) -> Result<Vec<GameMove>, DisputeError> {
        self.tick_where(|_| true).await
    }

    /// As [`tick`](Self::tick), over the games `play` selects only (a
    /// sequencer defending some batches one way and others another).
    pub async fn tick_where(
        &self,
        play: impl Fn(&GameView) -> bool,
    ) -> Result<Vec<GameMove>, DisputeError> {
        let provider = &self.account.provider;
        let now = l1_time(provider).await?;
        let mut moves = Vec::new();
        for game in dispute::games(provider, self.deployment.dispute).await? {
            if game.defender != self.account.address() || !play(&game) {
                continue;
            }
            if let Some(m) = self.play(&game, now).await? {
                moves.push(m);
            }
        }
        Ok(moves)
    }

    async fn play(&self, game: &GameView, now: u64) -> Result<Option<GameMove>, DisputeError> {
        let contract = DisputeGame::new(self.deployment.dispute, &self.account.provider);
        let id = U256::from(game.id);
        let (kind, sent) = match (game.status, game.resolved, game.turn) {
            (GameStatus::InProgress, _, Turn::Defender) => {
                if self.strategy == DefenderStrategy::Stall || game.expired_at(now) {
                    return Ok(None);
                }
                let mut children = self.children(game)?;
                if self.strategy == DefenderStrategy::BadFold {
                    let first = self
                        .tried
                        .lock()
                        .map_err(|_| DisputeError::Poisoned)?
                        .insert((game.id, game.position));
                    if !first {
                        return Ok(None);
                    }
                    children[0] = B256::repeat_byte(0xbd);
                    let reason = match send(contract.reveal(id, children), "reveal").await {
                        Err(e) => e.to_string(),
                        Ok(_) => "accepted".into(),
                    };
                    return Ok(Some(self.moved(
                        game.id,
                        MoveKind::RevealRefused { reason },
                        0,
                    )));
                }
                let sent = send(contract.reveal(id, children.clone()), "reveal").await?;
                let clock_left = game.defender_clock.left_at(now);
                let kind = MoveKind::Revealed {
                    position: game.position,
                    children,
                    clock_left,
                };
                (kind, sent)
            }
            (GameStatus::InProgress, _, Turn::Challenger) if game.expired_at(now) => {
                let sent = send(contract.timeout(id), "timeout").await?;
                (
                    MoveKind::TimedOut {
                        loser: "challenger",
                    },
                    sent,
                )
            }
            (GameStatus::DefenderWon, false, _) => {
                let sent = send(contract.resolve(id), "resolve").await?;
                let status =
                    dispute::game(&self.account.provider, self.deployment.dispute, game.id)
                        .await?
                        .status;
                (MoveKind::Resolved { status }, sent)
            }
            _ => return Ok(None),
        };
        Ok(Some(self.moved(game.id, kind, sent.gas_used)))
    }

    /// The hashes its batch claimed below the game's node.
    fn children(&self, game: &GameView) -> Result<Vec<B256>, DisputeError> {
        let claims = self.claims.lock().map_err(|_| DisputeError::Poisoned)?;
        let claim = claims
            .get(&game.batch)
            .ok_or(DisputeError::NoClaim { batch: game.batch })?;
        let position = TracePosition::new(game.position).ok_or(DisputeError::BadPosition {
            game: game.id,
            position: game.position,
        })?;
        if claim.tree.node(position) != Some(game.node) {
            return Err(DisputeError::ClaimMismatch {
                game: game.id,
                batch: game.batch,
            });
        }
        claim
            .tree
            .descendants(position, REVEAL_LEVELS)
            .map(<[B256]>::to_vec)
            .ok_or(DisputeError::BadPosition {
                game: game.id,
                position: game.position,
            })
    }

    fn moved(&self, game: u64, kind: MoveKind, gas: u64) -> GameMove {
        GameMove {
            actor: "defender".into(),
            game,
            kind,
            gas,
        }
    }
}

impl From<ChainError> for DisputeError {
    fn from(e: ChainError) -> Self {
        Self::Chain(Box::new(e))
    }
}

impl super::Player for Defender {
    fn provider(&self) -> alloy::providers::DynProvider {
        self.account.provider.clone()
    }

    fn tick(
        &self,
    ) -> impl std::future::Future<Output = Result<Vec<GameMove>, DisputeError>> + Send {
        Defender::tick(self)
    }
}
