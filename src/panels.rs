//! Real follower-history panels read in place (from `../shared/data/real` or a copy): the five
//! 2022 snapshots of the smi2022 top-1000 lists and the weekly Social Blade gains of YouTube
//! channels, each as a dataset of creators and snapshots for backtesting the growth model.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::dataset::{Dataset, Snapshots};
use crate::parse::{days_from_civil, iso_date};

#[derive(Debug, thiserror::Error)]
pub enum PanelError {
    #[error("reading {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("importing {}: {source}", path.display())]
    Import { path: PathBuf, source: Box<crate::import::ImportError> },
    #[error("reading back {}: {source}", path.display())]
    ReadBack { path: PathBuf, source: Box<crate::dataset::DataError> },
    #[error("{}, line {line}: expected start_date,end_date,subscribers,views: {text:?}", path.display())]
    Line { path: PathBuf, line: usize, text: String },
    #[error("no Social Blade channel files under {}", dir.display())]
    Empty { dir: PathBuf },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PanelError + '_ {
    move |source| PanelError::Io { path: path.into(), source }
}

/// The smi2022 files carry only a month; the first (undated, "last updated March 2022" per its
/// users) is placed mid-March, like the others mid-month.
fn smi_date(name: &str) -> i32 {
    let n = name.to_lowercase();
    let month =
        [("june", 6), ("sep", 9), ("nov", 11), ("dec", 12)].iter().find(|(m, _)| n.contains(m)).map_or(3, |&(_, m)| m);
    days_from_civil(2022, month, 15)
}

/// The platform of an smi2022 list, from its file name.
pub fn smi_platform(name: &str) -> &'static str {
    let n = name.to_lowercase();
    if n.contains("tiktok") {
        "tiktok"
    } else if n.contains("youtube") {
        "youtube"
    } else {
        "instagram"
    }
}

/// Snapshot rows before sorting: (creator, date, followers, views).
type Points = Vec<(u32, i32, f64, f64)>;

fn into_snapshots(mut pts: Points) -> Snapshots {
    pts.sort_by_key(|a| (a.0, a.1));
    pts.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    let n = pts.len();
    Snapshots {
        influencer: pts.iter().map(|p| p.0).collect(),
        date: pts.iter().map(|p| p.1).collect(),
        followers: pts.iter().map(|p| p.2).collect(),
        views: pts.iter().map(|p| p.3).collect(),
        likes: vec![f64::NAN; n],
        posts: vec![f64::NAN; n],
    }
}

/// The 15 smi2022 lists through kolrec's importer; a creator is the importer's ID (platform and
/// handle), its static fields come from its first list, and each list is a snapshot of followers
/// (views per snapshot are unknown: the lists give averages per post, not period totals).
pub fn smi2022(real: &Path, scratch: &Path) -> Result<Dataset, PanelError> {
    let dir = real.join("smi2022/raw");
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&dir).and_then(|d| d.map(|e| e.map(|e| e.path())).collect()).map_err(io(&dir))?;
    files.sort_by_key(|f| smi_date(&f.to_string_lossy()));
    std::fs::create_dir_all(scratch).map_err(io(scratch))?;
    let mut ds = Dataset::default();
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut pts = Points::new();
    for f in &files {
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let out = scratch.join(format!("{}.csv", ids.len() + pts.len()));
        let cfg = crate::import::ImportConfig {
            input: f.clone(),
            platform: Some(smi_platform(&name).into()),
            out: out.clone(),
            ..Default::default()
        };
        crate::import::import(&cfg).map_err(|e| PanelError::Import { path: f.clone(), source: Box::new(e) })?;
        let list = crate::dataset::load_influencers(&out)
            .map_err(|e| PanelError::ReadBack { path: out.clone(), source: Box::new(e) })?;
        let day = smi_date(&name);
        for i in 0..list.len() {
            let k = *ids.entry(list.id[i].clone()).or_insert_with(|| {
                ds.influencers.push_from(&list, i);
                ds.influencers.len() as u32 - 1
            });
            pts.push((k, day, list.followers[i], f64::NAN));
        }
    }
    ds.snapshots = into_snapshots(pts);
    Ok(ds)
}

/// Followers of a Social Blade channel whose level is unknown: this constant plus the summed
/// weekly gains. Relative growth is then the absolute gain over 10⁸, so labels and momentum rank
/// absolute subscriber gains.
pub const SOCIALBLADE_BASE: f64 = 1e8;

/// The per-channel Social Blade files (`<category>/<channel>.csv`: start_date, end_date, weekly
/// subscriber and view gains). Weeks overlapping the previous one are dropped.
pub fn socialblade(real: &Path) -> Result<(Dataset, usize), PanelError> {
    let dir = real.join("socialblade_weekly_yt/data");
    let mut files = Vec::new();
    for cat in std::fs::read_dir(&dir).map_err(io(&dir))? {
        let cat = cat.map_err(io(&dir))?.path();
        if cat.is_dir() {
            for f in std::fs::read_dir(&cat).map_err(io(&cat))? {
                files.push(f.map_err(io(&cat))?.path());
            }
        }
    }
    files.sort();
    let mut ds = Dataset::default();
    let mut pts = Points::new();
    let mut overlapping = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).map_err(io(f))?;
        let mut weeks: Vec<(i32, i32, f64, f64)> = Vec::new();
        for (n, line) in text.lines().enumerate().skip(1) {
            let c: Vec<&str> = line.split(',').map(str::trim).collect();
            let bad = || PanelError::Line { path: f.clone(), line: n + 1, text: line.to_string() };
            if c.len() < 4 {
                return Err(bad());
            }
            let (Some(a), Some(b)) = (iso_date(c[0]), iso_date(c[1])) else { return Err(bad()) };
            // Missing gains (`NA`) count as unknown weeks: no snapshot.
            let (Ok(subs), views) = (c[2].parse::<f64>(), c[3].parse::<f64>().unwrap_or(f64::NAN)) else { continue };
            weeks.push((a, b, subs, views));
        }
        weeks.sort_by_key(|w| w.1);
        let k = ds.influencers.len() as u32;
        let stem = f.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let category = f.parent().and_then(|p| p.file_name()).map(|s| s.to_string_lossy().into_owned());
        let (mut level, mut last_end) = (SOCIALBLADE_BASE, i32::MIN);
        let mut first = true;
        for (a, b, subs, views) in weeks {
            if a < last_end {
                overlapping += 1;
                continue;
            }
            if first {
                pts.push((k, a, level, f64::NAN));
                first = false;
            }
            level += subs;
            pts.push((k, b, level, views));
            last_end = b;
        }
        ds.influencers.push_basic(&format!("youtube:{stem}"), "youtube", &category.unwrap_or_default(), level);
    }
    if ds.influencers.is_empty() {
        return Err(PanelError::Empty { dir });
    }
    ds.snapshots = into_snapshots(pts);
    Ok((ds, overlapping))
}
