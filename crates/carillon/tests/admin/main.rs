//! The admin listener's view of the state, reset, export, import and seeding, end to end: the real
//! binary on each store, its state made through the official SDK (two accounts) and the legacy
//! API, a real signaling session for live presence, every route through HTTP.
//!
//! One server per store runs every case in turn (each case leaves the state the next expects),
//! so that the suite starts two servers, not one per case.

#![allow(clippy::unwrap_used)] // Helpers of tests unwrap as tests do.

mod listing;
mod openapi;
mod refusals;
mod round_trip;
mod seed;

use carillon_postgres::testing::TestDatabase;
use carillon_testkit::*;
use serde_json::{json, Value};

/// A raw admin request with the token (unless `token` is false): status and body text.
pub async fn admin_raw(
    server: &Server,
    method: &str,
    path: &str,
    body: Option<&str>,
    token: bool,
) -> (u16, String) {
    let addr = server.admin_addr.expect("started with Options::admin()");
    let mut request = RawRequest::new(method, path).unsigned();
    if token {
        request = request.header("authorization", &format!("Bearer {ADMIN_TOKEN}"));
    }
    if let Some(body) = body {
        request = request.json(body.as_bytes().to_vec());
    }
    let response = send_http(addr, &request).await;
    (response.status, response.text())
}

/// A signed request of the legacy API and its JSON answer, asserting its status.
pub async fn legacy(server: &Server, method: &str, path: &str, body: Value, status: u16) -> Value {
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let r = server.legacy_signed(method, path, &body).await;
    assert_eq!(r.status, status, "{method} {path}: {}", r.text());
    if r.body.is_empty() {
        Value::Null
    } else {
        r.json()
    }
}

/// Every page of an admin listing (`path` with its query, `member` the list's name).
pub async fn all_pages(server: &Server, path: &str, member: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut next: Option<String> = None;
    loop {
        let page_path = match &next {
            Some(n) => format!("{path}{separator}next={n}"),
            None => path.to_owned(),
        };
        let (status, page) = admin(server, "GET", &page_path, None).await;
        assert_eq!(status, 200, "{page_path}: {page}");
        all.extend(page[member].as_array().unwrap().iter().cloned());
        match page["next"].as_str() {
            Some(n) => next = Some(n.to_owned()),
            None => {
                assert_eq!(page["next"], Value::Null, "{page}");
                return all;
            }
        }
    }
}

/// The meeting ids of listed meetings.
pub fn ids(meetings: &[Value]) -> Vec<String> {
    meetings
        .iter()
        .map(|m| m["meetingId"].as_str().unwrap().to_owned())
        .collect()
}

/// Every case, in order, on one server.
async fn every_case(options: Options) {
    let server = Server::start(options.admin().with_second_account());
    let state = listing::make_state(&server).await;
    listing::listing(&server, &state).await;
    listing::live_presence(&server, &state).await;
    refusals::refused_requests(&server, &state).await;
    round_trip::export_reset_import(&server, &state).await;
    refusals::refused_imports(&server).await;
    seed::seeding(&server).await;
    let (status, done) = admin(&server, "POST", "/v1/reset", Some("{}")).await;
    assert_eq!((status, done), (200, json!({"reset": true})));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_store() {
    every_case(Options::in_memory()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store() {
    let Some(db) = TestDatabase::create("admin_state") else {
        return;
    };
    every_case(Options::postgres(&db.url)).await;
}
