//! `konbit governance …` and `konbit decisions …`: the co-op's bodies and
//! their rules, proposals from draft to decision, the housekeeping step
//! run by hand, the digest, and the public decision log with its chain
//! check. `--output json` prints the API's shapes.
//!
//! The operator does not vote here: a vote is a person's own, cast in the
//! panel, through the API with the person's token, or with the one-time
//! link e-mailed when the vote opens.
//!
//! Exit codes: the usual ones (3 conflict, such as the wrong stage; 4 not
//! found; 5 invalid input, including a rules or action file that does not
//! fit); `decisions verify` exits with 1 after naming the first bad entry
//! when the decision log's chain is broken.

use crate::output::{EXIT_CONFLICT, EXIT_FAILURE, EXIT_INVALID, Format, fail, print, tr};
use clap::{Subcommand, ValueEnum};
use konbit_app::audit::iso_time;
use konbit_app::governance::{BodyInput, ProposalInput, TickReport};
use konbit_app::{App, AppError};
use konbit_core::ErrorCode;
use konbit_core::authz::Actor;
use konbit_core::governance::action::PlatformAction;
use konbit_core::governance::counting::{AbstentionsIn, Bound, Quorum, Threshold};
use konbit_core::governance::proposal::StageKind;
use konbit_core::governance::rules::{
    BallotVisibility, BodyKind, DecisionRules, DurationField, Method, Proposers, RuleProblem,
    Weighting,
};
use konbit_core::model::{BodyId, ProposalId};
use konbit_web::api::governance_dto::{
    ActionPreviewDto, BodyDetailDto, BodyDto, BodyMemberDto, ChainReportDto, DecisionDto,
    DecisionPageDto, ProposalDto, ProposalViewDto,
};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The note every voting question gets.
const NO_VOTING_HERE: &str = "The operator's command line does not vote: a vote is personal. \
Members vote in the panel, through the API with their own token, or with the one-time link \
e-mailed to them when a vote opens.";

#[derive(Subcommand, Debug)]
#[command(after_help = NO_VOTING_HERE)]
pub enum GovernanceCommand {
    /// Bodies (the general assembly, the board, committees) and their decision rules.
    #[command(subcommand)]
    Body(BodyCommand),
    /// Proposals: write one, open its discussion, withdraw it, preview its
    /// platform action, roll back an applied decision. Votes open and close by themselves.
    #[command(subcommand, after_help = NO_VOTING_HERE)]
    Proposal(ProposalCommand),
    /// Run the lifecycle step now (the server does it every 30 seconds):
    /// open votes whose discussion ended, send reminders, count closed
    /// votes, apply adopted actions whose appeal window is over.
    Tick,
    /// Send the weekly governance digest (open votes, recent decisions and
    /// the decision log's head hash) if a week has passed since the last one.
    Digest {
        /// Send it now, whenever the last one went out.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum BodyCommand {
    /// List the bodies.
    List,
    /// Show a body: its rules in plain words, and its people.
    Show {
        /// The body: its id or its name.
        body: String,
    },
    /// Add a body. Without --rules-file it starts with the usual rules of its kind.
    Add {
        /// Its name, unique.
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        kind: KindArg,
        /// A JSON file of decision rules; the fields it leaves out keep the
        /// kind's usual value (`konbit governance body show <id> --output json`
        /// prints them all).
        #[arg(long, value_name = "FILE")]
        rules_file: Option<PathBuf>,
        /// A board's or committee's person, by e-mail address (repeatable).
        #[arg(long = "member", value_name = "EMAIL")]
        members: Vec<String>,
    },
    /// Change a body; what is not given stays. New rules apply to votes
    /// opened from now on; a body's kind never changes.
    Update {
        /// The body: its id or its name.
        body: String,
        #[arg(long)]
        name: Option<String>,
        /// A JSON file of decision rules; the fields it leaves out stay as they are.
        #[arg(long, value_name = "FILE")]
        rules_file: Option<PathBuf>,
        /// The board's or committee's people, by e-mail address (repeatable;
        /// the list replaces the current one).
        #[arg(long = "member", value_name = "EMAIL", conflicts_with = "no_members")]
        members: Vec<String>,
        /// Take every person off the board or committee.
        #[arg(long)]
        no_members: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ProposalCommand {
    /// List proposals, newest first (drafts included: the operator sees them all).
    List {
        /// Only this body's (its id or its name).
        #[arg(long)]
        body: Option<String>,
        #[arg(long, value_enum)]
        stage: Option<StageArg>,
    },
    /// Show a proposal: its text, its dates, its platform action, its comments and decisions.
    Show { id: i64 },
    /// Write a proposal (a draft, written as the operator `cli`); `discuss` opens it to the members.
    Add {
        /// The body that decides (its id or its name).
        #[arg(long)]
        body: String,
        /// One line.
        #[arg(long)]
        title: String,
        /// The motion with its reasons.
        #[arg(
            long,
            required_unless_present = "text_file",
            conflicts_with = "text_file"
        )]
        text: Option<String>,
        /// Read the text from this file (`-`: standard input).
        #[arg(long, value_name = "FILE")]
        text_file: Option<PathBuf>,
        /// How it is decided [default: the body's default method].
        #[arg(long, value_enum)]
        method: Option<MethodArg>,
        /// An option of a ranked or approval vote, or a time poll's slot (repeatable).
        #[arg(long = "option", value_name = "OPTION")]
        options: Vec<String>,
        /// A JSON file with the platform change adoption makes, e.g.
        /// `{"kind": "set_quota_limits", "profile_id": 1, "limits": {…}}`
        /// (yes/no or consent only).
        #[arg(long, value_name = "FILE")]
        action_file: Option<PathBuf>,
    },
    /// Open a draft's discussion; the vote opens by itself when it ends.
    Discuss { id: i64 },
    /// Withdraw a draft or a proposal under discussion (recorded in the decision log).
    Withdraw { id: i64 },
    /// Undo an applied decision's platform action (once).
    Rollback { id: i64 },
    /// Carry out again an adopted decision whose platform action failed,
    /// once its cause is removed.
    Retry { id: i64 },
    /// Settle an appeal lodged during the appeal window: `--uphold` sets the
    /// decision aside, `--dismiss` lets it apply.
    Appeal {
        id: i64,
        #[arg(long, conflicts_with = "dismiss", required_unless_present = "dismiss")]
        uphold: bool,
        #[arg(long)]
        dismiss: bool,
    },
    /// What the proposal's platform action would change if applied now.
    Preview { id: i64 },
}

#[derive(Subcommand, Debug)]
pub enum DecisionsCommand {
    /// List the decision log, newest first.
    List {
        /// How many entries, 1 to 500.
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// Only entries older than this id (the `next` a page prints).
        #[arg(long)]
        before: Option<i64>,
    },
    /// Check the decision log's hash chain; exits with 1 and names the
    /// first bad entry if one was modified, deleted or reordered, and
    /// prints the head hash to compare with the one a digest gave.
    Verify,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// Every member account (or person) votes.
    GeneralAssembly,
    /// The people named on it vote.
    Board,
    /// The people named on it vote.
    Committee,
}

impl KindArg {
    fn kind(self) -> BodyKind {
        match self {
            Self::GeneralAssembly => BodyKind::GeneralAssembly,
            Self::Board => BodyKind::Board,
            Self::Committee => BodyKind::Committee,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// Yes, no or abstain, with the body's quorum and threshold.
    YesNo,
    /// Consent rounds: objections send it back to discussion.
    Consent,
    /// Rank the options (and the status quo); Schulze's method.
    Schulze,
    /// Approve any number of options; the most approved wins.
    Approval,
    /// Find a date: yes, if need be, or no for each slot.
    TimePoll,
}

impl MethodArg {
    fn method(self) -> Method {
        match self {
            Self::YesNo => Method::YesNo,
            Self::Consent => Method::Consent,
            Self::Schulze => Method::Schulze,
            Self::Approval => Method::Approval,
            Self::TimePoll => Method::TimePoll,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StageArg {
    Draft,
    Discussion,
    Voting,
    Closed,
    Applied,
    Rejected,
    Withdrawn,
}

impl StageArg {
    fn stage(self) -> StageKind {
        match self {
            Self::Draft => StageKind::Draft,
            Self::Discussion => StageKind::Discussion,
            Self::Voting => StageKind::Voting,
            Self::Closed => StageKind::Closed,
            Self::Applied => StageKind::Applied,
            Self::Rejected => StageKind::Rejected,
            Self::Withdrawn => StageKind::Withdrawn,
        }
    }
}

/// What stops a command: the service's refusal, or a file or argument
/// the command itself could not use.
enum Failure {
    App(AppError),
    Input { message: String, code: u8 },
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

fn invalid(message: impl Into<String>) -> Failure {
    Failure::Input {
        message: message.into(),
        code: EXIT_INVALID,
    }
}

type Outcome = Result<(), Failure>;

// ---------------------------------------------------------------- words

/// A snake_case name of a unit enum (`yes_no`, `voting`…).
use konbit_core::governance::wire_name as tag;

/// "7 days", "36 hours", "90 minutes", "0 seconds".
fn duration(seconds: u64) -> String {
    let (n, unit) = if seconds > 0 && seconds.is_multiple_of(86_400) {
        (seconds / 86_400, "day")
    } else if seconds > 0 && seconds.is_multiple_of(3600) {
        (seconds / 3600, "hour")
    } else if seconds > 0 && seconds.is_multiple_of(60) {
        (seconds / 60, "minute")
    } else {
        (seconds, "second")
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

fn kind_words(k: BodyKind) -> &'static str {
    match k {
        BodyKind::GeneralAssembly => "general assembly",
        BodyKind::Board => "board",
        BodyKind::Committee => "committee",
    }
}

fn method_words(m: Method) -> &'static str {
    match m {
        Method::YesNo => "yes/no vote",
        Method::Consent => "consent",
        Method::Schulze => "ranked vote (Schulze)",
        Method::Approval => "approval vote",
        Method::TimePoll => "time poll",
    }
}

fn quorum_words(q: Quorum) -> String {
    match q {
        Quorum::None => "no quorum".into(),
        Quorum::AtLeastVotes { votes } => format!("at least {votes} votes cast"),
        Quorum::Fraction {
            bound,
            numerator,
            denominator,
        } => format!(
            "{} {numerator}/{denominator} of the voters take part (abstaining counts)",
            match bound {
                Bound::AtLeast => "at least",
                Bound::MoreThan => "more than",
            }
        ),
    }
}

fn threshold_words(t: Threshold) -> &'static str {
    match t {
        Threshold::MoreThanHalf => "more than half vote yes (a tie fails)",
        Threshold::AtLeastHalf => "at least half vote yes (a tie passes)",
        Threshold::AtLeastTwoThirds => "at least two thirds vote yes",
        Threshold::MoreThanTwoThirds => "more than two thirds vote yes",
        Threshold::Unanimity => "everyone votes yes",
    }
}

/// The rules as sentences, one a line, indented.
fn rules_text(r: &DecisionRules) -> String {
    let voters = match (r.body, r.weighting) {
        (BodyKind::GeneralAssembly, Weighting::OneVotePerAccount) => {
            "every member account votes, one vote each"
        }
        (BodyKind::GeneralAssembly, Weighting::OneVotePerPerson) => {
            "every person of a member account votes once, however many accounts they are in"
        }
        _ => "the people named on it vote, one vote each",
    };
    let proposers = match r.proposers {
        Proposers::AnyMemberOfBody => "any of its voters (and the admins)",
        Proposers::BoardOnly => "the board's people (and the admins)",
        Proposers::AdminsOnly => "the admins only",
    };
    let abstentions = match r.yes_no.abstentions {
        AbstentionsIn::Quorum => "abstentions count toward the quorum, not the majority",
        AbstentionsIn::QuorumAndBase => {
            "abstentions count toward the quorum and the majority (abstaining weighs like no)"
        }
    };
    let visibility = match r.visibility {
        BallotVisibility::PublicToMembers => "public to the members: who voted what is shown",
        BallotVisibility::Secret => {
            "secret: ballots keep no link to the voter once counted (the operator is trusted for this)"
        }
    };
    let appeal = if r.appeal_window_seconds == 0 {
        "none: an adopted action applies as soon as the vote closes".to_owned()
    } else {
        format!(
            "{} after the vote closes before an adopted action applies",
            duration(r.appeal_window_seconds)
        )
    };
    [
        format!("kind:          {}", kind_words(r.body)),
        format!("voters:        {voters}"),
        format!("who proposes:  {proposers}"),
        format!("default:       {}", method_words(r.default_method)),
        format!("quorum:        {}", quorum_words(r.yes_no.quorum)),
        format!("majority:      {}", threshold_words(r.yes_no.threshold)),
        format!("abstentions:   {abstentions}"),
        format!(
            "consent:       up to {} rounds, then a yes/no vote needing at least two thirds",
            r.consent.max_rounds
        ),
        format!("discussion:    {}", duration(r.discussion_seconds)),
        format!("vote:          {}", duration(r.vote_seconds)),
        format!("appeal window: {appeal}"),
        format!("ballots:       {visibility}"),
    ]
    .iter()
    .map(|l| format!("\n  {l}"))
    .collect()
}

/// The width of a text column: its widest cell, at least `min`.
fn width<'a>(cells: impl Iterator<Item = &'a str>, min: usize) -> usize {
    cells.map(|c| c.chars().count()).fold(min, usize::max)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

// ---------------------------------------------------------------- files

/// A file's text, or standard input for `-`.
fn read_text(path: &Path) -> Result<String, Failure> {
    let read = if path == Path::new("-") {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map(|_| s)
    } else {
        std::fs::read_to_string(path)
    };
    read.map_err(|e| Failure::Input {
        message: format!("cannot read {}: {e}", path.display()),
        code: EXIT_FAILURE,
    })
}

/// The JSON name of a rule problem's field, as the rules file spells it.
fn problem_field(p: &RuleProblem) -> &'static str {
    match p {
        RuleProblem::Quorum { .. } => "yes_no.quorum",
        RuleProblem::ZeroConsentRounds | RuleProblem::TooManyConsentRounds { .. } => {
            "consent.max_rounds"
        }
        RuleProblem::DurationOutOfRange { field, .. } => match field {
            DurationField::Discussion => "discussion_seconds",
            DurationField::Vote => "vote_seconds",
            DurationField::AppealWindow => "appeal_window_seconds",
        },
    }
}

fn problem_words(p: &RuleProblem) -> String {
    match p {
        RuleProblem::Quorum { problem } => problem.to_string(),
        RuleProblem::ZeroConsentRounds => "consent needs at least one round".into(),
        RuleProblem::TooManyConsentRounds { max_rounds, max } => {
            format!("{max_rounds} rounds is more than the {max} allowed")
        }
        RuleProblem::DurationOutOfRange {
            seconds, min, max, ..
        } => format!(
            "{seconds} seconds is outside {min} to {max} seconds ({} to {})",
            duration(*min),
            duration(*max)
        ),
    }
}

/// Reads a rules file over `base`: each top-level field it gives replaces
/// the base's, an unknown field is refused (a typo would otherwise be
/// silently ignored), and a body's kind cannot change.
fn rules_from_file(path: &Path, base: &DecisionRules) -> Result<DecisionRules, Failure> {
    let text = read_text(path)?;
    let name = path.display();
    let given: Value = serde_json::from_str(&text)
        .map_err(|e| invalid(format!("{name} is not valid JSON: {e}")))?;
    let Value::Object(given) = given else {
        return Err(invalid(format!(
            "{name}: the rules are a JSON object, such as {{\"vote_seconds\": 259200}}"
        )));
    };
    let base_value =
        serde_json::to_value(base).map_err(|e| Failure::App(AppError::Internal(e.to_string())))?;
    let Value::Object(mut merged) = base_value else {
        return Err(Failure::App(AppError::Internal(
            "rules are not an object".into(),
        )));
    };
    let known: Vec<String> = merged.keys().cloned().collect();
    for key in given.keys() {
        if !merged.contains_key(key) {
            return Err(invalid(format!(
                "{name}: unknown field `{key}` (the rules' fields are {})",
                known.join(", ")
            )));
        }
    }
    if let Some(body) = given.get("body")
        && body != &json!(tag(&base.body))
    {
        return Err(invalid(format!(
            "{name}: body is {body}, but this body is a {} (`{}`); a body's kind is set by --kind and never changes",
            kind_words(base.body),
            tag(&base.body)
        )));
    }
    for (key, value) in &given {
        merged.insert(key.clone(), value.clone());
    }
    let rules: DecisionRules = match serde_json::from_value(Value::Object(merged.clone())) {
        Ok(r) => r,
        Err(e) => {
            // Name the field that does not fit: try each given field alone.
            let culprit = given.iter().find(|(key, value)| {
                let mut one = serde_json::Map::new();
                for (k, v) in serde_json::to_value(base)
                    .ok()
                    .and_then(|v| v.as_object().cloned())
                    .unwrap_or_default()
                {
                    one.insert(k, v);
                }
                one.insert((*key).clone(), (*value).clone());
                serde_json::from_value::<DecisionRules>(Value::Object(one)).is_err()
            });
            return Err(invalid(match culprit {
                Some((key, _)) => format!("{name}: {key}: {e}"),
                None => format!("{name}: {e}"),
            }));
        }
    };
    if let Err(problems) = rules.validate() {
        let mut message = format!("the rules in {name} are not valid:");
        for p in &problems {
            message.push_str(&format!("\n  - {}: {}", problem_field(p), problem_words(p)));
        }
        return Err(invalid(message));
    }
    Ok(rules)
}

fn action_from_file(path: &Path) -> Result<PlatformAction, Failure> {
    let text = read_text(path)?;
    serde_json::from_str(&text).map_err(|e| {
        invalid(format!(
            "{}: not a platform action ({e}); its `kind` is set_quota_limits, admit_account, lock_account, unlock_account or set_zone_defaults",
            path.display()
        ))
    })
}

// ---------------------------------------------------------------- lookups

/// A body named on the command line: its id, or its name (any case).
async fn body_id(app: &App, actor: &Actor, given: &str) -> Result<BodyId, AppError> {
    let given = given.trim();
    if let Ok(id) = given.parse::<i64>() {
        return Ok(BodyId(id));
    }
    app.governance()
        .bodies(actor)
        .await?
        .into_iter()
        .find(|b| b.name.to_string().to_lowercase() == given.to_lowercase())
        .map(|b| b.id)
        .ok_or(AppError::NotFound)
}

// ---------------------------------------------------------------- text

fn body_header(w: usize) -> String {
    format!(
        "{:<5} {:<w$} {:<17} {:<8} {:<22} {}",
        "ID", "NAME", "KIND", "PEOPLE", "DEFAULT METHOD", "VOTE"
    )
}

fn body_line(b: &BodyDto, rules: &DecisionRules, w: usize) -> String {
    let people = if rules.body == BodyKind::GeneralAssembly {
        "members".to_owned()
    } else {
        b.member_count.to_string()
    };
    format!(
        "{:<5} {:<w$} {:<17} {:<8} {:<22} {}",
        b.id,
        b.name,
        kind_words(rules.body),
        people,
        method_words(rules.default_method),
        duration(rules.vote_seconds)
    )
}

fn body_text(b: &BodyDetailDto, rules: &DecisionRules) -> String {
    let mut out = format!(
        "{} ({}, body {})",
        b.body.name,
        kind_words(rules.body),
        b.body.id
    );
    out.push_str(&rules_text(rules));
    if rules.body != BodyKind::GeneralAssembly {
        if b.members.is_empty() {
            out.push_str("\n\nPeople: none yet (no vote can open until someone is named)");
        } else {
            out.push_str("\n\nPeople:");
            for m in &b.members {
                out.push_str(&format!("\n  {} <{}>", m.display_name, m.email));
            }
        }
    }
    out
}

fn proposal_header(w: usize) -> String {
    format!(
        "{:<5} {:<w$} {:<20} {:<11} {:<22} {}",
        "ID", "TITLE", "BODY", "STAGE", "METHOD", "OUTCOME"
    )
}

fn proposal_line(p: &ProposalDto, w: usize) -> String {
    format!(
        "{:<5} {:<w$} {:<20} {:<11} {:<22} {}",
        p.id,
        p.title,
        p.body,
        p.stage,
        p.method,
        p.outcome.as_deref().unwrap_or("-")
    )
}

fn when(at: Option<i64>) -> String {
    at.map(iso_time).unwrap_or_else(|| "-".into())
}

fn preview_text(p: &ActionPreviewDto) -> String {
    let kind = p.action.get("kind").and_then(Value::as_str).unwrap_or("");
    let mut out = format!("{kind} on {}", p.target);
    if p.changes.is_empty() {
        out.push_str("\n  changes nothing now");
    }
    for c in &p.changes {
        out.push_str(&format!(
            "\n  {}: {} → {}",
            c.field,
            c.before.as_deref().unwrap_or("-"),
            c.after.as_deref().unwrap_or("-")
        ));
    }
    if !p.affected_accounts.is_empty() {
        out.push_str(&format!(
            "\n  accounts reached: {}",
            p.affected_accounts.join(", ")
        ));
    }
    for problem in &p.problems {
        out.push_str(&format!("\n  note: {problem}"));
    }
    out
}

/// A yes/no count or a ranked vote's winner in words; other tallies as
/// their JSON.
fn tally_words(tally: &Value) -> String {
    let n = |v: &Value| v.as_u64().unwrap_or(0);
    let quorum = |q: &Value| {
        format!(
            "{} took part, {} needed",
            n(&q["participating"]),
            n(&q["required"])
        )
    };
    match tally["method"].as_str() {
        Some("yes_no") => {
            let count = &tally["count"];
            let t = &count["tally"];
            format!(
                "yes {}, no {}, abstain {}; {}",
                n(&t["yes"]),
                n(&t["no"]),
                n(&t["abstain"]),
                quorum(&count["quorum"])
            )
        }
        Some("schulze") => format!(
            "winner {}; {}",
            tally["winner"].as_str().unwrap_or("-"),
            quorum(&tally["quorum"])
        ),
        _ => tally.to_string(),
    }
}

fn proposal_text(v: &ProposalViewDto) -> String {
    let p = &v.proposal;
    let mut out = format!("{} (proposal {})", p.title, p.id);
    out.push_str(&format!(
        "\n  body {} ({}), by {}, {}",
        p.body, p.body_id, p.author, p.stage
    ));
    let mut method = p.method.clone();
    if p.method == "consent" {
        method.push_str(&format!(", round {}", p.round));
    }
    out.push_str(&format!("\n  method: {method}; ballots {}", p.visibility));
    if !p.options.is_empty() {
        out.push_str(&format!("\n  options: {}", p.options.join(" | ")));
    }
    out.push_str(&format!("\n  text hash: {}", p.text_hash));
    if p.discussion_ends_at.is_some() {
        out.push_str(&format!(
            "\n  discussion until {} (the vote opens then)",
            when(p.discussion_ends_at)
        ));
    }
    if p.vote_closes_at.is_some() {
        out.push_str(&format!(
            "\n  vote from {} to {}; electorate {}, {} took part",
            when(p.vote_opens_at),
            when(p.vote_closes_at),
            v.electorate,
            v.participation
        ));
    }
    if let Some(outcome) = &p.outcome {
        out.push_str(&format!("\n  outcome: {outcome}"));
    }
    if let Some(tally) = &p.tally {
        out.push_str(&format!("\n  tally: {}", tally_words(tally)));
    }
    if p.action.is_some() && p.applicable_at.is_some() && p.stage == "closed" {
        out.push_str(&format!(
            "\n  applies at {} (end of the appeal window)",
            when(p.applicable_at)
        ));
    }
    if let Some(e) = &p.action_error {
        out.push_str(&format!("\n  the action failed: {e}"));
    }
    if let Some(at) = p.rolled_back_at {
        out.push_str(&format!("\n  rolled back at {}", iso_time(at)));
    }
    out.push_str("\n\n");
    for line in p.text.lines() {
        out.push_str(&format!("  {line}\n"));
    }
    match (&v.preview, &p.action) {
        (Some(preview), _) => {
            out.push_str(&format!("\nPlatform action: {}", preview_text(preview)))
        }
        (None, Some(action)) => out.push_str(&format!("\nPlatform action: {action}")),
        (None, None) => {}
    }
    if !v.comments.is_empty() {
        out.push_str(&format!(
            "\n\n{}:",
            plural(v.comments.len(), "comment", "comments")
        ));
        for c in &v.comments {
            out.push_str(&format!(
                "\n  {} {}: {}",
                iso_time(c.created_at),
                c.author,
                c.body.replace('\n', " ")
            ));
        }
    }
    if !v.decisions.is_empty() {
        out.push_str("\n\nIn the decision log:");
        for d in &v.decisions {
            out.push_str(&format!(
                "\n  #{} {} {} ({})",
                d.id,
                iso_time(d.at),
                d.event,
                d.outcome
            ));
        }
    }
    out.trim_end().to_owned()
}

fn decision_header() -> String {
    format!(
        "{:<5} {:<20} {:<12} {:<14} {:<8} {}",
        "ID", "AT", "EVENT", "OUTCOME", "PROPOSAL", "TITLE"
    )
}

fn decision_line(d: &DecisionDto) -> String {
    format!(
        "{:<5} {:<20} {:<12} {:<14} {:<8} {}",
        d.id,
        iso_time(d.at),
        d.event,
        d.outcome,
        d.proposal_id,
        d.title
    )
}

fn tick_text(r: &TickReport) -> String {
    if *r == TickReport::default() {
        return "Nothing was due.".into();
    }
    format!(
        "Votes opened: {}, reminders sent: {}, votes closed: {}, decisions applied: {}, failed: {}, e-mails sent: {}.",
        r.votes_opened, r.reminders_sent, r.votes_closed, r.applied, r.failed, r.mails
    )
}

// ---------------------------------------------------------------- commands

async fn show_body(format: Format, app: &App, actor: &Actor, id: BodyId, what: &str) -> Outcome {
    let (body, members) = app.governance().body(actor, id).await?;
    let rules = body.rules;
    let dto = BodyDetailDto {
        body: BodyDto::from(body),
        members: members.into_iter().map(BodyMemberDto::from).collect(),
    };
    print(format, &dto, |b| format!("{what}{}", body_text(b, &rules)));
    Ok(())
}

async fn body(format: Format, app: &App, actor: &Actor, cmd: BodyCommand) -> Outcome {
    let gov = app.governance();
    match cmd {
        BodyCommand::List => {
            let bodies = gov.bodies(actor).await?;
            let rules: Vec<DecisionRules> = bodies.iter().map(|b| b.rules).collect();
            let items: Vec<BodyDto> = bodies.into_iter().map(BodyDto::from).collect();
            print(format, &json!({ "items": items }), |_| {
                let w = width(items.iter().map(|b| b.name.as_str()), 20);
                let mut out = body_header(w);
                out.push('\n');
                for (b, r) in items.iter().zip(&rules) {
                    out.push_str(&body_line(b, r, w));
                    out.push('\n');
                }
                out.push_str(&plural(items.len(), "body", "bodies"));
                out
            });
        }
        BodyCommand::Show { body } => {
            let id = body_id(app, actor, &body).await?;
            show_body(format, app, actor, id, "").await?;
        }
        BodyCommand::Add {
            name,
            kind,
            rules_file,
            members,
        } => {
            let defaults = DecisionRules::default_for(kind.kind());
            let rules = match rules_file {
                Some(path) => rules_from_file(&path, &defaults)?,
                None => defaults,
            };
            let body = gov
                .create_body(
                    actor,
                    BodyInput {
                        name,
                        rules,
                        members,
                    },
                )
                .await?;
            show_body(format, app, actor, body.id, "Added ").await?;
        }
        BodyCommand::Update {
            body,
            name,
            rules_file,
            members,
            no_members,
        } => {
            let id = body_id(app, actor, &body).await?;
            let (current, people) = gov.body(actor, id).await?;
            let rules = match rules_file {
                Some(path) => rules_from_file(&path, &current.rules)?,
                None => current.rules,
            };
            let members = if no_members {
                Vec::new()
            } else if members.is_empty() {
                people.iter().map(|m| m.email.to_string()).collect()
            } else {
                members
            };
            let input = BodyInput {
                name: name.unwrap_or_else(|| current.name.to_string()),
                rules,
                members,
            };
            gov.update_body(actor, id, input).await?;
            show_body(format, app, actor, id, "Saved: ").await?;
        }
    }
    Ok(())
}

async fn proposal(format: Format, app: &App, actor: &Actor, cmd: ProposalCommand) -> Outcome {
    let gov = app.governance();
    let done = |record: &konbit_core::governance::record::ProposalRecord, what: &str| {
        let dto = ProposalDto::from(record);
        print(format, &dto, |p| {
            format!("{what}: {}", proposal_line(p, p.title.chars().count()))
        });
    };
    match cmd {
        ProposalCommand::List { body, stage } => {
            let body = match body {
                Some(b) => Some(body_id(app, actor, &b).await?),
                None => None,
            };
            let list = gov
                .proposals(actor, body, stage.map(StageArg::stage))
                .await?;
            let items: Vec<ProposalDto> = list.iter().map(ProposalDto::from).collect();
            print(format, &json!({ "items": items }), |_| {
                let w = width(items.iter().map(|p| p.title.as_str()), 24);
                let mut out = proposal_header(w);
                out.push('\n');
                for p in &items {
                    out.push_str(&proposal_line(p, w));
                    out.push('\n');
                }
                out.push_str(&plural(items.len(), "proposal", "proposals"));
                out
            });
        }
        ProposalCommand::Show { id } => {
            let v = ProposalViewDto::from(gov.proposal(actor, ProposalId(id)).await?);
            print(format, &v, proposal_text);
        }
        ProposalCommand::Add {
            body,
            title,
            text,
            text_file,
            method,
            options,
            action_file,
        } => {
            let text = match (text, text_file) {
                (Some(t), _) => t,
                (None, Some(path)) => read_text(&path)?,
                (None, None) => return Err(invalid("give the proposal's --text or --text-file")),
            };
            let action = match action_file {
                Some(path) => Some(action_from_file(&path)?),
                None => None,
            };
            let body_id = body_id(app, actor, &body).await?;
            let record = gov
                .create_proposal(
                    actor,
                    ProposalInput {
                        body_id,
                        title,
                        text,
                        method: method.map(MethodArg::method),
                        options,
                        action,
                        tie_break: None,
                    },
                )
                .await?;
            let dto = ProposalDto::from(&record);
            print(format, &dto, |p| {
                format!(
                    "Added proposal {} (a draft): {}\nOpen its discussion with `konbit governance proposal discuss {}`.",
                    p.id, p.title, p.id
                )
            });
        }
        ProposalCommand::Discuss { id } => {
            let record = gov.start_discussion(actor, ProposalId(id)).await?;
            let dto = ProposalDto::from(&record);
            print(format, &dto, |p| {
                format!(
                    "The discussion of proposal {} is open until {}; the vote opens then, by itself.",
                    p.id,
                    when(p.discussion_ends_at)
                )
            });
        }
        ProposalCommand::Withdraw { id } => {
            let record = gov.withdraw(actor, ProposalId(id)).await?;
            done(&record, "Withdrawn");
        }
        ProposalCommand::Rollback { id } => {
            let record = gov.roll_back(actor, ProposalId(id)).await?;
            done(&record, "Rolled back");
        }
        ProposalCommand::Retry { id } => {
            let record = gov.retry_apply(actor, ProposalId(id)).await?;
            done(&record, "Carried out");
        }
        ProposalCommand::Appeal { id, uphold, .. } => {
            let record = gov.settle_appeal(actor, ProposalId(id), uphold).await?;
            done(
                &record,
                if uphold {
                    "Appeal upheld, decision set aside"
                } else {
                    "Appeal dismissed"
                },
            );
        }
        ProposalCommand::Preview { id } => {
            let v = gov.proposal(actor, ProposalId(id)).await?;
            let Some(preview) = v.preview else {
                let message = if v.record.action.is_none() {
                    format!("proposal {id} carries no platform action")
                } else {
                    format!(
                        "proposal {id} is {}: its action is no longer previewed",
                        tag(&v.stage)
                    )
                };
                return Err(Failure::Input {
                    message,
                    code: EXIT_CONFLICT,
                });
            };
            let dto = ActionPreviewDto::from(preview);
            print(format, &dto, preview_text);
        }
    }
    Ok(())
}

async fn inner(format: Format, app: &App, actor: &Actor, cmd: GovernanceCommand) -> Outcome {
    match cmd {
        GovernanceCommand::Body(c) => body(format, app, actor, c).await,
        GovernanceCommand::Proposal(c) => proposal(format, app, actor, c).await,
        GovernanceCommand::Tick => {
            let report = app.governance().tick(konbit_app::now()).await?;
            print(format, &report, tick_text);
            Ok(())
        }
        GovernanceCommand::Digest { force } => {
            let sent = app
                .governance()
                .send_digest(konbit_app::now(), force)
                .await?;
            print(
                format,
                &json!({ "due": sent.is_some(), "sent": sent }),
                |_| {
                    match sent {
                    None => "No digest is due: the last one went out less than a week ago (--force sends one now).".into(),
                    Some(n) => format!("The digest went out to {}.", plural(usize::try_from(n).unwrap_or(usize::MAX), "person", "people")),
                }
                },
            );
            Ok(())
        }
    }
}

/// Prints a failure the way the other commands do. A field error names
/// the field by its form label when there is one, else by its API name.
fn governance_fail(format: Format, failure: Failure) -> ExitCode {
    let e = match failure {
        Failure::Input { message, code } => {
            match format {
                Format::Json => {
                    let problem = match code {
                        EXIT_INVALID => ErrorCode::InvalidInput,
                        EXIT_CONFLICT => ErrorCode::WrongStage,
                        _ => ErrorCode::Internal,
                    };
                    eprintln!(
                        "{}",
                        konbit_web::problem_body(&tr(), problem, Some(message), &[])
                    );
                }
                Format::Text => eprintln!("konbit: {message}"),
            }
            return ExitCode::from(code);
        }
        Failure::App(e) => e,
    };
    let tr = tr();
    match e {
        AppError::Invalid(fields) if format == Format::Text => {
            eprintln!("konbit: {}", tr.t(&ErrorCode::InvalidInput.message_id()));
            for f in &fields {
                let label_id = format!("field-{}", f.field.replace('_', "-"));
                let mut message = konbit_web::field_message(&tr, f);
                if !tr.has(&label_id) {
                    message = message.replace(&label_id, f.field);
                }
                eprintln!("  - {message}");
            }
            if fields.iter().any(|f| f.field == "members") {
                eprintln!(
                    "  each --member is the e-mail address of a person of the co-op (`konbit user list` shows them)"
                );
            }
            ExitCode::from(EXIT_INVALID)
        }
        AppError::Conflict { code, detail } if !detail.is_empty() => {
            match format {
                Format::Json => {
                    eprintln!("{}", konbit_web::problem_body(&tr, code, Some(detail), &[]))
                }
                Format::Text => {
                    eprintln!("konbit: {}", tr.t(&code.message_id()));
                    eprintln!("  - {detail}");
                }
            }
            ExitCode::from(EXIT_CONFLICT)
        }
        other => fail(format, other),
    }
}

pub async fn run(format: Format, app: &App, actor: &Actor, cmd: GovernanceCommand) -> ExitCode {
    match inner(format, app, actor, cmd).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => governance_fail(format, f),
    }
}

// ---------------------------------------------------------------- decisions

pub async fn decisions(format: Format, app: &App, cmd: DecisionsCommand) -> ExitCode {
    match cmd {
        DecisionsCommand::List { limit, before } => {
            if !(1..=500).contains(&limit) {
                return governance_fail(format, invalid("--limit: give a number from 1 to 500"));
            }
            let page = match app.governance().decisions(before, limit).await {
                Ok(p) => DecisionPageDto::from(p),
                Err(e) => return governance_fail(format, e.into()),
            };
            print(format, &page, |p| {
                let mut out = decision_header();
                for d in &p.entries {
                    out.push('\n');
                    out.push_str(&decision_line(d));
                }
                out.push_str(&format!(
                    "\n{}; head hash {}",
                    plural(p.entries.len(), "entry", "entries"),
                    p.head
                ));
                if let Some(next) = p.next_before {
                    out.push_str(&format!(
                        "\nOlder entries: konbit decisions list --before {next}"
                    ));
                }
                out
            });
            ExitCode::SUCCESS
        }
        DecisionsCommand::Verify => verify(format, app).await,
    }
}

async fn verify(format: Format, app: &App) -> ExitCode {
    let report = match app.governance().verify_decisions().await {
        Ok(r) => r,
        Err(e) => return governance_fail(format, e.into()),
    };
    let first_bad = report.first_bad.clone();
    let dto = ChainReportDto::from(report);
    match (first_bad, format) {
        (None, _) => {
            print(format, &dto, |r| {
                format!(
                    "The decision log is intact: {}, head hash {}.",
                    plural(
                        usize::try_from(r.entries).unwrap_or(usize::MAX),
                        "entry",
                        "entries"
                    ),
                    r.head
                )
            });
            ExitCode::SUCCESS
        }
        (Some(_), Format::Json) => {
            print(format, &dto, |_| String::new());
            ExitCode::from(EXIT_FAILURE)
        }
        (Some(b), Format::Text) => {
            let why = match b.problem {
                konbit_core::audit::Problem::Modified => {
                    "its content does not match its hash (it was modified)"
                }
                konbit_core::audit::Problem::Unlinked => {
                    "it does not follow the entry before it (an entry was deleted, inserted or moved)"
                }
                konbit_core::audit::Problem::Unhashed => "it has no hash",
            };
            eprintln!(
                "konbit: the decision log is broken at entry #{} ({}, {}): {why}. {} before it {} intact.",
                b.id,
                iso_time(b.at),
                b.action,
                plural(
                    usize::try_from(dto.entries).unwrap_or(usize::MAX),
                    "entry",
                    "entries"
                ),
                if dto.entries == 1 { "is" } else { "are" }
            );
            ExitCode::from(EXIT_FAILURE)
        }
    }
}
