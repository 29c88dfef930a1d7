//! The affinity model: brand and influencer embeddings whose inner product ranks influencers for a
//! brand by how well a collaboration would perform for the chosen objective, learned from campaign
//! outcomes (see `outcome`) with feature priors for cold entities (see `als`).

pub mod als;
pub mod features;
pub mod outcome;

use std::collections::HashMap;
use std::time::Instant;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::contract::Objective;
use crate::dataset::{Brands, Dataset, Influencers};
use crate::linalg::dot;
use als::{ColdSystem, Csr, Hyper};
use features::FeatureSpec;
use outcome::{Efficiency, Market, PairTarget, TargetKind};

/// Hyperparameters of the affinity model.
///
/// | name | default | range | meaning |
/// |---|---|---|---|
/// | objective | engagement | reach, engagement, conversion | what a collaboration is worth (see `outcome`) |
/// | factors | 64 | 1 – 1024 | embedding size (the served vectors have `factors + 2` values: two bias slots) |
/// | iterations | 15 | 1 – 200 | ALS sweeps (brands, brand prior, creators, creator prior) |
/// | regularization | 20.0 | > 0 – 10⁶ | λ: pull of every embedding toward its feature prior |
/// | prior_regularization | 1.0 | > 0 – 10⁶ | ν: ridge strength of the feature → embedding projection, relative to λ |
/// | alpha | 10.0 | 0 – 10⁴ | extra confidence of a well-measured outcome: `c = 1 + α·n/(n + 10)` |
/// | implicit_weight | 0.05 | 0 – 100 | total weight of unobserved pairs (read as "average outcome") relative to the total confidence of observed ones |
/// | cg_steps | 3 | 1 – 64 | conjugate-gradient steps per entity and sweep |
/// | seed | 42 | any | initial factors |
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AffinityParams {
    pub objective: Objective,
    pub factors: usize,
    pub iterations: usize,
    pub regularization: f64,
    pub prior_regularization: f64,
    pub alpha: f64,
    pub implicit_weight: f64,
    pub cg_steps: usize,
    pub seed: u64,
}

impl Default for AffinityParams {
    fn default() -> Self {
        AffinityParams {
            objective: Objective::Engagement,
            factors: 64,
            iterations: 15,
            regularization: 20.0,
            prior_regularization: 1.0,
            alpha: 10.0,
            implicit_weight: 0.05,
            cg_steps: 3,
            seed: 42,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AffinityError {
    #[error("invalid affinity parameter {name} = {value}: {reason}")]
    Param { name: &'static str, value: String, reason: &'static str },
    #[error(
        "no campaign row can be learned from for the '{objective}' objective: of {rows} rows, {no_cost} have no positive cost and {no_outcome} lack the objective's outcome (every row needs a cost above 0 and impressions; engagement also needs clicks, conversion conversions or revenue)"
    )]
    NoTargets { objective: Objective, rows: usize, no_cost: usize, no_outcome: usize },
    #[error("unknown brand '{0}': not in the model (describe it with features to get cold-start recommendations)")]
    UnknownBrand(String),
    #[error("unknown influencer '{0}': not in the model")]
    UnknownInfluencer(String),
}

impl AffinityParams {
    pub fn check(&self) -> Result<(), AffinityError> {
        fn bad<T: std::fmt::Display>(name: &'static str, v: T, reason: &'static str) -> Result<(), AffinityError> {
            Err(AffinityError::Param { name, value: v.to_string(), reason })
        }
        let in_range = |x: f64, lo: f64, hi: f64| x.is_finite() && x >= lo && x <= hi;
        if !(1..=1024).contains(&self.factors) {
            return bad("factors", self.factors, "must be between 1 and 1024");
        }
        if !(1..=200).contains(&self.iterations) {
            return bad("iterations", self.iterations, "must be between 1 and 200");
        }
        if !(in_range(self.regularization, 0.0, 1e6) && self.regularization > 0.0) {
            return bad("regularization", self.regularization, "must be > 0 and at most 1e6");
        }
        if !(in_range(self.prior_regularization, 0.0, 1e6) && self.prior_regularization > 0.0) {
            return bad("prior_regularization", self.prior_regularization, "must be > 0 and at most 1e6");
        }
        if !in_range(self.alpha, 0.0, 1e4) {
            return bad("alpha", self.alpha, "must be between 0 and 10000");
        }
        if !in_range(self.implicit_weight, 0.0, 100.0) {
            return bad("implicit_weight", self.implicit_weight, "must be between 0 and 100");
        }
        if !(1..=64).contains(&self.cg_steps) {
            return bad("cg_steps", self.cg_steps, "must be between 1 and 64");
        }
        Ok(())
    }
}

/// A trained affinity model. Scores are `brand_vector · influencer_vector` exactly, so an inner-
/// product index over `influencer_vectors` serves what the model ranks by.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AffinityModel {
    pub params: AffinityParams,
    pub market: Market,
    pub brand_ids: Vec<String>,
    pub influencer_ids: Vec<String>,
    /// `n_brands × dim` with `dim = factors + 2`: `[u, 1, β_b]`.
    pub brand_vectors: Vec<f32>,
    /// `n_influencers × dim`: `[v, β_i + e_i, 1]`, where `e_i` is the creator's cost efficiency.
    pub influencer_vectors: Vec<f32>,
    pub brand_features: FeatureSpec,
    pub influencer_features: FeatureSpec,
    /// Feature → embedding projections, `(factors + 1) × feature width`.
    pub brand_prior: Vec<f32>,
    pub influencer_prior: Vec<f32>,
    pub brand_cold: ColdSystem,
    pub influencer_cold: ColdSystem,
    /// Training campaigns per brand and per influencer (0 = cold).
    pub brand_history: Vec<u32>,
    pub influencer_history: Vec<u32>,
    pub hyper_w0: f64,
    /// Creators' cost efficiency, already added into their bias slot.
    pub efficiency: Efficiency,
}

/// When training measures its objective.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tracking {
    /// After initialisation and after the last sweep.
    Ends,
    /// After initialisation and after every sweep (`kolrec train --track-objective`).
    EverySweep,
}

/// What one training run did.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TrainReport {
    pub rows_used: usize,
    pub rows_without_objective: usize,
    pub pairs: usize,
    pub warm_brands: usize,
    pub warm_influencers: usize,
    /// Objective after initialisation, then after every sweep ([`Tracking::EverySweep`]) or only
    /// after the last one ([`Tracking::Ends`]).
    pub objective_history: Vec<f64>,
    pub seconds: f64,
}

impl AffinityModel {
    pub fn dim(&self) -> usize {
        self.params.factors + 2
    }

    /// Whether the decoded arrays have the lengths the parameters and IDs imply (a payload edited
    /// behind a recomputed checksum would otherwise panic on an index later, far from the file).
    pub fn check_shape(&self) -> Result<(), String> {
        self.params.check().map_err(|e| e.to_string())?;
        let (d, dim, nb, ni) = (self.params.factors + 1, self.dim(), self.brand_ids.len(), self.influencer_ids.len());
        let want = [
            ("brand_vectors", self.brand_vectors.len(), nb * dim),
            ("influencer_vectors", self.influencer_vectors.len(), ni * dim),
            ("brand_prior", self.brand_prior.len(), d * self.brand_features.width()),
            ("influencer_prior", self.influencer_prior.len(), d * self.influencer_features.width()),
            ("brand_cold", self.brand_cold.factor.len(), d * d),
            ("influencer_cold", self.influencer_cold.factor.len(), d * d),
            ("brand_history", self.brand_history.len(), nb),
            ("influencer_history", self.influencer_history.len(), ni),
        ];
        match want.iter().find(|(_, got, need)| got != need) {
            Some((name, got, need)) => Err(format!("{name} holds {got} values where the model needs {need}")),
            None => Ok(()),
        }
    }

    fn hyper(&self) -> Hyper {
        Hyper {
            k: self.params.factors,
            lambda: self.params.regularization,
            nu: self.params.prior_regularization,
            w0: self.hyper_w0,
            cg_steps: self.params.cg_steps,
        }
    }

    /// Train on the campaign rows `rows` of `ds` (all rows for `kolrec train`; the rows before the
    /// cutoff for `kolrec eval`), measuring the objective before the first and after the last sweep.
    pub fn fit(
        ds: &Dataset,
        rows: &[usize],
        params: &AffinityParams,
    ) -> Result<(AffinityModel, TrainReport), AffinityError> {
        Self::fit_tracked(ds, rows, params, Tracking::Ends)
    }

    /// [`AffinityModel::fit`], choosing how often the objective is measured (about 8% of a sweep).
    pub fn fit_tracked(
        ds: &Dataset,
        rows: &[usize],
        params: &AffinityParams,
        track: Tracking,
    ) -> Result<(AffinityModel, TrainReport), AffinityError> {
        params.check()?;
        let t0 = Instant::now();
        let market = Market::measure(&ds.campaigns, rows, params.objective);
        let (pairs, skipped) = outcome::pair_targets(&ds.campaigns, rows, &market, params.alpha, TargetKind::Rate);
        if pairs.is_empty() {
            let c = &ds.campaigns;
            let no_cost = rows.iter().filter(|&&r| !(c.cost[r].is_finite() && c.cost[r] > 0.0)).count();
            let measured = |r: usize| match params.objective {
                Objective::Reach => c.impressions[r].is_finite(),
                Objective::Engagement => c.clicks[r].is_finite(),
                Objective::Conversion => c.conversions[r].is_finite() || c.revenue[r].is_finite(),
            };
            let no_outcome = rows.iter().filter(|&&r| !measured(r)).count();
            return Err(AffinityError::NoTargets {
                objective: params.objective,
                rows: rows.len(),
                no_cost,
                no_outcome,
            });
        }
        let efficiency = Efficiency::measure(&ds.campaigns, rows, &ds.influencers);
        let (nb, ni) = (ds.brands.len(), ds.influencers.len());
        let k = params.factors;
        let d = k + 1;
        let brand_features = features::fit_brands(&ds.brands);
        let influencer_features = features::fit_influencers(&ds.influencers);
        let (fb, fi) = (brand_features.width(), influencer_features.width());
        let xb = features::encode_brands(&brand_features, &ds.brands);
        let xi = features::encode_influencers(&influencer_features, &ds.influencers);

        let by_brand = Csr::build(nb, pairs.iter().map(|p| (p.brand, p.influencer, p.y, p.confidence)));
        let by_infl = Csr::build(ni, pairs.iter().map(|p| (p.influencer, p.brand, p.y, p.confidence)));
        let total_conf: f64 = pairs.iter().map(|p| f64::from(p.confidence)).sum();
        let unobserved = (nb as f64 * ni as f64 - pairs.len() as f64).max(1.0);
        let hp = Hyper {
            k,
            lambda: params.regularization,
            nu: params.prior_regularization,
            w0: params.implicit_weight * total_conf / unobserved,
            cg_steps: params.cg_steps,
        };

        let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
        let init = Normal::new(0.0f32, 0.01).expect("valid sd");
        let mut init_side = |n: usize| -> Vec<f32> {
            (0..n * d).map(|t| if t % d == d - 1 { 0.0 } else { init.sample(&mut rng) }).collect()
        };
        let mut bv = init_side(nb);
        let mut iv = init_side(ni);
        let mut pb = vec![0.0f32; d * fb];
        let mut pi = vec![0.0f32; d * fi];
        let observed = |csr: &Csr| (0..csr.rows()).map(|r| csr.indptr[r + 1] > csr.indptr[r]).collect::<Vec<bool>>();
        let (obs_b, obs_i) = (observed(&by_brand), observed(&by_infl));
        // The priors of never-observed entities only enter the objective: they are solved straight
        // from their features, so their priors are projected only when the objective is computed.
        let priors =
            |p: &[f32], x: &[f32], f: usize, obs: &[bool], all: bool| als::project(p, x, d, f, |e| all || obs[e]);
        let mut prior_b = priors(&pb, &xb, fb, &obs_b, true);
        let mut prior_i = priors(&pi, &xi, fi, &obs_i, true);
        let prior_sys_b = als::PriorSystem::new(&xb, &obs_b, fb, hp.nu);
        let prior_sys_i = als::PriorSystem::new(&xi, &obs_i, fi, hp.nu);
        // The creators' Gram terms serve the objective and then the next brand solve.
        let mut sys_i = als::SideSystem::new(&iv, &hp);
        let mut history = vec![als::objective(&bv, &iv, &sys_i.gram, &by_brand, &prior_b, &prior_i, &pb, &pi, &hp)];
        let mut sys_b = None;
        for sweep in 1..=params.iterations {
            let measure = track == Tracking::EverySweep || sweep == params.iterations;
            als::solve_side(&mut bv, &iv, &sys_i, &by_brand, &prior_b, &hp);
            pb = prior_sys_b.fit(&bv, &xb, &obs_b, d);
            prior_b = priors(&pb, &xb, fb, &obs_b, measure);
            als::solve_cold(&mut bv, &sys_i.cold_map(&pb, fb, &hp), &obs_b, &xb);
            let sb = sys_b.insert(als::SideSystem::new(&bv, &hp));
            als::solve_side(&mut iv, &bv, sb, &by_infl, &prior_i, &hp);
            pi = prior_sys_i.fit(&iv, &xi, &obs_i, d);
            prior_i = priors(&pi, &xi, fi, &obs_i, measure);
            als::solve_cold(&mut iv, &sb.cold_map(&pi, fi, &hp), &obs_i, &xi);
            sys_i = als::SideSystem::new(&iv, &hp);
            if measure {
                history.push(als::objective(&bv, &iv, &sys_i.gram, &by_brand, &prior_b, &prior_i, &pb, &pi, &hp));
            }
        }
        // Never-observed brands against the final creators: exactly how a new brand is embedded.
        als::solve_cold(&mut bv, &sys_i.cold_map(&pb, fb, &hp), &obs_b, &xb);
        let count = |csr: &Csr| (0..csr.rows()).map(|r| (csr.indptr[r + 1] - csr.indptr[r]) as u32).collect::<Vec<_>>();
        let brand_history = count(&by_brand);
        let influencer_history = count(&by_infl);
        let report = TrainReport {
            rows_used: rows.len() - skipped,
            rows_without_objective: skipped,
            pairs: pairs.len(),
            warm_brands: brand_history.iter().filter(|&&n| n > 0).count(),
            warm_influencers: influencer_history.iter().filter(|&&n| n > 0).count(),
            objective_history: history,
            seconds: t0.elapsed().as_secs_f64(),
        };
        let model = AffinityModel {
            params: params.clone(),
            market,
            brand_ids: ds.brands.id.clone(),
            influencer_ids: ds.influencers.id.clone(),
            brand_vectors: widen(&bv, d, Side::Brand),
            influencer_vectors: with_offsets(widen(&iv, d, Side::Influencer), &efficiency.offsets, d + 1),
            efficiency,
            brand_features,
            influencer_features,
            brand_prior: pb,
            influencer_prior: pi,
            // New brands are solved against the final creators, like the model's cold brands; new
            // creators against the brands of the last sweep, like the model's cold creators.
            brand_cold: sys_i.cold_system(),
            influencer_cold: sys_b.expect("params.check() guarantees at least one iteration").cold_system(),
            brand_history,
            influencer_history,
            hyper_w0: hp.w0,
        };
        Ok((model, report))
    }

    pub fn brand_vector(&self, b: usize) -> &[f32] {
        let d = self.dim();
        &self.brand_vectors[b * d..(b + 1) * d]
    }

    pub fn influencer_vector(&self, i: usize) -> &[f32] {
        let d = self.dim();
        &self.influencer_vectors[i * d..(i + 1) * d]
    }

    pub fn brand_index(&self) -> HashMap<&str, usize> {
        self.brand_ids.iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect()
    }

    pub fn influencer_index(&self) -> HashMap<&str, usize> {
        self.influencer_ids.iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect()
    }

    /// Vectors of brands described only by features (a brief, or brands added after training),
    /// embedded exactly as never-observed brands were in training.
    pub fn embed_brands(&self, brands: &Brands) -> Vec<f32> {
        let x = features::encode_brands(&self.brand_features, brands);
        self.embed(&x, self.brand_features.width(), &self.brand_prior, &self.brand_cold, Side::Brand)
    }

    /// Vectors of creators described only by features (their quote gives their cost efficiency).
    pub fn embed_influencers(&self, inf: &Influencers) -> Vec<f32> {
        let x = features::encode_influencers(&self.influencer_features, inf);
        let v = self.embed(
            &x,
            self.influencer_features.width(),
            &self.influencer_prior,
            &self.influencer_cold,
            Side::Influencer,
        );
        let offsets: Vec<f32> =
            (0..inf.len()).map(|i| self.efficiency.quoted(inf.avg_views[i], inf.price_per_post[i]) as f32).collect();
        with_offsets(v, &offsets, self.dim())
    }

    fn embed(&self, x: &[f32], f: usize, prior: &[f32], cold: &ColdSystem, side: Side) -> Vec<f32> {
        let d = self.params.factors + 1;
        let hp = self.hyper();
        let n = x.len() / f;
        let map = als::ColdMap::new(&cold.inverse(d), &cold.h, prior, f, &hp);
        let mut out = vec![0.0f32; n * d];
        for e in 0..n {
            map.apply(&x[e * f..(e + 1) * f], &mut out[e * d..(e + 1) * d]);
        }
        widen(&out, d, side)
    }

    /// The predicted click-through rate and CPM of a pair whose score is `score`, for a creator
    /// whose cost-efficiency offset is `e` ([`AffinityModel::efficiency_of`] for the model's
    /// creators; a new creator's comes from its quote). The score is `match + e`, with `match` the
    /// learned log ratio of the pair's rate to the market's and `e` the creator's log impressions
    /// per unit cost relative to the market's (see `outcome`). The CTR exists for the engagement
    /// objective only.
    pub fn predicted_ctr_cpm(&self, score: f32, e: f32) -> (Option<f32>, f32) {
        let e = f64::from(e);
        let cpm = 1000.0 * (-self.efficiency.ln_ipc0 - e).exp();
        let ctr = (self.market.objective == Objective::Engagement)
            .then(|| (self.market.ctr * (f64::from(score) - e).exp()).min(1.0) as f32);
        (ctr, cpm as f32)
    }

    /// The cost-efficiency offset of the model's creator `i`.
    pub fn efficiency_of(&self, i: usize) -> f32 {
        self.efficiency.offsets.get(i).copied().unwrap_or(0.0)
    }

    /// Score of one brand vector against every influencer: `u · v`.
    pub fn score_all(&self, brand: &[f32], out: &mut [f32]) {
        let d = self.dim();
        for (o, v) in out.iter_mut().zip(self.influencer_vectors.chunks_exact(d)) {
            *o = dot(brand, v);
        }
    }
}

#[derive(Clone, Copy)]
enum Side {
    Brand,
    Influencer,
}

/// From the solver's `[core, bias]` to the served `[core, 1, β_b]` (brands) or `[core, β_i, 1]`
/// (creators), so that one dot product gives `u·v + β_b + β_i`.
fn widen(v: &[f32], d: usize, side: Side) -> Vec<f32> {
    let n = v.len() / d;
    let mut out = Vec::with_capacity(n * (d + 1));
    for e in v.chunks_exact(d) {
        out.extend_from_slice(&e[..d - 1]);
        match side {
            Side::Brand => {
                out.push(1.0);
                out.push(e[d - 1]);
            }
            Side::Influencer => {
                out.push(e[d - 1]);
                out.push(1.0);
            }
        }
    }
    out
}

/// Add each creator's cost efficiency to its bias slot (`dim − 2`).
fn with_offsets(mut v: Vec<f32>, offsets: &[f32], dim: usize) -> Vec<f32> {
    for (row, o) in v.chunks_exact_mut(dim).zip(offsets) {
        row[dim - 2] += o;
    }
    v
}

/// Whole-value pair targets for a set of rows: the relevance of held-out pairs in evaluation.
pub fn targets(ds: &Dataset, rows: &[usize], market: &Market, alpha: f64) -> Vec<PairTarget> {
    outcome::pair_targets(&ds.campaigns, rows, market, alpha, TargetKind::Value).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Audience, Campaigns};

    fn audience(n: usize) -> Audience {
        Audience { female_share: vec![0.5; n], ages: std::array::from_fn(|_| vec![0.2; n]) }
    }

    /// Brands and creators with the given categories, identical in every other feature.
    fn market(brand_cats: &[&str], infl_cats: &[&str]) -> Dataset {
        let (nb, ni) = (brand_cats.len(), infl_cats.len());
        Dataset {
            brands: Brands {
                id: (0..nb).map(|b| format!("b{b}")).collect(),
                category: brand_cats.iter().map(|c| c.to_string()).collect(),
                name: vec![String::new(); nb],
                country: vec!["CN".into(); nb],
                audience: audience(nb),
                budget: vec![1e5; nb],
            },
            influencers: Influencers {
                id: (0..ni).map(|i| format!("i{i}")).collect(),
                platform: vec!["douyin".into(); ni],
                category: infl_cats.iter().map(|c| c.to_string()).collect(),
                followers: vec![50_000.0; ni],
                handle: vec![String::new(); ni],
                country: vec!["CN".into(); ni],
                avg_views: vec![10_000.0; ni],
                engagement_rate: vec![0.03; ni],
                posts_per_week: vec![3.0; ni],
                sponsored_share: vec![0.2; ni],
                price_per_post: vec![500.0; ni],
                audience: audience(ni),
            },
            ..Dataset::default()
        }
    }

    /// One post per listed pair: 10,000 impressions for 100, with `good` pairs clicked 20× more.
    fn campaigns(ds: &mut Dataset, pairs: &[(usize, usize, bool)]) {
        let mut c = Campaigns::default();
        for (k, &(b, i, good)) in pairs.iter().enumerate() {
            c.brand.push(b as u32);
            c.influencer.push(i as u32);
            c.date.push(k as i32);
            c.cost.push(100.0);
            c.impressions.push(10_000.0);
            c.campaign_id.push(String::new());
            c.objective.push(None);
            c.clicks.push(if good { 200.0 } else { 10.0 });
            c.engagements.push(f64::NAN);
            c.conversions.push(f64::NAN);
            c.revenue.push(f64::NAN);
        }
        ds.campaigns = c;
    }

    fn small(iterations: usize) -> AffinityParams {
        AffinityParams { factors: 8, iterations, regularization: 1.0, ..Default::default() }
    }

    fn score(m: &AffinityModel, b: usize, i: usize) -> f32 {
        dot(m.brand_vector(b), m.influencer_vector(i))
    }

    /// Two brand groups × two creator groups with identical features: only collaboration can tell
    /// them apart. Half of the pairs are observed.
    fn checkerboard() -> (Dataset, Vec<(usize, usize, bool)>) {
        let mut ds = market(&["food"; 20], &["food"; 40]);
        let group = |e: usize| e % 2;
        let mut seen = Vec::new();
        for b in 0..20 {
            for i in 0..40 {
                if (b * 7 + i * 3) % 4 < 2 {
                    seen.push((b, i, group(b) == group(i)));
                }
            }
        }
        campaigns(&mut ds, &seen);
        (ds, seen)
    }

    #[test]
    fn the_objective_never_rises_and_falls_a_lot() {
        let (ds, seen) = checkerboard();
        let rows: Vec<usize> = (0..seen.len()).collect();
        let (_, report) = AffinityModel::fit_tracked(&ds, &rows, &small(12), Tracking::EverySweep).unwrap();
        let h = &report.objective_history;
        assert_eq!(h.len(), 13);
        for w in h.windows(2) {
            assert!(w[1] <= w[0] * (1.0 + 1e-3), "objective rose: {h:?}");
        }
        assert!(h[12] < 0.2 * h[0], "objective barely fell: {h:?}");
    }

    #[test]
    fn a_planted_checkerboard_is_recovered_for_unseen_pairs() {
        let (ds, seen) = checkerboard();
        let rows: Vec<usize> = (0..seen.len()).collect();
        let (m, _) = AffinityModel::fit(&ds, &rows, &small(15)).unwrap();
        let observed: std::collections::HashSet<(usize, usize)> = seen.iter().map(|p| (p.0, p.1)).collect();
        for b in 0..20 {
            let unseen: Vec<usize> = (0..40).filter(|&i| !observed.contains(&(b, i))).collect();
            let mut ranked = unseen.clone();
            ranked.sort_by(|&x, &y| score(&m, b, y).total_cmp(&score(&m, b, x)));
            let same = unseen.iter().filter(|&&i| i % 2 == b % 2).count();
            assert!(same >= 5);
            // Every unseen creator of the brand's own group outranks every unseen one of the other.
            assert!(ranked[..same].iter().all(|&i| i % 2 == b % 2), "brand {b}: {ranked:?}");
        }
    }

    #[test]
    fn cold_start_ranks_the_matching_category_first() {
        // Beauty brands do well with beauty creators and badly with tech ones, and vice versa.
        let cats: Vec<&str> = (0..60).map(|i| if i % 2 == 0 { "beauty" } else { "tech" }).collect();
        let bcats: Vec<&str> = (0..12).map(|b| if b % 2 == 0 { "beauty" } else { "tech" }).collect();
        let mut ds = market(&bcats, &cats);
        let mut pairs = Vec::new();
        for (b, bcat) in bcats.iter().enumerate() {
            for i in (0..40).filter(|i| (i + b) % 3 == 0) {
                pairs.push((b, i, *bcat == cats[i]));
            }
        }
        campaigns(&mut ds, &pairs);
        let rows: Vec<usize> = (0..pairs.len()).collect();
        let (m, _) = AffinityModel::fit(&ds, &rows, &small(10)).unwrap();
        // Creators 40..60 never ran a campaign.
        for (b, bcat) in bcats.iter().enumerate() {
            let top: Vec<usize> = {
                let mut s = vec![0.0f32; 60];
                m.score_all(m.brand_vector(b), &mut s);
                crate::metrics::top_k(&s, |i| i >= 40, 5)
            };
            assert!(top.iter().all(|&i| cats[i] == *bcat), "brand {b} ({bcat}): cold creators {top:?}");
        }
        // A brand that did not exist at training time, described by its category only.
        let new = market(&["tech", "beauty"], &[]).brands;
        let v = m.embed_brands(&new);
        let d = m.dim();
        for (k, cat) in ["tech", "beauty"].iter().enumerate() {
            let mut s = vec![0.0f32; 60];
            m.score_all(&v[k * d..(k + 1) * d], &mut s);
            let top = crate::metrics::top_k(&s, |_| true, 10);
            assert!(top.iter().all(|&i| cats[i] == *cat), "new {cat} brand got {top:?}");
        }
        // New creators, described by features: a tech brand prefers the tech one.
        let fresh = market(&[], &["beauty", "tech"]).influencers;
        let w = m.embed_influencers(&fresh);
        let tech_brand = m.brand_vector(1);
        assert!(dot(tech_brand, &w[d..2 * d]) > dot(tech_brand, &w[..d]));
    }

    #[test]
    fn bad_parameters_are_rejected_by_name() {
        let cases: Vec<(AffinityParams, &str)> = vec![
            (AffinityParams { factors: 0, ..Default::default() }, "factors"),
            (AffinityParams { iterations: 0, ..Default::default() }, "iterations"),
            (AffinityParams { regularization: 0.0, ..Default::default() }, "regularization"),
            (AffinityParams { regularization: f64::NAN, ..Default::default() }, "regularization"),
            (AffinityParams { prior_regularization: -1.0, ..Default::default() }, "prior_regularization"),
            (AffinityParams { alpha: -1.0, ..Default::default() }, "alpha"),
            (AffinityParams { implicit_weight: 1000.0, ..Default::default() }, "implicit_weight"),
            (AffinityParams { cg_steps: 0, ..Default::default() }, "cg_steps"),
        ];
        for (p, name) in cases {
            let e = p.check().unwrap_err().to_string();
            assert!(e.contains(&format!("parameter {name} =")), "{e}");
        }
        AffinityParams::default().check().unwrap();
    }

    #[test]
    fn no_measurable_rows_is_a_clear_error() {
        let (mut ds, seen) = checkerboard();
        ds.campaigns.clicks.iter_mut().for_each(|c| *c = f64::NAN);
        let rows: Vec<usize> = (0..seen.len()).collect();
        let e = AffinityModel::fit(&ds, &rows, &small(1)).unwrap_err().to_string();
        let n = rows.len();
        assert!(
            e.contains(&format!("'engagement' objective: of {n} rows, 0 have no positive cost and {n} lack")),
            "{e}"
        );
        // Every cost 0, clicks all there: the message says it is the cost (it said "needs clicks").
        let (mut ds, _) = checkerboard();
        ds.campaigns.cost.iter_mut().for_each(|c| *c = 0.0);
        let e = AffinityModel::fit(&ds, &rows, &small(1)).unwrap_err().to_string();
        assert!(e.contains(&format!("of {n} rows, {n} have no positive cost and 0 lack")), "{e}");
    }
}
