//! Dispute games as the actors read them (PROTOCOL §14): a game's stored
//! state from the contract, the hashes revealed at its current node from the
//! `Revealed` events, and the Rollup's view of a batch.

use alloy::{
    primitives::{Address, B256, U256},
    providers::Provider,
    rpc::types::Filter,
    sol_types::SolEvent,
};

use crate::{
    ChainError,
    bindings::{DisputeGame, Rollup},
};

/// `GameStatus` of the contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GameStatus {
    /// Moves are still being made.
    InProgress,
    /// The challenger won: the batch is (or will be, once resolved) rejected.
    ChallengerWon,
    /// The defender won.
    DefenderWon,
    /// The batch was dropped by another game; the bond was refunded.
    Dropped,
}

/// Whose move it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Turn {
    /// The defender must reveal.
    Defender,
    /// The challenger must pick, or step at a leaf.
    Challenger,
}

/// One side's chess clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    /// Seconds left when it last stopped.
    pub remaining: u64,
    /// When it last started running (meaningful for the side to move).
    pub since: u64,
}

impl Clock {
    fn unpack(packed: u128) -> Self {
        Self {
            remaining: (packed >> 64) as u64,
            since: packed as u64,
        }
    }

    /// Seconds left at L1 time `now` if this clock is running.
    pub fn left_at(&self, now: u64) -> u64 {
        self.remaining
            .saturating_sub(now.saturating_sub(self.since))
    }
}

/// `SkipReason` of `contracts/libraries/Types.sol`, in declaration order
/// (`None`: the step applied).
pub const SKIP_REASONS: [&str; 19] = [
    "None",
    "UnknownKind",
    "NonZeroPadding",
    "SignatureLength",
    "SignatureV",
    "SignatureR",
    "SignatureS",
    "RecoveryFailed",
    "WrongSigner",
    "NoSuchAccount",
    "TokenMismatch",
    "BadNonce",
    "NonceExhausted",
    "Overdraft",
    "CreditOverflow",
    "ZeroAmount",
    "ZeroRecipient",
    "WithdrawalsFull",
    "NotOwner",
];

/// The name of the Solidity `SkipReason` with this code, as the engine
/// names its reasons (`Unknown` for a code the enum does not have).
pub fn skip_reason_name(code: u8) -> &'static str {
    SKIP_REASONS
        .get(usize::from(code))
        .copied()
        .unwrap_or("Unknown")
}

/// A game's stored state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GameView {
    /// Its id.
    pub id: u64,
    /// The challenger.
    pub challenger: Address,
    /// The batch's committer.
    pub defender: Address,
    /// The batch judged.
    pub batch: u64,
    /// The Rollup's epoch when that batch was committed.
    pub epoch: u32,
    /// Where the game stands.
    pub status: GameStatus,
    /// Whether the verdict was settled through the Rollup.
    pub resolved: bool,
    /// Whose move it is.
    pub turn: Turn,
    /// `d = log2 T`.
    pub trace_depth: u32,
    /// Generalized index of the current node.
    pub position: u64,
    /// The defender's claim at `position`.
    pub node: B256,
    /// The agreed pre-root of the node's first step.
    pub pre_root: B256,
    /// The defender's clock.
    pub defender_clock: Clock,
    /// The challenger's clock.
    pub challenger_clock: Clock,
}

impl GameView {
    /// Depth of the current node below the root.
    pub fn depth(&self) -> u32 {
        63 - self.position.leading_zeros()
    }

    /// Whether the game is at a leaf (the next move is the step).
    pub fn at_leaf(&self) -> bool {
        self.depth() == self.trace_depth
    }

    /// The step of the leaf the game is at.
    pub fn step(&self) -> Option<u64> {
        self.at_leaf()
            .then(|| self.position ^ (1u64 << self.trace_depth))
    }

    /// The clock of the side to move.
    pub fn running_clock(&self) -> Clock {
        match self.turn {
            Turn::Defender => self.defender_clock,
            Turn::Challenger => self.challenger_clock,
        }
    }

    /// Whether the side to move has run out of time at L1 time `now`.
    pub fn expired_at(&self, now: u64) -> bool {
        self.running_clock().left_at(now) == 0
    }
}

/// Reads game `id`.
pub async fn game<P: Provider>(
    provider: &P,
    dispute: Address,
    id: u64,
) -> Result<GameView, ChainError> {
    let contract = DisputeGame::new(dispute, provider);
    let g = contract
        .game(U256::from(id))
        .call()
        .await
        .map_err(|e| ChainError::contract("game", &e))?;
    let status = match g.status {
        1 => GameStatus::InProgress,
        2 => GameStatus::ChallengerWon,
        3 => GameStatus::DefenderWon,
        4 => GameStatus::Dropped,
        other => {
            return Err(ChainError::OutOfRange {
                field: "game status",
                value: other.to_string(),
            });
        }
    };
    let turn = match g.turn {
        0 => Turn::Defender,
        1 => Turn::Challenger,
        other => {
            return Err(ChainError::OutOfRange {
                field: "game turn",
                value: other.to_string(),
            });
        }
    };
    Ok(GameView {
        id,
        challenger: g.challenger,
        defender: g.defender,
        batch: g.batch,
        epoch: g.epoch,
        status,
        resolved: g.resolved,
        turn,
        trace_depth: u32::from(g.traceDepth),
        position: g.position,
        node: g.node,
        pre_root: g.preRoot,
        defender_clock: Clock::unpack(g.defenderClock),
        challenger_clock: Clock::unpack(g.challengerClock),
    })
}

/// Reads every game ever opened, in id order.
pub async fn games<P: Provider>(
    provider: &P,
    dispute: Address,
) -> Result<Vec<GameView>, ChainError> {
    let count = DisputeGame::new(dispute, provider)
        .gameCount()
        .call()
        .await
        .map_err(|e| ChainError::contract("gameCount", &e))?;
    let count = u64::try_from(count).map_err(|_| ChainError::OutOfRange {
        field: "game count",
        value: count.to_string(),
    })?;
    let mut out = Vec::with_capacity(count as usize);
    for id in 0..count {
        out.push(game(provider, dispute, id).await?);
    }
    Ok(out)
}

/// The hashes revealed below game `id`'s node at `position`, from the newest
/// `Revealed` event of that game at that position since block `from`.
pub async fn revealed<P: Provider>(
    provider: &P,
    dispute: Address,
    id: u64,
    position: u64,
    from: u64,
) -> Result<Option<Vec<B256>>, ChainError> {
    let filter = Filter::new()
        .address(dispute)
        .event_signature(DisputeGame::Revealed::SIGNATURE_HASH)
        .topic1(U256::from(id))
        .from_block(from);
    let logs = provider
        .get_logs(&filter)
        .await
        .map_err(|e| ChainError::rpc("eth_getLogs", e))?;
    for log in logs.iter().rev() {
        let event =
            DisputeGame::Revealed::decode_log_data(log.data()).map_err(|e| ChainError::BadLog {
                event: "Revealed",
                tx: log.transaction_hash,
                reason: e.to_string(),
            })?;
        if event.position == position {
            return Ok(Some(event.children));
        }
    }
    Ok(None)
}

/// What the Rollup stores of a batch, as far as a dispute actor reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchRecord {
    /// Its committer, the defender of its games.
    pub committer: Address,
    /// When it was committed (its window runs from here).
    pub commit_time: u64,
    /// The Rollup's epoch when it was committed.
    pub epoch: u32,
    /// Games open against it.
    pub open_games: u32,
    /// Messages consumed once it is applied (the escape hatch reads the tip's).
    pub msgs_after: u64,
    /// Its claimed state root.
    pub state_root: B256,
    /// Its claimed trace root.
    pub trace_root: B256,
}

/// The Rollup's record of batch `index` (reverts `UnknownBatch` past the tip).
pub async fn batch<P: Provider>(
    provider: &P,
    rollup: Address,
    index: u64,
) -> Result<BatchRecord, ChainError> {
    let b = Rollup::new(rollup, provider)
        .batch(index)
        .call()
        .await
        .map_err(|e| ChainError::contract("batch", &e))?;
    Ok(BatchRecord {
        committer: b.committer,
        commit_time: b.commitTime,
        epoch: b.epoch,
        open_games: b.openGames,
        msgs_after: b.msgsAfter,
        state_root: b.stateRoot,
        trace_root: b.traceRoot,
    })
}

/// The timestamp of the newest L1 block: the time clocks and windows read.
pub async fn l1_time<P: Provider>(provider: &P) -> Result<u64, ChainError> {
    let block = provider
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await
        .map_err(|e| ChainError::rpc("eth_getBlockByNumber", e))?
        .ok_or(ChainError::Rpc {
            method: "eth_getBlockByNumber",
            reason: "no latest block".into(),
        })?;
    Ok(block.header.timestamp)
}
