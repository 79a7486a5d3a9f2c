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

impl Step {
    /// The action this step runs, or its expectations.
    pub fn action(&self) -> Result<Action, &Expect> {
        Ok(match *self {
            Self::Deposit {
                user,
                token,
                units,
                to,
                ..
            } => Action::Deposit {
                user: user.id(),
                token: token.into(),
                units,
                target: match to {
                    DepositTo::New => Target::New,
                    DepositTo::Own => Target::Own,
                    DepositTo::Missing => Target::Missing,
                    DepositTo::WrongToken => Target::WrongToken,
                    DepositTo::Alice => Target::Other(User::Alice.id()),
                    DepositTo::Bob => Target::Other(User::Bob.id()),
                    DepositTo::Carol => Target::Other(User::Carol.id()),
                },
            },
            Self::Transfer {
                from,
                to,
                token,
                units,
                fee,
                flaw,
                ..
            } => Action::Transfer {
                from: from.id(),
                to: to.id(),
                token: token.into(),
                units,
                fee,
                flaw: flaw.into(),
            },
            Self::Withdraw {
                user,
                token,
                units,
                fee,
                flaw,
                ..
            } => Action::Withdraw {
                user: user.id(),
                token: token.into(),
                units,
                fee,
                flaw: flaw.into(),
            },
            Self::ForceWithdrawal {
                user,
                token,
                units,
                from,
                ..
            } => Action::ForceWithdrawal {
                user: user.id(),
                token: token.into(),
                units,
                own: from == Whose::Own,
            },
            Self::Commit {} => Action::Commit,
            Self::CommitLie { lie, step, defense } => Action::CommitLie {
                lie: match lie {
                    LieKind::FromStep => Lie::From(step.unwrap_or(0)),
                    LieKind::StateRoot => Lie::StateRootOnly,
                    LieKind::TraceStep => Lie::TraceOnly(step.unwrap_or(0)),
                    LieKind::Garbage => Lie::Garbage,
                },
                defense: match defense {
                    DefenseKind::Claims => Defense::Claims,
                    DefenseKind::BadFold => Defense::BadFold,
                    DefenseKind::Stall => Defense::Stall,
                },
            },
            Self::Challenge {
                pending,
                play,
                step,
            } => Action::Challenge {
                batch: pending,
                play: match play {
                    PlayKind::Honest => Play::Honest,
                    PlayKind::FirstChild => Play::FirstChild,
                    PlayKind::Stall => Play::Stall,
                    PlayKind::Toward => Play::Toward(step.unwrap_or(0)),
                },
            },
            Self::Play {} => Action::Play,
            Self::Timeout {} => Action::Timeout,
            Self::Wait { past } => Action::Wait(match past {
                Span::Minute => Wait::Minute,
                Span::Clock => Wait::Clock,
                Span::Deadline => Wait::Deadline,
                Span::Window => Wait::Window,
            }),
            Self::Finalize {} => Action::Finalize,
            Self::Payout {} => Action::Payout,
            Self::Censor { whom } => Action::Censor(match whom {
                Whom::Nobody => Censor::Nobody,
                Whom::All => Censor::All,
                Whom::Alice => Censor::User(User::Alice.id()),
                Whom::Bob => Censor::User(User::Bob.id()),
                Whom::Carol => Censor::User(User::Carol.id()),
            }),
            Self::Pause {} => Action::Pause,
            Self::Unpause {} => Action::Unpause,
            Self::Rotate {} => Action::Rotate,
            Self::Freeze {} => Action::Freeze,
            Self::Escape { user } => Action::Escape { user: user.id() },
            Self::Expect(ref expect) => return Err(expect),
        })
    }

    /// How many times in a row the step runs.
    pub fn repeat(&self) -> u16 {
        match *self {
            Self::Deposit { repeat, .. }
            | Self::Transfer { repeat, .. }
            | Self::Withdraw { repeat, .. }
            | Self::ForceWithdrawal { repeat, .. } => repeat,
            _ => 1,
        }
    }

    /// The users this step names.
    fn users(&self) -> Vec<UserId> {
        let users: Vec<User> = match *self {
            Self::Deposit { user, to, .. } => match to {
                DepositTo::Alice => vec![user, User::Alice],
                DepositTo::Bob => vec![user, User::Bob],
                DepositTo::Carol => vec![user, User::Carol],
                _ => vec![user],
            },
            Self::Transfer { from, to, .. } => vec![from, to],
            Self::Withdraw { user, .. }
            | Self::ForceWithdrawal { user, .. }
            | Self::Escape { user } => vec![user],
            Self::Censor { whom: Whom::Alice } => vec![User::Alice],
            Self::Censor { whom: Whom::Bob } => vec![User::Bob],
            Self::Censor { whom: Whom::Carol } => vec![User::Carol],
            _ => Vec::new(),
        };
        users.into_iter().map(User::id).collect()
    }
}

impl From<Action> for Step {
    fn from(action: Action) -> Self {
        match action {
            Action::Deposit {
                user,
                token,
                units,
                target,
            } => Self::Deposit {
                user: User::of(user),
                token: token.into(),
                units,
                to: match target {
                    Target::New => DepositTo::New,
                    Target::Own => DepositTo::Own,
                    Target::Missing => DepositTo::Missing,
                    Target::WrongToken => DepositTo::WrongToken,
                    Target::Other(u) => match User::of(u) {
                        User::Alice => DepositTo::Alice,
                        User::Bob => DepositTo::Bob,
                        User::Carol => DepositTo::Carol,
                    },
                },
                repeat: 1,
            },
            Action::Transfer {
                from,
                to,
                token,
                units,
                fee,
                flaw,
            } => Self::Transfer {
                from: User::of(from),
                to: User::of(to),
                token: token.into(),
                units,
                fee,
                flaw: flaw.into(),
                repeat: 1,
            },
            Action::Withdraw {
                user,
                token,
                units,
                fee,
                flaw,
            } => Self::Withdraw {
                user: User::of(user),
                token: token.into(),
                units,
                fee,
                flaw: flaw.into(),
                repeat: 1,
            },
            Action::ForceWithdrawal {
                user,
                token,
                units,
                own,
            } => Self::ForceWithdrawal {
                user: User::of(user),
                token: token.into(),
                units,
                from: if own { Whose::Own } else { Whose::Another },
                repeat: 1,
            },
            Action::Commit => Self::Commit {},
            Action::CommitLie { lie, defense } => {
                let (lie, step) = match lie {
                    Lie::From(s) => (LieKind::FromStep, Some(s)),
                    Lie::StateRootOnly => (LieKind::StateRoot, None),
                    Lie::TraceOnly(s) => (LieKind::TraceStep, Some(s)),
                    Lie::Garbage => (LieKind::Garbage, None),
                };
                let defense = match defense {
                    Defense::Claims => DefenseKind::Claims,
                    Defense::BadFold => DefenseKind::BadFold,
                    Defense::Stall => DefenseKind::Stall,
                };
                Self::CommitLie { lie, step, defense }
            }
            Action::Challenge { batch, play } => {
                let (play, step) = match play {
                    Play::Honest => (PlayKind::Honest, None),
                    Play::FirstChild => (PlayKind::FirstChild, None),
                    Play::Stall => (PlayKind::Stall, None),
                    Play::Toward(s) => (PlayKind::Toward, Some(s)),
                };
                Self::Challenge {
                    pending: batch,
                    play,
                    step,
                }
            }
            Action::Play => Self::Play {},
            Action::Timeout => Self::Timeout {},
            Action::Wait(w) => Self::Wait {
                past: match w {
                    Wait::Minute => Span::Minute,
                    Wait::Clock => Span::Clock,
                    Wait::Deadline => Span::Deadline,
                    Wait::Window => Span::Window,
                },
            },
            Action::Finalize => Self::Finalize {},
            Action::Payout => Self::Payout {},
            Action::Censor(c) => Self::Censor {
                whom: match c {
                    Censor::Nobody => Whom::Nobody,
                    Censor::All => Whom::All,
                    Censor::User(u) => match User::of(u) {
                        User::Alice => Whom::Alice,
                        User::Bob => Whom::Bob,
                        User::Carol => Whom::Carol,
                    },
                },
            },
            Action::Pause => Self::Pause {},
            Action::Unpause => Self::Unpause {},
            Action::Rotate => Self::Rotate {},
            Action::Freeze => Self::Freeze {},
            Action::Escape { user } => Self::Escape {
                user: User::of(user),
            },
        }
    }
}

impl User {
    /// Its index into [`USERS`].
    pub fn id(self) -> UserId {
        self as UserId
    }

    /// The user with index `id` (wrapping, as the world resolves it).
    pub fn of(id: UserId) -> Self {
        match usize::from(id) % USERS.len() {
            0 => Self::Alice,
            1 => Self::Bob,
            _ => Self::Carol,
        }
    }
}

impl From<TokenName> for Token {
    fn from(t: TokenName) -> Self {
        match t {
            TokenName::Eth => Self::Eth,
            TokenName::Bdt => Self::Bdt,
        }
    }
}

impl From<Token> for TokenName {
    fn from(t: Token) -> Self {
        match t {
            Token::Eth => Self::Eth,
            Token::Bdt => Self::Bdt,
        }
    }
}

impl From<FlawName> for Flaw {
    fn from(f: FlawName) -> Self {
        match f {
            FlawName::None => Self::None,
            FlawName::StaleNonce => Self::StaleNonce,
            FlawName::WrongSigner => Self::WrongSigner,
            FlawName::Overdraft => Self::Overdraft,
            FlawName::Malformed => Self::Malformed,
        }
    }
}

impl From<Flaw> for FlawName {
    fn from(f: Flaw) -> Self {
        match f {
            Flaw::None => Self::None,
            Flaw::StaleNonce => Self::StaleNonce,
            Flaw::WrongSigner => Self::WrongSigner,
            Flaw::Overdraft => Self::Overdraft,
            Flaw::Malformed => Self::Malformed,
        }
    }
}

/// The 1-based lines of the `[[step]]` headers (spaced or commented as
/// TOML allows).
fn step_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let code = l.split('#').next().unwrap_or_default();
            code.split_whitespace().collect::<String>() == "[[step]]"
        })
        .map(|(i, _)| i + 1)
        .collect()
}

/// The byte offset where step `i`'s table ends (the next header, or the end).
fn end_of_step(lines: &[usize], i: usize, text: &str) -> usize {
    lines
        .get(i + 1)
        .map_or(text.len(), |&next| line_offset(text, next))
}

fn line_offset(text: &str, line: usize) -> usize {
    text.split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum()
}

/// The line of `key = …` from line `from_line` on, before byte `end`.
fn key_line(text: &str, from_line: usize, end: usize, key: &str) -> Option<usize> {
    let start = line_offset(text, from_line.max(1));
    text.get(start..end)?
        .lines()
        .position(|l| {
            l.split_once('=')
                .is_some_and(|(k, _)| k.trim().trim_matches('"') == key)
        })
        .map(|i| from_line.max(1) + i)
}

/// A TOML or schema error as a line and, when the message names one, a field.
fn locate(text: &str, e: &toml::de::Error) -> FileError {
    let offset = e.span().map_or(0, |s| s.start).min(text.len());
    let line = text.get(..offset).unwrap_or(text).matches('\n').count() + 1;
    let reason = e
        .message()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    // The region the error is about: from its line to the next table header.
    let end = text
        .get(offset..)
        .and_then(|rest| rest.find("\n["))
        .map_or(text.len(), |i| offset + i + 1);
    // serde names the offender first, in backticks (`units`, or a bad value);
    // a value of the wrong type comes quoted (`string "5"`). What follows
    // ("expected one of `a`, `b`") lists the allowed, not the offender.
    let offender = reason
        .split('`')
        .nth(1)
        .or_else(|| reason.split('"').nth(1))
        .filter(|w| !w.is_empty());
    if let Some(word) = offender {
        if let Some(at) = key_line(text, line, end, word) {
            return FileError {
                line: at,
                field: Some(word.to_owned()),
                reason,
            };
        }
        if let Some((at, key)) = value_line(text, line, end, word) {
            return FileError {
                line: at,
                field: Some(key),
                reason,
            };
        }
    }
    FileError {
        line,
        field: e.keys_hint(),
        reason,
    }
}

/// The line (from `from_line`, before byte `end`) whose value is `word`, or
/// else contains it (an inline table), with its key.
fn value_line(text: &str, from_line: usize, end: usize, word: &str) -> Option<(usize, String)> {
    let region = text.get(line_offset(text, from_line)..end)?;
    let find = |exact: bool| {
        region.lines().enumerate().find_map(|(i, l)| {
            let (key, value) = l.split_once('=')?;
            let value = value.trim().trim_matches('"');
            let found = if exact {
                value == word
            } else {
                value.contains(word)
            };
            found.then(|| (from_line + i, key.trim().to_owned()))
        })
    };
    find(true).or_else(|| find(false))
}

trait KeysHint {
    fn keys_hint(&self) -> Option<String>;
}

impl KeysHint for toml::de::Error {
    /// A missing field is named in the message, not in the span.
    fn keys_hint(&self) -> Option<String> {
        let m = self.message();
        m.strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "fraud"
description = "a lie loses"
actors = ["alice", "bob", "sequencer", "watcher"]

[[step]]
do = "deposit"
user = "alice"
units = 500

[[step]]
do = "commit-lie"
lie = "from-step"
step = 0
defense = "claims"

[[step]]
do = "expect"
winner = "challenger"
l2-eth = { alice = 2500, bob = "1999.9" }
"#;

    #[test]
    fn a_scenario_reads_as_actions_and_expectations() {
        let parsed = parse(GOOD).unwrap();
        assert_eq!(parsed.lines, vec![6, 11, 17]);
        let plan: Vec<_> = parsed.plan().collect();
        assert_eq!(
            plan[..2],
            [
                (
                    6,
                    Planned::Act(
                        Action::Deposit {
                            user: 0,
                            token: Token::Eth,
                            units: 500,
                            target: Target::Own
                        },
                        1
                    )
                ),
                (
                    11,
                    Planned::Act(
                        Action::CommitLie {
                            lie: Lie::From(0),
                            defense: Defense::Claims
                        },
                        1
                    )
                ),
            ]
        );
        let Step::Expect(expect) = &parsed.scenario.steps[2] else {
            panic!("not an expectation");
        };
        assert_eq!(expect.winner, Some(Winner::Challenger));
        let l2 = expect.l2_eth.as_ref().unwrap();
        assert_eq!(l2.alice, Some(Amount { wei: 2500 * UNIT }));
        assert_eq!(
            l2.bob,
            Some(Amount {
                wei: 1999 * UNIT + 9 * UNIT / 10
            })
        );
    }

    fn error(text: &str) -> FileError {
        parse(text).unwrap_err()
    }

    #[test]
    fn a_malformed_file_names_the_line_and_field() {
        let head = "name = \"x\"\nactors = [\"alice\"]\n\n[[step]]\n";
        for (body, line, field, reason) in [
            (
                "do = \"deposit\"\nuser = \"alice\"\nunits = 70000\n",
                7,
                Some("units"),
                "expected u16",
            ),
            (
                "do = \"deposit\"\nuser = \"dave\"\nunits = 1\n",
                6,
                Some("user"),
                "unknown variant `dave`",
            ),
            (
                "do = \"deposit\"\nuser = \"alice\"\n",
                4,
                Some("units"),
                "missing field `units`",
            ),
            (
                "do = \"depositt\"\n",
                5,
                Some("do"),
                "unknown variant `depositt`",
            ),
            (
                "do = \"commit\"\nnow = true\n",
                6,
                Some("now"),
                "unknown field `now`",
            ),
            (
                "do = \"commit-lie\"\nlie = \"from-step\"\ndefense = \"claims\"\n",
                4,
                Some("step"),
                "needs the step",
            ),
            (
                "do = \"challenge\"\npending = 0\nplay = \"honest\"\nstep = 3\n",
                8,
                Some("step"),
                "only play toward",
            ),
            (
                "do = \"transfer\"\nfrom = \"alice\"\nto = \"bob\"\nunits = 1\n",
                4,
                None,
                "names bob, who is not in `actors`",
            ),
            (
                "do = \"expect\"\nl2-eth = { alice = \"1.2.3\" }\n",
                6,
                Some("l2-eth"),
                "not a number of units",
            ),
            (
                "do = \"expect\"\nwinner = \"nobody\"\n",
                6,
                Some("winner"),
                "unknown variant `nobody`",
            ),
            (
                "do = \"wait\"\npast = \"forever\"\n",
                6,
                Some("past"),
                "forever",
            ),
            (
                "do = \"chalenge\"\npending = 0\nplay = \"honest\"\n",
                5,
                Some("do"),
                "unknown variant `chalenge`",
            ),
            (
                "do = \"deposit\"\nuser = \"alice\"\nunits = \"5\"\n",
                7,
                Some("units"),
                "invalid type: string \"5\"",
            ),
            (
                "do = \"withdraw\"\nuser = \"alice\"\nunits = 1\nrepeat = 0\n",
                8,
                Some("repeat"),
                "repeat must be 1 to 64, not 0",
            ),
        ] {
            let err = error(&format!("{head}{body}"));
            assert_eq!(
                (err.line, err.field.as_deref()),
                (line, field),
                "{body:?}: {err}"
            );
            assert!(err.reason.contains(reason), "{body:?}: {err}");
            assert_eq!(err.to_string().lines().count(), 1, "{err}");
        }
        let err = error("name = \"x\"\nactors = [\"alice\", \"eve\"]\n[[step]]\ndo = \"commit\"\n");
        assert_eq!(
            (err.line, err.field.as_deref()),
            (2, Some("actors")),
            "{err}"
        );
        let err = error("name = \"x\"\nactors = [\"alice\"]\n[[step]]\ndo = \"commit\"\n[oops\n");
        assert_eq!(err.line, 5, "{err}");
    }

    #[test]
    fn step_headers_may_be_spaced_or_commented() {
        let text = "name = \"x\"\nactors = []\n\n[[ step ]] # the only one\ndo = \"commit\"\n";
        assert_eq!(parse(text).unwrap().lines, vec![4]);
    }

    #[test]
    fn amounts_read_and_print_down_to_the_wei() {
        for (text, wei) in [
            ("0", 0),
            ("12", 12 * UNIT),
            ("0.1", UNIT / 10),
            ("1.000000000000001", UNIT + 1),
        ] {
            let a = Amount::parse_units(text).unwrap();
            assert_eq!(a.wei, wei, "{text}");
            assert_eq!(a.to_string(), text);
        }
        for bad in ["", ".5", "1.", "1e3", "-1", "0.0000000000000001", "x"] {
            assert!(Amount::parse_units(bad).is_err(), "{bad:?}");
        }
    }
}
