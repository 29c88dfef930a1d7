//! The binary: exit codes, error chains, and the commands a new user runs.

use crate::common::*;

#[test]
fn validate_failure_exits_2_and_names_the_problem() {
    let bad = CAMPAIGNS.replace("c1,b1,i2,2025-01-06,5000", "c1,b1,i2,2025-01-06,-5000");
    let dir = dataset("cli-bad", &[("campaigns", &bad)]);
    let o = kolrec(&["validate", "--data", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.starts_with("error: invalid dataset in"), "{err}");
    assert!(err.contains("campaigns.csv, row 2, column 'cost': negative value"), "{err}");

    // A second column of exactly the same name is a duplicate, not a column to ignore.
    let twice = CAMPAIGNS.replacen("objective\n", "objective,cost\n", 1).replace(",conversion\n", ",conversion,-999\n");
    let twice = twice.replace(",reach\n", ",reach,-999\n");
    let dir = dataset("cli-duplicate-column", &[("campaigns", &twice)]);
    let o = kolrec(&["validate", "--data", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("column 'cost': duplicate column"), "{}", stderr(&o));

    // A date with anything after it but a time is no date.
    let junk = CAMPAIGNS.replace("c1,b1,i2,2025-01-06,", "c1,b1,i2,2025-01-06 garbage,");
    let dir = dataset("cli-date-junk", &[("campaigns", &junk)]);
    let o = kolrec(&["validate", "--data", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("row 2, column 'date': unparseable date"), "{}", stderr(&o));

    // A date far outside any real history (it made training take 33 s and 12 GB).
    let far = SNAPSHOTS.replace("i3,2025-01-01,", "i3,9999-12-31,");
    let dir = dataset("cli-date-far", &[("follower_snapshots", &far)]);
    let o = kolrec(&["validate", "--data", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("9999-12-31 is outside the dates a table may hold (1990-01-01 to 2100-12-31)"),
        "{}",
        stderr(&o)
    );

    // Valid by type but too large to be real: refused by validation (it made the solver panic),
    // and a lenient training quarantines the row and trains on the rest.
    let huge = CAMPAIGNS.replace("c1,b1,i2,2025-01-06,5000,90000,200", "c1,b1,i2,2025-01-06,5000,1e308,1e308");
    let dir = dataset("cli-huge", &[("campaigns", &huge)]);
    let d = dir.to_str().unwrap();
    for cmd in [vec!["validate", "--data", d], vec!["train", "--data", d, "--out", &format!("{d}/m"), "--factors", "4"]]
    {
        let o = kolrec(&cmd);
        assert_eq!(o.status.code(), Some(2), "{cmd:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains("row 2, column 'impressions': count or amount above 10^15"), "{err}");
        assert!(err.contains("1e308 > 10^15") || err.contains("> 10^15: no count"), "{err}");
    }
    // At the bound itself (every count and amount 10^15) the row is valid and trains without
    // the solver losing definiteness, and serves finite scores.
    let bound = CAMPAIGNS.replace("c1,b1,i2,2025-01-06,5000,90000,200,8", "c1,b1,i2,2025-01-06,1e15,1e15,1e15,1e15");
    let dir_b = dataset("cli-bound", &[("campaigns", &bound)]);
    let db = dir_b.to_str().unwrap();
    let o =
        kolrec(&["train", "--data", db, "--out", &format!("{db}/m"), "--factors", "4", "--no-growth", "--no-index"]);
    assert!(o.status.success(), "a row at the bound must train: {}", stderr(&o));
    let o = kolrec(&["recommend", "--model", &format!("{db}/m"), "--brand", "b1", "-k", "2", "--json", "--exact"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["results"].as_array().unwrap().iter().all(|r| r["score"].as_f64().is_some_and(f64::is_finite)), "{v}");
    let m = format!("{d}/lenient-model");
    let o = kolrec(&[
        "train",
        "--data",
        d,
        "--out",
        &m,
        "--lenient",
        "--factors",
        "4",
        "--iterations",
        "2",
        "--no-ranker",
        "--no-growth",
        "--no-index",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn validate_lenient_writes_rejected_rows_and_succeeds() {
    let bad = CAMPAIGNS.replace("c1,b1,i2,2025-01-06,5000", "c1,b1,i2,2025-01-06,-5000");
    let dir = dataset("cli-lenient", &[("campaigns", &bad)]);
    let rej = dir.join("quarantine.csv");
    let o = kolrec(&["validate", "--data", dir.to_str().unwrap(), "--lenient", "--rejected", rej.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("1 row(s) quarantined"), "{}", stdout(&o));
    assert!(std::fs::read_to_string(rej).unwrap().contains("campaigns,2,b1/i2,\"cost: negative value"));
}

#[test]
fn a_dataset_that_trains_leniently_also_exports_leniently() {
    let bad = CAMPAIGNS.replace("c1,b1,i2,2025-01-06,5000", "c1,b1,i2,2025-01-06,-5000");
    let dir = dataset("cli-lenient-all", &[("campaigns", &bad)]);
    let d = dir.to_str().unwrap();
    // A model directory that does not exist yet, two levels deep.
    let model = dir.join("new/model");
    let m = model.to_str().unwrap();
    let o = kolrec(&["train", "--data", d, "--out", m, "--factors", "2", "--iterations", "1", "--no-index"]);
    assert_eq!(o.status.code(), Some(2), "strict training refuses the bad row");
    assert!(stderr(&o).contains("negative value"), "{}", stderr(&o));
    let o =
        kolrec(&["train", "--data", d, "--out", m, "--factors", "2", "--iterations", "1", "--no-index", "--lenient"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::read_to_string(model.join("rejected.csv")).unwrap().contains("cost: negative value"));
    let out = dir.join("exports");
    let export = |extra: &[&str]| {
        let mut args = vec!["export", "--model", m, "--data", d, "--out", out.to_str().unwrap(), "-k", "2"];
        args.extend_from_slice(&["--date", "2025-03-01", "--overwrite"]);
        args.extend_from_slice(extra);
        kolrec(&args)
    };
    let o = export(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("negative value"), "{}", stderr(&o));
    let rejected = dir.join("export-rejected.csv");
    let o = export(&["--lenient", "--rejected", rejected.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("exported 4 rows (2 brands"), "{}", stdout(&o));
    assert!(std::fs::read_to_string(&rejected).unwrap().contains("cost: negative value"));
    // Without --rejected, the quarantine goes beside the data, as `validate --lenient` puts it.
    let o = export(&["--lenient"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.join("rejected.csv").is_file());
    let o = kolrec(&["export", "--model", m, "--data", d, "--out", "x", "--rejected", "r.csv"]);
    assert_eq!(o.status.code(), Some(2), "--rejected without --lenient");
}

#[test]
fn bad_arguments_are_refused_before_any_work() {
    let out = scratch("cli-args");
    let o = kolrec(&["generate", "--out", out.join("x").to_str().unwrap(), "--days", "10"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("invalid simulator parameter days = 10"), "{}", stderr(&o));
    assert!(!out.join("x").exists(), "nothing may be written for rejected parameters");
    let o = kolrec(&["generate", "--out", out.to_str().unwrap(), "--start-date", "yesterday"]);
    assert!(stderr(&o).contains("--start-date 'yesterday' is not a date"), "{}", stderr(&o));
    let o = kolrec(&["validate", "--data", out.join("nope").to_str().unwrap()]);
    assert!(stderr(&o).contains("is not a directory"), "{}", stderr(&o));
    let o = kolrec(&["import", "--input", "/nonexistent.csv", "--platform", "douyin", "--out", "x.csv"]);
    assert!(stderr(&o).contains("--input '/nonexistent.csv' is not a file"), "{}", stderr(&o));
}

#[test]
fn import_without_followers_column_lists_the_headers_it_saw() {
    let dir = scratch("cli-import");
    let input = dir.join("list.csv");
    std::fs::write(&input, "达人昵称,播放量\n小美,12万\n").unwrap();
    let o = kolrec(&[
        "import",
        "--input",
        input.to_str().unwrap(),
        "--platform",
        "douyin",
        "--out",
        dir.join("o.csv").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no followers column") && stderr(&o).contains("\"达人昵称\""), "{}", stderr(&o));
}

#[test]
fn import_handles_chinese_headers_and_units() {
    let dir = scratch("cli-import-cn");
    let input = dir.join("list.csv");
    std::fs::write(
        &input,
        "达人昵称,粉丝数,类目,互动率,报价\n小美,12.5万,美妆,3.5%,\"1,200\"\n大壮,1.2亿,数码,N/A,-\n",
    )
    .unwrap();
    let out = dir.join("influencers.parquet");
    let o =
        kolrec(&["import", "--input", input.to_str().unwrap(), "--platform", "Douyin", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let inf = kolrec::dataset::load_influencers(&out).unwrap();
    assert_eq!(inf.id, vec!["douyin:小美", "douyin:大壮"]);
    assert_eq!(inf.followers, vec![125_000.0, 120_000_000.0]);
    assert!((inf.engagement_rate[0] - 0.035).abs() < 1e-7 && inf.engagement_rate[1].is_nan());
    assert_eq!(inf.price_per_post[0], 1200.0);
    assert_eq!(inf.category, vec!["美妆", "数码"]);
}

#[test]
fn demo_runs_and_says_where_files_went() {
    let out = scratch("cli-demo");
    let o = kolrec(&["demo", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("ground truth") && text.contains(out.to_str().unwrap()), "{text}");
    assert!(out.join("data/campaigns.parquet").is_file());
    assert!(text.contains("true outcomes, warm_brands") && text.contains("kolrec vs own picks"), "{text}");
    assert!(out.join("model/affinity.bin").is_file() && out.join("model/eval.json").is_file());
}

#[test]
fn import_errors_name_what_is_missing() {
    let dir = scratch("cli-import-errors");
    let input = dir.join("list.csv");
    std::fs::write(&input, "粉丝数,播放量\n12万,3万\n").unwrap();
    let out = dir.join("o.csv");
    let run = |extra: &[&str]| {
        let mut args = vec!["import", "--input", input.to_str().unwrap(), "--out", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        kolrec(&args)
    };
    let o = run(&["--platform", "douyin"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no handle or name column") && stderr(&o).contains("\"粉丝数\""), "{}", stderr(&o));
    let o = run(&["--platform", "douyin", "--id-column", "nickname"]);
    assert!(
        stderr(&o).contains("list.csv: 'nickname' is not a column (headers found: \"粉丝数\", \"播放量\")"),
        "{}",
        stderr(&o)
    );
    let o = run(&["--platform", "douyin", "--map", "nickname=handle"]);
    assert!(stderr(&o).contains("list.csv: 'nickname' is not a column"), "{}", stderr(&o));
    let o = run(&["--platform", "douyin", "--map", "播放量=fans"]);
    assert!(stderr(&o).contains("'fans' is not a field; fields are handle, name, followers"), "{}", stderr(&o));
    let o = run(&["--platform", "douyin", "--map", "播放量=handle", "--map", "播放量=name"]);
    assert!(stderr(&o).contains("list.csv: column '播放量' is mapped twice"), "{}", stderr(&o));
    let o = run(&["--map", "播放量=handle"]);
    assert!(stderr(&o).contains("list.csv: no platform: the list has no platform column"), "{}", stderr(&o));
    let o = run(&["--platform", "  "]);
    assert!(stderr(&o).contains("empty platform name"), "{}", stderr(&o));
    let o = kolrec(&["import", "--input", input.to_str().unwrap(), "--platform", "douyin", "--out", "x.xlsx"]);
    assert!(stderr(&o).contains("unsupported file type for x.xlsx: use .csv or .parquet"), "{}", stderr(&o));
}

#[test]
fn import_with_an_explicit_id_column_and_an_unknown_platform() {
    let dir = scratch("cli-import-id");
    let input = dir.join("list.csv");
    std::fs::write(&input, "Name,Handle,Followers\nAnna Li,anna.li,12K\n,,\n").unwrap();
    let out = dir.join("i.csv");
    let o = kolrec(&[
        "import",
        "--input",
        input.to_str().unwrap(),
        "--platform",
        "Lemon8",
        "--out",
        out.to_str().unwrap(),
        "--id-column",
        "Name",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("platform 'lemon8' is not a known platform; accepted as-is"), "{text}");
    assert!(text.contains("1 written, 0 rejected, 1 empty skipped"), "{text}");
    let inf = kolrec::dataset::load_influencers(&out).unwrap();
    assert_eq!(inf.id, vec!["lemon8:anna li"]);
}

/// Fault injection is compiled out of ordinary builds: the binary holds none of its hooks.
#[test]
fn the_release_binary_has_no_fault_injection_hook() {
    let bytes = std::fs::read(env!("CARGO_BIN_EXE_kolrec")).unwrap();
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    let built_with_failpoints = cfg!(feature = "failpoints");
    for hook in [&b"KOLREC_FAILPOINT"[..], b"hang-after-part", b"fail-after-part"] {
        assert_eq!(has(hook), built_with_failpoints, "{}", String::from_utf8_lossy(hook));
    }
}

/// Output that cannot be written is an error naming standard output (a full disk: exit 2), or
/// the end of the job when its reader left (`kolrec … | head -1`: exit 0) — never a panic.
#[test]
fn output_to_a_full_device_or_a_closed_pipe_never_panics() {
    use std::process::{Command, Stdio};
    let (data, model) = served_market();
    let (d, m) = (data.to_str().unwrap(), model.to_str().unwrap());
    let commands: Vec<Vec<&str>> = vec![
        vec!["validate", "--data", d],
        vec!["recommend", "--model", m, "--brand", "b000001", "-k", "50"],
        vec!["similar", "--model", m, "--influencer", "kol0000001", "--json"],
    ];
    for args in &commands {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_kolrec")).args(args).stdout(full).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?} > /dev/full: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains("cannot write to standard output") && e.contains("No space left on device"),
            "{args:?}: {e}"
        );

        let mut child = Command::new(env!("CARGO_BIN_EXE_kolrec"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader leaves before the command has written anything.
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        let e = stderr(&o);
        assert!(!e.contains("panicked"), "{args:?} | closed: {e}");
        assert_eq!(o.status.code(), Some(0), "{args:?} | closed: {e}");
    }
}

/// An output that is an input, lies inside a dataset or model directory the command only reads,
/// or already exists (without `--overwrite`) is refused before anything is written.
#[test]
fn outputs_never_replace_inputs_or_existing_files() {
    let (served_data, model) = served_market();
    let m = model.to_str().unwrap();
    // A copy of the served market's data, so a failure here cannot damage the shared one.
    let data = scratch("clobber-data");
    for e in std::fs::read_dir(served_data).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), data.join(e.file_name())).unwrap();
        }
    }
    let d = data.to_str().unwrap();
    let table = |name: &str| {
        std::fs::read_dir(&data)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.file_stem().is_some_and(|s| s == name))
            .unwrap()
    };
    let snapshots = table("follower_snapshots");
    let campaigns = table("campaigns");
    let before = |p: &std::path::Path| std::fs::read(p).unwrap();
    let (snap0, camp0) = (before(&snapshots), before(&campaigns));
    let refused = |args: &[&str], want: &str| {
        let o = kolrec(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stdout(&o));
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
    };

    refused(
        &["validate", "--data", d, "--lenient", "--rejected", campaigns.to_str().unwrap()],
        "is an input of this command",
    );
    let growth_out = snapshots.with_extension("csv");
    refused(
        &["growth", "--model", m, "--data", d, "--as-of", "2025-05-01", "--out", growth_out.to_str().unwrap()],
        "inside the dataset directory",
    );
    let into_model = model.join("scores.csv");
    refused(
        &["growth", "--model", m, "--data", d, "--as-of", "2025-05-01", "--out", into_model.to_str().unwrap()],
        "inside the model directory",
    );
    assert!(before(&snapshots) == snap0 && before(&campaigns) == camp0, "the tables are untouched");

    let dir = scratch("clobber-lists");
    let list = dir.join("list.csv");
    std::fs::write(&list, "influencer_id,platform,category,followers\nkol0000001,douyin,beauty,1000\n").unwrap();
    let l = list.to_str().unwrap();
    refused(&["score", "--model", m, "--brand", "b000001", "--input", l, "--out", l], "is an input of this command");
    refused(&["import", "--input", l, "--platform", "douyin", "--out", l], "is an input of this command");
    let out = dir.join("scored.csv");
    let o = kolrec(&["score", "--model", m, "--brand", "b000001", "--input", l, "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    refused(
        &["score", "--model", m, "--brand", "b000001", "--input", l, "--out", out.to_str().unwrap()],
        "pass --overwrite",
    );
    let o = kolrec(&[
        "score",
        "--model",
        m,
        "--brand",
        "b000001",
        "--input",
        l,
        "--out",
        out.to_str().unwrap(),
        "--overwrite",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&list).unwrap().lines().count(), 2, "the list is untouched");

    // generate into a directory holding a dataset replaces it only when asked.
    let gen_args = |extra: &[&str]| {
        let mut a = vec![
            "generate",
            "--out",
            d,
            "--brands",
            "5",
            "--influencers",
            "30",
            "--campaigns",
            "50",
            "--days",
            "60",
            "--quiet",
        ];
        a.extend_from_slice(extra);
        kolrec(&a)
    };
    let o = gen_args(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is not empty; pass --overwrite"), "{}", stderr(&o));
    assert_eq!(before(&campaigns), camp0, "refused before anything was written");
    assert!(gen_args(&["--overwrite"]).status.success());
}

/// A list column and a column of bytes that are not UTF-8, both in recognised fields of a
/// Parquet list, import without a panic: the bytes are read lossily, and the list column is
/// not read, which the refusal says with its type.
#[test]
fn import_reads_list_and_binary_columns_without_panicking() {
    use polars::prelude::*;
    let dir = scratch("cli-import-odd-columns");
    let input = dir.join("list.parquet");
    let handles = Series::new("handle".into(), [b"glow\xff".as_slice(), b"tech".as_slice()]);
    let followers =
        Series::new("followers".into(), [Series::new("".into(), [1i64, 2]), Series::new("".into(), [3i64])]);
    let mut df = DataFrame::new_infer_height(vec![
        handles.into(),
        followers.into(),
        Column::new("category".into(), ["beauty", "tech"]),
    ])
    .unwrap();
    kolrec::table::write(&mut df, &input).unwrap();
    let out = dir.join("influencers.csv");
    let o =
        kolrec(&["import", "--input", input.to_str().unwrap(), "--platform", "tiktok", "--out", out.to_str().unwrap()]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("no followers column") && e.contains("\"followers\" of Parquet type LargeList"), "{e}");
    // The same list with a readable followers column imports, the bad bytes decoded lossily.
    let mut df = df.drop("followers").unwrap();
    df.with_column(Column::new("followers".into(), ["12万", "3000"])).unwrap();
    kolrec::table::write(&mut df, &input).unwrap();
    let o = kolrec(&[
        "import",
        "--input",
        input.to_str().unwrap(),
        "--platform",
        "tiktok",
        "--out",
        out.to_str().unwrap(),
        "--overwrite",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let inf = kolrec::dataset::load_influencers(&out).unwrap();
    assert_eq!(inf.followers, vec![120_000.0, 3000.0]);
    assert_eq!(inf.handle[0], "glow\u{fffd}");
}

/// Every value the importer changes is either correct or counted: a `%` is divided once, a bare
/// share above 1 is a percent, shares above 100% and counts beyond any real one are left empty
/// and reported (never clamped), and what it writes passes the contract, its rejected rows in
/// the rejected file with the reason.
#[test]
fn import_changes_values_only_correctly_or_says_so() {
    let dir = scratch("cli-import-values");
    let input = dir.join("list.csv");
    std::fs::write(
        &input,
        "handle,followers,engagement rate,sponsored share\n\
         huge,1e300,3%,35\n\
         over,12万,150%,20\n\
         bare,5000,4.2,150\n\
         plain,7000,5,35%\n",
    )
    .unwrap();
    let out = dir.join("influencers.csv");
    let o =
        kolrec(&["import", "--input", input.to_str().unwrap(), "--platform", "douyin", "--out", out.to_str().unwrap()]);
    let report = stdout(&o);
    assert!(o.status.success(), "{}", stderr(&o));
    let inf = kolrec::dataset::load_influencers(&out).unwrap_or_else(|e| panic!("its own output fails: {e}"));
    assert_eq!(inf.id, vec!["douyin:over", "douyin:bare", "douyin:plain"]);
    assert_eq!(inf.followers, vec![120_000.0, 5000.0, 7000.0]);
    let er: Vec<f32> = inf.engagement_rate.clone();
    assert!(er[0].is_nan(), "150% is out of range, not 0.015: {er:?}");
    assert!((er[1] - 0.042).abs() < 1e-6 && (er[2] - 0.05).abs() < 1e-6, "{er:?}");
    let sp = inf.sponsored_share.clone();
    assert!((sp[0] - 0.2).abs() < 1e-6 && sp[1].is_nan() && (sp[2] - 0.35).abs() < 1e-6, "{sp:?}");
    for line in [
        "1 engagement_rate values above 100% left empty",
        "1 sponsored_share values above 100% left empty",
        "1 followers values above 10^15, beyond any real count left empty",
        "1 rejected",
    ] {
        assert!(report.contains(line), "missing '{line}' in\n{report}");
    }
    let rejected = std::fs::read_to_string(dir.join("influencers.rejected.csv")).unwrap();
    assert_eq!(
        rejected.lines().collect::<Vec<_>>(),
        ["row,reason", "1,\"no followers: '1e300' in column 'followers' is above 10^15, beyond any real count\""]
    );
}
