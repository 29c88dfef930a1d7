//! A model directory: the binary model files and `manifest.json`, which says what was trained, on
//! which data (by fingerprint), with which parameters, and how it evaluated.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::affinity::{AffinityModel, AffinityParams, TrainReport};
use crate::artifact::{self, ArtifactError, FORMAT_VERSION, Kind};
use crate::contract::Table;

pub const AFFINITY_FILE: &str = "affinity.bin";
pub const MANIFEST_FILE: &str = "manifest.json";

#[derive(Debug, thiserror::Error)]
pub enum ModelDirError {
    #[error("{} holds no kolrec model (no {MANIFEST_FILE}); train one with `kolrec train --data DIR --out {}`", dir.display(), dir.display())]
    NoModel { dir: PathBuf },
    #[error("{} holds no affinity model", dir.display())]
    NoAffinity { dir: PathBuf },
    #[error("cannot read {}: {reason}", path.display())]
    Manifest { path: PathBuf, reason: String },
    #[error("{} has manifest format version {found}; this kolrec reads version {FORMAT_VERSION}", path.display())]
    ManifestVersion { path: PathBuf, found: u32 },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
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
    pub data: DataInfo,
    pub affinity: Option<AffinityEntry>,
    /// The latest `kolrec eval` summary, if any.
    pub evaluation: Option<serde_json::Value>,
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
    let found = v["format_version"].as_u64().unwrap_or(0) as u32;
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
        data,
        affinity: Some(AffinityEntry {
            file: AFFINITY_FILE.into(),
            bytes,
            crc32: format!("{crc:08x}"),
            params: model.params.clone(),
            train: train.clone(),
        }),
        evaluation: None,
    };
    write_manifest(dir, &manifest)?;
    Ok(manifest)
}

pub fn load_affinity(dir: &Path) -> Result<(AffinityModel, Manifest), ModelDirError> {
    let manifest = read_manifest(dir)?;
    let entry = manifest.affinity.as_ref().ok_or_else(|| ModelDirError::NoAffinity { dir: dir.into() })?;
    let model = artifact::load(&dir.join(&entry.file), Kind::Affinity)?;
    Ok((model, manifest))
}
