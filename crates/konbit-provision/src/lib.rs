//! Provisioning: the reconciler that makes the daemons serve what the state
//! store says. A change commits its object and a queue row together (the
//! transactional outbox); the [`Worker`] then applies the latest generation
//! of each queued object, one at a time, through the [`Provisioner`] of its
//! kind, and records the outcome on the object.

pub mod acme;
pub mod command;
pub mod database;
pub mod dns;
mod files;
pub mod lists;
pub mod mail;
mod provisioner;
mod registry;
pub mod sftp;
pub mod web;
mod worker;

pub use files::daemon_pid;
pub use provisioner::{Applied, ProvisionError, Provisioner};
pub use registry::Registry;
pub use worker::{Clock, DryRun, DryRunRow, PassReport, RESYNC_EVERY_SECS, Worker, WorkerConfig};

#[cfg(test)]
mod tests;
