//! Retrieval recall of the two-stage pipeline: the share of the ranker's own top-k over every
//! creator that stage 1's N candidates contain. A ranker that would promote creators retrieval
//! never returns loses them; this measures how many, and picks the default N.

use std::collections::HashSet;

use rayon::prelude::*;
use serde::Serialize;

use crate::engine::Engine;
use crate::metrics::top_k;
use crate::pipeline::{Filter, Who};

/// At most this many brands are measured (evenly spaced): the ranker scores every creator for
/// each of them.
const MAX_BRANDS: usize = 400;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RecallAt {
    /// Stage 1's candidates per query.
    pub candidates: usize,
    pub k: usize,
    pub brands: usize,
    /// Mean share over the brands with a model history, and over the others.
    pub warm: Option<f64>,
    pub cold: Option<f64>,
    pub all: f64,
}

/// Recall of the ranker's top `k` at each of `candidates`, over (up to [`MAX_BRANDS`] of) `brands`.
pub fn recall(engine: &Engine, brands: &[usize], candidates: &[usize], k: usize) -> Vec<RecallAt> {
    let step = brands.len().div_ceil(MAX_BRANDS).max(1);
    let picked: Vec<usize> = brands.iter().step_by(step).copied().collect();
    let n = engine.catalog().len();
    let every: Vec<usize> = (0..n).collect();
    let all = Filter::all(n);
    let nmax = candidates.iter().copied().max().unwrap_or(k);
    // Per brand: warm?, the ranker's top k over everyone, stage 1's candidates in order.
    let per: Vec<(bool, Vec<usize>, Vec<usize>)> = picked
        .par_iter()
        .map(|&b| {
            let model = engine.model();
            let query = engine.query(&Who::Brand(model.brand_ids[b].clone())).expect("a brand of the model");
            let scores = engine.score_rows(&query, &every);
            let best = top_k(&scores, |_| true, k);
            let (hits, _) = engine.exact_retriever().top_k(&query.vector, nmax, &all, None, false);
            (model.brand_history[b] > 0, best, hits.iter().map(|h| h.item as usize).collect())
        })
        .collect();
    candidates
        .iter()
        .map(|&c| {
            let share = |(_, best, cands): &(bool, Vec<usize>, Vec<usize>)| {
                let got: HashSet<usize> = cands.iter().take(c).copied().collect();
                best.iter().filter(|i| got.contains(i)).count() as f64 / best.len().max(1) as f64
            };
            let mean = |want: Option<bool>| {
                let v: Vec<f64> = per.iter().filter(|p| want.is_none_or(|w| p.0 == w)).map(share).collect();
                (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
            };
            RecallAt {
                candidates: c,
                k,
                brands: per.len(),
                warm: mean(Some(true)),
                cold: mean(Some(false)),
                all: mean(None).unwrap_or(0.0),
            }
        })
        .collect()
}
