//! What the deliverer sends where, and how hard it tries.

use std::time::Duration;

use carillon_core::events::outbox::{EventRouting, Target};

use crate::backoff::RetryPolicy;

/// A value that must never reach a log line (a webhook's signing secret, a secret access key):
/// its `Debug` says that it is set, never what it is.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// A webhook: every meeting event is POSTed to `url`, signed with `secret` (see
/// [`crate::webhook`]). Its deliveries are kept under the target key `webhook:<name>`, so a
/// webhook keeps its backlog across a change of URL or secret, as long as its name stays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    pub name: String,
    pub url: String,
    pub secret: Secret,
}

/// The static credentials the SDK clients sign with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
}

/// An AWS-compatible endpoint (AWS itself, LocalStack, moto, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsEndpoint {
    pub endpoint_url: String,
    /// The Region requests are signed for when the resource's ARN names none.
    pub region: String,
    pub credentials: AwsCredentials,
}

/// The EventBridge-compatible bus every meeting event is put on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventBridgeTarget {
    pub endpoint_url: String,
    pub region: String,
    pub bus_name: String,
    pub credentials: AwsCredentials,
}

impl EventBridgeTarget {
    pub fn endpoint(&self) -> AwsEndpoint {
        AwsEndpoint {
            endpoint_url: self.endpoint_url.clone(),
            region: self.region.clone(),
            credentials: self.credentials.clone(),
        }
    }
}

/// Everything the deliverer needs. A delivery whose target is not configured here (a webhook
/// since removed or renamed, `sqs:` deliveries after the SQS endpoint is switched off) is never
/// claimed: it waits in the store, due, until a configuration names its target again.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    pub webhooks: Vec<WebhookTarget>,
    pub eventbridge: Option<EventBridgeTarget>,
    /// Where the SQS queues of meetings' `NotificationsConfiguration` live.
    pub sqs: Option<AwsEndpoint>,
    /// Where the SNS topics of meetings' `NotificationsConfiguration` live.
    pub sns: Option<AwsEndpoint>,
    pub retry: RetryPolicy,
    /// How long a claim holds its deliveries before another worker may take them.
    pub lease: Duration,
    /// The longest one send may take (connection, request and answer).
    pub request_timeout: Duration,
    /// Streams claimed at once.
    pub streams_per_claim: usize,
    /// Deliveries claimed at once from one stream.
    pub per_stream: usize,
    /// Streams delivered at once.
    pub concurrency: usize,
    /// How often the store is asked for due deliveries when this node logged nothing: finds
    /// other nodes' events and retries that came due.
    pub poll_interval: Duration,
    /// How long an event stays in the log once it owes no delivery.
    pub retention: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            webhooks: Vec::new(),
            eventbridge: None,
            sqs: None,
            sns: None,
            retry: RetryPolicy::default(),
            lease: Duration::from_secs(30),
            request_timeout: Duration::from_secs(10),
            streams_per_claim: 64,
            per_stream: 32,
            concurrency: 32,
            poll_interval: Duration::from_millis(250),
            retention: Duration::from_secs(3600),
        }
    }
}

impl DeliveryConfig {
    /// What the store records and owes: every event, delivered to the webhooks and the bus, and
    /// to a meeting's own queue and topic when an endpoint for them is configured.
    pub fn routing(&self) -> EventRouting {
        let mut everywhere: Vec<Target> = self
            .webhooks
            .iter()
            .map(|w| Target::Webhook(w.name.clone()))
            .collect();
        if self.eventbridge.is_some() {
            everywhere.push(Target::EventBridge);
        }
        EventRouting {
            record: true,
            everywhere,
            meeting_sqs: self.sqs.is_some(),
            meeting_sns: self.sns.is_some(),
        }
    }

    /// The target keys this node delivers to, as [`carillon_core::events::outbox::Claim`]
    /// takes them: each webhook's exact key, `eventbridge`, and the prefixes `sqs:` and `sns:`.
    pub fn claim_targets(&self) -> Vec<String> {
        let mut targets: Vec<String> = self
            .webhooks
            .iter()
            .map(|w| Target::Webhook(w.name.clone()).key())
            .collect();
        if self.eventbridge.is_some() {
            targets.push(Target::EventBridge.key());
        }
        if self.sqs.is_some() {
            targets.push("sqs:".to_owned());
        }
        if self.sns.is_some() {
            targets.push("sns:".to_owned());
        }
        targets
    }

    /// Whether there is anything to deliver to.
    pub fn has_targets(&self) -> bool {
        !self.claim_targets().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials() -> AwsCredentials {
        AwsCredentials {
            access_key_id: "AKID".into(),
            secret_access_key: Secret::new("very-secret"),
            session_token: None,
        }
    }

    fn endpoint() -> AwsEndpoint {
        AwsEndpoint {
            endpoint_url: "http://127.0.0.1:5000".into(),
            region: "us-east-1".into(),
            credentials: credentials(),
        }
    }

    #[test]
    fn nothing_configured_records_everything_and_claims_nothing() {
        let config = DeliveryConfig::default();
        assert_eq!(config.routing(), EventRouting::default());
        assert!(config.claim_targets().is_empty());
        assert!(!config.has_targets());
    }

    #[test]
    fn every_target_is_routed_and_claimed() {
        let config = DeliveryConfig {
            webhooks: vec![
                WebhookTarget {
                    name: "audit".into(),
                    url: "https://example.com/hook".into(),
                    secret: Secret::new("whsec"),
                },
                WebhookTarget {
                    name: "ops".into(),
                    url: "http://127.0.0.1:9/".into(),
                    secret: Secret::new("whsec2"),
                },
            ],
            eventbridge: Some(EventBridgeTarget {
                endpoint_url: "http://127.0.0.1:5000".into(),
                region: "us-east-1".into(),
                bus_name: "default".into(),
                credentials: credentials(),
            }),
            sqs: Some(endpoint()),
            sns: Some(endpoint()),
            ..DeliveryConfig::default()
        };
        let routing = config.routing();
        assert!(routing.record && routing.meeting_sqs && routing.meeting_sns);
        assert_eq!(
            routing.everywhere,
            vec![
                Target::Webhook("audit".into()),
                Target::Webhook("ops".into()),
                Target::EventBridge
            ]
        );
        assert_eq!(
            config.claim_targets(),
            vec![
                "webhook:audit",
                "webhook:ops",
                "eventbridge",
                "sqs:",
                "sns:"
            ]
        );
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let config = DeliveryConfig {
            webhooks: vec![WebhookTarget {
                name: "audit".into(),
                url: "https://example.com/hook".into(),
                secret: Secret::new("whsec-do-not-print"),
            }],
            sqs: Some(endpoint()),
            ..DeliveryConfig::default()
        };
        let printed = format!("{config:?}");
        assert!(!printed.contains("whsec-do-not-print"), "{printed}");
        assert!(!printed.contains("very-secret"), "{printed}");
        assert!(printed.contains("<redacted>"));
    }
}
