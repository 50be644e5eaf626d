//! The meeting's `EventIngestionUrl`: the SDK posts its own events there (`meetingStartRequested`,
//! `meetingStartSucceeded`, `audioInputFailed`, `meetingEnded`…), and they are logged with the
//! meeting's events, where the live stream shows them (they are never delivered to a target).
//!
//! What the SDK sends (`InMemoryJSONEventBuffer`): `POST` with `Authorization: Bearer
//! <JoinToken>` and a JSON body `{"metadata":{"meetingId","attendeeId",…},"events":[{"type",
//! "v","payloads":[{"name","ts",…attributes}]}]}`; on page unload, `navigator.sendBeacon` to
//! `<url>?beacon=1` with the token in the body's `authorization` member instead. The answer it
//! reads is JSON (`{}`), and the page's origin is the app's, so every answer carries CORS headers.
//!
//! Who may post: the token must be the JoinToken of the attendee it names, of the meeting the
//! metadata names (compared in constant time). A token once verified stays good for
//! [`VERIFIED_FOR`], so that the events a client reports after its meeting ended (`meetingEnded`
//! itself), when the store no longer holds its attendee, are still taken. Bounds: the body
//! ([`MAX_BODY`]), the events per post ([`MAX_EVENTS`]), an event's name, and a rate per attendee
//! ([`RATE`], [`BURST`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use carillon_core::events::outbox::ClientEvent;
use carillon_core::ids::CONTENT_SUFFIX;
use carillon_core::rate::Rate;
use carillon_core::JoinLookup;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::admission::attendee_in;
use crate::Plane;

/// Largest body taken (the SDK's batches stay far below it).
pub const MAX_BODY: usize = 64 * 1024;
/// Most events in one post.
pub const MAX_EVENTS: usize = 100;
/// Longest event name.
const MAX_NAME: usize = 64;
/// Posts per second an attendee may make, sustained, and at once.
pub const RATE: f64 = 5.0;
pub const BURST: u32 = 20;
/// How long a verified token is taken without asking the store again.
pub const VERIFIED_FOR: Duration = Duration::from_secs(600);
/// Attendees remembered at most; the oldest are forgotten first when full.
const MAX_REMEMBERED: usize = 100_000;

/// What is remembered of an attendee that posted.
#[derive(Debug)]
struct Poster {
    /// SHA-256 of the token verified, and until when it holds.
    token_digest: [u8; 32],
    meeting_id: String,
    verified_until: Instant,
    /// The attendee's rate bucket: its next free time, in ns since `Ingestion::origin`.
    next_free_ns: u64,
}

/// The ingestion's memory: verified tokens and rate buckets, per attendee.
#[derive(Debug)]
pub(crate) struct Ingestion {
    origin: Instant,
    rate: Rate,
    posters: Mutex<HashMap<String, Poster>>,
}

impl Default for Ingestion {
    fn default() -> Self {
        Ingestion {
            origin: Instant::now(),
            rate: Rate::new(RATE, BURST),
            posters: Mutex::new(HashMap::new()),
        }
    }
}

/// Why a post was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    Malformed(&'static str),
    Unauthorized,
    TooLarge,
    TooMany,
    Unavailable,
}

impl Refusal {
    fn status(self) -> StatusCode {
        match self {
            Refusal::Malformed(_) => StatusCode::BAD_REQUEST,
            Refusal::Unauthorized => StatusCode::UNAUTHORIZED,
            Refusal::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::TooMany => StatusCode::TOO_MANY_REQUESTS,
            Refusal::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The metric's label.
    fn name(self) -> &'static str {
        match self {
            Refusal::Malformed(_) => "malformed",
            Refusal::Unauthorized => "unauthorized",
            Refusal::TooLarge => "too_large",
            Refusal::TooMany => "throttled",
            Refusal::Unavailable => "store_unavailable",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Refusal::Malformed(why) => why,
            Refusal::Unauthorized => "expected the JoinToken of an attendee of the meeting",
            Refusal::TooLarge => "too large",
            Refusal::TooMany => "too many posts; slow down",
            Refusal::Unavailable => "try again",
        }
    }
}

/// The route's handler: `OPTIONS` (the CORS preflight) and `POST`.
pub(crate) async fn handle(
    State(plane): State<Arc<Plane>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut response = match method {
        Method::OPTIONS => StatusCode::NO_CONTENT.into_response(),
        Method::POST => {
            let beacon = uri
                .query()
                .is_some_and(|q| q.split('&').any(|pair| pair == "beacon=1"));
            match post(&plane, beacon, &headers, &body).await {
                Ok(count) => {
                    plane.metrics.client_events("logged", count);
                    json(StatusCode::OK, "{}".to_owned())
                }
                Err(refusal) => {
                    plane.metrics.client_events(refusal.name(), 1);
                    let body = serde_json::json!({ "message": refusal.message() });
                    json(refusal.status(), body.to_string())
                }
            }
        }
        _ => StatusCode::METHOD_NOT_ALLOWED.into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("authorization, content-type"),
    );
    response
}

fn json(status: StatusCode, body: String) -> Response {
    let content_type = HeaderValue::from_static("application/json");
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// Logs a post's events; how many.
async fn post(
    plane: &Plane,
    beacon: bool,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<usize, Refusal> {
    if body.len() > MAX_BODY {
        return Err(Refusal::TooLarge);
    }
    let record: Value =
        serde_json::from_slice(body).map_err(|_| Refusal::Malformed("expected a JSON body"))?;
    let token = if beacon {
        record.get("authorization").and_then(Value::as_str)
    } else {
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
    }
    .ok_or(Refusal::Unauthorized)?;
    let metadata = record.get("metadata").and_then(Value::as_object);
    let meeting_id = metadata
        .and_then(|m| m.get("meetingId"))
        .and_then(Value::as_str)
        .ok_or(Refusal::Malformed("expected metadata.meetingId"))?
        .to_ascii_lowercase();
    let attendee_id = plane.client_events.admit(plane, &meeting_id, token).await?;
    let events = client_events(&record, &meeting_id, &attendee_id)?;
    let count = events.len();
    if count > 0 {
        plane
            .store
            .record_client_events(events)
            .await
            .map_err(|_| Refusal::Unavailable)?;
    }
    Ok(count)
}

/// The post's events, each payload one event: its `name`, `ts` (epoch ms), and the payload as
/// sent with the attendee's id added.
fn client_events(
    record: &Value,
    meeting_id: &str,
    attendee_id: &str,
) -> Result<Vec<ClientEvent>, Refusal> {
    let malformed = Refusal::Malformed("expected events[].payloads[] with a name and a ts");
    let batches = match record.get("events") {
        None => return Ok(Vec::new()),
        Some(Value::Array(batches)) => batches,
        Some(_) => return Err(malformed),
    };
    let mut events = Vec::new();
    for batch in batches {
        let payloads = batch
            .get("payloads")
            .and_then(Value::as_array)
            .ok_or(malformed)?;
        for payload in payloads {
            let object = payload.as_object().ok_or(malformed)?;
            let name = object
                .get("name")
                .and_then(Value::as_str)
                .ok_or(malformed)?;
            let ts = object.get("ts").and_then(Value::as_f64).ok_or(malformed)?;
            if name.is_empty() || name.len() > MAX_NAME || !ts.is_finite() {
                return Err(malformed);
            }
            if events.len() == MAX_EVENTS {
                return Err(Refusal::TooLarge);
            }
            let mut body = Map::with_capacity(object.len() + 1);
            body.insert("attendeeId".into(), Value::from(attendee_id));
            body.extend(object.iter().map(|(k, v)| (k.clone(), v.clone())));
            events.push(ClientEvent {
                meeting_id: meeting_id.to_owned(),
                name: name.to_owned(),
                at_ms: ts as i64,
                body: Value::Object(body).to_string(),
            });
        }
    }
    Ok(events)
}

impl Ingestion {
    /// The attendee (its id, with `#content` for a content share) whose JoinToken `presented`
    /// is, of `meeting_id`, once its rate allows another post.
    async fn admit(
        &self,
        plane: &Plane,
        meeting_id: &str,
        presented: &str,
    ) -> Result<String, Refusal> {
        let (token, suffix) = match presented.strip_suffix(CONTENT_SUFFIX) {
            Some(token) => (token, CONTENT_SUFFIX),
            None => (presented, ""),
        };
        let attendee_id = attendee_in(token).ok_or(Refusal::Unauthorized)?;
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if !self.remembered(&attendee_id, meeting_id, &digest)? {
            match plane.store.join_lookup(meeting_id, &attendee_id).await {
                Ok(JoinLookup::Found(_, attendee))
                    if bool::from(attendee.join_token.as_bytes().ct_eq(token.as_bytes())) =>
                {
                    self.remember(&attendee_id, meeting_id, digest);
                }
                Ok(_) => return Err(Refusal::Unauthorized),
                Err(_) => return Err(Refusal::Unavailable),
            }
            // The first post of a token counts against the rate too.
            self.remembered(&attendee_id, meeting_id, &digest)?;
        }
        Ok(format!("{attendee_id}{suffix}"))
    }

    /// Whether this token of this attendee was verified for this meeting and still holds; if
    /// so, takes one post from its rate (refusing when it is spent).
    fn remembered(
        &self,
        attendee_id: &str,
        meeting_id: &str,
        digest: &[u8; 32],
    ) -> Result<bool, Refusal> {
        let now = Instant::now();
        let mut posters = self.posters.lock().unwrap_or_else(|e| e.into_inner());
        let Some(poster) = posters.get_mut(attendee_id) else {
            return Ok(false);
        };
        let same = bool::from(poster.token_digest.ct_eq(digest)) && poster.meeting_id == meeting_id;
        if !same || poster.verified_until <= now {
            return Ok(false);
        }
        let now_ns = u64::try_from(now.duration_since(self.origin).as_nanos()).unwrap_or(u64::MAX);
        match self.rate.check(poster.next_free_ns, now_ns) {
            Ok(next) => {
                poster.next_free_ns = next;
                Ok(true)
            }
            Err(_) => Err(Refusal::TooMany),
        }
    }

    fn remember(&self, attendee_id: &str, meeting_id: &str, token_digest: [u8; 32]) {
        let now = Instant::now();
        let mut posters = self.posters.lock().unwrap_or_else(|e| e.into_inner());
        if posters.len() >= MAX_REMEMBERED && !posters.contains_key(attendee_id) {
            posters.retain(|_, p| p.verified_until > now);
            if posters.len() >= MAX_REMEMBERED {
                let oldest = posters
                    .iter()
                    .min_by_key(|(_, p)| p.verified_until)
                    .map(|(id, _)| id.clone());
                if let Some(oldest) = oldest {
                    posters.remove(&oldest);
                }
            }
        }
        let next_free_ns = posters.get(attendee_id).map_or(0, |p| p.next_free_ns);
        posters.insert(
            attendee_id.to_owned(),
            Poster {
                token_digest,
                meeting_id: meeting_id.to_owned(),
                verified_until: now + VERIFIED_FOR,
                next_free_ns,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_payload_is_one_event_with_its_attendee() {
        let record = json!({
            "metadata": {"meetingId": "m"},
            "events": [
                {"type": "Meet", "v": 1, "payloads": [
                    {"name": "meetingStartRequested", "ts": 1000},
                    {"name": "meetingStartSucceeded", "ts": 1500.0, "maxVideoTileCount": 0}
                ]}
            ]
        });
        let events = client_events(&record, "m", "a").unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[1].name, "meetingStartSucceeded");
        assert_eq!(events[1].at_ms, 1500);
        let body: Value = serde_json::from_str(&events[1].body).unwrap();
        assert_eq!(body["attendeeId"], "a");
        assert_eq!(body["maxVideoTileCount"], 0);
    }

    #[test]
    fn malformed_and_oversized_posts_are_refused() {
        for bad in [
            json!({"events": {}}),
            json!({"events": [{"payloads": [{"ts": 1}]}]}),
            json!({"events": [{"payloads": [{"name": "x"}]}]}),
            json!({"events": [{"payloads": [{"name": "", "ts": 1}]}]}),
            json!({"events": [{"payloads": [{"name": "x".repeat(65), "ts": 1}]}]}),
            json!({"events": [{"payloads": "x"}]}),
        ] {
            assert!(
                matches!(client_events(&bad, "m", "a"), Err(Refusal::Malformed(_))),
                "{bad}"
            );
        }
        let many: Vec<Value> = (0..=MAX_EVENTS)
            .map(|i| json!({"name": "e", "ts": i}))
            .collect();
        let record = json!({"events": [{"payloads": many}]});
        assert_eq!(
            client_events(&record, "m", "a").unwrap_err(),
            Refusal::TooLarge
        );
        assert!(client_events(&json!({}), "m", "a").unwrap().is_empty());
    }

    #[test]
    fn a_remembered_token_is_rate_limited_and_bound_to_its_meeting() {
        let ingestion = Ingestion::default();
        let digest = [7; 32];
        assert_eq!(ingestion.remembered("a", "m", &digest), Ok(false));
        ingestion.remember("a", "m", digest);
        assert_eq!(ingestion.remembered("a", "other", &digest), Ok(false));
        assert_eq!(ingestion.remembered("a", "m", &[8; 32]), Ok(false));
        for _ in 0..BURST {
            assert_eq!(ingestion.remembered("a", "m", &digest), Ok(true));
        }
        assert_eq!(
            ingestion.remembered("a", "m", &digest),
            Err(Refusal::TooMany)
        );
    }
}
