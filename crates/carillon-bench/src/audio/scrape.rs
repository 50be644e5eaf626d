//! The server's audio counters, read from `GET /metrics` at the edges of the measured window.
//!
//! The engine copies its counts into these series with each levels report (five times a
//! second), so a reading is at most 200 ms old; over a window of many seconds that is a
//! fraction of a percent, and both edges lag alike.

use serde::Serialize;

use crate::client::Endpoint;

/// The audio engine's counters at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AudioCounters {
    pub ticks_on_time: u64,
    pub ticks_late: u64,
    pub ticks_skipped: u64,
    pub packets_received: u64,
    pub packets_sent: u64,
    /// Gauges: sessions attached to the engine, and those with a WebRTC endpoint.
    pub sessions: u64,
    pub endpoints: u64,
}

impl AudioCounters {
    /// Reads the series from a Prometheus text exposition; a series that is absent reads 0
    /// (a server without audio has none).
    pub fn parse(metrics: &str) -> AudioCounters {
        let value = |series: &str| {
            metrics
                .lines()
                .find_map(|line| {
                    let rest = line.strip_prefix(series)?;
                    // `name 12` or `name{...} 12`: the series must end where the name does.
                    rest.strip_prefix(' ')?
                        .split_whitespace()
                        .next()?
                        .parse::<f64>()
                        .ok()
                })
                .map_or(0, |v| v as u64)
        };
        AudioCounters {
            ticks_on_time: value(r#"carillon_audio_ticks_total{outcome="on_time"}"#),
            ticks_late: value(r#"carillon_audio_ticks_total{outcome="late"}"#),
            ticks_skipped: value(r#"carillon_audio_ticks_total{outcome="skipped"}"#),
            packets_received: value(r#"carillon_audio_packets_total{direction="received"}"#),
            packets_sent: value(r#"carillon_audio_packets_total{direction="sent"}"#),
            sessions: value("carillon_audio_sessions"),
            endpoints: value("carillon_audio_endpoints"),
        }
    }

    /// What the counters moved by since `earlier` (the gauges are this reading's).
    pub fn since(&self, earlier: &AudioCounters) -> AudioCounters {
        AudioCounters {
            ticks_on_time: self.ticks_on_time.saturating_sub(earlier.ticks_on_time),
            ticks_late: self.ticks_late.saturating_sub(earlier.ticks_late),
            ticks_skipped: self.ticks_skipped.saturating_sub(earlier.ticks_skipped),
            packets_received: self
                .packets_received
                .saturating_sub(earlier.packets_received),
            packets_sent: self.packets_sent.saturating_sub(earlier.packets_sent),
            sessions: self.sessions,
            endpoints: self.endpoints,
        }
    }
}

/// Reads the counters from `endpoint`'s `/metrics`.
pub async fn read(endpoint: &Endpoint) -> Result<AudioCounters, String> {
    Ok(AudioCounters::parse(&crate::watch::fetch(endpoint).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audio_series_are_read() {
        let text = "# HELP carillon_audio_sessions Sessions attached to the audio engine\n\
            # TYPE carillon_audio_sessions gauge\n\
            carillon_audio_sessions 100\n\
            carillon_audio_endpoints 98\n\
            carillon_audio_sessions_extra 7\n\
            carillon_audio_ticks_total{outcome=\"on_time\"} 2990\n\
            carillon_audio_ticks_total{outcome=\"late\"} 10\n\
            carillon_audio_ticks_total{outcome=\"skipped\"} 0\n\
            carillon_audio_packets_total{direction=\"received\"} 150000\n\
            carillon_audio_packets_total{direction=\"sent\"} 149000\n";
        let before = AudioCounters::parse(text);
        assert_eq!(before.sessions, 100);
        assert_eq!(before.endpoints, 98);
        assert_eq!((before.ticks_on_time, before.ticks_late), (2990, 10));
        assert_eq!(before.packets_sent, 149_000);
        let after = AudioCounters {
            ticks_on_time: 3040,
            ticks_late: 10,
            packets_received: 155_000,
            sessions: 90,
            ..before
        };
        let moved = after.since(&before);
        assert_eq!((moved.ticks_on_time, moved.ticks_late), (50, 0));
        assert_eq!((moved.packets_received, moved.packets_sent), (5000, 0));
        assert_eq!(moved.sessions, 90);
        assert_eq!(AudioCounters::parse(""), AudioCounters::default());
    }
}
