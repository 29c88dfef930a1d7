//! Follower histories: a daily process per creator by regime (steady, declining, rising star with
//! early signals, viral spike, bought followers), observed at irregular snapshot dates.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Normal, Poisson};

use super::market::{Creator, Regime};

/// Snapshots of one creator, each with the views, likes and posts of the period since the
/// previous snapshot.
#[derive(Clone, Debug, Default)]
pub struct Series {
    pub day: Vec<u32>,
    pub followers: Vec<f64>,
    pub views: Vec<f64>,
    pub likes: Vec<f64>,
    pub posts: Vec<f64>,
}

/// What really happened to a creator's following.
#[derive(Clone, Debug)]
pub struct GrowthTruth {
    pub regime: Regime,
    /// Onset (rising star), spike day (viral) or purchase day (bought); `None` otherwise.
    pub event_day: Option<u32>,
    /// Peak extra daily growth (rising), or relative jump (viral, bought).
    pub event_size: f64,
    pub tracking_start: u32,
    pub cadence: &'static str,
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

pub fn simulate(rng: &mut ChaCha8Rng, c: &Creator, days: u32) -> (Series, GrowthTruth) {
    let d = days as usize;
    let size = (c.followers / 1e4).max(1.0);
    let damp = 1.0 / (1.0 + 0.15 * size.ln());
    let base = match c.regime {
        Regime::Declining => Normal::new(-0.0012, 0.0005).expect("sd").sample(rng),
        _ => Normal::new(0.0006, 0.0004).expect("sd").sample(rng) * damp,
    };
    let noise = Normal::new(0.0, 0.0015).expect("sd");
    let late = (days / 8).max(2);
    let (event_day, event_size) = match c.regime {
        Regime::RisingStar => (Some(rng.gen_range(late..days)), rng.gen_range(0.008..0.03)),
        // `SimParams::check` guarantees days >= 60, so these ranges are never empty.
        Regime::ViralSpike => (Some(rng.gen_range(late..days - 2)), rng.gen_range(0.05..0.3)),
        Regime::BoughtFollowers => (Some(rng.gen_range(late..days - 2)), rng.gen_range(0.15..0.6)),
        _ => (None, 0.0),
    };
    let rise_len = rng.gen_range(25.0..80.0);
    let lead = rng.gen_range(10.0..21.0);
    let view_amp = rng.gen_range(1.0..3.0);
    let spike_views = rng.gen_range(5.0..20.0);

    // Daily log-followers (real and fake separately), and a views multiplier.
    let mut log_real = vec![0.0f64; d];
    let mut fake = vec![0.0f64; d];
    let mut view_mult = vec![1.0f64; d];
    let mut viral_views = vec![0.0f64; d];
    let mut lr = 0.0;
    let mut fk = c.fake_share / (1.0 - c.fake_share);
    for t in 0..d {
        let tf = t as f64;
        let mut g = base + noise.sample(rng);
        if let (Regime::RisingStar, Some(t0)) = (c.regime, event_day) {
            let t0 = t0 as f64;
            let on = logistic((tf - t0) / 4.0) * logistic((t0 + rise_len - tf) / 6.0);
            g += event_size * on;
            // Views and likes per follower climb before the followers do.
            view_mult[t] = 1.0 + view_amp * logistic((tf - (t0 - lead)) / 4.0) * logistic((t0 + rise_len - tf) / 10.0);
        }
        if let (Regime::ViralSpike, Some(ts)) = (c.regime, event_day) {
            let ts = ts as usize;
            if t == ts || t == ts + 1 {
                g += (1.0 + event_size).ln() / 2.0;
            }
            if t + 1 >= ts && t <= ts + 5 {
                // The viral post keeps collecting views for days, whether or not new posts appear.
                let k = (t + 1 - ts) as f64;
                viral_views[t] = spike_views * (-(k - 1.0).abs() / 1.5).exp();
            }
        }
        lr += g;
        log_real[t] = lr;
        if let (Regime::BoughtFollowers, Some(tb)) = (c.regime, event_day) {
            if t == tb as usize {
                // Bought followers are fake: they add to the count, not to views or likes.
                fk += event_size * (1.0 + fk);
            }
        }
        fake[t] = fk;
    }
    // Scale so that the last displayed count equals the creator's followers in the table.
    let last_displayed = log_real[d - 1].exp() * (1.0 + fake[d - 1]);
    let scale = c.followers / last_displayed;
    let view_rate = c.avg_views / (c.followers * (1.0 - c.fake_share)).max(1.0);
    let like_rate = (c.engagement_rate * c.followers / c.avg_views.max(1.0) * 0.85).min(0.25);
    let posts_per_day = Poisson::new((c.posts_per_week / 7.0).max(1e-6)).expect("mean");
    let views_noise = LogNormal::new(0.0, 0.4).expect("sigma");
    let likes_noise = LogNormal::new(0.0, 0.2).expect("sigma");

    let (cadence, tracking_start) = {
        let u: f64 = rng.r#gen();
        let cadence = if u < 0.15 {
            "daily"
        } else if u < 0.70 {
            "weekly"
        } else {
            "irregular"
        };
        // A few creators were only added to tracking recently: too little history to score.
        let start = if rng.r#gen::<f64>() < 0.05 { rng.gen_range(days - 40..days - 3) } else { 0 };
        (cadence, start)
    };
    let offset = rng.gen_range(0..7u32);
    let mut s = Series::default();
    let (mut views, mut likes, mut posts) = (0.0, 0.0, 0.0);
    let mut next = tracking_start;
    for t in 0..days {
        let real = log_real[t as usize].exp() * scale;
        let p = posts_per_day.sample(rng);
        let v = (p * view_mult[t as usize] + viral_views[t as usize]) * real * view_rate * views_noise.sample(rng);
        views += v;
        likes += v * like_rate * likes_noise.sample(rng);
        posts += p;
        let due = match cadence {
            "daily" => true,
            "weekly" => t >= tracking_start && t % 7 == offset,
            _ => t == next,
        };
        if t == next && cadence == "irregular" {
            next = t + rng.gen_range(2..15);
        }
        // Some scheduled snapshots are missed: gaps in the history.
        let is_last = t + 1 == days;
        if t >= tracking_start && (is_last || (due && rng.r#gen::<f64>() > 0.05)) {
            s.day.push(t);
            s.followers.push((real * (1.0 + fake[t as usize])).round());
            s.views.push(views.round());
            s.likes.push(likes.round());
            s.posts.push(posts);
            views = 0.0;
            likes = 0.0;
            posts = 0.0;
        }
    }
    let truth = GrowthTruth { regime: c.regime, event_day, event_size, tracking_start, cadence };
    (s, truth)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::market::creator;
    use rand::SeedableRng;

    fn planted(regime: Regime, seed: u64) -> (Creator, Series, GrowthTruth) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut c = creator(&mut rng, 1);
        c.regime = regime;
        c.avg_views *= 200_000.0 / c.followers;
        c.posts_per_week = 5.0;
        c.followers = 200_000.0;
        let (mut s, mut t) = simulate(&mut rng, &c, 180);
        // Re-draw until the history is tracked from day 0 and daily, so the test reads every day.
        let mut k = 0;
        while s.day.len() < 170 {
            k += 1;
            let mut r = ChaCha8Rng::seed_from_u64(seed * 1000 + k);
            (s, t) = simulate(&mut r, &c, 180);
        }
        (c, s, t)
    }

    fn at(s: &Series, day: u32) -> usize {
        s.day.iter().position(|&d| d >= day).unwrap()
    }

    fn views_per_follower(s: &Series, from: u32, to: u32) -> f64 {
        let (a, b) = (at(s, from), at(s, to));
        s.views[a..b].iter().sum::<f64>() / s.followers[a..b].iter().sum::<f64>()
    }

    #[test]
    fn last_snapshot_matches_the_table_followers() {
        for (i, r) in [Regime::Steady, Regime::RisingStar, Regime::BoughtFollowers].into_iter().enumerate() {
            let (c, s, _) = planted(r, 10 + i as u64);
            assert_eq!(*s.day.last().unwrap(), 179);
            assert!((s.followers.last().unwrap() - c.followers).abs() <= 1.0);
        }
    }

    #[test]
    fn bought_followers_jump_without_views() {
        let (_, s, t) = planted(Regime::BoughtFollowers, 3);
        let d = t.event_day.unwrap();
        let (before, after) = (at(&s, d.saturating_sub(3)), at(&s, d + 3));
        let jump = s.followers[after] / s.followers[before] - 1.0;
        assert!(jump > 0.12, "bought jump {jump:.3}");
        let v_before = views_per_follower(&s, d.saturating_sub(40), d) * s.followers[before];
        let v_after = views_per_follower(&s, d + 1, (d + 41).min(179)) * s.followers[after];
        assert!((v_after / v_before - 1.0).abs() < 0.35, "views moved with bought followers: {v_before} -> {v_after}");
    }

    #[test]
    fn rising_stars_show_views_before_followers() {
        // Every planted rising star with room around its onset, against ordinary creators of
        // the same start: its views per follower rise before the onset and its followers grow
        // strongly after, which the ordinary ones do not.
        let (mut stars, mut shown, mut ordinary, mut false_alarms) = (0, 0, 0, 0);
        for seed in 0..40 {
            let (_, s, t) = planted(Regime::RisingStar, 100 + seed);
            let d = t.event_day.unwrap();
            if (60..=160).contains(&d) {
                stars += 1;
                shown += usize::from(early_signal(&s, d));
            }
            let (_, s, _) = planted(Regime::Steady, 900 + seed);
            ordinary += 1;
            false_alarms += usize::from(early_signal(&s, 120));
        }
        assert!(stars >= 10, "only {stars} rising stars with room around the onset");
        // 21 of 26 at the time of writing: at least three in four.
        assert!(shown * 4 >= stars * 3, "{shown} of {stars} rising stars showed views before followers");
        assert!(
            false_alarms * 10 <= ordinary,
            "{false_alarms} of {ordinary} ordinary creators looked like rising stars"
        );
    }

    /// Views per follower in the 10 days before `d` 30% above those 30–50 days before, then
    /// followers up more than 5% in the 20 days after.
    fn early_signal(s: &Series, d: u32) -> bool {
        let early = views_per_follower(s, d - 10, d);
        let base = views_per_follower(s, d - 50, d - 30);
        let growth_after = s.followers[at(s, (d + 19).min(179))] / s.followers[at(s, d)] - 1.0;
        early > 1.3 * base && growth_after > 0.05
    }

    #[test]
    fn viral_spikes_jump_with_views_then_grow_normally() {
        // The first planted spike far enough from both ends of the history to look around it.
        let (s, d) = (0..50)
            .map(|seed| planted(Regime::ViralSpike, 500 + seed))
            .map(|(_, s, t)| (s, t.event_day.unwrap()))
            .find(|(_, d)| (30..=140).contains(d))
            .expect("some spike lands mid-history");
        let jump = s.followers[at(&s, d + 3)] / s.followers[at(&s, d - 2)] - 1.0;
        assert!(jump > 0.04, "viral jump {jump:.3}");
        assert!(views_per_follower(&s, d, d + 3) > 3.0 * views_per_follower(&s, d - 30, d - 5));
        let later = s.followers[at(&s, d + 35)] / s.followers[at(&s, d + 5)] - 1.0;
        assert!(later < 0.05, "growth after a spike should be ordinary, got {later:.3}");
    }
}
