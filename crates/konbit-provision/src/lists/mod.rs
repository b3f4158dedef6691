//! Mailing lists on Mailman 3 core.

pub mod mailman;
pub mod provisioner;

pub use provisioner::{KIND, ListProvisioner};
