//! Members' databases on MariaDB, managed over an administrator's
//! connection (root over the Unix socket by default).
//!
//! - Each user exists twice, as `'name'@'localhost'` (socket) and
//!   `'name'@'127.0.0.1'` (TCP), identified by its `mysql_native_password`
//!   hash (`IDENTIFIED BY PASSWORD '*…'`): Konbit never sees the password.
//! - Rights are database-level only: the owner gets `ALL PRIVILEGES` on
//!   its database (never `GRANT OPTION`, never a global privilege), a read
//!   and write user `SELECT, INSERT, UPDATE, DELETE`, a read-only user
//!   `SELECT`; a database over its limit gives everyone `SELECT` only, and
//!   the sessions of the users whose rights changed are ended (MariaDB
//!   keeps a session's database rights until it changes database).
//! - In `GRANT … ON db.*` the database name is a pattern in which `_` is a
//!   wildcard: `a_b` would also cover `axb`, another account's database,
//!   and let the owner `CREATE DATABASE axb`. Grants therefore name the
//!   database with `\_`.
//! - MariaDB takes no bound parameters in `CREATE USER`, `GRANT` and
//!   friends: names come only from [`DbName`] (checked again with
//!   [`DbName::parse_existing`] when read from the server), verifiers are
//!   checked with [`is_mysql_native`], and literals are escaped anyway.
//!   Queries that only read take bound parameters.
//! - A user that already exists with rights outside its database (a global
//!   privilege, another database, a role) was not made by Konbit: `apply`
//!   refuses to take it over rather than change its password.
//! - Dumps and restores run `mariadb-dump` and `mariadb` as the
//!   administrator, with an argument vector (never a shell), the password
//!   (if any) in the environment, stdin or stdout on the dump file, and a
//!   time limit.

use super::{DbError, DbServer, DesiredDatabase, DesiredUser};
use konbit_core::database::{DbName, DbRight};
use konbit_core::db_verifier::is_mysql_native;
use sqlx::mysql::{MySqlConnectOptions, MySqlDatabaseError, MySqlPool, MySqlPoolOptions};
use sqlx::{AssertSqlSafe, MySqlConnection, Row};
use std::collections::{BTreeSet, HashMap};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::str::FromStr;
use std::time::Duration;
use tokio::process::Command;

/// Root over Debian's socket, authenticated by `unix_socket`.
pub const DEFAULT_ADMIN_URL: &str = "mysql://root@localhost/mysql?socket=/run/mysqld/mysqld.sock";
/// Debian's server socket.
pub const DEFAULT_SOCKET: &str = "/run/mysqld/mysqld.sock";

/// The hosts every user exists for: the socket and loopback TCP.
const HOSTS: [&str; 2] = ["localhost", "127.0.0.1"];
/// How long a pooled connection may take to come.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long `mariadb-dump` or `mariadb` may run.
const TOOL_TIMEOUT: Duration = Duration::from_secs(3600);
/// Schemas that are the server's own, never a member's.
const SYSTEM_SCHEMAS: [&str; 4] = ["information_schema", "performance_schema", "mysql", "sys"];
/// What `ALL PRIVILEGES` on a database gives at least (newer servers add
/// more): an owner holding all of them needs no new grant.
const OWNER_CORE: [&str; 18] = [
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "CREATE",
    "DROP",
    "REFERENCES",
    "INDEX",
    "ALTER",
    "CREATE TEMPORARY TABLES",
    "LOCK TABLES",
    "EXECUTE",
    "CREATE VIEW",
    "SHOW VIEW",
    "CREATE ROUTINE",
    "ALTER ROUTINE",
    "EVENT",
    "TRIGGER",
];
const READ_WRITE: [&str; 4] = ["SELECT", "INSERT", "UPDATE", "DELETE"];

/// A MariaDB server Konbit manages members' databases on.
pub struct MariaDbServer {
    pool: MySqlPool,
    tools: Tools,
}

/// How `mariadb-dump` and `mariadb` reach the server as the administrator.
#[derive(Clone)]
struct Tools {
    bin_dir: PathBuf,
    socket: Option<PathBuf>,
    host: String,
    port: u16,
    user: String,
    password: Option<String>,
}

impl MariaDbServer {
    /// A server reached with `admin_url` (see [`DEFAULT_ADMIN_URL`]);
    /// `client_bin_dir` holds `mariadb` and `mariadb-dump` (`/usr/bin`);
    /// `socket` is the server's socket for them (by default the URL's
    /// `socket`, else TCP to the URL's host and port). Connects only when
    /// first used.
    pub fn new(
        admin_url: &str,
        client_bin_dir: PathBuf,
        socket: Option<PathBuf>,
    ) -> Result<Self, DbError> {
        let options = MySqlConnectOptions::from_str(admin_url).map_err(|e| {
            DbError::Refused(format!(
                "the MariaDB administrator URL is not valid: {}",
                without_url(&e.to_string(), admin_url)
            ))
        })?;
        let tools = Tools {
            bin_dir: client_bin_dir,
            socket: socket.or_else(|| options.get_socket().cloned()),
            host: options.get_host().to_owned(),
            port: options.get_port(),
            user: options.get_username().to_owned(),
            password: url_password(admin_url),
        };
        let pool = MySqlPoolOptions::new()
            .max_connections(4)
            .min_connections(0)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .idle_timeout(Some(Duration::from_secs(60)))
            .connect_lazy_with(options);
        Ok(Self { pool, tools })
    }

    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::MySql>, DbError> {
        self.pool.acquire().await.map_err(db_error)
    }

    /// Reads what the server holds for `db`.
    async fn observe(
        &self,
        conn: &mut MySqlConnection,
        db: &DesiredDatabase,
    ) -> Result<Observed, DbError> {
        let name = db.name.as_str();
        let database_exists =
            sqlx::query("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?")
                .bind(name)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_error)?
                .is_some();
        let mut accounts = Vec::new();
        for user in &db.users {
            for host in HOSTS {
                if let Some(account) = account(conn, &db.name, user.name.as_str(), host).await? {
                    accounts.push(account);
                }
            }
        }
        let desired: Vec<(&str, &str)> = db
            .users
            .iter()
            .flat_map(|u| HOSTS.map(|h| (u.name.as_str(), h)))
            .collect();
        let mut strays = Vec::new();
        for (user, host) in holders(conn, &db.name).await? {
            if desired.contains(&(user.as_str(), host.as_str())) {
                continue;
            }
            let Some(a) = account(conn, &db.name, &user, &host).await? else {
                continue;
            };
            strays.push(a);
        }
        Ok(Observed {
            database_exists,
            accounts,
            strays,
        })
    }

    /// Runs `statements` one by one (DCL takes no bound parameters and
    /// MariaDB commits it at once anyway), then ends the sessions of
    /// `kill`.
    async fn execute(&self, conn: &mut MySqlConnection, plan: &Plan) -> Result<(), DbError> {
        for statement in &plan.statements {
            sqlx::raw_sql(AssertSqlSafe(statement.as_str()))
                .execute(&mut *conn)
                .await
                .map_err(db_error)?;
        }
        end_sessions(conn, &plan.kill).await
    }

    /// Runs one of the client tools as the administrator, with `stdin` and
    /// `stdout` as given and stderr collected.
    async fn tool(
        &self,
        program: &str,
        args: &[&str],
        stdin: Stdio,
        stdout: Stdio,
    ) -> Result<Output, DbError> {
        let t = &self.tools;
        let mut cmd = Command::new(t.bin_dir.join(program));
        // --no-defaults must come first: no option file can redirect the
        // tool to another server or user.
        cmd.arg("--no-defaults");
        cmd.arg(format!("--user={}", t.user));
        match &t.socket {
            Some(socket) => {
                cmd.arg("--protocol=socket");
                let mut a = std::ffi::OsString::from("--socket=");
                a.push(socket);
                cmd.arg(a);
            }
            None => {
                cmd.arg("--protocol=tcp");
                cmd.arg(format!("--host={}", t.host));
                cmd.arg(format!("--port={}", t.port));
            }
        }
        cmd.arg("--default-character-set=utf8mb4");
        cmd.args(args);
        cmd.env_clear();
        if let Some(password) = &t.password {
            // The environment of a root process is readable by root only;
            // argv is world-readable.
            cmd.env("MYSQL_PWD", password);
        }
        let output = run_with_io(cmd, stdin, stdout, TOOL_TIMEOUT)
            .await
            .map_err(DbError::Unreachable)?;
        if output.status.success() {
            Ok(output)
        } else {
            Err(DbError::Refused(format!(
                "{program} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            )))
        }
    }
}

/// One `'user'@'host'` account as the server holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Account {
    user: String,
    host: String,
    plugin: String,
    auth: String,
    /// Privileges on the database, granted on its escaped name.
    here: BTreeSet<String>,
    /// `GRANT OPTION` on the database.
    grantable: bool,
    /// Rights on the database given some other way (its name unescaped,
    /// tables, columns): not what Konbit grants.
    drift: bool,
    /// Rights outside the database: global privileges, other databases,
    /// roles, proxies. Not an account Konbit made.
    elsewhere: bool,
    /// The patterns of the database-level grants on this database.
    patterns: Vec<String>,
}

/// What the server holds for one database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Observed {
    database_exists: bool,
    /// The desired users' accounts that exist.
    accounts: Vec<Account>,
    /// Accounts with rights on the database that are not desired.
    strays: Vec<Account>,
}

/// Statements to run, and users whose sessions end afterwards.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Plan {
    statements: Vec<String>,
    kill: Vec<String>,
}

/// The rights one account must have on its database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grant {
    All,
    ReadWrite,
    Select,
}

impl Grant {
    fn of(user: &DesiredUser, read_only: bool) -> Self {
        match (read_only, user.right) {
            (true, _) | (false, DbRight::ReadOnly) => Self::Select,
            (false, DbRight::ReadWrite) => Self::ReadWrite,
            (false, DbRight::Owner) => Self::All,
        }
    }

    fn sql(self) -> &'static str {
        match self {
            Self::All => "ALL PRIVILEGES",
            Self::ReadWrite => "SELECT, INSERT, UPDATE, DELETE",
            Self::Select => "SELECT",
        }
    }

    /// Whether `a` holds exactly these rights and nothing else.
    fn held_by(self, a: &Account) -> bool {
        if a.grantable || a.drift || a.elsewhere {
            return false;
        }
        let exactly =
            |want: &[&str]| a.here.len() == want.len() && want.iter().all(|p| a.here.contains(*p));
        match self {
            Self::All => OWNER_CORE.iter().all(|p| a.here.contains(*p)),
            Self::ReadWrite => exactly(&READ_WRITE),
            Self::Select => exactly(&["SELECT"]),
        }
    }
}

/// The statements that make the server hold `db`, given what it holds.
fn plan(db: &DesiredDatabase, observed: &Observed) -> Result<Plan, DbError> {
    let mut plan = Plan::default();
    if !observed.database_exists {
        plan.statements.push(create_database_sql(&db.name));
    }
    for user in &db.users {
        if !is_mysql_native(&user.verifier) {
            return Err(DbError::Refused(format!(
                "the password of {} is not a MariaDB password hash",
                user.name
            )));
        }
        let grant = Grant::of(user, db.read_only);
        let mut reset = false;
        for host in HOSTS {
            let existing = observed
                .accounts
                .iter()
                .find(|a| a.user == user.name.as_str() && a.host == host);
            match existing {
                None => {
                    plan.statements
                        .push(create_user_sql(&user.name, host, &user.verifier)?);
                    plan.statements
                        .push(grant_sql(&db.name, &user.name, host, grant));
                }
                Some(a) if a.elsewhere => {
                    return Err(DbError::Refused(format!(
                        "the MariaDB user {} already exists with rights outside {}: \
                         Konbit does not take it over",
                        user.name, db.name
                    )));
                }
                Some(a) => {
                    if a.plugin != "mysql_native_password" || a.auth != user.verifier {
                        plan.statements
                            .push(alter_user_sql(&user.name, host, &user.verifier)?);
                    }
                    if !grant.held_by(a) {
                        plan.statements.push(revoke_all_sql(&user.name, host));
                        plan.statements
                            .push(grant_sql(&db.name, &user.name, host, grant));
                        reset = true;
                    }
                }
            }
        }
        if reset {
            plan.kill.push(user.name.to_string());
        }
    }
    for stray in &observed.strays {
        let (Ok(user), true) = (
            DbName::parse_existing(&stray.user),
            is_safe_host(&stray.host),
        ) else {
            tracing::warn!(
                database = %db.name,
                user = %stray.user,
                host = %stray.host,
                "a MariaDB account Konbit cannot name has rights on a member's database"
            );
            continue;
        };
        if stray.elsewhere {
            // Not Konbit's: it only loses its rights on this database.
            for pattern in &stray.patterns {
                if let Some(sql) = revoke_on_sql(&db.name, pattern, &user, &stray.host) {
                    plan.statements.push(sql);
                }
            }
        } else {
            plan.statements.push(drop_user_sql(&user, &stray.host));
        }
        if !plan.kill.contains(&stray.user) {
            plan.kill.push(stray.user.clone());
        }
    }
    Ok(plan)
}

// ---------------------------------------------------------------------------
// SQL builders: pure, one statement each, names only from `DbName`.
// ---------------------------------------------------------------------------

/// A string literal: quotes doubled, backslashes escaped (whether or not
/// the session has `NO_BACKSLASH_ESCAPES`, nothing can end it early).
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

/// A quoted identifier.
fn ident(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}

/// The database as a `GRANT` pattern: `_` escaped, so that it covers this
/// database only.
fn db_pattern(name: &DbName) -> String {
    name.as_str().replace('_', "\\_")
}

fn account_sql(user: &DbName, host: &str) -> String {
    format!("{}@{}", literal(user.as_str()), literal(host))
}

fn checked_verifier(user: &DbName, verifier: &str) -> Result<String, DbError> {
    if is_mysql_native(verifier) {
        Ok(literal(verifier))
    } else {
        Err(DbError::Refused(format!(
            "the password of {user} is not a MariaDB password hash"
        )))
    }
}

fn create_database_sql(name: &DbName) -> String {
    format!(
        "CREATE DATABASE IF NOT EXISTS {} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
        ident(name.as_str())
    )
}

fn create_user_sql(user: &DbName, host: &str, verifier: &str) -> Result<String, DbError> {
    Ok(format!(
        "CREATE USER IF NOT EXISTS {} IDENTIFIED BY PASSWORD {}",
        account_sql(user, host),
        checked_verifier(user, verifier)?
    ))
}

fn alter_user_sql(user: &DbName, host: &str, verifier: &str) -> Result<String, DbError> {
    Ok(format!(
        "ALTER USER {} IDENTIFIED BY PASSWORD {}",
        account_sql(user, host),
        checked_verifier(user, verifier)?
    ))
}

fn revoke_all_sql(user: &DbName, host: &str) -> String {
    format!(
        "REVOKE ALL PRIVILEGES, GRANT OPTION FROM {}",
        account_sql(user, host)
    )
}

fn grant_sql(db: &DbName, user: &DbName, host: &str, grant: Grant) -> String {
    format!(
        "GRANT {} ON {}.* TO {}",
        grant.sql(),
        ident(&db_pattern(db)),
        account_sql(user, host)
    )
}

/// Revokes a database-level grant made on `pattern`, which must be the
/// database's name, escaped or not.
fn revoke_on_sql(db: &DbName, pattern: &str, user: &DbName, host: &str) -> Option<String> {
    (pattern == db.as_str() || pattern == db_pattern(db)).then(|| {
        format!(
            "REVOKE ALL PRIVILEGES ON {}.* FROM {}",
            ident(pattern),
            account_sql(user, host)
        )
    })
}

fn drop_user_sql(user: &DbName, host: &str) -> String {
    format!("DROP USER IF EXISTS {}", account_sql(user, host))
}

fn drop_database_sql(name: &DbName) -> String {
    format!("DROP DATABASE IF EXISTS {}", ident(name.as_str()))
}

/// Host names, addresses and patterns, nothing that needs escaping.
fn is_safe_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b':' | b'%' | b'_' | b'-'))
}

// ---------------------------------------------------------------------------
// Reading the server's state (bound parameters).
// ---------------------------------------------------------------------------

/// The accounts with rights on `db` (database- or table-level).
async fn holders(
    conn: &mut MySqlConnection,
    db: &DbName,
) -> Result<BTreeSet<(String, String)>, DbError> {
    let rows = sqlx::query(
        "SELECT CAST(User AS CHAR), CAST(Host AS CHAR) FROM mysql.db WHERE Db IN (?, ?) \
         UNION SELECT CAST(User AS CHAR), CAST(Host AS CHAR) FROM mysql.tables_priv WHERE Db = ? \
         UNION SELECT CAST(User AS CHAR), CAST(Host AS CHAR) FROM mysql.columns_priv WHERE Db = ?",
    )
    .bind(db.as_str())
    .bind(db_pattern(db))
    .bind(db.as_str())
    .bind(db.as_str())
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error)?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get(0).map_err(db_error)?,
                r.try_get(1).map_err(db_error)?,
            ))
        })
        .collect()
}

/// The account `'user'@'host'` and its rights, if it exists.
async fn account(
    conn: &mut MySqlConnection,
    db: &DbName,
    user: &str,
    host: &str,
) -> Result<Option<Account>, DbError> {
    let Some(row) = sqlx::query(
        "SELECT CAST(COALESCE(plugin, '') AS CHAR), CAST(COALESCE(authentication_string, '') AS CHAR) \
         FROM mysql.user WHERE User = ? AND Host = ?",
    )
    .bind(user)
    .bind(host)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_error)?
    else {
        return Ok(None);
    };
    let mut a = Account {
        user: user.to_owned(),
        host: host.to_owned(),
        plugin: row.try_get(0).map_err(db_error)?,
        auth: row.try_get(1).map_err(db_error)?,
        ..Account::default()
    };
    // information_schema names accounts as `'user'@'host'`.
    let grantee = format!("'{user}'@'{host}'");
    let pattern = db_pattern(db);
    let schema_rows = sqlx::query(
        "SELECT CAST(TABLE_SCHEMA AS CHAR), CAST(PRIVILEGE_TYPE AS CHAR), CAST(IS_GRANTABLE AS CHAR) \
         FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ?",
    )
    .bind(&grantee)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error)?;
    for r in &schema_rows {
        let schema: String = r.try_get(0).map_err(db_error)?;
        let privilege: String = r.try_get(1).map_err(db_error)?;
        let grantable: String = r.try_get(2).map_err(db_error)?;
        if schema == pattern {
            a.here.insert(privilege);
            a.grantable |= grantable == "YES";
        } else if schema == db.as_str() {
            a.drift = true;
        } else {
            a.elsewhere = true;
        }
        if (schema == pattern || schema == db.as_str()) && !a.patterns.contains(&schema) {
            a.patterns.push(schema);
        }
    }
    let global: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES \
         WHERE GRANTEE = ? AND (PRIVILEGE_TYPE <> 'USAGE' OR IS_GRANTABLE = 'YES')",
    )
    .bind(&grantee)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_error)?;
    a.elsewhere |= global > 0;
    // Table, column and routine grants: on this database they are drift
    // (routines a member creates get automatic grants on themselves, which
    // are fine); elsewhere they mean the account is not Konbit's.
    let object_rows = sqlx::query(
        "SELECT CAST(Db AS CHAR), 0 FROM mysql.tables_priv WHERE User = ? AND Host = ? \
         UNION ALL SELECT CAST(Db AS CHAR), 0 FROM mysql.columns_priv WHERE User = ? AND Host = ? \
         UNION ALL SELECT CAST(Db AS CHAR), 1 FROM mysql.procs_priv WHERE User = ? AND Host = ? \
         UNION ALL SELECT '', 0 FROM mysql.roles_mapping WHERE User = ? AND Host = ? \
         UNION ALL SELECT '', 0 FROM mysql.proxies_priv WHERE User = ? AND Host = ?",
    )
    .bind(user)
    .bind(host)
    .bind(user)
    .bind(host)
    .bind(user)
    .bind(host)
    .bind(user)
    .bind(host)
    .bind(user)
    .bind(host)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error)?;
    for r in &object_rows {
        let schema: String = r.try_get(0).map_err(db_error)?;
        let routine: i64 = r.try_get(1).map_err(db_error)?;
        if schema != db.as_str() {
            a.elsewhere = true;
        } else if routine == 0 {
            a.drift = true;
        }
    }
    Ok(Some(a))
}

/// Ends every session of `users`.
async fn end_sessions(conn: &mut MySqlConnection, users: &[String]) -> Result<(), DbError> {
    for user in users {
        let ids: Vec<u64> = sqlx::query_scalar(
            "SELECT CAST(ID AS UNSIGNED) FROM information_schema.PROCESSLIST \
             WHERE USER = ? AND ID <> CONNECTION_ID()",
        )
        .bind(user)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error)?;
        for id in ids {
            // The session may have ended meanwhile: ER_NO_SUCH_THREAD.
            match sqlx::raw_sql(AssertSqlSafe(format!("KILL CONNECTION {id}")))
                .execute(&mut *conn)
                .await
            {
                Ok(_) => {}
                Err(sqlx::Error::Database(e))
                    if e.try_downcast_ref::<MySqlDatabaseError>()
                        .is_some_and(|e| e.number() == 1094) => {}
                Err(e) => return Err(db_error(e)),
            }
        }
    }
    Ok(())
}

/// A server error, or a server that cannot be reached.
fn db_error(e: sqlx::Error) -> DbError {
    match e {
        sqlx::Error::Database(d) => {
            // Too many connections, shutting down, gone away, lost.
            let number = d
                .try_downcast_ref::<MySqlDatabaseError>()
                .map(|m| m.number());
            match number {
                Some(1040 | 1053 | 1077 | 2002 | 2003 | 2006 | 2013) => {
                    DbError::Unreachable(d.message().to_owned())
                }
                _ => DbError::Refused(d.message().to_owned()),
            }
        }
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => DbError::Unreachable(format!("MariaDB: {e}")),
        other => DbError::Refused(format!("MariaDB: {other}")),
    }
}

impl DbServer for MariaDbServer {
    async fn apply(&self, db: &DesiredDatabase) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        let observed = self.observe(&mut conn, db).await?;
        let plan = plan(db, &observed)?;
        self.execute(&mut conn, &plan).await
    }

    async fn dump(&self, name: &DbName, to: &Path) -> Result<(), DbError> {
        let file = create_private(to)?;
        let result = self
            .tool(
                "mariadb-dump",
                &[
                    "--single-transaction",
                    "--routines",
                    "--events",
                    "--triggers",
                    "--hex-blob",
                    "--skip-comments",
                    "--",
                    name.as_str(),
                ],
                Stdio::null(),
                Stdio::from(file),
            )
            .await;
        if result.is_err() {
            let _ = std::fs::remove_file(to);
        }
        result.map(|_| ())
    }

    async fn drop_database(&self, name: &DbName) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        let mut accounts = holders(&mut conn, name).await?;
        for host in HOSTS {
            // The owner is named after its database, even without rights.
            accounts.insert((name.to_string(), host.to_owned()));
        }
        let mut plan = Plan::default();
        for (user, host) in &accounts {
            let Some(a) = account(&mut conn, name, user, host).await? else {
                continue;
            };
            plan.kill.push(user.clone());
            let (Ok(user), true) = (DbName::parse_existing(user), is_safe_host(host)) else {
                tracing::warn!(database = %name, %user, %host,
                    "a MariaDB account Konbit cannot name has rights on a dropped database");
                continue;
            };
            if a.elsewhere {
                for pattern in &a.patterns {
                    plan.statements
                        .extend(revoke_on_sql(name, pattern, &user, host));
                }
            } else {
                plan.statements.push(drop_user_sql(&user, host));
            }
        }
        plan.statements.push(drop_database_sql(name));
        // Sessions first, so that no one holds a lock the drop waits for.
        end_sessions(&mut conn, &plan.kill).await?;
        let kill = std::mem::take(&mut plan.kill);
        self.execute(&mut conn, &plan).await?;
        end_sessions(&mut conn, &kill).await
    }

    async fn restore(&self, db: &DesiredDatabase, from: &Path) -> Result<(), DbError> {
        let file = std::fs::File::open(from)
            .map_err(|e| DbError::Unreachable(format!("{}: {e}", from.display())))?;
        self.apply(db).await?;
        let loaded = self
            .tool(
                "mariadb",
                &["--batch", "--", db.name.as_str()],
                Stdio::from(file),
                Stdio::null(),
            )
            .await;
        if let Err(e) = loaded {
            // Leave no half-loaded database: the next attempt must see it
            // missing and restore again, not apply over it.
            let mut conn = self.conn().await?;
            sqlx::raw_sql(AssertSqlSafe(drop_database_sql(&db.name)))
                .execute(&mut *conn)
                .await
                .map_err(db_error)?;
            return Err(e);
        }
        Ok(())
    }

    async fn sizes(&self) -> Result<HashMap<String, i64>, DbError> {
        let rows = sqlx::query(
            "SELECT CAST(s.SCHEMA_NAME AS CHAR), \
             CAST(COALESCE(SUM(t.DATA_LENGTH + t.INDEX_LENGTH), 0) AS SIGNED) \
             FROM information_schema.SCHEMATA s \
             LEFT JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = s.SCHEMA_NAME \
             GROUP BY s.SCHEMA_NAME",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let mut sizes = HashMap::with_capacity(rows.len());
        for row in &rows {
            let name: String = row.try_get(0).map_err(db_error)?;
            let size: i64 = row.try_get(1).map_err(db_error)?;
            if DbName::parse_existing(&name).is_ok() && !SYSTEM_SCHEMAS.contains(&name.as_str()) {
                sizes.insert(name, size);
            }
        }
        Ok(sizes)
    }

    async fn version(&self) -> Result<String, DbError> {
        sqlx::query_scalar("SELECT CAST(VERSION() AS CHAR)")
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)
    }
}

// ---------------------------------------------------------------------------
// Shared with postgres.rs: the administrator's password from a URL, dump
// files, client tools.
// ---------------------------------------------------------------------------

/// The percent-decoded password of `scheme://user:password@host/…`, if
/// any.
pub(super) fn url_password(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let userinfo = authority.rsplit_once('@')?.0;
    let password = userinfo.split_once(':')?.1;
    percent_decode(password)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `message` with the URL (and so its password) taken out.
pub(super) fn without_url(message: &str, url: &str) -> String {
    match url_password(url) {
        Some(p) if !p.is_empty() => message.replace(url, "<url>").replace(&p, "<password>"),
        _ => message.replace(url, "<url>"),
    }
}

/// Creates (or empties) `path` for a dump, mode 0600.
pub(super) fn create_private(path: &Path) -> Result<std::fs::File, DbError> {
    let fail = |e: std::io::Error| DbError::Unreachable(format!("{}: {e}", path.display()));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(fail)?;
    // An existing file keeps its mode on open.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(fail)?;
    Ok(file)
}

/// Runs `cmd` within `timeout` with the given stdin and stdout (files),
/// collecting stderr; killed when it outlives its time. Like
/// [`crate::command::run_bounded`], whose stdin and stdout are fixed.
pub(super) async fn run_with_io(
    mut cmd: Command,
    stdin: Stdio,
    stdout: Stdio,
    timeout: Duration,
) -> Result<Output, String> {
    let what = format!("{:?}", cmd.as_std().get_program());
    cmd.stdin(stdin)
        .stdout(stdout)
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = cmd.spawn().map_err(|e| format!("starting {what}: {e}"))?;
    match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(Ok(output)) => Ok(output),
        Ok(Err(e)) => Err(format!("running {what}: {e}")),
        Err(_) => Err(format!(
            "{what} did not finish within {} s",
            timeout.as_secs()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use konbit_core::db_verifier::mysql_native;
    use konbit_core::names::AccountName;
    use proptest::prelude::*;

    fn name(s: &str) -> DbName {
        DbName::parse_existing(s).unwrap()
    }

    fn user(n: &str, right: DbRight) -> DesiredUser {
        DesiredUser {
            name: name(n),
            right,
            verifier: mysql_native("Correct-Horse-9"),
        }
    }

    fn desired(read_only: bool) -> DesiredDatabase {
        DesiredDatabase {
            name: name("radio_wp"),
            users: vec![
                user("radio_wp", DbRight::Owner),
                user("radio_ro", DbRight::ReadOnly),
            ],
            read_only,
        }
    }

    #[test]
    fn a_new_database_gets_everything_with_escaped_patterns() {
        let plan = plan(&desired(false), &Observed::default()).unwrap();
        let hash = mysql_native("Correct-Horse-9");
        assert_eq!(
            plan.statements,
            vec![
                "CREATE DATABASE IF NOT EXISTS `radio_wp` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci".to_owned(),
                format!("CREATE USER IF NOT EXISTS 'radio_wp'@'localhost' IDENTIFIED BY PASSWORD '{hash}'"),
                "GRANT ALL PRIVILEGES ON `radio\\_wp`.* TO 'radio_wp'@'localhost'".to_owned(),
                format!("CREATE USER IF NOT EXISTS 'radio_wp'@'127.0.0.1' IDENTIFIED BY PASSWORD '{hash}'"),
                "GRANT ALL PRIVILEGES ON `radio\\_wp`.* TO 'radio_wp'@'127.0.0.1'".to_owned(),
                format!("CREATE USER IF NOT EXISTS 'radio_ro'@'localhost' IDENTIFIED BY PASSWORD '{hash}'"),
                "GRANT SELECT ON `radio\\_wp`.* TO 'radio_ro'@'localhost'".to_owned(),
                format!("CREATE USER IF NOT EXISTS 'radio_ro'@'127.0.0.1' IDENTIFIED BY PASSWORD '{hash}'"),
                "GRANT SELECT ON `radio\\_wp`.* TO 'radio_ro'@'127.0.0.1'".to_owned(),
            ]
        );
        assert!(plan.kill.is_empty());
    }

    fn held(user: &str, host: &str, privileges: &[&str]) -> Account {
        Account {
            user: user.into(),
            host: host.into(),
            plugin: "mysql_native_password".into(),
            auth: mysql_native("Correct-Horse-9"),
            here: privileges.iter().map(|p| (*p).to_owned()).collect(),
            patterns: vec!["radio\\_wp".into()],
            ..Account::default()
        }
    }

    fn as_is() -> Observed {
        let mut all: Vec<&str> = OWNER_CORE.to_vec();
        all.push("DELETE HISTORY");
        Observed {
            database_exists: true,
            accounts: HOSTS
                .iter()
                .flat_map(|h| [held("radio_wp", h, &all), held("radio_ro", h, &["SELECT"])])
                .collect(),
            strays: vec![],
        }
    }

    #[test]
    fn nothing_is_done_when_the_server_holds_the_database_as_desired() {
        assert_eq!(plan(&desired(false), &as_is()).unwrap(), Plan::default());
    }

    #[test]
    fn read_only_leaves_select_and_ends_the_owner_s_sessions() {
        let p = plan(&desired(true), &as_is()).unwrap();
        assert_eq!(
            p.statements,
            vec![
                "REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'radio_wp'@'localhost'",
                "GRANT SELECT ON `radio\\_wp`.* TO 'radio_wp'@'localhost'",
                "REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'radio_wp'@'127.0.0.1'",
                "GRANT SELECT ON `radio\\_wp`.* TO 'radio_wp'@'127.0.0.1'",
            ]
        );
        assert_eq!(p.kill, vec!["radio_wp"]);
    }

    #[test]
    fn drift_is_repaired_and_strays_dropped_or_stripped() {
        let mut observed = as_is();
        observed.accounts[0].grantable = true;
        observed.accounts[1].auth = "*0000000000000000000000000000000000000000".into();
        observed.strays = vec![
            held("radio_old", "localhost", &["SELECT"]),
            Account {
                elsewhere: true,
                ..held("admin", "%", &["SELECT"])
            },
            held("Weird';--", "localhost", &["SELECT"]),
        ];
        let p = plan(&desired(false), &observed).unwrap();
        let hash = mysql_native("Correct-Horse-9");
        assert_eq!(
            p.statements,
            vec![
                "REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'radio_wp'@'localhost'".to_owned(),
                "GRANT ALL PRIVILEGES ON `radio\\_wp`.* TO 'radio_wp'@'localhost'".to_owned(),
                format!("ALTER USER 'radio_ro'@'localhost' IDENTIFIED BY PASSWORD '{hash}'"),
                "DROP USER IF EXISTS 'radio_old'@'localhost'".to_owned(),
                "REVOKE ALL PRIVILEGES ON `radio\\_wp`.* FROM 'admin'@'%'".to_owned(),
            ]
        );
        assert_eq!(p.kill, vec!["radio_wp", "radio_old", "admin"]);
    }

    #[test]
    fn an_account_with_rights_elsewhere_is_not_taken_over() {
        let mut observed = as_is();
        observed.accounts[2].elsewhere = true;
        let err = plan(&desired(false), &observed).unwrap_err();
        assert!(matches!(err, DbError::Refused(m) if m.contains("does not take it over")));
    }

    #[test]
    fn a_bad_verifier_never_reaches_sql() {
        let mut db = desired(false);
        db.users[1].verifier = "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E1'".into();
        assert!(plan(&db, &Observed::default()).is_err());
    }

    #[test]
    fn passwords_and_errors_keep_the_url_secret() {
        assert_eq!(
            url_password("mysql://admin:s%40cret@localhost:3306/mysql").as_deref(),
            Some("s@cret")
        );
        assert_eq!(url_password("mysql://root@localhost/mysql?socket=/x"), None);
        assert_eq!(url_password("mysql://localhost/mysql"), None);
        let url = "mysql://admin:hunter2@localhost/mysql";
        assert_eq!(
            without_url(&format!("bad {url}"), url),
            "bad <url>".to_owned()
        );
        assert!(!without_url("bad hunter2", url).contains("hunter2"));
    }

    /// Whatever names a member types, every statement is one statement
    /// whose quoted parts are exactly the names (the database's maybe
    /// escaped), a host and the verifier.
    #[test]
    fn statements_only_ever_quote_the_names() {
        let mut runner = crate::database::statement_tests::fixed_seed_runner(256);
        let suffix = || {
            prop_oneof![
                4 => "[a-z0-9_]{1,10}",
                1 => "[a-z0-9_'`\"\\\\;%*@ -]{1,10}",
                1 => "\\PC{0,24}",
            ]
        };
        let strategy = (
            "[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,4})?",
            suffix(),
            suffix(),
            "[!-~]{12,20}",
            any::<bool>(),
        );
        let accepted = std::cell::Cell::new(0usize);
        let result = runner.run(
            &strategy,
            |(account, db_suffix, user_suffix, password, read_only)| {
                let Ok(account) = AccountName::parse("name", &account) else {
                    return Ok(());
                };
                let (Ok(db), Ok(extra)) = (
                    DbName::for_account("name", &account, &db_suffix),
                    DbName::for_account("name", &account, &user_suffix),
                ) else {
                    return Ok(());
                };
                accepted.set(accepted.get() + 1);
                let verifier = mysql_native(&password);
                let desired = DesiredDatabase {
                    name: db.clone(),
                    users: vec![
                        DesiredUser {
                            name: db.clone(),
                            right: DbRight::Owner,
                            verifier: verifier.clone(),
                        },
                        DesiredUser {
                            name: extra.clone(),
                            right: DbRight::ReadWrite,
                            verifier: verifier.clone(),
                        },
                    ],
                    read_only,
                };
                // From nothing, and from accounts that all differ.
                let mut drifted = Observed {
                    database_exists: true,
                    ..Observed::default()
                };
                for n in [&db, &extra] {
                    for h in HOSTS {
                        drifted.accounts.push(Account {
                            user: n.to_string(),
                            host: h.into(),
                            plugin: "ed25519".into(),
                            grantable: true,
                            ..Account::default()
                        });
                    }
                }
                drifted.strays.push(Account {
                    user: extra.to_string(),
                    host: "%".into(),
                    ..Account::default()
                });
                drifted.strays.push(Account {
                    user: extra.to_string(),
                    host: "%".into(),
                    elsewhere: true,
                    patterns: vec![db.to_string(), db_pattern(&db)],
                    ..Account::default()
                });
                let mut statements = plan(&desired, &Observed::default()).unwrap().statements;
                statements.extend(plan(&desired, &drifted).unwrap().statements);
                statements.push(drop_database_sql(&db));
                let allowed: Vec<String> = vec![
                    db.to_string(),
                    db_pattern(&db),
                    extra.to_string(),
                    "localhost".into(),
                    "127.0.0.1".into(),
                    "%".into(),
                    verifier.clone(),
                ];
                for sql in &statements {
                    let (parts, outside) =
                        crate::database::statement_tests::quoted_parts(sql, ['\'', '`']).unwrap();
                    prop_assert!(!parts.is_empty(), "{sql}");
                    for p in &parts {
                        prop_assert!(allowed.contains(p), "{sql}: {p}");
                    }
                    let outside = outside
                        .replace("utf8mb4_unicode_ci", "")
                        .replace("utf8mb4", "");
                    prop_assert!(
                        outside
                            .bytes()
                            .all(|b| b.is_ascii_uppercase() || b" ,.*@Q".contains(&b)),
                        "{sql}"
                    );
                }
                Ok(())
            },
        );
        result.unwrap();
        assert!(
            accepted.get() >= 64,
            "only {} accepted names",
            accepted.get()
        );
    }
}
