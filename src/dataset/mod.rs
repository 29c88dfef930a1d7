//! The typed dataset: the four tables of the data contract as columns (`load` reads and
//! validates them from files; `sheet` is the validation engine, `tables` the per-table parsers).

mod load;
mod sheet;
mod tables;

pub use load::{DataError, LoadOptions, LoadReport, Rejected, TableStats, load, load_influencers, write_rejected};

use std::collections::HashMap;

use crate::contract::Objective;

/// Date value for "no date" in a `Vec<i32>` of days since 1970-01-01.
pub const NO_DATE: i32 = i32::MIN;

/// Audience demographics; `NaN` where unknown.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Audience {
    pub female_share: Vec<f32>,
    /// The five age buckets of [`AGE_BUCKETS`], in order.
    pub ages: [Vec<f32>; 5],
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Brands {
    pub id: Vec<String>,
    pub category: Vec<String>,
    /// Empty string where unknown.
    pub name: Vec<String>,
    pub country: Vec<String>,
    pub audience: Audience,
    /// `NaN` where unknown.
    pub budget: Vec<f64>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Influencers {
    pub id: Vec<String>,
    /// Lower-cased platform name.
    pub platform: Vec<String>,
    pub category: Vec<String>,
    pub followers: Vec<f64>,
    pub handle: Vec<String>,
    pub country: Vec<String>,
    pub avg_views: Vec<f64>,
    pub engagement_rate: Vec<f32>,
    pub posts_per_week: Vec<f32>,
    pub sponsored_share: Vec<f32>,
    pub price_per_post: Vec<f64>,
    pub audience: Audience,
}

/// Historical campaign outcomes, one row per brand–influencer post. `brand` and `influencer`
/// index into [`Brands`] and [`Influencers`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Campaigns {
    pub brand: Vec<u32>,
    pub influencer: Vec<u32>,
    pub date: Vec<i32>,
    pub cost: Vec<f64>,
    pub impressions: Vec<f64>,
    pub campaign_id: Vec<String>,
    pub objective: Vec<Option<Objective>>,
    pub clicks: Vec<f64>,
    pub engagements: Vec<f64>,
    pub conversions: Vec<f64>,
    pub revenue: Vec<f64>,
}

/// Follower snapshots, sorted by influencer then date. Per-period counts are `NaN` where unknown.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshots {
    pub influencer: Vec<u32>,
    pub date: Vec<i32>,
    pub followers: Vec<f64>,
    pub views: Vec<f64>,
    pub likes: Vec<f64>,
    pub posts: Vec<f64>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dataset {
    pub brands: Brands,
    pub influencers: Influencers,
    pub campaigns: Campaigns,
    pub snapshots: Snapshots,
}

impl Brands {
    pub fn len(&self) -> usize {
        self.id.len()
    }
    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }
    pub fn index(&self) -> HashMap<&str, u32> {
        id_index(&self.id)
    }
}

impl Influencers {
    pub fn len(&self) -> usize {
        self.id.len()
    }
    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }
    pub fn index(&self) -> HashMap<&str, u32> {
        id_index(&self.id)
    }

    /// Append a creator known only by ID, platform, category and followers; every optional field
    /// is unknown (`NaN` or empty).
    pub fn push_basic(&mut self, id: &str, platform: &str, category: &str, followers: f64) {
        self.id.push(id.into());
        self.platform.push(platform.into());
        self.category.push(category.into());
        self.followers.push(followers);
        self.handle.push(String::new());
        self.country.push(String::new());
        self.avg_views.push(f64::NAN);
        self.engagement_rate.push(f32::NAN);
        self.posts_per_week.push(f32::NAN);
        self.sponsored_share.push(f32::NAN);
        self.price_per_post.push(f64::NAN);
        self.audience.female_share.push(f32::NAN);
        for a in &mut self.audience.ages {
            a.push(f32::NAN);
        }
    }

    /// Append row `i` of `other`.
    pub fn push_from(&mut self, other: &Influencers, i: usize) {
        self.push_basic(&other.id[i], &other.platform[i], &other.category[i], other.followers[i]);
        let last = self.len() - 1;
        self.handle[last].clone_from(&other.handle[i]);
        self.country[last].clone_from(&other.country[i]);
        self.avg_views[last] = other.avg_views[i];
        self.engagement_rate[last] = other.engagement_rate[i];
        self.posts_per_week[last] = other.posts_per_week[i];
        self.sponsored_share[last] = other.sponsored_share[i];
        self.price_per_post[last] = other.price_per_post[i];
        self.audience.female_share[last] = other.audience.female_share[i];
        for (a, b) in self.audience.ages.iter_mut().zip(&other.audience.ages) {
            a[last] = b[i];
        }
    }
}

impl Campaigns {
    pub fn len(&self) -> usize {
        self.brand.len()
    }
    pub fn is_empty(&self) -> bool {
        self.brand.is_empty()
    }
}

/// Sums of campaign outcomes over a set of rows, each rate's numerator and denominator taken over
/// the rows that report both (a row without clicks says nothing about CTR).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Totals {
    pub cost: f64,
    pub impressions: f64,
    /// Clicks, and the impressions of the rows that report clicks.
    pub clicks: f64,
    pub impressions_with_clicks: f64,
    /// Conversions, and the impressions of the rows that report conversions.
    pub conversions: f64,
    pub impressions_with_conversions: f64,
    /// Conversions and clicks over the rows that report both.
    pub conversions_with_clicks: f64,
    pub clicks_with_conversions: f64,
    /// Revenue, and the conversions of the rows that report both.
    pub revenue: f64,
    pub conversions_with_revenue: f64,
}

impl Campaigns {
    pub fn totals(&self, rows: impl Iterator<Item = usize>) -> Totals {
        let mut t = Totals::default();
        for r in rows {
            t.cost += self.cost[r];
            t.impressions += self.impressions[r];
            let (clicks, conv) = (self.clicks[r], self.conversions[r]);
            if clicks.is_finite() {
                t.clicks += clicks;
                t.impressions_with_clicks += self.impressions[r];
            }
            if conv.is_finite() {
                t.conversions += conv;
                t.impressions_with_conversions += self.impressions[r];
                if clicks.is_finite() {
                    t.conversions_with_clicks += conv;
                    t.clicks_with_conversions += clicks;
                }
                if self.revenue[r].is_finite() {
                    t.revenue += self.revenue[r];
                    t.conversions_with_revenue += conv;
                }
            }
        }
        t
    }
}

impl Snapshots {
    pub fn len(&self) -> usize {
        self.influencer.len()
    }

    /// The latest snapshot date (`None` without snapshots): the default as-of date.
    pub fn last_date(&self) -> Option<i32> {
        self.date.iter().max().copied()
    }
    pub fn is_empty(&self) -> bool {
        self.influencer.is_empty()
    }
}

/// Bytes a column holds on the heap (capacity, and the text of strings).
pub trait HeapBytes {
    fn heap_bytes(&self) -> usize;
}

macro_rules! plain_heap_bytes {
    ($($t:ty),*) => {$(
        impl HeapBytes for Vec<$t> {
            fn heap_bytes(&self) -> usize {
                self.capacity() * std::mem::size_of::<$t>()
            }
        }
    )*};
}
plain_heap_bytes!(f64, f32, u32, i32, Option<Objective>);

impl HeapBytes for Vec<String> {
    fn heap_bytes(&self) -> usize {
        self.capacity() * std::mem::size_of::<String>() + self.iter().map(String::capacity).sum::<usize>()
    }
}

/// The column-wise operations a loader needs on a table of `Vec` columns: append a batch, keep
/// the rows that passed, reserve room for the rows to come, and measure the heap.
macro_rules! columns {
    ($ty:ident { $($col:ident),* } $(+ $aud:ident)?) => {
        impl $ty {
            pub(crate) fn append(&mut self, mut other: $ty) {
                $(self.$col.append(&mut other.$col);)*
                $(self.$aud.append(other.$aud);)?
            }
            pub(crate) fn retain_rows(&mut self, keep: &[bool]) {
                $(retain(&mut self.$col, keep);)*
                $(self.$aud.retain_rows(keep);)?
            }
            pub(crate) fn reserve(&mut self, rows: usize) {
                $(self.$col.reserve(rows);)*
                $(self.$aud.reserve(rows);)?
            }
            pub fn heap_bytes(&self) -> usize {
                0 $(+ self.$col.heap_bytes())* $(+ self.$aud.heap_bytes())?
            }
        }
    };
}

impl Audience {
    fn append(&mut self, mut other: Audience) {
        self.female_share.append(&mut other.female_share);
        for (a, b) in self.ages.iter_mut().zip(other.ages.iter_mut()) {
            a.append(b);
        }
    }
    fn retain_rows(&mut self, keep: &[bool]) {
        retain(&mut self.female_share, keep);
        self.ages.iter_mut().for_each(|a| retain(a, keep));
    }
    fn reserve(&mut self, rows: usize) {
        self.female_share.reserve(rows);
        self.ages.iter_mut().for_each(|a| a.reserve(rows));
    }
    fn heap_bytes(&self) -> usize {
        self.female_share.heap_bytes() + self.ages.iter().map(|a| a.heap_bytes()).sum::<usize>()
    }
}

columns!(Brands { id, category, name, country, budget } + audience);
columns!(
    Influencers {
        id,
        platform,
        category,
        followers,
        handle,
        country,
        avg_views,
        engagement_rate,
        posts_per_week,
        sponsored_share,
        price_per_post
    } + audience
);
columns!(Campaigns {
    brand,
    influencer,
    date,
    cost,
    impressions,
    campaign_id,
    objective,
    clicks,
    engagements,
    conversions,
    revenue
});
columns!(Snapshots { influencer, date, followers, views, likes, posts });

impl Dataset {
    /// Bytes the typed columns hold: what a load must at least keep in memory.
    pub fn heap_bytes(&self) -> usize {
        self.brands.heap_bytes()
            + self.influencers.heap_bytes()
            + self.campaigns.heap_bytes()
            + self.snapshots.heap_bytes()
    }
}

/// Keep the elements whose `keep` is true, in place.
pub(crate) fn retain<T>(v: &mut Vec<T>, keep: &[bool]) {
    let mut i = 0;
    v.retain(|_| {
        let k = keep[i];
        i += 1;
        k
    });
}

pub(crate) fn id_index(ids: &[String]) -> HashMap<&str, u32> {
    ids.iter().enumerate().map(|(i, s)| (s.as_str(), i as u32)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_take_each_rate_over_the_rows_that_report_it() {
        let nan = f64::NAN;
        let c = Campaigns {
            brand: vec![0; 3],
            influencer: vec![0; 3],
            date: vec![0; 3],
            cost: vec![10.0, 20.0, 30.0],
            impressions: vec![1000.0, 2000.0, 3000.0],
            campaign_id: vec![String::new(); 3],
            objective: vec![None; 3],
            clicks: vec![10.0, nan, 30.0],
            engagements: vec![nan; 3],
            conversions: vec![1.0, 2.0, nan],
            revenue: vec![50.0, nan, nan],
        };
        let t = c.totals(0..3);
        assert_eq!((t.cost, t.impressions), (60.0, 6000.0));
        assert_eq!((t.clicks, t.impressions_with_clicks), (40.0, 4000.0));
        assert_eq!((t.conversions, t.impressions_with_conversions), (3.0, 3000.0));
        assert_eq!((t.conversions_with_clicks, t.clicks_with_conversions), (1.0, 10.0));
        assert_eq!((t.revenue, t.conversions_with_revenue), (50.0, 1.0));
        assert_eq!(c.totals([2].into_iter()).clicks, 30.0);
    }
}
