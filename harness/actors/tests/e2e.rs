//! The happy path end to end on both L1 clients: deposits, L2 transfers with
//! invalid ones among them, commits, a forced withdrawal consumed before its
//! deadline through a guardian pause, finality, withdrawals proven from a
//! state rebuilt from L1, and L1 balances matching L2 exactly. Running it on
//! Hardhat's node too shows nothing depends on anvil beyond time travel, and
//! that every transaction fits EIP-7825's 2^24 gas cap, which that node enforces.

use bulwark_actors::{
    devnet::{Devnet, DevnetConfig},
    scenario::happy_path,
    transcript::Transcript,
};
use bulwark_chain::node::L1Kind;

async fn run(l1: L1Kind) {
    let config = DevnetConfig {
        l1,
        ..DevnetConfig::default()
    };
    let mut transcript = Transcript::silent();
    let outcomes = match happy_path::run(&config, &mut transcript).await {
        Ok(outcomes) => outcomes,
        Err(e) => panic!(
            "happy path on {l1} failed: {e}\ntranscript:\n{}",
            render(&transcript)
        ),
    };
    assert!(
        outcomes.failed_checks.is_empty(),
        "failed checks on {l1}: {:?}",
        outcomes.failed_checks
    );
    assert_eq!(
        outcomes.batches, 4,
        "four batches committed and finalized (the fourth consumes the forced withdrawal)"
    );

    let reasons: Vec<&str> = outcomes
        .skipped
        .iter()
        .map(|(_, _, outcome)| outcome.skip_reason().map_or("applied", |r| r.name()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            "WrongSigner",
            "SignatureS",
            "Overdraft",
            "BadNonce",
            "UnknownKind"
        ],
        "each invalid transaction is skipped, in order, for its own reason"
    );

    const ETH: u128 = 10u128.pow(18);
    let mut paid: Vec<(u32, u128)> = outcomes
        .payouts
        .iter()
        .map(|(_, _, token, amount)| (*token, *amount))
        .collect();
    paid.sort();
    assert_eq!(
        paid,
        vec![
            (0, ETH / 2),
            (0, ETH),
            (0, 2 * ETH),
            (1, 75 * ETH),
            (1, 100 * ETH)
        ],
        "the four signed withdrawals and carol's forced one paid on L1"
    );
    assert!(
        outcomes.gas.forced_withdrawal > 0 && outcomes.gas.guardian_pause > 0,
        "the forced withdrawal and the guardian's pause were sent"
    );
    assert!(
        outcomes
            .gas
            .commits
            .iter()
            .all(|(_, _, gas)| *gas < 1 << 24),
        "every commit fits 2^24 gas"
    );
}

fn render(transcript: &Transcript) -> String {
    transcript
        .events()
        .iter()
        .map(|e| format!("{e}\n"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn happy_path_on_anvil() {
    run(L1Kind::Anvil).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn happy_path_on_hardhat() {
    run(L1Kind::Hardhat).await;
}

/// A sequencer that restarts rebuilds its state from L1 alone, agrees with the
/// one that ran before, and commits the next batch on top of the tip.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_sequencer_rebuilds_from_l1() {
    use bulwark_actors::sequencer::Sequencer;
    use bulwark_engine::{Header, NEW_ACCOUNT};

    let mut devnet = Devnet::start(&DevnetConfig::default())
        .await
        .expect("devnet");
    let d = devnet.deployment.clone();
    let alice = devnet.users[0].clone();
    alice
        .deposit_eth(&d, 10u128.pow(18), NEW_ACCOUNT)
        .await
        .expect("deposit");
    devnet
        .sequencer
        .commit(Vec::new())
        .await
        .expect("first commit");
    alice
        .deposit_eth(&d, 2 * 10u128.pow(18), 0)
        .await
        .expect("second deposit");

    let mut resumed = Sequencer::resume(
        devnet.sequencer.account().clone(),
        d.clone(),
        Header::default(),
    )
    .await
    .expect("resume from L1");
    assert_eq!(resumed.tip(), 1);
    assert_eq!(
        resumed.state().root(),
        devnet.sequencer.state().root(),
        "rebuilt state equals the live one"
    );

    let report = resumed
        .commit(Vec::new())
        .await
        .expect("commit after restart");
    assert_eq!(report.batch, 2);
    assert_eq!(
        report.messages, 1,
        "the resumed sequencer consumes the message queued while it was down"
    );
    let balance = resumed
        .state()
        .account(bulwark_engine::AccountIndex(0))
        .map(|a| a.balance);
    assert_eq!(balance, Some(3 * 10u128.pow(18)));
}
