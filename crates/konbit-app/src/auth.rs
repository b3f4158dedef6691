//! Signing in and out, sessions, and turning a session or an API token into
//! an `Actor`.

use crate::secret::{random_token, sha256_hex};
use crate::{App, AppError, Audit, Result, audit, now, password};
use konbit_core::authz::{Actor, Source, TokenGrant};
use konbit_core::model::{Person, UserId};
use konbit_core::names::EmailAddress;

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
}

/// A live session, resolved from its cookie.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub actor: Actor,
    pub person: Person,
    pub csrf_token: String,
}

fn actor_for(person: &Person, source: Source, ip: Option<String>) -> Actor {
    Actor {
        user_id: Some(person.id),
        label: person.email.to_string(),
        is_admin: person.is_admin,
        memberships: person.memberships.clone(),
        token: None,
        source,
        ip,
    }
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
        let mut tx = self.app.store.write().await?;
        let person = match (ok, found) {
            (true, Some(found)) => found.person,
            (_, found) => {
                let actor = Actor {
                    user_id: None,
                    label: email.chars().take(254).collect(),
                    is_admin: false,
                    memberships: Vec::new(),
                    token: None,
                    source: Source::Panel,
                    ip: client.ip.clone(),
                };
                let target = found.map(|f| f.person.id.to_string()).unwrap_or_default();
                audit(
                    &mut tx,
                    &actor,
                    Audit {
                        action: "sign_in_failed",
                        kind: "user",
                        id: target,
                        account: None,
                        old: None,
                        new: None,
                    },
                    now,
                )
                .await?;
                tx.commit().await?;
                return Err(AppError::InvalidCredentials);
            }
        };
        if let Some(prev) = previous {
            tx.delete_session(&sha256_hex(prev)).await?;
        }
        let cookie_value = random_token();
        let expires = now.saturating_add(self.app.config.session_absolute_secs);
        tx.insert_session(
            &sha256_hex(&cookie_value),
            person.id,
            &random_token(),
            now,
            expires,
            client.ip.as_deref(),
            client
                .user_agent
                .as_deref()
                .map(|ua| ua.chars().take(256).collect::<String>())
                .as_deref(),
        )
        .await?;
        let actor = actor_for(&person, Source::Panel, client.ip);
        audit(
            &mut tx,
            &actor,
            Audit {
                action: "sign_in",
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
        })
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
        let person = tx.user(row.user_id).await?;
        drop(tx);
        // Writing on every request would serialize all reads behind the
        // write lock; a minute's precision is enough for idle expiry.
        if now - row.last_seen_at >= 60 {
            let mut tx = self.app.store.write().await?;
            tx.touch_session(&id_hash, now).await?;
            tx.commit().await?;
        }
        Ok(Some(SessionInfo {
            actor: actor_for(&person, Source::Panel, ip),
            person,
            csrf_token: row.csrf_token,
        }))
    }

    pub async fn sign_out(&self, cookie_value: &str) -> Result<()> {
        let mut tx = self.app.store.write().await?;
        tx.delete_session(&sha256_hex(cookie_value)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends every session of the actor's person, on every device.
    pub async fn sign_out_everywhere(&self, actor: &Actor) -> Result<u64> {
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
        let mut actor = actor_for(&person, Source::Api, ip);
        actor.label = format!("{} (token {})", person.email, found.token.name);
        actor.token = Some(TokenGrant {
            id: found.token.id,
            scopes: found.token.scopes,
        });
        Ok(Some(actor))
    }
}
