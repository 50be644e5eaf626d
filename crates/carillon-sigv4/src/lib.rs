//! Verification of AWS Signature Version 4 on incoming requests.
//!
//! Given a request exactly as it arrived (method, raw path and query, headers
//! and body) this crate checks its `Authorization: AWS4-HMAC-SHA256 ...`
//! header the way AWS front ends for JSON and rest-json services do, and
//! answers either the caller's [`Identity`] or an [`AuthError`] whose
//! [`code`](AuthError::code), [`status`](AuthError::status) and message match
//! what AWS would send.
//!
//! It is written directly on `hmac`, `sha2` and `subtle` rather than on the
//! `aws-sigv4` crate, because that crate only signs outgoing requests: it
//! decides for itself which headers to sign. A verifier has to rebuild the
//! canonical request from exactly the headers the client listed in
//! `SignedHeaders`, no more and no fewer. (`aws-sigv4` is still used in the
//! tests, to check that what it signs verifies here.)
//!
//! Everything is a pure function of its inputs: no I/O, no clock (the caller
//! passes `now`), and nothing is logged.
//!
//! Not supported: presigned URLs (query-string authentication), the streaming
//! `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` body format, SigV4a, and session
//! tokens (an `X-Amz-Security-Token` header is signed like any other header
//! but not itself checked).
//!
//! ```
//! use std::collections::HashMap;
//! use std::sync::Arc;
//! use std::time::{Duration, UNIX_EPOCH};
//! use carillon_sigv4::{Credential, SecretKey, SignedRequest, Verifier};
//!
//! let mut keys = HashMap::new();
//! keys.insert(
//!     "AKIDEXAMPLE".to_string(),
//!     Arc::new(Credential {
//!         secret_key: SecretKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
//!         account_id: "123456789012".to_string(),
//!     }),
//! );
//!
//! // AWS's published get-vanilla example.
//! let mut headers = http::HeaderMap::new();
//! headers.insert("host", "example.amazonaws.com".parse().unwrap());
//! headers.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
//! headers.insert(
//!     "authorization",
//!     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
//!      SignedHeaders=host;x-amz-date, \
//!      Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
//!         .parse()
//!         .unwrap(),
//! );
//! let request = SignedRequest { method: "GET", path: "/", query: "", headers: &headers, body: b"" };
//! let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160); // 2015-08-30T12:36:00Z
//!
//! let identity = Verifier::new("service").verify(&request, &keys, now).unwrap();
//! assert_eq!(identity.account_id, "123456789012");
//! assert_eq!(identity.region, "us-east-1");
//! ```

mod ascii;
mod authz;
mod canonical;
mod credentials;
mod error;
mod key_cache;
mod signing;
mod time;
mod verify;

#[cfg(test)]
mod suite_tests;

pub use credentials::{Credential, CredentialLookup, SecretKey};
pub use error::AuthError;
pub use verify::Verifier;

/// An incoming request, as received, borrowed for verification.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// The HTTP method, e.g. `"POST"`.
    pub method: &'a str,
    /// The path exactly as received on the wire, still percent-encoded.
    pub path: &'a str,
    /// The raw query string without `?`, possibly empty.
    pub query: &'a str,
    /// All request headers. Under HTTP/2 the caller must add a `host` header
    /// from the `:authority` pseudo-header, since clients sign `host`.
    pub headers: &'a http::HeaderMap,
    /// The complete body.
    pub body: &'a [u8],
}

/// Who signed a request that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The access key id from the credential scope.
    pub access_key_id: String,
    /// The account the access key belongs to.
    pub account_id: String,
    /// The region from the credential scope (any region is accepted).
    pub region: String,
}
