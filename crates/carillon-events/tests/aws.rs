//! SQS, SNS and EventBridge deliveries against a moto server, read back from SQS queues.

#![allow(clippy::unwrap_used)] // Helpers of tests unwrap as tests do.

mod support;

use std::time::Duration;

use carillon_events::{
    AwsCredentials, AwsEndpoint, DeliveryConfig, EventBridgeTarget, Secret, Senders,
};
use carillon_testkit::events::moto::{queue, Moto};
use serde_json::Value;
use support::{ACCOUNT, REGION};

fn aws_credentials() -> AwsCredentials {
    AwsCredentials {
        access_key_id: "AKIDEXAMPLE".into(),
        secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        session_token: None,
    }
}

fn endpoint(moto: &Moto) -> AwsEndpoint {
    AwsEndpoint {
        endpoint_url: moto.endpoint.clone(),
        region: REGION.into(),
        credentials: aws_credentials(),
    }
}

fn senders(moto: &Moto) -> Senders {
    Senders::new(&DeliveryConfig {
        eventbridge: Some(EventBridgeTarget {
            endpoint_url: moto.endpoint.clone(),
            region: REGION.into(),
            bus_name: "chime-events".into(),
            credentials: aws_credentials(),
        }),
        sqs: Some(endpoint(moto)),
        sns: Some(endpoint(moto)),
        request_timeout: Duration::from_secs(10),
        ..DeliveryConfig::default()
    })
}

/// The bodies of the messages in a queue, waiting a little for the first.
async fn bodies(client: &aws_sdk_sqs::Client, url: &str) -> Vec<String> {
    for _ in 0..50 {
        let answer = client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let messages: Vec<String> = answer
            .messages()
            .iter()
            .filter_map(|m| m.body().map(str::to_owned))
            .collect();
        if !messages.is_empty() {
            return messages;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Vec::new()
}

#[tokio::test]
async fn sqs_receives_the_envelope_as_its_message_body() {
    let Some(moto) = Moto::start() else { return };
    let client = moto.sqs(REGION);
    let (url, arn) = queue(&client, "chime-events").await;
    assert_eq!(arn, format!("arn:aws:sqs:{REGION}:{ACCOUNT}:chime-events"));
    let senders = senders(&moto);
    let (envelope, stored) = support::joined(1, 1_765_000_000_123);
    let now = carillon_core::clock::now_ms();
    // Twice: the second send finds the queue URL it kept.
    for _ in 0..2 {
        senders
            .send(&format!("sqs:{arn}"), &stored, now)
            .await
            .unwrap();
    }
    let received = bodies(&client, &url).await;
    assert_eq!(received.len(), 2);
    for body in &received {
        assert_eq!(body, &stored.event.body, "the body is the stored envelope");
        support::assert_envelope(&serde_json::from_str(body).unwrap(), &envelope);
    }

    // A queue of another Region is reached in its own Region.
    let west = moto.sqs("us-west-2");
    let (west_url, west_arn) = queue(&west, "chime-west").await;
    assert!(west_arn.starts_with("arn:aws:sqs:us-west-2:"));
    senders
        .send(&format!("sqs:{west_arn}"), &stored, now)
        .await
        .unwrap();
    assert_eq!(
        bodies(&west, &west_url).await,
        vec![stored.event.body.clone()]
    );

    let missing = format!("sqs:arn:aws:sqs:{REGION}:{ACCOUNT}:no-such-queue");
    let error = senders.send(&missing, &stored, now).await.unwrap_err();
    assert!(error.starts_with("GetQueueUrl:"), "{error}");
    let error = senders
        .send("sqs:not-an-arn", &stored, now)
        .await
        .unwrap_err();
    assert_eq!(error, "not an sqs ARN: not-an-arn");
}

#[tokio::test]
async fn sns_publishes_the_envelope_as_its_message() {
    let Some(moto) = Moto::start() else { return };
    let client = moto.sqs(REGION);
    let (url, queue_arn) = queue(&client, "chime-sns-subscriber").await;
    let sns = moto.sns(REGION);
    let topic_arn = sns
        .create_topic()
        .name("chime-topic")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    sns.subscribe()
        .topic_arn(&topic_arn)
        .protocol("sqs")
        .endpoint(&queue_arn)
        .send()
        .await
        .unwrap();

    let (envelope, stored) = support::joined(1, 1_765_000_000_456);
    senders(&moto)
        .send(&format!("sns:{topic_arn}"), &stored, 0)
        .await
        .unwrap();
    let received = bodies(&client, &url).await;
    assert_eq!(received.len(), 1);
    let notification: Value = serde_json::from_str(&received[0]).unwrap();
    assert_eq!(notification["Type"], "Notification");
    assert_eq!(notification["TopicArn"], topic_arn.as_str());
    let message = notification["Message"].as_str().unwrap();
    assert_eq!(
        message, stored.event.body,
        "the message is the stored envelope"
    );
    support::assert_envelope(&serde_json::from_str(message).unwrap(), &envelope);

    let missing = format!("sns:arn:aws:sns:{REGION}:{ACCOUNT}:no-such-topic");
    let error = senders(&moto).send(&missing, &stored, 0).await.unwrap_err();
    assert!(error.starts_with("Publish:"), "{error}");
}

#[tokio::test]
async fn eventbridge_puts_the_envelope_on_the_bus() {
    let Some(moto) = Moto::start() else { return };
    let client = moto.sqs(REGION);
    let (url, queue_arn) = queue(&client, "chime-bus-target").await;
    let events = moto.eventbridge(REGION);
    let senders = senders(&moto);
    let (envelope, stored) = support::joined(1, 1_765_000_000_789);

    // No such bus yet: the put fails.
    let error = senders.send("eventbridge", &stored, 0).await.unwrap_err();
    assert!(error.starts_with("PutEvents"), "{error}");

    events
        .create_event_bus()
        .name("chime-events")
        .send()
        .await
        .unwrap();
    events
        .put_rule()
        .name("chime-to-sqs")
        .event_bus_name("chime-events")
        .event_pattern(r#"{"source":["aws.chime"],"detail-type":["Chime Meeting State Change"]}"#)
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule("chime-to-sqs")
        .event_bus_name("chime-events")
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(&queue_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    senders.send("eventbridge", &stored, 0).await.unwrap();
    let received = bodies(&client, &url).await;
    assert_eq!(received.len(), 1);
    let event: Value = serde_json::from_str(&received[0]).unwrap();
    // The bus rebuilds the envelope from the entry; its id and account are the bus's own.
    assert_eq!(event["source"], "aws.chime");
    assert_eq!(event["detail-type"], "Chime Meeting State Change");
    assert_eq!(event["time"], envelope.time.as_str());
    assert_eq!(event["region"], REGION);
    assert_eq!(event["resources"], serde_json::json!([]));
    support::assert_detail(&event["detail"], &envelope);
    let sent_detail: Value = serde_json::to_value(&envelope.detail).expect("a detail serializes");
    assert_eq!(event["detail"], sent_detail);
}
