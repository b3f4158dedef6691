//! Members' databases on PostgreSQL, managed over a superuser's
//! connection.
//!
//! - Every user is a `LOGIN` role without any role attribute (`NOSUPERUSER
//!   NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS`), with
//!   its SCRAM-SHA-256 secret as its password: Konbit never sees the
//!   password.
//! - The owner user owns the database (`ENCODING 'UTF8' TEMPLATE
//!   template0`), so everything it creates there is its own. `PUBLIC` loses
//!   every right on the database; each user gets `CONNECT, TEMPORARY`.
//! - An extra user gets `USAGE` on schema `public` and, on its tables and
//!   sequences, `SELECT, INSERT, UPDATE, DELETE` and `USAGE, SELECT`
//!   (read and write) or `SELECT` (read only), now and, through `ALTER
//!   DEFAULT PRIVILEGES FOR ROLE <owner>`, for what the owner creates
//!   later. Tables in other schemas the owner makes are the owner's to
//!   share. These grants are made again in one transaction on every apply,
//!   so a concurrent query never sees them missing.
//! - Read only (a database over its limit): extra users keep `SELECT` only
//!   (enforced by privileges). The owner owns its tables and can always
//!   grant itself back what is revoked, so for it read only is
//!   `default_transaction_read_only = on`, set on the database and on each
//!   user in the database, and its sessions are ended so that it takes
//!   effect. **This is best effort**: a client may still run `SET
//!   default_transaction_read_only = off` or `BEGIN READ WRITE`. Only a
//!   transfer of every object to another role would enforce it.
//! - Names come only from [`DbName`] (checked again with
//!   [`DbName::parse_existing`] when read from the server), secrets are
//!   checked with [`is_scram`], and identifiers and literals are quoted
//!   anyway. Queries that only read take bound parameters.
//! - A role that already exists with a role attribute, a membership, or
//!   objects or rights in another database was not made by Konbit: `apply`
//!   refuses to take it over rather than change its password, and neither
//!   `apply` nor `drop_database` drops it.
//! - Dumps (`pg_dump`, plain SQL, owners and privileges kept) and restores
//!   (`psql -v ON_ERROR_STOP=1 --single-transaction`) run as the
//!   administrator with an argument vector (never a shell), the password in
//!   the environment (`PGPASSWORD`, never argv) and a time limit.
//! - `drop_database` uses `DROP DATABASE … WITH (FORCE)` and waits for
//!   terminated sessions: PostgreSQL 14 or later.

use super::mariadb::{create_private, run_with_io, url_password, without_url};
use super::{DbError, DbServer, DesiredDatabase, DesiredUser};
use konbit_core::database::{DbName, DbRight};
use konbit_core::db_verifier::is_scram;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgSslMode};
use sqlx::{AssertSqlSafe, Connection, PgConnection, Row};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::str::FromStr;
use std::time::Duration;
use tokio::process::Command;

/// How long a connection may take to come.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long `pg_dump` or `psql` may run.
const TOOL_TIMEOUT: Duration = Duration::from_secs(3600);
/// How long to wait for a terminated session to end, in milliseconds.
const TERMINATE_WAIT_MS: i64 = 5000;
/// The setting read-only databases carry.
const READ_ONLY_SETTING: &str = "default_transaction_read_only=on";

/// A PostgreSQL server Konbit manages members' databases on.
pub struct PostgresServer {
    pool: PgPool,
    options: PgConnectOptions,
    admin: String,
    admin_database: Option<String>,
    tools: Tools,
}

/// How `pg_dump` and `psql` reach the server as the administrator.
#[derive(Clone)]
struct Tools {
    bin_dir: PathBuf,
    host: String,
    port: u16,
    user: String,
    password: Option<String>,
    ssl_mode: &'static str,
}

impl PostgresServer {
    /// A server reached with `admin_url` (a superuser, over TCP or the
    /// socket, e.g. `postgres:///postgres?host=/run/postgresql&user=postgres`);
    /// `client_bin_dir` holds `pg_dump` and `psql` (`/usr/bin`). Connects
    /// only when first used.
    pub fn new(admin_url: &str, client_bin_dir: PathBuf) -> Result<Self, DbError> {
        let options = PgConnectOptions::from_str(admin_url)
            .map_err(|e| {
                DbError::Refused(format!(
                    "the PostgreSQL administrator URL is not valid: {}",
                    without_url(&e.to_string(), admin_url)
                ))
            })?
            // Our own statements must run even in a read-only database.
            .options([("default_transaction_read_only", "off")])
            .application_name("konbit");
        let host = match options.get_socket() {
            Some(dir) => dir.to_string_lossy().into_owned(),
            None => options.get_host().to_owned(),
        };
        let tools = Tools {
            bin_dir: client_bin_dir,
            host,
            port: options.get_port(),
            user: options.get_username().to_owned(),
            password: url_password(admin_url).or_else(|| std::env::var("PGPASSWORD").ok()),
            ssl_mode: match options.get_ssl_mode() {
                PgSslMode::Disable => "disable",
                PgSslMode::Allow => "allow",
                PgSslMode::Prefer => "prefer",
                PgSslMode::Require => "require",
                PgSslMode::VerifyCa => "verify-ca",
                PgSslMode::VerifyFull => "verify-full",
            },
        };
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .min_connections(0)
            .acquire_timeout(CONNECT_TIMEOUT)
            .idle_timeout(Some(Duration::from_secs(60)))
            .connect_lazy_with(options.clone());
        Ok(Self {
            pool,
            admin: options.get_username().to_owned(),
            admin_database: options.get_database().map(str::to_owned),
            options,
            tools,
        })
    }

    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>, DbError> {
        self.pool.acquire().await.map_err(db_error)
    }

    /// A connection to the member's database itself, as the administrator.
    async fn connect_to(&self, name: &DbName) -> Result<PgConnection, DbError> {
        let options = self.options.clone().database(name.as_str());
        tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options))
            .await
            .map_err(|_| DbError::Unreachable(format!("connecting to {name} timed out")))?
            .map_err(db_error)
    }

    /// Reads what the server holds for `db`.
    async fn observe(
        &self,
        conn: &mut PgConnection,
        db: &DesiredDatabase,
    ) -> Result<Observed, DbError> {
        let name = db.name.as_str();
        let database = match sqlx::query(
            "SELECT pg_get_userbyid(d.datdba)::text, \
             d.datacl IS NULL OR EXISTS (SELECT 1 FROM aclexplode(d.datacl) a WHERE a.grantee = 0) \
             FROM pg_database d WHERE d.datname = $1",
        )
        .bind(name)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_error)?
        {
            Some(row) => Some(Database {
                owner: row.try_get(0).map_err(db_error)?,
                public: row.try_get(1).map_err(db_error)?,
                grants: grants(conn, name).await?,
            }),
            None => None,
        };
        let mut roles = Vec::new();
        for user in &db.users {
            if let Some(r) = role(conn, user.name.as_str(), name).await? {
                roles.push(r);
            }
        }
        let mut strays = Vec::new();
        if let Some(d) = &database {
            let mut names: BTreeSet<&str> = d.grants.iter().map(|(g, _)| g.as_str()).collect();
            names.insert(d.owner.as_str());
            for n in names {
                if db.users.iter().any(|u| u.name.as_str() == n) || n == self.admin {
                    continue;
                }
                if let Some(r) = role(conn, n, name).await? {
                    strays.push(r);
                }
            }
        }
        let rows = sqlx::query(
            "SELECT COALESCE(r.rolname::text, ''), c FROM pg_db_role_setting s \
             JOIN pg_database d ON d.oid = s.setdatabase \
             LEFT JOIN pg_roles r ON r.oid = s.setrole \
             CROSS JOIN LATERAL unnest(s.setconfig) c \
             WHERE d.datname = $1",
        )
        .bind(name)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error)?;
        let mut read_only = BTreeSet::new();
        for row in &rows {
            let role: String = row.try_get(0).map_err(db_error)?;
            let setting: String = row.try_get(1).map_err(db_error)?;
            if setting == READ_ONLY_SETTING {
                read_only.insert(role);
            }
        }
        Ok(Observed {
            database,
            roles,
            strays,
            read_only,
        })
    }

    async fn run(&self, conn: &mut PgConnection, statements: &[String]) -> Result<(), DbError> {
        for statement in statements {
            sqlx::raw_sql(AssertSqlSafe(statement.as_str()))
                .execute(&mut *conn)
                .await
                .map_err(db_error)?;
        }
        Ok(())
    }

    /// Runs `statements` in the member's database, in one transaction.
    async fn run_inside(&self, name: &DbName, statements: &[String]) -> Result<(), DbError> {
        if statements.is_empty() {
            return Ok(());
        }
        let mut conn = self.connect_to(name).await?;
        let mut tx = conn.begin().await.map_err(db_error)?;
        for statement in statements {
            sqlx::raw_sql(AssertSqlSafe(statement.as_str()))
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)?;
        conn.close().await.map_err(db_error)
    }

    /// Runs `pg_dump` or `psql` as the administrator on `database`.
    async fn tool(
        &self,
        program: &str,
        database: &DbName,
        args: &[&str],
        stdout: Stdio,
    ) -> Result<Output, DbError> {
        let t = &self.tools;
        let mut cmd = Command::new(t.bin_dir.join(program));
        cmd.args(args);
        cmd.env_clear()
            .env("PGHOST", &t.host)
            .env("PGPORT", t.port.to_string())
            .env("PGUSER", &t.user)
            .env("PGDATABASE", database.as_str())
            .env("PGSSLMODE", t.ssl_mode)
            .env("PGCONNECT_TIMEOUT", CONNECT_TIMEOUT.as_secs().to_string())
            .env("PGAPPNAME", "konbit")
            .env("PGOPTIONS", "-c default_transaction_read_only=off");
        if let Some(password) = &t.password {
            // The environment of a root process is readable by root only;
            // argv is world-readable.
            cmd.env("PGPASSWORD", password);
        }
        let output = run_with_io(cmd, Stdio::null(), stdout, TOOL_TIMEOUT)
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

    /// Ends the sessions of `users` on `database` (every database when
    /// None), waiting a little for them to end.
    async fn end_sessions(
        &self,
        conn: &mut PgConnection,
        database: Option<&DbName>,
        users: &[String],
    ) -> Result<(), DbError> {
        if users.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "SELECT pg_terminate_backend(pid, $3) FROM pg_stat_activity \
             WHERE ($1::text IS NULL OR datname = $1) AND usename = ANY($2) \
             AND pid <> pg_backend_pid()",
        )
        .bind(database.map(DbName::as_str))
        .bind(users)
        .bind(TERMINATE_WAIT_MS)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error)?;
        Ok(())
    }
}

/// A role as the server holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Role {
    name: String,
    password: Option<String>,
    /// `LOGIN NOINHERIT`.
    plain: bool,
    /// A role attribute, a membership, or objects or rights in another
    /// database: not a role Konbit made.
    foreign: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Database {
    owner: String,
    /// Whether `PUBLIC` has any right on it (or it has default rights).
    public: bool,
    /// (role, privilege) granted on the database.
    grants: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Observed {
    database: Option<Database>,
    /// The desired users' roles that exist.
    roles: Vec<Role>,
    /// Roles with rights on the database (or owning it) that are not
    /// desired, other than the administrator.
    strays: Vec<Role>,
    /// Who has `default_transaction_read_only=on` in the database: role
    /// names, `""` for the database itself.
    read_only: BTreeSet<String>,
}

/// What `apply` runs, in this order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Plan {
    /// On the administrator's connection.
    cluster: Vec<String>,
    /// In the member's database, in one transaction.
    inside: Vec<String>,
    /// Roles to drop (after `inside` took their objects and rights) once
    /// their sessions ended.
    drop_roles: Vec<DbName>,
    /// Read-only settings, on the administrator's connection.
    settings: Vec<String>,
    /// Users whose sessions on the database end afterwards.
    kill: Vec<String>,
}

/// The statements that make the server hold `db`, given what it holds.
fn plan(db: &DesiredDatabase, observed: &Observed) -> Result<Plan, DbError> {
    let mut owners = db.users.iter().filter(|u| u.right == DbRight::Owner);
    let (Some(owner), None) = (owners.next(), owners.next()) else {
        return Err(DbError::Refused(format!(
            "{} must have exactly one owner",
            db.name
        )));
    };
    let d = &db.name;
    let mut plan = Plan::default();
    for user in &db.users {
        let existing = observed.roles.iter().find(|r| r.name == user.name.as_str());
        match existing {
            None => plan.cluster.push(role_sql("CREATE", user)?),
            Some(r) if r.foreign => {
                return Err(DbError::Refused(format!(
                    "the PostgreSQL role {} already exists with rights outside {}: \
                     Konbit does not take it over",
                    user.name, db.name
                )));
            }
            Some(r) if !r.plain || r.password.as_deref() != Some(user.verifier.as_str()) => {
                plan.cluster.push(role_sql("ALTER", user)?);
            }
            Some(_) => {}
        }
    }
    match &observed.database {
        None => {
            plan.cluster.push(format!(
                "CREATE DATABASE {} OWNER {} ENCODING 'UTF8' TEMPLATE template0",
                ident(d.as_str()),
                ident(owner.name.as_str())
            ));
        }
        Some(current) if current.owner != owner.name.as_str() => {
            plan.cluster.push(format!(
                "ALTER DATABASE {} OWNER TO {}",
                ident(d.as_str()),
                ident(owner.name.as_str())
            ));
        }
        Some(_) => {}
    }
    if observed.database.as_ref().is_none_or(|c| c.public) {
        plan.cluster.push(format!(
            "REVOKE ALL ON DATABASE {} FROM PUBLIC",
            ident(d.as_str())
        ));
    }
    for user in &db.users {
        let has = |privilege: &str| {
            observed.database.as_ref().is_some_and(|c| {
                c.grants
                    .iter()
                    .any(|(g, p)| g == user.name.as_str() && p == privilege)
            })
        };
        if !has("CONNECT") || !has("TEMPORARY") {
            plan.cluster.push(format!(
                "GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}",
                ident(d.as_str()),
                ident(user.name.as_str())
            ));
        }
    }
    plan.inside.extend([
        "REVOKE ALL ON SCHEMA public FROM PUBLIC".to_owned(),
        // PostgreSQL 15 gives schema public to the database's owner; older
        // ones to the bootstrap superuser.
        format!(
            "GRANT ALL ON SCHEMA public TO {}",
            ident(owner.name.as_str())
        ),
    ]);
    for user in db.users.iter().filter(|u| u.right != DbRight::Owner) {
        plan.inside.extend(extra_user_sql(
            &owner.name,
            &user.name,
            user.right,
            db.read_only,
        ));
    }
    for stray in &observed.strays {
        let Ok(name) = DbName::parse_existing(&stray.name) else {
            tracing::warn!(database = %d, role = %stray.name,
                "a PostgreSQL role Konbit cannot name has rights on a member's database");
            continue;
        };
        if stray.foreign {
            // Not Konbit's: it only loses its rights on this database.
            plan.cluster.push(format!(
                "REVOKE ALL ON DATABASE {} FROM {}",
                ident(d.as_str()),
                ident(name.as_str())
            ));
        } else {
            plan.inside.extend([
                format!(
                    "REASSIGN OWNED BY {} TO {}",
                    ident(name.as_str()),
                    ident(owner.name.as_str())
                ),
                format!("DROP OWNED BY {}", ident(name.as_str())),
            ]);
            plan.drop_roles.push(name);
        }
    }
    let set = |who: &str| observed.read_only.contains(who);
    let verb = if db.read_only {
        "SET default_transaction_read_only = on"
    } else {
        "RESET default_transaction_read_only"
    };
    if set("") != db.read_only {
        plan.settings
            .push(format!("ALTER DATABASE {} {verb}", ident(d.as_str())));
    }
    for user in &db.users {
        if set(user.name.as_str()) != db.read_only {
            plan.settings.push(format!(
                "ALTER ROLE {} IN DATABASE {} {verb}",
                ident(user.name.as_str()),
                ident(d.as_str())
            ));
        }
    }
    if !plan.settings.is_empty() {
        plan.kill = db.users.iter().map(|u| u.name.to_string()).collect();
    }
    Ok(plan)
}

// ---------------------------------------------------------------------------
// SQL builders: pure, one statement each, names only from `DbName`.
// ---------------------------------------------------------------------------

/// A quoted identifier.
fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A string literal, valid whatever `standard_conforming_strings` is.
fn literal(s: &str) -> String {
    if s.contains('\\') {
        format!("E'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// `CREATE ROLE` or `ALTER ROLE` for `user`: a login without any role
/// attribute, its SCRAM secret as password.
fn role_sql(verb: &str, user: &DesiredUser) -> Result<String, DbError> {
    if !is_scram(&user.verifier) {
        return Err(DbError::Refused(format!(
            "the password of {} is not a PostgreSQL SCRAM secret",
            user.name
        )));
    }
    Ok(format!(
        "{verb} ROLE {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT \
         NOREPLICATION NOBYPASSRLS PASSWORD {}",
        ident(user.name.as_str()),
        literal(&user.verifier)
    ))
}

/// An extra user's rights on schema `public`, its tables and sequences,
/// now and for what the owner creates later: first all taken, then
/// given.
fn extra_user_sql(owner: &DbName, user: &DbName, right: DbRight, read_only: bool) -> Vec<String> {
    let (tables, sequences) = match (read_only, right) {
        (false, DbRight::ReadWrite) => ("SELECT, INSERT, UPDATE, DELETE", "USAGE, SELECT"),
        _ => ("SELECT", "SELECT"),
    };
    let o = ident(owner.as_str());
    let u = ident(user.as_str());
    vec![
        format!("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {u}"),
        format!("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {u}"),
        format!(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA public REVOKE ALL ON TABLES FROM {u}"
        ),
        format!(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA public REVOKE ALL ON SEQUENCES FROM {u}"
        ),
        format!("GRANT USAGE ON SCHEMA public TO {u}"),
        format!("GRANT {tables} ON ALL TABLES IN SCHEMA public TO {u}"),
        format!("GRANT {sequences} ON ALL SEQUENCES IN SCHEMA public TO {u}"),
        format!(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA public GRANT {tables} ON TABLES TO {u}"
        ),
        format!(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA public GRANT {sequences} ON SEQUENCES TO {u}"
        ),
    ]
}

fn drop_role_sql(name: &DbName) -> String {
    format!("DROP ROLE IF EXISTS {}", ident(name.as_str()))
}

fn drop_database_sql(name: &DbName) -> String {
    format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        ident(name.as_str())
    )
}

// ---------------------------------------------------------------------------
// Reading the server's state (bound parameters).
// ---------------------------------------------------------------------------

/// (role, privilege) granted on `database`.
async fn grants(conn: &mut PgConnection, database: &str) -> Result<Vec<(String, String)>, DbError> {
    let rows = sqlx::query(
        "SELECT r.rolname::text, a.privilege_type FROM pg_database d \
         CROSS JOIN LATERAL aclexplode(d.datacl) a \
         JOIN pg_roles r ON r.oid = a.grantee WHERE d.datname = $1",
    )
    .bind(database)
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

/// The role `name` as seen from `database` (which need not exist).
async fn role(
    conn: &mut PgConnection,
    name: &str,
    database: &str,
) -> Result<Option<Role>, DbError> {
    let Some(row) = sqlx::query(
        "WITH d AS (SELECT COALESCE((SELECT oid FROM pg_database WHERE datname = $2), 0::oid) AS oid) \
         SELECT r.rolname::text, r.rolpassword, \
         r.rolcanlogin AND NOT r.rolinherit, \
         r.rolsuper OR r.rolcreatedb OR r.rolcreaterole OR r.rolreplication OR r.rolbypassrls \
         OR EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.member = r.oid) \
         OR EXISTS (SELECT 1 FROM pg_shdepend s, d WHERE s.refclassid = 'pg_authid'::regclass \
            AND s.refobjid = r.oid AND s.dbid <> d.oid \
            AND NOT (s.classid = 'pg_database'::regclass AND s.objid = d.oid)) \
         FROM pg_authid r WHERE r.rolname = $1",
    )
    .bind(name)
    .bind(database)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_error)?
    else {
        return Ok(None);
    };
    Ok(Some(Role {
        name: row.try_get(0).map_err(db_error)?,
        password: row.try_get(1).map_err(db_error)?,
        plain: row.try_get(2).map_err(db_error)?,
        foreign: row.try_get(3).map_err(db_error)?,
    }))
}

/// A server error, or a server that cannot be reached.
fn db_error(e: sqlx::Error) -> DbError {
    match e {
        sqlx::Error::Database(d) => {
            let code = d.code().map(|c| c.into_owned()).unwrap_or_default();
            // Connection exceptions, too many connections, shutting down,
            // starting up.
            if code.starts_with("08")
                || matches!(code.as_str(), "53300" | "57P01" | "57P02" | "57P03")
            {
                DbError::Unreachable(d.message().to_owned())
            } else {
                DbError::Refused(d.message().to_owned())
            }
        }
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => DbError::Unreachable(format!("PostgreSQL: {e}")),
        other => DbError::Refused(format!("PostgreSQL: {other}")),
    }
}

impl DbServer for PostgresServer {
    async fn apply(&self, db: &DesiredDatabase) -> Result<(), DbError> {
        if db.users.iter().any(|u| u.name.as_str() == self.admin) {
            return Err(DbError::Refused(format!(
                "{} is the PostgreSQL administrator",
                self.admin
            )));
        }
        let mut conn = self.conn().await?;
        let observed = self.observe(&mut conn, db).await?;
        let plan = plan(db, &observed)?;
        self.run(&mut conn, &plan.cluster).await?;
        self.run_inside(&db.name, &plan.inside).await?;
        if !plan.drop_roles.is_empty() {
            let names: Vec<String> = plan.drop_roles.iter().map(DbName::to_string).collect();
            self.end_sessions(&mut conn, None, &names).await?;
            let drops: Vec<String> = plan.drop_roles.iter().map(drop_role_sql).collect();
            self.run(&mut conn, &drops).await?;
        }
        self.run(&mut conn, &plan.settings).await?;
        self.end_sessions(&mut conn, Some(&db.name), &plan.kill)
            .await
    }

    async fn dump(&self, name: &DbName, to: &Path) -> Result<(), DbError> {
        let file = create_private(to)?;
        let result = self
            .tool(
                "pg_dump",
                name,
                &["--format=plain", "--no-password", "--encoding=UTF8"],
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
        let mut candidates: BTreeSet<String> = grants(&mut conn, name.as_str())
            .await?
            .into_iter()
            .map(|(role, _)| role)
            .collect();
        let owner: Option<String> = sqlx::query_scalar(
            "SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = $1",
        )
        .bind(name.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_error)?;
        candidates.extend(owner);
        // The owner is named after its database, even once it is gone.
        candidates.insert(name.to_string());
        candidates.remove(&self.admin);
        self.run(&mut conn, &[drop_database_sql(name)]).await?;
        for candidate in candidates {
            // Checked now that the database is gone: anything left is
            // elsewhere.
            let Some(role) = role(&mut conn, &candidate, name.as_str()).await? else {
                continue;
            };
            let Ok(role_name) = DbName::parse_existing(&role.name) else {
                tracing::warn!(database = %name, role = %role.name,
                    "a PostgreSQL role Konbit cannot name had rights on a dropped database");
                continue;
            };
            if role.foreign {
                tracing::warn!(database = %name, role = %role.name,
                    "a role with rights elsewhere had rights on a dropped database: kept");
                continue;
            }
            self.end_sessions(&mut conn, None, std::slice::from_ref(&role.name))
                .await?;
            self.run(&mut conn, &[drop_role_sql(&role_name)]).await?;
        }
        Ok(())
    }

    async fn restore(&self, db: &DesiredDatabase, from: &Path) -> Result<(), DbError> {
        let path = from
            .to_str()
            .ok_or_else(|| DbError::Refused(format!("{}: not UTF-8", from.display())))?;
        std::fs::metadata(from)
            .map_err(|e| DbError::Unreachable(format!("{}: {e}", from.display())))?;
        self.apply(db).await?;
        let file_arg = format!("--file={path}");
        let loaded = self
            .tool(
                "psql",
                &db.name,
                &[
                    "--no-psqlrc",
                    "--no-password",
                    "--quiet",
                    "--single-transaction",
                    "--set=ON_ERROR_STOP=1",
                    &file_arg,
                ],
                Stdio::null(),
            )
            .await;
        if let Err(e) = loaded {
            // Leave no empty database: the next attempt must see it
            // missing and restore again, not apply over it.
            let mut conn = self.conn().await?;
            self.run(&mut conn, &[drop_database_sql(&db.name)]).await?;
            return Err(e);
        }
        // The loaded tables get the extra users' rights.
        self.apply(db).await
    }

    async fn sizes(&self) -> Result<HashMap<String, i64>, DbError> {
        let rows = sqlx::query(
            "SELECT datname::text, pg_database_size(oid) FROM pg_database \
             WHERE NOT datistemplate AND datallowconn",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let mut sizes = HashMap::with_capacity(rows.len());
        for row in &rows {
            let name: String = row.try_get(0).map_err(db_error)?;
            let size: i64 = row.try_get(1).map_err(db_error)?;
            let system =
                name == "postgres" || self.admin_database.as_deref() == Some(name.as_str());
            if DbName::parse_existing(&name).is_ok() && !system {
                sizes.insert(name, size);
            }
        }
        Ok(sizes)
    }

    async fn version(&self) -> Result<String, DbError> {
        sqlx::query_scalar("SHOW server_version")
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use konbit_core::db_verifier::scram_sha256;
    use konbit_core::names::AccountName;
    use proptest::prelude::*;

    fn name(s: &str) -> DbName {
        DbName::parse_existing(s).unwrap()
    }

    fn verifier() -> String {
        scram_sha256("Correct-Horse-9", &[7; 16], 4096)
    }

    fn user(n: &str, right: DbRight) -> DesiredUser {
        DesiredUser {
            name: name(n),
            right,
            verifier: verifier(),
        }
    }

    fn desired(read_only: bool) -> DesiredDatabase {
        DesiredDatabase {
            name: name("radio_wp"),
            users: vec![
                user("radio_wp", DbRight::Owner),
                user("radio_rw", DbRight::ReadWrite),
            ],
            read_only,
        }
    }

    fn as_is(read_only: bool) -> Observed {
        let role = |n: &str| Role {
            name: n.into(),
            password: Some(verifier()),
            plain: true,
            foreign: false,
        };
        let grants = ["radio_wp", "radio_rw"]
            .iter()
            .flat_map(|r| {
                [
                    (r.to_string(), "CONNECT".into()),
                    (r.to_string(), "TEMPORARY".into()),
                ]
            })
            .collect();
        Observed {
            database: Some(Database {
                owner: "radio_wp".into(),
                public: false,
                grants,
            }),
            roles: vec![role("radio_wp"), role("radio_rw")],
            strays: vec![],
            read_only: if read_only {
                ["", "radio_wp", "radio_rw"].map(String::from).into()
            } else {
                BTreeSet::new()
            },
        }
    }

    #[test]
    fn a_new_database_is_owned_by_its_owner_and_closed_to_others() {
        let p = plan(&desired(false), &Observed::default()).unwrap();
        let v = verifier();
        let role = |n: &str| {
            format!(
                "CREATE ROLE \"{n}\" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT \
                 NOREPLICATION NOBYPASSRLS PASSWORD '{v}'"
            )
        };
        assert_eq!(
            p.cluster,
            vec![
                role("radio_wp"),
                role("radio_rw"),
                "CREATE DATABASE \"radio_wp\" OWNER \"radio_wp\" ENCODING 'UTF8' TEMPLATE template0"
                    .to_owned(),
                "REVOKE ALL ON DATABASE \"radio_wp\" FROM PUBLIC".to_owned(),
                "GRANT CONNECT, TEMPORARY ON DATABASE \"radio_wp\" TO \"radio_wp\"".to_owned(),
                "GRANT CONNECT, TEMPORARY ON DATABASE \"radio_wp\" TO \"radio_rw\"".to_owned(),
            ]
        );
        assert!(p.inside.contains(
            &"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \"radio_rw\""
                .to_owned()
        ));
        assert!(
            p.inside.contains(
                &"ALTER DEFAULT PRIVILEGES FOR ROLE \"radio_wp\" IN SCHEMA public \
              GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO \"radio_rw\""
                    .to_owned()
            )
        );
        assert!(p.settings.is_empty() && p.kill.is_empty() && p.drop_roles.is_empty());
    }

    #[test]
    fn nothing_changes_outside_the_database_when_it_is_as_desired() {
        for read_only in [false, true] {
            let p = plan(&desired(read_only), &as_is(read_only)).unwrap();
            assert!(p.cluster.is_empty(), "{:?}", p.cluster);
            assert!(p.settings.is_empty() && p.kill.is_empty() && p.drop_roles.is_empty());
        }
    }

    #[test]
    fn read_only_sets_the_default_and_ends_sessions_and_keeps_select() {
        let p = plan(&desired(true), &as_is(false)).unwrap();
        assert_eq!(
            p.settings,
            vec![
                "ALTER DATABASE \"radio_wp\" SET default_transaction_read_only = on",
                "ALTER ROLE \"radio_wp\" IN DATABASE \"radio_wp\" SET default_transaction_read_only = on",
                "ALTER ROLE \"radio_rw\" IN DATABASE \"radio_wp\" SET default_transaction_read_only = on",
            ]
        );
        assert_eq!(p.kill, vec!["radio_wp", "radio_rw"]);
        assert!(
            p.inside.contains(
                &"GRANT SELECT ON ALL TABLES IN SCHEMA public TO \"radio_rw\"".to_owned()
            )
        );
        let back = plan(&desired(false), &as_is(true)).unwrap();
        assert_eq!(
            back.settings[0],
            "ALTER DATABASE \"radio_wp\" RESET default_transaction_read_only"
        );
    }

    #[test]
    fn strays_are_dropped_foreign_roles_only_lose_the_database() {
        let mut observed = as_is(false);
        observed.strays = vec![
            Role {
                name: "radio_old".into(),
                ..Role::default()
            },
            Role {
                name: "monitor".into(),
                foreign: true,
                ..Role::default()
            },
            Role {
                name: "Bad\"Name".into(),
                ..Role::default()
            },
        ];
        let p = plan(&desired(false), &observed).unwrap();
        assert_eq!(
            p.cluster,
            vec!["REVOKE ALL ON DATABASE \"radio_wp\" FROM \"monitor\""]
        );
        assert!(p.inside.ends_with(&[
            "REASSIGN OWNED BY \"radio_old\" TO \"radio_wp\"".to_owned(),
            "DROP OWNED BY \"radio_old\"".to_owned(),
        ]));
        assert_eq!(p.drop_roles, vec![name("radio_old")]);
    }

    #[test]
    fn foreign_roles_bad_secrets_and_ownerless_databases_are_refused() {
        let mut observed = as_is(false);
        observed.roles[1].foreign = true;
        assert!(plan(&desired(false), &observed).is_err());
        let mut db = desired(false);
        db.users[1].verifier = "SCRAM-SHA-256$4096:YQ==$YQ==:YQ=='".into();
        assert!(plan(&db, &Observed::default()).is_err());
        db.users.remove(0);
        assert!(plan(&db, &Observed::default()).is_err());
    }

    #[test]
    fn literals_are_valid_whatever_the_string_settings() {
        assert_eq!(literal("a'b"), "'a''b'");
        assert_eq!(literal("a\\'b"), "E'a\\\\''b'");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
    }

    /// Whatever names a member types, every statement is one statement
    /// whose quoted parts are exactly the names, `UTF8` and the secret.
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
            any::<[u8; 16]>(),
            any::<bool>(),
        );
        let accepted = std::cell::Cell::new(0usize);
        let result = runner.run(
            &strategy,
            |(account, db_suffix, user_suffix, salt, read_only)| {
                let Ok(account) = AccountName::parse("name", &account) else {
                    return Ok(());
                };
                let (Ok(db), Ok(extra)) = (
                    DbName::for_account("name", &account, &db_suffix),
                    DbName::for_account("name", &account, &user_suffix),
                ) else {
                    return Ok(());
                };
                if db == extra {
                    return Ok(());
                }
                accepted.set(accepted.get() + 1);
                let verifier = scram_sha256("Correct-Horse-9", &salt, 1);
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
                let drifted = Observed {
                    database: Some(Database {
                        owner: extra.to_string(),
                        public: true,
                        grants: vec![],
                    }),
                    roles: vec![Role {
                        name: db.to_string(),
                        ..Role::default()
                    }],
                    strays: vec![
                        Role {
                            name: extra.to_string(),
                            ..Role::default()
                        },
                        Role {
                            name: extra.to_string(),
                            foreign: true,
                            ..Role::default()
                        },
                    ],
                    read_only: [String::new()].into(),
                };
                let mut statements = Vec::new();
                for observed in [Observed::default(), drifted] {
                    let p = plan(&desired, &observed).unwrap();
                    statements.extend(p.cluster);
                    statements.extend(p.inside);
                    statements.extend(p.settings);
                    statements.extend(p.drop_roles.iter().map(drop_role_sql));
                }
                statements.push(drop_database_sql(&db));
                let allowed = [
                    db.to_string(),
                    extra.to_string(),
                    "UTF8".into(),
                    verifier.clone(),
                ];
                for sql in &statements {
                    let (parts, outside) =
                        crate::database::statement_tests::quoted_parts(sql, ['\'', '"']).unwrap();
                    for p in &parts {
                        prop_assert!(allowed.contains(p), "{sql}: {p}");
                    }
                    let outside = outside
                        .replace("template0", "")
                        .replace("public", "")
                        .replace("default_transaction_read_only", "")
                        .replace(" on", "");
                    prop_assert!(
                        outside
                            .bytes()
                            .all(|b| b.is_ascii_uppercase() || b" ,=()Q".contains(&b)),
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
