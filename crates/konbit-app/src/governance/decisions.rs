//! The public decision log: written by the lifecycle in the transaction
//! of the step it records, read by anyone without signing in.

use super::GovernanceService;
use crate::Result;
use konbit_core::governance::decision_log::{DecisionEntry, DecisionEvent};
use konbit_core::governance::record::ProposalRecord;
use konbit_store::{ChainReport, NewDecision, Tx};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct DecisionPage {
    /// Newest first.
    pub entries: Vec<DecisionEntry>,
    /// The hash of the newest entry of the whole log (the head).
    pub head: String,
    /// Pass as `before` for the next (older) page.
    pub next_before: Option<i64>,
}

/// Appends the proposal's current state to the log.
pub(crate) async fn log(
    tx: &mut Tx,
    record: &ProposalRecord,
    event: DecisionEvent,
    detail: Option<serde_json::Value>,
    now: i64,
) -> Result<DecisionEntry> {
    let frozen_hash = match record.proposal.stage() {
        konbit_core::governance::proposal::Stage::Closed { vote, .. }
        | konbit_core::governance::proposal::Stage::Applied { vote, .. }
        | konbit_core::governance::proposal::Stage::Rejected { vote, .. }
        | konbit_core::governance::proposal::Stage::Voting { vote } => vote.text_hash.clone(),
        _ => record.proposal.current_hash(),
    };
    let method = konbit_core::governance::wire_name(&record.spec.method);
    Ok(tx
        .append_decision(
            NewDecision {
                proposal_id: record.id,
                event: event.as_str(),
                body: record.body_name.clone(),
                title: record.proposal.title().to_owned(),
                text: record.proposal.body().to_owned(),
                text_hash: frozen_hash.as_str().to_owned(),
                method,
                tally: match event {
                    DecisionEvent::Decided => record.tally.as_ref().map(|t| t.to_string()),
                    _ => None,
                },
                outcome: record
                    .outcome
                    .clone()
                    .unwrap_or_else(|| event.as_str().to_owned()),
                detail: detail.map(|d| d.to_string()),
            },
            now,
        )
        .await?)
}

impl GovernanceService<'_> {
    /// A page of the log; public, no actor.
    pub async fn decisions(&self, before: Option<i64>, limit: i64) -> Result<DecisionPage> {
        let mut tx = self.app.store.read().await?;
        let entries = tx.decisions(before, limit).await?;
        let head = tx.decisions(None, 1).await?.first().map_or_else(
            || konbit_core::audit::GENESIS.to_owned(),
            |e| e.hash.clone(),
        );
        let next_before = if i64::try_from(entries.len()).unwrap_or(0) >= limit.clamp(1, 500) {
            entries.last().map(|e| e.id)
        } else {
            None
        };
        Ok(DecisionPage {
            entries,
            head,
            next_before,
        })
    }

    pub async fn decision(&self, id: i64) -> Result<DecisionEntry> {
        Ok(self.app.store.read().await?.decision(id).await?)
    }

    /// Walks the whole chain; public, so anyone can check the head a
    /// digest gave them.
    pub async fn verify_decisions(&self) -> Result<ChainReport> {
        Ok(self.app.store.read().await?.verify_decision_chain().await?)
    }
}
