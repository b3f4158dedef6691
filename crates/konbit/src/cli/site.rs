//! `konbit site …`: websites. A site is named by its id or by its host
//! (ASCII or Unicode; one of its aliases names it too), as `konbit site
//! list` shows them.

use crate::output::{EXIT_INVALID, Format, fail, print, tr};
use clap::{Args, Subcommand, ValueEnum};
use konbit_app::site::{LogKind, SiteInput, SiteView};
use konbit_app::{App, AppError};
use konbit_core::authz::Actor;
use konbit_core::model::{AccountId, Site};
use konbit_core::names::Fqdn;
use konbit_core::web::SiteKind;
use konbit_core::{ErrorCode, FieldError};
use serde_json::json;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum SiteCommand {
    /// List websites.
    List {
        /// Only this account's sites (its name or id).
        #[arg(long)]
        account: Option<String>,
        /// List deleted (restorable) sites.
        #[arg(long)]
        deleted: bool,
    },
    /// Add a website under a name of one of an account's domains (the domain's account owns it).
    Add {
        host: String,
        /// What the site serves.
        #[arg(long = "type", value_enum)]
        kind: KindArg,
        #[command(flatten)]
        options: SiteOptions,
    },
    /// Show a site, its settings and its certificate.
    Show {
        site: String,
    },
    /// Change what a site serves; its host stays, and what is not given stays as it is.
    Update {
        site: String,
        /// What the site serves.
        #[arg(long = "type", value_enum)]
        kind: Option<KindArg>,
        #[command(flatten)]
        options: SiteOptions,
        /// Remove every extra name (before --alias and --www, if given).
        #[arg(long)]
        no_aliases: bool,
    },
    /// Serve a disabled site again.
    Enable {
        site: String,
    },
    /// Stop serving a site; its settings and files stay.
    Disable {
        site: String,
    },
    /// Soft-delete a site (restorable during the grace period; its files stay).
    Delete {
        site: String,
    },
    Restore {
        site: String,
    },
    /// Order the site's certificate again now.
    #[command(name = "renew-certificate")]
    RenewCertificate {
        site: String,
    },
    /// Print the end of the site's access log (or error log).
    Logs {
        site: String,
        /// The error log instead of the access log.
        #[arg(long)]
        error: bool,
        /// How many of the last lines, 1 to 2000.
        #[arg(long, default_value_t = 100)]
        lines: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// Files from the site's directory.
    Static,
    /// Files from the site's directory, `.php` run by the account's PHP-FPM pool.
    Php,
    /// Every request sent to another address (--to).
    Redirect,
    /// Requests passed to a local application on 127.0.0.1 (--port).
    Proxy,
}

impl KindArg {
    fn as_str(self) -> &'static str {
        match self {
            Self::Static => "static",
            Self::Php => "php",
            Self::Redirect => "redirect",
            Self::Proxy => "proxy",
        }
    }
}

/// The settings `add` and `update` share. On `update`, a flag left out
/// keeps the current value.
#[derive(Args, Debug)]
pub struct SiteOptions {
    /// static and php: the directory served, relative to the account's home (default www/<host>).
    #[arg(long)]
    root: Option<String>,
    /// redirect: where visitors are sent (http:// or https://).
    #[arg(long = "to")]
    to: Option<String>,
    /// redirect: a temporary redirect (302) rather than a permanent one (301).
    #[arg(long, conflicts_with = "permanent")]
    temporary: bool,
    /// redirect: a permanent redirect (301), the default.
    #[arg(long)]
    permanent: bool,
    /// redirect: do not append the request's path to the target.
    #[arg(long, conflicts_with = "keep_path")]
    no_keep_path: bool,
    /// redirect: append the request's path to the target, the default.
    #[arg(long)]
    keep_path: bool,
    /// proxy: the local port the application listens on.
    #[arg(long)]
    port: Option<i64>,
    /// An extra name the site answers to (repeatable); on update, the list replaces the current one.
    #[arg(long = "alias")]
    aliases: Vec<String>,
    /// Add www.<host> as an extra name.
    #[arg(long)]
    www: bool,
    /// Do not order a certificate (the site is served over plain HTTP only).
    #[arg(long, conflicts_with = "certificate")]
    no_certificate: bool,
    /// Order a certificate, the default.
    #[arg(long)]
    certificate: bool,
    /// Redirect plain HTTP to HTTPS once the certificate is issued.
    #[arg(long, conflicts_with = "no_force_https")]
    force_https: bool,
    #[arg(long)]
    no_force_https: bool,
    /// Tell browsers to use HTTPS only (HSTS); needs --force-https.
    #[arg(long, conflicts_with = "no_hsts")]
    hsts: bool,
    #[arg(long)]
    no_hsts: bool,
}

/// `Some(true)` for `--on`, `Some(false)` for `--off`, `None` for neither.
fn switch(on: bool, off: bool) -> Option<bool> {
    match (on, off) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}

impl SiteOptions {
    /// Applies the options over `input` (a new site's defaults, or the
    /// site's current settings).
    fn apply(self, input: &mut SiteInput, replace_aliases: bool) {
        if let Some(r) = self.root {
            input.root = r;
        }
        if let Some(t) = self.to {
            input.redirect_to = t;
        }
        if let Some(p) = switch(self.permanent, self.temporary) {
            input.redirect_permanent = p;
        }
        if let Some(k) = switch(self.keep_path, self.no_keep_path) {
            input.redirect_keep_path = k;
        }
        if let Some(p) = self.port {
            input.proxy_port = Some(p);
        }
        if replace_aliases || !self.aliases.is_empty() {
            input.aliases = self.aliases;
        }
        if self.www {
            let www = format!("www.{}", input.host.trim());
            if !input.aliases.iter().any(|a| a.trim() == www) {
                input.aliases.push(www);
            }
        }
        if let Some(c) = switch(self.certificate, self.no_certificate) {
            input.certificate = c;
        }
        if let Some(f) = switch(self.force_https, self.no_force_https) {
            input.force_https = f;
        }
        if let Some(h) = switch(self.hsts, self.no_hsts) {
            input.hsts = h;
        }
    }
}

/// A site's settings as the input that would make them again; the fields
/// of the other kinds take a new site's defaults.
fn current_input(s: &Site) -> SiteInput {
    let mut input = SiteInput {
        host: s.host.to_string(),
        aliases: s.aliases.iter().map(ToString::to_string).collect(),
        kind: s.kind.name().as_str().into(),
        redirect_permanent: true,
        redirect_keep_path: true,
        certificate: s.https.certificate,
        force_https: s.https.force_https,
        hsts: s.https.hsts,
        ..SiteInput::default()
    };
    match &s.kind {
        SiteKind::Static { root } | SiteKind::Php { root } => input.root = root.to_string(),
        SiteKind::Redirect {
            target,
            permanent,
            keep_path,
        } => {
            input.redirect_to = target.to_string();
            input.redirect_permanent = *permanent;
            input.redirect_keep_path = *keep_path;
        }
        SiteKind::Proxy { port } => input.proxy_port = Some(i64::from(port.get())),
    }
    input
}

/// An account named on the command line, by name or id.
async fn account_id(app: &App, actor: &Actor, account: &str) -> Result<AccountId, AppError> {
    match account.trim().parse::<i64>() {
        Ok(id) => Ok(AccountId(id)),
        Err(_) => Ok(app.accounts().get_by_name(actor, account.trim()).await?.id),
    }
}

/// A site named on the command line: its id, or a name it answers to
/// (its host first, then its aliases; live sites before deleted ones).
async fn site_id(app: &App, actor: &Actor, given: &str) -> Result<i64, AppError> {
    let given = given.trim();
    if let Ok(id) = given.parse::<i64>() {
        return Ok(id);
    }
    let Ok(name) = Fqdn::parse("host", given, 1) else {
        return Err(AppError::NotFound);
    };
    for deleted in [false, true] {
        let sites = app.sites().list(actor, None, deleted).await?;
        if let Some(v) = sites.iter().find(|v| v.site.host == name) {
            return Ok(v.site.id.0);
        }
        if let Some(v) = sites.iter().find(|v| v.site.aliases.contains(&name)) {
            return Ok(v.site.id.0);
        }
    }
    Err(AppError::NotFound)
}

fn status_word(v: &SiteView) -> &'static str {
    let s = &v.site;
    if s.is_deleted() {
        "deleted"
    } else if !s.enabled {
        "disabled"
    } else {
        s.provision.status.as_str()
    }
}

fn certificate_word(v: &SiteView) -> String {
    match &v.certificate {
        None => "-".into(),
        Some(c) => match (c.status.as_str(), c.not_after) {
            ("issued", Some(end)) => format!("issued, until {}", konbit_app::audit::iso_time(end)),
            (status, _) => status.to_owned(),
        },
    }
}

/// "www.café.example (www.xn--caf-dma.example)", or the host alone when
/// ASCII.
fn both_hosts(v: &SiteView) -> String {
    let ascii = v.site.host.to_string();
    if v.display_host == ascii {
        ascii
    } else {
        format!("{} ({ascii})", v.display_host)
    }
}

/// What the site serves, in a few words.
fn serves(s: &Site) -> String {
    match &s.kind {
        SiteKind::Static { root } => format!("static files from ~/{root}"),
        SiteKind::Php { root } => format!("PHP from ~/{root}"),
        SiteKind::Redirect {
            target,
            permanent,
            keep_path,
        } => format!(
            "{} redirect to {target}{}",
            if *permanent {
                "permanent (301)"
            } else {
                "temporary (302)"
            },
            if *keep_path { " + the path" } else { "" }
        ),
        SiteKind::Proxy { port } => format!("proxy to http://127.0.0.1:{}", port.get()),
    }
}

/// The width of a text column: its widest cell, at least `min`.
fn width<'a>(cells: impl Iterator<Item = &'a str>, min: usize) -> usize {
    cells.map(|c| c.chars().count()).fold(min, usize::max)
}

/// One site on a line; `w` is the width of the host column.
fn site_line(v: &SiteView, w: usize) -> String {
    format!(
        "{:<5} {:<w$} {:<8} {:<9} {:<9} {}",
        v.site.id.0,
        both_hosts(v),
        v.site.account_id.0,
        v.site.kind.name().as_str(),
        status_word(v),
        certificate_word(v),
    )
}

fn site_header(w: usize) -> String {
    format!(
        "{:<5} {:<w$} {:<8} {:<9} {:<9} {}",
        "ID", "HOST", "ACCOUNT", "TYPE", "STATUS", "CERTIFICATE"
    )
}

fn site_text(v: &SiteView) -> String {
    let s = &v.site;
    let p = &s.provision;
    let mut out = format!("{} (site {})", both_hosts(v), s.id.0);
    out.push_str(&format!(
        "\n  account {}, {} (generation {}, applied {})",
        s.account_id.0,
        status_word(v),
        p.generation,
        p.applied_generation
    ));
    if let Some(e) = &p.last_error {
        out.push_str(&format!("\n  last error: {e}"));
    }
    if let Some(after) = s.purge_after {
        out.push_str(&format!("\n  deleted; restorable until unix time {after}"));
    }
    out.push_str(&format!("\n  serves: {}", serves(s)));
    if !s.aliases.is_empty() {
        let names: Vec<String> = s.aliases.iter().map(|a| a.to_unicode()).collect();
        out.push_str(&format!("\n  also answers to: {}", names.join(", ")));
    }
    let on = |b: bool| if b { "on" } else { "off" };
    out.push_str(&format!(
        "\n  HTTPS: certificate {}, redirect to HTTPS {}, HSTS {}",
        on(s.https.certificate),
        on(s.https.force_https),
        on(s.https.hsts)
    ));
    match &v.certificate {
        None => out.push_str("\n\nCertificate: none"),
        Some(c) => {
            out.push_str(&format!("\n\nCertificate: {}", c.status.as_str()));
            if !c.names.is_empty() {
                out.push_str(&format!("\n  names: {}", c.names.join(", ")));
            }
            if let (Some(start), Some(end)) = (c.not_before, c.not_after) {
                out.push_str(&format!(
                    "\n  valid from {} until {}",
                    konbit_app::audit::iso_time(start),
                    konbit_app::audit::iso_time(end)
                ));
            }
            if let Some(e) = &c.last_error {
                out.push_str(&format!("\n  last error: {e}"));
            }
            if let Some(at) = c.next_attempt_at {
                out.push_str(&format!(
                    "\n  next attempt: {}",
                    konbit_app::audit::iso_time(at)
                ));
            }
        }
    }
    out
}

/// Prints a site after a change, with a sentence saying what was done.
fn done(format: Format, v: &SiteView, what: &str) {
    print(format, v, |v| format!("{what}: {}", site_line(v, 0)));
}

async fn inner(format: Format, app: &App, actor: &Actor, cmd: SiteCommand) -> Result<(), AppError> {
    let sites = app.sites();
    match cmd {
        SiteCommand::List { account, deleted } => {
            let account = match account {
                Some(a) => Some(account_id(app, actor, &a).await?),
                None => None,
            };
            let items = sites.list(actor, account, deleted).await?;
            print(format, &json!({ "items": items }), |_| {
                let shown: Vec<String> = items.iter().map(both_hosts).collect();
                let w = width(shown.iter().map(String::as_str), 24);
                let mut out = site_header(w);
                out.push('\n');
                for v in &items {
                    out.push_str(&site_line(v, w));
                    out.push('\n');
                }
                out.push_str(&format!("{} sites", items.len()));
                out
            });
        }
        SiteCommand::Add {
            host,
            kind,
            options,
        } => {
            let mut input = SiteInput {
                host,
                kind: kind.as_str().into(),
                redirect_permanent: true,
                redirect_keep_path: true,
                certificate: true,
                ..SiteInput::default()
            };
            options.apply(&mut input, false);
            let v = sites.create(actor, input).await?;
            done(format, &v, "Added");
        }
        SiteCommand::Show { site } => {
            let v = sites.get(actor, site_id(app, actor, &site).await?).await?;
            print(format, &v, site_text);
        }
        SiteCommand::Update {
            site,
            kind,
            options,
            no_aliases,
        } => {
            let id = site_id(app, actor, &site).await?;
            let current = sites.get(actor, id).await?;
            let mut input = current_input(&current.site);
            if let Some(k) = kind {
                input.kind = k.as_str().into();
            }
            options.apply(&mut input, no_aliases);
            let v = sites.update(actor, id, input).await?;
            done(format, &v, "Saved");
        }
        SiteCommand::Enable { site } => {
            let v = sites
                .set_enabled(actor, site_id(app, actor, &site).await?, true)
                .await?;
            done(format, &v, "Enabled");
        }
        SiteCommand::Disable { site } => {
            let v = sites
                .set_enabled(actor, site_id(app, actor, &site).await?, false)
                .await?;
            done(format, &v, "Disabled");
        }
        SiteCommand::Delete { site } => {
            let id = site_id(app, actor, &site).await?;
            sites.delete(actor, id).await?;
            let v = sites.get(actor, id).await?;
            print(format, &v, |v| {
                format!(
                    "Deleted {}; restorable until unix time {}.",
                    both_hosts(v),
                    v.site.purge_after.unwrap_or_default()
                )
            });
        }
        SiteCommand::Restore { site } => {
            let v = sites
                .restore(actor, site_id(app, actor, &site).await?)
                .await?;
            done(format, &v, "Restored");
        }
        SiteCommand::RenewCertificate { site } => {
            let v = sites
                .renew_certificate(actor, site_id(app, actor, &site).await?)
                .await?;
            print(format, &v, |v| {
                format!("A new certificate is ordered for {}.", both_hosts(v))
            });
        }
        SiteCommand::Logs { site, error, lines } => {
            let id = site_id(app, actor, &site).await?;
            let kind = if error {
                LogKind::Error
            } else {
                LogKind::Access
            };
            let text = sites.log_tail(actor, id, kind, lines).await?;
            let log = if error { "error" } else { "access" };
            print(
                format,
                &json!({ "site": id, "log": log, "text": text }),
                |_| text.clone(),
            );
        }
    }
    Ok(())
}

/// Like [`fail`], except that a field error is worded with the site's own
/// labels (a site's other names are not mail aliases) and names the type
/// `type`, as `--type` and the API do.
fn site_fail(format: Format, e: AppError) -> ExitCode {
    let AppError::Invalid(fields) = e else {
        return fail(format, e);
    };
    let tr = tr();
    let label = |f: &FieldError| {
        let field = match f.field {
            "aliases" => "site_aliases",
            "kind" => "site_kind",
            other => other,
        };
        FieldError::new(field, f.rule.clone())
    };
    let labelled: Vec<FieldError> = fields.iter().map(label).collect();
    let code = ErrorCode::InvalidInput;
    match format {
        Format::Json => {
            let mut body = konbit_web::problem_body(&tr, code, None, &labelled);
            if let Some(errors) = body.get_mut("errors").and_then(|v| v.as_array_mut()) {
                for (error, f) in errors.iter_mut().zip(&fields) {
                    let name = if f.field == "kind" { "type" } else { f.field };
                    error["field"] = json!(name);
                }
            }
            eprintln!("{body}");
        }
        Format::Text => {
            eprintln!("konbit: {}", tr.t(&code.message_id()));
            for f in &labelled {
                eprintln!("  - {}", konbit_web::field_message(&tr, f));
            }
        }
    }
    ExitCode::from(EXIT_INVALID)
}

pub async fn run(format: Format, app: &App, actor: &Actor, cmd: SiteCommand) -> ExitCode {
    match inner(format, app, actor, cmd).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => site_fail(format, e),
    }
}
