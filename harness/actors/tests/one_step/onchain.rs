//! The two sides of the differential: the engine's `verify_step_outcome` and
//! the deployed `OneStepVerifier.execute` called with `eth_call`, each
//! reduced to a [`Verdict`] that can be compared with `==`.

use alloy::primitives::{Address, B256, Bytes};
use alloy::providers::DynProvider;
use bulwark_chain::bindings::OneStepVerifier::{
    self, OneStepVerifierErrors, OneStepVerifierInstance,
};
use bulwark_chain::dispute::SKIP_REASONS;
use bulwark_engine::witness::verify_step_outcome;
use bulwark_engine::{Domain, Outcome, StepAnchor, StepWitness, WitnessError};

/// What one side made of a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The step ran: its post-root and `"applied"` or the skip reason's name.
    Ran {
        /// The post-root.
        post_root: B256,
        /// `"applied"` or the §7.6 reason name.
        outcome: String,
    },
    /// The witness was rejected, with the one-step's error name.
    Rejected(String),
}

impl Verdict {
    /// Whether the step was skipped.
    pub fn skipped(&self) -> bool {
        matches!(self, Self::Ran { outcome, .. } if outcome != "applied")
    }
}

/// The engine's verdict on `witness`.
pub fn engine(
    pre_root: B256,
    domain: &Domain,
    anchor: &StepAnchor,
    witness: &StepWitness,
) -> (Verdict, Option<Outcome>) {
    match verify_step_outcome(pre_root, domain, anchor, witness) {
        Ok((post_root, outcome)) => (
            Verdict::Ran {
                post_root,
                outcome: outcome.name().to_owned(),
            },
            Some(outcome),
        ),
        Err(error) => (
            Verdict::Rejected(solidity_error_name(&error).to_owned()),
            None,
        ),
    }
}

/// The name of the one-step's error for an engine witness error (§8.2).
fn solidity_error_name(error: &WitnessError) -> &'static str {
    match error {
        WitnessError::PreimageMismatch { .. } => "PreimageMismatch",
        WitnessError::StepKindMismatch => "StepKindMismatch (no Solidity counterpart)",
        WitnessError::MessageMismatch { .. } => "MessageMismatch",
        WitnessError::RecordPositionMismatch { .. } => "RecordPositionMismatch",
        WitnessError::RecordProofMismatch { .. } => "RecordProofMismatch",
        WitnessError::MissingOpening { .. } => "MissingOpening",
        WitnessError::UnexpectedOpening { .. } => "UnexpectedOpening",
        WitnessError::BadProof { .. } => "BadProof",
        WitnessError::UnusedOpenings(_) => "UnusedWitnessBytes",
        WitnessError::CounterOverflow => "CounterOverflow",
        WitnessError::WriteWithoutRead(_) => "WriteWithoutRead (an engine bug)",
    }
}

/// The deployed one-step, called with `eth_call` only.
pub struct Verifier {
    contract: OneStepVerifierInstance<DynProvider>,
}

impl Verifier {
    /// The verifier at `address`, reached through `provider`.
    pub fn new(address: Address, provider: DynProvider) -> Self {
        Self {
            contract: OneStepVerifier::new(address, provider),
        }
    }

    /// `execute(preRoot, anchor, witness)` as a call; `Err` only when the
    /// node could not be asked (a revert is a verdict).
    pub async fn verdict(
        &self,
        pre_root: B256,
        anchor: &StepAnchor,
        witness: &[u8],
    ) -> Result<Verdict, String> {
        let call = self.contract.execute(
            pre_root,
            solidity_anchor(anchor),
            Bytes::copy_from_slice(witness),
        );
        match call.call().await {
            Ok(ret) => {
                // The engine spells `None` as "applied".
                let outcome = match SKIP_REASONS.get(usize::from(ret.reason)) {
                    Some(&"None") => "applied".to_owned(),
                    Some(name) => (*name).to_owned(),
                    None => format!("SkipReason({})", ret.reason),
                };
                Ok(Verdict::Ran {
                    post_root: ret.postRoot,
                    outcome,
                })
            }
            Err(error) => match error.as_decoded_interface_error::<OneStepVerifierErrors>() {
                Some(decoded) => Ok(Verdict::Rejected(error_name(&decoded))),
                None => Err(error.to_string()),
            },
        }
    }
}

/// The `StepAnchor` struct of `DisputeTypes.sol` (`AnchorKind`: Message, Record, Identity).
fn solidity_anchor(anchor: &StepAnchor) -> OneStepVerifier::StepAnchor {
    let (kind, hash, position) = match *anchor {
        StepAnchor::Message { hash } => (0, hash, 0),
        StepAnchor::Record {
            position,
            data_root,
        } => (1, data_root, position),
        StepAnchor::Identity => (2, B256::ZERO, 0),
    };
    OneStepVerifier::StepAnchor {
        kind,
        hash,
        position,
    }
}

/// The Solidity error's name: its variant, as `Debug` prints it.
fn error_name(error: &OneStepVerifierErrors) -> String {
    let debug = format!("{error:?}");
    debug.split('(').next().unwrap_or_default().to_owned()
}
