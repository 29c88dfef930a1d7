//! Training the ranker without leakage. The campaign pairs are split into folds; for each fold
//! the affinity model is refitted on the other folds' campaigns, and the fold's pairs get their
//! retrieval score, evidence counts, outcome residuals and similar-brand outcomes from that refit
//! and those campaigns only — never from their own outcome. A share of brands (and of creators)
//! has all its pairs in one fold, so those rows see the brand (creator) as cold, as serving sees
//! a new brand or a never-used creator. The trees then learn each pair's value target from those
//! rows (an even sample of `max_pairs` of them when there are more), stopping on held-out pairs;
//! serving uses evidence from every training campaign.

use std::time::Instant;

use rayon::prelude::*;

use super::booster::Booster;
use super::features::{FEATURES, N, Profiles};
use super::{Context, LearnedRanker, RankerError, RankerParams, RankerReport, retrieval_score};
use crate::affinity::outcome::{PairTarget, TargetKind, pair_targets};
use crate::affinity::{AffinityModel, AffinityParams};
use crate::dataset::Dataset;
use crate::pipeline::rank::Candidate;

/// Validation rows the feature importance is measured on, at most.
const IMPORTANCE_ROWS: usize = 5000;

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn uniform(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// How the pairs fall into folds.
#[derive(Clone, Copy, Debug)]
pub struct Folds {
    pub k: usize,
    pub seed: u64,
    pub cold_brand_share: f64,
    pub cold_creator_share: f64,
}

/// Where a pair's fold came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FoldKind {
    /// The brand's pairs are all in this fold: the brand is cold there.
    ColdBrand,
    ColdCreator,
    Pair,
}

impl Folds {
    pub fn of(&self, brand: u32, creator: u32) -> (usize, FoldKind) {
        let hb = mix(self.seed ^ mix(u64::from(brand)));
        if uniform(hb) < self.cold_brand_share {
            return ((mix(hb) % self.k as u64) as usize, FoldKind::ColdBrand);
        }
        let hi = mix(self.seed ^ 0x5eed ^ mix(u64::from(creator) | 1 << 40));
        if uniform(hi) < self.cold_creator_share {
            return ((mix(hi) % self.k as u64) as usize, FoldKind::ColdCreator);
        }
        let hp = mix(hb ^ mix(u64::from(creator)));
        ((hp % self.k as u64) as usize, FoldKind::Pair)
    }
}

/// Out-of-fold feature rows of the training pairs, with their targets and weights.
pub struct OofRows {
    pub pairs: Vec<PairTarget>,
    pub kinds: Vec<FoldKind>,
    pub rows: Vec<[f32; N]>,
}

/// Feature rows of every training pair, each computed from a refit that never saw its fold.
pub fn out_of_fold(
    ds: &Dataset,
    rows: &[usize],
    profiles: &Profiles,
    affinity: &AffinityParams,
    params: &RankerParams,
) -> Result<OofRows, RankerError> {
    let folds = Folds {
        k: params.folds,
        seed: params.seed,
        cold_brand_share: params.cold_brand_share,
        cold_creator_share: params.cold_creator_share,
    };
    let c = &ds.campaigns;
    let fold_of_row = |r: usize| folds.of(c.brand[r], c.influencer[r]).0;
    let fold_params = AffinityParams { iterations: params.fold_iterations, ..affinity.clone() };
    let mut out = OofRows { pairs: Vec::new(), kinds: Vec::new(), rows: Vec::new() };
    for f in 0..params.folds {
        let (inside, outside): (Vec<usize>, Vec<usize>) = rows.iter().partition(|&&r| fold_of_row(r) != f);
        if inside.is_empty() || outside.is_empty() {
            continue;
        }
        let (m, _) = AffinityModel::fit(ds, &inside, &fold_params)?;
        // Targets on the refit's own market scale, so not even the market rates see the fold.
        let (seen, _) = pair_targets(c, &inside, &m.market, affinity.alpha, TargetKind::Value);
        let (held, _) = pair_targets(c, &outside, &m.market, affinity.alpha, TargetKind::Value);
        let ctx = Context::new(profiles.clone(), &seen, &m);
        let fold_rows: Vec<[f32; N]> = held
            .par_iter()
            .map(|p| {
                let (b, i) = (p.brand as usize, p.influencer as usize);
                let q = ctx.query_side(m.brand_vector(b), Some(b), None);
                ctx.row(&q, Candidate::Known(i), retrieval_score(&m, b, i))
            })
            .collect();
        out.kinds.extend(held.iter().map(|p| folds.of(p.brand, p.influencer).1));
        out.pairs.extend(held);
        out.rows.extend(fold_rows);
    }
    Ok(out)
}

/// The trees' training and validation rows: out-of-fold features, the value target less the
/// offset, and the confidence as weight.
pub struct TreeRows {
    pub train: (Vec<[f32; N]>, Vec<f32>, Vec<f32>),
    pub valid: (Vec<[f32; N]>, Vec<f32>, Vec<f32>),
    pub oof: OofRows,
    pub profiles: Profiles,
    pub fold_seconds: f64,
}

/// Everything the trees train on, before they do (a benchmark fits other boosters on the same).
pub fn tree_rows(
    ds: &Dataset,
    rows: &[usize],
    affinity: &AffinityParams,
    params: &RankerParams,
) -> Result<TreeRows, RankerError> {
    params.check()?;
    let t0 = Instant::now();
    let profiles = Profiles::build(ds);
    let oof = out_of_fold(ds, rows, &profiles, affinity, params)?;
    let fold_seconds = t0.elapsed().as_secs_f64();
    let n = oof.pairs.len();
    if n < 20 {
        return Err(RankerError::TooFewPairs(format!("{n} out-of-fold pairs (at least 20 are needed)")));
    }
    let valid: Vec<bool> = oof
        .pairs
        .iter()
        .map(|p| {
            uniform(mix(params.seed ^ 0xa11d ^ mix(u64::from(p.brand) << 32 | u64::from(p.influencer))))
                < params.valid_share
        })
        .collect();
    let train_pairs = n - valid.iter().filter(|v| **v).count();
    let keep = (params.max_pairs as f64 / train_pairs.max(1) as f64).min(1.0);
    let kept = |k: usize| {
        let p = &oof.pairs[k];
        keep >= 1.0 || uniform(mix(params.seed ^ 0x5a3e ^ (u64::from(p.brand) << 32 | u64::from(p.influencer)))) < keep
    };
    let pick = |want: bool| {
        let idx: Vec<usize> = (0..n).filter(|&k| valid[k] == want && (want || kept(k))).collect();
        let x: Vec<[f32; N]> = idx.iter().map(|&k| oof.rows[k]).collect();
        let y: Vec<f32> = idx.iter().map(|&k| oof.pairs[k].y - params.offset.of(&oof.rows[k])).collect();
        let w: Vec<f32> = idx.iter().map(|&k| oof.pairs[k].confidence).collect();
        (x, y, w)
    };
    let train = pick(false);
    let valid = pick(true);
    if train.0.is_empty() || valid.0.is_empty() {
        return Err(RankerError::TooFewPairs(format!(
            "{} training and {} validation pairs",
            train.0.len(),
            valid.0.len()
        )));
    }
    Ok(TreeRows { train, valid, oof, profiles, fold_seconds })
}

/// Train the ranker for `model` (the affinity model trained on `rows`).
pub fn fit(
    ds: &Dataset,
    rows: &[usize],
    model: &AffinityModel,
    affinity: &AffinityParams,
    params: &RankerParams,
) -> Result<LearnedRanker, RankerError> {
    let TreeRows { train: (xt, yt, wt), valid: (xv, yv, wv), oof, profiles, fold_seconds } =
        tree_rows(ds, rows, affinity, params)?;
    let t1 = Instant::now();
    let fitted = Booster::fit(params, (&xt, &yt, &wt), (&xv, &yv, &wv)).map_err(RankerError::Booster)?;
    // Importance over an even sample of the validation rows: a contribution walks every tree.
    let step = xv.len().div_ceil(IMPORTANCE_ROWS).max(1);
    let sampled: Vec<[f32; N]> = xv.iter().step_by(step).copied().collect();
    let mut sums = vec![0.0f32; N + 1];
    for c in fitted.booster.contributions(&sampled) {
        for (s, v) in sums.iter_mut().zip(c) {
            *s += v.abs();
        }
    }
    let mut importance: Vec<(String, f64)> =
        FEATURES.iter().zip(sums).map(|(f, v)| (f.0.to_string(), f64::from(v) / sampled.len() as f64)).collect();
    importance.sort_by(|a, b| b.1.total_cmp(&a.1));
    let (serving, _) = pair_targets(&ds.campaigns, rows, &model.market, affinity.alpha, TargetKind::Value);
    let report = RankerReport {
        pairs: xt.len(),
        oof_pairs: oof.pairs.len(),
        valid_pairs: xv.len(),
        cold_brand_pairs: oof.kinds.iter().filter(|k| **k == FoldKind::ColdBrand).count(),
        cold_creator_pairs: oof.kinds.iter().filter(|k| **k == FoldKind::ColdCreator).count(),
        trees: fitted.trees,
        train_loss: fitted.train_loss,
        valid_loss: fitted.valid_loss,
        importance,
        fold_seconds,
        fit_seconds: t1.elapsed().as_secs_f64(),
    };
    Ok(LearnedRanker {
        params: params.clone(),
        booster: fitted.booster,
        ctx: Context::new(profiles, &serving, model),
        report,
    })
}
