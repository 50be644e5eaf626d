//! Rows of JSON bodies: malformed documents, deep nesting, numbers out of range or of the
//! wrong form.

use super::row::*;

pub(super) fn json_rows() -> Vec<Row> {
    let mut rows = vec![
        row("json: a valid body reaches the service (control)", attendee(r#"{"ExternalUserId":"user-1"}"#), NOT_FOUND),
        row("json: truncated inside a string", attendee(r#"{"ExternalUserId":"us"#), BAD_REQUEST),
        row("json: truncated after a colon", attendee(r#"{"ExternalUserId":"#), BAD_REQUEST),
        row("json: a lone opening brace", attendee("{"), BAD_REQUEST),
        row("json: trailing garbage", attendee(r#"{"ExternalUserId":"user-1"}xyz"#), BAD_REQUEST),
        row("json: two objects", attendee(r#"{"ExternalUserId":"user-1"}{}"#), BAD_REQUEST),
        row("json: trailing comma", attendee(r#"{"ExternalUserId":"user-1",}"#), BAD_REQUEST),
        row("json: a member given twice, two values", attendee(r#"{"ExternalUserId":"user-1","ExternalUserId":"user-2"}"#), BAD_REQUEST),
        row("json: a member given twice, one value", attendee(r#"{"ExternalUserId":"user-1","ExternalUserId":"user-1"}"#), BAD_REQUEST),
        row("json: a nested member given twice", attendee(r#"{"ExternalUserId":"user-1","Capabilities":{"Audio":"None","Audio":"SendReceive","Video":"None","Content":"None"}}"#), BAD_REQUEST),
        row("json: an unknown member given twice", attendee(r#"{"ExternalUserId":"user-1","Other":1,"Other":2}"#), BAD_REQUEST),
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
        row("json: duplicate key, the last one valid (refused: readers disagree on which counts)", attendee(r#"{"ExternalUserId":5,"ExternalUserId":"user-1"}"#), BAD_REQUEST),
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

pub(super) fn nesting_rows() -> Vec<Row> {
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

pub(super) fn number_rows(meeting: &str) -> Vec<Row> {
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
