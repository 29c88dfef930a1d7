//! The `kolrec` command: each command turns its arguments into the library's checked
//! parameters, calls the library, and prints. Library errors that name a request field are
//! reported under the command-line flag that sets it.

mod args;
mod bench_args;
mod export_args;
mod serve_args;

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::print;
pub use args::*;
pub use bench_args::*;
pub use export_args::*;
use kolrec::affinity::Tracking;
use kolrec::dataset::{self, Dataset, LoadOptions};
use kolrec::describe::Summary;
use kolrec::engine::{Engine, EngineError, IndexUse, OpenOptions};
use kolrec::evaluate::{self, EvalConfig};
use kolrec::export::{ExportConfig, ExportJob};
use kolrec::fsutil::{Input, check_output, human_bytes, peak_rss_bytes};
use kolrec::import::{self, ImportConfig};
use kolrec::model_dir::{self, DataInfo, ModelDirError};
use kolrec::parse::{format_date, iso_date};
use kolrec::pipeline::{QueryError, Who, check_k};
use kolrec::sim::{self, truth::Truth};
use kolrec::table::Format;
use kolrec::train::{self, TrainConfig};
pub use serve_args::*;

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Demo(a) => crate::demo::run(&a.out, a.data.as_deref()),
        Command::Generate(a) => generate(a),
        Command::Validate(a) => validate(a),
        Command::Import(a) => import_list(a),
        Command::Train(a) => train(a),
        Command::Eval(a) => eval(a),
        Command::Index(a) => index(a),
        Command::Recommend(a) => recommend(a),
        Command::Similar(a) => similar(a),
        Command::Growth(a) => growth(a),
        Command::Export(a) => export(a),
        Command::Score(a) => score(a),
        Command::Serve(a) => serve(a),
        Command::Bench(a) => bench(a.what),
    }
}

/// The flag that sets a request field.
fn flag(field: &str) -> String {
    match field {
        "k" => "-k".into(),
        "brand_id" => "--brand".into(),
        "influencer_id" => "--influencer".into(),
        "filters" => "the filters".into(),
        f => {
            let f = f.strip_prefix("filters.").unwrap_or(f);
            let f = f.strip_prefix("brief.").map(|b| format!("brief_{b}")).unwrap_or_else(|| f.to_string());
            format!("--{}", f.replace('_', "-"))
        }
    }
}

/// A query error under the flag of its field.
fn query_error(e: QueryError) -> anyhow::Error {
    anyhow::anyhow!("{} {}", flag(e.field), e.problem)
}

fn engine_error(e: EngineError) -> anyhow::Error {
    match e {
        EngineError::Query(q) => query_error(q),
        e => e.into(),
    }
}

fn generate(a: GenerateArgs) -> Result<()> {
    let p = a.params()?;
    // Generating replaces the tables of a dataset already there (in either format).
    if !a.overwrite && std::fs::read_dir(&a.out).is_ok_and(|mut d| d.next().is_some()) {
        bail!("--out {} is not empty; pass --overwrite to replace the dataset in it", a.out.display());
    }
    let summary =
        sim::generate(&p, &a.out, a.quiet || a.json).with_context(|| format!("generating into {}", a.out.display()))?;
    let peak = peak_rss_bytes();
    if a.json {
        let mut v = serde_json::to_value(&summary)?;
        v["peak_rss_bytes"] = serde_json::json!(peak);
        outln!("{v}");
    } else {
        outln!(
            "generated {} brands, {} influencers, {} campaign rows, {} snapshots in {:.1}s (peak memory {})",
            summary.brands,
            summary.influencers,
            summary.campaigns,
            summary.snapshots,
            summary.seconds,
            peak.map(human_bytes).unwrap_or_else(|| "n/a".into())
        );
        outln!("dataset: {}   ground truth: {}", a.out.display(), a.out.join("truth").display());
    }
    Ok(())
}

fn require_dir(p: &Path, what: &str) -> Result<()> {
    if !p.is_dir() {
        bail!("{what} '{}' is not a directory", p.display());
    }
    Ok(())
}

fn validate(a: ValidateArgs) -> Result<()> {
    require_dir(&a.data, "--data")?;
    let rejected_path = a.rejected.clone().unwrap_or_else(|| a.data.join(model_dir::REJECTED_FILE));
    // The rejected rows are rewritten on every run, but never over one of the tables.
    let tables: Vec<std::path::PathBuf> =
        kolrec::contract::Table::ALL.iter().filter_map(|t| kolrec::table::locate(&a.data, t.name()).ok()).collect();
    let inputs: Vec<Input> = tables.iter().map(|t| Input::File(t)).collect();
    check_output(&rejected_path, &inputs, true)?;
    let opts = LoadOptions { lenient: a.lenient, max_shown: a.max_problems, ..LoadOptions::default() };
    let t0 = Instant::now();
    let (ds, report) = dataset::load(&a.data, &opts)?;
    let seconds = t0.elapsed().as_secs_f64();
    if a.lenient && !report.rejected.is_empty() {
        dataset::write_rejected(&report.rejected, &rejected_path)?;
    }
    let rows: usize = report.tables.iter().map(|t| t.1.rows_read).sum();
    if a.json {
        let tables: serde_json::Map<String, serde_json::Value> = report
            .tables
            .iter()
            .map(|(t, s)| {
                (
                    t.name().to_string(),
                    serde_json::json!({"file": s.file, "rows_read": s.rows_read, "rows_kept": s.rows_kept}),
                )
            })
            .collect();
        outln!(
            "{}",
            serde_json::json!({
                "ok": true, "tables": tables, "rows": rows, "problems": report.problems.total,
                "rejected_rows": report.rejected.len(), "seconds": seconds, "peak_rss_bytes": peak_rss_bytes(),
                "typed_bytes": ds.heap_bytes(),
            })
        );
        return Ok(());
    }
    for (t, s) in &report.tables {
        outln!("{:<20} {:>10} rows  {}", t.name(), s.rows_kept, s.file.display());
    }
    if report.problems.total > 0 {
        outln!("{}", report.problems);
        outln!("{} row(s) quarantined into {}", report.rejected.len(), rejected_path.display());
    }
    outln!("{}", Summary::of(&ds));
    outln!(
        "valid: {} rows in {:.2}s ({:.0} rows/s, peak memory {}, typed columns {})",
        rows,
        seconds,
        rows as f64 / seconds.max(1e-9),
        peak_rss_bytes().map(human_bytes).unwrap_or_else(|| "n/a".into()),
        human_bytes(ds.heap_bytes() as u64)
    );
    Ok(())
}

fn import_list(a: ImportArgs) -> Result<()> {
    if !a.input.is_file() {
        bail!("--input '{}' is not a file", a.input.display());
    }
    Format::of(&a.out)?;
    check_output(&a.out, &[Input::File(&a.input)], a.overwrite)?;
    let cfg = ImportConfig { input: a.input, platform: a.platform, out: a.out, id_column: a.id_column, map: a.map };
    let report = import::import(&cfg).map_err(import_error)?;
    outln!("{report}");
    Ok(())
}

fn import_error(e: import::ImportError) -> anyhow::Error {
    match e {
        import::ImportError::NoPlatform { input } => anyhow::anyhow!(
            "{}: no platform: the list has no platform column, no profile links and no platform's own headers; pass --platform (douyin, xiaohongshu, instagram, …)",
            input.display()
        ),
        import::ImportError::NoFollowers { input, found } => anyhow::anyhow!(
            "{}: no followers column: no header names one (Followers, Subscribers, Fans, 粉丝数, …) and no unnamed column holds counts; pass --map SOURCE=followers (headers found: {found})",
            input.display()
        ),
        e => e.into(),
    }
}

/// Load a dataset for a command; when lenient, bad rows are quarantined into `rejected`.
pub fn load_data(dir: &Path, lenient: bool, rejected: &Path) -> Result<Dataset> {
    require_dir(dir, "--data")?;
    let (ds, report) = dataset::load(dir, &LoadOptions { lenient, ..LoadOptions::default() })?;
    if !report.rejected.is_empty() {
        dataset::write_rejected(&report.rejected, rejected)?;
        eprintln!("{} bad row(s) quarantined into {}", report.rejected.len(), rejected.display());
    }
    Ok(ds)
}

/// A dataset read by a command that does not own it: lenient rows go to `--rejected`, else
/// beside the data as `validate --lenient` puts them.
fn load_read_only(dir: &Path, l: &LenientArgs) -> Result<Dataset> {
    let rejected = l.rejected.clone().unwrap_or_else(|| dir.join(model_dir::REJECTED_FILE));
    load_data(dir, l.lenient, &rejected)
}

fn date_arg(flag: &str, d: &str) -> Result<i32> {
    iso_date(d).with_context(|| format!("{flag} '{d}' is not a date (YYYY-MM-DD)"))
}

fn train(a: TrainArgs) -> Result<()> {
    let cfg = TrainConfig {
        affinity: a.affinity.params()?,
        track: if a.track_objective { Tracking::EverySweep } else { Tracking::Ends },
        index: if a.no_index { None } else { Some(a.index.params()?) },
        growth: if a.no_growth { None } else { Some(a.growth.params()?) },
        ranker: a.ranker.params()?,
        quiet: false,
    };
    let ds = load_data(&a.data, a.lenient, &a.out.join(model_dir::REJECTED_FILE))?;
    let info = DataInfo::of(&a.data, &ds).with_context(|| format!("fingerprinting {}", a.data.display()))?;
    let mut trained = train::fit(&ds, info, &a.out, &cfg)?;
    match &trained.growth_skipped {
        Some(kolrec::growth::GrowthError::OneClass { what, positives, rows }) => eprintln!(
            "warning: growth model not trained: the {what} rows hold only one class ({positives} positives of {rows}): choose another --growth-threshold (or --growth-top-share)"
        ),
        Some(e) => eprintln!("warning: growth model not trained: {e}"),
        None => {}
    }
    if let Some(e) = &trained.ranker_skipped {
        eprintln!("warning: learned ranker not trained ({e}); the inner product ranks alone");
    }
    // The index needs only the model: the dataset's memory goes first.
    drop(ds);
    trained.build_index(&a.out, &cfg)?;
    out!("{}", print::trained(&trained.manifest, &a.out));
    Ok(())
}

fn eval(a: EvalArgs) -> Result<()> {
    let cfg = EvalConfig { holdout: a.holdout, bootstrap: a.bootstrap, ks: a.ks.clone(), ..EvalConfig::default() };
    cfg.check().map_err(|e| match e {
        evaluate::EvalError::Holdout(h) => anyhow::anyhow!("--holdout {h} must be strictly between 0 and 1"),
        evaluate::EvalError::Ks(ks) => {
            anyhow::anyhow!("--ks must list cut-offs between 1 and 1000, e.g. 10,50 (got {ks:?})")
        }
        evaluate::EvalError::Bootstrap(n) => {
            anyhow::anyhow!(
                "--bootstrap {n} is over the {} resamples an evaluation draws at most",
                evaluate::MAX_BOOTSTRAP
            )
        }
        e => e.into(),
    })?;
    model_dir::read_manifest(&a.model)?;
    let ds = load_data(&a.data, false, &a.model.join(model_dir::REJECTED_FILE))?;
    let truth = Truth::load(&a.data, &ds)?;
    let mut files = Vec::new();
    for spec in &a.recs {
        let (name, path) = match spec.split_once('=') {
            Some((n, p)) if !n.is_empty() => (n.to_string(), Path::new(p).to_path_buf()),
            _ => {
                let p = Path::new(spec);
                (p.file_stem().map_or(spec.clone(), |s| s.to_string_lossy().into_owned()), p.to_path_buf())
            }
        };
        let f = evaluate::RecsFile::read(&path, &name, &ds).with_context(|| format!("--recs {spec}"))?;
        if f.unknown_rows > 0 {
            eprintln!("warning: --recs {spec}: {} rows name a brand or creator the data does not have", f.unknown_rows);
        }
        files.push(f);
    }
    let extra: Vec<&dyn evaluate::Ranker> = files.iter().map(|f| f as &dyn evaluate::Ranker).collect();
    let report = evaluate::evaluate_model_dir(&ds, truth.as_ref(), &a.model, &cfg, &extra)?;
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    if a.json {
        outln!("{}", serde_json::to_string(&report)?);
    } else {
        outln!("{report}");
        outln!("\nwritten: {}", a.model.join(model_dir::EVAL_FILE).display());
    }
    Ok(())
}

fn index(a: IndexCmdArgs) -> Result<()> {
    let params = a.index.params()?;
    let (model, mut manifest) = model_dir::load_affinity(&a.model)?;
    let ix = model_dir::build_index(&a.model, &model, &mut manifest, &params, false)?;
    outln!("{}", print::index_line(&ix, &a.model));
    Ok(())
}

fn recommend(a: RecommendArgs) -> Result<()> {
    let who = a.brief.who(a.brand.as_deref())?;
    let spec = a.filters.spec();
    // Arguments are checked before the model is loaded.
    spec.check().map_err(query_error)?;
    check_k(a.k).map_err(query_error)?;
    if let Who::Brief(b) = &who {
        b.check().map_err(query_error)?;
    }
    let index = if a.exact { IndexUse::Skip } else { IndexUse::Required };
    let engine =
        Engine::open(&a.model, &OpenOptions { index, growth: false, ..Default::default() }).map_err(engine_error)?;
    let answer = engine.recommend(&who, a.k, &spec).map_err(engine_error)?;
    print_answer(&answer, a.json)
}

fn similar(a: SimilarArgs) -> Result<()> {
    let spec = a.filters.spec();
    spec.check().map_err(query_error)?;
    check_k(a.k).map_err(query_error)?;
    let engine = Engine::open(&a.model, &OpenOptions { index: IndexUse::Skip, growth: false, ..Default::default() })
        .map_err(engine_error)?;
    let answer = engine.similar(&a.influencer, a.k, &spec).map_err(engine_error)?;
    print_answer(&answer, a.json)
}

fn print_answer(answer: &kolrec::Answer, json: bool) -> Result<()> {
    if json {
        outln!("{}", serde_json::to_string(answer)?);
    } else {
        out!("{}", print::answer(answer));
    }
    Ok(())
}

/// The model directory's engine with its growth model, which the command needs.
fn growth_engine(model: &Path, index: IndexUse) -> Result<Engine> {
    let engine =
        Engine::open(model, &OpenOptions { index, growth: true, ..Default::default() }).map_err(engine_error)?;
    if engine.growth_model().is_none() {
        return Err(ModelDirError::NoGrowth { dir: model.into() }.into());
    }
    Ok(engine)
}

fn growth(a: GrowthCmdArgs) -> Result<()> {
    let day = date_arg("--as-of", &a.as_of)?;
    if let Some(out) = &a.out {
        Format::of(out)?;
        check_output(out, &[Input::Dataset(&a.data), Input::Model(&a.model)], a.overwrite)?;
    }
    let engine = growth_engine(&a.model, IndexUse::Skip)?;
    let ds = load_read_only(&a.data, &a.lenient)?;
    let t0 = Instant::now();
    let mut scoring = engine.growth(&ds, day, None, a.top)?;
    let seconds = t0.elapsed().as_secs_f64();
    if let Some(out) = &a.out {
        kolrec::growth::write_scores(&scoring, out)?;
    }
    if a.json {
        scoring.scored.truncate(a.top);
        outln!("{}", serde_json::to_string(&scoring)?);
        return Ok(());
    }
    out!("{}", print::growth(&scoring, a.top, seconds));
    if let Some(out) = &a.out {
        outln!("every creator written to {}", out.display());
    }
    Ok(())
}

fn score(a: ScoreArgs) -> Result<()> {
    Format::of(&a.out)?;
    let mut inputs = vec![Input::File(&a.input), Input::Model(&a.model)];
    inputs.extend(a.data.as_deref().map(Input::Dataset));
    check_output(&a.out, &inputs, a.overwrite)?;
    let who = a.brief.who(a.brand.as_deref())?;
    let as_of = a.as_of.as_deref().map(|d| date_arg("--as-of", d)).transpose()?;
    let engine = match &a.data {
        Some(_) => growth_engine(&a.model, IndexUse::Skip)?,
        None => Engine::open(&a.model, &OpenOptions { index: IndexUse::Skip, growth: false, ..Default::default() })
            .map_err(engine_error)?,
    };
    let label = engine.query(&who).map_err(query_error)?.label;
    let t0 = Instant::now();
    let parsed =
        kolrec::score::parse(&a.input, a.platform.as_deref(), a.id_column.as_deref(), &a.map).map_err(|e| match e {
            kolrec::score::ScoreError::Import(e) => import_error(e),
            e => e.into(),
        })?;
    let growth = match &a.data {
        None => None,
        Some(dir) => {
            let ds = load_read_only(dir, &a.lenient)?;
            let day = match as_of {
                Some(d) => d,
                None => Engine::last_snapshot(&ds)?,
            };
            Some(engine.growth_by_id(&ds, day)?)
        }
    };
    let rows = engine.score(&who, &parsed.influencers, growth.as_ref()).map_err(engine_error)?;
    let mut frame = kolrec::score::output_frame(&parsed, &rows);
    kolrec::table::write(&mut frame, &a.out)?;
    let seconds = t0.elapsed().as_secs_f64();
    let n = parsed.input.height();
    outln!(
        "scored {} of {} rows for {label} ({} known to the model, {} from their profile; {} not scored) in {seconds:.2}s ({:.0} rows/s): {}",
        rows.len(),
        n,
        rows.iter().filter(|r| r.known).count(),
        rows.iter().filter(|r| !r.known).count(),
        n - rows.len(),
        n as f64 / seconds.max(1e-9),
        a.out.display()
    );
    let mut why: std::collections::BTreeMap<&str, usize> = Default::default();
    for s in parsed.rejected.values() {
        *why.entry(s.split(':').nth(1).map_or(s.as_str(), str::trim)).or_default() += 1;
    }
    for (w, c) in &why {
        outln!("  not scored: {c} × {w}");
    }
    out!("{}", print::scored(&rows, a.top));
    Ok(())
}

fn export(a: ExportArgs) -> Result<()> {
    let t0 = Instant::now();
    let date = match &a.date {
        Some(d) => date_arg("--date", d)?,
        None => kolrec::export::today(),
    };
    let cfg = ExportConfig {
        out: a.out.clone(),
        date,
        k: a.k,
        overwrite: a.overwrite,
        rows_per_file: a.rows_per_file,
        path: a.path.into(),
        filters: a.filters.spec(),
        quiet: a.quiet,
    };
    // Before the model and the data are loaded.
    if a.rows_per_file == 0 {
        bail!("--rows-per-file must be at least 1");
    }
    cfg.filters.check().map_err(query_error)?;
    kolrec::export::preflight(&a.out, &format_date(date), a.k, a.overwrite).map_err(export_error)?;
    let shard: Option<kolrec::export::Shard> = a.shard.as_deref().map(str::parse).transpose().map_err(export_error)?;
    if let Some(n) = a.finalize {
        kolrec::export::Shard::new(0, n)
            .ok_or_else(|| anyhow::anyhow!("--finalize takes the shard count, 1 to 10000; got {n}"))?;
    }
    let manifest = model_dir::read_manifest(&a.model)?;
    let index = if a.path != PathArg::Exact && manifest.index.is_some() { IndexUse::Required } else { IndexUse::Skip };
    let engine =
        Engine::open(&a.model, &OpenOptions { index, growth: true, ..Default::default() }).map_err(engine_error)?;
    let ds = load_read_only(&a.data, &a.lenient)?;
    let data = DataInfo::of(&a.data, &ds)?;
    let job = ExportJob::prepare(&engine, &ds, &data, &cfg).map_err(export_error)?;
    drop(ds);
    let summary = match (shard, a.finalize) {
        (Some(shard), _) => {
            let s = job.run_shard(shard).map_err(export_error)?;
            outln!(
                "export shard {}: {} parts ({} kept from an earlier run), {} rows in {:.1}s, in {}; publish with --finalize {} once every shard is done",
                s.shard,
                s.parts,
                s.parts_resumed,
                s.rows,
                s.seconds,
                s.partial.display(),
                s.shard.count
            );
            return Ok(());
        }
        (None, Some(n)) => job.finalize(n).map_err(export_error)?,
        (None, None) => job.run().map_err(export_error)?,
    };
    outln!("{}", print::exported(&summary, t0.elapsed().as_secs_f64()));
    Ok(())
}

fn export_error(e: kolrec::export::ExportError) -> anyhow::Error {
    use kolrec::export::ExportError;
    match e {
        ExportError::Filter(q) => query_error(q),
        ExportError::Engine(e) => engine_error(e),
        ExportError::Exists { date, path } => {
            anyhow::anyhow!("an export for {date} already exists at {}; pass --overwrite to replace it", path.display())
        }
        ExportError::BadK(k) => anyhow::anyhow!("-k must be between 1 and 10000, got {k}"),
        ExportError::BadShard(s) => anyhow::anyhow!("--shard must be I/N with 0 <= I < N <= 10000, got '{s}'"),
        e => e.into(),
    }
}

/// Run one benchmark.
fn serve(a: ServeArgs) -> Result<()> {
    require_dir(&a.model, "--model")?;
    if let Some(d) = &a.data {
        require_dir(d, "--data")?;
    }
    let params = kolrec::serve::ServeParams {
        model: a.model,
        data: a.data,
        addr: a.addr,
        admin_token_file: a.admin_token_file,
        max_body: a.max_body,
        timeout_ms: a.timeout_ms,
        max_in_flight: a.max_in_flight,
        candidates: a.candidates,
        drain_ms: a.drain_ms,
        workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
    };
    let config = params.check().map_err(|e| match e {
        kolrec::serve::ServeError::Param { field, problem } => anyhow::anyhow!("{} {problem}", flag(field)),
        e => e.into(),
    })?;
    kolrec::serve::run(config, |addr| {
        use std::io::Write;
        // The first line on stdout says where to connect (tests and scripts read it for port 0).
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "kolrec serve: listening on http://{addr}");
        let _ = out.flush();
    })?;
    Ok(())
}

fn bench(what: BenchWhat) -> Result<()> {
    use crate::bench::{self, ann, export, growth, growth_real, ranking, recommend, trees};
    match what {
        BenchWhat::Data { scale, dir, keep } => bench::data(scale, &dir, keep),
        BenchWhat::Scale { influencers, skip, dir, keep } => {
            bench::scale::run(&bench::scale::ScaleBench { influencers: &influencers, skip: &skip, dir: &dir, keep })
        }
        BenchWhat::Growth { data, out, peers, growth } => growth::run(&data, &out, &peers.peers(), &growth.params()?),
        BenchWhat::Export { model, out, python, brands, k, threads } => {
            export::run(&export::ExportBench { model: &model, out: &out, python: &python, brands, k, threads })
        }
        BenchWhat::GrowthReal { real, out, growth } => growth_real::run(&real, &out, &growth.params()?),
        BenchWhat::Ann { model, out, peers, index, efs, max_queries, no_peers, reuse } => ann::run(&ann::AnnBench {
            model: &model,
            out: &out,
            peers: &peers.peers(),
            params: index.params()?,
            efs,
            max_queries,
            skip_peers: no_peers,
            reuse,
        }),
        BenchWhat::Affinity { data, out, peers, affinity: a } => {
            bench::affinity(&data, &out, &peers.peers(), &a.params()?)
        }
        BenchWhat::Trees { data, out, peers, script, affinity: a, ranker } => {
            let ranker = ranker.params()?.context("bench trees measures the ranker: drop --no-ranker")?;
            trees::run(&trees::TreesBench {
                data: &data,
                out: &out,
                peers: &peers.peers(),
                script: &script,
                affinity: a.params()?,
                ranker,
            })
        }
        BenchWhat::Serve { model, seconds, rate, filtered_rate, ramp, candidates } => {
            crate::bench::serve::run(&crate::bench::serve::ServeBench {
                model: &model,
                seconds,
                rate,
                filtered_rate,
                ramp,
                candidates,
            })
        }
        BenchWhat::Recommend { model, queries, k, recall_brands } => {
            recommend::run(&recommend::RecommendBench { model: &model, queries, k, recall_brands })
        }
        BenchWhat::Ranking { data, out, peers, affinity: a, ranker, k } => ranking::run(&ranking::RankingBench {
            data: &data,
            out: &out,
            peers: &peers.peers(),
            params: a.params()?,
            ranker: ranker.params()?,
            k,
        }),
    }
}
