//! `GET /v1/metrics`: the server's Prometheus exposition (the public listener's `/metrics`), for
//! the dashboard, which reads it from the admin listener's own origin.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::{error, Admin};

/// Renders the exposition text.
pub type MetricsText = Arc<dyn Fn() -> String + Send + Sync>;

pub(crate) async fn exposition(State(admin): State<Arc<Admin>>) -> Response {
    let Some(render) = &admin.metrics else {
        return error(StatusCode::NOT_FOUND, "this server exposes no metrics here");
    };
    let content_type =
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8");
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, content_type)],
        render(),
    )
        .into_response()
}
