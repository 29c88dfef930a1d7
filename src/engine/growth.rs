//! Growth scores from the engine's growth model: creators as of a date, from the follower
//! snapshots the caller gives (the model directory holds no data).

use std::collections::HashMap;

use super::{Engine, EngineError};
use crate::dataset::Dataset;
use crate::growth::Scoring;

/// Growth scores by influencer ID: probability, `suspicious_growth` and the flag's reason (empty
/// when not flagged); and the as-of date.
pub type GrowthById = (HashMap<String, (f32, bool, String)>, String);

impl Engine {
    /// Score the creators of `data` as of `day` (only snapshots up to it are read), best first;
    /// the top `explain` rows also name the features that moved their score. With `only`, just
    /// those influencer IDs (an ID the data does not have comes back unscored, saying so).
    pub fn growth(
        &self,
        data: &Dataset,
        day: i32,
        only: Option<&[String]>,
        explain: usize,
    ) -> Result<Scoring, EngineError> {
        let g = self.growth.as_ref().ok_or(EngineError::NoGrowth)?;
        let mut s = g.score(data, day, explain);
        if let Some(ids) = only {
            let wanted: HashMap<&str, usize> = ids.iter().enumerate().map(|(k, id)| (id.as_str(), k)).collect();
            s.scored.retain(|r| wanted.contains_key(r.influencer_id.as_str()));
            s.unscored.retain(|(id, _)| wanted.contains_key(id.as_str()));
            let known = data.influencers.index();
            for id in ids.iter().filter(|id| !known.contains_key(id.as_str())) {
                s.unscored.push((id.clone(), "not in the data".into()));
            }
        }
        Ok(s)
    }

    /// Growth of every creator of `data` as of `day`, keyed by influencer ID.
    pub fn growth_by_id(&self, data: &Dataset, day: i32) -> Result<GrowthById, EngineError> {
        let s = self.growth(data, day, None, 0)?;
        let map = s
            .scored
            .into_iter()
            .map(|r| {
                let why = if r.suspicious_growth { r.reason } else { String::new() };
                (r.influencer_id, (r.probability, r.suspicious_growth, why))
            })
            .collect();
        Ok((map, s.as_of))
    }

    /// The last snapshot date of `data`, the default as-of date.
    pub fn last_snapshot(data: &Dataset) -> Result<i32, EngineError> {
        data.snapshots.last_date().ok_or(EngineError::NoSnapshots)
    }
}
