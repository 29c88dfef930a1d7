//! The outcome evidence behind a pair, from campaign targets the ranker may see: each brand's and
//! each creator's own outcomes (relative to the market, shrunk toward it), the outcomes of the
//! creator with brands similar to the query's (cosine of the affinity model's brand factors), and
//! the outcomes of the pair's category pairing. Training builds one per fold from the other
//! folds' campaigns only; serving builds one from every training campaign.

use serde::{Deserialize, Serialize};

use crate::affinity::AffinityModel;
use crate::affinity::outcome::PairTarget;
use crate::linalg::dot;

/// Confidence (in units of one well-measured post) with which an average is pulled toward the
/// market (0) before evidence accumulates.
const SHRINK: f32 = 5.0;
/// A creator keeps at most this many of its most confident brand outcomes for the
/// similar-brands feature, so one creator every brand tried costs bounded time per query.
const MAX_PER_CREATOR: usize = 128;

/// Shrunk confidence-weighted means: `Σ c·y / (Σ c + SHRINK)`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
struct Means {
    sum: Vec<f32>,
    conf: Vec<f32>,
}

impl Means {
    fn new(n: usize) -> Means {
        Means { sum: vec![0.0; n], conf: vec![0.0; n] }
    }

    fn add(&mut self, k: usize, y: f32, c: f32) {
        self.sum[k] += c * y;
        self.conf[k] += c;
    }

    fn get(&self, k: usize) -> f32 {
        self.sum.get(k).map_or(0.0, |s| s / (self.conf[k] + SHRINK))
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Evidence {
    brands: Means,
    creators: Means,
    /// (brand category, creator category) cells, `categories × categories`.
    cells: Means,
    categories: usize,
    /// Per creator, its brands' outcomes: CSR of (brand, y, confidence), most confident first.
    indptr: Vec<u64>,
    brand: Vec<u32>,
    y: Vec<f32>,
    conf: Vec<f32>,
    /// Unit-length core factors of every brand (`dim` each), for brand similarity.
    brand_unit: Vec<f32>,
    dim: usize,
}

/// Unit-length copy of a vector's first `dim` values (zeros stay zeros).
pub fn unit(v: &[f32], dim: usize) -> Vec<f32> {
    let v = &v[..dim];
    let n = dot(v, v).sqrt();
    if n > 0.0 { v.iter().map(|x| x / n).collect() } else { vec![0.0; dim] }
}

impl Evidence {
    /// From `pairs` (value targets), with the categories of brands and creators (codes below
    /// `categories`, or anything else for unknown) and the model whose brand factors define
    /// similarity.
    pub fn build(
        pairs: &[PairTarget],
        brand_category: &[u32],
        creator_category: &[u32],
        categories: usize,
        model: &AffinityModel,
    ) -> Evidence {
        let (nb, ni) = (brand_category.len(), creator_category.len());
        let mut e = Evidence {
            brands: Means::new(nb),
            creators: Means::new(ni),
            cells: Means::new(categories * categories),
            categories,
            indptr: vec![0; ni + 1],
            brand: Vec::new(),
            y: Vec::new(),
            conf: Vec::new(),
            brand_unit: Vec::with_capacity(nb * model.params.factors),
            dim: model.params.factors,
        };
        for p in pairs {
            let (b, i) = (p.brand as usize, p.influencer as usize);
            e.brands.add(b, p.y, p.confidence);
            e.creators.add(i, p.y, p.confidence);
            if let Some(cell) = e.cell_of(brand_category[b], creator_category[i]) {
                e.cells.add(cell, p.y, p.confidence);
            }
        }
        let mut by_creator: Vec<Vec<&PairTarget>> = vec![Vec::new(); ni];
        for p in pairs {
            by_creator[p.influencer as usize].push(p);
        }
        for (i, list) in by_creator.iter_mut().enumerate() {
            list.sort_by(|a, b| b.confidence.total_cmp(&a.confidence).then(a.brand.cmp(&b.brand)));
            for p in list.iter().take(MAX_PER_CREATOR) {
                e.brand.push(p.brand);
                e.y.push(p.y);
                e.conf.push(p.confidence);
            }
            e.indptr[i + 1] = e.brand.len() as u64;
        }
        for b in 0..nb {
            e.brand_unit.extend(unit(model.brand_vector(b), e.dim));
        }
        e
    }

    /// Whether the arrays agree with `nb` brands and `ni` creators (a decoded file's may not).
    pub fn check_shape(&self, nb: usize, ni: usize) -> Result<(), String> {
        let sizes = [
            ("evidence.brands", self.brands.sum.len().max(self.brands.conf.len()), nb),
            ("evidence.brands", self.brands.sum.len().min(self.brands.conf.len()), nb),
            ("evidence.creators", self.creators.sum.len().max(self.creators.conf.len()), ni),
            ("evidence.creators", self.creators.sum.len().min(self.creators.conf.len()), ni),
            ("evidence.cells", self.cells.sum.len().min(self.cells.conf.len()), self.categories * self.categories),
            ("evidence.cells", self.cells.sum.len().max(self.cells.conf.len()), self.categories * self.categories),
            ("evidence.indptr", self.indptr.len(), ni + 1),
            ("evidence.y", self.y.len(), self.brand.len()),
            ("evidence.conf", self.conf.len(), self.brand.len()),
            ("evidence.brand_unit", self.brand_unit.len(), nb * self.dim),
        ];
        if let Some((name, got, need)) = sizes.iter().find(|(_, got, need)| got != need) {
            return Err(format!("{name} holds {got} values where the ranker needs {need}"));
        }
        let ok = self.indptr.first() == Some(&0)
            && self.indptr.windows(2).all(|w| w[0] <= w[1])
            && self.indptr.last().is_some_and(|&l| l as usize == self.brand.len());
        if !ok {
            return Err("evidence.indptr does not run from 0 up to the number of entries".into());
        }
        match self.brand.iter().find(|&&b| b as usize >= nb) {
            Some(b) => Err(format!("evidence names brand {b} of {nb}")),
            None => Ok(()),
        }
    }

    fn cell_of(&self, bc: u32, ic: u32) -> Option<usize> {
        let n = self.categories;
        ((bc as usize) < n && (ic as usize) < n).then(|| bc as usize * n + ic as usize)
    }

    /// The brand's own outcomes (0 = the market; no history: 0).
    pub fn brand_outcome(&self, b: Option<usize>) -> f32 {
        b.map_or(0.0, |b| self.brands.get(b))
    }

    /// The creator's own outcomes, across brands.
    pub fn creator_outcome(&self, i: usize) -> f32 {
        self.creators.get(i)
    }

    /// The outcomes of brands of category `bc` with creators of category `ic`.
    pub fn category_pair(&self, bc: u32, ic: u32) -> f32 {
        self.cell_of(bc, ic).map_or(f32::NAN, |c| self.cells.get(c))
    }

    /// The outcomes other brands got with creator `i`, weighted by each brand's similarity to
    /// the query (`query_unit`: the query's unit core factors), and the total weight behind it;
    /// the query's own brand `skip` is left out. `(NaN, 0)` when no similar brand tried `i`.
    pub fn similar_brands(&self, i: usize, query_unit: &[f32], skip: Option<usize>) -> (f32, f32) {
        let Some(range) = self.indptr.get(i).zip(self.indptr.get(i + 1)) else { return (f32::NAN, 0.0) };
        let (mut sum, mut weight) = (0.0f32, 0.0f32);
        for k in *range.0 as usize..*range.1 as usize {
            let b = self.brand[k] as usize;
            if Some(b) == skip {
                continue;
            }
            let sim = dot(query_unit, &self.brand_unit[b * self.dim..(b + 1) * self.dim]);
            if sim > 0.0 {
                let w = sim * self.conf[k];
                sum += w * self.y[k];
                weight += w;
            }
        }
        if weight > 0.0 { (sum / (weight + SHRINK), weight) } else { (f32::NAN, 0.0) }
    }

    /// Core-factor width of the brand similarity.
    pub fn dim(&self) -> usize {
        self.dim
    }
}
