//! `carillon-bench webhook-sink`: a webhook receiver that records when each meeting event
//! arrives, for the delivery figures of meeting events.
//!
//! It answers every POST with 200 at once (or 401 when `--secret` is given and the signature does
//! not verify), and records, per event:
//!
//! - the **delivery latency**: the receiver's wall clock when the whole body was read, minus the
//!   event's `detail.timestamp` (epoch milliseconds, taken by the server inside the write that
//!   caused the event, before its commit). The figure therefore includes the commit's fsync as
//!   well as the delivery, and the timestamp's truncation to the millisecond adds 0-1 ms: it is
//!   an upper bound of the time from commit to arrival. Server and sink must share a clock (one
//!   machine);
//! - the **arrival rate**: events per second of arrival, from the first event on, so that a
//!   backlog's drain rate can be read after the load stops;
//! - duplicates (by the envelope's `id`: a delivery is at least once), event types, and bodies
//!   that are not an envelope.
//!
//! The sink stops when no event arrived for `idle` after the first one (the load ended and the
//! backlog drained), at `max_duration`, or on Ctrl-C, then reports ([`SinkReport`]).

mod record;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use sha2::Sha256;
use tokio::net::TcpListener;
use tokio::time::Instant;

pub use record::{Recorder, SinkReport};

/// How the sink runs.
#[derive(Debug, Clone)]
pub struct SinkConfig {
    /// The webhook's signing secret: when set, signatures are verified and bad ones refused.
    pub secret: Option<String>,
    /// Events arriving in this time after the first are counted but not in the latency figures.
    pub warmup: Duration,
    /// Stop once no event arrived for this long, after the first.
    pub idle: Duration,
    /// Stop after this long in any case.
    pub max_duration: Option<Duration>,
    /// A progress line to stderr once per second.
    pub progress: bool,
}

/// Binds the sink's listener (port 0 picks a free port).
pub async fn bind(addr: SocketAddr) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// Receives events until the config says to stop, then reports.
pub async fn run(listener: TcpListener, config: SinkConfig) -> SinkReport {
    let recorder = Arc::new(Mutex::new(Recorder::new(config.warmup)));
    let secret: Option<Arc<[u8]>> = config.secret.as_deref().map(|s| s.as_bytes().into());
    let accept = tokio::spawn(accept_loop(listener, Arc::clone(&recorder), secret));
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut last_progress = Instant::now();
    let mut last_count = 0u64;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = tokio::signal::ctrl_c() => break,
        }
        let (count, idle_for, p99) = {
            let r = recorder.lock().unwrap_or_else(PoisonError::into_inner);
            (r.received(), r.idle_for(), r.p99_ms())
        };
        if config.progress && last_progress.elapsed() >= Duration::from_secs(1) {
            eprintln!(
                "[{:>5.1}s] {:>7} events/s, {} received, latency p99 {:.2} ms",
                started.elapsed().as_secs_f64(),
                count - last_count,
                count,
                p99
            );
            last_progress = Instant::now();
            last_count = count;
        }
        if idle_for.is_some_and(|idle| idle >= config.idle) {
            break;
        }
        if config
            .max_duration
            .is_some_and(|max| started.elapsed() >= max)
        {
            break;
        }
    }
    accept.abort();
    let report = recorder
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .report(config.secret.is_some());
    report
}

async fn accept_loop(
    listener: TcpListener,
    recorder: Arc<Mutex<Recorder>>,
    secret: Option<Arc<[u8]>>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors and the like: wait rather than spin.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let recorder = Arc::clone(&recorder);
        let secret = secret.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<Incoming>| {
                let recorder = Arc::clone(&recorder);
                let secret = secret.clone();
                async move { Ok::<_, Infallible>(receive(req, &recorder, secret.as_deref()).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn receive(
    req: Request<Incoming>,
    recorder: &Mutex<Recorder>,
    secret: Option<&[u8]>,
) -> Response<Full<Bytes>> {
    if req.method() != Method::POST {
        return answer(StatusCode::METHOD_NOT_ALLOWED);
    }
    let (parts, body) = req.into_parts();
    let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
        return answer(StatusCode::BAD_REQUEST);
    };
    // The arrival is the moment the whole body is in, before any parsing.
    let arrived_us = record::epoch_us();
    if let Some(secret) = secret {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let verified = match (
            header("x-carillon-timestamp"),
            header("x-carillon-signature"),
        ) {
            (Some(ts), Some(sig)) => verify(secret, ts, &body, sig),
            _ => false,
        };
        if !verified {
            recorder
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .bad_signature();
            return answer(StatusCode::UNAUTHORIZED);
        }
    }
    let parsed = record::parse(&body);
    recorder
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .arrived(arrived_us, parsed);
    answer(StatusCode::OK)
}

/// Whether `signature` (`v1=<hex>`) is the HMAC-SHA256 of `<timestamp>.<body>` under `secret`,
/// as `carillon-events`' webhook module documents it; compared in constant time by `hmac`.
pub fn verify(secret: &[u8], timestamp: &str, body: &[u8], signature: &str) -> bool {
    let Some(expected) = signature
        .strip_prefix("v1=")
        .and_then(|h| hex::decode(h).ok())
    else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

fn answer(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_with_its_secret_timestamp_and_body() {
        // Made independently of the sink's code path: the MAC computed here by hand.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
        mac.update(b"1700000000.{\"a\":1}");
        let sig = format!("v1={}", hex::encode(mac.finalize().into_bytes()));
        assert!(verify(b"s3cret", "1700000000", b"{\"a\":1}", &sig));
        assert!(!verify(b"other", "1700000000", b"{\"a\":1}", &sig));
        assert!(!verify(b"s3cret", "1700000001", b"{\"a\":1}", &sig));
        assert!(!verify(b"s3cret", "1700000000", b"{\"a\":2}", &sig));
        assert!(!verify(b"s3cret", "1700000000", b"{\"a\":1}", &sig[3..]));
        assert!(!verify(b"s3cret", "1700000000", b"{\"a\":1}", "v1=zz"));
    }
}
