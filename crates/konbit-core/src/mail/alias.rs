//! The rules across an account's mailboxes and aliases, and the Postfix
//! `virtual_alias_maps` rows they turn into.

use super::address::{AliasSource, Destination, MailAddress};
use crate::error::{FieldError, Rule};
use crate::names::Fqdn;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The most destinations one alias may have.
pub const MAX_DESTINATIONS: usize = 100;

/// One alias: what it receives mail for, and where it sends it.
pub type Alias = (AliasSource, Vec<Destination>);

/// Checks the rules across an account's mailboxes and aliases, as they would
/// be after a change:
///
/// - an alias never has the address of a mailbox (`source`: `AliasIsMailbox`).
///   Forwarding the mail of a mailbox elsewhere is an option of the mailbox,
///   not an alias, so that the mailbox keeps its identity row in Postfix
///   (see [`postfix_alias_map`]) and the choice of keeping a copy stays with it;
/// - the same source appears once (`source`: `DuplicateAlias`);
/// - an alias has 1 to [`MAX_DESTINATIONS`] destinations, each once
///   (`destinations`: `Required`, `TooMany`, `DuplicateDestination`);
/// - an address does not forward to itself (`destinations`: `ForwardToSelf`);
/// - aliases do not forward to each other in a loop (`destinations`:
///   `AliasLoop`), directly (a → b → a) or through any number of steps. A
///   hosted destination leads on to the alias with that address; when there
///   is none and it is not a mailbox, to its domain's catch-all, since that
///   is where Postfix sends it. So a catch-all forwarding to an unknown
///   address of its own domain is a loop too.
///
/// Only this account's aliases are seen: a loop through another account's
/// aliases is stopped by Postfix's own recursion limit.
///
/// Each error comes with the index in `aliases` of the alias it is about.
/// When two aliases clash (duplicate source, loop), the later one is blamed,
/// so an alias just added (or put last by the caller because it was just
/// edited) is the one named. The errors are sorted by index.
pub fn check_alias_rules(
    mailboxes: &[MailAddress],
    aliases: &[Alias],
) -> Result<(), Vec<(usize, FieldError)>> {
    let mut errors = Vec::new();
    let boxes: HashSet<&MailAddress> = mailboxes.iter().collect();
    let mut first: HashMap<&AliasSource, usize> = HashMap::new();
    for (i, (source, dests)) in aliases.iter().enumerate() {
        if let AliasSource::Address(a) = source
            && boxes.contains(a)
        {
            errors.push((i, FieldError::new("source", Rule::AliasIsMailbox)));
        }
        if first.contains_key(source) {
            errors.push((i, FieldError::new("source", Rule::DuplicateAlias)));
        } else {
            first.insert(source, i);
        }
        if dests.is_empty() {
            errors.push((i, FieldError::new("destinations", Rule::Required)));
        }
        if dests.len() > MAX_DESTINATIONS {
            errors.push((
                i,
                FieldError::new(
                    "destinations",
                    Rule::TooMany {
                        max: MAX_DESTINATIONS,
                    },
                ),
            ));
        }
        let mut seen = HashSet::new();
        if !dests.iter().all(|d| seen.insert(d.address())) {
            errors.push((
                i,
                FieldError::new("destinations", Rule::DuplicateDestination),
            ));
        }
        if let AliasSource::Address(a) = source
            && dests.iter().any(|d| d.as_local() == Some(a))
        {
            errors.push((i, FieldError::new("destinations", Rule::ForwardToSelf)));
        }
    }

    let catch_alls: HashMap<&Fqdn, usize> = first
        .iter()
        .filter_map(|(s, &i)| match s {
            AliasSource::CatchAll(d) => Some((d, i)),
            AliasSource::Address(_) => None,
        })
        .collect();
    let next = |d: &MailAddress| -> Option<usize> {
        if boxes.contains(d) {
            return None;
        }
        first
            .get(&AliasSource::Address(d.clone()))
            .or_else(|| catch_alls.get(d.domain()))
            .copied()
    };
    let edges: Vec<Vec<usize>> = aliases
        .iter()
        .map(|(source, dests)| {
            dests
                .iter()
                .filter_map(Destination::as_local)
                // Forwarding to itself is already reported.
                .filter(|d| !matches!(source, AliasSource::Address(s) if s == *d))
                .filter_map(&next)
                .collect()
        })
        .collect();
    for component in cycles(&edges) {
        if let Some(&last) = component.iter().max() {
            errors.push((last, FieldError::new("destinations", Rule::AliasLoop)));
        }
    }
    errors.sort_by_key(|(i, _)| *i);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The strongly connected components of the graph that hold a cycle (more
/// than one node, or one node with an edge to itself), by Tarjan's
/// algorithm, walked with an explicit stack: each node and edge is visited
/// once, whatever the depth of the chains.
fn cycles(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let n = edges.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut counter = 0;
    let mut found = Vec::new();
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        // (node, position of the next edge to follow)
        let mut walk = vec![(root, 0)];
        index[root] = counter;
        low[root] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut pos)) = walk.last_mut() {
            if let Some(&w) = edges[v].get(*pos) {
                *pos += 1;
                if w >= n {
                    continue;
                }
                if index[w] == UNSEEN {
                    index[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    walk.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            walk.pop();
            if let Some(&(parent, _)) = walk.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 || edges[v].contains(&v) {
                    found.push(component);
                }
            }
        }
    }
    found
}

/// The rows a Postfix `virtual_alias_maps` table must hold for these
/// mailboxes and aliases: `(key, destinations joined by commas)`, sorted by
/// key.
///
/// - every mailbox maps to itself;
/// - every alias maps to its destinations; a catch-all's key is `@domain`.
///
/// The identity rows are what keeps a catch-all from swallowing mailboxes.
/// Postfix rewrites every recipient through `virtual_alias_maps` before it
/// looks at the mailboxes, and for `ada@example.org` it tries the key
/// `ada@example.org`, then `@example.org`. Without a row of its own, a
/// mailbox's mail would match the catch-all and go wherever it points. A row
/// mapping an address to itself stops the rewriting there (Postfix does not
/// expand an address that maps to itself again), and the mail reaches the
/// mailbox. Addresses with an extension (`ada+news@…`) also find the
/// mailbox's row first.
///
/// The input is meant to have passed [`check_alias_rules`]; if it has not,
/// the rows still never let an alias take a mailbox's mail: an alias with a
/// mailbox's address, the second alias of a source, and an alias without
/// destinations are left out.
pub fn postfix_alias_map(mailboxes: &[MailAddress], aliases: &[Alias]) -> Vec<(String, String)> {
    let mut rows: BTreeMap<String, String> = BTreeMap::new();
    for m in mailboxes {
        let a = m.to_string();
        rows.insert(a.clone(), a);
    }
    for (source, dests) in aliases {
        if dests.is_empty() {
            continue;
        }
        let joined = dests
            .iter()
            .map(Destination::address)
            .collect::<Vec<_>>()
            .join(",");
        rows.entry(source.postfix_key()).or_insert(joined);
    }
    rows.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> MailAddress {
        MailAddress::parse("address", s).unwrap()
    }

    fn src(s: &str) -> AliasSource {
        AliasSource::parse("source", s).unwrap()
    }

    fn dest(s: &str) -> Destination {
        Destination::parse("destination", s, |d| {
            ["example.org", "example.net", "xn--caf-dma.example"].contains(&d.as_str())
        })
        .unwrap()
    }

    fn alias(source: &str, dests: &[&str]) -> Alias {
        (src(source), dests.iter().map(|d| dest(d)).collect())
    }

    fn rules(mailboxes: &[&str], aliases: &[Alias]) -> Vec<(usize, &'static str, Rule)> {
        let boxes: Vec<MailAddress> = mailboxes.iter().map(|m| addr(m)).collect();
        match check_alias_rules(&boxes, aliases) {
            Ok(()) => Vec::new(),
            Err(e) => e.into_iter().map(|(i, f)| (i, f.field, f.rule)).collect(),
        }
    }

    const BOXES: &[&str] = &["ada@example.org", "bob@example.org"];

    #[test]
    fn valid_aliases_pass() {
        let aliases = [
            alias("info@example.org", &["ada@example.org", "bob@example.org"]),
            alias("contact@example.org", &["info@example.org", "x@gmail.com"]),
            alias("@example.org", &["ada@example.org"]),
            alias("@café.example", &["info@example.org"]),
            alias("hello@café.example", &["bob@example.org"]),
        ];
        assert_eq!(rules(BOXES, &aliases), vec![]);
    }

    #[test]
    fn alias_cannot_be_a_mailbox() {
        let aliases = [alias("ada@example.org", &["bob@example.org"])];
        assert_eq!(
            rules(BOXES, &aliases),
            vec![(0, "source", Rule::AliasIsMailbox)]
        );
    }

    #[test]
    fn duplicate_sources_and_destinations() {
        let aliases = [
            alias("info@example.org", &["ada@example.org"]),
            alias("Info@Example.org", &["bob@example.org", "BOB@example.org"]),
        ];
        assert_eq!(
            rules(BOXES, &aliases),
            vec![
                (1, "source", Rule::DuplicateAlias),
                (1, "destinations", Rule::DuplicateDestination)
            ]
        );
    }

    #[test]
    fn destination_count() {
        let none = [(src("info@example.org"), Vec::new())];
        assert_eq!(
            rules(BOXES, &none),
            vec![(0, "destinations", Rule::Required)]
        );
        let many: Vec<Destination> = (0..=MAX_DESTINATIONS)
            .map(|i| dest(&format!("u{i}@gmail.com")))
            .collect();
        assert_eq!(
            rules(BOXES, &[(src("info@example.org"), many.clone())]),
            vec![(0, "destinations", Rule::TooMany { max: 100 })]
        );
        let enough = many[..MAX_DESTINATIONS].to_vec();
        assert_eq!(rules(BOXES, &[(src("info@example.org"), enough)]), vec![]);
    }

    #[test]
    fn forward_to_self() {
        let aliases = [alias(
            "info@example.org",
            &["ada@example.org", "INFO@example.org"],
        )];
        assert_eq!(
            rules(BOXES, &aliases),
            vec![(0, "destinations", Rule::ForwardToSelf)]
        );
    }

    #[test]
    fn two_cycle() {
        let aliases = [
            alias("a@example.org", &["b@example.org"]),
            alias("b@example.org", &["a@example.org", "ada@example.org"]),
        ];
        assert_eq!(
            rules(BOXES, &aliases),
            vec![(1, "destinations", Rule::AliasLoop)]
        );
    }

    #[test]
    fn three_cycle_across_domains() {
        let aliases = [
            alias("a@example.org", &["b@café.example"]),
            alias("c@example.net", &["a@example.org", "x@gmail.com"]),
            alias("b@café.example", &["c@example.net"]),
            alias("d@example.org", &["a@example.org"]),
        ];
        // d leads into the loop but is not part of it.
        assert_eq!(
            rules(BOXES, &aliases),
            vec![(2, "destinations", Rule::AliasLoop)]
        );
    }

    #[test]
    fn two_separate_loops_are_both_reported() {
        let aliases = [
            alias("a@example.org", &["b@example.org"]),
            alias("c@example.org", &["d@example.org"]),
            alias("b@example.org", &["a@example.org"]),
            alias("d@example.org", &["c@example.org"]),
        ];
        assert_eq!(
            rules(BOXES, &aliases),
            vec![
                (2, "destinations", Rule::AliasLoop),
                (3, "destinations", Rule::AliasLoop)
            ]
        );
    }

    #[test]
    fn loops_through_a_catch_all() {
        // An unknown address of the catch-all's own domain comes back to it.
        let own = [alias("@example.org", &["nobody@example.org"])];
        assert_eq!(
            rules(BOXES, &own),
            vec![(0, "destinations", Rule::AliasLoop)]
        );
        // To a mailbox, or an address of another domain: no loop.
        let fine = [alias(
            "@example.org",
            &["ada@example.org", "nobody@example.net"],
        )];
        assert_eq!(rules(BOXES, &fine), vec![]);
        // Through another domain's catch-all and back.
        let two = [
            alias("@example.org", &["x@example.net"]),
            alias("@example.net", &["y@example.org"]),
        ];
        assert_eq!(
            rules(BOXES, &two),
            vec![(1, "destinations", Rule::AliasLoop)]
        );
        // An explicit alias wins over the catch-all, as in Postfix.
        let explicit = [
            alias("@example.org", &["x@example.org"]),
            alias("x@example.org", &["ada@example.org"]),
        ];
        assert_eq!(rules(BOXES, &explicit), vec![]);
    }

    #[test]
    fn long_chain_is_not_a_loop() {
        let n = 5000;
        let aliases: Vec<Alias> = (0..n)
            .map(|i| {
                let next = if i + 1 == n {
                    "ada@example.org".to_owned()
                } else {
                    format!("a{}@example.org", i + 1)
                };
                alias(&format!("a{i}@example.org"), &[&next])
            })
            .collect();
        assert_eq!(rules(BOXES, &aliases), vec![]);
        // Closing the chain makes one loop, blamed on the last alias.
        let mut closed = aliases;
        closed[n - 1] = alias(&format!("a{}@example.org", n - 1), &["a0@example.org"]);
        assert_eq!(
            rules(BOXES, &closed),
            vec![(n - 1, "destinations", Rule::AliasLoop)]
        );
    }

    #[test]
    fn cycles_finds_self_edges() {
        assert_eq!(cycles(&[vec![0]]), vec![vec![0]]);
        assert!(cycles(&[vec![1], vec![]]).is_empty());
    }

    #[test]
    fn alias_map_rows() {
        let boxes = [addr("ada@example.org"), addr("bob@example.org")];
        let aliases = [
            alias("@example.org", &["ada@example.org"]),
            alias(
                "info@example.org",
                &["ada@example.org", "Someone@Gmail.com"],
            ),
            alias("@café.example", &["bob@example.org"]),
        ];
        let rows = postfix_alias_map(&boxes, &aliases);
        let expected = [
            ("@example.org", "ada@example.org"),
            ("@xn--caf-dma.example", "bob@example.org"),
            ("ada@example.org", "ada@example.org"),
            ("bob@example.org", "bob@example.org"),
            ("info@example.org", "ada@example.org,someone@gmail.com"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(rows, expected);
    }

    #[test]
    fn alias_map_never_lets_an_alias_take_a_mailbox() {
        let boxes = [addr("ada@example.org")];
        let aliases = [
            alias("ada@example.org", &["x@gmail.com"]),
            (src("empty@example.org"), Vec::new()),
            alias("dup@example.org", &["ada@example.org"]),
            alias("dup@example.org", &["y@gmail.com"]),
        ];
        let rows = postfix_alias_map(&boxes, &aliases);
        assert_eq!(
            rows,
            vec![
                ("ada@example.org".to_owned(), "ada@example.org".to_owned()),
                ("dup@example.org".to_owned(), "ada@example.org".to_owned()),
            ]
        );
    }
}
