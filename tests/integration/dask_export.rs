//! The sharded export on a real distributed engine: a Dask scheduler and two worker processes on
//! loopback (started by `tests/dask/export_shards.py`), each shard a Dask task running the
//! kolrec binary, one shard killed with SIGKILL and retried by Dask, then `--finalize`; the
//! published partition must be the single run's. Needs Dask distributed: `.ci/run` installs it
//! into a venv, sets `KOLREC_DASK_PYTHON` and runs this test with `--ignored`.

use std::path::Path;
use std::process::Command;

use crate::common::*;
use crate::export_shards::{export, published};

#[test]
#[ignore = "needs Dask distributed: .ci/run installs it and runs this test"]
fn shards_on_a_dask_cluster_with_one_killed_publish_the_single_runs_partition() {
    let python = std::env::var("KOLREC_DASK_PYTHON")
        .expect("KOLREC_DASK_PYTHON must name a Python with Dask distributed (.ci/run sets it)");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dask/export_shards.py");
    let (data, model) = served_market();
    let root = scratch("dask-shards");
    let o = Command::new(&python)
        .arg(&script)
        .args(["--kolrec", env!("CARGO_BIN_EXE_kolrec"), "--shards", "3", "--kill-shard", "1", "--"])
        .args(["export", "--model", model.to_str().unwrap(), "--data", data.to_str().unwrap()])
        .args(["--out", root.to_str().unwrap(), "-k", "10", "--quiet", "--date", "2025-05-01", "--rows-per-file", "20"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let report: serde_json::Value = serde_json::from_str(stdout(&o).lines().last().unwrap()).unwrap();
    assert_eq!(report["workers"].as_array().unwrap().len(), 2, "{report}");
    // The killed attempt never wrote its marker; the retry resumed what it had written.
    assert!(report["killed_on"].is_string(), "{report}");
    let shards = report["shards"].as_array().unwrap();
    assert_eq!(shards.len(), 3);
    let ran_on: std::collections::BTreeSet<&str> = shards.iter().map(|s| s["worker"].as_str().unwrap()).collect();
    assert_eq!(ran_on.len(), 2, "the shards ran on both workers: {report}");
    let retried = shards[1]["stdout"].as_str().unwrap();
    assert!(retried.starts_with("export shard 1/3: ") && retried.contains("kept from an earlier run"), "{retried}");
    assert!(!retried.contains("(0 kept"), "the retry resumed the killed attempt's part: {retried}");
    assert!(report["finalize"]["stdout"].as_str().unwrap().contains("exported"), "{report}");

    let single = scratch("dask-single");
    let o = export(&single, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(published(&root), published(&single));
}
