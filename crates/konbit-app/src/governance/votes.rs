//! Casting ballots: from a session or a token, or from a signed one-time
//! link sent by e-mail. A ballot replaces the voter's earlier one in the
//! same round, so people may change their vote while it is open and
//! nothing is ever counted twice.

use super::proposals::{actor_voters, frozen_voters, voter_label};
use super::{GovernanceService, PROPOSAL_KIND, ballot_refusal, check};
use crate::secret::sha256_hex;
use crate::{AppError, Audit, Result, audit, now};
use konbit_core::authz::{Action, Actor, Source};
use konbit_core::governance::ballot::{BallotContent, check_ballot};
use konbit_core::governance::proposal::{StageKind, TextHash};
use konbit_core::governance::record::ProposalRecord;
use konbit_core::governance::rules::BallotVisibility;
use konbit_core::governance::voter::Voter;
use konbit_core::model::{ProposalId, UserId};
use konbit_core::{ErrorCode, FieldError, Rule};
use konbit_store::Tx;
use serde::Serialize;

/// Domain separation for the secret-ballot key derived from the sealing key.
const BALLOT_KEY_PURPOSE: &[u8] = b"konbit/secret-ballot-key/v1";

#[derive(Debug, Clone)]
pub struct BallotInput {
    /// The hash of the text the person read; a ballot on another text is
    /// refused.
    pub text_hash: String,
    pub content: BallotContent,
    /// Which voter to vote as, when the person speaks for several (their
    /// own vote, or an account they own).
    pub voter: Option<Voter>,
}

/// What a one-time link shows before it is used.
#[derive(Debug, Clone, Serialize)]
pub struct VoteLinkView {
    pub proposal_id: ProposalId,
    pub title: String,
    pub text: String,
    pub text_hash: String,
    pub body_name: String,
    pub method: konbit_core::governance::rules::Method,
    pub options: Vec<String>,
    pub voter_label: String,
    pub closes_at: i64,
    pub secret: bool,
}

impl GovernanceService<'_> {
    /// Where a voter's ballot is filed: the voter's own key in a public
    /// vote; in a secret one an HMAC of it under a key derived from the
    /// server's sealing key, so the table holds no person.
    pub(crate) fn ballot_key(&self, record: &ProposalRecord, voter: Voter) -> Result<String> {
        match record.visibility {
            BallotVisibility::PublicToMembers => Ok(voter.key()),
            BallotVisibility::Secret => {
                let key = self.app.two_factor().key()?.derive(BALLOT_KEY_PURPOSE);
                let message = format!("{}/{}/{}", record.id, record.spec.round, voter.key());
                Ok(format!(
                    "hmac:{}",
                    hex::encode(crate::secret::hmac_sha256(&key, message.as_bytes()))
                ))
            }
        }
    }

    pub async fn cast_ballot(
        &self,
        actor: &Actor,
        id: ProposalId,
        input: BallotInput,
    ) -> Result<()> {
        check(actor, Action::TakePartInGovernance)?;
        let now = now();
        let mut tx = self.app.store.write().await?;
        let record = self.visible(&mut tx, actor, id).await?;
        let mine = actor_voters(actor, frozen_voters(&record));
        let voter = match (input.voter, mine.as_slice()) {
            (Some(v), _) if mine.contains(&v) => v,
            (None, [only]) => *only,
            (None, [_, _, ..]) => {
                return Err(AppError::invalid(FieldError::new("voter", Rule::Required)));
            }
            (Some(v), _) => return Err(ballot_refusal(refused_voter(v))),
            (None, []) => {
                let me = actor
                    .user_id
                    .map(Voter::Person)
                    .ok_or(konbit_core::Denied::Unauthenticated)?;
                // Lets the lifecycle say whether the vote is closed, not
                // open yet, or open to others.
                record
                    .proposal
                    .check_ballot(&me, &TextHash::from_hex(&input.text_hash), now)
                    .map_err(ballot_refusal)?;
                return Err(ballot_refusal(refused_voter(me)));
            }
        };
        self.file_ballot(&mut tx, actor, &record, voter, actor.user_id, &input, now)
            .await?;
        self.app.commit(tx).await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn file_ballot(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        record: &ProposalRecord,
        voter: Voter,
        cast_by: Option<UserId>,
        input: &BallotInput,
        now: i64,
    ) -> Result<()> {
        let hash = TextHash::from_hex(&input.text_hash);
        record
            .proposal
            .check_ballot(&voter, &hash, now)
            .map_err(ballot_refusal)?;
        check_ballot(record.spec.method, &record.spec.options, &input.content).map_err(|e| {
            AppError::Conflict {
                code: ErrorCode::InvalidBallot,
                detail: e.to_string(),
            }
        })?;
        let key = self.ballot_key(record, voter)?;
        let public = record.visibility == BallotVisibility::PublicToMembers;
        let round = record.spec.round;
        let replaced = tx.ballot(record.id, round, &key).await?.is_some();
        tx.upsert_ballot(
            record.id,
            round,
            &key,
            hash.as_str(),
            &input.content,
            if public { cast_by } else { None },
            if public { Some(now) } else { None },
        )
        .await?;
        tx.record_participation(record.id, round, voter).await?;
        // A secret ballot's content never reaches the audit log.
        let new = if public {
            serde_json::json!({ "voter": voter, "round": round, "ballot": input.content, "text_hash": hash })
        } else {
            serde_json::json!({ "voter": voter, "round": round, "text_hash": hash })
        };
        audit(
            tx,
            actor,
            Audit {
                action: if replaced {
                    "ballot_changed"
                } else {
                    "ballot_cast"
                },
                kind: PROPOSAL_KIND,
                id: record.id.to_string(),
                account: None,
                old: None,
                new: Some(new),
            },
            now,
        )
        .await
    }

    /// What a one-time link opens, without using it.
    pub async fn vote_link(&self, token: &str) -> Result<VoteLinkView> {
        let mut tx = self.app.store.read().await?;
        let (link, record) = live_link(&mut tx, token, now()).await?;
        let closes_at = match record.proposal.stage() {
            konbit_core::governance::proposal::Stage::Voting { vote } => vote.closes_at,
            _ => return Err(AppError::InvalidLink),
        };
        Ok(VoteLinkView {
            proposal_id: record.id,
            title: record.proposal.title().to_owned(),
            text: record.proposal.body().to_owned(),
            text_hash: record.proposal.current_hash().as_str().to_owned(),
            body_name: record.body_name.clone(),
            method: record.spec.method,
            options: record.spec.options.clone(),
            voter_label: voter_label(&mut tx, link.voter).await,
            closes_at,
            secret: record.visibility == BallotVisibility::Secret,
        })
    }

    /// Casts the ballot of a one-time link and uses the link up. A link
    /// works for its voter, in its round, until the vote closes.
    pub async fn vote_by_link(
        &self,
        token: &str,
        text_hash: &str,
        content: BallotContent,
    ) -> Result<()> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        let (link, record) = live_link(&mut tx, token, now).await?;
        let person = tx.user(link.user_id).await?;
        let actor = Actor {
            user_id: Some(person.id),
            label: person.email.to_string(),
            is_admin: false,
            memberships: person.memberships.clone(),
            token: None,
            source: Source::Panel,
            ip: None,
            mfa: false,
            impersonator: None,
        };
        let input = BallotInput {
            text_hash: text_hash.to_owned(),
            content,
            voter: Some(link.voter),
        };
        self.file_ballot(
            &mut tx,
            &actor,
            &record,
            link.voter,
            Some(person.id),
            &input,
            now,
        )
        .await?;
        if !tx.use_vote_link(&sha256_hex(token), now).await? {
            return Err(AppError::InvalidLink);
        }
        self.app.commit(tx).await?;
        Ok(())
    }
}

fn refused_voter(voter: Voter) -> konbit_core::governance::proposal::BallotRefusal<Voter> {
    konbit_core::governance::proposal::BallotRefusal::NotInElectorate { voter }
}

async fn live_link(
    tx: &mut Tx,
    token: &str,
    now: i64,
) -> Result<(konbit_store::VoteLinkRow, ProposalRecord)> {
    let link = tx
        .vote_link(&sha256_hex(token))
        .await
        .map_err(|_| AppError::InvalidLink)?;
    if link.used_at.is_some() || now >= link.expires_at {
        return Err(AppError::InvalidLink);
    }
    let record = tx.proposal(link.proposal_id).await?;
    if record.proposal.stage().kind() != StageKind::Voting || record.spec.round != link.round {
        return Err(AppError::InvalidLink);
    }
    Ok((link, record))
}
