//! `kolrec export` through the binary: the partition's files and schema, refusal and replacement
//! of an existing date, determinism, no visible partition after a failure, resume after a real
//! kill, and the exact and index paths agreeing.

use std::path::{Path, PathBuf};
use std::process::Command;

use kolrec::export::{COLUMNS, ExportManifest};

use crate::common::*;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const DATE: &str = "2025-05-01";

fn export(root: &Path, extra: &[&str], failpoint: Option<&str>) -> std::process::Output {
    let (data, model) = served_market();
    let mut args = vec!["export", "--model", s(model), "--data", s(data), "--out", s(root), "-k", "10"];
    args.extend_from_slice(&["--date", DATE, "--rows-per-file", "100"]);
    args.extend_from_slice(extra);
    let mut c = Command::new(env!("CARGO_BIN_EXE_kolrec"));
    c.args(&args);
    if let Some(f) = failpoint {
        c.env("KOLREC_FAILPOINT", f);
    }
    c.output().expect("running kolrec")
}

fn partition(root: &Path) -> PathBuf {
    root.join(format!("date={DATE}"))
}

fn manifest(root: &Path) -> ExportManifest {
    serde_json::from_str(&std::fs::read_to_string(partition(root).join("_MANIFEST.json")).unwrap()).unwrap()
}

/// Every part's rows, in file order.
fn rows(root: &Path) -> polars::prelude::DataFrame {
    let m = manifest(root);
    let mut all: Option<polars::prelude::DataFrame> = None;
    for f in &m.files {
        let df = kolrec::table::read(&partition(root).join(&f.file)).unwrap().frame;
        match &mut all {
            None => all = Some(df),
            Some(a) => {
                a.vstack_mut(&df).unwrap();
            }
        }
    }
    all.unwrap()
}

#[test]
fn an_export_is_a_complete_partition_with_the_documented_schema() {
    let root = scratch("export-ok");
    let o = export(&root, &[], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("exported 400 rows (40 brands"), "{}", stdout(&o));
    let dir = partition(&root);
    assert!(dir.join("_SUCCESS").exists());
    let m = manifest(&root);
    assert_eq!((m.rows, m.run.brands, m.run.k, m.files.len()), (400, 40, 10, 4));
    // The directory holds exactly the listed parts and the two markers, with matching checksums.
    let mut names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let mut want: Vec<String> = m.files.iter().map(|f| f.file.clone()).collect();
    want.extend(["_MANIFEST.json".into(), "_SUCCESS".into()]);
    want.sort();
    assert_eq!(names, want);
    for f in &m.files {
        let bytes = std::fs::read(dir.join(&f.file)).unwrap();
        assert_eq!((bytes.len() as u64, format!("{:08x}", crc32fast::hash(&bytes))), (f.bytes, f.crc32.clone()));
    }
    assert!(std::fs::read_dir(&root).unwrap().count() == 1, "something besides the partition was left in the root");
    let df = rows(&root);
    let names: Vec<String> = df.get_column_names().iter().map(|c| c.to_string()).collect();
    assert_eq!(names, COLUMNS);
    use polars::prelude::DataType;
    let types: Vec<DataType> = df.dtypes();
    assert_eq!(
        types,
        [
            DataType::String,
            DataType::String,
            DataType::UInt32,
            DataType::Float32,
            DataType::Float32,
            DataType::Float32,
            DataType::Float32,
            DataType::Boolean,
            DataType::Boolean,
            DataType::UInt32,
            DataType::Boolean
        ]
    );
    // Ranks 1..=10 per brand, scores non-increasing, brands sorted.
    let brand = df.column("brand_id").unwrap().str().unwrap().iter().map(|v| v.unwrap()).collect::<Vec<_>>();
    let rank = df.column("rank").unwrap().u32().unwrap().into_no_null_iter().collect::<Vec<_>>();
    let score = df.column("score").unwrap().f32().unwrap().into_no_null_iter().collect::<Vec<_>>();
    for r in 0..df.height() {
        assert_eq!(rank[r] as usize, r % 10 + 1);
        if r % 10 > 0 {
            assert_eq!(brand[r], brand[r - 1]);
            assert!(score[r] <= score[r - 1]);
        } else if r > 0 {
            assert!(brand[r] > brand[r - 1]);
        }
    }
    // The growth model scored (nearly) every recommended creator.
    let gp = df.column("growth_probability").unwrap();
    assert!(gp.null_count() < df.height() / 10, "{} of {} without growth", gp.null_count(), df.height());
}

#[test]
fn a_date_is_refused_without_overwrite_and_rewritten_identically_with_it() {
    let root = scratch("export-again");
    assert!(export(&root, &[], None).status.success());
    let first = manifest(&root);
    let want = rows(&root);
    // Damage the finished partition: a refused run must leave it as it is, an --overwrite run
    // must replace all of it.
    let part = partition(&root).join(&first.files[0].file);
    std::fs::write(&part, b"not parquet").unwrap();
    std::fs::write(partition(&root).join("stray.txt"), b"x").unwrap();
    let o = export(&root, &[], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("already exists") && stderr(&o).contains("--overwrite"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&part).unwrap(), b"not parquet", "a refused run touched the partition");
    let o = export(&root, &["--overwrite"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let second = manifest(&root);
    // Deterministic: the same parts, byte for byte, and nothing else.
    assert_eq!(first.files, second.files);
    assert!(rows(&root).equals_missing(&want));
    assert!(!partition(&root).join("stray.txt").exists(), "the old partition's files survived --overwrite");
    assert_eq!(std::fs::read_dir(&root).unwrap().count(), 1, "the replaced partition was left behind");
}

/// A run whose lock is held by a live process is refused naming the holder; a lock whose
/// process is gone is taken over.
#[test]
fn a_held_lock_refuses_the_run_and_a_stale_one_is_taken_over() {
    let root = scratch("export-locked");
    let partial = root.join(format!(".date={DATE}.partial"));
    std::fs::create_dir_all(&partial).unwrap();
    let mut holder = Command::new("sleep").arg("30").spawn().unwrap();
    std::fs::write(partial.join("_LOCK"), holder.id().to_string()).unwrap();
    let o = export(&root, &[], None);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let want = format!("another export for {DATE} is running (pid {}, lock ", holder.id());
    assert!(stderr(&o).contains(&want), "{}", stderr(&o));
    holder.kill().unwrap();
    holder.wait().unwrap();
    let o = export(&root, &[], None);
    assert!(o.status.success(), "a stale lock blocked the run: {}", stderr(&o));
    assert!(!partial.exists() && partition(&root).is_dir());
}

// The failpoints exist only in builds with the `failpoints` feature (CI runs this test so).
#[cfg(feature = "failpoints")]
#[test]
fn a_failed_run_shows_no_partition_and_a_killed_run_resumes_to_the_same_result() {
    let clean = scratch("export-clean");
    assert!(export(&clean, &[], None).status.success());
    let want = rows(&clean);

    // A failure after two parts: an error, and nothing that looks like a finished export.
    let root = scratch("export-fail");
    let o = export(&root, &[], Some("export-fail-after-part=2"));
    assert!(!o.status.success());
    assert!(stderr(&o).contains("failpoint"), "{}", stderr(&o));
    assert!(!partition(&root).exists());
    let o = export(&root, &[], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(manifest(&root).parts_resumed, 2);
    assert!(rows(&root).equals_missing(&want));

    // A real kill while the run hangs after its first part.
    let root = scratch("export-kill");
    let (data, model) = served_market();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kolrec"))
        .args(["export", "--model", s(model), "--data", s(data), "--out", s(&root), "-k", "10"])
        .args(["--date", DATE, "--rows-per-file", "100"])
        .env("KOLREC_FAILPOINT", "export-hang-after-part=1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let part = root.join(format!(".date={DATE}.partial")).join("part-00000.parquet");
    let t0 = std::time::Instant::now();
    while !part.exists() {
        assert!(t0.elapsed().as_secs() < 120, "the first part never appeared");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!partition(&root).exists(), "a killed run left a partition");
    let o = export(&root, &[], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("resumed"), "{}", stdout(&o));
    assert_eq!(manifest(&root).parts_resumed, 1);
    assert!(rows(&root).equals_missing(&want));

    // A damaged finished part is said and recomputed; the result is the clean run's.
    let root = scratch("export-damaged");
    assert!(!export(&root, &[], Some("export-fail-after-part=2")).status.success());
    let partial = root.join(format!(".date={DATE}.partial"));
    std::fs::write(partial.join("part-00000.parquet"), b"half a file").unwrap();
    let o = export(&root, &[], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("part-00000.parquet of the unfinished run is damaged"), "{}", stderr(&o));
    assert!(stderr(&o).contains("recomputing it"), "{}", stderr(&o));
    assert_eq!(manifest(&root).parts_resumed, 1, "the intact second part is reused");
    assert!(rows(&root).equals_missing(&want));

    // Changed inputs (another filter) make the unfinished parts unusable: the run starts afresh.
    let root = scratch("export-changed");
    assert!(!export(&root, &[], Some("export-fail-after-part=2")).status.success());
    let o = export(&root, &["--tier", "micro,mid"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("an unfinished run with other inputs was found"), "{}", stderr(&o));
    assert_eq!(manifest(&root).parts_resumed, 0);
    assert!(texts(&rows(&root), "influencer_id") != texts(&want, "influencer_id"));
}

/// A column of the export as text, row by row.
fn texts(d: &polars::prelude::DataFrame, col: &str) -> Vec<String> {
    d.column(col)
        .unwrap()
        .cast(&polars::prelude::DataType::String)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.unwrap_or("").to_string())
        .collect()
}

#[test]
fn the_export_takes_recommend_s_filters_and_gives_recommend_s_answers() {
    let (_, model) = served_market();
    let filters = ["--tier", "micro,mid", "--max-price", "2000", "--exclude-worked"];
    let root = scratch("export-filtered");
    let o = export(&root, &[&["--path", "exact"][..], &filters[..]].concat(), None);
    assert!(o.status.success(), "{}", stderr(&o));
    let df = rows(&root);
    assert!(df.height() > 0);
    assert!(texts(&df, "worked_with_brand").iter().all(|w| w == "false"), "a past creator was exported");
    assert_eq!(manifest(&root).run.filters.max_price, Some(2000.0));
    // Each brand's rows are what `recommend` answers with the same filters, in the same order.
    let (brands, ids) = (texts(&df, "brand_id"), texts(&df, "influencer_id"));
    for b in ["b000001", "b000017", "b000039"] {
        let mut args = vec!["recommend", "--model", s(model), "--brand", b, "-k", "10", "--exact", "--json"];
        args.extend_from_slice(&filters);
        let o = kolrec(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        let want: Vec<String> =
            v["results"].as_array().unwrap().iter().map(|r| r["influencer_id"].as_str().unwrap().to_string()).collect();
        let got: Vec<String> = (0..brands.len()).filter(|&r| brands[r] == b).map(|r| ids[r].clone()).collect();
        assert_eq!(got, want, "brand {b}");
        for r in v["results"].as_array().unwrap() {
            let tier = r["tier"].as_str().unwrap();
            assert!(tier == "micro" || tier == "mid", "{r}");
            assert!(r["price_per_post"].as_f64().is_some_and(|p| p <= 2000.0), "{r}");
        }
    }
    // A bad filter is refused before anything is loaded, under its flag.
    let o = export(&scratch("export-badfilter"), &["--min-engagement", "3"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--min-engagement is a share between 0 and 1"), "{}", stderr(&o));
}

#[test]
fn the_exact_and_index_paths_give_the_same_top_k() {
    let (a, b) = (scratch("export-exact"), scratch("export-index"));
    assert!(export(&a, &["--path", "exact"], None).status.success());
    let o = export(&b, &["--path", "index"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("by the index path"), "{}", stdout(&o));
    let (x, y) = (rows(&a), rows(&b));
    assert_eq!(x.height(), y.height());
    let (ix, iy) = (texts(&x, "influencer_id"), texts(&y, "influencer_id"));
    let score = |d: &polars::prelude::DataFrame| -> Vec<f64> {
        let c = d.column("score").unwrap().cast(&polars::prelude::DataType::Float64).unwrap();
        c.f64().unwrap().iter().map(|v| v.unwrap()).collect()
    };
    let (sx, sy) = (score(&x), score(&y));
    // 600 creators with ef_search ≥ 2k: the graph search is exact here, so the same creators
    // with the same scores; where it is not, the index's pick can only score lower.
    let same = (0..ix.len()).filter(|&r| ix[r] == iy[r]).count();
    assert!(same as f64 >= 0.99 * x.height() as f64, "{same} of {} rows agree", x.height());
    for r in 0..ix.len() {
        if ix[r] == iy[r] {
            assert!((sx[r] - sy[r]).abs() <= 1e-5 * sx[r].abs().max(1.0), "row {r}: {} vs {}", sx[r], sy[r]);
        } else {
            assert!(sy[r] <= sx[r] + 1e-6, "row {r}: the index found {} above the exact {}", sy[r], sx[r]);
        }
    }
}

#[test]
fn bad_export_arguments_exit_2_and_say_why() {
    let root = scratch("export-bad");
    for (extra, want) in [
        (&["-k", "0"][..], "k must be between 1 and 10000"),
        (&["--date", "2025-13-01"][..], "--date '2025-13-01' is not a date"),
    ] {
        let (data, model) = served_market();
        let mut args = vec!["export", "--model", s(model), "--data", s(data), "--out", s(&root)];
        args.extend_from_slice(extra);
        let o = kolrec(&args);
        assert_eq!(o.status.code(), Some(2), "{extra:?}");
        assert!(stderr(&o).contains(want), "{extra:?}: {}", stderr(&o));
    }
    // The index path without an index.
    let (data, _) = served_market();
    let bare = scratch("export-noindex");
    let o = kolrec(&[
        "train",
        "--data",
        s(data),
        "--out",
        s(&bare),
        "--factors",
        "4",
        "--iterations",
        "1",
        "--no-index",
        "--no-growth",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = kolrec(&[
        "export",
        "--model",
        s(&bare),
        "--data",
        s(data),
        "--out",
        s(&root),
        "--path",
        "index",
        "--date",
        DATE,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("needs an ANN index"), "{}", stderr(&o));
}

/// The columns that are false for most rows are right when true: `worked_with_brand` for exactly
/// the brand's training creators, `cold_brand` for a brand added to the data after training.
#[test]
fn worked_with_and_cold_brand_columns_are_true_exactly_where_they_should_be() {
    use polars::prelude::*;
    let (data, model) = served_market();
    let with_new = scratch("export-cold-data");
    copy_tree(data, &with_new);
    let brands_file = with_new.join("brands.parquet");
    let mut brands = kolrec::table::read(&brands_file).unwrap().frame;
    let mut new = brands.head(Some(1));
    new.with_column(Column::new("brand_id".into(), ["b-new"])).unwrap();
    brands.vstack_mut(&new).unwrap();
    kolrec::table::write(&mut brands, &brands_file).unwrap();
    let root = scratch("export-cold");
    let mut args = vec!["export", "--model", s(model), "--data", s(&with_new), "--out", s(&root), "-k", "10"];
    args.extend_from_slice(&["--date", DATE, "--path", "exact"]);
    let o = kolrec(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let df = rows(&root);
    let (brand, creator) = (texts(&df, "brand_id"), texts(&df, "influencer_id"));
    let (worked, cold) = (texts(&df, "worked_with_brand"), texts(&df, "cold_brand"));
    let (ds, _) = kolrec::dataset::load(data, &Default::default()).unwrap();
    let pairs: std::collections::HashSet<(String, String)> = (0..ds.campaigns.len())
        .map(|r| {
            let c = &ds.campaigns;
            (ds.brands.id[c.brand[r] as usize].clone(), ds.influencers.id[c.influencer[r] as usize].clone())
        })
        .collect();
    let mut trues = 0;
    for r in 0..df.height() {
        let was = pairs.contains(&(brand[r].clone(), creator[r].clone()));
        assert_eq!(worked[r] == "true", was, "row {r}: {} with {}", brand[r], creator[r]);
        trues += usize::from(was);
        assert_eq!(cold[r] == "true", brand[r] == "b-new", "row {r}");
    }
    assert!(trues > 0, "no row had worked_with_brand true: the check would be vacuous");
    let new_rows: Vec<usize> = (0..df.height()).filter(|&r| brand[r] == "b-new").collect();
    assert_eq!(new_rows.len(), 10, "the new brand got its top 10 from its profile");
    assert!(new_rows.iter().all(|&r| worked[r] == "false"));
    assert_eq!(manifest(&root).cold_brands, 1);
}
