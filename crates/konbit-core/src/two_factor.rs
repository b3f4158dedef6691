//! Second-factor rules: the operator's policy, the states a panel session
//! goes through, and the parser of the codes people type. Pure: the TOTP
//! arithmetic and the storage live in the services and the store.

use serde::{Deserialize, Serialize};

/// Who must use a second factor, as the operator configured it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TwoFactorPolicy {
    /// Optional for everyone.
    #[default]
    None,
    /// Required for the operator's admins.
    Admins,
    /// Required for every person.
    Everyone,
}

impl TwoFactorPolicy {
    pub fn requires(self, is_admin: bool) -> bool {
        match self {
            Self::None => false,
            Self::Admins => is_admin,
            Self::Everyone => true,
        }
    }
}

/// Where a panel session stands. Only `Full` reaches the panel; the other
/// two reach only the page that completes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    /// Password and (if any) second factor done.
    Full,
    /// Password right; the second factor is still to come.
    PendingTwoFactor,
    /// Password right; the policy requires a second factor the person does
    /// not have yet, so they may only enrol.
    MustEnrol,
}

impl SessionState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::PendingTwoFactor => "pending_2fa",
            Self::MustEnrol => "enrol_2fa",
        }
    }
    /// Unknown values are the most restricted state, never `Full`.
    pub fn from_db(s: &str) -> Self {
        match s {
            "full" => Self::Full,
            "enrol_2fa" => Self::MustEnrol,
            _ => Self::PendingTwoFactor,
        }
    }
}

/// Digits of a TOTP code.
pub const TOTP_DIGITS: usize = 6;
/// Characters of a recovery code (without its dashes).
pub const RECOVERY_LEN: usize = 16;
/// The alphabet of recovery codes: lowercase letters and digits without
/// look-alikes (no 0/o, 1/l/i).
pub const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// Nothing longer than this is even looked at: a long input is refused
/// before any parsing (HestiaCP #5203 was a bypass through a long code).
pub const MAX_CODE_INPUT: usize = 64;

/// A code as typed, normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OtpInput {
    /// Six digits from an authenticator app.
    Totp(String),
    /// A one-time recovery code, lowercase, without dashes.
    Recovery(String),
}

/// Why a typed code is not even worth checking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeError {
    Empty,
    TooLong,
    WrongLength,
    NotDigits,
}

impl CodeError {
    pub fn message_id(self) -> &'static str {
        match self {
            Self::Empty => "two-factor-code-empty",
            Self::TooLong => "two-factor-code-too-long",
            Self::WrongLength => "two-factor-code-length",
            Self::NotDigits => "two-factor-code-digits",
        }
    }
}

impl OtpInput {
    /// Parses a TOTP code or a recovery code. Spaces and dashes inside are
    /// tolerated (people copy `123 456` or `abcd-efgh-...`).
    pub fn parse(raw: &str) -> Result<Self, CodeError> {
        if raw.len() > MAX_CODE_INPUT {
            return Err(CodeError::TooLong);
        }
        let s: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if s.is_empty() {
            return Err(CodeError::Empty);
        }
        if s.bytes().all(|b| b.is_ascii_digit()) {
            return if s.len() == TOTP_DIGITS {
                Ok(Self::Totp(s))
            } else {
                Err(CodeError::WrongLength)
            };
        }
        if s.len() == RECOVERY_LEN && s.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)) {
            return Ok(Self::Recovery(s));
        }
        Err(CodeError::NotDigits)
    }

    /// Only a six-digit code (to confirm an enrolment).
    pub fn parse_totp(raw: &str) -> Result<String, CodeError> {
        match Self::parse(raw)? {
            Self::Totp(s) => Ok(s),
            Self::Recovery(_) => Err(CodeError::NotDigits),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(
            OtpInput::parse(" 123 456 "),
            Ok(OtpInput::Totp("123456".into()))
        );
        assert_eq!(OtpInput::parse("12345"), Err(CodeError::WrongLength));
        assert_eq!(OtpInput::parse("1234567"), Err(CodeError::WrongLength));
        assert_eq!(OtpInput::parse("12a456"), Err(CodeError::NotDigits));
        assert_eq!(OtpInput::parse(""), Err(CodeError::Empty));
        assert_eq!(OtpInput::parse("  "), Err(CodeError::Empty));
        assert_eq!(OtpInput::parse(&"1".repeat(65)), Err(CodeError::TooLong));
        assert_eq!(
            OtpInput::parse("ABCD-EFGH-JKMN-PQRS"),
            Ok(OtpInput::Recovery("abcdefghjkmnpqrs".into()))
        );
        assert_eq!(
            OtpInput::parse_totp("abcd-efgh-jkmn-pqrs"),
            Err(CodeError::NotDigits)
        );
        assert!(TwoFactorPolicy::Admins.requires(true));
        assert!(!TwoFactorPolicy::Admins.requires(false));
        assert!(TwoFactorPolicy::Everyone.requires(false));
        assert!(!TwoFactorPolicy::None.requires(true));
        assert_eq!(
            SessionState::from_db("nonsense"),
            SessionState::PendingTwoFactor
        );
    }

    proptest::proptest! {
        #[test]
        fn parsed_codes_are_clean_and_bounded(s in "\\PC{0,80}") {
            match OtpInput::parse(&s) {
                Ok(OtpInput::Totp(c)) => {
                    proptest::prop_assert_eq!(c.len(), TOTP_DIGITS);
                    proptest::prop_assert!(c.bytes().all(|b| b.is_ascii_digit()));
                }
                Ok(OtpInput::Recovery(c)) => {
                    proptest::prop_assert_eq!(c.len(), RECOVERY_LEN);
                    proptest::prop_assert!(c.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)));
                }
                Err(_) => {}
            }
            if s.len() > MAX_CODE_INPUT {
                proptest::prop_assert_eq!(OtpInput::parse(&s), Err(CodeError::TooLong));
            }
        }

        #[test]
        fn long_digit_strings_never_pass(n in 65usize..5000) {
            let s = "1".repeat(n);
            proptest::prop_assert!(OtpInput::parse(&s).is_err());
        }
    }
}
