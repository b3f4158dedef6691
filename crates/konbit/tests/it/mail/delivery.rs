//! Incoming mail: mailboxes, aliases, the catch-all, domain aliases,
//! disabled and deleted mailboxes, passwords and the quota.

use super::{MailEnv, PASSWORD, until_count};
use konbit_testkit::mail::{imap_fetch_latest, imap_login_ok, send};
use reqwest::Method;
use serde_json::json;

const OUTSIDE: &str = "friend@outside.example";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mailbox_created_through_the_api_receives_mail_read_over_imap() {
    let Some(env) = MailEnv::start(false).await else {
        return;
    };
    env.mail_domain("radio.test").await;
    env.mailbox("ada@radio.test", 50).await;
    env.until_login("ada@radio.test").await;
    send(
        env.mail.smtp_addr(),
        OUTSIDE,
        &["ada@radio.test"],
        "Réunion jeudi",
        "On se retrouve à 18 h.",
        None,
    )
    .await
    .unwrap();
    until_count(&env, "ada@radio.test", 1).await;
    let text = imap_fetch_latest(env.mail.imap_addr(), "ada@radio.test", PASSWORD)
        .await
        .unwrap()
        .unwrap();
    assert!(text.contains("On se retrouve"), "{text}");
    // The mailbox is live in the API too.
    env.until_applied("radio.test").await;
    let v = env
        .call(
            Method::GET,
            "/api/v1/mailboxes/ada@radio.test",
            json!(null),
            200,
        )
        .await;
    assert_eq!(v["status"], "applied", "{v:#}");
    // A wrong password is refused; the right one still works.
    assert!(
        !imap_login_ok(env.mail.imap_addr(), "ada@radio.test", "wrong password!!")
            .await
            .unwrap()
    );
    // A new password set from the API is the one Dovecot checks.
    env.call(
        Method::PUT,
        "/api/v1/mailboxes/ada@radio.test/password",
        json!({ "password": "a brand new passphrase" }),
        204,
    )
    .await;
    let mut changed = false;
    for _ in 0..200 {
        if imap_login_ok(
            env.mail.imap_addr(),
            "ada@radio.test",
            "a brand new passphrase",
        )
        .await
        .unwrap()
        {
            changed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(changed, "the new password never worked");
    assert!(
        !imap_login_ok(env.mail.imap_addr(), "ada@radio.test", PASSWORD)
            .await
            .unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aliases_fan_out_the_catch_all_catches_and_domain_aliases_deliver() {
    let Some(env) = MailEnv::start(false).await else {
        return;
    };
    env.mail_domain("radio.test").await;
    env.mailbox("ada@radio.test", 50).await;
    env.mailbox("bob@radio.test", 50).await;
    env.mailbox("cleo@radio.test", 50).await;
    env.call(
        Method::POST,
        "/api/v1/aliases",
        json!({ "source": "info@radio.test", "destinations": ["ada@radio.test", "bob@radio.test"] }),
        201,
    )
    .await;
    env.call(
        Method::POST,
        "/api/v1/aliases",
        json!({ "source": "@radio.test", "destinations": ["cleo@radio.test"] }),
        201,
    )
    .await;
    // radio-alias.test is a domain alias of radio.test.
    env.call(
        Method::POST,
        "/api/v1/domains",
        json!({ "account": "radio", "name": "radio-alias.test", "alias_of": "radio.test" }),
        201,
    )
    .await;
    env.until_applied("radio.test").await;
    for a in ["ada@radio.test", "bob@radio.test", "cleo@radio.test"] {
        env.until_login(a).await;
    }
    let to = |rcpt: &'static str, subject: &'static str| {
        let smtp = env.mail.smtp_addr();
        async move {
            send(smtp, OUTSIDE, &[rcpt], subject, "bonjour", None)
                .await
                .unwrap_or_else(|e| panic!("to {rcpt}: {e}"));
        }
    };
    to("info@radio.test", "to the alias").await;
    until_count(&env, "ada@radio.test", 1).await;
    until_count(&env, "bob@radio.test", 1).await;
    // The catch-all takes unknown addresses, never a mailbox's own mail.
    to("nobody@radio.test", "to nobody").await;
    until_count(&env, "cleo@radio.test", 1).await;
    to("ada@radio.test", "to ada").await;
    until_count(&env, "ada@radio.test", 2).await;
    // The domain alias lands in the same mailboxes.
    to("bob@radio-alias.test", "to bob through the alias domain").await;
    until_count(&env, "bob@radio.test", 2).await;
    let latest = imap_fetch_latest(env.mail.imap_addr(), "bob@radio.test", PASSWORD)
        .await
        .unwrap()
        .unwrap();
    assert!(latest.contains("through the alias domain"), "{latest}");
    assert_eq!(
        konbit_testkit::mail::imap_count(env.mail.imap_addr(), "cleo@radio.test", PASSWORD)
            .await
            .unwrap(),
        1,
        "the catch-all took a mailbox's mail"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_and_deleted_mailboxes_are_refused_at_rcpt_even_with_a_catch_all() {
    let Some(env) = MailEnv::start(false).await else {
        return;
    };
    env.mail_domain("radio.test").await;
    env.mailbox("ada@radio.test", 50).await;
    env.mailbox("bob@radio.test", 50).await;
    env.mailbox("cleo@radio.test", 50).await;
    env.call(
        Method::POST,
        "/api/v1/aliases",
        json!({ "source": "@radio.test", "destinations": ["cleo@radio.test"] }),
        201,
    )
    .await;
    env.until_login("ada@radio.test").await;
    env.call(
        Method::PATCH,
        "/api/v1/mailboxes/ada@radio.test",
        json!({ "enabled": false }),
        200,
    )
    .await;
    env.call(
        Method::DELETE,
        "/api/v1/mailboxes/bob@radio.test",
        json!(null),
        200,
    )
    .await;
    env.until_applied("radio.test").await;
    for rcpt in ["ada@radio.test", "bob@radio.test"] {
        let err = send(env.mail.smtp_addr(), OUTSIDE, &[rcpt], "hello", "hi", None)
            .await
            .unwrap_err();
        assert!(
            err.contains("550") || err.contains("5.1.1"),
            "{rcpt}: {err}"
        );
        assert!(
            !imap_login_ok(env.mail.imap_addr(), rcpt, PASSWORD)
                .await
                .unwrap()
        );
    }
    // Restored, bob's address works again.
    env.call(
        Method::POST,
        "/api/v1/mailboxes/bob@radio.test/restore",
        json!(null),
        200,
    )
    .await;
    env.until_login("bob@radio.test").await;
    send(
        env.mail.smtp_addr(),
        OUTSIDE,
        &["bob@radio.test"],
        "back",
        "hi",
        None,
    )
    .await
    .unwrap();
    until_count(&env, "bob@radio.test", 1).await;
    assert_eq!(
        konbit_testkit::mail::imap_count(env.mail.imap_addr(), "cleo@radio.test", PASSWORD)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_quota_mail_is_refused_and_the_mailbox_stays_intact() {
    let Some(env) = MailEnv::start(false).await else {
        return;
    };
    env.mail_domain("radio.test").await;
    env.mailbox("ada@radio.test", 1).await;
    env.until_login("ada@radio.test").await;
    let big = "Lorem ipsum dolor sit amet. ".repeat(25_000); // about 700 KB
    send(
        env.mail.smtp_addr(),
        OUTSIDE,
        &["ada@radio.test"],
        "first",
        &big,
        None,
    )
    .await
    .unwrap();
    until_count(&env, "ada@radio.test", 1).await;
    // 1 MB + 10 % grace: the second one does not fit. It is refused while
    // the sender is still connected, or bounced; never stored.
    let _ = send(
        env.mail.smtp_addr(),
        OUTSIDE,
        &["ada@radio.test"],
        "second",
        &big,
        None,
    )
    .await;
    // 5.2.2: "mailbox full", whether said at RCPT or in the bounce.
    env.mail
        .wait_for_maillog(
            &["ada@radio.test", "5.2.2"],
            std::time::Duration::from_secs(15),
        )
        .await
        .unwrap();
    until_count(&env, "ada@radio.test", 1).await;
    let first = imap_fetch_latest(env.mail.imap_addr(), "ada@radio.test", PASSWORD)
        .await
        .unwrap()
        .unwrap();
    assert!(first.contains("Subject: first"), "the kept message changed");
    // Used storage is measured for the panel.
    konbit_provision::mail::refresh_usage(
        &env.t.app.store,
        &konbit_provision::mail::MailTarget {
            lookup_db: env.mail.dir().join("unused"),
            group: None,
            vmail_root: env.mail.vmail_dir(),
            sieve_dir: env.mail.sieve_dir().to_owned(),
            sievec: None,
            mail_group: None,
            dkim: None,
            busy_timeout: std::time::Duration::from_millis(500),
        },
    )
    .await
    .unwrap();
    let v = env
        .call(
            Method::GET,
            "/api/v1/mailboxes/ada@radio.test",
            json!(null),
            200,
        )
        .await;
    let used = v["used_bytes"].as_u64().unwrap();
    assert!(used > 600_000 && used < 1_100_000, "used_bytes {used}");
}
