//! What a running server holds: the serving model (swapped atomically on reload), the data the
//! growth routes read, the in-flight slots, the readiness flag and the metrics.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwapOption;
use tokio::sync::Semaphore;

use super::ServeConfig;
use super::metrics::Metrics;
use crate::dataset::Dataset;
use crate::engine::{Engine, GrowthById, OpenOptions};
use crate::growth::Scored;

/// Growth scores of every creator of the data, as of its last snapshot, computed once per model.
pub struct GrowthTable {
    pub as_of: String,
    pub scored: HashMap<String, Scored>,
    /// Creators of the data without a score, and why.
    pub unscored: HashMap<String, String>,
}

impl GrowthTable {
    /// The scores of `ids` in the form the engine's list scoring joins.
    pub fn by_id<'a>(&self, ids: impl Iterator<Item = &'a str>) -> GrowthById {
        let map = ids
            .filter_map(|id| self.scored.get(id))
            .map(|s| {
                let why = if s.suspicious_growth { s.reason.clone() } else { String::new() };
                (s.influencer_id.clone(), (s.probability, s.suspicious_growth, why))
            })
            .collect();
        (map, self.as_of.clone())
    }
}

/// One loaded, verified model and what was computed from it.
pub struct Serving {
    pub engine: Engine,
    pub growth: Option<GrowthTable>,
    /// Unix seconds when it started serving.
    pub loaded_at: u64,
    pub load_seconds: f64,
}

impl Serving {
    /// Open `dir` (every file checked against its manifest) and score growth from `data`.
    pub fn load(dir: &Path, data: Option<&Dataset>, candidates: Option<usize>) -> anyhow::Result<Serving> {
        let t0 = Instant::now();
        super::failpoint_sleep("serve-slow-load");
        let mut engine = Engine::open(dir, &OpenOptions::default())?;
        engine.set_candidates(candidates);
        let growth = match data {
            Some(ds) if engine.growth_model().is_some() => {
                let day = Engine::last_snapshot(ds)?;
                let s = engine.growth(ds, day, None, 0)?;
                Some(GrowthTable {
                    as_of: s.as_of,
                    scored: s.scored.into_iter().map(|r| (r.influencer_id.clone(), r)).collect(),
                    unscored: s.unscored.into_iter().collect(),
                })
            }
            _ => None,
        };
        let loaded_at = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Ok(Serving { engine, growth, loaded_at, load_seconds: t0.elapsed().as_secs_f64() })
    }
}

/// The outcome of a reload that swapped a model in.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Reloaded {
    pub previous_model_id: Option<String>,
    pub model_id: String,
    pub model_dir: String,
    pub seconds: f64,
}

pub struct AppState {
    pub config: ServeConfig,
    current: ArcSwapOption<Serving>,
    model_dir: Mutex<PathBuf>,
    data: ArcSwapOption<Dataset>,
    /// One reload at a time; a second gets 409.
    reloading: tokio::sync::Mutex<()>,
    draining: AtomicBool,
    pub slots: Arc<Semaphore>,
    pub metrics: Metrics,
}

impl AppState {
    pub fn new(config: ServeConfig) -> AppState {
        AppState {
            model_dir: Mutex::new(config.model.clone()),
            slots: Arc::new(Semaphore::new(config.max_in_flight)),
            config,
            current: ArcSwapOption::empty(),
            data: ArcSwapOption::empty(),
            reloading: tokio::sync::Mutex::new(()),
            draining: AtomicBool::new(false),
            metrics: Metrics::new(),
        }
    }

    /// The serving model, if one is loaded; a request keeps the one it got to the end.
    pub fn serving(&self) -> Option<Arc<Serving>> {
        self.current.load_full()
    }

    pub fn data(&self) -> Option<Arc<Dataset>> {
        self.data.load_full()
    }

    pub fn set_data(&self, data: Option<Arc<Dataset>>) {
        self.data.store(data);
    }

    pub fn model_dir(&self) -> PathBuf {
        self.model_dir.lock().expect("model_dir lock").clone()
    }

    /// Ready: a model is loaded and the server is not draining.
    pub fn ready(&self) -> bool {
        !self.draining.load(Ordering::SeqCst) && self.current.load().is_some()
    }

    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Load `dir` (default: the current model directory) beside the serving model and swap it in
    /// once it has opened and verified; the old model keeps serving if it fails.
    /// `Err(None)` means another reload is running.
    pub async fn try_reload(&self, dir: Option<PathBuf>, why: &'static str) -> Result<Reloaded, Option<anyhow::Error>> {
        let Ok(_one) = self.reloading.try_lock() else {
            return Err(None);
        };
        let dir = dir.unwrap_or_else(|| self.model_dir());
        let (data, candidates) = (self.data(), self.config.candidates);
        let target = dir.clone();
        let loaded = tokio::task::spawn_blocking(move || Serving::load(&target, data.as_deref(), candidates))
            .await
            .map_err(|e| anyhow::anyhow!("the load panicked: {e}"));
        let new = match loaded.and_then(|r| r) {
            Ok(s) => s,
            Err(e) => {
                self.metrics.reloaded(false);
                eprintln!(
                    "kolrec serve: {why} reload of {} refused, the old model keeps serving: {e:#}",
                    dir.display()
                );
                return Err(Some(e));
            }
        };
        let reloaded = Reloaded {
            previous_model_id: self.serving().map(|s| s.engine.model_id().to_string()),
            model_id: new.engine.model_id().to_string(),
            model_dir: dir.display().to_string(),
            seconds: new.load_seconds,
        };
        self.metrics.serving(&reloaded.model_id);
        self.current.store(Some(Arc::new(new)));
        *self.model_dir.lock().expect("model_dir lock") = dir;
        self.metrics.reloaded(true);
        eprintln!(
            "kolrec serve: {why}: serving model {} from {} (loaded in {:.2}s)",
            reloaded.model_id, reloaded.model_dir, reloaded.seconds
        );
        Ok(reloaded)
    }

    /// [`AppState::try_reload`] where a concurrent reload is an error like any other.
    pub async fn reload(&self, dir: Option<PathBuf>, why: &'static str) -> anyhow::Result<Reloaded> {
        self.try_reload(dir, why).await.map_err(|e| e.unwrap_or_else(|| anyhow::anyhow!("a reload is already running")))
    }
}
