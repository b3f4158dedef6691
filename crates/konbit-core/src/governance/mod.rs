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
