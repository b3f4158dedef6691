//! `konbit mail …`, `konbit mailbox …` and `konbit alias …`: hosted mail.
//! Domains are named by their name and mailboxes by their address (ASCII or
//! Unicode); aliases by their id (`konbit alias list` shows it). Passwords
//! are read from standard input (`--password-stdin`) or made and printed
//! once, never taken as an argument, where other users could see them.

use crate::output::{Format, fail, print};
use clap::Subcommand;
use konbit_app::mail_alias::{AliasQuery, AliasView, CreateAlias};
use konbit_app::mail_domain::MailSettings;
use konbit_app::mailbox::{
    AutoreplyInput, CreateMailbox, MailboxQuery, MailboxView, UpdateMailbox,
};
use konbit_app::{App, AppError};
use konbit_core::authz::Actor;
use konbit_core::model::AccountId;
use serde_json::json;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum MailCommand {
    /// Turn mail on for a domain: a DKIM key, and the MX, SPF, DMARC and DKIM records in its zone.
    On { domain: String },
    /// Turn mail off (refused while the domain has mailboxes or aliases).
    Off { domain: String },
    /// Show a domain's mail: its state, DKIM keys and what mail programs connect to.
    Show { domain: String },
    /// Make a new DKIM signing key; the previous one stays published.
    #[command(name = "dkim-rotate")]
    DkimRotate { domain: String },
}

#[derive(Subcommand, Debug)]
pub enum MailboxCommand {
    /// List mailboxes.
    List {
        /// Only this account's mailboxes (its name or id).
        #[arg(long)]
        account: Option<String>,
        /// Only this domain's mailboxes.
        #[arg(long)]
        domain: Option<String>,
        /// List deleted (restorable) mailboxes.
        #[arg(long)]
        deleted: bool,
    },
    /// Create a mailbox at a domain with mail on.
    Add {
        address: String,
        /// Storage in MB (default: the configured default, within what the account has left).
        #[arg(long)]
        quota_mb: Option<u64>,
        /// Read the password from standard input (otherwise one is made and printed).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Show a mailbox and its automatic reply.
    Show {
        address: String,
    },
    /// Soft-delete a mailbox (restorable, with its mail, during the grace period).
    Delete {
        address: String,
    },
    Restore {
        address: String,
    },
    /// Let the mailbox receive and send mail again.
    Enable {
        address: String,
    },
    /// Stop the mailbox's mail and sign-in; its mail is kept.
    Disable {
        address: String,
    },
    /// Set the mailbox's storage, in MB.
    Quota {
        address: String,
        mb: u64,
    },
    /// Set a new password.
    Password {
        address: String,
        /// Read the password from standard input (otherwise one is made and printed).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set the automatic reply, or turn it off (--off keeps its text for next time).
    Autoreply {
        address: String,
        /// Empty: "Auto: " and the subject of the message replied to.
        #[arg(long, allow_hyphen_values = true)]
        subject: Option<String>,
        #[arg(long, allow_hyphen_values = true)]
        body: Option<String>,
        /// The first day replies are sent (YYYY-MM-DD).
        #[arg(long)]
        start: Option<String>,
        /// The last day replies are sent (YYYY-MM-DD).
        #[arg(long)]
        end: Option<String>,
        /// Turn the automatic reply off.
        #[arg(long)]
        off: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum AliasCommand {
    /// List aliases and catch-alls.
    List {
        /// Only this account's aliases (its name or id).
        #[arg(long)]
        account: Option<String>,
        /// Only this domain's aliases.
        #[arg(long)]
        domain: Option<String>,
    },
    /// Create an alias (`info@example.org`), or a domain's catch-all (`@example.org`).
    Add {
        source: String,
        /// Where mail goes: addresses here or elsewhere.
        #[arg(required = true)]
        destinations: Vec<String>,
    },
    /// Show an alias.
    Show { id: i64 },
    /// Replace an alias's destinations.
    Set {
        id: i64,
        #[arg(required = true)]
        destinations: Vec<String>,
    },
    /// Delete an alias for good.
    Delete { id: i64 },
}

/// An account named on the command line, by name or id.
async fn account_id(app: &App, actor: &Actor, account: &str) -> Result<AccountId, AppError> {
    match account.trim().parse::<i64>() {
        Ok(id) => Ok(AccountId(id)),
        Err(_) => Ok(app.accounts().get_by_name(actor, account.trim()).await?.id),
    }
}

async fn account_opt(
    app: &App,
    actor: &Actor,
    account: Option<String>,
) -> Result<Option<AccountId>, AppError> {
    match account {
        Some(a) => Ok(Some(account_id(app, actor, &a).await?)),
        None => Ok(None),
    }
}

// ---------------------------------------------------------------- domain mail

fn settings_text(m: &MailSettings) -> String {
    let mut s = format!(
        "{}: mail {}",
        m.domain,
        if m.enabled { "on" } else { "off" }
    );
    if let Some(status) = m.status {
        s.push_str(&format!(", {}", status.as_str()));
    }
    if let Some(e) = &m.last_error {
        s.push_str(&format!("\n  last error: {e}"));
    }
    if let Some(target) = &m.alias_of {
        s.push_str(&format!(
            "\n  alias of {target}: its mail goes to that domain's mailboxes"
        ));
    }
    if m.dkim.is_empty() {
        s.push_str("\n\nDKIM keys: none");
    } else {
        s.push_str("\n\nDKIM keys (TXT records):");
        for k in &m.dkim {
            s.push_str(&format!(
                "\n  {:<48} {}\n    {}",
                k.name,
                if k.signing { "signing" } else { "previous" },
                k.txt
            ));
        }
    }
    let c = &m.client;
    let host = |h: &Option<String>| h.clone().unwrap_or_else(|| "(not set)".into());
    s.push_str(&format!(
        "\n\nMail programs:\n  IMAP        {}:{}\n  submission  {}:{}",
        host(&c.imap_host),
        c.imap_port,
        host(&c.smtp_host),
        c.submission_port
    ));
    s
}

async fn mail_inner(app: &App, actor: &Actor, cmd: MailCommand) -> Result<MailSettings, AppError> {
    let mail = app.mail_domains();
    match cmd {
        MailCommand::On { domain } => mail.enable(actor, &domain).await,
        MailCommand::Off { domain } => mail.disable(actor, &domain).await,
        MailCommand::Show { domain } => mail.settings(actor, &domain).await,
        MailCommand::DkimRotate { domain } => mail.rotate_dkim(actor, &domain).await,
    }
}

pub async fn mail(format: Format, app: &App, actor: &Actor, cmd: MailCommand) -> ExitCode {
    match mail_inner(app, actor, cmd).await {
        Ok(m) => {
            print(format, &m, settings_text);
            ExitCode::SUCCESS
        }
        Err(e) => fail(format, e),
    }
}

// ---------------------------------------------------------------- mailboxes

/// "info@café.example (info@xn--caf-dma.example)", or the address alone
/// when ASCII.
fn both_addresses(m: &MailboxView) -> String {
    let ascii = m.mailbox.address.to_string();
    if m.display_address == ascii {
        ascii
    } else {
        format!("{} ({ascii})", m.display_address)
    }
}

fn mailbox_status(m: &MailboxView) -> &'static str {
    if m.mailbox.is_deleted() {
        "deleted"
    } else {
        m.status.as_str()
    }
}

/// The width of a text column: its widest cell, at least `min`. Rust pads
/// by characters, so Unicode addresses line up too.
fn width<'a>(cells: impl Iterator<Item = &'a str>, min: usize) -> usize {
    cells.map(|c| c.chars().count()).fold(min, usize::max)
}

/// One mailbox on a line; `w` is the width of the address column.
fn mailbox_line(m: &MailboxView, w: usize) -> String {
    let b = &m.mailbox;
    format!(
        "{:<5} {:<w$} {:<8} {:>9} {:>9} {:<8} {}",
        b.id.0,
        both_addresses(m),
        b.account_id.0,
        b.quota_mb,
        b.used_bytes / (1024 * 1024),
        if b.enabled { "yes" } else { "no" },
        mailbox_status(m),
    )
}

fn mailbox_header(w: usize) -> String {
    format!(
        "{:<5} {:<w$} {:<8} {:>9} {:>9} {:<8} {}",
        "ID", "ADDRESS", "ACCOUNT", "QUOTA_MB", "USED_MB", "ENABLED", "STATUS"
    )
}

fn mailbox_text(m: &MailboxView) -> String {
    let b = &m.mailbox;
    let mut s = both_addresses(m);
    s.push_str(&format!(
        "\n  account {}, {}, {} of {} MB used, {}",
        b.account_id.0,
        if b.enabled { "enabled" } else { "disabled" },
        b.used_bytes / (1024 * 1024),
        b.quota_mb,
        mailbox_status(m)
    ));
    if let Some(after) = b.purge_after {
        s.push_str(&format!("\n  deleted; restorable until unix time {after}"));
    }
    match &m.autoreply {
        Some(r) => {
            s.push_str(&format!(
                "\n\nAutomatic reply: {}",
                if r.enabled { "on" } else { "off" }
            ));
            if let Some(d) = &r.start_date {
                s.push_str(&format!("\n  from {d}"));
            }
            if let Some(d) = &r.end_date {
                s.push_str(&format!("\n  until {d}"));
            }
            let subject = if r.subject.is_empty() {
                "(Auto: and the subject replied to)"
            } else {
                &r.subject
            };
            s.push_str(&format!("\n  subject: {subject}"));
            for line in r.body.lines() {
                s.push_str(&format!("\n  | {line}"));
            }
        }
        None => s.push_str("\n\nAutomatic reply: none"),
    }
    s
}

/// Prints a mailbox after a change, with a sentence saying what was done.
fn done(format: Format, m: &MailboxView, what: &str) {
    print(format, m, |m| format!("{what}: {}", mailbox_line(m, 0)));
}

async fn set_enabled(
    app: &App,
    actor: &Actor,
    address: &str,
    enabled: bool,
) -> Result<MailboxView, AppError> {
    let input = UpdateMailbox {
        enabled: Some(enabled),
        ..UpdateMailbox::default()
    };
    app.mailboxes().update(actor, address, input).await
}

async fn mailbox_inner(
    format: Format,
    app: &App,
    actor: &Actor,
    cmd: MailboxCommand,
) -> Result<(), AppError> {
    let mailboxes = app.mailboxes();
    match cmd {
        MailboxCommand::List {
            account,
            domain,
            deleted,
        } => {
            let query = MailboxQuery {
                account: account_opt(app, actor, account).await?,
                domain,
                deleted,
            };
            let items = mailboxes.list(actor, query).await?;
            print(format, &json!({ "items": items }), |_| {
                let shown: Vec<String> = items.iter().map(both_addresses).collect();
                let w = width(shown.iter().map(String::as_str), 24);
                let mut out = mailbox_header(w);
                out.push('\n');
                for m in &items {
                    out.push_str(&mailbox_line(m, w));
                    out.push('\n');
                }
                out.push_str(&format!("{} mailboxes", items.len()));
                out
            });
        }
        MailboxCommand::Add {
            address,
            quota_mb,
            password_stdin,
        } => {
            let (password, generated) = super::password_input(password_stdin)?;
            let m = mailboxes
                .create(
                    actor,
                    CreateMailbox {
                        address,
                        password: password.clone(),
                        quota_mb,
                    },
                )
                .await?;
            let shown = generated.then_some(password);
            print(format, &json!({ "mailbox": &m, "password": shown }), |_| {
                let mut s = format!("Created {}: {} MB.", both_addresses(&m), m.mailbox.quota_mb);
                if let Some(pw) = &shown {
                    s.push_str(&format!("\nPassword: {pw}"));
                }
                s
            });
        }
        MailboxCommand::Show { address } => {
            let m = mailboxes.get(actor, &address).await?;
            print(format, &m, mailbox_text);
        }
        MailboxCommand::Delete { address } => {
            let m = mailboxes.delete(actor, &address).await?;
            print(format, &m, |m| {
                format!(
                    "Deleted {}; restorable until unix time {}.",
                    both_addresses(m),
                    m.mailbox.purge_after.unwrap_or_default()
                )
            });
        }
        MailboxCommand::Restore { address } => {
            let m = mailboxes.restore(actor, &address).await?;
            done(format, &m, "Restored");
        }
        MailboxCommand::Enable { address } => {
            let m = set_enabled(app, actor, &address, true).await?;
            done(format, &m, "Enabled");
        }
        MailboxCommand::Disable { address } => {
            let m = set_enabled(app, actor, &address, false).await?;
            done(format, &m, "Disabled");
        }
        MailboxCommand::Quota { address, mb } => {
            let input = UpdateMailbox {
                quota_mb: Some(mb),
                ..UpdateMailbox::default()
            };
            let m = mailboxes.update(actor, &address, input).await?;
            done(format, &m, "Saved");
        }
        MailboxCommand::Password {
            address,
            password_stdin,
        } => {
            let (password, generated) = super::password_input(password_stdin)?;
            mailboxes.set_password(actor, &address, &password).await?;
            let shown = generated.then_some(password);
            print(
                format,
                &json!({ "address": address, "password": shown }),
                |_| {
                    let mut s = format!("New password set for {address}.");
                    if let Some(pw) = &shown {
                        s.push_str(&format!("\nPassword: {pw}"));
                    }
                    s
                },
            );
        }
        MailboxCommand::Autoreply {
            address,
            subject,
            body,
            start,
            end,
            off,
        } => {
            // What is not given stays as it is: `--off` alone turns the
            // reply off and keeps its text.
            let shown = mailboxes.get(actor, &address).await?;
            if off && shown.autoreply.is_none() && body.is_none() {
                // Never set: there is nothing to turn off.
                print(format, &shown, |m| {
                    format!("{} has no automatic reply.", both_addresses(m))
                });
                return Ok(());
            }
            let current = shown.autoreply;
            let keep =
                |given: Option<String>, old: Option<String>| given.or(old).unwrap_or_default();
            let c = current.as_ref();
            let input = AutoreplyInput {
                enabled: !off,
                subject: keep(subject, c.map(|r| r.subject.clone())),
                body: keep(body, c.map(|r| r.body.clone())),
                start_date: keep(start, c.and_then(|r| r.start_date.clone())),
                end_date: keep(end, c.and_then(|r| r.end_date.clone())),
            };
            let m = mailboxes.set_autoreply(actor, &address, input).await?;
            print(format, &m, |m| {
                format!(
                    "Automatic reply {} for {}.",
                    if off { "off" } else { "on" },
                    both_addresses(m)
                )
            });
        }
    }
    Ok(())
}

pub async fn mailbox(format: Format, app: &App, actor: &Actor, cmd: MailboxCommand) -> ExitCode {
    match mailbox_inner(format, app, actor, cmd).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format, e),
    }
}

// ---------------------------------------------------------------- aliases

fn alias_status(a: &AliasView) -> &'static str {
    a.status.as_str()
}

/// One alias on a line; `w` is the width of the source column.
fn alias_line(a: &AliasView, w: usize) -> String {
    format!(
        "{:<5} {:<w$} {:<8} {:<8} {}",
        a.alias.id.0,
        a.display_source,
        a.alias.account_id.0,
        alias_status(a),
        a.alias.destinations.join(", ")
    )
}

fn alias_header(w: usize) -> String {
    format!(
        "{:<5} {:<w$} {:<8} {:<8} {}",
        "ID", "SOURCE", "ACCOUNT", "STATUS", "DESTINATIONS"
    )
}

async fn alias_inner(
    format: Format,
    app: &App,
    actor: &Actor,
    cmd: AliasCommand,
) -> Result<(), AppError> {
    let aliases = app.mail_aliases();
    match cmd {
        AliasCommand::List { account, domain } => {
            let query = AliasQuery {
                account: account_opt(app, actor, account).await?,
                domain,
            };
            let items = aliases.list(actor, query).await?;
            print(format, &json!({ "items": items }), |_| {
                let w = width(items.iter().map(|a| a.display_source.as_str()), 24);
                let mut out = alias_header(w);
                out.push('\n');
                for a in &items {
                    out.push_str(&alias_line(a, w));
                    out.push('\n');
                }
                out.push_str(&format!("{} aliases", items.len()));
                out
            });
        }
        AliasCommand::Add {
            source,
            destinations,
        } => {
            let a = aliases
                .create(
                    actor,
                    CreateAlias {
                        source,
                        destinations,
                    },
                )
                .await?;
            print(format, &a, |a| format!("Added: {}", alias_line(a, 0)));
        }
        AliasCommand::Show { id } => {
            let a = aliases.get(actor, id).await?;
            print(format, &a, |a| {
                let mut s = format!(
                    "{} (alias {}{}), account {}, {}",
                    a.display_source,
                    a.alias.id.0,
                    if a.catch_all { ", catch-all" } else { "" },
                    a.alias.account_id.0,
                    alias_status(a)
                );
                for d in &a.alias.destinations {
                    s.push_str(&format!("\n  -> {d}"));
                }
                s
            });
        }
        AliasCommand::Set { id, destinations } => {
            let a = aliases.update(actor, id, destinations).await?;
            print(format, &a, |a| format!("Saved: {}", alias_line(a, 0)));
        }
        AliasCommand::Delete { id } => {
            aliases.delete(actor, id).await?;
            print(format, &json!({ "deleted": id }), |_| {
                format!("Deleted alias {id}.")
            });
        }
    }
    Ok(())
}

pub async fn alias(format: Format, app: &App, actor: &Actor, cmd: AliasCommand) -> ExitCode {
    match alias_inner(format, app, actor, cmd).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format, e),
    }
}
