//! `kolrec bench ranking`: kolrec's recommendations beside the recommenders a data scientist
//! would pick instead, judged by one evaluation on one time split: `peers.py outcome` (LightGBM
//! regression of each campaign's outcome per unit cost on pair features) and implicit ALS
//! (`peers.py affinity`), both trained only on the campaigns before the split's cutoff, their
//! top-k written as recommendation files and scored by `kolrec eval`'s code (outcome-graded
//! metrics, and on simulated data oracle NDCG and true CTR/CPM).

use std::ffi::OsStr;
use std::path::Path;

use anyhow::{Context, Result, ensure};

use super::Peers;
use kolrec::dataset::Dataset;
use kolrec::evaluate::{self, EvalConfig, RecsFile};
use kolrec::metrics::top_k;

pub struct RankingBench<'a> {
    pub data: &'a Path,
    pub out: &'a Path,
    pub peers: &'a Peers,
    pub params: kolrec::affinity::AffinityParams,
    /// kolrec's ranker (`None`: stage 1 alone).
    pub ranker: Option<kolrec::ranker::RankerParams>,
    /// Each peer's list length per brand.
    pub k: usize,
}

pub fn run(b: &RankingBench) -> Result<()> {
    std::fs::create_dir_all(b.out)?;
    let (ds, _) = kolrec::dataset::load(b.data, &Default::default())?;
    let truth = kolrec::sim::truth::Truth::load(b.data, &ds)?;
    let cfg = EvalConfig { bootstrap: 1000, index: None, ..EvalConfig::default() };
    let split = evaluate::time_split(&ds.campaigns, cfg.holdout)?;
    outln!(
        "bench ranking on {}: split at {} ({} training rows, {} test rows); peers train on the rows before it",
        b.data.display(),
        split.cutoff,
        split.train_rows,
        split.test_rows
    );
    let outcome_csv = b.out.join("outcome_recs.csv");
    let outcome_json = b.out.join("outcome.json");
    let k = b.k.to_string();
    let args: Vec<&OsStr> = vec![
        "--data".as_ref(),
        b.data.as_os_str(),
        "--out".as_ref(),
        outcome_csv.as_os_str(),
        "--k".as_ref(),
        k.as_ref(),
        "--before".as_ref(),
        split.cutoff.as_ref(),
        "--json".as_ref(),
        outcome_json.as_os_str(),
    ];
    outln!("running peers.py outcome (LightGBM) on the campaigns before {}", split.cutoff);
    b.peers.exec("outcome", &args)?;
    let outcome: serde_json::Value = serde_json::from_slice(&std::fs::read(&outcome_json)?)?;

    outln!("running peers.py affinity (implicit ALS) on the campaigns before {}", split.cutoff);
    let (als_csv, als_seconds) = implicit_als(&ds, &split.train, b)?;

    let files = [
        RecsFile::read(&outcome_csv, "peers-outcome-lightgbm", &ds)?,
        RecsFile::read(&als_csv, "peers-implicit-als", &ds)?,
    ];
    let extra: Vec<&dyn evaluate::Ranker> = files.iter().map(|f| f as &dyn evaluate::Ranker).collect();
    let params = b.params.clone();
    let t0 = std::time::Instant::now();
    let report = evaluate::evaluate(&ds, truth.as_ref(), &params, b.ranker.as_ref(), &cfg, &extra)?;
    let eval_seconds = t0.elapsed().as_secs_f64();
    outln!("\n{report}");
    let stage = |s: &str| report.fit_seconds.get(s).copied().unwrap_or(0.0);
    let (lgb, als) = (outcome["fit_seconds"].as_f64().unwrap_or(f64::NAN), als_seconds);
    outln!(
        "\ntraining time on the {} rows before the cutoff: kolrec stage 1 {:.2}s + ranker {:.2}s = {:.2}s; LightGBM outcome {lgb:.2}s + implicit ALS {als:.2}s = {:.2}s (kolrec's evaluation incl. baselines {eval_seconds:.1}s)",
        split.train_rows,
        stage("kolrec-retrieval"),
        stage("kolrec-ranker"),
        stage("kolrec-retrieval") + stage("kolrec-ranker"),
        lgb + als
    );
    let path = b.out.join("ranking_bench.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
    outln!("written: {}", path.display());
    Ok(())
}

/// implicit ALS on the training rows' above-market outcomes (as `bench affinity` exports them),
/// every brand's top-k over the creators it scored, written as a recommendation file.
fn implicit_als(ds: &Dataset, train: &[usize], b: &RankingBench) -> Result<(std::path::PathBuf, f64)> {
    let c = &ds.campaigns;
    let params = &b.params;
    let market = kolrec::affinity::outcome::Market::measure(c, train, params.objective);
    let inter = b.out.join("als_interactions.csv");
    let mut text = String::from("user,item,weight,ts\n");
    let mut kept = Vec::new();
    for &r in train {
        if let Some((y, _)) = market.target(c, r, params.alpha).filter(|t| t.0 > 0.0) {
            let (bid, iid) = (&ds.brands.id[c.brand[r] as usize], &ds.influencers.id[c.influencer[r] as usize]);
            text.push_str(&format!("{bid},{iid},{y},{}\n", i64::from(c.date[r]) * 100_000_000 + r as i64));
            kept.push(r);
        }
    }
    std::fs::write(&inter, text)?;
    let json = b.out.join("als.json");
    let (factors, epochs) = (params.factors.to_string(), params.iterations.to_string());
    let args: Vec<&OsStr> = [
        "--interactions".as_ref(),
        inter.as_os_str(),
        "--out".as_ref(),
        json.as_os_str(),
        "--factors".as_ref(),
        factors.as_ref(),
        "--epochs".as_ref(),
        epochs.as_ref(),
        "--models".as_ref(),
        "als".as_ref(),
        // Every training row trains: the evaluation's own split is the test.
        "--test-frac".as_ref(),
        "0.01".as_ref(),
        "--threads".as_ref(),
        "2".as_ref(),
    ]
    .to_vec();
    b.peers.exec("affinity", &args)?;
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json)?)?;
    let als = v["models"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["name"] == "implicit-als"))
        .context("peers.py wrote no implicit-als result")?;
    let (uf, nu, d1) = super::read_npy_f32(Path::new(als["factors_dumped"]["users"].as_str().context("users")?))?;
    let (itf, nit, d2) = super::read_npy_f32(Path::new(als["factors_dumped"]["items"].as_str().context("items")?))?;
    ensure!(d1 == d2, "ALS factor sizes differ");
    // peers indexes users and items by their sorted unique IDs among the rows it kept.
    fn sorted(mut v: Vec<&str>) -> Vec<&str> {
        v.sort_unstable();
        v.dedup();
        v
    }
    let users = sorted(kept.iter().map(|&r| ds.brands.id[c.brand[r] as usize].as_str()).collect());
    let items = sorted(kept.iter().map(|&r| ds.influencers.id[c.influencer[r] as usize].as_str()).collect());
    ensure!(users.len() == nu && items.len() == nit, "ALS factors do not match the interactions");
    let iidx = ds.influencers.index();
    let item_rows: Vec<usize> = items.iter().map(|id| iidx[id] as usize).collect();
    let path = b.out.join("als_recs.csv");
    let mut out = String::from("brand_id,influencer_id,rank,score\n");
    let mut scores = vec![0.0f32; nit];
    for (u, user) in users.iter().enumerate() {
        let uv = &uf[u * d1..(u + 1) * d1];
        for (it, s) in scores.iter_mut().enumerate() {
            *s = kolrec::linalg::dot(uv, &itf[it * d1..(it + 1) * d1]);
        }
        for (r, it) in top_k(&scores, |_| true, b.k).into_iter().enumerate() {
            out.push_str(&format!("{user},{},{},{}\n", ds.influencers.id[item_rows[it]], r + 1, scores[it]));
        }
    }
    std::fs::write(&path, out)?;
    Ok((path, als["train_seconds"].as_f64().unwrap_or(f64::NAN)))
}
