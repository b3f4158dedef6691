//! Members' databases on MariaDB and PostgreSQL.

pub mod mariadb;
pub mod postgres;
mod provisioner;
mod server;
#[cfg(test)]
mod statement_tests;

pub use provisioner::{DatabaseProvisioner, KIND};
pub use server::{DbError, DbServer, DesiredDatabase, DesiredUser};
