//! The admin listener: what an operator (or a test) asks of a running server that the Chime API
//! has no word for. It listens on its own address, loopback by default, and every request needs
//! `Authorization: Bearer <admin token>`; nothing here is reachable through the API's ports.
//!
//! Routes (JSON unless said otherwise; `openapi.json` beside `src/` documents them all):
//!
//! | route | what |
//! |---|---|
//! | `GET /v1/events?after=&limit=&meeting_id=&account_id=&name=` | the event log, oldest first ([`events`]) |
//! | `GET /v1/events/stream?…same filters…` | the log live, as server-sent events ([`events`]) |
//! | `GET /v1/dead-letters?after=&limit=` | deliveries given up on ([`dead_letters`]) |
//! | `POST /v1/dead-letters/replay` | makes them due again ([`dead_letters`]) |
//! | `GET /v1/meetings?account_id=&api=&external_meeting_id=&state=&limit=&next=` | meetings of every account and both APIs ([`meetings`]) |
//! | `GET /v1/meetings/{MeetingId}` | one meeting, its event count and live presence ([`meetings`]) |
//! | `GET /v1/meetings/{MeetingId}/attendees?limit=&next=` | its attendees and their live presence ([`meetings`]) |
//! | `POST /v1/reset` | empties the store; live sessions of its meetings are hung up ([`state`]) |
//! | `GET /v1/export` | the whole state as a versioned NDJSON file, streamed ([`state`]) |
//! | `POST /v1/import?replace=` | restores such a file, all or nothing ([`state`]) |
//! | `POST /v1/seed?dryRun=` | creates meetings and attendees from a seed file, as the API would ([`seed`]) |
//! | `POST /v1/meetings/{MeetingId}/attendees/{AttendeeId}/presence` | marks an attendee joined, left or dropped ([`presence`]) |
//! | `GET /v1/time`, `POST /v1/time/{freeze,resume,advance}` | the server's clock, frozen and advanced for tests ([`time`]) |
//! | `GET /v1/faults` | this node's fault rules, with their hits ([`faults`]) |
//! | `POST /v1/faults` | adds a fault rule; answers it with its id ([`faults`]) |
//! | `DELETE /v1/faults/{id}` | removes one rule ([`faults`]) |
//! | `DELETE /v1/faults` | removes every rule ([`faults`]) |
//! | `POST /v1/faults/drop-sessions` | cuts a meeting's (or an attendee's) signaling sessions now ([`faults`]) |
//! | `GET /v1/quotas`, `PUT`/`DELETE /v1/quotas/accounts/{AccountId}`, `PUT`/`DELETE /v1/quotas/default` | the quotas in force, overridden at run time ([`quotas`]) |
//! | `GET /v1/metrics` | the server's metrics, as the public `/metrics` serves them ([`metrics`]) |
//! | `GET /dashboard/` (and `/`) | the web dashboard, without the token: it holds no data ([`dashboard`]) |

mod dashboard;
mod dead_letters;
mod events;
mod faults;
mod meetings;
mod metrics;
#[cfg(test)]
mod openapi;
mod presence;
mod query;
mod quotas;
mod seed;
mod state;
mod time;
mod view;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::handler::Handler;
use axum::http::Method;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;
use carillon_core::{MeetingService, Store};
use carillon_signaling::Plane;
use subtle::ConstantTimeEq;

/// What the admin routes work on.
pub struct Admin {
    pub store: Arc<dyn Store>,
    /// The signaling plane, for presence marks, and its fault rules (the API's too).
    pub plane: Arc<Plane>,
    token: Box<str>,
    /// Turns true when the server stops: live streams end then, so that connections close.
    stopped: tokio::sync::watch::Receiver<bool>,
    /// The server time of the lifecycle sweeper's last complete sweep; `None` when no meeting
    /// ever ends on its own.
    sweeps: Option<tokio::sync::watch::Receiver<i64>>,
    /// The metrics exposition, when the server has one to show.
    metrics: Option<metrics::MetricsText>,
    /// The service seeding creates through, as the API does.
    service: Option<Arc<MeetingService>>,
    /// The API's quotas, whose limits `/v1/quotas` replaces.
    quotas: carillon_api::quota::Quotas,
}

pub use metrics::MetricsText;

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin").finish_non_exhaustive()
    }
}

impl Admin {
    pub fn new(
        store: Arc<dyn Store>,
        plane: Arc<Plane>,
        token: &str,
        stopped: tokio::sync::watch::Receiver<bool>,
    ) -> Self {
        Admin {
            store,
            plane,
            token: token.into(),
            stopped,
            sweeps: None,
            metrics: None,
            service: None,
            quotas: carillon_api::quota::Quotas::disabled(),
        }
    }

    /// Lets `/v1/quotas` show and replace the limits of `quotas` (the API's: a clone is a handle
    /// on them); without it the quotas are off.
    pub fn with_quotas(mut self, quotas: carillon_api::quota::Quotas) -> Self {
        self.quotas = quotas;
        self
    }

    /// Serves the server's metrics at `/v1/metrics` (the dashboard's charts).
    pub fn with_metrics(mut self, render: MetricsText) -> Self {
        self.metrics = Some(render);
        self
    }

    /// Lets `POST /v1/seed` create meetings and attendees through the service.
    pub fn with_service(mut self, service: Arc<MeetingService>) -> Self {
        self.service = Some(service);
        self
    }

    /// Lets a clock advance wait for the sweep that ends what it made expire.
    pub fn with_sweeps(mut self, sweeps: tokio::sync::watch::Receiver<i64>) -> Self {
        self.sweeps = Some(sweeps);
        self
    }
}

/// One route: where, which method, what answers.
pub struct Route {
    pub path: &'static str,
    pub method: Method,
    handler: MethodRouter<Arc<Admin>>,
}

fn route<H, T>(path: &'static str, method: Method, handler: H) -> Route
where
    H: Handler<T, Arc<Admin>>,
    T: 'static,
{
    let filter = MethodFilter::try_from(method.clone()).expect("a method axum can route");
    Route {
        path,
        method,
        handler: on(filter, handler),
    }
}

/// The routes behind the token. `openapi.json` documents exactly these and [`open_routes`] (a
/// test compares them, and another sends each documented request to a running server).
pub fn protected_routes() -> Vec<Route> {
    use Method as M;
    let presence = "/v1/meetings/{meeting_id}/attendees/{attendee_id}/presence";
    vec![
        route("/v1/events", M::GET, events::list),
        route("/v1/events/stream", M::GET, events::stream),
        route("/v1/dead-letters", M::GET, dead_letters::list),
        route("/v1/dead-letters/replay", M::POST, dead_letters::replay),
        route("/v1/meetings", M::GET, meetings::list),
        route("/v1/meetings/{meeting_id}", M::GET, meetings::get),
        route(
            "/v1/meetings/{meeting_id}/attendees",
            M::GET,
            meetings::attendees,
        ),
        route(presence, M::POST, presence::mark),
        route("/v1/reset", M::POST, state::reset),
        route("/v1/export", M::GET, state::export),
        route("/v1/import", M::POST, state::import),
        route("/v1/seed", M::POST, seed::seed),
        route("/v1/time", M::GET, time::show),
        route("/v1/time/freeze", M::POST, time::freeze),
        route("/v1/time/resume", M::POST, time::resume),
        route("/v1/time/advance", M::POST, time::advance),
        route("/v1/faults", M::GET, faults::list),
        route("/v1/faults", M::POST, faults::add),
        route("/v1/faults", M::DELETE, faults::clear),
        route("/v1/faults/drop-sessions", M::POST, faults::drop_sessions),
        route("/v1/faults/{id}", M::DELETE, faults::remove),
        route("/v1/metrics", M::GET, metrics::exposition),
        route("/v1/quotas", M::GET, quotas::show),
        route("/v1/quotas/default", M::PUT, quotas::set_default),
        route("/v1/quotas/default", M::DELETE, quotas::reset_default),
        route(
            "/v1/quotas/accounts/{account_id}",
            M::PUT,
            quotas::set_account,
        ),
        route(
            "/v1/quotas/accounts/{account_id}",
            M::DELETE,
            quotas::reset_account,
        ),
    ]
}

/// The routes without the token: the dashboard's files, which hold no data (a browser loads
/// them, then the page asks for the token).
pub fn open_routes() -> Vec<Route> {
    vec![
        route("/", Method::GET, dashboard::root),
        route("/dashboard/", Method::GET, dashboard::index),
        route("/dashboard/app.js", Method::GET, dashboard::script),
        route("/dashboard/style.css", Method::GET, dashboard::style),
    ]
}

/// The admin routes: [`protected_routes`] behind the token, then [`open_routes`].
pub fn router(admin: Arc<Admin>) -> Router {
    let mut router = Router::new();
    for route in protected_routes() {
        router = router.route(route.path, route.handler);
    }
    router = router.route_layer(middleware::from_fn_with_state(admin.clone(), authorized));
    for route in open_routes() {
        router = router.route(route.path, route.handler);
    }
    router
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such route") })
        .with_state(admin)
}

/// Lets a request through when it carries the admin token (compared in constant time).
async fn authorized(State(admin): State<Arc<Admin>>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if bool::from(presented.as_bytes().ct_eq(admin.token.as_bytes())) {
        next.run(request).await
    } else {
        let mut response = error(StatusCode::UNAUTHORIZED, "expected the admin token");
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        response
    }
}

/// A JSON answer.
pub(crate) fn json(status: StatusCode, body: serde_json::Value) -> Response {
    json_text(status, body.to_string())
}

/// A JSON answer already encoded.
pub(crate) fn json_text(status: StatusCode, body: String) -> Response {
    let content_type = HeaderValue::from_static("application/json");
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// `{"message": …}` with `status`.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    json(status, serde_json::json!({ "message": message }))
}

/// The answer when the store failed.
pub(crate) fn unavailable(e: &carillon_core::StoreError) -> Response {
    tracing::warn!(error = %e, "admin: the store did not answer");
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "the store did not answer; try again",
    )
}
