use konbit_core::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique or foreign-key constraint refused the change.
    #[error("conflict on {constraint}")]
    Conflict { constraint: String },
    #[error("stored row fails validation: {0}")]
    Corrupt(#[from] FieldError),
    /// A stored value that cannot be read back (bad JSON, unknown kind).
    #[error("stored data is unreadable: {0}")]
    Unreadable(String),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Db(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => Self::NotFound,
            sqlx::Error::Database(db)
                if db.is_unique_violation() || db.is_foreign_key_violation() =>
            {
                let msg = db.message().to_owned();
                // SQLite says "UNIQUE constraint failed: users.email".
                let constraint = msg.rsplit(": ").next().unwrap_or(&msg).to_owned();
                Self::Conflict { constraint }
            }
            other => Self::Db(other),
        }
    }
}
