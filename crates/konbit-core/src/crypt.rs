//! crypt(3) SHA-512 hashes (`$6$`), the scheme ProFTPd checks SFTP
//! passwords with through libcrypt (argon2 is not among crypt(3)'s
//! schemes on Debian 12). Written from Ulrich Drepper's public
//! specification "Unix crypt using SHA-256 and SHA-512".

use sha2::{Digest, Sha512};

/// crypt's own base64 alphabet.
const ALPHABET: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const DEFAULT_ROUNDS: u32 = 5000;
const MIN_ROUNDS: u32 = 1000;
const MAX_ROUNDS: u32 = 999_999_999;
pub const MAX_SALT: usize = 16;

/// Rounds of new hashes: about 50 ms per login check on a small server,
/// so a guess costs an attacker with the file that much too.
pub const ROUNDS: u32 = 100_000;

/// `$6$[rounds=N$]salt$hash`. The salt is cut to 16 characters and must be
/// of crypt's alphabet.
pub fn sha512_crypt(password: &str, salt: &str, rounds: u32) -> Result<String, String> {
    let salt: String = salt.chars().take(MAX_SALT).collect();
    if salt.is_empty() || !salt.bytes().all(|b| ALPHABET.contains(&b)) {
        return Err(format!("{salt:?} is not a crypt salt"));
    }
    let rounds = rounds.clamp(MIN_ROUNDS, MAX_ROUNDS);
    let p = password.as_bytes();
    let s = salt.as_bytes();

    let b = Sha512::new()
        .chain_update(p)
        .chain_update(s)
        .chain_update(p)
        .finalize();
    let mut a = Sha512::new().chain_update(p).chain_update(s);
    let mut left = p.len();
    while left > 64 {
        a.update(b);
        left -= 64;
    }
    a.update(&b[..left]);
    let mut bits = p.len();
    while bits > 0 {
        if bits & 1 == 1 {
            a.update(b);
        } else {
            a.update(p);
        }
        bits >>= 1;
    }
    let a = a.finalize();

    let mut dp = Sha512::new();
    for _ in 0..p.len() {
        dp.update(p);
    }
    let p_seq = repeat(&dp.finalize(), p.len());
    let mut ds = Sha512::new();
    for _ in 0..(16 + usize::from(a[0])) {
        ds.update(s);
    }
    let s_seq = repeat(&ds.finalize(), s.len());

    let mut c = a;
    for i in 0..rounds {
        let mut round = Sha512::new();
        if i % 2 == 1 {
            round.update(&p_seq);
        } else {
            round.update(c);
        }
        if i % 3 != 0 {
            round.update(&s_seq);
        }
        if i % 7 != 0 {
            round.update(&p_seq);
        }
        if i % 2 == 1 {
            round.update(c);
        } else {
            round.update(&p_seq);
        }
        c = round.finalize();
    }

    let mut out = String::from("$6$");
    if rounds != DEFAULT_ROUNDS {
        out.push_str(&format!("rounds={rounds}$"));
    }
    out.push_str(&salt);
    out.push('$');
    const ORDER: [(usize, usize, usize); 21] = [
        (0, 21, 42),
        (22, 43, 1),
        (44, 2, 23),
        (3, 24, 45),
        (25, 46, 4),
        (47, 5, 26),
        (6, 27, 48),
        (28, 49, 7),
        (50, 8, 29),
        (9, 30, 51),
        (31, 52, 10),
        (53, 11, 32),
        (12, 33, 54),
        (34, 55, 13),
        (56, 14, 35),
        (15, 36, 57),
        (37, 58, 16),
        (59, 17, 38),
        (18, 39, 60),
        (40, 61, 19),
        (62, 20, 41),
    ];
    for (x, y, z) in ORDER {
        encode(&mut out, c[x], c[y], c[z], 4);
    }
    encode(&mut out, 0, 0, c[63], 2);
    Ok(out)
}

/// A new hash with [`ROUNDS`] and a salt made of `salt` (random bytes the
/// caller gives: this crate has no randomness of its own).
pub fn sha512_crypt_random(password: &str, salt: [u8; 12]) -> String {
    let salt: String = salt
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b & 0x3f)]))
        .collect();
    // The salt is of the alphabet by construction.
    sha512_crypt(password, &salt, ROUNDS).unwrap_or_default()
}

/// Whether `s` has the exact shape of a `$6$` hash, before it goes into a
/// ProFTPd file (no `:` or newline can be in it).
pub fn is_crypt_hash(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("$6$") else {
        return false;
    };
    let rest = match rest.strip_prefix("rounds=") {
        Some(r) => match r.split_once('$') {
            Some((n, r))
                if !n.is_empty() && n.len() <= 9 && n.bytes().all(|b| b.is_ascii_digit()) =>
            {
                r
            }
            _ => return false,
        },
        None => rest,
    };
    let Some((salt, hash)) = rest.split_once('$') else {
        return false;
    };
    let of_alphabet = |v: &str| v.bytes().all(|b| ALPHABET.contains(&b));
    !salt.is_empty()
        && salt.len() <= MAX_SALT
        && of_alphabet(salt)
        && hash.len() == 86
        && of_alphabet(hash)
}

fn repeat(digest: &[u8], len: usize) -> Vec<u8> {
    digest.iter().copied().cycle().take(len).collect()
}

fn encode(out: &mut String, b2: u8, b1: u8, b0: u8, n: usize) {
    let mut w = (u32::from(b2) << 16) | (u32::from(b1) << 8) | u32::from(b0);
    for _ in 0..n {
        out.push(char::from(ALPHABET[(w & 0x3f) as usize]));
        w >>= 6;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specification_s_vectors() {
        assert_eq!(
            sha512_crypt("Hello world!", "saltstring", 5000).unwrap(),
            "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"
        );
        assert_eq!(
            sha512_crypt("Hello world!", "saltstringsaltstring", 10000).unwrap(),
            "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."
        );
        assert_eq!(
            sha512_crypt(
                "we have a short salt string but not a short password",
                "short",
                77777
            )
            .unwrap(),
            "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0"
        );
    }

    #[test]
    fn new_hashes_have_the_checked_shape() {
        let h = sha512_crypt_random("Correct-Horse-9", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255]);
        assert!(h.starts_with("$6$rounds=100000$"), "{h}");
        assert!(is_crypt_hash(&h), "{h}");
        for bad in [
            "",
            "$6$salt$short",
            "$1$salt$abc",
            "$6$rounds=x$salt$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
            "$6$sa:lt$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
        ] {
            assert!(!is_crypt_hash(bad), "{bad}");
        }
        assert!(sha512_crypt("x", "bad salt", 5000).is_err());
    }
}
