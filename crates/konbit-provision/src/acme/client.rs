//! The ACME client, on top of `instant-acme` (ring, hyper-rustls).
//!
//! # Bounds
//!
//! `instant-acme` puts no time limit on HTTP requests, so everything
//! [`AcmeClient::new`] and [`AcmeClient::issue`] do runs under
//! [`AcmeSettings::timeout`]; polls use the time left. `instant-acme`
//! resends a request up to 3 times in all when the CA answers `badNonce`;
//! each step here is tried up to [`NONCE_ATTEMPTS`] times in all when that
//! still ends in `badNonce` (pebble rejects 5 % of good nonces on purpose,
//! real CAs now and then).
//!
//! # Files
//!
//! - `account_file`: JSON `{"directory_url": ..., "credentials": ...}`
//!   holding the account's private key; written atomically, mode 0600. A
//!   file made for another directory URL is replaced by a new account.
//! - `challenge_dir/<token>`: the http-01 key authorization, mode 0644,
//!   only while an issuance runs (removed whatever the outcome). The web
//!   server must serve `challenge_dir` at
//!   `http://NAME/.well-known/acme-challenge/`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use instant_acme::{
    Account, AccountBuilder, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier,
    NewAccount, NewOrder, Order, OrderStatus, Problem, RetryPolicy,
};
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};
use serde::{Deserialize, Serialize};

use super::cert;
use crate::files::{FileMode, make_dir, remove_file, write_atomic};

/// How many times one step is tried when it ends in `badNonce` (each try
/// being up to 3 requests inside `instant-acme`).
pub const NONCE_ATTEMPTS: u32 = 3;
/// Most names in one certificate (Let's Encrypt's limit).
const MAX_NAMES: usize = 100;
/// Longest challenge token accepted (RFC 8555 asks for at least 128 bits,
/// i.e. 22 characters; pebble and Let's Encrypt send 43).
const MAX_TOKEN_LEN: usize = 128;
/// First wait when polling the CA; then ×1.5 each time.
const POLL_FIRST_DELAY: Duration = Duration::from_millis(250);
const POLL_BACKOFF: f32 = 1.5;

const ACCOUNT_FILE_MODE: FileMode = FileMode {
    mode: 0o600,
    uid: None,
    gid: None,
};
const ACCOUNT_DIR_MODE: FileMode = FileMode {
    mode: 0o700,
    uid: None,
    gid: None,
};
const TOKEN_FILE_MODE: FileMode = FileMode {
    mode: 0o644,
    uid: None,
    gid: None,
};
const CHALLENGE_DIR_MODE: FileMode = FileMode {
    mode: 0o755,
    uid: None,
    gid: None,
};

const PROBLEM_PREFIX: &str = "urn:ietf:params:acme:error:";

/// Evaluate `$op` (an expression giving `Result<_, AcmeError>`, usually
/// ending in `.await`) again, at most [`NONCE_ATTEMPTS`] times in all,
/// while it fails with `badNonce`. A macro, not a function taking an async
/// closure: the futures of those cannot yet be proven `Send`.
macro_rules! retry_bad_nonce {
    ($op:expr) => {{
        let mut attempt = 1u32;
        loop {
            match $op {
                Err(e) if e.is_bad_nonce() && attempt < NONCE_ATTEMPTS => {
                    tracing::debug!(attempt, "badNonce from the CA; trying again");
                    attempt += 1;
                }
                result => break result,
            }
        }
    }};
}

/// Where the CA is and where the client keeps its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcmeSettings {
    /// The CA's ACME directory, e.g.
    /// `https://acme-v02.api.letsencrypt.org/directory`.
    pub directory_url: String,
    /// Given to the CA as `mailto:` contact when an account is registered.
    pub contact_email: Option<String>,
    /// A PEM file whose (first) certificate is the root trusted for the
    /// CA's HTTPS, for a private or test CA such as pebble. It then is the
    /// only root trusted for talking to the CA. `None`: the system's roots
    /// (rustls-platform-verifier).
    pub extra_roots_pem: Option<PathBuf>,
    /// The account's credentials (JSON, mode 0600). Created with a new
    /// account when missing.
    pub account_file: PathBuf,
    /// Where the http-01 tokens are written; created (0755) when missing.
    pub challenge_dir: PathBuf,
    /// Limit for [`AcmeClient::new`] and for each [`AcmeClient::issue`].
    pub timeout: Duration,
}

/// Why talking to the CA failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AcmeError {
    /// The CA refused, with its reason: a problem document (`problem_type`
    /// is then its URN, e.g. `urn:ietf:params:acme:error:unauthorized`
    /// when the http-01 check failed) or an answer it should not have
    /// given. `detail` is meant to be shown to a person.
    #[error("the certificate authority refused: {detail}{}", short_type(.problem_type))]
    Ca {
        problem_type: Option<String>,
        detail: String,
    },
    /// The CA could not be reached or answered something unreadable;
    /// trying again later may work.
    #[error("cannot talk to the certificate authority: {0}")]
    Network(String),
    /// A local file (account, challenge token, trusted roots) could not be
    /// read or written.
    #[error("{0}")]
    Io(String),
    /// [`AcmeSettings::timeout`] passed.
    #[error("the certificate authority did not finish in time")]
    Timeout,
    /// The request cannot be made as asked (no names, a name that is not a
    /// host name, a malformed contact address or directory URL).
    #[error("{0}")]
    Invalid(String),
}

fn short_type(problem_type: &Option<String>) -> String {
    match problem_type {
        Some(t) => format!(" ({})", t.strip_prefix(PROBLEM_PREFIX).unwrap_or(t)),
        None => String::new(),
    }
}

impl AcmeError {
    /// Whether trying again later may succeed without anyone changing
    /// anything: network trouble, time-outs, and the CA's `badNonce`,
    /// `serverInternal` and `rateLimited` (the last one after a while).
    pub fn is_transient(&self) -> bool {
        match self {
            AcmeError::Network(_) | AcmeError::Timeout => true,
            AcmeError::Ca { .. } => ["badNonce", "serverInternal", "rateLimited"]
                .into_iter()
                .any(|t| self.is_problem(t)),
            AcmeError::Io(_) | AcmeError::Invalid(_) => false,
        }
    }

    /// Whether this is the CA's problem `urn:ietf:params:acme:error:<short>`.
    fn is_problem(&self, short: &str) -> bool {
        matches!(self, AcmeError::Ca { problem_type: Some(t), .. }
            if t.strip_prefix(PROBLEM_PREFIX) == Some(short))
    }

    fn is_bad_nonce(&self) -> bool {
        self.is_problem("badNonce")
    }

    /// The CA does not know (or no longer accepts) the account: pebble
    /// forgets every account when it restarts.
    fn means_account_missing(&self) -> bool {
        match self {
            AcmeError::Ca { detail, .. } => {
                self.is_problem("accountDoesNotExist")
                    || (self.is_problem("unauthorized")
                        && detail.to_ascii_lowercase().contains("account"))
            }
            _ => false,
        }
    }
}

/// A certificate from the CA.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedCertificate {
    /// The leaf first, then the intermediates, PEM.
    pub chain_pem: String,
    /// The certificate's private key (ECDSA P-256, PKCS#8 PEM). Secret:
    /// not shown by `Debug`.
    pub key_pem: String,
    /// The leaf's `notBefore`, Unix time.
    pub not_before: i64,
    /// The leaf's `notAfter`, Unix time.
    pub not_after: i64,
}

impl fmt::Debug for IssuedCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedCertificate")
            .field("chain_pem", &self.chain_pem)
            .field("key_pem", &"<secret>")
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .finish()
    }
}

/// The account file.
#[derive(Serialize, Deserialize)]
struct AccountFile {
    /// The directory the account belongs to.
    directory_url: String,
    credentials: AccountCredentials,
}

/// An ACME account at one CA, ready to issue certificates.
pub struct AcmeClient {
    settings: AcmeSettings,
    /// Replaced when the CA has forgotten the account.
    account: Mutex<Account>,
}

impl fmt::Debug for AcmeClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcmeClient")
            .field("settings", &self.settings)
            .field("account", &self.account_id())
            .finish()
    }
}

impl AcmeClient {
    /// Restore the account from [`AcmeSettings::account_file`], or register
    /// a new one (agreeing to the CA's terms of service) and save it there.
    /// The CA's directory is fetched either way, so an unreachable CA is an
    /// error here. Bounded by [`AcmeSettings::timeout`].
    pub async fn new(settings: AcmeSettings) -> Result<Self, AcmeError> {
        let account = within(settings.timeout, load_or_register(&settings)).await?;
        Ok(AcmeClient {
            settings,
            account: Mutex::new(account),
        })
    }

    /// The settings given to [`AcmeClient::new`].
    pub fn settings(&self) -> &AcmeSettings {
        &self.settings
    }

    /// The account's URL at the CA.
    pub fn account_id(&self) -> String {
        self.account().id().to_owned()
    }

    /// Get a certificate for `names` (host names; the first one is also the
    /// subject's common name) by http-01, with a new ECDSA P-256 key.
    ///
    /// If the CA no longer knows the account, a new one is registered (and
    /// saved) once. The challenge files written are removed whatever the
    /// outcome. Bounded by [`AcmeSettings::timeout`].
    pub async fn issue(&self, names: &[String]) -> Result<IssuedCertificate, AcmeError> {
        let names = check_names(names)?;
        let started = Instant::now();
        let mut tokens = Vec::new();
        let result = within(
            self.settings.timeout,
            self.issue_within(&names, &mut tokens),
        )
        .await;
        for path in &tokens {
            if let Err(e) = remove_file(path) {
                tracing::warn!(error = %e, "cannot remove an ACME challenge file");
            }
        }
        match &result {
            Ok(_) => tracing::info!(
                ?names,
                elapsed_ms = started.elapsed().as_millis(),
                "certificate issued"
            ),
            Err(e) => tracing::warn!(?names, error = %e, "certificate not issued"),
        }
        result
    }

    fn account(&self) -> Account {
        self.account
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    async fn issue_within(
        &self,
        names: &[String],
        tokens: &mut Vec<PathBuf>,
    ) -> Result<IssuedCertificate, AcmeError> {
        let deadline = Instant::now() + self.settings.timeout;
        let identifiers: Vec<Identifier> =
            names.iter().map(|n| Identifier::Dns(n.clone())).collect();
        let mut order = match new_order(&self.account(), &identifiers).await {
            Err(e) if e.means_account_missing() => {
                tracing::info!(error = %e, "the CA does not know the account; registering again");
                let account = register(&self.settings).await?;
                *self.account.lock().unwrap_or_else(PoisonError::into_inner) = account.clone();
                new_order(&account, &identifiers).await?
            }
            other => other?,
        };

        // Fetch every authorization first, so that a failed fetch can be
        // retried without answering a challenge twice.
        retry_bad_nonce!(
            async {
                let mut authorizations = order.authorizations();
                while let Some(result) = authorizations.next().await {
                    result.map_err(acme_error)?;
                }
                Ok::<(), AcmeError>(())
            }
            .await
        )?;
        self.answer_challenges(&mut order, tokens).await?;

        let status = retry_bad_nonce!(
            order
                .poll_ready(&policy(deadline))
                .await
                .map_err(acme_error)
        )?;
        if status != OrderStatus::Ready {
            return Err(invalid_order_reason(&mut order).await);
        }

        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|e| AcmeError::Invalid(format!("generating the certificate key: {e}")))?;
        let csr = certificate_request(names, &key)?;
        retry_bad_nonce!(order.finalize_csr(&csr).await.map_err(acme_error))?;
        let chain_pem = retry_bad_nonce!(
            order
                .poll_certificate(&policy(deadline))
                .await
                .map_err(acme_error)
        )?;

        let unusable = |e: String| AcmeError::Ca {
            problem_type: None,
            detail: format!("the certificate chain sent is unusable: {e}"),
        };
        let (not_before, not_after) = cert::leaf_validity(&chain_pem).map_err(unusable)?;
        Ok(IssuedCertificate {
            chain_pem,
            key_pem: key.serialize_pem(),
            not_before,
            not_after,
        })
    }

    /// For each pending authorization: write the http-01 token file, then
    /// tell the CA to check it. Authorizations the CA already holds valid
    /// for this account are skipped.
    async fn answer_challenges(
        &self,
        order: &mut Order,
        tokens: &mut Vec<PathBuf>,
    ) -> Result<(), AcmeError> {
        let dir = &self.settings.challenge_dir;
        let mut authorizations = order.authorizations();
        // All fetched already: no request, one turn per name.
        while let Some(result) = authorizations.next().await {
            let mut authz = result.map_err(acme_error)?;
            let name = authz.identifier().to_string();
            match authz.status {
                AuthorizationStatus::Valid => continue,
                AuthorizationStatus::Pending => {}
                other => {
                    return Err(AcmeError::Ca {
                        problem_type: None,
                        detail: format!("the authorization for {name} is {other:?}"),
                    });
                }
            }
            let mut challenge =
                authz
                    .challenge(ChallengeType::Http01)
                    .ok_or_else(|| AcmeError::Ca {
                        problem_type: None,
                        detail: format!("the CA offers no http-01 challenge for {name}"),
                    })?;
            let path = token_path(dir, &challenge.token)?;
            make_dir(dir, CHALLENGE_DIR_MODE).map_err(AcmeError::Io)?;
            let key_authorization = challenge.key_authorization();
            write_atomic(
                &path,
                key_authorization.as_str().as_bytes(),
                TOKEN_FILE_MODE,
            )
            .map_err(AcmeError::Io)?;
            tokens.push(path);
            retry_bad_nonce!(challenge.set_ready().await.map_err(acme_error))?;
        }
        Ok(())
    }
}

/// `fut`, or [`AcmeError::Timeout`] when it takes longer than `timeout`.
async fn within<T>(
    timeout: Duration,
    fut: impl Future<Output = Result<T, AcmeError>>,
) -> Result<T, AcmeError> {
    match tokio::time::timeout(timeout, fut).await {
        Ok(result) => result,
        Err(_) => Err(AcmeError::Timeout),
    }
}

/// Polling until `deadline`.
fn policy(deadline: Instant) -> RetryPolicy {
    RetryPolicy::new()
        .initial_delay(POLL_FIRST_DELAY)
        .backoff(POLL_BACKOFF)
        .timeout(deadline.saturating_duration_since(Instant::now()))
}

async fn new_order(account: &Account, identifiers: &[Identifier]) -> Result<Order, AcmeError> {
    retry_bad_nonce!(
        account
            .new_order(&NewOrder::new(identifiers))
            .await
            .map_err(acme_error)
    )
}

/// The reason an order became invalid, from the challenge errors of its
/// authorizations (fetched again).
async fn invalid_order_reason(order: &mut Order) -> AcmeError {
    let mut authorizations = order.authorizations();
    while let Some(Ok(mut authz)) = authorizations.next().await {
        let Ok(state) = authz.refresh().await else {
            continue;
        };
        let name = state.identifier().to_string();
        if let Some(problem) = state.challenges.iter().find_map(|c| c.error.as_ref()) {
            return ca_error(problem, Some(&name));
        }
        if state.status != AuthorizationStatus::Valid {
            return AcmeError::Ca {
                problem_type: None,
                detail: format!("the authorization for {name} is {:?}", state.status),
            };
        }
    }
    AcmeError::Ca {
        problem_type: None,
        detail: "the CA marked the order invalid without saying why".to_owned(),
    }
}

/// A CSR for `names` (all as DNS names; the first as common name when it
/// fits the 64-character limit), signed by `key`.
fn certificate_request(names: &[String], key: &KeyPair) -> Result<Vec<u8>, AcmeError> {
    let invalid = |e: rcgen::Error| AcmeError::Invalid(format!("cannot make the CSR: {e}"));
    let mut params = CertificateParams::new(names.to_vec()).map_err(invalid)?;
    let mut subject = DistinguishedName::new();
    if let Some(first) = names.first().filter(|n| n.len() <= 64) {
        subject.push(DnType::CommonName, first.as_str());
    }
    params.distinguished_name = subject;
    let csr = params.serialize_request(key).map_err(invalid)?;
    Ok(csr.der().to_vec())
}

/// The names, lower-cased and without duplicates, or an error when one is
/// not a host name (IP addresses are refused too: they would need IP
/// identifiers).
fn check_names(names: &[String]) -> Result<Vec<String>, AcmeError> {
    if names.is_empty() {
        return Err(AcmeError::Invalid("no names to certify".to_owned()));
    }
    if names.len() > MAX_NAMES {
        return Err(AcmeError::Invalid(format!(
            "{} names, at most {MAX_NAMES} fit in a certificate",
            names.len()
        )));
    }
    let mut checked: Vec<String> = Vec::with_capacity(names.len());
    for name in names {
        let lower = name.to_ascii_lowercase();
        let host = lower.strip_prefix("*.").unwrap_or(&lower);
        let is_host = lower.len() <= 253
            && host.parse::<std::net::IpAddr>().is_err()
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if !is_host {
            return Err(AcmeError::Invalid(format!("{name:?} is not a host name")));
        }
        if !checked.contains(&lower) {
            checked.push(lower);
        }
    }
    Ok(checked)
}

/// `dir/token`, when the token is base64url (RFC 8555 §8.3): nothing else
/// may name a file, so a token from the CA can never leave `dir`.
fn token_path(dir: &Path, token: &str) -> Result<PathBuf, AcmeError> {
    let ok = !token.is_empty()
        && token.len() <= MAX_TOKEN_LEN
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(dir.join(token))
    } else {
        Err(AcmeError::Ca {
            problem_type: None,
            detail: format!("the CA sent a malformed challenge token {token:?}"),
        })
    }
}

async fn load_or_register(settings: &AcmeSettings) -> Result<Account, AcmeError> {
    let path = &settings.account_file;
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return register(settings).await,
        Err(e) => return Err(AcmeError::Io(format!("{}: {e}", path.display()))),
    };
    let unusable = |why: String| {
        AcmeError::Io(format!(
            "{}: not a usable ACME account file ({why}); remove it to register a new account",
            path.display()
        ))
    };
    let file: AccountFile = serde_json::from_str(&text).map_err(|e| unusable(e.to_string()))?;
    if file.directory_url != settings.directory_url {
        tracing::info!(
            old = %file.directory_url,
            new = %settings.directory_url,
            "the ACME account file is for another CA; registering a new account"
        );
        return register(settings).await;
    }
    // Only fetches the directory: whether the CA still knows the account is
    // found out (and mended) by the first order.
    builder(settings)?
        .from_credentials(file.credentials)
        .await
        .map_err(|e| match e {
            instant_acme::Error::KeyRejected | instant_acme::Error::Crypto => {
                unusable("the key is not an ECDSA P-256 key".to_owned())
            }
            other => acme_error(other),
        })
}

/// Register a new account and save it in the account file.
async fn register(settings: &AcmeSettings) -> Result<Account, AcmeError> {
    let contact = match &settings.contact_email {
        Some(email) => {
            let usable = email.len() <= 254
                && email.matches('@').count() == 1
                && !email.starts_with('@')
                && !email.ends_with('@')
                && email
                    .chars()
                    .all(|c| c.is_ascii_graphic() && !"?,;<>\"\\:()[]".contains(c));
            if !usable {
                return Err(AcmeError::Invalid(format!(
                    "{email:?} is not a usable contact address"
                )));
            }
            Some(format!("mailto:{email}"))
        }
        None => None,
    };
    let contacts: Vec<&str> = contact.iter().map(String::as_str).collect();
    let new_account = NewAccount {
        contact: &contacts,
        terms_of_service_agreed: true,
        only_return_existing: false,
    };
    let (account, credentials) = retry_bad_nonce!(
        async {
            builder(settings)?
                .create(&new_account, settings.directory_url.clone(), None)
                .await
                .map_err(acme_error)
        }
        .await
    )?;
    save_account(
        &settings.account_file,
        &AccountFile {
            directory_url: settings.directory_url.clone(),
            credentials,
        },
    )?;
    tracing::info!(account = account.id(), "registered an ACME account");
    Ok(account)
}

fn save_account(path: &Path, file: &AccountFile) -> Result<(), AcmeError> {
    let json = serde_json::to_vec_pretty(file)
        .map_err(|e| AcmeError::Io(format!("serializing the ACME account: {e}")))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        make_dir(dir, ACCOUNT_DIR_MODE).map_err(AcmeError::Io)?;
    }
    write_atomic(path, &json, ACCOUNT_FILE_MODE).map_err(AcmeError::Io)?;
    Ok(())
}

/// The HTTP client: trusting only [`AcmeSettings::extra_roots_pem`] when
/// set, else the system's roots.
fn builder(settings: &AcmeSettings) -> Result<AccountBuilder, AcmeError> {
    match &settings.extra_roots_pem {
        Some(pem) => {
            std::fs::metadata(pem).map_err(|e| AcmeError::Io(format!("{}: {e}", pem.display())))?;
            Account::builder_with_root(pem).map_err(|e| {
                AcmeError::Io(format!(
                    "{}: no usable PEM certificate ({e})",
                    pem.display()
                ))
            })
        }
        None => Account::builder()
            .map_err(|e| AcmeError::Io(format!("loading the system's root certificates: {e}"))),
    }
}

fn ca_error(problem: &Problem, name: Option<&str>) -> AcmeError {
    let mut detail = match name {
        Some(name) => format!("{name}: "),
        None => String::new(),
    };
    detail.push_str(problem.detail.as_deref().unwrap_or("no detail given"));
    for sub in &problem.subproblems {
        detail.push_str("; ");
        detail.push_str(&sub.to_string());
    }
    AcmeError::Ca {
        problem_type: problem.r#type.clone(),
        detail,
    }
}

/// An error and its sources, `: `-separated.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    // Bounded: error chains are short, but nothing promises they end.
    for _ in 0..8 {
        let Some(e) = source else { break };
        let more = e.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = e.source();
    }
    text
}

fn acme_error(error: instant_acme::Error) -> AcmeError {
    use instant_acme::Error as E;
    match error {
        E::Api(problem) => ca_error(&problem, None),
        E::Timeout(_) => AcmeError::Timeout,
        E::InvalidUri(e) => AcmeError::Invalid(format!("the ACME directory URL is unusable: {e}")),
        E::Http(e) => AcmeError::Invalid(format!("cannot make an ACME request: {e}")),
        E::Crypto => AcmeError::Invalid("a cryptographic operation failed".to_owned()),
        E::KeyRejected => AcmeError::Invalid("the account key was rejected".to_owned()),
        E::Unsupported(what) => AcmeError::Ca {
            problem_type: None,
            detail: format!("the CA does not support {what}"),
        },
        E::Json(e) => AcmeError::Network(format!("unexpected answer: {e}")),
        E::Str(what) => AcmeError::Network(format!("unexpected answer: {what}")),
        E::Hyper(e) => AcmeError::Network(error_chain(&e)),
        E::Other(e) => AcmeError::Network(error_chain(e.as_ref())),
        other => AcmeError::Network(error_chain(&other)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn settings(dir: &Path, directory_url: &str) -> AcmeSettings {
        AcmeSettings {
            directory_url: directory_url.to_owned(),
            contact_email: None,
            extra_roots_pem: None,
            account_file: dir.join("acme/account.json"),
            challenge_dir: dir.join("challenges"),
            timeout: Duration::from_secs(5),
        }
    }

    #[test]
    fn tokens_cannot_leave_the_challenge_dir() {
        let dir = Path::new("/srv/acme");
        let token = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0";
        assert_eq!(token_path(dir, token).unwrap(), dir.join(token));
        assert!(token_path(dir, "a-b_c").is_ok());
        for bad in [
            "",
            ".",
            "..",
            "../etc/passwd",
            "/etc/passwd",
            "a/b",
            ".hidden",
            "a.b",
            "a b",
            "a\0b",
            "a\nb",
            "é",
            "a+b",
            "a=",
            &"a".repeat(MAX_TOKEN_LEN + 1),
        ] {
            let err = token_path(dir, bad).unwrap_err();
            assert!(matches!(err, AcmeError::Ca { .. }), "{bad:?}: {err:?}");
        }
    }

    #[test]
    fn names_are_host_names() {
        let names = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            check_names(&names(&[
                "Site.Test",
                "www.site.test",
                "site.test",
                "*.site.test"
            ]))
            .unwrap(),
            ["site.test", "www.site.test", "*.site.test"]
        );
        for bad in [
            "",
            ".",
            "site.test.",
            "a..b",
            "-a.test",
            "a-.test",
            "a_b.test",
            "a b.test",
            "*",
            "a.*.test",
            "127.0.0.1",
            "::1",
            "é.test",
            "a/b.test",
        ] {
            assert!(
                matches!(check_names(&names(&[bad])), Err(AcmeError::Invalid(_))),
                "{bad:?}"
            );
        }
        assert!(check_names(&[]).is_err());
        let many: Vec<String> = (0..=MAX_NAMES).map(|i| format!("n{i}.test")).collect();
        assert!(check_names(&many).is_err());
        let long = format!("{}.test", "a".repeat(64));
        assert!(check_names(&[long]).is_err());
    }

    #[test]
    fn the_csr_names_every_host_and_the_first_as_subject() {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let names = vec!["site.test".to_owned(), "www.site.test".to_owned()];
        let der = certificate_request(&names, &key).unwrap();
        // The names appear as they are in the DER (IA5String and
        // UTF8String).
        let has = |needle: &[u8]| der.windows(needle.len()).any(|w| w == needle);
        assert!(has(b"www.site.test"));
        assert!(has(b"site.test"));
        let long = vec![format!("{}.test", "a".repeat(60))];
        assert!(certificate_request(&long, &key).is_ok());
    }

    #[test]
    fn errors_say_whether_to_try_again() {
        let ca = |t: &str, detail: &str| AcmeError::Ca {
            problem_type: Some(format!("{PROBLEM_PREFIX}{t}")),
            detail: detail.to_owned(),
        };
        assert!(AcmeError::Network("refused".into()).is_transient());
        assert!(AcmeError::Timeout.is_transient());
        assert!(ca("badNonce", "").is_transient());
        assert!(ca("serverInternal", "").is_transient());
        assert!(ca("rateLimited", "").is_transient());
        assert!(!ca("unauthorized", "").is_transient());
        assert!(!ca("rejectedIdentifier", "").is_transient());
        assert!(!AcmeError::Io("x".into()).is_transient());
        assert!(!AcmeError::Invalid("x".into()).is_transient());
        assert!(ca("accountDoesNotExist", "no such account").means_account_missing());
        assert!(ca("unauthorized", "Account is not valid").means_account_missing());
        assert!(!ca("unauthorized", "Invalid response from http://a.test").means_account_missing());
        assert_eq!(
            ca("unauthorized", "404 from http://site.test").to_string(),
            "the certificate authority refused: 404 from http://site.test (unauthorized)"
        );
    }

    #[test]
    fn the_key_is_not_in_debug_output() {
        let issued = IssuedCertificate {
            chain_pem: "CHAIN".to_owned(),
            key_pem: "-----BEGIN PRIVATE KEY-----SECRET".to_owned(),
            not_before: 1,
            not_after: 2,
        };
        let debug = format!("{issued:?}");
        assert!(debug.contains("CHAIN"));
        assert!(!debug.contains("SECRET"), "{debug}");
    }

    #[tokio::test]
    async fn a_broken_account_file_is_an_io_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), "https://127.0.0.1:1/dir");
        std::fs::create_dir_all(s.account_file.parent().unwrap()).unwrap();
        std::fs::write(&s.account_file, "{not json").unwrap();
        let err = AcmeClient::new(s.clone()).await.unwrap_err();
        assert!(
            matches!(&err, AcmeError::Io(m) if m.contains("account.json")),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn an_unreachable_ca_is_a_transient_network_error() {
        let dir = tempfile::tempdir().unwrap();
        // Nothing listens on port 1.
        let s = settings(dir.path(), "https://127.0.0.1:1/dir");
        let err = AcmeClient::new(s.clone()).await.unwrap_err();
        assert!(matches!(err, AcmeError::Network(_)), "{err:?}");
        assert!(err.is_transient());
        assert!(!s.account_file.exists());
    }

    #[tokio::test]
    async fn a_ca_that_never_answers_is_a_timeout() {
        let dir = tempfile::tempdir().unwrap();
        // Accepts connections, never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut s = settings(dir.path(), &format!("https://127.0.0.1:{port}/dir"));
        s.timeout = Duration::from_millis(300);
        let started = Instant::now();
        let err = AcmeClient::new(s).await.unwrap_err();
        assert_eq!(err, AcmeError::Timeout);
        assert!(started.elapsed() < Duration::from_secs(3));
        drop(listener);
    }

    #[test]
    fn issuing_can_run_on_a_worker_task() {
        fn assert_send<T: Send>(_: &T) {}
        let fut = async {
            let client = AcmeClient::new(settings(Path::new("/nonexistent"), "x")).await?;
            client.issue(&["a.test".to_owned()]).await
        };
        assert_send(&fut);
    }
}
