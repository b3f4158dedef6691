//! The state store: Konbit's desired state, sessions, tokens, the audit log
//! and the reconcile queue, in SQLite through sqlx. All SQL lives in this
//! crate. Every change goes through one `Tx`, so a change, its audit entry and
//! its queue row commit together or not at all.

mod account;
mod audit;
mod database;
mod domain;
mod error;
mod governance;
mod list;
mod list_confirmation;
mod mail;
mod quota_profile;
mod reconcile;
mod session;
mod sftp;
mod site;
mod token;
mod two_factor;
mod user;

pub use account::{AccountFilter, NewAccount};
pub use audit::{AuditEntry, AuditFilter, ChainReport, NewAuditEntry};
pub use database::DatabaseSource;
pub use domain::{
    ChildZone, DnssecKeyRow, DomainFilter, NewDomain, NewRecord, ZoneSource, reversed_name,
};
pub use error::StoreError;
pub use governance::{NewDecision, NewProposal, Recipient, VoteLinkRow};
pub use list::ListFilter;
pub use list_confirmation::{ListConfirmationRow, NewListConfirmation};
pub use mail::{AutoreplyRow, DkimKeyRow, MailDomainSource, MailFilter, NewMailbox, ServedMailbox};
pub use quota_profile::NewQuotaProfile;
pub use reconcile::{QueueRow, tracks_status};
pub use session::{NewSessionRow, SessionListing, SessionRow};
pub use sftp::ServedSftpAccount;
pub use site::{SiteFields, SiteFilter, SiteSource};
pub use token::{NewToken, TokenAuth};
pub use two_factor::{PasswordResetRow, TwoFactorRow};
pub use user::{NewUser, UserAuth};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A handle on the state database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (and creates if needed) the SQLite file at `path`.
    pub async fn open(path: &Path) -> Result<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        Self::connect(options).await
    }

    /// Opens a database from a `sqlite:` URL.
    pub async fn open_url(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        Self::connect(options).await
    }

    async fn connect(options: SqliteConnectOptions) -> Result<Self> {
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }

    /// Applies every pending migration, then chains the audit entries
    /// written before the audit chain existed (once). Safe to run again.
    pub async fn migrate(&self) -> Result<()> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))?;
        let mut tx = self.write().await?;
        let chained = tx.backfill_audit_chain().await?;
        tx.commit().await?;
        if chained > 0 {
            tracing::info!(chained, "chained the existing audit entries");
        }
        Ok(())
    }

    /// Number of migrations applied and known, for `konbit migrate` output.
    pub async fn migration_status(&self) -> Result<(usize, usize)> {
        let applied: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = 1")
                .fetch_one(&self.pool)
                .await
                .unwrap_or(0);
        Ok((
            usize::try_from(applied).unwrap_or(0),
            MIGRATOR.iter().count(),
        ))
    }

    /// A write transaction. `BEGIN IMMEDIATE` takes the write lock up front,
    /// so a read-then-write never fails halfway with SQLITE_BUSY.
    pub async fn write(&self) -> Result<Tx> {
        Ok(Tx {
            inner: self.pool.begin_with("BEGIN IMMEDIATE").await?,
        })
    }

    /// A read transaction: a consistent snapshot for a page or an API answer.
    pub async fn read(&self) -> Result<Tx> {
        Ok(Tx {
            inner: self.pool.begin().await?,
        })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// One transaction. Methods are grouped by entity in this crate's modules.
pub struct Tx {
    inner: Transaction<'static, Sqlite>,
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        Ok(self.inner.commit().await?)
    }

    fn conn(&mut self) -> &mut sqlx::SqliteConnection {
        &mut self.inner
    }
}

/// Converts a stored integer to the unsigned form the core uses.
fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;
