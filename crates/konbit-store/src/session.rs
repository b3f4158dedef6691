//! Panel sessions. The cookie carries a random id; only its SHA-256 is stored.

use crate::{Result, Tx};
use konbit_core::model::{Timestamp, UserId};
use konbit_core::two_factor::SessionState;
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub user_id: UserId,
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
    pub state: SessionState,
    pub mfa_at: Option<Timestamp>,
    pub incomplete_notice: i64,
    /// The person this (admin's) session acts as, if any.
    pub impersonating: Option<UserId>,
}

/// A session as its person sees it in their list.
#[derive(Debug, Clone)]
pub struct SessionListing {
    /// The row id: a handle to end the session, not the secret.
    pub id: i64,
    pub id_hash: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub state: SessionState,
}

/// A session to open, in a given state.
pub struct NewSessionRow<'a> {
    pub id_hash: &'a str,
    pub user: UserId,
    pub csrf_token: &'a str,
    pub expires_at: Timestamp,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub state: SessionState,
    pub mfa_at: Option<Timestamp>,
    pub incomplete_notice: i64,
}

impl Tx {
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_session(
        &mut self,
        id_hash: &str,
        user: UserId,
        csrf_token: &str,
        now: Timestamp,
        expires_at: Timestamp,
        ip: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent) \
             VALUES ($1, $2, $3, $4, $4, $5, $6, $7)",
        )
        .bind(id_hash)
        .bind(user.0)
        .bind(csrf_token)
        .bind(now)
        .bind(expires_at)
        .bind(ip)
        .bind(user_agent)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn insert_session_row(
        &mut self,
        s: &NewSessionRow<'_>,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent, state, mfa_at, incomplete_notice) \
             VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(s.id_hash)
        .bind(s.user.0)
        .bind(s.csrf_token)
        .bind(now)
        .bind(s.expires_at)
        .bind(s.ip)
        .bind(s.user_agent)
        .bind(s.state.as_str())
        .bind(s.mfa_at)
        .bind(s.incomplete_notice)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// The live sessions of a person, most recently seen first.
    pub async fn sessions_of(&mut self, user: UserId) -> Result<Vec<SessionListing>> {
        let rows = sqlx::query(
            "SELECT rowid AS id, id_hash, ip, user_agent, created_at, last_seen_at, state \
             FROM sessions WHERE user_id = $1 ORDER BY last_seen_at DESC, rowid DESC",
        )
        .bind(user.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                let state: String = r.try_get("state")?;
                Ok(SessionListing {
                    id: r.try_get("id")?,
                    id_hash: r.try_get("id_hash")?,
                    ip: r.try_get("ip")?,
                    user_agent: r.try_get("user_agent")?,
                    created_at: r.try_get("created_at")?,
                    last_seen_at: r.try_get("last_seen_at")?,
                    state: SessionState::from_db(&state),
                })
            })
            .collect()
    }

    /// Ends one session of a person by its row id; someone else's session
    /// is not found.
    pub async fn delete_session_of(&mut self, user: UserId, id: i64) -> Result<()> {
        let done = sqlx::query("DELETE FROM sessions WHERE rowid = $1 AND user_id = $2")
            .bind(id)
            .bind(user.0)
            .execute(self.conn())
            .await?;
        if done.rows_affected() == 0 {
            return Err(crate::StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn session(&mut self, id_hash: &str) -> Result<Option<SessionRow>> {
        let row = sqlx::query("SELECT user_id, csrf_token, created_at, last_seen_at, expires_at, state, mfa_at, incomplete_notice, impersonating_user_id FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .fetch_optional(self.conn())
            .await?;
        row.map(|r| {
            Ok(SessionRow {
                user_id: UserId(r.try_get("user_id")?),
                csrf_token: r.try_get("csrf_token")?,
                created_at: r.try_get("created_at")?,
                last_seen_at: r.try_get("last_seen_at")?,
                expires_at: r.try_get("expires_at")?,
                state: SessionState::from_db(&r.try_get::<String, _>("state")?),
                mfa_at: r.try_get("mfa_at")?,
                incomplete_notice: r.try_get("incomplete_notice")?,
                impersonating: r
                    .try_get::<Option<i64>, _>("impersonating_user_id")?
                    .map(UserId),
            })
        })
        .transpose()
    }

    /// Starts (`Some`) or ends (`None`) acting as someone in one session.
    pub async fn set_impersonation(
        &mut self,
        id_hash: &str,
        target: Option<UserId>,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE sessions SET impersonating_user_id = $2, impersonation_started_at = CASE WHEN $2 IS NULL THEN NULL ELSE $3 END \
             WHERE id_hash = $1",
        )
        .bind(id_hash)
        .bind(target.map(|u| u.0))
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// The admins acting as this person right now (live sessions only):
    /// (display name, since when).
    pub async fn impersonations_of(
        &mut self,
        user: UserId,
        now: Timestamp,
        idle_cutoff: Timestamp,
    ) -> Result<Vec<(String, Timestamp)>> {
        let rows = sqlx::query(
            "SELECT u.display_name, s.impersonation_started_at FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.impersonating_user_id = $1 AND s.expires_at > $2 AND s.last_seen_at > $3 ORDER BY s.impersonation_started_at",
        )
        .bind(user.0)
        .bind(now)
        .bind(idle_cutoff)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("display_name")?,
                    r.try_get::<Option<i64>, _>("impersonation_started_at")?
                        .unwrap_or(0),
                ))
            })
            .collect()
    }

    pub async fn touch_session(&mut self, id_hash: &str, now: Timestamp) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1")
            .bind(id_hash)
            .bind(now)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn delete_session(&mut self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Signs a person out everywhere; returns how many sessions ended.
    pub async fn delete_user_sessions(&mut self, user: UserId) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.0)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected())
    }

    /// Ends every session of a person but one (the one changing the password).
    pub async fn delete_user_sessions_except(
        &mut self,
        user: UserId,
        keep_hash: Option<&str>,
    ) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR id_hash <> $2)",
        )
        .bind(user.0)
        .bind(keep_hash)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected())
    }

    /// Removes sessions past their absolute expiry or idle for too long.
    pub async fn sweep_sessions(&mut self, now: Timestamp, idle_cutoff: Timestamp) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
            .bind(now)
            .bind(idle_cutoff)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected())
    }
}
