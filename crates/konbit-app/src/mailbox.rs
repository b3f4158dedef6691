//! Mailboxes: creation within the account's quota (count and storage),
//! passwords (Argon2id, which Dovecot verifies), enable and disable, soft
//! delete and restore, automatic replies, and the mailbox owner's own
//! password change. Every change queues the domain's mail for the mail
//! provisioner in the same transaction.

use crate::mail_domain::{KIND, check_standing, find_domain};
use crate::{App, AppError, Audit, Fields, Result, audit, authorize_on_account, json, now};
use konbit_core::authz::{Action, Actor, Target, authorize};
use konbit_core::mail::{MailAddress, parse_autoreply};
use konbit_core::model::{AccountId, Mailbox, ObjectStatus, Timestamp};
use konbit_core::names::Password;
use konbit_core::quota::{self, Resource};
use konbit_core::{ErrorCode, FieldError, Rule};
use konbit_store::{AutoreplyRow, MailFilter, NewMailbox, StoreError, Tx};

/// The largest mailbox, in MB (1 TB).
pub const MAX_QUOTA_MB: u64 = 1_000_000;

pub struct MailboxService<'a> {
    pub(crate) app: &'a App,
}

#[derive(Debug, Clone, Default)]
pub struct CreateMailbox {
    pub address: String,
    pub password: String,
    /// MB; default: the configured default, within what the account has left.
    pub quota_mb: Option<u64>,
}

#[derive(Debug, Clone, Default)]
pub struct UpdateMailbox {
    pub quota_mb: Option<u64>,
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct MailboxQuery {
    pub account: Option<AccountId>,
    /// One domain's mailboxes (ASCII or Unicode name).
    pub domain: Option<String>,
    pub deleted: bool,
}

/// An automatic reply as typed in a form.
#[derive(Debug, Clone, Default)]
pub struct AutoreplyInput {
    pub enabled: bool,
    pub subject: String,
    pub body: String,
    /// `YYYY-MM-DD` or empty.
    pub start_date: String,
    pub end_date: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct MailboxView {
    #[serde(flatten)]
    pub mailbox: Mailbox,
    /// The address in Unicode, for people.
    pub display_address: String,
    pub status: ObjectStatus,
    pub autoreply: Option<AutoreplyView>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AutoreplyView {
    pub enabled: bool,
    pub subject: String,
    pub body: String,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
}

impl MailboxService<'_> {
    pub async fn list(&self, actor: &Actor, query: MailboxQuery) -> Result<Vec<MailboxView>> {
        let mut tx = self.app.store.read().await?;
        let mut filter = MailFilter {
            deleted: query.deleted,
            ..MailFilter::default()
        };
        if let Some(name) = &query.domain {
            let domain = find_domain(&mut tx, actor, name, false).await?;
            filter.domain = Some(domain.id);
            filter.accounts = Some(vec![domain.account_id]);
        } else if let Some(a) = query.account {
            authorize_on_account(&mut tx, actor, Action::ViewMail(a), a).await?;
            filter.accounts = Some(vec![a]);
        } else {
            filter.accounts = crate::visible_accounts(&mut tx, actor, Action::ViewMail).await?;
        }
        let boxes = tx.mailboxes(&filter).await?;
        let mut out = Vec::with_capacity(boxes.len());
        for m in boxes {
            out.push(self.view(&mut tx, m, false).await?);
        }
        Ok(out)
    }

    pub async fn get(&self, actor: &Actor, address: &str) -> Result<MailboxView> {
        let mut tx = self.app.store.read().await?;
        let m = find(&mut tx, actor, address, false).await?;
        self.view(&mut tx, m, true).await
    }

    pub async fn create(&self, actor: &Actor, input: CreateMailbox) -> Result<MailboxView> {
        let mut f = Fields::default();
        let address = f.check(MailAddress::parse("address", &input.address));
        let password = f.check(Password::parse("password", &input.password));
        let quota_mb = input.quota_mb.and_then(|q| f.check(check_quota(q)));
        // Checked before hashing: a refused form costs no Argon2 run.
        let domain_name = address.as_ref().map(|a| a.domain().to_string());
        {
            let mut tx = self.app.store.read().await?;
            if let Some(name) = &domain_name {
                find_domain(&mut tx, actor, name, true).await?;
            } else {
                check_standing(actor, true)?;
            }
        }
        f.finish()?;
        let (Some(address), Some(password)) = (address, password) else {
            return Err(AppError::Internal("validated mailbox missing".into()));
        };
        let hash = crate::password::hash(password.expose().to_owned()).await?;
        let now = now();
        let mut tx = self.app.store.write().await?;
        let domain = find_domain(&mut tx, actor, address.domain().as_str(), true).await?;
        if domain.is_deleted() {
            return Err(AppError::NotFound);
        }
        check_mail_on(&domain)?;
        let account = domain.account_id;
        if tx
            .mail_alias_by_source(domain.id, address.local().as_str())
            .await?
        {
            return Err(AppError::invalid(FieldError::new(
                "address",
                Rule::AliasIsMailbox,
            )));
        }
        crate::list::refuse_list_address(&mut tx, domain.id, "address", address.local()).await?;
        let limits = tx.account_limits(account).await?;
        let usage = tx.account_usage(account).await?;
        quota::check(&limits, &usage, Resource::Mailboxes, 1)?;
        let left = limits
            .get(Resource::MailStorageMb)
            .saturating_sub(usage.get(Resource::MailStorageMb));
        let quota_mb = match quota_mb {
            Some(q) => q,
            None => self.app.config.mail.default_quota_mb.min(left).max(1),
        };
        quota::check(&limits, &usage, Resource::MailStorageMb, quota_mb)?;
        let g = tx.bump_mail_domain(domain.id, account, now).await?;
        let id = tx
            .insert_mailbox(
                &NewMailbox {
                    account_id: account,
                    domain_id: domain.id,
                    local_part: address.local().clone(),
                    password_hash: hash,
                    quota_mb,
                },
                g,
                now,
            )
            .await
            .map_err(crate::duplicate_on("address"))?;
        tx.enqueue(KIND, domain.id.0, g, now).await?;
        let m = tx.mailbox(id).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "mailbox_created",
                kind: "mailbox",
                id: m.address.to_string(),
                account: Some(account),
                old: None,
                new: json(&m),
            },
            now,
        )
        .await?;
        let view = self.view(&mut tx, m, false).await?;
        self.app.commit(tx).await?;
        Ok(view)
    }

    pub async fn update(
        &self,
        actor: &Actor,
        address: &str,
        input: UpdateMailbox,
    ) -> Result<MailboxView> {
        let mut f = Fields::default();
        let quota_mb = input.quota_mb.and_then(|q| f.check(check_quota(q)));
        f.finish()?;
        let now = now();
        let mut tx = self.app.store.write().await?;
        let old = find(&mut tx, actor, address, true).await?;
        if old.is_deleted() {
            return Err(AppError::NotFound);
        }
        let quota_mb = quota_mb.unwrap_or(old.quota_mb);
        if quota_mb > old.quota_mb {
            let limits = tx.account_limits(old.account_id).await?;
            let usage = tx.account_usage(old.account_id).await?;
            quota::check(
                &limits,
                &usage,
                Resource::MailStorageMb,
                quota_mb - old.quota_mb,
            )?;
        }
        let enabled = input.enabled.unwrap_or(old.enabled);
        if quota_mb == old.quota_mb && enabled == old.enabled {
            return self.view(&mut tx, old, true).await;
        }
        let g = tx
            .bump_mail_domain(old.domain_id, old.account_id, now)
            .await?;
        tx.update_mailbox(old.id, quota_mb, enabled, g, now).await?;
        tx.enqueue(KIND, old.domain_id.0, g, now).await?;
        let new = tx.mailbox(old.id).await?;
        let action = match (old.enabled, enabled) {
            (true, false) => "mailbox_disabled",
            (false, true) => "mailbox_enabled",
            _ => "mailbox_updated",
        };
        self.audit_change(&mut tx, actor, action, &old, &new, now)
            .await?;
        let view = self.view(&mut tx, new, true).await?;
        self.app.commit(tx).await?;
        Ok(view)
    }

    /// A person of the account sets a new password for the mailbox.
    pub async fn set_password(&self, actor: &Actor, address: &str, password: &str) -> Result<()> {
        let password = Password::parse("password", password).map_err(AppError::invalid)?;
        {
            let mut tx = self.app.store.read().await?;
            find(&mut tx, actor, address, true).await?;
        }
        let hash = crate::password::hash(password.expose().to_owned()).await?;
        let now = now();
        let mut tx = self.app.store.write().await?;
        let m = find(&mut tx, actor, address, true).await?;
        if m.is_deleted() {
            return Err(AppError::NotFound);
        }
        self.store_password(&mut tx, &m, &hash, now).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "mailbox_password_changed",
                kind: "mailbox",
                id: m.address.to_string(),
                account: Some(m.account_id),
                old: None,
                new: None,
            },
            now,
        )
        .await?;
        self.app.commit(tx).await
    }

    /// The mailbox's own user changes its password, proving the current
    /// one: no Konbit sign-in needed. Rate-limited per address and per IP
    /// like sign-in; a wrong address or password gives the same answer.
    pub async fn change_own_password(
        &self,
        address: &str,
        current: &str,
        new: &str,
        client: &crate::auth::ClientInfo,
    ) -> Result<()> {
        let mut f = Fields::default();
        let new = f.check(Password::parse("new_password", new));
        f.finish()?;
        let Some(new) = new else {
            return Err(AppError::Internal("validated password missing".into()));
        };
        let actor = crate::auth::anonymous(address, client.ip.clone());
        let attempt = self
            .app
            .attempt(
                crate::rate_limit::Step::MailboxPassword,
                client.ip.as_deref(),
                address,
                &actor,
                address,
            )
            .await?;
        let found = match MailAddress::parse("address", address) {
            Ok(a) => {
                let mut tx = self.app.store.read().await?;
                match tx.mailbox_by_address(&a).await {
                    Ok(m) if !m.is_deleted() && m.enabled => {
                        let hash = tx.mailbox_password_hash(m.id).await?;
                        Some((m, hash))
                    }
                    Ok(_) | Err(StoreError::NotFound) => None,
                    Err(e) => return Err(e.into()),
                }
            }
            Err(_) => None,
        };
        let (stored, mailbox) = match found {
            Some((m, h)) => (Some(h), Some(m)),
            None => (None, None),
        };
        let ok = crate::password::verify(current.to_owned(), stored).await?;
        let Some(m) = mailbox.filter(|_| ok) else {
            attempt.failed();
            return Err(AppError::InvalidCredentials);
        };
        let hash = crate::password::hash(new.expose().to_owned()).await?;
        let now = now();
        let mut tx = self.app.store.write().await?;
        self.store_password(&mut tx, &m, &hash, now).await?;
        audit(
            &mut tx,
            &actor,
            Audit {
                action: "mailbox_password_changed_by_owner",
                kind: "mailbox",
                id: m.address.to_string(),
                account: Some(m.account_id),
                old: None,
                new: None,
            },
            now,
        )
        .await?;
        self.app.commit(tx).await
    }

    async fn store_password(
        &self,
        tx: &mut Tx,
        m: &Mailbox,
        hash: &str,
        now: Timestamp,
    ) -> Result<()> {
        let g = tx.bump_mail_domain(m.domain_id, m.account_id, now).await?;
        tx.set_mailbox_password(m.id, hash, g, now).await?;
        tx.enqueue(KIND, m.domain_id.0, g, now).await?;
        Ok(())
    }

    /// Soft delete: the address is refused at once; the mail is kept until
    /// the grace period ends, and the mailbox can be restored until then.
    pub async fn delete(&self, actor: &Actor, address: &str) -> Result<MailboxView> {
        self.set_deleted(actor, address, true).await
    }

    pub async fn restore(&self, actor: &Actor, address: &str) -> Result<MailboxView> {
        self.set_deleted(actor, address, false).await
    }

    async fn set_deleted(&self, actor: &Actor, address: &str, delete: bool) -> Result<MailboxView> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        let old = find(&mut tx, actor, address, true).await?;
        if old.is_deleted() == delete {
            return if delete {
                Err(AppError::NotFound)
            } else {
                Err(AppError::conflict("mailbox is not deleted"))
            };
        }
        let purge_after = delete.then(|| now.saturating_add(self.app.config.deletion_grace_secs));
        if !delete {
            let domain = tx.domain(old.domain_id).await?;
            if domain.is_deleted() {
                return Err(AppError::NotFound);
            }
            check_mail_on(&domain)?;
        }
        let g = tx
            .bump_mail_domain(old.domain_id, old.account_id, now)
            .await?;
        tx.set_mailbox_deleted(old.id, purge_after, g, now).await?;
        tx.enqueue(KIND, old.domain_id.0, g, now).await?;
        let new = tx.mailbox(old.id).await?;
        let action = if delete {
            "mailbox_deleted"
        } else {
            "mailbox_restored"
        };
        self.audit_change(&mut tx, actor, action, &old, &new, now)
            .await?;
        let view = self.view(&mut tx, new, true).await?;
        self.app.commit(tx).await?;
        Ok(view)
    }

    /// Sets (or turns off) the mailbox's automatic reply.
    pub async fn set_autoreply(
        &self,
        actor: &Actor,
        address: &str,
        input: AutoreplyInput,
    ) -> Result<MailboxView> {
        let reply = parse_autoreply(
            &input.subject,
            &input.body,
            &input.start_date,
            &input.end_date,
        )
        .map_err(AppError::Invalid)?;
        let now = now();
        let mut tx = self.app.store.write().await?;
        let m = find(&mut tx, actor, address, true).await?;
        if m.is_deleted() {
            return Err(AppError::NotFound);
        }
        let row = AutoreplyRow {
            enabled: input.enabled,
            subject: reply.subject().to_owned(),
            body: reply.body().to_owned(),
            start_date: reply.start().map(|d| d.to_string()),
            end_date: reply.end().map(|d| d.to_string()),
            updated_at: now,
        };
        let g = tx.bump_mail_domain(m.domain_id, m.account_id, now).await?;
        tx.put_autoreply(m.id, &row).await?;
        tx.update_mailbox(m.id, m.quota_mb, m.enabled, g, now)
            .await?;
        tx.enqueue(KIND, m.domain_id.0, g, now).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: if row.enabled {
                    "autoreply_enabled"
                } else {
                    "autoreply_disabled"
                },
                kind: "mailbox",
                id: m.address.to_string(),
                account: Some(m.account_id),
                old: None,
                new: json(&row.subject),
            },
            now,
        )
        .await?;
        let new = tx.mailbox(m.id).await?;
        let view = self.view(&mut tx, new, true).await?;
        self.app.commit(tx).await?;
        Ok(view)
    }

    /// Removes for good the mailboxes whose grace period is over; the
    /// provisioner then deletes their mail.
    pub async fn purge_expired(&self, actor: &Actor) -> Result<usize> {
        authorize(
            actor,
            Action::DeleteAccount(AccountId(0)),
            Target::default(),
        )?;
        let now = now();
        let due = self
            .app
            .store
            .read()
            .await?
            .mailboxes_due_for_purge(now)
            .await?;
        for id in &due {
            let mut tx = self.app.store.write().await?;
            let old = tx.mailbox(*id).await?;
            tx.purge_mailbox(*id).await?;
            let g = tx
                .bump_mail_domain(old.domain_id, old.account_id, now)
                .await?;
            tx.enqueue(KIND, old.domain_id.0, g, now).await?;
            audit(
                &mut tx,
                actor,
                Audit {
                    action: "mailbox_purged",
                    kind: "mailbox",
                    id: old.address.to_string(),
                    account: Some(old.account_id),
                    old: json(&old),
                    new: None,
                },
                now,
            )
            .await?;
            self.app.commit(tx).await?;
        }
        Ok(due.len())
    }

    async fn audit_change(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        action: &'static str,
        old: &Mailbox,
        new: &Mailbox,
        now: Timestamp,
    ) -> Result<()> {
        audit(
            tx,
            actor,
            Audit {
                action,
                kind: "mailbox",
                id: new.address.to_string(),
                account: Some(new.account_id),
                old: json(old),
                new: json(new),
            },
            now,
        )
        .await
    }

    async fn view(&self, tx: &mut Tx, m: Mailbox, with_reply: bool) -> Result<MailboxView> {
        let status = match tx.mail_domain(m.domain_id).await {
            Ok(d) => m.status(&d.provision),
            Err(StoreError::NotFound) => ObjectStatus::Pending,
            Err(e) => return Err(e.into()),
        };
        let autoreply = if with_reply {
            tx.autoreply(m.id).await?.map(|r| AutoreplyView {
                enabled: r.enabled,
                subject: r.subject,
                body: r.body,
                start_date: r.start_date,
                end_date: r.end_date,
            })
        } else {
            None
        };
        Ok(MailboxView {
            display_address: m.address.to_unicode(),
            mailbox: m,
            status,
            autoreply,
        })
    }
}

fn check_quota(q: u64) -> std::result::Result<u64, FieldError> {
    if q == 0 || q > MAX_QUOTA_MB {
        Err(FieldError::new(
            "quota_mb",
            Rule::OutOfRange {
                min: 1,
                max: MAX_QUOTA_MB,
            },
        ))
    } else {
        Ok(q)
    }
}

fn check_mail_on(domain: &konbit_core::model::Domain) -> Result<()> {
    if domain.alias_of.is_some() {
        return Err(AppError::Conflict {
            code: ErrorCode::DomainIsAlias,
            detail: "mail for an alias domain goes to its target's mailboxes".into(),
        });
    }
    if !domain.mail {
        return Err(AppError::conflict("mail is off for this domain"));
    }
    Ok(())
}

/// A mailbox by address (ASCII or Unicode); another account's does not
/// exist for the caller.
async fn find(tx: &mut Tx, actor: &Actor, address: &str, manage: bool) -> Result<Mailbox> {
    let parsed = MailAddress::parse("address", address).map_err(|_| AppError::NotFound)?;
    find_domain(tx, actor, parsed.domain().as_str(), manage).await?;
    match tx.mailbox_by_address(&parsed).await {
        Ok(m) => Ok(m),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}
