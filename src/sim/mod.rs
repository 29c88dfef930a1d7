//! The market simulator: writes a dataset in the data contract, deterministic for a seed, with the
//! ground truth beside it in `truth/` (never read by training). See `datasets/README.md` for the
//! generative model.

pub mod campaigns;
pub mod followers;
pub mod market;
pub mod truth;
pub mod world;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use polars::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use crate::contract::{AGE_BUCKETS, CONTRACT_VERSION, Table};
use crate::parse::{days_from_civil, format_date};
use crate::progress::Progress;
use crate::table::{self, BatchWriter, Format, TableError};
use campaigns::{Policy, Pools, Post};
use market::{Brand, Coefficients, Creator, LATENT_DIM, expected_cpm};
use world::{CATEGORIES, PLATFORMS};

/// Simulator parameters.
///
/// | name | default | range | meaning |
/// |---|---|---|---|
/// | seed | 42 | any u64 | every random draw derives from it |
/// | brands | 200 | 1 – 10,000,000 | brands in the market |
/// | influencers | 3,000 | 10 – 50,000,000 | creators in the market |
/// | days | 180 | 60 – 3,650 | length of the campaign and follower history |
/// | campaigns | 60 × brands | 0 – 1,000,000,000 | campaign rows (one per post) |
/// | format | parquet | csv, parquet | file format of every table |
/// | start_date | 2025-01-01 | | date of day 0 |
#[derive(Clone, Debug, Serialize)]
pub struct SimParams {
    pub seed: u64,
    pub brands: usize,
    pub influencers: usize,
    pub days: u32,
    pub campaigns: Option<usize>,
    #[serde(serialize_with = "ser_format")]
    pub format: Format,
    pub start_date: i32,
    /// How much the brands' and creators' hidden tastes matter: a multiplier on the taste term of
    /// the true CTR and conversion rate (1 = the default market; 3 = a market where collaborative
    /// signal is worth about three times as much).
    pub taste: f64,
}

fn ser_format<S: serde::Serializer>(f: &Format, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(match f {
        Format::Csv => "csv",
        Format::Parquet => "parquet",
    })
}

impl Default for SimParams {
    fn default() -> Self {
        SimParams {
            seed: 42,
            brands: 200,
            influencers: 3000,
            days: 180,
            campaigns: None,
            format: Format::Parquet,
            start_date: days_from_civil(2025, 1, 1),
            taste: 1.0,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("invalid simulator parameter {name} = {value}: {reason}")]
    Param { name: &'static str, value: String, reason: &'static str },
    #[error("cannot write to {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Table(#[from] TableError),
}

impl SimParams {
    pub fn campaign_rows(&self) -> usize {
        self.campaigns.unwrap_or(self.brands * 60)
    }

    /// Reject parameters outside their documented ranges before any work starts.
    pub fn check(&self) -> Result<(), SimError> {
        let bad = |name, value: String, reason| Err(SimError::Param { name, value, reason });
        if !(1..=10_000_000).contains(&self.brands) {
            return bad("brands", self.brands.to_string(), "must be between 1 and 10,000,000");
        }
        if !(10..=50_000_000).contains(&self.influencers) {
            return bad("influencers", self.influencers.to_string(), "must be between 10 and 50,000,000");
        }
        if !(60..=3650).contains(&self.days) {
            return bad(
                "days",
                self.days.to_string(),
                "must be between 60 and 3650 (growth labels need 30 days ahead)",
            );
        }
        if !(self.taste.is_finite() && (0.0..=10.0).contains(&self.taste)) {
            return bad("taste", self.taste.to_string(), "must be between 0 and 10");
        }
        if self.campaign_rows() > 1_000_000_000 {
            return bad("campaigns", self.campaign_rows().to_string(), "must be at most 1,000,000,000");
        }
        Ok(())
    }
}

/// Independent random stream per (purpose, entity), so parallel generation is deterministic.
fn rng_for(seed: u64, stream: u64, i: u64) -> ChaCha8Rng {
    // ChaCha has 2^64 independent streams per key: one per (purpose, entity), never overlapping.
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream((stream << 48) | i);
    rng
}

const STREAM_BRANDS: u64 = 1;
const STREAM_CREATORS: u64 = 2;
const STREAM_CAMPAIGNS: u64 = 3;
const STREAM_FOLLOWERS: u64 = 4;

/// The generated market in memory (tests use it to check marginals against the truth).
pub struct Market {
    pub brands: Vec<Brand>,
    pub creators: Vec<Creator>,
    pub posts: Vec<Post>,
    pub coefficients: Coefficients,
    pub policy: Policy,
}

/// Brands, creators and campaigns (everything except follower histories, which are streamed).
pub fn market(p: &SimParams) -> Market {
    let brands: Vec<Brand> = (0..p.brands)
        .into_par_iter()
        .map(|i| market::brand(&mut rng_for(p.seed, STREAM_BRANDS, i as u64), i, p.days))
        .collect();
    let creators: Vec<Creator> = (0..p.influencers)
        .into_par_iter()
        .map(|i| market::creator(&mut rng_for(p.seed, STREAM_CREATORS, i as u64), i))
        .collect();
    let policy = Policy::default();
    let mut coefficients = Coefficients::default();
    // The taste match is about standard normal, so scaling its weight from w to t·w multiplies
    // the mean odds by exp((t² − 1)·w²/2): the intercept takes that back, and the market's
    // average rates stay where the default puts them while tastes spread them out.
    let (ctr_w, cvr_w) = (coefficients.ctr_latent, coefficients.cvr_latent);
    coefficients.ctr_latent *= p.taste;
    coefficients.cvr_latent *= p.taste;
    coefficients.ctr_intercept -= (p.taste * p.taste - 1.0) * ctr_w * ctr_w / 2.0;
    coefficients.cvr_intercept -= (p.taste * p.taste - 1.0) * cvr_w * cvr_w / 2.0;
    let pools = Pools::new(&creators, &policy);
    let rows = allocate_rows(&brands, p.campaign_rows(), p.days);
    let mut posts: Vec<Post> = brands
        .par_iter()
        .enumerate()
        .flat_map_iter(|(b, brand)| {
            let mut rng = rng_for(p.seed, STREAM_CAMPAIGNS, b as u64);
            campaigns::brand_posts(
                &mut rng,
                b as u32,
                brand,
                &creators,
                &pools,
                &policy,
                &coefficients,
                rows[b],
                p.days,
            )
        })
        .collect();
    posts.sort_by_key(|x| (x.day, x.brand, x.campaign, x.creator));
    Market { brands, creators, posts, coefficients, policy }
}

/// Split `total` rows across brands by activity × active days (largest remainders, so the sum is
/// exact and the split deterministic).
fn allocate_rows(brands: &[Brand], total: usize, days: u32) -> Vec<usize> {
    let w: Vec<f64> =
        brands.iter().map(|b| b.activity * f64::from(days - b.arrival_day.min(days - 1)) / f64::from(days)).collect();
    let sum: f64 = w.iter().sum();
    let exact: Vec<f64> = w.iter().map(|x| x / sum * total as f64).collect();
    let mut rows: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let mut short = total - rows.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..brands.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b)));
    for i in order {
        if short == 0 {
            break;
        }
        rows[i] += 1;
        short -= 1;
    }
    rows
}

/// What `generate` wrote.
#[derive(Clone, Debug, Serialize)]
pub struct GenerateSummary {
    pub dir: PathBuf,
    pub brands: usize,
    pub influencers: usize,
    pub campaigns: usize,
    pub snapshots: usize,
    pub seconds: f64,
    pub files: Vec<PathBuf>,
}

/// Generate a dataset into `dir` (created if needed) with its truth in `dir/truth/`.
pub fn generate(p: &SimParams, dir: &Path, quiet: bool) -> Result<GenerateSummary, SimError> {
    p.check()?;
    let t0 = Instant::now();
    let truth_dir = dir.join("truth");
    fs::create_dir_all(&truth_dir).map_err(|source| SimError::Io { path: truth_dir.clone(), source })?;
    let ext = match p.format {
        Format::Csv => "csv",
        Format::Parquet => "parquet",
    };
    // Remove the other format's files so the directory never holds an ambiguous table.
    for t in Table::ALL {
        let other = dir.join(format!("{}.{}", t.name(), if ext == "csv" { "parquet" } else { "csv" }));
        let _ = fs::remove_file(other);
    }
    let path = |d: &Path, name: &str| d.join(format!("{name}.{ext}"));
    let mut files = Vec::new();

    let m = market(p);
    let write = |df: &mut DataFrame, path: PathBuf, files: &mut Vec<PathBuf>| -> Result<(), SimError> {
        table::write(df, &path)?;
        files.push(path);
        Ok(())
    };
    write(&mut brands_frame(&m.brands), path(dir, "brands"), &mut files)?;
    write(&mut influencers_frame(&m.creators), path(dir, "influencers"), &mut files)?;
    write(&mut campaigns_frame(&m, p.start_date), path(dir, "campaigns"), &mut files)?;
    write(&mut brand_truth_frame(&m.brands), path(&truth_dir, "brands"), &mut files)?;
    write(&mut campaign_truth_frame(&m, p.start_date), path(&truth_dir, "campaigns"), &mut files)?;

    let snap_path = path(dir, "follower_snapshots");
    let (snapshots, mut creator_truth) = write_snapshots(p, &m.creators, &snap_path, quiet)?;
    files.push(snap_path);
    write(&mut creator_truth, path(&truth_dir, "influencers"), &mut files)?;

    let meta = serde_json::json!({
        "contract_version": CONTRACT_VERSION,
        "kolrec_version": env!("CARGO_PKG_VERSION"),
        "params": p,
        "start_date": format_date(p.start_date),
        "coefficients": m.coefficients,
        "policy": m.policy,
        "regime_weights": market::REGIME_WEIGHTS,
        "note": "Ground truth of the simulated market. Training never reads this directory.",
    });
    let json_path = truth_dir.join("truth.json");
    crate::fsutil::atomic_write(&json_path, serde_json::to_string_pretty(&meta).expect("json").as_bytes())
        .map_err(|source| SimError::Io { path: json_path.clone(), source })?;
    files.push(json_path);

    Ok(GenerateSummary {
        dir: dir.to_path_buf(),
        brands: m.brands.len(),
        influencers: m.creators.len(),
        campaigns: m.posts.len(),
        snapshots,
        seconds: t0.elapsed().as_secs_f64(),
        files,
    })
}

fn round_to(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

fn date_column(name: &str, days: Vec<i32>) -> Column {
    Column::new(name.into(), days).cast(&DataType::Date).expect("i32 casts to date")
}

fn frame(columns: Vec<Column>) -> DataFrame {
    DataFrame::new_infer_height(columns).expect("columns of equal length")
}

fn audience_columns(female: Vec<f64>, ages: Vec<[f64; 5]>) -> Vec<Column> {
    let mut cols = vec![Column::new(
        "audience_female_share".into(),
        female.into_iter().map(|x| round_to(x, 3)).collect::<Vec<_>>(),
    )];
    for (k, name) in AGE_BUCKETS.iter().enumerate() {
        cols.push(Column::new((*name).into(), ages.iter().map(|a| round_to(a[k], 3)).collect::<Vec<_>>()));
    }
    cols
}

fn brands_frame(brands: &[Brand]) -> DataFrame {
    let mut cols = vec![
        Column::new("brand_id".into(), brands.iter().map(|b| b.id.as_str()).collect::<Vec<_>>()),
        Column::new("name".into(), brands.iter().map(|b| b.name.as_str()).collect::<Vec<_>>()),
        Column::new("category".into(), brands.iter().map(|b| CATEGORIES[b.category].name).collect::<Vec<_>>()),
        Column::new("country".into(), brands.iter().map(|b| b.country).collect::<Vec<_>>()),
    ];
    cols.extend(audience_columns(brands.iter().map(|b| b.female).collect(), brands.iter().map(|b| b.ages).collect()));
    cols.push(Column::new("budget".into(), brands.iter().map(|b| b.budget).collect::<Vec<_>>()));
    frame(cols)
}

fn influencers_frame(cs: &[Creator]) -> DataFrame {
    let mut cols = vec![
        Column::new("influencer_id".into(), cs.iter().map(|c| c.id.as_str()).collect::<Vec<_>>()),
        Column::new("handle".into(), cs.iter().map(|c| c.handle.as_str()).collect::<Vec<_>>()),
        Column::new("platform".into(), cs.iter().map(|c| PLATFORMS[c.platform].name).collect::<Vec<_>>()),
        Column::new("category".into(), cs.iter().map(|c| CATEGORIES[c.category].name).collect::<Vec<_>>()),
        Column::new("country".into(), cs.iter().map(|c| c.country).collect::<Vec<_>>()),
        Column::new("followers".into(), cs.iter().map(|c| c.followers as i64).collect::<Vec<_>>()),
        Column::new("avg_views".into(), cs.iter().map(|c| c.avg_views as i64).collect::<Vec<_>>()),
        Column::new("engagement_rate".into(), cs.iter().map(|c| round_to(c.engagement_rate, 5)).collect::<Vec<_>>()),
        Column::new("posts_per_week".into(), cs.iter().map(|c| round_to(c.posts_per_week, 2)).collect::<Vec<_>>()),
        Column::new("sponsored_share".into(), cs.iter().map(|c| round_to(c.sponsored_share, 3)).collect::<Vec<_>>()),
        Column::new("price_per_post".into(), cs.iter().map(|c| round_to(c.price_per_post, 2)).collect::<Vec<_>>()),
    ];
    cols.extend(audience_columns(cs.iter().map(|c| c.female).collect(), cs.iter().map(|c| c.ages).collect()));
    frame(cols)
}

fn campaign_ids(m: &Market) -> Vec<String> {
    m.posts.iter().map(|x| format!("{}-c{:04}", m.brands[x.brand as usize].id, x.campaign)).collect()
}

fn campaigns_frame(m: &Market, start: i32) -> DataFrame {
    let ps = &m.posts;
    let opt = |v: f64| (!v.is_nan()).then_some(v);
    frame(vec![
        Column::new("campaign_id".into(), campaign_ids(m)),
        Column::new("brand_id".into(), ps.iter().map(|x| m.brands[x.brand as usize].id.as_str()).collect::<Vec<_>>()),
        Column::new(
            "influencer_id".into(),
            ps.iter().map(|x| m.creators[x.creator as usize].id.as_str()).collect::<Vec<_>>(),
        ),
        date_column("date", ps.iter().map(|x| start + x.day as i32).collect()),
        Column::new("objective".into(), ps.iter().map(|x| x.objective.as_str()).collect::<Vec<_>>()),
        Column::new("cost".into(), ps.iter().map(|x| x.cost).collect::<Vec<_>>()),
        Column::new("impressions".into(), ps.iter().map(|x| x.impressions as i64).collect::<Vec<_>>()),
        Column::new("clicks".into(), ps.iter().map(|x| x.clicks as i64).collect::<Vec<_>>()),
        Column::new("engagements".into(), ps.iter().map(|x| x.engagements as i64).collect::<Vec<_>>()),
        Column::new("conversions".into(), ps.iter().map(|x| opt(x.conversions).map(|v| v as i64)).collect::<Vec<_>>()),
        Column::new("revenue".into(), ps.iter().map(|x| opt(x.revenue)).collect::<Vec<_>>()),
    ])
}

fn latent_columns<'a>(rows: impl Iterator<Item = &'a [f64; LATENT_DIM]> + Clone) -> Vec<Column> {
    (0..LATENT_DIM)
        .map(|k| Column::new(format!("latent_{k}").into(), rows.clone().map(|l| l[k] as f32).collect::<Vec<_>>()))
        .collect()
}

fn brand_truth_frame(brands: &[Brand]) -> DataFrame {
    let mut cols = vec![
        Column::new("brand_id".into(), brands.iter().map(|b| b.id.as_str()).collect::<Vec<_>>()),
        Column::new("order_value".into(), brands.iter().map(|b| b.order_value).collect::<Vec<_>>()),
        Column::new("arrival_day".into(), brands.iter().map(|b| b.arrival_day).collect::<Vec<_>>()),
        Column::new("activity".into(), brands.iter().map(|b| b.activity).collect::<Vec<_>>()),
        Column::new("main_objective".into(), brands.iter().map(|b| b.main_objective.as_str()).collect::<Vec<_>>()),
    ];
    cols.extend(latent_columns(brands.iter().map(|b| &b.latent)));
    frame(cols)
}

fn campaign_truth_frame(m: &Market, start: i32) -> DataFrame {
    let ps = &m.posts;
    frame(vec![
        Column::new("campaign_id".into(), campaign_ids(m)),
        Column::new("brand_id".into(), ps.iter().map(|x| m.brands[x.brand as usize].id.as_str()).collect::<Vec<_>>()),
        Column::new(
            "influencer_id".into(),
            ps.iter().map(|x| m.creators[x.creator as usize].id.as_str()).collect::<Vec<_>>(),
        ),
        date_column("date", ps.iter().map(|x| start + x.day as i32).collect()),
        Column::new("expected_ctr".into(), ps.iter().map(|x| x.expected_ctr).collect::<Vec<_>>()),
        Column::new("expected_cvr".into(), ps.iter().map(|x| x.expected_cvr).collect::<Vec<_>>()),
        Column::new(
            "expected_cpm".into(),
            ps.iter().map(|x| expected_cpm(&m.coefficients, &m.creators[x.creator as usize])).collect::<Vec<_>>(),
        ),
    ])
}

/// Creators per chunk of follower histories: bounds memory at any scale.
const SNAPSHOT_CHUNK: usize = 25_000;

fn write_snapshots(
    p: &SimParams,
    creators: &[Creator],
    path: &Path,
    quiet: bool,
) -> Result<(usize, DataFrame), SimError> {
    let schema = Schema::from_iter([
        Field::new("influencer_id".into(), DataType::String),
        Field::new("date".into(), DataType::Date),
        Field::new("followers".into(), DataType::Int64),
        Field::new("views".into(), DataType::Int64),
        Field::new("likes".into(), DataType::Int64),
        Field::new("posts".into(), DataType::Int64),
    ]);
    let mut writer = BatchWriter::create(path, &schema)?;
    let mut rows = 0;
    let mut truth: Vec<followers::GrowthTruth> = Vec::with_capacity(creators.len());
    let mut progress = Progress::new("histories", creators.len() as u64, quiet);
    for (k, chunk) in creators.chunks(SNAPSHOT_CHUNK).enumerate() {
        let base = k * SNAPSHOT_CHUNK;
        let sims: Vec<(followers::Series, followers::GrowthTruth)> = chunk
            .par_iter()
            .enumerate()
            .map(|(j, c)| followers::simulate(&mut rng_for(p.seed, STREAM_FOLLOWERS, (base + j) as u64), c, p.days))
            .collect();
        let n: usize = sims.iter().map(|s| s.0.day.len()).sum();
        let mut ids = Vec::with_capacity(n);
        let (mut date, mut fol, mut views, mut likes, mut posts) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for (c, (s, _)) in chunk.iter().zip(&sims) {
            for i in 0..s.day.len() {
                ids.push(c.id.as_str());
                date.push(p.start_date + s.day[i] as i32);
                fol.push(s.followers[i] as i64);
                views.push(s.views[i] as i64);
                likes.push(s.likes[i] as i64);
                posts.push(s.posts[i] as i64);
            }
        }
        let df = frame(vec![
            Column::new("influencer_id".into(), ids),
            date_column("date", date),
            Column::new("followers".into(), fol),
            Column::new("views".into(), views),
            Column::new("likes".into(), likes),
            Column::new("posts".into(), posts),
        ]);
        writer.write(&df)?;
        rows += n;
        truth.extend(sims.into_iter().map(|s| s.1));
        progress.inc(chunk.len() as u64);
    }
    writer.finish()?;
    progress.finish();

    let mut cols = vec![
        Column::new("influencer_id".into(), creators.iter().map(|c| c.id.as_str()).collect::<Vec<_>>()),
        Column::new("quality".into(), creators.iter().map(|c| c.quality).collect::<Vec<_>>()),
        Column::new("fake_share".into(), creators.iter().map(|c| c.fake_share).collect::<Vec<_>>()),
        Column::new("regime".into(), truth.iter().map(|t| t.regime.as_str()).collect::<Vec<_>>()),
        Column::new(
            "event_date".into(),
            truth.iter().map(|t| t.event_day.map(|d| format_date(p.start_date + d as i32))).collect::<Vec<_>>(),
        ),
        Column::new("event_size".into(), truth.iter().map(|t| t.event_size).collect::<Vec<_>>()),
        Column::new(
            "tracking_start".into(),
            truth.iter().map(|t| format_date(p.start_date + t.tracking_start as i32)).collect::<Vec<_>>(),
        ),
        Column::new("cadence".into(), truth.iter().map(|t| t.cadence).collect::<Vec<_>>()),
    ];
    cols.extend(latent_columns(creators.iter().map(|c| &c.latent)));
    Ok((rows, frame(cols)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tier::Tier;
    use market::{expected_cpm, expected_ctr};

    fn small() -> SimParams {
        SimParams { brands: 120, influencers: 6000, campaigns: Some(12_000), ..SimParams::default() }
    }

    /// Per brand: mean true CTR and CPM of its own picks vs its top-10 by true clicks per cost.
    pub(crate) fn headroom(m: &Market) -> (f64, f64, f64, f64) {
        headroom_ranked_by(m, &m.coefficients)
    }

    /// As [`headroom`], with the top-10 chosen by the value under coefficients `rank_by` (outcomes
    /// are still measured with the market's true coefficients).
    fn headroom_ranked_by(m: &Market, rank_by: &Coefficients) -> (f64, f64, f64, f64) {
        let k = &m.coefficients;
        let (mut pick_ctr, mut pick_cpm, mut top_ctr, mut top_cpm, mut n) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (b, brand) in m.brands.iter().enumerate() {
            let picks: Vec<&Post> = m.posts.iter().filter(|p| p.brand as usize == b).collect();
            if picks.is_empty() {
                continue;
            }
            let ctr = picks.iter().map(|p| p.expected_ctr).sum::<f64>() / picks.len() as f64;
            let cpm = picks.iter().map(|p| expected_cpm(k, &m.creators[p.creator as usize])).sum::<f64>()
                / picks.len() as f64;
            let mut scored: Vec<(f64, usize)> = m
                .creators
                .iter()
                .enumerate()
                .map(|(i, c)| (expected_ctr(rank_by, brand, c) / expected_cpm(k, c), i))
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0));
            let top = &scored[..10];
            top_ctr += top.iter().map(|&(_, i)| expected_ctr(k, brand, &m.creators[i])).sum::<f64>() / 10.0;
            top_cpm += top.iter().map(|&(_, i)| expected_cpm(k, &m.creators[i])).sum::<f64>() / 10.0;
            pick_ctr += ctr;
            pick_cpm += cpm;
            n += 1.0;
        }
        (pick_ctr / n, pick_cpm / n, top_ctr / n, top_cpm / n)
    }

    #[test]
    fn same_seed_gives_byte_identical_files_and_another_seed_does_not() {
        let base = std::env::temp_dir().join(format!("kolrec-sim-det-{}", std::process::id()));
        let p = SimParams {
            brands: 30,
            influencers: 400,
            campaigns: Some(900),
            days: 90,
            format: Format::Csv,
            ..SimParams::default()
        };
        let q = SimParams { seed: 7, ..p.clone() };
        generate(&p, &base.join("a"), true).unwrap();
        generate(&p, &base.join("b"), true).unwrap();
        generate(&q, &base.join("c"), true).unwrap();
        for f in ["brands.csv", "influencers.csv", "campaigns.csv", "follower_snapshots.csv", "truth/influencers.csv"] {
            let a = fs::read(base.join("a").join(f)).unwrap();
            assert_eq!(a, fs::read(base.join("b").join(f)).unwrap(), "{f} differs between two runs with one seed");
            assert_ne!(a, fs::read(base.join("c").join(f)).unwrap(), "{f} identical across seeds");
        }
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn follower_tiers_follow_the_documented_mix() {
        let m = market(&SimParams { brands: 10, influencers: 20_000, campaigns: Some(100), ..SimParams::default() });
        for t in Tier::ALL {
            let share = m.creators.iter().filter(|c| Tier::of(c.followers) == t).count() as f64 / 20_000.0;
            let want = world::TIER_WEIGHTS[t.index()];
            assert!((share - want).abs() < 0.015, "{t}: share {share:.3}, documented {want}");
        }
        assert!(m.creators.iter().all(|c| c.followers >= 1e3));
    }

    #[test]
    fn engagement_falls_with_size_and_micro_beats_macro_by_about_47_percent() {
        let m = market(&SimParams { brands: 10, influencers: 30_000, campaigns: Some(100), ..SimParams::default() });
        let mean_er = |t: Tier| {
            let v: Vec<f64> =
                m.creators.iter().filter(|c| Tier::of(c.followers) == t).map(|c| c.engagement_rate).collect();
            v.iter().sum::<f64>() / v.len() as f64
        };
        let er: Vec<f64> = Tier::ALL.iter().map(|&t| mean_er(t)).collect();
        assert!(er.windows(2).all(|w| w[0] > w[1]), "engagement must fall with tier: {er:?}");
        let ratio = er[Tier::Micro.index()] / er[Tier::Macro.index()];
        assert!((1.3..=1.65).contains(&ratio), "micro/macro engagement ratio {ratio:.2}, industry figure ~1.47");
    }

    #[test]
    fn brands_pick_big_same_category_accounts() {
        let m = market(&small());
        let same = m
            .posts
            .iter()
            .filter(|p| m.brands[p.brand as usize].category == m.creators[p.creator as usize].category)
            .count();
        assert!(same as f64 / m.posts.len() as f64 > 0.65);
        let big = |f: f64| f >= 500_000.0;
        let picked_big = m.posts.iter().filter(|p| big(m.creators[p.creator as usize].followers)).count() as f64
            / m.posts.len() as f64;
        let pop_big = m.creators.iter().filter(|c| big(c.followers)).count() as f64 / m.creators.len() as f64;
        assert!(picked_big > 5.0 * pop_big, "macro+mega: {picked_big:.3} of picks vs {pop_big:.3} of creators");
        let used: std::collections::HashSet<u32> = m.posts.iter().map(|p| p.creator).collect();
        assert!(used.len() < m.creators.len() / 2, "most creators should never have run a campaign");
    }

    #[test]
    fn self_picked_outcomes_sit_at_industry_levels_with_room_for_a_recommender() {
        let (pick_ctr, pick_cpm, top_ctr, top_cpm) = headroom(&market(&small()));
        // Industry: brands' own picks CTR 0.25%, CPM 62.3; platform-matched CTR 1.3%, CPM 21.8.
        assert!((0.0015..0.004).contains(&pick_ctr), "self-picked CTR {pick_ctr}");
        assert!((40.0..90.0).contains(&pick_cpm), "self-picked CPM {pick_cpm}");
        assert!(
            top_ctr / pick_ctr > 7.0,
            "oracle CTR lift {:.2} leaves no room above the 5x target",
            top_ctr / pick_ctr
        );
        assert!(
            pick_cpm / top_cpm > 3.5,
            "oracle CPM drop {:.2} leaves no room above the 2.9x target",
            pick_cpm / top_cpm
        );
    }

    #[test]
    fn hidden_taste_carries_about_half_of_the_ctr_headroom() {
        let m = market(&SimParams::default());
        let (pick_ctr, pick_cpm, top_ctr, top_cpm) = headroom(&m);
        let blind = Coefficients { ctr_latent: 0.0, ..m.coefficients.clone() };
        let (_, _, blind_ctr, blind_cpm) = headroom_ranked_by(&m, &blind);
        let (full, without) = (top_ctr / pick_ctr, blind_ctr / pick_ctr);
        // Documented in datasets/README.md: about 8.7x with the taste vectors, 3.6x without.
        assert!(full > 7.5 && (3.0..4.2).contains(&without), "CTR lift {full:.2} with taste, {without:.2} without");
        assert!(pick_cpm / top_cpm > 3.5 && pick_cpm / blind_cpm > 5.0);
    }

    #[test]
    fn the_taste_knob_moves_the_headroom_to_what_only_collaborative_signal_can_find() {
        let lift = |taste: f64| {
            let m = market(&SimParams { taste, ..small() });
            let (pick_ctr, _, top_ctr, _) = headroom(&m);
            let blind = Coefficients { ctr_latent: 0.0, ..m.coefficients.clone() };
            let (_, _, blind_ctr, _) = headroom_ranked_by(&m, &blind);
            assert!(m.posts.iter().all(|p| p.clicks <= p.impressions), "clicks above impressions at taste {taste}");
            (top_ctr / pick_ctr, blind_ctr / pick_ctr)
        };
        let (full1, blind1) = lift(1.0);
        let (full3, blind3) = lift(3.0);
        // The market's average CTR stays at the default level.
        let mean_ctr = |taste: f64| {
            let m = market(&SimParams { taste, ..small() });
            m.posts.iter().map(|p| p.expected_ctr).sum::<f64>() / m.posts.len() as f64
        };
        let (c1, c3) = (mean_ctr(1.0), mean_ctr(3.0));
        assert!((0.6..1.6).contains(&(c3 / c1)), "mean CTR of the picks {c1:.5} at taste 1, {c3:.5} at taste 3");
        // With tastes three times as strong, the oracle gains much more, and a ranker blind to
        // the tastes keeps a far smaller share of it.
        assert!(full3 > 1.5 * full1, "oracle CTR lift {full1:.2} → {full3:.2}");
        assert!(blind3 / full3 < 0.7 * (blind1 / full1), "blind share {:.2} → {:.2}", blind1 / full1, blind3 / full3);
        let none = market(&SimParams { taste: 0.0, ..small() });
        assert_eq!(none.coefficients.ctr_latent, 0.0);
    }

    #[test]
    fn realised_clicks_follow_the_hidden_ctr() {
        let m = market(&small());
        let mut posts: Vec<&Post> = m.posts.iter().collect();
        posts.sort_by(|a, b| a.expected_ctr.total_cmp(&b.expected_ctr));
        let third = posts.len() / 3;
        let realised =
            |s: &[&Post]| s.iter().map(|p| p.clicks).sum::<f64>() / s.iter().map(|p| p.impressions).sum::<f64>();
        let (lo, mid, hi) =
            (realised(&posts[..third]), realised(&posts[third..2 * third]), realised(&posts[2 * third..]));
        assert!(lo < mid && mid < hi, "realised CTR by expected-CTR tercile: {lo} {mid} {hi}");
        assert!(m.posts.iter().all(|p| p.clicks <= p.impressions && p.cost > 0.0));
        let reach = m.posts.iter().filter(|p| p.objective == crate::contract::Objective::Reach);
        assert!(reach.clone().count() > 0 && reach.into_iter().all(|p| p.conversions.is_nan()));
    }

    #[test]
    fn bad_parameters_are_rejected_by_name() {
        for (p, name) in [
            (SimParams { brands: 0, ..SimParams::default() }, "brands"),
            (SimParams { influencers: 5, ..SimParams::default() }, "influencers"),
            (SimParams { days: 20, ..SimParams::default() }, "days"),
            (SimParams { campaigns: Some(2_000_000_000), ..SimParams::default() }, "campaigns"),
            (SimParams { taste: -1.0, ..SimParams::default() }, "taste = -1"),
            (SimParams { taste: f64::NAN, ..SimParams::default() }, "taste = NaN"),
        ] {
            let e = p.check().unwrap_err().to_string();
            assert!(e.contains(name), "{e}");
        }
        assert!(SimParams::default().check().is_ok());
    }

    #[test]
    fn rows_are_allocated_exactly() {
        let m = market(&small());
        assert_eq!(m.posts.len(), 12_000);
    }
}
