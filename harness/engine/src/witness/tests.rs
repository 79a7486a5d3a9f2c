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
