//! The signaling plane's metrics.
//!
//! | family | labels | what |
//! |---|---|---|
//! | `carillon_signaling_sessions` | — | WebSocket sessions open now (those relayed to another node included) |
//! | `carillon_signaling_joins_total` | — | sessions that joined a meeting |
//! | `carillon_signaling_refusals_total` | `reason` | sessions refused at the door |
//! | `carillon_signaling_departures_total` | `how` | joined sessions gone: `left`, `dropped`, or the server's ending |
//! | `carillon_signaling_frames_received_total` | `type` | frames received, by frame type (`invalid` for undecodable ones) |
//! | `carillon_signaling_data_messages_total` | `result` | data messages `relayed` or `bounced` |
//! | `carillon_signaling_cluster_nodes` | — | live nodes this node sees (with a shared store) |
//! | `carillon_signaling_presence_marks_total` | — | meetings' presence marks written to the store |
//! | `carillon_signaling_presence_write_failures_total` | — | writes of presence marks that failed (retried) |
//! | `carillon_signaling_session_events_total` | — | session events (joined, left, dropped, authorized) written to the store |
//! | `carillon_signaling_session_event_write_failures_total` | — | writes of session events that failed (retried) |
//! | `carillon_signaling_session_events_dropped_total` | — | session events dropped from a full queue |
//! | `carillon_signaling_client_events_total` | `result` | client events at the EventIngestionUrl: `logged`, or why refused |
//!
//! Label values are static strings, never from the client.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Reason {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct How {
    how: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Type {
    r#type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    result: &'static str,
}

#[derive(Clone, Debug, Default)]
pub struct SignalingMetrics {
    sessions: Gauge,
    joins: Counter,
    refusals: Family<Reason, Counter>,
    departures: Family<How, Counter>,
    frames: Family<Type, Counter>,
    data_messages: Family<Outcome, Counter>,
    cluster_nodes: Gauge,
    presence_marks: Counter,
    presence_write_failures: Counter,
    session_events: Counter,
    session_event_write_failures: Counter,
    session_events_dropped: Counter,
    client_events: Family<Outcome, Counter>,
}

impl SignalingMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = SignalingMetrics::default();
        registry.register(
            "carillon_signaling_sessions",
            "Signaling WebSocket sessions open",
            metrics.sessions.clone(),
        );
        registry.register(
            "carillon_signaling_joins",
            "Signaling sessions that joined a meeting",
            metrics.joins.clone(),
        );
        registry.register(
            "carillon_signaling_refusals",
            "Signaling sessions refused at the door, by reason",
            metrics.refusals.clone(),
        );
        registry.register(
            "carillon_signaling_departures",
            "Joined signaling sessions gone, by how",
            metrics.departures.clone(),
        );
        registry.register(
            "carillon_signaling_frames_received",
            "Signaling frames received, by frame type",
            metrics.frames.clone(),
        );
        registry.register(
            "carillon_signaling_data_messages",
            "Data messages relayed or bounced to their sender",
            metrics.data_messages.clone(),
        );
        registry.register(
            "carillon_signaling_cluster_nodes",
            "Live nodes of the cluster as this node sees them",
            metrics.cluster_nodes.clone(),
        );
        registry.register(
            "carillon_signaling_presence_marks",
            "Meetings' presence marks written to the store",
            metrics.presence_marks.clone(),
        );
        registry.register(
            "carillon_signaling_presence_write_failures",
            "Writes of presence marks that failed and were retried",
            metrics.presence_write_failures.clone(),
        );
        registry.register(
            "carillon_signaling_session_events",
            "Session events (joined, left, dropped, authorized) written to the store",
            metrics.session_events.clone(),
        );
        registry.register(
            "carillon_signaling_session_event_write_failures",
            "Writes of session events that failed and were retried",
            metrics.session_event_write_failures.clone(),
        );
        registry.register(
            "carillon_signaling_session_events_dropped",
            "Session events dropped from a full queue",
            metrics.session_events_dropped.clone(),
        );
        registry.register(
            "carillon_signaling_client_events",
            "Client events at the EventIngestionUrl, logged or refused",
            metrics.client_events.clone(),
        );
        metrics
    }

    pub(crate) fn session_events(&self, count: usize) {
        self.session_events
            .inc_by(u64::try_from(count).unwrap_or(u64::MAX));
    }

    pub(crate) fn session_events_failed(&self) {
        self.session_event_write_failures.inc();
    }

    pub(crate) fn session_event_dropped(&self) {
        self.session_events_dropped.inc();
    }

    /// `count` client events logged (`logged`) or refused (the reason).
    pub(crate) fn client_events(&self, result: &'static str, count: usize) {
        self.client_events
            .get_or_create(&Outcome { result })
            .inc_by(u64::try_from(count).unwrap_or(u64::MAX));
    }

    pub(crate) fn presence_marks(&self, count: usize) {
        self.presence_marks
            .inc_by(u64::try_from(count).unwrap_or(u64::MAX));
    }

    pub(crate) fn presence_write_failed(&self) {
        self.presence_write_failures.inc();
    }

    /// Marks written, and writes failed.
    #[cfg(test)]
    pub(crate) fn presence_counts(&self) -> (u64, u64) {
        (
            self.presence_marks.get(),
            self.presence_write_failures.get(),
        )
    }

    pub(crate) fn cluster_nodes(&self, nodes: usize) {
        self.cluster_nodes
            .set(i64::try_from(nodes).unwrap_or(i64::MAX));
    }

    pub(crate) fn session_opened(&self) {
        self.sessions.inc();
    }

    pub(crate) fn session_closed(&self) {
        self.sessions.dec();
    }

    pub(crate) fn joined(&self) {
        self.joins.inc();
    }

    pub(crate) fn refused(&self, reason: &'static str) {
        self.refusals.get_or_create(&Reason { reason }).inc();
    }

    pub(crate) fn departed(&self, how: &'static str) {
        self.departures.get_or_create(&How { how }).inc();
    }

    pub(crate) fn frame(&self, kind: &'static str) {
        self.frames.get_or_create(&Type { r#type: kind }).inc();
    }

    pub(crate) fn data_messages(&self, result: &'static str, count: u64) {
        self.data_messages
            .get_or_create(&Outcome { result })
            .inc_by(count);
    }
}
