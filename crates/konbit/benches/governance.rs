//! Governance figures, on the embedded SQLite store: casting a ballot
//! (p50, p99), closing a vote of N voters (count, tally, decision log),
//! counting a ranked vote, and an adopted quota change from the step that
//! applies it until the profile has the new limits. Figures are printed,
//! never asserted.
//!
//!     cargo bench -p konbit --bench governance
//!
//! Without `--bench` (as under `cargo test --all-targets`) it runs a smoke
//! version with 10 voters. Environment: `KONBIT_BENCH_VOTERS` (default 1000).

use anyhow::{Context, Result, anyhow};
use konbit_app::account::CreateAccount;
use konbit_app::governance::{BallotInput, BodyInput, ProposalInput};
use konbit_app::quota_profile::ProfileInput;
use konbit_app::{App, AppConfig};
use konbit_core::authz::{Actor, Source};
use konbit_core::governance::action::PlatformAction;
use konbit_core::governance::ballot::{BallotContent, STATUS_QUO};
use konbit_core::governance::counting::Choice;
use konbit_core::governance::rules::{BodyKind, DecisionRules, Method};
use konbit_core::model::{AccountId, BodyId, Membership, ProposalId, Role, UserId};
use konbit_core::quota::QuotaLimits;
use konbit_store::Store;
use std::time::Instant;

fn voters_wanted(smoke: bool) -> Result<usize> {
    if smoke {
        return Ok(10);
    }
    match std::env::var("KONBIT_BENCH_VOTERS") {
        Ok(v) => v
            .trim()
            .parse()
            .with_context(|| format!("KONBIT_BENCH_VOTERS={v:?} is not a count")),
        Err(_) => Ok(1000),
    }
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

fn at(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// An owner of `account`, as a session would present them (no sign-in:
/// the figures are about governance, not argon2).
fn owner_of(account: AccountId) -> Actor {
    Actor {
        user_id: Some(UserId(1_000_000 + account.0)),
        label: format!("owner-{account}"),
        is_admin: false,
        memberships: vec![Membership {
            account_id: account,
            role: Role::Owner,
        }],
        token: None,
        source: Source::Api,
        ip: None,
        mfa: false,
        impersonator: None,
    }
}

struct Bench {
    _dir: tempfile::TempDir,
    app: App,
    owners: Vec<Actor>,
    body: BodyId,
    profile: konbit_core::model::QuotaProfileId,
}

async fn setup(voters: usize) -> Result<Bench> {
    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("konbit.db")).await?;
    store.migrate().await?;
    let app = App::new(store, AppConfig::default());
    let cli = Actor::operator_cli();
    let e = |e: konbit_app::AppError| anyhow!("{e}");
    let profile = app
        .quota_profiles()
        .create(
            &cli,
            ProfileInput {
                name: "standard".into(),
                limits: QuotaLimits::starter(),
            },
        )
        .await
        .map_err(e)?
        .id;
    let mut owners = Vec::with_capacity(voters);
    for i in 0..voters {
        let account = app
            .accounts()
            .create(
                &cli,
                CreateAccount {
                    name: format!("member{i}"),
                    display_name: format!("Member {i}"),
                    ..Default::default()
                },
            )
            .await
            .map_err(e)?;
        owners.push(owner_of(account.id));
    }
    let mut rules = DecisionRules::default_for(BodyKind::GeneralAssembly);
    rules.appeal_window_seconds = 0;
    let body = app
        .governance()
        .create_body(
            &cli,
            BodyInput {
                name: "General assembly".into(),
                rules,
                members: Vec::new(),
            },
        )
        .await
        .map_err(e)?
        .id;
    Ok(Bench {
        _dir: dir,
        app,
        owners,
        body,
        profile,
    })
}

impl Bench {
    /// A proposal by an admin, moved into its vote; returns its text hash
    /// and when the vote closes.
    async fn open(&self, input: ProposalInput) -> Result<(ProposalId, String, i64)> {
        let gov = self.app.governance();
        let cli = Actor::operator_cli();
        let e = |e: konbit_app::AppError| anyhow!("{e}");
        let p = gov.create_proposal(&cli, input).await.map_err(e)?;
        gov.start_discussion(&cli, p.id).await.map_err(e)?;
        gov.tick(konbit_app::now() + 8 * 86_400).await.map_err(e)?;
        let view = gov.proposal(&cli, p.id).await.map_err(e)?;
        let closes = view
            .vote_closes_at
            .ok_or_else(|| anyhow!("the vote did not open"))?;
        Ok((p.id, view.current_text_hash, closes))
    }

    fn input(
        &self,
        method: Method,
        options: &[&str],
        action: Option<PlatformAction>,
    ) -> ProposalInput {
        ProposalInput {
            body_id: self.body,
            title: "Twenty mailboxes".into(),
            text: "Raise the standard profile to twenty mailboxes.".into(),
            method: Some(method),
            options: options.iter().map(|o| (*o).to_owned()).collect(),
            action,
            tie_break: None,
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let smoke = !std::env::args().any(|a| a == "--bench");
    let voters = voters_wanted(smoke)?;
    println!(
        "machine: {} core(s); {voters} member accounts, one vote each",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let b = setup(voters).await?;
    let gov = b.app.governance();
    let e = |e: konbit_app::AppError| anyhow!("{e}");

    let new_limits = QuotaLimits {
        mailboxes: 20,
        ..QuotaLimits::starter()
    };
    let action = PlatformAction::SetQuotaLimits {
        profile_id: b.profile,
        limits: new_limits,
    };
    let (id, hash, closes) = b.open(b.input(Method::YesNo, &[], Some(action))).await?;
    let mut cast = Vec::with_capacity(voters);
    for (i, owner) in b.owners.iter().enumerate() {
        let choice = if i % 3 == 2 { Choice::No } else { Choice::Yes };
        let start = Instant::now();
        gov.cast_ballot(
            owner,
            id,
            BallotInput {
                text_hash: hash.clone(),
                content: BallotContent::YesNo { choice },
                voter: None,
            },
        )
        .await
        .map_err(e)?;
        cast.push(ms(start));
    }
    cast.sort_by(f64::total_cmp);
    println!(
        "cast a ballot (yes/no, {voters} voters): p50 {:.2} ms, p99 {:.2} ms",
        at(&cast, 50.0),
        at(&cast, 99.0)
    );
    let start = Instant::now();
    let report = gov.tick(closes).await.map_err(e)?;
    println!(
        "close the vote, count {voters} ballots, log the decision and apply the quota change (appeal window 0): {:.1} ms ({report:?})",
        ms(start)
    );
    let limits = b
        .app
        .quota_profiles()
        .get(&Actor::operator_cli(), b.profile)
        .await
        .map_err(e)?
        .limits;
    println!(
        "profile after the step: {} mailboxes (expected {})",
        limits.mailboxes, new_limits.mailboxes
    );

    let options = ["A", "B", "C", "D", "E", "F", "G"];
    let (id, hash, closes) = b.open(b.input(Method::Schulze, &options, None)).await?;
    for (i, owner) in b.owners.iter().enumerate() {
        let mut ranking: Vec<Vec<String>> = options
            .iter()
            .cycle()
            .skip(i % options.len())
            .take(options.len())
            .map(|o| vec![(*o).to_owned()])
            .collect();
        ranking.push(vec![STATUS_QUO.to_owned()]);
        gov.cast_ballot(
            owner,
            id,
            BallotInput {
                text_hash: hash.clone(),
                content: BallotContent::Schulze { ranking },
                voter: None,
            },
        )
        .await
        .map_err(e)?;
    }
    let start = Instant::now();
    gov.tick(closes).await.map_err(e)?;
    println!(
        "close a ranked vote ({} candidates incl. the status quo, {voters} ballots): {:.1} ms",
        options.len() + 1,
        ms(start)
    );
    let verify = Instant::now();
    let chain = gov.verify_decisions().await.map_err(e)?;
    println!(
        "verify the decision log ({} entries): {:.2} ms, intact: {}",
        chain.entries,
        ms(verify),
        chain.first_bad.is_none()
    );
    Ok(())
}
