//! Second factor, half-finished sign-ins and password reset links.

use crate::{Result, StoreError, Tx};
use konbit_core::model::{Timestamp, UserId};
use sqlx::Row;

/// A person's TOTP secret, still sealed.
#[derive(Debug, Clone)]
pub struct TwoFactorRow {
    pub secret_sealed: String,
    pub enabled_at: Option<Timestamp>,
    pub last_step: Option<i64>,
}

/// A live reset link.
#[derive(Debug, Clone)]
pub struct PasswordResetRow {
    pub user_id: UserId,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

impl Tx {
    pub async fn two_factor(&mut self, user: UserId) -> Result<Option<TwoFactorRow>> {
        let row = sqlx::query(
            "SELECT secret_sealed, enabled_at, last_step FROM two_factor WHERE user_id = $1",
        )
        .bind(user.0)
        .fetch_optional(self.conn())
        .await?;
        row.map(|r| {
            Ok(TwoFactorRow {
                secret_sealed: r.try_get("secret_sealed")?,
                enabled_at: r.try_get("enabled_at")?,
                last_step: r.try_get("last_step")?,
            })
        })
        .transpose()
    }

    /// Starts (or restarts) an enrolment: a new secret, not yet enabled.
    pub async fn put_pending_two_factor(
        &mut self,
        user: UserId,
        secret_sealed: &str,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO two_factor (user_id, secret_sealed, enabled_at, last_step, created_at) \
             VALUES ($1, $2, NULL, NULL, $3) \
             ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, \
             enabled_at = NULL, last_step = NULL, created_at = excluded.created_at \
             WHERE two_factor.enabled_at IS NULL",
        )
        .bind(user.0)
        .bind(secret_sealed)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn enable_two_factor(
        &mut self,
        user: UserId,
        step: i64,
        now: Timestamp,
    ) -> Result<()> {
        let done =
            sqlx::query("UPDATE two_factor SET enabled_at = $2, last_step = $3 WHERE user_id = $1")
                .bind(user.0)
                .bind(now)
                .bind(step)
                .execute(self.conn())
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Records an accepted time-step, only if it is newer than the last one:
    /// `false` means the code was already used (a replay).
    pub async fn accept_two_factor_step(&mut self, user: UserId, step: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE two_factor SET last_step = $2 WHERE user_id = $1 \
             AND enabled_at IS NOT NULL AND (last_step IS NULL OR last_step < $2)",
        )
        .bind(user.0)
        .bind(step)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn delete_two_factor(&mut self, user: UserId) -> Result<()> {
        sqlx::query("DELETE FROM two_factor WHERE user_id = $1")
            .bind(user.0)
            .execute(self.conn())
            .await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Replaces every recovery code of a person.
    pub async fn replace_recovery_codes(&mut self, user: UserId, hashes: &[String]) -> Result<()> {
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user.0)
            .execute(self.conn())
            .await?;
        for h in hashes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind(user.0)
                .bind(h)
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    /// The unused recovery codes of a person: (id, hash).
    pub async fn unused_recovery_codes(&mut self, user: UserId) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query(
            "SELECT id, code_hash FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("code_hash")?)))
            .collect()
    }

    /// Marks a recovery code used; `false` if it already was.
    pub async fn use_recovery_code(&mut self, id: i64, now: Timestamp) -> Result<bool> {
        let done =
            sqlx::query("UPDATE recovery_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL")
                .bind(id)
                .bind(now)
                .execute(self.conn())
                .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn insert_incomplete_sign_in(
        &mut self,
        session_hash: &str,
        user: UserId,
        now: Timestamp,
        ip: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO two_factor_incomplete (session_hash, user_id, at, ip, user_agent) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(session_hash)
        .bind(user.0)
        .bind(now)
        .bind(ip)
        .bind(user_agent)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn delete_incomplete_sign_in(&mut self, session_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM two_factor_incomplete WHERE session_hash = $1")
            .bind(session_hash)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Takes (returns and removes) the half-finished sign-ins of a person.
    pub async fn take_incomplete_sign_ins(&mut self, user: UserId) -> Result<i64> {
        let done = sqlx::query("DELETE FROM two_factor_incomplete WHERE user_id = $1")
            .bind(user.0)
            .execute(self.conn())
            .await?;
        Ok(i64::try_from(done.rows_affected()).unwrap_or(i64::MAX))
    }

    pub async fn insert_password_reset(
        &mut self,
        token_hash: &str,
        user: UserId,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user.0)
        .bind(now)
        .bind(expires_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn password_reset(&mut self, token_hash: &str) -> Result<Option<PasswordResetRow>> {
        let row = sqlx::query(
            "SELECT user_id, expires_at, used_at FROM password_resets WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.conn())
        .await?;
        row.map(|r| {
            Ok(PasswordResetRow {
                user_id: UserId(r.try_get("user_id")?),
                expires_at: r.try_get("expires_at")?,
                used_at: r.try_get("used_at")?,
            })
        })
        .transpose()
    }

    /// Uses a reset link once: `false` if it was used or has expired.
    pub async fn use_password_reset(&mut self, token_hash: &str, now: Timestamp) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE password_resets SET used_at = $2 WHERE token_hash = $1 \
             AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
