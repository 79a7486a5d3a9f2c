//! Prints the shared test vectors (`vectors/protocol.json`, schema in
//! `vectors/README.md`):
//!
//!     cargo run -p bulwark-engine --example gen-vectors > vectors/protocol.json
//!
//! Deterministic: anvil's well-known keys, chain id 31337, a fixed rollup
//! address. `tests/vectors.rs` includes this file to check the committed JSON
//! is current. Proof and header vectors live in `vectors/proofs.rs`, the
//! one-step witnesses in `vectors/steps.rs`.

#[path = "vectors/proofs.rs"]
mod proofs;
#[path = "vectors/steps.rs"]
mod steps;

use alloy_primitives::address;
use bulwark_engine::hash::{empty_record_subtrees, empty_subtrees, record_leaf};
use bulwark_engine::params::{EIP712_NAME, EIP712_VERSION};
use bulwark_engine::record::Record;
use bulwark_engine::signature::{SECP256K1_HALF_N, SECP256K1_N, address_of, recover_signer, sign};
use bulwark_engine::tree::MerkleTree;
use bulwark_engine::{
    AccountIndex, AccountLeaf, Address, B256, Batch, Domain, Header, L1Message, MessageKind,
    NEW_ACCOUNT, SignedTransfer, SignedWithdraw, State, StatePreimage, TokenId, Transfer, U256,
    Withdraw, WithdrawalIndex, WithdrawalLeaf, eip712, trace,
};
use k256::ecdsa::SigningKey;
use serde_json::{Value, json};

/// Chain id of the vectors (anvil's).
pub const CHAIN_ID: u64 = 31337;

/// Rollup address of the vectors (the first contract anvil's first key deploys).
pub const ROLLUP: Address = address!("5fbdb2315678afecb367f032d93f642f64180aa3");

/// Anvil's first four private keys.
const ANVIL_KEYS: [&str; 4] = [
    "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
];

const ETHER: u128 = 1_000_000_000_000_000_000;

fn main() {
    let text = serde_json::to_string_pretty(&vectors()).unwrap_or_default();
    println!("{text}");
}

/// Anvil key `i`.
pub fn key(i: usize) -> SigningKey {
    let bytes: [u8; 32] = hex::decode(ANVIL_KEYS[i])
        .ok()
        .and_then(|v| v.try_into().ok())
        .unwrap_or([1; 32]);
    SigningKey::from_bytes(&bytes.into()).unwrap_or_else(|_| unreachable!("anvil keys are valid"))
}

/// The domain of the vectors.
pub fn domain() -> Domain {
    Domain::new(CHAIN_ID, ROLLUP)
}

fn hx(bytes: impl AsRef<[u8]>) -> String {
    format!("0x{}", hex::encode(bytes))
}

fn dec(n: impl ToString) -> String {
    n.to_string()
}

/// Every vector of the schema, as one JSON object.
pub fn vectors() -> Value {
    json!({
        "emptySubtrees": empty_subtrees().iter().map(hx).collect::<Vec<_>>(),
        "emptyRecordSubtrees": empty_record_subtrees().iter().map(hx).collect::<Vec<_>>(),
        "accountLeaves": account_leaves(),
        "withdrawalLeaves": withdrawal_leaves(),
        "stateRoots": state_roots(),
        "genesisRoot": hx(State::genesis().root()),
        "accountProofs": account_proofs(),
        "eip712": eip712_vector(),
        "transferDigests": transfer_digests(),
        "withdrawDigests": withdraw_digests(),
        "signatures": signatures(),
        "records": records(),
        "messages": messages().iter().map(message_json).collect::<Vec<_>>(),
        "batch": batch_vector(),
        "recordProofs": proofs::record_proofs(),
        "headers": proofs::headers(),
        "trace": trace_vector(),
        "withdrawalProofs": trace_post_state().map(|post| proofs::withdrawal_proofs(&post)),
        "singleStepTrace": single_step_trace(),
        "steps": steps::steps(),
    })
}

fn account_json(leaf: &AccountLeaf) -> Value {
    json!({
        "owner": hx(leaf.owner),
        "token": dec(leaf.token.0),
        "balance": dec(leaf.balance),
        "nonce": dec(leaf.nonce),
        "hash": hx(leaf.hash()),
    })
}

fn state_json(pre: &StatePreimage) -> Value {
    json!({
        "accountsRoot": hx(pre.accounts_root),
        "withdrawalsRoot": hx(pre.withdrawals_root),
        "nextAccountIndex": dec(pre.next_account_index),
        "msgsConsumed": dec(pre.msgs_consumed),
        "withdrawalCount": dec(pre.withdrawal_count),
        "hash": hx(pre.root()),
    })
}

fn message_json(m: &L1Message) -> Value {
    json!({
        "index": dec(m.index),
        "kind": dec(m.kind.as_u8()),
        "sender": hx(m.sender),
        "target": dec(m.target),
        "token": dec(m.token.0),
        "amount": dec(m.amount),
        "queuedAt": dec(m.queued_at),
        "hash": hx(m.hash()),
    })
}

fn sample_accounts() -> Vec<AccountLeaf> {
    vec![
        AccountLeaf {
            owner: address_of(&key(0)),
            token: TokenId(0),
            balance: 10 * ETHER,
            nonce: 0,
        },
        AccountLeaf {
            owner: address_of(&key(1)),
            token: TokenId(1),
            balance: 12345,
            nonce: 7,
        },
        AccountLeaf {
            owner: Address::ZERO,
            token: TokenId(0),
            balance: 0,
            nonce: 0,
        },
        AccountLeaf {
            owner: Address::repeat_byte(0xff),
            token: TokenId(u32::MAX),
            balance: u128::MAX,
            nonce: u32::MAX,
        },
        AccountLeaf {
            owner: address_of(&key(2)),
            token: TokenId(2),
            balance: 1,
            nonce: 1,
        },
    ]
}

fn account_leaves() -> Vec<Value> {
    sample_accounts().iter().map(account_json).collect()
}

fn withdrawal_leaves() -> Vec<Value> {
    let leaves = [
        WithdrawalLeaf {
            index: WithdrawalIndex(0),
            recipient: address_of(&key(0)),
            token: TokenId(0),
            amount: ETHER,
        },
        WithdrawalLeaf {
            index: WithdrawalIndex(1),
            recipient: address_of(&key(0)),
            token: TokenId(0),
            amount: ETHER,
        },
        WithdrawalLeaf {
            index: WithdrawalIndex(u32::MAX),
            recipient: Address::repeat_byte(0xff),
            token: TokenId(u32::MAX),
            amount: u128::MAX,
        },
    ];
    leaves
        .iter()
        .map(|w| {
            json!({
                "index": dec(w.index.0),
                "recipient": hx(w.recipient),
                "token": dec(w.token.0),
                "amount": dec(w.amount),
                "hash": hx(w.hash()),
            })
        })
        .collect()
}

fn state_roots() -> Vec<Value> {
    let z32 = empty_subtrees()[32];
    let preimages = [
        StatePreimage::genesis(),
        StatePreimage {
            accounts_root: B256::repeat_byte(0x11),
            withdrawals_root: B256::repeat_byte(0x22),
            next_account_index: 3,
            msgs_consumed: 4,
            withdrawal_count: 5,
        },
        StatePreimage {
            accounts_root: z32,
            withdrawals_root: z32,
            next_account_index: 1 << 32,
            msgs_consumed: u64::MAX,
            withdrawal_count: 1 << 32,
        },
    ];
    preimages.iter().map(state_json).collect()
}

fn account_proofs() -> Vec<Value> {
    let mut tree = MerkleTree::new();
    let leaves: Vec<B256> = sample_accounts().iter().map(AccountLeaf::hash).collect();
    for leaf in &leaves {
        let _ = tree.push(*leaf);
    }
    let root = tree.root();
    let empty = empty_subtrees()[0];
    // Positions 0, 3, 4 hold leaves; 5 and 2^32 − 1 are empty positions.
    [
        (0u32, leaves[0]),
        (3, leaves[3]),
        (4, leaves[4]),
        (5, empty),
        (u32::MAX, empty),
    ]
    .iter()
    .map(|(index, leaf)| {
        json!({
            "root": hx(root),
            "index": dec(index),
            "leaf": hx(leaf),
            "siblings": tree.proof(*index).iter().map(hx).collect::<Vec<_>>(),
        })
    })
    .collect()
}

fn eip712_vector() -> Value {
    let d = domain();
    json!({
        "name": EIP712_NAME,
        "version": EIP712_VERSION,
        "chainId": dec(d.chain_id()),
        "verifyingContract": hx(d.rollup()),
        "domainSeparator": hx(d.separator()),
        "transferTypehash": hx(eip712::transfer_typehash()),
        "withdrawTypehash": hx(eip712::withdraw_typehash()),
    })
}

fn sample_transfers() -> Vec<Transfer> {
    vec![
        Transfer {
            from: AccountIndex(0),
            to: AccountIndex(1),
            token: TokenId(0),
            amount: ETHER,
            fee: 0,
            nonce: 0,
        },
        Transfer {
            from: AccountIndex(3),
            to: AccountIndex(3),
            token: TokenId(1),
            amount: 5,
            fee: 1,
            nonce: 9,
        },
        Transfer {
            from: AccountIndex(u32::MAX),
            to: AccountIndex(u32::MAX),
            token: TokenId(u32::MAX),
            amount: u128::MAX,
            fee: u128::MAX,
            nonce: u32::MAX,
        },
    ]
}

fn transfer_digests() -> Vec<Value> {
    sample_transfers()
        .iter()
        .map(|t| {
            json!({
                "from": dec(t.from.0),
                "to": dec(t.to.0),
                "token": dec(t.token.0),
                "amount": dec(t.amount),
                "fee": dec(t.fee),
                "nonce": dec(t.nonce),
                "digest": hx(t.digest(&domain())),
            })
        })
        .collect()
}

fn withdraw_digests() -> Vec<Value> {
    let samples = [
        Withdraw {
            from: AccountIndex(0),
            recipient: address_of(&key(0)),
            amount: ETHER,
            fee: 0,
            nonce: 0,
        },
        Withdraw {
            from: AccountIndex(2),
            recipient: Address::repeat_byte(0xab),
            amount: 1,
            fee: 2,
            nonce: 3,
        },
        Withdraw {
            from: AccountIndex(u32::MAX),
            recipient: Address::repeat_byte(0xff),
            amount: u128::MAX,
            fee: u128::MAX,
            nonce: u32::MAX,
        },
    ];
    samples
        .iter()
        .map(|w| {
            json!({
                "from": dec(w.from.0),
                "recipient": hx(w.recipient),
                "amount": dec(w.amount),
                "fee": dec(w.fee),
                "nonce": dec(w.nonce),
                "digest": hx(w.digest(&domain())),
            })
        })
        .collect()
}

/// A transfer digest whose signature by `key(0)` has `v == v`.
fn digest_with_v(v: u8) -> B256 {
    (0u32..)
        .map(|nonce| {
            Transfer {
                nonce,
                ..sample_transfers()[0]
            }
            .digest(&domain())
        })
        .find(|d| sign(d, &key(0))[64] == v)
        .unwrap_or_default()
}

fn with(sig: &[u8], edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = sig.to_vec();
    edit(&mut out);
    out
}

/// An `r` that is the x coordinate of no curve point.
fn r_off_curve(digest: &B256, good: &[u8]) -> Vec<u8> {
    (1u8..=255)
        .map(|x| {
            with(good, |s| {
                s[..32].fill(0);
                s[31] = x;
            })
        })
        .find(|s| recover_signer(digest, s) == Err(bulwark_engine::SkipReason::RecoveryFailed))
        .unwrap_or_default()
}

fn signatures() -> Vec<Value> {
    let alice = address_of(&key(0));
    let d27 = digest_with_v(27);
    let d28 = digest_with_v(28);
    let good = sign(&d27, &key(0)).to_vec();
    let good28 = sign(&d28, &key(0)).to_vec();
    let s = U256::from_be_slice(&good[32..64]);
    let n = SECP256K1_N.to_be_bytes::<32>();
    let half_n = SECP256K1_HALF_N.to_be_bytes::<32>();
    let half_n_plus_1 = (SECP256K1_HALF_N + U256::from(1)).to_be_bytes::<32>();
    let s_at_half = with(&good, |b| b[32..64].copy_from_slice(&half_n));
    // The signer of the boundary s = n/2 is whoever it recovers to; it is accepted for that owner.
    let half_signer = recover_signer(&d27, &s_at_half).unwrap_or_default();
    let cases: Vec<(&str, B256, Vec<u8>, Address)> = vec![
        ("valid v=27", d27, good.clone(), alice),
        ("valid v=28", d28, good28.clone(), alice),
        ("s exactly n/2 (accepted form)", d27, s_at_half, half_signer),
        ("wrong owner", d27, good.clone(), address_of(&key(1))),
        (
            "high s (n - s, v flipped: recovers the owner but is rejected)",
            d27,
            with(&good, |b| {
                b[32..64].copy_from_slice(&(SECP256K1_N - s).to_be_bytes::<32>());
                b[64] = 28;
            }),
            alice,
        ),
        (
            "s = n/2 + 1",
            d27,
            with(&good, |b| b[32..64].copy_from_slice(&half_n_plus_1)),
            alice,
        ),
        ("s = 0", d27, with(&good, |b| b[32..64].fill(0)), alice),
        ("v = 0", d27, with(&good, |b| b[64] = 0), alice),
        ("v = 1", d27, with(&good, |b| b[64] = 1), alice),
        ("v = 29", d27, with(&good, |b| b[64] = 29), alice),
        ("r = 0", d27, with(&good, |b| b[..32].fill(0)), alice),
        (
            "r = n",
            d27,
            with(&good, |b| b[..32].copy_from_slice(&n)),
            alice,
        ),
        (
            "r = 2^256 - 1",
            d27,
            with(&good, |b| b[..32].fill(0xff)),
            alice,
        ),
        (
            "r not on the curve (recovery fails)",
            d27,
            r_off_curve(&d27, &good),
            alice,
        ),
        ("length 64", d27, good[..64].to_vec(), alice),
        ("length 66", d27, with(&good, |b| b.push(0)), alice),
        ("length 0", d27, Vec::new(), alice),
    ];
    cases
        .into_iter()
        .map(|(name, digest, signature, owner)| {
            let recovered = recover_signer(&digest, &signature);
            let (accepted, reason, signer) = match recovered {
                Ok(signer) if signer == owner => (true, String::new(), signer),
                Ok(signer) => (false, "WrongSigner".to_string(), signer),
                Err(reason) => (false, reason.name().to_string(), Address::ZERO),
            };
            json!({
                "name": name,
                "digest": hx(digest),
                "signature": hx(&signature),
                "owner": hx(owner),
                "accepted": accepted,
                "reason": reason,
                "signer": hx(signer),
            })
        })
        .collect()
}

fn record_json(name: &str, bytes: &[u8; 128]) -> Value {
    let zero = Address::ZERO;
    let (decoded, reason, from, to, recipient, token, amount, fee, nonce, signature) =
        match Record::decode(bytes) {
            Record::Transfer(t) => (
                "transfer",
                "",
                t.tx.from.0,
                t.tx.to.0,
                zero,
                t.tx.token.0,
                t.tx.amount,
                t.tx.fee,
                t.tx.nonce,
                t.signature.to_vec(),
            ),
            Record::Withdraw(w) => (
                "withdraw",
                "",
                w.tx.from.0,
                0,
                w.tx.recipient,
                0,
                w.tx.amount,
                w.tx.fee,
                w.tx.nonce,
                w.signature.to_vec(),
            ),
            Record::Padding => ("padding", "", 0, 0, zero, 0, 0, 0, 0, Vec::new()),
            Record::Malformed(reason) => (
                "malformed",
                reason.name(),
                0,
                0,
                zero,
                0,
                0,
                0,
                0,
                Vec::new(),
            ),
        };
    json!({
        "name": name,
        "bytes": hx(bytes),
        "decoded": decoded,
        "reason": reason,
        "from": dec(from),
        "to": dec(to),
        "recipient": hx(recipient),
        "token": dec(token),
        "amount": dec(amount),
        "fee": dec(fee),
        "nonce": dec(nonce),
        "signature": hx(&signature),
        "leaf": hx(record_leaf(bytes)),
    })
}

fn edited(mut bytes: [u8; 128], at: usize, value: u8) -> [u8; 128] {
    bytes[at] = value;
    bytes
}

fn records() -> Vec<Value> {
    let d = domain();
    let transfer = SignedTransfer::sign(sample_transfers()[0], &d, &key(0)).encode();
    let withdraw = SignedWithdraw::sign(
        Withdraw {
            from: AccountIndex(0),
            recipient: address_of(&key(0)),
            amount: ETHER,
            fee: 7,
            nonce: 1,
        },
        &d,
        &key(0),
    )
    .encode();
    let max = SignedTransfer {
        tx: sample_transfers()[2],
        signature: [0xff; 65],
    }
    .encode();
    let padding = [0u8; 128];
    let cases = [
        ("transfer", transfer),
        ("withdraw", withdraw),
        (
            "transfer with extreme fields and an unchecked signature",
            max,
        ),
        ("padding", padding),
        ("unknown kind 3", edited(padding, 0, 3)),
        ("unknown kind 0xff", edited(transfer, 0, 0xff)),
        ("kind 0 with a non-zero byte 1", edited(padding, 1, 1)),
        ("kind 0 with a non-zero byte 127", edited(padding, 127, 1)),
        (
            "transfer with a non-zero byte 114",
            edited(transfer, 114, 1),
        ),
        (
            "transfer with a non-zero byte 127",
            edited(transfer, 127, 0x80),
        ),
        (
            "withdraw with a non-zero byte 126",
            edited(withdraw, 126, 1),
        ),
        (
            "withdraw with a non-zero byte 127",
            edited(withdraw, 127, 1),
        ),
    ];
    cases
        .iter()
        .map(|(name, bytes)| record_json(name, bytes))
        .collect()
}

fn messages() -> Vec<L1Message> {
    vec![
        L1Message {
            index: 0,
            kind: MessageKind::Deposit,
            sender: address_of(&key(0)),
            target: NEW_ACCOUNT,
            token: TokenId(0),
            amount: ETHER,
            queued_at: 1_700_000_000,
        },
        L1Message {
            index: 1,
            kind: MessageKind::Deposit,
            sender: address_of(&key(1)),
            target: 0,
            token: TokenId(1),
            amount: 42,
            queued_at: 1_700_000_012,
        },
        L1Message {
            index: 2,
            kind: MessageKind::ForcedWithdrawal,
            sender: address_of(&key(0)),
            target: 0,
            token: TokenId(0),
            amount: 1,
            queued_at: 1_700_000_024,
        },
        L1Message {
            index: u64::MAX,
            kind: MessageKind::ForcedWithdrawal,
            sender: Address::repeat_byte(0xff),
            target: u64::MAX - 1,
            token: TokenId(u32::MAX),
            amount: u128::MAX,
            queued_at: u64::MAX,
        },
    ]
}

/// The batch of the `batch` vector: a two-entry header and five records.
pub fn sample_batch() -> Batch {
    let d = domain();
    let header = Header::new(vec![
        (TokenId(0), AccountIndex(2)),
        (TokenId(5), AccountIndex(7)),
    ])
    .unwrap_or_default();
    let records = vec![
        SignedTransfer::sign(sample_transfers()[0], &d, &key(0)).encode(),
        SignedTransfer::sign(sample_transfers()[1], &d, &key(1)).encode(),
        [0u8; 128],
        edited([0u8; 128], 0, 9),
        SignedWithdraw::sign(
            Withdraw {
                from: AccountIndex(0),
                recipient: address_of(&key(0)),
                amount: 1,
                fee: 0,
                nonce: 1,
            },
            &d,
            &key(0),
        )
        .encode(),
    ];
    Batch::new(header, records).unwrap_or_default()
}

fn batch_vector() -> Value {
    let batch = sample_batch();
    json!({
        "header": hx(batch.header_bytes()),
        "headerHash": hx(batch.header().hash()),
        "records": batch.records().iter().map(hx).collect::<Vec<_>>(),
        "recordsRoot": hx(batch.records_root()),
        "dataRoot": hx(batch.data_root()),
    })
}

/// The messages and batch of the full trace vector, from genesis.
pub fn trace_inputs() -> (Vec<L1Message>, Batch) {
    let d = domain();
    let (alice, bob, carol, sequencer) = (key(0), key(1), key(2), key(3));
    let (a, b, c, s) = (
        address_of(&alice),
        address_of(&bob),
        address_of(&carol),
        address_of(&sequencer),
    );
    let message = |index: u64, kind, sender, target, token: u32, amount| L1Message {
        index,
        kind,
        sender,
        target,
        token: TokenId(token),
        amount,
        queued_at: 1_700_000_000 + 12 * index,
    };
    use MessageKind::{Deposit, ForcedWithdrawal};
    let messages = vec![
        message(0, Deposit, a, NEW_ACCOUNT, 0, 10 * ETHER), // account 0: alice, ETH
        message(1, Deposit, b, NEW_ACCOUNT, 0, 5 * ETHER),  // account 1: bob, ETH
        message(2, Deposit, s, NEW_ACCOUNT, 0, 1), // account 2: sequencer, ETH (fee recipient)
        message(3, Deposit, a, 0, 0, ETHER),       // credits account 0
        message(4, Deposit, c, 99, 1, 500),        // bad index: account 3, carol, token 1
        message(5, Deposit, c, 1, 1, 700),         // other token: account 4, carol, token 1
        message(6, ForcedWithdrawal, b, 1, 0, ETHER), // withdrawal 0
        message(7, ForcedWithdrawal, c, 1, 0, ETHER), // NotOwner
        message(8, ForcedWithdrawal, b, 1, 0, 100 * ETHER), // Overdraft
        message(9, ForcedWithdrawal, b, 99, 0, 1), // NoSuchAccount
    ];
    let header = Header::new(vec![(TokenId(0), AccountIndex(2))]).unwrap_or_default();
    let transfer = |from: u32, to: u32, token: u32, amount, fee, nonce| Transfer {
        from: AccountIndex(from),
        to: AccountIndex(to),
        token: TokenId(token),
        amount,
        fee,
        nonce,
    };
    let first = SignedTransfer::sign(transfer(0, 1, 0, ETHER, 0, 0), &d, &alice).encode();
    let mut high_s = SignedTransfer::sign(transfer(1, 0, 0, 1, 0, 0), &d, &bob);
    let low_s = U256::from_be_slice(&high_s.signature[32..64]);
    high_s.signature[32..64].copy_from_slice(&(SECP256K1_N - low_s).to_be_bytes::<32>());
    high_s.signature[64] = if high_s.signature[64] == 27 { 28 } else { 27 };
    let records = vec![
        first,
        SignedTransfer::sign(transfer(0, 1, 0, ETHER, 1000, 1), &d, &alice).encode(),
        SignedWithdraw::sign(
            Withdraw {
                from: AccountIndex(0),
                recipient: a,
                amount: 2 * ETHER,
                fee: 500,
                nonce: 2,
            },
            &d,
            &alice,
        )
        .encode(),
        SignedTransfer::sign(transfer(1, 0, 0, 1, 0, 0), &d, &carol).encode(), // WrongSigner
        high_s.encode(),                                                       // SignatureS
        SignedTransfer::sign(transfer(1, 0, 0, 1000 * ETHER, 0, 0), &d, &bob).encode(), // Overdraft
        first,                                                                 // replay: BadNonce
        edited([0u8; 128], 0, 7),                                              // UnknownKind
        edited(first, 120, 1),                                                 // NonZeroPadding
        SignedTransfer::sign(transfer(2, 2, 0, 1, 1, 0), &d, &sequencer).encode(), // from = to = fee recipient
        [0u8; 128],                                                                // padding
        SignedTransfer::sign(transfer(3, 0, 1, 10, 0, 0), &d, &carol).encode(), // TokenMismatch at the credit: reverted
    ];
    (messages, Batch::new(header, records).unwrap_or_default())
}

fn trace_vector() -> Value {
    let (messages, batch) = trace_inputs();
    trace_json(&State::genesis(), &messages, &batch)
}

/// The post-state of the trace vector.
fn trace_post_state() -> Option<State> {
    let (messages, batch) = trace_inputs();
    trace(&State::genesis(), &domain(), &messages, &batch)
        .ok()
        .map(|(_, post)| post)
}

/// A trace of `T = 1`: one deposit, no record; its root is its only post-root.
fn single_step_trace() -> Value {
    let message = L1Message {
        index: 0,
        kind: MessageKind::Deposit,
        sender: address_of(&key(0)),
        target: NEW_ACCOUNT,
        token: TokenId(0),
        amount: ETHER,
        queued_at: 1_700_000_000,
    };
    trace_json(&State::genesis(), &[message], &Batch::default())
}

/// The trace of `messages` and `batch` from `parent`, as the `trace` vector writes it.
fn trace_json(parent: &State, messages: &[L1Message], batch: &Batch) -> Value {
    let Ok((trace, post)) = trace(parent, &domain(), messages, batch) else {
        return Value::Null;
    };
    json!({
        "chainId": dec(CHAIN_ID),
        "rollup": hx(ROLLUP),
        "preState": state_json(&parent.preimage()),
        "messages": messages.iter().map(message_json).collect::<Vec<_>>(),
        "header": hx(batch.header_bytes()),
        "records": batch.records().iter().map(hx).collect::<Vec<_>>(),
        "stepRoots": trace.post_roots().iter().map(hx).collect::<Vec<_>>(),
        "outcomes": trace.outcomes().iter().map(|o| o.name()).collect::<Vec<_>>(),
        "traceRoot": hx(trace.root()),
        "postState": state_json(&post.preimage()),
    })
}
