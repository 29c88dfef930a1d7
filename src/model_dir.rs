//! A model directory: the binary model files and `manifest.json`, which says what was trained, on
//! which data (by fingerprint), with which parameters, and how it evaluated.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::affinity::{AffinityModel, AffinityParams, TrainReport};
use crate::artifact::{self, ArtifactError, FORMAT_VERSION, Kind};
use crate::catalog::Catalog;
use crate::contract::Table;
use crate::growth::{GrowthModel, GrowthParams, GrowthReport};
use crate::index::{HnswIndex, IndexError, IndexParams};
use crate::ranker::{LearnedRanker, RankerFile, RankerParams, RankerReport};

pub const AFFINITY_FILE: &str = "affinity.bin";
pub const CATALOG_FILE: &str = "catalog.bin";
pub const GROWTH_FILE: &str = "growth.bin";
pub const RANKER_FILE: &str = "ranker.bin";
/// Layout version of `ranker.bin`'s payload, recorded in the manifest.
pub const RANKER_FORMAT: u32 = 1;
/// Layout version of `catalog.bin`'s payload, recorded in the manifest: the catalogue changes
/// with serving, independently of the model envelope.
pub const CATALOG_FORMAT: u32 = 1;
pub const INDEX_DIR: &str = "index";
pub const MANIFEST_FILE: &str = "manifest.json";
/// The latest `kolrec eval` report.
pub const EVAL_FILE: &str = "eval.json";
/// The growth test rows `kolrec eval` writes beside the report (for ROC, PR and calibration plots).
pub const GROWTH_PREDICTIONS_FILE: &str = "growth_predictions.parquet";
/// Rows a lenient training load set aside.
pub const REJECTED_FILE: &str = "rejected.csv";

#[derive(Debug, thiserror::Error)]
pub enum ModelDirError {
    #[error("{} holds no kolrec model (no {MANIFEST_FILE}); train one with `kolrec train --data DIR --out {}`", dir.display(), dir.display())]
    NoModel { dir: PathBuf },
    #[error("{} holds no affinity model", dir.display())]
    NoAffinity { dir: PathBuf },
    #[error("{} holds no growth model (`kolrec train` trains one when the snapshots cover enough history)", dir.display())]
    NoGrowth { dir: PathBuf },
    #[error("cannot read {}: {reason}", path.display())]
    Manifest { path: PathBuf, reason: String },
    #[error("{} has manifest format version {found}; this kolrec reads version {FORMAT_VERSION}", path.display())]
    ManifestVersion { path: PathBuf, found: u32 },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{} holds no catalogue ({CATALOG_FILE}); retrain with `kolrec train` to serve recommendations", dir.display())]
    NoCatalog { dir: PathBuf },
    #[error("{} has catalogue format {found}; this kolrec reads format {CATALOG_FORMAT}: retrain with `kolrec train`", path.display())]
    CatalogFormat { path: PathBuf, found: u32 },
    #[error("{} does not match the model in {} (different creators or brands); retrain", path.display(), dir.display())]
    CatalogMismatch { path: PathBuf, dir: PathBuf },
    #[error("{} has ranker format {found}; this kolrec reads format {RANKER_FORMAT}: retrain with `kolrec train`", path.display())]
    RankerFormat { path: PathBuf, found: u32 },
    #[error("{} was trained for another model ({reason}); retrain with `kolrec train`", path.display())]
    RankerMismatch { path: PathBuf, reason: String },
    #[error("{} is corrupt: its trees do not decode ({reason})", path.display())]
    RankerDecode { path: PathBuf, reason: String },
    #[error("cannot save the ranker: {0}")]
    RankerEncode(String),
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// The training data, as the manifest records it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DataInfo {
    pub dir: String,
    /// CRC32 over the four table files (see `artifact::fingerprint`).
    pub fingerprint: String,
    pub brands: usize,
    pub influencers: usize,
    pub campaigns: usize,
    pub snapshots: usize,
}

impl DataInfo {
    pub fn of(dir: &Path, ds: &crate::dataset::Dataset) -> std::io::Result<DataInfo> {
        let files: Vec<PathBuf> = Table::ALL.iter().filter_map(|t| crate::table::locate(dir, t.name()).ok()).collect();
        Ok(DataInfo {
            dir: dir.display().to_string(),
            fingerprint: artifact::fingerprint(&files)?,
            brands: ds.brands.len(),
            influencers: ds.influencers.len(),
            campaigns: ds.campaigns.len(),
            snapshots: ds.snapshots.len(),
        })
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AffinityEntry {
    pub file: String,
    pub bytes: u64,
    pub crc32: String,
    pub params: AffinityParams,
    pub train: TrainReport,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format_version: u32,
    pub kolrec_version: String,
    /// When the model was trained (UTC; absent in models from before it was recorded).
    #[serde(default)]
    pub trained_at: Option<String>,
    pub data: DataInfo,
    pub affinity: Option<AffinityEntry>,
    /// The latest `kolrec eval` summary, if any.
    pub evaluation: Option<serde_json::Value>,
    /// The serving catalogue (absent in models from before it existed).
    #[serde(default)]
    pub catalog: Option<FileEntry>,
    /// The ANN index, if built: its directory and sidecar summary.
    #[serde(default)]
    pub index: Option<IndexEntry>,
    /// The growth model, if trained.
    #[serde(default)]
    pub growth: Option<GrowthEntry>,
    /// The learned ranking stage, if trained (absent: the inner product ranks).
    #[serde(default)]
    pub ranker: Option<RankerEntry>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RankerEntry {
    pub file: String,
    pub bytes: u64,
    pub crc32: String,
    pub format: u32,
    /// The `affinity.bin` checksum the ranker's features were computed with.
    pub affinity_crc32: String,
    pub params: RankerParams,
    pub train: RankerReport,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct GrowthEntry {
    pub file: String,
    pub bytes: u64,
    pub crc32: String,
    pub params: GrowthParams,
    pub train: GrowthReport,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FileEntry {
    pub file: String,
    pub bytes: u64,
    pub crc32: String,
    /// Payload layout version (0: written before versions were recorded).
    #[serde(default)]
    pub format: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct IndexEntry {
    pub dir: String,
    pub params: IndexParams,
    pub count: usize,
    pub build_seconds: f64,
    pub bytes: u64,
}

pub fn read_manifest(dir: &Path) -> Result<Manifest, ModelDirError> {
    let path = dir.join(MANIFEST_FILE);
    if !path.is_file() {
        return Err(ModelDirError::NoModel { dir: dir.into() });
    }
    let bytes =
        std::fs::read(&path).map_err(|e| ModelDirError::Manifest { path: path.clone(), reason: e.to_string() })?;
    let v: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| ModelDirError::Manifest { path: path.clone(), reason: e.to_string() })?;
    let Some(found) = v["format_version"].as_u64().and_then(|f| u32::try_from(f).ok()) else {
        let reason = format!("format_version is missing or not a whole number (found {})", v["format_version"]);
        return Err(ModelDirError::Manifest { path, reason });
    };
    if found != FORMAT_VERSION {
        return Err(ModelDirError::ManifestVersion { path, found });
    }
    serde_json::from_value(v).map_err(|e| ModelDirError::Manifest { path, reason: e.to_string() })
}

pub fn write_manifest(dir: &Path, m: &Manifest) -> Result<(), ModelDirError> {
    let path = dir.join(MANIFEST_FILE);
    let text = serde_json::to_string_pretty(m).expect("manifest serialises");
    crate::fsutil::atomic_write(&path, text.as_bytes()).map_err(|source| ModelDirError::Write { path, source })
}

/// Save an affinity model and its manifest entry (the binary first, the manifest last, so a
/// manifest never names a file that is not complete).
pub fn save_affinity(
    dir: &Path,
    model: &AffinityModel,
    train: &TrainReport,
    data: DataInfo,
) -> Result<Manifest, ModelDirError> {
    std::fs::create_dir_all(dir).map_err(|source| ModelDirError::Write { path: dir.into(), source })?;
    let (bytes, crc) = artifact::save(&dir.join(AFFINITY_FILE), Kind::Affinity, model)?;
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        kolrec_version: env!("CARGO_PKG_VERSION").into(),
        trained_at: Some(crate::parse::now_timestamp()),
        data,
        affinity: Some(AffinityEntry {
            file: AFFINITY_FILE.into(),
            bytes,
            crc32: format!("{crc:08x}"),
            params: model.params.clone(),
            train: train.clone(),
        }),
        evaluation: None,
        catalog: None,
        index: None,
        growth: None,
        ranker: None,
    };
    write_manifest(dir, &manifest)?;
    Ok(manifest)
}

/// Save the serving catalogue and record it in the manifest.
pub fn save_catalog(dir: &Path, catalog: &Catalog, manifest: &mut Manifest) -> Result<(), ModelDirError> {
    let (bytes, crc) = artifact::save(&dir.join(CATALOG_FILE), Kind::Catalog, catalog)?;
    manifest.catalog =
        Some(FileEntry { file: CATALOG_FILE.into(), bytes, crc32: format!("{crc:08x}"), format: CATALOG_FORMAT });
    write_manifest(dir, manifest)
}

/// Save the ranker and record it in the manifest.
pub fn save_ranker(dir: &Path, ranker: &LearnedRanker, manifest: &mut Manifest) -> Result<(), ModelDirError> {
    let affinity = manifest.affinity.as_ref().ok_or_else(|| ModelDirError::NoAffinity { dir: dir.into() })?;
    let file = ranker.to_file().map_err(|e| ModelDirError::RankerEncode(e.to_string()))?;
    let (bytes, crc) = artifact::save(&dir.join(RANKER_FILE), Kind::Ranker, &file)?;
    manifest.ranker = Some(RankerEntry {
        file: RANKER_FILE.into(),
        bytes,
        crc32: format!("{crc:08x}"),
        format: RANKER_FORMAT,
        affinity_crc32: affinity.crc32.clone(),
        params: ranker.params.clone(),
        train: ranker.report.clone(),
    });
    write_manifest(dir, manifest)
}

/// Load the ranker the manifest records (`None` when it records none), checked against the
/// affinity model it re-ranks for.
pub fn load_ranker(
    dir: &Path,
    manifest: &Manifest,
    model: &AffinityModel,
) -> Result<Option<LearnedRanker>, ModelDirError> {
    let Some(entry) = &manifest.ranker else { return Ok(None) };
    let path = dir.join(&entry.file);
    if entry.format != RANKER_FORMAT {
        return Err(ModelDirError::RankerFormat { path, found: entry.format });
    }
    let affinity = manifest.affinity.as_ref().ok_or_else(|| ModelDirError::NoAffinity { dir: dir.into() })?;
    if affinity.crc32 != entry.affinity_crc32 {
        let reason = format!("affinity.bin {} ≠ {}", affinity.crc32, entry.affinity_crc32);
        return Err(ModelDirError::RankerMismatch { path, reason });
    }
    let file: RankerFile = artifact::load_recorded(&path, Kind::Ranker, &entry.crc32)?;
    let ranker =
        LearnedRanker::from_file(file).map_err(|reason| ModelDirError::RankerDecode { path: path.clone(), reason })?;
    let want = (model.influencer_ids.len(), model.brand_ids.len());
    if ranker.shape() != want {
        let reason = format!("{:?} creators and brands, the model has {want:?}", ranker.shape());
        return Err(ModelDirError::RankerMismatch { path, reason });
    }
    Ok(Some(ranker))
}

/// Build the HNSW index over the model's creators, save it under `dir/index/` and record it.
pub fn build_index(
    dir: &Path,
    model: &AffinityModel,
    manifest: &mut Manifest,
    params: &IndexParams,
    quiet: bool,
) -> Result<IndexEntry, ModelDirError> {
    let model_crc =
        manifest.affinity.as_ref().ok_or_else(|| ModelDirError::NoAffinity { dir: dir.into() })?.crc32.clone();
    let mut index = HnswIndex::build(&model.influencer_vectors, model.dim(), params, quiet)?;
    let idir = dir.join(INDEX_DIR);
    index.save(&idir, &model_crc)?;
    let entry = IndexEntry {
        dir: INDEX_DIR.into(),
        params: *params,
        count: index.sidecar.count,
        build_seconds: index.sidecar.build_seconds,
        bytes: index.sidecar.files.iter().map(|f| f.bytes).sum(),
    };
    manifest.index = Some(entry.clone());
    write_manifest(dir, manifest)?;
    Ok(entry)
}

/// Save the growth model and record it in the manifest.
pub fn save_growth(
    dir: &Path,
    model: &GrowthModel,
    report: &GrowthReport,
    manifest: &mut Manifest,
) -> Result<(), ModelDirError> {
    let (bytes, crc) = artifact::save(&dir.join(GROWTH_FILE), Kind::Growth, model)?;
    manifest.growth = Some(GrowthEntry {
        file: GROWTH_FILE.into(),
        bytes,
        crc32: format!("{crc:08x}"),
        params: model.params.clone(),
        train: report.clone(),
    });
    write_manifest(dir, manifest)
}

pub fn load_growth(dir: &Path) -> Result<(GrowthModel, Manifest), ModelDirError> {
    let manifest = read_manifest(dir)?;
    Ok((load_growth_of(dir, &manifest)?, manifest))
}

/// The growth model `manifest` records.
pub fn load_growth_of(dir: &Path, manifest: &Manifest) -> Result<GrowthModel, ModelDirError> {
    let entry = manifest.growth.as_ref().ok_or_else(|| ModelDirError::NoGrowth { dir: dir.into() })?;
    let path = dir.join(&entry.file);
    let model: GrowthModel = artifact::load_recorded(&path, Kind::Growth, &entry.crc32)?;
    model.check_shape().map_err(|reason| ArtifactError::Decode {
        path,
        reason: format!("it decodes to an inconsistent growth model: {reason}"),
    })?;
    Ok(model)
}

/// Load the serving catalogue and check that it belongs to `model`.
pub fn load_catalog(dir: &Path, manifest: &Manifest, model: &AffinityModel) -> Result<Catalog, ModelDirError> {
    let entry = manifest.catalog.as_ref().ok_or_else(|| ModelDirError::NoCatalog { dir: dir.into() })?;
    let path = dir.join(&entry.file);
    if entry.format != CATALOG_FORMAT {
        return Err(ModelDirError::CatalogFormat { path, found: entry.format });
    }
    let catalog: Catalog = artifact::load_recorded(&path, Kind::Catalog, &entry.crc32)?;
    catalog.check_shape().map_err(|reason| ArtifactError::Decode {
        path: path.clone(),
        reason: format!("it decodes to an inconsistent catalogue: {reason}"),
    })?;
    if catalog.influencers.id != model.influencer_ids || catalog.brands.id != model.brand_ids {
        return Err(ModelDirError::CatalogMismatch { path, dir: dir.into() });
    }
    Ok(catalog)
}

/// Load the ANN index, checked against the model it must serve.
pub fn load_index(dir: &Path, manifest: &Manifest) -> Result<HnswIndex, ModelDirError> {
    let model_crc = &manifest.affinity.as_ref().ok_or_else(|| ModelDirError::NoAffinity { dir: dir.into() })?.crc32;
    Ok(HnswIndex::load(&dir.join(INDEX_DIR), model_crc)?)
}

pub fn load_affinity(dir: &Path) -> Result<(AffinityModel, Manifest), ModelDirError> {
    let manifest = read_manifest(dir)?;
    let entry = manifest.affinity.as_ref().ok_or_else(|| ModelDirError::NoAffinity { dir: dir.into() })?;
    let path = dir.join(&entry.file);
    let model: AffinityModel = artifact::load_recorded(&path, Kind::Affinity, &entry.crc32)?;
    model.check_shape().map_err(|reason| ArtifactError::Decode {
        path,
        reason: format!("it decodes to an inconsistent model: {reason}"),
    })?;
    Ok((model, manifest))
}
