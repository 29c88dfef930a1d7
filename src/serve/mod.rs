//! `kolrec serve`: the engine behind HTTP. One long-lived [`state::AppState`] holds the serving
//! model behind an atomic pointer; handlers (`routes`) are short adapters from JSON (`api`) onto
//! engine methods, run off the async reactor under an in-flight bound and a time budget.
//! A reload (`POST /admin/reload` or SIGHUP) loads and verifies the new model beside the old one
//! and only then swaps it in; requests in flight finish on the model they started with.
//!
//! ```text
//! accept → body limit → metrics (route, status, latency) → route
//!   /livez /readyz /metrics /v1/model /openapi.json   answered on the reactor
//!   /v1/recommend[/batch] /v1/similar /v1/score /v1/growth
//!       → slot (503 + Retry-After when all are busy) → blocking pool → engine → 504 past budget
//!   /admin/reload  bearer token → one at a time (409) → load beside → verify → swap
//! ```

pub mod api;
mod metrics;
mod openapi;
mod routes;
pub mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::dataset::Dataset;

/// Largest `k` one online query may ask for (the batch export has no such cap).
pub const MAX_K: usize = 1000;
/// Most queries in one `/v1/recommend/batch` call.
pub const MAX_BATCH: usize = 1000;

/// How to serve, as given.
#[derive(Clone, Debug)]
pub struct ServeParams {
    pub model: PathBuf,
    /// Data whose follower snapshots `/v1/growth` and `/v1/score` read.
    pub data: Option<PathBuf>,
    pub addr: String,
    /// A file holding the bearer token of the admin routes (none: they are disabled).
    pub admin_token_file: Option<PathBuf>,
    pub max_body: usize,
    pub timeout_ms: u64,
    /// Requests computing at once; more get 503 with `Retry-After`.
    pub max_in_flight: usize,
    /// Candidates each online query retrieves for the learned ranker (none: its trained count).
    pub candidates: Option<usize>,
    /// After SIGTERM, how long readiness says 503 while requests are still accepted (so a load
    /// balancer stops routing here) before the listener closes and in-flight requests finish.
    pub drain_ms: u64,
    /// Worker threads of the async reactor (the searches run on a separate blocking pool).
    pub workers: usize,
}

impl Default for ServeParams {
    fn default() -> Self {
        ServeParams {
            model: PathBuf::from("model"),
            data: None,
            addr: "127.0.0.1:8080".into(),
            admin_token_file: None,
            max_body: 1 << 20,
            timeout_ms: 2000,
            max_in_flight: 64,
            candidates: None,
            drain_ms: 1000,
            workers: 2,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("addr '{0}' is not a socket address (e.g. 127.0.0.1:8080)")]
    Addr(String),
    #[error("{field} {problem}")]
    Param { field: &'static str, problem: String },
    #[error("admin_token_file {path}: {problem}")]
    Token { path: PathBuf, problem: String },
    #[error("cannot bind {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("the model at {dir} cannot be served: {source}")]
    Model { dir: PathBuf, source: anyhow::Error },
    #[error("the data at {dir} cannot be read: {source}")]
    Data { dir: PathBuf, source: crate::dataset::DataError },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Checked serving parameters: what [`run`] requires.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    pub model: PathBuf,
    pub data: Option<PathBuf>,
    pub addr: SocketAddr,
    pub admin_token: Option<String>,
    pub max_body: usize,
    pub timeout: Duration,
    pub max_in_flight: usize,
    pub candidates: Option<usize>,
    pub drain: Duration,
    pub workers: usize,
}

impl ServeParams {
    pub fn check(&self) -> Result<ServeConfig, ServeError> {
        let bad = |field, problem: String| Err(ServeError::Param { field, problem });
        let addr: SocketAddr = self.addr.parse().map_err(|_| ServeError::Addr(self.addr.clone()))?;
        if !(1024..=1 << 30).contains(&self.max_body) {
            return bad("max_body", format!("must be between 1 KiB and 1 GiB, got {} bytes", self.max_body));
        }
        if !(1..=600_000).contains(&self.timeout_ms) {
            return bad("timeout_ms", format!("must be between 1 and 600000, got {}", self.timeout_ms));
        }
        if !(1..=10_000).contains(&self.max_in_flight) {
            return bad("max_in_flight", format!("must be between 1 and 10000, got {}", self.max_in_flight));
        }
        if let Some(n) = self.candidates.filter(|n| !(1..=100_000).contains(n)) {
            return bad("candidates", format!("must be between 1 and 100000, got {n}"));
        }
        if self.drain_ms > 600_000 {
            return bad("drain_ms", format!("must be at most 600000, got {}", self.drain_ms));
        }
        if !(1..=256).contains(&self.workers) {
            return bad("workers", format!("must be between 1 and 256, got {}", self.workers));
        }
        let admin_token = self.admin_token_file.as_ref().map(|p| read_token(p)).transpose()?;
        Ok(ServeConfig {
            model: self.model.clone(),
            data: self.data.clone(),
            addr,
            admin_token,
            max_body: self.max_body,
            timeout: Duration::from_millis(self.timeout_ms),
            max_in_flight: self.max_in_flight,
            candidates: self.candidates,
            drain: Duration::from_millis(self.drain_ms),
            workers: self.workers,
        })
    }
}

fn read_token(path: &std::path::Path) -> Result<String, ServeError> {
    let fail = |problem: String| ServeError::Token { path: path.to_path_buf(), problem };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let token = text.trim();
    if token.len() < 16 {
        return Err(fail(format!("the token must be at least 16 characters, found {}", token.len())));
    }
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(fail("the token must be one line without spaces".into()));
    }
    Ok(token.to_string())
}

/// Serve until SIGTERM or SIGINT, then drain and return. `on_listen` is called with the bound
/// address as soon as the socket accepts (before the model is loaded: `/livez` answers, `/readyz`
/// says 503 until it is).
pub fn run(config: ServeConfig, on_listen: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.workers)
        // The searches run here, one per in-flight slot (plus the model loads).
        .max_blocking_threads(config.max_in_flight + 2)
        .thread_name("kolrec-serve")
        .enable_all()
        .build()?;
    rt.block_on(serve(config, on_listen))
}

async fn serve(config: ServeConfig, on_listen: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|source| ServeError::Bind { addr: config.addr, source })?;
    let addr = listener.local_addr()?;
    let state = Arc::new(state::AppState::new(config.clone()));
    let app = routes::router(state.clone());
    // Accept at once (/livez answers, /readyz says 503) while the data and the model load.
    // SIGHUP's default is to end the process: take it over before anything can take time.
    let hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let drain = state.clone();
    let server = tokio::spawn(async move {
        // Answers are small and latency-bound: no Nagle delay on them.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                tokio::select! {
                    _ = shutdown_signal() => {
                        drain.start_draining();
                        eprintln!(
                            "kolrec serve: draining: readiness is 503; closing the listener in {} ms, then finishing the requests in flight",
                            drain.config.drain.as_millis()
                        );
                        tokio::time::sleep(drain.config.drain).await;
                    }
                    _ = stop_rx => {}
                }
            })
            .await
    });
    on_listen(addr);

    let loaded = async {
        if let Some(dir) = config.data.clone() {
            let ds = tokio::task::spawn_blocking(move || load_data(&dir))
                .await
                .map_err(|e| ServeError::Model { dir: config.model.clone(), source: anyhow::anyhow!("{e}") })??;
            state.set_data(Some(Arc::new(ds)));
        }
        state.reload(None, "start").await.map_err(|e| ServeError::Model { dir: config.model.clone(), source: e })
    };
    if let Err(e) = loaded.await {
        let _ = stop_tx.send(());
        let _ = server.await;
        return Err(e);
    }
    tokio::spawn(reload_on_hangup(state.clone(), hangup));
    server.await.map_err(|e| std::io::Error::other(e.to_string()))??;
    eprintln!("kolrec serve: drained, exiting");
    Ok(())
}

fn load_data(dir: &std::path::Path) -> Result<Dataset, ServeError> {
    let (ds, _) = crate::dataset::load(dir, &Default::default())
        .map_err(|source| ServeError::Data { dir: dir.to_path_buf(), source })?;
    Ok(ds)
}

/// Test hook, compiled only with the `failpoints` feature: `KOLREC_FAILPOINT=NAME=MS` makes the
/// point `NAME` sleep `MS` milliseconds (`serve-slow-load`: every model load; `serve-slow-request`:
/// every engine call of a request, on the blocking pool).
#[cfg(feature = "failpoints")]
fn failpoint_sleep(name: &str) {
    let v = std::env::var("KOLREC_FAILPOINT").unwrap_or_default();
    if let Some(ms) = v.strip_prefix(name).and_then(|r| r.strip_prefix('=')).and_then(|ms| ms.parse().ok()) {
        std::thread::sleep(Duration::from_millis(ms));
    }
}

#[cfg(not(feature = "failpoints"))]
#[inline(always)]
fn failpoint_sleep(_name: &str) {}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("a SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("a SIGINT handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

async fn reload_on_hangup(state: Arc<state::AppState>, mut hup: tokio::signal::unix::Signal) {
    while hup.recv().await.is_some() {
        // The outcome is logged and counted by `reload`; a failed one leaves the old model.
        let _ = state.reload(None, "sighup").await;
    }
}
