//! Outcome weighting: turns each campaign row into a signed target (how much better or worse than
//! the market the post did for the objective) and a confidence (how much evidence it carries), and
//! measures each creator's cost efficiency.
//!
//! A post's value per unit cost = (the objective's rate per impression) × (impressions per unit
//! cost). The embeddings learn the rate part — the brand–creator match:
//! `y = ln(rate / market rate)`, clipped to ±5, with the rate's events shrunk toward the market's
//! (`(clicks + 1) / (impressions + 1 / CTR₀)` for `engagement`; revenue per impression for
//! `conversion`, ROI when the row has revenue; 1 for `reach`). A post that did worse than the
//! market gets a negative target — evidence against the pair — not a smaller positive one. The
//! confidence is `c = 1 + alpha · n / (n + 10)`, with `n` the events behind the rate (clicks,
//! conversions, or thousands of impressions). Rows of one pair are merged: confidence-weighted mean
//! target, confidences' excess over 1 summed and capped at `3 · alpha`.
//!
//! The cost part is per creator ([`Efficiency`]): its quote's impressions per unit cost, corrected
//! by what its campaigns delivered. The whole-value target `ln(value / market value)` (rate and
//! cost together) defines which held-out pairs count as relevant in evaluation.

use serde::{Deserialize, Serialize};

use crate::contract::Objective;
use crate::dataset::Campaigns;

/// Prior strength of the shrinkage, in events.
const PRIOR_EVENTS: f64 = 1.0;
/// Events at which a row carries half of the maximum extra confidence.
const KAPPA: f64 = 10.0;
const CLIP: f64 = 5.0;

/// Market-wide rates measured on the training rows; stored in the model so that serving and
/// evaluation score outcomes on the same scale.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Market {
    pub objective: Objective,
    /// Clicks per impression.
    pub ctr: f64,
    /// Conversions per impression.
    pub conversions_per_impression: f64,
    pub revenue_per_conversion: f64,
    /// Value per unit cost (`v0`).
    pub value_per_cost: f64,
    /// Cost per 1,000 impressions.
    pub cpm: f64,
}

fn finite_pos(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

impl Market {
    pub fn measure(c: &Campaigns, rows: &[usize], objective: Objective) -> Market {
        let t = c.totals(rows.iter().copied());
        let mut m = Market {
            objective,
            ctr: (t.clicks / t.impressions_with_clicks).max(1e-6),
            conversions_per_impression: (t.conversions / t.impressions_with_conversions).max(1e-8),
            revenue_per_conversion: if t.conversions_with_revenue > 0.0 {
                t.revenue / t.conversions_with_revenue
            } else {
                1.0
            },
            value_per_cost: 1.0,
            cpm: t.cost / t.impressions.max(1.0) * 1000.0,
        };
        // v0: the market's total value over its total cost, on the rows that measure the value.
        let (mut value, mut spend) = (0.0, 0.0);
        for &r in rows {
            if let Some((v, _)) = m.raw_value(c, r) {
                value += v * c.cost[r];
                spend += c.cost[r];
            }
        }
        if spend > 0.0 && value > 0.0 {
            m.value_per_cost = value / spend;
        }
        m
    }

    /// Value per unit cost of one row, and the number of events behind it; `None` when the row
    /// does not measure this objective (no clicks for engagement, no sales for conversion).
    fn raw_value(&self, c: &Campaigns, r: usize) -> Option<(f64, f64)> {
        let (imp, cost) = (c.impressions[r], c.cost[r]);
        if !finite_pos(cost) || !imp.is_finite() {
            return None;
        }
        let shrunk = |events: f64, rate0: f64| (events + PRIOR_EVENTS) / (imp + PRIOR_EVENTS / rate0) * imp / cost;
        match self.objective {
            Objective::Reach => Some((imp / cost, imp / 1000.0)),
            Objective::Engagement => {
                let clicks = c.clicks[r];
                clicks.is_finite().then(|| (shrunk(clicks, self.ctr), clicks))
            }
            Objective::Conversion => {
                let conv = c.conversions[r];
                if !conv.is_finite() {
                    return None;
                }
                let per_cost = shrunk(conv, self.conversions_per_impression);
                let rev = c.revenue[r];
                let value = if rev.is_finite() && conv > 0.0 {
                    // Revenue per conversion of this row, with the shrunk conversion count.
                    per_cost * rev / conv
                } else {
                    per_cost * self.revenue_per_conversion
                };
                Some((value, conv))
            }
        }
    }

    /// The objective's value per impression of one row relative to the market's, as a log ratio,
    /// with its evidence count: clicks per impression (engagement), revenue per impression
    /// (conversion), 1 (reach). This is the part of the value that depends on the brand–creator
    /// match; the rest is the creator's cost efficiency (see [`Efficiency`]).
    fn rate(&self, c: &Campaigns, r: usize) -> Option<(f64, f64)> {
        let imp = c.impressions[r];
        if !finite_pos(c.cost[r]) || !imp.is_finite() {
            return None;
        }
        let shrunk = |events: f64, rate0: f64| (events + PRIOR_EVENTS) / (imp + PRIOR_EVENTS / rate0) / rate0;
        match self.objective {
            Objective::Reach => Some((1.0, imp / 1000.0)),
            Objective::Engagement => c.clicks[r].is_finite().then(|| (shrunk(c.clicks[r], self.ctr), c.clicks[r])),
            Objective::Conversion => {
                let conv = c.conversions[r];
                if !conv.is_finite() {
                    return None;
                }
                let rev = c.revenue[r];
                let per_conv = if rev.is_finite() && conv > 0.0 { rev / conv } else { self.revenue_per_conversion };
                Some((shrunk(conv, self.conversions_per_impression) * per_conv / self.revenue_per_conversion, conv))
            }
        }
    }

    /// Target and confidence of the match part of one row: `ln(rate / market rate)`.
    pub fn rate_target(&self, c: &Campaigns, r: usize, alpha: f64) -> Option<(f32, f32)> {
        let (v, n) = self.rate(c, r)?;
        let y = v.max(1e-12).ln().clamp(-CLIP, CLIP);
        Some((y as f32, (1.0 + alpha * n / (n + KAPPA)) as f32))
    }

    /// Signed target and confidence of one row (see the module docs).
    pub fn target(&self, c: &Campaigns, r: usize, alpha: f64) -> Option<(f32, f32)> {
        let (v, n) = self.raw_value(c, r)?;
        let y = (v.max(1e-12) / self.value_per_cost).ln().clamp(-CLIP, CLIP);
        let conf = 1.0 + alpha * n / (n + KAPPA);
        Some((y as f32, conf as f32))
    }
}

/// Each creator's cost efficiency: predicted `ln(impressions per unit cost / market's)`.
///
/// A creator's quote gives `avg_views / price_per_post`; campaigns show how many impressions a
/// post really delivered per unit paid. The offset is the quote's log efficiency plus the
/// market's typical delivery ratio, plus this creator's own delivery correction (the mean of its
/// rows' log ratio to the market's, shrunk toward 0 with the weight of `DELIVERY_PRIOR_ROWS`
/// rows). Creators without a quote fall back to their campaigns' efficiency, shrunk the same way,
/// or the market's.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Efficiency {
    /// Market log impressions per unit cost over training rows.
    pub ln_ipc0: f64,
    /// Mean over training rows of `ln(impressions / cost) − ln(avg_views / price)`.
    pub delivery: f64,
    /// Per creator, aligned with the dataset.
    pub offsets: Vec<f32>,
}

const DELIVERY_PRIOR_ROWS: f64 = 3.0;

fn ln_quote(avg_views: f64, price: f64) -> Option<f64> {
    (finite_pos(avg_views) && finite_pos(price)).then(|| (avg_views / price).ln())
}

impl Efficiency {
    pub fn measure(c: &Campaigns, rows: &[usize], inf: &crate::dataset::Influencers) -> Efficiency {
        let ok = |r: usize| finite_pos(c.cost[r]) && finite_pos(c.impressions[r]);
        let (mut imp, mut cost) = (0.0, 0.0);
        let (mut dsum, mut dn) = (0.0, 0.0);
        for &r in rows.iter().filter(|&&r| ok(r)) {
            imp += c.impressions[r];
            cost += c.cost[r];
            let i = c.influencer[r] as usize;
            if let Some(q) = ln_quote(inf.avg_views[i], inf.price_per_post[i]) {
                dsum += (c.impressions[r] / c.cost[r]).ln() - q;
                dn += 1.0;
            }
        }
        let ln_ipc0 = if cost > 0.0 && imp > 0.0 { (imp / cost).ln() } else { 0.0 };
        let delivery = if dn > 0.0 { dsum / dn } else { 0.0 };
        // Per creator: sum and count of log efficiency relative to its expectation.
        let mut sum = vec![0.0f64; inf.len()];
        let mut n = vec![0.0f64; inf.len()];
        for &r in rows.iter().filter(|&&r| ok(r)) {
            let i = c.influencer[r] as usize;
            let expected = ln_quote(inf.avg_views[i], inf.price_per_post[i]).map_or(ln_ipc0, |q| q + delivery);
            sum[i] += (c.impressions[r] / c.cost[r]).ln() - expected;
            n[i] += 1.0;
        }
        let mut e = Efficiency { ln_ipc0, delivery, offsets: Vec::new() };
        e.offsets = (0..inf.len())
            .map(|i| (e.quoted(inf.avg_views[i], inf.price_per_post[i]) + sum[i] / (n[i] + DELIVERY_PRIOR_ROWS)) as f32)
            .collect();
        e
    }

    /// Offset of a creator known only by its quote (0 = the market's efficiency).
    pub fn quoted(&self, avg_views: f64, price: f64) -> f64 {
        ln_quote(avg_views, price).map_or(0.0, |q| (q + self.delivery - self.ln_ipc0).clamp(-CLIP, CLIP))
    }
}

/// One brand–creator pair's merged evidence.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PairTarget {
    pub brand: u32,
    pub influencer: u32,
    pub y: f32,
    pub confidence: f32,
}

/// Which target a row contributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    /// The whole value per unit cost: relevance of held-out pairs.
    Value,
    /// Only the match part (rate per impression): what the embeddings learn.
    Rate,
}

/// Targets of the given rows, merged per pair, sorted by (brand, influencer). Also returns how
/// many rows did not measure the objective.
pub fn pair_targets(
    c: &Campaigns,
    rows: &[usize],
    market: &Market,
    alpha: f64,
    kind: TargetKind,
) -> (Vec<PairTarget>, usize) {
    let mut per_row: Vec<(u32, u32, f32, f32)> = Vec::with_capacity(rows.len());
    let mut skipped = 0;
    for &r in rows {
        let t = match kind {
            TargetKind::Value => market.target(c, r, alpha),
            TargetKind::Rate => market.rate_target(c, r, alpha),
        };
        match t {
            Some((y, conf)) => per_row.push((c.brand[r], c.influencer[r], y, conf)),
            None => skipped += 1,
        }
    }
    per_row.sort_unstable_by_key(|p| (p.0, p.1));
    let cap = 1.0 + 3.0 * alpha as f32;
    let mut out: Vec<PairTarget> = Vec::with_capacity(per_row.len());
    for group in per_row.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
        let weight: f32 = group.iter().map(|g| g.3).sum();
        let y = group.iter().map(|g| g.3 * g.2).sum::<f32>() / weight;
        let excess: f32 = group.iter().map(|g| g.3 - 1.0).sum();
        out.push(PairTarget { brand: group[0].0, influencer: group[0].1, y, confidence: (1.0 + excess).min(cap) });
    }
    (out, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn campaigns(rows: &[(u32, u32, f64, f64, f64)]) -> Campaigns {
        let n = rows.len();
        Campaigns {
            brand: rows.iter().map(|r| r.0).collect(),
            influencer: rows.iter().map(|r| r.1).collect(),
            date: vec![0; n],
            cost: rows.iter().map(|r| r.2).collect(),
            impressions: rows.iter().map(|r| r.3).collect(),
            campaign_id: vec![String::new(); n],
            objective: vec![None; n],
            clicks: rows.iter().map(|r| r.4).collect(),
            engagements: vec![f64::NAN; n],
            conversions: vec![f64::NAN; n],
            revenue: vec![f64::NAN; n],
        }
    }

    #[test]
    fn poor_outcomes_are_negative_evidence_and_good_ones_positive() {
        // Same cost and reach; 10 clicks vs 1,000 clicks on 100K impressions.
        let c = campaigns(&[
            (0, 0, 1000.0, 100_000.0, 10.0),
            (0, 1, 1000.0, 100_000.0, 1000.0),
            (1, 0, 1000.0, 100_000.0, 100.0),
        ]);
        let m = Market::measure(&c, &[0, 1, 2], Objective::Engagement);
        assert!((m.ctr - 1110.0 / 300_000.0).abs() < 1e-12);
        let (bad, c_bad) = m.target(&c, 0, 10.0).unwrap();
        let (good, c_good) = m.target(&c, 1, 10.0).unwrap();
        assert!(bad < 0.0 && good > 0.0, "bad {bad}, good {good}");
        // More clicks behind a value means more confidence in it.
        assert!(c_good > c_bad && c_bad > 1.0);
        // v0 = 1110 clicks / 3000 cost; the good row's shrunk value is just under 1 click per unit cost.
        let v_good = (1000.0 + 1.0) / (100_000.0 + 1.0 / m.ctr) * 100.0;
        assert!((f64::from(good) - (v_good / (1110.0 / 3000.0)).ln()).abs() < 1e-5);
    }

    #[test]
    fn rows_without_the_objective_are_skipped_and_pairs_are_merged() {
        let c = campaigns(&[
            (0, 0, 100.0, 10_000.0, 50.0),
            (0, 0, 100.0, 10_000.0, 10.0),
            (0, 1, 100.0, 10_000.0, f64::NAN),
        ]);
        let m = Market::measure(&c, &[0, 1, 2], Objective::Engagement);
        let (pairs, skipped) = pair_targets(&c, &[0, 1, 2], &m, 10.0, TargetKind::Value);
        assert_eq!(skipped, 1);
        assert_eq!(pairs.len(), 1);
        let (y0, c0) = m.target(&c, 0, 10.0).unwrap();
        let (y1, c1) = m.target(&c, 1, 10.0).unwrap();
        assert!((pairs[0].y - (c0 * y0 + c1 * y1) / (c0 + c1)).abs() < 1e-6);
        assert!((pairs[0].confidence - (c0 + c1 - 1.0)).abs() < 1e-5);
        // Reach measures every row with impressions and cost.
        let reach = Market::measure(&c, &[0, 1, 2], Objective::Reach);
        assert_eq!(pair_targets(&c, &[0, 1, 2], &reach, 10.0, TargetKind::Value).1, 0);
    }
}
