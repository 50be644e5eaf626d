//! What the webhook sink records of each arrival, and its report.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::report::{histogram, latency, Latency};

/// Microseconds since the Unix epoch, on the wall clock the server's timestamps use.
pub fn epoch_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// What the sink reads of an envelope.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Arrival {
    pub id: String,
    pub detail: Detail,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Detail {
    #[serde(rename = "eventType")]
    pub event_type: String,
    /// Epoch milliseconds.
    pub timestamp: i64,
}

/// The envelope's id, type and timestamp; `None` when the body is not an envelope.
pub fn parse(body: &[u8]) -> Option<Arrival> {
    serde_json::from_slice(body).ok()
}

/// Every arrival so far.
#[derive(Debug)]
pub struct Recorder {
    warmup: Duration,
    first: Option<Instant>,
    last: Option<Instant>,
    received: u64,
    duplicates: u64,
    unparsed: u64,
    bad_signatures: u64,
    ids: HashSet<String>,
    types: BTreeMap<String, u64>,
    per_second: Vec<u64>,
    latency_us: Histogram<u64>,
}

impl Recorder {
    pub fn new(warmup: Duration) -> Self {
        Recorder {
            warmup,
            first: None,
            last: None,
            received: 0,
            duplicates: 0,
            unparsed: 0,
            bad_signatures: 0,
            ids: HashSet::new(),
            types: BTreeMap::new(),
            per_second: Vec::new(),
            latency_us: histogram(),
        }
    }

    /// Records one request that arrived at `arrived_us` (epoch µs) with this envelope.
    pub fn arrived(&mut self, arrived_us: i64, envelope: Option<Arrival>) {
        let now = Instant::now();
        let first = *self.first.get_or_insert(now);
        self.last = Some(now);
        self.received += 1;
        let second = usize::try_from(now.duration_since(first).as_secs()).unwrap_or(usize::MAX);
        if self.per_second.len() <= second {
            self.per_second.resize(second + 1, 0);
        }
        self.per_second[second] += 1;
        let Some(envelope) = envelope else {
            self.unparsed += 1;
            return;
        };
        if !self.ids.insert(envelope.id) {
            self.duplicates += 1;
        }
        *self.types.entry(envelope.detail.event_type).or_default() += 1;
        if now.duration_since(first) >= self.warmup {
            let us = arrived_us.saturating_sub(envelope.detail.timestamp.saturating_mul(1000));
            // A clock that stepped back records as the smallest latency, never as an error.
            let us = u64::try_from(us).unwrap_or(0).max(1);
            self.latency_us.saturating_record(us);
        }
    }

    pub fn bad_signature(&mut self) {
        self.bad_signatures += 1;
    }

    pub fn received(&self) -> u64 {
        self.received
    }

    /// How long since the last arrival; `None` before the first.
    pub fn idle_for(&self) -> Option<Duration> {
        self.last.map(|t| t.elapsed())
    }

    /// The latency p99 so far, milliseconds.
    pub fn p99_ms(&self) -> f64 {
        latency(&self.latency_us).p99 as f64 / 1000.0
    }

    pub fn report(&self, verified: bool) -> SinkReport {
        let span = match (self.first, self.last) {
            (Some(first), Some(last)) => last.duration_since(first).as_secs_f64(),
            _ => 0.0,
        };
        // The last second is partial: the peak is over whole seconds only.
        let whole = self.per_second.len().saturating_sub(1);
        SinkReport {
            received: self.received,
            distinct: self.ids.len() as u64,
            duplicates: self.duplicates,
            unparsed: self.unparsed,
            signatures_verified: verified,
            bad_signatures: self.bad_signatures,
            first_to_last_s: span,
            mean_rate: if span > 0.0 {
                self.received.saturating_sub(1) as f64 / span
            } else {
                0.0
            },
            peak_rate: self.per_second[..whole].iter().copied().max().unwrap_or(0),
            latency_recorded: self.latency_us.len(),
            latency_us: latency(&self.latency_us),
            event_types: self.types.clone(),
            per_second: self.per_second.clone(),
        }
    }
}

/// The sink's report (also its `--json` document).
#[derive(Debug, Clone, Serialize)]
pub struct SinkReport {
    /// Requests received (duplicates and unparsed bodies included).
    pub received: u64,
    /// Distinct envelope ids.
    pub distinct: u64,
    pub duplicates: u64,
    /// Bodies that were not an envelope with `id` and `detail.timestamp`.
    pub unparsed: u64,
    pub signatures_verified: bool,
    pub bad_signatures: u64,
    /// From the first arrival to the last, seconds.
    pub first_to_last_s: f64,
    /// Arrivals per second over that span.
    pub mean_rate: f64,
    /// The most arrivals in one whole second (counted from the first arrival).
    pub peak_rate: u64,
    /// Arrivals in the latency figures (after the warm-up).
    pub latency_recorded: u64,
    /// Arrival minus `detail.timestamp`, microseconds.
    pub latency_us: Latency,
    pub event_types: BTreeMap<String, u64>,
    /// Arrivals in each second from the first arrival.
    pub per_second: Vec<u64>,
}

impl SinkReport {
    pub fn table(&self) -> String {
        let ms = |us: u64| us as f64 / 1000.0;
        let l = &self.latency_us;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "received {} ({} distinct, {} duplicates, {} unparsed{}) in {:.2} s: mean {:.0}/s, peak {}/s",
            self.received,
            self.distinct,
            self.duplicates,
            self.unparsed,
            if self.signatures_verified {
                format!(", {} bad signatures", self.bad_signatures)
            } else {
                String::new()
            },
            self.first_to_last_s,
            self.mean_rate,
            self.peak_rate
        );
        let _ = writeln!(
            out,
            "latency (arrival - detail.timestamp) of {}: p50 {:.2} ms, p90 {:.2}, p99 {:.2}, p99.9 {:.2}, max {:.2}",
            self.latency_recorded,
            ms(l.p50),
            ms(l.p90),
            ms(l.p99),
            ms(l.p999),
            ms(l.max)
        );
        let per_second: Vec<String> = self.per_second.iter().map(u64::to_string).collect();
        let _ = writeln!(out, "per second: {}", per_second.join(" "));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(id: &str, timestamp: i64) -> Option<Arrival> {
        let body = format!(
            r#"{{"version":"0","id":"{id}","detail-type":"Chime Meeting State Change","detail":{{"version":"0","eventType":"chime:AttendeeAdded","timestamp":{timestamp},"meetingId":"m"}}}}"#
        );
        parse(body.as_bytes())
    }

    #[test]
    fn an_envelope_parses_and_anything_else_does_not() {
        let a = envelope("e1", 1_700_000_000_123).unwrap();
        assert_eq!(a.id, "e1");
        assert_eq!(a.detail.event_type, "chime:AttendeeAdded");
        assert_eq!(a.detail.timestamp, 1_700_000_000_123);
        assert!(parse(b"{}").is_none());
        assert!(parse(b"not json").is_none());
    }

    #[test]
    fn arrivals_are_counted_and_their_latency_taken_from_the_timestamp() {
        let mut r = Recorder::new(Duration::ZERO);
        r.arrived(1_000_000_000 + 2_500, envelope("a", 1_000_000));
        r.arrived(1_000_000_000 + 7_000, envelope("b", 1_000_000));
        r.arrived(1_000_000_000 + 7_000, envelope("b", 1_000_000));
        r.arrived(5, None);
        r.bad_signature();
        let report = r.report(true);
        assert_eq!(report.received, 4);
        assert_eq!(report.distinct, 2);
        assert_eq!(report.duplicates, 1);
        assert_eq!(report.unparsed, 1);
        assert_eq!(report.bad_signatures, 1);
        assert_eq!(report.latency_recorded, 3);
        assert_eq!(report.event_types.get("chime:AttendeeAdded"), Some(&3));
        // 2.5, 7 and 7 ms; HDR keeps 3 significant digits.
        assert!(
            (6_990..=7_010).contains(&report.latency_us.p50),
            "{report:?}"
        );
        assert!(
            (5_490.0..=5_510.0).contains(&report.latency_us.mean),
            "{report:?}"
        );
        assert_eq!(report.per_second.iter().sum::<u64>(), 4);
        assert!(report.table().contains("1 duplicates"));
    }

    #[test]
    fn arrivals_in_the_warmup_are_counted_but_not_timed() {
        let mut r = Recorder::new(Duration::from_secs(3600));
        r.arrived(2_000_000, envelope("a", 1_000));
        let report = r.report(false);
        assert_eq!((report.received, report.latency_recorded), (1, 0));
        assert!(!report.table().contains("bad signatures"));
    }
}
