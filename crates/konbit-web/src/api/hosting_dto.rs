//! The API's JSON shapes for SFTP accounts and databases. No shape here
//! carries a password hash or verifier; a password appears once, in the
//! answer that made it, when Konbit generated it.

use super::ApiCtx;
use super::dto::ReconcileStatus;
use crate::error::{ApiError, field_message, problem_body};
use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use konbit_app::AppError;
use konbit_app::database::{Connection, DatabaseInput, DatabaseUserInput, DatabaseView};
use konbit_app::sftp::{SftpInput, SftpUpdate, SftpView};
use konbit_core::model::ProvisionState;
use konbit_core::{ErrorCode, FieldError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Whose words a 422's messages use for its fields. The services name
/// fields generically (`login`, `name`, `keys`), which no label of their
/// own translates; the panel's forms word them with these same labels.
#[derive(Debug, Clone, Copy)]
pub(super) enum Labels {
    /// As any API error.
    Plain,
    Sftp,
    Database,
    /// An extra user of a database: its `name` is a user's.
    DatabaseUser,
}

impl Labels {
    fn of(self, field: &'static str) -> &'static str {
        match (self, field) {
            (Self::Sftp, "login") => "sftp_login",
            (Self::Sftp, "dir") => "sftp_dir",
            (Self::Sftp, "keys") => "ssh_keys",
            (Self::Sftp, "password") => "sftp_password",
            (Self::Database, "name") => "db_name",
            (Self::DatabaseUser, "name") => "db_user",
            (Self::Database | Self::DatabaseUser, "engine") => "db_engine",
            (Self::Database | Self::DatabaseUser, "right") => "db_right",
            (_, other) => other,
        }
    }
}

/// A failed SFTP or database request. As any API error, except that a
/// 422's messages use [`Labels`]; `errors[].field` stays the service's
/// name, as the CLI shows it.
pub struct HostingProblem {
    error: ApiError,
    labels: Labels,
}

impl HostingProblem {
    pub(super) fn of(ctx: &ApiCtx, labels: Labels, e: AppError) -> Self {
        Self {
            error: ctx.error(e),
            labels,
        }
    }
}

impl From<ApiError> for HostingProblem {
    fn from(error: ApiError) -> Self {
        Self {
            error,
            labels: Labels::Plain,
        }
    }
}

impl IntoResponse for HostingProblem {
    fn into_response(self) -> Response {
        let Self { error: e, labels } = self;
        if e.code != ErrorCode::InvalidInput || e.fields.is_empty() {
            return e.into_response();
        }
        let mut body = problem_body(&e.tr, e.code, e.detail, &e.fields);
        if let Some(errors) = body.get_mut("errors").and_then(|v| v.as_array_mut()) {
            for (error, f) in errors.iter_mut().zip(&e.fields) {
                let labelled = FieldError::new(labels.of(f.field), f.rule.clone());
                error["message"] = serde_json::Value::String(field_message(&e.tr, &labelled));
            }
        }
        let status =
            StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
        (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            Json(body),
        )
            .into_response()
    }
}

pub(super) fn status(p: ProvisionState) -> ReconcileStatus {
    ReconcileStatus {
        state: p.status.as_str().into(),
        generation: p.generation,
        applied_generation: p.applied_generation,
        last_error: p.last_error,
    }
}

/// An SSH public key of an SFTP account.
#[derive(Serialize, ToSchema)]
pub struct SshKeyDto {
    #[schema(example = "ssh-ed25519")]
    pub key_type: String,
    /// As `ssh-keygen -l` shows it.
    #[schema(example = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU")]
    pub fingerprint: String,
    pub comment: String,
    /// The OpenSSH line.
    pub public_key: String,
}

/// An SFTP login, chrooted to a directory of its account's home.
#[derive(Serialize, ToSchema)]
pub struct SftpAccountDto {
    pub id: i64,
    pub account_id: i64,
    #[schema(example = "radio")]
    pub account: String,
    /// `<account>_<suffix>`, or the account's name alone.
    #[schema(example = "radio_web")]
    pub login: String,
    /// Relative to the account's home; null: the whole home.
    #[schema(example = "www")]
    pub dir: Option<String>,
    pub has_password: bool,
    pub keys: Vec<SshKeyDto>,
    /// A disabled login is refused; its files stay.
    pub enabled: bool,
    /// Where to connect.
    pub host: String,
    pub port: u16,
    /// Only in the answer that generated it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// `pending` until the SFTP server has this version, then `applied`.
    pub status: ReconcileStatus,
}

impl From<SftpView> for SftpAccountDto {
    fn from(v: SftpView) -> Self {
        let s = v.sftp;
        Self {
            id: s.id.0,
            account_id: s.account_id.0,
            account: v.account_name,
            login: s.login.to_string(),
            dir: s.dir.map(|d| d.to_string()),
            has_password: s.has_password,
            keys: s
                .keys
                .iter()
                .map(|k| SshKeyDto {
                    key_type: k.key_type.clone(),
                    fingerprint: k.fingerprint(),
                    comment: k.comment.clone(),
                    public_key: k.to_openssh(),
                })
                .collect(),
            enabled: s.enabled,
            host: v.host,
            port: v.port,
            password: v.password,
            created_at: s.created_at,
            updated_at: s.updated_at,
            status: status(s.provision),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSftpBody {
    /// The account's name.
    #[schema(example = "radio")]
    pub account: String,
    /// After `<account>_`: 1 to 16 lowercase letters, digits, `_`, `-`.
    /// Left out: the login is the account's name.
    #[serde(default)]
    #[schema(example = "web")]
    pub suffix: String,
    /// Inside the account's home; left out: the whole home.
    #[serde(default)]
    pub dir: String,
    /// 12 to 128 printable ASCII characters without quotes, backslash,
    /// backtick or space.
    #[serde(default)]
    pub password: String,
    /// Konbit makes the password and returns it once.
    #[serde(default)]
    pub generate_password: bool,
    /// OpenSSH public keys, one per line.
    #[serde(default)]
    pub keys: Vec<String>,
}

impl CreateSftpBody {
    pub fn into_input(self) -> SftpInput {
        SftpInput {
            account: self.account,
            suffix: self.suffix,
            dir: self.dir,
            password: self.password,
            generate_password: self.generate_password,
            keys: self.keys.join("\n"),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSftpBody {
    /// Empty: the whole home.
    pub dir: Option<String>,
    /// Replaces the keys.
    pub keys: Option<Vec<String>>,
    /// A new password; `""` removes it (keys only).
    pub password: Option<String>,
    #[serde(default)]
    pub generate_password: bool,
}

impl UpdateSftpBody {
    pub fn into_update(self) -> SftpUpdate {
        SftpUpdate {
            dir: self.dir,
            keys: self.keys.map(|k| k.join("\n")),
            password: self.password,
            generate_password: self.generate_password,
        }
    }
}

/// A user of a database.
#[derive(Serialize, ToSchema)]
pub struct DatabaseUserDto {
    pub id: i64,
    #[schema(example = "radio_wp")]
    pub name: String,
    /// `owner`, `read_write` or `read_only`.
    pub right: String,
}

/// How a program connects; the URL holds no password.
#[derive(Serialize, ToSchema)]
pub struct ConnectionDto {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    #[schema(example = "mysql://radio_wp@localhost:3306/radio_wp")]
    pub url: String,
}

impl From<Connection> for ConnectionDto {
    fn from(c: Connection) -> Self {
        Self {
            host: c.host,
            port: c.port,
            database: c.database,
            user: c.user,
            url: c.url,
        }
    }
}

/// A member database.
#[derive(Serialize, ToSchema)]
pub struct DatabaseDto {
    pub id: i64,
    pub account_id: i64,
    pub account: String,
    /// `mariadb` or `postgresql`.
    pub engine: String,
    #[schema(example = "radio_wp")]
    pub name: String,
    pub users: Vec<DatabaseUserDto>,
    /// Null while the server does not offer this engine any more.
    pub connection: Option<ConnectionDto>,
    /// Bytes, as last measured (null: not yet).
    pub size_bytes: Option<i64>,
    pub size_measured_at: Option<i64>,
    /// The operator's limit per database (0: none).
    pub max_size_bytes: u64,
    pub over_size: bool,
    /// Over the limit, its users may only read until it shrinks.
    pub read_only: bool,
    /// Unix seconds; set while the database is deleted and restorable.
    pub deleted_at: Option<i64>,
    pub purge_after: Option<i64>,
    /// A deleted database's final dump can be downloaded.
    pub dump_available: bool,
    /// Only in the answer that generated it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub status: ReconcileStatus,
}

impl From<DatabaseView> for DatabaseDto {
    fn from(v: DatabaseView) -> Self {
        let d = v.database;
        Self {
            id: d.id.0,
            account_id: d.account_id.0,
            account: v.account_name,
            engine: d.engine.as_str().into(),
            name: d.name.to_string(),
            users: v
                .users
                .into_iter()
                .map(|u| DatabaseUserDto {
                    id: u.id.0,
                    name: u.name.to_string(),
                    right: u.right.as_str().into(),
                })
                .collect(),
            connection: v.connection.map(Into::into),
            size_bytes: d.size_bytes,
            size_measured_at: d.size_measured_at,
            max_size_bytes: v.max_size_bytes,
            over_size: v.over_size,
            read_only: d.read_only,
            deleted_at: d.deleted_at,
            purge_after: d.purge_after,
            dump_available: v.dump_available,
            password: v.password,
            created_at: d.created_at,
            updated_at: d.updated_at,
            status: status(d.provision),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDatabaseBody {
    #[schema(example = "radio")]
    pub account: String,
    /// `mariadb` or `postgresql`, among those the server offers.
    #[schema(example = "mariadb")]
    pub engine: String,
    /// After `<account>_`: lowercase letters, digits and `_`.
    #[schema(example = "wp")]
    pub suffix: String,
    /// Left out: Konbit makes one and returns it once.
    #[serde(default)]
    pub password: String,
}

impl CreateDatabaseBody {
    pub fn into_input(self) -> DatabaseInput {
        DatabaseInput {
            account: self.account,
            engine: self.engine,
            suffix: self.suffix,
            password: self.password,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDatabaseUserBody {
    /// After `<account>_`.
    pub suffix: String,
    /// `read_write` or `read_only`.
    pub right: String,
    #[serde(default)]
    pub password: String,
}

impl CreateDatabaseUserBody {
    pub fn into_input(self) -> DatabaseUserInput {
        DatabaseUserInput {
            suffix: self.suffix,
            right: self.right,
            password: self.password,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    /// Left out or empty: Konbit makes one and returns it once.
    #[serde(default)]
    pub password: String,
}
