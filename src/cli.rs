//! Command-line interface: clap arguments, their conversion into checked configs before any work
//! starts, and one `run` that dispatches the commands.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::dataset::{self, LoadOptions};
use crate::describe::Summary;
use crate::fsutil::{human_bytes, peak_rss_bytes};
use crate::import::{self, ImportConfig};
use crate::parse::iso_date;
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
    /// Measure throughput and peak memory (prints figures; see README).
    Bench(BenchArgs),
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

#[derive(Subcommand, Debug)]
pub enum BenchWhat {
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
        Command::Bench(a) => match a.what {
            BenchWhat::Data { scale, dir, keep } => crate::bench::data(scale, &dir, keep),
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
