//! `kolrec bench recommend`: the latency of single recommend queries through the engine, one at a
//! time on one thread, with both stages and with stage 1 alone, over the same brands in one run
//! (the machine is shared: the ratio is the figure to quote).

use std::path::Path;
use std::time::Instant;

use anyhow::{Result, ensure};

use kolrec::engine::{Engine, OpenOptions};
use kolrec::pipeline::{FilterSpec, Who};

pub struct RecommendBench<'a> {
    pub model: &'a Path,
    pub queries: usize,
    pub k: usize,
    /// Brands whose every creator the ranker scores, to measure retrieval recall (0: skip).
    pub recall_brands: usize,
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn measure(engine: &Engine, brands: &[String], k: usize, spec: &FilterSpec) -> Result<Vec<f64>> {
    let mut ms = Vec::with_capacity(brands.len());
    for id in brands {
        let t = Instant::now();
        let a = engine.recommend(&Who::Brand(id.clone()), k, spec)?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
        ensure!(!a.results.is_empty(), "no results for {id}");
    }
    ms.sort_by(f64::total_cmp);
    Ok(ms)
}

pub fn run(b: &RecommendBench) -> Result<()> {
    let t0 = Instant::now();
    let learned = Engine::open(b.model, &OpenOptions { growth: false, ..Default::default() })?;
    let open_s = t0.elapsed().as_secs_f64();
    ensure!(learned.ranker_name() == "learned", "{} has no learned ranker to measure", b.model.display());
    let stage1 = Engine::open(b.model, &OpenOptions { growth: false, ranker: false, ..Default::default() })?;
    let ids = &learned.model().brand_ids;
    let step = ids.len().div_ceil(b.queries).max(1);
    let brands: Vec<String> = ids.iter().step_by(step).cloned().collect();
    let path = if learned.index().is_some() { "ANN index" } else { "exact scan" };
    outln!(
        "bench recommend on {}: {} creators, {} brands queried one at a time (k {}, {} candidates re-scored, {path}); opened in {open_s:.1}s",
        b.model.display(),
        learned.catalog().len(),
        brands.len(),
        b.k,
        learned.manifest().and_then(|m| m.ranker.as_ref()).map_or(0, |r| r.params.candidates)
    );
    let platform = learned.catalog().influencers.platform.values.first().cloned().unwrap_or_default();
    let filtered = FilterSpec { platforms: vec![platform.clone()], exclude_worked: true, ..Default::default() };
    let (common, tier) = common_platform_and_tier(&learned);
    let typical = FilterSpec { platforms: vec![common], tiers: vec![tier], ..Default::default() };
    for (label, spec) in
        [("no filter", FilterSpec::default()), ("platform + exclude worked", filtered), ("platform + tier", typical)]
    {
        // Warm both once so that page faults of the first queries are not in either figure.
        measure(&learned, &brands[..brands.len().min(20)], b.k, &spec)?;
        measure(&stage1, &brands[..brands.len().min(20)], b.k, &spec)?;
        let two = measure(&learned, &brands, b.k, &spec)?;
        let one = measure(&stage1, &brands, b.k, &spec)?;
        outln!("  {label:<26}  {:>8} {:>8} {:>8} {:>8}", "p50 ms", "p95 ms", "p99 ms", "max ms");
        for (name, v) in [("both stages", &two), ("stage 1 alone", &one)] {
            outln!(
                "    {name:<24}  {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
                percentile(v, 0.5),
                percentile(v, 0.95),
                percentile(v, 0.99),
                v[v.len() - 1]
            );
        }
        outln!("    p99 ratio (both / stage 1): {:.2}", percentile(&two, 0.99) / percentile(&one, 0.99));
    }
    if b.recall_brands > 0 {
        let n = learned.model().brand_ids.len();
        let brands: Vec<usize> = (0..n).step_by(n.div_ceil(b.recall_brands).max(1)).collect();
        let t = Instant::now();
        let at = kolrec::evaluate::retrieval::recall(&learned, &brands, &[50, 100, 200, 300, 500, 1000], 10);
        outln!(
            "  retrieval recall of the ranker's top-10 over all {} creators ({} brands, {:.0}s):",
            learned.catalog().len(),
            brands.len(),
            t.elapsed().as_secs_f64()
        );
        for r in at {
            outln!("    N = {:<5} {:.3}", r.candidates, r.all);
        }
    }
    Ok(())
}

/// The most common platform and tier among micro and mid creators (a typical brief's filter).
pub fn common_platform_and_tier(engine: &Engine) -> (String, kolrec::tier::Tier) {
    use kolrec::tier::Tier;
    let c = &engine.catalog().influencers;
    let mut counts = std::collections::HashMap::<(&str, Tier), usize>::new();
    for i in 0..c.id.len() {
        *counts.entry((c.platform.get(i), Tier::of(c.followers[i]))).or_default() += 1;
    }
    let best = counts
        .iter()
        .filter(|((_, t), _)| matches!(t, Tier::Micro | Tier::Mid))
        .max_by_key(|(key, n)| (**n, key.0))
        .map(|((p, t), _)| (p.to_string(), *t));
    best.unwrap_or_else(|| (String::new(), Tier::Micro))
}
