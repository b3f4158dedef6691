//! `konbit list …` run for real, in text and JSON, against its own state
//! directory (no Mailman: changes stay queued for the list provisioner).

use crate::api::items;
use crate::cli::Konbit;
use serde_json::{Value, json};

/// A state directory made by `konbit init`, lists on, with account
/// `radio` and its domain `radio.example`, mail on.
fn radio_with_lists() -> Konbit {
    let k = Konbit::init();
    let mut config = std::fs::read_to_string(&k.config).unwrap();
    config.push_str("\n[lists]\nenabled = true\n");
    std::fs::write(&k.config, config).unwrap();
    radio_with_mail(&k);
    k
}

fn radio_with_mail(k: &Konbit) {
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
    k.run(&["mail", "on", "radio.example"]).ok();
}

async fn scalar(k: &Konbit, sql: &'static str) -> i64 {
    let db = format!("sqlite://{}", k.state.join("konbit.db").display());
    let pool = sqlx::SqlitePool::connect(&db).await.unwrap();
    let n: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
    pool.close().await;
    n
}

fn addresses(list: &Value) -> Vec<&str> {
    items(list)
        .iter()
        .map(|l| l["address"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn list_cli_add_list_show_update_delete_restore() {
    let k = radio_with_lists();

    // The address alone: the settings take their defaults.
    let text = k
        .run(&["list", "add", "News@Radio.Example"])
        .ok()
        .to_owned();
    assert!(
        text.starts_with("Added mailing list news@radio.example (list "),
        "{text}"
    );
    // Every setting as a flag, in JSON.
    let team = k.json(&[
        "list",
        "add",
        "team@radio.example",
        "--description",
        "The team's discussion",
        "--subscription",
        "moderate",
        "--posting",
        "anyone",
        "--reply-to-address",
        "Desk@Radio.Example",
        "--munge-from",
        "off",
        "--archives",
        "off",
        "--digest",
        "on",
        "--language",
        "en",
    ]);
    assert_eq!(team["address"], "team@radio.example", "{team}");
    assert_eq!(team["account"], "radio");
    assert_eq!(
        team["settings"],
        json!({
            "description": "The team's discussion",
            "subscription": "moderate",
            "posting": "anyone",
            "reply_to": "address",
            "reply_to_address": "desk@radio.example",
            "munge_from": false,
            "archives": false,
            "digest": true,
            "language": "en",
        }),
        "{team}"
    );
    assert_eq!(team["status"]["state"], "pending");

    // Lists: aligned text, and JSON.
    let text = k.run(&["list", "list"]).ok().to_owned();
    let lines: Vec<&str> = text.lines().collect();
    for column in [
        "ID",
        "ADDRESS",
        "ACCOUNT",
        "STATUS",
        "SUBSCRIPTION",
        "POSTING",
    ] {
        assert!(lines[0].contains(column), "{column} in {text}");
    }
    assert!(text.ends_with("2 mailing lists\n"), "{text}");
    let status_at = lines[0].find("STATUS").unwrap();
    for line in &lines[1..3] {
        assert_eq!(
            line.get(status_at..status_at + 7),
            Some("pending"),
            "aligned: {text}"
        );
    }
    let list = k.json(&["list", "list", "--account", "radio"]);
    assert_eq!(
        addresses(&list),
        ["news@radio.example", "team@radio.example"]
    );
    let news = &items(&list)[0];
    let id = news["id"].as_i64().unwrap().to_string();
    assert_eq!(news["settings"]["subscription"], "confirm", "{news}");
    assert_eq!(news["settings"]["munge_from"], true);
    assert_eq!(news["settings"]["archives"], true);
    assert_eq!(news["settings"]["digest"], false);
    assert_eq!(news["settings"]["language"], "fr");

    // Show, by address or by id.
    let text = k
        .run(&["list", "show", "news@radio.example"])
        .ok()
        .to_owned();
    for needle in [
        "news@radio.example (mailing list ",
        "account radio",
        "pending",
        "subscription: confirm (anyone who confirms from their mailbox)",
        "posting:      members",
        "replies to:   the author",
        "munge From:   on",
        "archives:     on",
        "digest:       off",
        "language:     fr",
    ] {
        assert!(text.contains(needle), "{needle:?} in {text}");
    }
    let shown = k.json(&["list", "show", &id]);
    assert_eq!(shown["address"], "news@radio.example");

    // Update: what is not given stays.
    let text = k
        .run(&[
            "list",
            "update",
            "news@radio.example",
            "--posting",
            "moderated",
            "--digest",
            "on",
            "--description",
            "Radio news",
        ])
        .ok()
        .to_owned();
    assert!(text.starts_with("Saved: news@radio.example"), "{text}");
    let v = k.json(&["list", "update", &id, "--reply-to", "list"]);
    assert_eq!(
        v["settings"],
        json!({
            "description": "Radio news",
            "subscription": "confirm",
            "posting": "moderated",
            "reply_to": "list",
            "reply_to_address": null,
            "munge_from": true,
            "archives": true,
            "digest": true,
            "language": "fr",
        }),
        "{v}"
    );
    assert_eq!(v["status"]["generation"], 3);

    // Every change is queued for the list provisioner.
    let generation = scalar(
        &k,
        "SELECT generation FROM mailing_lists WHERE name = 'news'",
    )
    .await;
    let queued = scalar(
        &k,
        "SELECT q.generation FROM reconcile_queue q JOIN mailing_lists l ON l.id = q.object_id \
         WHERE q.kind = 'mailing_list' AND l.name = 'news'",
    )
    .await;
    assert_eq!(generation, 3);
    assert_eq!(queued, generation);

    // Delete: mail stops, the list is kept until the purge.
    let text = k.run(&["list", "delete", &id]).ok().to_owned();
    assert!(
        text.starts_with("Deleted news@radio.example: its mail is refused"),
        "{text}"
    );
    assert!(
        text.contains(&format!("konbit list restore {id}")),
        "{text}"
    );
    assert_eq!(
        addresses(&k.json(&["list", "list"])),
        ["team@radio.example"]
    );
    let all = k.json(&["list", "list", "--deleted"]);
    assert_eq!(
        addresses(&all),
        ["news@radio.example", "team@radio.example"]
    );
    assert!(items(&all)[0]["purge_after"].is_i64(), "{all}");
    let text = k.run(&["list", "list", "--deleted"]).ok().to_owned();
    assert!(
        text.lines()
            .any(|l| l.contains("news@radio.example") && l.contains("deleted")),
        "{text}"
    );
    let text = k.run(&["list", "show", &id]).ok().to_owned();
    assert!(text.contains("restorable until"), "{text}");
    // A deleted list is not changed, nor deleted again.
    k.run(&["list", "update", &id, "--digest", "off"]).fails(4);
    k.run(&["list", "delete", &id]).fails(4);

    // Restore, by address; a live list is not restored.
    let text = k
        .run(&["list", "restore", "news@radio.example"])
        .ok()
        .to_owned();
    assert!(text.starts_with("Restored: "), "{text}");
    assert!(text.contains("news@radio.example"), "{text}");
    let err = k.run(&["list", "restore", &id]).fails(3).to_owned();
    assert!(err.contains("this list is not deleted"), "{err}");
    let v = k.json(&["list", "show", &id]);
    assert_eq!(v["deleted_at"], Value::Null, "{v}");
    assert_eq!(v["settings"]["description"], "Radio news");

    // JSON delete gives the list, with when it goes for good.
    let v = k.json(&["list", "delete", "team@radio.example"]);
    assert!(v["purge_after"].is_i64(), "{v}");
    assert_eq!(
        scalar(&k, "SELECT count(*) FROM mailing_lists").await,
        2,
        "deleted lists are kept until the purge"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn list_cli_refuses_bad_values_and_says_why() {
    let k = radio_with_lists();

    // A quote in the name: the rule's message, nothing stored.
    let err = k
        .run(&["list", "add", "a'b@radio.example"])
        .fails(5)
        .to_owned();
    assert!(err.starts_with("konbit: "), "{err}");
    assert!(
        err.contains("  - Address: use lowercase letters, digits, hyphens, underscores and dots"),
        "{err}"
    );
    // Mailman's own addresses, in JSON: the field and the rule.
    let out = k.run(&[
        "--output",
        "json",
        "list",
        "add",
        "team-bounces@radio.example",
    ]);
    let problem: Value = serde_json::from_str(out.fails(5).trim()).unwrap();
    assert_eq!(problem["code"], "invalid_input", "{problem}");
    assert_eq!(problem["errors"][0]["field"], "address", "{problem}");
    assert_eq!(problem["errors"][0]["rule"], "reserved");
    // A newline in the name or the description, `../` in the name, a
    // reply address missing or hiding a header.
    for (args, needle) in [
        (
            &["list", "add", "a\nb@radio.example"][..],
            "  - Address: line breaks",
        ),
        (
            &["list", "add", "../team@radio.example"],
            "  - Address: use lowercase",
        ),
        (
            &[
                "list",
                "add",
                "team@radio.example",
                "--description",
                "News\nBcc: all@elsewhere.example",
            ],
            "  - Description: line breaks",
        ),
        (
            &["list", "add", "team@radio.example", "--reply-to", "address"],
            "  - Reply address: ",
        ),
        (
            &[
                "list",
                "add",
                "team@radio.example",
                "--reply-to-address",
                "desk@radio.example\nBcc: x@elsewhere.example",
            ],
            "  - Reply address: line breaks",
        ),
        (&["list", "add", "team"], "  - Address: "),
    ] {
        let err = k.run(args).fails(5).to_owned();
        assert!(err.contains(needle), "{args:?}: {needle:?} in {err}");
    }
    // Several at once, each named.
    let out = k.run(&[
        "--output",
        "json",
        "list",
        "add",
        "a'b@radio.example",
        "--description",
        "a\nb",
        "--reply-to",
        "address",
    ]);
    let problem: Value = serde_json::from_str(out.fails(5).trim()).unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["address", "description", "reply_to_address"],
        "{problem}"
    );
    // Choices clap knows are refused before anything runs, listing the
    // good ones.
    let err = k
        .run(&[
            "list",
            "add",
            "team@radio.example",
            "--subscription",
            "everyone",
        ])
        .fails(2)
        .to_owned();
    assert!(err.contains("open") && err.contains("moderate"), "{err}");
    k.run(&["list", "add", "team@radio.example", "--digest", "maybe"])
        .fails(2);
    k.run(&["list", "add", "team@radio.example", "--language", "de"])
        .fails(2);
    assert_eq!(scalar(&k, "SELECT count(*) FROM mailing_lists").await, 0);
    assert_eq!(
        scalar(
            &k,
            "SELECT count(*) FROM reconcile_queue WHERE kind = 'mailing_list'"
        )
        .await,
        0
    );

    // The same name twice; a bad setting on update changes nothing.
    k.run(&["list", "add", "news@radio.example"]).ok();
    let err = k
        .run(&["list", "add", "news@radio.example"])
        .fails(5)
        .to_owned();
    assert!(err.contains("  - Address: "), "{err}");
    let before = k.json(&["list", "show", "news@radio.example"]);
    let err = k
        .run(&[
            "list",
            "update",
            "news@radio.example",
            "--description",
            "a\rb",
            "--digest",
            "on",
        ])
        .fails(5)
        .to_owned();
    assert!(err.contains("  - Description: line breaks"), "{err}");
    assert_eq!(k.json(&["list", "show", "news@radio.example"]), before);

    // What does not exist: a domain, a list, an account.
    k.run(&["list", "add", "news@nowhere.example"]).fails(4);
    k.run(&["list", "show", "999"]).fails(4);
    k.run(&["list", "show", "nobody@radio.example"]).fails(4);
    k.run(&["list", "show", "nobody"]).fails(4);
    k.run(&["list", "delete", "999"]).fails(4);
    k.run(&["list", "restore", "999"]).fails(4);
    k.run(&["list", "update", "999", "--digest", "on"]).fails(4);
    k.run(&["list", "list", "--account", "nobody"]).fails(4);

    // A domain without mail takes no list.
    k.run(&["domain", "add", "quiet.example", "--account", "radio"])
        .ok();
    let err = k
        .run(&["list", "add", "news@quiet.example"])
        .fails(3)
        .to_owned();
    assert!(err.contains("mail is off for this domain"), "{err}");
    assert_eq!(scalar(&k, "SELECT count(*) FROM mailing_lists").await, 1);
}

#[test]
fn list_cli_says_when_lists_are_not_set_up() {
    let k = Konbit::init();
    radio_with_mail(&k);
    let err = k
        .run(&["list", "add", "news@radio.example"])
        .fails(3)
        .to_owned();
    assert!(
        err.contains("mailing lists are not set up on this server"),
        "{err}"
    );
    let out = k.run(&["--output", "json", "list", "add", "news@radio.example"]);
    let problem: Value = serde_json::from_str(out.fails(3).trim()).unwrap();
    assert_eq!(problem["code"], "conflict", "{problem}");
    assert!(problem.to_string().contains("not set up"), "{problem}");
    let list = k.json(&["list", "list"]);
    assert!(items(&list).is_empty(), "{list}");
    let text = k.run(&["list", "list"]).ok().to_owned();
    assert!(text.ends_with("0 mailing lists\n"), "{text}");
}
