//! Co-op governance in the panel over plain HTTP: an admin sets up the
//! general assembly through its form (a member may not even open it), an
//! account's owner writes a proposal and opens its discussion, the vote
//! opens with time, the ballot form posts and the current ballot shows, a
//! bad or stale ballot comes back with its translated reason, and once
//! the vote closes the tally shows. The decision log, one entry, its Atom
//! feed and the one-time vote links work without any session. Every page
//! is checked in French and in English.

use konbit_core::authz::Actor;
use konbit_core::governance::voter::Voter;
use konbit_core::model::ProposalId;
use konbit_testkit::TestApp;
use konbit_testkit::app::{Person, Session, http_client};

const DAY: i64 = 24 * 60 * 60;

pub(crate) struct World {
    pub t: TestApp,
    pub admin: Session,
    /// Owner of the radio account: votes for it.
    pub owner: Session,
    pub owner_person: Person,
    /// A plain member of the radio account.
    pub member: Session,
    pub radio: konbit_core::model::AccountId,
}

pub(crate) async fn world() -> World {
    let t = TestApp::spawn().await.unwrap();
    let (radio, owner_person, member) = t.seed_account("radio").await.unwrap();
    let admin = t
        .app
        .users()
        .get_by_email(&Actor::operator_cli(), "admin@coop.test")
        .await
        .unwrap();
    let admin = t
        .session_for(&Person {
            id: admin.id,
            email: "admin@coop.test".into(),
        })
        .await
        .unwrap();
    let owner = t.session_for(&owner_person).await.unwrap();
    let member = t.session_for(&member).await.unwrap();
    World {
        t,
        admin,
        owner,
        owner_person,
        member,
        radio,
    }
}

/// A page in a language (the language cookie decides: nobody here has a
/// preference).
pub(crate) async fn get(s: &Session, path: &str, lang: &str) -> (u16, String) {
    let res = s
        .http
        .get(format!("{}{path}", s.base))
        .header(
            "cookie",
            format!("{}={}; konbit_lang={lang}", s.cookie_name, s.cookie),
        )
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// A form post in a language; the status, the location and the page.
pub(crate) async fn post(
    s: &Session,
    path: &str,
    lang: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let mut form: Vec<(&str, &str)> = vec![("_csrf", s.csrf.as_str())];
    form.extend_from_slice(fields);
    let res = s
        .http
        .post(format!("{}{path}", s.base))
        .header(
            "cookie",
            format!("{}={}; konbit_lang={lang}", s.cookie_name, s.cookie),
        )
        .header("origin", &s.base)
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, res.text().await.unwrap())
}

/// Every field of the body form, for a general assembly.
fn assembly_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("name", "General assembly"),
        ("body_kind", "general_assembly"),
        ("weighting", "one_vote_per_account"),
        ("proposers", "any_member_of_body"),
        ("default_method", "yes_no"),
        ("quorum_kind", "fraction"),
        ("quorum_bound", "at_least"),
        ("quorum_numerator", "1"),
        ("quorum_denominator", "3"),
        ("threshold", "more_than_half"),
        ("abstentions", "quorum"),
        ("consent_rounds", "3"),
        ("discussion_hours", "48"),
        ("vote_hours", "48"),
        ("appeal_hours", "24"),
        ("visibility", "public_to_members"),
        ("members", ""),
    ]
}

/// The general assembly through the admin's form; its number.
pub(crate) async fn make_assembly(w: &World) -> i64 {
    make_assembly_with(w, &[]).await
}

/// The same, with some of its rules changed.
pub(crate) async fn make_assembly_with(w: &World, changes: &[(&'static str, &'static str)]) -> i64 {
    let mut fields = assembly_fields();
    for (name, value) in changes {
        for field in fields.iter_mut().filter(|(n, _)| n == name) {
            field.1 = value;
        }
    }
    let (status, location, page) = post(&w.admin, "/governance/bodies/new", "en", &fields).await;
    assert_eq!(status, 303, "{page}");
    location
        .strip_prefix("/governance/bodies/")
        .and_then(|r| r.strip_suffix("?flash=gov-body-saved"))
        .unwrap_or_else(|| panic!("{location}"))
        .parse()
        .unwrap()
}

/// A proposal by the radio's owner, through its discussion into the vote.
pub(crate) async fn voting_proposal(w: &World, body: i64, fields: &[(&str, &str)]) -> i64 {
    let body = body.to_string();
    let mut form = vec![("body_id", body.as_str()), ("action", "none")];
    form.extend_from_slice(fields);
    let (status, location, page) = post(&w.owner, "/governance/proposals/new", "en", &form).await;
    assert_eq!(status, 303, "{page}");
    let id: i64 = location
        .strip_prefix("/governance/proposals/")
        .and_then(|r| r.strip_suffix("?flash=gov-proposal-created"))
        .unwrap_or_else(|| panic!("{location}"))
        .parse()
        .unwrap();
    let (status, _, _) = post(
        &w.owner,
        &format!("/governance/proposals/{id}/discussion"),
        "en",
        &[],
    )
    .await;
    assert_eq!(status, 303);
    let report =
        w.t.app
            .governance()
            .tick(konbit_app::now() + 3 * DAY)
            .await
            .unwrap();
    assert_eq!(report.votes_opened, 1, "{report:?}");
    id
}

fn hidden(page: &str, name: &str) -> String {
    konbit_testkit::app::hidden_value(page, name).unwrap_or_else(|| panic!("{name}: {page}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_proposal_goes_from_its_form_through_a_ballot_to_the_public_log() {
    let w = world().await;

    // Only admins make bodies: a member gets "not allowed".
    let (status, page) = get(&w.member, "/governance/bodies/new", "fr").await;
    assert_eq!(status, 403, "{page}");
    let (status, _, _) = post(&w.member, "/governance/bodies/new", "fr", &[("name", "x")]).await;
    assert_eq!(status, 403);
    // The admin's form, with a bad duration told next to its field.
    let (status, page) = get(&w.admin, "/governance/bodies/new", "en").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("name=\"quorum_kind\" value=\"fraction\""),
        "{page}"
    );
    let mut fields = assembly_fields();
    for f in &mut fields {
        if f.0 == "discussion_hours" {
            f.1 = "0";
        }
    }
    let (status, _, page) = post(&w.admin, "/governance/bodies/new", "fr", &fields).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("id=\"f-discussion_hours-error\""), "{page}");
    assert!(page.contains("Discussion (heures)"), "{page}");

    let body = make_assembly(&w).await;
    for lang in ["fr", "en"] {
        let (status, page) = get(&w.member, &format!("/governance/bodies/{body}"), lang).await;
        assert_eq!(status, 200);
        let rules = if lang == "fr" {
            "Une voix par compte membre"
        } else {
            "One vote per member account"
        };
        assert!(page.contains(rules), "{page}");
        // Members read the rules; only admins get the form.
        assert!(!page.contains("name=\"quorum_kind\""), "{page}");
    }

    let id = voting_proposal(
        &w,
        body,
        &[
            ("title", "Twenty <mailboxes>"),
            ("text", "Twenty mailboxes per member & more."),
            ("method", "yes_no"),
        ],
    )
    .await;
    let path = format!("/governance/proposals/{id}");

    // The index, for a member and an admin, in both languages.
    for (s, lang, voting) in [
        (&w.member, "fr", "Votes en cours"),
        (&w.admin, "en", "Open for voting"),
        (&w.member, "en", "Open for voting"),
        (&w.admin, "fr", "Votes en cours"),
    ] {
        let (status, page) = get(s, "/governance", lang).await;
        assert_eq!(status, 200);
        assert!(page.contains(voting), "{page}");
        assert!(page.contains("Twenty &#60;mailboxes&#62;"), "{page}");
        assert!(page.contains("href=\"/governance\" aria-current=\"page\""));
        let (status, page) = get(s, "/governance/proposals/new", lang).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("name=\"mailboxes\""), "{page}");
    }

    // The owner's ballot form: yes / no / abstain and the text's hash.
    let (status, page) = get(&w.owner, &path, "fr").await;
    assert_eq!(status, 200);
    assert!(page.contains("name=\"choice\" value=\"abstain\""), "{page}");
    assert!(
        page.contains("The radio group n&#39;a pas encore voté."),
        "{page}"
    );
    let hash = hidden(&page, "text_hash");
    // A member of the account is not a voter: no form.
    let (_, page) = get(&w.member, &path, "en").await;
    assert!(!page.contains("id=\"ballot-form\""), "{page}");
    assert!(page.contains("You are not among the voters"), "{page}");

    // A member who is no voter is told so, whatever the form holds.
    let (status, _, page) = post(
        &w.member,
        &format!("{path}/ballot"),
        "en",
        &[("text_hash", &hash)],
    )
    .await;
    assert_eq!(status, 403, "{page}");
    assert!(
        page.contains("You are not among the voters of this vote"),
        "{page}"
    );

    // No answer chosen: the form comes back with the reason.
    let ballot = format!("{path}/ballot");
    let (status, _, page) = post(&w.owner, &ballot, "fr", &[("text_hash", &hash)]).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("Choisissez une réponse"), "{page}");
    let (status, _, page) = post(
        &w.owner,
        &ballot,
        "en",
        &[("text_hash", "00"), ("choice", "yes")],
    )
    .await;
    assert_eq!(status, 409, "{page}");
    assert!(
        page.contains("The text was changed since you read it"),
        "{page}"
    );
    // A voter the person does not speak for.
    let other = Voter::Account(konbit_core::model::AccountId(w.radio.0 + 100)).key();
    let (status, _, page) = post(
        &w.owner,
        &ballot,
        "fr",
        &[("text_hash", &hash), ("choice", "yes"), ("voter", &other)],
    )
    .await;
    assert_eq!(status, 403, "{page}");
    assert!(
        page.contains("Vous ne faites pas partie des votants"),
        "{page}"
    );

    // A real ballot, then a change of mind.
    let (status, location, _) = post(
        &w.owner,
        &ballot,
        "en",
        &[("text_hash", &hash), ("choice", "no")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location, format!("{path}?flash=gov-ballot-cast#ballot"));
    let (status, _, _) = post(
        &w.owner,
        &ballot,
        "en",
        &[("text_hash", &hash), ("choice", "yes")],
    )
    .await;
    assert_eq!(status, 303);
    let (_, page) = get(&w.owner, &format!("{path}?flash=gov-ballot-cast"), "en").await;
    assert!(page.contains("Your ballot was recorded."), "{page}");
    assert!(
        page.contains("Current ballot for The radio group: Yes"),
        "{page}"
    );
    assert!(page.contains("value=\"yes\" checked"), "{page}");
    // Public to members: the ballot is listed.
    let (_, page) = get(&w.member, &path, "fr").await;
    assert!(
        page.contains("<strong>The radio group</strong> · Oui"),
        "{page}"
    );

    // Comments while the vote is open.
    let (status, _, _) = post(
        &w.member,
        &format!("{path}/comments"),
        "fr",
        &[("comment", "D'accord <b>sur le fond</b>.")],
    )
    .await;
    assert_eq!(status, 303);
    let (_, page) = get(&w.owner, &path, "fr").await;
    assert!(
        page.contains("D&#39;accord &#60;b&#62;sur le fond&#60;/b&#62;."),
        "{page}"
    );

    // The vote closes: the tally and the log entry show.
    w.t.app
        .governance()
        .tick(konbit_app::now() + 10 * DAY)
        .await
        .unwrap();
    for lang in ["fr", "en"] {
        let (status, page) = get(&w.admin, &path, lang).await;
        assert_eq!(status, 200);
        let (quorum, yes) = if lang == "fr" {
            ("Quorum atteint : 1 votes, 1 requis.", "Adoptée")
        } else {
            ("Quorum reached: 1 took part, 1 needed.", "Adopted")
        };
        assert!(page.contains(quorum), "{page}");
        assert!(page.contains(yes), "{page}");
        assert!(!page.contains("id=\"ballot-form\""), "{page}");
    }

    // The public log, without a session.
    let anon = http_client().unwrap();
    let page = anon
        .get(w.t.url("/decisions"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("id=\"head-hash\""), "{page}");
    assert!(page.contains("Twenty &#60;mailboxes&#62;"), "{page}");
    assert!(page.contains("Latest hash"), "{page}");
    // The oldest entry is the decision itself, with its tally.
    let entry = page
        .split("href=\"/decisions/")
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .filter(|id| id.parse::<i64>().is_ok())
        .last()
        .unwrap_or_else(|| panic!("{page}"))
        .to_owned();
    let res = anon
        .get(w.t.url(&format!("/decisions/{entry}")))
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Empreinte de l&#39;entrée précédente"),
        "{page}"
    );
    assert!(
        page.contains("&#34;method&#34;: &#34;yes_no&#34;"),
        "{page}"
    );
    let feed = anon
        .get(w.t.url("/decisions/feed.atom"))
        .send()
        .await
        .unwrap();
    assert_eq!(feed.status(), 200);
    assert_eq!(
        feed.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let xml = feed.text().await.unwrap();
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(xml.contains("Twenty &lt;mailboxes&gt;"), "{xml}");
    assert!(
        xml.contains("Twenty mailboxes per member &amp; more."),
        "{xml}"
    );
    assert!(!xml.contains("<mailboxes>"), "{xml}");
}

/// A one-time link for the radio's vote, straight in the store.
async fn vote_link(w: &World, id: i64, token: &str) {
    let view =
        w.t.app
            .governance()
            .proposal(&Actor::operator_cli(), ProposalId(id))
            .await
            .unwrap();
    let mut tx = w.t.app.store.write().await.unwrap();
    tx.insert_vote_link(
        &konbit_app::secret::sha256_hex(token),
        &konbit_store::VoteLinkRow {
            proposal_id: ProposalId(id),
            round: 1,
            voter: Voter::Account(w.radio),
            user_id: w.owner_person.id,
            expires_at: view.vote_closes_at.unwrap(),
            used_at: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_one_time_link_shows_the_ballot_votes_once_then_says_it_is_used() {
    let w = world().await;
    let body = make_assembly(&w).await;
    let id = voting_proposal(
        &w,
        body,
        &[
            ("title", "Pick a colour"),
            ("text", "For the new website."),
            ("method", "schulze"),
            ("options", "Red\nBlue"),
        ],
    )
    .await;
    let token = "a-long-enough-one-time-token-for-the-panel-test";
    vote_link(&w, id, token).await;
    let anon = http_client().unwrap();
    let res = anon
        .get(w.t.url(&format!("/vote/{token}")))
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let form_cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ");
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Vous votez au nom de The radio group."),
        "{page}"
    );
    assert!(page.contains("name=\"rank-2\""), "{page}");
    assert!(page.contains("Statu quo (ne rien changer)"), "{page}");
    let csrf = hidden(&page, "_csrf");
    let hash = hidden(&page, "text_hash");
    let cast = |fields: Vec<(&'static str, String)>| {
        let anon = anon.clone();
        let url = w.t.url(&format!("/vote/{token}"));
        let cookie = form_cookie.clone();
        let origin = w.t.base.clone();
        let csrf = csrf.clone();
        async move {
            let mut form = vec![("_csrf", csrf)];
            form.extend(fields);
            let res = anon
                .post(url)
                .header("cookie", cookie)
                .header("origin", origin)
                .header("accept-language", "en")
                .form(&form)
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };
    // A rank out of range: told, and the link still works.
    let (status, page) = cast(vec![("text_hash", hash.clone()), ("rank-0", "9".into())]).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("A rank must be a whole number"), "{page}");
    let (status, page) = cast(vec![
        ("text_hash", hash.clone()),
        ("rank-0", "2".into()),
        ("rank-1", "1".into()),
        ("rank-2", "3".into()),
    ])
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=\"vote-thanks\""), "{page}");
    // Used up: a clear page, in the visitor's language, 410.
    for (lang, words) in [
        ("fr", "Ce lien de vote ne fonctionne plus"),
        ("en", "This voting link no longer works"),
    ] {
        let res = anon
            .get(w.t.url(&format!("/vote/{token}")))
            .header("accept-language", lang)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 410);
        let page = res.text().await.unwrap();
        assert!(page.contains(words), "{page}");
        assert!(page.contains(&format!("lang=\"{lang}\"")), "{page}");
    }
    let (status, _) = cast(vec![("text_hash", hash), ("rank-0", "1".into())]).await;
    assert_eq!(status, 410);
    // The owner's page shows the ballot the link cast.
    let (_, page) = get(&w.owner, &format!("/governance/proposals/{id}"), "en").await;
    assert!(
        page.contains(
            "Current ballot for The radio group: Blue &#62; Red &#62; Status quo (change nothing)"
        ),
        "{page}"
    );
}
