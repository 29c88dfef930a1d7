//! Command-line interface: clap arguments, their conversion into checked configs before any work
//! starts, and one `run` that dispatches the commands.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::affinity::{AffinityModel, AffinityParams, Tracking};
use crate::contract::Objective;
use crate::dataset::{self, LoadOptions};
use crate::describe::Summary;
use crate::evaluate::{self, EvalConfig};
use crate::fsutil::{human_bytes, peak_rss_bytes};
use crate::growth::{GrowthError, GrowthModel, GrowthParams};
use crate::import::{self, ImportConfig};
use crate::index::IndexParams;
use crate::model_dir::{self, DataInfo};
use crate::parse::iso_date;
use crate::recommend::{Answer, Brief, FilterSpec, Who};
use crate::sim::{self, SimParams};
use crate::table::Format;

#[derive(Parser, Debug)]
#[command(name = "kolrec", version, about = "Recommend influencers (KOLs) to brands from campaign outcomes")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the main job on the sample market: generate, validate, summarise, and say where files went.
    Demo(DemoArgs),
    /// Generate a simulated market in the data contract, with its ground truth in DIR/truth/.
    Generate(GenerateArgs),
    /// Check a dataset directory against the data contract.
    Validate(ValidateArgs),
    /// Turn a messy influencer list (CSV or Parquet) into the contract's influencers table.
    Import(ImportArgs),
    /// Train the affinity model on a dataset into a model directory.
    Train(TrainArgs),
    /// Evaluate on a time split: refit with the model's parameters before the cutoff, test after.
    Eval(EvalArgs),
    /// (Re)build the ANN index of a model directory.
    Index(IndexCmdArgs),
    /// Top-k influencers for a brand (or a brief), with filters and reasons.
    Recommend(RecommendArgs),
    /// Lookalike influencers: more creators like this one.
    Similar(SimilarArgs),
    /// Probability of strong follower growth over the next 30 days, as of a date.
    Growth(GrowthCmdArgs),
    /// Score a list of influencers for one brand (or brief); every input row is kept, in order.
    Score(ScoreArgs),
    /// The nightly export: every brand's top-k creators as Parquet under OUT/date=YYYY-MM-DD/.
    Export(ExportArgs),
    /// Measure throughput and peak memory (prints figures; see README).
    Bench(BenchArgs),
}

#[derive(Args, Debug)]
pub struct ScoreArgs {
    #[arg(long)]
    pub model: PathBuf,
    /// A trained brand's ID (or give a brief with --brief-category ...).
    #[arg(long, required_unless_present = "brief_category", conflicts_with = "brief_category")]
    pub brand: Option<String>,
    #[command(flatten)]
    pub brief: BriefArgs,
    /// The list: the contract's influencers table, or a platform export (CSV or Parquet).
    #[arg(long)]
    pub input: PathBuf,
    /// Output, CSV or Parquet by extension.
    #[arg(long)]
    pub out: PathBuf,
    /// Platform of every row of a platform export.
    #[arg(long)]
    pub platform: Option<String>,
    /// Use this column of a platform export as the handle.
    #[arg(long)]
    pub id_column: Option<String>,
    /// Dataset whose follower snapshots give growth scores (optional).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Growth as of this date (default: the data's last snapshot).
    #[arg(long)]
    pub as_of: Option<String>,
    /// Rows shown in the summary.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
}

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
    /// exact: blocked matrix multiply over every creator; index: the HNSW index; auto: exact
    /// while brands × creators × dim ≤ 4e12.
    #[arg(long, value_enum, default_value_t = crate::export::PathChoice::Auto)]
    pub path: crate::export::PathChoice,
    /// Leave out creators the brand already worked with (they are kept and flagged otherwise).
    #[arg(long)]
    pub exclude_worked: bool,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ObjectiveArg {
    Reach,
    Engagement,
    Conversion,
}

impl From<ObjectiveArg> for Objective {
    fn from(o: ObjectiveArg) -> Objective {
        match o {
            ObjectiveArg::Reach => Objective::Reach,
            ObjectiveArg::Engagement => Objective::Engagement,
            ObjectiveArg::Conversion => Objective::Conversion,
        }
    }
}

/// Affinity hyperparameters; defaults and ranges in `AffinityParams` and the README.
#[derive(Args, Debug, Clone)]
pub struct AffinityArgs {
    /// What a collaboration is worth: impressions, clicks or revenue per unit cost.
    #[arg(long, value_enum, default_value = "engagement")]
    pub objective: ObjectiveArg,
    #[arg(long, default_value_t = 64)]
    pub factors: usize,
    #[arg(long, default_value_t = 15)]
    pub iterations: usize,
    #[arg(long, default_value_t = 20.0)]
    pub regularization: f64,
    #[arg(long, default_value_t = 1.0)]
    pub prior_regularization: f64,
    #[arg(long, default_value_t = 10.0)]
    pub alpha: f64,
    #[arg(long, default_value_t = 0.05)]
    pub implicit_weight: f64,
    #[arg(long, default_value_t = 3)]
    pub cg_steps: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

impl AffinityArgs {
    pub fn params(&self) -> Result<AffinityParams> {
        let p = AffinityParams {
            objective: self.objective.into(),
            factors: self.factors,
            iterations: self.iterations,
            regularization: self.regularization,
            prior_regularization: self.prior_regularization,
            alpha: self.alpha,
            implicit_weight: self.implicit_weight,
            cg_steps: self.cg_steps,
            seed: self.seed,
        };
        p.check()?;
        Ok(p)
    }
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    #[arg(long)]
    pub data: PathBuf,
    /// Model directory (created if needed).
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub affinity: AffinityArgs,
    /// Quarantine bad input rows (into OUT/rejected.csv) instead of failing.
    #[arg(long)]
    pub lenient: bool,
    /// Measure the objective after every sweep (recorded in the manifest), not only at the ends.
    #[arg(long)]
    pub track_objective: bool,
    /// Skip building the ANN index (build it later with `kolrec index`).
    #[arg(long)]
    pub no_index: bool,
    #[command(flatten)]
    pub index: IndexArgs,
    /// Skip the growth model.
    #[arg(long)]
    pub no_growth: bool,
    #[command(flatten)]
    pub growth: GrowthArgs,
}

/// Growth-model hyperparameters; defaults and ranges in `GrowthParams` and the README.
#[derive(Args, Debug, Clone)]
pub struct GrowthArgs {
    /// Strong growth: followers up by at least this share over the horizon (0.10 = +10%).
    #[arg(long, default_value_t = GrowthParams::default().threshold)]
    pub growth_threshold: f64,
    /// Instead of the threshold: the top share of growth within each platform (e.g. 0.1).
    #[arg(long)]
    pub growth_top_share: Option<f64>,
    #[arg(long, default_value_t = GrowthParams::default().horizon_days)]
    pub growth_horizon: i32,
    /// Days between the as-of dates of training rows.
    #[arg(long, default_value_t = GrowthParams::default().step_days)]
    pub growth_step: i32,
    /// Tracked days needed before a creator is scored.
    #[arg(long, default_value_t = GrowthParams::default().min_history_days)]
    pub growth_min_history: i32,
    #[arg(long, default_value_t = GrowthParams::default().trees)]
    pub growth_trees: usize,
    #[arg(long, default_value_t = GrowthParams::default().max_depth)]
    pub growth_max_depth: usize,
    #[arg(long, default_value_t = GrowthParams::default().l2)]
    pub growth_l2: f64,
}

impl GrowthArgs {
    pub fn params(&self) -> Result<GrowthParams> {
        let p = GrowthParams {
            horizon_days: self.growth_horizon,
            threshold: self.growth_threshold,
            top_share: self.growth_top_share,
            step_days: self.growth_step,
            min_history_days: self.growth_min_history,
            trees: self.growth_trees,
            max_depth: self.growth_max_depth,
            l2: self.growth_l2,
            ..GrowthParams::default()
        };
        p.check()?;
        Ok(p)
    }
}

#[derive(Args, Debug)]
pub struct GrowthCmdArgs {
    #[arg(long)]
    pub model: PathBuf,
    #[arg(long)]
    pub data: PathBuf,
    /// Score as of this date (YYYY-MM-DD): only snapshots up to it are read.
    #[arg(long)]
    pub as_of: String,
    /// Rows to print.
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    #[arg(long)]
    pub json: bool,
    /// Write every creator (scored or not, with why) to FILE.csv or FILE.parquet.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// HNSW index parameters; defaults and ranges in `IndexParams` and the README.
#[derive(Args, Debug, Clone)]
pub struct IndexArgs {
    /// Links per node and layer.
    #[arg(long, default_value_t = 16)]
    pub m: usize,
    #[arg(long, default_value_t = 200)]
    pub ef_construction: usize,
    /// Candidate list per query (recorded in the sidecar; the default for every query).
    #[arg(long, default_value_t = 160)]
    pub ef_search: usize,
    /// Filtered queries leaving fewer creators than this are answered by an exact scan.
    #[arg(long, default_value_t = 200_000)]
    pub exact_below: usize,
}

impl IndexArgs {
    pub fn params(&self) -> Result<IndexParams> {
        let p = IndexParams {
            m: self.m,
            ef_construction: self.ef_construction,
            ef_search: self.ef_search,
            exact_below: self.exact_below,
        };
        p.check()?;
        Ok(p)
    }
}

#[derive(Args, Debug)]
pub struct IndexCmdArgs {
    #[arg(long)]
    pub model: PathBuf,
    #[command(flatten)]
    pub index: IndexArgs,
}

/// The filters of `recommend` and `similar`.
#[derive(Args, Debug, Clone, Default)]
pub struct FilterArgs {
    /// Keep these platforms (repeat or comma-separate).
    #[arg(long = "platform", value_delimiter = ',')]
    pub platforms: Vec<String>,
    /// Keep these content categories.
    #[arg(long = "category", value_delimiter = ',')]
    pub categories: Vec<String>,
    /// Keep creators in these countries (ISO codes).
    #[arg(long = "country", value_delimiter = ',')]
    pub countries: Vec<String>,
    /// Keep these follower tiers: nano, micro, mid, macro, mega.
    #[arg(long = "tier", value_delimiter = ',')]
    pub tiers: Vec<crate::tier::Tier>,
    #[arg(long)]
    pub min_followers: Option<f64>,
    /// Exclusive upper bound.
    #[arg(long)]
    pub max_followers: Option<f64>,
    /// Highest price per post (creators without a known price are left out).
    #[arg(long)]
    pub max_price: Option<f64>,
    /// Lowest engagement rate, as a share (0.03 = 3%).
    #[arg(long)]
    pub min_engagement: Option<f32>,
    /// Influencer IDs to leave out (repeat or comma-separate).
    #[arg(long, value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// Leave out creators the brand already worked with.
    #[arg(long)]
    pub exclude_worked: bool,
}

impl FilterArgs {
    pub fn spec(&self) -> FilterSpec {
        FilterSpec {
            platforms: self.platforms.clone(),
            categories: self.categories.clone(),
            countries: self.countries.clone(),
            tiers: self.tiers.clone(),
            min_followers: self.min_followers,
            max_followers: self.max_followers,
            max_price: self.max_price,
            min_engagement: self.min_engagement,
            exclude: self.exclude.clone(),
            exclude_worked: self.exclude_worked,
        }
    }
}

#[derive(Args, Debug)]
pub struct RecommendArgs {
    #[arg(long)]
    pub model: PathBuf,
    /// A brand in the model.
    #[arg(long, required_unless_present = "brief_category", conflicts_with = "brief_category")]
    pub brand: Option<String>,
    #[command(flatten)]
    pub brief: BriefArgs,
    #[arg(short, long, default_value_t = 20)]
    pub k: usize,
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Scan every creator exactly instead of using the ANN index.
    #[arg(long)]
    pub exact: bool,
    #[arg(long)]
    pub json: bool,
}

/// A new brand described by features (a brief).
#[derive(Args, Debug)]
pub struct BriefArgs {
    /// A new brand's category (a brief: scored from features).
    #[arg(long)]
    pub brief_category: Option<String>,
    #[arg(long, requires = "brief_category", default_value = "")]
    pub brief_country: String,
    /// Share of the brief's target audience that is female (0–1).
    #[arg(long, requires = "brief_category")]
    pub brief_female_share: Option<f32>,
    /// Five comma-separated shares of the target audience by age bucket (13-17,18-24,25-34,35-44,45+).
    #[arg(long, requires = "brief_category", value_delimiter = ',', num_args = 5)]
    pub brief_ages: Option<Vec<f32>>,
}

impl BriefArgs {
    /// The brand `--brand` names, or the brief.
    pub fn who(&self, brand: Option<&str>) -> Result<Who> {
        Ok(match (brand, &self.brief_category) {
            (Some(b), _) => Who::Brand(b.to_string()),
            (None, Some(c)) => Who::Brief(Brief {
                category: c.clone(),
                country: self.brief_country.clone(),
                female_share: self.brief_female_share,
                ages: self.brief_ages.as_ref().map(|v| std::array::from_fn(|i| v[i])),
            }),
            (None, None) => bail!("give --brand ID or a brief (--brief-category ...)"),
        })
    }
}

#[derive(Args, Debug)]
pub struct SimilarArgs {
    #[arg(long)]
    pub model: PathBuf,
    #[arg(long)]
    pub influencer: String,
    #[arg(short, long, default_value_t = 20)]
    pub k: usize,
    #[command(flatten)]
    pub filters: FilterArgs,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    #[arg(long)]
    pub data: PathBuf,
    #[arg(long)]
    pub model: PathBuf,
    /// Share of the campaign time span held out at the end.
    #[arg(long, default_value_t = 0.2)]
    pub holdout: f64,
    /// Bootstrap resamples for the 95% intervals (0: none).
    #[arg(long, default_value_t = 1000)]
    pub bootstrap: usize,
    /// Cut-offs k of Recall@k, NDCG@k, MAP@k and coverage.
    #[arg(long, value_delimiter = ',', default_value = "10,50")]
    pub ks: Vec<usize>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Where the demo writes everything.
    #[arg(long, default_value = "kolrec-demo")]
    pub out: PathBuf,
    /// Use this dataset instead of generating the sample market.
    #[arg(long)]
    pub data: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FormatArg {
    Csv,
    Parquet,
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[arg(long, default_value_t = 200)]
    pub brands: usize,
    #[arg(long, default_value_t = 3000)]
    pub influencers: usize,
    #[arg(long, default_value_t = 180)]
    pub days: u32,
    /// Campaign rows (one per post); default 60 per brand.
    #[arg(long)]
    pub campaigns: Option<usize>,
    #[arg(long, value_enum, default_value = "parquet")]
    pub format: FormatArg,
    /// Date of day 0 (YYYY-MM-DD).
    #[arg(long, default_value = "2025-01-01")]
    pub start_date: String,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    #[arg(long)]
    pub data: PathBuf,
    /// Quarantine bad rows into a rejected file instead of failing.
    #[arg(long)]
    pub lenient: bool,
    /// Where lenient mode writes rejected rows (default: DATA/rejected.csv).
    #[arg(long)]
    pub rejected: Option<PathBuf>,
    /// How many problems to print.
    #[arg(long, default_value_t = 20)]
    pub max_problems: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    #[arg(long)]
    pub input: PathBuf,
    /// Platform of the list's creators (douyin, kuaishou, xiaohongshu, bilibili, weibo,
    /// wechat_channels, instagram, tiktok, youtube, or any other name).
    #[arg(long)]
    pub platform: String,
    /// Output file: .csv or .parquet.
    #[arg(long)]
    pub out: PathBuf,
    /// Input column to use as the handle instead of guessing.
    #[arg(long)]
    pub id_column: Option<String>,
}

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
    fn peers(self) -> crate::bench::Peers {
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

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Demo(a) => crate::demo::run(&a.out, a.data.as_deref()),
        Command::Generate(a) => generate(a),
        Command::Validate(a) => validate(a),
        Command::Import(a) => import_list(a),
        Command::Train(a) => train(a),
        Command::Eval(a) => eval(a),
        Command::Index(a) => index(a),
        Command::Recommend(a) => recommend(a),
        Command::Similar(a) => similar(a),
        Command::Growth(a) => growth(a),
        Command::Export(a) => export(a),
        Command::Score(a) => score(a),
        Command::Bench(a) => match a.what {
            BenchWhat::Data { scale, dir, keep } => crate::bench::data(scale, &dir, keep),
            BenchWhat::Growth { data, out, peers, growth } => {
                crate::bench::growth::run(&data, &out, &peers.peers(), &growth.params()?)
            }
            BenchWhat::Export { model, out, python, brands, k, threads } => {
                crate::bench::export::run(&crate::bench::export::ExportBench {
                    model: &model,
                    out: &out,
                    python: &python,
                    brands,
                    k,
                    threads,
                })
            }
            BenchWhat::GrowthReal { real, out, growth } => {
                crate::bench::growth_real::run(&real, &out, &growth.params()?)
            }
            BenchWhat::Ann { model, out, peers, index, efs, max_queries, no_peers, reuse } => {
                crate::bench::ann::run(&crate::bench::ann::AnnBench {
                    model: &model,
                    out: &out,
                    peers: &peers.peers(),
                    params: index.params()?,
                    efs,
                    max_queries,
                    skip_peers: no_peers,
                    reuse,
                })
            }
            BenchWhat::Affinity { data, out, peers, affinity } => {
                crate::bench::affinity(&data, &out, &peers.peers(), &affinity.params()?)
            }
        },
    }
}

impl GenerateArgs {
    pub fn params(&self) -> Result<SimParams> {
        let start_date = iso_date(&self.start_date)
            .with_context(|| format!("--start-date '{}' is not a date (YYYY-MM-DD)", self.start_date))?;
        let p = SimParams {
            seed: self.seed,
            brands: self.brands,
            influencers: self.influencers,
            days: self.days,
            campaigns: self.campaigns,
            format: match self.format {
                FormatArg::Csv => Format::Csv,
                FormatArg::Parquet => Format::Parquet,
            },
            start_date,
        };
        p.check()?;
        Ok(p)
    }
}

fn generate(a: GenerateArgs) -> Result<()> {
    let p = a.params()?;
    let summary =
        sim::generate(&p, &a.out, a.quiet || a.json).with_context(|| format!("generating into {}", a.out.display()))?;
    let peak = peak_rss_bytes();
    if a.json {
        let mut v = serde_json::to_value(&summary)?;
        v["peak_rss_bytes"] = serde_json::json!(peak);
        println!("{v}");
    } else {
        println!(
            "generated {} brands, {} influencers, {} campaign rows, {} snapshots in {:.1}s (peak memory {})",
            summary.brands,
            summary.influencers,
            summary.campaigns,
            summary.snapshots,
            summary.seconds,
            peak.map(human_bytes).unwrap_or_else(|| "n/a".into())
        );
        println!("dataset: {}   ground truth: {}", a.out.display(), a.out.join("truth").display());
    }
    Ok(())
}

fn require_dir(p: &Path, what: &str) -> Result<()> {
    if !p.is_dir() {
        bail!("{what} '{}' is not a directory", p.display());
    }
    Ok(())
}

fn validate(a: ValidateArgs) -> Result<()> {
    require_dir(&a.data, "--data")?;
    let rejected_path = a.rejected.clone().unwrap_or_else(|| a.data.join("rejected.csv"));
    let opts = LoadOptions { lenient: a.lenient, max_shown: a.max_problems };
    let t0 = Instant::now();
    let (ds, report) = dataset::load(&a.data, &opts)?;
    let seconds = t0.elapsed().as_secs_f64();
    if a.lenient && !report.rejected.is_empty() {
        dataset::write_rejected(&report.rejected, &rejected_path)?;
    }
    let rows: usize = report.tables.iter().map(|t| t.1.rows_read).sum();
    if a.json {
        let tables: serde_json::Map<String, serde_json::Value> = report
            .tables
            .iter()
            .map(|(t, s)| {
                (
                    t.name().to_string(),
                    serde_json::json!({"file": s.file, "rows_read": s.rows_read, "rows_kept": s.rows_kept}),
                )
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "ok": true, "tables": tables, "rows": rows, "problems": report.problems.total,
                "rejected_rows": report.rejected.len(), "seconds": seconds, "peak_rss_bytes": peak_rss_bytes(),
            })
        );
        return Ok(());
    }
    for (t, s) in &report.tables {
        println!("{:<20} {:>10} rows  {}", t.name(), s.rows_kept, s.file.display());
    }
    if report.problems.total > 0 {
        println!("{}", report.problems);
        println!("{} row(s) quarantined into {}", report.rejected.len(), rejected_path.display());
    }
    println!("{}", Summary::of(&ds));
    println!(
        "valid: {} rows in {:.2}s ({:.0} rows/s, peak memory {})",
        rows,
        seconds,
        rows as f64 / seconds.max(1e-9),
        peak_rss_bytes().map(human_bytes).unwrap_or_else(|| "n/a".into())
    );
    Ok(())
}

fn import_list(a: ImportArgs) -> Result<()> {
    if !a.input.is_file() {
        bail!("--input '{}' is not a file", a.input.display());
    }
    Format::of(&a.out)?;
    if let Some(parent) = a.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let cfg = ImportConfig { input: a.input, platform: a.platform, out: a.out, id_column: a.id_column };
    let report = import::import(&cfg)?;
    println!("{report}");
    Ok(())
}

/// Load a dataset for a command, quarantining bad rows into `rejected` when lenient.
pub fn load_data(dir: &Path, lenient: bool, rejected: &Path) -> Result<dataset::Dataset> {
    require_dir(dir, "--data")?;
    let (ds, report) = dataset::load(dir, &LoadOptions { lenient, max_shown: 20 })?;
    if !report.rejected.is_empty() {
        dataset::write_rejected(&report.rejected, rejected)?;
        eprintln!("{} bad row(s) quarantined into {}", report.rejected.len(), rejected.display());
    }
    Ok(ds)
}

/// Train the affinity model on every campaign row and save it with its manifest, the serving
/// catalogue and (given its parameters) the ANN index.
pub fn train_into(
    data: &Path,
    out: &Path,
    params: &AffinityParams,
    lenient: bool,
    track: Tracking,
    index: Option<&IndexParams>,
    growth: Option<&GrowthParams>,
) -> Result<model_dir::Manifest> {
    let ds = load_data(data, lenient, &out.join("rejected.csv"))?;
    let rows: Vec<usize> = (0..ds.campaigns.len()).collect();
    let (model, report) = AffinityModel::fit_tracked(&ds, &rows, params, track)?;
    let info = DataInfo::of(data, &ds).with_context(|| format!("fingerprinting {}", data.display()))?;
    let mut manifest = model_dir::save_affinity(out, &model, &report, info)?;
    model_dir::save_catalog(out, &crate::catalog::Catalog::build(&ds, &rows), &mut manifest)?;
    if let Some(gp) = growth {
        // A dataset without enough follower history still gets its affinity model: the growth
        // model is skipped with a warning naming what is missing.
        let until = ds.snapshots.date.iter().max().copied().unwrap_or(0);
        match GrowthModel::fit(&ds, until, gp) {
            Ok((g, report)) => model_dir::save_growth(out, &g, &report, &mut manifest)?,
            Err(e @ (GrowthError::TooShort { .. } | GrowthError::NoRows { .. } | GrowthError::OneClass { .. })) => {
                eprintln!("warning: growth model not trained: {e}")
            }
            Err(e) => return Err(e.into()),
        }
    }
    drop(ds);
    if let Some(ip) = index {
        model_dir::build_index(out, &model, &mut manifest, ip, false)?;
    }
    Ok(manifest)
}

fn train(a: TrainArgs) -> Result<()> {
    let params = a.affinity.params()?;
    let index_params = a.index.params()?;
    let growth_params = a.growth.params()?;
    let track = if a.track_objective { Tracking::EverySweep } else { Tracking::Ends };
    let m = train_into(
        &a.data,
        &a.out,
        &params,
        a.lenient,
        track,
        (!a.no_index).then_some(&index_params),
        (!a.no_growth).then_some(&growth_params),
    )?;
    let e = m.affinity.as_ref().expect("just trained");
    let t = &e.train;
    println!(
        "trained affinity model ({} objective, {} factors) on {} campaign rows ({} without the objective's outcome), {} pairs, {} warm brands, {} warm influencers in {:.1}s",
        params.objective,
        params.factors,
        t.rows_used,
        t.rows_without_objective,
        t.pairs,
        t.warm_brands,
        t.warm_influencers,
        t.seconds
    );
    println!(
        "objective {:.1} -> {:.1} over {} sweeps",
        t.objective_history[0],
        t.objective_history.last().copied().unwrap_or(f64::NAN),
        params.iterations
    );
    println!(
        "model: {} ({} bytes), manifest: {}",
        a.out.join(&e.file).display(),
        e.bytes,
        a.out.join(model_dir::MANIFEST_FILE).display()
    );
    if let Some(g) = &m.growth {
        println!(
            "growth model: {} chosen (out-of-fold over {} date blocks, trees' weight → ROC-AUC / calibrated Brier: {}), {} rows from {} to {}, calibrated on {} out-of-fold scores: {}",
            g.train.chosen,
            g.train.folds,
            g.train
                .candidates
                .iter()
                .map(|c| format!("{:.2} → {:.3} / {:.4}", c.forest_weight, c.roc_auc, c.brier))
                .collect::<Vec<_>>()
                .join(", "),
            g.train.rows,
            g.train.first_date,
            g.train.last_date,
            g.train.calibration_rows,
            a.out.join(&g.file).display()
        );
    }
    if let Some(ix) = &m.index {
        println!("{}", index_line(ix, &a.out));
    }
    Ok(())
}

fn index_line(ix: &model_dir::IndexEntry, model: &Path) -> String {
    format!(
        "ANN index: {} creators, M {}, ef_construction {}, ef_search {}, built in {:.1}s, {}: {}",
        ix.count,
        ix.params.m,
        ix.params.ef_construction,
        ix.params.ef_search,
        ix.build_seconds,
        human_bytes(ix.bytes),
        model.join(&ix.dir).display()
    )
}

fn growth(a: GrowthCmdArgs) -> Result<()> {
    let day = iso_date(&a.as_of).with_context(|| format!("--as-of '{}' is not a date (YYYY-MM-DD)", a.as_of))?;
    if let Some(out) = &a.out {
        Format::of(out)?;
    }
    let (model, _) = model_dir::load_growth(&a.model)?;
    let ds = load_data(&a.data, false, &a.model.join("rejected.csv"))?;
    let t0 = Instant::now();
    let scoring = model.score(&ds, day, a.top);
    let seconds = t0.elapsed().as_secs_f64();
    if let Some(out) = &a.out {
        crate::growth::write_scores(&scoring, out)?;
    }
    if a.json {
        let mut top = scoring;
        top.scored.truncate(a.top);
        println!("{}", serde_json::to_string(&top)?);
        return Ok(());
    }
    print!("{}", crate::growth::table(&scoring, a.top, seconds));
    if let Some(out) = &a.out {
        println!("every creator written to {}", out.display());
    }
    Ok(())
}

fn score(a: ScoreArgs) -> Result<()> {
    Format::of(&a.out)?;
    let who = a.brief.who(a.brand.as_deref())?;
    let as_of = a
        .as_of
        .as_deref()
        .map(|d| iso_date(d).with_context(|| format!("--as-of '{d}' is not a date (YYYY-MM-DD)")))
        .transpose()?;
    let serving = model_dir::load_serving(&a.model, true)?;
    let server = serving.server();
    let (query, _, label) = server.brand_query(&who)?;
    let t0 = Instant::now();
    let parsed = crate::score::parse(&a.input, a.platform.as_deref(), a.id_column.as_deref())?;
    let growth = match &a.data {
        None => None,
        Some(dir) => {
            let (g, _) = model_dir::load_growth(&a.model)?;
            let ds = load_data(dir, false, &a.out.with_extension("rejected.csv"))?;
            let day = as_of
                .or_else(|| ds.snapshots.date.iter().max().copied())
                .context("the data has no follower snapshots")?;
            let s = g.score(&ds, day, 0);
            let map = s
                .scored
                .into_iter()
                .map(|r| {
                    let why = if r.suspicious_growth { r.reason.clone() } else { String::new() };
                    (r.influencer_id, (r.probability, r.suspicious_growth, why))
                })
                .collect();
            Some((map, s.as_of))
        }
    };
    let rows = crate::score::score(&server, &query, &parsed, growth.as_ref());
    let mut frame = crate::score::output_frame(&parsed, &rows);
    crate::table::write(&mut frame, &a.out)?;
    let seconds = t0.elapsed().as_secs_f64();
    let n = parsed.input.height();
    let unscored = n - rows.len();
    println!(
        "scored {} of {} rows for {label} ({} known to the model, {} from their profile; {unscored} not scored) in {seconds:.2}s ({:.0} rows/s): {}",
        rows.len(),
        n,
        rows.iter().filter(|r| r.known).count(),
        rows.iter().filter(|r| !r.known).count(),
        n as f64 / seconds.max(1e-9),
        a.out.display()
    );
    let mut why: std::collections::BTreeMap<&str, usize> = Default::default();
    for s in parsed.rejected.values() {
        *why.entry(s.split(':').nth(1).map_or(s.as_str(), str::trim)).or_default() += 1;
    }
    for (w, c) in &why {
        println!("  not scored: {c} × {w}");
    }
    let mut best: Vec<&crate::score::Row> = rows.iter().collect();
    best.sort_by_key(|r| r.rank);
    println!(
        "{:>4}  {:<24} {:>7} {:>8} {:>8} {:>6} {:>8}  reason",
        "rank", "influencer", "score", "CTR %", "CPM", "value", "p(grow)"
    );
    for r in best.iter().take(a.top) {
        println!(
            "{:>4}  {:<24} {:>7.3} {:>8} {:>8.1} {:>6.2} {:>8}  {}",
            r.rank,
            r.influencer_id.chars().take(24).collect::<String>(),
            r.score,
            r.predicted_ctr.map_or("n/a".into(), |c| format!("{:.2}", 100.0 * c)),
            r.predicted_cpm,
            r.value_for_money,
            r.growth_probability.map_or("n/a".into(), |p| format!("{p:.3}")),
            r.reason
        );
    }
    Ok(())
}

pub fn export(a: ExportArgs) -> Result<()> {
    use crate::export::{ExportJob, PathChoice, RunRecord};
    let t0 = Instant::now();
    let date = match &a.date {
        Some(d) => iso_date(d).with_context(|| format!("--date '{d}' is not a date (YYYY-MM-DD)"))?,
        None => crate::export::today(),
    };
    // Before the model and the data are loaded.
    crate::export::preflight(&a.out, &crate::parse::format_date(date), a.k, a.overwrite)?;
    let manifest = model_dir::read_manifest(&a.model)?;
    let with_index = a.path != PathChoice::Exact && manifest.index.is_some();
    let serving = model_dir::load_serving(&a.model, !with_index)?;
    let ds = load_data(&a.data, false, &a.out.join("rejected.csv"))?;
    let data = model_dir::DataInfo::of(&a.data, &ds)?;
    let growth = match model_dir::load_growth(&a.model) {
        Ok((g, _)) => {
            // As of the export date, or the data's last snapshot if that is earlier.
            let last = ds.snapshots.date.iter().max().copied().unwrap_or(date);
            crate::export::growth_scores(&crate::score::growth_by_id(&g, &ds, date.min(last)), &serving.model)
        }
        Err(model_dir::ModelDirError::NoGrowth { .. }) => Default::default(),
        Err(e) => return Err(e.into()),
    };
    let brands = crate::export::brand_queries(&serving.model, &ds.brands);
    drop(ds);
    let record = RunRecord {
        format: crate::export::EXPORT_FORMAT,
        kolrec_version: env!("CARGO_PKG_VERSION").into(),
        date: crate::parse::format_date(date),
        k: a.k,
        brands_per_part: (a.rows_per_file / a.k).max(1),
        path: a.path,
        exclude_worked: a.exclude_worked,
        model_crc32: manifest.affinity.as_ref().map(|e| e.crc32.clone()).unwrap_or_default(),
        data_fingerprint: data.fingerprint.clone(),
        growth_as_of: growth.as_of.clone(),
        brands: brands.len(),
    };
    let job = ExportJob {
        model: &serving.model,
        catalog: &serving.catalog,
        index: serving.index.as_ref(),
        model_dir: &a.model,
        data_dir: &a.data,
        brands,
        growth,
        out: &a.out,
        record,
        overwrite: a.overwrite,
        quiet: a.quiet,
    };
    let s = job.run()?;
    let m = &s.manifest;
    println!(
        "exported {} rows ({} brands, {} of them cold, × top {}) over {} creators by the {} path in {} files{}: {}",
        m.rows,
        m.run.brands,
        m.cold_brands,
        m.run.k,
        m.creators,
        match m.scoring_path {
            PathChoice::Index => "index",
            _ => "exact",
        },
        m.files.len(),
        if m.parts_resumed > 0 { format!(" ({} resumed)", m.parts_resumed) } else { String::new() },
        s.partition.display()
    );
    println!(
        "scoring {:.1}s, export {:.1}s, {:.0} rows/s; growth as of {}; total with loading {:.1}s",
        m.seconds_scoring,
        m.seconds_total,
        m.rows_per_second,
        m.run.growth_as_of.as_deref().unwrap_or("n/a (no growth model)"),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

fn index(a: IndexCmdArgs) -> Result<()> {
    let params = a.index.params()?;
    let (model, mut manifest) = model_dir::load_affinity(&a.model)?;
    let ix = model_dir::build_index(&a.model, &model, &mut manifest, &params, false)?;
    println!("{}", index_line(&ix, &a.model));
    Ok(())
}

fn recommend(a: RecommendArgs) -> Result<()> {
    let who = a.brief.who(a.brand.as_deref())?;
    let spec = a.filters.spec();
    // Arguments are checked before the model is loaded.
    spec.check()?;
    crate::recommend::Server::check_k(a.k)?;
    let serving = model_dir::load_serving(&a.model, a.exact)?;
    let answer = serving.server().recommend(&who, a.k, &spec)?;
    print_answer(&answer, a.json)
}

fn similar(a: SimilarArgs) -> Result<()> {
    let spec = a.filters.spec();
    spec.check()?;
    crate::recommend::Server::check_k(a.k)?;
    let serving = model_dir::load_serving(&a.model, true)?;
    let answer = serving.server().similar(&a.influencer, a.k, &spec)?;
    print_answer(&answer, a.json)
}

fn print_answer(answer: &Answer, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string(answer)?);
    } else {
        print!("{}", crate::recommend::table(answer));
    }
    Ok(())
}

/// Evaluate with a model directory's parameters and record the summary in its manifest.
pub fn eval_model(data: &Path, model: &Path, cfg: &EvalConfig) -> Result<evaluate::EvalReport> {
    // Loading verifies the model file; evaluation then refits with its parameters on the past only.
    let (trained, mut manifest) = model_dir::load_affinity(model)?;
    let params = trained.params.clone();
    drop(trained);
    let ds = load_data(data, false, &model.join("rejected.csv"))?;
    let truth = crate::sim::truth::Truth::load(data, &ds)?;
    // The index is measured with the parameters the model directory's own index was built with.
    let mut cfg = cfg.clone();
    if let (Some(ix), Some(_)) = (&manifest.index, &cfg.index) {
        cfg.index = Some(ix.params);
    }
    let mut report = evaluate::evaluate(&ds, truth.as_ref(), &params, &cfg)?;
    if let Some(g) = &manifest.growth {
        match evaluate::growth::evaluate_growth(&ds, &g.params) {
            Ok(e) => {
                let path = model.join(GROWTH_PREDICTIONS);
                e.predictions.write(&path).with_context(|| format!("writing {}", path.display()))?;
                report.growth = Some(e);
            }
            Err(e) => eprintln!("warning: growth model not evaluated: {e}"),
        }
    }
    let json = serde_json::to_value(&report)?;
    let path = model.join("eval.json");
    crate::fsutil::atomic_write(&path, serde_json::to_string_pretty(&json)?.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    manifest.evaluation = Some(json);
    model_dir::write_manifest(model, &manifest)?;
    Ok(report)
}

/// The growth test rows `kolrec eval` writes beside `eval.json` (for ROC, PR and calibration plots).
pub const GROWTH_PREDICTIONS: &str = "growth_predictions.parquet";

fn eval(a: EvalArgs) -> Result<()> {
    if a.ks.is_empty() || a.ks.iter().any(|&k| !(1..=1000).contains(&k)) {
        bail!("--ks must list cut-offs between 1 and 1000, e.g. 10,50 (got {:?})", a.ks);
    }
    let cfg = EvalConfig { holdout: a.holdout, bootstrap: a.bootstrap, ks: a.ks.clone(), ..EvalConfig::default() };
    if !(a.holdout > 0.0 && a.holdout < 1.0) {
        return Err(evaluate::EvalError::Holdout(a.holdout).into());
    }
    let report = eval_model(&a.data, &a.model, &cfg)?;
    if a.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{report}");
        println!("\nwritten: {}", a.model.join("eval.json").display());
    }
    Ok(())
}

fn default_peers_python() -> PathBuf {
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default().join(".cache/kolrec-peers/bin/python")
}
