//! Filesystem helpers: atomic writes (temp file + rename) and the process's peak memory.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A sibling temp path for `path`, unique per process, in the same directory so that the final
/// `rename` stays on one filesystem and is atomic.
pub fn temp_sibling(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Write `bytes` to `path` so that readers see either the old file or the complete new one.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = temp_sibling(path);
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    } else {
        remove_stale_siblings(path);
    }
    result
}

/// Whether a process with this ID runs (Linux `/proc`; elsewhere every process counts as gone).
pub fn pid_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Remove what killed runs left beside `path`: `.NAME.tmp-PID` and `.NAME.old-PID` files or
/// directories (and `.NAME.tmp-PID.old`) whose process is gone. Best effort: a failure to remove
/// one is not the caller's failure.
pub fn remove_stale_siblings(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else { return };
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = file.strip_prefix(&prefix) else { continue };
        let Some(pid) = ["tmp-", "old-"].iter().find_map(|m| rest.strip_prefix(m)) else { continue };
        let digits: String = pid.chars().take_while(char::is_ascii_digit).collect();
        let Ok(pid) = digits.parse::<u32>() else { continue };
        if pid == std::process::id() || pid_alive(pid) {
            continue;
        }
        let p = e.path();
        let _ = if p.is_dir() { fs::remove_dir_all(&p) } else { fs::remove_file(&p) };
    }
}

/// Peak resident set size of this process in bytes (Linux `VmHWM`), if the platform tells.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Human-readable byte count (`1.5 GiB`).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 { format!("{n} B") } else { format!("{v:.1} {}", UNITS[u]) }
}

/// What a command reads, for [`check_output`].
#[derive(Clone, Copy, Debug)]
pub enum Input<'a> {
    /// A file the command reads.
    File(&'a Path),
    /// A dataset directory the command reads but does not own.
    Dataset(&'a Path),
    /// A model directory the command reads but does not own.
    Model(&'a Path),
}

/// Why an output path is refused.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{} is an input of this command; write the output elsewhere", out.display())]
    IsInput { out: PathBuf },
    #[error("{} is inside the {what} directory {}, which this command reads and does not own; write the output elsewhere", out.display(), dir.display())]
    Inside { out: PathBuf, what: &'static str, dir: PathBuf },
    #[error("{} exists; pass --overwrite to replace it", out.display())]
    Exists { out: PathBuf },
}

/// `path` with its directory resolved (the file itself need not exist yet).
fn resolved(path: &Path) -> PathBuf {
    let name = path.file_name().map(PathBuf::from).unwrap_or_default();
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    match dir.canonicalize() {
        Ok(d) => d.join(name),
        Err(_) => path.to_path_buf(),
    }
}

/// Refuse an output file that is one of the command's inputs, lies inside a dataset or model
/// directory the command only reads, or exists already (unless `overwrite`): a mistyped `--out`
/// must never replace data.
pub fn check_output(out: &Path, inputs: &[Input<'_>], overwrite: bool) -> Result<(), OutputError> {
    let o = resolved(out);
    for input in inputs {
        match *input {
            Input::File(f) => {
                if resolved(f) == o {
                    return Err(OutputError::IsInput { out: out.into() });
                }
            }
            Input::Dataset(d) | Input::Model(d) => {
                let what = if matches!(input, Input::Dataset(_)) { "dataset" } else { "model" };
                if let Ok(d) = d.canonicalize()
                    && o.starts_with(&d)
                {
                    return Err(OutputError::Inside { out: out.into(), what, dir: d });
                }
            }
        }
    }
    if !overwrite && out.exists() {
        return Err(OutputError::Exists { out: out.into() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_file_and_leaves_no_temp() {
        let dir = std::env::temp_dir().join(format!("kolrec-fsutil-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.txt");
        atomic_write(&p, b"first").unwrap();
        // A reader holding the old file (here a hard link) keeps the whole old content: the new
        // file replaced it by rename. An in-place write would show the link "second" too.
        let held = dir.join("held.txt");
        let _ = fs::remove_file(&held);
        fs::hard_link(&p, &held).unwrap();
        atomic_write(&p, b"second").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"second");
        assert_eq!(fs::read(&held).unwrap(), b"first", "the file was rewritten in place");
        fs::remove_file(&held).unwrap();
        let leftovers: Vec<_> = fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()).collect();
        assert_eq!(leftovers.len(), 1);
        // A rename that fails (onto a non-empty directory) is an error and leaves no temp file.
        let blocked = dir.join("blocked");
        fs::create_dir_all(blocked.join("inside")).unwrap();
        assert!(atomic_write(&blocked, b"x").is_err());
        assert!(blocked.join("inside").is_dir());
        let names: Vec<String> =
            fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert!(names.iter().all(|n| !n.contains("tmp")), "a temp file was left: {names:?}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn human_bytes_picks_unit() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 * 1024 * 1024 * 1024), "3.0 GiB");
    }

    #[test]
    fn what_killed_runs_left_is_removed_and_what_live_ones_hold_is_kept() {
        let dir = std::env::temp_dir().join(format!("kolrec-stale-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let target = dir.join("affinity.bin");
        let dead = dir.join(".affinity.bin.tmp-4999999");
        let dead_dir = dir.join(".affinity.bin.old-4999998");
        let live = dir.join(".affinity.bin.tmp-1");
        let other = dir.join(".catalog.bin.tmp-4999999");
        fs::write(&dead, "x").unwrap();
        fs::create_dir_all(dead_dir.join("inner")).unwrap();
        fs::write(&live, "x").unwrap();
        fs::write(&other, "x").unwrap();
        atomic_write(&target, b"model").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"model");
        assert!(!dead.exists() && !dead_dir.exists(), "left by processes that are gone");
        assert!(live.exists(), "pid 1 is alive: its temp file may be in use");
        assert!(other.exists(), "another file's leftovers are that file's to clean");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn outputs_that_would_replace_inputs_are_refused() {
        let dir = std::env::temp_dir().join(format!("kolrec-out-{}", std::process::id()));
        let data = dir.join("data");
        std::fs::create_dir_all(&data).unwrap();
        let table = data.join("campaigns.csv");
        std::fs::write(&table, "x").unwrap();
        let list = dir.join("list.csv");
        std::fs::write(&list, "x").unwrap();
        // The same file by another spelling.
        let other_spelling = data.join("..").join("list.csv");
        assert!(matches!(check_output(&other_spelling, &[Input::File(&list)], true), Err(OutputError::IsInput { .. })));
        assert!(matches!(check_output(&table, &[Input::Dataset(&data)], true), Err(OutputError::Inside { .. })));
        let e = check_output(&data.join("new.csv"), &[Input::Model(&data)], false).unwrap_err().to_string();
        assert!(e.contains("inside the model directory"), "{e}");
        assert!(matches!(check_output(&list, &[], false), Err(OutputError::Exists { .. })));
        check_output(&list, &[], true).unwrap();
        check_output(&dir.join("fresh.csv"), &[Input::File(&list), Input::Dataset(&data)], false).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
