//! What a wallet signs: the protocol's EIP-712 types as `sol!` structs, signed
//! with an alloy signer's `sign_typed_data`, exactly as `eth_signTypedData_v4`
//! would. The engine computes the same digest independently; a shared vector
//! and the end-to-end tests tie the two together.

use alloy::{
    primitives::Address,
    signers::{Signer, local::PrivateKeySigner},
    sol_types::{Eip712Domain, eip712_domain},
};

alloy::sol! {
    /// An L2 transfer as the user signs it.
    struct Transfer { uint32 from; uint32 to; uint32 token; uint128 amount; uint128 fee; uint32 nonce; }
    /// An L2 withdrawal to L1 as the user signs it.
    struct Withdraw { uint32 from; address recipient; uint128 amount; uint128 fee; uint32 nonce; }
}

/// The protocol's EIP-712 domain: name, version, L1 chain id and the Rollup.
pub fn domain(chain_id: u64, rollup: Address) -> Eip712Domain {
    eip712_domain! {
        name: "Bulwark",
        version: "1",
        chain_id: chain_id,
        verifying_contract: rollup,
    }
}

/// Signs typed data the way a wallet does and returns `r ‖ s ‖ v` (v = 27/28).
pub async fn sign<T: alloy::sol_types::SolStruct + Send + Sync>(
    signer: &PrivateKeySigner,
    payload: &T,
    domain: &Eip712Domain,
) -> Result<[u8; 65], alloy::signers::Error> {
    Ok(signer.sign_typed_data(payload, domain).await?.as_bytes())
}
