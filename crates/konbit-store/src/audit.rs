//! The audit log: who changed what, from where, old and new values. Entries
//! are written in the same transaction as the change they record, redacted
//! here (so no caller can forget) and hash-chained (see `konbit_core::audit`).

use crate::{Result, StoreError, Tx, to_u64};
use konbit_core::audit::{ChainBreak, ChainVerifier, ChainedFields, GENESIS, redact};
use konbit_core::model::{AccountId, Timestamp, UserId};
use konbit_core::page::{Page, PageRequest};
use serde::Serialize;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

pub struct NewAuditEntry<'a> {
    pub actor: &'a konbit_core::authz::Actor,
    /// The admin acting as `actor`, when one is impersonating them.
    pub impersonator: Option<UserId>,
    pub action: &'a str,
    pub object_kind: &'a str,
    pub object_id: String,
    pub account_id: Option<AccountId>,
    /// JSON; secrets are redacted by `insert_audit` whatever the caller did.
    pub old_value: Option<serde_json::Value>,
    pub new_value: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Timestamp,
    pub actor_user_id: Option<i64>,
    pub actor_label: String,
    pub token_id: Option<i64>,
    pub impersonator_user_id: Option<i64>,
    pub source: String,
    pub ip: Option<String>,
    pub action: String,
    pub object_kind: String,
    pub object_id: String,
    pub account_id: Option<i64>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

impl AuditEntry {
    /// The fields the chain hash covers (a missing `prev_hash` hashes as
    /// empty, which never matches).
    pub fn chained(&self) -> ChainedFields {
        ChainedFields {
            id: self.id,
            at: self.at,
            actor_user_id: self.actor_user_id,
            actor_label: self.actor_label.clone(),
            token_id: self.token_id,
            impersonator_user_id: self.impersonator_user_id,
            source: self.source.clone(),
            ip: self.ip.clone(),
            action: self.action.clone(),
            object_kind: self.object_kind.clone(),
            object_id: self.object_id.clone(),
            account_id: self.account_id,
            old_value: self.old_value.clone(),
            new_value: self.new_value.clone(),
            prev_hash: self.prev_hash.clone().unwrap_or_default(),
        }
    }
}

/// Which entries a view shows. Every field narrows; `visible_accounts` is
/// the authorization limit (`None`: everything, for admins).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only entries of these accounts (entries without an account excluded).
    pub visible_accounts: Option<Vec<AccountId>>,
    pub account: Option<AccountId>,
    pub object_kind: Option<String>,
    pub object_id: Option<String>,
    pub actor_user_id: Option<UserId>,
    /// The actor's e-mail address (also matches their tokens' entries).
    pub actor_label: Option<String>,
    /// From this time, inclusive.
    pub from: Option<Timestamp>,
    /// Before this time, exclusive.
    pub to: Option<Timestamp>,
}

/// The result of walking the chain.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChainReport {
    pub entries: u64,
    /// The hash of the newest entry; keep it elsewhere to detect a later
    /// rewrite of the whole log or the removal of its newest entries.
    pub head: String,
    pub first_bad: Option<ChainBreak>,
}

fn from_row(r: &SqliteRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: r.try_get("id")?,
        at: r.try_get("at")?,
        actor_user_id: r.try_get("actor_user_id")?,
        actor_label: r.try_get("actor_label")?,
        token_id: r.try_get("token_id")?,
        impersonator_user_id: r.try_get("impersonator_user_id")?,
        source: r.try_get("source")?,
        ip: r.try_get("ip")?,
        action: r.try_get("action")?,
        object_kind: r.try_get("object_kind")?,
        object_id: r.try_get("object_id")?,
        account_id: r.try_get("account_id")?,
        old_value: r.try_get("old_value")?,
        new_value: r.try_get("new_value")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

/// The shared WHERE clause of the filtered views; every value is a bind.
/// `$1` is a JSON array of visible account ids, or NULL for everything.
const WHERE: &str = " WHERE ($1 IS NULL OR account_id IN (SELECT value FROM json_each($1))) \
     AND ($2 IS NULL OR account_id = $2) \
     AND ($3 IS NULL OR object_kind = $3) \
     AND ($4 IS NULL OR object_id = $4) \
     AND ($5 IS NULL OR actor_user_id = $5) \
     AND ($6 IS NULL OR actor_label = $6 OR substr(actor_label, 1, length($6) + 8) = $6 || ' (token ') \
     AND ($7 IS NULL OR at >= $7) \
     AND ($8 IS NULL OR at < $8)";

fn bind_filter<'q>(
    q: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    f: &'q AuditFilter,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
    let visible = f
        .visible_accounts
        .as_ref()
        .map(|ids| serde_json::Value::Array(ids.iter().map(|a| a.0.into()).collect()).to_string());
    q.bind(visible)
        .bind(f.account.map(|a| a.0))
        .bind(f.object_kind.as_deref())
        .bind(f.object_id.as_deref())
        .bind(f.actor_user_id.map(|u| u.0))
        .bind(f.actor_label.as_deref())
        .bind(f.from)
        .bind(f.to)
}

impl Tx {
    /// Appends an entry to the chain. Safe because every write runs in a
    /// `BEGIN IMMEDIATE` transaction (`Store::write`): no other writer can
    /// append between reading the last hash and inserting the next entry.
    /// PostgreSQL will need the same guarantee explicitly, e.g.
    /// `SELECT pg_advisory_xact_lock(<audit key>)` or `LOCK TABLE audit_log IN
    /// EXCLUSIVE MODE` before reading the last entry.
    pub async fn insert_audit(&mut self, e: NewAuditEntry<'_>, now: Timestamp) -> Result<()> {
        let last = sqlx::query("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
            .fetch_optional(self.conn())
            .await?;
        let (id, prev_hash) = match last {
            None => (1, GENESIS.to_owned()),
            Some(row) => {
                let id: i64 = row.try_get("id")?;
                let hash: Option<String> = row.try_get("hash")?;
                // Only possible if rows were written around the store after
                // the backfill; chaining onto them would hide that.
                let hash = hash.ok_or_else(|| {
                    StoreError::Migration(format!(
                        "audit entry {id} has no hash; run `konbit audit verify`"
                    ))
                })?;
                (id + 1, hash)
            }
        };
        let fields = ChainedFields {
            id,
            at: now,
            actor_user_id: e.actor.user_id.map(|u| u.0),
            actor_label: e.actor.label.clone(),
            token_id: e.actor.token.as_ref().map(|t| t.id.0),
            impersonator_user_id: e.impersonator.map(|u| u.0),
            source: e.actor.source.as_str().to_owned(),
            ip: e.actor.ip.clone(),
            action: e.action.to_owned(),
            object_kind: e.object_kind.to_owned(),
            object_id: e.object_id,
            account_id: e.account_id.map(|a| a.0),
            old_value: e.old_value.map(|v| redact(v).to_string()),
            new_value: e.new_value.map(|v| redact(v).to_string()),
            prev_hash,
        };
        let hash = fields.hash();
        sqlx::query(
            "INSERT INTO audit_log (id, at, actor_user_id, actor_label, token_id, impersonator_user_id, source, ip, \
             action, object_kind, object_id, account_id, old_value, new_value, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(fields.id)
        .bind(fields.at)
        .bind(fields.actor_user_id)
        .bind(&fields.actor_label)
        .bind(fields.token_id)
        .bind(fields.impersonator_user_id)
        .bind(&fields.source)
        .bind(fields.ip.as_deref())
        .bind(&fields.action)
        .bind(&fields.object_kind)
        .bind(&fields.object_id)
        .bind(fields.account_id)
        .bind(fields.old_value.as_deref())
        .bind(fields.new_value.as_deref())
        .bind(&fields.prev_hash)
        .bind(&hash)
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
        rows.iter().map(from_row).collect()
    }

    /// A page of entries matching the filter, newest first.
    pub async fn audit_page(
        &mut self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEntry>> {
        let count_sql = format!("SELECT COUNT(*) FROM audit_log{WHERE}");
        let total: i64 = bind_filter(sqlx::query(sqlx::AssertSqlSafe(count_sql)), filter)
            .fetch_one(self.conn())
            .await?
            .try_get(0)?;
        let items = self
            .audit_matching(filter, page.limit(), page.offset())
            .await?;
        Ok(Page {
            items,
            page: page.page,
            per_page: page.per_page,
            total: to_u64(total),
        })
    }

    /// Up to `limit` entries matching the filter, newest first.
    pub async fn audit_matching(
        &mut self,
        filter: &AuditFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<AuditEntry>> {
        // WHERE is a constant: only fixed fragments are spliced, never input.
        let sql = format!("SELECT * FROM audit_log{WHERE} ORDER BY id DESC LIMIT $9 OFFSET $10");
        let rows = bind_filter(sqlx::query(sqlx::AssertSqlSafe(sql)), filter)
            .bind(limit)
            .bind(offset)
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(from_row).collect()
    }

    pub async fn audit_count(&mut self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
            .fetch_one(self.conn())
            .await?)
    }

    /// Walks the whole chain in id order, in batches, and reports the first
    /// entry that breaks it.
    pub async fn verify_audit_chain(&mut self) -> Result<ChainReport> {
        self.verify_chain(
            "SELECT * FROM audit_log WHERE id > $1 ORDER BY id LIMIT 1000",
            |row| {
                let e = from_row(row)?;
                Ok((e.chained(), e.hash))
            },
        )
        .await
    }

    /// Walks a hash-chained table in id order, 1000 rows at a time, and
    /// reports the first entry that breaks it. `page` selects the rows with
    /// an id above `$1`; `link` reads one row as its chained fields and its
    /// stored hash.
    pub(crate) async fn verify_chain<L: konbit_core::audit::ChainLink>(
        &mut self,
        page: &'static str,
        link: impl Fn(&SqliteRow) -> Result<(L, Option<String>)>,
    ) -> Result<ChainReport> {
        let mut v = ChainVerifier::default();
        let mut after = i64::MIN;
        loop {
            let rows = sqlx::query(page).bind(after).fetch_all(self.conn()).await?;
            let Some(last) = rows.last() else { break };
            after = last.try_get("id")?;
            for row in &rows {
                let (fields, hash) = link(row)?;
                if let Err(b) = v.check(&fields, hash.as_deref()) {
                    return Ok(ChainReport {
                        entries: v.checked,
                        head: v.head().to_owned(),
                        first_bad: Some(b),
                    });
                }
            }
        }
        Ok(ChainReport {
            entries: v.checked,
            head: v.head().to_owned(),
            first_bad: None,
        })
    }

    /// Chains the entries written before the chain existed (migration 0004),
    /// once: only while no entry has a hash yet. Returns how many it chained.
    pub async fn backfill_audit_chain(&mut self) -> Result<u64> {
        let hashed: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE hash IS NOT NULL")
                .fetch_one(self.conn())
                .await?;
        if hashed > 0 {
            return Ok(0);
        }
        let rows = sqlx::query("SELECT * FROM audit_log ORDER BY id")
            .fetch_all(self.conn())
            .await?;
        let mut prev = GENESIS.to_owned();
        let mut n = 0;
        for row in &rows {
            let mut e = from_row(row)?;
            e.prev_hash = Some(prev.clone());
            let hash = e.chained().hash();
            sqlx::query("UPDATE audit_log SET prev_hash = $2, hash = $3 WHERE id = $1")
                .bind(e.id)
                .bind(&prev)
                .bind(&hash)
                .execute(self.conn())
                .await?;
            prev = hash;
            n += 1;
        }
        Ok(n)
    }
}
