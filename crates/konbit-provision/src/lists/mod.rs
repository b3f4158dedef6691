//! Mailing lists on Mailman 3 core.

pub mod mailman;
