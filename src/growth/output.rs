//! Growth scores written out: every creator, scored or not, as a table file.

use super::Scoring;

/// Every creator, scored or not, to CSV or Parquet (by extension).
pub fn write_scores(s: &Scoring, path: &std::path::Path) -> Result<(), crate::table::TableError> {
    use polars::prelude::*;
    let n = s.scored.len() + s.unscored.len();
    let mut id = Vec::with_capacity(n);
    let mut prob: Vec<Option<f32>> = Vec::with_capacity(n);
    let mut exp: Vec<Option<f32>> = Vec::with_capacity(n);
    let mut flag: Vec<Option<bool>> = Vec::with_capacity(n);
    let mut reason = Vec::with_capacity(n);
    let mut status = Vec::with_capacity(n);
    for r in &s.scored {
        id.push(r.influencer_id.clone());
        prob.push(Some(r.probability));
        exp.push(Some(r.expected_growth));
        flag.push(Some(r.suspicious_growth));
        reason.push(r.reason.clone());
        status.push("scored".to_string());
    }
    for (i, why) in &s.unscored {
        id.push(i.clone());
        prob.push(None);
        exp.push(None);
        flag.push(None);
        reason.push(why.clone());
        status.push("not scored".to_string());
    }
    let mut frame = DataFrame::new_infer_height(vec![
        Column::new("influencer_id".into(), id),
        Column::new("probability".into(), prob),
        Column::new("expected_growth".into(), exp),
        Column::new("suspicious_growth".into(), flag),
        Column::new("reason".into(), reason),
        Column::new("status".into(), status),
    ])
    .expect("equal lengths");
    crate::table::write(&mut frame, path)
}
