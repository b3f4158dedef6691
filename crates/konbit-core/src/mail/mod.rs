//! Hosted mail as Konbit models it, before any daemon sees it: addresses of
//! hosted domains, aliases and catch-alls, forward destinations, the rules
//! across an account's aliases, the rows of Postfix's `virtual_alias_maps`,
//! and automatic replies rendered as Dovecot Sieve scripts.
//!
//! Everything here is pure. A value built by a `parse` function has passed
//! its rules, so what is written out from it (a Postfix table row, a Sieve
//! script, a mail directory name) holds no control characters, quotes, `%`
//! or path separators coming from a person.
//!
//! Model decisions:
//! - A catch-all is [`AliasSource::CatchAll`], never a special address.
//! - An alias never has a mailbox's address; forwarding a mailbox's mail
//!   elsewhere will be an option of the mailbox, which keeps its identity row
//!   in [`postfix_alias_map`].
//! - A destination is [`Destination::Local`] when its domain is hosted here,
//!   so that loops between aliases can be found, and `External` otherwise.

mod address;
mod alias;
mod autoreply;
mod dns;

pub use address::{AliasSource, Destination, LocalPart, MailAddress};
pub use alias::{Alias, MAX_DESTINATIONS, check_alias_rules, postfix_alias_map};
pub use autoreply::{Autoreply, Date, parse_autoreply, vacation_sieve};
pub use dns::{DkimPublicKey, MailDnsSettings, mail_records, new_selector};
