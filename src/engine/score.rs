//! Scoring a given list of creators for one brand or brief: the list's rows are the candidates.
//! Creators the model knows (by ID, or by platform and handle) use their learned vectors; the
//! others are embedded from their features, as never-seen creators were in training.

use super::{Engine, EngineError, GrowthById};
use crate::dataset::Influencers;
use crate::index::{Hit, better};
use crate::linalg::dot;
use crate::pipeline::Who;
use crate::pipeline::rank::Candidate;
use crate::pipeline::rows::moved_reason;

/// One scored creator of the list.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoredRow {
    /// The model's ID of a known creator, else the list's.
    pub influencer_id: String,
    pub known: bool,
    pub score: f32,
    /// 1 = best of the list.
    pub rank: u32,
    pub predicted_ctr: Option<f32>,
    pub predicted_cpm: f32,
    /// Expected clicks (or, without a CTR, impressions) per 1,000 spent.
    pub value_for_money: f32,
    pub growth_probability: Option<f32>,
    pub suspicious_growth: Option<bool>,
    pub reason: String,
    pub status: String,
}

impl Engine {
    /// Score every creator of `list` for `who`; `rows[k]` belongs to `list` row `k`. Growth
    /// scores, when given, are joined by influencer ID.
    pub fn score(
        &self,
        who: &Who,
        list: &Influencers,
        growth: Option<&GrowthById>,
    ) -> Result<Vec<ScoredRow>, EngineError> {
        let query = self.query(who)?;
        let model = &self.model;
        let c = &self.catalog.influencers;
        let known: Vec<Option<usize>> = (0..list.len())
            .map(|k| {
                self.creator_row(&list.id[k]).or_else(|| self.creator_by_handle(&list.platform[k], &list.handle[k]))
            })
            .collect();
        let cold = model.embed_influencers(list);
        let d = model.dim();
        let vector = |k: usize| match known[k] {
            Some(i) => model.influencer_vector(i),
            None => &cold[k * d..(k + 1) * d],
        };
        let candidate = |k: usize| match known[k] {
            Some(i) => Candidate::Known(i),
            None => Candidate::New {
                list,
                row: k,
                efficiency: model.efficiency.quoted(list.avg_views[k], list.price_per_post[k]) as f32,
            },
        };
        let candidates: Vec<Candidate> = (0..list.len()).map(candidate).collect();
        let retrieval: Vec<f32> = (0..list.len()).map(|k| dot(&query.vector, vector(k))).collect();
        let (scores, moved) = self.ranker.score_explained(&query, &candidates, &retrieval, 3);
        let mut hits: Vec<Hit> = scores.iter().enumerate().map(|(k, &s)| Hit { item: k as u32, score: s }).collect();
        hits.sort_by(better);
        let mut out: Vec<Option<ScoredRow>> = vec![None; list.len()];
        for (r, h) in hits.iter().enumerate() {
            let k = h.item as usize;
            let (e, past) = match known[k] {
                Some(i) => (model.efficiency_of(i), c.campaigns[i]),
                None => (model.efficiency.quoted(list.avg_views[k], list.price_per_post[k]) as f32, 0),
            };
            let (ctr, cpm) = model.predicted_ctr_cpm(h.score, e);
            let mut reason: Vec<String> = moved_reason(&moved[k]).into_iter().collect();
            reason.push(match known[k] {
                Some(_) if past > 0 => format!("known creator, {past} past campaigns"),
                Some(_) => "known creator, no campaigns yet".to_string(),
                None => "new to the model: scored from its profile".to_string(),
            });
            if let Some(t) = ctr {
                reason.push(format!("CTR {:.2}% ({:.1}× market)", 100.0 * t, f64::from(t) / model.market.ctr));
            }
            reason.push(format!("CPM {cpm:.1}"));
            let id = known[k].map_or(list.id[k].clone(), |i| model.influencer_ids[i].clone());
            let g = growth.and_then(|(m, _)| m.get(&id));
            let mut status = "scored".to_string();
            match (growth, g) {
                (None, _) => status.push_str("; no growth score (no follower snapshots given)"),
                (Some((_, as_of)), None) => {
                    status.push_str(&format!("; no growth score: no usable follower history as of {as_of}"))
                }
                (Some(_), Some((_, true, why))) => reason.push(format!("suspicious growth: {why}")),
                _ => {}
            }
            out[k] = Some(ScoredRow {
                influencer_id: id,
                known: known[k].is_some(),
                score: h.score,
                rank: r as u32 + 1,
                predicted_ctr: ctr,
                predicted_cpm: cpm,
                value_for_money: ctr.unwrap_or(1.0) * 1e6 / cpm,
                growth_probability: g.map(|x| x.0),
                suspicious_growth: g.map(|x| x.1),
                reason: reason.join("; "),
                status,
            });
        }
        Ok(out.into_iter().map(|r| r.expect("every row ranked")).collect())
    }
}
