//! Any four fields typed for a record: validation never panics, an accepted
//! record reads back from its value, and its PowerDNS content is printable
//! ASCII.

#![no_main]

use konbit_core::dns::{RecordInput, RecordType, parse_record};
use konbit_core::names::Fqdn;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(zone) = Fqdn::parse("domain", "example.org", 2) else {
        return;
    };
    // name \x1f type-index \x1f ttl \x1f value
    let mut parts = text.splitn(4, '\u{1f}');
    let name = parts.next().unwrap_or_default();
    let rtype = parts.next().unwrap_or_default();
    let rtype = rtype
        .bytes()
        .next()
        .map(|b| {
            RecordType::ALL[usize::from(b) % RecordType::ALL.len()]
                .as_str()
                .to_owned()
        })
        .unwrap_or_else(|| rtype.to_owned());
    let ttl = parts.next().and_then(|t| t.parse::<i64>().ok());
    let value = parts.next().unwrap_or_default();
    let input = RecordInput {
        name: name.to_owned(),
        rtype,
        ttl,
        value: value.to_owned(),
    };
    if let Ok(record) = parse_record(&zone, &input) {
        let again = parse_record(&zone, &record.to_input());
        assert_eq!(again.as_ref(), Ok(&record), "{input:?}");
        let (content, prio) = record.data.pdns_content();
        assert!(
            content.bytes().all(|b| (0x20..0x7f).contains(&b)),
            "{content:?}"
        );
        assert!((0..=65535).contains(&prio));
        let rdata = record.data.zone_file_rdata();
        assert!(!rdata.contains('\n'));
    }
});
