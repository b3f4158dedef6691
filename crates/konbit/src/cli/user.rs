//! `konbit admin …` and `konbit user …`.

use crate::output::{Format, fail, print};
use clap::Subcommand;
use konbit_app::user::{AddPerson, NewAdmin};
use konbit_app::{App, AppError};
use konbit_core::authz::Actor;
use konbit_core::model::{Person, Role};
use konbit_core::page::PageRequest;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create an operator admin (the first one bootstraps the panel).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Read the password from standard input (otherwise one is made and printed).
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the operator admins.
    List,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// List people: everyone, or the people of one account.
    List {
        #[arg(long)]
        account: Option<String>,
        #[arg(long, default_value_t = 1)]
        page: u32,
        #[arg(long, default_value_t = 50)]
        per_page: u32,
    },
    /// Add a person to an account (created if new).
    Add {
        #[arg(long)]
        account: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_parser = ["owner", "member"], default_value = "member")]
        role: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Take a person out of an account.
    Remove {
        #[arg(long)]
        account: String,
        #[arg(long)]
        email: String,
    },
    /// Delete a person for good.
    Delete {
        #[arg(long)]
        email: String,
    },
}

fn person_line(p: &Person) -> String {
    let accounts: Vec<String> = p
        .memberships
        .iter()
        .map(|m| format!("{}:{}", m.account_id, m.role.as_str()))
        .collect();
    format!(
        "{:<4} {:<32} {:<24} {}{}",
        p.id.0,
        p.email.as_str(),
        p.display_name.as_str(),
        if p.is_admin { "admin " } else { "" },
        accounts.join(",")
    )
}

async fn admin_inner(
    format: Format,
    app: &App,
    actor: &Actor,
    cmd: AdminCommand,
) -> Result<(), AppError> {
    match cmd {
        AdminCommand::Create {
            email,
            name,
            password_stdin,
        } => {
            let (password, generated) = super::password_input(password_stdin)?;
            let p = app
                .users()
                .create_admin(
                    actor,
                    NewAdmin {
                        email,
                        display_name: name,
                        password: password.clone(),
                    },
                )
                .await?;
            let shown = generated.then_some(password);
            print(
                format,
                &serde_json::json!({ "id": p.id, "email": p.email, "password": shown }),
                |_| {
                    let mut s = format!("Created admin {}.", p.email);
                    if let Some(pw) = &shown {
                        s.push_str(&format!("\nPassword: {pw}"));
                    }
                    s
                },
            );
        }
        AdminCommand::List => {
            let all = app
                .users()
                .list(actor, None, PageRequest::new(Some(1), Some(200)))
                .await?;
            let admins: Vec<Person> = all.items.into_iter().filter(|p| p.is_admin).collect();
            print(format, &serde_json::json!({ "items": admins }), |_| {
                admins
                    .iter()
                    .map(person_line)
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(())
}

pub async fn admin(format: Format, app: &App, actor: &Actor, cmd: AdminCommand) -> ExitCode {
    match admin_inner(format, app, actor, cmd).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format, e),
    }
}

async fn run_inner(
    format: Format,
    app: &App,
    actor: &Actor,
    cmd: UserCommand,
) -> Result<(), AppError> {
    match cmd {
        UserCommand::List {
            account,
            page,
            per_page,
        } => {
            let account = match account {
                Some(name) => Some(app.accounts().get_by_name(actor, &name).await?.id),
                None => None,
            };
            let page = app
                .users()
                .list(actor, account, PageRequest::new(Some(page), Some(per_page)))
                .await?;
            print(format, &page, |p| {
                p.items
                    .iter()
                    .map(person_line)
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        UserCommand::Add {
            account,
            email,
            name,
            role,
            password_stdin,
        } => {
            let a = app.accounts().get_by_name(actor, &account).await?;
            let is_new = matches!(
                app.users().get_by_email(actor, &email).await,
                Err(AppError::NotFound)
            );
            let (password, generated) = if is_new {
                super::password_input(password_stdin)?
            } else {
                (String::new(), false)
            };
            let role = Role::parse(&role).unwrap_or(Role::Member);
            let input = AddPerson {
                email,
                display_name: name.unwrap_or_default(),
                password: password.clone(),
                role,
            };
            let p = app.users().add_to_account(actor, a.id, input).await?;
            let shown = generated.then_some(password);
            print(
                format,
                &serde_json::json!({ "person": &p, "password": shown }),
                |_| {
                    let mut s = format!("{} is now {} of {}.", p.email, role.as_str(), a.name);
                    if let Some(pw) = &shown {
                        s.push_str(&format!("\nFirst password: {pw}"));
                    }
                    s
                },
            );
        }
        UserCommand::Remove { account, email } => {
            let a = app.accounts().get_by_name(actor, &account).await?;
            let p = app.users().get_by_email(actor, &email).await?;
            app.users().remove_from_account(actor, a.id, p.id).await?;
            print(
                format,
                &serde_json::json!({ "removed": p.id, "account": a.id }),
                |_| format!("{} left {}.", p.email, a.name),
            );
        }
        UserCommand::Delete { email } => {
            let p = app.users().get_by_email(actor, &email).await?;
            app.users().delete(actor, p.id).await?;
            print(format, &serde_json::json!({ "deleted": p.id }), |_| {
                format!("Deleted {}.", p.email)
            });
        }
    }
    Ok(())
}

pub async fn run(format: Format, app: &App, actor: &Actor, cmd: UserCommand) -> ExitCode {
    match run_inner(format, app, actor, cmd).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format, e),
    }
}
