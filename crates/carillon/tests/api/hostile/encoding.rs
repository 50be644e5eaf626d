//! Rows of bytes inside bodies and targets: invalid UTF-8, NUL bytes, sizes around the body
//! limit, arrays beyond their bounds.

use carillon_testkit::Length;

use super::row::*;

pub(super) fn encoding_rows(meeting: &str) -> Vec<Row> {
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

pub(super) fn nul_rows(meeting: &str) -> Vec<Row> {
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

pub(super) fn size_rows() -> Vec<Row> {
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

pub(super) fn array_rows(meeting: &str) -> Vec<Row> {
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
