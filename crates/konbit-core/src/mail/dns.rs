//! The DNS records a domain needs to receive and send mail, and to let mail
//! programs configure themselves: MX, SPF, DMARC, one DKIM key per selector,
//! Thunderbird's `autoconfig` name, Outlook's `_autodiscover._tcp`, and the
//! RFC 6186 service records.

use crate::dns::RecordInput;
use crate::names::Fqdn;

/// What the co-op publishes for every mail domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailDnsSettings {
    /// No MX is written without one.
    pub mail_exchanger: Option<Fqdn>,
    /// Empty: no SPF record.
    pub spf: String,
    /// Empty: no DMARC record.
    pub dmarc: String,
    /// Where Konbit's autoconfig/autodiscover endpoints answer (the panel's
    /// host); `None`: no such records.
    pub autoconfig_host: Option<Fqdn>,
    /// The names mail programs connect to.
    pub imap_host: Option<Fqdn>,
    pub smtp_host: Option<Fqdn>,
    pub ttl: u32,
}

/// A DKIM public key as published: `<selector>._domainkey`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimPublicKey {
    pub selector: String,
    /// Base64 of the DER SubjectPublicKeyInfo of an RSA key.
    pub public_key: String,
}

impl DkimPublicKey {
    /// The record name, relative to the zone.
    pub fn record_name(&self) -> String {
        format!("{}._domainkey", self.selector)
    }
    /// The TXT value (Konbit cuts it into 255-byte strings when it writes it).
    pub fn txt(&self) -> String {
        format!("v=DKIM1; k=rsa; p={}", self.public_key)
    }
}

/// The records, as a person would type them (`@` for the apex).
pub fn mail_records(s: &MailDnsSettings, dkim: &[DkimPublicKey]) -> Vec<RecordInput> {
    let record = |name: &str, rtype: &str, value: String| RecordInput {
        name: name.into(),
        rtype: rtype.into(),
        ttl: Some(i64::from(s.ttl)),
        value,
    };
    let mut out = Vec::new();
    if let Some(mx) = &s.mail_exchanger {
        out.push(record("@", "MX", format!("10 {mx}")));
    }
    if !s.spf.is_empty() {
        out.push(record("@", "TXT", s.spf.clone()));
    }
    if !s.dmarc.is_empty() {
        out.push(record("_dmarc", "TXT", s.dmarc.clone()));
    }
    for key in dkim {
        out.push(record(&key.record_name(), "TXT", key.txt()));
    }
    if let Some(host) = &s.autoconfig_host {
        out.push(record("autoconfig", "CNAME", host.to_string()));
        out.push(record(
            "_autodiscover._tcp",
            "SRV",
            format!("0 0 443 {host}"),
        ));
    }
    if let Some(imap) = &s.imap_host {
        out.push(record("_imaps._tcp", "SRV", format!("0 1 993 {imap}")));
    }
    if let Some(smtp) = &s.smtp_host {
        out.push(record("_submission._tcp", "SRV", format!("0 1 587 {smtp}")));
        out.push(record(
            "_submissions._tcp",
            "SRV",
            format!("0 1 465 {smtp}"),
        ));
    }
    out
}

/// A new selector for a key made on `date` (`YYYYMMDD`), different from
/// every selector in `taken`: `k20261122`, then `k20261122-2`, …
pub fn new_selector(date: i64, taken: &[String]) -> String {
    let base = format!("k{date}");
    (1..)
        .map(|n| {
            if n == 1 {
                base.clone()
            } else {
                format!("{base}-{n}")
            }
        })
        .find(|s| !taken.contains(s))
        .unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::parse_record;

    fn settings() -> MailDnsSettings {
        MailDnsSettings {
            mail_exchanger: Fqdn::parse("mx", "mx.coop.example", 1).ok(),
            spf: "v=spf1 mx -all".into(),
            dmarc: "v=DMARC1; p=quarantine".into(),
            autoconfig_host: Fqdn::parse("h", "panel.coop.example", 1).ok(),
            imap_host: Fqdn::parse("h", "imap.coop.example", 1).ok(),
            smtp_host: Fqdn::parse("h", "smtp.coop.example", 1).ok(),
            ttl: 3600,
        }
    }

    #[test]
    fn every_mail_record_is_a_valid_record() {
        let zone = Fqdn::parse("zone", "radio.example", 2).unwrap();
        let key = DkimPublicKey {
            selector: "k20261122".into(),
            // Long enough to need two TXT strings, like a 2048-bit key.
            public_key: "A".repeat(392),
        };
        let records = mail_records(&settings(), &[key]);
        let kinds: Vec<(&str, &str)> = records
            .iter()
            .map(|r| (r.name.as_str(), r.rtype.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("@", "MX"),
                ("@", "TXT"),
                ("_dmarc", "TXT"),
                ("k20261122._domainkey", "TXT"),
                ("autoconfig", "CNAME"),
                ("_autodiscover._tcp", "SRV"),
                ("_imaps._tcp", "SRV"),
                ("_submission._tcp", "SRV"),
                ("_submissions._tcp", "SRV"),
            ]
        );
        for r in &records {
            parse_record(&zone, r).unwrap_or_else(|e| panic!("{r:?}: {e:?}"));
        }
    }

    #[test]
    fn without_servers_only_policy_records_are_written() {
        let s = MailDnsSettings {
            mail_exchanger: None,
            autoconfig_host: None,
            imap_host: None,
            smtp_host: None,
            spf: String::new(),
            ..settings()
        };
        let records = mail_records(&s, &[]);
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].name, "_dmarc");
    }

    #[test]
    fn a_new_selector_never_reuses_a_taken_one() {
        assert_eq!(new_selector(20261122, &[]), "k20261122");
        let taken = vec!["k20261122".to_owned(), "k20261122-2".to_owned()];
        assert_eq!(new_selector(20261122, &taken), "k20261122-3");
    }
}
