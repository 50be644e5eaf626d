//! What an audio run measured, as a table and as the `--json` document.

use std::fmt::Write as _;

use serde::Serialize;

use super::scrape::AudioCounters;
use crate::signaling::report::Distribution;

/// The report of an audio run.
#[derive(Debug, Clone, Serialize)]
pub struct AudioReport {
    pub endpoint: String,
    pub meetings: usize,
    pub per_meeting: usize,
    pub speakers_per_meeting: usize,
    /// Participants whose endpoint connected (of `meetings × per_meeting`).
    pub participants: u64,
    pub participants_failed: u64,
    pub setup_secs: f64,
    /// From the first join to the last endpoint connected.
    pub connect_secs: f64,
    pub warmup_secs: f64,
    /// The measured window, seconds.
    pub window_secs: f64,
    /// `/proc/loadavg` (1, 5, 15 minutes) when the window opened and when it closed.
    pub load_average_start: [f64; 3],
    pub load_average_end: [f64; 3],
    pub server: Option<ServerFigures>,
    /// The server's audio counters over the window (`/metrics`).
    pub ticks: Ticks,
    pub packets: Packets,
    /// Server-added mouth-to-ear latency: a burst's first frame sent → the first packet whose
    /// decoded audio shows it, received.
    pub latency: Distribution,
    pub onsets: Onsets,
    pub generator: Generator,
    /// Failed steps (join, subscribe, ICE/DTLS, socket, signaling).
    pub errors: u64,
    pub first_error: Option<String>,
}

/// The server process over the window (with `--server-pid`).
#[derive(Debug, Clone, Serialize)]
pub struct ServerFigures {
    pub pid: u32,
    /// CPU time over the window divided by its length (1.0 is one core busy).
    pub cpu_cores: f64,
    /// Milliseconds of CPU per participant per second.
    pub cpu_ms_per_participant_second: f64,
    /// VmRSS once the meetings and attendees existed, before any client joined.
    pub rss_before_kib: u64,
    /// VmRSS at the end of the window, every client sending.
    pub rss_with_clients_kib: u64,
    /// (with − before) / participants.
    pub kib_per_participant: f64,
    /// Milliseconds per second the server's threads waited for a CPU (a shared machine).
    pub run_queue_wait_ms_per_s: f64,
}

/// The mixer's ticks over the window.
#[derive(Debug, Clone, Serialize)]
pub struct Ticks {
    pub on_time: u64,
    /// Run over 10 ms after their time.
    pub late: u64,
    /// Never run: the loop fell a whole frame behind.
    pub skipped: u64,
    /// late / (on_time + late + skipped), percent.
    pub late_percent: f64,
    /// (late + skipped) / (on_time + late + skipped), percent: frames not on time at all.
    pub late_or_skipped_percent: f64,
}

impl Ticks {
    pub fn from_counters(moved: &AudioCounters) -> Ticks {
        let total = (moved.ticks_on_time + moved.ticks_late + moved.ticks_skipped).max(1) as f64;
        Ticks {
            on_time: moved.ticks_on_time,
            late: moved.ticks_late,
            skipped: moved.ticks_skipped,
            late_percent: moved.ticks_late as f64 * 100.0 / total,
            late_or_skipped_percent: (moved.ticks_late + moved.ticks_skipped) as f64 * 100.0
                / total,
        }
    }
}

/// Packets per second over the window.
#[derive(Debug, Clone, Serialize)]
pub struct Packets {
    /// The server's counters: Opus packets received from clients and sent to them.
    pub server_in_per_s: f64,
    pub server_out_per_s: f64,
    /// The clients' own counts.
    pub clients_sent_per_s: f64,
    pub clients_received_per_s: f64,
    /// Packets each listener received per second (50 is one every 20 ms): the mean, and the
    /// lowest and highest of any listener.
    pub per_listener_mean: f64,
    pub per_listener_min: f64,
    pub per_listener_max: f64,
}

/// Bursts over the window.
#[derive(Debug, Clone, Serialize)]
pub struct Onsets {
    /// Bursts sent in the window times the listeners who should hear each.
    pub expected: u64,
    /// Of them, heard and timed.
    pub timed: u64,
    /// Onsets heard that matched no burst (a burst heard twice, noise taken for one).
    pub unmatched: u64,
    /// Packets the listeners could not decode.
    pub undecodable: u64,
}

/// The load generator itself over the window.
#[derive(Debug, Clone, Serialize)]
pub struct Generator {
    pub cpu_cores: f64,
    pub run_queue_wait_ms_per_s: f64,
    /// Frames sent more than 5 ms after their time: the generator's clock slipping.
    pub late_sends: u64,
    /// Frames due in the window that were skipped, over 100 ms late.
    pub skipped_sends: u64,
    /// Datagrams the clients' sockets would not take.
    pub send_failures: u64,
}

impl AudioReport {
    /// The human-readable table.
    pub fn table(&self) -> String {
        let mut t = String::new();
        let load = |l: &[f64; 3]| format!("{:.2} {:.2} {:.2}", l[0], l[1], l[2]);
        let _ = writeln!(t, "workload      audio");
        let _ = writeln!(t, "endpoint      {}", self.endpoint);
        let _ = writeln!(
            t,
            "participants  {} connected ({} failed): {} meetings of {}, {} speaking in each",
            self.participants,
            self.participants_failed,
            self.meetings,
            self.per_meeting,
            self.speakers_per_meeting
        );
        let _ = writeln!(
            t,
            "phases        setup {:.1} s, connect {:.1} s, warm-up {:.1} s, measured {:.1} s",
            self.setup_secs, self.connect_secs, self.warmup_secs, self.window_secs
        );
        let _ = writeln!(
            t,
            "load average  {} at the start, {} at the end",
            load(&self.load_average_start),
            load(&self.load_average_end)
        );
        if let Some(s) = &self.server {
            let _ = writeln!(
                t,
                "server CPU    {:.1}% of one core: {:.3} ms per participant-second \
                 (its threads waited {:.0} ms/s for a CPU)",
                s.cpu_cores * 100.0,
                s.cpu_ms_per_participant_second,
                s.run_queue_wait_ms_per_s
            );
            let _ = writeln!(
                t,
                "server RSS    {:.1} MB before the clients, {:.1} MB with them: {:.0} KB per \
                 participant",
                s.rss_before_kib as f64 / 1024.0,
                s.rss_with_clients_kib as f64 / 1024.0,
                s.kib_per_participant
            );
        }
        let k = &self.ticks;
        let _ = writeln!(
            t,
            "ticks         {} on time, {} late, {} skipped: {:.2}% late, {:.2}% late or skipped",
            k.on_time, k.late, k.skipped, k.late_percent, k.late_or_skipped_percent
        );
        let p = &self.packets;
        let _ = writeln!(
            t,
            "packets/s     server in {:.0}, out {:.0}; clients sent {:.0}, received {:.0}",
            p.server_in_per_s, p.server_out_per_s, p.clients_sent_per_s, p.clients_received_per_s
        );
        let _ = writeln!(
            t,
            "per listener  {:.2} packets/s (lowest {:.2}, highest {:.2})",
            p.per_listener_mean, p.per_listener_min, p.per_listener_max
        );
        let o = &self.onsets;
        let _ = writeln!(
            t,
            "onsets        {} timed of {} expected, {} unmatched, {} packets undecodable",
            o.timed, o.expected, o.unmatched, o.undecodable
        );
        let l = &self.latency.latency_us;
        let ms = |us: u64| us as f64 / 1000.0;
        let _ = writeln!(
            t,
            "latency, ms   p50 {:.1}, p90 {:.1}, p99 {:.1}, max {:.1} ({} samples)",
            ms(l.p50),
            ms(l.p90),
            ms(l.p99),
            ms(l.max),
            self.latency.count
        );
        let _ = writeln!(t, "  {}", self.latency.from_to);
        let g = &self.generator;
        let _ = writeln!(
            t,
            "generator     {:.1}% of one core, waited {:.0} ms/s for a CPU, {} late sends, {} \
             skipped, {} datagrams not sent",
            g.cpu_cores * 100.0,
            g.run_queue_wait_ms_per_s,
            g.late_sends,
            g.skipped_sends,
            g.send_failures
        );
        let _ = writeln!(t, "errors        {}", self.errors);
        if let Some(e) = &self.first_error {
            let _ = writeln!(t, "first error   {e}");
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::histogram;

    #[test]
    fn ticks_count_late_and_skipped_against_all() {
        let moved = AudioCounters {
            ticks_on_time: 2970,
            ticks_late: 20,
            ticks_skipped: 10,
            ..AudioCounters::default()
        };
        let ticks = Ticks::from_counters(&moved);
        assert!((ticks.late_percent - 20.0 / 30.0).abs() < 1e-9);
        assert!((ticks.late_or_skipped_percent - 1.0).abs() < 1e-9);
        assert_eq!(
            Ticks::from_counters(&AudioCounters::default()).late_percent,
            0.0
        );
    }

    #[test]
    fn a_report_prints_and_serializes() {
        let mut h = histogram();
        for ms in 40..=60 {
            h.record(ms * 1000).unwrap();
        }
        let report = AudioReport {
            endpoint: "http://x".into(),
            meetings: 10,
            per_meeting: 10,
            speakers_per_meeting: 2,
            participants: 100,
            participants_failed: 0,
            setup_secs: 0.2,
            connect_secs: 1.5,
            warmup_secs: 5.0,
            window_secs: 60.0,
            load_average_start: [1.0, 0.5, 0.25],
            load_average_end: [1.5, 0.75, 0.3],
            server: Some(ServerFigures {
                pid: 1,
                cpu_cores: 0.25,
                cpu_ms_per_participant_second: 2.5,
                rss_before_kib: 20_480,
                rss_with_clients_kib: 30_720,
                kib_per_participant: 102.4,
                run_queue_wait_ms_per_s: 4.0,
            }),
            ticks: Ticks::from_counters(&AudioCounters {
                ticks_on_time: 3000,
                ..AudioCounters::default()
            }),
            packets: Packets {
                server_in_per_s: 5000.0,
                server_out_per_s: 5000.0,
                clients_sent_per_s: 5000.0,
                clients_received_per_s: 5000.0,
                per_listener_mean: 50.0,
                per_listener_min: 49.9,
                per_listener_max: 50.0,
            },
            latency: Distribution::of(&h, "burst sent → heard"),
            onsets: Onsets {
                expected: 21,
                timed: 21,
                unmatched: 0,
                undecodable: 0,
            },
            generator: Generator {
                cpu_cores: 0.1,
                run_queue_wait_ms_per_s: 1.0,
                late_sends: 0,
                skipped_sends: 0,
                send_failures: 0,
            },
            errors: 0,
            first_error: None,
        };
        let table = report.table();
        assert!(
            table.contains("25.0% of one core: 2.500 ms per participant-second"),
            "{table}"
        );
        assert!(table.contains("102 KB per participant"), "{table}");
        assert!(table.contains("0.00% late"), "{table}");
        assert!(table.contains("p50 50.0"), "{table}");
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["latency"]["count"], 21);
        assert_eq!(json["ticks"]["on_time"], 3000);
        assert_eq!(json["server"]["kib_per_participant"], 102.4);
    }
}
