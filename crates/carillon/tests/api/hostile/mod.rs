//! Hostile input over raw TCP: a table of malformed and malicious requests sent byte for byte to
//! a real server. Most rows are signed correctly so that they get past SigV4 and reach routing,
//! decoding and validation. Each row states the answer: a modeled error (status and
//! `x-amzn-ErrorType`), a success where the input is in fact valid, or, for requests that the
//! HTTP layer refuses before the API sees them, that layer's status or a closed connection.
//! Never a 5xx, a panic or a hang: after every row `GET /health` must answer 200 on both
//! listeners, and at the end the process must still be alive with nothing alarming logged.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use carillon_testkit::sigv4::{amz_date, sha256_hex};
use carillon_testkit::{create_meeting_body, create_meeting_body_with, exchange, send_http};
use carillon_testkit::{Api, Auth, Length, Options, Outcome, RawRequest, RawResponse};
use carillon_testkit::{Server, Signing, ACCESS_KEY_ID};

/// A meeting id that no meeting has.
const UNKNOWN: &str = "0c4a6a8e-5b8d-4d16-9e2a-3f1f7c1a9b11";
/// The largest body the server reads.
const BODY_LIMIT: usize = 1024 * 1024;

/// What a row must get back.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// A modeled error from the API: status, `x-amzn-ErrorType`, the AWS error body.
    Api(u16, &'static str),
    /// Success with this status (the input was valid after all).
    Ok(u16),
    /// Refused by the HTTP layer before the API: this status, no `x-amzn-ErrorType`.
    Http(u16),
    /// The connection closes without a response.
    Closed,
}

const BAD_REQUEST: Expect = Expect::Api(400, "BadRequestException");
const NOT_FOUND: Expect = Expect::Api(404, "NotFoundException");
const INCOMPLETE_SIGNATURE: Expect = Expect::Api(400, "IncompleteSignatureException");
const INVALID_SIGNATURE: Expect = Expect::Api(403, "InvalidSignatureException");
const MISSING_TOKEN: Expect = Expect::Api(403, "MissingAuthenticationTokenException");

enum Wire {
    Req(Box<RawRequest>),
    /// Bytes as they are (no signing, no added headers).
    Raw {
        bytes: Vec<u8>,
        half_close: bool,
    },
}

struct Row {
    name: String,
    api: Api,
    wire: Wire,
    expect: Expect,
}

impl Row {
    fn legacy(mut self) -> Self {
        self.api = Api::Legacy;
        self.name = format!("legacy: {}", self.name);
        self
    }

    /// How the row authenticates, for the report.
    fn auth(&self) -> &'static str {
        match &self.wire {
            Wire::Raw { .. } => "raw",
            Wire::Req(req) => match &req.auth {
                Auth::None => "unsigned",
                Auth::Sdk(_) => "signed",
                Auth::Spec(_) => "signed (spec)",
            },
        }
    }

    fn method(&self) -> Option<&str> {
        match &self.wire {
            Wire::Req(req) => Some(&req.method),
            Wire::Raw { .. } => None,
        }
    }
}

fn row(name: &str, req: RawRequest, expect: Expect) -> Row {
    Row {
        name: name.into(),
        api: Api::Current,
        wire: Wire::Req(Box::new(req)),
        expect,
    }
}

fn raw(name: &str, bytes: impl Into<Vec<u8>>, half_close: bool, expect: Expect) -> Row {
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

// ---------------------------------------------------------------------------------------------
// Bodies and requests
// ---------------------------------------------------------------------------------------------

/// A request signed with the official signer (for the listener it is sent to), with the
/// example key for us-east-1.
fn req(method: &str, target: &str) -> RawRequest {
    RawRequest::new(method, target).signed()
}

fn get(target: &str) -> RawRequest {
    req("GET", target)
}

fn post(target: &str, body: impl Into<Vec<u8>>) -> RawRequest {
    req("POST", target).json(body)
}

/// CreateAttendee on a meeting that does not exist: a valid body gets 404.
fn attendee(body: impl Into<Vec<u8>>) -> RawRequest {
    post(&format!("/meetings/{UNKNOWN}/attendees"), body)
}

fn create_meeting(extra: &str) -> RawRequest {
    post(
        "/meetings",
        create_meeting_body_with("tok-hostile", "ext-hostile", extra),
    )
}

fn max_count(raw_number: &str) -> RawRequest {
    create_meeting(&format!(
        r#","MeetingFeatures":{{"Attendee":{{"MaxCount":{raw_number}}}}}"#
    ))
}

fn attendees_json(count: usize) -> String {
    let items: Vec<String> = (0..count)
        .map(|i| format!(r#"{{"ExternalUserId":"user-{i}"}}"#))
        .collect();
    format!("[{}]", items.join(","))
}

fn tags_json(count: usize) -> String {
    let items: Vec<String> = (0..count)
        .map(|i| format!(r#"{{"Key":"k{i}","Value":"v"}}"#))
        .collect();
    format!("[{}]", items.join(","))
}

fn arn(id: &str) -> String {
    format!("arn:aws:chime:us-east-1:123456789012:meeting/{id}")
}

/// A chunked encoding of `body` in pieces of `size` bytes.
fn chunked(body: &[u8], size: usize) -> Vec<u8> {
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
fn forged_authorization(signed_headers: &str, signature: &str) -> String {
    let date = &amz_date(SystemTime::now())[..8];
    format!(
        "authorization: AWS4-HMAC-SHA256 Credential={}/{date}/us-east-1/chime/aws4_request, SignedHeaders={signed_headers}, Signature={signature}",
        ACCESS_KEY_ID
    )
}

fn now_line() -> String {
    format!("x-amz-date: {}", amz_date(SystemTime::now()))
}

fn nested(depth: usize, open: &str, close: &str) -> String {
    let mut s = String::with_capacity(depth * (open.len() + close.len()));
    for _ in 0..depth {
        s.push_str(open);
    }
    for _ in 0..depth {
        s.push_str(close);
    }
    s
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

fn json_rows() -> Vec<Row> {
    let mut rows = vec![
        row("json: a valid body reaches the service (control)", attendee(r#"{"ExternalUserId":"user-1"}"#), NOT_FOUND),
        row("json: truncated inside a string", attendee(r#"{"ExternalUserId":"us"#), BAD_REQUEST),
        row("json: truncated after a colon", attendee(r#"{"ExternalUserId":"#), BAD_REQUEST),
        row("json: a lone opening brace", attendee("{"), BAD_REQUEST),
        row("json: trailing garbage", attendee(r#"{"ExternalUserId":"user-1"}xyz"#), BAD_REQUEST),
        row("json: two objects", attendee(r#"{"ExternalUserId":"user-1"}{}"#), BAD_REQUEST),
        row("json: trailing comma", attendee(r#"{"ExternalUserId":"user-1",}"#), BAD_REQUEST),
        row("json: single quotes", attendee("{'ExternalUserId':'user-1'}"), BAD_REQUEST),
        row("json: unquoted key", attendee(r#"{ExternalUserId:"user-1"}"#), BAD_REQUEST),
        row("json: unterminated string", attendee(r#"{"ExternalUserId":"user-1}"#), BAD_REQUEST),
        row("json: invalid escape \\x", attendee(r#"{"ExternalUserId":"us\x41er"}"#), BAD_REQUEST),
        row("json: invalid \\u escape", attendee(r#"{"ExternalUserId":"us\u12G4er"}"#), BAD_REQUEST),
        row("json: lone high surrogate \\ud800", attendee(r#"{"ExternalUserId":"a\ud800b"}"#), BAD_REQUEST),
        row("json: lone low surrogate \\udc00", attendee(r#"{"ExternalUserId":"a\udc00b"}"#), BAD_REQUEST),
        row("json: high surrogate then a letter", attendee(r#"{"ExternalUserId":"\ud800\u0041"}"#), BAD_REQUEST),
        row("json: valid surrogate pair outside the documented characters", attendee(r#"{"ExternalUserId":"ab\ud83d\ude00"}"#), BAD_REQUEST),
        row("json: raw NUL byte inside a string", attendee(&b"{\"ExternalUserId\":\"ab\x00cd\"}"[..]), BAD_REQUEST),
        row("json: raw NUL byte between tokens", attendee(&b"{\"ExternalUserId\":\x00\"abcd\"}"[..]), BAD_REQUEST),
        row("json: raw newline inside a string", attendee(&b"{\"ExternalUserId\":\"ab\ncd\"}"[..]), BAD_REQUEST),
        row("json: escaped NUL in ExternalUserId", attendee(r#"{"ExternalUserId":"ab\u0000cd"}"#), BAD_REQUEST),
        row("json: UTF-8 byte order mark", attendee(&b"\xef\xbb\xbf{\"ExternalUserId\":\"user-1\"}"[..]), BAD_REQUEST),
        row(
            "json: UTF-16LE body",
            attendee(
                r#"{"ExternalUserId":"user-1"}"#
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes)
                    .collect::<Vec<u8>>(),
            ),
            BAD_REQUEST,
        ),
        row("json: invalid UTF-8 byte in a string", attendee(&b"{\"ExternalUserId\":\"ab\xffcd\"}"[..]), BAD_REQUEST),
        row("json: overlong UTF-8 in a string", attendee(&b"{\"ExternalUserId\":\"ab\xc0\xaecd\"}"[..]), BAD_REQUEST),
        row("json: UTF-8-encoded surrogate", attendee(&b"{\"ExternalUserId\":\"ab\xed\xa0\x80cd\"}"[..]), BAD_REQUEST),
        row("json: null body", attendee("null"), BAD_REQUEST),
        row("json: array body", attendee("[]"), BAD_REQUEST),
        row("json: string body", attendee(r#""ExternalUserId""#), BAD_REQUEST),
        row("json: number body", attendee("12"), BAD_REQUEST),
        row("json: whitespace-only body", attendee("  \r\n\t "), BAD_REQUEST),
        row("json: comment before the object", attendee(r#"/* x */{"ExternalUserId":"user-1"}"#), BAD_REQUEST),
        row("json: NaN", max_count("NaN"), BAD_REQUEST),
        row("json: empty body where a member is required", attendee(""), BAD_REQUEST),
        row("json: required member null", attendee(r#"{"ExternalUserId":null}"#), BAD_REQUEST),
        row("json: unknown members are ignored", attendee(r#"{"ExternalUserId":"user-1","Evil":{"$ne":1},"__proto__":{"admin":true}}"#), NOT_FOUND),
        row("json: duplicate key, the last one invalid", attendee(r#"{"ExternalUserId":"user-1","ExternalUserId":5}"#), BAD_REQUEST),
        row("json: duplicate key, the last one valid", attendee(r#"{"ExternalUserId":5,"ExternalUserId":"user-1"}"#), NOT_FOUND),
    ];
    // Structures of the wrong JSON type.
    rows.push(row(
        "json: Capabilities is an array",
        attendee(r#"{"ExternalUserId":"user-1","Capabilities":[]}"#),
        BAD_REQUEST,
    ));
    rows.push(row(
        "json: capability outside the enum",
        attendee(r#"{"ExternalUserId":"user-1","Capabilities":{"Audio":"SendReceive","Video":"All","Content":"None"}}"#),
        BAD_REQUEST,
    ));
    rows
}

fn nesting_rows() -> Vec<Row> {
    vec![
        row(
            "nesting: 10,000 unclosed arrays",
            attendee("[".repeat(10_000)),
            BAD_REQUEST,
        ),
        row(
            "nesting: 10,000 closed arrays",
            attendee(nested(10_000, "[", "]")),
            BAD_REQUEST,
        ),
        row(
            "nesting: 10,000 nested objects",
            attendee(format!(
                "{}1{}",
                r#"{"a":"#.repeat(10_000),
                "}".repeat(10_000)
            )),
            BAD_REQUEST,
        ),
        row(
            "nesting: 10,000 levels inside a modeled member",
            attendee(format!(
                r#"{{"ExternalUserId":"user-1","Capabilities":{}}}"#,
                nested(10_000, "[", "]")
            )),
            BAD_REQUEST,
        ),
        row(
            "nesting: 100 levels in an unknown member are ignored",
            attendee(format!(
                r#"{{"ExternalUserId":"user-1","Deep":{}}}"#,
                nested(100, "[", "]")
            )),
            NOT_FOUND,
        ),
        row(
            "nesting: 1,000,000 opening brackets (1 MB)",
            attendee("[".repeat(1_000_000)),
            BAD_REQUEST,
        ),
    ]
}

fn number_rows(meeting: &str) -> Vec<Row> {
    let list = |query: &str| get(&format!("/meetings/{meeting}/attendees?{query}"));
    vec![
        row("number: MaxCount 1e400", max_count("1e400"), BAD_REQUEST),
        row(
            "number: MaxCount 99999999999999999999",
            max_count("99999999999999999999"),
            BAD_REQUEST,
        ),
        row("number: MaxCount -1", max_count("-1"), BAD_REQUEST),
        row("number: MaxCount 0", max_count("0"), BAD_REQUEST),
        row("number: MaxCount -0", max_count("-0"), BAD_REQUEST),
        row(
            "number: MaxCount 2^31",
            max_count("2147483648"),
            BAD_REQUEST,
        ),
        row(
            "number: MaxCount -2^63-1",
            max_count("-9223372036854775809"),
            BAD_REQUEST,
        ),
        row("number: MaxCount 1.5", max_count("1.5"), BAD_REQUEST),
        row("number: MaxCount 10.0", max_count("10.0"), BAD_REQUEST),
        row("number: MaxCount 1e1", max_count("1e1"), BAD_REQUEST),
        row("number: MaxCount 1e-400", max_count("1e-400"), BAD_REQUEST),
        row(
            "number: MaxCount as a string",
            max_count(r#""10""#),
            BAD_REQUEST,
        ),
        row("number: MaxCount true", max_count("true"), BAD_REQUEST),
        row(
            "number: MaxCount with 10,000 digits",
            max_count(&"9".repeat(10_000)),
            BAD_REQUEST,
        ),
        row(
            "number: max-results=99999999999999999999",
            list("max-results=99999999999999999999"),
            BAD_REQUEST,
        ),
        row(
            "number: max-results=-1",
            list("max-results=-1"),
            BAD_REQUEST,
        ),
        row("number: max-results=0", list("max-results=0"), BAD_REQUEST),
        row(
            "number: max-results=101",
            list("max-results=101"),
            BAD_REQUEST,
        ),
        row(
            "number: max-results=1.5",
            list("max-results=1.5"),
            BAD_REQUEST,
        ),
        row(
            "number: max-results=+5",
            list("max-results=%2B5"),
            BAD_REQUEST,
        ),
        row(
            "number: max-results=0x10",
            list("max-results=0x10"),
            BAD_REQUEST,
        ),
        row(
            "number: max-results=1e1",
            list("max-results=1e1"),
            BAD_REQUEST,
        ),
        row(
            "number: max-results empty",
            list("max-results="),
            BAD_REQUEST,
        ),
        row(
            "number: max-results= 5 (spaces)",
            list("max-results=%205%20"),
            BAD_REQUEST,
        ),
        row(
            "number: max-results=5 is valid (control)",
            list("max-results=5"),
            Expect::Ok(200),
        ),
    ]
}

fn encoding_rows(meeting: &str) -> Vec<Row> {
    vec![
        row(
            "utf-8: raw 0xFF byte in the path",
            get("/meetings/x")
                .raw_target(&b"/meetings/\xff"[..])
                .spec_signed(),
            Expect::Http(400),
        ),
        row(
            "utf-8: raw 0xFF byte in the query",
            get(&format!("/meetings/{UNKNOWN}"))
                .raw_target([format!("/meetings/{UNKNOWN}?x=").as_bytes(), b"\xff"].concat())
                .spec_signed(),
            Expect::Http(400),
        ),
        row(
            "utf-8: %FF in a path label",
            get("/meetings/%FF"),
            BAD_REQUEST,
        ),
        row(
            "utf-8: overlong %C0%AE%C0%AE in the path",
            get("/meetings/%C0%AE%C0%AE"),
            BAD_REQUEST,
        ),
        row(
            "utf-8: encoded surrogate %ED%A0%80 in the path",
            get("/meetings/%ED%A0%80"),
            BAD_REQUEST,
        ),
        row(
            "utf-8: truncated sequence %E2%82 in the path",
            get("/meetings/%E2%82"),
            BAD_REQUEST,
        ),
        row(
            "utf-8: %FF in an unused query parameter",
            get(&format!("/meetings/{UNKNOWN}?x=%FF")).spec_signed(),
            BAD_REQUEST,
        ),
        row(
            "utf-8: overlong next-token",
            get(&format!("/meetings/{meeting}/attendees?next-token=%C0%AE")).spec_signed(),
            BAD_REQUEST,
        ),
        row(
            "utf-8: %FF in a query parameter name",
            get(&format!("/meetings/{UNKNOWN}?%FF=1")).spec_signed(),
            BAD_REQUEST,
        ),
        row(
            "encoding: malformed escape %zz in the path",
            get("/meetings/%zz"),
            BAD_REQUEST,
        ),
        row(
            "encoding: truncated escape %4 in the path",
            get("/meetings/%4"),
            BAD_REQUEST,
        ),
        row(
            "encoding: lone % at the end of the path",
            get("/meetings/abc%"),
            BAD_REQUEST,
        ),
        row(
            "encoding: malformed escape %zz in the query",
            get(&format!("/meetings/{UNKNOWN}?x=%zz")),
            BAD_REQUEST,
        ),
    ]
}

fn nul_rows(meeting: &str) -> Vec<Row> {
    vec![
        row(
            "nul: %00 as the meeting id",
            get("/meetings/%00"),
            BAD_REQUEST,
        ),
        row(
            "nul: %00 inside a GUID",
            get(&format!("/meetings/{}%00", &UNKNOWN[..35])),
            BAD_REQUEST,
        ),
        row(
            "nul: %00 as next-token",
            get(&format!("/meetings/{meeting}/attendees?next-token=%00%00")),
            BAD_REQUEST,
        ),
        row(
            "nul: %00 in the operation selector",
            post("/meetings?operation=create-attendees%00", "{}"),
            BAD_REQUEST,
        ),
        row(
            "nul: raw NUL in the request line",
            get("/meetings/x")
                .raw_target(&b"/meetings/\x00"[..])
                .spec_signed(),
            Expect::Http(400),
        ),
        row(
            "nul: NUL in a header value",
            get(&format!("/meetings/{UNKNOWN}")).line(&b"x-note: a\x00b"[..]),
            Expect::Http(400),
        ),
        row(
            "nul: NUL in a header name",
            get(&format!("/meetings/{UNKNOWN}")).line(&b"x-no\x00te: ab"[..]),
            Expect::Http(400),
        ),
        row(
            "nul: escaped NUL in ClientRequestToken",
            post(
                "/meetings",
                r#"{"ClientRequestToken":"tok\u0000x","MediaRegion":"us-east-1","ExternalMeetingId":"ext-1"}"#,
            ),
            BAD_REQUEST,
        ),
        row(
            "nul: escaped NUL in ExternalMeetingId",
            post(
                "/meetings",
                r#"{"ClientRequestToken":"tok-nul","MediaRegion":"us-east-1","ExternalMeetingId":"ext\u0000"}"#,
            ),
            BAD_REQUEST,
        ),
        row(
            "nul: escaped NUL in MediaRegion",
            post(
                "/meetings",
                r#"{"ClientRequestToken":"tok-nul","MediaRegion":"us-east-1\u0000","ExternalMeetingId":"ext-1"}"#,
            ),
            BAD_REQUEST,
        ),
        row(
            "nul: escaped NUL in a tag key",
            post(
                "/tags?operation=tag-resource",
                format!(
                    r#"{{"ResourceARN":"{}","Tags":[{{"Key":"k\u0000","Value":"v"}}]}}"#,
                    arn(meeting)
                ),
            ),
            BAD_REQUEST,
        ),
        row(
            "nul: escaped NUL in a resource ARN (valid by the model, no such resource)",
            post(
                "/tags?operation=tag-resource",
                format!(
                    r#"{{"ResourceARN":"{}\u0000","Tags":[{{"Key":"k","Value":"v"}}]}}"#,
                    arn(meeting)
                ),
            ),
            Expect::Api(404, "ResourceNotFoundException"),
        ),
    ]
}

fn size_rows() -> Vec<Row> {
    let valid = br#"{"ExternalUserId":"user-1"}"#;
    let padded = |len: usize| {
        let mut body = valid.to_vec();
        body.resize(len, b' ');
        body
    };
    let long_string = |len: usize| format!(r#"{{"ExternalUserId":"{}"}}"#, "a".repeat(len));
    let short_declared = attendee(&valid[..])
        .length(Length::Value((2 * BODY_LIMIT).to_string()))
        .half_close();
    vec![
        row(
            "size: exactly 1 MiB of valid JSON",
            attendee(padded(BODY_LIMIT)),
            NOT_FOUND,
        ),
        row(
            "size: 1 MiB + 1 byte",
            attendee(padded(BODY_LIMIT + 1)),
            BAD_REQUEST,
        ),
        row(
            "size: 2 MiB string",
            attendee(long_string(2 * BODY_LIMIT)),
            BAD_REQUEST,
        ),
        row(
            "size: 8 MiB string",
            attendee(long_string(8 * BODY_LIMIT)),
            BAD_REQUEST,
        ),
        row(
            "size: Content-Length of 2 MiB, 27 bytes sent",
            short_declared,
            BAD_REQUEST,
        ),
        row(
            "size: 900 KB ExternalUserId",
            attendee(long_string(900_000)),
            BAD_REQUEST,
        ),
        row(
            "size: 50,000 unknown members",
            attendee(format!(
                r#"{{{}"ExternalUserId":"user-1"}}"#,
                (0..50_000)
                    .map(|i| format!(r#""k{i}":{i},"#))
                    .collect::<String>()
            )),
            NOT_FOUND,
        ),
        row(
            "size: 500,000-character TenantId against a back-reference pattern",
            create_meeting(&format!(r#","TenantIds":["{}"]"#, "ab".repeat(250_000))),
            BAD_REQUEST,
        ),
        row(
            "size: 1,000 violations in one request",
            post(
                &format!("/meetings/{UNKNOWN}/attendees?operation=batch-create"),
                format!(
                    r#"{{"Attendees":[{}]}}"#,
                    vec![r#"{"ExternalUserId":"a"}"#; 1000].join(",")
                ),
            ),
            BAD_REQUEST,
        ),
    ]
}

fn array_rows(meeting: &str) -> Vec<Row> {
    let batch = |count: usize| {
        post(
            &format!("/meetings/{UNKNOWN}/attendees?operation=batch-create"),
            format!(r#"{{"Attendees":{}}}"#, attendees_json(count)),
        )
    };
    let excluded = |count: usize| {
        let ids: Vec<String> = (0..count)
            .map(|i| format!(r#"{{"AttendeeId":"{}{:012x}"}}"#, &UNKNOWN[..24], i))
            .collect();
        req(
            "PUT",
            &format!("/meetings/{UNKNOWN}/attendees/capabilities?operation=batch-update-except"),
        )
        .json(format!(
            r#"{{"ExcludedAttendeeIds":[{}],"Capabilities":{{"Audio":"SendReceive","Video":"None","Content":"None"}}}}"#,
            ids.join(",")
        ))
    };
    vec![
        row("array: 100 attendees (the maximum) reach the service", batch(100), NOT_FOUND),
        row("array: 101 attendees", batch(101), BAD_REQUEST),
        row("array: 10,000 attendees", batch(10_000), BAD_REQUEST),
        row("array: no attendees", batch(0), BAD_REQUEST),
        row("array: a null attendee", post(&format!("/meetings/{UNKNOWN}/attendees?operation=batch-create"), r#"{"Attendees":[null]}"#), BAD_REQUEST),
        row(
            "array: CreateMeetingWithAttendees with 21 attendees",
            req("POST", "/meetings?operation=create-attendees").json(format!(
                r#"{{"ClientRequestToken":"tok-h","MediaRegion":"us-east-1","ExternalMeetingId":"ext-h","Attendees":{}}}"#,
                attendees_json(21)
            )),
            BAD_REQUEST,
        ),
        row(
            "array: 51 tags",
            post("/tags?operation=tag-resource", format!(r#"{{"ResourceARN":"{}","Tags":{}}}"#, arn(meeting), tags_json(51))),
            BAD_REQUEST,
        ),
        row(
            "array: 51 tag keys",
            post(
                "/tags?operation=untag-resource",
                format!(r#"{{"ResourceARN":"{}","TagKeys":[{}]}}"#, arn(meeting), (0..51).map(|i| format!(r#""k{i}""#)).collect::<Vec<_>>().join(",")),
            ),
            BAD_REQUEST,
        ),
        row("array: 250 excluded attendee ids reach the service", excluded(250), NOT_FOUND),
        row("array: 251 excluded attendee ids", excluded(251), BAD_REQUEST),
        row("array: 6 tenant ids", create_meeting(r#","TenantIds":["t1","t2","t3","t4","t5","t6"]"#), BAD_REQUEST),
    ]
}

fn query_rows(meeting: &str) -> Vec<Row> {
    let list = |query: &str| get(&format!("/meetings/{meeting}/attendees?{query}"));
    vec![
        row(
            "query: operation=a&operation=b",
            post("/meetings?operation=a&operation=b", "{}"),
            BAD_REQUEST,
        ),
        row(
            "query: the same selector twice",
            post(
                "/meetings?operation=create-attendees&operation=create-attendees",
                "{}",
            ),
            BAD_REQUEST,
        ),
        row(
            "query: a right and a wrong selector",
            post(
                &format!("/meetings/{UNKNOWN}/attendees?operation=batch-create&operation=x"),
                r#"{"Attendees":[{"ExternalUserId":"user-1"}]}"#,
            ),
            BAD_REQUEST,
        ),
        row(
            "query: max-results=1&max-results=2",
            list("max-results=1&max-results=2"),
            BAD_REQUEST,
        ),
        row(
            "query: next-token twice",
            list("next-token=a&next-token=b"),
            BAD_REQUEST,
        ),
        row(
            "query: a garbage next-token",
            list("next-token=garbage"),
            BAD_REQUEST,
        ),
        row(
            "query: a 5,000-byte next-token",
            list(&format!("next-token={}", "A".repeat(5000))),
            BAD_REQUEST,
        ),
        row(
            "query: CRLF in next-token",
            list("next-token=a%0D%0Ab"),
            BAD_REQUEST,
        ),
        row(
            "query: a selector where the path has none",
            get(&format!("/meetings/{UNKNOWN}?operation=x")),
            BAD_REQUEST,
        ),
        row(
            "query: an operation parameter without a value",
            post("/meetings?operation", "{}"),
            BAD_REQUEST,
        ),
        row(
            "query: unknown parameters are ignored",
            get(&format!("/meetings/{UNKNOWN}?foo=bar&&&=x&y")),
            NOT_FOUND,
        ),
        row(
            "query: arn twice",
            get(&format!("/tags?arn={}&arn={}", arn(meeting), arn(UNKNOWN))),
            BAD_REQUEST,
        ),
        row("query: an empty arn", get("/tags?arn="), BAD_REQUEST),
        row("query: no arn", get("/tags"), BAD_REQUEST),
        row(
            "query: a newline in the arn",
            get("/tags?arn=arn:aws%0A"),
            BAD_REQUEST,
        ),
        row(
            "query: a carriage return in the arn",
            get(&format!("/tags?arn={}%0D", arn(meeting))),
            BAD_REQUEST,
        ),
        row(
            "query: response-splitting attempt",
            get(&format!("/meetings/{UNKNOWN}?x=%0D%0ASet-Cookie:%20a=b")),
            NOT_FOUND,
        ),
    ]
}

fn id_rows(meeting: &str, attendee: &str) -> Vec<Row> {
    vec![
        row(
            "id: %2e%2e as the meeting id",
            get("/meetings/%2e%2e"),
            BAD_REQUEST,
        ),
        row(
            "id: %2F inside the meeting id",
            get(&format!("/meetings/{UNKNOWN}%2Fattendees")),
            BAD_REQUEST,
        ),
        row(
            "id: double-encoded %252F",
            get("/meetings/%252F"),
            BAD_REQUEST,
        ),
        row(
            "id: double-encoded GUID",
            get(&format!("/meetings/{}", UNKNOWN.replace('-', "%252D"))),
            BAD_REQUEST,
        ),
        row(
            "id: upper-case GUID of no meeting",
            get(&format!("/meetings/{}", UNKNOWN.to_ascii_uppercase())),
            NOT_FOUND,
        ),
        row(
            "id: upper-case GUID of a meeting (ids are case-insensitive)",
            get(&format!("/meetings/{}", meeting.to_ascii_uppercase())),
            Expect::Ok(200),
        ),
        row(
            "id: percent-encoded GUID of a meeting",
            get(&format!("/meetings/{}", meeting.replace('-', "%2D"))),
            Expect::Ok(200),
        ),
        row(
            "id: GUID in encoded braces",
            get(&format!("/meetings/%7B{UNKNOWN}%7D")),
            BAD_REQUEST,
        ),
        row(
            "id: GUID in raw braces",
            get(&format!("/meetings/{{{UNKNOWN}}}")),
            BAD_REQUEST,
        ),
        row(
            "id: GUID with a trailing newline",
            get(&format!("/meetings/{meeting}%0A")),
            BAD_REQUEST,
        ),
        row(
            "id: GUID with a leading space",
            get(&format!("/meetings/%20{meeting}")),
            BAD_REQUEST,
        ),
        row(
            "id: GUID with a trailing dot",
            get(&format!("/meetings/{meeting}.")),
            BAD_REQUEST,
        ),
        row(
            "id: GUID with full-width digits",
            get(&format!("/meetings/{}", UNKNOWN.replace('0', "%EF%BC%90"))),
            BAD_REQUEST,
        ),
        row(
            "id: GUID with a Cyrillic a",
            get(&format!("/meetings/{}", UNKNOWN.replace('a', "%D0%B0"))),
            BAD_REQUEST,
        ),
        row(
            "id: GUID without dashes",
            get(&format!("/meetings/{}", UNKNOWN.replace('-', ""))),
            BAD_REQUEST,
        ),
        row(
            "id: 10,000-character id",
            get(&format!("/meetings/{}", "a".repeat(10_000))),
            BAD_REQUEST,
        ),
        row(
            "id: .. as the attendee id",
            get(&format!("/meetings/{meeting}/attendees/..")),
            BAD_REQUEST,
        ),
        row(
            "id: encoded traversal as the attendee id",
            get(&format!(
                "/meetings/{meeting}/attendees/%2e%2e%2f%2e%2e%2ftags"
            )),
            BAD_REQUEST,
        ),
        row(
            "id: the real attendee in upper case",
            get(&format!(
                "/meetings/{meeting}/attendees/{}",
                attendee.to_ascii_uppercase()
            )),
            Expect::Ok(200),
        ),
    ]
}

fn path_rows(meeting: &str) -> Vec<Row> {
    let many_segments = "/a".repeat(10_000);
    vec![
        row(
            "path: /meetings/../tags",
            get("/meetings/../tags"),
            Expect::Api(404, "NotFoundException"),
        ),
        row(
            "path: /meetings/./<id>",
            get(&format!("/meetings/./{UNKNOWN}")),
            NOT_FOUND,
        ),
        row("path: //meetings", post("//meetings", "{}"), NOT_FOUND),
        row(
            "path: /meetings//attendees",
            get("/meetings//attendees"),
            NOT_FOUND,
        ),
        row(
            "path: /meetings/ (trailing slash)",
            get("/meetings/"),
            NOT_FOUND,
        ),
        row(
            "path: /MEETINGS/<id> (literals are case-sensitive)",
            get(&format!("/MEETINGS/{meeting}")),
            NOT_FOUND,
        ),
        row(
            "path: /%6Deetings/<id> (an encoded literal)",
            get(&format!("/%6Deetings/{UNKNOWN}")),
            NOT_FOUND,
        ),
        row(
            "path: absolute-form target",
            get(&format!("/meetings/{UNKNOWN}"))
                .raw_target(format!("http://127.0.0.1/meetings/{UNKNOWN}").into_bytes()),
            NOT_FOUND,
        ),
        row("path: 10,000 segments", get(&many_segments), NOT_FOUND),
        row("path: unknown", get("/nope"), NOT_FOUND),
        row("path: root", get("/"), NOT_FOUND),
        row(
            "path: one segment too many",
            get(&format!(
                "/meetings/{UNKNOWN}/attendees/{UNKNOWN}/capabilities/extra"
            )),
            NOT_FOUND,
        ),
        row("path: /tags/extra", get("/tags/extra"), NOT_FOUND),
    ]
}

fn method_rows() -> Vec<Row> {
    let target = format!("/meetings/{UNKNOWN}");
    vec![
        row("method: PATCH", req("PATCH", &target), BAD_REQUEST),
        row("method: HEAD", req("HEAD", &target), BAD_REQUEST),
        row("method: OPTIONS", req("OPTIONS", "/meetings"), BAD_REQUEST),
        row("method: TRACE", req("TRACE", "/meetings"), BAD_REQUEST),
        row("method: lower-case get", req("get", &target), BAD_REQUEST),
        row(
            "method: an unknown method",
            req("FOO", &target),
            BAD_REQUEST,
        ),
        row(
            "method: a 4,096-character method",
            req(&"A".repeat(4096), &target),
            BAD_REQUEST,
        ),
        row(
            "method: PUT /meetings",
            req("PUT", "/meetings").json("{}"),
            BAD_REQUEST,
        ),
        row("method: DELETE /tags", req("DELETE", "/tags"), BAD_REQUEST),
        row(
            "method: a separator in the method",
            req("GE(T", &target).unsigned(),
            Expect::Http(400),
        ),
        raw(
            "method: OPTIONS * (asterisk form)",
            "OPTIONS * HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
            false,
            MISSING_TOKEN,
        ),
        raw(
            "method: CONNECT (authority form)",
            "CONNECT 127.0.0.1:9 HTTP/1.1\r\nhost: 127.0.0.1:9\r\nconnection: close\r\n\r\n",
            false,
            MISSING_TOKEN,
        ),
        row(
            "method: POST /health",
            req("POST", "/health").unsigned(),
            Expect::Http(405),
        ),
    ]
}

fn content_type_rows() -> Vec<Row> {
    let body = r#"{"ExternalUserId":"user-1"}"#;
    vec![
        row(
            "content-type: text/plain",
            attendee(body).content_type(Some("text/plain")),
            NOT_FOUND,
        ),
        row(
            "content-type: multipart/form-data",
            attendee(body).content_type(Some("multipart/form-data; boundary=xyz")),
            NOT_FOUND,
        ),
        row(
            "content-type: form-urlencoded",
            attendee(body).content_type(Some("application/x-www-form-urlencoded")),
            NOT_FOUND,
        ),
        row(
            "content-type: missing",
            attendee(body).content_type(None),
            NOT_FOUND,
        ),
        row(
            "content-type: 8 KiB of garbage",
            attendee(body).content_type(Some(&"x".repeat(8192))),
            NOT_FOUND,
        ),
        row(
            "content-type: a form body that is not JSON",
            attendee("ExternalUserId=user-1")
                .content_type(Some("application/x-www-form-urlencoded")),
            BAD_REQUEST,
        ),
    ]
}

fn length_rows() -> Vec<Row> {
    let body = br#"{"ExternalUserId":"user-1"}"#;
    let prefix = &body[..10];
    let longer = attendee(&body[..])
        .length(Length::Value("100".into()))
        .half_close();
    let max = attendee(&body[..])
        .length(Length::Value(u64::MAX.to_string()))
        .half_close();
    vec![
        row(
            "length: shorter than the body, signed over the whole body",
            attendee(&body[..]).length(Length::Value("10".into())),
            INVALID_SIGNATURE,
        ),
        row(
            "length: shorter than the body, signed over what is read",
            attendee(&body[..])
                .signed_body(prefix)
                .length(Length::Value("10".into())),
            BAD_REQUEST,
        ),
        row(
            "length: longer than the body, then end of input",
            longer,
            BAD_REQUEST,
        ),
        row("length: u64::MAX", max, Expect::Http(431)),
        row(
            "length: beyond u64",
            attendee(&body[..]).length(Length::Value("18446744073709551616".into())),
            Expect::Http(400),
        ),
        row(
            "length: not a number",
            attendee(&body[..]).length(Length::Value("abc".into())),
            Expect::Http(400),
        ),
        row(
            "length: negative",
            attendee(&body[..]).length(Length::Value("-1".into())),
            Expect::Http(400),
        ),
        row(
            "length: with a plus sign",
            attendee(&body[..]).length(Length::Value("+27".into())),
            Expect::Http(400),
        ),
        row(
            "length: two different values",
            attendee(&body[..]).line("content-length: 5"),
            Expect::Http(400),
        ),
        row(
            "length: a list of values",
            attendee(&body[..]).length(Length::Value("27, 27".into())),
            Expect::Http(400),
        ),
        row(
            "length: missing on a POST with a body",
            attendee(&body[..])
                .signed_body(Vec::new())
                .length(Length::Omit),
            BAD_REQUEST,
        ),
        row(
            "length: Content-Length and Transfer-Encoding together",
            attendee(&body[..])
                .chunked(chunked(body, 8), &body[..])
                .line("content-length: 27"),
            NOT_FOUND,
        ),
    ]
}

fn chunked_rows() -> Vec<Row> {
    let body = br#"{"ExternalUserId":"user-1"}"#;
    let mut unterminated = chunked(body, 8);
    unterminated.truncate(unterminated.len() - 5);
    let open = attendee(&body[..])
        .chunked(unterminated, &body[..])
        .half_close();
    let big = vec![b' '; 2 * BODY_LIMIT];
    vec![
        row(
            "chunked: a valid chunked body",
            attendee(&body[..]).chunked(chunked(body, 8), &body[..]),
            NOT_FOUND,
        ),
        row(
            "chunked: one byte per chunk",
            attendee(&body[..]).chunked(chunked(body, 1), &body[..]),
            NOT_FOUND,
        ),
        row(
            "chunked: extensions and trailers",
            attendee(&body[..]).chunked(
                format!(
                    "1b;name=value\r\n{}\r\n0\r\nx-trailer: t\r\n\r\n",
                    std::str::from_utf8(body).unwrap_or_default()
                ),
                &body[..],
            ),
            NOT_FOUND,
        ),
        row(
            "chunked: a size that is not hex",
            attendee(&body[..]).chunked(&b"zz\r\nabc\r\n0\r\n\r\n"[..], &body[..]),
            BAD_REQUEST,
        ),
        row(
            "chunked: a size beyond u64",
            attendee(&body[..]).chunked(&b"fffffffffffffffffff\r\nabc\r\n0\r\n\r\n"[..], &body[..]),
            BAD_REQUEST,
        ),
        row(
            "chunked: no last chunk, then end of input",
            open,
            BAD_REQUEST,
        ),
        row(
            "chunked: 2 MiB in 64 KiB chunks",
            attendee(&body[..]).chunked(chunked(&big, 65_536), big.clone()),
            BAD_REQUEST,
        ),
        row(
            "chunked: gzip, chunked",
            attendee(&body[..]).chunked_as("gzip, chunked", chunked(body, 8), &body[..]),
            NOT_FOUND,
        ),
        row(
            "chunked: chunked, then gzip in a second header",
            attendee(&body[..])
                .chunked(chunked(body, 8), &body[..])
                .line("transfer-encoding: gzip"),
            Expect::Http(400),
        ),
        row(
            "chunked: chunked in two headers",
            attendee(&body[..])
                .chunked(chunked(body, 8), &body[..])
                .line("transfer-encoding: chunked"),
            NOT_FOUND,
        ),
        row(
            "chunked: chunked, then gzip",
            attendee(&body[..])
                .length(Length::Omit)
                .line("transfer-encoding: chunked, gzip"),
            Expect::Http(400),
        ),
        row(
            "chunked: identity",
            attendee(&body[..])
                .length(Length::Omit)
                .line("transfer-encoding: identity"),
            Expect::Http(400),
        ),
    ]
}

fn injection_rows() -> Vec<Row> {
    let target = format!("/meetings/{UNKNOWN}");
    vec![
        row(
            "inject: CRLF in a header value forging response headers",
            get(&target).line("x-note: a\r\nx-amzn-errortype: Forged\r\nset-cookie: a=b"),
            NOT_FOUND,
        ),
        row(
            "inject: a second request smuggled in a header value",
            get(&target).line("x-note: a\r\n\r\nGET /health HTTP/1.1\r\nhost: x"),
            NOT_FOUND,
        ),
        row(
            "inject: a bare CR in a header value",
            get(&target).line(&b"x-note: a\rb"[..]),
            Expect::Http(400),
        ),
        row(
            "inject: an obs-fold continuation line",
            get(&target).line("x-note: a\r\n b"),
            Expect::Http(400),
        ),
        row(
            "inject: a space in a header name",
            get(&target).line("x note: a"),
            Expect::Http(400),
        ),
        row(
            "inject: a space before the colon",
            get(&target).line("x-note : a"),
            Expect::Http(400),
        ),
        row(
            "inject: a header line without a colon",
            get(&target).line("x-note"),
            Expect::Http(400),
        ),
        row(
            "inject: raw CRLF in the query",
            get(&target).raw_target(format!("{target}?x=a\r\nx-injected: 1")),
            Expect::Http(400),
        ),
        row(
            "inject: raw space in the target",
            get(&target).raw_target(format!("{target}?x=a b")),
            Expect::Http(400),
        ),
        row(
            "inject: a second Authorization header",
            get(&target).line(forged_authorization("host;x-amz-date", &"0".repeat(64))),
            INCOMPLETE_SIGNATURE,
        ),
        row(
            "inject: a non-ASCII Authorization header",
            get(&target)
                .unsigned()
                .line(now_line())
                .line(&b"authorization: AWS4-HMAC-SHA256 Credential=\xc3\xa9/x"[..]),
            INCOMPLETE_SIGNATURE,
        ),
        row(
            "inject: another Host than the signed one",
            get(&target).no_host().line("host: evil.example"),
            INVALID_SIGNATURE,
        ),
        row(
            "inject: a second Host header",
            get(&target).line("host: evil.example"),
            INVALID_SIGNATURE,
        ),
        row(
            "inject: no Host header",
            get(&target).no_host(),
            INVALID_SIGNATURE,
        ),
    ]
}

fn long_rows() -> Vec<Row> {
    let target = format!("/meetings/{UNKNOWN}");
    let mut many = get(&target);
    for i in 0..200 {
        many = many.line(format!("x-h{i}: v"));
    }
    let mut some = get(&target);
    for i in 0..80 {
        some = some.line(format!("x-h{i}: v"));
    }
    vec![
        row(
            "long: a 64 KiB unsigned header",
            get(&target).line(format!("x-pad: {}", "p".repeat(65_536))),
            NOT_FOUND,
        ),
        row(
            "long: a 64 KiB signed header",
            get(&target).header("x-pad", &"p".repeat(65_536)),
            NOT_FOUND,
        ),
        row(
            "long: a 1 MiB header",
            get(&target).line(format!("x-pad: {}", "p".repeat(BODY_LIMIT))),
            Expect::Http(431),
        ),
        row(
            "long: a 60 KiB target",
            get(&format!(
                "/meetings/{UNKNOWN}?pad={}",
                "p".repeat(60 * 1024)
            )),
            NOT_FOUND,
        ),
        row(
            "long: a 64 KiB target",
            get(&format!("/meetings/{UNKNOWN}?pad={}", "p".repeat(65_536))).spec_signed(),
            Expect::Http(414),
        ),
        row("long: 80 headers", some, NOT_FOUND),
        row("long: 200 headers", many, Expect::Http(431)),
        row(
            "long: a 64 KiB signature",
            get(&target)
                .unsigned()
                .line(now_line())
                .line(forged_authorization("host;x-amz-date", &"a".repeat(65_536))),
            INVALID_SIGNATURE,
        ),
        row(
            "long: 10,000 signed header names",
            get(&target)
                .unsigned()
                .line(now_line())
                .line(forged_authorization(
                    &(0..10_000)
                        .map(|i| format!("x-h{i}"))
                        .chain(["host".to_string()])
                        .collect::<Vec<_>>()
                        .join(";"),
                    &"0".repeat(64),
                )),
            INVALID_SIGNATURE,
        ),
    ]
}

fn request_line_rows() -> Vec<Row> {
    vec![
        raw("request line: HTTP/0.9 version", "GET /health HTTP/0.9\r\nhost: x\r\n\r\n", false, Expect::Http(400)),
        raw("request line: no version (HTTP/0.9 style)", "GET /health\r\n\r\n", false, Expect::Http(400)),
        raw("request line: HTTP/1.2", "GET /health HTTP/1.2\r\nhost: x\r\n\r\n", false, Expect::Http(400)),
        raw("request line: HTTP/3.0", "GET /health HTTP/3.0\r\nhost: x\r\n\r\n", false, Expect::Http(400)),
        raw("request line: lower-case version", "GET /health http/1.1\r\nhost: x\r\n\r\n", false, Expect::Http(400)),
        raw("request line: the HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", false, Expect::Closed),
        raw("request line: two spaces", "GET  /health HTTP/1.1\r\nhost: x\r\n\r\n", false, Expect::Http(400)),
        row("request line: a target without a slash", get(&format!("/meetings/{UNKNOWN}")).raw_target(format!("meetings/{UNKNOWN}")).spec_signed(), Expect::Http(400)),
        raw(
            "request line: an authority-form target on GET",
            "GET health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
            false,
            MISSING_TOKEN,
        ),
        raw("request line: empty request", "", true, Expect::Closed),
        raw("request line: only blank lines", "\r\n\r\n\r\n", true, Expect::Closed),
        raw("request line: unfinished head, then end of input", "GET /health HTTP/1.1\r\nhost: x\r\n", true, Expect::Closed),
        raw("request line: 8 KiB of NUL bytes", vec![0u8; 8192], false, Expect::Http(400)),
        raw(
            "request line: a TLS ClientHello",
            &b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"[..],
            false,
            Expect::Http(400),
        ),
        raw("request line: bare LF line ends", "GET /health HTTP/1.1\nhost: x\nconnection: close\n\n", false, Expect::Ok(200)),
        row("request line: HTTP/1.0", get(&format!("/meetings/{UNKNOWN}")).version("HTTP/1.0"), NOT_FOUND),
        row(
            "request line: Expect: 100-continue",
            attendee(r#"{"ExternalUserId":"user-1"}"#).header("expect", "100-continue"),
            NOT_FOUND,
        ),
        row(
            "request line: an Upgrade request",
            get(&format!("/meetings/{UNKNOWN}")).line("connection: upgrade").line("upgrade: websocket"),
            NOT_FOUND,
        ),
        row(
            "request line: garbage pipelined after a request",
            get(&format!("/meetings/{UNKNOWN}")).keep_alive().trailer(&b"\x00\x01garbage\r\n\r\n"[..]),
            NOT_FOUND,
        ),
    ]
}

fn auth_rows() -> Vec<Row> {
    let target = format!("/meetings/{UNKNOWN}");
    let body = br#"{"ExternalUserId":"user-1"}"#;
    let far = |secs: u64| UNIX_EPOCH + Duration::from_secs(secs);
    vec![
        row("auth: unsigned", get(&target).unsigned(), MISSING_TOKEN),
        row(
            "auth: a bearer token",
            get(&target)
                .unsigned()
                .line(now_line())
                .line("authorization: Bearer abc"),
            INCOMPLETE_SIGNATURE,
        ),
        row(
            "auth: wrong secret",
            get(&target).signed_as(Signing {
                secret_access_key: "wrong".into(),
                ..Signing::default()
            }),
            INVALID_SIGNATURE,
        ),
        row(
            "auth: unknown access key",
            get(&target).signed_as(Signing {
                access_key_id: "AKIDUNKNOWN000000000".into(),
                ..Signing::default()
            }),
            Expect::Api(403, "UnrecognizedClientException"),
        ),
        row(
            "auth: signed in the year 9999",
            get(&target).signed_as(Signing {
                time: far(253_402_300_000),
                ..Signing::default()
            }),
            INVALID_SIGNATURE,
        ),
        row(
            "auth: signed in 1970",
            get(&target).signed_as(Signing {
                time: far(1),
                ..Signing::default()
            }),
            INVALID_SIGNATURE,
        ),
        row(
            "auth: a garbage X-Amz-Date",
            get(&target)
                .unsigned()
                .line("x-amz-date: 99999999T999999Z")
                .line(forged_authorization("host;x-amz-date", &"0".repeat(64))),
            INCOMPLETE_SIGNATURE,
        ),
        row(
            "auth: body changed after signing",
            attendee(&body[..]).signed_body(&br#"{"ExternalUserId":"user-2"}"#[..]),
            INVALID_SIGNATURE,
        ),
        row(
            "auth: a presigned URL",
            get(&target).signed_as(Signing {
                presign: Some(Duration::from_secs(300)),
                ..Signing::default()
            }),
            INCOMPLETE_SIGNATURE,
        ),
        row(
            "auth: 1,000 slashes in the credential",
            get(&target).unsigned().line(now_line()).line(format!(
                "authorization: AWS4-HMAC-SHA256 Credential={}, SignedHeaders=host, Signature=00",
                "/".repeat(1000)
            )),
            INCOMPLETE_SIGNATURE,
        ),
        row(
            "auth: an x-amz-content-sha256 of another body",
            attendee(&body[..]).header("x-amz-content-sha256", &sha256_hex(b"other")),
            INVALID_SIGNATURE,
        ),
        row(
            "auth: an UNSIGNED-PAYLOAD header on a request signed over its body",
            attendee(&body[..])
                .header("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
                .signed_body(&b"ignored"[..]),
            INVALID_SIGNATURE,
        ),
        row(
            "auth: another algorithm",
            get(&target).unsigned().line(now_line()).line(
                forged_authorization("host;x-amz-date", &"0".repeat(64))
                    .replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512"),
            ),
            INCOMPLETE_SIGNATURE,
        ),
        row(
            "auth: Host not among the signed headers",
            get(&target)
                .unsigned()
                .line(now_line())
                .line(forged_authorization("x-amz-date", &"0".repeat(64))),
            INVALID_SIGNATURE,
        ),
    ]
}

fn legacy_rows(meeting: &str) -> Vec<Row> {
    vec![
        row(
            "a valid body reaches the service (control)",
            attendee(r#"{"ExternalUserId":"user-1"}"#),
            NOT_FOUND,
        )
        .legacy(),
        row(
            "101 attendees",
            post(
                &format!("/meetings/{UNKNOWN}/attendees?operation=batch-create"),
                format!(r#"{{"Attendees":{}}}"#, attendees_json(101)),
            ),
            BAD_REQUEST,
        )
        .legacy(),
        row(
            "10,000 nested arrays",
            attendee(nested(10_000, "[", "]")),
            BAD_REQUEST,
        )
        .legacy(),
        row("/meetings/../tags", get("/meetings/../tags"), BAD_REQUEST).legacy(),
        row("unknown path", get("/nope"), NOT_FOUND).legacy(),
        row(
            "invalid UTF-8 body",
            attendee(&b"{\"ExternalUserId\":\"\xff\"}"[..]),
            BAD_REQUEST,
        )
        .legacy(),
        row(
            "ListMeetings max-results=99999999999999999999",
            get("/meetings?max-results=99999999999999999999"),
            BAD_REQUEST,
        )
        .legacy(),
        row(
            "%FF in the query",
            get("/meetings?max-results=%FF").spec_signed(),
            BAD_REQUEST,
        )
        .legacy(),
        row(
            "51 meeting tags",
            post(
                &format!("/meetings/{meeting}/tags?operation=add"),
                format!(r#"{{"Tags":{}}}"#, tags_json(51)),
            ),
            BAD_REQUEST,
        )
        .legacy(),
        row("%00 as the meeting id", get("/meetings/%00"), BAD_REQUEST).legacy(),
        row(
            "1 MiB + 1 byte",
            attendee({
                let mut b = br#"{"ExternalUserId":"user-1"}"#.to_vec();
                b.resize(BODY_LIMIT + 1, b' ');
                b
            }),
            BAD_REQUEST,
        )
        .legacy(),
    ]
}

fn table(meeting: &str, attendee: &str, legacy_meeting: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    rows.extend(json_rows());
    rows.extend(nesting_rows());
    rows.extend(number_rows(meeting));
    rows.extend(encoding_rows(meeting));
    rows.extend(nul_rows(meeting));
    rows.extend(size_rows());
    rows.extend(array_rows(meeting));
    rows.extend(query_rows(meeting));
    rows.extend(id_rows(meeting, attendee));
    rows.extend(path_rows(meeting));
    rows.extend(method_rows());
    rows.extend(content_type_rows());
    rows.extend(length_rows());
    rows.extend(chunked_rows());
    rows.extend(injection_rows());
    rows.extend(long_rows());
    rows.extend(request_line_rows());
    rows.extend(auth_rows());
    rows.extend(legacy_rows(legacy_meeting));
    rows
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

/// Checks one outcome against its expectation; `Err` says what is wrong.
fn check(row: &Row, outcome: &Outcome) -> Result<(), String> {
    let reply = match (outcome, row.expect) {
        (Outcome::Hung, _) => return Err("no answer and no close: the server hangs".into()),
        (Outcome::Closed, Expect::Closed) => return Ok(()),
        (Outcome::Closed, _) => return Err("the connection closed without a response".into()),
        (Outcome::Reply(reply), _) => reply,
    };
    let summary = || {
        format!(
            "{} {:?} {}",
            reply.status,
            reply.header("x-amzn-ErrorType"),
            reply.text()
        )
    };
    if reply.status >= 500 {
        return Err(format!("a server error: {}", summary()));
    }
    for forbidden in ["set-cookie", "x-injected"] {
        if reply.header(forbidden).is_some() {
            return Err(format!(
                "the response has a {forbidden} header: {}",
                summary()
            ));
        }
    }
    match row.expect {
        Expect::Closed => Err(format!("expected a closed connection, got {}", summary())),
        Expect::Http(status) => {
            if reply.status != status || reply.header("x-amzn-ErrorType").is_some() {
                return Err(format!(
                    "expected {status} from the HTTP layer, got {}",
                    summary()
                ));
            }
            Ok(())
        }
        Expect::Ok(status) => {
            if reply.status != status || reply.header("x-amzn-RequestId").is_none() {
                return Err(format!("expected {status} from the API, got {}", summary()));
            }
            Ok(())
        }
        Expect::Api(status, error_type) => {
            if (reply.status, reply.header("x-amzn-ErrorType")) != (status, Some(error_type)) {
                return Err(format!("expected {status} {error_type}, got {}", summary()));
            }
            check_error_body(row, reply, error_type)
        }
    }
}

/// The AWS rest-json error shape, and a message that does not echo a large input.
fn check_error_body(row: &Row, reply: &RawResponse, error_type: &str) -> Result<(), String> {
    let request_id = reply
        .header("x-amzn-RequestId")
        .filter(|id| !id.is_empty())
        .ok_or("no x-amzn-RequestId")?;
    if reply.header("content-type") != Some("application/json") {
        return Err(format!("content type {:?}", reply.header("content-type")));
    }
    if row.method() == Some("HEAD") {
        return if reply.body.is_empty() {
            Ok(())
        } else {
            Err("a body in the response to HEAD".into())
        };
    }
    let body: serde_json::Value = serde_json::from_slice(&reply.body)
        .map_err(|e| format!("the error body is not JSON ({e}): {}", reply.text()))?;
    let code = error_type.strip_suffix("Exception").unwrap_or(error_type);
    if body["Code"] != code || body["RequestId"] != request_id {
        return Err(format!("error body {body}"));
    }
    let message = body["Message"].as_str().unwrap_or_default();
    if message.is_empty() {
        return Err(format!("no Message in {body}"));
    }
    if reply.body.len() > 4096 {
        return Err(format!(
            "a {}-byte error body echoes the input",
            reply.body.len()
        ));
    }
    Ok(())
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let state = stat.rsplit_once(')')?.1.trim_start().chars().next()?;
            Some(state != 'Z' && state != 'X')
        })
        .unwrap_or(false)
}

async fn assert_healthy(server: &Server, after: &str) {
    for api in [Api::Current, Api::Legacy] {
        let r = send_http(server.addr_of(api), &RawRequest::new("GET", "/health")).await;
        assert_eq!(
            r.status,
            200,
            "{api:?} /health after {after:?}: {}",
            r.text()
        );
    }
}

/// Creates a meeting (and, on the current API, an attendee) with signed raw requests.
async fn setup(server: &Server, api: Api) -> (String, String) {
    let r = server
        .signed_to(
            api,
            "POST",
            "/meetings",
            &create_meeting_body("tok-hostile-setup", "ext-hostile-setup"),
        )
        .await;
    assert!(matches!(r.status, 200 | 201), "{} {}", r.status, r.text());
    let meeting = r.json()["Meeting"]["MeetingId"]
        .as_str()
        .expect("MeetingId")
        .to_string();
    let r = server
        .signed_to(
            api,
            "POST",
            &format!("/meetings/{meeting}/attendees"),
            r#"{"ExternalUserId":"hostile-user"}"#,
        )
        .await;
    assert!(matches!(r.status, 200 | 201), "{} {}", r.status, r.text());
    let attendee = r.json()["Attendee"]["AttendeeId"]
        .as_str()
        .expect("AttendeeId")
        .to_string();
    (meeting, attendee)
}

#[tokio::test]
async fn hostile_requests_get_modeled_answers_and_the_server_survives() {
    let server = Server::start(Options::in_memory());
    let (meeting, attendee) = setup(&server, Api::Current).await;
    let (legacy_meeting, _) = setup(&server, Api::Legacy).await;
    let rows = table(&meeting, &attendee, &legacy_meeting);
    assert!(rows.len() >= 120, "only {} rows", rows.len());

    let mut failures = Vec::new();
    let started = Instant::now();
    for row in &rows {
        let addr = server.addr_of(row.api);
        let (bytes, half_close) = match &row.wire {
            Wire::Req(req) => (req.render(addr), req.half_close),
            Wire::Raw { bytes, half_close } => (bytes.clone(), *half_close),
        };
        let outcome = exchange(addr, &bytes, half_close).await;
        let verdict = check(row, &outcome);
        let shown = match &outcome {
            Outcome::Reply(r) => format!(
                "{} {}",
                r.status,
                r.header("x-amzn-ErrorType").unwrap_or("-")
            ),
            other => format!("{other:?}"),
        };
        println!(
            "{} [{}] {} -> {shown}",
            if verdict.is_ok() { "ok  " } else { "FAIL" },
            row.auth(),
            row.name
        );
        if let Err(why) = verdict {
            failures.push(format!("{}: {why}", row.name));
        }
        assert_healthy(&server, &row.name).await;
    }
    println!("{} rows in {:?}", rows.len(), started.elapsed());

    let pid = server.pid().expect("the server is running");
    assert!(alive(pid), "the server process {pid} is gone");
    let log = server.stderr();
    for alarm in [
        "panicked",
        "request failed",
        "did not fit its typed shape",
        "no modeled exception",
    ] {
        assert!(!log.contains(alarm), "the server log has {alarm:?}:\n{log}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}
