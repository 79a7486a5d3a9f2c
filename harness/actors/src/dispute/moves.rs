//! What dispute actors did, one line each, for the transcript and the tests.

use core::fmt;

use alloy::primitives::B256;
use bulwark_chain::dispute::GameStatus;

/// One move in a game, with the gas its transaction used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GameMove {
    /// Who moved ("challenger", "defender", ...).
    pub actor: String,
    /// The game.
    pub game: u64,
    /// What was done.
    pub kind: MoveKind,
    /// Gas used by the transaction (0 when it reverted).
    pub gas: u64,
}

/// The kinds of move.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MoveKind {
    /// A game was opened against `batch` (bond locked).
    Opened {
        /// The batch.
        batch: u64,
        /// Its trace depth.
        depth: u32,
    },
    /// Hashes revealed below the node at `position`.
    Revealed {
        /// Generalized index of the node.
        position: u64,
        /// The revealed hashes.
        children: Vec<B256>,
        /// Seconds left on the defender's clock after the move.
        clock_left: u64,
    },
    /// A reveal that the contract refused (a cheating defender).
    RevealRefused {
        /// The revert.
        reason: String,
    },
    /// The challenger picked child `child`, moving to `position`.
    Picked {
        /// The child index among the revealed.
        child: u64,
        /// The new node's generalized index.
        position: u64,
        /// The picked hash.
        node: B256,
        /// The agreed pre-root after the pick.
        pre_root: B256,
        /// Seconds left on the challenger's clock after the move.
        clock_left: u64,
    },
    /// The one-step of step `step` ran and decided the game.
    Stepped {
        /// The step.
        step: u64,
        /// What the step is, in words.
        input: String,
        /// The defender's leaf.
        claimed: B256,
        /// The post-root the one-step computed.
        computed: B256,
    },
    /// The side to move ran out of time.
    TimedOut {
        /// Which side lost on time.
        loser: &'static str,
    },
    /// The verdict was settled through the Rollup.
    Resolved {
        /// The final status.
        status: GameStatus,
    },
    /// A game on a dropped batch was closed with a refund.
    Closed,
}

impl fmt::Display for GameMove {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (actor, game, gas) = (&self.actor, self.game, self.gas);
        match &self.kind {
            MoveKind::Opened { batch, depth } => write!(
                f,
                "game {game}: {actor} opens a game against batch {batch} (trace depth {depth}) ({gas} gas)"
            ),
            MoveKind::Revealed {
                position,
                children,
                clock_left,
            } => write!(
                f,
                "game {game}: {actor} reveals {} hashes below {}: {} ({gas} gas, {clock_left} s left)",
                children.len(),
                node_name(*position),
                short_list(children)
            ),
            MoveKind::RevealRefused { reason } => {
                write!(f, "game {game}: {actor}'s reveal is refused: {reason}")
            }
            MoveKind::Picked {
                child,
                position,
                node,
                pre_root,
                clock_left,
            } => write!(
                f,
                "game {game}: {actor} picks child {child} -> {} ({}), agreed pre-root {} ({gas} gas, {clock_left} s left)",
                node_name(*position),
                short(node),
                short(pre_root)
            ),
            MoveKind::Stepped {
                step,
                input,
                claimed,
                computed,
            } => write!(
                f,
                "game {game}: {actor} runs the one-step of step {step} ({input}): computed {}, defender claimed {} -> {} ({gas} gas)",
                short(computed),
                short(claimed),
                if computed == claimed {
                    "the claim holds"
                } else {
                    "the claim is false"
                }
            ),
            MoveKind::TimedOut { loser } => write!(
                f,
                "game {game}: {actor} calls the timeout: the {loser} ran out of time ({gas} gas)"
            ),
            MoveKind::Resolved { status } => {
                write!(
                    f,
                    "game {game}: {actor} resolves it: {status:?} ({gas} gas)"
                )
            }
            MoveKind::Closed => write!(
                f,
                "game {game}: {actor} closes it: its batch was dropped, bond refunded ({gas} gas)"
            ),
        }
    }
}

/// A trace-tree node in words: the root, or its depth and index (§14.1).
fn node_name(position: u64) -> String {
    if position <= 1 {
        return "the root".into();
    }
    let depth = 63 - position.leading_zeros();
    format!(
        "node {position} (depth {depth}, index {})",
        position ^ (1u64 << depth)
    )
}

/// The first bytes of a hash, enough to tell hashes apart in a transcript.
pub fn short(hash: &B256) -> String {
    format!("{:#x}", hash)[..10].to_owned()
}

fn short_list(hashes: &[B256]) -> String {
    let shown: Vec<String> = hashes.iter().take(4).map(short).collect();
    if hashes.len() > 4 {
        format!("[{}, ...]", shown.join(", "))
    } else {
        format!("[{}]", shown.join(", "))
    }
}
