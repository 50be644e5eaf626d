//! Rows of authentication, and rows of the legacy API.

use std::time::{Duration, UNIX_EPOCH};

use carillon_testkit::sigv4::sha256_hex;
use carillon_testkit::Signing;

use super::row::*;

pub(super) fn auth_rows() -> Vec<Row> {
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
            "auth: a sixth, empty element after the credential scope (trailing slash)",
            get(&target).unsigned().line(now_line()).line(
                forged_authorization("host;x-amz-date", &"0".repeat(64))
                    .replace("aws4_request,", "aws4_request/,"),
            ),
            INCOMPLETE_SIGNATURE,
        ),
        row(
            "auth: an empty element in the credential scope",
            get(&target).unsigned().line(now_line()).line(
                forged_authorization("host;x-amz-date", &"0".repeat(64))
                    .replace("/us-east-1/", "//"),
            ),
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

pub(super) fn legacy_rows(meeting: &str) -> Vec<Row> {
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
