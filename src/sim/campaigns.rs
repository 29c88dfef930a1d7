//! Historical campaigns: which creators brands picked (a biased behaviour policy that favours big,
//! same-category accounts) and what each post returned (impressions, clicks, conversions, cost).

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution, LogNormal, Poisson};

use super::market::{
    Brand, Coefficients, Creator, engagement_per_impression, expected_ctr, expected_cvr, expected_impressions,
};
use super::world::{CATEGORIES, PLATFORMS};
use crate::contract::Objective;

/// How brands pick creators. Defaults mirror what the industry describes: mostly same-category,
/// mostly big accounts, some rebooking of creators that worked, a little agency exploration.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Policy {
    /// Probability that a pick comes from the brand's own category.
    pub same_category: f64,
    /// Pick weight grows as followers^size_bias.
    pub size_bias: f64,
    /// Probability of rebooking the best-observed of three past creators.
    pub rebook: f64,
    /// Probability of a uniformly random pick from the brand's region (agency suggestions).
    pub explore: f64,
    /// Probability that a pick stays on the brand's home region's platforms.
    pub home_region: f64,
    /// Mean number of extra creators per campaign (1 + Poisson).
    pub extra_creators: f64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            same_category: 0.75,
            size_bias: 0.7,
            rebook: 0.2,
            explore: 0.06,
            home_region: 0.9,
            extra_creators: 2.0,
        }
    }
}

/// One simulated post and its outcome, with the truth behind it.
#[derive(Clone, Debug)]
pub struct Post {
    pub brand: u32,
    pub creator: u32,
    pub day: u32,
    pub campaign: u32,
    pub objective: Objective,
    pub cost: f64,
    pub impressions: f64,
    pub clicks: f64,
    pub engagements: f64,
    /// `NaN` for reach campaigns, which do not track sales.
    pub conversions: f64,
    pub revenue: f64,
    pub expected_ctr: f64,
    pub expected_cvr: f64,
}

/// Cumulative pick weights over a set of creators, for O(log n) weighted sampling.
struct Pool {
    members: Vec<u32>,
    cumulative: Vec<f64>,
}

impl Pool {
    fn new(members: Vec<u32>, weight: impl Fn(u32) -> f64) -> Pool {
        let mut acc = 0.0;
        let cumulative = members
            .iter()
            .map(|&m| {
                acc += weight(m);
                acc
            })
            .collect();
        Pool { members, cumulative }
    }

    fn sample(&self, rng: &mut ChaCha8Rng) -> Option<u32> {
        let total = *self.cumulative.last()?;
        let u = rng.r#gen::<f64>() * total;
        let i = self.cumulative.partition_point(|&c| c <= u).min(self.members.len() - 1);
        Some(self.members[i])
    }

    fn uniform(&self, rng: &mut ChaCha8Rng) -> Option<u32> {
        (!self.members.is_empty()).then(|| self.members[rng.gen_range(0..self.members.len())])
    }
}

/// Creator pools per region (Chinese or global platforms) and per category.
pub struct Pools {
    by_category: [Vec<Pool>; 2],
    all: [Pool; 2],
}

impl Pools {
    pub fn new(creators: &[Creator], policy: &Policy) -> Pools {
        let weight = |c: u32| creators[c as usize].followers.powf(policy.size_bias);
        let region = |chinese: bool| -> (Vec<Pool>, Pool) {
            let members: Vec<u32> = (0..creators.len() as u32)
                .filter(|&c| PLATFORMS[creators[c as usize].platform].chinese == chinese)
                .collect();
            let cats = (0..CATEGORIES.len())
                .map(|k| {
                    Pool::new(members.iter().copied().filter(|&c| creators[c as usize].category == k).collect(), weight)
                })
                .collect();
            (cats, Pool::new(members, weight))
        };
        let (cn_cat, cn_all) = region(true);
        let (gl_cat, gl_all) = region(false);
        Pools { by_category: [gl_cat, cn_cat], all: [gl_all, cn_all] }
    }
}

/// Simulate every campaign of brand `b` given its share of the total rows.
#[allow(clippy::too_many_arguments)]
pub fn brand_posts(
    rng: &mut ChaCha8Rng,
    b: u32,
    brand: &Brand,
    creators: &[Creator],
    pools: &Pools,
    policy: &Policy,
    k: &Coefficients,
    rows: usize,
    days: u32,
) -> Vec<Post> {
    let mut posts = Vec::with_capacity(rows);
    let mut history: Vec<(u32, f64)> = Vec::new();
    let start = brand.arrival_day.min(days - 1);
    let mut campaign = 0u32;
    let extra = Poisson::new(policy.extra_creators.max(1e-9)).expect("positive mean");
    // Campaign days are drawn up front and sorted so that rebooking only sees the past.
    let mut plan: Vec<(u32, usize)> = Vec::new();
    let mut planned = 0;
    while planned < rows {
        let n = (1 + extra.sample(rng) as usize).min(rows - planned);
        plan.push((rng.gen_range(start..days), n));
        planned += n;
    }
    plan.sort_by_key(|p| p.0);
    for (day, n) in plan {
        let objective = if rng.r#gen::<f64>() < 0.7 {
            brand.main_objective
        } else {
            [Objective::Reach, Objective::Engagement, Objective::Conversion][rng.gen_range(0..3)]
        };
        let mut chosen: Vec<u32> = Vec::with_capacity(n);
        for _ in 0..n {
            // The policy may keep proposing creators already in this campaign (small markets,
            // rebooking); fall back to any creator of the home region so row counts stay exact.
            let home = usize::from(brand.chinese);
            let mut pick =
                (0..8).filter_map(|_| choose(rng, brand, pools, policy, &history)).find(|c| !chosen.contains(c));
            for _ in 0..256 {
                if pick.is_some() {
                    break;
                }
                let any = pools.all[home].uniform(rng).or_else(|| pools.all[1 - home].uniform(rng));
                pick = any.filter(|c| !chosen.contains(c));
            }
            chosen.extend(pick);
        }
        for &c in &chosen {
            let post = outcome(rng, b, brand, c, &creators[c as usize], day, campaign, objective, k);
            history.push((c, post.clicks / post.impressions.max(1.0)));
            posts.push(post);
        }
        campaign += 1;
    }
    posts
}

fn choose(rng: &mut ChaCha8Rng, brand: &Brand, pools: &Pools, policy: &Policy, history: &[(u32, f64)]) -> Option<u32> {
    let u: f64 = rng.r#gen();
    if u < policy.rebook && !history.is_empty() {
        let best = (0..3).map(|_| history[rng.gen_range(0..history.len())]).max_by(|a, b| a.1.total_cmp(&b.1));
        return best.map(|h| h.0);
    }
    let home = rng.r#gen::<f64>() < policy.home_region;
    let region = usize::from(brand.chinese == home);
    if u < policy.rebook + policy.explore {
        return pools.all[region].uniform(rng);
    }
    if rng.r#gen::<f64>() < policy.same_category {
        if let Some(c) = pools.by_category[region][brand.category].sample(rng) {
            return Some(c);
        }
    }
    pools.all[region].sample(rng)
}

#[allow(clippy::too_many_arguments)]
fn outcome(
    rng: &mut ChaCha8Rng,
    b: u32,
    brand: &Brand,
    c: u32,
    creator: &Creator,
    day: u32,
    campaign: u32,
    objective: Objective,
    k: &Coefficients,
) -> Post {
    let sigma = k.impressions_sigma;
    let imp_noise = LogNormal::new(-sigma * sigma / 2.0, sigma).expect("sigma").sample(rng);
    let impressions = (expected_impressions(k, creator) * imp_noise).round().max(1.0);
    let ctr = expected_ctr(k, brand, creator);
    let cvr = expected_cvr(k, brand, creator);
    let clicks = poisson(rng, impressions * ctr).min(impressions);
    let engagements = poisson(rng, impressions * engagement_per_impression(brand, creator)).min(impressions);
    let cost_noise = LogNormal::new(-0.15 * 0.15 / 2.0, 0.15).expect("sigma").sample(rng);
    let cost = (creator.price_per_post * cost_noise * 100.0).round() / 100.0;
    let (conversions, revenue) = if objective == Objective::Reach {
        (f64::NAN, f64::NAN)
    } else {
        let conv = Binomial::new(clicks as u64, cvr).expect("valid binomial").sample(rng) as f64;
        let rev = conv * brand.order_value * LogNormal::new(0.0, 0.3).expect("sigma").sample(rng);
        (conv, (rev * 100.0).round() / 100.0)
    };
    Post {
        brand: b,
        creator: c,
        day,
        campaign,
        objective,
        cost,
        impressions,
        clicks,
        engagements,
        conversions,
        revenue,
        expected_ctr: ctr,
        expected_cvr: cvr,
    }
}

fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    if mean <= 0.0 { 0.0 } else { Poisson::new(mean).expect("positive mean").sample(rng).round() }
}
