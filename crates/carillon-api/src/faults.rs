//! Fault injection in the request path ([`carillon_faults`]): after the request is
//! authenticated and routed, before the rate quotas and the store. The `X-Carillon-Fault`
//! header (when enabled) or else the registry's rules decide a latency, then an error or a
//! dropped connection.
//!
//! An injected `ThrottlingException` (`ThrottledClientException` in the legacy API) is rendered
//! by [`ApiError::throttled`], exactly as a throttle of the rate quotas is, at AWS's default
//! rate: 429, `x-amz-retry-after`, the same message; SDKs retry it as they would a real one.
//! Other errors are the model's status and name with the namespace's `Code`.

use std::time::Duration;

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use carillon_core::Namespace;
use carillon_faults::{header, Api, ApiRequest, Injection, ModeledError, Outcome};
use carillon_model::RouteMatch;

use crate::error::ApiError;
use crate::quota::{Throttled, ThrottledBy, AWS_RATE_LIMITED, DEFAULT_BURST, DEFAULT_RATE};
use crate::ApiState;

/// Marks a response whose connection is to be closed without sending it. The listener acts on
/// it (`carillon/src/listener.rs`); a server without that listener sends an empty 500.
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

/// What the faults made of a request that does not go on.
pub(crate) enum Stop {
    Error(ApiError),
    Drop,
}

/// Applies the faults to a routed request: waits the latency, then answers `Err` with what the
/// request gets instead of the operation, or `Ok` to go on.
pub(crate) async fn apply(
    state: &ApiState,
    headers: &HeaderMap,
    account_id: &str,
    route: &RouteMatch<'_>,
) -> Result<(), Stop> {
    let faults = &state.shared.faults;
    let api = match state.namespace {
        Namespace::Meetings => Api::Meetings,
        Namespace::Legacy => Api::Legacy,
    };
    let operation = route.operation.name.as_str();
    let from_header = match headers.get(header::HEADER) {
        Some(value) if faults.header_enabled() => {
            let value = value.to_str().unwrap_or("");
            let injection = header::parse(value, faults.catalog(), api, operation)
                .map_err(|e| Stop::Error(ApiError::bad_request(e)))?;
            faults.header_hit(api, operation, &injection);
            Some(injection)
        }
        _ => None,
    };
    let injection = match from_header {
        Some(injection) => injection,
        None => {
            let meeting_id = route
                .labels
                .iter()
                .find(|(member, _)| member == "MeetingId")
                .map(|(_, value)| value.as_str());
            let request = ApiRequest {
                api,
                operation,
                account_id,
                meeting_id,
            };
            match faults.api(&request) {
                Some(injection) => injection,
                None => return Ok(()),
            }
        }
    };
    let Injection { latency, outcome } = injection;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match outcome {
        None => Ok(()),
        Some(Outcome::Drop) => Err(Stop::Drop),
        Some(Outcome::Error(error)) => Err(Stop::Error(error_of(state, route, error))),
    }
}

/// The injected error as the API renders it.
fn error_of(state: &ApiState, route: &RouteMatch<'_>, error: ModeledError) -> ApiError {
    let operation = route.operation;
    let throttle = match state.namespace {
        Namespace::Meetings => "ThrottlingException",
        Namespace::Legacy => "ThrottledClientException",
    };
    if error.name == throttle {
        let limit = AWS_RATE_LIMITED
            .iter()
            .find(|name| **name == operation.name)
            .map_or(ThrottledBy::AllOperations, |name| {
                ThrottledBy::Operation(name)
            });
        let throttled = Throttled {
            // One token's time at AWS's default rate.
            retry_after_ms: Duration::from_secs_f64(1.0 / DEFAULT_RATE).as_millis() as u64,
            limit,
            rate: DEFAULT_RATE,
            burst: DEFAULT_BURST,
        };
        return ApiError::throttled(&throttled, state.namespace, operation);
    }
    let mut e = ApiError::new(
        error.name,
        error.status,
        format!("{} injected by a fault rule", error.name),
    );
    if state.namespace == Namespace::Legacy {
        e.code = crate::error::legacy_code(error.name);
    }
    if error.status == 503 {
        e.retry_after = Some(1);
    }
    if error.status >= 500 {
        // The failure log line of a 5xx then says it was asked for.
        e = e.with_cause("injected by a fault rule");
    }
    e
}

/// The response of a dropped request: never sent, only a mark for the listener.
pub(crate) fn dropped() -> Response {
    let mut response = axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
    response.extensions_mut().insert(DropConnection);
    response
}
