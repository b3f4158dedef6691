//! Attempt limits kept in memory on this node: a sliding window of recent
//! attempts per key (`sign_in:ip:…`, `sign_in:account:…`). Small and
//! dependency-free (governor would add a dozen crates for what is a map of
//! timestamps here). Limits that must survive a restart belong in the store.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What the operator configures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// The sliding window.
    pub window_secs: u64,
    /// Attempts allowed per client IP within the window, per kind of step.
    pub per_ip: u32,
    /// Attempts allowed per account (e-mail address or person) within the window.
    pub per_account: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            window_secs: 15 * 60,
            per_ip: 30,
            per_account: 10,
        }
    }
}

/// The kinds of step that are limited, each with its own counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    SignIn,
    TwoFactor,
    PasswordReset,
    /// A mailbox's own password change (self-service page).
    MailboxPassword,
    /// A request on a mailing list's public page (subscribe, unsubscribe)
    /// or a use of its confirmation link.
    ListSubscription,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "sign_in",
            Self::TwoFactor => "two_factor",
            Self::PasswordReset => "password_reset",
            Self::MailboxPassword => "mailbox_password",
            Self::ListSubscription => "list_subscription",
        }
    }
}

/// Beyond this many keys, stale ones are dropped before a new one is added,
/// so a flood of addresses cannot grow the map without bound.
const MAX_KEYS: usize = 100_000;

#[derive(Default)]
pub struct RateLimiter {
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    /// `Err(seconds to wait)` when `key` already had `max` attempts within
    /// `window`. Does not count an attempt.
    pub fn check(&self, key: &str, max: u32, window: Duration) -> Result<(), u64> {
        let now = Instant::now();
        let mut map = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        let Some(q) = map.get_mut(key) else {
            return Ok(());
        };
        while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
            q.pop_front();
        }
        if q.len() < usize::try_from(max).unwrap_or(usize::MAX) {
            return Ok(());
        }
        let oldest = q.front().copied().unwrap_or(now);
        let wait = window.saturating_sub(now.duration_since(oldest));
        // Round up, and never say "retry in 0 s".
        Err(u64::try_from(wait.as_millis().div_ceil(1000))
            .unwrap_or(u64::MAX)
            .max(1))
    }

    /// Counts one attempt for `key`.
    pub fn hit(&self, key: &str, window: Duration) {
        let now = Instant::now();
        let mut map = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_KEYS && !map.contains_key(key) {
            map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
            if map.len() >= MAX_KEYS {
                map.clear();
            }
        }
        let q = map.entry(key.to_owned()).or_default();
        while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
            q.pop_front();
        }
        // A key never needs more entries than any limit could count.
        if q.len() >= 10_000 {
            q.pop_front();
        }
        q.push_back(now);
    }
}

/// One attempt at a limited step, already checked against both limits (its
/// IP and its account). Call `failed` when the attempt fails, so it counts.
pub(crate) struct Attempt<'a> {
    app: &'a crate::App,
    keys: [String; 2],
    window: Duration,
}

impl Attempt<'_> {
    pub(crate) fn failed(&self) {
        for key in &self.keys {
            self.app.limiter.hit(key, self.window);
        }
    }
}

impl crate::App {
    /// Checks an attempt at `step` from `ip` on `account`; a refusal is
    /// audited (as `actor`, about `target`) and tells when to retry.
    pub(crate) async fn attempt(
        &self,
        step: Step,
        ip: Option<&str>,
        account: &str,
        actor: &konbit_core::authz::Actor,
        target: impl std::fmt::Display,
    ) -> crate::Result<Attempt<'_>> {
        let limits = self.config.rate_limits;
        let window = Duration::from_secs(limits.window_secs);
        let [ip_key, acct_key] = keys(step, ip, account);
        let limited = self
            .limiter
            .check(&ip_key, limits.per_ip, window)
            .and_then(|()| self.limiter.check(&acct_key, limits.per_account, window));
        if let Err(secs) = limited {
            crate::auth::audit_failure(self, actor, "rate_limited", target, step).await?;
            return Err(crate::AppError::RateLimited {
                retry_after_secs: secs,
            });
        }
        Ok(Attempt {
            app: self,
            keys: [ip_key, acct_key],
            window,
        })
    }
}

/// The two keys of an attempt: its IP and its account.
pub fn keys(step: Step, ip: Option<&str>, account: &str) -> [String; 2] {
    [
        format!("{}:ip:{}", step.as_str(), ip.unwrap_or("-")),
        format!(
            "{}:account:{}",
            step.as_str(),
            account
                .trim()
                .to_lowercase()
                .chars()
                .take(254)
                .collect::<String>()
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_recovers() {
        let l = RateLimiter::default();
        let w = Duration::from_millis(200);
        assert!(l.check("k", 2, w).is_ok());
        l.hit("k", w);
        l.hit("k", w);
        let wait = l.check("k", 2, w).unwrap_err();
        assert!(wait >= 1, "{wait}");
        assert!(l.check("other", 2, w).is_ok());
        std::thread::sleep(Duration::from_millis(250));
        assert!(l.check("k", 2, w).is_ok());
    }

    #[test]
    fn keys_fold_case() {
        let [ip, acct] = keys(Step::SignIn, Some("127.0.0.1"), " Ada@Coop.test ");
        assert_eq!(ip, "sign_in:ip:127.0.0.1");
        assert_eq!(acct, "sign_in:account:ada@coop.test");
    }
}
