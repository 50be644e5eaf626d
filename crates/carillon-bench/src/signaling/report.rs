//! What a signaling run measured: named latency distributions, named counters, and (with
//! `--server-pid`) the server's memory and CPU. Printed as a table, written as JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::report::{latency, Latency};

/// A latency distribution and how many samples it holds.
#[derive(Debug, Clone, Serialize)]
pub struct Distribution {
    pub count: u64,
    #[serde(flatten)]
    pub latency_us: Latency,
    /// What is timed, in words.
    pub from_to: &'static str,
}

impl Distribution {
    pub fn of(h: &Histogram<u64>, from_to: &'static str) -> Distribution {
        Distribution {
            count: h.len(),
            latency_us: latency(h),
            from_to,
        }
    }
}

/// The server's memory before and with the sessions.
#[derive(Debug, Clone, Serialize)]
pub struct MemoryReport {
    pub server_pid: u32,
    /// VmRSS once the meetings and attendees existed, before any session opened.
    pub rss_before_kib: u64,
    /// VmRSS with every session open, at the end of the hold.
    pub rss_with_sessions_kib: u64,
    /// The highest VmRSS sampled (once a second) while the sessions were held.
    pub rss_max_sampled_kib: u64,
    /// VmHWM at the end (the process's peak RSS, the joining storm included).
    pub hwm_kib: u64,
    /// Sessions open when `rss_with_sessions_kib` was read.
    pub sessions: u64,
    /// (rss_with_sessions - rss_before) / sessions.
    pub bytes_per_session: f64,
}

/// The report of a signaling run (also the `--json` document).
#[derive(Debug, Clone, Serialize)]
pub struct SignalingReport {
    pub workload: &'static str,
    pub endpoint: String,
    /// The run's parameters (defaults resolved).
    pub parameters: BTreeMap<&'static str, serde_json::Value>,
    pub meetings: usize,
    pub attendees: usize,
    pub setup_secs: f64,
    /// Measured phases, seconds.
    pub phases: BTreeMap<&'static str, f64>,
    pub latency: BTreeMap<&'static str, Distribution>,
    pub counts: BTreeMap<&'static str, u64>,
    /// Failed steps (connect, upgrade, join, subscribe, send, unexpected close).
    pub errors: u64,
    pub first_error: Option<String>,
    pub memory: Option<MemoryReport>,
    /// By phase: the server's CPU time during the phase divided by its length (1.0 is one core
    /// busy all the time).
    pub server_cpu_cores: BTreeMap<&'static str, f64>,
    /// By phase: milliseconds per second the server's threads spent runnable but waiting for a
    /// CPU (`/proc/<pid>/task/*/schedstat`). On a machine shared with other work, the delay the
    /// scheduler added to the server.
    pub server_run_queue_wait_ms_per_s: BTreeMap<&'static str, f64>,
    /// The same for this load generator's own threads.
    pub bench_run_queue_wait_ms_per_s: BTreeMap<&'static str, f64>,
}

impl SignalingReport {
    /// The human-readable table.
    pub fn table(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(t, "workload      signaling {}", self.workload);
        let _ = writeln!(t, "endpoint      {}", self.endpoint);
        let params: Vec<String> = self
            .parameters
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let _ = writeln!(t, "parameters    {}", params.join(" "));
        let _ = writeln!(
            t,
            "setup         {} meetings, {} attendees in {:.1} s",
            self.meetings, self.attendees, self.setup_secs
        );
        for (phase, secs) in &self.phases {
            let _ = writeln!(t, "phase         {phase}: {secs:.1} s");
        }
        for (name, n) in &self.counts {
            let _ = writeln!(t, "  {name:<30}{n}");
        }
        let _ = writeln!(t, "errors        {}", self.errors);
        if let Some(e) = &self.first_error {
            let _ = writeln!(t, "first error   {e}");
        }
        if let Some(m) = &self.memory {
            let _ = writeln!(
                t,
                "server RSS    {:.1} MB before, {:.1} MB with {} sessions (max sampled {:.1} MB, \
                 peak {:.1} MB): {:.0} bytes ({:.1} KB) per session",
                m.rss_before_kib as f64 / 1024.0,
                m.rss_with_sessions_kib as f64 / 1024.0,
                m.sessions,
                m.rss_max_sampled_kib as f64 / 1024.0,
                m.hwm_kib as f64 / 1024.0,
                m.bytes_per_session,
                m.bytes_per_session / 1000.0
            );
        }
        for (phase, cpu) in &self.server_cpu_cores {
            let _ = writeln!(
                t,
                "server CPU    {:.1}% of one core during {phase}",
                cpu * 100.0
            );
        }
        for (phase, wait) in &self.server_run_queue_wait_ms_per_s {
            let bench = self
                .bench_run_queue_wait_ms_per_s
                .get(phase)
                .map_or(String::new(), |b| format!(", this generator's {b:.0} ms/s"));
            let _ = writeln!(
                t,
                "run queue     {phase}: the server's threads waited {wait:.0} ms/s for a CPU{bench}"
            );
        }
        let _ = writeln!(
            t,
            "latency, ms                       count     p50      p90      p99      p99.9    max"
        );
        let ms = |us: u64| us as f64 / 1000.0;
        for (name, d) in &self.latency {
            let l = &d.latency_us;
            let _ = writeln!(
                t,
                "  {name:<30} {:>8} {:<8.3} {:<8.3} {:<8.3} {:<8.3} {:<8.3}",
                d.count,
                ms(l.p50),
                ms(l.p90),
                ms(l.p99),
                ms(l.p999),
                ms(l.max)
            );
        }
        for (name, d) in &self.latency {
            let _ = writeln!(t, "  {name}: {}", d.from_to);
        }
        t
    }
}

/// Latencies one session task recorded, in microseconds. A session records a handful (an HDR
/// histogram of 1 µs to 60 s at 3 significant digits takes about 150 KB, which 10,000 sessions
/// cannot each have); they go into one histogram when the run is over.
#[derive(Debug, Default, Clone)]
pub struct Samples(Vec<u64>);

impl Samples {
    pub fn record(&mut self, d: std::time::Duration) {
        self.0.push(super::micros(d));
    }

    pub fn record_us(&mut self, us: u64) {
        self.0.push(us.max(1));
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds these samples to `h`.
    pub fn add_to(&self, h: &mut Histogram<u64>) {
        for &us in &self.0 {
            h.saturating_record(us);
        }
    }
}

/// Failures of one task, counted, with the first in words.
#[derive(Debug, Default, Clone)]
pub struct Errors {
    pub count: u64,
    pub first: Option<String>,
}

impl Errors {
    pub fn note(&mut self, e: impl Into<String>) {
        self.count += 1;
        if self.first.is_none() {
            self.first = Some(e.into());
        }
    }

    pub fn merge(&mut self, other: &Errors) {
        self.count += other.count;
        if self.first.is_none() {
            self.first.clone_from(&other.first);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::histogram;

    #[test]
    fn a_report_prints_and_serializes() {
        let mut h = histogram();
        for v in 1..=100 {
            h.record(v * 10).unwrap();
        }
        let mut report = SignalingReport {
            workload: "sessions",
            endpoint: "http://x".into(),
            parameters: BTreeMap::from([("sessions", serde_json::json!(10))]),
            meetings: 1,
            attendees: 10,
            setup_secs: 0.1,
            phases: BTreeMap::from([("hold", 1.0)]),
            latency: BTreeMap::from([("ping_rtt", Distribution::of(&h, "PING sent → PONG"))]),
            counts: BTreeMap::from([("sessions_joined", 10)]),
            errors: 0,
            first_error: None,
            memory: Some(MemoryReport {
                server_pid: 1,
                rss_before_kib: 1000,
                rss_with_sessions_kib: 1100,
                rss_max_sampled_kib: 1100,
                hwm_kib: 1200,
                sessions: 10,
                bytes_per_session: 10240.0,
            }),
            server_cpu_cores: BTreeMap::from([("hold", 0.25)]),
            server_run_queue_wait_ms_per_s: BTreeMap::from([("hold", 12.0)]),
            bench_run_queue_wait_ms_per_s: BTreeMap::from([("hold", 3.0)]),
        };
        let table = report.table();
        assert!(table.contains("10.2 KB) per session"), "{table}");
        assert!(table.contains("25.0% of one core during hold"), "{table}");
        assert!(
            table.contains("waited 12 ms/s for a CPU, this generator's 3 ms/s"),
            "{table}"
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["latency"]["ping_rtt"]["p99"], 990);
        assert_eq!(json["latency"]["ping_rtt"]["count"], 100);
        assert_eq!(json["memory"]["bytes_per_session"], 10240.0);
        report.memory = None;
        assert!(!report.table().contains("server RSS"));
    }
}
