//! `kolrec export --shard I/N` and `--finalize N` through the binary: the shards' partition is the
//! single run's, a missing, mismatched or damaged shard is refused by name with nothing
//! published, and a shard killed with SIGKILL resumes. (The same on Dask: `dask_export.rs`.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::*;

const DATE: &str = "2025-05-01";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `kolrec export` on the served market, two brands to a part (20 parts), plus `extra`.
pub fn export(root: &Path, extra: &[&str]) -> Output {
    let (data, model) = served_market();
    Command::new(env!("CARGO_BIN_EXE_kolrec"))
        .args(["export", "--model", s(model), "--data", s(data), "--out", s(root), "-k", "10", "--quiet"])
        .args(["--date", DATE, "--rows-per-file", "20"])
        .args(extra)
        .output()
        .expect("running kolrec")
}

pub fn partition(root: &Path) -> PathBuf {
    root.join(format!("date={DATE}"))
}

fn partial(root: &Path) -> PathBuf {
    root.join(format!(".date={DATE}.partial"))
}

/// Every file of a partition with its bytes; the manifest as JSON without the fields that
/// measure the run (timings, parts resumed) rather than describe its result.
pub fn published(root: &Path) -> (Vec<(String, Vec<u8>)>, serde_json::Value) {
    let dir = partition(root);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name() != "_MANIFEST.json")
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("_MANIFEST.json")).unwrap()).unwrap();
    for k in ["parts_resumed", "seconds_scoring", "seconds_total", "rows_per_second"] {
        m.as_object_mut().unwrap().remove(k).expect("a manifest field");
    }
    (files, m)
}

fn ok(o: &Output) {
    assert!(o.status.success(), "exit {:?}: {}{}", o.status.code(), stdout(o), stderr(o));
}

fn refused(o: &Output, says: &[&str]) {
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(o), stderr(o));
    for s in says {
        assert!(stderr(o).contains(s), "expected '{s}' in: {}", stderr(o));
    }
}

#[test]
fn three_shards_and_a_finalize_publish_the_single_runs_partition_byte_for_byte() {
    let single = scratch("shards-single");
    ok(&export(&single, &[]));
    let (want_files, want_manifest) = published(&single);
    assert_eq!(want_files.iter().filter(|f| f.0.starts_with("part-")).count(), 20);

    let root = scratch("shards-three");
    let mut owned = Vec::new();
    for i in 0..3 {
        let o = export(&root, &["--shard", &format!("{i}/3")]);
        ok(&o);
        assert!(stdout(&o).contains(&format!("export shard {i}/3: ")), "{}", stdout(&o));
        owned.push(stdout(&o).split(": ").nth(1).unwrap().split(' ').next().unwrap().parse::<usize>().unwrap());
        assert!(!partition(&root).exists(), "a shard published the partition");
    }
    assert_eq!(owned.iter().sum::<usize>(), 20, "every part belongs to exactly one shard: {owned:?}");
    assert!(owned.iter().all(|&n| n > 0), "the hash spreads 20 parts over 3 shards: {owned:?}");
    // Rerunning a finished shard recomputes nothing.
    let o = export(&root, &["--shard", "1/3"]);
    ok(&o);
    assert!(stdout(&o).contains(&format!("{} parts ({} kept", owned[1], owned[1])), "{}", stdout(&o));
    ok(&export(&root, &["--finalize", "3"]));
    let (files, manifest) = published(&root);
    assert_eq!(files.iter().map(|f| &f.0).collect::<Vec<_>>(), want_files.iter().map(|f| &f.0).collect::<Vec<_>>());
    for (a, b) in files.iter().zip(&want_files) {
        assert!(a.1 == b.1, "{} differs from the single run's", a.0);
    }
    assert_eq!(manifest, want_manifest);
    assert!(!partial(&root).exists());
    // The partition is published: the next shard run for the date is refused like any export.
    refused(&export(&root, &["--shard", "0/3"]), &["already exists", "--overwrite"]);
}

#[test]
fn a_missing_mismatched_or_damaged_shard_is_refused_by_name_and_nothing_is_published() {
    let root = scratch("shards-bad");
    ok(&export(&root, &["--shard", "0/3"]));
    ok(&export(&root, &["--shard", "2/3"]));
    refused(&export(&root, &["--finalize", "3"]), &["shard 1/3", "has not finished", "_SHARD-1-of-3.json"]);
    assert!(!partition(&root).exists());
    refused(&export(&root, &["--finalize", "2"]), &["shard 0/3", "shard count"]);
    ok(&export(&root, &["--shard", "1/3"]));
    // Other inputs than the shards were computed with: named, with both values.
    refused(&export(&root, &["--finalize", "3", "--tier", "micro"]), &["shard 0/3", "another filters"]);
    // A part changed after its shard recorded it.
    let part = std::fs::read_dir(partial(&root))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".parquet"))
        .unwrap();
    let mut bytes = std::fs::read(&part).unwrap();
    bytes.push(0);
    std::fs::write(&part, bytes).unwrap();
    let name = part.file_name().unwrap().to_string_lossy().into_owned();
    refused(&export(&root, &["--finalize", "3"]), &["is damaged", &format!("{name} changed after the shard wrote it")]);
    assert!(!partition(&root).exists());
    // Rerunning every shard mends it (the damaged part is recomputed); then it publishes.
    for i in 0..3 {
        ok(&export(&root, &["--shard", &format!("{i}/3")]));
    }
    ok(&export(&root, &["--finalize", "3"]));
    let single = scratch("shards-bad-single");
    ok(&export(&single, &[]));
    assert_eq!(published(&root), published(&single));
    for bad in ["3/3", "1", "a/b", "0/0"] {
        refused(&export(&scratch("shards-arg"), &["--shard", bad]), &["--shard must be I/N", bad]);
    }
    refused(&export(&scratch("shards-arg"), &["--finalize", "0"]), &["--finalize takes the shard count"]);
}

// The failpoints exist only in builds with the `failpoints` feature (CI runs this test so).
#[cfg(feature = "failpoints")]
#[test]
fn a_shard_killed_with_sigkill_resumes_and_a_running_shard_holds_off_the_finalize() {
    let (data, model) = served_market();
    let root = scratch("shards-kill");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kolrec"))
        .args(["export", "--model", s(model), "--data", s(data), "--out", s(&root), "-k", "10", "--quiet"])
        .args(["--date", DATE, "--rows-per-file", "20", "--shard", "0/2"])
        .env("KOLREC_FAILPOINT", "export-hang-after-part=1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    let parts = |root: &Path| {
        std::fs::read_dir(partial(root))
            .map(|d| d.filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".parquet")).count())
            .unwrap_or(0)
    };
    while parts(&root) == 0 {
        assert!(t0.elapsed().as_secs() < 120, "the first part never appeared");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // While shard 0 runs (hung), the other shard may run beside it but nothing may publish.
    ok(&export(&root, &["--shard", "1/2"]));
    refused(&export(&root, &["--finalize", "2"]), &["shard 0/2", "still running"]);
    refused(&export(&root, &[]), &["shard 0/2", "still running"]);
    // SIGKILL: no chance to clean up; its lock is left behind, stale.
    child.kill().unwrap();
    child.wait().unwrap();
    refused(&export(&root, &["--finalize", "2"]), &["shard 0/2", "has not finished"]);
    let o = export(&root, &["--shard", "0/2"]);
    ok(&o);
    assert!(stdout(&o).contains("(1 kept from an earlier run)"), "{}", stdout(&o));
    ok(&export(&root, &["--finalize", "2"]));
    let single = scratch("shards-kill-single");
    ok(&export(&single, &[]));
    assert_eq!(published(&root), published(&single));
}
