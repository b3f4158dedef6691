//! `konbit domain …` run for real, in text and JSON, against its own state
//! directory (no PowerDNS: changes stay queued).

use crate::cli::Konbit;
use serde_json::Value;
use std::path::Path;

/// A state directory made by `konbit init`, with account `radio`.
fn radio() -> Konbit {
    let k = Konbit::init();
    k.run(&[
        "account",
        "create",
        "--name",
        "radio",
        "--display-name",
        "Radio",
    ])
    .ok();
    k
}

fn str_of(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The records of a domain as `show --output json` lists them.
fn records(k: &Konbit, domain: &str) -> Vec<Value> {
    k.json(&["domain", "show", domain])["records"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn domain_cli_add_list_show_and_records() {
    let k = radio();

    let text = k
        .run(&["domain", "add", "radio.example", "--account", "radio"])
        .ok()
        .to_owned();
    assert!(text.contains("radio.example"), "{text}");
    let idn = k.json(&[
        "domain",
        "add",
        "café.example",
        "--account",
        "radio",
        "--no-dnssec",
        "--mail",
    ]);
    assert_eq!(idn["name"], "xn--caf-dma.example", "{idn}");
    assert_eq!(idn["display_name"], "café.example");
    assert_eq!(idn["dnssec"], false);
    assert_eq!(idn["mail"], true);
    assert_eq!(idn["provision"]["status"], "pending");

    let list = k.json(&["domain", "list", "--account", "radio"]);
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["radio.example", "xn--caf-dma.example"], "{list}");
    assert_eq!(list["total"], 2);
    let text = k.run(&["domain", "list"]).ok().to_owned();
    assert!(text.contains("radio.example"), "{text}");
    assert!(
        text.contains("café.example (xn--caf-dma.example)"),
        "{text}"
    );
    assert!(text.contains("2 domains"), "{text}");

    // Records: added in text and in JSON, then shown with their status.
    let text = k
        .run(&[
            "domain",
            "record",
            "add",
            "radio.example",
            "--name",
            "www",
            "--type",
            "A",
            "--value",
            "192.0.2.10",
        ])
        .ok()
        .to_owned();
    assert!(
        text.contains("192.0.2.10") && text.contains("pending"),
        "{text}"
    );
    let txt = k.json(&[
        "domain",
        "record",
        "add",
        "radio.example",
        "--name",
        "@",
        "--type",
        "TXT",
        "--value",
        "-all is a value, not a flag",
        "--ttl",
        "600",
    ]);
    assert_eq!(txt["type"], "TXT", "{txt}");
    assert_eq!(txt["ttl"], 600);
    assert_eq!(txt["status"], "pending");
    let txt_id = txt["id"].as_i64().unwrap();

    let shown = k.json(&["domain", "show", "radio.example"]);
    assert_eq!(shown["display_name"], "radio.example");
    let recs = shown["records"].as_array().unwrap();
    assert_eq!(recs.len(), 3, "NS, A and TXT: {shown}");
    assert!(recs.iter().all(|r| r["status"] == "pending"), "{shown}");
    assert!(!shown["ds"].as_array().unwrap().is_empty(), "{shown}");
    assert_eq!(shown["ds"][0]["algorithm"], 13);
    assert_eq!(shown["nameservers"][0], "ns1.konbit.invalid");
    let text = k.run(&["domain", "show", "radio.example"]).ok().to_owned();
    for needle in [
        "Records:",
        "NS",
        "192.0.2.10",
        "DS records (for the registrar):",
        "ns1.konbit.invalid",
        " 13 2 ",
    ] {
        assert!(text.contains(needle), "{needle:?} in {text}");
    }
    let text = k.run(&["domain", "show", "café.example"]).ok().to_owned();
    assert!(text.contains("DNSSEC off"), "{text}");
    assert!(text.contains("_dmarc"), "the mail template: {text}");

    // Update keeps what is not given; delete removes.
    let updated = k.json(&[
        "domain",
        "record",
        "update",
        "radio.example",
        &txt_id.to_string(),
        "--value",
        "v=spf1 mx -all",
    ]);
    assert_eq!(updated["value"], "v=spf1 mx -all", "{updated}");
    assert_eq!(updated["ttl"], 600);
    assert_eq!(updated["name"], "");
    let text = k
        .run(&[
            "domain",
            "record",
            "delete",
            "radio.example",
            &txt_id.to_string(),
        ])
        .ok()
        .to_owned();
    assert!(text.contains("Deleted record"), "{text}");
    assert_eq!(records(&k, "radio.example").len(), 2);

    // DNSSEC off and on.
    let off = k.json(&["domain", "dnssec", "radio.example", "off"]);
    assert_eq!(off["dnssec"], false);
    assert_eq!(
        k.json(&["domain", "show", "radio.example"])["ds"],
        Value::Array(vec![])
    );
    let text = k
        .run(&["domain", "dnssec", "radio.example", "on"])
        .ok()
        .to_owned();
    assert!(text.contains("DNSSEC is on"), "{text}");

    // Delete and restore.
    let deleted = k.json(&["domain", "delete", "café.example"]);
    assert!(deleted["deleted_at"].is_i64(), "{deleted}");
    let list = k.json(&["domain", "list", "--deleted"]);
    assert_eq!(list["items"][0]["name"], "xn--caf-dma.example", "{list}");
    let text = k
        .run(&["domain", "restore", "café.example"])
        .ok()
        .to_owned();
    assert!(text.contains("Restored"), "{text}");
    let purged = k.json(&["domain", "purge"]);
    assert_eq!(purged, Value::Array(vec![]), "nothing is due yet");

    // Failures: exit codes scripts rely on.
    let err = k
        .run(&["domain", "show", "nowhere.example"])
        .fails(4)
        .to_owned();
    assert!(err.starts_with("konbit: "), "{err}");
    k.run(&["domain", "add", "radio.example", "--account", "radio"])
        .fails(3);
    k.run(&["domain", "add", "other.example", "--account", "nobody"])
        .fails(4);
    let err = k
        .run(&[
            "domain",
            "record",
            "add",
            "radio.example",
            "--name",
            "@",
            "--type",
            "CNAME",
            "--value",
            "www.radio.example",
        ])
        .fails(5)
        .to_owned();
    assert!(err.contains("  - "), "the rule is spelled out: {err}");
    let out = k.run(&[
        "--output",
        "json",
        "domain",
        "record",
        "add",
        "radio.example",
        "--name",
        "www",
        "--type",
        "MX",
        "--value",
        "10 192.0.2.1",
    ]);
    let problem: Value = serde_json::from_str(out.fails(5)).unwrap();
    assert_eq!(problem["code"], "invalid_input");
    assert_eq!(problem["errors"][0]["rule"], "target_is_ip", "{problem}");
    assert_eq!(records(&k, "radio.example").len(), 2);

    // Every change is queued for the DNS provisioner, at the zone's
    // current generation.
    let db = format!("sqlite://{}", k.root.join("state/konbit.db").display());
    let pool = sqlx::SqlitePool::connect(&db).await.unwrap();
    let rows: Vec<(String, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT d.name, d.status, d.generation, q.generation FROM domains d \
         LEFT JOIN reconcile_queue q ON q.kind = 'dns_zone' AND q.object_id = d.id ORDER BY d.name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    for (name, status, generation, queued) in rows {
        assert_eq!(status, "pending", "{name}");
        assert!(generation > 1, "{name}: changed since its creation");
        assert_eq!(queued, Some(generation), "{name}");
    }
}

#[test]
fn domain_cli_export_and_import() {
    let k = radio();
    k.run(&["domain", "add", "radio.example", "--account", "radio"])
        .ok();
    for (name, rtype, value) in [
        ("www", "A", "192.0.2.10"),
        ("@", "MX", "10 mx.radio.example"),
        ("_sip._tcp", "SRV", "10 5 5060 sip.radio.example"),
    ] {
        k.run(&[
            "domain",
            "record",
            "add",
            "radio.example",
            "--name",
            name,
            "--type",
            rtype,
            "--value",
            value,
        ])
        .ok();
    }

    let zone = k
        .run(&["domain", "export", "radio.example"])
        .ok()
        .to_owned();
    assert!(
        zone.contains("SOA") && zone.contains("192.0.2.10"),
        "{zone}"
    );
    let exported = k.json(&["domain", "export", "radio.example"]);
    assert_eq!(
        exported["zone"].as_str().unwrap().trim_end(),
        zone.trim_end()
    );

    // The export read back changes nothing: from stdin and from a file.
    let text = k
        .run_stdin(
            &["domain", "import", "radio.example", "--dry-run"],
            Some(&zone),
        )
        .ok()
        .to_owned();
    assert!(
        text.contains("Would add 0, remove 0 and keep 4 records"),
        "{text}"
    );
    let file = k.write("radio.zone", &zone);
    let preview = k.json(&[
        "domain",
        "import",
        "radio.example",
        "--file",
        str_of(&file),
        "--dry-run",
    ]);
    assert_eq!(preview["added"], Value::Array(vec![]), "{preview}");
    assert_eq!(preview["removed"], Value::Array(vec![]), "{preview}");
    assert_eq!(preview["unchanged"], 4);

    // A real change: one record more, one less.
    let changed = zone.replace("192.0.2.10", "192.0.2.20");
    let file = k.write("changed.zone", &changed);
    let text = k
        .run(&[
            "domain",
            "import",
            "radio.example",
            "--file",
            str_of(&file),
            "--dry-run",
        ])
        .ok()
        .to_owned();
    assert!(text.contains("Would add 1, remove 1"), "{text}");
    assert!(text.contains("+ ") && text.contains("192.0.2.20"), "{text}");
    let summary = k.json(&["domain", "import", "radio.example", "--file", str_of(&file)]);
    assert_eq!(summary["added"], 1, "{summary}");
    assert_eq!(summary["removed"], 1, "{summary}");
    let values: Vec<String> = records(&k, "radio.example")
        .iter()
        .map(|r| r["value"].as_str().unwrap().to_owned())
        .collect();
    assert!(values.contains(&"192.0.2.20".to_owned()), "{values:?}");
    assert!(!values.contains(&"192.0.2.10".to_owned()), "{values:?}");

    // A file with three bad lines: exit 5, every line named, nothing changed.
    let before = records(&k, "radio.example");
    let bad = k.write(
        "bad.zone",
        "$TTL 3600\n\
         www   IN A     192.0.2.99\n\
         bad   IN A     300.1.2.3\n\
         ok    IN AAAA  2001:db8::1\n\
         mx    IN MX    ten mx.radio.example.\n\
         @     IN CNAME www.radio.example.\n",
    );
    let err = k
        .run(&["domain", "import", "radio.example", "--file", str_of(&bad)])
        .fails(5)
        .to_owned();
    for line in ["Line 3:", "Line 5:", "Line 6:"] {
        assert!(err.contains(line), "{line} in {err}");
    }
    assert_eq!(err.matches("  - ").count(), 3, "{err}");
    let out = k.run(&[
        "--output",
        "json",
        "domain",
        "import",
        "radio.example",
        "--file",
        str_of(&bad),
        "--dry-run",
    ]);
    let problem: Value = serde_json::from_str(out.fails(5).trim()).unwrap();
    assert_eq!(problem["code"], "invalid_input");
    let lines: Vec<i64> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, [3, 5, 6], "{problem}");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Line 3:"),
        "{problem}"
    );
    assert_eq!(records(&k, "radio.example"), before);

    // A file that cannot be read.
    k.run(&[
        "domain",
        "import",
        "radio.example",
        "--file",
        "/nonexistent/zone",
    ])
    .fails(1);
}
