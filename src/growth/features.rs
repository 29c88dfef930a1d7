//! Growth features of a creator "as of" a date, from irregular follower snapshots, and the 30-day
//! growth label. A feature reads only snapshots dated on or before the as-of date; the label reads
//! the future and is never a feature.
//!
//! Follower counts between snapshots are linear interpolations, so growth over d days is defined
//! whatever the cadence (daily, weekly, irregular, with gaps). Per-period views, likes and posts
//! are counts since the previous snapshot, so rates divide their sums by the days they cover.

use std::ops::Range;

use crate::dataset::{Influencers, Snapshots};
use crate::tier::Tier;

/// Dynamic features, in order (all logs are natural).
pub const DYNAMIC: [&str; 16] = [
    "growth_7d",
    "growth_14d",
    "growth_30d",
    "growth_90d",
    "acceleration",
    "volatility",
    "max_jump",
    "jump_share",
    "jump_views",
    "views_per_follower",
    "views_trend",
    "likes_per_follower",
    "likes_trend",
    "posts_per_day",
    "days_tracked",
    "days_since_snapshot",
];

/// Static features from the influencers table.
pub const STATIC: [&str; 3] = ["ln_followers", "engagement_rate", "sponsored_share"];

/// A one-interval jump at least this large (relative, beyond the usual rate) is taken out of the
/// organic growth features.
pub const ORGANIC_JUMP: f64 = 0.03;

/// Why a creator gets no score as of a date.
#[derive(Clone, Debug, PartialEq)]
pub enum Unscored {
    NoSnapshots,
    /// Fewer tracked days before the as-of date than required.
    TooShort {
        days: i32,
        need: i32,
    },
    /// The latest snapshot is too old to say anything about now.
    Stale {
        days: i32,
        max: i32,
    },
}

impl std::fmt::Display for Unscored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unscored::NoSnapshots => write!(f, "no follower snapshots on or before the date"),
            Unscored::TooShort { days, need } => write!(f, "only {days} days of history (needs {need})"),
            Unscored::Stale { days, max } => write!(f, "latest snapshot is {days} days old (at most {max})"),
        }
    }
}

/// The largest one-interval jump of the last 30 days, for the reason of a `suspicious_growth` flag.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Jump {
    pub from: i32,
    pub to: i32,
    /// Relative follower growth over the interval beyond the creator's usual rate.
    pub excess: f64,
    /// Views per day in the interval relative to the creator's 90-day norm (NaN if unknown).
    pub views_ratio: f64,
}

/// Row ranges of each creator in the snapshots (sorted by creator, then date).
pub struct SeriesIndex {
    starts: Vec<usize>,
}

impl SeriesIndex {
    pub fn new(s: &Snapshots, n_influencers: usize) -> SeriesIndex {
        let mut starts = vec![0usize; n_influencers + 1];
        for &i in &s.influencer {
            starts[i as usize + 1] += 1;
        }
        for i in 0..n_influencers {
            starts[i + 1] += starts[i];
        }
        SeriesIndex { starts }
    }

    pub fn range(&self, i: usize) -> Range<usize> {
        self.starts[i]..self.starts[i + 1]
    }
}

/// History requirements.
#[derive(Clone, Copy, Debug)]
pub struct History {
    pub min_days: i32,
    pub max_staleness: i32,
}

/// One creator's snapshots, as slices.
pub struct Series<'a> {
    pub date: &'a [i32],
    pub followers: &'a [f64],
    pub views: &'a [f64],
    pub likes: &'a [f64],
    pub posts: &'a [f64],
}

impl<'a> Series<'a> {
    pub fn of(s: &'a Snapshots, r: Range<usize>) -> Series<'a> {
        Series {
            date: &s.date[r.clone()],
            followers: &s.followers[r.clone()],
            views: &s.views[r.clone()],
            likes: &s.likes[r.clone()],
            posts: &s.posts[r],
        }
    }

    /// Rows dated on or before `day`: the only rows a feature may read.
    pub fn until(&self, day: i32) -> Series<'a> {
        let n = self.date.partition_point(|&d| d <= day);
        Series {
            date: &self.date[..n],
            followers: &self.followers[..n],
            views: &self.views[..n],
            likes: &self.likes[..n],
            posts: &self.posts[..n],
        }
    }

    /// Followers at `day` by linear interpolation; `None` outside the observed span.
    pub fn followers_at(&self, day: i32) -> Option<f64> {
        let k = self.date.partition_point(|&d| d < day);
        if k == self.date.len() {
            return None;
        }
        if self.date[k] == day {
            return Some(self.followers[k]);
        }
        if k == 0 {
            return None;
        }
        let (d0, d1) = (self.date[k - 1], self.date[k]);
        let w = f64::from(day - d0) / f64::from(d1 - d0);
        Some(self.followers[k - 1] * (1.0 - w) + self.followers[k] * w)
    }

    /// Sum of a per-period column over snapshots dated in `(from, to]`, and the days those periods
    /// cover (from each one's previous snapshot). Periods with unknown values are skipped.
    fn period_rate(&self, col: &[f64], from: i32, to: i32) -> f64 {
        let (mut sum, mut days) = (0.0, 0.0);
        for (w, v) in self.date.windows(2).zip(&col[1..]) {
            if w[1] > from && w[1] <= to && v.is_finite() {
                sum += v;
                days += f64::from(w[1] - w[0]);
            }
        }
        if days > 0.0 { sum / days } else { f64::NAN }
    }
}

fn ln_ratio(a: f64, b: f64) -> f64 {
    if a > 0.0 && b > 0.0 { (a / b).ln() } else { f64::NAN }
}

/// Dynamic features of `s` as of `day` (reading only rows on or before it), with the largest jump.
pub fn dynamic(full: &Series, day: i32, h: History) -> Result<([f32; DYNAMIC.len()], Jump), Unscored> {
    let s = full.until(day);
    let n = s.date.len();
    if n == 0 {
        return Err(Unscored::NoSnapshots);
    }
    let (first, last) = (s.date[0], s.date[n - 1]);
    if day - first < h.min_days {
        return Err(Unscored::TooShort { days: day - first, need: h.min_days });
    }
    if day - last > h.max_staleness {
        return Err(Unscored::Stale { days: day - last, max: h.max_staleness });
    }
    let now = s.followers[n - 1];
    // Per-interval daily log-growth rates over the last 90 days.
    let mut rates: Vec<(f64, f64, usize)> = Vec::new();
    for k in 1..n {
        if s.date[k] > last - 90 {
            let dt = f64::from(s.date[k] - s.date[k - 1]);
            let g = ln_ratio(s.followers[k], s.followers[k - 1]);
            if dt > 0.0 && g.is_finite() {
                rates.push((g / dt, dt, k));
            }
        }
    }
    let total_dt: f64 = rates.iter().map(|r| r.1).sum();
    let vol = if total_dt > 0.0 {
        let mean = rates.iter().map(|r| r.0 * r.1).sum::<f64>() / total_dt;
        (rates.iter().map(|r| (r.0 - mean).powi(2) * r.1).sum::<f64>() / total_dt).sqrt()
    } else {
        f64::NAN
    };
    let mut sorted: Vec<f64> = rates.iter().map(|r| r.0).collect();
    sorted.sort_by(f64::total_cmp);
    let typical = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
    let views_norm = s.period_rate(s.views, last - 90, last);
    // The largest one-interval jump in the last 90 days, measured against the creator's usual
    // rate and against the intervals around it (3–14 days away): a sustained rise lifts its
    // neighbours too and is not a jump; a one-off stands above them.
    let mid = |k: usize| f64::from(s.date[k] + s.date[k - 1]) / 2.0;
    let mut jump = Jump { from: last, to: last, excess: 0.0, views_ratio: f64::NAN };
    for &(r, dt, k) in &rates {
        let around = rates
            .iter()
            .filter(|o| (2.0..=14.0).contains(&(mid(o.2) - mid(k)).abs()) && (mid(o.2) - mid(k)).abs() > 2.0)
            .map(|o| o.0)
            .fold(typical, f64::max);
        let excess = (r - around) * dt;
        if excess > jump.excess.ln_1p() {
            let v = s.views[k] / dt;
            jump = Jump {
                from: s.date[k - 1],
                to: s.date[k],
                excess: excess.exp_m1(),
                views_ratio: if views_norm > 0.0 && v.is_finite() { v / views_norm } else { f64::NAN },
            };
        }
    }
    // Organic growth: a one-off jump is taken out of the growth windows it falls in, so that a
    // spike cannot by itself look like growth (it stays visible in the jump features).
    let jump_log = if jump.excess >= ORGANIC_JUMP { jump.excess.ln_1p() } else { 0.0 };
    let growth = |d: i32| {
        let raw = s.followers_at(last - d).map_or(f64::NAN, |past| ln_ratio(now, past));
        let start = last - d;
        let inside = if jump.from >= start {
            1.0
        } else if jump.to > start {
            f64::from(jump.to - start) / f64::from(jump.to - jump.from)
        } else {
            0.0
        };
        raw - jump_log * inside
    };
    let (g7, g14, g30, g90) = (growth(7), growth(14), growth(30), growth(90));
    let accel = if g7.is_finite() && g30.is_finite() { g7 / 7.0 - (g30 - g7) / 23.0 } else { f64::NAN };
    // Only a recent jump counts toward the jump features and the flag.
    if jump.to <= last - 30 {
        jump = Jump { from: last, to: last, excess: 0.0, views_ratio: f64::NAN };
    }
    // The share of the last 30 days' raw growth that the jump accounts for.
    let recent = jump.excess.ln_1p();
    let jump_share = if recent > 0.0 { recent / (recent + g30.max(0.0)) } else { 0.0 };
    let per_follower = |col: &[f64], from: i32, to: i32| s.period_rate(col, from, to) / now;
    let vpf = per_follower(s.views, last - 30, last);
    let vpf_prev = per_follower(s.views, last - 60, last - 30);
    let lpf = per_follower(s.likes, last - 30, last);
    let lpf_prev = per_follower(s.likes, last - 60, last - 30);
    let posts = s.period_rate(s.posts, last - 30, last);
    let f = [
        g7,
        g14,
        g30,
        g90,
        accel,
        vol,
        jump.excess.ln_1p(),
        jump_share,
        jump.views_ratio.ln(),
        vpf.ln(),
        ln_ratio(vpf, vpf_prev),
        lpf.ln(),
        ln_ratio(lpf, lpf_prev),
        posts,
        f64::from(day - first).min(365.0),
        f64::from(day - last),
    ];
    Ok((f.map(|x| x as f32), jump))
}

/// Static features of creator `i`.
/// The creator's static fields, with followers as of the date (`level`, from the snapshots) where
/// known: the influencers table holds today's count, which for a past date includes the growth
/// the label measures.
pub fn static_features(inf: &Influencers, i: usize, level: Option<f64>) -> [f32; STATIC.len()] {
    let followers = level.unwrap_or(inf.followers[i]);
    [if followers > 0.0 { followers.ln() as f32 } else { f32::NAN }, inf.engagement_rate[i], inf.sponsored_share[i]]
}

pub fn tier(inf: &Influencers, i: usize, level: Option<f64>) -> Tier {
    Tier::of(level.unwrap_or(inf.followers[i]))
}

/// Relative follower growth from `day` to `day + horizon` (may read the future: a label, never a
/// feature); `None` when the history does not cover both ends.
pub fn future_growth(s: &Series, day: i32, horizon: i32) -> Option<f64> {
    let now = s.followers_at(day)?;
    let later = s.followers_at(day + horizon)?;
    (now > 0.0).then(|| later / now - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(days: &[i32], followers: &[f64]) -> Snapshots {
        let n = days.len();
        Snapshots {
            influencer: vec![0; n],
            date: days.to_vec(),
            followers: followers.to_vec(),
            views: vec![1000.0; n],
            likes: vec![100.0; n],
            posts: vec![1.0; n],
        }
    }

    const H: History = History { min_days: 30, max_staleness: 14 };

    #[test]
    fn interpolation_handles_irregular_gaps() {
        let s = series(&[0, 10, 40], &[100.0, 200.0, 500.0]);
        let x = Series::of(&s, 0..3);
        assert_eq!(x.followers_at(5), Some(150.0));
        assert_eq!(x.followers_at(25), Some(350.0));
        assert_eq!(x.followers_at(40), Some(500.0));
        assert_eq!((x.followers_at(-1), x.followers_at(41)), (None, None));
    }

    #[test]
    fn features_never_read_rows_after_the_date() {
        // Two histories equal up to day 60 and wildly different after it.
        let days: Vec<i32> = (0..=120).step_by(3).collect();
        let a: Vec<f64> = days.iter().map(|&d| 1e4 * (1.0 + 0.002 * f64::from(d))).collect();
        let mut b = a.clone();
        for (k, &d) in days.iter().enumerate() {
            if d > 60 {
                b[k] *= 5.0;
            }
        }
        let (sa, sb) = (series(&days, &a), series(&days, &b));
        let n = days.len();
        let fa = dynamic(&Series::of(&sa, 0..n), 60, H).unwrap();
        let fb = dynamic(&Series::of(&sb, 0..n), 60, H).unwrap();
        assert_eq!(format!("{fa:?}"), format!("{fb:?}"));
        assert_ne!(
            format!("{:?}", dynamic(&Series::of(&sa, 0..n), 63, H).unwrap()),
            format!("{:?}", dynamic(&Series::of(&sb, 0..n), 63, H).unwrap())
        );
    }

    #[test]
    fn short_and_stale_histories_are_reported_not_guessed() {
        let s = series(&[0, 7, 14], &[1.0, 2.0, 3.0]);
        let x = Series::of(&s, 0..3);
        assert_eq!(dynamic(&x, 20, H).unwrap_err(), Unscored::TooShort { days: 20, need: 30 });
        assert_eq!(dynamic(&x, 40, H).unwrap_err(), Unscored::Stale { days: 26, max: 14 });
        assert_eq!(dynamic(&x, -5, H).unwrap_err(), Unscored::NoSnapshots);
        assert!(dynamic(&x, 20, H).unwrap_err().to_string().contains("only 20 days of history (needs 30)"));
    }

    #[test]
    fn growth_features_match_hand_computed_values() {
        let days: Vec<i32> = (0..=100).collect();
        let f: Vec<f64> = days.iter().map(|&d| 1000.0 * (0.01 * f64::from(d)).exp()).collect();
        let s = series(&days, &f);
        let (x, _) = dynamic(&Series::of(&s, 0..days.len()), 100, H).unwrap();
        for (k, d) in [(0, 7.0), (1, 14.0), (2, 30.0), (3, 90.0)] {
            assert!((x[k] - 0.01 * d).abs() < 1e-5, "{} = {}", DYNAMIC[k], x[k]);
        }
        assert!(x[4].abs() < 1e-6, "steady exponential growth has no acceleration");
        assert!(x[5] < 1e-6, "and no volatility");
    }
}
