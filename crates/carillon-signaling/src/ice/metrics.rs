//! The responder's counters.
//!
//! | family | labels | what |
//! |---|---|---|
//! | `carillon_ice_binding_requests_total` | `result` | Binding requests received, by outcome |
//! | `carillon_ice_non_stun_packets_total` | — | datagrams that are not STUN and no audio endpoint's, dropped |
//! | `carillon_audio_sessions` | — | sessions attached to the audio engine |
//! | `carillon_audio_endpoints` | — | of them, those with a WebRTC endpoint (they passed an ICE check) |
//! | `carillon_audio_ticks_total` | `outcome` | mixer ticks: `on_time`, `late` (over 10 ms after their time), `skipped` (the loop fell a whole frame behind) |
//! | `carillon_audio_packets_total` | `direction` | Opus packets `received` from clients and `sent` to them |
//!
//! `result` is `answered` (success response), `unauthorized` (MESSAGE-INTEGRITY did not verify:
//! 401), `role_conflict` (the peer claimed the controlled role: 487), `unknown_ufrag` (dropped),
//! or `malformed` (a STUN-looking datagram that does not parse, which cannot be told apart from
//! a broken request; a request without a `<ufrag>:<ufrag>` USERNAME, dropped; a registered
//! ufrag without MESSAGE-INTEGRITY, answered 400). Other STUN messages (indications such as
//! keepalives, responses, other methods) are dropped without being counted.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DirectionLabels {
    direction: &'static str,
}

/// The audio engine's figures, copied from its own counts (`EngineStats`) a few times a second:
/// the engine counts with plain integers on its hot path.
#[derive(Clone, Debug)]
pub(super) struct AudioMetrics {
    sessions: Gauge,
    endpoints: Gauge,
    on_time: Counter,
    late: Counter,
    skipped: Counter,
    received: Counter,
    sent: Counter,
}

impl AudioMetrics {
    fn register(registry: &mut Registry) -> Self {
        let sessions = Gauge::default();
        let endpoints = Gauge::default();
        let ticks = Family::<OutcomeLabels, Counter>::default();
        let packets = Family::<DirectionLabels, Counter>::default();
        registry.register(
            "carillon_audio_sessions",
            "Sessions attached to the audio engine",
            sessions.clone(),
        );
        registry.register(
            "carillon_audio_endpoints",
            "Audio sessions with a WebRTC endpoint",
            endpoints.clone(),
        );
        registry.register(
            "carillon_audio_ticks",
            "Mixer ticks, by outcome",
            ticks.clone(),
        );
        registry.register(
            "carillon_audio_packets",
            "Opus packets received from and sent to clients",
            packets.clone(),
        );
        let tick = |outcome| ticks.get_or_create(&OutcomeLabels { outcome }).clone();
        let packet = |direction| {
            packets
                .get_or_create(&DirectionLabels { direction })
                .clone()
        };
        Self {
            sessions,
            endpoints,
            on_time: tick("on_time"),
            late: tick("late"),
            skipped: tick("skipped"),
            received: packet("received"),
            sent: packet("sent"),
        }
    }

    /// Brings the series up to the engine's counts (which only grow).
    pub(super) fn update(&self, engine: &carillon_media::engine::Engine) {
        let stats = engine.stats();
        let (sessions, endpoints) = engine.sessions();
        self.sessions
            .set(i64::try_from(sessions).unwrap_or(i64::MAX));
        self.endpoints
            .set(i64::try_from(endpoints).unwrap_or(i64::MAX));
        let catch_up = |counter: &Counter, total: u64| {
            counter.inc_by(total.saturating_sub(counter.get()));
        };
        catch_up(&self.on_time, stats.ticks - stats.late_ticks);
        catch_up(&self.late, stats.late_ticks);
        catch_up(&self.skipped, stats.skipped_ticks);
        catch_up(&self.received, stats.packets_in);
        catch_up(&self.sent, stats.packets_out);
    }
}

/// Handles to every series, taken once: counting is then one atomic add, with no label lookup
/// on the receive path. Every series exists (at 0) from the start.
#[derive(Clone, Debug)]
pub(super) struct IceMetrics {
    pub(super) answered: Counter,
    pub(super) unauthorized: Counter,
    pub(super) role_conflict: Counter,
    pub(super) unknown_ufrag: Counter,
    pub(super) malformed: Counter,
    pub(super) non_stun: Counter,
    pub(super) audio: AudioMetrics,
}

impl IceMetrics {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let requests = Family::<ResultLabels, Counter>::default();
        let non_stun = Counter::default();
        // Counters get their `_total` suffix from the registry.
        registry.register(
            "carillon_ice_binding_requests",
            "STUN Binding requests received on the ICE port, by outcome",
            requests.clone(),
        );
        registry.register(
            "carillon_ice_non_stun_packets",
            "Datagrams received on the ICE port that are not STUN, dropped",
            non_stun.clone(),
        );
        let series = |result| requests.get_or_create(&ResultLabels { result }).clone();
        Self {
            answered: series("answered"),
            unauthorized: series("unauthorized"),
            role_conflict: series("role_conflict"),
            unknown_ufrag: series("unknown_ufrag"),
            malformed: series("malformed"),
            non_stun,
            audio: AudioMetrics::register(registry),
        }
    }
}
