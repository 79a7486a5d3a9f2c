//! What any actor can do to the system, in the abstract: each action names
//! its actors by role and its amounts in units, and is resolved against the
//! system as it stands when it runs. So any subsequence of a history is still
//! a history (what shrinking needs), and each action prints as one line of a
//! scenario.

use core::fmt;

/// The users, by index into [`USERS`].
pub type UserId = u8;

/// The users' names: the L2 users whose actions are random.
pub const USERS: [&str; 3] = ["alice", "bob", "carol"];

/// One unit of any token: 0.001 of an 18-decimal token.
pub const UNIT: u128 = 10u128.pow(15);

/// The two tokens of the system.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Token {
    /// ETH (token id 0).
    Eth,
    /// The demo ERC20 (token id 1).
    Bdt,
}

impl Token {
    /// Its L2 token id.
    pub fn id(self) -> u32 {
        match self {
            Self::Eth => 0,
            Self::Bdt => 1,
        }
    }
}

/// Where a deposit is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A new account (`NEW`).
    New,
    /// The depositor's own account in that token (a new one if it has none).
    Own,
    /// Another user's account in that token (a new one of the depositor's if
    /// that user has none).
    Other(UserId),
    /// An index past every account: the STF opens a new account instead.
    Missing,
    /// An account holding the other token: the STF opens a new account instead.
    WrongToken,
}

/// How a signed record is broken, if at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flaw {
    /// Well formed; applied unless an earlier skip left its nonce stale or
    /// its balance short.
    None,
    /// Signed with a nonce already used.
    StaleNonce,
    /// Signed by someone who does not own the account.
    WrongSigner,
    /// Moves more than the account holds.
    Overdraft,
    /// A non-zero byte past the record's last field.
    Malformed,
}

/// How a lying batch lies (PROTOCOL §14; `step` is clamped to the trace).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lie {
    /// Post-roots from `step` on are wrong and the state root steals.
    From(u8),
    /// The trace is honest; the state root steals.
    StateRootOnly,
    /// The state root is honest; the post-root of `step` is wrong.
    TraceOnly(u8),
    /// Every post-root is garbage and the state root steals.
    Garbage,
}

/// How the lying sequencer defends its lie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Defense {
    /// Reveals what it committed.
    Claims,
    /// Reveals hashes that do not fold (refused), then stalls.
    BadFold,
    /// Never moves.
    Stall,
}

/// How a frivolous challenger plays after opening.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Play {
    /// As an honest challenger would (the last child when all agree).
    Honest,
    /// Always the first child.
    FirstChild,
    /// Never moves.
    Stall,
    /// Toward one step.
    Toward(u8),
}

/// How long L1 waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// A minute.
    Minute,
    /// Past a side's whole chess clock.
    Clock,
    /// Past the forced-inclusion deadline.
    Deadline,
    /// Past the challenge window.
    Window,
}

/// Whom the sequencer ignores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Censor {
    /// No one.
    Nobody,
    /// One user's L1 messages (and so every message queued after).
    User(UserId),
    /// Every L1 message.
    All,
}

/// One thing an actor does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// A user deposits on L1.
    Deposit {
        user: UserId,
        token: Token,
        units: u16,
        target: Target,
    },
    /// A user signs an L2 transfer (sent with the next commit).
    Transfer {
        from: UserId,
        to: UserId,
        token: Token,
        units: u16,
        fee: bool,
        flaw: Flaw,
    },
    /// A user signs an L2 withdrawal to its own L1 address.
    Withdraw {
        user: UserId,
        token: Token,
        units: u16,
        fee: bool,
        flaw: Flaw,
    },
    /// A user queues a forced withdrawal on L1, from its own account or
    /// (`own` false) someone else's.
    ForceWithdrawal {
        user: UserId,
        token: Token,
        units: u16,
        own: bool,
    },
    /// The sequencer commits the truth.
    Commit,
    /// The sequencer commits a lie and defends it so.
    CommitLie { lie: Lie, defense: Defense },
    /// Mallory opens a game on a live batch (the `batch`-th, wrapping) and
    /// plays it so.
    Challenge { batch: u8, play: Play },
    /// The dishonest parties make the moves due now, once (the honest
    /// parties answer every move at once, after any action).
    Play,
    /// The dishonest parties move, then someone claims a timeout in every
    /// game whose mover still has time (the dishonest side against an
    /// honest mover, a bystander against a dishonest one).
    Timeout,
    /// L1 time passes (the honest parties having answered every move).
    Wait(Wait),
    /// Someone tries to finalize the next batch, due or not (the keeper
    /// finalizes every due batch after each action).
    Finalize,
    /// The keeper pays every final, unpaid withdrawal.
    Payout,
    /// The sequencer starts or stops censoring.
    Censor(Censor),
    /// The guardian pauses.
    Pause,
    /// The guardian ends its pause.
    Unpause,
    /// The guardian names the other sequencer.
    Rotate,
    /// The keeper freezes the rollup if a message is overdue.
    Freeze,
    /// After a freeze, the keeper pays a user's exits, withdrawals and refunds.
    Escape { user: UserId },
}

fn user(id: UserId) -> &'static str {
    USERS[usize::from(id) % USERS.len()]
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Eth => "eth",
            Self::Bdt => "bdt",
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::New => f.write_str("new"),
            Self::Own => f.write_str("own"),
            Self::Other(u) => write!(f, "{}", user(*u)),
            Self::Missing => f.write_str("missing"),
            Self::WrongToken => f.write_str("wrong-token"),
        }
    }
}

impl fmt::Display for Flaw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::None => "",
            Self::StaleNonce => " stale-nonce",
            Self::WrongSigner => " wrong-signer",
            Self::Overdraft => " overdraft",
            Self::Malformed => " malformed",
        })
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fee = |fee: bool| if fee { " with-fee" } else { "" };
        match *self {
            Self::Deposit {
                user: u,
                token,
                units,
                target,
            } => write!(f, "deposit {} {units} {token} to {target}", user(u)),
            Self::Transfer {
                from,
                to,
                token,
                units,
                fee: paid,
                flaw,
            } => write!(
                f,
                "transfer {} {units} {token} to {}{}{flaw}",
                user(from),
                user(to),
                fee(paid)
            ),
            Self::Withdraw {
                user: u,
                token,
                units,
                fee: paid,
                flaw,
            } => write!(f, "withdraw {} {units} {token}{}{flaw}", user(u), fee(paid)),
            Self::ForceWithdrawal {
                user: u,
                token,
                units,
                own,
            } => write!(
                f,
                "force-withdraw {} {units} {token} from {}",
                user(u),
                if own { "own" } else { "another" }
            ),
            Self::Commit => f.write_str("commit"),
            Self::CommitLie { lie, defense } => {
                let lie = match lie {
                    Lie::From(s) => format!("from-step {s}"),
                    Lie::StateRootOnly => "state-root".into(),
                    Lie::TraceOnly(s) => format!("trace-step {s}"),
                    Lie::Garbage => "garbage".into(),
                };
                let defense = match defense {
                    Defense::Claims => "claims",
                    Defense::BadFold => "bad-fold",
                    Defense::Stall => "stall",
                };
                write!(f, "commit-lie {lie} defend {defense}")
            }
            Self::Challenge { batch, play } => {
                let play = match play {
                    Play::Honest => "honest".into(),
                    Play::FirstChild => "first-child".into(),
                    Play::Stall => "stall".into(),
                    Play::Toward(s) => format!("toward {s}"),
                };
                write!(f, "challenge {batch} play {play}")
            }
            Self::Play => f.write_str("play"),
            Self::Timeout => f.write_str("timeout"),
            Self::Wait(w) => f.write_str(match w {
                Wait::Minute => "wait minute",
                Wait::Clock => "wait clock",
                Wait::Deadline => "wait deadline",
                Wait::Window => "wait window",
            }),
            Self::Finalize => f.write_str("finalize"),
            Self::Payout => f.write_str("payout"),
            Self::Censor(Censor::Nobody) => f.write_str("censor nobody"),
            Self::Censor(Censor::User(u)) => write!(f, "censor {}", user(u)),
            Self::Censor(Censor::All) => f.write_str("censor all"),
            Self::Pause => f.write_str("pause"),
            Self::Unpause => f.write_str("unpause"),
            Self::Rotate => f.write_str("rotate"),
            Self::Freeze => f.write_str("freeze"),
            Self::Escape { user: u } => write!(f, "escape {}", user(u)),
        }
    }
}

/// A scenario line that is not an action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}: {text:?}")]
pub struct ParseError {
    /// 1-based line number in the scenario.
    pub line: usize,
    /// The line.
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Reads a scenario: one action per line as [`Action`]'s `Display` writes
/// it; blank lines and lines starting with `#` are skipped.
pub fn parse_scenario(text: &str) -> Result<Vec<Action>, ParseError> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| {
            l.parse().map_err(|reason| ParseError {
                line: i + 1,
                text: l.to_owned(),
                reason,
            })
        })
        .collect()
}

fn parse_user(word: Option<&str>) -> Result<UserId, String> {
    let word = word.ok_or("a user is missing")?;
    USERS
        .iter()
        .position(|u| *u == word)
        .map(|i| i as UserId)
        .ok_or_else(|| format!("unknown user {word:?} (one of {})", USERS.join(", ")))
}

fn parse_number<T: core::str::FromStr>(word: Option<&str>, what: &str) -> Result<T, String> {
    let word = word.ok_or_else(|| format!("{what} is missing"))?;
    word.parse()
        .map_err(|_| format!("{what} {word:?} is not a number in range"))
}

fn parse_token(word: Option<&str>) -> Result<Token, String> {
    match word {
        Some("eth") => Ok(Token::Eth),
        Some("bdt") => Ok(Token::Bdt),
        other => Err(format!("token {other:?} is not eth or bdt")),
    }
}

fn parse_keyword(word: Option<&str>, keyword: &str) -> Result<(), String> {
    match word {
        Some(w) if w == keyword => Ok(()),
        other => Err(format!("expected {keyword:?}, found {other:?}")),
    }
}

/// The optional `with-fee` and flaw words closing a transfer or withdrawal.
fn parse_tail<'a>(words: impl Iterator<Item = &'a str>) -> Result<(bool, Flaw), String> {
    let (mut fee, mut flaw) = (false, Flaw::None);
    for word in words {
        match word {
            "with-fee" if !fee && flaw == Flaw::None => fee = true,
            "stale-nonce" if flaw == Flaw::None => flaw = Flaw::StaleNonce,
            "wrong-signer" if flaw == Flaw::None => flaw = Flaw::WrongSigner,
            "overdraft" if flaw == Flaw::None => flaw = Flaw::Overdraft,
            "malformed" if flaw == Flaw::None => flaw = Flaw::Malformed,
            other => return Err(format!("unexpected {other:?}")),
        }
    }
    Ok((fee, flaw))
}

impl core::str::FromStr for Action {
    type Err = String;

    fn from_str(line: &str) -> Result<Self, String> {
        let mut w = line.split_whitespace();
        let verb = w.next().ok_or("empty line")?;
        let action = match verb {
            "deposit" => {
                let user = parse_user(w.next())?;
                let units = parse_number(w.next(), "the amount")?;
                let token = parse_token(w.next())?;
                parse_keyword(w.next(), "to")?;
                let target = match w.next() {
                    Some("new") => Target::New,
                    Some("own") => Target::Own,
                    Some("missing") => Target::Missing,
                    Some("wrong-token") => Target::WrongToken,
                    other => Target::Other(parse_user(other)?),
                };
                Self::Deposit {
                    user,
                    token,
                    units,
                    target,
                }
            }
            "transfer" => {
                let from = parse_user(w.next())?;
                let units = parse_number(w.next(), "the amount")?;
                let token = parse_token(w.next())?;
                parse_keyword(w.next(), "to")?;
                let to = parse_user(w.next())?;
                let (fee, flaw) = parse_tail(&mut w)?;
                Self::Transfer {
                    from,
                    to,
                    token,
                    units,
                    fee,
                    flaw,
                }
            }
            "withdraw" => {
                let user = parse_user(w.next())?;
                let units = parse_number(w.next(), "the amount")?;
                let token = parse_token(w.next())?;
                let (fee, flaw) = parse_tail(&mut w)?;
                Self::Withdraw {
                    user,
                    token,
                    units,
                    fee,
                    flaw,
                }
            }
            "force-withdraw" => {
                let user = parse_user(w.next())?;
                let units = parse_number(w.next(), "the amount")?;
                let token = parse_token(w.next())?;
                parse_keyword(w.next(), "from")?;
                let own = match w.next() {
                    Some("own") => true,
                    Some("another") => false,
                    other => return Err(format!("expected own or another, found {other:?}")),
                };
                Self::ForceWithdrawal {
                    user,
                    token,
                    units,
                    own,
                }
            }
            "commit" => Self::Commit,
            "commit-lie" => {
                let lie = match w.next() {
                    Some("from-step") => Lie::From(parse_number(w.next(), "the step")?),
                    Some("state-root") => Lie::StateRootOnly,
                    Some("trace-step") => Lie::TraceOnly(parse_number(w.next(), "the step")?),
                    Some("garbage") => Lie::Garbage,
                    other => return Err(format!("unknown lie {other:?}")),
                };
                parse_keyword(w.next(), "defend")?;
                let defense = match w.next() {
                    Some("claims") => Defense::Claims,
                    Some("bad-fold") => Defense::BadFold,
                    Some("stall") => Defense::Stall,
                    other => return Err(format!("unknown defense {other:?}")),
                };
                Self::CommitLie { lie, defense }
            }
            "challenge" => {
                let batch = parse_number(w.next(), "the batch")?;
                parse_keyword(w.next(), "play")?;
                let play = match w.next() {
                    Some("honest") => Play::Honest,
                    Some("first-child") => Play::FirstChild,
                    Some("stall") => Play::Stall,
                    Some("toward") => Play::Toward(parse_number(w.next(), "the step")?),
                    other => return Err(format!("unknown play {other:?}")),
                };
                Self::Challenge { batch, play }
            }
            "play" => Self::Play,
            "timeout" => Self::Timeout,
            "wait" => Self::Wait(match w.next() {
                Some("minute") => Wait::Minute,
                Some("clock") => Wait::Clock,
                Some("deadline") => Wait::Deadline,
                Some("window") => Wait::Window,
                other => return Err(format!("unknown wait {other:?}")),
            }),
            "finalize" => Self::Finalize,
            "payout" => Self::Payout,
            "censor" => Self::Censor(match w.next() {
                Some("nobody") => Censor::Nobody,
                Some("all") => Censor::All,
                other => Censor::User(parse_user(other)?),
            }),
            "pause" => Self::Pause,
            "unpause" => Self::Unpause,
            "rotate" => Self::Rotate,
            "freeze" => Self::Freeze,
            "escape" => Self::Escape {
                user: parse_user(w.next())?,
            },
            other => return Err(format!("unknown action {other:?}")),
        };
        match w.next() {
            None => Ok(action),
            Some(extra) => Err(format!("unexpected {extra:?} after the action")),
        }
    }
}
