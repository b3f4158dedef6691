//! Record changes: one record at a time, each checked against the whole
//! zone (a CNAME stands alone, the apex keeps its NS…) before it is written.

use super::{DomainService, KIND, new_record, parse_rows};
use crate::{AppError, Audit, Result, audit, json, now};
use konbit_core::dns::rules::align_rrset_ttls;
use konbit_core::dns::{Record, RecordInput, check_zone_rules, parse_record};
use konbit_core::model::{DnsRecordRow, Domain, RecordId, Timestamp};
use konbit_core::zone_template::serial_floor;
use konbit_core::{ErrorCode, FieldError, Rule};
use konbit_store::Tx;

/// What a change does to the zone's record set.
enum Change {
    Add(Record),
    Replace(RecordId, Record),
    Remove(RecordId),
}

impl DomainService<'_> {
    pub async fn add_record(
        &self,
        actor: &konbit_core::authz::Actor,
        domain: &str,
        input: RecordInput,
    ) -> Result<DnsRecordRow> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        let d = self.editable(&mut tx, actor, domain).await?;
        let record = parse_record(&d.name, &input).map_err(AppError::Invalid)?;
        let rows = tx.records(d.id).await?;
        if rows.len() >= self.app.config.max_records_per_zone {
            return Err(AppError::invalid(FieldError::new(
                "name",
                Rule::TooMany {
                    max: self.app.config.max_records_per_zone,
                },
            )));
        }
        let ttls = check_change(&d, &rows, &Change::Add(record.clone()))?;
        let g = bump_with_aliases(&mut tx, &d, now).await?;
        set_ttls(&mut tx, &ttls, g, now).await?;
        let id = tx.insert_record(d.id, &new_record(&record), g, now).await?;
        let row = tx.record(d.id, id).await?;
        audit_record(
            &mut tx,
            actor,
            &d,
            "dns_record_created",
            None,
            Some(&row),
            now,
        )
        .await?;
        self.app.commit(tx).await?;
        Ok(row)
    }

    pub async fn update_record(
        &self,
        actor: &konbit_core::authz::Actor,
        domain: &str,
        id: RecordId,
        input: RecordInput,
    ) -> Result<DnsRecordRow> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        let d = self.editable(&mut tx, actor, domain).await?;
        let old = tx.record(d.id, id).await?;
        let record = parse_record(&d.name, &input).map_err(AppError::Invalid)?;
        let rows = tx.records(d.id).await?;
        let ttls = check_change(&d, &rows, &Change::Replace(id, record.clone()))?;
        let g = bump_with_aliases(&mut tx, &d, now).await?;
        set_ttls(&mut tx, &ttls, g, now).await?;
        tx.update_record(id, &new_record(&record), g, now).await?;
        let row = tx.record(d.id, id).await?;
        audit_record(
            &mut tx,
            actor,
            &d,
            "dns_record_updated",
            Some(&old),
            Some(&row),
            now,
        )
        .await?;
        self.app.commit(tx).await?;
        Ok(row)
    }

    pub async fn delete_record(
        &self,
        actor: &konbit_core::authz::Actor,
        domain: &str,
        id: RecordId,
    ) -> Result<()> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        let d = self.editable(&mut tx, actor, domain).await?;
        let old = tx.record(d.id, id).await?;
        let rows = tx.records(d.id).await?;
        check_change(&d, &rows, &Change::Remove(id))?;
        bump_with_aliases(&mut tx, &d, now).await?;
        tx.delete_record(id).await?;
        audit_record(
            &mut tx,
            actor,
            &d,
            "dns_record_deleted",
            Some(&old),
            None,
            now,
        )
        .await?;
        self.app.commit(tx).await?;
        Ok(())
    }

    pub async fn record(
        &self,
        actor: &konbit_core::authz::Actor,
        domain: &str,
        id: RecordId,
    ) -> Result<super::RecordView> {
        let mut tx = self.app.store.read().await?;
        let d = self.find(&mut tx, actor, domain, true).await?;
        let row = tx.record(d.alias_of.unwrap_or(d.id), id).await?;
        let status = row.status(&d.provision);
        Ok(super::RecordView { row, status })
    }

    /// A live domain whose records the actor may change: not an alias.
    pub(super) async fn editable(
        &self,
        tx: &mut Tx,
        actor: &konbit_core::authz::Actor,
        name: &str,
    ) -> Result<Domain> {
        let d = self.find(tx, actor, name, false).await?;
        if d.is_deleted() {
            return Err(AppError::NotFound);
        }
        if let Some(target) = &d.alias_of_name {
            return Err(AppError::Conflict {
                code: ErrorCode::DomainIsAlias,
                detail: target.to_unicode(),
            });
        }
        Ok(d)
    }
}

/// Checks the zone as it would be after the change; the errors name the
/// changed record's fields where they can. The TTL a person gives is the
/// TTL of the whole RRset: returns the other records whose TTL follows.
fn check_change(
    d: &Domain,
    rows: &[DnsRecordRow],
    change: &Change,
) -> Result<Vec<(RecordId, u32)>> {
    let mut records = parse_rows(&d.name, rows)?;
    let mut changed = None;
    match change {
        Change::Add(r) => {
            changed = Some(records.len());
            records.push(r.clone());
        }
        Change::Replace(id, r) => {
            if let Some(i) = rows.iter().position(|row| row.id == *id) {
                records[i] = r.clone();
                changed = Some(i);
            }
        }
        Change::Remove(id) => {
            if let Some(i) = rows.iter().position(|row| row.id == *id) {
                records.remove(i);
            }
        }
    }
    let follow: Vec<(RecordId, u32)> = match (change, changed) {
        (Change::Remove(_), _) | (_, None) => Vec::new(),
        (_, Some(k)) => align_rrset_ttls(&mut records, Some(k))
            .into_iter()
            .filter_map(|i| rows.get(i).map(|row| (row.id, records[i].ttl)))
            .collect(),
    };
    check_zone_rules(&records).map_err(|errors| {
        // Prefer what the changed record broke; for a removal, what the
        // rest of the zone now breaks (the last NS of the apex…).
        let mine: Vec<FieldError> = errors
            .iter()
            .filter(|(i, _)| Some(*i) == changed)
            .map(|(_, e)| e.clone())
            .collect();
        if mine.is_empty() {
            AppError::Invalid(errors.into_iter().map(|(_, e)| e).collect())
        } else {
            AppError::Invalid(mine)
        }
    })?;
    Ok(follow)
}

async fn set_ttls(tx: &mut Tx, ttls: &[(RecordId, u32)], g: i64, now: Timestamp) -> Result<()> {
    for (id, ttl) in ttls {
        tx.set_record_ttl(*id, i64::from(*ttl), g, now).await?;
    }
    Ok(())
}

/// A change of `d`'s records: a new generation and serial for it and for
/// every alias serving its records, each queued. Returns `d`'s generation.
pub(super) async fn bump_with_aliases(tx: &mut Tx, d: &Domain, now: Timestamp) -> Result<i64> {
    let floor = serial_floor(now);
    let g = tx.bump_domain(d.id, floor, now).await?;
    tx.enqueue(KIND, d.id.0, g, now).await?;
    for alias in tx.domain_aliases(d.id).await? {
        if alias.is_deleted() {
            continue;
        }
        let ga = tx.bump_domain(alias.id, floor, now).await?;
        tx.enqueue(KIND, alias.id.0, ga, now).await?;
    }
    Ok(g)
}

async fn audit_record(
    tx: &mut Tx,
    actor: &konbit_core::authz::Actor,
    d: &Domain,
    action: &'static str,
    old: Option<&DnsRecordRow>,
    new: Option<&DnsRecordRow>,
    now: Timestamp,
) -> Result<()> {
    let id = old.or(new).map(|r| r.id.0).unwrap_or_default();
    audit(
        tx,
        actor,
        Audit {
            action,
            kind: "dns_record",
            id: format!("{}/{id}", d.name),
            account: Some(d.account_id),
            old: old.and_then(json),
            new: new.and_then(json),
        },
        now,
    )
    .await
}
