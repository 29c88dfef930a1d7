//! The JSON contract of the HTTP API: request bodies (strict: unknown fields are errors), the
//! answers, and [`ApiError`], which every failure becomes — a status and
//! `{"error": "...", "field": "..."}` naming what is wrong.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::engine::EngineError;
use crate::pipeline::{Brief, FilterSpec, ProblemKind, QueryError, Who};

/// A failed request: its status, what is wrong and the request field at fault.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub error: String,
    pub field: Option<String>,
    /// Seconds a client should wait before retrying (503).
    pub retry_after: Option<u32>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    pub fn new(status: StatusCode, error: impl Into<String>, field: Option<&str>) -> ApiError {
        ApiError { status, error: error.into(), field: field.map(String::from), retry_after: None }
    }

    pub fn unprocessable(field: &str, error: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, error, Some(field))
    }

    pub fn unavailable(error: impl Into<String>) -> ApiError {
        ApiError { retry_after: Some(1), ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, error, None) }
    }

    /// The body as the client sees it (also used for per-query errors of a batch).
    pub fn body(&self) -> serde_json::Value {
        serde_json::to_value(ErrorBody { error: &self.error, field: self.field.as_deref() }).expect("an error body")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, axum::Json(self.body())).into_response();
        if let Some(s) = self.retry_after {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        r
    }
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> ApiError {
        // An ID the model does not know is a missing resource; anything else is a bad value.
        let status = match e.kind {
            ProblemKind::Unknown if matches!(e.field, "brand_id" | "influencer_id") => StatusCode::NOT_FOUND,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError::new(status, e.to_string(), Some(e.field))
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> ApiError {
        match e {
            EngineError::Query(q) => q.into(),
            EngineError::NoGrowth | EngineError::NoSnapshots => ApiError::unavailable(e.to_string()),
            e => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None),
        }
    }
}

/// A request body as bytes, its failures (over `--max-body`: 413) as [`ApiError`]s like any other.
pub struct Body(pub axum::body::Bytes);

impl<S: Send + Sync> axum::extract::FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Body, ApiError> {
        match axum::body::Bytes::from_request(req, state).await {
            Ok(b) => Ok(Body(b)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the request body is over the server's limit (--max-body)",
                None,
            )),
            Err(e) => Err(ApiError::new(e.status(), format!("cannot read the request body: {}", e.body_text()), None)),
        }
    }
}

/// Parse a JSON body into `T`, naming the field of a type error or unknown field by its path
/// (`queries[2].filters.max_price`). Malformed JSON is 400, a wrong shape 422.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "the request needs a JSON body", None));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        json_error(e.into_inner(), &path)
    })?;
    de.end().map_err(|e| json_error(e, "."))?;
    Ok(parsed)
}

fn json_error(inner: serde_json::Error, path: &str) -> ApiError {
    let syntax = matches!(inner.classify(), serde_json::error::Category::Syntax | serde_json::error::Category::Eof);
    if syntax {
        return ApiError::new(StatusCode::BAD_REQUEST, format!("malformed JSON: {inner}"), None);
    }
    // The path names the field itself, an unknown one included (`filters.platfrom`); a missing
    // one is named only in the message, under its parent's path.
    let at = |f: &str| if path == "." || path.is_empty() { f.to_string() } else { format!("{path}.{f}") };
    let field = match missing_field(&inner.to_string()) {
        Some(f) => Some(at(&f)),
        None => (path != "." && !path.is_empty()).then(|| path.to_string()),
    };
    let what = field.as_deref().unwrap_or("the body");
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("{what}: {inner}"), field.as_deref())
}

/// The name in serde's "missing field `x`".
fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest[..rest.find('`')?].to_string())
}

fn default_k() -> usize {
    20
}

/// Who a query is for: exactly one of a trained brand's ID or a brief.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecommendRequest {
    #[serde(default)]
    pub brand_id: Option<String>,
    #[serde(default)]
    pub brief: Option<Brief>,
    #[serde(default = "default_k")]
    pub k: usize,
    #[serde(default)]
    pub filters: FilterSpec,
}

pub fn who(brand_id: &Option<String>, brief: &Option<Brief>) -> Result<Who, ApiError> {
    match (brand_id, brief) {
        (Some(b), None) => Ok(Who::Brand(b.clone())),
        (None, Some(b)) => Ok(Who::Brief(b.clone())),
        (Some(_), Some(_)) => {
            Err(ApiError::unprocessable("brand_id", "brand_id and brief exclude each other: give one"))
        }
        (None, None) => {
            Err(ApiError::unprocessable("brand_id", "brand_id (a trained brand) or brief (a new one) is required"))
        }
    }
}

/// `k` within the server's cap (the engine checks its own wider one too).
pub fn check_k(field: &str, k: usize) -> Result<(), ApiError> {
    if (1..=super::MAX_K).contains(&k) {
        Ok(())
    } else {
        Err(ApiError::unprocessable(field, format!("{field} must be between 1 and {}, got {k}", super::MAX_K)))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    pub queries: Vec<RecommendRequest>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimilarRequest {
    pub influencer_id: String,
    #[serde(default = "default_k")]
    pub k: usize,
    #[serde(default)]
    pub filters: FilterSpec,
}

/// A list of creators to score, each row an object with the contract's influencer columns
/// (numbers may be JSON numbers or text such as "12.3万").
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreRequest {
    #[serde(default)]
    pub brand_id: Option<String>,
    #[serde(default)]
    pub brief: Option<Brief>,
    pub influencers: Vec<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrowthRequest {
    pub influencer_ids: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReloadRequest {
    /// Another model directory to serve from now on (default: the current one, re-read).
    #[serde(default)]
    pub model: Option<std::path::PathBuf>,
}

/// One row of a scored list, in input order.
#[derive(Debug, Serialize)]
pub struct ScoredOut {
    pub row: usize,
    pub influencer_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known_to_model: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicted_ctr: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicted_cpm: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_for_money: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub growth_probability: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspicious_growth: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub status: String,
}

/// One creator's growth score, or why it has none.
#[derive(Debug, Serialize)]
pub struct GrowthOut {
    pub influencer_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probability: Option<f32>,
    /// Expected growth of followers over the horizon, as a share (0.12 = +12%).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_growth: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspicious_growth: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub status: String,
}

/// The rows of a scoring request as a table of text columns (the same parser as a CSV list), or
/// the first cell that is neither text, a number, a boolean nor null.
pub fn rows_frame(rows: &[serde_json::Map<String, serde_json::Value>]) -> Result<polars::prelude::DataFrame, ApiError> {
    use polars::prelude::{Column, DataFrame};
    use serde_json::Value;
    if rows.is_empty() {
        return Err(ApiError::unprocessable("influencers", "influencers is empty: give at least one row"));
    }
    let mut names: Vec<&str> = Vec::new();
    for r in rows {
        for k in r.keys() {
            if !names.contains(&k.as_str()) {
                names.push(k);
            }
        }
    }
    let mut columns = Vec::with_capacity(names.len());
    for name in &names {
        let mut cells: Vec<Option<String>> = Vec::with_capacity(rows.len());
        for (i, r) in rows.iter().enumerate() {
            cells.push(match r.get(*name) {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                Some(Value::Bool(b)) => Some(b.to_string()),
                Some(_) => {
                    let field = format!("influencers[{i}].{name}");
                    return Err(ApiError::unprocessable(&field, format!("{field} must be text or a number")));
                }
            });
        }
        columns.push(Column::new((*name).into(), cells));
    }
    DataFrame::new_infer_height(columns).map_err(|e| ApiError::unprocessable("influencers", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_names_the_field_of_a_type_error_and_of_an_unknown_field() {
        let e =
            parse::<BatchRequest>(br#"{"queries": [{"brand_id": "b1"}, {"brand_id": "b2", "k": "ten"}]}"#).unwrap_err();
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.field.as_deref(), Some("queries[1].k"), "{e:?}");
        let e = parse::<RecommendRequest>(br#"{"brand_id": "b1", "filters": {"platfrom": ["douyin"]}}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("filters.platfrom"), "{e:?}");
        assert!(e.error.contains("unknown field"), "{e:?}");
        let e = parse::<RecommendRequest>(br#"{"brand_id": "b1", "kk": 3}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("kk"), "{e:?}");
        let e = parse::<RecommendRequest>(br#"{"brand_id": "b1",}"#).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert!(e.error.starts_with("malformed JSON"), "{e:?}");
        let e = parse::<RecommendRequest>(br#"{"brand_id": "b1"} {"#).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST, "{e:?}");
        let e = parse::<RecommendRequest>(b"  ").unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        let e =
            parse::<BatchRequest>(br#"{"queries": [{"brand_id": "b1", "filters": {"tier": "micro"}}]}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("queries[0].filters.tier"), "{e:?}");
        let e = parse::<SimilarRequest>(br#"{"k": 3}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("influencer_id"), "{e:?}");
        let e = parse::<RecommendRequest>(br#"{"brand_id": "b1", "k": -1}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("k"), "{e:?}");
    }

    #[test]
    fn who_needs_exactly_one_of_brand_and_brief() {
        assert_eq!(who(&Some("b".into()), &None).unwrap(), Who::Brand("b".into()));
        assert_eq!(who(&None, &None).unwrap_err().field.as_deref(), Some("brand_id"));
        assert!(who(&Some("b".into()), &Some(Brief::default())).unwrap_err().error.contains("exclude each other"));
    }

    #[test]
    fn rows_become_text_columns_and_nested_cells_are_named() {
        let rows: Vec<serde_json::Map<String, serde_json::Value>> = serde_json::from_str(
            r#"[{"influencer_id": "i1", "followers": 25000}, {"influencer_id": "i2", "followers": "12.3万", "x": true}]"#,
        )
        .unwrap();
        let df = rows_frame(&rows).unwrap();
        assert_eq!(df.shape(), (2, 3));
        let f = df.column("followers").unwrap().str().unwrap().get(1).unwrap().to_string();
        assert_eq!(f, "12.3万");
        let bad: Vec<serde_json::Map<String, serde_json::Value>> =
            serde_json::from_str(r#"[{"influencer_id": "i1"}, {"followers": [1]}]"#).unwrap();
        assert_eq!(rows_frame(&bad).unwrap_err().field.as_deref(), Some("influencers[1].followers"));
        assert_eq!(rows_frame(&[]).unwrap_err().field.as_deref(), Some("influencers"));
    }
}
