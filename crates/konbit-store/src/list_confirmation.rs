//! One-time links that confirm a subscription to a mailing list, or a
//! departure from it, asked for on the list's public page. Only the
//! SHA-256 of each token is kept.

use crate::{Result, Tx};
use konbit_core::model::{Locale, MailingListId, Timestamp};
use sqlx::Row;

/// A new link, before it is sent.
#[derive(Debug, Clone)]
pub struct NewListConfirmation<'a> {
    pub token_hash: &'a str,
    pub list: MailingListId,
    /// Validated and lowercase.
    pub address: &'a str,
    /// `subscribe` or `unsubscribe`.
    pub action: &'static str,
    /// The language of the page it was asked on.
    pub language: Locale,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A stored link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListConfirmationRow {
    pub list: MailingListId,
    pub address: String,
    /// `subscribe` or `unsubscribe` (the table's CHECK holds it to these).
    pub action: String,
    pub language: Locale,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

impl Tx {
    pub async fn insert_list_confirmation(&mut self, new: &NewListConfirmation<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO list_confirmations (token_hash, list_id, address, action, language, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(new.token_hash)
        .bind(new.list.0)
        .bind(new.address)
        .bind(new.action)
        .bind(new.language.as_str())
        .bind(new.created_at)
        .bind(new.expires_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn list_confirmation(
        &mut self,
        token_hash: &str,
    ) -> Result<Option<ListConfirmationRow>> {
        let row = sqlx::query(
            "SELECT list_id, address, action, language, expires_at, used_at \
             FROM list_confirmations WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.conn())
        .await?;
        row.map(|r| {
            let language: String = r.try_get("language")?;
            Ok(ListConfirmationRow {
                list: MailingListId(r.try_get("list_id")?),
                address: r.try_get("address")?,
                action: r.try_get("action")?,
                language: Locale::parse(&language).unwrap_or(Locale::Fr),
                expires_at: r.try_get("expires_at")?,
                used_at: r.try_get("used_at")?,
            })
        })
        .transpose()
    }

    /// Uses a link once: `false` if it was used, has expired or is unknown.
    pub async fn use_list_confirmation(
        &mut self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE list_confirmations SET used_at = $2 WHERE token_hash = $1 \
             AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives a used link back, when what it asked for could not be done
    /// (the list server was away), so the person can try it again.
    pub async fn release_list_confirmation(&mut self, token_hash: &str) -> Result<()> {
        sqlx::query("UPDATE list_confirmations SET used_at = NULL WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Forgets the links that expired before `before` (used or not): they
    /// can do nothing any more, and they hold people's addresses.
    pub async fn purge_list_confirmations(&mut self, before: Timestamp) -> Result<u64> {
        let done = sqlx::query("DELETE FROM list_confirmations WHERE expires_at <= $1")
            .bind(before)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected())
    }
}
