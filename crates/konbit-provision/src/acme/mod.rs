//! HTTPS certificates by ACME (http-01).
//!
//! [`AcmeClient`] keeps one ACME account (its key in a 0600 JSON file) and
//! issues certificates: for each name it writes the http-01 key
//! authorization into a challenge directory that the web server serves at
//! `/.well-known/acme-challenge/`, lets the CA check it, and returns the
//! chain and a fresh ECDSA P-256 key. [`cert`] reads the validity of what
//! came back.

pub mod cert;
mod client;
mod provisioner;

pub use client::{AcmeClient, AcmeError, AcmeSettings, IssuedCertificate};
pub use provisioner::{CertificateProvisioner, KIND, Retry};
