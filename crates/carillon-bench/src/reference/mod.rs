//! The reference server: hyper HTTP/1.1 answering the routes the workloads hit with fixed JSON
//! bodies of the size Carillon sends, in one of two modes. Bare ([`Mode::Bare`]): nothing else,
//! no authentication, no body parsing, no storage; benchmark figures divided by its figures are
//! ratios to this machine's HTTP ceiling. Unavoidable ([`Mode::Unavoidable`]): also the work no
//! implementation of the API can skip (read the body, verify SigV4 as Carillon does, parse the
//! request, commit writes durably); ratios to it say how much of what Carillon spends beyond the
//! ceiling is its own choice. Its indexed layout (`--work indexed`) also stores the writes as the
//! API's rules need them found, with their meeting events: ratios to it say what Carillon spends
//! beyond what any store with those rules pays.
//!
//! Design: every answer but CreateMeeting's is fixed, so every attendee is one of the ids built
//! at start. CreateMeeting answers the MeetingId it stored (`REF_MEETING_ID` in the bare mode),
//! so that attendees go to their own meetings as they do on Carillon. The load generator never
//! requires ids to be distinct: its setup reads MeetingId and AttendeeIds from answers and uses
//! whatever it got, so all workloads run unchanged against this server. The BatchCreateAttendee answer lists 100 attendees without
//! `Errors`, so batch-create counts 100 attendees per call here, as on a healthy Carillon.
//!
//! - `bare.rs`: routing by method and path alone, the body dropped unread.
//! - `unavoidable.rs`: SigV4 with Carillon's verifier, typed parsing, durable writes.
//! - `durable.rs`: the SQLite file and its group-commit writer thread.
//! - `indexed.rs`: the indexed layout's tables and writes.

mod bare;
mod durable;
mod indexed;
mod unavoidable;

pub use durable::{Durable, Layout};

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::Full;
use tokio::net::{TcpListener, TcpStream};

/// The MeetingId of every meeting of the reference server.
pub const REF_MEETING_ID: &str = "0f9c072e-0b4d-4c9e-bb1d-ef434fbb546b";

/// The fixed answers, built once.
#[derive(Debug, Clone)]
pub struct Bodies {
    meeting: Bytes,
    /// CreateMeeting's answer with `{MeetingId}` where the MeetingId goes.
    meeting_template: String,
    attendee: Bytes,
    batch: Bytes,
    list: Bytes,
}

impl Bodies {
    /// Answers shaped and sized like Carillon's (CreateMeeting ~870 bytes, an attendee ~290,
    /// a batch of 100 ~27 KB, a page of 10 ~2.8 KB), with MediaPlacement URLs on `host`.
    pub fn new(host: &str) -> Bodies {
        let m = REF_MEETING_ID;
        let meeting = format!(
            r#"{{"Meeting":{{"MeetingId":"{m}","ExternalMeetingId":"bench-0-1","MediaRegion":"us-east-1","MediaPlacement":{{"AudioHostUrl":"{host}","AudioFallbackUrl":"ws://{host}/calls/{m}","SignalingUrl":"ws://{host}/control/{m}","TurnControlUrl":"http://{host}/v2/turn_sessions","ScreenDataUrl":"ws://{host}/v2/screen/{m}","ScreenViewingUrl":"ws://{host}/ws/connect?passcode=null&viewer_uuid=null&X-BitHub-Call-Id={m}","ScreenSharingUrl":"ws://{host}/v2/screen/{m}","EventIngestionUrl":"http://{host}/v1/client-events"}},"TenantIds":[],"MeetingArn":"arn:aws:chime:us-east-1:123456789012:meeting/{m}"}}}}"#
        );
        let attendees: Vec<String> = (0..100).map(attendee_json).collect();
        let meeting_template = meeting.replace(m, "{MeetingId}");
        Bodies {
            meeting: Bytes::from(meeting),
            meeting_template,
            attendee: Bytes::from(format!(r#"{{"Attendee":{}}}"#, attendees[0])),
            batch: Bytes::from(format!(r#"{{"Attendees":[{}]}}"#, attendees.join(","))),
            list: Bytes::from(format!(
                r#"{{"Attendees":[{}],"NextToken":"MTowZjljMDcyZS0wYjRkLTRjOWUtYmIxZC1lZjQzNGZiYjU0NmI6MTA"}}"#,
                attendees[..10].join(",")
            )),
        }
    }

    /// CreateMeeting's answer for the meeting `meeting_id`.
    pub fn meeting_for(&self, meeting_id: &str) -> Bytes {
        Bytes::from(self.meeting_template.replace("{MeetingId}", meeting_id))
    }
}

fn attendee_json(i: usize) -> String {
    // An AttendeeId is a UUID; the JoinToken is base64 of two UUIDs, as Carillon's.
    let id = format!("9714e14c-1414-49f1-9e6f-{i:012}");
    format!(
        r#"{{"ExternalUserId":"u0-{i}","AttendeeId":"{id}","JoinToken":"OTcxNGUxNGMtMTQxNC00OWYxLTllNmYtNDg2Nzg2YWM4NTJkOjZlNDcyNGQ1LWRlNDAtNDhjNi1hOTVkLTY4MWJkZGQyMTEyZQ","Capabilities":{{"Audio":"SendReceive","Video":"SendReceive","Content":"SendReceive"}}}}"#
    )
}

/// A JSON answer with the headers every answer carries.
fn respond(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-amzn-requestid", "f90b0fd5-bbf7-4a71-a582-6c5797233c96")
        .body(Full::new(body))
        .expect("static response parts are valid")
}

/// Binds `addr` and answers its address; [`serve`] then runs the server.
pub async fn bind(addr: SocketAddr) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// What the server does with each request.
#[derive(Debug, Clone)]
pub enum Mode {
    /// Routes by method and path and answers; the body is never read.
    Bare,
    /// Reads the body, verifies its signature, parses it, commits writes to this store (in its
    /// layout), answers.
    Unavoidable(Arc<Durable>),
}

/// Accepts connections forever, one task each (HTTP/1.1 keep-alive, `TCP_NODELAY`).
pub async fn serve(listener: TcpListener, mode: Mode) -> std::io::Result<()> {
    let local = listener.local_addr()?;
    let bodies = Arc::new(Bodies::new(&local.to_string()));
    match mode {
        Mode::Bare => loop {
            let stream = accept(&listener).await;
            tokio::spawn(bare::serve_connection(stream, Arc::clone(&bodies)));
        },
        Mode::Unavoidable(store) => {
            let state = Arc::new(unavoidable::Unavoidable::new(bodies, store));
            loop {
                let stream = accept(&listener).await;
                tokio::spawn(unavoidable::serve_connection(stream, Arc::clone(&state)));
            }
        }
    }
}

/// The next connection, with `TCP_NODELAY`.
async fn accept(listener: &TcpListener) -> TcpStream {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                return stream;
            }
            // Out of file descriptors and the like: wait rather than spin.
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_have_realistic_sizes_and_parse() {
        let b = Bodies::new("127.0.0.1:9090");
        assert!(
            (800..1000).contains(&b.meeting.len()),
            "{}",
            b.meeting.len()
        );
        let other = "5a1b8f3e-0000-4000-8000-000000000001";
        let meeting = String::from_utf8(b.meeting_for(other).to_vec()).unwrap();
        assert_eq!(
            meeting,
            String::from_utf8(b.meeting.to_vec())
                .unwrap()
                .replace(REF_MEETING_ID, other)
        );
        assert!(
            (250..350).contains(&b.attendee.len()),
            "{}",
            b.attendee.len()
        );
        assert!(
            (25_000..30_000).contains(&b.batch.len()),
            "{}",
            b.batch.len()
        );
        assert!((2_500..3_200).contains(&b.list.len()), "{}", b.list.len());
        for body in [&b.meeting, &b.attendee, &b.batch, &b.list] {
            serde_json::from_slice::<serde_json::Value>(body).unwrap();
        }
    }
}
