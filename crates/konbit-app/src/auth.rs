//! Signing in and out, sessions, and turning a session or an API token into
//! an `Actor`.

use crate::rate_limit::Step;
use crate::secret::{random_token, sha256_hex};
use crate::{App, AppError, Audit, Result, audit, now, password};
use konbit_core::authz::{Actor, Source, TokenGrant};
use konbit_core::model::{Person, Timestamp, UserId};
use konbit_core::names::EmailAddress;
use konbit_core::two_factor::SessionState;
use konbit_store::{NewSessionRow, SessionListing};

pub struct AuthService<'a> {
    pub(crate) app: &'a App,
}

/// Where a request came from, for sessions and the audit log.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A new session: the cookie value (shown once to the browser) and the
/// person it belongs to.
pub struct NewSession {
    pub cookie_value: String,
    pub person: Person,
    /// Full, or waiting for a second factor or an enrolment.
    pub state: SessionState,
}

/// A live session, resolved from its cookie.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub actor: Actor,
    pub person: Person,
    pub csrf_token: String,
    pub state: SessionState,
    /// Sign-ins whose second factor never came, found when this session
    /// was opened.
    pub incomplete_notice: i64,
    /// The admin whose session this is, when they act as `person`.
    pub impersonator: Option<Person>,
    /// Admins acting as this person right now: (name, since).
    pub helped_by: Vec<(String, Timestamp)>,
}

/// A session in its person's list.
#[derive(Debug, Clone)]
pub struct SessionEntry {
    pub id: i64,
    pub ip: Option<String>,
    pub device: String,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub current: bool,
    pub pending: bool,
}

/// "Firefox on Linux" from a user agent, enough to tell devices apart.
pub fn device_summary(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.filter(|u| !u.trim().is_empty()) else {
        return "?".into();
    };
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("HeadlessChrome/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .iter()
    .find(|(k, _)| ua.contains(k))
    .map(|(_, v)| *v);
    let os = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(k, _)| ua.contains(k))
    .map(|(_, v)| *v);
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} · {o}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(o)) => o.to_owned(),
        (None, None) => ua.chars().take(40).collect(),
    }
}

pub(crate) fn actor_for(person: &Person, source: Source, ip: Option<String>, mfa: bool) -> Actor {
    Actor {
        user_id: Some(person.id),
        label: person.email.to_string(),
        is_admin: person.is_admin,
        memberships: person.memberships.clone(),
        token: None,
        source,
        ip,
        mfa,
        impersonator: None,
    }
}

/// Writes a refused attempt to the audit log.
pub(crate) async fn audit_failure(
    app: &App,
    actor: &Actor,
    action: &str,
    target: impl std::fmt::Display,
    step: Step,
) -> Result<()> {
    let now = now();
    let mut tx = app.store.write().await?;
    audit(
        &mut tx,
        actor,
        Audit {
            action,
            kind: "user",
            id: target.to_string(),
            account: None,
            old: None,
            new: Some(serde_json::json!({ "step": step.as_str() })),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) fn anonymous(label: &str, ip: Option<String>) -> Actor {
    Actor {
        user_id: None,
        label: label.chars().take(254).collect(),
        is_admin: false,
        memberships: Vec::new(),
        token: None,
        source: Source::Panel,
        ip,
        mfa: false,
        impersonator: None,
    }
}

fn short_agent(client: &ClientInfo) -> Option<String> {
    client
        .user_agent
        .as_deref()
        .map(|ua| ua.chars().take(256).collect::<String>())
}

impl AuthService<'_> {
    /// Checks the password and opens a fresh session. Any session the
    /// browser already had is ended, so a session id planted before sign-in
    /// is never promoted (session fixation).
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        previous: Option<&str>,
        client: ClientInfo,
    ) -> Result<NewSession> {
        let now = now();
        let attempt = self
            .app
            .attempt(
                Step::SignIn,
                client.ip.as_deref(),
                email,
                &anonymous(email, client.ip.clone()),
                "",
            )
            .await?;
        let mut tx = self.app.store.read().await?;
        let found = match EmailAddress::parse("email", email) {
            Ok(email) => match tx.user_auth_by_email(email.as_str()).await {
                Ok(found) => Some(found),
                Err(konbit_store::StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            },
            Err(_) => None,
        };
        drop(tx);
        let ok = password::verify(
            password.to_owned(),
            found.as_ref().map(|f| f.password_hash.clone()),
        )
        .await?;
        let person = match (ok, found) {
            (true, Some(found)) => found.person,
            (_, found) => {
                attempt.failed();
                let actor = anonymous(email, client.ip.clone());
                let target = found.map(|f| f.person.id.to_string()).unwrap_or_default();
                audit_failure(self.app, &actor, "sign_in_failed", target, Step::SignIn).await?;
                return Err(AppError::InvalidCredentials);
            }
        };
        let has_2fa = self.app.two_factor().is_enabled(person.id).await?;
        let state = if has_2fa {
            SessionState::PendingTwoFactor
        } else if self.app.two_factor().required_for(&person) {
            SessionState::MustEnrol
        } else {
            SessionState::Full
        };
        let mut tx = self.app.store.write().await?;
        if let Some(prev) = previous {
            tx.delete_session(&sha256_hex(prev)).await?;
        }
        let cookie_value = self
            .open_session(&mut tx, &person, state, None, &client, now)
            .await?;
        let actor = actor_for(&person, Source::Panel, client.ip, false);
        audit(
            &mut tx,
            &actor,
            Audit {
                action: if state == SessionState::Full {
                    "sign_in"
                } else {
                    "sign_in_password_ok"
                },
                kind: "user",
                id: person.id.to_string(),
                account: None,
                old: None,
                new: None,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(NewSession {
            cookie_value,
            person,
            state,
        })
    }

    /// Opens a session in `state`. A pending second factor is recorded as
    /// an incomplete sign-in until it completes; a full session takes the
    /// incomplete ones left over, to tell the person.
    async fn open_session(
        &self,
        tx: &mut konbit_store::Tx,
        person: &Person,
        state: SessionState,
        mfa_at: Option<Timestamp>,
        client: &ClientInfo,
        now: Timestamp,
    ) -> Result<String> {
        let cookie_value = random_token();
        let id_hash = sha256_hex(&cookie_value);
        let agent = short_agent(client);
        let incomplete_notice = if state == SessionState::Full {
            tx.take_incomplete_sign_ins(person.id).await?
        } else {
            0
        };
        if state == SessionState::PendingTwoFactor {
            tx.insert_incomplete_sign_in(
                &id_hash,
                person.id,
                now,
                client.ip.as_deref(),
                agent.as_deref(),
            )
            .await?;
        }
        // A half-signed-in session lives only long enough to type a code.
        let lifetime = if state == SessionState::Full {
            self.app.config.session_absolute_secs
        } else {
            self.app.config.session_absolute_secs.min(15 * 60)
        };
        tx.insert_session_row(
            &NewSessionRow {
                id_hash: &id_hash,
                user: person.id,
                csrf_token: &random_token(),
                expires_at: now.saturating_add(lifetime),
                ip: client.ip.as_deref(),
                user_agent: agent.as_deref(),
                state,
                mfa_at,
                incomplete_notice,
            },
            now,
        )
        .await?;
        Ok(cookie_value)
    }

    /// Completes a sign-in waiting for its second factor: checks the code
    /// (TOTP or recovery), then replaces the session with a full one under
    /// a new id.
    pub async fn complete_two_factor(
        &self,
        cookie_value: &str,
        code: &str,
        client: ClientInfo,
    ) -> Result<NewSession> {
        let info = self
            .session(cookie_value, client.ip.clone())
            .await?
            .filter(|s| s.state == SessionState::PendingTwoFactor)
            .ok_or(konbit_core::Denied::Unauthenticated)?;
        let person = info.person;
        self.app
            .two_factor()
            .verify_step(&person, code, client.ip.as_deref())
            .await?;
        self.promote(cookie_value, person, &client, "sign_in").await
    }

    /// After an enrolment, the session that made it becomes a full one
    /// that passed 2FA, under a new id.
    pub async fn finish_enrolment(
        &self,
        cookie_value: &str,
        person: Person,
        client: ClientInfo,
    ) -> Result<NewSession> {
        self.promote(cookie_value, person, &client, "sign_in_enrolled")
            .await
    }

    async fn promote(
        &self,
        cookie_value: &str,
        person: Person,
        client: &ClientInfo,
        action: &str,
    ) -> Result<NewSession> {
        let now = now();
        let old_hash = sha256_hex(cookie_value);
        let mut tx = self.app.store.write().await?;
        tx.delete_session(&old_hash).await?;
        tx.delete_incomplete_sign_in(&old_hash).await?;
        let cookie_value = self
            .open_session(&mut tx, &person, SessionState::Full, Some(now), client, now)
            .await?;
        let actor = actor_for(&person, Source::Panel, client.ip.clone(), true);
        audit(
            &mut tx,
            &actor,
            Audit {
                action,
                kind: "user",
                id: person.id.to_string(),
                account: None,
                old: None,
                new: Some(serde_json::json!({ "two_factor": true })),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(NewSession {
            cookie_value,
            person,
            state: SessionState::Full,
        })
    }

    /// The person's live sessions, the current one marked.
    pub async fn sessions(
        &self,
        actor: &Actor,
        current: Option<&str>,
    ) -> Result<Vec<SessionEntry>> {
        let user = actor.user_id.ok_or(konbit_core::Denied::Unauthenticated)?;
        let current = current.map(sha256_hex);
        let rows: Vec<SessionListing> = self.app.store.read().await?.sessions_of(user).await?;
        let now = now();
        Ok(rows
            .into_iter()
            .filter(|r| {
                r.last_seen_at
                    .saturating_add(self.app.config.session_idle_secs)
                    > now
            })
            .map(|r| SessionEntry {
                id: r.id,
                current: current
                    .as_deref()
                    .is_some_and(|c| crate::secret::same(c, &r.id_hash)),
                device: device_summary(r.user_agent.as_deref()),
                ip: r.ip,
                created_at: r.created_at,
                last_seen_at: r.last_seen_at,
                pending: r.state != SessionState::Full,
            })
            .collect())
    }

    /// Ends one of the actor's own sessions; anyone else's is not found.
    pub async fn end_session(&self, actor: &Actor, id: i64) -> Result<()> {
        konbit_core::authz::authorize(
            actor,
            konbit_core::authz::Action::ManageOwnCredentials,
            Default::default(),
        )?;
        let user = actor.user_id.ok_or(konbit_core::Denied::Unauthenticated)?;
        if actor.token.is_some() {
            return Err(konbit_core::Denied::Forbidden.into());
        }
        let now = now();
        let mut tx = self.app.store.write().await?;
        tx.delete_session_of(user, id).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "session_ended",
                kind: "user",
                id: user.to_string(),
                account: None,
                old: None,
                new: Some(serde_json::json!({ "session": id })),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Resolves a session cookie. Expired sessions (idle or absolute) are
    /// removed and yield `None`.
    pub async fn session(
        &self,
        cookie_value: &str,
        ip: Option<String>,
    ) -> Result<Option<SessionInfo>> {
        let now = now();
        let id_hash = sha256_hex(cookie_value);
        let mut tx = self.app.store.read().await?;
        let Some(row) = tx.session(&id_hash).await? else {
            return Ok(None);
        };
        let idle_expired = row
            .last_seen_at
            .saturating_add(self.app.config.session_idle_secs)
            <= now;
        if row.expires_at <= now || idle_expired {
            drop(tx);
            let mut tx = self.app.store.write().await?;
            tx.delete_session(&id_hash).await?;
            tx.commit().await?;
            return Ok(None);
        }
        let owner = tx.user(row.user_id).await?;
        // An admin acting as someone gets that person's rights, and every
        // change records the admin as the impersonator.
        let (person, impersonator) = match row.impersonating {
            Some(target) => match tx.user(target).await {
                Ok(p) => (p, Some(owner)),
                Err(konbit_store::StoreError::NotFound) => (owner, None),
                Err(e) => return Err(e.into()),
            },
            None => (owner, None),
        };
        let helped_by = if impersonator.is_none() {
            let idle_cutoff = now - self.app.config.session_idle_secs;
            tx.impersonations_of(person.id, now, idle_cutoff).await?
        } else {
            Vec::new()
        };
        drop(tx);
        // Writing on every request would serialize all reads behind the
        // write lock; a minute's precision is enough for idle expiry.
        if now - row.last_seen_at >= 60 {
            let mut tx = self.app.store.write().await?;
            tx.touch_session(&id_hash, now).await?;
            tx.commit().await?;
        }
        let mut actor = actor_for(&person, Source::Panel, ip, row.mfa_at.is_some());
        if let Some(admin) = &impersonator {
            actor.impersonator = Some(admin.id);
            actor.label = format!("{} as {}", admin.email, person.email);
        }
        Ok(Some(SessionInfo {
            actor,
            impersonator,
            helped_by,
            person,
            csrf_token: row.csrf_token,
            state: row.state,
            incomplete_notice: row.incomplete_notice,
        }))
    }

    pub async fn sign_out(&self, cookie_value: &str) -> Result<()> {
        self.sign_out_from(cookie_value, None).await
    }

    /// Ends one session and records it, with the address it was ended from.
    pub async fn sign_out_from(&self, cookie_value: &str, ip: Option<String>) -> Result<()> {
        let now = now();
        let id_hash = sha256_hex(cookie_value);
        let mut tx = self.app.store.write().await?;
        let row = tx.session(&id_hash).await?;
        tx.delete_session(&id_hash).await?;
        if let Some(row) = row {
            let person = tx.user(row.user_id).await?;
            let actor = actor_for(&person, Source::Panel, ip, false);
            let entry = Audit {
                action: "sign_out",
                kind: "user",
                id: person.id.to_string(),
                account: None,
                old: None,
                new: None,
            };
            audit(&mut tx, &actor, entry, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Ends every session of the actor's person, on every device.
    pub async fn sign_out_everywhere(&self, actor: &Actor) -> Result<u64> {
        konbit_core::authz::authorize(
            actor,
            konbit_core::authz::Action::ManageOwnCredentials,
            Default::default(),
        )?;
        let user = actor.user_id.ok_or(konbit_core::Denied::Unauthenticated)?;
        self.end_sessions_of(actor, user).await
    }

    pub(crate) async fn end_sessions_of(&self, actor: &Actor, user: UserId) -> Result<u64> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        let n = tx.delete_user_sessions(user).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "sign_out_everywhere",
                kind: "user",
                id: user.to_string(),
                account: None,
                old: None,
                new: Some(serde_json::json!({ "sessions_ended": n })),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Resolves a bearer token into an actor narrowed to the token's scopes.
    pub async fn token_actor(&self, bearer: &str, ip: Option<String>) -> Result<Option<Actor>> {
        let now = now();
        let hash = sha256_hex(bearer.trim());
        let mut tx = self.app.store.read().await?;
        let Some(found) = tx.live_token_by_hash(&hash, now).await? else {
            return Ok(None);
        };
        let person = tx.user(found.token.user_id).await?;
        drop(tx);
        if found.token.last_used_at.is_none_or(|t| now - t >= 60) {
            let mut tx = self.app.store.write().await?;
            tx.touch_token(found.token.id, now).await?;
            tx.commit().await?;
        }
        let mut actor = actor_for(&person, Source::Api, ip, false);
        actor.label = format!("{} (token {})", person.email, found.token.name);
        actor.token = Some(TokenGrant {
            id: found.token.id,
            scopes: found.token.scopes,
            account: found.token.account_id,
        });
        Ok(Some(actor))
    }
}
