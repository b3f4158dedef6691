//! Outgoing mail: submission with a login, the sender restriction across
//! accounts, automatic replies, and DKIM signatures checked against the key
//! PowerDNS publishes.

use super::{MailEnv, PASSWORD, until_count};
use konbit_testkit::mail::{Tls, build_message, dkim_verify, imap_fetch_latest, send_submission};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

/// A second account, "other", with its own domain and mailbox.
async fn other_account(env: &MailEnv) {
    let (_, owner, _) = env.t.seed_account("other").await.unwrap();
    let token = env
        .t
        .token_for(&owner, &["domains:write", "mail:write"])
        .await
        .unwrap();
    let api = env.t.api(Some(&token)).unwrap();
    for (method, path, body) in [
        (
            Method::POST,
            "/api/v1/domains",
            json!({ "account": "other", "name": "other.test", "dnssec": false }),
        ),
        (
            Method::PUT,
            "/api/v1/domains/other.test/mail",
            json!({ "enabled": true }),
        ),
        (
            Method::POST,
            "/api/v1/mailboxes",
            json!({ "address": "eve@other.test", "password": PASSWORD, "quota_mb": 10 }),
        ),
    ] {
        let res = api.send_json(method, path, &body).await.unwrap();
        assert!(
            res.status().is_success(),
            "{path}: {}",
            res.text().await.unwrap()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_may_send_only_as_addresses_of_their_own_account() {
    let Some(env) = MailEnv::start(false).await else {
        return;
    };
    env.mail_domain("radio.test").await;
    env.mailbox("ada@radio.test", 50).await;
    env.mailbox("bob@radio.test", 50).await;
    other_account(&env).await;
    env.until_login("ada@radio.test").await;
    env.until_login("eve@other.test").await;
    let submit = |login: &'static str, from: &'static str, tls: Tls, port: std::net::SocketAddr| async move {
        let msg = build_message(from, &["bob@radio.test"], "hello", "hi", &[]).unwrap();
        send_submission(
            port,
            tls,
            Some((login, PASSWORD)),
            from,
            &["bob@radio.test"],
            &msg,
        )
        .await
    };
    // Own address, on 587 (STARTTLS) and 465 (TLS).
    submit(
        "eve@other.test",
        "eve@other.test",
        Tls::Starttls,
        env.mail.submission_addr(),
    )
    .await
    .unwrap();
    submit(
        "ada@radio.test",
        "ada@radio.test",
        Tls::Implicit,
        env.mail.submissions_addr(),
    )
    .await
    .unwrap();
    until_count(&env, "bob@radio.test", 2).await;
    // Another account's address, or a domain of another account: refused.
    for from in ["ada@radio.test", "anything@radio.test"] {
        let err = submit(
            "eve@other.test",
            from,
            Tls::Starttls,
            env.mail.submission_addr(),
        )
        .await
        .unwrap_err();
        assert!(err.contains("553"), "eve as {from}: {err}");
    }
    // No login before TLS on 587.
    let msg = build_message("ada@radio.test", &["bob@radio.test"], "x", "x", &[]).unwrap();
    assert!(
        send_submission(
            env.mail.submission_addr(),
            Tls::None,
            Some(("ada@radio.test", PASSWORD)),
            "ada@radio.test",
            &["bob@radio.test"],
            &msg,
        )
        .await
        .is_err()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    until_count(&env, "bob@radio.test", 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_autoreply_answers_once_per_sender_and_never_a_list() {
    let Some(env) = MailEnv::start(false).await else {
        return;
    };
    env.mail_domain("radio.test").await;
    env.mailbox("ada@radio.test", 50).await;
    env.mailbox("bob@radio.test", 50).await;
    env.mailbox("cleo@radio.test", 50).await;
    env.call(
        Method::PUT,
        "/api/v1/mailboxes/ada@radio.test/autoreply",
        json!({ "enabled": true, "subject": "Absente", "body": "De retour lundi.\nBack on Monday.",
                "start_date": "", "end_date": "" }),
        200,
    )
    .await;
    env.until_applied("radio.test").await;
    env.until_login("ada@radio.test").await;
    let write = |from: &'static str, headers: &'static [(&'static str, &'static str)]| {
        let port = env.mail.submission_addr();
        async move {
            let msg = build_message(from, &["ada@radio.test"], "question", "?", headers).unwrap();
            send_submission(
                port,
                Tls::Starttls,
                Some((from, PASSWORD)),
                from,
                &["ada@radio.test"],
                &msg,
            )
            .await
            .unwrap();
        }
    };
    write("bob@radio.test", &[]).await;
    until_count(&env, "ada@radio.test", 1).await;
    until_count(&env, "bob@radio.test", 1).await;
    let reply = imap_fetch_latest(env.mail.imap_addr(), "bob@radio.test", PASSWORD)
        .await
        .unwrap()
        .unwrap();
    assert!(reply.contains("Absente"), "{reply}");
    assert!(reply.contains("Auto-Submitted: auto-replied"), "{reply}");
    // The same sender again, and a list message: no more replies.
    write("bob@radio.test", &[]).await;
    write("cleo@radio.test", &[("List-Id", "<team.radio.test>")]).await;
    until_count(&env, "ada@radio.test", 3).await;
    // Give a wrong reply time to arrive before checking there is none.
    tokio::time::sleep(Duration::from_secs(2)).await;
    until_count(&env, "bob@radio.test", 1).await;
    until_count(&env, "cleo@radio.test", 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outgoing_mail_is_signed_with_the_key_published_in_powerdns() {
    let Some(env) = MailEnv::start(true).await else {
        return;
    };
    env.mail_domain("radio.test").await;
    env.mailbox("ada@radio.test", 50).await;
    env.mailbox("bob@radio.test", 50).await;
    env.until_applied("radio.test").await;
    env.until_login("ada@radio.test").await;
    let settings = env
        .call(
            Method::GET,
            "/api/v1/domains/radio.test/mail",
            json!(null),
            200,
        )
        .await;
    let selector = settings["dkim"][0]["selector"].as_str().unwrap().to_owned();
    // PowerDNS serves the public key.
    let pdns = env.pdns.as_ref().unwrap();
    let name = format!("{selector}._domainkey.radio.test");
    let mut published = false;
    for _ in 0..200 {
        if pdns
            .dig(&name, "TXT")
            .unwrap()
            .iter()
            .any(|t| t.contains("v=DKIM1"))
        {
            published = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(published, "{name} is not served");
    let msg = build_message(
        "ada@radio.test",
        &["bob@radio.test"],
        "signed",
        "Bonjour.",
        &[],
    )
    .unwrap();
    send_submission(
        env.mail.submission_addr(),
        Tls::Starttls,
        Some(("ada@radio.test", PASSWORD)),
        "ada@radio.test",
        &["bob@radio.test"],
        &msg,
    )
    .await
    .unwrap();
    until_count(&env, "bob@radio.test", 1).await;
    let received = imap_fetch_latest(env.mail.imap_addr(), "bob@radio.test", PASSWORD)
        .await
        .unwrap()
        .unwrap();
    assert!(received.contains(&format!("s={selector}")), "{received}");
    let verdict = dkim_verify(&received, pdns.addr()).await.unwrap();
    assert!(verdict.contains("succeeded"), "{verdict}");
    let tampered = received.replace("Bonjour.", "Bonsoir.");
    let verdict = dkim_verify(&tampered, pdns.addr())
        .await
        .unwrap_or_default();
    assert!(!verdict.contains("succeeded"), "{verdict}");
}
