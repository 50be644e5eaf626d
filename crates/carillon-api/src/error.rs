//! The AWS rest-json error, rendered in exactly one place.
//!
//! Wire format (digest §6): the status of the exception, `x-amzn-ErrorType: <Name>` (the one place
//! every SDK reads the code from), `x-amzn-RequestId`, `Content-Type: application/json`, and a body
//! `{"Code": <short code>, "Message": ..., "RequestId": ...}` (+ `ResourceName` where the model has
//! it). `Code` is the name without its `Exception` suffix (`NotFound`), as the real service sends.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use carillon_core::ServiceError;
use serde::Serialize;

use crate::pipeline::REQUEST_ID_HEADER;

/// A client-visible error: the exception name, its status and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub name: &'static str,
    pub status: u16,
    pub message: String,
    /// `ResourceName` member (ResourceNotFoundException, TooManyTagsException).
    pub resource_name: Option<String>,
    /// `Retry-After` header, in seconds (ServiceUnavailableException).
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(name: &'static str, status: u16, message: impl Into<String>) -> Self {
        ApiError {
            name,
            status,
            message: message.into(),
            resource_name: None,
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new("BadRequestException", 400, message)
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

    /// Maps a service error to the current API's exceptions (`chime-sdk-meetings`).
    pub fn from_service(e: &ServiceError) -> Self {
        let (name, status) = match e {
            ServiceError::BadRequest(_) => ("BadRequestException", 400),
            ServiceError::NotFound(_) => ("NotFoundException", 404),
            ServiceError::LimitExceeded(_) => ("LimitExceededException", 400),
            ServiceError::Conflict(_) => ("ConflictException", 409),
            ServiceError::UnprocessableEntity(_) => ("UnprocessableEntityException", 422),
            ServiceError::ResourceNotFound { .. } => ("ResourceNotFoundException", 404),
            ServiceError::TooManyTags { .. } => ("TooManyTagsException", 400),
            ServiceError::Internal(_) => return Self::service_failure(),
        };
        let mut err = Self::new(name, status, e.to_string());
        if let ServiceError::ResourceNotFound { resource, .. }
        | ServiceError::TooManyTags { resource, .. } = e
        {
            err.resource_name = Some(resource.clone());
        }
        err
    }

    /// The short code sent in the body's `Code` member.
    pub fn code(&self) -> &'static str {
        self.name.strip_suffix("Exception").unwrap_or(self.name)
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
        let body = serde_json::to_vec(&Body {
            code: self.code(),
            message: &self.message,
            request_id,
            resource_name: self.resource_name.as_deref(),
        })
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
        response
    }
}

impl From<carillon_sigv4::AuthError> for ApiError {
    fn from(e: carillon_sigv4::AuthError) -> Self {
        ApiError::new(e.code(), e.status(), e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn render(e: ApiError) -> (u16, axum::http::HeaderMap, serde_json::Value) {
        let r = e.into_response_with_id("11111111-2222-4333-8444-555555555555");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        (status, headers, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn renders_the_rest_json_error() {
        let (status, headers, body) = render(ApiError::from_service(
            &ServiceError::meeting_not_found("m1"),
        ))
        .await;
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

    #[tokio::test]
    async fn every_service_error_has_its_modeled_name_and_status() {
        let cases: Vec<(ServiceError, &str, u16)> = vec![
            (
                ServiceError::BadRequest("x".into()),
                "BadRequestException",
                400,
            ),
            (
                ServiceError::LimitExceeded("x".into()),
                "LimitExceededException",
                400,
            ),
            (ServiceError::Conflict("x".into()), "ConflictException", 409),
            (
                ServiceError::UnprocessableEntity("x".into()),
                "UnprocessableEntityException",
                422,
            ),
            (
                ServiceError::TooManyTags {
                    message: "x".into(),
                    resource: "arn:a".into(),
                },
                "TooManyTagsException",
                400,
            ),
            (
                ServiceError::Internal(carillon_core::StoreError::new("disk on fire")),
                "ServiceFailureException",
                500,
            ),
        ];
        for (e, name, status) in cases {
            let (s, h, body) = render(ApiError::from_service(&e)).await;
            assert_eq!((h["x-amzn-errortype"].to_str().unwrap(), s), (name, status));
            assert!(
                !body.to_string().contains("disk on fire"),
                "internal detail leaked"
            );
        }
        let (_, _, body) = render(ApiError::from_service(&ServiceError::ResourceNotFound {
            message: "gone".into(),
            resource: "arn:aws:chime:us-east-1:123456789012:meeting/x".into(),
        }))
        .await;
        assert_eq!(
            body["ResourceName"],
            "arn:aws:chime:us-east-1:123456789012:meeting/x"
        );
        assert_eq!(body["Code"], "ResourceNotFound");
    }

    #[tokio::test]
    async fn retry_after_header() {
        let mut e = ApiError::new("ServiceUnavailableException", 503, "busy");
        e.retry_after = Some(2);
        let (s, h, _) = render(e).await;
        assert_eq!(s, 503);
        assert_eq!(h["retry-after"], "2");
    }
}
