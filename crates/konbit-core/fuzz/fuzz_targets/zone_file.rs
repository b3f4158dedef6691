//! Any text given as a zone file: parsing never panics, and whatever is
//! accepted exports and reads back as the same records.

#![no_main]

use konbit_core::dns::zonefile::{export_zone_file, parse_zone_file};
use konbit_core::names::Fqdn;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(zone) = Fqdn::parse("domain", "example.org", 2) else {
        return;
    };
    let Ok(parsed) = parse_zone_file(&zone, text) else {
        return;
    };
    assert_eq!(parsed.records.len(), parsed.lines.len());
    let exported = export_zone_file(
        &zone,
        "ns1.example.net. h.example.net. 1 2 3 4 5",
        3600,
        &parsed.records,
    );
    match parse_zone_file(&zone, &exported) {
        Ok(again) => {
            let mut a = parsed.records.clone();
            let mut b = again.records;
            let key = |r: &konbit_core::dns::Record| {
                (r.name.clone(), r.rtype(), r.data.zone_file_rdata())
            };
            a.sort_by_key(key);
            b.sort_by_key(key);
            assert_eq!(a, b, "export does not read back:\n{exported}");
        }
        Err(e) => panic!("export does not parse: {e:?}\n{exported}"),
    }
});
