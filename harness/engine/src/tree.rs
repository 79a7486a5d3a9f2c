//! The depth-32 state tree of PROTOCOL §2, append-only in index space.
//!
//! Only the non-empty prefix is stored, level by level; every position past it
//! is the empty subtree `Z[k]`. Writes only mark their leaf dirty and the
//! dirty paths are rehashed once when a root or proof is asked for, so a batch
//! that touches the same fee recipient 500 times rehashes its path once.

use std::sync::{Mutex, MutexGuard, PoisonError};

use alloy_primitives::B256;

use crate::hash::{empty_subtrees, fold, state_node};
use crate::params::{TREE_CAPACITY, TREE_DEPTH};

/// The 32 siblings of a state-tree proof, leaf level first.
pub type Siblings = [B256; TREE_DEPTH];

/// Errors of writes that would break the tree's append-only shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// The write would leave a hole: positions are filled in order.
    #[error("position {index} is past the next free position {len}")]
    Gap {
        /// Position written.
        index: u64,
        /// Number of leaves in the tree.
        len: u64,
    },
    /// All `2^32` positions are taken.
    #[error("tree is full")]
    Full,
}

/// Folds a 32-sibling proof of `leaf` at `index` to the root it proves (§2).
pub fn root_from_proof(leaf: B256, index: u32, siblings: &Siblings) -> B256 {
    fold(leaf, u64::from(index), siblings, state_node)
}

/// An append-only Merkle tree of depth 32 with lazily recomputed nodes.
#[derive(Default)]
pub struct MerkleTree {
    inner: Mutex<Levels>,
}

#[derive(Clone, Default)]
struct Levels {
    /// `nodes[k][i]` is node `i` of level `k` (leaves at level 0); level `k`
    /// holds `ceil(len / 2^k)` nodes, some stale while `dirty` is non-empty.
    nodes: Vec<Vec<B256>>,
    /// Leaf positions written since the last rehash.
    dirty: Vec<u32>,
}

impl MerkleTree {
    /// An empty tree; its root is `Z[32]`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves (the next free position).
    pub fn len(&self) -> u64 {
        self.lock().len()
    }

    /// Whether the tree has no leaf.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The leaf hash at `index`, or `None` at or past [`len`](Self::len).
    pub fn leaf(&self, index: u32) -> Option<B256> {
        self.lock()
            .nodes
            .first()
            .and_then(|leaves| leaves.get(index as usize).copied())
    }

    /// Appends `leaf` at the next free position and returns that position.
    pub fn push(&mut self, leaf: B256) -> Result<u32, TreeError> {
        let levels = self.levels_mut();
        let len = levels.len();
        let index = u32::try_from(len).map_err(|_| TreeError::Full)?;
        levels.leaves_mut().push(leaf);
        levels.dirty.push(index);
        Ok(index)
    }

    /// Overwrites the leaf at `index`, or appends it when `index == len`.
    pub fn set(&mut self, index: u32, leaf: B256) -> Result<(), TreeError> {
        let levels = self.levels_mut();
        let len = levels.len();
        match u64::from(index) {
            i if i < len => {
                levels.leaves_mut()[index as usize] = leaf;
                levels.dirty.push(index);
                Ok(())
            }
            i if i == len && len < TREE_CAPACITY => self.push(leaf).map(|_| ()),
            i => Err(TreeError::Gap { index: i, len }),
        }
    }

    /// Drops every leaf at or past `len`; those positions read `Z[0]` again.
    pub fn truncate(&mut self, len: u64) {
        let levels = self.levels_mut();
        if len >= levels.len() {
            return;
        }
        for (k, level) in levels.nodes.iter_mut().enumerate() {
            level.truncate(width(len, k));
        }
        levels.dirty.retain(|&i| u64::from(i) < len);
        // The ancestors of the new last leaf are exactly the nodes that lost a
        // child; rehashing its path repairs them.
        if let Some(last) = len.checked_sub(1) {
            levels.dirty.push(last as u32);
        }
    }

    /// The root: `Z[32]` when empty.
    pub fn root(&self) -> B256 {
        let mut levels = self.lock();
        levels.rehash();
        levels
            .nodes
            .get(TREE_DEPTH)
            .and_then(|top| top.first().copied())
            .unwrap_or(empty_subtrees()[TREE_DEPTH])
    }

    /// The 32 siblings of position `index`, which may be empty (past `len`).
    pub fn proof(&self, index: u32) -> Siblings {
        let mut levels = self.lock();
        levels.rehash();
        let z = empty_subtrees();
        let mut siblings = [B256::ZERO; TREE_DEPTH];
        for (k, sibling) in siblings.iter_mut().enumerate() {
            let position = ((index >> k) ^ 1) as usize;
            *sibling = levels
                .nodes
                .get(k)
                .and_then(|level| level.get(position).copied())
                .unwrap_or(z[k]);
        }
        siblings
    }

    fn lock(&self) -> MutexGuard<'_, Levels> {
        // Rehashing cannot panic half-way, so a poisoned lock still holds a
        // consistent tree.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn levels_mut(&mut self) -> &mut Levels {
        self.inner.get_mut().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Nodes of level `k` covering `len` leaves: `ceil(len / 2^k)`.
fn width(len: u64, k: usize) -> usize {
    if len == 0 {
        0
    } else {
        (((len - 1) >> k) + 1) as usize
    }
}

impl Levels {
    fn len(&self) -> u64 {
        self.nodes.first().map_or(0, |leaves| leaves.len() as u64)
    }

    fn leaves_mut(&mut self) -> &mut Vec<B256> {
        if self.nodes.is_empty() {
            self.nodes.resize_with(TREE_DEPTH + 1, Vec::new);
        }
        &mut self.nodes[0]
    }

    /// Recomputes the ancestors of every dirty leaf, each node once.
    fn rehash(&mut self) {
        if self.dirty.is_empty() {
            return;
        }
        let len = self.len();
        let z = empty_subtrees();
        let dirty = &mut self.dirty;
        dirty.sort_unstable();
        dirty.dedup();
        for k in 0..TREE_DEPTH {
            let (lower, upper) = self.nodes.split_at_mut(k + 1);
            let (children, parents) = (&lower[k], &mut upper[0]);
            parents.resize(width(len, k + 1), B256::ZERO);
            let mut kept = 0;
            for read in 0..dirty.len() {
                let parent = dirty[read] >> 1;
                if kept > 0 && dirty[kept - 1] == parent {
                    continue;
                }
                let left = children.get(2 * parent as usize).unwrap_or(&z[k]);
                let right = children.get(2 * parent as usize + 1).unwrap_or(&z[k]);
                parents[parent as usize] = state_node(left, right);
                dirty[kept] = parent;
                kept += 1;
            }
            dirty.truncate(kept);
        }
        dirty.clear();
    }
}

impl Clone for MerkleTree {
    fn clone(&self) -> Self {
        Self {
            inner: Mutex::new(self.lock().clone()),
        }
    }
}

impl core::fmt::Debug for MerkleTree {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MerkleTree")
            .field("len", &self.len())
            .field("root", &self.root())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Root of a tree by full recomputation, for comparison.
    fn naive_root(leaves: &[B256]) -> B256 {
        let z = empty_subtrees();
        let mut level = leaves.to_vec();
        for zk in z.iter().take(TREE_DEPTH) {
            if level.len() % 2 == 1 {
                level.push(*zk);
            }
            level = level.chunks(2).map(|p| state_node(&p[0], &p[1])).collect();
        }
        level.first().copied().unwrap_or(z[TREE_DEPTH])
    }

    fn leaf(i: u8) -> B256 {
        B256::repeat_byte(i)
    }

    #[test]
    fn empty_root_is_z32() {
        assert_eq!(MerkleTree::new().root(), empty_subtrees()[32]);
    }

    #[test]
    fn lazy_root_matches_naive_root_after_writes() {
        let mut tree = MerkleTree::new();
        let mut leaves = Vec::new();
        for i in 0..13u8 {
            tree.push(leaf(i + 1)).unwrap();
            leaves.push(leaf(i + 1));
            if i % 3 == 0 {
                assert_eq!(tree.root(), naive_root(&leaves));
            }
        }
        tree.set(4, leaf(99)).unwrap();
        tree.set(4, leaf(98)).unwrap();
        leaves[4] = leaf(98);
        assert_eq!(tree.root(), naive_root(&leaves));
    }

    #[test]
    fn truncate_restores_earlier_root() {
        let mut tree = MerkleTree::new();
        for i in 0..5u8 {
            tree.push(leaf(i + 1)).unwrap();
        }
        let before = tree.root();
        tree.push(leaf(50)).unwrap();
        tree.push(leaf(51)).unwrap();
        assert_ne!(tree.root(), before);
        tree.truncate(5);
        assert_eq!(tree.root(), before);
        tree.truncate(0);
        assert_eq!(tree.root(), empty_subtrees()[32]);
    }

    #[test]
    fn proofs_fold_to_root_including_empty_positions() {
        let mut tree = MerkleTree::new();
        for i in 0..7u8 {
            tree.push(leaf(i + 1)).unwrap();
        }
        let root = tree.root();
        for i in 0..7u32 {
            assert_eq!(root_from_proof(leaf(i as u8 + 1), i, &tree.proof(i)), root);
        }
        assert_eq!(
            root_from_proof(empty_subtrees()[0], 7, &tree.proof(7)),
            root
        );
        assert_eq!(
            root_from_proof(empty_subtrees()[0], u32::MAX, &tree.proof(u32::MAX)),
            root
        );
        assert_ne!(root_from_proof(leaf(2), 0, &tree.proof(0)), root);
    }

    #[test]
    fn set_past_end_is_a_gap() {
        let mut tree = MerkleTree::new();
        assert_eq!(
            tree.set(1, leaf(1)),
            Err(TreeError::Gap { index: 1, len: 0 })
        );
        tree.set(0, leaf(1)).unwrap();
        assert_eq!(tree.len(), 1);
    }
}
