//! `bulwark dispute replay`: every move of a dispute game, from a scenario
//! run's record or from any chain, as text, JSON, or one self-contained HTML
//! page with a picture of the bisection.

mod html;

use std::path::{Path, PathBuf};

use alloy::primitives::{B256, utils::format_ether};
use bulwark_chain::{
    Deployment,
    replay::{self, EngineRun, GameReplay, MoveKind},
    write_atomically,
};
use clap::{Args, Subcommand};
use eyre::{WrapErr, bail, eyre};
use serde::{Deserialize, Serialize};

use crate::{rpc, serve};

/// `bulwark dispute`'s subcommands.
#[derive(Subcommand, Debug)]
pub enum DisputeCommand {
    /// Replay dispute games move by move: text, --json, or an --html page with a picture.
    ///
    /// Reads the games from a scenario run's record (`bulwark scenario run --record FILE`) or
    /// from a live chain (--rpc-url and --deployment). Every move with its node, the hashes
    /// revealed, the pick and the agreed pre-root, clocks, bond and gas; the one-step's input
    /// decoded and run again by the engine beside what the contract computed.
    Replay(ReplayArgs),
}

/// `bulwark dispute replay`'s flags.
#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// A scenario run's record (written by `bulwark scenario run --record FILE`).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["rpc_url", "deployment"])]
    pub record: Option<PathBuf>,
    /// The deployment file of the chain to read games from (with --rpc-url).
    #[arg(long, value_name = "FILE", requires = "rpc_url")]
    pub deployment: Option<PathBuf>,
    /// The L1 JSON-RPC endpoint to read games from (with --deployment).
    #[arg(long, value_name = "URL", requires = "deployment")]
    pub rpc_url: Option<String>,
    /// Only this game (default: every game).
    #[arg(long, value_name = "ID")]
    pub game: Option<u64>,
    /// The widest eth_getLogs block range asked for (halved while the endpoint refuses it).
    #[arg(long, value_name = "BLOCKS", default_value_t = 10_000)]
    pub log_range: u64,
    /// Print the games as JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also write one self-contained HTML page (no network needed to open it).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// What `bulwark scenario run --record` keeps of a run: enough to replay
/// its games after its L1 is gone.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// The scenario's name.
    pub scenario: String,
    /// The scenario file.
    pub file: String,
    /// The L1 client it ran on.
    pub l1: String,
    /// Whether every step passed.
    pub passed: bool,
    /// The deployment it ran against.
    pub deployment: serde_json::Value,
    /// Every game, in id order.
    pub games: Vec<GameReplay>,
}

impl Record {
    /// Writes the record whole (a temporary file renamed into place).
    pub fn save(&self, path: &Path) -> eyre::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).wrap_err_with(|| dir.display().to_string())?;
        }
        let json = serde_json::to_string_pretty(self).expect("a record serializes");
        write_atomically(path, json.as_bytes()).wrap_err_with(|| path.display().to_string())
    }
}

/// Runs a `bulwark dispute` subcommand.
pub async fn run(command: DisputeCommand) -> eyre::Result<()> {
    match command {
        DisputeCommand::Replay(args) => replay_games(args).await,
    }
}

async fn replay_games(args: ReplayArgs) -> eyre::Result<()> {
    let (title, mut games) = match (&args.record, &args.deployment, &args.rpc_url) {
        (Some(path), _, _) => {
            let text = std::fs::read_to_string(path)
                .wrap_err_with(|| format!("reading record {}", path.display()))?;
            let record: Record = serde_json::from_str(&text)
                .wrap_err_with(|| format!("{}: not a scenario run's record", path.display()))?;
            check_record(&record.games)
                .map_err(|e| eyre!("{}: not a scenario run's record: {e}", path.display()))?;
            let title = format!(
                "scenario \"{}\" ({}, {})",
                record.scenario, record.file, record.l1
            );
            (title, record.games)
        }
        (None, Some(file), Some(url)) => {
            let deployment: Deployment = serve::deployment(file, url).await?;
            let provider = rpc::connect(url)?;
            let range = args.log_range.max(1);
            let games = match args.game {
                Some(id) => vec![
                    replay::read_game(&provider, &deployment, id, range)
                        .await
                        .wrap_err_with(|| format!("reading game {id}"))?,
                ],
                None => replay::read_games(&provider, &deployment, range)
                    .await
                    .wrap_err("reading the games")?,
            };
            let title = format!(
                "chain {}, DisputeGame {}",
                deployment.chain_id, deployment.dispute
            );
            (title, games)
        }
        _ => bail!(
            "name the games to replay: --record FILE, or --rpc-url URL with --deployment FILE"
        ),
    };
    if let Some(id) = args.game {
        games.retain(|g| g.id == id);
        if games.is_empty() {
            bail!("there is no game {id}");
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&games).expect("games serialize")
        );
    } else {
        if games.is_empty() {
            println!("{title}: no dispute games");
        }
        for game in &games {
            print!("{}", text(game));
        }
    }
    if let Some(path) = &args.html {
        let page = html::page(&title, &games);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).wrap_err_with(|| dir.display().to_string())?;
        }
        write_atomically(path, page.as_bytes()).wrap_err_with(|| path.display().to_string())?;
        if !args.json {
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}

/// The first four bytes of a hash, as transcripts show it.
pub(crate) fn short(hash: &B256) -> String {
    format!("0x{}", alloy::hex::encode(&hash[..4]))
}

/// A node of the trace tree in words: its depth and index, or the step at a leaf.
pub(crate) fn node_name(position: u64, trace_depth: u32) -> String {
    let depth = 63 - position.max(1).leading_zeros();
    let index = position ^ (1u64 << depth.min(63));
    if depth == trace_depth {
        format!("leaf {position} (step {index})")
    } else if depth == 0 {
        "the root".to_owned()
    } else {
        format!("node {position} (depth {depth}, index {index})")
    }
}

/// How many steps a trace of depth `d` has, in words (a record may claim any depth).
pub(crate) fn steps(depth: u32) -> String {
    1u64.checked_shl(depth)
        .map_or_else(|| format!("2^{depth}"), |n| n.to_string())
}

/// Refuses a record whose games could not have come from the contracts:
/// the page and the text do arithmetic on depths and positions.
fn check_record(games: &[GameReplay]) -> Result<(), String> {
    for g in games {
        // A batch carries at most 2^9 records and a trace is a power of two over them.
        if g.trace_depth > 32 {
            return Err(format!(
                "game {}: trace depth {} is out of range",
                g.id, g.trace_depth
            ));
        }
        for m in &g.moves {
            if let MoveKind::Reveal {
                position, children, ..
            } = &m.kind
                && (!children.len().is_power_of_two()
                    || children.len() > 16
                    || *position == 0
                    || *position >= 1u64 << g.trace_depth)
            {
                return Err(format!(
                    "game {}: a reveal of {} hashes below position {position} is not a move of a depth-{} trace",
                    g.id,
                    children.len(),
                    g.trace_depth
                ));
            }
        }
    }
    Ok(())
}

/// Wei as ETH.
pub(crate) fn eth(wei: &str) -> String {
    match wei.parse::<u128>() {
        Ok(w) => {
            let ether = format_ether(alloy::primitives::U256::from(w));
            let ether = ether.trim_end_matches('0').trim_end_matches('.');
            format!("{ether} ETH")
        }
        Err(_) => format!("{wei} wei"),
    }
}

/// A move in words. `hash` renders a hash and `text` any string taken from
/// the record, so that the page can mark up and escape what the terminal
/// prints as is.
pub(crate) fn describe(
    kind: &MoveKind,
    trace_depth: u32,
    hash: &dyn Fn(&B256) -> String,
    text: &dyn Fn(&str) -> String,
) -> String {
    match kind {
        MoveKind::Open => "opens the game with the bond".to_owned(),
        MoveKind::Reveal {
            position,
            children,
            clock_left,
        } => format!(
            "reveals {} hashes below {}: [{}] ({clock_left} s left)",
            children.len(),
            node_name(*position, trace_depth),
            children.iter().map(hash).collect::<Vec<_>>().join(", ")
        ),
        MoveKind::Pick {
            position,
            child,
            node,
            pre_root,
            clock_left,
        } => format!(
            "picks child {child} -> {} ({}), agreed pre-root {} ({clock_left} s left)",
            node_name(*position, trace_depth),
            hash(node),
            hash(pre_root)
        ),
        MoveKind::Step {
            step,
            claimed,
            post_root,
            reason,
            decided,
        } => format!(
            "runs the one-step of step {step}: post-root {} ({}) against the claimed {} -> {}",
            hash(post_root),
            if reason == "None" {
                "applied".to_owned()
            } else {
                format!("skipped: {}", text(reason))
            },
            hash(claimed),
            text(decided)
        ),
        MoveKind::Timeout { loser, decided } => format!(
            "claims the timeout: the {} ran out of time -> {}",
            text(loser),
            text(decided)
        ),
        MoveKind::Resolve { status } => {
            format!("resolves it through the Rollup: {}", text(status))
        }
    }
}

/// A game as text, one move per line.
pub fn text(game: &GameReplay) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let start = game.moves.first().map_or(0, |m| m.time);
    let _ = writeln!(
        out,
        "game {} against batch {} (epoch {}): challenger {} vs defender {}",
        game.id, game.batch, game.epoch, game.challenger, game.defender
    );
    let _ = writeln!(
        out,
        "  trace root {} (depth {}, {} step{}), state root {}; bond {}, stake {}; clock {} s a side",
        short(&game.trace_root),
        game.trace_depth,
        steps(game.trace_depth),
        if game.trace_depth == 0 { "" } else { "s" },
        short(&game.state_root),
        eth(&game.bond),
        eth(&game.stake),
        game.clock
    );
    for (i, m) in game.moves.iter().enumerate() {
        let what = describe(&m.kind, game.trace_depth, &|hash| short(hash), &|text| {
            text.to_owned()
        });
        let _ = writeln!(
            out,
            "  {:>2}. t+{:<5} {:<10} {what} ({} gas)",
            i + 1,
            format!("{}s", m.time.saturating_sub(start)),
            m.side,
            m.gas
        );
    }
    if let Some(s) = &game.one_step {
        let _ = writeln!(
            out,
            "  one-step: step {} is {} {}: {}",
            s.step,
            if s.kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            },
            s.kind,
            s.input
        );
        let engine = match &s.engine {
            EngineRun::Ran { outcome, post_root } => format!(
                "the engine runs it again: {outcome}, post-root {}{}",
                short(post_root),
                if post_root == &s.post_root {
                    " (the same)"
                } else {
                    " (DIFFERENT)"
                }
            ),
            EngineRun::Refused { reason } => format!("the engine refuses the witness: {reason}"),
        };
        let _ = writeln!(
            out,
            "    from the agreed pre-root {} the contract computed {}; {engine}",
            short(&s.pre_root),
            short(&s.post_root)
        );
        let _ = writeln!(
            out,
            "    the defender claimed {}: {}",
            short(&s.claimed),
            s.verdict
        );
    }
    let gas = game
        .moves
        .iter()
        .fold(0u64, |sum, m| sum.saturating_add(m.gas));
    let _ = writeln!(
        out,
        "  result: {}{}; {} transactions, {gas} gas",
        game.status,
        if game.resolved { ", resolved" } else { "" },
        game.moves.len()
    );
    out
}

/// Reads every game of the chain `provider` serves for a record.
pub async fn games_for_record<P: alloy::providers::Provider>(
    provider: &P,
    deployment: &Deployment,
) -> eyre::Result<Vec<GameReplay>> {
    replay::read_games(provider, deployment, 10_000)
        .await
        .map_err(|e| eyre!("reading the games for the record: {e}"))
}
