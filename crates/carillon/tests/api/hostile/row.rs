//! What a row is, what it must get back, and the requests and bodies rows are made of.

use std::time::SystemTime;

use carillon_testkit::sigv4::amz_date;
use carillon_testkit::{create_meeting_body_with, Api, Auth, RawRequest, ACCESS_KEY_ID};

/// A meeting id that no meeting has.
pub(super) const UNKNOWN: &str = "0c4a6a8e-5b8d-4d16-9e2a-3f1f7c1a9b11";
/// The largest body the server reads.
pub(super) const BODY_LIMIT: usize = 1024 * 1024;

/// What a row must get back.
#[derive(Clone, Copy, Debug)]
pub(super) enum Expect {
    /// A modeled error from the API: status, `x-amzn-ErrorType`, the AWS error body.
    Api(u16, &'static str),
    /// Success with this status (the input was valid after all).
    Ok(u16),
    /// Refused by the HTTP layer before the API: this status, no `x-amzn-ErrorType`.
    Http(u16),
    /// The connection closes without a response.
    Closed,
}

pub(super) const BAD_REQUEST: Expect = Expect::Api(400, "BadRequestException");
pub(super) const NOT_FOUND: Expect = Expect::Api(404, "NotFoundException");
pub(super) const UNSUPPORTED_MEDIA_TYPE: Expect = Expect::Api(415, "UnsupportedMediaTypeException");
pub(super) const INCOMPLETE_SIGNATURE: Expect = Expect::Api(400, "IncompleteSignatureException");
pub(super) const INVALID_SIGNATURE: Expect = Expect::Api(403, "InvalidSignatureException");
pub(super) const MISSING_TOKEN: Expect = Expect::Api(403, "MissingAuthenticationTokenException");

pub(super) enum Wire {
    Req(Box<RawRequest>),
    /// Bytes as they are (no signing, no added headers).
    Raw {
        bytes: Vec<u8>,
        half_close: bool,
    },
}

pub(super) struct Row {
    pub(super) name: String,
    pub(super) api: Api,
    pub(super) wire: Wire,
    pub(super) expect: Expect,
}

impl Row {
    pub(super) fn legacy(mut self) -> Self {
        self.api = Api::Legacy;
        self.name = format!("legacy: {}", self.name);
        self
    }

    /// How the row authenticates, for the report.
    pub(super) fn auth(&self) -> &'static str {
        match &self.wire {
            Wire::Raw { .. } => "raw",
            Wire::Req(req) => match &req.auth {
                Auth::None => "unsigned",
                Auth::Sdk(_) => "signed",
                Auth::Spec(_) => "signed (spec)",
            },
        }
    }

    pub(super) fn method(&self) -> Option<&str> {
        match &self.wire {
            Wire::Req(req) => Some(&req.method),
            Wire::Raw { .. } => None,
        }
    }
}

pub(super) fn row(name: &str, req: RawRequest, expect: Expect) -> Row {
    Row {
        name: name.into(),
        api: Api::Current,
        wire: Wire::Req(Box::new(req)),
        expect,
    }
}

pub(super) fn raw(name: &str, bytes: impl Into<Vec<u8>>, half_close: bool, expect: Expect) -> Row {
    Row {
        name: name.into(),
        api: Api::Current,
        wire: Wire::Raw {
            bytes: bytes.into(),
            half_close,
        },
        expect,
    }
}

/// A request signed with the official signer (for the listener it is sent to), with the
/// example key for us-east-1.
pub(super) fn req(method: &str, target: &str) -> RawRequest {
    RawRequest::new(method, target).signed()
}

pub(super) fn get(target: &str) -> RawRequest {
    req("GET", target)
}

pub(super) fn post(target: &str, body: impl Into<Vec<u8>>) -> RawRequest {
    req("POST", target).json(body)
}

/// CreateAttendee on a meeting that does not exist: a valid body gets 404.
pub(super) fn attendee(body: impl Into<Vec<u8>>) -> RawRequest {
    post(&format!("/meetings/{UNKNOWN}/attendees"), body)
}

pub(super) fn create_meeting(extra: &str) -> RawRequest {
    post(
        "/meetings",
        create_meeting_body_with("tok-hostile", "ext-hostile", extra),
    )
}

pub(super) fn max_count(raw_number: &str) -> RawRequest {
    create_meeting(&format!(
        r#","MeetingFeatures":{{"Attendee":{{"MaxCount":{raw_number}}}}}"#
    ))
}

pub(super) fn attendees_json(count: usize) -> String {
    let items: Vec<String> = (0..count)
        .map(|i| format!(r#"{{"ExternalUserId":"user-{i}"}}"#))
        .collect();
    format!("[{}]", items.join(","))
}

pub(super) fn tags_json(count: usize) -> String {
    let items: Vec<String> = (0..count)
        .map(|i| format!(r#"{{"Key":"k{i}","Value":"v"}}"#))
        .collect();
    format!("[{}]", items.join(","))
}

pub(super) fn arn(id: &str) -> String {
    format!("arn:aws:chime:us-east-1:123456789012:meeting/{id}")
}

/// A chunked encoding of `body` in pieces of `size` bytes.
pub(super) fn chunked(body: &[u8], size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in body.chunks(size) {
        out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

/// An `Authorization` header of the right form for today, with this signature and these signed
/// headers (it verifies as nothing).
pub(super) fn forged_authorization(signed_headers: &str, signature: &str) -> String {
    let date = &amz_date(SystemTime::now())[..8];
    format!(
        "authorization: AWS4-HMAC-SHA256 Credential={}/{date}/us-east-1/chime/aws4_request, SignedHeaders={signed_headers}, Signature={signature}",
        ACCESS_KEY_ID
    )
}

pub(super) fn now_line() -> String {
    format!("x-amz-date: {}", amz_date(SystemTime::now()))
}

pub(super) fn nested(depth: usize, open: &str, close: &str) -> String {
    let mut s = String::with_capacity(depth * (open.len() + close.len()));
    for _ in 0..depth {
        s.push_str(open);
    }
    for _ in 0..depth {
        s.push_str(close);
    }
    s
}
