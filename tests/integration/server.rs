//! `kolrec serve`: a real server on a random loopback port, spoken to with a real HTTP client —
//! every route, every bad input's status and named field, hot reloads under load, the admin
//! token, and draining on SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::*;

const TOKEN: &str = "test-token-0123456789abcdef";

/// A running `kolrec serve`, killed when dropped.
struct Server {
    child: Child,
    base: String,
    agent: ureq::Agent,
}

impl Server {
    /// Start the binary on port 0 and wait until it is ready (or `ready` is false: just listening).
    fn start_with(args: &[&str], env: &[(&str, &str)], ready: bool) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kolrec"));
        cmd.arg("serve").args(["--addr", "127.0.0.1:0"]).args(args);
        cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("starting kolrec serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let base = line.trim().rsplit(' ').next().unwrap().to_string();
        assert!(base.starts_with("http://127.0.0.1:"), "first line: {line:?}");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let s = Server { child, base, agent };
        if ready {
            s.wait_ready();
        }
        s
    }

    fn start(args: &[&str]) -> Server {
        Server::start_with(args, &[], true)
    }

    fn wait_ready(&self) {
        let t0 = Instant::now();
        while self.get("/readyz").0 != 200 {
            assert!(t0.elapsed() < Duration::from_secs(60), "not ready after 60 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn get(&self, path: &str) -> (u16, String) {
        let mut r = self.agent.get(format!("{}{path}", self.base)).call().expect("GET");
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    }

    /// POST a raw body; the status, the `Retry-After` header and the body.
    fn post_raw(&self, path: &str, body: &str, token: Option<&str>) -> (u16, Option<String>, String) {
        let mut req = self.agent.post(format!("{}{path}", self.base)).header("content-type", "application/json");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let mut r = req.send(body).expect("POST");
        let retry = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
        (r.status().as_u16(), retry, r.body_mut().read_to_string().unwrap())
    }

    fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let (s, _, b) = self.post_raw(path, &body.to_string(), None);
        (s, serde_json::from_str(&b).unwrap_or_else(|e| panic!("{path}: {e}: {b}")))
    }

    fn admin(&self, body: Value) -> (u16, Value) {
        let (s, _, b) = self.post_raw("/admin/reload", &body.to_string(), Some(TOKEN));
        (s, serde_json::from_str(&b).unwrap_or_else(|e| panic!("reload: {e}: {b}")))
    }

    fn model_id(&self) -> String {
        let (s, b) = self.get("/v1/model");
        assert_eq!(s, 200, "{b}");
        serde_json::from_str::<Value>(&b).unwrap()["model_id"].as_str().unwrap().to_string()
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill").args([&format!("-{sig}"), &self.child.id().to_string()]).status().unwrap();
        assert!(ok.success());
    }

    /// Wait for the process to exit; its exit code.
    fn wait_exit(&mut self, within: Duration) -> Option<i32> {
        let t0 = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s.code();
            }
            assert!(t0.elapsed() < within, "still running after {within:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn token_file() -> PathBuf {
    let p = scratch("token").join("token");
    std::fs::write(&p, format!("{TOKEN}\n")).unwrap();
    p
}

/// The error of an answer: (status, field) after checking the message is there.
fn error_of(r: (u16, Value)) -> (u16, Option<String>) {
    let (status, v) = r;
    assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "no error message: {v}");
    (status, v["field"].as_str().map(String::from))
}

/// A second model of the served market's data (another shape, so another model ID).
fn second_model() -> &'static PathBuf {
    static M: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    M.get_or_init(|| {
        let (data, _) = served_market();
        let out = scratch("served-second-model");
        let o = kolrec(&["train", "--data", s(data), "--out", s(&out), "--factors", "6", "--iterations", "2"]);
        assert!(o.status.success(), "{}", stderr(&o));
        out
    })
}

#[test]
fn every_route_answers_as_specified() {
    let (data, model) = served_market();
    let srv = Server::start(&["--model", s(model), "--data", s(data)]);
    assert_eq!(srv.get("/livez").0, 200);
    assert_eq!(srv.get("/readyz").0, 200);

    // The model: its ID is the manifest's checksum of affinity.bin.
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(model.join("manifest.json")).unwrap()).unwrap();
    let (st, m) = srv.get("/v1/model");
    assert_eq!(st, 200);
    let m: Value = serde_json::from_str(&m).unwrap();
    let id = manifest["affinity"]["crc32"].as_str().unwrap();
    assert_eq!(m["model_id"], id);
    assert_eq!(m["influencers"], 600);
    assert_eq!(m["brands"], 40);
    assert_eq!(m["ranker"], "learned");
    assert!(m["trained_at"].as_str().unwrap().ends_with('Z'), "{m}");

    // Recommend answers exactly what the command line answers, on the same engine.
    let (st, a) =
        srv.post("/v1/recommend", json!({"brand_id": "b000001", "k": 5, "filters": {"platform": ["douyin"]}}));
    assert_eq!(st, 200, "{a}");
    assert_eq!(a["model_id"], id);
    let results = a["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r["rank"], i + 1);
        assert_eq!(r["platform"], "douyin");
        assert!(r["score"].is_number() && r["predicted_cpm"].is_number() && r["predicted_ctr"].is_number(), "{r}");
        assert!(r["reason"].as_str().unwrap().starts_with("ranked by:"), "{r}");
    }
    let o =
        kolrec(&["recommend", "--model", s(model), "--brand", "b000001", "-k", "5", "--platform", "douyin", "--json"]);
    let cli: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let ids =
        |v: &Value| v["results"].as_array().unwrap().iter().map(|r| r["influencer_id"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&a), ids(&cli));

    // A brief (a new brand), with k defaulting to 20.
    let brief =
        json!({"category": "beauty", "country": "CN", "female_share": 0.7, "ages": [0.05, 0.4, 0.35, 0.15, 0.05]});
    let (st, a) = srv.post("/v1/recommend", json!({"brief": brief}));
    assert_eq!(st, 200, "{a}");
    assert_eq!(a["results"].as_array().unwrap().len(), 20);

    // A batch: each query answered on its own, a bad one with its status and field.
    let (st, b) = srv.post(
        "/v1/recommend/batch",
        json!({"queries": [{"brand_id": "b000001", "k": 5, "filters": {"platform": ["douyin"]}}, {"brand_id": "nobody"}, {"brief": brief, "k": 3}]}),
    );
    assert_eq!(st, 200, "{b}");
    let answers = b["answers"].as_array().unwrap();
    assert_eq!(ids(&answers[0]), ids(&cli));
    assert_eq!((answers[1]["status"].as_u64(), answers[1]["field"].as_str()), (Some(404), Some("brand_id")));
    assert_eq!(answers[2]["results"].as_array().unwrap().len(), 3);

    // Lookalikes.
    let first = results[0]["influencer_id"].as_str().unwrap();
    let (st, l) = srv.post("/v1/similar", json!({"influencer_id": first, "k": 4}));
    assert_eq!(st, 200, "{l}");
    assert_eq!(l["ranker"], "cosine");
    let l = l["results"].as_array().unwrap();
    assert_eq!(l.len(), 4);
    assert!(l.iter().all(|r| r["influencer_id"] != first));

    // Score a list: every row back in order, a known creator, a new one from its profile, a bad row.
    let rows = json!([
        {"influencer_id": first, "platform": "douyin", "category": "beauty", "followers": 10000},
        {"influencer_id": "new-1", "platform": "douyin", "category": "beauty", "followers": "12.3万", "engagement_rate": 0.05, "price_per_post": 900},
        {"influencer_id": "new-2", "platform": "douyin", "followers": "lots"},
    ]);
    let (st, sc) = srv.post("/v1/score", json!({"brand_id": "b000001", "influencers": rows}));
    assert_eq!(st, 200, "{sc}");
    let r = sc["results"].as_array().unwrap();
    assert_eq!(r.len(), 3);
    assert_eq!((r[0]["row"].as_u64(), r[0]["known_to_model"].as_bool()), (Some(0), Some(true)));
    assert_eq!((r[1]["influencer_id"].as_str(), r[1]["known_to_model"].as_bool()), (Some("new-1"), Some(false)));
    assert!(r[1]["status"].as_str().unwrap().starts_with("scored"), "{}", r[1]);
    assert!(r[0]["growth_probability"].is_number(), "the server has data, so growth joins: {}", r[0]);
    assert_eq!(r[2]["status"], "not scored: followers 'lots' is not a count");
    assert!(r[2]["score"].is_null());

    // Growth from the snapshots of --data: a creator of the data, and one it does not have.
    let (st, g) = srv.post("/v1/growth", json!({"influencer_ids": [first, "nobody"]}));
    assert_eq!(st, 200, "{g}");
    let g = g["results"].as_array().unwrap();
    assert!((0.0..=1.0).contains(&g[0]["probability"].as_f64().unwrap()), "{}", g[0]);
    assert!(g[0]["expected_growth"].is_number() && g[0]["suspicious_growth"].is_boolean(), "{}", g[0]);
    assert_eq!(g[1]["status"], "not scored: not in the data");

    // Metrics: requests by route and status, latency, in flight, the serving model.
    let (st, text) = srv.get("/metrics");
    assert_eq!(st, 200);
    for want in [
        "kolrec_http_requests_total{route=\"/v1/recommend\",status=\"200\"} 2",
        "kolrec_http_request_duration_seconds_bucket{le=",
        "kolrec_http_requests_in_flight",
        &format!("kolrec_model_info{{model_id=\"{id}\"}} 1"),
        "kolrec_model_reloads_total{outcome=\"ok\"} 1",
    ] {
        assert!(text.contains(want), "metrics lack {want:?}:\n{text}");
    }

    // The OpenAPI document lists every route.
    let (st, spec) = srv.get("/openapi.json");
    assert_eq!(st, 200);
    let spec: Value = serde_json::from_str(&spec).unwrap();
    for p in [
        "/livez",
        "/readyz",
        "/metrics",
        "/v1/model",
        "/v1/recommend",
        "/v1/recommend/batch",
        "/v1/similar",
        "/v1/score",
        "/v1/growth",
        "/admin/reload",
    ] {
        assert!(spec["paths"][p].is_object(), "openapi.json lacks {p}");
    }
    for (path, methods) in spec["paths"].as_object().unwrap() {
        for method in methods.as_object().unwrap().keys() {
            let (st, body) = match method.as_str() {
                "get" => srv.get(path),
                "post" => {
                    let (st, _, b) = srv.post_raw(path, "{}", None);
                    (st, b)
                }
                m => panic!("{path}: unexpected method {m}"),
            };
            assert!(!(st == 404 && body.contains("no such route")) && st != 405, "{method} {path} is not routed: {st}");
        }
    }
}

#[test]
fn bad_input_gets_its_status_and_a_message_naming_the_field() {
    let (_, model) = served_market();
    let srv = Server::start(&["--model", s(model), "--max-body", "4KiB"]);
    let q = |body: Value| error_of(srv.post("/v1/recommend", body));
    let raw = |path: &str, body: &str| {
        let (st, _, b) = srv.post_raw(path, body, None);
        let v: Value = serde_json::from_str(&b).unwrap_or_else(|e| panic!("{e}: {b}"));
        assert!(v["error"].is_string(), "{b}");
        (st, v["field"].as_str().map(String::from), v["error"].as_str().unwrap().to_string())
    };
    let some = |f: &str| Some(f.to_string());

    let (st, f, e) = raw("/v1/recommend", r#"{"brand_id": "b000001", "k": 5"#);
    assert_eq!((st, f), (400, None));
    assert!(e.contains("malformed JSON"), "{e}");
    assert_eq!(raw("/v1/recommend", "").0, 400);
    assert_eq!(q(json!({"brand_id": "b000001", "k": "five"})), (422, some("k")));
    assert_eq!(q(json!({"brand_id": 7})), (422, some("brand_id")));
    assert_eq!(q(json!({"brand_id": "b000001", "colour": "red"})), (422, some("colour")));
    assert_eq!(q(json!({"brand_id": "b000001", "filters": {"platfrom": ["douyin"]}})), (422, some("filters.platfrom")));
    assert_eq!(q(json!({"brand_id": "b000001", "filters": {"tier": ["huge"]}})), (422, some("filters.tier[0]")));
    assert_eq!(q(json!({"brand_id": "b000001", "k": 0})), (422, some("k")));
    assert_eq!(q(json!({"brand_id": "b000001", "k": 1001})), (422, some("k")));
    assert_eq!(q(json!({"brand_id": "b000001", "k": -3})), (422, some("k")));
    assert_eq!(q(json!({"brand_id": "nobody"})), (404, some("brand_id")));
    assert_eq!(q(json!({})), (422, some("brand_id")));
    assert_eq!(q(json!({"brand_id": "b000001", "brief": {"category": "beauty"}})), (422, some("brand_id")));
    assert_eq!(q(json!({"brief": {"category": "beauty", "female_share": 2}})), (422, some("brief.female_share")));
    assert_eq!(q(json!({"brief": {"category": "beauty", "ages": [0.5, 0.5]}})), (422, some("brief.ages")));
    assert_eq!(
        q(json!({"brand_id": "b000001", "filters": {"min_followers": 5000, "max_followers": 100}})),
        (422, some("filters.min_followers"))
    );
    assert_eq!(
        q(json!({"brand_id": "b000001", "filters": {"tier": ["mega"], "max_followers": 1000}})),
        (422, some("filters.tier"))
    );
    assert_eq!(q(json!({"brand_id": "b000001", "filters": {"max_price": -1}})), (422, some("filters.max_price")));
    assert_eq!(q(json!({"brand_id": "b000001", "filters": {"exclude": ["nobody"]}})).0, 422);
    assert_eq!(error_of(srv.post("/v1/similar", json!({"influencer_id": "nobody"}))), (404, some("influencer_id")));
    assert_eq!(error_of(srv.post("/v1/similar", json!({"k": 3}))), (422, some("influencer_id")));
    assert_eq!(error_of(srv.post("/v1/recommend/batch", json!({"queries": []}))), (422, some("queries")));
    assert_eq!(
        error_of(srv.post(
            "/v1/recommend/batch",
            json!({"queries": [{"brand_id": "b000001"}, {"brand_id": "b000002", "k": true}]})
        )),
        (422, some("queries[1].k"))
    );
    assert_eq!(
        error_of(srv.post("/v1/score", json!({"brand_id": "b000001", "influencers": []}))),
        (422, some("influencers"))
    );
    assert_eq!(
        error_of(srv.post("/v1/score", json!({"brand_id": "b000001", "influencers": [{"influencer_id": {"a": 1}}]}))),
        (422, some("influencers[0].influencer_id"))
    );
    // Growth needs data; this server has none.
    let (st, retry, b) = srv.post_raw("/v1/growth", r#"{"influencer_ids": ["i1"]}"#, None);
    assert_eq!((st, retry.as_deref()), (503, Some("1")), "{b}");
    assert!(b.contains("--data"), "{b}");
    // Too large a body.
    let big = json!({"brand_id": "b000001", "filters": {"exclude": vec!["x".repeat(100); 100]}}).to_string();
    let (st, _, b) = srv.post_raw("/v1/recommend", &big, None);
    assert_eq!(st, 413, "{b}");
    let v: Value = serde_json::from_str(&b).unwrap_or_else(|e| panic!("{e}: {b}"));
    assert!(v["error"].as_str().unwrap().contains("over the server's limit"), "{b}");
    // No such route, wrong method.
    assert_eq!(srv.get("/v1/nothing").0, 404);
    assert_eq!(srv.get("/v1/recommend").0, 405);
    // The server is unharmed.
    assert_eq!(srv.get("/readyz").0, 200);
    assert_eq!(srv.post("/v1/recommend", json!({"brand_id": "b000001", "k": 2})).0, 200);
}

#[test]
fn the_admin_token_is_enforced_and_admin_is_off_without_one() {
    let (_, model) = served_market();
    let srv = Server::start(&["--model", s(model), "--admin-token-file", s(&token_file())]);
    assert_eq!(srv.post_raw("/admin/reload", "", None).0, 401);
    assert_eq!(srv.post_raw("/admin/reload", "", Some("wrong-token-0123456789abcdef")).0, 403);
    let (st, _, b) = srv.post_raw("/admin/reload", "", Some(TOKEN));
    assert_eq!(st, 200, "{b}");
    let srv = Server::start(&["--model", s(model)]);
    let (st, _, b) = srv.post_raw("/admin/reload", "", Some(TOKEN));
    assert_eq!(st, 403, "{b}");
    assert!(b.contains("--admin-token-file"), "{b}");
    // A token file that is too short is refused at start, naming the file.
    let short = scratch("short-token").join("t");
    std::fs::write(&short, "abc").unwrap();
    let o = kolrec(&["serve", "--model", s(model), "--admin-token-file", s(&short)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("at least 16 characters"), "{}", stderr(&o));
}

#[test]
fn a_reload_swaps_the_model_under_load_without_a_failed_request() {
    let (data, model) = served_market();
    let other = second_model();
    let srv = Server::start(&["--model", s(model), "--data", s(data), "--admin-token-file", s(&token_file())]);
    let first = srv.model_id();
    let stop = std::sync::atomic::AtomicBool::new(false);
    let seen = std::thread::scope(|sc| {
        let workers: Vec<_> = (0..4)
            .map(|w| {
                let (srv, stop) = (&srv, &stop);
                sc.spawn(move || {
                    let mut seen = Vec::new();
                    let mut n = 0;
                    while !stop.load(std::sync::atomic::Ordering::SeqCst) || n < 20 {
                        let (st, a) =
                            srv.post("/v1/recommend", json!({"brand_id": format!("b{:06}", (w + n) % 40), "k": 5}));
                        assert_eq!(st, 200, "{a}");
                        seen.push(a["model_id"].as_str().unwrap().to_string());
                        n += 1;
                    }
                    seen
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        let (st, r) = srv.admin(json!({"model": s(other)}));
        assert_eq!(st, 200, "{r}");
        assert_eq!(r["previous_model_id"], first.as_str());
        std::thread::sleep(Duration::from_millis(300));
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect::<Vec<_>>()
    });
    let second = srv.model_id();
    assert_ne!(first, second);
    assert!(seen.iter().all(|m| *m == first || *m == second));
    assert!(seen.contains(&first) && seen.contains(&second), "both models answered during the loop");

    // A broken model directory is refused with its error; the old model keeps serving.
    let broken = scratch("broken-model");
    for f in std::fs::read_dir(other).unwrap() {
        let f = f.unwrap();
        if f.file_type().unwrap().is_file() {
            std::fs::copy(f.path(), broken.join(f.file_name())).unwrap();
        }
    }
    let bytes = std::fs::read(broken.join("affinity.bin")).unwrap();
    std::fs::write(broken.join("affinity.bin"), &bytes[..bytes.len() / 2]).unwrap();
    let (st, r) = srv.admin(json!({"model": s(&broken)}));
    assert_eq!((st, r["field"].as_str()), (422, Some("model")), "{r}");
    assert!(r["error"].as_str().unwrap().contains("affinity.bin"), "{r}");
    assert_eq!(srv.model_id(), second);
    let (st, r) = srv.admin(json!({"model": "/no/such/dir"}));
    assert_eq!(st, 422, "{r}");
    assert_eq!(srv.post("/v1/recommend", json!({"brand_id": "b000001"})).0, 200);

    // SIGHUP re-reads the serving directory.
    srv.signal("HUP");
    let t0 = Instant::now();
    while !srv.get("/metrics").1.contains("kolrec_model_reloads_total{outcome=\"ok\"} 3") {
        assert!(t0.elapsed() < Duration::from_secs(30), "SIGHUP did not reload:\n{}", srv.get("/metrics").1);
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(srv.model_id(), second);
    assert!(srv.get("/metrics").1.contains("kolrec_model_reloads_total{outcome=\"failed\"} 2"));
}

#[test]
fn sigterm_turns_readiness_off_then_exits_zero() {
    let (_, model) = served_market();
    let mut srv = Server::start(&["--model", s(model), "--drain-ms", "1500"]);
    srv.signal("TERM");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(srv.get("/readyz").0, 503, "draining");
    assert_eq!(srv.get("/livez").0, 200);
    assert_eq!(
        srv.post("/v1/recommend", json!({"brand_id": "b000001", "k": 3})).0,
        200,
        "still answering while draining"
    );
    assert_eq!(srv.wait_exit(Duration::from_secs(30)), Some(0));
}

#[test]
fn bad_serving_parameters_are_refused_naming_the_flag() {
    let (_, model) = served_market();
    for (args, want) in [
        (vec!["--addr", "localhost"], "is not a socket address"),
        (vec!["--max-in-flight", "0"], "--max-in-flight must be between 1"),
        (vec!["--timeout-ms", "0"], "--timeout-ms must be between 1"),
        (vec!["--max-body", "12 parsecs"], "unknown unit"),
        (vec!["--candidates", "0"], "--candidates must be between 1"),
    ] {
        let mut a = vec!["serve", "--model", s(model)];
        a.extend(args.iter());
        let o = kolrec(&a);
        assert_eq!(o.status.code(), Some(2), "{a:?}");
        assert!(stderr(&o).contains(want), "{a:?}: {}", stderr(&o));
    }
    let o = kolrec(&["serve", "--model", "/no/such/model"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/no/such/model"), "{}", stderr(&o));
}

/// Tests that need a slow request or a slow load: the `failpoints` feature (CI runs them).
#[cfg(feature = "failpoints")]
mod slow {
    use super::*;

    #[test]
    fn overload_is_503_with_retry_after_and_health_answers_under_load() {
        let (_, model) = served_market();
        let srv = Server::start_with(
            &["--model", s(model), "--max-in-flight", "2", "--timeout-ms", "5000"],
            &[("KOLREC_FAILPOINT", "serve-slow-request=1500")],
            true,
        );
        std::thread::scope(|sc| {
            let busy: Vec<_> = (0..2)
                .map(|_| sc.spawn(|| srv.post("/v1/recommend", json!({"brand_id": "b000001", "k": 3})).0))
                .collect();
            std::thread::sleep(Duration::from_millis(400));
            let (st, retry, b) = srv.post_raw("/v1/recommend", r#"{"brand_id": "b000001"}"#, None);
            assert_eq!((st, retry.as_deref()), (503, Some("1")), "{b}");
            assert!(b.contains("overloaded"), "{b}");
            let t0 = Instant::now();
            assert_eq!(srv.get("/livez").0, 200);
            assert_eq!(srv.get("/readyz").0, 200);
            // The two busy requests and this scrape itself.
            let m = srv.get("/metrics").1;
            assert!(m.contains("kolrec_http_requests_in_flight 3"), "{m}");
            assert!(t0.elapsed() < Duration::from_millis(500), "health answered in {:?}", t0.elapsed());
            for b in busy {
                assert_eq!(b.join().unwrap(), 200);
            }
        });
    }

    #[test]
    fn a_request_over_its_budget_is_504() {
        let (_, model) = served_market();
        let srv = Server::start_with(
            &["--model", s(model), "--timeout-ms", "200"],
            &[("KOLREC_FAILPOINT", "serve-slow-request=1000")],
            true,
        );
        let (st, v) = srv.post("/v1/recommend", json!({"brand_id": "b000001"}));
        assert_eq!(st, 504, "{v}");
        assert!(v["error"].as_str().unwrap().contains("200 ms"), "{v}");
    }

    #[test]
    fn a_second_reload_while_one_runs_is_409() {
        let (_, model) = served_market();
        let srv = Server::start_with(
            &["--model", s(model), "--admin-token-file", s(&token_file())],
            &[("KOLREC_FAILPOINT", "serve-slow-load=4000")],
            false,
        );
        // Listening at once, ready only when the (slow) first load is done.
        assert_eq!(srv.get("/livez").0, 200);
        assert_eq!(srv.get("/readyz").0, 503);
        assert_eq!(error_of(srv.post("/v1/recommend", json!({"brand_id": "b000001"}))).0, 503);
        srv.wait_ready();
        std::thread::scope(|sc| {
            let first = sc.spawn(|| srv.admin(json!({})).0);
            std::thread::sleep(Duration::from_millis(300));
            let (st, v) = srv.admin(json!({}));
            assert_eq!(st, 409, "{v}");
            // Serving goes on during the reload.
            assert_eq!(srv.post("/v1/recommend", json!({"brand_id": "b000001", "k": 2})).0, 200);
            assert_eq!(first.join().unwrap(), 200);
        });
    }

    #[test]
    fn sigterm_lets_a_request_in_flight_finish() {
        let (_, model) = served_market();
        let mut srv = Server::start_with(
            &["--model", s(model), "--drain-ms", "0", "--timeout-ms", "5000"],
            &[("KOLREC_FAILPOINT", "serve-slow-request=1500")],
            true,
        );
        let status = std::thread::scope(|sc| {
            let slow = sc.spawn(|| srv.post("/v1/recommend", json!({"brand_id": "b000001", "k": 3})));
            std::thread::sleep(Duration::from_millis(400));
            srv.signal("TERM");
            slow.join().unwrap()
        });
        assert_eq!(status.0, 200, "{}", status.1);
        assert_eq!(srv.wait_exit(Duration::from_secs(30)), Some(0));
    }
}

/// Replicas scale reads: `kolrec serve` holds no state beyond its read-only model directory, so two
/// processes over one directory answer byte for byte alike, and reloading them one at a time (a
/// rolling deploy behind a load balancer) never leaves both without a ready model.
#[test]
fn two_replicas_answer_identically_and_a_rolling_reload_always_keeps_one_ready() {
    let (data, model) = served_market();
    let other = second_model();
    let token = token_file();
    let args = ["--model", s(model), "--data", s(data), "--admin-token-file", s(&token)];
    let replicas = [Server::start(&args), Server::start(&args)];
    let brief =
        json!({"category": "beauty", "country": "CN", "female_share": 0.7, "ages": [0.05, 0.4, 0.35, 0.15, 0.05]});
    let queries = [
        ("/v1/recommend", json!({"brand_id": "b000001", "k": 10})),
        (
            "/v1/recommend",
            json!({"brand_id": "b000007", "k": 5, "filters": {"platform": ["douyin"], "exclude_worked": true}}),
        ),
        ("/v1/recommend", json!({"brief": brief, "k": 8})),
        ("/v1/recommend/batch", json!({"queries": [{"brand_id": "b000003"}, {"brand_id": "nobody"}]})),
    ];
    let answers = |srv: &Server| -> Vec<(u16, String)> {
        let mut out: Vec<(u16, String)> = queries
            .iter()
            .map(|(p, q)| {
                let (st, _, b) = srv.post_raw(p, &q.to_string(), None);
                (st, b)
            })
            .collect();
        let first: Value = serde_json::from_str(&out[0].1).unwrap();
        let creator = first["results"][0]["influencer_id"].as_str().unwrap().to_string();
        let (st, _, b) = srv.post_raw("/v1/similar", &json!({"influencer_id": creator, "k": 6}).to_string(), None);
        out.push((st, b));
        out
    };
    let before = answers(&replicas[0]);
    assert!(before.iter().take(4).all(|a| a.0 == 200), "{before:?}");
    assert_eq!(before, answers(&replicas[1]), "two replicas of one model directory answer differently");

    // Rolling reload to another model while a prober watches both replicas' readiness.
    let stop = std::sync::atomic::AtomicBool::new(false);
    let samples = std::thread::scope(|sc| {
        let prober = sc.spawn(|| {
            let mut samples = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                samples.push([replicas[0].get("/readyz").0 == 200, replicas[1].get("/readyz").0 == 200]);
                std::thread::sleep(Duration::from_millis(5));
            }
            samples
        });
        for r in &replicas {
            std::thread::sleep(Duration::from_millis(200));
            let (st, v) = r.admin(json!({"model": s(other)}));
            assert_eq!(st, 200, "{v}");
        }
        std::thread::sleep(Duration::from_millis(200));
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        prober.join().unwrap()
    });
    assert!(samples.len() > 20, "the prober sampled {} times", samples.len());
    assert!(samples.iter().all(|s| s[0] || s[1]), "both replicas were unready at once");
    let after = answers(&replicas[0]);
    assert_eq!(after, answers(&replicas[1]), "after the rolling reload the replicas differ");
    assert_ne!(after, before, "the reload to another model changed nothing");
}
