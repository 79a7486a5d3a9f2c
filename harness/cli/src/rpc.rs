//! Reaching an operator's L1 endpoint: a read-only provider, and the chain id
//! asked first, so that an unreachable endpoint or the wrong chain is named
//! before anything is read or signed.

use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use eyre::{bail, eyre};

/// A provider for `url` that reads but never signs.
pub fn connect(url: &str) -> eyre::Result<DynProvider> {
    let parsed = url
        .parse()
        .map_err(|_| eyre!("--rpc-url {url:?} is not a URL"))?;
    Ok(ProviderBuilder::new().connect_http(parsed).erased())
}

/// The chain id `url` serves; when `expected` is given, fails unless it is that.
pub async fn chain_id(
    provider: &impl Provider,
    url: &str,
    expected: Option<u64>,
) -> eyre::Result<u64> {
    let id = provider
        .get_chain_id()
        .await
        .map_err(|e| eyre!("cannot reach L1 at {url}: {}", root_cause(&e)))?;
    if let Some(expected) = expected
        && expected != id
    {
        bail!("{url} serves chain {id}, not chain {expected} (--chain-id)");
    }
    Ok(id)
}

/// The innermost cause of `e`: transports wrap one failure in several layers
/// that each repeat the URL; the last says what happened.
pub fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// `wei` in ETH, without trailing zeros: `0.05 ETH`, `0 ETH`.
pub fn eth(wei: alloy::primitives::U256) -> String {
    let text = alloy::primitives::utils::format_ether(wei);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} ETH")
}
