//! Test support for Konbit: start the real server on a free loopback port in
//! a temp dir, sign people in with a real HTTP client, start real daemons
//! (chromedriver today; PowerDNS, Postfix and the rest as they land) with a
//! bounded readiness wait and a kill on drop.

pub mod app;
pub mod browser;
pub mod daemon;
pub mod mail;
pub mod mailman;
pub mod mariadb;
pub mod pdns;
pub mod pebble;
pub mod postgres;
pub mod proftpd;
pub mod web;

pub use app::{PASSWORD, TestApp};
