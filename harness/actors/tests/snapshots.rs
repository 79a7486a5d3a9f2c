//! Deploy once, reset between cases: an L1 snapshot restores the chain
//! (queue, batches, balances, time) and the devnet's sequencer restarts from
//! the restored chain, so the next case commits batch 1 again as if the
//! devnet were new. System property tests rest on this; a revert that
//! silently failed would make every later case run against the wrong state.

use alloy::primitives::U256;
use bulwark_actors::devnet::{Devnet, DevnetConfig};
use bulwark_chain::{
    balance_of,
    bindings::{Bridge, Rollup},
    dispute::l1_time,
    node::{L1Kind, advance_time, revert_to},
};
use bulwark_engine::NEW_ACCOUNT;

const ETH: u128 = 10u128.pow(18);

async fn reset_between_cases(l1: L1Kind) {
    let config = DevnetConfig {
        l1,
        ..DevnetConfig::default()
    };
    let mut devnet = Devnet::start(&config).await.expect("devnet");
    let d = devnet.deployment.clone();
    let alice = devnet.users[0].clone();
    let provider = alice.l1.provider.clone();
    let rollup = Rollup::new(d.rollup, &provider);
    let bridge = Bridge::new(d.bridge, &provider);
    let balance_at_start = balance_of(&provider, None, alice.address()).await.unwrap();
    let time_at_start = l1_time(&provider).await.unwrap();

    for case in 0..3u64 {
        let start = devnet.snapshot().await.expect("snapshot");
        // Each case deposits a different amount and commits batch 1.
        let amount = (case + 1) as u128 * ETH;
        alice
            .deposit_eth(&d, amount, NEW_ACCOUNT)
            .await
            .expect("deposit");
        let report = devnet.sequencer.commit(vec![]).await.expect("commit");
        assert_eq!(report.batch, 1, "case {case} starts from genesis");
        assert_eq!(report.messages, 1, "case {case} sees only its own deposit");
        advance_time(&provider, d.params.window + 1).await.unwrap();

        devnet.restore(start).await.expect("restore");
        assert_eq!(rollup.tip().call().await.unwrap(), 0, "case {case}: tip");
        assert_eq!(bridge.messageCount().call().await.unwrap(), 0, "queue");
        let balance = balance_of(&provider, None, alice.address()).await.unwrap();
        assert_eq!(balance, balance_at_start, "case {case}: alice's ETH");
        let held = balance_of(&provider, None, d.bridge).await.unwrap();
        assert_eq!(held, U256::ZERO, "case {case}: the Bridge holds nothing");
        assert!(
            l1_time(&provider).await.unwrap() < time_at_start + d.params.window,
            "case {case}: L1 time went back"
        );
        assert_eq!(
            devnet.sequencer.tip(),
            0,
            "the sequencer restarted at genesis"
        );

        // A consumed snapshot cannot be reverted to again.
        let err = revert_to(&provider, start).await.expect_err("consumed");
        assert!(format!("{err}").contains("no longer holds"), "{err}");
    }
}

#[tokio::test]
async fn anvil_snapshots_reset_the_devnet_between_cases() {
    reset_between_cases(L1Kind::Anvil).await;
}

#[tokio::test]
async fn hardhat_snapshots_reset_the_devnet_between_cases() {
    reset_between_cases(L1Kind::Hardhat).await;
}
