//! Batch queries: every brand's top-k at once, for the nightly export. The exact path is the
//! blocked matrix multiply of [`crate::pipeline::Retriever::exact_batch`] while
//! `brands × creators × dim ≤ EXACT_BUDGET`; above it each brand is one index query (re-scored
//! exactly, with the exact scan as fallback), as `recommend` answers it.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Engine, EngineError};
use crate::dataset::Brands;
use crate::index::Hit;
use crate::pipeline::rank::rank;
use crate::pipeline::{Brief, Filter, Query};

/// Multiply-adds of the exact path's budget: 20,000 brands × 1,000,000 creators × 66 dims is
/// 1.3·10¹²; above 4·10¹² the index answers (see benches/README.md, "Nightly export and list scoring").
pub const EXACT_BUDGET: f64 = 4e12;

/// How a batch matches brands to creators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchPath {
    /// Exact when `brands × creators × dim ≤ EXACT_BUDGET`, else the index.
    Auto,
    Exact,
    Index,
}

/// One brand of a batch: its ID, the resolved query, and whether it is new since training.
pub struct BrandQuery {
    pub id: String,
    pub query: Query,
}

impl BrandQuery {
    /// A brand the model has not seen, embedded from its features.
    pub fn is_cold(&self) -> bool {
        self.query.brand.is_none()
    }
}

impl Engine {
    /// Every brand of `brands`, sorted by ID: brands of the model use their learned vector, the
    /// others (arrived after training) are embedded from their features.
    pub fn brand_queries(&self, brands: &Brands) -> Vec<BrandQuery> {
        let cold = self.model.embed_brands(brands);
        let d = self.model.dim();
        let mut out: Vec<BrandQuery> = (0..brands.len())
            .map(|b| {
                let row = self.brand_row(&brands.id[b]);
                let vector = match row {
                    Some(r) => self.model.brand_vector(r).to_vec(),
                    None => cold[b * d..(b + 1) * d].to_vec(),
                };
                // As `Engine::query` takes a brand's category: as the data has it.
                let category = Some(brands.category[b].clone());
                let label = format!("brand {}", brands.id[b]);
                let profile = row.is_none().then(|| Brief::of(brands, b));
                BrandQuery { id: brands.id[b].clone(), query: Query { vector, brand: row, category, profile, label } }
            })
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// The path a batch of `brands` brands takes.
    pub fn batch_path(&self, brands: usize, choice: BatchPath) -> Result<BatchPath, EngineError> {
        let work = brands as f64 * self.catalog.len() as f64 * self.model.dim() as f64;
        let path = match choice {
            BatchPath::Auto if work <= EXACT_BUDGET || self.index.is_none() => BatchPath::Exact,
            BatchPath::Auto => BatchPath::Index,
            p => p,
        };
        if path == BatchPath::Index && self.index.is_none() {
            return Err(EngineError::NoIndex);
        }
        Ok(path)
    }

    /// The top `k` of each brand among the creators `filter` allows (plus, if its spec says so,
    /// without the brand's past creators), ranked. `path` comes from [`Engine::batch_path`].
    pub fn batch_top_k(&self, brands: &[BrandQuery], k: usize, filter: &Filter, path: BatchPath) -> Vec<Vec<Hit>> {
        let filters: Vec<Filter> = brands.iter().map(|b| filter.with_history(&self.catalog, b.query.brand)).collect();
        let n = self.ranker.candidates(k);
        let mut hits = match path {
            BatchPath::Index => {
                let ef = self.index.as_ref().map(|i| i.params().ef_search.max(2 * n));
                brands
                    .par_iter()
                    .zip(&filters)
                    .map(|(b, f)| self.retriever().top_k(&b.query.vector, n, f, ef, false).0)
                    .collect()
            }
            _ => {
                let queries: Vec<&[f32]> = brands.iter().map(|b| b.query.vector.as_slice()).collect();
                let refs: Vec<&Filter> = filters.iter().collect();
                self.exact_retriever().exact_batch(&queries, n, &refs)
            }
        };
        brands.par_iter().zip(hits.par_iter_mut()).for_each(|(b, h)| {
            rank(self.ranker.as_ref(), &b.query, h);
            h.truncate(k);
        });
        hits
    }
}
