//! Zone files: import in two steps (a preview of what changes, then the
//! same text applied as one change) and export as a download.
//!
//! The file is pasted into a text area: the panel's forms are URL-encoded,
//! so there is no file upload.

use super::{DomainHead, outcome, path_name};
use crate::AppState;
use crate::context::Signed;
use crate::form::CsrfForm;
use crate::ui::{FormErrors, FormOutcome, Layout, render, see_other};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use konbit_app::domain::ImportPreview;

/// A line of the file that the import skips, and why.
pub struct IgnoredLine {
    pub text: String,
}

/// What applying the file would do, ready to show.
pub struct PreviewView {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub unchanged: String,
    pub ignored: Vec<IgnoredLine>,
    /// Whether applying changes anything at all.
    pub changes: bool,
}

fn preview_view(l: &Layout, p: &ImportPreview) -> PreviewView {
    PreviewView {
        added: p.added.clone(),
        removed: p.removed.clone(),
        unchanged: l.tr.t1("import-unchanged", "count", p.unchanged),
        ignored: p
            .ignored
            .iter()
            .map(|(line, rtype)| IgnoredLine {
                text: l.tr.t2(
                    "import-ignored-line",
                    ("line", *line),
                    ("type", rtype.clone()),
                ),
            })
            .collect(),
        changes: !p.added.is_empty() || !p.removed.is_empty(),
    }
}

#[derive(Template)]
#[template(path = "domain/import.html")]
struct ImportPage {
    l: Layout,
    d: DomainHead,
    /// The file as pasted.
    text: String,
    errors: FormErrors,
    preview: Option<PreviewView>,
}

impl ImportPage {
    /// Every error about the file, each bad line on its own.
    fn zone_errors(&self) -> Vec<&str> {
        self.errors.items.iter().map(|(_, m)| m.as_str()).collect()
    }

    fn alias_notice(&self, target: &super::NameView) -> String {
        self.l
            .tr
            .t1("domain-alias-notice", "name", target.display.clone())
    }

    fn added_heading(&self, p: &PreviewView) -> String {
        self.l.tr.t1("import-added", "count", p.added.len())
    }

    fn removed_heading(&self, p: &PreviewView) -> String {
        self.l.tr.t1("import-removed", "count", p.removed.len())
    }

    fn ignored_heading(&self, p: &PreviewView) -> String {
        self.l.tr.t1("import-ignored", "count", p.ignored.len())
    }
}

async fn import_page(
    state: &AppState,
    s: &Signed,
    name: &str,
    text: String,
    errors: FormErrors,
    preview: Option<&ImportPreview>,
    status: u16,
) -> Response {
    let detail = match state.app.domains().get(&s.session.actor, name).await {
        Ok(d) => d,
        Err(e) => return s.error(e).into_response(),
    };
    let d = DomainHead::of(&s.tr, &detail.domain);
    let mut l = Layout::signed(s, "domains", "import-title");
    l.title = l.tr.t1("import-title", "name", d.name.display.clone());
    let preview = preview.map(|p| preview_view(&l, p));
    // Every message is about the file: they all go under the text area.
    let errors = FormErrors {
        items: errors
            .items
            .into_iter()
            .map(|(_, m)| ("zone".to_owned(), m))
            .collect(),
        general: errors.general,
    };
    render(
        s.tr,
        status,
        &ImportPage {
            l,
            d,
            text,
            errors,
            preview,
        },
    )
}

pub async fn import_form(
    State(state): State<AppState>,
    s: Signed,
    Path(name): Path<String>,
) -> Response {
    import_page(
        &state,
        &s,
        &name,
        String::new(),
        FormErrors::default(),
        None,
        200,
    )
    .await
}

/// `step=preview` shows what would change; `step=apply` applies the same
/// text. Either way a bad file changes nothing and every bad line is shown.
pub async fn import_post(
    State(state): State<AppState>,
    Path(name): Path<String>,
    f: CsrfForm,
) -> Response {
    let s = &f.signed;
    // An uploaded file wins over the text area. Browsers send text areas
    // with CRLF line ends.
    let uploaded = f.form.get("zone_file");
    let raw = if uploaded.trim().is_empty() {
        f.form.get("zone")
    } else {
        uploaded
    };
    let text = raw.replace("\r\n", "\n");
    let domains = state.app.domains();
    let actor = &s.session.actor;
    let result = if f.form.get("step") == "apply" {
        match domains.import_apply(actor, &name, &text).await {
            Ok(summary) => {
                let flash = if summary.added == 0 && summary.removed == 0 {
                    "zone-import-unchanged"
                } else {
                    "zone-imported"
                };
                return see_other(&format!("/domains/{}?flash={flash}", path_name(&name)));
            }
            Err(e) => Err(e),
        }
    } else {
        domains.import_preview(actor, &name, &text).await
    };
    match result {
        Ok(preview) => {
            import_page(
                &state,
                s,
                &name,
                text,
                FormErrors::default(),
                Some(&preview),
                200,
            )
            .await
        }
        Err(e) => match outcome(&s.tr, e) {
            FormOutcome::Show(errors, status) => {
                import_page(&state, s, &name, text, errors, None, status).await
            }
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

/// The zone as a BIND zone file, downloaded as `<name>.zone`.
pub async fn export(
    State(state): State<AppState>,
    s: Signed,
    Path(name): Path<String>,
) -> Response {
    let text = match state.app.domains().export(&s.session.actor, &name).await {
        Ok(t) => t,
        Err(e) => return s.error(e).into_response(),
    };
    // The service found the domain, so the name is a valid ASCII one.
    let disposition = format!("attachment; filename=\"{}.zone\"", path_name(&name));
    let mut res = ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response();
    match HeaderValue::from_str(&disposition) {
        Ok(v) => {
            res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
        }
        Err(_) => {
            res.headers_mut().insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"zone.txt\""),
            );
        }
    }
    res
}
