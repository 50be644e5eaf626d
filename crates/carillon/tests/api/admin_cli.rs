//! `carillon admin …` run as a shell user runs it, against a live server on each store: what
//! it prints (tables, and `--json` for scripts), following the event log, and the exit codes a
//! script can test.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use carillon_testkit::*;
use serde_json::Value;

use crate::each_store;

/// `carillon admin ARGS` against `server` (with its token unless `token` says otherwise), the
/// caller's `CARILLON_*` variables removed.
pub(crate) fn admin_command(server: &Server, token: &str, args: &[&str]) -> Command {
    let mut command = Command::new(carillon_binary());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("CARILLON_") {
            command.env_remove(key);
        }
    }
    command
        .arg("admin")
        .args(args)
        .env("CARILLON_ADMIN_URL", server.admin_url())
        .env("CARILLON_ADMIN_TOKEN", token);
    command
}

pub(crate) fn run(server: &Server, args: &[&str]) -> Output {
    admin_command(server, ADMIN_TOKEN, args).output().unwrap()
}

/// Standard output of a command that must succeed.
pub(crate) fn ok(server: &Server, args: &[&str]) -> String {
    let output = run(server, args);
    assert!(output.status.success(), "{args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

pub(crate) fn json(server: &Server, args: &[&str]) -> Value {
    let mut with_json = vec!["--json"];
    with_json.extend_from_slice(args);
    serde_json::from_str(&ok(server, &with_json)).unwrap()
}

#[tokio::test]
async fn the_admin_commands_print_tables_and_json_on_each_store() {
    for (options, _db) in each_store("admin_cli") {
        let server = Server::start(options.admin().arg("--time-control").arg("on"));
        let client = server.client();

        // The clock.
        assert!(ok(&server, &["time", "freeze"]).contains(", frozen"));
        let frozen_ms = json(&server, &["time"])["nowMs"].as_i64().unwrap();
        let state = json(&server, &["time", "advance", "90s"]);
        assert_eq!(state["frozen"], true);
        assert_eq!(state["swept"], true);
        assert_eq!(state["nowMs"].as_i64(), Some(frozen_ms + 90_000));
        // The offset is to the wall clock, which has moved on meanwhile.
        let shown = ok(&server, &["time"]);
        assert!(shown.contains(", frozen, 1m 2"), "{shown}");
        assert!(shown.ends_with(" ahead of the wall clock\n"), "{shown}");

        // Events, as a table and as JSON.
        let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
        let attendee_id = create_attendee(&client, &meeting_id, &unique("cli"))
            .await
            .attendee_id
            .unwrap();
        let table = ok(&server, &["events", "--meeting-id", &meeting_id]);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("POSITION"), "{table}");
        assert!(lines[1].contains("chime:MeetingStarted"), "{table}");
        assert!(lines[2].contains("chime:AttendeeAdded"), "{table}");
        assert!(lines[3].starts_with("next page: --after "), "{table}");
        let page = json(
            &server,
            &[
                "events",
                "--meeting-id",
                &meeting_id,
                "--name",
                "chime:AttendeeAdded",
            ],
        );
        let events = page["events"].as_array().unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(
            events[0]["event"]["detail"]["attendeeId"],
            attendee_id.as_str()
        );

        // Presence, then the events it sent.
        let marked = ok(&server, &["presence", &meeting_id, &attendee_id, "joined"]);
        assert_eq!(marked.trim(), format!("{attendee_id} marked joined"));
        let again = ok(&server, &["presence", &meeting_id, &attendee_id, "joined"]);
        assert!(again.contains("nothing changed"), "{again}");
        let joined = json(&server, &["events", "--name", "chime:AttendeeJoined"]);
        assert_eq!(joined["events"].as_array().unwrap().len(), 1, "{joined}");

        // Dead letters: none here.
        assert_eq!(ok(&server, &["dead-letters"]).trim(), "no dead letters");
        let replayed = ok(&server, &["dead-letters", "replay", "--all"]);
        assert_eq!(replayed.trim(), "0 dead letters due again");

        // The state: listed, shown, exported, reset and imported back.
        let meetings = ok(&server, &["meetings"]);
        assert!(meetings.starts_with("MEETING"), "{meetings}");
        assert!(meetings.contains(&meeting_id), "{meetings}");
        let listed = json(&server, &["meetings", "--state", "all"]);
        assert_eq!(listed["meetings"].as_array().unwrap().len(), 1, "{listed}");
        let shown = ok(&server, &["meeting", &meeting_id]);
        assert!(shown.contains("attendees       1"), "{shown}");
        assert!(
            shown.contains(&format!("marked present  {attendee_id}")),
            "{shown}"
        );
        let attendees = ok(&server, &["attendees", &meeting_id]);
        let row = attendees
            .lines()
            .find(|l| l.contains(&attendee_id))
            .unwrap();
        assert!(row.contains("marked"), "{attendees}");

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("fixture.ndjson");
        let file = file.to_str().unwrap();
        ok(&server, &["export", file]);
        let exported = std::fs::read_to_string(file).unwrap();
        assert!(exported.starts_with(r#"{"format":"carillon-state","version":1"#));
        let refused = admin_command(&server, ADMIN_TOKEN, &["reset"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(
            refused.status.code(),
            Some(2),
            "reset needs --yes: {refused:?}"
        );
        let occupied = run(&server, &["import", file]);
        assert_eq!(occupied.status.code(), Some(1), "{occupied:?}");

        assert_eq!(
            ok(&server, &["reset", "--yes"]).trim(),
            "the store is empty"
        );
        assert_eq!(ok(&server, &["meetings"]).trim(), "no meetings");
        let imported = ok(&server, &["import", file]);
        assert_eq!(imported.trim(), "imported 1 meetings and 1 attendees");
        assert!(ok(&server, &["attendees", &meeting_id]).contains(&attendee_id));
        ok(&server, &["import", "--replace", file]);
        let again = dir.path().join("again.ndjson");
        ok(&server, &["export", again.to_str().unwrap()]);
        let without_time = |text: &str| text.lines().skip(1).collect::<Vec<_>>().join("\n");
        let again = std::fs::read_to_string(&again).unwrap();
        assert_eq!(
            without_time(&again),
            without_time(&exported),
            "the same state"
        );
    }
}

#[tokio::test]
async fn following_the_log_prints_events_as_they_come() {
    let server = Server::start(Options::in_memory().admin());
    let client = server.client();
    let mut follower = admin_command(&server, ADMIN_TOKEN, &["--json", "events", "--follow"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = follower.stdout.take().unwrap();
    let (lines_tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if lines_tx.send(line.unwrap()).is_err() {
                return;
            }
        }
    });
    // The stream starts from now: create meetings until one shows up (the follower may connect
    // after the first).
    let started = Instant::now();
    let event: Value = loop {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "nothing followed"
        );
        create_meeting(&client).await;
        if let Ok(line) = lines.recv_timeout(Duration::from_millis(500)) {
            let event: Value = serde_json::from_str(&line).unwrap();
            assert_eq!(event["name"], "chime:MeetingStarted");
            break event;
        }
    };
    assert!(event["position"].is_string(), "{event}");
    follower.kill().unwrap();
    follower.wait().unwrap();
}

#[tokio::test]
async fn exit_codes_say_what_went_wrong() {
    let server = Server::start(Options::in_memory().admin());
    let code = |output: Output| output.status.code().unwrap();
    let stderr = |output: &Output| String::from_utf8_lossy(&output.stderr).into_owned();

    // 1: the server refused (no such meeting; time control off).
    let refused = run(&server, &["presence", "no-such-meeting", "a", "joined"]);
    assert!(stderr(&refused).contains("404"), "{refused:?}");
    assert_eq!(code(refused), 1);
    let off = run(&server, &["time", "freeze"]);
    assert!(stderr(&off).contains("--time-control on"), "{off:?}");
    assert_eq!(code(off), 1);

    // 2: usage.
    assert_eq!(code(run(&server, &["time", "advance", "soon"])), 2);
    assert_eq!(
        code(run(&server, &["dead-letters", "replay", "nonsense"])),
        2
    );
    let no_token = admin_command(&server, "", &["time"])
        .env_remove("CARILLON_ADMIN_TOKEN")
        .output()
        .unwrap();
    assert_eq!(code(no_token), 2);

    // 3: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let unreachable = run(&server, &["--url", &url, "time"]);
    assert!(
        stderr(&unreachable).contains("cannot reach"),
        "{unreachable:?}"
    );
    assert_eq!(code(unreachable), 3);

    // 4: a wrong token.
    let wrong = admin_command(&server, "not-the-token", &["time"])
        .output()
        .unwrap();
    assert!(stderr(&wrong).contains("token was refused"), "{wrong:?}");
    assert_eq!(code(wrong), 4);
}

#[test]
fn completions_are_generated_for_the_usual_shells() {
    for shell in ["bash", "zsh", "fish"] {
        let output = Command::new(carillon_binary())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(output.status.success(), "{shell}: {output:?}");
        let script = String::from_utf8(output.stdout).unwrap();
        assert!(script.contains("dead-letters"), "{shell}");
    }
}

#[tokio::test]
async fn fault_rules_are_added_listed_hit_and_removed_from_the_shell() {
    let server = Server::start(Options::in_memory().admin());
    let client = server.client();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();

    let added = json(
        &server,
        &[
            "faults",
            "add",
            "--operation",
            "CreateAttendee",
            "--error",
            "NotFoundException",
        ],
    );
    let id = added["id"].as_str().unwrap().to_owned();
    let refused = client
        .create_attendee()
        .meeting_id(&meeting_id)
        .external_user_id(unique("faulted"))
        .send()
        .await
        .expect_err("the rule answers");
    assert!(refused.into_service_error().is_not_found_exception());

    let table = ok(&server, &["faults"]);
    let row = table.lines().find(|l| l.contains(&id)).unwrap();
    assert!(
        row.contains("CreateAttendee") && row.contains("NotFoundException"),
        "{table}"
    );
    assert!(row.trim_end().ends_with(" 1"), "one hit: {table}");

    assert_eq!(
        ok(&server, &["faults", "delete", &id]).trim(),
        format!("removed rule {id}")
    );
    let gone = run(&server, &["faults", "delete", &id]);
    assert_eq!(gone.status.code(), Some(1), "{gone:?}");
    ok(
        &server,
        &["faults", "add", "--latency-ms", "1", "--count", "5"],
    );
    assert_eq!(ok(&server, &["faults", "clear"]).trim(), "removed 1 rules");
    assert_eq!(ok(&server, &["faults"]).trim(), "no fault rules");
    let dropped = ok(&server, &["faults", "drop-sessions", &meeting_id]);
    assert_eq!(dropped.trim(), "dropped 0 sessions");
    // Not a modeled error of the operation: refused by the server.
    let unmodeled = run(
        &server,
        &[
            "faults",
            "add",
            "--operation",
            "GetMeeting",
            "--error",
            "LimitExceededException",
        ],
    );
    assert_eq!(unmodeled.status.code(), Some(1), "{unmodeled:?}");
}
