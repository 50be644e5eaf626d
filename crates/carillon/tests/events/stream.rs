//! The admin listener's live stream shows what the webhook receives, and resumes after a
//! reconnect where it left off.

use std::time::Duration;

use carillon_testkit::*;

use crate::hook::Hook;
use crate::{all_delivered, with_hook, PATIENCE};

async fn take(stream: &mut EventStream, n: usize) -> Vec<SseEvent> {
    let mut events = Vec::new();
    while events.len() < n {
        let e = stream
            .next(PATIENCE)
            .await
            .unwrap_or_else(|| panic!("only {} of {n} events came", events.len()));
        events.push(e);
    }
    events
}

#[tokio::test]
async fn the_live_stream_shows_the_webhooks_events_and_resumes_after_a_reconnect() {
    let hook = Hook::start().await;
    let server = Server::start(with_hook(Options::in_memory(), &hook.url()));
    let api = server.client();
    // From now on: the events of what follows.
    let mut first = EventStream::open(&server, "source=meeting", None).await;
    let (meeting, [alice, _bob, _carol]) = meeting_with(&server, ["alice", "bob", "carol"]).await;
    let id = meeting.meeting_id().unwrap();
    let mut seen = take(&mut first, 2).await;
    drop(first);

    // While nobody listens.
    api.delete_attendee()
        .meeting_id(id)
        .attendee_id(alice.attendee_id().unwrap())
        .send()
        .await
        .unwrap();
    api.delete_meeting().meeting_id(id).send().await.unwrap();

    let last = seen[1].id.clone();
    let mut second = EventStream::open(&server, "source=meeting", Some(&last)).await;
    seen.extend(take(&mut second, 4).await);
    assert!(
        second.next(Duration::from_millis(500)).await.is_none(),
        "nothing after the six"
    );

    let names: Vec<&str> = seen
        .iter()
        .map(|e| e.data["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "chime:MeetingStarted",
            "chime:AttendeeAdded",
            "chime:AttendeeAdded",
            "chime:AttendeeAdded",
            "chime:AttendeeDeleted",
            "chime:MeetingEnded"
        ]
    );
    for e in &seen {
        assert_eq!(e.event, "meeting");
        assert_eq!(e.id, e.data["position"].as_str().unwrap(), "the SSE id");
    }

    // The webhook got the same events, in the same order, with the same bodies byte for byte.
    let log = all_delivered(&server, &hook, PATIENCE).await;
    assert_eq!(log.len(), seen.len());
    let delivered = hook.delivered();
    assert_eq!(delivered.len(), seen.len());
    for (e, r) in seen.iter().zip(&delivered) {
        assert_eq!(e.data["eventId"], r.event_id.as_str());
        assert_eq!(e.data["event"], r.envelope);
        assert!(
            e.raw.contains(&r.raw),
            "the stream carries the envelope as sent:\n{}\n{}",
            e.raw,
            r.raw
        );
    }
}
