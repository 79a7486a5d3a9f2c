//! Witnesses agree with the stateful engine, and tampering is caught.

use alloy_primitives::{Address, B256};
use k256::ecdsa::SigningKey;

use super::*;
use crate::eip712::Transfer;
use crate::hash::empty_subtrees;
use crate::leaf::WithdrawalLeaf;
use crate::message::{MessageKind, NEW_ACCOUNT};
use crate::outcome::{Outcome, SkipReason};
use crate::params::TREE_CAPACITY;
use crate::primitives::{AccountIndex, TokenId, WithdrawalIndex};
use crate::record::SignedTransfer;
use crate::signature::address_of;
use crate::trace::trace;
use crate::tree::MerkleTree;

fn key(i: u8) -> SigningKey {
    SigningKey::from_bytes(&[i + 1; 32].into()).unwrap()
}

fn domain() -> Domain {
    Domain::new(31337, Address::repeat_byte(0x42))
}

fn message(index: u64, kind: MessageKind, sender: u8, target: u64, amount: u128) -> L1Message {
    L1Message {
        index,
        kind,
        sender: address_of(&key(sender)),
        target,
        token: TokenId(0),
        amount,
        queued_at: 0,
    }
}

fn transfer(signer: u8, from: u32, to: u32, amount: u128, fee: u128, nonce: u32) -> RecordBytes {
    let tx = Transfer {
        from: AccountIndex(from),
        to: AccountIndex(to),
        token: TokenId(0),
        amount,
        fee,
        nonce,
    };
    SignedTransfer::sign(tx, &domain(), &key(signer)).encode()
}

/// Two accounts, a fee recipient, a forced withdrawal, then transfers.
fn sample() -> (Vec<L1Message>, Batch) {
    let messages = vec![
        message(0, MessageKind::Deposit, 0, NEW_ACCOUNT, 100),
        message(1, MessageKind::Deposit, 1, NEW_ACCOUNT, 100),
        message(2, MessageKind::Deposit, 1, 1, 5),
        message(3, MessageKind::ForcedWithdrawal, 1, 1, 5),
    ];
    let header = Header::new(vec![(TokenId(0), AccountIndex(1))]).unwrap();
    let records = vec![
        transfer(0, 0, 1, 10, 2, 0),
        transfer(0, 0, 0, 1, 1, 1),
        transfer(1, 0, 1, 1, 0, 0),
        [0; 128],
    ];
    (messages, Batch::new(header, records).unwrap())
}

#[test]
fn every_step_verifies_to_the_traced_post_root() {
    let (messages, batch) = sample();
    let genesis = State::genesis();
    let (trace, _) = trace(&genesis, &domain(), &messages, &batch).unwrap();
    for i in 0..trace.len() {
        let witness = witness(&genesis, &domain(), &messages, &batch, i).unwrap();
        let anchor = step_anchor(&messages, &batch, i).unwrap();
        let pre = trace.pre_root_of(i).unwrap();
        let (post, outcome) = verify_step_outcome(pre, &domain(), &anchor, &witness).unwrap();
        assert_eq!(post, trace.post_roots()[i], "step {i}");
        assert_eq!(outcome, trace.outcomes()[i], "step {i}");
    }
    assert_eq!(
        witness(&genesis, &domain(), &messages, &batch, 8),
        Err(WitnessBuildError::StepOutOfRange { index: 8, len: 8 })
    );
}

#[test]
fn tampered_witnesses_are_rejected() {
    let (messages, batch) = sample();
    let genesis = State::genesis();
    let (trace, _) = trace(&genesis, &domain(), &messages, &batch).unwrap();
    let step = 4; // the first transfer: three account openings
    let good = witness(&genesis, &domain(), &messages, &batch, step).unwrap();
    let anchor = step_anchor(&messages, &batch, step).unwrap();
    let pre = trace.pre_root_of(step).unwrap();
    let check = |w: &StepWitness| verify_step(pre, &domain(), &anchor, w);
    assert_eq!(good.openings.len(), 3);
    assert!(check(&good).is_ok());

    assert!(matches!(
        verify_step(B256::ZERO, &domain(), &anchor, &good),
        Err(WitnessError::PreimageMismatch { .. })
    ));
    let mut w = good.clone();
    if let Opening::Account { siblings, .. } = &mut w.openings[1] {
        siblings[0] = B256::repeat_byte(1);
    }
    assert!(matches!(
        check(&w),
        Err(WitnessError::BadProof { position: 1, .. })
    ));
    let mut w = good.clone();
    w.openings.pop();
    assert_eq!(check(&w), Err(WitnessError::MissingOpening { position: 2 }));
    let mut w = good.clone();
    w.openings.push(w.openings[0]);
    assert_eq!(check(&w), Err(WitnessError::UnusedOpenings(1)));
    let mut w = good.clone();
    if let StepInput::Record { header, .. } = &mut w.input {
        *header = Header::default();
    }
    assert!(matches!(
        check(&w),
        Err(WitnessError::RecordProofMismatch { .. })
    ));
    let mut w = good.clone();
    if let StepInput::Record { record, .. } = &mut w.input {
        record[5] ^= 1;
    }
    assert!(matches!(
        check(&w),
        Err(WitnessError::RecordProofMismatch { .. })
    ));
    assert_eq!(
        verify_step(pre, &domain(), &StepAnchor::Identity, &good),
        Err(WitnessError::StepKindMismatch)
    );
    let message_anchor = StepAnchor::Message { hash: B256::ZERO };
    let message_witness = witness(&genesis, &domain(), &messages, &batch, 0).unwrap();
    assert!(matches!(
        verify_step(
            trace.pre_root(),
            &domain(),
            &message_anchor,
            &message_witness
        ),
        Err(WitnessError::MessageMismatch { .. })
    ));
}

/// A pre-state the in-memory engine cannot reach: counters at the tree capacity.
fn crafted(next_account_index: u64, withdrawal_count: u64) -> StatePreimage {
    StatePreimage {
        accounts_root: B256::repeat_byte(0x11),
        withdrawals_root: empty_subtrees()[32],
        next_account_index,
        msgs_consumed: 7,
        withdrawal_count,
    }
}

fn deposit_witness(pre: StatePreimage, openings: Vec<Opening>) -> (StepWitness, StepAnchor) {
    let message = message(7, MessageKind::Deposit, 0, NEW_ACCOUNT, 9);
    (
        StepWitness {
            pre,
            input: StepInput::Message(message),
            openings,
        },
        StepAnchor::Message {
            hash: message.hash(),
        },
    )
}

#[test]
fn deposit_into_a_full_account_tree_returns_to_the_sender() {
    let pre = crafted(TREE_CAPACITY, 0);
    let empty = MerkleTree::new();
    let (w, anchor) = deposit_witness(
        pre,
        vec![Opening::EmptyWithdrawal {
            siblings: empty.proof(0),
        }],
    );
    let (post, outcome) = verify_step_outcome(pre.root(), &domain(), &anchor, &w).unwrap();
    let mut withdrawals = MerkleTree::new();
    let leaf = WithdrawalLeaf {
        index: WithdrawalIndex(0),
        recipient: address_of(&key(0)),
        token: TokenId(0),
        amount: 9,
    };
    withdrawals.push(leaf.hash()).unwrap();
    let expected = StatePreimage {
        withdrawals_root: withdrawals.root(),
        msgs_consumed: 8,
        withdrawal_count: 1,
        ..pre
    };
    assert_eq!((post, outcome), (expected.root(), Outcome::Applied));
}

#[test]
fn deposit_into_two_full_trees_only_consumes_the_message() {
    let pre = crafted(TREE_CAPACITY, TREE_CAPACITY);
    let (w, anchor) = deposit_witness(pre, vec![]);
    let (post, outcome) = verify_step_outcome(pre.root(), &domain(), &anchor, &w).unwrap();
    assert_eq!(outcome, Outcome::Skipped(SkipReason::WithdrawalsFull));
    assert_eq!(
        post,
        StatePreimage {
            msgs_consumed: 8,
            ..pre
        }
        .root()
    );
}

#[test]
fn exhausted_nonce_is_skipped() {
    let owner = address_of(&key(0));
    let leaf = AccountLeaf {
        owner,
        token: TokenId(0),
        balance: 50,
        nonce: u32::MAX,
    };
    let mut accounts = MerkleTree::new();
    accounts.push(leaf.hash()).unwrap();
    let pre = StatePreimage {
        accounts_root: accounts.root(),
        next_account_index: 1,
        ..crafted(1, 0)
    };
    let batch = Batch::new(Header::default(), vec![transfer(0, 0, 0, 1, 0, u32::MAX)]).unwrap();
    let input = StepInput::Record {
        position: 0,
        record: batch.records()[0],
        path: batch.record_proof(0).unwrap(),
        header: Header::default(),
    };
    let w = StepWitness {
        pre,
        input,
        openings: vec![Opening::Account {
            leaf,
            siblings: accounts.proof(0),
        }],
    };
    let anchor = StepAnchor::Record {
        position: 0,
        data_root: batch.data_root(),
    };
    let (post, outcome) = verify_step_outcome(pre.root(), &domain(), &anchor, &w).unwrap();
    assert_eq!(
        (post, outcome),
        (pre.root(), Outcome::Skipped(SkipReason::NonceExhausted))
    );
}

#[test]
fn every_witness_round_trips_through_its_bytes() {
    let (messages, batch) = sample();
    let genesis = State::genesis();
    for i in 0..8 {
        let w = witness(&genesis, &domain(), &messages, &batch, i).unwrap();
        let anchor = step_anchor(&messages, &batch, i).unwrap();
        let bytes = w.encode();
        assert_eq!(bytes.len(), w.encoded_len(), "step {i}");
        assert_eq!(&bytes[..PRE_SIZE], &w.pre.encode()[..], "step {i}");
        assert_eq!(
            StepWitness::decode(&bytes, anchor.input_kind()),
            Ok(w),
            "step {i}"
        );
    }
    // Step 4, the first transfer: a one-entry header and three account openings.
    let w = witness(&genesis, &domain(), &messages, &batch, 4).unwrap();
    assert_eq!(w.encode().len(), 88 + 421 + 8 + 3 * ACCOUNT_OPENING_SIZE);
    assert_eq!(ACCOUNT_OPENING_SIZE, 1069);
    assert_eq!(EMPTY_OPENING_SIZE, 1025);
    // Step 0 creates an account: the message, then one empty-account opening.
    let w = witness(&genesis, &domain(), &messages, &batch, 0).unwrap();
    let bytes = w.encode();
    assert_eq!(bytes.len(), 88 + 65 + 1025);
    assert_eq!(&bytes[88..153], &messages[0].encode()[..]);
    assert_eq!(bytes[153], 2);
    // Three messages make a trace of four: step 3 is an identity step, `pre` alone.
    let w = witness(&genesis, &domain(), &messages[..3], &Batch::default(), 3).unwrap();
    assert_eq!(w.input, StepInput::Identity);
    assert_eq!(w.encode(), w.pre.encode().to_vec());
}

#[test]
fn malformed_witness_bytes_are_named() {
    use crate::header::HeaderError;
    use crate::witness::{WitnessDecodeError as E, WitnessField as F};
    let (messages, batch) = sample();
    let genesis = State::genesis();
    let transfer = witness(&genesis, &domain(), &messages, &batch, 4)
        .unwrap()
        .encode();
    let deposit = witness(&genesis, &domain(), &messages, &batch, 0)
        .unwrap()
        .encode();
    let decode = |bytes: &[u8], kind| StepWitness::decode(bytes, kind);

    assert_eq!(
        decode(&transfer[..10], InputKind::Record),
        Err(E::Truncated {
            field: F::Pre,
            offset: 0,
            needed: 88,
            available: 10
        })
    );
    assert_eq!(
        decode(&deposit[..100], InputKind::Message),
        Err(E::Truncated {
            field: F::Message,
            offset: 88,
            needed: 65,
            available: 12
        })
    );
    let mut bad_kind = deposit.clone();
    bad_kind[96] = 3;
    assert_eq!(
        decode(&bad_kind, InputKind::Message),
        Err(E::UnknownMessageKind {
            offset: 96,
            kind: 3
        })
    );
    let mut bad_opening = deposit.clone();
    bad_opening[153] = 4;
    assert_eq!(
        decode(&bad_opening, InputKind::Message),
        Err(E::UnknownOpeningKind {
            offset: 153,
            kind: 4
        })
    );
    assert_eq!(
        decode(&deposit[..deposit.len() - 1], InputKind::Message),
        Err(E::Truncated {
            field: F::Siblings,
            offset: 154,
            needed: 1024,
            available: 1023
        })
    );
    // The header length byte sits at 88 + 420.
    let with_length = |length: u8| {
        let mut bytes = transfer[..508].to_vec();
        bytes.push(length);
        bytes.extend_from_slice(&[0u8; 200]);
        decode(&bytes, InputKind::Record)
    };
    let header_error = |error| E::BadHeader { offset: 509, error };
    assert_eq!(with_length(7), Err(header_error(HeaderError::Length(7))));
    assert_eq!(
        with_length(136),
        Err(header_error(HeaderError::TooManyEntries(17)))
    );
    assert!(matches!(
        with_length(16),
        Err(E::BadHeader {
            error: HeaderError::NotIncreasing { .. },
            ..
        })
    ));
    assert_eq!(
        with_length(255),
        Err(E::Truncated {
            field: F::Header,
            offset: 509,
            needed: 255,
            available: 200
        })
    );
    // A message witness read as an identity step: the message bytes are taken
    // as openings, and the first byte (of the index) is no opening kind.
    assert_eq!(
        decode(&deposit, InputKind::Identity),
        Err(E::UnknownOpeningKind {
            offset: 88,
            kind: 0
        })
    );
    // Openings an identity step does not use decode, and verification refuses them.
    let identity = witness(&genesis, &domain(), &messages[..3], &Batch::default(), 3).unwrap();
    let mut bytes = identity.encode();
    bytes.extend_from_slice(&deposit[153..]);
    let extra = decode(&bytes, InputKind::Identity).unwrap();
    assert_eq!(extra.openings.len(), 1);
    assert_eq!(
        verify_step(
            identity.pre.root(),
            &domain(),
            &StepAnchor::Identity,
            &extra
        ),
        Err(WitnessError::UnusedOpenings(1))
    );
}
