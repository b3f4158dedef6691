//! What a site serves and under which names.

use super::{DocRoot, RedirectTarget};
use crate::error::{FieldError, Rule};
use crate::names::Fqdn;
use serde::Serialize;

/// At most this many extra names (`www.` and others) per site.
pub const MAX_SITE_ALIASES: usize = 20;

/// The four kinds of site, as a person picks them in a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteKindName {
    Static,
    Php,
    Redirect,
    Proxy,
}

impl SiteKindName {
    pub const ALL: [Self; 4] = [Self::Static, Self::Php, Self::Redirect, Self::Proxy];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Static => "static",
            Self::Php => "php",
            Self::Redirect => "redirect",
            Self::Proxy => "proxy",
        }
    }

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw.trim())
            .ok_or_else(|| FieldError::new(field, Rule::UnknownChoice))
    }
}

/// A local TCP port a member's own application listens on (127.0.0.1 only),
/// within the range the operator opens for this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ProxyPort(u16);

impl ProxyPort {
    pub fn parse(field: &'static str, port: i64, min: u16, max: u16) -> Result<Self, FieldError> {
        match u16::try_from(port) {
            Ok(p) if p >= min && p <= max && p > 0 => Ok(Self(p)),
            _ => Err(FieldError::new(
                field,
                Rule::OutOfRange {
                    min: u64::from(min),
                    max: u64::from(max),
                },
            )),
        }
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

/// What a site serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SiteKind {
    /// Files from `root`, inside the account's home.
    Static { root: DocRoot },
    /// Files from `root`, `.php` run by the account's PHP-FPM pool.
    Php { root: DocRoot },
    /// Every request is sent to `target`, with the request's path appended
    /// when `keep_path` is set.
    Redirect {
        target: RedirectTarget,
        permanent: bool,
        keep_path: bool,
    },
    /// Requests are passed to `http://127.0.0.1:<port>`.
    Proxy { port: ProxyPort },
}

impl SiteKind {
    pub fn name(&self) -> SiteKindName {
        match self {
            Self::Static { .. } => SiteKindName::Static,
            Self::Php { .. } => SiteKindName::Php,
            Self::Redirect { .. } => SiteKindName::Redirect,
            Self::Proxy { .. } => SiteKindName::Proxy,
        }
    }

    /// The directory served, for the kinds that serve files.
    pub fn root(&self) -> Option<&DocRoot> {
        match self {
            Self::Static { root } | Self::Php { root } => Some(root),
            _ => None,
        }
    }
}

/// A site's HTTPS options. A certificate is requested when `certificate` is
/// on; the redirect to HTTPS and HSTS take effect only once one is issued,
/// so turning them on never breaks a site that has none yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SiteHttps {
    pub certificate: bool,
    pub force_https: bool,
    pub hsts: bool,
}

impl SiteHttps {
    /// HSTS without the redirect would announce HTTPS to visitors who are
    /// still served over HTTP; it needs both.
    pub fn check(self) -> Result<Self, FieldError> {
        if self.hsts && !(self.force_https && self.certificate) {
            return Err(FieldError::new("hsts", Rule::HstsNeedsHttps));
        }
        if self.force_https && !self.certificate {
            return Err(FieldError::new("force_https", Rule::HttpsNeedsCertificate));
        }
        Ok(self)
    }
}

/// Parses a site's host name and finds the account's domain it belongs to
/// (the longest one that is the name or a parent of it). `domains` are the
/// account's live domains in ASCII. A wildcard is not a site name.
pub fn check_site_host<'a, D>(
    field: &'static str,
    raw: &str,
    domains: &'a [(D, Fqdn)],
) -> Result<(Fqdn, &'a D), FieldError> {
    if raw.contains('*') {
        return Err(FieldError::new(field, Rule::HostnameFormat));
    }
    let host = Fqdn::parse(field, raw, 2)?;
    let owner = domains
        .iter()
        .filter(|(_, d)| {
            host.as_str() == d.as_str()
                || host
                    .as_str()
                    .strip_suffix(d.as_str())
                    .is_some_and(|head| head.ends_with('.'))
        })
        .max_by_key(|(_, d)| d.as_str().len())
        .ok_or_else(|| FieldError::new(field, Rule::HostOutsideAccount))?;
    Ok((host, &owner.0))
}

/// Parses a site's extra names: each one in the account's domains, none of
/// them the site's own name, no duplicates, at most [`MAX_SITE_ALIASES`].
/// Blank entries are ignored, so a form's empty lines do no harm.
pub fn parse_site_aliases<D>(
    field: &'static str,
    raw: &[String],
    host: &Fqdn,
    domains: &[(D, Fqdn)],
) -> Result<Vec<Fqdn>, FieldError> {
    let mut out: Vec<Fqdn> = Vec::new();
    for item in raw.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let (name, _) = check_site_host(field, item, domains)?;
        if &name == host || out.contains(&name) {
            return Err(FieldError::new(field, Rule::DuplicateSiteName));
        }
        out.push(name);
    }
    if out.len() > MAX_SITE_ALIASES {
        return Err(FieldError::new(
            field,
            Rule::TooMany {
                max: MAX_SITE_ALIASES,
            },
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domains() -> Vec<(i64, Fqdn)> {
        vec![
            (1, Fqdn::parse("d", "radio.test", 2).unwrap()),
            (2, Fqdn::parse("d", "blog.radio.test", 2).unwrap()),
        ]
    }

    #[test]
    fn a_host_belongs_to_the_closest_domain() {
        let d = domains();
        assert_eq!(check_site_host("host", "radio.test", &d).unwrap().1, &1);
        assert_eq!(check_site_host("host", "www.radio.test", &d).unwrap().1, &1);
        assert_eq!(
            check_site_host("host", "a.blog.radio.test", &d).unwrap().1,
            &2
        );
        for outside in ["otherradio.test", "radio.test.evil", "evil.test"] {
            assert_eq!(
                check_site_host("host", outside, &d).unwrap_err().rule,
                Rule::HostOutsideAccount,
                "{outside}"
            );
        }
        assert!(check_site_host("host", "*.radio.test", &d).is_err());
        assert!(check_site_host("host", "a;b.radio.test", &d).is_err());
        assert!(check_site_host("host", "a b.radio.test", &d).is_err());
    }

    #[test]
    fn aliases_are_checked_one_by_one() {
        let d = domains();
        let host = Fqdn::parse("h", "radio.test", 2).unwrap();
        let ok = parse_site_aliases("aliases", &["www.radio.test".into(), " ".into()], &host, &d);
        assert_eq!(ok.unwrap().len(), 1);
        let dup = parse_site_aliases("aliases", &["radio.test".into()], &host, &d);
        assert_eq!(dup.unwrap_err().rule, Rule::DuplicateSiteName);
        let many: Vec<String> = (0..=MAX_SITE_ALIASES)
            .map(|i| format!("n{i}.radio.test"))
            .collect();
        assert!(matches!(
            parse_site_aliases("aliases", &many, &host, &d)
                .unwrap_err()
                .rule,
            Rule::TooMany { .. }
        ));
    }

    #[test]
    fn https_options_hang_together() {
        let on = SiteHttps {
            certificate: true,
            force_https: true,
            hsts: true,
        };
        assert!(on.check().is_ok());
        let hsts_alone = SiteHttps {
            certificate: true,
            force_https: false,
            hsts: true,
        };
        assert_eq!(hsts_alone.check().unwrap_err().rule, Rule::HstsNeedsHttps);
        let redirect_no_cert = SiteHttps {
            certificate: false,
            force_https: true,
            hsts: false,
        };
        assert_eq!(
            redirect_no_cert.check().unwrap_err().rule,
            Rule::HttpsNeedsCertificate
        );
    }

    #[test]
    fn proxy_ports_stay_in_the_operators_range() {
        assert_eq!(
            ProxyPort::parse("port", 10080, 10000, 20000).unwrap().get(),
            10080
        );
        for bad in [0, 22, 3306, 9999, 20001, 70000, -1] {
            assert!(
                ProxyPort::parse("port", bad, 10000, 20000).is_err(),
                "{bad}"
            );
        }
    }
}
