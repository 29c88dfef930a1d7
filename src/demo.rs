//! `kolrec demo`: the main job end to end on the sample market — generate, validate, train,
//! evaluate, serve, score growth, export — printing what it did and where every file went. The
//! dataset is loaded once; every step is a library call.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use kolrec::dataset::{self, LoadOptions};
use kolrec::describe::Summary;
use kolrec::engine::{BatchPath, Engine, OpenOptions};
use kolrec::evaluate::{self, EvalConfig};
use kolrec::export::{ExportConfig, ExportJob};
use kolrec::model_dir::{self, DataInfo};
use kolrec::pipeline::{Brief, FilterSpec, Who};
use kolrec::sim::{self, SimParams, truth::Truth};
use kolrec::tier::Tier;
use kolrec::train::{self, TrainConfig};

use crate::print;

pub fn run(out: &Path, data: Option<&Path>) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let t0 = Instant::now();
    let data_dir = match data {
        Some(d) => {
            outln!("[1/7] using dataset {}", d.display());
            d.to_path_buf()
        }
        None => {
            let dir = out.join("data");
            let p = SimParams::default();
            outln!(
                "[1/7] generating the sample market (seed {}, {} brands, {} influencers, {} days, {} campaign rows)",
                p.seed,
                p.brands,
                p.influencers,
                p.days,
                p.campaign_rows()
            );
            let s = sim::generate(&p, &dir, true).context("generating the sample market")?;
            outln!("      {} follower snapshots; {:.1}s", s.snapshots, s.seconds);
            dir
        }
    };
    outln!("[2/7] validating {} against the data contract", data_dir.display());
    let (ds, report) = dataset::load(&data_dir, &LoadOptions::default())?;
    for (t, s) in &report.tables {
        outln!("      {:<20} {:>8} rows  {}", t.name(), s.rows_kept, s.file.display());
    }
    outln!();
    outln!("{}", Summary::of(&ds));
    let info = DataInfo::of(&data_dir, &ds).with_context(|| format!("fingerprinting {}", data_dir.display()))?;

    let model = out.join("model");
    let cfg = TrainConfig { quiet: false, ..TrainConfig::default() };
    outln!(
        "\n[3/7] training both stages into {}: retrieval (the affinity model, {} objective, {} factors) and the learned ranker (trees on out-of-fold pair features)",
        model.display(),
        cfg.affinity.objective,
        cfg.affinity.factors,
    );
    let trained = train::train(&ds, info.clone(), &model, &cfg)?;
    if let Some(e) = &trained.growth_skipped {
        outln!("      warning: growth model not trained: {e}");
    }
    if let Some(e) = &trained.ranker_skipped {
        outln!("      warning: learned ranker not trained: {e}");
    }
    let t = &trained.manifest.affinity.as_ref().expect("just trained").train;
    outln!(
        "      {} pairs from {} campaign rows, {} warm brands, {} warm influencers; objective {:.0} -> {:.0}; {:.1}s",
        t.pairs,
        t.rows_used,
        t.warm_brands,
        t.warm_influencers,
        t.objective_history[0],
        t.objective_history.last().copied().unwrap_or(f64::NAN),
        t.seconds
    );
    if let Some(r) = &trained.manifest.ranker {
        let t = &r.train;
        outln!(
            "      ranker: {} trees on {} out-of-fold pairs ({} with a cold brand); {:.1}s refits + {:.1}s trees; re-scores {} candidates per query",
            t.trees,
            t.pairs,
            t.cold_brand_pairs,
            t.fold_seconds,
            t.fit_seconds,
            r.params.candidates
        );
    }
    drop(trained);
    outln!("\n[4/7] evaluating on a time split (refit on the first 80% of the period, tested on the rest)\n");
    let truth = Truth::load(&data_dir, &ds)?;
    let cfg = EvalConfig { bootstrap: 200, ..EvalConfig::default() };
    let report = evaluate::evaluate_model_dir(&ds, truth.as_ref(), &model, &cfg, &[])?;
    for w in &report.warnings {
        outln!("warning: {w}");
    }
    outln!("{report}");
    outln!("(held-out metrics count only pairs brands actually tried; the true outcomes score every creator)");

    outln!("\n[5/7] serving from {} (ANN index, filters, a brief, lookalikes)\n", model.display());
    let engine = Engine::open(&model, &OpenOptions::default())?;
    let catalog = engine.catalog();
    // The brand with the most history: its reasons have past outcomes to show.
    let b = (0..catalog.brands.id.len())
        .max_by_key(|&b| (catalog.worked_with(b).len(), std::cmp::Reverse(b)))
        .context("the sample has no brand")?;
    let brand_id = &catalog.brands.id[b];
    let brand = Who::Brand(brand_id.clone());
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
        outln!("$ {}", cmd.replace("{id}", brand_id));
        outln!("{}", print::answer(&engine.recommend(&brand, 10, &spec)?));
    }
    let category = catalog.brands.category[b].clone();
    let brief = Who::Brief(Brief { category: category.clone(), country: "CN".into(), ..Default::default() });
    outln!("$ kolrec recommend --brief-category {category} --brief-country CN -k 5");
    outln!("{}", print::answer(&engine.recommend(&brief, 5, &FilterSpec::default())?));
    let top = engine.recommend(&brand, 1, &FilterSpec::default())?.results[0].influencer_id.clone();
    outln!("$ kolrec similar --influencer {top} -k 5");
    out!("{}", print::answer(&engine.similar(&top, 5, &FilterSpec::default())?));
    outln!();
    let last_snapshot = Engine::last_snapshot(&ds).unwrap_or(0);
    if engine.growth_model().is_some() {
        outln!("[6/7] creators most likely to grow strongly in the next 30 days\n");
        outln!("$ kolrec growth --as-of {} --top 10", kolrec::parse::format_date(last_snapshot));
        let t = Instant::now();
        let scoring = engine.growth(&ds, last_snapshot, None, 10)?;
        outln!("{}", print::growth(&scoring, 10, t.elapsed().as_secs_f64()));
    } else {
        outln!("[6/7] no growth model: {}\n", model_dir::ModelDirError::NoGrowth { dir: model.clone() });
    }
    let exports = out.join("export");
    let date = last_snapshot + 1;
    let date_text = kolrec::parse::format_date(date);
    outln!("[7/7] the nightly export: every brand's top 100 creators\n");
    outln!(
        "$ kolrec export --model {} --data {} --out {} -k 100 --date {date_text} --overwrite",
        model.display(),
        data_dir.display(),
        exports.display()
    );
    let t = Instant::now();
    let cfg = ExportConfig {
        out: exports.clone(),
        date,
        k: 100,
        overwrite: true,
        rows_per_file: 200_000,
        path: BatchPath::Auto,
        filters: FilterSpec::default(),
        quiet: true,
    };
    let job = ExportJob::prepare(&engine, &ds, &info, &cfg)?;
    let summary = job.run()?;
    outln!("{}", print::exported(&summary, t.elapsed().as_secs_f64()));
    outln!();
    outln!("done in {:.1}s. Files:", t0.elapsed().as_secs_f64());
    outln!("  dataset       {}", data_dir.display());
    if data.is_none() {
        outln!("  ground truth  {}", data_dir.join("truth").display());
    }
    outln!("  model         {}", model.join(model_dir::AFFINITY_FILE).display());
    outln!("  ranker        {}", model.join(model_dir::RANKER_FILE).display());
    outln!("  catalogue     {}", model.join(model_dir::CATALOG_FILE).display());
    outln!("  ANN index     {}", model.join(model_dir::INDEX_DIR).display());
    outln!("  growth model  {}", model.join(model_dir::GROWTH_FILE).display());
    outln!("  manifest      {}", model.join(model_dir::MANIFEST_FILE).display());
    outln!("  evaluation    {}", model.join(model_dir::EVAL_FILE).display());
    outln!("  export        {}", summary.partition.display());
    outln!();
    outln!("serve it over HTTP (README, step 8):");
    outln!("  kolrec serve --model {} --data {}", model.display(), data_dir.display());
    outln!("  curl -s localhost:8080/v1/recommend -d '{{\"brand_id\": \"b000001\", \"k\": 5}}'");
    Ok(())
}
