//! `konbit list members|subscribe|unsubscribe|export|staff|…`: a list's
//! people and moderation queue, which live in Mailman. A paste of
//! addresses is taken line by line: the good lines are done, the bad ones
//! printed with their numbers, and the exit code is not zero when any line
//! or address failed, so a script notices.

use super::list::find;
use crate::output::{EXIT_FAILURE, Format, print, tr};
use clap::{Subcommand, ValueEnum};
use konbit_app::list_server::{Moderation, RequestDecision, StaffRole};
use konbit_app::{App, AppError};
use konbit_core::authz::Actor;
use konbit_web::api::list_members_dto::{
    BulkOutcomeDto, HeldPostDto, HeldPostTextDto, PendingDto, StaffDto, SubscriberDto,
};
use serde_json::json;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum MembersCommand {
    /// List a list's subscribers, by address.
    Members {
        /// The list: its id or its address.
        list: String,
        /// The page, from 1.
        #[arg(long, default_value_t = 1)]
        page: u32,
        /// Subscribers per page (1 to 1000).
        #[arg(long, default_value_t = 200)]
        per_page: u32,
    },
    /// Subscribe addresses at once (one per line: `a@example.org` or
    /// `Name <a@example.org>`), without asking them to confirm.
    Subscribe {
        /// The list: its id or its address.
        list: String,
        /// The file of addresses; `-` reads standard input.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
    /// Unsubscribe addresses at once (one per line), without a notice.
    Unsubscribe {
        /// The list: its id or its address.
        list: String,
        /// The file of addresses; `-` reads standard input.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
    /// Print every subscriber as CSV (`address,name,delivery`).
    Export {
        /// The list: its id or its address.
        list: String,
    },
    /// List a list's owners and moderators.
    Staff {
        /// The list: its id or its address.
        list: String,
    },
    /// Make an address an owner or a moderator of a list.
    StaffAdd {
        /// The list: its id or its address.
        list: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        address: String,
    },
    /// Take the role away from an address.
    StaffRemove {
        /// The list: its id or its address.
        list: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        address: String,
    },
    /// List the messages held for a moderator, oldest first.
    Held {
        /// The list: its id or its address.
        list: String,
        /// Show this held message with its text.
        #[arg(long, value_name = "REQUEST")]
        show: Option<u64>,
    },
    /// Decide on a held message.
    Moderate {
        /// The list: its id or its address.
        list: String,
        /// The held message's id (`konbit list held` shows it).
        request: u64,
        #[arg(value_enum)]
        action: ActionArg,
        /// With `reject`: told to the sender.
        #[arg(long)]
        reason: Option<String>,
    },
    /// List the subscriptions waiting for a moderator.
    Requests {
        /// The list: its id or its address.
        list: String,
    },
    /// Decide on a subscription request.
    Decide {
        /// The list: its id or its address.
        list: String,
        /// The request's token (`konbit list requests` shows it).
        token: String,
        #[arg(value_enum)]
        action: ActionArg,
        /// With `reject`: told to the person.
        #[arg(long)]
        reason: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Gets the list's notices and may change everything.
    Owner,
    /// Decides on held messages and requests.
    Moderator,
}

impl From<RoleArg> for StaffRole {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Owner => StaffRole::Owner,
            RoleArg::Moderator => StaffRole::Moderator,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ActionArg {
    /// Post the message, or subscribe the person.
    Approve,
    /// Refuse, telling the sender.
    Reject,
    /// Drop silently.
    Discard,
}

/// The addresses of `file`; `-` is standard input.
fn read_addresses(file: &Path) -> Result<String, AppError> {
    // A paste is refused past 10,000 lines; this bounds what is read.
    const MAX_BYTES: u64 = 4 << 20;
    let mut text = String::new();
    let read = if file == Path::new("-") {
        std::io::stdin().take(MAX_BYTES).read_to_string(&mut text)
    } else {
        std::fs::File::open(file).and_then(|f| f.take(MAX_BYTES).read_to_string(&mut text))
    };
    read.map_err(|e| AppError::Internal(format!("cannot read {}: {e}", file.display())))?;
    Ok(text)
}

fn bulk_text(o: &BulkOutcomeDto, done: &str, unchanged: &str) -> String {
    let mut out = format!(
        "{} {done}, {} {unchanged}, {} failed, {} bad lines.",
        o.done.len(),
        o.unchanged.len(),
        o.failed.len(),
        o.bad_lines.len()
    );
    for f in &o.failed {
        out.push_str(&format!("\n  failed: {}: {}", f.address, f.reason));
    }
    for b in &o.bad_lines {
        out.push_str(&format!("\n  line {}: {}", b.line, b.message));
    }
    out
}

fn bulk_exit(o: &BulkOutcomeDto) -> ExitCode {
    if o.failed.is_empty() && o.bad_lines.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILURE)
    }
}

fn width<'a>(cells: impl Iterator<Item = &'a str>, min: usize) -> usize {
    cells.map(|c| c.chars().count()).fold(min, usize::max)
}

/// What a person typed, on one line of a table: control characters would
/// garble (or drive) the terminal.
fn shown(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn staff_text(staff: &[StaffDto]) -> String {
    let mut out = String::new();
    for s in staff {
        out.push_str(&format!("{:<10} {}\n", s.role, s.address));
    }
    out.push_str(&format!("{} owners and moderators", staff.len()));
    out
}

pub async fn run(
    format: Format,
    app: &App,
    actor: &Actor,
    cmd: MembersCommand,
) -> Result<ExitCode, AppError> {
    let lists = app.lists();
    match cmd {
        MembersCommand::Members {
            list,
            page,
            per_page,
        } => {
            let id = find(app, actor, &list).await?.id.0;
            let page = page.max(1);
            let per_page = per_page.clamp(1, 1000);
            let (_, p) = lists.subscribers(actor, id, page, per_page).await?;
            let items: Vec<SubscriberDto> = p.subscribers.into_iter().map(Into::into).collect();
            let value =
                json!({ "items": items, "page": page, "per_page": per_page, "total": p.total });
            print(format, &value, |_| {
                let w = width(items.iter().map(|s| s.address.as_str()), 24);
                let mut out = format!("{:<w$} {:<8} NAME\n", "ADDRESS", "DELIVERY");
                for s in &items {
                    let delivery = if s.digest { "digest" } else { "each" };
                    out.push_str(&format!(
                        "{:<w$} {delivery:<8} {}\n",
                        s.address,
                        shown(&s.display_name)
                    ));
                }
                out.push_str(&format!(
                    "{} of {} subscribers (page {page})",
                    items.len(),
                    p.total
                ));
                out
            });
        }
        MembersCommand::Subscribe { list, file } => {
            let text = read_addresses(&file)?;
            let id = find(app, actor, &list).await?.id.0;
            let o = BulkOutcomeDto::new(&tr(), lists.subscribe_pasted(actor, id, &text).await?);
            print(format, &o, |o| {
                bulk_text(o, "subscribed", "already subscribed")
            });
            return Ok(bulk_exit(&o));
        }
        MembersCommand::Unsubscribe { list, file } => {
            let text = read_addresses(&file)?;
            let id = find(app, actor, &list).await?.id.0;
            let o = BulkOutcomeDto::new(&tr(), lists.unsubscribe_pasted(actor, id, &text).await?);
            print(format, &o, |o| {
                bulk_text(o, "unsubscribed", "not subscribed")
            });
            return Ok(bulk_exit(&o));
        }
        MembersCommand::Export { list } => {
            let id = find(app, actor, &list).await?.id.0;
            let (_, csv) = lists.export_csv(actor, id).await?;
            // CSV whatever the format: it is the export.
            print!("{csv}");
        }
        MembersCommand::Staff { list } => {
            let id = find(app, actor, &list).await?.id.0;
            let staff: Vec<StaffDto> = lists
                .staff(actor, id)
                .await?
                .into_iter()
                .map(Into::into)
                .collect();
            print(format, &json!({ "items": staff }), |_| staff_text(&staff));
        }
        MembersCommand::StaffAdd {
            list,
            role,
            address,
        } => {
            let id = find(app, actor, &list).await?.id.0;
            lists.add_staff(actor, id, role.into(), &address).await?;
            let role = StaffRole::from(role).as_str();
            print(
                format,
                &json!({ "address": address.trim().to_lowercase(), "role": role }),
                |_| format!("{} is now a {role} of the list.", address.trim()),
            );
        }
        MembersCommand::StaffRemove {
            list,
            role,
            address,
        } => {
            let id = find(app, actor, &list).await?.id.0;
            lists.remove_staff(actor, id, role.into(), &address).await?;
            let role = StaffRole::from(role).as_str();
            print(
                format,
                &json!({ "address": address.trim().to_lowercase(), "role": role, "removed": true }),
                |_| format!("{} is no longer a {role} of the list.", address.trim()),
            );
        }
        MembersCommand::Held { list, show } => {
            let id = find(app, actor, &list).await?.id.0;
            if let Some(request) = show {
                let post: HeldPostTextDto = lists.held_post(actor, id, request).await?.into();
                print(format, &post, |p| {
                    format!(
                        "Held message {}\n  from:    {}\n  subject: {}\n  reason:  {}\n  held at: {}\n\n{}",
                        p.post.id,
                        shown(&p.post.sender),
                        shown(&p.post.subject),
                        p.post.reason,
                        p.post.held_at,
                        p.text
                    )
                });
                return Ok(ExitCode::SUCCESS);
            }
            let (_, held) = lists.held(actor, id).await?;
            let items: Vec<HeldPostDto> = held.into_iter().map(Into::into).collect();
            print(format, &json!({ "items": items }), |_| {
                let w = width(items.iter().map(|h| h.sender.as_str()), 20);
                let mut out = format!("{:<6} {:<19} {:<w$} SUBJECT\n", "ID", "HELD AT", "FROM");
                for h in &items {
                    out.push_str(&format!(
                        "{:<6} {:<19} {:<w$} {}\n    {}\n",
                        h.id,
                        h.held_at,
                        shown(&h.sender),
                        shown(&h.subject),
                        h.reason
                    ));
                }
                out.push_str(&format!("{} held messages", items.len()));
                out
            });
        }
        MembersCommand::Moderate {
            list,
            request,
            action,
            reason,
        } => {
            let id = find(app, actor, &list).await?.id.0;
            let decision = match action {
                ActionArg::Approve => Moderation::Approve,
                ActionArg::Reject => Moderation::Reject { reason },
                ActionArg::Discard => Moderation::Discard,
            };
            lists.moderate(actor, id, request, decision).await?;
            let word = action_word(action);
            print(
                format,
                &json!({ "request": request, "action": word }),
                |_| format!("Held message {request}: {word}d."),
            );
        }
        MembersCommand::Requests { list } => {
            let id = find(app, actor, &list).await?.id.0;
            let items: Vec<PendingDto> = lists
                .pending(actor, id)
                .await?
                .into_iter()
                .map(Into::into)
                .collect();
            print(format, &json!({ "items": items }), |_| {
                let mut out = String::new();
                for p in &items {
                    out.push_str(&format!(
                        "{}  {}  {} {}\n",
                        p.token,
                        p.since,
                        p.address,
                        shown(&p.display_name)
                    ));
                }
                out.push_str(&format!("{} requests waiting", items.len()));
                out
            });
        }
        MembersCommand::Decide {
            list,
            token,
            action,
            reason,
        } => {
            let id = find(app, actor, &list).await?.id.0;
            let decision = match action {
                ActionArg::Approve => RequestDecision::Approve,
                ActionArg::Reject => RequestDecision::Reject { reason },
                ActionArg::Discard => RequestDecision::Discard,
            };
            lists.decide(actor, id, token.trim(), decision).await?;
            let word = action_word(action);
            print(format, &json!({ "token": token, "action": word }), |_| {
                format!("Request {}: {word}d.", token.trim())
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn action_word(a: ActionArg) -> &'static str {
    match a {
        ActionArg::Approve => "approve",
        ActionArg::Reject => "reject",
        ActionArg::Discard => "discard",
    }
}
