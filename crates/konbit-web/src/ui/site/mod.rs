//! Websites in the panel: the list with each account's disk space (here),
//! the form that adds a site (here), a site's page with its certificate,
//! its settings and what can be done to it (`page`), and its logs
//! (`logs`).
//!
//! Sites travel in URLs by number; their names are shown in Unicode.

mod logs;
mod page;

pub use logs::{download_log, show_logs};
pub use page::{delete, disable, enable, renew_certificate, restore, show, update};

use super::domain::{StatusView, outcome};
use super::{FormErrors, FormOutcome, Layout, query_value, render, see_other};
use crate::AppState;
use crate::context::Signed;
use crate::error::field_message;
use crate::form::{CsrfForm, FormData};
use crate::i18n::Tr;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use konbit_app::AppError;
use konbit_app::domain::DomainQuery;
use konbit_app::site::{SiteInput, SiteView};
use konbit_core::model::{Account, AccountId, Certificate, CertificateStatus, ObjectStatus, Site};
use konbit_core::page::PageRequest;
use konbit_core::quota::{QuotaLine, Resource};
use konbit_core::web::{SiteKind, SiteKindName};
use konbit_core::{Denied, FieldError, Rule};
use konbit_store::AccountFilter;
use std::collections::HashMap;

/// A live status as a badge, like the domain and mail pages' (the words
/// carry the meaning, the colour only repeats it).
fn status_view(tr: &Tr, s: ObjectStatus) -> StatusView {
    StatusView {
        label: tr.t(&format!("dns-status-{}", s.as_str())),
        class: match s {
            ObjectStatus::Applied => "badge-applied",
            ObjectStatus::Pending => "badge-pending",
            ObjectStatus::Failed => "badge-failed",
        },
    }
}

fn certificate_status(tr: &Tr, s: CertificateStatus) -> StatusView {
    StatusView {
        label: tr.t(&format!("certificate-status-{}", s.as_str())),
        class: match s {
            CertificateStatus::Issued => "badge-applied",
            CertificateStatus::Pending => "badge-pending",
            CertificateStatus::Failed => "badge-failed",
        },
    }
}

/// A site's certificate as its page and the list show it.
pub struct CertificateView {
    pub status: StatusView,
    /// The names it covers, in Unicode (empty before the first one).
    pub names: Vec<String>,
    pub not_after: Option<i64>,
    pub issued_at: Option<i64>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<i64>,
}

impl CertificateView {
    fn of(tr: &Tr, c: &Certificate) -> Self {
        Self {
            status: certificate_status(tr, c.status),
            names: c.names.iter().map(|n| unicode(n)).collect(),
            not_after: c.not_after,
            issued_at: c.issued_at,
            last_error: c.last_error.clone().filter(|e| !e.is_empty()),
            next_attempt_at: c.next_attempt_at,
        }
    }
}

/// A name stored in ASCII, to read.
fn unicode(ascii: &str) -> String {
    konbit_core::names::Fqdn::parse("name", ascii, 1)
        .map(|f| f.to_unicode())
        .unwrap_or_else(|_| ascii.to_owned())
}

/// One site as the list and its page show it.
pub struct SiteRow {
    pub id: i64,
    /// Unicode, to read.
    pub host: String,
    /// Its extra names, Unicode.
    pub aliases: Vec<String>,
    pub account: String,
    pub kind: String,
    pub status: StatusView,
    /// Why nginx's configuration failed, when it did.
    pub last_error: Option<String>,
    pub enabled: bool,
    /// Whether a certificate is asked for.
    pub https: bool,
    pub certificate: Option<CertificateView>,
    pub purge_after: Option<i64>,
}

impl SiteRow {
    fn of(tr: &Tr, v: &SiteView, accounts: &HashMap<AccountId, String>) -> Self {
        let s = &v.site;
        Self {
            id: s.id.0,
            host: v.display_host.clone(),
            aliases: s.aliases.iter().map(|a| a.to_unicode()).collect(),
            account: accounts
                .get(&s.account_id)
                .cloned()
                .unwrap_or_else(|| format!("#{}", s.account_id)),
            kind: kind_label(tr, s.kind.name()),
            status: status_view(tr, s.provision.status),
            last_error: failure(s),
            enabled: s.enabled,
            https: s.https.certificate,
            certificate: v.certificate.as_ref().map(|c| CertificateView::of(tr, c)),
            purge_after: s.purge_after,
        }
    }

    pub fn deleted(&self) -> bool {
        self.purge_after.is_some()
    }
}

fn failure(s: &Site) -> Option<String> {
    if s.provision.status == ObjectStatus::Failed {
        s.provision.last_error.clone().filter(|e| !e.is_empty())
    } else {
        None
    }
}

fn kind_label(tr: &Tr, k: SiteKindName) -> String {
    tr.t(&format!("site-kind-{}", k.as_str()))
}

/// The kinds to choose from, each with its word of help.
pub struct KindChoice {
    pub value: &'static str,
    pub label: String,
    pub help: String,
    pub checked: bool,
}

fn kind_choices(tr: &Tr, selected: &str) -> Vec<KindChoice> {
    SiteKindName::ALL
        .iter()
        .map(|k| KindChoice {
            value: k.as_str(),
            label: kind_label(tr, *k),
            help: tr.t(&format!("site-kind-{}-help", k.as_str())),
            checked: k.as_str() == selected,
        })
        .collect()
}

/// What the site form holds, as typed.
#[derive(Clone)]
pub struct SiteForm {
    pub host: String,
    pub kind: String,
    pub root: String,
    pub redirect_to: String,
    pub redirect_permanent: bool,
    pub redirect_keep_path: bool,
    pub proxy_port: String,
    /// The extra names, one per line (without `www.<host>` when `www`).
    pub aliases: String,
    pub www: bool,
    pub certificate: bool,
    pub force_https: bool,
    pub hsts: bool,
}

impl Default for SiteForm {
    fn default() -> Self {
        Self {
            host: String::new(),
            kind: SiteKindName::Static.as_str().to_owned(),
            root: String::new(),
            redirect_to: String::new(),
            redirect_permanent: true,
            redirect_keep_path: true,
            proxy_port: String::new(),
            aliases: String::new(),
            www: false,
            certificate: true,
            force_https: false,
            hsts: false,
        }
    }
}

impl SiteForm {
    pub(super) fn from_form(form: &FormData) -> Self {
        Self {
            host: form.get("host").trim().to_owned(),
            kind: form.get("kind").trim().to_owned(),
            root: form.get("root").trim().to_owned(),
            redirect_to: form.get("redirect_to").trim().to_owned(),
            redirect_permanent: form.get("redirect_permanent") != "0",
            redirect_keep_path: form.checked("redirect_keep_path"),
            proxy_port: form.get("proxy_port").trim().to_owned(),
            aliases: form.get("aliases").to_owned(),
            www: form.checked("www"),
            certificate: form.checked("certificate"),
            force_https: form.checked("force_https"),
            hsts: form.checked("hsts"),
        }
    }

    /// The form of an existing site, to change it.
    pub(super) fn of_site(site: &Site) -> Self {
        let www = format!("www.{}", site.host);
        let mut form = Self {
            host: site.host.to_unicode(),
            kind: site.kind.name().as_str().to_owned(),
            root: String::new(),
            redirect_to: String::new(),
            redirect_permanent: true,
            redirect_keep_path: true,
            proxy_port: String::new(),
            aliases: site
                .aliases
                .iter()
                .filter(|a| a.as_str() != www)
                .map(|a| a.to_unicode())
                .collect::<Vec<_>>()
                .join("\n"),
            www: site.aliases.iter().any(|a| a.as_str() == www),
            certificate: site.https.certificate,
            force_https: site.https.force_https,
            hsts: site.https.hsts,
        };
        match &site.kind {
            SiteKind::Static { root } | SiteKind::Php { root } => {
                form.root = root.to_string();
            }
            SiteKind::Redirect {
                target,
                permanent,
                keep_path,
            } => {
                form.redirect_to = target.to_string();
                form.redirect_permanent = *permanent;
                form.redirect_keep_path = *keep_path;
            }
            SiteKind::Proxy { port } => form.proxy_port = port.get().to_string(),
        }
        form
    }

    /// What the service gets; `host` is the site's name (typed, or the
    /// existing site's).
    pub(super) fn input(&self, host: &str) -> SiteInput {
        let mut aliases: Vec<String> = self
            .aliases
            .split(|c: char| c.is_whitespace() || c == ',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .collect();
        let host = host.trim().trim_end_matches('.');
        if self.www && !host.is_empty() {
            let www = format!("www.{host}");
            if !aliases.iter().any(|a| a.eq_ignore_ascii_case(&www)) {
                aliases.insert(0, www);
            }
        }
        // Not a number: out of the range, which the service names; empty:
        // missing, likewise.
        let proxy_port = if self.proxy_port.is_empty() {
            None
        } else {
            Some(self.proxy_port.parse::<i64>().unwrap_or(-1))
        };
        SiteInput {
            host: host.to_owned(),
            aliases,
            kind: self.kind.clone(),
            root: self.root.clone(),
            redirect_to: self.redirect_to.clone(),
            redirect_permanent: self.redirect_permanent,
            redirect_keep_path: self.redirect_keep_path,
            proxy_port,
            certificate: self.certificate,
            force_https: self.force_https,
            hsts: self.hsts,
        }
    }
}

/// The names of the site form's fields in messages: where the panel's
/// general words mean something else (`aliases` are mail aliases, `kind`
/// an audit entry's object), the site form has its own.
fn label_field(field: &'static str) -> &'static str {
    match field {
        "aliases" => "site_aliases",
        "kind" => "site_kind",
        other => other,
    }
}

fn site_field_errors(tr: &Tr, fields: &[FieldError]) -> FormErrors {
    FormErrors {
        items: fields
            .iter()
            .map(|f| {
                let named = FieldError::new(label_field(f.field), f.rule.clone());
                (f.field.to_owned(), field_message(tr, &named))
            })
            .collect(),
        general: None,
    }
}

/// Like the domain pages' outcome, with the site form's own field names.
pub(super) fn site_outcome(tr: &Tr, e: AppError) -> FormOutcome {
    match e {
        AppError::Invalid(fields) => FormOutcome::Show(site_field_errors(tr, &fields), 422),
        AppError::Duplicate { field } => {
            let label = tr.t(&format!("field-{}", label_field(field).replace('_', "-")));
            FormOutcome::Show(
                FormErrors {
                    items: vec![(
                        field.to_owned(),
                        tr.t1("error-duplicate-field", "field", label),
                    )],
                    general: None,
                },
                409,
            )
        }
        other => outcome(tr, other),
    }
}

/// The hint of the proxy port: the range the operator opened.
fn port_hint(state: &AppState, tr: &Tr) -> String {
    let c = &state.app.config.sites;
    tr.t2(
        "site-hint-proxy-port",
        // Ports are written without a thousands separator.
        ("min", c.proxy_port_min.to_string()),
        ("max", c.proxy_port_max.to_string()),
    )
}

/// The accounts the person sees (first page, at most 200).
async fn accounts_of(state: &AppState, s: &Signed) -> Result<Vec<Account>, AppError> {
    Ok(state
        .app
        .accounts()
        .list(
            &s.session.actor,
            AccountFilter::default(),
            PageRequest::new(Some(1), Some(PageRequest::MAX_PER_PAGE)),
        )
        .await?
        .items)
}

/// One account's web space: its sites and disk against its quota.
pub struct UsageCard {
    pub account: String,
    pub lines: Vec<QuotaLine>,
    pub measured_at: Option<i64>,
}

#[derive(Template)]
#[template(path = "site/list.html")]
struct ListPage {
    l: Layout,
    sites: Vec<SiteRow>,
    deleted: Vec<SiteRow>,
    /// Whether the person sees several accounts, so rows name their own.
    show_account: bool,
    usage: Vec<UsageCard>,
    /// Some live domain of the person's can take a site.
    any_domain: bool,
}

impl ListPage {
    fn restore_label(&self, s: &SiteRow) -> String {
        self.l.tr.t1("site-restore-named", "host", s.host.clone())
    }

    fn expires(&self, ts: &i64) -> String {
        self.l.tr.t1("certificate-expires", "date", self.l.date(ts))
    }

    fn measured(&self, ts: &i64) -> String {
        self.l
            .tr
            .t1("site-disk-measured-at", "date", self.l.date(ts))
    }
}

/// The live domains the person sees (first page, at most 200).
async fn live_domains(state: &AppState, s: &Signed) -> Result<Vec<String>, AppError> {
    Ok(state
        .app
        .domains()
        .list(
            &s.session.actor,
            DomainQuery::default(),
            PageRequest::new(Some(1), Some(PageRequest::MAX_PER_PAGE)),
        )
        .await?
        .items
        .iter()
        .map(|d| d.display_name())
        .collect())
}

async fn usage_cards(
    state: &AppState,
    s: &Signed,
    accounts: &[Account],
    with_sites: &[AccountId],
) -> Result<Vec<UsageCard>, AppError> {
    let actor = &s.session.actor;
    let mut out = Vec::new();
    // An admin sees every account: only those with sites are worth a card.
    let shown = accounts
        .iter()
        .filter(|a| !s.session.person.is_admin || with_sites.contains(&a.id));
    for a in shown {
        let overview = state.app.accounts().overview(actor, a.id).await?;
        let measured = state.app.sites().disk_usage(actor, a.id).await?;
        out.push(UsageCard {
            account: a.display_name.to_string(),
            lines: overview
                .quota
                .into_iter()
                .filter(|q| matches!(q.resource, Resource::Sites | Resource::DiskMb))
                .collect(),
            measured_at: measured.map(|(_, at)| at),
        });
    }
    Ok(out)
}

/// GET /sites
pub async fn list(State(state): State<AppState>, s: Signed) -> Response {
    let actor = &s.session.actor;
    let accounts = match accounts_of(&state, &s).await {
        Ok(a) => a,
        Err(e) => return s.error(e).into_response(),
    };
    let names: HashMap<AccountId, String> = accounts
        .iter()
        .map(|a| (a.id, a.display_name.to_string()))
        .collect();
    let sites = state.app.sites();
    let live = match sites.list(actor, None, false).await {
        Ok(v) => v,
        Err(e) => return s.error(e).into_response(),
    };
    let deleted = match sites.list(actor, None, true).await {
        Ok(v) => v,
        Err(e) => return s.error(e).into_response(),
    };
    let with_sites: Vec<AccountId> = live
        .iter()
        .chain(&deleted)
        .map(|v| v.site.account_id)
        .collect();
    let usage = match usage_cards(&state, &s, &accounts, &with_sites).await {
        Ok(u) => u,
        Err(e) => return s.error(e).into_response(),
    };
    let any_domain = match live_domains(&state, &s).await {
        Ok(d) => !d.is_empty(),
        Err(e) => return s.error(e).into_response(),
    };
    let tr = &s.tr;
    let l = Layout::signed(&s, "sites", "sites-title")
        .with_flash(query_value(&s.path, "flash").as_deref());
    render(
        s.tr,
        200,
        &ListPage {
            l,
            sites: live.iter().map(|v| SiteRow::of(tr, v, &names)).collect(),
            deleted: deleted.iter().map(|v| SiteRow::of(tr, v, &names)).collect(),
            show_account: s.session.person.is_admin || accounts.len() > 1,
            usage,
            any_domain,
        },
    )
}

#[derive(Template)]
#[template(path = "site/new.html")]
struct NewPage {
    l: Layout,
    form: SiteForm,
    errors: FormErrors,
    kinds: Vec<KindChoice>,
    /// The live domains a site's name can be in, Unicode.
    domains: Vec<String>,
    port_hint: String,
    /// The www box and the folder hint, for a name not typed yet.
    www_label: String,
    root_hint: String,
    /// Whether certificates are issued on this server.
    acme: bool,
}

impl NewPage {
    fn domains_hint(&self) -> String {
        self.l
            .tr
            .t1("site-hint-host-domains", "domains", self.domains.join(", "))
    }
}

async fn new_page(
    state: &AppState,
    s: &Signed,
    form: SiteForm,
    errors: FormErrors,
    status: u16,
) -> Response {
    let domains = match live_domains(state, s).await {
        Ok(d) => d,
        Err(e) => return s.error(e).into_response(),
    };
    let tr = &s.tr;
    let mut l = Layout::signed(s, "sites", "sites-title");
    l.title = tr.t("site-new-title");
    render(
        s.tr,
        status,
        &NewPage {
            kinds: kind_choices(tr, &form.kind),
            port_hint: port_hint(state, tr),
            www_label: tr.t("site-www-any"),
            root_hint: tr.t("site-hint-root-new"),
            acme: state.app.config.sites.acme,
            l,
            form,
            errors,
            domains,
        },
    )
}

/// A name in another account's domain is, to this person, in none of
/// theirs: the form says so, as for a name in no domain at all, and does
/// not tell that the domain is hosted here.
fn not_yours(e: AppError) -> AppError {
    match e {
        AppError::NotFound | AppError::Denied(Denied::NotFound) => {
            AppError::Invalid(vec![FieldError::new("host", Rule::HostOutsideAccount)])
        }
        other => other,
    }
}

/// GET /sites/new
pub async fn new_form(State(state): State<AppState>, s: Signed) -> Response {
    new_page(&state, &s, SiteForm::default(), FormErrors::default(), 200).await
}

/// POST /sites/new
pub async fn create(State(state): State<AppState>, f: CsrfForm) -> Response {
    let s = &f.signed;
    let form = SiteForm::from_form(&f.form);
    let input = form.input(&form.host);
    match state.app.sites().create(&s.session.actor, input).await {
        Ok(v) => see_other(&format!("/sites/{}?flash=site-created", v.site.id)),
        Err(e) => match site_outcome(&s.tr, not_yours(e)) {
            FormOutcome::Show(errors, status) => new_page(&state, s, form, errors, status).await,
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use konbit_core::model::Locale;

    #[test]
    fn the_www_box_adds_the_name_once() {
        let form = SiteForm {
            www: true,
            aliases: "blog.radio.test\n\n  shop.radio.test, www.radio.test ".into(),
            ..SiteForm::default()
        };
        let input = form.input("radio.test");
        assert_eq!(
            input.aliases,
            ["blog.radio.test", "shop.radio.test", "www.radio.test"]
        );
        let form = SiteForm {
            www: true,
            ..SiteForm::default()
        };
        assert_eq!(form.input("radio.test.").aliases, ["www.radio.test"]);
        assert!(SiteForm::default().input("radio.test").aliases.is_empty());
    }

    #[test]
    fn a_port_that_is_not_a_number_is_out_of_range() {
        let port = |raw: &str| {
            SiteForm {
                proxy_port: raw.into(),
                ..SiteForm::default()
            }
            .input("radio.test")
            .proxy_port
        };
        assert_eq!(port(""), None);
        assert_eq!(port("10080"), Some(10080));
        assert_eq!(port("lots"), Some(-1));
    }

    #[test]
    fn site_fields_have_their_own_names() {
        for locale in Locale::ALL {
            let tr = Tr::new(locale);
            let errors = site_field_errors(
                &tr,
                &[
                    FieldError::new("aliases", Rule::DuplicateSiteName),
                    FieldError::new("kind", Rule::UnknownChoice),
                    FieldError::new("root", Rule::PathFormat),
                ],
            );
            let aliases = errors.get("aliases").unwrap_or_default();
            assert!(
                aliases.starts_with(&tr.t("field-site-aliases")),
                "{aliases}"
            );
            assert!(!aliases.starts_with(&tr.t("field-aliases")), "{aliases}");
            let kind = errors.get("kind").unwrap_or_default();
            assert!(kind.starts_with(&tr.t("field-site-kind")), "{kind}");
            let root = errors.get("root").unwrap_or_default();
            assert!(root.starts_with(&tr.t("field-root")), "{root}");
        }
    }

    #[test]
    fn every_site_rule_has_a_message() {
        for locale in Locale::ALL {
            let tr = Tr::new(locale);
            for rule in [
                Rule::PathFormat,
                Rule::UrlFormat,
                Rule::HostOutsideAccount,
                Rule::DuplicateSiteName,
                Rule::HstsNeedsHttps,
                Rule::HttpsNeedsCertificate,
            ] {
                assert!(tr.has(rule.message_id()), "{locale:?}: {rule:?}");
            }
            for k in SiteKindName::ALL {
                assert!(tr.has(&format!("site-kind-{}", k.as_str())));
                assert!(tr.has(&format!("site-kind-{}-help", k.as_str())));
            }
            for field in [
                "host",
                "site_aliases",
                "site_kind",
                "root",
                "redirect_to",
                "proxy_port",
                "certificate",
                "force_https",
                "hsts",
            ] {
                let id = format!("field-{}", field.replace('_', "-"));
                assert!(tr.has(&id), "{locale:?}: {id}");
            }
        }
    }
}
