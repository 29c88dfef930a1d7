//! Feature rows of the growth model: one per (creator, as-of date), with raw feature values read
//! only from snapshots up to the date, and the realised growth over the next horizon (the label).

use rayon::prelude::*;

use super::GrowthParams;
use super::features::{self, DYNAMIC, Jump, STATIC, Series, SeriesIndex, Unscored};
use crate::dataset::Dataset;
use crate::tier::Tier;

/// Numeric feature names, in the order of a row's raw values.
pub fn numeric_names() -> Vec<&'static str> {
    DYNAMIC.iter().chain(STATIC.iter()).copied().collect()
}

pub const Q: usize = DYNAMIC.len() + STATIC.len();

/// Feature rows before encoding: raw numeric values plus what the encoder needs.
#[derive(Default)]
pub struct Rows {
    pub raw: Vec<f32>,
    pub creator: Vec<u32>,
    pub as_of: Vec<i32>,
    /// Realised relative growth over the horizon (`NaN` when the future is not observed).
    pub growth: Vec<f32>,
    pub jump: Vec<Jump>,
    pub tier: Vec<Tier>,
    pub platform: Vec<u32>,
}

impl Rows {
    pub fn len(&self) -> usize {
        self.creator.len()
    }

    pub fn is_empty(&self) -> bool {
        self.creator.is_empty()
    }

    pub fn select(&self, keep: &[usize]) -> Rows {
        Rows {
            raw: keep.iter().flat_map(|&r| self.raw[r * Q..(r + 1) * Q].iter().copied()).collect(),
            creator: keep.iter().map(|&r| self.creator[r]).collect(),
            as_of: keep.iter().map(|&r| self.as_of[r]).collect(),
            growth: keep.iter().map(|&r| self.growth[r]).collect(),
            jump: keep.iter().map(|&r| self.jump[r]).collect(),
            tier: keep.iter().map(|&r| self.tier[r]).collect(),
            platform: keep.iter().map(|&r| self.platform[r]).collect(),
        }
    }
}

/// A creator left unscored at a date, and why.
pub type Skipped = (u32, i32, Unscored);

/// Feature rows of every creator at each date, and the creators skipped at each (with why).
/// Labels read snapshots up to `label_until` only (the end of a training period), so that no
/// label is interpolated from a snapshot inside a later test period.
pub fn collect(ds: &Dataset, dates: &[i32], label_until: Option<i32>, p: &GrowthParams) -> (Rows, Vec<Skipped>) {
    let inf = &ds.influencers;
    let index = SeriesIndex::new(&ds.snapshots, inf.len());
    let platforms = crate::catalog::Interned::new(&inf.platform);
    let per: Vec<(Rows, Vec<Skipped>)> = (0..inf.len())
        .into_par_iter()
        .map(|i| {
            let s = Series::of(&ds.snapshots, index.range(i));
            let mut rows = Rows::default();
            let mut skipped = Vec::new();
            for &day in dates {
                match features::dynamic(&s, day, p.history()) {
                    Ok((f, jump)) => {
                        rows.raw.extend_from_slice(&f);
                        // The latest count on or before the date, never an interpolation
                        // towards a later snapshot.
                        let level = s.until(day).followers.last().copied();
                        rows.raw.extend_from_slice(&features::static_features(inf, i, level));
                        rows.creator.push(i as u32);
                        rows.as_of.push(day);
                        let g = match label_until {
                            Some(u) => features::future_growth(&s.until(u), day, p.horizon_days),
                            None => features::future_growth(&s, day, p.horizon_days),
                        };
                        rows.growth.push(g.map_or(f32::NAN, |g| g as f32));
                        rows.jump.push(jump);
                        rows.tier.push(features::tier(inf, i, level));
                        rows.platform.push(platforms.codes[i]);
                    }
                    Err(why) => skipped.push((i as u32, day, why)),
                }
            }
            (rows, skipped)
        })
        .collect();
    let mut all = Rows::default();
    let mut skipped = Vec::new();
    for (r, s) in per {
        all.raw.extend(r.raw);
        all.creator.extend(r.creator);
        all.as_of.extend(r.as_of);
        all.growth.extend(r.growth);
        all.jump.extend(r.jump);
        all.tier.extend(r.tier);
        all.platform.extend(r.platform);
        skipped.extend(s);
    }
    (all, skipped)
}

/// Labels: growth at or above the threshold, or in the top share of its platform on its date.
pub fn labels(rows: &Rows, p: &GrowthParams) -> Vec<bool> {
    match p.top_share {
        None => rows.growth.iter().map(|&g| f64::from(g) >= p.threshold).collect(),
        Some(q) => {
            let mut groups: std::collections::HashMap<(i32, u32), Vec<f32>> = Default::default();
            for r in 0..rows.len() {
                if rows.growth[r].is_finite() {
                    groups.entry((rows.as_of[r], rows.platform[r])).or_default().push(rows.growth[r]);
                }
            }
            let cut: std::collections::HashMap<(i32, u32), f32> = groups
                .into_iter()
                .map(|(k, mut v)| {
                    v.sort_by(|a, b| b.total_cmp(a));
                    let n = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len());
                    (k, v[n - 1])
                })
                .collect();
            (0..rows.len())
                .map(|r| cut.get(&(rows.as_of[r], rows.platform[r])).is_some_and(|&c| rows.growth[r] >= c))
                .collect()
        }
    }
}

/// As-of dates `step` apart whose label windows end by `until`, starting once `min_history` days
/// of snapshots exist.
pub fn label_dates(ds: &Dataset, until: i32, p: &GrowthParams) -> Vec<i32> {
    let Some(first) = ds.snapshots.date.iter().min().copied() else { return Vec::new() };
    let mut dates = Vec::new();
    let mut d = until - p.horizon_days;
    while d >= first + p.min_history_days {
        dates.push(d);
        d -= p.step_days;
    }
    dates.reverse();
    dates
}
