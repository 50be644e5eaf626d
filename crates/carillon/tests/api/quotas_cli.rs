//! `carillon admin quotas …` against a live server: limits shown, set from flags and from a
//! file on standard input, their effect on the next request, reset, and what is refused.

use std::io::Write;
use std::process::Stdio;

use aws_sdk_chimesdkmeetings::operation::create_attendee::CreateAttendeeError;
use carillon_testkit::*;
use serde_json::json;

use crate::admin_cli::{admin_command, json, ok, run};

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn quotas_are_shown_set_and_reset_from_the_command_line() {
    let server = Server::start(Options::in_memory().admin().arg("--quotas").arg("on"));
    let client = server.client();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();

    let table = ok(&server, &["quotas"]);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("ACCOUNT"), "{table}");
    assert!(lines[1].starts_with("default"), "{table}");
    assert!(lines[1].contains("10/s burst 20"), "{table}");
    assert_eq!(lines.len(), 2, "{table}");

    let said = ok(
        &server,
        &[
            "quotas",
            "set",
            ACCOUNT_ID,
            "--operation",
            "CreateAttendee",
            "--rate",
            "1",
            "--burst",
            "1",
        ],
    );
    assert!(
        said.starts_with(&format!("{ACCOUNT_ID}: all operations 10/s burst 20")),
        "{said}"
    );
    // In force from the next request: one attendee, then the second is throttled.
    create_attendee(&client, &meeting_id, &unique("cli")).await;
    let second = client
        .create_attendee()
        .meeting_id(&meeting_id)
        .external_user_id(unique("cli"))
        .send()
        .await
        .expect_err("over a burst of 1")
        .into_service_error();
    assert!(
        matches!(second, CreateAttendeeError::ThrottlingException(_)),
        "{second:?}"
    );
    let table = ok(&server, &["quotas", "show"]);
    let row = table
        .lines()
        .find(|line| line.starts_with(ACCOUNT_ID))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(row.contains("run time"), "{row}");
    assert!(row.contains("CreateAttendee 1/s burst 1"), "{row}");

    // An entry from standard input replaces the account's whole entry.
    let mut child = admin_command(
        &server,
        ADMIN_TOKEN,
        &["--json", "quotas", "set", ACCOUNT_ID, "-"],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    let entry = json!({"max_active_meetings": 1, "all_operations": {"rate": 50, "burst": 60}});
    child
        .stdin
        .take()
        .unwrap()
        .write_all(entry.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let in_force: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(in_force["max_active_meetings"], 1);
    assert_eq!(
        in_force["all_operations"],
        json!({"rate": 50.0, "burst": 60})
    );
    assert_eq!(in_force["operations"]["CreateAttendee"]["burst"], 20);
    let view = json(&server, &["quotas"]);
    assert_eq!(view["overriddenAccounts"], json!([ACCOUNT_ID]));
    assert_eq!(view["accounts"][ACCOUNT_ID]["max_active_meetings"], 1);

    // Refusals: the server's message, exit code 1; usage errors, 2.
    let invalid = run(
        &server,
        &[
            "quotas",
            "set",
            ACCOUNT_ID,
            "--operation",
            "CreateAtendee",
            "--rate",
            "1",
        ],
    );
    assert_eq!(invalid.status.code(), Some(1), "{invalid:?}");
    assert!(
        stderr(&invalid)
            .contains("400: accounts.123456789012.operations: unknown operation \"CreateAtendee\""),
        "{}",
        stderr(&invalid)
    );
    let nothing = run(&server, &["quotas", "set", ACCOUNT_ID]);
    assert_eq!(nothing.status.code(), Some(2), "{nothing:?}");
    let wrong_token = admin_command(&server, "not-the-token", &["quotas"])
        .output()
        .unwrap();
    assert_eq!(wrong_token.status.code(), Some(4), "{wrong_token:?}");

    // The default of every account, then back to AWS's.
    let said = ok(
        &server,
        &["quotas", "set", "default", "--max-active-meetings", "7"],
    );
    assert!(said.contains(", 7 meetings,"), "{said}");
    assert_eq!(json(&server, &["quotas"])["overriddenDefault"], true);
    ok(&server, &["quotas", "reset", "default"]);

    let said = ok(&server, &["quotas", "reset", ACCOUNT_ID]);
    assert!(said.contains("back to"), "{said}");
    let view = json(&server, &["quotas"]);
    assert_eq!(view["accounts"], json!({}));
    assert_eq!(view["overriddenDefault"], false);
    let again = run(&server, &["quotas", "reset", ACCOUNT_ID]);
    assert_eq!(again.status.code(), Some(1), "{again:?}");
    assert!(stderr(&again).contains("404"), "{}", stderr(&again));
}

#[tokio::test]
async fn with_quotas_off_the_commands_say_so() {
    let server = Server::start(Options::in_memory().admin());
    for args in [
        &["quotas"][..],
        &["quotas", "set", ACCOUNT_ID, "--max-active-meetings", "1"],
        &["quotas", "reset", ACCOUNT_ID],
    ] {
        let output = run(&server, args);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {output:?}");
        assert!(
            stderr(&output).contains("409: quotas are off"),
            "{}",
            stderr(&output)
        );
    }
}
