//! kolrec recommends influencers (KOLs, 达人) to brands from the outcomes of past campaigns —
//! cost, impressions, clicks, conversions — and flags creators about to grow.
//!
//! The library is what the `kolrec` command runs: load a dataset, [`train`] a model directory,
//! open it as an [`Engine`] and query it — from one thread or many — or run the nightly
//! [`export`] and the offline [`evaluate`]. Every command of the binary is a thin client of it.
//!
//! # Example
//!
//! Train on the embedded sample market and ask for a brand's top five creators on one platform:
//!
//! ```
//! use std::path::Path;
//! use kolrec::{Engine, FilterSpec, OpenOptions, Who};
//! use kolrec::train::{TrainConfig, train};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let data = Path::new("datasets/sample");
//! let (ds, _) = kolrec::dataset::load(data, &Default::default())?;
//! let out = std::env::temp_dir().join(format!("kolrec-doc-{}", std::process::id()));
//! let cfg = TrainConfig {
//!     affinity: kolrec::affinity::AffinityParams { factors: 16, iterations: 5, ..Default::default() },
//!     growth: None,
//!     ..Default::default()
//! };
//! train(&ds, kolrec::model_dir::DataInfo::of(data, &ds)?, &out, &cfg)?;
//!
//! let engine = Engine::open(&out, &OpenOptions::default())?;
//! let filters = FilterSpec { platforms: vec!["douyin".into()], ..Default::default() };
//! let answer = engine.recommend(&Who::Brand("b000001".into()), 5, &filters)?;
//! assert_eq!(answer.results.len(), 5);
//! for r in &answer.results {
//!     assert_eq!(r.platform, "douyin");
//!     println!("{} {} {:.3} CPM {:.1}: {}", r.rank, r.influencer_id, r.score, r.predicted_cpm, r.reason);
//! }
//! // Errors name the request field at fault.
//! let err = engine.recommend(&Who::Brand("nobody".into()), 5, &FilterSpec::default()).unwrap_err();
//! assert_eq!(err.field(), Some("brand_id"));
//! # std::fs::remove_dir_all(&out)?;
//! # Ok(())
//! # }
//! ```
//!
//! # Architecture
//!
//! | module | owns |
//! |---|---|
//! | [`contract`], [`tier`] | the data contract: tables, columns, objectives; follower tiers |
//! | [`parse`], [`table`], [`csv_lint`], [`report`] | cell values (dates, messy numbers, 万/亿), table files (CSV, Parquet), CSV faults by line, validation problems |
//! | [`dataset`] | the typed, validated dataset and its loader (`sheet`: validation engine, `tables`: per-table parsers) |
//! | [`import`] | messy real-world influencer lists into the contract's influencers table: columns found by header and content (`detect`, `profile`, `roles`), the platform inferred (`platform`) |
//! | [`sim`] | the simulated market, with its hidden ground truth |
//! | [`linalg`], [`metrics`] | leaves: dot products; ranking and binary metrics, bootstrap intervals |
//! | [`affinity`] | the outcome-trained factor model (iALS with feature priors for cold brands and creators) |
//! | [`growth`] | the 30-day strong-growth classifier (`rows`, `classifier`, `crossfit`, `calibrate`) and the spike flag |
//! | [`index`] | top-k inner-product search: exact scan and HNSW (every hnsw_rs detail in `index::hnsw`) |
//! | [`catalog`] | what serving knows about each creator and brand besides vectors |
//! | [`artifact`], [`model_dir`] | checked binary envelopes; the model directory's layout (every file name) and manifest |
//! | [`pipeline`] | retrieval (index or exact scan under a compiled filter) → ranking stage → result rows |
//! | [`ranker`] | stage 2: gradient-boosted trees over pair features and out-of-fold outcome evidence |
//! | [`engine`] | the long-lived, thread-safe object that serves every query of one model directory |
//! | [`train`], [`evaluate`] | training a model directory; the time-split evaluation against baselines |
//! | [`score`], [`export`] | a list's rows in and out; the nightly export's atomic, resumable partitions, whole or by shards (`export::shard`) with a checked finalize |
//! | [`serve`] | the engine over HTTP: routes, JSON errors naming fields, in-flight bound, metrics, hot reload |
//! | [`panels`] | real follower-history panels for backtests |
//! | [`fsutil`], [`progress`], [`describe`] | atomic writes and memory readings; progress bars; dataset summaries |
//!
//! Data flow:
//!
//! ```text
//! train:  dataset::load → affinity::fit ─┬→ model_dir (affinity.bin, catalog.bin, manifest.json)
//!                        ranker::fit ────┤→ ranker.bin (folds: affinity refits → out-of-fold rows → trees)
//!                        growth::fit ────┤→ growth.bin
//!                        index::build ───┘→ index/ (+ index.json)
//! serve:  Engine::open(model_dir) → query(brand | brief) → Filter::compile
//!         → Retriever::top_k (index / exact, N candidates) → ranker scores → top k → Rows (reasons)
//! export: Engine::brand_queries(brands) → batch_top_k (blocked sgemm or index) → Parquet parts
//!         → _MANIFEST.json, _SUCCESS → rename into date=YYYY-MM-DD
//! http:   serve::run → AppState (ArcSwap<Serving{Engine, growth}>) → routes → engine methods
//!         on the blocking pool; reload = Engine::open beside → swap
//! eval:   time split → refit → Engine::from_parts → every segment × recommender → metrics
//! ```
//!
//! No module imports one above it in this list but `score`, `export` and `serve`, which sit on
//! the engine.

pub mod affinity;
pub mod artifact;
pub mod catalog;
pub mod contract;
pub mod csv_lint;
pub mod dataset;
pub mod describe;
pub mod engine;
pub mod evaluate;
pub mod export;
pub mod fsutil;
pub mod growth;
pub mod import;
pub mod index;
pub mod linalg;
pub mod metrics;
pub mod model_dir;
pub mod panels;
pub mod parse;
pub mod pipeline;
pub mod progress;
pub mod ranker;
pub mod report;
pub mod score;
pub mod serve;
pub mod sim;
pub mod table;
pub mod tier;
pub mod train;

pub use engine::{Engine, EngineError, IndexUse, OpenOptions};
pub use pipeline::{Answer, Brief, FilterSpec, QueryError, Recommendation, Who};
