//! A dispute game read back from L1 alone, move by move, for auditors: who
//! moved, the node at stake, the hashes revealed, the child picked and the
//! pre-root agreed with it, the clocks, the gas; and the one-step's witness
//! decoded and executed again by the engine next to what the contract
//! computed. Serializable, so a scenario run can keep its games after its L1
//! is gone.

use std::collections::HashMap;

use alloy::{
    consensus::Transaction as _,
    primitives::{Address, B256, U256},
    providers::Provider,
    rpc::types::{Filter, Log},
    sol_types::{SolCall, SolEvent},
};
use bulwark_engine::{
    Domain, Step,
    witness::{InputKind, StepAnchor, StepInput, StepWitness, verify_step_outcome},
};
use serde::{Deserialize, Serialize};

use crate::{
    ChainError, Deployment,
    bindings::{Bridge, DisputeGame, Rollup},
    dispute,
    history::decode,
};

/// One game, as L1 recorded it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GameReplay {
    /// The game's id.
    pub id: u64,
    /// The batch judged.
    pub batch: u64,
    /// The Rollup's epoch when that batch was committed.
    pub epoch: u32,
    /// Who opened the game (and posted the bond).
    pub challenger: Address,
    /// The batch's committer.
    pub defender: Address,
    /// The batch's claimed trace root: the node both sides start from.
    pub trace_root: B256,
    /// `d = log2 T`.
    pub trace_depth: u32,
    /// The batch's claimed state root.
    pub state_root: B256,
    /// The challenger's bond, in wei.
    pub bond: String,
    /// The committer's stake at risk, in wei.
    pub stake: String,
    /// Each side's chess clock at the start, in seconds.
    pub clock: u64,
    /// How the game ended (or `InProgress`).
    pub status: String,
    /// Whether the verdict was settled through the Rollup.
    pub resolved: bool,
    /// Every move, in L1 order.
    pub moves: Vec<Move>,
    /// The one-step, if the game reached a leaf and someone ran it.
    pub one_step: Option<OneStep>,
}

/// One transaction of a game.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Move {
    /// Its sender.
    pub by: Address,
    /// The sender's side: `challenger`, `defender`, or `anyone`.
    pub side: String,
    /// The transaction.
    pub tx: B256,
    /// Its block and that block's time.
    pub block: u64,
    pub time: u64,
    /// Gas used by the whole transaction.
    pub gas: u64,
    /// What it did.
    #[serde(flatten)]
    pub kind: MoveKind,
}

/// What a move did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "move",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum MoveKind {
    /// The game opened against the batch's trace root.
    Open,
    /// The defender revealed the hashes below the node at `position`.
    Reveal {
        position: u64,
        children: Vec<B256>,
        clock_left: u64,
    },
    /// The challenger picked child `child` (at `position`, hash `node`),
    /// agreeing on `pre_root`.
    Pick {
        position: u64,
        child: u64,
        node: B256,
        pre_root: B256,
        clock_left: u64,
    },
    /// The one-step ran step `step` at the leaf.
    Step {
        step: u64,
        claimed: B256,
        post_root: B256,
        reason: String,
        decided: String,
    },
    /// A side ran out of time.
    Timeout { loser: String, decided: String },
    /// The verdict was settled through the Rollup.
    Resolve { status: String },
}

/// The one-step: its input decoded, executed again by the engine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OneStep {
    /// The step's index in the batch's trace.
    pub step: u64,
    /// `message`, `record` or `identity`.
    pub kind: String,
    /// The step in words (a message, a transfer, a withdrawal, …).
    pub input: String,
    /// The agreed pre-root it ran from.
    pub pre_root: B256,
    /// What the contract computed.
    pub post_root: B256,
    /// What the defender's leaf claimed.
    pub claimed: B256,
    /// Whether it is the trace's last step, whose leaf must also equal the
    /// batch's claimed state root.
    pub last: bool,
    /// Whether the step refuted the defender (as the contract decides: the
    /// computed post-root differs from the leaf, or the last leaf differs
    /// from the state root).
    pub refuted: bool,
    /// The verdict in words.
    pub verdict: String,
    /// The engine's own run of the same witness.
    pub engine: EngineRun,
    /// Bytes of witness sent.
    pub witness_bytes: usize,
}

/// The engine's run of a one-step witness.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "result",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum EngineRun {
    /// It executed: `applied`, or `skipped: <reason>`, and the post-root.
    Ran { outcome: String, post_root: B256 },
    /// It refused the witness (a malformed or mismatched witness).
    Refused { reason: String },
}

/// Reads game `id` of `deployment` from L1, asking for logs `max_range`
/// blocks at a time (halved while the endpoint refuses).
pub async fn read_game<P: Provider>(
    provider: &P,
    deployment: &Deployment,
    id: u64,
    max_range: u64,
) -> Result<GameReplay, ChainError> {
    let view = dispute::game(provider, deployment.dispute, id).await?;
    let head = provider
        .get_block_number()
        .await
        .map_err(|e| ChainError::rpc("eth_blockNumber", e))?;
    let filter = Filter::new()
        .address(deployment.dispute)
        .topic1(U256::from(id));
    let logs = paged_logs(provider, filter, deployment.deploy_block, head, max_range).await?;

    let mut moves = Vec::new();
    let mut blocks: HashMap<u64, u64> = HashMap::new();
    let mut last_reveal: Option<(u64, usize)> = None;
    let mut opened_at = deployment.deploy_block;
    let mut opened_root = None;
    let mut step_tx: Option<(B256, usize)> = None;
    let mut witness: Option<Option<Vec<u8>>> = None;
    for log in &logs {
        let (tx_hash, block) = match (log.transaction_hash, log.block_number) {
            (Some(t), Some(b)) => (t, b),
            _ => {
                return Err(ChainError::LogWithoutTx {
                    event: "a game event",
                });
            }
        };
        let kind = match log.topic0() {
            Some(t) if *t == DisputeGame::GameOpened::SIGNATURE_HASH => {
                let e = decode::<DisputeGame::GameOpened>(log, "GameOpened")?;
                opened_at = block;
                opened_root = Some(e.traceRoot);
                MoveKind::Open
            }
            Some(t) if *t == DisputeGame::Revealed::SIGNATURE_HASH => {
                let e = decode::<DisputeGame::Revealed>(log, "Revealed")?;
                last_reveal = Some((e.position, e.children.len()));
                MoveKind::Reveal {
                    position: e.position,
                    children: e.children,
                    clock_left: e.clockLeft,
                }
            }
            Some(t) if *t == DisputeGame::Picked::SIGNATURE_HASH => {
                let e = decode::<DisputeGame::Picked>(log, "Picked")?;
                // Children of a reveal sit `log2(count)` levels below its node.
                let child = last_reveal.map_or(0, |(at, count)| {
                    let levels = count.max(1).trailing_zeros();
                    e.position.wrapping_sub(at << levels)
                });
                MoveKind::Pick {
                    position: e.position,
                    child,
                    node: e.node,
                    pre_root: e.preRoot,
                    clock_left: e.clockLeft,
                }
            }
            Some(t) if *t == DisputeGame::Stepped::SIGNATURE_HASH => {
                let e = decode::<DisputeGame::Stepped>(log, "Stepped")?;
                step_tx = Some((tx_hash, moves.len()));
                MoveKind::Step {
                    step: e.step,
                    claimed: e.claimed,
                    post_root: e.postRoot,
                    reason: dispute::skip_reason_name(e.reason).into(),
                    decided: String::new(),
                }
            }
            Some(t) if *t == DisputeGame::GameDecided::SIGNATURE_HASH => {
                let e = decode::<DisputeGame::GameDecided>(log, "GameDecided")?;
                let status = status_name(e.status);
                // Decided in the step's own transaction: the step's verdict.
                if let Some((_, at)) = step_tx.filter(|(t, _)| *t == tx_hash) {
                    if let Some(Move {
                        kind: MoveKind::Step { decided, .. },
                        ..
                    }) = moves.get_mut(at)
                    {
                        *decided = status;
                    }
                    continue;
                }
                let loser = if e.status == 2 {
                    "defender"
                } else {
                    "challenger"
                };
                MoveKind::Timeout {
                    loser: loser.into(),
                    decided: status,
                }
            }
            Some(t) if *t == DisputeGame::GameResolved::SIGNATURE_HASH => {
                let e = decode::<DisputeGame::GameResolved>(log, "GameResolved")?;
                MoveKind::Resolve {
                    status: status_name(e.status),
                }
            }
            _ => continue,
        };
        let tx = provider
            .get_transaction_by_hash(tx_hash)
            .await
            .map_err(|e| ChainError::rpc("eth_getTransactionByHash", e))?
            .ok_or(ChainError::LogWithoutTx {
                event: "a game event",
            })?;
        if matches!(kind, MoveKind::Step { .. }) {
            // Sent straight to the game: its calldata is the witness. A step sent
            // through another contract leaves none to read here.
            witness = Some(
                DisputeGame::stepCall::abi_decode(tx.input())
                    .ok()
                    .filter(|_| tx.to() == Some(deployment.dispute))
                    .map(|call| call.witness.to_vec()),
            );
        }
        let receipt = provider
            .get_transaction_receipt(tx_hash)
            .await
            .map_err(|e| ChainError::rpc("eth_getTransactionReceipt", e))?
            .ok_or(ChainError::LogWithoutTx {
                event: "a game event",
            })?;
        let time = match blocks.get(&block) {
            Some(&t) => t,
            None => {
                let t = provider
                    .get_block_by_number(block.into())
                    .await
                    .map_err(|e| ChainError::rpc("eth_getBlockByNumber", e))?
                    .map_or(0, |b| b.header.timestamp);
                blocks.insert(block, t);
                t
            }
        };
        let by = tx.inner.signer();
        let side = if by == view.challenger {
            "challenger"
        } else if by == view.defender {
            "defender"
        } else {
            "anyone"
        };
        moves.push(Move {
            by,
            side: side.into(),
            tx: tx_hash,
            block,
            time,
            gas: receipt.gas_used,
            kind,
        });
    }

    let trace_root = opened_root.ok_or(ChainError::LogWithoutTx {
        event: "GameOpened",
    })?;
    let commit = committed(
        provider, deployment, id, view.batch, trace_root, opened_at, max_range,
    )
    .await?;
    let one_step = match (moves.iter().find_map(step_of), witness) {
        (Some((step, claimed, post_root)), Some(bytes)) => Some(
            one_step(
                provider,
                deployment,
                &commit,
                StepRun {
                    step,
                    claimed,
                    post_root,
                    pre_root: view.pre_root,
                    last: step + 1 == 1u64 << view.trace_depth.min(63),
                },
                bytes.as_deref(),
            )
            .await?,
        ),
        _ => None,
    };
    Ok(GameReplay {
        id,
        batch: view.batch,
        epoch: view.epoch,
        challenger: view.challenger,
        defender: view.defender,
        trace_root: commit.traceRoot,
        trace_depth: view.trace_depth,
        state_root: commit.stateRoot,
        bond: deployment.params.challenge_bond.to_string(),
        stake: deployment.params.stake.to_string(),
        clock: deployment.params.clock,
        status: format!("{:?}", view.status),
        resolved: view.resolved,
        moves,
        one_step,
    })
}

/// Every game of `deployment`, in id order.
pub async fn read_games<P: Provider>(
    provider: &P,
    deployment: &Deployment,
    max_range: u64,
) -> Result<Vec<GameReplay>, ChainError> {
    let count = DisputeGame::new(deployment.dispute, provider)
        .gameCount()
        .call()
        .await
        .map_err(|e| ChainError::contract("gameCount", &e))?;
    let count = u64::try_from(count).unwrap_or(u64::MAX);
    let mut games = Vec::new();
    for id in 0..count {
        games.push(read_game(provider, deployment, id, max_range).await?);
    }
    Ok(games)
}

fn step_of(m: &Move) -> Option<(u64, B256, B256)> {
    match m.kind {
        MoveKind::Step {
            step,
            claimed,
            post_root,
            ..
        } => Some((step, claimed, post_root)),
        _ => None,
    }
}

fn status_name(status: u8) -> String {
    match status {
        1 => "InProgress",
        2 => "ChallengerWon",
        3 => "DefenderWon",
        4 => "Dropped",
        _ => "Unknown",
    }
    .into()
}

/// What the chain says a one-step did.
struct StepRun {
    step: u64,
    claimed: B256,
    post_root: B256,
    pre_root: B256,
    last: bool,
}

/// Decodes the witness as the step's kind (messages first, then records,
/// then identity steps) and runs it through the engine, anchored as the
/// contract anchors it: to the Bridge's hash of message `msgsBefore + step`,
/// or to record `step - messages` of the batch's data root.
async fn one_step<P: Provider>(
    provider: &P,
    deployment: &Deployment,
    commit: &Rollup::BatchCommitted,
    run: StepRun,
    bytes: Option<&[u8]>,
) -> Result<OneStep, ChainError> {
    let messages = commit.msgsAfter.saturating_sub(commit.msgsBefore);
    let records = u64::from(commit.recordCount);
    let (kind, name) = if run.step < messages {
        (InputKind::Message, "message")
    } else if run.step < messages.saturating_add(records) {
        (InputKind::Record, "record")
    } else {
        (InputKind::Identity, "identity")
    };
    let anchor = match kind {
        InputKind::Message => {
            let index = commit.msgsBefore.saturating_add(run.step);
            let hash = Bridge::new(deployment.bridge, provider)
                .messageHash(index)
                .call()
                .await
                .map_err(|e| ChainError::contract("messageHash", &e))?;
            StepAnchor::Message { hash }
        }
        InputKind::Record => StepAnchor::Record {
            position: u32::try_from(run.step - messages).unwrap_or(u32::MAX),
            data_root: commit.dataRoot,
        },
        InputKind::Identity => StepAnchor::Identity,
    };
    let domain = Domain::new(deployment.chain_id, deployment.rollup);
    let (input, engine) = match bytes.map(|b| StepWitness::decode(b, kind)) {
        None => (
            String::from("unknown"),
            EngineRun::Refused {
                reason: "the step was sent through another contract: its witness is not in \
                         the transaction's calldata"
                    .into(),
            },
        ),
        Some(Err(e)) => (
            String::from("undecodable witness"),
            EngineRun::Refused {
                reason: format!("the witness does not decode: {e}"),
            },
        ),
        Some(Ok(witness)) => {
            let step = match &witness.input {
                StepInput::Message(m) => Step::Message(*m),
                StepInput::Record { record, .. } => Step::Record(*record),
                StepInput::Identity => Step::Identity,
            };
            let engine = match verify_step_outcome(run.pre_root, &domain, &anchor, &witness) {
                Ok((post_root, outcome)) => EngineRun::Ran {
                    outcome: outcome.to_string(),
                    post_root,
                },
                Err(e) => EngineRun::Refused {
                    reason: e.to_string(),
                },
            };
            (step.to_string(), engine)
        }
    };
    let (refuted, verdict) = if run.post_root != run.claimed {
        (
            true,
            "the claim is false: the step computes another post-root",
        )
    } else if run.last && run.claimed != commit.stateRoot {
        (
            true,
            "the step matches the claim, but the last leaf is not the batch's state root",
        )
    } else {
        (false, "the claim holds")
    };
    Ok(OneStep {
        step: run.step,
        kind: name.into(),
        input,
        pre_root: run.pre_root,
        post_root: run.post_root,
        claimed: run.claimed,
        last: run.last,
        refuted,
        verdict: verdict.into(),
        engine,
        witness_bytes: bytes.map_or(0, <[u8]>::len),
    })
}

/// The commit of `batch` the game opened on: the newest before the game
/// whose trace root is the one the game started from (a rewound batch index
/// is committed again with another).
async fn committed<P: Provider>(
    provider: &P,
    deployment: &Deployment,
    game: u64,
    batch: u64,
    trace_root: B256,
    opened_at: u64,
    max_range: u64,
) -> Result<Rollup::BatchCommitted, ChainError> {
    let filter = Filter::new()
        .address(deployment.rollup)
        .event_signature(Rollup::BatchCommitted::SIGNATURE_HASH)
        .topic1(U256::from(batch));
    let logs = paged_logs(
        provider,
        filter,
        deployment.deploy_block,
        opened_at,
        max_range,
    )
    .await?;
    for log in logs.iter().rev() {
        let commit = decode::<Rollup::BatchCommitted>(log, "BatchCommitted")?;
        if commit.traceRoot == trace_root {
            return Ok(commit);
        }
    }
    Err(ChainError::GameCommitMissing {
        game,
        batch,
        trace_root,
        block: opened_at,
    })
}

/// `eth_getLogs` over `from..=to` in pages of at most `max_range` blocks,
/// halved while the endpoint refuses one.
async fn paged_logs<P: Provider>(
    provider: &P,
    filter: Filter,
    from: u64,
    to: u64,
    max_range: u64,
) -> Result<Vec<Log>, ChainError> {
    let mut logs = Vec::new();
    let (mut next, mut range) = (from, max_range.max(1));
    while next <= to {
        let end = to.min(next.saturating_add(range - 1));
        match provider
            .get_logs(&filter.clone().from_block(next).to_block(end))
            .await
        {
            Ok(page) => {
                logs.extend(page);
                next = end + 1;
            }
            Err(_) if range > 1 => range /= 2,
            Err(e) => return Err(ChainError::rpc("eth_getLogs", e)),
        }
    }
    Ok(logs)
}
