//! The sessions list in the settings: a person sees theirs and ends any of
//! them, never someone else's.

use konbit_testkit::{PASSWORD, TestApp};

fn end_ids(html: &str) -> Vec<String> {
    html.split("action=\"/settings/sessions/")
        .skip(1)
        .filter_map(|p| p.split_once("/end\"").map(|(id, _)| id.to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_lists_and_ends_their_own_sessions() {
    let t = TestApp::spawn().await.unwrap();
    let (_, owner, member) = t.seed_account("radio").await.unwrap();
    let first = t.sign_in(&owner.email, PASSWORD).await.unwrap();
    let second = t.sign_in(&owner.email, PASSWORD).await.unwrap();
    let other = t.sign_in(&member.email, PASSWORD).await.unwrap();
    let html = second.get("/settings").await.unwrap().text().await.unwrap();
    let ids = end_ids(&html);
    assert_eq!(ids.len(), 2, "{html}");
    assert_eq!(
        html.matches("celle-ci").count(),
        1,
        "the current one is marked"
    );
    assert!(html.contains("127.0.0.1"));
    let member_ids = end_ids(&other.get("/settings").await.unwrap().text().await.unwrap());
    // Someone else's session is not found, and nothing ends.
    let res = second
        .post(&format!("/settings/sessions/{}/end", member_ids[0]), &[])
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(other.get("/").await.unwrap().status(), 200);
    // Ending the first session from the second.
    let html_first = first.get("/settings").await.unwrap().text().await.unwrap();
    let current_row = html_first.split("class=\"current\"").nth(1).unwrap();
    let first_id = end_ids(current_row)[0].clone();
    let res = second
        .post(&format!("/settings/sessions/{first_id}/end"), &[])
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(first.get("/").await.unwrap().status(), 303);
    assert_eq!(second.get("/").await.unwrap().status(), 200);
    let res = second
        .post("/settings/sessions/abc/end", &[])
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}
