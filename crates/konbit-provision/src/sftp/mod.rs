pub mod files;
pub mod provisioner;
pub mod server;
