//! Offline evaluation of recommenders, shared by kolrec's model and its baselines: a time-based
//! split, ranking metrics (Recall, NDCG, MAP, coverage) for warm brands, cold brands and cold
//! influencers with bootstrap confidence intervals, and — on simulated data — the true outcomes of
//! the recommendations against the brands' own picks.

pub mod binary;
pub mod growth;

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use crate::affinity::outcome::Market;
use crate::affinity::{self, AffinityModel, AffinityParams, TrainReport};
use crate::catalog::Catalog;
use crate::contract::Objective;
use crate::dataset::{Campaigns, Dataset};
use crate::index::{ExactIndex, Hit, HnswIndex, IndexError, IndexParams, MipsIndex};
use crate::recommend::{Filter, FilterSpec, SearchPath, Server};
use crate::sim::truth::Truth;

/// Evaluation settings.
#[derive(Clone, Debug)]
pub struct EvalConfig {
    /// Share of the campaign time span held out at the end.
    pub holdout: f64,
    pub ks: Vec<usize>,
    pub bootstrap: usize,
    pub seed: u64,
    /// Build an HNSW index with these parameters over the evaluated model and measure its recall
    /// (`None`: skip).
    pub index: Option<IndexParams>,
}

impl Default for EvalConfig {
    fn default() -> Self {
        EvalConfig { holdout: 0.2, ks: vec![10, 50], bootstrap: 1000, seed: 42, index: Some(IndexParams::default()) }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("--holdout {0} must be strictly between 0 and 1")]
    Holdout(f64),
    #[error("cannot split: {0}")]
    Split(String),
    #[error(transparent)]
    Model(#[from] affinity::AffinityError),
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// Campaign rows before and from the cutoff date.
#[derive(Clone, Debug, Serialize)]
pub struct Split {
    pub cutoff: String,
    #[serde(skip)]
    pub cutoff_day: i32,
    #[serde(skip)]
    pub train: Vec<usize>,
    #[serde(skip)]
    pub test: Vec<usize>,
    pub train_rows: usize,
    pub test_rows: usize,
}

/// The last `holdout` share of the campaigns' time span is the test period.
pub fn time_split(c: &Campaigns, holdout: f64) -> Result<Split, EvalError> {
    if !(holdout > 0.0 && holdout < 1.0) {
        return Err(EvalError::Holdout(holdout));
    }
    let (lo, hi) = match (c.date.iter().min(), c.date.iter().max()) {
        (Some(&lo), Some(&hi)) if hi > lo => (lo, hi),
        _ => return Err(EvalError::Split("campaign dates span less than two days".into())),
    };
    let cutoff = lo + ((f64::from(hi - lo)) * (1.0 - holdout)).ceil() as i32;
    let (train, test): (Vec<usize>, Vec<usize>) = (0..c.len()).partition(|&r| c.date[r] < cutoff);
    if train.is_empty() || test.is_empty() {
        return Err(EvalError::Split(format!("cutoff {} leaves an empty side", crate::parse::format_date(cutoff))));
    }
    Ok(Split {
        cutoff: crate::parse::format_date(cutoff),
        cutoff_day: cutoff,
        train_rows: train.len(),
        test_rows: test.len(),
        train,
        test,
    })
}

/// Something that scores every influencer for a brand.
pub trait Ranker: Sync {
    fn name(&self) -> &str;
    fn scores(&self, brand: usize, out: &mut [f32]);
}

impl Ranker for AffinityModel {
    fn name(&self) -> &str {
        "kolrec"
    }
    fn scores(&self, brand: usize, out: &mut [f32]) {
        self.score_all(self.brand_vector(brand), out);
    }
}

/// A baseline that scores every creator the same way for every brand.
pub struct GlobalScore {
    name: &'static str,
    score: Vec<f32>,
}

impl GlobalScore {
    /// Most-booked creators first (ties: more followers).
    pub fn popularity(ds: &Dataset, rows: &[usize]) -> GlobalScore {
        let mut score: Vec<f32> = ds.influencers.followers.iter().map(|f| (f.max(1.0).ln() / 100.0) as f32).collect();
        for &r in rows {
            score[ds.campaigns.influencer[r] as usize] += 1.0;
        }
        GlobalScore { name: "popularity", score }
    }

    /// Features only: a confidence-weighted ridge regression of the outcome target on the
    /// creator's features. Brand features would add the same constant to every creator, so the
    /// ranking is the same for every brand: "the creators that do well in general".
    pub fn features_only(ds: &Dataset, rows: &[usize], market: &Market, params: &AffinityParams) -> GlobalScore {
        use crate::affinity::{als, features};
        // A creator's features are the same in all its pairs: sum its weights first.
        let ni = ds.influencers.len();
        let (mut sum_c, mut sum_cy) = (vec![0.0f64; ni], vec![0.0f64; ni]);
        for p in affinity::targets(ds, rows, market, params.alpha) {
            sum_c[p.influencer as usize] += f64::from(p.confidence);
            sum_cy[p.influencer as usize] += f64::from(p.confidence) * f64::from(p.y);
        }
        let spec = features::fit_influencers(&ds.influencers);
        let f = spec.width();
        let x = features::encode_influencers(&spec, &ds.influencers);
        let mut xtx = vec![0.0f64; f * f];
        let mut xty = vec![0.0f64; f];
        for i in (0..ni).filter(|&i| sum_c[i] > 0.0) {
            let xi = &x[i * f..(i + 1) * f];
            for a in 0..f {
                xty[a] += sum_cy[i] * f64::from(xi[a]);
                for b in 0..f {
                    xtx[a * f + b] += sum_c[i] * f64::from(xi[a]) * f64::from(xi[b]);
                }
            }
        }
        for a in 0..f {
            xtx[a * f + a] += params.regularization;
        }
        assert!(als::cholesky(&mut xtx, f), "XᵀCX + λI is positive definite for λ > 0");
        als::cholesky_solve(&xtx, f, &mut xty);
        let score = x
            .chunks_exact(f)
            .map(|xi| xi.iter().zip(&xty).map(|(a, w)| f64::from(*a) * w).sum::<f64>() as f32)
            .collect();
        GlobalScore { name: "features-only", score }
    }
}

impl Ranker for GlobalScore {
    fn name(&self) -> &str {
        self.name
    }
    fn scores(&self, _brand: usize, out: &mut [f32]) {
        out.copy_from_slice(&self.score);
    }
}

/// What brands do by hand: creators of the brand's own category, biggest first, then the rest.
pub struct SameCategory<'a> {
    ds: &'a Dataset,
}

impl<'a> SameCategory<'a> {
    pub fn new(ds: &'a Dataset) -> SameCategory<'a> {
        SameCategory { ds }
    }
}

impl Ranker for SameCategory<'_> {
    fn name(&self) -> &str {
        "same-category-by-followers"
    }
    fn scores(&self, brand: usize, out: &mut [f32]) {
        let cat = &self.ds.brands.category[brand];
        for (i, o) in out.iter_mut().enumerate() {
            let same = if &self.ds.influencers.category[i] == cat { 100.0 } else { 0.0 };
            *o = same + self.ds.influencers.followers[i].max(1.0).ln() as f32;
        }
    }
}

/// Indices of the `k` best allowed scores, best first (ties: lower index first).
pub fn top_k(scores: &[f32], allowed: impl Fn(usize) -> bool, k: usize) -> Vec<usize> {
    let mut cand: Vec<usize> = (0..scores.len()).filter(|&i| allowed(i)).collect();
    let by = |a: &usize, b: &usize| scores[*b].total_cmp(&scores[*a]).then(a.cmp(b));
    if cand.len() > k {
        cand.select_nth_unstable_by(k, by);
        cand.truncate(k);
    }
    cand.sort_by(by);
    cand
}

/// Binary-relevance ranking metrics of one list (the definitions of `../shared/bench/peers.py`):
/// recall = hits/|rel|, NDCG with the ideal over min(|rel|, k) hits, MAP@k = Σ P@i·rel_i / min(|rel|, k).
pub fn ranking_metrics(top: &[usize], relevant: &HashSet<usize>, k: usize) -> (f64, f64, f64) {
    let cap = relevant.len().min(k);
    if cap == 0 {
        return (0.0, 0.0, 0.0);
    }
    let (mut hits, mut dcg, mut ap) = (0.0, 0.0, 0.0);
    for (pos, i) in top.iter().take(k).enumerate() {
        if relevant.contains(i) {
            hits += 1.0;
            dcg += 1.0 / ((pos + 2) as f64).log2();
            ap += hits / (pos + 1) as f64;
        }
    }
    let idcg: f64 = (0..cap).map(|p| 1.0 / ((p + 2) as f64).log2()).sum();
    (hits / relevant.len() as f64, dcg / idcg, ap / cap as f64)
}

/// NDCG@k against graded relevance `gain` (the true value of each creator).
pub fn graded_ndcg(top: &[usize], gain: &[f64], candidates: &[usize], k: usize) -> f64 {
    let dcg: f64 = top.iter().take(k).enumerate().map(|(p, &i)| gain[i] / ((p + 2) as f64).log2()).sum();
    let mut best: Vec<f64> = candidates.iter().map(|&i| gain[i]).collect();
    let kk = k.min(best.len());
    if kk == 0 {
        return 0.0;
    }
    best.select_nth_unstable_by(kk - 1, |a, b| b.total_cmp(a));
    best.truncate(kk);
    best.sort_by(|a, b| b.total_cmp(a));
    let idcg: f64 = best.iter().enumerate().map(|(p, g)| g / ((p + 2) as f64).log2()).sum();
    if idcg > 0.0 { dcg / idcg } else { 0.0 }
}

/// Mean and 95% percentile-bootstrap interval over brands.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct Estimate {
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
}

pub fn bootstrap(values: &[f64], reps: usize, seed: u64) -> Estimate {
    let n = values.len();
    if n == 0 {
        return Estimate { mean: f64::NAN, lo: f64::NAN, hi: f64::NAN };
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if reps == 0 || n == 1 {
        return Estimate { mean, lo: mean, hi: mean };
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut means: Vec<f64> =
        (0..reps).map(|_| (0..n).map(|_| values[rng.gen_range(0..n)]).sum::<f64>() / n as f64).collect();
    means.sort_by(f64::total_cmp);
    let at = |q: f64| means[((q * (reps - 1) as f64).round() as usize).min(reps - 1)];
    Estimate { mean, lo: at(0.025), hi: at(0.975) }
}

/// Metrics of one model on one segment.
#[derive(Clone, Debug, Serialize)]
pub struct ModelMetrics {
    /// `recall@10`, `ndcg@10`, `map@10`, … with bootstrap intervals.
    pub metrics: BTreeMap<String, Estimate>,
    /// `coverage@k`: share of the segment's catalogue recommended to at least one brand.
    pub coverage: BTreeMap<String, f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Segment {
    pub brands: usize,
    pub relevant_pairs: usize,
    pub models: BTreeMap<String, ModelMetrics>,
}

/// True outcomes of each brand's top-10 versus its own picks in the test period (simulated data).
#[derive(Clone, Debug, Serialize)]
pub struct Outcomes {
    pub brands: usize,
    /// Oracle NDCG@10 per model: graded by each creator's true value for the brand.
    pub oracle_ndcg_at_10: BTreeMap<String, Estimate>,
    pub top10_ctr: BTreeMap<String, f64>,
    pub top10_cpm: BTreeMap<String, f64>,
    pub picks_ctr: f64,
    pub picks_cpm: f64,
    /// kolrec's top-10 CTR over the picks' CTR, and the picks' CPM over kolrec's top-10 CPM.
    pub ctr_lift: f64,
    pub cpm_drop: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct EvalReport {
    pub objective: Objective,
    pub split: Split,
    pub train: TrainReport,
    pub segments: BTreeMap<String, Segment>,
    pub outcomes: BTreeMap<String, Outcomes>,
    /// Recall@10 of the HNSW index against the exact inner-product top-10, over all brands.
    pub ann_recall_at_10: Option<f64>,
    /// The same under the standard filter of [`AnnEval`], on the HNSW path.
    pub ann_recall_at_10_filtered: Option<f64>,
    pub ann: Option<AnnEval>,
    /// The growth model's evaluation, when the model directory has one.
    pub growth: Option<growth::GrowthEval>,
}

/// How well the HNSW index serves the model it indexes.
#[derive(Clone, Debug, Serialize)]
pub struct AnnEval {
    pub params: IndexParams,
    pub queries: usize,
    pub build_seconds: f64,
    pub recall_at_10: f64,
    /// The filter: each brand keeps one platform (cycling through them by brand) and drops its
    /// past creators, the commonest marketer filter.
    pub filter: String,
    pub mean_allowed: f64,
    /// The HNSW path forced (no exact fallback): what the index itself recalls under the filter.
    pub recall_at_10_filtered: f64,
    /// What `recommend` returns (exact scan below `exact_below` allowed creators or when the index
    /// comes back short).
    pub served_recall_at_10_filtered: f64,
    pub served_exact_share: f64,
}

/// The filter of the filtered-recall measurement for the `j`-th query.
pub fn standard_filter(platforms: &[String], j: usize) -> FilterSpec {
    FilterSpec { platforms: vec![platforms[j % platforms.len()].clone()], exclude_worked: true, ..Default::default() }
}

/// Mean over queries of |found ∩ exact| / |exact| (queries with nothing to find are skipped).
pub fn recall(found: &[Vec<Hit>], exact: &[Vec<Hit>]) -> f64 {
    let (mut sum, mut n) = (0.0, 0usize);
    for (a, e) in found.iter().zip(exact) {
        if e.is_empty() {
            continue;
        }
        sum += a.iter().filter(|h| e.iter().any(|x| x.item == h.item)).count() as f64 / e.len() as f64;
        n += 1;
    }
    if n == 0 { f64::NAN } else { sum / n as f64 }
}

/// Recall@10 of `server`'s index for the given brands, unfiltered and under [`standard_filter`].
pub fn ann_recall(server: &Server, brands: &[usize], build_seconds: f64) -> AnnEval {
    const K: usize = 10;
    let index = server.index.expect("an index to measure");
    let model = server.model;
    let q = |j: usize| model.brand_vector(brands[j]);
    let nq = brands.len();
    let exact = ExactIndex::new(&model.influencer_vectors, model.dim());
    let truth: Vec<Vec<Hit>> = (0..nq).into_par_iter().map(|j| exact.search(q(j), K, None)).collect();
    let found: Vec<Vec<Hit>> = (0..nq).into_par_iter().map(|j| index.search(q(j), K, None)).collect();
    let platforms = &server.catalog.influencers.platform.values;
    let filters: Vec<Filter> = (0..nq)
        .into_par_iter()
        .filter_map(|j| server.compile(&standard_filter(platforms, j), Some(brands[j])).ok())
        .collect();
    // A filter that leaves nothing is an error for a user; here it only drops the query.
    let exact_only = Server { index: None, ..*server };
    let run = |s: &Server, force: bool| -> Vec<(Vec<Hit>, SearchPath)> {
        (0..filters.len()).into_par_iter().map(|j| s.top_k(q(j), K, &filters[j], force)).collect()
    };
    let truth_f: Vec<Vec<Hit>> = run(&exact_only, false).into_iter().map(|r| r.0).collect();
    let forced: Vec<Vec<Hit>> = run(server, true).into_iter().map(|r| r.0).collect();
    let served = run(server, false);
    let exact_share = served.iter().filter(|r| r.1 != SearchPath::Index).count() as f64 / served.len().max(1) as f64;
    let served: Vec<Vec<Hit>> = served.into_iter().map(|r| r.0).collect();
    AnnEval {
        params: *index.params(),
        queries: nq,
        build_seconds,
        recall_at_10: recall(&found, &truth),
        filter: "one platform per brand (cycling), past creators excluded".into(),
        mean_allowed: filters.iter().map(|f| f.allowed as f64).sum::<f64>() / filters.len().max(1) as f64,
        recall_at_10_filtered: recall(&forced, &truth_f),
        served_recall_at_10_filtered: recall(&served, &truth_f),
        served_exact_share: exact_share,
    }
}

/// Everything known about a brand's place in the split.
struct BrandSplit {
    seen: Vec<HashSet<usize>>,
    relevant: Vec<HashSet<usize>>,
    test_picks: Vec<Vec<usize>>,
}

fn brand_split(ds: &Dataset, split: &Split, model: &AffinityModel) -> BrandSplit {
    let nb = ds.brands.len();
    let mut seen = vec![HashSet::new(); nb];
    for &r in &split.train {
        seen[ds.campaigns.brand[r] as usize].insert(ds.campaigns.influencer[r] as usize);
    }
    let mut relevant = vec![HashSet::new(); nb];
    let mut test_picks = vec![Vec::new(); nb];
    // A held-out pair is relevant when its outcome beat the training market (target > 0).
    for p in affinity::targets(ds, &split.test, &model.market, model.params.alpha) {
        let (b, i) = (p.brand as usize, p.influencer as usize);
        if p.y > 0.0 && !seen[b].contains(&i) {
            relevant[b].insert(i);
        }
    }
    for &r in &split.test {
        test_picks[ds.campaigns.brand[r] as usize].push(ds.campaigns.influencer[r] as usize);
    }
    BrandSplit { seen, relevant, test_picks }
}

/// Fit a fresh model on the rows before the cutoff and evaluate it and the baselines after it.
pub fn evaluate(
    ds: &Dataset,
    truth: Option<&Truth>,
    params: &AffinityParams,
    cfg: &EvalConfig,
) -> Result<EvalReport, EvalError> {
    let split = time_split(&ds.campaigns, cfg.holdout)?;
    let (model, train) = AffinityModel::fit(ds, &split.train, params)?;
    let popularity = GlobalScore::popularity(ds, &split.train);
    let same = SameCategory::new(ds);
    let features = GlobalScore::features_only(ds, &split.train, &model.market, params);
    let rankers: [&dyn Ranker; 4] = [&model, &features, &popularity, &same];
    let bs = brand_split(ds, &split, &model);
    let ni = ds.influencers.len();
    let cold_infl: Vec<bool> = model.influencer_history.iter().map(|&n| n == 0).collect();
    let warm_brand = |b: usize| model.brand_history[b] > 0;

    let mut segments = BTreeMap::new();
    let defs: [(&str, bool); 3] = [("warm_brands", false), ("cold_brands", false), ("cold_influencers", true)];
    for (name, only_cold_infl) in defs {
        let brands: Vec<usize> = (0..ds.brands.len())
            .filter(|&b| match name {
                "warm_brands" => warm_brand(b),
                "cold_brands" => !warm_brand(b),
                _ => true,
            })
            .filter(|&b| bs.relevant[b].iter().any(|&i| !only_cold_infl || cold_infl[i]))
            .collect();
        let relevant: Vec<HashSet<usize>> = brands
            .iter()
            .map(|&b| bs.relevant[b].iter().copied().filter(|&i| !only_cold_infl || cold_infl[i]).collect())
            .collect();
        let catalogue = if only_cold_infl { cold_infl.iter().filter(|c| **c).count() } else { ni };
        let mut models = BTreeMap::new();
        for r in rankers {
            let kmax = *cfg.ks.iter().max().unwrap_or(&10);
            let tops: Vec<Vec<usize>> = brands
                .par_iter()
                .map(|&b| {
                    let mut s = vec![0.0f32; ni];
                    r.scores(b, &mut s);
                    top_k(&s, |i| !bs.seen[b].contains(&i) && (!only_cold_infl || cold_infl[i]), kmax)
                })
                .collect();
            let mut metrics = BTreeMap::new();
            let mut coverage = BTreeMap::new();
            for &k in &cfg.ks {
                let per: Vec<(f64, f64, f64)> =
                    tops.iter().zip(&relevant).map(|(t, rel)| ranking_metrics(t, rel, k)).collect();
                let seed = cfg.seed ^ k as u64;
                metrics.insert(
                    format!("recall@{k}"),
                    bootstrap(&per.iter().map(|m| m.0).collect::<Vec<_>>(), cfg.bootstrap, seed),
                );
                metrics.insert(
                    format!("ndcg@{k}"),
                    bootstrap(&per.iter().map(|m| m.1).collect::<Vec<_>>(), cfg.bootstrap, seed),
                );
                metrics.insert(
                    format!("map@{k}"),
                    bootstrap(&per.iter().map(|m| m.2).collect::<Vec<_>>(), cfg.bootstrap, seed),
                );
                let distinct: HashSet<usize> = tops.iter().flat_map(|t| t.iter().take(k).copied()).collect();
                coverage.insert(format!("coverage@{k}"), distinct.len() as f64 / catalogue.max(1) as f64);
            }
            models.insert(r.name().to_string(), ModelMetrics { metrics, coverage });
        }
        let relevant_pairs = relevant.iter().map(HashSet::len).sum();
        segments.insert(name.to_string(), Segment { brands: brands.len(), relevant_pairs, models });
    }

    let mut outcomes = BTreeMap::new();
    if let Some(t) = truth {
        for (name, want_warm) in [("warm_brands", true), ("cold_brands", false)] {
            let brands: Vec<usize> =
                (0..ds.brands.len()).filter(|&b| warm_brand(b) == want_warm && !bs.test_picks[b].is_empty()).collect();
            if brands.is_empty() {
                continue;
            }
            outcomes.insert(name.to_string(), outcomes_for(ds, t, &rankers, &bs, &brands, params.objective, cfg));
        }
    }
    let ann = match &cfg.index {
        Some(ip) => {
            let index = HnswIndex::build(&model.influencer_vectors, model.dim(), ip, true)?;
            let catalog = Catalog::build(ds, &split.train);
            let server = Server { model: &model, catalog: &catalog, index: Some(&index), exact_below: ip.exact_below };
            let brands: Vec<usize> = (0..ds.brands.len()).collect();
            Some(ann_recall(&server, &brands, index.sidecar.build_seconds))
        }
        None => None,
    };
    Ok(EvalReport {
        objective: params.objective,
        split,
        train,
        segments,
        outcomes,
        ann_recall_at_10: ann.as_ref().map(|a| a.recall_at_10),
        ann_recall_at_10_filtered: ann.as_ref().map(|a| a.recall_at_10_filtered),
        ann,
        growth: None,
    })
}

fn outcomes_for(
    ds: &Dataset,
    t: &Truth,
    rankers: &[&dyn Ranker],
    bs: &BrandSplit,
    brands: &[usize],
    objective: Objective,
    cfg: &EvalConfig,
) -> Outcomes {
    let ni = ds.influencers.len();
    let cpm: Vec<f64> = (0..ni).map(|i| t.cpm(i)).collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let picks_ctr: Vec<f64> =
        brands.iter().map(|&b| mean(&bs.test_picks[b].iter().map(|&i| t.ctr(b, i)).collect::<Vec<_>>())).collect();
    let picks_cpm: Vec<f64> =
        brands.iter().map(|&b| mean(&bs.test_picks[b].iter().map(|&i| cpm[i]).collect::<Vec<_>>())).collect();
    let (mut oracle, mut top_ctr, mut top_cpm) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for r in rankers {
        let per: Vec<(f64, f64, f64)> = brands
            .par_iter()
            .map(|&b| {
                let mut s = vec![0.0f32; ni];
                r.scores(b, &mut s);
                let allowed = |i: usize| !bs.seen[b].contains(&i);
                let top = top_k(&s, allowed, 10);
                let gain: Vec<f64> = (0..ni).map(|i| t.value(objective, b, i)).collect();
                let cands: Vec<usize> = (0..ni).filter(|&i| allowed(i)).collect();
                let ndcg = graded_ndcg(&top, &gain, &cands, 10);
                (
                    ndcg,
                    mean(&top.iter().map(|&i| t.ctr(b, i)).collect::<Vec<_>>()),
                    mean(&top.iter().map(|&i| cpm[i]).collect::<Vec<_>>()),
                )
            })
            .collect();
        let name = r.name().to_string();
        oracle.insert(name.clone(), bootstrap(&per.iter().map(|p| p.0).collect::<Vec<_>>(), cfg.bootstrap, cfg.seed));
        top_ctr.insert(name.clone(), mean(&per.iter().map(|p| p.1).collect::<Vec<_>>()));
        top_cpm.insert(name, mean(&per.iter().map(|p| p.2).collect::<Vec<_>>()));
    }
    let (pc, pm) = (mean(&picks_ctr), mean(&picks_cpm));
    Outcomes {
        brands: brands.len(),
        ctr_lift: top_ctr["kolrec"] / pc,
        cpm_drop: pm / top_cpm["kolrec"],
        oracle_ndcg_at_10: oracle,
        top10_ctr: top_ctr,
        top10_cpm: top_cpm,
        picks_ctr: pc,
        picks_cpm: pm,
    }
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "time split at {}: {} training rows, {} test rows; objective {}",
            self.split.cutoff, self.split.train_rows, self.split.test_rows, self.objective
        )?;
        let est = |e: &Estimate| format!("{:.3} [{:.3},{:.3}]", e.mean, e.lo, e.hi);
        for (name, seg) in &self.segments {
            writeln!(f, "\n{name}: {} brands, {} relevant held-out pairs", seg.brands, seg.relevant_pairs)?;
            let Some(first) = seg.models.values().next() else { continue };
            let cols: Vec<&String> =
                first.metrics.keys().filter(|k| k.ends_with("@10") || k.ends_with("@50")).collect();
            write!(f, "  {:<28}", "model")?;
            for c in &cols {
                write!(f, " {c:>21}")?;
            }
            writeln!(f, " {:>12}", "coverage@10")?;
            for (m, mm) in &seg.models {
                write!(f, "  {m:<28}")?;
                for c in &cols {
                    write!(f, " {:>21}", est(&mm.metrics[*c]))?;
                }
                writeln!(f, " {:>12.3}", mm.coverage.get("coverage@10").copied().unwrap_or(f64::NAN))?;
            }
        }
        for (name, o) in &self.outcomes {
            writeln!(
                f,
                "\ntrue outcomes, {name} ({} brands; brands' own test-period picks: CTR {:.3}%, CPM {:.1})",
                o.brands,
                100.0 * o.picks_ctr,
                o.picks_cpm
            )?;
            writeln!(f, "  {:<28} {:>21} {:>10} {:>8}", "model (top-10)", "oracle ndcg@10", "true CTR", "CPM")?;
            for (m, e) in &o.oracle_ndcg_at_10 {
                writeln!(f, "  {m:<28} {:>21} {:>9.3}% {:>8.1}", est(e), 100.0 * o.top10_ctr[m], o.top10_cpm[m])?;
            }
            writeln!(f, "  kolrec vs own picks: CTR ×{:.2}, CPM ÷{:.2}", o.ctr_lift, o.cpm_drop)?;
        }
        if let Some(a) = &self.ann {
            writeln!(
                f,
                "
ANN index (M {}, ef_search {}; {} brands): recall@10 {:.3} unfiltered, {:.3} filtered on the HNSW path ({:.3} as served; filter: {}, {:.0} creators allowed on average)",
                a.params.m,
                a.params.ef_search,
                a.queries,
                a.recall_at_10,
                a.recall_at_10_filtered,
                a.served_recall_at_10_filtered,
                a.filter,
                a.mean_allowed
            )?;
        }
        if let Some(g) = &self.growth {
            write!(f, "\n{g}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_match_hand_computed_values() {
        // Ranking [3, 1, 7, 2], relevant {1, 2, 9}; k = 3.
        let rel: HashSet<usize> = [1, 2, 9].into_iter().collect();
        let (recall, ndcg, map) = ranking_metrics(&[3, 1, 7, 2], &rel, 3);
        // One hit (item 1 at position 2) in the top 3.
        assert!((recall - 1.0 / 3.0).abs() < 1e-12);
        let idcg = 1.0 + 1.0 / 3f64.log2() + 0.5;
        assert!((ndcg - (1.0 / 3f64.log2()) / idcg).abs() < 1e-12);
        // P@2 = 1/2 at the only hit; divided by min(|rel|, k) = 3.
        assert!((map - 0.5 / 3.0).abs() < 1e-12);
        // k = 4 adds the hit on item 2 at position 4.
        let (r4, _, m4) = ranking_metrics(&[3, 1, 7, 2], &rel, 4);
        assert!((r4 - 2.0 / 3.0).abs() < 1e-12);
        assert!((m4 - (0.5 + 0.5) / 3.0).abs() < 1e-12);
        assert_eq!(ranking_metrics(&[1, 2], &HashSet::new(), 2), (0.0, 0.0, 0.0));
    }

    #[test]
    fn graded_ndcg_is_one_for_the_ideal_order() {
        let gain = [0.1, 5.0, 2.0, 0.0];
        let cands = [0, 1, 2, 3];
        assert!((graded_ndcg(&[1, 2], &gain, &cands, 2) - 1.0).abs() < 1e-12);
        let swapped = graded_ndcg(&[2, 1], &gain, &cands, 2);
        let want = (2.0 + 5.0 / 3f64.log2()) / (5.0 + 2.0 / 3f64.log2());
        assert!((swapped - want).abs() < 1e-12);
    }

    #[test]
    fn top_k_respects_filters_and_breaks_ties_by_index() {
        let s = [0.5, 0.9, 0.9, 0.1, 0.7];
        assert_eq!(top_k(&s, |_| true, 3), vec![1, 2, 4]);
        assert_eq!(top_k(&s, |i| i != 1, 2), vec![2, 4]);
        assert_eq!(top_k(&s, |i| i == 3, 5), vec![3]);
    }

    #[test]
    fn bootstrap_interval_brackets_the_mean_and_is_seeded() {
        let v: Vec<f64> = (0..200).map(|i| (i % 10) as f64).collect();
        let e = bootstrap(&v, 500, 1);
        assert!((e.mean - 4.5).abs() < 1e-12 && e.lo < e.mean && e.mean < e.hi);
        assert!(e.hi - e.lo < 1.0);
        assert_eq!(e, bootstrap(&v, 500, 1));
    }

    #[test]
    fn the_split_holds_out_the_last_share_of_the_time_span() {
        let mut c = Campaigns::default();
        for d in 0..=100 {
            c.brand.push(0);
            c.influencer.push(0);
            c.date.push(d);
        }
        let s = time_split(&c, 0.2).unwrap();
        assert_eq!(s.cutoff_day, 80);
        assert_eq!((s.train.len(), s.test.len()), (80, 21));
        assert!(time_split(&c, 1.0).unwrap_err().to_string().contains("--holdout 1"));
    }
}
