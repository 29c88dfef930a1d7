//! Validation problems: what is wrong, where (file, row, column), and how it is summarised.

use std::collections::BTreeMap;
use std::fmt;

/// Every class of bad input the loader reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProblemKind {
    MissingTable,
    AmbiguousTable,
    Unreadable,
    MissingColumn,
    DuplicateColumn,
    EmptyValue,
    WrongType,
    Negative,
    OutOfRange,
    /// A count or amount too large to be real (and to keep the solver's `f32` sums finite).
    TooLarge,
    BadDate,
    BadObjective,
    SharesDontSum,
    Inconsistent,
    DuplicateId,
    UnknownReference,
}

impl ProblemKind {
    pub fn label(self) -> &'static str {
        match self {
            ProblemKind::MissingTable => "missing table",
            ProblemKind::AmbiguousTable => "ambiguous table",
            ProblemKind::Unreadable => "unreadable file",
            ProblemKind::MissingColumn => "missing required column",
            ProblemKind::DuplicateColumn => "duplicate column",
            ProblemKind::EmptyValue => "empty required value",
            ProblemKind::WrongType => "wrong type",
            ProblemKind::Negative => "negative value",
            ProblemKind::OutOfRange => "share outside 0..1",
            ProblemKind::TooLarge => "count or amount above 10^15",
            ProblemKind::BadDate => "unparseable date",
            ProblemKind::BadObjective => "unknown objective",
            ProblemKind::SharesDontSum => "age shares do not sum to 1",
            ProblemKind::Inconsistent => "inconsistent counts",
            ProblemKind::DuplicateId => "duplicate id",
            ProblemKind::UnknownReference => "unknown reference",
        }
    }

    /// Problems that concern a whole file; no row can be quarantined to fix them.
    pub fn is_fatal(self) -> bool {
        matches!(
            self,
            ProblemKind::MissingTable
                | ProblemKind::AmbiguousTable
                | ProblemKind::Unreadable
                | ProblemKind::MissingColumn
                | ProblemKind::DuplicateColumn
        )
    }
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One problem. `row` is the 1-based data row (the header is not counted: in a plain CSV,
/// row 1 is line 2).
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub file: String,
    pub row: Option<usize>,
    pub column: Option<String>,
    pub kind: ProblemKind,
    pub detail: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(r) = self.row {
            write!(f, ", row {r}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ", column '{c}'")?;
        }
        write!(f, ": {}: {}", self.kind, self.detail)
    }
}

/// All problems found in one load, with the first `shown` printed by `Display`.
#[derive(Clone, Debug, Default)]
pub struct ValidationReport {
    pub problems: Vec<Problem>,
    /// Problems found, including any not kept in `problems`.
    pub total: usize,
    pub shown: usize,
}

impl ValidationReport {
    pub fn by_kind(&self) -> BTreeMap<ProblemKind, usize> {
        let mut m = BTreeMap::new();
        for p in &self.problems {
            *m.entry(p.kind).or_insert(0) += 1;
        }
        m
    }

    pub fn has_fatal(&self) -> bool {
        self.problems.iter().any(|p| p.kind.is_fatal())
    }
}

impl fmt::Display for ValidationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.shown.min(self.problems.len());
        write!(f, "{} problem(s) found", self.total)?;
        if shown < self.total {
            write!(f, " (first {shown} shown)")?;
        }
        for p in &self.problems[..shown] {
            write!(f, "\n  {p}")?;
        }
        let kinds: Vec<String> = self.by_kind().into_iter().map(|(k, n)| format!("{k}: {n}")).collect();
        if !kinds.is_empty() {
            write!(f, "\n  by kind: {}", kinds.join(", "))?;
        }
        Ok(())
    }
}
