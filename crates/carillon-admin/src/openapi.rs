//! `openapi.json` (beside `src/`) against the routes the router is built from: the same paths and
//! methods, the protected ones needing the bearer token and the dashboard's files not.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::{open_routes, protected_routes, Route};

const DOCUMENT: &str = include_str!("../openapi.json");
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// `/v1/meetings/{}/attendees` for `/v1/meetings/{MeetingId}/attendees` or `{meeting_id}`.
fn shape(path: &str) -> String {
    let mut shaped = String::with_capacity(path.len());
    let mut in_parameter = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_parameter = true;
                shaped.push_str("{}");
            }
            '}' => in_parameter = false,
            _ if in_parameter => {}
            _ => shaped.push(c),
        }
    }
    shaped
}

fn served(routes: Vec<Route>) -> BTreeSet<(String, String)> {
    routes
        .into_iter()
        .map(|r| (shape(r.path), r.method.as_str().to_ascii_lowercase()))
        .collect()
}

/// The documented operations: (path shape, method) and whether they need the token.
fn documented() -> Vec<((String, String), bool)> {
    let doc: Value = serde_json::from_str(DOCUMENT).expect("openapi.json is JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["security"], serde_json::json!([{"bearer": []}]));
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let open = operation.get("security") == Some(&serde_json::json!([]));
            if !open {
                assert!(
                    operation["responses"].get("401").is_some(),
                    "{method} {path} needs the token: it documents its 401"
                );
            }
            operations.push(((shape(path), method.to_owned()), !open));
        }
    }
    operations
}

#[test]
fn the_document_describes_exactly_the_routes_served() {
    let documented = documented();
    let protected: BTreeSet<_> = documented
        .iter()
        .filter(|(_, token)| *token)
        .map(|(op, _)| op.clone())
        .collect();
    let open: BTreeSet<_> = documented
        .iter()
        .filter(|(_, token)| !*token)
        .map(|(op, _)| op.clone())
        .collect();
    assert_eq!(protected, served(protected_routes()));
    assert_eq!(open, served(open_routes()));
}

#[test]
fn path_shapes_ignore_parameter_names() {
    assert_eq!(
        shape("/v1/meetings/{MeetingId}/attendees/{AttendeeId}/presence"),
        shape("/v1/meetings/{meeting_id}/attendees/{attendee_id}/presence")
    );
    assert_eq!(shape("/v1/time"), "/v1/time");
}
