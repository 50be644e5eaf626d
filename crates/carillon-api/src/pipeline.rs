//! The request pipeline: one function per stage, each failing with an [`ApiError`] that is
//! rendered once, at the end.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use carillon_core::{RequestContext, Scope};
use carillon_model::RouteError;
use carillon_sigv4::SignedRequest;
use tracing::{field, Instrument};

use crate::dispatch::{dispatch, Output};
use crate::error::ApiError;
use crate::ApiState;

/// Sent on every response, success or error (`x-amzn-RequestId`).
pub const REQUEST_ID_HEADER: &str = "x-amzn-requestid";

/// `GET /health`: 200 when the store answers, 503 otherwise. Unauthenticated.
pub async fn health(State(state): State<Arc<ApiState>>) -> Response {
    let (status, body) = match state.shared.service.store().ping().await {
        Ok(()) => (StatusCode::OK, r#"{"status":"ok"}"#),
        Err(e) => {
            tracing::warn!(error = %e, "health check: store unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                r#"{"status":"unavailable"}"#,
            )
        }
    };
    let mut response = (status, [("content-type", "application/json")], body).into_response();
    if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        response.headers_mut().insert(REQUEST_ID_HEADER, id);
    }
    response
}

/// Every API request. One span per request carries the request id, operation, status and
/// latency; bodies, headers and input members are never logged.
pub async fn handle(State(state): State<Arc<ApiState>>, request: Request) -> Response {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        api = state.namespace.as_str(),
        method = %request.method(),
        operation = field::Empty,
        status = field::Empty,
        latency_us = field::Empty,
    );
    async move {
        let mut response = match process(&state, request).await {
            Ok(response) => response,
            Err(e) => {
                if e.status >= 500 {
                    tracing::warn!(error = e.name, message = %e.message, "request failed");
                } else {
                    tracing::info!(error = e.name, "request refused");
                }
                e.into_response_with_id(&request_id)
            }
        };
        if let Ok(id) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert(REQUEST_ID_HEADER, id);
        }
        let span = tracing::Span::current();
        span.record("status", response.status().as_u16());
        span.record("latency_us", started.elapsed().as_micros() as u64);
        tracing::info!("request completed");
        response
    }
    .instrument(span)
    .await
}

async fn process(state: &ApiState, request: Request) -> Result<Response, ApiError> {
    let shared = &state.shared;
    let (parts, body) = request.into_parts();
    let body = read_body(body, shared.body_limit).await?;
    let method = parts.method.as_str();
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or("");

    let identity = shared.verifier.verify(
        &SignedRequest {
            method,
            path,
            query,
            headers: &parts.headers,
            body: &body,
        },
        shared.credentials.as_ref(),
        SystemTime::now(),
    )?;

    let route = state
        .model
        .route(method, path, query)
        .map_err(route_error)?;
    let operation = route.operation;
    tracing::Span::current().record("operation", operation.name.as_str());
    let input = state
        .model
        .decode(&route, query, &body)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;

    let ctx = RequestContext {
        scope: Scope {
            account_id: identity.account_id,
            namespace: state.namespace,
        },
        region: identity.region,
    };
    let output = dispatch(state, &ctx, operation, input).await?;
    Ok(success(operation.success_code, output))
}

async fn read_body(body: Body, limit: usize) -> Result<bytes::Bytes, ApiError> {
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::bad_request(format!(
            "The request body could not be read or is larger than {limit} bytes"
        ))
    })
}

fn route_error(e: RouteError) -> ApiError {
    match e {
        RouteError::NoSuchPath => ApiError::not_found(e.to_string()),
        _ => ApiError::bad_request(e.to_string()),
    }
}

fn success(status: u16, output: Output) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    match output {
        Output::Json(body) => {
            (status, [("content-type", "application/json")], body).into_response()
        }
        Output::Empty => status.into_response(),
    }
}
