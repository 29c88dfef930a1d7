//! Sharded export: `Shard` I/N computes the parts whose first brand ID hashes to I into the date's
//! partial directory, under its own lock, resumable and idempotent on its own, and records what
//! it did in `_SHARD-I-of-N.json`; `finalize` checks that all N shards finished with this run's
//! inputs and publishes the partition exactly as a single run would (the same parts, byte for
//! byte, and the same manifest but for timings). Shards share nothing but the directory, so any
//! engine that can run N commands (Dask, Spark, a batch scheduler) can run them.

use std::fs;
use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::{ExportError, ExportJob, ExportSummary, Lock, PartEntry, PartsDone, RunRecord, io, part_name, preflight};

/// Shard `index` of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = ExportError;
    fn from_str(s: &str) -> Result<Shard, ExportError> {
        let bad = || ExportError::BadShard(s.into());
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        Shard::new(index, count).ok_or_else(bad)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    pub fn new(index: usize, count: usize) -> Option<Shard> {
        ((1..=10_000).contains(&count) && index < count).then_some(Shard { index, count })
    }

    /// A part belongs to the shard its first brand ID hashes to (CRC-32: stable across
    /// machines, versions and runs, unlike the standard library's hasher).
    pub fn owns(&self, first_brand: &str) -> bool {
        crc32fast::hash(first_brand.as_bytes()) as usize % self.count == self.index
    }

    fn marker(&self) -> String {
        format!("_SHARD-{}-of-{}.json", self.index, self.count)
    }

    fn lock(&self) -> String {
        format!("_LOCK.shard-{}-of-{}", self.index, self.count)
    }
}

/// `_SHARD-I-of-N.json`: a finished shard's parts, written last.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct ShardRecord {
    run: RunRecord,
    shard: Shard,
    files: Vec<PartEntry>,
    parts_resumed: usize,
    seconds_scoring: f64,
    seconds_total: f64,
}

/// What one shard did.
pub struct ShardSummary {
    pub partial: std::path::PathBuf,
    pub shard: Shard,
    pub parts: usize,
    pub parts_resumed: usize,
    pub rows: usize,
    pub seconds: f64,
}

impl ExportJob<'_> {
    /// Compute this shard's parts. A partition already published for the date is refused unless
    /// the run overwrites; a single-machine run or a finalize in progress is refused.
    pub fn run_shard(self, shard: Shard) -> Result<ShardSummary, ExportError> {
        let t0 = Instant::now();
        let r = &self.record;
        preflight(&self.out, &r.date, r.k, self.overwrite)?;
        let path = self.engine.batch_path(self.brands.len(), r.path)?;
        let partial = self.partial_dir();
        fs::create_dir_all(&partial).map_err(io(&partial))?;
        let _lock = Lock::take(partial.join(shard.lock()), &r.date)?;
        if let Some(pid) = live_holder(&partial.join("_LOCK")) {
            return Err(ExportError::Locked { date: r.date.clone(), pid, lock: partial.join("_LOCK") });
        }
        let others = !running_shards(&partial).is_empty();
        self.claim_run(&partial, others)?;
        let marker = partial.join(shard.marker());
        let _ = fs::remove_file(&marker);
        let firsts: Vec<&str> = self.parts().iter().map(|b| b[0].id.as_str()).collect();
        let done = self.compute_parts(&partial, path, |p| shard.owns(firsts[p]))?;
        let rec = ShardRecord {
            run: r.clone(),
            shard,
            parts_resumed: done.resumed,
            seconds_scoring: done.scoring,
            seconds_total: t0.elapsed().as_secs_f64(),
            files: done.files,
        };
        let text = serde_json::to_string_pretty(&rec).expect("serialisable");
        crate::fsutil::atomic_write(&marker, text.as_bytes()).map_err(io(&marker))?;
        Ok(ShardSummary {
            partial,
            shard,
            parts: rec.files.len(),
            parts_resumed: rec.parts_resumed,
            rows: rec.files.iter().map(|f| f.rows).sum(),
            seconds: rec.seconds_total,
        })
    }

    /// Check that shards 0..`count` all finished with this run's record and exactly their parts,
    /// each part as they recorded it, then publish the partition. Nothing is published otherwise.
    pub fn finalize(self, count: usize) -> Result<ExportSummary, ExportError> {
        let t0 = Instant::now();
        let r = self.record.clone();
        let shard0 = Shard::new(0, count).ok_or_else(|| ExportError::BadShard(format!("0/{count}")))?;
        let final_dir = preflight(&self.out, &r.date, r.k, self.overwrite)?;
        let path = self.engine.batch_path(self.brands.len(), r.path)?;
        let partial = self.partial_dir();
        if !partial.is_dir() {
            return Err(ExportError::ShardMissing { shard: shard0.to_string(), marker: shard0.marker(), partial });
        }
        let lock = Lock::take(partial.join("_LOCK"), &r.date)?;
        refuse_running_shards(&partial, &r.date)?;
        // Markers of another shard count mean the shards were not one run.
        for e in fs::read_dir(&partial).map_err(io(&partial))? {
            let name = e.map_err(io(&partial))?.file_name().to_string_lossy().into_owned();
            if let Some(n) = name.strip_suffix(".json").and_then(|n| n.strip_prefix("_SHARD-"))
                && !n.ends_with(&format!("-of-{count}"))
            {
                return Err(ExportError::ShardMismatch {
                    shard: n.replace("-of-", "/"),
                    field: format!("shard count (not {count})"),
                    partial,
                });
            }
        }
        let firsts: Vec<String> = self.parts().iter().map(|b| b[0].id.clone()).collect();
        let mut files: Vec<Option<PartEntry>> = vec![None; firsts.len()];
        let mut done = PartsDone::default();
        let mut seconds = 0.0;
        for index in 0..count {
            let shard = Shard { index, count };
            let (name, marker) = (shard.to_string(), partial.join(shard.marker()));
            let damaged =
                |problem: String| ExportError::ShardDamaged { shard: name.clone(), problem, partial: partial.clone() };
            let text = match fs::read_to_string(&marker) {
                Ok(t) => t,
                Err(_) => return Err(ExportError::ShardMissing { shard: name, marker: shard.marker(), partial }),
            };
            let rec: ShardRecord =
                serde_json::from_str(&text).map_err(|e| damaged(format!("{} does not parse: {e}", shard.marker())))?;
            if rec.run != r {
                return Err(ExportError::ShardMismatch { shard: name, field: first_difference(&rec.run, &r), partial });
            }
            let expected: Vec<String> = (0..firsts.len()).filter(|&p| shard.owns(&firsts[p])).map(part_name).collect();
            let recorded: Vec<String> = rec.files.iter().map(|f| f.file.clone()).collect();
            if rec.shard != shard || recorded != expected {
                return Err(damaged(format!("it recorded parts {recorded:?} where shard {name} has {expected:?}")));
            }
            for f in rec.files {
                let (bytes, crc32) =
                    super::crc_of(&partial.join(&f.file)).map_err(|e| damaged(format!("{}: {e}", f.file)))?;
                if (bytes, crc32.as_str()) != (f.bytes, f.crc32.as_str()) {
                    return Err(damaged(format!("{} changed after the shard wrote it", f.file)));
                }
                let p: usize = f.file["part-".len().."part-".len() + 5].parse().expect("part names are ours");
                files[p] = Some(f);
            }
            done.resumed += rec.parts_resumed;
            done.scoring += rec.seconds_scoring;
            seconds += rec.seconds_total;
        }
        done.files = files.into_iter().map(|f| f.expect("every part has its shard")).collect();
        self.publish(&partial, &final_dir, path, done, seconds + t0.elapsed().as_secs_f64(), lock)
    }
}

/// The pid holding a lock file, if that process is alive (and not this one).
fn live_holder(lock: &Path) -> Option<u32> {
    let pid = fs::read_to_string(lock).ok()?.trim().parse::<u32>().ok()?;
    (pid != std::process::id() && crate::fsutil::pid_alive(pid)).then_some(pid)
}

/// Shards whose lock is held by a live process: (shard, pid).
fn running_shards(partial: &Path) -> Vec<(String, u32)> {
    let Ok(dir) = fs::read_dir(partial) else { return Vec::new() };
    dir.filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let shard = name.strip_prefix("_LOCK.shard-")?.replace("-of-", "/");
            live_holder(&e.path()).map(|pid| (shard, pid))
        })
        .collect()
}

/// A run that replaces or publishes the directory must not pull it from under a running shard.
pub(super) fn refuse_running_shards(partial: &Path, date: &str) -> Result<(), ExportError> {
    match running_shards(partial).into_iter().next() {
        Some((shard, pid)) => Err(ExportError::ShardRunning { shard, date: date.into(), pid }),
        None => Ok(()),
    }
}

/// The first field in which two runs differ, with both values, for a message.
pub(super) fn first_difference(found: &RunRecord, expected: &RunRecord) -> String {
    let (a, b) =
        (serde_json::to_value(found).expect("serialisable"), serde_json::to_value(expected).expect("serialisable"));
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else { return "record".into() };
    b.iter()
        .find(|(k, v)| a.get(*k) != Some(*v))
        .map(|(k, v)| format!("{k} ({} where this run has {v})", a.get(k).map_or("nothing".into(), |x| x.to_string())))
        .unwrap_or_else(|| "record".into())
}
