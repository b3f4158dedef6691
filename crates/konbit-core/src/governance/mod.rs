//! Co-op governance, the pure part: bodies' rules, the proposal lifecycle,
//! ballots and how they are counted, platform actions and the public
//! decision log's chain. Each decision method is a function of a frozen
//! electorate, the ballots and the body's rules, with integer arithmetic
//! only, so a count can be checked by hand and replayed from the log.

pub mod action;
pub mod ballot;
pub mod counting;
pub mod decision_log;
pub mod proposal;
pub mod record;
pub mod rules;
pub mod schulze;
pub mod voter;

/// The name a unit enum of this module has in stored and published JSON
/// (`yes_no`, `general_assembly`, `voting`), for columns, filters, tables
/// and the decision log.
pub fn wire_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}
