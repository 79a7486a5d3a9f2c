//! Gas of whole dispute games (PROTOCOL §14), measured from receipts on a
//! devnet, for `make gas` ([`GasReport::add_disputes`](super::gas_report::GasReport::add_disputes)).
//!
//! Each game is played out by the honest [`Challenger`] and [`Defender`]
//! against a batch of exactly `T` steps — deposits, then signed transfers
//! paying a fee — that lies from its last step on. So every pick opens a
//! pre-root (no child 0), and the one-step runs the costliest record step:
//! a transfer with a fee — a signature and three account openings, over
//! three distinct accounts, in the token a full header (16 entries) names
//! last. (A withdraw with a fee also opens three leaves; measured the same
//! way it costs about 1,400 gas less.)

use std::fmt;

use alloy::primitives::U256;
use bulwark_chain::{bindings::DemoToken, deploy_demo_token, dispute::GameStatus, send};
use bulwark_engine::{
    AccountIndex, Header, NEW_ACCOUNT, Record, Step, TokenId, Transfer,
    params::{MAX_FEE_TOKENS, MAX_MSGS, MAX_RECORDS},
};

use super::{
    ScenarioError,
    gas_report::{TX_GAS_CAP, grouped},
};
use crate::{
    devnet::{Devnet, DevnetConfig},
    dispute::{
        REVEAL_LEVELS,
        challenger::ChallengerStrategy,
        defender::DefenderStrategy,
        fault::Fault,
        moves::{GameMove, MoveKind},
    },
    user::User,
};

/// Rounds of challenger and defender ticks before a game counts as stuck.
const MAX_ROUNDS: usize = 32;
/// Each payer's and the fee recipient's balance in the fee token: every byte non-zero.
const BALANCE: u128 = u128::MAX / 3;
/// The fee each transfer pays.
const FEE: u128 = 10_000_000_000_000;
/// What a queued deposit carries (the deposits only lengthen the trace).
const DEPOSIT: u128 = 1_000_000_000_000_000;

/// Why a measured game does not stand as a measurement.
#[derive(Debug, thiserror::Error)]
pub enum DisputeGasError {
    /// The trace size is not one a batch can have here.
    #[error("trace size {trace} is not a power of two in 2..={max}")]
    TraceSize { trace: usize, max: usize },
    /// The lie does not start on a transfer that pays a fee.
    #[error("T = {trace}: step {step} is not an applied transfer paying a fee: {what}")]
    FaultNotOnFeeTransfer {
        trace: usize,
        step: usize,
        what: String,
    },
    /// The sides still had moves after `rounds` rounds.
    #[error("T = {trace}: the game did not end in {rounds} rounds")]
    GameDidNotEnd { trace: usize, rounds: usize },
    /// A move other than open, reveal, pick, step or resolve.
    #[error("T = {trace}: unexpected move: {what}")]
    UnexpectedMove { trace: usize, what: String },
    /// The game did not end with the challenger winning the one-step of the
    /// first wrong step and resolving.
    #[error("T = {trace}: no challenger win at step {step}, resolved once:\n{moves}")]
    WrongVerdict {
        trace: usize,
        step: usize,
        moves: String,
    },
    /// A transaction reached EIP-7825's cap.
    #[error("T = {trace}: {what} used {gas} gas, not below 2^24")]
    OverTxCap {
        trace: usize,
        what: String,
        gas: u64,
    },
    /// A side moved more often than §14.3 allows.
    #[error("T = {trace}: the {side} made {moves} moves, more than ⌈log16 T⌉ + 1 = {bound}")]
    TooManyMoves {
        trace: usize,
        side: &'static str,
        moves: usize,
        bound: usize,
    },
}

/// One game played out, with what each of its transactions cost.
#[derive(Clone, Debug)]
pub struct DisputeRun {
    /// Steps in the disputed batch's trace (`T`).
    pub trace: usize,
    /// L1 messages the batch consumed.
    pub messages: u64,
    /// Records it carried.
    pub records: usize,
    /// The first wrong step: the last one, a transfer with a fee.
    pub fault_step: usize,
    /// Gas of the disputed batch's commit.
    pub commit_gas: u64,
    /// Every transaction of the game, from the open to the resolve.
    pub moves: Vec<GameMove>,
}

impl DisputeRun {
    fn gas_of(&self, kind: fn(&MoveKind) -> bool) -> impl Iterator<Item = u64> + '_ {
        self.moves
            .iter()
            .filter(move |m| kind(&m.kind))
            .map(|m| m.gas)
    }

    /// Gas of the open.
    pub fn open(&self) -> u64 {
        self.gas_of(|k| matches!(k, MoveKind::Opened { .. })).sum()
    }

    /// Gas of each reveal, in order.
    pub fn reveals(&self) -> Vec<u64> {
        self.gas_of(|k| matches!(k, MoveKind::Revealed { .. }))
            .collect()
    }

    /// Gas of each pick, in order.
    pub fn picks(&self) -> Vec<u64> {
        self.gas_of(|k| matches!(k, MoveKind::Picked { .. }))
            .collect()
    }

    /// Gas of the one-step.
    pub fn step(&self) -> u64 {
        self.gas_of(|k| matches!(k, MoveKind::Stepped { .. })).sum()
    }

    /// Gas of the resolve.
    pub fn resolve(&self) -> u64 {
        self.gas_of(|k| matches!(k, MoveKind::Resolved { .. }))
            .sum()
    }

    /// Gas of the whole game, both sides: every transaction summed.
    pub fn whole(&self) -> u64 {
        self.moves.iter().map(|m| m.gas).sum()
    }

    /// The largest single reveal or pick.
    pub fn largest_move(&self) -> u64 {
        self.reveals()
            .into_iter()
            .chain(self.picks())
            .max()
            .unwrap_or(0)
    }

    /// Moves of (challenger, defender) as §14.3 counts them: picks and the
    /// step; reveals.
    pub fn moves_per_side(&self) -> (usize, usize) {
        (self.picks().len() + 1, self.reveals().len())
    }

    /// Checks the game is the measurement it claims to be: a challenger win at
    /// the first wrong step, each transaction below 2^24 gas, each side within
    /// `⌈log16 T⌉ + 1` moves.
    pub fn check(&self) -> Result<(), DisputeGasError> {
        let trace = self.trace;
        let mut stepped = false;
        let mut resolved = 0;
        for m in &self.moves {
            match &m.kind {
                MoveKind::Opened { .. } | MoveKind::Revealed { .. } | MoveKind::Picked { .. } => {}
                MoveKind::Stepped {
                    step,
                    claimed,
                    computed,
                    ..
                } => stepped |= *step as usize == self.fault_step && claimed != computed,
                MoveKind::Resolved { status } => {
                    resolved += usize::from(*status == GameStatus::ChallengerWon);
                }
                _ => {
                    let what = m.to_string();
                    return Err(DisputeGasError::UnexpectedMove { trace, what });
                }
            }
            if m.gas >= TX_GAS_CAP {
                let what = m.to_string();
                return Err(DisputeGasError::OverTxCap {
                    trace,
                    what,
                    gas: m.gas,
                });
            }
        }
        if !stepped || resolved != 1 {
            let moves = self.moves.iter().map(|m| format!("  {m}\n")).collect();
            let step = self.fault_step;
            return Err(DisputeGasError::WrongVerdict { trace, step, moves });
        }
        if self.commit_gas >= TX_GAS_CAP {
            let what = "the disputed batch's commit".into();
            return Err(DisputeGasError::OverTxCap {
                trace,
                what,
                gas: self.commit_gas,
            });
        }
        let bound = moves_bound(trace);
        let (challenger, defender) = self.moves_per_side();
        for (side, moves) in [("challenger", challenger), ("defender", defender)] {
            if moves > bound {
                return Err(DisputeGasError::TooManyMoves {
                    trace,
                    side,
                    moves,
                    bound,
                });
            }
        }
        Ok(())
    }
}

/// `⌈log16 T⌉ + 1`: the most moves either side may need (§14.3).
pub fn moves_bound(trace: usize) -> usize {
    let depth = trace.next_power_of_two().trailing_zeros() as usize;
    depth.div_ceil(4) + 1
}

/// Checks `trace` is a trace size a measured batch can have: a power of two
/// from 2 to `MAX_MSGS + MAX_RECORDS`.
pub fn check_trace(trace: usize) -> Result<(), DisputeGasError> {
    let max = MAX_MSGS + MAX_RECORDS;
    if trace < 2 || !trace.is_power_of_two() || trace > max {
        return Err(DisputeGasError::TraceSize { trace, max });
    }
    Ok(())
}

/// Plays one game per trace size in `traces`, each on a fresh devnet, and
/// checks each ([`DisputeRun::check`]). The config's last user challenges; the
/// others (at least two) pay each other.
pub async fn measure(
    config: &DevnetConfig,
    traces: &[usize],
) -> Result<Vec<DisputeRun>, ScenarioError> {
    let mut runs = Vec::with_capacity(traces.len());
    for &trace in traces {
        let run = play(config, trace).await?;
        run.check()?;
        runs.push(run);
    }
    Ok(runs)
}

/// One game on a fresh devnet over a batch of `trace` steps lying from its last.
async fn play(config: &DevnetConfig, trace: usize) -> Result<DisputeRun, ScenarioError> {
    check_trace(trace)?;
    let mut devnet = Devnet::start(config).await?;
    let d = devnet.deployment.clone();
    let users = devnet.users.clone();
    let (watcher, payers) = match users.split_last() {
        Some((watcher, payers)) if payers.len() >= 2 => (watcher, payers),
        _ => return Err(ScenarioError::Setup("dispute gas needs three users".into())),
    };
    let fees = full_fee_header(&mut devnet, payers).await?;

    // Batch 2: `m` deposits, then `n` transfers with a fee; T = m + n exactly.
    let records = (trace - 1).min(MAX_RECORDS);
    for i in 0..trace - records {
        payers[i % payers.len()]
            .deposit_eth(&d, DEPOSIT, NEW_ACCOUNT)
            .await?;
    }
    let mut nonces = vec![0u32; payers.len()];
    let mut signed = Vec::with_capacity(records);
    for i in 0..records {
        let (from, to) = (i % payers.len(), (i + 1) % payers.len());
        let tx = Transfer {
            from: fees.payers[from],
            to: fees.payers[to],
            token: fees.token,
            amount: 12_300_000_000_000 + i as u128,
            fee: FEE,
            nonce: nonces[from],
        };
        nonces[from] += 1;
        signed.push(payers[from].sign_transfer(&d, tx).await?.encode());
    }
    let fault_step = trace - 1;
    let fault = Fault::PostRootFrom {
        step: fault_step,
        thief: watcher.address(),
        amount: 5 * DEPOSIT,
    };
    let report = devnet
        .sequencer
        .commit_claiming(signed, Some(fault))
        .await?;
    let step = report.steps.iter().find(|s| s.step == fault_step);
    let fee_transfer = step.is_some_and(|s| {
        s.outcome.is_applied()
            && matches!(s.input, Step::Record(bytes) if matches!(
                Record::decode(&bytes),
                Record::Transfer(t) if t.tx.fee > 0 && fees.header.fee_recipient(t.tx.token).is_some()
            ))
    });
    if !fee_transfer || report.messages as usize + report.records != trace {
        let what = step.map_or_else(
            || {
                format!(
                    "{} messages and {} records",
                    report.messages, report.records
                )
            },
            |s| format!("{} ({})", s.input, s.outcome.name()),
        );
        return Err(DisputeGasError::FaultNotOnFeeTransfer {
            trace,
            step: fault_step,
            what,
        }
        .into());
    }

    let challenger = devnet.challenger(watcher, ChallengerStrategy::Honest);
    let defender = devnet.defender(DefenderStrategy::Honest);
    let mut moves = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let mut round = challenger.tick().await?;
        round.extend(defender.tick().await?);
        if round.is_empty() {
            return Ok(DisputeRun {
                trace,
                messages: report.messages,
                records: report.records,
                fault_step,
                commit_gas: report.sent.gas_used,
                moves,
            });
        }
        moves.extend(round);
    }
    let rounds = MAX_ROUNDS;
    Err(DisputeGasError::GameDidNotEnd { trace, rounds }.into())
}

/// The accounts the disputed transfers use.
struct FeeSetup {
    /// The fee token: the last a full header can name.
    token: TokenId,
    /// Each payer's account in it.
    payers: Vec<AccountIndex>,
    /// The full header, its last entry collecting `token`'s fees.
    header: Header,
}

/// Registers ERC20s until one has token id 15 (the last entry a full header
/// can name, so the one-step's header scan reads all 16), opens an account in
/// it for each payer and the sequencer, commits those deposits (batch 1,
/// honest) and sets a full header whose last entry collects its fees.
async fn full_fee_header(devnet: &mut Devnet, payers: &[User]) -> Result<FeeSetup, ScenarioError> {
    let d = devnet.deployment.clone();
    let deployer = User::new("deployer", devnet.deployer.clone());
    let last = MAX_FEE_TOKENS as u32 - 1;
    let mut token = devnet.token;
    let mut id = deposit_minted(&deployer, &d, token, 1).await?;
    while id < last {
        token = deploy_demo_token(&deployer.l1.provider, "Bulwark Fee Token", "BFT").await?;
        id = deposit_minted(&deployer, &d, token, 1).await?;
    }
    if id != last {
        return Err(ScenarioError::Setup(format!(
            "the fee token got id {id}, not {last}"
        )));
    }
    let sequencer = User::new("sequencer", devnet.sequencer_account().clone());
    for user in payers.iter().chain([&sequencer]) {
        deposit_minted(user, &d, token, BALANCE).await?;
    }
    devnet.sequencer.commit(Vec::new()).await?;

    let state = devnet.sequencer.state();
    let account = |user: &User| {
        state
            .find_account(user.address(), TokenId(last))
            .map(|(index, _)| index)
            .ok_or_else(|| ScenarioError::Setup(format!("{} has no fee-token account", user.name)))
    };
    let fee_to = account(&sequencer)?;
    let payers = payers.iter().map(account).collect::<Result<Vec<_>, _>>()?;
    let header = Header::new((0..=last).map(|t| (TokenId(t), fee_to)).collect())
        .map_err(|e| ScenarioError::Setup(e.to_string()))?;
    devnet.sequencer.set_header(header.clone());
    Ok(FeeSetup {
        token: TokenId(last),
        payers,
        header,
    })
}

/// Mints `amount` of `token` to `user` and deposits it to a new account;
/// returns the token's L2 id.
async fn deposit_minted(
    user: &User,
    d: &bulwark_chain::Deployment,
    token: alloy::primitives::Address,
    amount: u128,
) -> Result<u32, ScenarioError> {
    let erc20 = DemoToken::new(token, &user.l1.provider);
    send(erc20.mint(user.address(), U256::from(amount)), "mint").await?;
    let deposit = user.deposit_erc20(d, token, amount, NEW_ACCOUNT).await?;
    Ok(deposit.message.token)
}

/// The games as a table: one row per trace size.
pub struct DisputeTable<'a>(pub &'a [DisputeRun]);

impl fmt::Display for DisputeTable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:>5} {:>5} {:>7} {:>9} {:>16} {:>16} {:>9} {:>9} {:>10} {:>11}",
            "T",
            "msgs",
            "records",
            "open",
            "reveals (n)",
            "picks (n)",
            "step",
            "resolve",
            "whole",
            "moves c/d"
        )?;
        for run in self.0 {
            let (reveals, picks) = (run.reveals(), run.picks());
            let (challenger, defender) = run.moves_per_side();
            writeln!(
                f,
                "{:>5} {:>5} {:>7} {:>9} {:>12} ({}) {:>12} ({}) {:>9} {:>9} {:>10} {:>5}/{} ≤{}",
                run.trace,
                run.messages,
                run.records,
                grouped(run.open()),
                grouped(reveals.iter().sum()),
                reveals.len(),
                grouped(picks.iter().sum()),
                picks.len(),
                grouped(run.step()),
                grouped(run.resolve()),
                grouped(run.whole()),
                challenger,
                defender,
                moves_bound(run.trace),
            )?;
        }
        write!(
            f,
            "reveals descend {REVEAL_LEVELS} levels; each game lies from its last step, a transfer with a fee"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_bound_follows_protocol_14_3() {
        assert_eq!(moves_bound(16), 2);
        assert_eq!(moves_bound(256), 3);
        assert_eq!(moves_bound(1_024), 4);
    }
}
