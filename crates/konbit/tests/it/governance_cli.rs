//! `konbit governance …` and `konbit decisions …` run for real, in text and
//! JSON, against their own state directory. Time cannot be moved from the
//! command line, so a vote is opened and closed by the same App the CLI
//! uses, in process, on the same database file, with `tick(now + N)`.

use crate::api::items;
use crate::cli::Konbit;
use konbit_core::governance::rules::{BodyKind, DecisionRules};
use serde_json::{Value, json};

const DAY: i64 = 24 * 60 * 60;

/// A state directory with account `radio` and its person Camille.
fn radio_with_camille() -> Konbit {
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
    k.run(&[
        "user",
        "add",
        "--account",
        "radio",
        "--email",
        "camille@radio.test",
        "--name",
        "Camille",
        "--role",
        "owner",
    ])
    .ok();
    k
}

/// The App the CLI uses, opened in this process on the same database.
async fn same_app(k: &Konbit) -> konbit_app::App {
    let store = konbit_store::Store::open(&k.state.join("konbit.db"))
        .await
        .unwrap();
    konbit_app::App::new(store, konbit_app::AppConfig::default())
}

async fn execute(k: &Konbit, statements: &[&'static str]) {
    let db = format!("sqlite://{}", k.state.join("konbit.db").display());
    let pool = sqlx::SqlitePool::connect(&db).await.unwrap();
    for s in statements {
        sqlx::query(*s).execute(&pool).await.unwrap();
    }
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn governance_cli_bodies_with_their_rules() {
    let k = radio_with_camille();

    // The help says why the operator cannot vote here.
    let help = k.run(&["governance", "--help"]).ok().to_owned();
    assert!(help.contains("does not vote"), "{help}");
    let help = k.run(&["governance", "proposal", "--help"]).ok().to_owned();
    assert!(help.contains("one-time link"), "{help}");

    // A general assembly with its kind's usual rules, in words.
    let text = k
        .run(&[
            "governance",
            "body",
            "add",
            "--name",
            "General assembly",
            "--kind",
            "general-assembly",
        ])
        .ok()
        .to_owned();
    assert!(
        text.starts_with("Added General assembly (general assembly, body 1)"),
        "{text}"
    );
    for words in [
        "every member account votes, one vote each",
        "discussion:    7 days",
        "vote:          3 days",
        "appeal window: 3 days after the vote closes",
        "at least 1/3 of the voters take part",
        "more than half vote yes",
    ] {
        assert!(text.contains(words), "{words:?} in {text}");
    }

    // A committee from a partial rules file, with its person, in JSON.
    let rules = k.write(
        "committee.json",
        r#"{"vote_seconds": 7200, "visibility": "secret", "default_method": "consent"}"#,
    );
    let committee = k.json(&[
        "governance",
        "body",
        "add",
        "--name",
        "Tech",
        "--kind",
        "committee",
        "--rules-file",
        rules.to_str().unwrap(),
        "--member",
        "Camille@Radio.test",
    ]);
    assert_eq!(committee["id"], 2, "{committee}");
    assert_eq!(committee["kind"], "committee");
    assert_eq!(committee["rules"]["vote_seconds"], 7200);
    assert_eq!(committee["rules"]["visibility"], "secret");
    assert_eq!(committee["rules"]["default_method"], "consent");
    // What the file left out is the kind's usual value.
    let usual = serde_json::to_value(DecisionRules::default_for(BodyKind::Committee)).unwrap();
    assert_eq!(
        committee["rules"]["discussion_seconds"],
        usual["discussion_seconds"]
    );
    assert_eq!(committee["members"][0]["email"], "camille@radio.test");
    assert_eq!(committee["member_count"], 1);

    // The list: aligned text and JSON.
    let text = k.run(&["governance", "body", "list"]).ok().to_owned();
    let lines: Vec<&str> = text.lines().collect();
    for column in ["ID", "NAME", "KIND", "PEOPLE", "DEFAULT METHOD", "VOTE"] {
        assert!(lines[0].contains(column), "{column} in {text}");
    }
    assert!(lines[1].contains("General assembly") && lines[1].contains("members"));
    assert!(lines[2].contains("Tech") && lines[2].contains("consent"));
    assert!(text.ends_with("2 bodies\n"), "{text}");
    let list = k.json(&["governance", "body", "list"]);
    assert_eq!(items(&list).len(), 2, "{list}");

    // Show, by name (any case) and by id.
    let text = k
        .run(&["governance", "body", "show", "tech"])
        .ok()
        .to_owned();
    for words in [
        "Tech (committee, body 2)",
        "the people named on it vote",
        "vote:          2 hours",
        "secret",
        "Camille <camille@radio.test>",
    ] {
        assert!(text.contains(words), "{words:?} in {text}");
    }
    let shown = k.json(&["governance", "body", "show", "1"]);
    assert_eq!(
        shown["rules"],
        serde_json::to_value(DecisionRules::default_for(BodyKind::GeneralAssembly)).unwrap()
    );
    assert_eq!(shown["members"], json!([]));
    k.run(&["governance", "body", "show", "nobody"]).fails(4);

    // A rules file that does not fit names the field and changes nothing.
    let short = k.write("short.json", r#"{"vote_seconds": 60}"#);
    let err = k
        .run(&[
            "governance",
            "body",
            "update",
            "tech",
            "--rules-file",
            short.to_str().unwrap(),
        ])
        .fails(5)
        .to_owned();
    assert!(err.contains("vote_seconds"), "{err}");
    assert!(err.contains("3600") && err.contains("1 hour"), "{err}");
    let err = k
        .run(&[
            "governance",
            "body",
            "add",
            "--name",
            "Board",
            "--kind",
            "board",
            "--rules-file",
            short.to_str().unwrap(),
        ])
        .fails(5)
        .to_owned();
    assert!(err.contains("vote_seconds"), "{err}");
    let typo = k.write("typo.json", r#"{"vote_secs": 7200}"#);
    let err = k
        .run(&[
            "governance",
            "body",
            "update",
            "tech",
            "--rules-file",
            typo.to_str().unwrap(),
        ])
        .fails(5)
        .to_owned();
    assert!(err.contains("unknown field `vote_secs`"), "{err}");
    let dice = k.write("dice.json", r#"{"default_method": "dice"}"#);
    let err = k
        .run(&[
            "governance",
            "body",
            "update",
            "tech",
            "--rules-file",
            dice.to_str().unwrap(),
        ])
        .fails(5)
        .to_owned();
    assert!(err.contains("default_method"), "{err}");
    let other_kind = k.write("kind.json", r#"{"body": "board"}"#);
    let err = k
        .run(&[
            "governance",
            "body",
            "update",
            "tech",
            "--rules-file",
            other_kind.to_str().unwrap(),
        ])
        .fails(5)
        .to_owned();
    assert!(err.contains("never changes"), "{err}");
    // An unknown person is refused by the service, naming the field.
    let err = k
        .run(&[
            "governance",
            "body",
            "update",
            "tech",
            "--member",
            "nobody@radio.test",
        ])
        .fails(5)
        .to_owned();
    assert!(err.to_lowercase().contains("member"), "{err}");
    assert_eq!(
        k.json(&["governance", "body", "show", "2"])["rules"]["vote_seconds"],
        7200
    );

    // Update: a new name and rules; the people stay.
    let longer = k.write("longer.json", r#"{"vote_seconds": 86400}"#);
    let text = k
        .run(&[
            "governance",
            "body",
            "update",
            "2",
            "--name",
            "Tech committee",
            "--rules-file",
            longer.to_str().unwrap(),
        ])
        .ok()
        .to_owned();
    assert!(text.starts_with("Saved: Tech committee"), "{text}");
    assert!(text.contains("vote:          1 day"), "{text}");
    let shown = k.json(&["governance", "body", "show", "2"]);
    assert_eq!(shown["rules"]["visibility"], "secret", "{shown}");
    assert_eq!(shown["members"][0]["email"], "camille@radio.test");
    let cleared = k.json(&["governance", "body", "update", "2", "--no-members"]);
    assert_eq!(cleared["members"], json!([]), "{cleared}");
}

#[tokio::test(flavor = "multi_thread")]
async fn governance_cli_proposals_from_draft_to_discussion() {
    let k = radio_with_camille();
    k.run(&[
        "governance",
        "body",
        "add",
        "--name",
        "Assembly",
        "--kind",
        "general-assembly",
    ])
    .ok();

    // With an action file.
    let action = k.write(
        "action.json",
        r#"{"kind": "set_zone_defaults", "ttl": 600, "spf": "v=spf1 mx -all", "dmarc": "v=DMARC1; p=reject"}"#,
    );
    let added = k.json(&[
        "governance",
        "proposal",
        "add",
        "--body",
        "assembly",
        "--title",
        "Stricter mail policies",
        "--text",
        "New zones reject mail that fails DMARC.",
        "--action-file",
        action.to_str().unwrap(),
    ]);
    assert_eq!(added["id"], 1, "{added}");
    assert_eq!(added["stage"], "draft");
    assert_eq!(added["method"], "yes_no");
    assert_eq!(added["author"], "cli");
    assert_eq!(added["action"]["kind"], "set_zone_defaults");
    assert_eq!(added["action"]["ttl"], 600);

    // What it would change, in words and JSON.
    let text = k
        .run(&["governance", "proposal", "preview", "1"])
        .ok()
        .to_owned();
    assert!(text.starts_with("set_zone_defaults"), "{text}");
    assert!(text.contains("v=DMARC1; p=reject"), "{text}");
    let preview = k.json(&["governance", "proposal", "preview", "1"]);
    assert_eq!(preview["action"]["kind"], "set_zone_defaults", "{preview}");

    // A text from a file, a ranked vote with its options, in text.
    let motion = k.write("motion.txt", "Which day suits the assembly?\n");
    let text = k
        .run(&[
            "governance",
            "proposal",
            "add",
            "--body",
            "1",
            "--title",
            "Assembly day",
            "--text-file",
            motion.to_str().unwrap(),
            "--method",
            "schulze",
            "--option",
            "Saturday",
            "--option",
            "Sunday",
        ])
        .ok()
        .to_owned();
    assert!(
        text.starts_with("Added proposal 2 (a draft): Assembly day"),
        "{text}"
    );

    // Refusals: an action that does not fit, an action file that is not
    // one, a body that does not exist.
    let bad_ttl = k.write(
        "bad.json",
        r#"{"kind": "set_zone_defaults", "ttl": 10, "spf": "v=spf1 mx -all", "dmarc": "v=DMARC1; p=reject"}"#,
    );
    let err = k
        .run(&[
            "governance",
            "proposal",
            "add",
            "--body",
            "1",
            "--title",
            "Too short",
            "--text",
            "A TTL of ten seconds.",
            "--action-file",
            bad_ttl.to_str().unwrap(),
        ])
        .fails(5)
        .to_owned();
    assert!(err.to_lowercase().contains("ttl"), "{err}");
    let not_action = k.write("nothing.json", r#"{"kind": "delete_everything"}"#);
    let err = k
        .run(&[
            "governance",
            "proposal",
            "add",
            "--body",
            "1",
            "--title",
            "Nothing",
            "--text",
            "Nothing.",
            "--action-file",
            not_action.to_str().unwrap(),
        ])
        .fails(5)
        .to_owned();
    assert!(err.contains("not a platform action"), "{err}");
    k.run(&[
        "governance",
        "proposal",
        "add",
        "--body",
        "nowhere",
        "--title",
        "T",
        "--text",
        "T",
    ])
    .fails(4);

    // Discussion opens; the vote opens by itself later.
    let text = k
        .run(&["governance", "proposal", "discuss", "1"])
        .ok()
        .to_owned();
    assert!(
        text.starts_with("The discussion of proposal 1 is open until "),
        "{text}"
    );
    let err = k
        .run(&["governance", "proposal", "discuss", "1"])
        .fails(3)
        .to_owned();
    assert!(err.contains("stage"), "{err}");
    let shown = k.json(&["governance", "proposal", "show", "1"]);
    assert_eq!(shown["stage"], "discussion", "{shown}");
    assert!(shown["discussion_ends_at"].as_i64().unwrap() > konbit_app::now() + 6 * DAY);
    assert_eq!(shown["preview"]["action"]["kind"], "set_zone_defaults");
    let text = k
        .run(&["governance", "proposal", "show", "1"])
        .ok()
        .to_owned();
    assert!(
        text.starts_with("Stricter mail policies (proposal 1)"),
        "{text}"
    );
    assert!(text.contains("discussion until"), "{text}");
    assert!(
        text.contains("New zones reject mail that fails DMARC."),
        "{text}"
    );

    // Lists, by stage and body.
    let discussing = k.json(&["governance", "proposal", "list", "--stage", "discussion"]);
    assert_eq!(items(&discussing).len(), 1, "{discussing}");
    let all = k.json(&["governance", "proposal", "list", "--body", "assembly"]);
    assert_eq!(items(&all).len(), 2, "{all}");
    let text = k.run(&["governance", "proposal", "list"]).ok().to_owned();
    assert!(text.lines().next().unwrap().contains("STAGE"), "{text}");
    assert!(text.ends_with("2 proposals\n"), "{text}");

    // Nothing is due now: the discussion lasts a week.
    let text = k.run(&["governance", "tick"]).ok().to_owned();
    assert_eq!(text, "Nothing was due.\n");
    let report = k.json(&["governance", "tick"]);
    assert_eq!(report["votes_opened"], 0, "{report}");

    // The digest goes out once a week, or when forced; a new install
    // starts the week instead of mailing everyone at once.
    let first = k.json(&["governance", "digest"]);
    assert_eq!(first["due"], false, "{first}");
    let text = k.run(&["governance", "digest"]).ok().to_owned();
    assert!(text.starts_with("No digest is due"), "{text}");
    let forced = k.json(&["governance", "digest", "--force"]);
    assert_eq!(forced["due"], true, "{forced}");

    // A rollback needs an applied decision.
    k.run(&["governance", "proposal", "rollback", "1"]).fails(3);
    // So does a retry: nothing failed to carry out.
    let err = k
        .run(&["governance", "proposal", "retry", "1"])
        .fails(3)
        .to_owned();
    assert!(err.contains("tried again"), "{err}");
    // A withdrawn proposal is in the decision log.
    let text = k
        .run(&["governance", "proposal", "withdraw", "1"])
        .ok()
        .to_owned();
    assert!(text.starts_with("Withdrawn: 1"), "{text}");
    let log = k.json(&["decisions", "list"]);
    assert_eq!(log["entries"][0]["event"], "withdrawn", "{log}");
    k.run(&["governance", "proposal", "preview", "2"]).fails(3);
}

#[tokio::test(flavor = "multi_thread")]
async fn decisions_verify_fresh_decided_and_tampered() {
    let k = radio_with_camille();

    // A fresh log: nothing to check, the genesis head.
    let text = k.run(&["decisions", "verify"]).ok().to_owned();
    assert!(
        text.starts_with("The decision log is intact: 0 entries, head hash 0000"),
        "{text}"
    );
    let report = k.json(&["decisions", "verify"]);
    assert_eq!(report["entries"], 0, "{report}");
    assert_eq!(report["intact"], true);
    assert_eq!(report["head"], konbit_core::audit::GENESIS);

    // A committee decides (nobody votes: the quorum is missed).
    k.run(&[
        "governance",
        "body",
        "add",
        "--name",
        "Tech",
        "--kind",
        "committee",
        "--member",
        "camille@radio.test",
    ])
    .ok();
    k.run(&[
        "governance",
        "proposal",
        "add",
        "--body",
        "tech",
        "--title",
        "Move the server",
        "--text",
        "To the new rack.",
    ])
    .ok();
    k.run(&["governance", "proposal", "discuss", "1"]).ok();
    {
        let app = same_app(&k).await;
        let now = konbit_app::now();
        let opened = app.governance().tick(now + 3 * DAY).await.unwrap();
        assert_eq!(opened.votes_opened, 1, "{opened:?}");
        let closed = app.governance().tick(now + 10 * DAY).await.unwrap();
        assert_eq!(closed.votes_closed, 1, "{closed:?}");
        app.store.close().await;
    }
    let shown = k.json(&["governance", "proposal", "show", "1"]);
    assert_eq!(shown["stage"], "rejected", "{shown}");
    assert_eq!(shown["outcome"], "quorum_missed");
    let text = k
        .run(&["governance", "proposal", "show", "1"])
        .ok()
        .to_owned();
    assert!(text.contains("outcome: quorum_missed"), "{text}");
    assert!(
        text.contains("tally: yes 0, no 0, abstain 0; 0 took part, 1 needed"),
        "{text}"
    );
    assert!(text.contains("In the decision log:"), "{text}");

    // The log lists it, and verify prints the same head.
    let log = k.json(&["decisions", "list"]);
    assert_eq!(log["entries"].as_array().unwrap().len(), 1, "{log}");
    assert_eq!(log["entries"][0]["event"], "decided");
    assert_eq!(log["entries"][0]["outcome"], "quorum_missed");
    let head = log["head"].as_str().unwrap().to_owned();
    assert_eq!(log["entries"][0]["hash"], head.as_str());
    let text = k.run(&["decisions", "list"]).ok().to_owned();
    assert!(text.lines().next().unwrap().contains("EVENT"), "{text}");
    assert!(text.contains("Move the server"), "{text}");
    assert!(
        text.contains(&format!("1 entry; head hash {head}")),
        "{text}"
    );
    let text = k.run(&["decisions", "verify"]).ok().to_owned();
    assert_eq!(
        text,
        format!("The decision log is intact: 1 entry, head hash {head}.\n")
    );
    k.run(&["decisions", "list", "--limit", "0"]).fails(5);

    // Someone with the database rewrites the outcome (past the triggers
    // that refuse it): verify names the entry and exits with 1.
    execute(
        &k,
        &[
            "DROP TRIGGER decision_log_no_update",
            "UPDATE decision_log SET outcome = 'adopted' WHERE id = 1",
        ],
    )
    .await;
    let err = k.run(&["decisions", "verify"]).fails(1).to_owned();
    assert!(err.contains("broken at entry #1"), "{err}");
    assert!(err.contains("modified"), "{err}");
    let out = k.run(&["--output", "json", "decisions", "verify"]);
    assert_eq!(out.code, 1, "{out:#?}");
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["intact"], false, "{report}");
    assert_eq!(report["first_bad"]["id"], 1);
    assert_eq!(report["first_bad"]["problem"], "modified");
}
