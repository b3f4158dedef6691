//! `konbit database …`: members' databases on MariaDB and PostgreSQL, named
//! by their id (`konbit database list` shows it); their users by name or
//! id. Passwords are read from standard input (`--password-stdin`) or made
//! by Konbit and printed once: Konbit keeps only the engine's verifier.

use super::sftp::{account, account_opt, hosting_fail, stdin_password};
use crate::output::{Format, print};
use clap::{Subcommand, ValueEnum};
use konbit_app::database::{DatabaseInput, DatabaseUserInput, DatabaseView};
use konbit_app::{App, AppError};
use konbit_core::authz::Actor;
use konbit_core::database::{DbName, DbRight};
use konbit_core::model::DatabaseUser;
use konbit_core::names::AccountName;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum DatabaseCommand {
    /// List databases.
    List {
        /// Only this account's databases (its name or id).
        #[arg(long)]
        account: Option<String>,
        /// List deleted (restorable) databases.
        #[arg(long)]
        deleted: bool,
    },
    /// Add a database and its own user, both named `<account>_<name>`.
    Add {
        /// The account (its name or id).
        #[arg(long)]
        account: String,
        #[arg(long, value_enum)]
        engine: EngineArg,
        /// The part after `<account>_` (or the whole name): lowercase letters, digits and `_`.
        #[arg(long)]
        name: String,
        /// Read the password from standard input (otherwise one is made and printed once).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Show a database: how to connect, its users and its size.
    Show { id: i64 },
    /// Set a new password for the database's own user, or another of its users.
    Password {
        id: i64,
        /// The user (its name or id; default: the database's own user).
        #[arg(long)]
        user: Option<String>,
        /// Read the password from standard input (otherwise one is made and printed once).
        #[arg(long)]
        password_stdin: bool,
    },
    /// A database's extra users.
    #[command(subcommand)]
    User(UserCommand),
    /// Dump then drop a database; restorable from its dump during the grace period.
    Delete { id: i64 },
    /// Bring a deleted database back from its final dump.
    Restore { id: i64 },
    /// Copy the final dump (SQL) of a deleted database (default: to standard output).
    Dump {
        id: i64,
        /// The file to write (it must not exist yet; made readable by its owner only).
        #[arg(long)]
        file: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user with read-only or read-write rights (no schema change).
    Add {
        id: i64,
        /// The part after `<account>_` (or the whole name).
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        access: AccessArg,
        /// Read the password from standard input (otherwise one is made and printed once).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Remove an extra user (its name or id); the database's own user goes only with it.
    Delete { id: i64, user: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineArg {
    #[value(alias = "mysql")]
    Mariadb,
    #[value(alias = "postgres", alias = "pg")]
    Postgresql,
}

impl EngineArg {
    fn as_str(self) -> &'static str {
        match self {
            Self::Mariadb => "mariadb",
            Self::Postgresql => "postgresql",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AccessArg {
    /// Read rows only.
    ReadOnly,
    /// Read and write rows.
    ReadWrite,
}

impl AccessArg {
    /// The right as the service names it.
    fn as_right(self) -> &'static str {
        match self {
            Self::ReadOnly => DbRight::ReadOnly.as_str(),
            Self::ReadWrite => DbRight::ReadWrite.as_str(),
        }
    }
}

/// The suffix the service takes, from a name given whole or as its suffix.
fn name_suffix<'a>(account: &AccountName, name: &'a str) -> &'a str {
    let name = name.trim();
    name.strip_prefix(&DbName::prefix(account)).unwrap_or(name)
}

/// A user of the database named on the command line: its id, its whole
/// name, or the part after the account's prefix.
fn find_user<'a>(v: &'a DatabaseView, given: &str) -> Result<&'a DatabaseUser, AppError> {
    let given = given.trim();
    if let Ok(id) = given.parse::<i64>() {
        return v
            .users
            .iter()
            .find(|u| u.id.0 == id)
            .ok_or(AppError::NotFound);
    }
    let whole = match AccountName::parse("account", &v.account_name) {
        Ok(a) => format!("{}{given}", DbName::prefix(&a)),
        Err(_) => given.to_owned(),
    };
    v.users
        .iter()
        .find(|u| u.name.as_str() == given || u.name.as_str() == whole)
        .ok_or(AppError::NotFound)
}

fn owner(v: &DatabaseView) -> Result<&DatabaseUser, AppError> {
    v.users
        .iter()
        .find(|u| u.right == DbRight::Owner)
        .ok_or_else(|| AppError::Internal(format!("database {} has no owner", v.database.name)))
}

fn status_word(v: &DatabaseView) -> &'static str {
    let d = &v.database;
    if d.is_deleted() {
        "deleted"
    } else if d.read_only {
        "read-only"
    } else {
        d.provision.status.as_str()
    }
}

/// `1234567` as `1.2 MB`.
fn size_text(bytes: i64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KB", "MB", "GB"];
    let mut tenths = u128::try_from(bytes).unwrap_or(0) * 10;
    let mut unit = 0;
    while tenths >= 10 * 1024 && unit + 1 < UNITS.len() {
        tenths = (tenths + 512) / 1024;
        unit += 1;
    }
    if unit == 0 {
        format!("{} {}", tenths / 10, UNITS[0])
    } else {
        format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
    }
}

fn size_cell(v: &DatabaseView) -> String {
    v.database
        .size_bytes
        .map(size_text)
        .unwrap_or_else(|| "-".into())
}

/// The width of a text column: its widest cell, at least `min`.
fn width<'a>(cells: impl Iterator<Item = &'a str>, min: usize) -> usize {
    cells.map(|c| c.chars().count()).fold(min, usize::max)
}

/// One database on a line; `w` is the width of the name column.
fn database_line(v: &DatabaseView, w: usize) -> String {
    let d = &v.database;
    format!(
        "{:<5} {:<w$} {:<16} {:<10} {:<10} {:>10} {}",
        d.id.0,
        d.name.as_str(),
        v.account_name,
        d.engine.as_str(),
        status_word(v),
        size_cell(v),
        v.users.len(),
    )
}

fn database_header(w: usize) -> String {
    format!(
        "{:<5} {:<w$} {:<16} {:<10} {:<10} {:>10} {}",
        "ID", "NAME", "ACCOUNT", "ENGINE", "STATUS", "SIZE", "USERS"
    )
}

fn database_text(v: &DatabaseView) -> String {
    let d = &v.database;
    let p = &d.provision;
    let mut out = format!("{} ({} database {})", d.name, d.engine.label(), d.id.0);
    out.push_str(&format!(
        "\n  account {} ({}), {} (generation {}, applied {})",
        v.account_name,
        d.account_id.0,
        status_word(v),
        p.generation,
        p.applied_generation
    ));
    if let Some(e) = &p.last_error {
        out.push_str(&format!("\n  last error: {e}"));
    }
    let mut size = match (d.size_bytes, d.size_measured_at) {
        (Some(b), Some(at)) => format!(
            "{} (measured {})",
            size_text(b),
            konbit_app::audit::iso_time(at)
        ),
        (Some(b), None) => size_text(b),
        _ => "not measured yet".into(),
    };
    if v.max_size_bytes > 0 {
        let limit = i64::try_from(v.max_size_bytes).unwrap_or(i64::MAX);
        size.push_str(&format!(", limit {}", size_text(limit)));
    }
    out.push_str(&format!("\n  size: {size}"));
    if v.over_size {
        out.push_str(if d.read_only {
            "\n  over its size limit: its users may only read until it shrinks"
        } else {
            "\n  over its size limit"
        });
    }
    if let Some(after) = d.purge_after {
        out.push_str(&format!(
            "\n  deleted; restorable until {}{}",
            konbit_app::audit::iso_time(after),
            if v.dump_available {
                " (final dump available: konbit database dump)"
            } else {
                ""
            }
        ));
    }
    match &v.connection {
        Some(c) => out.push_str(&format!(
            "\n\nConnection:\n  host      {}\n  port      {}\n  database  {}\n  user      {}\n  URL       {}",
            c.host, c.port, c.database, c.user, c.url
        )),
        None => out.push_str(&format!(
            "\n\nConnection: none ({} is not offered on this server any more)",
            d.engine.label()
        )),
    }
    out.push_str("\n\nUsers:");
    let w = width(v.users.iter().map(|u| u.name.as_str()), 8);
    for u in &v.users {
        out.push_str(&format!(
            "\n  {:<5} {:<w$} {}",
            u.id.0,
            u.name.as_str(),
            u.right.as_str()
        ));
    }
    out
}

/// The sentence after a password was set, with the one Konbit made.
fn password_text(what: String, generated: Option<&String>) -> String {
    match generated {
        Some(pw) => format!(
            "{what}\nPassword: {pw}\n(shown once: Konbit keeps only the database server's verifier)"
        ),
        None => what,
    }
}

/// Writes the dump to `to` (a new file, private) or standard output.
fn copy_dump(dump: &Path, to: Option<&Path>) -> Result<u64, AppError> {
    use std::os::unix::fs::OpenOptionsExt;
    let io = |what: &Path, e: std::io::Error| {
        AppError::Internal(format!("cannot copy {}: {e}", what.display()))
    };
    let mut source = std::fs::File::open(dump).map_err(|e| io(dump, e))?;
    match to {
        Some(path) => {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| io(path, e))?;
            let n = std::io::copy(&mut source, &mut file).map_err(|e| io(path, e))?;
            file.sync_all().map_err(|e| io(path, e))?;
            Ok(n)
        }
        None => {
            let mut out = std::io::stdout().lock();
            std::io::copy(&mut source, &mut out).map_err(|e| io(dump, e))
        }
    }
}

async fn inner(
    format: Format,
    app: &App,
    actor: &Actor,
    cmd: DatabaseCommand,
) -> Result<(), AppError> {
    let databases = app.databases();
    match cmd {
        DatabaseCommand::List { account, deleted } => {
            let account = account_opt(app, actor, account).await?;
            let items = databases.list(actor, account, deleted).await?;
            print(format, &json!({ "items": items }), |_| {
                let w = width(items.iter().map(|v| v.database.name.as_str()), 16);
                let mut out = database_header(w);
                out.push('\n');
                for v in &items {
                    out.push_str(&database_line(v, w));
                    out.push('\n');
                }
                out.push_str(&format!("{} databases", items.len()));
                out
            });
        }
        DatabaseCommand::Add {
            account: given,
            engine,
            name,
            password_stdin,
        } => {
            let account = account(app, actor, &given).await?;
            // Empty: the service makes one and returns it, once.
            let password = if password_stdin {
                stdin_password()?
            } else {
                String::new()
            };
            let input = DatabaseInput {
                account: account.name.to_string(),
                engine: engine.as_str().into(),
                suffix: name_suffix(&account.name, &name).to_owned(),
                password,
            };
            let v = databases.create(actor, input).await?;
            print(format, &v, |v| {
                let d = &v.database;
                let what = format!(
                    "Added {} on {} (database {}), with its user {}.",
                    d.name,
                    d.engine.label(),
                    d.id.0,
                    d.name
                );
                password_text(what, v.password.as_ref())
            });
        }
        DatabaseCommand::Show { id } => {
            let v = databases.get(actor, id).await?;
            print(format, &v, database_text);
        }
        DatabaseCommand::Password {
            id,
            user,
            password_stdin,
        } => {
            let current = databases.get(actor, id).await?;
            let user = match &user {
                Some(u) => find_user(&current, u)?,
                None => owner(&current)?,
            };
            let password = if password_stdin {
                stdin_password()?
            } else {
                String::new()
            };
            let v = databases
                .set_password(actor, id, user.id.0, &password)
                .await?;
            let user = user.name.to_string();
            print(
                format,
                &json!({ "database": id, "user": user, "password": v.password }),
                |_| password_text(format!("New password set for {user}."), v.password.as_ref()),
            );
        }
        DatabaseCommand::User(UserCommand::Add {
            id,
            name,
            access,
            password_stdin,
        }) => {
            let current = databases.get(actor, id).await?;
            let suffix = match AccountName::parse("account", &current.account_name) {
                Ok(a) => name_suffix(&a, &name).to_owned(),
                Err(_) => name.trim().to_owned(),
            };
            let password = if password_stdin {
                stdin_password()?
            } else {
                String::new()
            };
            let input = DatabaseUserInput {
                suffix,
                right: access.as_right().into(),
                password,
            };
            let before: Vec<i64> = current.users.iter().map(|u| u.id.0).collect();
            let v = databases.add_user(actor, id, input).await?;
            print(format, &v, |v| {
                let added = v.users.iter().find(|u| !before.contains(&u.id.0));
                let what = match added {
                    Some(u) => format!(
                        "Added user {} ({}) to {}.",
                        u.name,
                        u.right.as_str(),
                        v.database.name
                    ),
                    None => format!("Added a user to {}.", v.database.name),
                };
                password_text(what, v.password.as_ref())
            });
        }
        DatabaseCommand::User(UserCommand::Delete { id, user }) => {
            let current = databases.get(actor, id).await?;
            let user = find_user(&current, &user)?;
            let v = databases.delete_user(actor, id, user.id.0).await?;
            let name = user.name.to_string();
            print(format, &v, |v| {
                format!("Removed user {name} from {}.", v.database.name)
            });
        }
        DatabaseCommand::Delete { id } => {
            databases.delete(actor, id).await?;
            let v = databases.get(actor, id).await?;
            print(format, &v, |v| {
                format!(
                    "Deleted {}; it is dumped, then dropped, and restorable until {} (konbit database restore {}).",
                    v.database.name,
                    v.database
                        .purge_after
                        .map(konbit_app::audit::iso_time)
                        .unwrap_or_default(),
                    v.database.id.0
                )
            });
        }
        DatabaseCommand::Restore { id } => {
            let v = databases.restore(actor, id).await?;
            print(format, &v, |v| format!("Restored: {}", database_line(v, 0)));
        }
        DatabaseCommand::Dump { id, file } => {
            let dump = databases.dump_path(actor, id).await?;
            match (&file, format) {
                (Some(to), _) => {
                    let bytes = copy_dump(&dump, Some(to))?;
                    print(
                        format,
                        &json!({ "database": id, "file": to, "bytes": bytes }),
                        |_| {
                            format!(
                                "Wrote the final dump ({}) to {}.",
                                size_text(i64::try_from(bytes).unwrap_or(i64::MAX)),
                                to.display()
                            )
                        },
                    );
                }
                // A script asking for JSON is told where the dump is,
                // rather than sent SQL it would try to parse.
                (None, Format::Json) => {
                    let bytes = std::fs::metadata(&dump).map(|m| m.len()).map_err(|e| {
                        AppError::Internal(format!("cannot read {}: {e}", dump.display()))
                    })?;
                    print(
                        format,
                        &json!({ "database": id, "path": dump, "bytes": bytes }),
                        |_| String::new(),
                    );
                }
                (None, Format::Text) => {
                    copy_dump(&dump, None)?;
                }
            }
        }
    }
    Ok(())
}

/// The words of the database forms; an extra user's name is a user name.
fn database_label(field: &'static str) -> &'static str {
    match field {
        "name" => "db_name",
        "engine" => "db_engine",
        "right" => "db_right",
        other => other,
    }
}

fn user_label(field: &'static str) -> &'static str {
    match field {
        "name" => "db_user",
        other => database_label(other),
    }
}

pub async fn run(format: Format, app: &App, actor: &Actor, cmd: DatabaseCommand) -> ExitCode {
    let label = if matches!(cmd, DatabaseCommand::User(UserCommand::Add { .. })) {
        user_label
    } else {
        database_label
    };
    match inner(format, app, actor, cmd).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => hosting_fail(format, e, label),
    }
}
