//! The L1 follower services read history with, on anvil: incremental polls
//! in small pages agree with a whole-history read; nothing is seen before
//! its confirmations; a reorg that removes blocks already read rolls the
//! follower back, and what the new chain holds is read instead.

use alloy::{
    providers::{Provider, ext::AnvilApi},
    rpc::types::anvil::ReorgOptions,
};
use bulwark_actors::devnet::{Devnet, DevnetConfig};
use bulwark_chain::{
    follow::{Confirmations, FollowConfig, Follower},
    history::{self, Blocks},
};
use bulwark_engine::NEW_ACCOUNT;

const MILLI: u128 = 1_000_000_000_000_000;

fn pages(range: u64, confirmations: Confirmations) -> FollowConfig {
    FollowConfig {
        confirmations,
        max_range: range,
    }
}

#[tokio::test]
async fn incremental_pages_agree_with_a_whole_read() {
    let mut net = Devnet::start(&DevnetConfig::default()).await.unwrap();
    let provider = net.deployer.provider.clone();
    let d = net.deployment.clone();
    let mut follower = Follower::new(&d, pages(2, Confirmations::Depth(0)));

    for i in 0..3 {
        net.users[i]
            .deposit_eth(&d, MILLI, NEW_ACCOUNT)
            .await
            .unwrap();
    }
    net.sequencer.commit(Vec::new()).await.unwrap();
    let first = follower.poll(&provider).await.unwrap();
    assert_eq!((first.messages, first.commits), (3, 1));
    assert_eq!(first.rolled_back_from, None);

    net.users[0].deposit_eth(&d, MILLI, 0).await.unwrap();
    net.sequencer.commit(Vec::new()).await.unwrap();
    let second = follower.poll(&provider).await.unwrap();
    assert_eq!(
        (second.messages, second.commits),
        (1, 1),
        "only what is new"
    );
    let idle = follower.poll(&provider).await.unwrap();
    assert_eq!((idle.messages, idle.commits), (0, 0));

    let blocks = Blocks::to_head(&provider, d.deploy_block).await.unwrap();
    let whole = history::read_messages(&provider, d.bridge, blocks)
        .await
        .unwrap();
    assert_eq!(follower.messages().cloned().collect::<Vec<_>>(), whole);
    let batches = history::read_batches(&provider, d.rollup, blocks, u64::MAX)
        .await
        .unwrap();
    let followed: Vec<_> = follower
        .batches()
        .into_iter()
        .map(|b| (b.index, b.tx))
        .collect();
    assert_eq!(
        followed,
        batches.iter().map(|b| (b.index, b.tx)).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn nothing_is_seen_before_its_confirmations() {
    let net = Devnet::start(&DevnetConfig::default()).await.unwrap();
    let provider = net.deployer.provider.clone();
    let d = net.deployment.clone();
    let mut follower = Follower::new(&d, pages(1_000, Confirmations::Depth(3)));
    net.users[0]
        .deposit_eth(&d, MILLI, NEW_ACCOUNT)
        .await
        .unwrap();
    assert_eq!(follower.poll(&provider).await.unwrap().messages, 0);
    provider.anvil_mine(Some(2), None).await.unwrap();
    assert_eq!(
        follower.poll(&provider).await.unwrap().messages,
        0,
        "two blocks deep"
    );
    provider.anvil_mine(Some(1), None).await.unwrap();
    assert_eq!(
        follower.poll(&provider).await.unwrap().messages,
        1,
        "three blocks deep"
    );
}

#[tokio::test]
async fn a_reorg_rolls_the_follower_back() {
    let net = Devnet::start(&DevnetConfig::default()).await.unwrap();
    let provider = net.deployer.provider.clone();
    let d = net.deployment.clone();
    let mut follower = Follower::new(&d, pages(1_000, Confirmations::Depth(0)));
    net.users[0]
        .deposit_eth(&d, MILLI, NEW_ACCOUNT)
        .await
        .unwrap();
    let queued = net.users[1]
        .deposit_eth(&d, 2 * MILLI, NEW_ACCOUNT)
        .await
        .unwrap();
    assert_eq!(follower.poll(&provider).await.unwrap().messages, 2);

    // The block holding bob's deposit is replaced by an empty one.
    let head = provider.get_block_number().await.unwrap();
    assert_eq!(queued.sent.block, head);
    provider
        .anvil_reorg(ReorgOptions {
            depth: 1,
            tx_block_pairs: Vec::new(),
        })
        .await
        .unwrap();
    let after = follower.poll(&provider).await.unwrap();
    assert!(
        after.rolled_back_from.is_some_and(|b| b <= head),
        "{after:?}"
    );
    let amounts: Vec<u128> = follower.messages().map(|m| m.amount).collect();
    assert_eq!(amounts, [MILLI], "bob's deposit is gone with its block");

    // What the new chain holds is read from there on.
    net.users[2]
        .deposit_eth(&d, 3 * MILLI, NEW_ACCOUNT)
        .await
        .unwrap();
    follower.poll(&provider).await.unwrap();
    let indexed: Vec<(u64, u128)> = follower.messages().map(|m| (m.index, m.amount)).collect();
    assert_eq!(indexed, [(0, MILLI), (1, 3 * MILLI)]);
}

#[tokio::test]
async fn a_deploy_block_after_the_first_message_is_named() {
    let net = Devnet::start(&DevnetConfig::default()).await.unwrap();
    let provider = net.deployer.provider.clone();
    let d = net.deployment.clone();
    net.users[0]
        .deposit_eth(&d, MILLI, NEW_ACCOUNT)
        .await
        .unwrap();
    let mut late = d.clone();
    late.deploy_block = provider.get_block_number().await.unwrap() + 1;
    net.users[1]
        .deposit_eth(&d, MILLI, NEW_ACCOUNT)
        .await
        .unwrap();

    let mut follower = Follower::new(&late, pages(1_000, Confirmations::Depth(0)));
    let err = follower.poll(&provider).await.unwrap_err().to_string();
    assert!(
        err.contains("first message read")
            && err.contains(&format!("deployBlock {}", late.deploy_block))
            && err.contains("index 1"),
        "{err}"
    );
    let mut honest = Follower::new(&d, pages(1_000, Confirmations::Depth(0)));
    assert_eq!(honest.poll(&provider).await.unwrap().messages, 2);
}
