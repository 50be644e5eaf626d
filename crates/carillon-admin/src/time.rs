//! The server's clock, for tests: `GET /v1/time` reads it; `POST /v1/time/freeze`,
//! `/v1/time/resume` and `/v1/time/advance` (`{"byMs": n}`) move it, when the server was started
//! with time control on (`--time-control on`), and answer 409 otherwise.
//!
//! Every answer is the clock's state: `{"controlled", "nowMs", "now", "offsetMs", "frozen"}`
//! (`now` in UTC, to the second, as events carry their time). An advance answers once the meetings it made
//! expire have ended (`"swept": true`), so that the next API call already sees them gone; should
//! the store not answer within [`SWEEP_WAIT`], they end at a later sweep (`"swept": false`).
//!
//! What follows the server's clock and what does not is `carillon_core::clock`'s to say: the
//! lifecycle, presence and events' times do; SigV4 dates, request-rate quotas and the event
//! deliveries' retries keep the wall clock.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use carillon_core::clock::{self, ClockState};
use carillon_core::events::time::format_epoch_ms;
use serde::Deserialize;
use serde_json::json;

use crate::{error, json, unavailable, Admin};

/// How long an advance waits for the sweep that ends what it made expire.
const SWEEP_WAIT: Duration = Duration::from_secs(10);

/// The longest single advance: ten years, far beyond any meeting's life, and far from the
/// arithmetic's limits.
const MAX_ADVANCE_MS: u64 = 10 * 366 * 24 * 3600 * 1000;

/// `GET /v1/time`.
pub(crate) async fn show() -> Response {
    match clock::control() {
        Some(control) => answer(control.state(), None),
        None => {
            let now_ms = clock::now_ms();
            json(
                StatusCode::OK,
                json!({
                    "controlled": false,
                    "nowMs": now_ms,
                    "now": format_epoch_ms(now_ms),
                    "offsetMs": 0,
                    "frozen": false,
                }),
            )
        }
    }
}

/// `POST /v1/time/freeze`.
pub(crate) async fn freeze() -> Response {
    clock::control().map_or_else(off, |control| answer(control.freeze(), None))
}

/// `POST /v1/time/resume`.
pub(crate) async fn resume() -> Response {
    clock::control().map_or_else(off, |control| answer(control.resume(), None))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Advance {
    by_ms: u64,
}

/// `POST /v1/time/advance` with `{"byMs": n}`, 0 < n ≤ ten years.
pub(crate) async fn advance(State(admin): State<Arc<Admin>>, body: Bytes) -> Response {
    let Some(control) = clock::control() else {
        return off();
    };
    let by_ms = match serde_json::from_slice::<Advance>(&body) {
        Ok(Advance { by_ms }) if (1..=MAX_ADVANCE_MS).contains(&by_ms) => by_ms,
        Ok(_) => {
            let message = format!("byMs must be between 1 and {MAX_ADVANCE_MS} (ten years)");
            return error(StatusCode::BAD_REQUEST, &message);
        }
        Err(e) => {
            let message = format!("expected {{\"byMs\": <milliseconds>}}: {e}");
            return error(StatusCode::BAD_REQUEST, &message);
        }
    };
    let until_ms = control
        .state()
        .now_ms
        .saturating_add(i64::try_from(by_ms).unwrap_or(i64::MAX));
    // Occupied meetings first get leases that outlast the jump, or they would look idle.
    if let Err(e) = admin.plane.hold_presence_through(until_ms).await {
        return unavailable(&e);
    }
    let after = control.advance(Duration::from_millis(by_ms));
    let swept = match admin.sweeps.clone() {
        Some(mut sweeps) => {
            let done = sweeps.wait_for(|swept_ms| *swept_ms >= after.now_ms);
            matches!(tokio::time::timeout(SWEEP_WAIT, done).await, Ok(Ok(_)))
        }
        // No lifecycle rule: nothing to end.
        None => true,
    };
    answer(after, Some(swept))
}

/// The answer when time control is off.
fn off() -> Response {
    error(
        StatusCode::CONFLICT,
        "time control is off: start the server with --time-control on",
    )
}

fn answer(state: ClockState, swept: Option<bool>) -> Response {
    let mut body = json!({
        "controlled": true,
        "nowMs": state.now_ms,
        "now": format_epoch_ms(state.now_ms),
        "offsetMs": state.offset_ms,
        "frozen": state.frozen,
    });
    if let Some(swept) = swept {
        body["swept"] = json!(swept);
    }
    json(StatusCode::OK, body)
}
