//! Rows of request targets: query strings, ids in paths, path shapes, methods.

use super::row::*;

pub(super) fn query_rows(meeting: &str) -> Vec<Row> {
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

pub(super) fn id_rows(meeting: &str, attendee: &str) -> Vec<Row> {
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

pub(super) fn path_rows(meeting: &str) -> Vec<Row> {
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

pub(super) fn method_rows() -> Vec<Row> {
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
