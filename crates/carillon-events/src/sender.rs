//! Every configured target behind one call: which sender a delivery's target key goes to.

use std::collections::HashMap;

use carillon_core::events::outbox::{StoredEvent, Target};

use crate::aws::eventbridge::EventBridgeSender;
use crate::aws::sns::SnsSender;
use crate::aws::sqs::SqsSender;
use crate::config::{DeliveryConfig, WebhookTarget};
use crate::webhook::WebhookSender;

/// The bounded name of a target's kind, the `target_kind` label of the metrics.
pub fn target_kind(target: &str) -> &'static str {
    match Target::parse(target) {
        Some(Target::Webhook(_)) => "webhook",
        Some(Target::EventBridge) => "eventbridge",
        Some(Target::Sqs(_)) => "sqs",
        Some(Target::Sns(_)) => "sns",
        None => "unknown",
    }
}

/// The senders of a [`DeliveryConfig`].
pub struct Senders {
    webhook: WebhookSender,
    webhooks: HashMap<String, WebhookTarget>,
    eventbridge: Option<EventBridgeSender>,
    sqs: Option<SqsSender>,
    sns: Option<SnsSender>,
}

impl Senders {
    pub fn new(config: &DeliveryConfig) -> Self {
        let timeout = config.request_timeout;
        Senders {
            webhook: WebhookSender::new(timeout),
            webhooks: config
                .webhooks
                .iter()
                .map(|w| (w.name.clone(), w.clone()))
                .collect(),
            eventbridge: config
                .eventbridge
                .as_ref()
                .map(|t| EventBridgeSender::new(t, timeout)),
            sqs: config.sqs.as_ref().map(|e| SqsSender::new(e, timeout)),
            sns: config.sns.as_ref().map(|e| SnsSender::new(e, timeout)),
        }
    }

    /// Sends `event` to `target` (a target key); `now_ms` is the attempt's time, which a
    /// webhook signs. An error says why, without secrets.
    pub async fn send(&self, target: &str, event: &StoredEvent, now_ms: i64) -> Result<(), String> {
        let body = &event.event.body;
        match Target::parse(target) {
            Some(Target::Webhook(name)) => {
                let webhook = self
                    .webhooks
                    .get(&name)
                    .ok_or_else(|| format!("webhook {name} is not configured"))?;
                let timestamp = now_ms.div_euclid(1000);
                self.webhook
                    .send(
                        webhook,
                        &event.event.event_id,
                        &event.event.name,
                        body,
                        timestamp,
                    )
                    .await
            }
            Some(Target::EventBridge) => match &self.eventbridge {
                Some(s) => s.send(body).await,
                None => Err("no EventBridge bus is configured".to_owned()),
            },
            Some(Target::Sqs(arn)) => match &self.sqs {
                Some(s) => s.send(&arn, body).await,
                None => Err("no SQS endpoint is configured".to_owned()),
            },
            Some(Target::Sns(arn)) => match &self.sns {
                Some(s) => s.send(&arn, body).await,
                None => Err("no SNS endpoint is configured".to_owned()),
            },
            None => Err(format!("unknown target {target}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_kinds_are_bounded() {
        assert_eq!(target_kind("webhook:audit"), "webhook");
        assert_eq!(target_kind("eventbridge"), "eventbridge");
        assert_eq!(target_kind("sqs:arn:aws:sqs:us-east-1:1:q"), "sqs");
        assert_eq!(target_kind("sns:arn:aws:sns:us-east-1:1:t"), "sns");
        assert_eq!(target_kind("ftp:somewhere"), "unknown");
        assert_eq!(target_kind("webhook:"), "unknown");
    }
}
