//! One L1 connection per actor, carrying that actor's key, so that every
//! transaction is signed by whoever the protocol says sends it.

use alloy::{
    network::EthereumWallet,
    primitives::Address,
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use bulwark_chain::ChainError;

/// An actor's L1 identity: its key and a provider that signs with it.
#[derive(Clone, Debug)]
pub struct L1Account {
    /// The key (also used for EIP-712 signatures on L2).
    pub signer: PrivateKeySigner,
    /// A provider whose wallet is `signer`.
    pub provider: DynProvider,
}

impl L1Account {
    /// Connects `signer` to the node at `endpoint`.
    pub fn connect(endpoint: &str, signer: PrivateKeySigner) -> Result<Self, ChainError> {
        let url = endpoint
            .parse()
            .map_err(|_| ChainError::BadEndpoint(endpoint.to_owned()))?;
        // Nonces are asked of the node each time rather than cached: a cached
        // nonce is spent even when gas estimation reverts, and the next
        // transaction would then wait forever behind the gap.
        let provider = ProviderBuilder::new()
            .disable_recommended_fillers()
            .with_gas_estimation()
            .with_simple_nonce_management()
            .fetch_chain_id()
            .wallet(EthereumWallet::from(signer.clone()))
            .connect_http(url)
            .erased();
        Ok(Self { signer, provider })
    }

    /// The L1 address.
    pub fn address(&self) -> Address {
        self.signer.address()
    }
}
