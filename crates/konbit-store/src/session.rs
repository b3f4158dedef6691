//! Panel sessions. The cookie carries a random id; only its SHA-256 is stored.

use crate::{Result, Tx};
use konbit_core::model::{Timestamp, UserId};
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub user_id: UserId,
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
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

    pub async fn session(&mut self, id_hash: &str) -> Result<Option<SessionRow>> {
        let row = sqlx::query("SELECT user_id, csrf_token, created_at, last_seen_at, expires_at FROM sessions WHERE id_hash = $1")
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
            })
        })
        .transpose()
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
