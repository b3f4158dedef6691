//! Random secrets and their stored hashes. Session ids, CSRF tokens and API
//! tokens are 256-bit random values; the store keeps only their SHA-256.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// HMAC-SHA256 (RFC 2104, checked against RFC 4231 in the core), for keys
/// derived from the server's sealing key.
pub use konbit_core::db_verifier::hmac_sha256;

/// 32 random bytes as URL-safe base64 (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Constant-time comparison, for CSRF tokens.
pub fn same(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A random password from an alphabet without look-alikes, for bootstrap.
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| {
            let i = usize::try_from(rng.next_u32()).unwrap_or(0) % ALPHABET.len();
            char::from(ALPHABET[i])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_long() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, &random_token()));
        assert_eq!(random_password().len(), 20);
    }
}
