//! A file of recommendations judged as a recommender: `brand_id, influencer_id, rank` rows (any
//! other columns ignored), as `peers.py outcome` or any other tool writes them, so that kolrec's
//! evaluation scores them by the same code and on the same split as kolrec itself. A creator the
//! file does not list for a brand ranks below every listed one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::baselines::Ranker;
use crate::dataset::Dataset;
use crate::pipeline::Filter;

#[derive(Debug, thiserror::Error)]
pub enum RecsError {
    #[error(transparent)]
    Table(#[from] crate::table::TableError),
    #[error("{}: no column '{column}' (columns: {found})", path.display())]
    Column { path: PathBuf, column: &'static str, found: String },
    #[error("{}, row {row}: {problem}", path.display())]
    Row { path: PathBuf, row: usize, problem: String },
}

/// One file's recommendations: per dataset brand, its listed creators best first.
pub struct RecsFile {
    name: String,
    lists: Vec<Vec<usize>>,
    /// Per brand, creator → position in its list.
    position: Vec<HashMap<usize, usize>>,
    /// Rows naming a brand or creator the dataset does not have (skipped).
    pub unknown_rows: usize,
}

impl RecsFile {
    /// Read `path` against the dataset's brands and creators; `name` labels it in reports.
    pub fn read(path: &Path, name: &str, ds: &Dataset) -> Result<RecsFile, RecsError> {
        let raw = crate::table::read(path)?;
        let df = &raw.frame;
        let text = |column: &'static str| -> Result<Vec<Option<String>>, RecsError> {
            let c = df.column(column).map_err(|_| RecsError::Column {
                path: path.into(),
                column,
                found: df.get_column_names().iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
            })?;
            let c = c.cast(&DataType::String).map_err(|e| RecsError::Row {
                path: path.into(),
                row: 0,
                problem: format!("column {column}: {e}"),
            })?;
            Ok(c.str().expect("cast to text").iter().map(|v| v.map(|s| s.trim().to_string())).collect())
        };
        let (brand, creator, rank) = (text("brand_id")?, text("influencer_id")?, text("rank")?);
        let (bix, iix) = (ds.brands.index(), ds.influencers.index());
        let nb = ds.brands.len();
        let mut ranked: Vec<Vec<(f64, usize)>> = vec![Vec::new(); nb];
        let mut unknown_rows = 0;
        for r in 0..df.height() {
            let bad = |problem: String| RecsError::Row { path: path.into(), row: r + 2, problem };
            let rank = rank[r].as_deref().unwrap_or("");
            let rank: f64 = rank
                .parse()
                .ok()
                .filter(|x: &f64| x.is_finite())
                .ok_or_else(|| bad(format!("rank '{rank}' is not a number")))?;
            match (brand[r].as_deref().and_then(|b| bix.get(b)), creator[r].as_deref().and_then(|i| iix.get(i))) {
                (Some(&b), Some(&i)) => ranked[b as usize].push((rank, i as usize)),
                _ => unknown_rows += 1,
            }
        }
        let lists: Vec<Vec<usize>> = ranked
            .into_iter()
            .map(|mut l| {
                l.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let mut seen = std::collections::HashSet::new();
                l.into_iter().map(|x| x.1).filter(|i| seen.insert(*i)).collect()
            })
            .collect();
        let position = lists.iter().map(|l| l.iter().enumerate().map(|(p, &i)| (i, p)).collect()).collect();
        Ok(RecsFile { name: name.to_string(), lists, position, unknown_rows })
    }
}

impl Ranker for RecsFile {
    fn name(&self) -> &str {
        &self.name
    }
    fn top(&self, brand: usize, k: usize, allowed: &Filter) -> Vec<usize> {
        self.lists[brand].iter().copied().filter(|&i| allowed.allows(i as u32)).take(k).collect()
    }
    fn score_pairs(&self, brand: usize, creators: &[usize]) -> Vec<f32> {
        creators.iter().map(|i| self.position[brand].get(i).map_or(f32::NEG_INFINITY, |&p| -(p as f32))).collect()
    }
}
