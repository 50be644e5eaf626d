//! Record builders and small assertions shared by the cases.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use crate::domain::{
    AttendeeCapabilities, AttendeeFeatures, AttendeeRecord, AudioFeatures, ContentFeatures,
    ContentResolution, MediaCapability, MeetingFeatureStatus, MeetingFeatures, MeetingRecord,
    Namespace, NotificationsConfiguration, Scope, Tag, VideoFeatures, VideoResolution,
    DEFAULT_MAX_ATTENDEES,
};
use crate::ids::{new_id, new_join_token};
use crate::store::{
    AttendeeLookup, AttendeeOutcome, AttendeePage, CreateMeetingOutcome, MeetingPage, NewAttendee,
    NewMeeting, Store, StoreResult,
};
use crate::transcription::{EngineTranscribeSettings, TranscriptionConfiguration};

/// The creation time the builders stamp on meetings.
pub const CREATED_AT_MS: i64 = 1_700_000_000_000;
/// The time the cases end meetings at.
pub const ENDED_AT_MS: i64 = 1_700_000_360_000;

/// A new, random 12-digit account in the current namespace.
pub fn new_scope() -> Scope {
    let n = uuid::Uuid::new_v4().as_u128() % 1_000_000_000_000;
    Scope {
        account_id: format!("{n:012}"),
        namespace: Namespace::Meetings,
    }
}

/// A new, random 12-digit account in the legacy namespace.
pub fn new_legacy_scope() -> Scope {
    Scope {
        namespace: Namespace::Legacy,
        ..new_scope()
    }
}

/// A meeting with only the required members set (fresh MeetingId and ClientRequestToken).
pub fn meeting_record(scope: &Scope) -> MeetingRecord {
    MeetingRecord {
        meeting_id: new_id(),
        scope: scope.clone(),
        control_region: "us-east-1".into(),
        client_request_token: new_id(),
        media_region: "us-east-1".into(),
        external_meeting_id: None,
        meeting_host_id: None,
        primary_meeting_id: None,
        tenant_ids: vec![],
        features: None,
        notifications: None,
        media_placement_network_type: None,
        transcription: None,
        created_at_ms: CREATED_AT_MS,
        ended_at_ms: None,
        end_reason: None,
    }
}

/// A meeting with every member set.
pub fn full_meeting(scope: &Scope) -> MeetingRecord {
    MeetingRecord {
        control_region: "eu-central-1".into(),
        media_region: "ap-southeast-2".into(),
        external_meeting_id: Some("external-\u{e9}t\u{e9}".into()),
        meeting_host_id: Some("host".into()),
        tenant_ids: vec!["tenant-a".into(), "tenant-b".into()],
        features: Some(MeetingFeatures {
            audio: Some(AudioFeatures {
                echo_reduction: Some(MeetingFeatureStatus::Available),
            }),
            video: Some(VideoFeatures {
                max_resolution: Some(VideoResolution::Fhd),
            }),
            content: Some(ContentFeatures {
                max_resolution: Some(ContentResolution::Uhd),
            }),
            attendee: Some(AttendeeFeatures {
                max_count: Some(100),
            }),
        }),
        notifications: Some(NotificationsConfiguration {
            lambda_function_arn: None,
            sns_topic_arn: Some("arn:aws:sns:us-east-1:111122223333:topic".into()),
            sqs_queue_arn: Some("arn:aws:sqs:us-east-1:111122223333:queue".into()),
        }),
        media_placement_network_type: Some("DualStack".into()),
        transcription: Some(transcription_config()),
        created_at_ms: CREATED_AT_MS + 1,
        ..meeting_record(scope)
    }
}

/// What CreateMeeting passes for `record`: no tags, AWS's default of four replicas, no
/// concurrent meeting quota.
pub fn new_meeting(record: MeetingRecord) -> NewMeeting {
    NewMeeting {
        record,
        tags: vec![],
        max_replicas: 4,
        max_active_meetings: None,
    }
}

/// [`new_meeting`] in a scope that may hold at most `max_active_meetings` active meetings.
pub fn new_meeting_with_quota(record: MeetingRecord, max_active_meetings: u32) -> NewMeeting {
    NewMeeting {
        max_active_meetings: Some(max_active_meetings),
        ..new_meeting(record)
    }
}

/// A new attendee of `meeting` (fresh AttendeeId and JoinToken, full capabilities).
pub fn attendee(meeting: &MeetingRecord, external_user_id: &str) -> AttendeeRecord {
    let attendee_id = new_id();
    AttendeeRecord {
        meeting_id: meeting.meeting_id.clone(),
        join_token: new_join_token(&attendee_id),
        attendee_id,
        external_user_id: external_user_id.into(),
        capabilities: Some(uniform_capabilities(MediaCapability::SendReceive)),
    }
}

/// An attendee to create with these tags (CreateAttendee / CreateMeetingWithAttendees in the
/// legacy namespace).
pub fn with_tags(record: AttendeeRecord, tags: Vec<Tag>) -> NewAttendee {
    NewAttendee { record, tags }
}

/// The same capability for audio, video and content.
pub fn uniform_capabilities(all: MediaCapability) -> AttendeeCapabilities {
    AttendeeCapabilities {
        audio: all,
        video: all,
        content: all,
    }
}

pub fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.into(),
        value: value.into(),
    }
}

/// A standard (non-medical) transcription configuration.
pub fn transcription_config() -> TranscriptionConfiguration {
    TranscriptionConfiguration {
        engine_transcribe_settings: Some(EngineTranscribeSettings {
            language_code: Some("en-US".into()),
            region: Some("auto".into()),
            content_redaction_type: Some("PII".into()),
            pii_entity_types: Some("NAME,EMAIL".into()),
            ..EngineTranscribeSettings::default()
        }),
        engine_transcribe_medical_settings: None,
    }
}

/// Runs all `futures` at once from the current task and returns their outputs in order.
pub async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

// ------------------------------------------------------------------------------------------------
// Assertions
// ------------------------------------------------------------------------------------------------

pub(crate) fn ok<T>(result: StoreResult<T>) -> T {
    match result {
        Ok(value) => value,
        Err(e) => panic!("store error: {e}"),
    }
}

/// Attendees to create without tags.
pub(crate) fn untagged(attendees: Vec<AttendeeRecord>) -> Vec<NewAttendee> {
    attendees.into_iter().map(NewAttendee::from).collect()
}

pub(crate) async fn created(
    store: &dyn Store,
    new: NewMeeting,
    attendees: Vec<AttendeeRecord>,
) -> (MeetingRecord, Vec<AttendeeOutcome>) {
    created_tagged(store, new, untagged(attendees)).await
}

pub(crate) async fn created_tagged(
    store: &dyn Store,
    new: NewMeeting,
    attendees: Vec<NewAttendee>,
) -> (MeetingRecord, Vec<AttendeeOutcome>) {
    match ok(store.create_meeting(new, attendees).await) {
        CreateMeetingOutcome::Created { meeting, attendees } => (meeting, attendees),
        other => panic!("expected Created, got {other:?}"),
    }
}

pub(crate) async fn replayed(
    store: &dyn Store,
    new: NewMeeting,
    attendees: Vec<AttendeeRecord>,
) -> MeetingRecord {
    match ok(store.create_meeting(new, untagged(attendees)).await) {
        CreateMeetingOutcome::Replayed { meeting } => meeting,
        other => panic!("expected Replayed, got {other:?}"),
    }
}

pub(crate) async fn get(
    store: &dyn Store,
    scope: &Scope,
    meeting_id: &str,
) -> Option<MeetingRecord> {
    ok(store.get_meeting(scope, meeting_id).await)
}

pub(crate) async fn add(
    store: &dyn Store,
    meeting: &MeetingRecord,
    attendees: Vec<AttendeeRecord>,
) -> Vec<AttendeeOutcome> {
    add_tagged(store, meeting, untagged(attendees)).await
}

pub(crate) async fn add_tagged(
    store: &dyn Store,
    meeting: &MeetingRecord,
    attendees: Vec<NewAttendee>,
) -> Vec<AttendeeOutcome> {
    let n = attendees.len();
    let out = ok(store
        .create_attendees(&meeting.scope, &meeting.meeting_id, attendees)
        .await)
    .expect("the meeting is active");
    assert_eq!(out.len(), n, "one outcome per attendee");
    out
}

/// `None` when the attendee is not found (the meeting must be).
pub(crate) async fn get_attendee(
    store: &dyn Store,
    meeting: &MeetingRecord,
    attendee_id: &str,
) -> Option<AttendeeRecord> {
    match ok(store
        .get_attendee(&meeting.scope, &meeting.meeting_id, attendee_id)
        .await)
    {
        AttendeeLookup::Found(a) => Some(a),
        AttendeeLookup::AttendeeNotFound => None,
        AttendeeLookup::MeetingNotFound => panic!("the meeting is active"),
    }
}

/// An attendee's tags, or which of the meeting and the attendee is missing.
pub(crate) async fn tags_of(
    store: &dyn Store,
    meeting: &MeetingRecord,
    attendee_id: &str,
) -> AttendeeLookup<Vec<Tag>> {
    ok(store
        .list_attendee_tags(&meeting.scope, &meeting.meeting_id, attendee_id)
        .await)
}

pub(crate) async fn page(
    store: &dyn Store,
    meeting: &MeetingRecord,
    after: Option<i64>,
    limit: usize,
) -> AttendeePage {
    let page = ok(store
        .list_attendees(&meeting.scope, &meeting.meeting_id, after, limit)
        .await)
    .expect("the meeting is active");
    assert!(page.items.len() <= limit, "a page holds at most {limit}");
    page
}

/// Every attendee, paging by `limit`.
pub(crate) async fn list_all(
    store: &dyn Store,
    meeting: &MeetingRecord,
    limit: usize,
) -> Vec<AttendeeRecord> {
    let mut all = Vec::new();
    let mut after = None;
    // Generous: a trailing empty page is allowed.
    for _ in 0..=(DEFAULT_MAX_ATTENDEES as usize + 1) {
        let p = page(store, meeting, after, limit).await;
        all.extend(p.items);
        match p.next {
            Some(next) => after = Some(next),
            None => return all,
        }
    }
    panic!("paging by {limit} did not end");
}

pub(crate) async fn meeting_page(
    store: &dyn Store,
    scope: &Scope,
    after: Option<i64>,
    limit: usize,
) -> MeetingPage {
    let page = ok(store.list_meetings(scope, after, limit).await);
    assert!(page.items.len() <= limit, "a page holds at most {limit}");
    page
}

/// Every active meeting of the scope, paging by `limit` (the cases create far fewer than a
/// thousand pages' worth; a trailing empty page is allowed).
pub(crate) async fn list_all_meetings(
    store: &dyn Store,
    scope: &Scope,
    limit: usize,
) -> Vec<MeetingRecord> {
    let mut all = Vec::new();
    let mut after = None;
    for _ in 0..1000 {
        let p = meeting_page(store, scope, after, limit).await;
        all.extend(p.items);
        match p.next {
            Some(next) => after = Some(next),
            None => return all,
        }
    }
    panic!("paging meetings by {limit} did not end");
}

pub(crate) fn meeting_ids(meetings: &[MeetingRecord]) -> Vec<&str> {
    meetings.iter().map(|m| m.meeting_id.as_str()).collect()
}

pub(crate) fn users(attendees: &[AttendeeRecord]) -> Vec<&str> {
    attendees
        .iter()
        .map(|a| a.external_user_id.as_str())
        .collect()
}

pub(crate) fn created_attendee(outcome: &AttendeeOutcome) -> &AttendeeRecord {
    match outcome {
        AttendeeOutcome::Created(a) => a,
        other => panic!("expected Created, got {other:?}"),
    }
}

pub(crate) fn existing_attendee(outcome: &AttendeeOutcome) -> &AttendeeRecord {
    match outcome {
        AttendeeOutcome::Existing(a) => a,
        other => panic!("expected Existing, got {other:?}"),
    }
}

pub(crate) fn assert_limit_exceeded(outcome: &AttendeeOutcome, external_user_id: &str) {
    match outcome {
        AttendeeOutcome::LimitExceeded {
            external_user_id: refused,
        } => assert_eq!(refused, external_user_id),
        other => panic!("expected LimitExceeded, got {other:?}"),
    }
}
