//! The growth classifier: a standardising encoder, an L2 logistic regression (linfa) and bagged
//! trees (`forest`), and the blend of the two that cross-fitting chose.

use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::rows::{Q, Rows};
use super::{GrowthError, GrowthParams, forest};
use crate::tier::Tier;

/// Standardisation (with a missing flag per numeric feature), tier and platform one-hots.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Encoder {
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
    pub platforms: Vec<String>,
}

impl Encoder {
    pub fn fit(rows: &Rows, platforms: Vec<String>) -> Encoder {
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

    pub fn matrix(&self, rows: &Rows, platform_names: &[String]) -> Array2<f64> {
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
    pub fn predict(&self, x: &Array2<f64>) -> Vec<f32> {
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

pub fn blend(logistic: &[f32], forest: &[f32], w: f32) -> Vec<f32> {
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
    pub fn raw(&self, x: &Array2<f64>) -> Vec<f32> {
        let zeros = || vec![0.0; x.nrows()];
        let l = self.logistic.as_ref().map_or_else(zeros, |m| m.predict(x));
        let f = if self.forest.is_empty() { zeros() } else { forest::predict(&self.forest, x) };
        blend(&l, &f, self.forest_weight)
    }
}

pub fn fit_logistic(x: &Array2<f64>, y: &[bool], l2: f64) -> Result<Logistic, GrowthError> {
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

pub fn fit_forest(x: &Array2<f64>, y: &[bool], p: &GrowthParams) -> Result<Vec<forest::Tree>, GrowthError> {
    forest::fit(x, y, p.trees, p.max_depth, p.seed)
        .map_err(|reason| GrowthError::Fit { model: "decision tree", reason })
}
