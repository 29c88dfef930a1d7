//! Filters marketers put on a query: the spec as given ([`FilterSpec`]), checked for values and
//! consistency, and compiled against one catalogue into a [`Filter`] whose `allows(i)` is the
//! whole rule. A brand's own past creators (`exclude_worked`) are added per brand by
//! [`Filter::for_brand`], so a batch over many brands compiles the shared part once.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::QueryError;
use crate::catalog::{Catalog, Interned};
use crate::tier::Tier;

/// What the marketer asked for, as given (IDs and names unchecked).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FilterSpec {
    #[serde(rename = "platform")]
    pub platforms: Vec<String>,
    #[serde(rename = "category")]
    pub categories: Vec<String>,
    #[serde(rename = "country")]
    pub countries: Vec<String>,
    #[serde(rename = "tier")]
    pub tiers: Vec<Tier>,
    pub min_followers: Option<f64>,
    /// Exclusive upper bound.
    pub max_followers: Option<f64>,
    /// Highest price per post; creators without a known price are left out.
    pub max_price: Option<f64>,
    /// Lowest engagement rate, as a share (0.03 = 3%).
    pub min_engagement: Option<f32>,
    /// Influencer IDs to leave out.
    pub exclude: Vec<String>,
    /// Leave out creators the brand already ran campaigns with.
    pub exclude_worked: bool,
}

impl FilterSpec {
    /// No attribute filter and no exclusion.
    pub fn is_empty(&self) -> bool {
        self.attributes_empty() && self.exclude.is_empty() && !self.exclude_worked
    }

    /// No attribute filter (exclusions aside).
    pub fn attributes_empty(&self) -> bool {
        self.platforms.is_empty()
            && self.categories.is_empty()
            && self.countries.is_empty()
            && self.tiers.is_empty()
            && self.min_followers.is_none()
            && self.max_followers.is_none()
            && self.max_price.is_none()
            && self.min_engagement.is_none()
    }

    /// Check the values and their consistency (before any scan).
    pub fn check(&self) -> Result<(), QueryError> {
        for (field, v) in [
            ("filters.min_followers", self.min_followers),
            ("filters.max_followers", self.max_followers),
            ("filters.max_price", self.max_price),
        ] {
            if let Some(v) = v.filter(|v| !v.is_finite() || *v < 0.0) {
                return Err(QueryError::invalid(field, format!("must be a number ≥ 0, got {v}")));
            }
        }
        if let Some(e) = self.min_engagement.filter(|r| !(r.is_finite() && (0.0..=1.0).contains(r))) {
            return Err(QueryError::invalid(
                "filters.min_engagement",
                format!("is a share between 0 and 1 (0.03 = 3%), got {e}"),
            ));
        }
        let (lo, hi) = self.follower_range();
        if lo >= hi {
            return Err(QueryError::contradictory(
                "filters.min_followers",
                format!("{lo} is not below the follower maximum {hi}"),
            ));
        }
        if !self.tiers.is_empty() && !self.tiers.iter().any(|t| overlaps(t.range(), (lo, hi))) {
            let names: Vec<&str> = self.tiers.iter().map(|t| t.as_str()).collect();
            return Err(QueryError::contradictory(
                "filters.tier",
                format!("{} lies outside the follower range {lo}–{hi}", names.join("/")),
            ));
        }
        Ok(())
    }

    fn follower_range(&self) -> (f64, f64) {
        (self.min_followers.unwrap_or(0.0), self.max_followers.unwrap_or(f64::INFINITY))
    }

    /// A short description, for "the filters leave no creator (…)".
    pub fn describe(&self) -> String {
        let mut p = Vec::new();
        let list = |name: &str, v: &[String]| (!v.is_empty()).then(|| format!("{name} {}", v.join("/")));
        p.extend(list("platform", &self.platforms));
        p.extend(list("category", &self.categories));
        p.extend(list("country", &self.countries));
        if !self.tiers.is_empty() {
            p.push(format!("tier {}", self.tiers.iter().map(|t| t.as_str()).collect::<Vec<_>>().join("/")));
        }
        if let Some(v) = self.min_followers {
            p.push(format!("followers ≥ {v}"));
        }
        if let Some(v) = self.max_followers {
            p.push(format!("followers < {v}"));
        }
        if let Some(v) = self.max_price {
            p.push(format!("price ≤ {v}"));
        }
        if let Some(v) = self.min_engagement {
            p.push(format!("engagement ≥ {v}"));
        }
        if !self.exclude.is_empty() {
            p.push(format!("{} excluded", self.exclude.len()));
        }
        if self.exclude_worked {
            p.push("past creators excluded".into());
        }
        if p.is_empty() { "no filter".into() } else { p.join(", ") }
    }
}

fn overlaps(a: (f64, f64), b: (f64, f64)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// A checked filter over the creators of one catalogue: an attribute mask (none: every creator)
/// with the list of the creators it allows (so a scan of a selective filter visits only those,
/// the way a payload index answers), and a sorted list of further exclusions.
#[derive(Clone, Debug)]
pub struct Filter {
    /// Creators in the catalogue.
    n: usize,
    mask: Option<Arc<Vec<bool>>>,
    /// The rows `mask` allows, ascending (present exactly when `mask` is).
    rows: Option<Arc<Vec<u32>>>,
    /// Sorted, unique, each allowed by `mask`.
    excluded: Vec<u32>,
    allowed: usize,
    /// Whether the spec asked to leave out the brand's past creators.
    exclude_worked: bool,
}

impl Filter {
    /// Every one of `n` creators.
    pub fn all(n: usize) -> Filter {
        Filter { n, mask: None, rows: None, excluded: Vec::new(), allowed: n, exclude_worked: false }
    }

    /// Exactly the creators whose entry is `true`.
    pub fn from_mask(mask: Vec<bool>) -> Filter {
        let rows: Vec<u32> = (0..mask.len() as u32).filter(|&i| mask[i as usize]).collect();
        Filter {
            n: mask.len(),
            allowed: rows.len(),
            mask: Some(Arc::new(mask)),
            rows: Some(Arc::new(rows)),
            excluded: Vec::new(),
            exclude_worked: false,
        }
    }

    /// Compile `spec`'s attribute filters and excluded IDs against `catalog` (whose creators
    /// `ids` maps to rows). The brand's past creators are added by [`Filter::for_brand`].
    pub fn compile(spec: &FilterSpec, catalog: &Catalog, ids: &HashMap<String, u32>) -> Result<Filter, QueryError> {
        Filter::attributes(spec, catalog)?.with_exclusions(spec, ids)
    }

    /// The attribute part of `spec` alone (no exclusion): what a cache of compiled filters keeps,
    /// since it costs a pass over every creator while the exclusions cost their own length.
    pub fn attributes(spec: &FilterSpec, catalog: &Catalog) -> Result<Filter, QueryError> {
        spec.check()?;
        let c = &catalog.influencers;
        let n = catalog.len();
        let mut f = Filter::all(n);
        f.exclude_worked = spec.exclude_worked;
        if !spec.attributes_empty() {
            // Each named value becomes a code of the interned column; an unknown name is an
            // error, not an empty result, so a typo ("douyn") is caught.
            let codes = |field: &'static str, wanted: &[String], col: &Interned, norm: fn(&str) -> String| {
                let mut keep = vec![wanted.is_empty(); col.values.len()];
                for w in wanted {
                    let code = col.code(&norm(w)).ok_or_else(|| {
                        QueryError::unknown(
                            field,
                            format!("'{w}': no creator has it (known: {})", col.values.join(", ")),
                        )
                    })?;
                    keep[code as usize] = true;
                }
                Ok::<Vec<bool>, QueryError>(keep)
            };
            let platforms = codes("filters.platform", &spec.platforms, &c.platform, |s| s.trim().to_lowercase())?;
            let categories = codes("filters.category", &spec.categories, &c.category, |s| s.trim().to_lowercase())?;
            let countries = codes("filters.country", &spec.countries, &c.country, |s| s.trim().to_uppercase())?;
            let (lo, hi) = spec.follower_range();
            let mask: Vec<bool> = (0..n)
                .map(|i| {
                    let fol = c.followers[i];
                    platforms[c.platform.codes[i] as usize]
                        && categories[c.category.codes[i] as usize]
                        && countries[c.country.codes[i] as usize]
                        && fol >= lo
                        && fol < hi
                        && (spec.tiers.is_empty() || spec.tiers.contains(&Tier::of(fol)))
                        && spec.max_price.is_none_or(|p| c.price_per_post[i] <= p)
                        && spec.min_engagement.is_none_or(|r| c.engagement_rate[i] >= r)
                })
                .collect();
            f = Filter { exclude_worked: f.exclude_worked, ..Filter::from_mask(mask) };
        }
        Ok(f)
    }

    /// This filter with `spec`'s excluded IDs (rows by `ids`) and its `exclude_worked` flag.
    pub fn with_exclusions(self, spec: &FilterSpec, ids: &HashMap<String, u32>) -> Result<Filter, QueryError> {
        let mut f = Filter { exclude_worked: spec.exclude_worked, ..self };
        if !spec.exclude.is_empty() {
            let mut rows = Vec::with_capacity(spec.exclude.len());
            for id in &spec.exclude {
                let row = ids.get(id.as_str()).ok_or_else(|| {
                    QueryError::unknown("filters.exclude", format!("'{id}' is not a creator of the model"))
                })?;
                rows.push(*row);
            }
            f = f.excluding(rows);
        }
        Ok(f)
    }

    /// This filter for one brand: its past creators left out when the spec asked for it
    /// (`brand` is the brand's model row; `None` for a brief or a brand new since training).
    pub fn for_brand(&self, catalog: &Catalog, brand: Option<usize>) -> Result<Filter, QueryError> {
        if self.exclude_worked && brand.is_none() {
            return Err(QueryError::contradictory(
                "filters.exclude_worked",
                "needs a trained brand; a brief has no history",
            ));
        }
        Ok(self.with_history(catalog, brand))
    }

    /// [`Filter::for_brand`] for a batch, where a brand without history has nothing to leave out.
    pub fn with_history(&self, catalog: &Catalog, brand: Option<usize>) -> Filter {
        match brand {
            Some(b) if self.exclude_worked => self.excluding(catalog.worked_with(b).iter().copied()),
            _ => self.clone(),
        }
    }

    /// This filter, with `items` also left out.
    pub fn excluding(&self, items: impl IntoIterator<Item = u32>) -> Filter {
        let mut excluded = self.excluded.clone();
        excluded.extend(items.into_iter().filter(|&i| self.mask_allows(i)));
        excluded.sort_unstable();
        excluded.dedup();
        let allowed = self.allowed - (excluded.len() - self.excluded.len());
        Filter {
            n: self.n,
            mask: self.mask.clone(),
            rows: self.rows.clone(),
            excluded,
            allowed,
            exclude_worked: self.exclude_worked,
        }
    }

    /// Every allowed creator, ascending: the mask's rows (or all) with the exclusions skipped by
    /// a merge, never a test of every creator of the catalogue.
    pub fn for_each_allowed(&self, mut f: impl FnMut(u32)) {
        let mut ex = self.excluded.iter().copied().peekable();
        let mut visit = |i: u32| {
            while ex.next_if(|&e| e < i).is_some() {}
            if ex.peek() != Some(&i) {
                f(i);
            }
        };
        match &self.rows {
            Some(rows) => rows.iter().copied().for_each(&mut visit),
            None => (0..self.n as u32).for_each(&mut visit),
        }
    }

    fn mask_allows(&self, i: u32) -> bool {
        (i as usize) < self.n && self.mask.as_ref().is_none_or(|m| m[i as usize])
    }

    pub fn allows(&self, i: u32) -> bool {
        self.mask_allows(i) && self.excluded.binary_search(&i).is_err()
    }

    /// No creator is left out.
    pub fn is_all(&self) -> bool {
        self.mask.is_none() && self.excluded.is_empty()
    }

    /// Creators the filter allows.
    pub fn allowed(&self) -> usize {
        self.allowed
    }

    /// An error naming the filters when they leave nothing.
    pub fn non_empty(self, spec: &FilterSpec) -> Result<Filter, QueryError> {
        if self.allowed == 0 {
            return Err(QueryError {
                field: "filters",
                kind: super::ProblemKind::NothingLeft,
                problem: format!("leave no creator to recommend ({})", spec.describe()),
            });
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusions_count_once_and_only_inside_the_mask() {
        let f = Filter::from_mask(vec![true, false, true, true, true]);
        assert_eq!(f.allowed(), 4);
        let g = f.excluding([1, 2, 2, 4]);
        // 1 was not allowed anyway; 2 is listed twice.
        assert_eq!(g.allowed(), 2);
        assert_eq!((0..5).filter(|&i| g.allows(i)).collect::<Vec<_>>(), vec![0, 3]);
        let h = g.excluding([0, 4]);
        assert_eq!(h.allowed(), 1);
        assert!(!Filter::all(3).excluding([5]).allows(5) && Filter::all(3).excluding([5]).allowed() == 3);
    }

    #[test]
    fn the_allowed_walk_is_the_allows_test_in_order() {
        let mask: Vec<bool> = (0..50).map(|i| i % 3 != 0).collect();
        for f in [Filter::from_mask(mask), Filter::all(40)] {
            let g = f.excluding([1, 2, 3, 30, 31, 39, 49, 70]);
            let mut walked = Vec::new();
            g.for_each_allowed(|i| walked.push(i));
            let tested: Vec<u32> = (0..60).filter(|&i| g.allows(i)).collect();
            assert_eq!(walked, tested);
            assert_eq!(walked.len(), g.allowed());
        }
    }

    #[test]
    fn spec_errors_name_their_field() {
        let cases: Vec<(FilterSpec, &str)> = vec![
            (FilterSpec { max_price: Some(-1.0), ..Default::default() }, "filters.max_price must be a number"),
            (FilterSpec { min_followers: Some(f64::NAN), ..Default::default() }, "filters.min_followers must be"),
            (FilterSpec { max_followers: Some(f64::INFINITY), ..Default::default() }, "filters.max_followers must"),
            (FilterSpec { min_engagement: Some(3.0), ..Default::default() }, "filters.min_engagement is a share"),
            (
                FilterSpec { min_followers: Some(5e4), max_followers: Some(1e4), ..Default::default() },
                "filters.min_followers 50000 is not below the follower maximum 10000",
            ),
            (
                FilterSpec { tiers: vec![Tier::Mega], max_followers: Some(1e5), ..Default::default() },
                "filters.tier mega lies outside",
            ),
        ];
        for (spec, want) in cases {
            let e = spec.check().unwrap_err();
            assert!(e.to_string().starts_with(want), "{e} does not start with {want}");
            assert!(e.to_string().starts_with(e.field));
        }
    }

    #[test]
    fn a_spec_reads_from_json_and_refuses_unknown_fields() {
        let s: FilterSpec =
            serde_json::from_str(r#"{"platform": ["douyin"], "tier": ["micro"], "max_price": 300}"#).unwrap();
        assert_eq!(s.platforms, vec!["douyin"]);
        assert_eq!(s.tiers, vec![Tier::Micro]);
        assert_eq!(s.max_price, Some(300.0));
        let e = serde_json::from_str::<FilterSpec>(r#"{"platfrom": ["douyin"]}"#).unwrap_err().to_string();
        assert!(e.contains("unknown field `platfrom`"), "{e}");
    }
}
