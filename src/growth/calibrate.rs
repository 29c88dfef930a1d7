//! Isotonic regression (pool adjacent violators): the monotone map from a model's raw score to
//! the observed frequency of strong growth (calibration), or to the mean realised growth
//! (expected growth), fitted on held-out rows so that a calibrated 0.3 means about 30%.

use serde::{Deserialize, Serialize};

/// A non-decreasing map fitted by pooling adjacent violators into blocks; it is applied as the
/// piecewise-linear curve through each block's (mean score, mean value), flat beyond the ends.
/// Interpolating instead of stepping (as scikit-learn does) gives nearby scores nearby
/// probabilities: on the sample's growth benchmark it lowered the test Brier score.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Isotonic {
    /// Mean score of each block, ascending.
    pub centre: Vec<f32>,
    pub value: Vec<f32>,
}

impl Isotonic {
    /// Fit `y ≈ f(score)` with `f` non-decreasing, minimising the squared error.
    pub fn fit(score: &[f32], y: &[f32]) -> Isotonic {
        let mut order: Vec<usize> = (0..score.len()).filter(|&k| score[k].is_finite() && y[k].is_finite()).collect();
        order.sort_by(|&a, &b| score[a].total_cmp(&score[b]));
        // Blocks of (sum of y, count, sum of scores).
        let mut blocks: Vec<(f64, f64, f64)> = Vec::new();
        let mut k = 0;
        while k < order.len() {
            // Equal scores form one block: the map must be a function of the score.
            let s0 = score[order[k]];
            let (mut sum, mut count) = (0.0f64, 0.0f64);
            while k < order.len() && score[order[k]] == s0 {
                sum += f64::from(y[order[k]]);
                count += 1.0;
                k += 1;
            }
            let mut b = (sum, count, f64::from(s0) * count);
            while let Some(last) = blocks.last() {
                if last.0 / last.1 >= b.0 / b.1 {
                    b = (last.0 + b.0, last.1 + b.1, last.2 + b.2);
                    blocks.pop();
                } else {
                    break;
                }
            }
            blocks.push(b);
        }
        Isotonic {
            centre: blocks.iter().map(|b| (b.2 / b.1) as f32).collect(),
            value: blocks.iter().map(|b| (b.0 / b.1) as f32).collect(),
        }
    }

    pub fn apply(&self, score: f32) -> f32 {
        let n = self.value.len();
        if n == 0 {
            return f32::NAN;
        }
        let k = self.centre.partition_point(|&c| c < score);
        if k == 0 {
            return self.value[0];
        }
        if k == n {
            return self.value[n - 1];
        }
        let (c0, c1) = (self.centre[k - 1], self.centre[k]);
        let t = if c1 > c0 { (score - c0) / (c1 - c0) } else { 1.0 };
        self.value[k - 1] + t * (self.value[k] - self.value[k - 1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_violators_into_their_mean() {
        let iso = Isotonic::fit(&[1.0, 2.0, 3.0, 4.0], &[0.0, 1.0, 0.0, 1.0]);
        // 2 and 3 violate the order and are pooled to 0.5 at their mean score 2.5; between
        // block centres the map is linear, beyond the ends flat.
        assert_eq!(iso.value, vec![0.0, 0.5, 1.0]);
        assert_eq!(iso.centre, vec![1.0, 2.5, 4.0]);
        assert_eq!(
            (iso.apply(0.5), iso.apply(1.75), iso.apply(2.5), iso.apply(3.25), iso.apply(9.0)),
            (0.0, 0.25, 0.5, 0.75, 1.0)
        );
    }

    #[test]
    fn the_fit_is_monotone_and_recovers_a_planted_calibration() {
        // Scores s with true probability s²: the fitted map should be close to it.
        let mut seed = 1u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as f32 / (1u64 << 31) as f32
        };
        let (mut s, mut y) = (Vec::new(), Vec::new());
        for _ in 0..20_000 {
            let x = next();
            s.push(x);
            y.push(if next() < x * x { 1.0 } else { 0.0 });
        }
        let iso = Isotonic::fit(&s, &y);
        assert!(iso.value.windows(2).all(|w| w[0] <= w[1]));
        for x in [0.2f32, 0.5, 0.8] {
            assert!((iso.apply(x) - x * x).abs() < 0.06, "f({x}) = {}", iso.apply(x));
        }
    }
}
