//! The routes: each handler parses its body, then hands one engine call to [`compute`], which
//! runs it on the blocking pool under an in-flight slot and the time budget.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rayon::prelude::*;
use serde_json::{Value, json};

use super::api::{self, ApiError, Body, GrowthOut, ScoredOut};
use super::state::{AppState, Serving};

type St = State<Arc<AppState>>;
type Answer = Result<Response, ApiError>;

/// An answer with the ID of the model that gave it first (serialised straight from the typed
/// answer, so an `f32` prints as the `f32` it is).
#[derive(serde::Serialize)]
struct Served<T: serde::Serialize> {
    model_id: String,
    #[serde(flatten)]
    body: T,
}

fn served<T: serde::Serialize>(s: &Serving, body: T) -> Served<T> {
    Served { model_id: s.engine.model_id().to_string(), body }
}

fn ok<T: serde::Serialize>(body: T) -> Response {
    axum::Json(body).into_response()
}

/// One answer of a batch: the answer, or the error with its status.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum BatchItem {
    Answered(Served<crate::pipeline::Answer>),
    Failed {
        error: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        field: Option<String>,
        status: u16,
    },
}

pub fn router(state: Arc<AppState>) -> Router {
    let max_body = state.config.max_body;
    Router::new()
        .route("/livez", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(|| async { axum::Json(super::openapi::spec()) }))
        .route("/v1/model", get(model))
        .route("/v1/recommend", post(recommend))
        .route("/v1/recommend/batch", post(recommend_batch))
        .route("/v1/similar", post(similar))
        .route("/v1/score", post(score))
        .route("/v1/growth", post(growth))
        .route("/admin/reload", post(reload))
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "no such route; GET /openapi.json lists them", None)
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "this route does not take that method", None)
        })
        .layer(middleware::from_fn_with_state(state.clone(), measured))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state)
}

/// Count and time every request by its route pattern.
async fn measured(State(st): St, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |m| m.as_str()).to_string();
    let t0 = Instant::now();
    st.metrics.started();
    let r = next.run(req).await;
    st.metrics.finished(&route, r.status().as_u16(), t0.elapsed());
    r
}

/// Run `f` on the serving model, off the reactor: 503 (with `Retry-After`) when every slot is
/// busy or no model is loaded, 504 past the time budget. The slot is held until `f` returns,
/// even after a 504, so a slow search still counts against the bound.
async fn compute<T: Send + 'static>(
    st: &AppState,
    f: impl FnOnce(&Serving) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let serving = st.serving().ok_or_else(|| ApiError::unavailable("no model is loaded yet"))?;
    let slot =
        st.slots.clone().try_acquire_owned().map_err(|_| {
            ApiError::unavailable(format!("overloaded: {} requests in flight", st.config.max_in_flight))
        })?;
    let task = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        super::failpoint_sleep("serve-slow-request");
        f(&serving)
    });
    match tokio::time::timeout(st.config.timeout, task).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("internal error: {e}"), None)),
        Err(_) => Err(ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            format!("not answered within the time budget of {} ms", st.config.timeout.as_millis()),
            None,
        )),
    }
}

async fn readyz(State(st): St) -> Response {
    if st.ready() {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n").into_response()
    }
}

async fn metrics(State(st): St) -> Response {
    let ct = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    ([(header::CONTENT_TYPE, ct)], st.metrics.encode()).into_response()
}

async fn model(State(st): St) -> Answer {
    let s = st.serving().ok_or_else(|| ApiError::unavailable("no model is loaded yet"))?;
    let e = &s.engine;
    let m = e.manifest();
    Ok(ok(json!({
        "model_id": e.model_id(),
        "model_dir": st.model_dir().display().to_string(),
        "ranker": e.ranker_name(),
        "ranker_id": e.ranker_id(),
        "candidates": e.candidates(1),
        "index": e.index().is_some(),
        "growth": s.growth.as_ref().map(|g| json!({"as_of": g.as_of, "scored": g.scored.len()})),
        "brands": e.model().brand_ids.len(),
        "influencers": e.model().influencer_ids.len(),
        "loaded_at": crate::parse::format_timestamp(s.loaded_at),
        "load_seconds": s.load_seconds,
        "kolrec_version": m.map(|m| m.kolrec_version.clone()),
        "trained_at": m.and_then(|m| m.trained_at.clone()),
        "manifest": m,
    })))
}

/// One recommendation query, answered on the serving model.
fn answer(s: &Serving, q: &api::RecommendRequest) -> Result<Served<crate::pipeline::Answer>, ApiError> {
    let who = api::who(&q.brand_id, &q.brief)?;
    api::check_k("k", q.k)?;
    Ok(served(s, s.engine.recommend(&who, q.k, &q.filters)?))
}

async fn recommend(State(st): St, Body(body): Body) -> Answer {
    let q: api::RecommendRequest = api::parse(&body)?;
    compute(&st, move |s| answer(s, &q).map(ok)).await
}

async fn recommend_batch(State(st): St, Body(body): Body) -> Answer {
    let b: api::BatchRequest = api::parse(&body)?;
    if b.queries.is_empty() || b.queries.len() > super::MAX_BATCH {
        let n = b.queries.len();
        return Err(ApiError::unprocessable(
            "queries",
            format!("queries must hold 1 to {} queries, got {n}", super::MAX_BATCH),
        ));
    }
    compute(&st, move |s| {
        let answers: Vec<BatchItem> = b
            .queries
            .par_iter()
            .map(|q| match answer(s, q) {
                Ok(a) => BatchItem::Answered(a),
                Err(e) => BatchItem::Failed { error: e.error, field: e.field, status: e.status.as_u16() },
            })
            .collect();
        Ok(ok(served(s, json_map("answers", answers))))
    })
    .await
}

/// `{"NAME": value}` as a serialisable map of one entry.
fn json_map<T: serde::Serialize>(name: &'static str, value: T) -> std::collections::BTreeMap<&'static str, T> {
    std::collections::BTreeMap::from([(name, value)])
}

async fn similar(State(st): St, Body(body): Body) -> Answer {
    let q: api::SimilarRequest = api::parse(&body)?;
    compute(&st, move |s| {
        api::check_k("k", q.k)?;
        Ok(ok(served(s, s.engine.similar(&q.influencer_id, q.k, &q.filters)?)))
    })
    .await
}

async fn score(State(st): St, Body(body): Body) -> Answer {
    let q: api::ScoreRequest = api::parse(&body)?;
    let who = api::who(&q.brand_id, &q.brief)?;
    let frame = api::rows_frame(&q.influencers)?;
    compute(&st, move |s| {
        let parsed = crate::score::from_frame(frame);
        let ids = parsed.influencers.id.iter().map(String::as_str);
        let growth = s.growth.as_ref().map(|g| g.by_id(ids));
        let rows = s.engine.score(&who, &parsed.influencers, growth.as_ref())?;
        let input_id = |r: usize| q.influencers[r].get("influencer_id").and_then(Value::as_str).map(String::from);
        let mut out: Vec<ScoredOut> = (0..q.influencers.len())
            .map(|r| ScoredOut {
                row: r,
                influencer_id: input_id(r),
                known_to_model: None,
                score: None,
                rank: None,
                predicted_ctr: None,
                predicted_cpm: None,
                value_for_money: None,
                growth_probability: None,
                suspicious_growth: None,
                reason: None,
                status: parsed.rejected.get(&r).cloned().unwrap_or_else(|| "not scored".into()),
            })
            .collect();
        for (k, row) in rows.into_iter().enumerate() {
            let o = &mut out[parsed.source_row[k]];
            o.influencer_id = Some(row.influencer_id);
            o.known_to_model = Some(row.known);
            o.score = Some(row.score);
            o.rank = Some(row.rank);
            o.predicted_ctr = row.predicted_ctr;
            o.predicted_cpm = Some(row.predicted_cpm);
            o.value_for_money = Some(row.value_for_money);
            o.growth_probability = row.growth_probability;
            o.suspicious_growth = row.suspicious_growth;
            o.reason = Some(row.reason);
            o.status = row.status;
        }
        Ok(ok(served(s, json_map("results", out))))
    })
    .await
}

async fn growth(State(st): St, Body(body): Body) -> Answer {
    let q: api::GrowthRequest = api::parse(&body)?;
    if q.influencer_ids.is_empty() {
        return Err(ApiError::unprocessable("influencer_ids", "influencer_ids is empty: give at least one"));
    }
    if st.data().is_none() {
        return Err(ApiError::unavailable("this server has no follower snapshots: start it with --data DIR"));
    }
    compute(&st, move |s| {
        let g = s.growth.as_ref().ok_or_else(|| ApiError::unavailable("the serving model has no growth model"))?;
        let results: Vec<GrowthOut> = q
            .influencer_ids
            .iter()
            .map(|id| match g.scored.get(id) {
                Some(r) => GrowthOut {
                    influencer_id: id.clone(),
                    probability: Some(r.probability),
                    expected_growth: Some(r.expected_growth.exp_m1()),
                    suspicious_growth: Some(r.suspicious_growth),
                    reason: Some(r.reason.clone()),
                    status: "scored".into(),
                },
                None => GrowthOut {
                    influencer_id: id.clone(),
                    probability: None,
                    expected_growth: None,
                    suspicious_growth: None,
                    reason: None,
                    status: format!("not scored: {}", g.unscored.get(id).map_or("not in the data", String::as_str)),
                },
            })
            .collect();
        #[derive(serde::Serialize)]
        struct Growth<'a> {
            as_of: &'a str,
            results: Vec<GrowthOut>,
        }
        Ok(ok(served(s, Growth { as_of: &g.as_of, results })))
    })
    .await
}

/// The bearer token, compared in constant time; without a configured token admin is disabled.
fn authorize(st: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(want) = st.config.admin_token.as_deref() else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "admin routes are disabled: start the server with --admin-token-file (SIGHUP still reloads)",
            None,
        ));
    };
    let given =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let Some(given) = given else {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "admin routes need Authorization: Bearer <token>", None));
    };
    let same = given.len() == want.len() && given.bytes().zip(want.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    if same { Ok(()) } else { Err(ApiError::new(StatusCode::FORBIDDEN, "the admin token is wrong", None)) }
}

async fn reload(State(st): St, headers: HeaderMap, Body(body): Body) -> Answer {
    authorize(&st, &headers)?;
    let q: api::ReloadRequest =
        if body.iter().all(u8::is_ascii_whitespace) { Default::default() } else { api::parse(&body)? };
    match st.try_reload(q.model, "admin").await {
        Ok(r) => Ok(ok(r)),
        Err(None) => Err(ApiError::new(StatusCode::CONFLICT, "a reload is already running", None)),
        Err(Some(e)) => Err(ApiError::unprocessable(
            "model",
            format!("the new model was refused and the old one keeps serving: {e:#}"),
        )),
    }
}
