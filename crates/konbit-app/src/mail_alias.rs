//! Aliases and forwards: one address (or a domain's catch-all) to one or
//! more recipients, hosted here or elsewhere. The rules across the account
//! (no alias over a mailbox, no forward to itself, no loop) are checked on
//! every change, with the changed alias named in the error.

use crate::mail_domain::{KIND, check_standing, find_domain};
use crate::visible_accounts;
use crate::{App, AppError, Audit, Fields, Result, audit, authorize_on_account, json, now};
use konbit_core::FieldError;
use konbit_core::authz::{Action, Actor};
use konbit_core::mail::{Alias, AliasSource, Destination, MAX_DESTINATIONS, check_alias_rules};
use konbit_core::model::{AccountId, MailAlias, MailAliasId, ObjectStatus};
use konbit_core::names::Fqdn;
use konbit_store::{MailFilter, StoreError, Tx};
use std::collections::HashSet;

pub struct MailAliasService<'a> {
    pub(crate) app: &'a App,
}

#[derive(Debug, Clone, Default)]
pub struct CreateAlias {
    /// `info@example.org`, or `@example.org` / `*@example.org` for the
    /// catch-all.
    pub source: String,
    pub destinations: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AliasQuery {
    pub account: Option<AccountId>,
    pub domain: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AliasView {
    #[serde(flatten)]
    pub alias: MailAlias,
    /// The source as a person reads it (Unicode domain).
    pub display_source: String,
    pub catch_all: bool,
    pub status: ObjectStatus,
}

impl MailAliasService<'_> {
    pub async fn list(&self, actor: &Actor, query: AliasQuery) -> Result<Vec<AliasView>> {
        let mut tx = self.app.store.read().await?;
        let mut filter = MailFilter::default();
        if let Some(name) = &query.domain {
            let domain = find_domain(&mut tx, actor, name, false).await?;
            filter.domain = Some(domain.id);
            filter.accounts = Some(vec![domain.account_id]);
        } else if let Some(a) = query.account {
            authorize_on_account(&mut tx, actor, Action::ViewMail(a), a).await?;
            filter.accounts = Some(vec![a]);
        } else {
            filter.accounts = visible_accounts(&mut tx, actor, Action::ViewMail).await?;
        }
        let aliases = tx.mail_aliases(&filter).await?;
        let mut out = Vec::with_capacity(aliases.len());
        for a in aliases {
            out.push(view(&mut tx, a).await?);
        }
        Ok(out)
    }

    pub async fn get(&self, actor: &Actor, id: i64) -> Result<AliasView> {
        let mut tx = self.app.store.read().await?;
        let alias = find(&mut tx, actor, id, false).await?;
        view(&mut tx, alias).await
    }

    pub async fn create(&self, actor: &Actor, input: CreateAlias) -> Result<AliasView> {
        let source = AliasSource::parse("source", &input.source).map_err(AppError::invalid)?;
        let now = now();
        let mut tx = self.app.store.write().await?;
        let domain = find_domain(&mut tx, actor, source.domain().as_str(), true).await?;
        if domain.is_deleted() {
            return Err(AppError::NotFound);
        }
        if domain.alias_of.is_some() || !domain.mail {
            return Err(AppError::conflict("mail is off for this domain"));
        }
        if let AliasSource::Address(a) = &source {
            crate::list::refuse_list_address(&mut tx, domain.id, "source", a.local()).await?;
        }
        let destinations = parse_destinations(&mut tx, &input.destinations).await?;
        check_rules(&mut tx, domain.account_id, None, &source, &destinations).await?;
        let limits = tx.account_limits(domain.account_id).await?;
        let usage = tx.account_usage(domain.account_id).await?;
        konbit_core::quota::check(&limits, &usage, konbit_core::quota::Resource::Aliases, 1)?;
        let local = match &source {
            AliasSource::Address(a) => a.local().as_str().to_owned(),
            AliasSource::CatchAll(_) => String::new(),
        };
        let g = tx
            .bump_mail_domain(domain.id, domain.account_id, now)
            .await?;
        let stored: Vec<String> = destinations.iter().map(Destination::address).collect();
        let id = tx
            .insert_mail_alias(domain.account_id, domain.id, &local, &stored, g, now)
            .await
            .map_err(crate::duplicate_on("source"))?;
        tx.enqueue(KIND, domain.id.0, g, now).await?;
        let alias = tx.mail_alias(id).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "alias_created",
                kind: "alias",
                id: alias.source.to_string(),
                account: Some(alias.account_id),
                old: None,
                new: json(&alias),
            },
            now,
        )
        .await?;
        let v = view(&mut tx, alias).await?;
        self.app.commit(tx).await?;
        Ok(v)
    }

    pub async fn update(
        &self,
        actor: &Actor,
        id: i64,
        destinations: Vec<String>,
    ) -> Result<AliasView> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        let old = find(&mut tx, actor, id, true).await?;
        let parsed = parse_destinations(&mut tx, &destinations).await?;
        check_rules(&mut tx, old.account_id, Some(old.id), &old.source, &parsed).await?;
        let g = tx
            .bump_mail_domain(old.domain_id, old.account_id, now)
            .await?;
        let stored: Vec<String> = parsed.iter().map(Destination::address).collect();
        tx.update_mail_alias(old.id, &stored, g, now).await?;
        tx.enqueue(KIND, old.domain_id.0, g, now).await?;
        let new = tx.mail_alias(old.id).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "alias_updated",
                kind: "alias",
                id: new.source.to_string(),
                account: Some(new.account_id),
                old: json(&old),
                new: json(&new),
            },
            now,
        )
        .await?;
        let v = view(&mut tx, new).await?;
        self.app.commit(tx).await?;
        Ok(v)
    }

    pub async fn delete(&self, actor: &Actor, id: i64) -> Result<()> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        let old = find(&mut tx, actor, id, true).await?;
        let g = tx
            .bump_mail_domain(old.domain_id, old.account_id, now)
            .await?;
        tx.delete_mail_alias(old.id).await?;
        tx.enqueue(KIND, old.domain_id.0, g, now).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "alias_deleted",
                kind: "alias",
                id: old.source.to_string(),
                account: Some(old.account_id),
                old: json(&old),
                new: None,
            },
            now,
        )
        .await?;
        self.app.commit(tx).await
    }
}

async fn view(tx: &mut Tx, alias: MailAlias) -> Result<AliasView> {
    let status = match tx.mail_domain(alias.domain_id).await {
        Ok(d) => alias.status(&d.provision),
        Err(StoreError::NotFound) => ObjectStatus::Pending,
        Err(e) => return Err(e.into()),
    };
    let display_source = match &alias.source {
        AliasSource::Address(a) => a.to_unicode(),
        AliasSource::CatchAll(d) => format!("@{}", d.to_unicode()),
    };
    Ok(AliasView {
        display_source,
        catch_all: alias.source.is_catch_all(),
        alias,
        status,
    })
}

/// An alias by id; another account's does not exist for the caller.
async fn find(tx: &mut Tx, actor: &Actor, id: i64, manage: bool) -> Result<MailAlias> {
    // A missing alias and another account's alias give the same answer.
    check_standing(actor, manage)?;
    let alias = match tx.mail_alias(MailAliasId(id)).await {
        Ok(a) => a,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let domain = tx.domain(alias.domain_id).await?;
    find_domain(tx, actor, domain.name.as_str(), manage).await?;
    Ok(alias)
}

/// Destinations as typed, one per entry (entries may also hold several
/// separated by commas, spaces or new lines), validated; a destination at a
/// domain hosted here with mail on is local, so loops can be found.
async fn parse_destinations(tx: &mut Tx, raw: &[String]) -> Result<Vec<Destination>> {
    let items: Vec<&str> = raw
        .iter()
        .flat_map(|r| r.split([',', '\n', '\r', ' ', '\t', ';']))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let mut hosted = HashSet::new();
    for item in &items {
        if let Some((_, domain)) = item.rsplit_once('@')
            && let Ok(d) = Fqdn::parse("destinations", domain, 2)
            && tx.is_mail_domain(d.as_str()).await?
        {
            hosted.insert(d);
        }
    }
    let mut f = Fields::default();
    let mut out = Vec::with_capacity(items.len());
    for item in items.iter().take(MAX_DESTINATIONS + 1) {
        if let Some(d) = f.check(Destination::parse("destinations", item, |d| {
            hosted.contains(d)
        })) {
            out.push(d);
        }
    }
    f.finish()?;
    Ok(out)
}

/// The account's rules with the changed alias last, so it is the one
/// blamed for a clash.
async fn check_rules(
    tx: &mut Tx,
    account: AccountId,
    replacing: Option<MailAliasId>,
    source: &AliasSource,
    destinations: &[Destination],
) -> Result<()> {
    let mailboxes = tx.mailbox_addresses_of_account(account).await?;
    let stored = tx
        .mail_aliases(&MailFilter {
            accounts: Some(vec![account]),
            ..MailFilter::default()
        })
        .await?;
    let mut aliases: Vec<Alias> = Vec::with_capacity(stored.len() + 1);
    for a in stored.into_iter().filter(|a| Some(a.id) != replacing) {
        let dests = parse_destinations(tx, &a.destinations)
            .await
            .unwrap_or_default();
        aliases.push((a.source, dests));
    }
    aliases.push((source.clone(), destinations.to_vec()));
    let last = aliases.len() - 1;
    match check_alias_rules(&mailboxes, &aliases) {
        Ok(()) => Ok(()),
        Err(errors) => {
            let mine: Vec<FieldError> = errors
                .into_iter()
                .filter(|(i, _)| *i == last)
                .map(|(_, e)| e)
                .collect();
            if mine.is_empty() {
                Ok(())
            } else {
                Err(AppError::Invalid(mine))
            }
        }
    }
}
