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

use kolrec::dataset::Dataset;
use kolrec::evaluate::growth::momentum;
use kolrec::growth::{GrowthModel, GrowthParams, collect, label_dates, labels};
use kolrec::metrics::binary;
use kolrec::panels::{smi2022, socialblade};
use kolrec::parse::{days_from_civil, format_date};

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
    let platforms = kolrec::catalog::Interned::new(&ds.influencers.platform).values;
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
    outln!(
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
    let end = sb.snapshots.last_date().context("no Social Blade weeks")?;
    let start = (first + 365).max(days_from_civil(2020, 1, 1));
    let test_dates = weekly(start, end - p.horizon_days, p.step_days);
    let origins = weekly(start, end - p.horizon_days, 13 * 7);
    outln!(
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

    outln!(
        "\nlabel: top {:.0}% of {}-day growth within the platform on each date; 95% intervals resample creators",
        100.0 * p.top_share.unwrap_or_default(),
        p.horizon_days
    );
    outln!(
        "{:<50} {:>8} {:>9} {:>8}  {:<22} {:<22} {:<24}",
        "panel",
        "creators",
        "test rows",
        "growers",
        "ROC-AUC kolrec",
        "ROC-AUC momentum",
        "kolrec − momentum"
    );
    for r in &reports {
        outln!(
            "{:<50} {:>8} {:>9} {:>8}  {:<22} {:<22} {:<24}",
            r.panel,
            r.creators,
            r.test_rows,
            r.positives,
            r.kolrec_roc_auc.to_string(),
            r.momentum_roc_auc.to_string(),
            r.roc_auc_gain.to_string()
        );
        outln!(
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
    outln!("wrote {}", path.display());
    Ok(())
}
