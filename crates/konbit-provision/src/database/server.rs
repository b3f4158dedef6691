//! What the database provisioner asks of a database server: the same
//! operations on MariaDB ([`super::mariadb`]) and PostgreSQL
//! ([`super::postgres`]).

use konbit_core::database::{DbName, DbRight};
use std::collections::HashMap;
use std::path::Path;

/// One user of a database as it must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredUser {
    pub name: DbName,
    pub right: DbRight,
    /// The engine's own password verifier: MariaDB's `*<40 hex>`
    /// (mysql_native_password), PostgreSQL's `SCRAM-SHA-256$4096:…`.
    /// Konbit never keeps the password itself.
    pub verifier: String,
}

/// A database as it must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredDatabase {
    pub name: DbName,
    pub users: Vec<DesiredUser>,
    /// Over its size limit: every user may only read.
    pub read_only: bool,
}

/// Why an operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DbError {
    /// The server cannot be reached (down, restarting): try again later.
    #[error("{0}")]
    Unreachable(String),
    /// The server refused the operation; its message.
    #[error("{0}")]
    Refused(String),
}

/// A database server Konbit manages members' databases on.
pub trait DbServer: Send + Sync + 'static {
    /// Makes the server hold `db` as desired: creates the database if it
    /// is missing (UTF-8), creates or updates each user (password
    /// verifier, rights: owner = everything inside the database, read
    /// write = rows only, read only = SELECT; all of them SELECT only when
    /// `read_only`), and drops the users that have rights on this
    /// database but are not in `db.users`. Idempotent.
    fn apply(&self, db: &DesiredDatabase) -> impl Future<Output = Result<(), DbError>> + Send;

    /// Writes a dump (plain SQL, mode 0600) of `name` to `to`.
    fn dump(&self, name: &DbName, to: &Path) -> impl Future<Output = Result<(), DbError>> + Send;

    /// Drops `name` and every user that has rights on it. Nothing to drop
    /// is not an error.
    fn drop_database(&self, name: &DbName) -> impl Future<Output = Result<(), DbError>> + Send;

    /// Creates `db` (as [`apply`](Self::apply)) and loads the dump `from`
    /// into it.
    fn restore(
        &self,
        db: &DesiredDatabase,
        from: &Path,
    ) -> impl Future<Output = Result<(), DbError>> + Send;

    /// The size in bytes of every database whose name Konbit could have
    /// made ([`DbName::parse_existing`]).
    fn sizes(&self) -> impl Future<Output = Result<HashMap<String, i64>, DbError>> + Send;

    /// The server's version, for `konbit doctor`.
    fn version(&self) -> impl Future<Output = Result<String, DbError>> + Send;
}
