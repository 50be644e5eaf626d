//! Every event type the control plane causes, from the SDK call to the signed webhook, checked
//! field by field; and a meeting that ends on its own.

use std::time::Instant;

use aws_sdk_chimesdkmeetings::types::{
    AttendeeCapabilities, AttendeeIdItem, EngineTranscribeSettings, TranscribeLanguageCode,
    TranscribeRegion, TranscriptionConfiguration,
};
use carillon_postgres::testing::TestDatabase;
use carillon_testkit::*;
use serde_json::json;

use crate::envelope::Expect;
use crate::hook::Hook;
use crate::{all_delivered, assert_in_order_per_meeting, assert_received, with_hook, PATIENCE};

/// Not the default Region, so that `region` is seen to be the one the request was signed for.
const CONTROL_REGION: &str = "eu-central-1";

#[tokio::test]
async fn every_control_plane_event_reaches_the_webhook_as_documented() {
    control_plane_events(Options::in_memory()).await;
}

#[tokio::test]
async fn every_control_plane_event_reaches_the_webhook_from_postgresql() {
    let Some(db) = TestDatabase::create("events") else {
        return;
    };
    control_plane_events(Options::postgres(&db.url)).await;
}

/// Each operation that causes events, in turn, on a server with this store.
async fn control_plane_events(options: Options) {
    let hook = Hook::start().await;
    let server = Server::start(with_hook(options, &hook.url()));
    let api = server.client_as(ACCESS_KEY_ID, SECRET_ACCESS_KEY, CONTROL_REGION);
    let mut expected = Vec::new();

    // CreateMeeting.
    let external = unique("standup");
    let meeting = create_meeting_request(&api)
        .media_region("us-west-2")
        .external_meeting_id(&external)
        .send()
        .await
        .unwrap()
        .meeting
        .unwrap();
    let id = meeting.meeting_id().unwrap().to_owned();
    let m = Expect {
        region: CONTROL_REGION.into(),
        meeting_id: id.clone(),
        external_meeting_id: Some(external),
        media_region: "us-west-2".into(),
        ..Expect::default()
    };
    expected.push(Expect::meeting("chime:MeetingStarted", &m));

    // CreateMeetingWithAttendees.
    let with = api
        .create_meeting_with_attendees()
        .client_request_token(unique("tok"))
        .media_region("us-east-1")
        .external_meeting_id("with-attendees")
        .attendees(item("ann"))
        .attendees(item("ben"))
        .send()
        .await
        .unwrap();
    let second = with.meeting().unwrap().meeting_id().unwrap();
    let m2 = Expect {
        region: CONTROL_REGION.into(),
        meeting_id: second.to_owned(),
        external_meeting_id: Some("with-attendees".into()),
        media_region: "us-east-1".into(),
        ..Expect::default()
    };
    expected.push(Expect::meeting("chime:MeetingStarted", &m2));
    for a in with.attendees() {
        let (aid, user) = (a.attendee_id().unwrap(), a.external_user_id().unwrap());
        expected.push(Expect::attendee("chime:AttendeeAdded", &m2, aid, user));
    }

    // CreateAttendee, then BatchCreateAttendee where the repeated ExternalUserId adds nothing.
    let alice = create_attendee(&api, &id, "alice@example.com").await;
    let alice_id = alice.attendee_id().unwrap().to_owned();
    expected.push(Expect::attendee(
        "chime:AttendeeAdded",
        &m,
        &alice_id,
        "alice@example.com",
    ));
    let batch = api
        .batch_create_attendee()
        .meeting_id(&id)
        .attendees(item("bob"))
        .attendees(item("carol"))
        .attendees(item("dave"))
        .attendees(item("alice@example.com"))
        .send()
        .await
        .unwrap();
    assert!(batch.errors().is_empty(), "{batch:?}");
    let ids: Vec<(String, String)> = batch
        .attendees()
        .iter()
        .map(|a| {
            (
                a.attendee_id().unwrap().into(),
                a.external_user_id().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(ids.len(), 4);
    assert_eq!(ids[3].0, alice_id, "the repeat is alice again");
    for (aid, user) in &ids[..3] {
        expected.push(Expect::attendee("chime:AttendeeAdded", &m, aid, user));
    }
    let [(bob, _), (carol, _), (dave, _)] = [&ids[0], &ids[1], &ids[2]].map(Clone::clone);

    // DeleteAttendee.
    api.delete_attendee()
        .meeting_id(&id)
        .attendee_id(&carol)
        .send()
        .await
        .unwrap();
    expected.push(Expect::attendee(
        "chime:AttendeeDeleted",
        &m,
        &carol,
        "carol",
    ));

    // UpdateAttendeeCapabilities, then everyone but alice.
    let one = ["SendReceive", "Receive", "Receive"];
    api.update_attendee_capabilities()
        .meeting_id(&id)
        .attendee_id(&alice_id)
        .capabilities(caps(one[0].into(), one[1].into(), one[2].into()))
        .send()
        .await
        .unwrap();
    expected.push(Expect {
        capabilities: Some(one),
        ..Expect::attendee(
            "chime:AttendeeCapabilitiesUpdated",
            &m,
            &alice_id,
            "alice@example.com",
        )
    });
    let rest = ["Receive", "None", "None"];
    let rest_caps: AttendeeCapabilities = caps(rest[0].into(), rest[1].into(), rest[2].into());
    api.batch_update_attendee_capabilities_except()
        .meeting_id(&id)
        .excluded_attendee_ids(
            AttendeeIdItem::builder()
                .attendee_id(&alice_id)
                .build()
                .unwrap(),
        )
        .capabilities(rest_caps)
        .send()
        .await
        .unwrap();
    for (aid, user) in [(&bob, "bob"), (&dave, "dave")] {
        expected.push(Expect {
            capabilities: Some(rest),
            ..Expect::attendee("chime:AttendeeCapabilitiesUpdated", &m, aid, user)
        });
    }

    // Start and stop transcription.
    let configuration = TranscriptionConfiguration::builder()
        .engine_transcribe_settings(
            EngineTranscribeSettings::builder()
                .language_code(TranscribeLanguageCode::EnUs)
                .region(TranscribeRegion::UsWest2)
                .build(),
        )
        .build();
    api.start_meeting_transcription()
        .meeting_id(&id)
        .transcription_configuration(configuration)
        .send()
        .await
        .unwrap();
    api.stop_meeting_transcription()
        .meeting_id(&id)
        .send()
        .await
        .unwrap();
    let as_json =
        json!({"EngineTranscribeSettings": {"LanguageCode": "en-US", "Region": "us-west-2"}});
    for name in ["chime:TranscriptionStarted", "chime:TranscriptionStopped"] {
        expected.push(Expect {
            transcription: Some(("us-west-2".into(), as_json.clone())),
            ..Expect::meeting(name, &m)
        });
    }

    // A replica, then DeleteMeeting of its primary: both end.
    let replica = create_meeting_request(&api)
        .media_region("eu-west-2")
        .external_meeting_id("the-replica")
        .primary_meeting_id(&id)
        .send()
        .await
        .unwrap()
        .meeting
        .unwrap();
    let r = Expect {
        region: CONTROL_REGION.into(),
        meeting_id: replica.meeting_id().unwrap().to_owned(),
        external_meeting_id: Some("the-replica".into()),
        media_region: "eu-west-2".into(),
        ..Expect::default()
    };
    expected.push(Expect::meeting("chime:MeetingStarted", &r));
    api.delete_meeting().meeting_id(&id).send().await.unwrap();
    expected.push(Expect::meeting("chime:MeetingEnded", &m));
    expected.push(Expect::meeting("chime:MeetingEnded", &r));

    let log = all_delivered(&server, &hook, PATIENCE).await;
    assert_eq!(log.len(), expected.len(), "{log:#?}");
    assert_in_order_per_meeting(&hook, &log);
    assert_received(&hook, &expected);
    // Nothing failed, so nothing came twice; the log holds the envelopes as sent.
    let requests = hook.requests();
    assert_eq!(requests.len(), expected.len());
    for r in &requests {
        assert_eq!(r.status, 200);
        let in_log = log.iter().find(|l| l.event_id == r.event_id).unwrap();
        assert_eq!(in_log.envelope, r.envelope);
    }
}

#[tokio::test]
async fn a_meeting_that_ends_on_its_own_sends_meeting_ended() {
    let hook = Hook::start().await;
    let options = Options::in_memory().lifecycle("1s", "off");
    let server = Server::start(with_hook(options, &hook.url()));
    let api = server.client();
    let created = Instant::now();
    let meeting = create_meeting(&api).await;
    let id = meeting.meeting_id().unwrap();
    meeting_ends_within(&api, id, created, PATIENCE).await;
    let m = Expect {
        region: REGION.into(),
        meeting_id: id.to_owned(),
        external_meeting_id: meeting.external_meeting_id().map(str::to_owned),
        media_region: REGION.into(),
        ..Expect::default()
    };
    let log = all_delivered(&server, &hook, PATIENCE).await;
    assert_eq!(log.len(), 2, "{log:#?}");
    assert_received(
        &hook,
        &[
            Expect::meeting("chime:MeetingStarted", &m),
            Expect::meeting("chime:MeetingEnded", &m),
        ],
    );
}
