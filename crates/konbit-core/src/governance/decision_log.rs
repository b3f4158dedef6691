//! The public decision log: append-only and hash-chained like the audit
//! log (same encoding rules, its own domain tag), so anyone who kept a
//! head hash from a member digest can later check that no entry before it
//! was changed, removed or reordered.

use crate::audit::{ChainLink, put, put_int};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const DOMAIN: &[u8] = b"konbit-decisions-v1";

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionEvent {
    /// The vote closed: final text, tally and outcome.
    Decided,
    /// An adopted proposal's platform action was carried out.
    Applied,
    /// An adopted proposal with nothing to carry out took effect.
    Effective,
    /// An applied action was undone.
    RolledBack,
    /// Its author withdrew the proposal before the vote.
    Withdrawn,
    /// A voter appealed during the appeal window: application waits.
    Appealed,
    /// The admins dismissed the appeal: the decision applies.
    AppealDismissed,
    /// The admins upheld the appeal: the decision is set aside.
    AppealUpheld,
}

impl DecisionEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Decided => "decided",
            Self::Applied => "applied",
            Self::Effective => "effective",
            Self::RolledBack => "rolled_back",
            Self::Withdrawn => "withdrawn",
            Self::Appealed => "appealed",
            Self::AppealDismissed => "appeal_dismissed",
            Self::AppealUpheld => "appeal_upheld",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Decided,
            Self::Applied,
            Self::Effective,
            Self::RolledBack,
            Self::Withdrawn,
            Self::Appealed,
            Self::AppealDismissed,
            Self::AppealUpheld,
        ]
        .into_iter()
        .find(|e| e.as_str() == s)
    }
}

/// Every stored field of an entry; the hash covers all but `hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionEntry {
    pub id: i64,
    pub at: i64,
    pub proposal_id: i64,
    pub event: String,
    pub body: String,
    pub title: String,
    pub text: String,
    pub text_hash: String,
    pub method: String,
    /// JSON: the published tally (empty for events after the count).
    pub tally: Option<String>,
    /// `adopted`, `rejected`, `quorum_missed`…
    pub outcome: String,
    /// JSON: the platform action and what it did, when there is one.
    pub detail: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl DecisionEntry {
    pub fn canonical(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(512 + self.text.len());
        put(&mut out, Some(DOMAIN));
        put_int(&mut out, Some(self.id));
        put_int(&mut out, Some(self.at));
        put_int(&mut out, Some(self.proposal_id));
        for field in [
            &self.event,
            &self.body,
            &self.title,
            &self.text,
            &self.text_hash,
            &self.method,
        ] {
            put(&mut out, Some(field.as_bytes()));
        }
        put(&mut out, self.tally.as_deref().map(str::as_bytes));
        put(&mut out, Some(self.outcome.as_bytes()));
        put(&mut out, self.detail.as_deref().map(str::as_bytes));
        put(&mut out, Some(self.prev_hash.as_bytes()));
        out
    }

    pub fn compute_hash(&self) -> String {
        hex::encode(Sha256::digest(self.canonical()))
    }
}

impl ChainLink for DecisionEntry {
    fn id(&self) -> i64 {
        self.id
    }
    fn at(&self) -> i64 {
        self.at
    }
    fn label(&self) -> &str {
        &self.event
    }
    fn prev_hash(&self) -> &str {
        &self.prev_hash
    }
    fn link_hash(&self) -> String {
        self.compute_hash()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{ChainVerifier, GENESIS, Problem};

    fn entry(id: i64, prev_hash: &str) -> DecisionEntry {
        let mut e = DecisionEntry {
            id,
            at: 1_700_000_000 + id,
            proposal_id: 3,
            event: "decided".into(),
            body: "General assembly".into(),
            title: "Raise the standard quota".into(),
            text: "Ten mailboxes instead of five.".into(),
            text_hash: "ab".repeat(32),
            method: "yes_no".into(),
            tally: Some(r#"{"yes":7}"#.into()),
            outcome: "adopted".into(),
            detail: None,
            prev_hash: prev_hash.into(),
            hash: String::new(),
        };
        e.hash = e.compute_hash();
        e
    }

    fn chain(n: i64) -> Vec<DecisionEntry> {
        let mut out: Vec<DecisionEntry> = Vec::new();
        for id in 1..=n {
            let prev = out.last().map_or(GENESIS.to_owned(), |e| e.hash.clone());
            out.push(entry(id, &prev));
        }
        out
    }

    fn walk(entries: &[DecisionEntry]) -> Result<String, Problem> {
        let mut v = ChainVerifier::default();
        for e in entries {
            v.check(e, Some(&e.hash)).map_err(|b| b.problem)?;
        }
        Ok(v.head().to_owned())
    }

    #[test]
    fn an_intact_chain_verifies_to_its_head() {
        let entries = chain(4);
        assert_eq!(walk(&entries), Ok(entries[3].hash.clone()));
    }

    #[test]
    fn an_edited_text_a_removed_entry_or_a_swap_is_caught() {
        let mut edited = chain(3);
        edited[1].text.push_str(" Or not.");
        assert_eq!(walk(&edited), Err(Problem::Modified));
        let mut removed = chain(3);
        removed.remove(1);
        assert_eq!(walk(&removed), Err(Problem::Unlinked));
        let mut swapped = chain(3);
        swapped.swap(0, 1);
        assert_eq!(walk(&swapped), Err(Problem::Unlinked));
    }

    #[test]
    fn a_missing_tally_and_an_empty_one_hash_differently() {
        let mut a = entry(1, GENESIS);
        a.tally = None;
        let mut b = a.clone();
        b.tally = Some(String::new());
        assert_ne!(a.compute_hash(), b.compute_hash());
    }
}
