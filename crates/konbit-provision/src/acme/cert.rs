//! Just enough X.509 to read what an ACME CA sends back: split a PEM chain
//! into certificates and read a certificate's validity period. A small,
//! bounded DER reader, so that no X.509 crate nor `openssl` run (with a
//! temporary file) is needed for two dates.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const END: &str = "-----END CERTIFICATE-----";
/// A chain longer than this is not from a CA.
const MAX_CERTIFICATES: usize = 16;

/// The `CERTIFICATE` blocks of a PEM text, each from its `BEGIN` line to its
/// `END` line inclusive, in order. Anything between blocks is ignored.
/// Fails on an unterminated block or more than 16 blocks.
pub fn split_pem_chain(pem: &str) -> Result<Vec<&str>, String> {
    let mut blocks = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find(BEGIN) {
        if blocks.len() == MAX_CERTIFICATES {
            return Err(format!("more than {MAX_CERTIFICATES} certificates"));
        }
        let from_begin = &rest[start..];
        let end = from_begin
            .find(END)
            .ok_or_else(|| "a certificate has no END line".to_owned())?;
        let block_len = end + END.len();
        blocks.push(&from_begin[..block_len]);
        rest = &from_begin[block_len..];
    }
    Ok(blocks)
}

/// The DER bytes of one PEM `CERTIFICATE` block (as returned by
/// [`split_pem_chain`]).
pub fn pem_block_der(block: &str) -> Result<Vec<u8>, String> {
    let body = block
        .trim()
        .strip_prefix(BEGIN)
        .and_then(|b| b.strip_suffix(END))
        .ok_or_else(|| "not a PEM CERTIFICATE block".to_owned())?;
    let b64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD
        .decode(b64.as_bytes())
        .map_err(|e| format!("bad base64 in a certificate: {e}"))
}

/// `notBefore` and `notAfter` of the first certificate of a PEM text, as
/// Unix times (seconds).
pub fn leaf_validity(pem: &str) -> Result<(i64, i64), String> {
    let blocks = split_pem_chain(pem)?;
    let leaf = blocks
        .first()
        .ok_or_else(|| "no certificate in the PEM text".to_owned())?;
    validity(&pem_block_der(leaf)?)
}

/// `notBefore` and `notAfter` of a DER certificate, as Unix times.
pub fn validity(der: &[u8]) -> Result<(i64, i64), String> {
    let bad = |what: &str| format!("malformed certificate: {what}");
    let (tag, certificate, _) = read_tlv(der).ok_or_else(|| bad("outer"))?;
    expect_tag(tag, SEQUENCE).ok_or_else(|| bad("outer is not a SEQUENCE"))?;
    let (tag, tbs, _) = read_tlv(certificate).ok_or_else(|| bad("tbsCertificate"))?;
    expect_tag(tag, SEQUENCE).ok_or_else(|| bad("tbsCertificate is not a SEQUENCE"))?;
    let mut rest = tbs;
    let (mut tag, _, after) = read_tlv(rest).ok_or_else(|| bad("version or serial"))?;
    // version [0] EXPLICIT is optional (absent means v1).
    if tag == VERSION {
        rest = after;
        (tag, _, _) = read_tlv(rest).ok_or_else(|| bad("serialNumber"))?;
    }
    expect_tag(tag, INTEGER).ok_or_else(|| bad("serialNumber is not an INTEGER"))?;
    let (_, _, rest) = read_tlv(rest).ok_or_else(|| bad("serialNumber"))?;
    let (tag, _, rest) = read_tlv(rest).ok_or_else(|| bad("signature"))?;
    expect_tag(tag, SEQUENCE).ok_or_else(|| bad("signature is not a SEQUENCE"))?;
    let (tag, _, rest) = read_tlv(rest).ok_or_else(|| bad("issuer"))?;
    expect_tag(tag, SEQUENCE).ok_or_else(|| bad("issuer is not a SEQUENCE"))?;
    let (tag, validity, _) = read_tlv(rest).ok_or_else(|| bad("validity"))?;
    expect_tag(tag, SEQUENCE).ok_or_else(|| bad("validity is not a SEQUENCE"))?;
    let (tag, not_before, rest) = read_tlv(validity).ok_or_else(|| bad("notBefore"))?;
    let not_before = parse_time(tag, not_before).ok_or_else(|| bad("notBefore"))?;
    let (tag, not_after, _) = read_tlv(rest).ok_or_else(|| bad("notAfter"))?;
    let not_after = parse_time(tag, not_after).ok_or_else(|| bad("notAfter"))?;
    Ok((not_before, not_after))
}

const INTEGER: u8 = 0x02;
const SEQUENCE: u8 = 0x30;
const VERSION: u8 = 0xa0;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;

fn expect_tag(tag: u8, want: u8) -> Option<()> {
    (tag == want).then_some(())
}

/// One DER tag-length-value: the tag, the contents and what follows.
/// Single-byte tags and definite lengths of at most 4 bytes only.
fn read_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *input.first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let first = *input.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for &b in input.get(2..2 + n)? {
            len = len.checked_mul(256)?.checked_add(usize::from(b))?;
        }
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    let contents = input.get(header..end)?;
    Some((tag, contents, input.get(end..)?))
}

/// A UTCTime (`YYMMDDHHMMSSZ`, years 1950–2049) or GeneralizedTime
/// (`YYYYMMDDHHMMSSZ`), as RFC 5280 allows them, as a Unix time.
fn parse_time(tag: u8, text: &[u8]) -> Option<i64> {
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        let mut n = 0i64;
        for &b in part {
            if !b.is_ascii_digit() {
                return None;
            }
            n = n * 10 + i64::from(b - b'0');
        }
        Some(n)
    };
    let (year, rest) = match (tag, text.len()) {
        (UTC_TIME, 13) => {
            let yy = digits(0..2)?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, 2)
        }
        (GENERALIZED_TIME, 15) => (digits(0..4)?, 4),
        _ => return None,
    };
    if text.last() != Some(&b'Z') {
        return None;
    }
    let month = digits(rest..rest + 2)?;
    let day = digits(rest + 2..rest + 4)?;
    let hour = digits(rest + 4..rest + 6)?;
    let minute = digits(rest + 6..rest + 8)?;
    let second = digits(rest + 8..rest + 10)?;
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn cert(not_before: (i32, u8, u8), not_after: (i32, u8, u8)) -> String {
        let mut params = rcgen::CertificateParams::new(vec!["a.test".to_owned()]).unwrap();
        params.not_before = rcgen::date_time_ymd(not_before.0, not_before.1, not_before.2);
        params.not_after = rcgen::date_time_ymd(not_after.0, not_after.1, not_after.2);
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        params.self_signed(&key).unwrap().pem()
    }

    #[test]
    fn dates_are_unix_times() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(
            parse_time(UTC_TIME, b"311122120000Z"),
            Some(1_953_115_200) // 2031-11-22T12:00:00Z
        );
        assert_eq!(parse_time(UTC_TIME, b"700101000000Z"), Some(0));
        assert_eq!(parse_time(UTC_TIME, b"491231235959Z"), Some(2_524_607_999));
        assert_eq!(
            parse_time(GENERALIZED_TIME, b"20500101000000Z"),
            Some(2_524_608_000)
        );
        assert_eq!(
            parse_time(GENERALIZED_TIME, b"20240229000000Z"),
            Some(1_709_164_800)
        );
        for bad in [
            &b"20230229000000Z"[..],
            b"20241301000000Z",
            b"20240100000000Z",
            b"20240101240000Z",
            b"20240101006000Z",
            b"2024010100000Z",
            b"20240101000000+",
            b"2024010100000aZ",
            b"",
        ] {
            assert_eq!(parse_time(GENERALIZED_TIME, bad), None, "{bad:?}");
        }
        // The tag decides the format.
        assert_eq!(parse_time(UTC_TIME, b"20500101000000Z"), None);
        assert_eq!(parse_time(GENERALIZED_TIME, b"311122120000Z"), None);
    }

    #[test]
    fn validity_is_read_from_utc_and_generalized_times() {
        // rcgen writes UTCTime before 2050 and GeneralizedTime from 2050.
        let pem = cert((2024, 2, 29), (2051, 6, 1));
        let (not_before, not_after) = leaf_validity(&pem).unwrap();
        assert_eq!(not_before, 1_709_164_800);
        assert_eq!(not_after, days_from_civil(2051, 6, 1) * 86_400);
    }

    #[test]
    fn chains_are_split_in_order() {
        let a = cert((2024, 1, 1), (2025, 1, 1));
        let b = cert((2024, 1, 2), (2025, 1, 2));
        let chain = format!("{a}\n{b}");
        let blocks = split_pem_chain(&chain).unwrap();
        assert_eq!(blocks, [a.trim(), b.trim()]);
        assert_eq!(leaf_validity(&chain).unwrap().0, 1_704_067_200);
        assert_eq!(split_pem_chain("no pem here").unwrap(), Vec::<&str>::new());
        assert!(leaf_validity("").is_err());
        assert!(split_pem_chain(&a[..a.len() - 30]).is_err());
        let many = a.repeat(17);
        assert!(split_pem_chain(&many).is_err());
    }

    #[test]
    fn malformed_certificates_are_errors_not_panics() {
        let pem = cert((2024, 1, 1), (2025, 1, 1));
        let der = pem_block_der(split_pem_chain(&pem).unwrap()[0]).unwrap();
        for len in 0..der.len() {
            // Every truncation of the certificate: no panic. A prefix may
            // still hold a complete validity (the outer length is checked).
            assert!(validity(&der[..len]).is_err(), "{len}");
        }
        let mut flipped = der.clone();
        for i in 0..flipped.len() {
            flipped[i] ^= 0xff;
            let _ = validity(&flipped);
            flipped[i] ^= 0xff;
        }
        assert!(validity(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(validity(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_err());
        assert!(
            pem_block_der("-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----").is_err()
        );
    }
}
