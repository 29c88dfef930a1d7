//! `kolrec bench growth`: the growth model side by side with LightGBM, a logistic regression and a
//! random forest (`peers.py growth`) trained on the same exported feature table with the same time
//! split and embargo, plus the momentum baseline.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use kolrec::evaluate::growth::momentum;
use kolrec::growth::calibrate::Isotonic;
use kolrec::growth::{GrowthModel, GrowthParams, collect, label_dates, labels, numeric_names};
use kolrec::metrics::binary;
use kolrec::parse::format_date;

const LABEL: &str = "grew_strongly";
const TEST_FRAC: f64 = 0.2;

/// numpy's default (linear) quantile of already sorted values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

pub fn run(data: &Path, out: &Path, peers: &super::Peers, p: &GrowthParams) -> Result<()> {
    std::fs::create_dir_all(out)?;
    let (ds, _) = kolrec::dataset::load(data, &Default::default())?;
    let end = ds.snapshots.last_date().context("the dataset has no snapshots")?;
    let t0 = Instant::now();
    let (rows, _) = collect(&ds, &label_dates(&ds, end, p), None, p);
    let keep: Vec<usize> = (0..rows.len()).filter(|&r| rows.growth[r].is_finite()).collect();
    let rows = rows.select(&keep);
    let y = labels(&rows, p);
    outln!(
        "bench growth: {} labelled rows ({} creators × as-of dates) built in {:.1}s",
        rows.len(),
        ds.influencers.len(),
        t0.elapsed().as_secs_f64()
    );

    // The table peers.py reads: one row per creator and as-of date.
    let platforms = kolrec::catalog::Interned::new(&ds.influencers.platform).values;
    let names = numeric_names();
    let q = names.len();
    let csv = out.join("growth_features.csv");
    let mut text = format!("creator_id,snapshot_date,platform,tier,{},{LABEL}\n", names.join(","));
    for r in 0..rows.len() {
        let vals: Vec<String> = rows.raw[r * q..(r + 1) * q]
            .iter()
            .map(|v| if v.is_finite() { v.to_string() } else { String::new() })
            .collect();
        text.push_str(&format!(
            "{},{},{},{},{},{}\n",
            ds.influencers.id[rows.creator[r] as usize],
            format_date(rows.as_of[r]),
            platforms[rows.platform[r] as usize],
            rows.tier[r],
            vals.join(","),
            u8::from(y[r])
        ));
    }
    std::fs::write(&csv, text).with_context(|| format!("writing {}", csv.display()))?;

    // peers.py's split, replayed: the latest 20% of rows by date are test; a training row's label
    // window must end by the cut.
    let mut t: Vec<f64> = rows.as_of.iter().map(|&d| f64::from(d)).collect();
    t.sort_by(f64::total_cmp);
    let cut = quantile(&t, 1.0 - TEST_FRAC);
    let embargo = f64::from(p.horizon_days);
    let train: Vec<usize> = (0..rows.len()).filter(|&r| f64::from(rows.as_of[r]) <= cut - embargo).collect();
    let test: Vec<usize> = (0..rows.len()).filter(|&r| f64::from(rows.as_of[r]) >= cut).collect();
    let (tr, te) = (rows.select(&train), rows.select(&test));
    let yte: Vec<bool> = test.iter().map(|&r| y[r]).collect();
    let t1 = Instant::now();
    let (model, report) = GrowthModel::fit_rows(&tr, &platforms, p)?;
    let fit_seconds = t1.elapsed().as_secs_f64();
    let (prob, _) = model.predict(&te, &platforms);
    let kolrec = binary::report(&prob, &yte);
    let ytr: Vec<f32> = train.iter().map(|&r| f32::from(u8::from(y[r]))).collect();
    let mom = Isotonic::fit(&momentum(&tr), &ytr);
    let mom_p: Vec<f32> = momentum(&te).iter().map(|&s| mom.apply(s)).collect();
    let momentum_report = binary::report(&mom_p, &yte);

    outln!(
        "kolrec on the replayed split: ROC-AUC {:.4}, PR-AUC {:.4}, Brier {:.4} ({}, fit {fit_seconds:.1}s); momentum ROC-AUC {:.4}, Brier {:.4}",
        kolrec.roc_auc,
        kolrec.pr_auc,
        kolrec.brier,
        report.chosen,
        momentum_report.roc_auc,
        momentum_report.brier
    );
    outln!("running peers.py growth on {}", csv.display());
    let pj = out.join("peers_growth.json");
    let (embargo, frac) = (p.horizon_days.to_string(), TEST_FRAC.to_string());
    let args: Vec<&std::ffi::OsStr> = ["--features".as_ref(), csv.as_os_str()]
        .into_iter()
        .chain(
            [
                "--label",
                LABEL,
                "--time-col",
                "snapshot_date",
                "--embargo",
                &embargo,
                "--drop-cols",
                "creator_id",
                "--test-frac",
                &frac,
            ]
            .map(|a| a.as_ref()),
        )
        .collect();
    let v = peers.run("growth", &args, &pj)?;
    let ds_info = &v["dataset"];
    outln!(
        "\nsame split: test from {} ({} rows here, {} in peers.py), train rows {} here, {} in peers.py; kolrec chose {} (fit {fit_seconds:.1}s)",
        format_date(cut.ceil() as i32),
        test.len(),
        ds_info["test_rows"],
        train.len(),
        ds_info["train_rows"],
        report.chosen
    );
    outln!("{:<22} {:>8} {:>8} {:>8} {:>9} {:>9}", "model", "ROC-AUC", "PR-AUC", "Brier", "prec@10%", "train s");
    let line = |name: &str, auc: f64, pr: f64, brier: f64, p10: f64, secs: f64| -> Result<()> {
        outln!("{name:<22} {auc:>8.4} {pr:>8.4} {brier:>8.4} {p10:>9.3} {secs:>9.1}");
        Ok(())
    };
    line("kolrec", kolrec.roc_auc, kolrec.pr_auc, kolrec.brier, kolrec.precision_top_10pct, fit_seconds)?;
    line(
        "momentum (calibrated)",
        momentum_report.roc_auc,
        momentum_report.pr_auc,
        momentum_report.brier,
        momentum_report.precision_top_10pct,
        0.0,
    )?;
    for m in v["models"].as_array().into_iter().flatten() {
        let Some(name) = m["name"].as_str() else { continue };
        if m.get("skipped").is_some() {
            outln!("{name:<22} skipped: {}", m["skipped"]);
            continue;
        }
        let mt = &m["metrics"];
        let get = |k: &str| mt[k].as_f64().or_else(|| m[k].as_f64()).unwrap_or(f64::NAN);
        line(name, get("roc_auc"), get("pr_auc"), get("brier"), get("precision_at_top10pct"), get("train_seconds"))?;
    }
    Ok(())
}
