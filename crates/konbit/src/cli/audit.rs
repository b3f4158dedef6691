//! `konbit audit …`: check the hash chain, list entries, export them as CSV.
//!
//! Exit codes: `verify` exits with 0 when the chain is intact and with
//! `EXIT_AUDIT_BROKEN` (6) when an entry was modified, deleted or reordered,
//! after naming the first bad entry; other failures use the usual codes.

use crate::output::{EXIT_AUDIT_BROKEN, Format, fail, fail_msg, print};
use clap::{Args, Subcommand};
use konbit_app::App;
use konbit_app::audit::{AuditQuery, csv, iso_time};
use konbit_core::authz::Actor;
use konbit_core::page::PageRequest;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Check the hash chain of the audit log; exits with 6 and names the first
    /// bad entry if one was modified, deleted or reordered.
    Verify,
    /// List entries, newest first.
    List {
        #[command(flatten)]
        filter: FilterArgs,
        #[arg(long, default_value_t = 1)]
        page: u32,
        #[arg(long, default_value_t = 50)]
        per_page: u32,
    },
    /// Print every matching entry (up to 100,000) in a file format.
    Export {
        #[command(flatten)]
        filter: FilterArgs,
        /// The only format for now.
        #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
        format: ExportFormat,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
}

#[derive(Args, Debug, Clone, Default)]
pub struct FilterArgs {
    /// One account's entries, by name.
    #[arg(long)]
    account: Option<String>,
    /// Object kind: account, membership, user, api_token or quota_profile.
    #[arg(long)]
    kind: Option<String>,
    /// Object id (with --kind).
    #[arg(long)]
    object_id: Option<String>,
    /// The actor's e-mail address.
    #[arg(long)]
    actor: Option<String>,
    /// First day, YYYY-MM-DD (UTC).
    #[arg(long)]
    from: Option<String>,
    /// Last day, YYYY-MM-DD (UTC), included.
    #[arg(long)]
    to: Option<String>,
}

impl FilterArgs {
    async fn query(&self, app: &App, actor: &Actor) -> Result<AuditQuery, konbit_app::AppError> {
        let account_id = match &self.account {
            Some(name) => Some(app.accounts().get_by_name(actor, name).await?.id.0),
            None => None,
        };
        Ok(AuditQuery {
            account_id,
            kind: self.kind.clone(),
            object_id: self.object_id.clone(),
            actor: self.actor.clone(),
            actor_id: None,
            from: self.from.clone(),
            to: self.to.clone(),
        })
    }
}

pub async fn run(format: Format, app: &App, actor: &Actor, c: AuditCommand) -> ExitCode {
    match c {
        AuditCommand::Verify => verify(format, app, actor).await,
        AuditCommand::List {
            filter,
            page,
            per_page,
        } => {
            let q = match filter.query(app, actor).await {
                Ok(q) => q,
                Err(e) => return fail(format, e),
            };
            let page = PageRequest::new(Some(page), Some(per_page));
            match app.audit().list(actor, &q, page).await {
                Ok(p) => {
                    print(format, &p, |p| {
                        let mut out =
                            format!("{} entries (page {} of {})", p.total, p.page, p.pages());
                        for e in &p.items {
                            out.push_str(&format!(
                                "\n#{} {} {} {} {}#{} by {} ({}{})",
                                e.id,
                                iso_time(e.at),
                                e.action,
                                e.account_id
                                    .map(|a| format!("account {a} "))
                                    .unwrap_or_default(),
                                e.object_kind,
                                e.object_id,
                                e.actor_label,
                                e.source,
                                e.ip.as_deref()
                                    .map(|ip| format!(", {ip}"))
                                    .unwrap_or_default(),
                            ));
                        }
                        out
                    });
                    ExitCode::SUCCESS
                }
                Err(e) => fail(format, e),
            }
        }
        AuditCommand::Export { filter, format: _ } => {
            let q = match filter.query(app, actor).await {
                Ok(q) => q,
                Err(e) => return fail(format, e),
            };
            match app.audit().export(actor, &q).await {
                Ok(entries) => {
                    print!("{}", csv(&entries));
                    ExitCode::SUCCESS
                }
                Err(e) => fail(format, e),
            }
        }
    }
}

async fn verify(format: Format, app: &App, actor: &Actor) -> ExitCode {
    let report = match app.audit().verify(actor).await {
        Ok(r) => r,
        Err(e) => return fail(format, e),
    };
    let ok = report.first_bad.is_none();
    let value = serde_json::json!({
        "ok": ok,
        "entries_checked": report.entries,
        "head": report.head,
        "first_bad": report.first_bad,
    });
    match (&report.first_bad, format) {
        (None, _) => {
            print(format, &value, |_| {
                format!(
                    "The audit log is intact: {} entries, chain head {}.",
                    report.entries, report.head
                )
            });
            ExitCode::SUCCESS
        }
        (Some(_), Format::Json) => {
            print(format, &value, |_| String::new());
            ExitCode::from(EXIT_AUDIT_BROKEN)
        }
        (Some(b), Format::Text) => {
            let why = match b.problem {
                konbit_core::audit::Problem::Modified => {
                    "its content does not match its hash (it was modified)"
                }
                konbit_core::audit::Problem::Unlinked => {
                    "it does not follow the entry before it (an entry was deleted, inserted or moved)"
                }
                konbit_core::audit::Problem::Unhashed => "it has no hash",
            };
            let _ = fail_msg(format!(
                "the audit log is broken at entry #{} ({}, {}): {why}. {} entries before it are intact.",
                b.id,
                iso_time(b.at),
                b.action,
                report.entries
            ));
            ExitCode::from(EXIT_AUDIT_BROKEN)
        }
    }
}
