//! The simulated market's entities (brands, creators) with their hidden traits, and the ground
//! truth that links them: the expected CTR, conversion rate and CPM of any brand–creator pair.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution, LogNormal, Normal};
use serde::{Deserialize, Serialize};

use super::world::{
    CATEGORIES, CHINESE_BRAND_SHARE, GLOBAL_COUNTRIES, PLATFORMS, TIER_BOUNDS, TIER_PARETO_ALPHA, TIER_WEIGHTS,
    category_fit, shift_ages,
};
use crate::contract::Objective;

/// Dimension of the hidden taste vectors of brands and creators.
pub const LATENT_DIM: usize = 8;

/// Follower-history regime of a creator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regime {
    Steady,
    Declining,
    /// Organic breakout: views and likes per follower rise 1–3 weeks before followers do.
    RisingStar,
    /// One viral post: followers jump with a matching views spike, then growth returns to normal.
    ViralSpike,
    /// Bought followers: a jump in followers with no change in views or likes.
    BoughtFollowers,
}

impl Regime {
    pub fn as_str(self) -> &'static str {
        match self {
            Regime::Steady => "steady",
            Regime::Declining => "declining",
            Regime::RisingStar => "rising_star",
            Regime::ViralSpike => "viral_spike",
            Regime::BoughtFollowers => "bought_followers",
        }
    }
}

/// Shares of creators per regime, in the order steady, declining, rising, viral, bought.
pub const REGIME_WEIGHTS: [f64; 5] = [0.57, 0.12, 0.12, 0.11, 0.08];

/// The coefficients of the hidden outcome model, written to `truth/truth.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Coefficients {
    pub ctr_intercept: f64,
    pub ctr_category_fit: f64,
    pub ctr_audience_overlap: f64,
    pub ctr_latent: f64,
    pub ctr_log_quality: f64,
    pub ctr_log_authenticity: f64,
    pub ctr_log_size: f64,
    pub ctr_sponsored: f64,
    pub cvr_intercept: f64,
    pub cvr_category_fit: f64,
    pub cvr_audience_overlap: f64,
    pub cvr_latent: f64,
    pub cvr_log_quality: f64,
    /// A sponsored post reaches this fraction of the creator's average views, on average.
    pub sponsored_view_factor: f64,
    /// Log-normal sigma of a post's impressions around that expectation.
    pub impressions_sigma: f64,
}

impl Default for Coefficients {
    fn default() -> Self {
        Coefficients {
            ctr_intercept: -7.0,
            ctr_category_fit: 1.0,
            ctr_audience_overlap: 2.5,
            ctr_latent: 0.8,
            ctr_log_quality: 1.0,
            ctr_log_authenticity: 2.0,
            ctr_log_size: -0.15,
            ctr_sponsored: -1.5,
            cvr_intercept: -3.3,
            cvr_category_fit: 0.8,
            cvr_audience_overlap: 1.5,
            cvr_latent: 0.35,
            cvr_log_quality: 0.3,
            sponsored_view_factor: 0.85,
            impressions_sigma: 0.35,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Brand {
    pub id: String,
    pub name: String,
    pub category: usize,
    pub chinese: bool,
    pub country: &'static str,
    pub female: f64,
    pub ages: [f64; 5],
    pub budget: f64,
    pub latent: [f64; LATENT_DIM],
    pub order_value: f64,
    /// First day the brand runs campaigns (new brands arrive during the period).
    pub arrival_day: u32,
    /// Relative campaign volume.
    pub activity: f64,
    pub main_objective: Objective,
}

#[derive(Clone, Debug)]
pub struct Creator {
    pub id: String,
    pub handle: String,
    pub platform: usize,
    pub category: usize,
    pub country: &'static str,
    /// Displayed followers at the end of the history (includes fake followers).
    pub followers: f64,
    /// Share of displayed followers that are fake.
    pub fake_share: f64,
    pub quality: f64,
    pub latent: [f64; LATENT_DIM],
    pub female: f64,
    pub ages: [f64; 5],
    pub avg_views: f64,
    pub engagement_rate: f64,
    pub posts_per_week: f64,
    pub sponsored_share: f64,
    pub price_per_post: f64,
    pub regime: Regime,
}

fn pick(rng: &mut ChaCha8Rng, weights: impl IntoIterator<Item = f64>) -> usize {
    let w: Vec<f64> = weights.into_iter().collect();
    let total: f64 = w.iter().sum();
    let mut u = rng.r#gen::<f64>() * total;
    for (i, x) in w.iter().enumerate() {
        if u < *x {
            return i;
        }
        u -= x;
    }
    w.len() - 1
}

fn lognormal(rng: &mut ChaCha8Rng, sigma: f64) -> f64 {
    LogNormal::new(0.0, sigma).expect("sigma > 0").sample(rng)
}

fn normal(rng: &mut ChaCha8Rng, sd: f64) -> f64 {
    Normal::new(0.0, sd).expect("sd > 0").sample(rng)
}

fn latent(rng: &mut ChaCha8Rng) -> [f64; LATENT_DIM] {
    std::array::from_fn(|_| normal(rng, 1.0))
}

fn noisy_ages(rng: &mut ChaCha8Rng, base: &[f64; 5], shift: f64, sd: f64) -> [f64; 5] {
    let shifted = shift_ages(base, shift + normal(rng, sd));
    let noisy: [f64; 5] = shifted.map(|a| a * lognormal(rng, 0.15));
    let s: f64 = noisy.iter().sum();
    noisy.map(|a| a / s)
}

pub fn brand(rng: &mut ChaCha8Rng, i: usize, days: u32) -> Brand {
    let category = pick(rng, CATEGORIES.iter().map(|c| c.brand_weight));
    let cat = &CATEGORIES[category];
    let chinese = rng.r#gen::<f64>() < CHINESE_BRAND_SHARE;
    let country = if chinese { "CN" } else { GLOBAL_COUNTRIES[pick(rng, GLOBAL_COUNTRIES.iter().map(|c| c.1))].0 };
    let arrival_day = if rng.r#gen::<f64>() < 0.7 { 0 } else { rng.gen_range(0..days.max(1)) };
    let main_objective = [Objective::Conversion, Objective::Engagement, Objective::Reach][pick(rng, [0.5, 0.3, 0.2])];
    Brand {
        id: format!("b{i:06}"),
        name: format!("{} brand {i}", cat.name),
        category,
        chinese,
        country,
        female: (cat.female + normal(rng, 0.06)).clamp(0.02, 0.98),
        ages: noisy_ages(rng, &cat.ages, 0.0, 0.3),
        budget: (2e5 * lognormal(rng, 1.0)).round(),
        latent: latent(rng),
        order_value: cat.order_value * lognormal(rng, 0.3),
        arrival_day,
        activity: lognormal(rng, 0.8),
        main_objective,
    }
}

pub fn creator(rng: &mut ChaCha8Rng, i: usize) -> Creator {
    let platform = pick(rng, PLATFORMS.iter().map(|p| p.weight));
    let plat = &PLATFORMS[platform];
    let category = pick(rng, CATEGORIES.iter().map(|c| c.creator_weight));
    let cat = &CATEGORIES[category];
    let tier = pick(rng, TIER_WEIGHTS);
    let (lo, hi) = TIER_BOUNDS[tier];
    // Truncated Pareto within the tier: many small accounts, few large ones.
    let alpha = TIER_PARETO_ALPHA[tier];
    let u: f64 = rng.r#gen();
    let ratio = (lo / hi).powf(alpha);
    let followers = (lo * (1.0 - u * (1.0 - ratio)).powf(-1.0 / alpha)).round().clamp(lo, hi);
    let regime = [Regime::Steady, Regime::Declining, Regime::RisingStar, Regime::ViralSpike, Regime::BoughtFollowers]
        [pick(rng, REGIME_WEIGHTS)];
    let size = followers / 1e4;
    let base_fake: f64 = Beta::new(1.2, 14.0).expect("valid beta").sample(rng);
    let fake_share =
        if regime == Regime::BoughtFollowers { base_fake + rng.gen_range(0.15..0.45) } else { base_fake }.min(0.8);
    let quality = lognormal(rng, 0.35);
    let real = followers * (1.0 - fake_share);
    let size_views = size.max(0.1).powf(-0.08);
    let avg_views = (real * plat.view_rate * size_views * quality.sqrt() * lognormal(rng, 0.3)).round().max(1.0);
    let engagement_rate =
        (plat.engagement * size.max(0.1).powf(-0.11) * quality.powf(0.8) * (1.0 - fake_share) * lognormal(rng, 0.25))
            .min(0.5);
    let sponsored_share: f64 = Beta::new(2.0, 6.0).expect("valid beta").sample(rng);
    let sponsored_share = (sponsored_share * (1.0 + 0.15 * size.max(1.0).ln())).min(0.9);
    // Creators quote on their displayed reach: fake followers inflate the price, not the views,
    // and big names charge a premium per view.
    let nominal_views = followers * plat.view_rate * size_views;
    let price_per_post =
        (nominal_views / 1000.0 * plat.cpm * (followers / 5e4).powf(0.2) * lognormal(rng, 0.35)).max(20.0);
    let country = if plat.chinese { "CN" } else { GLOBAL_COUNTRIES[pick(rng, GLOBAL_COUNTRIES.iter().map(|c| c.1))].0 };
    Creator {
        id: format!("kol{i:07}"),
        handle: format!("{}_{:06x}", plat.name, (i as u64).wrapping_mul(0x9E37_79B9) & 0xff_ffff),
        platform,
        category,
        country,
        followers,
        fake_share,
        quality,
        latent: latent(rng),
        female: (cat.female + plat.female_shift + normal(rng, 0.08)).clamp(0.02, 0.98),
        ages: noisy_ages(rng, &cat.ages, plat.age_shift, 0.3),
        avg_views,
        engagement_rate,
        posts_per_week: (3.0 * lognormal(rng, 0.5)).clamp(0.2, 28.0),
        sponsored_share,
        price_per_post,
        regime,
    }
}

/// How alike a brand's target audience and a creator's audience are, in [0, 1].
pub fn audience_overlap(b: &Brand, c: &Creator) -> f64 {
    let tv: f64 = 0.5 * b.ages.iter().zip(&c.ages).map(|(x, y)| (x - y).abs()).sum::<f64>();
    1.0 - 0.5 * (b.female - c.female).abs() - 0.5 * tv
}

fn latent_match(b: &Brand, c: &Creator) -> f64 {
    b.latent.iter().zip(&c.latent).map(|(x, y)| x * y).sum::<f64>() / (LATENT_DIM as f64).sqrt()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Expected clicks per impression of a sponsored post by creator `c` for brand `b`.
pub fn expected_ctr(k: &Coefficients, b: &Brand, c: &Creator) -> f64 {
    let fit = category_fit(b.category, c.category);
    sigmoid(
        k.ctr_intercept
            + k.ctr_category_fit * fit
            + k.ctr_audience_overlap * (audience_overlap(b, c) - 0.7)
            + k.ctr_latent * latent_match(b, c)
            + k.ctr_log_quality * c.quality.ln()
            + k.ctr_log_authenticity * (1.0 - c.fake_share).ln()
            + k.ctr_log_size * (c.followers / 1e4).ln()
            + k.ctr_sponsored * (c.sponsored_share - 0.25)
            + PLATFORMS[c.platform].ctr_offset,
    )
}

/// Expected conversions per click.
pub fn expected_cvr(k: &Coefficients, b: &Brand, c: &Creator) -> f64 {
    let fit = category_fit(b.category, c.category);
    sigmoid(
        k.cvr_intercept
            + k.cvr_category_fit * fit
            + k.cvr_audience_overlap * (audience_overlap(b, c) - 0.7)
            + k.cvr_latent * latent_match(b, c)
            + k.cvr_log_quality * c.quality.ln(),
    )
}

/// Expected impressions of one sponsored post.
pub fn expected_impressions(k: &Coefficients, c: &Creator) -> f64 {
    c.avg_views * k.sponsored_view_factor
}

/// Expected cost per 1,000 impressions of one sponsored post (the price is the creator's quote).
pub fn expected_cpm(k: &Coefficients, c: &Creator) -> f64 {
    c.price_per_post / expected_impressions(k, c).max(1.0) * 1000.0
}

/// Engagements per impression of a sponsored post: the creator's engagement per view, halved
/// for sponsored content and scaled by category fit.
pub fn engagement_per_impression(b: &Brand, c: &Creator) -> f64 {
    let fit = category_fit(b.category, c.category);
    (0.5 * c.engagement_rate * c.followers / c.avg_views.max(1.0) * (0.6 + 0.4 * fit)).min(0.25)
}
