//! Mailing lists: a list on one of the account's mail domains, with the
//! settings a group needs. One queue object per list (`mailing_list`): the
//! list provisioner makes Mailman match it; the domain's mail object is
//! queued too, since the mail provisioner routes the list's addresses to
//! Mailman. Deleting a list stops its mail at once and keeps it (with its
//! archive) in Mailman until the purge.

use crate::{App, AppError, Audit, Fields, Result, audit, authorize_on_account, json, now};
use konbit_core::authz::{Action, Actor};
use konbit_core::list::{
    ListDescription, ListLanguage, ListName, ListSettings, PostingPolicy, ReplyTo,
    SubscriptionPolicy, names_taking,
};
use konbit_core::mail::LocalPart;
use konbit_core::model::{AccountId, DomainId, MailingList, MailingListId};
use konbit_core::names::EmailAddress;
use konbit_core::quota::Resource;
use konbit_core::{FieldError, Rule};
use konbit_store::{ListFilter, Tx};

/// The queue kind of mailing lists.
pub const KIND: &str = "mailing_list";

/// Whether this server hosts lists (Mailman is set up).
#[derive(Debug, Clone, Default)]
pub struct ListConfig {
    pub enabled: bool,
}

/// A list's settings as a form or an API body gives them; every field is
/// text, checked here so each wrong one gets its own message.
#[derive(Debug, Clone, Default)]
pub struct ListSettingsInput {
    pub description: String,
    /// `open`, `confirm` or `moderate`.
    pub subscription: String,
    /// `members`, `anyone` or `moderated`.
    pub posting: String,
    /// `author`, `list` or `address`.
    pub reply_to: String,
    /// Needed when `reply_to` is `address`.
    pub reply_to_address: String,
    pub munge_from: bool,
    pub archives: bool,
    pub digest: bool,
    /// `fr` or `en`.
    pub language: String,
}

impl ListSettingsInput {
    /// The form's starting values.
    pub fn from_settings(s: &ListSettings) -> Self {
        let (reply_to, reply_to_address) = match &s.reply_to {
            ReplyTo::Author => ("author", String::new()),
            ReplyTo::List => ("list", String::new()),
            ReplyTo::Address(a) => ("address", a.as_str().to_owned()),
        };
        Self {
            description: s.description.as_str().to_owned(),
            subscription: choice_name(&s.subscription),
            posting: choice_name(&s.posting),
            reply_to: reply_to.to_owned(),
            reply_to_address,
            munge_from: s.munge_from,
            archives: s.archives,
            digest: s.digest,
            language: s.language.code().to_owned(),
        }
    }
}

fn choice_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A new list.
#[derive(Debug, Clone, Default)]
pub struct CreateList {
    /// `name@domain`.
    pub address: String,
    pub settings: ListSettingsInput,
}

/// One of an enum's snake_case names; empty takes `default`.
fn choice<T: serde::de::DeserializeOwned>(
    f: &mut Fields,
    field: &'static str,
    raw: &str,
    default: &str,
) -> Option<T> {
    let raw = raw.trim().to_ascii_lowercase();
    let raw = if raw.is_empty() {
        default.to_owned()
    } else {
        raw
    };
    let v = serde_json::from_value(serde_json::Value::String(raw)).ok();
    if v.is_none() {
        f.push(FieldError::new(field, Rule::UnknownChoice));
    }
    v
}

/// Checks every setting; each wrong one is named.
pub fn parse_settings(input: &ListSettingsInput) -> Result<ListSettings> {
    let mut f = Fields::default();
    let description = f.check(ListDescription::parse("description", &input.description));
    let subscription: Option<SubscriptionPolicy> =
        choice(&mut f, "subscription", &input.subscription, "confirm");
    let posting: Option<PostingPolicy> = choice(&mut f, "posting", &input.posting, "members");
    let language: Option<ListLanguage> = choice(&mut f, "language", &input.language, "fr");
    let reply_to = match input.reply_to.trim() {
        "" | "author" => Some(ReplyTo::Author),
        "list" => Some(ReplyTo::List),
        "address" => f
            .check(EmailAddress::parse(
                "reply_to_address",
                &input.reply_to_address,
            ))
            .map(ReplyTo::Address),
        _ => {
            f.push(FieldError::new("reply_to", Rule::UnknownChoice));
            None
        }
    };
    f.finish()?;
    match (description, subscription, posting, reply_to, language) {
        (Some(description), Some(subscription), Some(posting), Some(reply_to), Some(language)) => {
            Ok(ListSettings {
                description,
                subscription,
                posting,
                reply_to,
                munge_from: input.munge_from,
                archives: input.archives,
                digest: input.digest,
                language,
            })
        }
        _ => Err(AppError::Internal("validated list settings missing".into())),
    }
}

/// Refuses a mailbox or alias at an address a list of the domain takes
/// (its own or one of Mailman's `-bounces`… addresses).
pub(crate) async fn refuse_list_address(
    tx: &mut Tx,
    domain: DomainId,
    field: &'static str,
    local: &LocalPart,
) -> Result<()> {
    if tx
        .mailing_list_named_any(domain, &names_taking(local))
        .await?
    {
        return Err(AppError::invalid(FieldError::new(
            field,
            Rule::ListAddressTaken,
        )));
    }
    Ok(())
}

pub struct ListService<'a> {
    pub(crate) app: &'a App,
}

impl ListService<'_> {
    fn enabled(&self) -> Result<()> {
        if self.app.config.lists.enabled {
            Ok(())
        } else {
            Err(AppError::conflict(
                "mailing lists are not set up on this server",
            ))
        }
    }

    /// The lists of the accounts the actor may see; `account`: only that one.
    pub async fn list(
        &self,
        actor: &Actor,
        account: Option<AccountId>,
        include_deleted: bool,
    ) -> Result<Vec<MailingList>> {
        let mut tx = self.app.store.read().await?;
        let accounts = match account {
            Some(a) => {
                authorize_on_account(&mut tx, actor, Action::ViewLists(a), a).await?;
                Some(vec![a])
            }
            None => crate::visible_accounts(&mut tx, actor, Action::ViewLists).await?,
        };
        Ok(tx
            .mailing_lists(&ListFilter {
                accounts,
                include_deleted,
                ..Default::default()
            })
            .await?)
    }

    pub async fn get(&self, actor: &Actor, id: i64) -> Result<MailingList> {
        let mut tx = self.app.store.read().await?;
        find(&mut tx, actor, id, false).await
    }

    pub async fn create(&self, actor: &Actor, input: CreateList) -> Result<MailingList> {
        self.enabled()?;
        crate::check_scope(actor, Action::ManageLists)?;
        let mut f = Fields::default();
        let (name, domain_name) = match input.address.trim().rsplit_once('@') {
            Some((name, domain)) => (
                f.check(ListName::parse("address", name)),
                Some(domain.to_owned()),
            ),
            None => {
                f.push(FieldError::new("address", Rule::EmailFormat));
                (None, None)
            }
        };
        let settings = match parse_settings(&input.settings) {
            Ok(s) => Some(s),
            Err(AppError::Invalid(errors)) => {
                for e in errors {
                    f.push(e);
                }
                None
            }
            Err(e) => return Err(e),
        };
        f.finish()?;
        let (Some(name), Some(domain_name), Some(settings)) = (name, domain_name, settings) else {
            return Err(AppError::Internal("validated list missing".into()));
        };
        let now = now();
        let mut tx = self.app.store.write().await?;
        // The domain is looked up on the lists' own scope: a token with
        // `lists:write` alone may make a list on a mail domain it can see.
        let ascii = konbit_core::names::Fqdn::parse("address", &domain_name, 1)
            .map_err(|_| AppError::NotFound)?;
        let domain = match tx.domain_by_name(ascii.as_str()).await {
            Ok(d) => d,
            Err(konbit_store::StoreError::NotFound) => return Err(AppError::NotFound),
            Err(e) => return Err(e.into()),
        };
        authorize_on_account(
            &mut tx,
            actor,
            Action::ManageLists(domain.account_id),
            domain.account_id,
        )
        .await?;
        if domain.is_deleted() {
            return Err(AppError::NotFound);
        }
        if domain.alias_of.is_some() || !domain.mail {
            return Err(AppError::conflict("mail is off for this domain"));
        }
        if tx
            .mailing_list_by_name(domain.id, name.as_str())
            .await?
            .is_some()
        {
            return Err(AppError::invalid(FieldError::new(
                "address",
                Rule::NameTaken,
            )));
        }
        // Neither the list's address nor Mailman's ones may be a mailbox's
        // or an alias's.
        for local in name.local_parts() {
            let lp = LocalPart::parse("address", &local).map_err(AppError::invalid)?;
            let address = konbit_core::mail::MailAddress::new("address", lp, domain.name.clone())
                .map_err(AppError::invalid)?;
            let mailbox = match tx.mailbox_by_address(&address).await {
                Ok(_) => true,
                Err(konbit_store::StoreError::NotFound) => false,
                Err(e) => return Err(e.into()),
            };
            if mailbox || tx.mail_alias_by_source(domain.id, &local).await? {
                return Err(AppError::invalid(FieldError::new(
                    "address",
                    Rule::ListAddressTaken,
                )));
            }
        }
        let limits = tx.account_limits(domain.account_id).await?;
        let usage = tx.account_usage(domain.account_id).await?;
        konbit_core::quota::check(&limits, &usage, Resource::MailingLists, 1)?;
        let id = tx
            .insert_mailing_list(domain.account_id, domain.id, &name, &settings, now)
            .await
            .map_err(crate::duplicate_on("address"))?;
        tx.enqueue(KIND, id.0, 1, now).await?;
        requeue_routes(&mut tx, domain.id, domain.account_id, now).await?;
        let list = tx.mailing_list(id).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "mailing_list_created",
                kind: "mailing_list",
                id: list.address(),
                account: Some(list.account_id),
                old: None,
                new: json(&list),
            },
            now,
        )
        .await?;
        self.app.commit(tx).await?;
        Ok(list)
    }

    pub async fn update(
        &self,
        actor: &Actor,
        id: i64,
        input: ListSettingsInput,
    ) -> Result<MailingList> {
        self.enabled()?;
        crate::check_scope(actor, Action::ManageLists)?;
        let settings = parse_settings(&input)?;
        let now = now();
        let mut tx = self.app.store.write().await?;
        let old = find(&mut tx, actor, id, true).await?;
        if old.is_deleted() {
            return Err(AppError::NotFound);
        }
        let g = tx.update_mailing_list(old.id, &settings, now).await?;
        tx.enqueue(KIND, old.id.0, g, now).await?;
        let new = tx.mailing_list(old.id).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "mailing_list_updated",
                kind: "mailing_list",
                id: new.address(),
                account: Some(new.account_id),
                old: json(&old),
                new: json(&new),
            },
            now,
        )
        .await?;
        self.app.commit(tx).await?;
        Ok(new)
    }

    /// Stops the list's mail at once; Mailman keeps it, with its
    /// subscribers and archive, until the grace period ends.
    pub async fn delete(&self, actor: &Actor, id: i64) -> Result<()> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        let old = find(&mut tx, actor, id, true).await?;
        if old.is_deleted() {
            return Err(AppError::NotFound);
        }
        let purge_after = now + self.app.config.deletion_grace_secs;
        let g = tx
            .set_mailing_list_deleted(old.id, Some((now, purge_after)), now)
            .await?;
        tx.enqueue(KIND, old.id.0, g, now).await?;
        requeue_routes(&mut tx, old.domain_id, old.account_id, now).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "mailing_list_deleted",
                kind: "mailing_list",
                id: old.address(),
                account: Some(old.account_id),
                old: json(&old),
                new: None,
            },
            now,
        )
        .await?;
        self.app.commit(tx).await
    }

    pub async fn restore(&self, actor: &Actor, id: i64) -> Result<MailingList> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        let old = find(&mut tx, actor, id, true).await?;
        if !old.is_deleted() {
            return Err(AppError::conflict("this list is not deleted"));
        }
        let g = tx.set_mailing_list_deleted(old.id, None, now).await?;
        tx.enqueue(KIND, old.id.0, g, now).await?;
        requeue_routes(&mut tx, old.domain_id, old.account_id, now).await?;
        let new = tx.mailing_list(old.id).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "mailing_list_restored",
                kind: "mailing_list",
                id: new.address(),
                account: Some(new.account_id),
                old: None,
                new: json(&new),
            },
            now,
        )
        .await?;
        self.app.commit(tx).await?;
        Ok(new)
    }

    /// Removes the lists whose grace period is over; the provisioner then
    /// deletes them, with their archives, from Mailman.
    pub async fn purge_expired(&self, actor: &Actor) -> Result<usize> {
        konbit_core::authz::authorize(
            actor,
            Action::DeleteAccount(AccountId(0)),
            Default::default(),
        )?;
        let now = now();
        let due = self
            .app
            .store
            .read()
            .await?
            .mailing_lists_due_for_purge(now)
            .await?;
        for id in &due {
            let mut tx = self.app.store.write().await?;
            let old = tx.mailing_list(*id).await?;
            tx.purge_mailing_list(*id).await?;
            tx.enqueue(KIND, id.0, 0, now).await?;
            audit(
                &mut tx,
                actor,
                Audit {
                    action: "mailing_list_purged",
                    kind: "mailing_list",
                    id: old.address(),
                    account: Some(old.account_id),
                    old: None,
                    new: None,
                },
                now,
            )
            .await?;
            self.app.commit(tx).await?;
        }
        Ok(due.len())
    }
}

/// The domain's mail object routes its lists' addresses: queue it again.
async fn requeue_routes(
    tx: &mut Tx,
    domain: DomainId,
    account: AccountId,
    now: konbit_core::model::Timestamp,
) -> Result<()> {
    let g = tx.bump_mail_domain(domain, account, now).await?;
    tx.enqueue(crate::mail_domain::KIND, domain.0, g, now)
        .await?;
    Ok(())
}

/// A list by id; another account's does not exist for the caller, and a
/// token without the scope is refused before any lookup.
pub(crate) async fn find(tx: &mut Tx, actor: &Actor, id: i64, manage: bool) -> Result<MailingList> {
    crate::check_scope(
        actor,
        if manage {
            Action::ManageLists
        } else {
            Action::ViewLists
        },
    )?;
    let list = tx.mailing_list(MailingListId(id)).await?;
    let action = if manage {
        Action::ManageLists(list.account_id)
    } else {
        Action::ViewLists(list.account_id)
    };
    authorize_on_account(tx, actor, action, list.account_id).await?;
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_field_by_field() {
        let ok = parse_settings(&ListSettingsInput {
            description: "Nouvelles".into(),
            subscription: "moderate".into(),
            posting: "anyone".into(),
            reply_to: "address".into(),
            reply_to_address: "Info@Example.org".into(),
            munge_from: true,
            archives: false,
            digest: true,
            language: "en".into(),
        })
        .unwrap();
        assert_eq!(ok.subscription, SubscriptionPolicy::Moderate);
        assert_eq!(ok.posting, PostingPolicy::Anyone);
        assert_eq!(
            ok.reply_to,
            ReplyTo::Address(EmailAddress::parse("x", "info@example.org").unwrap())
        );
        assert_eq!(ok.language, ListLanguage::En);
        assert_eq!(
            ListSettingsInput::from_settings(&ok).subscription,
            "moderate"
        );
        // Empty choices take the defaults.
        let d = parse_settings(&ListSettingsInput::default()).unwrap();
        assert_eq!(d.subscription, SubscriptionPolicy::Confirm);
        assert_eq!(d.posting, PostingPolicy::Members);
        assert_eq!(d.reply_to, ReplyTo::Author);
        let Err(AppError::Invalid(errors)) = parse_settings(&ListSettingsInput {
            description: "a\nb".into(),
            subscription: "everyone".into(),
            posting: "x".into(),
            reply_to: "address".into(),
            reply_to_address: "nope".into(),
            language: "de".into(),
            ..Default::default()
        }) else {
            panic!("bad settings accepted");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "description",
                "subscription",
                "posting",
                "language",
                "reply_to_address"
            ]
        );
    }
}
