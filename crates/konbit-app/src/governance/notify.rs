//! E-mail notices: a vote opens (with a signed one-time link per voter),
//! a vote closes soon (only to those who have not voted), an outcome, and
//! the digest, which carries the decision log's head hash so anyone can
//! check the log later. French or English, as each person chose.

use super::GovernanceService;
use super::proposals::{frozen_voters, voter_label};
use crate::Result;
use crate::secret::{random_token, sha256_hex};
use konbit_core::governance::proposal::{Stage, StageKind};
use konbit_core::governance::record::ProposalRecord;
use konbit_core::governance::voter::Voter;
use konbit_core::model::{ProposalId, UserId};
use konbit_core::names::EmailAddress;
use konbit_store::{Recipient, StoreError, Tx, VoteLinkRow};
use serde::Serialize;
use std::collections::BTreeMap;

/// When the last digest went out (unix seconds), in `platform_settings`.
const DIGEST_LAST: &str = "governance_digest_last";
pub const DIGEST_EVERY_SECS: i64 = 7 * 24 * 60 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    VoteOpened,
    ClosesSoon,
    Outcome,
    AnotherRound,
    /// To a person the co-op admitted by decision: the account is theirs,
    /// and a link lets them choose their password.
    Admitted,
}

#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub kind: NoticeKind,
    pub proposal_id: ProposalId,
    pub title: String,
    pub body_name: String,
    pub closes_at: Option<i64>,
    pub outcome: Option<String>,
    pub text_hash: String,
}

impl Notice {
    pub(crate) fn of(record: &ProposalRecord, kind: NoticeKind) -> Self {
        let (closes_at, text_hash) = match record.proposal.stage() {
            Stage::Voting { vote } => (Some(vote.closes_at), vote.text_hash.clone()),
            Stage::Closed { vote, .. }
            | Stage::Applied { vote, .. }
            | Stage::Rejected { vote, .. } => (None, vote.text_hash.clone()),
            _ => (None, record.proposal.current_hash()),
        };
        Self {
            kind,
            proposal_id: record.id,
            title: record.proposal.title().to_owned(),
            body_name: record.body_name.clone(),
            closes_at,
            outcome: record.outcome.clone(),
            text_hash: text_hash.as_str().to_owned(),
        }
    }
}

/// One e-mail to send once the step that called for it has committed.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub to: Recipient,
    pub notice: Notice,
    /// The one-time token: a vote link's, or for [`NoticeKind::Admitted`]
    /// a password link's.
    pub token: Option<String>,
    /// Whom the person votes for, or the account they were admitted with.
    pub label: String,
}

/// How long the link in a welcome e-mail works: long enough for someone
/// who reads their mail once a week.
pub const WELCOME_LINK_SECS: i64 = 7 * 24 * 60 * 60;

/// A rendered message, as it goes to the relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GovernanceMail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

fn french(locale: &Option<String>) -> bool {
    locale.as_deref() != Some("en")
}

fn date(ts: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute] UTC"
            ))
            .ok()
        })
        .unwrap_or_else(|| ts.to_string())
}

fn outcome_text(outcome: Option<&str>, fr: bool) -> &'static str {
    match (outcome, fr) {
        (Some("adopted"), true) => "adoptée",
        (Some("adopted"), false) => "adopted",
        (Some("quorum_missed"), true) => "quorum non atteint : rien ne change",
        (Some("quorum_missed"), false) => "quorum not reached: nothing changes",
        (_, true) => "rejetée",
        (_, false) => "rejected",
    }
}

/// Renders one notice; `base` is the panel's public address.
pub(crate) fn render(out: &Outgoing, base: &str) -> GovernanceMail {
    let fr = french(&out.to.locale);
    let n = &out.notice;
    let page = format!("{base}/governance/proposals/{}", n.proposal_id);
    let closes = n.closes_at.map(date).unwrap_or_default();
    let (subject, mut lines) = match (n.kind, fr) {
        (NoticeKind::VoteOpened, true) => (
            format!("Vote ouvert : {}", n.title),
            vec![
                format!("Bonjour {},", out.to.display_name),
                String::new(),
                format!(
                    "Le vote sur « {} » ({}) est ouvert jusqu'au {closes}.",
                    n.title, n.body_name
                ),
                format!("Vous votez pour : {}.", out.label),
            ],
        ),
        (NoticeKind::VoteOpened, false) => (
            format!("Vote open: {}", n.title),
            vec![
                format!("Hello {},", out.to.display_name),
                String::new(),
                format!(
                    "The vote on \"{}\" ({}) is open until {closes}.",
                    n.title, n.body_name
                ),
                format!("You vote for: {}.", out.label),
            ],
        ),
        (NoticeKind::ClosesSoon, true) => (
            format!("Le vote se termine bientôt : {}", n.title),
            vec![
                format!("Bonjour {},", out.to.display_name),
                String::new(),
                format!(
                    "Vous n'avez pas encore voté sur « {} » ; le vote se termine le {closes}.",
                    n.title
                ),
                format!("Vous votez pour : {}.", out.label),
            ],
        ),
        (NoticeKind::ClosesSoon, false) => (
            format!("Vote closes soon: {}", n.title),
            vec![
                format!("Hello {},", out.to.display_name),
                String::new(),
                format!(
                    "You have not voted on \"{}\" yet; the vote closes on {closes}.",
                    n.title
                ),
                format!("You vote for: {}.", out.label),
            ],
        ),
        (NoticeKind::Outcome, true) => (
            format!("Résultat : {}", n.title),
            vec![
                format!("Bonjour {},", out.to.display_name),
                String::new(),
                format!(
                    "La proposition « {} » ({}) est {}.",
                    n.title,
                    n.body_name,
                    outcome_text(n.outcome.as_deref(), true)
                ),
            ],
        ),
        (NoticeKind::Outcome, false) => (
            format!("Outcome: {}", n.title),
            vec![
                format!("Hello {},", out.to.display_name),
                String::new(),
                format!(
                    "The proposal \"{}\" ({}) is {}.",
                    n.title,
                    n.body_name,
                    outcome_text(n.outcome.as_deref(), false)
                ),
            ],
        ),
        (NoticeKind::AnotherRound, true) => (
            format!("Nouveau tour : {}", n.title),
            vec![
                format!("Bonjour {},", out.to.display_name),
                String::new(),
                format!(
                    "Des blocages subsistent sur « {} » : la discussion reprend avant un nouveau tour.",
                    n.title
                ),
            ],
        ),
        (NoticeKind::AnotherRound, false) => (
            format!("Another round: {}", n.title),
            vec![
                format!("Hello {},", out.to.display_name),
                String::new(),
                format!(
                    "Blocks remain on \"{}\": discussion resumes before another round.",
                    n.title
                ),
            ],
        ),
        (NoticeKind::Admitted, true) => (
            format!("Bienvenue : le compte {} est à vous", out.label),
            vec![
                format!("Bonjour {},", out.to.display_name),
                String::new(),
                format!(
                    "Par la décision « {} » ({}), la coopérative vous accueille : le compte {} est à vous.",
                    n.title, n.body_name, out.label
                ),
            ],
        ),
        (NoticeKind::Admitted, false) => (
            format!("Welcome: the account {} is yours", out.label),
            vec![
                format!("Hello {},", out.to.display_name),
                String::new(),
                format!(
                    "By the decision \"{}\" ({}), the co-op welcomes you: the account {} is yours.",
                    n.title, n.body_name, out.label
                ),
            ],
        ),
    };
    lines.push(String::new());
    match (&out.token, n.kind) {
        (Some(token), NoticeKind::Admitted) => {
            let link = format!("{base}/password-reset/{token}");
            let days = WELCOME_LINK_SECS / (24 * 60 * 60);
            lines.push(if fr {
                format!(
                    "Choisissez votre mot de passe (lien personnel, valable {days} jours) : {link}"
                )
            } else {
                format!("Choose your password (personal link, works for {days} days): {link}")
            });
            lines.push(if fr {
                "Passé ce délai, « Mot de passe oublié ? » sur la page de connexion vous envoie un nouveau lien.".to_owned()
            } else {
                "After that, \"Forgot your password?\" on the sign-in page sends you a new link.".to_owned()
            });
        }
        (Some(token), _) => {
            let link = format!("{base}/vote/{token}");
            lines.push(if fr {
                format!("Voter sans vous connecter (lien personnel, valable une fois) : {link}")
            } else {
                format!("Vote without signing in (personal link, works once): {link}")
            });
        }
        (None, _) => {}
    }
    lines.push(if fr {
        format!("La proposition : {page}")
    } else {
        format!("The proposal: {page}")
    });
    lines.push(if fr {
        format!("Empreinte du texte soumis au vote : {}", n.text_hash)
    } else {
        format!("Hash of the text put to the vote: {}", n.text_hash)
    });
    GovernanceMail {
        to: out.to.email.clone(),
        subject: format!("[Konbit] {subject}"),
        body: lines.join("\n") + "\n",
    }
}

/// Whether nobody has `email` yet, so that admitting its owner creates a
/// person who has no password of their own.
pub(crate) async fn is_newcomer(tx: &mut Tx, email: &str) -> Result<bool> {
    let Ok(email) = EmailAddress::parse("owner_email", email) else {
        return Ok(false);
    };
    match tx.user_auth_by_email(email.as_str()).await {
        Ok(_) => Ok(false),
        Err(StoreError::NotFound) => Ok(true),
        Err(e) => Err(e.into()),
    }
}

impl GovernanceService<'_> {
    /// The welcome for a person an adopted decision just created: their
    /// account's name and a link to choose a password, which works like a
    /// password reset's but for a week.
    pub(crate) async fn welcome(
        &self,
        tx: &mut Tx,
        record: &ProposalRecord,
        email: &str,
        account: &str,
        now: i64,
    ) -> Result<Outgoing> {
        let email = EmailAddress::parse("owner_email", email).map_err(crate::AppError::invalid)?;
        let person = tx.user_auth_by_email(email.as_str()).await?.person.id;
        let token = format!("{person}.{}", random_token());
        tx.insert_password_reset(
            &sha256_hex(&token),
            person,
            now,
            now.saturating_add(WELCOME_LINK_SECS),
        )
        .await?;
        Ok(Outgoing {
            to: tx.recipient(person).await?,
            notice: self.notice(record, NoticeKind::Admitted),
            token: Some(token),
            label: account.to_owned(),
        })
    }

    /// The people behind each voter, with the voter's name: an account's
    /// owners, or the person.
    async fn people_of(
        &self,
        tx: &mut Tx,
        voters: &[Voter],
    ) -> Result<Vec<(Voter, String, Recipient)>> {
        let mut out = Vec::new();
        for &voter in voters {
            let label = voter_label(tx, voter).await;
            let people: Vec<UserId> = match voter {
                Voter::Account(id) => tx.account_owners(id).await?,
                Voter::Person(id) => vec![id],
            };
            for person in people {
                if let Ok(to) = tx.recipient(person).await {
                    out.push((voter, label.clone(), to));
                }
            }
        }
        Ok(out)
    }

    /// A notice with a fresh one-time link to everyone in `voters`.
    async fn with_links(
        &self,
        tx: &mut Tx,
        record: &ProposalRecord,
        voters: &[Voter],
        kind: NoticeKind,
    ) -> Result<Vec<Outgoing>> {
        let Stage::Voting { vote } = record.proposal.stage() else {
            return Ok(Vec::new());
        };
        let notice = self.notice(record, kind);
        let mut out = Vec::new();
        for (voter, label, to) in self.people_of(tx, voters).await? {
            let token = random_token();
            tx.insert_vote_link(
                &sha256_hex(&token),
                &VoteLinkRow {
                    proposal_id: record.id,
                    round: record.spec.round,
                    voter,
                    user_id: to.user_id,
                    expires_at: vote.closes_at,
                    used_at: None,
                },
            )
            .await?;
            out.push(Outgoing {
                to,
                notice: notice.clone(),
                token: Some(token),
                label,
            });
        }
        Ok(out)
    }

    pub(crate) async fn vote_opened(
        &self,
        tx: &mut Tx,
        record: &ProposalRecord,
    ) -> Result<Vec<Outgoing>> {
        let voters = frozen_voters(record).to_vec();
        self.with_links(tx, record, &voters, NoticeKind::VoteOpened)
            .await
    }

    /// Only to the voters who have not voted in this round.
    pub(crate) async fn reminders(
        &self,
        tx: &mut Tx,
        record: &ProposalRecord,
    ) -> Result<Vec<Outgoing>> {
        let voted = tx.participants(record.id, record.spec.round).await?;
        let pending: Vec<Voter> = frozen_voters(record)
            .iter()
            .filter(|v| !voted.contains(v))
            .copied()
            .collect();
        self.with_links(tx, record, &pending, NoticeKind::ClosesSoon)
            .await
    }

    pub(crate) async fn to_electorate(
        &self,
        tx: &mut Tx,
        record: &ProposalRecord,
        kind: NoticeKind,
    ) -> Result<Vec<Outgoing>> {
        let voters = frozen_voters(record).to_vec();
        let notice = self.notice(record, kind);
        Ok(self
            .people_of(tx, &voters)
            .await?
            .into_iter()
            .map(|(_, label, to)| Outgoing {
                to,
                notice: notice.clone(),
                token: None,
                label,
            })
            .collect())
    }

    /// Sends what the steps called for; a relay that fails loses only its
    /// messages (logged), never a step. Returns how many went out.
    pub(crate) async fn send(&self, outgoing: Vec<Outgoing>) -> u32 {
        let Some(smtp) = self.app.config.smtp.clone() else {
            if !outgoing.is_empty() {
                tracing::warn!(
                    count = outgoing.len(),
                    "no [smtp] relay is configured: governance notices were not sent"
                );
            }
            return 0;
        };
        let base = self.public_base();
        let mut sent = 0;
        for out in &outgoing {
            let mail = render(out, &base);
            match crate::mail::send(&smtp, &mail.to, &mail.subject, &mail.body).await {
                Ok(()) => sent += 1,
                Err(e) => {
                    tracing::warn!(to = %mail.to, error = %e, "a governance notice was not sent")
                }
            }
        }
        sent
    }

    fn public_base(&self) -> String {
        self.app.config.public_url.trim_end_matches('/').to_owned()
    }

    /// The digest: open votes, the decisions since the last digest, and the
    /// log's head hash, to every person who votes somewhere. Sent when a
    /// week has passed since the last one (or at once with `force`).
    pub async fn send_digest(&self, now: i64, force: bool) -> Result<Option<u32>> {
        // The housekeeping asks every 30 s: a read answers "not yet"
        // without taking the write lock.
        let stored = |v: Option<String>| v.and_then(|v| v.parse::<i64>().ok());
        let due = |last: Option<i64>| force || last.is_some_and(|l| now - l >= DIGEST_EVERY_SECS);
        let seen = stored(self.app.store.read().await?.setting(DIGEST_LAST).await?);
        if !due(seen) {
            if seen.is_none() {
                // A new install starts the weekly clock instead of mailing
                // everyone on its first run.
                let mut tx = self.app.store.write().await?;
                if tx.setting(DIGEST_LAST).await?.is_none() {
                    tx.set_setting(DIGEST_LAST, &now.to_string(), now).await?;
                    tx.commit().await?;
                }
            }
            return Ok(None);
        }
        let mut tx = self.app.store.write().await?;
        let last = stored(tx.setting(DIGEST_LAST).await?);
        if !due(last) {
            return Ok(None);
        }
        let last = last.unwrap_or(now - DIGEST_EVERY_SECS);
        tx.set_setting(DIGEST_LAST, &now.to_string(), now).await?;
        let open = tx.proposals(None, Some("voting")).await?;
        let recent: Vec<_> = tx
            .decisions(None, 200)
            .await?
            .into_iter()
            .filter(|d| d.at > last.max(now - DIGEST_EVERY_SECS))
            .collect();
        let head = tx.decisions(None, 1).await?.first().map_or_else(
            || konbit_core::audit::GENESIS.to_owned(),
            |e| e.hash.clone(),
        );
        let mut people: BTreeMap<UserId, Recipient> = BTreeMap::new();
        for id in tx.voting_people().await? {
            if let Ok(r) = tx.recipient(id).await {
                people.insert(id, r);
            }
        }
        for body in tx.bodies().await? {
            for m in tx.body_members(body.id).await? {
                if let Ok(r) = tx.recipient(m.user_id).await {
                    people.insert(m.user_id, r);
                }
            }
        }
        self.app.commit(tx).await?;
        let smtp = self.app.config.smtp.clone();
        let base = self.public_base();
        let mut sent = 0;
        for to in people.values() {
            let fr = french(&to.locale);
            let mut lines = vec![
                if fr {
                    format!("Bonjour {},", to.display_name)
                } else {
                    format!("Hello {},", to.display_name)
                },
                String::new(),
                if fr {
                    "Votes en cours :".into()
                } else {
                    "Open votes:".to_owned()
                },
            ];
            for p in open
                .iter()
                .filter(|p| p.proposal.stage().kind() == StageKind::Voting)
            {
                let closes = match p.proposal.stage() {
                    Stage::Voting { vote } => date(vote.closes_at),
                    _ => String::new(),
                };
                lines.push(format!(
                    "- {} ({}) → {closes}: {base}/governance/proposals/{}",
                    p.proposal.title(),
                    p.body_name,
                    p.id
                ));
            }
            if open.is_empty() {
                lines.push(if fr {
                    "- aucun".into()
                } else {
                    "- none".into()
                });
            }
            lines.push(String::new());
            lines.push(if fr {
                "Décisions récentes :".into()
            } else {
                "Recent decisions:".into()
            });
            for d in &recent {
                lines.push(format!(
                    "- #{} {} — {} ({})",
                    d.id, d.title, d.outcome, d.event
                ));
            }
            if recent.is_empty() {
                lines.push(if fr {
                    "- aucune".into()
                } else {
                    "- none".into()
                });
            }
            lines.push(String::new());
            lines.push(if fr {
                format!("Empreinte de tête du journal des décisions : {head}")
            } else {
                format!("Head hash of the decision log: {head}")
            });
            lines.push(if fr {
                format!("Gardez-la : elle permet de vérifier plus tard que rien n'a été réécrit ({base}/decisions).")
            } else {
                format!("Keep it: it lets anyone check later that nothing was rewritten ({base}/decisions).")
            });
            let subject = if fr {
                "[Konbit] Résumé de la gouvernance"
            } else {
                "[Konbit] Governance digest"
            };
            if let Some(smtp) = &smtp {
                match crate::mail::send(smtp, &to.email, subject, &(lines.join("\n") + "\n")).await
                {
                    Ok(()) => sent += 1,
                    Err(e) => tracing::warn!(to = %to.email, error = %e, "the digest was not sent"),
                }
            }
        }
        if smtp.is_none() {
            tracing::warn!("no [smtp] relay is configured: the governance digest was not sent");
        }
        Ok(Some(sent))
    }
}
