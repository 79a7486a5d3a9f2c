//! The transcript of a scenario: every event an actor caused, in order, each
//! with a `Display` that reads as a sentence. The CLI prints it as it goes,
//! tests assert on it, and a later replay renders the same words.

use std::fmt;

use alloy::primitives::{Address, B256, U256};

/// Formats a wei or token base-unit amount with 18 decimals, trimmed.
pub fn units(amount: u128) -> String {
    let whole = amount / 10u128.pow(18);
    let frac = amount % 10u128.pow(18);
    if frac == 0 {
        return whole.to_string();
    }
    let frac = format!("{frac:018}");
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

/// Formats a signed L1 balance change.
pub fn signed_units(before: U256, after: U256) -> String {
    if after >= before {
        format!(
            "+{}",
            units(u128::try_from(after - before).unwrap_or(u128::MAX))
        )
    } else {
        format!(
            "-{}",
            units(u128::try_from(before - after).unwrap_or(u128::MAX))
        )
    }
}

fn short(h: &B256) -> String {
    let s = h.to_string();
    format!("{}…{}", &s[..10], &s[s.len() - 4..])
}

/// One thing that happened.
#[derive(Clone, Debug)]
pub enum Event {
    /// A section heading.
    Stage(String),
    /// The contracts are live.
    Deployed {
        l1: String,
        rollup: Address,
        bridge: Address,
        chain_id: u64,
        window: u64,
        stake: u128,
    },
    /// A deposit was queued on L1.
    Deposited {
        user: String,
        symbol: String,
        amount: u128,
        target: String,
        message: u64,
        gas: u64,
    },
    /// A user signed an L2 transaction (or an adversary crafted a record).
    Submitted { user: String, what: String },
    /// One step of a committed batch and what the STF did with it.
    Step {
        batch: u64,
        step: usize,
        what: String,
        outcome: String,
    },
    /// A batch was committed.
    Committed {
        batch: u64,
        messages: u64,
        records: usize,
        applied: usize,
        skipped: usize,
        calldata: usize,
        gas: u64,
        state_root: B256,
    },
    /// L1 time moved forward.
    TimeTravel { seconds: u64 },
    /// A batch became final.
    Finalized { batch: u64, gas: u64 },
    /// The L2 state was rebuilt from L1 data alone.
    Rebuilt {
        batches: usize,
        messages: usize,
        root: B256,
        matches_sequencer: bool,
    },
    /// A withdrawal was paid on L1.
    WithdrawalPaid {
        user: String,
        index: u32,
        symbol: String,
        amount: u128,
        l1_change: String,
        gas: u64,
    },
    /// A second payout of a withdrawal was refused, as it must be.
    DoublePayoutRefused { index: u32, reason: String },
    /// The sequencer took its stake back.
    StakeWithdrawn { amount: U256, gas: u64 },
    /// A check the scenario makes, and whether it held.
    Check { what: String, ok: bool },
    /// A free-form line of a table.
    Line(String),
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stage(title) => write!(f, "\n== {title} =="),
            Self::Deployed {
                l1,
                rollup,
                bridge,
                chain_id,
                window,
                stake,
            } => write!(
                f,
                "deployed on {l1} (chain {chain_id}): Rollup {rollup}, Bridge {bridge}; window {window} s, sequencer stake {} ETH",
                units(*stake)
            ),
            Self::Deposited {
                user,
                symbol,
                amount,
                target,
                message,
                gas,
            } => {
                write!(
                    f,
                    "{user} deposits {} {symbol} to {target}: L1 message #{message} ({gas} gas)",
                    units(*amount)
                )
            }
            Self::Submitted { user, what } => write!(f, "{user} submits {what}"),
            Self::Step {
                batch,
                step,
                what,
                outcome,
            } => write!(f, "  batch {batch} step {step:>3}: {what} -> {outcome}"),
            Self::Committed {
                batch,
                messages,
                records,
                applied,
                skipped,
                calldata,
                gas,
                state_root,
            } => write!(
                f,
                "sequencer commits batch {batch}: {messages} L1 messages + {records} records ({applied} applied, {skipped} skipped), \
                 {calldata} bytes of calldata, {gas} gas, state root {}",
                short(state_root)
            ),
            Self::TimeTravel { seconds } => write!(
                f,
                "L1 time moves forward {seconds} s (past the challenge window)"
            ),
            Self::Finalized { batch, gas } => write!(f, "batch {batch} is final ({gas} gas)"),
            Self::Rebuilt {
                batches,
                messages,
                root,
                matches_sequencer,
            } => write!(
                f,
                "state rebuilt from L1 alone ({messages} messages, {batches} batches): root {} {}",
                short(root),
                if *matches_sequencer {
                    "= sequencer's state"
                } else {
                    "DIFFERS from the sequencer's state"
                }
            ),
            Self::WithdrawalPaid {
                user,
                index,
                symbol,
                amount,
                l1_change,
                gas,
            } => write!(
                f,
                "{user} finalizes withdrawal #{index}: {} {symbol} paid on L1 (L1 balance {l1_change} {symbol} after {gas} gas)",
                units(*amount)
            ),
            Self::DoublePayoutRefused { index, reason } => {
                write!(
                    f,
                    "a second payout of withdrawal #{index} is refused: {reason}"
                )
            }
            Self::StakeWithdrawn { amount, gas } => {
                write!(
                    f,
                    "sequencer unstakes and withdraws its stake: {} ETH ({gas} gas)",
                    units(u128::try_from(*amount).unwrap_or(u128::MAX))
                )
            }
            Self::Check { what, ok } => write!(f, "[{}] {what}", if *ok { "ok" } else { "FAILED" }),
            Self::Line(line) => f.write_str(line),
        }
    }
}

/// The events of one run, optionally echoed as they happen.
#[derive(Default)]
pub struct Transcript {
    events: Vec<Event>,
    echo: bool,
}

impl Transcript {
    /// A transcript that prints each event as it is recorded.
    pub fn printing() -> Self {
        Self {
            events: Vec::new(),
            echo: true,
        }
    }

    /// A silent transcript (tests).
    pub fn silent() -> Self {
        Self::default()
    }

    /// Records an event.
    pub fn push(&mut self, event: Event) {
        if self.echo {
            println!("{event}");
        }
        self.events.push(event);
    }

    /// Everything recorded so far.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The checks that failed.
    pub fn failed_checks(&self) -> Vec<&str> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Check { what, ok: false } => Some(what.as_str()),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_trims_trailing_zeros() {
        assert_eq!(units(1_500_000_000_000_000_000), "1.5");
        assert_eq!(units(2 * 10u128.pow(18)), "2");
        assert_eq!(units(1), "0.000000000000000001");
    }

    #[test]
    fn signed_units_shows_direction() {
        assert_eq!(
            signed_units(U256::from(10u128.pow(18)), U256::from(3 * 10u128.pow(18))),
            "+2"
        );
        assert_eq!(
            signed_units(U256::from(3 * 10u128.pow(18)), U256::from(10u128.pow(18))),
            "-2"
        );
    }

    #[test]
    fn failed_checks_are_listed() {
        let mut t = Transcript::silent();
        t.push(Event::Check {
            what: "a".into(),
            ok: true,
        });
        t.push(Event::Check {
            what: "b".into(),
            ok: false,
        });
        assert_eq!(t.failed_checks(), vec!["b"]);
    }
}
