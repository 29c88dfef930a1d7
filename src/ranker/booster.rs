//! The gradient-boosted trees behind the ranker: `forust-ml` (pure Rust, builds on stable,
//! weighted squared loss, early stopping on a validation set, per-row feature contributions),
//! kept behind this file so the rest of the ranker speaks of feature rows, not of the crate.
//!
//! forust's `Matrix` is column-major over `f64`; a row of `f32` features becomes one column
//! entry per feature. `NaN` is forust's default missing value, which is what unknown features
//! are. Its serde form has custom deserializers bincode cannot drive, so the booster is kept
//! as forust's own JSON inside kolrec's checksummed envelope.

use forust_ml::constraints::{Constraint, ConstraintMap};
use forust_ml::metric::Metric;
use forust_ml::objective::ObjectiveType;
use forust_ml::sampler::SampleMethod;
use forust_ml::{GradientBooster, Matrix};

use rayon::prelude::*;

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

pub struct Booster {
    gb: GradientBooster,
    flat: Flat,
}

/// The kept trees packed into one array for prediction and contributions: forust's generic walk
/// over a column-major matrix took about 35 ns per row and tree at full scale, most of a query's
/// time. Leaf values are summed in forust's order from its base score, so
/// the scores are bit-identical to `GradientBooster::predict`, and the contributions to its
/// `ContributionsMethod::Weight` (tested).
struct Flat {
    nodes: Vec<FlatNode>,
    roots: Vec<u32>,
    /// Each tree's depth (edges on its longest path).
    depths: Vec<u8>,
    base: f64,
}

/// Rows walked through one tree together: their independent walks overlap in the CPU where one
/// walk's compare-then-load chain would stall it (measured at full scale in benches/README.md).
const INTERLEAVE: usize = 8;

#[derive(Clone, Copy)]
struct FlatNode {
    split: f64,
    value: f32,
    feature: u16,
    leaf: bool,
    left: u32,
    right: u32,
    missing: u32,
}

impl FlatNode {
    /// The child a row goes to: the missing branch for an unknown value (forust's `NaN`), else
    /// left below the split.
    /// A leaf's children are the leaf itself, so a walk may step past a leaf and stay there.
    fn child(&self, row: &[f32; N]) -> u32 {
        let v = f64::from(row[self.feature as usize]);
        // Two selects, not nested branches: the split's outcome is unpredictable.
        let side = if v < self.split { self.left } else { self.right };
        if v.is_nan() { self.missing } else { side }
    }
}

impl Flat {
    /// Pack the trees, refusing any a walk could not finish: a child that is not a later node
    /// of its tree (out of range, or a cycle) or a feature beyond the rows' width, as an edited
    /// `ranker.bin` behind a recomputed checksum could hold.
    fn of(gb: &GradientBooster) -> Result<Flat, String> {
        let kept = gb.prediction_iteration.unwrap_or(gb.trees.len()).min(gb.trees.len());
        for (t, tree) in gb.trees[..kept].iter().enumerate() {
            let len = tree.nodes.len();
            if len == 0 {
                return Err(format!("tree {t} has no nodes"));
            }
            for (k, n) in tree.nodes.iter().enumerate().filter(|(_, n)| !n.is_leaf) {
                if let Some(c) = [n.left_child, n.right_child, n.missing_node].into_iter().find(|&c| c <= k || c >= len)
                {
                    return Err(format!("tree {t}, node {k}: child {c} is not a later node of its {len}"));
                }
                if n.split_feature >= N {
                    return Err(format!("tree {t}, node {k}: feature {} of {N}", n.split_feature));
                }
            }
        }
        let mut f =
            Flat { nodes: Vec::new(), roots: Vec::with_capacity(kept), depths: Vec::new(), base: gb.base_score };
        for tree in &gb.trees[..kept] {
            let at = f.nodes.len() as u32;
            f.roots.push(at);
            f.nodes.extend(tree.nodes.iter().enumerate().map(|(k, n)| {
                let me = at + k as u32;
                if n.is_leaf {
                    FlatNode {
                        split: 0.0,
                        value: n.weight_value,
                        feature: 0,
                        leaf: true,
                        left: me,
                        right: me,
                        missing: me,
                    }
                } else {
                    FlatNode {
                        split: n.split_value,
                        value: n.weight_value,
                        feature: n.split_feature as u16,
                        leaf: false,
                        left: at + n.left_child as u32,
                        right: at + n.right_child as u32,
                        missing: at + n.missing_node as u32,
                    }
                }
            }));
            f.depths.push(f.depth(at));
        }
        Ok(f)
    }

    fn depth(&self, node: u32) -> u8 {
        let n = &self.nodes[node as usize];
        if n.leaf {
            return 0;
        }
        let d = [n.left, n.right, n.missing].iter().map(|&c| self.depth(c)).max().unwrap_or(0);
        d.saturating_add(1)
    }

    /// Saabas contributions, as forust's `ContributionsMethod::Weight` computes them (the same
    /// additions in the same order): per tree, the root's weight to the bias and each split's
    /// change of weight to its feature; the bias starts at the base score. `N + 1` per row.
    fn contributions(&self, rows: &[[f32; N]]) -> Vec<[f64; N + 1]> {
        let mut out = vec![[0.0f64; N + 1]; rows.len()];
        for c in &mut out {
            c[N] += self.base;
        }
        for &root in &self.roots {
            for (c, row) in out.iter_mut().zip(rows) {
                let mut n = &self.nodes[root as usize];
                c[N] += f64::from(n.value);
                while !n.leaf {
                    let child = &self.nodes[n.child(row) as usize];
                    c[n.feature as usize] += f64::from(child.value) - f64::from(n.value);
                    n = child;
                }
            }
        }
        out
    }

    /// Tree by tree over all rows, so each tree's nodes stay in cache while every row walks it;
    /// each row still adds its leaves in tree order.
    fn predict(&self, rows: &[[f32; N]]) -> Vec<f64> {
        let mut sums = vec![self.base; rows.len()];
        for (&root, &depth) in self.roots.iter().zip(&self.depths) {
            for (s, rows) in sums.chunks_mut(INTERLEAVE).zip(rows.chunks(INTERLEAVE)) {
                let mut at = [root; INTERLEAVE];
                // Every walk takes the tree's depth in steps; one that reached its leaf stays.
                for _ in 0..depth {
                    for (a, row) in at.iter_mut().zip(rows) {
                        *a = self.nodes[*a as usize].child(row);
                    }
                }
                for (s, a) in s.iter_mut().zip(at) {
                    *s += f64::from(self.nodes[a as usize].value);
                }
            }
        }
        sums
    }
}

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
        Ok(Fit { booster: Booster::new(b)?, train_loss, valid_loss, trees })
    }

    fn new(gb: GradientBooster) -> Result<Booster, String> {
        Ok(Booster { flat: Flat::of(&gb)?, gb })
    }

    /// Scores of `rows`: single-threaded for a query's few candidates (queries run in parallel
    /// already), in parallel for a long list.
    pub fn predict(&self, rows: &[[f32; N]]) -> Vec<f32> {
        if rows.len() > LONG_LIST {
            rows.par_chunks(LONG_LIST).flat_map_iter(|c| self.flat.predict(c)).map(|p| p as f32).collect()
        } else {
            self.flat.predict(rows).into_iter().map(|p| p as f32).collect()
        }
    }

    /// Each feature's contribution to each row's score (Saabas: the change of the expected value
    /// along the row's path in every tree), `N + 1` per row with the bias last; in parallel for
    /// a long list.
    pub fn contributions(&self, rows: &[[f32; N]]) -> Vec<Vec<f32>> {
        let f32s = |c: [f64; N + 1]| c.iter().map(|&v| v as f32).collect::<Vec<f32>>();
        if rows.len() > LONG_LIST {
            rows.par_chunks(LONG_LIST).flat_map_iter(|c| self.flat.contributions(c)).map(f32s).collect()
        } else {
            self.flat.contributions(rows).into_iter().map(f32s).collect()
        }
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
        self.gb.json_dump().map_err(|e| e.to_string())
    }

    pub fn from_json(s: &str) -> Result<Booster, String> {
        let gb = GradientBooster::from_json(s).map_err(|e| e.to_string())?;
        if !gb.missing.is_nan() {
            return Err(format!("the trees treat {} as missing; kolrec writes NaN", gb.missing));
        }
        Booster::new(gb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use forust_ml::gradientbooster::ContributionsMethod;
    use rand::{Rng, SeedableRng};

    #[test]
    fn packed_trees_score_exactly_as_forust_does_missing_values_included() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let row = |rng: &mut rand_chacha::ChaCha8Rng| -> [f32; N] {
            std::array::from_fn(|j| if rng.gen_bool(0.1) { f32::NAN } else { rng.r#gen::<f32>() * (j + 1) as f32 })
        };
        let x: Vec<[f32; N]> = (0..2000).map(|_| row(&mut rng)).collect();
        let known = |v: f32| if v.is_nan() { 0.5 } else { v };
        let y: Vec<f32> = x
            .iter()
            .map(|r| if r[3].is_nan() { 1.0 } else { (known(r[0]) * known(r[5])).sin() + known(r[9]) })
            .collect();
        let w = vec![1.0f32; x.len()];
        let p = RankerParams { max_trees: 60, min_leaf_weight: 1.0, ..Default::default() };
        let (t, v) = x.split_at(1600);
        let fit = Booster::fit(&p, (t, &y[..1600], &w[..1600]), (v, &y[1600..], &w[1600..])).unwrap();
        let b = Booster::from_json(&fit.booster.to_json().unwrap()).unwrap();
        let cols = columns(&x);
        let forust = b.gb.predict(&Matrix::new(&cols, x.len(), N), false);
        let ours = b.flat.predict(&x);
        assert!(fit.trees > 5 && b.flat.roots.len() == fit.trees, "{} trees, {} packed", fit.trees, b.flat.roots.len());
        assert_eq!(ours, forust, "packed trees differ from forust's own prediction");
        assert!(x.iter().any(|r| r.iter().any(|v| v.is_nan())));
        let theirs = b.gb.predict_contributions(&Matrix::new(&cols, x.len(), N), ContributionsMethod::Weight, false);
        let ours: Vec<f64> = b.flat.contributions(&x).iter().flatten().copied().collect();
        assert_eq!(ours, theirs, "packed contributions differ from forust's");
    }
}
