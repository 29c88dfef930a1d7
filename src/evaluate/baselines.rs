//! The recommenders an evaluation compares: kolrec through the engine, and the baselines a
//! marketer has without it (popularity, a features-only regression, the brands' own habit of
//! picking big creators of their own category).

use crate::affinity::outcome::Market;
use crate::affinity::{self, AffinityParams};
use crate::dataset::Dataset;
use crate::engine::Engine;
use crate::metrics::top_k;
use crate::pipeline::{Filter, Who};

/// A recommender under evaluation: the best `k` creators a filter allows for a brand.
pub trait Ranker: Sync {
    fn name(&self) -> &str;
    /// Creators (dataset rows) best first.
    fn top(&self, brand: usize, k: usize, allowed: &Filter) -> Vec<usize>;
    /// The score of each of `creators` for the brand (higher is better).
    fn score_pairs(&self, brand: usize, creators: &[usize]) -> Vec<f32>;
}

/// kolrec, through the engine's pipeline (retrieval by exact scan, as every baseline scores every
/// creator, then the ranking stage).
pub struct Kolrec<'a> {
    pub engine: &'a Engine,
}

impl Ranker for Kolrec<'_> {
    fn name(&self) -> &str {
        "kolrec"
    }
    fn top(&self, brand: usize, k: usize, allowed: &Filter) -> Vec<usize> {
        let who = Who::Brand(self.engine.model().brand_ids[brand].clone());
        let query = self.engine.query(&who).expect("a brand of the model");
        self.engine.ranked_exact(&query, k, allowed).iter().map(|h| h.item as usize).collect()
    }
    fn score_pairs(&self, brand: usize, creators: &[usize]) -> Vec<f32> {
        let who = Who::Brand(self.engine.model().brand_ids[brand].clone());
        let query = self.engine.query(&who).expect("a brand of the model");
        self.engine.score_rows(&query, creators)
    }
}

/// kolrec's stage 1 alone: the inner product the index serves, without the learned ranker (to
/// show what each stage adds).
pub struct Retrieval<'a> {
    pub engine: &'a Engine,
}

impl Ranker for Retrieval<'_> {
    fn name(&self) -> &str {
        "kolrec-retrieval"
    }
    fn top(&self, brand: usize, k: usize, allowed: &Filter) -> Vec<usize> {
        let v = self.engine.model().brand_vector(brand);
        self.engine.exact_retriever().top_k(v, k, allowed, None, false).0.iter().map(|h| h.item as usize).collect()
    }
    fn score_pairs(&self, brand: usize, creators: &[usize]) -> Vec<f32> {
        let m = self.engine.model();
        creators.iter().map(|&i| crate::linalg::dot(m.brand_vector(brand), m.influencer_vector(i))).collect()
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
    fn top(&self, _brand: usize, k: usize, allowed: &Filter) -> Vec<usize> {
        top_k(&self.score, |i| allowed.allows(i as u32), k)
    }
    fn score_pairs(&self, _brand: usize, creators: &[usize]) -> Vec<f32> {
        creators.iter().map(|&i| self.score[i]).collect()
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
    fn top(&self, brand: usize, k: usize, allowed: &Filter) -> Vec<usize> {
        let scores = self.score_pairs(brand, &(0..self.ds.influencers.len()).collect::<Vec<_>>());
        top_k(&scores, |i| allowed.allows(i as u32), k)
    }
    fn score_pairs(&self, brand: usize, creators: &[usize]) -> Vec<f32> {
        let cat = &self.ds.brands.category[brand];
        let inf = &self.ds.influencers;
        creators
            .iter()
            .map(|&i| {
                let same = if &inf.category[i] == cat { 100.0 } else { 0.0 };
                same + inf.followers[i].max(1.0).ln() as f32
            })
            .collect()
    }
}
