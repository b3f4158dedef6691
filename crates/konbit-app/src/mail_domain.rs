//! Mail for a domain: turning it on (a DKIM key, the MX/SPF/DMARC/DKIM and
//! autoconfig records through the DNS zone) and off, DKIM key rotation, and
//! what mail programs need to know. Every change queues the domain's mail
//! for the mail provisioner and its zone for the DNS provisioner, in the
//! same transaction.

use crate::domain::{KIND as ZONE_KIND, new_record};
use crate::{App, AppError, Audit, Result, audit, authorize_on_account, dkim_key, json, now};
use konbit_core::authz::{Action, Actor, Target, authorize};
use konbit_core::dns::parse_record;
use konbit_core::mail::{DkimPublicKey, MailDnsSettings, mail_records, new_selector};
use konbit_core::model::{AccountId, Domain, DomainId, MailDomain, Timestamp};
use konbit_core::names::Fqdn;
use konbit_core::zone_template::serial_floor;
use konbit_core::{Denied, ErrorCode};
use konbit_store::{DkimKeyRow, StoreError, Tx};

/// The kind under which a domain's mail is queued for the reconciler.
pub const KIND: &str = "mail_domain";
/// The mark of the records mail adds to a zone.
const MANAGED: &str = "mail";
/// After a rotation the previous key stays published, so mail signed just
/// before it still verifies; the one before that goes.
const KEYS_KEPT: i64 = 2;

pub struct MailDomainService<'a> {
    pub(crate) app: &'a App,
}

/// A domain's mail as the panel and the API show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MailSettings {
    /// The domain, in Unicode.
    pub domain: String,
    pub enabled: bool,
    /// Mail for an alias domain lands in its target's mailboxes.
    pub alias_of: Option<String>,
    pub status: Option<konbit_core::model::ObjectStatus>,
    pub last_error: Option<String>,
    /// Published keys, the signing one first.
    pub dkim: Vec<DkimView>,
    pub client: ClientSettings,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DkimView {
    pub selector: String,
    /// `<selector>._domainkey.<domain>`
    pub name: String,
    pub txt: String,
    pub signing: bool,
    pub created_at: Timestamp,
}

/// What a mail program is told (the autoconfig answer says the same).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ClientSettings {
    pub imap_host: Option<String>,
    pub imap_port: u16,
    pub smtp_host: Option<String>,
    pub submission_port: u16,
}

impl MailDomainService<'_> {
    pub async fn settings(&self, actor: &Actor, name: &str) -> Result<MailSettings> {
        let mut tx = self.app.store.read().await?;
        let domain = find_domain(&mut tx, actor, name, false).await?;
        self.view(&mut tx, &domain).await
    }

    /// Turns mail on: a DKIM key if the domain has none, the mail records in
    /// its zone, and the domain's mail queued.
    pub async fn enable(&self, actor: &Actor, name: &str) -> Result<MailSettings> {
        let key = dkim_key::generate(
            &self.app.config.mail.openssl,
            self.app.config.mail.dkim_bits,
        )
        .await
        .map_err(AppError::Internal)?;
        let now = now();
        let mut tx = self.app.store.write().await?;
        let domain = find_domain(&mut tx, actor, name, true).await?;
        if domain.is_deleted() {
            return Err(AppError::NotFound);
        }
        if domain.alias_of.is_some() {
            return Err(AppError::Conflict {
                code: ErrorCode::DomainIsAlias,
                detail: "mail for an alias domain goes to its target's mailboxes".into(),
            });
        }
        if domain.mail && tx.mail_domain(domain.id).await.is_ok() {
            return self.view(&mut tx, &domain).await;
        }
        self.turn_on(&mut tx, &domain, key, now).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "mail_enabled",
                kind: "domain",
                id: domain.name.to_string(),
                account: Some(domain.account_id),
                old: None,
                new: None,
            },
            now,
        )
        .await?;
        let now_domain = tx.domain(domain.id).await?;
        let view = self.view(&mut tx, &now_domain).await?;
        self.app.commit(tx).await?;
        Ok(view)
    }

    /// The part of [`Self::enable`] a domain created with mail shares.
    pub(crate) async fn turn_on(
        &self,
        tx: &mut Tx,
        domain: &Domain,
        key: dkim_key::DkimKey,
        now: Timestamp,
    ) -> Result<()> {
        tx.set_domain_mail(domain.id, true).await?;
        let mut keys = tx.dkim_keys(domain.id).await?;
        if keys.is_empty() {
            let taken: Vec<String> = Vec::new();
            let row = DkimKeyRow {
                selector: new_selector(serial_floor(now) / 100, &taken),
                private_key: key.private_pem,
                public_key: key.public_b64,
                created_at: now,
            };
            tx.insert_dkim_key(domain.id, &row).await?;
            keys.push(row);
        }
        let public: Vec<DkimPublicKey> = keys.iter().map(public_of).collect();
        let records = mail_records(&self.dns_settings(tx).await?, &public);
        self.add_records(tx, domain, &records, now).await?;
        let g = tx
            .bump_mail_domain(domain.id, domain.account_id, now)
            .await?;
        tx.enqueue(KIND, domain.id.0, g, now).await?;
        Ok(())
    }

    /// Turns mail off: refused while mailboxes or aliases exist (their mail
    /// would be lost); removes the records mail added.
    pub async fn disable(&self, actor: &Actor, name: &str) -> Result<MailSettings> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        let domain = find_domain(&mut tx, actor, name, true).await?;
        if domain.is_deleted() {
            return Err(AppError::NotFound);
        }
        if !domain.mail {
            return self.view(&mut tx, &domain).await;
        }
        let in_use = tx.count_mail_of_domain(domain.id).await?;
        if in_use > 0 {
            return Err(AppError::Conflict {
                code: ErrorCode::MailInUse,
                detail: format!("{in_use} mailbox(es) or alias(es)"),
            });
        }
        tx.set_domain_mail(domain.id, false).await?;
        tx.delete_managed_records(domain.id, MANAGED, None).await?;
        bump_zone(&mut tx, domain.id, now).await?;
        let g = tx
            .bump_mail_domain(domain.id, domain.account_id, now)
            .await?;
        tx.enqueue(KIND, domain.id.0, g, now).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "mail_disabled",
                kind: "domain",
                id: domain.name.to_string(),
                account: Some(domain.account_id),
                old: None,
                new: None,
            },
            now,
        )
        .await?;
        let now_domain = tx.domain(domain.id).await?;
        let view = self.view(&mut tx, &now_domain).await?;
        self.app.commit(tx).await?;
        Ok(view)
    }

    /// A new signing key; the previous one stays published, older ones go.
    pub async fn rotate_dkim(&self, actor: &Actor, name: &str) -> Result<MailSettings> {
        let key = dkim_key::generate(
            &self.app.config.mail.openssl,
            self.app.config.mail.dkim_bits,
        )
        .await
        .map_err(AppError::Internal)?;
        let now = now();
        let mut tx = self.app.store.write().await?;
        let domain = find_domain(&mut tx, actor, name, true).await?;
        if domain.is_deleted() || !domain.mail {
            return Err(AppError::conflict("mail is off for this domain"));
        }
        let old = tx.dkim_keys(domain.id).await?;
        let taken: Vec<String> = old.iter().map(|k| k.selector.clone()).collect();
        let row = DkimKeyRow {
            selector: new_selector(serial_floor(now) / 100, &taken),
            private_key: key.private_pem,
            public_key: key.public_b64,
            created_at: now,
        };
        tx.insert_dkim_key(domain.id, &row).await?;
        tx.prune_dkim_keys(domain.id, KEYS_KEPT).await?;
        let kept: Vec<String> = tx
            .dkim_keys(domain.id)
            .await?
            .into_iter()
            .map(|k| k.selector)
            .collect();
        for gone in taken.iter().filter(|s| !kept.contains(s)) {
            let name = format!("{gone}._domainkey");
            tx.delete_managed_records(domain.id, MANAGED, Some(&name))
                .await?;
        }
        let public = [public_of(&row)];
        let records: Vec<_> = mail_records(&self.dns_settings(&mut tx).await?, &public)
            .into_iter()
            .filter(|r| r.name.ends_with("._domainkey"))
            .collect();
        self.add_records(&mut tx, &domain, &records, now).await?;
        let g = tx
            .bump_mail_domain(domain.id, domain.account_id, now)
            .await?;
        tx.enqueue(KIND, domain.id.0, g, now).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "dkim_rotated",
                kind: "domain",
                id: domain.name.to_string(),
                account: Some(domain.account_id),
                old: json(&taken),
                new: json(&row.selector),
            },
            now,
        )
        .await?;
        let view = self.view(&mut tx, &domain).await?;
        self.app.commit(tx).await?;
        Ok(view)
    }

    async fn dns_settings(&self, tx: &mut Tx) -> Result<MailDnsSettings> {
        let template = crate::governance::zone_template(tx, self.app).await?;
        let mail = &self.app.config.mail;
        Ok(MailDnsSettings {
            mail_exchanger: template.mail_exchanger,
            spf: template.spf,
            dmarc: template.dmarc,
            autoconfig_host: mail.autoconfig_host.clone(),
            imap_host: mail.imap_host.clone(),
            smtp_host: mail.smtp_host.clone(),
            ttl: template.ttl,
        })
    }

    /// Adds the mail records the zone does not have yet. A record the
    /// account already has at the same place (its own MX, SPF or
    /// autoconfig) is left as it is, rather than doubled or refused.
    async fn add_records(
        &self,
        tx: &mut Tx,
        domain: &Domain,
        records: &[konbit_core::dns::RecordInput],
        now: Timestamp,
    ) -> Result<()> {
        let existing = tx.records(domain.id).await?;
        let mut added = Vec::new();
        for input in records {
            let record = parse_record(&domain.name, input).map_err(AppError::Invalid)?;
            let row = new_record(&record);
            let clashes = existing.iter().any(|e| {
                e.name == row.name
                    && (e.rtype == row.rtype || e.rtype == "CNAME" || row.rtype == "CNAME")
                    && (row.rtype != "TXT" || same_txt_kind(&e.value, &row.value))
            });
            if !clashes {
                added.push(row);
            }
        }
        if added.is_empty() {
            return Ok(());
        }
        let g = bump_zone(tx, domain.id, now).await?;
        for row in &added {
            tx.insert_managed_record(domain.id, row, Some(MANAGED), g, now)
                .await?;
        }
        Ok(())
    }

    async fn view(&self, tx: &mut Tx, domain: &Domain) -> Result<MailSettings> {
        let (status, last_error) = match tx.mail_domain(domain.id).await {
            Ok(MailDomain { provision, .. }) => (Some(provision.status), provision.last_error),
            Err(StoreError::NotFound) => (None, None),
            Err(e) => return Err(e.into()),
        };
        let keys = if domain.mail {
            tx.dkim_keys(domain.id).await?
        } else {
            Vec::new()
        };
        let dkim = keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let public = public_of(k);
                DkimView {
                    name: format!("{}.{}", public.record_name(), domain.name.to_unicode()),
                    txt: public.txt(),
                    selector: k.selector.clone(),
                    signing: i == 0,
                    created_at: k.created_at,
                }
            })
            .collect();
        let mail = &self.app.config.mail;
        Ok(MailSettings {
            domain: domain.display_name(),
            enabled: domain.mail,
            alias_of: domain.alias_of_name.as_ref().map(Fqdn::to_unicode),
            status,
            last_error,
            dkim,
            client: ClientSettings {
                imap_host: mail.imap_host.as_ref().map(Fqdn::to_unicode),
                imap_port: mail.imap_port,
                smtp_host: mail.smtp_host.as_ref().map(Fqdn::to_unicode),
                submission_port: mail.submission_port,
            },
        })
    }
}

fn public_of(k: &DkimKeyRow) -> DkimPublicKey {
    DkimPublicKey {
        selector: k.selector.clone(),
        public_key: k.public_key.clone(),
    }
}

/// Two TXT records at one name clash when they are the same policy (two SPF
/// or two DMARC records make receivers ignore both).
fn same_txt_kind(a: &str, b: &str) -> bool {
    let kind = |v: &str| {
        let v = v.trim_start_matches('"').to_ascii_lowercase();
        ["v=spf1", "v=dmarc1", "v=dkim1"]
            .into_iter()
            .find(|p| v.starts_with(p))
    };
    match (kind(a), kind(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

async fn bump_zone(tx: &mut Tx, id: DomainId, now: Timestamp) -> Result<i64> {
    let g = tx.bump_domain(id, serial_floor(now), now).await?;
    tx.enqueue(ZONE_KIND, id.0, g, now).await?;
    Ok(g)
}

/// A domain by name (ASCII or Unicode) for a mail action; another
/// account's domain does not exist for the caller.
pub(crate) async fn find_domain(
    tx: &mut Tx,
    actor: &Actor,
    name: &str,
    manage: bool,
) -> Result<Domain> {
    check_standing(actor, manage)?;
    let ascii = Fqdn::parse("domain", name, 1).map_err(|_| AppError::NotFound)?;
    let domain = match tx.domain_by_name(ascii.as_str()).await {
        Ok(d) => d,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let action = if manage {
        Action::ManageMail(domain.account_id)
    } else {
        Action::ViewMail(domain.account_id)
    };
    authorize_on_account(tx, actor, action, domain.account_id).await?;
    Ok(domain)
}

/// Whether the caller may use mail at all (signed in, with the scope),
/// checked before anything is looked up, so an unscoped caller learns
/// nothing about which addresses exist.
pub(crate) fn check_standing(actor: &Actor, manage: bool) -> Result<()> {
    let probe = if manage {
        Action::ManageMail(AccountId(0))
    } else {
        Action::ViewMail(AccountId(0))
    };
    authorize(actor, probe, Target::default()).or_else(|d| match d {
        Denied::NotFound | Denied::AccountLocked => Ok(()),
        other => Err(other),
    })?;
    Ok(())
}

/// Queues the mail of every domain of an account again (the account was
/// deleted, restored or purged: `purged` queues removals).
pub(crate) async fn requeue_account_mail(
    tx: &mut Tx,
    account: AccountId,
    purged: bool,
    now: Timestamp,
) -> Result<()> {
    for id in tx.mail_domain_ids_of_account(account).await? {
        let g = if purged {
            0
        } else {
            tx.bump_mail_domain(id, account, now).await?
        };
        tx.enqueue(KIND, id.0, g, now).await?;
    }
    Ok(())
}

/// Queues a domain's mail again if it has any (the domain was deleted,
/// restored, or an alias of it came or went).
pub(crate) async fn requeue_domain_mail(
    tx: &mut Tx,
    domain: &Domain,
    purged: bool,
    now: Timestamp,
) -> Result<()> {
    let target = domain.alias_of.unwrap_or(domain.id);
    match tx.mail_domain(target).await {
        Ok(m) => {
            let g = if purged && target == domain.id {
                0
            } else {
                tx.bump_mail_domain(target, m.account_id, now).await?
            };
            tx.enqueue(KIND, target.0, g, now).await?;
            Ok(())
        }
        Err(StoreError::NotFound) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
