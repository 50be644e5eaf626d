//! Deliveries given up on: listed (`GET /v1/dead-letters`), and made due again
//! (`POST /v1/dead-letters/replay`, body `{}` or `{"all":true}` for all of them, or
//! `{"deliveries":[{"target":"webhook:orders","seq":42}]}` for those).
//!
//! A dead letter is `{"target","seq","attempts","deadAtMs","lastError","event"}` with `event` as
//! the log shows it. A page continues after the last one it holds (`after=<seq>:<target>` from
//! its `next`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use carillon_core::events::outbox::{DeadLetter, DeliveryKey};
use serde::Serialize;
use serde_json::{json, Value};

use crate::events::{serialized, EventJson};
use crate::query::Params;
use crate::{error, json, unavailable, Admin};

const PAGE: usize = 100;
const MAX_PAGE: usize = 1000;
/// Most deliveries one replay names.
const MAX_REPLAY: usize = 1000;

fn key_token(key: &DeliveryKey) -> String {
    format!("{}:{}", key.seq, key.target)
}

fn parse_key_token(s: &str) -> Option<DeliveryKey> {
    let (seq, target) = s.split_once(':')?;
    Some(DeliveryKey {
        seq: seq.parse().ok()?,
        target: target.to_owned(),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeadLetterJson<'a> {
    target: &'a str,
    seq: i64,
    attempts: u32,
    dead_at_ms: i64,
    last_error: &'a str,
    event: EventJson<'a>,
}

impl<'a> DeadLetterJson<'a> {
    fn of(d: &'a DeadLetter) -> Self {
        DeadLetterJson {
            target: &d.key.target,
            seq: d.key.seq,
            attempts: d.attempts,
            dead_at_ms: d.dead_at_ms,
            last_error: &d.last_error,
            event: EventJson::of(&d.event),
        }
    }
}

/// `GET /v1/dead-letters`.
pub(crate) async fn list(State(admin): State<Arc<Admin>>, uri: Uri) -> Response {
    let params = Params::parse(uri.query());
    let limit = match params.limit(PAGE, MAX_PAGE) {
        Ok(limit) => limit,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let after = match params.get("after").filter(|a| !a.is_empty()) {
        None => None,
        Some(token) => match parse_key_token(token) {
            Some(key) => Some(key),
            None => return error(StatusCode::BAD_REQUEST, "after: expected <seq>:<target>"),
        },
    };
    match admin.store.dead_letters(after, limit).await {
        Ok(page) => {
            #[derive(Serialize)]
            #[serde(rename_all = "camelCase")]
            struct Page<'a> {
                dead_letters: Vec<DeadLetterJson<'a>>,
                next: Option<String>,
            }
            let next = (page.len() == limit)
                .then(|| page.last().map(|d| key_token(&d.key)))
                .flatten();
            serialized(&Page {
                dead_letters: page.iter().map(DeadLetterJson::of).collect(),
                next,
            })
        }
        Err(e) => unavailable(&e),
    }
}

/// What a replay names: `None` for every dead letter.
fn replay_request(body: &[u8]) -> Result<Option<Vec<DeliveryKey>>, &'static str> {
    let expected = "expected {}, {\"all\":true} or {\"deliveries\":[{\"target\":…,\"seq\":…}]}";
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let value: Value = serde_json::from_slice(body).map_err(|_| expected)?;
    let object = value.as_object().ok_or(expected)?;
    match (object.get("all"), object.get("deliveries")) {
        (None | Some(Value::Bool(true)), None) => Ok(None),
        (None, Some(Value::Array(items))) if items.len() <= MAX_REPLAY => items
            .iter()
            .map(|item| {
                let target = item.get("target").and_then(Value::as_str);
                let seq = item.get("seq").and_then(Value::as_i64);
                match (target, seq) {
                    (Some(target), Some(seq)) => Ok(DeliveryKey {
                        target: target.to_owned(),
                        seq,
                    }),
                    _ => Err(expected),
                }
            })
            .collect::<Result<_, _>>()
            .map(Some),
        _ => Err(expected),
    }
}

/// `POST /v1/dead-letters/replay`: `{"replayed": n}`.
pub(crate) async fn replay(State(admin): State<Arc<Admin>>, body: Bytes) -> Response {
    let keys = match replay_request(&body) {
        Ok(keys) => keys,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let now = carillon_core::clock::real_ms();
    match admin.store.replay_dead_letters(keys, now).await {
        Ok(n) => json(StatusCode::OK, json!({ "replayed": n })),
        Err(e) => unavailable(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_requests() {
        assert_eq!(replay_request(b""), Ok(None));
        assert_eq!(replay_request(b"{}"), Ok(None));
        assert_eq!(replay_request(br#"{"all":true}"#), Ok(None));
        let named = replay_request(br#"{"deliveries":[{"target":"sqs:arn:x","seq":4}]}"#);
        let key = DeliveryKey {
            target: "sqs:arn:x".into(),
            seq: 4,
        };
        assert_eq!(named, Ok(Some(vec![key.clone()])));
        for bad in [
            &br#"{"all":false}"#[..],
            br#"{"deliveries":[{"seq":4}]}"#,
            br#"{"deliveries":{}}"#,
            b"[]",
            b"x",
        ] {
            assert!(
                replay_request(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(parse_key_token(&key_token(&key)), Some(key));
    }
}
