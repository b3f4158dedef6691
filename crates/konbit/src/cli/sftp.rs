//! `konbit sftp …`: SFTP logins, named by their id (`konbit sftp list`
//! shows it). Passwords are read from standard input (`--password-stdin`)
//! or made and printed once, never taken as an argument, where other users
//! could see them; SSH public keys come from files (`--key-file`).

use crate::output::{EXIT_INVALID, Format, fail, print, tr};
use clap::Subcommand;
use konbit_app::sftp::{SftpInput, SftpUpdate, SftpView};
use konbit_app::{App, AppError};
use konbit_core::authz::Actor;
use konbit_core::model::{Account, AccountId};
use konbit_core::{ErrorCode, FieldError, Rule};
use serde_json::json;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What clap exits with on a usage error; a usage rule clap cannot express
/// exits the same way.
const EXIT_USAGE: u8 = 2;

#[derive(Subcommand, Debug)]
pub enum SftpCommand {
    /// List SFTP logins.
    List {
        /// Only this account's logins (its name or id).
        #[arg(long)]
        account: Option<String>,
    },
    /// Add an SFTP login, chrooted to a directory of the account's home.
    Add {
        /// The account (its name or id).
        #[arg(long)]
        account: String,
        /// The login: `<account>_<suffix>`, the suffix alone, or the account's name alone.
        #[arg(long)]
        login: String,
        /// The directory the login is limited to, relative to the account's home (default: the whole home).
        #[arg(long)]
        dir: Option<String>,
        /// Read the password from standard input. Without it and without --key-file, one is made and printed once.
        #[arg(long)]
        password_stdin: bool,
        /// A file of OpenSSH public keys, one per line (repeatable; `-`: standard input).
        #[arg(long = "key-file")]
        key_files: Vec<PathBuf>,
    },
    /// Show a login: its directory, password or not, keys and where to connect.
    Show { id: i64 },
    /// Change a login's directory, password or keys; what is not given stays as it is.
    Update {
        id: i64,
        /// The directory, relative to the account's home (`/`: the whole home).
        #[arg(long)]
        dir: Option<String>,
        /// Read a new password from standard input.
        #[arg(long, conflicts_with_all = ["generate_password", "clear_password"])]
        password_stdin: bool,
        /// Make a new password and print it once.
        #[arg(long, conflicts_with = "clear_password")]
        generate_password: bool,
        /// Remove the password (the keys alone log in).
        #[arg(long)]
        clear_password: bool,
        /// Replace the keys with those of these files (repeatable; `-`: standard input).
        #[arg(long = "key-file", conflicts_with = "clear_keys")]
        key_files: Vec<PathBuf>,
        /// Remove every key (the password alone logs in).
        #[arg(long)]
        clear_keys: bool,
    },
    /// Let a disabled login in again.
    Enable { id: i64 },
    /// Refuse a login from now on; its settings and files stay.
    Disable { id: i64 },
    /// Remove a login for good; the files it wrote stay in the account's home.
    Delete { id: i64 },
}

/// An account named on the command line, by name or id.
pub(super) async fn account(app: &App, actor: &Actor, given: &str) -> Result<Account, AppError> {
    let given = given.trim();
    match given.parse::<i64>() {
        Ok(id) => app.accounts().get(actor, AccountId(id)).await,
        Err(_) => app.accounts().get_by_name(actor, given).await,
    }
}

pub(super) async fn account_opt(
    app: &App,
    actor: &Actor,
    given: Option<String>,
) -> Result<Option<AccountId>, AppError> {
    match given {
        Some(a) => Ok(Some(account(app, actor, &a).await?.id)),
        None => Ok(None),
    }
}

/// A password from standard input: an empty one is refused here, since
/// the services read "empty" as "make one up" or "none".
pub(super) fn stdin_password() -> Result<String, AppError> {
    let (password, _) = super::password_input(true)?;
    if password.is_empty() {
        return Err(AppError::invalid(FieldError::new(
            "password",
            Rule::Required,
        )));
    }
    Ok(password)
}

/// The suffix the service takes, from a login given whole or as its suffix.
fn login_suffix<'a>(account: &Account, login: &'a str) -> &'a str {
    let login = login.trim();
    let name = account.name.as_str();
    if login == name {
        return "";
    }
    login
        .strip_prefix(name)
        .and_then(|rest| rest.strip_prefix('_'))
        .unwrap_or(login)
}

/// The keys of every file, one per line; `-` is standard input.
fn read_keys(files: &[PathBuf]) -> Result<String, AppError> {
    let mut all = String::new();
    for file in files {
        let text = if file == Path::new("-") {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| AppError::Internal(format!("cannot read the keys from stdin: {e}")))?;
            s
        } else {
            std::fs::read_to_string(file)
                .map_err(|e| AppError::Internal(format!("cannot read {}: {e}", file.display())))?
        };
        all.push_str(&text);
        all.push('\n');
    }
    Ok(all)
}

/// Standard input can be read once: for the password or for one key file.
fn stdin_usage(password_stdin: bool, key_files: &[PathBuf]) -> Option<&'static str> {
    let from_stdin = key_files.iter().filter(|f| *f == Path::new("-")).count();
    if from_stdin > 1 {
        Some("--key-file - can be given once")
    } else if from_stdin == 1 && password_stdin {
        Some("--key-file - and --password-stdin cannot both read standard input")
    } else {
        None
    }
}

fn status_word(v: &SftpView) -> &'static str {
    if v.sftp.enabled {
        v.sftp.provision.status.as_str()
    } else {
        "disabled"
    }
}

fn dir_text(v: &SftpView) -> String {
    match &v.sftp.dir {
        Some(d) => format!("~/{d}"),
        None => "~ (the whole home)".into(),
    }
}

/// How the login signs in: "password", "2 keys", "password, 1 key".
fn auth_text(v: &SftpView) -> String {
    let mut parts = Vec::new();
    if v.sftp.has_password {
        parts.push("password".to_owned());
    }
    match v.sftp.keys.len() {
        0 => {}
        1 => parts.push("1 key".into()),
        n => parts.push(format!("{n} keys")),
    }
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(", ")
    }
}

/// The width of a text column: its widest cell, at least `min`.
fn width<'a>(cells: impl Iterator<Item = &'a str>, min: usize) -> usize {
    cells.map(|c| c.chars().count()).fold(min, usize::max)
}

/// One login on a line; `w` is the width of the login column.
fn sftp_line(v: &SftpView, w: usize) -> String {
    format!(
        "{:<5} {:<w$} {:<16} {:<9} {:<16} {}",
        v.sftp.id.0,
        v.sftp.login.as_str(),
        v.account_name,
        status_word(v),
        auth_text(v),
        dir_text(v),
    )
}

fn sftp_header(w: usize) -> String {
    format!(
        "{:<5} {:<w$} {:<16} {:<9} {:<16} {}",
        "ID", "LOGIN", "ACCOUNT", "STATUS", "SIGN-IN", "DIRECTORY"
    )
}

fn sftp_text(v: &SftpView) -> String {
    let s = &v.sftp;
    let p = &s.provision;
    let mut out = format!("{} (SFTP login {})", s.login, s.id.0);
    out.push_str(&format!(
        "\n  account {} ({}), {}, {} (generation {}, applied {})",
        v.account_name,
        s.account_id.0,
        if s.enabled { "enabled" } else { "disabled" },
        p.status.as_str(),
        p.generation,
        p.applied_generation
    ));
    if let Some(e) = &p.last_error {
        out.push_str(&format!("\n  last error: {e}"));
    }
    out.push_str(&format!("\n  directory: {}", dir_text(v)));
    out.push_str(&format!(
        "\n  password: {}",
        if s.has_password { "set" } else { "none" }
    ));
    if s.keys.is_empty() {
        out.push_str("\n  SSH keys: none");
    } else {
        out.push_str("\n  SSH keys:");
        for k in &s.keys {
            out.push_str(&format!(
                "\n    {} {} {}",
                k.key_type,
                k.fingerprint(),
                k.comment
            ));
        }
    }
    out.push_str(&format!(
        "\n\nConnect: sftp -P {} {}@{}",
        v.port, s.login, v.host
    ));
    out
}

/// Prints a login after a change, with the password Konbit made, once.
fn done(format: Format, v: &SftpView, what: &str) {
    print(format, v, |v| {
        let mut s = format!("{what}: {}", sftp_line(v, 0));
        if let Some(pw) = &v.password {
            s.push_str(&format!(
                "\nPassword: {pw}\n(shown once: Konbit keeps only its hash)"
            ));
        }
        s
    });
}

async fn inner(format: Format, app: &App, actor: &Actor, cmd: SftpCommand) -> Result<(), AppError> {
    let sftp = app.sftp();
    match cmd {
        SftpCommand::List { account } => {
            let account = account_opt(app, actor, account).await?;
            let items = sftp.list(actor, account).await?;
            print(format, &json!({ "items": items }), |_| {
                let w = width(items.iter().map(|v| v.sftp.login.as_str()), 16);
                let mut out = sftp_header(w);
                out.push('\n');
                for v in &items {
                    out.push_str(&sftp_line(v, w));
                    out.push('\n');
                }
                out.push_str(&format!("{} SFTP logins", items.len()));
                out
            });
        }
        SftpCommand::Add {
            account: given,
            login,
            dir,
            password_stdin,
            key_files,
        } => {
            let account = account(app, actor, &given).await?;
            let keys = read_keys(&key_files)?;
            let password = if password_stdin {
                stdin_password()?
            } else {
                String::new()
            };
            let input = SftpInput {
                account: account.name.to_string(),
                suffix: login_suffix(&account, &login).to_owned(),
                dir: dir.unwrap_or_default(),
                password,
                generate_password: !password_stdin && key_files.is_empty(),
                keys,
            };
            let v = sftp.create(actor, input).await?;
            done(format, &v, "Added");
        }
        SftpCommand::Show { id } => {
            let v = sftp.get(actor, id).await?;
            print(format, &v, sftp_text);
        }
        SftpCommand::Update {
            id,
            dir,
            password_stdin,
            generate_password,
            clear_password,
            key_files,
            clear_keys,
        } => {
            let keys = if clear_keys {
                Some(String::new())
            } else if key_files.is_empty() {
                None
            } else {
                Some(read_keys(&key_files)?)
            };
            let password = if password_stdin {
                Some(stdin_password()?)
            } else if clear_password {
                Some(String::new())
            } else {
                None
            };
            let input = SftpUpdate {
                dir,
                keys,
                password,
                generate_password,
            };
            let v = sftp.update(actor, id, input).await?;
            done(format, &v, "Saved");
        }
        SftpCommand::Enable { id } => {
            let v = sftp.set_enabled(actor, id, true).await?;
            done(format, &v, "Enabled");
        }
        SftpCommand::Disable { id } => {
            let v = sftp.set_enabled(actor, id, false).await?;
            done(format, &v, "Disabled");
        }
        SftpCommand::Delete { id } => {
            let login = sftp.get(actor, id).await?.sftp.login;
            sftp.delete(actor, id).await?;
            print(format, &json!({ "deleted": id, "login": login }), |_| {
                format!(
                    "Deleted SFTP login {login}; the files it wrote stay in the account's home."
                )
            });
        }
    }
    Ok(())
}

/// Like [`fail`], except that field errors are worded with the labels the
/// panel's forms use (`field-login` and the like have no wording of their
/// own), and a conflict says which rule it broke, as the API does.
pub(super) fn hosting_fail(
    format: Format,
    e: AppError,
    label: impl Fn(&'static str) -> &'static str,
) -> ExitCode {
    let tr = tr();
    match e {
        AppError::Invalid(fields) => {
            let labelled: Vec<FieldError> = fields
                .iter()
                .map(|f| FieldError::new(label(f.field), f.rule.clone()))
                .collect();
            let code = ErrorCode::InvalidInput;
            match format {
                Format::Json => {
                    let mut body = konbit_web::problem_body(&tr, code, None, &labelled);
                    if let Some(errors) = body.get_mut("errors").and_then(|v| v.as_array_mut()) {
                        // Scripts see the API's field names.
                        for (error, f) in errors.iter_mut().zip(&fields) {
                            error["field"] = json!(f.field);
                        }
                    }
                    eprintln!("{body}");
                }
                Format::Text => {
                    eprintln!("konbit: {}", tr.t(&code.message_id()));
                    for f in &labelled {
                        eprintln!("  - {}", konbit_web::field_message(&tr, f));
                    }
                }
            }
            ExitCode::from(EXIT_INVALID)
        }
        AppError::Conflict { code, detail } if !detail.is_empty() => {
            match format {
                Format::Json => {
                    eprintln!("{}", konbit_web::problem_body(&tr, code, Some(detail), &[]));
                }
                Format::Text => {
                    eprintln!("konbit: {}", tr.t(&code.message_id()));
                    eprintln!("  - {detail}");
                }
            }
            ExitCode::from(crate::output::EXIT_CONFLICT)
        }
        other => fail(format, other),
    }
}

/// The words of the SFTP form.
fn sftp_label(field: &'static str) -> &'static str {
    match field {
        "login" => "sftp_login",
        "dir" => "sftp_dir",
        "keys" => "ssh_keys",
        "password" => "sftp_password",
        other => other,
    }
}

/// A usage rule clap cannot express, as clap words its own.
fn usage(message: &str) -> ExitCode {
    eprintln!("konbit: {message}");
    ExitCode::from(EXIT_USAGE)
}

pub async fn run(format: Format, app: &App, actor: &Actor, cmd: SftpCommand) -> ExitCode {
    let misuse = match &cmd {
        SftpCommand::Add {
            password_stdin,
            key_files,
            ..
        }
        | SftpCommand::Update {
            password_stdin,
            key_files,
            ..
        } => stdin_usage(*password_stdin, key_files),
        _ => None,
    };
    if let Some(message) = misuse {
        return usage(message);
    }
    match inner(format, app, actor, cmd).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => hosting_fail(format, e, sftp_label),
    }
}
