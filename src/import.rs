//! Importer for messy influencer lists exported from platforms and agencies: matches headers
//! through an alias table, parses numbers such as `48.5M` or `12.5万`, and writes the contract's
//! `influencers` table with a report of what could not be read.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::contract::KNOWN_PLATFORMS;
use crate::parse::{Cell, messy_number};
use crate::table::{self, TableError};

/// What an input column means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Handle or display name: the importer picks the most handle-like as the ID.
    Identity,
    Followers,
    Category,
    Country,
    AvgViews,
    AvgLikes,
    AvgComments,
    AvgShares,
    /// Average engagements per post (a count).
    EngagementAvg,
    /// Engagements per follower, as a fraction or percent.
    EngagementRate,
    PricePerPost,
    PostsPerWeek,
    SponsoredShare,
    TotalViews,
    Uploads,
    FollowersGained30d,
    Views30d,
}

impl Role {
    /// Output column of the role (identity columns become `handle` and `name`).
    pub fn output(self) -> &'static str {
        match self {
            Role::Identity => "handle",
            Role::Followers => "followers",
            Role::Category => "category",
            Role::Country => "country",
            Role::AvgViews => "avg_views",
            Role::AvgLikes => "avg_likes",
            Role::AvgComments => "avg_comments",
            Role::AvgShares => "avg_shares",
            Role::EngagementAvg => "avg_engagements",
            Role::EngagementRate => "engagement_rate",
            Role::PricePerPost => "price_per_post",
            Role::PostsPerWeek => "posts_per_week",
            Role::SponsoredShare => "sponsored_share",
            Role::TotalViews => "total_views",
            Role::Uploads => "uploads",
            Role::FollowersGained30d => "followers_gained_30d",
            Role::Views30d => "views_30d",
        }
    }
}

/// Header aliases, compared after [`header_key`] (lower case, letters and digits only). Earlier
/// entries of one role win when a list has several columns of that role.
pub const ALIASES: &[(&str, Role)] = &[
    ("handle", Role::Identity),
    ("username", Role::Identity),
    ("account", Role::Identity),
    ("influencerinstaname", Role::Identity),
    ("instagramname", Role::Identity),
    ("tiktokername", Role::Identity),
    ("tiktoker", Role::Identity),
    ("tiktokname", Role::Identity),
    ("youtubername", Role::Identity),
    ("youtuber", Role::Identity),
    ("youtubechannel", Role::Identity),
    ("channelname", Role::Identity),
    ("channel", Role::Identity),
    ("influencername", Role::Identity),
    ("creator", Role::Identity),
    ("creatorname", Role::Identity),
    ("kol", Role::Identity),
    ("name", Role::Identity),
    ("title", Role::Identity),
    ("达人昵称", Role::Identity),
    ("达人", Role::Identity),
    ("昵称", Role::Identity),
    ("账号", Role::Identity),
    ("抖音号", Role::Identity),
    ("快手号", Role::Identity),
    ("小红书号", Role::Identity),
    ("followers", Role::Followers),
    ("subscribers", Role::Followers),
    ("subscriberscount", Role::Followers),
    ("subscribercount", Role::Followers),
    ("followerscount", Role::Followers),
    ("followercount", Role::Followers),
    ("fans", Role::Followers),
    ("粉丝数", Role::Followers),
    ("粉丝量", Role::Followers),
    ("粉丝", Role::Followers),
    ("粉丝总数", Role::Followers),
    ("category", Role::Category),
    ("category1", Role::Category),
    ("niche", Role::Category),
    ("topic", Role::Category),
    ("类目", Role::Category),
    ("分类", Role::Category),
    ("领域", Role::Category),
    ("channeltype", Role::Category),
    ("country", Role::Country),
    ("audiencecountry", Role::Country),
    ("audiencecountrymostly", Role::Country),
    ("region", Role::Country),
    ("国家", Role::Country),
    ("地区", Role::Country),
    ("viewsavg", Role::AvgViews),
    ("avgviews", Role::AvgViews),
    ("averageviews", Role::AvgViews),
    ("平均播放量", Role::AvgViews),
    ("场均播放", Role::AvgViews),
    ("likesavg", Role::AvgLikes),
    ("avglikes", Role::AvgLikes),
    ("averagelikes", Role::AvgLikes),
    ("平均点赞", Role::AvgLikes),
    ("commentsavg", Role::AvgComments),
    ("avgcomments", Role::AvgComments),
    ("averagecomments", Role::AvgComments),
    ("平均评论", Role::AvgComments),
    ("sharesavg", Role::AvgShares),
    ("avgshares", Role::AvgShares),
    ("平均分享", Role::AvgShares),
    ("engagementavg", Role::EngagementAvg),
    ("engagementaverage", Role::EngagementAvg),
    ("engavg", Role::EngagementAvg),
    ("avgengagement", Role::EngagementAvg),
    ("averageengagement", Role::EngagementAvg),
    ("engagementrate", Role::EngagementRate),
    ("er", Role::EngagementRate),
    ("互动率", Role::EngagementRate),
    ("price", Role::PricePerPost),
    ("priceperpost", Role::PricePerPost),
    ("报价", Role::PricePerPost),
    ("刊例价", Role::PricePerPost),
    ("postsperweek", Role::PostsPerWeek),
    ("sponsoredshare", Role::SponsoredShare),
    ("videoviews", Role::TotalViews),
    ("totalviews", Role::TotalViews),
    ("uploads", Role::Uploads),
    ("subscribersforlast30days", Role::FollowersGained30d),
    ("followersgained30d", Role::FollowersGained30d),
    ("videoviewsforthelast30days", Role::Views30d),
];

/// Lower case, letters and digits only: `"\nViews (Avg.)"` → `viewsavg`, `Category-1` → `category1`.
pub fn header_key(h: &str) -> String {
    h.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

fn role_of(key: &str) -> Option<(Role, usize)> {
    ALIASES.iter().position(|(a, _)| *a == key).map(|i| (ALIASES[i].1, i))
}

#[derive(Clone, Debug)]
pub struct ImportConfig {
    pub input: PathBuf,
    /// Platform of every row (lists rarely say); lower-cased.
    pub platform: String,
    pub out: PathBuf,
    /// Use this input column as the handle instead of guessing.
    pub id_column: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Table(#[from] TableError),
    #[error("{}: no followers column; looked for aliases such as Followers, Subscribers, Subscribers count, 粉丝数 (headers found: {found})", input.display())]
    NoFollowers { input: PathBuf, found: String },
    #[error("{}: no handle or name column; looked for aliases such as handle, username, channel name, 达人昵称 (headers found: {found})", input.display())]
    NoIdentity { input: PathBuf, found: String },
    #[error("{}: id_column '{name}' is not a column (headers found: {found})", input.display())]
    NoSuchColumn { input: PathBuf, name: String, found: String },
    #[error("empty platform name: give the list's platform, e.g. douyin, xiaohongshu, instagram")]
    NoPlatform,
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
    pub ignored: Vec<String>,
    pub handle_column: String,
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
        let mapped: Vec<String> = self.mapped.iter().map(|(h, o)| format!("{h:?}→{o}")).collect();
        writeln!(f, "  columns: {}", mapped.join(", "))?;
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

/// How handle-like a column's values are: share of non-empty values with no spaces and only
/// ASCII letters, digits, `.`, `_`, `-`. Display names ("Cocomelon - Nursery Rhymes") score low.
fn handle_likeness(values: &[Option<String>]) -> f64 {
    let present: Vec<&str> = values.iter().flatten().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
    if present.is_empty() {
        return -1.0;
    }
    let ok = present
        .iter()
        .filter(|s| s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')))
        .count();
    ok as f64 / present.len() as f64
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
    let (out, numbers, platform, mut rep, _) = parse(cfg)?;
    let mut frame = out.frame(&platform, &numbers);
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
    let (out, _, platform, report, input) = parse(cfg)?;
    let mut inf = crate::dataset::Influencers::default();
    for k in 0..out.id.len() {
        inf.push_basic(&out.id[k], &platform, &out.category[k], out.followers[k]);
        inf.handle[k].clone_from(&out.handle[k]);
        inf.country[k] = out.country[k].clone().unwrap_or_default();
        inf.engagement_rate[k] = out.engagement_rate[k].map_or(f32::NAN, |v| v as f32);
        let extra = |role: Role| out.extra.get(&role).and_then(|v| v[k]).unwrap_or(f64::NAN);
        inf.avg_views[k] = extra(Role::AvgViews);
        inf.price_per_post[k] = extra(Role::PricePerPost);
        inf.posts_per_week[k] = extra(Role::PostsPerWeek) as f32;
        let share = extra(Role::SponsoredShare);
        inf.sponsored_share[k] = if share > 1.0 { share / 100.0 } else { share } as f32;
    }
    Ok(List { influencers: inf, source_row: out.source, input, report })
}

type Parsed = (Output, BTreeMap<Role, Vec<Option<f64>>>, String, ImportReport, DataFrame);

fn parse(cfg: &ImportConfig) -> Result<Parsed, ImportError> {
    let platform = cfg.platform.trim().to_lowercase();
    if platform.is_empty() {
        return Err(ImportError::NoPlatform);
    }
    let raw = table::read(&cfg.input)?;
    let df = &raw.frame;
    let mut rep = ImportReport {
        input: cfg.input.clone(),
        out: cfg.out.clone(),
        repaired_bytes: raw.repaired_bytes,
        ..Default::default()
    };
    if !KNOWN_PLATFORMS.contains(&platform.as_str()) {
        rep.notes.push(format!("platform '{platform}' is not a known platform; accepted as-is"));
    }
    let headers: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
    let found = headers.iter().map(|h| format!("{h:?}")).collect::<Vec<_>>().join(", ");

    // Assign roles: the best-ranked alias of each role wins; identity keeps all candidates.
    let mut best: HashMap<Role, (usize, String)> = HashMap::new();
    let mut identity: Vec<(usize, String)> = Vec::new();
    for h in &headers {
        match role_of(&header_key(h)) {
            Some((Role::Identity, rank)) => identity.push((rank, h.clone())),
            Some((role, rank)) => {
                let e = best.entry(role).or_insert((usize::MAX, String::new()));
                if rank < e.0 {
                    *e = (rank, h.clone());
                }
            }
            None => {}
        }
    }
    let Some((_, followers_col)) = best.get(&Role::Followers).cloned() else {
        return Err(ImportError::NoFollowers { input: cfg.input.clone(), found });
    };
    identity.sort();
    let handle_col = match &cfg.id_column {
        Some(name) => {
            headers.iter().find(|h| h.trim() == name.trim() || header_key(h) == header_key(name)).cloned().ok_or_else(
                || ImportError::NoSuchColumn { input: cfg.input.clone(), name: name.clone(), found: found.clone() },
            )?
        }
        None => {
            let scored: Vec<(f64, usize, String)> =
                identity.iter().map(|(rank, h)| (handle_likeness(&column_strings(df, h)), *rank, h.clone())).collect();
            scored
                .iter()
                .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)))
                .map(|s| s.2.clone())
                .ok_or_else(|| ImportError::NoIdentity { input: cfg.input.clone(), found: found.clone() })?
        }
    };
    let name_col = identity.iter().map(|(_, h)| h).find(|h| **h != handle_col).cloned();
    rep.handle_column = handle_col.clone();
    rep.mapped.push((handle_col.clone(), "handle".into()));
    if let Some(n) = &name_col {
        rep.mapped.push((n.clone(), "name".into()));
    }
    let mut roles: Vec<(Role, String)> = best.into_iter().map(|(r, (_, h))| (r, h)).collect();
    roles.sort();
    for (r, h) in &roles {
        rep.mapped.push((h.clone(), r.output().into()));
    }
    let used: Vec<&String> = rep.mapped.iter().map(|(h, _)| h).collect();
    rep.ignored = headers.iter().filter(|h| !used.contains(h)).cloned().collect();

    let n = df.height();
    rep.rows_read = n;
    let handles = column_strings(df, &handle_col);
    let names = name_col.as_ref().map(|c| column_strings(df, c));
    let text_of = |role: Role| roles.iter().find(|(r, _)| *r == role).map(|(_, h)| column_strings(df, h));
    let categories = text_of(Role::Category);
    let countries = text_of(Role::Country);
    if categories.is_none() {
        rep.notes.push("no category column: category set to 'unknown'".into());
    }
    let mut numbers: BTreeMap<Role, Vec<Option<f64>>> = BTreeMap::new();
    for (role, h) in &roles {
        if matches!(role, Role::Category | Role::Country | Role::Identity) {
            continue;
        }
        let out = role.output().to_string();
        let vals = column_strings(df, h)
            .into_iter()
            .map(|v| match messy_number(v.as_deref().unwrap_or("")) {
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
        let handle = handles[row].as_deref().map(str::trim).unwrap_or("").trim_start_matches('@').to_string();
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
            rep.rejected.push((
                row + 1,
                format!("no followers: '{}' in column '{followers_col}' is not a count", raw.trim_matches('"')),
            ));
            continue;
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
            Some(r) if r > 1.0 => {
                rate_out_of_range += 1;
                None
            }
            r => r,
        };
        out.id.push(id);
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
        rep.notes.push(format!("{rate_out_of_range} engagement rates above 1 per follower left empty"));
    }
    rep.rows_written = out.id.len();
    Ok((out, numbers, platform, rep, raw.frame))
}

/// `DIR/influencers.csv` → `DIR/influencers.rejected.csv`.
pub fn rejected_path(out: &Path) -> PathBuf {
    let stem = out.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "import".into());
    out.with_file_name(format!("{stem}.rejected.csv"))
}

/// Engagements per follower per post: an explicit rate column wins (values above 1 without `%`
/// are read as percents), else average engagements, else likes + comments + shares.
fn engagement_rate(num: &impl Fn(Role, usize) -> Option<f64>, row: usize, followers: f64) -> Option<f64> {
    if let Some(r) = num(Role::EngagementRate, row) {
        return Some(if r > 1.0 { r / 100.0 } else { r });
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
    fn frame(self, platform: &str, present: &BTreeMap<Role, Vec<Option<f64>>>) -> DataFrame {
        let n = self.id.len();
        let mut cols = vec![
            Column::new("influencer_id".into(), self.id),
            Column::new("handle".into(), self.handle),
            Column::new("name".into(), self.name),
            Column::new("platform".into(), vec![platform; n]),
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
        assert_eq!(role_of(&header_key("Subscribers count")).map(|r| r.0), Some(Role::Followers));
        assert_eq!(role_of(&header_key("Eng. (Avg.)")).map(|r| r.0), Some(Role::EngagementAvg));
        assert_eq!(role_of(&header_key("views(avg)")).map(|r| r.0), Some(Role::AvgViews));
    }

    #[test]
    fn handle_likeness_prefers_handles_over_display_names() {
        let handles = vec![Some("tseries".into()), Some("MrBeast6000".into()), Some("khaby.lame".into())];
        let names = vec![Some("T-Series".into()), Some("Cocomelon - Nursery Rhymes".into()), Some("Kylie 🤍".into())];
        assert!(handle_likeness(&handles) > handle_likeness(&names));
    }
}
