//! The ranking stage: scores retrieval's candidates for a query and orders them. The default
//! stage is the model's exact inner product, which retrieval already computed; the learned
//! ranker (the `ranker` module) implements the same trait and asks retrieval for more candidates
//! than it returns.

use super::query::Query;
use crate::dataset::Influencers;
use crate::index::{Hit, better};

/// A creator to be scored: one of the model's, or a row of a list the model has never seen.
#[derive(Clone, Copy, Debug)]
pub enum Candidate<'a> {
    /// The model's creator row.
    Known(usize),
    /// Row `row` of `list`, a creator the model does not know; `efficiency` is its quoted
    /// cost-efficiency offset (the model's `efficiency.quoted`).
    New { list: &'a Influencers, row: usize, efficiency: f32 },
}

/// One feature's part in a candidate's score, for the reasons shown with a result.
#[derive(Clone, Debug, PartialEq)]
pub struct Moved {
    /// What the feature is, in words ("similar brands' outcomes with this creator").
    pub feature: &'static str,
    /// The feature's value for the pair (`NaN`: unknown).
    pub value: f32,
    /// How much it moved the score, on the score's log scale.
    pub contribution: f32,
}

/// Scores candidates for a query; higher is better.
pub trait Ranker: Send + Sync {
    fn name(&self) -> &'static str;

    /// How many retrieval candidates the stage needs to return `k` results.
    fn candidates(&self, k: usize) -> usize;

    /// The stage's score of each candidate, given its retrieval (inner-product) score.
    fn score(&self, query: &Query, candidates: &[Candidate<'_>], retrieval: &[f32]) -> Vec<f32>;

    /// For each candidate, the features that moved its score most, strongest first, at most
    /// `top` (none for a stage without features).
    fn explain(
        &self,
        _query: &Query,
        candidates: &[Candidate<'_>],
        _retrieval: &[f32],
        _top: usize,
    ) -> Vec<Vec<Moved>> {
        vec![Vec::new(); candidates.len()]
    }

    /// [`Ranker::score`] and [`Ranker::explain`] of the same candidates (a stage computes each
    /// candidate's features once for both).
    fn score_explained(
        &self,
        query: &Query,
        candidates: &[Candidate<'_>],
        retrieval: &[f32],
        top: usize,
    ) -> (Vec<f32>, Vec<Vec<Moved>>) {
        (self.score(query, candidates, retrieval), self.explain(query, candidates, retrieval, top))
    }
}

/// Replace each hit's score (the model's creator rows, scored by retrieval) by the stage's and
/// sort best first (ties: lower row).
pub fn rank(ranker: &dyn Ranker, query: &Query, hits: &mut [Hit]) {
    let candidates: Vec<Candidate> = hits.iter().map(|h| Candidate::Known(h.item as usize)).collect();
    let retrieval: Vec<f32> = hits.iter().map(|h| h.score).collect();
    for (h, s) in hits.iter_mut().zip(ranker.score(query, &candidates, &retrieval)) {
        h.score = s;
    }
    hits.sort_by(better);
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

    fn score(&self, _query: &Query, _candidates: &[Candidate<'_>], retrieval: &[f32]) -> Vec<f32> {
        retrieval.to_vec()
    }
}
