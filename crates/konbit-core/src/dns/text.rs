//! TXT text: reading what a person typed, splitting it into DNS
//! character-strings, and the escaped forms written for PowerDNS and zone
//! files.

use super::name::has_forbidden;
use crate::error::Rule;

/// The longest character-string (RFC 1035 §3.3: a length octet, then data).
pub(crate) const CHUNK: usize = 255;

/// The most text one TXT record may hold, in bytes (all its strings
/// together). DNS allows up to 65,535 bytes of RDATA, but a record that big
/// does not fit a UDP answer and many resolvers give up on it over TCP too.
/// 4000 bytes hold a 4096-bit DKIM key (about 750 bytes) several times over,
/// and any SPF or verification token, while an answer with the record stays
/// under the 4096-byte EDNS buffer that most resolvers offer.
pub const TXT_MAX: usize = 4000;

/// Longer input is refused before it is parsed. Quoting can make the typed
/// form of `TXT_MAX` bytes up to four times longer (`\DDD` escapes).
const TXT_INPUT_MAX: usize = 8 * TXT_MAX;

/// Cuts `text` into character-strings of at most 255 bytes, never inside a
/// UTF-8 sequence.
pub(crate) fn split_chunks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        if current.len() + c.len_utf8() > CHUNK {
            out.push(std::mem::take(&mut current));
        }
        current.push(c);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Reads the text of a TXT record as typed.
///
/// - If the value (spaces around it aside) starts with a double quote, it
///   must be one or more quoted strings separated by spaces, as in a zone
///   file: `"v=DKIM1; k=rsa; " "p=MIIB…"`. Inside the quotes, `\"` is a quote,
///   `\\` a backslash, `\DDD` the byte with that decimal value and `\X` the
///   character X. Each quoted string is one character-string; one longer
///   than 255 bytes is cut (providers often hand out DKIM keys that way).
/// - Otherwise the text is taken literally, as it is — quotes, semicolons and
///   backslashes included — and cut into character-strings of 255 bytes.
///
/// Either way the text may not be empty, hold control characters (even
/// written as escapes) or exceed `TXT_MAX` bytes.
pub(crate) fn parse_txt(raw: &str) -> Result<Vec<String>, Rule> {
    if raw.len() > TXT_INPUT_MAX {
        return Err(Rule::TooLong { max: TXT_MAX });
    }
    if has_forbidden(raw) {
        return Err(Rule::ControlCharacter);
    }
    let t = raw.trim_matches(' ');
    let chunks = if t.starts_with('"') {
        let strings = parse_quoted(t).ok_or(Rule::TxtFormat)?;
        let mut chunks = Vec::new();
        for bytes in strings {
            let s = String::from_utf8(bytes).map_err(|_| Rule::TxtFormat)?;
            if has_forbidden(&s) {
                return Err(Rule::ControlCharacter);
            }
            if s.is_empty() {
                chunks.push(s);
            } else {
                chunks.extend(split_chunks(&s));
            }
        }
        chunks
    } else {
        split_chunks(t)
    };
    let total: usize = chunks.iter().map(String::len).sum();
    if total == 0 {
        return Err(Rule::Required);
    }
    if total > TXT_MAX {
        return Err(Rule::TooLong { max: TXT_MAX });
    }
    Ok(chunks)
}

/// One or more `"…"` separated by spaces, each decoded to bytes; `None` if
/// `s` is anything else.
fn parse_quoted(s: &str) -> Option<Vec<Vec<u8>>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'"' {
            return None;
        }
        i += 1;
        let mut current = Vec::new();
        loop {
            match *b.get(i)? {
                b'"' => {
                    i += 1;
                    break;
                }
                b'\\' => {
                    let next = *b.get(i + 1)?;
                    if next.is_ascii_digit() {
                        let digits = b.get(i + 1..i + 4)?;
                        if !digits.iter().all(u8::is_ascii_digit) {
                            return None;
                        }
                        let value = digits
                            .iter()
                            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
                        current.push(u8::try_from(value).ok()?);
                        i += 4;
                    } else {
                        // `\X`: the character itself (its first byte here;
                        // the rest of a multibyte character follows as is).
                        current.push(next);
                        i += 2;
                    }
                }
                c => {
                    current.push(c);
                    i += 1;
                }
            }
        }
        out.push(current);
        let after_string = i;
        while b.get(i) == Some(&b' ') {
            i += 1;
        }
        if i < b.len() && i == after_string {
            // `"a""b"` or `"a"b`: strings must be separated by a space.
            return None;
        }
    }
    if out.is_empty() { None } else { Some(out) }
}

/// The value a person sees and types back: the plain text when reading it
/// gives these very character-strings again, otherwise the quoted form
/// (only `"` and `\` escaped, so non-ASCII text stays readable).
pub(crate) fn display_value(chunks: &[String]) -> String {
    let plain = chunks.concat();
    if parse_txt(&plain).is_ok_and(|c| c == chunks) {
        return plain;
    }
    let mut out = String::new();
    for (i, chunk) in chunks.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push('"');
        for c in chunk.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    }
    out
}

/// Appends `s` in presentation form, for inside double quotes: `"` and `\`
/// escaped with a backslash, bytes outside printable ASCII (controls,
/// DEL and every byte of non-ASCII UTF-8) as `\DDD` decimal escapes. The
/// result is printable ASCII only.
pub(crate) fn push_escaped(out: &mut String, s: &str) {
    for &b in s.as_bytes() {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                out.push('\\');
                out.push_str(&format!("{b:03}"));
            }
        }
    }
}

/// The character-strings as PowerDNS content and zone files write them:
/// `"a" "b"`, escaped by `push_escaped`.
pub(crate) fn presentation(chunks: &[String]) -> String {
    let mut out = String::new();
    for (i, chunk) in chunks.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push('"');
        push_escaped(&mut out, chunk);
        out.push('"');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn literal_text() {
        assert_eq!(
            parse_txt("v=spf1 mx -all"),
            Ok(strings(&["v=spf1 mx -all"]))
        );
        assert_eq!(parse_txt("  padded  "), Ok(strings(&["padded"])));
        assert_eq!(
            parse_txt(r#"a "quoted" word; and \ backslash"#),
            Ok(strings(&[r#"a "quoted" word; and \ backslash"#]))
        );
        assert_eq!(parse_txt("Café ☕"), Ok(strings(&["Café ☕"])));
        assert_eq!(parse_txt(""), Err(Rule::Required));
        assert_eq!(parse_txt("   "), Err(Rule::Required));
        assert_eq!(parse_txt("a\nb"), Err(Rule::ControlCharacter));
        assert_eq!(parse_txt("a\tb"), Err(Rule::ControlCharacter));
        assert_eq!(parse_txt("a\0b"), Err(Rule::ControlCharacter));
        assert_eq!(parse_txt("a\u{2028}b"), Err(Rule::ControlCharacter));
        assert_eq!(parse_txt("a\u{202e}b"), Err(Rule::ControlCharacter));
    }

    #[test]
    fn quoted_text() {
        assert_eq!(parse_txt(r#""v=spf1 -all""#), Ok(strings(&["v=spf1 -all"])));
        assert_eq!(
            parse_txt(r#" "abc"   "def" "#),
            Ok(strings(&["abc", "def"]))
        );
        assert_eq!(
            parse_txt(r#""a\"b" "c\\d""#),
            Ok(strings(&["a\"b", "c\\d"]))
        );
        assert_eq!(parse_txt(r#""\065\066" "\x""#), Ok(strings(&["AB", "x"])));
        assert_eq!(parse_txt(r#""caf\195\169""#), Ok(strings(&["café"])));
        assert_eq!(parse_txt(r#""" "x""#), Ok(strings(&["", "x"])));
        assert_eq!(parse_txt(r#""a;b""#), Ok(strings(&["a;b"])));
        for bad in [
            r#""abc"#,
            r#""a" b"#,
            r#""a""b""#,
            r#""a"b"#,
            r#""\25""#,
            r#""\256""#,
            r#""\"#,
            r#""\195""#,
        ] {
            assert_eq!(parse_txt(bad), Err(Rule::TxtFormat), "{bad}");
        }
        assert_eq!(parse_txt(r#""a\010b""#), Err(Rule::ControlCharacter));
        assert_eq!(parse_txt(r#""""#), Err(Rule::Required));
    }

    #[test]
    fn long_text_is_cut_at_255_bytes() {
        let text = "x".repeat(600);
        let chunks = parse_txt(&text).unwrap();
        assert_eq!(
            chunks.iter().map(String::len).collect::<Vec<_>>(),
            [255, 255, 90]
        );
        assert_eq!(chunks.concat(), text);
        // A long quoted string is cut too.
        let chunks = parse_txt(&format!("\"{text}\"")).unwrap();
        assert_eq!(chunks.len(), 3);
        // Two-byte characters: 127 fit (254 bytes), the 128th starts a new
        // string rather than being split.
        let text = "é".repeat(200);
        let chunks = parse_txt(&text).unwrap();
        assert_eq!(chunks[0].len(), 254);
        assert_eq!(chunks[1].len(), 146);
        assert_eq!(chunks.concat(), text);
        // Four-byte characters after one ASCII byte: 63 fit (253 bytes).
        let text = format!("a{}", "😀".repeat(100));
        let chunks = parse_txt(&text).unwrap();
        assert_eq!(chunks[0].len(), 253);
        assert!(chunks.iter().all(|c| c.len() <= CHUNK));
        assert_eq!(chunks.concat(), text);
    }

    #[test]
    fn txt_size_limit() {
        assert!(parse_txt(&"x".repeat(TXT_MAX)).is_ok());
        assert_eq!(
            parse_txt(&"x".repeat(TXT_MAX + 1)),
            Err(Rule::TooLong { max: TXT_MAX })
        );
        assert_eq!(
            parse_txt(&"x".repeat(TXT_INPUT_MAX + 1)),
            Err(Rule::TooLong { max: TXT_MAX })
        );
    }

    #[test]
    fn display_round_trips() {
        for chunks in [
            strings(&["v=spf1 -all"]),
            strings(&["a", "b"]),
            strings(&["\"quoted\""]),
            strings(&[" lead"]),
            strings(&["", "x"]),
            strings(&["back\\slash \"q\""]),
        ] {
            let v = display_value(&chunks);
            assert_eq!(parse_txt(&v), Ok(chunks.clone()), "{v}");
        }
        assert_eq!(display_value(&strings(&["v=spf1 -all"])), "v=spf1 -all");
        assert_eq!(display_value(&strings(&["a", "b"])), r#""a" "b""#);
        assert_eq!(display_value(&strings(&["\"x\""])), r#""\"x\"""#);
    }

    #[test]
    fn presentation_escapes() {
        let p = presentation(&strings(&["say \"hi\"", "c:\\", "café"]));
        assert_eq!(p, r#""say \"hi\"" "c:\\" "caf\195\169""#);
        assert!(p.bytes().all(|b| (0x20..0x7f).contains(&b)));
        // It reads back as the same strings.
        assert_eq!(parse_txt(&p), Ok(strings(&["say \"hi\"", "c:\\", "café"])));
    }
}
