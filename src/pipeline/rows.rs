//! Result rows: a ranked hit becomes what a marketer reads — the creator's profile, the score,
//! the predicted CTR and CPM of the pair, and the facts behind the match.

use std::collections::HashSet;

use serde::Serialize;

use super::query::Query;
use super::rank::{Candidate, Moved, Ranker};
use super::retrieve::SearchPath;
use crate::affinity::AffinityModel;
use crate::catalog::Catalog;
use crate::index::Hit;
use crate::linalg::dot;
use crate::tier::Tier;

/// One recommended (or lookalike) creator.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Recommendation {
    pub rank: usize,
    pub influencer_id: String,
    pub handle: String,
    pub platform: String,
    pub category: String,
    pub country: String,
    pub followers: f64,
    pub tier: Tier,
    pub price_per_post: Option<f64>,
    pub engagement_rate: Option<f32>,
    /// The ranking stage's score (for lookalikes: cosine similarity of the creators' factors).
    pub score: f32,
    /// The pair's predicted clicks per impression (engagement objective only; none for lookalikes).
    pub predicted_ctr: Option<f32>,
    /// The creator's predicted cost per 1,000 impressions.
    pub predicted_cpm: f32,
    pub past_campaigns: u32,
    pub reason: String,
}

/// The answer to one query.
#[derive(Clone, Debug, Serialize)]
pub struct Answer {
    pub query: String,
    pub path: SearchPath,
    /// The ranking stage that ordered the results ("learned" or "inner-product").
    pub ranker: &'static str,
    /// Creators the filters allowed.
    pub candidates: usize,
    pub results: Vec<Recommendation>,
}

/// Builds result rows from the model's creators.
#[derive(Clone, Copy)]
pub struct Rows<'a> {
    pub model: &'a AffinityModel,
    pub catalog: &'a Catalog,
    pub ranker: &'a dyn Ranker,
}

/// How many of the ranking stage's features a reason names.
const REASON_FEATURES: usize = 3;

/// The ranking stage's strongest features as a reason: "ranked by: similar brands' outcomes with
/// this creator +0.42, same category +0.10".
pub fn moved_reason(moved: &[Moved]) -> Option<String> {
    (!moved.is_empty()).then(|| {
        let parts: Vec<String> = moved.iter().map(|m| format!("{} {:+.2}", m.feature, m.contribution)).collect();
        format!("ranked by: {}", parts.join(", "))
    })
}

impl Rows<'_> {
    /// The rows of a brand's (or brief's) ranked hits, with reasons.
    pub fn recommendations(&self, query: &Query, hits: &[Hit]) -> Vec<Recommendation> {
        let worked: HashSet<u32> =
            query.brand.map(|b| self.catalog.worked_with(b).iter().copied().collect()).unwrap_or_default();
        let candidates: Vec<Candidate> = hits.iter().map(|h| Candidate::Known(h.item as usize)).collect();
        let retrieval: Vec<f32> =
            hits.iter().map(|h| dot(&query.vector, self.model.influencer_vector(h.item as usize))).collect();
        let moved = self.ranker.explain(query, &candidates, &retrieval, REASON_FEATURES);
        hits.iter()
            .zip(moved)
            .enumerate()
            .map(|(r, (h, moved))| {
                let i = h.item as usize;
                let mut reason = self.reason(i, query.category.as_deref(), worked.contains(&h.item));
                if let Some(m) = moved_reason(&moved) {
                    reason = format!("{m}; {reason}");
                }
                let (ctr, cpm) = self.model.predicted_ctr_cpm(h.score, self.model.efficiency_of(i));
                self.row(r + 1, h, ctr, cpm, reason)
            })
            .collect()
    }

    /// The rows of lookalikes of creator `of`, whose scores are similarities.
    pub fn lookalikes(&self, of: usize, hits: &[Hit]) -> Vec<Recommendation> {
        let cat = self.catalog;
        let c = &cat.influencers;
        hits.iter()
            .enumerate()
            .map(|(r, h)| {
                let j = h.item as usize;
                let mut same: Vec<String> = Vec::new();
                for (what, col) in [("platform", &c.platform), ("category", &c.category), ("country", &c.country)] {
                    if col.codes[of] == col.codes[j] {
                        same.push(format!("same {what} ({})", col.get(j)));
                    }
                }
                if cat.tier(of) == cat.tier(j) {
                    same.push(format!("same tier ({})", cat.tier(j)));
                }
                let reason = format!(
                    "similarity {:.2}; {}",
                    h.score,
                    if same.is_empty() { "different profile, similar outcomes".into() } else { same.join(", ") }
                );
                let (_, cpm) = self.model.predicted_ctr_cpm(0.0, self.model.efficiency_of(j));
                self.row(r + 1, h, None, cpm, reason)
            })
            .collect()
    }

    fn row(&self, rank: usize, h: &Hit, ctr: Option<f32>, cpm: f32, reason: String) -> Recommendation {
        let c = &self.catalog.influencers;
        let i = h.item as usize;
        let opt = |x: f64| x.is_finite().then_some(x);
        Recommendation {
            rank,
            influencer_id: c.id[i].clone(),
            handle: c.handle[i].clone(),
            platform: c.platform.get(i).to_string(),
            category: c.category.get(i).to_string(),
            country: c.country.get(i).to_string(),
            followers: c.followers[i],
            tier: self.catalog.tier(i),
            price_per_post: opt(c.price_per_post[i]),
            engagement_rate: c.engagement_rate[i].is_finite().then_some(c.engagement_rate[i]),
            score: h.score,
            predicted_ctr: ctr,
            predicted_cpm: cpm,
            past_campaigns: c.campaigns[i],
            reason,
        }
    }

    /// Facts behind a match, strongest evidence first: the creator's own campaign outcomes, its
    /// cost per view against the market (the cost-efficiency term of the score), engagement
    /// against its platform, and a category match.
    pub fn reason(&self, i: usize, brand_category: Option<&str>, worked: bool) -> String {
        let cat = self.catalog;
        let c = &cat.influencers;
        let mut parts: Vec<String> = Vec::new();
        match (c.campaigns[i], cat.ctr(i)) {
            (0, _) => parts.push("no campaigns yet: scored from its profile".into()),
            (n, Some(ctr)) if cat.market_ctr > 0.0 => parts.push(format!(
                "{n} past campaign{}: CTR {:.2}% ({:.1}× market)",
                if n == 1 { "" } else { "s" },
                100.0 * ctr,
                ctr / cat.market_ctr
            )),
            (n, _) => parts.push(format!("{n} past campaign{}", if n == 1 { "" } else { "s" })),
        }
        if worked {
            parts.push("worked with this brand".into());
        }
        if let Some(cpm) = cat.quoted_cpm(i).filter(|_| cat.median_quote_cpm > 0.0) {
            parts.push(format!("quote CPM {cpm:.1} (median {:.1})", cat.median_quote_cpm));
        }
        let platform = c.platform.get(i);
        if let Some(med) = cat.platform_median_engagement(platform).filter(|m| *m > 0.0) {
            let r = c.engagement_rate[i];
            if r.is_finite() {
                parts.push(format!("engagement {:.1}% ({:.1}× {platform} median)", 100.0 * r, r / med));
            }
        }
        if brand_category.is_some_and(|b| b == c.category.get(i)) {
            parts.push(format!("same category ({})", c.category.get(i)));
        }
        parts.join("; ")
    }
}
