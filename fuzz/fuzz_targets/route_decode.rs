//! Routing and decoding of arbitrary requests, on the current and the legacy model.
//!
//! The input is read as: which model, a method, a path built from segments (most of them the
//! models' own literals, a GUID or traversal pieces, some arbitrary text), a query string of
//! `name=value` pairs, and the rest as the body. Neither `route` nor `decode` may panic, and every
//! error must have a message.

#![no_main]

use carillon_fuzz::{models, GUID};
use libfuzzer_sys::arbitrary::{Arbitrary, Result, Unstructured};
use libfuzzer_sys::fuzz_target;

const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "get",
];
const SEGMENTS: &[&str] = &[
    "meetings",
    "attendees",
    "tags",
    "transcription",
    "capabilities",
    GUID,
    "0C4A6A8E-5B8D-4D16-9E2A-3F1F7C1A9B11",
    "..",
    ".",
    "",
    "%2e%2e",
    "%2F",
    "%252F",
    "%00",
    "%FF",
    "%C0%AE",
    "%",
    "%4",
    "{MeetingId}",
];
const QUERY_NAMES: &[&str] = &["operation", "max-results", "next-token", "arn", "x"];
const QUERY_VALUES: &[&str] = &[
    "batch-create",
    "create-attendees",
    "batch-update-except",
    "start",
    "stop",
    "tag-resource",
    "untag-resource",
    "add",
    "delete",
    "1",
    "100",
    "101",
    "0",
    "-1",
    "99999999999999999999",
    "1.5",
    "",
    "%FF",
    "%00",
    "arn:aws:chime:us-east-1:123456789012:meeting/0c4a6a8e-5b8d-4d16-9e2a-3f1f7c1a9b11",
];

fn pick(u: &mut Unstructured<'_>, table: &[&str]) -> Result<String> {
    if u.ratio(7u8, 8u8)? {
        Ok((*u.choose(table)?).to_owned())
    } else {
        String::arbitrary(u)
    }
}

struct Request {
    legacy: bool,
    method: String,
    path: String,
    query: String,
    body: Vec<u8>,
}

fn request(u: &mut Unstructured<'_>) -> Result<Request> {
    let legacy = bool::arbitrary(u)?;
    let method = pick(u, METHODS)?;
    let path = if u.ratio(1u8, 16u8)? {
        String::arbitrary(u)?
    } else {
        let count = u.int_in_range(0..=6)?;
        let mut path = String::new();
        for _ in 0..count {
            path.push('/');
            path.push_str(&pick(u, SEGMENTS)?);
        }
        if path.is_empty() || u.ratio(1u8, 8u8)? {
            path.push('/');
        }
        path
    };
    let mut query = String::new();
    for i in 0..u.int_in_range(0..=4)? {
        if i > 0 {
            query.push('&');
        }
        query.push_str(&pick(u, QUERY_NAMES)?);
        if u.ratio(7u8, 8u8)? {
            query.push('=');
            query.push_str(&pick(u, QUERY_VALUES)?);
        }
    }
    let body = u.bytes(u.len())?.to_vec();
    Ok(Request {
        legacy,
        method,
        path,
        query,
        body,
    })
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(req) = request(&mut u) else {
        return;
    };
    let [current, legacy] = models();
    let model = if req.legacy { legacy } else { current };
    match model.route(&req.method, &req.path, &req.query) {
        Ok(route) => {
            assert_eq!(route.operation.method, req.method);
            match model.decode(&route, &req.query, &req.body) {
                Ok(input) => assert!(input.is_object(), "decode returned {input}"),
                Err(e) => assert!(!e.to_string().is_empty(), "{e:?} has no message"),
            }
        }
        Err(e) => assert!(!e.to_string().is_empty(), "{e:?} has no message"),
    }
});
