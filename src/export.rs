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
//!
//! Scoring path: the exact blocked matrix multiply (`ndarray`'s sgemm over tiles of brands ×
//! creators, a running top-k per brand) when `brands × creators × dim ≤ EXACT_BUDGET`, the HNSW
//! index (re-scored exactly) otherwise. Both return the model's inner products.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ndarray::ArrayView2;
use polars::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::affinity::AffinityModel;
use crate::catalog::Catalog;
use crate::contract::Objective;
use crate::index::{Hit, HnswIndex, TopK};
use crate::progress::Progress;

/// Multiply-adds of the exact path's budget: 20,000 brands × 1,000,000 creators × 66 dims is
/// 1.3·10¹²; above 4·10¹² the index answers (see README "Nightly export" for the measurements).
pub const EXACT_BUDGET: f64 = 4e12;
/// Brands per tile of the exact path, and creators per tile.
const BRAND_TILE: usize = 64;
const CREATOR_TILE: usize = 8192;
pub const EXPORT_FORMAT: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("k must be between 1 and 10000, got {0}")]
    BadK(usize),
    #[error("rows per file must be at least 1")]
    BadRowsPerFile,
    #[error(
        "an export for {date} already exists at {}; pass --overwrite to replace it",
        path.display()
    )]
    Exists { date: String, path: PathBuf },
    #[error(
        "another export for {date} is running (pid {pid}, lock {}); if it is not, delete the lock",
        lock.display()
    )]
    Locked { date: String, pid: u32, lock: PathBuf },
    #[error("the scoring path 'index' needs an ANN index in {}: run `kolrec index --model DIR`", dir.display())]
    NoIndex { dir: PathBuf },
    #[error("writing {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Table(#[from] crate::table::TableError),
    #[error("failpoint {0} reached (KOLREC_FAILPOINT, for tests)")]
    Failpoint(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io { path: path.into(), source }
}

/// How brands are matched to creators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum PathChoice {
    /// Exact when `brands × creators × dim ≤ EXACT_BUDGET`, else the index.
    Auto,
    Exact,
    Index,
}

/// One brand to export: its ID, query vector, and model row (`None`: cold, embedded from features).
pub struct BrandQuery {
    pub id: String,
    pub vector: Vec<f32>,
    pub row: Option<usize>,
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
    pub path: PathChoice,
    pub exclude_worked: bool,
    pub model_crc32: String,
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
    pub scoring_path: PathChoice,
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

pub struct ExportJob<'a> {
    pub model: &'a AffinityModel,
    pub catalog: &'a Catalog,
    pub index: Option<&'a HnswIndex>,
    pub model_dir: &'a Path,
    pub data_dir: &'a Path,
    pub brands: Vec<BrandQuery>,
    pub growth: Growth,
    pub out: &'a Path,
    pub record: RunRecord,
    pub overwrite: bool,
    pub quiet: bool,
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

/// Exact top-k of each brand in `queries` over all creators, skipping `skip(b, i)`.
pub fn exact_top_k(
    queries: &[&[f32]],
    creators: &[f32],
    dim: usize,
    k: usize,
    skip: &(dyn Fn(usize, u32) -> bool + Sync),
) -> Vec<Vec<Hit>> {
    let n = creators.len() / dim;
    queries
        .par_chunks(BRAND_TILE)
        .enumerate()
        .flat_map_iter(|(t, block)| {
            let flat: Vec<f32> = block.iter().flat_map(|q| q.iter().copied()).collect();
            let b = ArrayView2::from_shape((block.len(), dim), &flat).expect("brands × dim");
            let mut tops: Vec<TopK> = (0..block.len()).map(|_| TopK::new(k)).collect();
            let mut from = 0;
            while from < n {
                let to = (from + CREATOR_TILE).min(n);
                let c = ArrayView2::from_shape((to - from, dim), &creators[from * dim..to * dim]).expect("tile × dim");
                let scores = b.dot(&c.t());
                for (j, row) in scores.outer_iter().enumerate() {
                    let brand = t * BRAND_TILE + j;
                    let top = &mut tops[j];
                    for (o, &s) in row.iter().enumerate() {
                        let i = (from + o) as u32;
                        if !skip(brand, i) {
                            top.push(Hit { item: i, score: s });
                        }
                    }
                }
                from = to;
            }
            tops.into_iter().map(TopK::into_sorted).collect::<Vec<_>>()
        })
        .collect()
}

/// The model's predicted click-through rate and CPM of a brand–creator pair. The score is
/// `match + e_i`, with `match` the learned log ratio of the pair's rate to the market's and `e_i`
/// the creator's log impressions per unit cost relative to the market's (see `affinity::outcome`).
pub fn predicted_ctr_cpm(model: &AffinityModel, score: f32, creator: usize) -> (Option<f32>, f32) {
    predicted_ctr_cpm_with(model, score, model.efficiency.offsets.get(creator).copied().unwrap_or(0.0))
}

/// `predicted_ctr_cpm` for a creator whose cost-efficiency offset `e` is given (a new creator's
/// comes from its quote).
pub fn predicted_ctr_cpm_with(model: &AffinityModel, score: f32, e: f32) -> (Option<f32>, f32) {
    let e = f64::from(e);
    let cpm = 1000.0 * (-model.efficiency.ln_ipc0 - e).exp();
    let ctr = (model.market.objective == Objective::Engagement)
        .then(|| (model.market.ctr * (f64::from(score) - e).exp()).min(1.0) as f32);
    (ctr, cpm as f32)
}

fn crc_of(path: &Path) -> Result<(u64, String), ExportError> {
    let bytes = fs::read(path).map_err(io(path))?;
    Ok((bytes.len() as u64, format!("{:08x}", crc32fast::hash(&bytes))))
}

fn failpoint(name: &str, parts_done: usize) -> Result<(), ExportError> {
    let Ok(v) = std::env::var("KOLREC_FAILPOINT") else { return Ok(()) };
    let Some((what, n)) = v.split_once('=') else { return Ok(()) };
    if n.parse::<usize>().ok() != Some(parts_done) {
        return Ok(());
    }
    match what {
        w if w == format!("{name}-fail-after-part") => Err(ExportError::Failpoint(v.clone())),
        // A hang that only a kill ends: the resume test kills the process here.
        w if w == format!("{name}-hang-after-part") => loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        },
        _ => Ok(()),
    }
}

fn pid_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Holds `_LOCK` in the partial directory for the run's lifetime.
struct Lock(PathBuf);

impl Lock {
    fn take(path: PathBuf, date: &str) -> Result<Lock, ExportError> {
        if let Ok(text) = fs::read_to_string(&path)
            && let Ok(pid) = text.trim().parse::<u32>()
            && pid != std::process::id()
            && pid_alive(pid)
        {
            return Err(ExportError::Locked { date: date.into(), pid, lock: path });
        }
        fs::write(&path, std::process::id().to_string()).map_err(io(&path))?;
        Ok(Lock(path))
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

impl ExportJob<'_> {
    fn scoring_path(&self) -> Result<PathChoice, ExportError> {
        let work = self.brands.len() as f64 * self.catalog.len() as f64 * self.model.dim() as f64;
        let path = match self.record.path {
            PathChoice::Auto if work <= EXACT_BUDGET || self.index.is_none() => PathChoice::Exact,
            PathChoice::Auto => PathChoice::Index,
            p => p,
        };
        if path == PathChoice::Index && self.index.is_none() {
            return Err(ExportError::NoIndex { dir: self.model_dir.into() });
        }
        Ok(path)
    }

    fn top_k(&self, brands: &[BrandQuery], path: PathChoice) -> Vec<Vec<Hit>> {
        let (k, dim) = (self.record.k, self.model.dim());
        let worked = |b: usize| brands[b].row.map_or(&[][..], |r| self.catalog.worked_with(r));
        let skip = |b: usize, i: u32| self.record.exclude_worked && worked(b).binary_search(&i).is_ok();
        match (path, self.index) {
            (PathChoice::Index, Some(index)) => {
                let exact = crate::index::ExactIndex::new(&self.model.influencer_vectors, dim);
                let ef = index.params().ef_search.max(2 * k);
                brands
                    .par_iter()
                    .enumerate()
                    .map(|(b, q)| {
                        let allowed = |i: u32| !skip(b, i);
                        let hits = index.search_ef(&q.vector, k, ef, Some(&allowed));
                        // Exact scores and the exact tie order, as the exact path gives.
                        exact.search_among(&q.vector, k, hits.iter().map(|h| h.item))
                    })
                    .collect()
            }
            _ => {
                let queries: Vec<&[f32]> = brands.iter().map(|q| q.vector.as_slice()).collect();
                exact_top_k(&queries, &self.model.influencer_vectors, dim, k, &skip)
            }
        }
    }

    fn frame(&self, brands: &[BrandQuery], hits: &[Vec<Hit>]) -> DataFrame {
        let rows: usize = hits.iter().map(Vec::len).sum();
        let c = &self.catalog.influencers;
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
            let w = q.row.map_or(&[][..], |r| self.catalog.worked_with(r));
            for (r, h) in hs.iter().enumerate() {
                let i = h.item as usize;
                let (t, m) = predicted_ctr_cpm(self.model, h.score, i);
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
                cold.push(q.row.is_none());
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
        if r.brands_per_part == 0 {
            return Err(ExportError::BadRowsPerFile);
        }
        let final_dir = preflight(self.out, &r.date, r.k, self.overwrite)?;
        let path = self.scoring_path()?;
        let partial = self.out.join(format!(".{}.partial", partition_name(&r.date)));
        fs::create_dir_all(&partial).map_err(io(&partial))?;
        let _lock = Lock::take(partial.join("_LOCK"), &r.date)?;
        let run_file = partial.join("_RUN.json");
        let previous: Option<RunRecord> =
            fs::read_to_string(&run_file).ok().and_then(|t| serde_json::from_str(&t).ok());
        if previous.as_ref() != Some(r) {
            // A different (or unreadable) run: nothing in the directory is reusable.
            for e in fs::read_dir(&partial).map_err(io(&partial))? {
                let p = e.map_err(io(&partial))?.path();
                if p.file_name().is_some_and(|n| n != "_LOCK") {
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
            crate::fsutil::atomic_write(&run_file, text.as_bytes()).map_err(io(&run_file))?;
        }

        let chunks: Vec<&[BrandQuery]> = self.brands.chunks(r.brands_per_part).collect();
        let mut progress = Progress::new("export", self.brands.len() as u64, self.quiet);
        let (mut resumed, mut scoring) = (0, 0.0);
        let mut files = Vec::with_capacity(chunks.len());
        for (p, brands) in chunks.iter().enumerate() {
            let name = format!("part-{p:05}.parquet");
            let file = partial.join(&name);
            let rows = if file.exists() {
                // A finished part of an earlier run: read back, so a damaged one fails here.
                resumed += 1;
                crate::table::read(&file)?.frame.height()
            } else {
                let t = Instant::now();
                let hits = self.top_k(brands, path);
                scoring += t.elapsed().as_secs_f64();
                let mut frame = self.frame(brands, &hits);
                crate::table::write(&mut frame, &file)?;
                frame.height()
            };
            let (bytes, crc32) = crc_of(&file)?;
            files.push(PartEntry { file: name, rows, brands: brands.len(), bytes, crc32 });
            progress.inc(brands.len() as u64);
            failpoint("export", p + 1)?;
        }
        progress.finish();
        // Leftovers of a killed writer (temp files) must not end up in the partition.
        let keep: Vec<&str> = files.iter().map(|f| f.file.as_str()).chain(["_RUN.json", "_LOCK"]).collect();
        for e in fs::read_dir(&partial).map_err(io(&partial))? {
            let p = e.map_err(io(&partial))?.path();
            if !p.file_name().is_some_and(|n| keep.contains(&n.to_string_lossy().as_ref())) {
                fs::remove_file(&p).map_err(io(&p))?;
            }
        }
        let rows: usize = files.iter().map(|f| f.rows).sum();
        let total = t0.elapsed().as_secs_f64();
        let manifest = ExportManifest {
            run: r.clone(),
            model_dir: self.model_dir.display().to_string(),
            data_dir: self.data_dir.display().to_string(),
            scoring_path: path,
            rows,
            cold_brands: self.brands.iter().filter(|b| b.row.is_none()).count(),
            creators: self.catalog.len(),
            columns: COLUMNS.iter().map(|c| c.to_string()).collect(),
            files,
            parts_resumed: resumed,
            seconds_scoring: scoring,
            seconds_total: total,
            rows_per_second: rows as f64 / total.max(1e-9),
        };
        let mpath = partial.join("_MANIFEST.json");
        let text = serde_json::to_string_pretty(&manifest).expect("serialisable");
        crate::fsutil::atomic_write(&mpath, text.as_bytes()).map_err(io(&mpath))?;
        let success = partial.join("_SUCCESS");
        crate::fsutil::atomic_write(&success, b"").map_err(io(&success))?;
        fs::remove_file(&run_file).map_err(io(&run_file))?;
        drop(_lock);
        if final_dir.exists() {
            let old = self.out.join(format!(".{}.old-{}", partition_name(&r.date), std::process::id()));
            fs::rename(&final_dir, &old).map_err(io(&final_dir))?;
            fs::rename(&partial, &final_dir).map_err(io(&final_dir))?;
            fs::remove_dir_all(&old).map_err(io(&old))?;
        } else {
            fs::rename(&partial, &final_dir).map_err(io(&final_dir))?;
        }
        Ok(ExportSummary { partition: final_dir, manifest })
    }
}

/// Every brand of the data, sorted by ID: trained brands use their model vector, the others
/// (arrived after training) are embedded from their features as cold brands.
pub fn brand_queries(model: &AffinityModel, brands: &crate::dataset::Brands) -> Vec<BrandQuery> {
    let rows = model.brand_index();
    let cold = model.embed_brands(brands);
    let d = model.dim();
    let mut out: Vec<BrandQuery> = (0..brands.len())
        .map(|b| {
            let row = rows.get(brands.id[b].as_str()).copied();
            let vector = match row {
                Some(r) => model.brand_vector(r).to_vec(),
                None => cold[b * d..(b + 1) * d].to_vec(),
            };
            BrandQuery { id: brands.id[b].clone(), vector, row }
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// Growth scores of the model's creators (creators the growth model cannot score, or that the
/// data does not have, stay empty).
pub fn growth_scores(by_id: &crate::score::GrowthById, model: &AffinityModel) -> Growth {
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
mod tests {
    use super::*;
    use crate::index::MipsIndex;
    use rand::{Rng, SeedableRng};

    #[test]
    fn the_blocked_exact_top_k_equals_a_plain_scan() {
        let (dim, n, k) = (5, 20_000, 7);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let creators: Vec<f32> = (0..n * dim).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let queries: Vec<Vec<f32>> = (0..70).map(|_| (0..dim).map(|_| rng.gen_range(-1.0..1.0)).collect()).collect();
        let refs: Vec<&[f32]> = queries.iter().map(Vec::as_slice).collect();
        // Brand 3 may not see creators below 100.
        let skip = |b: usize, i: u32| b == 3 && i < 100;
        let got = exact_top_k(&refs, &creators, dim, k, &skip);
        let exact = crate::index::ExactIndex::new(&creators, dim);
        for (b, q) in refs.iter().enumerate() {
            let want = if b == 3 { exact.search_among(q, k, 100..n as u32) } else { exact.search(q, k, None) };
            let items = |v: &[Hit]| v.iter().map(|h| h.item).collect::<Vec<_>>();
            assert_eq!(items(&got[b]), items(&want), "brand {b}");
            for (g, w) in got[b].iter().zip(&want) {
                assert!((g.score - w.score).abs() < 1e-4);
            }
        }
    }
}
