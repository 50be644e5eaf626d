//! The official AWS SDK for Rust pointed at a server, and helpers shaped as its types.

use aws_sdk_chimesdkmeetings::config::retry::RetryConfig;
use aws_sdk_chimesdkmeetings::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_chimesdkmeetings::operation::create_meeting::builders::CreateMeetingFluentBuilder;
use aws_sdk_chimesdkmeetings::operation::get_meeting::GetMeetingError;
use aws_sdk_chimesdkmeetings::types::{
    Attendee, AttendeeCapabilities, CreateAttendeeRequestItem, MediaCapabilities, Meeting, Tag,
};
use aws_sdk_chimesdkmeetings::Client;

use crate::server::Server;
use crate::values::unique;
use crate::SECRET_ACCESS_KEY;
use crate::{ACCESS_KEY_ID, REGION, SECOND_ACCESS_KEY_ID, SECOND_SECRET_ACCESS_KEY};

/// An SDK client for `endpoint` (a server, or a load balancer in front of several), retries off.
pub fn sdk_client(endpoint: &str, access_key_id: &str, secret: &str, region: &str) -> Client {
    let config = aws_sdk_chimesdkmeetings::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .credentials_provider(Credentials::new(access_key_id, secret, None, None, "test"))
        .endpoint_url(endpoint)
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

impl Server {
    /// A client of the first account, signing for us-east-1.
    pub fn client(&self) -> Client {
        self.client_as(ACCESS_KEY_ID, SECRET_ACCESS_KEY, REGION)
    }

    /// A client of the second account (see [`crate::Options::with_second_account`]).
    pub fn second_client(&self) -> Client {
        self.client_as(SECOND_ACCESS_KEY_ID, SECOND_SECRET_ACCESS_KEY, REGION)
    }

    /// A client with the given credentials and signing region. Retries are off so that errors
    /// are seen exactly once (the SDK retries `LimitExceededException`).
    pub fn client_as(&self, access_key_id: &str, secret: &str, region: &str) -> Client {
        sdk_client(&self.endpoint(), access_key_id, secret, region)
    }
}

/// Asserts the MediaPlacement of a meeting: URLs point at this server, the signaling URL is
/// `ws://<host:port>/control/<MeetingId>` without a query (clients add their own).
pub fn assert_media_placement(server: &Server, meeting: &Meeting) {
    let id = meeting.meeting_id().expect("MeetingId");
    let placement = meeting.media_placement().expect("MediaPlacement");
    let signaling = placement.signaling_url().expect("SignalingUrl");
    assert_eq!(
        signaling,
        format!("ws://127.0.0.1:{}/control/{id}", server.port())
    );
    assert!(!signaling.contains('?'), "{signaling}");
    for (name, url) in [
        ("AudioHostUrl", placement.audio_host_url()),
        ("AudioFallbackUrl", placement.audio_fallback_url()),
        ("TurnControlUrl", placement.turn_control_url()),
        ("EventIngestionUrl", placement.event_ingestion_url()),
    ] {
        assert!(url.is_some_and(|u| !u.is_empty()), "{name} is empty");
    }
}

pub fn caps(
    audio: MediaCapabilities,
    video: MediaCapabilities,
    content: MediaCapabilities,
) -> AttendeeCapabilities {
    AttendeeCapabilities::builder()
        .audio(audio)
        .video(video)
        .content(content)
        .build()
        .expect("all three capabilities are set")
}

pub fn send_receive_all() -> AttendeeCapabilities {
    caps(
        MediaCapabilities::SendReceive,
        MediaCapabilities::SendReceive,
        MediaCapabilities::SendReceive,
    )
}

pub fn item(external_user_id: &str) -> CreateAttendeeRequestItem {
    CreateAttendeeRequestItem::builder()
        .external_user_id(external_user_id)
        .build()
        .expect("ExternalUserId is set")
}

pub fn item_with(
    external_user_id: &str,
    capabilities: AttendeeCapabilities,
) -> CreateAttendeeRequestItem {
    CreateAttendeeRequestItem::builder()
        .external_user_id(external_user_id)
        .capabilities(capabilities)
        .build()
        .expect("ExternalUserId is set")
}

pub fn tag(key: &str, value: &str) -> Tag {
    Tag::builder()
        .key(key)
        .value(value)
        .build()
        .expect("key and value are set")
}

/// Tags as sorted (key, value) pairs.
pub fn tag_pairs(tags: &[Tag]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = tags
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    pairs.sort();
    pairs
}

/// The smallest CreateMeeting: in us-east-1, with a token and an ExternalMeetingId used nowhere
/// else; more members can be added before it is sent.
pub fn create_meeting_request(client: &Client) -> CreateMeetingFluentBuilder {
    client
        .create_meeting()
        .client_request_token(unique("tok"))
        .media_region(REGION)
        .external_meeting_id(unique("ext"))
}

/// Creates a meeting in us-east-1 with fresh tokens.
pub async fn create_meeting(client: &Client) -> Meeting {
    create_meeting_request(client)
        .send()
        .await
        .expect("CreateMeeting")
        .meeting
        .expect("CreateMeeting returns a Meeting")
}

pub async fn create_attendee(
    client: &Client,
    meeting_id: &str,
    external_user_id: &str,
) -> Attendee {
    client
        .create_attendee()
        .meeting_id(meeting_id)
        .external_user_id(external_user_id)
        .send()
        .await
        .expect("CreateAttendee")
        .attendee
        .expect("CreateAttendee returns an Attendee")
}

/// A new meeting of `server` with an attendee for each of these ExternalUserIds, in order.
pub async fn meeting_with<const N: usize>(
    server: &Server,
    users: [&str; N],
) -> (Meeting, [Attendee; N]) {
    let client = server.client();
    let meeting = create_meeting(&client).await;
    let id = meeting.meeting_id().expect("a MeetingId").to_owned();
    let mut attendees = Vec::with_capacity(N);
    for user in users {
        attendees.push(create_attendee(&client, &id, user).await);
    }
    let attendees = attendees
        .try_into()
        .unwrap_or_else(|_| unreachable!("one attendee per user"));
    (meeting, attendees)
}

/// Every attendee of a meeting, following NextToken.
pub async fn list_all_attendees(client: &Client, meeting_id: &str) -> Vec<Attendee> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_attendees()
            .meeting_id(meeting_id)
            .set_next_token(token.clone())
            .send()
            .await
            .expect("ListAttendees");
        all.extend(page.attendees().iter().cloned());
        match page.next_token() {
            Some(t) => token = Some(t.to_string()),
            None => return all,
        }
    }
}

/// Asserts that a call failed with the given modeled error of its operation and returns the
/// operation error.
#[macro_export]
macro_rules! expect_err {
    ($result:expr, $variant:path) => {{
        let err = match $result {
            Ok(out) => panic!("expected {}, got success: {out:?}", stringify!($variant)),
            Err(e) => e.into_service_error(),
        };
        assert!(
            matches!(err, $variant(_)),
            "expected {}, got {err:?}",
            stringify!($variant)
        );
        err
    }};
}

/// True once GetMeeting answers NotFoundException (the meeting ended or never was); panics on
/// any other failure.
pub async fn meeting_ended(client: &Client, meeting_id: &str) -> bool {
    match client.get_meeting().meeting_id(meeting_id).send().await {
        Ok(_) => false,
        Err(e) => match e.into_service_error() {
            GetMeetingError::NotFoundException(_) => true,
            other => panic!("GetMeeting {meeting_id}: {other:?}"),
        },
    }
}

/// How long after `since` the meeting was first seen ended, polled every 50 ms; panics once
/// `within` has passed.
pub async fn meeting_ends_within(
    client: &Client,
    meeting_id: &str,
    since: std::time::Instant,
    within: std::time::Duration,
) -> std::time::Duration {
    while since.elapsed() < within {
        if meeting_ended(client, meeting_id).await {
            return since.elapsed();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("meeting {meeting_id} still active {within:?} after {since:?}");
}
