//! A site's page: its state, its certificate, where its files go, the
//! form that changes it, and turning it off, deleting and restoring it.

use super::{
    CertificateView, KindChoice, SiteForm, SiteRow, kind_choices, port_hint, site_outcome,
};
use crate::AppState;
use crate::context::Signed;
use crate::error::PanelError;
use crate::form::CsrfForm;
use crate::i18n::Tr;
use crate::ui::domain::flatten;
use crate::ui::{FormErrors, FormOutcome, Layout, parse_id, query_value, render, see_other};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use konbit_app::AppError;
use konbit_app::site::SiteView;
use konbit_core::model::Site;
use konbit_core::web::SiteKind;
use std::collections::HashMap;

/// Which part of the page errors belong to, so they show above it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The top of the page (buttons without fields).
    Top,
    Edit,
}

/// One line of the site's description: a term and what it is.
pub struct Detail {
    pub term: String,
    pub value: String,
    /// Whether the value is a name, a path or an address (shown as code).
    pub code: bool,
}

fn yes_no(tr: &Tr, on: bool) -> String {
    tr.t(if on { "site-yes" } else { "site-no" })
}

fn details(tr: &Tr, site: &Site) -> Vec<Detail> {
    let mut out = vec![Detail {
        term: tr.t("site-detail-kind"),
        value: super::kind_label(tr, site.kind.name()),
        code: false,
    }];
    let mut code = |term: &str, value: String| {
        out.push(Detail {
            term: tr.t(term),
            value,
            code: true,
        });
    };
    match &site.kind {
        SiteKind::Static { root } | SiteKind::Php { root } => {
            code("field-root", root.to_string());
        }
        SiteKind::Redirect {
            target,
            permanent,
            keep_path,
        } => {
            code("field-redirect-to", target.to_string());
            out.push(Detail {
                term: tr.t("site-detail-redirect-kind"),
                value: tr.t(if *permanent {
                    "site-redirect-permanent"
                } else {
                    "site-redirect-temporary"
                }),
                code: false,
            });
            out.push(Detail {
                term: tr.t("site-redirect-keep-path"),
                value: yes_no(tr, *keep_path),
                code: false,
            });
        }
        SiteKind::Proxy { port } => {
            code(
                "site-detail-proxy",
                format!("http://127.0.0.1:{}", port.get()),
            );
        }
    }
    for (term, on) in [
        ("field-certificate", site.https.certificate),
        ("field-force-https", site.https.force_https),
        ("field-hsts", site.https.hsts),
    ] {
        out.push(Detail {
            term: tr.t(term),
            value: yes_no(tr, on),
            code: false,
        });
    }
    out
}

#[derive(Template)]
#[template(path = "site/show.html")]
struct ShowPage {
    l: Layout,
    site: SiteRow,
    details: Vec<Detail>,
    /// The directory served, relative to the account's SFTP space.
    root: Option<String>,
    form: SiteForm,
    errors: FormErrors,
    part: Part,
    kinds: Vec<KindChoice>,
    port_hint: String,
    www_label: String,
    root_hint: String,
    /// Whether certificates are issued on this server.
    acme: bool,
    /// Served, asking for a certificate, and certificates are issued here:
    /// one can be ordered again.
    renewable: bool,
    /// Until when a site deleted now could be restored.
    grace_until: i64,
}

impl ShowPage {
    fn errors_on(&self, part: Part) -> bool {
        self.part == part && self.errors.any()
    }

    fn t_host(&self, id: &str) -> String {
        self.l.tr.t1(id, "host", self.site.host.clone())
    }

    fn purge_notice(&self, ts: &i64) -> String {
        self.l.tr.t1("site-deleted-notice", "date", self.l.date(ts))
    }

    fn delete_hint(&self) -> String {
        self.l
            .tr
            .t1("site-delete-hint", "date", self.l.date(&self.grace_until))
    }

    fn files_where(&self, root: &str) -> String {
        self.l.tr.t1("site-files-where", "root", root.to_owned())
    }

    fn next_attempt(&self, ts: &i64) -> String {
        self.l
            .tr
            .t1("certificate-next-attempt", "date", self.l.date(ts))
    }

    fn cert(&self) -> Option<&CertificateView> {
        self.site.certificate.as_ref()
    }
}

async fn page(
    state: &AppState,
    s: &Signed,
    raw_id: &str,
    typed: Option<SiteForm>,
    errors: FormErrors,
    part: Part,
    status: u16,
) -> Response {
    let id = match parse_id(s.tr, raw_id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let view: SiteView = match state.app.sites().get(&s.session.actor, id).await {
        Ok(v) => v,
        Err(e) => return s.error(e).into_response(),
    };
    let tr = &s.tr;
    let site = &view.site;
    let form = typed.unwrap_or_else(|| SiteForm::of_site(site));
    let mut l = Layout::signed(s, "sites", "sites-title")
        .with_flash(query_value(&s.path, "flash").as_deref());
    l.title = view.display_host.clone();
    render(
        s.tr,
        status,
        &ShowPage {
            details: details(tr, site),
            root: site.kind.root().map(ToString::to_string),
            kinds: kind_choices(tr, &form.kind),
            port_hint: port_hint(state, tr),
            www_label: tr.t1("site-www-named", "host", view.display_host.clone()),
            root_hint: tr.t1(
                "site-hint-root",
                "root",
                konbit_core::web::DocRoot::for_host(&site.host).to_string(),
            ),
            acme: state.app.config.sites.acme,
            // Without ACME here, an order would wait for nothing.
            renewable: site.is_served() && site.https.certificate && state.app.config.sites.acme,
            grace_until: konbit_app::now().saturating_add(state.app.config.deletion_grace_secs),
            site: SiteRow::of(tr, &view, &HashMap::new()),
            l,
            form,
            errors,
            part,
        },
    )
}

/// GET /sites/{id}
pub async fn show(State(state): State<AppState>, s: Signed, Path(id): Path<String>) -> Response {
    page(&state, &s, &id, None, FormErrors::default(), Part::Top, 200).await
}

/// Goes back to the site's page with a confirmation, or shows the page
/// again with what went wrong above the form that failed.
async fn done<T>(
    state: &AppState,
    f: &CsrfForm,
    id: &str,
    result: Result<T, AppError>,
    flash: &str,
    part: Part,
    typed: Option<SiteForm>,
) -> Response {
    match result {
        Ok(_) => see_other(&format!("/sites/{id}?flash={flash}")),
        Err(e) => match site_outcome(&f.signed.tr, e) {
            FormOutcome::Show(errors, status) => {
                let errors = if part == Part::Top {
                    flatten(errors)
                } else {
                    errors
                };
                page(state, &f.signed, id, typed, errors, part, status).await
            }
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

/// The site's number from the URL (anything else is not found).
fn site_id(f: &CsrfForm, raw: &str) -> Result<i64, PanelError> {
    parse_id(f.signed.tr, raw)
}

/// POST /sites/{id}: changes what the site serves (its name stays).
pub async fn update(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    let id = match site_id(&f, &raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let actor = &f.signed.session.actor;
    // The name the www box adds to is the site's own.
    let host = match state.app.sites().get(actor, id).await {
        Ok(v) => v.site.host.to_string(),
        Err(e) => return f.signed.error(e).into_response(),
    };
    let form = SiteForm::from_form(&f.form);
    let result = state.app.sites().update(actor, id, form.input(&host)).await;
    done(
        &state,
        &f,
        &id.to_string(),
        result,
        "site-saved",
        Part::Edit,
        Some(form),
    )
    .await
}

async fn set_enabled(state: AppState, raw: String, f: CsrfForm, enabled: bool) -> Response {
    let id = match site_id(&f, &raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let result = state
        .app
        .sites()
        .set_enabled(&f.signed.session.actor, id, enabled)
        .await;
    let flash = if enabled {
        "site-enabled"
    } else {
        "site-disabled"
    };
    done(&state, &f, &id.to_string(), result, flash, Part::Top, None).await
}

/// POST /sites/{id}/enable
pub async fn enable(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    set_enabled(state, raw, f, true).await
}

/// POST /sites/{id}/disable
pub async fn disable(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    set_enabled(state, raw, f, false).await
}

/// POST /sites/{id}/delete: confirmed by a ticked box; the site can be
/// restored during the grace period.
pub async fn delete(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    let id = match site_id(&f, &raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    if !f.form.checked("confirm") {
        let errors = FormErrors::general(f.signed.tr.t("site-delete-confirm-needed"));
        return page(&state, &f.signed, &raw, None, errors, Part::Top, 422).await;
    }
    match state.app.sites().delete(&f.signed.session.actor, id).await {
        Ok(()) => see_other("/sites?flash=site-deleted"),
        Err(e) => done::<()>(&state, &f, &id.to_string(), Err(e), "", Part::Top, None).await,
    }
}

/// POST /sites/{id}/restore
pub async fn restore(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    let id = match site_id(&f, &raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let result = state.app.sites().restore(&f.signed.session.actor, id).await;
    done(
        &state,
        &f,
        &id.to_string(),
        result,
        "site-restored",
        Part::Top,
        None,
    )
    .await
}

/// POST /sites/{id}/certificate/renew: orders the certificate again now.
pub async fn renew_certificate(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    let id = match site_id(&f, &raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let result = state
        .app
        .sites()
        .renew_certificate(&f.signed.session.actor, id)
        .await;
    done(
        &state,
        &f,
        &id.to_string(),
        result,
        "certificate-renewal-requested",
        Part::Top,
        None,
    )
    .await
}
