//! Scoring a list of influencers, its input and output: the list is the contract's `influencers`
//! table or a messy platform export (read by the importer: same aliases and number parsing);
//! [`crate::engine::Engine::score`] scores the rows that parse, and [`output_frame`] gives every
//! input row back, in input order, with its scores or a `status` saying why it has none.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::dataset::Influencers;
use crate::engine::ScoredRow;
use crate::parse::{Cell, messy_number};

#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    #[error("{}: {column}", input.display())]
    Unread { input: PathBuf, column: crate::table::UnreadColumn },
    #[error(transparent)]
    Import(#[from] crate::import::ImportError),
    #[error(transparent)]
    Table(#[from] crate::table::TableError),
}

/// The input read into creators, with the input row of each and why other rows were dropped.
pub struct Parsed {
    pub influencers: Influencers,
    pub source_row: Vec<usize>,
    /// Input row (0-based) → why it cannot be scored.
    pub rejected: HashMap<usize, String>,
    pub input: DataFrame,
}

/// The column named `name` up to case and surrounding spaces (`Influencer_ID`, ` platform`), as
/// the contract table is recognised.
fn text_column(df: &DataFrame, name: &str) -> Option<Vec<Option<String>>> {
    let c = df.columns().iter().find(|c| c.name().trim().eq_ignore_ascii_case(name))?;
    let t = c.cast(&DataType::String).ok()?;
    Some(t.str().ok()?.iter().map(|v| v.map(|s| s.trim().to_string())).collect())
}

/// The contract's influencers table, read row by row (a bad row is rejected, not fatal); the
/// server's JSON rows come this way too.
pub fn from_frame(df: DataFrame) -> Parsed {
    let n = df.height();
    let col = |name: &str| text_column(&df, name).unwrap_or_else(|| vec![None; n]);
    let (id, platform, category, followers) =
        (col("influencer_id"), col("platform"), col("category"), col("followers"));
    let (handle, country) = (col("handle"), col("country"));
    let num = |name: &str| -> Vec<f64> {
        col(name)
            .iter()
            .map(|v| match messy_number(v.as_deref().unwrap_or("")) {
                Cell::Value(x) => x,
                _ => f64::NAN,
            })
            .collect()
    };
    let (views, er, ppw, sponsored, price) = (
        num("avg_views"),
        num("engagement_rate"),
        num("posts_per_week"),
        num("sponsored_share"),
        num("price_per_post"),
    );
    let mut p = Parsed {
        influencers: Influencers::default(),
        source_row: Vec::new(),
        rejected: HashMap::new(),
        input: DataFrame::empty(),
    };
    for r in 0..n {
        let get = |v: &[Option<String>]| v[r].clone().filter(|s| !s.is_empty());
        let Some(i) = get(&id) else {
            p.rejected.insert(r, "not scored: empty influencer_id".into());
            continue;
        };
        let Some(pl) = get(&platform) else {
            p.rejected.insert(r, "not scored: empty platform".into());
            continue;
        };
        let raw = get(&followers).unwrap_or_default();
        let f = match messy_number(&raw) {
            Cell::Value(x) if x >= 0.0 => x,
            _ => {
                p.rejected.insert(r, format!("not scored: followers '{raw}' is not a count"));
                continue;
            }
        };
        let inf = &mut p.influencers;
        inf.push_basic(&i, &pl.to_lowercase(), &get(&category).unwrap_or_else(|| "unknown".into()).to_lowercase(), f);
        let k = inf.len() - 1;
        inf.handle[k] = get(&handle).unwrap_or_default();
        inf.country[k] = get(&country).unwrap_or_default();
        inf.avg_views[k] = views[r];
        inf.engagement_rate[k] = er[r] as f32;
        inf.posts_per_week[k] = ppw[r] as f32;
        inf.sponsored_share[k] = sponsored[r] as f32;
        inf.price_per_post[k] = price[r];
        p.source_row.push(r);
    }
    p.input = df;
    p
}

/// Read the input: the contract table if it has `influencer_id` and `platform`, else a platform
/// export through the importer (which needs the platform, and reads the file itself).
pub fn parse(
    input: &Path,
    platform: Option<&str>,
    id_column: Option<&str>,
    map: &[crate::import::Mapping],
) -> Result<Parsed, ScoreError> {
    let raw = crate::table::read(input)?;
    let contract = crate::contract::Table::Influencers.columns();
    if let Some(u) = raw.unread.iter().find(|u| contract.iter().any(|c| u.name.trim().eq_ignore_ascii_case(c.name))) {
        return Err(ScoreError::Unread { input: input.into(), column: u.clone() });
    }
    let head = raw.frame;
    let names: Vec<String> = head.get_column_names().iter().map(|c| c.trim().to_lowercase()).collect();
    if names.iter().any(|c| c == "influencer_id") && names.iter().any(|c| c == "platform") {
        return Ok(from_frame(head));
    }
    let cfg = crate::import::ImportConfig {
        input: input.into(),
        platform: platform.map(String::from),
        out: PathBuf::from("unused.csv"),
        id_column: id_column.map(String::from),
        map: map.to_vec(),
    };
    let list = crate::import::read_list(&cfg)?;
    let mut rejected: HashMap<usize, String> =
        list.report.rejected.iter().map(|(row, why)| (row - 1, format!("not scored: {why}"))).collect();
    let parsed: std::collections::HashSet<usize> = list.source_row.iter().copied().collect();
    for r in 0..list.input.height() {
        if !parsed.contains(&r) {
            rejected.entry(r).or_insert_with(|| "not scored: empty row".into());
        }
    }
    Ok(Parsed { influencers: list.influencers, source_row: list.source_row, rejected, input: list.input })
}

/// Added output columns; an input column of the same name is kept with `_input` appended.
pub const ADDED: [&str; 11] = [
    "influencer_id",
    "affinity_score",
    "affinity_rank",
    "predicted_ctr",
    "predicted_cpm",
    "value_for_money",
    "growth_probability",
    "suspicious_growth",
    "known_to_model",
    "reason",
    "status",
];

/// The input's columns (as read) followed by the added ones, one row per input row, in order.
pub fn output_frame(parsed: &Parsed, rows: &[ScoredRow]) -> DataFrame {
    let n = parsed.input.height();
    let mut at: Vec<Option<usize>> = vec![None; n];
    for (k, &r) in parsed.source_row.iter().enumerate() {
        at[r] = Some(k);
    }
    let pick = |f: &dyn Fn(&ScoredRow) -> Option<f32>| -> Vec<Option<f32>> {
        at.iter().map(|k| k.and_then(|k| f(&rows[k]))).collect()
    };
    // An input column named like an added one keeps its data under the first free name of
    // `NAME_input`, `NAME_input_2`, … (a scored file scored again has both `status` and
    // `status_input`).
    let mut taken: std::collections::HashSet<String> = parsed
        .input
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .chain(ADDED.iter().map(|a| a.to_string()))
        .collect();
    let mut cols: Vec<Column> = parsed
        .input
        .columns()
        .iter()
        .map(|c| {
            let mut c = c.clone();
            if ADDED.contains(&c.name().as_str()) {
                let base = format!("{}_input", c.name());
                let name = std::iter::once(base.clone())
                    .chain((2..).map(|k| format!("{base}_{k}")))
                    .find(|n| !taken.contains(n))
                    .expect("a free name");
                taken.insert(name.clone());
                c.rename(name.into());
            }
            c
        })
        .collect();
    cols.push(Column::new(
        "influencer_id".into(),
        at.iter().map(|k| k.map(|k| rows[k].influencer_id.clone())).collect::<Vec<_>>(),
    ));
    cols.push(Column::new("affinity_score".into(), pick(&|r| Some(r.score))));
    cols.push(Column::new("affinity_rank".into(), at.iter().map(|k| k.map(|k| rows[k].rank)).collect::<Vec<_>>()));
    cols.push(Column::new("predicted_ctr".into(), pick(&|r| r.predicted_ctr)));
    cols.push(Column::new("predicted_cpm".into(), pick(&|r| Some(r.predicted_cpm))));
    cols.push(Column::new("value_for_money".into(), pick(&|r| Some(r.value_for_money))));
    cols.push(Column::new("growth_probability".into(), pick(&|r| r.growth_probability)));
    cols.push(Column::new(
        "suspicious_growth".into(),
        at.iter().map(|k| k.and_then(|k| rows[k].suspicious_growth)).collect::<Vec<_>>(),
    ));
    cols.push(Column::new("known_to_model".into(), at.iter().map(|k| k.map(|k| rows[k].known)).collect::<Vec<_>>()));
    cols.push(Column::new(
        "reason".into(),
        at.iter().map(|k| k.map_or(String::new(), |k| rows[k].reason.clone())).collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "status".into(),
        (0..n)
            .map(|r| match at[r] {
                Some(k) => rows[k].status.clone(),
                None => parsed.rejected.get(&r).cloned().unwrap_or_else(|| "not scored".into()),
            })
            .collect::<Vec<_>>(),
    ));
    DataFrame::new_infer_height(cols).expect("equal lengths")
}
