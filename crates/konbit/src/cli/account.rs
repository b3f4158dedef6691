//! `konbit account …` and `konbit quota-profile …`.

use crate::output::{Format, fail, print};
use clap::{Args, Subcommand};
use konbit_app::account::{CreateAccount, OwnerInput, UpdateAccount};
use konbit_app::quota_profile::ProfileInput;
use konbit_app::{App, AppError};
use konbit_core::authz::Actor;
use konbit_core::model::{Account, QuotaProfile};
use konbit_core::page::PageRequest;
use konbit_core::quota::{QuotaLimits, Resource};
use konbit_store::AccountFilter;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum AccountCommand {
    /// List accounts.
    List {
        #[arg(long)]
        search: Option<String>,
        /// List deleted (restorable) accounts.
        #[arg(long)]
        deleted: bool,
        #[arg(long, default_value_t = 1)]
        page: u32,
        #[arg(long, default_value_t = 50)]
        per_page: u32,
    },
    /// Create an account, optionally with its first owner.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        display_name: String,
        /// Quota profile name (default: the first one).
        #[arg(long)]
        profile: Option<String>,
        #[arg(long)]
        owner_email: Option<String>,
        #[arg(long)]
        owner_name: Option<String>,
        /// Read the new owner's password from standard input (otherwise one is made and printed).
        #[arg(long)]
        owner_password_stdin: bool,
    },
    /// Show one account with its quota usage.
    Show {
        name: String,
    },
    /// Change an account's display name or quota profile.
    Update {
        name: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        profile: Option<String>,
    },
    /// Lock an account: its people can look but not change anything.
    Lock {
        name: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    Unlock {
        name: String,
    },
    /// Soft-delete an account (restorable during the grace period).
    Delete {
        name: String,
    },
    Restore {
        name: String,
    },
    /// Remove for good the deleted accounts whose grace period is over.
    Purge,
}

#[derive(Subcommand, Debug)]
pub enum ProfileCommand {
    List,
    Create {
        #[arg(long)]
        name: String,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Change some limits of a profile; the others stay.
    Update {
        name: String,
        #[arg(long)]
        rename: Option<String>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    Delete {
        name: String,
    },
}

#[derive(Args, Debug, Default)]
pub struct LimitArgs {
    #[arg(long)]
    domains: Option<u64>,
    #[arg(long)]
    mailboxes: Option<u64>,
    #[arg(long)]
    mail_storage_mb: Option<u64>,
    #[arg(long)]
    aliases: Option<u64>,
    #[arg(long)]
    mailing_lists: Option<u64>,
    #[arg(long)]
    sites: Option<u64>,
    #[arg(long)]
    sftp_accounts: Option<u64>,
    #[arg(long)]
    databases: Option<u64>,
    #[arg(long)]
    disk_mb: Option<u64>,
}

impl LimitArgs {
    fn apply(&self, mut l: QuotaLimits) -> QuotaLimits {
        let given = [
            (Resource::Domains, self.domains),
            (Resource::Mailboxes, self.mailboxes),
            (Resource::MailStorageMb, self.mail_storage_mb),
            (Resource::Aliases, self.aliases),
            (Resource::MailingLists, self.mailing_lists),
            (Resource::Sites, self.sites),
            (Resource::SftpAccounts, self.sftp_accounts),
            (Resource::Databases, self.databases),
            (Resource::DiskMb, self.disk_mb),
        ];
        for (r, v) in given {
            if let Some(v) = v {
                l.set(r, v);
            }
        }
        l
    }
}

fn account_line(a: &Account) -> String {
    let state = if a.deleted_at.is_some() {
        "deleted"
    } else if a.locked {
        "locked"
    } else {
        "active"
    };
    format!(
        "{:<4} {:<24} {:<8} {:<12} {}",
        a.id.0,
        a.name.as_str(),
        state,
        a.quota_profile_name,
        a.display_name
    )
}

pub(crate) async fn profile_id(app: &App, actor: &Actor, name: &str) -> Result<i64, AppError> {
    let profiles = app.quota_profiles().list(actor).await?;
    profiles
        .iter()
        .find(|p| p.name.as_str() == name || p.id.0.to_string() == name)
        .map(|p| p.id.0)
        .ok_or_else(|| {
            AppError::invalid(konbit_core::FieldError::new(
                "quota_profile_id",
                konbit_core::Rule::UnknownChoice,
            ))
        })
}

async fn run_inner(
    format: Format,
    app: &App,
    actor: &Actor,
    cmd: AccountCommand,
) -> Result<(), AppError> {
    let accounts = app.accounts();
    match cmd {
        AccountCommand::List {
            search,
            deleted,
            page,
            per_page,
        } => {
            let filter = AccountFilter {
                search,
                deleted,
                ..Default::default()
            };
            let page = accounts
                .list(actor, filter, PageRequest::new(Some(page), Some(per_page)))
                .await?;
            print(format, &page, |p| {
                let mut out = format!(
                    "{:<4} {:<24} {:<8} {:<12} {}\n",
                    "ID", "NAME", "STATE", "PROFILE", "DISPLAY NAME"
                );
                for a in &p.items {
                    out.push_str(&account_line(a));
                    out.push('\n');
                }
                out.push_str(&format!(
                    "page {} of {}, {} accounts",
                    p.page,
                    p.pages(),
                    p.total
                ));
                out
            });
        }
        AccountCommand::Create {
            name,
            display_name,
            profile,
            owner_email,
            owner_name,
            owner_password_stdin,
        } => {
            let quota_profile_id = match profile {
                Some(p) => Some(profile_id(app, actor, &p).await?),
                None => None,
            };
            let mut password = None;
            let owner = match owner_email {
                Some(email) => {
                    // A password is needed, and made up if not given, only
                    // for someone new to Konbit.
                    let is_new = matches!(
                        app.users().get_by_email(actor, &email).await,
                        Err(AppError::NotFound)
                    );
                    let secret = if is_new {
                        let (p, generated) = super::password_input(owner_password_stdin)?;
                        if generated {
                            password = Some(p.clone());
                        }
                        p
                    } else {
                        String::new()
                    };
                    Some(OwnerInput {
                        email,
                        display_name: owner_name.unwrap_or_default(),
                        password: secret,
                    })
                }
                None => None,
            };
            let a = accounts
                .create(
                    actor,
                    CreateAccount {
                        name,
                        display_name,
                        quota_profile_id,
                        owner,
                    },
                )
                .await?;
            print(
                format,
                &serde_json::json!({ "account": &a, "owner_password": password }),
                |_| {
                    let mut s = format!("Created account {} ({}).", a.name, a.display_name);
                    if let Some(p) = &password {
                        s.push_str(&format!("\nThe owner's first password: {p}"));
                    }
                    s
                },
            );
        }
        AccountCommand::Show { name } => {
            let a = accounts.get_by_name(actor, &name).await?;
            let ov = accounts.overview(actor, a.id).await?;
            print(format, &ov, |ov| {
                let mut s = account_line(&ov.account);
                for l in &ov.quota {
                    s.push_str(&format!(
                        "\n  {:<16} {} / {}",
                        l.resource.as_str(),
                        l.used,
                        l.limit
                    ));
                }
                s
            });
        }
        AccountCommand::Update {
            name,
            display_name,
            profile,
        } => {
            let a = accounts.get_by_name(actor, &name).await?;
            let quota_profile_id = match profile {
                Some(p) => Some(profile_id(app, actor, &p).await?),
                None => None,
            };
            let a = accounts
                .update(
                    actor,
                    a.id,
                    UpdateAccount {
                        display_name,
                        quota_profile_id,
                    },
                )
                .await?;
            print(format, &a, |a| format!("Saved: {}", account_line(a)));
        }
        AccountCommand::Lock { name, reason } => {
            let a = accounts.get_by_name(actor, &name).await?;
            let a = accounts.set_locked(actor, a.id, Some(reason)).await?;
            print(format, &a, |a| format!("Locked: {}", account_line(a)));
        }
        AccountCommand::Unlock { name } => {
            let a = accounts.get_by_name(actor, &name).await?;
            let a = accounts.set_locked(actor, a.id, None).await?;
            print(format, &a, |a| format!("Unlocked: {}", account_line(a)));
        }
        AccountCommand::Delete { name } => {
            let a = accounts.get_by_name(actor, &name).await?;
            let a = accounts.delete(actor, a.id).await?;
            print(format, &a, |a| {
                format!(
                    "Deleted {}; restorable until unix time {}.",
                    a.name,
                    a.purge_after.unwrap_or_default()
                )
            });
        }
        AccountCommand::Restore { name } => {
            let a = accounts.get_by_name(actor, &name).await?;
            let a = accounts.restore(actor, a.id).await?;
            print(format, &a, |a| format!("Restored: {}", account_line(a)));
        }
        AccountCommand::Purge => {
            let ids = accounts.purge_expired(actor).await?;
            print(format, &ids, |ids| {
                format!("Purged {} accounts.", ids.len())
            });
        }
    }
    Ok(())
}

pub async fn run(format: Format, app: &App, actor: &Actor, cmd: AccountCommand) -> ExitCode {
    match run_inner(format, app, actor, cmd).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format, e),
    }
}

fn profile_line(p: &QuotaProfile) -> String {
    let l = &p.limits;
    format!(
        "{:<4} {:<16} domains={} mailboxes={} mail_storage_mb={} aliases={} mailing_lists={} sites={} sftp_accounts={} databases={} disk_mb={} (accounts: {})",
        p.id.0,
        p.name.as_str(),
        l.domains,
        l.mailboxes,
        l.mail_storage_mb,
        l.aliases,
        l.mailing_lists,
        l.sites,
        l.sftp_accounts,
        l.databases,
        l.disk_mb,
        p.account_count
    )
}

/// A profile named on the command line as the thing to act on: an unknown
/// name is "not found" (exit 4), as for accounts, not a bad field value.
async fn named_profile(app: &App, actor: &Actor, name: &str) -> Result<i64, AppError> {
    profile_id(app, actor, name).await.map_err(|e| match e {
        AppError::Invalid(_) => AppError::NotFound,
        other => other,
    })
}

async fn profiles_inner(
    format: Format,
    app: &App,
    actor: &Actor,
    cmd: ProfileCommand,
) -> Result<(), AppError> {
    let svc = app.quota_profiles();
    match cmd {
        ProfileCommand::List => {
            let list = svc.list(actor).await?;
            print(format, &list, |list| {
                list.iter().map(profile_line).collect::<Vec<_>>().join("\n")
            });
        }
        ProfileCommand::Create { name, limits } => {
            let p = svc
                .create(
                    actor,
                    ProfileInput {
                        name,
                        limits: limits.apply(QuotaLimits::starter()),
                    },
                )
                .await?;
            print(format, &p, |p| format!("Created: {}", profile_line(p)));
        }
        ProfileCommand::Update {
            name,
            rename,
            limits,
        } => {
            let id = named_profile(app, actor, &name).await?;
            let current = svc
                .get(actor, konbit_core::model::QuotaProfileId(id))
                .await?;
            let input = ProfileInput {
                name: rename.unwrap_or(name),
                limits: limits.apply(current.limits),
            };
            let p = svc.update(actor, current.id, input).await?;
            print(format, &p, |p| format!("Saved: {}", profile_line(p)));
        }
        ProfileCommand::Delete { name } => {
            let id = named_profile(app, actor, &name).await?;
            svc.delete(actor, konbit_core::model::QuotaProfileId(id))
                .await?;
            print(format, &serde_json::json!({ "deleted": id }), |_| {
                format!("Deleted quota profile {name}.")
            });
        }
    }
    Ok(())
}

pub async fn profiles(format: Format, app: &App, actor: &Actor, cmd: ProfileCommand) -> ExitCode {
    match profiles_inner(format, app, actor, cmd).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format, e),
    }
}
