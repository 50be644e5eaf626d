//! The deliverer's metrics.
//!
//! | family | labels | what |
//! |---|---|---|
//! | `carillon_events_delivered_total` | `target_kind` | deliveries sent |
//! | `carillon_events_delivery_failures_total` | `target_kind` | attempts that failed (each retry counts) |
//! | `carillon_events_dead_letters_total` | `target_kind` | deliveries given up on |
//! | `carillon_events_delivery_seconds` | `target_kind` | from the event (its `at_ms`, when its write committed) to its delivery |
//!
//! `target_kind` is `webhook`, `eventbridge`, `sqs` or `sns`: never a URL or an ARN, so that
//! the label stays bounded whatever meetings name.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Kind {
    target_kind: &'static str,
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 9 minutes: a healthy receiver is in the first buckets, retries in the last.
    Histogram::new(exponential_buckets(0.001, 2.0, 20))
}

#[derive(Clone, Debug)]
pub struct DeliveryMetrics {
    delivered: Family<Kind, Counter>,
    failures: Family<Kind, Counter>,
    dead_letters: Family<Kind, Counter>,
    latency: Family<Kind, Histogram, fn() -> Histogram>,
}

/// Metrics registered nowhere (tests, or a node that does not export them).
impl Default for DeliveryMetrics {
    fn default() -> Self {
        DeliveryMetrics {
            delivered: Family::default(),
            failures: Family::default(),
            dead_letters: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
        }
    }
}

impl DeliveryMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = DeliveryMetrics::default();
        registry.register(
            "carillon_events_delivered",
            "Event deliveries sent, by target kind",
            metrics.delivered.clone(),
        );
        registry.register(
            "carillon_events_delivery_failures",
            "Event delivery attempts that failed, by target kind",
            metrics.failures.clone(),
        );
        registry.register(
            "carillon_events_dead_letters",
            "Event deliveries given up on, by target kind",
            metrics.dead_letters.clone(),
        );
        registry.register(
            "carillon_events_delivery_seconds",
            "Seconds from an event to its delivery, by target kind",
            metrics.latency.clone(),
        );
        metrics
    }

    /// A delivery sent `latency_ms` after its event.
    pub fn delivered(&self, kind: &'static str, latency_ms: i64) {
        let label = Kind { target_kind: kind };
        self.delivered.get_or_create(&label).inc();
        // A clock stepped back makes a negative latency: count it as immediate.
        let seconds = latency_ms.max(0) as f64 / 1000.0;
        self.latency.get_or_create(&label).observe(seconds);
    }

    pub fn failed(&self, kind: &'static str) {
        self.failures
            .get_or_create(&Kind { target_kind: kind })
            .inc();
    }

    pub fn dead_letter(&self, kind: &'static str) {
        self.dead_letters
            .get_or_create(&Kind { target_kind: kind })
            .inc();
    }
}

#[cfg(test)]
mod tests {
    use prometheus_client::encoding::text::encode;

    use super::*;

    #[test]
    fn families_are_exported_with_bounded_labels() {
        let mut registry = Registry::default();
        let m = DeliveryMetrics::register(&mut registry);
        m.delivered("webhook", 3);
        m.delivered("webhook", -5);
        m.failed("sqs");
        m.failed("sqs");
        m.dead_letter("sns");
        let mut text = String::new();
        encode(&mut text, &registry).expect("metrics encode");
        assert!(
            text.contains(r#"carillon_events_delivered_total{target_kind="webhook"} 2"#),
            "{text}"
        );
        assert!(text.contains(r#"carillon_events_delivery_failures_total{target_kind="sqs"} 2"#));
        assert!(text.contains(r#"carillon_events_dead_letters_total{target_kind="sns"} 1"#));
        assert!(
            text.contains(
                r#"carillon_events_delivery_seconds_bucket{le="0.001",target_kind="webhook"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"carillon_events_delivery_seconds_bucket{le="0.004",target_kind="webhook"} 2"#
            ),
            "{text}"
        );
    }
}
