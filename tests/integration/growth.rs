//! The growth model through the binary: training, `kolrec growth` output and files, evaluation,
//! and the messages of bad inputs.

use std::path::{Path, PathBuf};

use crate::common::*;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A simulated market with 200 days of snapshots, trained with a small affinity model.
fn trained() -> &'static (PathBuf, PathBuf) {
    static T: std::sync::OnceLock<(PathBuf, PathBuf)> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let p = kolrec::sim::SimParams {
            brands: 10,
            influencers: 500,
            campaigns: Some(800),
            days: 200,
            ..Default::default()
        };
        let (data, model, out) = trained_market("growth", &p, &["--factors", "4", "--iterations", "2", "--no-index"]);
        assert!(out.contains("growth model:"), "{out}");
        (data, model)
    })
}

/// The last snapshot date of the simulated market (start 2025-01-01, 200 days).
const LAST: &str = "2025-07-19";

#[test]
fn growth_lists_creators_best_first_and_writes_every_creator() {
    let (data, model) = trained();
    let o = kolrec(&["growth", "--model", s(model), "--data", s(data), "--as-of", LAST, "--top", "5", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let rows = v["scored"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    let p: Vec<f64> = rows.iter().map(|r| r["probability"].as_f64().unwrap()).collect();
    assert!(p.windows(2).all(|w| w[0] >= w[1]) && p.iter().all(|x| (0.0..=1.0).contains(x)), "{p:?}");
    assert!(rows.iter().all(|r| !r["reason"].as_str().unwrap().is_empty()));

    let out = scratch("growth-out").join("scores.csv");
    let o = kolrec(&["growth", "--model", s(model), "--data", s(data), "--as-of", LAST, "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("creators scored"), "{}", stdout(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), "influencer_id,probability,expected_growth,suspicious_growth,reason,status");
    assert_eq!(lines.count(), 500, "every creator has a row, scored or not");
    assert!(text.contains(",scored"));
}

#[test]
fn eval_reports_the_growth_model_against_its_baselines() {
    let (data, model) = trained();
    let o = kolrec(&["eval", "--data", s(data), "--model", s(model), "--bootstrap", "0", "--ks", "5,10", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["held_out_picks"]["warm_brands"]["models"]["kolrec"]["metrics"]["ndcg@5"].is_object());
    // The growth test rows, for plots: one row per test creator and date, with the label.
    let rows = kolrec::table::read(&model.join("growth_predictions.parquet")).unwrap().frame;
    let cols: Vec<String> = rows.get_column_names().iter().map(|c| c.to_string()).collect();
    assert_eq!(cols, ["influencer_id", "as_of", "kolrec", "momentum", "tier_prior", "grew_strongly"]);
    assert_eq!(rows.height() as u64, v["growth"]["models"]["kolrec"]["rows"].as_u64().unwrap());
    let g = &v["growth"]["models"];
    for m in ["kolrec", "momentum", "tier-prior"] {
        let auc = g[m]["roc_auc"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&auc), "{m}: {auc}");
        assert!(g[m]["calibration"].as_array().is_some_and(|c| !c.is_empty()));
    }
    assert_eq!(v["growth"]["embargo_days"], 30);

    // The model against its baselines on this planted market (seeded, so the same every run):
    // it must order the test rows better than momentum and the tier prior, and its
    // probabilities must score better than theirs and than the base rate's.
    let metric = |m: &str, k: &str| g[m][k].as_f64().unwrap();
    for baseline in ["momentum", "tier-prior"] {
        for k in ["roc_auc", "pr_auc"] {
            assert!(
                metric("kolrec", k) > metric(baseline, k),
                "{k}: kolrec {} vs {baseline} {}",
                metric("kolrec", k),
                metric(baseline, k)
            );
        }
        assert!(metric("kolrec", "brier") < metric(baseline, "brier"), "brier vs {baseline}");
    }
    // The reported figures are the rows' own: AUC recomputed from the written predictions.
    let probs: Vec<f32> = rows.column("kolrec").unwrap().f32().unwrap().iter().map(|v| v.unwrap()).collect();
    let grew: Vec<bool> = rows.column("grew_strongly").unwrap().bool().unwrap().iter().map(|v| v.unwrap()).collect();
    let (pos, neg): (Vec<f32>, Vec<f32>) = {
        let p = probs.iter().zip(&grew).filter(|(_, g)| **g).map(|(p, _)| *p).collect();
        let n = probs.iter().zip(&grew).filter(|(_, g)| !**g).map(|(p, _)| *p).collect();
        (p, n)
    };
    let wins: f64 = pos
        .iter()
        .map(|p| {
            neg.iter()
                .map(|n| {
                    if p > n {
                        1.0
                    } else if p == n {
                        0.5
                    } else {
                        0.0
                    }
                })
                .sum::<f64>()
        })
        .sum();
    let auc = wins / (pos.len() * neg.len()) as f64;
    assert!((auc - metric("kolrec", "roc_auc")).abs() < 1e-6, "recomputed AUC {auc}");
    // Calibrated end to end: on the held-out dates the mean probability is near the observed
    // rate, and the Brier score beats always predicting the test's own base rate.
    let rate = pos.len() as f64 / grew.len() as f64;
    let mean = probs.iter().map(|&p| f64::from(p)).sum::<f64>() / probs.len() as f64;
    assert!((mean - rate).abs() < 0.2 * rate, "mean probability {mean:.3} vs observed rate {rate:.3}");
    assert!(metric("kolrec", "brier") < rate * (1.0 - rate), "no better than the base rate");
    // The embargo: no training label window reaches into the test period.
    let day = |s: &str| kolrec::parse::iso_date(s).unwrap();
    let last_train = day(v["growth"]["train"]["last_date"].as_str().unwrap());
    let test_from = day(v["growth"]["test_from"].as_str().unwrap());
    assert!(last_train + 30 <= test_from, "training labels run into the test period");
    let as_of: Vec<i32> = rows.column("as_of").unwrap().str().unwrap().iter().map(|v| day(v.unwrap())).collect();
    assert_eq!(as_of.iter().min(), Some(&test_from));
    assert_eq!(as_of.iter().max().copied(), Some(day(v["growth"]["test_until"].as_str().unwrap())));
}

#[test]
fn bad_growth_inputs_exit_2_and_say_why() {
    let (data, model) = trained();
    let (d, m) = (s(data), s(model));
    let bad_ks = kolrec(&["eval", "--data", d, "--model", m, "--ks", "0,10"]);
    assert_eq!(bad_ks.status.code(), Some(2));
    assert!(stderr(&bad_ks).contains("--ks must list cut-offs between 1 and 1000"), "{}", stderr(&bad_ks));
    let fails = |args: &[&str], want: &str| {
        let o = kolrec(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(want), "{args:?}: {} lacks {want:?}", stderr(&o));
    };
    fails(&["growth", "--model", m, "--data", d, "--as-of", "2025-13-01"], "--as-of '2025-13-01' is not a date");
    fails(&["growth", "--model", m, "--data", d, "--as-of", LAST, "--out", "x.txt"], "x.txt");
    fails(&["train", "--data", d, "--out", m, "--growth-threshold", "0"], "invalid growth parameter threshold = 0");
    fails(&["train", "--data", d, "--out", m, "--growth-top-share", "0.9"], "top_share = 0.9");
    // A history too short for a growth model: training warns and goes on; `growth` says why.
    let short = scratch("growth-short");
    let p = kolrec::sim::SimParams { brands: 5, influencers: 60, campaigns: Some(100), days: 60, ..Default::default() };
    kolrec::sim::generate(&p, &short, true).unwrap();
    let sm = scratch("growth-short-model");
    let o =
        kolrec(&["train", "--data", s(&short), "--out", s(&sm), "--factors", "4", "--iterations", "1", "--no-index"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("growth model not trained: too little follower history"), "{}", stderr(&o));
    fails(&["growth", "--model", s(&sm), "--data", s(&short), "--as-of", "2025-02-20"], "holds no growth model");
}

/// The committed sample market knows each creator's true growth regime (`truth/influencers`).
#[test]
fn on_the_sample_market_growth_beats_momentum_and_flags_bought_followers() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sample");
    let (ds, _) = kolrec::dataset::load(&dir, &Default::default()).unwrap();
    let p = kolrec::growth::GrowthParams::default();
    let e = kolrec::evaluate::growth::evaluate_growth(&ds, &p).unwrap();
    let (k, m) = (&e.models["kolrec"], &e.models["momentum"]);
    assert!(k.roc_auc > m.roc_auc + 0.03, "kolrec {} vs momentum {}", k.roc_auc, m.roc_auc);
    assert!(k.brier < m.brier, "Brier kolrec {} vs momentum {}", k.brier, m.brier);

    let end = *ds.snapshots.date.iter().max().unwrap();
    let (model, _) = kolrec::growth::GrowthModel::fit(&ds, end, &p).unwrap();
    let scoring = model.score(&ds, end, 0);
    let truth = kolrec::table::read(&dir.join("truth/influencers.parquet")).unwrap().frame;
    let col = |name: &str| -> Vec<String> {
        truth.column(name).unwrap().str().unwrap().iter().map(|v| v.unwrap_or("").to_string()).collect()
    };
    let regime: std::collections::HashMap<String, String> =
        col("influencer_id").into_iter().zip(col("regime")).collect();
    let flagged: Vec<&str> =
        scoring.scored.iter().filter(|s| s.suspicious_growth).map(|s| regime[&s.influencer_id].as_str()).collect();
    let bought = flagged.iter().filter(|r| **r == "bought_followers").count();
    assert!(flagged.len() >= 10 && bought * 10 >= flagged.len() * 8, "flags by regime: {flagged:?}");
    let mean = |want: &str| {
        let v: Vec<f32> =
            scoring.scored.iter().filter(|s| regime[&s.influencer_id] == want).map(|s| s.probability).collect();
        v.iter().sum::<f32>() / v.len() as f32
    };
    assert!(mean("bought_followers") * 3.0 < mean("rising_star"), "bought followers must not look like growth");
}
