//! What each workload sends: the operations, their routes and bodies, and the per-connection
//! state that keeps every request valid for the whole run.
//!
//! Routes and members follow the vendored botocore model (`chime-sdk-meetings` 2021-07-15):
//! CreateMeeting `POST /meetings`, CreateAttendee `POST /meetings/{MeetingId}/attendees`,
//! BatchCreateAttendee the same path with `?operation=batch-create`, GetAttendee
//! `GET /meetings/{MeetingId}/attendees/{AttendeeId}`, ListAttendees
//! `GET /meetings/{MeetingId}/attendees?max-results=10`. All answer 200 on success.
//!
//! A meeting holds at most 250 attendees, so the creating workloads rotate: each connection
//! creates its own meeting (setup, not measured) and moves to a fresh one after
//! [`ATTENDEES_PER_MEETING`] CreateAttendee calls or [`BATCHES_PER_MEETING`] batch calls.
//! ClientRequestTokens carry a random run id, so a run never replays an earlier run's meeting.

use bytes::Bytes;
use http::Method;
use serde::Deserialize;

/// CreateAttendee calls per meeting before a connection moves to a fresh meeting.
pub const ATTENDEES_PER_MEETING: u32 = 200;
/// BatchCreateAttendee calls (of [`BATCH_SIZE`]) per meeting.
pub const BATCHES_PER_MEETING: u32 = 2;
/// Attendees per BatchCreateAttendee call (the API's maximum).
pub const BATCH_SIZE: u64 = 100;
/// Meetings created before a read workload starts.
pub const POOL_MEETINGS: usize = 20;

/// The `mixed` workload, in percent: CreateMeeting, CreateAttendee, GetAttendee, ListAttendees.
pub const MIX: [(Op, u32); 4] = [
    (Op::CreateMeeting, 10),
    (Op::CreateAttendee, 30),
    (Op::GetAttendee, 50),
    (Op::ListAttendees, 10),
];

/// The workloads of `carillon-bench run --workload`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Workload {
    /// CreateMeeting with a unique ClientRequestToken.
    CreateMeeting,
    /// CreateAttendee, a fresh meeting every 200 attendees.
    CreateAttendee,
    /// BatchCreateAttendee of 100, a fresh meeting every 2 calls.
    BatchCreate,
    /// GetAttendee of random pre-created attendees.
    GetAttendee,
    /// ListAttendees (max-results=10) of the pre-created meetings.
    ListAttendees,
    /// 10% create-meeting, 30% create-attendee, 50% get-attendee, 10% list-attendees.
    Mixed,
}

impl Workload {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Workload::CreateMeeting => "create-meeting",
            Workload::CreateAttendee => "create-attendee",
            Workload::BatchCreate => "batch-create",
            Workload::GetAttendee => "get-attendee",
            Workload::ListAttendees => "list-attendees",
            Workload::Mixed => "mixed",
        }
    }

    /// Whether the run needs the shared pool of meetings and attendees.
    pub fn needs_pool(self) -> bool {
        matches!(
            self,
            Workload::GetAttendee | Workload::ListAttendees | Workload::Mixed
        )
    }
}

/// One API operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    CreateMeeting,
    CreateAttendee,
    BatchCreateAttendee,
    GetAttendee,
    ListAttendees,
}

impl Op {
    /// Every operation, in report order.
    pub const ALL: [Op; 5] = [
        Op::CreateMeeting,
        Op::CreateAttendee,
        Op::BatchCreateAttendee,
        Op::GetAttendee,
        Op::ListAttendees,
    ];

    /// The operation's name in the API model.
    pub fn name(self) -> &'static str {
        match self {
            Op::CreateMeeting => "CreateMeeting",
            Op::CreateAttendee => "CreateAttendee",
            Op::BatchCreateAttendee => "BatchCreateAttendee",
            Op::GetAttendee => "GetAttendee",
            Op::ListAttendees => "ListAttendees",
        }
    }

    /// Index into per-operation counters.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The status of a successful call (all of these are modeled as 200).
    pub fn success_status(self) -> u16 {
        200
    }
}

/// A request ready to sign and send. `path` and `query` are already canonical.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    pub op: Op,
    pub method: Method,
    pub path: String,
    pub query: &'static str,
    pub body: Bytes,
}

/// Meetings and attendees created before a read workload, shared by all connections.
#[derive(Debug, Default)]
pub struct Pool {
    pub meetings: Vec<String>,
    /// (index into `meetings`, AttendeeId).
    pub attendees: Vec<(usize, String)>,
}

/// `{"Meeting": {"MeetingId": ...}}`, all the setup needs from CreateMeeting.
#[derive(Deserialize)]
pub struct CreateMeetingOutput {
    #[serde(rename = "Meeting")]
    pub meeting: IdOnly,
}

#[derive(Deserialize)]
pub struct IdOnly {
    #[serde(rename = "MeetingId")]
    pub meeting_id: String,
}

/// The parts of a BatchCreateAttendee answer that are counted.
#[derive(Deserialize)]
pub struct BatchOutput {
    #[serde(rename = "Attendees", default)]
    pub attendees: Vec<AttendeeIdOnly>,
    #[serde(rename = "Errors", default)]
    pub errors: Vec<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
pub struct AttendeeIdOnly {
    #[serde(rename = "AttendeeId")]
    pub attendee_id: String,
}

/// Builds requests.
pub fn create_meeting(token: &str, external_id: &str) -> RequestSpec {
    create_meeting_with(token, external_id, "")
}

/// [`create_meeting`] with more members, each as `,"Name":value`.
pub fn create_meeting_with(token: &str, external_id: &str, members: &str) -> RequestSpec {
    let body = carillon_testkit::bodies::create_meeting_body_with(token, external_id, members);
    spec(
        Op::CreateMeeting,
        Method::POST,
        "/meetings".into(),
        "",
        body,
    )
}

pub fn create_attendee(meeting: &str, external_user_id: &str) -> RequestSpec {
    let body = format!(r#"{{"ExternalUserId":"{external_user_id}"}}"#);
    let path = format!("/meetings/{meeting}/attendees");
    spec(Op::CreateAttendee, Method::POST, path, "", body)
}

/// A batch of [`BATCH_SIZE`] attendees `{prefix}-0` .. `{prefix}-99`.
pub fn batch_create(meeting: &str, prefix: &str) -> RequestSpec {
    batch_create_n(meeting, prefix, BATCH_SIZE as usize)
}

/// A batch of `n` (at most [`BATCH_SIZE`]) attendees `{prefix}-0` .. `{prefix}-{n - 1}`.
pub fn batch_create_n(meeting: &str, prefix: &str, n: usize) -> RequestSpec {
    let mut body = String::with_capacity(40 * n);
    body.push_str(r#"{"Attendees":["#);
    for i in 0..n {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&format!(r#"{{"ExternalUserId":"{prefix}-{i}"}}"#));
    }
    body.push_str("]}");
    let path = format!("/meetings/{meeting}/attendees");
    let query = "operation=batch-create";
    spec(Op::BatchCreateAttendee, Method::POST, path, query, body)
}

pub fn get_attendee(meeting: &str, attendee: &str) -> RequestSpec {
    let path = format!("/meetings/{meeting}/attendees/{attendee}");
    spec(Op::GetAttendee, Method::GET, path, "", String::new())
}

pub fn list_attendees(meeting: &str) -> RequestSpec {
    let path = format!("/meetings/{meeting}/attendees");
    spec(
        Op::ListAttendees,
        Method::GET,
        path,
        "max-results=10",
        String::new(),
    )
}

fn spec(op: Op, method: Method, path: String, query: &'static str, body: String) -> RequestSpec {
    RequestSpec {
        op,
        method,
        path,
        query,
        body: Bytes::from(body),
    }
}

/// xorshift64*: fast, deterministic per connection, good enough to pick attendees.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-enough in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_adds_up_to_100() {
        assert_eq!(MIX.iter().map(|(_, w)| w).sum::<u32>(), 100);
    }

    #[test]
    fn bodies_are_json() {
        for spec in [
            create_meeting("tok-1", "ext-1"),
            create_attendee("m", "u-1"),
            batch_create("m", "b0"),
        ] {
            let v: serde_json::Value = serde_json::from_slice(&spec.body).unwrap();
            assert!(v.is_object());
        }
        let batch: serde_json::Value =
            serde_json::from_slice(&batch_create("m", "b0").body).unwrap();
        assert_eq!(batch["Attendees"].as_array().unwrap().len(), 100);
    }
}
