//! `carillon_fault_hits_total{api, operation, action}`: faults injected. `api` is `meetings`,
//! `legacy` or `signaling`; `operation` is the model's operation name, or for the signaling plane
//! `join`, `frame` or `session`; `action` is the rule's (or header directive's) action. Label
//! values come from the models and this crate, never from a request, so series are bounded.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HitLabels {
    api: &'static str,
    operation: String,
    action: &'static str,
}

/// The fault counters; clones share them.
#[derive(Clone, Debug, Default)]
pub struct FaultMetrics {
    hits: Family<HitLabels, Counter>,
}

impl FaultMetrics {
    /// Counters registered in `registry`, rendered with the server's other metrics.
    pub fn register(registry: &mut Registry) -> FaultMetrics {
        let metrics = FaultMetrics::default();
        registry.register(
            "carillon_fault_hits",
            "Faults injected, by API (or signaling), operation and action",
            metrics.hits.clone(),
        );
        metrics
    }

    pub(crate) fn hit(&self, api: &'static str, operation: &str, action: &'static str) {
        self.hits
            .get_or_create(&HitLabels {
                api,
                operation: operation.to_owned(),
                action,
            })
            .inc();
    }

    /// Hits recorded so far with these labels (for tests).
    pub fn hits(&self, api: &'static str, operation: &str, action: &'static str) -> u64 {
        self.hits
            .get_or_create(&HitLabels {
                api,
                operation: operation.to_owned(),
                action,
            })
            .get()
    }
}
