//! `kolrec bench export`: the exact path's top-k throughput (brands per second over every
//! creator) against numpy/BLAS — a blocked `queries @ items.T` plus `argpartition` — on the same
//! embeddings and brands, run one after the other on this machine; and the top-k sets compared.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use super::ann::write_npy_f32;

/// numpy's side: the same blocked product and top-k, timed in-process; prints JSON.
const NUMPY: &str = r#"
import json, sys, time
import numpy as np
items = np.load(sys.argv[1]); queries = np.load(sys.argv[2]); k = int(sys.argv[3]); out = sys.argv[4]
block = 64
t0 = time.perf_counter()
top = np.empty((len(queries), k), dtype=np.int64)
for s in range(0, len(queries), block):
    sc = queries[s:s + block] @ items.T
    part = np.argpartition(-sc, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(sc, part, axis=1), axis=1, kind="stable")
    top[s:s + block] = np.take_along_axis(part, order, axis=1)
secs = time.perf_counter() - t0
np.save(out, top)
print(json.dumps({"seconds": secs, "numpy": np.__version__}))
"#;

pub struct ExportBench<'a> {
    pub model: &'a Path,
    pub out: &'a Path,
    pub python: &'a Path,
    pub brands: usize,
    pub k: usize,
    pub threads: usize,
}

pub fn run(b: &ExportBench) -> Result<()> {
    std::fs::create_dir_all(b.out)?;
    let (model, _) = kolrec::model_dir::load_affinity(b.model)?;
    let (dim, n) = (model.dim(), model.influencer_ids.len());
    let nb = b.brands.min(model.brand_ids.len());
    if nb == 0 {
        bail!("the model has no brands");
    }
    let queries: Vec<&[f32]> = (0..nb).map(|r| model.brand_vector(r)).collect();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(b.threads).build()?;
    let t0 = Instant::now();
    let retriever =
        kolrec::pipeline::Retriever { vectors: &model.influencer_vectors, dim, index: None, exact_below: 0 };
    let all = kolrec::pipeline::Filter::all(n);
    let filters = vec![&all; nb];
    let hits = pool.install(|| retriever.exact_batch(&queries, b.k, &filters));
    let ours = t0.elapsed().as_secs_f64();
    outln!(
        "kolrec exact top-{}: {nb} brands × {n} creators × {dim} dims in {ours:.2}s on {} threads ({:.0} brands/s, {:.2e} multiply-adds/s)",
        b.k,
        b.threads,
        nb as f64 / ours,
        nb as f64 * n as f64 * dim as f64 / ours
    );

    let (items, qfile, tfile) = (b.out.join("items.npy"), b.out.join("queries.npy"), b.out.join("numpy_top.npy"));
    write_npy_f32(&items, &model.influencer_vectors, n, dim)?;
    let flat: Vec<f32> = queries.iter().flat_map(|q| q.iter().copied()).collect();
    write_npy_f32(&qfile, &flat, nb, dim)?;
    let threads = b.threads.to_string();
    let o = Command::new(b.python)
        .args(["-c", NUMPY])
        .arg(&items)
        .arg(&qfile)
        .arg(b.k.to_string())
        .arg(&tfile)
        .env("OPENBLAS_NUM_THREADS", &threads)
        .env("OMP_NUM_THREADS", &threads)
        .env("MKL_NUM_THREADS", &threads)
        .output()
        .with_context(|| format!("running {}", b.python.display()))?;
    if !o.status.success() {
        bail!("numpy side failed: {}", String::from_utf8_lossy(&o.stderr));
    }
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).context("numpy side's JSON")?;
    let theirs = v["seconds"].as_f64().context("numpy seconds")?;
    // numpy's .npy of int64 indices: header, then nb × k little-endian i64.
    let bytes = std::fs::read(&tfile)?;
    let header = 10 + u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let np_top: Vec<i64> =
        bytes[header..].chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes"))).collect();
    let mut same = 0usize;
    for (q, h) in hits.iter().enumerate() {
        let theirs: std::collections::HashSet<i64> = np_top[q * b.k..(q + 1) * b.k].iter().copied().collect();
        same += h.iter().filter(|x| theirs.contains(&i64::from(x.item))).count();
    }
    outln!(
        "numpy {} (BLAS, {} threads) blocked matmul + argpartition: {theirs:.2}s ({:.0} brands/s)",
        v["numpy"].as_str().unwrap_or("?"),
        b.threads,
        nb as f64 / theirs
    );
    outln!(
        "ratio kolrec/numpy time: {:.2}; top-{} sets agree on {:.4} of entries (ties and float order aside)",
        ours / theirs,
        b.k,
        same as f64 / (nb * b.k) as f64
    );
    Ok(())
}
