//! L1 balances, of ETH or of an ERC20, as users and checks read them.

use alloy::{
    primitives::{Address, U256},
    providers::Provider,
};

use crate::{ChainError, bindings::DemoToken};

/// `who`'s L1 balance of `token` (`None` is ETH).
pub async fn balance_of<P: Provider>(
    provider: &P,
    token: Option<Address>,
    who: Address,
) -> Result<U256, ChainError> {
    match token {
        None => provider
            .get_balance(who)
            .await
            .map_err(|e| ChainError::rpc("eth_getBalance", e)),
        Some(token) => DemoToken::new(token, provider)
            .balanceOf(who)
            .call()
            .await
            .map_err(|e| ChainError::contract("balanceOf", &e)),
    }
}
