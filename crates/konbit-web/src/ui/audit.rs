//! The audit log in the panel: `/audit` (filters, pages) and `/audit.csv`.
//! Entries are shown in plain words: the action, who, when, from where, and
//! what changed as "field: old → new".

use super::{FormErrors, Layout, query_value, render};
use crate::AppState;
use crate::context::Signed;
use crate::i18n::Tr;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use konbit_app::AppError;
use konbit_app::audit::AuditQuery;
use konbit_core::audit::{OBJECT_KINDS, changes};
use konbit_core::model::Account;
use konbit_core::page::{Page, PageRequest};
use konbit_core::{FieldError, Rule};
use konbit_store::{AccountFilter, AuditEntry};

/// One "field: old → new" line.
pub struct ChangeView {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// An entry as a person reads it.
pub struct EntryView {
    pub at: String,
    pub action: String,
    /// "by ada@coop.test (panel)".
    pub by: String,
    /// "address 192.0.2.1".
    pub from_ip: Option<String>,
    pub object: String,
    pub account_id: Option<i64>,
    pub changes: Vec<ChangeView>,
}

fn word(tr: &Tr, id: &str, fallback: &str) -> String {
    if tr.has(id) {
        tr.t(id)
    } else {
        fallback.to_owned()
    }
}

fn value(tr: &Tr, field: &str, v: Option<String>) -> Option<String> {
    let v = v?;
    let leaf = field.rsplit('.').next().unwrap_or(field);
    if (leaf.ends_with("_at") || leaf == "purge_after")
        && let Ok(ts) = v.parse::<i64>()
    {
        return Some(tr.datetime(ts));
    }
    Some(match v.as_str() {
        "true" => tr.t("audit-value-yes"),
        "false" => tr.t("audit-value-no"),
        "owner" | "member" => tr.t(&format!("role-{v}")),
        _ => v,
    })
}

pub fn entry_view(tr: &Tr, e: &AuditEntry) -> EntryView {
    let action = word(
        tr,
        &format!("audit-{}", e.action.replace('_', "-")),
        &e.action,
    );
    let kind = word(
        tr,
        &format!("audit-kind-{}", e.object_kind.replace('_', "-")),
        &e.object_kind,
    );
    let is_its_account =
        e.object_kind == "account" && e.account_id.is_some_and(|a| e.object_id == a.to_string());
    let object = if is_its_account {
        // The account's own link follows; saying it twice helps nobody.
        String::new()
    } else if e.object_id.is_empty() {
        kind
    } else {
        format!("{kind} #{}", e.object_id)
    };
    let changes = changes(e.old_value.as_deref(), e.new_value.as_deref())
        .into_iter()
        .map(|c| ChangeView {
            field: word(
                tr,
                &format!("audit-field-{}", c.field.replace(['_', '.'], "-")),
                &c.field,
            ),
            old: value(tr, &c.field, c.old),
            new: value(tr, &c.field, c.new),
        })
        .collect();
    EntryView {
        at: tr.datetime(e.at),
        action,
        by: tr.t2(
            "audit-by",
            ("actor", e.actor_label.as_str()),
            (
                "source",
                word(tr, &format!("source-{}", e.source), &e.source),
            ),
        ),
        from_ip: e.ip.as_deref().map(|ip| tr.t1("audit-from-ip", "ip", ip)),
        object,
        account_id: e.account_id,
        changes,
    }
}

#[derive(Template)]
#[template(path = "audit/list.html")]
struct ListPage {
    l: Layout,
    entries: Vec<EntryView>,
    page: Page<()>,
    errors: FormErrors,
    accounts: Vec<Account>,
    kinds: Vec<(&'static str, String)>,
    /// The form's values, as typed.
    f: FilterForm,
    pager: super::Pager,
}

#[derive(Default, Clone)]
struct FilterForm {
    account_id: String,
    kind: String,
    object_id: String,
    actor: String,
    from: String,
    to: String,
}

impl FilterForm {
    fn read(path: &str) -> Self {
        let get = |k: &str| query_value(path, k).unwrap_or_default().trim().to_owned();
        Self {
            account_id: get("account_id"),
            kind: get("kind"),
            object_id: get("object_id"),
            actor: get("actor"),
            from: get("from"),
            to: get("to"),
        }
    }

    fn query(&self) -> Result<AuditQuery, AppError> {
        let opt = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
        let account_id = match opt(&self.account_id) {
            None => None,
            Some(s) => Some(s.parse::<i64>().map_err(|_| {
                AppError::Invalid(vec![FieldError::new("account_id", Rule::UnknownChoice)])
            })?),
        };
        Ok(AuditQuery {
            account_id,
            kind: opt(&self.kind),
            object_id: opt(&self.object_id),
            actor: opt(&self.actor),
            actor_id: None,
            from: opt(&self.from),
            to: opt(&self.to),
        })
    }

    /// The filters as a query string (without `page`), for links.
    fn encoded(&self) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("account_id", &self.account_id),
            ("kind", &self.kind),
            ("object_id", &self.object_id),
            ("actor", &self.actor),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !v.is_empty() {
                s.append_pair(k, v);
            }
        }
        s.finish()
    }
}

impl ListPage {
    fn csv_link(&self) -> String {
        let q = self.f.encoded();
        if q.is_empty() {
            "/audit.csv".into()
        } else {
            format!("/audit.csv?{q}")
        }
    }
    fn total(&self) -> String {
        self.l.tr.t1("audit-total", "count", self.page.total)
    }
    fn selected_account(&self, a: &Account) -> bool {
        self.f.account_id == a.id.to_string()
    }
}

pub async fn list(State(state): State<AppState>, s: Signed) -> Response {
    let actor = &s.session.actor;
    let f = FilterForm::read(&s.path);
    let page_no = query_value(&s.path, "page").and_then(|p| p.parse().ok());
    let request = PageRequest::new(page_no, Some(50));
    let result = match f.query() {
        Ok(q) => state.app.audit().list(actor, &q, request).await,
        Err(e) => Err(e),
    };
    let (page, errors, status) = match result {
        Ok(p) => (p, FormErrors::default(), 200),
        Err(AppError::Invalid(fields)) => (
            Page {
                items: Vec::new(),
                page: 1,
                per_page: request.per_page,
                total: 0,
            },
            FormErrors::from_fields(&s.tr, &fields),
            422,
        ),
        Err(e) => return s.error(e).into_response(),
    };
    let accounts = state
        .app
        .accounts()
        .list(
            actor,
            AccountFilter::default(),
            PageRequest::new(Some(1), Some(200)),
        )
        .await
        .map(|p| p.items)
        .unwrap_or_default();
    let kinds = OBJECT_KINDS
        .iter()
        .map(|k| (*k, s.tr.t(&format!("audit-kind-{}", k.replace('_', "-")))))
        .collect();
    let entries = page.items.iter().map(|e| entry_view(&s.tr, e)).collect();
    let page = Page {
        items: Vec::new(),
        page: page.page,
        per_page: page.per_page,
        total: page.total,
    };
    render(
        s.tr,
        status,
        &ListPage {
            l: Layout::signed(&s, "audit", "audit-title"),
            entries,
            pager: super::Pager::new(&s.tr, "/audit", &f.encoded(), &page),
            page,
            errors,
            accounts,
            kinds,
            f,
        },
    )
}

pub async fn export(State(state): State<AppState>, s: Signed) -> Response {
    let f = FilterForm::read(&s.path);
    let result = match f.query() {
        Ok(q) => state.app.audit().export(&s.session.actor, &q).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(entries) => crate::api::audit::csv_response(&entries),
        Err(e) => s.error(e).into_response(),
    }
}
