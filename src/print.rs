//! What the commands print: terminal tables and one-line summaries of library results.

use std::path::Path;

use kolrec::engine::ScoredRow;
use kolrec::fsutil::human_bytes;
use kolrec::growth::Scoring;
use kolrec::model_dir::{self, IndexEntry, Manifest};
use kolrec::pipeline::{Answer, SearchPath};

/// A terminal table of an answer.
pub fn answer(a: &Answer) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let path = match a.path {
        SearchPath::Index => "ANN index",
        SearchPath::Exact => "exact scan",
        SearchPath::IndexThenExact => "ANN index, then exact scan (selective filter)",
    };
    let stage = match a.ranker {
        "learned" => ", re-ranked by the learned ranker",
        "inner-product" => ", ranked by the inner product (no learned ranker in this model)",
        _ => "",
    };
    let _ = writeln!(
        s,
        "{}: {} results from {} candidate creators ({path}{stage})",
        a.query,
        a.results.len(),
        a.candidates
    );
    let _ = writeln!(
        s,
        "{:>4}  {:<14} {:<18} {:<12} {:<12} {:>10} {:<6} {:>9} {:>7} {:>7}  reason",
        "rank", "influencer", "handle", "platform", "category", "followers", "tier", "price", "eng.", "score"
    );
    for r in &a.results {
        let clip = |x: &str, n: usize| x.chars().take(n).collect::<String>();
        let _ = writeln!(
            s,
            "{:>4}  {:<14} {:<18} {:<12} {:<12} {:>10.0} {:<6} {:>9} {:>7} {:>7.3}  {}",
            r.rank,
            clip(&r.influencer_id, 14),
            clip(&r.handle, 18),
            clip(&r.platform, 12),
            clip(&r.category, 12),
            r.followers,
            r.tier.as_str(),
            r.price_per_post.map_or("-".into(), |p| format!("{p:.0}")),
            r.engagement_rate.map_or("-".into(), |e| format!("{:.1}%", 100.0 * e)),
            r.score,
            r.reason
        );
    }
    s
}

/// A terminal table of the top `n` rows and a summary line.
pub fn growth(s: &Scoring, n: usize, seconds: f64) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let flagged = s.scored.iter().filter(|r| r.suspicious_growth).count();
    let mut why: std::collections::BTreeMap<String, usize> = Default::default();
    for (_, w) in &s.unscored {
        let kind = w.split(':').next().unwrap_or(w).split(" (").next().unwrap_or(w);
        let kind = if kind.starts_with("only") { "too little history" } else { kind };
        *why.entry(kind.to_string()).or_default() += 1;
    }
    let why: Vec<String> = why.iter().map(|(k, v)| format!("{v} {k}")).collect();
    let _ = writeln!(
        out,
        "growth as of {}: {} creators scored in {seconds:.1}s, {} flagged suspicious_growth; {} not scored{}",
        s.as_of,
        s.scored.len(),
        flagged,
        s.unscored.len(),
        if why.is_empty() { String::new() } else { format!(" ({})", why.join(", ")) }
    );
    let _ = writeln!(
        out,
        "{:>4}  {:<14} {:<12} {:<6} {:>10} {:>8} {:>9} {:<5}  reason",
        "rank", "influencer", "platform", "tier", "followers", "p(grow)", "exp. 30d", "flag"
    );
    for (k, r) in s.scored.iter().take(n).enumerate() {
        let _ = writeln!(
            out,
            "{:>4}  {:<14} {:<12} {:<6} {:>10.0} {:>8.3} {:>+8.1}% {:<5}  {}",
            k + 1,
            r.influencer_id.chars().take(14).collect::<String>(),
            r.platform.chars().take(12).collect::<String>(),
            r.tier.as_str(),
            r.followers,
            r.probability,
            100.0 * r.expected_growth,
            if r.suspicious_growth { "SUSP" } else { "" },
            r.reason
        );
    }
    out
}

/// What `kolrec train` did.
pub fn trained(m: &Manifest, out: &Path) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    if let Some(e) = &m.affinity {
        let (t, p) = (&e.train, &e.params);
        let _ = writeln!(
            s,
            "trained affinity model ({} objective, {} factors) on {} campaign rows ({} without the objective's outcome), {} pairs, {} warm brands, {} warm influencers in {:.1}s",
            p.objective,
            p.factors,
            t.rows_used,
            t.rows_without_objective,
            t.pairs,
            t.warm_brands,
            t.warm_influencers,
            t.seconds
        );
        let _ = writeln!(
            s,
            "objective {:.1} -> {:.1} over {} sweeps",
            t.objective_history[0],
            t.objective_history.last().copied().unwrap_or(f64::NAN),
            p.iterations
        );
        let _ = writeln!(
            s,
            "model: {} ({} bytes), manifest: {}",
            out.join(&e.file).display(),
            e.bytes,
            out.join(model_dir::MANIFEST_FILE).display()
        );
    }
    if let Some(r) = &m.ranker {
        let t = &r.train;
        let _ = writeln!(
            s,
            "learned ranker: {} trees on {} out-of-fold pairs ({} refits, {} pairs with the brand cold in its fold); validation RMSE {:.3} -> {:.3}; {:.1}s refits + {:.1}s trees; re-scores {} candidates: {} ({} bytes)",
            t.trees,
            t.pairs,
            r.params.folds,
            t.cold_brand_pairs,
            t.valid_loss.first().copied().unwrap_or(f64::NAN),
            t.valid_loss.iter().copied().fold(f64::INFINITY, f64::min),
            t.fold_seconds,
            t.fit_seconds,
            r.params.candidates,
            out.join(&r.file).display(),
            r.bytes
        );
    }
    if let Some(g) = &m.growth {
        let _ = writeln!(
            s,
            "growth model: {} chosen (out-of-fold over {} date blocks, trees' weight → ROC-AUC / calibrated Brier: {}), {} rows from {} to {}, calibrated on {} out-of-fold scores: {}",
            g.train.chosen,
            g.train.folds,
            g.train
                .candidates
                .iter()
                .map(|c| format!("{:.2} → {:.3} / {:.4}", c.forest_weight, c.roc_auc, c.brier))
                .collect::<Vec<_>>()
                .join(", "),
            g.train.rows,
            g.train.first_date,
            g.train.last_date,
            g.train.calibration_rows,
            out.join(&g.file).display()
        );
    }
    if let Some(ix) = &m.index {
        let _ = writeln!(s, "{}", index_line(ix, out));
    }
    s
}

pub fn index_line(ix: &IndexEntry, model: &Path) -> String {
    format!(
        "ANN index: {} creators, M {}, ef_construction {}, ef_search {}, built in {:.1}s, {}: {}",
        ix.count,
        ix.params.m,
        ix.params.ef_construction,
        ix.params.ef_search,
        ix.build_seconds,
        human_bytes(ix.bytes),
        model.join(&ix.dir).display()
    )
}

/// The best `top` rows of a scored list.
pub fn scored(rows: &[ScoredRow], top: usize) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let mut best: Vec<&ScoredRow> = rows.iter().collect();
    best.sort_by_key(|r| r.rank);
    let _ = writeln!(
        s,
        "{:>4}  {:<24} {:>7} {:>8} {:>8} {:>6} {:>8}  reason",
        "rank", "influencer", "score", "CTR %", "CPM", "value", "p(grow)"
    );
    for r in best.iter().take(top) {
        let _ = writeln!(
            s,
            "{:>4}  {:<24} {:>7.3} {:>8} {:>8.1} {:>6.2} {:>8}  {}",
            r.rank,
            r.influencer_id.chars().take(24).collect::<String>(),
            r.score,
            r.predicted_ctr.map_or("n/a".into(), |c| format!("{:.2}", 100.0 * c)),
            r.predicted_cpm,
            r.value_for_money,
            r.growth_probability.map_or("n/a".into(), |p| format!("{p:.3}")),
            r.reason
        );
    }
    s
}

/// What `kolrec export` did.
pub fn exported(s: &kolrec::export::ExportSummary, total_seconds: f64) -> String {
    let m = &s.manifest;
    format!(
        "exported {} rows ({} brands, {} of them cold, × top {}) over {} creators by the {} path in {} files{}: {}\nscoring {:.1}s, export {:.1}s, {:.0} rows/s; growth as of {}; total with loading {:.1}s",
        m.rows,
        m.run.brands,
        m.cold_brands,
        m.run.k,
        m.creators,
        match m.scoring_path {
            kolrec::engine::BatchPath::Index => "index",
            _ => "exact",
        },
        m.files.len(),
        if m.parts_resumed > 0 { format!(" ({} resumed)", m.parts_resumed) } else { String::new() },
        s.partition.display(),
        m.seconds_scoring,
        m.seconds_total,
        m.rows_per_second,
        m.run.growth_as_of.as_deref().unwrap_or("n/a (no growth model)"),
        total_seconds
    )
}
