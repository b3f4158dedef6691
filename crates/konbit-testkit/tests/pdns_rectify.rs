//! Konbit's pure rectify and DNSSEC key helpers
//! (`konbit_core::dns::dnssec`) against the real PowerDNS: a zone written by
//! SQL with Konbit's `ordername`/`auth`/empty non-terminal rows and key must
//! be exactly what `pdnsutil rectify-zone` would have written, pass
//! `pdnsutil check-zone`, be served signed, and have the DS PowerDNS
//! computes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use konbit_core::dns::dnssec::{
    DnssecKey, FLAGS_CSK, Rectified, bind_private_key, ds_records, parse_bind_private_key, rectify,
    rectify_unsigned,
};
use konbit_testkit::pdns::PowerDns;
use sqlx::SqlitePool;

const ZONE: &str = "example.test";

/// RFC 6605 §6.1's published P-256 key: the private key file, the DNSKEY
/// (base64) and the same public key as bytes.
const PRIVATE: &str = "Private-key-format: v1.2
Algorithm: 13 (ECDSAP256SHA256)
PrivateKey: GU6SnQ/Ou+xC5RumuIUIuJZteXT2z0O/ok1s38Et6mQ=
";
const DNSKEY: &str = "257 3 13 \
    GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==";
const PUBLIC: [u8; 64] = [
    0x1a, 0x88, 0xc8, 0x86, 0x15, 0xd4, 0x37, 0xfb, 0xb8, 0xbf, 0x9e, 0x19, 0x42, 0xa1, 0x92, 0x9f,
    0x28, 0x56, 0x27, 0x06, 0xae, 0x6c, 0x2b, 0xd3, 0x99, 0xe7, 0xb1, 0xbf, 0xb6, 0xd1, 0xe9, 0xe7,
    0x5b, 0x92, 0xb4, 0xaa, 0x42, 0x91, 0x7a, 0xe1, 0xc6, 0x1b, 0x70, 0x1e, 0xf0, 0x35, 0xc3, 0xfe,
    0x7b, 0xe3, 0x00, 0x9c, 0xba, 0xfe, 0x5a, 0x2f, 0x71, 0x31, 0x6c, 0x90, 0x2d, 0xcf, 0x0d, 0x00,
];

/// (name relative to the zone, type, content, prio); `@` is the apex.
const RECORDS: &[(&str, &str, &str, i64)] = &[
    (
        "@",
        "SOA",
        "ns1.example.test. hostmaster.example.test. 2024010101 10800 3600 604800 300",
        0,
    ),
    ("@", "NS", "ns1.example.test", 0),
    ("@", "MX", "mail.example.test", 10),
    ("ns1", "A", "192.0.2.53", 0),
    ("mail", "A", "192.0.2.25", 0),
    ("www", "A", "192.0.2.80", 0),
    ("www", "AAAA", "2001:db8::80", 0),
    ("*", "A", "192.0.2.99", 0),
    ("_sip._tcp", "SRV", "5 5060 www.example.test", 0),
    // Empty non-terminals b.c and c.
    ("a.b.c", "TXT", "\"deep\"", 0),
    // A delegation with glue and a DS.
    ("sub", "NS", "ns.sub.example.test", 0),
    (
        "sub",
        "DS",
        "12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        0,
    ),
    ("ns.sub", "A", "192.0.2.54", 0),
    ("ns.sub", "AAAA", "2001:db8::54", 0),
    // Glue below an empty non-terminal below the delegation.
    ("x.y.sub", "A", "192.0.2.55", 0),
    // A delegation under the empty non-terminal c, whose glue makes the
    // non-authoritative empty non-terminal h.k.c.
    ("k.c", "NS", "g.h.k.c.example.test", 0),
    ("g.h.k.c", "A", "192.0.2.56", 0),
    // Names with escaped characters.
    ("a\\.b", "TXT", "\"dot\"", 0),
    ("sp\\032ace", "TXT", "\"space\"", 0),
];

fn absolute(relative: &str) -> String {
    if relative == "@" {
        ZONE.to_owned()
    } else {
        format!("{relative}.{ZONE}")
    }
}

type Snapshot = Vec<(String, Option<String>, Option<String>, bool)>;

/// (name, type, ordername, auth) of every row of the zone.
async fn snapshot(db: &SqlitePool, domain_id: i64) -> Snapshot {
    sqlx::query_as(
        "SELECT name, type, ordername, auth FROM records WHERE domain_id = $1
         ORDER BY name, type, content, ordername",
    )
    .bind(domain_id)
    .fetch_all(db)
    .await
    .unwrap()
}

/// Insert the zone `name` with `RECORDS` (rewritten for `name`) and the
/// rectify result; returns the domain id.
async fn insert_zone(db: &SqlitePool, name: &str, rectified: &Rectified) -> i64 {
    let id: i64 =
        sqlx::query_scalar("INSERT INTO domains (name, type) VALUES ($1, 'NATIVE') RETURNING id")
            .bind(name)
            .fetch_one(db)
            .await
            .unwrap();
    for ((relative, rtype, content, prio), order) in RECORDS.iter().zip(&rectified.records) {
        sqlx::query(
            "INSERT INTO records (domain_id, name, type, content, ttl, prio, disabled, ordername, auth)
             VALUES ($1, $2, $3, $4, 300, $5, 0, $6, $7)",
        )
        .bind(id)
        .bind(absolute(relative).replace(ZONE, name))
        .bind(rtype)
        .bind(content.replace(ZONE, name))
        .bind(prio)
        .bind(&order.ordername)
        .bind(order.auth)
        .execute(db)
        .await
        .unwrap();
    }
    for ent in &rectified.empty_non_terminals {
        sqlx::query(
            "INSERT INTO records (domain_id, name, type, content, ttl, prio, disabled, ordername, auth)
             VALUES ($1, $2, NULL, NULL, NULL, NULL, 0, $3, $4)",
        )
        .bind(id)
        .bind(&ent.name)
        .bind(&ent.ordername)
        .bind(ent.auth)
        .execute(db)
        .await
        .unwrap();
    }
    id
}

/// Run `pdnsutil rectify-zone` on the rows as they are, then after wiping
/// Konbit's values twice over (NULL/auth, garbage/non-auth, empty
/// non-terminals deleted): each time PowerDNS must end at `expected`.
async fn assert_pdns_rectify_agrees(
    pdns: &PowerDns,
    db: &SqlitePool,
    zone: &str,
    id: i64,
    expected: &Snapshot,
) {
    pdns.pdnsutil(&["rectify-zone", zone]).unwrap();
    assert_eq!(&snapshot(db, id).await, expected, "rectify of {zone}");
    for (ordername, auth) in [(None, true), (Some("zzz"), false)] {
        sqlx::query("DELETE FROM records WHERE domain_id = $1 AND type IS NULL")
            .bind(id)
            .execute(db)
            .await
            .unwrap();
        sqlx::query("UPDATE records SET ordername = $2, auth = $3 WHERE domain_id = $1")
            .bind(id)
            .bind(ordername)
            .bind(auth)
            .execute(db)
            .await
            .unwrap();
        pdns.pdnsutil(&["rectify-zone", zone]).unwrap();
        assert_eq!(
            &snapshot(db, id).await,
            expected,
            "rectify of {zone} from ordername {ordername:?}, auth {auth}"
        );
    }
}

#[tokio::test]
async fn konbit_rectify_and_keys_match_powerdns() {
    let dir = tempfile::tempdir().unwrap();
    let Some(pdns) = PowerDns::try_start(dir.path()).await.unwrap() else {
        return;
    };
    let db = pdns.pool().await.unwrap();

    let names: Vec<(String, &str)> = RECORDS
        .iter()
        .map(|(relative, rtype, _, _)| (absolute(relative), *rtype))
        .collect();
    let names: Vec<(&str, &str)> = names.iter().map(|(n, t)| (n.as_str(), *t)).collect();
    let rectified = rectify(ZONE, &names).unwrap();
    let id = insert_zone(&db, ZONE, &rectified).await;

    let scalar = parse_bind_private_key(PRIVATE).unwrap();
    assert_eq!(bind_private_key(&scalar), PRIVATE);
    let key = DnssecKey::p256_csk(PUBLIC);
    assert_eq!(key.dnskey_presentation(), DNSKEY);
    sqlx::query(
        "INSERT INTO cryptokeys (domain_id, flags, active, published, content)
         VALUES ($1, $2, 1, 1, $3)",
    )
    .bind(id)
    .bind(FLAGS_CSK)
    .bind(bind_private_key(&scalar))
    .execute(&db)
    .await
    .unwrap();
    let ours = snapshot(&db, id).await;

    // (a) PowerDNS finds nothing wrong.
    let show = pdns.pdnsutil(&["show-zone", ZONE]).unwrap();
    assert!(show.contains("Zone has NSEC semantics"), "{show}");
    pdns.check_zone(ZONE).unwrap();

    // (b) Served signed, with our DNSKEY.
    let www = pdns
        .dig_full(&format!("www.{ZONE}"), "A", &["+dnssec"])
        .unwrap();
    assert!(www.contains("status: NOERROR"), "{www}");
    assert!(
        www.lines()
            .any(|l| l.contains("\tRRSIG\t") && l.contains("A 13 3 300")),
        "no RRSIG over www A:\n{www}"
    );
    let dnskey = pdns.dig(ZONE, "DNSKEY").unwrap();
    let without_spaces = |s: &str| s.split_whitespace().collect::<String>();
    assert_eq!(
        dnskey.iter().map(|l| without_spaces(l)).collect::<Vec<_>>(),
        [without_spaces(DNSKEY)]
    );

    // (c) The DS PowerDNS computes is ours (digest types 2 and 4).
    let exported = pdns.pdnsutil(&["export-zone-ds", ZONE]).unwrap();
    let theirs: Vec<String> = exported
        .lines()
        .filter_map(|l| Some(l.split_once(" IN DS ")?.1.split(" ;").next()?.to_owned()))
        .collect();
    let ds: Vec<String> = ds_records(ZONE, FLAGS_CSK, &PUBLIC)
        .unwrap()
        .iter()
        .map(|d| d.presentation())
        .collect();
    assert_eq!(theirs, ds, "{exported}");
    assert!(ds[0].starts_with(&format!("{} 13 2 ", key.key_tag())));

    // (d) pdnsutil rectify-zone leaves our rows as they are, and rebuilds
    // them from scratch.
    assert!(ours.iter().any(|(_, t, _, _)| t.is_none()));
    assert_pdns_rectify_agrees(&pdns, &db, ZONE, id, &ours).await;
    pdns.check_zone(ZONE).unwrap();

    // (e) Denial of existence is signed with NSEC records.
    let nx = pdns
        .dig_full(&format!("nope.www.{ZONE}"), "A", &["+dnssec"])
        .unwrap();
    assert!(nx.contains("status: NXDOMAIN"), "{nx}");
    assert!(
        nx.contains("\tNSEC\t"),
        "no NSEC in the NXDOMAIN answer:\n{nx}"
    );
    assert!(nx.contains("RRSIG\tNSEC"), "unsigned NSEC:\n{nx}");
    // An empty non-terminal is NODATA, not NXDOMAIN.
    let ent = pdns
        .dig_full(&format!("b.c.{ZONE}"), "A", &["+dnssec"])
        .unwrap();
    assert!(ent.contains("status: NOERROR"), "{ent}");
    assert!(ent.contains("\tNSEC\t"), "{ent}");
    // The delegation is a referral with the DS, and the glue.
    let referral = pdns
        .dig_full(&format!("host.sub.{ZONE}"), "A", &["+dnssec"])
        .unwrap();
    assert!(referral.contains(&format!("sub.{ZONE}.")), "{referral}");
    assert!(referral.contains("\tDS\t12345 13 2"), "{referral}");
    assert!(referral.contains("192.0.2.54"), "{referral}");

    // The same zone without a key: rectify_unsigned matches too.
    let unsigned_zone = "unsigned.test";
    let unsigned_names: Vec<(String, &str)> = names
        .iter()
        .map(|(n, t)| (n.replace(ZONE, unsigned_zone), *t))
        .collect();
    let unsigned_names: Vec<(&str, &str)> = unsigned_names
        .iter()
        .map(|(n, t)| (n.as_str(), *t))
        .collect();
    let unsigned = rectify_unsigned(unsigned_zone, &unsigned_names).unwrap();
    let unsigned_id = insert_zone(&db, unsigned_zone, &unsigned).await;
    let ours = snapshot(&db, unsigned_id).await;
    assert!(ours.iter().all(|(_, _, ordername, _)| ordername.is_none()));
    pdns.check_zone(unsigned_zone).unwrap();
    assert_pdns_rectify_agrees(&pdns, &db, unsigned_zone, unsigned_id, &ours).await;
    assert_eq!(
        pdns.dig(&format!("www.{unsigned_zone}"), "A").unwrap(),
        ["192.0.2.80"]
    );
    db.close().await;
}
