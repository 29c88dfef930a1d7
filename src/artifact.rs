//! Binary model files: a bincode 2 payload inside an envelope with magic bytes, a format version,
//! the kind of model, the payload length and a CRC32, each checked on load with its own error.
//! Writes are atomic (temp file + rename).
//!
//! ```text
//! offset  size  field
//! 0       8     magic "KOLRECM\0"
//! 8       4     format version (u32, little endian)
//! 12      4     kind (u32 LE: 1 affinity, 2 growth, 3 catalog, 4 ranker)
//! 16      8     payload length (u64 LE)
//! 24      4     CRC32 of the payload (u32 LE)
//! 28      …     payload: bincode 2 (standard config) of the model
//! ```

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

pub const MAGIC: [u8; 8] = *b"KOLRECM\0";
/// Version of the envelope and payload layout this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const HEADER: usize = 28;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Affinity = 1,
    Growth = 2,
    Catalog = 3,
    Ranker = 4,
}

impl Kind {
    fn name(code: u32) -> &'static str {
        match code {
            1 => "affinity",
            2 => "growth",
            3 => "catalog",
            4 => "ranker",
            _ => "unknown",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{} is not a kolrec model file (bad magic bytes)", path.display())]
    BadMagic { path: PathBuf },
    #[error("{} has model format version {found}; this kolrec (v{}) reads version {supported}: retrain with this version or use a matching kolrec", path.display(), env!("CARGO_PKG_VERSION"))]
    UnsupportedVersion { path: PathBuf, found: u32, supported: u32 },
    #[error("{} holds a {found} model, expected a {expected} model", path.display())]
    WrongKind { path: PathBuf, found: &'static str, expected: &'static str },
    #[error("{} is truncated: header says {expected} payload bytes, file has {found}", path.display())]
    Truncated { path: PathBuf, expected: u64, found: u64 },
    #[error("{} is corrupt: checksum {computed:08x} does not match the stored {stored:08x}", path.display())]
    Checksum { path: PathBuf, stored: u32, computed: u32 },
    #[error("{} is not the file the manifest records (checksum {found}, the manifest says {recorded}): it comes from another model or was changed after training; restore it or retrain", path.display())]
    NotRecorded { path: PathBuf, found: String, recorded: String },
    #[error("cannot encode the model: {0}")]
    Encode(String),
    #[error("{} is corrupt: the payload does not decode ({reason})", path.display())]
    Decode { path: PathBuf, reason: String },
}

/// Encode `value` into an envelope.
pub fn to_bytes<T: Serialize>(kind: Kind, value: &T) -> Result<Vec<u8>, ArtifactError> {
    let payload = bincode::serde::encode_to_vec(value, bincode::config::standard())
        .map_err(|e| ArtifactError::Encode(e.to_string()))?;
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(kind as u32).to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Decode an envelope, checking every header field before touching the payload.
pub fn from_bytes<T: DeserializeOwned>(path: &Path, kind: Kind, bytes: &[u8]) -> Result<T, ArtifactError> {
    decode(path, payload(path, kind, bytes)?)
}

/// The payload of an envelope whose header and payload checksum hold.
fn payload<'a>(path: &Path, kind: Kind, bytes: &'a [u8]) -> Result<&'a [u8], ArtifactError> {
    let path = path.to_path_buf();
    if bytes.len() < 8 || bytes[..8] != MAGIC {
        return Err(ArtifactError::BadMagic { path });
    }
    if bytes.len() < HEADER {
        return Err(ArtifactError::Truncated { path, expected: HEADER as u64, found: bytes.len() as u64 });
    }
    let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().expect("4 bytes"));
    let version = u32_at(8);
    if version != FORMAT_VERSION {
        return Err(ArtifactError::UnsupportedVersion { path, found: version, supported: FORMAT_VERSION });
    }
    let found_kind = u32_at(12);
    if found_kind != kind as u32 {
        return Err(ArtifactError::WrongKind {
            path,
            found: Kind::name(found_kind),
            expected: Kind::name(kind as u32),
        });
    }
    let len = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"));
    let payload = &bytes[HEADER..];
    if payload.len() as u64 != len {
        return Err(ArtifactError::Truncated { path, expected: len, found: payload.len() as u64 });
    }
    let stored = u32_at(24);
    let computed = crc32fast::hash(payload);
    if stored != computed {
        return Err(ArtifactError::Checksum { path, stored, computed });
    }
    Ok(payload)
}

/// Decode with what the payload may allocate bounded by its size: a length field altered behind
/// a valid checksum must be a decode error, not a capacity overflow or an allocation that aborts
/// (found by tests/integration/fuzz.rs). Decoded memory can exceed the encoded bytes (a `String`
/// takes 24 bytes for one encoded byte), so the bound is 64× the payload, in steps.
fn decode<T: DeserializeOwned>(path: &Path, payload: &[u8]) -> Result<T, ArtifactError> {
    fn limited<T: DeserializeOwned, const L: usize>(payload: &[u8]) -> Result<(T, usize), String> {
        bincode::serde::decode_from_slice(payload, bincode::config::standard().with_limit::<L>())
            .map_err(|e| e.to_string())
    }
    const MIB: usize = 1 << 20;
    let path = path.to_path_buf();
    let decoded = match payload.len() {
        n if n <= MIB => limited::<T, { 64 * MIB }>(payload),
        n if n <= 64 * MIB => limited::<T, { 4096 * MIB }>(payload),
        n if n <= 1024 * MIB => limited::<T, { 65536 * MIB }>(payload),
        _ => limited::<T, { 1 << 40 }>(payload),
    };
    let (value, used) = decoded.map_err(|reason| ArtifactError::Decode { path: path.clone(), reason })?;
    if used != payload.len() {
        return Err(ArtifactError::Decode { path, reason: format!("{} trailing bytes", payload.len() - used) });
    }
    Ok(value)
}

/// Write atomically; returns the bytes written and their CRC32 (for the manifest).
pub fn save<T: Serialize>(path: &Path, kind: Kind, value: &T) -> Result<(u64, u32), ArtifactError> {
    let bytes = to_bytes(kind, value)?;
    crate::fsutil::atomic_write(path, &bytes).map_err(|source| ArtifactError::Write { path: path.into(), source })?;
    Ok((bytes.len() as u64, crc32fast::hash(&bytes)))
}

pub fn load<T: DeserializeOwned>(path: &Path, kind: Kind) -> Result<T, ArtifactError> {
    let bytes = std::fs::read(path).map_err(|source| ArtifactError::Read { path: path.into(), source })?;
    from_bytes(path, kind, &bytes)
}

/// [`load`], checking between the envelope and the decoding that the file's checksum is
/// `recorded` (a manifest's `crc32`): a valid file of another model is refused, not served beside
/// parts built for this one.
pub fn load_recorded<T: DeserializeOwned>(path: &Path, kind: Kind, recorded: &str) -> Result<T, ArtifactError> {
    let bytes = std::fs::read(path).map_err(|source| ArtifactError::Read { path: path.into(), source })?;
    let payload = payload(path, kind, &bytes)?;
    let found = format!("{:08x}", crc32fast::hash(&bytes));
    if found != recorded {
        return Err(ArtifactError::NotRecorded { path: path.into(), found, recorded: recorded.into() });
    }
    decode(path, payload)
}

/// Fingerprint of a set of files: CRC32 over their names, sizes and bytes, as 8 hex digits.
pub fn fingerprint(paths: &[PathBuf]) -> std::io::Result<String> {
    let mut h = crc32fast::Hasher::new();
    for p in paths {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        h.update(name.as_bytes());
        let bytes = std::fs::read(p)?;
        h.update(&(bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    Ok(format!("{:08x}", h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Toy {
        name: String,
        v: Vec<f32>,
    }

    fn toy() -> Toy {
        Toy { name: "x".into(), v: vec![1.0, -2.5, 3.25] }
    }

    fn p() -> PathBuf {
        PathBuf::from("m.bin")
    }

    #[test]
    fn round_trip() {
        let b = to_bytes(Kind::Affinity, &toy()).unwrap();
        assert_eq!(&b[..8], b"KOLRECM\0");
        assert_eq!(from_bytes::<Toy>(&p(), Kind::Affinity, &b).unwrap(), toy());
    }

    #[test]
    fn every_header_field_has_its_own_error() {
        let good = to_bytes(Kind::Affinity, &toy()).unwrap();
        let err = |bytes: &[u8], kind: Kind| from_bytes::<Toy>(&p(), kind, bytes).unwrap_err().to_string();

        let mut magic = good.clone();
        magic[0] = b'X';
        assert!(err(&magic, Kind::Affinity).contains("not a kolrec model file"));

        let mut future = good.clone();
        future[8..12].copy_from_slice(&2u32.to_le_bytes());
        let e = err(&future, Kind::Affinity);
        assert!(e.contains("format version 2") && e.contains("reads version 1"), "{e}");

        assert!(err(&good, Kind::Growth).contains("holds a affinity model, expected a growth model"));

        let e = err(&good[..good.len() - 2], Kind::Affinity);
        assert!(e.contains("truncated"), "{e}");

        let mut flipped = good.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0x40;
        assert!(err(&flipped, Kind::Affinity).contains("checksum"));
    }
}
