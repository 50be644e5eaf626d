//! The harness itself: the `CARILLON_*` variables of whoever runs the tests (a developer's
//! shell, the test command's `CARILLON_BIN`) never reach a server a test starts, so they cannot
//! change what the tests see. Every setting of the binary can be given that way.

use std::process::Command;

use aws_sdk_chimesdkmeetings::error::ProvideErrorMetadata;
use carillon_testkit::*;

const PROBE_KEY_ID: &str = "AKIDPROBEONLY0000000";
const PROBE_SECRET: &str = "probe-secret";
const PROBE_URL: &str = "http://probe.invalid:1";

/// Variables that change what a server answers when they reach it: only the probe key pair is
/// accepted (the example pair is not), and every SignalingUrl names the probe host.
const PROBES: [(&str, &str); 2] = [
    (
        "CARILLON_CREDENTIALS",
        "AKIDPROBEONLY0000000:probe-secret:111111111111",
    ),
    ("CARILLON_PUBLIC_URL", PROBE_URL),
];

/// The error code GetMeeting of an unknown meeting answers with the example key.
async fn get_meeting_code(server: &Server) -> Option<String> {
    let err = server
        .client()
        .get_meeting()
        .meeting_id(unknown_guid())
        .send()
        .await
        .expect_err("no such meeting");
    err.into_service_error().code().map(str::to_owned)
}

#[tokio::test]
async fn the_callers_carillon_variables_never_reach_a_server() {
    // The probes do change a server they reach (passed on purpose here).
    let mut reached = Options::in_memory();
    for (name, value) in PROBES {
        reached = reached.env(name, value);
    }
    let reached = Server::start(reached);
    assert_eq!(
        get_meeting_code(&reached).await.as_deref(),
        Some("UnrecognizedClientException")
    );
    let meeting = create_meeting(&reached.client_as(PROBE_KEY_ID, PROBE_SECRET, REGION)).await;
    let signaling = meeting.media_placement().unwrap().signaling_url().unwrap();
    assert!(
        signaling.starts_with("ws://probe.invalid:1/"),
        "{signaling}"
    );

    // Setting them in this process would race with the other tests running in it: another run
    // of this test binary, with the probes in its environment, runs only the check below.
    let check = module_path!()
        .split_once("::")
        .map(|(_, path)| format!("{path}::servers_ignore_the_callers_carillon_variables"))
        .expect("a module path");
    let output = Command::new(std::env::current_exe().expect("the test executable"))
        .args([&check, "--exact", "--ignored", "--test-threads=1"])
        .envs(PROBES)
        .output()
        .expect("cannot run the test executable");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("test result: ok. 1 passed"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
#[ignore = "run by the_callers_carillon_variables_never_reach_a_server, with the probes set"]
async fn servers_ignore_the_callers_carillon_variables() {
    if PROBES
        .iter()
        .any(|(name, value)| std::env::var(name).as_deref() != Ok(*value))
    {
        eprintln!("the probe variables are not set: nothing to check");
        return;
    }
    // Nothing passed on purpose: the example pair is accepted, the SignalingUrl is the server's.
    let server = Server::start(Options::in_memory());
    assert_eq!(
        get_meeting_code(&server).await.as_deref(),
        Some("NotFoundException")
    );
    assert_media_placement(&server, &create_meeting(&server.client()).await);

    // Credentials passed on purpose win over the caller's.
    let server = Server::start(Options::in_memory().with_second_account());
    create_meeting(&server.second_client()).await;
    let err = server
        .client_as(PROBE_KEY_ID, PROBE_SECRET, REGION)
        .get_meeting()
        .meeting_id(unknown_guid())
        .send()
        .await
        .expect_err("the probe key is unknown");
    assert_eq!(
        err.into_service_error().code(),
        Some("UnrecognizedClientException")
    );
}
