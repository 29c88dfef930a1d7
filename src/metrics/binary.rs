//! Metrics of a probability for a binary label (the growth model and its baselines): ROC-AUC,
//! PR-AUC (average precision), Brier score, log loss, a calibration table, and precision and lift
//! among the top-scored share.

use serde::Serialize;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BinaryReport {
    pub rows: usize,
    pub positives: usize,
    pub roc_auc: f64,
    pub pr_auc: f64,
    pub brier: f64,
    pub log_loss: f64,
    pub precision_top_1pct: f64,
    pub lift_top_1pct: f64,
    pub precision_top_10pct: f64,
    pub lift_top_10pct: f64,
    pub calibration: Vec<CalibrationBin>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CalibrationBin {
    pub from: f64,
    pub to: f64,
    pub rows: usize,
    pub mean_predicted: f64,
    pub observed: f64,
}

/// Indices by descending score (ties by index, so results never depend on the sort).
fn by_score(p: &[f32]) -> Vec<usize> {
    let mut o: Vec<usize> = (0..p.len()).collect();
    o.sort_by(|&a, &b| p[b].total_cmp(&p[a]).then(a.cmp(&b)));
    o
}

/// Area under the ROC curve, ties counted as half (the Mann–Whitney statistic).
pub fn roc_auc(p: &[f32], y: &[bool]) -> f64 {
    let mut o: Vec<usize> = (0..p.len()).collect();
    o.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let (mut rank_sum, mut k) = (0.0f64, 0usize);
    while k < o.len() {
        let mut j = k;
        while j < o.len() && p[o[j]] == p[o[k]] {
            j += 1;
        }
        // Ranks k+1 ..= j share their mean.
        let mean_rank = (k + 1 + j) as f64 / 2.0;
        rank_sum += mean_rank * o[k..j].iter().filter(|&&i| y[i]).count() as f64;
        k = j;
    }
    let pos = y.iter().filter(|&&v| v).count() as f64;
    let neg = y.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return f64::NAN;
    }
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

/// Average precision: the mean of precision at each positive, by descending score.
pub fn pr_auc(p: &[f32], y: &[bool]) -> f64 {
    let (mut hits, mut sum) = (0.0, 0.0);
    for (rank, &i) in by_score(p).iter().enumerate() {
        if y[i] {
            hits += 1.0;
            sum += hits / (rank + 1) as f64;
        }
    }
    if hits == 0.0 { f64::NAN } else { sum / hits }
}

pub fn brier(p: &[f32], y: &[bool]) -> f64 {
    p.iter().zip(y).map(|(&p, &y)| (f64::from(p) - if y { 1.0 } else { 0.0 }).powi(2)).sum::<f64>()
        / p.len().max(1) as f64
}

pub fn log_loss(p: &[f32], y: &[bool]) -> f64 {
    let eps = 1e-6;
    p.iter()
        .zip(y)
        .map(|(&p, &y)| {
            let p = f64::from(p).clamp(eps, 1.0 - eps);
            -if y { p.ln() } else { (1.0 - p).ln() }
        })
        .sum::<f64>()
        / p.len().max(1) as f64
}

/// Precision among the top `share` of rows by score (at least one row).
pub fn precision_at(p: &[f32], y: &[bool], share: f64) -> f64 {
    let n = ((p.len() as f64 * share).round() as usize).max(1).min(p.len());
    by_score(p).iter().take(n).filter(|&&i| y[i]).count() as f64 / n as f64
}

/// Ten equal-width bins of predicted probability.
pub fn calibration(p: &[f32], y: &[bool]) -> Vec<CalibrationBin> {
    (0..10)
        .filter_map(|b| {
            let (lo, hi) = (b as f64 / 10.0, (b + 1) as f64 / 10.0);
            let rows: Vec<usize> = (0..p.len())
                .filter(|&i| {
                    let v = f64::from(p[i]);
                    v >= lo && (v < hi || (b == 9 && v <= 1.0))
                })
                .collect();
            (!rows.is_empty()).then(|| CalibrationBin {
                from: lo,
                to: hi,
                rows: rows.len(),
                mean_predicted: rows.iter().map(|&i| f64::from(p[i])).sum::<f64>() / rows.len() as f64,
                observed: rows.iter().filter(|&&i| y[i]).count() as f64 / rows.len() as f64,
            })
        })
        .collect()
}

pub fn report(p: &[f32], y: &[bool]) -> BinaryReport {
    let base = y.iter().filter(|&&v| v).count() as f64 / y.len().max(1) as f64;
    let (p1, p10) = (precision_at(p, y, 0.01), precision_at(p, y, 0.10));
    BinaryReport {
        rows: p.len(),
        positives: y.iter().filter(|&&v| v).count(),
        roc_auc: roc_auc(p, y),
        pr_auc: pr_auc(p, y),
        brier: brier(p, y),
        log_loss: log_loss(p, y),
        precision_top_1pct: p1,
        lift_top_1pct: p1 / base,
        precision_top_10pct: p10,
        lift_top_10pct: p10 / base,
        calibration: calibration(p, y),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_match_hand_computed_values() {
        let p = [0.95, 0.8, 0.7, 0.6, 0.2];
        let y = [true, false, true, false, false];
        // Positive–negative pairs ordered correctly: (0.95 > 0.8, 0.6, 0.2) + (0.7 > 0.6, 0.2) = 5 of 6.
        assert!((roc_auc(&p, &y) - 5.0 / 6.0).abs() < 1e-12);
        // Precision at the positives: 1/1 and 2/3.
        assert!((pr_auc(&p, &y) - (1.0 + 2.0 / 3.0) / 2.0).abs() < 1e-12);
        let brier_hand = (0.0025 + 0.64 + 0.09 + 0.36 + 0.04) / 5.0;
        assert!((brier(&p, &y) - brier_hand).abs() < 1e-6);
        assert_eq!(precision_at(&p, &y, 0.4), 0.5);
        // Ties count half: one positive and one negative with the same score.
        assert_eq!(roc_auc(&[0.5, 0.5], &[true, false]), 0.5);
        assert!(roc_auc(&[0.5, 0.4], &[true, true]).is_nan());
        let cal = calibration(&p, &y);
        assert_eq!(cal.iter().map(|b| b.rows).sum::<usize>(), 5);
        assert_eq!(cal.last().unwrap().observed, 1.0);
    }
}
