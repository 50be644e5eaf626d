//! The quotas in force, and overrides of them set while the server runs
//! ([`carillon_api::quota::Quotas`]; `docs/quotas.md`). Overrides are kept in memory, per node:
//! with several nodes on one database, each has its own (the buckets are shared, the limits not).
//!
//! | route | body | answer |
//! |---|---|---|
//! | `GET /v1/quotas` | — | 200 `{"default", "accounts", "overriddenAccounts", "overriddenDefault"}` |
//! | `PUT /v1/quotas/accounts/{AccountId}` | an account entry of the quota file | 200 the account's limits in force |
//! | `DELETE /v1/quotas/accounts/{AccountId}` | — | 204; 404 when the account has no override |
//! | `PUT /v1/quotas/default` | an account entry, for every account | 200 the default in force |
//! | `DELETE /v1/quotas/default` | — | 204; 404 when the default has no override |
//!
//! `default` and each account are in the quota file's shape with every member spelled out, so
//! that `{"default", "accounts"}` is a quota file meaning the same limits. An invalid entry is 400
//! naming the member; with `--quotas off` every route is 409.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use carillon_api::quota::{LimitsFile, OverrideError, QuotaView};
use serde::Serialize;

use crate::{error, json_text, Admin};

fn encoded(value: &impl Serialize) -> Response {
    match serde_json::to_string(value) {
        Ok(text) => json_text(StatusCode::OK, text),
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the quotas could not be encoded",
        ),
    }
}

fn refused(e: &OverrideError) -> Response {
    let status = match e {
        OverrideError::Off => StatusCode::CONFLICT,
        OverrideError::Invalid(_) => StatusCode::BAD_REQUEST,
    };
    error(status, &e.to_string())
}

pub(crate) async fn show(State(admin): State<Arc<Admin>>) -> Response {
    match admin.quotas.view() {
        Ok(view) => encoded(&view),
        Err(e) => refused(&e),
    }
}

/// The body as text.
fn text(body: &Bytes) -> Result<&str, OverrideError> {
    std::str::from_utf8(body)
        .map_err(|_| OverrideError::Invalid("expected a JSON object (UTF-8)".into()))
}

pub(crate) async fn set_account(
    State(admin): State<Arc<Admin>>,
    Path(account_id): Path<String>,
    body: Bytes,
) -> Response {
    let applied = text(&body).and_then(|entry| admin.quotas.set_account(&account_id, entry));
    if let Err(e) = applied {
        return refused(&e);
    }
    tracing::info!(account_id, "admin: quotas of an account overridden");
    in_force(&admin, |mut view| view.accounts.remove(&account_id))
}

pub(crate) async fn reset_account(
    State(admin): State<Arc<Admin>>,
    Path(account_id): Path<String>,
) -> Response {
    if !carillon_core::ids::is_account_id(&account_id) {
        let message = format!("\"{account_id}\" is not a 12-digit account id");
        return error(StatusCode::BAD_REQUEST, &message);
    }
    match admin.quotas.reset_account(&account_id) {
        Ok(true) => {
            tracing::info!(account_id, "admin: quota override of an account removed");
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(false) => error(
            StatusCode::NOT_FOUND,
            "the account's quotas were not overridden",
        ),
        Err(e) => refused(&e),
    }
}

pub(crate) async fn set_default(State(admin): State<Arc<Admin>>, body: Bytes) -> Response {
    if let Err(e) = text(&body).and_then(|entry| admin.quotas.set_default(entry)) {
        return refused(&e);
    }
    tracing::info!("admin: default quotas overridden");
    in_force(&admin, |view| Some(view.default))
}

pub(crate) async fn reset_default(State(admin): State<Arc<Admin>>) -> Response {
    match admin.quotas.reset_default() {
        Ok(true) => {
            tracing::info!("admin: default quota override removed");
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(false) => error(
            StatusCode::NOT_FOUND,
            "the default quotas were not overridden",
        ),
        Err(e) => refused(&e),
    }
}

/// One entry of the limits now in force.
fn in_force(admin: &Admin, pick: impl FnOnce(QuotaView) -> Option<LimitsFile>) -> Response {
    match admin.quotas.view().map(pick) {
        Ok(Some(entry)) => encoded(&entry),
        // Just set, so present; absent only if a concurrent reset removed it.
        Ok(None) => error(StatusCode::CONFLICT, "the override was removed meanwhile"),
        Err(e) => refused(&e),
    }
}
