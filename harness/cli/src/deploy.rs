//! `bulwark deploy`: the suite onto any chain, recorded in
//! `deployments/<chainId>.json`. Idempotent: when that file already names a
//! deployment the chain confirms, with the parameters asked for, nothing is
//! sent and nothing is written.

use std::path::PathBuf;

use alloy::{
    primitives::{Address, U256},
    providers::Provider,
};
use bulwark_actors::wallet::L1Account;
use bulwark_chain::{
    DEPLOY_GAS, DeployParams, Deployment, defaults, deploy_demo_token, deploy_reporting,
};
use clap::Args;
use eyre::{WrapErr, bail};
use indicatif::{ProgressBar, ProgressStyle};

use crate::{keys::KeyArgs, rpc};

/// `bulwark deploy`'s flags.
#[derive(Args, Debug)]
pub struct DeployArgs {
    /// The L1 JSON-RPC endpoint (http or https).
    #[arg(
        long,
        value_name = "URL",
        env = "BULWARK_RPC_URL",
        hide_env_values = true
    )]
    pub rpc_url: String,
    /// Refuse to deploy unless the endpoint serves this chain id.
    #[arg(long, value_name = "ID")]
    pub chain_id: Option<u64>,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Directory of deployment files; the deployment is written to <DIR>/<chainId>.json.
    #[arg(long, value_name = "DIR", default_value = "deployments")]
    pub out: PathBuf,
    /// Who may commit batches [default: the deployer].
    #[arg(long, value_name = "ADDRESS")]
    pub sequencer: Option<Address>,
    /// Who may pause and rotate the sequencer: a Safe multisig on any network that matters
    /// [default: the deployer].
    #[arg(long, value_name = "ADDRESS")]
    pub guardian: Option<Address>,
    /// Challenge window, seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::WINDOW)]
    pub window: u64,
    /// Seconds on each side's chess clock in a dispute game.
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::CLOCK)]
    pub clock: u64,
    /// Forced-inclusion deadline, seconds (at least twice --pause).
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::DEADLINE)]
    pub deadline: u64,
    /// Longest guardian pause, seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::PAUSE)]
    pub pause: u64,
    /// Seconds after a pause before the next (at least --deadline minus --pause).
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::COOLDOWN)]
    pub cooldown: u64,
    /// The sequencer's stake, wei.
    #[arg(long, value_name = "WEI", default_value_t = U256::from(defaults::STAKE))]
    pub stake: U256,
    /// The bond each dispute game locks, wei.
    #[arg(long, value_name = "WEI", default_value_t = U256::from(defaults::CHALLENGE_BOND))]
    pub challenge_bond: U256,
    /// Also deploy a mintable demo ERC20 (for testnets).
    #[arg(long)]
    pub demo_token: bool,
    /// Print the deployment file's JSON instead of a summary.
    #[arg(long)]
    pub json: bool,
}

impl DeployArgs {
    fn params(&self, deployer: Address) -> DeployParams {
        DeployParams {
            sequencer: self.sequencer.unwrap_or(deployer),
            window: self.window,
            stake: self.stake,
            challenge_bond: self.challenge_bond,
            clock: self.clock,
            guardian: self.guardian.unwrap_or(deployer),
            deadline: self.deadline,
            pause: self.pause,
            cooldown: self.cooldown,
        }
    }
}

/// Runs `bulwark deploy`.
pub async fn run(args: DeployArgs) -> eyre::Result<()> {
    let signer = args.key.signer()?;
    let deployer = signer.address();
    let params = args.params(deployer);
    check_params(&params)?;
    let provider = rpc::connect(&args.rpc_url)?;
    let chain_id = rpc::chain_id(&provider, &args.rpc_url, args.chain_id).await?;
    let path = Deployment::path_in(&args.out, chain_id);

    if path.exists() {
        let existing = Deployment::load(&path).wrap_err_with(|| path.display().to_string())?;
        existing
            .verify(&provider)
            .await
            .wrap_err_with(|| path.display().to_string())?;
        let differences = differences(&existing.params, &params);
        if !differences.is_empty() {
            bail!(
                "{} already holds a deployment on chain {chain_id} built with other parameters ({}); \
                 move it aside to deploy anew",
                path.display(),
                differences.join(", ")
            );
        }
        if args.demo_token && existing.demo_token.is_none() {
            bail!(
                "{} already holds a deployment without a demo token; move it aside to deploy anew",
                path.display()
            );
        }
        report(
            &existing,
            &path,
            args.json,
            "already deployed; nothing sent, nothing written",
        );
        return Ok(());
    }

    check_funds(&provider, deployer, chain_id).await?;
    let account = L1Account::connect(&args.rpc_url, signer)?;
    let bar = ProgressBar::new(4 + u64::from(args.demo_token)).with_style(
        ProgressStyle::with_template("{spinner} deploying [{pos}/{len}] {msg} ({elapsed})")
            .expect("static template"),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let mut deployment = deploy_reporting(&account.provider, deployer, params, |contract| {
        bar.set_message(contract);
        bar.inc(1);
    })
    .await
    .wrap_err_with(|| format!("deploying to chain {chain_id} failed; nothing was written"))?;
    if args.demo_token {
        bar.set_message("DemoToken");
        bar.inc(1);
        let token = deploy_demo_token(&account.provider, "Bulwark Demo Token", "BDT")
            .await
            .wrap_err("deploying the demo token failed; nothing was written")?;
        deployment.demo_token = Some(token);
    }
    bar.finish_and_clear();
    deployment
        .save(&path)
        .wrap_err_with(|| path.display().to_string())?;
    report(&deployment, &path, args.json, "deployed");
    Ok(())
}

/// The Rollup's constructor bounds (PROTOCOL §17), checked before any gas is spent.
fn check_params(p: &DeployParams) -> eyre::Result<()> {
    if p.deadline == 0 || p.pause == 0 {
        bail!("--deadline and --pause must be positive");
    }
    if p.deadline < 2 * p.pause {
        bail!(
            "--deadline {} is below twice --pause {}: a pause could starve an honest sequencer",
            p.deadline,
            p.pause
        );
    }
    if p.cooldown < p.deadline - p.pause {
        bail!(
            "--cooldown {} is below --deadline minus --pause ({})",
            p.cooldown,
            p.deadline - p.pause
        );
    }
    if p.guardian.is_zero() {
        bail!("--guardian must not be the zero address");
    }
    Ok(())
}

async fn check_funds(provider: &impl Provider, deployer: Address, chain: u64) -> eyre::Result<()> {
    let balance = provider
        .get_balance(deployer)
        .await
        .wrap_err("eth_getBalance failed")?;
    let gas_price = provider
        .get_gas_price()
        .await
        .wrap_err("eth_gasPrice failed")?;
    let needed = U256::from(DEPLOY_GAS) * U256::from(gas_price);
    if balance < needed {
        bail!(
            "deployer {deployer} holds {} on chain {chain}; deploying takes up to {DEPLOY_GAS} gas, \
             {} at the current gas price",
            rpc::eth(balance),
            rpc::eth(needed)
        );
    }
    Ok(())
}

fn differences(file: &DeployParams, asked: &DeployParams) -> Vec<String> {
    let mut out = Vec::new();
    let mut compare = |name: &str, file: String, asked: String| {
        if file != asked {
            out.push(format!("{name} {file}, asked {asked}"));
        }
    };
    compare(
        "sequencer",
        file.sequencer.to_string(),
        asked.sequencer.to_string(),
    );
    compare(
        "guardian",
        file.guardian.to_string(),
        asked.guardian.to_string(),
    );
    compare("window", file.window.to_string(), asked.window.to_string());
    compare("clock", file.clock.to_string(), asked.clock.to_string());
    compare(
        "deadline",
        file.deadline.to_string(),
        asked.deadline.to_string(),
    );
    compare("pause", file.pause.to_string(), asked.pause.to_string());
    compare(
        "cooldown",
        file.cooldown.to_string(),
        asked.cooldown.to_string(),
    );
    compare("stake", file.stake.to_string(), asked.stake.to_string());
    compare(
        "challenge bond",
        file.challenge_bond.to_string(),
        asked.challenge_bond.to_string(),
    );
    out
}

fn report(d: &Deployment, path: &std::path::Path, json: bool, what: &str) {
    if json {
        print!("{}", d.to_json());
        return;
    }
    let p = &d.params;
    println!(
        "{what}: chain {}, from block {}",
        d.chain_id, d.deploy_block
    );
    println!("  Rollup           {}", d.rollup);
    println!("  Bridge           {}", d.bridge);
    println!("  OneStepVerifier  {}", d.verifier);
    println!("  DisputeGame      {}", d.dispute);
    if let Some(token) = d.demo_token {
        println!("  DemoToken        {token}");
    }
    println!("  sequencer        {}", p.sequencer);
    println!("  guardian         {}", p.guardian);
    println!(
        "  window {} s, clock {} s, deadline {} s, pause {} s, cooldown {} s",
        p.window, p.clock, p.deadline, p.pause, p.cooldown
    );
    println!(
        "  stake {}, challenge bond {}",
        rpc::eth(p.stake),
        rpc::eth(p.challenge_bond)
    );
    println!("  file             {}", path.display());
}
