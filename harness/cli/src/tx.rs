//! `bulwark tx`: the user's side. Deposits and forced withdrawals go to L1
//! (the deployment file and an endpoint); transfers and withdrawals are
//! EIP-712 signed with the user's key and posted to a sequencer's API; the
//! API answers a transaction's fate.

use std::{path::PathBuf, time::Duration};

use alloy::{
    primitives::{Address, B256, U256},
    signers::local::PrivateKeySigner,
};
use bulwark_actors::{escape, typed_data, wallet::L1Account};
use bulwark_chain::{
    bindings::{Bridge, DemoToken, Rollup},
    history::QueuedMessage,
    send,
};
use bulwark_engine::{NEW_ACCOUNT, StatePreimage, TokenId, WithdrawalIndex, WithdrawalLeaf};
use clap::{Args, Subcommand};
use eyre::{WrapErr, bail, eyre};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

use crate::{
    keys::KeyArgs,
    serve::{self, ChainArgs},
};

/// `bulwark tx`'s subcommands.
#[derive(Subcommand, Debug)]
pub enum TxCommand {
    /// Deposit ETH (or an ERC20 with --token) from L1 into an L2 account.
    Deposit {
        #[command(flatten)]
        l1: ChainArgs,
        /// Amount, wei (or the token's smallest unit).
        #[arg(long, value_name = "WEI")]
        amount: U256,
        /// An ERC20 to deposit instead of ETH (approved for the amount first).
        #[arg(long, value_name = "ADDRESS")]
        token: Option<Address>,
        /// The L2 account to credit [default: a new account owned by the key].
        #[arg(long, value_name = "INDEX")]
        to: Option<u64>,
    },
    /// Queue a forced withdrawal on L1: the sequencer must include it within the deadline.
    ForceWithdraw {
        #[command(flatten)]
        l1: ChainArgs,
        /// The L2 account to withdraw from (owned by the key).
        #[arg(long, value_name = "INDEX")]
        from: u64,
        /// The L2 token id (0 is ETH).
        #[arg(long, value_name = "ID", default_value_t = 0)]
        token: u32,
        /// Amount, wei.
        #[arg(long, value_name = "WEI")]
        amount: u128,
    },
    /// Sign an L2 transfer and post it to the sequencer's API.
    Transfer {
        #[command(flatten)]
        api: ApiArgs,
        /// The account debited (owned by the key).
        #[arg(long, value_name = "INDEX")]
        from: u32,
        /// The account credited.
        #[arg(long, value_name = "INDEX")]
        to: u32,
        /// Amount, wei.
        #[arg(long, value_name = "WEI")]
        amount: u128,
        /// Fee offered to the batch's fee recipient, wei.
        #[arg(long, value_name = "WEI", default_value_t = 0)]
        fee: u128,
        /// The nonce to sign [default: the account's pending nonce, from the API].
        #[arg(long)]
        nonce: Option<u32>,
    },
    /// Sign an L2 withdrawal to an L1 address and post it to the sequencer's API.
    Withdraw {
        #[command(flatten)]
        api: ApiArgs,
        /// The account debited (owned by the key).
        #[arg(long, value_name = "INDEX")]
        from: u32,
        /// Who is paid on L1 [default: the key's address].
        #[arg(long, value_name = "ADDRESS")]
        recipient: Option<Address>,
        /// Amount, wei.
        #[arg(long, value_name = "WEI")]
        amount: u128,
        /// Fee offered to the batch's fee recipient, wei.
        #[arg(long, value_name = "WEI", default_value_t = 0)]
        fee: u128,
        /// The nonce to sign [default: the account's pending nonce, from the API].
        #[arg(long)]
        nonce: Option<u32>,
    },
    /// Pay a withdrawal on L1 once its batch is final, with the proof the API serves.
    FinalizeWithdrawal {
        #[command(flatten)]
        l1: ChainArgs,
        /// The sequencer's API.
        #[arg(long, value_name = "URL", env = "BULWARK_API", hide_env_values = true)]
        api: String,
        /// The withdrawal's hash, as `withdraw` printed it.
        hash: B256,
    },
    /// Take out everything the key is owed after a freeze (sent first if due).
    ///
    /// Freezes the rollup when a queued message is overdue, then pays from the last final
    /// batch the key's account balances, its unpaid withdrawals and refunds of its unconsumed
    /// deposits. With --all, everyone's.
    Exit {
        #[command(flatten)]
        l1: ChainArgs,
        /// Pay every account, withdrawal and deposit owed, not only the key's (a keeper).
        #[arg(long)]
        all: bool,
    },
    /// A transaction's fate, by the hash `transfer` or `withdraw` printed.
    Status {
        /// The sequencer's API.
        #[arg(long, value_name = "URL", env = "BULWARK_API", hide_env_values = true)]
        api: String,
        /// The transaction's hash (its EIP-712 digest).
        hash: B256,
        /// Wait until a batch carries it.
        #[arg(long)]
        wait: bool,
    },
}

/// Flags of the API side.
#[derive(Args, Debug)]
pub struct ApiArgs {
    /// The sequencer's API.
    #[arg(long, value_name = "URL", env = "BULWARK_API", hide_env_values = true)]
    api: String,
    #[command(flatten)]
    key: KeyArgs,
    /// Wait until a batch carries it, then print its fate.
    #[arg(long)]
    wait: bool,
    /// The deployment file: when given, the API's EIP-712 domain must be this Rollup's on
    /// this chain, or nothing is signed (an API is not trusted to name the contract).
    #[arg(long, value_name = "FILE")]
    deployment: Option<PathBuf>,
}

/// Runs a `bulwark tx` subcommand.
pub async fn run(command: TxCommand) -> eyre::Result<()> {
    match command {
        TxCommand::Deposit {
            l1,
            amount,
            token,
            to,
        } => {
            let (account, d) = l1_account(&l1).await?;
            let bridge = Bridge::new(d.bridge, &account.provider);
            let target = to.unwrap_or(NEW_ACCOUNT);
            let sent = match token {
                None => send(bridge.depositETH(target).value(amount), "depositETH").await?,
                Some(token) => {
                    let erc20 = DemoToken::new(token, &account.provider);
                    send(erc20.approve(d.bridge, amount), "approve").await?;
                    send(bridge.depositERC20(token, amount, target), "depositERC20").await?
                }
            };
            queued(&sent.receipt, d.bridge)
        }
        TxCommand::ForceWithdraw {
            l1,
            from,
            token,
            amount,
        } => {
            let (l1_account, d) = l1_account(&l1).await?;
            let bridge = Bridge::new(d.bridge, &l1_account.provider);
            let sent = send(
                bridge.forceWithdrawal(from, token, amount),
                "forceWithdrawal",
            )
            .await?;
            queued(&sent.receipt, d.bridge)
        }
        TxCommand::Transfer {
            api,
            from,
            to,
            amount,
            fee,
            nonce,
        } => {
            let signer = api.key.signer()?;
            let client = Api::new(&api.api);
            let (account, domain) = client
                .account_and_domain(from, api.deployment.as_deref())
                .await?;
            let token = field_u32(&account, "token")?;
            let nonce = nonce.map_or_else(|| field_u32(&account, "pendingNonce"), Ok)?;
            let payload = typed_data::Transfer {
                from,
                to,
                token,
                amount,
                fee,
                nonce,
            };
            let message = json!({ "from": from, "to": to, "token": token, "amount": amount.to_string(), "fee": fee.to_string(), "nonce": nonce });
            post(
                &client, &signer, "Transfer", message, &payload, &domain, api.wait,
            )
            .await
        }
        TxCommand::Withdraw {
            api,
            from,
            recipient,
            amount,
            fee,
            nonce,
        } => {
            let signer = api.key.signer()?;
            let recipient = recipient.unwrap_or(signer.address());
            let client = Api::new(&api.api);
            let (account, domain) = client
                .account_and_domain(from, api.deployment.as_deref())
                .await?;
            let nonce = nonce.map_or_else(|| field_u32(&account, "pendingNonce"), Ok)?;
            let payload = typed_data::Withdraw {
                from,
                recipient,
                amount,
                fee,
                nonce,
            };
            let message = json!({ "from": from, "recipient": recipient.to_checksum(None), "amount": amount.to_string(), "fee": fee.to_string(), "nonce": nonce });
            post(
                &client, &signer, "Withdraw", message, &payload, &domain, api.wait,
            )
            .await
        }
        TxCommand::FinalizeWithdrawal { l1, api, hash } => {
            let answer = Api::new(&api)
                .get(&format!("/v1/withdrawals/{hash}"))
                .await?;
            let Some(args) = answer.get("finalizeWithdrawal") else {
                bail!(
                    "withdrawal {hash} is {}: its batch is not final yet",
                    answer["status"].as_str().unwrap_or("unknown")
                );
            };
            let (account, d) = l1_account(&l1).await?;
            let (batch, post, leaf, proof) = proof_args(args)
                .ok_or_else(|| eyre!("the API's proof for {hash} is malformed: {args}"))?;
            let bridge = Bridge::new(d.bridge, &account.provider);
            let call = bridge.finalizeWithdrawal(batch, (&post).into(), (&leaf).into(), proof);
            let sent = send(call, "finalizeWithdrawal").await?;
            println!(
                "{}",
                json!({ "paid": leaf.amount.to_string(), "token": leaf.token.0, "recipient": leaf.recipient.to_checksum(None), "tx": sent.tx, "gas": sent.gas_used })
            );
            Ok(())
        }
        TxCommand::Exit { l1, all } => exit(&l1, all).await,
        TxCommand::Status { api, hash, wait } => {
            let client = Api::new(&api);
            let fate = if wait {
                client.wait_landed(hash).await?
            } else {
                client.get(&format!("/v1/transactions/{hash}")).await?
            };
            println!("{fate}");
            Ok(())
        }
    }
}

/// `bulwark tx exit`: freezes if due, then pays what the key (or, with `all`,
/// anyone) is owed. A payout that reverts is reported; the others go ahead.
async fn exit(l1: &ChainArgs, all: bool) -> eyre::Result<()> {
    let (account, d) = l1_account(l1).await?;
    let froze = escape::freeze_if_overdue(&account, &d).await?;
    let rollup = Rollup::new(d.rollup, &account.provider);
    let frozen = rollup
        .frozen()
        .call()
        .await
        .map_err(|e| bulwark_chain::ChainError::contract("frozen", &e))?;
    if !frozen {
        let due = escape::oldest_unconsumed(&account.provider, &d).await?;
        match due {
            Some(oldest) => bail!(
                "the rollup is not frozen: the oldest unconsumed message ({}) becomes overdue after L1 time {}",
                oldest.message.index,
                oldest.due_at
            ),
            None => {
                bail!("the rollup is not frozen and no queued message is waiting: nothing to exit")
            }
        }
    }
    let me = account.address();
    let mut plan = escape::plan(&account, &d).await?;
    if !all {
        plan.exits
            .retain(|p| plan.state.account(p.index).is_some_and(|a| a.owner == me));
        let state = plan.state.clone();
        plan.withdrawals
            .retain(|&i| state.withdrawal(i).is_some_and(|w| w.recipient == me));
        plan.refunds.retain(|m| m.sender == me);
    }
    let (mut paid, mut failed) = (Vec::new(), Vec::new());
    for proof in &plan.exits {
        let what = json!({ "exit": proof.index.0, "token": proof.leaf.token.0, "amount": proof.leaf.balance.to_string() });
        match escape::exit(&account, &d, &plan, proof).await {
            Ok(sent) => paid.push(json!({ "paid": what, "tx": sent.tx })),
            Err(e) => failed.push(json!({ "item": what, "error": e.to_string() })),
        }
    }
    for &index in &plan.withdrawals {
        let leaf = plan.state.withdrawal(index).copied();
        let what = json!({ "withdrawal": index.0, "amount": leaf.map(|l| l.amount.to_string()) });
        match escape::withdraw(&account, &d, &plan, index).await {
            Ok(sent) => paid.push(json!({ "paid": what, "tx": sent.tx })),
            Err(e) => failed.push(json!({ "item": what, "error": e.to_string() })),
        }
    }
    for m in &plan.refunds {
        let what = json!({ "refund": m.index, "token": m.token, "amount": m.amount.to_string() });
        match escape::refund(&account, &d, m).await {
            Ok(sent) => paid.push(json!({ "paid": what, "tx": sent.tx })),
            Err(e) => failed.push(json!({ "item": what, "error": e.to_string() })),
        }
    }
    println!(
        "{}",
        json!({
            "froze": froze.map(|s| s.tx),
            "pinnedBatch": plan.batch,
            "paid": paid,
            "failed": failed,
        })
    );
    if !failed.is_empty() {
        bail!(
            "{} payouts failed (listed above); the others were paid",
            failed.len()
        );
    }
    Ok(())
}

/// A u32 field of an API answer, or an error naming it.
fn field_u32(v: &Value, name: &str) -> eyre::Result<u32> {
    v[name]
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| eyre!("the API's account has no {name}: {v}"))
}

/// `finalizeWithdrawal`'s arguments from the API's JSON.
fn proof_args(v: &Value) -> Option<(u64, StatePreimage, WithdrawalLeaf, Vec<B256>)> {
    let b256 = |v: &Value| v.as_str()?.parse::<B256>().ok();
    let post = &v["post"];
    let leaf = &v["leaf"];
    Some((
        v["batchIndex"].as_u64()?,
        StatePreimage {
            accounts_root: b256(&post["accountsRoot"])?,
            withdrawals_root: b256(&post["withdrawalsRoot"])?,
            next_account_index: post["nextAccountIndex"].as_u64()?,
            msgs_consumed: post["msgsConsumed"].as_u64()?,
            withdrawal_count: post["withdrawalCount"].as_u64()?,
        },
        WithdrawalLeaf {
            index: WithdrawalIndex(u32::try_from(leaf["index"].as_u64()?).ok()?),
            recipient: leaf["recipient"].as_str()?.parse().ok()?,
            token: TokenId(u32::try_from(leaf["token"].as_u64()?).ok()?),
            amount: leaf["amount"].as_str()?.parse().ok()?,
        },
        v["proof"]
            .as_array()?
            .iter()
            .map(b256)
            .collect::<Option<Vec<_>>>()?,
    ))
}

async fn l1_account(l1: &ChainArgs) -> eyre::Result<(L1Account, bulwark_chain::Deployment)> {
    let signer = l1.key.signer()?;
    let deployment = serve::deployment(&l1.deployment, &l1.rpc_url).await?;
    Ok((L1Account::connect(&l1.rpc_url, signer)?, deployment))
}

fn queued(receipt: &alloy::rpc::types::TransactionReceipt, bridge: Address) -> eyre::Result<()> {
    let m = QueuedMessage::from_receipt(receipt, bridge)?;
    println!(
        "{}",
        json!({
            "message": m.index,
            "kind": if m.kind == 1 { "deposit" } else { "forcedWithdrawal" },
            "target": if m.target == NEW_ACCOUNT { Value::from("new") } else { Value::from(m.target) },
            "token": m.token,
            "amount": m.amount.to_string(),
            "tx": receipt.transaction_hash,
        })
    );
    Ok(())
}

async fn post<T: alloy::sol_types::SolStruct + Send + Sync>(
    client: &Api,
    signer: &PrivateKeySigner,
    kind: &str,
    message: Value,
    payload: &T,
    domain: &alloy::sol_types::Eip712Domain,
    wait: bool,
) -> eyre::Result<()> {
    let signature = typed_data::sign(signer, payload, domain)
        .await
        .wrap_err("signing")?;
    let body = json!({
        "primaryType": kind,
        "message": message,
        "signature": format!("0x{}", alloy::hex::encode(signature)),
    });
    let answer = client.post("/v1/transactions", &body).await?;
    let hash: B256 = answer["hash"]
        .as_str()
        .and_then(|h| h.parse().ok())
        .ok_or_else(|| eyre!("the API answered without a hash: {answer}"))?;
    let fate = if wait {
        client.wait_landed(hash).await?
    } else {
        answer
    };
    println!("{fate}");
    Ok(())
}

/// A sequencer API client: 4xx answers become errors naming the field.
struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
        }
    }

    async fn answer(&self, request: reqwest::RequestBuilder, what: &str) -> eyre::Result<Value> {
        let resp = request.send().await.map_err(|e| {
            eyre!(
                "cannot reach the API at {}: {}",
                self.base,
                crate::rpc::root_cause(&e)
            )
        })?;
        let status = resp.status();
        let body: Value = resp
            .json()
            .await
            .map_err(|e| eyre!("{what}: the API answered {status} without JSON: {e}"))?;
        if !status.is_success() {
            bail!(
                "{what}: {} (field {}, HTTP {})",
                body["error"].as_str().unwrap_or("refused"),
                body["field"].as_str().unwrap_or("?"),
                status.as_u16()
            );
        }
        Ok(body)
    }

    async fn get(&self, path: &str) -> eyre::Result<Value> {
        self.answer(self.http.get(format!("{}{path}", self.base)), path)
            .await
    }

    async fn post(&self, path: &str, body: &Value) -> eyre::Result<Value> {
        self.answer(
            self.http.post(format!("{}{path}", self.base)).json(body),
            path,
        )
        .await
    }

    /// The account `index` and the EIP-712 domain to sign under, checked
    /// against `deployment` when one is given.
    async fn account_and_domain(
        &self,
        index: u32,
        deployment: Option<&std::path::Path>,
    ) -> eyre::Result<(Value, alloy::sol_types::Eip712Domain)> {
        let account = self.get(&format!("/v1/accounts/{index}")).await?;
        let skeleton = self.get("/v1/eip712").await?;
        let chain_id = skeleton["domain"]["chainId"]
            .as_u64()
            .ok_or_else(|| eyre!("/v1/eip712 has no domain.chainId"))?;
        let rollup: Address = skeleton["domain"]["verifyingContract"]
            .as_str()
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| eyre!("/v1/eip712 has no domain.verifyingContract"))?;
        if let Some(path) = deployment {
            let d = bulwark_chain::Deployment::load(path)
                .wrap_err_with(|| path.display().to_string())?;
            if (d.chain_id, d.rollup) != (chain_id, rollup) {
                bail!(
                    "the API at {} signs for Rollup {rollup} on chain {chain_id}, but {} names Rollup {} on chain {}: nothing signed",
                    self.base,
                    path.display(),
                    d.rollup,
                    d.chain_id
                );
            }
        }
        Ok((account, typed_data::domain(chain_id, rollup)))
    }

    /// Polls until a batch carries `hash` (10 minutes at most), with a spinner.
    async fn wait_landed(&self, hash: B256) -> eyre::Result<Value> {
        let bar = ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("static template"),
        );
        bar.set_message(format!("waiting for a batch to carry {hash}"));
        bar.enable_steady_tick(Duration::from_millis(200));
        for _ in 0..3_000 {
            let fate = self.get(&format!("/v1/transactions/{hash}")).await?;
            if fate["status"] != "pending" {
                bar.finish_and_clear();
                return Ok(fate);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        bar.finish_and_clear();
        bail!("no batch carried {hash} within 10 minutes; it is still pending")
    }
}
