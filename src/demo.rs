//! `kolrec demo`: the main job end to end on the sample market, printing what it did and where
//! every file went.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::affinity::{AffinityParams, Tracking};
use crate::dataset::{self, LoadOptions};
use crate::describe::Summary;
use crate::evaluate::EvalConfig;
use crate::growth::GrowthParams;
use crate::index::IndexParams;
use crate::recommend::{Brief, FilterSpec, Who};
use crate::sim::{self, SimParams};
use crate::tier::Tier;

pub fn run(out: &Path, data: Option<&Path>) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let t0 = Instant::now();
    let data_dir = match data {
        Some(d) => {
            println!("[1/7] using dataset {}", d.display());
            d.to_path_buf()
        }
        None => {
            let dir = out.join("data");
            let p = SimParams::default();
            println!(
                "[1/7] generating the sample market (seed {}, {} brands, {} influencers, {} days, {} campaign rows)",
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
    println!("[2/7] validating {} against the data contract", data_dir.display());
    let (ds, report) = dataset::load(&data_dir, &LoadOptions::default())?;
    for (t, s) in &report.tables {
        println!("      {:<20} {:>8} rows  {}", t.name(), s.rows_kept, s.file.display());
    }
    println!();
    println!("{}", Summary::of(&ds));
    let last_snapshot = ds.snapshots.date.iter().max().copied().unwrap_or(0);
    drop(ds);

    let model = out.join("model");
    let params = AffinityParams::default();
    println!(
        "\n[3/7] training the affinity model ({} objective, {} factors) into {}",
        params.objective,
        params.factors,
        model.display()
    );
    let m = crate::cli::train_into(
        &data_dir,
        &model,
        &params,
        false,
        Tracking::Ends,
        Some(&IndexParams::default()),
        Some(&GrowthParams::default()),
    )?;
    let t = &m.affinity.as_ref().expect("just trained").train;
    println!(
        "      {} pairs from {} campaign rows, {} warm brands, {} warm influencers; objective {:.0} -> {:.0}; {:.1}s",
        t.pairs,
        t.rows_used,
        t.warm_brands,
        t.warm_influencers,
        t.objective_history[0],
        t.objective_history.last().copied().unwrap_or(f64::NAN),
        t.seconds
    );
    println!("\n[4/7] evaluating on a time split (refit on the first 80% of the period, tested on the rest)\n");
    let report = crate::cli::eval_model(&data_dir, &model, &EvalConfig { bootstrap: 200, ..EvalConfig::default() })?;
    println!("{report}");
    println!("(held-out metrics count only pairs brands actually tried; the true outcomes score every creator)");

    println!("\n[5/7] serving from {} (ANN index, filters, a brief, lookalikes)\n", model.display());
    let serving = crate::model_dir::load_serving(&model, false)?;
    let server = serving.server();
    // The brand with the most history: its reasons have past outcomes to show.
    let b = (0..serving.catalog.brands.id.len())
        .max_by_key(|&b| (serving.catalog.worked_with(b).len(), std::cmp::Reverse(b)))
        .context("the sample has no brand")?;
    let brand = Who::Brand(serving.catalog.brands.id[b].clone());
    let shown = [
        ("kolrec recommend --brand {id} -k 10", FilterSpec::default()),
        (
            "kolrec recommend --brand {id} -k 10 --tier micro,mid --max-price 300 --exclude-worked",
            FilterSpec {
                tiers: vec![Tier::Micro, Tier::Mid],
                max_price: Some(300.0),
                exclude_worked: true,
                ..Default::default()
            },
        ),
    ];
    for (cmd, spec) in shown {
        println!("$ {}", cmd.replace("{id}", &serving.catalog.brands.id[b]));
        println!("{}", crate::recommend::table(&server.recommend(&brand, 10, &spec)?));
    }
    let category = serving.catalog.brands.category[b].clone();
    let brief = Who::Brief(Brief { category: category.clone(), country: "CN".into(), ..Default::default() });
    println!("$ kolrec recommend --brief-category {category} --brief-country CN -k 5");
    println!("{}", crate::recommend::table(&server.recommend(&brief, 5, &FilterSpec::default())?));
    let top = server.recommend(&brand, 1, &FilterSpec::default())?.results[0].influencer_id.clone();
    println!("$ kolrec similar --influencer {top} -k 5");
    print!("{}", crate::recommend::table(&server.similar(&top, 5, &FilterSpec::default())?));
    println!();
    match crate::model_dir::load_growth(&model) {
        Ok((g, _)) => {
            let ds = dataset::load(&data_dir, &LoadOptions::default())?.0;
            let day = last_snapshot;
            println!("[6/7] creators most likely to grow strongly in the next 30 days\n");
            println!("$ kolrec growth --as-of {} --top 10", crate::parse::format_date(day));
            let t = Instant::now();
            let scoring = g.score(&ds, day, 10);
            println!("{}", crate::growth::table(&scoring, 10, t.elapsed().as_secs_f64()));
        }
        Err(e) => println!("[6/7] no growth model: {e}\n"),
    }
    let exports = out.join("export");
    let date = crate::parse::format_date(last_snapshot + 1);
    println!("[7/7] the nightly export: every brand's top 100 creators\n");
    println!(
        "$ kolrec export --model {} --data {} --out {} -k 100 --date {date} --overwrite",
        model.display(),
        data_dir.display(),
        exports.display()
    );
    crate::cli::export(crate::cli::ExportArgs {
        model: model.clone(),
        data: data_dir.clone(),
        out: exports.clone(),
        k: 100,
        date: Some(date.clone()),
        overwrite: true,
        rows_per_file: 200_000,
        path: crate::export::PathChoice::Auto,
        exclude_worked: false,
        quiet: true,
    })?;
    println!();
    println!("done in {:.1}s. Files:", t0.elapsed().as_secs_f64());
    println!("  dataset       {}", data_dir.display());
    if data.is_none() {
        println!("  ground truth  {}", data_dir.join("truth").display());
    }
    println!("  model         {}", model.join(crate::model_dir::AFFINITY_FILE).display());
    println!("  catalogue     {}", model.join(crate::model_dir::CATALOG_FILE).display());
    println!("  ANN index     {}", model.join(crate::model_dir::INDEX_DIR).display());
    println!("  growth model  {}", model.join(crate::model_dir::GROWTH_FILE).display());
    println!("  manifest      {}", model.join(crate::model_dir::MANIFEST_FILE).display());
    println!("  evaluation    {}", model.join("eval.json").display());
    println!("  export        {}", exports.join(crate::export::partition_name(&date)).display());
    Ok(())
}
