//! Every event against AWS's documented example of it. The examples are quoted from
//! <https://docs.aws.amazon.com/chime-sdk/latest/dg/using-events.html> (USING) and
//! <https://docs.aws.amazon.com/chime-sdk/latest/dg/transcription-events.html> (TRANSCRIPTION),
//! with the documentation's template markers filled in and its JSON typos (a missing comma after
//! `"resources": []` and after `externalUserId`/`mediaRegion` in the capabilities example, and
//! that example's `//` comment) repaired so that they parse.

use serde_json::{json, Value};
use uuid::Uuid;

use super::*;
use crate::store::rules::tests::record;
use crate::MediaCapability;

/// The id every documented example uses for meetings, attendees and external ids.
const ID: &str = "87654321-4321-4321-1234-111122223333";
/// The documented example's timestamp.
const TS: i64 = 12_344_566_754;

fn meeting() -> MeetingRecord {
    let mut m = record(ID, None);
    m.scope.account_id = "111122223333".into();
    m.external_meeting_id = Some(ID.into());
    m
}

fn attendee() -> AttendeeRecord {
    AttendeeRecord {
        meeting_id: ID.into(),
        attendee_id: ID.into(),
        external_user_id: ID.into(),
        join_token: "token".into(),
        capabilities: None,
    }
}

/// The detail of a documented meeting or attendee example: the fields all of them share, then
/// the type's own, in the documented order.
fn documented(event_type: &str, attendee: bool, network: bool) -> Vec<(&'static str, Value)> {
    let mut fields = vec![
        ("version", json!("0")),
        ("eventType", json!(event_type)),
        ("timestamp", json!(TS)),
        ("meetingId", json!(ID)),
    ];
    if attendee {
        fields.push(("attendeeId", json!(ID)));
        fields.push(("externalUserId", json!(ID)));
    }
    if network {
        fields.push(("networkType", json!("Voip")));
    }
    fields.push(("externalMeetingId", json!(ID)));
    fields.push(("mediaRegion", json!("us-east-1")));
    fields
}

/// Field by field, in order: the serialized detail has exactly `expected`, and reads back as
/// `event`.
fn assert_detail(event: &MeetingEvent, expected: &[(&str, Value)]) {
    let text = serde_json::to_string(event).unwrap();
    let got: Value = serde_json::from_str(&text).unwrap();
    let got = got.as_object().unwrap();
    assert_eq!(got.len(), expected.len(), "{text}");
    let mut last = 0;
    for (name, value) in expected {
        assert_eq!(got.get(*name), Some(value), "{name} in {text}");
        let at = text.find(&format!("\"{name}\":")).unwrap();
        assert!(at >= last, "{name} out of the documented order in {text}");
        last = at;
    }
    let back: MeetingEvent = serde_json::from_str(&text).unwrap();
    assert_eq!(&back, event);
}

#[test]
fn meeting_events_match_using_events_examples() {
    // USING, "Amazon Chime SDK meeting starts" and "meeting ends".
    let m = meeting();
    let started = MeetingEvent::meeting_started(&m, TS);
    assert_detail(&started, &documented("chime:MeetingStarted", false, false));
    let ended = MeetingEvent::meeting_ended(&m, TS);
    assert_detail(&ended, &documented("chime:MeetingEnded", false, false));
}

#[test]
fn attendee_events_match_using_events_examples() {
    // USING, "attendee is added", "is deleted", "is authorized".
    let (m, a) = (meeting(), attendee());
    let cases = [
        (
            MeetingEvent::attendee_added(&m, &a, TS),
            "chime:AttendeeAdded",
        ),
        (
            MeetingEvent::attendee_deleted(&m, &a, TS),
            "chime:AttendeeDeleted",
        ),
        (
            MeetingEvent::attendee_authorized(&m, &a, TS),
            "chime:AttendeeAuthorized",
        ),
    ];
    for (event, name) in cases {
        assert_detail(&event, &documented(name, true, false));
    }
}

#[test]
fn session_events_match_using_events_examples() {
    // USING, "attendee joins/leaves/is dropped" and "attendee content joins/leaves/drops":
    // `networkType` "Voip" between `externalUserId` and `externalMeetingId`.
    let (m, a) = (meeting(), attendee());
    let cases = [
        (SessionChange::Joined, false, "chime:AttendeeJoined"),
        (SessionChange::Left, false, "chime:AttendeeLeft"),
        (SessionChange::Dropped, false, "chime:AttendeeDropped"),
        (SessionChange::Joined, true, "chime:AttendeeContentJoined"),
        (SessionChange::Left, true, "chime:AttendeeContentLeft"),
        (SessionChange::Dropped, true, "chime:AttendeeContentDropped"),
    ];
    for (change, content, name) in cases {
        let event = MeetingEvent::session(&m, &a, change, content, TS);
        let mut expected = documented(name, true, true);
        if content {
            // The content share is its own attendee, `<AttendeeId>#content`.
            expected[4].1 = json!(format!("{ID}#content"));
            expected[5].1 = json!(format!("{ID}#content"));
        }
        assert_detail(&event, &expected);
    }
}

#[test]
fn capabilities_event_matches_the_documented_example() {
    // USING, "attendee capabilities updated":
    // "success": "1", "timestamp": 12344566754, "meetingId": …, "externalMeetingId": "mymeeting",
    // "attendeeId": "attendeeId", "externalUserId": "externalUserId", "mediaRegion": "us-east-1",
    // "attendeeCapabilities": {"audio": "SendReceive", "video": "SendReceive", "content": "SendReceive"}
    let mut m = meeting();
    m.external_meeting_id = Some("mymeeting".into());
    let mut a = attendee();
    a.attendee_id = "attendeeId".into();
    a.external_user_id = "externalUserId".into();
    // Without stored capabilities, the meeting's defaults: SendReceive everywhere.
    let event = MeetingEvent::capabilities_updated(&m, &a, TS);
    let expected = [
        ("version", json!("0")),
        ("eventType", json!("chime:AttendeeCapabilitiesUpdated")),
        ("success", json!("1")),
        ("timestamp", json!(TS)),
        ("meetingId", json!(ID)),
        ("externalMeetingId", json!("mymeeting")),
        ("attendeeId", json!("attendeeId")),
        ("externalUserId", json!("externalUserId")),
        ("mediaRegion", json!("us-east-1")),
        (
            "attendeeCapabilities",
            json!({"audio": "SendReceive", "video": "SendReceive", "content": "SendReceive"}),
        ),
    ];
    assert_detail(&event, &expected);

    a.capabilities = Some(AttendeeCapabilities {
        audio: MediaCapability::Receive,
        video: MediaCapability::None,
        content: MediaCapability::Send,
    });
    let mut event = MeetingEvent::capabilities_updated(&m, &a, TS);
    if let EventKind::AttendeeCapabilitiesUpdated { success, .. } = &mut event.kind {
        *success = false;
    }
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(json["success"], "0");
    assert_eq!(
        json["attendeeCapabilities"],
        json!({"audio": "Receive", "video": "None", "content": "Send"})
    );
    assert_eq!(serde_json::from_value::<MeetingEvent>(json).unwrap(), event);
}

#[test]
fn transcription_events_match_the_documented_examples() {
    // TRANSCRIPTION, "meeting transcription started" and "stopped": "externalMeetingId":
    // "mymeeting", "mediaRegion": "us-west-1", "transcriptionRegion": "us-west-2",
    // "transcriptionConfiguration": "{...}" (a JSON string).
    let mut m = meeting();
    m.external_meeting_id = Some("mymeeting".into());
    m.media_region = "us-west-1".into();
    let config: TranscriptionConfiguration = serde_json::from_value(
        json!({"EngineTranscribeSettings": {"LanguageCode": "en-US", "Region": "us-west-2"}}),
    )
    .unwrap();
    let as_string = r#"{"EngineTranscribeSettings":{"LanguageCode":"en-US","Region":"us-west-2"}}"#;
    for (event, name) in [
        (
            MeetingEvent::transcription_started(&m, &config, TS),
            "chime:TranscriptionStarted",
        ),
        (
            MeetingEvent::transcription_stopped(&m, &config, TS),
            "chime:TranscriptionStopped",
        ),
    ] {
        let expected = [
            ("version", json!("0")),
            ("eventType", json!(name)),
            ("timestamp", json!(TS)),
            ("meetingId", json!(ID)),
            ("externalMeetingId", json!("mymeeting")),
            ("mediaRegion", json!("us-west-1")),
            ("transcriptionRegion", json!("us-west-2")),
            ("transcriptionConfiguration", json!(as_string)),
        ];
        assert_detail(&event, &expected);
    }
    // No Region (or `auto`): Transcribe runs in the media Region.
    for region in [None, Some("auto")] {
        let mut c = config.clone();
        c.engine_transcribe_settings.as_mut().unwrap().region = region.map(str::to_owned);
        let f = TranscriptionFields::of(&c, "us-west-1");
        assert_eq!(f.transcription_region, "us-west-1");
    }
}

#[test]
fn envelope_matches_the_documented_example() {
    // TRANSCRIPTION, the envelope with every member:
    // {"version": "0", "source": "aws.chime", "account": "111122223333",
    //  "id": "12345678-1234-1234-1234-111122223333", "region": "us-east-1",
    //  "detail-type": "Chime Meeting State Change", "time": "yyyy-mm-ddThh:mm:ssZ",
    //  "resources": [], "detail": {…}}
    let m = meeting();
    let id = Uuid::parse_str("12345678-1234-1234-1234-111122223333").unwrap();
    let detail = MeetingEvent::meeting_started(&m, 1_709_210_096_789);
    let envelope = Envelope::new(id, "111122223333", "us-east-1", detail.clone());
    let text = envelope.to_json();
    let expected = [
        ("version", json!("0")),
        ("source", json!("aws.chime")),
        ("account", json!("111122223333")),
        ("id", json!(id.to_string())),
        ("region", json!("us-east-1")),
        ("detail-type", json!("Chime Meeting State Change")),
        ("time", json!("2024-02-29T12:34:56Z")),
        ("resources", json!([])),
        ("detail", serde_json::to_value(&detail).unwrap()),
    ];
    let got: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(got.as_object().unwrap().len(), expected.len());
    let mut last = 0;
    for (name, value) in &expected {
        assert_eq!(&got[*name], value, "{name} in {text}");
        let at = text.find(&format!("\"{name}\":")).unwrap();
        assert!(at >= last, "{name} out of order in {text}");
        last = at;
    }
    assert_eq!(Envelope::from_json(&text).unwrap(), envelope);

    // SQS and SNS carry the same envelope; PutEvents carries its parts.
    assert_eq!(envelope.sqs_message_body(), text);
    assert_eq!(envelope.sns_message(), text);
    let entry = envelope.put_events_entry();
    assert_eq!(entry.source, SOURCE);
    assert_eq!(entry.detail_type, DETAIL_TYPE);
    assert_eq!(entry.resources, Vec::<String>::new());
    assert_eq!(entry.time_epoch_ms, 1_709_210_096_789);
    assert_eq!(
        serde_json::from_str::<MeetingEvent>(&entry.detail).unwrap(),
        detail
    );
}

#[test]
fn envelope_for_a_meeting_uses_its_account_and_control_region() {
    let mut m = meeting();
    m.control_region = "eu-central-1".into();
    m.media_region = "eu-west-1".into();
    let a = Envelope::for_meeting(&m, MeetingEvent::meeting_ended(&m, 0));
    let b = Envelope::for_meeting(&m, MeetingEvent::meeting_ended(&m, 0));
    assert_eq!(
        (a.account.as_str(), a.region.as_str()),
        ("111122223333", "eu-central-1")
    );
    assert_eq!(a.detail.meeting.media_region, "eu-west-1");
    assert_eq!(a.time, "1970-01-01T00:00:00Z");
    assert_ne!(a.id, b.id);
    Uuid::parse_str(&a.id).unwrap();
}

#[test]
fn an_absent_external_meeting_id_is_omitted() {
    let mut m = meeting();
    m.external_meeting_id = None;
    let event = MeetingEvent::attendee_added(&m, &attendee(), TS);
    let json = serde_json::to_value(&event).unwrap();
    assert!(json.get("externalMeetingId").is_none(), "{json}");
    assert_eq!(serde_json::from_value::<MeetingEvent>(json).unwrap(), event);
}

#[test]
fn malformed_details_are_refused() {
    let base = serde_json::to_value(MeetingEvent::session(
        &meeting(),
        &attendee(),
        SessionChange::Joined,
        false,
        TS,
    ))
    .unwrap();
    let broken = |edit: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut v = base.clone();
        edit(v.as_object_mut().unwrap());
        serde_json::from_value::<MeetingEvent>(v).is_err()
    };
    assert!(broken(&|o| {
        o.remove("networkType");
    }));
    assert!(broken(&|o| {
        o.insert("networkType".into(), json!("Pstn"));
    }));
    assert!(broken(&|o| {
        o.insert("eventType".into(), json!("chime:AttendeeVideoStarted"));
    }));
    assert!(broken(&|o| {
        o.insert("version".into(), json!("1"));
    }));
    assert!(broken(&|o| {
        o.insert("timestamp".into(), json!("12344566754"));
    }));
}

#[test]
fn event_types_and_namespaces() {
    for t in EventType::ALL {
        assert_eq!(EventType::parse(t.as_str()), Some(t));
        assert!(t.emitted_in(Namespace::Meetings));
    }
    // The legacy API has no attendee capabilities; every other event is the same.
    let legacy: Vec<_> = EventType::ALL
        .into_iter()
        .filter(|t| !t.emitted_in(Namespace::Legacy))
        .collect();
    assert_eq!(legacy, [EventType::AttendeeCapabilitiesUpdated]);
}

#[test]
fn debug_output_leaves_out_external_ids() {
    let mut m = meeting();
    m.external_meeting_id = Some("secret-meeting".into());
    let mut a = attendee();
    a.external_user_id = "secret-user".into();
    let event = MeetingEvent::session(&m, &a, SessionChange::Joined, true, TS);
    let shown = format!("{:?}", Envelope::for_meeting(&m, event));
    assert!(!shown.contains("secret"), "{shown}");
    assert!(shown.contains(&format!("{ID}#content")), "{shown}");
}
