//! Domain tags (PROTOCOL §1) and the protocol's tree-node and data hashes.
//!
//! Every protocol hash starts with a one-byte tag, so no two kinds of object
//! share a hash. Leaf hashes live beside their types ([`crate::leaf`],
//! [`crate::message`]); this module holds the tags, node hashes and the
//! precomputed empty subtrees.

use std::sync::LazyLock;

use alloy_primitives::{B256, keccak256};

use crate::params::{DATA_DEPTH, RECORD_SIZE, TREE_DEPTH};

/// The one-byte domain tags of PROTOCOL §1.
pub mod tags {
    /// Empty leaf of a state tree.
    pub const EMPTY_LEAF: u8 = 0x00;
    /// Account leaf.
    pub const ACCOUNT_LEAF: u8 = 0x01;
    /// Withdrawal leaf.
    pub const WITHDRAWAL_LEAF: u8 = 0x02;
    /// State-tree node (account and withdrawal trees).
    pub const STATE_NODE: u8 = 0x03;
    /// State root.
    pub const STATE_ROOT: u8 = 0x04;
    /// L1 message.
    pub const MESSAGE: u8 = 0x05;
    /// Record leaf.
    pub const RECORD_LEAF: u8 = 0x06;
    /// Data-tree node.
    pub const DATA_NODE: u8 = 0x07;
    /// Batch header.
    pub const HEADER: u8 = 0x08;
    /// Data root.
    pub const DATA_ROOT: u8 = 0x09;
    /// Trace-tree node.
    pub const TRACE_NODE: u8 = 0x0a;
}

#[inline]
fn tagged_pair(tag: u8, left: &B256, right: &B256) -> B256 {
    let mut buf = [0u8; 65];
    buf[0] = tag;
    buf[1..33].copy_from_slice(left.as_slice());
    buf[33..65].copy_from_slice(right.as_slice());
    keccak256(buf)
}

/// `node(l, r) = H(0x03 ‖ l ‖ r)`, a node of the account or withdrawal tree.
#[inline]
pub fn state_node(left: &B256, right: &B256) -> B256 {
    tagged_pair(tags::STATE_NODE, left, right)
}

/// `dnode(l, r) = H(0x07 ‖ l ‖ r)`, a node of the records tree.
#[inline]
pub fn data_node(left: &B256, right: &B256) -> B256 {
    tagged_pair(tags::DATA_NODE, left, right)
}

/// `tnode(l, r) = H(0x0a ‖ l ‖ r)`, a node of a trace tree.
#[inline]
pub fn trace_node(left: &B256, right: &B256) -> B256 {
    tagged_pair(tags::TRACE_NODE, left, right)
}

/// `recordLeaf(rec) = H(0x06 ‖ rec)`.
pub fn record_leaf(record: &[u8; RECORD_SIZE]) -> B256 {
    let mut buf = [0u8; 1 + RECORD_SIZE];
    buf[0] = tags::RECORD_LEAF;
    buf[1..].copy_from_slice(record);
    keccak256(buf)
}

/// `headerHash = H(0x08 ‖ header)` over the encoded header bytes.
pub fn header_hash(header: &[u8]) -> B256 {
    let mut buf = Vec::with_capacity(1 + header.len());
    buf.push(tags::HEADER);
    buf.extend_from_slice(header);
    keccak256(buf)
}

/// `dataRoot = H(0x09 ‖ headerHash ‖ recordsRoot)`.
pub fn data_root(header_hash: &B256, records_root: &B256) -> B256 {
    tagged_pair(tags::DATA_ROOT, header_hash, records_root)
}

static EMPTY_SUBTREES: LazyLock<[B256; TREE_DEPTH + 1]> = LazyLock::new(|| {
    let mut z = [B256::ZERO; TREE_DEPTH + 1];
    z[0] = keccak256([tags::EMPTY_LEAF]);
    for k in 0..TREE_DEPTH {
        z[k + 1] = state_node(&z[k], &z[k]);
    }
    z
});

static EMPTY_RECORD_SUBTREES: LazyLock<[B256; DATA_DEPTH + 1]> = LazyLock::new(|| {
    let mut d = [B256::ZERO; DATA_DEPTH + 1];
    d[0] = record_leaf(&[0u8; RECORD_SIZE]);
    for k in 0..DATA_DEPTH {
        d[k + 1] = data_node(&d[k], &d[k]);
    }
    d
});

/// `Z[0..=32]`: the empty leaf `H(0x00)` and the roots of empty state subtrees.
pub fn empty_subtrees() -> &'static [B256; TREE_DEPTH + 1] {
    &EMPTY_SUBTREES
}

/// `D[0..=9]`: the empty record leaf and the roots of empty record subtrees.
pub fn empty_record_subtrees() -> &'static [B256; DATA_DEPTH + 1] {
    &EMPTY_RECORD_SUBTREES
}

/// Folds `siblings` (leaf level first) from `leaf` at `index` with `node`,
/// as PROTOCOL §2 prescribes for every Merkle tree of the protocol.
pub(crate) fn fold(
    leaf: B256,
    index: u64,
    siblings: &[B256],
    node: impl Fn(&B256, &B256) -> B256,
) -> B256 {
    let mut h = leaf;
    for (k, sibling) in siblings.iter().enumerate() {
        h = if (index >> k) & 1 == 0 {
            node(&h, sibling)
        } else {
            node(sibling, &h)
        };
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_leaf_is_hash_of_zero_tag() {
        assert_eq!(empty_subtrees()[0], keccak256([0u8]));
        assert_eq!(
            empty_subtrees()[1],
            state_node(&keccak256([0u8]), &keccak256([0u8]))
        );
    }

    #[test]
    fn tags_separate_node_kinds() {
        let (a, b) = (B256::repeat_byte(1), B256::repeat_byte(2));
        assert_ne!(state_node(&a, &b), data_node(&a, &b));
        assert_ne!(data_node(&a, &b), trace_node(&a, &b));
        assert_ne!(state_node(&a, &b), state_node(&b, &a));
    }

    #[test]
    fn empty_record_leaf_is_leaf_of_zero_record() {
        let mut pre = vec![tags::RECORD_LEAF];
        pre.extend_from_slice(&[0u8; RECORD_SIZE]);
        assert_eq!(empty_record_subtrees()[0], keccak256(&pre));
    }

    #[test]
    fn fold_takes_sibling_side_from_index_bits() {
        let leaf = B256::repeat_byte(7);
        let sib = [B256::repeat_byte(8), B256::repeat_byte(9)];
        let left = fold(leaf, 0b10, &sib, state_node);
        assert_eq!(left, state_node(&sib[1], &state_node(&leaf, &sib[0])));
    }
}
