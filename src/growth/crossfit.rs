//! Training by purged cross-fitting over blocks of dates: each block is scored by models fitted
//! on rows whose label windows end at least one horizon before it or start one horizon after it;
//! the out-of-fold scores choose the blend and fit the calibration, and the chosen model is then
//! refitted on every row.

use std::time::Instant;

use super::calibrate::Isotonic;
use super::classifier::{BLEND_WEIGHTS, Classifier, Encoder, Logistic, blend, fit_forest, fit_logistic};
use super::rows::{Rows, labels};
use super::{Candidate, GrowthError, GrowthModel, GrowthParams, GrowthReport, forest};

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
                roc_auc: crate::metrics::binary::roc_auc(&raw, &yc),
                brier: crate::metrics::binary::brier(&prob, &yc),
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
