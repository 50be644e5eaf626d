//! The event log, read (`GET /v1/events`) and followed live (`GET /v1/events/stream`, server-sent
//! events). Both take the same filters: `meeting_id`, `account_id`, `name` (`chime:AttendeeJoined`,
//! `meetingStartSucceeded`) and `source` (`meeting` or `client`).
//!
//! An event is `{"position","seq","eventId","meetingId","accountId","source","name","atMs",
//! "event"}`, where `event` is the envelope of a meeting event (as its targets receive it) or the
//! client's event as it posted it. Positions are opaque (`major-minor`) and ordered; a page says
//! where the next one starts (`next`), and a stream's events carry theirs as the SSE `id`, so a
//! client that reconnects with `Last-Event-ID` (browsers do) misses nothing. Without one, a
//! stream starts at its `after` parameter, or with the events logged from now on.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use carillon_core::events::outbox::{EventPosition, StoredEvent};
use futures_util::stream::{self, Stream};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::query::Params;
use crate::{error, json_text, unavailable, Admin};

/// Events a page holds by default and at most.
const PAGE: usize = 100;
const MAX_PAGE: usize = 1000;
/// How often a stream looks for events of other nodes (this node's wake it at once).
const POLL: Duration = Duration::from_millis(250);
/// How long a stream waits after the store failed.
const RETRY: Duration = Duration::from_secs(1);

/// Which events a reader wants.
#[derive(Debug, Default, Clone)]
struct Filter {
    meeting_id: Option<String>,
    account_id: Option<String>,
    name: Option<String>,
    source: Option<String>,
}

impl Filter {
    fn from(params: &Params) -> Self {
        let get = |name: &str| {
            params
                .get(name)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        Filter {
            meeting_id: get("meeting_id").map(|m| m.to_ascii_lowercase()),
            account_id: get("account_id"),
            name: get("name"),
            source: get("source"),
        }
    }

    fn takes(&self, e: &StoredEvent) -> bool {
        let e = &e.event;
        self.meeting_id.as_ref().is_none_or(|m| *m == e.meeting_id)
            && self.account_id.as_ref().is_none_or(|a| *a == e.account_id)
            && self.name.as_ref().is_none_or(|n| *n == e.name)
            && self.source.as_ref().is_none_or(|s| s == e.source.as_str())
    }
}

/// The JSON form of a logged event. The body goes out as stored, so that an envelope keeps its
/// documented member order (a client event's body is JSON too; were one not, it would go out as
/// a string).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EventJson<'a> {
    position: String,
    seq: i64,
    event_id: &'a str,
    meeting_id: &'a str,
    account_id: &'a str,
    source: &'static str,
    name: &'a str,
    at_ms: i64,
    event: Body<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Body<'a> {
    Json(&'a RawValue),
    Text(&'a str),
}

impl<'a> EventJson<'a> {
    pub(crate) fn of(e: &'a StoredEvent) -> Self {
        let l = &e.event;
        let event = serde_json::from_str::<&RawValue>(&l.body)
            .map(Body::Json)
            .unwrap_or(Body::Text(&l.body));
        EventJson {
            position: e.position.to_token(),
            seq: e.seq,
            event_id: &l.event_id,
            meeting_id: &l.meeting_id,
            account_id: &l.account_id,
            source: l.source.as_str(),
            name: &l.name,
            at_ms: l.at_ms,
            event,
        }
    }
}

/// `value` as a JSON answer.
pub(crate) fn serialized(value: &impl Serialize) -> Response {
    match serde_json::to_string(value) {
        Ok(body) => json_text(StatusCode::OK, body),
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "could not encode the answer",
        ),
    }
}

/// Where a reader starts: its `Last-Event-ID`, else its `after`; `Err` when malformed.
fn position(params: &Params, headers: &HeaderMap) -> Result<Option<EventPosition>, ()> {
    let given = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .or_else(|| params.get("after"));
    match given {
        None | Some("") => Ok(None),
        Some(token) => EventPosition::parse_token(token).map(Some).ok_or(()),
    }
}

fn bad_position() -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "after: expected a position as the log gives them",
    )
}

/// `GET /v1/events`: one page of the log after `after` (from the start without it).
pub(crate) async fn list(State(admin): State<Arc<Admin>>, uri: Uri) -> Response {
    let params = Params::parse(uri.query());
    let limit = match params.limit(PAGE, MAX_PAGE) {
        Ok(limit) => limit,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let after = match position(&params, &HeaderMap::new()) {
        Ok(after) => after.unwrap_or(EventPosition::START),
        Err(()) => return bad_position(),
    };
    let filter = Filter::from(&params);
    let page = match admin.store.events_after(after, limit).await {
        Ok(page) => page,
        Err(e) => return unavailable(&e),
    };
    #[derive(Serialize)]
    struct Page<'a> {
        events: Vec<EventJson<'a>>,
        next: String,
        more: bool,
    }
    let next = page.last().map_or(after, |e| e.position);
    serialized(&Page {
        events: page
            .iter()
            .filter(|e| filter.takes(e))
            .map(EventJson::of)
            .collect(),
        next: next.to_token(),
        more: page.len() == limit,
    })
}

/// `GET /v1/events/stream`: the log as server-sent events, each `event:` its source
/// (`meeting` or `client`), `id:` its position, `data:` its JSON; a comment every 15 seconds
/// keeps idle connections open through proxies.
pub(crate) async fn stream(
    State(admin): State<Arc<Admin>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(uri.query());
    let after = match position(&params, &headers) {
        Ok(Some(after)) => after,
        Ok(None) => match admin.store.last_event_position().await {
            Ok(now) => now,
            Err(e) => return unavailable(&e),
        },
        Err(()) => return bad_position(),
    };
    let follower = Follower {
        logged: admin.store.events_logged(),
        stopped: admin.stopped.clone(),
        admin,
        after,
        filter: Filter::from(&params),
        ready: VecDeque::new(),
    };
    Sse::new(follow(follower))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// A stream's reader of the log.
struct Follower {
    admin: Arc<Admin>,
    logged: tokio::sync::watch::Receiver<u64>,
    stopped: tokio::sync::watch::Receiver<bool>,
    after: EventPosition,
    filter: Filter,
    ready: VecDeque<StoredEvent>,
}

fn follow(follower: Follower) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(follower, |mut f| async move {
        loop {
            if *f.stopped.borrow() {
                return None;
            }
            if let Some(e) = f.ready.pop_front() {
                let data =
                    serde_json::to_string(&EventJson::of(&e)).unwrap_or_else(|_| "{}".to_owned());
                let event = Event::default()
                    .event(e.event.source.as_str())
                    .id(e.position.to_token())
                    .data(data);
                return Some((Ok(event), f));
            }
            // Marks what is logged up to now as seen before reading, so that an event logged
            // during the read wakes the next wait.
            f.logged.borrow_and_update();
            match f.admin.store.events_after(f.after, PAGE).await {
                Ok(page) if !page.is_empty() => {
                    f.after = page.last().map_or(f.after, |e| e.position);
                    let filter = &f.filter;
                    f.ready.extend(page.into_iter().filter(|e| filter.takes(e)));
                }
                Ok(_) => {
                    tokio::select! {
                        _ = f.logged.changed() => {}
                        () = tokio::time::sleep(POLL) => {}
                        _ = f.stopped.changed() => {}
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "admin: an event stream could not read the log");
                    tokio::select! {
                        () = tokio::time::sleep(RETRY) => {}
                        _ = f.stopped.changed() => {}
                    }
                }
            }
        }
    })
}
