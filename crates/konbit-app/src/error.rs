use konbit_core::quota::QuotaExceeded;
use konbit_core::{Denied, ErrorCode, FieldError};
use konbit_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("invalid input: {0:?}")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("wrong e-mail address or password")]
    InvalidCredentials,
    #[error("not found")]
    NotFound,
    /// The value of `field` is already taken.
    #[error("{field} is already taken")]
    Duplicate { field: &'static str },
    /// A duplicate or a rule that keeps the data consistent.
    #[error("conflict: {code:?} ({detail})")]
    Conflict { code: ErrorCode, detail: String },
    #[error(transparent)]
    Quota(#[from] QuotaExceeded),
    /// Too many attempts; try again after this many seconds.
    #[error("too many attempts; retry after {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// A second-factor code that is wrong, already used, or malformed.
    #[error("wrong or already used code")]
    InvalidCode(Option<konbit_core::two_factor::CodeError>),
    /// A reset link that is unknown, used, expired or someone else's.
    #[error("this link is not valid")]
    InvalidLink,
    /// A zone file with bad lines: every one of them, by line number.
    #[error("the zone file has {} bad line(s)", .0.len())]
    ZoneFile(Vec<konbit_core::dns::zonefile::ZoneFileError>),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) | Self::ZoneFile(_) => ErrorCode::InvalidInput,
            Self::Denied(d) => d.code(),
            Self::InvalidCredentials => ErrorCode::InvalidCredentials,
            Self::NotFound => ErrorCode::NotFound,
            Self::Duplicate { .. } => ErrorCode::Duplicate,
            Self::Conflict { code, .. } => *code,
            Self::Quota(_) => ErrorCode::QuotaExceeded,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::InvalidCode(_) => ErrorCode::InvalidCode,
            Self::InvalidLink => ErrorCode::InvalidLink,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    pub fn invalid(e: FieldError) -> Self {
        Self::Invalid(vec![e])
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::Conflict {
            code: ErrorCode::Conflict,
            detail: detail.into(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict { constraint } => Self::Conflict {
                code: ErrorCode::Conflict,
                detail: constraint,
            },
            other => Self::Internal(other.to_string()),
        }
    }
}
