//! Training, evaluation and model files through the library and the binary.

use std::path::{Path, PathBuf};

use kolrec::linalg::dot;
use kolrec::model_dir;

use crate::common::*;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models/fixture-v1")
}

/// The top three creators of the fixture's first brand, with scores, as `id score` lines.
fn fixture_top3() -> String {
    let (m, _) = model_dir::load_affinity(&fixture()).unwrap();
    let mut s: Vec<(f32, usize)> =
        (0..m.influencer_ids.len()).map(|i| (dot(m.brand_vector(0), m.influencer_vector(i)), i)).collect();
    s.sort_by(|a, b| b.0.total_cmp(&a.0));
    s[..3].iter().map(|(v, i)| format!("{} {v:.5}\n", m.influencer_ids[*i])).collect()
}

#[test]
fn committed_fixture_v1_still_loads_and_scores_as_recorded() {
    let expected = fixture().join("expected_top3.txt");
    if std::env::var_os("KOLREC_BLESS").is_some() {
        std::fs::write(&expected, fixture_top3()).unwrap();
    }
    let (m, manifest) = model_dir::load_affinity(&fixture()).unwrap();
    assert_eq!((m.brand_ids.len(), m.influencer_ids.len(), m.dim()), (12, 60, 6));
    assert_eq!(manifest.format_version, 1);
    assert_eq!(manifest.affinity.unwrap().params.factors, 4);
    assert_eq!(fixture_top3(), std::fs::read_to_string(&expected).unwrap(), "format v1 fixture scores changed");
}

fn copy_fixture(name: &str) -> PathBuf {
    let dir = scratch(name);
    for f in ["affinity.bin", "manifest.json"] {
        std::fs::copy(fixture().join(f), dir.join(f)).unwrap();
    }
    dir
}

#[test]
fn corrupt_future_and_missing_models_give_specific_errors() {
    let data = scratch("model-errors-data");
    kolrec::sim::generate(
        &kolrec::sim::SimParams { brands: 12, influencers: 60, campaigns: Some(300), days: 60, ..Default::default() },
        &data,
        true,
    )
    .unwrap();
    let eval = |model: &Path| {
        kolrec(&["eval", "--data", data.to_str().unwrap(), "--model", model.to_str().unwrap(), "--bootstrap", "0"])
    };

    let flipped = copy_fixture("flipped");
    let mut b = std::fs::read(flipped.join("affinity.bin")).unwrap();
    let n = b.len();
    b[n - 10] ^= 0xff;
    std::fs::write(flipped.join("affinity.bin"), &b).unwrap();
    let o = eval(&flipped);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("affinity.bin is corrupt: checksum"), "{e}");

    let future = copy_fixture("future");
    let mut b = std::fs::read(future.join("affinity.bin")).unwrap();
    b[8..12].copy_from_slice(&7u32.to_le_bytes());
    std::fs::write(future.join("affinity.bin"), &b).unwrap();
    let e = stderr(&eval(&future));
    assert!(e.contains("model format version 7") && e.contains("reads version 1"), "{e}");

    let manifest_future = copy_fixture("manifest-future");
    let text = std::fs::read_to_string(manifest_future.join("manifest.json")).unwrap();
    std::fs::write(
        manifest_future.join("manifest.json"),
        text.replacen("\"format_version\": 1", "\"format_version\": 9", 1),
    )
    .unwrap();
    let e = stderr(&eval(&manifest_future));
    assert!(e.contains("manifest format version 9"), "{e}");

    let e = stderr(&eval(&scratch("empty-model")));
    assert!(e.contains("holds no kolrec model (no manifest.json)"), "{e}");

    let truncated = copy_fixture("truncated");
    let b = std::fs::read(truncated.join("affinity.bin")).unwrap();
    std::fs::write(truncated.join("affinity.bin"), &b[..b.len() / 2]).unwrap();
    let e = stderr(&eval(&truncated));
    assert!(e.contains("is truncated"), "{e}");
}

#[test]
fn train_then_eval_reports_every_segment_baseline_and_true_outcome() {
    let data = scratch("train-eval-data");
    let p =
        kolrec::sim::SimParams { brands: 40, influencers: 400, campaigns: Some(2400), days: 90, ..Default::default() };
    kolrec::sim::generate(&p, &data, true).unwrap();
    let model = scratch("train-eval-model");
    let o = kolrec(&["train", "--data", data.to_str().unwrap(), "--out", model.to_str().unwrap(), "--factors", "16"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("trained affinity model (engagement objective, 16 factors)"), "{}", stdout(&o));
    let o = kolrec(&[
        "eval",
        "--data",
        data.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--json",
        "--bootstrap",
        "50",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    for seg in ["warm_brands", "cold_brands", "cold_influencers"] {
        for m in ["kolrec", "popularity", "same-category-by-followers", "features-only"] {
            for metric in ["recall@10", "ndcg@10", "map@10", "recall@50", "ndcg@50", "map@50"] {
                let e = &v["held_out_picks"][seg]["models"][m]["metrics"][metric];
                let (mean, lo, hi) =
                    (e["mean"].as_f64().unwrap(), e["lo"].as_f64().unwrap(), e["hi"].as_f64().unwrap());
                assert!((0.0..=1.0).contains(&mean) && lo <= mean && mean <= hi, "{seg} {m} {metric}: {e}");
            }
            assert!(v["held_out_picks"][seg]["models"][m]["coverage"]["coverage@10"].as_f64().is_some());
        }
    }
    let warm = &v["outcomes"]["warm_brands"];
    assert!(warm["picks_ctr"].as_f64().unwrap() > 0.0 && warm["ctr_lift"].as_f64().is_some(), "{warm}");
    // The model must beat what brands do by hand on the truth, even on this small market.
    let oracle = |m: &str| warm["oracle_ndcg_at_10"][m]["mean"].as_f64().unwrap();
    assert!(oracle("kolrec") > 2.0 * oracle("same-category-by-followers"), "{warm}");
    assert!(oracle("kolrec") > 2.0 * oracle("popularity"), "{warm}");
    // The evaluation is recorded with the model.
    let manifest = model_dir::read_manifest(&model).unwrap();
    assert!(manifest.evaluation.is_some() && model.join("eval.json").is_file());
}

#[test]
fn bad_parameters_fail_before_any_data_is_read() {
    let o = kolrec(&["train", "--data", "/nonexistent", "--out", "/nonexistent/m", "--factors", "0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("invalid affinity parameter factors = 0"), "{}", stderr(&o));
    let o = kolrec(&["eval", "--data", "/nonexistent", "--model", "/nonexistent", "--holdout", "1.5"]);
    assert!(stderr(&o).contains("--holdout 1.5 must be strictly between 0 and 1"), "{}", stderr(&o));
}

/// A hand-made market: brand b1 tries three creators after the cutoff with known clicks per unit
/// cost (i1 0.30, i2 0.10, i3 0.20), and a hand-made file recommends i2 first, then i1 (i3 not
/// listed, so it ranks last).
#[test]
fn eval_judges_a_file_of_recommendations_by_hand_computed_values() {
    let campaigns = "\
campaign_id,brand_id,influencer_id,date,cost,impressions,clicks,conversions,objective
c1,b1,i1,2025-01-01,100,10000,20,,engagement
c1,b1,i2,2025-01-05,100,10000,10,,engagement
c2,b2,i3,2025-01-10,100,10000,30,,engagement
c2,b2,i1,2025-01-20,100,10000,5,,engagement
c3,b1,i1,2025-02-20,100,10000,30,,engagement
c3,b1,i2,2025-02-24,100,10000,10,,engagement
c3,b1,i3,2025-02-28,100,10000,20,,engagement
";
    let dir = dataset("eval-recs", &[("campaigns", campaigns)]);
    let model = dir.join("model");
    let (d, m) = (dir.to_str().unwrap(), model.to_str().unwrap());
    let o =
        kolrec(&["train", "--data", d, "--out", m, "--factors", "2", "--iterations", "2", "--no-index", "--no-growth"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let recs = dir.join("hand.csv");
    std::fs::write(&recs, "brand_id,influencer_id,rank\nb1,i2,1\nb1,i1,2\nb2,i2,1\nghost,i1,1\n").unwrap();
    let arg = format!("hand={}", recs.display());
    let o = kolrec(&["eval", "--data", d, "--model", m, "--bootstrap", "0", "--recs", &arg, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("1 rows name a brand or creator the data does not have"), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).lines().last().unwrap()).unwrap();
    let seg = &v["outcome_graded"]["warm_brands"];
    assert_eq!((seg["brands"].as_u64(), seg["pairs"].as_u64()), (Some(1), Some(3)), "{seg}");
    let hand = &seg["models"]["hand"];
    let l = |x: f64| x.log2();
    let dcg = 0.10 / l(2.0) + 0.30 / l(3.0) + 0.20 / l(4.0);
    let idcg = 0.30 / l(2.0) + 0.20 / l(3.0) + 0.10 / l(4.0);
    let ndcg = hand["ndcg"]["mean"].as_f64().unwrap();
    assert!((ndcg - dcg / idcg).abs() < 1e-9, "ndcg {ndcg} vs {}", dcg / idcg);
    // i1 > i2 wrong, i1 > i3 right, i3 > i2 wrong.
    let auc = hand["pairwise_auc"]["mean"].as_f64().unwrap();
    assert!((auc - 1.0 / 3.0).abs() < 1e-9, "auc {auc}");
    // kolrec and the baselines are judged on the same pairs.
    for model in ["kolrec", "popularity", "features-only", "same-category-by-followers"] {
        assert!(seg["models"][model]["ndcg"]["mean"].as_f64().is_some(), "{model}");
    }
    assert!(v["held_out_picks"]["warm_brands"]["models"]["hand"].is_object());
    // A file without a rank column, or with a rank that is not a number, is refused by name.
    std::fs::write(&recs, "brand_id,influencer_id\nb1,i2\n").unwrap();
    let o = kolrec(&["eval", "--data", d, "--model", m, "--recs", &arg]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no column 'rank'"), "{}", stderr(&o));
    std::fs::write(&recs, "brand_id,influencer_id,rank\nb1,i2,first\n").unwrap();
    let o = kolrec(&["eval", "--data", d, "--model", m, "--recs", &arg]);
    assert!(stderr(&o).contains("row 2: rank 'first' is not a number"), "{}", stderr(&o));
}
