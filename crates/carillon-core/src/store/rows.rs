//! A meeting as every backend stores it: one row of plain values, the struct-valued members as
//! JSON text and the namespace by name. A backend binds and reads these columns; turning them
//! into a [`MeetingRecord`] and back happens here, so a value one backend wrote reads the same in
//! any other, and a value that does not decode is a [`StoreError`], never a panic.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::domain::{MeetingRecord, Namespace, Scope};
use crate::lifecycle::EndReason;
use crate::store::StoreError;

/// The columns of a meeting, in the order the backends' statements list them. No `Debug`: it
/// holds the ClientRequestToken and the ids a caller chose, which are never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct MeetingRow {
    pub meeting_id: String,
    pub account_id: String,
    /// [`Namespace::as_str`].
    pub namespace: String,
    pub control_region: String,
    pub client_request_token: String,
    pub media_region: String,
    pub external_meeting_id: Option<String>,
    pub meeting_host_id: Option<String>,
    pub primary_meeting_id: Option<String>,
    /// A JSON array of strings.
    pub tenant_ids: String,
    /// JSON `MeetingFeatures`.
    pub features: Option<String>,
    /// JSON `NotificationsConfiguration`.
    pub notifications: Option<String>,
    pub media_placement_network_type: Option<String>,
    /// JSON `TranscriptionConfiguration`.
    pub transcription: Option<String>,
    pub created_at_ms: i64,
    pub ended_at_ms: Option<i64>,
    /// [`EndReason::as_str`].
    pub end_reason: Option<String>,
}

impl MeetingRow {
    pub fn from_record(r: &MeetingRecord) -> Result<Self, StoreError> {
        Ok(MeetingRow {
            meeting_id: r.meeting_id.clone(),
            account_id: r.scope.account_id.clone(),
            namespace: r.scope.namespace.as_str().to_owned(),
            control_region: r.control_region.clone(),
            client_request_token: r.client_request_token.clone(),
            media_region: r.media_region.clone(),
            external_meeting_id: r.external_meeting_id.clone(),
            meeting_host_id: r.meeting_host_id.clone(),
            primary_meeting_id: r.primary_meeting_id.clone(),
            tenant_ids: to_json(&r.tenant_ids, "TenantIds")?,
            features: to_optional_json(r.features.as_ref(), "MeetingFeatures")?,
            notifications: to_optional_json(
                r.notifications.as_ref(),
                "NotificationsConfiguration",
            )?,
            media_placement_network_type: r.media_placement_network_type.clone(),
            transcription: to_optional_json(
                r.transcription.as_ref(),
                "TranscriptionConfiguration",
            )?,
            created_at_ms: r.created_at_ms,
            ended_at_ms: r.ended_at_ms,
            end_reason: r.end_reason.map(|reason| reason.as_str().to_owned()),
        })
    }

    pub fn into_record(self) -> Result<MeetingRecord, StoreError> {
        let end_reason = self
            .end_reason
            .as_deref()
            .map(|s| {
                EndReason::parse(s)
                    .ok_or_else(|| StoreError::new(format!("unknown end reason {s:?}")))
            })
            .transpose()?;
        let namespace = Namespace::parse(&self.namespace)
            .ok_or_else(|| StoreError::new(format!("unknown namespace {:?}", self.namespace)))?;
        Ok(MeetingRecord {
            meeting_id: self.meeting_id,
            scope: Scope {
                account_id: self.account_id,
                namespace,
            },
            control_region: self.control_region,
            client_request_token: self.client_request_token,
            media_region: self.media_region,
            external_meeting_id: self.external_meeting_id,
            meeting_host_id: self.meeting_host_id,
            primary_meeting_id: self.primary_meeting_id,
            tenant_ids: from_json(&self.tenant_ids, "TenantIds")?,
            features: from_optional_json(self.features.as_deref(), "MeetingFeatures")?,
            notifications: from_optional_json(
                self.notifications.as_deref(),
                "NotificationsConfiguration",
            )?,
            media_placement_network_type: self.media_placement_network_type,
            transcription: from_optional_json(
                self.transcription.as_deref(),
                "TranscriptionConfiguration",
            )?,
            created_at_ms: self.created_at_ms,
            ended_at_ms: self.ended_at_ms,
            end_reason,
        })
    }
}

/// A struct-valued member as JSON text.
pub fn to_json<T: Serialize>(value: &T, member: &str) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::new(format!("encoding {member}: {e}")))
}

/// An optional struct-valued member as JSON text, or NULL.
pub fn to_optional_json<T: Serialize>(
    value: Option<&T>,
    member: &str,
) -> Result<Option<String>, StoreError> {
    value.map(|v| to_json(v, member)).transpose()
}

/// A struct-valued member from its JSON text.
pub fn from_json<T: DeserializeOwned>(text: &str, member: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::new(format!("decoding {member}: {e}")))
}

/// An optional struct-valued member from its JSON text or NULL.
pub fn from_optional_json<T: DeserializeOwned>(
    text: Option<&str>,
    member: &str,
) -> Result<Option<T>, StoreError> {
    text.map(|t| from_json(t, member)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AttendeeFeatures, MeetingFeatures, NotificationsConfiguration};
    use crate::store::rules::tests::record;

    #[test]
    fn a_record_survives_its_row() {
        let mut r = record("m1", None);
        r.tenant_ids = vec!["t1".into(), "t2".into()];
        r.features = Some(MeetingFeatures {
            attendee: Some(AttendeeFeatures { max_count: Some(5) }),
            ..MeetingFeatures::default()
        });
        r.notifications = Some(NotificationsConfiguration {
            sqs_queue_arn: Some("arn:aws:sqs:us-east-1:123456789012:q".into()),
            ..NotificationsConfiguration::default()
        });
        r.ended_at_ms = Some(7);
        r.end_reason = Some(EndReason::PrimaryEnded);
        let row = MeetingRow::from_record(&r).unwrap();
        assert_eq!(row.namespace, "meetings");
        assert_eq!(row.tenant_ids, r#"["t1","t2"]"#);
        assert_eq!(
            row.features.as_deref(),
            Some(r#"{"Attendee":{"MaxCount":5}}"#)
        );
        assert_eq!(row.transcription, None);
        assert_eq!(row.end_reason.as_deref(), Some("primary-ended"));
        assert!(row.into_record().unwrap() == r);
    }

    #[test]
    fn values_that_do_not_decode_are_store_errors() {
        let row = MeetingRow::from_record(&record("m1", None)).unwrap();
        let broken = [
            MeetingRow {
                namespace: "bogus".into(),
                ..row.clone()
            },
            MeetingRow {
                tenant_ids: "[1]".into(),
                ..row.clone()
            },
            MeetingRow {
                features: Some("{not json".into()),
                ..row.clone()
            },
            MeetingRow {
                transcription: Some("3".into()),
                ..row.clone()
            },
            MeetingRow {
                end_reason: Some("bored".into()),
                ..row.clone()
            },
        ];
        for row in broken {
            let err = row.into_record().expect_err("an error");
            assert!(!err.is_unavailable(), "{err}");
        }
    }
}
