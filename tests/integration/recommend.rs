//! `kolrec index`, `recommend` and `similar` through the binary: output, JSON, exit codes and the
//! message of every bad input.

use std::path::{Path, PathBuf};

use crate::common::*;

/// A small simulated market trained with its index, shared by the tests of this file.
fn trained() -> &'static (PathBuf, PathBuf) {
    static T: std::sync::OnceLock<(PathBuf, PathBuf)> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let p = kolrec::sim::SimParams {
            brands: 20,
            influencers: 400,
            campaigns: Some(2000),
            days: 60,
            ..Default::default()
        };
        let (data, model, out) = trained_market("recommend", &p, &["--factors", "8", "--iterations", "4"]);
        assert!(out.contains("ANN index: 400 creators"), "{out}");
        (data, model)
    })
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn fails_with(args: &[&str], want: &str) {
    let o = kolrec(args);
    assert_eq!(o.status.code(), Some(2), "kolrec {args:?} should fail; stdout {}", stdout(&o));
    assert!(stderr(&o).contains(want), "kolrec {args:?}: {} lacks {want:?}", stderr(&o));
}

#[test]
fn recommend_prints_a_table_and_json_that_agree() {
    let (_, model) = trained();
    let o = kolrec(&["recommend", "--model", s(model), "--brand", "b000001", "-k", "5"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains(
            "brand b000001: 5 results from 400 candidate creators (ANN index, re-ranked by the learned ranker)"
        ),
        "{text}"
    );
    let o = kolrec(&["recommend", "--model", s(model), "--brand", "b000001", "-k", "5", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    assert_eq!(v["ranker"], "learned");
    for (r, line) in results.iter().zip(text.lines().skip(2)) {
        assert!(line.contains(r["influencer_id"].as_str().unwrap()), "{line}");
        // The reason starts with the ranker's strongest features.
        assert!(r["reason"].as_str().unwrap().starts_with("ranked by: "), "{r}");
    }
    // A second process reloads the saved index and answers identically.
    let again = kolrec(&["recommend", "--model", s(model), "--brand", "b000001", "-k", "5", "--json"]);
    assert_eq!(stdout(&again), stdout(&o));
    // The exact scan agrees on this small catalogue.
    let exact = kolrec(&["recommend", "--model", s(model), "--brand", "b000001", "-k", "5", "--json", "--exact"]);
    let e: serde_json::Value = serde_json::from_str(&stdout(&exact)).unwrap();
    let ids = |v: &serde_json::Value| {
        v["results"].as_array().unwrap().iter().map(|r| r["influencer_id"].clone()).collect::<Vec<_>>()
    };
    assert_eq!(ids(&e), ids(&v));
}

/// The IDs a `--json` answer lists, in order.
fn result_ids(v: &serde_json::Value) -> Vec<String> {
    v["results"].as_array().unwrap().iter().map(|r| r["influencer_id"].as_str().unwrap().to_string()).collect()
}

#[test]
fn filters_a_brief_and_lookalikes_through_the_binary() {
    let (data, model) = trained();
    let query = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["recommend", "--model", s(model), "--brand", "b000002", "-k", "50"];
        args.extend_from_slice(&["--tier", "micro", "--platform", "douyin", "--json"]);
        args.extend_from_slice(extra);
        let o = kolrec(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_str(&stdout(&o)).unwrap()
    };
    let v = query(&["--exclude-worked"]);
    let results = v["results"].as_array().unwrap();
    assert!(results.len() >= 10, "the filter left {} results", results.len());
    for r in results {
        assert_eq!((r["tier"].as_str(), r["platform"].as_str()), (Some("micro"), Some("douyin")), "{r}");
        assert!(r["predicted_cpm"].as_f64().is_some_and(|c| c > 0.0), "{r}");
    }
    assert_eq!(v["path"], "exact", "a selective filter is answered by the exact scan");
    // --exclude-worked drops exactly the creators the brand ran campaigns with: the answer is
    // the unfiltered one without them, and the unfiltered one had some to drop.
    let (ds, _) = kolrec::dataset::load(data, &Default::default()).unwrap();
    let b = ds.brands.id.iter().position(|id| id == "b000002").unwrap() as u32;
    let worked: std::collections::HashSet<String> = (0..ds.campaigns.len())
        .filter(|&r| ds.campaigns.brand[r] == b)
        .map(|r| ds.influencers.id[ds.campaigns.influencer[r] as usize].clone())
        .collect();
    let all = result_ids(&query(&[]));
    let kept = result_ids(&v);
    assert!(all.iter().any(|id| worked.contains(id)), "nothing to exclude: the check would be vacuous");
    assert!(kept.iter().all(|id| !worked.contains(id)), "a worked-with creator was served");
    let expected: Vec<String> = all.iter().filter(|id| !worked.contains(*id)).cloned().collect();
    assert_eq!(kept[..expected.len()], expected[..], "the flag changed more than the worked-with creators");
    let o =
        kolrec(&["recommend", "--model", s(model), "--brief-category", "beauty", "--brief-country", "CN", "-k", "3"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("brief: category beauty"));
    // The brief of the README, with all five age shares.
    let o = kolrec(&[
        "recommend",
        "--model",
        s(model),
        "--brief-category",
        "food",
        "--brief-female-share",
        "0.7",
        "--brief-ages",
        "0.05,0.4,0.35,0.15,0.05",
        "-k",
        "3",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let similar = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["similar", "--model", s(model), "--influencer", "kol0000007", "-k", "4", "--json"];
        args.extend_from_slice(extra);
        let o = kolrec(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_str(&stdout(&o)).unwrap()
    };
    let v = similar(&[]);
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    assert!(results.iter().all(|r| r["influencer_id"] != "kol0000007"));
    // Filtered lookalikes: four of them, every one on the platform asked for, the creator left out.
    let other = if results[0]["platform"] == "douyin" { "weibo" } else { "douyin" };
    let v = similar(&["--platform", other]);
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 4, "{v}");
    assert!(results.iter().all(|r| r["platform"] == other && r["influencer_id"] != "kol0000007"), "{v}");
    let excluded = result_ids(&v)[0].clone();
    let v = similar(&["--platform", other, "--exclude", &excluded]);
    assert_eq!(v["results"].as_array().unwrap().len(), 4);
    assert!(!result_ids(&v).contains(&excluded));
}

#[test]
fn bad_serving_inputs_exit_2_and_say_why() {
    let (_, model) = trained();
    let m = s(model);
    fails_with(&["recommend", "--model", m, "--brand", "nobody"], "--brand 'nobody' is not a brand of the model");
    fails_with(&["recommend", "--model", m, "--brand", "b000001", "-k", "0"], "-k must be between 1 and 10000, got 0");
    fails_with(
        &["recommend", "--model", m, "--brand", "b000001", "--min-followers", "9000", "--max-followers", "10"],
        "--min-followers 9000 is not below the follower maximum 10",
    );
    fails_with(
        &["recommend", "--model", m, "--brand", "b000001", "--tier", "mega", "--max-followers", "5000"],
        "--tier mega lies outside the follower range",
    );
    fails_with(&["recommend", "--model", m, "--brand", "b000001", "--tier", "giant"], "giant");
    fails_with(
        &["recommend", "--model", m, "--brand", "b000001", "--platform", "myspace"],
        "--platform 'myspace': no creator has it",
    );
    fails_with(
        &["recommend", "--model", m, "--brand", "b000001", "--exclude", "ghost"],
        "--exclude 'ghost' is not a creator of the model",
    );
    fails_with(
        &["recommend", "--model", m, "--brief-category", "food", "--exclude-worked"],
        "--exclude-worked needs a trained brand",
    );
    fails_with(&["recommend", "--model", m], "--brand");
    fails_with(
        &["recommend", "--model", m, "--brief-category", "food", "--brief-ages", "0.5,0.5"],
        "--brief-ages takes five comma-separated shares, got 2",
    );
    fails_with(
        &["recommend", "--model", m, "--brief-category", "food", "--brief-ages", "0.5,0.5,0.5,0.5,0.5"],
        "--brief-ages needs five shares in 0..1 summing to 1",
    );
    fails_with(
        &["recommend", "--model", m, "--brief-category", "food", "--brief-female-share", "2"],
        "--brief-female-share is a share between 0 and 1",
    );
    fails_with(
        &["similar", "--model", m, "--influencer", "ghost"],
        "--influencer 'ghost' is not a creator of the model",
    );
    fails_with(&["similar", "--model", m, "--influencer", "kol0000001", "-k", "0"], "-k must be between 1 and 10000");
    fails_with(&["index", "--model", m, "--m", "500"], "invalid index parameter m = 500");
    fails_with(&["recommend", "--model", "/nonexistent/model", "--brand", "b1"], "holds no kolrec model");
}

#[test]
fn a_missing_or_stale_index_is_named_and_rebuilt_by_kolrec_index() {
    let (data, model) = trained();
    let copy = scratch("serve-copy");
    for f in ["affinity.bin", "catalog.bin", "ranker.bin", "manifest.json"] {
        std::fs::copy(model.join(f), copy.join(f)).unwrap();
    }
    let c = s(&copy);
    fails_with(&["recommend", "--model", c, "--brand", "b000001"], "holds no ANN index");
    assert!(kolrec(&["recommend", "--model", c, "--brand", "b000001", "--exact"]).status.success());
    let o = kolrec(&["index", "--model", c, "--ef-search", "64"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(kolrec(&["recommend", "--model", c, "--brand", "b000001"]).status.success());
    let side: serde_json::Value =
        serde_json::from_slice(&std::fs::read(copy.join("index/index.json")).unwrap()).unwrap();
    assert_eq!(side["params"]["ef_search"], 64);
    // A model retrained with other parameters no longer matches the old index.
    let other = scratch("serve-other");
    let o =
        kolrec(&["train", "--data", s(data), "--out", s(&other), "--factors", "8", "--iterations", "2", "--no-index"]);
    assert!(o.status.success(), "{}", stderr(&o));
    copy_dir(&copy.join("index"), &other.join("index"));
    fails_with(&["recommend", "--model", s(&other), "--brand", "b000001"], "built for another model");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn a_catalogue_of_another_format_is_named_not_misread() {
    let (_, model) = trained();
    let copy = scratch("serve-catalog-format");
    for f in ["affinity.bin", "catalog.bin", "manifest.json"] {
        std::fs::copy(model.join(f), copy.join(f)).unwrap();
    }
    let path = copy.join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(m["catalog"]["format"], 1);
    m["catalog"]["format"] = 7.into();
    std::fs::write(&path, serde_json::to_vec(&m).unwrap()).unwrap();
    fails_with(&["recommend", "--model", s(&copy), "--brand", "b000001", "--exact"], "has catalogue format 7");
}
