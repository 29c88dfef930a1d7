//! The arguments of `kolrec export`: the model, the data, the partition, how it is scored, and
//! the shard a run computes.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::args::{FilterArgs, LenientArgs};

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[arg(long)]
    pub model: PathBuf,
    /// The dataset whose brands are exported (brands added since training are embedded from
    /// their features) and whose snapshots feed the growth scores.
    #[arg(long)]
    pub data: PathBuf,
    /// Export root; the partition is OUT/date=YYYY-MM-DD/.
    #[arg(long)]
    pub out: PathBuf,
    #[arg(short, long, default_value_t = 100)]
    pub k: usize,
    /// Partition date (default: today, UTC).
    #[arg(long)]
    pub date: Option<String>,
    /// Replace an existing partition for the date.
    #[arg(long)]
    pub overwrite: bool,
    /// Rows per Parquet file at most (whole brands per file).
    #[arg(long, default_value_t = 200_000)]
    pub rows_per_file: usize,
    /// Compute only shard I of N (the parts whose first brand ID hashes to I) into the date's
    /// unfinished partition; publish with --finalize N once all N are done.
    #[arg(long, value_name = "I/N", conflicts_with = "finalize")]
    pub shard: Option<String>,
    /// Check that shards 0/N … N-1/N all finished with these inputs, then publish the partition.
    #[arg(long, value_name = "N")]
    pub finalize: Option<usize>,
    /// exact: blocked matrix multiply over every creator; index: the HNSW index; auto: exact
    /// while brands × creators × dim ≤ 4e12.
    #[arg(long, value_enum, default_value_t = PathArg::Auto)]
    pub path: PathArg,
    /// The filters of `recommend`, applied to every brand (--exclude-worked: each brand's own
    /// past creators are left out; they are kept and flagged otherwise).
    #[command(flatten)]
    pub filters: FilterArgs,
    #[command(flatten)]
    pub lenient: LenientArgs,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
}

/// How the export matches brands to creators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PathArg {
    Auto,
    Exact,
    Index,
}

impl From<PathArg> for kolrec::engine::BatchPath {
    fn from(p: PathArg) -> Self {
        match p {
            PathArg::Auto => kolrec::engine::BatchPath::Auto,
            PathArg::Exact => kolrec::engine::BatchPath::Exact,
            PathArg::Index => kolrec::engine::BatchPath::Index,
        }
    }
}
