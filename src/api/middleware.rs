//! Per-request plumbing: a request id (made here; the caller's `X-Request-Id` is kept beside it), a tracing span carrying it,
//! an access log line, and the Prometheus request metrics.

use super::AppState;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};
use std::time::Instant;
use tracing::Instrument;

pub const REQUEST_ID: &str = "x-request-id";
/// The caller's own request id, echoed back beside the hub's.
pub const CLIENT_REQUEST_ID: &str = "x-client-request-id";

/// The request's id, made by the hub for every request (the access log records it), and the caller's
/// own `X-Request-Id` if it sent a well-formed one (recorded beside it, never instead: a caller could
/// choose or repeat its own).
#[derive(Debug, Clone)]
pub struct RequestId(pub String, pub Option<String>);

/// The hub's Prometheus metrics.
#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
}

impl Metrics {
    pub fn new() -> Self {
        let registry =
            Registry::new_custom(Some("credithub".into()), None).expect("static prefix is valid");
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests by route and status"),
            &["method", "route", "status"],
        )
        .expect("static metric definition");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by route",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["method", "route"],
        )
        .expect("static metric definition");
        registry
            .register(Box::new(requests.clone()))
            .expect("registered once");
        registry
            .register(Box::new(latency.clone()))
            .expect("registered once");
        Metrics {
            registry,
            requests,
            latency,
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn valid_request_id(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 128
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let client_id: Option<String> = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| valid_request_id(v))
        .map(str::to_string);
    let request_id = uuid::Uuid::now_v7().to_string();
    let method = req.method().to_string();
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.metrics.clone());
    let span = tracing::info_span!("request", request_id = %request_id, client_request_id = client_id.as_deref().unwrap_or(""), method = %method, path = %req.path());
    let started = Instant::now();
    {
        use actix_web::HttpMessage;
        req.extensions_mut()
            .insert(RequestId(request_id.clone(), client_id.clone()));
    }
    let mut res = next.call(req).instrument(span.clone()).await?;
    let elapsed = started.elapsed();
    // After routing the matched route's pattern is a lookup; before it, another walk of every route.
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".into());
    let status = res.status().as_u16();
    if let Some(m) = metrics {
        m.requests
            .with_label_values(&[&method, &route, &status.to_string()])
            .inc();
        m.latency
            .with_label_values(&[&method, &route])
            .observe(elapsed.as_secs_f64());
    }
    span.in_scope(|| {
        tracing::info!(status, route = %route, micros = elapsed.as_micros() as u64, "request done");
    });
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID), v);
    }
    if let Some(v) = client_id.and_then(|c| HeaderValue::from_str(&c).ok()) {
        res.headers_mut()
            .insert(HeaderName::from_static(CLIENT_REQUEST_ID), v);
    }
    // The API's own answers end with a newline where they are made (`error::json_line`); the bodies of
    // the other routes (the OpenAPI document, the docs page) get theirs here.
    if res.request().path().starts_with("/v1/") {
        return Ok(res.map_into_left_body());
    }
    Ok(res.map_body(|head, body| {
        if !is_json(head.headers.get(actix_web::http::header::CONTENT_TYPE)) {
            return EitherBody::left(body);
        }
        match body.try_into_bytes() {
            Ok(bytes) => EitherBody::right(ending_in_newline(bytes)),
            Err(body) => EitherBody::left(body),
        }
    }))
}

/// `application/json` or a `+json` type (problem+json).
fn is_json(content_type: Option<&HeaderValue>) -> bool {
    content_type
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim)
        .is_some_and(|t| t == "application/json" || t.ends_with("+json"))
}

/// A JSON body ends with one newline, so answers shown in a terminal do not run together.
fn ending_in_newline(bytes: actix_web::web::Bytes) -> actix_web::web::Bytes {
    if bytes.is_empty() || bytes.ends_with(b"\n") {
        return bytes;
    }
    // A body the response owns alone gives its buffer back without a copy.
    let mut out = Vec::from(bytes);
    out.push(b'\n');
    out.into()
}
