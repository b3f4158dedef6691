//! Translations with Fluent. French is the default; English on request. The
//! message files are compiled in, and a test checks both languages define
//! the same ids.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use konbit_core::model::Locale;
use std::sync::OnceLock;

// One file per area; they form one catalog per language.
const FR: &str = concat!(
    include_str!("../locales/fr/main.ftl"),
    "\n",
    include_str!("../locales/fr/domains.ftl"),
    "\n",
    include_str!("../locales/fr/mail.ftl"),
    "\n",
    include_str!("../locales/fr/sites.ftl"),
    "\n",
    include_str!("../locales/fr/hosting.ftl"),
    "\n",
    include_str!("../locales/fr/lists.ftl"),
    "\n",
    include_str!("../locales/fr/lists_public.ftl"),
    "\n",
    include_str!("../locales/fr/governance_errors.ftl"),
    "\n",
    include_str!("../locales/fr/governance.ftl"),
);
const EN: &str = concat!(
    include_str!("../locales/en/main.ftl"),
    "\n",
    include_str!("../locales/en/domains.ftl"),
    "\n",
    include_str!("../locales/en/mail.ftl"),
    "\n",
    include_str!("../locales/en/sites.ftl"),
    "\n",
    include_str!("../locales/en/hosting.ftl"),
    "\n",
    include_str!("../locales/en/lists.ftl"),
    "\n",
    include_str!("../locales/en/lists_public.ftl"),
    "\n",
    include_str!("../locales/en/governance_errors.ftl"),
    "\n",
    include_str!("../locales/en/governance.ftl"),
);

pub struct Catalog {
    fr: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

fn bundle(lang: &str, src: &'static str) -> FluentBundle<FluentResource> {
    let id: unic_langid::LanguageIdentifier = lang.parse().unwrap_or_default();
    let mut b = FluentBundle::new_concurrent(vec![id]);
    // Isolation marks would end up inside HTML attributes and e-mails.
    b.set_use_isolating(false);
    let res = FluentResource::try_new(src.to_owned()).unwrap_or_else(|(res, errors)| {
        tracing::error!(?errors, lang, "errors in message file");
        res
    });
    if let Err(errors) = b.add_resource(res) {
        tracing::error!(?errors, lang, "duplicate message ids");
    }
    b
}

pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog {
        fr: bundle("fr", FR),
        en: bundle("en", EN),
    })
}

/// The translation handle a page or an error response uses.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub locale: Locale,
}

impl Tr {
    pub fn new(locale: Locale) -> Self {
        Self { locale }
    }

    fn bundle(&self) -> &'static FluentBundle<FluentResource> {
        match self.locale {
            Locale::Fr => &catalog().fr,
            Locale::En => &catalog().en,
        }
    }

    pub fn lang(&self) -> &'static str {
        self.locale.as_str()
    }

    /// The message `id`, or the id itself when it is missing (a test makes
    /// sure none is).
    pub fn t(&self, id: &str) -> String {
        self.format(id, None)
    }

    pub fn t1(&self, id: &str, name: &str, value: impl Into<FluentArg>) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_owned(), value.into().0);
        self.format(id, Some(&args))
    }

    pub fn t2(
        &self,
        id: &str,
        a: (&str, impl Into<FluentArg>),
        b: (&str, impl Into<FluentArg>),
    ) -> String {
        let mut args = FluentArgs::new();
        args.set(a.0.to_owned(), a.1.into().0);
        args.set(b.0.to_owned(), b.1.into().0);
        self.format(id, Some(&args))
    }

    pub fn has(&self, id: &str) -> bool {
        self.bundle().has_message(id)
    }

    pub(crate) fn format(&self, id: &str, args: Option<&FluentArgs>) -> String {
        let bundle = self.bundle();
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            return id.to_owned();
        };
        let mut errors = Vec::new();
        let out = bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::warn!(id, ?errors, "message formatting");
        }
        out.into_owned()
    }

    /// A number written the local way (`12 345` in French).
    pub fn number(&self, n: u64) -> String {
        let digits = n.to_string();
        let sep = match self.locale {
            Locale::Fr => '\u{202f}',
            Locale::En => ',',
        };
        let mut out = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(c);
        }
        out
    }

    /// A unix time as a date and time in UTC, in the local order.
    pub fn datetime(&self, ts: i64) -> String {
        let Ok(t) = time::OffsetDateTime::from_unix_timestamp(ts) else {
            return ts.to_string();
        };
        let fmt = match self.locale {
            Locale::Fr => {
                time::macros::format_description!("[day]/[month]/[year] [hour]:[minute] UTC")
            }
            Locale::En => {
                time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC")
            }
        };
        t.format(&fmt).unwrap_or_else(|_| ts.to_string())
    }
}

/// A value for a message argument.
pub struct FluentArg(FluentValue<'static>);

impl From<&str> for FluentArg {
    fn from(s: &str) -> Self {
        Self(FluentValue::from(s.to_owned()))
    }
}
impl From<String> for FluentArg {
    fn from(s: String) -> Self {
        Self(FluentValue::from(s))
    }
}
impl From<&String> for FluentArg {
    fn from(s: &String) -> Self {
        Self(FluentValue::from(s.clone()))
    }
}
impl From<&i64> for FluentArg {
    fn from(n: &i64) -> Self {
        Self(FluentValue::from(*n))
    }
}
impl From<u64> for FluentArg {
    fn from(n: u64) -> Self {
        Self(FluentValue::from(n))
    }
}
impl From<i64> for FluentArg {
    fn from(n: i64) -> Self {
        Self(FluentValue::from(n))
    }
}
impl From<usize> for FluentArg {
    fn from(n: usize) -> Self {
        Self(FluentValue::from(n))
    }
}

/// Picks the language: the person's preference, then the `konbit_lang`
/// cookie, then the browser's `Accept-Language`, then French.
pub fn negotiate(
    preference: Option<Locale>,
    cookie: Option<&str>,
    accept_language: Option<&str>,
) -> Locale {
    if let Some(l) = preference {
        return l;
    }
    if let Some(l) = cookie.and_then(Locale::parse) {
        return l;
    }
    if let Some(header) = accept_language {
        let mut best: Option<(f32, Locale)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            if let Some(l) = Locale::parse(primary)
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, l));
            }
        }
        if let Some((_, l)) = best {
            return l;
        }
    }
    Locale::Fr
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(src: &str) -> std::collections::BTreeSet<String> {
        src.lines()
            .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim().to_owned()))
            .collect()
    }

    #[test]
    fn no_message_is_defined_twice() {
        for (lang, src) in [("fr", FR), ("en", EN)] {
            let mut seen = std::collections::BTreeSet::new();
            for line in src
                .lines()
                .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
            {
                if let Some((id, _)) = line.split_once(" =") {
                    assert!(
                        seen.insert(id.trim().to_owned()),
                        "{lang}: `{}` is defined twice",
                        id.trim()
                    );
                }
            }
        }
    }

    #[test]
    fn french_and_english_define_the_same_messages() {
        let (fr, en) = (ids(FR), ids(EN));
        assert!(fr.len() > 50);
        let only_fr: Vec<_> = fr.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&fr).collect();
        assert!(
            only_fr.is_empty() && only_en.is_empty(),
            "fr only: {only_fr:?}, en only: {only_en:?}"
        );
    }

    #[test]
    fn every_error_code_and_rule_has_a_message() {
        use konbit_core::ErrorCode as E;
        let codes = [
            E::InvalidInput,
            E::Unauthenticated,
            E::InvalidCredentials,
            E::Forbidden,
            E::InsufficientScope,
            E::NotFound,
            E::MethodNotAllowed,
            E::Conflict,
            E::Duplicate,
            E::AccountLocked,
            E::QuotaExceeded,
            E::LastOwner,
            E::ProfileInUse,
            E::CsrfRejected,
            E::PayloadTooLarge,
            E::MalformedBody,
            E::UnsupportedMediaType,
            E::Internal,
        ];
        for locale in Locale::ALL {
            let tr = Tr::new(locale);
            for c in codes {
                assert!(
                    tr.has(&c.message_id()),
                    "{} lacks {}",
                    locale.as_str(),
                    c.message_id()
                );
            }
        }
    }

    #[test]
    fn negotiation_order() {
        assert_eq!(
            negotiate(Some(Locale::En), Some("fr"), Some("fr")),
            Locale::En
        );
        assert_eq!(negotiate(None, Some("en"), Some("fr")), Locale::En);
        assert_eq!(
            negotiate(None, None, Some("de-DE, en-US;q=0.8, fr;q=0.5")),
            Locale::En
        );
        assert_eq!(negotiate(None, None, Some("en;q=0.4, fr-CA")), Locale::Fr);
        assert_eq!(negotiate(None, None, Some("de")), Locale::Fr);
        assert_eq!(negotiate(None, None, None), Locale::Fr);
    }

    proptest::proptest! {
        #[test]
        fn any_accept_language_gives_a_language(h in "\\PC{0,60}") {
            // Never panics, always one of ours.
            let l = negotiate(None, None, Some(&h));
            proptest::prop_assert!(Locale::ALL.contains(&l));
        }

        #[test]
        fn numbers_keep_their_digits(n in proptest::prelude::any::<u64>()) {
            for locale in Locale::ALL {
                let s = Tr::new(locale).number(n);
                let digits: String = s.chars().filter(char::is_ascii_digit).collect();
                proptest::prop_assert_eq!(digits, n.to_string());
            }
        }
    }

    #[test]
    fn numbers_and_plurals() {
        assert_eq!(Tr::new(Locale::En).number(12345), "12,345");
        assert_eq!(
            Tr::new(Locale::Fr).number(1234567),
            "1\u{202f}234\u{202f}567"
        );
        assert_eq!(Tr::new(Locale::Fr).number(12), "12");
    }
}
