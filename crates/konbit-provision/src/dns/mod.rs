//! The DNS provisioner: makes PowerDNS serve each domain's zone as the
//! store describes it, by writing PowerDNS's own database.

pub mod pdns_db;

use crate::{Applied, ProvisionError, Provisioner};
use konbit_core::dns::dnssec::{
    ALGORITHM_ECDSAP256SHA256, FLAGS_CSK, bind_private_key, ds_records, rectify, rectify_unsigned,
};
use konbit_core::dns::rules::align_rrset_ttls;
use konbit_core::dns::{RecordInput, parse_record};
use konbit_core::model::DomainId;
use konbit_core::zone_template::ZoneTemplate;
use konbit_store::{Store, StoreError, ZoneSource};
use pdns_db::{PdnsDatabase, PdnsKey, PdnsRow, PdnsZone};
use std::collections::BTreeSet;

/// The queue kind of zones (one per domain).
pub const KIND: &str = "dns_zone";

/// Where PowerDNS's database is and how to open it.
#[derive(Debug, Clone)]
pub struct PdnsTarget {
    pub database: std::path::PathBuf,
    pub schema: std::path::PathBuf,
    /// The group PowerDNS runs as: the database directory and files are
    /// given to it (mode 2770/0660), so only PowerDNS and Konbit read them.
    pub group: Option<String>,
    /// How long a write waits for PowerDNS's readers before it is retried.
    pub busy_timeout: std::time::Duration,
}

pub struct DnsProvisioner {
    store: Store,
    target: PdnsTarget,
    /// Opened on first use, so `konbit serve` starts (and retries) even
    /// while PowerDNS's database cannot be opened yet.
    pdns: tokio::sync::OnceCell<PdnsDatabase>,
    template: ZoneTemplate,
}

impl DnsProvisioner {
    pub fn new(store: Store, target: PdnsTarget, template: ZoneTemplate) -> Self {
        Self {
            store,
            target,
            pdns: tokio::sync::OnceCell::new(),
            template,
        }
    }

    async fn pdns(&self) -> Result<&PdnsDatabase, ProvisionError> {
        self.pdns
            .get_or_try_init(|| PdnsDatabase::open(&self.target))
            .await
    }

    /// The zone as it must be served, or `None` when it must not be.
    async fn desired(&self, id: i64) -> Result<Option<PdnsZone>, ProvisionError> {
        let mut many = self.desired_many(&[id]).await;
        many.pop()
            .unwrap_or_else(|| Err(ProvisionError::Transient("no zone read".into())))
    }

    /// The zones as they must be served, read in one snapshot.
    async fn desired_many(&self, ids: &[i64]) -> Vec<Result<Option<PdnsZone>, ProvisionError>> {
        let mut tx = match self.store.read().await {
            Ok(tx) => tx,
            Err(e) => {
                let e = store_error(e);
                return ids.iter().map(|_| Err(e.clone())).collect();
            }
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let zone = match tx.zone_source(DomainId(*id)).await {
                Ok(source) if source.domain.is_deleted() || source.account_deleted => Ok(None),
                Ok(source) => build_zone(&source, &self.template).map(Some),
                Err(StoreError::NotFound) => Ok(None),
                Err(e) => Err(store_error(e)),
            };
            out.push(zone);
        }
        let _ = tx.commit().await;
        out
    }
}

fn store_error(e: StoreError) -> ProvisionError {
    ProvisionError::Transient(format!("state store: {e}"))
}

/// Builds every row of the zone: the SOA, the records (the target's for an
/// alias), the delegations of hosted sub-zones, and the rectify columns.
pub fn build_zone(
    source: &ZoneSource,
    template: &ZoneTemplate,
) -> Result<PdnsZone, ProvisionError> {
    let domain = &source.domain;
    let zone = &domain.name;
    let invalid = |reason: String| ProvisionError::Invalid { reason };
    let mut rows: Vec<PdnsRow> = Vec::with_capacity(source.records.len() + 2);
    let mut push = |name: String, rtype: &str, content: String, ttl: i64, prio: i64| {
        rows.push(PdnsRow {
            name,
            rtype: Some(rtype.to_owned()),
            content: Some(content),
            ttl: Some(ttl),
            prio,
            ordername: None,
            auth: true,
        });
    };
    push(
        zone.to_string(),
        "SOA",
        template.soa_content(domain.serial),
        i64::from(template.soa_ttl),
        0,
    );
    let mut records = Vec::with_capacity(source.records.len());
    for row in &source.records {
        let record = parse_record(
            zone,
            &RecordInput {
                name: row.name.clone(),
                rtype: row.rtype.clone(),
                ttl: Some(row.ttl),
                value: row.value.clone(),
            },
        )
        .map_err(|errors| {
            invalid(format!(
                "record {} {} {}: {}",
                if row.name.is_empty() { "@" } else { &row.name },
                row.rtype,
                row.value,
                errors
                    .iter()
                    .map(|e| format!("{} {:?}", e.field, e.rule))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        records.push(record);
    }
    // Rows written before Konbit aligned RRset TTLs, or by hand: one TTL
    // per RRset, or PowerDNS serves an inconsistent set.
    align_rrset_ttls(&mut records, None);
    for record in &records {
        let (content, prio) = record.data.pdns_content();
        push(
            record.name.absolute(zone),
            record.rtype().as_str(),
            content,
            i64::from(record.ttl),
            prio,
        );
    }
    for child in &source.children {
        for ns in &template.nameservers {
            push(
                child.name.to_string(),
                "NS",
                ns.to_string(),
                i64::from(template.ttl),
                0,
            );
        }
        if let Some(public) = &child.public_key {
            let key = decode_key(public)?;
            let records = ds_records(child.name.as_str(), FLAGS_CSK, &key)
                .map_err(|e| invalid(format!("DS of {}: {e}", child.name)))?;
            for ds in records {
                push(
                    child.name.to_string(),
                    "DS",
                    ds.presentation(),
                    i64::from(template.ttl),
                    0,
                );
            }
        }
    }
    // Two identical rows would be one RR to PowerDNS; keep one.
    let mut seen = BTreeSet::new();
    rows.retain(|r| seen.insert(r.clone()));
    let signed = domain.dnssec && source.key.is_some();
    let names: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.name.as_str(), r.rtype.as_deref().unwrap_or("")))
        .collect();
    let rectified = if signed {
        rectify(zone.as_str(), &names)
    } else {
        rectify_unsigned(zone.as_str(), &names)
    }
    .map_err(|e| invalid(format!("zone {zone}: {e}")))?;
    for (row, fix) in rows.iter_mut().zip(&rectified.records) {
        row.auth = fix.auth;
        row.ordername = fix.ordername.clone();
    }
    for ent in &rectified.empty_non_terminals {
        rows.push(PdnsRow {
            name: ent.name.clone(),
            rtype: None,
            content: None,
            ttl: None,
            prio: 0,
            ordername: ent.ordername.clone(),
            auth: ent.auth,
        });
    }
    rows.sort();
    let key = match (&source.key, signed) {
        (Some(k), true) => {
            if k.algorithm != i64::from(ALGORITHM_ECDSAP256SHA256) {
                return Err(invalid(format!(
                    "unsupported DNSSEC algorithm {}",
                    k.algorithm
                )));
            }
            let private: [u8; 32] = decode_key(&k.private_key)?
                .try_into()
                .map_err(|_| invalid("stored DNSSEC key has the wrong length".into()))?;
            Some(PdnsKey {
                flags: k.flags,
                content: bind_private_key(&private),
            })
        }
        _ => None,
    };
    Ok(PdnsZone {
        name: zone.to_string(),
        konbit_id: domain.id.0,
        rows,
        key,
    })
}

fn decode_key(b64: &str) -> Result<Vec<u8>, ProvisionError> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| ProvisionError::Invalid {
            reason: format!("stored DNSSEC key is not valid base64: {e}"),
        })
}

/// The dry-run lines between what the file holds and what it should.
fn diff(current: Option<&PdnsZone>, desired: Option<&PdnsZone>) -> Vec<String> {
    let empty = Vec::new();
    let have: BTreeSet<&PdnsRow> = current.map_or(&empty, |z| &z.rows).iter().collect();
    let want: BTreeSet<&PdnsRow> = desired.map_or(&empty, |z| &z.rows).iter().collect();
    let mut out = Vec::new();
    match (current, desired) {
        (None, Some(z)) => out.push(format!("zone {} would be created", z.name)),
        (Some(z), None) => out.push(format!("zone {} would be removed", z.name)),
        _ => {}
    }
    out.extend(
        have.difference(&want)
            .map(|r| format!("- {}", r.describe())),
    );
    out.extend(
        want.difference(&have)
            .map(|r| format!("+ {}", r.describe())),
    );
    let key_of = |z: Option<&PdnsZone>| z.and_then(|z| z.key.clone());
    if key_of(current) != key_of(desired) && desired.is_some() {
        out.push(if key_of(desired).is_some() {
            "signing key would be installed".into()
        } else {
            "signing key would be removed".into()
        });
    }
    out
}

impl Provisioner for DnsProvisioner {
    fn kind(&self) -> &'static str {
        KIND
    }

    async fn apply(&self, object_id: i64, _generation: i64) -> Result<Applied, ProvisionError> {
        let changes = match self.desired(object_id).await? {
            Some(zone) => self.pdns().await?.write_zone(&zone).await?,
            None => self.pdns().await?.remove_zone(object_id).await?,
        };
        Ok(Applied { changes })
    }

    /// A batch (a resync) is written in one PowerDNS transaction; if that
    /// fails, each zone is tried alone so one bad zone blocks no other.
    async fn apply_many(&self, items: &[(i64, i64)]) -> Vec<Result<Applied, ProvisionError>> {
        let pdns = match self.pdns().await {
            Ok(p) => p,
            // The service is down: stop here, the rows are given back.
            Err(e) => return vec![Err(e)],
        };
        let ids: Vec<i64> = items.iter().map(|(id, _)| *id).collect();
        let desired = self.desired_many(&ids).await;
        let writes: Vec<&PdnsZone> = desired
            .iter()
            .filter_map(|d| d.as_ref().ok().and_then(Option::as_ref))
            .collect();
        let mut written = match pdns.write_zones(&writes).await {
            Ok(changes) => Some(changes.into_iter()),
            Err(e) => {
                tracing::debug!(error = %e, "batch write failed; writing zone by zone");
                None
            }
        };
        let mut out = Vec::with_capacity(items.len());
        for (id, zone) in ids.iter().zip(&desired) {
            let result = match (zone, written.as_mut()) {
                (Err(e), _) => Err(e.clone()),
                (Ok(Some(_)), Some(batch)) => batch
                    .next()
                    .map(|changes| Applied { changes })
                    .ok_or_else(|| {
                        ProvisionError::Transient("batch write returned too few results".into())
                    }),
                (Ok(Some(z)), None) => pdns.write_zone(z).await.map(|changes| Applied { changes }),
                (Ok(None), _) => pdns
                    .remove_zone(*id)
                    .await
                    .map(|changes| Applied { changes }),
            };
            out.push(result);
        }
        out
    }

    async fn remove(&self, object_id: i64) -> Result<Applied, ProvisionError> {
        Ok(Applied {
            changes: self.pdns().await?.remove_zone(object_id).await?,
        })
    }

    async fn plan(
        &self,
        object_id: i64,
        generation: Option<i64>,
    ) -> Result<Vec<String>, ProvisionError> {
        let desired = match generation {
            Some(_) => self.desired(object_id).await?,
            None => None,
        };
        let current = self.pdns().await?.current(object_id).await?;
        Ok(diff(current.as_ref(), desired.as_ref()))
    }

    async fn all_ids(&self) -> Result<Vec<i64>, ProvisionError> {
        let mut tx = self.store.read().await.map_err(store_error)?;
        let mut ids = tx.domain_ids().await.map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        ids.extend(self.pdns().await?.zone_ids().await?);
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }
}
