//! The authorization matrix: every route × every kind of caller. Each case
//! asserts the status and, when the caller must be refused (or the request
//! changes nothing), that the state did not change. The test fails when the
//! server has a route this table does not list, so no route can skip it.

use konbit_testkit::TestApp;
use konbit_testkit::app::{Person, Session, http_client, login_form};
use reqwest::Method;
use std::collections::BTreeSet;

/// Who calls. For panel routes the roles carry a session cookie; for API
/// routes they carry a token with every scope. `WrongScope` is a token
/// (of an admin) whose scopes miss the route's area; on panel routes it is
/// sent as a bearer header with no cookie, which the panel ignores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Anonymous,
    /// The owner of account B, reaching for account A's objects.
    Foreign,
    Member,
    Owner,
    Admin,
    WrongScope,
}

const ROLES: [Role; 6] = [
    Role::Anonymous,
    Role::Foreign,
    Role::Member,
    Role::Owner,
    Role::Admin,
    Role::WrongScope,
];

/// What a case expects: the status, and whether the state may change.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Refused, or a read: nothing may change.
    Same(u16),
    /// Allowed and changing something; checked on a fresh server.
    Changes(u16),
}
use Expect::{Changes as C, Same as S};

struct Case {
    method: &'static str,
    /// The route as registered, with `{param}` placeholders.
    route: &'static str,
    body: &'static [(&'static str, &'static str)],
    /// In `ROLES` order.
    expect: [Expect; 6],
}

/// The seeded world: account A (target) with an owner and a member,
/// account B with its owner, an admin, a spare quota profile, and a token
/// of A's owner.
struct World {
    t: TestApp,
    a: i64,
    owner_a: Person,
    member_a: Person,
    owner_b: Person,
    admin: Person,
    spare_profile: i64,
    standard_profile: i64,
    owner_a_token_id: i64,
    /// A session of A's owner, for the route that ends one's own session.
    owner_a_session_id: i64,
    /// A's domain (mail on) and one of its records.
    domain_a: String,
    record_a: i64,
    /// A mailbox and an alias of A's domain.
    mailbox_a: String,
    alias_a: i64,
    /// A static site of A's domain, with a certificate asked for, and the
    /// directory of the sites' logs (its access log has a line).
    site_a: i64,
    _site_logs: tempfile::TempDir,
    /// An SFTP login of A, and a MariaDB database of A with an extra user.
    sftp_a: i64,
    database_a: i64,
    db_user_a: i64,
    /// A mailing list of A's domain.
    list_a: i64,
    /// The general assembly, a proposal of A's owner in its vote (with a
    /// quota change, so it has a preview) and the hash of its text, and
    /// the first entry of the decision log (an earlier proposal that
    /// missed its quorum).
    body: i64,
    proposal: i64,
    proposal_hash: String,
    decision: i64,
}

const WORLD_SFTP_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH radio@laptop";

async fn world() -> World {
    let site_logs = tempfile::Builder::new()
        .prefix("konbit-matrix-logs-")
        .tempdir()
        .unwrap();
    let config = konbit_app::AppConfig {
        sites: konbit_app::site::SiteConfig {
            log_dir: Some(site_logs.path().to_path_buf()),
            ..Default::default()
        },
        sftp: konbit_app::sftp::SftpConfig {
            enabled: true,
            public_host: "sftp.coop.test".into(),
            public_port: 2222,
        },
        databases: konbit_app::database::DatabaseConfig {
            mariadb: Some(konbit_app::database::EngineConfig {
                public_host: "db.coop.test".into(),
                public_port: 3306,
            }),
            ..Default::default()
        },
        lists: konbit_app::list::ListConfig { enabled: true },
        ..Default::default()
    };
    let t = TestApp::spawn_with(config).await.unwrap();
    let (a, owner_a, member_a) = t.seed_account("radio").await.unwrap();
    let (_, owner_b, _) = t.seed_account("garden").await.unwrap();
    let cli = konbit_core::authz::Actor::operator_cli();
    let admin_person = t
        .app
        .users()
        .list(&cli, None, Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|p| p.is_admin)
        .unwrap();
    let admin = Person {
        id: admin_person.id,
        email: admin_person.email.to_string(),
    };
    let spare = t
        .app
        .quota_profiles()
        .create(
            &cli,
            konbit_app::quota_profile::ProfileInput {
                name: "spare".into(),
                limits: Default::default(),
            },
        )
        .await
        .unwrap();
    let standard = t
        .app
        .quota_profiles()
        .list(&cli)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.name.as_str() == "standard")
        .unwrap();
    let token = t
        .app
        .tokens()
        .create_for(
            &cli,
            owner_a.id,
            konbit_app::token::CreateToken {
                name: "owner's".into(),
                scopes: vec!["tokens:read".into()],
                expires_in_days: None,
                account_id: None,
            },
        )
        .await
        .unwrap();
    let owner_session = t.session_for(&owner_a).await.unwrap();
    let pool = t.db().await.unwrap();
    let owner_a_session_id: i64 =
        sqlx::query_scalar("SELECT rowid FROM sessions WHERE id_hash = $1")
            .bind(konbit_app::secret::sha256_hex(&owner_session.cookie))
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    let domain_a = "radio-a.test".to_owned();
    t.app
        .domains()
        .create(
            &cli,
            konbit_app::domain::CreateDomain {
                account_id: a.0,
                name: domain_a.clone(),
                mail: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let record = t
        .app
        .domains()
        .add_record(
            &cli,
            &domain_a,
            konbit_core::dns::RecordInput {
                name: "www".into(),
                rtype: "A".into(),
                ttl: None,
                value: "192.0.2.1".into(),
            },
        )
        .await
        .unwrap();
    let mailbox_a = "ada@radio-a.test".to_owned();
    t.app
        .mailboxes()
        .create(
            &cli,
            konbit_app::mailbox::CreateMailbox {
                address: mailbox_a.clone(),
                password: "a mailbox passphrase".into(),
                quota_mb: Some(100),
            },
        )
        .await
        .unwrap();
    let alias = t
        .app
        .mail_aliases()
        .create(
            &cli,
            konbit_app::mail_alias::CreateAlias {
                source: "info@radio-a.test".into(),
                destinations: vec![mailbox_a.clone()],
            },
        )
        .await
        .unwrap();
    let site = t
        .app
        .sites()
        .create(
            &cli,
            konbit_app::site::SiteInput {
                host: "www.radio-a.test".into(),
                kind: "static".into(),
                redirect_permanent: true,
                redirect_keep_path: true,
                certificate: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let sftp = t
        .app
        .sftp()
        .create(
            &cli,
            konbit_app::sftp::SftpInput {
                account: "radio".into(),
                suffix: "web".into(),
                dir: "www".into(),
                // A key, not a password: hashing one takes a while, and
                // every case builds a world.
                keys: WORLD_SFTP_KEY.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let database = t
        .app
        .databases()
        .create(
            &cli,
            konbit_app::database::DatabaseInput {
                account: "radio".into(),
                engine: "mariadb".into(),
                suffix: "wp".into(),
                password: String::new(),
            },
        )
        .await
        .unwrap();
    let database = t
        .app
        .databases()
        .add_user(
            &cli,
            database.database.id.0,
            konbit_app::database::DatabaseUserInput {
                suffix: "reader".into(),
                right: "read_only".into(),
                password: String::new(),
            },
        )
        .await
        .unwrap();
    let db_user_a = database
        .users
        .iter()
        .find(|u| u.name.as_str() == "radio_reader")
        .unwrap()
        .id
        .0;
    let list = t
        .app
        .lists()
        .create(
            &cli,
            konbit_app::list::CreateList {
                address: "news@radio-a.test".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (body, proposal, proposal_hash, decision) = governance(&t, a, &owner_a).await;
    let log_dir = site_logs.path().join(site.site.id.0.to_string());
    std::fs::create_dir_all(&log_dir).unwrap();
    std::fs::write(log_dir.join("access.log"), "192.0.2.9 GET / 200\n").unwrap();
    World {
        t,
        sftp_a: sftp.sftp.id.0,
        database_a: database.database.id.0,
        db_user_a,
        list_a: list.id.0,
        body,
        proposal,
        proposal_hash,
        decision,
        site_a: site.site.id.0,
        _site_logs: site_logs,
        domain_a,
        record_a: record.id.0,
        mailbox_a,
        alias_a: alias.alias.id.0,
        owner_a_session_id,
        a: a.0,
        owner_a,
        member_a,
        owner_b,
        admin,
        spare_profile: spare.id.0,
        standard_profile: standard.id.0,
        owner_a_token_id: token.token.id.0,
    }
}

/// The assembly, a decided proposal (the log's first entry) and a
/// proposal of A's owner in its vote.
async fn governance(
    t: &TestApp,
    a: konbit_core::model::AccountId,
    owner_a: &Person,
) -> (i64, i64, String, i64) {
    use konbit_app::governance::{BodyInput, ProposalInput};
    use konbit_core::governance::rules::{BodyKind, DecisionRules};
    let cli = konbit_core::authz::Actor::operator_cli();
    let gov = t.app.governance();
    let body = gov
        .create_body(
            &cli,
            BodyInput {
                name: "General assembly".into(),
                rules: DecisionRules::default_for(BodyKind::GeneralAssembly),
                members: Vec::new(),
            },
        )
        .await
        .unwrap()
        .id;
    let input = |title: &str, action| ProposalInput {
        body_id: body,
        title: title.into(),
        text: "Ten more mailboxes for everyone.".into(),
        method: None,
        options: Vec::new(),
        action,
        tie_break: None,
    };
    let week = 8 * 86_400;
    let decided = gov
        .create_proposal(&cli, input("Earlier", None))
        .await
        .unwrap();
    gov.start_discussion(&cli, decided.id).await.unwrap();
    gov.tick(konbit_app::now() + week).await.unwrap();
    gov.tick(konbit_app::now() + 2 * week).await.unwrap();
    let decision = gov.decisions(None, 1).await.unwrap().entries[0].id;
    let owner = konbit_core::authz::Actor {
        user_id: Some(owner_a.id),
        label: owner_a.email.clone(),
        is_admin: false,
        memberships: vec![konbit_core::model::Membership {
            account_id: a,
            role: konbit_core::model::Role::Owner,
        }],
        token: None,
        source: konbit_core::authz::Source::Panel,
        ip: None,
        mfa: false,
        impersonator: None,
    };
    let profile = t.app.quota_profiles().list(&cli).await.unwrap()[0].clone();
    let action = konbit_core::governance::action::PlatformAction::SetQuotaLimits {
        profile_id: profile.id,
        limits: konbit_core::quota::QuotaLimits {
            mailboxes: profile.limits.mailboxes + 10,
            ..profile.limits
        },
    };
    let voting = gov
        .create_proposal(&owner, input("More mailboxes", Some(action)))
        .await
        .unwrap();
    gov.start_discussion(&owner, voting.id).await.unwrap();
    gov.tick(konbit_app::now() + 3 * week).await.unwrap();
    let view = gov.proposal(&owner, voting.id).await.unwrap();
    assert_eq!(
        view.stage,
        konbit_core::governance::proposal::StageKind::Voting
    );
    (body.0, voting.id.0, view.current_text_hash, decision)
}

impl World {
    fn path(&self, route: &str) -> String {
        let user_id = self.member_a.id.0;
        let id = if route.starts_with("/quota-profiles/")
            || route.starts_with("/api/v1/quota-profiles/")
        {
            self.spare_profile
        } else if route.starts_with("/tokens/") || route.starts_with("/api/v1/tokens/") {
            self.owner_a_token_id
        } else if route.starts_with("/settings/sessions/") {
            self.owner_a_session_id
        } else if route.starts_with("/api/v1/users/") {
            self.member_a.id.0
        } else if route.contains("/sites/") {
            self.site_a
        } else if route.starts_with("/sftp/") || route.starts_with("/api/v1/sftp-accounts/") {
            self.sftp_a
        } else if route.starts_with("/databases/") || route.starts_with("/api/v1/databases/") {
            self.database_a
        } else if route.starts_with("/lists/") || route.starts_with("/api/v1/lists/") {
            self.list_a
        } else if route.contains("/governance/bodies/") {
            self.body
        } else if route.contains("/governance/proposals/") {
            self.proposal
        } else if route.contains("/decisions/") {
            self.decision
        } else if route.contains("/aliases/") {
            self.alias_a
        } else if route.contains("/domains/") {
            self.record_a
        } else {
            self.a
        };
        route
            .replace("{id}", &id.to_string())
            .replace("{user_id}", &user_id.to_string())
            .replace("{code}", "en")
            .replace("{token}", "1.not-a-valid-token")
            .replace("{name}", &self.domain_a)
            .replace("{address}", &self.mailbox_a)
            .replace("{kind}", "access")
            .replace("{file}", "access.log")
            .replace("{user}", &self.db_user_a.to_string())
            .replace("{role}", "moderator")
            .replace("{request}", "1")
    }

    fn person(&self, role: Role) -> Option<&Person> {
        match role {
            Role::Anonymous => None,
            Role::Foreign => Some(&self.owner_b),
            Role::Member => Some(&self.member_a),
            Role::Owner => Some(&self.owner_a),
            Role::Admin | Role::WrongScope => Some(&self.admin),
        }
    }

    /// Bodies refer to the world's objects through these placeholders.
    fn body(&self, raw: &str) -> String {
        raw.replace("$PROFILE", &self.standard_profile.to_string())
            .replace("$ACCOUNT", &self.a.to_string())
            .replace("$DB_USER", &self.db_user_a.to_string())
            .replace("$BODY", &self.body.to_string())
            .replace("$HASH", &self.proposal_hash)
    }

    /// Makes the caller's credentials before the state is fingerprinted, so
    /// making them does not count as a change.
    async fn credentials(&self, role: Role, case: &Case) -> Creds {
        let path = self.path(case.route);
        let mut creds = Creds::default();
        if path.starts_with("/api/") {
            creds.bearer = match role {
                Role::Anonymous => None,
                Role::WrongScope => {
                    // A scope from another area than the route's.
                    let scope = if path.starts_with("/api/v1/tokens") {
                        "accounts:read"
                    } else {
                        "tokens:read"
                    };
                    Some(self.t.token_for(&self.admin, &[scope]).await.unwrap())
                }
                _ => {
                    let all = [
                        "accounts:write",
                        "users:write",
                        "quota-profiles:write",
                        "tokens:write",
                        "audit:read",
                        "domains:write",
                        "mail:write",
                        "sites:write",
                        "sftp:write",
                        "databases:write",
                        "lists:write",
                        "governance:write",
                    ];
                    Some(
                        self.t
                            .token_for(self.person(role).unwrap(), &all)
                            .await
                            .unwrap(),
                    )
                }
            };
        } else {
            creds.session = match (role, self.person(role)) {
                (Role::WrongScope, _) | (_, None) => None,
                (_, Some(p)) => Some(self.t.session_for(p).await.unwrap()),
            };
            if role == Role::WrongScope {
                creds.bearer = Some(
                    self.t
                        .token_for(&self.admin, &["tokens:read"])
                        .await
                        .unwrap(),
                );
            }
            if case.route == "/login" || case.route.starts_with("/password-reset") {
                let http = http_client().unwrap();
                creds.login = Some(
                    login_form(&http, &self.t.base, self.t.web.login_cookie())
                        .await
                        .unwrap(),
                );
            }
        }
        creds
    }

    async fn send(&self, case: &Case, creds: &Creds) -> u16 {
        let path = self.path(case.route);
        let http = http_client().unwrap();
        let method = Method::from_bytes(case.method.as_bytes()).unwrap();
        let mut rb = http.request(method, self.t.url(&path));
        if let Some(token) = &creds.bearer {
            rb = rb.bearer_auth(token);
        }
        if path.starts_with("/api/") {
            if let Some((_, json)) = case.body.first() {
                rb = rb
                    .header("content-type", "application/json")
                    .body(self.body(json));
            }
            return rb.send().await.unwrap().status().as_u16();
        }
        rb = rb.header("origin", &self.t.base);
        let mut form: Vec<(String, String)> = case
            .body
            .iter()
            .map(|(k, v)| (k.to_string(), self.body(v)))
            .collect();
        let mut cookies = Vec::new();
        if let Some(s) = &creds.session {
            cookies.push(format!("{}={}", s.cookie_name, s.cookie));
            form.insert(0, ("_csrf".into(), s.csrf.clone()));
        }
        if let Some((cookie, csrf)) = &creds.login {
            // A well-formed sign-in (with its own form token) whose password is wrong.
            cookies.push(format!("{}={cookie}", self.t.web.login_cookie()));
            form.retain(|(k, _)| k != "_csrf");
            form.insert(0, ("_csrf".into(), csrf.clone()));
        }
        if !cookies.is_empty() {
            rb = rb.header("cookie", cookies.join("; "));
        }
        if case.method == "POST" {
            rb = rb.form(&form);
        }
        rb.send().await.unwrap().status().as_u16()
    }
}

#[derive(Default)]
struct Creds {
    session: Option<Session>,
    bearer: Option<String>,
    login: Option<(String, String)>,
}

const LOCK: &[(&str, &str)] = &[("reason", "dues")];
const NEW_ACCOUNT: &[(&str, &str)] = &[("name", "newgroup"), ("display_name", "New group")];
const EDIT_ACCOUNT: &[(&str, &str)] = &[
    ("display_name", "Renamed"),
    ("quota_profile_id", "$PROFILE"),
];
const ADD_PERSON: &[(&str, &str)] = &[
    ("email", "new@radio.test"),
    ("display_name", "Newcomer"),
    ("password", "a long enough password"),
    ("role", "member"),
];
const PROFILE: &[(&str, &str)] = &[
    ("name", "bigger"),
    ("domains", "1"),
    ("mailboxes", "1"),
    ("mail_storage_mb", "1"),
    ("aliases", "1"),
    ("mailing_lists", "1"),
    ("sites", "1"),
    ("sftp_accounts", "1"),
    ("databases", "1"),
    ("disk_mb", "1"),
];
const J_ACCOUNT: &[(&str, &str)] = &[("json", r#"{"name":"newgroup","display_name":"New group"}"#)];
const J_PATCH_ACCOUNT: &[(&str, &str)] = &[("json", r#"{"display_name":"Renamed"}"#)];
const J_MEMBER: &[(&str, &str)] = &[(
    "json",
    r#"{"email":"new@radio.test","display_name":"Newcomer","password":"a long enough password","role":"member"}"#,
)];
const J_ROLE: &[(&str, &str)] = &[("json", r#"{"role":"owner"}"#)];
const J_USER: &[(&str, &str)] = &[(
    "json",
    r#"{"email":"new@coop.test","display_name":"Newcomer","password":"a long enough password"}"#,
)];
const J_PATCH_USER: &[(&str, &str)] = &[("json", r#"{"display_name":"Renamed"}"#)];
const J_PROFILE: &[(&str, &str)] = &[(
    "json",
    r#"{"name":"bigger","limits":{"domains":1,"mailboxes":1,"mail_storage_mb":1,"aliases":1,"mailing_lists":1,"sites":1,"sftp_accounts":1,"databases":1,"disk_mb":1}}"#,
)];
const J_TOKEN: &[(&str, &str)] = &[("json", r#"{"name":"script","scopes":["tokens:read"]}"#)];
const NEW_DOMAIN: &[(&str, &str)] = &[("account_id", "$ACCOUNT"), ("name", "new-radio.test")];
const RECORD: &[(&str, &str)] = &[
    ("name", "www2"),
    ("type", "A"),
    ("ttl", "300"),
    ("value", "192.0.2.2"),
];
const ZONE: &[(&str, &str)] = &[("zone", "www3 300 IN A 192.0.2.3"), ("step", "preview")];
const J_DOMAIN: &[(&str, &str)] = &[("json", r#"{"account":"radio","name":"new-radio.test"}"#)];
const J_DNSSEC: &[(&str, &str)] = &[("json", r#"{"dnssec":false}"#)];
const J_RECORD: &[(&str, &str)] = &[(
    "json",
    r#"{"name":"www2","type":"A","ttl":300,"value":"192.0.2.2"}"#,
)];
const MAILBOX: &[(&str, &str)] = &[
    ("local_part", "bob"),
    ("domain", "radio-a.test"),
    ("password", "a mailbox passphrase"),
    ("password_confirm", "a mailbox passphrase"),
    ("quota_mb", "10"),
];
const ALIAS: &[(&str, &str)] = &[
    ("local_part", "team"),
    ("domain", "radio-a.test"),
    ("destinations", "ada@radio-a.test"),
];
const MB_PASSWORD: &[(&str, &str)] = &[
    ("password", "another passphrase"),
    ("password_confirm", "another passphrase"),
];
const AUTOREPLY: &[(&str, &str)] = &[
    ("enabled", "on"),
    ("subject", "Away"),
    ("body", "Back soon."),
    ("start_date", ""),
    ("end_date", ""),
];
const OWN_PASSWORD: &[(&str, &str)] = &[
    ("address", "ada@radio-a.test"),
    ("current_password", "a wrong passphrase"),
    ("new_password", "another passphrase"),
    ("new_password_confirm", "another passphrase"),
];
const J_MAIL_OFF: &[(&str, &str)] = &[("json", r#"{"enabled":false}"#)];
const J_MAILBOX: &[(&str, &str)] = &[(
    "json",
    r#"{"address":"bob@radio-a.test","password":"a mailbox passphrase","quota_mb":10}"#,
)];
const J_MAILBOX_PATCH: &[(&str, &str)] = &[("json", r#"{"enabled":false}"#)];
const J_MB_PASSWORD: &[(&str, &str)] = &[("json", r#"{"password":"another passphrase"}"#)];
const J_AUTOREPLY: &[(&str, &str)] = &[(
    "json",
    r#"{"enabled":true,"subject":"Away","body":"Back soon.","start_date":"","end_date":""}"#,
)];
const J_ALIAS: &[(&str, &str)] = &[(
    "json",
    r#"{"source":"team@radio-a.test","destinations":["ada@radio-a.test"]}"#,
)];
const J_ALIAS_PATCH: &[(&str, &str)] = &[(
    "json",
    r#"{"destinations":["ada@radio-a.test","friend@outside.example"]}"#,
)];
const SITE: &[(&str, &str)] = &[
    ("host", "blog.radio-a.test"),
    ("kind", "static"),
    ("certificate", "on"),
];
const SITE_EDIT: &[(&str, &str)] = &[
    ("kind", "php"),
    ("root", "www/radio"),
    ("certificate", "on"),
];
const J_SITE: &[(&str, &str)] = &[("json", r#"{"host":"blog.radio-a.test","type":"static"}"#)];
const J_SITE_PATCH: &[(&str, &str)] = &[("json", r#"{"type":"php"}"#)];
const SFTP_NEW: &[(&str, &str)] = &[
    ("account", "radio"),
    ("suffix", "photos"),
    ("dir", "photos"),
    ("password_mode", "choose"),
    ("password", "Garden-2026-passphrase"),
];
const SFTP_EDIT: &[(&str, &str)] = &[
    ("dir", "www/blog"),
    ("keys", WORLD_SFTP_KEY),
    ("password_mode", "keep"),
];
const DB_NEW: &[(&str, &str)] = &[
    ("account", "radio"),
    ("engine", "mariadb"),
    ("suffix", "shop"),
    ("password_mode", "choose"),
    ("password", "Garden-2026-passphrase"),
];
const DB_USER: &[(&str, &str)] = &[
    ("suffix", "writer"),
    ("right", "read_write"),
    ("password_mode", "choose"),
    ("password", "Garden-2026-passphrase"),
];
const DB_PASSWORD: &[(&str, &str)] = &[
    ("user", "$DB_USER"),
    ("password_mode", "choose"),
    ("password", "Garden-2026-passphrase"),
];
const J_SFTP: &[(&str, &str)] = &[(
    "json",
    r#"{"account":"radio","suffix":"photos","dir":"photos","password":"Garden-2026-passphrase"}"#,
)];
const J_SFTP_PATCH: &[(&str, &str)] = &[("json", r#"{"dir":"www/blog"}"#)];
const J_DATABASE: &[(&str, &str)] = &[(
    "json",
    r#"{"account":"radio","engine":"mariadb","suffix":"shop","password":"Garden-2026-passphrase"}"#,
)];
const J_DB_USER: &[(&str, &str)] = &[(
    "json",
    r#"{"suffix":"writer","right":"read_write","password":"Garden-2026-passphrase"}"#,
)];
const J_DB_PASSWORD: &[(&str, &str)] = &[("json", r#"{"password":"Garden-2026-passphrase"}"#)];
const BOARD_FORM: &[(&str, &str)] = &[
    ("name", "Board"),
    ("body_kind", "board"),
    ("weighting", "one_vote_per_person"),
    ("proposers", "any_member_of_body"),
    ("default_method", "yes_no"),
    ("threshold", "more_than_half"),
    ("abstentions", "quorum"),
    ("visibility", "public_to_members"),
    ("quorum_kind", "none"),
    ("consent_rounds", "3"),
    ("discussion_hours", "48"),
    ("vote_hours", "48"),
    ("appeal_hours", "48"),
];
const ASSEMBLY_FORM: &[(&str, &str)] = &[
    ("name", "Assembly"),
    ("body_kind", "general_assembly"),
    ("weighting", "one_vote_per_account"),
    ("proposers", "any_member_of_body"),
    ("default_method", "yes_no"),
    ("threshold", "more_than_half"),
    ("abstentions", "quorum"),
    ("visibility", "public_to_members"),
    ("quorum_kind", "none"),
    ("consent_rounds", "3"),
    ("discussion_hours", "48"),
    ("vote_hours", "48"),
    ("appeal_hours", "48"),
];
const PROPOSAL_FORM: &[(&str, &str)] = &[
    ("body_id", "$BODY"),
    ("title", "A garden day"),
    ("text", "Let us meet in the garden."),
];
const J_GOV_BODY: &[(&str, &str)] = &[("json", r#"{"name":"Board X","kind":"board"}"#)];
const J_GOV_RENAME: &[(&str, &str)] = &[("json", r#"{"name":"Assembly"}"#)];
const J_PROPOSAL: &[(&str, &str)] = &[(
    "json",
    r#"{"body_id":$BODY,"title":"A garden day","text":"Let us meet in the garden."}"#,
)];
const J_PROPOSAL_EDIT: &[(&str, &str)] = &[("json", r#"{"title":"Other","text":"Another text."}"#)];
const J_APPEAL: &[(&str, &str)] = &[("json", r#"{"reason":"Not yet."}"#)];
const J_SETTLE: &[(&str, &str)] = &[("json", r#"{"uphold":false}"#)];
const J_COMMENT: &[(&str, &str)] = &[("json", r#"{"body":"I agree."}"#)];
const J_BALLOT: &[(&str, &str)] = &[(
    "json",
    r#"{"text_hash":"$HASH","ballot":{"method":"yes_no","choice":"yes"}}"#,
)];
const J_LIST: &[(&str, &str)] = &[("json", r#"{"address":"team@radio-a.test"}"#)];
const J_ADDRESSES: &[(&str, &str)] = &[("json", r#"{"addresses":"alice@example.org"}"#)];
const J_STAFF: &[(&str, &str)] = &[("json", r#"{"role":"moderator","address":"mo@example.org"}"#)];
const J_DECISION: &[(&str, &str)] = &[("json", r#"{"action":"approve"}"#)];
const J_LIST_PATCH: &[(&str, &str)] = &[(
    "json",
    r#"{"description":"Radio news","posting":"moderated"}"#,
)];
const J_ZONE: &[(&str, &str)] = &[(
    "json",
    r#"{"zone":"www3 300 IN A 192.0.2.3","dry_run":true}"#,
)];

#[rustfmt::skip]
fn cases() -> Vec<Case> {
    let c = |method, route, body, expect| Case { method, route, body, expect };
    vec![
        // Panel.                                      anonymous  foreign     member      owner       admin       wrong scope
        c("GET",  "/",                                 &[],        [S(303), S(200), S(200), S(200), S(200), S(303)]),
        c("GET",  "/healthz",                          &[],        [S(200), S(200), S(200), S(200), S(200), S(200)]),
        c("GET",  "/static/konbit.css",                &[],        [S(200), S(200), S(200), S(200), S(200), S(200)]),
        c("GET",  "/login",                            &[],        [S(200), S(303), S(303), S(303), S(303), S(200)]),
        c("POST", "/login",                            &[("email", "owner@radio.test"), ("password", "wrong password!")],
                                                                   [S(401), S(401), S(401), S(401), S(401), S(401)]),
        c("POST", "/logout",                           &[],        [S(303), C(303), C(303), C(303), C(303), S(303)]),
        c("POST", "/logout/everywhere",                &[],        [S(303), C(303), C(303), C(303), C(303), S(303)]),
        c("GET",  "/lang/{code}",                      &[],        [S(303), S(303), S(303), S(303), S(303), S(303)]),
        c("GET",  "/accounts",                         &[],        [S(303), S(200), S(200), S(200), S(200), S(303)]),
        c("POST", "/accounts",                         NEW_ACCOUNT,[S(303), S(403), S(403), S(403), C(303), S(303)]),
        c("GET",  "/accounts/new",                     &[],        [S(303), S(403), S(403), S(403), S(200), S(303)]),
        c("GET",  "/accounts/{id}",                    &[],        [S(303), S(404), S(200), S(200), S(200), S(303)]),
        c("POST", "/accounts/{id}/edit",               EDIT_ACCOUNT,[S(303), S(404), S(403), S(403), C(303), S(303)]),
        c("POST", "/accounts/{id}/lock",               LOCK,       [S(303), S(404), S(403), S(403), C(303), S(303)]),
        c("POST", "/accounts/{id}/unlock",             &[],        [S(303), S(404), S(403), S(403), C(303), S(303)]),
        c("POST", "/accounts/{id}/delete",             &[("confirm", "1")],
                                                                   [S(303), S(404), S(403), S(403), C(303), S(303)]),
        c("POST", "/accounts/{id}/restore",            &[],        [S(303), S(404), S(403), S(403), S(409), S(303)]),
        c("POST", "/accounts/{id}/people",             ADD_PERSON, [S(303), S(404), S(403), C(303), C(303), S(303)]),
        c("POST", "/accounts/{id}/people/{user_id}/role", &[("role", "owner")],
                                                                   [S(303), S(404), S(403), C(303), C(303), S(303)]),
        c("POST", "/accounts/{id}/people/{user_id}/remove", &[],   [S(303), S(404), S(403), C(303), C(303), S(303)]),
        c("GET",  "/quota-profiles",                   &[],        [S(303), S(403), S(403), S(403), S(200), S(303)]),
        c("POST", "/quota-profiles",                   PROFILE,    [S(303), S(403), S(403), S(403), C(303), S(303)]),
        c("GET",  "/quota-profiles/new",               &[],        [S(303), S(403), S(403), S(403), S(200), S(303)]),
        c("GET",  "/quota-profiles/{id}",              &[],        [S(303), S(403), S(403), S(403), S(200), S(303)]),
        c("POST", "/quota-profiles/{id}",              PROFILE,    [S(303), S(403), S(403), S(403), C(303), S(303)]),
        c("POST", "/quota-profiles/{id}/delete",       &[],        [S(303), S(403), S(403), S(403), C(303), S(303)]),
        c("GET",  "/tokens",                           &[],        [S(303), S(200), S(200), S(200), S(200), S(303)]),
        c("POST", "/tokens",                           &[("name", "script"), ("scopes", "accounts:read")],
                                                                   [S(303), C(201), C(201), C(201), C(201), S(303)]),
        c("POST", "/tokens/{id}/revoke",               &[],        [S(303), S(404), S(404), C(303), S(404), S(303)]),
        c("GET",  "/settings",                         &[],        [S(303), S(200), S(200), S(200), S(200), S(303)]),
        c("POST", "/settings",                         &[("display_name", "New Name"), ("locale", "en")],
                                                                   [S(303), C(303), C(303), C(303), C(303), S(303)]),
        c("POST", "/settings/password",                &[("current_password", "not my password"), ("new_password", "a brand new password"), ("confirm_password", "a brand new password")],
                                                                   [S(303), S(422), S(422), S(422), S(422), S(303)]),
        c("POST", "/settings/language",                &[("locale", "en"), ("next", "/")],
                                                                   [S(303), C(303), C(303), C(303), C(303), S(303)]),
        c("POST", "/people/{user_id}/impersonate",     &[],        [S(303), S(403), S(403), S(403), C(303), S(303)]),
        c("POST", "/impersonation/end",                &[],        [S(303), S(303), S(303), S(303), S(303), S(303)]),
        c("GET",  "/audit",                            &[],        [S(303), S(200), S(200), S(200), S(200), S(303)]),
        c("GET",  "/audit.csv",                        &[],        [S(303), S(200), S(200), S(200), S(200), S(303)]),
        c("GET",  "/login/2fa",                        &[],        [S(303), S(303), S(303), S(303), S(303), S(303)]),
        c("POST", "/login/2fa",                        &[("code", "123456")],
                                                                   [S(303), S(303), S(303), S(303), S(303), S(303)]),
        c("GET",  "/settings/2fa",                     &[],        [S(303), S(200), S(200), S(200), S(200), S(303)]),
        c("POST", "/settings/2fa/start",               &[],        [S(303), C(303), C(303), C(303), C(303), S(303)]),
        c("POST", "/settings/2fa/confirm",             &[("code", "123456")],
                                                                   [S(303), S(404), S(404), S(404), S(404), S(303)]),
        c("POST", "/settings/2fa/disable",             &[("proof", "123456")],
                                                                   [S(303), S(404), S(404), S(404), S(404), S(303)]),
        c("POST", "/settings/sessions/{id}/end",       &[],        [S(303), S(404), S(404), C(303), S(404), S(303)]),
        c("GET",  "/password-reset",                   &[],        [S(200), S(200), S(200), S(200), S(200), S(200)]),
        c("POST", "/password-reset",                   &[("email", "nobody@radio.test")],
                                                                   [S(200), S(200), S(200), S(200), S(200), S(200)]),
        c("GET",  "/password-reset/{token}",           &[],        [S(410), S(410), S(410), S(410), S(410), S(410)]),
        c("POST", "/password-reset/{token}",           &[("new_password", "a brand new password"), ("confirm_password", "a brand new password")],
                                                                   [S(410), S(410), S(410), S(410), S(410), S(410)]),
        c("GET",  "/domains",                          &[],        [S(303), S(200), S(200), S(200), S(200), S(303)]),
        c("POST", "/domains",                          NEW_DOMAIN, [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("GET",  "/domains/{name}",                   &[],        [S(303), S(404), S(200), S(200), S(200), S(303)]),
        c("POST", "/domains/{name}/dnssec",            &[("dnssec", "off"), ("confirm", "1")],
                                                                   [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("POST", "/domains/{name}/delete",            &[("confirm", "1")],
                                                                   [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("POST", "/domains/{name}/restore",           &[],        [S(303), S(404), S(409), S(409), S(409), S(303)]),
        c("POST", "/domains/{name}/records",           RECORD,     [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("GET",  "/domains/{name}/records/{id}",      &[],        [S(303), S(404), S(200), S(200), S(200), S(303)]),
        c("POST", "/domains/{name}/records/{id}",      RECORD,     [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("POST", "/domains/{name}/records/{id}/delete", &[],      [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("GET",  "/domains/{name}/import",            &[],        [S(303), S(404), S(200), S(200), S(200), S(303)]),
        c("POST", "/domains/{name}/import",            ZONE,       [S(303), S(404), S(200), S(200), S(200), S(303)]),
        c("GET",  "/domains/{name}/export",            &[],        [S(303), S(404), S(200), S(200), S(200), S(303)]),
        // Mail in the panel. Turning mail off is refused while A's domain
        // has a mailbox and an alias.
        c("POST", "/domains/{name}/mail",              &[("mail", "off")],
                                                                   [S(303), S(404), S(409), S(409), S(409), S(303)]),
        c("POST", "/domains/{name}/mail/dkim",         &[],        [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("GET",  "/mail",                             &[],        [S(303), S(200), S(200), S(200), S(200), S(303)]),
        c("POST", "/mail/mailboxes",                   MAILBOX,    [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("GET",  "/mail/mailboxes/{address}",         &[],        [S(303), S(404), S(200), S(200), S(200), S(303)]),
        c("POST", "/mail/mailboxes/{address}/password", MB_PASSWORD, [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("POST", "/mail/mailboxes/{address}/quota",   &[("quota_mb", "20")],
                                                                   [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("POST", "/mail/mailboxes/{address}/enabled", &[("enabled", "off")],
                                                                   [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("POST", "/mail/mailboxes/{address}/autoreply", AUTOREPLY, [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("POST", "/mail/mailboxes/{address}/delete",  &[("confirm", "1")],
                                                                   [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("POST", "/mail/mailboxes/{address}/restore", &[],        [S(303), S(404), S(409), S(409), S(409), S(303)]),
        c("POST", "/mail/aliases",                     ALIAS,      [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("GET",  "/mail/aliases/{id}",                &[],        [S(303), S(404), S(200), S(200), S(200), S(303)]),
        c("POST", "/mail/aliases/{id}",                &[("destinations", "ada@radio-a.test\nfriend@outside.example")],
                                                                   [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("POST", "/mail/aliases/{id}/delete",         &[],        [S(303), S(404), C(303), C(303), C(303), S(303)]),
        // Websites in the panel. A name of A's domain is, to B's owner, in
        // none of theirs (the form says so: 422). A's site is not deleted.
        c("GET",  "/sites",                            &[],        [S(303), S(200), S(200), S(200), S(200), S(303)]),
        c("GET",  "/sites/new",                        &[],        [S(303), S(200), S(200), S(200), S(200), S(303)]),
        c("POST", "/sites/new",                        SITE,       [S(303), S(422), C(303), C(303), C(303), S(303)]),
        c("GET",  "/sites/{id}",                       &[],        [S(303), S(404), S(200), S(200), S(200), S(303)]),
        c("POST", "/sites/{id}",                       SITE_EDIT,  [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("POST", "/sites/{id}/enable",                &[],        [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("POST", "/sites/{id}/disable",               &[],        [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("POST", "/sites/{id}/delete",                &[("confirm", "1")],
                                                                   [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("POST", "/sites/{id}/restore",               &[],        [S(303), S(404), S(409), S(409), S(409), S(303)]),
        c("POST", "/sites/{id}/certificate/renew",     &[],        [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("GET",  "/sites/{id}/logs",                  &[],        [S(303), S(404), S(200), S(200), S(200), S(303)]),
        c("GET",  "/sites/{id}/logs/{file}",           &[],        [S(303), S(404), S(200), S(200), S(200), S(303)]),
        // SFTP logins and databases in the panel: B's owner names account
        // A in the form (which is not found for it), or reaches for A's
        // objects.
        c("GET",  "/sftp",                             &[],        [S(303), S(200), S(200), S(200), S(200), S(303)]),
        c("GET",  "/sftp/new",                         &[],        [S(303), S(200), S(200), S(200), S(200), S(303)]),
        c("POST", "/sftp/new",                         SFTP_NEW,   [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("GET",  "/sftp/{id}",                        &[],        [S(303), S(404), S(200), S(200), S(200), S(303)]),
        c("POST", "/sftp/{id}",                        SFTP_EDIT,  [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("POST", "/sftp/{id}/enable",                 &[],        [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("POST", "/sftp/{id}/disable",                &[],        [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("POST", "/sftp/{id}/delete",                 &[("confirm", "1")],
                                                                   [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("GET",  "/databases",                        &[],        [S(303), S(200), S(200), S(200), S(200), S(303)]),
        c("GET",  "/databases/new",                    &[],        [S(303), S(200), S(200), S(200), S(200), S(303)]),
        c("POST", "/databases/new",                    DB_NEW,     [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("GET",  "/databases/{id}",                   &[],        [S(303), S(404), S(200), S(200), S(200), S(303)]),
        c("POST", "/databases/{id}/users",             DB_USER,    [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("POST", "/databases/{id}/users/{user}/delete", &[],      [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("POST", "/databases/{id}/password",          DB_PASSWORD,[S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("POST", "/databases/{id}/delete",            &[("confirm", "1")],
                                                                   [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("POST", "/databases/{id}/restore",           &[],        [S(303), S(404), S(409), S(409), S(409), S(303)]),
        c("GET",  "/databases/{id}/dump",              &[],        [S(303), S(404), S(404), S(404), S(404), S(303)]),
        // Mailing lists in the panel: A's live list. No list server is
        // connected here, so its people and queue answer 409 in words.
        c("GET",  "/lists",                            &[],        [S(303), S(200), S(200), S(200), S(200), S(303)]),
        c("GET",  "/lists/new",                        &[],        [S(303), S(200), S(200), S(200), S(200), S(303)]),
        c("POST", "/lists/new",                        &[("name", "team"), ("domain", "radio-a.test")],
                                                                   [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("GET",  "/lists/{id}",                       &[],        [S(303), S(404), S(200), S(200), S(200), S(303)]),
        c("POST", "/lists/{id}",                       &[("description", "Radio news"), ("posting", "moderated")],
                                                                   [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("POST", "/lists/{id}/delete",                &[("confirm", "1")],
                                                                   [S(303), S(404), C(303), C(303), C(303), S(303)]),
        c("POST", "/lists/{id}/restore",               &[],        [S(303), S(404), S(409), S(409), S(409), S(303)]),
        c("GET",  "/lists/{id}/members",               &[],        [S(303), S(404), S(200), S(200), S(200), S(303)]),
        c("GET",  "/lists/{id}/members.csv",           &[],        [S(303), S(404), S(409), S(409), S(409), S(303)]),
        c("POST", "/lists/{id}/members/subscribe",     &[("addresses", "ana@garden.test")],
                                                                   [S(303), S(404), S(409), S(409), S(409), S(303)]),
        c("POST", "/lists/{id}/members/unsubscribe",   &[("addresses", "ana@garden.test")],
                                                                   [S(303), S(404), S(409), S(409), S(409), S(303)]),
        c("POST", "/lists/{id}/staff",                 &[("role", "moderator"), ("address", "mod@garden.test")],
                                                                   [S(303), S(404), S(409), S(409), S(409), S(303)]),
        c("POST", "/lists/{id}/staff/remove",          &[("role", "moderator"), ("address", "mod@garden.test")],
                                                                   [S(303), S(404), S(409), S(409), S(409), S(303)]),
        c("GET",  "/lists/{id}/moderation",            &[],        [S(303), S(404), S(200), S(200), S(200), S(303)]),
        c("GET",  "/lists/{id}/held/{request}",        &[],        [S(303), S(404), S(409), S(409), S(409), S(303)]),
        c("POST", "/lists/{id}/held/{request}",        &[("decision", "approve")],
                                                                   [S(303), S(404), S(409), S(409), S(409), S(303)]),
        c("POST", "/lists/{id}/requests",              &[("decision", "approve"), ("token", "abc123")],
                                                                   [S(303), S(404), S(409), S(409), S(409), S(303)]),
        // Public mail pages: the same answer for everyone; a wrong current
        // password changes nothing.
        c("GET",  "/mail/password",                    &[],        [S(200), S(200), S(200), S(200), S(200), S(200)]),
        c("POST", "/mail/password",                    OWN_PASSWORD, [S(403), S(403), S(403), S(403), S(403), S(403)]),
        c("GET",  "/mail/config-v1.1.xml",             &[],        [S(404), S(404), S(404), S(404), S(404), S(404)]),
        c("GET",  "/.well-known/autoconfig/mail/config-v1.1.xml", &[], [S(404), S(404), S(404), S(404), S(404), S(404)]),
        c("POST", "/autodiscover/autodiscover.xml",    &[],        [S(400), S(400), S(400), S(400), S(400), S(400)]),
        // A list's public page: the same for everyone; {address} is a
        // mailbox here, so no list; a made-up link is gone; a form
        // without its pre-sign-in token does nothing.
        c("GET",  "/l/{address}",                      &[],        [S(404), S(404), S(404), S(404), S(404), S(404)]),
        c("POST", "/l/{address}",                      &[("email", "nobody@radio.test"), ("action", "subscribe")],
                                                                   [S(404), S(404), S(404), S(404), S(404), S(404)]),
        c("GET",  "/l/{address}/confirm/{token}",      &[],        [S(410), S(410), S(410), S(410), S(410), S(410)]),
        c("POST", "/l/{address}/confirm/{token}",      &[],        [S(403), S(403), S(403), S(403), S(403), S(403)]),
        // Governance: every person takes part; bodies are the admins';
        // the proposal is A's owner's and in its vote (frozen text); B's
        // owner votes for B; A's plain member and the admin are not in
        // the electorate (one vote per member account).
        c("GET",  "/governance",                       &[],        [S(303), S(200), S(200), S(200), S(200), S(303)]),
        c("GET",  "/governance/bodies/new",            &[],        [S(303), S(403), S(403), S(403), S(200), S(303)]),
        c("POST", "/governance/bodies/new",            BOARD_FORM, [S(303), S(403), S(403), S(403), C(303), S(303)]),
        c("GET",  "/governance/bodies/{id}",           &[],        [S(303), S(200), S(200), S(200), S(200), S(303)]),
        c("POST", "/governance/bodies/{id}",           ASSEMBLY_FORM, [S(303), S(403), S(403), S(403), C(303), S(303)]),
        c("GET",  "/governance/proposals/new",         &[],        [S(303), S(200), S(200), S(200), S(200), S(303)]),
        c("POST", "/governance/proposals/new",         PROPOSAL_FORM, [S(303), C(303), C(303), C(303), C(303), S(303)]),
        c("GET",  "/governance/proposals/{id}",        &[],        [S(303), S(200), S(200), S(200), S(200), S(303)]),
        c("POST", "/governance/proposals/{id}/edit",   PROPOSAL_FORM, [S(303), S(403), S(403), S(409), S(409), S(303)]),
        c("POST", "/governance/proposals/{id}/discussion", &[],    [S(303), S(403), S(403), S(409), S(409), S(303)]),
        c("POST", "/governance/proposals/{id}/withdraw", &[],      [S(303), S(403), S(403), S(409), S(409), S(303)]),
        c("POST", "/governance/proposals/{id}/comments", &[("comment", "I agree.")],
                                                                   [S(303), C(303), C(303), C(303), C(303), S(303)]),
        c("POST", "/governance/proposals/{id}/ballot", &[("text_hash", "$HASH"), ("choice", "yes")],
                                                                   [S(303), C(303), S(403), C(303), S(403), S(303)]),
        c("POST", "/governance/proposals/{id}/roll-back", &[],     [S(303), S(403), S(403), S(403), S(409), S(303)]),
        c("POST", "/governance/proposals/{id}/retry", &[],         [S(303), S(403), S(403), S(403), S(409), S(303)]),
        // Still voting: no appeal window is open, and no appeal waits.
        c("POST", "/governance/proposals/{id}/appeal", &[("reason", "Not yet.")],
                                                                   [S(303), S(409), S(409), S(409), S(409), S(303)]),
        c("POST", "/governance/proposals/{id}/appeal/decision", &[("uphold", "0")],
                                                                   [S(303), S(403), S(403), S(403), S(409), S(303)]),
        // The public decision log and the e-mailed vote links: the same
        // answer for everyone; a made-up link is gone; a post without the
        // pre-sign-in form token does nothing.
        c("GET",  "/decisions",                        &[],        [S(200), S(200), S(200), S(200), S(200), S(200)]),
        c("GET",  "/decisions/feed.atom",              &[],        [S(200), S(200), S(200), S(200), S(200), S(200)]),
        c("GET",  "/decisions/{id}",                   &[],        [S(200), S(200), S(200), S(200), S(200), S(200)]),
        c("GET",  "/vote/{token}",                     &[],        [S(410), S(410), S(410), S(410), S(410), S(410)]),
        c("POST", "/vote/{token}",                     &[("text_hash", "$HASH"), ("choice", "yes")],
                                                                   [S(403), S(403), S(403), S(403), S(403), S(403)]),
        // REST API.
        c("GET",    "/api/v1/openapi.json",            &[],        [S(200), S(200), S(200), S(200), S(200), S(200)]),
        c("GET",    "/api/v1/me",                      &[],        [S(401), S(200), S(200), S(200), S(200), S(403)]),
        c("GET",    "/api/v1/accounts",                &[],        [S(401), S(200), S(200), S(200), S(200), S(403)]),
        c("POST",   "/api/v1/accounts",                J_ACCOUNT,  [S(401), S(403), S(403), S(403), C(201), S(403)]),
        c("GET",    "/api/v1/accounts/{id}",           &[],        [S(401), S(404), S(200), S(200), S(200), S(403)]),
        c("PATCH",  "/api/v1/accounts/{id}",           J_PATCH_ACCOUNT, [S(401), S(404), S(403), S(403), C(200), S(403)]),
        c("DELETE", "/api/v1/accounts/{id}",           &[],        [S(401), S(404), S(403), S(403), C(200), S(403)]),
        c("POST",   "/api/v1/accounts/{id}/lock",      &[],        [S(401), S(404), S(403), S(403), C(200), S(403)]),
        c("POST",   "/api/v1/accounts/{id}/unlock",    &[],        [S(401), S(404), S(403), S(403), C(200), S(403)]),
        c("POST",   "/api/v1/accounts/{id}/restore",   &[],        [S(401), S(404), S(403), S(403), S(409), S(403)]),
        c("GET",    "/api/v1/accounts/{id}/members",   &[],        [S(401), S(404), S(200), S(200), S(200), S(403)]),
        c("POST",   "/api/v1/accounts/{id}/members",   J_MEMBER,   [S(401), S(404), S(403), C(201), C(201), S(403)]),
        c("PATCH",  "/api/v1/accounts/{id}/members/{user_id}", J_ROLE, [S(401), S(404), S(403), C(200), C(200), S(403)]),
        c("DELETE", "/api/v1/accounts/{id}/members/{user_id}", &[], [S(401), S(404), S(403), C(204), C(204), S(403)]),
        c("GET",    "/api/v1/users",                   &[],        [S(401), S(403), S(403), S(403), S(200), S(403)]),
        c("POST",   "/api/v1/users",                   J_USER,     [S(401), S(403), S(403), S(403), C(201), S(403)]),
        c("GET",    "/api/v1/users/{id}",              &[],        [S(401), S(404), S(200), S(200), S(200), S(403)]),
        c("PATCH",  "/api/v1/users/{id}",              J_PATCH_USER, [S(401), S(404), C(200), S(404), C(200), S(403)]),
        c("DELETE", "/api/v1/users/{id}",              &[],        [S(401), S(403), S(403), S(403), C(204), S(403)]),
        c("GET",    "/api/v1/quota-profiles",          &[],        [S(401), S(403), S(403), S(403), S(200), S(403)]),
        c("POST",   "/api/v1/quota-profiles",          J_PROFILE,  [S(401), S(403), S(403), S(403), C(201), S(403)]),
        c("GET",    "/api/v1/quota-profiles/{id}",     &[],        [S(401), S(403), S(403), S(403), S(200), S(403)]),
        c("PUT",    "/api/v1/quota-profiles/{id}",     J_PROFILE,  [S(401), S(403), S(403), S(403), C(200), S(403)]),
        c("DELETE", "/api/v1/quota-profiles/{id}",     &[],        [S(401), S(403), S(403), S(403), C(204), S(403)]),
        c("GET",    "/api/v1/tokens",                  &[],        [S(401), S(200), S(200), S(200), S(200), S(403)]),
        c("POST",   "/api/v1/tokens",                  J_TOKEN,    [S(401), C(201), C(201), C(201), C(201), S(403)]),
        c("DELETE", "/api/v1/tokens/{id}",             &[],        [S(401), S(404), S(404), C(204), S(404), S(403)]),
        c("GET",    "/api/v1/audit",                   &[],        [S(401), S(200), S(200), S(200), S(200), S(403)]),
        c("GET",    "/api/v1/audit.csv",               &[],        [S(401), S(200), S(200), S(200), S(200), S(403)]),
        c("GET",    "/api/v1/domains",                 &[],        [S(401), S(200), S(200), S(200), S(200), S(403)]),
        c("POST",   "/api/v1/domains",                 J_DOMAIN,   [S(401), S(404), C(201), C(201), C(201), S(403)]),
        c("GET",    "/api/v1/domains/{name}",          &[],        [S(401), S(404), S(200), S(200), S(200), S(403)]),
        c("PATCH",  "/api/v1/domains/{name}",          J_DNSSEC,   [S(401), S(404), C(200), C(200), C(200), S(403)]),
        c("DELETE", "/api/v1/domains/{name}",          &[],        [S(401), S(404), C(200), C(200), C(200), S(403)]),
        c("POST",   "/api/v1/domains/{name}/restore",  &[],        [S(401), S(404), S(409), S(409), S(409), S(403)]),
        c("GET",    "/api/v1/domains/{name}/records",  &[],        [S(401), S(404), S(200), S(200), S(200), S(403)]),
        c("POST",   "/api/v1/domains/{name}/records",  J_RECORD,   [S(401), S(404), C(201), C(201), C(201), S(403)]),
        c("GET",    "/api/v1/domains/{name}/records/{id}", &[],    [S(401), S(404), S(200), S(200), S(200), S(403)]),
        c("PUT",    "/api/v1/domains/{name}/records/{id}", J_RECORD, [S(401), S(404), C(200), C(200), C(200), S(403)]),
        c("DELETE", "/api/v1/domains/{name}/records/{id}", &[],    [S(401), S(404), C(204), C(204), C(204), S(403)]),
        c("GET",    "/api/v1/domains/{name}/zone",     &[],        [S(401), S(404), S(200), S(200), S(200), S(403)]),
        c("POST",   "/api/v1/domains/{name}/zone",     J_ZONE,     [S(401), S(404), S(200), S(200), S(200), S(403)]),
        c("GET",    "/api/v1/domains/{name}/mail",     &[],        [S(401), S(404), S(200), S(200), S(200), S(403)]),
        c("PUT",    "/api/v1/domains/{name}/mail",     J_MAIL_OFF, [S(401), S(404), S(409), S(409), S(409), S(403)]),
        c("POST",   "/api/v1/domains/{name}/mail/dkim/rotate", &[], [S(401), S(404), C(200), C(200), C(200), S(403)]),
        c("GET",    "/api/v1/mailboxes",               &[],        [S(401), S(200), S(200), S(200), S(200), S(403)]),
        c("POST",   "/api/v1/mailboxes",               J_MAILBOX,  [S(401), S(404), C(201), C(201), C(201), S(403)]),
        c("GET",    "/api/v1/mailboxes/{address}",     &[],        [S(401), S(404), S(200), S(200), S(200), S(403)]),
        c("PATCH",  "/api/v1/mailboxes/{address}",     J_MAILBOX_PATCH, [S(401), S(404), C(200), C(200), C(200), S(403)]),
        c("DELETE", "/api/v1/mailboxes/{address}",     &[],        [S(401), S(404), C(200), C(200), C(200), S(403)]),
        c("POST",   "/api/v1/mailboxes/{address}/restore", &[],    [S(401), S(404), S(409), S(409), S(409), S(403)]),
        c("PUT",    "/api/v1/mailboxes/{address}/password", J_MB_PASSWORD, [S(401), S(404), C(204), C(204), C(204), S(403)]),
        c("PUT",    "/api/v1/mailboxes/{address}/autoreply", J_AUTOREPLY, [S(401), S(404), C(200), C(200), C(200), S(403)]),
        c("GET",    "/api/v1/aliases",                 &[],        [S(401), S(200), S(200), S(200), S(200), S(403)]),
        c("POST",   "/api/v1/aliases",                 J_ALIAS,    [S(401), S(404), C(201), C(201), C(201), S(403)]),
        c("GET",    "/api/v1/aliases/{id}",            &[],        [S(401), S(404), S(200), S(200), S(200), S(403)]),
        c("PATCH",  "/api/v1/aliases/{id}",            J_ALIAS_PATCH, [S(401), S(404), C(200), C(200), C(200), S(403)]),
        c("DELETE", "/api/v1/aliases/{id}",            &[],        [S(401), S(404), C(204), C(204), C(204), S(403)]),
        // Websites: A's site is enabled, not deleted, and asks for a
        // certificate; enabling it again still queues it again.
        c("GET",    "/api/v1/sites",                   &[],        [S(401), S(200), S(200), S(200), S(200), S(403)]),
        c("POST",   "/api/v1/sites",                   J_SITE,     [S(401), S(422), C(201), C(201), C(201), S(403)]),
        c("GET",    "/api/v1/sites/{id}",              &[],        [S(401), S(404), S(200), S(200), S(200), S(403)]),
        c("PATCH",  "/api/v1/sites/{id}",              J_SITE_PATCH, [S(401), S(404), C(200), C(200), C(200), S(403)]),
        c("DELETE", "/api/v1/sites/{id}",              &[],        [S(401), S(404), C(200), C(200), C(200), S(403)]),
        c("POST",   "/api/v1/sites/{id}/restore",      &[],        [S(401), S(404), S(409), S(409), S(409), S(403)]),
        c("POST",   "/api/v1/sites/{id}/enable",       &[],        [S(401), S(404), C(200), C(200), C(200), S(403)]),
        c("POST",   "/api/v1/sites/{id}/disable",      &[],        [S(401), S(404), C(200), C(200), C(200), S(403)]),
        c("GET",    "/api/v1/sites/{id}/certificate",  &[],        [S(401), S(404), S(200), S(200), S(200), S(403)]),
        c("POST",   "/api/v1/sites/{id}/certificate/renew", &[],   [S(401), S(404), C(200), C(200), C(200), S(403)]),
        c("GET",    "/api/v1/sites/{id}/logs/{kind}",  &[],        [S(401), S(404), S(200), S(200), S(200), S(403)]),
        c("GET",    "/api/v1/certificates",            &[],        [S(401), S(200), S(200), S(200), S(200), S(403)]),
        c("GET",    "/api/v1/accounts/{id}/disk-usage", &[],       [S(401), S(404), S(200), S(200), S(200), S(403)]),
        // SFTP logins and databases: A's live login (enabling it again
        // still queues it again) and live database (which has no dump yet).
        c("GET",    "/api/v1/sftp-accounts",           &[],        [S(401), S(200), S(200), S(200), S(200), S(403)]),
        c("POST",   "/api/v1/sftp-accounts",           J_SFTP,     [S(401), S(404), C(201), C(201), C(201), S(403)]),
        c("GET",    "/api/v1/sftp-accounts/{id}",      &[],        [S(401), S(404), S(200), S(200), S(200), S(403)]),
        c("PATCH",  "/api/v1/sftp-accounts/{id}",      J_SFTP_PATCH, [S(401), S(404), C(200), C(200), C(200), S(403)]),
        c("DELETE", "/api/v1/sftp-accounts/{id}",      &[],        [S(401), S(404), C(204), C(204), C(204), S(403)]),
        c("POST",   "/api/v1/sftp-accounts/{id}/enable", &[],      [S(401), S(404), C(200), C(200), C(200), S(403)]),
        c("POST",   "/api/v1/sftp-accounts/{id}/disable", &[],     [S(401), S(404), C(200), C(200), C(200), S(403)]),
        c("GET",    "/api/v1/databases",               &[],        [S(401), S(200), S(200), S(200), S(200), S(403)]),
        c("POST",   "/api/v1/databases",               J_DATABASE, [S(401), S(404), C(201), C(201), C(201), S(403)]),
        c("GET",    "/api/v1/databases/{id}",          &[],        [S(401), S(404), S(200), S(200), S(200), S(403)]),
        c("DELETE", "/api/v1/databases/{id}",          &[],        [S(401), S(404), C(200), C(200), C(200), S(403)]),
        c("POST",   "/api/v1/databases/{id}/restore",  &[],        [S(401), S(404), S(409), S(409), S(409), S(403)]),
        c("POST",   "/api/v1/databases/{id}/users",    J_DB_USER,  [S(401), S(404), C(201), C(201), C(201), S(403)]),
        c("DELETE", "/api/v1/databases/{id}/users/{user}", &[],    [S(401), S(404), C(200), C(200), C(200), S(403)]),
        c("POST",   "/api/v1/databases/{id}/users/{user}/password", J_DB_PASSWORD,
                                                                   [S(401), S(404), C(200), C(200), C(200), S(403)]),
        c("GET",    "/api/v1/databases/{id}/dump",     &[],        [S(401), S(404), S(404), S(404), S(404), S(403)]),
        // Mailing lists: A's live list on its mail domain.
        c("GET",    "/api/v1/lists",                   &[],        [S(401), S(200), S(200), S(200), S(200), S(403)]),
        c("POST",   "/api/v1/lists",                   J_LIST,     [S(401), S(404), C(201), C(201), C(201), S(403)]),
        c("GET",    "/api/v1/lists/{id}",              &[],        [S(401), S(404), S(200), S(200), S(200), S(403)]),
        c("PATCH",  "/api/v1/lists/{id}",              J_LIST_PATCH, [S(401), S(404), C(200), C(200), C(200), S(403)]),
        c("DELETE", "/api/v1/lists/{id}",              &[],        [S(401), S(404), C(200), C(200), C(200), S(403)]),
        c("POST",   "/api/v1/lists/{id}/restore",      &[],        [S(401), S(404), S(409), S(409), S(409), S(403)]),
        // Its people and moderation queue live in Mailman, which this
        // server does not have: callers allowed get 409.
        c("GET",    "/api/v1/lists/{id}/members",      &[],        [S(401), S(404), S(409), S(409), S(409), S(403)]),
        c("POST",   "/api/v1/lists/{id}/members",      J_ADDRESSES, [S(401), S(404), S(409), S(409), S(409), S(403)]),
        c("POST",   "/api/v1/lists/{id}/members/remove", J_ADDRESSES, [S(401), S(404), S(409), S(409), S(409), S(403)]),
        c("DELETE", "/api/v1/lists/{id}/members/{address}", &[],   [S(401), S(404), S(409), S(409), S(409), S(403)]),
        c("GET",    "/api/v1/lists/{id}/members.csv",  &[],        [S(401), S(404), S(409), S(409), S(409), S(403)]),
        c("GET",    "/api/v1/lists/{id}/staff",        &[],        [S(401), S(404), S(409), S(409), S(409), S(403)]),
        c("POST",   "/api/v1/lists/{id}/staff",        J_STAFF,    [S(401), S(404), S(409), S(409), S(409), S(403)]),
        c("DELETE", "/api/v1/lists/{id}/staff/{role}/{address}", &[], [S(401), S(404), S(409), S(409), S(409), S(403)]),
        c("GET",    "/api/v1/lists/{id}/held",         &[],        [S(401), S(404), S(409), S(409), S(409), S(403)]),
        c("GET",    "/api/v1/lists/{id}/held/{request}", &[],      [S(401), S(404), S(409), S(409), S(409), S(403)]),
        c("POST",   "/api/v1/lists/{id}/held/{request}", J_DECISION, [S(401), S(404), S(409), S(409), S(409), S(403)]),
        c("GET",    "/api/v1/lists/{id}/requests",     &[],        [S(401), S(404), S(409), S(409), S(409), S(403)]),
        // The token in the path is not a request token: nothing to decide.
        c("POST",   "/api/v1/lists/{id}/requests/{token}", J_DECISION, [S(401), S(404), S(404), S(404), S(404), S(403)]),
        // Governance: every person of the co-op takes part; bodies are the
        // admins'; the proposal is A's owner's, in its vote (frozen text),
        // with account votes: B's owner votes for B, A's plain member and
        // the admin are not in the electorate.
        c("GET",    "/api/v1/governance/bodies",       &[],        [S(401), S(200), S(200), S(200), S(200), S(403)]),
        c("POST",   "/api/v1/governance/bodies",       J_GOV_BODY, [S(401), S(403), S(403), S(403), C(201), S(403)]),
        c("GET",    "/api/v1/governance/bodies/{id}",  &[],        [S(401), S(200), S(200), S(200), S(200), S(403)]),
        c("PUT",    "/api/v1/governance/bodies/{id}",  J_GOV_RENAME, [S(401), S(403), S(403), S(403), C(200), S(403)]),
        c("GET",    "/api/v1/governance/proposals",    &[],        [S(401), S(200), S(200), S(200), S(200), S(403)]),
        c("POST",   "/api/v1/governance/proposals",    J_PROPOSAL, [S(401), C(201), C(201), C(201), C(201), S(403)]),
        c("GET",    "/api/v1/governance/proposals/{id}", &[],      [S(401), S(200), S(200), S(200), S(200), S(403)]),
        c("PUT",    "/api/v1/governance/proposals/{id}", J_PROPOSAL_EDIT, [S(401), S(403), S(403), S(409), S(409), S(403)]),
        c("POST",   "/api/v1/governance/proposals/{id}/discussion", &[], [S(401), S(403), S(403), S(409), S(409), S(403)]),
        c("POST",   "/api/v1/governance/proposals/{id}/withdraw", &[], [S(401), S(403), S(403), S(409), S(409), S(403)]),
        c("POST",   "/api/v1/governance/proposals/{id}/rollback", &[], [S(401), S(403), S(403), S(403), S(409), S(403)]),
        c("POST",   "/api/v1/governance/proposals/{id}/retry", &[], [S(401), S(403), S(403), S(403), S(409), S(403)]),
        c("POST",   "/api/v1/governance/proposals/{id}/appeal", J_APPEAL, [S(401), S(409), S(409), S(409), S(409), S(403)]),
        c("POST",   "/api/v1/governance/proposals/{id}/appeal/decision", J_SETTLE, [S(401), S(403), S(403), S(403), S(409), S(403)]),
        c("GET",    "/api/v1/governance/proposals/{id}/comments", &[], [S(401), S(200), S(200), S(200), S(200), S(403)]),
        c("POST",   "/api/v1/governance/proposals/{id}/comments", J_COMMENT, [S(401), C(201), C(201), C(201), C(201), S(403)]),
        c("PUT",    "/api/v1/governance/proposals/{id}/ballot", J_BALLOT, [S(401), C(204), S(403), C(204), S(403), S(403)]),
        c("GET",    "/api/v1/governance/proposals/{id}/preview", &[], [S(401), S(200), S(200), S(200), S(200), S(403)]),
        // The public decision log: the same for everyone, any token ignored.
        c("GET",    "/api/v1/decisions",               &[],        [S(200), S(200), S(200), S(200), S(200), S(200)]),
        c("GET",    "/api/v1/decisions/verify",        &[],        [S(200), S(200), S(200), S(200), S(200), S(200)]),
        c("GET",    "/api/v1/decisions/{id}",          &[],        [S(200), S(200), S(200), S(200), S(200), S(200)]),
    ]
}

#[test]
fn the_matrix_lists_every_route() {
    let served: BTreeSet<(String, String)> = konbit_web::routes()
        .into_iter()
        .map(|r| (r.method, r.path))
        .collect();
    let listed: BTreeSet<(String, String)> = cases()
        .iter()
        .map(|c| (c.method.to_owned(), c.route.to_owned()))
        .collect();
    let missing: Vec<_> = served.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&served).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the authorization matrix: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "matrix rows for routes that do not exist: {stale:?}"
    );
}

// The panel's and the API's halves run as two tests, so each stays well
// within the test timeout on a busy two-core machine.
#[tokio::test(flavor = "multi_thread")]
async fn every_panel_route_for_every_caller() {
    every_route_for_every_caller(false, Split::Rest).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_api_route_for_every_caller() {
    every_route_for_every_caller(true, Split::Rest).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_sftp_and_database_panel_route_for_every_caller() {
    every_route_for_every_caller(false, Split::Hosting).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_sftp_and_database_api_route_for_every_caller() {
    every_route_for_every_caller(true, Split::Hosting).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_list_panel_route_for_every_caller() {
    every_route_for_every_caller(false, Split::Lists).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_list_api_route_for_every_caller() {
    every_route_for_every_caller(true, Split::Lists).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_governance_panel_route_for_every_caller() {
    every_route_for_every_caller(false, Split::Governance).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_governance_api_route_for_every_caller() {
    every_route_for_every_caller(true, Split::Governance).await;
}

/// Which of the tests above a route belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Split {
    Rest,
    Hosting,
    Lists,
    Governance,
}

fn split(route: &str) -> Split {
    if is_lists(route) {
        Split::Lists
    } else if is_governance(route) {
        Split::Governance
    } else if is_hosting(route) {
        Split::Hosting
    } else {
        Split::Rest
    }
}

/// Mailing lists' routes, run as tests of their own.
fn is_lists(route: &str) -> bool {
    ["/lists", "/api/v1/lists"]
        .iter()
        .any(|p| route == *p || route.starts_with(&format!("{p}/")))
}

/// Governance's routes and the public decision log, run as tests of their own.
fn is_governance(route: &str) -> bool {
    [
        "/governance",
        "/decisions",
        "/vote",
        "/api/v1/governance",
        "/api/v1/decisions",
    ]
    .iter()
    .any(|p| route == *p || route.starts_with(&format!("{p}/")))
}

/// SFTP logins' and databases' routes, run as tests of their own.
fn is_hosting(route: &str) -> bool {
    [
        "/sftp",
        "/databases",
        "/api/v1/sftp-accounts",
        "/api/v1/databases",
    ]
    .iter()
    .any(|p| route == *p || route.starts_with(&format!("{p}/")))
}

async fn every_route_for_every_caller(api: bool, part: Split) {
    let mut failures = Vec::new();
    for case in cases()
        .into_iter()
        .filter(|c| c.route.starts_with("/api/") == api && split(c.route) == part)
    {
        // Refusals and reads share one world per route; each allowed
        // change gets a fresh world so cases cannot disturb each other.
        let shared = world().await;
        for (role, expect) in ROLES.iter().zip(case.expect) {
            let (w, fresh);
            match expect {
                S(_) => w = &shared,
                C(_) => {
                    fresh = world().await;
                    w = &fresh;
                }
            }
            let creds = w.credentials(*role, &case).await;
            let before = w.t.fingerprint().await.unwrap();
            let status = w.send(&case, &creds).await;
            let after = w.t.fingerprint().await.unwrap();
            let label = format!("{} {} as {role:?}", case.method, case.route);
            match expect {
                S(want) => {
                    if status != want {
                        failures.push(format!("{label}: status {status}, expected {want}"));
                    }
                    if before != after {
                        failures.push(format!("{label}: the state changed although it must not"));
                    }
                }
                C(want) => {
                    if status != want {
                        failures.push(format!("{label}: status {status}, expected {want}"));
                    } else if before == after {
                        failures.push(format!("{label}: allowed, yet nothing changed"));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// What a token limited to account B (with every scope, made by an admin)
/// gets on the API routes of the matrix, which all aim at account A.
fn limited_token_expectation(method: &str, route: &str) -> Expect {
    match (method, route) {
        ("GET", "/api/v1/openapi.json" | "/api/v1/me" | "/api/v1/accounts" | "/api/v1/tokens") => {
            S(200)
        }
        ("GET", "/api/v1/audit" | "/api/v1/audit.csv" | "/api/v1/domains") => S(200),
        // Lists show only account B's mail; A's mailboxes and aliases do not
        // exist for it.
        ("GET", "/api/v1/mailboxes" | "/api/v1/aliases") => S(200),
        ("POST", "/api/v1/mailboxes" | "/api/v1/aliases") => S(404),
        // Likewise for sites and their certificates; a name of A's domain
        // is in none of B's.
        ("GET", "/api/v1/sites" | "/api/v1/certificates") => S(200),
        ("POST", "/api/v1/sites") => S(422),
        (_, r) if r.starts_with("/api/v1/sites/") => S(404),
        // And for SFTP logins and databases: account A is not B's.
        ("GET", "/api/v1/sftp-accounts" | "/api/v1/databases") => S(200),
        ("POST", "/api/v1/sftp-accounts" | "/api/v1/databases") => S(404),
        (_, r)
            if r.starts_with("/api/v1/sftp-accounts/") || r.starts_with("/api/v1/databases/") =>
        {
            S(404)
        }
        (_, r) if r.starts_with("/api/v1/mailboxes/") || r.starts_with("/api/v1/aliases/") => {
            S(404)
        }
        // And for mailing lists: A's domain and its list are not B's.
        ("GET", "/api/v1/lists") => S(200),
        ("POST", "/api/v1/lists") => S(404),
        (_, r) if r.starts_with("/api/v1/lists/") => S(404),
        // Governance is co-op wide: out of reach of a token limited to one
        // account; the public decision log is everyone's.
        ("GET", r) if r.starts_with("/api/v1/decisions") => S(200),
        // A domain of account A does not exist for a token of account B.
        (_, r) if r.starts_with("/api/v1/domains/{name}") => S(404),
        ("POST", "/api/v1/domains") => S(404),
        ("POST", "/api/v1/tokens") => C(201),
        ("DELETE", "/api/v1/tokens/{id}") => S(404),
        ("DELETE", "/api/v1/users/{id}") => S(403),
        (_, r) if r.starts_with("/api/v1/accounts/{id}") || r == "/api/v1/users/{id}" => S(404),
        _ => S(403),
    }
}

// Split like the matrix above, for the same reason: one fresh world per
// route adds up.
#[tokio::test(flavor = "multi_thread")]
async fn a_token_limited_to_one_account_reaches_nothing_else() {
    a_limited_token_on_every_api_route(Split::Rest).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_limited_to_one_account_reaches_no_other_sftp_login_or_database() {
    a_limited_token_on_every_api_route(Split::Hosting).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_limited_to_one_account_reaches_no_other_list() {
    a_limited_token_on_every_api_route(Split::Lists).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_limited_to_one_account_reaches_no_governance() {
    a_limited_token_on_every_api_route(Split::Governance).await;
}

async fn a_limited_token_on_every_api_route(part: Split) {
    let mut failures = Vec::new();
    for case in cases()
        .into_iter()
        .filter(|c| c.route.starts_with("/api/") && split(c.route) == part)
    {
        let w = world().await;
        let garden =
            w.t.app
                .accounts()
                .get_by_name(&konbit_core::authz::Actor::operator_cli(), "garden")
                .await
                .unwrap();
        let all = [
            "accounts:write",
            "users:write",
            "quota-profiles:write",
            "tokens:write",
            "audit:write",
            "domains:write",
            "mail:write",
            "sites:write",
            "sftp:write",
            "databases:write",
            "lists:write",
            "governance:write",
        ];
        let input = konbit_app::token::CreateToken {
            name: "garden only".into(),
            scopes: all.iter().map(|s| s.to_string()).collect(),
            expires_in_days: None,
            account_id: Some(garden.id.0),
        };
        let token =
            w.t.app
                .tokens()
                .create_for(
                    &konbit_core::authz::Actor::operator_cli(),
                    w.admin.id,
                    input,
                )
                .await
                .unwrap()
                .secret;
        let creds = Creds {
            bearer: Some(token),
            ..Default::default()
        };
        let expect = limited_token_expectation(case.method, case.route);
        let before = w.t.fingerprint().await.unwrap();
        let status = w.send(&case, &creds).await;
        let after = w.t.fingerprint().await.unwrap();
        let label = format!(
            "{} {} with a token limited to another account",
            case.method, case.route
        );
        match expect {
            S(want) if status != want => {
                failures.push(format!("{label}: status {status}, expected {want}"))
            }
            S(_) if before != after => failures.push(format!("{label}: the state changed")),
            C(want) if status != want => {
                failures.push(format!("{label}: status {status}, expected {want}"))
            }
            _ => {}
        }
        if case.method == "GET"
            && matches!(
                case.route,
                "/api/v1/accounts"
                    | "/api/v1/audit"
                    | "/api/v1/audit.csv"
                    | "/api/v1/mailboxes"
                    | "/api/v1/aliases"
                    | "/api/v1/sites"
                    | "/api/v1/certificates"
                    | "/api/v1/sftp-accounts"
                    | "/api/v1/databases"
                    | "/api/v1/lists"
            )
        {
            let api = w.t.api(creds.bearer.as_deref()).unwrap();
            let body = api.get(case.route).await.unwrap().text().await.unwrap();
            if body.contains("radio") {
                failures.push(format!("{label}: account A (radio) shows in {body}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
