//! A meeting's SQS queue and SNS topic, and the EventBridge bus, through moto, read back as an
//! application reads them and compared with what the webhook received for the same event.

use std::collections::HashMap;

use aws_sdk_chimesdkmeetings::types::NotificationsConfiguration;
use carillon_testkit::events::moto::{drain, queue, Moto, MOTO_KEY_ID, MOTO_SECRET};
use carillon_testkit::*;
use serde_json::Value;

use crate::envelope::{check, Expect};
use crate::hook::{Hook, Request};
use crate::{all_delivered, with_hook, PATIENCE};

const TARGETS_REGION: &str = "us-east-1";

#[tokio::test]
async fn sqs_sns_and_eventbridge_receive_the_documented_envelope() {
    let Some(moto) = Moto::start() else { return };
    let sqs = moto.sqs(TARGETS_REGION);
    let sns = moto.sns(TARGETS_REGION);
    let bus = moto.eventbridge(TARGETS_REGION);
    let (meeting_queue, meeting_queue_arn) = queue(&sqs, "meeting-queue").await;
    let (subscriber, subscriber_arn) = queue(&sqs, "topic-subscriber").await;
    let (bus_queue, bus_queue_arn) = queue(&sqs, "bus-queue").await;
    let topic = sns
        .create_topic()
        .name("meeting-topic")
        .send()
        .await
        .unwrap();
    let topic_arn = topic.topic_arn().unwrap();
    // Raw delivery off: the subscriber gets SNS's notification around the message.
    sns.subscribe()
        .topic_arn(topic_arn)
        .protocol("sqs")
        .endpoint(&subscriber_arn)
        .attributes("RawMessageDelivery", "false")
        .send()
        .await
        .unwrap();
    let pattern = r#"{"source":["aws.chime"],"detail-type":["Chime Meeting State Change"]}"#;
    bus.put_rule()
        .name("chime-to-queue")
        .event_pattern(pattern)
        .send()
        .await
        .unwrap();
    let target = aws_sdk_eventbridge::types::Target::builder()
        .id("queue")
        .arn(&bus_queue_arn)
        .build()
        .unwrap();
    bus.put_targets()
        .rule("chime-to-queue")
        .targets(target)
        .send()
        .await
        .unwrap();

    let hook = Hook::start().await;
    let mut options = with_hook(Options::in_memory(), &hook.url());
    for (flag, value) in [
        ("--sqs-endpoint", moto.endpoint.as_str()),
        ("--sns-endpoint", &moto.endpoint),
        ("--eventbridge-endpoint", &moto.endpoint),
        ("--targets-region", TARGETS_REGION),
        ("--targets-access-key-id", MOTO_KEY_ID),
        ("--targets-secret-access-key", MOTO_SECRET),
    ] {
        options = options.arg(flag).arg(value);
    }
    let server = Server::start(options);
    let api = server.client();
    let notifications = NotificationsConfiguration::builder()
        .sqs_queue_arn(&meeting_queue_arn)
        .sns_topic_arn(topic_arn)
        .build();
    let meeting = create_meeting_request(&api)
        .notifications_configuration(notifications)
        .send()
        .await
        .unwrap()
        .meeting
        .unwrap();
    let id = meeting.meeting_id().unwrap();
    let alice = create_attendee(&api, id, "alice").await;
    api.delete_meeting().meeting_id(id).send().await.unwrap();
    // Without NotificationsConfiguration: only the webhook and the bus hear of it.
    let (other, _) = meeting_with(&server, ["bob"]).await;
    let other = other.meeting_id().unwrap();

    all_delivered(&server, &hook, PATIENCE).await;
    let webhook: HashMap<String, Request> = hook
        .delivered()
        .into_iter()
        .map(|r| (r.event_id.clone(), r))
        .collect();
    assert_eq!(webhook.len(), 5);

    // SQS: the envelope itself, as documented and as the webhook got it.
    let m = Expect {
        region: REGION.into(),
        meeting_id: id.to_owned(),
        external_meeting_id: meeting.external_meeting_id().map(str::to_owned),
        media_region: REGION.into(),
        ..Expect::default()
    };
    let mut expected = HashMap::from([
        (
            "chime:MeetingStarted",
            Expect::meeting("chime:MeetingStarted", &m),
        ),
        (
            "chime:MeetingEnded",
            Expect::meeting("chime:MeetingEnded", &m),
        ),
    ]);
    let alice_id = alice.attendee_id().unwrap();
    let added = Expect::attendee("chime:AttendeeAdded", &m, alice_id, "alice");
    expected.insert("chime:AttendeeAdded", added);
    let bodies = drain(&sqs, &meeting_queue, 3, PATIENCE).await;
    assert_eq!(bodies.len(), 3, "{bodies:#?}");
    for body in &bodies {
        let envelope: Value = serde_json::from_str(body).unwrap();
        let r = &webhook[envelope["id"].as_str().unwrap()];
        assert_eq!(r.meeting_id, id, "only the configured meeting's events");
        let e = expected.remove(r.event_type.as_str()).unwrap();
        check(body, &e);
        assert_eq!(envelope, r.envelope);
        assert_eq!(body, &r.raw, "the same bytes");
    }

    // SNS: its notification, whose Message is the envelope.
    let notes = drain(&sqs, &subscriber, 3, PATIENCE).await;
    assert_eq!(notes.len(), 3, "{notes:#?}");
    for note in &notes {
        let note: Value = serde_json::from_str(note).unwrap();
        assert_eq!(note["Type"], "Notification");
        assert_eq!(note["TopicArn"], topic_arn);
        let message = note["Message"].as_str().unwrap();
        let envelope: Value = serde_json::from_str(message).unwrap();
        let r = &webhook[envelope["id"].as_str().unwrap()];
        assert_eq!(r.meeting_id, id, "only the configured meeting's events");
        assert_eq!(message, r.raw, "the same bytes");
    }

    // EventBridge: every meeting's events, rebuilt by the bus around the same detail.
    let events = drain(&sqs, &bus_queue, 5, PATIENCE).await;
    assert_eq!(events.len(), 5, "{events:#?}");
    let mut matched = Vec::new();
    for event in &events {
        let event: Value = serde_json::from_str(event).unwrap();
        assert_eq!(event["source"], "aws.chime");
        assert_eq!(event["detail-type"], "Chime Meeting State Change");
        assert_eq!(event["region"], TARGETS_REGION);
        assert_eq!(event["resources"], serde_json::json!([]));
        let r = webhook
            .values()
            .find(|r| r.envelope["detail"] == event["detail"])
            .unwrap_or_else(|| panic!("no webhook event has the detail of {event}"));
        assert_eq!(event["time"], r.envelope["time"]);
        matched.push(r.event_id.clone());
    }
    matched.sort();
    matched.dedup();
    assert_eq!(matched.len(), 5, "each event once");
    assert!(webhook.values().any(|r| r.meeting_id == other));
}
