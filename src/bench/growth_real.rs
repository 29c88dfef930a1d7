//! `kolrec bench growth-real`: the growth model backtested on real follower histories, read in
//! place from `../shared/data/real`: the five 2022 snapshots of the smi2022 top-1000 lists
//! (Instagram, TikTok, YouTube) and the weekly Social Blade gains of YouTube channels. Each panel
//! becomes a dataset (creators + snapshots), the model is refitted at every origin on labels that
//! end by it, and scores the dates up to the next origin; kolrec and momentum are compared on the
//! pooled test rows, with 95% intervals from resampling creators.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::dataset::{Dataset, Snapshots};
use crate::evaluate::binary;
use crate::evaluate::growth::momentum;
use crate::growth::{GrowthModel, GrowthParams, collect, label_dates, labels};
use crate::parse::{days_from_civil, format_date, iso_date};

/// The smi2022 files carry only a month; the first (undated, "last updated March 2022" per its
/// users) is placed mid-March, like the others mid-month.
fn smi_date(name: &str) -> i32 {
    let n = name.to_lowercase();
    let month =
        [("june", 6), ("sep", 9), ("nov", 11), ("dec", 12)].iter().find(|(m, _)| n.contains(m)).map_or(3, |&(_, m)| m);
    days_from_civil(2022, month, 15)
}

/// The platform of an smi2022 list, from its file name.
pub fn smi_platform(name: &str) -> &'static str {
    let n = name.to_lowercase();
    if n.contains("tiktok") {
        "tiktok"
    } else if n.contains("youtube") {
        "youtube"
    } else {
        "instagram"
    }
}

/// Snapshot rows before sorting: (creator, date, followers, views).
type Points = Vec<(u32, i32, f64, f64)>;

fn into_snapshots(mut pts: Points) -> Snapshots {
    pts.sort_by_key(|a| (a.0, a.1));
    pts.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    let n = pts.len();
    Snapshots {
        influencer: pts.iter().map(|p| p.0).collect(),
        date: pts.iter().map(|p| p.1).collect(),
        followers: pts.iter().map(|p| p.2).collect(),
        views: pts.iter().map(|p| p.3).collect(),
        likes: vec![f64::NAN; n],
        posts: vec![f64::NAN; n],
    }
}

/// The 15 smi2022 lists through kolrec's importer; a creator is the importer's ID (platform and
/// handle), its static fields come from its first list, and each list is a snapshot of followers
/// (views per snapshot are unknown: the lists give averages per post, not period totals).
pub fn smi2022(real: &Path, scratch: &Path) -> Result<Dataset> {
    let dir = real.join("smi2022/raw");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.sort_by_key(|f| smi_date(&f.to_string_lossy()));
    std::fs::create_dir_all(scratch)?;
    let mut ds = Dataset::default();
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut pts = Points::new();
    for f in &files {
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let out = scratch.join(format!("{}.csv", ids.len() + pts.len()));
        let cfg = crate::import::ImportConfig {
            input: f.clone(),
            platform: smi_platform(&name).into(),
            out: out.clone(),
            id_column: None,
        };
        crate::import::import(&cfg).with_context(|| format!("importing {}", f.display()))?;
        let list = crate::dataset::load_influencers(&out).with_context(|| format!("reading back {}", out.display()))?;
        let day = smi_date(&name);
        for i in 0..list.len() {
            let k = *ids.entry(list.id[i].clone()).or_insert_with(|| {
                ds.influencers.push_from(&list, i);
                ds.influencers.len() as u32 - 1
            });
            pts.push((k, day, list.followers[i], f64::NAN));
        }
    }
    ds.snapshots = into_snapshots(pts);
    Ok(ds)
}

/// Followers of a Social Blade channel whose level is unknown: this constant plus the summed
/// weekly gains. Relative growth is then the absolute gain over 10⁸, so labels and momentum rank
/// absolute subscriber gains.
pub const SOCIALBLADE_BASE: f64 = 1e8;

/// The per-channel Social Blade files (`<category>/<channel>.csv`: start_date, end_date, weekly
/// subscriber and view gains). Weeks overlapping the previous one are dropped.
pub fn socialblade(real: &Path) -> Result<(Dataset, usize)> {
    let dir = real.join("socialblade_weekly_yt/data");
    let mut files = Vec::new();
    for cat in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let cat = cat?.path();
        if cat.is_dir() {
            for f in std::fs::read_dir(&cat)? {
                files.push(f?.path());
            }
        }
    }
    files.sort();
    let mut ds = Dataset::default();
    let mut pts = Points::new();
    let mut overlapping = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        let mut weeks: Vec<(i32, i32, f64, f64)> = Vec::new();
        for (n, line) in text.lines().enumerate().skip(1) {
            let c: Vec<&str> = line.split(',').map(str::trim).collect();
            let bad = || {
                anyhow::anyhow!(
                    "{}, line {}: expected start_date,end_date,subscribers,views: {line:?}",
                    f.display(),
                    n + 1
                )
            };
            if c.len() < 4 {
                return Err(bad());
            }
            let (Some(a), Some(b)) = (iso_date(c[0]), iso_date(c[1])) else { return Err(bad()) };
            // Missing gains (`NA`) count as unknown weeks: no snapshot.
            let (Ok(subs), views) = (c[2].parse::<f64>(), c[3].parse::<f64>().unwrap_or(f64::NAN)) else { continue };
            weeks.push((a, b, subs, views));
        }
        weeks.sort_by_key(|w| w.1);
        let k = ds.influencers.len() as u32;
        let stem = f.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let category = f.parent().and_then(|p| p.file_name()).map(|s| s.to_string_lossy().into_owned());
        let (mut level, mut last_end) = (SOCIALBLADE_BASE, i32::MIN);
        let mut first = true;
        for (a, b, subs, views) in weeks {
            if a < last_end {
                overlapping += 1;
                continue;
            }
            if first {
                pts.push((k, a, level, f64::NAN));
                first = false;
            }
            level += subs;
            pts.push((k, b, level, views));
            last_end = b;
        }
        ds.influencers.push_basic(&format!("youtube:{stem}"), "youtube", &category.unwrap_or_default(), level);
    }
    if ds.influencers.is_empty() {
        bail!("no Social Blade channel files under {}", dir.display());
    }
    ds.snapshots = into_snapshots(pts);
    Ok((ds, overlapping))
}

/// Pooled out-of-sample predictions of a rolling-origin backtest.
#[derive(Default)]
pub struct Backtest {
    pub prob: Vec<f32>,
    pub momentum: Vec<f32>,
    pub y: Vec<bool>,
    pub creator: Vec<u32>,
    pub origins: Vec<String>,
    pub train_rows: Vec<usize>,
}

/// At each origin: fit on rows at `train_dates(origin)` whose label windows end by it (labels
/// read no later snapshot), then score `test_dates` from the origin up to the next one.
pub fn backtest(
    ds: &Dataset,
    origins: &[i32],
    test_dates: &[i32],
    train_dates: impl Fn(i32) -> Vec<i32>,
    p: &GrowthParams,
) -> Result<Backtest> {
    let platforms = crate::catalog::Interned::new(&ds.influencers.platform).values;
    let mut bt = Backtest::default();
    for (k, &origin) in origins.iter().enumerate() {
        let next = origins.get(k + 1).copied().unwrap_or(i32::MAX);
        let dates: Vec<i32> = test_dates.iter().copied().filter(|&d| d >= origin && d < next).collect();
        let (train, _) = collect(ds, &train_dates(origin), Some(origin), p);
        let train = train.select(&(0..train.len()).filter(|&r| train.growth[r].is_finite()).collect::<Vec<_>>());
        let (test, _) = collect(ds, &dates, None, p);
        let test = test.select(&(0..test.len()).filter(|&r| test.growth[r].is_finite()).collect::<Vec<_>>());
        if train.is_empty() || test.is_empty() {
            bail!("origin {}: {} training and {} test rows", format_date(origin), train.len(), test.len());
        }
        let (model, _) = GrowthModel::fit_rows(&train, &platforms, p)
            .with_context(|| format!("fitting at origin {}", format_date(origin)))?;
        let (prob, _) = model.predict(&test, &platforms);
        bt.prob.extend(prob);
        bt.momentum.extend(momentum(&test));
        bt.y.extend(labels(&test, p));
        bt.creator.extend(&test.creator);
        bt.origins.push(format_date(origin));
        bt.train_rows.push(train.len());
    }
    Ok(bt)
}

/// A metric with its 95% interval from resampling creators (all of a creator's rows together).
#[derive(Clone, Debug, Serialize)]
pub struct Interval {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

impl std::fmt::Display for Interval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.3} [{:.3}, {:.3}]", self.value, self.low, self.high)
    }
}

/// Backtest figures of one panel.
#[derive(Clone, Debug, Serialize)]
pub struct PanelReport {
    pub panel: String,
    pub creators: usize,
    pub test_rows: usize,
    pub positives: usize,
    pub origins: Vec<String>,
    pub train_rows: Vec<usize>,
    pub kolrec_roc_auc: Interval,
    pub momentum_roc_auc: Interval,
    pub roc_auc_gain: Interval,
    pub kolrec_precision_top_10pct: Interval,
    pub momentum_precision_top_10pct: Interval,
    pub precision_gain: Interval,
}

const RESAMPLES: usize = 1000;

pub fn summarise(panel: &str, bt: &Backtest, seed: u64) -> PanelReport {
    let mut rows_of: HashMap<u32, Vec<usize>> = HashMap::new();
    for (r, &c) in bt.creator.iter().enumerate() {
        rows_of.entry(c).or_default().push(r);
    }
    let mut creators: Vec<u32> = rows_of.keys().copied().collect();
    creators.sort_unstable();
    let metrics = |rows: &[usize]| -> [f64; 4] {
        let y: Vec<bool> = rows.iter().map(|&r| bt.y[r]).collect();
        let k: Vec<f32> = rows.iter().map(|&r| bt.prob[r]).collect();
        let m: Vec<f32> = rows.iter().map(|&r| bt.momentum[r]).collect();
        [
            binary::roc_auc(&k, &y),
            binary::roc_auc(&m, &y),
            binary::precision_at(&k, &y, 0.1),
            binary::precision_at(&m, &y, 0.1),
        ]
    };
    let all: Vec<usize> = (0..bt.y.len()).collect();
    let point = metrics(&all);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut draws: Vec<[f64; 4]> = Vec::with_capacity(RESAMPLES);
    for _ in 0..RESAMPLES {
        let rows: Vec<usize> = (0..creators.len())
            .flat_map(|_| rows_of[&creators[rng.gen_range(0..creators.len())]].iter().copied())
            .collect();
        let m = metrics(&rows);
        if m.iter().all(|v| v.is_finite()) {
            draws.push(m);
        }
    }
    let interval = |f: &dyn Fn(&[f64; 4]) -> f64| {
        let mut v: Vec<f64> = draws.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        let at = |q: f64| v.get(((v.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(f64::NAN);
        Interval { value: f(&point), low: at(0.025), high: at(0.975) }
    };
    PanelReport {
        panel: panel.into(),
        creators: creators.len(),
        test_rows: bt.y.len(),
        positives: bt.y.iter().filter(|&&v| v).count(),
        origins: bt.origins.clone(),
        train_rows: bt.train_rows.clone(),
        kolrec_roc_auc: interval(&|m| m[0]),
        momentum_roc_auc: interval(&|m| m[1]),
        roc_auc_gain: interval(&|m| m[0] - m[1]),
        kolrec_precision_top_10pct: interval(&|m| m[2]),
        momentum_precision_top_10pct: interval(&|m| m[3]),
        precision_gain: interval(&|m| m[2] - m[3]),
    }
}

/// Every snapshot date of a panel that is a possible as-of date, `step` apart from `from`.
fn weekly(from: i32, until: i32, step: i32) -> Vec<i32> {
    (0..).map(|k| from + k * step).take_while(|&d| d <= until).collect()
}

pub fn run(real: &Path, out: &Path, p: &GrowthParams) -> Result<()> {
    std::fs::create_dir_all(out)?;
    // Top creators rarely gain 10% in a month, and Social Blade's levels are unknown, so labels
    // are always the top share of growth within the platform (10% unless given).
    let p = &GrowthParams { top_share: Some(p.top_share.unwrap_or(0.1)), ..p.clone() };
    let mut reports = Vec::new();

    // smi2022: as-of dates are the list dates; the last list (December) only labels November.
    let smi = smi2022(real, &out.join("smi2022-import"))?;
    let dates: Vec<i32> = {
        let mut d = smi.snapshots.date.clone();
        d.sort_unstable();
        d.dedup();
        d
    };
    println!(
        "smi2022: {} creators, {} snapshots on {}",
        smi.influencers.len(),
        smi.snapshots.date.len(),
        dates.iter().map(|&d| format_date(d)).collect::<Vec<_>>().join(", ")
    );
    let last = *dates.last().context("no smi2022 snapshots")?;
    let test: Vec<i32> = dates.iter().copied().filter(|&d| d + p.horizon_days <= last).collect();
    let origin = *test.last().context("no smi2022 date with a label")?;
    // One origin: only the November list has an exact 30-day label (December); earlier rows'
    // labels interpolate between lists 60–90 days apart and train the model.
    let smi_train = |o: i32| dates.iter().copied().filter(|&d| d + p.horizon_days <= o).collect();
    let bt = backtest(&smi, &[origin], &[origin], smi_train, p)?;
    reports.push(summarise("smi2022 top-1000 lists, 5 monthly snapshots", &bt, p.seed));

    // Social Blade: weekly as-of dates, an origin every 13 weeks after the first year.
    let (sb, overlapping) = socialblade(real)?;
    let first = sb.snapshots.date.iter().min().copied().context("no Social Blade weeks")?;
    let end = sb.snapshots.date.iter().max().copied().context("no Social Blade weeks")?;
    let start = (first + 365).max(days_from_civil(2020, 1, 1));
    let test_dates = weekly(start, end - p.horizon_days, p.step_days);
    let origins = weekly(start, end - p.horizon_days, 13 * 7);
    println!(
        "socialblade: {} channels, {} weeks ({} overlapping weeks dropped), {} to {}; {} origins from {}",
        sb.influencers.len(),
        sb.snapshots.date.len(),
        overlapping,
        format_date(first),
        format_date(end),
        origins.len(),
        format_date(start)
    );
    let bt = backtest(&sb, &origins, &test_dates, |o| label_dates(&sb, o, p), p)?;
    reports.push(summarise("Social Blade weekly gains, YouTube (absolute gains)", &bt, p.seed));

    println!(
        "\nlabel: top {:.0}% of {}-day growth within the platform on each date; 95% intervals resample creators",
        100.0 * p.top_share.unwrap_or_default(),
        p.horizon_days
    );
    println!(
        "{:<50} {:>8} {:>9} {:>8}  {:<22} {:<22} {:<24}",
        "panel", "creators", "test rows", "growers", "ROC-AUC kolrec", "ROC-AUC momentum", "kolrec − momentum"
    );
    for r in &reports {
        println!(
            "{:<50} {:>8} {:>9} {:>8}  {:<22} {:<22} {:<24}",
            r.panel,
            r.creators,
            r.test_rows,
            r.positives,
            r.kolrec_roc_auc.to_string(),
            r.momentum_roc_auc.to_string(),
            r.roc_auc_gain.to_string()
        );
        println!(
            "{:<50} {:>8} {:>9} {:>8}  {:<22} {:<22} {:<24}",
            "  precision in the top 10%",
            "",
            "",
            "",
            r.kolrec_precision_top_10pct.to_string(),
            r.momentum_precision_top_10pct.to_string(),
            r.precision_gain.to_string()
        );
    }
    let path = out.join("growth_real.json");
    std::fs::write(&path, serde_json::to_string_pretty(&reports)?)?;
    println!("wrote {}", path.display());
    Ok(())
}
