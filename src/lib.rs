//! kolrec: recommends influencers (KOLs, 达人) to brands from historical campaign outcomes, and
//! flags creators about to grow.
//!
//! Module map: `contract` (the data contract), `tier` (follower tiers), `parse` (values),
//! `table` (files), `dataset` (typed, validated data), `report` (problems), `import` (messy
//! lists), `sim` (market simulator), `describe` (dataset summaries), `cli` (commands).

pub mod affinity;
pub mod artifact;
pub mod bench;
pub mod catalog;
pub mod cli;
pub mod contract;
pub mod dataset;
pub mod demo;
pub mod describe;
pub mod evaluate;
pub mod export;
pub mod fsutil;
pub mod growth;
pub mod import;
pub mod index;
pub mod model_dir;
pub mod parse;
pub mod progress;
pub mod recommend;
pub mod report;
pub mod score;
pub mod sim;
pub mod table;
pub mod tier;
