//! The stage-2 learned ranker: gradient-boosted trees that re-score retrieval's candidates from
//! pair features ([`features`]) and outcome evidence ([`evidence`]), trained on campaign
//! outcomes — the signed, confidence-weighted value target of `affinity::outcome` (a post that
//! did worse than the market is evidence against the pair) — with every kolrec-only feature
//! computed out of fold ([`fit`]).
//!
//! Stage 1 (the inner-product model behind the index) returns `candidates` creators per query
//! under its filters; this stage scores them and the best `k` are returned. A list to score is
//! its own candidate set.

pub mod booster;
pub mod evidence;
pub mod features;
pub mod fit;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::affinity::AffinityModel;
use crate::linalg::dot;
use crate::pipeline::rank::{Candidate, Moved, Ranker};
use crate::pipeline::{Brief, Query};
use booster::Booster;
use evidence::{Evidence, unit};
use features::{BrandProfile, CreatorProfile, FEATURES, N, Profiles, at};

/// Hyperparameters of the ranker.
///
/// | name | default | range | meaning |
/// |---|---|---|---|
/// | candidates | 300 | 1 – 100 000 | retrieval candidates per query (at least `k`) |
/// | folds | 3 | 2 – 10 | folds of the out-of-fold features (one affinity refit each) |
/// | fold_iterations | 8 | 1 – 200 | ALS sweeps of each fold's refit |
/// | cold_brand_share | 0.2 | 0 – 0.9 | brands whose pairs all fall in one fold, so the ranker learns how cold brands behave |
/// | cold_creator_share | 0.1 | 0 – 0.9 | the same for creators |
/// | max_pairs | 1 000 000 | 1 000 – 10⁸ | out-of-fold pairs the trees train on at most (an even sample of them beyond) |
/// | max_trees | 800 | 1 – 10 000 | trees at most (early stopping picks fewer) |
/// | patience | 40 | 1 – 1 000 | trees without a better validation loss before stopping |
/// | valid_share | 0.1 | 0.01 – 0.5 | pairs held out to stop on |
/// | learning_rate | 0.05 | > 0 – 1 | shrinkage per tree |
/// | max_depth | 8 | 1 – 32 | tree depth |
/// | max_leaves | 31 | 2 – 4 096 | leaves per tree |
/// | min_leaf_weight | 20 | ≥ 0 | total confidence a leaf needs |
/// | l2 | 1 | ≥ 0 | leaf-weight ridge |
/// | subsample | 0.8 | > 0 – 1 | rows per tree |
/// | colsample | 0.8 | > 0 – 1 | features per tree |
/// | seed | 42 | any | folds, sampling |
/// | offset | retrieval | retrieval, cost, none | the part of the score the trees correct (retrieval: measured best across five markets) |
/// | monotone | true | | the score never falls as the retrieval score or the cost efficiency rises |
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct RankerParams {
    pub candidates: usize,
    pub folds: usize,
    pub fold_iterations: usize,
    pub cold_brand_share: f64,
    pub cold_creator_share: f64,
    pub max_pairs: usize,
    pub max_trees: usize,
    pub patience: usize,
    pub valid_share: f64,
    pub learning_rate: f32,
    pub max_depth: usize,
    pub max_leaves: usize,
    pub min_leaf_weight: f32,
    pub l2: f32,
    pub subsample: f32,
    pub colsample: f32,
    pub seed: u64,
    /// What the trees correct: their score is added to this part of the row.
    pub offset: Offset,
    /// The score rises with the retrieval score and the cost efficiency, all else equal.
    pub monotone: bool,
}

/// The part of a pair's score the trees start from.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Offset {
    /// The retrieval score: the trees learn what the inner product gets wrong.
    #[default]
    Retrieval,
    /// The creator's cost-efficiency offset only.
    Cost,
    /// Nothing: the trees learn the whole value.
    None,
}

impl Offset {
    /// The row position the offset is read from.
    pub fn feature(self) -> Option<usize> {
        match self {
            Offset::Retrieval => Some(at::RETRIEVAL),
            Offset::Cost => Some(at::COST),
            Offset::None => None,
        }
    }

    pub fn of(self, row: &[f32; N]) -> f32 {
        let x = match self {
            Offset::Retrieval => row[at::RETRIEVAL],
            Offset::Cost => row[at::COST],
            Offset::None => 0.0,
        };
        if x.is_finite() { x } else { 0.0 }
    }
}

impl Default for RankerParams {
    fn default() -> Self {
        RankerParams {
            candidates: 300,
            folds: 3,
            fold_iterations: 8,
            cold_brand_share: 0.2,
            cold_creator_share: 0.1,
            max_pairs: 1_000_000,
            max_trees: 800,
            patience: 40,
            valid_share: 0.1,
            learning_rate: 0.05,
            max_depth: 8,
            max_leaves: 31,
            min_leaf_weight: 20.0,
            l2: 1.0,
            subsample: 0.8,
            colsample: 0.8,
            seed: 42,
            offset: Offset::default(),
            monotone: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RankerError {
    #[error("invalid ranker parameter {name} = {value}: {reason}")]
    Param { name: &'static str, value: String, reason: &'static str },
    #[error("the ranker needs campaign pairs to learn from: {0}")]
    TooFewPairs(String),
    #[error(transparent)]
    Affinity(#[from] crate::affinity::AffinityError),
    #[error("the gradient-boosted trees failed: {0}")]
    Booster(String),
}

impl RankerParams {
    pub fn check(&self) -> Result<(), RankerError> {
        fn bad<T: std::fmt::Display>(name: &'static str, v: T, reason: &'static str) -> Result<(), RankerError> {
            Err(RankerError::Param { name, value: v.to_string(), reason })
        }
        let share = |x: f64, hi: f64| x.is_finite() && (0.0..=hi).contains(&x);
        let unit_open = |x: f32| x.is_finite() && x > 0.0 && x <= 1.0;
        if !(1..=100_000).contains(&self.candidates) {
            return bad("candidates", self.candidates, "must be between 1 and 100000");
        }
        if !(2..=10).contains(&self.folds) {
            return bad("folds", self.folds, "must be between 2 and 10");
        }
        if !(1..=200).contains(&self.fold_iterations) {
            return bad("fold_iterations", self.fold_iterations, "must be between 1 and 200");
        }
        if !share(self.cold_brand_share, 0.9) {
            return bad("cold_brand_share", self.cold_brand_share, "must be between 0 and 0.9");
        }
        if !share(self.cold_creator_share, 0.9) {
            return bad("cold_creator_share", self.cold_creator_share, "must be between 0 and 0.9");
        }
        if !(1000..=100_000_000).contains(&self.max_pairs) {
            return bad("max_pairs", self.max_pairs, "must be between 1000 and 100000000");
        }
        if !(1..=10_000).contains(&self.max_trees) {
            return bad("max_trees", self.max_trees, "must be between 1 and 10000");
        }
        if !(1..=1000).contains(&self.patience) {
            return bad("patience", self.patience, "must be between 1 and 1000");
        }
        if !(self.valid_share.is_finite() && (0.01..=0.5).contains(&self.valid_share)) {
            return bad("valid_share", self.valid_share, "must be between 0.01 and 0.5");
        }
        if !unit_open(self.learning_rate) {
            return bad("learning_rate", self.learning_rate, "must be in (0, 1]");
        }
        if !(1..=32).contains(&self.max_depth) {
            return bad("max_depth", self.max_depth, "must be between 1 and 32");
        }
        if !(2..=4096).contains(&self.max_leaves) {
            return bad("max_leaves", self.max_leaves, "must be between 2 and 4096");
        }
        if !(self.min_leaf_weight.is_finite() && self.min_leaf_weight >= 0.0) {
            return bad("min_leaf_weight", self.min_leaf_weight, "must be a finite number ≥ 0");
        }
        if !(self.l2.is_finite() && self.l2 >= 0.0) {
            return bad("l2", self.l2, "must be a finite number ≥ 0");
        }
        if !unit_open(self.subsample) {
            return bad("subsample", self.subsample, "must be in (0, 1]");
        }
        if !unit_open(self.colsample) {
            return bad("colsample", self.colsample, "must be in (0, 1]");
        }
        Ok(())
    }
}

/// What training measured, kept in the manifest.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct RankerReport {
    /// Campaign pairs the trees learned from (out-of-fold feature rows).
    pub pairs: usize,
    /// Out-of-fold pairs there were (more than `pairs` when `max_pairs` sampled them).
    pub oof_pairs: usize,
    pub valid_pairs: usize,
    /// Of the pairs, those whose brand (creator) was cold in its fold.
    pub cold_brand_pairs: usize,
    pub cold_creator_pairs: usize,
    pub trees: usize,
    /// Weighted RMSE of the value target on the training rows after every tree, and on the
    /// validation rows.
    pub train_loss: Vec<f64>,
    pub valid_loss: Vec<f64>,
    /// Features by total |contribution| over the validation rows, largest first.
    pub importance: Vec<(String, f64)>,
    pub fold_seconds: f64,
    pub fit_seconds: f64,
}

/// The trained ranker with everything it reads at serving time.
pub struct LearnedRanker {
    pub params: RankerParams,
    booster: Booster,
    ctx: Context,
    pub report: RankerReport,
}

/// The evidence and profiles one set of features is computed from: a fold's during training,
/// every training campaign's when serving.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Context {
    pub profiles: Profiles,
    pub evidence: Evidence,
    /// Per creator, the affinity model's cost-efficiency offset.
    pub efficiency: Vec<f32>,
    pub brand_history: Vec<u32>,
    pub creator_history: Vec<u32>,
}

/// The query's side of every feature row, computed once per query.
pub struct QuerySide {
    profile: BrandProfile,
    brand: Option<usize>,
    unit: Vec<f32>,
    evidence: f32,
    outcome: f32,
}

impl Context {
    /// Whether every per-creator and per-brand array has one entry each (codes are compared,
    /// never used as indices, so any code is safe): a decoded file's arrays must not send a
    /// query out of bounds.
    pub fn check_shape(&self) -> Result<(), String> {
        let p = &self.profiles;
        let (nb, ni) = (p.brands.len(), p.creators.len());
        for (name, got, need) in [
            ("efficiency", self.efficiency.len(), ni),
            ("creator_history", self.creator_history.len(), ni),
            ("brand_history", self.brand_history.len(), nb),
        ] {
            if got != need {
                return Err(format!("{name} holds {got} values where the ranker needs {need}"));
            }
        }
        self.evidence.check_shape(nb, ni)
    }

    /// The context of `model` (trained on `pairs`) over the profiles.
    pub fn new(profiles: Profiles, pairs: &[crate::affinity::outcome::PairTarget], model: &AffinityModel) -> Context {
        let bc: Vec<u32> = profiles.brands.iter().map(|b| b.category).collect();
        let ic: Vec<u32> = profiles.creators.iter().map(|c| c.category).collect();
        let evidence = Evidence::build(pairs, &bc, &ic, profiles.categories.len(), model);
        Context {
            profiles,
            evidence,
            efficiency: model.efficiency.offsets.clone(),
            brand_history: model.brand_history.clone(),
            creator_history: model.influencer_history.clone(),
        }
    }

    /// The query side of brand row `brand` (or of `profile`, a brand without a row), whose
    /// vector is `vector`.
    pub fn query_side(&self, vector: &[f32], brand: Option<usize>, profile: Option<&Brief>) -> QuerySide {
        let known = brand.filter(|&b| b < self.profiles.brands.len());
        let profile = match (known, profile) {
            (Some(b), _) => self.profiles.brands[b],
            (None, Some(p)) => self.profiles.brief(p),
            (None, None) => self.profiles.brief(&Brief::default()),
        };
        let history = known.map_or(0, |b| self.brand_history[b]);
        QuerySide {
            profile,
            brand: known,
            unit: unit(vector, self.evidence.dim()),
            evidence: (1.0 + history as f32).ln(),
            outcome: self.evidence.brand_outcome(known),
        }
    }

    /// One pair's feature row.
    pub fn row(&self, q: &QuerySide, c: Candidate<'_>, retrieval: f32) -> [f32; N] {
        let mut row = [f32::NAN; N];
        row[at::RETRIEVAL] = retrieval;
        row[at::BRAND_EVIDENCE] = q.evidence;
        row[at::BRAND_OUTCOME] = q.outcome;
        let profile: CreatorProfile = match c {
            Candidate::Known(i) => {
                let (sim, weight) = self.evidence.similar_brands(i, &q.unit, q.brand);
                row[at::COST] = self.efficiency.get(i).copied().unwrap_or(f32::NAN);
                row[at::CREATOR_EVIDENCE] = (1.0 + self.creator_history[i] as f32).ln();
                row[at::CREATOR_OUTCOME] = self.evidence.creator_outcome(i);
                row[at::SIMILAR_OUTCOME] = sim;
                row[at::SIMILAR_WEIGHT] = weight;
                self.profiles.creators[i]
            }
            Candidate::New { list, row: k, efficiency } => {
                row[at::COST] = efficiency;
                row[at::CREATOR_EVIDENCE] = 0.0;
                row[at::CREATOR_OUTCOME] = 0.0;
                row[at::SIMILAR_WEIGHT] = 0.0;
                self.profiles.creator(list, k)
            }
        };
        row[at::CATEGORY_PAIR] = self.evidence.category_pair(q.profile.category, profile.category);
        features::profile_part(&mut row, &q.profile, &profile);
        row
    }
}

impl LearnedRanker {
    fn query_side(&self, query: &Query) -> QuerySide {
        self.ctx.query_side(&query.vector, query.brand, query.profile.as_ref())
    }

    /// The feature rows of candidates, for inspection and tests.
    pub fn rows(&self, query: &Query, candidates: &[Candidate<'_>], retrieval: &[f32]) -> Vec<[f32; N]> {
        let q = self.query_side(query);
        candidates.iter().zip(retrieval).map(|(&c, &s)| self.ctx.row(&q, c, s)).collect()
    }

    /// How many creators and brands the ranker was trained for (it must match the model).
    pub fn shape(&self) -> (usize, usize) {
        (self.ctx.profiles.creators.len(), self.ctx.profiles.brands.len())
    }

    /// The ranker as a file payload.
    pub fn to_file(&self) -> Result<RankerFile, RankerError> {
        Ok(RankerFile {
            params: self.params.clone(),
            booster_json: self.booster.to_json().map_err(RankerError::Booster)?,
            context: self.ctx.clone(),
            report: self.report.clone(),
        })
    }

    pub fn from_file(f: RankerFile) -> Result<LearnedRanker, String> {
        f.context.check_shape()?;
        Ok(LearnedRanker {
            params: f.params,
            booster: Booster::from_json(&f.booster_json)?,
            ctx: f.context,
            report: f.report,
        })
    }
}

/// What `ranker.bin` holds.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RankerFile {
    pub params: RankerParams,
    /// The trees, as forust's JSON (see [`booster`]).
    pub booster_json: String,
    pub context: Context,
    pub report: RankerReport,
}

impl Ranker for LearnedRanker {
    fn name(&self) -> &'static str {
        "learned"
    }

    fn candidates(&self, k: usize) -> usize {
        self.params.candidates.max(k)
    }

    fn score(&self, query: &Query, candidates: &[Candidate<'_>], retrieval: &[f32]) -> Vec<f32> {
        self.score_rows(&self.rows(query, candidates, retrieval))
    }

    fn explain(&self, query: &Query, candidates: &[Candidate<'_>], retrieval: &[f32], top: usize) -> Vec<Vec<Moved>> {
        self.explain_rows(&self.rows(query, candidates, retrieval), top)
    }

    fn score_explained(
        &self,
        query: &Query,
        candidates: &[Candidate<'_>],
        retrieval: &[f32],
        top: usize,
    ) -> (Vec<f32>, Vec<Vec<Moved>>) {
        let rows = self.rows(query, candidates, retrieval);
        (self.score_rows(&rows), self.explain_rows(&rows, top))
    }
}

impl LearnedRanker {
    fn score_rows(&self, rows: &[[f32; N]]) -> Vec<f32> {
        let offset = self.params.offset;
        self.booster.predict(rows).iter().zip(rows).map(|(p, r)| p + offset.of(r)).collect()
    }

    fn explain_rows(&self, rows: &[[f32; N]], top: usize) -> Vec<Vec<Moved>> {
        let offset = self.params.offset;
        rows.iter()
            .zip(self.booster.contributions(rows))
            .map(|(row, mut contributions)| {
                // The offset enters the score whole: it is its feature's contribution too.
                if let Some(j) = offset.feature() {
                    contributions[j] += offset.of(row);
                }
                let mut moved: Vec<Moved> = (0..N)
                    .map(|j| Moved { feature: FEATURES[j].1, value: row[j], contribution: contributions[j] })
                    .filter(|m| m.contribution.abs() > 1e-3)
                    .collect();
                moved.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
                moved.truncate(top);
                moved
            })
            .collect()
    }
}

/// The inner product of a brand and a creator of `model` (stage 1's score of the pair).
pub fn retrieval_score(model: &AffinityModel, b: usize, i: usize) -> f32 {
    dot(model.brand_vector(b), model.influencer_vector(i))
}
