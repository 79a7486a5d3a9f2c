//! Bulwark's L2 engine: everything `docs/PROTOCOL.md` defines, in pure Rust.
//!
//! The engine owns the state trees (§2–3), L1 messages (§4), EIP-712
//! transactions and the signature acceptance rule (§5), the record and header
//! codecs (§6), the state transition function (§7), batch traces, step
//! witnesses and their bytes (§8), derivation from L1 data (§12), and the
//! trace-tree reveals of a dispute game (§14). It performs no I/O.
//!
//! One STF implementation ([`stf::execute`]) runs over the narrow
//! [`stf::Ledger`] trait, so the stateful [`State`] and the stateless
//! [`witness::verify_step`] execute the same code.

#![warn(missing_docs)]

pub mod batch;
pub mod builder;
pub mod derive;
pub mod eip712;
pub mod hash;
pub mod header;
pub mod leaf;
pub mod message;
pub mod outcome;
pub mod params;
pub mod primitives;
pub mod record;
pub mod signature;
pub mod state;
pub mod stf;
pub mod trace;
pub mod tree;
pub mod witness;

pub use batch::{Batch, BatchError, RecordBytes, RecordPath, records_root_from_proof};
pub use builder::{BatchBuilder, BuildError, BuiltBatch};
pub use derive::{Derivation, DeriveError, DerivedBatch, derive};
pub use eip712::{Domain, Transfer, Withdraw};
pub use header::{Header, HeaderError};
pub use leaf::{AccountLeaf, StatePreimage, WithdrawalLeaf};
pub use message::{L1Message, MessageKind, NEW_ACCOUNT};
pub use outcome::{Outcome, SkipReason};
pub use primitives::{AccountIndex, TokenId, WithdrawalIndex};
pub use record::{Record, SignedTransfer, SignedWithdraw};
pub use state::{AccountProof, LeavesError, State, WithdrawalProof};
pub use stf::{Ledger, Step, apply_step};
pub use trace::{Trace, TraceError, TracePosition, TraceTree, trace, trace_root_from_proof};
pub use tree::{MerkleTree, Siblings, root_from_proof};
pub use witness::{
    InputKind, Opening, OpeningKind, StepAnchor, StepInput, StepWitness, WitnessBuildError,
    WitnessDecodeError, WitnessError, step_anchor, verify_step, verify_step_outcome, witness,
};

pub use alloy_primitives::{Address, B256, U256};
