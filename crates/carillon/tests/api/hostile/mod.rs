//! Hostile input over raw TCP: a table of malformed and malicious requests sent byte for byte to
//! a real server. Most rows are signed correctly so that they get past SigV4 and reach routing,
//! decoding and validation. Each row states the answer: a modeled error (status and
//! `x-amzn-ErrorType`), a success where the input is in fact valid, or, for requests that the
//! HTTP layer refuses before the API sees them, that layer's status or a closed connection.
//! Never a 5xx, a panic or a hang: after every row `GET /health` must answer 200 on both
//! listeners, and at the end the process must still be alive with nothing alarming logged.
//!
//! Checked against Smithy's restJson1 malformed-request tests so far: a body's media type (415
//! `UnsupportedMediaTypeException` for another type or none, a charset and any case accepted,
//! a request without a body free to carry any), malformed and truncated JSON, a member given
//! twice at any depth (400: readers disagree on which value counts), numbers out of range and of
//! the wrong kind, strings where lists or structures belong, bad percent-encoding and NUL bytes,
//! bodies over the limit, lengths and chunked framing that disagree, header injection, long
//! headers and targets; and at the front door, a `Host` that is not a host (a space, a path,
//! user information, a query, empty) and SigV4 credential scopes without exactly five non-empty
//! elements.

mod auth;
mod check;
mod encoding;
mod framing;
mod json;
mod row;
mod target;

use std::time::Instant;

use carillon_testkit::{create_meeting_body, exchange, send_http, Api, Options, RawRequest};
use carillon_testkit::{Outcome, Server};

use check::check;
use row::{Row, Wire};

/// Every row, in the order they are sent.
fn table(meeting: &str, attendee: &str, legacy_meeting: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    rows.extend(json::json_rows());
    rows.extend(json::nesting_rows());
    rows.extend(json::number_rows(meeting));
    rows.extend(encoding::encoding_rows(meeting));
    rows.extend(encoding::nul_rows(meeting));
    rows.extend(encoding::size_rows());
    rows.extend(encoding::array_rows(meeting));
    rows.extend(target::query_rows(meeting));
    rows.extend(target::id_rows(meeting, attendee));
    rows.extend(target::path_rows(meeting));
    rows.extend(target::method_rows());
    rows.extend(framing::content_type_rows());
    rows.extend(framing::length_rows());
    rows.extend(framing::chunked_rows());
    rows.extend(framing::injection_rows());
    rows.extend(framing::long_rows());
    rows.extend(framing::request_line_rows());
    rows.extend(auth::auth_rows());
    rows.extend(auth::legacy_rows(legacy_meeting));
    rows
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
