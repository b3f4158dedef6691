//! `konbit reconcile`: run the reconciler by hand. `--once` applies what is
//! due and exits; `--dry-run` shows the queue and what each provisioner
//! would change, changing nothing. The long-running worker lives in
//! `konbit serve`.

use crate::config::Config;
use crate::output::{Format, fail_msg, print};
use clap::Args;
use konbit_app::App;
use konbit_provision::acme::CertificateProvisioner;
use konbit_provision::database::DatabaseProvisioner;
use konbit_provision::database::mariadb::MariaDbServer;
use konbit_provision::database::postgres::PostgresServer;
use konbit_provision::dns::DnsProvisioner;
use konbit_provision::lists::ListProvisioner;
use konbit_provision::sftp::provisioner::SftpProvisioner;
use konbit_provision::web::SiteProvisioner;
use konbit_provision::{DryRun, Registry, Worker, WorkerConfig};
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct ReconcileArgs {
    /// Process the rows due now, then exit.
    #[arg(long)]
    once: bool,
    /// Print the queue and each provisioner's plan without changing anything.
    #[arg(long)]
    dry_run: bool,
}

/// The provisioners of this build. Rows of kinds without a provisioner
/// (accounts, until a service acts on them) simply stay queued.
pub(crate) fn registry(app: &App, config: &Config) -> Registry {
    let mut registry = Registry::new();
    if config.dns.enabled {
        registry = registry.register(DnsProvisioner::new(
            app.store.clone(),
            config.pdns_target(),
            app.config.zone_template.clone(),
        ));
    }
    if config.mail.enabled {
        registry = registry.register(konbit_provision::mail::MailProvisioner::new(
            app.store.clone(),
            config.mail_target(),
        ));
    }
    if let Some(sites) = site_provisioner(app, config) {
        registry = registry.register(sites.accounts()).register(sites);
    }
    if config.sftp.enabled {
        registry = registry.register(SftpProvisioner::new(
            app.store.clone(),
            config.sftp_files(),
            config.web_target().unix,
        ));
    }
    if let Some(databases) = database_provisioner(app, config) {
        registry = registry.register(databases);
    }
    if let Some(lists) = list_provisioner(app, config) {
        registry = registry.register(lists);
    }
    registry
}

/// `None` when lists are off, or when Mailman's client cannot be made (its
/// password file is missing or open to others): said, and the lists'
/// rows stay queued until it is fixed and Konbit restarted.
fn list_provisioner(app: &App, config: &Config) -> Option<ListProvisioner> {
    if !config.lists.enabled {
        return None;
    }
    match config.mailman_client() {
        Ok(client) => Some(ListProvisioner::new(
            app.store.clone(),
            client,
            config.list_record_path(),
        )),
        Err(e) => {
            tracing::warn!(error = %e, "mailing lists left out");
            None
        }
    }
}

fn usable<S>(engine: &str, server: Option<Result<S, String>>) -> Option<S> {
    match server? {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(engine, error = %e, "database engine left out");
            None
        }
    }
}

pub(crate) type Databases = DatabaseProvisioner<MariaDbServer, PostgresServer>;

/// `None` when no database engine is set up. An engine whose settings are
/// unusable is left out (its databases fail with "not set up"), and said.
pub(crate) fn database_provisioner(app: &App, config: &Config) -> Option<Databases> {
    let mariadb = config.mariadb_server();
    let postgres = config.postgres_server();
    if mariadb.is_none() && postgres.is_none() {
        return None;
    }
    Some(DatabaseProvisioner::new(
        app.store.clone(),
        usable("mariadb", mariadb),
        usable("postgresql", postgres),
        config.database_dump_dir(),
    ))
}

fn site_provisioner(app: &App, config: &Config) -> Option<SiteProvisioner> {
    config
        .web
        .enabled
        .then(|| SiteProvisioner::new(app.store.clone(), config.web_target()))
}

/// The certificate worker's provisioners: ACME orders take seconds, so
/// they run beside the main worker rather than in its queue.
pub(crate) fn certificate_registry(app: &App, config: &Config) -> Registry {
    let (Some(sites), Some(acme)) = (site_provisioner(app, config), config.acme_settings()) else {
        return Registry::new();
    };
    let (settings, retry) = acme;
    Registry::new().register(CertificateProvisioner::new(
        app.store.clone(),
        settings,
        retry,
        sites,
    ))
}

pub(crate) fn worker(app: &App, config: &Config) -> Worker {
    Worker::new(
        app.store.clone(),
        registry(app, config),
        app.reconcile_wakeup.clone(),
        WorkerConfig::default(),
    )
}

/// `None` when ACME is not set up.
pub(crate) fn certificate_worker(app: &App, config: &Config) -> Option<Worker> {
    let registry = certificate_registry(app, config);
    (!registry.kinds().is_empty()).then(|| {
        Worker::new(
            app.store.clone(),
            registry,
            app.certificate_wakeup.clone(),
            WorkerConfig::default(),
        )
    })
}

pub async fn run(format: Format, app: &App, config: &Config, args: ReconcileArgs) -> ExitCode {
    let mut worker = worker(app, config);
    if args.dry_run {
        return match worker.dry_run().await {
            Ok(plan) => {
                print(format, &plan, dry_run_text);
                ExitCode::SUCCESS
            }
            Err(e) => fail_msg(e),
        };
    }
    if !args.once {
        return fail_msg(
            "the reconciler runs inside `konbit serve`; use `konbit reconcile --once` or `--dry-run`",
        );
    }
    let mut result = worker.run_once().await;
    if let (Ok(report), Some(mut certificates)) = (&mut result, certificate_worker(app, config)) {
        match certificates.run_once().await {
            Ok(r) => {
                report.applied += r.applied;
                report.failed += r.failed;
                report.retried += r.retried;
            }
            Err(e) => return fail_msg(e),
        }
    }
    match result {
        Ok(report) => {
            print(format, &report, |r| {
                format!(
                    "Reconciled: {} applied, {} failed, {} to retry.",
                    r.applied, r.failed, r.retried
                )
            });
            ExitCode::SUCCESS
        }
        Err(e) => fail_msg(e),
    }
}

fn dry_run_text(plan: &DryRun) -> String {
    if plan.rows.is_empty() {
        return "The reconcile queue is empty: nothing would change.".to_owned();
    }
    let mut out = String::new();
    for r in &plan.rows {
        let row = &r.row;
        out.push_str(&format!(
            "{} {} generation {} (attempts {}{})\n",
            row.kind,
            row.object_id,
            row.generation,
            row.attempts,
            row.last_error
                .as_deref()
                .map(|e| format!(", last error: {e}"))
                .unwrap_or_default()
        ));
        if !r.provisioner {
            out.push_str("  no provisioner for this kind yet: stays queued\n");
        }
        if let Some(e) = &r.plan_error {
            out.push_str(&format!("  cannot plan: {e}\n"));
        }
        for line in &r.plan {
            out.push_str(&format!("  {line}\n"));
        }
    }
    out.trim_end().to_owned()
}
