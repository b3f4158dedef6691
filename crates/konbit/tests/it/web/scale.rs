//! A thousand sites: one that nginx refuses fails alone, with nginx's
//! message, and every other site keeps being applied and served.

use super::{Options, WebEnv};
use konbit_app::site::SiteInput;
use konbit_core::authz::Actor;
use konbit_core::model::SiteId;
use konbit_provision::web::limits;
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

const SITES: usize = 1000;

#[tokio::test]
async fn one_broken_site_among_a_thousand_fails_alone() {
    let Some(env) = WebEnv::start(Options::default()).await else {
        return;
    };
    env.raise_site_quota(SITES as u64 + 10).await;
    env.domain("radio.test").await;
    let admin = Actor::system();
    let mut ids = Vec::with_capacity(SITES);
    for i in 0..SITES {
        let v = env
            .t
            .app
            .sites()
            .create(
                &admin,
                SiteInput {
                    host: format!("s{i}.radio.test"),
                    kind: "redirect".into(),
                    redirect_to: format!("https://target{i}.example"),
                    redirect_permanent: true,
                    redirect_keep_path: true,
                    // No CA in this test: certificates stay asked for.
                    certificate: true,
                    ..SiteInput::default()
                },
            )
            .await
            .unwrap();
        ids.push(v.site.id.0);
    }
    let last = *ids.last().unwrap();
    env.until_status_within(last, "applied", Duration::from_secs(240))
        .await;
    env.until_answered("s999.radio.test").await;
    let (status, _) = env.web.head("s999.radio.test", "/").await.unwrap();
    assert_eq!(status, 301);

    // Break one site the way an operator's disk can: its certificate file
    // is garbage, so nginx refuses the site's new file.
    let broken = SiteId(ids[500]);
    let files = env.target.cert_files(broken);
    std::fs::create_dir_all(files.cert.parent().unwrap()).unwrap();
    std::fs::write(&files.cert, "not a certificate").unwrap();
    std::fs::write(&files.key, "not a key").unwrap();
    {
        let mut tx = env.t.app.store.write().await.unwrap();
        tx.want_certificate(broken, konbit_core::model::AccountId(env.radio), 1)
            .await
            .unwrap();
        tx.record_certificate_issued(broken, &["s500.radio.test".to_owned()], 1, i64::MAX / 2, 1)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    // Change the broken site and another one in the same moment.
    env.call(
        Method::PATCH,
        &format!("/api/v1/sites/{}", broken.0),
        json!({ "redirect_to": "https://moved500.example" }),
        200,
    )
    .await;
    env.call(
        Method::PATCH,
        &format!("/api/v1/sites/{}", ids[501]),
        json!({ "redirect_to": "https://moved501.example" }),
        200,
    )
    .await;
    let failed = env.until_status(broken.0, "failed").await;
    let reason = failed["status"]["last_error"].as_str().unwrap();
    assert!(reason.contains("nginx"), "{reason}");
    assert!(
        reason.contains("certificate") || reason.contains("PEM"),
        "{reason}"
    );
    env.until_status(ids[501], "applied").await;
    // The broken site keeps serving its previous file; its neighbour
    // serves its new one; every other site is still there.
    let (_, headers) = env.web.head("s500.radio.test", "/").await.unwrap();
    assert_eq!(
        headers.get("location").unwrap(),
        "https://target500.example/"
    );
    let mut moved = None;
    for _ in 0..250 {
        let (_, headers) = env.web.head("s501.radio.test", "/").await.unwrap();
        moved = headers.get("location").cloned();
        if moved.as_deref() == Some("https://moved501.example/") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(moved.as_deref(), Some("https://moved501.example/"));
    for i in [0, 250, 750, 999] {
        let (status, headers) = env
            .web
            .head(&format!("s{i}.radio.test"), "/")
            .await
            .unwrap();
        assert_eq!(status, 301, "s{i}");
        assert_eq!(
            headers.get("location").unwrap(),
            &format!("https://target{i}.example/")
        );
    }

    // nginx's open files cover a thousand sites' logs; systemd's default
    // of 1024 would not, and the doctor would say so.
    let limit = limits::master_limit(&env.target.nginx.main_conf)
        .expect("the testkit's nginx master is found in /proc");
    let sites = limits::site_files(&env.target.sites_dir);
    assert_eq!(sites, SITES);
    assert_eq!(limits::too_low(limit, sites), None, "{limit:?}");
    let systemd_default = limits::MasterLimit {
        open_files: Some(1024),
        ..limit
    };
    assert!(limits::too_low(systemd_default, sites).is_some());
}
