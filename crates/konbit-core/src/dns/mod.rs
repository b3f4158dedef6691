//! DNS records as Konbit keeps them: what a person types (`RecordInput`),
//! the validated form (`Record`), the rules across a zone's record set, and
//! BIND zone files in both directions.
//!
//! Everything here is pure. A `Record` has passed every rule, so whatever a
//! front end or the PowerDNS provisioner writes out from it (a value to show,
//! PowerDNS `content`, a zone-file line) is safe to write: no control
//! characters, no unescaped quotes, names in lowercase ASCII.
//!
//! Conventions:
//! - An owner name is kept relative to its zone (`""` for the apex).
//! - A target (CNAME, NS, MX, SRV) is kept absolute, without the trailing dot.
//! - A record's "value" is what a person reads and types back; it always
//!   round-trips through [`parse_record`].

mod name;
mod record;
pub mod rules;
mod text;
pub mod zonefile;

pub mod dnssec;

pub use name::{OwnerName, Target};
pub use record::{
    Record, RecordData, RecordInput, RecordType, TTL_DEFAULT, TTL_MAX, TTL_MIN, parse_record,
};
pub use rules::check_zone_rules;
pub use text::TXT_MAX;
pub use zonefile::{ParsedZone, ZoneFileError, export_zone_file, parse_zone_file};
