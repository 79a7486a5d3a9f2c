//! What a defender reveals in a dispute game (PROTOCOL §14): any node of a
//! trace tree, the nodes some levels below it, and the opening of a step
//! against it. All read the levels hashed once when the tree was built.
//!
//! A [`TraceTree`] is built over any post-roots: an executed [`Trace`] holds
//! the honest one, and a batch's claim (whatever its committer computed, or
//! forged) is one too, so defender and challenger read both the same way.

use alloy_primitives::B256;

use super::{Trace, TraceError, TracePosition};
use crate::hash::trace_node;

/// The Merkle tree of `tnode` over a trace's post-roots `p_0 .. p_{T−1}`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceTree {
    /// The leaves (height 0).
    leaves: Vec<B256>,
    /// `upper[h − 1]` holds the `T / 2^h` nodes at height `h`.
    upper: Vec<Vec<B256>>,
}

impl TraceTree {
    /// The tree over `post_roots`, whose number must be a power of two.
    pub fn new(post_roots: Vec<B256>) -> Result<Self, TraceError> {
        if !post_roots.len().is_power_of_two() {
            return Err(TraceError::NotPowerOfTwo(post_roots.len()));
        }
        let mut upper: Vec<Vec<B256>> = Vec::new();
        loop {
            let below = upper.last().map_or(post_roots.as_slice(), Vec::as_slice);
            if below.len() <= 1 {
                break;
            }
            let level = below
                .chunks_exact(2)
                .map(|pair| trace_node(&pair[0], &pair[1]))
                .collect();
            upper.push(level);
        }
        Ok(Self {
            leaves: post_roots,
            upper,
        })
    }

    /// The post-roots.
    pub fn leaves(&self) -> &[B256] {
        &self.leaves
    }

    /// The trace root.
    pub fn root(&self) -> B256 {
        self.node(TracePosition::ROOT).unwrap_or_default()
    }

    /// `d = log2 T`, the depth of the trace tree.
    pub fn depth(&self) -> u32 {
        self.upper.len() as u32
    }

    /// The hashes at `height` above the leaves (0: the post-roots).
    fn level(&self, height: u32) -> Option<&[B256]> {
        match height {
            0 => Some(&self.leaves),
            h => self.upper.get(h as usize - 1).map(Vec::as_slice),
        }
    }

    /// The hash of node `position`: `p_j` at leaf `2^d + j`, the trace root at 1;
    /// `None` below the leaves.
    pub fn node(&self, position: TracePosition) -> Option<B256> {
        let height = self.depth().checked_sub(position.depth())?;
        let index = usize::try_from(position.index_at_depth()).ok()?;
        self.level(height)?.get(index).copied()
    }

    /// The hashes `levels` levels below `position`, left to right: `2^s` of
    /// them with `s = min(levels, d − δ)` (the leaves stop the descent).
    /// `levels = 0` gives the node itself; `None` below the leaves.
    pub fn descendants(&self, position: TracePosition, levels: u32) -> Option<&[B256]> {
        let above_leaves = self.depth().checked_sub(position.depth())?;
        let s = levels.min(above_leaves);
        let width = 1usize << s;
        let first = usize::try_from(position.index_at_depth())
            .ok()?
            .checked_mul(width)?;
        self.level(above_leaves - s)?
            .get(first..first.checked_add(width)?)
    }

    /// The opening of step `step` against `position`: its `d − δ` siblings,
    /// leaf level first, which fold from `p_step` to the node's hash with
    /// [`trace_root_from_proof`](super::trace_root_from_proof). `None` unless
    /// the node covers the step.
    pub fn opening(&self, step: usize, position: TracePosition) -> Option<Vec<B256>> {
        let d = self.depth();
        if !position.covers(d, step as u64) {
            return None;
        }
        (0..d - position.depth())
            .map(|height| self.level(height)?.get((step >> height) ^ 1).copied())
            .collect()
    }
}

impl Trace {
    /// The trace tree over the post-roots.
    pub fn tree(&self) -> &TraceTree {
        &self.tree
    }

    /// `d = log2 T`, the depth of the trace tree.
    pub fn depth(&self) -> u32 {
        self.tree.depth()
    }

    /// See [`TraceTree::node`].
    pub fn node(&self, position: TracePosition) -> Option<B256> {
        self.tree.node(position)
    }

    /// See [`TraceTree::descendants`].
    pub fn descendants(&self, position: TracePosition, levels: u32) -> Option<&[B256]> {
        self.tree.descendants(position, levels)
    }

    /// See [`TraceTree::opening`].
    pub fn opening(&self, step: usize, position: TracePosition) -> Option<Vec<B256>> {
        self.tree.opening(step, position)
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::Address;

    use super::*;
    use crate::batch::Batch;
    use crate::eip712::Domain;
    use crate::hash::trace_node;
    use crate::message::{L1Message, MessageKind, NEW_ACCOUNT};
    use crate::primitives::TokenId;
    use crate::state::State;
    use crate::trace::{trace, trace_root_from_proof};

    /// A trace of `steps` deposits, padded to a power of two.
    fn deposits(steps: u64) -> Trace {
        let messages: Vec<_> = (0..steps)
            .map(|index| L1Message {
                index,
                kind: MessageKind::Deposit,
                sender: Address::repeat_byte(1),
                target: NEW_ACCOUNT,
                token: TokenId(0),
                amount: 10 + u128::from(index),
                queued_at: 0,
            })
            .collect();
        let domain = Domain::new(1, Address::ZERO);
        trace(&State::genesis(), &domain, &messages, &Batch::default())
            .unwrap()
            .0
    }

    /// Every position of a tree of depth `d`.
    fn positions(d: u32) -> impl Iterator<Item = TracePosition> {
        (1..1u64 << (d + 1)).filter_map(TracePosition::new)
    }

    /// Folds a level of `2^s` hashes up to their root.
    fn fold_up(mut level: Vec<B256>) -> B256 {
        while level.len() > 1 {
            level = level
                .chunks_exact(2)
                .map(|pair| trace_node(&pair[0], &pair[1]))
                .collect();
        }
        level[0]
    }

    #[test]
    fn every_node_is_the_fold_of_its_descendants() {
        for steps in [1, 2, 3, 5, 8] {
            let trace = deposits(steps);
            let d = trace.depth();
            assert_eq!(1 << d, trace.len());
            for g in positions(d) {
                let node = trace.node(g).unwrap();
                for levels in 0..=d + 1 {
                    let below = trace.descendants(g, levels).unwrap();
                    let s = levels.min(d - g.depth());
                    assert_eq!(below.len(), 1 << s, "{g}, {levels} levels");
                    assert_eq!(fold_up(below.to_vec()), node, "{g}, {levels} levels");
                }
                if let (Some(l), Some(r)) = (g.child(1, 0), g.child(1, 1))
                    && !g.is_leaf(d)
                {
                    let (l, r) = (trace.node(l).unwrap(), trace.node(r).unwrap());
                    assert_eq!(trace_node(&l, &r), node);
                }
            }
            for (j, p) in trace.post_roots().iter().enumerate() {
                let leaf = TracePosition::leaf(d, j as u64).unwrap();
                assert_eq!(trace.node(leaf), Some(*p));
                assert!(leaf.is_leaf(d));
            }
            assert_eq!(trace.node(TracePosition::ROOT), Some(trace.root()));
        }
    }

    #[test]
    fn openings_fold_to_their_node() {
        for steps in [1, 2, 6] {
            let trace = deposits(steps);
            let d = trace.depth();
            for g in positions(d) {
                let node = trace.node(g).unwrap();
                for (j, p) in trace.post_roots().iter().enumerate() {
                    let opening = trace.opening(j, g);
                    if g.covers(d, j as u64) {
                        let opening = opening.unwrap();
                        assert_eq!(opening.len() as u32, d - g.depth());
                        assert_eq!(trace_root_from_proof(*p, j as u64, &opening), node, "{g}");
                    } else {
                        assert_eq!(opening, None, "{g} does not cover step {j}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_single_step_trace_is_its_own_root() {
        let trace = deposits(1);
        let p0 = trace.post_roots()[0];
        assert_eq!(trace.depth(), 0);
        assert_eq!(trace.root(), p0);
        assert_eq!(trace.node(TracePosition::ROOT), Some(p0));
        assert_eq!(trace.descendants(TracePosition::ROOT, 3), Some(&[p0][..]));
        assert_eq!(trace.opening(0, TracePosition::ROOT), Some(vec![]));
        assert_eq!(trace.opening(1, TracePosition::ROOT), None);
    }

    #[test]
    fn positions_outside_the_tree_are_rejected() {
        let trace = deposits(4);
        let below = TracePosition::at(3, 0).unwrap();
        assert_eq!(trace.node(below), None);
        assert_eq!(trace.descendants(below, 1), None);
        assert_eq!(trace.opening(0, below), None);
        assert_eq!(trace.opening(4, TracePosition::ROOT), None);
        let deep = TracePosition::at(63, u64::MAX >> 1).unwrap();
        assert_eq!(trace.node(deep), None);
        assert_eq!(trace.descendants(deep, 63), None);
        assert_eq!(trace.opening(usize::MAX, deep), None);
    }
}
