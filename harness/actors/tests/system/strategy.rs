//! Random histories for the system property tests and their benchmark:
//! weighted so that a 30-action history usually deposits, commits, lies,
//! plays a game and lets time pass, and now and then freezes.

use bulwark_actors::system::action::{
    Action, Censor, Defense, Flaw, Lie, Play, Target, Token, Wait,
};
use proptest::prelude::*;

fn user() -> impl Strategy<Value = u8> {
    0..3u8
}

/// An amount in units, now and then zero (refused on L1 as `ZeroAmount`, a
/// no-op on L2).
fn units(max: u16) -> impl Strategy<Value = u16> {
    prop_oneof![1 => Just(0u16), 20 => 1..max]
}

fn token() -> impl Strategy<Value = Token> {
    prop_oneof![3 => Just(Token::Eth), 2 => Just(Token::Bdt)]
}

fn flaw() -> impl Strategy<Value = Flaw> {
    prop_oneof![
        8 => Just(Flaw::None),
        1 => Just(Flaw::StaleNonce),
        1 => Just(Flaw::WrongSigner),
        1 => Just(Flaw::Overdraft),
        1 => Just(Flaw::Malformed),
    ]
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        3 => Just(Target::New),
        4 => Just(Target::Own),
        2 => user().prop_map(Target::Other),
        1 => Just(Target::Missing),
        1 => Just(Target::WrongToken),
    ]
}

fn lie() -> impl Strategy<Value = Lie> {
    prop_oneof![
        3 => (0..32u8).prop_map(Lie::From),
        1 => Just(Lie::StateRootOnly),
        2 => (0..32u8).prop_map(Lie::TraceOnly),
        1 => Just(Lie::Garbage),
    ]
}

fn defense() -> impl Strategy<Value = Defense> {
    prop_oneof![3 => Just(Defense::Claims), 1 => Just(Defense::BadFold), 1 => Just(Defense::Stall)]
}

fn play() -> impl Strategy<Value = Play> {
    prop_oneof![
        2 => Just(Play::Honest),
        1 => Just(Play::FirstChild),
        1 => Just(Play::Stall),
        3 => (0..10u8).prop_map(Play::Toward),
    ]
}

fn wait() -> impl Strategy<Value = Wait> {
    prop_oneof![
        2 => Just(Wait::Minute),
        3 => Just(Wait::Clock),
        3 => Just(Wait::Deadline),
        5 => Just(Wait::Window),
    ]
}

fn censor() -> impl Strategy<Value = Censor> {
    prop_oneof![
        2 => Just(Censor::Nobody),
        2 => user().prop_map(Censor::User),
        1 => Just(Censor::All),
    ]
}

/// One action of any actor.
pub fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => (user(), token(), units(2_000), target())
            .prop_map(|(user, token, units, target)| Action::Deposit { user, token, units, target }),
        6 => (user(), user(), token(), units(800), any::<bool>(), flaw())
            .prop_map(|(from, to, token, units, fee, flaw)| Action::Transfer { from, to, token, units, fee, flaw }),
        4 => (user(), token(), units(800), any::<bool>(), flaw())
            .prop_map(|(user, token, units, fee, flaw)| Action::Withdraw { user, token, units, fee, flaw }),
        2 => (user(), token(), units(800), prop::bool::weighted(0.8))
            .prop_map(|(user, token, units, own)| Action::ForceWithdrawal { user, token, units, own }),
        8 => Just(Action::Commit),
        1 => (lie(), defense()).prop_map(|(lie, defense)| Action::CommitLie { lie, defense }),
        3 => (any::<u8>(), play()).prop_map(|(batch, play)| Action::Challenge { batch, play }),
        5 => Just(Action::Play),
        2 => Just(Action::Timeout),
        8 => wait().prop_map(Action::Wait),
        2 => Just(Action::Finalize),
        5 => Just(Action::Payout),
        2 => censor().prop_map(Action::Censor),
        1 => Just(Action::Pause),
        1 => Just(Action::Unpause),
        1 => Just(Action::Rotate),
        3 => Just(Action::Freeze),
        4 => user().prop_map(|user| Action::Escape { user }),
    ]
}

/// A history of `min` to `max` actions.
pub fn history(min: usize, max: usize) -> impl Strategy<Value = Vec<Action>> {
    prop::collection::vec(action(), min..=max)
}
