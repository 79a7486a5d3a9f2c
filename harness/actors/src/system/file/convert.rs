//! Between a scenario file's steps and the world's actions, both ways.

use super::*;

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
    pub(super) fn users(&self) -> Vec<UserId> {
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
