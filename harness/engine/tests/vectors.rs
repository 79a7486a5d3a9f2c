//! Re-derives every value of `vectors/protocol.json` from its inputs, and
//! checks the file is what `gen-vectors` prints today.

use std::sync::LazyLock;

use bulwark_engine::batch::records_root_from_proof;
use bulwark_engine::eip712::{TRANSFER_TYPE, WITHDRAW_TYPE, transfer_typehash, withdraw_typehash};
use bulwark_engine::hash::{
    data_root, empty_record_subtrees, empty_subtrees, header_hash, record_leaf,
};
use bulwark_engine::params::{EIP712_NAME, EIP712_VERSION};
use bulwark_engine::record::Record;
use bulwark_engine::signature::recover_signer;
use bulwark_engine::witness::{step_anchor, verify_step, verify_step_outcome, witness};
use bulwark_engine::{
    AccountIndex, AccountLeaf, Address, B256, Batch, Domain, Header, L1Message, MessageKind, State,
    StatePreimage, StepAnchor, StepWitness, TokenId, Transfer, Withdraw, WithdrawalIndex,
    WithdrawalLeaf, root_from_proof, trace,
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
        "headers",
        "messages",
        "recordProofs",
        "records",
        "signatures",
        "singleStepTrace",
        "stateRoots",
        "steps",
        "trace",
        "transferDigests",
        "withdrawDigests",
        "withdrawalLeaves",
        "withdrawalProofs",
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

/// Checks a list of state-tree proofs (`root, index, leaf, siblings`).
fn state_tree_proofs(key: &str) {
    let proofs = list(v(key));
    assert!(!proofs.is_empty(), "{key} is empty");
    for p in proofs {
        let siblings: Vec<B256> = list(&p["siblings"]).iter().map(b256).collect();
        let siblings: [B256; 32] = siblings.try_into().expect("exactly 32 siblings");
        assert_eq!(
            root_from_proof(b256(&p["leaf"]), int(&p["index"]), &siblings),
            b256(&p["root"])
        );
    }
}

#[test]
fn account_proofs() {
    state_tree_proofs("accountProofs");
}

#[test]
fn withdrawal_proofs() {
    state_tree_proofs("withdrawalProofs");
    // The leaves are the trace vector's withdrawals, under its post-state's root.
    let post = preimage(&v("trace")["postState"]);
    let proofs = list(v("withdrawalProofs"));
    assert_eq!(proofs.len() as u64, post.withdrawal_count + 2);
    for p in proofs {
        assert_eq!(b256(&p["root"]), post.withdrawals_root);
    }
}

#[test]
fn record_proofs() {
    let b = v("batch");
    for p in list(v("recordProofs")) {
        let path: Vec<B256> = list(&p["siblings"]).iter().map(b256).collect();
        let path: [B256; 9] = path.try_into().expect("exactly 9 siblings");
        let position: u32 = int(&p["position"]);
        let records_root = records_root_from_proof(&record(&p["record"]), position, &path);
        let header_hash = b256(&p["headerHash"]);
        assert_eq!(header_hash, b256(&b["headerHash"]));
        assert_eq!(data_root(&header_hash, &records_root), b256(&p["dataRoot"]));
        assert_eq!(b256(&p["dataRoot"]), b256(&b["dataRoot"]));
    }
}

#[test]
fn header_acceptance() {
    let mut seen = (false, false);
    for h in list(v("headers")) {
        let name = text(&h["name"]);
        let bytes = bytes(&h["bytes"]);
        let accepted = h["accepted"].as_bool().expect("a bool");
        let decoded = Header::decode(&bytes);
        assert_eq!(decoded.is_ok(), accepted, "{name}: {decoded:?}");
        assert_eq!(header_hash(&bytes), b256(&h["hash"]), "{name}");
        if let Ok(header) = decoded {
            assert_eq!(header.hash(), b256(&h["hash"]), "{name}");
            assert_eq!(header.encode(), bytes, "{name}");
        }
        if accepted {
            seen.0 = true
        } else {
            seen.1 = true
        }
    }
    assert_eq!(seen, (true, true), "both accepted and rejected headers");
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
    check_trace(v("trace"));
}

#[test]
fn single_step_trace() {
    let t = v("singleStepTrace");
    check_trace(t);
    let roots = list(&t["stepRoots"]);
    assert_eq!(roots.len(), 1);
    assert!(list(&t["records"]).is_empty());
    assert_eq!(b256(&t["traceRoot"]), b256(&roots[0]));
}

/// Re-runs a trace vector from its inputs, and verifies each step's witness.
fn check_trace(t: &Value) {
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

/// The anchor a `steps[]` entry names.
fn anchor(s: &Value) -> StepAnchor {
    let hash = b256(&s["anchorHash"]);
    let position: u32 = int(&s["anchorPosition"]);
    match text(&s["anchorKind"]) {
        "message" => {
            assert_eq!(position, 0, "a message anchor has no position");
            StepAnchor::Message { hash }
        }
        "record" => StepAnchor::Record {
            position,
            data_root: hash,
        },
        "identity" => {
            assert_eq!(
                (hash, position),
                (B256::ZERO, 0),
                "an identity anchor is empty"
            );
            StepAnchor::Identity
        }
        other => panic!("unknown anchor kind {other}"),
    }
}

#[test]
fn step_witnesses() {
    let mut outcomes = std::collections::BTreeSet::new();
    let mut kinds = std::collections::BTreeSet::new();
    let steps = list(v("steps"));
    for s in steps {
        let name = text(&s["name"]);
        let domain = Domain::new(int(&s["chainId"]), address(&s["rollup"]));
        assert_eq!(domain, self::domain(), "{name}");
        let anchor = anchor(s);
        let bytes = bytes(&s["witness"]);
        let w = StepWitness::decode(&bytes, anchor.input_kind())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(w.encode(), bytes, "{name}: bytes round-trip");
        let pre_root = b256(&s["preRoot"]);
        let (post_root, outcome) = verify_step_outcome(pre_root, &domain, &anchor, &w)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(post_root, b256(&s["postRoot"]), "{name}: post-root");
        assert_eq!(outcome.name(), text(&s["outcome"]), "{name}: outcome");
        // A skipped record or an identity step changes nothing (§7).
        if !matches!(anchor, StepAnchor::Message { .. }) && !outcome.is_applied() {
            assert_eq!(post_root, pre_root, "{name}: a skipped record is a no-op");
        }
        outcomes.insert(outcome.name());
        kinds.insert(text(&s["anchorKind"]));
    }
    assert_eq!(kinds.len(), 3, "message, record and identity anchors");
    // Every §7.6 reason but SignatureLength, which no batch step reports
    // (a record always carries 65 signature bytes).
    let every = [
        "BadNonce",
        "CreditOverflow",
        "NoSuchAccount",
        "NonZeroPadding",
        "NonceExhausted",
        "NotOwner",
        "Overdraft",
        "RecoveryFailed",
        "SignatureR",
        "SignatureS",
        "SignatureV",
        "TokenMismatch",
        "UnknownKind",
        "WithdrawalsFull",
        "WrongSigner",
        "ZeroAmount",
        "ZeroRecipient",
        "applied",
    ];
    assert_eq!(outcomes.into_iter().collect::<Vec<_>>(), every);

    // The first entries are the trace vector's steps, in order.
    let t = v("trace");
    let roots = list(&t["stepRoots"]);
    let mut pre = b256(&t["preState"]["hash"]);
    for (i, root) in roots.iter().enumerate() {
        let s = &steps[i];
        assert_eq!(text(&s["name"]), format!("trace step {i}"));
        assert_eq!(b256(&s["preRoot"]), pre, "trace step {i}: pre-root");
        assert_eq!(
            b256(&s["postRoot"]),
            b256(root),
            "trace step {i}: post-root"
        );
        assert_eq!(s["outcome"], t["outcomes"][i], "trace step {i}: outcome");
        pre = b256(root);
    }
}
