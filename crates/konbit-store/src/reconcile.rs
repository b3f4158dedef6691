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
    /// generation replaces an older one and resets the retry state.
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
             not_before = excluded.not_before, attempts = 0, last_error = NULL, claimed_until = NULL",
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
        rows.iter()
            .map(|r| {
                Ok(QueueRow {
                    kind: r.try_get("kind")?,
                    object_id: r.try_get("object_id")?,
                    generation: r.try_get("generation")?,
                    not_before: r.try_get("not_before")?,
                    attempts: r.try_get("attempts")?,
                    last_error: r.try_get("last_error")?,
                })
            })
            .collect()
    }
}
