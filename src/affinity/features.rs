//! Side features of brands and influencers as dense, standardised vectors: what lets a brand or a
//! creator with no campaign history still get an embedding.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::dataset::{Audience, Brands, Influencers};
use crate::tier::Tier;

/// A one-hot block over a vocabulary learned at fit time; unseen values map to "other".
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct OneHot {
    pub name: String,
    pub values: Vec<String>,
}

impl OneHot {
    /// Values seen at least `min_count` times, most frequent first (ties by name), at most `max`.
    fn fit(name: &str, column: &[String], min_count: usize, max: usize) -> OneHot {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for v in column {
            *counts.entry(v.as_str()).or_default() += 1;
        }
        let mut vals: Vec<(&str, usize)> =
            counts.into_iter().filter(|(v, n)| !v.is_empty() && *n >= min_count).collect();
        vals.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        OneHot { name: name.into(), values: vals.into_iter().take(max).map(|(v, _)| v.to_string()).collect() }
    }

    /// Width: one slot per value plus "other".
    fn width(&self) -> usize {
        self.values.len() + 1
    }

    fn slot(&self, v: &str) -> usize {
        self.values.iter().position(|x| x == v).unwrap_or(self.values.len())
    }

    fn labels(&self) -> Vec<String> {
        let mut l: Vec<String> = self.values.iter().map(|v| format!("{}={v}", self.name)).collect();
        l.push(format!("{}=other", self.name));
        l
    }
}

/// A numeric feature standardised with the training mean and standard deviation; missing values
/// become 0 (the mean) and set a missing-indicator slot.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Numeric {
    pub name: String,
    pub mean: f32,
    pub std: f32,
}

impl Numeric {
    fn fit(name: &str, values: &[f32]) -> Numeric {
        let v: Vec<f64> = values.iter().filter(|x| x.is_finite()).map(|&x| f64::from(x)).collect();
        let n = v.len().max(1) as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        Numeric { name: name.into(), mean: mean as f32, std: (var.sqrt() as f32).max(1e-6) }
    }
}

/// How one side (brands or influencers) is turned into feature vectors.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FeatureSpec {
    pub one_hot: Vec<OneHot>,
    pub numeric: Vec<Numeric>,
}

impl FeatureSpec {
    /// Vector width: a constant 1, the one-hot blocks, and a value plus a missing flag per numeric.
    pub fn width(&self) -> usize {
        1 + self.one_hot.iter().map(OneHot::width).sum::<usize>() + 2 * self.numeric.len()
    }

    pub fn labels(&self) -> Vec<String> {
        let mut l = vec!["bias".to_string()];
        for o in &self.one_hot {
            l.extend(o.labels());
        }
        for n in &self.numeric {
            l.push(n.name.clone());
            l.push(format!("{}_missing", n.name));
        }
        l
    }

    /// `n × width` rows, row `i` built from `row(i)` = (categorical values, numeric values).
    fn encode_all<'a>(&self, n: usize, row: impl Fn(usize) -> (Vec<&'a str>, Vec<f32>)) -> Vec<f32> {
        let w = self.width();
        let mut out = vec![0.0; n * w];
        for (i, slot) in out.chunks_mut(w).enumerate() {
            let (cats, nums) = row(i);
            self.encode_into(&cats, &nums, slot);
        }
        out
    }

    fn encode_into(&self, cats: &[&str], nums: &[f32], out: &mut [f32]) {
        out.fill(0.0);
        out[0] = 1.0;
        let mut at = 1;
        for (o, v) in self.one_hot.iter().zip(cats) {
            out[at + o.slot(v)] = 1.0;
            at += o.width();
        }
        for (n, &x) in self.numeric.iter().zip(nums) {
            if x.is_finite() {
                out[at] = (x - n.mean) / n.std;
            } else {
                out[at + 1] = 1.0;
            }
            at += 2;
        }
    }
}

fn ln_pos(x: f64) -> f32 {
    if x.is_finite() && x > 0.0 { x.ln() as f32 } else { f32::NAN }
}

/// Audience numbers: the female share and the five age shares, and their squares (so that a
/// bilinear score can express "audiences alike" as −(a − b)², whose square terms are biases).
fn audience_numbers(a: &Audience, i: usize) -> [f32; 12] {
    let f = a.female_share[i];
    let ages: [f32; 5] = std::array::from_fn(|k| a.ages[k][i]);
    [
        f,
        ages[0],
        ages[1],
        ages[2],
        ages[3],
        ages[4],
        f * f,
        ages[0].powi(2),
        ages[1].powi(2),
        ages[2].powi(2),
        ages[3].powi(2),
        ages[4].powi(2),
    ]
}

const AUDIENCE_NAMES: [&str; 12] = [
    "female",
    "age_13_17",
    "age_18_24",
    "age_25_34",
    "age_35_44",
    "age_45_plus",
    "female_sq",
    "age_13_17_sq",
    "age_18_24_sq",
    "age_25_34_sq",
    "age_35_44_sq",
    "age_45_plus_sq",
];

const BRAND_NUMERIC: [&str; 1] = ["ln_budget"];

fn brand_row(b: &Brands, i: usize) -> ([&str; 2], Vec<f32>) {
    let mut nums = audience_numbers(&b.audience, i).to_vec();
    nums.push(ln_pos(b.budget[i]));
    ([b.category[i].as_str(), b.country[i].as_str()], nums)
}

pub fn fit_brands(b: &Brands) -> FeatureSpec {
    let rows: Vec<Vec<f32>> = (0..b.len()).map(|i| brand_row(b, i).1).collect();
    let names: Vec<&str> = AUDIENCE_NAMES.iter().chain(BRAND_NUMERIC.iter()).copied().collect();
    FeatureSpec {
        one_hot: vec![OneHot::fit("category", &b.category, 1, 64), OneHot::fit("country", &b.country, 5, 16)],
        numeric: fit_numeric(&names, &rows),
    }
}

pub fn encode_brands(spec: &FeatureSpec, b: &Brands) -> Vec<f32> {
    spec.encode_all(b.len(), |i| {
        let (cats, nums) = brand_row(b, i);
        (cats.to_vec(), nums)
    })
}

const INFLUENCER_NUMERIC: [&str; 7] = [
    "ln_followers",
    "ln_engagement_rate",
    "ln_views_per_follower",
    "ln_views_per_price",
    "sponsored_share",
    "ln_posts_per_week",
    "ln_price",
];

fn influencer_row(inf: &Influencers, i: usize) -> ([&str; 4], Vec<f32>) {
    let f = inf.followers[i];
    let views = inf.avg_views[i];
    let price = inf.price_per_post[i];
    let mut nums = vec![
        ln_pos(f),
        ln_pos(f64::from(inf.engagement_rate[i])),
        ln_pos(views / f),
        // Views bought per unit of money: the creator's cost efficiency, the inverse of its CPM.
        ln_pos(views / price),
        inf.sponsored_share[i],
        ln_pos(f64::from(inf.posts_per_week[i])),
        ln_pos(price),
    ];
    nums.extend_from_slice(&audience_numbers(&inf.audience, i));
    let tier = if f.is_finite() { Tier::of(f).as_str() } else { "" };
    ([inf.platform[i].as_str(), inf.category[i].as_str(), tier, inf.country[i].as_str()], nums)
}

pub fn fit_influencers(inf: &Influencers) -> FeatureSpec {
    let rows: Vec<Vec<f32>> = (0..inf.len()).map(|i| influencer_row(inf, i).1).collect();
    let tiers: Vec<String> = inf.followers.iter().map(|&f| Tier::of(f).as_str().to_string()).collect();
    let names: Vec<&str> = INFLUENCER_NUMERIC.iter().chain(AUDIENCE_NAMES.iter()).copied().collect();
    FeatureSpec {
        one_hot: vec![
            OneHot::fit("platform", &inf.platform, 1, 32),
            OneHot::fit("category", &inf.category, 1, 64),
            OneHot::fit("tier", &tiers, 1, 5),
            OneHot::fit("country", &inf.country, 5, 16),
        ],
        numeric: fit_numeric(&names, &rows),
    }
}

pub fn encode_influencers(spec: &FeatureSpec, inf: &Influencers) -> Vec<f32> {
    spec.encode_all(inf.len(), |i| {
        let (cats, nums) = influencer_row(inf, i);
        (cats.to_vec(), nums)
    })
}

fn fit_numeric(names: &[&str], rows: &[Vec<f32>]) -> Vec<Numeric> {
    names.iter().enumerate().map(|(k, n)| Numeric::fit(n, &rows.iter().map(|r| r[k]).collect::<Vec<_>>())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_is_one_hot_plus_standardised_numbers_with_missing_flags() {
        let b = Brands {
            id: vec!["a".into(), "b".into(), "c".into()],
            category: vec!["beauty".into(), "beauty".into(), "tech".into()],
            name: vec![String::new(); 3],
            country: vec!["CN".into(); 3],
            audience: Audience {
                female_share: vec![0.8, 0.6, f32::NAN],
                ages: std::array::from_fn(|_| vec![f32::NAN; 3]),
            },
            budget: vec![100.0, f64::NAN, 10_000.0],
        };
        let spec = fit_brands(&b);
        let x = encode_brands(&spec, &b);
        let w = spec.width();
        let labels = spec.labels();
        assert_eq!(labels.len(), w);
        let at = |name: &str| labels.iter().position(|l| l == name).unwrap();
        assert_eq!(x[at("bias")], 1.0);
        assert_eq!(x[at("category=beauty")], 1.0);
        assert_eq!(x[w + at("category=beauty")], 1.0);
        assert_eq!(x[2 * w + at("category=tech")], 1.0);
        // Country CN appears 3 times (< 5): it is not in the vocabulary and maps to "other".
        assert_eq!(x[at("country=other")], 1.0);
        // female: mean 0.7, std 0.1.
        assert!((x[at("female")] - 1.0).abs() < 1e-4 && (x[w + at("female")] + 1.0).abs() < 1e-4);
        assert_eq!((x[2 * w + at("female")], x[2 * w + at("female_missing")]), (0.0, 1.0));
        assert_eq!(x[w + at("ln_budget_missing")], 1.0);
    }
}
