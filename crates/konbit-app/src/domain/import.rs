//! Zone import: a BIND zone file, parsed and validated in full, shown as a
//! preview, then applied as one change. The zone keeps its own SOA and apex
//! NS set (the co-op's servers); the file's are listed as ignored.

use super::records::bump_with_aliases;
use super::{DomainService, new_record, parse_rows};
use crate::{AppError, Audit, Result, audit, now};
use konbit_core::authz::Actor;
use konbit_core::dns::zonefile::parse_zone_file;
use konbit_core::dns::{Record, RecordType, check_zone_rules};
use serde::Serialize;
use std::collections::BTreeSet;

/// What an import would do.
#[derive(Debug, Clone, Serialize)]
pub struct ImportPreview {
    /// Records in the file that the zone does not have yet, as zone-file lines.
    pub added: Vec<String>,
    /// Records of the zone that the file does not have: they go away.
    pub removed: Vec<String>,
    pub unchanged: usize,
    /// Lines of the file that are skipped, with their type (SOA, apex NS,
    /// DNSSEC records Konbit makes itself).
    pub ignored: Vec<(usize, String)>,
}

/// What an applied import did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportSummary {
    pub added: usize,
    pub removed: usize,
    pub unchanged: usize,
}

impl DomainService<'_> {
    /// Parses and checks `text` against the zone, changing nothing.
    pub async fn import_preview(
        &self,
        actor: &Actor,
        domain: &str,
        text: &str,
    ) -> Result<ImportPreview> {
        let mut tx = self.app.store.read().await?;
        let d = self.editable(&mut tx, actor, domain).await?;
        let rows = tx.records(d.id).await?;
        let current = parse_rows(&d.name, &rows)?;
        let plan = plan(&d.name, &current, text)?;
        Ok(plan.preview)
    }

    /// Applies `text` as one change: the zone's records become the file's
    /// (apex NS kept), or nothing changes if any line is bad.
    pub async fn import_apply(
        &self,
        actor: &Actor,
        domain: &str,
        text: &str,
    ) -> Result<ImportSummary> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        let d = self.editable(&mut tx, actor, domain).await?;
        let rows = tx.records(d.id).await?;
        let current = parse_rows(&d.name, &rows)?;
        let plan = plan(&d.name, &current, text)?;
        if plan.final_records.len() > self.app.config.max_records_per_zone {
            return Err(AppError::invalid(konbit_core::FieldError::new(
                "zone",
                konbit_core::Rule::TooMany {
                    max: self.app.config.max_records_per_zone,
                },
            )));
        }
        let summary = ImportSummary {
            added: plan.preview.added.len(),
            removed: plan.preview.removed.len(),
            unchanged: plan.preview.unchanged,
        };
        if summary.added == 0 && summary.removed == 0 {
            return Ok(summary);
        }
        let g = bump_with_aliases(&mut tx, &d, now).await?;
        // Unchanged records keep their rows (and their "live" status).
        let keep: BTreeSet<String> = plan.final_records.iter().map(line).collect();
        for (row, record) in rows.iter().zip(&current) {
            if !keep.contains(&line(record)) {
                tx.delete_record(row.id).await?;
            }
        }
        let have: BTreeSet<String> = current.iter().map(line).collect();
        for record in &plan.final_records {
            if !have.contains(&line(record)) {
                tx.insert_record(d.id, &new_record(record), g, now).await?;
            }
        }
        audit(
            &mut tx,
            actor,
            Audit {
                action: "dns_zone_imported",
                kind: "domain",
                id: d.name.to_string(),
                account: Some(d.account_id),
                old: None,
                new: crate::json(&plan.preview),
            },
            now,
        )
        .await?;
        self.app.commit(tx).await?;
        Ok(summary)
    }
}

struct Plan {
    preview: ImportPreview,
    final_records: Vec<Record>,
}

/// One record as a comparable zone-file line.
fn line(r: &Record) -> String {
    format!(
        "{} {} {} {}",
        r.name.display(),
        r.ttl,
        r.rtype().as_str(),
        r.data.zone_file_rdata()
    )
}

fn plan(zone: &konbit_core::names::Fqdn, current: &[Record], text: &str) -> Result<Plan> {
    // An empty file would empty the zone: that is never what was meant.
    if text.trim().is_empty() {
        return Err(AppError::invalid(konbit_core::FieldError::new(
            "zone",
            konbit_core::Rule::Required,
        )));
    }
    let parsed = parse_zone_file(zone, text).map_err(AppError::ZoneFile)?;
    let mut ignored = parsed.ignored.clone();
    let is_apex_ns = |r: &Record| r.name.is_apex() && r.rtype() == RecordType::Ns;
    let mut final_records: Vec<Record> =
        current.iter().filter(|r| is_apex_ns(r)).cloned().collect();
    for (record, source_line) in parsed.records.iter().zip(&parsed.lines) {
        if is_apex_ns(record) {
            ignored.push((*source_line, "NS".into()));
        } else {
            final_records.push(record.clone());
        }
    }
    // Duplicates in the file collapse into one record; an RRset takes the
    // TTL of its first record, as BIND does.
    konbit_core::dns::rules::align_rrset_ttls(&mut final_records, None);
    let mut seen = BTreeSet::new();
    final_records.retain(|r| seen.insert(line(r)));
    check_zone_rules(&final_records)
        .map_err(|errors| AppError::Invalid(errors.into_iter().map(|(_, e)| e).collect()))?;
    let have: BTreeSet<String> = current.iter().map(line).collect();
    let want: BTreeSet<String> = final_records.iter().map(line).collect();
    ignored.sort();
    Ok(Plan {
        preview: ImportPreview {
            added: want.difference(&have).cloned().collect(),
            removed: have.difference(&want).cloned().collect(),
            unchanged: want.intersection(&have).count(),
            ignored,
        },
        final_records,
    })
}
