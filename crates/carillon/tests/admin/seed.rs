//! `POST /v1/seed` and `carillon admin seed`: what a seed file makes is what the API reads (the
//! official SDK, the legacy API), with its events; a bad file, or one over a meeting's attendee
//! cap, creates nothing; the generator command makes meetings ListAttendees then pages through.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use aws_sdk_chimesdkmeetings::Client;
use carillon_testkit::*;
use serde_json::{json, Value};

use crate::{all_pages, legacy};

/// `carillon admin ARGS` against `server`, the caller's `CARILLON_*` variables removed, with
/// `stdin` as its standard input.
fn admin_cli(server: &Server, args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new(carillon_binary());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("CARILLON_") {
            command.env_remove(key);
        }
    }
    let mut child = command
        .arg("admin")
        .args(args)
        .env("CARILLON_ADMIN_URL", server.admin_url())
        .env("CARILLON_ADMIN_TOKEN", ADMIN_TOKEN)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// How many meetings the store holds, ended ones included.
async fn meeting_count(server: &Server) -> usize {
    all_pages(server, "/v1/meetings?state=all&limit=500", "meetings")
        .await
        .len()
}

async fn external_user_ids(client: &Client, meeting_id: &str) -> Vec<String> {
    let mut ids: Vec<String> = list_all_attendees(client, meeting_id)
        .await
        .iter()
        .map(|a| a.external_user_id().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

async fn event_names(server: &Server, meeting_id: &str) -> Vec<String> {
    let path = format!("/v1/events?meeting_id={meeting_id}&limit=1000");
    let (status, page) = admin(server, "GET", &path, None).await;
    assert_eq!(status, 200, "{page}");
    let events = page["events"].as_array().unwrap();
    events
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Every case of seeding, from an empty store; leaves what it seeded.
pub async fn seeding(server: &Server) {
    let (status, _) = admin(server, "POST", "/v1/reset", Some("{}")).await;
    assert_eq!(status, 200);
    a_file_is_read_back_through_the_apis(server).await;
    refused_files_create_nothing(server).await;
    the_generator_command_and_list_attendees(server).await;
}

async fn a_file_is_read_back_through_the_apis(server: &Server) {
    let file = json!({"meetings": [
        {"externalMeetingId": "standup", "mediaRegion": "eu-west-1", "maxAttendees": 10,
         "tags": [{"key": "team", "value": "core"}],
         "attendees": [{"externalUserId": "alice"}, {"externalUserId": "bob"}]},
        {"accountId": SECOND_ACCOUNT_ID, "externalMeetingId": "load", "count": 2,
         "attendeeCount": 3, "externalUserIdPrefix": "p-"},
        {"api": "legacy", "externalMeetingId": "old", "attendees": [{"externalUserId": "carol"}]}
    ]});
    let (status, answer) = admin(server, "POST", "/v1/seed", Some(&file.to_string())).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        (
            &answer["meetings"],
            &answer["attendees"],
            &answer["attendeesListed"]
        ),
        (&json!(4), &json!(9), &json!(true))
    );
    let created = answer["created"].as_array().unwrap();
    let names: Vec<_> = created.iter().map(|m| &m["externalMeetingId"]).collect();
    assert_eq!(
        names,
        [
            &json!("standup"),
            &json!("load-1"),
            &json!("load-2"),
            &json!("old")
        ]
    );

    // The first account's meeting, as the SDK reads it.
    let client = server.client();
    let standup = created[0]["meetingId"].as_str().unwrap();
    let meeting = client
        .get_meeting()
        .meeting_id(standup)
        .send()
        .await
        .unwrap();
    let meeting = meeting.meeting.unwrap();
    assert_eq!(meeting.external_meeting_id(), Some("standup"));
    assert_eq!(meeting.media_region(), Some("eu-west-1"));
    let max = meeting
        .meeting_features()
        .and_then(|f| f.attendee())
        .and_then(|a| a.max_count());
    assert_eq!(max, Some(10));
    let tags = client
        .list_tags_for_resource()
        .resource_arn(meeting.meeting_arn().unwrap());
    let tags = tags.send().await.unwrap().tags.unwrap_or_default();
    assert_eq!(tag_pairs(&tags), [("team".to_owned(), "core".to_owned())]);
    let attendees = list_all_attendees(&client, standup).await;
    let listed = created[0]["attendees"].as_array().unwrap();
    for (read, seeded) in attendees.iter().zip(listed) {
        assert_eq!(read.attendee_id(), seeded["attendeeId"].as_str());
        assert_eq!(read.join_token(), seeded["joinToken"].as_str());
        assert_eq!(read.external_user_id(), seeded["externalUserId"].as_str());
    }
    assert_eq!(external_user_ids(&client, standup).await, ["alice", "bob"]);

    // The second account's copies, and nothing of them for the first.
    let second = server.second_client();
    for copy in &created[1..3] {
        let id = copy["meetingId"].as_str().unwrap();
        assert_eq!(external_user_ids(&second, id).await, ["p-1", "p-2", "p-3"]);
        assert!(client.get_meeting().meeting_id(id).send().await.is_err());
    }

    // The legacy meeting, through the legacy API.
    let old = created[3]["meetingId"].as_str().unwrap();
    let path = format!("/meetings/{old}/attendees");
    let read = legacy(server, "GET", &path, Value::Null, 200).await;
    assert_eq!(read["Attendees"][0]["ExternalUserId"], "carol");

    // The events CreateMeeting and BatchCreateAttendee record.
    let names = event_names(server, standup).await;
    assert_eq!(
        names,
        [
            "chime:MeetingStarted",
            "chime:AttendeeAdded",
            "chime:AttendeeAdded"
        ]
    );
}

async fn refused_files_create_nothing(server: &Server) {
    let before = meeting_count(server).await;
    let refusals = [
        (
            json!({"meetings": [{}, {"attendees": [{"externalUserId": "a*b"}]}]}),
            "meetings[1].attendees[0].externalUserId",
        ),
        (
            json!({"meetings": [{"count": 3}, {"maxAttendees": 5, "attendeeCount": 6}]}),
            "meetings[1].attendees: 6 attendees for a meeting of at most 5",
        ),
        (
            json!({"meetings": [{"attendeeCount": 251}]}),
            "251 attendees for a meeting of at most 250",
        ),
        (
            json!({"meetings": [{"accountId": "nope"}]}),
            "meetings[0].accountId",
        ),
    ];
    for (file, expected) in refusals {
        let (status, answer) = admin(server, "POST", "/v1/seed", Some(&file.to_string())).await;
        assert_eq!(status, 400, "{file}: {answer}");
        let message = answer["message"].as_str().unwrap();
        assert!(message.contains(expected), "{message}");
    }
    // A body over the limit is refused whole.
    let padded = format!("{{\"meetings\": [{{}}]{}}}", " ".repeat(3 << 20));
    let (status, _) = admin(server, "POST", "/v1/seed", Some(&padded)).await;
    assert_eq!(status, 413);
    // A dry run checks and counts, and creates nothing either.
    let file = json!({"meetings": [{"count": 2, "attendeeCount": 7}]}).to_string();
    let (status, answer) = admin(server, "POST", "/v1/seed?dryRun=true", Some(&file)).await;
    assert_eq!(
        (status, answer),
        (200, json!({"meetings": 2, "attendees": 14}))
    );
    assert_eq!(meeting_count(server).await, before);

    // The command refuses the same way, with its exit code, and creates nothing.
    let bad = json!({"meetings": [{"count": 2}, {"api": "chime"}]}).to_string();
    let output = admin_cli(server, &["seed", "-"], &bad);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("400: meetings[1].api"), "{stderr}");
    assert_eq!(meeting_count(server).await, before);
}

async fn the_generator_command_and_list_attendees(server: &Server) {
    let args = [
        "--json",
        "seed",
        "--meetings",
        "3",
        "--attendees-per-meeting",
        "250",
    ];
    let output = admin_cli(server, &args, "");
    assert!(output.status.success(), "{output:?}");
    let answer: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        (&answer["meetings"], &answer["attendees"]),
        (&json!(3), &json!(750))
    );
    let created = answer["created"].as_array().unwrap();
    let client = server.client();
    let mut expected: Vec<String> = (1..=250).map(|n| format!("user-{n}")).collect();
    expected.sort();
    for (i, meeting) in created.iter().enumerate() {
        assert_eq!(meeting["externalMeetingId"], format!("seed-{}", i + 1));
        let id = meeting["meetingId"].as_str().unwrap();
        assert_eq!(external_user_ids(&client, id).await, expected);
        // Full: the cap holds for what was seeded.
        let one_more = client
            .create_attendee()
            .meeting_id(id)
            .external_user_id("one-more");
        let refused = one_more.send().await;
        assert!(refused.is_err(), "a 251st attendee");
    }
    // Without --json: one line of counts.
    let output = admin_cli(server, &["seed", "--meetings", "2"], "");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout, "seeded 2 meetings with 0 attendees\n");
}
