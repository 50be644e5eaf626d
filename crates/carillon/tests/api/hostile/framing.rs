//! Rows of HTTP framing: content types, lengths, chunked bodies, header injection, long
//! headers and targets, request lines.

use carillon_testkit::Length;

use super::row::*;

pub(super) fn content_type_rows() -> Vec<Row> {
    let body = r#"{"ExternalUserId":"user-1"}"#;
    let refused = [
        ("text/plain", "text/plain"),
        ("multipart/form-data", "multipart/form-data; boundary=xyz"),
        ("form-urlencoded", "application/x-www-form-urlencoded"),
        ("the JSON 1.1 protocol's", "application/x-amz-json-1.1"),
        ("a JSON-like media type", "application/hal+json"),
        ("json without its type", "json"),
    ];
    let mut rows: Vec<Row> = refused
        .into_iter()
        .map(|(what, value)| {
            row(
                &format!("content-type: {what} with a JSON body"),
                attendee(body).content_type(Some(value)),
                UNSUPPORTED_MEDIA_TYPE,
            )
        })
        .collect();
    rows.extend([
        row(
            "content-type: missing, with a body",
            attendee(body).content_type(None),
            UNSUPPORTED_MEDIA_TYPE,
        ),
        row(
            "content-type: 8 KiB of garbage",
            attendee(body).content_type(Some(&"x".repeat(8192))),
            UNSUPPORTED_MEDIA_TYPE,
        ),
        row(
            "content-type: a form body that is not JSON",
            attendee("ExternalUserId=user-1")
                .content_type(Some("application/x-www-form-urlencoded")),
            UNSUPPORTED_MEDIA_TYPE,
        ),
        row(
            "content-type: application/json with a charset (accepted)",
            attendee(body).content_type(Some("application/json; charset=utf-8")),
            NOT_FOUND,
        ),
        row(
            "content-type: APPLICATION/JSON (media types ignore case)",
            attendee(body).content_type(Some("APPLICATION/JSON")),
            NOT_FOUND,
        ),
        row(
            "content-type: text/plain without a body (nothing to misread)",
            get(&format!("/meetings/{UNKNOWN}")).content_type(Some("text/plain")),
            NOT_FOUND,
        ),
    ]);
    rows
}

pub(super) fn length_rows() -> Vec<Row> {
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

pub(super) fn chunked_rows() -> Vec<Row> {
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

pub(super) fn injection_rows() -> Vec<Row> {
    let target = format!("/meetings/{UNKNOWN}");
    let mut rows = vec![
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
    ];
    // A Host that is not a host, signed as sent: refused before the signature is checked.
    let hosts = [
        ("a space inside", "127.0.0.1 evil", BAD_REQUEST),
        ("a path", "127.0.0.1/meetings", BAD_REQUEST),
        ("user information", "user@127.0.0.1", BAD_REQUEST),
        ("a query", "127.0.0.1?x=1", BAD_REQUEST),
        ("empty", "", BAD_REQUEST),
        (
            "a name and a port (accepted)",
            "chime.example.com:443",
            NOT_FOUND,
        ),
    ];
    rows.extend(hosts.into_iter().map(|(what, host, expect)| {
        row(
            &format!("host: {what}, signed"),
            get(&target).header("host", host),
            expect,
        )
    }));
    rows
}

pub(super) fn long_rows() -> Vec<Row> {
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

pub(super) fn request_line_rows() -> Vec<Row> {
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
