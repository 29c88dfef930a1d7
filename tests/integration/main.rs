//! Integration tests: one binary, shared helpers in `common`.

mod architecture;
mod cli;
mod common;
// Kills a shard through a failpoint, which only `failpoints` builds have.
#[cfg(feature = "failpoints")]
mod dask_export;
mod export;
mod export_shards;
mod fuzz;
mod growth;
mod growth_real;
mod import_layouts;
mod import_real;
mod model;
mod recommend;
mod sample;
mod score;
mod server;
mod validate;
