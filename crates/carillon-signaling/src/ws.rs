//! The HTTP side of the plane: the WebSocket upgrade at `/control/<MeetingId>`, and the
//! `EventIngestionUrl` the SDK posts its client events to ([`crate::client_events`]).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;

use crate::admission::{self, SUBPROTOCOL};
use crate::cluster::Home;
use crate::relay::{self, RELAYED_HEADER};
use crate::session;
use crate::Plane;

/// Largest WebSocket message accepted (also by a relay to the home node): an SDP offer with many video sections is a few tens of
/// KiB; nothing the SDK sends comes near this.
pub(crate) const MAX_MESSAGE: usize = 256 * 1024;

/// The upgrade as every session (relayed or not) gets it: the SDK's subprotocol echoed, messages
/// bounded, and small buffers, for thousands of mostly idle sessions.
pub(crate) fn configured(ws: WebSocketUpgrade) -> WebSocketUpgrade {
    ws.protocols([SUBPROTOCOL])
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .read_buffer_size(4096)
        .write_buffer_size(0)
}

pub(crate) fn router(plane: Arc<Plane>) -> Router {
    Router::new()
        .route("/control/{meeting_id}", get(upgrade))
        .route("/v1/client-events", any(crate::client_events::handle))
        .with_state(plane)
}

/// Admits the session (or not), then upgrades either way: the SDK treats a refused upgrade as a
/// passing failure and retries for two minutes, but a close during its join as final.
async fn upgrade(
    State(plane): State<Arc<Plane>>,
    Path(meeting_id): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let Some(token) = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(admission::token_from_protocols)
    else {
        plane.metrics.refused("no_token");
        return (
            StatusCode::FORBIDDEN,
            "expected the subprotocols _aws_wt_session and a JoinToken",
        )
            .into_response();
    };
    if plane.draining.load(Ordering::Relaxed) {
        plane.metrics.refused("draining");
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response();
    }
    if plane.open_sessions.load(Ordering::Relaxed) >= plane.config.max_sessions {
        plane.metrics.refused("overloaded");
        return (StatusCode::SERVICE_UNAVAILABLE, "too many sessions").into_response();
    }
    if !headers.contains_key(RELAYED_HEADER) {
        if let Home::Elsewhere(node_url) = plane.home(&meeting_id) {
            let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
            let open = SessionCount::open(plane.clone());
            let response = relay::relay(ws, &node_url, path, &headers, open).await;
            return response;
        }
    }
    let decision = match admission::admit(&*plane.store, &meeting_id, token).await {
        Ok(decision) => decision,
        Err(e) => {
            tracing::warn!(error = %e, "signaling: the store did not answer a join");
            plane.metrics.refused("store_unavailable");
            return (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response();
        }
    };
    let decision = match decision {
        Ok(admitted) if plane.config.faults.refuse_join(&admitted.fault_key()) => {
            Err(crate::ending::Ending::FAULT_REFUSED)
        }
        decision => decision,
    };
    let ws = configured(ws);
    let open = SessionCount::open(plane.clone());
    ws.on_upgrade(move |socket| async move {
        let _open = open;
        match decision {
            Ok(admitted) => session::serve(socket, plane, admitted).await,
            Err(ending) => {
                tracing::info!(meeting_id = %meeting_id.to_ascii_lowercase(), reason = ending.name, "join refused");
                plane.metrics.refused(ending.name);
                session::refuse(socket, ending).await
            }
        }
    })
}

/// Counts a session from its upgrade to its end.
struct SessionCount(Arc<Plane>);

impl SessionCount {
    fn open(plane: Arc<Plane>) -> Self {
        plane.open_sessions.fetch_add(1, Ordering::Relaxed);
        plane.metrics.session_opened();
        SessionCount(plane)
    }
}

impl Drop for SessionCount {
    fn drop(&mut self) {
        self.0.open_sessions.fetch_sub(1, Ordering::Relaxed);
        self.0.metrics.session_closed();
    }
}
