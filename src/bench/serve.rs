//! `kolrec bench serve`: a real `kolrec serve` in a child process under open-loop load at fixed
//! rates, beside the same queries answered in-process, so the HTTP overhead is visible.
//!
//! The generator is open-loop with latency correction: request `i` is due at `t0 + i / rate`
//! whatever happened before, and its latency runs from that due time to the last byte of the
//! answer, so a stalled server is charged for every request it delayed (no coordinated
//! omission). A dedicated thread paces the requests; each is a task on a one-thread runtime
//! over a shared keep-alive connection pool (hyper's client, `TCP_NODELAY`); bodies vary (a
//! different brand per request).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use tokio::runtime::Runtime;

use kolrec::engine::{Engine, OpenOptions};
use kolrec::pipeline::{FilterSpec, Who};

pub struct ServeBench<'a> {
    pub model: &'a Path,
    /// Seconds per measured rate.
    pub seconds: f64,
    /// The fixed rate of the unfiltered goal (requests/s).
    pub rate: f64,
    /// The fixed rate of the filtered and the reload scenarios.
    pub filtered_rate: f64,
    /// Rates tried, in order, to find the highest one held with p99 ≤ 50 ms.
    pub ramp: Vec<f64>,
    /// Candidates per query for the learned ranker (none: its trained count).
    pub candidates: Option<usize>,
}

type Http = Client<HttpConnector, Full<Bytes>>;

/// Latencies (ms, sorted) and failures of one run at a fixed rate.
struct Run {
    ms: Vec<f64>,
    failed: usize,
    statuses: std::collections::BTreeMap<u16, usize>,
    seconds: f64,
}

impl Run {
    fn pct(&self, q: f64) -> f64 {
        if self.ms.is_empty() { f64::NAN } else { self.ms[((self.ms.len() - 1) as f64 * q).round() as usize] }
    }

    fn line(&self, label: &str, rate: f64) -> String {
        format!(
            "  {label:<34} {rate:>6.0} {:>7.0} {:>7.2} {:>7.2} {:>7.2} {:>8.2} {:>6}",
            self.ms.len() as f64 / self.seconds,
            self.pct(0.5),
            self.pct(0.9),
            self.pct(0.99),
            self.ms.last().copied().unwrap_or(f64::NAN),
            self.failed
        )
    }
}

const HEADER: &str = "  scenario                             rate/s  done/s  p50 ms  p90 ms  p99 ms   max ms failed";

/// A `kolrec serve` child on a free loopback port, killed when dropped.
struct Child_ {
    child: Child,
    base: String,
}

impl Drop for Child_ {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(model: &Path, token: &Path, candidates: Option<usize>) -> Result<Child_> {
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(exe);
    cmd.args(["serve", "--addr", "127.0.0.1:0", "--max-in-flight", "256", "--timeout-ms", "10000"]);
    cmd.arg("--model").arg(model).arg("--admin-token-file").arg(token);
    if let Some(n) = candidates {
        cmd.args(["--candidates", &n.to_string()]);
    }
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().context("starting kolrec serve")?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line)?;
    let base = line.trim().rsplit(' ').next().unwrap_or_default().to_string();
    ensure!(base.starts_with("http://"), "kolrec serve said {line:?}");
    Ok(Child_ { child, base })
}

/// Peak (VmHWM) and current (VmRSS) resident memory of a process, in bytes.
fn memory(pid: u32) -> (u64, u64) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb = |key: &str| {
        text.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(0, |v| v * 1024)
    };
    (kb("VmHWM:"), kb("VmRSS:"))
}

async fn send(http: &Http, url: &str, body: String, token: Option<&str>) -> Result<(u16, Bytes)> {
    let mut req = hyper::Request::post(url).header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = http.request(req.body(Full::new(Bytes::from(body)))?).await?;
    let status = resp.status().as_u16();
    Ok((status, resp.into_body().collect().await?.to_bytes()))
}

/// Open-loop load: `rate` requests/s for `seconds`, bodies from `body(i)`. This thread paces
/// the requests with the OS's sleep (tens of microseconds late at most, where tokio's timer
/// wheel rounds to a millisecond) and hands each to the runtime at its due time.
fn load(rt: &Runtime, http: &Http, url: &str, rate: f64, seconds: f64, body: &dyn Fn(usize) -> String) -> Run {
    let n = (rate * seconds).round() as usize;
    let bodies: Vec<String> = (0..n).map(body).collect();
    let t0 = Instant::now() + Duration::from_millis(20);
    let mut tasks = Vec::with_capacity(n);
    for (i, b) in bodies.into_iter().enumerate() {
        let due = t0 + Duration::from_secs_f64(i as f64 / rate);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let (http, url) = (http.clone(), url.to_string());
        tasks.push(rt.spawn(async move {
            let r = send(&http, &url, b, None).await;
            (r.map(|(s, _)| s).unwrap_or(0), due.elapsed().as_secs_f64() * 1e3)
        }));
    }
    let mut run = Run { ms: Vec::with_capacity(n), failed: 0, statuses: Default::default(), seconds };
    rt.block_on(async {
        for t in tasks {
            let (status, ms) = t.await.unwrap_or((0, f64::NAN));
            *run.statuses.entry(status).or_default() += 1;
            if status == 200 {
                run.ms.push(ms);
            } else {
                run.failed += 1;
            }
        }
    });
    run.ms.sort_by(f64::total_cmp);
    run
}

fn brand_query(brands: &[String], i: usize, filters: &Value) -> String {
    // A fixed stride through the brands so consecutive requests do not share a brand.
    let b = &brands[(i * 7919) % brands.len()];
    json!({"brand_id": b, "k": 20, "filters": filters}).to_string()
}

pub fn run(b: &ServeBench) -> Result<()> {
    ensure!(b.seconds > 0.0 && b.rate > 0.0 && b.filtered_rate > 0.0, "seconds and rates must be positive");
    let dir = std::env::temp_dir().join(format!("kolrec-bench-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let token = dir.join("token");
    let secret = format!("bench-token-{}-0123456789", std::process::id());
    std::fs::write(&token, &secret)?;

    // The engine's own speed first, in this process, on the same queries.
    let t0 = Instant::now();
    let mut engine = Engine::open(b.model, &OpenOptions { growth: false, ..Default::default() })?;
    engine.set_candidates(b.candidates);
    let open_s = t0.elapsed().as_secs_f64();
    let brands: Vec<String> = engine.model().brand_ids.clone();
    let (platform, tier) = super::recommend::common_platform_and_tier(&engine);
    let filters = json!({"platform": [platform], "tier": [tier.as_str()]});
    let spec = FilterSpec { platforms: vec![platform.clone()], tiers: vec![tier], ..Default::default() };
    let allowed = engine.compile(&spec)?.allowed();
    outln!(
        "bench serve on {}: {} creators, {} brands, ranker {} ({} candidates), opened in-process in {open_s:.1}s",
        b.model.display(),
        engine.catalog().len(),
        brands.len(),
        engine.ranker_name(),
        engine.candidates(20)
    );
    outln!("  filtered scenario: platform {platform} + tier {} leaves {allowed} creators", tier.as_str());
    let in_process = |spec: &FilterSpec, threads: usize, n: usize| -> Result<(f64, Vec<f64>)> {
        let t = Instant::now();
        let per: Vec<Vec<f64>> = std::thread::scope(|sc| {
            let hs: Vec<_> = (0..threads)
                .map(|w| {
                    let (engine, brands, spec) = (&engine, &brands, spec);
                    sc.spawn(move || {
                        (w..n)
                            .step_by(threads)
                            .map(|i| {
                                let q = Instant::now();
                                let who = Who::Brand(brands[(i * 7919) % brands.len()].clone());
                                let _ = engine.recommend(&who, 20, spec);
                                q.elapsed().as_secs_f64() * 1e3
                            })
                            .collect::<Vec<f64>>()
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().expect("a bench thread")).collect()
        });
        let mut ms: Vec<f64> = per.into_iter().flatten().collect();
        ms.sort_by(f64::total_cmp);
        Ok((n as f64 / t.elapsed().as_secs_f64(), ms))
    };
    let pct = |ms: &[f64], q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    outln!("  in-process (engine.recommend, k 20)      threads   q/s     p50 ms  p99 ms");
    let n_in = 2000.min(brands.len() * 4).max(200);
    in_process(&FilterSpec::default(), 1, 100)?;
    for (label, s) in [("no filter", FilterSpec::default()), ("platform + tier", spec.clone())] {
        for threads in [1, 2] {
            let (qps, ms) = in_process(&s, threads, n_in)?;
            outln!("    {label:<38} {threads:>2} {qps:>8.0} {:>8.2} {:>7.2}", pct(&ms, 0.5), pct(&ms, 0.99));
        }
    }
    drop(engine);

    let server = start_server(b.model, &token, b.candidates)?;
    let pid = server.child.id();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let http: Http = {
        let _in = rt.enter();
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Client::builder(TokioExecutor::new()).pool_max_idle_per_host(512).build(connector)
    };
    let t = Instant::now();
    loop {
        let ready = rt.block_on(http.get(format!("{}/readyz", server.base).parse()?)).map(|r| r.status().as_u16());
        if ready.ok() == Some(200) {
            break;
        }
        if t.elapsed() > Duration::from_secs(600) {
            bail!("the server was not ready within 10 minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let (_, one_model) = memory(pid);
    outln!(
        "  server ready in {:.1}s; resident memory with one model loaded: {}",
        t.elapsed().as_secs_f64(),
        kolrec::fsutil::human_bytes(one_model)
    );
    let url = format!("{}/v1/recommend", server.base);
    let none = json!({});
    let unfiltered = |i: usize| brand_query(&brands, i, &none);
    let filtered = |i: usize| brand_query(&brands, i, &filters);
    // Warm-up: page in the index and the trees.
    load(&rt, &http, &url, 100.0, 2.0, &unfiltered);
    outln!("{HEADER}");
    let r = load(&rt, &http, &url, b.rate, b.seconds, &unfiltered);
    outln!("{}", r.line("recommend, no filter, k 20", b.rate));
    let r = load(&rt, &http, &url, b.filtered_rate, b.seconds, &filtered);
    outln!("{}", r.line("recommend, platform + tier, k 20", b.filtered_rate));
    let mut held = None;
    for &rate in &b.ramp {
        let r = load(&rt, &http, &url, rate, b.seconds, &unfiltered);
        outln!("{}", r.line("ramp: no filter", rate));
        if r.failed > 0 || r.pct(0.99) > 50.0 {
            break;
        }
        held = Some(rate);
    }
    match held {
        Some(r) => outln!("  highest rate held with p99 <= 50 ms and no failure: {r:.0}/s"),
        None => outln!("  no rate of the ramp held p99 <= 50 ms"),
    }

    // A reload of the same directory (a full load and verification) during fixed-rate load.
    let reload_url = format!("{}/admin/reload", server.base);
    let (http2, secret2) = (http.clone(), secret.clone());
    let reload = rt.spawn(async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let t = Instant::now();
        let r = send(&http2, &reload_url, "{}".into(), Some(&secret2)).await;
        (r.map(|(s, body)| (s, String::from_utf8_lossy(&body).into_owned())), t.elapsed().as_secs_f64())
    });
    let secs = b.seconds.max(4.0) + 2.0;
    let (peak_before, _) = memory(pid);
    let r = load(&rt, &http, &url, b.filtered_rate, secs, &unfiltered);
    let (reloaded, reload_s) = rt.block_on(reload)?;
    let (status, body) = reloaded?;
    ensure!(status == 200, "the reload failed: {status} {body}");
    let (peak, _) = memory(pid);
    outln!("{}", r.line("reload during load, no filter", b.filtered_rate));
    outln!(
        "  reload: {reload_s:.1}s to load, verify and swap; {} failed of {} requests; peak memory {} = {:.2}x one loaded model ({} before the reload)",
        r.failed,
        r.ms.len() + r.failed,
        kolrec::fsutil::human_bytes(peak),
        peak as f64 / one_model.max(1) as f64,
        kolrec::fsutil::human_bytes(peak_before)
    );
    if r.statuses.keys().any(|&s| s != 200) {
        outln!("  statuses during the reload run: {:?}", r.statuses);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
