//! DNSSEC key generation: ECDSA P-256 (algorithm 13) keys for the zones
//! Konbit signs through PowerDNS.
//!
//! Konbit gives each signed zone one combined signing key (CSK, flags 257)
//! and writes it into PowerDNS's `cryptokeys` table itself; the pure parts
//! (the `cryptokeys.content` text, the DNSKEY RDATA, the key tag, the DS
//! records) are in [`konbit_core::dns::dnssec`]. This module adds what
//! needs elliptic-curve arithmetic and randomness: drawing a private scalar
//! and deriving its public point.

use konbit_core::dns::dnssec::{self, DnssecError, DnssecKey, DsRecord, P256_PUBLIC_KEY_LEN};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{FieldBytes, SecretKey};
use rand::TryRngCore;
use rand::rngs::OsRng;
use std::fmt;

/// How many random draws [`generate_key`] tries before giving up. A draw is
/// refused only when it is zero or not below the curve order, which happens
/// with probability below 2^-32, so more than one is already rare.
const MAX_DRAWS: usize = 8;

/// Why a key could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DnssecKeyError {
    /// The operating system's random source failed.
    #[error("the system random source failed: {0}")]
    Random(String),
    /// The bytes are not a valid P-256 private scalar (zero, or not below
    /// the curve order).
    #[error("not a valid P-256 private key")]
    InvalidScalar,
    /// Every random draw was refused (practically impossible).
    #[error("no valid P-256 private key in {MAX_DRAWS} random draws")]
    Exhausted,
    /// The `cryptokeys.content` text could not be read.
    #[error(transparent)]
    Text(#[from] DnssecError),
}

/// An algorithm 13 key pair. `Debug` does not show the private scalar.
#[derive(Clone, PartialEq, Eq)]
pub struct GeneratedKey {
    /// The private scalar, big-endian, 32 bytes.
    pub private_scalar: [u8; 32],
    /// The public point X || Y, 64 bytes, without the 0x04 prefix: the
    /// DNSKEY public key field (RFC 6605 §4).
    pub public_key: Vec<u8>,
}

impl fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("private_scalar", &"<redacted>")
            .field("public_key", &hex::encode(&self.public_key))
            .finish()
    }
}

impl GeneratedKey {
    /// The key pair of an existing private scalar.
    pub fn from_private_scalar(private_scalar: [u8; 32]) -> Result<Self, DnssecKeyError> {
        let public_key = public_from_private(&private_scalar)?;
        Ok(GeneratedKey {
            private_scalar,
            public_key,
        })
    }

    /// The key pair of a `cryptokeys.content` text (algorithm 13).
    pub fn from_bind_private_key(content: &str) -> Result<Self, DnssecKeyError> {
        Self::from_private_scalar(dnssec::parse_bind_private_key(content)?)
    }

    /// The `cryptokeys.content` text PowerDNS reads.
    pub fn bind_private_key(&self) -> String {
        dnssec::bind_private_key(&self.private_scalar)
    }

    /// The public half as a combined signing key (flags 257).
    pub fn csk(&self) -> DnssecKey {
        DnssecKey {
            flags: dnssec::FLAGS_CSK,
            algorithm: dnssec::ALGORITHM_ECDSAP256SHA256,
            public_key: self.public_key.clone(),
        }
    }

    /// The DS records (digest types 2 and 4) of this key used as the CSK
    /// of `zone`.
    pub fn ds_records(&self, zone: &str) -> Result<Vec<DsRecord>, DnssecKeyError> {
        Ok(self.csk().ds_records(zone)?)
    }
}

/// Draw a new random P-256 key from the operating system's random source.
pub fn generate_key() -> Result<GeneratedKey, DnssecKeyError> {
    for _ in 0..MAX_DRAWS {
        let mut scalar = [0u8; 32];
        OsRng
            .try_fill_bytes(&mut scalar)
            .map_err(|e| DnssecKeyError::Random(e.to_string()))?;
        match GeneratedKey::from_private_scalar(scalar) {
            Ok(key) => return Ok(key),
            Err(DnssecKeyError::InvalidScalar) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(DnssecKeyError::Exhausted)
}

/// The public point X || Y (64 bytes) of a private scalar.
pub fn public_from_private(private_scalar: &[u8; 32]) -> Result<Vec<u8>, DnssecKeyError> {
    let secret = SecretKey::from_bytes(&FieldBytes::from(*private_scalar))
        .map_err(|_| DnssecKeyError::InvalidScalar)?;
    let point = secret.public_key().to_encoded_point(false);
    // Uncompressed SEC1: 0x04, then X and Y.
    match point.as_bytes() {
        [0x04, xy @ ..] if xy.len() == P256_PUBLIC_KEY_LEN => Ok(xy.to_vec()),
        _ => Err(DnssecKeyError::InvalidScalar),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as BASE64;

    /// RFC 6605 §6.1: the published P-256 private key and its DNSKEY.
    #[test]
    fn rfc6605_public_key_from_private() {
        let scalar: [u8; 32] = BASE64
            .decode("GU6SnQ/Ou+xC5RumuIUIuJZteXT2z0O/ok1s38Et6mQ=")
            .unwrap()
            .try_into()
            .unwrap();
        let key = GeneratedKey::from_private_scalar(scalar).unwrap();
        assert_eq!(
            BASE64.encode(&key.public_key),
            "GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA=="
        );
        assert_eq!(key.csk().key_tag(), 55648);
        assert_eq!(
            key.ds_records("example.net").unwrap()[0].presentation(),
            "55648 13 2 b4c8c1fe2e7477127b27115656ad6256f424625bf5c1e2770ce6d6e37df61d17"
        );
        let again = GeneratedKey::from_bind_private_key(&key.bind_private_key()).unwrap();
        assert_eq!(again, key);
        assert!(!format!("{key:?}").contains(&hex::encode(scalar)));
    }

    #[test]
    fn generated_keys_are_valid_and_distinct() {
        let a = generate_key().unwrap();
        let b = generate_key().unwrap();
        assert_ne!(a.private_scalar, b.private_scalar);
        assert_eq!(a.public_key.len(), 64);
        assert_eq!(
            public_from_private(&a.private_scalar).unwrap(),
            a.public_key
        );
        assert_eq!(a.csk().flags, 257);
        assert_eq!(a.csk().algorithm, 13);
    }

    #[test]
    fn zero_and_out_of_range_scalars_are_refused() {
        assert!(matches!(
            public_from_private(&[0; 32]),
            Err(DnssecKeyError::InvalidScalar)
        ));
        assert!(matches!(
            public_from_private(&[0xff; 32]),
            Err(DnssecKeyError::InvalidScalar)
        ));
        assert!(GeneratedKey::from_bind_private_key("Algorithm: 8\n").is_err());
    }
}
