//! `kolrec bench trees`: the ranker's gradient-boosted trees (forust-ml) beside LightGBM on the
//! very same out-of-fold training rows, targets, weights and settings (monotone constraints and
//! early stopping included): fit time, trees kept and validation RMSE, in one run.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use super::Peers;
use kolrec::evaluate;
use kolrec::ranker::RankerParams;
use kolrec::ranker::booster::{Booster, monotone};
use kolrec::ranker::features::{FEATURES, N};
use kolrec::ranker::fit::tree_rows;

pub struct TreesBench<'a> {
    pub data: &'a Path,
    pub out: &'a Path,
    pub peers: &'a Peers,
    pub script: &'a Path,
    pub affinity: kolrec::affinity::AffinityParams,
    pub ranker: RankerParams,
}

fn write_rows(path: &Path, (x, y, w): &(Vec<[f32; N]>, Vec<f32>, Vec<f32>)) -> Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    let names: Vec<&str> = FEATURES.iter().map(|f| f.0).collect();
    writeln!(f, "{},y,w", names.join(","))?;
    for ((row, y), w) in x.iter().zip(y).zip(w) {
        for v in row {
            if v.is_finite() {
                write!(f, "{v},")?;
            } else {
                write!(f, ",")?;
            }
        }
        writeln!(f, "{y},{w}")?;
    }
    Ok(())
}

pub fn run(b: &TreesBench) -> Result<()> {
    std::fs::create_dir_all(b.out)?;
    let (ds, _) = kolrec::dataset::load(b.data, &Default::default())?;
    let split = evaluate::time_split(&ds.campaigns, 0.2)?;
    let rows = tree_rows(&ds, &split.train, &b.affinity, &b.ranker)?;
    outln!(
        "bench trees on {}: {} training and {} validation out-of-fold pairs from the {} campaign rows before {} ({} features)",
        b.data.display(),
        rows.train.0.len(),
        rows.valid.0.len(),
        split.train_rows,
        split.cutoff,
        N
    );
    write_rows(&b.out.join("train.csv"), &rows.train)?;
    write_rows(&b.out.join("valid.csv"), &rows.valid)?;
    let t0 = Instant::now();
    let fit = Booster::fit(
        &b.ranker,
        (&rows.train.0, &rows.train.1, &rows.train.2),
        (&rows.valid.0, &rows.valid.1, &rows.valid.2),
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    let forust_s = t0.elapsed().as_secs_f64();
    let (xv, yv, wv) = &rows.valid;
    let forust_rmse = fit.booster.rmse(xv, yv, wv);
    let forust_pred = fit.booster.predict(xv);

    let constraints = monotone(&b.ranker).unwrap_or_default();
    let mono: Vec<String> = (0..N).map(|j| if constraints.contains_key(&j) { "1" } else { "0" }.to_string()).collect();
    let json = b.out.join("lightgbm.json");
    let params = serde_json::to_string(&b.ranker)?;
    let mono = mono.join(",");
    let args: Vec<&std::ffi::OsStr> = vec![
        "--dir".as_ref(),
        b.out.as_os_str(),
        "--params".as_ref(),
        params.as_ref(),
        "--monotone".as_ref(),
        mono.as_ref(),
        "--out".as_ref(),
        json.as_os_str(),
    ];
    let status = std::process::Command::new(&b.peers.python)
        .arg(b.script)
        .args(&args)
        .status()
        .with_context(|| format!("running {} {}", b.peers.python.display(), b.script.display()))?;
    anyhow::ensure!(status.success(), "{} failed ({status})", b.script.display());
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json)?)?;
    let lgb_pred: Vec<f64> =
        v["valid_pred"].as_array().context("valid_pred")?.iter().filter_map(|x| x.as_f64()).collect();
    let (mut sa, mut sb, mut n) = (0.0f64, 0.0f64, 0.0f64);
    for (a, b) in forust_pred.iter().zip(&lgb_pred) {
        sa += f64::from(*a);
        sb += b;
        n += 1.0;
    }
    let (ma, mb) = (sa / n, sb / n);
    let (mut c, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (a, b) in forust_pred.iter().zip(&lgb_pred) {
        let (da, db) = (f64::from(*a) - ma, b - mb);
        c += da * db;
        va += da * da;
        vb += db * db;
    }
    outln!("  {:<22} {:>8} {:>10} {:>16}", "booster", "trees", "fit s", "validation RMSE");
    outln!("  {:<22} {:>8} {:>10.2} {:>16.4}", "forust-ml (kolrec)", fit.trees, forust_s, forust_rmse);
    outln!(
        "  {:<22} {:>8} {:>10.2} {:>16.4}",
        format!("LightGBM {}", v["version"].as_str().unwrap_or("?")),
        v["trees"],
        v["fit_seconds"].as_f64().unwrap_or(f64::NAN),
        v["valid_rmse"].as_f64().unwrap_or(f64::NAN)
    );
    outln!("  correlation of the two boosters' validation predictions: {:.3}", c / (va * vb).sqrt());
    outln!("  (rows written to {}; both on 2 threads)", b.out.display());
    Ok(())
}
