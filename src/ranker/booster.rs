//! The gradient-boosted trees behind the ranker: `forust-ml` (pure Rust, builds on stable,
//! weighted squared loss, early stopping on a validation set, per-row feature contributions),
//! kept behind this file so the rest of the ranker speaks of feature rows, not of the crate.
//!
//! forust's `Matrix` is column-major over `f64`; a row of `f32` features becomes one column
//! entry per feature. `NaN` is forust's default missing value, which is what unknown features
//! are. Its serde form has custom deserializers bincode cannot drive, so the booster is kept
//! as forust's own JSON inside kolrec's checksummed envelope.

use forust_ml::constraints::{Constraint, ConstraintMap};
use forust_ml::gradientbooster::ContributionsMethod;
use forust_ml::metric::Metric;
use forust_ml::objective::ObjectiveType;
use forust_ml::sampler::SampleMethod;
use forust_ml::{GradientBooster, Matrix};

use super::RankerParams;
use super::features::{N, at};

/// Column-major copy of feature rows.
fn columns(rows: &[[f32; N]]) -> Vec<f64> {
    let n = rows.len();
    let mut out = vec![0.0f64; n * N];
    for (r, row) in rows.iter().enumerate() {
        for (j, &x) in row.iter().enumerate() {
            out[j * n + r] = f64::from(x);
        }
    }
    out
}

pub struct Booster(GradientBooster);

/// Rows from which prediction runs in parallel (each row's result is the same either way).
const LONG_LIST: usize = 4096;

/// The score never falls as stage 1's score or the creator's impressions per unit cost rise, all
/// else equal: value per cost is rate × impressions per cost, and the trees correct the inner
/// product without turning its order around (with `monotone: false`, unconstrained).
pub fn monotone(params: &RankerParams) -> Option<ConstraintMap> {
    params
        .monotone
        .then(|| ConstraintMap::from([(at::RETRIEVAL, Constraint::Positive), (at::COST, Constraint::Positive)]))
}

/// What the fit measured.
pub struct Fit {
    pub booster: Booster,
    /// Weighted RMSE on the training rows after each tree.
    pub train_loss: Vec<f64>,
    /// The same on the validation rows (early stopping watches it).
    pub valid_loss: Vec<f64>,
    pub trees: usize,
}

impl Booster {
    /// Fit on `train` rows and stop when the weighted RMSE on `valid` has not improved for the
    /// params' patience.
    pub fn fit(
        params: &RankerParams,
        train: (&[[f32; N]], &[f32], &[f32]),
        valid: (&[[f32; N]], &[f32], &[f32]),
    ) -> Result<Fit, String> {
        let f64s = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<f64>>();
        let (xt, yt, wt) = (columns(train.0), f64s(train.1), f64s(train.2));
        let (xv, yv, wv) = (columns(valid.0), f64s(valid.1), f64s(valid.2));
        let mt = Matrix::new(&xt, train.0.len(), N);
        let mv = Matrix::new(&xv, valid.0.len(), N);
        // Depth-wise growth with a leaf cap, as LightGBM's `num_leaves` under a depth limit.
        let b = GradientBooster::default()
            .set_objective_type(ObjectiveType::SquaredLoss)
            .set_iterations(params.max_trees)
            .set_learning_rate(params.learning_rate)
            .set_max_depth(params.max_depth)
            .set_max_leaves(params.max_leaves)
            .set_min_leaf_weight(params.min_leaf_weight)
            .set_l2(params.l2)
            .set_subsample(params.subsample)
            .set_colsample_bytree(f64::from(params.colsample))
            .set_seed(params.seed)
            .set_sample_method(if params.subsample < 1.0 { SampleMethod::Random } else { SampleMethod::None })
            .set_initialize_base_score(true)
            .set_evaluation_metric(Some(Metric::RootMeanSquaredError))
            .set_early_stopping_rounds(Some(params.patience))
            .set_monotone_constraints(monotone(params))
            // One thread: forust's parallel sums follow rayon's adaptive splits, so the same rows
            // could grow different trees run to run; a nightly retrain must be repeatable.
            .set_parallel(false);
        let evals = vec![(Matrix::new(&xt, train.0.len(), N), yt.as_slice(), wt.as_slice()), (mv, &yv[..], &wv[..])];
        let mut b = b;
        b.fit(&mt, &yt, &wt, Some(evals)).map_err(|e| e.to_string())?;
        let (mut train_loss, mut valid_loss) = (Vec::new(), Vec::new());
        if let Some(h) = &b.evaluation_history {
            for r in 0..h.rows {
                train_loss.push(h.data[r * h.cols]);
                valid_loss.push(h.data[r * h.cols + 1]);
            }
        }
        // Early stopping has set the prediction trees to the best iteration's.
        let trees = b.best_iteration.map_or(b.trees.len(), |i| i + 1);
        Ok(Fit { booster: Booster(b), train_loss, valid_loss, trees })
    }

    /// Scores of `rows`: single-threaded for a query's few candidates (queries run in parallel
    /// already), in parallel for a long list.
    pub fn predict(&self, rows: &[[f32; N]]) -> Vec<f32> {
        if rows.is_empty() {
            return Vec::new();
        }
        let x = columns(rows);
        let parallel = rows.len() > LONG_LIST;
        self.0.predict(&Matrix::new(&x, rows.len(), N), parallel).into_iter().map(|p| p as f32).collect()
    }

    /// Each feature's contribution to each row's score (Saabas: the change of the expected value
    /// along the row's path in every tree), `N + 1` per row with the bias last; in parallel for
    /// a long list.
    pub fn contributions(&self, rows: &[[f32; N]]) -> Vec<Vec<f32>> {
        if rows.is_empty() {
            return Vec::new();
        }
        let x = columns(rows);
        let flat = self.0.predict_contributions(
            &Matrix::new(&x, rows.len(), N),
            ContributionsMethod::Weight,
            rows.len() > 256,
        );
        flat.chunks_exact(N + 1).map(|c| c.iter().map(|&v| v as f32).collect()).collect()
    }

    /// Weighted RMSE of the booster on rows with targets `y` and weights `w`.
    pub fn rmse(&self, rows: &[[f32; N]], y: &[f32], w: &[f32]) -> f64 {
        let p = self.predict(rows);
        let (mut se, mut sw) = (0.0f64, 0.0f64);
        for ((p, y), w) in p.iter().zip(y).zip(w) {
            se += f64::from(*w) * f64::from(p - y).powi(2);
            sw += f64::from(*w);
        }
        (se / sw.max(f64::MIN_POSITIVE)).sqrt()
    }

    pub fn to_json(&self) -> Result<String, String> {
        self.0.json_dump().map_err(|e| e.to_string())
    }

    pub fn from_json(s: &str) -> Result<Booster, String> {
        GradientBooster::from_json(s).map(Booster).map_err(|e| e.to_string())
    }
}
