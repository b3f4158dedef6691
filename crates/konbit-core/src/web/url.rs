//! Where a redirect site sends its visitors.

use crate::error::{FieldError, Rule};
use crate::names::Fqdn;
use serde::Serialize;
use std::fmt;

/// An absolute `http://` or `https://` address: a host name (Unicode is
/// stored as punycode) or an IPv4 address, an optional port, and an optional
/// path and query made only of URL-safe characters (`%XX` escapes allowed).
/// Quotes, `$`, `;`, braces, backslashes, spaces and `#` are refused, so the
/// value is safe inside nginx's `return` directive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct RedirectTarget(String);

impl RedirectTarget {
    pub const MAX: usize = 1000;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(FieldError::new(field, Rule::Required));
        }
        if s.chars().any(char::is_control) {
            return Err(FieldError::new(field, Rule::ControlCharacter));
        }
        if s.len() > Self::MAX {
            return Err(FieldError::new(field, Rule::TooLong { max: Self::MAX }));
        }
        let bad = || FieldError::new(field, Rule::UrlFormat);
        let lower = s.to_ascii_lowercase();
        let (scheme, rest) = if lower.starts_with("https://") {
            ("https", &s[8..])
        } else if lower.starts_with("http://") {
            ("http", &s[7..])
        } else {
            return Err(bad());
        };
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => {
                let port: u16 = p.parse().map_err(|_| bad())?;
                if port == 0 {
                    return Err(bad());
                }
                (h, Some(port))
            }
            None => (authority, None),
        };
        let host = if host.parse::<std::net::Ipv4Addr>().is_ok() {
            host.to_owned()
        } else {
            Fqdn::parse(field, host, 1)
                .map_err(|_| bad())?
                .into_string()
        };
        if !path_is_safe(path) {
            return Err(bad());
        }
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        Ok(Self(format!("{scheme}://{host}{port}{path}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address ends at the host (no path, no query): a redirect that
    /// keeps the visitor's path appends it here.
    pub fn is_bare(&self) -> bool {
        let after_scheme = self.0.split_once("://").map_or("", |(_, r)| r);
        !after_scheme.contains(['/', '?'])
    }
}

/// RFC 3986 path and query characters, minus those nginx or a shell could
/// read (`'`, `;`, `$`) and the fragment; `%` only as a `%XX` escape.
fn path_is_safe(path: &str) -> bool {
    let b = path.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            let hex = |j: usize| b.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
            i += 3;
            continue;
        }
        let ok = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b'?'
                    | b'&'
                    | b'='
                    | b'+'
                    | b':'
                    | b'@'
                    | b'!'
                    | b'*'
                    | b','
                    | b'('
                    | b')'
            );
        if !ok {
            return false;
        }
        i += 1;
    }
    true
}

impl fmt::Display for RedirectTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_good_addresses() {
        let t = RedirectTarget::parse("to", "HTTPS://Radio.Example/blog?x=1&y=%20").unwrap();
        assert_eq!(t.as_str(), "https://radio.example/blog?x=1&y=%20");
        assert!(!t.is_bare());
        let t = RedirectTarget::parse("to", "http://kréyòl.test:8080").unwrap();
        assert_eq!(t.as_str(), "http://xn--kryl-cpa9c.test:8080");
        assert!(t.is_bare());
        assert!(RedirectTarget::parse("to", "http://192.0.2.7/").is_ok());
    }

    #[test]
    fn refuses_what_could_break_out_of_nginx() {
        for bad in [
            "ftp://a.test",
            "javascript:alert(1)",
            "//a.test",
            "https://a.test/\"; return 200 x",
            "https://a.test/$host",
            "https://a.test/a b",
            "https://a.test/a;b",
            "https://a.test/{a}",
            "https://a.test/a'b",
            "https://a.test/a\\b",
            "https://a.test/#frag",
            "https://a.test/%zz",
            "https://a.test:0/",
            "https://a.test:99999/",
            "https://a_b.test/",
            "https://a.test/é",
            "https://",
        ] {
            assert!(RedirectTarget::parse("to", bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            RedirectTarget::parse("to", "https://a.test/\nx")
                .unwrap_err()
                .rule,
            Rule::ControlCharacter
        );
    }
}
