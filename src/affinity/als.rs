//! The solver: biased alternating least squares on signed outcome targets, where every brand and
//! creator embedding is pulled toward a ridge projection of its features (a "feature prior").
//!
//! Objective, with `s(b, i) = u_b·v_i + β_b + β_i`:
//!
//! ```text
//! L = Σ_observed c (y − s)²  +  w0 Σ_unobserved s²
//!   + λ Σ_b ‖[u_b, β_b] − P x_b‖²  +  λ Σ_i ‖[v_i, β_i] − Q x_i‖²  +  λν (‖P‖² + ‖Q‖²)
//! ```
//!
//! Unobserved pairs count as "average outcome" with a small weight `w0` (the implicit-feedback
//! term, computed through Gram matrices, never by visiting them). Each sweep solves one side with
//! the other fixed — conjugate gradient warm-started from the current vector for entities with
//! observations, a shared Cholesky factor for those without — then refits the prior by ridge
//! regression on the observed entities and re-solves the unobserved ones from it. Each step
//! minimises (or, for truncated CG, decreases) its part of `L`; the prior refit is exact for the
//! observed entities' terms, so `L` does not rise beyond what the unobserved ones' `w0` coupling
//! allows (tested to stay within 0.1% per sweep).

use rayon::prelude::*;

use crate::linalg::{dot32, dot64};

/// Pairs in compressed-row form: for each row entity, its columns, targets and confidences.
#[derive(Clone, Debug, Default)]
pub struct Csr {
    pub indptr: Vec<usize>,
    pub idx: Vec<u32>,
    pub y: Vec<f32>,
    pub c: Vec<f32>,
}

impl Csr {
    /// Build from `(row, col, y, c)` tuples.
    pub fn build(n_rows: usize, pairs: impl Iterator<Item = (u32, u32, f32, f32)> + Clone) -> Csr {
        let mut counts = vec![0usize; n_rows + 1];
        for (r, ..) in pairs.clone() {
            counts[r as usize + 1] += 1;
        }
        for k in 0..n_rows {
            counts[k + 1] += counts[k];
        }
        let nnz = counts[n_rows];
        let mut next = counts.clone();
        let (mut idx, mut y, mut c) = (vec![0u32; nnz], vec![0f32; nnz], vec![0f32; nnz]);
        for (r, col, yy, cc) in pairs {
            let at = next[r as usize];
            next[r as usize] += 1;
            idx[at] = col;
            y[at] = yy;
            c[at] = cc;
        }
        Csr { indptr: counts, idx, y, c }
    }

    pub fn rows(&self) -> usize {
        self.indptr.len() - 1
    }

    pub fn nnz(&self) -> usize {
        self.idx.len()
    }

    fn row(&self, r: usize) -> std::ops::Range<usize> {
        self.indptr[r]..self.indptr[r + 1]
    }
}

/// Solver settings (already checked by `AffinityParams::check`).
#[derive(Clone, Copy, Debug)]
pub struct Hyper {
    /// Core factors `k`; vectors stored per entity have `k + 1` values (the last is the bias).
    pub k: usize,
    pub lambda: f64,
    /// Ridge strength of the priors relative to `lambda`.
    pub nu: f64,
    /// Absolute weight of an unobserved pair.
    pub w0: f64,
    pub cg_steps: usize,
}

/// `z_j · v` of entity `j` seen from the other side, where `z = [core, 1]` (its bias `o` is the
/// last stored value).
#[inline]
fn z_dot(other: &[f32], j: usize, d: usize, v: &[f32]) -> f32 {
    dot32(&other[j * d..j * d + d - 1], &v[..d - 1]) + v[d - 1]
}

#[inline]
fn z_axpy(other: &[f32], j: usize, d: usize, scale: f32, out: &mut [f32]) {
    let z = &other[j * d..j * d + d - 1];
    for (o, a) in out.iter_mut().zip(z) {
        *o += scale * a;
    }
    out[d - 1] += scale;
}

/// Σ_j z_j z_jᵀ, Σ_j o_j z_j and Σ_j o_j² over every entity of a side.
pub struct Gram {
    pub g: Vec<f64>,
    pub h: Vec<f64>,
    pub oo: f64,
}

pub fn gram(other: &[f32], d: usize) -> Gram {
    // Blocks of rows accumulate in f32 (twice the SIMD width) and are flushed into f64 totals, so
    // rounding error stays that of one block.
    const BLOCK: usize = 256;
    let n = other.len() / d;
    let blocks = n.div_ceil(BLOCK);
    let zero = || (vec![0.0f64; d * d], vec![0.0f64; d], 0.0f64);
    let (mut g, h, oo) = (0..blocks)
        .into_par_iter()
        .fold(zero, |(mut g, mut h, mut oo), blk| {
            let mut g32 = vec![0.0f32; d * d];
            let mut z = vec![0.0f32; d];
            for j in blk * BLOCK..((blk + 1) * BLOCK).min(n) {
                let v = &other[j * d..(j + 1) * d];
                z.copy_from_slice(v);
                z[d - 1] = 1.0;
                let o = f64::from(v[d - 1]);
                for a in 0..d {
                    let za = z[a];
                    h[a] += o * f64::from(za);
                    g32[a * d + a..(a + 1) * d].iter_mut().zip(&z[a..]).for_each(|(gv, zb)| *gv += za * zb);
                }
                oo += o * o;
            }
            g.iter_mut().zip(&g32).for_each(|(t, x)| *t += f64::from(*x));
            (g, h, oo)
        })
        .reduce(zero, |(mut g1, mut h1, o1), (g2, h2, o2)| {
            g1.iter_mut().zip(&g2).for_each(|(a, b)| *a += b);
            h1.iter_mut().zip(&h2).for_each(|(a, b)| *a += b);
            (g1, h1, o1 + o2)
        });
    for a in 0..d {
        for b in 0..a {
            g[a * d + b] = g[b * d + a];
        }
    }
    Gram { g, h, oo }
}

/// In-place Cholesky factor (lower) of a symmetric positive-definite `n × n` matrix.
pub fn cholesky(m: &mut [f64], n: usize) -> bool {
    for j in 0..n {
        let mut s = m[j * n + j];
        for k in 0..j {
            s -= m[j * n + k] * m[j * n + k];
        }
        if s <= 0.0 || !s.is_finite() {
            return false;
        }
        let s = s.sqrt();
        m[j * n + j] = s;
        for i in j + 1..n {
            let mut t = m[i * n + j];
            for k in 0..j {
                t -= m[i * n + k] * m[j * n + k];
            }
            m[i * n + j] = t / s;
        }
    }
    true
}

/// Solve `L Lᵀ x = b` in place with a factor from [`cholesky`].
pub fn cholesky_solve(l: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let mut t = b[i];
        for k in 0..i {
            t -= l[i * n + k] * b[k];
        }
        b[i] = t / l[i * n + i];
    }
    for i in (0..n).rev() {
        let mut t = b[i];
        for k in i + 1..n {
            t -= l[k * n + i] * b[k];
        }
        b[i] = t / l[i * n + i];
    }
}

/// `w0·G + λ·I`, factored: the system of an entity with no observations.
fn base_factor(gr: &Gram, d: usize, hp: &Hyper) -> Vec<f64> {
    let mut m: Vec<f64> = gr.g.iter().map(|x| hp.w0 * x).collect();
    for a in 0..d {
        m[a * d + a] += hp.lambda;
    }
    assert!(cholesky(&mut m, d), "w0·G + λI is positive definite for λ > 0");
    m
}

/// The embedding of an entity with no observations, `(w0 G + λI)⁻¹ (λ P x − w0 h)`, as one affine
/// map of its features `M x + c`: a never-observed entity costs `d·f`, not a projection and then a
/// `d × d` product. Training and cold-start serving both use it, so they cannot drift apart.
pub struct ColdMap {
    /// `λ (w0 G + λI)⁻¹ P`, `d × f`, row-major.
    m: Vec<f32>,
    /// `−w0 (w0 G + λI)⁻¹ h`.
    c: Vec<f32>,
    f: usize,
}

impl ColdMap {
    /// From the inverse of `w0 G + λI`, `h = Σ o z` and the prior projection `P` (`d × f`).
    pub fn new(inverse: &[f64], h: &[f64], prior: &[f32], f: usize, hp: &Hyper) -> ColdMap {
        let d = hp.k + 1;
        let mut m = vec![0.0f32; d * f];
        let mut row = vec![0.0f64; f];
        for r in 0..d {
            row.fill(0.0);
            for t in 0..d {
                let w = inverse[r * d + t];
                row.iter_mut().zip(&prior[t * f..(t + 1) * f]).for_each(|(acc, p)| *acc += w * f64::from(*p));
            }
            m[r * f..(r + 1) * f].iter_mut().zip(&row).for_each(|(o, v)| *o = (hp.lambda * v) as f32);
        }
        let c = (0..d).map(|r| (-hp.w0 * dot64(&inverse[r * d..(r + 1) * d], h)) as f32).collect();
        ColdMap { m, c, f }
    }

    pub fn apply(&self, x: &[f32], out: &mut [f32]) {
        for (r, o) in out.iter_mut().enumerate().take(self.c.len()) {
            *o = dot32(&self.m[r * self.f..(r + 1) * self.f], x) + self.c[r];
        }
    }
}

/// The cold-start system of one side, kept in the model so that new entities are embedded exactly
/// like the never-observed ones were in training: the Cholesky factor of `w0·G + λI` over the
/// other side, and `h = Σ o z`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct ColdSystem {
    pub factor: Vec<f64>,
    pub h: Vec<f64>,
}

impl ColdSystem {
    /// `(w0·G + λI)⁻¹`, row-major, from the stored factor.
    pub fn inverse(&self, d: usize) -> Vec<f64> {
        let mut inverse = vec![0.0f64; d * d];
        let mut col = vec![0.0f64; d];
        for c in 0..d {
            col.fill(0.0);
            col[c] = 1.0;
            cholesky_solve(&self.factor, d, &mut col);
            for r in 0..d {
                inverse[r * d + c] = col[r];
            }
        }
        inverse
    }
}

/// What solving one side needs from the other side: its Gram terms and the no-observation system.
/// Computed once per half-sweep and shared by the solves that use it.
pub struct SideSystem {
    pub gram: Gram,
    cold: ColdSystem,
    /// `(w0·G + λI)⁻¹`: a never-observed entity is one matrix-vector product.
    inverse: Vec<f64>,
    /// `w0·G` in `f32`: the product every conjugate-gradient step takes, at twice the SIMD width.
    w0_gram32: Vec<f32>,
}

impl SideSystem {
    pub fn new(other: &[f32], hp: &Hyper) -> SideSystem {
        let d = hp.k + 1;
        let gram = gram(other, d);
        let cold = ColdSystem { factor: base_factor(&gram, d, hp), h: gram.h.clone() };
        let inverse = cold.inverse(d);
        let w0_gram32 = gram.g.iter().map(|g| (hp.w0 * g) as f32).collect();
        SideSystem { gram, cold, inverse, w0_gram32 }
    }

    pub fn cold_system(&self) -> ColdSystem {
        self.cold.clone()
    }

    pub fn cold_map(&self, prior: &[f32], f: usize, hp: &Hyper) -> ColdMap {
        ColdMap::new(&self.inverse, &self.gram.h, prior, f, hp)
    }
}

/// Re-solve only the entities without observations (after their prior moved), from their features.
pub fn solve_cold(this: &mut [f32], map: &ColdMap, observed: &[bool], features: &[f32]) {
    let d = map.c.len();
    this.par_chunks_mut(d).enumerate().filter(|(e, _)| !observed[*e]).for_each(|(e, a)| {
        map.apply(&features[e * map.f..(e + 1) * map.f], a);
    });
}

/// Solve every entity of one side that has observations, with the other side fixed. Entities
/// without observations depend only on their prior: [`solve_cold`] solves them once it is refit.
pub fn solve_side(this: &mut [f32], other: &[f32], sys: &SideSystem, adj: &Csr, priors: &[f32], hp: &Hyper) {
    let d = hp.k + 1;
    let gr = &sys.gram;
    // Conjugate gradient in f32, as BLAS-based ALS implementations run it: the system is small
    // (k + 1 unknowns) and well conditioned (λ ≥ w0·‖G‖), and twice the SIMD width halves the cost.
    let (lambda, w0) = (hp.lambda as f32, hp.w0 as f32);
    let h32: Vec<f32> = gr.h.iter().map(|h| *h as f32).collect();
    let scratch = || vec![0.0f32; 4 * d];
    this.par_chunks_mut(d).enumerate().filter(|(e, _)| !adj.row(*e).is_empty()).for_each_init(
        scratch,
        |buf, (e, a)| {
            let (x, rest) = buf.split_at_mut(d);
            let (r, rest) = rest.split_at_mut(d);
            let (p, ap) = rest.split_at_mut(d);
            let prior = &priors[e * d..(e + 1) * d];
            let range = adj.row(e);
            // r = rhs − A x in one pass over the observations, where
            // rhs = Σ [c y − (c − w0) o] z − w0 h + λ p and A = w0 G + λ I + Σ (c − w0) z zᵀ.
            x.copy_from_slice(a);
            for t in 0..d {
                r[t] = lambda * prior[t] - w0 * h32[t] - dot32(&sys.w0_gram32[t * d..(t + 1) * d], x) - lambda * x[t];
            }
            for t in range.clone() {
                let j = adj.idx[t] as usize;
                let (c, y) = (adj.c[t], adj.y[t]);
                let o = other[j * d + d - 1];
                z_axpy(other, j, d, c * y - (c - w0) * (o + z_dot(other, j, d, x)), r);
            }
            p.copy_from_slice(r);
            let apply = |v: &[f32], out: &mut [f32]| {
                for t in 0..d {
                    out[t] = dot32(&sys.w0_gram32[t * d..(t + 1) * d], v) + lambda * v[t];
                }
                for t in range.clone() {
                    let j = adj.idx[t] as usize;
                    let s = (adj.c[t] - w0) * z_dot(other, j, d, v);
                    z_axpy(other, j, d, s, out);
                }
            };
            let mut rr = dot32(r, r);
            for _ in 0..hp.cg_steps {
                if rr < 1e-24 {
                    break;
                }
                apply(p, ap);
                let pap = dot32(p, ap);
                if pap <= 0.0 {
                    break;
                }
                let step = rr / pap;
                for t in 0..d {
                    x[t] += step * p[t];
                    r[t] -= step * ap[t];
                }
                let rr_new = dot32(r, r);
                let beta = rr_new / rr;
                rr = rr_new;
                for t in 0..d {
                    p[t] = r[t] + beta * p[t];
                }
            }
            a.copy_from_slice(x);
        },
    );
}

/// The ridge system of one side's prior fit, `XᵀX + νI` over the entities with observations,
/// factored once: the features and the observed set do not change between sweeps.
pub struct PriorSystem {
    factor: Vec<f64>,
    f: usize,
}

impl PriorSystem {
    pub fn new(features: &[f32], observed: &[bool], f: usize, nu: f64) -> PriorSystem {
        let n = features.len() / f;
        let zero = || vec![0.0f64; f * f];
        let mut xtx = (0..n)
            .into_par_iter()
            .filter(|&e| observed[e])
            .fold(zero, |mut xtx, e| {
                let x = &features[e * f..(e + 1) * f];
                for (p, &xp) in x.iter().enumerate().filter(|(_, v)| **v != 0.0) {
                    let xp = f64::from(xp);
                    xtx[p * f + p..(p + 1) * f].iter_mut().zip(&x[p..]).for_each(|(t, &xq)| *t += xp * f64::from(xq));
                }
                xtx
            })
            .reduce(zero, |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            });
        for p in 0..f {
            for q in 0..p {
                xtx[p * f + q] = xtx[q * f + p];
            }
            xtx[p * f + p] += nu;
        }
        assert!(cholesky(&mut xtx, f), "XᵀX + νI is positive definite for ν > 0");
        PriorSystem { factor: xtx, f }
    }

    /// Ridge fit of the prior projection over the entities with observations:
    /// `P = argmin λ Σ_{e observed} ‖a_e − P x_e‖² + λν ‖P‖²`, stored as `d × f`, row-major.
    ///
    /// Entities without observations sit at (a shrunk copy of) their own prior; fitting on them
    /// would only tie `P` to its previous value, so they are left out and re-solved from the new `P`.
    pub fn fit(&self, factors: &[f32], features: &[f32], observed: &[bool], d: usize) -> Vec<f32> {
        let f = self.f;
        let n = factors.len() / d;
        let zero = || vec![0.0f64; f * d];
        let xta = (0..n)
            .into_par_iter()
            .filter(|&e| observed[e])
            .fold(zero, |mut xta, e| {
                let x = &features[e * f..(e + 1) * f];
                let a = &factors[e * d..(e + 1) * d];
                for (p, &xp) in x.iter().enumerate().filter(|(_, v)| **v != 0.0) {
                    let xp = f64::from(xp);
                    xta[p * d..(p + 1) * d].iter_mut().zip(a).for_each(|(t, &av)| *t += xp * f64::from(av));
                }
                xta
            })
            .reduce(zero, |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            });
        let mut prior = vec![0.0f32; d * f];
        let mut col = vec![0.0f64; f];
        for t in 0..d {
            for p in 0..f {
                col[p] = xta[p * d + t];
            }
            cholesky_solve(&self.factor, f, &mut col);
            for p in 0..f {
                prior[t * f + p] = col[p] as f32;
            }
        }
        prior
    }
}

/// `P x_e` for every entity where `keep(e)` (zeros elsewhere): `n × d`.
pub fn project(prior: &[f32], features: &[f32], d: usize, f: usize, keep: impl Fn(usize) -> bool + Sync) -> Vec<f32> {
    let n = features.len() / f;
    let mut out = vec![0.0f32; n * d];
    out.par_chunks_mut(d)
        .enumerate()
        .filter(|(e, _)| keep(*e))
        .for_each(|(e, o)| project_one(prior, &features[e * f..(e + 1) * f], d, f, o));
    out
}

pub fn project_one(prior: &[f32], x: &[f32], d: usize, f: usize, out: &mut [f32]) {
    for (t, o) in out.iter_mut().enumerate().take(d) {
        *o = dot32(&prior[t * f..(t + 1) * f], x);
    }
}

/// Score of brand vector `a` and creator vector `b` (both `k + 1` long, bias last).
#[inline]
pub fn pair_score(a: &[f32], b: &[f32]) -> f64 {
    let d = a.len();
    f64::from(dot32(&a[..d - 1], &b[..d - 1])) + f64::from(a[d - 1]) + f64::from(b[d - 1])
}

/// The full objective `L` (see the module docs).
#[allow(clippy::too_many_arguments)]
pub fn objective(
    brands: &[f32],
    infl: &[f32],
    gr: &Gram,
    by_brand: &Csr,
    brand_priors: &[f32],
    infl_priors: &[f32],
    p_brand: &[f32],
    p_infl: &[f32],
    hp: &Hyper,
) -> f64 {
    let d = hp.k + 1;
    // Brand vectors as the brand solve sees them: s = aᵀz + o with a = [u, β_b].
    let obs_and_all: (f64, f64) = (0..by_brand.rows())
        .into_par_iter()
        .map(|b| {
            let a = &brands[b * d..(b + 1) * d];
            let af: Vec<f64> = a.iter().map(|&v| f64::from(v)).collect();
            let mut all = 2.0 * af.iter().zip(&gr.h).map(|(x, h)| x * h).sum::<f64>() + gr.oo;
            for p in 0..d {
                all += af[p] * dot64(&gr.g[p * d..(p + 1) * d], &af);
            }
            let mut obs = 0.0;
            let mut obs_sq = 0.0;
            for t in by_brand.row(b) {
                let i = by_brand.idx[t] as usize;
                let s = pair_score(a, &infl[i * d..(i + 1) * d]);
                obs += f64::from(by_brand.c[t]) * (f64::from(by_brand.y[t]) - s).powi(2);
                obs_sq += s * s;
            }
            (obs, hp.w0 * (all - obs_sq))
        })
        .reduce(|| (0.0, 0.0), |x, y| (x.0 + y.0, x.1 + y.1));
    let dist =
        |v: &[f32], p: &[f32]| v.iter().zip(p).map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2)).sum::<f64>();
    let sq = |v: &[f32]| v.iter().map(|a| f64::from(*a).powi(2)).sum::<f64>();
    obs_and_all.0
        + obs_and_all.1
        + hp.lambda * (dist(brands, brand_priors) + dist(infl, infl_priors))
        + hp.lambda * hp.nu * (sq(p_brand) + sq(p_infl))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_a_known_system() {
        let mut m = vec![4.0, 2.0, 2.0, 3.0];
        assert!(cholesky(&mut m, 2));
        let mut b = vec![2.0, 1.0];
        cholesky_solve(&m, 2, &mut b);
        // [4 2; 2 3] x = [2; 1]  →  x = [0.5, 0]
        assert!((b[0] - 0.5).abs() < 1e-12 && b[1].abs() < 1e-12);
        let mut bad = vec![1.0, 2.0, 2.0, 1.0];
        assert!(!cholesky(&mut bad, 2));
    }

    #[test]
    fn csr_groups_pairs_by_row() {
        let pairs = [(1u32, 5u32, 0.5f32, 2.0f32), (0, 3, -1.0, 1.0), (1, 2, 1.0, 1.0)];
        let m = Csr::build(3, pairs.iter().copied());
        assert_eq!(m.indptr, vec![0, 1, 3, 3]);
        assert_eq!(m.idx, vec![3, 5, 2]);
        assert_eq!(m.y, vec![-1.0, 0.5, 1.0]);
    }

    #[test]
    fn prior_fit_recovers_a_linear_map() {
        // a_e = P x_e exactly, with P = [[1, 2], [3, -1], [0, 1]] (d = 3, f = 2).
        let p = [1.0f32, 2.0, 3.0, -1.0, 0.0, 1.0];
        let xs: Vec<f32> = (0..50).flat_map(|e| [1.0, e as f32 / 10.0]).collect();
        let a = project(&p, &xs, 3, 2, |_| true);
        let fit = PriorSystem::new(&xs, &[true; 50], 2, 1e-9).fit(&a, &xs, &[true; 50], 3);
        for (x, y) in fit.iter().zip(&p) {
            assert!((x - y).abs() < 1e-3, "{fit:?}");
        }
    }
}
