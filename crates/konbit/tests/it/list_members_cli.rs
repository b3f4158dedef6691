//! `konbit list members|subscribe|unsubscribe|export|staff…` run for real
//! against a real Mailman, reached through the `[lists]` configuration.

use crate::api::items;
use crate::cli::Konbit;
use crate::list_server::closed_port;
use konbit_provision::lists::mailman::{ListAddress, MailHost, MailmanClient};
use konbit_testkit::mailman::{Mailman, MailmanOptions};
use std::os::unix::fs::PermissionsExt;

#[tokio::test(flavor = "multi_thread")]
async fn mailman_list_people_from_the_cli() {
    let k = Konbit::init();
    let options = MailmanOptions {
        smtp: closed_port().await,
        smtp_auth: None,
    };
    let Some(mailman) = Mailman::try_start(&k.root.join("mailman"), options)
        .await
        .unwrap()
    else {
        return;
    };
    let lists_dir = k.state.join("lists");
    std::fs::create_dir_all(&lists_dir).unwrap();
    let password = lists_dir.join("rest-password");
    std::fs::write(&password, format!("{}\n", mailman.rest_password())).unwrap();
    std::fs::set_permissions(&password, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut config = std::fs::read_to_string(&k.config).unwrap();
    config.push_str(&format!(
        "\n[lists]\nenabled = true\nrest_url = \"{}\"\nrest_user = \"{}\"\n",
        mailman.rest_url(),
        mailman.rest_user()
    ));
    std::fs::write(&k.config, config).unwrap();
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
    k.run(&["list", "add", "team@radio.example"]).ok();
    let client = MailmanClient::new(
        &mailman.rest_url(),
        mailman.rest_user(),
        mailman.rest_password(),
    )
    .unwrap();
    let host = MailHost::parse("radio.example").unwrap();
    client
        .ensure_list(&ListAddress::new("team", &host).unwrap())
        .await
        .unwrap();

    // Good lines are done, the bad one is named by its number, and the
    // exit code says something failed.
    let file = k.write(
        "people.txt",
        "alice@example.org\nnot an address\nBob Martin <bob@example.org>\n",
    );
    let out = k.run(&[
        "list",
        "subscribe",
        "team@radio.example",
        "--file",
        file.to_str().unwrap(),
    ]);
    assert_ne!(out.code, 0, "{out:#?}");
    assert!(out.stdout.contains("2 subscribed"), "{out:#?}");
    assert!(out.stdout.contains("line 2:"), "{out:#?}");
    // From standard input, in JSON: all good, exit 0.
    let out = k.run_stdin(
        &[
            "--output",
            "json",
            "list",
            "subscribe",
            "team@radio.example",
            "--file",
            "-",
        ],
        Some("alice@example.org\ncarol@example.org\n"),
    );
    let v = out.json();
    assert_eq!(v["done"], serde_json::json!(["carol@example.org"]));
    assert_eq!(v["unchanged"], serde_json::json!(["alice@example.org"]));

    let members = k.json(&["list", "members", "team@radio.example"]);
    assert_eq!(members["total"], 3);
    assert_eq!(items(&members)[1]["display_name"], "Bob Martin");
    let text = k
        .run(&["list", "members", "team@radio.example"])
        .ok()
        .to_owned();
    assert!(text.contains("3 of 3 subscribers"), "{text}");

    let csv = k
        .run(&["list", "export", "team@radio.example"])
        .ok()
        .to_owned();
    assert!(csv.starts_with("address,name,delivery\r\n"), "{csv}");
    assert!(csv.contains("\"carol@example.org\""), "{csv}");

    let out = k.run_stdin(
        &["list", "unsubscribe", "team@radio.example", "--file", "-"],
        Some("carol@example.org\n"),
    );
    assert!(out.ok().contains("1 unsubscribed"), "{out:#?}");

    k.run(&[
        "list",
        "staff-add",
        "team@radio.example",
        "--role",
        "moderator",
        "mo@example.org",
    ])
    .ok();
    let staff = k.json(&["list", "staff", "team@radio.example"]);
    assert_eq!(
        items(&staff)[0],
        serde_json::json!({ "address": "mo@example.org", "role": "moderator" })
    );
    k.run(&[
        "list",
        "staff-remove",
        "team@radio.example",
        "--role",
        "moderator",
        "mo@example.org",
    ])
    .ok();
    k.run(&[
        "list",
        "staff-remove",
        "team@radio.example",
        "--role",
        "moderator",
        "mo@example.org",
    ])
    .fails(4);

    let held = k.json(&["list", "held", "team@radio.example"]);
    assert_eq!(items(&held).len(), 0);
    k.run(&["list", "moderate", "team@radio.example", "7", "approve"])
        .fails(4);
    let requests = k.json(&["list", "requests", "team@radio.example"]);
    assert_eq!(items(&requests).len(), 0);
    k.run(&["list", "decide", "team@radio.example", "abc123", "discard"])
        .fails(4);
}
