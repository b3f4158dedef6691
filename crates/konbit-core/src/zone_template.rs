//! The operator's zone template: what every new zone starts with (the NS
//! set; mail adds its own) and the SOA that
//! Konbit writes for every zone.

use crate::dns::RecordInput;
use crate::model::Timestamp;
use crate::names::Fqdn;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZoneTemplate {
    /// The co-op's name servers: the apex NS set and the SOA primary.
    pub nameservers: Vec<Fqdn>,
    /// The SOA contact, written as a name: `hostmaster.example.coop`.
    pub hostmaster: Fqdn,
    pub soa_ttl: u32,
    pub refresh: u32,
    pub retry: u32,
    pub expire: u32,
    /// The negative-answer TTL (SOA minimum).
    pub negative_ttl: u32,
    /// The TTL of the records the template adds.
    pub ttl: u32,
    /// The co-op's mail exchanger; no MX is added without one.
    pub mail_exchanger: Option<Fqdn>,
    pub spf: String,
    pub dmarc: String,
}

impl Default for ZoneTemplate {
    fn default() -> Self {
        // `.invalid` (RFC 6761) until the operator names real servers:
        // `konbit doctor` says so.
        Self {
            nameservers: vec![Fqdn::from_literal("ns1.konbit.invalid")],
            hostmaster: Fqdn::from_literal("hostmaster.konbit.invalid"),
            soa_ttl: 3600,
            refresh: 10800,
            retry: 3600,
            expire: 604_800,
            negative_ttl: 300,
            ttl: 3600,
            mail_exchanger: None,
            spf: "v=spf1 mx -all".into(),
            dmarc: "v=DMARC1; p=quarantine".into(),
        }
    }
}

impl ZoneTemplate {
    /// The SOA as PowerDNS stores it (names without the trailing dot).
    pub fn soa_content(&self, serial: i64) -> String {
        let primary = self
            .nameservers
            .first()
            .map(Fqdn::as_str)
            .unwrap_or("localhost");
        format!(
            "{primary} {} {serial} {} {} {} {}",
            self.hostmaster, self.refresh, self.retry, self.expire, self.negative_ttl
        )
    }

    /// The SOA in zone-file syntax, for an export.
    pub fn soa_rdata(&self, serial: i64) -> String {
        let primary = self
            .nameservers
            .first()
            .map(Fqdn::as_str)
            .unwrap_or("localhost");
        format!(
            "{primary}. {}. {serial} {} {} {} {}",
            self.hostmaster, self.refresh, self.retry, self.expire, self.negative_ttl
        )
    }

    /// The records a new zone starts with, as a person would have typed
    /// them; they are then ordinary records the account may edit. (Mail
    /// records come with mail: [`crate::mail::mail_records`].)
    pub fn initial_records(&self) -> Vec<RecordInput> {
        let record = |name: &str, rtype: &str, value: String| RecordInput {
            name: name.into(),
            rtype: rtype.into(),
            ttl: Some(i64::from(self.ttl)),
            value,
        };
        self.nameservers
            .iter()
            .map(|ns| record("@", "NS", ns.to_string()))
            .collect()
    }
}

/// The lowest serial for a change made at `now`: `YYYYMMDD00`, so serials
/// read as dates and still go up by one on each change.
pub fn serial_floor(now: Timestamp) -> i64 {
    let (y, m, d) = civil_date(now.div_euclid(86_400));
    (y * 10_000 + m * 100 + d) * 100
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
fn civil_date(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_floor_reads_as_the_date() {
        assert_eq!(serial_floor(0), 1_970_010_100);
        // 2026-11-22 12:00 UTC
        assert_eq!(serial_floor(1_795_348_800), 2_026_112_200);
        // 2000-02-29
        assert_eq!(serial_floor(951_782_400), 2_000_022_900);
    }

    #[test]
    fn soa_names_the_first_server_and_the_contact() {
        let t = ZoneTemplate::default();
        assert_eq!(
            t.soa_content(7),
            "ns1.konbit.invalid hostmaster.konbit.invalid 7 10800 3600 604800 300"
        );
        assert!(
            t.soa_rdata(7)
                .starts_with("ns1.konbit.invalid. hostmaster.konbit.invalid. 7 ")
        );
    }

    #[test]
    fn a_new_zone_starts_with_the_name_servers() {
        let t = ZoneTemplate {
            nameservers: vec![
                Fqdn::from_literal("ns1.coop.example"),
                Fqdn::from_literal("ns2.coop.example"),
            ],
            ..ZoneTemplate::default()
        };
        let records = t.initial_records();
        let types: Vec<&str> = records.iter().map(|r| r.rtype.as_str()).collect();
        assert_eq!(types, ["NS", "NS"]);
    }
}
