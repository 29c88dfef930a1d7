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
pub mod classifier;
pub mod crossfit;
pub mod features;
pub mod forest;
pub mod output;
pub mod rows;

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::tier::Tier;
use calibrate::Isotonic;
use classifier::{Classifier, Encoder};
use features::{History, Jump};
pub use output::write_scores;
pub use rows::{Q, Rows, Skipped, collect, label_dates, labels, numeric_names};

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
    #[error(
        "the {what} rows hold only one class ({positives} positives of {rows}): choose another threshold (or a top_share)"
    )]
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

    pub fn history(&self) -> History {
        History { min_days: self.min_history_days, max_staleness: self.max_staleness_days }
    }
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

impl GrowthModel {
    /// Train on labels that end by `until`: fit on the earlier dates, choose and calibrate on the
    /// later ones (the last quarter of the dates, after an embargo of one horizon).
    pub fn fit(ds: &Dataset, until: i32, p: &GrowthParams) -> Result<(GrowthModel, GrowthReport), GrowthError> {
        p.check()?;
        let t0 = Instant::now();
        let dates = label_dates(ds, until, p);
        // No snapshot before `until` is no history at all, not a negative span.
        let span = ds.snapshots.date.iter().min().map_or(0, |&f| (until - f).max(0));
        let need = p.min_history_days + 2 * p.horizon_days + 4 * p.step_days;
        if dates.len() < 4 || span < need {
            return Err(GrowthError::TooShort { span, need, history: p.min_history_days, horizon: p.horizon_days });
        }
        let (rows, _) = collect(ds, &dates, Some(until), p);
        let labelled: Vec<usize> = (0..rows.len()).filter(|&r| rows.growth[r].is_finite()).collect();
        let platform_names = crate::catalog::Interned::new(&ds.influencers.platform).values;
        let (model, mut report) = crossfit::fit_rows(&rows.select(&labelled), &platform_names, p)?;
        report.seconds = t0.elapsed().as_secs_f64();
        Ok((model, report))
    }

    /// Train on labelled feature rows by purged cross-fitting (see `crossfit`).
    pub fn fit_rows(
        rows: &Rows,
        platform_names: &[String],
        p: &GrowthParams,
    ) -> Result<(GrowthModel, GrowthReport), GrowthError> {
        crossfit::fit_rows(rows, platform_names, p)
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
    /// Whether the decoded arrays agree with each other: the encoder's statistics with its
    /// features, the logistic weights and every tree with the encoded width, each isotonic map's
    /// centres with its values.
    pub fn check_shape(&self) -> Result<(), String> {
        let e = &self.encoder;
        let width = e.width();
        if e.mean.len() != rows::Q || e.std.len() != rows::Q {
            return Err(format!(
                "the encoder holds {}/{} statistics for {} features",
                e.mean.len(),
                e.std.len(),
                rows::Q
            ));
        }
        if let Some(l) = &self.classifier.logistic
            && l.weights.len() != width
        {
            return Err(format!("the logistic part has {} weights for {width} inputs", l.weights.len()));
        }
        for (t, tree) in self.classifier.forest.iter().enumerate() {
            tree.check_shape(width).map_err(|e| format!("tree {t}: {e}"))?;
        }
        for (name, iso) in [("calibration", &self.calibration), ("expected", &self.expected)] {
            if iso.centre.len() != iso.value.len() {
                return Err(format!("{name} has {} centres for {} values", iso.centre.len(), iso.value.len()));
            }
        }
        Ok(())
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Snapshots;
    use features::{DYNAMIC, Series, dynamic};

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
