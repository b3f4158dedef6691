//! The mail provisioner: makes Postfix, Dovecot and OpenDKIM serve each
//! domain's mail as the store describes it.

pub mod schema;
