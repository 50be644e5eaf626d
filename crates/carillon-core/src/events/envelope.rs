//! The EventBridge envelope around a [`MeetingEvent`], and what each delivery target is sent.
//!
//! The envelope's members and their order are those of AWS's examples
//! (<https://docs.aws.amazon.com/chime-sdk/latest/dg/transcription-events.html> shows all of
//! them, `id` included; <https://docs.aws.amazon.com/chime-sdk/latest/dg/using-events.html>):
//! `version` `"0"`, `source` `aws.chime`, `account`, `id` (a UUID), `region` (the meeting's
//! control Region, where AWS emits its events), `detail-type` `Chime Meeting State Change`,
//! `time` (`yyyy-mm-ddThh:mm:ssZ`), `resources` (empty), `detail`.
//!
//! SQS and SNS notifications "contain the same information as the notifications that the Amazon
//! Chime SDK sends to EventBridge"
//! (<https://docs.aws.amazon.com/chime-sdk/latest/dg/mtgs-sdk-notifications.html>): both carry
//! the whole envelope as JSON ([`Envelope::sqs_message_body`], [`Envelope::sns_message`]), so one
//! consumer parses all three alike. EventBridge's `PutEvents` takes the envelope apart into an
//! entry ([`Envelope::put_events_entry`]) and rebuilds the same envelope on its side.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{time, MeetingEvent};

/// `source` of every Chime event.
pub const SOURCE: &str = "aws.chime";
/// `detail-type` of every meeting event.
pub const DETAIL_TYPE: &str = "Chime Meeting State Change";
/// `version` of the EventBridge envelope.
pub const ENVELOPE_VERSION: &str = "0";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub version: String,
    pub source: String,
    pub account: String,
    /// Stays the same through every retry of a delivery, so a receiver can drop duplicates.
    pub id: String,
    pub region: String,
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    pub time: String,
    pub resources: Vec<String>,
    pub detail: MeetingEvent,
}

impl Envelope {
    /// `account` is the meeting's account and `region` its control Region; `time` is the
    /// event's timestamp to the second.
    pub fn new(id: Uuid, account: &str, region: &str, detail: MeetingEvent) -> Self {
        Envelope {
            version: ENVELOPE_VERSION.to_owned(),
            source: SOURCE.to_owned(),
            account: account.to_owned(),
            id: id.to_string(),
            region: region.to_owned(),
            detail_type: DETAIL_TYPE.to_owned(),
            time: time::format_epoch_ms(detail.timestamp_ms),
            resources: Vec::new(),
            detail,
        }
    }

    /// For an event of `meeting`: its account and control Region, a fresh id.
    pub fn for_meeting(meeting: &crate::MeetingRecord, detail: MeetingEvent) -> Self {
        Self::new(
            Uuid::new_v4(),
            &meeting.scope.account_id,
            &meeting.control_region,
            detail,
        )
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an envelope always serializes")
    }

    pub fn from_json(s: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(s)
    }

    /// `MessageBody` of the SQS `SendMessage` to the meeting's `SqsQueueArn`.
    pub fn sqs_message_body(&self) -> String {
        self.to_json()
    }

    /// `Message` of the SNS `Publish` to the meeting's `SnsTopicArn`; SNS wraps it in its own
    /// notification for subscribers (unless they ask for raw delivery).
    pub fn sns_message(&self) -> String {
        self.to_json()
    }

    /// The `PutEvents` entry that makes an EventBridge-compatible bus hold this envelope. AWS's
    /// own EventBridge reserves `aws.*` sources to AWS, so only a compatible endpoint accepts it.
    pub fn put_events_entry(&self) -> PutEventsEntry {
        PutEventsEntry {
            source: self.source.clone(),
            detail_type: self.detail_type.clone(),
            detail: serde_json::to_string(&self.detail).expect("a detail always serializes"),
            resources: self.resources.clone(),
            time_epoch_ms: self.detail.timestamp_ms,
        }
    }
}

/// One `PutEventsRequestEntry` (members as in the EventBridge API): `Detail` is a JSON string,
/// `Time` the event's instant (the SDK takes a timestamp, sent to the second).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutEventsEntry {
    pub source: String,
    pub detail_type: String,
    pub detail: String,
    pub resources: Vec<String>,
    pub time_epoch_ms: i64,
}
