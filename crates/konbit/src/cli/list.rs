//! `konbit list …`: mailing lists, named by their id (`konbit list list`
//! shows it) or their address. Settings are flags; what `update` is not
//! given stays as it is. `--output json` prints the API's shape.

use super::sftp::{account_opt, hosting_fail};
use crate::output::{Format, print};
use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, Subcommand, ValueEnum};
use konbit_app::list::ListSettingsInput;
use konbit_app::{App, AppError};
use konbit_core::authz::Actor;
use konbit_core::list::{ListSettings, PostingPolicy, SubscriptionPolicy};
use konbit_core::model::{AccountId, MailingList};
use konbit_core::names::Fqdn;
use konbit_web::api::list_dto::MailingListDto;
use serde_json::json;
use std::collections::HashMap;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum ListCommand {
    /// List mailing lists.
    List {
        /// Only this account's lists (its name or id).
        #[arg(long)]
        account: Option<String>,
        /// Also list deleted (restorable) lists.
        #[arg(long)]
        deleted: bool,
    },
    /// Add a mailing list `name@domain` on a domain of the account with mail on.
    Add {
        /// The list's address, `name@domain`.
        address: String,
        #[command(flatten)]
        settings: SettingsArgs,
    },
    /// Show a list and its settings.
    Show {
        /// The list: its id or its address.
        list: String,
    },
    /// Change a list's settings; what is not given stays as it is.
    Update {
        /// The list: its id or its address.
        list: String,
        #[command(flatten)]
        settings: SettingsArgs,
    },
    /// Delete a list: its mail stops at once; Mailman keeps it, with its
    /// subscribers and archive, and it can be restored during the grace period.
    Delete {
        /// The list: its id or its address.
        list: String,
    },
    /// Bring a deleted list back.
    Restore {
        /// The list: its id or its address.
        list: String,
    },
    #[command(flatten)]
    People(super::list_members::MembersCommand),
}

/// A list's settings as flags; `add` takes the defaults for those left out.
#[derive(Args, Debug, Default)]
pub struct SettingsArgs {
    /// One line, shown on the list's public page.
    #[arg(long)]
    description: Option<String>,
    /// Who may join [default for a new list: confirm].
    #[arg(long, value_enum)]
    subscription: Option<SubscriptionArg>,
    /// Who may post [default for a new list: members].
    #[arg(long, value_enum)]
    posting: Option<PostingArg>,
    /// Where replies go [default for a new list: author].
    #[arg(long, value_enum)]
    reply_to: Option<ReplyToArg>,
    /// Replies go to this address (implies `--reply-to address`).
    #[arg(long, value_name = "ADDRESS")]
    reply_to_address: Option<String>,
    /// Rewrite `From:` to the list, for senders with a strict DMARC policy [default for a new list: on].
    #[arg(long, value_name = "on|off", action = ArgAction::Set, value_parser = BoolishValueParser::new(), hide_possible_values = true)]
    munge_from: Option<bool>,
    /// Keep posts in the list's archive [default for a new list: on].
    #[arg(long, value_name = "on|off", action = ArgAction::Set, value_parser = BoolishValueParser::new(), hide_possible_values = true)]
    archives: Option<bool>,
    /// Offer subscribers a digest [default for a new list: off].
    #[arg(long, value_name = "on|off", action = ArgAction::Set, value_parser = BoolishValueParser::new(), hide_possible_values = true)]
    digest: Option<bool>,
    /// The language of Mailman's messages [default for a new list: fr].
    #[arg(long, value_enum)]
    language: Option<LanguageArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SubscriptionArg {
    /// Anyone, at once.
    Open,
    /// Anyone who confirms from their mailbox.
    Confirm,
    /// Confirmed, then approved by a moderator.
    Moderate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PostingArg {
    /// Subscribers; others' posts wait for a moderator.
    Members,
    /// Anyone.
    Anyone,
    /// Every post waits for a moderator (an announcement list).
    Moderated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReplyToArg {
    /// To the author of the message.
    Author,
    /// To the whole list.
    List,
    /// To `--reply-to-address`.
    Address,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LanguageArg {
    /// French.
    Fr,
    /// English.
    En,
}

/// A value's name as the command line (and the service) spells it.
fn name_of(v: impl ValueEnum) -> String {
    v.to_possible_value()
        .map(|p| p.get_name().to_owned())
        .unwrap_or_default()
}

impl SettingsArgs {
    /// `current` with the flags given.
    fn apply(self, current: &ListSettings) -> ListSettingsInput {
        let mut s = ListSettingsInput::from_settings(current);
        if let Some(v) = self.description {
            s.description = v;
        }
        if let Some(v) = self.subscription {
            s.subscription = name_of(v);
        }
        if let Some(v) = self.posting {
            s.posting = name_of(v);
        }
        if let Some(v) = self.reply_to {
            s.reply_to = name_of(v);
        }
        if let Some(a) = self.reply_to_address {
            if self.reply_to.is_none() {
                s.reply_to = name_of(ReplyToArg::Address);
            }
            s.reply_to_address = a;
        }
        if let Some(v) = self.munge_from {
            s.munge_from = v;
        }
        if let Some(v) = self.archives {
            s.archives = v;
        }
        if let Some(v) = self.digest {
            s.digest = v;
        }
        if let Some(v) = self.language {
            s.language = name_of(v);
        }
        s
    }
}

/// A list named on the command line: its id, or its address (a Unicode
/// domain is taken too). Deleted lists are found as well.
pub(super) async fn find(app: &App, actor: &Actor, given: &str) -> Result<MailingList, AppError> {
    let given = given.trim();
    if let Ok(id) = given.parse::<i64>() {
        return app.lists().get(actor, id).await;
    }
    let Some((name, domain)) = given.rsplit_once('@') else {
        return Err(AppError::NotFound);
    };
    let domain = Fqdn::parse("domain", domain, 1)
        .map(|d| d.as_str().to_owned())
        .unwrap_or_else(|_| domain.to_ascii_lowercase());
    let address = format!("{}@{domain}", name.to_ascii_lowercase());
    app.lists()
        .list(actor, None, true)
        .await?
        .into_iter()
        .find(|l| l.address() == address)
        .ok_or(AppError::NotFound)
}

/// Account names, looked up once each.
#[derive(Default)]
struct Names(HashMap<i64, String>);

impl Names {
    async fn of(&mut self, app: &App, actor: &Actor, id: AccountId) -> Result<String, AppError> {
        if let Some(n) = self.0.get(&id.0) {
            return Ok(n.clone());
        }
        let name = app.accounts().get(actor, id).await?.name.to_string();
        self.0.insert(id.0, name.clone());
        Ok(name)
    }

    async fn dto(
        &mut self,
        app: &App,
        actor: &Actor,
        l: MailingList,
    ) -> Result<MailingListDto, AppError> {
        let account = self.of(app, actor, l.account_id).await?;
        Ok(MailingListDto::new(l, account))
    }
}

fn status_word(l: &MailingListDto) -> &str {
    if l.deleted_at.is_some() {
        "deleted"
    } else {
        &l.status.state
    }
}

/// The width of a text column: its widest cell, at least `min`.
fn width<'a>(cells: impl Iterator<Item = &'a str>, min: usize) -> usize {
    cells.map(|c| c.chars().count()).fold(min, usize::max)
}

/// One list on a line; `w` is the width of the address column.
fn list_line(l: &MailingListDto, w: usize) -> String {
    format!(
        "{:<5} {:<w$} {:<16} {:<9} {:<12} {}",
        l.id,
        l.address,
        l.account,
        status_word(l),
        l.settings.subscription,
        l.settings.posting,
    )
}

fn list_header(w: usize) -> String {
    format!(
        "{:<5} {:<w$} {:<16} {:<9} {:<12} {}",
        "ID", "ADDRESS", "ACCOUNT", "STATUS", "SUBSCRIPTION", "POSTING"
    )
}

fn yes_no(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

fn subscription_text(s: &str) -> &'static str {
    match serde_json::from_value(json!(s)) {
        Ok(SubscriptionPolicy::Open) => "anyone, at once",
        Ok(SubscriptionPolicy::Confirm) => "anyone who confirms from their mailbox",
        Ok(SubscriptionPolicy::Moderate) => "confirmed, then approved by a moderator",
        Err(_) => "",
    }
}

fn posting_text(s: &str) -> &'static str {
    match serde_json::from_value(json!(s)) {
        Ok(PostingPolicy::Members) => "subscribers; others wait for a moderator",
        Ok(PostingPolicy::Anyone) => "anyone may post",
        Ok(PostingPolicy::Moderated) => "every post waits for a moderator",
        Err(_) => "",
    }
}

fn list_text(l: &MailingListDto) -> String {
    let s = &l.settings;
    let p = &l.status;
    let mut out = format!("{} (mailing list {})", l.address, l.id);
    out.push_str(&format!(
        "\n  account {} ({}), {} (generation {}, applied {})",
        l.account,
        l.account_id,
        status_word(l),
        p.generation,
        p.applied_generation
    ));
    if let Some(e) = &p.last_error {
        out.push_str(&format!("\n  last error: {e}"));
    }
    if let Some(after) = l.purge_after {
        out.push_str(&format!(
            "\n  deleted; its mail is refused; restorable until {} (konbit list restore {})",
            konbit_app::audit::iso_time(after),
            l.id
        ));
    }
    let description = if s.description.is_empty() {
        "-"
    } else {
        &s.description
    };
    let reply_to = match (s.reply_to.as_str(), &s.reply_to_address) {
        ("address", Some(a)) => a.clone(),
        ("list", _) => "the list".to_owned(),
        _ => "the author".to_owned(),
    };
    out.push_str(&format!("\n  description:  {description}"));
    out.push_str(&format!(
        "\n  subscription: {} ({})",
        s.subscription,
        subscription_text(&s.subscription)
    ));
    out.push_str(&format!(
        "\n  posting:      {} ({})",
        s.posting,
        posting_text(&s.posting)
    ));
    out.push_str(&format!("\n  replies to:   {reply_to}"));
    out.push_str(&format!(
        "\n  munge From:   {} (DMARC)",
        yes_no(s.munge_from)
    ));
    out.push_str(&format!("\n  archives:     {}", yes_no(s.archives)));
    out.push_str(&format!("\n  digest:       {}", yes_no(s.digest)));
    out.push_str(&format!("\n  language:     {}", s.language));
    out
}

async fn inner(format: Format, app: &App, actor: &Actor, cmd: ListCommand) -> Result<(), AppError> {
    let lists = app.lists();
    let mut names = Names::default();
    match cmd {
        ListCommand::List { account, deleted } => {
            let account = account_opt(app, actor, account).await?;
            let mut items = Vec::new();
            for l in lists.list(actor, account, deleted).await? {
                items.push(names.dto(app, actor, l).await?);
            }
            print(format, &json!({ "items": items }), |_| {
                let w = width(items.iter().map(|l| l.address.as_str()), 24);
                let mut out = list_header(w);
                out.push('\n');
                for l in &items {
                    out.push_str(&list_line(l, w));
                    out.push('\n');
                }
                out.push_str(&match items.len() {
                    1 => "1 mailing list".to_owned(),
                    n => format!("{n} mailing lists"),
                });
                out
            });
        }
        ListCommand::Add { address, settings } => {
            let input = konbit_app::list::CreateList {
                address,
                settings: settings.apply(&ListSettings::default()),
            };
            let l = names
                .dto(app, actor, lists.create(actor, input).await?)
                .await?;
            print(format, &l, |l| {
                format!(
                    "Added mailing list {} (list {}); Mailman and the mail servers set it up shortly.",
                    l.address, l.id
                )
            });
        }
        ListCommand::Show { list } => {
            let l = names
                .dto(app, actor, find(app, actor, &list).await?)
                .await?;
            print(format, &l, list_text);
        }
        ListCommand::Update { list, settings } => {
            let current = find(app, actor, &list).await?;
            let input = settings.apply(&current.settings);
            let l = lists.update(actor, current.id.0, input).await?;
            let l = names.dto(app, actor, l).await?;
            print(format, &l, |l| format!("Saved: {}", list_text(l)));
        }
        ListCommand::Delete { list } => {
            let id = find(app, actor, &list).await?.id.0;
            lists.delete(actor, id).await?;
            let l = names.dto(app, actor, lists.get(actor, id).await?).await?;
            print(format, &l, |l| {
                format!(
                    "Deleted {}: its mail is refused from now on; Mailman keeps it, with its subscribers and archive, until {} (konbit list restore {}).",
                    l.address,
                    l.purge_after
                        .map(konbit_app::audit::iso_time)
                        .unwrap_or_default(),
                    l.id
                )
            });
        }
        ListCommand::Restore { list } => {
            let id = find(app, actor, &list).await?.id.0;
            let l = names
                .dto(app, actor, lists.restore(actor, id).await?)
                .await?;
            print(format, &l, |l| format!("Restored: {}", list_line(l, 0)));
        }
        // Handled by `run`.
        ListCommand::People(_) => {}
    }
    Ok(())
}

pub async fn run(format: Format, app: &App, actor: &Actor, cmd: ListCommand) -> ExitCode {
    if let ListCommand::People(cmd) = cmd {
        return match super::list_members::run(format, app, actor, cmd).await {
            Ok(code) => code,
            Err(e) => hosting_fail(format, e, |field| field),
        };
    }
    match inner(format, app, actor, cmd).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => hosting_fail(format, e, |field| field),
    }
}
