//! The one path every served answer takes: **retrieval** (the inner-product model's candidates,
//! from the ANN index or an exact scan, under a compiled filter) → **ranking** (a stage that
//! orders the candidates; today the exact inner product) → **rows** (results with predicted CTR
//! and CPM and the reason shown with each). `recommend`, `score`, the nightly export and `eval`
//! all go through it, by way of the engine.

pub mod filter;
pub mod query;
pub mod rank;
pub mod retrieve;
pub mod rows;

pub use filter::{Filter, FilterSpec};
pub use query::{Brief, Query, Who};
pub use rank::{InnerProduct, Ranker};
pub use retrieve::{Retriever, SearchPath};
pub use rows::{Answer, Recommendation};

/// Largest `k` served in one query.
pub const MAX_K: usize = 10_000;

/// What kind of problem a query has (a server maps it to a status code).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// A value out of range or malformed.
    Invalid,
    /// A brand, creator or category value the model does not know.
    Unknown,
    /// Values that cannot hold together (min above max, a tier outside the follower range).
    Contradictory,
    /// Valid filters that leave no creator.
    NothingLeft,
}

/// A query that cannot be answered, naming the request field at fault (`k`, `brand_id`,
/// `filters.max_price`, `brief.ages`, ...). `Display` is `"{field} {problem}"`.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{field} {problem}")]
pub struct QueryError {
    pub field: &'static str,
    pub kind: ProblemKind,
    /// What is wrong, phrased to follow the field's name.
    pub problem: String,
}

impl QueryError {
    pub fn invalid(field: &'static str, problem: impl Into<String>) -> QueryError {
        QueryError { field, kind: ProblemKind::Invalid, problem: problem.into() }
    }

    pub fn unknown(field: &'static str, problem: impl Into<String>) -> QueryError {
        QueryError { field, kind: ProblemKind::Unknown, problem: problem.into() }
    }

    pub fn contradictory(field: &'static str, problem: impl Into<String>) -> QueryError {
        QueryError { field, kind: ProblemKind::Contradictory, problem: problem.into() }
    }
}

/// `k` in `1..=MAX_K`.
pub fn check_k(k: usize) -> Result<(), QueryError> {
    if (1..=MAX_K).contains(&k) {
        Ok(())
    } else {
        Err(QueryError::invalid("k", format!("must be between 1 and {MAX_K}, got {k}")))
    }
}
