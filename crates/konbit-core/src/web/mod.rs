//! Websites as Konbit models them, before nginx or PHP-FPM sees them: what a
//! site serves (static files, PHP, a redirect, a local application behind a
//! reverse proxy), under which host names, from which directory of the
//! account's home, and with which HTTPS options; and the Unix user each
//! account's files and PHP run as.
//!
//! Everything here is pure. A value built by a `parse` function has passed
//! its rules, so what a provisioner writes from it into an nginx or PHP-FPM
//! file holds no `;`, `{`, `}`, quote, `$`, whitespace, newline or `..`
//! coming from a person.

mod path;
mod site;
mod unix;
mod url;

pub use path::DocRoot;
pub use site::{
    MAX_SITE_ALIASES, ProxyPort, SiteHttps, SiteKind, SiteKindName, check_site_host,
    parse_site_aliases,
};
pub use unix::UnixLogin;
pub use url::RedirectTarget;
