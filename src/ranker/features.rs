//! The ranker's pair features: what a careful data scientist builds from the contract (category
//! match, audience overlap, country, platform, cost efficiency, engagement, reach, sponsored
//! share, posting rate, size) plus what only kolrec has (the retrieval score, the evidence behind
//! each embedding, outcome residuals, similar brands' outcomes with the creator), laid out as one
//! row per pair. The profile part is encoded once per creator and brand ([`Profiles`]); the
//! evidence part comes from [`super::evidence`].

use serde::{Deserialize, Serialize};

use crate::dataset::{Brands, Dataset, Influencers};
use crate::pipeline::Brief;

/// Code of a value the vocabulary does not hold (a country left empty, a category new since
/// training): a code no known value has, so "same" is false and a tree can split it off.
const UNKNOWN: u32 = u32::MAX;

/// The features, in row order: (name in files and reports, words for reasons).
pub const FEATURES: [(&str, &str); N] = [
    ("retrieval_score", "the inner-product model's score"),
    ("cost_efficiency", "impressions per unit cost"),
    ("brand_evidence", "the brand's campaign history"),
    ("creator_evidence", "the creator's campaign history"),
    ("brand_outcome", "the brand's past outcomes"),
    ("creator_outcome", "the creator's past outcomes"),
    ("similar_brands_outcome", "similar brands' outcomes with this creator"),
    ("similar_brands_weight", "how many similar brands tried this creator"),
    ("category_pair_outcome", "outcomes of this category pairing"),
    ("same_category", "category match"),
    ("brand_category", "the brand's category"),
    ("creator_category", "the creator's category"),
    ("female_share_gap", "audience gender gap"),
    ("age_gap", "audience age gap"),
    ("age_overlap", "audience age overlap"),
    ("same_country", "country match"),
    ("platform", "platform"),
    ("log10_followers", "follower count"),
    ("log_engagement_rate", "engagement rate"),
    ("log_views_per_follower", "views per follower"),
    ("sponsored_share", "sponsored share"),
    ("posts_per_week", "posting rate"),
    ("log_views_per_price", "quoted views per unit price"),
];
pub const N: usize = 23;

/// Row positions of the features the ranker's fit fills from evidence.
pub mod at {
    pub const RETRIEVAL: usize = 0;
    pub const COST: usize = 1;
    pub const BRAND_EVIDENCE: usize = 2;
    pub const CREATOR_EVIDENCE: usize = 3;
    pub const BRAND_OUTCOME: usize = 4;
    pub const CREATOR_OUTCOME: usize = 5;
    pub const SIMILAR_OUTCOME: usize = 6;
    pub const SIMILAR_WEIGHT: usize = 7;
    pub const CATEGORY_PAIR: usize = 8;
    /// The first profile feature.
    pub const PROFILE: usize = 9;
}

/// A creator's profile features, encoded.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct CreatorProfile {
    pub category: u32,
    pub platform: u32,
    pub country: u32,
    pub female_share: f32,
    pub ages: [f32; 5],
    pub log10_followers: f32,
    pub log_engagement_rate: f32,
    pub log_views_per_follower: f32,
    pub sponsored_share: f32,
    pub posts_per_week: f32,
    pub log_views_per_price: f32,
}

/// A brand's profile features, encoded.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct BrandProfile {
    pub category: u32,
    pub country: u32,
    pub female_share: f32,
    pub ages: [f32; 5],
}

/// Sorted distinct values of a column; a value's code is its position.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Vocabulary(pub Vec<String>);

impl Vocabulary {
    fn new<'a>(values: impl Iterator<Item = &'a String>) -> Vocabulary {
        let mut v: Vec<String> = values.filter(|s| !s.is_empty()).cloned().collect();
        v.sort_unstable();
        v.dedup();
        Vocabulary(v)
    }

    pub fn code(&self, value: &str) -> u32 {
        self.0.binary_search_by(|v| v.as_str().cmp(value)).map_or(UNKNOWN, |c| c as u32)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Every creator's and brand's profile, in the dataset's (= the model's) order, and the
/// vocabularies that encode new ones.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Profiles {
    pub categories: Vocabulary,
    pub platforms: Vocabulary,
    pub countries: Vocabulary,
    pub creators: Vec<CreatorProfile>,
    pub brands: Vec<BrandProfile>,
}

fn ln_pos(x: f64) -> f32 {
    if x.is_finite() && x > 0.0 { x.ln() as f32 } else { f32::NAN }
}

impl Profiles {
    pub fn build(ds: &Dataset) -> Profiles {
        let (b, i) = (&ds.brands, &ds.influencers);
        let mut p = Profiles {
            categories: Vocabulary::new(b.category.iter().chain(&i.category)),
            platforms: Vocabulary::new(i.platform.iter()),
            countries: Vocabulary::new(b.country.iter().chain(&i.country)),
            creators: Vec::new(),
            brands: Vec::new(),
        };
        p.creators = (0..i.len()).map(|k| p.creator(i, k)).collect();
        p.brands = (0..b.len()).map(|k| p.brand(b, k)).collect();
        p
    }

    /// Row `k` of a creators table, encoded with this model's vocabularies.
    pub fn creator(&self, inf: &Influencers, k: usize) -> CreatorProfile {
        let followers = inf.followers[k];
        CreatorProfile {
            category: self.categories.code(&inf.category[k]),
            platform: self.platforms.code(&inf.platform[k]),
            country: self.countries.code(&inf.country[k]),
            female_share: inf.audience.female_share[k],
            ages: std::array::from_fn(|a| inf.audience.ages[a][k]),
            log10_followers: if followers.is_finite() && followers > 0.0 { followers.log10() as f32 } else { f32::NAN },
            log_engagement_rate: ln_pos(f64::from(inf.engagement_rate[k])),
            log_views_per_follower: ln_pos(inf.avg_views[k] / followers),
            sponsored_share: inf.sponsored_share[k],
            posts_per_week: inf.posts_per_week[k],
            log_views_per_price: ln_pos(inf.avg_views[k] / inf.price_per_post[k]),
        }
    }

    /// Row `k` of a brands table, encoded.
    pub fn brand(&self, brands: &Brands, k: usize) -> BrandProfile {
        BrandProfile {
            category: self.categories.code(&brands.category[k]),
            country: self.countries.code(&brands.country[k]),
            female_share: brands.audience.female_share[k],
            ages: std::array::from_fn(|a| brands.audience.ages[a][k]),
        }
    }

    /// A brief, encoded as its brands-table row would be.
    pub fn brief(&self, brief: &Brief) -> BrandProfile {
        self.brand(&brief.as_brands(), 0)
    }
}

fn same(a: u32, b: u32) -> f32 {
    if a == UNKNOWN || b == UNKNOWN { f32::NAN } else { f32::from(u8::from(a == b)) }
}

fn code(c: u32) -> f32 {
    if c == UNKNOWN { f32::NAN } else { c as f32 }
}

/// Fill the profile part of a feature row (positions `at::PROFILE..`).
pub fn profile_part(row: &mut [f32; N], b: &BrandProfile, c: &CreatorProfile) {
    let ages_known = b.ages.iter().chain(&c.ages).all(|a| a.is_finite());
    let (gap, overlap) = if ages_known {
        (
            b.ages.iter().zip(&c.ages).map(|(x, y)| (x - y).abs()).sum(),
            b.ages.iter().zip(&c.ages).map(|(x, y)| x.min(*y)).sum(),
        )
    } else {
        (f32::NAN, f32::NAN)
    };
    let tail = [
        same(b.category, c.category),
        code(b.category),
        code(c.category),
        (b.female_share - c.female_share).abs(),
        gap,
        overlap,
        same(b.country, c.country),
        code(c.platform),
        c.log10_followers,
        c.log_engagement_rate,
        c.log_views_per_follower,
        c.sponsored_share,
        c.posts_per_week,
        c.log_views_per_price,
    ];
    row[at::PROFILE..].copy_from_slice(&tail);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_of_names_matches_the_row() {
        assert_eq!(FEATURES.len(), N);
        assert_eq!(FEATURES[at::PROFILE].0, "same_category");
        assert_eq!(FEATURES[at::SIMILAR_OUTCOME].0, "similar_brands_outcome");
        let names: std::collections::HashSet<&str> = FEATURES.iter().map(|f| f.0).collect();
        assert_eq!(names.len(), N, "feature names are unique");
    }

    #[test]
    fn audience_overlap_and_gaps_are_measured_and_unknowns_stay_unknown() {
        let b = BrandProfile { category: 1, country: 0, female_share: 0.8, ages: [0.0, 0.5, 0.5, 0.0, 0.0] };
        let c = CreatorProfile {
            category: 1,
            platform: 2,
            country: UNKNOWN,
            female_share: 0.6,
            ages: [0.0, 1.0, 0.0, 0.0, 0.0],
            log10_followers: 5.0,
            log_engagement_rate: -3.0,
            log_views_per_follower: -1.0,
            sponsored_share: 0.2,
            posts_per_week: 3.0,
            log_views_per_price: 2.0,
        };
        let mut row = [0.0f32; N];
        profile_part(&mut row, &b, &c);
        let get = |name: &str| row[FEATURES.iter().position(|f| f.0 == name).unwrap()];
        assert_eq!(get("same_category"), 1.0);
        assert!((get("female_share_gap") - 0.2).abs() < 1e-6);
        assert!((get("age_gap") - 1.0).abs() < 1e-6);
        assert!((get("age_overlap") - 0.5).abs() < 1e-6);
        assert!(get("same_country").is_nan(), "an unknown country is not a mismatch");
        assert_eq!(get("platform"), 2.0);
    }
}
