//! How well the HNSW index serves the model it indexes: recall@10 against the exact top-10,
//! unfiltered, under the commonest marketer filter on the index path, and as served.

use rayon::prelude::*;
use serde::Serialize;

use crate::engine::Engine;
use crate::index::{ExactIndex, Hit, IndexParams, MipsIndex};
use crate::metrics::recall;
use crate::pipeline::{Filter, FilterSpec, Retriever, SearchPath};

/// The creators of each query's hits, for [`recall`].
pub fn items(hits: &[Vec<Hit>]) -> Vec<Vec<u32>> {
    hits.iter().map(|h| h.iter().map(|x| x.item).collect()).collect()
}

/// How well the HNSW index serves the model it indexes.
#[derive(Clone, Debug, Serialize)]
pub struct AnnEval {
    pub params: IndexParams,
    pub queries: usize,
    pub build_seconds: f64,
    pub recall_at_10: f64,
    /// The filter: each brand keeps one platform (cycling through them by brand) and drops its
    /// past creators, the commonest marketer filter.
    pub filter: String,
    pub mean_allowed: f64,
    /// The HNSW path forced (no exact fallback): what the index itself recalls under the filter.
    pub recall_at_10_filtered: f64,
    /// What `recommend` returns (exact scan below `exact_below` allowed creators or when the index
    /// comes back short).
    pub served_recall_at_10_filtered: f64,
    pub served_exact_share: f64,
}

/// The filter of the filtered-recall measurement for the `j`-th query.
pub fn standard_filter(platforms: &[String], j: usize) -> FilterSpec {
    FilterSpec { platforms: vec![platforms[j % platforms.len()].clone()], exclude_worked: true, ..Default::default() }
}

/// Recall@10 of the engine's index for the given brands, unfiltered and under [`standard_filter`].
pub fn ann_recall(engine: &Engine, brands: &[usize], build_seconds: f64) -> AnnEval {
    const K: usize = 10;
    let index = engine.index().expect("an index to measure");
    let model = engine.model();
    let q = |j: usize| model.brand_vector(brands[j]);
    let nq = brands.len();
    let exact = ExactIndex::new(&model.influencer_vectors, model.dim());
    let truth: Vec<Vec<Hit>> = (0..nq).into_par_iter().map(|j| exact.search(q(j), K, None)).collect();
    let found: Vec<Vec<Hit>> = (0..nq).into_par_iter().map(|j| index.search(q(j), K, None)).collect();
    let platforms = &engine.catalog().influencers.platform.values;
    // A filter that leaves nothing is an error for a user; here it only drops the query.
    let filters: Vec<(usize, Filter)> = (0..nq)
        .into_par_iter()
        .filter_map(|j| {
            let spec = standard_filter(platforms, j);
            let f = engine.compile(&spec).and_then(|f| f.for_brand(engine.catalog(), Some(brands[j])));
            f.and_then(|f| f.non_empty(&spec)).ok().map(|f| (j, f))
        })
        .collect();
    let run = |r: Retriever, force: bool| -> Vec<(Vec<Hit>, SearchPath)> {
        filters.par_iter().map(|(j, f)| r.top_k(q(*j), K, f, None, force)).collect()
    };
    let truth_f: Vec<Vec<Hit>> = run(engine.exact_retriever(), false).into_iter().map(|r| r.0).collect();
    let forced: Vec<Vec<Hit>> = run(engine.retriever(), true).into_iter().map(|r| r.0).collect();
    let served = run(engine.retriever(), false);
    let exact_share = served.iter().filter(|r| r.1 != SearchPath::Index).count() as f64 / served.len().max(1) as f64;
    let served: Vec<Vec<Hit>> = served.into_iter().map(|r| r.0).collect();
    AnnEval {
        params: *index.params(),
        queries: nq,
        build_seconds,
        recall_at_10: recall(&items(&found), &items(&truth)),
        filter: "one platform per brand (cycling), past creators excluded".into(),
        mean_allowed: filters.iter().map(|f| f.1.allowed() as f64).sum::<f64>() / filters.len().max(1) as f64,
        recall_at_10_filtered: recall(&items(&forced), &items(&truth_f)),
        served_recall_at_10_filtered: recall(&items(&served), &items(&truth_f)),
        served_exact_share: exact_share,
    }
}
