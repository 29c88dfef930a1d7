//! Evaluation of the growth model on a time split with an embargo: the model is trained on labels
//! that end by the test period's first as-of date (so no training label window overlaps a test
//! feature date), then scored on the test dates against two baselines computed by the same code:
//! recent momentum (last-30-day growth, calibrated on the training rows) and a follower-tier prior
//! (each tier's training rate of strong growth).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::dataset::Dataset;
use crate::growth::calibrate::Isotonic;
use crate::growth::{
    GrowthError, GrowthModel, GrowthParams, GrowthReport, Rows, collect, label_dates, labels, numeric_names,
};
use crate::metrics::binary::{self, BinaryReport};
use crate::parse::format_date;
use crate::tier::Tier;

#[derive(Clone, Debug, Serialize)]
pub struct GrowthEval {
    pub train_labels_until: String,
    pub test_from: String,
    pub test_until: String,
    pub embargo_days: i32,
    pub test_dates: usize,
    pub train: GrowthReport,
    /// kolrec, momentum, tier prior.
    pub models: BTreeMap<String, BinaryReport>,
    /// Every test row's probabilities and label (written beside eval.json, not into it).
    #[serde(skip)]
    pub predictions: GrowthPredictions,
}

/// The growth test rows, for curves and plots.
#[derive(Clone, Debug, Default)]
pub struct GrowthPredictions {
    pub influencer_id: Vec<String>,
    pub as_of: Vec<String>,
    pub kolrec: Vec<f32>,
    pub momentum: Vec<f32>,
    pub tier_prior: Vec<f32>,
    pub grew: Vec<bool>,
}

impl GrowthPredictions {
    /// CSV or Parquet by extension.
    pub fn write(&self, path: &std::path::Path) -> Result<(), crate::table::TableError> {
        use polars::prelude::*;
        let mut frame = DataFrame::new_infer_height(vec![
            Column::new("influencer_id".into(), &self.influencer_id),
            Column::new("as_of".into(), &self.as_of),
            Column::new("kolrec".into(), &self.kolrec),
            Column::new("momentum".into(), &self.momentum),
            Column::new("tier_prior".into(), &self.tier_prior),
            Column::new("grew_strongly".into(), &self.grew),
        ])
        .expect("equal lengths");
        crate::table::write(&mut frame, path)
    }
}

/// Labelled rows at `dates` (rows without an observed future dropped) and their labels.
fn labelled(ds: &Dataset, dates: &[i32], label_until: Option<i32>, p: &GrowthParams) -> (Rows, Vec<bool>) {
    let (rows, _) = collect(ds, dates, label_until, p);
    let keep: Vec<usize> = (0..rows.len()).filter(|&r| rows.growth[r].is_finite()).collect();
    let rows = rows.select(&keep);
    let y = labels(&rows, p);
    (rows, y)
}

pub fn momentum(rows: &Rows) -> Vec<f32> {
    let j = numeric_names().iter().position(|n| *n == "growth_30d").expect("a feature");
    let q = numeric_names().len();
    (0..rows.len()).map(|r| rows.raw[r * q + j]).map(|g| if g.is_finite() { g } else { -1.0 }).collect()
}

pub fn evaluate_growth(ds: &Dataset, p: &GrowthParams) -> Result<GrowthEval, GrowthError> {
    p.check()?;
    let end = ds.snapshots.last_date().unwrap_or(0);
    // Four test dates, one step apart, whose label windows end by the last snapshot.
    let test_until = end - p.horizon_days;
    let test_from = test_until - 3 * p.step_days;
    let test_dates: Vec<i32> = (0..4).map(|k| test_from + k * p.step_days).collect();
    let (model, report) = GrowthModel::fit(ds, test_from, p)?;
    let (test, y) = labelled(ds, &test_dates, None, p);
    if test.is_empty() {
        return Err(GrowthError::NoRows { what: "test", reason: "no creator has history and a label there".into() });
    }
    let platforms = crate::catalog::Interned::new(&ds.influencers.platform).values;
    let (prob, _) = model.predict(&test, &platforms);

    let (train, ty) = labelled(ds, &label_dates(ds, test_from, p), Some(test_from), p);
    let tyf: Vec<f32> = ty.iter().map(|&v| f32::from(u8::from(v))).collect();
    let mom = Isotonic::fit(&momentum(&train), &tyf);
    let mom_prob: Vec<f32> = momentum(&test).iter().map(|&s| mom.apply(s)).collect();
    let mut tier_rate = [(0.0f64, 0.0f64); 5];
    for (t, &v) in train.tier.iter().zip(&ty) {
        tier_rate[t.index()].0 += f64::from(u8::from(v));
        tier_rate[t.index()].1 += 1.0;
    }
    let base = ty.iter().filter(|&&v| v).count() as f64 / ty.len().max(1) as f64;
    let tier_prob: Vec<f32> = test
        .tier
        .iter()
        .map(|t: &Tier| {
            let (pos, n) = tier_rate[t.index()];
            (if n > 0.0 { pos / n } else { base }) as f32
        })
        .collect();

    let mut models = BTreeMap::new();
    models.insert("kolrec".to_string(), binary::report(&prob, &y));
    models.insert("momentum".to_string(), binary::report(&mom_prob, &y));
    models.insert("tier-prior".to_string(), binary::report(&tier_prob, &y));
    Ok(GrowthEval {
        train_labels_until: format_date(test_from),
        test_from: format_date(test_from),
        test_until: format_date(test_until),
        embargo_days: p.horizon_days,
        test_dates: test_dates.len(),
        train: report,
        models,
        predictions: GrowthPredictions {
            influencer_id: test.creator.iter().map(|&i| ds.influencers.id[i as usize].clone()).collect(),
            as_of: test.as_of.iter().map(|&d| format_date(d)).collect(),
            kolrec: prob,
            momentum: mom_prob,
            tier_prior: tier_prob,
            grew: y,
        },
    })
}

impl std::fmt::Display for GrowthEval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let k = &self.models["kolrec"];
        writeln!(
            f,
            "growth: trained on labels ending by {} (embargo {} days), tested on {} as-of dates {} … {}: {} rows, {} strong growers ({:.1}%); chosen model: {}",
            self.train_labels_until,
            self.embargo_days,
            self.test_dates,
            self.test_from,
            self.test_until,
            k.rows,
            k.positives,
            100.0 * k.positives as f64 / k.rows.max(1) as f64,
            self.train.chosen
        )?;
        writeln!(
            f,
            "  {:<12} {:>8} {:>8} {:>8} {:>9} {:>8} {:>9} {:>8}",
            "model", "ROC-AUC", "PR-AUC", "Brier", "prec@1%", "lift@1%", "prec@10%", "lift@10%"
        )?;
        for (name, m) in &self.models {
            writeln!(
                f,
                "  {name:<12} {:>8.3} {:>8.3} {:>8.4} {:>9.3} {:>8.1} {:>9.3} {:>8.1}",
                m.roc_auc,
                m.pr_auc,
                m.brier,
                m.precision_top_1pct,
                m.lift_top_1pct,
                m.precision_top_10pct,
                m.lift_top_10pct
            )?;
        }
        write!(f, "  calibration (kolrec): ")?;
        let bins: Vec<String> = k
            .calibration
            .iter()
            .map(|b| {
                format!(
                    "{:.1}–{:.1}: predicted {:.3}, observed {:.3} (n={})",
                    b.from, b.to, b.mean_predicted, b.observed, b.rows
                )
            })
            .collect();
        writeln!(f, "{}", bins.join("; "))
    }
}
