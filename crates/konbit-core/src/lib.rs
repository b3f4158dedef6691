//! Konbit's pure domain core: validated names, the model, quota arithmetic,
//! authorization rules and stable error codes. Nothing here does I/O, so every
//! rule can be tested in isolation and reused by the store, the services and
//! every front end.

pub mod audit;
pub mod authz;
pub mod crypt;
pub mod database;
pub mod db_verifier;
pub mod dns;
pub mod error;
pub mod governance;
pub mod list;
pub mod mail;
pub mod model;
pub mod names;
pub mod page;
pub mod quota;
pub mod sftp;
pub mod two_factor;
pub mod web;
pub mod zone_template;

pub use error::{Denied, ErrorCode, FieldError, Rule};
