//! Bodies (general assembly, board, committees) and their rules.

use super::{BODY_KIND, GovernanceService, check};
use crate::{AppError, Audit, Fields, Result, audit, duplicate_on, json, now};
use konbit_core::authz::{Action, Actor};
use konbit_core::governance::record::{Body, BodyMember};
use konbit_core::governance::rules::{BodyKind, DecisionRules, RuleProblem};
use konbit_core::model::{BodyId, UserId};
use konbit_core::names::{DisplayName, EmailAddress};
use konbit_core::{FieldError, Rule};
use konbit_store::StoreError;

#[derive(Debug, Clone)]
pub struct BodyInput {
    pub name: String,
    pub rules: DecisionRules,
    /// The e-mail addresses of a board's or committee's people; ignored
    /// for a general assembly, whose electorate is the membership.
    pub members: Vec<String>,
}

/// A rule problem as a form field, so front ends show it next to the input.
fn rule_field(problem: &RuleProblem) -> FieldError {
    use konbit_core::governance::rules::DurationField;
    match problem {
        RuleProblem::Quorum { .. } => FieldError::new("quorum", Rule::UnknownChoice),
        RuleProblem::ZeroConsentRounds | RuleProblem::TooManyConsentRounds { .. } => {
            FieldError::new(
                "consent_rounds",
                Rule::OutOfRange {
                    min: 1,
                    max: u64::from(konbit_core::governance::rules::MAX_CONSENT_ROUNDS),
                },
            )
        }
        RuleProblem::DurationOutOfRange {
            field, min, max, ..
        } => {
            let name = match field {
                DurationField::Discussion => "discussion_hours",
                DurationField::Vote => "vote_hours",
                DurationField::AppealWindow => "appeal_hours",
            };
            FieldError::new(
                name,
                Rule::OutOfRange {
                    min: min / 3600,
                    max: max / 3600,
                },
            )
        }
    }
}

impl GovernanceService<'_> {
    pub async fn bodies(&self, actor: &Actor) -> Result<Vec<Body>> {
        check(actor, Action::ViewGovernance)?;
        Ok(self.app.store.read().await?.bodies().await?)
    }

    pub async fn body(&self, actor: &Actor, id: BodyId) -> Result<(Body, Vec<BodyMember>)> {
        check(actor, Action::ViewGovernance)?;
        let mut tx = self.app.store.read().await?;
        let body = tx.body(id).await?;
        let members = tx.body_members(id).await?;
        Ok((body, members))
    }

    pub async fn create_body(&self, actor: &Actor, input: BodyInput) -> Result<Body> {
        check(actor, Action::ManageGovernance)?;
        let now = now();
        let mut tx = self.app.store.write().await?;
        let (name, people) = validate(&mut tx, &input).await?;
        let id = tx
            .insert_body(&name, &input.rules, now)
            .await
            .map_err(duplicate_on("name"))?;
        tx.set_body_members(id, &people, now).await?;
        let body = tx.body(id).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "governance_body_created",
                kind: BODY_KIND,
                id: id.to_string(),
                account: None,
                old: None,
                new: json(&serde_json::json!({ "body": body, "members": people })),
            },
            now,
        )
        .await?;
        self.app.commit(tx).await?;
        Ok(body)
    }

    /// New rules apply to votes opened from now on: a running vote keeps
    /// the rules frozen with it.
    pub async fn update_body(&self, actor: &Actor, id: BodyId, input: BodyInput) -> Result<Body> {
        check(actor, Action::ManageGovernance)?;
        let now = now();
        let mut tx = self.app.store.write().await?;
        let old = tx.body(id).await?;
        let old_members = tx.body_members(id).await?;
        let (name, people) = validate(&mut tx, &input).await?;
        if input.rules.body != old.rules.body {
            return Err(AppError::invalid(FieldError::new(
                "kind",
                Rule::UnknownChoice,
            )));
        }
        tx.update_body(id, &name, &input.rules, now)
            .await
            .map_err(duplicate_on("name"))?;
        tx.set_body_members(id, &people, now).await?;
        let body = tx.body(id).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "governance_body_updated",
                kind: BODY_KIND,
                id: id.to_string(),
                account: None,
                old: json(&serde_json::json!({ "body": old, "members": old_members })),
                new: json(&serde_json::json!({ "body": body, "members": people })),
            },
            now,
        )
        .await?;
        self.app.commit(tx).await?;
        Ok(body)
    }
}

async fn validate(
    tx: &mut konbit_store::Tx,
    input: &BodyInput,
) -> Result<(DisplayName, Vec<UserId>)> {
    let mut f = Fields::default();
    let name = f.check(DisplayName::parse("name", &input.name));
    if let Err(problems) = input.rules.validate() {
        for p in &problems {
            f.push(rule_field(p));
        }
    }
    let mut people = Vec::new();
    if input.rules.body != BodyKind::GeneralAssembly {
        for raw in input.members.iter().filter(|m| !m.trim().is_empty()) {
            let Some(email) = f.check(EmailAddress::parse("members", raw)) else {
                continue;
            };
            match tx.user_auth_by_email(email.as_str()).await {
                Ok(found) => people.push(found.person.id),
                Err(StoreError::NotFound) => {
                    f.push(FieldError::new("members", Rule::UnknownChoice));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    f.finish()?;
    let name = name.ok_or_else(|| AppError::Internal("validated field missing".into()))?;
    people.sort();
    people.dedup();
    Ok((name, people))
}
