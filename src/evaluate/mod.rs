//! Offline evaluation of recommenders, shared by kolrec's model and its baselines: a time-based
//! split, ranking metrics (Recall, NDCG, MAP, coverage) for warm brands, cold brands and cold
//! influencers with bootstrap confidence intervals, and — on simulated data — the true outcomes of
//! the recommendations against the brands' own picks.

pub mod ann;
pub mod baselines;
pub mod growth;
pub mod outcome;
pub mod recs;
pub mod retrieval;
pub mod split;

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::affinity::{self, AffinityModel, AffinityParams, TrainReport};
use crate::catalog::Catalog;
use crate::contract::Objective;
use crate::dataset::Dataset;
use crate::engine::Engine;
use crate::index::{HnswIndex, IndexError, IndexParams};
use crate::metrics::{Estimate, bootstrap, graded_ndcg, ranking_metrics};
use crate::model_dir::{self, ModelDirError};
use crate::pipeline::Filter;
use crate::ranker::{RankerError, RankerParams, RankerReport};
use crate::sim::truth::Truth;
pub use ann::AnnEval;
pub use baselines::{GlobalScore, Kolrec, Ranker, Retrieval, SameCategory};
pub use outcome::{Graded, GradedSegment, Tried};
pub use recs::{RecsError, RecsFile};
pub use split::{BrandSplit, Split, brand_split, time_split};

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

/// Most bootstrap resamples an evaluation draws (their results are kept per segment and model).
pub const MAX_BOOTSTRAP: usize = 100_000;

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("holdout {0} must be strictly between 0 and 1")]
    Holdout(f64),
    #[error("ks must list cut-offs between 1 and 1000, got {0:?}")]
    Ks(Vec<usize>),
    #[error("bootstrap {0} must be at most {MAX_BOOTSTRAP} resamples (each one re-averages every brand)")]
    Bootstrap(usize),
    #[error("cannot split: {0}")]
    Split(String),
    #[error(transparent)]
    Model(#[from] affinity::AffinityError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Ranker(#[from] RankerError),
    #[error(transparent)]
    ModelDir(#[from] ModelDirError),
    #[error(transparent)]
    Growth(#[from] crate::growth::GrowthError),
    #[error("cannot write {}: {reason}", path.display())]
    Write { path: PathBuf, reason: String },
}

impl EvalConfig {
    pub fn check(&self) -> Result<(), EvalError> {
        if !(self.holdout > 0.0 && self.holdout < 1.0) {
            return Err(EvalError::Holdout(self.holdout));
        }
        if self.ks.is_empty() || self.ks.iter().any(|&k| !(1..=1000).contains(&k)) {
            return Err(EvalError::Ks(self.ks.clone()));
        }
        if self.bootstrap > MAX_BOOTSTRAP {
            return Err(EvalError::Bootstrap(self.bootstrap));
        }
        Ok(())
    }
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
    /// The learned ranker's training, when evaluated with one.
    pub ranker: Option<RankerReport>,
    /// Training seconds of each stage.
    pub fit_seconds: BTreeMap<String, f64>,
    /// Share of the ranker's own top-10 over all creators that stage 1's candidates hold.
    pub retrieval_recall: Option<Vec<retrieval::RecallAt>>,
    /// Each test brand's tried pairs ordered by each model, graded by the value they realised per
    /// unit cost: the quality measure that needs no ground truth.
    pub outcome_graded: BTreeMap<String, outcome::GradedSegment>,
    /// How well each model predicts which creators brands picked in the test period (their
    /// picks follow the brands' own bias, so this measures imitation, not quality).
    pub held_out_picks: BTreeMap<String, Segment>,
    pub outcomes: BTreeMap<String, Outcomes>,
    /// Recall@10 of the HNSW index against the exact inner-product top-10, over all brands.
    pub ann_recall_at_10: Option<f64>,
    /// The same under the standard filter of [`AnnEval`], on the HNSW path.
    pub ann_recall_at_10_filtered: Option<f64>,
    pub ann: Option<ann::AnnEval>,
    /// The growth model's evaluation, when the model directory has one.
    pub growth: Option<growth::GrowthEval>,
    /// What could not be evaluated, and why.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// Fit a fresh model on the rows before the cutoff and evaluate it and the baselines after it.
pub fn evaluate(
    ds: &Dataset,
    truth: Option<&Truth>,
    params: &AffinityParams,
    ranker: Option<&RankerParams>,
    cfg: &EvalConfig,
    extra: &[&dyn Ranker],
) -> Result<EvalReport, EvalError> {
    cfg.check()?;
    let split = time_split(&ds.campaigns, cfg.holdout)?;
    let t0 = std::time::Instant::now();
    let (model, train) = AffinityModel::fit(ds, &split.train, params)?;
    let mut seconds = BTreeMap::from([("kolrec-retrieval".to_string(), t0.elapsed().as_secs_f64())]);
    let mut warnings = Vec::new();
    let learned = match ranker {
        None => None,
        Some(rp) => {
            let t = std::time::Instant::now();
            let r = crate::ranker::fit::fit(ds, &split.train, &model, params, rp);
            seconds.insert("kolrec-ranker".into(), t.elapsed().as_secs_f64());
            match r {
                Ok(r) => Some(r),
                Err(e @ RankerError::TooFewPairs(_)) => {
                    warnings.push(format!("learned ranker not evaluated ({e}); kolrec is the inner product alone"));
                    None
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    let has_ranker = learned.is_some();
    let ranker_report = learned.as_ref().map(|r| r.report.clone());
    let popularity = GlobalScore::popularity(ds, &split.train);
    let same = SameCategory::new(ds);
    let features = GlobalScore::features_only(ds, &split.train, &model.market, params);
    let bs = brand_split(ds, &split, &model);
    let cold_infl: Vec<bool> = model.influencer_history.iter().map(|&n| n == 0).collect();
    let warm: Vec<bool> = model.brand_history.iter().map(|&n| n > 0).collect();
    let index =
        cfg.index.as_ref().map(|ip| HnswIndex::build(&model.influencer_vectors, model.dim(), ip, true)).transpose()?;
    // The engine's `exact_below` is the index's own (built with `cfg.index`).
    let mut engine = Engine::from_parts(model, Catalog::build(ds, &split.train), index, None);
    if let Some(r) = learned {
        engine.set_ranker(Box::new(r));
    }
    let kolrec = Kolrec { engine: &engine };
    let stage1 = Retrieval { engine: &engine };
    let mut rankers: Vec<&dyn Ranker> = vec![&kolrec, &features, &popularity, &same];
    if has_ranker {
        rankers.insert(1, &stage1);
    }
    rankers.extend_from_slice(extra);
    let ni = ds.influencers.len();
    let warm_brand = |b: usize| warm[b];
    let cold_mask = Filter::from_mask(cold_infl.clone());
    let every = Filter::all(ni);

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
        for &r in &rankers {
            let kmax = *cfg.ks.iter().max().unwrap_or(&10);
            let tops: Vec<Vec<usize>> = brands
                .par_iter()
                .map(|&b| {
                    let base = if only_cold_infl { &cold_mask } else { &every };
                    r.top(b, kmax, &base.excluding(bs.seen[b].iter().map(|&i| i as u32)))
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

    let tried = Tried::of(&ds.campaigns, &split.test, ds.brands.len(), params.objective);
    let all_brands: Vec<usize> = (0..ds.brands.len()).collect();
    let mut outcome_graded = BTreeMap::new();
    for (name, brands, only_cold) in [
        ("warm_brands", all_brands.iter().copied().filter(|&b| warm_brand(b)).collect::<Vec<_>>(), false),
        ("cold_brands", all_brands.iter().copied().filter(|&b| !warm_brand(b)).collect(), false),
        ("cold_influencers", all_brands.clone(), true),
    ] {
        let seg = outcome::segment(&tried, &brands, |i| !only_cold || cold_infl[i], &rankers, cfg.bootstrap, cfg.seed);
        outcome_graded.insert(name.to_string(), seg);
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
    let ann = engine.index().map(|index| {
        let brands: Vec<usize> = (0..ds.brands.len()).collect();
        ann::ann_recall(&engine, &brands, index.sidecar.build_seconds)
    });
    let retrieval_recall = ranker.filter(|_| has_ranker).map(|rp| {
        let brands: Vec<usize> = (0..ds.brands.len()).collect();
        let mut at: Vec<usize> =
            [50, 100, 200, 300, 500, 1000, rp.candidates].into_iter().filter(|&n| n < ni).collect();
        at.sort_unstable();
        at.dedup();
        retrieval::recall(&engine, &brands, &at, 10)
    });
    Ok(EvalReport {
        objective: params.objective,
        split,
        train,
        ranker: ranker_report,
        fit_seconds: seconds,
        retrieval_recall,
        outcome_graded,
        held_out_picks: segments,
        outcomes,
        ann_recall_at_10: ann.as_ref().map(|a| a.recall_at_10),
        ann_recall_at_10_filtered: ann.as_ref().map(|a| a.recall_at_10_filtered),
        ann,
        growth: None,
        warnings,
    })
}

/// Evaluate with a model directory's parameters (refitted on the split's past), evaluate its
/// growth model too when it has one, and record the report in the directory: `eval.json`, the
/// growth test rows, and the manifest's `evaluation`.
pub fn evaluate_model_dir(
    ds: &Dataset,
    truth: Option<&Truth>,
    model: &Path,
    cfg: &EvalConfig,
    extra: &[&dyn Ranker],
) -> Result<EvalReport, EvalError> {
    cfg.check()?;
    // Loading verifies the model file; evaluation then refits with its parameters on the past only.
    let (trained, mut manifest) = model_dir::load_affinity(model)?;
    let params = trained.params.clone();
    let ranker = manifest.ranker.as_ref().map(|r| r.params.clone());
    drop(trained);
    // The index is measured with the parameters the model directory's own index was built with.
    let mut cfg = cfg.clone();
    if let (Some(ix), Some(_)) = (&manifest.index, &cfg.index) {
        cfg.index = Some(ix.params);
    }
    let mut report = evaluate(ds, truth, &params, ranker.as_ref(), &cfg, extra)?;
    if let Some(g) = &manifest.growth {
        match growth::evaluate_growth(ds, &g.params) {
            Ok(e) => {
                let path = model.join(model_dir::GROWTH_PREDICTIONS_FILE);
                e.predictions.write(&path).map_err(|e| EvalError::Write { path, reason: e.to_string() })?;
                report.growth = Some(e);
            }
            Err(e) => report.warnings.push(format!("growth model not evaluated: {e}")),
        }
    }
    let json = serde_json::to_value(&report).expect("the report serialises");
    let path = model.join(model_dir::EVAL_FILE);
    let text = serde_json::to_string_pretty(&json).expect("the report serialises");
    crate::fsutil::atomic_write(&path, text.as_bytes())
        .map_err(|e| EvalError::Write { path: path.clone(), reason: e.to_string() })?;
    manifest.evaluation = Some(json);
    model_dir::write_manifest(model, &manifest)?;
    Ok(report)
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
    // A float sum starts at −0.0: a model with nothing to show reads 0, not −0.
    let mean = |v: &[f64]| (v.iter().sum::<f64>() + 0.0) / v.len().max(1) as f64;
    let picks_ctr: Vec<f64> =
        brands.iter().map(|&b| mean(&bs.test_picks[b].iter().map(|&i| t.ctr(b, i)).collect::<Vec<_>>())).collect();
    let picks_cpm: Vec<f64> =
        brands.iter().map(|&b| mean(&bs.test_picks[b].iter().map(|&i| cpm[i]).collect::<Vec<_>>())).collect();
    let (mut oracle, mut top_ctr, mut top_cpm) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for r in rankers {
        let per: Vec<(f64, f64, f64)> = brands
            .par_iter()
            .map(|&b| {
                let allowed = |i: usize| !bs.seen[b].contains(&i);
                let top = r.top(b, 10, &Filter::all(ni).excluding(bs.seen[b].iter().map(|&i| i as u32)));
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
        writeln!(
            f,
            "\noutcome-graded: each test brand's tried creators ordered by the model, graded by realised {} per unit cost",
            match self.objective {
                Objective::Reach => "impressions",
                Objective::Engagement => "clicks",
                Objective::Conversion => "revenue",
            }
        )?;
        for (name, seg) in &self.outcome_graded {
            writeln!(f, "  {name}: {} brands, {} tried pairs", seg.brands, seg.pairs)?;
            writeln!(f, "    {:<28} {:>21} {:>21}", "model", "ndcg", "pairwise auc")?;
            for (m, g) in &seg.models {
                writeln!(f, "    {m:<28} {:>21} {:>21}", est(&g.ndcg), est(&g.pairwise_auc))?;
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
        writeln!(
            f,
            "\nheld-out picks (did the model predict whom each brand picked in the test period? The picks follow the brands' own bias: this measures imitation, not quality)"
        )?;
        for (name, seg) in &self.held_out_picks {
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
        if let Some(r) = &self.ranker {
            let secs = |s: &str| self.fit_seconds.get(s).copied().unwrap_or(f64::NAN);
            writeln!(
                f,
                "\ntwo stages: retrieval (inner product) fit {:.1}s; ranker {:.1}s ({:.1}s out-of-fold refits, {} trees on {} pairs, {} of them with the brand cold in its fold; validation RMSE {:.3} → {:.3})",
                secs("kolrec-retrieval"),
                secs("kolrec-ranker"),
                r.fold_seconds,
                r.trees,
                r.pairs,
                r.cold_brand_pairs,
                r.valid_loss.first().copied().unwrap_or(f64::NAN),
                r.valid_loss.iter().copied().fold(f64::INFINITY, f64::min),
            )?;
            let top: Vec<String> = r.importance.iter().take(6).map(|(n, v)| format!("{n} {v:.3}")).collect();
            writeln!(f, "  strongest features (mean |contribution|): {}", top.join(", "))?;
        }
        if let Some(rr) = &self.retrieval_recall {
            let opt = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.3}"));
            writeln!(
                f,
                "  retrieval recall of the ranker's top-10 over every creator ({} brands):",
                rr.first().map_or(0, |r| r.brands)
            )?;
            for r in rr {
                writeln!(
                    f,
                    "    N = {:<6} all {:.3}  warm {}  cold {}",
                    r.candidates,
                    r.all,
                    opt(r.warm),
                    opt(r.cold)
                )?;
            }
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
