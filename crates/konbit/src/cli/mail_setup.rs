//! `konbit mail-server setup`: Postfix's, Dovecot's and OpenDKIM's
//! configuration from `[mail.server]` and `[mail]`. It creates the
//! daemons' directories with their owners and modes and the lookup
//! database, makes a self-signed certificate when asked to and none is
//! there, writes every file atomically and checks them with `postfix
//! check`, `doveconf -n` and `opendkim -n` (a refused file is rolled back),
//! and with `--reload` tells the running daemons to read them again. It
//! starts nothing: it prints the commands that do. With `[lists]` on, list
//! addresses are routed to Mailman and its relay listener is written too.

use crate::config::Config;
use crate::config::mail::describe;
use crate::output::{Format, fail_msg, print};
use clap::Subcommand;
use konbit_provision::mail::config::{MailServices, MailTools};
use serde::Serialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// How long openssl may take to make the certificate.
const OPENSSL_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Subcommand, Debug)]
pub enum MailServerCommand {
    /// Prepare the directories, write and check Postfix's, Dovecot's and OpenDKIM's files from [mail.server] (as root).
    Setup {
        /// Then reload the running Postfix, Dovecot and OpenDKIM.
        #[arg(long)]
        reload: bool,
        /// Make a self-signed certificate if mail.server.tls_cert does not exist (for a test machine: an MX needs a real one).
        #[arg(long)]
        self_signed: bool,
    },
}

#[derive(Debug, Serialize)]
struct Report {
    hostname: String,
    files: Files,
    listeners: Listeners,
    /// Whether this run made the self-signed certificate.
    self_signed: bool,
    reloaded: Vec<&'static str>,
    /// The commands that start the daemons, in order.
    start: Vec<String>,
    /// Settings that do not match the servers (what `konbit doctor` checks).
    notes: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Files {
    postfix: PathBuf,
    dovecot: PathBuf,
    opendkim: Option<PathBuf>,
    lookup_database: PathBuf,
    tls_cert: PathBuf,
    maillog: Option<PathBuf>,
    dovecot_log: Option<PathBuf>,
}

#[derive(Debug, Serialize)]
struct Listeners {
    mx: SocketAddr,
    submission: SocketAddr,
    submissions: SocketAddr,
    internal: SocketAddr,
    imap: SocketAddr,
    imaps: Option<SocketAddr>,
}

pub async fn run(format: Format, config: &Config, command: MailServerCommand) -> ExitCode {
    let MailServerCommand::Setup {
        reload,
        self_signed,
    } = command;
    let services = match config.mail_services() {
        Ok(s) => s,
        Err(e) => return fail_msg(format!("configuration error: {e}")),
    };
    let root = std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false);
    if !root {
        return fail_msg(
            "mail-server setup must run as root: it gives the mail daemons' directories to \
             their users, and the daemons' checkers need root",
        );
    }
    // With lists on, Postfix routes their addresses to Mailman and takes
    // Mailman's mail on its relay listener; read before anything changes.
    let lists = match config.list_routing().await {
        Ok(l) => l,
        Err(e) => return fail_msg(format!("configuration error: {e}")),
    };
    if let Err(e) = services.prepare_dirs() {
        return fail_msg(describe(&e));
    }
    if let Err(e) = services.ensure_lookup_db().await {
        return fail_msg(describe(&e));
    }
    let made_cert = match tls_files(config, &services, self_signed).await {
        Ok(made) => made,
        Err(e) => return fail_msg(e),
    };
    let tools = MailTools::default();
    if let Err(e) = services.write_and_check_with(&tools, lists.as_ref()).await {
        return fail_msg(format!("{} (the previous files are back)", describe(&e)));
    }
    let mut reloaded = Vec::new();
    let mut failures = Vec::new();
    if reload {
        if services.dkim.is_some() {
            match services.reload_opendkim(&tools).await {
                Ok(()) => reloaded.push("opendkim"),
                Err(e) => failures.push(e.to_string()),
            }
        }
        match services.reload_dovecot(&tools).await {
            Ok(()) => reloaded.push("dovecot"),
            Err(e) => failures.push(e.to_string()),
        }
        match services.reload_postfix(&tools).await {
            Ok(()) => reloaded.push("postfix"),
            Err(e) => failures.push(e.to_string()),
        }
    }
    let report = report(config, &services, made_cert, reloaded);
    print(format, &report, text);
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        fail_msg(format!(
            "the files are written and checked, but not every daemon reloaded (is it running? \
             start it with the command above):\n  {}",
            failures.join("\n  ")
        ))
    }
}

/// Checks that the certificate and key exist, or makes a self-signed pair
/// when neither does and `self_signed` is set. Returns whether it made one.
async fn tls_files(
    config: &Config,
    services: &MailServices,
    self_signed: bool,
) -> Result<bool, String> {
    let p = &services.paths;
    match (p.tls_cert.exists(), p.tls_key.exists()) {
        (true, true) => Ok(false),
        (false, false) if self_signed => {
            make_self_signed(&config.mail.openssl, services).await?;
            Ok(true)
        }
        (false, false) => Err(format!(
            "mail.server.tls_cert = {:?} does not exist: point mail.server.tls_cert and \
             mail.server.tls_key at the MX's certificate chain and key (from ACME, say), or add \
             --self-signed on a test machine",
            p.tls_cert
        )),
        (cert, _) => {
            let (key, path) = if cert {
                ("mail.server.tls_key", &p.tls_key)
            } else {
                ("mail.server.tls_cert", &p.tls_cert)
            };
            Err(format!(
                "{key} = {path:?} does not exist, while its pair does: give both files, or \
                 neither with --self-signed"
            ))
        }
    }
}

/// A self-signed certificate for the MX's name and 127.0.0.1, valid a year;
/// the key is root's alone (Postfix and Dovecot read it as root).
async fn make_self_signed(openssl: &Path, services: &MailServices) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let p = &services.paths;
    let name = &services.hostname;
    let mut cmd = tokio::process::Command::new(openssl);
    cmd.args([
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "365",
    ])
    .arg("-keyout")
    .arg(&p.tls_key)
    .arg("-out")
    .arg(&p.tls_cert)
    .arg("-subj")
    .arg(format!("/CN={name}"))
    .arg("-addext")
    .arg(format!("subjectAltName=DNS:{name},IP:127.0.0.1"));
    konbit_provision::command::run_checked(cmd, OPENSSL_TIMEOUT)
        .await
        .map_err(|e| format!("making a self-signed certificate (mail.openssl): {e}"))?;
    for (file, mode) in [(&p.tls_key, 0o600), (&p.tls_cert, 0o644)] {
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(mode))
            .map_err(|e| format!("{}: {e}", file.display()))?;
    }
    Ok(())
}

fn report(
    config: &Config,
    services: &MailServices,
    self_signed: bool,
    reloaded: Vec<&'static str>,
) -> Report {
    let p = &services.paths;
    let l = &services.listeners;
    let dkim_conf = services.dkim.as_ref().map(|d| d.config_file());
    let mut start = Vec::new();
    // OpenDKIM first: until its socket is there, Postfix defers signed mail.
    if let Some(conf) = &dkim_conf {
        start.push(format!("opendkim -x {}", conf.display()));
    }
    start.push(format!(
        "dovecot -c {}",
        services.dovecot_config_file().display()
    ));
    start.push(format!(
        "postfix -c {} start",
        p.postfix_config_dir.display()
    ));
    Report {
        hostname: services.hostname.clone(),
        files: Files {
            postfix: p.postfix_config_dir.clone(),
            dovecot: services.dovecot_config_file(),
            opendkim: dkim_conf,
            lookup_database: p.lookup_db.clone(),
            tls_cert: p.tls_cert.clone(),
            maillog: p.maillog.clone(),
            dovecot_log: p.dovecot_log.clone(),
        },
        listeners: Listeners {
            mx: l.mx,
            submission: l.submission,
            submissions: l.submissions,
            internal: l.internal,
            imap: l.imap,
            imaps: l.imaps,
        },
        self_signed,
        reloaded,
        start,
        notes: notes(config, services),
    }
}

/// Where `[mail]` disagrees with the servers: what `konbit doctor` would
/// check, and whether Konbit writes the lookup database at all.
fn notes(config: &Config, services: &MailServices) -> Vec<String> {
    let m = &config.mail;
    let l = &services.listeners;
    let mut notes = Vec::new();
    if !m.enabled {
        notes.push(
            "mail.enabled is false: Konbit writes no mailboxes into the lookup database until \
             it is true"
                .to_owned(),
        );
    }
    let reaches = |probe: SocketAddr, listener: SocketAddr| {
        probe.port() == listener.port()
            && (listener.ip().is_unspecified() || listener.ip() == probe.ip())
    };
    if !reaches(m.smtp_address, l.mx) {
        notes.push(format!(
            "mail.smtp_address = \"{}\" is not the MX listener ({}): konbit doctor checks the \
             former",
            m.smtp_address, l.mx
        ));
    }
    if !reaches(m.imap_address, l.imap) {
        notes.push(format!(
            "mail.imap_address = \"{}\" is not the IMAP listener ({}): konbit doctor checks \
             the former",
            m.imap_address, l.imap
        ));
    }
    let lmtp = services.lmtp_socket();
    if m.lmtp_socket.as_deref().map(|s| config.state_path(s)) != Some(lmtp.clone()) {
        notes.push(format!(
            "mail.lmtp_socket is not {}: set it there for konbit doctor to check Dovecot's LMTP",
            lmtp.display()
        ));
    }
    // Autoconfig tells mail programs IMAP with TLS from the first byte on
    // imap_port, and submission with STARTTLS on submission_port.
    if l.imaps.map(|a| a.port()) != Some(m.imap_port) {
        notes.push(format!(
            "mail.imap_port = {} is where mail programs are told to find IMAP over TLS, but \
             mail.server.imaps is {}",
            m.imap_port,
            l.imaps.map_or("unset".to_owned(), |a| format!("\"{a}\""))
        ));
    }
    if l.submission.port() != m.submission_port {
        notes.push(format!(
            "mail.submission_port = {} is where mail programs are told to submit with \
             STARTTLS, but mail.server.submission is \"{}\"",
            m.submission_port, l.submission
        ));
    }
    notes
}

fn text(r: &Report) -> String {
    let l = &r.listeners;
    let mut s = format!(
        "The mail servers' configuration for {} is written and checked.\n\n",
        r.hostname
    );
    s.push_str(&format!(
        "  Postfix    {} (main.cf, master.cf, sqlite maps)\n",
        r.files.postfix.display()
    ));
    s.push_str(&format!("  Dovecot    {}\n", r.files.dovecot.display()));
    if let Some(conf) = &r.files.opendkim {
        s.push_str(&format!("  OpenDKIM   {}\n", conf.display()));
    }
    s.push_str(&format!(
        "  Lookup     {}\n",
        r.files.lookup_database.display()
    ));
    s.push_str(&format!(
        "  TLS        {}{}\n",
        r.files.tls_cert.display(),
        if r.self_signed {
            " (self-signed, made now)"
        } else {
            ""
        }
    ));
    for (name, log) in [
        ("Postfix", &r.files.maillog),
        ("Dovecot", &r.files.dovecot_log),
    ] {
        if let Some(log) = log {
            s.push_str(&format!("  {name:<10} log: {}\n", log.display()));
        }
    }
    s.push_str(&format!(
        "\nListeners: MX {}, submission {} (STARTTLS), submissions {} (TLS), IMAP {}",
        l.mx, l.submission, l.submissions, l.imap
    ));
    if let Some(imaps) = l.imaps {
        s.push_str(&format!(", IMAPS {imaps}"));
    }
    s.push_str(&format!(", automatic replies {} (loopback)\n", l.internal));
    if r.reloaded.is_empty() {
        s.push_str("\nStart the daemons, as root and in this order:\n");
        for c in &r.start {
            s.push_str(&format!("  {c}\n"));
        }
        s.push_str(
            "After a change to [mail.server], run `konbit mail-server setup --reload` while they run.",
        );
    } else {
        s.push_str(&format!("\nReloaded: {}.", r.reloaded.join(", ")));
    }
    for n in &r.notes {
        s.push_str(&format!("\nNote: {n}"));
    }
    s
}
