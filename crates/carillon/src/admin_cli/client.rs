//! The admin listener's HTTP client: JSON requests with the bearer token, and answers read as
//! JSON, or as a stream of server-sent events.

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use super::Failure;

/// A request body: a JSON document, or a file streamed as it is read.
pub type Body = BoxBody<Bytes, std::io::Error>;

pub struct AdminClient {
    base: String,
    token: String,
    http: Client<HttpConnector, Body>,
}

impl AdminClient {
    /// A client of the admin listener at `url` (`http://host:port`, no path).
    pub fn new(url: &str, token: &str) -> Result<Self, Failure> {
        let base = url.trim_end_matches('/');
        let parsed: hyper::Uri = base
            .parse()
            .map_err(|_| Failure::usage(format!("{url:?} is not a URL")))?;
        if parsed.scheme_str() != Some("http") || parsed.host().is_none() {
            return Err(Failure::usage(format!(
                "{url:?}: the admin URL is http://HOST:PORT (the admin listener speaks plain HTTP)"
            )));
        }
        Ok(AdminClient {
            base: base.to_owned(),
            token: token.to_owned(),
            http: Client::builder(TokioExecutor::new()).build_http(),
        })
    }

    /// The admin listener's URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends one request and returns the answer's head and body stream; a refusal (any status
    /// but 2xx) is a [`Failure`] with the server's message.
    pub async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&Value>,
    ) -> Result<Response<Incoming>, Failure> {
        match body {
            Some(body) => {
                let body = full(Bytes::from(body.to_string()));
                self.send_body(method, path_and_query, "application/json", body)
                    .await
            }
            None => {
                let body = full(Bytes::new());
                self.send_body(method, path_and_query, "application/json", body)
                    .await
            }
        }
    }

    /// As [`AdminClient::send`], with a body of this content type.
    pub async fn send_body(
        &self,
        method: Method,
        path_and_query: &str,
        content_type: &str,
        body: Body,
    ) -> Result<Response<Incoming>, Failure> {
        let uri = format!("{}{path_and_query}", self.base);
        let request = Request::builder()
            .method(method)
            .uri(&uri)
            .header("authorization", format!("Bearer {}", self.token))
            .header("content-type", content_type)
            .body(body)
            .map_err(|e| Failure::usage(format!("{uri}: {e}")))?;
        let response = self
            .http
            .request(request)
            .await
            .map_err(|e| Failure::unreachable(&self.base, &e))?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status();
        let body = read_all(response).await?;
        let message = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
        Err(Failure::refused(status, message))
    }

    /// One request answered with JSON.
    pub async fn json(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&Value>,
    ) -> Result<Value, Failure> {
        let response = self.send(method, path_and_query, body).await?;
        read_json(response).await
    }
}

fn full(bytes: Bytes) -> Body {
    Full::new(bytes).map_err(|never| match never {}).boxed()
}

/// The answer's body as JSON.
pub async fn read_json(response: Response<Incoming>) -> Result<Value, Failure> {
    let body = read_all(response).await?;
    serde_json::from_slice(&body).map_err(|e| {
        Failure::protocol(format!(
            "the admin listener answered something else than JSON: {e}"
        ))
    })
}

async fn read_all(response: Response<Incoming>) -> Result<Bytes, Failure> {
    response
        .into_body()
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .map_err(|e| Failure::protocol(format!("the answer broke off: {e}")))
}

/// Whether `status` says the token was wrong.
pub fn is_unauthorized(status: StatusCode) -> bool {
    status == StatusCode::UNAUTHORIZED
}
