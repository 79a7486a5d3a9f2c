//! Turns a [`CasePlan`] into a concrete step against its pre-state: indices,
//! tokens, amounts and nonces resolved against the accounts, transactions
//! signed with the test's keys and then mangled, and the one-step batch (or
//! message) whose step the witness is built for.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use alloy::signers::k256::ecdsa::SigningKey;
use bulwark_engine::signature::{SECP256K1_HALF_N, SECP256K1_N, address_of};
use bulwark_engine::witness::{step_anchor, witness};
use bulwark_engine::{
    AccountIndex, AccountLeaf, Address, Batch, Domain, Header, L1Message, MessageKind, NEW_ACCOUNT,
    RecordBytes, SignedTransfer, SignedWithdraw, State, Step, StepAnchor, StepWitness, TokenId,
    Transfer, U256, Withdraw, WithdrawalIndex, WithdrawalLeaf,
};

use super::plan::{
    Amount, CasePlan, KEYS, Mangle, MessagePlan, Nonce, RecordPlan, StepPlan, Target, TokenPick,
    TxPlan,
};

/// The test's keys and their addresses.
pub static SIGNERS: LazyLock<Vec<(SigningKey, Address)>> = LazyLock::new(|| {
    (0..KEYS)
        .map(|i| {
            let key = SigningKey::from_bytes(&[i as u8 + 1; 32].into()).expect("a valid key");
            let address = address_of(&key);
            (key, address)
        })
        .collect()
});

/// Where the signature starts in a transfer and in a withdraw record.
const TRANSFER_SIGNATURE: usize = 49;
const WITHDRAW_SIGNATURE: usize = 61;

/// One step ready for a witness: the pre-state and the one-step trace it sits in.
#[derive(Clone, Debug)]
pub struct Built {
    /// The pre-state (the trace's parent).
    pub state: State,
    /// The messages of the trace (one, for a message step).
    pub messages: Vec<L1Message>,
    /// The batch of the trace.
    pub batch: Batch,
    /// Which step of the trace is the case.
    pub index: usize,
}

impl Built {
    /// The message step `message` (its index is set to `msgsConsumed`).
    pub fn message(state: State, message: L1Message) -> Self {
        let message = L1Message {
            index: state.msgs_consumed(),
            ..message
        };
        Self {
            state,
            messages: vec![message],
            batch: Batch::default(),
            index: 0,
        }
    }

    /// `record` at `position` of a batch of padding records under `header`.
    pub fn record(state: State, header: Header, record: RecordBytes, position: usize) -> Self {
        let mut records = vec![[0u8; 128]; position + 1];
        records[position] = record;
        Self {
            state,
            messages: Vec::new(),
            batch: Batch::new(header, records).expect("at most 512 records"),
            index: position,
        }
    }

    /// Identity step `k` past the records of a batch of `records` padding records.
    pub fn identity(state: State, records: usize, k: usize) -> Self {
        let identities = records.next_power_of_two() - records;
        Self {
            state,
            messages: Vec::new(),
            batch: Batch::new(Header::default(), vec![[0u8; 128]; records]).expect("few records"),
            index: records + k % identities.max(1),
        }
    }

    /// The engine's witness of the step.
    pub fn witness(&self, domain: &Domain) -> StepWitness {
        witness(&self.state, domain, &self.messages, &self.batch, self.index)
            .expect("a one-step trace in range")
    }

    /// The step itself.
    pub fn step(&self) -> Step {
        match (self.messages.first(), self.batch.records().get(self.index)) {
            (Some(message), _) => Step::Message(*message),
            (None, Some(record)) => Step::Record(*record),
            (None, None) => Step::Identity,
        }
    }

    /// What the chain knows of the step.
    pub fn anchor(&self) -> StepAnchor {
        step_anchor(&self.messages, &self.batch, self.index).expect("a one-step trace in range")
    }
}

/// Builds the pre-state and the step of `plan`, signing in `domain`.
pub fn build(plan: &CasePlan, domain: &Domain) -> Built {
    let state = pre_state(plan);
    let at = Resolver { state: &state };
    match &plan.step {
        StepPlan::Message(message) => {
            let message = at.message(message);
            Built::message(state, message)
        }
        StepPlan::Record {
            fee_recipients,
            record,
            position,
        } => {
            let (header, bytes) = at.record(fee_recipients, record, domain);
            Built::record(state, header, bytes, usize::from(*position))
        }
        StepPlan::Identity { records, k } => {
            Built::identity(state, usize::from(*records), usize::from(*k))
        }
    }
}

fn pre_state(plan: &CasePlan) -> State {
    let accounts = plan
        .pre
        .accounts
        .iter()
        .map(|a| AccountLeaf {
            owner: SIGNERS[a.owner].1,
            token: TokenId(a.token),
            balance: a.balance,
            nonce: a.nonce,
        })
        .collect();
    let withdrawals = plan
        .pre
        .withdrawals
        .iter()
        .enumerate()
        .map(|(i, &(recipient, token, amount))| WithdrawalLeaf {
            index: WithdrawalIndex(i as u32),
            recipient: SIGNERS[recipient].1,
            token: TokenId(token),
            amount,
        })
        .collect();
    State::from_leaves(accounts, withdrawals, plan.pre.msgs_consumed).expect("few leaves")
}

/// Resolves plan choices against the pre-state.
struct Resolver<'a> {
    state: &'a State,
}

impl Resolver<'_> {
    fn index(&self, target: Target) -> u64 {
        let next = self.state.next_account_index();
        match target {
            Target::Existing(k) if next > 0 => u64::from(k) % next,
            Target::Existing(k) | Target::Past(k) => next + u64::from(k),
            Target::New => NEW_ACCOUNT,
            Target::Huge(k) => (1u64 << 32) + u64::from(k),
        }
    }

    fn account_index(&self, target: Target) -> AccountIndex {
        AccountIndex(u32::try_from(self.index(target)).unwrap_or(u32::MAX))
    }

    fn leaf(&self, index: AccountIndex) -> Option<AccountLeaf> {
        self.state.account(index).copied()
    }

    fn leaf_at(&self, index: u64) -> Option<AccountLeaf> {
        u32::try_from(index)
            .ok()
            .and_then(|i| self.leaf(AccountIndex(i)))
    }

    fn token(pick: TokenPick, leaf: Option<AccountLeaf>) -> TokenId {
        match pick {
            TokenPick::Same => leaf.map_or(TokenId(0), |a| a.token),
            TokenPick::Id(id) => TokenId(id),
        }
    }

    /// `amount` with `debited` and `credited` the balances it is relative to.
    fn amount(amount: Amount, debited: u128, credited: Option<AccountLeaf>) -> u128 {
        match amount {
            Amount::Fixed(value) => value,
            Amount::Balance(d) => debited.saturating_add_signed(i128::from(d)),
            Amount::Headroom(d) => {
                let room = u128::MAX - credited.map_or(0, |a| a.balance);
                room.saturating_add_signed(i128::from(d))
            }
        }
    }

    fn message(&self, plan: &MessagePlan) -> L1Message {
        let (kind, sender, target, token, amount, queued_at) = match *plan {
            MessagePlan::Deposit {
                sender,
                target,
                token,
                amount,
                queued_at,
            } => {
                let index = self.index(target);
                let leaf = self.leaf_at(index);
                let balance = leaf.map_or(0, |a| a.balance);
                let amount = Self::amount(amount, balance, leaf);
                let token = Self::token(token, leaf);
                let sender = SIGNERS[sender].1;
                (
                    MessageKind::Deposit,
                    sender,
                    index,
                    token,
                    amount,
                    queued_at,
                )
            }
            MessagePlan::Forced {
                by_owner,
                sender,
                target,
                token,
                amount,
                queued_at,
            } => {
                let index = self.index(target);
                let leaf = self.leaf_at(index);
                let sender = match leaf {
                    Some(a) if by_owner => a.owner,
                    _ => SIGNERS[sender].1,
                };
                let balance = leaf.map_or(0, |a| a.balance);
                let amount = Self::amount(amount, balance, leaf);
                let token = Self::token(token, leaf);
                let kind = MessageKind::ForcedWithdrawal;
                (kind, sender, index, token, amount, queued_at)
            }
        };
        L1Message {
            index: self.state.msgs_consumed(),
            kind,
            sender,
            target,
            token,
            amount,
            queued_at,
        }
    }

    fn header(
        &self,
        fee_recipients: &[(u32, Target)],
        alias: Option<(TokenId, AccountIndex)>,
    ) -> Header {
        let mut entries: BTreeMap<TokenId, AccountIndex> = fee_recipients
            .iter()
            .map(|&(token, target)| (TokenId(token), self.account_index(target)))
            .collect();
        if let Some((token, index)) = alias {
            entries.insert(token, index);
        }
        Header::new(entries.into_iter().collect()).expect("sorted, at most 4 entries")
    }

    fn record(
        &self,
        fee_recipients: &[(u32, Target)],
        plan: &RecordPlan,
        domain: &Domain,
    ) -> (Header, RecordBytes) {
        let plain = || self.header(fee_recipients, None);
        match plan {
            RecordPlan::Transfer { tx, to, token } => {
                let to = self.account_index(*to);
                let header = plain();
                (
                    header.clone(),
                    self.transfer(tx, to, *token, &header, domain),
                )
            }
            RecordPlan::Withdraw { tx, zero_recipient } => {
                let header = plain();
                let record = self.withdraw(tx, *zero_recipient, &header, domain);
                (header, record)
            }
            RecordPlan::Aliased { tx, withdraw } => {
                let from = self.account_index(tx.from);
                let token = self.leaf(from).map_or(TokenId(0), |a| a.token);
                let header = self.header(fee_recipients, Some((token, from)));
                let record = if *withdraw {
                    self.withdraw(tx, false, &header, domain)
                } else {
                    self.transfer(tx, from, TokenPick::Same, &header, domain)
                };
                (header, record)
            }
            RecordPlan::Padding => (plain(), [0u8; 128]),
            RecordPlan::DirtyTail {
                tx,
                withdraw,
                at,
                byte,
            } => {
                let header = plain();
                let (mut record, tail) = if *withdraw {
                    (self.withdraw(tx, false, &header, domain), 126)
                } else {
                    let to = self.account_index(tx.from);
                    (self.transfer(tx, to, TokenPick::Same, &header, domain), 114)
                };
                record[tail + usize::from(*at) % (128 - tail)] = *byte;
                (header, record)
            }
            RecordPlan::DirtyPadding { at, byte } => {
                let mut record = [0u8; 128];
                record[usize::from(*at)] = *byte;
                (plain(), record)
            }
            RecordPlan::UnknownKind { kind, body } => (plain(), with_kind(*kind, body)),
            RecordPlan::Random {
                withdraw,
                clean_tail,
                body,
            } => {
                let mut record = with_kind(1 + u8::from(*withdraw), body);
                if *clean_tail {
                    let tail = if *withdraw { 126 } else { 114 };
                    record[tail..].fill(0);
                }
                (plain(), record)
            }
        }
    }

    fn nonce(leaf: Option<AccountLeaf>, nonce: Nonce) -> u32 {
        let current = leaf.map_or(0, |a| a.nonce);
        match nonce {
            Nonce::Current => current,
            Nonce::Off(d) => current.wrapping_add_signed(i32::from(d)),
        }
    }

    fn signer(&self, leaf: Option<AccountLeaf>, mangle: Mangle) -> &'static SigningKey {
        let owner = SIGNERS
            .iter()
            .position(|(_, a)| Some(*a) == leaf.map(|l| l.owner))
            .unwrap_or(0);
        match mangle {
            Mangle::OtherKey(k) => &SIGNERS[k].0,
            _ => &SIGNERS[owner].0,
        }
    }

    /// The fee relative to the debited balance left after `amount` and the fee recipient.
    fn fee(
        &self,
        tx: &TxPlan,
        from: Option<AccountLeaf>,
        amount: u128,
        token: TokenId,
        header: &Header,
    ) -> u128 {
        let left = from.map_or(0, |a| a.balance).saturating_sub(amount);
        let recipient = header.fee_recipient(token).and_then(|i| self.leaf(i));
        Self::amount(tx.fee, left, recipient)
    }

    fn transfer(
        &self,
        tx: &TxPlan,
        to: AccountIndex,
        token: TokenPick,
        header: &Header,
        domain: &Domain,
    ) -> RecordBytes {
        let from = self.account_index(tx.from);
        let leaf = self.leaf(from);
        let token = Self::token(token, leaf);
        let amount = Self::amount(tx.amount, leaf.map_or(0, |a| a.balance), self.leaf(to));
        let transfer = Transfer {
            from,
            to,
            token,
            amount,
            fee: self.fee(tx, leaf, amount, token, header),
            nonce: Self::nonce(leaf, tx.nonce),
        };
        let signed = SignedTransfer::sign(transfer, domain, self.signer(leaf, tx.mangle));
        // The amount's last byte, for a tampered record.
        mangled(signed.encode(), TRANSFER_SIGNATURE, 28, tx.mangle)
    }

    fn withdraw(
        &self,
        tx: &TxPlan,
        zero_recipient: bool,
        header: &Header,
        domain: &Domain,
    ) -> RecordBytes {
        let from = self.account_index(tx.from);
        let leaf = self.leaf(from);
        let token = leaf.map_or(TokenId(0), |a| a.token);
        let amount = Self::amount(tx.amount, leaf.map_or(0, |a| a.balance), None);
        let recipient = if zero_recipient {
            Address::ZERO
        } else {
            Address::repeat_byte(0xcc)
        };
        let withdraw = Withdraw {
            from,
            recipient,
            amount,
            fee: self.fee(tx, leaf, amount, token, header),
            nonce: Self::nonce(leaf, tx.nonce),
        };
        let signed = SignedWithdraw::sign(withdraw, domain, self.signer(leaf, tx.mangle));
        mangled(signed.encode(), WITHDRAW_SIGNATURE, 40, tx.mangle)
    }
}

fn with_kind(kind: u8, body: &[u8]) -> RecordBytes {
    let mut record = [0u8; 128];
    record[0] = kind;
    record[1..].copy_from_slice(&body[..127]);
    record
}

/// Applies `mangle` to the signature at byte `at` of `record`; `tamper` is a
/// signed byte to change after signing.
pub fn mangled(mut record: RecordBytes, at: usize, tamper: usize, mangle: Mangle) -> RecordBytes {
    let sig = &mut record[at..at + 65];
    match mangle {
        Mangle::None | Mangle::OtherKey(_) => {}
        Mangle::HighS => {
            let s = U256::from_be_slice(&sig[32..64]);
            sig[32..64].copy_from_slice(&(SECP256K1_N - s).to_be_bytes::<32>());
            sig[64] = if sig[64] == 27 { 28 } else { 27 };
        }
        Mangle::V(v) => sig[64] = v,
        Mangle::ZeroR => sig[..32].fill(0),
        Mangle::RAtN => sig[..32].copy_from_slice(&SECP256K1_N.to_be_bytes::<32>()),
        Mangle::ZeroS => sig[32..64].fill(0),
        Mangle::SPastHalf => {
            sig[32..64].copy_from_slice(&(SECP256K1_HALF_N + U256::from(1)).to_be_bytes::<32>())
        }
        Mangle::SAtHalf => sig[32..64].copy_from_slice(&SECP256K1_HALF_N.to_be_bytes::<32>()),
        Mangle::RandomR(r) => {
            let r = U256::from_be_bytes(r) % SECP256K1_N;
            sig[..32].copy_from_slice(&r.max(U256::from(1)).to_be_bytes::<32>());
        }
        Mangle::Tampered => record[tamper] ^= 1,
    }
    record
}
