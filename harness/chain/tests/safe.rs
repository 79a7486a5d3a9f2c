//! A real Safe 1.4.1 on anvil, acting with its owners' signatures: set up as
//! asked, the digest owners sign equal to the contract's, calls made as the
//! Safe, and refusals and reverts named.

use alloy::{
    network::EthereumWallet,
    primitives::{Address, Bytes, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
    sol_types::{SolCall, SolEvent, SolInterface},
};
use bulwark_chain::{
    ChainError, Multisig, SafeFactory,
    bindings::{DemoToken, Safe},
    deploy_demo_token, deploy_safe,
    node::{DEV_KEYS, L1Kind, L1Node, dev_signer},
};

/// Owners 3 of whom must sign: dev keys 5..10, whose addresses are not in
/// ascending order, so signing in key order would be refused.
const THRESHOLD: u64 = 3;

fn owners() -> Vec<PrivateKeySigner> {
    (5..DEV_KEYS.len())
        .map(|i| dev_signer(i).unwrap())
        .collect()
}

/// A fresh anvil and a provider relaying from dev key 0, which is no owner.
async fn node() -> (L1Node, DynProvider) {
    let node = L1Node::start(L1Kind::Anvil).await.unwrap();
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(dev_signer(0).unwrap()))
        .connect_http(node.endpoint().parse().unwrap())
        .erased();
    (node, provider)
}

#[tokio::test]
async fn safe_is_set_up_as_asked_and_signs_its_own_digest() {
    let (_node, provider) = node().await;
    let multisig = Multisig::deploy(&provider, owners(), THRESHOLD)
        .await
        .unwrap();
    let safe = Safe::new(multisig.address(), &provider);

    assert_eq!(safe.VERSION().call().await.unwrap(), "1.4.1");
    let mut on_chain = safe.getOwners().call().await.unwrap();
    on_chain.sort();
    assert_eq!(on_chain, multisig.signers());
    assert_eq!(on_chain.len(), 5);
    assert_eq!(
        safe.getThreshold().call().await.unwrap(),
        U256::from(THRESHOLD)
    );
    assert_eq!(safe.nonce().call().await.unwrap(), U256::ZERO);
    assert_eq!(
        safe.domainSeparator().call().await.unwrap(),
        multisig.domain().separator()
    );

    // A non-trivial transaction, so that every field is hashed.
    let tx = multisig.transaction(
        Address::repeat_byte(0xaa),
        U256::from(7),
        Bytes::from_static(b"\x12\x34\x56\x78 guardian"),
        U256::from(42),
    );
    let on_chain = safe
        .getTransactionHash(
            tx.to,
            tx.value,
            tx.data.clone(),
            tx.operation,
            tx.safeTxGas,
            tx.baseGas,
            tx.gasPrice,
            tx.gasToken,
            tx.refundReceiver,
            tx.nonce,
        )
        .call()
        .await
        .unwrap();
    assert_eq!(multisig.tx_hash(&tx), on_chain);
}

#[tokio::test]
async fn safe_acts_with_threshold_signatures_and_names_failures() {
    let (_node, provider) = node().await;
    let multisig = Multisig::deploy(&provider, owners(), THRESHOLD)
        .await
        .unwrap();
    let safe_address = multisig.address();
    let safe = Safe::new(safe_address, &provider);
    let token = deploy_demo_token(&provider, "Demo", "DEMO").await.unwrap();
    let demo = DemoToken::new(token, &provider);
    let recipient = Address::repeat_byte(0x77);
    demo.mint(safe_address, U256::from(100))
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();

    // `transfer` moves msg.sender's tokens: the Safe's balance paying proves
    // the token saw the Safe, not the relayer, as the caller.
    let transfer = DemoToken::transferCall {
        to: recipient,
        value: U256::from(40),
    };
    let sent = multisig
        .exec(&provider, token, transfer.abi_encode().into())
        .await
        .unwrap();
    println!(
        "execTransaction (3-of-5, ERC20 transfer) gas used: {}",
        sent.gas_used
    );
    assert_eq!(
        demo.balanceOf(recipient).call().await.unwrap(),
        U256::from(40)
    );
    assert_eq!(
        demo.balanceOf(safe_address).call().await.unwrap(),
        U256::from(60)
    );
    let moved = sent
        .receipt
        .inner
        .logs()
        .iter()
        .find_map(|log| DemoToken::Transfer::decode_log(&log.inner).ok())
        .unwrap();
    assert_eq!((moved.from, moved.to), (safe_address, recipient));
    assert!(
        sent.receipt
            .inner
            .logs()
            .iter()
            .any(|log| log.address() == safe_address
                && log.topics()[0] == Safe::ExecutionSuccess::SIGNATURE_HASH)
    );
    assert_eq!(safe.nonce().call().await.unwrap(), U256::from(1));

    // Two owners' keys are not enough: the Safe refuses, and spends no nonce.
    let short = Multisig::new(
        safe_address,
        provider.get_chain_id().await.unwrap(),
        owners().into_iter().take(2).collect(),
    );
    let err = short
        .exec(&provider, token, transfer.abi_encode().into())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ChainError::SafeRefused { code, .. } if code == "GS020"),
        "{err}"
    );
    assert_eq!(safe.nonce().call().await.unwrap(), U256::from(1));

    // The target's revert comes back decodable, naming the Safe as sender.
    let too_much = DemoToken::transferCall {
        to: recipient,
        value: U256::from(1_000),
    };
    let err = multisig
        .exec(&provider, token, too_much.abi_encode().into())
        .await
        .unwrap_err();
    println!("{err}");
    let ChainError::SafeCallReverted {
        safe: from,
        to,
        data,
        ..
    } = &err
    else {
        panic!("expected SafeCallReverted, got {err}");
    };
    assert_eq!((*from, *to), (safe_address, token));
    let decoded =
        DemoToken::DemoTokenErrors::abi_decode(data.as_ref().expect("revert data")).unwrap();
    let DemoToken::DemoTokenErrors::ERC20InsufficientBalance(e) = decoded else {
        panic!("expected ERC20InsufficientBalance, got {decoded:?}");
    };
    assert_eq!(
        (e.sender, e.balance, e.needed),
        (safe_address, U256::from(60), U256::from(1_000))
    );
    assert_eq!(safe.nonce().call().await.unwrap(), U256::from(1));

    // A signature over the wrong nonce recovers to a stranger.
    let stale = multisig.transaction(token, U256::ZERO, transfer.abi_encode().into(), U256::ZERO);
    let signatures = multisig.sign(&stale, THRESHOLD as usize).unwrap();
    let current = multisig.transaction(
        token,
        U256::ZERO,
        transfer.abi_encode().into(),
        U256::from(1),
    );
    let err = multisig
        .submit(&provider, &current, signatures)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ChainError::SafeRefused { code, .. } if code == "GS026"),
        "{err}"
    );
}

#[tokio::test]
async fn bad_setups_are_named_before_anything_is_sent() {
    let (_node, provider) = node().await;
    let owners: Vec<Address> = owners().iter().map(|s| s.address()).collect();
    for (owners, threshold) in [
        (owners.clone(), 0),
        (owners.clone(), 6),
        (vec![owners[0], owners[1], owners[0]], 2),
        (vec![owners[0], Address::ZERO], 1),
    ] {
        let err = deploy_safe(&provider, &owners, threshold)
            .await
            .unwrap_err();
        assert!(matches!(err, ChainError::SafeSetup(_)), "{err}");
    }
    let relayer = dev_signer(0).unwrap().address();
    assert_eq!(provider.get_transaction_count(relayer).await.unwrap(), 0);

    // One factory serves many Safes; the salt keeps equal setups apart.
    let factory = SafeFactory::deploy(&provider).await.unwrap();
    let a = factory
        .create_safe(&provider, &owners, 2, U256::ZERO)
        .await
        .unwrap();
    let b = factory
        .create_safe(&provider, &owners, 2, U256::from(1))
        .await
        .unwrap();
    assert_ne!(a, b);
    for safe in [a, b] {
        let code = provider.get_code_at(safe).await.unwrap();
        assert!(!code.is_empty());
        let threshold = Safe::new(safe, &provider)
            .getThreshold()
            .call()
            .await
            .unwrap();
        assert_eq!(threshold, U256::from(2));
    }
}
