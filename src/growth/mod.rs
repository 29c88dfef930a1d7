//! The growth model: a calibrated probability that a creator's following grows strongly over the
//! next 30 days ("buy tomorrow's influencer at today's price"), with its expected growth and a
//! `suspicious_growth` flag for one-off jumps that views do not back.
//!
//! Rows are (creator, as-of date) pairs every `step_days`; features read only snapshots up to the
//! date (`features`), labels read the following `horizon_days`. Two linfa models — an
//! L2-regularised logistic regression on standardised features and a bagged forest of decision
//! trees — and their mean are scored out of fold over blocks of dates (purged cross-fitting: a
//! block's models never train on a row whose label window comes within one horizon of it), the
//! best by out-of-fold ROC-AUC is chosen, its out-of-fold scores fit the isotonic calibration
//! (`calibrate`), and it is refitted on every row.

pub mod calibrate;
pub mod features;
pub mod forest;

use std::time::Instant;

use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::tier::Tier;
use calibrate::Isotonic;
use features::{DYNAMIC, History, Jump, STATIC, Series, SeriesIndex, Unscored};

/// Hyperparameters of the growth model.
///
/// | name | default | range | meaning |
/// |---|---|---|---|
/// | horizon_days | 30 | 7 – 180 | the label window |
/// | threshold | 0.10 | 0.001 – 10 | strong growth: followers up by at least this share over the horizon (10%/30 days ≈ 5× a steady creator's month; the simulator's rising stars gain 20–90%) |
/// | top_share | none | 0 – 0.5 | instead of the threshold: the top share of growth within the creator's platform on the same date |
/// | step_days | 7 | 1 – 90 | spacing of the as-of dates of training rows |
/// | min_history_days | 30 | 7 – 365 | tracked days needed before a creator is scored |
/// | max_staleness_days | 14 | 1 – 90 | the latest snapshot may be at most this old |
/// | trees | 40 | 1 – 1000 | trees of the bagged forest |
/// | max_depth | 8 | 1 – 30 | depth of each tree |
/// | l2 | 10 | 0 – 10⁶ | L2 penalty of the logistic regression (on the summed log loss; 10 gave the best Brier score among 0.1, 1, 10 and 100 on the sample, `kolrec bench growth --growth-l2 X`) |
/// | seed | 42 | any | bootstrap samples |
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct GrowthParams {
    pub horizon_days: i32,
    pub threshold: f64,
    pub top_share: Option<f64>,
    pub step_days: i32,
    pub min_history_days: i32,
    pub max_staleness_days: i32,
    pub trees: usize,
    pub max_depth: usize,
    pub l2: f64,
    pub seed: u64,
}

impl Default for GrowthParams {
    fn default() -> Self {
        GrowthParams {
            horizon_days: 30,
            threshold: 0.10,
            top_share: None,
            step_days: 7,
            min_history_days: 30,
            max_staleness_days: 14,
            trees: 40,
            max_depth: 8,
            l2: 10.0,
            seed: 42,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GrowthError {
    #[error("invalid growth parameter {name} = {value}: {reason}")]
    Param { name: &'static str, value: String, reason: &'static str },
    #[error(
        "too little follower history to train the growth model: snapshots span {span} days, but training needs at least {need} (history {history} + two label windows of {horizon} + calibration dates)"
    )]
    TooShort { span: i32, need: i32, history: i32, horizon: i32 },
    #[error("no creator has a labelled row in the {what} period: {reason}")]
    NoRows { what: &'static str, reason: String },
    #[error("the {what} rows hold only one class ({positives} positives of {rows}): choose another --growth-threshold")]
    OneClass { what: &'static str, positives: usize, rows: usize },
    #[error("fitting the {model}: {reason}")]
    Fit { model: &'static str, reason: String },
}

impl GrowthParams {
    pub fn check(&self) -> Result<(), GrowthError> {
        fn bad<T: std::fmt::Display>(name: &'static str, v: T, reason: &'static str) -> Result<(), GrowthError> {
            Err(GrowthError::Param { name, value: v.to_string(), reason })
        }
        if !(7..=180).contains(&self.horizon_days) {
            return bad("horizon_days", self.horizon_days, "must be between 7 and 180");
        }
        if !(self.threshold.is_finite() && (0.001..=10.0).contains(&self.threshold)) {
            return bad("threshold", self.threshold, "must be between 0.001 and 10 (0.10 = +10% followers)");
        }
        if let Some(q) = self.top_share.filter(|q| !(q.is_finite() && *q > 0.0 && *q <= 0.5)) {
            return bad("top_share", q, "must be in (0, 0.5]");
        }
        if !(1..=90).contains(&self.step_days) {
            return bad("step_days", self.step_days, "must be between 1 and 90");
        }
        if !(7..=365).contains(&self.min_history_days) {
            return bad("min_history_days", self.min_history_days, "must be between 7 and 365");
        }
        if !(1..=90).contains(&self.max_staleness_days) {
            return bad("max_staleness_days", self.max_staleness_days, "must be between 1 and 90");
        }
        if !(1..=1000).contains(&self.trees) {
            return bad("trees", self.trees, "must be between 1 and 1000");
        }
        if !(1..=30).contains(&self.max_depth) {
            return bad("max_depth", self.max_depth, "must be between 1 and 30");
        }
        if !(self.l2.is_finite() && (0.0..=1e6).contains(&self.l2)) {
            return bad("l2", self.l2, "must be between 0 and 1e6");
        }
        Ok(())
    }

    fn history(&self) -> History {
        History { min_days: self.min_history_days, max_staleness: self.max_staleness_days }
    }
}

/// Numeric feature names, in the order of a row's raw values.
pub fn numeric_names() -> Vec<&'static str> {
    DYNAMIC.iter().chain(STATIC.iter()).copied().collect()
}

const Q: usize = DYNAMIC.len() + STATIC.len();

/// Feature rows before encoding: raw numeric values plus what the encoder needs.
#[derive(Default)]
pub struct Rows {
    pub raw: Vec<f32>,
    pub creator: Vec<u32>,
    pub as_of: Vec<i32>,
    /// Realised relative growth over the horizon (`NaN` when the future is not observed).
    pub growth: Vec<f32>,
    pub jump: Vec<Jump>,
    pub tier: Vec<Tier>,
    pub platform: Vec<u32>,
}

impl Rows {
    pub fn len(&self) -> usize {
        self.creator.len()
    }

    pub fn is_empty(&self) -> bool {
        self.creator.is_empty()
    }

    pub fn select(&self, keep: &[usize]) -> Rows {
        Rows {
            raw: keep.iter().flat_map(|&r| self.raw[r * Q..(r + 1) * Q].iter().copied()).collect(),
            creator: keep.iter().map(|&r| self.creator[r]).collect(),
            as_of: keep.iter().map(|&r| self.as_of[r]).collect(),
            growth: keep.iter().map(|&r| self.growth[r]).collect(),
            jump: keep.iter().map(|&r| self.jump[r]).collect(),
            tier: keep.iter().map(|&r| self.tier[r]).collect(),
            platform: keep.iter().map(|&r| self.platform[r]).collect(),
        }
    }
}

/// A creator left unscored at a date, and why.
pub type Skipped = (u32, i32, Unscored);

/// Feature rows of every creator at each date, and the creators skipped at each (with why).
/// Labels read snapshots up to `label_until` only (the end of a training period), so that no
/// label is interpolated from a snapshot inside a later test period.
pub fn collect(ds: &Dataset, dates: &[i32], label_until: Option<i32>, p: &GrowthParams) -> (Rows, Vec<Skipped>) {
    let inf = &ds.influencers;
    let index = SeriesIndex::new(&ds.snapshots, inf.len());
    let platforms = crate::catalog::Interned::new(&inf.platform);
    let per: Vec<(Rows, Vec<Skipped>)> = (0..inf.len())
        .into_par_iter()
        .map(|i| {
            let s = Series::of(&ds.snapshots, index.range(i));
            let mut rows = Rows::default();
            let mut skipped = Vec::new();
            for &day in dates {
                match features::dynamic(&s, day, p.history()) {
                    Ok((f, jump)) => {
                        rows.raw.extend_from_slice(&f);
                        // The latest count on or before the date, never an interpolation
                        // towards a later snapshot.
                        let level = s.until(day).followers.last().copied();
                        rows.raw.extend_from_slice(&features::static_features(inf, i, level));
                        rows.creator.push(i as u32);
                        rows.as_of.push(day);
                        let g = match label_until {
                            Some(u) => features::future_growth(&s.until(u), day, p.horizon_days),
                            None => features::future_growth(&s, day, p.horizon_days),
                        };
                        rows.growth.push(g.map_or(f32::NAN, |g| g as f32));
                        rows.jump.push(jump);
                        rows.tier.push(features::tier(inf, i, level));
                        rows.platform.push(platforms.codes[i]);
                    }
                    Err(why) => skipped.push((i as u32, day, why)),
                }
            }
            (rows, skipped)
        })
        .collect();
    let mut all = Rows::default();
    let mut skipped = Vec::new();
    for (r, s) in per {
        all.raw.extend(r.raw);
        all.creator.extend(r.creator);
        all.as_of.extend(r.as_of);
        all.growth.extend(r.growth);
        all.jump.extend(r.jump);
        all.tier.extend(r.tier);
        all.platform.extend(r.platform);
        skipped.extend(s);
    }
    (all, skipped)
}

/// Labels: growth at or above the threshold, or in the top share of its platform on its date.
pub fn labels(rows: &Rows, p: &GrowthParams) -> Vec<bool> {
    match p.top_share {
        None => rows.growth.iter().map(|&g| f64::from(g) >= p.threshold).collect(),
        Some(q) => {
            let mut groups: std::collections::HashMap<(i32, u32), Vec<f32>> = Default::default();
            for r in 0..rows.len() {
                if rows.growth[r].is_finite() {
                    groups.entry((rows.as_of[r], rows.platform[r])).or_default().push(rows.growth[r]);
                }
            }
            let cut: std::collections::HashMap<(i32, u32), f32> = groups
                .into_iter()
                .map(|(k, mut v)| {
                    v.sort_by(|a, b| b.total_cmp(a));
                    let n = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len());
                    (k, v[n - 1])
                })
                .collect();
            (0..rows.len())
                .map(|r| cut.get(&(rows.as_of[r], rows.platform[r])).is_some_and(|&c| rows.growth[r] >= c))
                .collect()
        }
    }
}

/// Standardisation (with a missing flag per numeric feature), tier and platform one-hots.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Encoder {
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
    pub platforms: Vec<String>,
}

impl Encoder {
    fn fit(rows: &Rows, platforms: Vec<String>) -> Encoder {
        let (mut mean, mut std) = (vec![0.0f32; Q], vec![1.0f32; Q]);
        for j in 0..Q {
            let v: Vec<f64> =
                (0..rows.len()).map(|r| f64::from(rows.raw[r * Q + j])).filter(|x| x.is_finite()).collect();
            if v.is_empty() {
                continue;
            }
            let m = v.iter().sum::<f64>() / v.len() as f64;
            let s = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
            mean[j] = m as f32;
            std[j] = (s as f32).max(1e-6);
        }
        Encoder { mean, std, platforms }
    }

    pub fn width(&self) -> usize {
        2 * Q + Tier::ALL.len() + self.platforms.len()
    }

    fn encode_into(&self, raw: &[f32], tier: Tier, platform: &str, out: &mut [f64]) {
        for j in 0..Q {
            let v = raw[j];
            // Standardised values are clipped at ±6σ so that one odd creator cannot dominate.
            out[2 * j] =
                if v.is_finite() { f64::from(((v - self.mean[j]) / self.std[j]).clamp(-6.0, 6.0)) } else { 0.0 };
            out[2 * j + 1] = if v.is_finite() { 0.0 } else { 1.0 };
        }
        let base = 2 * Q;
        for (k, t) in Tier::ALL.iter().enumerate() {
            out[base + k] = f64::from(u8::from(*t == tier));
        }
        let base = base + Tier::ALL.len();
        for (k, p) in self.platforms.iter().enumerate() {
            out[base + k] = f64::from(u8::from(p == platform));
        }
    }

    fn matrix(&self, rows: &Rows, platform_names: &[String]) -> Array2<f64> {
        let w = self.width();
        let mut x = Array2::<f64>::zeros((rows.len(), w));
        for (r, mut row) in x.outer_iter_mut().enumerate() {
            let out = row.as_slice_mut().expect("standard layout");
            self.encode_into(
                &rows.raw[r * Q..(r + 1) * Q],
                rows.tier[r],
                &platform_names[rows.platform[r] as usize],
                out,
            );
        }
        x
    }
}

/// The fitted classifier: a weighted mean of a logistic regression's probability and the
/// bagged trees' leaf probability (either weight may be 0, and that model is then not stored).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Classifier {
    /// The trees' share of the score, from `BLEND_WEIGHTS`.
    pub forest_weight: f32,
    pub logistic: Option<Logistic>,
    pub forest: Vec<forest::Tree>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Logistic {
    pub weights: Vec<f64>,
    pub intercept: f64,
}

impl Logistic {
    fn predict(&self, x: &Array2<f64>) -> Vec<f32> {
        x.outer_iter()
            .map(|row| {
                let z: f64 = row.iter().zip(&self.weights).map(|(a, b)| a * b).sum::<f64>() + self.intercept;
                (1.0 / (1.0 + (-z).exp())) as f32
            })
            .collect()
    }
}

/// The trees' shares tried, from the logistic regression alone to the trees alone.
pub const BLEND_WEIGHTS: [f32; 5] = [0.0, 0.25, 0.5, 0.75, 1.0];

fn blend(logistic: &[f32], forest: &[f32], w: f32) -> Vec<f32> {
    logistic.iter().zip(forest).map(|(l, f)| (1.0 - w) * l + w * f).collect()
}

impl Classifier {
    pub fn name(&self) -> String {
        match self.forest_weight {
            0.0 => "logistic regression".into(),
            1.0 => "bagged trees".into(),
            w => format!("{w:.2} bagged trees + {:.2} logistic regression", 1.0 - w),
        }
    }

    /// Uncalibrated scores in [0, 1].
    fn raw(&self, x: &Array2<f64>) -> Vec<f32> {
        let zeros = || vec![0.0; x.nrows()];
        let l = self.logistic.as_ref().map_or_else(zeros, |m| m.predict(x));
        let f = if self.forest.is_empty() { zeros() } else { forest::predict(&self.forest, x) };
        blend(&l, &f, self.forest_weight)
    }
}

fn fit_logistic(x: &Array2<f64>, y: &[bool], l2: f64) -> Result<Logistic, GrowthError> {
    let ds = linfa::Dataset::new(x.clone(), Array1::from_vec(y.to_vec()));
    let fitted = LogisticRegression::default()
        .alpha(l2)
        .max_iterations(200)
        // linfa sums the log loss over rows, so its gradient grows with them: a fixed tolerance
        // of 1e-4 ran every fit to the iteration cap. 1e-5 per row moves the weights by about
        // 1e-4 of a standard deviation.
        .gradient_tolerance(1e-5 * x.nrows() as f64)
        .fit(&ds)
        .map_err(|e| GrowthError::Fit { model: "logistic regression", reason: e.to_string() })?;
    // linfa orders the two labels itself; make the score the probability of `true`.
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    Ok(Logistic { weights: fitted.params().iter().map(|w| sign * w).collect(), intercept: sign * fitted.intercept() })
}

fn fit_forest(x: &Array2<f64>, y: &[bool], p: &GrowthParams) -> Result<Vec<forest::Tree>, GrowthError> {
    forest::fit(x, y, p.trees, p.max_depth, p.seed)
        .map_err(|reason| GrowthError::Fit { model: "decision tree", reason })
}

/// Date blocks of the cross-fitting.
const FOLDS: usize = 5;

/// The positives among `idx`, or why those rows cannot train or calibrate a classifier.
fn one_class_check(what: &'static str, idx: &[usize], y: &[bool]) -> Result<usize, GrowthError> {
    if idx.is_empty() {
        return Err(GrowthError::NoRows { what, reason: "every creator lacks history or a label there".into() });
    }
    let pos = idx.iter().filter(|&&r| y[r]).count();
    if pos == 0 || pos == idx.len() {
        return Err(GrowthError::OneClass { what, positives: pos, rows: idx.len() });
    }
    Ok(pos)
}

/// Both candidate classifiers fitted on `rows`, and their encoder.
fn fit_pair(
    rows: &Rows,
    y: &[bool],
    platform_names: &[String],
    p: &GrowthParams,
) -> Result<(Logistic, Vec<forest::Tree>, Encoder), GrowthError> {
    let encoder = Encoder::fit(rows, platform_names.to_vec());
    let x = encoder.matrix(rows, platform_names);
    Ok((fit_logistic(&x, y, p.l2)?, fit_forest(&x, y, p)?, encoder))
}

/// A trained growth model.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct GrowthModel {
    pub params: GrowthParams,
    pub encoder: Encoder,
    pub classifier: Classifier,
    /// Raw score → probability of strong growth.
    pub calibration: Isotonic,
    /// Raw score → mean realised growth over the horizon.
    pub expected: Isotonic,
}

/// What one growth training run did.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct GrowthReport {
    /// Labelled rows (creator × as-of date) and their positives; the final model is fitted on all.
    pub rows: usize,
    pub positives: usize,
    /// Date blocks scored out of fold, and the rows they hold (which choose and calibrate).
    pub folds: usize,
    pub calibration_rows: usize,
    pub calibration_positives: usize,
    pub first_date: String,
    pub last_date: String,
    pub chosen: String,
    /// Every blend tried, with its out-of-fold figures.
    pub candidates: Vec<Candidate>,
    pub seconds: f64,
}

/// One blend of the two models, judged out of fold.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Candidate {
    pub forest_weight: f32,
    pub roc_auc: f64,
    /// Of the calibrated out-of-fold probabilities.
    pub brier: f64,
}

/// As-of dates `step` apart whose label windows end by `until`, starting once `min_history` days
/// of snapshots exist.
pub fn label_dates(ds: &Dataset, until: i32, p: &GrowthParams) -> Vec<i32> {
    let Some(first) = ds.snapshots.date.iter().min().copied() else { return Vec::new() };
    let mut dates = Vec::new();
    let mut d = until - p.horizon_days;
    while d >= first + p.min_history_days {
        dates.push(d);
        d -= p.step_days;
    }
    dates.reverse();
    dates
}

impl GrowthModel {
    /// Train on labels that end by `until`: fit on the earlier dates, choose and calibrate on the
    /// later ones (the last quarter of the dates, after an embargo of one horizon).
    pub fn fit(ds: &Dataset, until: i32, p: &GrowthParams) -> Result<(GrowthModel, GrowthReport), GrowthError> {
        p.check()?;
        let t0 = Instant::now();
        let dates = label_dates(ds, until, p);
        let span = ds.snapshots.date.iter().min().map_or(0, |&f| until - f);
        let need = p.min_history_days + 2 * p.horizon_days + 4 * p.step_days;
        if dates.len() < 4 || span < need {
            return Err(GrowthError::TooShort { span, need, history: p.min_history_days, horizon: p.horizon_days });
        }
        let (rows, _) = collect(ds, &dates, Some(until), p);
        let labelled: Vec<usize> = (0..rows.len()).filter(|&r| rows.growth[r].is_finite()).collect();
        let platform_names = crate::catalog::Interned::new(&ds.influencers.platform).values;
        let (model, mut report) = Self::fit_rows(&rows.select(&labelled), &platform_names, p)?;
        report.seconds = t0.elapsed().as_secs_f64();
        Ok((model, report))
    }

    /// Train on labelled feature rows by purged cross-fitting over blocks of dates: each block is
    /// scored by models fitted on the rows whose label windows end at least one horizon before it
    /// or start after it ends plus one horizon; the out-of-fold scores choose the model and fit the
    /// calibration, and the chosen model is then refitted on every row.
    pub fn fit_rows(
        rows: &Rows,
        platform_names: &[String],
        p: &GrowthParams,
    ) -> Result<(GrowthModel, GrowthReport), GrowthError> {
        p.check()?;
        let t0 = Instant::now();
        let mut dates: Vec<i32> = rows.as_of.clone();
        dates.sort_unstable();
        dates.dedup();
        if dates.len() < 2 {
            return Err(GrowthError::NoRows { what: "fit", reason: format!("{} as-of date(s)", dates.len()) });
        }
        let y = labels(rows, p);
        let all: Vec<usize> = (0..rows.len()).collect();
        let fit_pos = one_class_check("fit", &all, &y)?;
        let n = rows.len();
        let (mut oof_l, mut oof_f) = (vec![f32::NAN; n], vec![f32::NAN; n]);
        let mut folds = 0;
        for block in dates.chunks(dates.len().div_ceil(FOLDS)) {
            let (lo, hi) = (block[0], block[block.len() - 1]);
            let test: Vec<usize> = all.iter().copied().filter(|&r| (lo..=hi).contains(&rows.as_of[r])).collect();
            let train: Vec<usize> = all
                .iter()
                .copied()
                .filter(|&r| rows.as_of[r] <= lo - p.horizon_days || rows.as_of[r] >= hi + p.horizon_days)
                .collect();
            // A block whose purged training rows hold one class (or none) stays unscored.
            if one_class_check("fit", &train, &y).is_err() {
                continue;
            }
            let yt: Vec<bool> = train.iter().map(|&r| y[r]).collect();
            let (logistic, forest, encoder) = fit_pair(&rows.select(&train), &yt, platform_names, p)?;
            let x = encoder.matrix(&rows.select(&test), platform_names);
            let (rl, rf) = (logistic.predict(&x), forest::predict(&forest, &x));
            for (k, &r) in test.iter().enumerate() {
                oof_l[r] = rl[k];
                oof_f[r] = rf[k];
            }
            folds += 1;
        }
        let cal_idx: Vec<usize> = all.iter().copied().filter(|&r| oof_l[r].is_finite()).collect();
        let cal_pos = one_class_check("calibration", &cal_idx, &y)?;
        let yc: Vec<bool> = cal_idx.iter().map(|&r| y[r]).collect();
        let rl: Vec<f32> = cal_idx.iter().map(|&r| oof_l[r]).collect();
        let rf: Vec<f32> = cal_idx.iter().map(|&r| oof_f[r]).collect();
        let yc_f: Vec<f32> = yc.iter().map(|&v| f32::from(u8::from(v))).collect();
        // Each blend is judged by the Brier score of its calibrated out-of-fold probabilities:
        // what a user reads is the calibrated probability, and a blend can rank as well as
        // another while separating the likely growers more sharply.
        let candidates: Vec<Candidate> = BLEND_WEIGHTS
            .iter()
            .map(|&w| {
                let raw = blend(&rl, &rf, w);
                let cal = Isotonic::fit(&raw, &yc_f);
                let prob: Vec<f32> = raw.iter().map(|&r| cal.apply(r)).collect();
                Candidate {
                    forest_weight: w,
                    roc_auc: crate::evaluate::binary::roc_auc(&raw, &yc),
                    brier: crate::evaluate::binary::brier(&prob, &yc),
                }
            })
            .collect();
        let best = candidates.iter().min_by(|a, b| a.brier.total_cmp(&b.brier)).expect("five candidates");
        let w = best.forest_weight;
        let raw = blend(&rl, &rf, w);
        let calibration = Isotonic::fit(&raw, &yc_f);
        let growth: Vec<f32> = cal_idx.iter().map(|&r| rows.growth[r].clamp(-0.9, 5.0)).collect();
        let expected = Isotonic::fit(&raw, &growth);
        // The refit on every row scores on the scale of the out-of-fold models, which saw most
        // of the rows, so the calibration carries over (checked by the calibration test and
        // `kolrec bench growth`).
        let encoder = Encoder::fit(rows, platform_names.to_vec());
        let x = encoder.matrix(rows, platform_names);
        let classifier = Classifier {
            forest_weight: w,
            logistic: if w < 1.0 { Some(fit_logistic(&x, &y, p.l2)?) } else { None },
            forest: if w > 0.0 { fit_forest(&x, &y, p)? } else { Vec::new() },
        };
        let report = GrowthReport {
            rows: n,
            positives: fit_pos,
            folds,
            calibration_rows: cal_idx.len(),
            calibration_positives: cal_pos,
            first_date: crate::parse::format_date(dates[0]),
            last_date: crate::parse::format_date(dates[dates.len() - 1]),
            chosen: classifier.name(),
            candidates,
            seconds: t0.elapsed().as_secs_f64(),
        };
        Ok((GrowthModel { params: p.clone(), encoder, classifier, calibration, expected }, report))
    }

    /// Calibrated probabilities and expected growth for feature rows.
    pub fn predict(&self, rows: &Rows, platform_names: &[String]) -> (Vec<f32>, Vec<f32>) {
        let x = self.encoder.matrix(rows, platform_names);
        let raw = self.classifier.raw(&x);
        (
            raw.iter().map(|&r| self.calibration.apply(r)).collect(),
            raw.iter().map(|&r| self.expected.apply(r)).collect(),
        )
    }

    /// How much each numeric feature moves one row's raw score: the score minus the score with
    /// that feature at the training mean (flagged missing), largest increases first.
    pub fn contributions(&self, rows: &Rows, r: usize, platform_names: &[String]) -> Vec<(&'static str, f32)> {
        let one = rows.select(&[r]);
        let base = self.classifier.raw(&self.encoder.matrix(&one, platform_names))[0];
        let names = numeric_names();
        let mut out: Vec<(&'static str, f32)> = (0..Q)
            .map(|j| {
                let mut alt = rows.select(&[r]);
                alt.raw[j] = f32::NAN;
                let s = self.classifier.raw(&self.encoder.matrix(&alt, platform_names))[0];
                (names[j], base - s)
            })
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1));
        out
    }
}

/// A one-off jump of at least this relative size beyond the usual rate is examined.
pub const JUMP_MIN: f64 = 0.10;
/// ... and flagged when daily views during it were below this multiple of the 90-day norm.
pub const JUMP_VIEWS_MAX: f64 = 1.5;

/// `suspicious_growth` and its reason: a jump in followers that views do not back.
pub fn suspicious(j: &Jump) -> Option<String> {
    if j.excess < JUMP_MIN || j.views_ratio >= JUMP_VIEWS_MAX {
        return None;
    }
    let views = if j.views_ratio.is_finite() {
        format!("daily views were {:.1}× its 90-day norm", j.views_ratio)
    } else {
        "no views were reported".to_string()
    };
    Some(format!(
        "followers jumped {:+.0}% beyond their usual rate between {} and {} while {views}: bought followers or a one-off, not organic growth",
        100.0 * j.excess,
        crate::parse::format_date(j.from),
        crate::parse::format_date(j.to)
    ))
}

/// One creator's growth score as of a date.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Scored {
    pub influencer_id: String,
    pub platform: String,
    pub tier: Tier,
    pub followers: f64,
    pub probability: f32,
    pub expected_growth: f32,
    pub suspicious_growth: bool,
    /// The flag's reason, else the creator's recent signals (and, for the top rows, the features
    /// that moved its score most).
    pub reason: String,
}

/// Every creator as of a date: scored ones by descending probability, and the rest with why.
#[derive(Clone, Debug, Serialize)]
pub struct Scoring {
    pub as_of: String,
    pub scored: Vec<Scored>,
    pub unscored: Vec<(String, String)>,
}

fn pct(x: f32) -> String {
    if x.is_finite() { format!("{:+.1}%", 100.0 * x.exp_m1()) } else { "n/a".into() }
}

impl GrowthModel {
    /// Score every creator as of `day`; the top `explain` rows also get their strongest features.
    pub fn score(&self, ds: &Dataset, day: i32, explain: usize) -> Scoring {
        let p = &self.params;
        let (rows, skipped) = collect(ds, &[day], None, p);
        let platform_names = crate::catalog::Interned::new(&ds.influencers.platform).values;
        let (prob, expected) = self.predict(&rows, &platform_names);
        let inf = &ds.influencers;
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_by(|&a, &b| prob[b].total_cmp(&prob[a]).then(rows.creator[a].cmp(&rows.creator[b])));
        let names = numeric_names();
        let at = |r: usize, name: &str| rows.raw[r * Q + names.iter().position(|n| *n == name).expect("a feature")];
        let scored = order
            .iter()
            .enumerate()
            .map(|(rank, &r)| {
                let i = rows.creator[r] as usize;
                let flag = suspicious(&rows.jump[r]);
                let mut reason = flag.clone().unwrap_or_else(|| {
                    format!(
                        "30-day organic growth {}, 7-day {}, views per follower {} vs the month before",
                        pct(at(r, "growth_30d")),
                        pct(at(r, "growth_7d")),
                        pct(at(r, "views_trend"))
                    )
                });
                if rank < explain {
                    let top: Vec<String> = self
                        .contributions(&rows, r, &platform_names)
                        .into_iter()
                        .take(3)
                        .filter(|c| c.1 > 0.0)
                        .map(|(n, c)| format!("{n} +{c:.2}"))
                        .collect();
                    if !top.is_empty() {
                        reason.push_str(&format!("; drivers: {}", top.join(", ")));
                    }
                }
                Scored {
                    influencer_id: inf.id[i].clone(),
                    platform: inf.platform[i].clone(),
                    tier: rows.tier[r],
                    followers: inf.followers[i],
                    probability: prob[r],
                    expected_growth: expected[r],
                    suspicious_growth: flag.is_some(),
                    reason,
                }
            })
            .collect();
        let unscored = skipped.into_iter().map(|(i, _, why)| (inf.id[i as usize].clone(), why.to_string())).collect();
        Scoring { as_of: crate::parse::format_date(day), scored, unscored }
    }
}

/// A terminal table of the top `n` rows and a summary line.
pub fn table(s: &Scoring, n: usize, seconds: f64) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let flagged = s.scored.iter().filter(|r| r.suspicious_growth).count();
    let mut why: std::collections::BTreeMap<String, usize> = Default::default();
    for (_, w) in &s.unscored {
        let kind = w.split(':').next().unwrap_or(w).split(" (").next().unwrap_or(w);
        let kind = if kind.starts_with("only") { "too little history" } else { kind };
        *why.entry(kind.to_string()).or_default() += 1;
    }
    let why: Vec<String> = why.iter().map(|(k, v)| format!("{v} {k}")).collect();
    let _ = writeln!(
        out,
        "growth as of {}: {} creators scored in {seconds:.1}s, {} flagged suspicious_growth; {} not scored{}",
        s.as_of,
        s.scored.len(),
        flagged,
        s.unscored.len(),
        if why.is_empty() { String::new() } else { format!(" ({})", why.join(", ")) }
    );
    let _ = writeln!(
        out,
        "{:>4}  {:<14} {:<12} {:<6} {:>10} {:>8} {:>9} {:<5}  reason",
        "rank", "influencer", "platform", "tier", "followers", "p(grow)", "exp. 30d", "flag"
    );
    for (k, r) in s.scored.iter().take(n).enumerate() {
        let _ = writeln!(
            out,
            "{:>4}  {:<14} {:<12} {:<6} {:>10.0} {:>8.3} {:>+8.1}% {:<5}  {}",
            k + 1,
            r.influencer_id.chars().take(14).collect::<String>(),
            r.platform.chars().take(12).collect::<String>(),
            r.tier.as_str(),
            r.followers,
            r.probability,
            100.0 * r.expected_growth,
            if r.suspicious_growth { "SUSP" } else { "" },
            r.reason
        );
    }
    out
}

/// Every creator, scored or not, to CSV or Parquet (by extension).
pub fn write_scores(s: &Scoring, path: &std::path::Path) -> Result<(), crate::table::TableError> {
    use polars::prelude::*;
    let n = s.scored.len() + s.unscored.len();
    let mut id = Vec::with_capacity(n);
    let mut prob: Vec<Option<f32>> = Vec::with_capacity(n);
    let mut exp: Vec<Option<f32>> = Vec::with_capacity(n);
    let mut flag: Vec<Option<bool>> = Vec::with_capacity(n);
    let mut reason = Vec::with_capacity(n);
    let mut status = Vec::with_capacity(n);
    for r in &s.scored {
        id.push(r.influencer_id.clone());
        prob.push(Some(r.probability));
        exp.push(Some(r.expected_growth));
        flag.push(Some(r.suspicious_growth));
        reason.push(r.reason.clone());
        status.push("scored".to_string());
    }
    for (i, why) in &s.unscored {
        id.push(i.clone());
        prob.push(None);
        exp.push(None);
        flag.push(None);
        reason.push(why.clone());
        status.push("not scored".to_string());
    }
    let mut frame = DataFrame::new_infer_height(vec![
        Column::new("influencer_id".into(), id),
        Column::new("probability".into(), prob),
        Column::new("expected_growth".into(), exp),
        Column::new("suspicious_growth".into(), flag),
        Column::new("reason".into(), reason),
        Column::new("status".into(), status),
    ])
    .expect("equal lengths");
    crate::table::write(&mut frame, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Snapshots;
    use features::{Series, dynamic};

    /// A daily series of 120 days growing 0.1%/day, with `jump` added to followers from day 100
    /// and the views of days 100–101 multiplied by `views_mult`.
    fn planted(jump: f64, views_mult: f64) -> Snapshots {
        let days: Vec<i32> = (0..120).collect();
        let followers: Vec<f64> = days
            .iter()
            .map(|&d| 1e5 * (0.001 * f64::from(d)).exp() * if d >= 100 { 1.0 + jump } else { 1.0 })
            .collect();
        let views: Vec<f64> =
            days.iter().map(|&d| 2e4 * if (100..102).contains(&d) { views_mult } else { 1.0 }).collect();
        Snapshots {
            influencer: vec![0; days.len()],
            date: days,
            followers,
            likes: views.iter().map(|v| v / 20.0).collect(),
            views,
            posts: vec![1.0; 120],
        }
    }

    fn feats(s: &Snapshots) -> ([f32; DYNAMIC.len()], Jump) {
        dynamic(&Series::of(s, 0..s.date.len()), 115, GrowthParams::default().history()).unwrap()
    }

    #[test]
    fn a_jump_without_views_is_flagged_and_left_out_of_organic_growth() {
        let (plain, _) = feats(&planted(0.0, 1.0));
        let (bought, jump) = feats(&planted(0.4, 1.0));
        let reason = suspicious(&jump).expect("a 40% jump with flat views is suspicious");
        assert!(reason.contains("followers jumped +40%") && reason.contains("1.0× its 90-day norm"), "{reason}");
        // Organic growth features do not move with the jump; the jump features do.
        for k in 0..4 {
            assert!((plain[k] - bought[k]).abs() < 0.01, "{}: {} vs {}", DYNAMIC[k], plain[k], bought[k]);
        }
        assert!(bought[6] > 0.3 && plain[6] < 0.01, "max_jump {} vs {}", bought[6], plain[6]);
    }

    #[test]
    fn a_jump_with_matching_views_is_not_suspicious_and_smooth_growth_has_no_jump() {
        let (_, viral) = feats(&planted(0.4, 15.0));
        assert!(viral.excess > 0.3);
        assert_eq!(suspicious(&viral), None, "views backed this jump");
        let (_, smooth) = feats(&planted(0.0, 1.0));
        assert!(smooth.excess < 0.01 && suspicious(&smooth).is_none());
    }

    /// One creator whose table row says `today` followers, with snapshots `s`.
    fn one_creator(s: Snapshots, today: f64) -> Dataset {
        let mut ds = Dataset::default();
        ds.influencers.push_basic("c", "douyin", "beauty", today);
        ds.snapshots = s;
        ds
    }

    #[test]
    fn feature_rows_never_read_later_snapshots_nor_todays_follower_count() {
        // The same history up to day 100; after it one creator's followers jump 40%, and the
        // influencers table (today's count) says so.
        let before = planted(0.0, 1.0);
        let after = planted(0.4, 1.0);
        let today = *after.followers.last().unwrap();
        let p = GrowthParams::default();
        let (a, _) = collect(&one_creator(before.clone(), *before.followers.last().unwrap()), &[85], None, &p);
        let (b, _) = collect(&one_creator(after, today), &[85], None, &p);
        assert_eq!(a.len(), 1);
        assert_eq!(format!("{:?}", a.raw), format!("{:?}", b.raw), "features as of day 85 moved");
        assert_eq!(a.tier, b.tier);
        // The label is the one thing that reads the future.
        assert!(b.growth[0] > a.growth[0] + 0.3, "{} vs {}", b.growth[0], a.growth[0]);
    }

    #[test]
    fn bad_growth_params_are_named() {
        for (p, name) in [
            (GrowthParams { threshold: 0.0, ..Default::default() }, "threshold = 0"),
            (GrowthParams { horizon_days: 3, ..Default::default() }, "horizon_days = 3"),
            (GrowthParams { top_share: Some(0.9), ..Default::default() }, "top_share = 0.9"),
            (GrowthParams { trees: 0, ..Default::default() }, "trees = 0"),
            (GrowthParams { l2: -1.0, ..Default::default() }, "l2 = -1"),
        ] {
            let e = p.check().unwrap_err().to_string();
            assert!(e.contains(name), "{e}");
        }
    }
}
