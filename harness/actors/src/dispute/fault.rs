//! What a dishonest sequencer commits instead of the truth (PROTOCOL §14): a
//! claimed trace and post-state derived from the honest ones by a chosen
//! fault, so tests can place the lie at any step and of any shape.

use alloy::primitives::{Address, B256, keccak256};
use bulwark_engine::{
    AccountLeaf, State, StatePreimage, TokenId, Trace, TraceTree, WithdrawalIndex, WithdrawalLeaf,
};

/// Where and how a committed batch lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Post-roots from `step` on are wrong, and the state root commits to a
    /// post-state that invents a withdrawal of `amount` wei to `thief`.
    PostRootFrom {
        /// First wrong step (clamped to the trace).
        step: usize,
        /// Who the invented withdrawal pays.
        thief: Address,
        /// How much it pays, in wei of ETH.
        amount: u128,
    },
    /// The trace is honest; the state root alone commits to a post-state with
    /// an invented withdrawal (trace root and state root disagree).
    StateRootOnly {
        /// Who the invented withdrawal pays.
        thief: Address,
        /// How much it pays.
        amount: u128,
    },
    /// The state root is honest, but the post-root of `step` (not the last)
    /// is wrong (trace root and state root disagree the other way).
    TraceOnly {
        /// The wrong step.
        step: usize,
    },
    /// Every post-root is garbage, and so is the state root's post-state.
    GarbageTrace {
        /// Who the invented withdrawal pays.
        thief: Address,
        /// How much it pays.
        amount: u128,
    },
}

/// What a batch claims: the trace tree it commits to and the post-state
/// preimage whose hash is its state root.
#[derive(Clone, Debug)]
pub struct Claim {
    /// The committed trace tree.
    pub tree: TraceTree,
    /// The committed post-state preimage.
    pub post: StatePreimage,
}

impl Claim {
    /// The truth: the honest trace and post-state.
    pub fn honest(trace: &Trace, post: &State) -> Self {
        Self {
            tree: trace.tree().clone(),
            post: post.preimage(),
        }
    }

    /// The lie `fault` tells about a batch whose honest trace is `trace`.
    pub fn forged(trace: &Trace, post: &State, fault: Fault) -> Self {
        let honest = trace.post_roots();
        let last = honest.len() - 1;
        let garbage =
            |j: usize| keccak256([b"bulwark forged step".as_slice(), &j.to_be_bytes()].concat());
        let mut leaves = honest.to_vec();
        let post = match fault {
            Fault::PostRootFrom {
                step,
                thief,
                amount,
            } => {
                let forged = theft(post, thief, amount);
                for (j, leaf) in leaves.iter_mut().enumerate().skip(step.min(last)) {
                    *leaf = garbage(j);
                }
                leaves[last] = forged.root();
                forged
            }
            Fault::StateRootOnly { thief, amount } => theft(post, thief, amount),
            Fault::TraceOnly { step } => {
                // The last leaf stays the honest state root; a lone wrong leaf before it.
                let step = step.min(last.saturating_sub(1));
                if step < last {
                    leaves[step] = garbage(step);
                }
                post.preimage()
            }
            Fault::GarbageTrace { thief, amount } => {
                let forged = theft(post, thief, amount);
                for (j, leaf) in leaves.iter_mut().enumerate() {
                    *leaf = garbage(j);
                }
                forged
            }
        };
        // `leaves` keeps the honest trace's length, a power of two.
        let tree = TraceTree::new(leaves).unwrap_or_else(|_| trace.tree().clone());
        Self { tree, post }
    }

    /// The claimed trace root.
    pub fn trace_root(&self) -> B256 {
        self.tree.root()
    }
}

/// `post` with one more withdrawal leaf: `amount` of ETH to `thief`, out of
/// nothing. A batch claiming it would let the thief drain the Bridge.
fn theft(post: &State, thief: Address, amount: u128) -> StatePreimage {
    let accounts: Vec<AccountLeaf> = post.accounts().map(|(_, leaf)| *leaf).collect();
    let mut withdrawals: Vec<WithdrawalLeaf> = post.withdrawals().copied().collect();
    withdrawals.push(WithdrawalLeaf {
        index: WithdrawalIndex(withdrawals.len() as u32),
        recipient: thief,
        token: TokenId::ETH,
        amount,
    });
    match State::from_leaves(accounts, withdrawals, post.msgs_consumed()) {
        Ok(state) => state.preimage(),
        // A full withdrawal tree cannot take the theft; lie about the root instead.
        Err(_) => StatePreimage {
            withdrawals_root: keccak256(b"bulwark forged withdrawals"),
            ..post.preimage()
        },
    }
}
