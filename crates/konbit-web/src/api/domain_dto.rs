//! The API's JSON shapes for domains, DNS records and zone files. Like
//! `dto.rs`, they are kept apart from the core model so the contract
//! changes only on purpose.

use super::dto::ReconcileStatus;
use konbit_app::domain::{DomainDetail, ImportPreview, ImportSummary, RecordView};
use konbit_core::dns::RecordInput;
use konbit_core::dns::dnssec::DsRecord;
use konbit_core::model::{DnsRecordRow, Domain, ObjectStatus, ProvisionState};
use konbit_core::names::Fqdn;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

fn reconcile_status(p: ProvisionState) -> ReconcileStatus {
    ReconcileStatus {
        state: p.status.as_str().into(),
        generation: p.generation,
        applied_generation: p.applied_generation,
        last_error: p.last_error,
    }
}

/// A domain: one DNS zone served by the co-op's name servers.
#[derive(Serialize, ToSchema)]
pub struct DomainDto {
    pub id: i64,
    pub account_id: i64,
    /// ASCII (punycode for an internationalized name), without the final
    /// dot. Paths accept this or `display_name`.
    #[schema(example = "xn--caf-dma.example")]
    pub name: String,
    /// The name as people read it (Unicode for an internationalized name).
    #[schema(example = "café.example")]
    pub display_name: String,
    /// Set for an alias: the domain (ASCII) whose records this one serves.
    pub alias_of: Option<String>,
    /// Whether the zone is signed; `ds` (on the domain's page) then lists
    /// what to give the registrar.
    pub dnssec: bool,
    /// Whether the zone started with the co-op's MX, SPF and DMARC records.
    pub mail: bool,
    /// The SOA serial, raised on every change of the zone.
    pub serial: i64,
    /// Unix seconds; set while the domain is deleted and restorable.
    pub deleted_at: Option<i64>,
    /// Unix seconds after which a deleted domain is removed for good.
    pub purge_after: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Whether the name servers serve the zone as Konbit has it.
    pub status: ReconcileStatus,
}

impl From<Domain> for DomainDto {
    fn from(d: Domain) -> Self {
        Self {
            id: d.id.0,
            account_id: d.account_id.0,
            display_name: d.display_name(),
            name: d.name.into_string(),
            alias_of: d.alias_of_name.map(Fqdn::into_string),
            dnssec: d.dnssec,
            mail: d.mail,
            serial: d.serial,
            deleted_at: d.deleted_at,
            purge_after: d.purge_after,
            created_at: d.created_at,
            updated_at: d.updated_at,
            status: reconcile_status(d.provision),
        }
    }
}

/// A domain with its records and what its registrar needs.
#[derive(Serialize, ToSchema)]
pub struct DomainDetailDto {
    #[serde(flatten)]
    pub domain: DomainDto,
    /// For an alias: the records of the domain it serves, named under the
    /// alias.
    pub records: Vec<RecordDto>,
    /// The DS records to give the registrar; empty without DNSSEC.
    pub ds: Vec<DsDto>,
    /// The co-op's name servers, to give the registrar too.
    #[schema(example = json!(["ns1.coop.example"]))]
    pub nameservers: Vec<String>,
}

impl From<DomainDetail> for DomainDetailDto {
    fn from(d: DomainDetail) -> Self {
        let zone = d.domain.name.clone();
        Self {
            records: d
                .records
                .into_iter()
                .map(|r| RecordDto::new(r.row, r.status, &zone))
                .collect(),
            ds: d.ds.into_iter().map(DsDto::from).collect(),
            nameservers: d.nameservers,
            domain: d.domain.into(),
        }
    }
}

/// A DS record of the zone's signing key.
#[derive(Serialize, ToSchema)]
pub struct DsDto {
    pub key_tag: u16,
    /// 13: ECDSA P-256 with SHA-256.
    pub algorithm: u8,
    /// 2: SHA-256; 4: SHA-384.
    pub digest_type: u8,
    /// Lowercase hex.
    pub digest: String,
    /// The four fields on one line, as registrars often ask for them.
    #[schema(example = "55648 13 2 b4c8…1d17")]
    pub record: String,
}

impl From<DsRecord> for DsDto {
    fn from(ds: DsRecord) -> Self {
        Self {
            record: ds.presentation(),
            key_tag: ds.key_tag,
            algorithm: ds.algorithm,
            digest_type: ds.digest_type,
            digest: ds.digest_hex,
        }
    }
}

/// One DNS record.
#[derive(Serialize, ToSchema)]
pub struct RecordDto {
    pub id: i64,
    /// Relative to the domain, as stored: empty for the apex.
    #[schema(example = "www")]
    pub name: String,
    /// The absolute name (ASCII, no final dot).
    #[schema(example = "www.example.org")]
    pub fqdn: String,
    /// A, AAAA, CNAME, MX, TXT, SRV, CAA or NS.
    #[serde(rename = "type")]
    #[schema(example = "A")]
    pub rtype: String,
    /// Seconds.
    pub ttl: i64,
    /// The value in its canonical form.
    #[schema(example = "192.0.2.10")]
    pub value: String,
    /// `pending` until the name servers serve this version of the record,
    /// then `applied`; `failed` when the zone could not be written.
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl RecordDto {
    /// `zone` is the domain the record is shown under (the alias, for an
    /// alias's records).
    pub fn new(row: DnsRecordRow, status: ObjectStatus, zone: &Fqdn) -> Self {
        let fqdn = match row.name.as_str() {
            "" | "@" => zone.to_string(),
            name => format!("{name}.{zone}"),
        };
        Self {
            id: row.id.0,
            name: row.name,
            fqdn,
            rtype: row.rtype,
            ttl: row.ttl,
            value: row.value,
            status: status.as_str().into(),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }

    pub fn from_view(v: RecordView, zone: &Fqdn) -> Self {
        Self::new(v.row, v.status, zone)
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDomainBody {
    /// The account's name, or its id as a number in a string (an account
    /// name always starts with a letter, so the two never clash).
    #[schema(example = "radio-centre-ville")]
    pub account: String,
    /// ASCII or Unicode; stored in ASCII (punycode).
    #[schema(example = "café.example")]
    pub name: String,
    /// Makes this domain an alias of another domain of the same account: it
    /// serves that domain's records and has none of its own.
    pub alias_of: Option<String>,
    /// Sign the zone with DNSSEC. Default: true.
    pub dnssec: Option<bool>,
    /// Start the zone with the co-op's MX, SPF and DMARC records. Default:
    /// false; ignored for an alias.
    pub mail: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDomainBody {
    /// Turn DNSSEC on or off. The signing key is kept while it is off, so
    /// turning it on again needs no new DS at the registrar.
    pub dnssec: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
    /// Relative to the domain: `@` (or empty) for the apex, `www`,
    /// `_dmarc`, `*` for a wildcard.
    #[serde(default)]
    #[schema(example = "www")]
    pub name: String,
    /// A, AAAA, CNAME, MX, TXT, SRV, CAA or NS.
    #[serde(rename = "type")]
    #[schema(example = "A")]
    pub rtype: String,
    /// Seconds, 60 to 604800 (one week); default 3600.
    pub ttl: Option<i64>,
    /// The record's data, as in a zone file: `192.0.2.10`, `10 mx.example.org`,
    /// `v=spf1 mx -all`, `10 5 5060 sip.example.org`, `0 issue "letsencrypt.org"`.
    #[schema(example = "192.0.2.10")]
    pub value: String,
}

impl From<RecordBody> for RecordInput {
    fn from(b: RecordBody) -> Self {
        Self {
            name: b.name,
            rtype: b.rtype,
            ttl: b.ttl,
            value: b.value,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ZoneImportBody {
    /// A BIND zone file. `$ORIGIN` and `$TTL` are understood; the SOA, the
    /// apex NS set and the DNSSEC records Konbit makes are skipped.
    #[schema(example = "$TTL 3600\nwww IN A 192.0.2.10\n")]
    pub zone: String,
    /// Only show what the import would do. Default: false.
    #[serde(default)]
    pub dry_run: bool,
}

/// A line of the file that the import skips.
#[derive(Serialize, ToSchema)]
pub struct IgnoredLineDto {
    pub line: usize,
    /// The record type that is skipped (SOA, NS, DNSKEY…).
    #[serde(rename = "type")]
    pub rtype: String,
}

/// What an import does (or, with `dry_run`, would do). The zone's records
/// become the file's; the apex NS set stays the co-op's.
#[derive(Serialize, ToSchema)]
pub struct ZoneImportDto {
    /// True when nothing was changed.
    pub dry_run: bool,
    /// How many records are added, removed, and left as they were.
    pub added: usize,
    pub removed: usize,
    pub unchanged: usize,
    /// Dry run only (empty otherwise): the records that would be added, as
    /// zone-file lines.
    pub added_records: Vec<String>,
    /// Dry run only (empty otherwise): the records that would go away.
    pub removed_records: Vec<String>,
    /// Dry run only (empty otherwise): the lines that are skipped.
    pub ignored: Vec<IgnoredLineDto>,
}

impl From<ImportPreview> for ZoneImportDto {
    fn from(p: ImportPreview) -> Self {
        Self {
            dry_run: true,
            added: p.added.len(),
            removed: p.removed.len(),
            unchanged: p.unchanged,
            added_records: p.added,
            removed_records: p.removed,
            ignored: p
                .ignored
                .into_iter()
                .map(|(line, rtype)| IgnoredLineDto { line, rtype })
                .collect(),
        }
    }
}

impl From<ImportSummary> for ZoneImportDto {
    fn from(s: ImportSummary) -> Self {
        Self {
            dry_run: false,
            added: s.added,
            removed: s.removed,
            unchanged: s.unchanged,
            added_records: Vec::new(),
            removed_records: Vec::new(),
            ignored: Vec::new(),
        }
    }
}
