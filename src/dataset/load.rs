//! Loading a dataset directory: every table read, parsed and cross-checked (references to brands
//! and creators), then either a report of what is wrong or (lenient) the bad rows quarantined.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::sheet::Problems;
use super::tables::{Refs, in_contract, parse_brands, parse_campaigns, parse_influencers, parse_snapshots};
use super::{Dataset, Influencers, id_index};
use crate::contract::Table;
use crate::report::{Problem, ProblemKind, ValidationReport};
use crate::table::{self, TableError, TableReader};

#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Quarantine bad rows instead of failing.
    pub lenient: bool,
    /// How many problems the report prints.
    pub max_shown: usize,
    /// How much of a file is read at a time.
    pub batch: table::Batch,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions { lenient: false, max_shown: 20, batch: table::Batch::default() }
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

/// Load and validate the dataset in `dir`. Each table is read batch by batch (row groups of a
/// Parquet file, slices of a CSV file) straight into its typed columns, and only the contract's
/// columns are read, so that the peak stays near the size of what is kept.
pub fn load(dir: &Path, opts: &LoadOptions) -> Result<(Dataset, LoadReport), DataError> {
    let mut problems = Problems::default();
    let mut report = LoadReport::default();
    let mut ds = Dataset::default();

    let readers: Vec<Option<TableReader>> = Table::ALL
        .iter()
        .map(|&t| match table::locate(dir, t.name()).and_then(|p| TableReader::open(&p, in_contract(t), opts.batch)) {
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
    let [brands_r, infl_r, camp_r, snap_r]: [Option<TableReader>; 4] =
        readers.try_into().unwrap_or_else(|_| unreachable!("four tables"));

    let mut stats = |t: Table, r: &TableReader, read: usize, kept: usize| {
        report.tables.push((
            t,
            TableStats { file: r.path.clone(), rows_read: read, rows_kept: kept, repaired_bytes: r.repaired_bytes },
        ));
    };

    // Strict loads resolve references against every ID in the parent file, so one bad brand row is
    // one problem, not one per campaign. Lenient loads resolve against the kept rows only, so the
    // dependants of a quarantined row are quarantined with it.
    let mut brand_ids = Vec::new();
    let mut infl_ids = Vec::new();
    let brands_ok = brands_r.is_some();
    let infl_ok = infl_r.is_some();
    if let Some(mut r) = brands_r {
        let p = parse_brands(&mut r, &mut problems);
        ds.brands = p.value.unwrap_or_default();
        brand_ids = if opts.lenient { ds.brands.id.clone() } else { p.ids };
        stats(Table::Brands, &r, p.rows, ds.brands.len());
    }
    if let Some(mut r) = infl_r {
        let p = parse_influencers(&mut r, &mut problems);
        ds.influencers = p.value.unwrap_or_default();
        infl_ids = if opts.lenient { ds.influencers.id.clone() } else { p.ids };
        stats(Table::Influencers, &r, p.rows, ds.influencers.len());
    }
    // References are only checked against tables that loaded; a missing parent table is already
    // a fatal problem of its own.
    let ii = id_index(&infl_ids);
    if let Some(mut r) = camp_r {
        let bi = id_index(&brand_ids);
        let refs = Refs { brands: brands_ok.then_some(&bi), influencers: infl_ok.then_some(&ii) };
        let p = parse_campaigns(&mut r, &refs, &mut problems);
        ds.campaigns = p.value.unwrap_or_default();
        stats(Table::Campaigns, &r, p.rows, ds.campaigns.len());
    }
    if let Some(mut r) = snap_r {
        let p = parse_snapshots(&mut r, infl_ok.then_some((&ii, infl_ids.as_slice())), &mut problems);
        ds.snapshots = p.value.unwrap_or_default();
        stats(Table::FollowerSnapshots, &r, p.rows, ds.snapshots.len());
    }

    let fatal = problems.list.iter().any(|p| p.kind.is_fatal());
    report.rejected = std::mem::take(&mut problems.rejected);
    report.problems = ValidationReport { total: problems.list.len(), problems: problems.list, shown: opts.max_shown };
    if report.problems.total > 0 && (fatal || !opts.lenient) {
        return Err(DataError::Invalid { dir: dir.to_path_buf(), report: report.problems });
    }
    Ok((ds, report))
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
    let mut reader = TableReader::open(path, in_contract(Table::Influencers), table::Batch::default())?;
    let mut problems = Problems::default();
    let parsed = parse_influencers(&mut reader, &mut problems).value;
    match parsed {
        Some(i) if problems.list.is_empty() => Ok(i),
        _ => Err(DataError::Invalid {
            dir: path.to_path_buf(),
            report: ValidationReport { total: problems.list.len(), problems: problems.list, shown: 20 },
        }),
    }
}
