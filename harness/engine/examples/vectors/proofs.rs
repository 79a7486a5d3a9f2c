//! Proof and header vectors: withdrawal-tree proofs (§2, §11), record proofs
//! against a batch's `dataRoot` (§6.2), and header bytes the Rollup accepts
//! or rejects (§6.1).

use bulwark_engine::hash::header_hash;
use bulwark_engine::tree::MerkleTree;
use bulwark_engine::{Header, State, WithdrawalLeaf};
use serde_json::{Value, json};

use super::{dec, hx, sample_batch};

/// Proofs over the withdrawal tree of `post` (the trace vector's post-state):
/// each leaf, the first empty position and the last position.
pub fn withdrawal_proofs(post: &State) -> Vec<Value> {
    let leaves: Vec<&WithdrawalLeaf> = post.withdrawals().collect();
    let mut tree = MerkleTree::new();
    for leaf in &leaves {
        let _ = tree.push(leaf.hash());
    }
    let root = tree.root();
    let empty = bulwark_engine::hash::empty_subtrees()[0];
    let mut cases: Vec<(u32, _)> = leaves.iter().map(|w| (w.index.0, w.hash())).collect();
    cases.push((leaves.len() as u32, empty));
    cases.push((u32::MAX, empty));
    cases
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

/// Every record of the `batch` vector, then an empty position and the last
/// one, each with its 9 siblings; they fold to `batch.dataRoot` with its header hash.
pub fn record_proofs() -> Vec<Value> {
    let batch = sample_batch();
    let n = batch.records().len();
    (0..n)
        .chain([n, 511])
        .map(|position| {
            let record = batch.records().get(position).copied().unwrap_or([0; 128]);
            let path = batch.record_proof(position).unwrap_or_default();
            json!({
                "record": hx(record),
                "position": dec(position),
                "siblings": path.iter().map(hx).collect::<Vec<_>>(),
                "headerHash": hx(batch.header().hash()),
                "dataRoot": hx(batch.data_root()),
            })
        })
        .collect()
}

/// `entries` as header bytes, `token:u32 ‖ account:u32` each, unchecked.
fn raw(entries: impl IntoIterator<Item = (u32, u32)>) -> Vec<u8> {
    entries
        .into_iter()
        .flat_map(|(token, account)| [token.to_be_bytes(), account.to_be_bytes()].concat())
        .collect()
}

/// Header bytes, each with whether the Rollup accepts it and its `headerHash`.
pub fn headers() -> Vec<Value> {
    let increasing = |k: u32| raw((0..k).map(|i| (i, 100 + i)));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("one entry", raw([(0, 2)])),
        ("16 entries", increasing(16)),
        (
            "largest token ids",
            raw([(u32::MAX - 1, 0), (u32::MAX, u32::MAX)]),
        ),
        ("unsorted tokens", raw([(5, 1), (3, 2)])),
        ("duplicate token", raw([(3, 1), (3, 2)])),
        (
            "unsorted last entry of 16",
            raw((0..15).map(|i| (i + 1, i)).chain([(0, 0)])),
        ),
        ("length 7", vec![0; 7]),
        ("length 9", [raw([(0, 2)]), vec![0]].concat()),
        (
            "16 entries and 4 more bytes",
            [increasing(16), vec![0; 4]].concat(),
        ),
        ("17 entries", increasing(17)),
    ];
    cases
        .into_iter()
        .map(|(name, bytes)| {
            json!({
                "name": name,
                "bytes": hx(&bytes),
                "accepted": Header::decode(&bytes).is_ok(),
                "hash": hx(header_hash(&bytes)),
            })
        })
        .collect()
}
