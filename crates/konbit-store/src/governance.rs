//! Governance: bodies and their members, proposals, comments, ballots,
//! participation, one-time vote links, the decision log and the platform
//! settings decisions change.

use crate::audit::ChainReport;
use crate::{Result, StoreError, Tx};
use konbit_core::audit::GENESIS;
use konbit_core::governance::action::PlatformAction;
use konbit_core::governance::ballot::{BallotContent, CountSpec};
use konbit_core::governance::decision_log::DecisionEntry;
use konbit_core::governance::proposal::Proposal;
use konbit_core::governance::record::{Body, BodyMember, Comment, ProposalRecord, StoredBallot};
use konbit_core::governance::rules::{BallotVisibility, DecisionRules};
use konbit_core::governance::voter::Voter;
use konbit_core::governance::wire_name;
use konbit_core::model::{AccountId, BodyId, CommentId, ProposalId, Timestamp, UserId};
use konbit_core::names::{DisplayName, EmailAddress};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

fn from_json<T: DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Unreadable(format!("{what}: {e}")))
}

fn to_json<T: Serialize>(what: &str, value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Unreadable(format!("{what}: {e}")))
}

fn opt_json<T: DeserializeOwned>(what: &str, text: Option<String>) -> Result<Option<T>> {
    text.map(|t| from_json(what, &t)).transpose()
}

const BODY_SELECT: &str = "SELECT b.*, (SELECT COUNT(*) FROM gov_body_members m WHERE m.body_id = b.id) AS member_count FROM gov_bodies b";

fn body_from_row(row: &SqliteRow) -> Result<Body> {
    Ok(Body {
        id: BodyId(row.try_get("id")?),
        name: DisplayName::parse("name", row.try_get("name")?)?,
        rules: from_json("body rules", row.try_get("rules")?)?,
        member_count: row.try_get("member_count")?,
        created_at: row.try_get("created_at")?,
    })
}

const PROPOSAL_SELECT: &str =
    "SELECT p.*, b.name AS body_name FROM gov_proposals p JOIN gov_bodies b ON b.id = p.body_id";

fn visibility_str(v: BallotVisibility) -> &'static str {
    match v {
        BallotVisibility::PublicToMembers => "public_to_members",
        BallotVisibility::Secret => "secret",
    }
}

fn proposal_from_row(row: &SqliteRow) -> Result<ProposalRecord> {
    let visibility = match row.try_get::<String, _>("visibility")?.as_str() {
        "secret" => BallotVisibility::Secret,
        _ => BallotVisibility::PublicToMembers,
    };
    Ok(ProposalRecord {
        id: ProposalId(row.try_get("id")?),
        body_id: BodyId(row.try_get("body_id")?),
        body_name: row.try_get("body_name")?,
        author_user_id: row.try_get::<Option<i64>, _>("author_user_id")?.map(UserId),
        author_label: row.try_get("author_label")?,
        proposal: from_json("proposal state", row.try_get("state")?)?,
        spec: from_json("count spec", row.try_get("spec")?)?,
        visibility,
        action: opt_json("action", row.try_get("action")?)?,
        undo: opt_json("undo", row.try_get("undo")?)?,
        tally: opt_json("tally", row.try_get("tally")?)?,
        outcome: row.try_get("outcome")?,
        action_error: row.try_get("action_error")?,
        rolled_back_at: row.try_get("rolled_back_at")?,
        appeal: opt_json("appeal", row.try_get("appeal")?)?,
        reminded_round: u32::try_from(row.try_get::<i64, _>("reminded_round")?).unwrap_or(0),
        due_at: row.try_get("due_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn decision_from_row(r: &SqliteRow) -> Result<DecisionEntry> {
    Ok(DecisionEntry {
        id: r.try_get("id")?,
        at: r.try_get("at")?,
        proposal_id: r.try_get("proposal_id")?,
        event: r.try_get("event")?,
        body: r.try_get("body")?,
        title: r.try_get("title")?,
        text: r.try_get("text")?,
        text_hash: r.try_get("text_hash")?,
        method: r.try_get("method")?,
        tally: r.try_get("tally")?,
        outcome: r.try_get("outcome")?,
        detail: r.try_get("detail")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

/// A new proposal, as the service validated it.
pub struct NewProposal<'a> {
    pub body_id: BodyId,
    pub author_user_id: Option<UserId>,
    pub author_label: &'a str,
    pub proposal: &'a Proposal<Voter>,
    pub spec: &'a CountSpec,
    pub visibility: BallotVisibility,
    pub action: Option<&'a PlatformAction>,
}

/// A decision-log entry before it is chained.
pub struct NewDecision {
    pub proposal_id: ProposalId,
    pub event: &'static str,
    pub body: String,
    pub title: String,
    pub text: String,
    pub text_hash: String,
    pub method: String,
    pub tally: Option<String>,
    pub outcome: String,
    pub detail: Option<String>,
}

/// A one-time vote link as stored (its token is only known by its hash).
#[derive(Debug, Clone)]
pub struct VoteLinkRow {
    pub proposal_id: ProposalId,
    pub round: u32,
    pub voter: Voter,
    pub user_id: UserId,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

/// A person to notify: who they are and which voters they speak for.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub user_id: UserId,
    pub email: String,
    pub display_name: String,
    pub locale: Option<String>,
}

impl Tx {
    // ----- bodies -------------------------------------------------------

    pub async fn insert_body(
        &mut self,
        name: &DisplayName,
        rules: &DecisionRules,
        now: Timestamp,
    ) -> Result<BodyId> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO gov_bodies (name, kind, rules, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(name.as_str())
        .bind(wire_name(&rules.body))
        .bind(to_json("body rules", rules)?)
        .bind(now)
        .fetch_one(self.conn())
        .await?;
        Ok(BodyId(id))
    }

    pub async fn update_body(
        &mut self,
        id: BodyId,
        name: &DisplayName,
        rules: &DecisionRules,
        now: Timestamp,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE gov_bodies SET name = $2, kind = $3, rules = $4, updated_at = $5 WHERE id = $1",
        )
        .bind(id.0)
        .bind(name.as_str())
        .bind(wire_name(&rules.body))
        .bind(to_json("body rules", rules)?)
        .bind(now)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn body(&mut self, id: BodyId) -> Result<Body> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{BODY_SELECT} WHERE b.id = $1"
        )))
        .bind(id.0)
        .fetch_optional(self.conn())
        .await?
        .ok_or(StoreError::NotFound)?;
        body_from_row(&row)
    }

    pub async fn bodies(&mut self) -> Result<Vec<Body>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{BODY_SELECT} ORDER BY b.id")))
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(body_from_row).collect()
    }

    /// Replaces a board's or committee's people.
    pub async fn set_body_members(
        &mut self,
        body: BodyId,
        people: &[UserId],
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query("DELETE FROM gov_body_members WHERE body_id = $1")
            .bind(body.0)
            .execute(self.conn())
            .await?;
        for person in people {
            sqlx::query(
                "INSERT OR IGNORE INTO gov_body_members (body_id, user_id, added_at) VALUES ($1, $2, $3)",
            )
            .bind(body.0)
            .bind(person.0)
            .bind(now)
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }

    pub async fn body_members(&mut self, body: BodyId) -> Result<Vec<BodyMember>> {
        let rows = sqlx::query(
            "SELECT u.id, u.email, u.display_name FROM gov_body_members m JOIN users u ON u.id = m.user_id \
             WHERE m.body_id = $1 ORDER BY u.email",
        )
        .bind(body.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(BodyMember {
                    user_id: UserId(r.try_get("id")?),
                    email: EmailAddress::parse("email", r.try_get("email")?)?,
                    display_name: DisplayName::parse("display_name", r.try_get("display_name")?)?,
                })
            })
            .collect()
    }

    /// Member accounts that vote in an assembly: not deleted, not locked.
    pub async fn voting_accounts(&mut self) -> Result<Vec<AccountId>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM accounts WHERE deleted_at IS NULL AND locked_at IS NULL ORDER BY id",
        )
        .fetch_all(self.conn())
        .await?;
        Ok(ids.into_iter().map(AccountId).collect())
    }

    /// The people of voting accounts (each once), for one vote per person.
    pub async fn voting_people(&mut self) -> Result<Vec<UserId>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT m.user_id FROM memberships m JOIN accounts a ON a.id = m.account_id \
             WHERE a.deleted_at IS NULL AND a.locked_at IS NULL ORDER BY m.user_id",
        )
        .fetch_all(self.conn())
        .await?;
        Ok(ids.into_iter().map(UserId).collect())
    }

    /// The live accounts on a quota profile, by name.
    pub async fn accounts_on_profile(
        &mut self,
        profile: konbit_core::model::QuotaProfileId,
    ) -> Result<Vec<(AccountId, String)>> {
        let rows = sqlx::query(
            "SELECT id, name FROM accounts WHERE quota_profile_id = $1 AND deleted_at IS NULL ORDER BY name",
        )
        .bind(profile.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| Ok((AccountId(r.try_get("id")?), r.try_get("name")?)))
            .collect()
    }

    /// The owners of an account, who cast its vote in an assembly.
    pub async fn account_owners(&mut self, account: AccountId) -> Result<Vec<UserId>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT user_id FROM memberships WHERE account_id = $1 AND role = 'owner' ORDER BY user_id",
        )
        .bind(account.0)
        .fetch_all(self.conn())
        .await?;
        Ok(ids.into_iter().map(UserId).collect())
    }

    pub async fn recipient(&mut self, user: UserId) -> Result<Recipient> {
        let r = sqlx::query("SELECT id, email, display_name, locale FROM users WHERE id = $1")
            .bind(user.0)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(Recipient {
            user_id: UserId(r.try_get("id")?),
            email: r.try_get("email")?,
            display_name: r.try_get("display_name")?,
            locale: r.try_get("locale")?,
        })
    }

    // ----- proposals ----------------------------------------------------

    pub async fn insert_proposal(
        &mut self,
        p: NewProposal<'_>,
        now: Timestamp,
    ) -> Result<ProposalId> {
        let action = p.action.map(|a| to_json("action", a)).transpose()?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO gov_proposals (body_id, author_user_id, author_label, stage, state, spec, visibility, action, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
        )
        .bind(p.body_id.0)
        .bind(p.author_user_id.map(|u| u.0))
        .bind(p.author_label)
        .bind(wire_name(&p.proposal.stage().kind()))
        .bind(to_json("proposal state", p.proposal)?)
        .bind(to_json("count spec", p.spec)?)
        .bind(visibility_str(p.visibility))
        .bind(action)
        .bind(now)
        .fetch_one(self.conn())
        .await?;
        Ok(ProposalId(id))
    }

    /// Writes back everything that changes after creation.
    pub async fn save_proposal(&mut self, p: &ProposalRecord, now: Timestamp) -> Result<()> {
        let done = sqlx::query(
            "UPDATE gov_proposals SET stage = $2, state = $3, spec = $4, action = $5, undo = $6, tally = $7, \
             outcome = $8, action_error = $9, rolled_back_at = $10, reminded_round = $11, due_at = $12, \
             updated_at = $13, appeal = $14 WHERE id = $1",
        )
        .bind(p.id.0)
        .bind(wire_name(&p.proposal.stage().kind()))
        .bind(to_json("proposal state", &p.proposal)?)
        .bind(to_json("count spec", &p.spec)?)
        .bind(p.action.as_ref().map(|a| to_json("action", a)).transpose()?)
        .bind(p.undo.as_ref().map(|a| to_json("undo", a)).transpose()?)
        .bind(p.tally.as_ref().map(|t| t.to_string()))
        .bind(&p.outcome)
        .bind(&p.action_error)
        .bind(p.rolled_back_at)
        .bind(i64::from(p.reminded_round))
        .bind(p.due_at)
        .bind(now)
        .bind(p.appeal.as_ref().map(|a| to_json("appeal", a)).transpose()?)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn proposal(&mut self, id: ProposalId) -> Result<ProposalRecord> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{PROPOSAL_SELECT} WHERE p.id = $1"
        )))
        .bind(id.0)
        .fetch_optional(self.conn())
        .await?
        .ok_or(StoreError::NotFound)?;
        proposal_from_row(&row)
    }

    /// Newest first; `body` and `stage` narrow.
    pub async fn proposals(
        &mut self,
        body: Option<BodyId>,
        stage: Option<&str>,
    ) -> Result<Vec<ProposalRecord>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{PROPOSAL_SELECT} WHERE ($1 IS NULL OR p.body_id = $1) AND ($2 IS NULL OR p.stage = $2) \
             ORDER BY p.id DESC LIMIT 500"
        )))
        .bind(body.map(|b| b.0))
        .bind(stage)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(proposal_from_row).collect()
    }

    /// Proposals whose next step is due at `now`, oldest due first.
    pub async fn proposals_due(&mut self, now: Timestamp) -> Result<Vec<ProposalId>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM gov_proposals WHERE due_at IS NOT NULL AND due_at <= $1 ORDER BY due_at, id LIMIT 200",
        )
        .bind(now)
        .fetch_all(self.conn())
        .await?;
        Ok(ids.into_iter().map(ProposalId).collect())
    }

    // ----- comments -----------------------------------------------------

    pub async fn insert_comment(
        &mut self,
        proposal: ProposalId,
        author: Option<UserId>,
        author_label: &str,
        body: &str,
        now: Timestamp,
    ) -> Result<CommentId> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO gov_comments (proposal_id, author_user_id, author_label, body, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(proposal.0)
        .bind(author.map(|u| u.0))
        .bind(author_label)
        .bind(body)
        .bind(now)
        .fetch_one(self.conn())
        .await?;
        Ok(CommentId(id))
    }

    pub async fn comments(&mut self, proposal: ProposalId) -> Result<Vec<Comment>> {
        let rows = sqlx::query("SELECT * FROM gov_comments WHERE proposal_id = $1 ORDER BY id")
            .bind(proposal.0)
            .fetch_all(self.conn())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Comment {
                    id: CommentId(r.try_get("id")?),
                    author_user_id: r.try_get::<Option<i64>, _>("author_user_id")?.map(UserId),
                    author_label: r.try_get("author_label")?,
                    body: r.try_get("body")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    // ----- ballots ------------------------------------------------------

    /// Casts or replaces the ballot under `key` for this round.
    #[allow(clippy::too_many_arguments)]
    pub async fn upsert_ballot(
        &mut self,
        proposal: ProposalId,
        round: u32,
        key: &str,
        text_hash: &str,
        content: &BallotContent,
        cast_by: Option<UserId>,
        cast_at: Option<Timestamp>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO gov_ballots (proposal_id, round, ballot_key, text_hash, content, cast_by_user_id, cast_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (proposal_id, round, ballot_key) DO UPDATE SET \
             text_hash = excluded.text_hash, content = excluded.content, \
             cast_by_user_id = excluded.cast_by_user_id, cast_at = excluded.cast_at",
        )
        .bind(proposal.0)
        .bind(i64::from(round))
        .bind(key)
        .bind(text_hash)
        .bind(to_json("ballot", content)?)
        .bind(cast_by.map(|u| u.0))
        .bind(cast_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn ballot(
        &mut self,
        proposal: ProposalId,
        round: u32,
        key: &str,
    ) -> Result<Option<StoredBallot>> {
        let row = sqlx::query(
            "SELECT * FROM gov_ballots WHERE proposal_id = $1 AND round = $2 AND ballot_key = $3",
        )
        .bind(proposal.0)
        .bind(i64::from(round))
        .bind(key)
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(ballot_from_row).transpose()
    }

    pub async fn ballots(&mut self, proposal: ProposalId, round: u32) -> Result<Vec<StoredBallot>> {
        let rows = sqlx::query(
            "SELECT * FROM gov_ballots WHERE proposal_id = $1 AND round = $2 ORDER BY ballot_key",
        )
        .bind(proposal.0)
        .bind(i64::from(round))
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(ballot_from_row).collect()
    }

    /// Replaces every ballot key of a secret vote with random bytes, so
    /// nothing can link a ballot to its voter once the vote is closed.
    pub async fn unlink_secret_ballots(&mut self, proposal: ProposalId, round: u32) -> Result<()> {
        sqlx::query(
            "UPDATE gov_ballots SET ballot_key = 'sealed:' || lower(hex(randomblob(32))), cast_by_user_id = NULL, \
             cast_at = NULL WHERE proposal_id = $1 AND round = $2",
        )
        .bind(proposal.0)
        .bind(i64::from(round))
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn record_participation(
        &mut self,
        proposal: ProposalId,
        round: u32,
        voter: Voter,
    ) -> Result<()> {
        sqlx::query(
            "INSERT OR IGNORE INTO gov_participation (proposal_id, round, voter) VALUES ($1, $2, $3)",
        )
        .bind(proposal.0)
        .bind(i64::from(round))
        .bind(voter.key())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn participants(&mut self, proposal: ProposalId, round: u32) -> Result<Vec<Voter>> {
        let keys: Vec<String> = sqlx::query_scalar(
            "SELECT voter FROM gov_participation WHERE proposal_id = $1 AND round = $2 ORDER BY voter",
        )
        .bind(proposal.0)
        .bind(i64::from(round))
        .fetch_all(self.conn())
        .await?;
        keys.iter()
            .map(|k| Voter::parse(k).ok_or_else(|| StoreError::Unreadable(format!("voter {k:?}"))))
            .collect()
    }

    // ----- one-time vote links -------------------------------------------

    pub async fn insert_vote_link(&mut self, token_hash: &str, link: &VoteLinkRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO gov_vote_links (token_hash, proposal_id, round, voter, user_id, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(link.proposal_id.0)
        .bind(i64::from(link.round))
        .bind(link.voter.key())
        .bind(link.user_id.0)
        .bind(link.expires_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn vote_link(&mut self, token_hash: &str) -> Result<VoteLinkRow> {
        let r = sqlx::query("SELECT * FROM gov_vote_links WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        let voter: String = r.try_get("voter")?;
        Ok(VoteLinkRow {
            proposal_id: ProposalId(r.try_get("proposal_id")?),
            round: u32::try_from(r.try_get::<i64, _>("round")?).unwrap_or(0),
            voter: Voter::parse(&voter)
                .ok_or_else(|| StoreError::Unreadable(format!("voter {voter:?}")))?,
            user_id: UserId(r.try_get("user_id")?),
            expires_at: r.try_get("expires_at")?,
            used_at: r.try_get("used_at")?,
        })
    }

    /// Marks a link used; `false` if it already was (a second use loses).
    pub async fn use_vote_link(&mut self, token_hash: &str, now: Timestamp) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE gov_vote_links SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL",
        )
        .bind(token_hash)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    // ----- decision log -------------------------------------------------

    /// Appends an entry chained to the newest one. Safe for the same reason
    /// as `insert_audit`: writes run in `BEGIN IMMEDIATE` transactions.
    pub async fn append_decision(
        &mut self,
        d: NewDecision,
        now: Timestamp,
    ) -> Result<DecisionEntry> {
        let last = sqlx::query("SELECT id, hash FROM decision_log ORDER BY id DESC LIMIT 1")
            .fetch_optional(self.conn())
            .await?;
        let (id, prev_hash) = match last {
            None => (1, GENESIS.to_owned()),
            Some(row) => (row.try_get::<i64, _>("id")? + 1, row.try_get("hash")?),
        };
        let mut entry = DecisionEntry {
            id,
            at: now,
            proposal_id: d.proposal_id.0,
            event: d.event.to_owned(),
            body: d.body,
            title: d.title,
            text: d.text,
            text_hash: d.text_hash,
            method: d.method,
            tally: d.tally,
            outcome: d.outcome,
            detail: d.detail,
            prev_hash,
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        sqlx::query(
            "INSERT INTO decision_log (id, at, proposal_id, event, body, title, text, text_hash, method, tally, \
             outcome, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(entry.id)
        .bind(entry.at)
        .bind(entry.proposal_id)
        .bind(&entry.event)
        .bind(&entry.body)
        .bind(&entry.title)
        .bind(&entry.text)
        .bind(&entry.text_hash)
        .bind(&entry.method)
        .bind(&entry.tally)
        .bind(&entry.outcome)
        .bind(&entry.detail)
        .bind(&entry.prev_hash)
        .bind(&entry.hash)
        .execute(self.conn())
        .await?;
        Ok(entry)
    }

    /// Newest first, `limit` entries with an id below `before`.
    pub async fn decisions(
        &mut self,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<DecisionEntry>> {
        let rows = sqlx::query(
            "SELECT * FROM decision_log WHERE ($1 IS NULL OR id < $1) ORDER BY id DESC LIMIT $2",
        )
        .bind(before)
        .bind(limit.clamp(1, 500))
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(decision_from_row).collect()
    }

    pub async fn decision(&mut self, id: i64) -> Result<DecisionEntry> {
        let row = sqlx::query("SELECT * FROM decision_log WHERE id = $1")
            .bind(id)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        decision_from_row(&row)
    }

    pub async fn decisions_of(&mut self, proposal: ProposalId) -> Result<Vec<DecisionEntry>> {
        let rows = sqlx::query("SELECT * FROM decision_log WHERE proposal_id = $1 ORDER BY id")
            .bind(proposal.0)
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(decision_from_row).collect()
    }

    /// Walks the decision log's chain, like `verify_audit_chain`.
    pub async fn verify_decision_chain(&mut self) -> Result<ChainReport> {
        self.verify_chain(
            "SELECT * FROM decision_log WHERE id > $1 ORDER BY id LIMIT 1000",
            |row| {
                let e = decision_from_row(row)?;
                let hash = Some(e.hash.clone());
                Ok((e, hash))
            },
        )
        .await
    }

    // ----- platform settings --------------------------------------------

    pub async fn setting(&mut self, key: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM platform_settings WHERE key = $1")
                .bind(key)
                .fetch_optional(self.conn())
                .await?,
        )
    }

    pub async fn set_setting(&mut self, key: &str, value: &str, now: Timestamp) -> Result<()> {
        sqlx::query(
            "INSERT INTO platform_settings (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(value)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}

fn ballot_from_row(r: &SqliteRow) -> Result<StoredBallot> {
    Ok(StoredBallot {
        key: r.try_get("ballot_key")?,
        text_hash: r.try_get("text_hash")?,
        content: from_json("ballot", r.try_get("content")?)?,
        cast_by: r.try_get::<Option<i64>, _>("cast_by_user_id")?.map(UserId),
        cast_at: r.try_get("cast_at")?,
    })
}
