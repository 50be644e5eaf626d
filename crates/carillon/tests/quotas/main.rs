//! AWS's quotas end to end: the per-account rate quotas of both APIs (10 requests per second,
//! burst 20, per operation and for all operations together, as "Amazon Chime SDK endpoints and
//! quotas" lists them: <https://docs.aws.amazon.com/general/latest/gr/chime-sdk.html>), the
//! official Rust SDK recovering from throttling with its default retries (it retries
//! `ThrottlingException` and `LimitExceededException` by their codes), per-account overrides
//! from `--quota-file`, the concurrent meeting quota, and `--quotas off`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_chimesdkmeetings::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_chimesdkmeetings::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
};
use aws_sdk_chimesdkmeetings::operation::create_meeting::CreateMeetingError;
use aws_sdk_chimesdkmeetings::operation::create_meeting_with_attendees::CreateMeetingWithAttendeesError;
use aws_sdk_chimesdkmeetings::operation::get_meeting::GetMeetingError;
use aws_sdk_chimesdkmeetings::Client;
use carillon_testkit::*;
use serde_json::json;

mod overrides;

/// AWS's burst: calls admitted at once before the first refusal.
const BURST: usize = 20;
/// AWS's rate, requests per second.
const RATE: f64 = 10.0;

/// A server enforcing quotas (AWS's defaults, or those of `quota_file`), with the second account.
fn server_with_quotas(quota_file: Option<&str>) -> (Server, Option<tempfile::TempDir>) {
    let mut options = Options::in_memory()
        .with_second_account()
        .arg("--quotas")
        .arg("on");
    let dir = quota_file.map(|text| {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("quotas.json");
        std::fs::write(&path, text).expect("write the quota file");
        options.args.push("--quota-file".into());
        options.args.push(path.to_str().expect("UTF-8 path").into());
        dir
    });
    (Server::start(options), dir)
}

/// Calls admitted before the first refusal can exceed the burst only by what refilled meanwhile.
fn assert_about_one_burst(admitted: usize, started: Instant, burst: usize, rate: f64) {
    let refilled = (started.elapsed().as_secs_f64() * rate).ceil() as usize;
    assert!(
        (burst..=burst + refilled).contains(&admitted),
        "{admitted} calls admitted before the first refusal (burst {burst}, {refilled} refilled)"
    );
}

/// GetMeeting of an unknown meeting through the SDK until it is throttled; returns how many
/// were answered (NotFoundException) first.
async fn get_meeting_until_throttled(client: &Client, limit: usize) -> Option<usize> {
    let missing = unknown_guid();
    for answered in 0..limit {
        let err = client
            .get_meeting()
            .meeting_id(&missing)
            .send()
            .await
            .expect_err("the meeting does not exist")
            .into_service_error();
        match err {
            GetMeetingError::NotFoundException(_) => {}
            GetMeetingError::ThrottlingException(_) => return Some(answered),
            other => panic!("unexpected {other:?}"),
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_21st_immediate_call_of_an_account_is_throttled() {
    let (server, _dir) = server_with_quotas(None);
    let started = Instant::now();
    let admitted = get_meeting_until_throttled(&server.client(), 200)
        .await
        .expect("throttled");
    assert_about_one_burst(admitted, started, BURST, RATE);

    // The wire: 429, the current API's name, a short code.
    let path = format!("/meetings/{}", unknown_guid());
    let r = server.signed("GET", &path, "").await;
    let body = r.assert_error(429, "ThrottlingException");
    assert!(
        body["Message"]
            .as_str()
            .is_some_and(|m| m.contains("Rate exceeded")),
        "{body}"
    );

    // Another account is not held back.
    let err = server
        .second_client()
        .get_meeting()
        .meeting_id(unknown_guid())
        .send()
        .await
        .expect_err("the meeting does not exist")
        .into_service_error();
    assert!(
        matches!(err, GetMeetingError::NotFoundException(_)),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_counts_toward_the_account_total() {
    let (server, _dir) = server_with_quotas(None);
    let client = server.client();
    let started = Instant::now();
    let mut admitted = 0;
    // GetAttendee has no quota of its own; GetMeeting and ListAttendees do. Together they share
    // the "all meeting management API" quota of 20 at once.
    let missing = unknown_guid();
    let throttled = loop {
        let r = match admitted % 3 {
            0 => client
                .get_attendee()
                .meeting_id(&missing)
                .attendee_id(unknown_guid())
                .send()
                .await
                .map(|_| ())
                .map_err(|e| e.into_service_error().meta().code().map(str::to_owned)),
            1 => client
                .get_meeting()
                .meeting_id(&missing)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| e.into_service_error().meta().code().map(str::to_owned)),
            _ => client
                .list_attendees()
                .meeting_id(&missing)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| e.into_service_error().meta().code().map(str::to_owned)),
        };
        match r.expect_err("the meeting does not exist").as_deref() {
            Some("NotFoundException") => admitted += 1,
            Some("ThrottlingException") => break true,
            other => panic!("unexpected {other:?}"),
        }
        if admitted > 200 {
            break false;
        }
    };
    assert!(throttled);
    assert_about_one_burst(admitted, started, BURST, RATE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_legacy_api_throttles_with_its_own_names_and_its_own_count() {
    let (server, _dir) = server_with_quotas(None);
    // Use up the current API's quota first: the legacy API counts separately.
    get_meeting_until_throttled(&server.client(), 200)
        .await
        .expect("throttled");

    let started = Instant::now();
    let mut admitted = 0;
    let r = loop {
        let r = server
            .legacy_signed("GET", &format!("/meetings/{}", unknown_guid()), "")
            .await;
        if r.status != 404 || admitted > 200 {
            break r;
        }
        admitted += 1;
    };
    assert_about_one_burst(admitted, started, BURST, RATE);
    assert_eq!(
        (r.status, r.header("x-amzn-ErrorType")),
        (429, Some("ThrottledClientException")),
        "{}",
        r.text()
    );
    let body = r.json();
    assert_eq!(body["Code"], "Throttled", "{body}");
    assert_eq!(
        body["RequestId"].as_str(),
        r.header("x-amzn-RequestId"),
        "{body}"
    );
    assert!(
        body["Message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );

    // The legacy model lists no ThrottledClientException for TagResource: 503 instead.
    let arn = meeting_arn(REGION, ACCOUNT_ID, &unknown_guid());
    let tag_body = json!({"ResourceARN": arn, "Tags": [{"Key": "k", "Value": "v"}]}).to_string();
    let r = server
        .legacy_signed("POST", "/tags?operation=tag-resource", &tag_body)
        .await;
    assert_eq!(
        (r.status, r.header("x-amzn-ErrorType")),
        (503, Some("ServiceUnavailableException")),
        "{}",
        r.text()
    );
}

/// Counts the responses the SDK saw with HTTP status 429, retries included.
#[derive(Debug, Default)]
struct Count429(Arc<AtomicUsize>);

impl Intercept for Count429 {
    fn name(&self) -> &'static str {
        "Count429"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if context.response().status().as_u16() == 429 {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_recovers_with_its_default_retries() {
    let (server, _dir) = server_with_quotas(None);
    let throttled = Arc::new(AtomicUsize::new(0));
    // The SDK's defaults: standard retry mode, three attempts, backoff (no retry_config).
    let config = aws_sdk_chimesdkmeetings::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new(
            ACCESS_KEY_ID,
            SECRET_ACCESS_KEY,
            None,
            None,
            "test",
        ))
        .endpoint_url(server.endpoint())
        .interceptor(Count429(Arc::clone(&throttled)))
        .build();
    let client = Client::from_conf(config);

    let started = Instant::now();
    let meeting = create_meeting(&client).await;
    let id = meeting.meeting_id().expect("MeetingId");
    for i in 0..40 {
        let got = client
            .get_meeting()
            .meeting_id(id)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GetMeeting {i} failed after retries: {e:?}"));
        assert_eq!(got.meeting().and_then(|m| m.meeting_id()), Some(id));
    }
    let elapsed = started.elapsed();
    // 41 calls at a burst of 20 and 10 per second need about two seconds of refill.
    assert!(
        throttled.load(Ordering::Relaxed) > 0,
        "no call was throttled"
    );
    assert!(elapsed >= Duration::from_millis(1900), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quota_file_raises_one_accounts_limits() {
    let file = json!({
        "accounts": {
            ACCOUNT_ID: {
                "all_operations": {"rate": 50, "burst": 100},
                "operations": {"GetMeeting": {"rate": 50, "burst": 100}}
            }
        }
    });
    let (server, _dir) = server_with_quotas(Some(&file.to_string()));
    let started = Instant::now();
    let admitted = get_meeting_until_throttled(&server.client(), 300)
        .await
        .expect("throttled at last");
    assert_about_one_burst(admitted, started, 100, 50.0);

    // The other account keeps AWS's defaults.
    let started = Instant::now();
    let admitted = get_meeting_until_throttled(&server.second_client(), 200)
        .await
        .expect("throttled");
    assert_about_one_burst(admitted, started, BURST, RATE);
}

/// Rates high enough not to matter; the meeting quota as given.
/// A new meeting of `client`'s account is refused with LimitExceededException.
async fn assert_meeting_quota_reached(client: &Client, what: &str) {
    let err = create_meeting_request(client)
        .send()
        .await
        .expect_err(what)
        .into_service_error();
    assert!(
        matches!(err, CreateMeetingError::LimitExceededException(_)),
        "{what}: {err:?}"
    );
}

fn meeting_quota_file(limits: serde_json::Value) -> String {
    let mut default = json!({
        "all_operations": {"rate": 100000, "burst": 100000},
        "operations": {
            "CreateMeeting": {"rate": 100000, "burst": 100000},
            "CreateMeetingWithAttendees": {"rate": 100000, "burst": 100000},
            "DeleteMeeting": {"rate": 100000, "burst": 100000}
        }
    });
    for (k, v) in limits.as_object().expect("an object") {
        default[k] = v.clone();
    }
    json!({ "default": default }).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_251st_active_meeting_is_refused() {
    let (server, _dir) = server_with_quotas(Some(&meeting_quota_file(json!({}))));
    let client = server.client();
    // 250 meetings, ten at a time.
    let mut ids = Vec::new();
    for _ in 0..25 {
        let batch: Vec<_> = (0..10)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move { create_meeting(&client).await })
            })
            .collect();
        for task in batch {
            ids.push(task.await.expect("task").meeting_id.expect("MeetingId"));
        }
    }
    assert_meeting_quota_reached(&client, "the 251st meeting").await;
    client
        .delete_meeting()
        .meeting_id(&ids[0])
        .send()
        .await
        .expect("DeleteMeeting");
    create_meeting(&client).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_meeting_quota_frees_on_delete_answers_replays_and_counts_per_scope() {
    let file = meeting_quota_file(json!({
        "max_active_meetings": 3,
        "legacy_max_active_meetings": 2
    }));
    let (server, _dir) = server_with_quotas(Some(&file));
    let client = server.client();
    let token = unique("tok");
    let first = client
        .create_meeting()
        .client_request_token(&token)
        .media_region(REGION)
        .external_meeting_id(unique("ext"))
        .send()
        .await
        .expect("CreateMeeting")
        .meeting
        .expect("Meeting");
    let first_id = first.meeting_id().expect("MeetingId").to_string();
    let second = create_meeting(&client).await;
    // A replica counts like any meeting.
    create_meeting_request(&client)
        .primary_meeting_id(second.meeting_id().expect("MeetingId"))
        .send()
        .await
        .expect("CreateMeeting (replica)");

    assert_meeting_quota_reached(&client, "a fourth meeting").await;
    let err = client
        .create_meeting_with_attendees()
        .client_request_token(unique("tok"))
        .media_region(REGION)
        .external_meeting_id(unique("ext"))
        .attendees(item("alice"))
        .send()
        .await
        .expect_err("a fourth meeting")
        .into_service_error();
    assert!(
        matches!(
            err,
            CreateMeetingWithAttendeesError::LimitExceededException(_)
        ),
        "{err:?}"
    );
    let r = server
        .signed(
            "POST",
            "/meetings",
            &json!({
                "ClientRequestToken": unique("tok"),
                "MediaRegion": REGION,
                "ExternalMeetingId": unique("ext")
            })
            .to_string(),
        )
        .await;
    r.assert_error(400, "LimitExceededException");

    // The first meeting's token is answered with it, at the quota.
    let replay = client
        .create_meeting()
        .client_request_token(&token)
        .media_region(REGION)
        .external_meeting_id(unique("ext"))
        .send()
        .await
        .expect("replayed CreateMeeting");
    assert_eq!(
        replay.meeting().and_then(|m| m.meeting_id()),
        Some(first_id.as_str())
    );

    // Deleting a meeting frees its slot, once.
    client
        .delete_meeting()
        .meeting_id(&first_id)
        .send()
        .await
        .expect("DeleteMeeting");
    create_meeting(&client).await;
    assert_meeting_quota_reached(&client, "at the quota again").await;

    // The other account has its own three.
    let other = server.second_client();
    for _ in 0..3 {
        create_meeting(&other).await;
    }

    // The legacy API counts separately, with its own quota and exception name.
    let legacy_create = || async {
        let body = json!({"ClientRequestToken": unique("tok"), "MediaRegion": REGION});
        server
            .legacy_signed("POST", "/meetings", &body.to_string())
            .await
    };
    for _ in 0..2 {
        let r = legacy_create().await;
        assert_eq!(r.status, 201, "{}", r.text());
    }
    let r = legacy_create().await;
    assert_eq!(
        (r.status, r.header("x-amzn-ErrorType")),
        (400, Some("ResourceLimitExceededException")),
        "{}",
        r.text()
    );
    assert_eq!(r.json()["Code"], "ResourceLimitExceeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotas_off_never_throttles() {
    // The harness starts servers with `--quotas off`.
    let server = Server::start(Options::in_memory());
    let client = server.client();
    assert_eq!(get_meeting_until_throttled(&client, 100).await, None);
    for _ in 0..60 {
        let r = server
            .legacy_signed("GET", &format!("/meetings/{}", unknown_guid()), "")
            .await;
        assert_eq!(r.status, 404, "{}", r.text());
    }
}
