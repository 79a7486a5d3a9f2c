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

/// "batch 2 is", "batches 2–3 are": a run of batches in a sentence.
fn batch_span(first: u64, last: u64) -> String {
    if first == last {
        format!("batch {first} is")
    } else {
        format!("batches {first}–{last} are")
    }
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
    /// L1 time moved forward, to the point named.
    Waited { seconds: u64, until: String },
    /// A user queued a forced withdrawal on L1 (PROTOCOL §16): the tip must
    /// consume it by `queued_at + deadline`, or anyone may freeze the rollup.
    ForcedWithdrawal {
        user: String,
        account: u64,
        symbol: String,
        amount: u128,
        message: u64,
        queued_at: u64,
        deadline: u64,
        gas: u64,
    },
    /// The guardian paused commits and deposits (PROTOCOL §17).
    Paused {
        guardian: Address,
        threshold: u64,
        owners: usize,
        until: u64,
        next_pause_at: u64,
        gas: u64,
    },
    /// An action was refused on L1, with the error it reverted with.
    Refused {
        who: String,
        action: String,
        error: String,
    },
    /// Where a queued message stands against its deadline, as of L1 time `now`.
    Deadline {
        message: u64,
        what: String,
        due_at: u64,
        now: u64,
    },
    /// A batch consumed a message before its deadline.
    DeadlineMet {
        batch: u64,
        message: u64,
        what: String,
        consumed_at: u64,
        due_at: u64,
    },
    /// The rollup froze: the tip fell back to the pinned batch, the last final one.
    Frozen {
        by: String,
        message: u64,
        overdue_by: u64,
        pinned: u64,
        dropped_tip: u64,
        gas: u64,
    },
    /// An account leaf of the pinned batch's state was paid out on L1.
    Exited {
        user: String,
        account: u32,
        symbol: String,
        amount: u128,
        l1_change: String,
        gas: u64,
    },
    /// A withdrawal leaf of the pinned state was paid after the freeze.
    EscapeWithdrawal {
        user: String,
        index: u32,
        symbol: String,
        amount: u128,
        l1_change: String,
        gas: u64,
    },
    /// A deposit the pinned batch never consumed went back to its L1 sender.
    Refunded {
        user: String,
        message: u64,
        symbol: String,
        amount: u128,
        l1_change: String,
        gas: u64,
    },
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
            Self::Waited { seconds, until } => {
                write!(f, "L1 time moves forward {seconds} s ({until})")
            }
            Self::ForcedWithdrawal {
                user,
                account,
                symbol,
                amount,
                message,
                queued_at,
                deadline,
                gas,
            } => write!(
                f,
                "{user} forces a withdrawal of {} {symbol} from account #{account} on L1: message #{message}, \
                 queued at L1 time {queued_at}; the tip must consume it within the {deadline} s deadline, by {} ({gas} gas)",
                units(*amount),
                queued_at + deadline
            ),
            Self::Paused {
                guardian,
                threshold,
                owners,
                until,
                next_pause_at,
                gas,
            } => write!(
                f,
                "the guardian (Safe {guardian}, {threshold} of its {owners} owners sign) pauses commits and deposits until L1 time {until}; \
                 no new pause before {next_pause_at} ({gas} gas)"
            ),
            Self::Refused { who, action, error } => {
                write!(f, "{who}: {action} is refused with {error}")
            }
            Self::Deadline {
                message,
                what,
                due_at,
                now,
            } => {
                if now > due_at {
                    write!(
                        f,
                        "message #{message} ({what}) is not consumed by the tip: its deadline {due_at} passed {} s ago",
                        now - due_at
                    )
                } else {
                    write!(
                        f,
                        "message #{message} ({what}) is the oldest the tip has not consumed: due at L1 time {due_at}, {} s left",
                        due_at - now
                    )
                }
            }
            Self::DeadlineMet {
                batch,
                message,
                what,
                consumed_at,
                due_at,
            } => write!(
                f,
                "batch {batch} consumes message #{message} ({what}) at L1 time {consumed_at}: {} s before its deadline {due_at}",
                due_at.saturating_sub(*consumed_at)
            ),
            Self::Frozen {
                by,
                message,
                overdue_by,
                pinned,
                dropped_tip,
                gas,
            } => {
                write!(
                    f,
                    "{by} freezes the rollup with message #{message}, overdue by {overdue_by} s: the pinned batch is {pinned} \
                     (the last final one)"
                )?;
                if dropped_tip > pinned {
                    write!(
                        f,
                        ", pending {} dropped",
                        batch_span(pinned + 1, *dropped_tip)
                    )?;
                }
                write!(f, " ({gas} gas)")
            }
            Self::Exited {
                user,
                account,
                symbol,
                amount,
                l1_change,
                gas,
            } => write!(
                f,
                "exit of account #{account}: {user}'s {} {symbol} in the pinned batch paid on L1 \
                 ({user}'s L1 balance {l1_change} {symbol}; {gas} gas)",
                units(*amount)
            ),
            Self::EscapeWithdrawal {
                user,
                index,
                symbol,
                amount,
                l1_change,
                gas,
            } => write!(
                f,
                "withdrawal #{index} of the pinned batch: {} {symbol} to {user}, proven against the pinned batch and paid \
                 ({user}'s L1 balance {l1_change} {symbol}; {gas} gas)",
                units(*amount)
            ),
            Self::Refunded {
                user,
                message,
                symbol,
                amount,
                l1_change,
                gas,
            } => write!(
                f,
                "refund of message #{message}: {user}'s deposit of {} {symbol}, never consumed by the pinned batch, \
                 goes back ({user}'s L1 balance {l1_change} {symbol}; {gas} gas)",
                units(*amount)
            ),
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
