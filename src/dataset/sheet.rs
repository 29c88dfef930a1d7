//! The validation engine: one table parsed column by column against the contract, every bad cell
//! reported with its row and column, and the rows to keep decided at the end.

use std::collections::HashMap;

use polars::prelude::*;

use super::{Audience, NO_DATE, Rejected};
use crate::contract::{AGE_BUCKETS, AGE_SUM_TOLERANCE, Column as ColumnSpec, Kind, Objective, Table};
use crate::parse::{iso_date, strict_number};
use crate::report::{Problem, ProblemKind};
use crate::table::TableReader;

/// Collects problems and, per table, which rows are bad.
#[derive(Default)]
pub(super) struct Problems {
    pub list: Vec<Problem>,
    pub rejected: Vec<Rejected>,
}

impl Problems {
    pub fn push(&mut self, p: Problem) {
        self.list.push(p);
    }
}

/// One table being parsed batch by batch and, within a batch, column by column; remembers which
/// rows went bad and why. Rows are numbered across batches; the per-column methods read the
/// current batch.
pub(super) struct Sheet<'a> {
    pub(super) table: Table,
    pub(super) file: String,
    frame: DataFrame,
    pub(super) columns: HashMap<String, String>,
    /// Rows of the batches before the current one.
    offset: usize,
    /// Rows of the current batch.
    n: usize,
    /// Problem indices per bad row; sparse, since bad rows are rare and tables can be huge.
    pub(super) bad: HashMap<usize, Vec<usize>>,
    /// What names each bad row in the rejected file (its ID cells), taken while its batch is read.
    named: HashMap<usize, String>,
    pub(super) problems: &'a mut Problems,
    pub(super) fatal: bool,
}

impl<'a> Sheet<'a> {
    /// Check the header of `reader`'s table; the rows come with [`Sheet::next_batch`].
    pub(super) fn new(table: Table, reader: &TableReader, problems: &'a mut Problems) -> Sheet<'a> {
        let file = reader.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut columns = HashMap::new();
        let mut fatal = false;
        for name in &reader.names {
            let norm = normalise(name);
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
        // The CSV reader renames a second column of exactly the same name `NAME_duplicated_K`
        // and reads on; the contract calls any duplicate fatal.
        let renamed: Vec<String> = columns
            .keys()
            .filter_map(|n| {
                let (base, k) = n.rsplit_once("_duplicated_")?;
                (k.bytes().all(|b| b.is_ascii_digit()) && !k.is_empty() && columns.contains_key(base))
                    .then(|| base.to_string())
            })
            .collect();
        for base in renamed {
            problems.push(Problem {
                file: file.clone(),
                row: None,
                column: Some(base),
                kind: ProblemKind::DuplicateColumn,
                detail: "the column appears more than once".into(),
            });
            fatal = true;
        }
        // A contract column polars cannot read was left out of the frame by the reader; say its
        // type instead of calling it missing. Unread extra columns are no one's concern.
        let mut unread_used = Vec::new();
        for u in &reader.unread {
            let norm = normalise(&u.name);
            if table.columns().iter().any(|c| c.name == norm) {
                problems.push(Problem {
                    file: file.clone(),
                    row: None,
                    column: Some(norm.clone()),
                    kind: ProblemKind::WrongType,
                    detail: u.to_string(),
                });
                unread_used.push(norm);
                fatal = true;
            }
        }
        for c in table.columns().iter().filter(|c| c.required) {
            if !columns.contains_key(c.name) && !unread_used.iter().any(|u| u == c.name) {
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
        Sheet {
            table,
            file,
            frame: DataFrame::empty(),
            columns,
            offset: 0,
            n: 0,
            bad: HashMap::new(),
            named: HashMap::new(),
            problems,
            fatal,
        }
    }

    /// Move to the next batch; `false` after the last, or when the file cannot be read on (the
    /// problem is reported and the table is unusable).
    pub(super) fn next_batch(&mut self, reader: &mut TableReader) -> bool {
        self.offset += self.n;
        self.n = 0;
        self.frame = DataFrame::empty();
        match reader.next_batch() {
            None => false,
            Some(Ok(frame)) => {
                self.n = frame.height();
                self.frame = frame;
                true
            }
            Some(Err(e)) => {
                self.problems.push(Problem {
                    file: self.file.clone(),
                    row: None,
                    column: None,
                    kind: ProblemKind::Unreadable,
                    detail: e.to_string(),
                });
                self.fatal = true;
                false
            }
        }
    }

    /// Rows of the current batch.
    pub(super) fn height(&self) -> usize {
        self.n
    }

    /// Rows read so far, over all batches.
    pub(super) fn rows(&self) -> usize {
        self.offset + self.n
    }

    /// Report a problem in row `row` of the current batch.
    pub(super) fn report(&mut self, row: usize, column: &str, kind: ProblemKind, detail: String) {
        self.report_at(self.offset + row, column, kind, detail);
    }

    /// Report a problem in row `row` of the table, counted over all batches.
    pub(super) fn report_at(&mut self, row: usize, column: &str, kind: ProblemKind, detail: String) {
        self.bad.entry(row).or_default().push(self.problems.list.len());
        self.problems.push(Problem {
            file: self.file.clone(),
            row: Some(row + 1),
            column: Some(column.into()),
            kind,
            detail,
        });
    }

    /// Name a bad row for the rejected file when its batch is gone (found bad after reading).
    pub(super) fn name_row(&mut self, row: usize, id: &str) {
        self.named.entry(row).or_insert_with(|| id.to_string());
    }

    /// Name the current batch's bad rows by their ID cells before the batch is dropped.
    pub(super) fn end_batch(&mut self, id_columns: &[&str]) {
        let rows: Vec<usize> =
            self.bad.keys().copied().filter(|&r| r >= self.offset && !self.named.contains_key(&r)).collect();
        for row in rows {
            let id = id_columns.iter().map(|c| self.cell(c, row - self.offset)).collect::<Vec<_>>().join("/");
            self.named.insert(row, id);
        }
    }

    pub(super) fn spec(&self, name: &str) -> ColumnSpec {
        *self.table.columns().iter().find(|c| c.name == name).unwrap_or_else(|| panic!("{name} is not in the contract"))
    }

    /// The column as text, if present; a non-text Parquet column is cast (numbers print plainly).
    pub(super) fn column_text(&mut self, name: &str) -> Option<StringChunked> {
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

    /// The trimmed values of a column of the current batch, reporting nothing: the IDs of a table
    /// whose header is unusable, which its dependants are still checked against.
    pub(super) fn raw_text(&mut self, name: &str) -> Vec<String> {
        let n = self.height();
        match self.column_text(name) {
            Some(ca) => ca.iter().map(|v| v.unwrap_or("").trim().to_string()).collect(),
            None => vec![String::new(); n],
        }
    }

    /// Text column; empty string where missing. Required columns report empty values.
    pub(super) fn text(&mut self, name: &str) -> Vec<String> {
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
    pub(super) fn number(&mut self, name: &str) -> Vec<f64> {
        let spec = self.spec(name);
        let n = self.height();
        let Some(col) = self.columns.get(name).and_then(|real| self.frame.column(real).ok()).cloned() else {
            return vec![f64::NAN; n];
        };
        let typed = col.dtype().is_numeric() || col.dtype() == &DataType::Boolean;
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
    pub(super) fn check_number(
        &mut self,
        row: usize,
        name: &str,
        spec: ColumnSpec,
        v: Result<Option<f64>, &str>,
    ) -> f64 {
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
                    } else if spec.kind == Kind::Count && x > crate::contract::MAX_AMOUNT {
                        self.report(
                            row,
                            name,
                            ProblemKind::TooLarge,
                            format!("{x} > 10^15: no count or amount is that large"),
                        );
                        return f64::NAN;
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

    pub(super) fn share(&mut self, name: &str) -> Vec<f32> {
        self.number(name).into_iter().map(|x| x as f32).collect()
    }

    /// Date column as days since 1970-01-01.
    pub(super) fn date(&mut self, name: &str) -> Vec<i32> {
        let n = self.height();
        let Some(col) = self.columns.get(name).and_then(|real| self.frame.column(real).ok()).cloned() else {
            return vec![NO_DATE; n];
        };
        let typed = match col.dtype() {
            DataType::Date => Some(col.clone()),
            DataType::Datetime(_, _) => col.cast(&DataType::Date).ok(),
            _ => None,
        };
        let mut out = Vec::with_capacity(n);
        if let Some(d) = typed {
            let days = d.cast(&DataType::Int32).expect("date is i32 days");
            for (row, v) in days.i32().expect("i32").iter().enumerate() {
                match v {
                    None => {
                        self.report(row, name, ProblemKind::EmptyValue, format!("{name} must not be empty"));
                        out.push(NO_DATE);
                    }
                    Some(d) => out.push(self.check_date(row, name, d)),
                }
            }
            return out;
        }
        let Some(ca) = self.column_text(name) else { return vec![NO_DATE; n] };
        for (row, v) in ca.iter().enumerate() {
            let s = v.unwrap_or("").trim();
            match iso_date(s) {
                Some(d) => out.push(self.check_date(row, name, d)),
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

    /// A date within [`crate::contract::FIRST_DATE`, `LAST_DATE`]: everything sized by a date
    /// range (snapshot calendars, label windows) stays bounded, and a typo such as 9999-12-31
    /// is reported instead of making training take minutes and gigabytes.
    fn check_date(&mut self, row: usize, name: &str, d: i32) -> i32 {
        let (lo, hi) = (crate::contract::FIRST_DATE, crate::contract::LAST_DATE);
        if (lo..=hi).contains(&d) {
            return d;
        }
        let shown =
            if (-1_000_000..=3_000_000).contains(&d) { crate::parse::format_date(d) } else { format!("day {d}") };
        self.report(
            row,
            name,
            ProblemKind::BadDate,
            format!(
                "{shown} is outside the dates a table may hold ({} to {})",
                crate::parse::format_date(lo),
                crate::parse::format_date(hi)
            ),
        );
        NO_DATE
    }

    pub(super) fn objective(&mut self, name: &str) -> Vec<Option<Objective>> {
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

    pub(super) fn audience(&mut self) -> Audience {
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

    /// Report every repeat of an ID after its first occurrence; `ids` are the whole table's.
    pub(super) fn unique(&mut self, ids: &[String], column: &str) {
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(ids.len());
        for (row, id) in ids.iter().enumerate() {
            if id.is_empty() {
                continue;
            }
            if let Some(first) = seen.get(id.as_str()) {
                let detail = format!("'{id}' already appears at row {}", first + 1);
                self.report_at(row, column, ProblemKind::DuplicateId, detail);
                self.named.entry(row).or_insert_with(|| id.clone());
            } else {
                seen.insert(id, row);
            }
        }
    }

    /// Resolve a reference column to indices, straight from the file's column; unknown and empty
    /// IDs are reported.
    pub(super) fn resolve(&mut self, column: &str, index: Option<&HashMap<&str, u32>>, target: Table) -> Vec<u32> {
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

    /// The raw text of one cell of the current batch, for naming a rejected row.
    pub(super) fn cell(&self, column: &str, row: usize) -> String {
        let Some(real) = self.columns.get(column) else { return String::new() };
        match self.frame.column(real).ok().and_then(|c| c.get(row).ok()) {
            Some(AnyValue::String(s)) => s.trim().to_string(),
            Some(AnyValue::StringOwned(s)) => s.trim().to_string(),
            Some(AnyValue::Null) | None => String::new(),
            Some(v) => v.to_string(),
        }
    }

    /// Rows to keep, and the rejected rows with their reasons (named by their ID cells, joined by
    /// `/`, as [`Sheet::end_batch`] and [`Sheet::name_row`] recorded them). `None` if the table
    /// is unusable.
    pub(super) fn finish(self) -> Option<Vec<bool>> {
        if self.fatal {
            return None;
        }
        let mut keep = vec![true; self.offset + self.n];
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
            let id = self.named.get(&row).cloned().unwrap_or_default();
            self.problems.rejected.push(Rejected { table: self.table, row: row + 1, id, reasons: reasons.join("; ") });
        }
        Some(keep)
    }
}

/// A header as the contract names it: trimmed, without a byte-order mark, lower case.
pub(super) fn normalise(name: &str) -> String {
    name.trim().trim_start_matches('\u{feff}').to_ascii_lowercase()
}

impl Sheet<'_> {
    /// A non-negative count stored as `f32` (posting rates).
    pub(super) fn share_free(&mut self, name: &str) -> Vec<f32> {
        self.number(name).into_iter().map(|x| x as f32).collect()
    }
}
