//! Domains and their DNS records: creation within the quota, sub-zones and
//! aliases, DNSSEC, soft delete and restore, record changes, zone import
//! and export. Every change bumps the zone's generation and SOA serial and
//! queues the zone (and the zones that depend on it) for the DNS
//! provisioner, in the same transaction.

mod import;
mod records;

pub use import::{ImportPreview, ImportSummary};

use crate::{
    App, AppError, Audit, Fields, Result, audit, authorize_on_account, dnssec_key, json, now,
};
use konbit_core::authz::{Action, Actor, Target, authorize};
use konbit_core::dns::dnssec::{self, DsRecord};
use konbit_core::dns::{Record, RecordInput, parse_record};
use konbit_core::model::{AccountId, DnsRecordRow, Domain, DomainId, Timestamp};
use konbit_core::names::Fqdn;
use konbit_core::page::{Page, PageRequest};
use konbit_core::quota::{self, Resource};
use konbit_core::zone_template::serial_floor;
use konbit_core::{Denied, ErrorCode, FieldError, Rule};
use konbit_store::{DnssecKeyRow, DomainFilter, NewDomain, NewRecord, StoreError, Tx};

/// The kind under which zones are queued for the reconciler.
pub const KIND: &str = "dns_zone";

pub struct DomainService<'a> {
    pub(crate) app: &'a App,
}

#[derive(Debug, Clone, Default)]
pub struct CreateDomain {
    pub account_id: i64,
    pub name: String,
    /// The name of a domain of the same account whose records this one
    /// serves.
    pub alias_of: Option<String>,
    /// Default: on.
    pub dnssec: Option<bool>,
    /// Whether the template's MX/SPF/DMARC are added. Default: off.
    pub mail: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct UpdateDomain {
    pub dnssec: Option<bool>,
}

/// What a list shows.
#[derive(Debug, Clone, Default)]
pub struct DomainQuery {
    /// One account's domains; `None`: every account the actor may see.
    pub account: Option<AccountId>,
    pub deleted: bool,
    pub search: Option<String>,
}

/// A domain with its records and what the registrar needs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DomainDetail {
    pub domain: Domain,
    pub records: Vec<RecordView>,
    /// The DS records to give the registrar (empty without DNSSEC).
    pub ds: Vec<DsRecord>,
    /// The co-op's name servers, for the registrar too.
    pub nameservers: Vec<String>,
}

/// One record with its live status.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RecordView {
    #[serde(flatten)]
    pub row: DnsRecordRow,
    pub status: konbit_core::model::ObjectStatus,
}

impl DomainService<'_> {
    pub async fn list(
        &self,
        actor: &Actor,
        query: DomainQuery,
        page: PageRequest,
    ) -> Result<Page<Domain>> {
        let mut tx = self.app.store.read().await?;
        let accounts = match query.account {
            Some(a) => {
                authorize_on_account(&mut tx, actor, Action::ViewDomains(a), a).await?;
                Some(vec![a])
            }
            None => crate::visible_accounts(&mut tx, actor, Action::ViewDomains).await?,
        };
        let filter = DomainFilter {
            accounts,
            deleted: query.deleted,
            search: query.search.filter(|s| !s.trim().is_empty()),
        };
        Ok(tx.domains(&filter, page).await?)
    }

    /// A domain by name (ASCII or Unicode), as `action` needs it.
    async fn find(&self, tx: &mut Tx, actor: &Actor, name: &str, view: bool) -> Result<Domain> {
        // Check the caller's standing before looking anything up, so an
        // unscoped caller learns nothing about which domains exist.
        let probe = if view {
            Action::ViewDomains(AccountId(0))
        } else {
            Action::ManageDomains(AccountId(0))
        };
        authorize(actor, probe, Target::default()).or_else(|d| match d {
            Denied::NotFound | Denied::AccountLocked => Ok(()),
            other => Err(other),
        })?;
        let ascii = Fqdn::parse("name", name, 1).map_err(|_| AppError::NotFound)?;
        let domain = match tx.domain_by_name(ascii.as_str()).await {
            Ok(d) => d,
            Err(StoreError::NotFound) => return Err(AppError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let action = if view {
            Action::ViewDomains(domain.account_id)
        } else {
            Action::ManageDomains(domain.account_id)
        };
        authorize_on_account(tx, actor, action, domain.account_id).await?;
        Ok(domain)
    }

    pub async fn get(&self, actor: &Actor, name: &str) -> Result<DomainDetail> {
        let mut tx = self.app.store.read().await?;
        let domain = self.find(&mut tx, actor, name, true).await?;
        let rows = tx.records(domain.alias_of.unwrap_or(domain.id)).await?;
        let records = rows
            .into_iter()
            .map(|row| {
                // An alias's records are live when the alias zone is.
                let status = if domain.alias_of.is_some() {
                    domain.provision.status
                } else {
                    row.status(&domain.provision)
                };
                RecordView { row, status }
            })
            .collect();
        let ds = if domain.dnssec {
            ds_of(&mut tx, &domain).await?
        } else {
            Vec::new()
        };
        Ok(DomainDetail {
            records,
            ds,
            nameservers: self
                .app
                .config
                .zone_template
                .nameservers
                .iter()
                .map(|n| n.to_unicode())
                .collect(),
            domain,
        })
    }

    pub async fn create(&self, actor: &Actor, input: CreateDomain) -> Result<Domain> {
        let account = AccountId(input.account_id);
        let mut f = Fields::default();
        let name = f.check(Fqdn::parse("name", &input.name, 2));
        let alias_name = match input.alias_of.as_deref().map(str::trim) {
            Some(a) if !a.is_empty() => f.check(Fqdn::parse("alias_of", a, 2)),
            _ => None,
        };
        let wants_mail = input.mail.unwrap_or(false) && alias_name.is_none();
        // Made before the write transaction: it takes a moment.
        let dkim = if wants_mail {
            Some(
                crate::dkim_key::generate(
                    &self.app.config.mail.openssl,
                    self.app.config.mail.dkim_bits,
                )
                .await
                .map_err(AppError::Internal)?,
            )
        } else {
            None
        };
        let now = now();
        let mut tx = self.app.store.write().await?;
        authorize_on_account(&mut tx, actor, Action::ManageDomains(account), account).await?;
        f.finish()?;
        let Some(name) = name else {
            return Err(AppError::Internal("validated name missing".into()));
        };
        check_name_is_free(&mut tx, account, &name).await?;
        let alias_of = match alias_name {
            Some(target) => Some(alias_target(&mut tx, account, &target).await?),
            None => None,
        };
        let limits = tx.account_limits(account).await?;
        let usage = tx.account_usage(account).await?;
        quota::check(&limits, &usage, Resource::Domains, 1)?;
        let dnssec = input.dnssec.unwrap_or(true);
        let id = tx
            .insert_domain(
                &NewDomain {
                    account_id: account,
                    name: name.clone(),
                    alias_of: alias_of.as_ref().map(|d| d.id),
                    dnssec,
                    mail: false,
                },
                serial_floor(now),
                now,
            )
            .await
            .map_err(crate::duplicate_on("name"))?;
        if alias_of.is_none() {
            let template = crate::governance::zone_template(&mut tx, self.app).await?;
            for input in template.initial_records() {
                let record = parse_record(&name, &input).map_err(AppError::Invalid)?;
                tx.insert_record(id, &new_record(&record), 1, now).await?;
            }
        }
        if dnssec {
            ensure_key(&mut tx, id, now).await?;
        }
        let mut domain = tx.domain(id).await?;
        if let Some(key) = dkim {
            self.app
                .mail_domains()
                .turn_on(&mut tx, &domain, key, now)
                .await?;
            domain = tx.domain(id).await?;
        }
        if alias_of.is_some() {
            crate::mail_domain::requeue_domain_mail(&mut tx, &domain, false, now).await?;
        }
        audit(
            &mut tx,
            actor,
            Audit {
                action: "domain_created",
                kind: "domain",
                id: domain.name.to_string(),
                account: Some(account),
                old: None,
                new: json(&domain),
            },
            now,
        )
        .await?;
        tx.enqueue(KIND, id.0, domain.provision.generation, now)
            .await?;
        touch_parent(&mut tx, &domain, now).await?;
        self.app.commit(tx).await?;
        Ok(domain)
    }

    pub async fn update(&self, actor: &Actor, name: &str, input: UpdateDomain) -> Result<Domain> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        let old = self.find(&mut tx, actor, name, false).await?;
        if old.is_deleted() {
            return Err(AppError::NotFound);
        }
        let dnssec = input.dnssec.unwrap_or(old.dnssec);
        if dnssec == old.dnssec {
            return Ok(old);
        }
        tx.set_domain_options(old.id, dnssec, old.mail).await?;
        if dnssec {
            ensure_key(&mut tx, old.id, now).await?;
        }
        let g = tx.bump_domain(old.id, serial_floor(now), now).await?;
        tx.enqueue(KIND, old.id.0, g, now).await?;
        let new = tx.domain(old.id).await?;
        // The parent publishes (or drops) the sub-zone's DS.
        touch_parent(&mut tx, &new, now).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: if dnssec {
                    "domain_dnssec_enabled"
                } else {
                    "domain_dnssec_disabled"
                },
                kind: "domain",
                id: new.name.to_string(),
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

    /// Soft delete: PowerDNS stops serving the zone; the domain can be
    /// restored until the grace period ends, and nobody else may take the
    /// name meanwhile.
    pub async fn delete(&self, actor: &Actor, name: &str) -> Result<Domain> {
        let now = now();
        let grace = self.app.config.deletion_grace_secs;
        let mut tx = self.app.store.write().await?;
        let old = self.find(&mut tx, actor, name, false).await?;
        if old.is_deleted() {
            return Err(AppError::NotFound);
        }
        let aliases: Vec<String> = tx
            .domain_aliases(old.id)
            .await?
            .into_iter()
            .filter(|a| !a.is_deleted())
            .map(|a| a.display_name())
            .collect();
        if !aliases.is_empty() {
            return Err(AppError::Conflict {
                code: ErrorCode::DomainInUse,
                detail: aliases.join(", "),
            });
        }
        tx.set_domain_deleted(old.id, Some(now.saturating_add(grace)), now)
            .await?;
        let new = self
            .changed(&mut tx, actor, &old, "domain_deleted", now)
            .await?;
        self.app.commit(tx).await?;
        Ok(new)
    }

    pub async fn restore(&self, actor: &Actor, name: &str) -> Result<Domain> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        let old = self.find(&mut tx, actor, name, false).await?;
        if !old.is_deleted() {
            return Err(AppError::conflict("domain is not deleted"));
        }
        if let Some(target) = old.alias_of
            && tx.domain(target).await?.is_deleted()
        {
            return Err(AppError::Conflict {
                code: ErrorCode::DomainInUse,
                detail: "the aliased domain is deleted".into(),
            });
        }
        let limits = tx.account_limits(old.account_id).await?;
        let usage = tx.account_usage(old.account_id).await?;
        quota::check(&limits, &usage, Resource::Domains, 1)?;
        tx.set_domain_deleted(old.id, None, now).await?;
        let new = self
            .changed(&mut tx, actor, &old, "domain_restored", now)
            .await?;
        self.app.commit(tx).await?;
        Ok(new)
    }

    /// The tail of delete and restore: a new generation, the queue rows
    /// for the zone and its parent, the audit entry (the caller commits).
    async fn changed(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        old: &Domain,
        action: &'static str,
        now: Timestamp,
    ) -> Result<Domain> {
        let g = tx.bump_domain(old.id, serial_floor(now), now).await?;
        tx.enqueue(KIND, old.id.0, g, now).await?;
        let new = tx.domain(old.id).await?;
        touch_parent(tx, &new, now).await?;
        crate::mail_domain::requeue_domain_mail(tx, &new, false, now).await?;
        crate::site::requeue_domain_sites(tx, new.id, false, now).await?;
        audit(
            tx,
            actor,
            Audit {
                action,
                kind: "domain",
                id: new.name.to_string(),
                account: Some(new.account_id),
                old: json(old),
                new: json(&new),
            },
            now,
        )
        .await?;
        Ok(new)
    }

    /// Removes for good the domains whose grace period is over, each in its
    /// own transaction; the provisioner then drops the zone from PowerDNS.
    pub async fn purge_expired(&self, actor: &Actor) -> Result<Vec<DomainId>> {
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
            .domains_due_for_purge(now)
            .await?;
        let mut purged = Vec::new();
        for id in due {
            let mut tx = self.app.store.write().await?;
            let old = tx.domain(id).await?;
            if !tx.domain_aliases(id).await?.is_empty() {
                // Its aliases go first; they are purged in this same pass
                // or a later one.
                continue;
            }
            crate::mail_domain::requeue_domain_mail(&mut tx, &old, true, now).await?;
            crate::site::requeue_domain_sites(&mut tx, id, true, now).await?;
            tx.purge_domain(id).await?;
            // Generation 0 with no row left: the worker removes the zone.
            tx.enqueue(KIND, id.0, 0, now).await?;
            audit(
                &mut tx,
                actor,
                Audit {
                    action: "domain_purged",
                    kind: "domain",
                    id: old.name.to_string(),
                    account: Some(old.account_id),
                    old: json(&old),
                    new: None,
                },
                now,
            )
            .await?;
            self.app.commit(tx).await?;
            purged.push(id);
        }
        Ok(purged)
    }

    /// The zone as a BIND zone file.
    pub async fn export(&self, actor: &Actor, name: &str) -> Result<String> {
        let mut tx = self.app.store.read().await?;
        let domain = self.find(&mut tx, actor, name, true).await?;
        let rows = tx.records(domain.alias_of.unwrap_or(domain.id)).await?;
        let records = parse_rows(&domain.name, &rows)?;
        let template = &self.app.config.zone_template;
        Ok(konbit_core::dns::zonefile::export_zone_file(
            &domain.name,
            &template.soa_rdata(domain.serial),
            template.soa_ttl,
            &records,
        ))
    }
}

/// Refuses a name that is taken, or that sits above or below a domain of
/// another account (taking `example.org` would let its holder delegate
/// `blog.example.org` away, and the reverse would hijack a sub-zone).
async fn check_name_is_free(tx: &mut Tx, account: AccountId, name: &Fqdn) -> Result<()> {
    match tx.domain_by_name(name.as_str()).await {
        Ok(d) if d.account_id == account => return Err(AppError::Duplicate { field: "name" }),
        Ok(_) => return Err(taken()),
        Err(StoreError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    let ancestors = tx.domain_ancestors(name).await?;
    let descendants = tx.domain_descendants(name, 1000).await?;
    if ancestors
        .iter()
        .chain(descendants.iter())
        .any(|d| d.account_id != account)
    {
        return Err(taken());
    }
    Ok(())
}

fn taken() -> AppError {
    AppError::Conflict {
        code: ErrorCode::DomainTaken,
        detail: "hosted by another account".into(),
    }
}

async fn alias_target(tx: &mut Tx, account: AccountId, target: &Fqdn) -> Result<Domain> {
    let unknown = || AppError::invalid(FieldError::new("alias_of", Rule::UnknownChoice));
    let d = match tx.domain_by_name(target.as_str()).await {
        Ok(d) => d,
        Err(StoreError::NotFound) => return Err(unknown()),
        Err(e) => return Err(e.into()),
    };
    if d.account_id != account || d.is_deleted() || d.alias_of.is_some() {
        return Err(unknown());
    }
    Ok(d)
}

/// Gives the zone its signing key if it has none yet. The key is kept when
/// DNSSEC is turned off, so turning it on again needs no new DS.
async fn ensure_key(tx: &mut Tx, id: DomainId, now: Timestamp) -> Result<()> {
    use base64::Engine;
    if tx.dnssec_key(id).await?.is_none() {
        let key = dnssec_key::generate_key().map_err(|e| AppError::Internal(e.to_string()))?;
        let b64 = base64::engine::general_purpose::STANDARD;
        let row = DnssecKeyRow {
            algorithm: i64::from(dnssec::ALGORITHM_ECDSAP256SHA256),
            flags: i64::from(dnssec::FLAGS_CSK),
            private_key: b64.encode(key.private_scalar),
            public_key: b64.encode(&key.public_key),
        };
        tx.insert_dnssec_key(id, &row, now).await?;
    }
    Ok(())
}

/// The DS records of the zone's key, for the registrar.
async fn ds_of(tx: &mut Tx, domain: &Domain) -> Result<Vec<DsRecord>> {
    use base64::Engine;
    let Some(key) = tx.dnssec_key(domain.id).await? else {
        return Ok(Vec::new());
    };
    let internal = |e: String| AppError::Internal(format!("DNSSEC key of {}: {e}", domain.name));
    let public = base64::engine::general_purpose::STANDARD
        .decode(&key.public_key)
        .map_err(|e| internal(e.to_string()))?;
    let flags = u16::try_from(key.flags).map_err(|e| internal(e.to_string()))?;
    dnssec::ds_records(domain.name.as_str(), flags, &public).map_err(|e| internal(e.to_string()))
}

/// The nearest live ancestor zone of the same account publishes the
/// delegation (NS, and DS when signed) of `domain`: queue it again.
async fn touch_parent(tx: &mut Tx, domain: &Domain, now: Timestamp) -> Result<()> {
    let parent = tx
        .domain_ancestors(&domain.name)
        .await?
        .into_iter()
        .find(|d| !d.is_deleted() && d.account_id == domain.account_id);
    if let Some(p) = parent {
        let g = tx.bump_domain(p.id, serial_floor(now), now).await?;
        tx.enqueue(KIND, p.id.0, g, now).await?;
    }
    Ok(())
}

pub(crate) fn new_record(r: &Record) -> NewRecord {
    NewRecord {
        name: r.name.as_str().to_owned(),
        rtype: r.rtype().as_str().to_owned(),
        ttl: i64::from(r.ttl),
        value: r.data.value(),
    }
}

/// The stored records, validated again (they were canonical when written).
pub(crate) fn parse_rows(zone: &Fqdn, rows: &[DnsRecordRow]) -> Result<Vec<Record>> {
    rows.iter()
        .map(|row| {
            parse_record(
                zone,
                &RecordInput {
                    name: row.name.clone(),
                    rtype: row.rtype.clone(),
                    ttl: Some(row.ttl),
                    value: row.value.clone(),
                },
            )
            .map_err(|_| AppError::Internal(format!("stored record {} is not valid", row.id)))
        })
        .collect()
}

/// The account was deleted, restored or purged: each of its zones must be
/// served again, or no longer. `purged`: the rows are about to go, so the
/// zones are queued at generation 0 (removal).
pub(crate) async fn requeue_account_zones(
    tx: &mut Tx,
    account: AccountId,
    purged: bool,
    now: Timestamp,
) -> Result<()> {
    for id in tx.domain_ids_of_account(account).await? {
        let g = if purged {
            0
        } else {
            tx.bump_domain(id, serial_floor(now), now).await?
        };
        tx.enqueue(KIND, id.0, g, now).await?;
    }
    Ok(())
}
