//! Metrics shared by every evaluation: ranking metrics of one list (binary and graded relevance),
//! recall of an approximate top-k, and percentile-bootstrap intervals; `binary` holds those of a
//! probability. A leaf: models and evaluation import it, it imports nothing of kolrec.

pub mod binary;

use std::collections::HashSet;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Indices of the `k` best allowed scores, best first (ties: lower index first).
pub fn top_k(scores: &[f32], allowed: impl Fn(usize) -> bool, k: usize) -> Vec<usize> {
    let mut cand: Vec<usize> = (0..scores.len()).filter(|&i| allowed(i)).collect();
    let by = |a: &usize, b: &usize| scores[*b].total_cmp(&scores[*a]).then(a.cmp(b));
    if cand.len() > k {
        cand.select_nth_unstable_by(k, by);
        cand.truncate(k);
    }
    cand.sort_by(by);
    cand
}

/// Binary-relevance ranking metrics of one list (the definitions of `../shared/bench/peers.py`):
/// recall = hits/|rel|, NDCG with the ideal over min(|rel|, k) hits, MAP@k = Σ P@i·rel_i / min(|rel|, k).
pub fn ranking_metrics(top: &[usize], relevant: &HashSet<usize>, k: usize) -> (f64, f64, f64) {
    let cap = relevant.len().min(k);
    if cap == 0 {
        return (0.0, 0.0, 0.0);
    }
    let (mut hits, mut dcg, mut ap) = (0.0, 0.0, 0.0);
    for (pos, i) in top.iter().take(k).enumerate() {
        if relevant.contains(i) {
            hits += 1.0;
            dcg += 1.0 / ((pos + 2) as f64).log2();
            ap += hits / (pos + 1) as f64;
        }
    }
    let idcg: f64 = (0..cap).map(|p| 1.0 / ((p + 2) as f64).log2()).sum();
    (hits / relevant.len() as f64, dcg / idcg, ap / cap as f64)
}

/// NDCG@k against graded relevance `gain` (the true value of each creator).
pub fn graded_ndcg(top: &[usize], gain: &[f64], candidates: &[usize], k: usize) -> f64 {
    // `+ 0.0`: an empty float sum is −0.0, and an empty list should score 0.
    let dcg: f64 = top.iter().take(k).enumerate().map(|(p, &i)| gain[i] / ((p + 2) as f64).log2()).sum::<f64>() + 0.0;
    let mut best: Vec<f64> = candidates.iter().map(|&i| gain[i]).collect();
    let kk = k.min(best.len());
    if kk == 0 {
        return 0.0;
    }
    best.select_nth_unstable_by(kk - 1, |a, b| b.total_cmp(a));
    best.truncate(kk);
    best.sort_by(|a, b| b.total_cmp(a));
    let idcg: f64 = best.iter().enumerate().map(|(p, g)| g / ((p + 2) as f64).log2()).sum();
    if idcg > 0.0 { dcg / idcg } else { 0.0 }
}

/// Mean and 95% percentile-bootstrap interval over brands.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct Estimate {
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
}

pub fn bootstrap(values: &[f64], reps: usize, seed: u64) -> Estimate {
    let n = values.len();
    if n == 0 {
        return Estimate { mean: f64::NAN, lo: f64::NAN, hi: f64::NAN };
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if reps == 0 || n == 1 {
        return Estimate { mean, lo: mean, hi: mean };
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut means: Vec<f64> =
        (0..reps).map(|_| (0..n).map(|_| values[rng.gen_range(0..n)]).sum::<f64>() / n as f64).collect();
    means.sort_by(f64::total_cmp);
    let at = |q: f64| means[((q * (reps - 1) as f64).round() as usize).min(reps - 1)];
    Estimate { mean, lo: at(0.025), hi: at(0.975) }
}

/// Mean over queries of |found ∩ exact| / |exact| (queries with nothing to find are skipped).
pub fn recall(found: &[Vec<u32>], exact: &[Vec<u32>]) -> f64 {
    let (mut sum, mut n) = (0.0, 0usize);
    for (a, e) in found.iter().zip(exact) {
        if e.is_empty() {
            continue;
        }
        sum += a.iter().filter(|h| e.contains(h)).count() as f64 / e.len() as f64;
        n += 1;
    }
    if n == 0 { f64::NAN } else { sum / n as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_match_hand_computed_values() {
        // Ranking [3, 1, 7, 2], relevant {1, 2, 9}; k = 3.
        let rel: HashSet<usize> = [1, 2, 9].into_iter().collect();
        let (recall, ndcg, map) = ranking_metrics(&[3, 1, 7, 2], &rel, 3);
        // One hit (item 1 at position 2) in the top 3.
        assert!((recall - 1.0 / 3.0).abs() < 1e-12);
        let idcg = 1.0 + 1.0 / 3f64.log2() + 0.5;
        assert!((ndcg - (1.0 / 3f64.log2()) / idcg).abs() < 1e-12);
        // P@2 = 1/2 at the only hit; divided by min(|rel|, k) = 3.
        assert!((map - 0.5 / 3.0).abs() < 1e-12);
        // k = 4 adds the hit on item 2 at position 4.
        let (r4, _, m4) = ranking_metrics(&[3, 1, 7, 2], &rel, 4);
        assert!((r4 - 2.0 / 3.0).abs() < 1e-12);
        assert!((m4 - (0.5 + 0.5) / 3.0).abs() < 1e-12);
        assert_eq!(ranking_metrics(&[1, 2], &HashSet::new(), 2), (0.0, 0.0, 0.0));
    }

    #[test]
    fn graded_ndcg_is_one_for_the_ideal_order() {
        let gain = [0.1, 5.0, 2.0, 0.0];
        let cands = [0, 1, 2, 3];
        assert!((graded_ndcg(&[1, 2], &gain, &cands, 2) - 1.0).abs() < 1e-12);
        let empty = graded_ndcg(&[], &gain, &cands, 2);
        assert!(empty == 0.0 && empty.is_sign_positive(), "an empty list scores {empty}");
        let swapped = graded_ndcg(&[2, 1], &gain, &cands, 2);
        let want = (2.0 + 5.0 / 3f64.log2()) / (5.0 + 2.0 / 3f64.log2());
        assert!((swapped - want).abs() < 1e-12);
    }

    #[test]
    fn top_k_respects_filters_and_breaks_ties_by_index() {
        let s = [0.5, 0.9, 0.9, 0.1, 0.7];
        assert_eq!(top_k(&s, |_| true, 3), vec![1, 2, 4]);
        assert_eq!(top_k(&s, |i| i != 1, 2), vec![2, 4]);
        assert_eq!(top_k(&s, |i| i == 3, 5), vec![3]);
    }

    #[test]
    fn bootstrap_interval_brackets_the_mean_and_is_seeded() {
        let v: Vec<f64> = (0..200).map(|i| (i % 10) as f64).collect();
        let e = bootstrap(&v, 500, 1);
        assert!((e.mean - 4.5).abs() < 1e-12 && e.lo < e.mean && e.mean < e.hi);
        assert!(e.hi - e.lo < 1.0);
        assert_eq!(e, bootstrap(&v, 500, 1));
    }

    #[test]
    fn recall_counts_the_found_share_and_skips_empty_queries() {
        let found = vec![vec![1, 2, 3], vec![9], vec![]];
        let exact = vec![vec![1, 2, 4, 5], vec![], vec![7]];
        // (2/4 + 0/1) / 2: the query with nothing to find is skipped.
        assert!((recall(&found, &exact) - 0.25).abs() < 1e-12);
        assert!(recall(&[], &[]).is_nan());
    }
}
