//! Training a model directory from a loaded dataset: the affinity model on every campaign row,
//! the serving catalogue, the learned ranker (stage 2), the growth model (skipped, with a warning, when the snapshots cannot
//! train one), and the ANN index — each file written before the manifest names it.

use std::path::Path;

use crate::affinity::{AffinityError, AffinityModel, AffinityParams, Tracking};
use crate::catalog::Catalog;
use crate::dataset::Dataset;
use crate::growth::{GrowthError, GrowthModel, GrowthParams};
use crate::index::IndexParams;
use crate::model_dir::{self, DataInfo, IndexEntry, Manifest, ModelDirError};
use crate::ranker::{RankerError, RankerParams};

/// What to train.
#[derive(Clone, Debug)]
pub struct TrainConfig {
    pub affinity: AffinityParams,
    pub track: Tracking,
    /// The ANN index's parameters (`None`: no index; build one later with `kolrec index`).
    pub index: Option<IndexParams>,
    /// The growth model's parameters (`None`: no growth model).
    pub growth: Option<GrowthParams>,
    /// The learned ranker's parameters (`None`: the inner product ranks).
    pub ranker: Option<RankerParams>,
    /// No progress output while the index builds.
    pub quiet: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            affinity: AffinityParams::default(),
            track: Tracking::Ends,
            index: Some(IndexParams::default()),
            growth: Some(GrowthParams::default()),
            ranker: Some(RankerParams::default()),
            quiet: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(transparent)]
    Affinity(#[from] AffinityError),
    #[error(transparent)]
    Growth(#[from] GrowthError),
    #[error(transparent)]
    ModelDir(#[from] ModelDirError),
    #[error(transparent)]
    Index(#[from] crate::index::IndexError),
    #[error(transparent)]
    Ranker(#[from] RankerError),
}

/// A model directory whose models are trained and saved; the index may still be built.
pub struct Trained {
    pub manifest: Manifest,
    pub model: AffinityModel,
    /// Why the growth model was not trained, when the snapshots cannot train one.
    pub growth_skipped: Option<GrowthError>,
    /// Why the learned ranker was not trained, when the campaigns are too few for it (the inner
    /// product then ranks).
    pub ranker_skipped: Option<RankerError>,
}

/// Train everything but the index into `out` (created if needed). `data` describes the dataset
/// for the manifest ([`DataInfo::of`]).
pub fn fit(ds: &Dataset, data: DataInfo, out: &Path, cfg: &TrainConfig) -> Result<Trained, TrainError> {
    cfg.affinity.check()?;
    if let Some(ip) = &cfg.index {
        ip.check()?;
    }
    if let Some(gp) = &cfg.growth {
        gp.check()?;
    }
    if let Some(rp) = &cfg.ranker {
        rp.check()?;
    }
    let rows: Vec<usize> = (0..ds.campaigns.len()).collect();
    let (model, report) = AffinityModel::fit_tracked(ds, &rows, &cfg.affinity, cfg.track)?;
    let mut manifest = model_dir::save_affinity(out, &model, &report, data)?;
    model_dir::save_catalog(out, &Catalog::build(ds, &rows), &mut manifest)?;
    let mut ranker_skipped = None;
    if let Some(rp) = &cfg.ranker {
        match crate::ranker::fit::fit(ds, &rows, &model, &cfg.affinity, rp) {
            Ok(ranker) => model_dir::save_ranker(out, &ranker, &mut manifest)?,
            Err(e @ RankerError::TooFewPairs(_)) => ranker_skipped = Some(e),
            Err(e) => return Err(e.into()),
        }
    }
    let mut growth_skipped = None;
    if let Some(gp) = &cfg.growth {
        let until = ds.snapshots.last_date().unwrap_or(0);
        match GrowthModel::fit(ds, until, gp) {
            Ok((g, report)) => model_dir::save_growth(out, &g, &report, &mut manifest)?,
            // A dataset without enough follower history still gets its affinity model.
            Err(e @ (GrowthError::TooShort { .. } | GrowthError::NoRows { .. } | GrowthError::OneClass { .. })) => {
                growth_skipped = Some(e)
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Trained { manifest, model, growth_skipped, ranker_skipped })
}

impl Trained {
    /// Build the ANN index the config asks for (a caller short of memory drops the dataset
    /// first: the index needs only the model).
    pub fn build_index(&mut self, out: &Path, cfg: &TrainConfig) -> Result<Option<IndexEntry>, TrainError> {
        let Some(ip) = &cfg.index else { return Ok(None) };
        Ok(Some(model_dir::build_index(out, &self.model, &mut self.manifest, ip, cfg.quiet)?))
    }
}

/// [`fit`] then [`Trained::build_index`]: a complete model directory.
pub fn train(ds: &Dataset, data: DataInfo, out: &Path, cfg: &TrainConfig) -> Result<Trained, TrainError> {
    let mut t = fit(ds, data, out, cfg)?;
    t.build_index(out, cfg)?;
    Ok(t)
}
