//! Members' databases on MariaDB and PostgreSQL.

pub mod mariadb;
pub mod postgres;
mod provisioner;
mod server;

pub use provisioner::{DatabaseProvisioner, KIND};
pub use server::{DbError, DbServer, DesiredDatabase, DesiredUser};
