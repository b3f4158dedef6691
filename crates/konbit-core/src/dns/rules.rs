//! The rules that hold across a zone's whole record set.

use super::record::{Record, RecordData, RecordType};
use crate::error::{FieldError, Rule};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Checks the rules across the record set of one zone, as it would be after
/// a change:
///
/// - a CNAME is never at the apex, and stands alone at its name: no record
///   of another type and no second CNAME there;
/// - the apex keeps at least one NS record;
/// - an NS record below the apex delegates its name: at that name only NS
///   records, and below it only A/AAAA (glue for name servers inside the
///   delegated zone);
/// - the same name, type and data appear once;
/// - a null MX (`0 .`) is the only MX at its name, a null SRV target the
///   only SRV (RFC 7505 §3, RFC 2782).
///
/// Each error comes with the index in `records` of the record that breaks
/// the rule. When two records clash, the later one in `records` is blamed,
/// so a record just added is the one named. `ApexNeedsNs` is about a record
/// that is missing: its index is `records.len()`. The errors are sorted by
/// index.
pub fn check_zone_rules(records: &[Record]) -> Result<(), Vec<(usize, FieldError)>> {
    let mut errors = Vec::new();
    let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, r) in records.iter().enumerate() {
        by_name.entry(r.name.as_str()).or_default().push(i);
    }
    let delegations: BTreeSet<&str> = records
        .iter()
        .filter(|r| r.rtype() == RecordType::Ns && !r.name.is_apex())
        .map(|r| r.name.as_str())
        .collect();
    let mut apex_ns = false;
    for (i, r) in records.iter().enumerate() {
        let rtype = r.rtype();
        if r.name.is_apex() {
            if rtype == RecordType::Ns {
                apex_ns = true;
            }
            if rtype == RecordType::Cname {
                errors.push((i, FieldError::new("name", Rule::CnameAtApex)));
            }
            continue;
        }
        let below = r.name.ancestors().any(|a| delegations.contains(a));
        let allowed = if below {
            // Glue only: not even a delegation inside a delegation.
            matches!(rtype, RecordType::A | RecordType::Aaaa)
        } else {
            !delegations.contains(r.name.as_str()) || rtype == RecordType::Ns
        };
        if !allowed {
            errors.push((i, FieldError::new("name", Rule::BelowDelegation)));
        }
    }
    for indexes in by_name.values() {
        let has_cname = indexes
            .iter()
            .any(|&i| records[i].rtype() == RecordType::Cname);
        if has_cname {
            for &i in indexes.iter().skip(1) {
                errors.push((i, FieldError::new("type", Rule::CnameNotAlone)));
            }
        }
        let mut seen: HashSet<&RecordData> = HashSet::new();
        for &i in indexes {
            if !seen.insert(&records[i].data) {
                errors.push((i, FieldError::new("value", Rule::DuplicateRecord)));
            }
        }
        for rtype in [RecordType::Mx, RecordType::Srv] {
            let of_type: Vec<usize> = indexes
                .iter()
                .copied()
                .filter(|&i| records[i].rtype() == rtype)
                .collect();
            if of_type.len() > 1 && of_type.iter().any(|&i| is_null(&records[i].data)) {
                for &i in of_type.iter().skip(1) {
                    errors.push((i, FieldError::new("value", Rule::NullTargetNotAlone)));
                }
            }
        }
    }
    if !apex_ns {
        errors.push((records.len(), FieldError::new("type", Rule::ApexNeedsNs)));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        errors.sort_by_key(|(i, _)| *i);
        errors.dedup();
        Err(errors)
    }
}

/// Gives every record of an RRset (same name and type) one TTL, as DNS
/// requires (RFC 2181 §5.2; `pdnsutil check-zone` reports a mismatch as an
/// error). The TTL is that of `records[keep]` for its own set (the record
/// a person just wrote), otherwise that of the set's first record. Returns
/// the indexes whose TTL changed.
pub fn align_rrset_ttls(records: &mut [Record], keep: Option<usize>) -> Vec<usize> {
    let mut ttl_of: BTreeMap<(String, RecordType), u32> = BTreeMap::new();
    if let Some(r) = keep.and_then(|k| records.get(k)) {
        ttl_of.insert((r.name.as_str().to_owned(), r.rtype()), r.ttl);
    }
    let mut changed = Vec::new();
    for (i, r) in records.iter_mut().enumerate() {
        let ttl = *ttl_of
            .entry((r.name.as_str().to_owned(), r.rtype()))
            .or_insert(r.ttl);
        if r.ttl != ttl {
            r.ttl = ttl;
            changed.push(i);
        }
    }
    changed
}

fn is_null(data: &RecordData) -> bool {
    match data {
        RecordData::Mx { exchange, .. } => exchange.is_null(),
        RecordData::Srv { target, .. } => target.is_null(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{RecordInput, parse_record};
    use crate::names::Fqdn;

    fn rec(name: &str, rtype: &str, value: &str) -> Record {
        let zone = Fqdn::parse("domain", "example.org", 2).unwrap();
        parse_record(
            &zone,
            &RecordInput {
                name: name.into(),
                rtype: rtype.into(),
                ttl: None,
                value: value.into(),
            },
        )
        .unwrap()
    }

    fn ns() -> Record {
        rec("@", "NS", "ns1.konbit.coop")
    }

    fn rules(records: &[Record]) -> Vec<(usize, Rule)> {
        match check_zone_rules(records) {
            Ok(()) => Vec::new(),
            Err(e) => e.into_iter().map(|(i, e)| (i, e.rule)).collect(),
        }
    }

    #[test]
    fn a_good_zone_passes() {
        let zone = [
            ns(),
            rec("@", "NS", "ns2.konbit.coop"),
            rec("@", "A", "192.0.2.1"),
            rec("@", "MX", "10 mail.example.org"),
            rec("@", "TXT", "v=spf1 mx -all"),
            rec("@", "CAA", "0 issue \"letsencrypt.org\""),
            rec("www", "CNAME", "@"),
            rec("mail", "A", "192.0.2.2"),
            rec("mail", "AAAA", "2001:db8::2"),
            rec("_sip._tcp", "SRV", "10 5 5060 sip.example.org"),
            rec("dev", "NS", "ns.dev.example.org"),
            rec("dev", "NS", "ns.elsewhere.example"),
            rec("ns.dev", "A", "192.0.2.53"),
            rec("ns.dev", "AAAA", "2001:db8::53"),
            rec("*.shop", "CNAME", "shop.example.net"),
        ];
        assert_eq!(check_zone_rules(&zone), Ok(()));
    }

    #[test]
    fn the_apex_keeps_an_ns() {
        assert_eq!(rules(&[]), [(0, Rule::ApexNeedsNs)]);
        let zone = [
            rec("@", "A", "192.0.2.1"),
            rec("www", "NS", "ns.example.net"),
        ];
        assert_eq!(rules(&zone), [(2, Rule::ApexNeedsNs)]);
    }

    #[test]
    fn a_cname_stands_alone() {
        let zone = [
            ns(),
            rec("www", "A", "192.0.2.1"),
            rec("www", "CNAME", "web.example.net"),
        ];
        assert_eq!(rules(&zone), [(2, Rule::CnameNotAlone)]);
        let zone = [
            ns(),
            rec("www", "CNAME", "web.example.net"),
            rec("www", "TXT", "x"),
        ];
        assert_eq!(rules(&zone), [(2, Rule::CnameNotAlone)]);
        let zone = [
            ns(),
            rec("www", "CNAME", "a.example.net"),
            rec("www", "CNAME", "b.example.net"),
        ];
        assert_eq!(rules(&zone), [(2, Rule::CnameNotAlone)]);
        // Another name, even below, is fine.
        let zone = [
            ns(),
            rec("www", "CNAME", "a.example.net"),
            rec("a.www", "A", "192.0.2.1"),
        ];
        assert_eq!(rules(&zone), []);
    }

    #[test]
    fn no_cname_at_the_apex() {
        let mut cname = rec("www", "CNAME", "a.example.net");
        cname.name = super::super::OwnerName::apex();
        assert_eq!(
            rules(&[ns(), cname]),
            [(1, Rule::CnameAtApex), (1, Rule::CnameNotAlone)]
        );
    }

    #[test]
    fn delegations() {
        let zone = [
            ns(),
            rec("dev", "NS", "ns.example.net"),
            rec("dev", "A", "192.0.2.1"),
            rec("dev", "MX", "10 mail.example.net"),
            rec("www.dev", "A", "192.0.2.1"),
            rec("www.dev", "TXT", "x"),
            rec("sub.dev", "NS", "ns.example.net"),
            rec("*.dev", "CNAME", "x.example.net"),
            rec("devx", "TXT", "not below"),
        ];
        assert_eq!(
            rules(&zone),
            [
                (2, Rule::BelowDelegation),
                (3, Rule::BelowDelegation),
                (5, Rule::BelowDelegation),
                (6, Rule::BelowDelegation),
                (7, Rule::BelowDelegation),
            ]
        );
    }

    #[test]
    fn duplicates() {
        let mut again = rec("www", "A", "192.0.2.1");
        again.ttl = 60;
        let zone = [
            ns(),
            rec("www", "A", "192.0.2.1"),
            again,
            rec("www", "A", "192.0.2.2"),
        ];
        assert_eq!(rules(&zone), [(2, Rule::DuplicateRecord)]);
        let zone = [ns(), rec("x", "TXT", "a"), rec("x", "TXT", "\"a\"")];
        assert_eq!(rules(&zone), [(2, Rule::DuplicateRecord)]);
        let zone = [ns(), ns()];
        assert_eq!(rules(&zone), [(1, Rule::DuplicateRecord)]);
    }

    #[test]
    fn an_rrset_gets_one_ttl() {
        let mut a1 = rec("www", "A", "192.0.2.1");
        a1.ttl = 300;
        let mut a2 = rec("www", "A", "192.0.2.2");
        a2.ttl = 600;
        let mut txt = rec("www", "TXT", "x");
        txt.ttl = 60;
        let mut zone = vec![ns(), a1.clone(), a2.clone(), txt.clone()];
        // The first of the set wins…
        assert_eq!(align_rrset_ttls(&mut zone, None), [2]);
        assert_eq!((zone[1].ttl, zone[2].ttl, zone[3].ttl), (300, 300, 60));
        // …unless a record is named as the one to keep.
        let mut zone = vec![ns(), a1, a2, txt];
        assert_eq!(align_rrset_ttls(&mut zone, Some(2)), [1]);
        assert_eq!((zone[1].ttl, zone[2].ttl), (600, 600));
    }

    #[test]
    fn null_targets_stand_alone() {
        let zone = [
            ns(),
            rec("@", "MX", "0 ."),
            rec("@", "MX", "10 mail.example.org"),
        ];
        assert_eq!(rules(&zone), [(2, Rule::NullTargetNotAlone)]);
        let zone = [
            ns(),
            rec("@", "MX", "0 ."),
            rec("www", "MX", "10 mail.example.org"),
        ];
        assert_eq!(rules(&zone), []);
        let zone = [
            ns(),
            rec("_imap._tcp", "SRV", "0 0 143 mail.example.org"),
            rec("_imap._tcp", "SRV", "0 0 0 ."),
        ];
        assert_eq!(rules(&zone), [(2, Rule::NullTargetNotAlone)]);
    }
}
