//! The reconcile queue: the transactional outbox between a change and the
//! provisioner that makes a daemon serve it.

use crate::{Result, Tx};
use konbit_core::model::Timestamp;
use serde::Serialize;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueRow {
    pub kind: String,
    pub object_id: i64,
    pub generation: i64,
    pub not_before: Timestamp,
    pub attempts: i64,
    pub last_error: Option<String>,
}

impl Tx {
    /// Asks for `kind/object_id` to be applied at `generation`. A newer
    /// generation replaces an older one and resets the retry state. A claim
    /// is kept: the worker applying the object now sees the generation move
    /// (compare-and-delete fails) and applies it again, while no other
    /// worker may start a concurrent apply of the same object.
    pub async fn enqueue(
        &mut self,
        kind: &str,
        object_id: i64,
        generation: i64,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO reconcile_queue (kind, object_id, generation, not_before, enqueued_at) VALUES ($1, $2, $3, $4, $4) \
             ON CONFLICT (kind, object_id) DO UPDATE SET generation = MAX(reconcile_queue.generation, excluded.generation), \
             not_before = excluded.not_before, attempts = 0, last_error = NULL",
        )
        .bind(kind)
        .bind(object_id)
        .bind(generation)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn queue(&mut self) -> Result<Vec<QueueRow>> {
        let rows =
            sqlx::query("SELECT * FROM reconcile_queue ORDER BY not_before, kind, object_id")
                .fetch_all(self.conn())
                .await?;
        rows.iter().map(row_from).collect()
    }
}

/// The status statements of one object table.
struct ObjectSql {
    generation: &'static str,
    applied: &'static str,
    invalid: &'static str,
    error: &'static str,
}

/// Builds the statements for a table name given as a literal, at compile
/// time: nothing from a queue row is ever spliced into SQL.
macro_rules! object_sql {
    ($table:literal) => {
        ObjectSql {
            generation: concat!("SELECT generation FROM ", $table, " WHERE id = $1"),
            // `applied` only once the desired generation is reached; a newer
            // pending edit keeps the object `pending`.
            applied: concat!(
                "UPDATE ",
                $table,
                " SET applied_generation = MAX(applied_generation, $2), ",
                "status = CASE WHEN generation <= $2 THEN 'applied' ELSE status END, ",
                "last_error = NULL WHERE id = $1"
            ),
            invalid: concat!(
                "UPDATE ",
                $table,
                " SET status = 'failed', last_error = $3 ",
                "WHERE id = $1 AND generation <= $2"
            ),
            error: concat!("UPDATE ", $table, " SET last_error = $2 WHERE id = $1"),
        }
    };
}

static ACCOUNTS: ObjectSql = object_sql!("accounts");
static DOMAINS: ObjectSql = object_sql!("domains");
static MAIL_DOMAINS: ObjectSql = object_sql!("mail_domains");
static SITES: ObjectSql = object_sql!("sites");
static CERTIFICATES: ObjectSql = object_sql!("certificates");
static SFTP_ACCOUNTS: ObjectSql = object_sql!("sftp_accounts");
static DATABASES: ObjectSql = object_sql!("databases");
static MAILING_LISTS: ObjectSql = object_sql!("mailing_lists");

/// The tables that carry a reconcile status, by kind: a fixed whitelist.
fn object_table(kind: &str) -> Option<&'static ObjectSql> {
    match kind {
        "account" => Some(&ACCOUNTS),
        "dns_zone" => Some(&DOMAINS),
        "mail_domain" => Some(&MAIL_DOMAINS),
        "site" => Some(&SITES),
        "certificate" => Some(&CERTIFICATES),
        "sftp_account" => Some(&SFTP_ACCOUNTS),
        "database" => Some(&DATABASES),
        "mailing_list" => Some(&MAILING_LISTS),
        _ => None,
    }
}

fn row_from(r: &sqlx::sqlite::SqliteRow) -> Result<QueueRow> {
    Ok(QueueRow {
        kind: r.try_get("kind")?,
        object_id: r.try_get("object_id")?,
        generation: r.try_get("generation")?,
        not_before: r.try_get("not_before")?,
        attempts: r.try_get("attempts")?,
        last_error: r.try_get("last_error")?,
    })
}

impl Tx {
    /// Claims up to `limit` due rows of the given kinds until `lease_until`,
    /// so no other worker applies them meanwhile; a claim that expired (its
    /// worker died) is due again. Run it in a write transaction: on SQLite
    /// `BEGIN IMMEDIATE` serialises claimers. PostgreSQL will need
    /// `SELECT … FOR UPDATE SKIP LOCKED` for the same guarantee without
    /// blocking, and LISTEN/NOTIFY to wake workers of other processes.
    pub async fn claim_due(
        &mut self,
        kinds: &[&str],
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
        holder: &str,
    ) -> Result<Vec<QueueRow>> {
        // The kinds travel as one bound JSON array, never spliced.
        let kinds = serde_json::to_string(kinds).unwrap_or_else(|_| "[]".to_owned());
        let rows = sqlx::query(
            "UPDATE reconcile_queue SET claimed_until = $2, claimed_by = $5 WHERE rowid IN ( \
               SELECT rowid FROM reconcile_queue WHERE not_before <= $1 \
               AND (claimed_until IS NULL OR claimed_until <= $1) \
               AND kind IN (SELECT value FROM json_each($3)) \
               ORDER BY not_before, kind, object_id LIMIT $4) RETURNING *",
        )
        .bind(now)
        .bind(lease_until)
        .bind(kinds)
        .bind(limit)
        .bind(holder)
        .fetch_all(self.conn())
        .await?;
        let mut out = rows.iter().map(row_from).collect::<Result<Vec<_>>>()?;
        out.sort_by(|a, b| {
            (a.not_before, &a.kind, a.object_id).cmp(&(b.not_before, &b.kind, b.object_id))
        });
        Ok(out)
    }

    /// The distinct kinds waiting in the queue.
    pub async fn queued_kinds(&mut self) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT DISTINCT kind FROM reconcile_queue ORDER BY kind")
                .fetch_all(self.conn())
                .await?,
        )
    }

    /// Gives a claimed row back without touching its retry state.
    pub async fn release_claim(&mut self, kind: &str, object_id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE reconcile_queue SET claimed_until = NULL, claimed_by = NULL WHERE kind = $1 AND object_id = $2",
        )
        .bind(kind)
        .bind(object_id)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// The holders of claims still under lease at `now`.
    pub async fn claim_holders(&mut self, now: Timestamp) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT claimed_by FROM reconcile_queue WHERE claimed_until > $1 AND claimed_by IS NOT NULL",
        )
        .bind(now)
        .fetch_all(self.conn())
        .await?)
    }

    /// Releases every claim of `holder` (a worker known to be dead).
    /// Returns how many rows were released.
    pub async fn release_claims_of(&mut self, holder: &str) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE reconcile_queue SET claimed_until = NULL, claimed_by = NULL WHERE claimed_by = $1",
        )
        .bind(holder)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected())
    }

    /// Queues `kind/object_id` unless it is queued already (the periodic
    /// resync must not reset the backoff of a row that keeps failing).
    pub async fn enqueue_if_absent(
        &mut self,
        kind: &str,
        object_id: i64,
        generation: i64,
        now: Timestamp,
    ) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO reconcile_queue (kind, object_id, generation, not_before, enqueued_at) \
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (kind, object_id) DO NOTHING",
        )
        .bind(kind)
        .bind(object_id)
        .bind(generation)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The desired generation of an object, `None` if it is gone (purged) or
    /// its kind has no status table.
    pub async fn object_generation(&mut self, kind: &str, object_id: i64) -> Result<Option<i64>> {
        let Some(table) = object_table(kind) else {
            return Ok(None);
        };
        Ok(sqlx::query_scalar(table.generation)
            .bind(object_id)
            .fetch_optional(self.conn())
            .await?)
    }

    /// Records a successful apply of `generation`. Compare-and-delete: the
    /// queue row goes only if no newer generation was queued meanwhile;
    /// otherwise its claim is released so the newer one is applied next.
    /// Returns whether the row was deleted.
    pub async fn finish_applied(
        &mut self,
        kind: &str,
        object_id: i64,
        generation: i64,
    ) -> Result<bool> {
        let deleted = self.delete_if_current(kind, object_id, generation).await?;
        if let Some(table) = object_table(kind) {
            sqlx::query(table.applied)
                .bind(object_id)
                .bind(generation)
                .execute(self.conn())
                .await?;
        }
        Ok(deleted)
    }

    /// Records that `generation` cannot be applied as asked: the object is
    /// `failed` with `reason` and the row dropped, unless a newer edit came
    /// in meanwhile (it may fix the problem, so it is tried).
    pub async fn finish_invalid(
        &mut self,
        kind: &str,
        object_id: i64,
        generation: i64,
        reason: &str,
    ) -> Result<bool> {
        let deleted = self.delete_if_current(kind, object_id, generation).await?;
        if let Some(table) = object_table(kind) {
            sqlx::query(table.invalid)
                .bind(object_id)
                .bind(generation)
                .bind(reason)
                .execute(self.conn())
                .await?;
        }
        Ok(deleted)
    }

    /// Backs a row off until `not_before` after a failed attempt, keeping
    /// it queued. A row re-queued meanwhile at a newer generation keeps its
    /// fresh retry state. The error is shown on the object too.
    pub async fn retry_later(
        &mut self,
        kind: &str,
        object_id: i64,
        generation: i64,
        not_before: Timestamp,
        error: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE reconcile_queue SET attempts = attempts + 1, not_before = $4, last_error = $5 \
             WHERE kind = $1 AND object_id = $2 AND generation <= $3",
        )
        .bind(kind)
        .bind(object_id)
        .bind(generation)
        .bind(not_before)
        .bind(error)
        .execute(self.conn())
        .await?;
        self.release_claim(kind, object_id).await?;
        if let Some(table) = object_table(kind) {
            sqlx::query(table.error)
                .bind(object_id)
                .bind(error)
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    async fn delete_if_current(
        &mut self,
        kind: &str,
        object_id: i64,
        generation: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM reconcile_queue WHERE kind = $1 AND object_id = $2 AND generation <= $3",
        )
        .bind(kind)
        .bind(object_id)
        .bind(generation)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            self.release_claim(kind, object_id).await?;
        }
        Ok(done.rows_affected() > 0)
    }
}

/// Whether objects of `kind` carry a reconcile status in the store (and so
/// a missing object means it was purged).
pub fn tracks_status(kind: &str) -> bool {
    object_table(kind).is_some()
}
