//! crypt(3) SHA-512 hashes (`$6$`), the scheme ProFTPd checks SFTP
//! passwords with through libcrypt (argon2 is not among crypt(3)'s
//! schemes on Debian 12). Written from Ulrich Drepper's public
//! specification "Unix crypt using SHA-256 and SHA-512", and checked
//! against its published vectors and against `openssl passwd -6`.
//!
//! What ProFTPd will check is what Debian's libcrypt (libxcrypt) accepts,
//! which is stricter than the specification in three ways, all followed
//! here: rounds below 1000 are refused rather than raised to 1000, a
//! `rounds=` with a leading zero is refused, and a password of 512 bytes
//! or more never matches. A hash this module makes or accepts is one
//! libxcrypt computes the same way.

use sha2::{Digest, Sha512};
use std::fmt::Write as _;

/// crypt's own base64 alphabet.
const ALPHABET: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// The specification's default: a hash with it has no `rounds=`.
pub const DEFAULT_ROUNDS: u32 = 5000;
pub const MIN_ROUNDS: u32 = 1000;
pub const MAX_ROUNDS: u32 = 999_999_999;
/// Salt characters kept; a longer salt is cut, as the specification says.
pub const MAX_SALT: usize = 16;
/// The longest password libxcrypt hashes (`CRYPT_MAX_PASSPHRASE_SIZE` is
/// 512 with the terminating NUL); a longer one would never match in
/// ProFTPd.
pub const MAX_PASSWORD: usize = 511;
/// The hash proper: 64 bytes in crypt's base64.
const HASH_CHARS: usize = 86;

/// Rounds of new hashes. Measured on this project's machine kind (2 cores)
/// in a release build: 65 000 rounds take 47 to 51 ms here in Rust and
/// about 48 ms in libxcrypt, which is what ProFTPd spends checking one
/// password. That makes each guess by someone who has copied the user
/// file cost the same (the file is root's alone, but backups exist), while
/// a login stays well under a tenth of a second and `MaxLoginAttempts`
/// guesses at once cannot tie up a core for long. The panel hashes on the
/// blocking pool, once per password change.
pub const ROUNDS: u32 = 65_000;

/// Why a password could not be hashed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptError {
    #[error("the salt is empty")]
    EmptySalt,
    #[error("the salt holds a character other than . / 0-9 A-Z a-z")]
    SaltCharacter,
    #[error("rounds must be between {MIN_ROUNDS} and {MAX_ROUNDS}, not {0}")]
    Rounds(u32),
    #[error("the password holds a NUL byte, which crypt(3) cannot take")]
    NulInPassword,
    #[error("the password is longer than {MAX_PASSWORD} bytes, which crypt(3) refuses")]
    PasswordTooLong,
}

/// `$6$[rounds=N$]salt$hash`; `rounds=` is left out when `rounds` is
/// [`DEFAULT_ROUNDS`]. The salt must be of crypt's alphabet and is cut to
/// [`MAX_SALT`] characters.
pub fn sha512_crypt(password: &str, salt: &str, rounds: u32) -> Result<String, CryptError> {
    if salt.is_empty() {
        return Err(CryptError::EmptySalt);
    }
    if !salt.bytes().all(|b| ALPHABET.contains(&b)) {
        return Err(CryptError::SaltCharacter);
    }
    if !(MIN_ROUNDS..=MAX_ROUNDS).contains(&rounds) {
        return Err(CryptError::Rounds(rounds));
    }
    if password.contains('\0') {
        return Err(CryptError::NulInPassword);
    }
    if password.len() > MAX_PASSWORD {
        return Err(CryptError::PasswordTooLong);
    }
    // The alphabet is ASCII, so this cuts at a character boundary.
    let salt = &salt[..salt.len().min(MAX_SALT)];
    let hash = digest(password.as_bytes(), salt.as_bytes(), rounds);

    let mut out = String::with_capacity(3 + 16 + MAX_SALT + 1 + HASH_CHARS);
    out.push_str("$6$");
    if rounds != DEFAULT_ROUNDS {
        let _ = write!(out, "rounds={rounds}$");
    }
    out.push_str(salt);
    out.push('$');
    // The specification's byte order for the final encoding.
    for i in 0..21 {
        let (x, y, z) = (i, i + 21, i + 42);
        // Byte triples rotate: (0,21,42), (22,43,1), (44,2,23), …
        let (b2, b1, b0) = match i % 3 {
            0 => (x, y, z),
            1 => (y, z, x),
            _ => (z, x, y),
        };
        encode(&mut out, hash[b2], hash[b1], hash[b0], 4);
    }
    encode(&mut out, 0, 0, hash[63], 2);
    Ok(out)
}

/// A new hash with [`ROUNDS`] and a 16-character salt made of all 96 bits
/// of `salt` (random bytes the caller gives: this crate has no randomness
/// of its own). A password [`sha512_crypt`] refuses (a NUL byte, over
/// [`MAX_PASSWORD`] bytes: the panel's password type allows neither) gives
/// `!`, which matches no password and which [`is_crypt_hash`] refuses, so
/// it never reaches ProFTPd's file.
pub fn sha512_crypt_random(password: &str, salt: [u8; 12]) -> String {
    sha512_crypt(password, &salt_text(salt), ROUNDS).unwrap_or_else(|_| "!".to_owned())
}

/// 12 bytes as 16 characters of crypt's alphabet.
fn salt_text(salt: [u8; 12]) -> String {
    let mut text = String::with_capacity(MAX_SALT);
    for chunk in salt.chunks_exact(3) {
        encode(&mut text, chunk[0], chunk[1], chunk[2], 4);
    }
    text
}

/// Whether `s` has the exact shape of a `$6$` hash libxcrypt checks:
/// `$6$`, optionally `rounds=N$` (N from 1000 to 999999999, no leading
/// zero), a salt of 1 to 16 characters of crypt's alphabet, `$`, and 86
/// characters of it. Such a value holds no `:`, whitespace or newline, so
/// it can go into ProFTPd's user file as one field.
pub fn is_crypt_hash(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("$6$") else {
        return false;
    };
    let rest = match rest.strip_prefix("rounds=") {
        Some(r) => {
            let Some((n, r)) = r.split_once('$') else {
                return false;
            };
            let digits = !n.is_empty()
                && n.len() <= 9
                && !n.starts_with('0')
                && n.bytes().all(|b| b.is_ascii_digit());
            if !digits || n.parse::<u32>().map_or(true, |n| n < MIN_ROUNDS) {
                return false;
            }
            r
        }
        None => rest,
    };
    let Some((salt, hash)) = rest.split_once('$') else {
        return false;
    };
    let of_alphabet = |v: &str| v.bytes().all(|b| ALPHABET.contains(&b));
    !salt.is_empty()
        && salt.len() <= MAX_SALT
        && of_alphabet(salt)
        && hash.len() == HASH_CHARS
        && of_alphabet(hash)
}

/// The specification's steps 1 to 21: the 64 bytes the hash encodes.
fn digest(p: &[u8], s: &[u8], rounds: u32) -> [u8; 64] {
    // Digest B: password, salt, password.
    let b = Sha512::new()
        .chain_update(p)
        .chain_update(s)
        .chain_update(p)
        .finalize();
    // Digest A: password, salt, then B for each 64 bytes of the password
    // and the rest of it, then B or the password for each bit of the
    // password's length.
    let mut a = Sha512::new().chain_update(p).chain_update(s);
    for chunk in p.chunks(64) {
        a.update(&b[..chunk.len()]);
    }
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

    // Digest DP: the password as many times as it has bytes; P is that
    // digest repeated to the password's length.
    let mut dp = Sha512::new();
    for _ in 0..p.len() {
        dp.update(p);
    }
    let p_seq = repeat(&dp.finalize(), p.len());
    // Digest DS: the salt 16 + A[0] times; S is that repeated to the
    // salt's length.
    let mut ds = Sha512::new();
    for _ in 0..(16 + usize::from(a[0])) {
        ds.update(s);
    }
    let s_seq = repeat(&ds.finalize(), s.len());

    let mut c: [u8; 64] = a.into();
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
        c = round.finalize().into();
    }
    c
}

fn repeat(digest: &[u8], len: usize) -> Vec<u8> {
    digest.iter().copied().cycle().take(len).collect()
}

/// crypt's base64: `n` characters from the 24 bits, least significant
/// first.
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

    /// The specification's SHA-512 vectors. Its salt and `rounds=` come in
    /// the setting string there; here they are arguments, so the vector
    /// with an explicit `rounds=5000` is compared without it, and the one
    /// with `rounds=10` (raised to 1000 by the specification, refused by
    /// libxcrypt) is computed with 1000.
    #[test]
    fn the_specification_s_vectors() {
        let vectors: [(&str, &str, u32, &str); 7] = [
            (
                "Hello world!",
                "saltstring",
                5000,
                "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
            ),
            (
                "Hello world!",
                "saltstringsaltstring",
                10000,
                "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.",
            ),
            (
                "This is just a test",
                "toolongsaltstring",
                5000,
                "$6$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0",
            ),
            (
                "a very much longer text to encrypt.  This one even stretches over morethan one line.",
                "anotherlongsaltstring",
                1400,
                "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1",
            ),
            (
                "we have a short salt string but not a short password",
                "short",
                77777,
                "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0",
            ),
            (
                "a short string",
                "asaltof16chars..",
                123456,
                "$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1",
            ),
            (
                "the minimum number is still observed",
                "roundstoolow",
                1000,
                "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.",
            ),
        ];
        for (password, salt, rounds, expected) in vectors {
            let h = sha512_crypt(password, salt, rounds).unwrap();
            assert_eq!(h, expected, "{password:?}");
            assert!(is_crypt_hash(&h), "{h}");
        }
    }

    /// Computed with `openssl passwd -6 -salt <salt> <password>` (OpenSSL
    /// 3.0, Debian 12) and, for the `rounds=` ones, Python's `crypt` over
    /// Debian 12's libxcrypt.
    #[test]
    fn openssl_and_libxcrypt_agree() {
        let long: String = (0..200u32)
            .filter_map(|i| char::from_u32(33 + (i * 7) % 90))
            .collect();
        let vectors: [(&str, &str, u32, &str); 8] = [
            (
                "Hello world!",
                "KonbitSalt2026ab",
                5000,
                "$6$KonbitSalt2026ab$cTRd4RZPR0lTrw0Ix4dFKuukl0oWF6mhRNSxpcjoigyDInvs1SHfR32mBL4EqIa5AGh1Tqp7J27yYHPmKDpcV1",
            ),
            (
                "correct horse battery staple",
                "KonbitSalt2026ab",
                5000,
                "$6$KonbitSalt2026ab$INHXRftRbe7zsYAWm8Wmx.mvGhNEPF2Ii8oS4r/aqXgiR.bE4FyUEdGRQhQY8yaG0GEeIBe6A922gvah.5LDy/",
            ),
            (
                "p@ss:w0rd$x",
                "KonbitSalt2026ab",
                5000,
                "$6$KonbitSalt2026ab$oy/WmB0Guswe1mNUwWfBP.AM8O6Op1MebBDaqClMFyd13i4S0PF.C2PviJOglddTEzt4M28yXMsmB0fxG09GP.",
            ),
            (
                "é-ünï",
                "KonbitSalt2026ab",
                5000,
                "$6$KonbitSalt2026ab$wY/0JtgfV5K.Wi090yBszZKbczuhwCz9JqPxxFq7.Yk4IKamwmOKMfITd50/mILUWE/ODf6Ap/Ry.YWLlUuHy1",
            ),
            (
                "Correct-Horse-9",
                "./09AZaz",
                5000,
                "$6$./09AZaz$C0c..XpVIPab1JJTuPoVKDwGbof.nFwPhZ7u.Y57FTHXrfwXmmSEP/49Ou1wK.cNXP19QkJsGO0bcdcO.61TP1",
            ),
            (
                &long,
                "sixteencharsalt.",
                5000,
                "$6$sixteencharsalt.$QYOBO3nohgDFbMn219xKSk3L48v/zh5n2QEUROHtfl4ZBjWbht.gunJeZi.fFPjsWHaiREcPbZsfQAT7OqnjA1",
            ),
            (
                &"a".repeat(MAX_PASSWORD),
                "max511",
                1000,
                "$6$rounds=1000$max511$XdSMPkM/e10wBc2d4hIfOZYsqDiPqkaFX.GBPLjhsD9xcdcG/be1DtGJPIJrjCIAJmmdvfdD2KcYP.3ZwVWsT/",
            ),
            (
                "Correct-Horse-9",
                "AbCdEfGhIjKlMnOp",
                65000,
                "$6$rounds=65000$AbCdEfGhIjKlMnOp$MM/HhC1v8iJzNd3ImgnUEtf9Iy5OxwsWh9Ozl03BWFne5cPS189X1vqga2wIiSAopS5NxE0tC0fQKyel0w2qi.",
            ),
        ];
        for (password, salt, rounds, expected) in vectors {
            assert_eq!(
                sha512_crypt(password, salt, rounds).unwrap(),
                expected,
                "{password:?}"
            );
        }
    }

    #[test]
    fn what_crypt_cannot_take_is_refused() {
        assert_eq!(sha512_crypt("x", "", 5000), Err(CryptError::EmptySalt));
        for salt in ["bad salt", "ab:c", "a$b", "é", "a\nb"] {
            assert_eq!(
                sha512_crypt("x", salt, 5000),
                Err(CryptError::SaltCharacter),
                "{salt:?}"
            );
        }
        for rounds in [0, 10, 999, 1_000_000_000, u32::MAX] {
            assert_eq!(
                sha512_crypt("x", "abc", rounds),
                Err(CryptError::Rounds(rounds))
            );
        }
        assert!(sha512_crypt("x", "abc", MIN_ROUNDS).is_ok());
        assert_eq!(
            sha512_crypt("a\0b", "abc", 5000),
            Err(CryptError::NulInPassword)
        );
        assert_eq!(
            sha512_crypt(&"a".repeat(MAX_PASSWORD + 1), "abc", 5000),
            Err(CryptError::PasswordTooLong)
        );
        assert_eq!(sha512_crypt_random("a\0b", [0; 12]), "!");
        assert!(!is_crypt_hash("!"));
    }

    #[test]
    fn new_hashes_have_the_checked_shape() {
        let h = sha512_crypt_random("Correct-Horse-9", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255]);
        assert!(h.starts_with("$6$rounds=65000$"), "{h}");
        assert!(is_crypt_hash(&h), "{h}");
        let salt = salt_text([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255]);
        assert_eq!(salt.len(), MAX_SALT);
        assert!(h.starts_with(&format!("$6$rounds=65000${salt}$")), "{h}");
        // All 96 bits count: a change in any bit changes the salt.
        let zero = salt_text([0; 12]);
        assert_eq!(zero, "................");
        for i in 0..96 {
            let mut bytes = [0u8; 12];
            bytes[i / 8] = 1 << (i % 8);
            assert_ne!(salt_text(bytes), zero, "bit {i}");
        }
    }

    #[test]
    fn only_the_exact_shape_is_a_hash() {
        let good = "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1";
        let hash = &good["$6$saltstring$".len()..];
        assert!(is_crypt_hash(good));
        assert!(is_crypt_hash(&format!("$6$rounds=5000$saltstring${hash}")));
        assert!(is_crypt_hash(&format!("$6$rounds=999999999$s${hash}")));
        for bad in [
            String::new(),
            "$6$salt$short".to_owned(),
            format!("$1$saltstring${hash}"),
            format!("$5$saltstring${hash}"),
            format!("$6$rounds=x$salt${hash}"),
            format!("$6$rounds=$salt${hash}"),
            format!("$6$rounds=0100$salt${hash}"),
            format!("$6$rounds=999$salt${hash}"),
            format!("$6$rounds=1000000000$salt${hash}"),
            format!("$6$rounds=1000${hash}"),
            format!("$6$sa:lt${hash}"),
            format!("$6$${hash}"),
            format!("$6$seventeencharsalt${hash}"),
            format!("$6$saltstring${hash}x"),
            format!("$6$saltstring${}:", &hash[..85]),
            format!("$6$saltstring${}\n", &hash[..85]),
            format!("$6$saltstring${hash}\n"),
            format!(" {good}"),
            format!("$6$saltstring${hash}$"),
        ] {
            assert!(!is_crypt_hash(&bad), "{bad:?}");
        }
    }

    /// The cost of [`ROUNDS`]: `cargo test --release -p konbit-core
    /// rounds_cost -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement, run by hand in release"]
    fn rounds_cost() {
        let runs = 10u32;
        let started = std::time::Instant::now();
        for i in 0..runs {
            let _ = sha512_crypt_random("Correct-Horse-9-xyz", [i as u8; 12]);
        }
        println!(
            "{ROUNDS} rounds: {:.1} ms per hash",
            started.elapsed().as_secs_f64() * 1000.0 / f64::from(runs)
        );
    }
}
