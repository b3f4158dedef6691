//! Who votes: a member account (one vote per account) or a person (one
//! vote per person, and every board or committee), as the body's rules say.

use crate::model::{AccountId, UserId};
use serde::{Deserialize, Serialize};

/// Stored and published as `account:12` or `person:5`, so a frozen
/// electorate reads the same in the database, the API and the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Voter {
    Account(AccountId),
    Person(UserId),
}

impl Voter {
    pub fn key(self) -> String {
        match self {
            Voter::Account(id) => format!("account:{id}"),
            Voter::Person(id) => format!("person:{id}"),
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        let (kind, id) = key.split_once(':')?;
        // `+5` and ` 5` parse as 5 with `i64::from_str`'s leniency on sign
        // only; keep the written form canonical.
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let id: i64 = id.parse().ok()?;
        match kind {
            "account" => Some(Voter::Account(AccountId(id))),
            "person" => Some(Voter::Person(UserId(id))),
            _ => None,
        }
    }
}

impl std::fmt::Display for Voter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.key())
    }
}

impl Serialize for Voter {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Voter {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let key = String::deserialize(d)?;
        Voter::parse(&key).ok_or_else(|| serde::de::Error::custom(format!("not a voter: {key:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_refuse_anything_else() {
        for voter in [Voter::Account(AccountId(12)), Voter::Person(UserId(5))] {
            assert_eq!(Voter::parse(&voter.key()), Some(voter));
        }
        for bad in [
            "account:",
            "account:+1",
            "account:-1",
            "person: 5",
            "admin:1",
            "5",
            "",
        ] {
            assert_eq!(Voter::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn accounts_and_people_never_share_a_key() {
        assert_ne!(
            Voter::Account(AccountId(1)).key(),
            Voter::Person(UserId(1)).key()
        );
    }
}
