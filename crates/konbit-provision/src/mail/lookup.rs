//! The mail lookup database, written directly: each domain's rows carry
//! its Konbit id as `owner`, and a write touches only that owner's rows,
//! so a change costs the same whatever the number of domains.
//!
//! Every table of [`LOOKUP_SCHEMA`] is created with `IF NOT EXISTS` each
//! time the file is opened, so a database written before a table existed
//! (`list_routes`, `refused_list_addresses`) gains it on the next open.
//!
//! Besides [`LOOKUP_SCHEMA`], Konbit keeps one table of its own here,
//! `konbit_owners`: which domain name each owner's mail is stored under.
//! It outlives the owner's rows (mail turned off keeps its mail), so that
//! once the domain is purged from the store its mail can still be found and
//! deleted, and a new domain of the same name never inherits it. Postfix
//! and Dovecot never read it.

use super::rows::{LookupRow, LookupRows, MailboxRow};
use super::schema::LOOKUP_SCHEMA;
use crate::ProvisionError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqliteConnection, SqlitePool};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

const OWNERS_SCHEMA: &str = "\
CREATE TABLE IF NOT EXISTS konbit_owners (
  owner INTEGER PRIMARY KEY,
  domain TEXT NOT NULL UNIQUE COLLATE NOCASE
);
";

/// One change to make, in a batch written in one transaction.
#[derive(Debug, Clone, Copy)]
pub enum Op<'a> {
    /// Serve exactly these rows (unless another owner has one of the
    /// names: then nothing is written and the conflict is reported).
    Serve(&'a LookupRows),
    /// Serve nothing for this owner; its `konbit_owners` row stays.
    Stop(i64),
    /// Drop the owner's `konbit_owners` row, once its files are gone.
    Forget(i64),
}

/// A name already taken by another owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub name: String,
    pub owner: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done(Vec<String>),
    Conflicts(Vec<Conflict>),
}

/// What the file holds for an owner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Current {
    /// From `konbit_owners`: where its mail is stored.
    pub domain: Option<String>,
    pub rows: BTreeSet<LookupRow>,
}

#[derive(Clone)]
pub struct LookupDb {
    pool: SqlitePool,
}

fn unavailable(e: impl std::fmt::Display) -> ProvisionError {
    ProvisionError::Fatal(format!("mail lookup database: {e}"))
}

fn transient(e: sqlx::Error) -> ProvisionError {
    match &e {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => {
            ProvisionError::Fatal(format!("mail lookup database: {e}"))
        }
        // Locked or busy past the timeout (a reader holding the WAL, or
        // another writer), and anything else: worth retrying.
        _ => ProvisionError::Transient(format!("mail lookup database: {e}")),
    }
}

/// An insert refused by a constraint is a row of another owner, or a value
/// out of range: nothing a retry changes.
fn insert_error(e: sqlx::Error, row: &LookupRow) -> ProvisionError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => ProvisionError::Invalid {
            reason: format!(
                "{} is already served for another domain ({e})",
                row.describe()
            ),
        },
        sqlx::Error::Database(d) if d.is_check_violation() => ProvisionError::Invalid {
            reason: format!("{} is out of range ({e})", row.describe()),
        },
        _ => transient(e),
    }
}

impl LookupDb {
    /// Opens the file, creating it with the schema if needed, in WAL mode:
    /// Postfix sets no busy timeout, and only WAL lets its lookups read
    /// while Konbit writes.
    pub async fn open(
        path: &Path,
        group: Option<&str>,
        busy_timeout: Duration,
    ) -> Result<Self, ProvisionError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| unavailable(format!("cannot create {}: {e}", dir.display())))?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // A cache of the store: a resync rebuilds it.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(busy_timeout);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|e| unavailable(format!("{}: {e}", path.display())))?;
        for sql in [LOOKUP_SCHEMA, OWNERS_SCHEMA] {
            sqlx::raw_sql(sql)
                .execute(&pool)
                .await
                .map_err(|e| unavailable(format!("{}: {e}", path.display())))?;
        }
        if let Some(group) = group {
            crate::files::share_with_group(path, group, "mail lookup database group")
                .map_err(unavailable)?;
        }
        Ok(Self { pool })
    }

    /// Every owner the file knows, for the resync.
    pub async fn owners(&self) -> Result<Vec<i64>, ProvisionError> {
        sqlx::query_scalar(
            "SELECT owner FROM konbit_owners UNION SELECT owner FROM domains \
             UNION SELECT owner FROM mailboxes UNION SELECT owner FROM list_routes \
             UNION SELECT owner FROM refused_list_addresses ORDER BY 1",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(transient)
    }

    pub async fn current(&self, owner: i64) -> Result<Current, ProvisionError> {
        let mut conn = self.pool.acquire().await.map_err(transient)?;
        read_current(&mut conn, owner).await
    }

    /// Makes every change in one transaction; one outcome per op, in
    /// order. Any error rolls all of them back.
    pub async fn run(&self, ops: &[Op<'_>]) -> Result<Vec<Outcome>, ProvisionError> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(transient)?;
        let mut out = Vec::with_capacity(ops.len());
        for op in ops {
            out.push(match op {
                Op::Serve(rows) => serve(&mut tx, rows).await?,
                Op::Stop(owner) => {
                    let have = read_current(&mut tx, *owner).await?.rows;
                    Outcome::Done(write_diff(&mut tx, *owner, &have, &BTreeSet::new()).await?)
                }
                Op::Forget(owner) => {
                    sqlx::query("DELETE FROM konbit_owners WHERE owner = $1")
                        .bind(owner)
                        .execute(&mut *tx)
                        .await
                        .map_err(transient)?;
                    Outcome::Done(Vec::new())
                }
            });
        }
        tx.commit().await.map_err(transient)?;
        Ok(out)
    }
}

async fn serve(conn: &mut SqliteConnection, rows: &LookupRows) -> Result<Outcome, ProvisionError> {
    let mut conflicts = Vec::new();
    for name in &rows.domains {
        // Another owner's stored mail matters only under the name this
        // one stores its own mail: a domain alias stores none.
        let sql = if *name == rows.domain {
            "SELECT owner FROM domains WHERE name = $1 AND owner != $2 \
             UNION SELECT owner FROM konbit_owners WHERE domain = $1 AND owner != $2"
        } else {
            "SELECT owner FROM domains WHERE name = $1 AND owner != $2"
        };
        let others: Vec<i64> = sqlx::query_scalar(sql)
            .bind(name)
            .bind(rows.owner)
            .fetch_all(&mut *conn)
            .await
            .map_err(transient)?;
        conflicts.extend(others.into_iter().map(|owner| Conflict {
            name: name.clone(),
            owner,
        }));
    }
    if !conflicts.is_empty() {
        return Ok(Outcome::Conflicts(conflicts));
    }
    let current = read_current(&mut *conn, rows.owner).await?;
    let mut changes = write_diff(&mut *conn, rows.owner, &current.rows, &rows.rows()).await?;
    if current.domain.as_deref() != Some(rows.domain.as_str()) {
        sqlx::query(
            "INSERT INTO konbit_owners (owner, domain) VALUES ($1, $2) \
             ON CONFLICT (owner) DO UPDATE SET domain = excluded.domain",
        )
        .bind(rows.owner)
        .bind(&rows.domain)
        .execute(&mut *conn)
        .await
        .map_err(transient)?;
        changes.insert(
            0,
            format!("mail of {} is stored under its name", rows.domain),
        );
    }
    Ok(Outcome::Done(changes))
}

/// Turns `have` into `want` row by row: unchanged rows are not touched,
/// so a resync that finds nothing to do writes nothing.
async fn write_diff(
    conn: &mut SqliteConnection,
    owner: i64,
    have: &BTreeSet<LookupRow>,
    want: &BTreeSet<LookupRow>,
) -> Result<Vec<String>, ProvisionError> {
    let mut changes = Vec::new();
    // Deletes first: a mailbox whose settings changed is deleted, then
    // inserted again under the same address.
    for row in have.difference(want) {
        let q = match row {
            LookupRow::Domain(name) => {
                sqlx::query("DELETE FROM domains WHERE owner = $1 AND name = $2")
                    .bind(owner)
                    .bind(name)
            }
            LookupRow::Mailbox(m) => {
                sqlx::query("DELETE FROM mailboxes WHERE owner = $1 AND address = $2")
                    .bind(owner)
                    .bind(&m.address)
            }
            LookupRow::Alias {
                source,
                destination,
            } => sqlx::query(
                "DELETE FROM aliases WHERE owner = $1 AND source = $2 AND destination = $3",
            )
            .bind(owner)
            .bind(source)
            .bind(destination),
            LookupRow::SenderLogin { address, login } => sqlx::query(
                "DELETE FROM sender_logins WHERE owner = $1 AND address = $2 AND login = $3",
            )
            .bind(owner)
            .bind(address)
            .bind(login),
            LookupRow::ListRoute(address) => {
                sqlx::query("DELETE FROM list_routes WHERE owner = $1 AND address = $2")
                    .bind(owner)
                    .bind(address)
            }
            LookupRow::RefusedListAddress(address) => {
                sqlx::query("DELETE FROM refused_list_addresses WHERE owner = $1 AND address = $2")
                    .bind(owner)
                    .bind(address)
            }
        };
        q.execute(&mut *conn).await.map_err(transient)?;
        changes.push(format!("- {}", row.describe()));
    }
    for row in want.difference(have) {
        insert(&mut *conn, owner, row)
            .await
            .map_err(|e| insert_error(e, row))?;
        changes.push(format!("+ {}", row.describe()));
    }
    Ok(changes)
}

async fn insert(
    conn: &mut SqliteConnection,
    owner: i64,
    row: &LookupRow,
) -> Result<(), sqlx::Error> {
    let q = match row {
        LookupRow::Domain(name) => sqlx::query("INSERT INTO domains (name, owner) VALUES ($1, $2)")
            .bind(name)
            .bind(owner),
        LookupRow::Mailbox(m) => sqlx::query(
            "INSERT INTO mailboxes (address, owner, password_hash, quota_bytes, enabled, maildir) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&m.address)
        .bind(owner)
        .bind(&m.password_hash)
        .bind(m.quota_bytes)
        .bind(m.enabled)
        .bind(&m.maildir),
        LookupRow::Alias {
            source,
            destination,
        } => sqlx::query("INSERT INTO aliases (source, owner, destination) VALUES ($1, $2, $3)")
            .bind(source)
            .bind(owner)
            .bind(destination),
        LookupRow::SenderLogin { address, login } => {
            sqlx::query("INSERT INTO sender_logins (address, owner, login) VALUES ($1, $2, $3)")
                .bind(address)
                .bind(owner)
                .bind(login)
        }
        LookupRow::ListRoute(address) => {
            sqlx::query("INSERT INTO list_routes (address, owner) VALUES ($1, $2)")
                .bind(address)
                .bind(owner)
        }
        LookupRow::RefusedListAddress(address) => {
            sqlx::query("INSERT INTO refused_list_addresses (address, owner) VALUES ($1, $2)")
                .bind(address)
                .bind(owner)
        }
    };
    q.execute(&mut *conn).await.map(|_| ())
}

async fn read_current(conn: &mut SqliteConnection, owner: i64) -> Result<Current, ProvisionError> {
    let domain: Option<String> =
        sqlx::query_scalar("SELECT domain FROM konbit_owners WHERE owner = $1")
            .bind(owner)
            .fetch_optional(&mut *conn)
            .await
            .map_err(transient)?;
    let mut rows = BTreeSet::new();
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM domains WHERE owner = $1")
        .bind(owner)
        .fetch_all(&mut *conn)
        .await
        .map_err(transient)?;
    rows.extend(names.into_iter().map(LookupRow::Domain));
    let boxes = sqlx::query(
        "SELECT address, password_hash, quota_bytes, enabled, maildir FROM mailboxes WHERE owner = $1",
    )
    .bind(owner)
    .fetch_all(&mut *conn)
    .await
    .map_err(transient)?;
    for r in &boxes {
        rows.insert(LookupRow::Mailbox(MailboxRow {
            address: r.try_get("address").map_err(transient)?,
            password_hash: r.try_get("password_hash").map_err(transient)?,
            quota_bytes: r.try_get("quota_bytes").map_err(transient)?,
            enabled: r.try_get("enabled").map_err(transient)?,
            maildir: r.try_get("maildir").map_err(transient)?,
        }));
    }
    let pairs = |sql: &'static str| sqlx::query_as::<_, (String, String)>(sql).bind(owner);
    let aliases = pairs("SELECT source, destination FROM aliases WHERE owner = $1")
        .fetch_all(&mut *conn)
        .await
        .map_err(transient)?;
    rows.extend(
        aliases
            .into_iter()
            .map(|(source, destination)| LookupRow::Alias {
                source,
                destination,
            }),
    );
    let logins = pairs("SELECT address, login FROM sender_logins WHERE owner = $1")
        .fetch_all(&mut *conn)
        .await
        .map_err(transient)?;
    rows.extend(
        logins
            .into_iter()
            .map(|(address, login)| LookupRow::SenderLogin { address, login }),
    );
    let lists: Vec<String> = sqlx::query_scalar("SELECT address FROM list_routes WHERE owner = $1")
        .bind(owner)
        .fetch_all(&mut *conn)
        .await
        .map_err(transient)?;
    rows.extend(lists.into_iter().map(LookupRow::ListRoute));
    let refused: Vec<String> =
        sqlx::query_scalar("SELECT address FROM refused_list_addresses WHERE owner = $1")
            .bind(owner)
            .fetch_all(&mut *conn)
            .await
            .map_err(transient)?;
    rows.extend(refused.into_iter().map(LookupRow::RefusedListAddress));
    Ok(Current { domain, rows })
}
