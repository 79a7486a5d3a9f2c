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
