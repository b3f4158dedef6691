//! Pure DNSSEC helpers for the PowerDNS database Konbit writes itself.
//!
//! Konbit fills PowerDNS's gsqlite3 tables (`domains`, `records`,
//! `cryptokeys`, `domainmetadata`) directly instead of running `pdnsutil`
//! once per change. This module computes, without I/O, what `pdnsutil`
//! would have written:
//!
//! - [`rectify`]: the `ordername` and `auth` columns of every record of a
//!   zone in NSEC mode, and the empty non-terminal rows (type NULL), exactly
//!   as `pdnsutil rectify-zone` leaves them (PowerDNS 4.7,
//!   `DNSSECKeeper::rectifyZone` in `pdns/dbdnsseckeeper.cc`, stored by
//!   `GSQLBackend::updateDNSSECOrderNameAndAuth` in
//!   `pdns/backends/gsql/gsqlbackend.cc`); [`rectify_unsigned`] does the
//!   same for a zone without active keys.
//! - The key material of an ECDSA P-256 (algorithm 13) key: the BIND
//!   private-key text PowerDNS keeps in `cryptokeys.content`
//!   ([`bind_private_key`]), the DNSKEY RDATA ([`dnskey_rdata`]), its key tag
//!   ([`key_tag`], RFC 4034 appendix B) and the DS records for the parent
//!   ([`ds_records`], digest types 2 and 4, as `pdnsutil export-zone-ds`
//!   prints them).
//!
//! Generating a key needs elliptic-curve arithmetic and randomness, so it
//! lives in `konbit-app` (`dnssec_key`), not here.
//!
//! # Names
//!
//! PowerDNS stores owner names in presentation form, lowercase, without the
//! trailing dot, with the escapes of its `DNSName::toString`: `\.` and `\\`
//! for a dot and a backslash inside a label, `\DDD` for every byte outside
//! `!`..`~` (space included). Its rectify updates rows by exact name match,
//! so a row stored in any other spelling (`WWW`, `\065`, raw UTF-8) is never
//! rectified. [`canonical_name`] gives that spelling; [`rectify`] refuses
//! names not in it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256, Sha384};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

/// DNSSEC algorithm 13, ECDSA with curve P-256 and SHA-256 (RFC 6605).
pub const ALGORITHM_ECDSAP256SHA256: u8 = 13;
/// DNSKEY flags of a key signing key or a combined signing key (CSK):
/// ZONE (256) + SEP (1).
pub const FLAGS_CSK: u16 = 257;
/// DNSKEY flags of a zone signing key: ZONE (256).
pub const FLAGS_ZSK: u16 = 256;
/// DNSKEY protocol field, always 3 (RFC 4034 §2.1.2).
pub const DNSKEY_PROTOCOL: u8 = 3;
/// DS digest type 2: SHA-256 (RFC 4509).
pub const DIGEST_SHA256: u8 = 2;
/// DS digest type 4: SHA-384 (RFC 6605).
pub const DIGEST_SHA384: u8 = 4;
/// Length of an algorithm 13 public key: X and Y, 32 bytes each.
pub const P256_PUBLIC_KEY_LEN: usize = 64;
/// PowerDNS's `max-ent-entries` default: a zone with more empty
/// non-terminals gets none at all from `pdnsutil rectify-zone`. [`rectify`]
/// refuses such zones instead of reproducing that.
pub const MAX_EMPTY_NON_TERMINALS: usize = 100_000;

/// Longest label (RFC 1035 §2.3.4).
const MAX_LABEL_LEN: usize = 63;
/// Longest name in wire form, root label included (RFC 1035 §2.3.4).
const MAX_WIRE_LEN: usize = 255;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Why a name, a zone or a key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnssecError {
    /// The text is not a domain name in presentation form.
    #[error("`{name}` is not a valid domain name: {reason}")]
    BadName { name: String, reason: &'static str },
    /// The name is valid but not spelled as PowerDNS stores it.
    #[error("`{name}` is not in PowerDNS's canonical form (`{canonical}`)")]
    NotCanonical { name: String, canonical: String },
    /// A record's owner name is not at or below the zone apex.
    #[error("`{name}` is not inside the zone `{zone}`")]
    OutsideZone { name: String, zone: String },
    /// The zone has no SOA record at its apex, so PowerDNS would refuse to
    /// rectify it.
    #[error("the zone `{zone}` has no SOA record at its apex")]
    NoSoa { zone: String },
    /// More empty non-terminals than PowerDNS's `max-ent-entries`.
    #[error("the zone `{zone}` has more than {MAX_EMPTY_NON_TERMINALS} empty non-terminals")]
    TooManyEmptyNonTerminals { zone: String },
    /// A `cryptokeys.content` text that is not an algorithm 13 private key.
    #[error("not a BIND v1.2 ECDSAP256SHA256 private key: {reason}")]
    BadPrivateKey { reason: &'static str },
}

// ---------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------

/// A parsed domain name: its labels, leftmost first, ASCII-lowercased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Name {
    labels: Vec<Vec<u8>>,
}

impl Name {
    /// Parse a name in presentation form (escapes `\X` and `\DDD`, an
    /// optional trailing dot; `.` or the empty string is the root),
    /// lowercasing ASCII letters.
    fn parse(text: &str) -> Result<Name, DnssecError> {
        let bad = |reason| DnssecError::BadName {
            name: text.to_owned(),
            reason,
        };
        if text == "." || text.is_empty() {
            return Ok(Name { labels: Vec::new() });
        }
        let bytes = text.as_bytes();
        let mut labels = Vec::new();
        let mut label = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'.' => {
                    if label.is_empty() {
                        return Err(bad("empty label"));
                    }
                    labels.push(std::mem::take(&mut label));
                    i += 1;
                    continue;
                }
                b'\\' => {
                    let Some(&next) = bytes.get(i + 1) else {
                        return Err(bad("ends with a backslash"));
                    };
                    if next.is_ascii_digit() {
                        let digits = bytes.get(i + 1..i + 4).ok_or(bad("short \\DDD escape"))?;
                        if !digits.iter().all(u8::is_ascii_digit) {
                            return Err(bad("short \\DDD escape"));
                        }
                        let value = digits
                            .iter()
                            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
                        let byte =
                            u8::try_from(value).map_err(|_| bad("\\DDD escape above 255"))?;
                        label.push(byte);
                        i += 4;
                    } else {
                        label.push(next);
                        i += 2;
                    }
                }
                byte => {
                    label.push(byte);
                    i += 1;
                }
            }
            if label.len() > MAX_LABEL_LEN {
                return Err(bad("label longer than 63 bytes"));
            }
        }
        // A trailing dot leaves `label` empty here.
        if !label.is_empty() {
            labels.push(label);
        }
        for label in &mut labels {
            label.make_ascii_lowercase();
        }
        let name = Name { labels };
        if name.wire_len() > MAX_WIRE_LEN {
            return Err(bad("longer than 255 bytes in wire form"));
        }
        Ok(name)
    }

    fn wire_len(&self) -> usize {
        self.labels.iter().map(|l| l.len() + 1).sum::<usize>() + 1
    }

    /// Wire form (RFC 1035 §3.1); labels are already lowercase, which is
    /// the canonical form of RFC 4034 §6.2.
    fn to_wire(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.wire_len());
        for label in &self.labels {
            // Labels are at most 63 bytes (checked by `parse`).
            out.push(label.len() as u8);
            out.extend_from_slice(label);
        }
        out.push(0);
        out
    }

    /// PowerDNS's spelling: labels escaped, joined by dots, no trailing
    /// dot; the root is `.`.
    fn to_presentation(&self) -> String {
        if self.labels.is_empty() {
            return ".".to_owned();
        }
        join_escaped(self.labels.iter(), ".")
    }

    /// The labels in front of `zone`, or `None` if `self` is not at or
    /// below `zone`.
    fn relative_to(&self, zone: &Name) -> Option<Vec<Vec<u8>>> {
        let keep = self.labels.len().checked_sub(zone.labels.len())?;
        (self.labels[keep..] == zone.labels[..]).then(|| self.labels[..keep].to_vec())
    }
}

/// Append `label` escaped as PowerDNS's `DNSName::appendEscapedLabel` does.
fn push_escaped_label(out: &mut String, label: &[u8]) {
    for &byte in label {
        match byte {
            b'.' => out.push_str("\\."),
            b'\\' => out.push_str("\\\\"),
            0x21..=0x7e => out.push(char::from(byte)),
            _ => {
                out.push('\\');
                out.push_str(&format!("{byte:03}"));
            }
        }
    }
}

fn join_escaped<'a>(labels: impl Iterator<Item = &'a Vec<u8>>, separator: &str) -> String {
    let mut out = String::new();
    for (i, label) in labels.enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        push_escaped_label(&mut out, label);
    }
    out
}

/// `name` spelled as PowerDNS stores it in `records.name` and
/// `domains.name`: ASCII-lowercased, escaped like its `DNSName::toString`,
/// without the trailing dot (the root is `.`).
///
/// Accepts any presentation form: `WWW.Example.TEST.`, `a\046b.test` (a
/// dot inside a label, canonically `a\.b.test`), raw UTF-8 (canonically
/// `\195\169` for `é`; store IDNs as A-labels anyway).
pub fn canonical_name(name: &str) -> Result<String, DnssecError> {
    Ok(Name::parse(name)?.to_presentation())
}

/// Parse `text` and check that it is already canonical.
fn parse_canonical(text: &str) -> Result<Name, DnssecError> {
    let name = Name::parse(text)?;
    let canonical = name.to_presentation();
    if canonical != text {
        return Err(DnssecError::NotCanonical {
            name: text.to_owned(),
            canonical,
        });
    }
    Ok(name)
}

/// The NSEC `ordername` PowerDNS stores for `name` in `zone`: the labels of
/// the name relative to the apex, in reverse order, escaped, joined with
/// spaces (`ns.sub.example.test` in `example.test` gives `sub ns`; the apex
/// gives the empty string).
///
/// Both names must be canonical (see [`canonical_name`]).
pub fn nsec_ordername(zone: &str, name: &str) -> Result<String, DnssecError> {
    let zone_name = parse_canonical(zone)?;
    let owner = parse_canonical(name)?;
    let relative = owner
        .relative_to(&zone_name)
        .ok_or_else(|| DnssecError::OutsideZone {
            name: name.to_owned(),
            zone: zone.to_owned(),
        })?;
    Ok(join_escaped(relative.iter().rev(), " "))
}

// ---------------------------------------------------------------------------
// Rectify
// ---------------------------------------------------------------------------

/// The `ordername` and `auth` columns of one row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordOrder {
    /// `records.ordername`; `None` is SQL NULL (not the empty string, which
    /// is the apex's ordername).
    pub ordername: Option<String>,
    /// `records.auth`.
    pub auth: bool,
}

/// A row to insert for an empty non-terminal: `type`, `content`, `ttl`
/// and `prio` NULL, `disabled` 0 (what PowerDNS's
/// `insert-empty-non-terminal-order-query` writes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmptyNonTerminal {
    /// Canonical owner name (`records.name`).
    pub name: String,
    /// `records.ordername`: always `None` in NSEC and unsigned zones.
    pub ordername: Option<String>,
    /// `records.auth`: false when every name below it is below a delegation.
    pub auth: bool,
}

/// The result of [`rectify`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rectified {
    /// One entry per input record, in the input's order.
    pub records: Vec<RecordOrder>,
    /// The empty non-terminals of the zone, sorted by name.
    pub empty_non_terminals: Vec<EmptyNonTerminal>,
}

/// Compute what `pdnsutil rectify-zone` writes for a signed zone in NSEC
/// mode (active key, no NSEC3PARAM, not presigned).
///
/// `zone` is the canonical apex (e.g. `example.test`); `names` holds the
/// canonical owner name and the type (`A`, `NS`, `DS`, ... as stored in
/// `records.type`) of every enabled record of the zone, the SOA included,
/// but not the empty non-terminal rows (type NULL): the result replaces
/// them. Disabled rows must be left out: PowerDNS ignores them when it
/// rectifies and never updates them, so whatever they hold stays.
///
/// The rules, from PowerDNS 4.7's `DNSSECKeeper::rectifyZone`:
/// - a name is *occluded* when it or one of its ancestors below the apex
///   owns an NS record (a delegation point, or a name below one);
/// - a record's ordername is the name's [`nsec_ordername`], and its `auth`
///   is `!occluded`;
/// - except: DS records always get `auth` true (with the ordername), and A
///   and AAAA records of an occluded name (glue, addresses at a
///   delegation) get a NULL ordername;
/// - every ancestor of a name, strictly below it and strictly above the
///   apex, that owns no record is an empty non-terminal, with a NULL
///   ordername and `auth` true when at least one name below it is not
///   occluded.
pub fn rectify(zone: &str, names: &[(&str, &str)]) -> Result<Rectified, DnssecError> {
    rectify_inner(zone, names, true)
}

/// Like [`rectify`], for a zone that is not signed (no active key):
/// PowerDNS then stores no ordername at all (every one NULL), but sets
/// `auth` and inserts the empty non-terminals the same way.
pub fn rectify_unsigned(zone: &str, names: &[(&str, &str)]) -> Result<Rectified, DnssecError> {
    rectify_inner(zone, names, false)
}

fn rectify_inner(zone: &str, names: &[(&str, &str)], nsec: bool) -> Result<Rectified, DnssecError> {
    let zone_name = parse_canonical(zone)?;

    // Relative names (labels in front of the apex, leftmost first), parsed
    // once per distinct owner name.
    let mut parsed: HashMap<&str, Vec<Vec<u8>>> = HashMap::new();
    let mut relatives: Vec<Vec<Vec<u8>>> = Vec::with_capacity(names.len());
    let mut has_soa = false;
    for &(owner, rtype) in names {
        let relative = match parsed.get(owner) {
            Some(relative) => relative.clone(),
            None => {
                let relative =
                    parse_canonical(owner)?
                        .relative_to(&zone_name)
                        .ok_or_else(|| DnssecError::OutsideZone {
                            name: owner.to_owned(),
                            zone: zone.to_owned(),
                        })?;
                parsed.insert(owner, relative.clone());
                relative
            }
        };
        has_soa |= relative.is_empty() && rtype.eq_ignore_ascii_case("SOA");
        relatives.push(relative);
    }
    if !has_soa {
        return Err(DnssecError::NoSoa {
            zone: zone.to_owned(),
        });
    }

    // Names owning records, and delegation points (NS below the apex).
    let qnames: HashSet<&[Vec<u8>]> = relatives.iter().map(Vec::as_slice).collect();
    let delegations: HashSet<&[Vec<u8>]> = names
        .iter()
        .zip(&relatives)
        .filter(|((_, rtype), rel)| !rel.is_empty() && rtype.eq_ignore_ascii_case("NS"))
        .map(|(_, rel)| rel.as_slice())
        .collect();
    // The name itself or an ancestor below the apex is a delegation point.
    let occluded = |rel: &[Vec<u8>]| (0..rel.len()).any(|i| delegations.contains(&rel[i..]));

    // Per owner name: is it authoritative? Computed once per name.
    let mut auth_of: HashMap<&[Vec<u8>], bool> = HashMap::with_capacity(qnames.len());
    for &rel in &qnames {
        auth_of.insert(rel, !occluded(rel));
    }

    let mut records = Vec::with_capacity(names.len());
    for (&(_, rtype), rel) in names.iter().zip(&relatives) {
        let auth = auth_of.get(rel.as_slice()).copied().unwrap_or(true);
        let ordername = nsec.then(|| join_escaped(rel.iter().rev(), " "));
        let order = if rtype.eq_ignore_ascii_case("DS") {
            RecordOrder {
                ordername,
                auth: true,
            }
        } else if !auth && (rtype.eq_ignore_ascii_case("A") || rtype.eq_ignore_ascii_case("AAAA")) {
            RecordOrder {
                ordername: None,
                auth: false,
            }
        } else {
            RecordOrder { ordername, auth }
        };
        records.push(order);
    }

    // Empty non-terminals: ancestors strictly between a name and the apex
    // that own no record; authoritative if any name below is.
    let mut ents: BTreeMap<String, bool> = BTreeMap::new();
    let mut seen: HashMap<&[Vec<u8>], bool> = HashMap::new();
    for (&rel, &auth) in &auth_of {
        for i in 1..rel.len() {
            let ancestor = &rel[i..];
            if qnames.contains(ancestor) {
                continue;
            }
            let entry = seen.entry(ancestor).or_insert(false);
            *entry |= auth;
        }
    }
    if seen.len() > MAX_EMPTY_NON_TERMINALS {
        return Err(DnssecError::TooManyEmptyNonTerminals {
            zone: zone.to_owned(),
        });
    }
    for (ancestor, auth) in seen {
        let mut labels = ancestor.to_vec();
        labels.extend(zone_name.labels.iter().cloned());
        ents.insert(Name { labels }.to_presentation(), auth);
    }
    let empty_non_terminals = ents
        .into_iter()
        .map(|(name, auth)| EmptyNonTerminal {
            name,
            ordername: None,
            auth,
        })
        .collect();

    Ok(Rectified {
        records,
        empty_non_terminals,
    })
}

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

/// The `cryptokeys.content` text of an algorithm 13 private key, as
/// PowerDNS writes it (`DNSCryptoKeyEngine::convertToISC` and
/// `OpenSSLECDSADNSCryptoKeyEngine::convertToISCVector`): the private
/// scalar, big-endian, 32 bytes, in base64. PowerDNS derives the public key
/// from it when it loads the key.
pub fn bind_private_key(private_scalar: &[u8; 32]) -> String {
    format!(
        "Private-key-format: v1.2\nAlgorithm: 13 (ECDSAP256SHA256)\nPrivateKey: {}\n",
        BASE64.encode(private_scalar)
    )
}

/// Read back the private scalar from a text written by
/// [`bind_private_key`] (or by PowerDNS for an algorithm 13 key).
pub fn parse_bind_private_key(content: &str) -> Result<[u8; 32], DnssecError> {
    let bad = |reason| DnssecError::BadPrivateKey { reason };
    let mut algorithm = None;
    let mut private = None;
    for line in content.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if key.trim().eq_ignore_ascii_case("Algorithm") {
            algorithm = value.split_whitespace().next();
        } else if key.trim().eq_ignore_ascii_case("PrivateKey") {
            private = Some(value);
        }
    }
    if algorithm != Some("13") {
        return Err(bad("the algorithm is not 13"));
    }
    let private = private.ok_or(bad("no PrivateKey line"))?;
    let bytes = BASE64
        .decode(private)
        .map_err(|_| bad("PrivateKey is not base64"))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| bad("PrivateKey is not 32 bytes"))
}

/// DNSKEY RDATA (RFC 4034 §2.1): flags, protocol 3, algorithm, public key.
/// For algorithm 13 the public key is X || Y, 64 bytes (RFC 6605 §4).
pub fn dnskey_rdata(flags: u16, algorithm: u8, public_key: &[u8]) -> Vec<u8> {
    let mut rdata = Vec::with_capacity(4 + public_key.len());
    rdata.extend_from_slice(&flags.to_be_bytes());
    rdata.push(DNSKEY_PROTOCOL);
    rdata.push(algorithm);
    rdata.extend_from_slice(public_key);
    rdata
}

/// The key tag of a DNSKEY RDATA (RFC 4034 appendix B; appendix B.1 for
/// the obsolete algorithm 1).
pub fn key_tag(rdata: &[u8]) -> u16 {
    if rdata.get(3) == Some(&1) {
        // RSA/MD5: the 16 bits above the last byte of the modulus.
        let n = rdata.len();
        if n < 4 + 3 {
            return 0;
        }
        return u16::from_be_bytes([rdata[n - 3], rdata[n - 2]]);
    }
    let mut acc: u32 = 0;
    for (i, &byte) in rdata.iter().enumerate() {
        acc += if i % 2 == 0 {
            u32::from(byte) << 8
        } else {
            u32::from(byte)
        };
    }
    acc += (acc >> 16) & 0xffff;
    (acc & 0xffff) as u16
}

/// One DS record (RFC 4034 §5) for the parent zone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct DsRecord {
    pub key_tag: u16,
    pub algorithm: u8,
    pub digest_type: u8,
    /// The digest in lowercase hex, as PowerDNS prints it.
    pub digest_hex: String,
}

impl DsRecord {
    /// The RDATA in presentation form: `55648 13 2 b4c8…1d17`.
    pub fn presentation(&self) -> String {
        format!(
            "{} {} {} {}",
            self.key_tag, self.algorithm, self.digest_type, self.digest_hex
        )
    }
}

impl fmt::Display for DsRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.presentation())
    }
}

/// The DS record of the DNSKEY `rdata` owned by `zone` with `digest_type`
/// 2 (SHA-256) or 4 (SHA-384); `None` for another digest type.
///
/// The digest covers the owner name in canonical wire form followed by the
/// RDATA (RFC 4034 §5.1.4).
pub fn ds_record(
    zone: &str,
    rdata: &[u8],
    digest_type: u8,
) -> Result<Option<DsRecord>, DnssecError> {
    let owner = Name::parse(zone)?.to_wire();
    let digest_hex = match digest_type {
        DIGEST_SHA256 => hex::encode(
            Sha256::new()
                .chain_update(&owner)
                .chain_update(rdata)
                .finalize(),
        ),
        DIGEST_SHA384 => hex::encode(
            Sha384::new()
                .chain_update(&owner)
                .chain_update(rdata)
                .finalize(),
        ),
        _ => return Ok(None),
    };
    Ok(Some(DsRecord {
        key_tag: key_tag(rdata),
        algorithm: rdata.get(3).copied().unwrap_or(0),
        digest_type,
        digest_hex,
    }))
}

/// The DS records of an algorithm 13 key of `zone` with `flags` and
/// `public_key` (X || Y): digest type 2 then 4, the two PowerDNS prints
/// (`pdnsutil export-zone-ds`). Give the parent at least the first.
pub fn ds_records(zone: &str, flags: u16, public_key: &[u8]) -> Result<Vec<DsRecord>, DnssecError> {
    DnssecKey {
        flags,
        algorithm: ALGORITHM_ECDSAP256SHA256,
        public_key: public_key.to_vec(),
    }
    .ds_records(zone)
}

/// The public half of a DNSSEC key: what the DNSKEY record publishes.
///
/// The private half never appears here; `konbit-app`'s `dnssec_key`
/// generates keys and gives the text for `cryptokeys.content`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DnssecKey {
    /// DNSKEY flags: [`FLAGS_CSK`] for Konbit's single key.
    pub flags: u16,
    /// [`ALGORITHM_ECDSAP256SHA256`].
    pub algorithm: u8,
    /// For algorithm 13: X || Y, 64 bytes (no 0x04 prefix).
    pub public_key: Vec<u8>,
}

impl DnssecKey {
    /// A combined signing key (flags 257), algorithm 13.
    pub fn p256_csk(public_key: [u8; P256_PUBLIC_KEY_LEN]) -> DnssecKey {
        DnssecKey {
            flags: FLAGS_CSK,
            algorithm: ALGORITHM_ECDSAP256SHA256,
            public_key: public_key.to_vec(),
        }
    }

    /// The DNSKEY RDATA.
    pub fn rdata(&self) -> Vec<u8> {
        dnskey_rdata(self.flags, self.algorithm, &self.public_key)
    }

    /// The key tag (RFC 4034 appendix B).
    pub fn key_tag(&self) -> u16 {
        key_tag(&self.rdata())
    }

    /// The DNSKEY RDATA in presentation form: `257 3 13 <base64>`.
    pub fn dnskey_presentation(&self) -> String {
        format!(
            "{} {} {} {}",
            self.flags,
            DNSKEY_PROTOCOL,
            self.algorithm,
            BASE64.encode(&self.public_key)
        )
    }

    /// The DS records for the parent of `zone`: digest types 2 and 4.
    pub fn ds_records(&self, zone: &str) -> Result<Vec<DsRecord>, DnssecError> {
        let rdata = self.rdata();
        let mut out = Vec::with_capacity(2);
        for digest_type in [DIGEST_SHA256, DIGEST_SHA384] {
            out.extend(ds_record(zone, &rdata, digest_type)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    // RFC 6605 §6.1, the published P-256 example for example.net.
    const RFC6605_PRIVATE: &str = "GU6SnQ/Ou+xC5RumuIUIuJZteXT2z0O/ok1s38Et6mQ=";
    const RFC6605_DNSKEY: &str =
        "GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==";
    const RFC6605_TAG: u16 = 55648;
    const RFC6605_DS_SHA256: &str =
        "b4c8c1fe2e7477127b27115656ad6256f424625bf5c1e2770ce6d6e37df61d17";
    // Not in the RFC: what `pdnsutil export-zone-ds example.net` (PowerDNS
    // 4.7.3) prints as the SHA-384 DS after importing the RFC's key.
    const RFC6605_DS_SHA384: &str = "3be4b980b34443e569255f4a347d4c8e8e18de755fb8072d\
                                     7b355c44c56b50a61e8050ae636041b9664a04f05aef2680";

    fn rfc6605_public() -> Vec<u8> {
        BASE64.decode(RFC6605_DNSKEY).unwrap()
    }

    #[test]
    fn rfc6605_key_tag_and_ds() {
        let public = rfc6605_public();
        assert_eq!(public.len(), P256_PUBLIC_KEY_LEN);
        let key = DnssecKey::p256_csk(public.clone().try_into().unwrap());
        assert_eq!(key.key_tag(), RFC6605_TAG);
        assert_eq!(key_tag(&dnskey_rdata(257, 13, &public)), RFC6605_TAG);
        assert_eq!(
            key.dnskey_presentation(),
            format!("257 3 13 {RFC6605_DNSKEY}")
        );

        let ds = ds_records("example.net", FLAGS_CSK, &public).unwrap();
        assert_eq!(ds.len(), 2);
        assert_eq!(
            ds[0],
            DsRecord {
                key_tag: RFC6605_TAG,
                algorithm: 13,
                digest_type: 2,
                digest_hex: RFC6605_DS_SHA256.to_owned(),
            }
        );
        assert_eq!(
            ds[0].presentation(),
            format!("55648 13 2 {RFC6605_DS_SHA256}")
        );
        assert_eq!(
            ds[1].presentation(),
            format!("55648 13 4 {RFC6605_DS_SHA384}")
        );
        // The owner name is case-insensitive and may carry its root dot.
        assert_eq!(ds_records("Example.NET.", 257, &public).unwrap(), ds);
        // An unknown digest type gives nothing.
        assert_eq!(ds_record("example.net", &key.rdata(), 1).unwrap(), None);
    }

    #[test]
    fn rfc6605_private_key_text() {
        let scalar: [u8; 32] = BASE64.decode(RFC6605_PRIVATE).unwrap().try_into().unwrap();
        let text = bind_private_key(&scalar);
        assert_eq!(
            text,
            format!(
                "Private-key-format: v1.2\nAlgorithm: 13 (ECDSAP256SHA256)\nPrivateKey: {RFC6605_PRIVATE}\n"
            )
        );
        assert_eq!(parse_bind_private_key(&text).unwrap(), scalar);
        assert!(parse_bind_private_key("Algorithm: 8 (RSASHA256)\nPrivateKey: AAAA\n").is_err());
        assert!(parse_bind_private_key("Algorithm: 13\nPrivateKey: AAAA\n").is_err());
        assert!(parse_bind_private_key("Algorithm: 13\n").is_err());
    }

    #[test]
    fn key_tag_of_a_short_rdata_and_algorithm_1() {
        assert_eq!(key_tag(&[]), 0);
        assert_eq!(key_tag(&[0x01, 0x00]), 0x0100);
        // Algorithm 1: the two bytes before the last one.
        assert_eq!(key_tag(&[1, 1, 3, 1, 9, 0xab, 0xcd, 0xef]), 0xabcd);
    }

    #[test]
    fn canonical_names() {
        assert_eq!(
            canonical_name("WWW.Example.TEST.").unwrap(),
            "www.example.test"
        );
        assert_eq!(canonical_name("a\\046b.test").unwrap(), "a\\.b.test");
        assert_eq!(canonical_name("a\\.b.test").unwrap(), "a\\.b.test");
        assert_eq!(canonical_name("sp\\ ace.test").unwrap(), "sp\\032ace.test");
        assert_eq!(
            canonical_name("back\\\\slash.test").unwrap(),
            "back\\\\slash.test"
        );
        assert_eq!(canonical_name("\\065.test").unwrap(), "a.test");
        assert_eq!(canonical_name("é.test").unwrap(), "\\195\\169.test");
        assert_eq!(canonical_name("*.test").unwrap(), "*.test");
        assert_eq!(canonical_name(".").unwrap(), ".");
        for bad in ["a..b", ".a", "a\\", "a\\25", "a\\256.b", &"x".repeat(64)] {
            assert!(
                matches!(canonical_name(bad), Err(DnssecError::BadName { .. })),
                "{bad}"
            );
        }
        let long = ["a".repeat(63).as_str(); 4].join(".");
        assert!(canonical_name(&long).is_err(), "256 bytes in wire form");
        let fits = [
            "a".repeat(63).as_str(),
            &"a".repeat(63),
            &"a".repeat(63),
            &"a".repeat(61),
        ]
        .join(".");
        assert!(canonical_name(&fits).is_ok(), "255 bytes in wire form");
    }

    #[test]
    fn ordernames() {
        let z = "example.test";
        assert_eq!(nsec_ordername(z, "example.test").unwrap(), "");
        assert_eq!(nsec_ordername(z, "www.example.test").unwrap(), "www");
        assert_eq!(nsec_ordername(z, "a.b.c.example.test").unwrap(), "c b a");
        assert_eq!(
            nsec_ordername(z, "_sip._tcp.example.test").unwrap(),
            "_tcp _sip"
        );
        assert_eq!(nsec_ordername(z, "*.example.test").unwrap(), "*");
        assert_eq!(nsec_ordername(z, "a\\.b.example.test").unwrap(), "a\\.b");
        assert_eq!(
            nsec_ordername(z, "sp\\032ace.example.test").unwrap(),
            "sp\\032ace"
        );
        assert_eq!(
            nsec_ordername(z, "back\\\\slash.example.test").unwrap(),
            "back\\\\slash"
        );
        assert!(matches!(
            nsec_ordername(z, "www.other.test"),
            Err(DnssecError::OutsideZone { .. })
        ));
        assert!(matches!(
            nsec_ordername(z, "WWW.example.test"),
            Err(DnssecError::NotCanonical { .. })
        ));
        // A name that merely ends with the zone's text is outside it.
        assert!(nsec_ordername(z, "xexample.test").is_err());
    }

    fn order(ordername: Option<&str>, auth: bool) -> RecordOrder {
        RecordOrder {
            ordername: ordername.map(str::to_owned),
            auth,
        }
    }

    fn ent(name: &str, auth: bool) -> EmptyNonTerminal {
        EmptyNonTerminal {
            name: name.to_owned(),
            ordername: None,
            auth,
        }
    }

    /// The zone checked against `pdnsutil rectify-zone` in
    /// `konbit-testkit/tests/pdns_rectify.rs`; these are the values
    /// PowerDNS 4.7 wrote for it.
    #[test]
    fn rectify_a_zone_with_a_delegation() {
        let names = [
            ("example.test", "SOA"),
            ("example.test", "NS"),
            ("ns1.example.test", "A"),
            ("www.example.test", "A"),
            ("*.example.test", "A"),
            ("_sip._tcp.example.test", "SRV"),
            ("a.b.c.example.test", "TXT"),
            ("sub.example.test", "NS"),
            ("sub.example.test", "DS"),
            ("sub.example.test", "TXT"),
            ("sub.example.test", "A"),
            ("ns.sub.example.test", "A"),
            ("ns.sub.example.test", "AAAA"),
            ("ns.sub.example.test", "TXT"),
            ("x.y.sub.example.test", "A"),
            ("a\\.b.example.test", "TXT"),
        ];
        let r = rectify("example.test", &names).unwrap();
        let expected = [
            order(Some(""), true),
            order(Some(""), true),
            order(Some("ns1"), true),
            order(Some("www"), true),
            order(Some("*"), true),
            order(Some("_tcp _sip"), true),
            order(Some("c b a"), true),
            order(Some("sub"), false),
            order(Some("sub"), true),
            order(Some("sub"), false),
            order(None, false),
            order(None, false),
            order(None, false),
            order(Some("sub ns"), false),
            order(None, false),
            order(Some("a\\.b"), true),
        ];
        assert_eq!(r.records, expected);
        assert_eq!(
            r.empty_non_terminals,
            [
                ent("_tcp.example.test", true),
                ent("b.c.example.test", true),
                ent("c.example.test", true),
                ent("y.sub.example.test", false),
            ]
        );

        let u = rectify_unsigned("example.test", &names).unwrap();
        let unsigned: Vec<RecordOrder> = expected.iter().map(|o| order(None, o.auth)).collect();
        assert_eq!(u.records, unsigned);
        assert_eq!(u.empty_non_terminals, r.empty_non_terminals);
    }

    #[test]
    fn ent_is_authoritative_if_any_name_below_is() {
        let names = [
            ("example.test", "SOA"),
            ("d.example.test", "NS"),
            ("x.d.e.example.test", "A"),
            ("y.e.example.test", "A"),
            ("m.n.d.example.test", "A"),
        ];
        let r = rectify("example.test", &names).unwrap();
        assert_eq!(
            r.records,
            [
                order(Some(""), true),
                order(Some("d"), false),
                order(Some("e d x"), true),
                order(Some("e y"), true),
                order(None, false),
            ]
        );
        assert_eq!(
            r.empty_non_terminals,
            [
                ent("d.e.example.test", true),
                ent("e.example.test", true),
                ent("n.d.example.test", false),
            ]
        );
    }

    #[test]
    fn rectify_refuses_what_pdns_would_not_rectify() {
        assert!(matches!(
            rectify("example.test", &[("www.example.test", "A")]),
            Err(DnssecError::NoSoa { .. })
        ));
        assert!(matches!(
            rectify(
                "example.test",
                &[("example.test", "SOA"), ("WWW.example.test", "A")]
            ),
            Err(DnssecError::NotCanonical { .. })
        ));
        assert!(matches!(
            rectify(
                "example.test",
                &[("example.test", "SOA"), ("www.example.org", "A")]
            ),
            Err(DnssecError::OutsideZone { .. })
        ));
        assert!(matches!(
            rectify("Example.test", &[("example.test", "SOA")]),
            Err(DnssecError::NotCanonical { .. })
        ));
        // The apex's own NS does not make a delegation; types are matched
        // case-insensitively.
        let r = rectify(
            "example.test",
            &[("example.test", "soa"), ("example.test", "ns")],
        )
        .unwrap();
        assert_eq!(r.records, [order(Some(""), true), order(Some(""), true)]);
        assert!(r.empty_non_terminals.is_empty());
    }
}
