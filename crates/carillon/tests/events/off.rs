//! `--events off`: nothing is recorded or sent, and the API answers as it does with events on.

use std::time::Duration;

use carillon_testkit::*;

use crate::hook::Hook;
use crate::{log, with_hook};

#[tokio::test]
async fn with_events_off_nothing_arrives_and_the_api_is_unchanged() {
    let hook = Hook::start().await;
    let options = with_hook(Options::in_memory(), &hook.url())
        .arg("--events")
        .arg("off");
    let server = Server::start(options);
    let api = server.client();
    let mut stream = EventStream::open(&server, "after=0-0", None).await;

    let (meeting, [alice, bob]) = meeting_with(&server, ["alice", "bob"]).await;
    let id = meeting.meeting_id().unwrap();
    api.update_attendee_capabilities()
        .meeting_id(id)
        .attendee_id(bob.attendee_id().unwrap())
        .capabilities(send_receive_all())
        .send()
        .await
        .unwrap();
    api.delete_attendee()
        .meeting_id(id)
        .attendee_id(alice.attendee_id().unwrap())
        .send()
        .await
        .unwrap();
    let listed = list_all_attendees(&api, id).await;
    let ids: Vec<&str> = listed.iter().map(|a| a.attendee_id().unwrap()).collect();
    assert_eq!(ids, [bob.attendee_id().unwrap()]);
    api.delete_meeting().meeting_id(id).send().await.unwrap();
    assert!(meeting_ended(&api, id).await);

    // Nothing to wait for: a server with events on delivers and streams within this.
    let quiet = stream.next(Duration::from_secs(2)).await;
    assert!(quiet.is_none(), "the stream showed {quiet:?}");
    assert!(hook.requests().is_empty(), "{:#?}", hook.requests());
    assert!(log(&server).await.is_empty());
    let (status, dead) = admin(&server, "GET", "/v1/dead-letters", None).await;
    assert_eq!(
        (status, dead["deadLetters"].as_array().unwrap().len()),
        (200, 0)
    );
}
