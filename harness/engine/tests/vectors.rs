//! Re-derives every value of `vectors/protocol.json` from its inputs, and
//! checks the file is what `gen-vectors` prints today.

use std::sync::LazyLock;

use bulwark_engine::batch::records_root_from_proof;
use bulwark_engine::eip712::{TRANSFER_TYPE, WITHDRAW_TYPE, transfer_typehash, withdraw_typehash};
use bulwark_engine::hash::{empty_record_subtrees, empty_subtrees, record_leaf};
use bulwark_engine::params::{EIP712_NAME, EIP712_VERSION};
use bulwark_engine::record::Record;
use bulwark_engine::signature::recover_signer;
use bulwark_engine::witness::{step_anchor, verify_step, witness};
use bulwark_engine::{
    AccountIndex, AccountLeaf, Address, B256, Batch, Domain, Header, L1Message, MessageKind, State,
    StatePreimage, TokenId, Transfer, Withdraw, WithdrawalIndex, WithdrawalLeaf, root_from_proof,
    trace,
};
use serde_json::Value;

#[allow(dead_code)]
#[path = "../examples/gen-vectors.rs"]
mod gen_vectors;

static VECTORS: LazyLock<Value> = LazyLock::new(|| {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../vectors/protocol.json");
    let text = std::fs::read_to_string(path).expect("vectors/protocol.json is readable");
    serde_json::from_str(&text).expect("vectors/protocol.json is JSON")
});

fn v(key: &str) -> &'static Value {
    &VECTORS[key]
}

fn list(value: &Value) -> &Vec<Value> {
    value.as_array().expect("an array")
}

fn text(value: &Value) -> &str {
    value.as_str().expect("a string")
}

fn bytes(value: &Value) -> Vec<u8> {
    let s = text(value);
    assert!(
        s.starts_with("0x") && s == s.to_lowercase(),
        "hex is 0x-prefixed lowercase: {s}"
    );
    hex::decode(&s[2..]).expect("hex")
}

fn b256(value: &Value) -> B256 {
    B256::from_slice(&bytes(value))
}

fn address(value: &Value) -> Address {
    Address::from_slice(&bytes(value))
}

fn int<T: std::str::FromStr>(value: &Value) -> T {
    text(value).parse().ok().expect("a decimal integer string")
}

fn record(value: &Value) -> [u8; 128] {
    bytes(value).try_into().expect("128-byte record")
}

fn preimage(value: &Value) -> StatePreimage {
    StatePreimage {
        accounts_root: b256(&value["accountsRoot"]),
        withdrawals_root: b256(&value["withdrawalsRoot"]),
        next_account_index: int(&value["nextAccountIndex"]),
        msgs_consumed: int(&value["msgsConsumed"]),
        withdrawal_count: int(&value["withdrawalCount"]),
    }
}

fn message(value: &Value) -> L1Message {
    let message = L1Message {
        index: int(&value["index"]),
        kind: MessageKind::try_from(int::<u8>(&value["kind"])).expect("kind 1 or 2"),
        sender: address(&value["sender"]),
        target: int(&value["target"]),
        token: TokenId(int(&value["token"])),
        amount: int(&value["amount"]),
        queued_at: int(&value["queuedAt"]),
    };
    assert_eq!(message.hash(), b256(&value["hash"]));
    message
}

fn domain() -> Domain {
    let e = v("eip712");
    Domain::new(int(&e["chainId"]), address(&e["verifyingContract"]))
}

#[test]
fn file_is_current() {
    assert_eq!(
        *VECTORS,
        gen_vectors::vectors(),
        "regenerate: cargo run -p bulwark-engine --example gen-vectors > vectors/protocol.json"
    );
}

#[test]
fn file_has_every_schema_key() {
    let keys: Vec<&String> = VECTORS.as_object().expect("an object").keys().collect();
    let expected = [
        "accountLeaves",
        "accountProofs",
        "batch",
        "eip712",
        "emptyRecordSubtrees",
        "emptySubtrees",
        "genesisRoot",
        "messages",
        "records",
        "signatures",
        "stateRoots",
        "trace",
        "transferDigests",
        "withdrawDigests",
        "withdrawalLeaves",
    ];
    assert_eq!(keys, expected);
}

#[test]
fn empty_subtree_hashes() {
    let z: Vec<B256> = list(v("emptySubtrees")).iter().map(b256).collect();
    assert_eq!(z, empty_subtrees().to_vec());
    let d: Vec<B256> = list(v("emptyRecordSubtrees")).iter().map(b256).collect();
    assert_eq!(d, empty_record_subtrees().to_vec());
}

#[test]
fn leaves_and_state_roots() {
    for a in list(v("accountLeaves")) {
        let leaf = AccountLeaf {
            owner: address(&a["owner"]),
            token: TokenId(int(&a["token"])),
            balance: int(&a["balance"]),
            nonce: int(&a["nonce"]),
        };
        assert_eq!(leaf.hash(), b256(&a["hash"]));
    }
    for w in list(v("withdrawalLeaves")) {
        let leaf = WithdrawalLeaf {
            index: WithdrawalIndex(int(&w["index"])),
            recipient: address(&w["recipient"]),
            token: TokenId(int(&w["token"])),
            amount: int(&w["amount"]),
        };
        assert_eq!(leaf.hash(), b256(&w["hash"]));
    }
    for s in list(v("stateRoots")) {
        assert_eq!(preimage(s).root(), b256(&s["hash"]));
    }
    assert_eq!(b256(v("genesisRoot")), State::genesis().root());
    assert_eq!(b256(v("genesisRoot")), StatePreimage::genesis().root());
}

#[test]
fn account_proofs() {
    for p in list(v("accountProofs")) {
        let siblings: Vec<B256> = list(&p["siblings"]).iter().map(b256).collect();
        let siblings: [B256; 32] = siblings.try_into().expect("exactly 32 siblings");
        assert_eq!(
            root_from_proof(b256(&p["leaf"]), int(&p["index"]), &siblings),
            b256(&p["root"])
        );
    }
}

#[test]
fn eip712_domain_and_digests() {
    let e = v("eip712");
    assert_eq!(
        (text(&e["name"]), text(&e["version"])),
        (EIP712_NAME, EIP712_VERSION)
    );
    assert_eq!(domain().separator(), b256(&e["domainSeparator"]));
    assert_eq!(
        b256(&e["transferTypehash"]),
        alloy_primitives::keccak256(TRANSFER_TYPE)
    );
    assert_eq!(b256(&e["transferTypehash"]), transfer_typehash());
    assert_eq!(b256(&e["withdrawTypehash"]), withdraw_typehash());
    assert_eq!(
        b256(&e["withdrawTypehash"]),
        alloy_primitives::keccak256(WITHDRAW_TYPE)
    );
    for t in list(v("transferDigests")) {
        let tx = Transfer {
            from: AccountIndex(int(&t["from"])),
            to: AccountIndex(int(&t["to"])),
            token: TokenId(int(&t["token"])),
            amount: int(&t["amount"]),
            fee: int(&t["fee"]),
            nonce: int(&t["nonce"]),
        };
        assert_eq!(tx.digest(&domain()), b256(&t["digest"]));
    }
    for w in list(v("withdrawDigests")) {
        let tx = Withdraw {
            from: AccountIndex(int(&w["from"])),
            recipient: address(&w["recipient"]),
            amount: int(&w["amount"]),
            fee: int(&w["fee"]),
            nonce: int(&w["nonce"]),
        };
        assert_eq!(tx.digest(&domain()), b256(&w["digest"]));
    }
}

#[test]
fn signature_acceptance() {
    let mut reasons = std::collections::BTreeSet::new();
    for s in list(v("signatures")) {
        let name = text(&s["name"]);
        let result = recover_signer(&b256(&s["digest"]), &bytes(&s["signature"]));
        let owner = address(&s["owner"]);
        let (accepted, reason, signer) = match result {
            Ok(signer) if signer == owner => (true, "", signer),
            Ok(signer) => (false, "WrongSigner", signer),
            Err(reason) => (false, reason.name(), Address::ZERO),
        };
        assert_eq!(s["accepted"].as_bool(), Some(accepted), "{name}");
        assert_eq!(text(&s["reason"]), reason, "{name}");
        assert_eq!(address(&s["signer"]), signer, "{name}");
        reasons.insert(reason);
    }
    let every = [
        "",
        "RecoveryFailed",
        "SignatureLength",
        "SignatureR",
        "SignatureS",
        "SignatureV",
        "WrongSigner",
    ];
    assert_eq!(
        reasons.into_iter().collect::<Vec<_>>(),
        every,
        "every rejection is covered"
    );
}

#[test]
fn record_codec() {
    for r in list(v("records")) {
        let name = text(&r["name"]);
        let bytes = record(&r["bytes"]);
        assert_eq!(record_leaf(&bytes), b256(&r["leaf"]), "{name}");
        let decoded = Record::decode(&bytes);
        let (kind, reason) = match decoded {
            Record::Transfer(_) => ("transfer", ""),
            Record::Withdraw(_) => ("withdraw", ""),
            Record::Padding => ("padding", ""),
            Record::Malformed(reason) => ("malformed", reason.name()),
        };
        assert_eq!(
            (text(&r["decoded"]), text(&r["reason"])),
            (kind, reason),
            "{name}"
        );
        let field = |key: &str| int::<u128>(&r[key]);
        match decoded {
            Record::Transfer(t) => {
                let fields = [
                    field("from"),
                    field("to"),
                    field("token"),
                    field("amount"),
                    field("fee"),
                    field("nonce"),
                ];
                let expected = [
                    t.tx.from.0.into(),
                    t.tx.to.0.into(),
                    t.tx.token.0.into(),
                    t.tx.amount,
                    t.tx.fee,
                    t.tx.nonce.into(),
                ];
                assert_eq!(fields, expected, "{name}");
                assert_eq!(self::bytes(&r["signature"]), t.signature.to_vec(), "{name}");
                assert_eq!(t.encode(), bytes, "{name}");
            }
            Record::Withdraw(w) => {
                let fields = [field("from"), field("amount"), field("fee"), field("nonce")];
                assert_eq!(
                    fields,
                    [w.tx.from.0.into(), w.tx.amount, w.tx.fee, w.tx.nonce.into()],
                    "{name}"
                );
                assert_eq!(address(&r["recipient"]), w.tx.recipient, "{name}");
                assert_eq!(self::bytes(&r["signature"]), w.signature.to_vec(), "{name}");
                assert_eq!(w.encode(), bytes, "{name}");
            }
            Record::Padding | Record::Malformed(_) => {
                assert!(self::bytes(&r["signature"]).is_empty(), "{name}");
                assert_eq!(field("amount"), 0, "{name}");
            }
        }
    }
}

#[test]
fn message_hashes() {
    for m in list(v("messages")) {
        message(m);
    }
}

#[test]
fn batch_data_root() {
    let b = v("batch");
    let header = Header::decode(&bytes(&b["header"])).expect("a valid header");
    assert_eq!(header.hash(), b256(&b["headerHash"]));
    let records: Vec<u8> = list(&b["records"]).iter().flat_map(bytes).collect();
    let batch = Batch::from_calldata(&bytes(&b["header"]), &records).expect("valid calldata");
    assert_eq!(batch.records_root(), b256(&b["recordsRoot"]));
    assert_eq!(batch.data_root(), b256(&b["dataRoot"]));
    for i in 0..batch.records().len() {
        let path = batch.record_proof(i).expect("a position below 512");
        assert_eq!(
            records_root_from_proof(&batch.records()[i], i as u32, &path),
            batch.records_root()
        );
    }
}

#[test]
fn full_batch_trace() {
    let t = v("trace");
    let domain = Domain::new(int(&t["chainId"]), address(&t["rollup"]));
    assert_eq!(domain, self::domain());
    let parent = State::genesis();
    assert_eq!(preimage(&t["preState"]), parent.preimage());
    assert_eq!(b256(&t["preState"]["hash"]), parent.root());
    let messages: Vec<L1Message> = list(&t["messages"]).iter().map(message).collect();
    let records: Vec<u8> = list(&t["records"]).iter().flat_map(bytes).collect();
    let batch = Batch::from_calldata(&bytes(&t["header"]), &records).expect("valid calldata");
    let (trace, post) = trace(&parent, &domain, &messages, &batch).expect("a valid trace");
    let roots: Vec<B256> = list(&t["stepRoots"]).iter().map(b256).collect();
    let outcomes: Vec<&str> = list(&t["outcomes"]).iter().map(text).collect();
    assert_eq!(roots, trace.post_roots());
    assert_eq!(
        outcomes,
        trace
            .outcomes()
            .iter()
            .map(|o| o.name())
            .collect::<Vec<_>>()
    );
    assert_eq!(b256(&t["traceRoot"]), trace.root());
    assert_eq!(preimage(&t["postState"]), post.preimage());
    assert_eq!(b256(&t["postState"]["hash"]), post.root());
    assert_eq!(*roots.last().expect("steps"), post.root());
    for (i, root) in roots.iter().enumerate() {
        let w = witness(&parent, &domain, &messages, &batch, i).expect("a witness");
        let anchor = step_anchor(&messages, &batch, i).expect("an anchor");
        let pre = trace.pre_root_of(i).expect("a pre-root");
        assert_eq!(
            verify_step(pre, &domain, &anchor, &w),
            Ok(*root),
            "step {i}"
        );
    }
}
