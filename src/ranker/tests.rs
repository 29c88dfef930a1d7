//! The ranker on small markets with planted structure: its loss goes down, it recovers a pair
//! interaction the inner product cannot express, it ranks cold brands and creators by their
//! features, and its out-of-fold features carry no trace of a row's own outcome (a planted leak
//! is caught by the same check).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::features::{FEATURES, N, Profiles, at};
use super::fit::{Folds, out_of_fold};
use super::*;
use crate::affinity::outcome::{PairTarget, TargetKind, pair_targets};
use crate::affinity::{AffinityModel, AffinityParams};
use crate::dataset::{Audience, Brands, Campaigns, Dataset, Influencers};
use crate::metrics::binary;
use crate::pipeline::rank::Candidate;

fn affinity() -> AffinityParams {
    AffinityParams { factors: 8, iterations: 6, regularization: 1.0, ..Default::default() }
}

fn params() -> RankerParams {
    RankerParams { fold_iterations: 4, max_trees: 300, patience: 30, min_leaf_weight: 5.0, ..Default::default() }
}

/// A market of `nb` brands and `ni` creators in one category and country, whose audiences'
/// female shares are spread over 0..1; `rate(b, i)` is each pair's click-through rate.
struct Planted {
    ds: Dataset,
}

fn market(nb: usize, ni: usize, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut female = |n: usize| (0..n).map(|_| rng.r#gen::<f32>()).collect::<Vec<f32>>();
    let (fb, fi) = (female(nb), female(ni));
    let audience = |f: Vec<f32>| {
        let n = f.len();
        Audience { female_share: f, ages: std::array::from_fn(|_| vec![0.2; n]) }
    };
    Dataset {
        brands: Brands {
            id: (0..nb).map(|b| format!("b{b:03}")).collect(),
            category: vec!["beauty".into(); nb],
            name: vec![String::new(); nb],
            country: vec!["CN".into(); nb],
            audience: audience(fb),
            budget: vec![1e5; nb],
        },
        influencers: Influencers {
            id: (0..ni).map(|i| format!("i{i:04}")).collect(),
            platform: vec!["douyin".into(); ni],
            category: vec!["beauty".into(); ni],
            followers: vec![50_000.0; ni],
            handle: vec![String::new(); ni],
            country: vec!["CN".into(); ni],
            avg_views: vec![10_000.0; ni],
            engagement_rate: vec![0.03; ni],
            posts_per_week: vec![3.0; ni],
            sponsored_share: vec![0.2; ni],
            price_per_post: vec![500.0; ni],
            audience: audience(fi),
        },
        ..Dataset::default()
    }
}

impl Planted {
    /// Every brand tries `per_brand` random creators once: 20,000 impressions for 100, clicks
    /// drawn around `rate(brand, creator)`.
    fn new(mut ds: Dataset, per_brand: usize, seed: u64, rate: impl Fn(&Dataset, usize, usize) -> f64) -> Planted {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xc1c);
        let (nb, ni) = (ds.brands.len(), ds.influencers.len());
        let mut c = Campaigns::default();
        for b in 0..nb {
            let mut picked = std::collections::HashSet::new();
            while picked.len() < per_brand.min(ni) {
                picked.insert(rng.gen_range(0..ni));
            }
            let mut picked: Vec<usize> = picked.into_iter().collect();
            picked.sort_unstable();
            for i in picked {
                let imp = 20_000.0;
                let expected = imp * rate(&ds, b, i);
                let clicks = (expected + expected.sqrt() * rng.gen_range(-1.0..1.0)).max(0.0).round();
                c.brand.push(b as u32);
                c.influencer.push(i as u32);
                c.date.push(c.brand.len() as i32);
                c.cost.push(100.0);
                c.impressions.push(imp);
                c.campaign_id.push(String::new());
                c.objective.push(None);
                c.clicks.push(clicks);
                c.engagements.push(f64::NAN);
                c.conversions.push(f64::NAN);
                c.revenue.push(f64::NAN);
            }
        }
        ds.campaigns = c;
        Planted { ds }
    }

    fn rows(&self) -> Vec<usize> {
        (0..self.ds.campaigns.len()).collect()
    }
}

/// Audiences that match (female shares within 0.15 of each other) click 4× more: a band around
/// the diagonal, which no inner product of a few factors draws.
fn band(ds: &Dataset, b: usize, i: usize) -> f64 {
    let gap = (ds.brands.audience.female_share[b] - ds.influencers.audience.female_share[i]).abs();
    if gap < 0.15 { 0.02 } else { 0.005 }
}

fn fit_all(p: &Planted, rows: &[usize]) -> (AffinityModel, LearnedRanker) {
    let (m, _) = AffinityModel::fit(&p.ds, rows, &affinity()).unwrap();
    let r = fit::fit(&p.ds, rows, &m, &affinity(), &params()).unwrap();
    (m, r)
}

fn brand_query(m: &AffinityModel, b: usize) -> Query {
    Query { vector: m.brand_vector(b).to_vec(), brand: Some(b), category: None, profile: None, label: String::new() }
}

/// ROC-AUC of `score` for telling the planted good pairs among `pairs`.
fn auc(pairs: &[(usize, usize)], good: impl Fn(usize, usize) -> bool, score: impl Fn(usize, usize) -> f32) -> f64 {
    let y: Vec<bool> = pairs.iter().map(|&(b, i)| good(b, i)).collect();
    let s: Vec<f32> = pairs.iter().map(|&(b, i)| score(b, i)).collect();
    binary::roc_auc(&s, &y)
}

#[test]
fn the_training_loss_goes_down() {
    let p = Planted::new(market(40, 300, 1), 40, 1, band);
    let (_, r) = fit_all(&p, &p.rows());
    let loss = &r.report.train_loss;
    assert!(loss.len() >= 10, "{} trees", loss.len());
    assert!(loss.last().unwrap() < &(0.8 * loss[0]), "training RMSE {} → {}", loss[0], loss.last().unwrap());
    let rises = loss.windows(2).filter(|w| w[1] > w[0] + 1e-9).count();
    assert!(rises * 20 <= loss.len(), "training RMSE rose in {rises} of {} trees", loss.len());
    let best = r.report.valid_loss.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(best < r.report.valid_loss[0], "validation RMSE never improved: {:?}", &r.report.valid_loss[..3]);
}

#[test]
fn a_planted_feature_cross_is_recovered_where_the_inner_product_cannot_draw_it() {
    let p = Planted::new(market(50, 400, 2), 50, 2, band);
    // Hold out every fifth pair; both stages train on the rest.
    let rows = p.rows();
    let (train, test): (Vec<usize>, Vec<usize>) = rows.iter().partition(|&&r| r % 5 != 0);
    let (m, r) = fit_all(&p, &train);
    let c = &p.ds.campaigns;
    let pairs: Vec<(usize, usize)> = test.iter().map(|&t| (c.brand[t] as usize, c.influencer[t] as usize)).collect();
    let good = |b: usize, i: usize| band(&p.ds, b, i) > 0.01;
    let ranker =
        auc(&pairs, good, |b, i| r.score(&brand_query(&m, b), &[Candidate::Known(i)], &[retrieval_score(&m, b, i)])[0]);
    let inner = auc(&pairs, good, |b, i| retrieval_score(&m, b, i));
    assert!(ranker > 0.9, "the ranker tells matching audiences apart with AUC {ranker:.3}");
    assert!(ranker > inner + 0.1, "ranker AUC {ranker:.3} vs the inner product's {inner:.3}");
}

#[test]
fn cold_brands_and_cold_creators_are_ranked_by_their_features() {
    let p = Planted::new(market(40, 300, 3), 40, 3, band);
    let (m, r) = fit_all(&p, &p.rows());
    // A brief no campaign has seen, and creators no campaign has seen (a list to score).
    let brief = Brief { category: "beauty".into(), country: "CN".into(), female_share: Some(0.7), ages: None };
    let fresh = market(1, 200, 77).influencers;
    let query = Query {
        vector: m.embed_brands(&brief.as_brands()),
        brand: None,
        category: Some("beauty".into()),
        profile: Some(brief.clone()),
        label: String::new(),
    };
    let cold = m.embed_influencers(&fresh);
    let d = m.dim();
    let candidates: Vec<Candidate> = (0..fresh.len())
        .map(|k| Candidate::New {
            list: &fresh,
            row: k,
            efficiency: m.efficiency.quoted(fresh.avg_views[k], fresh.price_per_post[k]) as f32,
        })
        .collect();
    let retrieval: Vec<f32> =
        (0..fresh.len()).map(|k| crate::linalg::dot(&query.vector, &cold[k * d..(k + 1) * d])).collect();
    let scores = r.score(&query, &candidates, &retrieval);
    let pairs: Vec<(usize, usize)> = (0..fresh.len()).map(|k| (0, k)).collect();
    let matches = |k: usize| (fresh.audience.female_share[k] - 0.7).abs() < 0.15;
    let a = auc(&pairs, |_, k| matches(k), |_, k| scores[k]);
    assert!(a > 0.85, "a brief's never-seen creators ranked by audience match: AUC {a:.3}");
    // The explanation names the audience gap among the features that moved the best score.
    let best = (0..fresh.len()).max_by(|&x, &y| scores[x].total_cmp(&scores[y])).unwrap();
    let moved = r.explain(&query, &candidates[best..best + 1], &retrieval[best..best + 1], 3).remove(0);
    let gap = FEATURES.iter().find(|f| f.0 == "female_share_gap").unwrap().1;
    assert!(moved.iter().any(|m| m.feature == gap), "{moved:?}");
}

/// Correlation between each out-of-fold row's kolrec-only features and the row's own target, on a
/// market whose outcomes are pure noise: any correlation is the row's outcome leaking in.
fn leak(rows: &[[f32; N]], pairs: &[PairTarget]) -> f64 {
    let ys: Vec<f64> = pairs.iter().map(|p| f64::from(p.y)).collect();
    [at::RETRIEVAL, at::BRAND_OUTCOME, at::CREATOR_OUTCOME, at::SIMILAR_OUTCOME, at::CATEGORY_PAIR]
        .iter()
        .map(|&j| {
            let xs: Vec<f64> = rows.iter().map(|r| f64::from(r[j])).collect();
            let keep: Vec<usize> = (0..xs.len()).filter(|&k| xs[k].is_finite()).collect();
            let (x, y): (Vec<f64>, Vec<f64>) = keep.iter().map(|&k| (xs[k], ys[k])).unzip();
            pearson(&x, &y).abs()
        })
        .fold(0.0, f64::max)
}

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let vy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    if vx > 0.0 && vy > 0.0 { cov / (vx * vy).sqrt() } else { 0.0 }
}

#[test]
fn out_of_fold_features_carry_no_trace_of_their_own_outcome_and_a_planted_leak_is_caught() {
    // Pure noise: every pair's expected rate is the same; what a post did is luck.
    let p = Planted::new(market(40, 120, 4), 30, 4, |_, _, _| 0.01);
    let rows = p.rows();
    let profiles = Profiles::build(&p.ds);
    let oof = out_of_fold(&p.ds, &rows, &profiles, &affinity(), &params()).unwrap();
    let honest = leak(&oof.rows, &oof.pairs);
    assert!(honest < 0.15, "out-of-fold features correlate {honest:.3} with their own outcome");

    // The same features computed in fold — from a model and evidence that saw the row — leak.
    let (m, _) = AffinityModel::fit(&p.ds, &rows, &affinity()).unwrap();
    let (all, _) = pair_targets(&p.ds.campaigns, &rows, &m.market, affinity().alpha, TargetKind::Value);
    let ctx = Context::new(profiles, &all, &m);
    let leaky: Vec<[f32; N]> = oof
        .pairs
        .iter()
        .map(|t| {
            let (b, i) = (t.brand as usize, t.influencer as usize);
            ctx.row(&ctx.query_side(m.brand_vector(b), Some(b), None), Candidate::Known(i), retrieval_score(&m, b, i))
        })
        .collect();
    let planted = leak(&leaky, &oof.pairs);
    assert!(planted > 0.3, "the leak check missed in-fold features (correlation {planted:.3})");
}

#[test]
fn folds_put_a_share_of_brands_wholly_in_one_fold() {
    let folds = Folds { k: 3, seed: 5, cold_brand_share: 0.3, cold_creator_share: 0.0 };
    let mut whole = 0;
    for b in 0..200u32 {
        let f: std::collections::HashSet<usize> = (0..50u32).map(|i| folds.of(b, i).0).collect();
        if f.len() == 1 {
            whole += 1;
        }
    }
    assert!((40..=80).contains(&whole), "{whole} of 200 brands in one fold");
}

#[test]
fn bad_parameters_are_rejected_by_name() {
    for (p, name) in [
        (RankerParams { candidates: 0, ..Default::default() }, "candidates"),
        (RankerParams { folds: 1, ..Default::default() }, "folds"),
        (RankerParams { learning_rate: 0.0, ..Default::default() }, "learning_rate"),
        (RankerParams { subsample: 1.5, ..Default::default() }, "subsample"),
        (RankerParams { cold_brand_share: f64::NAN, ..Default::default() }, "cold_brand_share"),
        (RankerParams { valid_share: 0.9, ..Default::default() }, "valid_share"),
        (RankerParams { max_pairs: 10, ..Default::default() }, "max_pairs"),
    ] {
        let e = p.check().unwrap_err().to_string();
        assert!(e.contains(name), "{e}");
    }
}

#[test]
fn a_saved_ranker_scores_as_the_trained_one() {
    let p = Planted::new(market(20, 100, 6), 20, 6, band);
    let (m, r) = fit_all(&p, &p.rows());
    let back = LearnedRanker::from_file(r.to_file().unwrap()).unwrap();
    let q = brand_query(&m, 3);
    let cands: Vec<Candidate> = (0..100).map(Candidate::Known).collect();
    let ret: Vec<f32> = (0..100).map(|i| retrieval_score(&m, 3, i)).collect();
    assert_eq!(r.score(&q, &cands, &ret), back.score(&q, &cands, &ret));
    assert_eq!(back.shape(), (100, 20));
}
