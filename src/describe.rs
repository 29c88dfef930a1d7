//! Dataset summaries: tier mix, engagement by tier, campaign outcome rates. Printed by `validate`
//! and `demo`, and used by tests to check the simulator's marginals.

use std::fmt;

use crate::dataset::Dataset;
use crate::tier::Tier;

#[derive(Clone, Debug, serde::Serialize)]
pub struct TierRow {
    pub tier: Tier,
    pub creators: usize,
    pub share: f64,
    pub mean_engagement_rate: f64,
    pub median_price_per_post: f64,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Summary {
    pub brands: usize,
    pub influencers: usize,
    pub campaigns: usize,
    pub snapshots: usize,
    pub tiers: Vec<TierRow>,
    /// Influencers that appear in at least one campaign.
    pub influencers_with_campaigns: usize,
    /// Total clicks / total impressions over campaigns with clicks.
    pub ctr: f64,
    /// Total cost / total impressions × 1000.
    pub cpm: f64,
    /// Median per-campaign CPM.
    pub median_cpm: f64,
    /// Total conversions / total clicks over campaigns with both.
    pub cvr: f64,
    pub first_date: Option<String>,
    pub last_date: Option<String>,
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 }
}

impl Summary {
    pub fn of(ds: &Dataset) -> Summary {
        let inf = &ds.influencers;
        let tiers = Tier::ALL
            .iter()
            .map(|&t| {
                let rows: Vec<usize> = (0..inf.len()).filter(|&i| Tier::of(inf.followers[i]) == t).collect();
                let er: Vec<f64> =
                    rows.iter().map(|&i| f64::from(inf.engagement_rate[i])).filter(|x| x.is_finite()).collect();
                TierRow {
                    tier: t,
                    creators: rows.len(),
                    share: rows.len() as f64 / inf.len().max(1) as f64,
                    mean_engagement_rate: if er.is_empty() {
                        f64::NAN
                    } else {
                        er.iter().sum::<f64>() / er.len() as f64
                    },
                    median_price_per_post: median(rows.iter().map(|&i| inf.price_per_post[i]).collect()),
                }
            })
            .collect();
        let c = &ds.campaigns;
        let t = c.totals(0..c.len());
        let mut used = vec![false; inf.len()];
        for &i in &c.influencer {
            used[i as usize] = true;
        }
        let dates = || c.date.iter().copied();
        Summary {
            brands: ds.brands.len(),
            influencers: inf.len(),
            campaigns: c.len(),
            snapshots: ds.snapshots.len(),
            tiers,
            influencers_with_campaigns: used.iter().filter(|u| **u).count(),
            ctr: t.clicks / t.impressions_with_clicks.max(1.0),
            cpm: t.cost / t.impressions.max(1.0) * 1000.0,
            median_cpm: median((0..c.len()).map(|r| c.cost[r] / c.impressions[r].max(1.0) * 1000.0).collect()),
            cvr: t.conversions_with_clicks / t.clicks_with_conversions.max(1.0),
            first_date: dates().min().map(crate::parse::format_date),
            last_date: dates().max().map(crate::parse::format_date),
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} brands, {} influencers ({} with campaigns), {} campaign rows, {} follower snapshots",
            self.brands, self.influencers, self.influencers_with_campaigns, self.campaigns, self.snapshots
        )?;
        if let (Some(a), Some(b)) = (&self.first_date, &self.last_date) {
            writeln!(f, "campaigns from {a} to {b}")?;
        }
        writeln!(f, "{:<6} {:>9} {:>7} {:>14} {:>16}", "tier", "creators", "share", "mean eng.rate", "median price")?;
        for t in &self.tiers {
            let or_dash = |x: f64, s: String| if x.is_finite() { s } else { "-".into() };
            writeln!(
                f,
                "{:<6} {:>9} {:>6.1}% {:>14} {:>16}",
                t.tier.as_str(),
                t.creators,
                100.0 * t.share,
                or_dash(t.mean_engagement_rate, format!("{:.2}%", 100.0 * t.mean_engagement_rate)),
                or_dash(t.median_price_per_post, format!("{:.0}", t.median_price_per_post))
            )?;
        }
        write!(
            f,
            "campaign outcomes: CTR {:.3}%, CPM {:.1} (median per post {:.1}), conversion per click {:.2}%",
            100.0 * self.ctr,
            self.cpm,
            self.median_cpm,
            100.0 * self.cvr
        )
    }
}
