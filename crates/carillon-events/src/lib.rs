//! Delivery of meeting events from the outbox to their targets.
//!
//! A store records each meeting event with the deliveries it owes, in the transaction of the
//! change that caused it ([`carillon_core::events::outbox`]). This crate sends them: to
//! webhooks ([`webhook`], signed), to an EventBridge-compatible bus, and to the SQS queue and
//! SNS topic of a meeting's `NotificationsConfiguration` ([`aws`]). Every node of a cluster may
//! run a deliverer: the store's claims never hand one stream (a meeting's events to one target)
//! to two of them, so each target receives a meeting's events in order, at least once, the
//! envelope's `id` the same on every attempt.
//!
//! [`DeliveryConfig`] says where to send ([`DeliveryConfig::routing`] is what the store must be
//! told with `Store::set_event_routing`), [`start`] runs the deliverer and the pruner of old
//! events, [`DeliveryMetrics`] counts what they do.

pub mod aws;
pub mod backoff;
pub mod config;
pub mod metrics;
mod prune;
pub mod schedule;
pub mod sender;
pub mod webhook;
mod worker;

use std::sync::Arc;
use std::time::Duration;

use carillon_core::Store;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use backoff::RetryPolicy;
pub use config::{
    AwsCredentials, AwsEndpoint, DeliveryConfig, EventBridgeTarget, Secret, WebhookTarget,
};
pub use metrics::DeliveryMetrics;
pub use sender::Senders;
pub use worker::GRACE;

/// How often events older than the retention are pruned.
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(60);

/// Runs the deliverer and the pruner in a task of their own until `stopped` turns true. The
/// caller sets the store's routing ([`DeliveryConfig::routing`]) itself, before serving writes.
///
/// With no target configured nothing is delivered (events are still logged and pruned). A
/// delivery whose target is no longer configured is not claimed: it waits, due, until a
/// configuration names its target again.
pub fn start(
    store: Arc<dyn Store>,
    config: DeliveryConfig,
    metrics: DeliveryMetrics,
    stopped: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let prune = prune::prune(
        Arc::clone(&store),
        config.retention,
        PRUNE_INTERVAL,
        stopped.clone(),
    );
    let targets = config.claim_targets();
    tokio::spawn(async move {
        if targets.is_empty() {
            prune.await;
            return;
        }
        let deliverer = Arc::new(worker::Deliverer {
            senders: Senders::new(&config),
            store,
            config,
            metrics,
            targets,
        });
        tokio::join!(deliverer.run(stopped), prune);
    })
}

/// An error with its causes: the SDK's errors alone say only "service error", hyper's only
/// "client error (Connect)"; what a dead letter shows must say why.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
