//! Outcome-graded evaluation, for data without ground truth: for each test brand, the pairs it
//! actually tried in the test period, ordered by a recommender's score and graded by the value
//! each pair realised per unit cost (clicks, impressions or revenue per unit cost, as the
//! objective says). NDCG over the tried pairs, and the pairwise AUC — the share of pairs of
//! tried creators whose realised order the scores get right — with bootstrap intervals over
//! brands. Unlike held-out picks, it asks which of the creators a brand tried did best, which a
//! recommender learned from outcomes should know and one imitating the picks need not.

use std::collections::BTreeMap;

use serde::Serialize;

use super::baselines::Ranker;
use crate::contract::Objective;
use crate::dataset::Campaigns;
use crate::metrics::{Estimate, bootstrap, graded_ndcg};

/// Per brand, the creators it tried in the test period with their realised value per unit cost.
pub struct Tried {
    pub per_brand: Vec<Vec<(usize, f64)>>,
}

/// The value per unit cost that `objective` counts, summed over a pair's rows: `None` when no
/// row measures it.
fn events(c: &Campaigns, r: usize, objective: Objective) -> Option<f64> {
    let v = match objective {
        Objective::Reach => c.impressions[r],
        Objective::Engagement => c.clicks[r],
        Objective::Conversion if c.revenue[r].is_finite() => c.revenue[r],
        Objective::Conversion => c.conversions[r],
    };
    v.is_finite().then_some(v)
}

impl Tried {
    /// The test rows' pairs, each pair's events and cost summed over its rows that measure the
    /// objective.
    pub fn of(c: &Campaigns, test: &[usize], brands: usize, objective: Objective) -> Tried {
        let mut sums: BTreeMap<(u32, u32), (f64, f64)> = BTreeMap::new();
        for &r in test {
            if let Some(e) = events(c, r, objective) {
                let s = sums.entry((c.brand[r], c.influencer[r])).or_default();
                s.0 += e;
                s.1 += c.cost[r];
            }
        }
        let mut per_brand = vec![Vec::new(); brands];
        for ((b, i), (e, cost)) in sums {
            if cost > 0.0 {
                per_brand[b as usize].push((i as usize, e / cost));
            }
        }
        Tried { per_brand }
    }
}

/// One recommender's outcome-graded figures on one segment.
#[derive(Clone, Debug, Serialize)]
pub struct Graded {
    /// NDCG of the tried pairs ordered by score, graded by realised value per unit cost.
    pub ndcg: Estimate,
    /// Share of pairs of tried creators (with different realised values) in the right order.
    pub pairwise_auc: Estimate,
}

/// A segment: the brands with at least two tried pairs of different value, and every model.
#[derive(Clone, Debug, Serialize)]
pub struct GradedSegment {
    pub brands: usize,
    pub pairs: usize,
    pub models: BTreeMap<String, Graded>,
}

/// NDCG and pairwise AUC of one brand's tried pairs under `scores`; `None` when every tried pair
/// realised the same value (nothing to order).
pub fn graded(values: &[f64], scores: &[f32]) -> Option<(f64, f64)> {
    let n = values.len();
    let (mut right, mut total) = (0.0, 0.0);
    for a in 0..n {
        for b in a + 1..n {
            if values[a] == values[b] {
                continue;
            }
            total += 1.0;
            let (hi, lo) = if values[a] > values[b] { (a, b) } else { (b, a) };
            right += match scores[hi].total_cmp(&scores[lo]) {
                std::cmp::Ordering::Greater => 1.0,
                std::cmp::Ordering::Equal => 0.5,
                std::cmp::Ordering::Less => 0.0,
            };
        }
    }
    if total == 0.0 {
        return None;
    }
    // Best score first; ties in the order given (the realised values cannot break them).
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let ndcg = graded_ndcg(&order, values, &(0..n).collect::<Vec<_>>(), n);
    Some((ndcg, right / total))
}

/// Every model on the brands `brands`, each brand's tried pairs restricted to `keep`.
pub fn segment(
    tried: &Tried,
    brands: &[usize],
    keep: impl Fn(usize) -> bool,
    rankers: &[&dyn Ranker],
    reps: usize,
    seed: u64,
) -> GradedSegment {
    let lists: Vec<(usize, Vec<(usize, f64)>)> = brands
        .iter()
        .map(|&b| (b, tried.per_brand[b].iter().copied().filter(|&(i, _)| keep(i)).collect::<Vec<_>>()))
        .filter(|(_, l)| l.len() >= 2 && l.iter().any(|p| p.1 != l[0].1))
        .collect();
    let mut models = BTreeMap::new();
    for r in rankers {
        let (mut nd, mut auc) = (Vec::new(), Vec::new());
        for (b, list) in &lists {
            let creators: Vec<usize> = list.iter().map(|p| p.0).collect();
            let values: Vec<f64> = list.iter().map(|p| p.1).collect();
            let scores = r.score_pairs(*b, &creators);
            if let Some((n, a)) = graded(&values, &scores) {
                nd.push(n);
                auc.push(a);
            }
        }
        models.insert(
            r.name().to_string(),
            Graded { ndcg: bootstrap(&nd, reps, seed), pairwise_auc: bootstrap(&auc, reps, seed ^ 1) },
        );
    }
    GradedSegment { brands: lists.len(), pairs: lists.iter().map(|l| l.1.len()).sum(), models }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graded_metrics_match_hand_computed_values() {
        // Values 3, 1, 2 scored 0.9, 0.1, 0.5: the scores order every pair as the values do.
        let v = [3.0, 1.0, 2.0];
        let (ndcg, auc) = graded(&v, &[0.9, 0.1, 0.5]).unwrap();
        assert!((ndcg - 1.0).abs() < 1e-12 && (auc - 1.0).abs() < 1e-12);
        // Reversed scores: every pair wrong; DCG = 1 + 2/log2 3 + 3/2 over IDCG = 3 + 2/log2 3 + 1/2.
        let (ndcg, auc) = graded(&v, &[0.1, 0.9, 0.5]).unwrap();
        let want = (1.0 + 2.0 / 3f64.log2() + 1.5) / (3.0 + 2.0 / 3f64.log2() + 0.5);
        assert!((ndcg - want).abs() < 1e-12, "{ndcg} vs {want}");
        assert_eq!(auc, 0.0);
        // Equal scores count half; pairs of equal value are not counted.
        let (_, auc) = graded(&[2.0, 1.0, 1.0], &[0.3, 0.3, 0.9]).unwrap();
        assert!((auc - 0.25).abs() < 1e-12, "{auc}");
        assert!(graded(&[1.0, 1.0], &[0.2, 0.1]).is_none());
    }

    #[test]
    fn tried_pairs_sum_events_over_cost_per_pair() {
        let nan = f64::NAN;
        let c = Campaigns {
            brand: vec![0, 0, 0, 1],
            influencer: vec![5, 5, 6, 5],
            date: vec![0; 4],
            cost: vec![10.0, 30.0, 10.0, 5.0],
            impressions: vec![1000.0, 3000.0, 500.0, 100.0],
            campaign_id: vec![String::new(); 4],
            objective: vec![None; 4],
            clicks: vec![4.0, 4.0, nan, 1.0],
            engagements: vec![nan; 4],
            conversions: vec![nan; 4],
            revenue: vec![nan; 4],
        };
        let t = Tried::of(&c, &[0, 1, 2, 3], 2, Objective::Engagement);
        // Brand 0: creator 5 with 8 clicks over 40; creator 6 measured no clicks.
        assert_eq!(t.per_brand[0], vec![(5, 0.2)]);
        assert_eq!(t.per_brand[1], vec![(5, 0.2)]);
        let t = Tried::of(&c, &[0, 1, 2], 2, Objective::Reach);
        assert_eq!(t.per_brand[0], vec![(5, 100.0), (6, 50.0)]);
    }
}
