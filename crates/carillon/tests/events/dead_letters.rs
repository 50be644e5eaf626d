//! Deliveries given up on: listed by the admin listener, replayed once the receiver is fixed.

use carillon_testkit::*;
use serde_json::{json, Value};

use crate::hook::Hook;
use crate::{all_delivered, log, wait_until, with_hook, PATIENCE};

async fn dead_letters(server: &Server) -> Vec<Value> {
    let (status, page) = admin(server, "GET", "/v1/dead-letters", None).await;
    assert_eq!(status, 200, "{page}");
    page["deadLetters"].as_array().unwrap().clone()
}

#[tokio::test]
async fn dead_letters_are_listed_and_replayed_to_the_fixed_receiver() {
    let hook = Hook::start().await;
    hook.fail_all(true);
    let options = with_hook(Options::in_memory(), &hook.url())
        .arg("--event-max-attempts")
        .arg("2");
    let server = Server::start(options);
    let (meeting, [alice]) = meeting_with(&server, ["alice"]).await;
    let meeting_id = meeting.meeting_id().unwrap();
    let logged = log(&server).await;
    assert_eq!(
        logged.len(),
        2,
        "MeetingStarted, AttendeeAdded: {logged:#?}"
    );

    let dead = wait_until("both events dead", PATIENCE, || async {
        let dead = dead_letters(&server).await;
        (dead.len() == 2).then_some(dead)
    })
    .await;
    for (letter, logged) in dead.iter().zip(&logged) {
        assert_eq!(letter["target"], "webhook:hook", "{letter}");
        assert_eq!(letter["attempts"], 2, "{letter}");
        let error = letter["lastError"].as_str().unwrap();
        assert!(error.contains("500"), "the status is in {error:?}");
        let event = &letter["event"];
        assert_eq!(event["eventId"], logged.event_id.as_str(), "{letter}");
        assert_eq!(event["meetingId"], meeting_id, "{letter}");
        assert_eq!(event["name"], logged.name.as_str(), "{letter}");
        assert_eq!(event["event"], logged.envelope, "{letter}");
    }
    assert_eq!(
        dead[1]["event"]["event"]["detail"]["attendeeId"],
        alice.attendee_id().unwrap()
    );
    // Two attempts each, then nothing more.
    let requests = hook.requests();
    assert_eq!(requests.len(), 4, "{requests:#?}");
    assert!(requests.iter().all(|r| r.status == 500));

    hook.fail_all(false);
    let (status, answer) = admin(&server, "POST", "/v1/dead-letters/replay", Some("{}")).await;
    assert_eq!((status, answer), (200, json!({"replayed": 2})));
    all_delivered(&server, &hook, PATIENCE).await;
    let delivered = hook.delivered();
    let ids: Vec<&str> = delivered.iter().map(|r| r.event_id.as_str()).collect();
    let logged_ids: Vec<&str> = logged.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, logged_ids, "both, in order");
    assert!(dead_letters(&server).await.is_empty());
}
