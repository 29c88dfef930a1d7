//! `GET /openapi.json`: the API described in OpenAPI 3.1, kept beside the types it describes
//! (the server's tests check that every route is described here and every path here is routed).

use serde_json::{Value, json};

fn filters() -> Value {
    json!({
        "type": "object", "additionalProperties": false,
        "description": "Every filter of `kolrec recommend`; lists match any of their values.",
        "properties": {
            "platform": {"type": "array", "items": {"type": "string"}, "example": ["douyin"]},
            "category": {"type": "array", "items": {"type": "string"}},
            "country": {"type": "array", "items": {"type": "string"}},
            "tier": {"type": "array", "items": {"enum": ["nano", "micro", "mid", "macro", "mega"]}},
            "min_followers": {"type": "number"},
            "max_followers": {"type": "number", "description": "exclusive"},
            "max_price": {"type": "number", "description": "highest price per post; creators without a price are left out"},
            "min_engagement": {"type": "number", "description": "a share: 0.03 = 3%"},
            "exclude": {"type": "array", "items": {"type": "string"}, "description": "influencer IDs"},
            "exclude_worked": {"type": "boolean", "description": "leave out the brand's past creators"}
        }
    })
}

fn brief() -> Value {
    json!({
        "type": "object", "additionalProperties": false, "required": ["category"],
        "description": "A brand the model has not seen, embedded from its features.",
        "properties": {
            "category": {"type": "string"}, "country": {"type": "string"},
            "female_share": {"type": "number", "minimum": 0, "maximum": 1},
            "ages": {"type": "array", "items": {"type": "number"}, "minItems": 5, "maxItems": 5,
                     "description": "shares of 13-17, 18-24, 25-34, 35-44, 45+ summing to 1"}
        }
    })
}

fn query() -> Value {
    json!({
        "type": "object", "additionalProperties": false,
        "description": "Exactly one of brand_id and brief.",
        "properties": {
            "brand_id": {"type": "string"}, "brief": {"$ref": "#/components/schemas/Brief"},
            "k": {"type": "integer", "minimum": 1, "maximum": super::MAX_K, "default": 20},
            "filters": {"$ref": "#/components/schemas/Filters"}
        }
    })
}

fn answer() -> Value {
    json!({
        "type": "object",
        "properties": {
            "model_id": {"type": "string"}, "query": {"type": "string"},
            "path": {"enum": ["index", "exact", "index_then_exact"]},
            "ranker": {"enum": ["learned", "inner-product", "cosine"]},
            "candidates": {"type": "integer", "description": "creators the filters allowed"},
            "results": {"type": "array", "items": {"type": "object", "properties": {
                "rank": {"type": "integer"}, "influencer_id": {"type": "string"}, "handle": {"type": "string"},
                "platform": {"type": "string"}, "category": {"type": "string"}, "country": {"type": "string"},
                "followers": {"type": "number"}, "tier": {"type": "string"},
                "price_per_post": {"type": ["number", "null"]}, "engagement_rate": {"type": ["number", "null"]},
                "score": {"type": "number"}, "predicted_ctr": {"type": ["number", "null"]},
                "predicted_cpm": {"type": "number"}, "past_campaigns": {"type": "integer"},
                "reason": {"type": "string"}
            }}}
        }
    })
}

fn op(summary: &str, request: Option<Value>, ok: Value, errors: &[u16]) -> Value {
    let mut responses = serde_json::Map::new();
    responses.insert("200".into(), json!({"description": "OK", "content": {"application/json": {"schema": ok}}}));
    for s in errors {
        responses.insert(
            s.to_string(),
            json!({"description": status_text(*s), "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}),
        );
    }
    let mut o = json!({"summary": summary, "responses": responses});
    if let Some(r) = request {
        o["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": r}}});
    }
    o
}

fn status_text(s: u16) -> &'static str {
    match s {
        400 => "malformed JSON",
        401 => "no bearer token",
        403 => "wrong token, or admin disabled",
        404 => "unknown brand or creator",
        409 => "a reload is already running",
        413 => "body over the limit",
        422 => "a field is wrong (named in `field`)",
        503 => "overloaded (Retry-After), no model yet, or no data for growth",
        504 => "over the time budget",
        _ => "error",
    }
}

pub fn spec() -> Value {
    let q = &[400, 404, 413, 422, 503, 504];
    let obj = json!({"type": "object"});
    json!({
        "openapi": "3.1.0",
        "info": {"title": "kolrec", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Influencer recommendations from campaign outcomes. Errors are {\"error\", \"field\"}."},
        "paths": {
            "/livez": {"get": {"summary": "200 while the process runs", "responses": {"200": {"description": "alive"}}}},
            "/readyz": {"get": {"summary": "200 while a model serves and the server is not draining",
                                "responses": {"200": {"description": "ready"}, "503": {"description": "not ready"}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics (OpenMetrics text)", "responses": {"200": {"description": "metrics"}}}},
            "/openapi.json": {"get": {"summary": "this document", "responses": {"200": {"description": "OpenAPI 3.1"}}}},
            "/v1/model": {"get": op("the serving model: model_id (its affinity.bin checksum), trained_at, counts, manifest", None, obj.clone(), &[503])},
            "/v1/recommend": {"post": op("top-k creators for a brand or brief under filters", Some(json!({"$ref": "#/components/schemas/Query"})), json!({"$ref": "#/components/schemas/Answer"}), q)},
            "/v1/recommend/batch": {"post": op(
                "many queries in one call; each answer is an Answer or an Error with its status",
                Some(json!({"type": "object", "additionalProperties": false, "required": ["queries"],
                            "properties": {"queries": {"type": "array", "maxItems": super::MAX_BATCH, "items": {"$ref": "#/components/schemas/Query"}}}})),
                json!({"type": "object", "properties": {"model_id": {"type": "string"}, "answers": {"type": "array"}}}), q)},
            "/v1/similar": {"post": op("lookalikes of a creator",
                Some(json!({"type": "object", "additionalProperties": false, "required": ["influencer_id"], "properties": {
                    "influencer_id": {"type": "string"}, "k": {"type": "integer", "default": 20},
                    "filters": {"$ref": "#/components/schemas/Filters"}}})),
                json!({"$ref": "#/components/schemas/Answer"}), q)},
            "/v1/score": {"post": op("score a list of creators for a brand or brief; every row back in order with its scores or a status",
                Some(json!({"type": "object", "additionalProperties": false, "required": ["influencers"], "properties": {
                    "brand_id": {"type": "string"}, "brief": {"$ref": "#/components/schemas/Brief"},
                    "influencers": {"type": "array", "items": {"type": "object",
                        "description": "the contract's influencer columns: influencer_id, platform, category, followers, handle, country, avg_views, engagement_rate, posts_per_week, sponsored_share, price_per_post; numbers may be text such as \"12.3万\""}}}})),
                obj.clone(), q)},
            "/v1/growth": {"post": op("30-day strong-growth probability, expected growth and the spike flag, from the snapshots of --data",
                Some(json!({"type": "object", "additionalProperties": false, "required": ["influencer_ids"],
                            "properties": {"influencer_ids": {"type": "array", "items": {"type": "string"}}}})),
                obj.clone(), &[400, 413, 422, 503, 504])},
            "/admin/reload": {"post": op("load a model beside the serving one, verify it, then swap it in (bearer token)",
                Some(json!({"type": "object", "additionalProperties": false, "properties": {"model": {"type": "string", "description": "another model directory"}}})),
                json!({"type": "object", "properties": {"previous_model_id": {"type": "string"}, "model_id": {"type": "string"}, "model_dir": {"type": "string"}, "seconds": {"type": "number"}}}),
                &[400, 401, 403, 409, 422])}
        },
        "components": {"schemas": {
            "Filters": filters(), "Brief": brief(), "Query": query(), "Answer": answer(),
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}, "field": {"type": "string"}}}
        }}
    })
}
