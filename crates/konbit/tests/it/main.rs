//! Integration tests: the real server on a loopback port, driven with an
//! HTTP client, the CLI binary and a headless browser. One binary for the
//! whole crate, since each test binary costs a link.

mod api;
mod browser;
mod cli;
mod matrix;
mod signin;
