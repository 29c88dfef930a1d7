//! The engine: one trained model directory opened once — affinity model, serving catalogue, ANN
//! index, growth model and manifest, each verified — and queried by any number of threads.
//! Every serving job is a method, split by capability across files: `recommend` (recommend,
//! similar), `score` (a list of creators), `growth` (creators as of a date) and `batch` (every
//! brand's top-k, for the nightly export). Each runs the one pipeline of [`crate::pipeline`].
//!
//! ```text
//! let engine = Engine::open(Path::new("model"), &OpenOptions::default())?;
//! let answer = engine.recommend(&Who::Brand("b000001".into()), 10, &FilterSpec::default())?;
//! ```

mod batch;
mod growth;
mod recommend;
mod score;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use batch::{BatchPath, BrandQuery};
pub use growth::GrowthById;
pub use score::ScoredRow;

use crate::affinity::AffinityModel;
use crate::catalog::Catalog;
use crate::growth::GrowthModel;
use crate::index::{HnswIndex, IndexParams};
use crate::model_dir::{self, Manifest, ModelDirError};
use crate::pipeline::rows::Rows;
use crate::pipeline::{Filter, FilterSpec, InnerProduct, QueryError, Ranker, Retriever};

/// Distinct attribute filters an engine keeps compiled (each at most one byte and four bytes
/// per creator: 5 MB at 1M creators).
pub const FILTER_CACHE: usize = 32;

/// Whether [`Engine::open`] loads the ANN index.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IndexUse {
    /// Load it; a model directory without one is an error.
    Required,
    /// Load it when the model directory has one.
    #[default]
    IfPresent,
    /// Answer every query by exact scan.
    Skip,
}

/// How to open a model directory.
#[derive(Clone, Copy, Debug)]
pub struct OpenOptions {
    pub index: IndexUse,
    /// Load the growth model when the directory has one.
    pub growth: bool,
    /// Rank with the learned ranker when the directory has one (otherwise, or when `false`, the
    /// inner product of stage 1 ranks).
    pub ranker: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions { index: IndexUse::IfPresent, growth: true, ranker: true }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error(transparent)]
    ModelDir(#[from] ModelDirError),
    #[error("this engine has no growth model (the model directory has none, or it was opened without it)")]
    NoGrowth,
    #[error("the 'index' scoring path needs an ANN index; build one with `kolrec index`")]
    NoIndex,
    #[error("data has no follower snapshots to score growth from")]
    NoSnapshots,
}

impl EngineError {
    /// The request field at fault, for errors that have one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            EngineError::Query(q) => Some(q.field),
            _ => None,
        }
    }
}

/// A loaded model, immutable and shared: `Send + Sync`, so many threads may query one instance.
pub struct Engine {
    dir: Option<PathBuf>,
    manifest: Option<Manifest>,
    model: AffinityModel,
    catalog: Catalog,
    index: Option<HnswIndex>,
    growth: Option<GrowthModel>,
    ranker: Box<dyn Ranker>,
    /// The checksum of the `ranker.bin` that `ranker` was loaded from ("" otherwise).
    ranker_id: String,
    exact_below: usize,
    /// Candidates an online query retrieves for the ranking stage, when not the ranker's own.
    candidates: Option<usize>,
    brand_rows: HashMap<String, u32>,
    creator_rows: HashMap<String, u32>,
    /// Every category a brand or creator of the model has (a brief must name one), sorted.
    categories: Vec<String>,
    /// Compiled attribute filters of recent queries, most recent last (see [`Engine::compile`]).
    filters: std::sync::Mutex<Vec<(FilterSpec, Filter)>>,
    /// (platform, lower-cased handle) → creator row, built on first use by `score`.
    by_handle: std::sync::OnceLock<HashMap<(String, String), u32>>,
}

impl Engine {
    /// Open the model directory `dir`: the model file, then its catalogue and (as `opts` say)
    /// its index and growth model, each checked against the model.
    pub fn open(dir: &Path, opts: &OpenOptions) -> Result<Engine, EngineError> {
        let (model, manifest) = model_dir::load_affinity(dir)?;
        let catalog = model_dir::load_catalog(dir, &manifest, &model)?;
        let index = match opts.index {
            IndexUse::Skip => None,
            IndexUse::IfPresent if manifest.index.is_none() => None,
            _ => Some(model_dir::load_index(dir, &manifest)?),
        };
        let growth = match (opts.growth, &manifest.growth) {
            (true, Some(_)) => Some(model_dir::load_growth_of(dir, &manifest)?),
            _ => None,
        };
        let ranker = if opts.ranker { model_dir::load_ranker(dir, &manifest, &model)? } else { None };
        let mut e = Engine::from_parts(model, catalog, index, growth);
        if let Some(r) = ranker {
            e.set_ranker(Box::new(r));
            e.ranker_id = manifest.ranker.as_ref().map(|r| r.crc32.clone()).unwrap_or_default();
        }
        e.dir = Some(dir.to_path_buf());
        e.manifest = Some(manifest);
        Ok(e)
    }

    /// An engine over models held in memory (evaluation refits one per split).
    pub fn from_parts(
        model: AffinityModel,
        catalog: Catalog,
        index: Option<HnswIndex>,
        growth: Option<GrowthModel>,
    ) -> Engine {
        let exact_below = index.as_ref().map_or(IndexParams::default().exact_below, |i| i.params().exact_below);
        let rows = |ids: &[String]| ids.iter().enumerate().map(|(i, s)| (s.clone(), i as u32)).collect();
        let mut categories: Vec<String> =
            catalog.influencers.category.values.iter().chain(&catalog.brands.category).cloned().collect();
        categories.sort_unstable();
        categories.dedup();
        Engine {
            categories,
            dir: None,
            manifest: None,
            brand_rows: rows(&model.brand_ids),
            creator_rows: rows(&model.influencer_ids),
            model,
            catalog,
            index,
            growth,
            ranker: Box::new(InnerProduct),
            ranker_id: String::new(),
            exact_below,
            candidates: None,
            filters: std::sync::Mutex::new(Vec::new()),
            by_handle: std::sync::OnceLock::new(),
        }
    }

    /// Rank with `ranker` (an in-memory engine starts with the inner product).
    pub fn set_ranker(&mut self, ranker: Box<dyn Ranker>) {
        self.ranker = ranker;
        self.ranker_id.clear();
    }

    /// The learned ranker's ID, the checksum of its `ranker.bin` (empty without one, or for an
    /// in-memory engine).
    pub fn ranker_id(&self) -> &str {
        &self.ranker_id
    }

    /// The ranking stage's name: "learned" or "inner-product".
    pub fn ranker_name(&self) -> &'static str {
        self.ranker.name()
    }

    /// Online queries (`recommend`) retrieve `n` candidates for the learned ranker instead of
    /// its trained count (`None`: the trained count); never fewer than `k`. Fewer candidates
    /// trade retrieval recall for latency; the nightly batch keeps the trained count.
    pub fn set_candidates(&mut self, n: Option<usize>) {
        self.candidates = n;
    }

    /// Candidates an online query for `k` creators retrieves.
    pub fn candidates(&self, k: usize) -> usize {
        match self.candidates {
            Some(n) if self.ranker.name() == "learned" => n.max(k),
            _ => self.ranker.candidates(k),
        }
    }

    /// Filtered queries leaving fewer creators than `n` are answered by an exact scan (default:
    /// the index's `exact_below`).
    pub fn set_exact_below(&mut self, n: usize) {
        self.exact_below = n;
    }

    /// The manifest of the opened directory (`None` for [`Engine::from_parts`]).
    pub fn manifest(&self) -> Option<&Manifest> {
        self.manifest.as_ref()
    }

    /// The directory the engine was opened from.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The serving model's ID: the checksum of its model file (empty for an in-memory engine).
    pub fn model_id(&self) -> &str {
        self.manifest.as_ref().and_then(|m| m.affinity.as_ref()).map_or("", |a| a.crc32.as_str())
    }

    pub fn model(&self) -> &AffinityModel {
        &self.model
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn index(&self) -> Option<&HnswIndex> {
        self.index.as_ref()
    }

    pub fn growth_model(&self) -> Option<&GrowthModel> {
        self.growth.as_ref()
    }

    /// The model row of a brand, by ID.
    pub fn brand_row(&self, id: &str) -> Option<usize> {
        self.brand_rows.get(id).map(|&r| r as usize)
    }

    /// The model row of a creator, by ID.
    pub fn creator_row(&self, id: &str) -> Option<usize> {
        self.creator_rows.get(id).map(|&r| r as usize)
    }

    /// The model row of a creator known by platform and handle (a platform export's IDs are
    /// `platform:handle`; the model may know the creator by another ID).
    pub fn creator_by_handle(&self, platform: &str, handle: &str) -> Option<usize> {
        let map = self.by_handle.get_or_init(|| {
            let c = &self.catalog.influencers;
            (0..c.id.len())
                .filter(|&i| !c.handle[i].is_empty())
                .map(|i| ((c.platform.get(i).to_string(), c.handle[i].to_lowercase()), i as u32))
                .collect()
        });
        map.get(&(platform.to_string(), handle.to_lowercase())).map(|&i| i as usize)
    }

    /// Retrieval over this engine's vectors and index.
    pub fn retriever(&self) -> Retriever<'_> {
        Retriever {
            vectors: &self.model.influencer_vectors,
            dim: self.model.dim(),
            index: self.index.as_ref(),
            exact_below: self.exact_below,
        }
    }

    /// The same engine's retrieval without its index (the exact answers).
    pub fn exact_retriever(&self) -> Retriever<'_> {
        Retriever { index: None, ..self.retriever() }
    }

    fn rows(&self) -> Rows<'_> {
        Rows { model: &self.model, catalog: &self.catalog, ranker: self.ranker.as_ref() }
    }

    /// Compile `spec` against the catalogue (without the brand's past creators: see
    /// [`Filter::for_brand`]). The attribute part of the last [`FILTER_CACHE`] distinct specs is
    /// kept compiled: a served market asks the same few platform/tier/country filters again and
    /// again, and compiling one is a pass over every creator.
    pub fn compile(&self, spec: &FilterSpec) -> Result<Filter, QueryError> {
        if spec.attributes_empty() {
            return Filter::compile(spec, &self.catalog, &self.creator_rows);
        }
        let key = FilterSpec { exclude: Vec::new(), exclude_worked: false, ..spec.clone() };
        let cached = {
            let mut c = self.filters.lock().expect("filter cache");
            c.iter().position(|(k, _)| *k == key).map(|at| {
                let hit = c.remove(at);
                c.push(hit.clone());
                hit.1
            })
        };
        let attrs = match cached {
            Some(f) => f,
            None => {
                let f = Filter::attributes(&key, &self.catalog)?;
                let mut c = self.filters.lock().expect("filter cache");
                if c.len() >= FILTER_CACHE {
                    c.remove(0);
                }
                c.push((key, f.clone()));
                f
            }
        };
        attrs.with_exclusions(spec, &self.creator_rows)
    }
}

#[cfg(test)]
mod tests;

/// The engine is shared by reference across threads (a server holds one behind an `Arc`).
const _: () = {
    const fn shared<T: Send + Sync>() {}
    shared::<Engine>();
};
