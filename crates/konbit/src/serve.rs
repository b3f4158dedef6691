//! `konbit serve`: the panel and the API on one listener, plus the periodic
//! housekeeping (purging accounts past their grace period, old sessions)
//! and the reconcile worker.

use crate::config::Config;
use konbit_app::App;
use konbit_core::authz::Actor;
use konbit_web::{AppState, WebConfig};
use std::sync::Arc;
use std::time::Duration;

pub async fn run(config: &Config, app: App) -> anyhow::Result<()> {
    let web = WebConfig::from_public_url(&config.public_url);
    if !web.secure_cookies && !config.listen.ip().is_loopback() {
        tracing::warn!(
            "public_url is plain http while listening on {}: sessions are not protected in transit; put Konbit behind HTTPS",
            config.listen
        );
    }
    let state = AppState {
        app: app.clone(),
        web: Arc::new(web),
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {} (listen): {e}", config.listen))?;
    // With port 0 the system picks the port; the log says which, so a
    // supervisor or a test can find it without racing for a free port.
    let bound = listener.local_addr().unwrap_or(config.listen);
    tracing::info!(url = %config.public_url, listen = %bound, "Konbit is serving");
    let housekeeping = tokio::spawn(housekeeping(app.clone()));
    let mail_usage = config
        .mail
        .enabled
        .then(|| tokio::spawn(mail_usage(app.clone(), config.mail_target())));
    let web_tasks = config.web.enabled.then(|| {
        tokio::spawn(web_usage(
            app.clone(),
            config.web_target().unix,
            config.web.usage_minutes,
        ))
    });
    let certificates = config
        .web
        .acme
        .is_some()
        .then(|| tokio::spawn(certificates_due(app.clone())));
    let wake_path = crate::wakeup::socket_path(&config.state_dir);
    let waker = match crate::wakeup::listen(&wake_path, app.reconcile_wakeup.clone()) {
        Ok(task) => Some(task),
        Err(e) => {
            tracing::warn!(path = %wake_path.display(), error = %e, "no wake-up socket: CLI changes wait for the reconciler's next tick");
            None
        }
    };
    let (stop_reconciler, stopped) = tokio::sync::oneshot::channel::<()>();
    let reconciler = tokio::spawn(crate::cli::reconcile::worker(&app, config).run(async {
        let _ = stopped.await;
    }));
    let (stop_certificates, certificates_stopped) = tokio::sync::oneshot::channel::<()>();
    let certificate_worker = crate::cli::reconcile::certificate_worker(&app, config).map(|w| {
        tokio::spawn(w.run(async {
            let _ = certificates_stopped.await;
        }))
    });
    let result = konbit_web::serve(listener, state, shutdown_signal()).await;
    let _ = stop_certificates.send(());
    if let Some(task) = certificate_worker {
        task.abort();
    }
    housekeeping.abort();
    for task in [mail_usage, web_tasks, certificates].into_iter().flatten() {
        task.abort();
    }
    if let Some(task) = waker {
        task.abort();
        let _ = std::fs::remove_file(&wake_path);
    }
    // The worker finishes the object in hand; one stuck on a daemon is cut
    // off, and its claim expires for the next start.
    let _ = stop_reconciler.send(());
    let abort = reconciler.abort_handle();
    if tokio::time::timeout(Duration::from_secs(10), reconciler)
        .await
        .is_err()
    {
        abort.abort();
    }
    app.store.close().await;
    result.map_err(Into::into)
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

/// Every ten minutes: purge accounts, mailboxes and domains whose grace period ended, and drop
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
        match app.mailboxes().purge_expired(&Actor::system()).await {
            Ok(n) if n > 0 => tracing::info!(count = n, "purged deleted mailboxes"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "purging deleted mailboxes failed"),
        }
        match app.sites().purge_expired(&Actor::system()).await {
            Ok(n) if n > 0 => tracing::info!(count = n, "purged deleted sites"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "purging deleted sites failed"),
        }
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
