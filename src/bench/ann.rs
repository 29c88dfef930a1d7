//! `kolrec bench ann`: the HNSW index on a trained model's vectors — build time, size, reload,
//! memory, recall@10 against the exact inner-product top-10 per ef, queries per second on 1 and 2
//! threads, single-query latency with and without filters — side by side with hnswlib's `ip`
//! space (`peers.py ann`) on the same vectors, exported as `.npy`.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use rayon::prelude::*;

use kolrec::engine::Engine;
use kolrec::evaluate::ann::{ann_recall, items, standard_filter};
use kolrec::fsutil::{human_bytes, peak_rss_bytes};
use kolrec::index::{ExactIndex, Hit, HnswIndex, IndexParams, MipsIndex};
use kolrec::metrics::recall;

const K: usize = 10;

pub struct AnnBench<'a> {
    pub model: &'a Path,
    pub out: &'a Path,
    pub peers: &'a super::Peers,
    pub params: IndexParams,
    pub efs: Vec<usize>,
    /// Brands used as queries (0 = all).
    pub max_queries: usize,
    pub skip_peers: bool,
    /// Load the index a previous run saved in `out/index` instead of building one.
    pub reuse: bool,
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Best-of-3 queries per second of `f` over all queries on a pool of `threads`.
fn qps(threads: usize, n: usize, f: impl Fn(usize) -> usize + Sync) -> Result<f64> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t0 = Instant::now();
        let found: usize = pool.install(|| (0..n).into_par_iter().map(&f).sum());
        std::hint::black_box(found);
        best = best.min(t0.elapsed().as_secs_f64());
    }
    Ok(n as f64 / best)
}

/// Single-query latencies in microseconds, sorted.
fn latencies(n: usize, f: impl Fn(usize)) -> Vec<f64> {
    let mut v: Vec<f64> = (0..n)
        .map(|q| {
            let t0 = Instant::now();
            f(q);
            t0.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

pub fn write_npy_f32(path: &Path, data: &[f32], rows: usize, cols: usize) -> Result<()> {
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    // Magic (6) + version (2) + length (2) + header + newline, padded to a multiple of 64.
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = Vec::with_capacity(10 + header.len() + data.len() * 4);
    bytes.extend_from_slice(b"\x93NUMPY\x01\x00");
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for x in data {
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

pub fn run(b: &AnnBench) -> Result<()> {
    std::fs::create_dir_all(b.out)?;
    let t0 = Instant::now();
    let (owned, manifest) = kolrec::model_dir::load_affinity(b.model)?;
    let catalog = kolrec::model_dir::load_catalog(b.model, &manifest, &owned)?;
    let model = &owned;
    let dim = model.dim();
    let n = model.influencer_ids.len();
    let mut queries: Vec<usize> = (0..model.brand_ids.len()).collect();
    if b.max_queries > 0 && queries.len() > b.max_queries {
        let step = queries.len() as f64 / b.max_queries as f64;
        queries = (0..b.max_queries).map(|j| (j as f64 * step) as usize).collect();
    }
    let nq = queries.len();
    let q = |j: usize| model.brand_vector(queries[j]);
    outln!(
        "bench ann: {n} creators × {dim} dims, {nq} brand queries, k = {K}; model loaded in {:.1}s, peak memory so far {}",
        t0.elapsed().as_secs_f64(),
        peak_rss_bytes().map(human_bytes).unwrap_or_default()
    );

    let exact = ExactIndex::new(&model.influencer_vectors, dim);
    let t = Instant::now();
    let truth: Vec<Vec<Hit>> = (0..nq).into_par_iter().map(|j| exact.search(q(j), K, None)).collect();
    let exact_qps = nq as f64 / t.elapsed().as_secs_f64();

    let idir = b.out.join("index");
    let index = if b.reuse && idir.join(kolrec::index::hnsw::SIDECAR_FILE).is_file() {
        // Search-side figures only: the index saved by an earlier run, with this run's query
        // parameters (ef_search, exact_below).
        let t = Instant::now();
        let mut loaded = HnswIndex::load(&idir, "bench")?;
        loaded.sidecar.params.ef_search = b.params.ef_search;
        loaded.sidecar.params.exact_below = b.params.exact_below;
        outln!(
            "reused the index in {} (built in {:.1}s), loaded in {:.2}s",
            idir.display(),
            loaded.sidecar.build_seconds,
            t.elapsed().as_secs_f64()
        );
        loaded
    } else {
        let before = peak_rss_bytes().unwrap_or(0);
        let mut index = HnswIndex::build(&model.influencer_vectors, dim, &b.params, false)?;
        let build = index.sidecar.build_seconds;
        let after_build = peak_rss_bytes().unwrap_or(0);
        let t = Instant::now();
        index.save(&idir, "bench")?;
        let save = t.elapsed().as_secs_f64();
        let bytes: u64 = index.sidecar.files.iter().map(|f| f.bytes).sum();
        let t = Instant::now();
        let loaded = HnswIndex::load(&idir, "bench")?;
        let reload = t.elapsed().as_secs_f64();
        let same = (0..nq).into_par_iter().all(|j| {
            let a = index.search(q(j), K, None);
            let l = loaded.search(q(j), K, None);
            a.iter().map(|h| h.item).eq(l.iter().map(|h| h.item))
        });
        outln!(
            "build {build:.1}s ({:.0} creators/s, M {}, ef_construction {}), peak memory {} (before build {}), files {}, save {save:.1}s, reload {reload:.2}s, reloaded index answers identically: {}",
            n as f64 / build,
            b.params.m,
            b.params.ef_construction,
            human_bytes(after_build),
            human_bytes(before),
            human_bytes(bytes),
            if same { "yes" } else { "NO" }
        );
        index
    };
    let build = index.sidecar.build_seconds;

    let threads = rayon::current_num_threads().min(2);
    outln!("exact scan (kolrec, {threads} threads): {exact_qps:.0} queries/s");
    outln!(
        "\n{:>6} {:>10} {:>12} {:>12} {:>10} {:>10}",
        "ef",
        "recall@10",
        "qps 1 thr",
        "qps 2 thr",
        "p50 µs",
        "p99 µs"
    );
    let mut rows = Vec::new();
    let lat_n = nq.min(1000);
    for &ef in &b.efs {
        let found: Vec<Vec<Hit>> = (0..nq).into_par_iter().map(|j| index.search_ef(q(j), K, ef, None)).collect();
        let r = recall(&items(&found), &items(&truth));
        let q1 = qps(1, nq, |j| index.search_ef(q(j), K, ef, None).len())?;
        let q2 = qps(2, nq, |j| index.search_ef(q(j), K, ef, None).len())?;
        let lat = latencies(lat_n, |j| {
            std::hint::black_box(index.search_ef(q(j), K, ef, None));
        });
        outln!(
            "{ef:>6} {r:>10.4} {q1:>12.0} {q2:>12.0} {:>10.0} {:>10.0}",
            percentile(&lat, 0.5),
            percentile(&lat, 0.99)
        );
        rows.push((ef, r, q1, q2));
    }

    // Filtered: each brand asks for one platform (cycling through them) without its past creators,
    // the commonest marketer filter. Recall of the HNSW path itself (forced), and the served path.
    let platforms = catalog.influencers.platform.values.clone();
    let vectors: Vec<f32> = (0..nq).flat_map(|j| q(j).to_vec()).collect();
    let mut engine = Engine::from_parts(owned, catalog, Some(index), None);
    engine.set_exact_below(b.params.exact_below);
    let q = |j: usize| &vectors[j * dim..(j + 1) * dim];
    let spec = |j: usize| standard_filter(&platforms, j);
    let compile = |j: usize| {
        engine.compile(&spec(j)).and_then(|f| f.for_brand(engine.catalog(), Some(queries[j]))).expect("valid filter")
    };
    let filters: Vec<_> = (0..nq).into_par_iter().map(compile).collect();
    // Recall figures come from the evaluation's own measurement, the latencies from here.
    let eval = ann_recall(&engine, &queries, build);
    let r = engine.retriever();
    let lat_forced = latencies(lat_n, |j| {
        std::hint::black_box(r.top_k(q(j), K, &filters[j], None, true));
    });
    let lat_served = latencies(lat_n, |j| {
        std::hint::black_box(r.top_k(q(j), K, &filters[j], None, false));
    });
    let lat_compile = latencies(lat_n, |j| {
        std::hint::black_box(compile(j));
    });
    outln!(
        "\nfiltered (one platform, past creators excluded; {:.0} creators allowed on average, ef {}):",
        eval.mean_allowed,
        b.params.ef_search
    );
    outln!(
        "  HNSW path forced: recall@10 {:.4}, p50 {:.0} µs, p99 {:.0} µs",
        eval.recall_at_10_filtered,
        percentile(&lat_forced, 0.5),
        percentile(&lat_forced, 0.99)
    );
    outln!(
        "  served (exact below {} allowed): recall@10 {:.4}, p50 {:.0} µs, p99 {:.0} µs; {:.0}% of queries took the exact scan",
        b.params.exact_below,
        eval.served_recall_at_10_filtered,
        percentile(&lat_served, 0.5),
        percentile(&lat_served, 0.99),
        100.0 * eval.served_exact_share
    );
    outln!(
        "  compiling the filter (a pass over the catalogue): p50 {:.0} µs, p99 {:.0} µs",
        percentile(&lat_compile, 0.5),
        percentile(&lat_compile, 0.99)
    );

    let picks: Vec<String> =
        (0..200.min(n)).map(|j| engine.catalog().influencers.id[j * (n / 200.min(n))].clone()).collect();
    let none = kolrec::pipeline::FilterSpec::default();
    let lat_similar = latencies(picks.len(), |j| {
        std::hint::black_box(engine.similar(&picks[j], K, &none).expect("known creator"));
    });
    outln!(
        "lookalikes (exact cosine scan of {n} creators, {} queries): p50 {:.0} µs, p99 {:.0} µs",
        picks.len(),
        percentile(&lat_similar, 0.5),
        percentile(&lat_similar, 0.99)
    );

    if b.skip_peers {
        return Ok(());
    }
    let items_file = b.out.join("items.npy");
    let qfile = b.out.join("queries.npy");
    write_npy_f32(&items_file, &engine.model().influencer_vectors, n, dim)?;
    write_npy_f32(&qfile, &vectors, nq, dim)?;
    let pj = b.out.join("peers_ann.json");
    let efs: Vec<String> = b.efs.iter().map(|e| e.to_string()).collect();
    outln!("\nrunning peers.py ann (hnswlib ip, faiss) on {} and {}", items_file.display(), qfile.display());
    let (m, efc, lat) = (b.params.m.to_string(), b.params.ef_construction.to_string(), lat_n.to_string());
    let efs = efs.join(",");
    let args: Vec<&std::ffi::OsStr> =
        ["--items".as_ref(), items_file.as_os_str(), "--queries".as_ref(), qfile.as_os_str()]
            .into_iter()
            .chain(
                ["--k", "10", "--M", &m, "--ef-construction", &efc, "--efs", &efs, "--latency-sample", &lat]
                    .map(|a| a.as_ref()),
            )
            .collect();
    let v = b.peers.run("ann", &args, &pj)?;
    let indexes = v["indexes"].as_array().context("peers.py wrote no indexes")?;
    for name in ["hnswlib-ip", "hnswlib-l2-mips-augmented"] {
        let Some(ix) = indexes.iter().find(|x| x["name"] == name) else { continue };
        outln!(
            "\nkolrec vs {name} (same vectors and queries, M {}, ef_construction {}); build: kolrec {build:.1}s, {name} {:.1}s",
            b.params.m,
            b.params.ef_construction,
            ix["build_seconds"].as_f64().unwrap_or(f64::NAN)
        );
        outln!(
            "{:>6} {:>14} {:>14} {:>12} {:>12} {:>12} {:>12} {:>9} {:>9}",
            "ef",
            "kolrec recall",
            "peer recall",
            "kolrec q/s 1",
            "peer q/s 1",
            "kolrec q/s 2",
            "peer q/s 2",
            "ratio 1",
            "ratio 2"
        );
        for &(ef, r, q1, q2) in &rows {
            let run = ix["runs"].as_array().and_then(|a| a.iter().find(|x| x["ef"] == ef));
            let get = |k: &str| run.and_then(|x| x[k].as_f64()).unwrap_or(f64::NAN);
            let (hr, h1, h2) = (get("recall@10_vs_exact_ip"), get("qps_1_thread"), get("qps_2_threads"));
            outln!(
                "{ef:>6} {r:>14.4} {hr:>14.4} {q1:>12.0} {h1:>12.0} {q2:>12.0} {h2:>12.0} {:>9.2} {:>9.2}",
                q1 / h1,
                q2 / h2
            );
        }
    }
    outln!("(ratio: kolrec queries/s over hnswlib's; hnswlib timed as one batch call from Python)");
    Ok(())
}
