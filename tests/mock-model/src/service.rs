//! Request handling: record the request, route by method and path, take the next scripted turn and answer
//! it in the request's dialect (or with the turn's status fault, or an OpenAI-style error).
//!
//! Deliberately strict: only the exact `/v1/...` paths exist, bodies must be JSON, streaming endpoints
//! require `"stream": true`, so a client's URL joining or request building mistakes fail loudly.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Value};

use crate::record::RecordedRequest;
use crate::render::{chat, responses, RenderContext, CREATED_AT};
use crate::script::Turn;
use crate::server::{NextTurn, State};
use crate::wire;

pub(crate) type Body = BoxBody<Bytes, std::io::Error>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Responses,
    Chat,
    Compact,
}

pub(crate) async fn handle(state: Arc<State>, connection_id: usize, request: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let (parts, body) = request.into_parts();
    let received = Instant::now();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => {
            tracing::debug!(%error, "mock-model could not read a request body");
            return Ok(error_response(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "unreadable_body",
                "could not read the request body",
            ));
        }
    };
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    let request = RecordedRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers,
        body,
        connection_id,
        received,
    };
    state.record(request.clone());
    Ok(route(&state, &request).await)
}

async fn route(state: &State, request: &RecordedRequest) -> Response<Body> {
    let endpoint = match (request.method.as_str(), request.path.as_str()) {
        ("GET", "/v1/models") => return json_response(StatusCode::OK, &models()),
        ("POST", "/v1/responses") => Endpoint::Responses,
        ("POST", "/v1/chat/completions") => Endpoint::Chat,
        ("POST", "/v1/responses/compact") => Endpoint::Compact,
        (method, path) => {
            let message = format!("mock-model has no route {method} {path}");
            return error_response(StatusCode::NOT_FOUND, "invalid_request_error", "unknown_url", &message);
        }
    };
    let body: Value = match serde_json::from_slice(&request.body) {
        Ok(body) => body,
        Err(error) => {
            let message = format!("the request body is not valid JSON: {error}");
            return error_response(StatusCode::BAD_REQUEST, "invalid_request_error", "invalid_json", &message);
        }
    };
    if endpoint != Endpoint::Compact && body["stream"] != json!(true) {
        let message = "mock-model only serves streaming requests: set \"stream\": true";
        return error_response(StatusCode::BAD_REQUEST, "invalid_request_error", "stream_required", message);
    }
    let Some(NextTurn { turn, serial, repetition }) = state.next_turn() else {
        let message = format!("mock script exhausted: no turn left for {} {}", request.method, request.path);
        return error_response(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "mock_script_exhausted", &message);
    };
    if let Some(ms) = turn.faults.latency_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let model = body["model"].as_str().unwrap_or("mock-model").to_owned();
    let ctx = RenderContext { serial, repetition, model };
    let mut response = answer(&turn, &ctx, endpoint, &body);
    let headers = response.headers_mut();
    insert_header(headers, "x-request-id", &format!("req_mock_{serial}"));
    for (name, value) in &turn.response_headers {
        insert_header(headers, name, value);
    }
    response
}

fn answer(turn: &Turn, ctx: &RenderContext, endpoint: Endpoint, body: &Value) -> Response<Body> {
    if let Some(status) = &turn.faults.status {
        let code = StatusCode::from_u16(status.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = match &status.body {
            Some(Value::String(text)) => text_response(code, text),
            Some(body) => json_response(code, body),
            None => {
                let message = format!("mock-model status fault {}", status.code);
                error_response(code, "server_error", "mock_status_fault", &message)
            }
        };
        if let Some(retry_after) = &status.retry_after {
            insert_header(response.headers_mut(), RETRY_AFTER.as_str(), retry_after);
        }
        return response;
    }
    let pieces = match (&turn.raw_sse, endpoint) {
        (Some(raw), _) => wire::raw_pieces(raw, &turn.faults),
        (None, Endpoint::Compact) => return json_response(StatusCode::OK, &responses::compact_body(turn, ctx)),
        (None, Endpoint::Responses) => wire::pieces(&responses::render(turn, ctx), &turn.faults),
        (None, Endpoint::Chat) => {
            let include_usage = body["stream_options"]["include_usage"] == json!(true);
            wire::pieces(&chat::render(turn, ctx, include_usage), &turn.faults)
        }
    };
    let mut response = Response::new(StreamBody::new(wire::body_stream(pieces)).boxed());
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn models() -> Value {
    let model = |id: &str| json!({ "id": id, "object": "model", "created": CREATED_AT, "owned_by": "mock-model" });
    json!({ "object": "list", "data": [model("mock-model"), model("gpt-5.1-codex"), model("gpt-4.1-mini")] })
}

fn insert_header(headers: &mut hyper::HeaderMap, name: &str, value: &str) {
    match (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
        (Ok(name), Ok(value)) => {
            headers.insert(name, value);
        }
        _ => tracing::warn!(name, value, "mock-model skips an invalid scripted header"),
    }
}

/// An OpenAI-style error: `{"error": {"message", "type", "param", "code"}}`.
fn error_response(status: StatusCode, kind: &str, code: &str, message: &str) -> Response<Body> {
    json_response(status, &json!({ "error": { "message": message, "type": kind, "param": null, "code": code } }))
}

fn json_response(status: StatusCode, body: &Value) -> Response<Body> {
    let mut response = full(status, Bytes::from(body.to_string()));
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn text_response(status: StatusCode, text: &str) -> Response<Body> {
    let mut response = full(status, Bytes::from(text.to_owned()));
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

fn full(status: StatusCode, bytes: Bytes) -> Response<Body> {
    let mut response = Response::new(Full::new(bytes).map_err(|never| match never {}).boxed());
    *response.status_mut() = status;
    response
}
