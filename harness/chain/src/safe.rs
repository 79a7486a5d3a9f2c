//! The guardian as a real Safe (1.4.1) multisig: deploying one on a dev chain,
//! and having it act with its owners' signatures.
//!
//! Owners sign the Safe's EIP-712 `SafeTx` digest, computed here rather than
//! asked of the contract, so that a wrong nonce, chain or Safe address shows up
//! as a signature the Safe refuses, exactly as it would for a real wallet. Any
//! account relays the signed transaction; the Safe, not the relayer, is the
//! `msg.sender` its target sees.

use alloy::{
    contract::Error as ContractError,
    primitives::{Address, B256, Bytes, U256},
    providers::Provider,
    rpc::types::TransactionRequest,
    signers::{SignerSync, local::PrivateKeySigner},
    sol_types::{Eip712Domain, SolError, SolEvent, SolStruct, eip712_domain},
};

use crate::{
    ChainError, Sent,
    bindings::{Revert, Safe, SafeProxyFactory},
    send,
};

alloy::sol! {
    /// Safe 1.4.1's transaction as its owners sign it (`SAFE_TX_TYPEHASH`).
    #[derive(Debug, PartialEq, Eq)]
    struct SafeTx {
        /// The contract the Safe calls.
        address to;
        /// Wei the Safe sends with the call.
        uint256 value;
        /// The call's input.
        bytes data;
        /// 0 = call, 1 = delegatecall.
        uint8 operation;
        /// Gas reserved for the call; 0 = all there is, and a failure reverts.
        uint256 safeTxGas;
        /// Gas refunded on top of the call's (0: no refund).
        uint256 baseGas;
        /// Price of the refund (0: no refund).
        uint256 gasPrice;
        /// Token the refund is paid in (0: ETH).
        address gasToken;
        /// Who receives the refund (0: the relayer).
        address refundReceiver;
        /// The Safe's transaction counter: each signature is good once.
        uint256 nonce;
    }
}

/// `Enum.Operation.Call`: the Safe calls its target (never `DelegateCall`,
/// which would run the target's code on the Safe's own storage).
const CALL: u8 = 0;

/// The address a Safe's owner list uses as its linked-list head; never an owner.
const SENTINEL_OWNERS: Address = Address::with_last_byte(1);

/// The revert reason with which Safe 1.4.1 reports that the call it made
/// failed (when `safeTxGas` and `gasPrice` are 0, as here).
const INNER_CALL_FAILED: &str = "GS013";

/// The contracts every Safe on a chain shares: the singleton whose code each
/// Safe proxy runs, and the factory that creates the proxies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SafeFactory {
    /// The `Safe` singleton (its own storage is never used).
    pub singleton: Address,
    /// The `SafeProxyFactory`.
    pub factory: Address,
}

impl SafeFactory {
    /// Deploys the Safe singleton and the proxy factory from the wallet
    /// `provider` carries.
    pub async fn deploy<P: Provider + Clone>(provider: &P) -> Result<Self, ChainError> {
        let singleton = created(
            send(Safe::deploy_builder(provider.clone()), "deploy Safe").await?,
            "deploy Safe",
        )?;
        let factory = created(
            send(
                SafeProxyFactory::deploy_builder(provider.clone()),
                "deploy SafeProxyFactory",
            )
            .await?,
            "deploy SafeProxyFactory",
        )?;
        Ok(Self { singleton, factory })
    }

    /// Creates a Safe owned by `owners`, `threshold` of whom must sign each
    /// transaction, and returns its address. `salt` tells apart Safes with the
    /// same owners and threshold (the proxy is a CREATE2 of both).
    pub async fn create_safe<P: Provider>(
        &self,
        provider: &P,
        owners: &[Address],
        threshold: u64,
        salt: U256,
    ) -> Result<Address, ChainError> {
        // The factory swallows `setup`'s reason (it reverts with no data), so
        // what `setup` would refuse is checked here, where it can be named.
        check_setup(owners, threshold)?;
        let setup = Safe::setupCall {
            _owners: owners.to_vec(),
            _threshold: U256::from(threshold),
            // No module-setup call, no fallback handler, no deployment refund.
            to: Address::ZERO,
            data: Bytes::new(),
            fallbackHandler: Address::ZERO,
            paymentToken: Address::ZERO,
            payment: U256::ZERO,
            paymentReceiver: Address::ZERO,
        };
        let factory = SafeProxyFactory::new(self.factory, provider);
        let call = factory.createProxyWithNonce(
            self.singleton,
            alloy::sol_types::SolCall::abi_encode(&setup).into(),
            salt,
        );
        let label = "SafeProxyFactory.createProxyWithNonce";
        let sent = send(call, label).await?;
        // The mined transaction's event, not a return value from a simulation
        // that ran on an earlier state, says where the proxy is.
        let log = sent
            .receipt
            .inner
            .logs()
            .iter()
            .find(|log| {
                log.address() == self.factory
                    && log.topics().first()
                        == Some(&SafeProxyFactory::ProxyCreation::SIGNATURE_HASH)
            })
            .ok_or(ChainError::NotMined {
                call: label,
                reason: format!("transaction {} emitted no ProxyCreation", sent.tx),
            })?;
        let event = SafeProxyFactory::ProxyCreation::decode_log_data(log.data()).map_err(|e| {
            ChainError::BadLog {
                event: "ProxyCreation",
                tx: Some(sent.tx),
                reason: e.to_string(),
            }
        })?;
        Ok(event.proxy)
    }
}

/// Deploys a fresh singleton and factory, then a Safe owned by `owners` with
/// `threshold`; returns the Safe's address.
pub async fn deploy_safe<P: Provider + Clone>(
    provider: &P,
    owners: &[Address],
    threshold: u64,
) -> Result<Address, ChainError> {
    // Checked before the factory is deployed, so a bad call costs nothing.
    check_setup(owners, threshold)?;
    SafeFactory::deploy(provider)
        .await?
        .create_safe(provider, owners, threshold, U256::ZERO)
        .await
}

/// A Safe together with (some of) its owners' keys: enough to sign and relay
/// its transactions.
#[derive(Clone, Debug)]
pub struct Multisig {
    address: Address,
    chain_id: u64,
    /// Ascending by address: the order the Safe demands signatures in.
    signers: Vec<PrivateKeySigner>,
}

impl Multisig {
    /// The Safe at `address` on chain `chain_id`, signing with `signers`.
    /// They need not be all owners, nor as many as the threshold: the Safe
    /// refuses what it is not given enough signatures for.
    pub fn new(address: Address, chain_id: u64, mut signers: Vec<PrivateKeySigner>) -> Self {
        signers.sort_by_key(|s| s.address());
        Self {
            address,
            chain_id,
            signers,
        }
    }

    /// Deploys a Safe owned by `owners` (see [`deploy_safe`]) and holds their keys.
    pub async fn deploy<P: Provider + Clone>(
        provider: &P,
        owners: Vec<PrivateKeySigner>,
        threshold: u64,
    ) -> Result<Self, ChainError> {
        let addresses: Vec<Address> = owners.iter().map(|s| s.address()).collect();
        let address = deploy_safe(provider, &addresses, threshold).await?;
        let chain_id = provider
            .get_chain_id()
            .await
            .map_err(|e| ChainError::rpc("eth_chainId", e))?;
        Ok(Self::new(address, chain_id, owners))
    }

    /// The Safe's address: what its targets see as `msg.sender`.
    pub fn address(&self) -> Address {
        self.address
    }

    /// The addresses whose keys this holds, ascending.
    pub fn signers(&self) -> Vec<Address> {
        self.signers.iter().map(|s| s.address()).collect()
    }

    /// The Safe's EIP-712 domain: 1.4.1's has only the chain id and the Safe.
    pub fn domain(&self) -> Eip712Domain {
        eip712_domain! {
            chain_id: self.chain_id,
            verifying_contract: self.address,
        }
    }

    /// A plain call of `to` with `value` wei and `data`, as transaction `nonce`
    /// of the Safe. Gas fields and refunds are all zero: the relayer pays, and
    /// with `safeTxGas = 0` a failing call reverts the whole transaction
    /// instead of being recorded as an `ExecutionFailure` that spends the nonce.
    pub fn transaction(&self, to: Address, value: U256, data: Bytes, nonce: U256) -> SafeTx {
        SafeTx {
            to,
            value,
            data,
            operation: CALL,
            safeTxGas: U256::ZERO,
            baseGas: U256::ZERO,
            gasPrice: U256::ZERO,
            gasToken: Address::ZERO,
            refundReceiver: Address::ZERO,
            nonce,
        }
    }

    /// The digest owners sign for `tx`: what the Safe's `getTransactionHash`
    /// returns.
    pub fn tx_hash(&self, tx: &SafeTx) -> B256 {
        tx.eip712_signing_hash(&self.domain())
    }

    /// Signatures of `tx` by the first `count` held keys (all of them if fewer
    /// are held), as the Safe reads them: `r ‖ s ‖ v` with v = 27/28, ordered by
    /// signer address.
    pub fn sign(&self, tx: &SafeTx, count: usize) -> Result<Bytes, ChainError> {
        let hash = self.tx_hash(tx);
        let mut signatures = Vec::with_capacity(65 * count.min(self.signers.len()));
        // `signers` is sorted, so any prefix of it is in the order the Safe wants.
        for signer in self.signers.iter().take(count) {
            let signature = signer
                .sign_hash_sync(&hash)
                .map_err(|e| ChainError::Sign(e.to_string()))?;
            signatures.extend_from_slice(&signature.as_bytes());
        }
        Ok(signatures.into())
    }

    /// Has the Safe call `to` with `data`: reads its nonce and threshold, signs
    /// with that many held keys, and relays from the wallet `provider` carries.
    pub async fn exec<P: Provider>(
        &self,
        provider: &P,
        to: Address,
        data: Bytes,
    ) -> Result<Sent, ChainError> {
        let safe = Safe::new(self.address, provider);
        let nonce = safe
            .nonce()
            .call()
            .await
            .map_err(|e| ChainError::contract("Safe.nonce", &e))?;
        // Read each time, not remembered: the owners can change it through the
        // Safe itself.
        let threshold = safe
            .getThreshold()
            .call()
            .await
            .map_err(|e| ChainError::contract("Safe.getThreshold", &e))?;
        let tx = self.transaction(to, U256::ZERO, data, nonce);
        let signatures = self.sign(&tx, usize::try_from(threshold).unwrap_or(usize::MAX))?;
        self.submit(provider, &tx, signatures).await
    }

    /// Relays `tx` with `signatures` from the wallet `provider` carries. The
    /// Safe's refusals come back as [`ChainError::SafeRefused`], and a failing
    /// call as [`ChainError::SafeCallReverted`] with the target's revert.
    pub async fn submit<P: Provider>(
        &self,
        provider: &P,
        tx: &SafeTx,
        signatures: Bytes,
    ) -> Result<Sent, ChainError> {
        let safe = Safe::new(self.address, provider);
        let call = safe.execTransaction(
            tx.to,
            tx.value,
            tx.data.clone(),
            tx.operation,
            tx.safeTxGas,
            tx.baseGas,
            tx.gasPrice,
            tx.gasToken,
            tx.refundReceiver,
            signatures,
        );
        // Simulated first: `send` keeps only the transport's words for a
        // revert, and telling the Safe's refusals from the target's revert
        // needs the raw revert data.
        if let Err(e) = call.call().await {
            return Err(self.explain(provider, tx, &e).await);
        }
        send(call, "Safe.execTransaction").await
    }

    /// Names why `execTransaction` of `tx` reverted with `err`.
    async fn explain<P: Provider>(
        &self,
        provider: &P,
        tx: &SafeTx,
        err: &ContractError,
    ) -> ChainError {
        let reason = err
            .as_revert_data()
            .and_then(|data| alloy::sol_types::Revert::abi_decode(&data).ok())
            .map(|r| r.reason);
        match reason.as_deref() {
            Some(INNER_CALL_FAILED) => {
                let (revert, data) = self.replay(provider, tx).await;
                ChainError::SafeCallReverted {
                    safe: self.address,
                    to: tx.to,
                    revert: Box::new(revert),
                    data,
                }
            }
            Some(code) if code.starts_with("GS") => ChainError::SafeRefused {
                safe: self.address,
                code: code.to_owned(),
                meaning: gs_meaning(code),
            },
            _ => ChainError::contract("Safe.execTransaction", err),
        }
    }

    /// Replays the Safe's call of `tx.to` as an `eth_call` from the Safe, to
    /// recover the revert the Safe discards when it reports GS013.
    async fn replay<P: Provider>(&self, provider: &P, tx: &SafeTx) -> (Revert, Option<Bytes>) {
        let request = TransactionRequest::default()
            .from(self.address)
            .to(tx.to)
            .value(tx.value)
            .input(tx.data.clone().into());
        match provider.call(request).await {
            Err(e) => {
                let err = ContractError::TransportError(e);
                (Revert::from(&err), err.as_revert_data())
            }
            Ok(_) => (
                Revert::Other(
                    "the call succeeds when replayed from the Safe: it ran out of gas, or \
                     depends on state that changed"
                        .to_owned(),
                ),
                None,
            ),
        }
    }
}

/// What `Safe.setup` would refuse, named: the threshold must be reachable and
/// owners distinct, real addresses.
fn check_setup(owners: &[Address], threshold: u64) -> Result<(), ChainError> {
    if threshold == 0 || threshold > owners.len() as u64 {
        return Err(ChainError::SafeSetup(format!(
            "threshold {threshold} with {} owners (GS201/GS202)",
            owners.len()
        )));
    }
    for (i, owner) in owners.iter().enumerate() {
        if *owner == Address::ZERO || *owner == SENTINEL_OWNERS {
            return Err(ChainError::SafeSetup(format!(
                "owner {owner} is reserved (GS203)"
            )));
        }
        if owners[..i].contains(owner) {
            return Err(ChainError::SafeSetup(format!(
                "owner {owner} is listed twice (GS203/GS204)"
            )));
        }
    }
    Ok(())
}

/// What Safe 1.4.1's revert codes that `execTransaction` can give mean.
fn gs_meaning(code: &str) -> &'static str {
    match code {
        "GS001" => "the Safe is not set up (threshold 0)",
        "GS010" => "not enough gas for the Safe to run the call",
        "GS011" | "GS012" => "the Safe could not pay the gas refund",
        "GS013" => "the Safe's call failed",
        "GS020" => "fewer signatures than the threshold",
        "GS021" | "GS022" | "GS023" => "malformed contract signature",
        "GS024" => "contract signature rejected by its owner",
        "GS025" => "hash not approved by the owner",
        "GS026" => {
            "a signature is not an owner's, or signatures are not in ascending owner order \
             (signed with the wrong nonce, chain or Safe?)"
        }
        "GS027" => "contract signature over different data",
        _ => "see Safe 1.4.1's error codes",
    }
}

/// The contract a creation's receipt names.
fn created(sent: Sent, label: &'static str) -> Result<Address, ChainError> {
    sent.receipt
        .contract_address
        .ok_or_else(|| ChainError::NotMined {
            call: label,
            reason: format!("receipt of {} names no created contract", sent.tx),
        })
}
