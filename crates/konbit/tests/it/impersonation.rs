//! An admin acts as a member to help them: the member sees it while it
//! lasts, every change records both people, and it ends explicitly.

use konbit_testkit::TestApp;
use konbit_testkit::app::hidden_value;

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_helps_a_member_and_everyone_can_see_it() {
    let t = TestApp::spawn().await.unwrap();
    let (radio, owner, _) = t.seed_account("radio").await.unwrap();
    let cli = konbit_core::authz::Actor::operator_cli();
    let admin = t
        .app
        .users()
        .get_by_email(&cli, "admin@coop.test")
        .await
        .unwrap();
    let admin = konbit_testkit::app::Person {
        id: admin.id,
        email: admin.email.to_string(),
    };
    let mut admin_s = t.session_for(&admin).await.unwrap();
    let owner_s = t.session_for(&owner).await.unwrap();

    // The account page offers it to the admin.
    let page = admin_s
        .get(&format!("/accounts/{}", radio.0))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("/people/{}/impersonate", owner.id.0)));

    let res = admin_s
        .post(&format!("/people/{}/impersonate", owner.id.0), &[])
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let home = admin_s.get("/").await.unwrap().text().await.unwrap();
    assert!(
        home.contains("vous agissez en tant que Owner of radio"),
        "{home}"
    );
    admin_s.csrf = hidden_value(&home, "_csrf").unwrap();

    // The member sees the banner in their own session.
    let theirs = owner_s.get("/").await.unwrap().text().await.unwrap();
    assert!(
        theirs.contains("agit en ce moment dans votre compte"),
        "{theirs}"
    );

    // Acting as the owner, the admin has the owner's rights, not their keys.
    let res = admin_s
        .post(
            &format!("/accounts/{}/people", radio.0),
            &[
                ("email", "new@radio.test"),
                ("display_name", "New"),
                ("password", "a long enough password"),
                ("role", "member"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        admin_s
            .post("/tokens", &[("name", "x"), ("scopes", "accounts:read")])
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        admin_s
            .post(
                "/settings/password",
                &[
                    ("current_password", "x"),
                    ("new_password", "a brand new password"),
                    ("confirm_password", "a brand new password")
                ]
            )
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        admin_s
            .post("/quota-profiles", &[("name", "x")])
            .await
            .unwrap()
            .status(),
        403,
        "no admin rights while acting as a member"
    );

    let res = admin_s.post("/impersonation/end", &[]).await.unwrap();
    assert_eq!(res.status(), 303);
    let home = admin_s.get("/").await.unwrap().text().await.unwrap();
    assert!(!home.contains("vous agissez en tant que"));
    let theirs = owner_s.get("/").await.unwrap().text().await.unwrap();
    assert!(!theirs.contains("agit en ce moment dans votre compte"));

    // The account's log shows the start, the change with both names, and the end.
    let pool = t.db().await.unwrap();
    let rows: Vec<(String, Option<i64>, Option<i64>)> = sqlx::query_as(
        "SELECT action, actor_user_id, impersonator_user_id FROM audit_log WHERE account_id = $1 AND action IN ('impersonation_started', 'membership_added', 'impersonation_ended') ORDER BY id",
    )
    .bind(radio.0)
    .fetch_all(&pool)
    .await
    .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        actions,
        [
            "impersonation_started",
            "membership_added",
            "impersonation_ended"
        ],
        "{rows:?}"
    );
    let added = &rows[1];
    assert_eq!(
        (added.1, added.2),
        (Some(owner.id.0), Some(admin.id.0)),
        "acting person and impersonator"
    );
    // The owner reads it in their audit view.
    let audit = owner_s.get("/audit").await.unwrap().text().await.unwrap();
    assert!(
        audit.contains("Une personne admin a commencé à agir en son nom"),
        "{audit}"
    );
    // The chain still verifies.
    assert!(
        t.app
            .audit()
            .verify(&cli)
            .await
            .unwrap()
            .first_bad
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn nobody_acts_as_an_admin_or_as_themself() {
    let t = TestApp::spawn().await.unwrap();
    let cli = konbit_core::authz::Actor::operator_cli();
    let admin = t
        .app
        .users()
        .get_by_email(&cli, "admin@coop.test")
        .await
        .unwrap();
    let admin = konbit_testkit::app::Person {
        id: admin.id,
        email: admin.email.to_string(),
    };
    let other_admin = t
        .add_person("second@coop.test", "Second Admin", true)
        .await
        .unwrap();
    let s = t.session_for(&admin).await.unwrap();
    let before = t.fingerprint().await.unwrap();
    assert_eq!(
        s.post(&format!("/people/{}/impersonate", other_admin.id.0), &[])
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        s.post(&format!("/people/{}/impersonate", admin.id.0), &[])
            .await
            .unwrap()
            .status(),
        409
    );
    assert_eq!(
        s.post("/people/99999/impersonate", &[])
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(t.fingerprint().await.unwrap(), before);
}
