//! The responder's counters.
//!
//! | family | labels | what |
//! |---|---|---|
//! | `carillon_ice_binding_requests_total` | `result` | Binding requests received, by outcome |
//! | `carillon_ice_non_stun_packets_total` | — | datagrams that are not STUN (DTLS, RTP, …) |
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
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
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
        }
    }
}
