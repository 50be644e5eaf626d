//! Webhook delivery: each meeting event POSTed to a configured URL, signed.
//!
//! # The request
//!
//! ```text
//! POST <url>
//! Content-Type: application/json
//! X-Carillon-Event-Id: <the envelope's id>
//! X-Carillon-Event-Type: <detail.eventType, e.g. chime:AttendeeAdded>
//! X-Carillon-Timestamp: <unix seconds of this attempt>
//! X-Carillon-Signature: v1=<signature>
//!
//! <the EventBridge envelope as JSON>
//! ```
//!
//! The body is the event's envelope exactly as recorded, byte for byte, the same JSON an SQS
//! queue or SNS topic receives. Every attempt carries the same `X-Carillon-Event-Id` (the
//! envelope's `id`): a receiver drops duplicates by it, since a delivery is at least once.
//!
//! # The signature
//!
//! `<signature>` is the lowercase hexadecimal HMAC-SHA256, keyed with the webhook's secret (its
//! UTF-8 bytes), of the signed payload
//!
//! ```text
//! <X-Carillon-Timestamp> "." <body>
//! ```
//!
//! that is the timestamp's decimal digits, one full stop (`.`, 0x2E), then the raw body bytes.
//! To verify, a receiver:
//!
//! 1. reads `X-Carillon-Timestamp` and rejects the request when it is more than 5 minutes from
//!    its own clock (a replayed request);
//! 2. computes the HMAC-SHA256 of `timestamp + "." + raw body` with the secret, before any
//!    JSON parsing (parsing and re-serializing changes the bytes);
//! 3. compares it in constant time with the hex after `v1=`.
//!
//! This is the scheme Stripe and Svix use; `v1` names it, so a later scheme can be sent beside
//! it in the same header.
//!
//! # The answer
//!
//! Any 2xx status is delivered. Anything else (a 3xx, 4xx or 5xx status, a timeout, a
//! connection error) is a failure, retried with backoff; the error kept with the delivery holds
//! the status and the first bytes of the answer's body. Redirects are not followed.

use std::time::Duration;

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http::{header, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sha2::Sha256;

use crate::config::WebhookTarget;
use crate::error_chain;

/// The header names of a webhook request.
pub const EVENT_ID: &str = "x-carillon-event-id";
pub const EVENT_TYPE: &str = "x-carillon-event-type";
pub const TIMESTAMP: &str = "x-carillon-timestamp";
pub const SIGNATURE: &str = "x-carillon-signature";

/// The most bytes of an answer's body kept in the delivery's error.
const ANSWER_EXCERPT: usize = 256;

/// `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, the `X-Carillon-Signature` value.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Posts events to webhooks; one pooled client shared by every webhook.
#[derive(Clone)]
pub struct WebhookSender {
    client: HttpsClient,
    timeout: Duration,
}

impl WebhookSender {
    /// A sender whose every attempt (connection, request and answer) ends within `timeout`.
    /// HTTPS URLs are checked against the system's trusted roots; without any (a container
    /// with no CA bundle) HTTP webhooks still work and HTTPS ones fail with a certificate error.
    pub fn new(timeout: Duration) -> Self {
        let builder = hyper_rustls::HttpsConnectorBuilder::new();
        let builder = match builder.with_provider_and_native_roots(provider()) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "webhooks: no trusted root certificates; HTTPS webhooks will fail");
                hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(no_roots())
            }
        };
        let connector = builder.https_or_http().enable_http1().build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        WebhookSender { client, timeout }
    }

    /// Posts `body` (an envelope's JSON) to `webhook`, signed at `timestamp` (unix seconds).
    pub async fn send(
        &self,
        webhook: &WebhookTarget,
        event_id: &str,
        event_type: &str,
        body: &str,
        timestamp: i64,
    ) -> Result<(), String> {
        let request = Request::builder()
            .method(Method::POST)
            .uri(&webhook.url)
            .header(header::CONTENT_TYPE, "application/json")
            .header(EVENT_ID, event_id)
            .header(EVENT_TYPE, event_type)
            .header(TIMESTAMP, timestamp.to_string())
            .header(
                SIGNATURE,
                signature(
                    webhook.secret.expose().as_bytes(),
                    timestamp,
                    body.as_bytes(),
                ),
            )
            .body(Full::new(Bytes::copy_from_slice(body.as_bytes())))
            .map_err(|e| format!("invalid webhook request: {e}"))?;
        match tokio::time::timeout(self.timeout, self.attempt(request)).await {
            Ok(result) => result,
            Err(_) => Err(format!("timed out after {:?}", self.timeout)),
        }
    }

    async fn attempt(&self, request: Request<Full<Bytes>>) -> Result<(), String> {
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| format!("request failed: {}", error_chain(&e)))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let excerpt = excerpt(response.into_body()).await;
        Err(format!("HTTP {}: {excerpt}", status.as_u16()))
    }
}

fn provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

/// A TLS configuration that trusts nothing.
fn no_roots() -> rustls::ClientConfig {
    rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(provider()))
        .with_safe_default_protocol_versions()
        .expect("aws-lc-rs supports the default protocol versions")
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth()
}

/// The first [`ANSWER_EXCERPT`] bytes of a body, as text; whatever could be read when the body
/// fails midway.
async fn excerpt(mut body: hyper::body::Incoming) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < ANSWER_EXCERPT {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    bytes.extend_from_slice(data);
                }
            }
            _ => break,
        }
    }
    bytes.truncate(ANSWER_EXCERPT);
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        assert_eq!(
            signature(b"whsec_test", 1_700_000_000, br#"{"a":1}"#),
            "v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }

    #[test]
    fn the_signature_covers_timestamp_body_and_secret() {
        let base = signature(b"k", 1, b"body");
        assert_ne!(base, signature(b"k", 2, b"body"));
        assert_ne!(base, signature(b"k", 1, b"bodz"));
        assert_ne!(base, signature(b"j", 1, b"body"));
        // The dot separates: "1" + "2body" is not "12" + "body".
        assert_ne!(signature(b"k", 1, b"2body"), signature(b"k", 12, b"body"));
        assert!(base.starts_with("v1="));
        assert_eq!(base.len(), 3 + 64);
        assert!(base[3..]
            .chars()
            .all(|c| matches!(c, '0'..='9' | 'a'..='f')));
    }
}
