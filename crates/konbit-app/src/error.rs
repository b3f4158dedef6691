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
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) => ErrorCode::InvalidInput,
            Self::Denied(d) => d.code(),
            Self::InvalidCredentials => ErrorCode::InvalidCredentials,
            Self::NotFound => ErrorCode::NotFound,
            Self::Duplicate { .. } => ErrorCode::Duplicate,
            Self::Conflict { code, .. } => *code,
            Self::Quota(_) => ErrorCode::QuotaExceeded,
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
