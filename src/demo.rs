//! `kolrec demo`: the main job end to end on the sample market, printing what it did and where
//! every file went.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::dataset::{self, LoadOptions};
use crate::describe::Summary;
use crate::sim::{self, SimParams};

pub fn run(out: &Path, data: Option<&Path>) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let t0 = Instant::now();
    let data_dir = match data {
        Some(d) => {
            println!("[1/2] using dataset {}", d.display());
            d.to_path_buf()
        }
        None => {
            let dir = out.join("data");
            let p = SimParams::default();
            println!(
                "[1/2] generating the sample market (seed {}, {} brands, {} influencers, {} days, {} campaign rows)",
                p.seed,
                p.brands,
                p.influencers,
                p.days,
                p.campaign_rows()
            );
            let s = sim::generate(&p, &dir, true).context("generating the sample market")?;
            println!("      {} follower snapshots; {:.1}s", s.snapshots, s.seconds);
            dir
        }
    };
    println!("[2/2] validating {} against the data contract", data_dir.display());
    let (ds, report) = dataset::load(&data_dir, &LoadOptions::default())?;
    for (t, s) in &report.tables {
        println!("      {:<20} {:>8} rows  {}", t.name(), s.rows_kept, s.file.display());
    }
    println!();
    println!("{}", Summary::of(&ds));
    println!();
    println!("done in {:.1}s. Files:", t0.elapsed().as_secs_f64());
    println!("  dataset       {}", data_dir.display());
    if data.is_none() {
        println!("  ground truth  {}", data_dir.join("truth").display());
    }
    Ok(())
}
