//! Positions in a trace tree (PROTOCOL §14.1): generalized indices.

use core::fmt;
use core::ops::Range;

/// Deepest tree a position can name below: `g` at depth 63 is the largest `u64` power.
const MAX_DEPTH: u32 = 63;

/// A node of a trace tree by its generalized index `g = 2^δ + i`: depth `δ`
/// below the root, index `i` at that depth. The root is 1; 0 names nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TracePosition(u64);

impl TracePosition {
    /// The root, `g = 1`.
    pub const ROOT: Self = Self(1);

    /// The position `g`; `None` for 0, which names no node.
    pub fn new(g: u64) -> Option<Self> {
        (g != 0).then_some(Self(g))
    }

    /// Node `index` at `depth` below the root; `None` unless `index < 2^depth` and `depth ≤ 63`.
    pub fn at(depth: u32, index: u64) -> Option<Self> {
        if depth > MAX_DEPTH || index >> depth != 0 {
            return None;
        }
        Some(Self((1 << depth) | index))
    }

    /// Leaf `2^d + step` of a tree of depth `d`: step `step`'s post-root.
    pub fn leaf(d: u32, step: u64) -> Option<Self> {
        Self::at(d, step)
    }

    /// The generalized index `g`.
    pub fn get(self) -> u64 {
        self.0
    }

    /// Depth `δ` below the root (the root is at 0).
    pub fn depth(self) -> u32 {
        self.0.ilog2()
    }

    /// Index `i` among the nodes at its depth.
    pub fn index_at_depth(self) -> u64 {
        self.0 ^ (1 << self.depth())
    }

    /// Child `c` (`< 2^levels`) `levels` below: `g·2^levels + c`; `None` past depth 63.
    pub fn child(self, levels: u32, c: u64) -> Option<Self> {
        let depth = self.depth().checked_add(levels)?;
        if depth > MAX_DEPTH || c >> levels != 0 {
            return None;
        }
        Some(Self((self.0 << levels) | c))
    }

    /// The node one level up; `None` for the root.
    pub fn parent(self) -> Option<Self> {
        Self::new(self.0 >> 1)
    }

    /// Whether this is a leaf (a step) of a tree of depth `d`.
    pub fn is_leaf(self, d: u32) -> bool {
        self.depth() == d
    }

    /// The steps this node covers in a tree of depth `d`: `i·2^(d−δ) .. (i+1)·2^(d−δ)`;
    /// `None` when the node is below the tree's leaves.
    pub fn steps(self, d: u32) -> Option<Range<u64>> {
        let depth = self.depth();
        if depth > d || d > MAX_DEPTH {
            return None;
        }
        let width = 1u64 << (d - depth);
        let first = self.index_at_depth() << (d - depth);
        Some(first..first + width)
    }

    /// The first step this node covers in a tree of depth `d`.
    pub fn first_step(self, d: u32) -> Option<u64> {
        self.steps(d).map(|steps| steps.start)
    }

    /// The last step this node covers in a tree of depth `d` (inclusive).
    pub fn last_step(self, d: u32) -> Option<u64> {
        self.steps(d).map(|steps| steps.end - 1)
    }

    /// Whether this node covers step `step` in a tree of depth `d`.
    pub fn covers(self, d: u32, step: u64) -> bool {
        self.steps(d).is_some_and(|steps| steps.contains(&step))
    }
}

impl fmt::Display for TracePosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "position {} (depth {}, index {})",
            self.0,
            self.depth(),
            self.index_at_depth()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generalized_index_arithmetic() {
        assert_eq!(TracePosition::new(0), None);
        let root = TracePosition::ROOT;
        assert_eq!((root.depth(), root.index_at_depth()), (0, 0));
        assert_eq!(root.parent(), None);
        let g = TracePosition::at(2, 3).unwrap();
        assert_eq!(g.get(), 7);
        assert_eq!(g.parent(), TracePosition::new(3));
        assert_eq!(root.child(2, 3), Some(g));
        assert_eq!(g.child(3, 5).map(TracePosition::get), Some(7 * 8 + 5));
        assert_eq!(g.child(1, 2), None);
        assert_eq!(TracePosition::at(2, 4), None);
        assert_eq!(TracePosition::at(64, 0), None);
        assert_eq!(TracePosition::at(63, 0).unwrap().child(1, 0), None);
        // Depth 2 in a tree of depth 4: node 3 covers steps 12..16.
        assert_eq!(g.steps(4), Some(12..16));
        assert_eq!((g.first_step(4), g.last_step(4)), (Some(12), Some(15)));
        assert!(g.covers(4, 12) && !g.covers(4, 16));
        assert_eq!(g.steps(1), None);
        assert!(g.is_leaf(2) && !g.is_leaf(3));
        assert_eq!(
            TracePosition::leaf(4, 13)
                .unwrap()
                .parent()
                .unwrap()
                .parent(),
            Some(g)
        );
        assert_eq!(root.steps(0), Some(0..1));
    }
}
