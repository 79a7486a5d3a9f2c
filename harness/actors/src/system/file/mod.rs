//! Scenario files (docs/SCENARIOS.md): a TOML document naming the actors
//! and the steps of a history, with expectations between them. Every step
//! but `expect` is one [`Action`], so a history the property tests shrink
//! writes out as a scenario file and a scenario file runs through the same
//! [`World`](super::World), every outcome predicted and every invariant
//! checked.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::action::{
    Action, Censor, Defense, Flaw, Lie, Play, Target, Token, UNIT, USERS, UserId, Wait,
};

mod convert;
mod locate;
#[cfg(test)]
mod tests;

use locate::{end_of_step, key_line, locate, step_lines};

/// Every actor a scenario may name: the three users, then the parties the
/// system always runs.
pub const ACTORS: [&str; 8] = [
    "alice",
    "bob",
    "carol",
    "sequencer",
    "watcher",
    "mallory",
    "guardian",
    "keeper",
];

/// The most times one step may repeat.
pub const MAX_REPEAT: u16 = 64;

/// A scenario file as written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A short name (the transcript's title).
    pub name: String,
    /// What the scenario shows, in prose.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The actors it involves; every user a step names must be listed.
    pub actors: Vec<String>,
    /// The steps, in order.
    #[serde(rename = "step")]
    pub steps: Vec<Step>,
}

/// An L2 user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum User {
    Alice,
    Bob,
    Carol,
}

/// A token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenName {
    #[default]
    Eth,
    Bdt,
}

/// Where a deposit goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DepositTo {
    /// A new account.
    New,
    /// The depositor's own account in that token.
    #[default]
    Own,
    /// An index past every account (the STF opens a new one instead).
    Missing,
    /// An account of the other token (the STF opens a new one instead).
    WrongToken,
    Alice,
    Bob,
    Carol,
}

/// How a signed transaction is broken, if at all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlawName {
    #[default]
    None,
    StaleNonce,
    WrongSigner,
    Overdraft,
    Malformed,
}

/// Whose account a forced withdrawal names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Whose {
    #[default]
    Own,
    Another,
}

/// How a faulty commit lies (PROTOCOL §14).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LieKind {
    /// Post-roots from `step` on are wrong; the state root steals.
    FromStep,
    /// The trace is honest; the state root steals.
    StateRoot,
    /// The state root is honest; the post-root of `step` is wrong.
    TraceStep,
    /// Every post-root is garbage; the state root steals.
    Garbage,
}

/// How the lying sequencer defends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DefenseKind {
    Claims,
    BadFold,
    Stall,
}

/// How mallory plays a game she opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlayKind {
    Honest,
    FirstChild,
    Stall,
    Toward,
}

/// What time passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Span {
    Minute,
    Clock,
    Deadline,
    Window,
}

/// Whom the sequencer ignores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Whom {
    Nobody,
    All,
    Alice,
    Bob,
    Carol,
}

/// Which side won a game.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Winner {
    Challenger,
    Defender,
}

/// A balance per user, in units (0.001 of a token).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Balances {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alice: Option<Amount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bob: Option<Amount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carol: Option<Amount>,
}

impl Balances {
    /// The users named, with their amounts.
    pub fn named(&self) -> impl Iterator<Item = (User, &Amount)> {
        [
            (User::Alice, &self.alice),
            (User::Bob, &self.bob),
            (User::Carol, &self.carol),
        ]
        .into_iter()
        .filter_map(|(u, a)| Some((u, a.as_ref()?)))
    }
}

/// What must hold after the step before it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Expect {
    /// The step before was refused on L1 with this custom error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reverts: Option<String>,
    /// The L1 gas of every transaction the step before caused (the honest
    /// parties' answers included), summed, is at most this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gas_below: Option<u64>,
    /// No single transaction of the step before used more gas than this
    /// (at most this).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx_gas_below: Option<u64>,
    /// The newest game was won by this side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub winner: Option<Winner>,
    /// The Rollup's tip.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tip: Option<u64>,
    /// The Rollup's last final batch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_final: Option<u64>,
    /// Whether the Rollup is frozen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frozen: Option<bool>,
    /// Whether the guardian's pause is in force.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused: Option<bool>,
    /// L2 ETH per user at the Rollup's tip, derived from L1 (all the user's
    /// ETH accounts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub l2_eth: Option<Balances>,
    /// L2 BDT per user at the Rollup's tip, derived from L1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub l2_bdt: Option<Balances>,
    /// BDT per user's L1 address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub l1_bdt: Option<Balances>,
    /// ETH the Bridge holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bridge_eth: Option<Amount>,
    /// BDT the Bridge holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bridge_bdt: Option<Amount>,
}

/// One step: an action, or expectations about the state after the step before.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Step {
    /// A user deposits on L1.
    Deposit {
        user: User,
        #[serde(default)]
        token: TokenName,
        units: u16,
        #[serde(default)]
        to: DepositTo,
        #[serde(default = "once", skip_serializing_if = "is_once")]
        repeat: u16,
    },
    /// A user signs an L2 transfer (carried by the next commit).
    Transfer {
        from: User,
        to: User,
        #[serde(default)]
        token: TokenName,
        units: u16,
        #[serde(default, skip_serializing_if = "is_false")]
        fee: bool,
        #[serde(default, skip_serializing_if = "is_none_flaw")]
        flaw: FlawName,
        #[serde(default = "once", skip_serializing_if = "is_once")]
        repeat: u16,
    },
    /// A user signs an L2 withdrawal to its own L1 address.
    Withdraw {
        user: User,
        #[serde(default)]
        token: TokenName,
        units: u16,
        #[serde(default, skip_serializing_if = "is_false")]
        fee: bool,
        #[serde(default, skip_serializing_if = "is_none_flaw")]
        flaw: FlawName,
        #[serde(default = "once", skip_serializing_if = "is_once")]
        repeat: u16,
    },
    /// A user queues a forced withdrawal on L1.
    ForceWithdrawal {
        user: User,
        #[serde(default)]
        token: TokenName,
        units: u16,
        #[serde(default)]
        from: Whose,
        #[serde(default = "once", skip_serializing_if = "is_once")]
        repeat: u16,
    },
    /// The sequencer commits the truth.
    Commit {},
    /// The sequencer commits a lie and defends it so.
    CommitLie {
        lie: LieKind,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<u8>,
        defense: DefenseKind,
    },
    /// Mallory opens a game on a pending batch (0: the oldest not final,
    /// wrapping) and plays it so.
    Challenge {
        pending: u8,
        play: PlayKind,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<u8>,
    },
    /// The dishonest parties make the moves due now, once.
    Play {},
    /// The dishonest parties move, then timeouts are claimed where due.
    Timeout {},
    /// L1 time passes.
    Wait { past: Span },
    /// Someone tries to finalize the next batch, due or not.
    Finalize {},
    /// The keeper pays every final, unpaid withdrawal.
    Payout {},
    /// The sequencer starts or stops censoring.
    Censor { whom: Whom },
    /// The guardian pauses.
    Pause {},
    /// The guardian ends its pause.
    Unpause {},
    /// The guardian names the other sequencer.
    Rotate {},
    /// The keeper freezes the rollup if a message is overdue.
    Freeze {},
    /// After a freeze, the keeper pays a user's exits, withdrawals and refunds.
    Escape { user: User },
    /// Expectations about the state after the step before.
    Expect(Box<Expect>),
}

fn once() -> u16 {
    1
}

fn is_once(n: &u16) -> bool {
    *n == 1
}

fn is_false(b: &bool) -> bool {
    !b
}

fn is_none_flaw(f: &FlawName) -> bool {
    *f == FlawName::None
}

/// An amount in units (0.001 of a token): an integer, or a decimal string
/// (`"1999.9"`) down to the wei.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Amount {
    /// In wei.
    pub wei: u128,
}

impl Amount {
    /// Parses a decimal number of units.
    pub fn parse_units(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not a number of units (digits, at most 15 decimals)");
        let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
        if whole.is_empty()
            || (text.contains('.') && frac.is_empty())
            || frac.len() > 15
            || !whole
                .bytes()
                .chain(frac.bytes())
                .all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let frac_wei: u128 = if frac.is_empty() {
            0
        } else {
            frac.parse::<u128>().map_err(|_| bad())? * 10u128.pow(15 - frac.len() as u32)
        };
        whole
            .parse::<u128>()
            .ok()
            .and_then(|w| w.checked_mul(UNIT))
            .and_then(|w| w.checked_add(frac_wei))
            .map(|wei| Self { wei })
            .ok_or_else(bad)
    }
}

impl std::fmt::Display for Amount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (whole, frac) = (self.wei / UNIT, self.wei % UNIT);
        if frac == 0 {
            write!(f, "{whole}")
        } else {
            let frac = format!("{frac:015}");
            write!(f, "{whole}.{}", frac.trim_end_matches('0'))
        }
    }
}

impl Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match u64::try_from(self.wei / UNIT) {
            Ok(units) if self.wei.is_multiple_of(UNIT) => s.serialize_u64(units),
            _ => s.serialize_str(&self.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Amount;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number of units: an integer or a decimal string such as \"1.5\"")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Amount, E> {
                Ok(Amount {
                    wei: u128::from(v) * UNIT,
                })
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Amount, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom(format!("{v} is negative")))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Amount, E> {
                Amount::parse_units(v).map_err(E::custom)
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// A scenario file that cannot be read: the line and field it is about.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}{}: {reason}", field.as_ref().map(|f| format!(", field `{f}`")).unwrap_or_default())]
pub struct FileError {
    /// 1-based line in the file.
    pub line: usize,
    /// The field, when one is to blame.
    pub field: Option<String>,
    /// What is wrong.
    pub reason: String,
}

/// A scenario read from a file: its steps as actions or expectations, each
/// with the line it starts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    /// The file as written.
    pub scenario: Scenario,
    /// The line each step's `[[step]]` header is on.
    pub lines: Vec<usize>,
}

/// A step as it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Planned<'a> {
    /// An action of the world, run this many times in a row.
    Act(Action, u16),
    /// Expectations about the state after the step before.
    Expect(&'a Expect),
}

impl Parsed {
    /// The steps as they run, each with its line.
    pub fn plan(&self) -> impl Iterator<Item = (usize, Planned<'_>)> {
        self.scenario
            .steps
            .iter()
            .zip(&self.lines)
            .map(|(step, &line)| match step.action() {
                Ok(action) => (line, Planned::Act(action, step.repeat())),
                Err(expect) => (line, Planned::Expect(expect)),
            })
    }
}

/// Reads a scenario file. Errors name the line and, where one is to blame,
/// the field.
pub fn parse(text: &str) -> Result<Parsed, FileError> {
    let scenario: Scenario = toml::from_str(text).map_err(|e| locate(text, &e))?;
    let lines = step_lines(text);
    if lines.len() != scenario.steps.len() {
        return Err(FileError {
            line: 1,
            field: Some("step".into()),
            reason: "steps must be written as [[step]] tables, one per step".into(),
        });
    }
    let known: BTreeSet<&str> = ACTORS.into_iter().collect();
    let actors_line = key_line(text, 0, text.len(), "actors").unwrap_or(1);
    for actor in &scenario.actors {
        if !known.contains(actor.as_str()) {
            return Err(FileError {
                line: actors_line,
                field: Some("actors".into()),
                reason: format!("unknown actor {actor:?} (one of {})", ACTORS.join(", ")),
            });
        }
    }
    for (i, (step, &line)) in scenario.steps.iter().zip(&lines).enumerate() {
        let error = |field: &str, reason: String| FileError {
            line: key_line(text, line, end_of_step(&lines, i, text), field).unwrap_or(line),
            field: Some(field.into()),
            reason,
        };
        if !(1..=MAX_REPEAT).contains(&step.repeat()) {
            return Err(error(
                "repeat",
                format!("repeat must be 1 to {MAX_REPEAT}, not {}", step.repeat()),
            ));
        }
        match step {
            Step::CommitLie {
                lie: LieKind::FromStep | LieKind::TraceStep,
                step: None,
                ..
            } => return Err(error("step", "this lie needs the step it starts at".into())),
            Step::CommitLie {
                lie: LieKind::StateRoot | LieKind::Garbage,
                step: Some(_),
                ..
            } => {
                return Err(error(
                    "step",
                    "only from-step and trace-step take a step".into(),
                ));
            }
            Step::Challenge {
                play: PlayKind::Toward,
                step: None,
                ..
            } => return Err(error("step", "play toward needs the step to aim at".into())),
            Step::Challenge {
                play: PlayKind::Honest | PlayKind::FirstChild | PlayKind::Stall,
                step: Some(_),
                ..
            } => return Err(error("step", "only play toward takes a step".into())),
            _ => {}
        }
        for user in step.users() {
            let name = USERS[usize::from(user)];
            if !scenario.actors.iter().any(|a| a == name) {
                return Err(FileError {
                    line,
                    field: None,
                    reason: format!("step {} names {name}, who is not in `actors`", i + 1),
                });
            }
        }
    }
    Ok(Parsed { scenario, lines })
}

/// Writes `history` as a scenario file, `comment` as its leading comment.
pub fn write(name: &str, comment: &str, history: &[Action]) -> String {
    let steps: Vec<Step> = history.iter().map(|&a| Step::from(a)).collect();
    let mut users: Vec<UserId> = steps.iter().flat_map(Step::users).collect();
    users.sort_unstable();
    users.dedup();
    let scenario = Scenario {
        name: name.into(),
        description: String::new(),
        actors: users
            .iter()
            .map(|&u| USERS[usize::from(u)].into())
            .collect(),
        steps,
    };
    let mut out = String::new();
    for line in comment.lines() {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&toml::to_string(&scenario).expect("a scenario always serializes"));
    out
}
