//! `bulwark demo --censor`, run silently on anvil: the sequencer censors a
//! forced withdrawal past its deadline, a keeper freezes the rollup at the
//! last final batch, every later action is refused with its own error, and
//! the exit helper pays each user exactly what that batch owes them (pending
//! deposits refunded, transfers of the dropped batches gone) until the
//! Bridge holds nothing.

use alloy::primitives::U256;
use bulwark_actors::{
    devnet::DevnetConfig,
    scenario::{censor, error_name},
    transcript::Transcript,
};

const ETH: u128 = 10u128.pow(18);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn censorship_demo_freezes_and_everyone_exits_on_anvil() {
    let config = DevnetConfig {
        users: censor::USERS.map(String::from).to_vec(),
        ..DevnetConfig::default()
    };
    let mut transcript = Transcript::silent();
    let outcomes = match censor::run(&config, &mut transcript).await {
        Ok(outcomes) => outcomes,
        Err(e) => panic!(
            "censorship scenario failed: {e}\ntranscript:\n{}",
            render(&transcript)
        ),
    };
    assert!(
        outcomes.failed_checks.is_empty(),
        "failed checks: {:?}\ntranscript:\n{}",
        outcomes.failed_checks,
        render(&transcript)
    );

    // Batch 1 was final, batches 2 and 3 pending: the freeze pins 1 and drops both.
    assert_eq!(outcomes.tip_at_freeze, 3, "the tip when the keeper froze");
    assert_eq!(outcomes.pinned, 1, "the pinned batch is the last final one");

    // Each user's L1 gain, read from the chain, is exactly what batch 1 owes
    // them: alice 5 − 2 − 1 = 2 ETH in her account plus her unpaid 1 ETH
    // withdrawal, and her 100 BDT; bob 1 + 2 = 3 ETH (his forced withdrawal,
    // never consumed, changes nothing); carol both her deposits back, which
    // batch 1 never consumed. The transfers of batches 2 and 3 are gone.
    let expected = [
        ("alice", "ETH", 3 * ETH),
        ("alice", "BDT", 100 * ETH),
        ("bob", "ETH", 3 * ETH),
        ("bob", "BDT", 0),
        ("carol", "ETH", 3 * ETH),
        ("carol", "BDT", 50 * ETH),
    ];
    assert_eq!(outcomes.gains.len(), expected.len(), "{:?}", outcomes.gains);
    for (user, symbol, amount) in expected {
        let gain = outcomes
            .gains
            .iter()
            .find(|g| g.user == user && g.symbol == symbol)
            .unwrap_or_else(|| panic!("no gain recorded for {user} {symbol}"));
        assert_eq!(gain.gained, U256::from(amount), "{user}'s L1 {symbol} gain");
        assert_eq!(
            gain.owed, gain.gained,
            "{user}'s {symbol}: owed by the pinned batch"
        );
    }

    // Nothing is left behind.
    assert_eq!(outcomes.bridge_after.len(), 2, "ETH and BDT");
    for (symbol, held) in &outcomes.bridge_after {
        assert_eq!(*held, U256::ZERO, "the Bridge ends with 0 {symbol}");
    }

    // Every payout went through, within the gas targets of PROTOCOL §16.
    let exits: Vec<u32> = outcomes.gas.exits.iter().map(|(i, _)| *i).collect();
    assert_eq!(exits, vec![0, 1, 2], "alice's ETH and BDT, bob's ETH");
    let withdrawals: Vec<u32> = outcomes.gas.withdrawals.iter().map(|(i, _)| *i).collect();
    assert_eq!(withdrawals, vec![0], "alice's withdrawal from batch 1");
    let refunds: Vec<u64> = outcomes.gas.refunds.iter().map(|(i, _)| *i).collect();
    assert_eq!(
        refunds,
        vec![3, 5],
        "carol's two deposits; bob's forced withdrawal (message 4) carries nothing"
    );
    for (index, gas) in &outcomes.gas.exits {
        assert!(*gas <= 100_000, "exit of account {index} cost {gas} gas");
    }
    assert!(
        outcomes.gas.forced_withdrawal <= 60_000,
        "the forced request cost {} gas",
        outcomes.gas.forced_withdrawal
    );
    assert!(
        outcomes.gas.freeze < 1 << 24,
        "the freeze fits EIP-7825's cap"
    );

    // Each refused action reverted with its own error.
    let refused: Vec<(&str, &str)> = outcomes
        .refused
        .iter()
        .map(|(action, error)| (action.as_str(), error_name(error)))
        .collect();
    assert_eq!(
        refused,
        vec![
            ("an early freeze", "NotOverdue"),
            ("a commit", "RollupFrozen"),
            ("a finalization", "RollupFrozen"),
            ("a deposit", "QueueClosed"),
            ("a forced withdrawal", "QueueClosed"),
            ("a guardian pause", "RollupFrozen"),
            ("a sequencer rotation", "RollupFrozen"),
            ("a second exit", "AlreadyExited"),
            ("an unstake", "StakeLocked"),
        ]
    );
}

fn render(transcript: &Transcript) -> String {
    transcript
        .events()
        .iter()
        .map(|e| format!("{e}\n"))
        .collect()
}
