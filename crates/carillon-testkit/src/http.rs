//! The raw HTTP/1.1 client of the tests, for what the AWS SDK cannot send: requests written byte
//! for byte (broken framing, invalid UTF-8 in the target, duplicate headers), unsigned or signed
//! and then tampered with, or signed over a body other than the one sent.
//!
//! A request is rendered to bytes for one address and exchanged on a fresh connection; the
//! exchange tolerates resets and reports a connection closed without an answer, or none at all.

use std::net::SocketAddr;
use std::time::SystemTime;

use crate::sigv4::{Credentials, Signer};

mod exchange;

pub use exchange::{
    check_error_body, dechunk, exchange, read_head, send_http, Outcome, RawResponse,
    FRONT_DOOR_ERRORS,
};

/// How a request is authenticated when it is rendered.
#[derive(Clone, Debug)]
pub enum Auth {
    /// No `Authorization` header (or one the test wrote itself).
    None,
    /// Signed with the official `aws-sigv4` signer as this says (right or deliberately wrong).
    #[cfg(feature = "sdk")]
    Sdk(crate::Signing),
    /// Signed by [`Signer`] over the exact bytes of the target, with these credentials (the
    /// official signer reads queries as text and replaces invalid UTF-8, so it cannot sign
    /// those).
    Spec(Credentials),
}

/// The `Content-Length` header.
#[derive(Clone, Debug)]
pub enum Length {
    /// The length of the body sent, unless the headers have one.
    Auto,
    /// No `Content-Length` header.
    Omit,
    /// This text, whatever the body.
    Value(String),
}

/// An HTTP/1.1 request to send as it is. Unless told otherwise, rendering adds `Host` (first),
/// `Content-Length` and `Connection: close`, and signs nothing.
#[derive(Debug, Clone)]
pub struct RawRequest {
    pub method: String,
    /// The request target as the signer sees it (and as sent, unless `raw_target` is set).
    pub path_and_query: String,
    /// The request target as sent, when it differs from `path_and_query`.
    pub raw_target: Option<Vec<u8>>,
    pub version: String,
    /// Headers, signed when the request is (except those a signer never signs).
    pub headers: Vec<(String, String)>,
    /// Raw header lines (without CRLF) written after the headers, never signed.
    pub lines: Vec<Vec<u8>>,
    pub body: Vec<u8>,
    /// The body the signer sees, when it differs from the one sent.
    pub signed_body: Option<Vec<u8>>,
    pub length: Length,
    /// Adds `Connection: close`.
    pub close: bool,
    /// Sends the `Host` header (it is signed all the same).
    pub host: bool,
    pub auth: Auth,
    /// Shut the sending side once everything is written.
    pub half_close: bool,
    /// Bytes written after the body: a pipelined second request, garbage.
    pub trailer: Vec<u8>,
}

impl RawRequest {
    pub fn new(method: &str, path_and_query: &str) -> Self {
        RawRequest {
            method: method.into(),
            path_and_query: path_and_query.into(),
            raw_target: None,
            version: "HTTP/1.1".into(),
            headers: Vec::new(),
            lines: Vec::new(),
            body: Vec::new(),
            signed_body: None,
            length: Length::Auto,
            close: true,
            host: true,
            auth: Auth::None,
            half_close: false,
            trailer: Vec::new(),
        }
    }

    /// Sets a JSON body and its content type (nothing for an empty string).
    pub fn json_body(self, body: &str) -> Self {
        if body.is_empty() {
            self
        } else {
            self.json(body)
        }
    }

    /// A body of any bytes, with `Content-Type: application/json`.
    pub fn json(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.headers
            .push(("content-type".into(), "application/json".into()));
        self.body = body.into();
        self
    }

    /// Sets or removes the content type.
    pub fn content_type(mut self, value: Option<&str>) -> Self {
        self.headers
            .retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
        if let Some(value) = value {
            self.headers.push(("content-type".into(), value.into()));
        }
        self
    }

    /// A header (signed when the request is).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// A raw header line, never signed.
    pub fn line(mut self, line: impl Into<Vec<u8>>) -> Self {
        self.lines.push(line.into());
        self
    }

    pub fn unsigned(mut self) -> Self {
        self.auth = Auth::None;
        self
    }

    /// Signed by the specification, with the example key for us-east-1 (see [`Auth::Spec`]).
    pub fn spec_signed(mut self) -> Self {
        self.auth = Auth::Spec(Credentials::default());
        self
    }

    pub fn length(mut self, length: Length) -> Self {
        self.length = length;
        self
    }

    pub fn keep_alive(mut self) -> Self {
        self.close = false;
        self
    }

    pub fn version(mut self, version: &str) -> Self {
        self.version = version.into();
        self
    }

    pub fn raw_target(mut self, target: impl Into<Vec<u8>>) -> Self {
        self.raw_target = Some(target.into());
        self
    }

    pub fn signed_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.signed_body = Some(body.into());
        self
    }

    pub fn no_host(mut self) -> Self {
        self.host = false;
        self
    }

    pub fn half_close(mut self) -> Self {
        self.half_close = true;
        self
    }

    pub fn trailer(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.trailer = bytes.into();
        self
    }

    /// Sends `raw` as a chunked body: no `Content-Length`, `Transfer-Encoding: chunked` (never
    /// signed), and the signature covers `decoded`.
    pub fn chunked(self, raw: impl Into<Vec<u8>>, decoded: impl Into<Vec<u8>>) -> Self {
        self.chunked_as("chunked", raw, decoded)
    }

    /// [`RawRequest::chunked`] with another `Transfer-Encoding` value.
    pub fn chunked_as(
        mut self,
        transfer_encoding: &str,
        raw: impl Into<Vec<u8>>,
        decoded: impl Into<Vec<u8>>,
    ) -> Self {
        self.body = raw.into();
        self.signed_body = Some(decoded.into());
        self.length = Length::Omit;
        self.lines
            .push(format!("transfer-encoding: {transfer_encoding}").into_bytes());
        self
    }

    fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    }

    /// The bytes to send to `addr` now: [`RawRequest::render_head`], the body and the trailer.
    pub fn render(&self, addr: SocketAddr) -> Vec<u8> {
        let mut out = self.render_head(addr);
        out.extend_from_slice(&self.body);
        out.extend_from_slice(&self.trailer);
        out
    }

    /// The request line and headers, up to the blank line, signed now as [`RawRequest::auth`]
    /// says.
    pub fn render_head(&self, addr: SocketAddr) -> Vec<u8> {
        let mut headers = self.headers.clone();
        if !self.has_header("host") {
            headers.insert(0, ("host".into(), addr.to_string()));
        }
        let signed_body = self.signed_body.as_deref().unwrap_or(&self.body);
        let target = match &self.auth {
            Auth::None => self.path_and_query.clone(),
            #[cfg(feature = "sdk")]
            Auth::Sdk(signing) => {
                let signed = RawRequest {
                    headers,
                    body: signed_body.to_vec(),
                    ..RawRequest::new(&self.method, &self.path_and_query)
                }
                .sign_for(signing, addr);
                headers = signed.headers;
                // A presigned request carries its signature in the query.
                signed.path_and_query
            }
            Auth::Spec(credentials) => {
                let raw = self
                    .raw_target
                    .as_deref()
                    .unwrap_or(self.path_and_query.as_bytes());
                let pairs: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let signature = Signer::new(credentials.clone()).sign(
                    &self.method,
                    raw,
                    &pairs,
                    signed_body,
                    SystemTime::now(),
                );
                headers.extend(signature.headers());
                self.path_and_query.clone()
            }
        };
        if !self.host {
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case("host"));
        }

        let mut out = Vec::with_capacity(1024);
        out.extend_from_slice(self.method.as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.raw_target.as_deref().unwrap_or(target.as_bytes()));
        out.push(b' ');
        out.extend_from_slice(self.version.as_bytes());
        out.extend_from_slice(b"\r\n");
        for (name, value) in &headers {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        for line in &self.lines {
            out.extend_from_slice(line);
            out.extend_from_slice(b"\r\n");
        }
        match &self.length {
            Length::Auto if !self.has_header("content-length") => {
                out.extend_from_slice(format!("content-length: {}\r\n", self.body.len()).as_bytes())
            }
            Length::Auto | Length::Omit => {}
            Length::Value(v) => {
                out.extend_from_slice(format!("content-length: {v}\r\n").as_bytes())
            }
        }
        if self.close {
            out.extend_from_slice(b"connection: close\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out
    }
}
