//! What a run measured: per-connection results, merged into one report printed as a table or
//! written as JSON.
//!
//! Throughput counts only answers with the operation's success status; every other status and
//! every transport error is counted apart and never as throughput. Latency is recorded, in
//! microseconds, for those successful answers only, in an HDR histogram per connection (1 µs to
//! 60 s, 3 significant digits), merged at the end.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::workload::Op;

const HIGHEST_US: u64 = 60_000_000;

/// A new histogram of microseconds.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIGHEST_US, 3).expect("valid histogram bounds")
}

/// What one connection recorded after the warm-up.
#[derive(Debug, Clone)]
pub struct ConnResult {
    pub latency_us: Histogram<u64>,
    pub statuses: HashMap<u16, u64>,
    pub transport_errors: u64,
    /// Meetings that could not be created mid-run (setup, not measured requests).
    pub setup_errors: u64,
    /// Open loop: requests due in the window that were never sent (the server fell behind).
    pub unsent: u64,
    pub successes: u64,
    pub attendees: u64,
    pub per_op: [u64; Op::ALL.len()],
    /// The first failure seen (for the report; later ones are only counted).
    pub first_error: Option<String>,
}

impl ConnResult {
    pub fn new() -> Self {
        ConnResult {
            latency_us: histogram(),
            statuses: HashMap::new(),
            transport_errors: 0,
            setup_errors: 0,
            unsent: 0,
            successes: 0,
            attendees: 0,
            per_op: [0; Op::ALL.len()],
            first_error: None,
        }
    }

    /// Keeps `describe()` if it is the first failure.
    pub fn note_error(&mut self, describe: impl FnOnce() -> String) {
        if self.first_error.is_none() {
            self.first_error = Some(describe());
        }
    }

    /// A successful answer of `op` after `latency`, that created `attendees`.
    pub fn record_success(&mut self, op: Op, status: u16, latency: Duration, attendees: u64) {
        let us = u64::try_from(latency.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        self.latency_us.saturating_record(us);
        self.record_status(status);
        self.successes += 1;
        self.attendees += attendees;
        self.per_op[op.index()] += 1;
    }

    /// An answer, counted by status only.
    pub fn record_status(&mut self, status: u16) {
        *self.statuses.entry(status).or_default() += 1;
    }

    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &ConnResult) {
        // Same bounds on both sides, so this cannot fail.
        let _ = self.latency_us.add(&other.latency_us);
        for (status, n) in &other.statuses {
            *self.statuses.entry(*status).or_default() += n;
        }
        self.transport_errors += other.transport_errors;
        self.setup_errors += other.setup_errors;
        self.unsent += other.unsent;
        self.successes += other.successes;
        self.attendees += other.attendees;
        for (mine, theirs) in self.per_op.iter_mut().zip(other.per_op) {
            *mine += theirs;
        }
        if self.first_error.is_none() {
            self.first_error.clone_from(&other.first_error);
        }
    }
}

impl Default for ConnResult {
    fn default() -> Self {
        ConnResult::new()
    }
}

/// Latency percentiles, microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Latency {
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
    pub mean: f64,
}

/// Percentiles of a histogram (all zero when it is empty).
pub fn latency(h: &Histogram<u64>) -> Latency {
    if h.is_empty() {
        return Latency {
            p50: 0,
            p90: 0,
            p99: 0,
            p999: 0,
            max: 0,
            mean: 0.0,
        };
    }
    Latency {
        p50: h.value_at_quantile(0.50),
        p90: h.value_at_quantile(0.90),
        p99: h.value_at_quantile(0.99),
        p999: h.value_at_quantile(0.999),
        max: h.max(),
        mean: h.mean(),
    }
}

/// The final report (also the `--json` document).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub workload: String,
    pub connections: usize,
    pub endpoints: Vec<String>,
    /// The measured window, seconds (warm-up excluded).
    pub duration_secs: f64,
    pub warmup_secs: f64,
    /// `--rate`, requests per second, if the run was open loop.
    pub target_rate: Option<f64>,
    /// `"intended-send-when-late"` (open loop: a request sent late is timed from its scheduled
    /// time, one sent on time from its send) or `"send"` (closed loop).
    pub latency_from: &'static str,
    /// Successful requests in the window.
    pub requests: u64,
    pub rps: f64,
    /// Attendees created (create-attendee, batch-create, mixed), and per second.
    pub attendees: u64,
    pub attendees_per_sec: f64,
    /// Answers in the window by HTTP status, successes included.
    pub statuses: BTreeMap<String, u64>,
    pub transport_errors: u64,
    pub setup_errors: u64,
    /// Open loop: requests due in the window but never sent because the server fell behind
    /// (they are in neither `requests` nor the latency histogram).
    pub unsent: u64,
    /// Successful requests by operation.
    pub operations: BTreeMap<String, u64>,
    pub latency_us: Latency,
    /// One failure in words (the first a connection saw), if any.
    pub first_error: Option<String>,
}

/// Run parameters the report repeats.
#[derive(Debug, Clone)]
pub struct RunInfo {
    pub workload: String,
    pub connections: usize,
    pub endpoints: Vec<String>,
    pub duration: Duration,
    pub warmup: Duration,
    pub target_rate: Option<f64>,
}

impl Report {
    /// Merges the connections' results.
    pub fn new(info: RunInfo, results: &[ConnResult]) -> Report {
        let mut total = ConnResult::new();
        for r in results {
            total.merge(r);
        }
        let secs = info.duration.as_secs_f64().max(f64::EPSILON);
        Report {
            workload: info.workload,
            connections: info.connections,
            endpoints: info.endpoints,
            duration_secs: info.duration.as_secs_f64(),
            warmup_secs: info.warmup.as_secs_f64(),
            target_rate: info.target_rate,
            latency_from: if info.target_rate.is_some() {
                "intended-send-when-late"
            } else {
                "send"
            },
            requests: total.successes,
            rps: total.successes as f64 / secs,
            attendees: total.attendees,
            attendees_per_sec: total.attendees as f64 / secs,
            statuses: total
                .statuses
                .iter()
                .map(|(s, n)| (s.to_string(), *n))
                .collect(),
            transport_errors: total.transport_errors,
            setup_errors: total.setup_errors,
            unsent: total.unsent,
            operations: Op::ALL
                .iter()
                .filter(|op| total.per_op[op.index()] > 0)
                .map(|op| (op.name().to_owned(), total.per_op[op.index()]))
                .collect(),
            latency_us: latency(&total.latency_us),
            first_error: total.first_error,
        }
    }

    /// Answers that were not the expected success, transport errors and failed mid-run
    /// meeting creations.
    pub fn errors(&self) -> u64 {
        let answered: u64 = self.statuses.values().sum();
        answered - self.requests + self.transport_errors + self.setup_errors
    }

    /// The human-readable table.
    pub fn table(&self) -> String {
        let mut t = String::new();
        let rate = self.target_rate.map_or("closed loop".to_owned(), |r| {
            format!("open loop at {r} req/s")
        });
        let _ = writeln!(t, "workload      {}", self.workload);
        let _ = writeln!(t, "endpoints     {}", self.endpoints.join(", "));
        let _ = writeln!(
            t,
            "connections   {} ({rate}), {:.1} s measured after {:.1} s warm-up",
            self.connections, self.duration_secs, self.warmup_secs
        );
        let _ = writeln!(t, "requests      {} ok", self.requests);
        let _ = writeln!(t, "throughput    {:.0} req/s", self.rps);
        if self.attendees > 0 {
            let _ = writeln!(t, "attendees     {:.0} /s", self.attendees_per_sec);
        }
        for (op, n) in &self.operations {
            let _ = writeln!(t, "  {op:<22}{n}");
        }
        let statuses: Vec<String> = self
            .statuses
            .iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect();
        let _ = writeln!(t, "statuses      {}", statuses.join(", "));
        let _ = writeln!(
            t,
            "errors        {} (transport {}, setup {})",
            self.errors(),
            self.transport_errors,
            self.setup_errors
        );
        if self.unsent > 0 {
            let _ = writeln!(
                t,
                "unsent        {} (behind schedule at the end)",
                self.unsent
            );
        }
        if let Some(e) = &self.first_error {
            let _ = writeln!(t, "first error   {e}");
        }
        let l = &self.latency_us;
        let _ = writeln!(t, "latency (from {}), ms:", self.latency_from);
        let _ = writeln!(t, "  p50      p90      p99      p99.9    max      mean");
        let ms = |us: u64| us as f64 / 1000.0;
        let _ = writeln!(
            t,
            "  {:<8.3} {:<8.3} {:<8.3} {:<8.3} {:<8.3} {:.3}",
            ms(l.p50),
            ms(l.p90),
            ms(l.p99),
            ms(l.p999),
            ms(l.max),
            l.mean / 1000.0
        );
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_histogram() {
        let mut h = histogram();
        for v in 1..=1000 {
            h.record(v).unwrap();
        }
        let l = latency(&h);
        assert_eq!(
            (l.p50, l.p90, l.p99, l.p999, l.max),
            (500, 900, 990, 999, 1000)
        );
        assert!((l.mean - 500.5).abs() < 0.01);
        assert_eq!(latency(&histogram()).max, 0);
    }

    #[test]
    fn merging_adds_everything_and_errors_are_not_throughput() {
        let mut a = ConnResult::new();
        let mut b = ConnResult::new();
        for _ in 0..90 {
            a.record_success(Op::CreateAttendee, 200, Duration::from_micros(100), 1);
        }
        b.record_success(Op::GetAttendee, 200, Duration::from_millis(50), 0);
        for _ in 0..9 {
            b.record_success(Op::GetAttendee, 200, Duration::from_micros(300), 0);
        }
        b.record_status(503);
        b.transport_errors = 2;
        let info = RunInfo {
            workload: "mixed".into(),
            connections: 2,
            endpoints: vec!["http://x".into()],
            duration: Duration::from_secs(2),
            warmup: Duration::ZERO,
            target_rate: None,
        };
        let r = Report::new(info, &[a, b]);
        assert_eq!(r.requests, 100);
        assert_eq!(r.rps, 50.0);
        assert_eq!(r.attendees, 90);
        assert_eq!(r.statuses["200"], 100);
        assert_eq!(r.statuses["503"], 1);
        assert_eq!(r.errors(), 3);
        assert_eq!(r.operations["GetAttendee"], 10);
        assert_eq!(r.latency_us.p50, 100);
        assert_eq!(r.latency_us.p90, 100);
        assert_eq!(r.latency_us.p99, 300);
        // 50 ms is recorded within the histogram's 3 significant digits.
        assert!((49_950..=50_050).contains(&r.latency_us.max));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["latency_us"]["p99"], 300);
        assert!(r.table().contains("throughput    50 req/s"));
    }
}
