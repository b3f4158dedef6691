//! PowerDNS's own gsqlite3 database, written directly: one transaction per
//! zone, touching only that zone's rows, so the cost of a change does not
//! depend on how many zones there are. PowerDNS reads the file with every
//! cache TTL at 0, so a committed change is served on the next query.
//!
//! Konbit's state never goes into this file. The one thing Konbit marks is
//! the `account` column of the zones it owns (`konbit:<id>`), so a zone can
//! be found and removed after its domain is purged, and zones made by hand
//! are left alone.

use crate::ProvisionError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where Debian's `pdns-backend-sqlite3` ships the schema. Konbit reads it
/// from there rather than carrying a copy.
pub const DEBIAN_SCHEMA: &str = "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql";

/// One row of the `records` table, as Konbit wants it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PdnsRow {
    pub name: String,
    /// `None` for an empty non-terminal (a rectify row).
    pub rtype: Option<String>,
    pub content: Option<String>,
    pub ttl: Option<i64>,
    pub prio: i64,
    pub ordername: Option<String>,
    pub auth: bool,
}

impl PdnsRow {
    /// The row as a line of a dry run or a log.
    pub fn describe(&self) -> String {
        match (&self.rtype, &self.content) {
            (Some(t), Some(c)) => format!(
                "{} {} {t} {}{c}",
                self.name,
                self.ttl.unwrap_or_default(),
                if self.prio != 0 && matches!(t.as_str(), "MX" | "SRV") {
                    format!("{} ", self.prio)
                } else {
                    String::new()
                }
            ),
            _ => format!("{} (empty non-terminal)", self.name),
        }
    }
}

/// The signing key row PowerDNS reads from `cryptokeys`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdnsKey {
    pub flags: i64,
    /// The private key in BIND's text format.
    pub content: String,
}

/// A zone as PowerDNS must serve it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdnsZone {
    pub name: String,
    pub konbit_id: i64,
    pub rows: Vec<PdnsRow>,
    pub key: Option<PdnsKey>,
}

#[derive(Clone)]
pub struct PdnsDatabase {
    pool: SqlitePool,
    path: PathBuf,
}

fn unavailable(e: impl std::fmt::Display) -> ProvisionError {
    ProvisionError::Fatal(format!("PowerDNS database: {e}"))
}

fn transient(e: sqlx::Error) -> ProvisionError {
    match &e {
        // Locked or busy past the timeout: PowerDNS or another writer holds it.
        sqlx::Error::Database(d)
            if d.message().contains("locked") || d.message().contains("busy") =>
        {
            ProvisionError::Transient(format!("PowerDNS database: {e}"))
        }
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => {
            ProvisionError::Fatal(format!("PowerDNS database: {e}"))
        }
        _ => ProvisionError::Transient(format!("PowerDNS database: {e}")),
    }
}

fn tag(konbit_id: i64) -> String {
    format!("konbit:{konbit_id}")
}

impl PdnsDatabase {
    /// Opens (creating if needed, with the schema) PowerDNS's database in
    /// WAL mode.
    pub async fn open(target: &super::PdnsTarget) -> Result<Self, ProvisionError> {
        let path = target.database.as_path();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| unavailable(format!("cannot create {}: {e}", dir.display())))?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // The file is a cache of Konbit's state: a resync rebuilds it,
            // so NORMAL (durable at checkpoints) is enough.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(target.busy_timeout);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(unavailable)?;
        let db = Self {
            pool,
            path: path.to_owned(),
        };
        db.ensure_schema(&target.schema).await?;
        if let Some(group) = &target.group {
            crate::files::share_with_group(path, group, "dns.pdns_group").map_err(unavailable)?;
        }
        Ok(db)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn ensure_schema(&self, schema: &Path) -> Result<(), ProvisionError> {
        let exists: Option<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'records'",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        if exists.is_none() {
            let sql = std::fs::read_to_string(schema).map_err(|e| {
                unavailable(format!(
                    "cannot read the schema {} ({e}); install pdns-backend-sqlite3",
                    schema.display()
                ))
            })?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&self.pool)
                .await
                .map_err(unavailable)?;
        }
        // Konbit finds its zones by their `account` mark; without an index
        // each lookup reads every zone, and a resync would be quadratic.
        // An extra index changes nothing for PowerDNS.
        sqlx::query("CREATE INDEX IF NOT EXISTS konbit_account_idx ON domains(account)")
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// The Konbit ids of the zones Konbit owns in the file.
    pub async fn zone_ids(&self) -> Result<Vec<i64>, ProvisionError> {
        let tags: Vec<String> =
            sqlx::query_scalar("SELECT account FROM domains WHERE account LIKE 'konbit:%'")
                .fetch_all(&self.pool)
                .await
                .map_err(transient)?;
        Ok(tags
            .iter()
            .filter_map(|t| t.strip_prefix("konbit:")?.parse().ok())
            .collect())
    }

    /// What the file holds for a zone now: its rows and key.
    pub async fn current(&self, konbit_id: i64) -> Result<Option<PdnsZone>, ProvisionError> {
        let mut conn = self.pool.acquire().await.map_err(transient)?;
        read_zone(&mut conn, konbit_id).await
    }

    /// Makes the file serve `zone` exactly; returns what changed.
    pub async fn write_zone(&self, zone: &PdnsZone) -> Result<Vec<String>, ProvisionError> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(transient)?;
        let changes = write_zone_in(&mut tx, zone).await?;
        tx.commit().await.map_err(transient)?;
        Ok(changes)
    }

    /// Writes several zones in one transaction (a resync): all of them or,
    /// on an error, none.
    pub async fn write_zones(
        &self,
        zones: &[&PdnsZone],
    ) -> Result<Vec<Vec<String>>, ProvisionError> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(transient)?;
        let mut out = Vec::with_capacity(zones.len());
        for zone in zones {
            out.push(write_zone_in(&mut tx, zone).await?);
        }
        tx.commit().await.map_err(transient)?;
        Ok(out)
    }

    /// Stops serving the zone Konbit made for `konbit_id`, if any.
    pub async fn remove_zone(&self, konbit_id: i64) -> Result<Vec<String>, ProvisionError> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(transient)?;
        let names = delete_tagged(&mut tx, konbit_id).await?;
        tx.commit().await.map_err(transient)?;
        Ok(names
            .into_iter()
            .map(|n| format!("zone {n} removed"))
            .collect())
    }

    /// Whether the file can be read (for `konbit doctor`).
    pub async fn ping(&self) -> Result<i64, ProvisionError> {
        sqlx::query_scalar("SELECT COUNT(*) FROM domains")
            .fetch_one(&self.pool)
            .await
            .map_err(transient)
    }
}

/// Makes one zone exactly as wanted, inside the caller's transaction.
async fn write_zone_in(
    conn: &mut sqlx::SqliteConnection,
    zone: &PdnsZone,
) -> Result<Vec<String>, ProvisionError> {
    let mut changes = Vec::new();
    // The zone row: by name, since PowerDNS keys on it. A zone of the
    // same name made by hand or by an older Konbit id is taken over.
    let found = sqlx::query("SELECT id, account FROM domains WHERE name = $1")
        .bind(&zone.name)
        .fetch_optional(&mut *conn)
        .await
        .map_err(transient)?;
    let domain_id: i64 = match found {
        Some(row) => {
            let id: i64 = row.try_get("id").map_err(transient)?;
            let account: Option<String> = row.try_get("account").map_err(transient)?;
            if account.as_deref() != Some(tag(zone.konbit_id).as_str()) {
                sqlx::query("UPDATE domains SET account = $2, type = 'NATIVE' WHERE id = $1")
                    .bind(id)
                    .bind(tag(zone.konbit_id))
                    .execute(&mut *conn)
                    .await
                    .map_err(transient)?;
                changes.push(format!("zone {} taken over", zone.name));
            }
            id
        }
        None => {
            // A renamed zone of the same Konbit id cannot exist (names
            // never change), but a stale row under this tag would
            // confuse `zone_ids`: drop it first.
            delete_tagged(&mut *conn, zone.konbit_id).await?;
            changes.push(format!("zone {} created", zone.name));
            sqlx::query_scalar(
                "INSERT INTO domains (name, type, account) VALUES ($1, 'NATIVE', $2) RETURNING id",
            )
            .bind(&zone.name)
            .bind(tag(zone.konbit_id))
            .fetch_one(&mut *conn)
            .await
            .map_err(transient)?
        }
    };
    let existing = read_rows(&mut *conn, domain_id).await?;
    let want: BTreeSet<&PdnsRow> = zone.rows.iter().collect();
    let have: BTreeSet<&PdnsRow> = existing.iter().map(|(_, r)| r).collect();
    for (rowid, row) in &existing {
        if !want.contains(row) {
            sqlx::query("DELETE FROM records WHERE id = $1")
                .bind(rowid)
                .execute(&mut *conn)
                .await
                .map_err(transient)?;
            changes.push(format!("- {}", row.describe()));
        }
    }
    for row in &zone.rows {
        if have.contains(row) {
            continue;
        }
        sqlx::query(
                "INSERT INTO records (domain_id, name, type, content, ttl, prio, disabled, ordername, auth) \
                 VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8)",
            )
            .bind(domain_id)
            .bind(&row.name)
            .bind(&row.rtype)
            .bind(&row.content)
            .bind(row.ttl)
            .bind(row.prio)
            .bind(&row.ordername)
            .bind(row.auth)
            .execute(&mut *conn)
            .await
            .map_err(transient)?;
        changes.push(format!("+ {}", row.describe()));
    }
    changes.extend(write_key(&mut *conn, domain_id, zone.key.as_ref()).await?);
    Ok(changes)
}

async fn read_zone(
    conn: &mut sqlx::SqliteConnection,
    konbit_id: i64,
) -> Result<Option<PdnsZone>, ProvisionError> {
    let row = sqlx::query("SELECT id, name FROM domains WHERE account = $1")
        .bind(tag(konbit_id))
        .fetch_optional(&mut *conn)
        .await
        .map_err(transient)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let domain_id: i64 = row.try_get("id").map_err(transient)?;
    let name: String = row.try_get("name").map_err(transient)?;
    let mut rows: Vec<PdnsRow> = read_rows(conn, domain_id)
        .await?
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    rows.sort();
    let key = sqlx::query(
        "SELECT flags, content FROM cryptokeys WHERE domain_id = $1 ORDER BY id LIMIT 1",
    )
    .bind(domain_id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(transient)?
    .map(|r| -> Result<PdnsKey, ProvisionError> {
        Ok(PdnsKey {
            flags: r.try_get("flags").map_err(transient)?,
            content: r.try_get("content").map_err(transient)?,
        })
    })
    .transpose()?;
    Ok(Some(PdnsZone {
        name,
        konbit_id,
        rows,
        key,
    }))
}

async fn read_rows(
    conn: &mut sqlx::SqliteConnection,
    domain_id: i64,
) -> Result<Vec<(i64, PdnsRow)>, ProvisionError> {
    let rows = sqlx::query(
        "SELECT id, name, type, content, ttl, prio, ordername, auth FROM records WHERE domain_id = $1",
    )
    .bind(domain_id)
    .fetch_all(&mut *conn)
    .await
    .map_err(transient)?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                PdnsRow {
                    name: r.try_get("name")?,
                    rtype: r.try_get("type")?,
                    content: r.try_get("content")?,
                    ttl: r.try_get("ttl")?,
                    prio: r.try_get::<Option<i64>, _>("prio")?.unwrap_or_default(),
                    ordername: r.try_get("ordername")?,
                    auth: r.try_get::<Option<bool>, _>("auth")?.unwrap_or(true),
                },
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(transient)
}

/// One active, published CSK, or none.
async fn write_key(
    conn: &mut sqlx::SqliteConnection,
    domain_id: i64,
    key: Option<&PdnsKey>,
) -> Result<Vec<String>, ProvisionError> {
    let existing = sqlx::query(
        "SELECT id, flags, active, published, content FROM cryptokeys WHERE domain_id = $1",
    )
    .bind(domain_id)
    .fetch_all(&mut *conn)
    .await
    .map_err(transient)?;
    let mut keep = false;
    let mut changes = Vec::new();
    for row in &existing {
        let id: i64 = row.try_get("id").map_err(transient)?;
        let flags: i64 = row.try_get("flags").map_err(transient)?;
        let active: bool = row.try_get("active").map_err(transient)?;
        let published: Option<bool> = row.try_get("published").map_err(transient)?;
        let content: String = row.try_get("content").map_err(transient)?;
        let wanted = key.is_some_and(|k| k.flags == flags && k.content == content)
            && active
            && published.unwrap_or(true)
            && !keep;
        if wanted {
            keep = true;
        } else {
            sqlx::query("DELETE FROM cryptokeys WHERE id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(transient)?;
            changes.push("signing key removed".to_owned());
        }
    }
    if let (Some(k), false) = (key, keep) {
        sqlx::query(
            "INSERT INTO cryptokeys (domain_id, flags, active, published, content) VALUES ($1, $2, 1, 1, $3)",
        )
        .bind(domain_id)
        .bind(k.flags)
        .bind(&k.content)
        .execute(&mut *conn)
        .await
        .map_err(transient)?;
        changes.push("signing key installed".to_owned());
    }
    Ok(changes)
}

/// Deletes every zone tagged with `konbit_id`; returns their names.
async fn delete_tagged(
    conn: &mut sqlx::SqliteConnection,
    konbit_id: i64,
) -> Result<Vec<String>, ProvisionError> {
    let rows = sqlx::query("SELECT id, name FROM domains WHERE account = $1")
        .bind(tag(konbit_id))
        .fetch_all(&mut *conn)
        .await
        .map_err(transient)?;
    let mut names = Vec::new();
    for row in rows {
        let id: i64 = row.try_get("id").map_err(transient)?;
        names.push(row.try_get::<String, _>("name").map_err(transient)?);
        for sql in [
            "DELETE FROM records WHERE domain_id = $1",
            "DELETE FROM cryptokeys WHERE domain_id = $1",
            "DELETE FROM domainmetadata WHERE domain_id = $1",
            "DELETE FROM comments WHERE domain_id = $1",
            "DELETE FROM domains WHERE id = $1",
        ] {
            sqlx::query(sql)
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(transient)?;
        }
    }
    Ok(names)
}
