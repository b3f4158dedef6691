//! `konbit token …`: API tokens for a person, typically to hand to a script.

use crate::output::{Format, fail, print};
use clap::Subcommand;
use konbit_app::token::CreateToken;
use konbit_app::{App, AppError};
use konbit_core::authz::Actor;
use konbit_core::model::TokenId;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Make a token that acts as a person; its secret is printed once.
    Create {
        /// The person the token acts for.
        #[arg(long)]
        user: String,
        #[arg(long)]
        name: String,
        /// `area:read` or `area:write`; areas: accounts, users, quota-profiles, tokens, audit, domains. Repeat for several.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        #[arg(long)]
        expires_in_days: Option<u32>,
        /// Limit the token to this account (by name).
        #[arg(long)]
        account: Option<String>,
    },
    /// A person's tokens.
    List {
        #[arg(long)]
        user: String,
    },
    /// Revoke one of a person's tokens.
    Revoke {
        #[arg(long)]
        user: String,
        id: i64,
    },
}

/// Acts as the person the token belongs to, so the audit names them.
async fn as_person(app: &App, actor: &Actor, email: &str) -> Result<Actor, AppError> {
    let p = app.users().get_by_email(actor, email).await?;
    Ok(Actor {
        user_id: Some(p.id),
        label: format!("cli as {}", p.email),
        is_admin: p.is_admin,
        memberships: p.memberships,
        token: None,
        source: konbit_core::authz::Source::Cli,
        ip: None,
        mfa: false,
        impersonator: None,
    })
}

async fn run_inner(
    format: Format,
    app: &App,
    actor: &Actor,
    cmd: TokenCommand,
) -> Result<(), AppError> {
    match cmd {
        TokenCommand::Create {
            user,
            name,
            scopes,
            expires_in_days,
            account,
        } => {
            let person = as_person(app, actor, &user).await?;
            let owner = person.user_id.ok_or(AppError::NotFound)?;
            let account_id = match account {
                Some(name) => Some(app.accounts().get_by_name(actor, &name).await?.id.0),
                None => None,
            };
            let t = app
                .tokens()
                .create_for(
                    actor,
                    owner,
                    CreateToken {
                        name,
                        scopes,
                        expires_in_days,
                        account_id,
                    },
                )
                .await?;
            print(format, &t, |t| {
                format!("{}\n(shown only once; Konbit keeps only a hash)", t.secret)
            });
        }
        TokenCommand::List { user } => {
            let person = as_person(app, actor, &user).await?;
            let list = app.tokens().list(&person).await?;
            print(format, &list, |list| {
                list.iter()
                    .map(|t| {
                        let scopes: Vec<String> =
                            t.scopes.iter().map(ToString::to_string).collect();
                        format!(
                            "{:<4} {:<20} {}… {}",
                            t.id.0,
                            t.name.as_str(),
                            t.prefix,
                            scopes.join(" ")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        TokenCommand::Revoke { user, id } => {
            let person = as_person(app, actor, &user).await?;
            app.tokens().revoke(&person, TokenId(id)).await?;
            print(format, &serde_json::json!({ "revoked": id }), |_| {
                format!("Revoked token {id}.")
            });
        }
    }
    Ok(())
}

pub async fn run(format: Format, app: &App, actor: &Actor, cmd: TokenCommand) -> ExitCode {
    match run_inner(format, app, actor, cmd).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format, e),
    }
}
