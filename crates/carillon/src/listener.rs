//! Serves one listener: bounded connections, a header read timeout, and a graceful drain.
//!
//! axum's own `serve` has no header read timeout and no connection cap, so connections are
//! served here with hyper's HTTP/1 builder: a client that trickles its headers (or sits idle on a
//! keep-alive connection) is cut off after `header_read_timeout`, and at most `max_connections`
//! connections are open at once (beyond that, new ones wait in the kernel's listen backlog). A
//! response marked [`DropConnection`] by a fault rule is never written: its connection is closed.

use std::sync::Arc;
use std::time::Duration;

use std::future::Future;

use carillon_api::faults::DropConnection;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    /// How long requests in flight get to finish once shutdown starts.
    pub shutdown_timeout: Duration,
}

/// Accepts and serves connections until `stop` turns true, then stops accepting, lets requests
/// in flight finish (at most `shutdown_timeout`), and returns. A connection upgraded to a
/// WebSocket leaves this listener's count and drain: the signaling plane bounds and ends those.
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    limits: ConnectionLimits,
    mut stop: watch::Receiver<bool>,
) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = stopped(&mut stop) => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = stopped(&mut stop) => break,
        };
        let _ = stream.set_nodelay(true);
        // With upgrades: the signaling plane's WebSockets start as requests here.
        let connection = http
            .serve_connection(TokioIo::new(stream), dropping(app.clone()))
            .with_upgrades();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            // Errors here are clients going away or timing out: nothing to report.
            tokio::select! {
                _ = connection.as_mut() => {}
                () = stopped(&mut stop) => {
                    // Finish the request in progress, if any, then close.
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
            drop(slot);
        });
    }
    drop(listener);
    // Every connection's slot back means every connection has closed.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    tokio::select! {
        _ = slots.acquire_many(all) => {}
        () = tokio::time::sleep(limits.shutdown_timeout) => {
            tracing::warn!(
                timeout_secs = limits.shutdown_timeout.as_secs(),
                "requests still in flight at the shutdown deadline; closing their connections"
            );
        }
    }
}

/// A fault rule dropped the request's connection: the service fails, and hyper closes the
/// connection without writing any response.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a fault rule")
    }
}

impl std::error::Error for Dropped {}

/// The app as hyper's service, failing (so that the connection is closed unanswered) for a
/// response marked [`DropConnection`].
fn dropping(
    app: axum::Router,
) -> impl hyper::service::Service<
    hyper::Request<hyper::body::Incoming>,
    Response = axum::response::Response,
    Error = Dropped,
    Future = impl Future<Output = Result<axum::response::Response, Dropped>> + Send,
> + Clone {
    let app = TowerToHyperService::new(app);
    hyper::service::service_fn(move |request| {
        let response = hyper::service::Service::call(&app, request);
        async move {
            let response = match response.await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if response.extensions().get::<DropConnection>().is_some() {
                return Err(Dropped);
            }
            Ok(response)
        }
    })
}

/// Resolves once `stop` turns true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}
