//! Random one-step cases as plans: a pre-state of a few accounts and
//! withdrawals, and one step (an L1 message, a record under a header, or an
//! identity step) whose indices, amounts and nonces are chosen relative to
//! that pre-state when the case is built (`build.rs`).
//!
//! The weights aim at edges: balances and amounts at and around `2^128`,
//! nonces at `2^32 − 2` and `2^32 − 1`, indices just past `nextAccountIndex`,
//! and every way a signature or a record can be malformed.

use proptest::prelude::*;

/// Keys whose secrets the test holds; every owner and sender is one of them.
pub const KEYS: usize = 4;

/// Token ids a case uses (ETH and two ERC20s).
const TOKENS: u32 = 3;

/// One account leaf of the pre-state.
#[derive(Clone, Debug)]
pub struct AccountPlan {
    /// Key index of the owner.
    pub owner: usize,
    /// Token held.
    pub token: u32,
    /// Balance.
    pub balance: u128,
    /// Nonce.
    pub nonce: u32,
}

/// The pre-state: accounts, withdrawal leaves `(recipient key, token, amount)`, messages consumed.
#[derive(Clone, Debug)]
pub struct PrePlan {
    /// Accounts, in index order.
    pub accounts: Vec<AccountPlan>,
    /// Withdrawal leaves, in index order.
    pub withdrawals: Vec<(usize, u32, u128)>,
    /// `msgsConsumed`.
    pub msgs_consumed: u64,
}

/// An account index, chosen relative to the pre-state.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    /// `k mod nextAccountIndex` (past the end when there is no account).
    Existing(u8),
    /// `nextAccountIndex + k`.
    Past(u8),
    /// `NEW` for a message target; `2^32 − 1` for a record index.
    New,
    /// `2^32 + k`: past every tree index (a message target; `2^32 − 1` in a record).
    Huge(u8),
}

/// A token, chosen relative to the account the step reads.
#[derive(Clone, Copy, Debug)]
pub enum TokenPick {
    /// The token of that account (token 0 when there is none).
    Same,
    /// This token id.
    Id(u32),
}

/// An amount, fixed or relative to a balance the step touches.
#[derive(Clone, Copy, Debug)]
pub enum Amount {
    /// This value.
    Fixed(u128),
    /// The debited account's balance plus `d` (saturating): `d = 1` overdraws by one.
    Balance(i8),
    /// `2^128 − 1 − balance + d` of the credited account: `d = 1` reaches `2^128`.
    Headroom(i8),
}

/// The nonce a transaction carries.
#[derive(Clone, Copy, Debug)]
pub enum Nonce {
    /// The account's nonce.
    Current,
    /// The account's nonce plus `d` (wrapping).
    Off(i8),
}

/// What is done to a signature after signing.
#[derive(Clone, Copy, Debug)]
pub enum Mangle {
    /// Nothing: the owner's valid signature.
    None,
    /// `s → n − s` with `v` flipped: the same signer, high `s`.
    HighS,
    /// `v` replaced.
    V(u8),
    /// `r = 0`.
    ZeroR,
    /// `r = n`.
    RAtN,
    /// `s = 0`.
    ZeroS,
    /// `s = n/2 + 1`.
    SPastHalf,
    /// `s = n/2` exactly: well-formed, recovers someone else.
    SAtHalf,
    /// A random `r` below `n`: often no point, else someone else.
    RandomR([u8; 32]),
    /// Signed by key `k` (the owner's when `k` is the owner).
    OtherKey(usize),
    /// A signed field changed after signing.
    Tampered,
}

/// An L1 message step.
#[derive(Clone, Debug)]
pub enum MessagePlan {
    /// A deposit from key `sender`.
    Deposit {
        sender: usize,
        target: Target,
        token: TokenPick,
        amount: Amount,
        queued_at: u64,
    },
    /// A forced withdrawal, by the target's owner when `by_owner`, else by key `sender`.
    Forced {
        by_owner: bool,
        sender: usize,
        target: Target,
        token: TokenPick,
        amount: Amount,
        queued_at: u64,
    },
}

/// A signed transaction's fields before they are resolved.
#[derive(Clone, Debug)]
pub struct TxPlan {
    /// Account debited.
    pub from: Target,
    /// Amount moved.
    pub amount: Amount,
    /// Fee offered.
    pub fee: Amount,
    /// Nonce carried.
    pub nonce: Nonce,
    /// Signature mangling.
    pub mangle: Mangle,
}

/// A record step's record.
#[derive(Clone, Debug)]
pub enum RecordPlan {
    /// A transfer.
    Transfer {
        tx: TxPlan,
        to: Target,
        token: TokenPick,
    },
    /// A withdraw; to the zero address when `zero_recipient`.
    Withdraw { tx: TxPlan, zero_recipient: bool },
    /// A transfer from an account to itself, the header naming it fee
    /// recipient too (a withdraw instead when `withdraw`).
    Aliased { tx: TxPlan, withdraw: bool },
    /// 128 zero bytes.
    Padding,
    /// A valid signed transfer (or withdraw) with byte `at` of its zero tail set to `byte`.
    DirtyTail {
        tx: TxPlan,
        withdraw: bool,
        at: u8,
        byte: u8,
    },
    /// Kind 0 with one non-zero byte at `at` (1..128).
    DirtyPadding { at: u8, byte: u8 },
    /// Kind `kind` ∉ {0, 1, 2} and random bytes.
    UnknownKind { kind: u8, body: Vec<u8> },
    /// Random bytes whose kind is 1 or 2 (`withdraw`), tail zeroed when `clean_tail`.
    Random {
        withdraw: bool,
        clean_tail: bool,
        body: Vec<u8>,
    },
}

/// One step of a case.
#[derive(Clone, Debug)]
pub enum StepPlan {
    /// An L1 message.
    Message(MessagePlan),
    /// A record at `position` of a batch of padding, under a header naming these fee recipients.
    Record {
        fee_recipients: Vec<(u32, Target)>,
        record: RecordPlan,
        position: u16,
    },
    /// The identity step `k` past the records of a batch of `records` padding records.
    Identity { records: u8, k: u8 },
}

/// One case: a pre-state and a step.
#[derive(Clone, Debug)]
pub struct CasePlan {
    /// The pre-state.
    pub pre: PrePlan,
    /// The step.
    pub step: StepPlan,
}

fn balance() -> impl Strategy<Value = u128> {
    prop_oneof![
        5 => 0u128..1_000,
        1 => Just(0u128),
        5 => (0u128..4).prop_map(|d| u128::MAX - d),
        1 => (0u128..4).prop_map(|d| (1u128 << 127) + d),
        1 => any::<u128>(),
    ]
}

fn nonce_value() -> impl Strategy<Value = u32> {
    prop_oneof![
        4 => 0u32..4,
        1 => Just(u32::MAX),
        1 => Just(u32::MAX - 1),
        1 => any::<u32>(),
    ]
}

fn account() -> BoxedStrategy<AccountPlan> {
    (0..KEYS, 0..TOKENS, balance(), nonce_value())
        .prop_map(|(owner, token, balance, nonce)| AccountPlan {
            owner,
            token,
            balance,
            nonce,
        })
        .boxed()
}

fn pre() -> BoxedStrategy<PrePlan> {
    let accounts = prop_oneof![1 => Just(Vec::new()), 12 => prop::collection::vec(account(), 1..7)];
    let withdrawal = (0..KEYS, 0..TOKENS, balance());
    let consumed = prop_oneof![6 => 0u64..1_000, 1 => Just(u64::MAX - 1)];
    (accounts, prop::collection::vec(withdrawal, 0..4), consumed)
        .prop_map(|(accounts, withdrawals, msgs_consumed)| PrePlan {
            accounts,
            withdrawals,
            msgs_consumed,
        })
        .boxed()
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        20 => any::<u8>().prop_map(Target::Existing),
        2 => (0u8..3).prop_map(Target::Past),
        1 => Just(Target::New),
        1 => (0u8..3).prop_map(Target::Huge),
    ]
}

fn token() -> impl Strategy<Value = TokenPick> {
    prop_oneof![6 => Just(TokenPick::Same), 1 => (0..TOKENS + 1).prop_map(TokenPick::Id)]
}

fn amount() -> impl Strategy<Value = Amount> {
    prop_oneof![
        6 => (0u128..100).prop_map(Amount::Fixed),
        1 => Just(Amount::Fixed(0)),
        1 => (0u128..3).prop_map(|d| Amount::Fixed(u128::MAX - d)),
        2 => (-2i8..3).prop_map(Amount::Balance),
        5 => (0i8..3).prop_map(Amount::Headroom),
    ]
}

fn fee() -> impl Strategy<Value = Amount> {
    prop_oneof![
        4 => Just(Amount::Fixed(0)),
        4 => (1u128..20).prop_map(Amount::Fixed),
        1 => Just(Amount::Fixed(u128::MAX)),
        1 => (-1i8..2).prop_map(Amount::Balance),
        2 => (0i8..3).prop_map(Amount::Headroom),
    ]
}

fn nonce() -> impl Strategy<Value = Nonce> {
    let off = prop::sample::select(vec![-2i8, -1, 1, 2]);
    prop_oneof![10 => Just(Nonce::Current), 2 => off.prop_map(Nonce::Off)]
}

fn mangle() -> impl Strategy<Value = Mangle> {
    prop_oneof![
        16 => Just(Mangle::None),
        1 => Just(Mangle::HighS),
        1 => prop::sample::select(vec![0u8, 1, 26, 29, 255]).prop_map(Mangle::V),
        1 => Just(Mangle::ZeroR),
        1 => Just(Mangle::RAtN),
        1 => Just(Mangle::ZeroS),
        1 => Just(Mangle::SPastHalf),
        1 => Just(Mangle::SAtHalf),
        2 => any::<[u8; 32]>().prop_map(Mangle::RandomR),
        1 => (0..KEYS).prop_map(Mangle::OtherKey),
        1 => Just(Mangle::Tampered),
    ]
}

fn tx() -> BoxedStrategy<TxPlan> {
    (target(), amount(), fee(), nonce(), mangle())
        .prop_map(|(from, amount, fee, nonce, mangle)| TxPlan {
            from,
            amount,
            fee,
            nonce,
            mangle,
        })
        .boxed()
}

fn message() -> BoxedStrategy<MessagePlan> {
    prop_oneof![
        3 => (0..KEYS, target(), token(), amount(), any::<u64>()).prop_map(
            |(sender, target, token, amount, queued_at)| MessagePlan::Deposit { sender, target, token, amount, queued_at }
        ),
        2 => (prop::bool::weighted(0.7), 0..KEYS, target(), token(), amount(), any::<u64>()).prop_map(
            |(by_owner, sender, target, token, amount, queued_at)| MessagePlan::Forced { by_owner, sender, target, token, amount, queued_at }
        ),
    ]
    .boxed()
}

fn record() -> BoxedStrategy<RecordPlan> {
    prop_oneof![
        8 => (tx(), target(), token()).prop_map(|(tx, to, token)| RecordPlan::Transfer { tx, to, token }),
        4 => (tx(), prop::bool::weighted(0.1)).prop_map(|(tx, zero_recipient)| RecordPlan::Withdraw { tx, zero_recipient }),
        3 => (tx(), any::<bool>()).prop_map(|(tx, withdraw)| RecordPlan::Aliased { tx, withdraw }),
        1 => Just(RecordPlan::Padding),
        1 => (tx(), any::<bool>(), 0u8..14, 1u8..=255).prop_map(
            |(tx, withdraw, at, byte)| RecordPlan::DirtyTail { tx, withdraw, at, byte }
        ),
        1 => (1u8..128, 1u8..=255).prop_map(|(at, byte)| RecordPlan::DirtyPadding { at, byte }),
        1 => (3u8..=255, prop::collection::vec(any::<u8>(), 127))
            .prop_map(|(kind, body)| RecordPlan::UnknownKind { kind, body }),
        1 => (any::<bool>(), any::<bool>(), prop::collection::vec(any::<u8>(), 127))
            .prop_map(|(withdraw, clean_tail, body)| RecordPlan::Random { withdraw, clean_tail, body }),
    ]
    .boxed()
}

fn position() -> impl Strategy<Value = u16> {
    prop_oneof![4 => 0u16..4, 1 => 0u16..512]
}

fn step() -> BoxedStrategy<StepPlan> {
    let fee_recipients = prop::collection::vec((0..TOKENS + 1, target()), 0..3);
    prop_oneof![
        5 => message().prop_map(StepPlan::Message),
        12 => (fee_recipients, record(), position()).prop_map(
            |(fee_recipients, record, position)| StepPlan::Record { fee_recipients, record, position }
        ),
        1 => (prop::sample::select(vec![3u8, 5, 6, 9]), any::<u8>())
            .prop_map(|(records, k)| StepPlan::Identity { records, k }),
    ]
    .boxed()
}

/// A random case.
pub fn case() -> impl Strategy<Value = CasePlan> {
    (pre(), step()).prop_map(|(pre, step)| CasePlan { pre, step })
}
