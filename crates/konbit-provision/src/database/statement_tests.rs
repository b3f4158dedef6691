//! Test helpers shared by both engines' statement property tests.

use proptest::test_runner::{Config, TestRng, TestRunner};

/// The quoted parts of a statement, for the engine's two quote characters
/// (a string literal's and an identifier's), or None when a quote is left
/// open. Doubled quotes stay inside; the rest of the statement comes back
/// with each quoted part replaced by `Q`.
pub(crate) fn quoted_parts(sql: &str, quotes: [char; 2]) -> Option<(Vec<String>, String)> {
    let mut parts = Vec::new();
    let mut outside = String::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if quotes.contains(&c) {
            let mut part = String::new();
            loop {
                let d = chars.next()?;
                if d == c {
                    if chars.peek() == Some(&c) {
                        chars.next();
                        part.push(c);
                        continue;
                    }
                    break;
                }
                part.push(d);
            }
            parts.push(part);
            outside.push('Q');
        } else {
            outside.push(c);
        }
    }
    Some((parts, outside))
}

/// A runner on a fixed seed: the count of accepted names must not depend
/// on luck.
pub(crate) fn fixed_seed_runner(cases: u32) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::deterministic_rng(config.rng_algorithm);
    TestRunner::new_with_rng(config, rng)
}
