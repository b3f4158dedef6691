//! Password verifiers MariaDB and PostgreSQL store, computed here so that
//! Konbit keeps only them, never the password: MariaDB's
//! `mysql_native_password` hash and PostgreSQL's SCRAM-SHA-256 secret.
//! Each has a shape check, run before a stored value goes into SQL.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// `*` and the uppercase hex of SHA1(SHA1(password)).
pub fn mysql_native(password: &str) -> String {
    let once = sha1(password.as_bytes());
    format!("*{}", hex::encode_upper(sha1(&once)))
}

/// Whether `s` has the exact shape of [`mysql_native`]'s output.
pub fn is_mysql_native(s: &str) -> bool {
    s.len() == 41
        && s.starts_with('*')
        && s[1..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
}

/// PostgreSQL's `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`
/// (RFC 5802, RFC 7677).
pub fn scram_sha256(password: &str, salt: &[u8; 16], iterations: u32) -> String {
    let salted = pbkdf2_sha256(password.as_bytes(), salt, iterations.max(1));
    let client_key = hmac_sha256(&salted, b"Client Key");
    let stored_key = Sha256::digest(client_key);
    let server_key = hmac_sha256(&salted, b"Server Key");
    format!(
        "SCRAM-SHA-256${iterations}:{}${}:{}",
        STANDARD.encode(salt),
        STANDARD.encode(stored_key),
        STANDARD.encode(server_key)
    )
}

/// Whether `s` has the exact shape of [`scram_sha256`]'s output.
pub fn is_scram(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("SCRAM-SHA-256$") else {
        return false;
    };
    let Some((iterations, rest)) = rest.split_once(':') else {
        return false;
    };
    let Some((salt, keys)) = rest.split_once('$') else {
        return false;
    };
    let Some((stored, server)) = keys.split_once(':') else {
        return false;
    };
    // Standard base64 of `len` bytes (any length for the salt), nothing
    // else: no quote, backslash or space can be in it.
    let base64 = |v: &str, len: Option<usize>| {
        !v.is_empty()
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
            && STANDARD
                .decode(v)
                .is_ok_and(|bytes| !bytes.is_empty() && len.is_none_or(|l| bytes.len() == l))
    };
    !iterations.is_empty()
        && iterations.len() <= 9
        && iterations.bytes().all(|b| b.is_ascii_digit())
        && iterations.bytes().any(|b| b != b'0')
        && base64(salt, None)
        && base64(stored, Some(32))
        && base64(server, Some(32))
}

/// HMAC-SHA256 (RFC 2104), written out here because the `hmac` crate in the
/// tree pairs with a newer `sha2` than the workspace's; SCRAM needs it, and
/// so do keys derived from the server's sealing key.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

/// PBKDF2-HMAC-SHA256 with one 32-byte block, as SCRAM uses it.
fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut first = salt.to_vec();
    first.extend_from_slice(&1u32.to_be_bytes());
    let mut u = hmac_sha256(password, &first);
    let mut out = u;
    for _ in 1..iterations {
        u = hmac_sha256(password, &u);
        for (o, x) in out.iter_mut().zip(u) {
            *o ^= x;
        }
    }
    out
}

/// SHA-1, which MariaDB's native hash is made of (not used for anything
/// else here).
fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let mut message = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bits.to_be_bytes());
    for chunk in message.chunks_exact(64) {
        let mut w = [0u32; 80];
        for (i, word) in chunk.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (hv, v) in h.iter_mut().zip([a, b, c, d, e]) {
            *hv = hv.wrapping_add(v);
        }
    }
    let mut out = [0u8; 20];
    for (i, v) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&v.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_matches_the_standard_vectors() {
        assert_eq!(
            hex::encode(sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex::encode(sha1(b"")),
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        );
        let long = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        assert_eq!(
            hex::encode(sha1(long)),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
    }

    #[test]
    fn mysql_native_matches_mariadb() {
        // SELECT PASSWORD('password') in MariaDB.
        assert_eq!(
            mysql_native("password"),
            "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"
        );
        assert!(is_mysql_native(&mysql_native("x")));
        for bad in [
            "*2470",
            "2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19A",
            "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E1'",
        ] {
            assert!(!is_mysql_native(bad), "{bad}");
        }
    }

    #[test]
    fn hmac_and_pbkdf2_match_their_rfcs() {
        // RFC 4231, test cases 1, 2, 6 (a key longer than a block) and 7.
        assert_eq!(
            hex::encode(hmac_sha256(&[0x0b; 20], b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex::encode(hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
        assert_eq!(
            hex::encode(hmac_sha256(
                &[0xaa; 131],
                b"This is a test using a larger than block-size key and a larger than \
                  block-size data. The key needs to be hashed before being used by the \
                  HMAC algorithm."
            )),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
        );
        // PBKDF2-HMAC-SHA256("password", "salt", 1) and 4096 iterations.
        assert_eq!(
            hex::encode(pbkdf2_sha256(b"password", b"salt", 1)),
            "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"
        );
        assert_eq!(
            hex::encode(pbkdf2_sha256(b"password", b"salt", 4096)),
            "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"
        );
    }

    #[test]
    fn scram_secrets_have_postgresql_s_shape() {
        let s = scram_sha256("pencil", &[7u8; 16], 4096);
        // Computed independently with Python's hashlib.pbkdf2_hmac and hmac;
        // PostgreSQL accepting such secrets is checked by konbit-provision's
        // `databases` integration test (a login after CREATE ROLE).
        assert_eq!(
            s,
            "SCRAM-SHA-256$4096:BwcHBwcHBwcHBwcHBwcHBw==\
             $K97YndbwHX05fl7lN8Bcm3gG4nc43WvYj0OL1dbknsk=\
             :tvU6S2vfOxKAzPZ5dC4h+cucyZ553rNC2MQ2ZJzmu3g="
        );
        // RFC 7677's salt, same password and iterations.
        let rfc_salt: [u8; 16] = STANDARD
            .decode("W22ZaJ0SNY7soEsUEjb6gQ==")
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(
            scram_sha256("pencil", &rfc_salt, 4096),
            "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==\
             $WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=\
             :wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="
        );
        assert!(is_scram(&s));
        let key = "K97YndbwHX05fl7lN8Bcm3gG4nc43WvYj0OL1dbknsk=";
        for bad in [
            "SCRAM-SHA-256$4096:abc",
            "SCRAM-SHA-256$x:YQ==$YQ==:YQ==",
            "SCRAM-SHA-256$4096:YQ==$YQ==:YQ=='",
            // Keys are 32 bytes, iterations at least 1.
            "SCRAM-SHA-256$4096:YQ==$YQ==:YQ==",
            &format!("SCRAM-SHA-256$0:YQ==${key}:{key}"),
            &format!("SCRAM-SHA-256$4096:YQ==${key}:{key}'"),
            &format!("SCRAM-SHA-256$4096:YQ==${key}:{key} "),
            &format!("SCRAM-SHA-256$4096:Y\\Q=${key}:{key}"),
            "md5abc",
        ] {
            assert!(!is_scram(bad), "{bad}");
        }
        assert!(is_scram(&format!("SCRAM-SHA-256$1:YQ==${key}:{key}")));
    }
}
