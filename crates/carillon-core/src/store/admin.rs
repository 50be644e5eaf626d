//! What the operator's routes read and write through [`Store`](super::Store), across scopes:
//! meetings and attendees as the store holds them (ended meetings included), the whole state
//! emptied, and the state written back from an export. Nothing here is reachable through the
//! Chime APIs, which always name a scope.

use crate::domain::{AttendeeRecord, MeetingRecord, Namespace, Tag};

/// Which meetings a listing wants by state. Ended meetings are kept (their ClientRequestToken
/// keeps answering), attendees and tags gone, with when and why they ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MeetingState {
    #[default]
    Active,
    Ended,
    All,
}

impl MeetingState {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(MeetingState::Active),
            "ended" => Some(MeetingState::Ended),
            "all" => Some(MeetingState::All),
            _ => None,
        }
    }

    /// What the backends' statements bind: 0 all, 1 active, 2 ended.
    pub fn code(self) -> i64 {
        match self {
            MeetingState::All => 0,
            MeetingState::Active => 1,
            MeetingState::Ended => 2,
        }
    }
}

/// A listing's filter; `None` members match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeetingFilter {
    pub account_id: Option<String>,
    pub namespace: Option<Namespace>,
    pub external_meeting_id: Option<String>,
    pub state: MeetingState,
}

impl MeetingFilter {
    /// Every meeting, active or ended: what an export reads.
    pub fn everything() -> Self {
        MeetingFilter {
            state: MeetingState::All,
            ..MeetingFilter::default()
        }
    }

    pub fn takes(&self, m: &MeetingRecord) -> bool {
        self.account_id
            .as_ref()
            .is_none_or(|a| *a == m.scope.account_id)
            && self.namespace.is_none_or(|n| n == m.scope.namespace)
            && self
                .external_meeting_id
                .as_ref()
                .is_none_or(|e| m.external_meeting_id.as_ref() == Some(e))
            && match self.state {
                MeetingState::All => true,
                MeetingState::Active => m.is_active(),
                MeetingState::Ended => !m.is_active(),
            }
    }
}

/// A meeting with what the store keeps beside its record: its undeleted attendees' count, its
/// tags (in the order their keys were first set) and its idle clock
/// ([`PresenceMark`](crate::lifecycle::PresenceMark)). No `Debug`: the record's is redacting,
/// and nothing here needs one.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredMeeting {
    pub record: MeetingRecord,
    pub attendee_count: u32,
    pub tags: Vec<Tag>,
    /// When the meeting last had nobody connected (`None` while somebody is).
    pub idle_since_ms: Option<i64>,
    /// Until when a node vouched for a connected session (`None` unless one did).
    pub presence_lease_ms: Option<i64>,
}

impl std::fmt::Debug for StoredMeeting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredMeeting")
            .field("record", &self.record)
            .field("attendee_count", &self.attendee_count)
            .finish_non_exhaustive()
    }
}

/// An attendee with its tags (legacy attendees may have some).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAttendee {
    pub record: AttendeeRecord,
    pub tags: Vec<Tag>,
}

/// One item of an import, in the order of the file: a meeting before its attendees.
#[derive(Debug, Clone)]
pub enum Imported {
    /// The meeting as exported; `attendee_count` is not read (the attendees imported after it
    /// count).
    Meeting(Box<StoredMeeting>),
    Attendee(StoredAttendee),
}

/// Why an import refused an item (the first of its batch that it could not restore); nothing of
/// the batch was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRefusal {
    /// The item's index in the batch.
    pub index: usize,
    pub message: String,
}

impl ImportRefusal {
    pub fn new(index: usize, message: impl Into<String>) -> Self {
        ImportRefusal {
            index,
            message: message.into(),
        }
    }
}

/// Decodes a JSON array of `[key, value]` pairs, as the backends' statements aggregate a row's
/// tags (NULL or an empty text: none).
pub fn tags_from_pairs(json: Option<&str>) -> Result<Vec<Tag>, super::StoreError> {
    let Some(json) = json.filter(|j| !j.is_empty()) else {
        return Ok(Vec::new());
    };
    let pairs: Vec<(String, String)> = super::rows::from_json(json, "tags")?;
    Ok(pairs
        .into_iter()
        .map(|(key, value)| Tag { key, value })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::rules::tests::record;

    #[test]
    fn filters_and_states() {
        let mut m = record("m1", None);
        m.external_meeting_id = Some("x".into());
        assert!(MeetingFilter::default().takes(&m));
        assert!(!MeetingFilter {
            state: MeetingState::Ended,
            ..MeetingFilter::default()
        }
        .takes(&m));
        assert!(!MeetingFilter {
            external_meeting_id: Some("y".into()),
            ..MeetingFilter::everything()
        }
        .takes(&m));
        m.ended_at_ms = Some(1);
        assert!(!MeetingFilter::default().takes(&m));
        assert!(MeetingFilter::everything().takes(&m));
        assert_eq!(MeetingState::parse("ended"), Some(MeetingState::Ended));
        assert_eq!(MeetingState::parse("over"), None);
    }

    #[test]
    fn tag_pairs() {
        assert_eq!(tags_from_pairs(None).unwrap(), vec![]);
        assert_eq!(tags_from_pairs(Some("[]")).unwrap(), vec![]);
        let tags = tags_from_pairs(Some(r#"[["k","v"],["a","b"]]"#)).unwrap();
        assert_eq!(tags[1].key, "a");
        assert!(tags_from_pairs(Some("[1]")).is_err());
    }
}
