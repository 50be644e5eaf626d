//! `carillon-bench deliveries`: the server's delivery counter
//! (`carillon_events_delivered_total` of one `target_kind`, from `/metrics`) read every 100 ms,
//! for delivery rates to targets the load generator cannot receive itself (SQS, SNS, an
//! EventBridge bus). Stops once the counter has not moved for `idle` after it first did.

use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::client::Endpoint;

/// How often the counter is read.
const POLL: Duration = Duration::from_millis(100);

/// The value of `carillon_events_delivered_total{target_kind="<kind>"}` in a Prometheus text
/// exposition; 0 when the series is absent (nothing delivered to that kind yet).
pub fn delivered(metrics: &str, kind: &str) -> u64 {
    let series = format!("carillon_events_delivered_total{{target_kind=\"{kind}\"}}");
    metrics
        .lines()
        .find_map(|line| {
            let rest = line.strip_prefix(series.as_str())?;
            rest.split_whitespace().next()?.parse::<f64>().ok()
        })
        .map_or(0, |v| v as u64)
}

/// What the watch saw.
#[derive(Debug, Clone, Serialize)]
pub struct WatchReport {
    pub target_kind: String,
    /// Delivered while watched (from the first change of the counter to its last).
    pub delivered: u64,
    pub first_to_last_s: f64,
    pub mean_rate: f64,
    /// The most deliveries in one whole second from the first change.
    pub peak_rate: u64,
    pub per_second: Vec<u64>,
}

impl WatchReport {
    pub fn table(&self) -> String {
        let per_second: Vec<String> = self.per_second.iter().map(u64::to_string).collect();
        format!(
            "{} deliveries: {} in {:.2} s: mean {:.0}/s, peak {}/s\nper second: {}\n",
            self.target_kind,
            self.delivered,
            self.first_to_last_s,
            self.mean_rate,
            self.peak_rate,
            per_second.join(" ")
        )
    }
}

/// Reads `/metrics` of `endpoint` until the counter of `kind` stopped moving for `idle` (or
/// `max` passed), then reports.
pub async fn watch(
    endpoint: &str,
    kind: &str,
    idle: Duration,
    max: Duration,
    progress: bool,
) -> Result<WatchReport, String> {
    let endpoint = Endpoint::resolve(endpoint).await?;
    let started = Instant::now();
    let base = delivered(&fetch(&endpoint).await?, kind);
    let mut last_value = base;
    let mut first_change: Option<Instant> = None;
    let mut last_change: Option<Instant> = None;
    let mut per_second: Vec<u64> = Vec::new();
    let mut tick = tokio::time::interval(POLL);
    let mut last_progress = (Instant::now(), base);
    loop {
        tick.tick().await;
        let value = delivered(&fetch(&endpoint).await?, kind);
        let now = Instant::now();
        if value > last_value {
            let first = *first_change.get_or_insert(now);
            last_change = Some(now);
            let second = usize::try_from(now.duration_since(first).as_secs()).unwrap_or(0);
            if per_second.len() <= second {
                per_second.resize(second + 1, 0);
            }
            per_second[second] += value - last_value;
            last_value = value;
        }
        if progress && now.duration_since(last_progress.0) >= Duration::from_secs(1) {
            eprintln!(
                "[{:>5.1}s] {:>7} {kind} deliveries/s, {} so far",
                started.elapsed().as_secs_f64(),
                value - last_progress.1,
                value - base
            );
            last_progress = (now, value);
        }
        if last_change.is_some_and(|t| t.elapsed() >= idle) || started.elapsed() >= max {
            break;
        }
    }
    // The first change counts what was delivered during the poll before it, so the span runs
    // from one poll earlier.
    let span = match (first_change, last_change) {
        (Some(first), Some(last)) => (last.duration_since(first) + POLL).as_secs_f64(),
        _ => 0.0,
    };
    let delivered = last_value - base;
    let whole = per_second.len().saturating_sub(1);
    Ok(WatchReport {
        target_kind: kind.to_owned(),
        delivered,
        first_to_last_s: span,
        mean_rate: if span > 0.0 {
            delivered as f64 / span
        } else {
            0.0
        },
        peak_rate: per_second[..whole].iter().copied().max().unwrap_or(0),
        per_second,
    })
}

/// GET /metrics on a connection of its own (a few per second: no need to keep it alive).
pub(crate) async fn fetch(endpoint: &Endpoint) -> Result<String, String> {
    let mut stream = TcpStream::connect(endpoint.addr)
        .await
        .map_err(|e| format!("connecting to {}: {e}", endpoint.addr))?;
    let request = format!(
        "GET /metrics HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        endpoint.host
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("GET /metrics: {e}"))?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .await
        .map_err(|e| format!("GET /metrics: {e}"))?;
    let text = String::from_utf8_lossy(&answer).into_owned();
    if !text.starts_with("HTTP/1.1 200") {
        let status = text.lines().next().unwrap_or("");
        return Err(format!("GET /metrics answered {status:?}"));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_counter_of_one_kind_is_read() {
        let text = "# HELP carillon_events_delivered Event deliveries sent\n\
             # TYPE carillon_events_delivered counter\n\
             carillon_events_delivered_total{target_kind=\"webhook\"} 12\n\
             carillon_events_delivered_total{target_kind=\"sqs\"} 34\n";
        assert_eq!(delivered(text, "sqs"), 34);
        assert_eq!(delivered(text, "webhook"), 12);
        assert_eq!(delivered(text, "sns"), 0);
    }
}
