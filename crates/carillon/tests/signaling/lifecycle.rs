//! The lifecycle fed by real sessions: a meeting stays active while an attendee is joined, ends
//! the idle timeout after the last one leaves or drops (a content share alone does not keep it
//! alive), a node's shutdown vacates its meetings, and the maximum duration ends a meeting under
//! its joined clients.

use std::time::{Duration, Instant};

use aws_sdk_chimesdkmeetings::Client as Api;
use carillon_signaling::frames::FrameType;

use carillon_testkit::signaling::*;
use carillon_testkit::*;

const IDLE: Duration = Duration::from_secs(2);

fn with_lifecycle(options: Options, idle: &str, max: &str) -> Server {
    Server::start(options.lifecycle(idle, max))
}

/// How long after `since` the meeting was first seen ended (at most 10 s).
async fn ends_after(api: &Api, meeting_id: &str, since: Instant) -> Duration {
    meeting_ends_within(api, meeting_id, since, Duration::from_secs(10)).await
}

/// Checks every 250 ms, until `until`, that the meeting is still active.
async fn stays_active(api: &Api, meeting_id: &str, until: Instant) {
    while Instant::now() < until {
        assert!(!meeting_ended(api, meeting_id).await, "ended while joined");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The meeting ended about the idle timeout after `vacated`: not before, and not much after.
async fn ends_idle_after(api: &Api, meeting_id: &str, vacated: Instant) {
    let took = ends_after(api, meeting_id, vacated).await;
    assert!(took >= IDLE, "ended {took:?} after it was vacated");
    assert!(took < IDLE * 3, "ended only {took:?} after it was vacated");
}

#[tokio::test]
async fn a_joined_attendee_keeps_the_meeting_and_its_leave_ends_it() {
    let server = with_lifecycle(Options::in_memory(), "2s", "off");
    let api = server.client();
    let created = Instant::now();
    let (meeting, [alice]) = meeting_with(&server, ["alice-user"]).await;
    let id = meeting.meeting_id().unwrap();
    let mut a = Client::join_audio(server.addr, &meeting, &alice).await;
    assert_eq!(a.presence().await.len(), 1);
    // Well past the idle timeout counted from creation.
    stays_active(&api, id, created + Duration::from_secs(5)).await;
    a.ping(1).await;
    a.expect(FrameType::PingPong).await;

    let vacated = Instant::now();
    a.leave().await;
    ends_idle_after(&api, id, vacated).await;

    let metrics = server
        .send(&RawRequest::new("GET", "/metrics"))
        .await
        .text();
    let marks = metrics
        .lines()
        .find_map(|l| l.strip_prefix("carillon_signaling_presence_marks_total "))
        .expect("the presence marks counter");
    assert!(marks.trim().parse::<f64>().unwrap() >= 2.0, "{marks}");
}

#[tokio::test]
async fn a_dropped_connection_ends_the_meeting_after_the_idle_timeout() {
    let server = with_lifecycle(Options::in_memory(), "2s", "off");
    let api = server.client();
    let (meeting, [alice, bob]) = meeting_with(&server, ["alice-user", "bob-user"]).await;
    let id = meeting.meeting_id().unwrap();
    let a = Client::join(server.addr, &meeting, &alice).await;
    let b = Client::join(server.addr, &meeting, &bob).await;
    a.drop_connection().await;
    // One attendee is still there.
    stays_active(&api, id, Instant::now() + Duration::from_secs(3)).await;

    let vacated = Instant::now();
    b.drop_connection().await;
    ends_idle_after(&api, id, vacated).await;
}

#[tokio::test]
async fn a_content_share_alone_does_not_keep_the_meeting_alive() {
    let server = with_lifecycle(Options::in_memory(), "2s", "off");
    let api = server.client();
    let (meeting, [alice]) = meeting_with(&server, ["alice-user"]).await;
    let id = meeting.meeting_id().unwrap();
    let mut a = Client::join(server.addr, &meeting, &alice).await;
    let token = format!("{}#content", alice.join_token().unwrap());
    let mut share = Client::open(server.addr, id, &token).await;
    share.send_join().await;
    share.expect(FrameType::JoinAck).await;
    share.expect(FrameType::Index).await;

    // The attendee leaves its content share behind: it carries no audio, nobody is connected.
    let vacated = Instant::now();
    a.leave().await;
    let closed = share.closed().await;
    assert_eq!((closed.audio_status, closed.code), (Some(410), Some(4410)));
    ends_idle_after(&api, id, vacated).await;
}

#[tokio::test]
async fn a_node_that_stops_vacates_its_meetings() {
    let dir = tempfile::tempdir().unwrap();
    let first = with_lifecycle(Options::data_dir(dir.path()), "2s", "off");
    let (meeting, [alice]) = meeting_with(&first, ["alice-user"]).await;
    let id = meeting.meeting_id().unwrap().to_owned();
    let _a = Client::join(first.addr, &meeting, &alice).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopped = Instant::now();
    first.stop();

    // Without the shutdown's report, the presence lease (a minute) would keep it active.
    let second = with_lifecycle(Options::data_dir(dir.path()), "2s", "off");
    let took = ends_after(&second.client(), &id, stopped).await;
    assert!(
        took < IDLE * 4,
        "ended only {took:?} after its node stopped"
    );
}

#[tokio::test]
async fn the_maximum_duration_ends_the_meeting_under_its_clients() {
    let server = with_lifecycle(Options::in_memory(), "off", "3s");
    let api = server.client();
    let created = Instant::now();
    let (meeting, [alice]) = meeting_with(&server, ["alice-user"]).await;
    let id = meeting.meeting_id().unwrap();
    let mut a = Client::join_audio(server.addr, &meeting, &alice).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let closed = a.closed().await;
    assert_eq!((closed.audio_status, closed.code), (Some(410), Some(4410)));
    assert!(created.elapsed() >= Duration::from_secs(3));
    assert!(meeting_ended(&api, id).await);
}
