//! What the list services ask of the list manager (Mailman core). A list's
//! settings live in Konbit's store and reach Mailman through the list
//! provisioner; its subscribers, owners, moderators and held messages live
//! in Mailman only, and the panel, the API and the CLI reach them through
//! this trait while the person waits. The binary implements it over
//! Mailman's REST API; the trait keeps the web layer free of it.

use konbit_core::model::MailingList;
use std::future::Future;
use std::pin::Pin;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
pub type ListServerResult<'a, T> = BoxFuture<'a, Result<T, ListServerError>>;

/// Why the list manager could not do it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListServerError {
    /// It does not answer (down, restarting): try again later.
    #[error("the list server does not answer: {0}")]
    Unavailable(String),
    /// The list is not there yet: the provisioner has not made it (a list
    /// is made within a second of its creation, or when Mailman is back).
    #[error("this list is not set up on the list server yet")]
    NotProvisioned,
    /// It refused; its reason, in English.
    #[error("{0}")]
    Refused(String),
}

/// One subscriber.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Subscriber {
    /// Lowercase.
    pub address: String,
    /// May be empty. Typed by whoever subscribed: never trust it in a
    /// spreadsheet or a page without escaping.
    pub display_name: String,
    /// Receives digests rather than each post.
    pub digest: bool,
}

/// A page of subscribers, sorted by address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriberPage {
    pub subscribers: Vec<Subscriber>,
    /// How many the list has in all.
    pub total: u64,
}

/// Who a list's staff member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// Gets the list's notices and may change everything.
    Owner,
    /// Decides on held messages and requests.
    Moderator,
}

impl StaffRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Moderator => "moderator",
        }
    }
}

/// An owner or a moderator.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StaffMember {
    pub address: String,
    pub role: StaffRole,
}

/// How a subscription is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscribeAs {
    /// By the list's managers (panel, API, CLI): subscribed at once, with
    /// no confirmation and no approval.
    Manager,
    /// By the person themselves, whose address Konbit has just confirmed
    /// (they followed the link sent there): a moderator still approves
    /// when the list's policy is `moderate`.
    ConfirmedSelf,
}

/// What a subscription did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Subscribed {
    Subscribed,
    /// The address was already a subscriber.
    AlreadyMember,
    /// Waits for a moderator.
    AwaitingApproval,
}

/// A message held for moderation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HeldPost {
    /// Mailman's request id, for the decision.
    pub id: u64,
    pub sender: String,
    pub subject: String,
    /// Mailman's reason, in English (e.g. "The message is not from a list
    /// member").
    pub reason: String,
    /// When it was held, ISO 8601 (UTC, no zone), as Mailman gives it.
    pub held_at: String,
}

/// A held message with its text, to decide on it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HeldPostText {
    #[serde(flatten)]
    pub post: HeldPost,
    /// Headers and body as text, cut at [`HELD_TEXT_MAX`] bytes.
    pub text: String,
}

/// The most of a held message shown to a moderator.
pub const HELD_TEXT_MAX: usize = 64 * 1024;

/// A moderator's decision on a held message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Moderation {
    /// Post it to the list.
    Approve,
    /// Refuse it; the sender is told, with this reason when one is given.
    Reject { reason: Option<String> },
    /// Drop it silently (spam).
    Discard,
}

/// A subscription waiting for a moderator.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PendingSubscription {
    /// Mailman's token, for the decision.
    pub token: String,
    pub address: String,
    pub display_name: String,
    /// ISO 8601 (UTC, no zone).
    pub since: String,
}

/// A moderator's decision on a subscription request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestDecision {
    Approve,
    /// The person is told, with this reason when one is given.
    Reject {
        reason: Option<String>,
    },
    Discard,
}

/// The live side of the lists. Every method names the list by its store
/// row; implementations find it in Mailman by [`MailingList::list_id`].
/// Addresses given to it are already validated and lowercase.
pub trait ListServer: Send + Sync + 'static {
    /// The subscribers (role member), `per_page` (1 to 1000) from page
    /// `page` (from 1).
    fn subscribers<'a>(
        &'a self,
        list: &'a MailingList,
        page: u32,
        per_page: u32,
    ) -> ListServerResult<'a, SubscriberPage>;

    /// Subscribes one address.
    fn subscribe<'a>(
        &'a self,
        list: &'a MailingList,
        address: &'a str,
        display_name: Option<&'a str>,
        how: SubscribeAs,
    ) -> ListServerResult<'a, Subscribed>;

    /// Unsubscribes one address at once; `false` when it was not a
    /// subscriber.
    fn unsubscribe<'a>(
        &'a self,
        list: &'a MailingList,
        address: &'a str,
    ) -> ListServerResult<'a, bool>;

    /// Owners and moderators.
    fn staff<'a>(&'a self, list: &'a MailingList) -> ListServerResult<'a, Vec<StaffMember>>;

    /// Makes `address` an owner or a moderator (nothing if it is already).
    fn add_staff<'a>(
        &'a self,
        list: &'a MailingList,
        role: StaffRole,
        address: &'a str,
    ) -> ListServerResult<'a, ()>;

    /// `false` when `address` did not have the role.
    fn remove_staff<'a>(
        &'a self,
        list: &'a MailingList,
        role: StaffRole,
        address: &'a str,
    ) -> ListServerResult<'a, bool>;

    /// The messages waiting for a moderator, oldest first.
    fn held<'a>(&'a self, list: &'a MailingList) -> ListServerResult<'a, Vec<HeldPost>>;

    /// One held message with its text; `None` when there is no such
    /// request (decided meanwhile).
    fn held_post<'a>(
        &'a self,
        list: &'a MailingList,
        id: u64,
    ) -> ListServerResult<'a, Option<HeldPostText>>;

    /// Decides on a held message; `false` when there is no such request.
    fn moderate<'a>(
        &'a self,
        list: &'a MailingList,
        id: u64,
        decision: &'a Moderation,
    ) -> ListServerResult<'a, bool>;

    /// Subscriptions waiting for a moderator.
    fn pending<'a>(
        &'a self,
        list: &'a MailingList,
    ) -> ListServerResult<'a, Vec<PendingSubscription>>;

    /// Decides on a subscription request; `false` when there is no such
    /// request.
    fn decide<'a>(
        &'a self,
        list: &'a MailingList,
        token: &'a str,
        decision: &'a RequestDecision,
    ) -> ListServerResult<'a, bool>;
}
