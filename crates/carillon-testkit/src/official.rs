//! Raw requests signed with the official `aws-sigv4` signer, as AWS SDKs sign them: what the
//! server accepts from an SDK, it must accept here; and the deliberately wrong variants (another
//! key, region, service or time, a presigned URL, a session token).

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use crate::http::{Auth, RawRequest, RawResponse};
use crate::server::{Api, Server};
use crate::sigv4::percent_encode;
use crate::{ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, SIGNING_NAME};

/// Who signs, for which region and service, and when.
#[derive(Debug, Clone)]
pub struct Signing {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub region: String,
    pub service: String,
    pub time: SystemTime,
    /// Signed as `X-Amz-Security-Token`.
    pub session_token: Option<String>,
    /// Sign in the query string (a presigned URL) valid for this long, instead of a header.
    pub presign: Option<Duration>,
}

impl Default for Signing {
    fn default() -> Self {
        Signing {
            access_key_id: ACCESS_KEY_ID.into(),
            secret_access_key: SECRET_ACCESS_KEY.into(),
            region: REGION.into(),
            service: SIGNING_NAME.into(),
            time: SystemTime::now(),
            session_token: None,
            presign: None,
        }
    }
}

impl RawRequest {
    /// Signs the request now with `aws-sigv4` (host, content type and date are signed) and
    /// returns it with the `Authorization` and `X-Amz-Date` headers added, ready to be
    /// tampered with.
    pub fn sign(self, signing: &Signing, server: &Server) -> Self {
        self.sign_for(signing, server.addr)
    }

    /// [`RawRequest::sign`] for a request to `addr` (the `Host` it signs unless one is set).
    pub fn sign_for(mut self, signing: &Signing, addr: SocketAddr) -> Self {
        let host = addr.to_string();
        if !self
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("host"))
        {
            self.headers.push(("host".into(), host.clone()));
        }
        let uri = format!("http://{host}{}", self.path_and_query);
        let identity = aws_credential_types::Credentials::new(
            signing.access_key_id.clone(),
            signing.secret_access_key.clone(),
            signing.session_token.clone(),
            None,
            "test",
        )
        .into();
        let mut settings = aws_sigv4::http_request::SigningSettings::default();
        if let Some(expires_in) = signing.presign {
            settings.signature_location = aws_sigv4::http_request::SignatureLocation::QueryParams;
            settings.expires_in = Some(expires_in);
        }
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&signing.region)
            .name(&signing.service)
            .time(signing.time)
            .settings(settings)
            .build()
            .expect("signing params")
            .into();
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let signable = aws_sigv4::http_request::SignableRequest::new(
            &self.method,
            uri,
            headers.into_iter(),
            aws_sigv4::http_request::SignableBody::Bytes(&self.body),
        )
        .expect("signable request");
        let (instructions, _signature) = aws_sigv4::http_request::sign(signable, &params)
            .expect("signing")
            .into_parts();
        let added: Vec<(String, String)> = instructions
            .headers()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.headers.extend(added);
        for (name, value) in instructions.params() {
            let sep = if self.path_and_query.contains('?') {
                '&'
            } else {
                '?'
            };
            self.path_and_query
                .push_str(&format!("{sep}{name}={}", percent_encode(value.as_bytes())));
        }
        self
    }

    /// Signed with the official signer when rendered (for the address it is sent to), with the
    /// example key for us-east-1.
    pub fn signed(self) -> Self {
        self.signed_as(Signing::default())
    }

    /// Signed with the official signer when rendered, as `signing` says.
    pub fn signed_as(mut self, signing: Signing) -> Self {
        self.auth = Auth::Sdk(signing);
        self
    }
}

impl Server {
    /// Sends a request signed with the first account's key for us-east-1.
    pub async fn signed(&self, method: &str, path_and_query: &str, body: &str) -> RawResponse {
        self.signed_to(Api::Current, method, path_and_query, body)
            .await
    }

    /// [`Server::signed`] to the legacy API.
    pub async fn legacy_signed(
        &self,
        method: &str,
        path_and_query: &str,
        body: &str,
    ) -> RawResponse {
        self.signed_to(Api::Legacy, method, path_and_query, body)
            .await
    }

    /// Sends a request to one API, signed with the first account's key for us-east-1.
    pub async fn signed_to(
        &self,
        api: Api,
        method: &str,
        path_and_query: &str,
        body: &str,
    ) -> RawResponse {
        self.signed_as(api, &Signing::default(), method, path_and_query, body)
            .await
    }

    /// Sends a request to one API, signed as `signing` says.
    pub async fn signed_as(
        &self,
        api: Api,
        signing: &Signing,
        method: &str,
        path_and_query: &str,
        body: &str,
    ) -> RawResponse {
        let req = RawRequest::new(method, path_and_query)
            .json_body(body)
            .sign_for(signing, self.addr_of(api));
        self.send_to(api, &req).await
    }
}
