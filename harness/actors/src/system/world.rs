//! The system under test: one devnet with every actor, the model beside it,
//! and each [`Action`] run against the real contracts with its outcome
//! predicted first. Deployed once; [`World::reset`] brings it back between
//! cases with an L1 snapshot.

use std::collections::BTreeMap;

use alloy::primitives::{Address, U256};
use bulwark_chain::{
    ChainError, Deployment, Sent, balance_of,
    bindings::{DisputeGame, Revert, Rollup},
    dispute::{self, GameStatus, Turn, l1_time},
    node::{Snapshot, advance_time, one_second_blocks},
    send,
};
use bulwark_engine::{
    AccountIndex, Header, NEW_ACCOUNT, Record, RecordBytes, State, Step, TokenId, Transfer,
    Withdraw,
};

use super::{
    Failure,
    action::{Action, Censor, Defense, Flaw, Lie, Play, Target, Token, UNIT, USERS, UserId, Wait},
    model::{self, Model, Side},
};
use crate::{
    devnet::{Devnet, DevnetConfig},
    dispute::{
        challenger::{Challenger, ChallengerStrategy},
        defender::{Defender, DefenderStrategy},
        fault::Fault,
        moves::{GameMove, MoveKind},
    },
    escape,
    exit::final_state,
    sequencer::{Censorship, Claims, Sequencer},
    user::User,
    wallet::L1Account,
};

/// The fee a fee-paying record pays, in wei of its token.
const FEE: u128 = UNIT / 10;
/// What a lying batch steals.
const THEFT: u128 = 1_000 * UNIT;
/// What each user holds on L2 in each token when a case starts.
const START_BALANCE: u128 = 2_000 * UNIT;
/// Most rounds of honest moves before time may pass.
const SETTLE_ROUNDS: usize = 24;

/// A signed record waiting for the next commit, with how it was broken.
#[derive(Clone, Debug)]
struct Pending {
    record: RecordBytes,
    flaw: Flaw,
    /// A withdrawal of nothing: skipped as `ZeroAmount` before its nonce and
    /// signer are looked at (§7.4; a transfer of 0 is valid).
    zero_withdraw: bool,
}

/// The devnet, its actors, the model and the transcript of the running case.
pub struct World {
    devnet: Devnet,
    /// Sequencer accounts: 0 is the devnet's, 1 the one the guardian may rotate to.
    sequencers: [L1Account; 2],
    users: Vec<User>,
    watcher: User,
    mallory: User,
    header: Header,
    base: Option<Snapshot>,
    initial: Model,
    /// The model of the running case.
    pub model: Model,
    claims: [Claims; 2],
    defenders: BTreeMap<(usize, u8), Defender>,
    lies: BTreeMap<(u64, u32), Defense>,
    frivolous: BTreeMap<u64, Play>,
    pool: Vec<Pending>,
    censor: Censor,
    /// The named sequencer has not caught up with L1 yet: it cannot derive a
    /// state on top of a false batch, so it waits for that batch to fall.
    stale: bool,
    /// What happened in the running case, one line per event.
    pub transcript: Vec<String>,
    /// How often each kind of event happened, over every case run: what
    /// the histories reached.
    pub coverage: BTreeMap<String, u64>,
}

impl World {
    /// Starts anvil, deploys, and sets up what every case starts from: a fee
    /// header naming the sequencer's accounts, both sequencers staked, batch 1
    /// final. Then snapshots.
    pub async fn start() -> Result<Self, Failure> {
        let names = USERS
            .iter()
            .chain(&["watcher", "mallory", "sequencer-b"])
            .map(|s| s.to_string())
            .collect();
        let config = DevnetConfig {
            users: names,
            ..DevnetConfig::default()
        };
        let mut devnet = Devnet::start(&config).await?;
        one_second_blocks(&devnet.deployer.provider).await?;
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
            coverage: BTreeMap::new(),
        })
    }

    /// Brings L1 and every actor back to the state after [`start`](Self::start).
    pub async fn reset(&mut self) -> Result<(), Failure> {
        let base = self.base.take().ok_or(Failure::Setup("no snapshot"))?;
        self.devnet.restore(base).await?;
        self.base = Some(self.devnet.snapshot().await?);
        self.devnet.sequencer.set_header(self.header.clone());
        self.model = self.initial.clone();
        self.claims = Default::default();
        self.devnet.sequencer = self.sequencer_for(0).await?;
        self.defenders.clear();
        self.lies.clear();
        self.frivolous.clear();
        self.pool.clear();
        self.censor = Censor::Nobody;
        self.stale = false;
        self.transcript.clear();
        Ok(())
    }

    fn deployment(&self) -> &Deployment {
        &self.devnet.deployment
    }

    fn keeper(&self) -> &L1Account {
        &self.devnet.deployer
    }

    fn user(&self, id: UserId) -> &User {
        &self.users[usize::from(id) % self.users.len()]
    }

    fn log(&mut self, line: impl Into<String>) {
        self.transcript.push(line.into());
    }

    fn tally(&mut self, event: impl Into<String>) {
        *self.coverage.entry(event.into()).or_default() += 1;
    }

    async fn now(&self) -> Result<u64, Failure> {
        Ok(l1_time(&self.keeper().provider).await?)
    }

    /// A sequencer for account `i` resumed from L1, its claims kept across restarts.
    async fn sequencer_for(&self, i: usize) -> Result<Sequencer, Failure> {
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

    fn censorship(&self) -> Censorship {
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
            Action::Finalize => self.finalize().await?,
            Action::Payout { user } => self.payout(user).await?,
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
        // The honest parties are always on duty: they answer before anything else happens.
        self.settle().await?;
        self.follow_rewinds().await?;
        super::check::all(self).await
    }

    // ---------------------------------------------------------------------------------------------
    // Users
    // ---------------------------------------------------------------------------------------------

    async fn deposit(
        &mut self,
        user: UserId,
        token: Token,
        units: u16,
        target: Target,
    ) -> Result<(), Failure> {
        let u = self.user(user).clone();
        let amount = u128::from(units) * UNIT;
        let state = self.devnet.sequencer.state().clone();
        let index = match target {
            Target::New => NEW_ACCOUNT,
            Target::Own => own(&state, &u, token).map_or(NEW_ACCOUNT, |i| u64::from(i.0)),
            Target::Other(o) => {
                own(&state, self.user(o), token).map_or(NEW_ACCOUNT, |i| u64::from(i.0))
            }
            Target::Missing => state.preimage().next_account_index + 7,
            Target::WrongToken => {
                let other = match token {
                    Token::Eth => Token::Bdt,
                    Token::Bdt => Token::Eth,
                };
                own(&state, &u, other).map_or(NEW_ACCOUNT, |i| u64::from(i.0))
            }
        };
        // An ERC20 deposit is its approval's block, then its own.
        let at = self.now().await? + if token == Token::Bdt { 2 } else { 1 };
        let expected = if self.model.frozen {
            Err("QueueClosed")
        } else if at < self.model.paused_until {
            Err("DepositsPausedUntil")
        } else if amount == 0 {
            Err("ZeroAmount")
        } else {
            Ok(())
        };
        let d = self.deployment().clone();
        let sent = match token {
            Token::Eth => u.deposit_eth(&d, amount, index).await,
            Token::Bdt => u.deposit_erc20(&d, self.devnet.token, amount, index).await,
        };
        let queued = self.expect("deposit", expected, sent)?;
        if let Some(q) = queued {
            self.model.queue.push(model::Queued {
                sender: u.address(),
                deposit: true,
                token: token.id(),
                amount,
                queued_at: q.message.queued_at,
            });
            self.model.hold(token.id(), amount);
            self.tally("deposit queued");
            self.log(format!("  queued message {}", q.message.index));
        }
        Ok(())
    }

    async fn force_withdrawal(
        &mut self,
        user: UserId,
        token: Token,
        units: u16,
        own_account: bool,
    ) -> Result<(), Failure> {
        let u = self.user(user).clone();
        let state = self.devnet.sequencer.state().clone();
        let whose = if own_account {
            u.clone()
        } else {
            self.user(user + 1).clone()
        };
        let account = own(&state, &whose, token).map_or(0, |i| i.0);
        let amount = u128::from(units) * UNIT;
        let expected = if self.model.frozen {
            Err("QueueClosed")
        } else if amount == 0 {
            Err("ZeroAmount")
        } else {
            Ok(())
        };
        let d = self.deployment().clone();
        let sent = u.force_withdrawal(&d, account, token.id(), amount).await;
        if let Some(q) = self.expect("forceWithdrawal", expected, sent)? {
            self.model.queue.push(model::Queued {
                sender: u.address(),
                deposit: false,
                token: token.id(),
                amount: 0,
                queued_at: q.message.queued_at,
            });
            self.tally("forced withdrawal queued");
            self.log(format!("  queued message {}", q.message.index));
        }
        Ok(())
    }

    /// Signs a transfer (`to` some user) or a withdrawal (`to` none) into the pool.
    async fn transfer(
        &mut self,
        from: UserId,
        to: Option<UserId>,
        token: Token,
        units: u16,
        fee: bool,
        flaw: Flaw,
    ) -> Result<(), Failure> {
        let state = self.devnet.sequencer.state().clone();
        let payer = self.user(from).clone();
        let Some(from_index) = own(&state, &payer, token) else {
            self.log(format!(
                "  {} has no {token} account: nothing signed",
                payer.name
            ));
            return Ok(());
        };
        let Some(leaf) = state.account(from_index).copied() else {
            return Ok(());
        };
        let queued = self
            .pool
            .iter()
            .filter(|p| p.flaw == Flaw::None && !p.zero_withdraw)
            .filter(|p| signer_account(&p.record) == Some(from_index))
            .count() as u32;
        let mut nonce = leaf.nonce + queued;
        let mut amount = u128::from(units) * UNIT;
        let signer = match flaw {
            Flaw::WrongSigner => self.user(from + 1).clone(),
            _ => payer.clone(),
        };
        match flaw {
            // Below the committed nonce: stale whatever the pool holds.
            Flaw::StaleNonce if leaf.nonce > 0 => nonce = leaf.nonce - 1,
            Flaw::StaleNonce => nonce += 1_000,
            // More than all the ETH and BDT there is: an overdraft whatever reaches the account first.
            Flaw::Overdraft => amount = leaf.balance + 10u128.pow(30),
            _ => {}
        }
        let fee = if fee { FEE } else { 0 };
        let d = self.deployment().clone();
        let record = match to {
            Some(to) => {
                let Some(to_index) = own(&state, self.user(to), token) else {
                    self.log("  the payee has no account in that token: nothing signed");
                    return Ok(());
                };
                let tx = Transfer {
                    from: from_index,
                    to: to_index,
                    token: TokenId(token.id()),
                    amount,
                    fee,
                    nonce,
                };
                signer.sign_transfer(&d, tx).await?.encode()
            }
            None => {
                let tx = Withdraw {
                    from: from_index,
                    recipient: payer.address(),
                    amount,
                    fee,
                    nonce,
                };
                signer.sign_withdraw(&d, tx).await?.encode()
            }
        };
        let mut record = record;
        if flaw == Flaw::Malformed {
            record[record.len() - 1] = 0xff;
        }
        let zero_withdraw = to.is_none() && amount == 0;
        self.pool.push(Pending {
            record,
            flaw,
            zero_withdraw,
        });
        self.tally(if to.is_some() {
            "transfer signed"
        } else {
            "withdrawal signed"
        });
        Ok(())
    }

    // ---------------------------------------------------------------------------------------------
    // Sequencer
    // ---------------------------------------------------------------------------------------------

    async fn commit(&mut self, lie: Option<(Lie, Defense)>) -> Result<(), Failure> {
        if self.stale {
            self.log("  the sequencer waits for the false batch below it to fall");
            return Ok(());
        }
        let current = self.model.sequencer;
        let messages = if self.model.frozen {
            Vec::new()
        } else {
            self.devnet.sequencer.pending_messages().await?
        };
        if messages.is_empty() && self.pool.is_empty() {
            self.log("  nothing to commit");
            return Ok(());
        }
        if !self.model.staked[current] && !self.model.frozen {
            self.devnet.sequencer.stake().await?;
            self.model.staked[current] = true;
            self.log("  the sequencer stakes again");
        }
        let at = self.now().await? + 1;
        let expected = if self.model.frozen {
            Err("RollupFrozen")
        } else if at < self.model.paused_until {
            Err("CommitsPaused")
        } else {
            Ok(())
        };
        let records: Vec<RecordBytes> = self.pool.iter().map(|p| p.record).collect();
        let fault = lie.map(|(lie, _)| fault(lie, self.mallory.address()));
        let result = self
            .devnet
            .sequencer
            .commit_claiming(records.clone(), fault)
            .await;
        let result = match result {
            Ok(report) => Ok(report),
            Err(crate::sequencer::SequencerError::Chain(e)) => Err(e),
            Err(e) => return Err(e.into()),
        };
        let Some(report) = self.expect("commitBatch", expected, result)? else {
            return Ok(());
        };
        let pool = std::mem::take(&mut self.pool);
        let record_steps = report
            .steps
            .iter()
            .filter(|s| matches!(s.input, Step::Record(_)));
        for (pending, step) in pool.iter().zip(record_steps) {
            let skip = step.outcome.skip_reason().map(|r| r.name());
            let fine = if pending.zero_withdraw && pending.flaw != Flaw::Malformed {
                skip == Some("ZeroAmount")
            } else {
                matches!(
                    (pending.flaw, skip),
                    (Flaw::None, None | Some("Overdraft" | "BadNonce"))
                        | (Flaw::StaleNonce, Some("BadNonce"))
                        | (Flaw::WrongSigner, Some("WrongSigner"))
                        | (Flaw::Overdraft, Some("Overdraft" | "BadNonce"))
                        | (Flaw::Malformed, Some("NonZeroPadding"))
                )
            };
            if !fine {
                return Err(Failure::Violated(format!(
                    "batch {} step {} ({}) was {} though the record was signed {:?}",
                    report.batch,
                    step.step,
                    step.input,
                    step.outcome.name(),
                    pending.flaw
                )));
            }
        }
        let record = dispute::batch(
            &self.keeper().provider,
            self.deployment().rollup,
            report.batch,
        )
        .await?;
        self.model.tip = report.batch;
        self.model.batches.insert(
            report.batch,
            model::Batch {
                epoch: self.model.epoch,
                commit_time: at,
                msgs_after: record.msgs_after,
                honest: lie.is_none(),
                committer: current,
                open_games: 0,
            },
        );
        if record.epoch != self.model.epoch || record.commit_time != at {
            return Err(Failure::Violated(format!(
                "batch {} committed at {} in epoch {}, the model expected {at} and epoch {}",
                report.batch, record.commit_time, record.epoch, self.model.epoch
            )));
        }
        if let Some((_, defense)) = lie {
            self.lies.insert((report.batch, record.epoch), defense);
        }
        self.tally(if lie.is_some() {
            "false batch committed"
        } else {
            "batch committed"
        });
        let applied = report
            .steps
            .iter()
            .filter(|s| s.outcome.is_applied())
            .count();
        *self.coverage.entry("steps applied".into()).or_default() += applied as u64;
        self.log(format!(
            "  batch {}: {} messages, {} records{} ({} gas)",
            report.batch,
            report.messages,
            report.records,
            if lie.is_some() { ", lying" } else { "" },
            report.sent.gas_used
        ));
        Ok(())
    }

    /// After a lost game rewound the Rollup below the sequencer's tip, the
    /// sequencer restarts from L1 (its claims kept, for batches still live).
    async fn follow_rewinds(&mut self) -> Result<(), Failure> {
        if self.model.frozen {
            return Ok(());
        }
        if self.stale || self.devnet.sequencer.tip() > self.model.tip {
            if self.model.batches.values().any(|b| !b.honest) {
                self.stale = true;
                return Ok(());
            }
            self.stale = false;
            self.devnet.sequencer = self.sequencer_for(self.model.sequencer).await?;
            self.pool.clear();
            self.log(format!(
                "  the sequencer restarts from L1 at batch {}",
                self.model.tip
            ));
        }
        Ok(())
    }

    // ---------------------------------------------------------------------------------------------
    // Games
    // ---------------------------------------------------------------------------------------------

    fn watcher_challenger(&self) -> Challenger {
        self.devnet
            .challenger(&self.watcher, ChallengerStrategy::Honest)
    }

    async fn challenge(&mut self, pick: u8, play: Play) -> Result<(), Failure> {
        let live: Vec<u64> = self
            .model
            .batches
            .keys()
            .copied()
            .filter(|&i| i > self.model.last_final)
            .collect();
        if live.is_empty() {
            self.log("  no pending batch to challenge");
            return Ok(());
        }
        let batch = live[usize::from(pick) % live.len()];
        let b = self.model.batches[&batch].clone();
        let at = self.now().await? + 1;
        let already = self.frivolous.keys().any(|id| {
            self.model
                .games
                .get(id)
                .is_some_and(|g| g.batch == batch && g.epoch == b.epoch)
        });
        let expected = if self.model.frozen {
            Err("RollupFrozen")
        } else if at >= b.commit_time + self.deployment().params.window {
            Err("ChallengeWindowClosed")
        } else if already {
            Err("AlreadyChallenged")
        } else {
            Ok(())
        };
        let strategy = strategy(play);
        let challenger = self.devnet.challenger(&self.mallory, strategy);
        let result = challenger.challenge(batch).await.map_err(dispute_chain);
        let opened = match result {
            Ok(m) => Ok(m),
            Err(Ok(e)) => Err(e),
            Err(Err(e)) => return Err(e.into()),
        };
        if let Some(m) = self.expect("open", expected, opened)? {
            self.frivolous.insert(m.game, play);
            let honest = b.honest.then_some(Side::Defender);
            self.observe_moves(&[m], honest)?;
        }
        Ok(())
    }

    /// One round of the honest parties' moves: the watcher audits every live
    /// batch (opening a game on the first false one) and plays its games, the
    /// honest defenders answer in games on true batches, the keeper closes
    /// games whose batch was dropped. Returns whether anyone moved.
    async fn honest_round(&mut self) -> Result<bool, Failure> {
        if self.model.frozen {
            let moves = self.sweep_frozen().await?;
            self.observe_moves(&moves, None)?;
            return Ok(!moves.is_empty());
        }
        let moves = self.watcher_challenger().tick().await?;
        self.observe_moves(&moves, Some(Side::Challenger))?;
        let mut any = !moves.is_empty();
        for i in 0..2 {
            let key = self.ensure_defender(i, None);
            let lies = self.lies.clone();
            let model = self.model.clone();
            let moved = self.defenders[&key]
                .tick_where(|g| {
                    model.is_live(g.batch, g.epoch) && !lies.contains_key(&(g.batch, g.epoch))
                })
                .await?;
            any |= !moved.is_empty();
            self.observe_moves(&moved, None)?;
        }
        any |= self.close_dropped().await?;
        Ok(any)
    }

    /// One round of the dishonest parties' moves: mallory in each of her
    /// games, each lying sequencer's defender in games on its false batches.
    async fn dishonest_round(&mut self) -> Result<(), Failure> {
        if self.model.frozen {
            return Ok(());
        }
        let games = dispute::games(&self.keeper().provider, self.deployment().dispute).await?;
        for (&id, &play) in self.frivolous.clone().iter() {
            if games.iter().any(|g| g.id == id && !g.resolved) {
                let challenger = self.devnet.challenger(&self.mallory, strategy(play));
                let moved = challenger.play_games(|g| g.id == id).await?;
                self.observe_moves(&moved, None)?;
            }
        }
        for i in 0..2 {
            for defense in [Defense::Claims, Defense::BadFold, Defense::Stall] {
                let key = self.ensure_defender(i, Some(defense));
                let lies = self.lies.clone();
                let model = self.model.clone();
                let moved = self.defenders[&key]
                    .tick_where(|g| {
                        model.is_live(g.batch, g.epoch)
                            && lies.get(&(g.batch, g.epoch)) == Some(&defense)
                    })
                    .await?;
                self.observe_moves(&moved, None)?;
            }
        }
        Ok(())
    }

    /// The defender of sequencer `i`'s batches, honest or with `defense`; returns its key.
    fn ensure_defender(&mut self, i: usize, defense: Option<Defense>) -> (usize, u8) {
        let key = (i, defense.map_or(0, |d| d as u8 + 1));
        let account = self.sequencers[i].clone();
        let deployment = self.deployment().clone();
        let claims = self.claims[i].clone();
        self.defenders.entry(key).or_insert_with(|| {
            let strategy = match defense {
                None | Some(Defense::Claims) => DefenderStrategy::Honest,
                Some(Defense::BadFold) => DefenderStrategy::BadFold,
                Some(Defense::Stall) => DefenderStrategy::Stall,
            };
            Defender::new(account, deployment, claims, strategy)
        });
        key
    }

    /// The keeper closes every game whose batch was dropped (anyone may).
    async fn close_dropped(&mut self) -> Result<bool, Failure> {
        let games = dispute::games(&self.keeper().provider, self.deployment().dispute).await?;
        let contract = DisputeGame::new(self.deployment().dispute, &self.keeper().provider);
        let mut closed = Vec::new();
        for g in games {
            if g.status == GameStatus::InProgress && !self.model.is_live(g.batch, g.epoch) {
                let sent = send(contract.close(U256::from(g.id)), "close").await?;
                closed.push(GameMove {
                    actor: "keeper".into(),
                    game: g.id,
                    kind: MoveKind::Closed,
                    gas: sent.gas_used,
                });
            }
        }
        let any = !closed.is_empty();
        self.observe_moves(&closed, None)?;
        Ok(any)
    }

    /// After a freeze no move is legal: the keeper closes every game in
    /// progress and resolves every decided one (§16).
    async fn sweep_frozen(&mut self) -> Result<Vec<GameMove>, Failure> {
        let games = dispute::games(&self.keeper().provider, self.deployment().dispute).await?;
        let contract = DisputeGame::new(self.deployment().dispute, &self.keeper().provider);
        let mut moves = Vec::new();
        for g in games {
            let kind = match (g.status, g.resolved) {
                (GameStatus::InProgress, _) => {
                    send(contract.close(U256::from(g.id)), "close").await?;
                    MoveKind::Closed
                }
                (GameStatus::ChallengerWon | GameStatus::DefenderWon, false) => {
                    send(contract.resolve(U256::from(g.id)), "resolve").await?;
                    let status =
                        dispute::game(&self.keeper().provider, self.deployment().dispute, g.id)
                            .await?
                            .status;
                    MoveKind::Resolved { status }
                }
                _ => continue,
            };
            moves.push(GameMove {
                actor: "keeper".into(),
                game: g.id,
                kind,
                gas: 0,
            });
        }
        Ok(moves)
    }

    /// Right after their own moves, the dishonest parties try to time out an
    /// honest opponent, whose clock can never have run out: the honest side
    /// answers every move before any time passes.
    async fn eager_timeouts(&mut self) -> Result<(), Failure> {
        if self.model.frozen {
            return Ok(());
        }
        let games = dispute::games(&self.keeper().provider, self.deployment().dispute).await?;
        for g in games {
            let Some(m) = self.model.games.get(&g.id).cloned() else {
                continue;
            };
            if g.status != GameStatus::InProgress || !self.model.is_live(g.batch, g.epoch) {
                continue;
            }
            let waiting = match g.turn {
                Turn::Challenger => Side::Challenger,
                Turn::Defender => Side::Defender,
            };
            if m.honest != Some(waiting) {
                continue;
            }
            let from = match waiting {
                Side::Defender => self.mallory.l1.clone(),
                Side::Challenger => self.sequencers[self.committer_of(g.batch)].clone(),
            };
            let contract = DisputeGame::new(self.deployment().dispute, &from.provider);
            let result = send(contract.timeout(U256::from(g.id)), "timeout").await;
            self.expect("timeout", Err("ClockNotExpired"), result)?;
        }
        Ok(())
    }

    fn committer_of(&self, batch: u64) -> usize {
        self.model.batches.get(&batch).map_or(0, |b| b.committer)
    }

    /// Applies what moves did to the model; `opener` is the honest side of
    /// any game they open.
    fn observe_moves(&mut self, moves: &[GameMove], opener: Option<Side>) -> Result<(), Failure> {
        for m in moves {
            self.log(format!("  {m}"));
            let event = match &m.kind {
                MoveKind::Opened { .. } => "game opened".to_owned(),
                MoveKind::Revealed { .. } => "reveal".to_owned(),
                MoveKind::RevealRefused { .. } => "reveal refused".to_owned(),
                MoveKind::Picked { .. } => "pick".to_owned(),
                MoveKind::Stepped { .. } => "one-step".to_owned(),
                MoveKind::TimedOut { loser } => format!("timeout of the {loser}"),
                MoveKind::Resolved { status } => format!("game resolved: {status:?}"),
                MoveKind::Closed => "game closed".to_owned(),
            };
            self.tally(event);
            match &m.kind {
                MoveKind::Opened { batch, depth } => {
                    let epoch = self.model.batches.get(batch).map_or(0, |b| b.epoch);
                    let honest = opener;
                    if let Some(b) = self.model.batches.get_mut(batch) {
                        b.open_games += 1;
                    }
                    self.model.games.insert(
                        m.game,
                        model::Game {
                            batch: *batch,
                            epoch,
                            honest,
                            depth: *depth,
                            moves: (0, 0),
                            settled: false,
                        },
                    );
                }
                MoveKind::Revealed { .. } => self.count_move(m.game, Side::Defender),
                MoveKind::Picked { .. } | MoveKind::Stepped { .. } => {
                    self.count_move(m.game, Side::Challenger)
                }
                MoveKind::RevealRefused { .. } | MoveKind::TimedOut { .. } => {}
                MoveKind::Resolved { status } => {
                    let Some(g) = self.model.games.get_mut(&m.game) else {
                        continue;
                    };
                    g.settled = true;
                    let (batch, epoch) = (g.batch, g.epoch);
                    if self.model.is_live(batch, epoch) {
                        if let Some(b) = self.model.batches.get_mut(&batch) {
                            b.open_games = b.open_games.saturating_sub(1);
                        }
                        if *status == GameStatus::ChallengerWon {
                            self.model.challenger_won(batch);
                        }
                    } else if *status == GameStatus::ChallengerWon && self.model.frozen {
                        // Decided before the freeze: the committer still loses its stake.
                        self.model.challenger_won(batch);
                    }
                }
                MoveKind::Closed => {
                    if let Some(g) = self.model.games.get_mut(&m.game) {
                        g.settled = true;
                    }
                }
            }
        }
        Ok(())
    }

    fn count_move(&mut self, game: u64, side: Side) {
        if let Some(g) = self.model.games.get_mut(&game) {
            match side {
                Side::Challenger => g.moves.0 += 1,
                Side::Defender => g.moves.1 += 1,
            }
        }
    }

    /// Honest parties move until none has a move due.
    async fn settle(&mut self) -> Result<(), Failure> {
        for _ in 0..SETTLE_ROUNDS {
            if !self.honest_round().await? {
                return Ok(());
            }
        }
        Err(Failure::Violated(format!(
            "honest parties still had moves after {SETTLE_ROUNDS} rounds"
        )))
    }

    async fn wait(&mut self, wait: Wait) -> Result<(), Failure> {
        self.settle().await?;
        let p = &self.deployment().params;
        let seconds = match wait {
            Wait::Minute => 60,
            Wait::Clock => p.clock + 1,
            Wait::Deadline => p.deadline + 1,
            Wait::Window => p.window + 1,
        };
        advance_time(&self.keeper().provider, seconds).await?;
        self.log(format!("  {seconds} s pass"));
        Ok(())
    }

    // ---------------------------------------------------------------------------------------------
    // Finality and payouts
    // ---------------------------------------------------------------------------------------------

    async fn finalize(&mut self) -> Result<(), Failure> {
        let rollup = Rollup::new(self.deployment().rollup, self.keeper().provider.clone());
        loop {
            let index = self.model.last_final + 1;
            if index > self.model.tip && !self.model.frozen {
                return Ok(());
            }
            let at = self.now().await? + 1;
            let expected = match self.model.batches.get(&index) {
                _ if self.model.frozen => Err("RollupFrozen"),
                None => Err("UnknownBatch"),
                Some(b) if at < b.commit_time + self.deployment().params.window => Err("NotFinal"),
                Some(b) if b.open_games > 0 => Err("GamesOpen"),
                Some(_) => Ok(()),
            };
            let result = send(rollup.finalizeBatch(index), "finalizeBatch").await;
            if self.expect("finalizeBatch", expected, result)?.is_none() {
                return Ok(());
            }
            let record =
                dispute::batch(&self.keeper().provider, self.deployment().rollup, index).await?;
            self.model.last_final = index;
            self.model.finals.insert(index, record.state_root);
            self.tally("batch finalized");
            self.log(format!("  batch {index} is final"));
        }
    }

    async fn payout(&mut self, user: UserId) -> Result<(), Failure> {
        if self.model.last_final == 0 {
            return Ok(());
        }
        let u = self.user(user).clone();
        let view = final_state(self.keeper(), self.deployment()).await?;
        let leaves: Vec<_> = view
            .state
            .withdrawals()
            .filter(|w| w.recipient == u.address())
            .copied()
            .collect();
        let mut last_paid = None;
        for leaf in leaves {
            if self.model.paid.contains(&leaf.index.0) {
                last_paid = Some(leaf.index);
                continue;
            }
            let before = self.l1_balance(leaf.token, u.address()).await?;
            let sent = crate::exit::finalize_withdrawal(
                self.keeper(),
                self.deployment(),
                &view,
                leaf.index,
            )
            .await;
            let sent = sent.map_err(|e| match e {
                crate::exit::ExitError::Chain(c) => c,
                other => ChainError::Rpc {
                    method: "finalizeWithdrawal",
                    reason: other.to_string(),
                },
            });
            self.expect("finalizeWithdrawal", Ok(()), sent)?;
            self.paid_out(leaf.token, u.address(), before, leaf.amount, "withdrawal")
                .await?;
            self.model.paid.insert(leaf.index.0);
            last_paid = Some(leaf.index);
        }
        if let Some(index) = last_paid {
            let again =
                crate::exit::finalize_withdrawal(self.keeper(), self.deployment(), &view, index)
                    .await
                    .map_err(|e| match e {
                        crate::exit::ExitError::Chain(c) => c,
                        other => ChainError::Rpc {
                            method: "finalizeWithdrawal",
                            reason: other.to_string(),
                        },
                    });
            self.expect("finalizeWithdrawal replay", Err("AlreadyPaid"), again)?;
        }
        Ok(())
    }

    async fn l1_balance(&self, token: TokenId, who: Address) -> Result<U256, Failure> {
        let address = (token != TokenId::ETH).then_some(self.devnet.token);
        Ok(balance_of(&self.keeper().provider, address, who).await?)
    }

    /// Checks `who` received exactly `amount` since `before`, and books it.
    async fn paid_out(
        &mut self,
        token: TokenId,
        who: Address,
        before: U256,
        amount: u128,
        what: &str,
    ) -> Result<(), Failure> {
        let after = self.l1_balance(token, who).await?;
        if after != before + U256::from(amount) {
            return Err(Failure::Violated(format!(
                "a {what} of {amount} in {token} moved {who}'s L1 balance from {before} to {after}"
            )));
        }
        self.model.pay(token.0, amount);
        self.tally(format!("{what} paid"));
        let name = self
            .users
            .iter()
            .find(|u| u.address() == who)
            .map_or_else(|| who.to_string(), |u| u.name.clone());
        self.log(format!("  {what}: {amount} of {token} paid to {name}"));
        Ok(())
    }

    // ---------------------------------------------------------------------------------------------
    // Guardian, freeze, escape
    // ---------------------------------------------------------------------------------------------

    async fn pause(&mut self) -> Result<(), Failure> {
        let at = self.now().await? + 1;
        let expected = if self.model.frozen {
            Err("RollupFrozen")
        } else if at < self.model.next_pause_at {
            Err("PauseInCooldown")
        } else {
            Ok(())
        };
        let result = self.devnet.guardian.pause(self.deployment()).await;
        if self.expect("pause", expected, result)?.is_some() {
            // Safe transactions are one block each: the pause starts at `at`.
            let (pause, cooldown) = (
                self.deployment().params.pause,
                self.deployment().params.cooldown,
            );
            self.tally("pause");
            self.model.paused_until = at + pause;
            self.model.next_pause_at = at + pause + cooldown;
        }
        Ok(())
    }

    async fn unpause(&mut self) -> Result<(), Failure> {
        let at = self.now().await? + 1;
        let expected = if self.model.frozen {
            Err("RollupFrozen")
        } else if at >= self.model.paused_until {
            Err("NotPaused")
        } else {
            Ok(())
        };
        let result = self.devnet.guardian.unpause(self.deployment()).await;
        if self.expect("unpause", expected, result)?.is_some() {
            self.model.paused_until = at;
            self.tally("unpause");
        }
        Ok(())
    }

    async fn rotate(&mut self) -> Result<(), Failure> {
        let next = 1 - self.model.sequencer;
        let expected = if self.model.frozen {
            Err("RollupFrozen")
        } else {
            Ok(())
        };
        let address = self.sequencers[next].address();
        let result = self
            .devnet
            .guardian
            .set_sequencer(self.deployment(), address)
            .await;
        if self.expect("setSequencer", expected, result)?.is_some() {
            self.model.sequencer = next;
            self.pool.clear();
            self.stale = true;
            self.log(format!(
                "  sequencer {next} takes over at batch {}",
                self.model.tip
            ));
        }
        Ok(())
    }

    async fn freeze(&mut self) -> Result<(), Failure> {
        // The keeper freezes once the newest block is past the deadline (its
        // transaction, in a later block, is then surely past it too).
        let at = self.now().await?;
        let expected = self
            .model
            .freezable_at(at, self.deployment().params.deadline);
        let sent = escape::freeze_if_overdue(self.keeper(), self.deployment()).await?;
        if sent.is_some() != expected {
            return Err(Failure::Violated(format!(
                "the keeper {} the rollup at {at}; the model says it is {}freezable",
                if sent.is_some() {
                    "froze"
                } else {
                    "could not freeze"
                },
                if expected { "" } else { "not " }
            )));
        }
        if sent.is_some() {
            self.model.freeze();
            self.tally("freeze");
            self.log(format!("  frozen at final batch {}", self.model.last_final));
        }
        Ok(())
    }

    async fn escape(&mut self, user: UserId) -> Result<(), Failure> {
        if !self.model.frozen {
            return Ok(());
        }
        let u = self.user(user).clone();
        let plan = escape::plan(self.keeper(), self.deployment()).await?;
        let d = self.deployment().clone();
        let mut replay: Vec<(&'static str, &'static str, Result<Sent, ChainError>)> = Vec::new();
        let owned: Vec<_> = plan
            .state
            .accounts()
            .filter(|(i, a)| {
                a.owner == u.address() && a.balance > 0 && !self.model.exited.contains(&i.0)
            })
            .map(|(i, a)| (i, *a))
            .collect();
        for (index, leaf) in owned {
            let Some(proof) = plan.state.account_proof(index) else {
                continue;
            };
            let before = self.l1_balance(leaf.token, u.address()).await?;
            let sent = escape::exit(self.keeper(), &d, &plan, &proof).await;
            self.expect("exit", Ok(()), sent)?;
            self.paid_out(leaf.token, u.address(), before, leaf.balance, "exit")
                .await?;
            self.model.exited.insert(index.0);
            let again = escape::exit(self.keeper(), &d, &plan, &proof).await;
            replay.push(("exit replay", "AlreadyExited", again));
        }
        let leaves: Vec<_> = plan
            .state
            .withdrawals()
            .filter(|w| w.recipient == u.address() && !self.model.paid.contains(&w.index.0))
            .copied()
            .collect();
        for leaf in leaves {
            let before = self.l1_balance(leaf.token, u.address()).await?;
            let sent = escape::withdraw(self.keeper(), &d, &plan, leaf.index).await;
            self.expect("finalizeWithdrawal", Ok(()), sent)?;
            self.paid_out(leaf.token, u.address(), before, leaf.amount, "withdrawal")
                .await?;
            self.model.paid.insert(leaf.index.0);
        }
        let consumed = plan.state.preimage().msgs_consumed;
        let history = bulwark_chain::history::read_messages(
            &self.keeper().provider,
            d.bridge,
            bulwark_chain::history::Blocks::to_head(&self.keeper().provider, d.deploy_block)
                .await?,
        )
        .await?;
        for message in history {
            let m = &self.model.queue[message.index as usize];
            if message.index < consumed
                || !m.deposit
                || m.sender != u.address()
                || self.model.refunded.contains(&message.index)
            {
                continue;
            }
            let (token, amount) = (TokenId(m.token), m.amount);
            let before = self.l1_balance(token, u.address()).await?;
            let sent = escape::refund(self.keeper(), &d, &message).await;
            self.expect("refund", Ok(()), sent)?;
            self.paid_out(token, u.address(), before, amount, "refund")
                .await?;
            self.model.refunded.insert(message.index);
            let again = escape::refund(self.keeper(), &d, &message).await;
            replay.push(("refund replay", "AlreadyRefunded", again));
        }
        for (what, error, result) in replay {
            self.expect(what, Err(error), result)?;
        }
        Ok(())
    }

    // ---------------------------------------------------------------------------------------------
    // Predictions
    // ---------------------------------------------------------------------------------------------

    /// Checks `result` against the prediction: success, or a revert with the
    /// named custom error. Returns the value on a predicted success.
    fn expect<T>(
        &mut self,
        what: &str,
        expected: Result<(), &'static str>,
        result: Result<T, ChainError>,
    ) -> Result<Option<T>, Failure> {
        match (expected, result) {
            (Ok(()), Ok(value)) => Ok(Some(value)),
            (Err(name), Err(e)) if revert_name(&e).as_deref() == Some(name) => {
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

/// `user`'s account in `token`, if it has one.
fn own(state: &State, user: &User, token: Token) -> Option<AccountIndex> {
    state
        .find_account(user.address(), TokenId(token.id()))
        .map(|(i, _)| i)
}

/// The account a signed record debits.
fn signer_account(record: &RecordBytes) -> Option<AccountIndex> {
    match Record::decode(record) {
        Record::Transfer(t) => Some(t.tx.from),
        Record::Withdraw(w) => Some(w.tx.from),
        _ => None,
    }
}

fn fault(lie: Lie, thief: Address) -> Fault {
    match lie {
        Lie::From(step) => Fault::PostRootFrom {
            step: usize::from(step),
            thief,
            amount: THEFT,
        },
        Lie::StateRootOnly => Fault::StateRootOnly {
            thief,
            amount: THEFT,
        },
        Lie::TraceOnly(step) => Fault::TraceOnly {
            step: usize::from(step),
        },
        Lie::Garbage => Fault::GarbageTrace {
            thief,
            amount: THEFT,
        },
    }
}

fn strategy(play: Play) -> ChallengerStrategy {
    match play {
        Play::Honest => ChallengerStrategy::Honest,
        Play::FirstChild => ChallengerStrategy::FirstChild,
        Play::Stall => ChallengerStrategy::Stall,
        Play::Toward(step) => ChallengerStrategy::Toward(u64::from(step)),
    }
}

/// A dispute error that is a revert (to check against a prediction), or not.
fn dispute_chain(
    e: crate::dispute::DisputeError,
) -> Result<ChainError, crate::dispute::DisputeError> {
    match e {
        crate::dispute::DisputeError::Chain(c) => Ok(*c),
        other => Err(other),
    }
}
