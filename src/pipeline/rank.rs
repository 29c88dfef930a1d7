//! The ranking stage: orders retrieval's candidates for a query. Today's stage is the model's
//! exact inner product, which retrieval already computed; a learned re-ranker implements the
//! same trait and asks retrieval for more candidates than it returns.

use super::query::Query;
use crate::index::{Hit, better};

/// Orders candidates for a query, best first.
pub trait Ranker: Send + Sync {
    fn name(&self) -> &'static str;

    /// How many retrieval candidates the stage needs to return `k` results.
    fn candidates(&self, k: usize) -> usize;

    /// Replace each hit's score by the stage's score and sort best first (ties: lower row).
    fn rank(&self, query: &Query, hits: &mut Vec<Hit>);
}

/// The inner-product model's own order: the exact scores retrieval returns.
#[derive(Clone, Copy, Debug, Default)]
pub struct InnerProduct;

impl Ranker for InnerProduct {
    fn name(&self) -> &'static str {
        "inner-product"
    }

    fn candidates(&self, k: usize) -> usize {
        k
    }

    fn rank(&self, _query: &Query, hits: &mut Vec<Hit>) {
        hits.sort_by(better);
    }
}
