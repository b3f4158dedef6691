//! Members' databases and their users.

use crate::{Result, StoreError, Tx};
use konbit_core::database::{DbEngine, DbName, DbRight};
use konbit_core::model::{
    AccountId, Database, DatabaseId, DatabaseUser, DatabaseUserId, ObjectStatus, ProvisionState,
    Timestamp,
};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

/// Everything the database provisioner needs for one database.
#[derive(Debug, Clone)]
pub struct DatabaseSource {
    pub database: Database,
    /// Each user with its stored verifier.
    pub users: Vec<(DatabaseUser, String)>,
    /// Its account is soft-deleted: the database must not be reachable.
    pub parent_deleted: bool,
}

fn engine_from(row: &SqliteRow) -> Result<DbEngine> {
    let engine: String = row.try_get("engine")?;
    DbEngine::parse("engine", &engine).map_err(StoreError::from)
}

fn name_from(row: &SqliteRow) -> Result<DbName> {
    let name: String = row.try_get("name")?;
    DbName::parse_existing(&name).map_err(StoreError::Unreadable)
}

fn from_row(row: &SqliteRow) -> Result<Database> {
    let status: String = row.try_get("status")?;
    Ok(Database {
        id: DatabaseId(row.try_get("id")?),
        account_id: AccountId(row.try_get("account_id")?),
        engine: engine_from(row)?,
        name: name_from(row)?,
        size_bytes: row.try_get("size_bytes")?,
        size_measured_at: row.try_get("size_measured_at")?,
        read_only: row.try_get("read_only")?,
        deleted_at: row.try_get("deleted_at")?,
        purge_after: row.try_get("purge_after")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        provision: ProvisionState {
            status: ObjectStatus::from_db(&status),
            generation: row.try_get("generation")?,
            applied_generation: row.try_get("applied_generation")?,
            last_error: row.try_get("last_error")?,
        },
    })
}

fn user_from(row: &SqliteRow) -> Result<DatabaseUser> {
    let rights: String = row.try_get("rights")?;
    Ok(DatabaseUser {
        id: DatabaseUserId(row.try_get("id")?),
        database_id: DatabaseId(row.try_get("database_id")?),
        name: name_from(row)?,
        right: DbRight::from_stored(&rights)
            .ok_or_else(|| StoreError::Unreadable(format!("unknown rights {rights:?}")))?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Tx {
    pub async fn insert_database(
        &mut self,
        account: AccountId,
        engine: DbEngine,
        name: &DbName,
        now: Timestamp,
    ) -> Result<DatabaseId> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO databases (account_id, engine, name, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(account.0)
        .bind(engine.as_str())
        .bind(name.as_str())
        .bind(now)
        .fetch_one(self.conn())
        .await?;
        Ok(DatabaseId(id))
    }

    pub async fn insert_database_user(
        &mut self,
        database: &Database,
        name: &DbName,
        right: DbRight,
        verifier: &str,
        now: Timestamp,
    ) -> Result<DatabaseUserId> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO database_users (database_id, engine, name, rights, verifier, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(database.id.0)
        .bind(database.engine.as_str())
        .bind(name.as_str())
        .bind(right.as_str())
        .bind(verifier)
        .bind(now)
        .fetch_one(self.conn())
        .await?;
        Ok(DatabaseUserId(id))
    }

    pub async fn set_database_user_verifier(
        &mut self,
        id: DatabaseUserId,
        verifier: &str,
        now: Timestamp,
    ) -> Result<()> {
        let done =
            sqlx::query("UPDATE database_users SET verifier = $2, updated_at = $3 WHERE id = $1")
                .bind(id.0)
                .bind(verifier)
                .bind(now)
                .execute(self.conn())
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn delete_database_user(&mut self, id: DatabaseUserId) -> Result<()> {
        let done = sqlx::query("DELETE FROM database_users WHERE id = $1")
            .bind(id.0)
            .execute(self.conn())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Whether `name` is a database or a user of `engine` already.
    pub async fn database_name_taken(&mut self, engine: DbEngine, name: &DbName) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM databases WHERE engine = $1 AND name = $2) + \
             (SELECT COUNT(*) FROM database_users WHERE engine = $1 AND name = $2)",
        )
        .bind(engine.as_str())
        .bind(name.as_str())
        .fetch_one(self.conn())
        .await?;
        Ok(n > 0)
    }

    /// Raises a database's generation, so it is applied again.
    pub async fn bump_database(&mut self, id: DatabaseId, now: Timestamp) -> Result<i64> {
        sqlx::query_scalar(
            "UPDATE databases SET updated_at = $2, generation = generation + 1, status = 'pending' \
             WHERE id = $1 RETURNING generation",
        )
        .bind(id.0)
        .bind(now)
        .fetch_optional(self.conn())
        .await?
        .ok_or(StoreError::NotFound)
    }

    pub async fn set_database_deleted(
        &mut self,
        id: DatabaseId,
        deleted_at: Option<Timestamp>,
        purge_after: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<i64> {
        sqlx::query_scalar(
            "UPDATE databases SET deleted_at = $2, purge_after = $3, updated_at = $4, \
             generation = generation + 1, status = 'pending' WHERE id = $1 RETURNING generation",
        )
        .bind(id.0)
        .bind(deleted_at)
        .bind(purge_after)
        .bind(now)
        .fetch_optional(self.conn())
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Records a measured size; when `read_only` changes the database is
    /// queued again (returns its new generation).
    pub async fn set_database_size(
        &mut self,
        id: DatabaseId,
        bytes: i64,
        read_only: bool,
        now: Timestamp,
    ) -> Result<Option<i64>> {
        let changed: Option<i64> = sqlx::query_scalar(
            "UPDATE databases SET size_bytes = $2, size_measured_at = $4, read_only = $3, \
             generation = generation + (read_only <> $3), \
             status = CASE WHEN read_only <> $3 THEN 'pending' ELSE status END \
             WHERE id = $1 RETURNING CASE WHEN generation > applied_generation THEN generation END",
        )
        .bind(id.0)
        .bind(bytes)
        .bind(read_only)
        .bind(now)
        .fetch_optional(self.conn())
        .await?
        .flatten();
        Ok(changed)
    }

    pub async fn database(&mut self, id: DatabaseId) -> Result<Database> {
        let row = sqlx::query("SELECT * FROM databases WHERE id = $1")
            .bind(id.0)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(&row)
    }

    pub async fn database_by_name(
        &mut self,
        engine: DbEngine,
        name: &str,
    ) -> Result<Option<Database>> {
        let row = sqlx::query("SELECT * FROM databases WHERE engine = $1 AND name = $2")
            .bind(engine.as_str())
            .bind(name)
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// By name; `accounts`: only theirs (`None`: every account).
    pub async fn databases(
        &mut self,
        accounts: Option<&[AccountId]>,
        deleted: bool,
    ) -> Result<Vec<Database>> {
        let accounts = accounts
            .map(|a| serde_json::to_string(&a.iter().map(|a| a.0).collect::<Vec<_>>()))
            .transpose()
            .map_err(|e| StoreError::Unreadable(e.to_string()))?;
        let rows = sqlx::query(
            "SELECT * FROM databases WHERE ($1 IS NULL OR account_id IN \
             (SELECT value FROM json_each($1))) AND ((deleted_at IS NOT NULL) = $2) \
             ORDER BY name, engine",
        )
        .bind(accounts)
        .bind(deleted)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(from_row).collect()
    }

    pub async fn database_users(&mut self, database: DatabaseId) -> Result<Vec<DatabaseUser>> {
        let rows = sqlx::query(
            "SELECT * FROM database_users WHERE database_id = $1 \
             ORDER BY rights = 'owner' DESC, name",
        )
        .bind(database.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(user_from).collect()
    }

    pub async fn database_user(&mut self, id: DatabaseUserId) -> Result<DatabaseUser> {
        let row = sqlx::query("SELECT * FROM database_users WHERE id = $1")
            .bind(id.0)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        user_from(&row)
    }

    /// Databases of an account that are not deleted.
    pub async fn count_databases(&mut self, account: AccountId) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM databases WHERE account_id = $1 AND deleted_at IS NULL",
        )
        .bind(account.0)
        .fetch_one(self.conn())
        .await?)
    }

    pub async fn database_ids_of_account(&mut self, account: AccountId) -> Result<Vec<DatabaseId>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM databases WHERE account_id = $1 ORDER BY id")
                .bind(account.0)
                .fetch_all(self.conn())
                .await?;
        Ok(ids.into_iter().map(DatabaseId).collect())
    }

    /// Every database that is not deleted, for the size measurement.
    pub async fn live_databases(&mut self) -> Result<Vec<Database>> {
        let rows = sqlx::query("SELECT * FROM databases WHERE deleted_at IS NULL ORDER BY id")
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(from_row).collect()
    }

    pub async fn database_source(&mut self, id: DatabaseId) -> Result<DatabaseSource> {
        let row = sqlx::query(
            "SELECT d.*, (a.deleted_at IS NOT NULL) AS parent_deleted FROM databases d \
             JOIN accounts a ON a.id = d.account_id WHERE d.id = $1",
        )
        .bind(id.0)
        .fetch_optional(self.conn())
        .await?
        .ok_or(StoreError::NotFound)?;
        let database = from_row(&row)?;
        let parent_deleted: bool = row.try_get("parent_deleted")?;
        let rows = sqlx::query(
            "SELECT * FROM database_users WHERE database_id = $1 ORDER BY rights = 'owner' DESC, name",
        )
        .bind(id.0)
        .fetch_all(self.conn())
        .await?;
        let users = rows
            .iter()
            .map(|r| Ok((user_from(r)?, r.try_get::<String, _>("verifier")?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(DatabaseSource {
            database,
            users,
            parent_deleted,
        })
    }

    pub async fn databases_due_for_purge(&mut self, now: Timestamp) -> Result<Vec<DatabaseId>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM databases WHERE purge_after IS NOT NULL AND purge_after <= $1 ORDER BY id",
        )
        .bind(now)
        .fetch_all(self.conn())
        .await?;
        Ok(ids.into_iter().map(DatabaseId).collect())
    }

    /// Removes a database's row and its users' for good.
    pub async fn purge_database(&mut self, id: DatabaseId) -> Result<()> {
        sqlx::query("DELETE FROM databases WHERE id = $1")
            .bind(id.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }
}
