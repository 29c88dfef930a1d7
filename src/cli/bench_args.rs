//! The arguments of `kolrec bench`: which benchmark, and where the peers and their Python are.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::args::{AffinityArgs, GrowthArgs, IndexArgs, RankerArgs};

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub what: BenchWhat,
}

/// Where `peers.py` and its Python are.
#[derive(Args, Debug)]
pub struct PeersArgs {
    /// Python with the peers' packages (see ../shared/bench/README.md).
    #[arg(long, default_value_os_t = default_peers_python())]
    pub python: PathBuf,
    #[arg(long, default_value = "../shared/bench/peers.py")]
    pub peers: PathBuf,
}

impl PeersArgs {
    pub fn peers(self) -> crate::bench::Peers {
        crate::bench::Peers { python: self.python, script: self.peers }
    }
}

#[derive(Subcommand, Debug)]
pub enum BenchWhat {
    /// kolrec vs implicit ALS (../shared/bench/peers.py) on the same interactions and split.
    Affinity {
        #[arg(long, default_value = "datasets/sample")]
        data: PathBuf,
        #[arg(long, default_value = "target/kolrec-bench/affinity")]
        out: PathBuf,
        #[command(flatten)]
        peers: PeersArgs,
        #[command(flatten)]
        affinity: AffinityArgs,
    },
    /// kolrec's recommendations vs peers.py outcome (LightGBM) and implicit ALS, trained before the
    /// same time split and judged by the same evaluation.
    Ranking {
        #[arg(long, default_value = "datasets/sample")]
        data: PathBuf,
        #[arg(long, default_value = "target/kolrec-bench/ranking")]
        out: PathBuf,
        #[command(flatten)]
        peers: PeersArgs,
        #[command(flatten)]
        affinity: AffinityArgs,
        #[command(flatten)]
        ranker: RankerArgs,
        /// Recommendations per brand from each peer.
        #[arg(short, long, default_value_t = 3000)]
        k: usize,
    },
    /// The ranker's trees (forust-ml) vs LightGBM on the same out-of-fold rows and settings.
    Trees {
        #[arg(long, default_value = "datasets/sample")]
        data: PathBuf,
        #[arg(long, default_value = "target/kolrec-bench/trees")]
        out: PathBuf,
        #[command(flatten)]
        peers: PeersArgs,
        /// The LightGBM side.
        #[arg(long, default_value = "benches/lightgbm_trees.py")]
        script: PathBuf,
        #[command(flatten)]
        affinity: AffinityArgs,
        #[command(flatten)]
        ranker: RankerArgs,
    },
    /// Single recommend queries through both stages and through stage 1 alone: p50/p95/p99.
    Recommend {
        /// A trained model directory with a learned ranker.
        #[arg(long)]
        model: PathBuf,
        /// Brands queried (evenly spaced over the model's).
        #[arg(long, default_value_t = 1000)]
        queries: usize,
        #[arg(short, long, default_value_t = 20)]
        k: usize,
        /// Also measure retrieval recall on this many brands (the ranker scores every creator
        /// for each: slow at full scale).
        #[arg(long, default_value_t = 0)]
        recall_brands: usize,
    },
    /// `kolrec serve` under open-loop load at fixed rates (latency from each request's due time),
    /// beside the same queries in-process; a reload during load; peak memory.
    Serve {
        /// A trained model directory (with its index, for the full-scale figures).
        #[arg(long)]
        model: PathBuf,
        /// Seconds per measured rate.
        #[arg(long, default_value_t = 15.0)]
        seconds: f64,
        /// Rate of the unfiltered run (requests/s).
        #[arg(long, default_value_t = 500.0)]
        rate: f64,
        /// Rate of the filtered run and of the reload run.
        #[arg(long, default_value_t = 200.0)]
        filtered_rate: f64,
        /// Rates tried in order for the highest one held with p99 <= 50 ms.
        #[arg(long, value_delimiter = ',', default_value = "100,200,300,400,600,800,1200")]
        ramp: Vec<f64>,
        /// Candidates per query for the learned ranker (default: its trained count).
        #[arg(long)]
        candidates: Option<usize>,
    },
    /// The HNSW index on a trained model's vectors vs hnswlib (../shared/bench/peers.py ann).
    Ann {
        /// A trained model directory (with its catalogue).
        #[arg(long)]
        model: PathBuf,
        #[arg(long, default_value = "target/kolrec-bench/ann")]
        out: PathBuf,
        #[command(flatten)]
        peers: PeersArgs,
        #[command(flatten)]
        index: IndexArgs,
        /// Candidate-list sizes to measure.
        #[arg(long, value_delimiter = ',', default_value = "10,20,40,80,160")]
        efs: Vec<usize>,
        /// Brands used as queries (0 = all).
        #[arg(long, default_value_t = 0)]
        max_queries: usize,
        /// Only kolrec's figures (no Python).
        #[arg(long)]
        no_peers: bool,
        /// Reuse the index an earlier run saved under OUT/index (search figures only).
        #[arg(long)]
        reuse: bool,
    },
    /// The growth model vs LightGBM & co. (../shared/bench/peers.py growth) on the same feature table and split.
    Growth {
        #[arg(long, default_value = "datasets/sample")]
        data: PathBuf,
        #[arg(long, default_value = "target/kolrec-bench/growth")]
        out: PathBuf,
        #[command(flatten)]
        peers: PeersArgs,
        #[command(flatten)]
        growth: GrowthArgs,
    },
    /// The growth model backtested on real follower histories (smi2022 lists, Social Blade
    /// weekly gains) against momentum, read in place from ../shared/data/real. Labels are the top
    /// share of growth within the platform (--growth-top-share, default here 0.1).
    GrowthReal {
        #[arg(long, default_value = "../shared/data/real")]
        real: PathBuf,
        #[arg(long, default_value = "target/kolrec-bench/growth-real")]
        out: PathBuf,
        #[command(flatten)]
        growth: GrowthArgs,
    },
    /// The export's exact top-k path vs numpy/BLAS matmul + argpartition on the same embeddings.
    Export {
        #[arg(long)]
        model: PathBuf,
        #[arg(long, default_value = "target/kolrec-bench/export")]
        out: PathBuf,
        /// Python with numpy (the peers' venv by default).
        #[arg(long, default_value_os_t = default_peers_python())]
        python: PathBuf,
        /// The first N brands of the model are the queries.
        #[arg(long, default_value_t = 2000)]
        brands: usize,
        #[arg(short, long, default_value_t = 100)]
        k: usize,
        #[arg(long, default_value_t = 2)]
        threads: usize,
    },
    /// Wall time and peak memory of every step (generate, load, train, index, export, growth,
    /// serve) at growing market sizes, each step in its own process; a line of JSON per step
    /// into DIR/scale.jsonl, and the table with each step's growth exponent.
    Scale {
        /// Creators per market; brands are 1/50 of them, campaigns 5×, snapshots ~30× (120 days).
        #[arg(long, value_delimiter = ',', default_value = "250000,500000,1000000,2000000")]
        influencers: Vec<usize>,
        /// Steps to leave out (generate, load, train, index, export, serve, growth-train, growth).
        #[arg(long, value_delimiter = ',')]
        skip: Vec<String>,
        /// Scratch directory (about 0.4 GB of data and 0.6 GB of model per million creators).
        #[arg(long, default_value = "target/kolrec-bench/scale")]
        dir: PathBuf,
        /// Keep each market and model (deleted after its size otherwise).
        #[arg(long)]
        keep: bool,
    },
    /// Generate and load (validate) throughput and peak memory.
    Data {
        /// small: 2K brands × 100K influencers × 500K campaigns; full: 20K × 1M × 5M, ~30M snapshots.
        #[arg(long, value_enum, default_value = "small")]
        scale: crate::bench::Scale,
        /// Scratch directory (large at full scale: ~1.5 GB).
        #[arg(long, default_value = "target/kolrec-bench")]
        dir: PathBuf,
        /// Keep the generated data.
        #[arg(long)]
        keep: bool,
    },
}

fn default_peers_python() -> PathBuf {
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default().join(".cache/kolrec-peers/bin/python")
}
