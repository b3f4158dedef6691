//! The audit log: who changed what, from where, old and new values. Entries
//! are written in the same transaction as the change they record.

use crate::{Result, Tx};
use konbit_core::model::{AccountId, Timestamp};
use serde::Serialize;
use sqlx::Row;

pub struct NewAuditEntry<'a> {
    pub actor: &'a konbit_core::authz::Actor,
    pub action: &'a str,
    pub object_kind: &'a str,
    pub object_id: String,
    pub account_id: Option<AccountId>,
    /// JSON, with secrets already redacted by the caller.
    pub old_value: Option<serde_json::Value>,
    pub new_value: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Timestamp,
    pub actor_label: String,
    pub source: String,
    pub ip: Option<String>,
    pub action: String,
    pub object_kind: String,
    pub object_id: String,
    pub account_id: Option<i64>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

impl Tx {
    pub async fn insert_audit(&mut self, e: NewAuditEntry<'_>, now: Timestamp) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor_user_id, actor_label, token_id, source, ip, action, object_kind, object_id, \
             account_id, old_value, new_value) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(now)
        .bind(e.actor.user_id.map(|u| u.0))
        .bind(&e.actor.label)
        .bind(e.actor.token.as_ref().map(|t| t.id.0))
        .bind(e.actor.source.as_str())
        .bind(e.actor.ip.as_deref())
        .bind(e.action)
        .bind(e.object_kind)
        .bind(&e.object_id)
        .bind(e.account_id.map(|a| a.0))
        .bind(e.old_value.map(|v| v.to_string()))
        .bind(e.new_value.map(|v| v.to_string()))
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// The newest entries, of one account or of the whole co-op.
    pub async fn audit_entries(
        &mut self,
        account: Option<AccountId>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT * FROM audit_log WHERE ($1 IS NULL OR account_id = $1) ORDER BY id DESC LIMIT $2",
        )
        .bind(account.map(|a| a.0))
        .bind(limit)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor_label: r.try_get("actor_label")?,
                    source: r.try_get("source")?,
                    ip: r.try_get("ip")?,
                    action: r.try_get("action")?,
                    object_kind: r.try_get("object_kind")?,
                    object_id: r.try_get("object_id")?,
                    account_id: r.try_get("account_id")?,
                    old_value: r.try_get("old_value")?,
                    new_value: r.try_get("new_value")?,
                })
            })
            .collect()
    }

    pub async fn audit_count(&mut self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
            .fetch_one(self.conn())
            .await?)
    }
}
