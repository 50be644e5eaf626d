//! Signaling faults: a join refused, frames delayed, sessions dropped.

use std::time::{Duration, Instant};

use carillon_signaling::frames::FrameType;
use carillon_testkit::signaling::{Client, Closed};
use carillon_testkit::*;
use serde_json::json;

use crate::{add_rule, fault_hits, rule, server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_join_is_closed_as_the_sdk_understands_a_refusal() {
    let server = server();
    let (meeting, [alice, bob]) = meeting_with(&server, ["alice-user", "bob-user"]).await;
    let meeting_id = meeting.meeting_id().unwrap();
    add_rule(
        &server,
        rule(
            "refuseJoin",
            json!({"meetingId": meeting_id, "attendeeId": alice.attendee_id().unwrap(), "count": 1}),
        ),
    )
    .await;
    // Bob is not matched.
    let _bob = Client::join(server.addr, &meeting, &bob).await;
    let mut refused = Client::open(server.addr, meeting_id, alice.join_token().unwrap()).await;
    refused.send_join().await;
    assert_eq!(
        refused.closed().await,
        Closed {
            audio_status: Some(403),
            code: Some(4403)
        }
    );
    // The rule is used up: Alice gets in now.
    let _alice = Client::join(server.addr, &meeting, &alice).await;
    assert_eq!(
        fault_hits(&server, "signaling", "join", "refuseJoin").await,
        1
    );
}

/// Time from a PING to its PONG.
async fn round_trip(client: &mut Client, id: u32) -> Duration {
    let started = Instant::now();
    client.ping(id).await;
    let pong = client.expect(FrameType::PingPong).await;
    assert_eq!(pong.ping_pong.unwrap().ping_id, Some(id));
    started.elapsed()
}

/// The rule's delay: far above a round trip on a loaded machine.
const DELAY: Duration = Duration::from_millis(1000);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delay_rule_holds_the_server_s_frames() {
    let server = server();
    let (meeting, [alice, bob]) = meeting_with(&server, ["alice-user", "bob-user"]).await;
    let mut a = Client::join(server.addr, &meeting, &alice).await;
    let mut b = Client::join(server.addr, &meeting, &bob).await;
    let rule = add_rule(
        &server,
        rule(
            "delayFrames",
            json!({"attendeeId": alice.attendee_id().unwrap(), "latencyMs": 1000}),
        ),
    )
    .await;
    assert!(round_trip(&mut a, 1).await >= DELAY);
    // Only Alice's frames are held.
    assert!(round_trip(&mut b, 2).await < DELAY);
    let path = format!("/v1/faults/{}", rule["id"].as_str().unwrap());
    assert_eq!(admin(&server, "DELETE", &path, None).await.0, 204);
    assert!(round_trip(&mut a, 3).await < DELAY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_sessions_are_cut_without_a_close_and_reconnect() {
    let server = server();
    let (meeting, [alice, bob]) = meeting_with(&server, ["alice-user", "bob-user"]).await;
    let meeting_id = meeting.meeting_id().unwrap();
    let mut a = Client::join_audio(server.addr, &meeting, &alice).await;
    a.presence().await;
    let mut b = Client::join_audio(server.addr, &meeting, &bob).await;
    a.presence().await;
    b.presence().await;

    let body =
        json!({"meetingId": meeting_id.to_uppercase(), "attendeeId": bob.attendee_id().unwrap()});
    let (status, answer) = admin(
        &server,
        "POST",
        "/v1/faults/drop-sessions",
        Some(&body.to_string()),
    )
    .await;
    assert_eq!((status, answer), (200, json!({"dropped": 1})));
    // No AUDIO_STATUS, no close frame: what the SDK reads as an abnormal closure (1006).
    assert_eq!(
        b.closed().await,
        Closed {
            audio_status: None,
            code: None
        }
    );
    // The others see Bob dropped, not leaving.
    let dropped = a.presence().await;
    assert_eq!(dropped[0].dropped, Some(true));
    // Bob reconnects.
    let _b = Client::join_audio(server.addr, &meeting, &bob).await;
    assert!(a.presence().await[0].audio_stream_id.is_some());
    assert_eq!(fault_hits(&server, "signaling", "session", "drop").await, 1);

    // A body without a meeting is refused.
    let (status, _) = admin(&server, "POST", "/v1/faults/drop-sessions", Some("{}")).await;
    assert_eq!(status, 400);
}
