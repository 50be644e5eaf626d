//! `--work bare`: the answer is chosen by method and path alone; the request body is never read.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::{respond, Bodies};

/// Serves one connection until the client closes it.
pub(super) async fn serve_connection(stream: TcpStream, bodies: Arc<Bodies>) {
    let service = service_fn(move |req: Request<Incoming>| {
        let (status, body) = route(&bodies, req.method(), req.uri().path(), req.uri().query());
        // The request body is dropped unread; hyper discards it before the next request.
        async move { Ok::<_, Infallible>(respond(status, body)) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// The answer to a request, by route only.
fn route(bodies: &Bodies, method: &Method, path: &str, query: Option<&str>) -> (StatusCode, Bytes) {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let body = match (method, segments.as_slice()) {
        (&Method::POST, ["meetings"]) => &bodies.meeting,
        (&Method::POST, ["meetings", _, "attendees"]) => {
            if query.is_some_and(|q| q.contains("operation=batch-create")) {
                &bodies.batch
            } else {
                &bodies.attendee
            }
        }
        (&Method::GET, ["meetings", _, "attendees"]) => &bodies.list,
        (&Method::GET, ["meetings", _, "attendees", _]) => &bodies.attendee,
        _ => {
            let body = r#"{"Code":"NotFound","Message":"no such route"}"#;
            return (StatusCode::NOT_FOUND, Bytes::from_static(body.as_bytes()));
        }
    };
    (StatusCode::OK, body.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let b = Bodies::new("h");
        let m = "/meetings/x/attendees";
        assert_eq!(route(&b, &Method::POST, "/meetings", None).1, b.meeting);
        assert_eq!(route(&b, &Method::POST, m, None).1, b.attendee);
        let batch = route(&b, &Method::POST, m, Some("operation=batch-create"));
        assert_eq!(batch.1, b.batch);
        assert_eq!(route(&b, &Method::GET, m, Some("max-results=10")).1, b.list);
        assert_eq!(
            route(&b, &Method::GET, "/meetings/x/attendees/y", None).1,
            b.attendee
        );
        assert_eq!(
            route(&b, &Method::DELETE, "/meetings", None).0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            route(&b, &Method::GET, "/nope", None).0,
            StatusCode::NOT_FOUND
        );
    }
}
