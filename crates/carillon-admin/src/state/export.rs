//! `GET /v1/export`: the state file, streamed (chunked) a meeting and its attendees at a time,
//! read from the store a page at a time: memory holds one page of meetings and one of
//! attendees, whatever the size of the state.

use std::collections::VecDeque;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use carillon_core::store::admin::{MeetingFilter, StoredMeeting};
use futures_util::stream;

use super::{Header, Line, FORMAT, VERSION};
use crate::view::{AttendeeJson, MeetingJson};
use crate::Admin;

/// Meetings read per page, and attendees per page of one meeting.
const MEETINGS_PAGE: usize = 100;
const ATTENDEES_PAGE: usize = 500;

struct Exporter {
    admin: Arc<Admin>,
    /// Meetings read and not yet written.
    ready: VecDeque<StoredMeeting>,
    /// Where the next page of meetings starts; `None` once the last page was read.
    next_page: Option<Option<i64>>,
    meetings: u64,
    attendees: u64,
    started: bool,
    done: bool,
}

fn line(text: &mut String, value: &impl serde::Serialize) -> Result<(), std::io::Error> {
    let encoded = serde_json::to_string(value).map_err(std::io::Error::other)?;
    text.push_str(&encoded);
    text.push('\n');
    Ok(())
}

fn failed(e: carillon_core::StoreError) -> std::io::Error {
    tracing::warn!(error = %e, "admin: an export could not read the store; it ends cut short");
    std::io::Error::other("the store did not answer")
}

impl Exporter {
    /// The next chunk: the header, one meeting with its attendees, or the last line.
    async fn chunk(&mut self) -> Result<Option<String>, std::io::Error> {
        let mut text = String::new();
        if !self.started {
            self.started = true;
            let header = Header {
                format: FORMAT.to_owned(),
                version: VERSION,
                exported_at_ms: Some(carillon_core::clock::now_ms()),
            };
            line(&mut text, &header)?;
            return Ok(Some(text));
        }
        if self.ready.is_empty() {
            if let Some(after) = self.next_page {
                let everything = MeetingFilter::everything();
                let store = &self.admin.store;
                let page = store
                    .admin_meetings(&everything, after, MEETINGS_PAGE)
                    .await
                    .map_err(failed)?;
                self.next_page = page.next.map(Some);
                self.ready.extend(page.items);
            }
        }
        let Some(meeting) = self.ready.pop_front() else {
            if self.done {
                return Ok(None);
            }
            self.done = true;
            let end = Line::End {
                meetings: self.meetings,
                attendees: self.attendees,
            };
            line(&mut text, &end)?;
            return Ok(Some(text));
        };
        let own = MeetingJson::of(&meeting).map_err(std::io::Error::other)?;
        line(&mut text, &Line::Meeting(Box::new(own)))?;
        self.meetings += 1;
        let mut after = None;
        loop {
            let page = self
                .admin
                .store
                .admin_attendees(&meeting.record.meeting_id, after, ATTENDEES_PAGE)
                .await
                .map_err(failed)?;
            // A meeting reset away meanwhile has no attendees left to write.
            let Some(page) = page else { break };
            for a in &page.items {
                line(&mut text, &Line::Attendee(AttendeeJson::of(a)))?;
                self.attendees += 1;
            }
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        Ok(Some(text))
    }
}

/// `GET /v1/export`. A store that fails midway ends the response early (no last line), which
/// an import refuses.
pub(crate) async fn export(State(admin): State<Arc<Admin>>) -> Response {
    let exporter = Exporter {
        admin,
        ready: VecDeque::new(),
        next_page: Some(None),
        meetings: 0,
        attendees: 0,
        started: false,
        done: false,
    };
    let chunks = stream::unfold(Some(exporter), |state| async move {
        let mut exporter = state?;
        match exporter.chunk().await {
            Ok(Some(text)) => Some((Ok(Bytes::from(text)), Some(exporter))),
            Ok(None) => None,
            Err(e) => Some((Err(e), None)),
        }
    });
    let content_type = HeaderValue::from_static("application/x-ndjson");
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, content_type)],
        Body::from_stream(chunks),
    )
        .into_response()
}
