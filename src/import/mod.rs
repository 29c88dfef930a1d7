//! Importer for messy influencer lists exported from platforms and agencies: finds which column
//! is which by header and content (`detect`), parses numbers such as `48.5M` or `12.5万`, and
//! writes the contract's `influencers` table with a report of every guess and every value it
//! could not read.

mod detect;
mod platform;
mod profile;
mod roles;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use polars::prelude::*;

pub use detect::{Choice, Mapping, Target};
pub use roles::{ALIASES, Role, header_key};

use crate::contract::KNOWN_PLATFORMS;
use crate::parse::{Cell, messy_number, messy_share};
use crate::table::{self, TableError};
use platform::PlatformPlan;

#[derive(Clone, Debug, Default)]
pub struct ImportConfig {
    pub input: PathBuf,
    /// Platform of every row, lower-cased; without it the list must say (a platform column,
    /// profile links, or a platform's own headers such as `抖音号`).
    pub platform: Option<String>,
    pub out: PathBuf,
    /// Use this input column as the handle instead of guessing.
    pub id_column: Option<String>,
    /// Columns assigned by the caller, overriding every guess.
    pub map: Vec<Mapping>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Table(#[from] TableError),
    #[error("{}: no followers column: no header names one (Followers, Subscribers, Fans, 粉丝数, …) and no unnamed column holds counts; map one with SOURCE=followers (headers found: {found})", input.display())]
    NoFollowers { input: PathBuf, found: String },
    #[error("{}: no handle or name column: no header names one (handle, username, channel, 达人昵称, …) and no column holds distinct handle-like text or profile links; map one with SOURCE=handle (headers found: {found})", input.display())]
    NoIdentity { input: PathBuf, found: String },
    #[error("{}: '{name}' is not a column (headers found: {found})", input.display())]
    NoSuchColumn { input: PathBuf, name: String, found: String },
    #[error("{}: column '{name}' is mapped twice", input.display())]
    MappedTwice { input: PathBuf, name: String },
    #[error(
        "empty platform name: give the list's platform, e.g. douyin, xiaohongshu, instagram, or none to let the list say"
    )]
    EmptyPlatform,
    #[error("{}: no platform: the list has no platform column, no profile links and no platform's own headers; give the platform (douyin, xiaohongshu, instagram, …)", input.display())]
    NoPlatform { input: PathBuf },
}

/// What one import did, for the summary and for tests.
#[derive(Clone, Debug, Default)]
pub struct ImportReport {
    pub input: PathBuf,
    pub out: PathBuf,
    pub rejected_file: Option<PathBuf>,
    pub rows_read: usize,
    pub rows_written: usize,
    pub empty_rows: usize,
    /// (data row, reason) of every row that was not written.
    pub rejected: Vec<(usize, String)>,
    /// Input header → output column.
    pub mapped: Vec<(String, String)>,
    /// Every column's part, with the evidence for it (header, values, or `--map`).
    pub choices: Vec<Choice>,
    /// Columns a header pointed at but the values refused, ranks, and columns mapped to `ignore`.
    pub passed: Vec<String>,
    pub ignored: Vec<String>,
    pub handle_column: String,
    /// Where the platform came from (given, a column, links, headers).
    pub platform: String,
    /// Per output column: cells marked missing (`N/A`, `-`, empty) and cells that were not numbers.
    pub missing_cells: BTreeMap<String, usize>,
    pub unparseable_cells: BTreeMap<String, usize>,
    pub repaired_bytes: usize,
    pub notes: Vec<String>,
}

impl ImportReport {
    pub fn unparseable_total(&self) -> usize {
        self.unparseable_cells.values().sum()
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "imported {}", self.input.display())?;
        writeln!(
            f,
            "  rows: {} read, {} written, {} rejected, {} empty skipped",
            self.rows_read,
            self.rows_written,
            self.rejected.len(),
            self.empty_rows
        )?;
        writeln!(f, "  handle from column '{}'", self.handle_column)?;
        writeln!(f, "  platform: {}", self.platform)?;
        writeln!(f, "  columns:")?;
        for c in &self.choices {
            writeln!(f, "    {:?} → {}: {}", c.column, c.field, c.evidence)?;
        }
        for p in &self.passed {
            writeln!(f, "    {p}")?;
        }
        if !self.ignored.is_empty() {
            writeln!(f, "  ignored columns: {:?}", self.ignored)?;
        }
        writeln!(f, "  cells not parseable: {} {:?}", self.unparseable_total(), self.unparseable_cells)?;
        writeln!(f, "  cells marked missing: {} {:?}", self.missing_cells.values().sum::<usize>(), self.missing_cells)?;
        if self.repaired_bytes > 0 {
            writeln!(f, "  {} non-UTF-8 bytes decoded as Latin-1/Windows-1252", self.repaired_bytes)?;
        }
        for n in &self.notes {
            writeln!(f, "  note: {n}")?;
        }
        let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, r) in &self.rejected {
            *by_reason.entry(r.split(':').next().unwrap_or(r)).or_default() += 1;
        }
        if !by_reason.is_empty() {
            writeln!(f, "  rejected by reason: {by_reason:?}")?;
        }
        write!(f, "  wrote {}", self.out.display())?;
        if let Some(r) = &self.rejected_file {
            write!(f, " (rejected rows: {})", r.display())?;
        }
        Ok(())
    }
}

/// A column's cells as text. Bytes that are not UTF-8 are read lossily; a cell that is no
/// scalar (a list, a struct) becomes its printed form, which no recognised field accepts, so
/// the row is rejected with a reason instead of the import failing.
fn column_strings(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    let col = df.column(name).expect("listed column");
    if let Ok(bytes) = col.as_materialized_series().binary() {
        return bytes.iter().map(|v| v.map(|b| String::from_utf8_lossy(b).into_owned())).collect();
    }
    match col.cast(&DataType::String) {
        Ok(text) => text.str().expect("string").iter().map(|v| v.map(str::to_string)).collect(),
        Err(_) => (0..col.len()).map(|i| col.get(i).ok().filter(|v| !v.is_null()).map(|v| v.to_string())).collect(),
    }
}

/// Import a list. Rows that cannot become a valid influencer row are written to
/// `<out stem>.rejected.csv` beside the output, with the reason.
pub fn import(cfg: &ImportConfig) -> Result<ImportReport, ImportError> {
    let (out, numbers, mut rep, _) = parse(cfg)?;
    let mut frame = out.frame(&numbers);
    table::write(&mut frame, &cfg.out)?;
    if !rep.rejected.is_empty() {
        let path = rejected_path(&cfg.out);
        let mut rej = DataFrame::new_infer_height(vec![
            Column::new("row".into(), rep.rejected.iter().map(|r| r.0 as u64).collect::<Vec<_>>()),
            Column::new("reason".into(), rep.rejected.iter().map(|r| r.1.as_str()).collect::<Vec<_>>()),
        ])
        .expect("equal lengths");
        table::write(&mut rej, &path)?;
        rep.rejected_file = Some(path);
    }
    Ok(rep)
}

/// A list read into memory: the creators the importer accepted, the input row (0-based) each
/// came from, the input as read (every column as text), and the report (rejected rows with why).
pub struct List {
    pub influencers: crate::dataset::Influencers,
    pub source_row: Vec<usize>,
    pub input: DataFrame,
    pub report: ImportReport,
}

/// Read a list as `import` would, without writing anything.
pub fn read_list(cfg: &ImportConfig) -> Result<List, ImportError> {
    let (out, _, report, input) = parse(cfg)?;
    let mut inf = crate::dataset::Influencers::default();
    for k in 0..out.id.len() {
        inf.push_basic(&out.id[k], &out.platform[k], &out.category[k], out.followers[k]);
        inf.handle[k].clone_from(&out.handle[k]);
        inf.country[k] = out.country[k].clone().unwrap_or_default();
        inf.engagement_rate[k] = out.engagement_rate[k].map_or(f32::NAN, |v| v as f32);
        let extra = |role: Role| out.extra.get(&role).and_then(|v| v[k]).unwrap_or(f64::NAN);
        inf.avg_views[k] = extra(Role::AvgViews);
        inf.price_per_post[k] = extra(Role::PricePerPost);
        inf.posts_per_week[k] = extra(Role::PostsPerWeek) as f32;
        inf.sponsored_share[k] = extra(Role::SponsoredShare) as f32;
    }
    Ok(List { influencers: inf, source_row: out.source, input, report })
}

type Parsed = (Output, BTreeMap<Role, Vec<Option<f64>>>, ImportReport, DataFrame);

fn parse(cfg: &ImportConfig) -> Result<Parsed, ImportError> {
    if cfg.platform.as_deref().is_some_and(|p| p.trim().is_empty()) {
        return Err(ImportError::EmptyPlatform);
    }
    let raw = table::read(&cfg.input)?;
    let df = &raw.frame;
    let mut rep = ImportReport {
        input: cfg.input.clone(),
        out: cfg.out.clone(),
        repaired_bytes: raw.repaired_bytes,
        ..Default::default()
    };
    for u in &raw.unread {
        rep.notes.push(format!("{u}; not imported"));
    }
    let headers: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
    let mut found = headers.iter().map(|h| format!("{h:?}")).collect::<Vec<_>>().join(", ");
    if !raw.unread.is_empty() {
        let unread: Vec<String> =
            raw.unread.iter().map(|u| format!("{:?} of Parquet type {}", u.name, u.dtype)).collect();
        found.push_str(&format!("; not read for their type: {}", unread.join(", ")));
    }
    let input = || cfg.input.clone();
    let file_name = raw.file_name();
    let plan = detect::plan(
        &headers,
        &|h| column_strings(df, h),
        &cfg.map,
        cfg.id_column.as_deref(),
        cfg.platform.as_deref(),
        &file_name,
    )
    .map_err(|e| match e {
        detect::Unfit::NoFollowers => ImportError::NoFollowers { input: input(), found: found.clone() },
        detect::Unfit::NoIdentity => ImportError::NoIdentity { input: input(), found: found.clone() },
        detect::Unfit::NoSuchColumn(name) => ImportError::NoSuchColumn { input: input(), name, found: found.clone() },
        detect::Unfit::MappedTwice(name) => ImportError::MappedTwice { input: input(), name },
    })?;
    let platform_plan = plan.platform.clone().ok_or_else(|| ImportError::NoPlatform { input: input() })?;
    rep.platform = match &platform_plan {
        PlatformPlan::Fixed { platform, evidence } => format!("{platform} ({evidence})"),
        PlatformPlan::Column { evidence, .. } => format!("per row ({evidence})"),
    };
    if let PlatformPlan::Fixed { platform, .. } = &platform_plan
        && !KNOWN_PLATFORMS.contains(&platform.as_str())
    {
        rep.notes.push(format!("platform '{platform}' is not a known platform; accepted as-is"));
    }
    let handle_col = plan.handle.clone();
    let name_col = plan.name.clone();
    let followers_col = plan.fields.iter().find(|f| f.0 == Role::Followers).map(|f| f.1.clone()).expect("planned");
    rep.handle_column = handle_col.clone();
    rep.mapped.push((handle_col.clone(), "handle".into()));
    if let Some(n) = &name_col {
        rep.mapped.push((n.clone(), "name".into()));
    }
    let mut roles: Vec<(Role, String)> = plan.fields.clone();
    roles.sort();
    for (r, h) in &roles {
        rep.mapped.push((h.clone(), r.output().into()));
    }
    rep.choices = plan.choices.clone();
    rep.passed = plan.passed.clone();
    let used: Vec<&String> = rep.mapped.iter().map(|(h, _)| h).collect();
    rep.ignored = headers
        .iter()
        .filter(|h| !used.contains(h))
        .filter(|h| !matches!(&platform_plan, PlatformPlan::Column { column, .. } if column == *h))
        .cloned()
        .collect();

    let n = df.height();
    rep.rows_read = n;
    let handles = column_strings(df, &handle_col);
    let names = name_col.as_ref().map(|c| column_strings(df, c));
    let text_of = |role: Role| roles.iter().find(|(r, _)| *r == role).map(|(_, h)| column_strings(df, h));
    let categories = text_of(Role::Category);
    let countries = text_of(Role::Country);
    let row_platforms = match &platform_plan {
        PlatformPlan::Column { column, .. } => Some(column_strings(df, column)),
        PlatformPlan::Fixed { .. } => None,
    };
    if categories.is_none() {
        rep.notes.push("no category column: category set to 'unknown'".into());
    }
    let mut numbers: BTreeMap<Role, Vec<Option<f64>>> = BTreeMap::new();
    // Shares above 100% and counts beyond any real one (1e300 followers) are left empty and
    // counted, never clamped into a plausible-looking value.
    let mut out_of_range: BTreeMap<String, usize> = BTreeMap::new();
    let mut ranges = 0usize;
    for (role, h) in &roles {
        if matches!(role, Role::Category | Role::Country | Role::Identity) {
            continue;
        }
        let out = role.output().to_string();
        let share = matches!(role, Role::EngagementRate | Role::SponsoredShare);
        let percent = plan.percent.get(role).copied().unwrap_or(false);
        let vals = column_strings(df, h)
            .into_iter()
            .map(|v| {
                let v = v.as_deref().unwrap_or("");
                match (share, messy_number(v)) {
                    (true, _) => messy_share(v, percent),
                    (false, Cell::Invalid) if *role == Role::PricePerPost => match profile::range_midpoint(v) {
                        Some(mid) => {
                            ranges += 1;
                            Cell::Value(mid)
                        }
                        None => Cell::Invalid,
                    },
                    (false, c) => c,
                }
            })
            .map(|cell| match cell {
                Cell::Value(x) if share && x > 1.0 => {
                    *out_of_range.entry(out.clone()).or_default() += 1;
                    None
                }
                Cell::Value(x) if x > crate::contract::MAX_AMOUNT => {
                    *out_of_range.entry(out.clone()).or_default() += 1;
                    None
                }
                Cell::Value(x) if x >= 0.0 => Some(x),
                Cell::Value(_) | Cell::Invalid => {
                    *rep.unparseable_cells.entry(out.clone()).or_default() += 1;
                    None
                }
                Cell::Missing => {
                    *rep.missing_cells.entry(out.clone()).or_default() += 1;
                    None
                }
            })
            .collect();
        numbers.insert(*role, vals);
    }
    if ranges > 0 {
        rep.notes.push(format!("{ranges} price_per_post ranges (\"$1K - $2K\") read as their midpoints"));
    }
    for (column, k) in &out_of_range {
        let what = if matches!(column.as_str(), "engagement_rate" | "sponsored_share") {
            "above 100%"
        } else {
            "above 10^15, beyond any real count"
        };
        rep.notes.push(format!("{k} {column} values {what} left empty"));
    }
    let num = |role: Role, row: usize| numbers.get(&role).and_then(|v| v[row]);

    let all_empty = |row: usize| {
        headers.iter().all(|h| {
            df.column(h).ok().and_then(|c| c.get(row).ok()).is_none_or(|v| match v {
                AnyValue::Null => true,
                AnyValue::String(s) => s.trim().is_empty(),
                AnyValue::StringOwned(s) => s.trim().is_empty(),
                _ => false,
            })
        })
    };

    let mut out = Output::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut rate_out_of_range = 0;
    for row in 0..n {
        let cell = handles[row].as_deref().map(str::trim).unwrap_or("");
        let cell = if plan.handle_from_url { profile::handle_of_url(cell) } else { cell };
        let handle = cell.trim_start_matches('@').to_string();
        if handle.is_empty() {
            if all_empty(row) {
                rep.empty_rows += 1;
            } else {
                rep.rejected.push((row + 1, format!("no handle: column '{handle_col}' is empty")));
            }
            continue;
        }
        let Some(followers) = num(Role::Followers, row) else {
            let raw =
                df.column(&followers_col).ok().and_then(|c| c.get(row).ok()).map(|v| v.to_string()).unwrap_or_default();
            let raw = raw.trim_matches('"');
            let why = match messy_number(raw) {
                Cell::Value(x) if x > crate::contract::MAX_AMOUNT => "is above 10^15, beyond any real count",
                _ => "is not a count",
            };
            rep.rejected.push((row + 1, format!("no followers: '{raw}' in column '{followers_col}' {why}")));
            continue;
        };
        let platform = match (&platform_plan, &row_platforms) {
            (PlatformPlan::Fixed { platform, .. }, _) => platform.clone(),
            (PlatformPlan::Column { column, .. }, Some(values)) => {
                let v = values[row].as_deref().map(str::trim).unwrap_or("");
                match platform::canonical(v) {
                    Some(p) => p.to_string(),
                    None if v.is_empty() => {
                        rep.rejected.push((row + 1, format!("no platform: column '{column}' is empty")));
                        continue;
                    }
                    None => v.to_lowercase(),
                }
            }
            (PlatformPlan::Column { .. }, None) => unreachable!("read above"),
        };
        let id = format!("{platform}:{}", handle.to_lowercase());
        if let Some(first) = seen.get(&id) {
            rep.rejected.push((row + 1, format!("duplicate: '{id}' already imported from row {first}")));
            continue;
        }
        seen.insert(id.clone(), row + 1);
        fn text(v: &Option<Vec<Option<String>>>, row: usize) -> Option<&str> {
            v.as_ref()?[row].as_deref().map(str::trim).filter(|s| !s.is_empty() && messy_number(s) != Cell::Missing)
        }
        let category = text(&categories, row).map(str::to_lowercase);
        if categories.is_some() && category.is_none() {
            *rep.missing_cells.entry("category".into()).or_default() += 1;
        }
        let engagement_rate = engagement_rate(&num, row, followers);
        let engagement_rate = match engagement_rate {
            // Only a rate computed from engagement counts can get here above 1.
            Some(r) if r > 1.0 => {
                rate_out_of_range += 1;
                None
            }
            r => r,
        };
        out.id.push(id);
        out.platform.push(platform);
        out.source.push(row);
        out.handle.push(handle);
        out.name.push(names.as_ref().and_then(|v| v[row].as_deref()).map(str::trim).unwrap_or("").to_string());
        out.category.push(category.unwrap_or_else(|| "unknown".into()));
        out.country.push(text(&countries, row).map(str::to_string));
        out.followers.push(followers);
        out.engagement_rate.push(engagement_rate);
        for role in OPTIONAL_NUMBERS {
            out.extra.entry(role).or_default().push(num(role, row));
        }
    }
    if rate_out_of_range > 0 {
        rep.notes.push(format!("{rate_out_of_range} engagement rates computed above 1 per follower left empty"));
    }
    rep.rows_written = out.id.len();
    Ok((out, numbers, rep, raw.frame))
}

/// `DIR/influencers.csv` → `DIR/influencers.rejected.csv`.
pub fn rejected_path(out: &Path) -> PathBuf {
    let stem = out.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "import".into());
    out.with_file_name(format!("{stem}.rejected.csv"))
}

/// Engagements per follower per post: an explicit rate column wins (already a fraction, see
/// [`messy_share`]), else average engagements, else likes + comments + shares.
fn engagement_rate(num: &impl Fn(Role, usize) -> Option<f64>, row: usize, followers: f64) -> Option<f64> {
    if let Some(r) = num(Role::EngagementRate, row) {
        return Some(r);
    }
    if followers <= 0.0 {
        return None;
    }
    if let Some(e) = num(Role::EngagementAvg, row) {
        return Some(e / followers);
    }
    let parts = [num(Role::AvgLikes, row), num(Role::AvgComments, row), num(Role::AvgShares, row)];
    if parts.iter().all(Option::is_none) {
        return None;
    }
    Some(parts.iter().flatten().sum::<f64>() / followers)
}

/// Numeric columns copied to the output when the list has them.
const OPTIONAL_NUMBERS: [Role; 11] = [
    Role::AvgViews,
    Role::PricePerPost,
    Role::PostsPerWeek,
    Role::SponsoredShare,
    Role::AvgLikes,
    Role::AvgComments,
    Role::AvgShares,
    Role::EngagementAvg,
    Role::TotalViews,
    Role::Uploads,
    Role::FollowersGained30d,
];

#[derive(Default)]
struct Output {
    id: Vec<String>,
    platform: Vec<String>,
    /// Input data row (0-based) of each output row.
    source: Vec<usize>,
    handle: Vec<String>,
    name: Vec<String>,
    category: Vec<String>,
    country: Vec<Option<String>>,
    followers: Vec<f64>,
    engagement_rate: Vec<Option<f64>>,
    extra: BTreeMap<Role, Vec<Option<f64>>>,
}

impl Output {
    fn frame(self, present: &BTreeMap<Role, Vec<Option<f64>>>) -> DataFrame {
        let mut cols = vec![
            Column::new("influencer_id".into(), self.id),
            Column::new("handle".into(), self.handle),
            Column::new("name".into(), self.name),
            Column::new("platform".into(), self.platform),
            Column::new("category".into(), self.category),
            Column::new("country".into(), self.country),
            Column::new("followers".into(), self.followers.iter().map(|f| f.round() as i64).collect::<Vec<_>>()),
            Column::new("engagement_rate".into(), self.engagement_rate),
        ];
        for (role, vals) in self.extra {
            // Only columns the list actually had; a shares share stays a fraction.
            if present.contains_key(&role) {
                cols.push(Column::new(role.output().into(), vals));
            }
        }
        DataFrame::new_infer_height(cols).expect("equal lengths")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_keys_fold_punctuation_case_and_newlines() {
        assert_eq!(header_key("\nViews (Avg.)"), "viewsavg");
        assert_eq!(header_key("Views avg."), "viewsavg");
        assert_eq!(header_key(" Subscribers"), "subscribers");
        assert_eq!(header_key("Category-1"), "category1");
        assert_eq!(header_key("Authentic engagement\n"), "authenticengagement");
        assert_eq!(header_key("粉丝数"), "粉丝数");
        let role = |h: &str| roles::alias_rank(&header_key(h)).map(|r| r.0);
        assert_eq!(role("Subscribers count"), Some(Role::Followers));
        assert_eq!(role("Eng. (Avg.)"), Some(Role::EngagementAvg));
        assert_eq!(role("views(avg)"), Some(Role::AvgViews));
    }

    #[test]
    fn profile_links_give_their_last_path_segment_and_ranges_their_midpoint() {
        use profile::{handle_of_url, range_midpoint};
        assert_eq!(handle_of_url("https://www.instagram.com/cristiano/?hl=en"), "cristiano");
        assert_eq!(handle_of_url("https://www.youtube.com/@MrBeast"), "@MrBeast");
        assert_eq!(handle_of_url("tiktok.com/@khaby.lame#top"), "@khaby.lame");
        assert_eq!(range_midpoint("$65.8K - $131.6K"), Some(98_700.0));
        assert_eq!(range_midpoint("850w-1000w"), Some(9_250_000.0));
        assert_eq!(range_midpoint("-5.3万"), None);
        assert_eq!(range_midpoint("300 ~ 100"), None, "a range runs upward");
        assert_eq!(range_midpoint("12万"), None);
    }
}
