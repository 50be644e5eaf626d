//! Requests signed by the official `aws-sigv4` crate, as a server receives them.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use carillon_sigv4::{AuthError, Credential, SecretKey, SignedRequest, Verifier};
use http::{HeaderMap, HeaderValue};

pub const ACCESS_KEY: &str = "AKIDEXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const ACCOUNT: &str = "111122223333";
pub const HOST: &str = "meetings-chime.us-east-1.amazonaws.com";

/// 2015-08-30T12:36:00Z, the date of AWS's test suite.
pub fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

pub fn minutes(m: i64) -> SystemTime {
    let secs = 1_440_938_160 + m * 60;
    UNIX_EPOCH + Duration::from_secs(secs as u64)
}

pub fn keys() -> HashMap<String, Arc<Credential>> {
    let mut keys = HashMap::new();
    keys.insert(
        ACCESS_KEY.to_string(),
        Arc::new(Credential {
            secret_key: SecretKey::new(SECRET),
            account_id: ACCOUNT.to_string(),
        }),
    );
    keys
}

/// A request as it arrives: what the SDK signed plus the `Host` header the
/// HTTP client adds from the URL.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Received {
    pub fn as_signed(&self) -> SignedRequest<'_> {
        SignedRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }

    pub fn verify_with(
        &self,
        verifier: &Verifier,
        now: SystemTime,
    ) -> Result<carillon_sigv4::Identity, AuthError> {
        verifier.verify(&self.as_signed(), &keys(), now)
    }

    pub fn verify_at(&self, now: SystemTime) -> Result<carillon_sigv4::Identity, AuthError> {
        self.verify_with(&Verifier::new("chime"), now)
    }

    pub fn verify(&self) -> Result<carillon_sigv4::Identity, AuthError> {
        self.verify_at(t0())
    }

    pub fn authorization(&self) -> String {
        self.headers["authorization"].to_str().unwrap().to_owned()
    }

    pub fn set_authorization(&mut self, value: &str) {
        self.headers
            .insert("authorization", HeaderValue::from_str(value).unwrap());
    }

    pub fn signature(&self) -> String {
        let auth = self.authorization();
        auth.rsplit_once("Signature=").unwrap().1.to_owned()
    }
}

/// How to sign.
pub struct Signer<'a> {
    pub access_key: &'a str,
    pub secret: &'a str,
    pub session_token: Option<&'a str>,
    pub service: &'a str,
    pub region: &'a str,
    pub time: SystemTime,
    pub settings: SigningSettings,
    pub unsigned_payload: bool,
}

impl Default for Signer<'_> {
    fn default() -> Self {
        Signer {
            access_key: ACCESS_KEY,
            secret: SECRET,
            session_token: None,
            service: "chime",
            region: "us-east-1",
            time: t0(),
            settings: SigningSettings::default(),
            unsigned_payload: false,
        }
    }
}

impl Signer<'_> {
    /// Signs `method https://HOST{path_and_query}` with the given headers and
    /// body, the way the Rust SDK does, and returns it as received.
    pub fn sign(
        self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Received {
        let uri = format!("https://{HOST}{path_and_query}");
        let mut builder = http::Request::builder().method(method).uri(&uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let mut request = builder.body(body.to_vec()).unwrap();

        let identity: Identity = Credentials::new(
            self.access_key,
            self.secret,
            self.session_token.map(str::to_owned),
            None,
            "test",
        )
        .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(self.region)
            .name(self.service)
            .time(self.time)
            .settings(self.settings)
            .build()
            .unwrap()
            .into();
        let body = if self.unsigned_payload {
            SignableBody::UnsignedPayload
        } else {
            SignableBody::Bytes(request.body())
        };
        let signable = SignableRequest::new(
            request.method().as_str(),
            request.uri().to_string(),
            request
                .headers()
                .iter()
                .map(|(k, v)| (k.as_str(), v.to_str().unwrap())),
            body,
        )
        .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        instructions.apply_to_request_http1x(&mut request);

        let mut headers = request.headers().clone();
        headers.insert("host", HeaderValue::from_static(HOST));
        Received {
            method: request.method().to_string(),
            path: request.uri().path().to_owned(),
            query: request.uri().query().unwrap_or("").to_owned(),
            headers,
            body: request.body().clone(),
        }
    }
}

/// A typical Chime SDK Meetings call, signed by the SDK's signer.
pub fn create_attendee() -> Received {
    Signer::default().sign(
        "POST",
        "/meetings/5b6d8f3e-0c1a-4b7e-9d2f-3a4b5c6d7e8f/attendees",
        &[
            ("content-type", "application/json"),
            ("x-amz-user-agent", "aws-sdk-rust/1.0"),
            ("user-agent", "aws-sdk-rust/1.0 os/linux"),
        ],
        br#"{"ExternalUserId":"user-1"}"#,
    )
}

/// Asserts the error's name, status, and that it repeats no secret.
pub fn assert_refused(
    result: Result<carillon_sigv4::Identity, AuthError>,
    code: &str,
    status: u16,
) -> String {
    let err = result.expect_err("the request should be refused");
    assert_eq!(err.code(), code, "{err}");
    assert_eq!(err.status(), status, "{err}");
    let msg = err.to_string();
    assert!(!msg.contains(SECRET), "{msg}");
    assert!(!msg.contains("Signature="), "{msg}");
    msg
}
