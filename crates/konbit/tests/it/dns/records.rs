//! Every record type, written through the API and read back with `dig`
//! from the real PowerDNS; DNSSEC signatures and the DS the member sees.

use super::DnsEnv;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_type_is_served_and_the_zone_checks_clean() {
    let Some(env) = DnsEnv::start().await else {
        return;
    };
    env.add_domain("radio.test", serde_json::json!({})).await;
    // The template's NS set is served at once.
    env.until_served("radio.test", "NS", &["ns1.coop.test.", "ns2.coop.test."])
        .await;

    let long_txt = format!("v=DKIM1; k=rsa; p={}", "A".repeat(300));
    let cases: &[(&str, &str, &str)] = &[
        ("www", "A", "192.0.2.10"),
        ("www", "AAAA", "2001:db8::10"),
        ("blog", "CNAME", "www.radio.test"),
        ("@", "MX", "10 mail.radio.test"),
        ("@", "TXT", "v=spf1 mx -all"),
        ("dkim._domainkey", "TXT", &long_txt),
        ("_sip._tcp", "SRV", "10 5 5060 sip.radio.test"),
        ("@", "CAA", "0 issue \"letsencrypt.org\""),
        ("sub", "NS", "ns1.elsewhere.test"),
    ];
    for (name, rtype, value) in cases {
        let (status, body) = env.add_record("radio.test", name, rtype, value).await;
        assert_eq!(status, 201, "{name} {rtype} {value}: {body:#}");
    }

    env.until_served("www.radio.test", "A", &["192.0.2.10"])
        .await;
    env.until_served("www.radio.test", "AAAA", &["2001:db8::10"])
        .await;
    env.until_served("blog.radio.test", "CNAME", &["www.radio.test."])
        .await;
    env.until_served("radio.test", "MX", &["10 mail.radio.test."])
        .await;
    env.until_served("radio.test", "TXT", &["\"v=spf1 mx -all\""])
        .await;
    env.until_served(
        "_sip._tcp.radio.test",
        "SRV",
        &["10 5 5060 sip.radio.test."],
    )
    .await;
    env.until_served("radio.test", "CAA", &["0 issue \"letsencrypt.org\""])
        .await;
    // A TXT longer than 255 bytes comes back as two strings.
    let dkim = env.pdns.dig("dkim._domainkey.radio.test", "TXT").unwrap();
    assert_eq!(dkim.len(), 1, "{dkim:?}");
    let strings: Vec<&str> = dkim[0].split("\" \"").collect();
    assert_eq!(strings.len(), 2, "{dkim:?}");
    assert_eq!(
        dkim[0].replace("\" \"", "").trim_matches('"'),
        long_txt.as_str()
    );
    // The delegation is a referral from the parent, with no answer.
    let referral = env.pdns.dig_full("x.sub.radio.test", "A", &[]).unwrap();
    assert!(
        referral.contains("sub.radio.test.") && referral.contains("ns1.elsewhere.test."),
        "{referral}"
    );
    assert!(
        !referral.contains("flags: qr aa"),
        "a referral is not authoritative: {referral}"
    );

    // Signed by default: RRSIGs on answers, NSEC on a denial, and the DS the
    // member gives the registrar is the one PowerDNS derives from its key.
    let signed = env
        .pdns
        .dig_full("www.radio.test", "A", &["+dnssec"])
        .unwrap();
    assert!(signed.contains("RRSIG"), "{signed}");
    let denial = env
        .pdns
        .dig_full("nothing.radio.test", "A", &["+dnssec"])
        .unwrap();
    assert!(
        denial.contains("NXDOMAIN") && denial.contains("NSEC"),
        "{denial}"
    );
    let detail = env.until_status("radio.test", "applied").await;
    let ds_api: Vec<String> = detail["ds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {} {} {}",
                d["key_tag"],
                d["algorithm"],
                d["digest_type"],
                d["digest"].as_str().unwrap().to_lowercase()
            )
        })
        .collect();
    let exported = env
        .pdns
        .pdnsutil(&["export-zone-ds", "radio.test"])
        .unwrap();
    for ds in &ds_api {
        assert!(
            exported.to_lowercase().contains(ds),
            "DS {ds} not in pdnsutil's:\n{exported}"
        );
    }
    assert!(!ds_api.is_empty());
    env.pdns.check_zone("radio.test").unwrap();

    // Each record says it is live.
    let records: Value = env
        .api
        .get("/api/v1/domains/radio.test/records")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = records
        .get("items")
        .or(Some(&records))
        .and_then(Value::as_array)
        .unwrap();
    assert!(list.len() >= cases.len() + 2, "{records:#}");
    for r in list {
        assert_eq!(r["status"], "applied", "{r:#}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_is_served_on_the_next_query_and_the_serial_goes_up() {
    let Some(env) = DnsEnv::start().await else {
        return;
    };
    env.add_domain("radio.test", serde_json::json!({})).await;
    let (_, www) = env.add_record("radio.test", "www", "A", "192.0.2.10").await;
    env.until_served("www.radio.test", "A", &["192.0.2.10"])
        .await;
    let serial =
        |soa: &[String]| -> u64 { soa[0].split_whitespace().nth(2).unwrap().parse().unwrap() };
    let before = serial(&env.pdns.dig("radio.test", "SOA").unwrap());

    let id = www["id"].as_i64().unwrap();
    let res = env
        .api
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/domains/radio.test/records/{id}"),
            &serde_json::json!({ "name": "www", "type": "A", "value": "192.0.2.20", "ttl": 300 }),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    env.until_served("www.radio.test", "A", &["192.0.2.20"])
        .await;
    let after = serial(&env.pdns.dig("radio.test", "SOA").unwrap());
    assert!(after > before, "serial {before} -> {after}");
    env.pdns.check_zone("radio.test").unwrap();

    let res = env
        .api
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/domains/radio.test/records/{id}"),
        )
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    env.until_served("www.radio.test", "A", &[]).await;
    env.pdns.check_zone("radio.test").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dnssec_can_be_turned_off_and_on() {
    let Some(env) = DnsEnv::start().await else {
        return;
    };
    env.add_domain("radio.test", serde_json::json!({})).await;
    env.add_record("radio.test", "www", "A", "192.0.2.10").await;
    env.until_served("www.radio.test", "A", &["192.0.2.10"])
        .await;
    let before = env.zone_status("radio.test").await["ds"].clone();
    let patch = async |on: bool| {
        env.api
            .send_json(
                reqwest::Method::PATCH,
                "/api/v1/domains/radio.test",
                &serde_json::json!({ "dnssec": on }),
            )
            .await
    };
    assert_eq!(patch(false).await.unwrap().status(), 200);
    env.until_status("radio.test", "applied").await;
    let unsigned = env
        .pdns
        .dig_full("www.radio.test", "A", &["+dnssec"])
        .unwrap();
    assert!(!unsigned.contains("RRSIG"), "{unsigned}");
    env.pdns.check_zone("radio.test").unwrap();
    assert_eq!(patch(true).await.unwrap().status(), 200);
    env.until_status("radio.test", "applied").await;
    let signed = env
        .pdns
        .dig_full("www.radio.test", "A", &["+dnssec"])
        .unwrap();
    assert!(signed.contains("RRSIG"), "{signed}");
    // The same key again: the DS at the registrar stays valid.
    assert_eq!(env.zone_status("radio.test").await["ds"], before);
    env.pdns.check_zone("radio.test").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ttl_given_last_becomes_the_ttl_of_the_whole_rrset() {
    let Some(env) = DnsEnv::start().await else {
        return;
    };
    env.add_domain("radio.test", serde_json::json!({})).await;
    env.add_record("radio.test", "@", "MX", "10 mx1.radio.test")
        .await;
    let res = env
        .api
        .send_json(
            reqwest::Method::POST,
            "/api/v1/domains/radio.test/records",
            &serde_json::json!({ "name": "@", "type": "MX", "value": "20 mx2.radio.test", "ttl": 900 }),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    env.until_served(
        "radio.test",
        "MX",
        &["10 mx1.radio.test.", "20 mx2.radio.test."],
    )
    .await;
    let answer = env
        .pdns
        .dig_full("radio.test", "MX", &["+noall", "+answer"])
        .unwrap();
    let ttls: Vec<&str> = answer
        .lines()
        .filter(|l| l.contains("MX"))
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    assert_eq!(ttls, ["900", "900"], "{answer}");
    env.pdns.check_zone("radio.test").unwrap();
}
