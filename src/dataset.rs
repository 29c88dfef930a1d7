//! The typed dataset and its loader: reads the four tables of the data contract, checks every
//! value, and either fails with a report or (lenient) quarantines the bad rows.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::contract::{AGE_BUCKETS, AGE_SUM_TOLERANCE, Column as ColumnSpec, Kind, Objective, Table};
use crate::parse::{iso_date, strict_number};
use crate::report::{Problem, ProblemKind, ValidationReport};
use crate::table::{self, RawTable, TableError};

/// Date value for "no date" in a `Vec<i32>` of days since 1970-01-01.
pub const NO_DATE: i32 = i32::MIN;

/// Audience demographics; `NaN` where unknown.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Audience {
    pub female_share: Vec<f32>,
    /// The five age buckets of [`AGE_BUCKETS`], in order.
    pub ages: [Vec<f32>; 5],
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Brands {
    pub id: Vec<String>,
    pub category: Vec<String>,
    /// Empty string where unknown.
    pub name: Vec<String>,
    pub country: Vec<String>,
    pub audience: Audience,
    /// `NaN` where unknown.
    pub budget: Vec<f64>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Influencers {
    pub id: Vec<String>,
    /// Lower-cased platform name.
    pub platform: Vec<String>,
    pub category: Vec<String>,
    pub followers: Vec<f64>,
    pub handle: Vec<String>,
    pub country: Vec<String>,
    pub avg_views: Vec<f64>,
    pub engagement_rate: Vec<f32>,
    pub posts_per_week: Vec<f32>,
    pub sponsored_share: Vec<f32>,
    pub price_per_post: Vec<f64>,
    pub audience: Audience,
}

/// Historical campaign outcomes, one row per brand–influencer post. `brand` and `influencer`
/// index into [`Brands`] and [`Influencers`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Campaigns {
    pub brand: Vec<u32>,
    pub influencer: Vec<u32>,
    pub date: Vec<i32>,
    pub cost: Vec<f64>,
    pub impressions: Vec<f64>,
    pub campaign_id: Vec<String>,
    pub objective: Vec<Option<Objective>>,
    pub clicks: Vec<f64>,
    pub engagements: Vec<f64>,
    pub conversions: Vec<f64>,
    pub revenue: Vec<f64>,
}

/// Follower snapshots, sorted by influencer then date. Per-period counts are `NaN` where unknown.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshots {
    pub influencer: Vec<u32>,
    pub date: Vec<i32>,
    pub followers: Vec<f64>,
    pub views: Vec<f64>,
    pub likes: Vec<f64>,
    pub posts: Vec<f64>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dataset {
    pub brands: Brands,
    pub influencers: Influencers,
    pub campaigns: Campaigns,
    pub snapshots: Snapshots,
}

impl Brands {
    pub fn len(&self) -> usize {
        self.id.len()
    }
    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }
    pub fn index(&self) -> HashMap<&str, u32> {
        id_index(&self.id)
    }
}

impl Influencers {
    pub fn len(&self) -> usize {
        self.id.len()
    }
    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }
    pub fn index(&self) -> HashMap<&str, u32> {
        id_index(&self.id)
    }

    /// Append a creator known only by ID, platform, category and followers; every optional field
    /// is unknown (`NaN` or empty).
    pub fn push_basic(&mut self, id: &str, platform: &str, category: &str, followers: f64) {
        self.id.push(id.into());
        self.platform.push(platform.into());
        self.category.push(category.into());
        self.followers.push(followers);
        self.handle.push(String::new());
        self.country.push(String::new());
        self.avg_views.push(f64::NAN);
        self.engagement_rate.push(f32::NAN);
        self.posts_per_week.push(f32::NAN);
        self.sponsored_share.push(f32::NAN);
        self.price_per_post.push(f64::NAN);
        self.audience.female_share.push(f32::NAN);
        for a in &mut self.audience.ages {
            a.push(f32::NAN);
        }
    }

    /// Append row `i` of `other`.
    pub fn push_from(&mut self, other: &Influencers, i: usize) {
        self.push_basic(&other.id[i], &other.platform[i], &other.category[i], other.followers[i]);
        let last = self.len() - 1;
        self.handle[last].clone_from(&other.handle[i]);
        self.country[last].clone_from(&other.country[i]);
        self.avg_views[last] = other.avg_views[i];
        self.engagement_rate[last] = other.engagement_rate[i];
        self.posts_per_week[last] = other.posts_per_week[i];
        self.sponsored_share[last] = other.sponsored_share[i];
        self.price_per_post[last] = other.price_per_post[i];
        self.audience.female_share[last] = other.audience.female_share[i];
        for (a, b) in self.audience.ages.iter_mut().zip(&other.audience.ages) {
            a[last] = b[i];
        }
    }
}

impl Campaigns {
    pub fn len(&self) -> usize {
        self.brand.len()
    }
    pub fn is_empty(&self) -> bool {
        self.brand.is_empty()
    }
}

/// Sums of campaign outcomes over a set of rows, each rate's numerator and denominator taken over
/// the rows that report both (a row without clicks says nothing about CTR).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Totals {
    pub cost: f64,
    pub impressions: f64,
    /// Clicks, and the impressions of the rows that report clicks.
    pub clicks: f64,
    pub impressions_with_clicks: f64,
    /// Conversions, and the impressions of the rows that report conversions.
    pub conversions: f64,
    pub impressions_with_conversions: f64,
    /// Conversions and clicks over the rows that report both.
    pub conversions_with_clicks: f64,
    pub clicks_with_conversions: f64,
    /// Revenue, and the conversions of the rows that report both.
    pub revenue: f64,
    pub conversions_with_revenue: f64,
}

impl Campaigns {
    pub fn totals(&self, rows: impl Iterator<Item = usize>) -> Totals {
        let mut t = Totals::default();
        for r in rows {
            t.cost += self.cost[r];
            t.impressions += self.impressions[r];
            let (clicks, conv) = (self.clicks[r], self.conversions[r]);
            if clicks.is_finite() {
                t.clicks += clicks;
                t.impressions_with_clicks += self.impressions[r];
            }
            if conv.is_finite() {
                t.conversions += conv;
                t.impressions_with_conversions += self.impressions[r];
                if clicks.is_finite() {
                    t.conversions_with_clicks += conv;
                    t.clicks_with_conversions += clicks;
                }
                if self.revenue[r].is_finite() {
                    t.revenue += self.revenue[r];
                    t.conversions_with_revenue += conv;
                }
            }
        }
        t
    }
}

impl Snapshots {
    pub fn len(&self) -> usize {
        self.influencer.len()
    }
    pub fn is_empty(&self) -> bool {
        self.influencer.is_empty()
    }
}

fn id_index(ids: &[String]) -> HashMap<&str, u32> {
    ids.iter().enumerate().map(|(i, s)| (s.as_str(), i as u32)).collect()
}

#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Quarantine bad rows instead of failing.
    pub lenient: bool,
    /// How many problems the report prints.
    pub max_shown: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions { lenient: false, max_shown: 20 }
    }
}

/// A row that lenient loading set aside, with every reason found for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejected {
    pub table: Table,
    pub row: usize,
    pub id: String,
    pub reasons: String,
}

#[derive(Clone, Debug, Default)]
pub struct TableStats {
    pub file: PathBuf,
    pub rows_read: usize,
    pub rows_kept: usize,
    pub repaired_bytes: usize,
}

/// What a load did: per-table counts, and (lenient) the problems and quarantined rows.
#[derive(Clone, Debug, Default)]
pub struct LoadReport {
    pub tables: Vec<(Table, TableStats)>,
    pub problems: ValidationReport,
    pub rejected: Vec<Rejected>,
}

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("invalid dataset in {}: {report}", dir.display())]
    Invalid { dir: PathBuf, report: ValidationReport },
    #[error(transparent)]
    Table(#[from] TableError),
}

/// Load and validate the dataset in `dir`.
pub fn load(dir: &Path, opts: &LoadOptions) -> Result<(Dataset, LoadReport), DataError> {
    let mut problems = Problems::default();
    let mut report = LoadReport::default();
    let mut ds = Dataset::default();

    let raw: Vec<Option<RawTable>> = Table::ALL
        .iter()
        .map(|&t| match table::locate(dir, t.name()).and_then(|p| table::read(&p)) {
            Ok(r) => Some(r),
            Err(e) => {
                let (kind, file) = match &e {
                    TableError::Missing { .. } => (ProblemKind::MissingTable, format!("{}.*", t.name())),
                    TableError::Ambiguous { .. } => (ProblemKind::AmbiguousTable, format!("{}.*", t.name())),
                    _ => (ProblemKind::Unreadable, t.name().to_string()),
                };
                problems.push(Problem { file, row: None, column: None, kind, detail: e.to_string() });
                None
            }
        })
        .collect();
    let [brands_raw, infl_raw, camp_raw, snap_raw]: [Option<RawTable>; 4] =
        raw.try_into().unwrap_or_else(|_| unreachable!("four tables"));

    let mut stats = |t: Table, r: &RawTable, kept: usize| {
        report.tables.push((
            t,
            TableStats {
                file: r.path.clone(),
                rows_read: r.frame.height(),
                rows_kept: kept,
                repaired_bytes: r.repaired_bytes,
            },
        ));
    };

    // Strict loads resolve references against every ID in the parent file, so one bad brand row is
    // one problem, not one per campaign. Lenient loads resolve against the kept rows only, so the
    // dependants of a quarantined row are quarantined with it.
    let mut brand_ids = Vec::new();
    let mut infl_ids = Vec::new();
    if let Some(r) = &brands_raw {
        if let Some(b) = parse_brands(r, &mut problems) {
            ds.brands = b;
        }
        brand_ids = if opts.lenient { ds.brands.id.clone() } else { all_ids(r, "brand_id") };
        stats(Table::Brands, r, ds.brands.len());
    }
    if let Some(r) = &infl_raw {
        if let Some(i) = parse_influencers(r, &mut problems) {
            ds.influencers = i;
        }
        infl_ids = if opts.lenient { ds.influencers.id.clone() } else { all_ids(r, "influencer_id") };
        stats(Table::Influencers, r, ds.influencers.len());
    }
    // References are only checked against tables that loaded; a missing parent table is already
    // a fatal problem of its own.
    let brands_ok = brands_raw.is_some();
    let infl_ok = infl_raw.is_some();
    if let Some(r) = &camp_raw {
        let bi = id_index(&brand_ids);
        let ii = id_index(&infl_ids);
        let refs = Refs { brands: brands_ok.then_some(&bi), influencers: infl_ok.then_some(&ii) };
        if let Some(c) = parse_campaigns(r, &refs, &mut problems) {
            ds.campaigns = c;
        }
        stats(Table::Campaigns, r, ds.campaigns.len());
    }
    if let Some(r) = &snap_raw {
        let ii = id_index(&infl_ids);
        if let Some(s) = parse_snapshots(r, infl_ok.then_some(&ii), &mut problems) {
            ds.snapshots = s;
        }
        stats(Table::FollowerSnapshots, r, ds.snapshots.len());
    }

    let fatal = problems.list.iter().any(|p| p.kind.is_fatal());
    report.rejected = std::mem::take(&mut problems.rejected);
    report.problems = ValidationReport { total: problems.list.len(), problems: problems.list, shown: opts.max_shown };
    if report.problems.total > 0 && (fatal || !opts.lenient) {
        return Err(DataError::Invalid { dir: dir.to_path_buf(), report: report.problems });
    }
    Ok((ds, report))
}

/// The trimmed values of an ID column, whatever their row's other problems.
fn all_ids(raw: &RawTable, column: &str) -> Vec<String> {
    let name = raw.frame.get_column_names().into_iter().find(|n| n.trim().to_ascii_lowercase() == column).cloned();
    let Some(col) = name.and_then(|n| raw.frame.column(&n).ok().and_then(|c| c.cast(&DataType::String).ok())) else {
        return Vec::new();
    };
    col.str().map(|ca| ca.iter().map(|v| v.unwrap_or("").trim().to_string()).collect()).unwrap_or_default()
}

/// Collects problems and, per table, which rows are bad.
#[derive(Default)]
struct Problems {
    list: Vec<Problem>,
    rejected: Vec<Rejected>,
}

impl Problems {
    fn push(&mut self, p: Problem) {
        self.list.push(p);
    }
}

struct Refs<'a> {
    brands: Option<&'a HashMap<&'a str, u32>>,
    influencers: Option<&'a HashMap<&'a str, u32>>,
}

/// One table being parsed column by column; remembers which rows went bad and why.
struct Sheet<'a> {
    table: Table,
    file: String,
    frame: &'a DataFrame,
    columns: HashMap<String, String>,
    n: usize,
    /// Problem indices per bad row; sparse, since bad rows are rare and tables can be huge.
    bad: HashMap<usize, Vec<usize>>,
    problems: &'a mut Problems,
    fatal: bool,
}

impl<'a> Sheet<'a> {
    fn new(table: Table, raw: &'a RawTable, problems: &'a mut Problems) -> Sheet<'a> {
        let file = raw.file_name();
        let mut columns = HashMap::new();
        let mut fatal = false;
        for name in raw.frame.get_column_names() {
            let norm = name.trim().trim_start_matches('\u{feff}').to_ascii_lowercase();
            if columns.insert(norm.clone(), name.to_string()).is_some() {
                problems.push(Problem {
                    file: file.clone(),
                    row: None,
                    column: Some(norm),
                    kind: ProblemKind::DuplicateColumn,
                    detail: "the column appears more than once".into(),
                });
                fatal = true;
            }
        }
        for c in table.columns().iter().filter(|c| c.required) {
            if !columns.contains_key(c.name) {
                problems.push(Problem {
                    file: file.clone(),
                    row: None,
                    column: Some(c.name.into()),
                    kind: ProblemKind::MissingColumn,
                    detail: format!("{} requires column '{}'", table, c.name),
                });
                fatal = true;
            }
        }
        let n = raw.frame.height();
        Sheet { table, file, frame: &raw.frame, columns, bad: HashMap::new(), n, problems, fatal }
    }

    fn height(&self) -> usize {
        self.n
    }

    fn report(&mut self, row: usize, column: &str, kind: ProblemKind, detail: String) {
        self.bad.entry(row).or_default().push(self.problems.list.len());
        self.problems.push(Problem {
            file: self.file.clone(),
            row: Some(row + 1),
            column: Some(column.into()),
            kind,
            detail,
        });
    }

    fn spec(&self, name: &str) -> ColumnSpec {
        *self.table.columns().iter().find(|c| c.name == name).unwrap_or_else(|| panic!("{name} is not in the contract"))
    }

    /// The column as text, if present; a non-text Parquet column is cast (numbers print plainly).
    fn column_text(&mut self, name: &str) -> Option<StringChunked> {
        let real = self.columns.get(name)?.clone();
        let col = self.frame.column(&real).ok()?;
        match col.cast(&DataType::String) {
            Ok(c) => c.str().ok().cloned(),
            Err(e) => {
                self.problems.push(Problem {
                    file: self.file.clone(),
                    row: None,
                    column: Some(name.into()),
                    kind: ProblemKind::WrongType,
                    detail: format!("column of type {} cannot be read as text: {e}", col.dtype()),
                });
                self.fatal = true;
                None
            }
        }
    }

    /// Text column; empty string where missing. Required columns report empty values.
    fn text(&mut self, name: &str) -> Vec<String> {
        let spec = self.spec(name);
        let n = self.height();
        let Some(ca) = self.column_text(name) else { return vec![String::new(); n] };
        let mut out = Vec::with_capacity(n);
        for (row, v) in ca.iter().enumerate() {
            let v = v.map(str::trim).unwrap_or("");
            if v.is_empty() && spec.required {
                self.report(row, name, ProblemKind::EmptyValue, format!("{name} must not be empty"));
            }
            out.push(v.to_string());
        }
        out
    }

    /// Numeric column (`Count` or `Share`); `NaN` where missing.
    fn number(&mut self, name: &str) -> Vec<f64> {
        let spec = self.spec(name);
        let n = self.height();
        let Some(real) = self.columns.get(name).cloned() else { return vec![f64::NAN; n] };
        let col = self.frame.column(&real).expect("column listed").clone();
        let typed = col.dtype().is_primitive_numeric() || col.dtype() == &DataType::Boolean;
        let mut out = Vec::with_capacity(n);
        if typed {
            let cast = col.cast(&DataType::Float64).expect("numeric casts to f64");
            for (row, v) in cast.f64().expect("f64").iter().enumerate() {
                out.push(self.check_number(row, name, spec, Ok(v)));
            }
        } else {
            let Some(ca) = self.column_text(name) else { return vec![f64::NAN; n] };
            for (row, v) in ca.iter().enumerate() {
                let s = v.unwrap_or("");
                out.push(self.check_number(row, name, spec, strict_number(s).map_err(|_| s)));
            }
        }
        out
    }

    /// Report what is wrong with one numeric cell; the value to store (`NaN` when unusable).
    fn check_number(&mut self, row: usize, name: &str, spec: ColumnSpec, v: Result<Option<f64>, &str>) -> f64 {
        {
            match v {
                Err(s) => {
                    self.report(row, name, ProblemKind::WrongType, format!("'{s}' is not a number"));
                    f64::NAN
                }
                Ok(None) => {
                    if spec.required {
                        self.report(row, name, ProblemKind::EmptyValue, format!("{name} must not be empty"));
                    }
                    f64::NAN
                }
                Ok(Some(x)) if !x.is_finite() => {
                    self.report(row, name, ProblemKind::WrongType, format!("{x} is not a finite number"));
                    f64::NAN
                }
                Ok(Some(x)) => {
                    if x < 0.0 {
                        self.report(
                            row,
                            name,
                            ProblemKind::Negative,
                            format!("{x} < 0: counts, money and shares must be >= 0"),
                        );
                    } else if spec.kind == Kind::Share && x > 1.0 {
                        self.report(
                            row,
                            name,
                            ProblemKind::OutOfRange,
                            format!("{x} > 1: shares are fractions (write 35% as 0.35)"),
                        );
                    }
                    x
                }
            }
        }
    }

    fn share(&mut self, name: &str) -> Vec<f32> {
        self.number(name).into_iter().map(|x| x as f32).collect()
    }

    /// Date column as days since 1970-01-01.
    fn date(&mut self, name: &str) -> Vec<i32> {
        let n = self.height();
        let Some(real) = self.columns.get(name).cloned() else { return vec![NO_DATE; n] };
        let col = self.frame.column(&real).expect("column listed").clone();
        let typed = match col.dtype() {
            DataType::Date => Some(col.clone()),
            DataType::Datetime(_, _) => col.cast(&DataType::Date).ok(),
            _ => None,
        };
        let mut out = Vec::with_capacity(n);
        if let Some(d) = typed {
            let days = d.cast(&DataType::Int32).expect("date is i32 days");
            for (row, v) in days.i32().expect("i32").iter().enumerate() {
                if v.is_none() {
                    self.report(row, name, ProblemKind::EmptyValue, format!("{name} must not be empty"));
                }
                out.push(v.unwrap_or(NO_DATE));
            }
            return out;
        }
        let Some(ca) = self.column_text(name) else { return vec![NO_DATE; n] };
        for (row, v) in ca.iter().enumerate() {
            let s = v.unwrap_or("").trim();
            match iso_date(s) {
                Some(d) => out.push(d),
                None if s.is_empty() => {
                    self.report(row, name, ProblemKind::EmptyValue, format!("{name} must not be empty"));
                    out.push(NO_DATE);
                }
                None => {
                    self.report(row, name, ProblemKind::BadDate, format!("'{s}' is not an ISO 8601 date (YYYY-MM-DD)"));
                    out.push(NO_DATE);
                }
            }
        }
        out
    }

    fn objective(&mut self, name: &str) -> Vec<Option<Objective>> {
        let n = self.height();
        let Some(ca) = self.column_text(name) else { return vec![None; n] };
        let mut out = Vec::with_capacity(n);
        for (row, v) in ca.iter().enumerate() {
            let s = v.unwrap_or("").trim();
            let o = Objective::parse(s);
            if o.is_none() && !s.is_empty() {
                self.report(
                    row,
                    name,
                    ProblemKind::BadObjective,
                    format!("'{s}' is not one of reach, engagement, conversion"),
                );
            }
            out.push(o);
        }
        out
    }

    fn audience(&mut self) -> Audience {
        let female_share = self.share("audience_female_share");
        let ages = AGE_BUCKETS.map(|b| self.share(b));
        let present = AGE_BUCKETS.iter().all(|b| self.columns.contains_key(*b));
        if present {
            for row in 0..self.height() {
                let v: Vec<f32> = ages.iter().map(|a| a[row]).collect();
                if v.iter().all(|x| x.is_finite()) {
                    let sum: f32 = v.iter().sum();
                    if (sum - 1.0).abs() > AGE_SUM_TOLERANCE {
                        self.report(
                            row,
                            "audience_age_*",
                            ProblemKind::SharesDontSum,
                            format!("the five age shares sum to {sum:.3}, expected 1 ± {AGE_SUM_TOLERANCE}"),
                        );
                    }
                }
            }
        }
        Audience { female_share, ages }
    }

    /// Report every repeat of an ID after its first occurrence.
    fn unique(&mut self, ids: &[String], column: &str) {
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(ids.len());
        for (row, id) in ids.iter().enumerate() {
            if id.is_empty() {
                continue;
            }
            if let Some(first) = seen.get(id.as_str()) {
                let detail = format!("'{id}' already appears at row {}", first + 1);
                self.report(row, column, ProblemKind::DuplicateId, detail);
            } else {
                seen.insert(id, row);
            }
        }
    }

    /// Resolve a reference column to indices, straight from the file's column; unknown and empty
    /// IDs are reported.
    fn resolve(&mut self, column: &str, index: Option<&HashMap<&str, u32>>, target: Table) -> Vec<u32> {
        let n = self.height();
        let Some(ca) = self.column_text(column) else { return vec![u32::MAX; n] };
        let mut out = Vec::with_capacity(n);
        for (row, v) in ca.iter().enumerate() {
            let id = v.unwrap_or("").trim();
            if id.is_empty() {
                self.report(row, column, ProblemKind::EmptyValue, format!("{column} must not be empty"));
                out.push(u32::MAX);
                continue;
            }
            let Some(index) = index else {
                out.push(u32::MAX);
                continue;
            };
            match index.get(id) {
                Some(&i) => out.push(i),
                None => {
                    let detail = format!("'{id}' is not in {target} (or its row was rejected)");
                    self.report(row, column, ProblemKind::UnknownReference, detail);
                    out.push(u32::MAX);
                }
            }
        }
        out
    }

    /// The raw text of one cell, for naming a rejected row.
    fn cell(&self, column: &str, row: usize) -> String {
        let Some(real) = self.columns.get(column) else { return String::new() };
        match self.frame.column(real).ok().and_then(|c| c.get(row).ok()) {
            Some(AnyValue::String(s)) => s.trim().to_string(),
            Some(AnyValue::StringOwned(s)) => s.trim().to_string(),
            Some(AnyValue::Null) | None => String::new(),
            Some(v) => v.to_string(),
        }
    }

    /// Rows to keep, and the rejected rows with their reasons (named by `id_columns`, joined by
    /// `/`). `None` if the table is unusable.
    fn finish(self, id_columns: &[&str]) -> Option<Vec<bool>> {
        if self.fatal {
            return None;
        }
        let mut keep = vec![true; self.n];
        let mut rows: Vec<(&usize, &Vec<usize>)> = self.bad.iter().collect();
        rows.sort();
        for (&row, idx) in rows {
            keep[row] = false;
            let reasons: Vec<String> = idx
                .iter()
                .map(|&i| {
                    let p = &self.problems.list[i];
                    format!("{}: {}: {}", p.column.as_deref().unwrap_or(""), p.kind, p.detail)
                })
                .collect();
            let id = id_columns.iter().map(|c| self.cell(c, row)).collect::<Vec<_>>().join("/");
            self.problems.rejected.push(Rejected { table: self.table, row: row + 1, id, reasons: reasons.join("; ") });
        }
        Some(keep)
    }
}

fn retain<T>(v: &mut Vec<T>, keep: &[bool]) {
    let mut i = 0;
    v.retain(|_| {
        let k = keep[i];
        i += 1;
        k
    });
}

fn retain_audience(a: &mut Audience, keep: &[bool]) {
    retain(&mut a.female_share, keep);
    for v in a.ages.iter_mut() {
        retain(v, keep);
    }
}

fn parse_brands(raw: &RawTable, problems: &mut Problems) -> Option<Brands> {
    let mut s = Sheet::new(Table::Brands, raw, problems);
    if s.fatal {
        return None;
    }
    let id = s.text("brand_id");
    s.unique(&id, "brand_id");
    let mut b = Brands {
        category: s.text("category"),
        name: s.text("name"),
        country: s.text("country"),
        audience: s.audience(),
        budget: s.number("budget"),
        id,
    };
    let keep = s.finish(&["brand_id"])?;
    retain(&mut b.id, &keep);
    retain(&mut b.category, &keep);
    retain(&mut b.name, &keep);
    retain(&mut b.country, &keep);
    retain_audience(&mut b.audience, &keep);
    retain(&mut b.budget, &keep);
    Some(b)
}

fn parse_influencers(raw: &RawTable, problems: &mut Problems) -> Option<Influencers> {
    let mut s = Sheet::new(Table::Influencers, raw, problems);
    if s.fatal {
        return None;
    }
    let id = s.text("influencer_id");
    s.unique(&id, "influencer_id");
    let mut i = Influencers {
        platform: s.text("platform").into_iter().map(|p| p.to_lowercase()).collect(),
        category: s.text("category"),
        followers: s.number("followers"),
        handle: s.text("handle"),
        country: s.text("country"),
        avg_views: s.number("avg_views"),
        engagement_rate: s.share("engagement_rate"),
        posts_per_week: s.share_free("posts_per_week"),
        sponsored_share: s.share("sponsored_share"),
        price_per_post: s.number("price_per_post"),
        audience: s.audience(),
        id,
    };
    let keep = s.finish(&["influencer_id"])?;
    retain(&mut i.id, &keep);
    retain(&mut i.platform, &keep);
    retain(&mut i.category, &keep);
    retain(&mut i.followers, &keep);
    retain(&mut i.handle, &keep);
    retain(&mut i.country, &keep);
    retain(&mut i.avg_views, &keep);
    retain(&mut i.engagement_rate, &keep);
    retain(&mut i.posts_per_week, &keep);
    retain(&mut i.sponsored_share, &keep);
    retain(&mut i.price_per_post, &keep);
    retain_audience(&mut i.audience, &keep);
    Some(i)
}

impl Sheet<'_> {
    /// A non-negative count stored as `f32` (posting rates).
    fn share_free(&mut self, name: &str) -> Vec<f32> {
        self.number(name).into_iter().map(|x| x as f32).collect()
    }
}

fn parse_campaigns(raw: &RawTable, refs: &Refs<'_>, problems: &mut Problems) -> Option<Campaigns> {
    let mut s = Sheet::new(Table::Campaigns, raw, problems);
    if s.fatal {
        return None;
    }
    let mut c = Campaigns {
        brand: s.resolve("brand_id", refs.brands, Table::Brands),
        influencer: s.resolve("influencer_id", refs.influencers, Table::Influencers),
        date: s.date("date"),
        cost: s.number("cost"),
        impressions: s.number("impressions"),
        campaign_id: s.text("campaign_id"),
        objective: s.objective("objective"),
        clicks: s.number("clicks"),
        engagements: s.number("engagements"),
        conversions: s.number("conversions"),
        revenue: s.number("revenue"),
    };
    for row in 0..s.height() {
        let (imp, clk, conv) = (c.impressions[row], c.clicks[row], c.conversions[row]);
        if clk > imp {
            s.report(row, "clicks", ProblemKind::Inconsistent, format!("{clk} clicks exceed {imp} impressions"));
        }
        if conv > clk {
            s.report(row, "conversions", ProblemKind::Inconsistent, format!("{conv} conversions exceed {clk} clicks"));
        }
    }
    let keep = s.finish(&["brand_id", "influencer_id"])?;
    retain(&mut c.brand, &keep);
    retain(&mut c.influencer, &keep);
    retain(&mut c.date, &keep);
    retain(&mut c.cost, &keep);
    retain(&mut c.impressions, &keep);
    retain(&mut c.campaign_id, &keep);
    retain(&mut c.objective, &keep);
    retain(&mut c.clicks, &keep);
    retain(&mut c.engagements, &keep);
    retain(&mut c.conversions, &keep);
    retain(&mut c.revenue, &keep);
    Some(c)
}

fn parse_snapshots(raw: &RawTable, infl: Option<&HashMap<&str, u32>>, problems: &mut Problems) -> Option<Snapshots> {
    let mut s = Sheet::new(Table::FollowerSnapshots, raw, problems);
    if s.fatal {
        return None;
    }
    let mut sn = Snapshots {
        influencer: s.resolve("influencer_id", infl, Table::Influencers),
        date: s.date("date"),
        followers: s.number("followers"),
        views: s.number("views"),
        likes: s.number("likes"),
        posts: s.number("posts"),
    };
    // Sort once by (creator, date, row): duplicates of one creator on one date become neighbours,
    // and the same order sorts the kept rows afterwards.
    let mut order: Vec<u32> = (0..sn.len() as u32).collect();
    let key = |r: u32| (sn.influencer[r as usize], sn.date[r as usize]);
    if !order.windows(2).all(|w| key(w[0]) <= key(w[1])) {
        order.sort_unstable_by_key(|&r| (key(r), r));
    }
    let mut first = usize::MAX;
    for w in 0..order.len() {
        let row = order[w] as usize;
        let k = key(order[w]);
        if k.0 == u32::MAX || k.1 == NO_DATE {
            continue;
        }
        if w > 0 && key(order[w - 1]) == k {
            let id = s.cell("influencer_id", row);
            let detail = format!("'{id}' already has a snapshot on this date at row {}", first + 1);
            s.report(row, "date", ProblemKind::DuplicateId, detail);
        } else {
            first = row;
        }
    }
    let keep = s.finish(&["influencer_id"])?;
    order.retain(|&r| keep[r as usize]);
    if order.len() != keep.len() || !order.windows(2).all(|w| w[0] < w[1]) {
        permute(&mut sn.influencer, &order);
        permute(&mut sn.date, &order);
        permute(&mut sn.followers, &order);
        permute(&mut sn.views, &order);
        permute(&mut sn.likes, &order);
        permute(&mut sn.posts, &order);
    }
    Some(sn)
}

fn permute<T: Copy>(v: &mut Vec<T>, order: &[u32]) {
    *v = order.iter().map(|&r| v[r as usize]).collect();
}

/// Write the rejected rows of a lenient load as CSV (`table,row,id,reasons`).
pub fn write_rejected(rejected: &[Rejected], path: &Path) -> Result<(), TableError> {
    let mut df = DataFrame::new_infer_height(vec![
        Column::new("table".into(), rejected.iter().map(|r| r.table.name()).collect::<Vec<_>>()),
        Column::new("row".into(), rejected.iter().map(|r| r.row as u64).collect::<Vec<_>>()),
        Column::new("id".into(), rejected.iter().map(|r| r.id.as_str()).collect::<Vec<_>>()),
        Column::new("reasons".into(), rejected.iter().map(|r| r.reasons.as_str()).collect::<Vec<_>>()),
    ])
    .expect("equal lengths");
    table::write(&mut df, path)
}

/// Validate one influencers file on its own (what `kolrec import` writes).
pub fn load_influencers(path: &Path) -> Result<Influencers, DataError> {
    let raw = table::read(path)?;
    let mut problems = Problems::default();
    let parsed = parse_influencers(&raw, &mut problems);
    match parsed {
        Some(i) if problems.list.is_empty() => Ok(i),
        _ => Err(DataError::Invalid {
            dir: path.to_path_buf(),
            report: ValidationReport { total: problems.list.len(), problems: problems.list, shown: 20 },
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_take_each_rate_over_the_rows_that_report_it() {
        let nan = f64::NAN;
        let c = Campaigns {
            brand: vec![0; 3],
            influencer: vec![0; 3],
            date: vec![0; 3],
            cost: vec![10.0, 20.0, 30.0],
            impressions: vec![1000.0, 2000.0, 3000.0],
            campaign_id: vec![String::new(); 3],
            objective: vec![None; 3],
            clicks: vec![10.0, nan, 30.0],
            engagements: vec![nan; 3],
            conversions: vec![1.0, 2.0, nan],
            revenue: vec![50.0, nan, nan],
        };
        let t = c.totals(0..3);
        assert_eq!((t.cost, t.impressions), (60.0, 6000.0));
        assert_eq!((t.clicks, t.impressions_with_clicks), (40.0, 4000.0));
        assert_eq!((t.conversions, t.impressions_with_conversions), (3.0, 3000.0));
        assert_eq!((t.conversions_with_clicks, t.clicks_with_conversions), (1.0, 10.0));
        assert_eq!((t.revenue, t.conversions_with_revenue), (50.0, 1.0));
        assert_eq!(c.totals([2].into_iter()).clicks, 30.0);
    }
}
