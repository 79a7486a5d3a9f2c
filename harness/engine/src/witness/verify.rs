//! The stateless verifier: the STF over a witness's openings and a running
//! root. It fails only when a proof or the preimage does not match.

use core::fmt;

use alloy_primitives::B256;

use super::{Opening, StepAnchor, StepInput, StepWitness};
use crate::batch::records_root_from_proof;
use crate::eip712::Domain;
use crate::hash::{data_root, empty_subtrees};
use crate::header::Header;
use crate::leaf::{AccountLeaf, StatePreimage, WithdrawalLeaf};
use crate::outcome::Outcome;
use crate::primitives::AccountIndex;
use crate::stf::{Ledger, Step, execute};
use crate::tree::{Siblings, root_from_proof};

/// The kind of an [`Opening`], for error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpeningKind {
    /// [`Opening::Account`].
    Account,
    /// [`Opening::EmptyAccount`].
    EmptyAccount,
    /// [`Opening::EmptyWithdrawal`].
    EmptyWithdrawal,
}

impl fmt::Display for OpeningKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Account => "account",
            Self::EmptyAccount => "empty account position",
            Self::EmptyWithdrawal => "empty withdrawal position",
        })
    }
}

/// Why a witness does not prove its step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WitnessError {
    /// The preimage does not hash to the pre-root.
    #[error("preimage hashes to {found}, not the pre-root {pre_root}")]
    PreimageMismatch {
        /// The agreed pre-root.
        pre_root: B256,
        /// Hash of the witness's preimage.
        found: B256,
    },
    /// The witness's input is another kind of step than the anchor's.
    #[error("witness input is not the kind of step the chain expects")]
    StepKindMismatch,
    /// The message does not hash to the bridge's stored hash.
    #[error("message hashes to {found}, bridge stores {anchored}")]
    MessageMismatch {
        /// Hash stored by the bridge.
        anchored: B256,
        /// Hash of the witness's message.
        found: B256,
    },
    /// The record is at another position than the step's.
    #[error("record position {found}, step needs {anchored}")]
    RecordPositionMismatch {
        /// Position the step reads.
        anchored: u32,
        /// Position the witness proves.
        found: u32,
    },
    /// The record path and header do not prove the batch's `dataRoot`.
    #[error("record proof gives data root {found}, batch has {anchored}")]
    RecordProofMismatch {
        /// The batch's data root.
        anchored: B256,
        /// Data root the proof folds to.
        found: B256,
    },
    /// The STF needed another opening than the witness has.
    #[error("opening {position} is missing")]
    MissingOpening {
        /// Position in the witness's openings.
        position: usize,
    },
    /// The STF needed another kind of opening.
    #[error("opening {position} should be an {expected} opening")]
    UnexpectedOpening {
        /// Position in the witness's openings.
        position: usize,
        /// The kind the STF needed.
        expected: OpeningKind,
    },
    /// An opening does not fold to the running root.
    #[error("opening {position} ({kind} at {index}) does not fold to the running root")]
    BadProof {
        /// Position in the witness's openings.
        position: usize,
        /// The kind of opening.
        kind: OpeningKind,
        /// Tree position proven.
        index: u64,
    },
    /// The witness has openings the STF did not use.
    #[error("{0} openings left unused")]
    UnusedOpenings(usize),
    /// The preimage's `msgsConsumed` cannot grow.
    #[error("msgsConsumed overflows")]
    CounterOverflow,
    /// The STF wrote an account it had not just read (an engine bug, not bad input).
    #[error("write to account {0} without a read")]
    WriteWithoutRead(AccountIndex),
}

/// Checks `witness` against `pre_root` and the chain's `anchor`, executes its
/// step, and returns the post-root.
pub fn verify_step(
    pre_root: B256,
    domain: &Domain,
    anchor: &StepAnchor,
    witness: &StepWitness,
) -> Result<B256, WitnessError> {
    verify_step_outcome(pre_root, domain, anchor, witness).map(|(root, _)| root)
}

/// [`verify_step`], also returning what the step did.
pub fn verify_step_outcome(
    pre_root: B256,
    domain: &Domain,
    anchor: &StepAnchor,
    witness: &StepWitness,
) -> Result<(B256, Outcome), WitnessError> {
    let found = witness.pre.root();
    if found != pre_root {
        return Err(WitnessError::PreimageMismatch { pre_root, found });
    }
    let no_header = Header::default();
    let (step, header) = match (&witness.input, anchor) {
        (StepInput::Message(message), StepAnchor::Message { hash }) => {
            let found = message.hash();
            if found != *hash {
                return Err(WitnessError::MessageMismatch {
                    anchored: *hash,
                    found,
                });
            }
            (Step::Message(*message), &no_header)
        }
        (
            StepInput::Record {
                position,
                record,
                path,
                header,
            },
            StepAnchor::Record {
                position: anchored,
                data_root: root,
            },
        ) => {
            if position != anchored {
                return Err(WitnessError::RecordPositionMismatch {
                    anchored: *anchored,
                    found: *position,
                });
            }
            let found = data_root(
                &header.hash(),
                &records_root_from_proof(record, *position, path),
            );
            if found != *root {
                return Err(WitnessError::RecordProofMismatch {
                    anchored: *root,
                    found,
                });
            }
            (Step::Record(*record), header)
        }
        (StepInput::Identity, StepAnchor::Identity) => (Step::Identity, &no_header),
        _ => return Err(WitnessError::StepKindMismatch),
    };
    let mut verifier = Verifier::new(witness.pre, &witness.openings);
    let outcome = execute(&mut verifier, domain, header, &step)?;
    let unused = witness.openings.len() - verifier.used;
    if unused > 0 {
        return Err(WitnessError::UnusedOpenings(unused));
    }
    Ok((verifier.running.root(), outcome))
}

/// A ledger made of a running preimage and the witness's openings.
struct Verifier<'w> {
    running: StatePreimage,
    saved: StatePreimage,
    openings: &'w [Opening],
    used: usize,
    last_read: Option<(AccountIndex, &'w Siblings)>,
}

impl<'w> Verifier<'w> {
    fn new(pre: StatePreimage, openings: &'w [Opening]) -> Self {
        Self {
            running: pre,
            saved: pre,
            openings,
            used: 0,
            last_read: None,
        }
    }

    fn next_opening(&mut self) -> Result<(usize, &'w Opening), WitnessError> {
        let position = self.used;
        let opening = self
            .openings
            .get(position)
            .ok_or(WitnessError::MissingOpening { position })?;
        self.used += 1;
        Ok((position, opening))
    }

    /// Takes the next opening as an empty position `index` under `root` and
    /// returns `root` with `leaf` written there.
    fn fill_empty(
        &mut self,
        kind: OpeningKind,
        index: u64,
        root: B256,
        leaf: B256,
    ) -> Result<B256, WitnessError> {
        let (position, opening) = self.next_opening()?;
        let siblings = match (kind, opening) {
            (OpeningKind::EmptyAccount, Opening::EmptyAccount { siblings })
            | (OpeningKind::EmptyWithdrawal, Opening::EmptyWithdrawal { siblings }) => siblings,
            _ => {
                return Err(WitnessError::UnexpectedOpening {
                    position,
                    expected: kind,
                });
            }
        };
        let bad = WitnessError::BadProof {
            position,
            kind,
            index,
        };
        let index = u32::try_from(index).map_err(|_| bad)?;
        if root_from_proof(empty_subtrees()[0], index, siblings) != root {
            return Err(bad);
        }
        Ok(root_from_proof(leaf, index, siblings))
    }
}

impl Ledger for Verifier<'_> {
    type Error = WitnessError;

    fn next_account_index(&self) -> u64 {
        self.running.next_account_index
    }

    fn withdrawal_count(&self) -> u64 {
        self.running.withdrawal_count
    }

    fn read_account(&mut self, index: AccountIndex) -> Result<Option<AccountLeaf>, WitnessError> {
        let (position, opening) = self.next_opening()?;
        let Opening::Account { leaf, siblings } = opening else {
            return Err(WitnessError::UnexpectedOpening {
                position,
                expected: OpeningKind::Account,
            });
        };
        if root_from_proof(leaf.hash(), index.0, siblings) != self.running.accounts_root {
            return Err(WitnessError::BadProof {
                position,
                kind: OpeningKind::Account,
                index: u64::from(index.0),
            });
        }
        self.last_read = Some((index, siblings));
        Ok(Some(*leaf))
    }

    fn write_account(
        &mut self,
        index: AccountIndex,
        leaf: &AccountLeaf,
    ) -> Result<(), WitnessError> {
        match self.last_read {
            Some((read, siblings)) if read == index => {
                self.running.accounts_root = root_from_proof(leaf.hash(), index.0, siblings);
                Ok(())
            }
            _ => Err(WitnessError::WriteWithoutRead(index)),
        }
    }

    fn create_account(&mut self, leaf: &AccountLeaf) -> Result<(), WitnessError> {
        let index = self.running.next_account_index;
        let root = self.running.accounts_root;
        self.running.accounts_root =
            self.fill_empty(OpeningKind::EmptyAccount, index, root, leaf.hash())?;
        self.running.next_account_index += 1;
        self.last_read = None;
        Ok(())
    }

    fn append_withdrawal(&mut self, leaf: &WithdrawalLeaf) -> Result<(), WitnessError> {
        let index = self.running.withdrawal_count;
        let root = self.running.withdrawals_root;
        self.running.withdrawals_root =
            self.fill_empty(OpeningKind::EmptyWithdrawal, index, root, leaf.hash())?;
        self.running.withdrawal_count += 1;
        Ok(())
    }

    fn consume_message(&mut self) -> Result<(), WitnessError> {
        self.running.msgs_consumed = self
            .running
            .msgs_consumed
            .checked_add(1)
            .ok_or(WitnessError::CounterOverflow)?;
        Ok(())
    }

    fn checkpoint(&mut self) {
        self.saved = self.running;
    }

    fn revert(&mut self) -> Result<(), WitnessError> {
        self.running = self.saved;
        self.last_read = None;
        Ok(())
    }
}
