//! `kolrec bench scale`: how wall time and peak memory of each step grow with the market, each
//! step a child process whose peak (`VmHWM`) is read from /proc while it runs, so that the
//! largest market one machine handles can be read off and projected.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use kolrec::fsutil::human_bytes;

pub struct ScaleBench<'a> {
    pub influencers: &'a [usize],
    pub skip: &'a [String],
    pub dir: &'a Path,
    pub keep: bool,
}

/// `train` is both stages (`--no-growth`); `growth-train` fits the affinity and growth models
/// without the ranker (the growth model has no command of its own), and `growth` scores with it.
const STEPS: [&str; 8] = ["generate", "load", "train", "index", "export", "serve", "growth-train", "growth"];

/// One step at one size.
#[derive(Clone, Debug, serde::Serialize)]
struct Measured {
    influencers: usize,
    step: &'static str,
    seconds: f64,
    peak_bytes: u64,
}

/// A process's peak resident memory so far (`VmHWM`), in bytes.
fn hwm(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kb| kb * 1024)
}

/// Run `kolrec ARGS` to completion; its wall time and the last peak seen (polled every 50 ms,
/// so a peak in its last 50 ms can be missed). Its standard error goes to `log` (a pipe nobody
/// reads while it runs could fill and stall it).
fn measure(args: &[String], log: &Path) -> Result<(f64, u64)> {
    let exe = std::env::current_exe().context("locating the kolrec binary")?;
    let t0 = Instant::now();
    let err = std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let mut child = Command::new(&exe)
        .args(args)
        .stdout(Stdio::null())
        .stderr(err)
        .spawn()
        .with_context(|| format!("running kolrec {}", args.join(" ")))?;
    let pid = child.id();
    let mut peak = 0;
    let status = loop {
        if let Some(h) = hwm(pid) {
            peak = peak.max(h);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    if !status.success() {
        let err = std::fs::read_to_string(log).unwrap_or_default();
        bail!("kolrec {} failed ({status}): {err}", args.join(" "));
    }
    Ok((t0.elapsed().as_secs_f64(), peak))
}

/// `kolrec serve` until its model is ready: seconds to ready and resident peak then.
fn measure_serve(model: &Path) -> Result<(f64, u64)> {
    let exe = std::env::current_exe().context("locating the kolrec binary")?;
    let t0 = Instant::now();
    let mut child = Command::new(&exe)
        .args(["serve", "--model"])
        .arg(model)
        .args(["--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting kolrec serve")?;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line)?;
    let addr = line.trim().rsplit("http://").next().unwrap_or_default().to_string();
    let ready = loop {
        if t0.elapsed() > Duration::from_secs(1800) {
            break false;
        }
        let ok = std::net::TcpStream::connect(&addr).ok().and_then(|mut s| {
            write!(s, "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").ok()?;
            let mut r = String::new();
            std::io::Read::read_to_string(&mut s, &mut r).ok()?;
            Some(r.starts_with("HTTP/1.1 200"))
        });
        if ok == Some(true) {
            break true;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let seconds = t0.elapsed().as_secs_f64();
    let peak = hwm(child.id()).unwrap_or(0);
    let _ = child.kill();
    let _ = child.wait();
    if !ready {
        bail!("kolrec serve on {addr} was not ready after 30 minutes");
    }
    Ok((seconds, peak))
}

/// Least-squares slope of log(y) on log(x): y grows as x^slope.
fn exponent(points: &[(f64, f64)]) -> Option<f64> {
    let pts: Vec<(f64, f64)> = points.iter().filter(|p| p.0 > 0.0 && p.1 > 0.0).map(|p| (p.0.ln(), p.1.ln())).collect();
    if pts.len() < 2 {
        return None;
    }
    let n = pts.len() as f64;
    let (mx, my) = (pts.iter().map(|p| p.0).sum::<f64>() / n, pts.iter().map(|p| p.1).sum::<f64>() / n);
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

pub fn run(b: &ScaleBench) -> Result<()> {
    for s in b.skip {
        if !STEPS.contains(&s.as_str()) || s == "generate" {
            bail!("--skip takes steps of {} but generate, got '{s}'", STEPS.join(", "));
        }
    }
    std::fs::create_dir_all(b.dir).with_context(|| format!("creating {}", b.dir.display()))?;
    let log_path = b.dir.join("scale.jsonl");
    let mut log = std::fs::OpenOptions::new().create(true).append(true).open(&log_path)?;
    let mut all: Vec<Measured> = Vec::new();
    let p = |x: &Path| x.display().to_string();
    for &n in b.influencers {
        let (brands, campaigns) = ((n / 50).max(10), n * 5);
        let root = b.dir.join(format!("n{n}"));
        let (data, model, out) = (root.join("data"), root.join("model"), root.join("export"));
        let gmodel = root.join("growth-model");
        let _ = std::fs::remove_dir_all(&root);
        outln!("bench scale: {brands} brands × {n} creators × {campaigns} campaigns × 120 days of snapshots");
        let growth_out = root.join("growth.parquet");
        for step in STEPS {
            if b.skip.iter().any(|s| s == step) {
                continue;
            }
            let args: Vec<String> = match step {
                "generate" => vec![
                    "generate".into(),
                    "--out".into(),
                    p(&data),
                    "--brands".into(),
                    brands.to_string(),
                    "--influencers".into(),
                    n.to_string(),
                    "--campaigns".into(),
                    campaigns.to_string(),
                    "--days".into(),
                    "120".into(),
                    "--quiet".into(),
                ],
                "load" => vec!["validate".into(), "--data".into(), p(&data)],
                "train" => vec![
                    "train".into(),
                    "--data".into(),
                    p(&data),
                    "--out".into(),
                    p(&model),
                    "--no-index".into(),
                    "--no-growth".into(),
                ],
                "growth-train" => vec![
                    "train".into(),
                    "--data".into(),
                    p(&data),
                    "--out".into(),
                    p(&gmodel),
                    "--no-index".into(),
                    "--no-ranker".into(),
                ],
                "index" => vec!["index".into(), "--model".into(), p(&model)],
                "export" => vec![
                    "export".into(),
                    "--model".into(),
                    p(&model),
                    "--data".into(),
                    p(&data),
                    "--out".into(),
                    p(&out),
                    "--date".into(),
                    "2025-05-01".into(),
                    "-k".into(),
                    "100".into(),
                    "--path".into(),
                    "exact".into(),
                    "--quiet".into(),
                ],
                "growth" => vec![
                    "growth".into(),
                    "--model".into(),
                    p(&gmodel),
                    "--data".into(),
                    p(&data),
                    "--as-of".into(),
                    "2025-04-30".into(),
                    "--out".into(),
                    p(&growth_out),
                ],
                _ => Vec::new(),
            };
            if args.is_empty() && step != "serve" {
                bail!("no command for step {step}");
            }
            let (seconds, peak_bytes) = if step == "serve" {
                measure_serve(&model)?
            } else {
                measure(&args, &b.dir.join(format!("n{n}-{step}.log")))?
            };
            let m = Measured { influencers: n, step, seconds, peak_bytes };
            writeln!(log, "{}", serde_json::to_string(&m)?)?;
            outln!("  {step:<9} {seconds:>8.1} s {:>11}", human_bytes(peak_bytes));
            all.push(m);
        }
        if !b.keep {
            std::fs::remove_dir_all(&root).with_context(|| format!("removing {}", root.display()))?;
        }
    }
    outln!(
        "\n{:<9} {}  time ~ n^a   peak ~ n^b",
        "step",
        b.influencers.iter().map(|n| format!("{:>17}", format!("{n} creators"))).collect::<String>()
    );
    for step in STEPS {
        let rows: Vec<&Measured> = all.iter().filter(|m| m.step == step).collect();
        if rows.is_empty() {
            continue;
        }
        let cells: String = rows
            .iter()
            .map(|m| format!("{:>17}", format!("{:.0} s {}", m.seconds, human_bytes(m.peak_bytes))))
            .collect();
        let a = exponent(&rows.iter().map(|m| (m.influencers as f64, m.seconds)).collect::<Vec<_>>());
        let bb = exponent(&rows.iter().map(|m| (m.influencers as f64, m.peak_bytes as f64)).collect::<Vec<_>>());
        let f = |x: Option<f64>| x.map_or("-".into(), |x| format!("{x:.2}"));
        outln!("{step:<9} {cells}  a = {}   b = {}", f(a), f(bb));
    }
    outln!("(every step's JSON line: {})", log_path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::exponent;

    #[test]
    fn the_exponent_of_a_power_law_is_recovered() {
        let pts: Vec<(f64, f64)> = [1.0, 2.0, 4.0, 8.0].iter().map(|&x: &f64| (x, 3.0 * x.powf(1.5))).collect();
        assert!((exponent(&pts).unwrap() - 1.5).abs() < 1e-9);
        assert_eq!(exponent(&pts[..1]), None);
    }
}
