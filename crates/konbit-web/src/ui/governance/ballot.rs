//! The ballot form of each method, shared by the proposal page and the
//! one-time vote link: what it shows (with the person's current ballot
//! filled in) and how a posted form becomes a ballot.
//!
//! Options travel by their position in the proposal's list, so any text
//! survives the form; a ranked vote adds the status quo after them.

use super::VoterOpt;
use crate::form::FormData;
use konbit_core::governance::ballot::{BallotContent, STATUS_QUO, SlotAnswer};
use konbit_core::governance::counting::{Availability, Choice, ConsentResponse, Reason};
use konbit_core::governance::rules::Method;
use std::collections::BTreeMap;

/// One candidate, option or slot of the form.
pub struct Item {
    pub index: usize,
    /// The candidate as the ballot names it (`status quo` for the status quo).
    pub name: String,
    /// The candidate as the person reads it.
    pub label: String,
    /// Schulze: the rank typed; time poll: the answer; approval: "1" when
    /// ticked.
    pub value: String,
}

impl Item {
    pub fn is(&self, v: &str) -> bool {
        self.value == v
    }
}

pub struct BallotForm {
    /// Where the form posts.
    pub action: String,
    /// `yes_no`, `consent`, `schulze`, `approval` or `time_poll`.
    pub method: &'static str,
    pub text_hash: String,
    pub items: Vec<Item>,
    /// Yes/no: `yes`, `no`, `abstain`; consent: `consent`, `stand_aside`,
    /// `objection`, `block`.
    pub choice: String,
    pub reason: String,
    /// Shown as a select when the person speaks for several voters.
    pub voters: Vec<VoterOpt>,
    pub voter: String,
}

impl BallotForm {
    /// `status_quo` is how the person's language names the status quo
    /// candidate of a ranked vote.
    pub fn new(
        action: String,
        method: Method,
        options: &[String],
        text_hash: &str,
        status_quo: &str,
    ) -> Self {
        let mut names: Vec<(String, String)> =
            options.iter().map(|o| (o.clone(), o.clone())).collect();
        if method == Method::Schulze {
            names.push((STATUS_QUO.to_owned(), status_quo.to_owned()));
        }
        Self {
            action,
            method: method_value(method),
            text_hash: text_hash.to_owned(),
            items: names
                .into_iter()
                .enumerate()
                .map(|(index, (name, label))| Item {
                    index,
                    name,
                    label,
                    value: String::new(),
                })
                .collect(),
            choice: String::new(),
            reason: String::new(),
            voters: Vec::new(),
            voter: String::new(),
        }
    }

    /// Fills the form with a ballot already cast (or typed).
    pub fn with(mut self, content: Option<&BallotContent>) -> Self {
        let Some(content) = content else {
            return self;
        };
        match content {
            BallotContent::YesNo { choice } => self.choice = super::form_value(choice),
            BallotContent::Consent { response } => {
                let (c, r) = match response {
                    ConsentResponse::Consent => ("consent", ""),
                    ConsentResponse::StandAside => ("stand_aside", ""),
                    ConsentResponse::Objection { reason } => ("objection", reason.as_str()),
                    ConsentResponse::Block { reason } => ("block", reason.as_str()),
                };
                self.choice = c.to_owned();
                self.reason = r.to_owned();
            }
            BallotContent::Schulze { ranking } => {
                for (rank, group) in ranking.iter().enumerate() {
                    for name in group {
                        if let Some(item) = self.items.iter_mut().find(|i| &i.name == name) {
                            item.value = (rank + 1).to_string();
                        }
                    }
                }
            }
            BallotContent::Approval { approved } => {
                for item in &mut self.items {
                    if approved.contains(&item.name) {
                        item.value = "1".into();
                    }
                }
            }
            BallotContent::TimePoll { answers } => {
                for a in answers {
                    if let Some(item) = self.items.iter_mut().find(|i| i.name == a.slot) {
                        item.value = super::form_value(&a.availability);
                    }
                }
            }
        }
        self
    }

    pub fn is(&self, method: &str) -> bool {
        self.method == method
    }

    pub fn chose(&self, v: &str) -> bool {
        self.choice == v
    }

    /// How many ranks a ranked ballot offers.
    pub fn max_rank(&self) -> usize {
        self.items.len()
    }
}

pub fn method_value(m: Method) -> &'static str {
    match m {
        Method::YesNo => "yes_no",
        Method::Consent => "consent",
        Method::Schulze => "schulze",
        Method::Approval => "approval",
        Method::TimePoll => "time_poll",
    }
}

/// Why a posted ballot could not be read, as a message id.
pub type Problem = &'static str;

/// The ballot a posted form holds.
pub fn parse(
    method: Method,
    options: &[String],
    form: &FormData,
) -> Result<BallotContent, Problem> {
    match method {
        Method::YesNo => {
            let choice: Choice =
                super::parse_choice(form.get("choice")).ok_or("gov-ballot-choose")?;
            Ok(BallotContent::YesNo { choice })
        }
        Method::Consent => {
            let reason =
                || Reason::parse(form.get("reason")).map_err(|_| "gov-ballot-reason-needed");
            let response = match form.get("choice").trim() {
                "consent" => ConsentResponse::Consent,
                "stand_aside" => ConsentResponse::StandAside,
                "objection" => ConsentResponse::Objection { reason: reason()? },
                "block" => ConsentResponse::Block { reason: reason()? },
                _ => return Err("gov-ballot-choose"),
            };
            Ok(BallotContent::Consent { response })
        }
        Method::Schulze => {
            let candidates: Vec<&str> = options
                .iter()
                .map(String::as_str)
                .chain([STATUS_QUO])
                .collect();
            let mut groups: BTreeMap<usize, Vec<String>> = BTreeMap::new();
            for (i, name) in candidates.iter().enumerate() {
                let raw = form.get(&format!("rank-{i}")).trim();
                if raw.is_empty() {
                    continue;
                }
                let rank: usize = raw.parse().map_err(|_| "gov-ballot-bad-rank")?;
                if rank == 0 || rank > candidates.len() {
                    return Err("gov-ballot-bad-rank");
                }
                groups.entry(rank).or_default().push((*name).to_owned());
            }
            if groups.is_empty() {
                return Err("gov-ballot-rank-something");
            }
            Ok(BallotContent::Schulze {
                ranking: groups.into_values().collect(),
            })
        }
        Method::Approval => {
            let mut approved = Vec::new();
            for raw in form.all("approve") {
                let i: usize = raw.trim().parse().map_err(|_| "error-invalid-ballot")?;
                let name = options.get(i).ok_or("error-invalid-ballot")?;
                if !approved.contains(name) {
                    approved.push(name.clone());
                }
            }
            Ok(BallotContent::Approval { approved })
        }
        Method::TimePoll => {
            let mut answers = Vec::new();
            for (i, slot) in options.iter().enumerate() {
                let raw = form.get(&format!("slot-{i}"));
                if raw.trim().is_empty() {
                    continue;
                }
                let availability: Availability =
                    super::parse_choice(raw).ok_or("error-invalid-ballot")?;
                answers.push(SlotAnswer {
                    slot: slot.clone(),
                    availability,
                });
            }
            if answers.is_empty() {
                return Err("gov-ballot-choose");
            }
            Ok(BallotContent::TimePoll { answers })
        }
    }
}

/// Some ballot of the method, for asking the app whether a person may
/// vote at all.
pub fn placeholder(method: Method) -> BallotContent {
    match method {
        Method::YesNo => BallotContent::YesNo {
            choice: Choice::Abstain,
        },
        Method::Consent => BallotContent::Consent {
            response: ConsentResponse::Consent,
        },
        Method::Schulze => BallotContent::Schulze {
            ranking: vec![vec![STATUS_QUO.to_owned()]],
        },
        Method::Approval => BallotContent::Approval {
            approved: Vec::new(),
        },
        Method::TimePoll => BallotContent::TimePoll {
            answers: Vec::new(),
        },
    }
}

/// A ballot in words, for the person's current ballot and public lists.
pub fn in_words(tr: &crate::i18n::Tr, content: &BallotContent) -> String {
    match content {
        BallotContent::YesNo { choice } => super::word(tr, "gov-choice", choice),
        BallotContent::Consent { response } => {
            let (id, reason) = match response {
                ConsentResponse::Consent => ("gov-choice-consent", None),
                ConsentResponse::StandAside => ("gov-choice-stand-aside", None),
                ConsentResponse::Objection { reason } => {
                    ("gov-choice-objection", Some(reason.as_str()))
                }
                ConsentResponse::Block { reason } => ("gov-choice-block", Some(reason.as_str())),
            };
            match reason {
                Some(r) => format!("{}{}{r}", tr.t(id), tr_colon(tr)),
                None => tr.t(id),
            }
        }
        BallotContent::Schulze { ranking } => ranking
            .iter()
            .map(|g| {
                g.iter()
                    .map(|c| super::candidate_label(tr, c))
                    .collect::<Vec<_>>()
                    .join(" = ")
            })
            .collect::<Vec<_>>()
            .join(" > "),
        BallotContent::Approval { approved } => {
            if approved.is_empty() {
                tr.t("gov-approved-none")
            } else {
                approved.join(", ")
            }
        }
        BallotContent::TimePoll { answers } => answers
            .iter()
            .map(|a| {
                format!(
                    "{}{}{}",
                    a.slot,
                    tr_colon(tr),
                    super::word(tr, "gov-availability", &a.availability)
                )
            })
            .collect::<Vec<_>>()
            .join(" · "),
    }
}

/// ": " in English, " : " in French.
fn tr_colon(tr: &crate::i18n::Tr) -> &'static str {
    match tr.locale {
        konbit_core::model::Locale::Fr => "\u{a0}: ",
        konbit_core::model::Locale::En => ": ",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> FormData {
        FormData(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn ranks_become_groups_with_the_status_quo() {
        let options = vec!["Red".to_owned(), "Blue".to_owned()];
        let b = parse(
            Method::Schulze,
            &options,
            &form(&[("rank-0", "2"), ("rank-1", "1"), ("rank-2", "2")]),
        )
        .unwrap();
        assert_eq!(
            b,
            BallotContent::Schulze {
                ranking: vec![vec!["Blue".into()], vec!["Red".into(), STATUS_QUO.into()]]
            }
        );
        let again = BallotForm::new(String::new(), Method::Schulze, &options, "h", "Status quo")
            .with(Some(&b));
        assert_eq!(again.items[2].value, "2");
        assert_eq!(
            parse(Method::Schulze, &options, &form(&[("rank-0", "9")])),
            Err("gov-ballot-bad-rank")
        );
    }

    #[test]
    fn a_block_needs_its_reason() {
        assert_eq!(
            parse(Method::Consent, &[], &form(&[("choice", "block")])),
            Err("gov-ballot-reason-needed")
        );
        assert!(parse(Method::YesNo, &[], &form(&[("choice", "abstain")])).is_ok());
        assert_eq!(
            parse(Method::YesNo, &[], &form(&[("choice", "maybe")])),
            Err("gov-ballot-choose")
        );
    }
}
