//! `konbit domain …`: domains, their DNS records, zone import and export.
//! Domains are named by their name, ASCII or Unicode; records by their id
//! (`konbit domain show` lists them).

use crate::output::{EXIT_INVALID, Format, fail, print, tr};
use clap::{Subcommand, ValueEnum};
use konbit_app::domain::{CreateDomain, DomainDetail, DomainQuery, UpdateDomain};
use konbit_app::{App, AppError};
use konbit_core::authz::Actor;
use konbit_core::dns::RecordInput;
use konbit_core::model::{AccountId, DnsRecordRow, Domain, ObjectStatus, RecordId};
use konbit_core::page::PageRequest;
use serde::Serialize;
use serde_json::{Value, json};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum DomainCommand {
    /// List domains.
    List {
        /// Only this account's domains (its name or id).
        #[arg(long)]
        account: Option<String>,
        /// List deleted (restorable) domains.
        #[arg(long)]
        deleted: bool,
        #[arg(long)]
        search: Option<String>,
        #[arg(long, default_value_t = 1)]
        page: u32,
        #[arg(long, default_value_t = 50)]
        per_page: u32,
    },
    /// Add a domain to an account (ASCII or Unicode name).
    Add {
        name: String,
        /// The account (its name or id).
        #[arg(long)]
        account: String,
        /// Make it an alias that serves the records of this domain of the same account.
        #[arg(long)]
        alias_of: Option<String>,
        /// Do not sign the zone with DNSSEC.
        #[arg(long)]
        no_dnssec: bool,
        /// Start the zone with the co-op's MX, SPF and DMARC records.
        #[arg(long)]
        mail: bool,
    },
    /// Show a domain: its records with their status, and the DS records and name servers for the registrar.
    Show {
        name: String,
    },
    /// Turn DNSSEC on or off.
    Dnssec {
        name: String,
        state: Switch,
    },
    /// Soft-delete a domain (restorable during the grace period).
    Delete {
        name: String,
    },
    Restore {
        name: String,
    },
    /// Remove for good the deleted domains whose grace period is over.
    Purge,
    /// A domain's DNS records.
    #[command(subcommand)]
    Record(RecordCommand),
    /// Import a BIND zone file: the zone's records become the file's (the apex NS set stays).
    Import {
        domain: String,
        /// The zone file (default: standard input).
        #[arg(long)]
        file: Option<PathBuf>,
        /// Only show what would change.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the zone as a BIND zone file.
    Export {
        domain: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum RecordCommand {
    /// Add a record.
    Add {
        domain: String,
        /// Relative to the domain: `@` for the apex, `www`, `_dmarc`…
        #[arg(long, allow_hyphen_values = true)]
        name: String,
        /// A, AAAA, CNAME, MX, TXT, SRV, CAA or NS.
        #[arg(long = "type")]
        rtype: String,
        /// The data, as in a zone file: `192.0.2.10`, `10 mx.example.org`, `v=spf1 mx -all`…
        #[arg(long, allow_hyphen_values = true)]
        value: String,
        /// Seconds, 60 to 604800 (default 3600).
        #[arg(long)]
        ttl: Option<i64>,
    },
    /// Change a record; what is not given stays as it is.
    Update {
        domain: String,
        id: i64,
        #[arg(long, allow_hyphen_values = true)]
        name: Option<String>,
        #[arg(long = "type")]
        rtype: Option<String>,
        #[arg(long, allow_hyphen_values = true)]
        value: Option<String>,
        #[arg(long)]
        ttl: Option<i64>,
    },
    /// Delete a record.
    Delete { domain: String, id: i64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

/// A domain as scripts see it: the model plus the Unicode name.
#[derive(Serialize)]
struct DomainJson<'a> {
    #[serde(flatten)]
    domain: &'a Domain,
    display_name: String,
}

fn domain_json(d: &Domain) -> DomainJson<'_> {
    DomainJson {
        domain: d,
        display_name: d.display_name(),
    }
}

fn status_word(d: &Domain) -> &'static str {
    if d.is_deleted() {
        "deleted"
    } else {
        d.provision.status.as_str()
    }
}

/// "café.example (xn--caf-dma.example)", or the name alone when ASCII.
fn both_names(d: &Domain) -> String {
    let display = d.display_name();
    if display == d.name.as_str() {
        display
    } else {
        format!("{display} ({})", d.name)
    }
}

fn domain_line(d: &Domain) -> String {
    let alias = d
        .alias_of_name
        .as_ref()
        .map(|a| format!("alias of {}", a.to_unicode()))
        .unwrap_or_default();
    format!(
        "{:<5} {:<32} {:<8} {:<8} {:<7} {}",
        d.id.0,
        both_names(d),
        d.account_id.0,
        status_word(d),
        if d.dnssec { "on" } else { "off" },
        alias
    )
    .trim_end()
    .to_owned()
}

fn record_line(r: &DnsRecordRow, status: ObjectStatus) -> String {
    let name = if r.name.is_empty() { "@" } else { &r.name };
    format!(
        "{:<5} {:<24} {:<6} {:<6} {:<8} {}",
        r.id.0,
        name,
        r.ttl,
        r.rtype,
        status.as_str(),
        r.value
    )
}

fn record_json(r: &DnsRecordRow, status: ObjectStatus) -> Value {
    json!({
        "id": r.id,
        "name": r.name,
        "type": r.rtype,
        "ttl": r.ttl,
        "value": r.value,
        "status": status.as_str(),
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    })
}

fn detail_json(d: &DomainDetail) -> Value {
    let mut v = serde_json::to_value(domain_json(&d.domain)).unwrap_or(Value::Null);
    v["records"] = d
        .records
        .iter()
        .map(|r| record_json(&r.row, r.status))
        .collect();
    v["ds"] =
        d.ds.iter()
            .map(|ds| {
                json!({
                    "key_tag": ds.key_tag,
                    "algorithm": ds.algorithm,
                    "digest_type": ds.digest_type,
                    "digest": ds.digest_hex,
                    "record": ds.presentation(),
                })
            })
            .collect();
    v["nameservers"] = json!(d.nameservers);
    v
}

fn detail_text(d: &DomainDetail) -> String {
    let dom = &d.domain;
    let p = &dom.provision;
    let mut s = both_names(dom);
    s.push_str(&format!(
        "\n  account {}, DNSSEC {}, serial {}, {} (generation {}, applied {})",
        dom.account_id.0,
        if dom.dnssec { "on" } else { "off" },
        dom.serial,
        status_word(dom),
        p.generation,
        p.applied_generation
    ));
    if let Some(e) = &p.last_error {
        s.push_str(&format!("\n  last error: {e}"));
    }
    if let Some(target) = &dom.alias_of_name {
        s.push_str(&format!(
            "\n  alias of {}: it serves that domain's records",
            target.to_unicode()
        ));
    }
    if let Some(after) = dom.purge_after {
        s.push_str(&format!("\n  deleted; restorable until unix time {after}"));
    }
    s.push_str(&format!(
        "\n\nRecords:\n  {:<5} {:<24} {:<6} {:<6} {:<8} {}",
        "ID", "NAME", "TTL", "TYPE", "STATUS", "VALUE"
    ));
    for r in &d.records {
        s.push_str("\n  ");
        s.push_str(&record_line(&r.row, r.status));
    }
    if d.ds.is_empty() {
        s.push_str("\n\nDS records: none (DNSSEC is off)");
    } else {
        s.push_str("\n\nDS records (for the registrar):");
        for ds in &d.ds {
            s.push_str(&format!("\n  {}", ds.presentation()));
        }
    }
    s.push_str("\n\nName servers (for the registrar):");
    for ns in &d.nameservers {
        s.push_str(&format!("\n  {ns}"));
    }
    s
}

/// An account named on the command line, by name or id.
async fn account_id(app: &App, actor: &Actor, account: &str) -> Result<AccountId, AppError> {
    match account.trim().parse::<i64>() {
        Ok(id) => Ok(AccountId(id)),
        Err(_) => Ok(app.accounts().get_by_name(actor, account.trim()).await?.id),
    }
}

fn read_zone(file: Option<&PathBuf>) -> Result<String, AppError> {
    let mut text = String::new();
    match file {
        Some(path) => {
            text = std::fs::read_to_string(path)
                .map_err(|e| AppError::Internal(format!("cannot read {}: {e}", path.display())))?;
        }
        None => {
            std::io::stdin().read_to_string(&mut text).map_err(|e| {
                AppError::Internal(format!("cannot read the zone file from stdin: {e}"))
            })?;
        }
    }
    Ok(text)
}

async fn records(
    format: Format,
    app: &App,
    actor: &Actor,
    cmd: RecordCommand,
) -> Result<(), AppError> {
    let domains = app.domains();
    match cmd {
        RecordCommand::Add {
            domain,
            name,
            rtype,
            value,
            ttl,
        } => {
            let input = RecordInput {
                name,
                rtype,
                ttl,
                value,
            };
            let row = domains.add_record(actor, &domain, input).await?;
            // Just written: the name servers do not serve it yet.
            let status = ObjectStatus::Pending;
            print(format, &record_json(&row, status), |_| {
                format!("Added: {}", record_line(&row, status))
            });
        }
        RecordCommand::Update {
            domain,
            id,
            name,
            rtype,
            value,
            ttl,
        } => {
            let current = domains.record(actor, &domain, RecordId(id)).await?.row;
            let input = RecordInput {
                name: name.unwrap_or(current.name),
                rtype: rtype.unwrap_or(current.rtype),
                ttl: Some(ttl.unwrap_or(current.ttl)),
                value: value.unwrap_or(current.value),
            };
            let row = domains
                .update_record(actor, &domain, RecordId(id), input)
                .await?;
            let status = ObjectStatus::Pending;
            print(format, &record_json(&row, status), |_| {
                format!("Saved: {}", record_line(&row, status))
            });
        }
        RecordCommand::Delete { domain, id } => {
            domains.delete_record(actor, &domain, RecordId(id)).await?;
            print(format, &json!({ "deleted": id }), |_| {
                format!("Deleted record {id} of {domain}.")
            });
        }
    }
    Ok(())
}

async fn run_inner(
    format: Format,
    app: &App,
    actor: &Actor,
    cmd: DomainCommand,
) -> Result<(), AppError> {
    let domains = app.domains();
    match cmd {
        DomainCommand::List {
            account,
            deleted,
            search,
            page,
            per_page,
        } => {
            let account = match account {
                Some(a) => Some(account_id(app, actor, &a).await?),
                None => None,
            };
            let query = DomainQuery {
                account,
                deleted,
                search,
            };
            let page = domains
                .list(actor, query, PageRequest::new(Some(page), Some(per_page)))
                .await?;
            let value = json!({
                "items": page.items.iter().map(domain_json).collect::<Vec<_>>(),
                "page": page.page,
                "per_page": page.per_page,
                "total": page.total,
            });
            print(format, &value, |_| {
                let mut out = format!(
                    "{:<5} {:<32} {:<8} {:<8} {:<7}\n",
                    "ID", "NAME", "ACCOUNT", "STATUS", "DNSSEC"
                );
                for d in &page.items {
                    out.push_str(&domain_line(d));
                    out.push('\n');
                }
                out.push_str(&format!(
                    "page {} of {}, {} domains",
                    page.page,
                    page.pages(),
                    page.total
                ));
                out
            });
        }
        DomainCommand::Add {
            name,
            account,
            alias_of,
            no_dnssec,
            mail,
        } => {
            let account = account_id(app, actor, &account).await?;
            let d = domains
                .create(
                    actor,
                    CreateDomain {
                        account_id: account.0,
                        name,
                        alias_of,
                        dnssec: Some(!no_dnssec),
                        mail: Some(mail),
                    },
                )
                .await?;
            print(format, &domain_json(&d), |_| {
                format!(
                    "Added {}; `konbit domain show {}` gives what the registrar needs.",
                    both_names(&d),
                    d.name
                )
            });
        }
        DomainCommand::Show { name } => {
            let d = domains.get(actor, &name).await?;
            print(format, &detail_json(&d), |_| detail_text(&d));
        }
        DomainCommand::Dnssec { name, state } => {
            let d = domains
                .update(
                    actor,
                    &name,
                    UpdateDomain {
                        dnssec: Some(state == Switch::On),
                    },
                )
                .await?;
            print(format, &domain_json(&d), |_| {
                format!(
                    "DNSSEC is {} for {}.",
                    if d.dnssec { "on" } else { "off" },
                    both_names(&d)
                )
            });
        }
        DomainCommand::Delete { name } => {
            let d = domains.delete(actor, &name).await?;
            print(format, &domain_json(&d), |_| {
                format!(
                    "Deleted {}; restorable until unix time {}.",
                    both_names(&d),
                    d.purge_after.unwrap_or_default()
                )
            });
        }
        DomainCommand::Restore { name } => {
            let d = domains.restore(actor, &name).await?;
            print(format, &domain_json(&d), |_| {
                format!("Restored: {}", domain_line(&d))
            });
        }
        DomainCommand::Purge => {
            let ids = domains.purge_expired(actor).await?;
            print(format, &ids, |ids| format!("Purged {} domains.", ids.len()));
        }
        DomainCommand::Record(c) => records(format, app, actor, c).await?,
        DomainCommand::Import {
            domain,
            file,
            dry_run,
        } => {
            let text = read_zone(file.as_ref())?;
            if dry_run {
                let p = domains.import_preview(actor, &domain, &text).await?;
                print(format, &p, |p| {
                    let mut s = format!(
                        "Would add {}, remove {} and keep {} records (nothing changed).",
                        p.added.len(),
                        p.removed.len(),
                        p.unchanged
                    );
                    for l in &p.added {
                        s.push_str(&format!("\n  + {l}"));
                    }
                    for l in &p.removed {
                        s.push_str(&format!("\n  - {l}"));
                    }
                    for (line, rtype) in &p.ignored {
                        s.push_str(&format!("\n  skipped line {line} ({rtype})"));
                    }
                    s
                });
            } else {
                let r = domains.import_apply(actor, &domain, &text).await?;
                print(format, &r, |r| {
                    format!(
                        "Imported: {} added, {} removed, {} unchanged.",
                        r.added, r.removed, r.unchanged
                    )
                });
            }
        }
        DomainCommand::Export { domain } => {
            let text = domains.export(actor, &domain).await?;
            match format {
                Format::Json => print(format, &json!({ "domain": domain, "zone": text }), |_| {
                    String::new()
                }),
                Format::Text => {
                    print!("{text}");
                    if !text.ends_with('\n') {
                        println!();
                    }
                }
            }
        }
    }
    Ok(())
}

pub async fn run(format: Format, app: &App, actor: &Actor, cmd: DomainCommand) -> ExitCode {
    match run_inner(format, app, actor, cmd).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(AppError::ZoneFile(errors)) => zone_file_failed(format, &errors),
        Err(e) => fail(format, e),
    }
}

/// A zone file with bad lines: every one of them, with its line number.
fn zone_file_failed(
    format: Format,
    errors: &[konbit_core::dns::zonefile::ZoneFileError],
) -> ExitCode {
    let tr = tr();
    let code = konbit_core::ErrorCode::InvalidInput;
    let line_message = |z: &konbit_core::dns::zonefile::ZoneFileError| {
        tr.t2(
            "zone-file-line",
            ("line", z.line),
            ("message", konbit_web::field_message(&tr, &z.error)),
        )
    };
    match format {
        Format::Json => {
            let fields: Vec<_> = errors.iter().map(|z| z.error.clone()).collect();
            let mut body = konbit_web::problem_body(&tr, code, None, &fields);
            if let Some(list) = body.get_mut("errors").and_then(Value::as_array_mut) {
                for (entry, z) in list.iter_mut().zip(errors) {
                    entry["line"] = json!(z.line);
                    entry["message"] = Value::String(line_message(z));
                }
            }
            eprintln!("{body}");
        }
        Format::Text => {
            eprintln!("konbit: {}", tr.t(&code.message_id()));
            for z in errors {
                eprintln!("  - {}", line_message(z));
            }
        }
    }
    ExitCode::from(EXIT_INVALID)
}
