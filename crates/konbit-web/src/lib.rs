//! The web front ends: the server-rendered panel (`ui/`) and the REST API
//! (`api/`), both thin layers over `konbit_app`'s services. This module
//! assembles the router and the middleware every response goes through.

pub mod api;
mod context;
mod error;
mod form;
pub mod i18n;
mod security;
pub mod ui;

pub use error::{field_message, problem_body};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::MethodRouter;
use konbit_app::App;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Largest request body we read; forms and JSON are small.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct WebConfig {
    /// `scheme://host[:port]` as browsers see the panel; requests whose
    /// Origin is neither this nor the Host they were sent to are refused.
    pub public_origin: String,
    /// Secure cookies with the `__Host-` prefix. Off only for plain-HTTP
    /// loopback use (the playground, tests), where browsers would drop them.
    pub secure_cookies: bool,
}

impl WebConfig {
    /// Derives the settings from the public URL the operator configured.
    pub fn from_public_url(url: &url::Url) -> Self {
        let origin = url.origin().ascii_serialization();
        Self {
            public_origin: origin,
            secure_cookies: url.scheme() == "https",
        }
    }

    pub fn session_cookie(&self) -> &'static str {
        if self.secure_cookies {
            "__Host-konbit_session"
        } else {
            "konbit_session"
        }
    }

    pub fn login_cookie(&self) -> &'static str {
        if self.secure_cookies {
            "__Host-konbit_login"
        } else {
            "konbit_login"
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub web: Arc<WebConfig>,
}

/// One route of the panel or the API, for the authorization matrix and docs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RouteSpec {
    pub method: String,
    pub path: String,
}

/// Collects panel routes while it builds them, so the list of routes can
/// never drift from the router.
pub(crate) struct RouteTable {
    paths: BTreeMap<&'static str, MethodRouter<AppState>>,
    specs: Vec<RouteSpec>,
}

impl RouteTable {
    pub(crate) fn new() -> Self {
        Self {
            paths: BTreeMap::new(),
            specs: Vec::new(),
        }
    }

    pub(crate) fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        route: MethodRouter<AppState>,
    ) -> Self {
        let existing = self.paths.remove(path).unwrap_or_default();
        self.paths.insert(path, existing.merge(route));
        self.specs.push(RouteSpec {
            method: method.to_owned(),
            path: path.to_owned(),
        });
        self
    }

    pub(crate) fn get<H, T>(self, path: &'static str, h: H) -> Self
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        self.add("GET", path, axum::routing::get(h))
    }

    pub(crate) fn post<H, T>(self, path: &'static str, h: H) -> Self
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        self.add("POST", path, axum::routing::post(h))
    }

    fn into_parts(self) -> (Router<AppState>, Vec<RouteSpec>) {
        let mut router = Router::new();
        for (path, route) in self.paths {
            router = router.route(path, route);
        }
        (router, self.specs)
    }
}

/// Every route the server answers, panel and API. The authorization matrix
/// test fails when a route is missing from its table.
pub fn routes() -> Vec<RouteSpec> {
    let (_, panel) = ui::routes().into_parts();
    let (_, api_doc) = api::router().split_for_parts();
    let mut all = panel;
    all.extend(api::specs(&api_doc));
    all.push(RouteSpec {
        method: "GET".into(),
        path: "/api/v1/openapi.json".into(),
    });
    all.sort();
    all
}

/// The OpenAPI document of the REST API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api::router().split_for_parts().1
}

/// The whole application: panel, API, static files and middleware.
pub fn router(state: AppState) -> Router {
    let (panel, _) = ui::routes().into_parts();
    let (api_router, api_doc) = api::router().split_for_parts();
    let doc = Arc::new(api_doc);
    Router::new()
        .merge(panel)
        .merge(api_router)
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let doc = doc.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::origin_check,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Serves the application on a bound listener until `shutdown` resolves.
/// Client addresses are kept for sessions and the audit log.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_gets_host_prefixed_secure_cookies() {
        let https =
            WebConfig::from_public_url(&url::Url::parse("https://panel.coop.example/").unwrap());
        assert_eq!(https.public_origin, "https://panel.coop.example");
        assert!(https.secure_cookies);
        assert_eq!(https.session_cookie(), "__Host-konbit_session");
        let http = WebConfig::from_public_url(&url::Url::parse("http://127.0.0.1:8080").unwrap());
        assert_eq!(http.public_origin, "http://127.0.0.1:8080");
        assert!(!http.secure_cookies);
        assert_eq!(http.session_cookie(), "konbit_session");
    }

    #[test]
    fn panel_routes_are_listed_once() {
        let all = routes();
        let mut dedup = all.clone();
        dedup.dedup();
        assert_eq!(all.len(), dedup.len(), "a route is registered twice");
        assert!(
            all.iter()
                .any(|r| r.method == "POST" && r.path == "/api/v1/accounts")
        );
    }
}
