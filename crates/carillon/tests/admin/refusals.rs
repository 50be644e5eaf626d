//! What the routes refuse: no token, bad parameters, unknown meetings, an import into a store
//! that holds meetings, files that cannot be restored (which leave nothing behind).

use carillon_testkit::*;
use serde_json::Value;

use crate::listing::State;
use crate::{admin_raw, all_pages};

pub async fn refused_requests(server: &Server, s: &State) {
    let a = s.a.meeting_id().unwrap();
    for path in [
        "/v1/meetings".to_owned(),
        format!("/v1/meetings/{a}"),
        format!("/v1/meetings/{a}/attendees"),
        "/v1/export".to_owned(),
    ] {
        let (status, _) = admin_raw(server, "GET", &path, None, false).await;
        assert_eq!(status, 401, "{path}");
    }
    for path in ["/v1/reset", "/v1/import"] {
        let (status, _) = admin_raw(server, "POST", path, Some("{}"), false).await;
        assert_eq!(status, 401, "{path}");
    }
    for (path, named) in [
        ("/v1/meetings?state=over", "state"),
        ("/v1/meetings?api=chime", "api"),
        ("/v1/meetings?limit=0", "limit"),
        ("/v1/meetings?limit=1001", "limit"),
        ("/v1/meetings?next=x", "next"),
        (
            &format!("/v1/meetings/{a}/attendees?next=-4") as &str,
            "next",
        ),
    ] {
        let (status, body) = admin(server, "GET", path, None).await;
        assert_eq!(status, 400, "{path}: {body}");
        let message = body["message"].as_str().unwrap();
        assert!(message.starts_with(named), "{path}: {message}");
    }
    let unknown = "00000000-0000-4000-8000-000000000000";
    for path in [
        format!("/v1/meetings/{unknown}"),
        format!("/v1/meetings/{unknown}/attendees"),
    ] {
        let (status, body) = admin(server, "GET", &path, None).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    // The store holds meetings: an import without `replace` is refused and changes nothing.
    let (status, body) = admin_raw(server, "POST", "/v1/import", Some(""), true).await;
    assert_eq!(status, 409, "{body}");
    let (status, body) =
        admin_raw(server, "POST", "/v1/import?replace=maybe", Some(""), true).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        all_pages(server, "/v1/meetings?state=all", "meetings")
            .await
            .len(),
        4
    );
}

/// An import that must fail: 400 naming `line`, and the store is left empty.
async fn refused(server: &Server, file: &str, line: u64, says: &str) {
    let (status, body) =
        admin_raw(server, "POST", "/v1/import?replace=true", Some(file), true).await;
    assert_eq!(status, 400, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["line"], line, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains(says), "{message:?} does not say {says:?}");
    assert!(message.contains("nothing was imported"), "{message}");
    let left = all_pages(server, "/v1/meetings?state=all", "meetings").await;
    assert!(left.is_empty(), "a refused import leaves nothing: {left:?}");
}

/// Runs on a store holding the state again (the round trip imported it last).
pub async fn refused_imports(server: &Server) {
    let (status, file) = admin_raw(server, "GET", "/v1/export", None, true).await;
    assert_eq!(status, 200);
    let lines: Vec<&str> = file.lines().collect();
    assert!(lines.len() > 3, "{file}");
    let (header, body) = (lines[0], &lines[1..]);
    let with = |header: &str, body: &[&str]| {
        let mut text = header.to_owned() + "\n";
        for line in body {
            text.push_str(line);
            text.push('\n');
        }
        text
    };

    let unknown_version = header.replace("\"version\":1", "\"version\":2");
    refused(server, &with(&unknown_version, body), 1, "version 2").await;
    refused(
        server,
        &with(r#"{"format":"other","version":1}"#, body),
        1,
        "format",
    )
    .await;
    refused(server, "", 1, "empty").await;
    let mut garbled = body.to_vec();
    garbled[1] = "{\"type\":\"attendee\",";
    refused(server, &with(header, &garbled), 3, "EOF").await;
    // Cut short: the last line is missing (an export that failed midway).
    let cut = &body[..body.len() - 1];
    refused(
        server,
        &with(header, cut),
        cut.len() as u64 + 1,
        "cut short",
    )
    .await;
    // The same meeting twice: refused by the store, at the repeated line, after earlier lines
    // were written (and undone).
    let mut end: Value = serde_json::from_str(body[body.len() - 1]).unwrap();
    end["meetings"] = (end["meetings"].as_u64().unwrap() + 1).into();
    let end = end.to_string();
    let mut twice = body.to_vec();
    twice.insert(body.len() - 1, body[0]);
    *twice.last_mut().unwrap() = &end;
    refused(
        server,
        &with(header, &twice),
        body.len() as u64 + 1,
        "already held",
    )
    .await;
    // A count that does not match the lines.
    let mut miscounted = body.to_vec();
    miscounted.remove(0);
    let end_line = miscounted.len() as u64 + 1;
    refused(server, &with(header, &miscounted), end_line, "counts").await;

    // The whole file again: restored.
    let (status, body) = admin_raw(server, "POST", "/v1/import", Some(&file), true).await;
    assert_eq!(status, 200, "{body}");
}
