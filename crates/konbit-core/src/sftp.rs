//! SFTP accounts as Konbit models them, before ProFTPd sees them: a login
//! prefixed by the account's name, a directory inside the account's home,
//! a password and/or SSH public keys.
//!
//! Everything here is pure. A value built by a `parse` function holds no
//! `:`, quote, backslash, whitespace or newline coming from a person, so
//! what the provisioner writes into ProFTPd's user and key files cannot
//! add a line or a field.

use crate::error::{FieldError, Rule};
use crate::names::AccountName;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;

/// An SFTP login: `<account>_<suffix>`, or the account's name alone. The
/// suffix is 1 to 16 lowercase letters, digits, `_` and `-`, starting with
/// a letter or digit; the whole is at most 32 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct SftpLogin(String);

impl SftpLogin {
    pub const MAX: usize = 32;
    pub const MAX_SUFFIX: usize = 16;

    /// The login of `account` with the member's `suffix` (empty: the
    /// account's name alone).
    pub fn for_account(
        field: &'static str,
        account: &AccountName,
        suffix: &str,
    ) -> Result<Self, FieldError> {
        let suffix = suffix.trim();
        if suffix.is_empty() {
            return Ok(Self(account.as_str().to_owned()));
        }
        if suffix.chars().any(char::is_control) {
            return Err(FieldError::new(field, Rule::ControlCharacter));
        }
        if suffix.len() > Self::MAX_SUFFIX {
            return Err(FieldError::new(
                field,
                Rule::TooLong {
                    max: Self::MAX_SUFFIX,
                },
            ));
        }
        let ok = suffix
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && suffix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-'));
        if !ok {
            return Err(FieldError::new(field, Rule::SlugFormat));
        }
        let full = format!("{account}_{suffix}");
        if full.len() > Self::MAX {
            let room = Self::MAX.saturating_sub(account.as_str().len() + 1);
            return Err(FieldError::new(field, Rule::TooLong { max: room }));
        }
        Ok(Self(full))
    }

    /// A login read back from the store, checked again before it goes
    /// into a ProFTPd file.
    pub fn parse_existing(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= Self::MAX
            && s.as_bytes()[0].is_ascii_lowercase()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-'));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!("{s:?} is not an SFTP login Konbit makes"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SftpLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The key types ProFTPd's mod_sftp and OpenSSH both take.
const KEY_TYPES: [&str; 5] = [
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
];

/// RSA keys shorter than this are refused.
pub const MIN_RSA_BITS: usize = 2048;

/// An SSH public key, as OpenSSH writes it (`ssh-ed25519 AAAA… comment`).
/// The key blob is decoded and checked: its own type name must match the
/// line's, RSA keys must have at least 2048 bits. The comment keeps only
/// letters, digits and `@ . _ -`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SshPublicKey {
    pub key_type: String,
    /// The blob, standard base64.
    pub blob: String,
    pub comment: String,
}

impl SshPublicKey {
    /// A line is at most this long (an RSA 16384-bit key fits).
    pub const MAX: usize = 4096;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(FieldError::new(field, Rule::Required));
        }
        if s.len() > Self::MAX {
            return Err(FieldError::new(field, Rule::TooLong { max: Self::MAX }));
        }
        if s.contains(['\n', '\r', '\0']) {
            return Err(FieldError::new(field, Rule::ControlCharacter));
        }
        let bad = || FieldError::new(field, Rule::SshKeyFormat);
        let mut parts = s.split_whitespace();
        let key_type = parts.next().ok_or_else(bad)?;
        let blob = parts.next().ok_or_else(bad)?;
        let comment: String = parts
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '@' | '.' | '_' | '-'))
            .take(64)
            .collect();
        if !KEY_TYPES.contains(&key_type) {
            return Err(bad());
        }
        let bytes = STANDARD.decode(blob).map_err(|_| bad())?;
        let mut reader = Blob(&bytes);
        let inner_type = reader.string().ok_or_else(bad)?;
        if inner_type != key_type.as_bytes() {
            return Err(bad());
        }
        match key_type {
            "ssh-ed25519" => {
                let key = reader.string().ok_or_else(bad)?;
                if key.len() != 32 {
                    return Err(bad());
                }
            }
            "ssh-rsa" => {
                let _exponent = reader.string().ok_or_else(bad)?;
                let modulus = reader.string().ok_or_else(bad)?;
                let significant = modulus.iter().skip_while(|b| **b == 0).count();
                if significant * 8 < MIN_RSA_BITS {
                    return Err(FieldError::new(field, Rule::SshKeyTooWeak));
                }
            }
            _ => {
                let curve = reader.string().ok_or_else(bad)?;
                if !key_type.ends_with(&*String::from_utf8_lossy(curve)) {
                    return Err(bad());
                }
                let point = reader.string().ok_or_else(bad)?;
                if point.first() != Some(&4) {
                    return Err(bad());
                }
            }
        }
        if !reader.0.is_empty() {
            return Err(bad());
        }
        Ok(Self {
            key_type: key_type.to_owned(),
            blob: STANDARD.encode(&bytes),
            comment,
        })
    }

    /// `SHA256:…`, as `ssh-keygen -l` shows it.
    pub fn fingerprint(&self) -> String {
        let bytes = STANDARD.decode(&self.blob).unwrap_or_default();
        format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(bytes)))
    }

    /// The OpenSSH line.
    pub fn to_openssh(&self) -> String {
        if self.comment.is_empty() {
            format!("{} {}", self.key_type, self.blob)
        } else {
            format!("{} {} {}", self.key_type, self.blob, self.comment)
        }
    }

    /// The RFC 4716 form (`---- BEGIN SSH2 PUBLIC KEY ----`), which
    /// ProFTPd's mod_sftp reads.
    pub fn to_rfc4716(&self) -> String {
        let mut out = String::from("---- BEGIN SSH2 PUBLIC KEY ----\n");
        if !self.comment.is_empty() {
            out.push_str(&format!("Comment: \"{}\"\n", self.comment));
        }
        let blob = self.blob.as_bytes();
        for chunk in blob.chunks(70) {
            out.push_str(&String::from_utf8_lossy(chunk));
            out.push('\n');
        }
        out.push_str("---- END SSH2 PUBLIC KEY ----\n");
        out
    }
}

/// Several keys, one per line; blank lines and `#` comments are skipped.
/// The same key twice is kept once.
pub fn parse_ssh_keys(field: &'static str, raw: &str) -> Result<Vec<SshPublicKey>, FieldError> {
    let mut keys: Vec<SshPublicKey> = Vec::new();
    for line in raw.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let key = SshPublicKey::parse(field, line)?;
        if !keys.iter().any(|k| k.blob == key.blob) {
            keys.push(key);
        }
        if keys.len() > MAX_SSH_KEYS {
            return Err(FieldError::new(field, Rule::TooMany { max: MAX_SSH_KEYS }));
        }
    }
    Ok(keys)
}

/// Keys per SFTP account at most.
pub const MAX_SSH_KEYS: usize = 20;

/// SSH's wire strings: a 32-bit big-endian length, then the bytes.
struct Blob<'a>(&'a [u8]);

impl<'a> Blob<'a> {
    fn string(&mut self) -> Option<&'a [u8]> {
        let len = self.0.get(..4)?;
        let len = usize::try_from(u32::from_be_bytes([len[0], len[1], len[2], len[3]])).ok()?;
        let end = 4usize.checked_add(len)?;
        let value = self.0.get(4..end)?;
        self.0 = &self.0[end..];
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(name: &str) -> AccountName {
        AccountName::parse("name", name).unwrap()
    }

    fn wire(parts: &[&[u8]]) -> String {
        let mut out = Vec::new();
        for p in parts {
            out.extend_from_slice(&u32::try_from(p.len()).unwrap().to_be_bytes());
            out.extend_from_slice(p);
        }
        STANDARD.encode(out)
    }

    #[test]
    fn logins_are_prefixed_by_the_account() {
        let radio = account("radio");
        assert_eq!(
            SftpLogin::for_account("login", &radio, "")
                .unwrap()
                .as_str(),
            "radio"
        );
        assert_eq!(
            SftpLogin::for_account("login", &radio, "web-1")
                .unwrap()
                .as_str(),
            "radio_web-1"
        );
        for bad in [
            "a:b", "a b", "A", "-a", "a/b", "a'b", "a\\b", "é", "a\nb", "a\0b",
        ] {
            let err = SftpLogin::for_account("login", &radio, bad).unwrap_err();
            assert_eq!(err.field, "login", "{bad:?}");
        }
        let long = "a".repeat(17);
        assert!(matches!(
            SftpLogin::for_account("login", &radio, &long)
                .unwrap_err()
                .rule,
            Rule::TooLong { .. }
        ));
        assert!(SftpLogin::parse_existing("radio_web").is_ok());
        assert!(SftpLogin::parse_existing("radio:x").is_err());
    }

    #[test]
    fn ed25519_keys_parse_and_print_both_forms() {
        let blob = wire(&[b"ssh-ed25519", &[7u8; 32]]);
        let line = format!("ssh-ed25519 {blob} alice@laptop \"x\"");
        let key = SshPublicKey::parse("keys", &line).unwrap();
        assert_eq!(key.comment, "alice@laptopx");
        assert_eq!(
            key.to_openssh(),
            format!("ssh-ed25519 {blob} alice@laptopx")
        );
        let rfc = key.to_rfc4716();
        assert!(rfc.starts_with("---- BEGIN SSH2 PUBLIC KEY ----\n"));
        assert!(rfc.contains(&blob));
        assert!(key.fingerprint().starts_with("SHA256:"));
    }

    #[test]
    fn bad_keys_are_refused() {
        let ed = wire(&[b"ssh-ed25519", &[7u8; 32]]);
        let short_rsa = wire(&[b"ssh-rsa", &[1, 0, 1], &[0xff; 128]]);
        let good_rsa = wire(&[b"ssh-rsa", &[1, 0, 1], &[0xff; 256]]);
        assert!(SshPublicKey::parse("keys", &format!("ssh-rsa {good_rsa}")).is_ok());
        assert_eq!(
            SshPublicKey::parse("keys", &format!("ssh-rsa {short_rsa}"))
                .unwrap_err()
                .rule,
            Rule::SshKeyTooWeak
        );
        for bad in [
            "ssh-ed25519".to_owned(),
            format!("ssh-rsa {ed}"),
            format!("ssh-dss {ed}"),
            format!("ssh-ed25519 {}", wire(&[b"ssh-ed25519", &[7u8; 31]])),
            format!("ssh-ed25519 {}", &ed[..ed.len() - 4]),
            "ssh-ed25519 not*base64".to_owned(),
        ] {
            assert_eq!(
                SshPublicKey::parse("keys", &bad).unwrap_err().rule,
                Rule::SshKeyFormat,
                "{bad}"
            );
        }
        assert_eq!(
            SshPublicKey::parse("keys", &format!("ssh-ed25519 {ed}\nssh-ed25519 {ed}"))
                .unwrap_err()
                .rule,
            Rule::ControlCharacter
        );
    }

    #[test]
    fn key_lists_skip_comments_and_duplicates() {
        let ed = wire(&[b"ssh-ed25519", &[7u8; 32]]);
        let text = format!("# mine\n\nssh-ed25519 {ed} a\nssh-ed25519 {ed} b\n");
        assert_eq!(parse_ssh_keys("keys", &text).unwrap().len(), 1);
        assert!(parse_ssh_keys("keys", "").unwrap().is_empty());
    }
}
