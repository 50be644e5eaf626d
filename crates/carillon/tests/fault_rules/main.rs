//! Fault injection end to end: rules set through the admin listener, a file read at start or a
//! request header, seen by the official AWS SDK for Rust (errors, retries through throttles,
//! latency, dropped connections), by signed raw requests (the legacy API's form, the header) and
//! by the signaling client (refused joins, delayed frames, dropped sessions).

#![allow(clippy::unwrap_used)] // Helpers of tests unwrap as tests do.

mod admin;
mod api;
mod signaling;
mod start;

use carillon_testkit::*;
use serde_json::{json, Value};

/// A server with the admin listener.
pub fn server() -> Server {
    Server::start(Options::in_memory().admin())
}

/// Adds a rule; panics unless it is created. Answers the rule as created.
pub async fn add_rule(server: &Server, rule: Value) -> Value {
    let (status, body) = admin(server, "POST", "/v1/faults", Some(&rule.to_string())).await;
    assert_eq!(status, 201, "{rule}: {body}");
    body
}

/// The rules in force.
pub async fn rules(server: &Server) -> Vec<Value> {
    let (status, body) = admin(server, "GET", "/v1/faults", None).await;
    assert_eq!(status, 200, "{body}");
    body["rules"].as_array().unwrap().clone()
}

/// A counter of `/metrics` with these labels (0 when absent).
pub async fn fault_hits(server: &Server, api: &str, operation: &str, action: &str) -> u64 {
    let response = server.send(&RawRequest::new("GET", "/metrics")).await;
    let line_start = format!(
        "carillon_fault_hits_total{{api=\"{api}\",operation=\"{operation}\",action=\"{action}\"}} "
    );
    response
        .text()
        .lines()
        .find_map(|line| line.strip_prefix(&line_start))
        .map_or(0, |n| n.trim().parse().unwrap())
}

/// A rule's JSON, for the tests that only vary one member.
pub fn rule(action: &str, extra: Value) -> Value {
    let mut rule = json!({ "action": action });
    if let (Some(rule), Some(extra)) = (rule.as_object_mut(), extra.as_object()) {
        rule.extend(extra.clone());
    }
    rule
}
