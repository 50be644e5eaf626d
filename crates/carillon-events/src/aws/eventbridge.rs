//! EventBridge: `PutEvents` of the envelope's entry ([`Envelope::put_events_entry`]) on the
//! configured bus. An entry the bus refuses (`FailedEntryCount` > 0) is a failure, with the
//! entry's error code and message.

use std::time::Duration;

use aws_sdk_eventbridge::primitives::DateTime;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;
use carillon_core::events::Envelope;

use super::sdk_client;
use crate::config::EventBridgeTarget;
use crate::error_chain;

pub struct EventBridgeSender {
    client: Client,
    bus_name: String,
}

impl EventBridgeSender {
    pub fn new(target: &EventBridgeTarget, request_timeout: Duration) -> Self {
        EventBridgeSender {
            client: sdk_client!(aws_sdk_eventbridge, &target.endpoint(), request_timeout),
            bus_name: target.bus_name.clone(),
        }
    }

    /// Puts the event whose envelope is `body` on the bus.
    pub async fn send(&self, body: &str) -> Result<(), String> {
        let envelope =
            Envelope::from_json(body).map_err(|e| format!("not an event envelope: {e}"))?;
        let entry = envelope.put_events_entry();
        let entry = PutEventsRequestEntry::builder()
            .source(entry.source)
            .detail_type(entry.detail_type)
            .detail(entry.detail)
            .set_resources(Some(entry.resources))
            .time(DateTime::from_millis(entry.time_epoch_ms))
            .event_bus_name(&self.bus_name)
            .build();
        let answer = self
            .client
            .put_events()
            .entries(entry)
            .send()
            .await
            .map_err(|e| format!("PutEvents: {}", error_chain(&e)))?;
        if answer.failed_entry_count() == 0 {
            return Ok(());
        }
        let refused = answer.entries().first();
        Err(format!(
            "PutEvents refused the entry: {} {}",
            refused.and_then(|e| e.error_code()).unwrap_or("(no code)"),
            refused.and_then(|e| e.error_message()).unwrap_or("")
        ))
    }
}
