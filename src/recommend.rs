//! Serving: the top-k creators for a brand (a trained brand, or a new one described by a brief)
//! under the filters marketers use, lookalike creators, and the short reason shown with each.
//!
//! The path is chosen per query, as qdrant does: no filter → the HNSW index; a filter that leaves
//! fewer than `exact_below` creators → an exact scan of exactly those; otherwise the index with the
//! filter applied during the graph search, falling back to the exact scan if it comes back short.
//! Every returned score is recomputed exactly as the model's inner product.

use std::collections::HashSet;

use serde::Serialize;

use crate::affinity::{AffinityModel, dot};
use crate::catalog::{Catalog, Interned};
use crate::dataset::{Audience, Brands};
use crate::index::{ExactIndex, Hit, HnswIndex, MipsIndex, better};
use crate::tier::Tier;

/// Largest `k` served in one query.
pub const MAX_K: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("k must be at least 1")]
    ZeroK,
    #[error("k = {0} is too large: at most {MAX_K}")]
    HugeK(usize),
    #[error(
        "unknown brand '{0}': not in the model; describe a new brand with --brief-category (and --brief-country, --brief-female-share, --brief-ages)"
    )]
    UnknownBrand(String),
    #[error("unknown influencer '{id}' in {what}: not in the model")]
    UnknownInfluencer { id: String, what: &'static str },
    #[error("contradictory filters: {0}")]
    Contradictory(String),
    #[error("invalid filter: {0}")]
    Invalid(String),
    #[error("the filters leave no creator to recommend ({0})")]
    NothingLeft(String),
    #[error("invalid brief: {0}")]
    Brief(String),
}

/// What the marketer asked for, as given (IDs and names unchecked).
#[derive(Clone, Debug, Default)]
pub struct FilterSpec {
    pub platforms: Vec<String>,
    pub categories: Vec<String>,
    pub countries: Vec<String>,
    pub tiers: Vec<Tier>,
    pub min_followers: Option<f64>,
    pub max_followers: Option<f64>,
    pub max_price: Option<f64>,
    pub min_engagement: Option<f32>,
    pub exclude: Vec<String>,
    /// Leave out creators the brand already ran campaigns with.
    pub exclude_worked: bool,
}

impl FilterSpec {
    pub fn is_empty(&self) -> bool {
        self.platforms.is_empty()
            && self.categories.is_empty()
            && self.countries.is_empty()
            && self.tiers.is_empty()
            && self.min_followers.is_none()
            && self.max_followers.is_none()
            && self.max_price.is_none()
            && self.min_engagement.is_none()
            && self.exclude.is_empty()
            && !self.exclude_worked
    }

    /// Check the values and their consistency (before any scan).
    pub fn check(&self) -> Result<(), ServeError> {
        let neg = |name: &str, v: f64| {
            (!v.is_finite() || v < 0.0).then(|| ServeError::Invalid(format!("{name} must be a number ≥ 0, got {v}")))
        };
        for (name, v) in [
            ("--min-followers", self.min_followers),
            ("--max-followers", self.max_followers),
            ("--max-price", self.max_price),
        ] {
            if let Some(e) = v.and_then(|v| neg(name, v)) {
                return Err(e);
            }
        }
        if let Some(e) = self.min_engagement.filter(|r| !(r.is_finite() && (0.0..=1.0).contains(r))) {
            return Err(ServeError::Invalid(format!(
                "--min-engagement is a share between 0 and 1 (0.03 = 3%), got {e}"
            )));
        }
        let (lo, hi) = self.follower_range();
        if lo >= hi {
            return Err(ServeError::Contradictory(format!("--min-followers {lo} is not below --max-followers {hi}")));
        }
        if !self.tiers.is_empty() && !self.tiers.iter().any(|t| overlaps(t.range(), (lo, hi))) {
            let names: Vec<&str> = self.tiers.iter().map(|t| t.as_str()).collect();
            return Err(ServeError::Contradictory(format!(
                "tier {} lies outside the follower range {lo}–{hi}",
                names.join("/")
            )));
        }
        Ok(())
    }

    fn follower_range(&self) -> (f64, f64) {
        (self.min_followers.unwrap_or(0.0), self.max_followers.unwrap_or(f64::INFINITY))
    }
}

fn overlaps(a: (f64, f64), b: (f64, f64)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// A checked filter, compiled against one catalogue: `allows(i)` is the whole rule.
pub struct Filter {
    mask: Option<Vec<bool>>,
    pub allowed: usize,
}

impl Filter {
    pub fn allows(&self, i: u32) -> bool {
        self.mask.as_ref().is_none_or(|m| m[i as usize])
    }

    pub fn is_all(&self) -> bool {
        self.mask.is_none()
    }
}

/// The query side of a recommendation: a trained brand or a brief.
#[derive(Clone, Debug)]
pub enum Who {
    Brand(String),
    Brief(Brief),
}

/// A new brand described by features, embedded as the model embeds brands without history.
#[derive(Clone, Debug, Default)]
pub struct Brief {
    pub category: String,
    pub country: String,
    pub female_share: Option<f32>,
    /// Shares of the five contract age buckets.
    pub ages: Option<[f32; 5]>,
}

impl Brief {
    fn check(&self) -> Result<(), ServeError> {
        if self.category.trim().is_empty() {
            return Err(ServeError::Brief("a brief needs a category (--brief-category)".into()));
        }
        if let Some(f) = self.female_share.filter(|f| !(0.0..=1.0).contains(f)) {
            return Err(ServeError::Brief(format!("--brief-female-share is a share between 0 and 1, got {f}")));
        }
        if let Some(a) = self.ages {
            let sum: f32 = a.iter().sum();
            if a.iter().any(|x| !(0.0..=1.0).contains(x)) || (sum - 1.0).abs() > crate::contract::AGE_SUM_TOLERANCE {
                return Err(ServeError::Brief(format!(
                    "--brief-ages needs five shares in 0..1 summing to 1 (buckets {}), got {a:?}",
                    crate::contract::AGE_BUCKETS.join(", ")
                )));
            }
        }
        Ok(())
    }

    fn as_brands(&self) -> Brands {
        let ages =
            self.ages.map_or_else(|| std::array::from_fn(|_| vec![f32::NAN]), |a| std::array::from_fn(|k| vec![a[k]]));
        Brands {
            id: vec!["(brief)".into()],
            category: vec![self.category.trim().to_lowercase()],
            name: vec![String::new()],
            country: vec![self.country.trim().to_uppercase()],
            audience: Audience { female_share: vec![self.female_share.unwrap_or(f32::NAN)], ages },
            budget: vec![f64::NAN],
        }
    }
}

/// One recommended (or lookalike) creator.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Recommendation {
    pub rank: usize,
    pub influencer_id: String,
    pub handle: String,
    pub platform: String,
    pub category: String,
    pub country: String,
    pub followers: f64,
    pub tier: Tier,
    pub price_per_post: Option<f64>,
    pub engagement_rate: Option<f32>,
    /// The model's inner product (for lookalikes: cosine similarity of the creators' factors).
    pub score: f32,
    pub past_campaigns: u32,
    pub reason: String,
}

/// How a query was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchPath {
    Index,
    Exact,
    /// The index came back short under a selective filter; the exact scan answered.
    IndexThenExact,
}

#[derive(Clone, Debug, Serialize)]
pub struct Answer {
    pub query: String,
    pub path: SearchPath,
    /// Creators the filters allowed.
    pub candidates: usize,
    pub results: Vec<Recommendation>,
}

/// A model, its catalogue, and (optionally) its HNSW index: everything a query needs.
pub struct Server<'a> {
    pub model: &'a AffinityModel,
    pub catalog: &'a Catalog,
    pub index: Option<&'a HnswIndex>,
    /// Filtered queries leaving fewer creators than this use the exact scan.
    pub exact_below: usize,
}

impl Server<'_> {
    pub fn check_k(k: usize) -> Result<(), ServeError> {
        match k {
            0 => Err(ServeError::ZeroK),
            k if k > MAX_K => Err(ServeError::HugeK(k)),
            _ => Ok(()),
        }
    }

    /// Compile a filter for `brand` (its past creators when `exclude_worked`).
    pub fn compile(&self, spec: &FilterSpec, brand: Option<usize>) -> Result<Filter, ServeError> {
        spec.check()?;
        let c = &self.catalog.influencers;
        let n = self.catalog.len();
        if spec.is_empty() {
            return Ok(Filter { mask: None, allowed: n });
        }
        // Each named value becomes a code of the interned column; an unknown name is an error, not
        // an empty result, so a typo ("douyn") is caught.
        let codes = |what: &str, wanted: &[String], col: &Interned, norm: fn(&str) -> String| {
            let mut keep = vec![wanted.is_empty(); col.values.len()];
            for w in wanted {
                let code = col.code(&norm(w)).ok_or_else(|| {
                    ServeError::Invalid(format!("no creator has {what} '{w}' (known: {})", col.values.join(", ")))
                })?;
                keep[code as usize] = true;
            }
            Ok::<Vec<bool>, ServeError>(keep)
        };
        let platforms = codes("platform", &spec.platforms, &c.platform, |s| s.trim().to_lowercase())?;
        let categories = codes("category", &spec.categories, &c.category, |s| s.trim().to_lowercase())?;
        let countries = codes("country", &spec.countries, &c.country, |s| s.trim().to_uppercase())?;
        let (lo, hi) = spec.follower_range();
        let mut mask: Vec<bool> = (0..n)
            .map(|i| {
                let f = c.followers[i];
                platforms[c.platform.codes[i] as usize]
                    && categories[c.category.codes[i] as usize]
                    && countries[c.country.codes[i] as usize]
                    && f >= lo
                    && f < hi
                    && (spec.tiers.is_empty() || spec.tiers.contains(&Tier::of(f)))
                    && spec.max_price.is_none_or(|p| c.price_per_post[i] <= p)
                    && spec.min_engagement.is_none_or(|r| c.engagement_rate[i] >= r)
            })
            .collect();
        if !spec.exclude.is_empty() {
            let ids = self.model.influencer_index();
            for id in &spec.exclude {
                let i = *ids
                    .get(id.as_str())
                    .ok_or_else(|| ServeError::UnknownInfluencer { id: id.clone(), what: "--exclude" })?;
                mask[i] = false;
            }
        }
        if spec.exclude_worked {
            let b = brand.ok_or_else(|| {
                ServeError::Contradictory(
                    "--exclude-worked needs a trained brand (--brand); a brief has no history".into(),
                )
            })?;
            for &i in self.catalog.worked_with(b) {
                mask[i as usize] = false;
            }
        }
        let allowed = mask.iter().filter(|&&m| m).count();
        if allowed == 0 {
            return Err(ServeError::NothingLeft(describe(spec)));
        }
        Ok(Filter { mask: Some(mask), allowed })
    }

    /// Top `k` of `query` among the creators `filter` allows, scored exactly.
    pub fn top_k(&self, query: &[f32], k: usize, filter: &Filter, force_index: bool) -> (Vec<Hit>, SearchPath) {
        let exact = ExactIndex::new(&self.model.influencer_vectors, self.model.dim());
        let scan = || match &filter.mask {
            None => exact.search(query, k, None),
            Some(m) => exact.search_among(query, k, (0..m.len() as u32).filter(|&i| m[i as usize])),
        };
        let Some(index) = self.index else { return (scan(), SearchPath::Exact) };
        if !force_index && !filter.is_all() && filter.allowed < self.exact_below {
            return (scan(), SearchPath::Exact);
        }
        let allows = |i: u32| filter.allows(i);
        let allowed: Option<crate::index::Allowed> = if filter.is_all() { None } else { Some(&allows) };
        let hits = index.search(query, k, allowed);
        if hits.len() < k.min(filter.allowed) && !force_index {
            return (scan(), SearchPath::IndexThenExact);
        }
        (rescore(&exact, query, hits), SearchPath::Index)
    }

    /// The query vector and, for a trained brand, its row.
    pub fn brand_query(&self, who: &Who) -> Result<(Vec<f32>, Option<usize>, String), ServeError> {
        match who {
            Who::Brand(id) => {
                let b = self
                    .model
                    .brand_ids
                    .iter()
                    .position(|x| x == id)
                    .ok_or_else(|| ServeError::UnknownBrand(id.clone()))?;
                Ok((self.model.brand_vector(b).to_vec(), Some(b), format!("brand {id}")))
            }
            Who::Brief(brief) => {
                brief.check()?;
                let label = format!("brief: category {}, country {}", brief.category, brief.country);
                Ok((self.model.embed_brands(&brief.as_brands()), None, label))
            }
        }
    }

    /// `kolrec recommend`.
    pub fn recommend(&self, who: &Who, k: usize, spec: &FilterSpec) -> Result<Answer, ServeError> {
        Self::check_k(k)?;
        let (query, brand, label) = self.brand_query(who)?;
        let filter = self.compile(spec, brand)?;
        let (hits, path) = self.top_k(&query, k, &filter, false);
        let brand_category = match who {
            Who::Brand(_) => brand.map(|b| self.catalog.brands.category[b].clone()),
            Who::Brief(b) => Some(b.category.trim().to_lowercase()),
        };
        let worked: HashSet<u32> =
            brand.map(|b| self.catalog.worked_with(b).iter().copied().collect()).unwrap_or_default();
        let results = hits
            .iter()
            .enumerate()
            .map(|(r, h)| {
                let reason = self.reason(h.item as usize, brand_category.as_deref(), worked.contains(&h.item));
                self.row(r + 1, h, reason)
            })
            .collect();
        Ok(Answer { query: label, path, candidates: filter.allowed, results })
    }

    /// `kolrec similar`: creators whose learned factors point the same way (cosine over the core
    /// factors, without the bias and cost slots), by an exact scan of the allowed creators.
    pub fn similar(&self, influencer: &str, k: usize, spec: &FilterSpec) -> Result<Answer, ServeError> {
        Self::check_k(k)?;
        let i0 = self
            .model
            .influencer_ids
            .iter()
            .position(|x| x == influencer)
            .ok_or_else(|| ServeError::UnknownInfluencer { id: influencer.into(), what: "--influencer" })?;
        if spec.exclude_worked {
            return Err(ServeError::Contradictory("--exclude-worked applies to a brand, not to lookalikes".into()));
        }
        let filter = self.compile(spec, None)?;
        let (d, f) = (self.model.dim(), self.model.params.factors);
        let core = |i: usize| &self.model.influencer_vectors[i * d..i * d + f];
        let q = core(i0);
        let qn = dot(q, q).sqrt().max(f32::MIN_POSITIVE);
        let mut top = crate::index::TopK::new(k);
        for j in (0..self.catalog.len() as u32).filter(|&j| j as usize != i0 && filter.allows(j)) {
            let v = core(j as usize);
            let vn = dot(v, v).sqrt().max(f32::MIN_POSITIVE);
            top.push(Hit { item: j, score: dot(q, v) / (qn * vn) });
        }
        let c = &self.catalog.influencers;
        let results = top
            .into_sorted()
            .iter()
            .enumerate()
            .map(|(r, h)| {
                let j = h.item as usize;
                let mut same: Vec<String> = Vec::new();
                for (what, col) in [("platform", &c.platform), ("category", &c.category), ("country", &c.country)] {
                    if col.codes[i0] == col.codes[j] {
                        same.push(format!("same {what} ({})", col.get(j)));
                    }
                }
                if self.catalog.tier(i0) == self.catalog.tier(j) {
                    same.push(format!("same tier ({})", self.catalog.tier(j)));
                }
                let reason = format!(
                    "similarity {:.2}; {}",
                    h.score,
                    if same.is_empty() { "different profile, similar outcomes".into() } else { same.join(", ") }
                );
                self.row(r + 1, h, reason)
            })
            .collect();
        Ok(Answer {
            query: format!("lookalikes of {influencer}"),
            path: SearchPath::Exact,
            candidates: filter.allowed,
            results,
        })
    }

    fn row(&self, rank: usize, h: &Hit, reason: String) -> Recommendation {
        let c = &self.catalog.influencers;
        let i = h.item as usize;
        let opt = |x: f64| x.is_finite().then_some(x);
        Recommendation {
            rank,
            influencer_id: c.id[i].clone(),
            handle: c.handle[i].clone(),
            platform: c.platform.get(i).to_string(),
            category: c.category.get(i).to_string(),
            country: c.country.get(i).to_string(),
            followers: c.followers[i],
            tier: self.catalog.tier(i),
            price_per_post: opt(c.price_per_post[i]),
            engagement_rate: c.engagement_rate[i].is_finite().then_some(c.engagement_rate[i]),
            score: h.score,
            past_campaigns: c.campaigns[i],
            reason,
        }
    }

    /// Facts behind a match, strongest evidence first: the creator's own campaign outcomes, its
    /// cost per view against the market (the cost-efficiency term of the score), engagement
    /// against its platform, and a category match.
    fn reason(&self, i: usize, brand_category: Option<&str>, worked: bool) -> String {
        let cat = self.catalog;
        let c = &cat.influencers;
        let mut parts: Vec<String> = Vec::new();
        match (c.campaigns[i], cat.ctr(i)) {
            (0, _) => parts.push("no campaigns yet: scored from its profile".into()),
            (n, Some(ctr)) if cat.market_ctr > 0.0 => parts.push(format!(
                "{n} past campaign{}: CTR {:.2}% ({:.1}× market)",
                if n == 1 { "" } else { "s" },
                100.0 * ctr,
                ctr / cat.market_ctr
            )),
            (n, _) => parts.push(format!("{n} past campaign{}", if n == 1 { "" } else { "s" })),
        }
        if worked {
            parts.push("worked with this brand".into());
        }
        if let Some(cpm) = cat.quoted_cpm(i).filter(|_| cat.median_quote_cpm > 0.0) {
            parts.push(format!("quote CPM {cpm:.1} (median {:.1})", cat.median_quote_cpm));
        }
        let platform = c.platform.get(i);
        if let Some(med) = cat.platform_median_engagement(platform).filter(|m| *m > 0.0) {
            let r = c.engagement_rate[i];
            if r.is_finite() {
                parts.push(format!("engagement {:.1}% ({:.1}× {platform} median)", 100.0 * r, r / med));
            }
        }
        if brand_category.is_some_and(|b| b == c.category.get(i)) {
            parts.push(format!("same category ({})", c.category.get(i)));
        }
        parts.join("; ")
    }
}

/// Re-score index hits with the model's exact inner product and re-sort.
fn rescore(exact: &ExactIndex, query: &[f32], hits: Vec<Hit>) -> Vec<Hit> {
    let mut v = exact.search_among(query, hits.len(), hits.iter().map(|h| h.item));
    v.sort_by(better);
    v
}

fn describe(spec: &FilterSpec) -> String {
    let mut p = Vec::new();
    let list = |name: &str, v: &[String]| (!v.is_empty()).then(|| format!("{name} {}", v.join("/")));
    p.extend(list("platform", &spec.platforms));
    p.extend(list("category", &spec.categories));
    p.extend(list("country", &spec.countries));
    if !spec.tiers.is_empty() {
        p.push(format!("tier {}", spec.tiers.iter().map(|t| t.as_str()).collect::<Vec<_>>().join("/")));
    }
    if let Some(v) = spec.min_followers {
        p.push(format!("followers ≥ {v}"));
    }
    if let Some(v) = spec.max_followers {
        p.push(format!("followers < {v}"));
    }
    if let Some(v) = spec.max_price {
        p.push(format!("price ≤ {v}"));
    }
    if let Some(v) = spec.min_engagement {
        p.push(format!("engagement ≥ {v}"));
    }
    if !spec.exclude.is_empty() {
        p.push(format!("{} excluded", spec.exclude.len()));
    }
    if spec.exclude_worked {
        p.push("past creators excluded".into());
    }
    p.join(", ")
}

/// A terminal table of an answer.
pub fn table(a: &Answer) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let path = match a.path {
        SearchPath::Index => "ANN index",
        SearchPath::Exact => "exact scan",
        SearchPath::IndexThenExact => "ANN index, then exact scan (selective filter)",
    };
    let _ = writeln!(s, "{}: {} results from {} candidate creators ({path})", a.query, a.results.len(), a.candidates);
    let _ = writeln!(
        s,
        "{:>4}  {:<14} {:<18} {:<12} {:<12} {:>10} {:<6} {:>9} {:>7} {:>7}  reason",
        "rank", "influencer", "handle", "platform", "category", "followers", "tier", "price", "eng.", "score"
    );
    for r in &a.results {
        let clip = |x: &str, n: usize| x.chars().take(n).collect::<String>();
        let _ = writeln!(
            s,
            "{:>4}  {:<14} {:<18} {:<12} {:<12} {:>10.0} {:<6} {:>9} {:>7} {:>7.3}  {}",
            r.rank,
            clip(&r.influencer_id, 14),
            clip(&r.handle, 18),
            clip(&r.platform, 12),
            clip(&r.category, 12),
            r.followers,
            r.tier.as_str(),
            r.price_per_post.map_or("-".into(), |p| format!("{p:.0}")),
            r.engagement_rate.map_or("-".into(), |e| format!("{:.1}%", 100.0 * e)),
            r.score,
            r.reason
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::affinity::AffinityParams;
    use crate::index::IndexParams;
    use std::sync::OnceLock;

    struct Fixture {
        model: AffinityModel,
        catalog: Catalog,
        index: HnswIndex,
    }

    /// The committed sample market, trained briefly, with an index over its 3,000 creators.
    fn fixture() -> &'static Fixture {
        static F: OnceLock<Fixture> = OnceLock::new();
        F.get_or_init(|| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sample");
            let (ds, _) = crate::dataset::load(&dir, &Default::default()).unwrap();
            let rows: Vec<usize> = (0..ds.campaigns.len()).collect();
            let params = AffinityParams { factors: 16, iterations: 5, ..Default::default() };
            let (model, _) = AffinityModel::fit(&ds, &rows, &params).unwrap();
            let catalog = Catalog::build(&ds, &rows);
            let index =
                HnswIndex::build(&model.influencer_vectors, model.dim(), &IndexParams::default(), true).unwrap();
            Fixture { model, catalog, index }
        })
    }

    fn server(exact_below: usize, with_index: bool) -> Server<'static> {
        let f = fixture();
        Server { model: &f.model, catalog: &f.catalog, index: with_index.then_some(&f.index), exact_below }
    }

    fn brand() -> Who {
        Who::Brand(fixture().model.brand_ids[3].clone())
    }

    fn satisfies(r: &Recommendation, s: &FilterSpec, worked: &HashSet<String>) -> bool {
        (s.platforms.is_empty() || s.platforms.contains(&r.platform))
            && (s.categories.is_empty() || s.categories.contains(&r.category))
            && (s.countries.is_empty() || s.countries.contains(&r.country))
            && (s.tiers.is_empty() || s.tiers.contains(&r.tier))
            && s.min_followers.is_none_or(|m| r.followers >= m)
            && s.max_followers.is_none_or(|m| r.followers < m)
            && s.max_price.is_none_or(|m| r.price_per_post.is_some_and(|p| p <= m))
            && s.min_engagement.is_none_or(|m| r.engagement_rate.is_some_and(|e| e >= m))
            && !s.exclude.contains(&r.influencer_id)
            && !(s.exclude_worked && worked.contains(&r.influencer_id))
    }

    fn specs() -> Vec<FilterSpec> {
        let f = fixture();
        let c = &f.catalog.influencers;
        let some_ids: Vec<String> = c.id.iter().step_by(7).take(200).cloned().collect();
        vec![
            FilterSpec::default(),
            FilterSpec { platforms: vec![c.platform.values[0].clone()], ..Default::default() },
            FilterSpec { tiers: vec![Tier::Micro, Tier::Mid], max_price: Some(200.0), ..Default::default() },
            FilterSpec {
                categories: vec![c.category.values[1].clone()],
                min_engagement: Some(0.04),
                ..Default::default()
            },
            FilterSpec {
                min_followers: Some(20_000.0),
                max_followers: Some(60_000.0),
                exclude: some_ids,
                ..Default::default()
            },
            FilterSpec { countries: vec![c.country.values[0].clone()], exclude_worked: true, ..Default::default() },
            FilterSpec { exclude_worked: true, ..Default::default() },
        ]
    }

    #[test]
    fn every_result_honours_every_filter_on_every_path() {
        let f = fixture();
        let b = 3;
        let worked: HashSet<String> =
            f.catalog.worked_with(b).iter().map(|&i| f.catalog.influencers.id[i as usize].clone()).collect();
        assert!(!worked.is_empty(), "the fixture brand has history");
        for spec in specs() {
            let allowed = server(0, false).compile(&spec, Some(b)).unwrap().allowed;
            let exact = server(0, false).recommend(&brand(), 30, &spec).unwrap();
            assert_eq!(exact.results.len(), 30.min(allowed), "{spec:?}");
            for (exact_below, with_index) in [(0, true), (usize::MAX, true), (0, false)] {
                let a = server(exact_below, with_index).recommend(&brand(), 30, &spec).unwrap();
                assert_eq!(a.candidates, allowed);
                assert_eq!(a.results.len(), 30.min(allowed), "{spec:?} returned too few");
                for r in &a.results {
                    assert!(satisfies(r, &spec, &worked), "{r:?} violates {spec:?}");
                }
                assert!(a.results.windows(2).all(|w| w[0].score >= w[1].score), "not best first");
                if a.path != SearchPath::Index {
                    assert_eq!(a.results, exact.results, "an exact path differs from the exact scan");
                }
            }
        }
    }

    #[test]
    fn the_index_path_finds_nearly_all_of_the_exact_top_k() {
        let f = fixture();
        let (mut found, mut total) = (0, 0);
        for b in 0..f.model.brand_ids.len() {
            let who = Who::Brand(f.model.brand_ids[b].clone());
            let a = server(0, true).recommend(&who, 10, &FilterSpec::default()).unwrap();
            assert_eq!(a.path, SearchPath::Index);
            let e = server(0, false).recommend(&who, 10, &FilterSpec::default()).unwrap();
            let ids: HashSet<&String> = e.results.iter().map(|r| &r.influencer_id).collect();
            found += a.results.iter().filter(|r| ids.contains(&r.influencer_id)).count();
            total += e.results.len();
        }
        let recall = found as f64 / total as f64;
        assert!(recall >= 0.95, "recall@10 {recall}");
    }

    #[test]
    fn a_brief_is_served_and_ranks_its_category_higher() {
        let f = fixture();
        let cat = f.catalog.influencers.category.values[2].clone();
        let brief = Who::Brief(Brief { category: cat.clone(), country: "CN".into(), ..Default::default() });
        let a = server(0, false).recommend(&brief, 50, &FilterSpec::default()).unwrap();
        assert_eq!(a.results.len(), 50);
        let share = a.results.iter().filter(|r| r.category == cat).count() as f64 / 50.0;
        let base =
            f.catalog.influencers.category.codes.iter().filter(|&&c| c == 2).count() as f64 / f.catalog.len() as f64;
        assert!(share > base, "brief category share {share} not above its catalogue share {base}");
    }

    #[test]
    fn lookalikes_exclude_the_creator_and_honour_filters() {
        let f = fixture();
        let id = f.catalog.influencers.id[10].clone();
        let a = server(0, false).similar(&id, 15, &FilterSpec::default()).unwrap();
        assert_eq!(a.results.len(), 15);
        assert!(a.results.iter().all(|r| r.influencer_id != id));
        assert!(a.results.windows(2).all(|w| w[0].score >= w[1].score));
        assert!(a.results[0].score <= 1.0 + 1e-5);
        let tier = FilterSpec { tiers: vec![Tier::Nano], ..Default::default() };
        let t = server(0, false).similar(&id, 15, &tier).unwrap();
        assert!(t.results.iter().all(|r| r.tier == Tier::Nano));
    }

    #[test]
    fn bad_queries_name_the_problem() {
        let s = server(0, true);
        let err = |r: Result<Answer, ServeError>| r.unwrap_err().to_string();
        let none = FilterSpec::default();
        assert!(err(s.recommend(&brand(), 0, &none)).contains("k must be at least 1"));
        assert!(err(s.recommend(&brand(), MAX_K + 1, &none)).contains("too large"));
        assert!(err(s.recommend(&Who::Brand("nope".into()), 5, &none)).contains("unknown brand 'nope'"));
        let cases: Vec<(FilterSpec, &str)> = vec![
            (
                FilterSpec { exclude: vec!["ghost".into()], ..Default::default() },
                "unknown influencer 'ghost' in --exclude",
            ),
            (
                FilterSpec { min_followers: Some(5e4), max_followers: Some(1e4), ..Default::default() },
                "contradictory filters",
            ),
            (
                FilterSpec { tiers: vec![Tier::Mega], max_followers: Some(1e5), ..Default::default() },
                "tier mega lies outside",
            ),
            (
                FilterSpec { platforms: vec!["myspace".into()], ..Default::default() },
                "no creator has platform 'myspace'",
            ),
            (FilterSpec { min_engagement: Some(3.0), ..Default::default() }, "--min-engagement is a share"),
            (FilterSpec { max_price: Some(-1.0), ..Default::default() }, "--max-price must be a number"),
            (FilterSpec { max_price: Some(0.0), ..Default::default() }, "the filters leave no creator"),
        ];
        for (spec, want) in cases {
            let e = err(s.recommend(&brand(), 5, &spec));
            assert!(e.contains(want), "{e} lacks {want}");
        }
        let brief = Who::Brief(Brief::default());
        assert!(err(s.recommend(&brief, 5, &none)).contains("a brief needs a category"));
        let brief = Who::Brief(Brief { category: "beauty".into(), ages: Some([0.5; 5]), ..Default::default() });
        assert!(err(s.recommend(&brief, 5, &none)).contains("--brief-ages"));
        let brief = Who::Brief(Brief { category: "beauty".into(), ..Default::default() });
        let worked = FilterSpec { exclude_worked: true, ..Default::default() };
        assert!(err(s.recommend(&brief, 5, &worked)).contains("--exclude-worked needs a trained brand"));
        assert!(err(s.similar("ghost", 5, &none)).contains("unknown influencer 'ghost' in --influencer"));
        assert!(err(s.similar(&fixture().catalog.influencers.id[0], 0, &none)).contains("k must be at least 1"));
    }
}
