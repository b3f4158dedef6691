//! A list's people and its moderation queue: subscribers, owners,
//! moderators, held messages and subscription requests. They live in
//! Mailman, reached through [`ListServer`] while the person waits; Konbit
//! authorizes each call on the list's account and audits every change.

use crate::list::ListService;
use crate::list_server::{
    HeldPost, HeldPostText, ListServer, ListServerError, Moderation, PendingSubscription,
    RequestDecision, StaffMember, StaffRole, SubscribeAs, Subscribed, Subscriber, SubscriberPage,
};
use crate::{AppError, Audit, Result, audit, now};
use konbit_core::authz::Actor;
use konbit_core::list::{PasteError, PastedSubscriber, parse_pasted_subscribers};
use konbit_core::model::MailingList;
use konbit_core::names::EmailAddress;
use konbit_core::{ErrorCode, FieldError, Rule};

/// What a pasted batch of addresses did, address by address, so nothing
/// typed is lost silently.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct BulkOutcome {
    /// Subscribed, or unsubscribed.
    pub done: Vec<String>,
    /// Already subscribed, or not a subscriber.
    pub unchanged: Vec<String>,
    /// Good addresses the list server refused or could not take (it went
    /// away meanwhile): `(address, reason)`.
    pub failed: Vec<(String, String)>,
    /// Lines that are not addresses, numbered from 1.
    #[serde(skip)]
    pub bad_lines: Vec<PasteError>,
}

/// What a paste of addresses asks for.
#[derive(Debug, Clone, Copy)]
enum PasteOp {
    Subscribe,
    Unsubscribe,
}

impl PasteOp {
    /// `true` when it changed something: subscribed, or unsubscribed.
    async fn apply(
        self,
        server: &dyn ListServer,
        list: &MailingList,
        s: &PastedSubscriber,
    ) -> std::result::Result<bool, ListServerError> {
        let address = s.address.as_str();
        match self {
            Self::Subscribe => {
                if is_own_address(list, &s.address) {
                    return Err(ListServerError::Refused("the list's own address".into()));
                }
                let name = s.display_name.as_deref();
                Ok(
                    match server
                        .subscribe(list, address, name, SubscribeAs::Manager)
                        .await?
                    {
                        Subscribed::AlreadyMember => false,
                        Subscribed::Subscribed | Subscribed::AwaitingApproval => true,
                    },
                )
            }
            Self::Unsubscribe => server.unsubscribe(list, address).await,
        }
    }

    fn audit_action(self) -> &'static str {
        match self {
            Self::Subscribe => "mailing_list_subscribed",
            Self::Unsubscribe => "mailing_list_unsubscribed",
        }
    }
}

/// The most subscribers a CSV export holds (100 pages of 1000).
pub const EXPORT_MAX: u64 = 100_000;

impl From<ListServerError> for AppError {
    fn from(e: ListServerError) -> Self {
        match e {
            ListServerError::Unavailable(detail) => Self::Conflict {
                code: ErrorCode::ServiceUnavailable,
                detail,
            },
            ListServerError::NotProvisioned => Self::Conflict {
                code: ErrorCode::ListNotReady,
                detail: e.to_string(),
            },
            ListServerError::Refused(detail) => Self::conflict(detail),
        }
    }
}

impl ListService<'_> {
    /// The list (seen by the actor, not deleted) and the server holding it.
    async fn live(
        &self,
        actor: &Actor,
        id: i64,
        manage: bool,
    ) -> Result<(MailingList, &dyn ListServer)> {
        let mut tx = self.app.store.read().await?;
        let list = crate::list::find(&mut tx, actor, id, manage).await?;
        drop(tx);
        if list.is_deleted() {
            return Err(AppError::conflict("this list is deleted: restore it first"));
        }
        let Some(server) = self.app.list_server.as_deref() else {
            return Err(AppError::conflict(
                "mailing lists are not set up on this server",
            ));
        };
        Ok((list, server))
    }

    /// Records a change made in Mailman.
    async fn audit_live(
        &self,
        actor: &Actor,
        list: &MailingList,
        action: &'static str,
        what: serde_json::Value,
    ) -> Result<()> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action,
                kind: "mailing_list",
                id: list.address(),
                account: Some(list.account_id),
                old: None,
                new: Some(what),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A page of subscribers (`per_page` 1 to 1000, `page` from 1).
    pub async fn subscribers(
        &self,
        actor: &Actor,
        id: i64,
        page: u32,
        per_page: u32,
    ) -> Result<(MailingList, SubscriberPage)> {
        let (list, server) = self.live(actor, id, false).await?;
        let page = server
            .subscribers(&list, page.max(1), per_page.clamp(1, 1000))
            .await?;
        Ok((list, page))
    }

    /// Subscribes every address of a paste (`Name <address>` or an
    /// address, one per line) at once, without confirmation: the managers
    /// vouch for them.
    pub async fn subscribe_pasted(
        &self,
        actor: &Actor,
        id: i64,
        pasted: &str,
    ) -> Result<BulkOutcome> {
        self.each_pasted(actor, id, pasted, PasteOp::Subscribe)
            .await
    }

    /// Unsubscribes every address of a paste at once.
    pub async fn unsubscribe_pasted(
        &self,
        actor: &Actor,
        id: i64,
        pasted: &str,
    ) -> Result<BulkOutcome> {
        self.each_pasted(actor, id, pasted, PasteOp::Unsubscribe)
            .await
    }

    /// Applies `op` to each good line of a paste, address by address, and
    /// audits how many were done.
    async fn each_pasted(
        &self,
        actor: &Actor,
        id: i64,
        pasted: &str,
        op: PasteOp,
    ) -> Result<BulkOutcome> {
        let (list, server) = self.live(actor, id, true).await?;
        let (good, bad_lines) =
            parse_pasted_subscribers("addresses", pasted).map_err(AppError::invalid)?;
        let mut out = BulkOutcome {
            bad_lines,
            ..Default::default()
        };
        let mut unreachable = None;
        for s in good {
            let address = s.address.as_str().to_owned();
            if let Some(reason) = &unreachable {
                out.failed.push((address, String::clone(reason)));
                continue;
            }
            match op.apply(server, &list, &s).await {
                Ok(true) => out.done.push(address),
                Ok(false) => out.unchanged.push(address),
                Err(e @ ListServerError::Unavailable(_)) => {
                    // The rest would fail the same way, each after a timeout.
                    unreachable = Some(e.to_string());
                    out.failed.push((address, e.to_string()));
                }
                Err(e) => out.failed.push((address, e.to_string())),
            }
        }
        if !out.done.is_empty() {
            self.audit_live(
                actor,
                &list,
                op.audit_action(),
                serde_json::json!({ "count": out.done.len() }),
            )
            .await?;
        }
        Ok(out)
    }

    /// Every subscriber as CSV (`address,name,delivery`), for a
    /// spreadsheet: cells are quoted, and one that a spreadsheet would run
    /// as a formula is defused.
    pub async fn export_csv(&self, actor: &Actor, id: i64) -> Result<(MailingList, String)> {
        let (list, server) = self.live(actor, id, false).await?;
        let mut all: Vec<Subscriber> = Vec::new();
        let per_page = 1000u32;
        for page in 1..=(EXPORT_MAX / u64::from(per_page)) as u32 {
            let p = server.subscribers(&list, page, per_page).await?;
            let got = p.subscribers.len();
            all.extend(p.subscribers);
            if got < per_page as usize || all.len() as u64 >= p.total {
                break;
            }
        }
        Ok((list, subscribers_csv(&all)))
    }

    /// Owners and moderators.
    pub async fn staff(&self, actor: &Actor, id: i64) -> Result<Vec<StaffMember>> {
        let (list, server) = self.live(actor, id, false).await?;
        Ok(server.staff(&list).await?)
    }

    pub async fn add_staff(
        &self,
        actor: &Actor,
        id: i64,
        role: StaffRole,
        address: &str,
    ) -> Result<()> {
        let address = EmailAddress::parse("address", address).map_err(AppError::invalid)?;
        let (list, server) = self.live(actor, id, true).await?;
        if is_own_address(&list, &address) {
            return Err(AppError::invalid(FieldError::new(
                "address",
                Rule::ListAddressTaken,
            )));
        }
        server.add_staff(&list, role, address.as_str()).await?;
        self.audit_live(
            actor,
            &list,
            "mailing_list_staff_added",
            serde_json::json!({ "role": role.as_str(), "address": address.as_str() }),
        )
        .await
    }

    /// Not found when `address` did not have the role.
    pub async fn remove_staff(
        &self,
        actor: &Actor,
        id: i64,
        role: StaffRole,
        address: &str,
    ) -> Result<()> {
        let address = EmailAddress::parse("address", address).map_err(AppError::invalid)?;
        let (list, server) = self.live(actor, id, true).await?;
        if !server.remove_staff(&list, role, address.as_str()).await? {
            return Err(AppError::NotFound);
        }
        self.audit_live(
            actor,
            &list,
            "mailing_list_staff_removed",
            serde_json::json!({ "role": role.as_str(), "address": address.as_str() }),
        )
        .await
    }

    /// The moderation queue, oldest first.
    pub async fn held(&self, actor: &Actor, id: i64) -> Result<(MailingList, Vec<HeldPost>)> {
        let (list, server) = self.live(actor, id, false).await?;
        let held = server.held(&list).await?;
        Ok((list, held))
    }

    pub async fn held_post(&self, actor: &Actor, id: i64, request: u64) -> Result<HeldPostText> {
        let (list, server) = self.live(actor, id, false).await?;
        server
            .held_post(&list, request)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Approves, rejects or discards a held message; not found when it was
    /// decided meanwhile.
    pub async fn moderate(
        &self,
        actor: &Actor,
        id: i64,
        request: u64,
        decision: Moderation,
    ) -> Result<()> {
        let decision = match decision {
            Moderation::Reject { reason } => Moderation::Reject {
                reason: checked_reason(reason)?,
            },
            other => other,
        };
        let (list, server) = self.live(actor, id, true).await?;
        if !server.moderate(&list, request, &decision).await? {
            return Err(AppError::NotFound);
        }
        let action = match decision {
            Moderation::Approve => "approve",
            Moderation::Reject { .. } => "reject",
            Moderation::Discard => "discard",
        };
        self.audit_live(
            actor,
            &list,
            "mailing_list_post_moderated",
            serde_json::json!({ "request": request, "decision": action }),
        )
        .await
    }

    /// Subscriptions waiting for a moderator.
    pub async fn pending(&self, actor: &Actor, id: i64) -> Result<Vec<PendingSubscription>> {
        let (list, server) = self.live(actor, id, false).await?;
        Ok(server.pending(&list).await?)
    }

    pub async fn decide(
        &self,
        actor: &Actor,
        id: i64,
        token: &str,
        decision: RequestDecision,
    ) -> Result<()> {
        let decision = match decision {
            RequestDecision::Reject { reason } => RequestDecision::Reject {
                reason: checked_reason(reason)?,
            },
            other => other,
        };
        if token.is_empty() || token.len() > 100 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AppError::NotFound);
        }
        let (list, server) = self.live(actor, id, true).await?;
        if !server.decide(&list, token, &decision).await? {
            return Err(AppError::NotFound);
        }
        let action = match decision {
            RequestDecision::Approve => "approve",
            RequestDecision::Reject { .. } => "reject",
            RequestDecision::Discard => "discard",
        };
        self.audit_live(
            actor,
            &list,
            "mailing_list_request_decided",
            serde_json::json!({ "decision": action }),
        )
        .await
    }
}

/// The list's own address or one of Mailman's (`name-bounces@`…): a
/// subscriber or owner there would loop mail through the list.
fn is_own_address(list: &MailingList, address: &EmailAddress) -> bool {
    let Some((local, domain)) = address.as_str().rsplit_once('@') else {
        return false;
    };
    domain == list.domain && list.name.local_parts().iter().any(|l| l == local)
}

/// A reason sent to a person: one line or a few, bounded.
fn checked_reason(reason: Option<String>) -> Result<Option<String>> {
    let Some(r) = reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty())
    else {
        return Ok(None);
    };
    if r.chars().count() > 1000 {
        return Err(AppError::invalid(FieldError::new(
            "reason",
            Rule::TooLong { max: 1000 },
        )));
    }
    if r.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(AppError::invalid(FieldError::new(
            "reason",
            Rule::ControlCharacter,
        )));
    }
    Ok(Some(r))
}

/// RFC 4180 CSV with a header; every cell quoted, and a cell starting with
/// `=`, `+`, `-`, `@`, a tab or a carriage return prefixed with `'` so a
/// spreadsheet shows it rather than runs it (a display name is typed by
/// whoever subscribed).
pub fn subscribers_csv(subscribers: &[Subscriber]) -> String {
    fn cell(out: &mut String, v: &str) {
        out.push('"');
        if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            out.push('\'');
        }
        out.push_str(&v.replace('"', "\"\""));
        out.push('"');
    }
    let mut out = String::from("address,name,delivery\r\n");
    for s in subscribers {
        cell(&mut out, &s.address);
        out.push(',');
        cell(&mut out, &s.display_name);
        out.push(',');
        cell(&mut out, if s.digest { "digest" } else { "each" });
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let csv = subscribers_csv(&[
            Subscriber {
                address: "a@example.org".into(),
                display_name: "=HYPERLINK(\"http://x\")".into(),
                digest: false,
            },
            Subscriber {
                address: "b@example.org".into(),
                display_name: "Bea \"B\" Martin, co-op".into(),
                digest: true,
            },
        ]);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], "address,name,delivery");
        assert_eq!(
            lines[1],
            "\"a@example.org\",\"'=HYPERLINK(\"\"http://x\"\")\",\"each\""
        );
        assert_eq!(
            lines[2],
            "\"b@example.org\",\"Bea \"\"B\"\" Martin, co-op\",\"digest\""
        );
        assert_eq!(lines[3], "");
    }

    #[test]
    fn reasons_are_bounded_and_plain() {
        assert_eq!(checked_reason(Some("  ".into())).unwrap(), None);
        assert_eq!(
            checked_reason(Some(" Off topic\nsorry ".into())).unwrap(),
            Some("Off topic\nsorry".into())
        );
        assert!(checked_reason(Some("x".repeat(1001))).is_err());
        assert!(checked_reason(Some("a\u{1b}[31m".into())).is_err());
    }
}
