//! `konbit serve`: the panel and the API on one listener, plus the periodic
//! housekeeping (purging accounts past their grace period, old sessions)
//! and the reconcile workers; `konbit web` and `konbit agent` split them
//! into an unprivileged web process and a root agent.

use crate::config::Config;
use konbit_app::App;
use konbit_core::authz::Actor;
use konbit_web::{AppState, WebConfig};
use std::sync::Arc;
use std::time::Duration;

/// What one process does. `All` is the single-process mode (playground,
/// tests, small co-ops); in production `Web` runs as an unprivileged user
/// and `Agent` as root, as DESIGN §2 says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The panel, the API, the workers and the housekeeping.
    All,
    /// The panel and the API only; changes wake the agent through the
    /// wake-up socket.
    Web,
    /// The workers and the housekeeping only: no HTTP listener.
    Agent,
}

pub async fn run(config: &Config, app: App, role: Role) -> anyhow::Result<()> {
    let web = WebConfig::from_public_url(&config.public_url);
    if role != Role::Agent && !web.secure_cookies && !config.listen.ip().is_loopback() {
        tracing::warn!(
            "public_url is plain http while listening on {}: sessions are not protected in transit; put Konbit behind HTTPS",
            config.listen
        );
    }
    let listener = if role == Role::Agent {
        None
    } else {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {} (listen): {e}", config.listen))?;
        // With port 0 the system picks the port; the log says which, so a
        // supervisor or a test can find it without racing for a free port.
        let bound = listener.local_addr().unwrap_or(config.listen);
        tracing::info!(url = %config.public_url, listen = %bound, "Konbit is serving");
        Some(listener)
    };
    let wake_path = crate::wakeup::socket_path(&config.state_dir);
    let mut tasks = Vec::new();
    let mut agent = None;
    if role == Role::Web {
        tasks.push(tokio::spawn(forward_wakeups(
            app.clone(),
            wake_path.clone(),
        )));
    } else {
        agent = Some(start_agent(config, &app, &wake_path, &mut tasks));
    }
    let result = match listener {
        Some(listener) => {
            let state = AppState {
                app: app.clone(),
                web: Arc::new(web),
            };
            konbit_web::serve(listener, state, shutdown_signal())
                .await
                .map_err(Into::into)
        }
        None => {
            tracing::info!("Konbit's agent is running");
            shutdown_signal().await;
            Ok(())
        }
    };
    for task in tasks {
        task.abort();
    }
    if let Some(workers) = agent {
        let _ = std::fs::remove_file(&wake_path);
        workers.stop().await;
    }
    app.store.close().await;
    result
}

/// The running workers of an agent.
struct Workers {
    stops: Vec<tokio::sync::oneshot::Sender<()>>,
    handles: Vec<tokio::task::JoinHandle<()>>,
}

impl Workers {
    /// Each worker finishes the object in hand; one stuck on a daemon is
    /// cut off, and its claim expires for the next start.
    async fn stop(self) {
        for stop in self.stops {
            let _ = stop.send(());
        }
        for handle in self.handles {
            let abort = handle.abort_handle();
            if tokio::time::timeout(Duration::from_secs(10), handle)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

/// The housekeeping, the measurements, the wake-up socket and the workers
/// (the main one, and the certificate one when ACME is set up).
fn start_agent(
    config: &Config,
    app: &App,
    wake_path: &std::path::Path,
    tasks: &mut Vec<tokio::task::JoinHandle<()>>,
) -> Workers {
    tasks.push(tokio::spawn(housekeeping(app.clone())));
    tasks.push(tokio::spawn(governance(app.clone())));
    if config.mail.enabled {
        tasks.push(tokio::spawn(mail_usage(app.clone(), config.mail_target())));
    }
    if config.web.enabled {
        tasks.push(tokio::spawn(web_usage(
            app.clone(),
            config.web_target().unix,
            config.web.usage_minutes,
        )));
    }
    if config.web.enabled && config.web.acme.is_some() {
        tasks.push(tokio::spawn(certificates_due(app.clone())));
    }
    if let Some(databases) = crate::cli::reconcile::database_provisioner(app, config) {
        tasks.push(tokio::spawn(database_sizes(
            app.clone(),
            databases,
            config.databases.usage_minutes,
        )));
    }
    let wakeups = vec![app.reconcile_wakeup.clone(), app.certificate_wakeup.clone()];
    match crate::wakeup::listen(wake_path, wakeups) {
        Ok(task) => tasks.push(task),
        Err(e) => {
            tracing::warn!(path = %wake_path.display(), error = %e, "no wake-up socket: CLI changes wait for the reconciler's next tick");
        }
    }
    let mut workers = Workers {
        stops: Vec::new(),
        handles: Vec::new(),
    };
    let all = std::iter::once(crate::cli::reconcile::worker(app, config))
        .chain(crate::cli::reconcile::certificate_worker(app, config));
    for worker in all {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        workers.handles.push(tokio::spawn(worker.run(async {
            let _ = stopped.await;
        })));
        workers.stops.push(stop);
    }
    workers
}

/// In `web` mode no worker runs here: every commit pokes the agent.
async fn forward_wakeups(app: App, wake_path: std::path::PathBuf) {
    loop {
        tokio::select! {
            () = app.reconcile_wakeup.notified() => {}
            () = app.certificate_wakeup.notified() => {}
        }
        crate::wakeup::poke(&wake_path);
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = ctrl_c => {},
                _ = term.recv() => {},
            }
        }
        Err(_) => {
            let _ = ctrl_c.await;
        }
    }
    tracing::info!("stopping");
}

/// Every five minutes: measure the storage each mailbox uses, for the
/// panel (Dovecot enforces the quota itself, on every delivery).
async fn mail_usage(app: App, target: konbit_provision::mail::MailTarget) {
    let mut tick = tokio::time::interval(Duration::from_secs(300));
    loop {
        tick.tick().await;
        if let Err(e) = konbit_provision::mail::refresh_usage(&app.store, &target).await {
            tracing::warn!(error = %e, "measuring mailbox storage failed");
        }
    }
}

/// Measure the disk each account's home uses, for the panel and the quota.
async fn web_usage(app: App, unix: konbit_provision::web::UnixSettings, minutes: u32) {
    let mut tick = tokio::time::interval(Duration::from_secs(u64::from(minutes.max(1)) * 60));
    loop {
        tick.tick().await;
        if let Err(e) = konbit_provision::web::usage::refresh_usage(&app.store, &unix).await {
            tracing::warn!(error = %e, "measuring the homes' disk usage failed");
        }
    }
}

/// Measure each member database's size, for the panel and the size
/// limit (over it, a database is made read-only or reported).
async fn database_sizes(app: App, databases: crate::cli::reconcile::Databases, minutes: u32) {
    let mut tick = tokio::time::interval(Duration::from_secs(u64::from(minutes.max(1)) * 60));
    loop {
        tick.tick().await;
        let sizes = databases.sizes().await;
        if sizes.is_empty() {
            continue;
        }
        match app.databases().record_sizes(&sizes).await {
            Ok(n) if n > 0 => tracing::info!(count = n, "databases crossed their size limit"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "recording database sizes failed"),
        }
    }
}

/// Every minute: queue the certificates due for renewal and the failed
/// orders whose backoff is over.
async fn certificates_due(app: App) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        match app.sites().queue_due_certificates().await {
            Ok(n) if n > 0 => tracing::info!(count = n, "certificates queued for renewal or retry"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "queueing due certificates failed"),
        }
    }
}

/// How long one governance step may take before it is given up (it runs
/// again at the next tick; each proposal moves in its own transaction).
const GOVERNANCE_STEP_LIMIT: Duration = Duration::from_secs(120);

/// Every 30 seconds: move the proposals that are due (open votes whose
/// discussion ended, remind, count closed votes, apply adopted actions
/// after their appeal window), then send the weekly digest when a week
/// has passed (the service decides).
async fn governance(app: App) {
    let mut tick = tokio::time::interval(Duration::from_secs(30));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let gov = app.governance();
        match tokio::time::timeout(GOVERNANCE_STEP_LIMIT, gov.tick(konbit_app::now())).await {
            Ok(Ok(report)) if report != konbit_app::governance::TickReport::default() => {
                tracing::info!(
                    votes_opened = report.votes_opened,
                    reminders_sent = report.reminders_sent,
                    votes_closed = report.votes_closed,
                    applied = report.applied,
                    failed = report.failed,
                    mails = report.mails,
                    "governance step"
                );
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "the governance step failed"),
            Err(_) => tracing::warn!(
                "the governance step took longer than {} s; it runs again at the next tick",
                GOVERNANCE_STEP_LIMIT.as_secs()
            ),
        }
        match tokio::time::timeout(
            GOVERNANCE_STEP_LIMIT,
            gov.send_digest(konbit_app::now(), false),
        )
        .await
        {
            Ok(Ok(Some(sent))) => tracing::info!(sent, "governance digest sent"),
            Ok(Ok(None)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "the governance digest failed"),
            Err(_) => tracing::warn!(
                "the governance digest took longer than {} s",
                GOVERNANCE_STEP_LIMIT.as_secs()
            ),
        }
    }
}

/// Logs what one kind of object's purge did.
fn logged_purge(what: &str, result: konbit_app::Result<usize>) {
    match result {
        Ok(n) if n > 0 => tracing::info!(count = n, "purged deleted {what}"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "purging deleted {what} failed"),
    }
}

/// Every ten minutes: purge accounts, mailboxes, sites, databases and domains whose grace period ended, and drop
/// expired sessions so the table does not grow forever.
async fn housekeeping(app: App) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        match app.accounts().purge_expired(&Actor::system()).await {
            Ok(ids) if !ids.is_empty() => {
                tracing::info!(count = ids.len(), "purged deleted accounts")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "purging deleted accounts failed"),
        }
        let system = Actor::system();
        logged_purge("mailboxes", app.mailboxes().purge_expired(&system).await);
        logged_purge("sites", app.sites().purge_expired(&system).await);
        logged_purge("databases", app.databases().purge_expired(&system).await);
        logged_purge("mailing lists", app.lists().purge_expired(&system).await);
        match app.domains().purge_expired(&Actor::system()).await {
            Ok(ids) if !ids.is_empty() => {
                tracing::info!(count = ids.len(), "purged deleted domains")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "purging deleted domains failed"),
        }
        let now = konbit_app::now();
        let idle_cutoff = now - app.config.session_idle_secs;
        let swept = async {
            let mut tx = app.store.write().await?;
            let n = tx.sweep_sessions(now, idle_cutoff).await?;
            tx.commit().await?;
            Ok::<_, konbit_store::StoreError>(n)
        };
        if let Err(e) = swept.await {
            tracing::warn!(error = %e, "sweeping sessions failed");
        }
    }
}
