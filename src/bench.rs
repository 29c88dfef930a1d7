//! `kolrec bench`: throughput and peak-memory figures, measured in child processes so that each
//! step's peak memory is its own.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::fsutil::human_bytes;

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Scale {
    Small,
    Full,
}

impl Scale {
    /// (brands, influencers, campaigns, days): `days` is chosen so that full scale yields about
    /// 30 million snapshot rows with the simulator's cadence mix.
    fn sizes(self) -> (usize, usize, usize, u32) {
        match self {
            Scale::Small => (2_000, 100_000, 500_000, 120),
            Scale::Full => (20_000, 1_000_000, 5_000_000, 120),
        }
    }
}

fn run_json(args: &[String]) -> Result<serde_json::Value> {
    let exe = std::env::current_exe().context("locating the kolrec binary")?;
    let out = Command::new(&exe).args(args).output().with_context(|| format!("running kolrec {}", args.join(" ")))?;
    if !out.status.success() {
        bail!("kolrec {} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or("");
    serde_json::from_str(line).with_context(|| format!("parsing the JSON summary of kolrec {}", args.join(" ")))
}

pub fn data(scale: Scale, dir: &Path, keep: bool) -> Result<()> {
    let (b, i, c, d) = scale.sizes();
    let data = dir.join(format!("{scale:?}").to_lowercase());
    println!("bench data ({scale:?}): {b} brands × {i} influencers × {c} campaigns, {d} days of snapshots");
    let generate = run_json(&[
        "generate".into(),
        "--out".into(),
        data.display().to_string(),
        "--brands".into(),
        b.to_string(),
        "--influencers".into(),
        i.to_string(),
        "--campaigns".into(),
        c.to_string(),
        "--days".into(),
        d.to_string(),
        "--format".into(),
        "parquet".into(),
        "--json".into(),
    ])?;
    let validate = run_json(&["validate".into(), "--data".into(), data.display().to_string(), "--json".into()])?;
    let g_rows = ["brands", "influencers", "campaigns", "snapshots"]
        .iter()
        .map(|k| generate[k].as_u64().unwrap_or(0))
        .sum::<u64>();
    let g_secs = generate["seconds"].as_f64().unwrap_or(f64::NAN);
    let v_rows = validate["rows"].as_u64().unwrap_or(0);
    let v_secs = validate["seconds"].as_f64().unwrap_or(f64::NAN);
    let mem = |v: &serde_json::Value| v["peak_rss_bytes"].as_u64().map(human_bytes).unwrap_or_else(|| "n/a".into());
    let size: u64 = std::fs::read_dir(&data)?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum();
    println!("snapshot rows: {}", generate["snapshots"]);
    println!("{:<10} {:>12} {:>9} {:>12} {:>12}", "step", "rows", "seconds", "rows/s", "peak memory");
    println!(
        "{:<10} {:>12} {:>9.1} {:>12.0} {:>12}",
        "generate",
        g_rows,
        g_secs,
        g_rows as f64 / g_secs,
        mem(&generate)
    );
    println!("{:<10} {:>12} {:>9.1} {:>12.0} {:>12}", "load", v_rows, v_secs, v_rows as f64 / v_secs, mem(&validate));
    println!("dataset on disk (Parquet, zstd): {}", human_bytes(size));
    if !keep {
        std::fs::remove_dir_all(&data).with_context(|| format!("removing {}", data.display()))?;
    }
    Ok(())
}
