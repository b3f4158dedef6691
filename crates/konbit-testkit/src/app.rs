//! A real Konbit server for tests: its own temp dir and SQLite file, a free
//! loopback port, seeded people in known roles, and HTTP clients that carry
//! a session or a token. Dropping the `TestApp` stops the server.

use anyhow::{Context, Result, bail};
use konbit_app::account::CreateAccount;
use konbit_app::quota_profile::ProfileInput;
use konbit_app::token::CreateToken;
use konbit_app::{App, AppConfig};
use konbit_core::authz::Actor;
use konbit_core::model::{AccountId, Role, UserId};
use konbit_core::names::{DisplayName, EmailAddress};
use konbit_core::quota::QuotaLimits;
use konbit_store::{NewUser, Store};
use konbit_web::{AppState, WebConfig};
use std::sync::{Arc, OnceLock};
use tokio::sync::oneshot;

/// The password every seeded person has.
pub const PASSWORD: &str = "correct horse battery staple";

/// One hash of `PASSWORD`, made once per test binary: argon2 is slow on
/// purpose, and seeding must not be.
fn password_hash() -> Result<String> {
    static HASH: OnceLock<String> = OnceLock::new();
    if let Some(h) = HASH.get() {
        return Ok(h.clone());
    }
    let h = konbit_app::password::hash_blocking(PASSWORD).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(HASH.get_or_init(|| h).clone())
}

/// A seeded person: who they are and a session cookie for them.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: UserId,
    pub email: String,
}

pub struct TestApp {
    pub base: String,
    pub app: App,
    pub dir: tempfile::TempDir,
    pub web: Arc<WebConfig>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    /// Starts a server with one quota profile ("standard") and one admin
    /// (`admin@coop.test`).
    pub async fn spawn() -> Result<Self> {
        Self::spawn_with(AppConfig::default()).await
    }

    pub async fn spawn_with(config: AppConfig) -> Result<Self> {
        Self::spawn_full(config, None).await
    }

    /// A server whose lists' members and moderation go to `server`.
    pub async fn spawn_with_list_server(
        config: AppConfig,
        server: Arc<dyn konbit_app::list_server::ListServer>,
    ) -> Result<Self> {
        Self::spawn_full(config, Some(server)).await
    }

    async fn spawn_full(
        mut config: AppConfig,
        list_server: Option<Arc<dyn konbit_app::list_server::ListServer>>,
    ) -> Result<Self> {
        let dir = tempfile::Builder::new().prefix("konbit-test-").tempdir()?;
        // The key that seals 2FA secrets lives in the state dir, as in
        // production.
        if config.secret_key_file.is_none() {
            config.secret_key_file = Some(dir.path().join("secret.key"));
        }
        let store = Store::open(&dir.path().join("konbit.db")).await?;
        store.migrate().await?;
        let mut app = App::new(store, config);
        if let Some(server) = list_server {
            app = app.with_list_server(server);
        }
        let cli = Actor::operator_cli();
        app.quota_profiles()
            .create(
                &cli,
                ProfileInput {
                    name: "standard".into(),
                    limits: QuotaLimits::starter(),
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let base = format!("http://{addr}");
        app.config.public_url = base.clone();
        let web = Arc::new(WebConfig::from_public_url(&url::Url::parse(&base)?));
        let state = AppState {
            app: app.clone(),
            web: web.clone(),
        };
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(konbit_web::serve(listener, state, async {
            let _ = rx.await;
        }));
        let t = Self {
            base,
            app,
            dir,
            web,
            shutdown: Some(tx),
            server: Some(server),
        };
        t.add_person("admin@coop.test", "Ada Admin", true).await?;
        Ok(t)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Adds a person straight into the store (no argon2 on the way).
    pub async fn add_person(&self, email: &str, name: &str, is_admin: bool) -> Result<Person> {
        let mut tx = self.app.store.write().await?;
        let id = tx
            .insert_user(
                &NewUser {
                    email: EmailAddress::parse("email", email)?,
                    display_name: DisplayName::parse("display_name", name)?,
                    password_hash: password_hash()?,
                    is_admin,
                    locale: None,
                },
                konbit_app::now(),
            )
            .await?;
        tx.commit().await?;
        Ok(Person {
            id,
            email: email.to_owned(),
        })
    }

    /// Creates an account with an owner `owner@<name>.test` and a member
    /// `member@<name>.test`.
    pub async fn seed_account(&self, name: &str) -> Result<(AccountId, Person, Person)> {
        let cli = Actor::operator_cli();
        let account = self
            .app
            .accounts()
            .create(
                &cli,
                CreateAccount {
                    name: name.into(),
                    display_name: format!("The {name} group"),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let owner = self
            .add_person(
                &format!("owner@{name}.test"),
                &format!("Owner of {name}"),
                false,
            )
            .await?;
        let member = self
            .add_person(
                &format!("member@{name}.test"),
                &format!("Member of {name}"),
                false,
            )
            .await?;
        let mut tx = self.app.store.write().await?;
        tx.upsert_membership(account.id, owner.id, Role::Owner, konbit_app::now())
            .await?;
        tx.upsert_membership(account.id, member.id, Role::Member, konbit_app::now())
            .await?;
        tx.commit().await?;
        Ok((account.id, owner, member))
    }

    /// A session for a person, made straight in the store.
    pub async fn session_for(&self, person: &Person) -> Result<Session> {
        let cookie = konbit_app::secret::random_token();
        let csrf = konbit_app::secret::random_token();
        let now = konbit_app::now();
        let mut tx = self.app.store.write().await?;
        tx.insert_session(
            &konbit_app::secret::sha256_hex(&cookie),
            person.id,
            &csrf,
            now,
            now + 3600,
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(Session {
            http: http_client()?,
            base: self.base.clone(),
            cookie_name: self.web.session_cookie().into(),
            cookie,
            csrf,
        })
    }

    /// Signs in through the real sign-in form, as a browser would.
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<Session> {
        let http = http_client()?;
        let (login_cookie, login_csrf) =
            login_form(&http, &self.base, self.web.login_cookie()).await?;
        let res = http
            .post(self.url("/login"))
            .header(
                "cookie",
                format!("{}={login_cookie}", self.web.login_cookie()),
            )
            .header("origin", &self.base)
            .form(&[
                ("_csrf", login_csrf.as_str()),
                ("email", email),
                ("password", password),
                ("next", "/"),
            ])
            .send()
            .await?;
        if res.status() != 303 {
            bail!("sign-in of {email} answered {}", res.status());
        }
        let cookie = set_cookie_value(&res, self.web.session_cookie())
            .context("no session cookie after sign-in")?;
        let mut s = Session {
            http,
            base: self.base.clone(),
            cookie_name: self.web.session_cookie().into(),
            cookie,
            csrf: String::new(),
        };
        let page = s.get("/settings").await?.text().await?;
        s.csrf = hidden_value(&page, "_csrf").context("no CSRF token on the settings page")?;
        Ok(s)
    }

    /// An API token for a person with the given scopes.
    pub async fn token_for(&self, person: &Person, scopes: &[&str]) -> Result<String> {
        let input = CreateToken {
            name: "test".into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            expires_in_days: None,
            account_id: None,
        };
        let t = self
            .app
            .tokens()
            .create_for(&Actor::operator_cli(), person.id, input)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(t.secret)
    }

    /// A client that sends a bearer token.
    pub fn api(&self, token: Option<&str>) -> Result<Api> {
        Ok(Api {
            http: http_client()?,
            base: self.base.clone(),
            token: token.map(str::to_owned),
        })
    }

    /// A direct connection to the state database, for assertions that look
    /// under the services (and to age a session in expiry tests).
    pub async fn db(&self) -> Result<sqlx::SqlitePool> {
        let url = format!("sqlite://{}", self.dir.path().join("konbit.db").display());
        Ok(sqlx::SqlitePool::connect(&url).await?)
    }

    /// A fingerprint of everything a request could change, except logs and
    /// last-seen times. Two equal fingerprints mean nothing changed.
    pub async fn fingerprint(&self) -> Result<String> {
        let pool = self.db().await?;
        let queries = [
            "SELECT group_concat(id || name || domains || mailboxes || sites || disk_mb, ';') FROM quota_profiles",
            "SELECT group_concat(id || name || display_name || quota_profile_id || coalesce(locked_at, '-') || coalesce(lock_reason, '-') || coalesce(deleted_at, '-') || generation, ';') FROM accounts",
            "SELECT group_concat(id || email || display_name || password_hash || is_admin || coalesce(locale, '-'), ';') FROM users",
            "SELECT group_concat(account_id || user_id || role, ';') FROM memberships",
            "SELECT group_concat(id || name || scopes || coalesce(revoked_at, '-'), ';') FROM api_tokens",
            "SELECT group_concat(id_hash || user_id || coalesce(impersonating_user_id, '-'), ';') FROM sessions",
            "SELECT group_concat(kind || object_id || generation, ';') FROM reconcile_queue",
            "SELECT group_concat(user_id || secret_sealed || coalesce(enabled_at, '-'), ';') FROM two_factor",
            "SELECT group_concat(id || account_id || name || dnssec || mail || serial || coalesce(deleted_at, '-') || generation, ';') FROM domains",
            "SELECT group_concat(id || domain_id || name || type || ttl || value, ';') FROM dns_records",
            "SELECT group_concat(domain_id || public_key, ';') FROM dnssec_keys",
            "SELECT group_concat(id || login || coalesce(dir, '-') || coalesce(password_hash, '-') || ssh_keys || enabled || generation, ';') FROM sftp_accounts",
            "SELECT group_concat(id || name || read_only || coalesce(deleted_at, '-') || generation, ';') FROM databases",
            "SELECT group_concat(id || database_id || name || rights || verifier, ';') FROM database_users",
            "SELECT group_concat(id || domain_id || name || description || subscription || posting || reply_to || coalesce(reply_to_address, '-') || munge_from || archives || digest || language || coalesce(deleted_at, '-') || generation, ';') FROM mailing_lists",
            "SELECT group_concat(id || name || rules, ';') FROM gov_bodies",
            "SELECT group_concat(body_id || user_id, ';') FROM gov_body_members",
            "SELECT group_concat(id || stage || state || spec || coalesce(undo, '-') || coalesce(rolled_back_at, '-') || coalesce(appeal, '-'), ';') FROM gov_proposals",
            "SELECT group_concat(id || proposal_id || body, ';') FROM gov_comments",
            "SELECT group_concat(proposal_id || round || ballot_key || content, ';') FROM gov_ballots",
            "SELECT group_concat(token_hash || coalesce(used_at, '-'), ';') FROM gov_vote_links",
            "SELECT group_concat(id || hash, ';') FROM decision_log",
            "SELECT group_concat(key || value, ';') FROM platform_settings",
        ];
        let mut out = String::new();
        for q in queries {
            let v: Option<String> = sqlx::query_scalar(q).fetch_one(&pool).await?;
            out.push_str(&v.unwrap_or_default());
            out.push('|');
        }
        pool.close().await;
        Ok(out)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.server.take() {
            h.abort();
        }
    }
}

/// An HTTP client that does not follow redirects, so tests see them.
pub fn http_client() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(20))
        .build()?)
}

/// The value of a cookie set by a response.
pub fn set_cookie_value(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The value of the first hidden input with this name in an HTML page.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// Fetches the sign-in form: (login cookie, form token).
pub async fn login_form(
    http: &reqwest::Client,
    base: &str,
    cookie_name: &str,
) -> Result<(String, String)> {
    let res = http.get(format!("{base}/login")).send().await?;
    let cookie = set_cookie_value(&res, cookie_name).context("no login cookie")?;
    let html = res.text().await?;
    let csrf = hidden_value(&html, "_csrf").context("no _csrf on the login form")?;
    Ok((cookie, csrf))
}

/// A browser-like client with a session cookie and its CSRF token.
pub struct Session {
    pub http: reqwest::Client,
    pub base: String,
    pub cookie_name: String,
    pub cookie: String,
    pub csrf: String,
}

impl Session {
    pub async fn get(&self, path: &str) -> Result<reqwest::Response> {
        Ok(self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", format!("{}={}", self.cookie_name, self.cookie))
            .send()
            .await?)
    }

    /// Posts a form the way the panel's own pages do: with the session's
    /// CSRF token and a same-origin `Origin`.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Result<reqwest::Response> {
        let mut form: Vec<(&str, &str)> = vec![("_csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        Ok(self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", format!("{}={}", self.cookie_name, self.cookie))
            .header("origin", &self.base)
            .form(&form)
            .send()
            .await?)
    }
}

/// A REST API client.
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub token: Option<String>,
}

impl Api {
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let rb = self.http.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    pub async fn get(&self, path: &str) -> Result<reqwest::Response> {
        Ok(self.request(reqwest::Method::GET, path).send().await?)
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<reqwest::Response> {
        Ok(self.request(method, path).json(body).send().await?)
    }
}
