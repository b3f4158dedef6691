//! Integration tests: the real server on a loopback port, driven with an
//! HTTP client, the CLI binary and a headless browser. One binary for the
//! whole crate, since each test binary costs a link.

// Tests fail loudly on purpose: an unwrap here is an assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod audit;
mod browser;
mod browser_dns;
mod browser_governance;
mod browser_lists;
mod browser_mail;
mod cli;
mod database_api;
mod database_cli;
mod database_panel;
mod dns;
mod doctor_hosting;
mod domain_api;
mod domain_cli;
mod governance_api;
mod governance_cli;
mod governance_e2e;
mod governance_panel;
mod hosting;
mod impersonation;
mod list_api;
mod list_cli;
mod list_e2e;
mod list_members_api;
mod list_members_cli;
mod list_panel;
mod list_public;
mod list_server;
mod mail;
mod mail_api;
mod mail_cli;
mod mail_panel;
mod mail_setup;
mod matrix;
mod password_reset;
mod rate_limit;
mod reconcile_cli;
mod sessions;
mod sftp_api;
mod sftp_cli;
mod sftp_panel;
mod sftp_setup;
mod signin;
mod site_api;
mod site_cli;
mod site_panel;
mod two_factor;
mod web;
mod web_setup;
