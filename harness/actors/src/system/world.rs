//! The system under test: one devnet with every actor, the model beside it,
//! and each [`Action`] run against the real contracts with its outcome
//! predicted first. Deployed once; [`World::reset`] brings it back between
//! cases with an L1 snapshot.

use std::collections::BTreeMap;

use alloy::primitives::{Address, U256};
use bulwark_chain::{
    ChainError, Deployment,
    bindings::{Revert, Rollup},
    dispute::{self, l1_time},
    node::{L1Kind, Snapshot, one_second_blocks},
    send,
};
use bulwark_engine::{Header, NEW_ACCOUNT, RecordBytes, TokenId};

use super::{
    Failure,
    action::{Action, Censor, Defense, Flaw, Play, UNIT, USERS, UserId},
    model::{self, Model},
};
use crate::{
    devnet::{Devnet, DevnetConfig},
    dispute::defender::Defender,
    sequencer::{Censorship, Claims, Sequencer},
    user::User,
    wallet::L1Account,
};

/// The fee a fee-paying record pays, in wei of its token.
pub(super) const FEE: u128 = UNIT / 10;
/// What a lying batch steals.
pub(super) const THEFT: u128 = 1_000 * UNIT;
/// What each user holds on L2 in each token when a case starts.
pub(super) const START_BALANCE: u128 = 2_000 * UNIT;
/// Most rounds of honest moves before time may pass.
pub(super) const SETTLE_ROUNDS: usize = 24;

/// A signed record waiting for the next commit, with how it was broken.
#[derive(Clone, Debug)]
pub(super) struct Pending {
    pub(super) record: RecordBytes,
    pub(super) flaw: Flaw,
    /// A withdrawal of nothing: skipped as `ZeroAmount` before its nonce and
    /// signer are looked at (§7.4; a transfer of 0 is valid).
    pub(super) zero_withdraw: bool,
}

/// The devnet, its actors, the model and the transcript of the running case.
pub struct World {
    pub(super) devnet: Devnet,
    /// Sequencer accounts: 0 is the devnet's, 1 the one the guardian may rotate to.
    pub(super) sequencers: [L1Account; 2],
    pub(super) users: Vec<User>,
    pub(super) watcher: User,
    pub(super) mallory: User,
    pub(super) header: Header,
    pub(super) base: Option<Snapshot>,
    pub(super) initial: Model,
    /// The model of the running case.
    pub model: Model,
    pub(super) claims: [Claims; 2],
    pub(super) defenders: BTreeMap<(usize, u8), Defender>,
    pub(super) lies: BTreeMap<(u64, u32), Defense>,
    pub(super) frivolous: BTreeMap<u64, Play>,
    pub(super) pool: Vec<Pending>,
    pub(super) censor: Censor,
    /// The named sequencer has not caught up with L1 yet: it cannot derive a
    /// state on top of a false batch, so it waits for that batch to fall.
    pub(super) stale: bool,
    /// What happened in the running case, one line per event.
    pub transcript: Vec<String>,
    /// The custom errors the last action's calls were refused with, as predicted.
    pub refused: Vec<String>,
    /// Whether L1 stamps each block exactly one second after the last (anvil),
    /// so that times are predicted to the second.
    pub(super) exact_time: bool,
    /// How often each kind of event happened, over every case run: what
    /// the histories reached.
    pub coverage: BTreeMap<String, u64>,
}

impl World {
    /// Starts anvil, deploys, and sets up what every case starts from: a fee
    /// header naming the sequencer's accounts, both sequencers staked, batch 1
    /// final. Then snapshots.
    pub async fn start() -> Result<Self, Failure> {
        Self::start_on(L1Kind::Anvil).await
    }

    /// [`start`](Self::start) on the given L1 client. On anvil every block is
    /// one second after the one before (the model predicts deadlines to the
    /// second); Hardhat's node stamps blocks by its clock.
    pub async fn start_on(l1: L1Kind) -> Result<Self, Failure> {
        let names = USERS
            .iter()
            .chain(&["watcher", "mallory", "sequencer-b"])
            .map(|s| s.to_string())
            .collect();
        let config = DevnetConfig {
            users: names,
            l1,
            ..DevnetConfig::default()
        };
        let mut devnet = Devnet::start(&config).await?;
        if l1 == L1Kind::Anvil {
            one_second_blocks(&devnet.deployer.provider).await?;
        }
        let d = devnet.deployment.clone();
        let mut all = devnet.users.clone();
        let seq_b = all.pop().ok_or(Failure::Setup("no second sequencer"))?;
        let mallory = all.pop().ok_or(Failure::Setup("no mallory"))?;
        let watcher = all.pop().ok_or(Failure::Setup("no watcher"))?;

        // The sequencer's fee accounts, one per token, in batch 1.
        let seq = User::new("sequencer", devnet.sequencer_account().clone());
        seq.deposit_eth(&d, UNIT, NEW_ACCOUNT).await?;
        let erc20 =
            bulwark_chain::bindings::DemoToken::new(devnet.token, &devnet.deployer.provider);
        send(erc20.mint(seq.address(), U256::from(UNIT)), "mint").await?;
        seq.deposit_erc20(&d, devnet.token, UNIT, NEW_ACCOUNT)
            .await?;
        // Every user starts with an account in each token, final.
        for u in &all {
            u.deposit_eth(&d, START_BALANCE, NEW_ACCOUNT).await?;
            u.deposit_erc20(&d, devnet.token, START_BALANCE, NEW_ACCOUNT)
                .await?;
        }
        devnet.sequencer.commit(Vec::new()).await?;
        let state = devnet.sequencer.state();
        let eth_fees = state
            .find_account(seq.address(), TokenId(0))
            .ok_or(Failure::Setup("sequencer has no ETH account"))?
            .0;
        let bdt_fees = state
            .find_account(seq.address(), TokenId(1))
            .ok_or(Failure::Setup("sequencer has no BDT account"))?
            .0;
        let header = Header::new(vec![(TokenId(0), eth_fees), (TokenId(1), bdt_fees)])
            .map_err(|_| Failure::Setup("fee header"))?;
        devnet.sequencer.set_header(header.clone());
        let rollup = Rollup::new(d.rollup, &seq_b.l1.provider);
        send(rollup.stake().value(d.params.stake), "stake").await?;
        devnet.pass_window().await?;
        send(
            Rollup::new(d.rollup, &devnet.deployer.provider).finalizeBatch(1),
            "finalizeBatch",
        )
        .await?;

        // Derived from L1 once here, as every reset does: a derivation that
        // cannot rebuild the set-up fails now, naming itself.
        devnet.sequencer = Sequencer::resume(
            devnet.sequencer_account().clone(),
            d.clone(),
            header.clone(),
        )
        .await?;
        let sequencers = [devnet.sequencer_account().clone(), seq_b.l1.clone()];
        let initial = observe(&devnet).await?;
        let base = Some(devnet.snapshot().await?);
        Ok(Self {
            devnet,
            sequencers,
            users: all,
            watcher,
            mallory,
            header,
            base,
            model: initial.clone(),
            initial,
            claims: Default::default(),
            defenders: BTreeMap::new(),
            lies: BTreeMap::new(),
            frivolous: BTreeMap::new(),
            pool: Vec::new(),
            censor: Censor::Nobody,
            stale: false,
            transcript: Vec::new(),
            refused: Vec::new(),
            exact_time: l1 == L1Kind::Anvil,
            coverage: BTreeMap::new(),
        })
    }

    /// Brings L1 and every actor back to the state after [`start`](Self::start).
    pub async fn reset(&mut self) -> Result<(), Failure> {
        // The chain first, and a fresh snapshot at once (a revert consumes
        // its snapshot): whatever fails after this, the next case still
        // starts clean, and the failure is reported as itself.
        let base = self.base.take().ok_or(Failure::Setup("no snapshot"))?;
        let provider = self.keeper().provider.clone();
        bulwark_chain::node::revert_to(&provider, base).await?;
        self.base = Some(self.devnet.snapshot().await?);
        // Every field back to its start before the sequencer is rebuilt from
        // them: nothing of one case may leak into the next.
        self.model = self.initial.clone();
        self.claims = Default::default();
        self.defenders.clear();
        self.lies.clear();
        self.frivolous.clear();
        self.pool.clear();
        self.censor = Censor::Nobody;
        self.stale = false;
        self.transcript.clear();
        self.refused.clear();
        self.devnet.sequencer = self.sequencer_for(0).await?;
        Ok(())
    }

    pub(super) fn deployment(&self) -> &Deployment {
        &self.devnet.deployment
    }

    pub(super) fn keeper(&self) -> &L1Account {
        &self.devnet.deployer
    }

    pub(super) fn user(&self, id: UserId) -> &User {
        &self.users[usize::from(id) % self.users.len()]
    }

    pub(super) fn log(&mut self, line: impl Into<String>) {
        self.transcript.push(line.into());
    }

    pub(super) fn tally(&mut self, event: impl Into<String>) {
        *self.coverage.entry(event.into()).or_default() += 1;
    }

    pub(super) async fn now(&self) -> Result<u64, Failure> {
        Ok(l1_time(&self.keeper().provider).await?)
    }

    /// A sequencer for account `i` resumed from L1, its claims kept across restarts.
    pub(super) async fn sequencer_for(&self, i: usize) -> Result<Sequencer, Failure> {
        let mut s = Sequencer::resume(
            self.sequencers[i].clone(),
            self.deployment().clone(),
            self.header.clone(),
        )
        .await?;
        s.adopt_claims(self.claims[i].clone());
        s.set_censorship(self.censorship());
        Ok(s)
    }

    pub(super) fn censorship(&self) -> Censorship {
        match self.censor {
            Censor::Nobody => Censorship::None,
            Censor::User(u) => Censorship::Senders([self.user(u).address()].into()),
            Censor::All => Censorship::AllMessages,
        }
    }

    /// Runs one action: predicts, acts, checks the prediction, then checks
    /// every invariant.
    pub async fn apply(&mut self, action: Action) -> Result<(), Failure> {
        self.log(format!("> {action}"));
        self.refused.clear();
        match action {
            Action::Deposit {
                user,
                token,
                units,
                target,
            } => self.deposit(user, token, units, target).await?,
            Action::Transfer {
                from,
                to,
                token,
                units,
                fee,
                flaw,
            } => {
                self.transfer(from, Some(to), token, units, fee, flaw)
                    .await?
            }
            Action::Withdraw {
                user,
                token,
                units,
                fee,
                flaw,
            } => self.transfer(user, None, token, units, fee, flaw).await?,
            Action::ForceWithdrawal {
                user,
                token,
                units,
                own,
            } => self.force_withdrawal(user, token, units, own).await?,
            Action::Commit => self.commit(None).await?,
            Action::CommitLie { lie, defense } => self.commit(Some((lie, defense))).await?,
            Action::Challenge { batch, play } => self.challenge(batch, play).await?,
            Action::Play => self.dishonest_round().await?,
            Action::Timeout => {
                self.dishonest_round().await?;
                self.eager_timeouts().await?;
            }
            Action::Wait(wait) => self.wait(wait).await?,
            Action::Finalize => self.finalize(false).await?,
            Action::Payout => self.payout().await?,
            Action::Censor(censor) => {
                self.censor = censor;
                let censorship = self.censorship();
                self.devnet.sequencer.set_censorship(censorship);
            }
            Action::Pause => self.pause().await?,
            Action::Unpause => self.unpause().await?,
            Action::Rotate => self.rotate().await?,
            Action::Freeze => self.freeze().await?,
            Action::Escape { user } => self.escape(user).await?,
        }
        // The honest parties are always on duty: they answer before anything
        // else happens, and the keeper finalizes every batch that is due.
        self.settle().await?;
        self.finalize(true).await?;
        self.follow_rewinds().await?;
        super::check::all(self).await
    }

    /// Checks `result` against the prediction: success, or a revert with the
    /// named custom error. Returns the value on a predicted success.
    pub(super) fn expect<T>(
        &mut self,
        what: &str,
        expected: Result<(), &'static str>,
        result: Result<T, ChainError>,
    ) -> Result<Option<T>, Failure> {
        match (expected, result) {
            (Ok(()), Ok(value)) => Ok(Some(value)),
            (Err(name), Err(e)) if revert_name(&e).as_deref() == Some(name) => {
                self.refused.push(name.to_owned());
                self.tally(format!("{what} refused: {name}"));
                self.log(format!("  {what} refused: {name}"));
                Ok(None)
            }
            (Ok(()), Err(e)) => Err(Failure::Violated(format!(
                "{what} should have succeeded, but: {e}"
            ))),
            (Err(name), Err(e)) => Err(Failure::Violated(format!(
                "{what} should have reverted with {name}, but: {e}"
            ))),
            (Err(name), Ok(_)) => Err(Failure::Violated(format!(
                "{what} should have reverted with {name}, but it succeeded"
            ))),
        }
    }

    /// The devnet (for the invariant checks).
    pub fn devnet(&self) -> &Devnet {
        &self.devnet
    }

    /// The sequencer the Rollup names now.
    pub fn sequencer(&self) -> &Sequencer {
        &self.devnet.sequencer
    }

    /// The sequencer accounts' addresses.
    pub fn sequencer_addresses(&self) -> [Address; 2] {
        [self.sequencers[0].address(), self.sequencers[1].address()]
    }
}

/// The name of the custom error a failed call reverted with, if it did.
pub fn revert_name(e: &ChainError) -> Option<String> {
    let revert = match e {
        ChainError::Contract { revert, .. } => revert,
        ChainError::SafeCallReverted { revert, .. } => revert.as_ref(),
        _ => return None,
    };
    let debug = match revert {
        Revert::Rollup(e) => format!("{e:?}"),
        Revert::Bridge(e) => format!("{e:?}"),
        Revert::Dispute(e) => format!("{e:?}"),
        Revert::Verifier(e) => format!("{e:?}"),
        Revert::Other(_) => return None,
    };
    debug.split('(').next().map(str::to_owned)
}

/// Reads the model's starting point off the chain right after set-up.
async fn observe(devnet: &Devnet) -> Result<Model, Failure> {
    let p = &devnet.deployer.provider;
    let d = &devnet.deployment;
    let rollup = Rollup::new(d.rollup, p);
    let call = |e: alloy::contract::Error| ChainError::contract("set-up read", &e);
    let tip = rollup.tip().call().await.map_err(call)?;
    let last_final = rollup.lastFinalized().call().await.map_err(call)?;
    let mut model = Model {
        tip,
        last_final,
        staked: [true, true],
        ..Model::default()
    };
    let blocks = bulwark_chain::history::Blocks::to_head(p, d.deploy_block).await?;
    for m in bulwark_chain::history::read_messages(p, d.bridge, blocks).await? {
        model.queue.push(model::Queued {
            sender: m.sender,
            deposit: m.kind == 1,
            token: m.token,
            amount: m.amount,
            queued_at: m.queued_at,
        });
        model.hold(m.token, m.amount);
    }
    for index in 1..=tip {
        let b = dispute::batch(p, d.rollup, index).await?;
        model.batches.insert(
            index,
            model::Batch {
                epoch: b.epoch,
                commit_time: b.commit_time,
                msgs_after: b.msgs_after,
                honest: true,
                committer: 0,
                open_games: 0,
            },
        );
        if index <= last_final {
            model.finals.insert(index, b.state_root);
        }
    }
    Ok(model)
}
