//! A site's logs: the last lines of nginx's access or error log on a page,
//! and the log itself as a download.

use crate::AppState;
use crate::context::Signed;
use crate::ui::{Layout, parse_id, query_value, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use konbit_app::AppError;
use konbit_app::site::LogKind;
use konbit_core::ErrorCode;

/// Lines shown when the address does not say.
const DEFAULT_LINES: usize = 100;
/// The most lines the page shows (the service's own bound).
const MAX_LINES: usize = 2000;
/// A download holds at most the end of the log, this long: enough for
/// weeks of a busy site, and it stays a reasonable file to open.
pub const DOWNLOAD_MAX_BYTES: u64 = 64 * 1024 * 1024;

fn kind_name(kind: LogKind) -> &'static str {
    match kind {
        LogKind::Access => "access",
        LogKind::Error => "error",
    }
}

/// One of the two logs, as a tab of the page.
pub struct LogTab {
    pub value: &'static str,
    pub label: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "site/logs.html")]
struct LogsPage {
    l: Layout,
    id: i64,
    host: String,
    log: &'static str,
    file: &'static str,
    tabs: Vec<LogTab>,
    lines: usize,
    /// The last lines, `None` when logs are not set up on this server.
    text: Option<String>,
}

impl LogsPage {
    fn heading(&self) -> String {
        self.l.tr.t1("site-logs-title", "host", self.host.clone())
    }

    fn region_label(&self) -> String {
        let name = self
            .tabs
            .iter()
            .find(|t| t.current)
            .map(|t| t.label.clone())
            .unwrap_or_default();
        self.l.tr.t1("site-logs-region", "log", name)
    }

    fn download_hint(&self) -> String {
        self.l.tr.t1(
            "site-logs-download-hint",
            "size",
            self.l.megabytes(DOWNLOAD_MAX_BYTES / (1024 * 1024)),
        )
    }
}

/// GET /sites/{id}/logs?log=access|error&lines=N
pub async fn show_logs(
    State(state): State<AppState>,
    s: Signed,
    Path(raw): Path<String>,
) -> Response {
    let id = match parse_id(s.tr, &raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let kind = query_value(&s.path, "log")
        .and_then(|v| LogKind::parse(v.trim()))
        .unwrap_or(LogKind::Access);
    let lines = query_value(&s.path, "lines")
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(DEFAULT_LINES)
        .clamp(1, MAX_LINES);
    let actor = &s.session.actor;
    let sites = state.app.sites();
    let view = match sites.get(actor, id).await {
        Ok(v) => v,
        Err(e) => return s.error(e).into_response(),
    };
    let text = match sites.log_tail(actor, id, kind, lines).await {
        Ok(t) => Some(t),
        // The site is visible; the server keeps no logs for the panel.
        Err(AppError::Conflict { .. }) => None,
        Err(e) => return s.error(e).into_response(),
    };
    let tr = &s.tr;
    let tabs = [LogKind::Access, LogKind::Error]
        .into_iter()
        .map(|k| LogTab {
            value: kind_name(k),
            label: tr.t(&format!("site-log-{}", kind_name(k))),
            current: k == kind,
        })
        .collect();
    let mut l = Layout::signed(&s, "sites", "sites-title");
    l.title = tr.t1("site-logs-title", "host", view.display_host.clone());
    render(
        s.tr,
        200,
        &LogsPage {
            l,
            id,
            host: view.display_host,
            log: kind_name(kind),
            file: kind.file_name(),
            tabs,
            lines,
            text,
        },
    )
}

/// GET /sites/{id}/logs/{access|error}.log: the log as a text file (its
/// last [`DOWNLOAD_MAX_BYTES`] when it is larger).
pub async fn download_log(
    State(state): State<AppState>,
    s: Signed,
    Path((raw, file)): Path<(String, String)>,
) -> Response {
    let not_found = || crate::error::PanelError::new(s.tr, ErrorCode::NotFound).into_response();
    let Ok(id) = raw.parse::<i64>() else {
        return not_found();
    };
    let Some(kind) = file.strip_suffix(".log").and_then(LogKind::parse) else {
        return not_found();
    };
    let path = match state.app.sites().log_path(&s.session.actor, id, kind).await {
        Ok(p) => p,
        // No logs on this server: no file to give.
        Err(AppError::Conflict { .. }) => return not_found(),
        Err(e) => return s.error(e).into_response(),
    };
    let bytes = match read_end(&path, DOWNLOAD_MAX_BYTES).await {
        Ok(Some(b)) => b,
        Ok(None) => return not_found(),
        Err(e) => {
            return s
                .error(AppError::Internal(format!("{}: {e}", path.display())))
                .into_response();
        }
    };
    let mut res = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        bytes,
    )
        .into_response();
    // The number is from the URL but parsed, the name one of two.
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"site-{id}-{}\"",
        kind.file_name()
    )) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The last `max` bytes of a file (all of it when shorter); `None` when it
/// does not exist or is not a file.
async fn read_end(path: &std::path::Path, max: u64) -> std::io::Result<Option<Vec<u8>>> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || read_end_blocking(&path, max))
        .await
        .map_err(std::io::Error::other)?
}

fn read_end_blocking(path: &std::path::Path, max: u64) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(None);
    }
    let start = meta.len().saturating_sub(max);
    file.seek(SeekFrom::Start(start))?;
    let mut buf = Vec::with_capacity(usize::try_from(meta.len() - start).unwrap_or(0));
    file.take(max).read_to_end(&mut buf)?;
    Ok(Some(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_download_keeps_the_end_of_a_long_log() {
        let dir = std::env::temp_dir().join(format!("konbit-site-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_default();
        let path = dir.join("access.log");
        std::fs::write(&path, b"0123456789").unwrap_or_default();
        assert_eq!(
            read_end(&path, 4).await.ok().flatten().as_deref(),
            Some(&b"6789"[..])
        );
        assert_eq!(
            read_end(&path, 100).await.ok().flatten().as_deref(),
            Some(&b"0123456789"[..])
        );
        assert!(matches!(read_end(&dir.join("none.log"), 4).await, Ok(None)));
        // A directory is not a log.
        assert!(matches!(read_end(&dir, 4).await, Ok(None)));
        std::fs::remove_dir_all(&dir).unwrap_or_default();
    }
}
