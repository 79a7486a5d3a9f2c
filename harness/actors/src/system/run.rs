//! Runs a scenario file through the [`World`]: each action predicted,
//! performed and followed by every invariant check, each `expect` step
//! checked against L1, and a report per step (what happened, the L1 gas it
//! cost) for the transcript.

use alloy::{primitives::U256, providers::Provider};
use bulwark_chain::{
    ChainError,
    bindings::{DemoToken, Rollup},
    derive::rebuild,
    dispute::{self, GameStatus},
};
use bulwark_engine::TokenId;
use serde::Serialize;

use super::{
    World,
    file::{Amount, Expect, Parsed, Planned, Winner},
};

/// The L1 gas a step cost: every transaction mined while it ran, the honest
/// parties' answers and the keeper's finalizations included.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Gas {
    /// Transactions mined.
    pub txs: usize,
    /// Their gas, summed.
    pub total: u64,
    /// The largest one's.
    pub max: u64,
}

/// What one step did.
#[derive(Clone, Debug, Serialize)]
pub struct StepReport {
    /// 1-based step number.
    pub step: usize,
    /// The line of its `[[step]]` header.
    pub line: usize,
    /// The step in words.
    pub what: String,
    /// What happened, one line per event.
    pub transcript: Vec<String>,
    /// The custom errors its calls were refused with (as the model predicted).
    pub refused: Vec<String>,
    /// Its L1 gas (actions only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gas: Option<Gas>,
    /// The expectations checked (expect steps only), each as "what: value".
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checked: Vec<String>,
}

/// A step that failed: a prediction or invariant of the world, or an
/// expectation of the file.
#[derive(Debug, thiserror::Error)]
#[error("step {step} (line {line}, {what}) failed: {reason}")]
pub struct StepFailed {
    /// 1-based step number (0: the reset before the first step).
    pub step: usize,
    /// Its line.
    pub line: usize,
    /// The step in words.
    pub what: String,
    /// Why.
    pub reason: String,
    /// What happened in that step up to the failure.
    pub transcript: Vec<String>,
}

/// Runs `parsed` from the world's starting state, telling `on_step` each
/// step's report as it completes.
pub async fn run(
    world: &mut World,
    parsed: &Parsed,
    mut on_step: impl FnMut(&StepReport),
) -> Result<Vec<StepReport>, Box<StepFailed>> {
    world.reset().await.map_err(|e| {
        Box::new(StepFailed {
            step: 0,
            line: 0,
            what: "reset".into(),
            reason: e.to_string(),
            transcript: Vec::new(),
        })
    })?;
    let mut reports: Vec<StepReport> = Vec::new();
    for (i, (line, planned)) in parsed.plan().enumerate() {
        let what = match planned {
            Planned::Act(action, 1) => action.to_string(),
            Planned::Act(action, times) => format!("{action} (x{times})"),
            Planned::Expect(_) => "expect".to_owned(),
        };
        let failed = |reason: String, transcript: Vec<String>| {
            Box::new(StepFailed {
                step: i + 1,
                line,
                what: what.clone(),
                reason,
                transcript,
            })
        };
        let report = match planned {
            Planned::Act(action, times) => {
                let provider = world.keeper().provider.clone();
                let from = block_number(&provider)
                    .await
                    .map_err(|e| failed(e.to_string(), Vec::new()))?;
                let (mut transcript, mut refused) = (Vec::new(), Vec::new());
                for _ in 0..times {
                    let seen = world.transcript.len();
                    let result = world.apply(action).await;
                    // The first line repeats the step itself.
                    let new = world.transcript.get(seen + 1..).unwrap_or_default();
                    transcript.extend_from_slice(new);
                    result.map_err(|e| failed(e.to_string(), transcript.clone()))?;
                    refused.extend(world.refused.iter().cloned());
                }
                let gas = gas_since(&provider, from)
                    .await
                    .map_err(|e| failed(e.to_string(), transcript.clone()))?;
                StepReport {
                    step: i + 1,
                    line,
                    what,
                    transcript,
                    refused,
                    gas: Some(gas),
                    checked: Vec::new(),
                }
            }
            Planned::Expect(expect) => {
                let checked = check(
                    world,
                    expect,
                    reports.iter().rev().find(|r| r.gas.is_some()),
                )
                .await
                .map_err(|reason| failed(reason, Vec::new()))?;
                StepReport {
                    step: i + 1,
                    line,
                    what,
                    transcript: Vec::new(),
                    refused: Vec::new(),
                    gas: None,
                    checked,
                }
            }
        };
        on_step(&report);
        reports.push(report);
    }
    Ok(reports)
}

async fn block_number<P: Provider>(provider: &P) -> Result<u64, ChainError> {
    provider
        .get_block_number()
        .await
        .map_err(|e| ChainError::rpc("eth_blockNumber", e))
}

/// The gas of every transaction mined after block `from`.
async fn gas_since<P: Provider>(provider: &P, from: u64) -> Result<Gas, ChainError> {
    let to = block_number(provider).await?;
    let mut gas = Gas::default();
    for number in from + 1..=to {
        let block = provider
            .get_block_by_number(number.into())
            .await
            .map_err(|e| ChainError::rpc("eth_getBlockByNumber", e))?
            .ok_or_else(|| ChainError::rpc("eth_getBlockByNumber", format!("no block {number}")))?;
        for hash in block.transactions.hashes() {
            let receipt = provider
                .get_transaction_receipt(hash)
                .await
                .map_err(|e| ChainError::rpc("eth_getTransactionReceipt", e))?
                .ok_or_else(|| {
                    ChainError::rpc(
                        "eth_getTransactionReceipt",
                        format!("no receipt for {hash}"),
                    )
                })?;
            gas.txs += 1;
            gas.total += receipt.gas_used;
            gas.max = gas.max.max(receipt.gas_used);
        }
    }
    Ok(gas)
}

/// Checks `expect` against L1 and the step before; returns what was checked,
/// or the first expectation that failed.
async fn check(
    world: &World,
    expect: &Expect,
    before: Option<&StepReport>,
) -> Result<Vec<String>, String> {
    let chain = |e: ChainError| format!("reading L1: {e}");
    let call =
        |what: &'static str| move |e: alloy::contract::Error| chain(ChainError::contract(what, &e));
    let provider = &world.keeper().provider;
    let d = world.deployment();
    let rollup = Rollup::new(d.rollup, provider);
    let mut checked = Vec::new();
    let mut pass = |what: String, ok: bool, found: String| {
        if ok {
            checked.push(what);
            Ok(())
        } else {
            Err(format!("expected {what}, found {found}"))
        }
    };

    // These are about the action before: without one they would hold vacuously.
    if before.is_none()
        && (expect.reverts.is_some() || expect.gas_below.is_some() || expect.tx_gas_below.is_some())
    {
        return Err(
            "reverts, gas-below and tx-gas-below are about the action before, and there is none"
                .into(),
        );
    }
    if let Some(name) = &expect.reverts {
        let refused = before.map(|b| b.refused.clone()).unwrap_or_default();
        let found = if refused.is_empty() {
            "no refusal".to_owned()
        } else {
            refused.join(", ")
        };
        pass(format!("reverts {name}"), refused.contains(name), found)?;
    }
    let gas = before.and_then(|b| b.gas).unwrap_or_default();
    if let Some(limit) = expect.gas_below {
        pass(
            format!("gas below {limit}"),
            gas.total <= limit,
            format!("{} in {} transactions", gas.total, gas.txs),
        )?;
    }
    if let Some(limit) = expect.tx_gas_below {
        pass(
            format!("every transaction's gas below {limit}"),
            gas.max <= limit,
            format!("one of {}", gas.max),
        )?;
    }
    if let Some(winner) = expect.winner {
        let games = dispute::games(provider, d.dispute).await.map_err(chain)?;
        let newest = games.iter().max_by_key(|g| g.id);
        let status = newest.map(|g| g.status);
        let wanted = match winner {
            Winner::Challenger => GameStatus::ChallengerWon,
            Winner::Defender => GameStatus::DefenderWon,
        };
        let found = newest.map_or("no game".to_owned(), |g| {
            format!("game {} {:?}", g.id, g.status)
        });
        pass(
            format!("winner {}", name(&winner)),
            status == Some(wanted),
            found,
        )?;
    }
    let tip = rollup.tip().call().await.map_err(call("tip"))?;
    if let Some(want) = expect.tip {
        pass(format!("tip {want}"), tip == want, tip.to_string())?;
    }
    if let Some(want) = expect.last_final {
        let last = rollup
            .lastFinalized()
            .call()
            .await
            .map_err(call("lastFinalized"))?;
        pass(format!("last-final {want}"), last == want, last.to_string())?;
    }
    if let Some(want) = expect.frozen {
        let frozen = rollup.frozen().call().await.map_err(call("frozen"))?;
        pass(format!("frozen {want}"), frozen == want, frozen.to_string())?;
    }
    if let Some(want) = expect.paused {
        let until = rollup
            .pausedUntil()
            .call()
            .await
            .map_err(call("pausedUntil"))?;
        let now = dispute::l1_time(provider).await.map_err(chain)?;
        let paused = now < until;
        pass(
            format!("paused {want}"),
            paused == want,
            format!("{paused} (paused until {until}, now {now})"),
        )?;
    }
    if expect.l2_eth.is_some() || expect.l2_bdt.is_some() {
        let state = rebuild(provider, d, tip).await.map_err(chain)?.state;
        for (token, balances) in [(0u32, &expect.l2_eth), (1, &expect.l2_bdt)] {
            let Some(balances) = balances else { continue };
            for (user, want) in balances.named() {
                let owner = world.user(user.id()).address();
                let held: u128 = state
                    .accounts_owned_by(owner)
                    .filter(|(_, leaf)| leaf.token == TokenId(token))
                    .map(|(_, leaf)| leaf.balance)
                    .sum();
                let label = format!("l2-{} {} {want}", token_name(token), name(&user));
                pass(label, held == want.wei, units(held))?;
            }
        }
    }
    let erc20 = DemoToken::new(world.devnet().token, provider);
    if let Some(balances) = &expect.l1_bdt {
        for (user, want) in balances.named() {
            let owner = world.user(user.id()).address();
            let held = erc20
                .balanceOf(owner)
                .call()
                .await
                .map_err(call("balanceOf"))?;
            let label = format!("l1-bdt {} {want}", name(&user));
            pass(label, held == U256::from(want.wei), units_u256(held))?;
        }
    }
    let bridge = |token: u32, want: &Amount| (token, want.clone());
    for (token, want) in [
        expect.bridge_eth.as_ref().map(|w| bridge(0, w)),
        expect.bridge_bdt.as_ref().map(|w| bridge(1, w)),
    ]
    .into_iter()
    .flatten()
    {
        let held = if token == 0 {
            provider
                .get_balance(d.bridge)
                .await
                .map_err(|e| chain(ChainError::rpc("eth_getBalance", e)))?
        } else {
            erc20
                .balanceOf(d.bridge)
                .call()
                .await
                .map_err(call("balanceOf"))?
        };
        let label = format!("bridge-{} {want}", token_name(token));
        pass(label, held == U256::from(want.wei), units_u256(held))?;
    }
    Ok(checked)
}

/// A value's name as the file spells it.
fn name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn token_name(token: u32) -> &'static str {
    if token == 0 { "eth" } else { "bdt" }
}

fn units(wei: u128) -> String {
    Amount { wei }.to_string()
}

fn units_u256(wei: U256) -> String {
    u128::try_from(wei).map_or_else(|_| format!("{wei} wei"), units)
}
