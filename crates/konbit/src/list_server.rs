//! The live side of the lists over Mailman's REST API: what the panel, the
//! API and the CLI read and change in Mailman while the person waits.
//!
//! Mailman answers 404 both for a list it does not have and for a request
//! decided meanwhile; when it refuses, the list is looked up once more so
//! "not set up yet" is told apart from Mailman's own refusal.

use konbit_app::list_server::{
    HELD_TEXT_MAX, HeldPost, HeldPostText, ListServer, ListServerError, ListServerResult,
    Moderation, PendingSubscription, RequestDecision, StaffMember, StaffRole, SubscribeAs,
    Subscribed, Subscriber, SubscriberPage,
};
use konbit_core::model::MailingList;
use konbit_provision::lists::mailman::{
    self as mm, HeldAction, ListId, MailmanClient, MailmanError, NewMember, PageRequest,
    RequestAction, RequestToken, Subscription, TokenOwner,
};

/// [`ListServer`] over one Mailman.
pub struct MailmanListServer {
    client: MailmanClient,
}

type Result<T, E = ListServerError> = std::result::Result<T, E>;

impl MailmanListServer {
    pub fn new(client: MailmanClient) -> Self {
        Self { client }
    }

    fn id(list: &MailingList) -> Result<ListId> {
        ListId::parse(&list.list_id()).map_err(|e| ListServerError::Refused(e.to_string()))
    }

    /// Whether Mailman has the list.
    async fn exists(&self, id: &ListId) -> Result<bool> {
        match self.client.list(id).await {
            Ok(found) => Ok(found.is_some()),
            Err(e) if e.is_transient() => Err(ListServerError::Unavailable(e.to_string())),
            Err(e) => Err(refused(e)),
        }
    }

    /// Maps a failure, telling a missing list apart from a refusal.
    async fn fail(&self, id: &ListId, e: MailmanError) -> ListServerError {
        if e.is_transient() {
            return ListServerError::Unavailable(e.to_string());
        }
        match self.exists(id).await {
            Ok(false) => ListServerError::NotProvisioned,
            Ok(true) => refused(e),
            Err(other) => other,
        }
    }

    /// `Ok(false)` when the list is there (the thing asked for is not),
    /// [`ListServerError::NotProvisioned`] when the list is not.
    async fn absent(&self, id: &ListId) -> Result<bool> {
        if self.exists(id).await? {
            Ok(false)
        } else {
            Err(ListServerError::NotProvisioned)
        }
    }

    async fn subscribers_(
        &self,
        list: &MailingList,
        page: u32,
        per_page: u32,
    ) -> Result<SubscriberPage> {
        let id = Self::id(list)?;
        let request = PageRequest {
            count: per_page.clamp(1, 1000),
            page: page.max(1),
        };
        let page = match self.client.members(&id, request).await {
            Ok(p) => p,
            Err(e) => return Err(self.fail(&id, e).await),
        };
        Ok(SubscriberPage {
            subscribers: page
                .entries
                .into_iter()
                .map(|m| Subscriber {
                    address: m.email.to_lowercase(),
                    display_name: m.display_name,
                    digest: m
                        .delivery_mode
                        .is_some_and(|d| d != mm::DeliveryMode::Regular),
                })
                .collect(),
            total: page.total_size,
        })
    }

    async fn subscribe_(
        &self,
        list: &MailingList,
        address: &str,
        display_name: Option<&str>,
        how: SubscribeAs,
    ) -> Result<Subscribed> {
        let id = Self::id(list)?;
        let mut member = match how {
            // `send_welcome_message` stays `None`: as the list says.
            SubscribeAs::Manager => NewMember::by_owner(address),
            // Mailman then holds it for a moderator when the policy asks.
            SubscribeAs::ConfirmedSelf => NewMember {
                pre_verified: true,
                pre_confirmed: true,
                pre_approved: false,
                ..NewMember::new(address)
            },
        };
        member.display_name = display_name
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        match self.client.add_member(&id, &member).await {
            Ok(Subscription::Subscribed(_)) => Ok(Subscribed::Subscribed),
            Ok(Subscription::Pending { .. }) => Ok(Subscribed::AwaitingApproval),
            Err(MailmanError::Conflict(m)) if m.to_ascii_lowercase().contains("pending") => {
                Ok(Subscribed::AwaitingApproval)
            }
            Err(MailmanError::Conflict(_)) => Ok(Subscribed::AlreadyMember),
            Err(e) => Err(self.fail(&id, e).await),
        }
    }

    async fn unsubscribe_(&self, list: &MailingList, address: &str) -> Result<bool> {
        let id = Self::id(list)?;
        match self.client.remove_member(&id, address).await {
            Ok(true) => Ok(true),
            // Mailman answers a missing list's roster as an empty one.
            Ok(false) => self.absent(&id).await,
            Err(e) => Err(self.fail(&id, e).await),
        }
    }

    async fn staff_(&self, list: &MailingList) -> Result<Vec<StaffMember>> {
        let id = Self::id(list)?;
        let mut all = Vec::new();
        for role in [StaffRole::Owner, StaffRole::Moderator] {
            match self.client.staff(&id, mm_role(role)).await {
                Ok(members) => all.extend(members.into_iter().map(|m| StaffMember {
                    address: m.email.to_lowercase(),
                    role,
                })),
                Err(e) => return Err(self.fail(&id, e).await),
            }
        }
        Ok(all)
    }

    async fn add_staff_(&self, list: &MailingList, role: StaffRole, address: &str) -> Result<()> {
        let id = Self::id(list)?;
        match self
            .client
            .add_staff(&id, mm_role(role), address, None)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => Err(self.fail(&id, e).await),
        }
    }

    async fn remove_staff_(
        &self,
        list: &MailingList,
        role: StaffRole,
        address: &str,
    ) -> Result<bool> {
        let id = Self::id(list)?;
        match self.client.remove_staff(&id, mm_role(role), address).await {
            Ok(true) => Ok(true),
            Ok(false) => self.absent(&id).await,
            Err(e) => Err(self.fail(&id, e).await),
        }
    }

    async fn held_(&self, list: &MailingList) -> Result<Vec<HeldPost>> {
        let id = Self::id(list)?;
        let mut all = Vec::new();
        // A queue past this is a flood a person does not page through.
        for page in 1..=50 {
            let request = PageRequest { count: 200, page };
            let p = match self.client.held_messages(&id, request).await {
                Ok(p) => p,
                Err(e) => return Err(self.fail(&id, e).await),
            };
            let got = p.entries.len();
            all.extend(p.entries.into_iter().map(held_post));
            if got == 0 || all.len() as u64 >= p.total_size {
                break;
            }
        }
        Ok(all)
    }

    async fn held_post_(&self, list: &MailingList, request: u64) -> Result<Option<HeldPostText>> {
        let id = Self::id(list)?;
        match self.client.held_message(&id, request).await {
            Ok(Some(mut m)) => {
                let text = cut(m.message.take().unwrap_or_default(), HELD_TEXT_MAX);
                Ok(Some(HeldPostText {
                    post: held_post(m),
                    text,
                }))
            }
            Ok(None) => self.absent(&id).await.map(|_| None),
            Err(e) => Err(self.fail(&id, e).await),
        }
    }

    async fn moderate_(
        &self,
        list: &MailingList,
        request: u64,
        decision: &Moderation,
    ) -> Result<bool> {
        let id = Self::id(list)?;
        let action = match decision {
            Moderation::Approve => HeldAction::Accept,
            Moderation::Reject { reason } => HeldAction::Reject {
                comment: reason.clone(),
            },
            Moderation::Discard => HeldAction::Discard,
        };
        match self.client.moderate_message(&id, request, &action).await {
            Ok(()) => Ok(true),
            Err(MailmanError::NotFound(_)) => self.absent(&id).await,
            Err(e) => Err(self.fail(&id, e).await),
        }
    }

    async fn pending_(&self, list: &MailingList) -> Result<Vec<PendingSubscription>> {
        let id = Self::id(list)?;
        match self
            .client
            .subscription_requests(&id, Some(TokenOwner::Moderator))
            .await
        {
            Ok(requests) => Ok(requests
                .into_iter()
                .map(|r| PendingSubscription {
                    token: r.token.as_str().to_owned(),
                    address: r.email.to_lowercase(),
                    display_name: r.display_name,
                    since: r.when,
                })
                .collect()),
            Err(e) => Err(self.fail(&id, e).await),
        }
    }

    async fn decide_(
        &self,
        list: &MailingList,
        token: &str,
        decision: &RequestDecision,
    ) -> Result<bool> {
        let id = Self::id(list)?;
        let Ok(token) = RequestToken::parse(token) else {
            return Ok(false);
        };
        let action = match decision {
            RequestDecision::Approve => RequestAction::Accept,
            RequestDecision::Reject { reason } => RequestAction::Reject {
                reason: reason.clone(),
            },
            RequestDecision::Discard => RequestAction::Discard,
        };
        match self.client.moderate_request(&id, &token, &action).await {
            Ok(()) => Ok(true),
            Err(MailmanError::NotFound(_)) => self.absent(&id).await,
            Err(e) => Err(self.fail(&id, e).await),
        }
    }
}

/// A refusal, in Mailman's words when it gave some.
fn refused(e: MailmanError) -> ListServerError {
    match e.mailman_message() {
        Some(m) => ListServerError::Refused(m.to_owned()),
        None => ListServerError::Refused(e.to_string()),
    }
}

fn mm_role(role: StaffRole) -> mm::StaffRole {
    match role {
        StaffRole::Owner => mm::StaffRole::Owner,
        StaffRole::Moderator => mm::StaffRole::Moderator,
    }
}

fn held_post(m: mm::HeldMessage) -> HeldPost {
    HeldPost {
        id: m.request_id,
        sender: m.sender,
        subject: m.subject,
        reason: m.reason,
        held_at: m.hold_date,
    }
}

/// `text` cut to at most `max` bytes, on a character boundary.
fn cut(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

impl ListServer for MailmanListServer {
    fn subscribers<'a>(
        &'a self,
        list: &'a MailingList,
        page: u32,
        per_page: u32,
    ) -> ListServerResult<'a, SubscriberPage> {
        Box::pin(self.subscribers_(list, page, per_page))
    }

    fn subscribe<'a>(
        &'a self,
        list: &'a MailingList,
        address: &'a str,
        display_name: Option<&'a str>,
        how: SubscribeAs,
    ) -> ListServerResult<'a, Subscribed> {
        Box::pin(self.subscribe_(list, address, display_name, how))
    }

    fn unsubscribe<'a>(
        &'a self,
        list: &'a MailingList,
        address: &'a str,
    ) -> ListServerResult<'a, bool> {
        Box::pin(self.unsubscribe_(list, address))
    }

    fn staff<'a>(&'a self, list: &'a MailingList) -> ListServerResult<'a, Vec<StaffMember>> {
        Box::pin(self.staff_(list))
    }

    fn add_staff<'a>(
        &'a self,
        list: &'a MailingList,
        role: StaffRole,
        address: &'a str,
    ) -> ListServerResult<'a, ()> {
        Box::pin(self.add_staff_(list, role, address))
    }

    fn remove_staff<'a>(
        &'a self,
        list: &'a MailingList,
        role: StaffRole,
        address: &'a str,
    ) -> ListServerResult<'a, bool> {
        Box::pin(self.remove_staff_(list, role, address))
    }

    fn held<'a>(&'a self, list: &'a MailingList) -> ListServerResult<'a, Vec<HeldPost>> {
        Box::pin(self.held_(list))
    }

    fn held_post<'a>(
        &'a self,
        list: &'a MailingList,
        id: u64,
    ) -> ListServerResult<'a, Option<HeldPostText>> {
        Box::pin(self.held_post_(list, id))
    }

    fn moderate<'a>(
        &'a self,
        list: &'a MailingList,
        id: u64,
        decision: &'a Moderation,
    ) -> ListServerResult<'a, bool> {
        Box::pin(self.moderate_(list, id, decision))
    }

    fn pending<'a>(
        &'a self,
        list: &'a MailingList,
    ) -> ListServerResult<'a, Vec<PendingSubscription>> {
        Box::pin(self.pending_(list))
    }

    fn decide<'a>(
        &'a self,
        list: &'a MailingList,
        token: &'a str,
        decision: &'a RequestDecision,
    ) -> ListServerResult<'a, bool> {
        Box::pin(self.decide_(list, token, decision))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_text_is_cut_on_a_char_boundary() {
        assert_eq!(cut("abc".into(), 5), "abc");
        assert_eq!(cut("abcdef".into(), 3), "abc");
        // "é" is two bytes: cutting inside it keeps what is before.
        assert_eq!(cut("aé".into(), 2), "a");
        assert_eq!(cut("aé".into(), 3), "aé");
    }
}
