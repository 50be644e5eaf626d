//! Reading back, many requests at once: a meeting and its attendees, one attendee.

use std::future::Future;
use std::sync::{Arc, Mutex};

use aws_sdk_chimesdkmeetings::operation::get_attendee::GetAttendeeError;
use aws_sdk_chimesdkmeetings::operation::get_meeting::GetMeetingError;
use aws_sdk_chimesdkmeetings::operation::list_attendees::ListAttendeesError;
use aws_sdk_chimesdkmeetings::types::Attendee;
use aws_sdk_chimesdkmeetings::Client;
use tokio::task::JoinSet;

use crate::outcome::describe;

/// Runs `f` on every item, `width` at a time.
pub(crate) async fn in_parallel<T, R, F, Fut>(items: Vec<T>, width: usize, f: F) -> Vec<R>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
{
    let queue = Arc::new(Mutex::new(items.into_iter()));
    let f = Arc::new(f);
    let mut tasks = JoinSet::new();
    for _ in 0..width {
        let queue = Arc::clone(&queue);
        let f = Arc::clone(&f);
        tasks.spawn(async move {
            let mut out = Vec::new();
            loop {
                let next = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
                let Some(item) = next else { break };
                out.push(f(item).await);
            }
            out
        });
    }
    let mut all = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        all.extend(joined.expect("a check task panicked"));
    }
    all
}

/// What the restarted server says about one meeting.
pub(crate) struct MeetingSeen {
    pub(crate) id: String,
    /// `Ok(Some(MeetingId))`, `Ok(None)` for NotFound.
    pub(crate) get: Result<Option<String>, String>,
    /// Every page of ListAttendees; `Ok(None)` for NotFound.
    pub(crate) list: Result<Option<Vec<Attendee>>, String>,
}

pub(crate) async fn see_meeting(client: Client, id: String) -> MeetingSeen {
    let get = match client.get_meeting().meeting_id(&id).send().await {
        Ok(out) => Ok(Some(
            out.meeting.and_then(|m| m.meeting_id).unwrap_or_default(),
        )),
        Err(e)
            if matches!(
                e.as_service_error(),
                Some(GetMeetingError::NotFoundException(_))
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(format!("GetMeeting {id}: {}", describe(&e))),
    };
    let mut list = Ok(Some(Vec::new()));
    let mut next: Option<String> = None;
    loop {
        match client
            .list_attendees()
            .meeting_id(&id)
            .max_results(100)
            .set_next_token(next.clone())
            .send()
            .await
        {
            Ok(page) => {
                if let Ok(Some(all)) = &mut list {
                    all.extend(page.attendees().iter().cloned());
                }
                match page.next_token() {
                    Some(t) => next = Some(t.to_string()),
                    None => break,
                }
            }
            Err(e)
                if next.is_none()
                    && matches!(
                        e.as_service_error(),
                        Some(ListAttendeesError::NotFoundException(_))
                    ) =>
            {
                list = Ok(None);
                break;
            }
            Err(e) => {
                list = Err(format!("ListAttendees {id}: {}", describe(&e)));
                break;
            }
        }
    }
    MeetingSeen { id, get, list }
}

/// A GetAttendee to send: `Some(attendee)` if it must be found as listed, `None` if NotFound.
pub(crate) struct AttendeeProbe {
    pub(crate) meeting_id: String,
    pub(crate) attendee_id: String,
    pub(crate) expect: Option<Attendee>,
    /// Checked after an earlier restart and unchanged since: may be left out of a long run.
    pub(crate) settled: bool,
}

pub(crate) async fn probe_attendee(client: Client, p: AttendeeProbe) -> Option<String> {
    let got = client
        .get_attendee()
        .meeting_id(&p.meeting_id)
        .attendee_id(&p.attendee_id)
        .send()
        .await;
    let (mid, aid) = (&p.meeting_id, &p.attendee_id);
    match (got, p.expect) {
        (Ok(out), Some(expected)) => match out.attendee {
            Some(a) if a == expected => None,
            other => Some(format!(
                "GetAttendee {mid}/{aid} differs from ListAttendees: {other:?} vs {expected:?}"
            )),
        },
        (Ok(_), None) => Some(format!(
            "GetAttendee {mid}/{aid} finds an attendee that must be gone (deleted, or its meeting \
             deleted) and that ListAttendees does not list"
        )),
        (Err(e), None)
            if matches!(
                e.as_service_error(),
                Some(GetAttendeeError::NotFoundException(_))
            ) =>
        {
            None
        }
        (Err(e), _) => Some(format!("GetAttendee {mid}/{aid}: {}", describe(&e))),
    }
}
