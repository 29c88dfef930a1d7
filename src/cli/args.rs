//! The command line's arguments (clap) and their conversion into the library's checked
//! parameters before any work starts.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};

use kolrec::affinity::AffinityParams;
use kolrec::contract::Objective;
use kolrec::growth::GrowthParams;
use kolrec::index::IndexParams;
use kolrec::parse::iso_date;
use kolrec::pipeline::{Brief, FilterSpec, Who};
use kolrec::ranker::{Offset, RankerError, RankerParams};
use kolrec::sim::SimParams;
use kolrec::table::Format;

use super::bench_args::BenchArgs;
use super::export_args::ExportArgs;
use super::serve_args::ServeArgs;

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
    /// Serve recommendations over HTTP (JSON) from a model kept loaded, with hot reloads.
    Serve(ServeArgs),
    /// Measure speed, memory and quality beside the peers (figures and commands: benches/README.md).
    Bench(BenchArgs),
}

#[derive(Args, Debug)]
pub struct ScoreArgs {
    /// Replace the output file if it exists.
    #[arg(long)]
    pub overwrite: bool,
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
    /// Platform of every row of a platform export (default: what the list says, by a platform
    /// column, profile links or a platform's own headers).
    #[arg(long)]
    pub platform: Option<String>,
    /// Use this column of a platform export as the handle.
    #[arg(long)]
    pub id_column: Option<String>,
    /// Take a platform export's column SOURCE as FIELD (handle, name, followers, category,
    /// country, engagement_rate, avg_views, …, or ignore), overriding every guess; repeatable.
    #[arg(long = "map", value_name = "SOURCE=FIELD")]
    pub map: Vec<kolrec::import::Mapping>,
    /// Dataset whose follower snapshots give growth scores (optional).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Growth as of this date (default: the data's last snapshot).
    #[arg(long)]
    pub as_of: Option<String>,
    #[command(flatten)]
    pub lenient: LenientArgs,
    /// Rows shown in the summary.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
}

/// Loading a dataset that has bad rows.
#[derive(Args, Debug, Clone, Default)]
pub struct LenientArgs {
    /// Quarantine bad input rows (into the rejected file) instead of failing.
    #[arg(long)]
    pub lenient: bool,
    /// Where --lenient writes the rejected rows (each command has its default).
    #[arg(long, requires = "lenient")]
    pub rejected: Option<PathBuf>,
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

/// Affinity hyperparameters; defaults and ranges in `AffinityParams` (`cargo doc`).
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
    #[command(flatten)]
    pub ranker: RankerArgs,
}

/// Learned-ranker hyperparameters; defaults and ranges in `RankerParams` (`cargo doc`).
#[derive(Args, Debug, Clone)]
pub struct RankerArgs {
    /// Skip the learned ranker: the inner product of stage 1 ranks alone.
    #[arg(long)]
    pub no_ranker: bool,
    /// Retrieval candidates per query that the ranker re-scores.
    #[arg(long, default_value_t = RankerParams::default().candidates)]
    pub candidates: usize,
    /// Folds of the ranker's out-of-fold features (one affinity refit each).
    #[arg(long, default_value_t = RankerParams::default().folds)]
    pub ranker_folds: usize,
    /// ALS sweeps of each fold's refit.
    #[arg(long, default_value_t = RankerParams::default().fold_iterations)]
    pub ranker_fold_iterations: usize,
    /// Trees at most (early stopping on held-out pairs picks fewer).
    #[arg(long, default_value_t = RankerParams::default().max_trees)]
    pub ranker_trees: usize,
    #[arg(long, default_value_t = RankerParams::default().learning_rate)]
    pub ranker_learning_rate: f32,
    #[arg(long, default_value_t = RankerParams::default().max_leaves)]
    pub ranker_leaves: usize,
    #[arg(long, default_value_t = RankerParams::default().min_leaf_weight)]
    pub ranker_min_leaf_weight: f32,
    /// What the trees correct: the retrieval score, the cost-efficiency term, or nothing.
    #[arg(long, value_enum, default_value = "retrieval")]
    pub ranker_offset: OffsetArg,
    /// Let the trees' score fall as the retrieval score or the cost efficiency rise.
    #[arg(long)]
    pub ranker_unconstrained: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum OffsetArg {
    Retrieval,
    Cost,
    None,
}

impl From<OffsetArg> for Offset {
    fn from(o: OffsetArg) -> Offset {
        match o {
            OffsetArg::Retrieval => Offset::Retrieval,
            OffsetArg::Cost => Offset::Cost,
            OffsetArg::None => Offset::None,
        }
    }
}

impl RankerArgs {
    /// The ranker's parameters (`None` with `--no-ranker`), checked.
    pub fn params(&self) -> Result<Option<RankerParams>> {
        if self.no_ranker {
            return Ok(None);
        }
        let p = RankerParams {
            candidates: self.candidates,
            folds: self.ranker_folds,
            fold_iterations: self.ranker_fold_iterations,
            max_trees: self.ranker_trees,
            learning_rate: self.ranker_learning_rate,
            max_leaves: self.ranker_leaves,
            min_leaf_weight: self.ranker_min_leaf_weight,
            offset: self.ranker_offset.into(),
            monotone: !self.ranker_unconstrained,
            ..RankerParams::default()
        };
        p.check().map_err(|e| match e {
            RankerError::Param { name, value, reason } => {
                let flag = match name {
                    "candidates" => "--candidates".to_string(),
                    "folds" => "--ranker-folds".into(),
                    "max_trees" => "--ranker-trees".into(),
                    "max_leaves" => "--ranker-leaves".into(),
                    n => format!("--ranker-{}", n.replace('_', "-")),
                };
                anyhow::anyhow!("{flag} {value}: {reason}")
            }
            e => e.into(),
        })?;
        Ok(Some(p))
    }
}

/// Growth-model hyperparameters; defaults and ranges in `GrowthParams` (`cargo doc`).
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
    /// Replace the output file if it exists.
    #[arg(long)]
    pub overwrite: bool,
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
    #[command(flatten)]
    pub lenient: LenientArgs,
}

/// HNSW index parameters; defaults and ranges in `IndexParams` (`cargo doc`).
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
    pub tiers: Vec<kolrec::tier::Tier>,
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
    #[arg(long, requires = "brief_category", value_delimiter = ',')]
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
                ages: match self.brief_ages.as_deref() {
                    None => None,
                    Some(&[a, b, c, d, e]) => Some([a, b, c, d, e]),
                    Some(v) => bail!("--brief-ages takes five comma-separated shares, got {}", v.len()),
                },
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
    /// Also judge a file of recommendations (`brand_id,influencer_id,rank` CSV or Parquet, made
    /// from the campaigns before the split's cutoff), as `NAME=FILE` or `FILE` (named by its stem).
    /// Repeat for several.
    #[arg(long = "recs")]
    pub recs: Vec<String>,
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
    /// Replace a dataset already in `--out` (without it, a non-empty directory is refused).
    #[arg(long)]
    pub overwrite: bool,
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
    /// How much hidden brand and creator tastes matter in the true CTR (1 = default, 3 = a
    /// taste-heavy market where collaborative signal pays).
    #[arg(long, default_value_t = 1.0)]
    pub taste: f64,
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
    /// Replace the output file if it exists.
    #[arg(long)]
    pub overwrite: bool,
    #[arg(long)]
    pub input: PathBuf,
    /// Platform of the list's creators (douyin, kuaishou, xiaohongshu, bilibili, weibo,
    /// wechat_channels, instagram, tiktok, youtube, twitch, or any other name). Default: what
    /// the list says, by a platform column, profile links or a platform's own headers.
    #[arg(long)]
    pub platform: Option<String>,
    /// Output file: .csv or .parquet.
    #[arg(long)]
    pub out: PathBuf,
    /// Input column to use as the handle instead of guessing.
    #[arg(long)]
    pub id_column: Option<String>,
    /// Take the input column SOURCE as FIELD (handle, name, followers, category, country,
    /// engagement_rate, avg_views, …, or ignore), overriding every guess; repeatable.
    #[arg(long = "map", value_name = "SOURCE=FIELD")]
    pub map: Vec<kolrec::import::Mapping>,
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
            taste: self.taste,
        };
        p.check()?;
        Ok(p)
    }
}
