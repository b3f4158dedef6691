//! Co-op governance, the pure part: how ballots are counted. Each
//! decision method is a function of a frozen electorate, the ballots and
//! the body's rules, with integer arithmetic only, so a count can be
//! checked by hand and replayed from the public decision log.

pub mod counting;
pub mod proposal;
pub mod rules;
pub mod schulze;
