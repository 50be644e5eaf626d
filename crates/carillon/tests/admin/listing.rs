//! Meetings and attendees listed across accounts and both APIs, one meeting with its event count,
//! and live presence seen through a real signaling session.

use aws_sdk_chimesdkmeetings::types::{
    Attendee, AttendeeFeatures, Meeting, MeetingFeaturesConfiguration,
};
use carillon_signaling::frames::FrameType;
use carillon_testkit::signaling::Client as Session;
use carillon_testkit::*;
use serde_json::{json, Value};

use crate::{all_pages, ids, legacy};

/// What the cases made, in creation order: `a` (first account, at most 3 attendees, tagged,
/// alice and bob), `b` (first account, deleted), `c` (second account, carol), `l` (legacy,
/// first account, a tagged attendee).
pub struct State {
    pub a: Meeting,
    pub a_token: String,
    pub alice: Attendee,
    pub bob: Attendee,
    pub b: String,
    pub c: Meeting,
    pub l: String,
    pub l_attendee: String,
}

pub async fn make_state(server: &Server) -> State {
    let api = server.client();
    let a_token = unique("tok");
    let a = create_meeting_request(&api)
        .client_request_token(&a_token)
        .external_meeting_id("ext-a")
        .meeting_features(
            MeetingFeaturesConfiguration::builder()
                .attendee(AttendeeFeatures::builder().max_count(3).build())
                .build(),
        )
        .tags(tag("team", "blue"))
        .tags(tag("env", "test"))
        .send()
        .await
        .unwrap()
        .meeting
        .unwrap();
    let a_id = a.meeting_id().unwrap();
    let alice = create_attendee(&api, a_id, "alice-user").await;
    let bob = create_attendee(&api, a_id, "bob-user").await;
    let b = create_meeting(&api).await.meeting_id().unwrap().to_owned();
    api.delete_meeting().meeting_id(&b).send().await.unwrap();
    let second = server.second_client();
    let c = create_meeting(&second).await;
    create_attendee(&second, c.meeting_id().unwrap(), "carol-user").await;
    let created = legacy(
        server,
        "POST",
        "/meetings",
        json!({"ClientRequestToken": unique("tok"), "Tags": [{"Key": "legacy", "Value": "yes"}]}),
        201,
    )
    .await;
    let l = created["Meeting"]["MeetingId"].as_str().unwrap().to_owned();
    let one = legacy(
        server,
        "POST",
        &format!("/meetings/{l}/attendees"),
        json!({"ExternalUserId": "legacy-user", "Tags": [{"Key": "k", "Value": "v"}]}),
        201,
    )
    .await;
    let l_attendee = one["Attendee"]["AttendeeId"].as_str().unwrap().to_owned();
    State {
        a,
        a_token,
        alice,
        bob,
        b,
        c,
        l,
        l_attendee,
    }
}

fn meeting_id(m: &Meeting) -> String {
    m.meeting_id().unwrap().to_owned()
}

/// Every event the log holds for a meeting, read through `GET /v1/events` (whose pages say
/// `more`).
async fn logged(server: &Server, meeting: &str) -> usize {
    let mut n = 0;
    let mut after = String::new();
    loop {
        let path = format!("/v1/events?meeting_id={meeting}&limit=1000&after={after}");
        let (status, page) = admin(server, "GET", &path, None).await;
        assert_eq!(status, 200, "{page}");
        n += page["events"].as_array().unwrap().len();
        if page["more"] != json!(true) {
            return n;
        }
        after = page["next"].as_str().unwrap().to_owned();
    }
}

pub async fn listing(server: &Server, s: &State) {
    let (a, c) = (meeting_id(&s.a), meeting_id(&s.c));
    // Active meetings (the default), in creation order, of every account and both APIs.
    let active = all_pages(server, "/v1/meetings", "meetings").await;
    assert_eq!(ids(&active), [a.as_str(), c.as_str(), s.l.as_str()]);
    let all = all_pages(server, "/v1/meetings?state=all&limit=1", "meetings").await;
    assert_eq!(
        ids(&all),
        [a.as_str(), s.b.as_str(), c.as_str(), s.l.as_str()]
    );
    let mine = format!("/v1/meetings?account_id={ACCOUNT_ID}");
    assert_eq!(
        ids(&all_pages(server, &mine, "meetings").await),
        [a.as_str(), s.l.as_str()]
    );
    let legacy_only = format!("{mine}&api=legacy");
    assert_eq!(
        ids(&all_pages(server, &legacy_only, "meetings").await),
        [s.l.as_str()]
    );
    let by_external = "/v1/meetings?external_meeting_id=ext-a&state=all";
    assert_eq!(
        ids(&all_pages(server, by_external, "meetings").await),
        [a.as_str()]
    );
    let second = format!("/v1/meetings?account_id={SECOND_ACCOUNT_ID}&api=meetings");
    assert_eq!(
        ids(&all_pages(server, &second, "meetings").await),
        [c.as_str()]
    );

    // An ended meeting stays listed as ended, with why.
    let ended = all_pages(server, "/v1/meetings?state=ended", "meetings").await;
    assert_eq!(ids(&ended), [s.b.as_str()]);
    assert_eq!(ended[0]["state"], "ended");
    assert_eq!(ended[0]["endReason"], "deleted");
    assert!(ended[0]["endedAtMs"].is_i64(), "{}", ended[0]);

    // One meeting: its members, count, tags, transcription state, events.
    let (status, one) = admin(server, "GET", &format!("/v1/meetings/{a}"), None).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["accountId"], ACCOUNT_ID);
    assert_eq!(one["api"], "meetings");
    assert_eq!(one["state"], "active");
    assert_eq!(one["externalMeetingId"], "ext-a");
    assert_eq!(one["meetingArn"], s.a.meeting_arn().unwrap());
    assert_eq!(one["clientRequestToken"], s.a_token.as_str());
    assert_eq!(one["attendeeCount"], 2);
    assert_eq!(one["features"]["Attendee"]["MaxCount"], 3);
    assert_eq!(one["transcription"], Value::Null);
    assert_eq!(
        one["tags"],
        json!([{"key": "team", "value": "blue"}, {"key": "env", "value": "test"}])
    );
    let events = one["eventCount"].as_u64().unwrap();
    assert_eq!(events, 3, "MeetingStarted and two AttendeeAdded: {one}");
    assert_eq!(events as usize, logged(server, &a).await);
    assert_eq!(
        one["presence"],
        json!({"sessions": [], "marked": [], "node": null})
    );
    let (status, legacy_one) = admin(server, "GET", &format!("/v1/meetings/{}", s.l), None).await;
    assert_eq!(status, 200, "{legacy_one}");
    assert_eq!(legacy_one["api"], "legacy");
    assert_eq!(
        legacy_one["tags"],
        json!([{"key": "legacy", "value": "yes"}])
    );

    // Attendees, paged, in creation order, with their tokens and tags.
    let path = format!("/v1/meetings/{a}/attendees?limit=1");
    let listed = all_pages(server, &path, "attendees").await;
    let users: Vec<&str> = listed
        .iter()
        .map(|x| x["externalUserId"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["alice-user", "bob-user"]);
    assert_eq!(listed[0]["attendeeId"], s.alice.attendee_id().unwrap());
    assert_eq!(listed[0]["joinToken"], s.alice.join_token().unwrap());
    assert_eq!(listed[0]["capabilities"]["Audio"], "SendReceive");
    let path = format!("/v1/meetings/{}/attendees", s.l);
    let legacy_listed = all_pages(server, &path, "attendees").await;
    assert_eq!(legacy_listed[0]["attendeeId"], s.l_attendee.as_str());
    assert_eq!(
        legacy_listed[0]["tags"],
        json!([{"key": "k", "value": "v"}])
    );
    let ended_attendees = all_pages(
        server,
        &format!("/v1/meetings/{}/attendees", s.b),
        "attendees",
    )
    .await;
    assert!(ended_attendees.is_empty());
}

/// A real session (and a content share) shows in the meeting's and its attendees' presence
/// while it is open, and no longer once it left.
pub async fn live_presence(server: &Server, s: &State) {
    let a = meeting_id(&s.a);
    let alice_id = s.alice.attendee_id().unwrap();
    let session = Session::join_audio(server.addr, &s.a, &s.alice).await;
    let token = format!("{}#content", s.alice.join_token().unwrap());
    let mut share = Session::open(server.addr, &a, &token).await;
    share.send_join().await;
    share.expect(FrameType::JoinAck).await;
    share.expect(FrameType::Index).await;

    let (_, one) = admin(server, "GET", &format!("/v1/meetings/{a}"), None).await;
    let mut sessions: Vec<&str> = one["presence"]["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    sessions.sort_unstable();
    let content = format!("{alice_id}#content");
    let mut expected = [alice_id, content.as_str()];
    expected.sort_unstable();
    assert_eq!(sessions, expected, "{one}");
    let listed = all_pages(server, &format!("/v1/meetings/{a}/attendees"), "attendees").await;
    assert_eq!(
        listed[0]["presence"],
        json!({"sessions": 1, "contentShare": true, "marked": false})
    );
    assert_eq!(
        listed[1]["presence"],
        json!({"sessions": 0, "contentShare": false, "marked": false})
    );

    // Gone without a word, as a closed tab: the sessions end when their sockets close.
    drop(share);
    drop(session);
    let left = async {
        loop {
            let (_, one) = admin(server, "GET", &format!("/v1/meetings/{a}"), None).await;
            if one["presence"]["sessions"] == json!([]) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), left)
        .await
        .expect("the sessions leave the presence once they left");
}
