//! Retrieval: the inner-product model's top candidates for a query under a filter. The path is
//! chosen per query, as qdrant does: no filter → the HNSW index; a filter that leaves fewer than
//! `exact_below` creators → an exact scan of exactly those; otherwise the index with the filter
//! applied during the graph search, falling back to the exact scan if it comes back short. Every
//! returned score is recomputed exactly as the model's inner product. A batch of queries without
//! an index is answered by a blocked matrix multiply (`ndarray`'s sgemm over tiles).

use ndarray::ArrayView2;
use rayon::prelude::*;
use serde::Serialize;

use super::filter::Filter;
use crate::index::{Allowed, ExactIndex, Hit, HnswIndex, MipsIndex, TopK, better};

/// Brands per tile of the batch path, and creators per tile.
const BRAND_TILE: usize = 64;
const CREATOR_TILE: usize = 8192;

/// How far ahead of the dot product a filtered scan fetches a row's vector.
const PREFETCH_ROWS: usize = 8;

/// Ask the CPU to bring `v` into cache (a hint: no effect on results; none off x86-64).
#[inline(always)]
fn prefetch(v: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    for line in v.chunks(16) {
        // SAFETY: a prefetch reads nothing architecturally and cannot fault; the pointer is in
        // bounds of a live slice anyway.
        unsafe { std::arch::x86_64::_mm_prefetch(line.as_ptr() as *const i8, std::arch::x86_64::_MM_HINT_T0) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = v;
}

/// How a query was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchPath {
    Index,
    Exact,
    /// The index came back short under a selective filter; the exact scan answered.
    IndexThenExact,
}

/// The creators' vectors and, optionally, their HNSW index.
#[derive(Clone, Copy)]
pub struct Retriever<'a> {
    pub vectors: &'a [f32],
    pub dim: usize,
    pub index: Option<&'a HnswIndex>,
    /// Filtered queries leaving fewer creators than this use the exact scan.
    pub exact_below: usize,
}

impl Retriever<'_> {
    fn exact(&self) -> ExactIndex<'_> {
        ExactIndex::new(self.vectors, self.dim)
    }

    /// Exact top `k` over the creators `filter` allows, visiting only those. The allowed rows
    /// are scattered over the vectors, so each one's vector is fetched from memory a few rows
    /// ahead of its dot product: the scan is then bounded by memory bandwidth, not by one
    /// memory latency per row.
    fn scan_allowed(&self, query: &[f32], k: usize, filter: &Filter) -> Vec<Hit> {
        let (d, mut top) = (self.dim, TopK::new(k));
        let mut rows = Vec::with_capacity(filter.allowed());
        filter.for_each_allowed(|i| rows.push(i));
        for (at, &i) in rows.iter().enumerate() {
            if let Some(&ahead) = rows.get(at + PREFETCH_ROWS) {
                prefetch(&self.vectors[ahead as usize * d..(ahead as usize + 1) * d]);
            }
            let v = &self.vectors[i as usize * d..(i as usize + 1) * d];
            top.push(Hit { item: i, score: crate::linalg::dot(query, v) });
        }
        top.into_sorted()
    }

    /// Top `k` of `query` among the creators `filter` allows, scored exactly. `ef` overrides the
    /// index's candidate list; `force_index` keeps the index path even where the exact scan would
    /// answer (to measure the index itself).
    pub fn top_k(
        &self,
        query: &[f32],
        k: usize,
        filter: &Filter,
        ef: Option<usize>,
        force_index: bool,
    ) -> (Vec<Hit>, SearchPath) {
        let exact = self.exact();
        let scan = || {
            if filter.is_all() { exact.search(query, k, None) } else { self.scan_allowed(query, k, filter) }
        };
        let Some(index) = self.index else { return (scan(), SearchPath::Exact) };
        if !force_index && !filter.is_all() && filter.allowed() < self.exact_below {
            return (scan(), SearchPath::Exact);
        }
        let allows = |i: u32| filter.allows(i);
        let allowed: Option<Allowed> = if filter.is_all() { None } else { Some(&allows) };
        let hits = index.search_ef(query, k, ef.unwrap_or(index.params().ef_search), allowed);
        if hits.len() < k.min(filter.allowed()) && !force_index {
            return (scan(), SearchPath::IndexThenExact);
        }
        // Exact scores, and the exact tie order.
        let mut v = exact.search_among(query, hits.len(), hits.iter().map(|h| h.item));
        v.sort_by(better);
        (v, SearchPath::Index)
    }

    /// Exact top `k` of each query over every creator its filter allows, by a blocked matrix
    /// multiply: the same hits, scores and order as [`Retriever::top_k`] without an index.
    pub fn exact_batch(&self, queries: &[&[f32]], k: usize, filters: &[&Filter]) -> Vec<Vec<Hit>> {
        assert_eq!(queries.len(), filters.len(), "one filter per query");
        let dim = self.dim;
        let creators = self.vectors;
        let n = creators.len() / dim;
        queries
            .par_chunks(BRAND_TILE)
            .enumerate()
            .flat_map_iter(|(t, block)| {
                let flat: Vec<f32> = block.iter().flat_map(|q| q.iter().copied()).collect();
                let b = ArrayView2::from_shape((block.len(), dim), &flat).expect("brands × dim");
                let mut tops: Vec<TopK> = (0..block.len()).map(|_| TopK::new(k)).collect();
                let mut from = 0;
                while from < n {
                    let to = (from + CREATOR_TILE).min(n);
                    let c =
                        ArrayView2::from_shape((to - from, dim), &creators[from * dim..to * dim]).expect("tile × dim");
                    let scores = b.dot(&c.t());
                    for (j, row) in scores.outer_iter().enumerate() {
                        let filter = filters[t * BRAND_TILE + j];
                        let top = &mut tops[j];
                        for (o, &s) in row.iter().enumerate() {
                            let i = (from + o) as u32;
                            if filter.allows(i) {
                                top.push(Hit { item: i, score: s });
                            }
                        }
                    }
                    from = to;
                }
                tops.into_iter().map(TopK::into_sorted).collect::<Vec<_>>()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn the_blocked_batch_equals_a_plain_scan_under_filters() {
        let (dim, n, k) = (5, 20_000, 7);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let creators: Vec<f32> = (0..n * dim).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let queries: Vec<Vec<f32>> = (0..70).map(|_| (0..dim).map(|_| rng.gen_range(-1.0..1.0)).collect()).collect();
        let refs: Vec<&[f32]> = queries.iter().map(Vec::as_slice).collect();
        // Query 3 may not see creators below 100; query 66 (second tile) only even ones.
        let all = Filter::all(n);
        let above = all.excluding(0..100);
        let even = Filter::from_mask((0..n).map(|i| i % 2 == 0).collect());
        let filters: Vec<&Filter> = (0..refs.len())
            .map(|b| {
                if b == 3 {
                    &above
                } else if b == 66 {
                    &even
                } else {
                    &all
                }
            })
            .collect();
        let r = Retriever { vectors: &creators, dim, index: None, exact_below: 0 };
        let got = r.exact_batch(&refs, k, &filters);
        for (b, q) in refs.iter().enumerate() {
            let (want, path) = r.top_k(q, k, filters[b], None, false);
            assert_eq!(path, SearchPath::Exact);
            let items = |v: &[Hit]| v.iter().map(|h| h.item).collect::<Vec<_>>();
            assert_eq!(items(&got[b]), items(&want), "query {b}");
            assert!(got[b].iter().all(|h| filters[b].allows(h.item)));
            for (g, w) in got[b].iter().zip(&want) {
                assert!((g.score - w.score).abs() < 1e-4);
            }
        }
    }
}
