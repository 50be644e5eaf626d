//! The AWS rest-json error, rendered in exactly one place.
//!
//! Wire format: the status of the exception, `x-amzn-ErrorType: <Name>` (the one place every SDK
//! reads the code from), `x-amzn-RequestId`, `Content-Type: application/json`, and a body
//! `{"Code": <short code>, "Message": ..., "RequestId": ...}` (+ `ResourceName` where the model has
//! it). `Code` is the short code the real service sends: the name without its `Exception`
//! suffix (`NotFound`), or the legacy `ErrorCode` enum value (`Throttled`, `Unauthorized`, ...).
//!
//! Errors of the front door (authentication, a body that is not JSON) are no operation's
//! modeled errors, and AWS's signing front end answers them with the header and a body
//! `{"message": ...}` alone ([`ApiError::front_door`]). The `Code` must stay out of those bodies:
//! clients that name an unmodeled error after the body (the JS v2 SDK, JS v3 clients of 2024,
//! whose `throwDefaultError` prefers `body.Code` to the header) would otherwise report
//! `InvalidSignature` where the others report `InvalidSignatureException`.
//!
//! Each API names the same condition differently (`LimitExceededException` vs
//! `ResourceLimitExceededException`): [`ApiError::from_service`] picks, for the operation at hand,
//! the first of the namespace's candidate names that the operation's model lists.
//!
//! Nothing here logs: an error that has an internal cause carries it ([`ApiError::cause`]) to the
//! pipeline, which logs every failed request once.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use carillon_core::{Namespace, ServiceError};
use carillon_model::{Operation, ServiceModel};
use serde::Serialize;

use crate::REQUEST_ID_HEADER;

/// A client-visible error: the exception name, its status and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub name: &'static str,
    pub status: u16,
    /// The body's `Code` member.
    pub code: &'static str,
    pub message: String,
    /// `ResourceName` member (ResourceNotFoundException, TooManyTagsException).
    pub resource_name: Option<Box<str>>,
    /// `Retry-After` header, in seconds (ServiceUnavailableException).
    pub retry_after: Option<u32>,
    /// `x-amz-retry-after` header, in milliseconds: the AWS SDK for Rust waits exactly that long
    /// before retrying a throttled request.
    pub retry_after_ms: Option<u64>,
    /// What went wrong on our side, for the log only: never sent.
    pub cause: Option<Box<str>>,
    /// An error of the front door, answered with `{"message"}` alone (see the module's doc).
    pub front_door: bool,
}

impl ApiError {
    pub fn new(name: &'static str, status: u16, message: impl Into<String>) -> Self {
        ApiError {
            name,
            status,
            code: name.strip_suffix("Exception").unwrap_or(name),
            message: message.into(),
            resource_name: None,
            retry_after: None,
            retry_after_ms: None,
            cause: None,
            front_door: false,
        }
    }

    /// The same error, as the front door answers it: the header names it, the body only says
    /// `message`.
    pub fn front_door(mut self) -> Self {
        self.front_door = true;
        self
    }

    /// The same error, carrying an internal cause for the log.
    pub fn with_cause(mut self, cause: impl std::fmt::Display) -> Self {
        self.cause = Some(cause.to_string().into());
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new("BadRequestException", 400, message)
    }

    /// A body of a media type the API does not read (not a modeled error: the front door's).
    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::new("UnsupportedMediaTypeException", 415, message).front_door()
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new("NotFoundException", 404, message)
    }

    pub fn service_failure() -> Self {
        Self::new(
            "ServiceFailureException",
            500,
            "The service encountered an internal error. Try again later.",
        )
    }

    /// 503 `ServiceUnavailableException` with `Retry-After: 1`, modeled for every operation of
    /// both APIs; the SDKs retry it.
    pub fn unavailable(message: impl Into<String>) -> Self {
        let mut e = Self::new("ServiceUnavailableException", 503, message);
        e.retry_after = Some(1);
        e
    }

    /// 503 for a store that cannot be reached or is saturated.
    pub fn database_unavailable() -> Self {
        Self::unavailable("The service cannot reach its database right now. Retry later.")
    }

    /// A request refused by a rate quota: 429 `ThrottlingException` (current API) or 429
    /// `ThrottledClientException` (legacy), or, for the legacy operations that model neither,
    /// 503 `ServiceUnavailableException` with `Retry-After`.
    pub fn throttled(
        throttled: &crate::quota::Throttled,
        namespace: Namespace,
        operation: &Operation,
    ) -> Self {
        let name = match namespace {
            Namespace::Meetings => "ThrottlingException",
            Namespace::Legacy => "ThrottledClientException",
        };
        let mut err = if operation.errors.iter().any(|n| n == name) {
            let mut err = Self::new(name, 429, throttled.to_string());
            if namespace == Namespace::Legacy {
                err.code = legacy_code(name);
            }
            err
        } else {
            let mut err = Self::new("ServiceUnavailableException", 503, throttled.to_string());
            err.retry_after = Some(throttled.retry_after_secs());
            err
        };
        err.retry_after_ms = Some(throttled.retry_after_ms);
        err
    }

    /// Maps a service error to the exception the namespace uses for it, among those modeled for
    /// the operation. A condition the operation does not model is a bug: it is sent as
    /// `ServiceFailureException` (SDKs only recognise an operation's modeled errors, and every
    /// operation models that one), with the condition as its cause.
    pub fn from_service(
        e: &ServiceError,
        namespace: Namespace,
        operation: &Operation,
        model: &ServiceModel,
    ) -> Self {
        if let ServiceError::Internal(fault) = e {
            return if fault.is_unavailable() {
                Self::database_unavailable().with_cause(fault)
            } else {
                Self::service_failure().with_cause(fault)
            };
        }
        let Some(name) = candidates(e, namespace)
            .iter()
            .copied()
            .find(|name| operation.errors.iter().any(|n| n == name))
        else {
            return Self::service_failure().with_cause(format_args!(
                "no modeled exception of {} for {e:?}",
                operation.name
            ));
        };
        let status = model.error_status(name).unwrap_or(400);
        let mut err = Self::new(name, status, e.to_string());
        if namespace == Namespace::Legacy {
            err.code = legacy_code(name);
        }
        if let ServiceError::ResourceNotFound { resource, .. }
        | ServiceError::TooManyTags { resource, .. } = e
        {
            // Only the current API's exceptions have a ResourceName member.
            if namespace == Namespace::Meetings {
                err.resource_name = Some(resource.as_str().into());
            }
        }
        err
    }

    /// The complete response for a request id.
    pub fn into_response_with_id(self, request_id: &str) -> Response {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Body<'a> {
            code: &'a str,
            message: &'a str,
            request_id: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            resource_name: Option<&'a str>,
        }
        #[derive(Serialize)]
        struct FrontDoorBody<'a> {
            message: &'a str,
        }
        let body = if self.front_door {
            serde_json::to_vec(&FrontDoorBody {
                message: &self.message,
            })
        } else {
            serde_json::to_vec(&Body {
                code: self.code,
                message: &self.message,
                request_id,
                resource_name: self.resource_name.as_deref(),
            })
        }
        .unwrap_or_default();
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert("x-amzn-errortype", HeaderValue::from_static(self.name));
        if let Ok(id) = HeaderValue::from_str(request_id) {
            headers.insert(REQUEST_ID_HEADER, id);
        }
        if let Some(seconds) = self.retry_after {
            headers.insert("retry-after", HeaderValue::from(seconds));
        }
        if let Some(ms) = self.retry_after_ms {
            headers.insert("x-amz-retry-after", HeaderValue::from(ms));
        }
        response
    }
}

/// The exception names a namespace may use for a condition, in order of preference.
fn candidates(e: &ServiceError, namespace: Namespace) -> &'static [&'static str] {
    use Namespace::{Legacy, Meetings};
    match (e, namespace) {
        (ServiceError::BadRequest(_), _) => &["BadRequestException"],
        (ServiceError::NotFound(_), _) => &["NotFoundException"],
        (ServiceError::UnprocessableEntity(_), _) => &["UnprocessableEntityException"],
        (ServiceError::Internal(_), _) => &[],
        (ServiceError::LimitExceeded(_), Meetings) => &["LimitExceededException"],
        (ServiceError::Conflict(_), Meetings) => &["ConflictException"],
        (ServiceError::ResourceNotFound { .. }, Meetings) => &["ResourceNotFoundException"],
        (ServiceError::TooManyTags { .. }, Meetings) => &["TooManyTagsException"],
        // The legacy model has no Conflict, ResourceNotFound or TooManyTags for meetings.
        (ServiceError::LimitExceeded(_) | ServiceError::TooManyTags { .. }, Legacy) => {
            &["ResourceLimitExceededException", "BadRequestException"]
        }
        (ServiceError::Conflict(_), Legacy) => &["BadRequestException"],
        (ServiceError::ResourceNotFound { .. }, Legacy) => &["NotFoundException"],
    }
}

/// The legacy `ErrorCode` enum value for an exception, as the legacy service puts in `Code`.
pub(crate) fn legacy_code(name: &'static str) -> &'static str {
    match name {
        "ThrottledClientException" => "Throttled",
        "UnauthorizedClientException" => "Unauthorized",
        "UnprocessableEntityException" => "Unprocessable",
        _ => name.strip_suffix("Exception").unwrap_or(name),
    }
}

impl From<carillon_sigv4::AuthError> for ApiError {
    fn from(e: carillon_sigv4::AuthError) -> Self {
        ApiError::new(e.code(), e.status(), e.to_string()).front_door()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    async fn render(e: ApiError) -> (u16, axum::http::HeaderMap, serde_json::Value) {
        let r = e.into_response_with_id("11111111-2222-4333-8444-555555555555");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        (status, headers, serde_json::from_slice(&bytes).unwrap())
    }

    fn models() -> (ServiceModel, ServiceModel) {
        let current =
            ServiceModel::from_json(carillon_model::CHIME_SDK_MEETINGS_2021_07_15).unwrap();
        let legacy = ServiceModel::from_json_with_operations(
            carillon_model::CHIME_2018_05_01,
            carillon_model::CHIME_2018_05_01_MEETING_OPERATIONS,
        )
        .unwrap();
        (current, legacy)
    }

    fn map(model: &ServiceModel, ns: Namespace, op: &str, e: &ServiceError) -> ApiError {
        ApiError::from_service(e, ns, model.operation(op).unwrap(), model)
    }

    #[tokio::test]
    async fn renders_the_rest_json_error() {
        let (current, _) = models();
        let e = map(
            &current,
            Namespace::Meetings,
            "GetMeeting",
            &ServiceError::meeting_not_found("m1"),
        );
        let (status, headers, body) = render(e).await;
        assert_eq!(status, 404);
        assert_eq!(headers["x-amzn-errortype"], "NotFoundException");
        assert_eq!(
            headers["x-amzn-requestid"],
            "11111111-2222-4333-8444-555555555555"
        );
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(
            body,
            serde_json::json!({"Code": "NotFound", "Message": "Meeting <m1> not found", "RequestId": "11111111-2222-4333-8444-555555555555"})
        );
    }

    fn tag_error() -> ServiceError {
        ServiceError::TooManyTags {
            message: "x".into(),
            resource: "arn:aws:chime:us-east-1:123456789012:meeting/x".into(),
        }
    }

    #[tokio::test]
    async fn each_namespace_has_its_own_names() {
        let (current, legacy) = models();
        let limit = ServiceError::LimitExceeded("x".into());
        let cases: Vec<(
            &ServiceModel,
            Namespace,
            &str,
            ServiceError,
            &str,
            u16,
            &str,
        )> = vec![
            (
                &current,
                Namespace::Meetings,
                "CreateMeeting",
                ServiceError::BadRequest("x".into()),
                "BadRequestException",
                400,
                "BadRequest",
            ),
            (
                &current,
                Namespace::Meetings,
                "CreateAttendee",
                limit,
                "LimitExceededException",
                400,
                "LimitExceeded",
            ),
            (
                &current,
                Namespace::Meetings,
                "UpdateAttendeeCapabilities",
                ServiceError::Conflict("x".into()),
                "ConflictException",
                409,
                "Conflict",
            ),
            (
                &current,
                Namespace::Meetings,
                "StartMeetingTranscription",
                ServiceError::UnprocessableEntity("x".into()),
                "UnprocessableEntityException",
                422,
                "UnprocessableEntity",
            ),
            (
                &current,
                Namespace::Meetings,
                "TagResource",
                tag_error(),
                "TooManyTagsException",
                400,
                "TooManyTags",
            ),
            (
                &current,
                Namespace::Meetings,
                "GetMeeting",
                carillon_core::StoreError::new("disk on fire").into(),
                "ServiceFailureException",
                500,
                "ServiceFailure",
            ),
            (
                &current,
                Namespace::Meetings,
                "CreateAttendee",
                carillon_core::StoreError::unavailable("db restarting").into(),
                "ServiceUnavailableException",
                503,
                "ServiceUnavailable",
            ),
            (
                &legacy,
                Namespace::Legacy,
                "TagAttendee",
                carillon_core::StoreError::unavailable("db restarting").into(),
                "ServiceUnavailableException",
                503,
                "ServiceUnavailable",
            ),
            (
                &legacy,
                Namespace::Legacy,
                "CreateAttendee",
                ServiceError::LimitExceeded("x".into()),
                "ResourceLimitExceededException",
                400,
                "ResourceLimitExceeded",
            ),
            (
                &legacy,
                Namespace::Legacy,
                "TagMeeting",
                tag_error(),
                "ResourceLimitExceededException",
                400,
                "ResourceLimitExceeded",
            ),
            // Legacy TagResource models no limit error.
            (
                &legacy,
                Namespace::Legacy,
                "TagResource",
                tag_error(),
                "BadRequestException",
                400,
                "BadRequest",
            ),
            (
                &legacy,
                Namespace::Legacy,
                "StartMeetingTranscription",
                ServiceError::UnprocessableEntity("x".into()),
                "UnprocessableEntityException",
                422,
                "Unprocessable",
            ),
            (
                &legacy,
                Namespace::Legacy,
                "ListTagsForResource",
                ServiceError::ResourceNotFound {
                    message: "x".into(),
                    resource: "arn:x".into(),
                },
                "NotFoundException",
                404,
                "NotFound",
            ),
            // A condition the operation does not model at all becomes a service failure.
            (
                &current,
                Namespace::Meetings,
                "GetMeeting",
                ServiceError::LimitExceeded("x".into()),
                "ServiceFailureException",
                500,
                "ServiceFailure",
            ),
        ];
        for (model, ns, op, e, name, status, code) in cases {
            let (s, h, body) = render(map(model, ns, op, &e)).await;
            assert_eq!(
                (h["x-amzn-errortype"].to_str().unwrap(), s),
                (name, status),
                "{op} {e:?}"
            );
            assert_eq!(body["Code"], code, "{op}");
            assert!(
                !body.to_string().contains("disk on fire"),
                "internal detail leaked"
            );
        }
    }

    #[tokio::test]
    async fn resource_name_only_where_modeled() {
        let (current, legacy) = models();
        let (_, _, body) = render(map(
            &current,
            Namespace::Meetings,
            "TagResource",
            &tag_error(),
        ))
        .await;
        assert_eq!(
            body["ResourceName"],
            "arn:aws:chime:us-east-1:123456789012:meeting/x"
        );
        let (_, _, body) =
            render(map(&legacy, Namespace::Legacy, "TagMeeting", &tag_error())).await;
        assert!(body.get("ResourceName").is_none());
    }

    /// A failure of ours keeps its cause for the log and sends only the generic message.
    #[tokio::test]
    async fn internal_causes_are_carried_not_sent() {
        let (current, _) = models();
        let cases = [
            (
                carillon_core::StoreError::new("disk on fire").into(),
                500,
                "store: disk on fire",
            ),
            (
                carillon_core::StoreError::unavailable("db restarting").into(),
                503,
                "store: db restarting",
            ),
            (
                ServiceError::invariant("no outcome"),
                500,
                "broken invariant: no outcome",
            ),
            (
                ServiceError::Internal(carillon_core::Fault::Encoding("NaN".into())),
                500,
                "encoding: NaN",
            ),
        ];
        for (e, status, cause) in cases {
            let api = map(&current, Namespace::Meetings, "GetMeeting", &e);
            assert_eq!((api.status, api.cause.as_deref()), (status, Some(cause)));
            let (_, _, body) = render(api).await;
            let cause_word = cause.split(": ").nth(1).unwrap();
            assert!(!body.to_string().contains(cause_word), "{body}");
        }
        // A condition the operation does not model names itself in the cause.
        let api = map(
            &current,
            Namespace::Meetings,
            "GetMeeting",
            &ServiceError::LimitExceeded("x".into()),
        );
        assert!(api
            .cause
            .unwrap()
            .starts_with("no modeled exception of GetMeeting for LimitExceeded"));
        // A client error has no cause.
        let api = map(
            &current,
            Namespace::Meetings,
            "GetMeeting",
            &ServiceError::meeting_not_found("m"),
        );
        assert_eq!(api.cause, None);
    }

    #[tokio::test]
    async fn retry_after_header() {
        let mut e = ApiError::new("ServiceUnavailableException", 503, "busy");
        e.retry_after = Some(2);
        let (s, h, _) = render(e).await;
        assert_eq!(s, 503);
        assert_eq!(h["retry-after"], "2");
    }

    #[test]
    fn shared_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Arc<crate::Shared>>();
    }
}
