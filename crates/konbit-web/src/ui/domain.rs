//! Domains in the panel: the list with the form that adds one, the domain
//! page (its zone's status, what the registrar needs, DNSSEC, the records),
//! record edits (`records`), zone-file import and export (`import`).
//!
//! Domain names travel in URLs in ASCII (punycode for IDN) and are shown in
//! Unicode.

mod import;
mod records;

pub use import::{export, import_form, import_post};
pub use records::{add_record, delete_record, edit_record_form, update_record};

use super::{FormErrors, FormOutcome, Layout, form_outcome, query_value, render, see_other};
use crate::AppState;
use crate::context::Signed;
use crate::error::line_message;
use crate::form::{CsrfForm, FormData};
use crate::i18n::Tr;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use konbit_app::AppError;
use konbit_app::domain::{CreateDomain, DomainDetail, DomainQuery, RecordView, UpdateDomain};
use konbit_core::dns::RecordType;
use konbit_core::dns::dnssec::DsRecord;
use konbit_core::model::{Account, AccountId, Domain, ObjectStatus};
use konbit_core::page::{Page, PageRequest};
use konbit_core::{Denied, ErrorCode, FieldError, Rule};
use konbit_store::AccountFilter;
use std::collections::HashMap;

/// How many domains a page of the list shows.
const PER_PAGE: u32 = 50;

/// A live status as a badge: the words carry the meaning, the colour only
/// repeats it.
pub struct StatusView {
    pub label: String,
    pub class: &'static str,
}

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

/// A domain name both ways: ASCII for URLs and forms, Unicode to read.
pub struct NameView {
    pub ascii: String,
    pub display: String,
}

impl NameView {
    fn of(name: &konbit_core::names::Fqdn) -> Self {
        Self {
            ascii: name.to_string(),
            display: name.to_unicode(),
        }
    }

    /// Whether the name is an IDN, so its ASCII form is worth showing.
    pub fn is_idn(&self) -> bool {
        self.ascii != self.display
    }
}

/// One domain as the lists show it.
pub struct DomainRow {
    pub name: NameView,
    pub account: String,
    pub status: StatusView,
    pub last_error: Option<String>,
    pub dnssec: bool,
    pub alias_of: Option<NameView>,
    pub purge_after: Option<i64>,
}

fn domain_row(tr: &Tr, d: &Domain, accounts: &HashMap<AccountId, String>) -> DomainRow {
    DomainRow {
        name: NameView::of(&d.name),
        account: accounts
            .get(&d.account_id)
            .cloned()
            .unwrap_or_else(|| format!("#{}", d.account_id)),
        status: status_view(tr, d.provision.status),
        last_error: failure(d),
        dnssec: d.dnssec,
        alias_of: d.alias_of_name.as_ref().map(NameView::of),
        purge_after: d.purge_after,
    }
}

/// Why the zone failed, when it did.
fn failure(d: &Domain) -> Option<String> {
    if d.provision.status == ObjectStatus::Failed {
        d.provision.last_error.clone().filter(|e| !e.is_empty())
    } else {
        None
    }
}

/// An option of a `<select>`.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The domains of one account an alias may point at.
pub struct AliasGroup {
    pub account: String,
    pub domains: Vec<Choice>,
}

/// What the "add a domain" form holds.
#[derive(Default)]
pub struct NewDomainForm {
    pub account_id: String,
    pub name: String,
    pub alias_of: String,
    pub dnssec: bool,
    pub mail: bool,
}

#[derive(Template)]
#[template(path = "domain/list.html")]
struct ListPage {
    l: Layout,
    page: Page<DomainRow>,
    deleted: Vec<DomainRow>,
    q: String,
    /// The account the list is limited to, `""` for all.
    account: String,
    /// Whether the person sees several accounts, so each row names its own.
    show_account: bool,
    /// The accounts the list can be limited to.
    filter_accounts: Vec<Choice>,
    /// The accounts a domain can be added to.
    add_accounts: Vec<Choice>,
    /// Every account the person belongs to is locked.
    all_locked: bool,
    is_admin: bool,
    alias_groups: Vec<AliasGroup>,
    /// Whether every possible alias target fits in the select; otherwise
    /// the name is typed.
    alias_select: bool,
    form: NewDomainForm,
    errors: FormErrors,
    pager: super::Pager,
}

impl ListPage {
    fn searching(&self) -> bool {
        !self.q.trim().is_empty() || !self.account.is_empty()
    }

    fn restore_label(&self, d: &DomainRow) -> String {
        self.l
            .tr
            .t1("domain-restore-named", "name", d.name.display.clone())
    }

    fn alias_label(&self, d: &NameView) -> String {
        self.l.tr.t1("domain-alias-of", "name", d.display.clone())
    }
}

/// The accounts the person sees, first page (at most 200), live ones.
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

fn account_names(accounts: &[Account]) -> HashMap<AccountId, String> {
    accounts
        .iter()
        .map(|a| (a.id, a.display_name.to_string()))
        .collect()
}

async fn list_page(
    state: &AppState,
    s: &Signed,
    form: NewDomainForm,
    errors: FormErrors,
    status: u16,
) -> Response {
    let actor = &s.session.actor;
    let q = query_value(&s.path, "q").unwrap_or_default();
    let account = query_value(&s.path, "account")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|id| *id > 0);
    let page_no = query_value(&s.path, "page").and_then(|p| p.parse().ok());
    let accounts = match accounts_of(state, s).await {
        Ok(a) => a,
        Err(e) => return s.error(e).into_response(),
    };
    let names = account_names(&accounts);
    let query = |deleted| DomainQuery {
        account: account.map(AccountId),
        deleted,
        search: Some(q.clone()),
    };
    let domains = state.app.domains();
    let live = match domains
        .list(
            actor,
            query(false),
            PageRequest::new(page_no, Some(PER_PAGE)),
        )
        .await
    {
        Ok(p) => p,
        Err(e) => return s.error(e).into_response(),
    };
    let deleted = match domains
        .list(
            actor,
            query(true),
            PageRequest::new(Some(1), Some(PageRequest::MAX_PER_PAGE)),
        )
        .await
    {
        Ok(p) => p.items,
        Err(e) => return s.error(e).into_response(),
    };
    // What an alias may point at: a live domain that is not an alias itself.
    let targets = match domains
        .list(
            actor,
            DomainQuery::default(),
            PageRequest::new(Some(1), Some(PageRequest::MAX_PER_PAGE)),
        )
        .await
    {
        Ok(p) => p,
        Err(e) => return s.error(e).into_response(),
    };
    let is_admin = s.session.person.is_admin;
    let tr = &s.tr;
    let show_account = is_admin || accounts.len() > 1;
    let addable: Vec<&Account> = accounts.iter().filter(|a| is_admin || !a.locked).collect();
    let add_accounts = addable
        .iter()
        .map(|a| Choice {
            value: a.id.to_string(),
            label: a.display_name.to_string(),
            selected: form.account_id == a.id.to_string(),
        })
        .collect();
    let filter_accounts = accounts
        .iter()
        .map(|a| Choice {
            value: a.id.to_string(),
            label: a.display_name.to_string(),
            selected: account == Some(a.id.0),
        })
        .collect();
    let alias_select = u64::try_from(targets.items.len()).unwrap_or(u64::MAX) >= targets.total;
    let mut alias_groups: Vec<AliasGroup> = Vec::new();
    for a in &addable {
        let domains: Vec<Choice> = targets
            .items
            .iter()
            .filter(|d| d.account_id == a.id && d.alias_of.is_none())
            .map(|d| Choice {
                value: d.name.to_string(),
                label: d.display_name(),
                selected: form.alias_of == d.name.as_str(),
            })
            .collect();
        if !domains.is_empty() {
            alias_groups.push(AliasGroup {
                account: a.display_name.to_string(),
                domains,
            });
        }
    }
    let page = Page {
        items: live
            .items
            .iter()
            .map(|d| domain_row(tr, d, &names))
            .collect(),
        page: live.page,
        per_page: live.per_page,
        total: live.total,
    };
    let l = Layout::signed(s, "domains", "domains-title")
        .with_flash(query_value(&s.path, "flash").as_deref());
    let account_param = account.map(|a| a.to_string()).unwrap_or_default();
    render(
        s.tr,
        status,
        &ListPage {
            pager: super::Pager::new(
                tr,
                "/domains",
                &super::encode_query(&[("q", &q), ("account", &account_param)]),
                &page,
            ),
            l,
            page,
            deleted: deleted.iter().map(|d| domain_row(tr, d, &names)).collect(),
            q,
            account: account_param,
            show_account,
            filter_accounts,
            all_locked: !accounts.is_empty() && addable.is_empty(),
            is_admin,
            add_accounts,
            alias_groups,
            alias_select,
            form,
            errors,
        },
    )
}

pub async fn list(State(state): State<AppState>, s: Signed) -> Response {
    let form = NewDomainForm {
        dnssec: true,
        ..NewDomainForm::default()
    };
    list_page(&state, &s, form, FormErrors::default(), 200).await
}

pub async fn create(State(state): State<AppState>, f: CsrfForm) -> Response {
    let form = &f.form;
    let s = &f.signed;
    let kept = NewDomainForm {
        account_id: form.get("account_id").trim().to_owned(),
        name: form.get("name").to_owned(),
        alias_of: form.get("alias_of").trim().to_owned(),
        dnssec: form.checked("dnssec"),
        mail: form.checked("mail"),
    };
    let Ok(account_id) = kept.account_id.parse::<i64>() else {
        let errors =
            FormErrors::from_fields(&s.tr, &[FieldError::new("account_id", Rule::UnknownChoice)]);
        return list_page(&state, s, kept, errors, 422).await;
    };
    let input = CreateDomain {
        account_id,
        name: kept.name.clone(),
        alias_of: Some(kept.alias_of.clone()).filter(|a| !a.is_empty()),
        dnssec: Some(kept.dnssec),
        mail: Some(kept.mail),
    };
    match state.app.domains().create(&s.session.actor, input).await {
        Ok(d) => see_other(&format!("/domains/{}?flash=domain-created", d.name)),
        Err(e) => match outcome(&s.tr, e) {
            FormOutcome::Show(errors, status) => list_page(&state, s, kept, errors, status).await,
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

/// Like [`form_outcome`], plus what a domain form can run into: the
/// account's quota, a locked account, the bad lines of a zone file.
pub(super) fn outcome(tr: &Tr, e: AppError) -> FormOutcome {
    let general = |code: ErrorCode| {
        FormOutcome::Show(
            FormErrors::general(tr.t(&code.message_id())),
            code.http_status(),
        )
    };
    match e {
        AppError::Quota(_) => general(ErrorCode::QuotaExceeded),
        AppError::Denied(Denied::AccountLocked) => general(ErrorCode::AccountLocked),
        AppError::ZoneFile(lines) => FormOutcome::Show(
            FormErrors {
                items: lines
                    .iter()
                    .map(|z| ("zone".to_owned(), line_message(tr, z.line, &z.error)))
                    .collect(),
                general: None,
            },
            ErrorCode::InvalidInput.http_status(),
        ),
        other => form_outcome(tr, other),
    }
}

/// Errors of a form whose fields are not on the page (DNSSEC, delete…):
/// every message goes to the summary at the top.
pub(super) fn flatten(errors: FormErrors) -> FormErrors {
    let mut messages: Vec<String> = errors.general.into_iter().collect();
    messages.extend(errors.items.into_iter().map(|(_, m)| m));
    if messages.is_empty() {
        FormErrors::default()
    } else {
        FormErrors::general(messages.join(" "))
    }
}

/// One DS record, as the registrar asks for it.
pub struct DsView {
    pub key_tag: u16,
    pub algorithm: String,
    pub digest_type: String,
    pub digest: String,
    /// The whole record, for registrars that take it in one piece.
    pub record: String,
}

fn ds_view(ds: &DsRecord) -> DsView {
    let algorithm = match ds.algorithm {
        13 => format!("{} (ECDSAP256SHA256)", ds.algorithm),
        other => other.to_string(),
    };
    let digest_type = match ds.digest_type {
        2 => format!("{} (SHA-256)", ds.digest_type),
        4 => format!("{} (SHA-384)", ds.digest_type),
        other => other.to_string(),
    };
    DsView {
        key_tag: ds.key_tag,
        algorithm,
        digest_type,
        digest: ds.digest_hex.clone(),
        record: ds.presentation(),
    }
}

/// One record as the table shows it.
pub struct RecordRow {
    pub id: i64,
    /// Relative to the zone, `@` for the apex.
    pub name: String,
    pub rtype: String,
    pub ttl: i64,
    pub value: String,
    pub status: StatusView,
}

fn record_row(tr: &Tr, r: &RecordView) -> RecordRow {
    RecordRow {
        id: r.row.id.0,
        name: relative_name(&r.row.name),
        rtype: r.row.rtype.clone(),
        ttl: r.row.ttl,
        value: r.row.value.clone(),
        status: status_view(tr, r.status),
    }
}

/// A record's name as people write it in a zone: `@` for the apex.
pub(super) fn relative_name(name: &str) -> String {
    if name.is_empty() {
        "@".to_owned()
    } else {
        name.to_owned()
    }
}

/// What a record form holds.
#[derive(Default)]
pub struct RecordForm {
    pub name: String,
    pub rtype: String,
    pub ttl: String,
    pub value: String,
}

impl RecordForm {
    pub(super) fn from_form(form: &FormData) -> Self {
        Self {
            name: form.get("name").to_owned(),
            rtype: form.get("type").trim().to_owned(),
            ttl: form.get("ttl").trim().to_owned(),
            value: form.get("value").to_owned(),
        }
    }
}

/// The record types to choose from, each with a word on its value.
pub struct TypeChoice {
    pub value: &'static str,
    pub selected: bool,
    /// What the value of this type is.
    pub help: Option<String>,
    /// A value of this type, as it would be typed.
    pub example: Option<&'static str>,
}

pub(super) fn type_choices(tr: &Tr, selected: &str) -> Vec<TypeChoice> {
    RecordType::ALL
        .iter()
        .map(|t| {
            let value = t.as_str();
            let id = format!("record-help-{}", value.to_ascii_lowercase());
            TypeChoice {
                value,
                selected: value.eq_ignore_ascii_case(selected),
                help: tr.has(&id).then(|| tr.t(&id)),
                example: example_value(value),
            }
        })
        .collect()
}

/// A value of each record type, the same in every language (documentation
/// addresses and names, RFC 5737, 3849 and 2606).
fn example_value(rtype: &str) -> Option<&'static str> {
    Some(match rtype {
        "A" => "192.0.2.10",
        "AAAA" => "2001:db8::10",
        "CNAME" => "www.example.org",
        "MX" => "10 mail.example.org",
        "TXT" => "v=spf1 mx -all",
        "SRV" => "10 5 5060 sip.example.org",
        "CAA" => "0 issue \"letsencrypt.org\"",
        "NS" => "ns1.other.example",
        _ => return None,
    })
}

/// The head of a domain's pages: its name, its state, what it is.
pub struct DomainHead {
    pub name: NameView,
    pub status: StatusView,
    pub last_error: Option<String>,
    pub dnssec: bool,
    pub mail: bool,
    pub alias_of: Option<NameView>,
    pub deleted: bool,
    pub purge_after: Option<i64>,
}

impl DomainHead {
    pub(super) fn of(tr: &Tr, d: &Domain) -> Self {
        Self {
            name: NameView::of(&d.name),
            status: status_view(tr, d.provision.status),
            last_error: failure(d),
            dnssec: d.dnssec,
            mail: d.mail,
            alias_of: d.alias_of_name.as_ref().map(NameView::of),
            deleted: d.is_deleted(),
            purge_after: d.purge_after,
        }
    }

    /// Whether its records can be changed here: live, and not an alias.
    pub fn editable(&self) -> bool {
        !self.deleted && self.alias_of.is_none()
    }
}

#[derive(Template)]
#[template(path = "domain/show.html")]
struct ShowPage {
    l: Layout,
    d: DomainHead,
    records: Vec<RecordRow>,
    ds: Vec<DsView>,
    nameservers: Vec<String>,
    /// Errors of the add-record form (shown next to its fields) …
    record_errors: FormErrors,
    /// … and of the page's other forms (shown at the top).
    errors: FormErrors,
    record: RecordForm,
    types: Vec<TypeChoice>,
    /// The domain's mail, unless it is deleted.
    mail: Option<super::mail::DomainMail>,
}

impl ShowPage {
    fn t_name(&self, id: &str) -> String {
        self.l.tr.t1(id, "name", self.d.name.display.clone())
    }

    fn purge_notice(&self, ts: &i64) -> String {
        self.l
            .tr
            .t1("domain-deleted-notice", "date", self.l.date(ts))
    }

    fn alias_notice(&self, target: &NameView) -> String {
        self.l
            .tr
            .t1("domain-alias-notice", "name", target.display.clone())
    }

    /// "www (A)": which record a button acts on, for screen readers.
    fn record_which(&self, r: &RecordRow) -> String {
        self.l.tr.t2(
            "record-which",
            ("name", r.name.clone()),
            ("type", r.rtype.clone()),
        )
    }
}

pub(super) async fn show_page(
    state: &AppState,
    s: &Signed,
    name: &str,
    errors: FormErrors,
    record_errors: FormErrors,
    record: RecordForm,
    status: u16,
) -> Response {
    let detail: DomainDetail = match state.app.domains().get(&s.session.actor, name).await {
        Ok(d) => d,
        Err(e) => return s.error(e).into_response(),
    };
    let tr = &s.tr;
    let d = DomainHead::of(tr, &detail.domain);
    let mut l = Layout::signed(s, "domains", "domains-title")
        .with_flash(query_value(&s.path, "flash").as_deref());
    l.title = d.name.display.clone();
    let types = type_choices(tr, &record.rtype);
    let mail = if d.deleted {
        None
    } else {
        match super::mail::domain_mail(state, s, name).await {
            Ok(m) => Some(m),
            Err(e) => return s.error(e).into_response(),
        }
    };
    render(
        s.tr,
        status,
        &ShowPage {
            l,
            records: detail.records.iter().map(|r| record_row(tr, r)).collect(),
            ds: detail.ds.iter().map(ds_view).collect(),
            nameservers: detail.nameservers,
            d,
            record_errors,
            errors,
            record,
            types,
            mail,
        },
    )
}

pub async fn show(State(state): State<AppState>, s: Signed, Path(name): Path<String>) -> Response {
    show_page(
        &state,
        &s,
        &name,
        FormErrors::default(),
        FormErrors::default(),
        RecordForm::default(),
        200,
    )
    .await
}

/// Runs an action of the domain page, then goes to `to` with a
/// confirmation, or shows the page again with what went wrong.
pub(super) async fn act<Fut>(
    state: &AppState,
    f: &CsrfForm,
    name: &str,
    to: String,
    action: Fut,
) -> Response
where
    Fut: std::future::Future<Output = Result<(), AppError>>,
{
    match action.await {
        Ok(()) => see_other(&to),
        Err(e) => failed(state, f, name, e).await,
    }
}

/// The domain page again, with why an action of it failed at the top.
pub(super) async fn failed(state: &AppState, f: &CsrfForm, name: &str, e: AppError) -> Response {
    match outcome(&f.signed.tr, e) {
        FormOutcome::Show(errors, status) => {
            show_page(
                state,
                &f.signed,
                name,
                flatten(errors),
                FormErrors::default(),
                RecordForm::default(),
                status,
            )
            .await
        }
        FormOutcome::Page(p) => p.into_response(),
    }
}

/// Turns DNSSEC on or off. Off needs a ticked box: the DS records must
/// leave the registrar first, or the domain stops resolving.
pub async fn set_dnssec(
    State(state): State<AppState>,
    Path(name): Path<String>,
    f: CsrfForm,
) -> Response {
    let on = match f.form.get("dnssec") {
        "on" => true,
        "off" => false,
        _ => {
            let errors = FormErrors::from_fields(
                &f.signed.tr,
                &[FieldError::new("dnssec", Rule::UnknownChoice)],
            );
            return show_page(
                &state,
                &f.signed,
                &name,
                flatten(errors),
                FormErrors::default(),
                RecordForm::default(),
                422,
            )
            .await;
        }
    };
    if !on && !f.form.checked("confirm") {
        let errors = FormErrors::general(f.signed.tr.t("dnssec-off-confirm-needed"));
        return show_page(
            &state,
            &f.signed,
            &name,
            errors,
            FormErrors::default(),
            RecordForm::default(),
            422,
        )
        .await;
    }
    let flash = if on { "dnssec-on" } else { "dnssec-off" };
    let actor = f.signed.session.actor.clone();
    let app = state.app.clone();
    let to = format!("/domains/{}?flash={flash}", path_name(&name));
    act(&state, &f, &name, to, async {
        app.domains()
            .update(&actor, &name, UpdateDomain { dnssec: Some(on) })
            .await
            .map(drop)
    })
    .await
}

pub async fn delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
    f: CsrfForm,
) -> Response {
    if !f.form.checked("confirm") {
        let errors = FormErrors::general(f.signed.tr.t("domain-delete-confirm-needed"));
        return show_page(
            &state,
            &f.signed,
            &name,
            errors,
            FormErrors::default(),
            RecordForm::default(),
            422,
        )
        .await;
    }
    let tr = f.signed.tr;
    match state
        .app
        .domains()
        .delete(&f.signed.session.actor, &name)
        .await
    {
        Ok(_) => see_other("/domains?flash=domain-deleted"),
        // Its aliases go first: name them.
        Err(AppError::Conflict {
            code: ErrorCode::DomainInUse,
            detail,
        }) => {
            let errors = FormErrors::general(tr.t1("domain-delete-aliases-first", "names", detail));
            show_page(
                &state,
                &f.signed,
                &name,
                errors,
                FormErrors::default(),
                RecordForm::default(),
                ErrorCode::DomainInUse.http_status(),
            )
            .await
        }
        Err(e) => failed(&state, &f, &name, e).await,
    }
}

pub async fn restore(
    State(state): State<AppState>,
    Path(name): Path<String>,
    f: CsrfForm,
) -> Response {
    let actor = f.signed.session.actor.clone();
    let app = state.app.clone();
    let to = format!("/domains/{}?flash=domain-restored", path_name(&name));
    act(&state, &f, &name, to, async {
        app.domains().restore(&actor, &name).await.map(drop)
    })
    .await
}

/// The domain name of a URL, as it goes back into a URL: the ASCII form
/// when it is a valid name, or percent-encoded as it came.
pub(super) fn path_name(name: &str) -> String {
    match konbit_core::names::Fqdn::parse("name", name, 1) {
        Ok(f) => f.to_string(),
        Err(_) => url::form_urlencoded::byte_serialize(name.as_bytes()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use konbit_core::model::Locale;

    #[test]
    fn every_record_type_has_help_and_an_example() {
        for locale in Locale::ALL {
            let tr = Tr::new(locale);
            let choices = type_choices(&tr, "aaaa");
            assert_eq!(choices.len(), RecordType::ALL.len());
            for c in &choices {
                assert!(c.help.is_some(), "{} lacks help in {locale:?}", c.value);
                assert!(c.example.is_some(), "{} lacks an example", c.value);
                assert_eq!(c.selected, c.value == "AAAA");
            }
        }
    }

    #[test]
    fn the_ttl_hint_names_the_default() {
        // `record-hint-ttl` says "one hour".
        assert_eq!(konbit_core::dns::TTL_DEFAULT, 3600);
    }

    #[test]
    fn names_in_urls_are_ascii() {
        assert_eq!(path_name("Café.Example"), "xn--caf-dma.example");
        assert_eq!(path_name("radio.example"), "radio.example");
        assert_eq!(path_name("a b/c"), "a+b%2Fc");
        assert_eq!(relative_name(""), "@");
        assert_eq!(relative_name("www"), "www");
    }

    #[test]
    fn errors_of_other_forms_go_to_the_top() {
        let tr = Tr::new(Locale::En);
        let errors = FormErrors::from_fields(
            &tr,
            &[
                FieldError::new("name", Rule::Required),
                FieldError::new("value", Rule::Required),
            ],
        );
        let flat = flatten(errors);
        assert!(flat.items.is_empty());
        let general = flat.general.unwrap_or_default();
        assert!(
            general.contains("Name") && general.contains("Value"),
            "{general}"
        );
        assert!(!flatten(FormErrors::default()).any());
    }

    #[test]
    fn quota_and_zone_file_errors_stay_on_the_form() {
        let tr = Tr::new(Locale::Fr);
        let zone = AppError::ZoneFile(vec![konbit_core::dns::ZoneFileError {
            line: 3,
            error: FieldError::new("value", Rule::Ipv4Format),
        }]);
        match outcome(&tr, zone) {
            FormOutcome::Show(errors, status) => {
                assert_eq!(status, 422);
                assert_eq!(errors.items.len(), 1);
                assert!(
                    errors.items[0].1.starts_with("Ligne 3"),
                    "{}",
                    errors.items[0].1
                );
            }
            FormOutcome::Page(_) => panic!("a zone file error is shown on the form"),
        }
        let locked = AppError::Denied(Denied::AccountLocked);
        assert!(matches!(outcome(&tr, locked), FormOutcome::Show(_, 423)));
    }
}
