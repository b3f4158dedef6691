//! The `mailing_list` queue kind: Mailman 3 core holds each live list with
//! the settings the store says.
//!
//! - A live list is made in Mailman (with its domain) if missing, then only
//!   the settings that differ from the desired ones are written, so a second
//!   apply changes nothing.
//! - A soft-deleted list is left in Mailman as it is, members and archive
//!   included, so a restore gets it back whole; the mail provisioner stops
//!   routing its addresses meanwhile.
//! - Once the row is purged, the store no longer says which Mailman list it
//!   was, so every list this provisioner made is recorded in a small file
//!   (object id → address). The purge deletes the recorded list and then its
//!   Mailman domain if no list is left there. A Mailman list Konbit did not
//!   record is never touched.
//! - Transient Mailman errors are retried; a refused setting fails that list
//!   alone with Mailman's message; refused credentials stop the kind for a
//!   while, as every list would fail the same way.

use super::mailman::{
    Action, ArchivePolicy, DmarcMitigation, ListAddress, ListSettings as MailmanSettings,
    ListSettingsPatch, MailHost, MailmanClient, MailmanError, ReplyGoesToList,
    SubscriptionPolicy as MailmanSubscription,
};
use crate::files::{FileMode, ensure_dir, write_atomic};
use crate::{Applied, ProvisionError, Provisioner};
use konbit_core::list::{ListSettings, PostingPolicy, ReplyTo, SubscriptionPolicy};
use konbit_core::model::{MailingList, MailingListId};
use konbit_store::{ListFilter, Store, StoreError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const KIND: &str = "mailing_list";

/// The record can only grow by one entry per list; past this size it is
/// not read (something else wrote it).
const MAX_RECORD_BYTES: u64 = 64 << 20;

pub struct ListProvisioner {
    store: Store,
    client: MailmanClient,
    /// Object id → `name@domain` of every list made in Mailman, root only.
    record: PathBuf,
}

fn store_error(e: StoreError) -> ProvisionError {
    ProvisionError::Transient(e.to_string())
}

/// How a Mailman error ends an apply.
fn mailman_error(e: MailmanError) -> ProvisionError {
    match e {
        e if e.is_transient() => ProvisionError::Transient(e.to_string()),
        MailmanError::Unauthorized => ProvisionError::Fatal(e.to_string()),
        e => ProvisionError::Invalid {
            reason: e.to_string(),
        },
    }
}

/// Mailman's settings for Konbit's. Every field Konbit decides is set;
/// the rest (subject prefix, digest sizes, welcome message) stays as
/// Mailman or a list owner has it.
pub fn desired_settings(name: &str, s: &ListSettings) -> ListSettingsPatch {
    let subscription = match s.subscription {
        SubscriptionPolicy::Open => MailmanSubscription::Open,
        SubscriptionPolicy::Confirm => MailmanSubscription::Confirm,
        // Konbit's "moderate" still asks the subscriber to confirm, so
        // nobody is subscribed by someone else's typing.
        SubscriptionPolicy::Moderate => MailmanSubscription::ConfirmThenModerate,
    };
    // Members' posts `defer`: the other rules (size, emergency) still run,
    // and with none matching they are posted.
    let (member, nonmember) = match s.posting {
        PostingPolicy::Members => (Action::Defer, Action::Hold),
        PostingPolicy::Anyone => (Action::Defer, Action::Accept),
        PostingPolicy::Moderated => (Action::Hold, Action::Hold),
    };
    let (reply, reply_address) = match &s.reply_to {
        ReplyTo::Author => (ReplyGoesToList::NoMunging, None),
        ReplyTo::List => (ReplyGoesToList::PointToList, None),
        ReplyTo::Address(a) => (ReplyGoesToList::ExplicitHeader, Some(a.as_str().to_owned())),
    };
    let dmarc = if s.munge_from {
        DmarcMitigation::MungeFrom
    } else {
        DmarcMitigation::NoMitigation
    };
    ListSettingsPatch {
        display_name: Some(name.to_owned()),
        description: Some(s.description.as_str().to_owned()),
        subscription_policy: Some(subscription),
        default_member_action: Some(member),
        default_nonmember_action: Some(nonmember),
        reply_goes_to_list: Some(reply),
        reply_to_address: reply_address,
        dmarc_mitigate_action: Some(dmarc),
        // Munging only posts from strict-DMARC domains would let the
        // others be refused by receivers that check alignment anyway.
        dmarc_mitigate_unconditionally: Some(s.munge_from),
        archive_policy: Some(if s.archives {
            ArchivePolicy::Private
        } else {
            ArchivePolicy::Never
        }),
        digests_enabled: Some(s.digest),
        preferred_language: Some(s.language.code().to_owned()),
        // Konbit's panel is the directory of lists, not Mailman's.
        advertised: Some(false),
        ..Default::default()
    }
}

/// Keeps `want` only where it differs from what Mailman has.
fn differs<T: PartialEq>(want: Option<T>, have: &T) -> Option<T> {
    want.filter(|w| w != have)
}

/// The part of `want` that Mailman does not have yet.
pub fn settings_diff(want: ListSettingsPatch, have: &MailmanSettings) -> ListSettingsPatch {
    ListSettingsPatch {
        display_name: differs(want.display_name, &have.display_name),
        description: differs(want.description, &have.description),
        subject_prefix: differs(want.subject_prefix, &have.subject_prefix),
        subscription_policy: differs(want.subscription_policy, &have.subscription_policy),
        default_member_action: differs(want.default_member_action, &have.default_member_action),
        default_nonmember_action: differs(
            want.default_nonmember_action,
            &have.default_nonmember_action,
        ),
        reply_goes_to_list: differs(want.reply_goes_to_list, &have.reply_goes_to_list),
        reply_to_address: differs(want.reply_to_address, &have.reply_to_address),
        dmarc_mitigate_action: differs(want.dmarc_mitigate_action, &have.dmarc_mitigate_action),
        dmarc_mitigate_unconditionally: differs(
            want.dmarc_mitigate_unconditionally,
            &have.dmarc_mitigate_unconditionally,
        ),
        archive_policy: differs(want.archive_policy, &have.archive_policy),
        digests_enabled: differs(want.digests_enabled, &have.digests_enabled),
        digest_size_threshold: differs(want.digest_size_threshold, &have.digest_size_threshold),
        digest_send_periodic: differs(want.digest_send_periodic, &have.digest_send_periodic),
        digest_volume_frequency: differs(
            want.digest_volume_frequency,
            &have.digest_volume_frequency,
        ),
        preferred_language: differs(want.preferred_language, &have.preferred_language),
        advertised: differs(want.advertised, &have.advertised),
        send_welcome_message: differs(want.send_welcome_message, &have.send_welcome_message),
    }
}

/// The Mailman names of the fields a patch sets, for the log.
fn field_names(patch: &ListSettingsPatch) -> Vec<String> {
    match serde_json::to_value(patch) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// The list's address as Mailman takes it.
fn address_of(list: &MailingList) -> Result<ListAddress, ProvisionError> {
    let host = MailHost::parse(&list.domain).map_err(mailman_error)?;
    ListAddress::new(list.name.as_str(), &host).map_err(mailman_error)
}

/// `name@domain` read back from the record.
fn parse_address(fqdn: &str) -> Result<ListAddress, ProvisionError> {
    let (name, host) = fqdn
        .rsplit_once('@')
        .ok_or_else(|| ProvisionError::Invalid {
            reason: format!("the record of lists holds {fqdn:?}, which is no list address"),
        })?;
    let host = MailHost::parse(host).map_err(mailman_error)?;
    ListAddress::new(name, &host).map_err(mailman_error)
}

type Record = BTreeMap<i64, String>;

impl ListProvisioner {
    /// `record` is where the lists made are remembered (its directory is
    /// made 0700 when missing).
    pub fn new(store: Store, client: MailmanClient, record: PathBuf) -> Self {
        Self {
            store,
            client,
            record,
        }
    }

    /// The list as the store has it, `None` once purged.
    async fn stored(&self, id: MailingListId) -> Result<Option<MailingList>, ProvisionError> {
        let mut tx = self.store.read().await.map_err(store_error)?;
        match tx.mailing_list(id).await {
            Ok(l) => Ok(Some(l)),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(store_error(e)),
        }
    }

    fn read_record(&self) -> Result<Record, ProvisionError> {
        read_record(&self.record)
    }

    fn write_record(&self, record: &Record) -> Result<(), ProvisionError> {
        let fail = |e: String| ProvisionError::Transient(format!("{}: {e}", self.record.display()));
        let mode = FileMode {
            mode: 0o600,
            uid: None,
            gid: None,
        };
        if let Some(dir) = self.record.parent().filter(|d| !d.as_os_str().is_empty()) {
            ensure_dir(
                dir,
                FileMode {
                    mode: 0o700,
                    ..mode
                },
            )
            .map_err(fail)?;
        }
        let text = serde_json::to_vec_pretty(record).map_err(|e| fail(e.to_string()))?;
        write_atomic(&self.record, &text, mode).map_err(fail)?;
        Ok(())
    }

    /// Remembers the list before anything is made in Mailman, so a crash
    /// in between cannot leave a list the purge would not find.
    fn remember(&self, id: MailingListId, address: &ListAddress) -> Result<(), ProvisionError> {
        let mut record = self.read_record()?;
        let fqdn = address.fqdn();
        if record.get(&id.0) == Some(&fqdn) {
            return Ok(());
        }
        record.insert(id.0, fqdn);
        self.write_record(&record)
    }

    async fn apply_one(&self, id: MailingListId) -> Result<Applied, ProvisionError> {
        let Some(list) = self.stored(id).await? else {
            return self.remove_one(id).await;
        };
        if list.deleted_at.is_some() {
            // Kept whole until the purge, for a restore.
            return Ok(Applied::default());
        }
        let address = address_of(&list)?;
        self.remember(id, &address)?;
        let mut changes = Vec::new();
        let created = self
            .client
            .ensure_list(&address)
            .await
            .map_err(mailman_error)?;
        if created == super::mailman::Ensured::Created {
            changes.push(format!("created the list {address} in Mailman"));
        }
        let list_id = address.list_id();
        let have = self
            .client
            .settings(&list_id)
            .await
            .map_err(mailman_error)?;
        let patch = settings_diff(desired_settings(list.name.as_str(), &list.settings), &have);
        if !patch.is_empty() {
            self.client
                .update_settings(&list_id, &patch)
                .await
                .map_err(mailman_error)?;
            changes.push(format!("{address}: set {}", field_names(&patch).join(", ")));
        }
        Ok(Applied { changes })
    }

    /// The list was purged: delete what was recorded for it, then its
    /// domain if no list is left there.
    async fn remove_one(&self, id: MailingListId) -> Result<Applied, ProvisionError> {
        let mut record = self.read_record()?;
        let Some(fqdn) = record.get(&id.0).cloned() else {
            return Ok(Applied::default());
        };
        let address = parse_address(&fqdn)?;
        let mut changes = Vec::new();
        if self
            .client
            .delete_list(&address.list_id())
            .await
            .map_err(mailman_error)?
        {
            changes.push(format!("deleted the list {fqdn} from Mailman"));
        }
        if self
            .client
            .remove_domain_if_empty(address.host())
            .await
            .map_err(mailman_error)?
            == super::mailman::DomainRemoval::Removed
        {
            changes.push(format!(
                "removed the domain {} from Mailman",
                address.host()
            ));
        }
        record.remove(&id.0);
        self.write_record(&record)?;
        Ok(Applied { changes })
    }

    async fn plan_one(
        &self,
        id: MailingListId,
        generation: Option<i64>,
    ) -> Result<Vec<String>, ProvisionError> {
        let list = match generation {
            Some(_) => self.stored(id).await?,
            None => None,
        };
        let Some(list) = list else {
            return Ok(match self.read_record()?.get(&id.0) {
                Some(fqdn) => vec![format!(
                    "delete the list {fqdn} from Mailman (and its domain if it is the last)"
                )],
                None => Vec::new(),
            });
        };
        if list.deleted_at.is_some() {
            return Ok(Vec::new());
        }
        let address = address_of(&list)?;
        let want = desired_settings(list.name.as_str(), &list.settings);
        let list_id = address.list_id();
        if self
            .client
            .list(&list_id)
            .await
            .map_err(mailman_error)?
            .is_none()
        {
            return Ok(vec![format!(
                "create the list {address} in Mailman and set {}",
                field_names(&want).join(", ")
            )]);
        }
        let have = self
            .client
            .settings(&list_id)
            .await
            .map_err(mailman_error)?;
        let patch = settings_diff(want, &have);
        Ok(if patch.is_empty() {
            Vec::new()
        } else {
            vec![format!("{address}: set {}", field_names(&patch).join(", "))]
        })
    }
}

fn read_record(path: &Path) -> Result<Record, ProvisionError> {
    let fail = |e: String| ProvisionError::Transient(format!("{}: {e}", path.display()));
    match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_RECORD_BYTES => {
            return Err(fail(format!("larger than {MAX_RECORD_BYTES} bytes")));
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Record::new()),
        Err(e) => return Err(fail(e.to_string())),
    }
    let text = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    serde_json::from_slice(&text).map_err(|e| fail(e.to_string()))
}

impl Provisioner for ListProvisioner {
    fn kind(&self) -> &'static str {
        KIND
    }

    async fn apply(&self, object_id: i64, _generation: i64) -> Result<Applied, ProvisionError> {
        self.apply_one(MailingListId(object_id)).await
    }

    async fn remove(&self, object_id: i64) -> Result<Applied, ProvisionError> {
        self.remove_one(MailingListId(object_id)).await
    }

    async fn plan(
        &self,
        object_id: i64,
        generation: Option<i64>,
    ) -> Result<Vec<String>, ProvisionError> {
        self.plan_one(MailingListId(object_id), generation).await
    }

    /// The stored lists and the recorded ones, so the resync also deletes
    /// a purged list whose removal was missed.
    async fn all_ids(&self) -> Result<Vec<i64>, ProvisionError> {
        let stored = {
            let mut tx = self.store.read().await.map_err(store_error)?;
            tx.mailing_lists(&ListFilter {
                include_deleted: true,
                ..Default::default()
            })
            .await
            .map_err(store_error)?
        };
        let mut ids: Vec<i64> = stored.iter().map(|l| l.id.0).collect();
        ids.extend(self.read_record()?.keys());
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use konbit_core::list::{ListDescription, ListLanguage};
    use konbit_core::names::EmailAddress;

    fn settings() -> ListSettings {
        ListSettings {
            description: ListDescription::parse("d", "Le groupe").unwrap(),
            subscription: SubscriptionPolicy::Confirm,
            posting: PostingPolicy::Members,
            reply_to: ReplyTo::Author,
            munge_from: false,
            archives: true,
            digest: true,
            language: ListLanguage::Fr,
        }
    }

    fn mailman_defaults() -> MailmanSettings {
        MailmanSettings {
            display_name: "Team".into(),
            description: String::new(),
            subject_prefix: "[Team] ".into(),
            subscription_policy: MailmanSubscription::Confirm,
            default_member_action: Action::Defer,
            default_nonmember_action: Action::Hold,
            reply_goes_to_list: ReplyGoesToList::NoMunging,
            reply_to_address: String::new(),
            dmarc_mitigate_action: DmarcMitigation::NoMitigation,
            dmarc_mitigate_unconditionally: false,
            archive_policy: ArchivePolicy::Public,
            digests_enabled: true,
            digest_size_threshold: 30.0,
            digest_send_periodic: true,
            digest_volume_frequency: super::super::mailman::DigestFrequency::Monthly,
            preferred_language: "en".into(),
            advertised: true,
            send_welcome_message: true,
        }
    }

    #[test]
    fn policies_map_to_mailman_names() {
        let mut s = settings();
        let p = desired_settings("team", &s);
        assert_eq!(p.display_name.as_deref(), Some("team"));
        assert_eq!(p.description.as_deref(), Some("Le groupe"));
        assert_eq!(p.subscription_policy, Some(MailmanSubscription::Confirm));
        assert_eq!(p.default_member_action, Some(Action::Defer));
        assert_eq!(p.default_nonmember_action, Some(Action::Hold));
        assert_eq!(p.reply_goes_to_list, Some(ReplyGoesToList::NoMunging));
        assert_eq!(p.reply_to_address, None);
        assert_eq!(p.dmarc_mitigate_action, Some(DmarcMitigation::NoMitigation));
        assert_eq!(p.dmarc_mitigate_unconditionally, Some(false));
        assert_eq!(p.archive_policy, Some(ArchivePolicy::Private));
        assert_eq!(p.digests_enabled, Some(true));
        assert_eq!(p.preferred_language.as_deref(), Some("fr"));
        assert_eq!(p.advertised, Some(false));
        // What Konbit does not decide is left alone.
        assert_eq!(p.subject_prefix, None);
        assert_eq!(p.send_welcome_message, None);
        p.check().unwrap();

        s.subscription = SubscriptionPolicy::Open;
        s.posting = PostingPolicy::Anyone;
        s.reply_to = ReplyTo::List;
        s.munge_from = true;
        s.archives = false;
        s.digest = false;
        s.language = ListLanguage::En;
        let p = desired_settings("team", &s);
        assert_eq!(p.subscription_policy, Some(MailmanSubscription::Open));
        assert_eq!(p.default_member_action, Some(Action::Defer));
        assert_eq!(p.default_nonmember_action, Some(Action::Accept));
        assert_eq!(p.reply_goes_to_list, Some(ReplyGoesToList::PointToList));
        assert_eq!(p.dmarc_mitigate_action, Some(DmarcMitigation::MungeFrom));
        assert_eq!(p.dmarc_mitigate_unconditionally, Some(true));
        assert_eq!(p.archive_policy, Some(ArchivePolicy::Never));
        assert_eq!(p.digests_enabled, Some(false));
        assert_eq!(p.preferred_language.as_deref(), Some("en"));

        s.subscription = SubscriptionPolicy::Moderate;
        s.posting = PostingPolicy::Moderated;
        s.reply_to = ReplyTo::Address(EmailAddress::parse("r", "bureau@example.org").unwrap());
        let p = desired_settings("team", &s);
        assert_eq!(
            p.subscription_policy,
            Some(MailmanSubscription::ConfirmThenModerate)
        );
        assert_eq!(p.default_member_action, Some(Action::Hold));
        assert_eq!(p.default_nonmember_action, Some(Action::Hold));
        assert_eq!(p.reply_goes_to_list, Some(ReplyGoesToList::ExplicitHeader));
        assert_eq!(p.reply_to_address.as_deref(), Some("bureau@example.org"));
    }

    #[test]
    fn only_what_differs_is_written() {
        let want = desired_settings("team", &settings());
        let mut have = mailman_defaults();
        let patch = settings_diff(want.clone(), &have);
        assert_eq!(
            field_names(&patch),
            [
                "display_name",
                "description",
                "archive_policy",
                "preferred_language",
                "advertised"
            ]
        );
        have.display_name = "team".into();
        have.description = "Le groupe".into();
        have.archive_policy = ArchivePolicy::Private;
        have.preferred_language = "fr".into();
        have.advertised = false;
        assert!(settings_diff(want, &have).is_empty());
    }

    #[test]
    fn errors_are_classed() {
        assert!(matches!(
            mailman_error(MailmanError::Unreachable("x".into())),
            ProvisionError::Transient(_)
        ));
        assert!(matches!(
            mailman_error(MailmanError::Unauthorized),
            ProvisionError::Fatal(_)
        ));
        let e = mailman_error(MailmanError::BadRequest("Invalid Parameter".into()));
        assert_eq!(
            e,
            ProvisionError::Invalid {
                reason: "Mailman refused: Invalid Parameter".into()
            }
        );
    }

    #[test]
    fn the_record_survives_a_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lists").join("provisioned.json");
        assert!(read_record(&path).unwrap().is_empty());
        let address = parse_address("a.b@lists.example.org").unwrap();
        assert_eq!(address.list_id().as_str(), "a.b.lists.example.org");
        assert!(parse_address("nothing").is_err());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "not json").unwrap();
        assert!(matches!(
            read_record(&path),
            Err(ProvisionError::Transient(_))
        ));
    }
}
