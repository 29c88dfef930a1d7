//! The nightly export: every brand's top-k creators as Parquet under
//! `EXPORT_ROOT/date=YYYY-MM-DD/`, safe to run from a scheduler every night.
//!
//! * **Atomic.** Parts are written into `EXPORT_ROOT/.date=YYYY-MM-DD.partial/` (each part through
//!   a temp file and a rename), then `_MANIFEST.json` and `_SUCCESS`, and only then is the
//!   directory renamed to `date=YYYY-MM-DD`. A reader listing `date=*` never sees a half-written
//!   partition.
//! * **Idempotent.** An existing partition is refused unless `overwrite`; with it, the new
//!   partition is renamed into place and the old one deleted afterwards.
//! * **Resumable.** `_RUN.json` in the partial directory records what the run computes (model and
//!   data fingerprints, k, part size, path, exclusions). A restarted run with the same record keeps
//!   the finished parts and computes the rest; any other record starts afresh.
//! * **Deterministic.** Brands are sorted by ID, ties between creators broken by model row, and
//!   timings live only in the manifest, so the same model and data give identical rows and parts.
//! * **Shardable.** [`Shard`] runs compute disjoint sets of the same parts into the same partial
//!   directory and a finalize publishes them (see `shard`), so N machines write what one would.
//!
//! Scoring: every brand goes through the engine's pipeline under the run's filters
//! ([`Engine::batch_top_k`]): the exact blocked matrix multiply while the batch is small enough,
//! the HNSW index (re-scored exactly) otherwise.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::engine::{BatchPath, BrandQuery, Engine, EngineError, GrowthById};
use crate::index::Hit;
use crate::model_dir::DataInfo;
use crate::pipeline::{Filter, FilterSpec, QueryError};
use crate::progress::Progress;

mod shard;

pub use shard::Shard;

pub const EXPORT_FORMAT: u32 = 3;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("k must be between 1 and 10000, got {0}")]
    BadK(usize),
    #[error("rows per file must be at least 1")]
    BadRowsPerFile,
    #[error(
        "an export for {date} already exists at {}; overwrite it to replace it",
        path.display()
    )]
    Exists { date: String, path: PathBuf },
    #[error(
        "another export for {date} is running (pid {pid}, lock {}); if it is not, delete the lock",
        lock.display()
    )]
    Locked { date: String, pid: u32, lock: PathBuf },
    #[error("shard must be I/N with 0 <= I < N <= 10000, got '{0}'")]
    BadShard(String),
    #[error("shard {shard} of the export in {} has not finished (no {marker}); run it (again)", partial.display())]
    ShardMissing { shard: String, marker: String, partial: PathBuf },
    #[error("shard {shard} of the export in {} was computed with another {field}; rerun it with this run's inputs", partial.display())]
    ShardMismatch { shard: String, field: String, partial: PathBuf },
    #[error("shard {shard} of the export in {} is damaged: {problem}; rerun it", partial.display())]
    ShardDamaged { shard: String, problem: String, partial: PathBuf },
    #[error("shard {shard} of the export for {date} is still running (pid {pid})")]
    ShardRunning { shard: String, date: String, pid: u32 },
    #[error("the unfinished export in {} is another run (its {field} differs); finish or delete it, or export without --shard", partial.display())]
    OtherRun { partial: PathBuf, field: String },
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Filter(#[from] QueryError),
    #[error("writing {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Table(#[from] crate::table::TableError),
    #[cfg(feature = "failpoints")]
    #[error("failpoint {0} reached (KOLREC_FAILPOINT, for tests)")]
    Failpoint(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io { path: path.into(), source }
}

/// Per creator, aligned with the model: growth probability and flag (when a growth model scored it).
#[derive(Default)]
pub struct Growth {
    pub probability: Vec<Option<f32>>,
    pub suspicious: Vec<Option<bool>>,
    pub as_of: Option<String>,
}

/// What the run computes; a restart resumes only if this is unchanged.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RunRecord {
    pub format: u32,
    pub kolrec_version: String,
    pub date: String,
    pub k: usize,
    pub brands_per_part: usize,
    pub path: BatchPath,
    pub filters: FilterSpec,
    pub model_crc32: String,
    /// The learned ranker's `ranker.bin` checksum ("" when the inner product ranks alone): parts
    /// of another ranker are not resumed.
    #[serde(default)]
    pub ranker_crc32: String,
    pub data_fingerprint: String,
    pub growth_as_of: Option<String>,
    pub brands: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PartEntry {
    pub file: String,
    pub rows: usize,
    pub brands: usize,
    pub bytes: u64,
    pub crc32: String,
}

/// `_MANIFEST.json`: written after every part, before `_SUCCESS`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ExportManifest {
    #[serde(flatten)]
    pub run: RunRecord,
    pub model_dir: String,
    pub data_dir: String,
    pub scoring_path: BatchPath,
    pub rows: usize,
    pub cold_brands: usize,
    pub creators: usize,
    pub columns: Vec<String>,
    pub files: Vec<PartEntry>,
    pub parts_resumed: usize,
    pub seconds_scoring: f64,
    pub seconds_total: f64,
    pub rows_per_second: f64,
}

/// What to export.
#[derive(Clone, Debug)]
pub struct ExportConfig {
    /// Export root; the partition is `out/date=YYYY-MM-DD/`.
    pub out: PathBuf,
    /// Partition date, in days since 1970-01-01.
    pub date: i32,
    pub k: usize,
    /// Replace an existing partition for the date.
    pub overwrite: bool,
    /// Rows per Parquet part at most (whole brands per part).
    pub rows_per_file: usize,
    pub path: BatchPath,
    /// Applied to every brand; `exclude_worked` leaves out each brand's own past creators.
    pub filters: FilterSpec,
    pub quiet: bool,
}

/// A prepared export: every brand's query, the compiled filters and the growth scores, holding
/// nothing of the dataset (which the caller may drop before [`ExportJob::run`]).
pub struct ExportJob<'a> {
    engine: &'a Engine,
    model_dir: PathBuf,
    data_dir: String,
    brands: Vec<BrandQuery>,
    /// The run's filters, compiled (each brand's past creators are added per brand).
    filter: Filter,
    growth: Growth,
    out: PathBuf,
    record: RunRecord,
    overwrite: bool,
    quiet: bool,
}

/// The schema every part has, in order.
pub const COLUMNS: [&str; 11] = [
    "brand_id",
    "influencer_id",
    "rank",
    "score",
    "predicted_ctr",
    "predicted_cpm",
    "growth_probability",
    "suspicious_growth",
    "worked_with_brand",
    "past_campaigns",
    "cold_brand",
];

pub fn partition_name(date: &str) -> String {
    format!("date={date}")
}

/// The checks that need no model or data (so the CLI runs them before loading either): `k` in
/// range, and the date's partition absent unless `overwrite`. Returns the partition's path.
pub fn preflight(out: &Path, date: &str, k: usize, overwrite: bool) -> Result<PathBuf, ExportError> {
    if !(1..=10_000).contains(&k) {
        return Err(ExportError::BadK(k));
    }
    let dir = out.join(partition_name(date));
    if dir.exists() && !overwrite {
        return Err(ExportError::Exists { date: date.into(), path: dir });
    }
    Ok(dir)
}

fn crc_of(path: &Path) -> Result<(u64, String), ExportError> {
    let bytes = fs::read(path).map_err(io(path))?;
    Ok((bytes.len() as u64, format!("{:08x}", crc32fast::hash(&bytes))))
}

/// Test hook, compiled only with the `failpoints` feature: `KOLREC_FAILPOINT=export-fail-after-part=N`
/// fails the run after part N, `export-hang-after-part=N` hangs there until killed (creating the
/// file `KOLREC_FAILPOINT_REACHED` names, if set, once it hangs).
#[cfg(feature = "failpoints")]
fn failpoint(name: &str, parts_done: usize) -> Result<(), ExportError> {
    let Ok(v) = std::env::var("KOLREC_FAILPOINT") else { return Ok(()) };
    let Some((what, n)) = v.split_once('=') else { return Ok(()) };
    if n.parse::<usize>().ok() != Some(parts_done) {
        return Ok(());
    }
    match what {
        w if w == format!("{name}-fail-after-part") => Err(ExportError::Failpoint(v.clone())),
        w if w == format!("{name}-hang-after-part") => {
            // Tells a test that the run is now hung where it was asked to be.
            if let Ok(path) = std::env::var("KOLREC_FAILPOINT_REACHED") {
                let _ = fs::write(path, b"");
            }
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
        _ => Ok(()),
    }
}

#[cfg(not(feature = "failpoints"))]
#[inline(always)]
fn failpoint(_name: &str, _parts_done: usize) -> Result<(), ExportError> {
    Ok(())
}

/// Holds `_LOCK` in the partial directory for the run's lifetime.
struct Lock(PathBuf);

impl Lock {
    /// Create the lock exclusively (two runs cannot both succeed); a lock left by a process
    /// that is gone is removed first, once.
    fn take(path: PathBuf, date: &str) -> Result<Lock, ExportError> {
        for attempt in 0..2 {
            match fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    use std::io::Write as _;
                    f.write_all(std::process::id().to_string().as_bytes()).map_err(io(&path))?;
                    return Ok(Lock(path));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt == 0 => {
                    let holder = fs::read_to_string(&path).ok().and_then(|t| t.trim().parse::<u32>().ok());
                    if let Some(pid) = holder.filter(|&p| p != std::process::id() && crate::fsutil::pid_alive(p)) {
                        return Err(ExportError::Locked { date: date.into(), pid, lock: path });
                    }
                    // Stale (its process is gone, or it is ours from before): take it over.
                    let _ = fs::remove_file(&path);
                }
                Err(e) => return Err(io(&path)(e)),
            }
        }
        // Another run took the stale lock between our removal and our create.
        let pid = fs::read_to_string(&path).ok().and_then(|t| t.trim().parse::<u32>().ok()).unwrap_or(0);
        Err(ExportError::Locked { date: date.into(), pid, lock: path })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// What `run` did, for the summary.
pub struct ExportSummary {
    pub partition: PathBuf,
    pub manifest: ExportManifest,
}

impl<'a> ExportJob<'a> {
    /// Check the config, score growth as of the export date (or the data's last snapshot if that
    /// is earlier), and resolve every brand of `ds`.
    pub fn prepare(
        engine: &'a Engine,
        ds: &Dataset,
        data: &DataInfo,
        cfg: &ExportConfig,
    ) -> Result<ExportJob<'a>, ExportError> {
        let date = crate::parse::format_date(cfg.date);
        preflight(&cfg.out, &date, cfg.k, cfg.overwrite)?;
        if cfg.rows_per_file == 0 {
            return Err(ExportError::BadRowsPerFile);
        }
        let filter = engine.compile(&cfg.filters)?;
        let growth = match engine.growth_model() {
            Some(_) => {
                let last = ds.snapshots.last_date().unwrap_or(cfg.date);
                growth_scores(&engine.growth_by_id(ds, cfg.date.min(last))?, engine)
            }
            None => Growth::default(),
        };
        let brands = engine.brand_queries(&ds.brands);
        let record = RunRecord {
            format: EXPORT_FORMAT,
            kolrec_version: env!("CARGO_PKG_VERSION").into(),
            date,
            k: cfg.k,
            brands_per_part: (cfg.rows_per_file / cfg.k).max(1),
            path: cfg.path,
            filters: cfg.filters.clone(),
            model_crc32: engine.model_id().to_string(),
            ranker_crc32: engine.ranker_id().to_string(),
            data_fingerprint: data.fingerprint.clone(),
            growth_as_of: growth.as_of.clone(),
            brands: brands.len(),
        };
        Ok(ExportJob {
            engine,
            model_dir: engine.dir().map(Path::to_path_buf).unwrap_or_default(),
            data_dir: data.dir.clone(),
            brands,
            filter,
            growth,
            out: cfg.out.clone(),
            record,
            overwrite: cfg.overwrite,
            quiet: cfg.quiet,
        })
    }

    /// What the run computes (recorded in `_RUN.json`).
    pub fn record(&self) -> &RunRecord {
        &self.record
    }

    fn frame(&self, brands: &[BrandQuery], hits: &[Vec<Hit>]) -> DataFrame {
        let rows: usize = hits.iter().map(Vec::len).sum();
        let (model, catalog) = (self.engine.model(), self.engine.catalog());
        let c = &catalog.influencers;
        let mut brand_id = Vec::with_capacity(rows);
        let mut inf = Vec::with_capacity(rows);
        let mut rank = Vec::with_capacity(rows);
        let mut score = Vec::with_capacity(rows);
        let mut ctr = Vec::with_capacity(rows);
        let mut cpm = Vec::with_capacity(rows);
        let mut gp = Vec::with_capacity(rows);
        let mut susp = Vec::with_capacity(rows);
        let mut worked = Vec::with_capacity(rows);
        let mut past = Vec::with_capacity(rows);
        let mut cold = Vec::with_capacity(rows);
        for (q, hs) in brands.iter().zip(hits) {
            let w = q.query.brand.map_or(&[][..], |r| catalog.worked_with(r));
            for (r, h) in hs.iter().enumerate() {
                let i = h.item as usize;
                let (t, m) = model.predicted_ctr_cpm(h.score, model.efficiency_of(i));
                brand_id.push(q.id.as_str());
                inf.push(c.id[i].as_str());
                rank.push(r as u32 + 1);
                score.push(h.score);
                ctr.push(t);
                cpm.push(m);
                gp.push(self.growth.probability.get(i).copied().flatten());
                susp.push(self.growth.suspicious.get(i).copied().flatten());
                worked.push(w.binary_search(&h.item).is_ok());
                past.push(c.campaigns[i]);
                cold.push(q.is_cold());
            }
        }
        DataFrame::new_infer_height(vec![
            Column::new("brand_id".into(), brand_id),
            Column::new("influencer_id".into(), inf),
            Column::new("rank".into(), rank),
            Column::new("score".into(), score),
            Column::new("predicted_ctr".into(), ctr),
            Column::new("predicted_cpm".into(), cpm),
            Column::new("growth_probability".into(), gp),
            Column::new("suspicious_growth".into(), susp),
            Column::new("worked_with_brand".into(), worked),
            Column::new("past_campaigns".into(), past),
            Column::new("cold_brand".into(), cold),
        ])
        .expect("equal lengths")
    }

    pub fn run(self) -> Result<ExportSummary, ExportError> {
        let t0 = Instant::now();
        let r = &self.record;
        let final_dir = preflight(&self.out, &r.date, r.k, self.overwrite)?;
        let path = self.engine.batch_path(self.brands.len(), r.path)?;
        let partial = self.partial_dir();
        fs::create_dir_all(&partial).map_err(io(&partial))?;
        let _lock = Lock::take(partial.join("_LOCK"), &r.date)?;
        shard::refuse_running_shards(&partial, &r.date)?;
        self.claim_run(&partial, false)?;
        let work = self.compute_parts(&partial, path, |_| true)?;
        self.publish(&partial, &final_dir, path, work, t0.elapsed().as_secs_f64(), _lock)
    }

    fn partial_dir(&self) -> PathBuf {
        self.out.join(format!(".{}.partial", partition_name(&self.record.date)))
    }

    /// Make `_RUN.json` this run's record. A different (or unreadable) record means nothing in the
    /// directory is reusable: it is emptied (locks aside) unless `others_running`, when a
    /// different record is refused and a missing one is written beside the other shards' parts.
    fn claim_run(&self, partial: &Path, others_running: bool) -> Result<(), ExportError> {
        let r = &self.record;
        let run_file = partial.join("_RUN.json");
        let text = fs::read_to_string(&run_file).ok();
        let previous: Option<RunRecord> = text.as_deref().and_then(|t| serde_json::from_str(t).ok());
        if previous.as_ref() == Some(r) {
            return Ok(());
        }
        if others_running {
            if let Some(p) = &previous {
                return Err(ExportError::OtherRun { partial: partial.into(), field: shard::first_difference(p, r) });
            }
            if text.is_some() {
                // Unreadable while another shard runs: emptying the directory would pull its
                // parts from under it.
                return Err(ExportError::OtherRun {
                    partial: partial.into(),
                    field: "record (_RUN.json does not parse)".into(),
                });
            }
            let text = serde_json::to_string_pretty(r).expect("serialisable");
            return crate::fsutil::atomic_write(&run_file, text.as_bytes()).map_err(io(&run_file));
        }
        for e in fs::read_dir(partial).map_err(io(partial))? {
            let p = e.map_err(io(partial))?.path();
            if p.file_name().is_some_and(|n| !n.to_string_lossy().starts_with("_LOCK")) {
                fs::remove_file(&p).map_err(io(&p))?;
            }
        }
        if previous.is_some() && !self.quiet {
            eprintln!(
                "export: an unfinished run with other inputs was found in {}; starting afresh",
                partial.display()
            );
        }
        let text = serde_json::to_string_pretty(r).expect("serialisable");
        crate::fsutil::atomic_write(&run_file, text.as_bytes()).map_err(io(&run_file))
    }

    /// The parts of the run: the brands in ID order, `brands_per_part` to a part.
    fn parts(&self) -> Vec<&[BrandQuery]> {
        self.brands.chunks(self.record.brands_per_part).collect()
    }

    /// Compute (or keep, if an earlier run finished them) the parts `mine` selects.
    fn compute_parts(
        &self,
        partial: &Path,
        path: BatchPath,
        mine: impl Fn(usize) -> bool,
    ) -> Result<PartsDone, ExportError> {
        let r = &self.record;
        let chunks = self.parts();
        let todo: u64 = chunks.iter().enumerate().filter(|(p, _)| mine(*p)).map(|(_, b)| b.len() as u64).sum();
        let mut progress = Progress::new("export", todo, self.quiet);
        let mut done = PartsDone::default();
        for (p, brands) in chunks.iter().enumerate().filter(|(p, _)| mine(*p)) {
            let name = part_name(p);
            let file = partial.join(&name);
            // A finished part of an earlier run is read back; a damaged one (a disk error, an
            // edit) is said and recomputed, so that a rerun does not fail the same way forever.
            let kept = if file.exists() {
                match crate::table::read(&file) {
                    Ok(t) if t.frame.width() == COLUMNS.len() => Some(t.frame.height()),
                    bad => {
                        let why = match bad {
                            Err(e) => e.to_string(),
                            Ok(t) => format!("{} columns where an export part has {}", t.frame.width(), COLUMNS.len()),
                        };
                        if !self.quiet {
                            eprintln!("export: {name} of the unfinished run is damaged ({why}); recomputing it");
                        }
                        fs::remove_file(&file).map_err(io(&file))?;
                        None
                    }
                }
            } else {
                None
            };
            let rows = if let Some(rows) = kept {
                done.resumed += 1;
                rows
            } else {
                let t = Instant::now();
                let hits = self.engine.batch_top_k(brands, r.k, &self.filter, path);
                done.scoring += t.elapsed().as_secs_f64();
                let mut frame = self.frame(brands, &hits);
                crate::table::write(&mut frame, &file)?;
                frame.height()
            };
            let (bytes, crc32) = crc_of(&file)?;
            done.files.push(PartEntry { file: name, rows, brands: brands.len(), bytes, crc32 });
            progress.inc(brands.len() as u64);
            failpoint("export", done.files.len())?;
        }
        progress.finish();
        Ok(done)
    }

    /// Write `_MANIFEST.json` and `_SUCCESS` for the finished parts and publish the partition.
    fn publish(
        self,
        partial: &Path,
        final_dir: &Path,
        path: BatchPath,
        done: PartsDone,
        seconds: f64,
        lock: Lock,
    ) -> Result<ExportSummary, ExportError> {
        let r = &self.record;
        // Leftovers of a killed writer (temp files, shards' records) must not end up in the
        // partition.
        let keep: Vec<&str> = done.files.iter().map(|f| f.file.as_str()).chain(["_LOCK", "_RUN.json"]).collect();
        for e in fs::read_dir(partial).map_err(io(partial))? {
            let p = e.map_err(io(partial))?.path();
            if !p.file_name().is_some_and(|n| keep.contains(&n.to_string_lossy().as_ref())) {
                fs::remove_file(&p).map_err(io(&p))?;
            }
        }
        let rows: usize = done.files.iter().map(|f| f.rows).sum();
        let manifest = ExportManifest {
            run: r.clone(),
            model_dir: self.model_dir.display().to_string(),
            data_dir: self.data_dir.clone(),
            scoring_path: path,
            rows,
            cold_brands: self.brands.iter().filter(|b| b.is_cold()).count(),
            creators: self.engine.catalog().len(),
            columns: COLUMNS.iter().map(|c| c.to_string()).collect(),
            files: done.files,
            parts_resumed: done.resumed,
            seconds_scoring: done.scoring,
            seconds_total: seconds,
            rows_per_second: rows as f64 / seconds.max(1e-9),
        };
        let mpath = partial.join("_MANIFEST.json");
        let text = serde_json::to_string_pretty(&manifest).expect("serialisable");
        crate::fsutil::atomic_write(&mpath, text.as_bytes()).map_err(io(&mpath))?;
        let success = partial.join("_SUCCESS");
        crate::fsutil::atomic_write(&success, b"").map_err(io(&success))?;
        let run_file = partial.join("_RUN.json");
        fs::remove_file(&run_file).map_err(io(&run_file))?;
        drop(lock);
        if final_dir.exists() {
            let old = self.out.join(format!(".{}.old-{}", partition_name(&r.date), std::process::id()));
            fs::rename(final_dir, &old).map_err(io(final_dir))?;
            fs::rename(partial, final_dir).map_err(io(final_dir))?;
            fs::remove_dir_all(&old).map_err(io(&old))?;
        } else {
            fs::rename(partial, final_dir).map_err(io(final_dir))?;
        }
        crate::fsutil::remove_stale_siblings(final_dir);
        Ok(ExportSummary { partition: final_dir.into(), manifest })
    }
}

/// The parts a run computed or kept.
#[derive(Default)]
pub(crate) struct PartsDone {
    pub files: Vec<PartEntry>,
    pub resumed: usize,
    pub scoring: f64,
}

fn part_name(p: usize) -> String {
    format!("part-{p:05}.parquet")
}

/// Growth scores of the model's creators (creators the growth model cannot score, or that the
/// data does not have, stay empty).
pub fn growth_scores(by_id: &GrowthById, engine: &Engine) -> Growth {
    let model = engine.model();
    let n = model.influencer_ids.len();
    let mut out = Growth { probability: vec![None; n], suspicious: vec![None; n], as_of: Some(by_id.1.clone()) };
    for (i, id) in model.influencer_ids.iter().enumerate() {
        if let Some((p, flag, _)) = by_id.0.get(id) {
            out.probability[i] = Some(*p);
            out.suspicious[i] = Some(*flag);
        }
    }
    out
}

/// Days since the epoch of today (UTC).
pub fn today() -> i32 {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    (secs / 86_400) as i32
}

#[cfg(test)]
mod lock_tests {
    use super::*;

    #[test]
    fn the_lock_is_exclusive_and_a_stale_one_is_taken_over() {
        let dir = std::env::temp_dir().join(format!("kolrec-lock-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("_LOCK");
        // Held by a live process (pid 1 always runs).
        fs::write(&path, "1").unwrap();
        assert!(matches!(Lock::take(path.clone(), "2025-01-01"), Err(ExportError::Locked { pid: 1, .. })));
        // Left by a process that is gone (above any pid_max).
        fs::write(&path, "4999999").unwrap();
        let held = Lock::take(path.clone(), "2025-01-01").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), std::process::id().to_string());
        drop(held);
        assert!(!path.exists(), "released on drop");
        fs::remove_dir_all(&dir).unwrap();
    }
}
