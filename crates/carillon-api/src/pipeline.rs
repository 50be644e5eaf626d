//! The request pipeline: one function per stage, each failing with an [`ApiError`] that is
//! rendered once, at the end. Faults ([`crate::faults`]) enter once the request is authenticated
//! and routed, before the rate quotas and the store.

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
use crate::faults::DropConnection;
use crate::quota::Refusal;
use crate::{ApiState, REQUEST_ID_HEADER};

/// `GET /health`: liveness. 200 while the process serves requests. Unauthenticated.
pub async fn health() -> Response {
    status_response(StatusCode::OK, "ok")
}

/// `GET /metrics`: Prometheus/OpenMetrics exposition. Unauthenticated.
pub async fn metrics(State(state): State<Arc<ApiState>>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            crate::metrics::CONTENT_TYPE,
        )],
        state.shared.metrics.render(),
    )
        .into_response()
}

/// `GET /ready`: readiness. 200 when the store answers and the server is not shutting down,
/// 503 otherwise. Unauthenticated.
pub async fn ready(State(state): State<Arc<ApiState>>) -> Response {
    if state.shared.is_draining() {
        return status_response(StatusCode::SERVICE_UNAVAILABLE, "shutting down");
    }
    match state.shared.service.store().ping().await {
        Ok(()) => status_response(StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check: store unavailable");
            status_response(StatusCode::SERVICE_UNAVAILABLE, "store unavailable")
        }
    }
}

fn status_response(status: StatusCode, text: &'static str) -> Response {
    let body = serde_json::json!({ "status": text }).to_string();
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
        // Bounded work: beyond `max_in_flight` requests, refuse at once rather than queue.
        let metrics = &state.shared.metrics;
        let mut operation: &str = crate::metrics::NO_OPERATION;
        let result = match state.shared.in_flight.try_acquire() {
            Ok(_permit) => {
                let _in_flight = metrics.in_flight();
                process(&state, request, &mut operation).await
            }
            Err(_) => {
                metrics.overloaded();
                Err(overloaded())
            }
        };
        let response = match result {
            Ok(mut response) => {
                if let Ok(id) = HeaderValue::from_str(&request_id) {
                    response.headers_mut().insert(REQUEST_ID_HEADER, id);
                }
                response
            }
            Err(e) => {
                log_failure(&e, &request_id);
                // Renders the request id header with the error.
                e.into_response_with_id(&request_id)
            }
        };
        // A connection dropped by a fault rule is counted with status 0: nothing was sent.
        let status = match response.extensions().get::<DropConnection>() {
            Some(_) => 0,
            None => response.status().as_u16(),
        };
        let span = tracing::Span::current();
        span.record("status", status);
        span.record("latency_us", started.elapsed().as_micros() as u64);
        metrics.observe_request(
            state.namespace.as_str(),
            operation,
            status,
            started.elapsed(),
        );
        tracing::info!("request completed");
        response
    }
    .instrument(span)
    .await
}

/// The one log line of a failed request. A 500 is our fault; a 503 is a dependency or the load;
/// a refusal that carries a cause is a client error we did not expect (a bug to look at). The
/// request id is a field of its own: the request's span is not recorded when the log level is
/// above `info`.
fn log_failure(e: &ApiError, request_id: &str) {
    let cause = e.cause.as_deref().unwrap_or("");
    let error = e.name;
    match e.status {
        503 => tracing::warn!(request_id, error, detail = %e.message, cause, "request failed"),
        500.. => tracing::error!(request_id, error, cause, "request failed"),
        _ if e.cause.is_some() => tracing::warn!(request_id, error, cause, "request refused"),
        _ => tracing::info!(error, "request refused"),
    }
}

/// Runs the stages; `operation_name` is set once the request is routed (for metrics).
async fn process<'s>(
    state: &'s ApiState,
    request: Request,
    operation_name: &mut &'s str,
) -> Result<Response, ApiError> {
    let shared = &state.shared;
    let (parts, body) = request.into_parts();
    let body = read_body(&parts.headers, body, &shared.limits).await?;
    let method = parts.method.as_str();
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or("");

    check_host(&parts.headers)?;
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
    *operation_name = operation.name.as_str();
    tracing::Span::current().record("operation", operation.name.as_str());
    match crate::faults::apply(state, &parts.headers, &identity.account_id, &route).await {
        Ok(()) => {}
        Err(crate::faults::Stop::Error(e)) => return Err(e),
        Err(crate::faults::Stop::Drop) => return Ok(crate::faults::dropped()),
    }
    match shared
        .quotas
        .admit_request(&identity.account_id, state.namespace, &operation.name)
        .await
    {
        Ok(()) => {}
        Err(Refusal::Throttled(throttled)) => {
            shared
                .metrics
                .throttled(state.namespace.as_str(), &operation.name);
            return Err(ApiError::throttled(&throttled, state.namespace, operation));
        }
        Err(Refusal::Store(e)) if e.is_unavailable() => {
            return Err(ApiError::database_unavailable()
                .with_cause(format_args!("shared rate quotas: {e}")));
        }
        Err(Refusal::Store(e)) => {
            return Err(
                ApiError::service_failure().with_cause(format_args!("shared rate quotas: {e}"))
            );
        }
    }
    check_media_type(&parts.headers, &body)?;
    let input = state
        .model
        .decode(&route, query, &body)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;

    let max_active_meetings = shared
        .quotas
        .max_active_meetings(&identity.account_id, state.namespace);
    let ctx = RequestContext {
        scope: Scope {
            account_id: identity.account_id,
            namespace: state.namespace,
        },
        region: identity.region,
        max_active_meetings,
    };
    let output = dispatch(state, &ctx, operation, input).await?;
    Ok(success(operation.success_code, output))
}

fn overloaded() -> ApiError {
    ApiError::unavailable("The service is busy: too many requests are in progress. Retry later.")
}

/// Reads the body within the size and time limits. A declared `Content-Length` over the limit is
/// refused before reading anything.
async fn read_body(
    headers: &axum::http::HeaderMap,
    body: Body,
    limits: &crate::Limits,
) -> Result<bytes::Bytes, ApiError> {
    let too_large = || {
        ApiError::bad_request(format!(
            "The request body is larger than the limit of {} bytes",
            limits.body_limit
        ))
    };
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limits.body_limit as u64) {
        return Err(too_large());
    }
    match tokio::time::timeout(
        limits.body_read_timeout,
        axum::body::to_bytes(body, limits.body_limit),
    )
    .await
    {
        Ok(Ok(bytes)) => Ok(bytes),
        // Either the limit was hit while streaming (no Content-Length), or the body broke off.
        Ok(Err(e))
            if std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>()) =>
        {
            Err(too_large())
        }
        Ok(Err(_)) => Err(ApiError::bad_request("The request body could not be read")),
        Err(_) => Err(ApiError::bad_request(format!(
            "The request body was not received within {} seconds",
            limits.body_read_timeout.as_secs()
        ))),
    }
}

/// The `Host` header, when given, names a host and nothing else (RFC 9112 §3.2: `uri-host [
/// ":" port ]`): no space, path, query, fragment or user information. SigV4 signs it, so a value
/// two readers split differently must not get as far as the signature. (One missing fails the
/// signature, which always covers it.)
fn check_host(headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
    let Some(host) = headers.get(axum::http::header::HOST) else {
        return Ok(());
    };
    let valid = host.to_str().ok().is_some_and(|h| {
        !h.is_empty()
            && !h.contains(['/', '?', '#', '@', ' ', '\t'])
            && h.parse::<axum::http::uri::Authority>().is_ok()
    });
    if valid {
        Ok(())
    } else {
        Err(ApiError::bad_request("The Host header is not a valid host"))
    }
}

/// A body is JSON, said so: `Content-Type: application/json` (parameters such as a charset
/// allowed), as every AWS SDK and the AWS CLI send it with a body. Another media type, or none,
/// with a body is 415 `UnsupportedMediaTypeException`, as Smithy's restJson1 protocol tests
/// require. A request without a body may carry any or none (the SDKs differ there, and there is
/// nothing to misread).
fn check_media_type(headers: &axum::http::HeaderMap, body: &[u8]) -> Result<(), ApiError> {
    if body.is_empty() {
        return Ok(());
    }
    let media_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim());
    match media_type {
        Some(t) if t.eq_ignore_ascii_case("application/json") => Ok(()),
        Some(t) => {
            // The header is the client's: echo a bounded part of it.
            let shown: String = t.chars().take(64).collect();
            Err(ApiError::unsupported_media_type(format!(
                "A request body must be application/json, not {shown:?}"
            )))
        }
        None => Err(ApiError::unsupported_media_type(
            "A request body must say Content-Type: application/json",
        )),
    }
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
