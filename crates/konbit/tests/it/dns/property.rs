//! Whatever the validators accept, PowerDNS accepts: random record sets
//! that pass `parse_record` and `check_zone_rules` are written by the real
//! provisioner and `pdnsutil check-zone` must find nothing wrong.

use super::DnsEnv;
use konbit_core::dns::{Record, RecordInput, check_zone_rules, parse_record};
use konbit_core::model::DomainId;
use konbit_core::names::Fqdn;
use konbit_store::NewRecord;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRng, TestRunner};

fn input() -> impl Strategy<Value = RecordInput> {
    let name = prop_oneof![
        Just("@".to_owned()),
        "[a-z][a-z0-9-]{0,10}",
        "[a-z]{1,5}\\.[a-z]{1,5}",
        "\\*\\.[a-z]{1,6}",
        "_[a-z]{2,6}\\._(tcp|udp)",
        "_dmarc",
    ];
    let typed = prop_oneof![
        ("A", "192\\.0\\.2\\.[1-9][0-9]?"),
        ("AAAA", "2001:db8::[1-9a-f]{1,4}"),
        ("CNAME", "[a-z]{1,8}\\.example\\.org"),
        ("MX", "[0-9]{1,3} mx[0-9]\\.example\\.org"),
        ("TXT", "[ -~]{1,400}"),
        ("TXT", "\\PC{1,60}"),
        (
            "SRV",
            "[0-9]{1,2} [0-9]{1,2} [1-9][0-9]{1,4} sip\\.example\\.org"
        ),
        ("CAA", "(0|128) (issue|issuewild) \"[a-z]{3,10}\\.org\""),
        ("CAA", "0 iodef \"mailto:ops@example\\.org\""),
        ("NS", "ns[0-9]\\.elsewhere\\.example"),
    ];
    // A `&str` strategy is a regex: each pair yields (type, value).
    (name, typed, 60i64..100_000).prop_map(|(name, (rtype, value), ttl)| RecordInput {
        name,
        rtype,
        ttl: Some(ttl),
        value,
    })
}

/// Keeps the records that pass alone and together, in order.
fn accepted(zone: &Fqdn, inputs: &[RecordInput], base: &[Record]) -> Vec<Record> {
    let mut set: Vec<Record> = base.to_vec();
    for i in inputs {
        let Ok(r) = parse_record(zone, i) else {
            continue;
        };
        set.push(r);
        if check_zone_rules(&set).is_err() {
            set.pop();
        }
    }
    // Konbit gives an RRset the TTL of the record a person writes.
    konbit_core::dns::rules::align_rrset_ttls(&mut set, None);
    set.split_off(base.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_accepted_record_set_passes_pdnsutil_check_zone() {
    let Some(env) = DnsEnv::without_worker().await else {
        return;
    };
    let created = env.add_domain("prop.test", serde_json::json!({})).await;
    let id = DomainId(created["id"].as_i64().unwrap());
    let zone = Fqdn::parse("zone", "prop.test", 2).unwrap();
    let ns: Vec<Record> = ["ns1.coop.test", "ns2.coop.test"]
        .iter()
        .map(|v| {
            parse_record(
                &zone,
                &RecordInput {
                    name: "@".into(),
                    rtype: "NS".into(),
                    ttl: None,
                    value: v.to_string(),
                },
            )
            .unwrap()
        })
        .collect();
    let mut worker = env.worker();
    // A fixed seed: the count of accepted records below must not depend
    // on luck.
    let config = Config {
        cases: 12,
        ..Config::default()
    };
    let rng = TestRng::deterministic_rng(config.rng_algorithm);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let strategy = proptest::collection::vec(input(), 5..40);
    let mut written = 0;
    for case in 0..12 {
        let inputs = strategy.new_tree(&mut runner).unwrap().current();
        let records = accepted(&zone, &inputs, &ns);
        written += records.len();
        let now = konbit_app::now();
        let mut tx = env.t.app.store.write().await.unwrap();
        tx.delete_records(id).await.unwrap();
        let g = tx.bump_domain(id, 0, now).await.unwrap();
        for r in ns.iter().chain(&records) {
            let row = NewRecord {
                name: r.name.as_str().to_owned(),
                rtype: r.rtype().as_str().to_owned(),
                ttl: i64::from(r.ttl),
                value: r.data.value(),
            };
            tx.insert_record(id, &row, g, now).await.unwrap();
        }
        tx.enqueue("dns_zone", id.0, g, now).await.unwrap();
        tx.commit().await.unwrap();
        let report = worker.run_once().await.unwrap();
        assert_eq!(report.failed, 0, "case {case}: {records:#?}");
        if let Err(e) = env.pdns.check_zone("prop.test") {
            panic!("case {case}: pdnsutil check-zone failed: {e}\nrecords: {records:#?}");
        }
        // Every accepted record is served as written.
        let pool = env.pdns.pool().await.unwrap();
        let served: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM records r JOIN domains d ON d.id = r.domain_id \
             WHERE d.name = 'prop.test' AND r.type IS NOT NULL AND r.type NOT IN ('SOA')",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(served as usize, records.len() + ns.len(), "case {case}");
    }
    assert!(
        written > 50,
        "the generator accepted too few records ({written})"
    );
}
