//! TOTP second factor: enrolment with a QR code, confirmation, recovery
//! codes, checking a code once (replays refused), and turning it off.
//!
//! Secrets are sealed with ChaCha20-Poly1305 under a 256-bit key read from a
//! file outside the database (`secret_key_file`, created on first use with
//! mode 0600), so a copy of the database alone does not give them away. The
//! person's id is the associated data: a sealed secret moved to another row
//! does not open.

use crate::rate_limit::Step;
use crate::secret::{same, sha256_hex};
use crate::{App, AppError, Audit, Result, audit, now, password};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use konbit_core::Denied;
use konbit_core::authz::{Actor, Source};
use konbit_core::model::{Person, UserId};
use konbit_core::two_factor::{OtpInput, RECOVERY_ALPHABET, RECOVERY_LEN};
use rand::RngCore;
use std::path::Path;

pub const KIND: &str = "two_factor";
pub const ISSUER: &str = "Konbit";
/// Recovery codes made at enrolment.
pub const RECOVERY_CODES: usize = 10;
const STEP_SECS: u64 = 30;

/// The key that seals TOTP secrets.
pub struct SealingKey([u8; 32]);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(..)")
    }
}

impl SealingKey {
    /// A key for another purpose, derived so that it reveals nothing of
    /// this one (the secret-ballot key is one).
    pub(crate) fn derive(&self, purpose: &[u8]) -> [u8; 32] {
        crate::secret::hmac_sha256(&self.0, purpose)
    }
}

/// Reads the key file, or creates it (mode 0600, never overwritten).
pub fn load_or_create_key(path: &Path) -> Result<SealingKey> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let err = |what: &str, e: std::io::Error| {
        AppError::Internal(format!("{what} the key file {}: {e}", path.display()))
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            if let Ok(meta) = std::fs::metadata(path)
                && meta.permissions().mode() & 0o077 != 0
            {
                tracing::warn!(path = %path.display(), "the 2FA key file is readable by others; chmod 600 it");
            }
            let bytes = hex::decode(text.trim()).map_err(|e| {
                AppError::Internal(format!("the key file {} is not hex: {e}", path.display()))
            })?;
            let key: [u8; 32] = bytes.try_into().map_err(|_| {
                AppError::Internal(format!(
                    "the key file {} must hold 32 bytes",
                    path.display()
                ))
            })?;
            Ok(SealingKey(key))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = [0u8; 32];
            rand::rng().fill_bytes(&mut key);
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| err("cannot create", e))?;
            f.write_all(hex::encode(key).as_bytes())
                .and_then(|()| f.sync_all())
                .map_err(|e| err("cannot write", e))?;
            Ok(SealingKey(key))
        }
        Err(e) => Err(err("cannot read", e)),
    }
}

fn seal(key: &SealingKey, user: UserId, plain: &[u8]) -> Result<String> {
    let cipher = ChaCha20Poly1305::new((&key.0).into());
    let mut nonce = [0u8; 12];
    rand::rng().fill_bytes(&mut nonce);
    let aad = user.0.to_be_bytes();
    let ct = cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: plain,
                aad: &aad,
            },
        )
        .map_err(|_| AppError::Internal("sealing failed".into()))?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ct);
    Ok(STANDARD.encode(out))
}

fn unseal(key: &SealingKey, user: UserId, sealed: &str) -> Result<Vec<u8>> {
    let bytes = STANDARD
        .decode(sealed)
        .map_err(|_| AppError::Internal("sealed secret is not base64".into()))?;
    if bytes.len() < 12 {
        return Err(AppError::Internal("sealed secret too short".into()));
    }
    let (nonce, ct) = bytes.split_at(12);
    let nonce: [u8; 12] = nonce
        .try_into()
        .map_err(|_| AppError::Internal("bad nonce".into()))?;
    let aad = user.0.to_be_bytes();
    ChaCha20Poly1305::new((&key.0).into())
        .decrypt(&Nonce::from(nonce), Payload { msg: ct, aad: &aad })
        .map_err(|_| AppError::Internal("a 2FA secret does not open with this key file".into()))
}

fn totp(secret: Vec<u8>, account: &str) -> Result<totp_rs::Totp> {
    totp_rs::Builder::new()
        .with_secret(secret)
        .with_account_name(account.replace(':', ""))
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| AppError::Internal(format!("totp: {e}")))
}

/// The code an authenticator shows at `unix_time` for a base32 secret (the
/// tests compute codes with it, as a phone would).
pub fn code_at(secret_base32: &str, unix_time: u64) -> Option<String> {
    let secret = totp_rs::Secret::try_from_base32(secret_base32.trim()).ok()?;
    let t = totp(secret.to_vec(), "x").ok()?;
    Some(t.generate(unix_time).to_string())
}

/// The time-step a code matches, within one step either way; compared in
/// constant time.
fn matching_step(t: &totp_rs::Totp, code: &str, now: u64) -> Option<i64> {
    let origin = now / STEP_SECS;
    let mut found = None;
    for step in origin.saturating_sub(1)..=origin + 1 {
        if same(&t.generate(step * STEP_SECS).to_string(), code) && found.is_none() {
            found = i64::try_from(step).ok();
        }
    }
    found
}

/// A QR code of `text` as an SVG document (no raster image crate).
pub fn qr_svg(text: &str) -> Result<String> {
    use qrcodegen::{QrCode, QrCodeEcc};
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium)
        .map_err(|e| AppError::Internal(format!("qr: {e:?}")))?;
    let border = 4;
    let size = qr.size() + border * 2;
    let mut path = String::new();
    for y in 0..qr.size() {
        for x in 0..qr.size() {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" shape-rendering=\"crispEdges\" role=\"img\" aria-hidden=\"true\" focusable=\"false\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

/// A recovery code: 16 characters from a 31-letter alphabet, about 79 bits.
/// Stored as SHA-256, not argon2: it is a random value nobody chose, far too
/// many to guess offline even with a fast hash, and argon2 on each of ten
/// codes would make every recovery attempt slow for nothing.
fn recovery_code() -> String {
    let mut rng = rand::rng();
    (0..RECOVERY_LEN)
        .map(|_| {
            let i = usize::try_from(rng.next_u32()).unwrap_or(0) % RECOVERY_ALPHABET.len();
            char::from(RECOVERY_ALPHABET[i])
        })
        .collect()
}

/// `abcd-efgh-jkmn-pqrs`, as shown to the person.
pub fn format_recovery(code: &str) -> String {
    code.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// What the settings page shows.
#[derive(Debug, Clone)]
pub struct TwoFactorStatus {
    pub enabled: bool,
    pub required: bool,
    pub recovery_left: usize,
    /// An enrolment under way: what to scan or type.
    pub enrolment: Option<Enrolment>,
}

#[derive(Debug, Clone)]
pub struct Enrolment {
    pub secret_base32: String,
    pub otpauth_url: String,
    pub qr_svg: String,
}

pub struct TwoFactorService<'a> {
    pub(crate) app: &'a App,
}

fn own_user(actor: &Actor) -> Result<UserId> {
    if actor.token.is_some() || actor.source != Source::Panel {
        return Err(Denied::Forbidden.into());
    }
    actor.user_id.ok_or_else(|| Denied::Unauthenticated.into())
}

impl TwoFactorService<'_> {
    pub(crate) fn key(&self) -> Result<&SealingKey> {
        if let Some(k) = self.app.sealing_key.get() {
            return Ok(k);
        }
        let key = match &self.app.config.secret_key_file {
            Some(path) => load_or_create_key(path)?,
            None => {
                let mut k = [0u8; 32];
                rand::rng().fill_bytes(&mut k);
                SealingKey(k)
            }
        };
        Ok(self.app.sealing_key.get_or_init(|| key))
    }

    pub fn required_for(&self, person: &Person) -> bool {
        self.app.config.two_factor_policy.requires(person.is_admin)
    }

    pub async fn is_enabled(&self, user: UserId) -> Result<bool> {
        let row = self.app.store.read().await?.two_factor(user).await?;
        Ok(row.is_some_and(|r| r.enabled_at.is_some()))
    }

    pub async fn status(&self, actor: &Actor, person: &Person) -> Result<TwoFactorStatus> {
        let user = own_user(actor)?;
        let mut tx = self.app.store.read().await?;
        let row = tx.two_factor(user).await?;
        let recovery_left = tx.unused_recovery_codes(user).await?.len();
        drop(tx);
        let enabled = row.as_ref().is_some_and(|r| r.enabled_at.is_some());
        let enrolment = match row {
            Some(r) if r.enabled_at.is_none() => {
                let secret = unseal(self.key()?, user, &r.secret_sealed)?;
                let t = totp(secret, person.email.as_str())?;
                let url = t
                    .to_url()
                    .map_err(|e| AppError::Internal(format!("otpauth: {e}")))?;
                Some(Enrolment {
                    secret_base32: t.secret().to_base32(),
                    qr_svg: qr_svg(&url)?,
                    otpauth_url: url,
                })
            }
            _ => None,
        };
        Ok(TwoFactorStatus {
            enabled,
            required: self.required_for(person),
            recovery_left,
            enrolment,
        })
    }

    /// Starts an enrolment with a fresh secret (again, if one was under way).
    pub async fn start(&self, actor: &Actor) -> Result<()> {
        konbit_core::authz::authorize(
            actor,
            konbit_core::authz::Action::ManageOwnCredentials,
            Default::default(),
        )?;
        let user = own_user(actor)?;
        let mut secret = vec![0u8; 20];
        rand::rng().fill_bytes(&mut secret);
        let sealed = seal(self.key()?, user, &secret)?;
        let now = now();
        let mut tx = self.app.store.write().await?;
        if tx
            .two_factor(user)
            .await?
            .is_some_and(|r| r.enabled_at.is_some())
        {
            return Err(AppError::conflict("two-factor already on"));
        }
        tx.put_pending_two_factor(user, &sealed, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Confirms an enrolment with a first code; returns the recovery codes,
    /// the only time they are known.
    pub async fn confirm(&self, actor: &Actor, person: &Person, code: &str) -> Result<Vec<String>> {
        konbit_core::authz::authorize(
            actor,
            konbit_core::authz::Action::ManageOwnCredentials,
            Default::default(),
        )?;
        let user = own_user(actor)?;
        let code = OtpInput::parse_totp(code).map_err(|e| AppError::InvalidCode(Some(e)))?;
        let now = now();
        let mut tx = self.app.store.write().await?;
        let row = tx
            .two_factor(user)
            .await?
            .filter(|r| r.enabled_at.is_none())
            .ok_or(AppError::NotFound)?;
        let secret = unseal(self.key()?, user, &row.secret_sealed)?;
        let t = totp(secret, person.email.as_str())?;
        let Some(step) = matching_step(&t, &code, u64::try_from(now).unwrap_or(0)) else {
            return Err(AppError::InvalidCode(None));
        };
        tx.enable_two_factor(user, step, now).await?;
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
        let hashes: Vec<String> = codes.iter().map(|c| sha256_hex(c)).collect();
        tx.replace_recovery_codes(user, &hashes).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "two_factor_enabled",
                kind: KIND,
                id: user.to_string(),
                account: None,
                old: None,
                new: Some(serde_json::json!({ "recovery_codes": RECOVERY_CODES })),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(codes.iter().map(|c| format_recovery(c)).collect())
    }

    /// Checks a TOTP or recovery code of a person with 2FA on, and uses it
    /// up. `Ok(false)`: wrong, or already used.
    pub(crate) async fn check_code(&self, person: &Person, input: &OtpInput) -> Result<bool> {
        let user = person.id;
        let now = now();
        let mut tx = self.app.store.write().await?;
        let ok = match input {
            OtpInput::Totp(code) => {
                let Some(row) = tx
                    .two_factor(user)
                    .await?
                    .filter(|r| r.enabled_at.is_some())
                else {
                    return Ok(false);
                };
                let secret = unseal(self.key()?, user, &row.secret_sealed)?;
                let t = totp(secret, person.email.as_str())?;
                match matching_step(&t, code, u64::try_from(now).unwrap_or(0)) {
                    Some(step) => tx.accept_two_factor_step(user, step).await?,
                    None => false,
                }
            }
            OtpInput::Recovery(code) => {
                let hash = sha256_hex(code);
                let mut found = None;
                for (id, h) in tx.unused_recovery_codes(user).await? {
                    if same(&h, &hash) && found.is_none() {
                        found = Some(id);
                    }
                }
                match found {
                    Some(id) => tx.use_recovery_code(id, now).await?,
                    None => false,
                }
            }
        };
        tx.commit().await?;
        Ok(ok)
    }

    /// Verifies a code typed at a second-factor step, with the rate limits
    /// and the audit of failures.
    pub(crate) async fn verify_step(
        &self,
        person: &Person,
        raw: &str,
        ip: Option<&str>,
    ) -> Result<OtpInput> {
        let actor = crate::auth::actor_for(person, Source::Panel, ip.map(str::to_owned), false);
        let attempt = self
            .app
            .attempt(
                Step::TwoFactor,
                ip,
                &person.id.to_string(),
                &actor,
                person.id,
            )
            .await?;
        let parsed = OtpInput::parse(raw);
        let ok = match &parsed {
            Ok(input) => self.check_code(person, input).await?,
            Err(_) => false,
        };
        if ok && let Ok(input) = parsed {
            return Ok(input);
        }
        attempt.failed();
        crate::auth::audit_failure(
            self.app,
            &actor,
            "two_factor_failed",
            person.id,
            Step::TwoFactor,
        )
        .await?;
        Err(AppError::InvalidCode(parsed.err()))
    }

    /// Turns 2FA off, with a current code or the password.
    pub async fn disable(&self, actor: &Actor, person: &Person, proof: &str) -> Result<()> {
        konbit_core::authz::authorize(
            actor,
            konbit_core::authz::Action::ManageOwnCredentials,
            Default::default(),
        )?;
        let user = own_user(actor)?;
        if !self.is_enabled(user).await? {
            return Err(AppError::NotFound);
        }
        let ok = match OtpInput::parse(proof) {
            Ok(_) => match self.verify_step(person, proof, actor.ip.as_deref()).await {
                Ok(_) => true,
                Err(e @ AppError::RateLimited { .. }) => return Err(e),
                Err(_) => false,
            },
            Err(_) => {
                let stored = self.app.store.read().await?.password_hash(user).await?;
                password::verify(proof.to_owned(), Some(stored)).await?
            }
        };
        if !ok {
            return Err(AppError::InvalidCode(None));
        }
        let now = now();
        let mut tx = self.app.store.write().await?;
        tx.delete_two_factor(user).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "two_factor_disabled",
                kind: KIND,
                id: user.to_string(),
                account: None,
                old: None,
                new: None,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealing_round_trip_and_binding() {
        let key = SealingKey([7; 32]);
        let sealed = seal(&key, UserId(1), b"secret").unwrap();
        assert_eq!(unseal(&key, UserId(1), &sealed).unwrap(), b"secret");
        assert!(
            unseal(&key, UserId(2), &sealed).is_err(),
            "bound to the person"
        );
        assert!(unseal(&SealingKey([8; 32]), UserId(1), &sealed).is_err());
    }

    #[test]
    fn key_file_is_private_and_stable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("2fa.key");
        let a = load_or_create_key(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let b = load_or_create_key(&path).unwrap();
        assert_eq!(a.0, b.0);
    }

    #[test]
    fn codes_match_their_step_once() {
        let t = totp(vec![1; 20], "a@b.c").unwrap();
        let b32 = t.secret().to_base32();
        let now = 1_700_000_000u64;
        let code = code_at(&b32, now).unwrap();
        assert_eq!(matching_step(&t, &code, now), i64::try_from(now / 30).ok());
        assert_eq!(
            matching_step(&t, &code, now + 30),
            i64::try_from(now / 30).ok()
        );
        assert_eq!(matching_step(&t, &code, now + 90), None);
        assert!(qr_svg(&t.to_url().unwrap()).unwrap().starts_with("<svg"));
        let r = recovery_code();
        assert_eq!(
            OtpInput::parse(&format_recovery(&r)),
            Ok(OtpInput::Recovery(r))
        );
    }
}
