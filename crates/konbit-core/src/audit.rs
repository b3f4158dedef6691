//! The audit log's pure rules: which values are secrets (redacted before an
//! entry is stored), the canonical encoding and hash that chain the entries,
//! the walk that checks the chain, and the "field: old → new" list the panel
//! shows. No I/O: the store feeds rows in, the front ends print the results.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[redacted]";

/// The `prev_hash` of the first entry of the chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Object kinds that appear in the audit log, for filters.
pub const OBJECT_KINDS: [&str; 5] = [
    "account",
    "membership",
    "user",
    "api_token",
    "quota_profile",
];

/// Whether a JSON key names a secret: passwords and their hashes, token
/// secrets, session ids, CSRF tokens, TOTP secrets and recovery codes.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    const EXACT: [&str; 9] = [
        "password",
        "secret",
        "csrf_token",
        "csrf",
        "session_id",
        "id_hash",
        "cookie",
        "cookie_value",
        "token_secret",
    ];
    EXACT.contains(&k.as_str())
        || k.starts_with("totp")
        || k.starts_with("recovery")
        || k.ends_with("password")
        || k.ends_with("_hash")
        || k.ends_with("_secret")
}

/// Replaces every secret value, at any depth, with `[redacted]`. The store
/// calls this on every old and new value, so no caller can forget it.
pub fn redact(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    if is_secret_key(&k) && !v.is_null() {
                        (k, Value::String(REDACTED.into()))
                    } else {
                        (k, redact(v))
                    }
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redact).collect()),
        other => other,
    }
}

/// Every stored field of an entry that the hash covers, `prev_hash` and the
/// entry's own id included (so an entry cannot be moved to another place).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainedFields {
    pub id: i64,
    pub at: i64,
    pub actor_user_id: Option<i64>,
    pub actor_label: String,
    pub token_id: Option<i64>,
    pub impersonator_user_id: Option<i64>,
    pub source: String,
    pub ip: Option<String>,
    pub action: String,
    pub object_kind: String,
    pub object_id: String,
    pub account_id: Option<i64>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub prev_hash: String,
}

/// Version tag of the encoding, so it can change later without ambiguity.
const DOMAIN: &[u8] = b"konbit-audit-v1";

pub(crate) fn put(out: &mut Vec<u8>, field: Option<&[u8]>) {
    match field {
        // A null and an empty string encode differently.
        None => out.push(0),
        Some(bytes) => {
            out.push(1);
            out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
            out.extend_from_slice(bytes);
        }
    }
}

pub(crate) fn put_int(out: &mut Vec<u8>, v: Option<i64>) {
    match v {
        None => out.push(0),
        Some(n) => {
            out.push(2);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

impl ChainedFields {
    /// The canonical encoding: a domain tag, then every field in a fixed
    /// order, each as a type byte and a length-prefixed value. Two different
    /// entries never encode to the same bytes.
    pub fn canonical(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        put(&mut out, Some(DOMAIN));
        put_int(&mut out, Some(self.id));
        put_int(&mut out, Some(self.at));
        put_int(&mut out, self.actor_user_id);
        put(&mut out, Some(self.actor_label.as_bytes()));
        put_int(&mut out, self.token_id);
        put_int(&mut out, self.impersonator_user_id);
        put(&mut out, Some(self.source.as_bytes()));
        put(&mut out, self.ip.as_deref().map(str::as_bytes));
        put(&mut out, Some(self.action.as_bytes()));
        put(&mut out, Some(self.object_kind.as_bytes()));
        put(&mut out, Some(self.object_id.as_bytes()));
        put_int(&mut out, self.account_id);
        put(&mut out, self.old_value.as_deref().map(str::as_bytes));
        put(&mut out, self.new_value.as_deref().map(str::as_bytes));
        put(&mut out, Some(self.prev_hash.as_bytes()));
        out
    }

    /// SHA-256 of the canonical encoding, in lowercase hex.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.canonical()))
    }
}

/// An entry of a hash-chained log (the audit log, the decision log): what
/// the chain walk needs to check it.
pub trait ChainLink {
    fn id(&self) -> i64;
    fn at(&self) -> i64;
    /// What the entry records, named in a break report.
    fn label(&self) -> &str;
    fn prev_hash(&self) -> &str;
    /// The hash of the entry's canonical encoding.
    fn link_hash(&self) -> String;
}

impl ChainLink for ChainedFields {
    fn id(&self) -> i64 {
        self.id
    }
    fn at(&self) -> i64 {
        self.at
    }
    fn label(&self) -> &str {
        &self.action
    }
    fn prev_hash(&self) -> &str {
        &self.prev_hash
    }
    fn link_hash(&self) -> String {
        self.hash()
    }
}

/// What is wrong with the first bad entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// The entry has no hash (written around the chain).
    Unhashed,
    /// The entry's fields do not match its hash: it was modified.
    Modified,
    /// The entry does not follow the one before it: an entry before it was
    /// deleted, or entries were reordered or inserted.
    Unlinked,
}

impl Problem {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unhashed => "unhashed",
            Self::Modified => "modified",
            Self::Unlinked => "unlinked",
        }
    }
}

/// The first entry that breaks the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainBreak {
    pub id: i64,
    pub at: i64,
    pub action: String,
    pub problem: Problem,
}

/// Walks the chain in id order, one entry at a time, so a long log never
/// has to fit in memory.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    prev_hash: String,
    prev_id: Option<i64>,
    pub checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            prev_hash: GENESIS.to_owned(),
            prev_id: None,
            checked: 0,
        }
    }
}

impl ChainVerifier {
    /// Checks the next entry (`hash` is the stored one).
    pub fn check(&mut self, f: &impl ChainLink, hash: Option<&str>) -> Result<(), ChainBreak> {
        let broken = |problem| ChainBreak {
            id: f.id(),
            at: f.at(),
            action: f.label().to_owned(),
            problem,
        };
        let Some(hash) = hash else {
            return Err(broken(Problem::Unhashed));
        };
        if f.link_hash() != hash {
            return Err(broken(Problem::Modified));
        }
        // Ids are handed out one after the other, so a gap is a deletion.
        let follows = self.prev_id.is_none_or(|p| f.id() == p + 1);
        if f.prev_hash() != self.prev_hash || !follows {
            return Err(broken(Problem::Unlinked));
        }
        self.prev_hash = hash.to_owned();
        self.prev_id = Some(f.id());
        self.checked += 1;
        Ok(())
    }

    /// The hash of the last entry checked (the head of the chain).
    pub fn head(&self) -> &str {
        &self.prev_hash
    }
}

/// One line of "what changed": a field with its old and new value, as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// Fields that change on every write and say nothing to a person.
fn is_noise(field: &str) -> bool {
    matches!(field, "updated_at" | "created_at" | "id")
        || field.starts_with("provision.")
        || field.ends_with("_id") && field != "user_id"
}

fn flatten(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        Value::Null => {}
        Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        Value::Array(items) => out.push((
            prefix.to_owned(),
            items
                .iter()
                .map(|i| match i {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(", "),
        )),
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

/// The changed fields between two stored JSON values (either may be absent
/// or not JSON), leaving out bookkeeping fields. Values are cut at 120
/// characters.
pub fn changes(old: Option<&str>, new: Option<&str>) -> Vec<Change> {
    let parse = |s: Option<&str>| {
        let mut out = Vec::new();
        if let Some(v) = s.and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok()) {
            flatten("", &v, &mut out);
        }
        out
    };
    let old = parse(old);
    let new = parse(new);
    let cut = |s: &str| {
        if s.chars().count() > 120 {
            let mut t: String = s.chars().take(119).collect();
            t.push('…');
            t
        } else {
            s.to_owned()
        }
    };
    let mut fields: Vec<&String> = old.iter().chain(new.iter()).map(|(k, _)| k).collect();
    fields.dedup();
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for field in fields {
        if !seen.insert(field.clone()) || is_noise(field) {
            continue;
        }
        let o = old.iter().find(|(k, _)| k == field).map(|(_, v)| cut(v));
        let n = new.iter().find(|(k, _)| k == field).map(|(_, v)| cut(v));
        if o != n {
            out.push(Change {
                field: field.clone(),
                old: o,
                new: n,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(id: i64, prev: &str) -> ChainedFields {
        ChainedFields {
            id,
            at: 1_700_000_000 + id,
            actor_user_id: Some(3),
            actor_label: "ada@coop.test".into(),
            token_id: None,
            impersonator_user_id: None,
            source: "panel".into(),
            ip: Some("127.0.0.1".into()),
            action: "account_updated".into(),
            object_kind: "account".into(),
            object_id: "7".into(),
            account_id: Some(7),
            old_value: Some(r#"{"display_name":"Radio"}"#.into()),
            new_value: Some(r#"{"display_name":"Radio CV"}"#.into()),
            prev_hash: prev.into(),
        }
    }

    fn chain(n: i64) -> Vec<(ChainedFields, String)> {
        let mut out = Vec::new();
        let mut prev = GENESIS.to_owned();
        for id in 1..=n {
            let e = entry(id, &prev);
            prev = e.hash();
            out.push((e, prev.clone()));
        }
        out
    }

    fn verify(rows: &[(ChainedFields, String)]) -> Result<(), ChainBreak> {
        let mut v = ChainVerifier::default();
        for (f, h) in rows {
            v.check(f, Some(h))?;
        }
        Ok(())
    }

    #[test]
    fn hash_is_stable_and_covers_null_versus_empty() {
        let e = entry(1, GENESIS);
        assert_eq!(e.hash().len(), 64);
        assert_eq!(e.hash(), entry(1, GENESIS).hash());
        let empty_ip = ChainedFields {
            ip: Some(String::new()),
            ..e.clone()
        };
        let no_ip = ChainedFields { ip: None, ..e };
        assert_ne!(empty_ip.hash(), no_ip.hash());
    }

    #[test]
    fn field_boundaries_are_unambiguous() {
        // Moving bytes from one field to the next changes the hash.
        let a = ChainedFields {
            object_kind: "acc".into(),
            object_id: "ount7".into(),
            ..entry(1, GENESIS)
        };
        let b = ChainedFields {
            object_kind: "account".into(),
            object_id: "7".into(),
            ..entry(1, GENESIS)
        };
        assert_ne!(a.canonical(), b.canonical());
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn a_good_chain_verifies_and_tampering_is_named() {
        let rows = chain(5);
        assert_eq!(verify(&rows), Ok(()));

        let mut edited = rows.clone();
        edited[2].0.new_value = Some(r#"{"display_name":"Evil"}"#.into());
        let b = verify(&edited).unwrap_err();
        assert_eq!((b.id, b.problem), (3, Problem::Modified));

        let mut deleted = rows.clone();
        deleted.remove(1);
        let b = verify(&deleted).unwrap_err();
        assert_eq!((b.id, b.problem), (3, Problem::Unlinked));

        let mut swapped = rows.clone();
        swapped.swap(1, 2);
        let b = verify(&swapped).unwrap_err();
        assert_eq!(b.id, 3);

        let mut v = ChainVerifier::default();
        let b = v.check(&rows[0].0, None).unwrap_err();
        assert_eq!(b.problem, Problem::Unhashed);
    }

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let v = json!({
            "email": "a@b.org",
            "password": "hunter2",
            "password_hash": "$argon2id$...",
            "secret_hash": "abc",
            "csrf_token": "t",
            "totp_secret": "JBSWY3DP",
            "recovery_codes": ["a", "b"],
            "nested": { "secret": "x", "name": "kept", "list": [{ "new_password": "y" }] },
            "prefix": "konbit_abc123",
            "revoked_password": null,
        });
        let r = redact(v);
        let s = r.to_string();
        for leaked in ["hunter2", "argon2id", "abc\"", "JBSWY3DP", "\"x\"", "\"y\""] {
            assert!(!s.contains(leaked), "{leaked} leaked in {s}");
        }
        assert_eq!(r["password"], REDACTED);
        assert_eq!(r["recovery_codes"], REDACTED);
        assert_eq!(r["nested"]["name"], "kept");
        assert_eq!(r["nested"]["list"][0]["new_password"], REDACTED);
        assert_eq!(r["email"], "a@b.org");
        assert_eq!(r["prefix"], "konbit_abc123");
        assert!(r["revoked_password"].is_null());
    }

    #[test]
    fn changes_lists_only_what_changed() {
        let old = r#"{"id":7,"display_name":"Radio","locked":false,"updated_at":1,"provision":{"status":"applied"}}"#;
        let new = r#"{"id":7,"display_name":"Radio CV","locked":true,"updated_at":2,"provision":{"status":"pending"},"lock_reason":"dues"}"#;
        let c = changes(Some(old), Some(new));
        let names: Vec<&str> = c.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(names, ["display_name", "locked", "lock_reason"]);
        assert_eq!(c[0].old.as_deref(), Some("Radio"));
        assert_eq!(c[0].new.as_deref(), Some("Radio CV"));
        assert_eq!(c[2].old, None);
        let created = changes(None, Some(r#"{"role":"owner","user_id":4}"#));
        assert_eq!(created.len(), 2);
        assert!(changes(Some("not json"), None).is_empty());
    }

    /// Changes one byte of one field (by index) of a stored entry, keeping
    /// text fields valid UTF-8 as the store would.
    fn mutate(e: &mut ChainedFields, field: usize, pos: usize, delta: u8) {
        let delta = delta.max(1);
        let bump_str = |s: &mut String| {
            let mut bytes = s.clone().into_bytes();
            if bytes.is_empty() {
                bytes.push(b'a');
            } else {
                let i = pos % bytes.len();
                // Stay in ASCII so the text stays valid; always a different byte.
                bytes[i] = ((bytes[i] & 0x7f) + delta % 94) % 94 + 33;
                if bytes[i] == s.as_bytes()[i] {
                    bytes[i] = if bytes[i] == b'!' { b'#' } else { b'!' };
                }
            }
            *s = String::from_utf8_lossy(&bytes).into_owned();
        };
        let bump_opt = |o: &mut Option<String>| match o {
            Some(s) => bump_str(s),
            None => *o = Some(String::new()),
        };
        let bump_int = |n: &mut i64| *n ^= 1 << (pos % 63);
        let bump_opt_int = |o: &mut Option<i64>| match o {
            Some(n) => *n ^= 1 << (pos % 63),
            None => *o = Some(0),
        };
        match field {
            0 => bump_int(&mut e.id),
            1 => bump_int(&mut e.at),
            2 => bump_opt_int(&mut e.actor_user_id),
            3 => bump_str(&mut e.actor_label),
            4 => bump_opt_int(&mut e.token_id),
            5 => bump_opt_int(&mut e.impersonator_user_id),
            6 => bump_str(&mut e.source),
            7 => bump_opt(&mut e.ip),
            8 => bump_str(&mut e.action),
            9 => bump_str(&mut e.object_kind),
            10 => bump_str(&mut e.object_id),
            11 => bump_opt_int(&mut e.account_id),
            12 => bump_opt(&mut e.old_value),
            13 => bump_opt(&mut e.new_value),
            _ => bump_str(&mut e.prev_hash),
        }
    }

    proptest::proptest! {
        #[test]
        fn any_single_change_to_any_stored_field_breaks_verification(
            row in 0usize..4, field in 0usize..16, pos in 0usize..200, delta in 1u8..=255,
        ) {
            let mut rows = chain(4);
            let before = rows[row].0.clone();
            if field == 15 {
                // The stored hash itself.
                let mut h = rows[row].1.clone().into_bytes();
                let i = pos % h.len();
                h[i] = if h[i] == b'0' { b'1' } else { b'0' };
                rows[row].1 = String::from_utf8_lossy(&h).into_owned();
            } else {
                mutate(&mut rows[row].0, field, pos, delta);
                proptest::prop_assume!(rows[row].0 != before);
            }
            let b = verify(&rows);
            proptest::prop_assert!(b.is_err(), "field {} of row {} changed unnoticed", field, row);
            // The first bad entry is the changed one, or the one after it when
            // only the stored hash was changed.
            let id = b.map(|_| 0).unwrap_or_else(|b| b.id);
            let changed = i64::try_from(row).unwrap_or(0) + 1;
            // (A changed id is named by its new value.)
            proptest::prop_assert!(id == changed || id == changed + 1 || id == rows[row].0.id);
        }
    }
}
