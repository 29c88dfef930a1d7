//! The serving catalogue: what recommending needs to know about every creator and brand besides
//! their vectors — the fields marketers filter on and read, past outcomes for the reasons, and who
//! already worked with whom. Saved next to the model as `catalog.bin`, aligned with its IDs.

use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::tier::Tier;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Catalog {
    pub influencers: Creators,
    pub brands: BrandInfo,
    /// Per brand, the creators it ran campaigns with in training (sorted, unique): CSR.
    pub worked_indptr: Vec<u64>,
    pub worked_with: Vec<u32>,
    /// Market CTR (clicks per impression) over the training rows that measure clicks.
    pub market_ctr: f64,
    /// Median quoted CPM (price per post per 1,000 average views) over creators with a quote.
    pub median_quote_cpm: f64,
    /// Median engagement rate per platform (sorted by platform), for "2× its platform's median".
    pub platform_engagement: Vec<(String, f32)>,
}

/// Creator fields, one entry per creator in the model's order.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Creators {
    pub id: Vec<String>,
    pub handle: Vec<String>,
    pub platform: Interned,
    pub category: Interned,
    pub country: Interned,
    pub followers: Vec<f64>,
    /// `NaN` where unknown.
    pub price_per_post: Vec<f64>,
    pub avg_views: Vec<f64>,
    /// `NaN` where unknown.
    pub engagement_rate: Vec<f32>,
    /// Training campaigns, and their totals (for the creator's own CTR and CPM).
    pub campaigns: Vec<u32>,
    pub cost: Vec<f64>,
    pub impressions: Vec<f64>,
    pub clicks: Vec<f64>,
    pub impressions_with_clicks: Vec<f64>,
}

/// A string column as codes into its sorted distinct values: filters compare integers.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Interned {
    pub values: Vec<String>,
    pub codes: Vec<u32>,
}

impl Interned {
    pub fn new(column: &[String]) -> Interned {
        let mut values: Vec<String> = column.to_vec();
        values.sort_unstable();
        values.dedup();
        let codes =
            column.iter().map(|v| values.binary_search(v).expect("value is in the vocabulary") as u32).collect();
        Interned { values, codes }
    }

    pub fn get(&self, i: usize) -> &str {
        &self.values[self.codes[i] as usize]
    }

    pub fn code(&self, value: &str) -> Option<u32> {
        self.values.binary_search_by(|v| v.as_str().cmp(value)).ok().map(|c| c as u32)
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct BrandInfo {
    pub id: Vec<String>,
    pub name: Vec<String>,
    pub category: Vec<String>,
    pub country: Vec<String>,
}

impl Catalog {
    /// Whether every per-creator and per-brand array has one entry each, every code is in its
    /// vocabulary and the worked-with lists are well formed: a decoded file's must not send a
    /// query out of bounds.
    pub fn check_shape(&self) -> Result<(), String> {
        let c = &self.influencers;
        let n = c.id.len();
        let nb = self.brands.id.len();
        let sizes = [
            ("handle", c.handle.len(), n),
            ("platform", c.platform.codes.len(), n),
            ("category", c.category.codes.len(), n),
            ("country", c.country.codes.len(), n),
            ("followers", c.followers.len(), n),
            ("price_per_post", c.price_per_post.len(), n),
            ("avg_views", c.avg_views.len(), n),
            ("engagement_rate", c.engagement_rate.len(), n),
            ("campaigns", c.campaigns.len(), n),
            ("cost", c.cost.len(), n),
            ("impressions", c.impressions.len(), n),
            ("clicks", c.clicks.len(), n),
            ("impressions_with_clicks", c.impressions_with_clicks.len(), n),
            ("brand name", self.brands.name.len(), nb),
            ("brand category", self.brands.category.len(), nb),
            ("brand country", self.brands.country.len(), nb),
            ("worked_indptr", self.worked_indptr.len(), nb + 1),
        ];
        if let Some((name, got, need)) = sizes.iter().find(|(_, got, need)| got != need) {
            return Err(format!("{name} holds {got} values where the catalogue needs {need}"));
        }
        for (name, col) in [("platform", &c.platform), ("category", &c.category), ("country", &c.country)] {
            if col.codes.iter().any(|&k| k as usize >= col.values.len()) {
                return Err(format!("a {name} code lies outside its {} values", col.values.len()));
            }
        }
        let ok = self.worked_indptr.first() == Some(&0)
            && self.worked_indptr.windows(2).all(|w| w[0] <= w[1])
            && self.worked_indptr.last().is_some_and(|&l| l as usize == self.worked_with.len());
        if !ok {
            return Err("worked_indptr does not run from 0 up to the number of entries".into());
        }
        match self.worked_with.iter().find(|&&i| i as usize >= n) {
            Some(i) => Err(format!("worked_with names creator {i} of {n}")),
            None => Ok(()),
        }
    }

    /// Build from the dataset and the campaign rows the model was trained on.
    pub fn build(ds: &Dataset, rows: &[usize]) -> Catalog {
        let inf = &ds.influencers;
        let c = &ds.campaigns;
        let n = inf.len();
        let mut cr = Creators {
            id: inf.id.clone(),
            handle: inf.handle.clone(),
            platform: Interned::new(&inf.platform),
            category: Interned::new(&inf.category),
            country: Interned::new(&inf.country),
            followers: inf.followers.clone(),
            price_per_post: inf.price_per_post.clone(),
            avg_views: inf.avg_views.clone(),
            engagement_rate: inf.engagement_rate.clone(),
            campaigns: vec![0; n],
            cost: vec![0.0; n],
            impressions: vec![0.0; n],
            clicks: vec![0.0; n],
            impressions_with_clicks: vec![0.0; n],
        };
        let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(rows.len());
        for &r in rows {
            let i = c.influencer[r] as usize;
            cr.campaigns[i] += 1;
            cr.cost[i] += c.cost[r];
            cr.impressions[i] += c.impressions[r];
            if c.clicks[r].is_finite() {
                cr.clicks[i] += c.clicks[r];
                cr.impressions_with_clicks[i] += c.impressions[r];
            }
            pairs.push((c.brand[r], c.influencer[r]));
        }
        pairs.sort_unstable();
        pairs.dedup();
        let nb = ds.brands.len();
        let mut worked_indptr = vec![0u64; nb + 1];
        for &(b, _) in &pairs {
            worked_indptr[b as usize + 1] += 1;
        }
        for b in 0..nb {
            worked_indptr[b + 1] += worked_indptr[b];
        }
        let t = c.totals(rows.iter().copied());
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
        let mut cat = Catalog {
            influencers: cr,
            brands: BrandInfo {
                id: ds.brands.id.clone(),
                name: ds.brands.name.clone(),
                category: ds.brands.category.clone(),
                country: ds.brands.country.clone(),
            },
            worked_indptr,
            worked_with: pairs.into_iter().map(|(_, i)| i).collect(),
            market_ctr: ratio(t.clicks, t.impressions_with_clicks),
            platform_engagement: platform_medians(&inf.platform, &inf.engagement_rate),
            median_quote_cpm: f64::NAN,
        };
        let mut quotes: Vec<f64> = (0..n).filter_map(|i| cat.quoted_cpm(i)).collect();
        quotes.sort_by(f64::total_cmp);
        cat.median_quote_cpm = quotes.get(quotes.len() / 2).copied().unwrap_or(f64::NAN);
        cat
    }

    pub fn len(&self) -> usize {
        self.influencers.id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Creators the brand worked with in training.
    pub fn worked_with(&self, brand: usize) -> &[u32] {
        &self.worked_with[self.worked_indptr[brand] as usize..self.worked_indptr[brand + 1] as usize]
    }

    pub fn tier(&self, i: usize) -> Tier {
        Tier::of(self.influencers.followers[i])
    }

    pub fn platform_median_engagement(&self, platform: &str) -> Option<f32> {
        // Sorted by platform at build time.
        self.platform_engagement
            .binary_search_by(|(p, _)| p.as_str().cmp(platform))
            .ok()
            .map(|k| self.platform_engagement[k].1)
    }

    /// The creator's own CTR over its training campaigns that measured clicks.
    pub fn ctr(&self, i: usize) -> Option<f64> {
        let c = &self.influencers;
        (c.impressions_with_clicks[i] > 0.0).then(|| c.clicks[i] / c.impressions_with_clicks[i])
    }

    /// CPM of the creator's quote (price per post per 1,000 average views).
    pub fn quoted_cpm(&self, i: usize) -> Option<f64> {
        let c = &self.influencers;
        let (p, v) = (c.price_per_post[i], c.avg_views[i]);
        (p.is_finite() && p > 0.0 && v.is_finite() && v > 0.0).then(|| 1000.0 * p / v)
    }
}

fn platform_medians(platform: &[String], rate: &[f32]) -> Vec<(String, f32)> {
    let mut by: std::collections::BTreeMap<&str, Vec<f32>> = Default::default();
    for (p, r) in platform.iter().zip(rate) {
        if r.is_finite() {
            by.entry(p.as_str()).or_default().push(*r);
        }
    }
    by.into_iter()
        .map(|(p, mut v)| {
            v.sort_by(f32::total_cmp);
            (p.to_string(), v[v.len() / 2])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interned_columns_round_trip() {
        let col: Vec<String> = ["douyin", "bilibili", "douyin"].iter().map(|s| s.to_string()).collect();
        let t = Interned::new(&col);
        assert_eq!(t.values, vec!["bilibili", "douyin"]);
        assert_eq!((0..3).map(|i| t.get(i)).collect::<Vec<_>>(), vec!["douyin", "bilibili", "douyin"]);
        assert_eq!((t.code("douyin"), t.code("weibo")), (Some(1), None));
    }

    #[test]
    fn platform_medians_ignore_missing_rates() {
        // Counted, the two NaNs would sort last and move a's median from 0.3 to 0.5; b's only
        // rate is missing, so b has no median at all.
        let p: Vec<String> = ["a", "b", "a", "a", "a", "a", "c"].iter().map(|s| s.to_string()).collect();
        let m = platform_medians(&p, &[0.1, f32::NAN, f32::NAN, 0.3, f32::NAN, 0.5, 0.2]);
        assert_eq!(m, vec![("a".to_string(), 0.3), ("c".to_string(), 0.2)]);
    }
}
