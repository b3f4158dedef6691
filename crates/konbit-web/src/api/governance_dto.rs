//! The API's JSON shapes for co-op governance. The rules, ballots, platform
//! actions and tie rules are the core's own JSON (the same the store keeps
//! and the decision log publishes), so a program writes them once for the
//! API, the CLI and its own records; everything else is flattened into
//! plain fields.

use konbit_app::governance::{ActionPreview, BodyInput, DecisionPage, ProposalView};
use konbit_core::governance::action::PlatformAction;
use konbit_core::governance::ballot::BallotContent;
use konbit_core::governance::decision_log::DecisionEntry;
use konbit_core::governance::proposal::Stage;
use konbit_core::governance::record::{Body, BodyMember, Comment, ProposalRecord};
use konbit_core::governance::rules::{BodyKind, DecisionRules, Method};
use konbit_core::governance::schulze::TieBreak;
use konbit_core::governance::voter::Voter;
use konbit_core::{FieldError, Rule};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// A core value as JSON; these types always serialize.
fn json<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// A unit enum's snake_case name (`yes_no`, `voting`…).
use konbit_core::governance::wire_name as tag;

// ---------------------------------------------------------------- bodies

/// A body that decides: the general assembly, the board or a committee,
/// with the rules its bylaws give it.
#[derive(Serialize, ToSchema)]
pub struct BodyDto {
    pub id: i64,
    #[schema(example = "General assembly")]
    pub name: String,
    /// `general_assembly`, `board` or `committee` (the same as
    /// `rules.body`).
    #[schema(example = "general_assembly")]
    pub kind: String,
    /// The decision rules: `body`, `weighting` (`one_vote_per_account` or
    /// `one_vote_per_person`), `proposers` (`any_member_of_body`,
    /// `board_only`, `admins_only`), `default_method` (`yes_no`, `consent`,
    /// `schulze`, `approval`, `time_poll`), `yes_no` (`quorum`, `threshold`,
    /// `abstentions`), `consent` (`max_rounds`), `discussion_seconds`,
    /// `vote_seconds`, `appeal_window_seconds` and `visibility`
    /// (`public_to_members` or `secret`).
    #[schema(value_type = Object)]
    pub rules: Value,
    /// People named on a board or committee; 0 for a general assembly,
    /// whose voters are the member accounts.
    pub member_count: i64,
    pub created_at: i64,
}

impl From<Body> for BodyDto {
    fn from(b: Body) -> Self {
        Self {
            id: b.id.0,
            name: b.name.to_string(),
            kind: tag(&b.rules.body),
            rules: json(&b.rules),
            member_count: b.member_count,
            created_at: b.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct BodyMemberDto {
    pub user_id: i64,
    #[schema(example = "camille@coop.example")]
    pub email: String,
    pub display_name: String,
}

impl From<BodyMember> for BodyMemberDto {
    fn from(m: BodyMember) -> Self {
        Self {
            user_id: m.user_id.0,
            email: m.email.to_string(),
            display_name: m.display_name.to_string(),
        }
    }
}

/// A body with the people named on it.
#[derive(Serialize, ToSchema)]
pub struct BodyDetailDto {
    #[serde(flatten)]
    pub body: BodyDto,
    /// Empty for a general assembly.
    pub members: Vec<BodyMemberDto>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBodyBody {
    /// 1 to 100 characters; unique.
    #[schema(example = "General assembly")]
    pub name: String,
    /// `general_assembly`, `board` or `committee`. Left out: the kind of
    /// `rules`. Without `rules`, the body starts with the usual rules of
    /// its kind, to be adjusted to the bylaws.
    #[schema(value_type = Option<String>, example = "general_assembly")]
    pub kind: Option<BodyKind>,
    /// The decision rules (see `BodyDto.rules`).
    #[schema(value_type = Option<Object>)]
    pub rules: Option<DecisionRules>,
    /// The e-mail addresses of a board's or committee's people (each must
    /// be a person of the co-op); ignored for a general assembly.
    #[serde(default)]
    pub members: Vec<String>,
}

impl CreateBodyBody {
    pub fn into_input(self) -> Result<BodyInput, FieldError> {
        let rules = match (self.kind, self.rules) {
            (Some(kind), Some(rules)) if kind != rules.body => {
                return Err(FieldError::new("kind", Rule::UnknownChoice));
            }
            (_, Some(rules)) => rules,
            (Some(kind), None) => DecisionRules::default_for(kind),
            (None, None) => return Err(FieldError::new("rules", Rule::Required)),
        };
        Ok(BodyInput {
            name: self.name,
            rules,
            members: self.members,
        })
    }
}

/// What changes; what is left out stays. The kind of a body never changes.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBodyBody {
    pub name: Option<String>,
    /// The whole rules, replacing the current ones. A vote already open
    /// keeps the rules it opened with.
    #[schema(value_type = Option<Object>)]
    pub rules: Option<DecisionRules>,
    /// The people of a board or committee, by e-mail address: the whole
    /// list.
    pub members: Option<Vec<String>>,
}

impl UpdateBodyBody {
    pub fn apply_to(self, body: &Body, members: &[BodyMember]) -> BodyInput {
        BodyInput {
            name: self.name.unwrap_or_else(|| body.name.to_string()),
            rules: self.rules.unwrap_or(body.rules),
            members: self
                .members
                .unwrap_or_else(|| members.iter().map(|m| m.email.to_string()).collect()),
        }
    }
}

// ---------------------------------------------------------------- proposals

/// A proposal as every list shows it.
#[derive(Serialize, ToSchema)]
pub struct ProposalDto {
    pub id: i64,
    pub body_id: i64,
    /// The body's name.
    pub body: String,
    pub author_user_id: Option<i64>,
    /// Who wrote it, as they were known then.
    pub author: String,
    pub title: String,
    pub text: String,
    /// `draft`, `discussion`, `voting`, `closed`, `applied`, `rejected` or
    /// `withdrawn`.
    #[schema(example = "voting")]
    pub stage: String,
    /// `yes_no`, `consent`, `schulze`, `approval` or `time_poll`.
    #[schema(example = "yes_no")]
    pub method: String,
    /// The options of a ranked or approval vote, or a time poll's slots.
    pub options: Vec<String>,
    /// The round of a consent decision (1 otherwise).
    pub round: u32,
    /// `public_to_members` or `secret`.
    pub visibility: String,
    /// How a ranked vote breaks a tie: `"status_quo_wins"` or
    /// `{"published_order": [...]}`.
    #[schema(value_type = Object)]
    pub tie_break: Value,
    /// The hash (SHA-256, hex) of the title and text as they are now: a
    /// ballot names it, and is refused if the text changed since.
    pub text_hash: String,
    /// The platform change adoption makes, if any (`kind`-tagged:
    /// `set_quota_limits`, `admit_account`, `lock_account`,
    /// `unlock_account`, `set_zone_defaults`).
    #[schema(value_type = Option<Object>)]
    pub action: Option<Value>,
    /// What undoes the action, recorded when it was applied.
    #[schema(value_type = Option<Object>)]
    pub undo: Option<Value>,
    /// The published tally of the last count.
    #[schema(value_type = Option<Object>)]
    pub tally: Option<Value>,
    /// `adopted`, `rejected` or `quorum_missed` once counted.
    pub outcome: Option<String>,
    /// Why the action could not be applied, if it failed: an error code of
    /// the API's problems, then what it names (`not_found`,
    /// `duplicate: name`).
    pub action_error: Option<String>,
    pub rolled_back_at: Option<i64>,
    /// An appeal lodged during the appeal window: who, why, when, and how
    /// the admins settled it (`settled.upheld`).
    #[schema(value_type = Option<Object>)]
    pub appeal: Option<Value>,
    /// Unix seconds. During discussion: when it ends and the vote opens.
    pub discussion_ends_at: Option<i64>,
    pub vote_opens_at: Option<i64>,
    pub vote_closes_at: Option<i64>,
    /// Once adopted with a platform action: when the appeal window ends
    /// and the action is applied.
    pub applicable_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<&ProposalRecord> for ProposalDto {
    fn from(r: &ProposalRecord) -> Self {
        let (discussion_ends_at, vote_opens_at, vote_closes_at) = match r.proposal.stage() {
            Stage::Discussion { ends_at, .. } => (Some(*ends_at), Some(*ends_at), None),
            Stage::Voting { vote }
            | Stage::Closed { vote, .. }
            | Stage::Applied { vote, .. }
            | Stage::Rejected { vote, .. } => (None, Some(vote.opened_at), Some(vote.closes_at)),
            Stage::Draft | Stage::Withdrawn { .. } => (None, None, None),
        };
        Self {
            id: r.id.0,
            body_id: r.body_id.0,
            body: r.body_name.clone(),
            author_user_id: r.author_user_id.map(|u| u.0),
            author: r.author_label.clone(),
            title: r.proposal.title().to_owned(),
            text: r.proposal.body().to_owned(),
            stage: tag(&r.proposal.stage().kind()),
            method: tag(&r.spec.method),
            options: r.spec.options.clone(),
            round: r.spec.round,
            visibility: tag(&r.visibility),
            tie_break: json(&r.spec.tie_break),
            text_hash: r.proposal.current_hash().as_str().to_owned(),
            action: r.action.as_ref().map(json),
            undo: r.undo.as_ref().map(json),
            tally: r.tally.clone(),
            outcome: r.outcome.clone(),
            action_error: r.action_error.clone(),
            rolled_back_at: r.rolled_back_at,
            appeal: r.appeal.as_ref().map(json),
            discussion_ends_at,
            vote_opens_at,
            vote_closes_at,
            applicable_at: r.proposal.applicable_at(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CommentDto {
    pub id: i64,
    pub author_user_id: Option<i64>,
    pub author: String,
    pub body: String,
    pub created_at: i64,
}

impl From<Comment> for CommentDto {
    fn from(c: Comment) -> Self {
        Self {
            id: c.id.0,
            author_user_id: c.author_user_id.map(|u| u.0),
            author: c.author_label,
            body: c.body,
            created_at: c.created_at,
        }
    }
}

/// A ballot of a public vote, as members see it.
#[derive(Serialize, ToSchema)]
pub struct PublicBallotDto {
    /// `account:3` or `person:5`.
    #[schema(example = "account:3")]
    pub voter: String,
    pub label: String,
    /// The ballot (`method`-tagged, see `BallotBody.ballot`).
    #[schema(value_type = Object)]
    pub ballot: Value,
    pub cast_at: Option<i64>,
}

/// A voter the caller speaks for in the open vote (themselves, or an
/// account they own), with the ballot cast as that voter so far.
#[derive(Serialize, ToSchema)]
pub struct VoterChoiceDto {
    #[schema(example = "account:3")]
    pub voter: String,
    pub label: String,
    #[schema(value_type = Option<Object>)]
    pub ballot: Option<Value>,
}

/// One value a platform action changes.
#[derive(Serialize, ToSchema)]
pub struct PreviewLineDto {
    #[schema(example = "mailboxes")]
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// What a proposal's platform action would do if applied now.
#[derive(Serialize, ToSchema)]
pub struct ActionPreviewDto {
    #[schema(value_type = Object)]
    pub action: Value,
    /// The quota profile or account the action is about, by name.
    pub target: String,
    pub changes: Vec<PreviewLineDto>,
    /// The accounts the change reaches (every account on a profile).
    pub affected_accounts: Vec<String>,
    /// Worth knowing before voting (`kind`-tagged: `over_new_limit`,
    /// `name_taken`, `already_so`); none stops the action.
    #[schema(value_type = Vec<Object>)]
    pub problems: Vec<Value>,
}

impl From<ActionPreview> for ActionPreviewDto {
    fn from(p: ActionPreview) -> Self {
        Self {
            action: json(&p.action),
            target: p.target,
            changes: p
                .changes
                .into_iter()
                .map(|l| PreviewLineDto {
                    field: l.field,
                    before: l.before,
                    after: l.after,
                })
                .collect(),
            affected_accounts: p.affected_accounts,
            problems: p.problems.iter().map(json).collect(),
        }
    }
}

/// A proposal with its discussion, its ballots when the vote is public,
/// the caller's own voters and what the caller may do with it.
#[derive(Serialize, ToSchema)]
pub struct ProposalViewDto {
    #[serde(flatten)]
    pub proposal: ProposalDto,
    /// The size of the electorate frozen when the vote opened (0 before).
    pub electorate: u64,
    /// How many voters took part in the current round.
    pub participation: u64,
    pub comments: Vec<CommentDto>,
    /// Empty while the vote is secret.
    pub ballots: Vec<PublicBallotDto>,
    /// Whom the caller may vote as now; pass one as `voter` when there are
    /// several.
    pub my_voters: Vec<VoterChoiceDto>,
    pub may_edit: bool,
    pub may_withdraw: bool,
    pub may_start_discussion: bool,
    pub may_comment: bool,
    pub may_roll_back: bool,
    /// An admin, when carrying out the adopted decision failed
    /// (`proposal.action_error`).
    pub may_retry_apply: bool,
    /// A voter of an adopted decision, during its appeal window.
    pub may_appeal: bool,
    /// An admin, while an appeal waits.
    pub may_settle_appeal: bool,
    /// Until the vote closes: what the platform action would do now.
    pub preview: Option<ActionPreviewDto>,
    /// The proposal's entries in the public decision log.
    pub decisions: Vec<DecisionDto>,
}

impl From<ProposalView> for ProposalViewDto {
    fn from(v: ProposalView) -> Self {
        Self {
            proposal: ProposalDto::from(&v.record),
            electorate: u64::try_from(v.electorate).unwrap_or(u64::MAX),
            participation: u64::try_from(v.participation).unwrap_or(u64::MAX),
            comments: v.comments.into_iter().map(CommentDto::from).collect(),
            ballots: v
                .ballots
                .into_iter()
                .map(|b| PublicBallotDto {
                    voter: b.voter,
                    label: b.label,
                    ballot: json(&b.content),
                    cast_at: b.cast_at,
                })
                .collect(),
            my_voters: v
                .my_voters
                .into_iter()
                .map(|c| VoterChoiceDto {
                    voter: c.voter.key(),
                    label: c.label,
                    ballot: c.ballot.as_ref().map(json),
                })
                .collect(),
            may_edit: v.may_edit,
            may_withdraw: v.may_withdraw,
            may_start_discussion: v.may_start_discussion,
            may_comment: v.may_comment,
            may_roll_back: v.may_roll_back,
            may_retry_apply: v.may_retry_apply,
            may_appeal: v.may_appeal,
            may_settle_appeal: v.may_settle_appeal,
            preview: v.preview.map(ActionPreviewDto::from),
            decisions: v.decisions.into_iter().map(DecisionDto::from).collect(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProposalBody {
    pub body_id: i64,
    /// One line, up to 200 characters.
    #[schema(example = "Twenty mailboxes per member")]
    pub title: String,
    /// The motion with its reasons, up to 20,000 characters.
    pub text: String,
    /// `yes_no`, `consent`, `schulze`, `approval` or `time_poll`; left out:
    /// the body's default method. A proposal with an `action` is voted
    /// yes/no or by consent.
    #[schema(value_type = Option<String>, example = "yes_no")]
    pub method: Option<Method>,
    /// The options of a ranked or approval vote, or a time poll's slots.
    #[serde(default)]
    pub options: Vec<String>,
    /// A platform change adoption makes, `kind`-tagged, for example
    /// `{"kind": "set_quota_limits", "profile_id": 1, "limits": {...}}`.
    #[schema(value_type = Option<Object>)]
    pub action: Option<PlatformAction>,
    /// How a ranked vote breaks a tie; left out: `"status_quo_wins"`.
    #[schema(value_type = Option<Object>)]
    pub tie_break: Option<TieBreak>,
}

/// What changes while the proposal is a draft or under discussion; what
/// is left out stays.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProposalBody {
    pub title: Option<String>,
    pub text: Option<String>,
    pub options: Option<Vec<String>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealBody {
    /// Why the decision should not apply; up to 2,000 characters.
    pub reason: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealDecisionBody {
    /// `true`: the decision is set aside; `false`: it applies.
    pub uphold: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    /// Up to 5,000 characters.
    pub body: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BallotBody {
    /// The `text_hash` of the text the voter read.
    pub text_hash: String,
    /// `method`-tagged: `{"method": "yes_no", "choice": "yes"}` (`yes`,
    /// `no`, `abstain`); `{"method": "consent", "response": {"kind":
    /// "consent"}}` (or `stand_aside`, `objection` / `block` with a
    /// `reason`); `{"method": "schulze", "ranking": [["a"], ["b", "status
    /// quo"]]}`; `{"method": "approval", "approved": ["a"]}`;
    /// `{"method": "time_poll", "answers": [{"slot": "...",
    /// "availability": "yes"}]}`.
    #[schema(value_type = Object)]
    pub ballot: BallotContent,
    /// Whom to vote as (`account:3` or `person:5`), when the caller speaks
    /// for several voters (see `my_voters`).
    #[schema(example = "account:3")]
    pub voter: Option<String>,
}

impl BallotBody {
    pub fn voter(&self) -> Result<Option<Voter>, FieldError> {
        match self.voter.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(key) => Voter::parse(key)
                .map(Some)
                .ok_or_else(|| FieldError::new("voter", Rule::UnknownChoice)),
        }
    }
}

// ---------------------------------------------------------------- decisions

/// An entry of the public decision log. The chain hash covers every field
/// as shown, `tally` and `detail` as these exact strings.
#[derive(Serialize, ToSchema)]
pub struct DecisionDto {
    pub id: i64,
    pub at: i64,
    pub proposal_id: i64,
    /// `decided`, `applied`, `effective`, `rolled_back` or `withdrawn`.
    #[schema(example = "decided")]
    pub event: String,
    /// The body's name.
    pub body: String,
    pub title: String,
    pub text: String,
    pub text_hash: String,
    pub method: String,
    /// JSON text: the published tally (on `decided`).
    pub tally: Option<String>,
    /// `adopted`, `rejected`, `quorum_missed`…
    pub outcome: String,
    /// JSON text: the platform action and what it did, when there is one.
    pub detail: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl From<DecisionEntry> for DecisionDto {
    fn from(e: DecisionEntry) -> Self {
        Self {
            id: e.id,
            at: e.at,
            proposal_id: e.proposal_id,
            event: e.event,
            body: e.body,
            title: e.title,
            text: e.text,
            text_hash: e.text_hash,
            method: e.method,
            tally: e.tally,
            outcome: e.outcome,
            detail: e.detail,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

/// A page of the decision log, newest first.
#[derive(Serialize, ToSchema)]
pub struct DecisionPageDto {
    pub entries: Vec<DecisionDto>,
    /// The hash of the newest entry of the whole log: keep it to check
    /// later that nothing before it was changed.
    pub head: String,
    /// Pass as `before` for the next (older) page; null on the last page.
    pub next_before: Option<i64>,
}

impl From<DecisionPage> for DecisionPageDto {
    fn from(p: DecisionPage) -> Self {
        Self {
            entries: p.entries.into_iter().map(DecisionDto::from).collect(),
            head: p.head,
            next_before: p.next_before,
        }
    }
}

/// The first entry that breaks the chain.
#[derive(Serialize, ToSchema)]
pub struct ChainBreakDto {
    pub id: i64,
    pub at: i64,
    pub event: String,
    /// `unhashed`, `modified` (its fields do not match its hash) or
    /// `unlinked` (an entry before it was removed, or entries reordered).
    pub problem: String,
}

/// The whole decision log, checked entry by entry.
#[derive(Serialize, ToSchema)]
pub struct ChainReportDto {
    /// How many entries were checked.
    pub entries: u64,
    /// The hash of the newest entry.
    pub head: String,
    /// True when no entry breaks the chain.
    pub intact: bool,
    pub first_bad: Option<ChainBreakDto>,
}

impl From<konbit_store::ChainReport> for ChainReportDto {
    fn from(r: konbit_store::ChainReport) -> Self {
        Self {
            entries: r.entries,
            head: r.head,
            intact: r.first_bad.is_none(),
            first_bad: r.first_bad.map(|b| ChainBreakDto {
                id: b.id,
                at: b.at,
                event: b.action,
                problem: b.problem.as_str().to_owned(),
            }),
        }
    }
}
