//! `konbit site …` run for real, in text and JSON, against its own state
//! directory (no nginx: changes stay queued for the web provisioner).

use crate::api::items;
use crate::cli::Konbit;
use serde_json::Value;

/// A state directory made by `konbit init`, with account `radio` and its
/// domain `radio.example`.
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
    k.run(&["domain", "add", "radio.example", "--account", "radio"])
        .ok();
    k
}

async fn scalar(k: &Konbit, sql: &'static str) -> i64 {
    let db = format!("sqlite://{}", k.root.join("state/konbit.db").display());
    let pool = sqlx::SqlitePool::connect(&db).await.unwrap();
    let n: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
    pool.close().await;
    n
}

#[tokio::test(flavor = "multi_thread")]
async fn site_cli_add_list_show_change_delete() {
    let k = radio();

    // Add: text and JSON.
    let text = k
        .run(&["site", "add", "radio.example", "--type", "static", "--www"])
        .ok()
        .to_owned();
    assert!(text.starts_with("Added: "), "{text}");
    assert!(text.contains("radio.example"), "{text}");
    let blog = k.json(&[
        "site",
        "add",
        "blog.radio.example",
        "--type",
        "php",
        "--root",
        "blog/public",
        "--no-certificate",
    ]);
    let blog_id = blog["id"].as_i64().unwrap().to_string();
    assert_eq!(blog["host"], "blog.radio.example", "{blog}");
    assert_eq!(blog["display_host"], "blog.radio.example");
    assert_eq!(blog["kind"]["type"], "php", "{blog}");
    assert_eq!(blog["kind"]["root"], "blog/public");
    assert_eq!(blog["https"]["certificate"], false);
    assert_eq!(blog["certificate"], Value::Null);
    let go = k.json(&[
        "site",
        "add",
        "go.radio.example",
        "--type",
        "redirect",
        "--to",
        "https://radio.example/",
        "--temporary",
        "--no-keep-path",
    ]);
    assert_eq!(go["kind"]["permanent"], false, "{go}");
    assert_eq!(go["kind"]["keep_path"], false, "{go}");

    // Lists: aligned text, and JSON that parses.
    let text = k.run(&["site", "list"]).ok().to_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("ID "), "{text}");
    for column in ["HOST", "TYPE", "STATUS", "CERTIFICATE"] {
        assert!(lines[0].contains(column), "{column} in {text}");
    }
    assert!(text.contains("3 sites"), "{text}");
    let status_at = lines[0].find("STATUS").unwrap();
    for line in &lines[1..4] {
        assert_eq!(
            line.get(status_at..status_at + 7),
            Some("pending"),
            "aligned: {text}"
        );
    }
    let list = k.json(&["site", "list", "--account", "radio"]);
    assert_eq!(items(&list).len(), 3, "{list}");
    let hosts: Vec<&str> = items(&list)
        .iter()
        .map(|s| s["host"].as_str().unwrap())
        .collect();
    assert_eq!(
        hosts,
        ["blog.radio.example", "go.radio.example", "radio.example"]
    );
    assert_eq!(
        items(&list)[2]["aliases"],
        serde_json::json!(["www.radio.example"])
    );
    assert!(items(&k.json(&["site", "list", "--deleted"])).is_empty());

    // Show, by host, by alias, by id.
    let text = k.run(&["site", "show", "radio.example"]).ok().to_owned();
    for needle in [
        "radio.example (site ",
        "static files from ~/www/radio.example",
        "also answers to: www.radio.example",
        "HTTPS: certificate on",
        "Certificate: pending",
    ] {
        assert!(text.contains(needle), "{needle:?} in {text}");
    }
    let by_alias = k.json(&["site", "show", "www.radio.example"]);
    assert_eq!(by_alias["host"], "radio.example", "{by_alias}");
    let by_id = k.json(&["site", "show", &blog_id]);
    assert_eq!(by_id["host"], "blog.radio.example");

    // Update: what is not given stays.
    let s = k.json(&["site", "update", "radio.example", "--type", "php"]);
    assert_eq!(s["kind"]["type"], "php", "{s}");
    assert_eq!(s["kind"]["root"], "www/radio.example");
    assert_eq!(s["aliases"], serde_json::json!(["www.radio.example"]));
    let s = k.json(&[
        "site",
        "update",
        "radio.example",
        "--force-https",
        "--hsts",
        "--no-aliases",
    ]);
    assert_eq!(s["aliases"], serde_json::json!([]), "{s}");
    assert_eq!(s["https"]["force_https"], true);
    assert_eq!(s["https"]["hsts"], true);
    let text = k
        .run(&["site", "update", "go.radio.example", "--permanent"])
        .ok()
        .to_owned();
    assert!(text.starts_with("Saved: "), "{text}");

    // Disable, enable, renew.
    let s = k.json(&["site", "disable", "radio.example"]);
    assert_eq!(s["enabled"], false, "{s}");
    let text = k.run(&["site", "list"]).ok().to_owned();
    assert!(text.contains("disabled"), "{text}");
    let text = k.run(&["site", "enable", "radio.example"]).ok().to_owned();
    assert!(text.starts_with("Enabled: "), "{text}");
    let text = k
        .run(&["site", "renew-certificate", "radio.example"])
        .ok()
        .to_owned();
    assert!(text.contains("new certificate is ordered"), "{text}");

    // Soft delete and restore, by host.
    let text = k
        .run(&["site", "delete", "go.radio.example"])
        .ok()
        .to_owned();
    assert!(
        text.contains("Deleted go.radio.example; restorable until"),
        "{text}"
    );
    let list = k.json(&["site", "list", "--deleted"]);
    assert_eq!(items(&list).len(), 1, "{list}");
    assert_eq!(items(&list)[0]["host"], "go.radio.example");
    assert!(items(&list)[0]["deleted_at"].is_i64());
    let text = k
        .run(&["site", "restore", "go.radio.example"])
        .ok()
        .to_owned();
    assert!(text.starts_with("Restored: "), "{text}");

    // Every change is queued for the web provisioner.
    let generation = scalar(
        &k,
        "SELECT generation FROM sites WHERE host = 'radio.example'",
    )
    .await;
    let queued = scalar(
        &k,
        "SELECT q.generation FROM reconcile_queue q JOIN sites s ON s.id = q.object_id \
         WHERE q.kind = 'site' AND s.host = 'radio.example'",
    )
    .await;
    assert!(generation > 1);
    assert_eq!(queued, generation);
}

#[test]
fn site_cli_logs_tail_the_sites_log() {
    let k = radio();
    let s = k.json(&["site", "add", "radio.example", "--type", "static"]);
    let id = s["id"].as_i64().unwrap();
    let logs = k.root.join("site-logs");
    let env = [("KONBIT_WEB__LOG_DIR", logs.to_str().unwrap())];

    // Nothing written yet: nothing to show.
    let out = k.run_env(&["site", "logs", "radio.example"], &env);
    assert_eq!(out.ok().trim(), "", "{out:?}");

    std::fs::create_dir_all(logs.join(id.to_string())).unwrap();
    let lines: Vec<String> = (1..=5).map(|i| format!("GET /page{i} 200")).collect();
    std::fs::write(
        logs.join(id.to_string()).join("access.log"),
        lines.join("\n") + "\n",
    )
    .unwrap();
    std::fs::write(logs.join(id.to_string()).join("error.log"), "oops\n").unwrap();
    let out = k.run_env(&["site", "logs", "radio.example", "--lines", "2"], &env);
    assert_eq!(out.ok(), "GET /page4 200\nGET /page5 200\n", "{out:?}");
    let out = k.run_env(
        &[
            "--output",
            "json",
            "site",
            "logs",
            &id.to_string(),
            "--error",
        ],
        &env,
    );
    let v = out.json();
    assert_eq!(v["log"], "error", "{v}");
    assert_eq!(v["text"], "oops");
}

#[test]
fn site_cli_errors_say_why() {
    let k = radio();
    k.run(&["site", "add", "radio.example", "--type", "static"])
        .ok();

    // Outside the account's domains, bad values: exit 5, the field named.
    let err = k
        .run(&["site", "add", "www.elsewhere.example", "--type", "static"])
        .fails(5)
        .to_owned();
    assert!(err.starts_with("konbit: "), "{err}");
    assert!(err.contains("  - "), "{err}");
    let out = k.run(&[
        "--output",
        "json",
        "site",
        "add",
        "app.radio.example",
        "--type",
        "proxy",
        "--port",
        "70000",
    ]);
    let problem: Value = serde_json::from_str(out.fails(5).trim()).unwrap();
    assert_eq!(problem["code"], "invalid_input");
    assert_eq!(problem["errors"][0]["field"], "proxy_port", "{problem}");
    assert_eq!(problem["errors"][0]["rule"], "out_of_range");
    let out = k.run(&[
        "--output",
        "json",
        "site",
        "add",
        "www.radio.example",
        "--type",
        "static",
        "--root",
        "../etc",
    ]);
    let problem: Value = serde_json::from_str(out.fails(5).trim()).unwrap();
    assert_eq!(problem["errors"][0]["field"], "root", "{problem}");
    assert_eq!(problem["errors"][0]["rule"], "path_format");
    // A site's other names are worded as such, not as mail aliases.
    let err = k
        .run(&[
            "site",
            "add",
            "www.radio.example",
            "--type",
            "static",
            "--alias",
            "a b.radio.example",
        ])
        .fails(5)
        .to_owned();
    assert!(err.contains("  - "), "{err}");
    assert!(!err.contains("Mail aliases"), "{err}");
    let out = k.run(&[
        "--output",
        "json",
        "site",
        "add",
        "www.radio.example",
        "--type",
        "static",
        "--alias",
        "elsewhere.example",
    ]);
    let problem: Value = serde_json::from_str(out.fails(5).trim()).unwrap();
    assert_eq!(problem["errors"][0]["field"], "aliases", "{problem}");
    assert_eq!(problem["errors"][0]["rule"], "host_outside_account");
    // The same name twice.
    let out = k.run(&[
        "--output",
        "json",
        "site",
        "add",
        "radio.example",
        "--type",
        "php",
    ]);
    let problem: Value = serde_json::from_str(out.fails(5).trim()).unwrap();
    assert_eq!(problem["errors"][0]["rule"], "duplicate_site_name");

    // Not found, conflicts, usage errors.
    k.run(&["site", "show", "nowhere.example"]).fails(4);
    k.run(&["site", "show", "999"]).fails(4);
    k.run(&["site", "show", "a;b"]).fails(4);
    k.run(&["site", "restore", "radio.example"]).fails(3);
    k.run(&["site", "add", "www.radio.example", "--type", "cgi"])
        .fails(2);
    k.run(&["site", "add", "www.radio.example"]).fails(2);
    k.run(&[
        "site",
        "add",
        "www.radio.example",
        "--type",
        "static",
        "--certificate",
        "--no-certificate",
    ])
    .fails(2);
    let err = k
        .run(&[
            "site",
            "update",
            "radio.example",
            "--no-certificate",
            "--force-https",
        ])
        .fails(5)
        .to_owned();
    assert!(err.contains("  - "), "{err}");
}
