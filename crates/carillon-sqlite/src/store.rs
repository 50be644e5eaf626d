//! [`Store`] for [`SqliteStore`]: each operation runs on the writer (a write) or on a reader (a
//! read), calling the `meetings`, `attendees`, `tags`, `events` and `deliveries` functions that
//! hold its statements. A write that causes events records them through its [`Recorder`](crate::events::Recorder).

use async_trait::async_trait;
use carillon_core::events::outbox::{
    Claim, ClientEvent, DeadLetter, Delivery, DeliveryKey, EventPosition, EventRouting, Settlement,
    StoredEvent,
};
use carillon_core::transcription::TranscriptionConfiguration;
use carillon_core::{
    AttendeeCapabilities, AttendeeLookup, AttendeeOutcome, AttendeePage, AttendeeRecord,
    CreateMeetingOutcome, EndedMeeting, JoinLookup, LifecyclePolicy, LiveChange, MeetingEvent,
    MeetingPage, MeetingRecord, NewAttendee, NewMeeting, PresenceMark, Scope, Store, StoreError,
    StoreResult, Tag, TagOutcome,
};

use carillon_core::store::admin::{
    ImportRefusal, Imported, MeetingFilter, StoredAttendee, StoredMeeting,
};
use carillon_core::Page;

use rusqlite::Connection;

use crate::hot::{self, Changed, Keep, ROSTER_MAX};
use crate::scoped::{with_attendee, with_meeting};
use crate::{admin, attendees, deliveries, events, lifecycle, meetings, scoped, tags, SqliteStore};

#[async_trait]
impl Store for SqliteStore {
    async fn create_meeting(
        &self,
        meeting: NewMeeting,
        attendees: Vec<NewAttendee>,
    ) -> StoreResult<CreateMeetingOutcome> {
        self.write_recording(
            nothing,
            move |conn, rec| meetings::create(conn, rec, meeting, attendees),
            None,
        )
        .await
    }

    async fn get_meeting(
        &self,
        scope: &Scope,
        meeting_id: &str,
    ) -> StoreResult<Option<MeetingRecord>> {
        if let Some(record) = self.hot.meeting(scope, meeting_id) {
            return Ok(Some(record));
        }
        let ticket = self.hot.ticket();
        let (scope, meeting_id) = (scope.clone(), meeting_id.to_owned());
        let found = self
            .read_statement(move |conn| meetings::get(conn, &scope, &meeting_id))
            .await?;
        if let Some(record) = &found {
            self.hot.keep(ticket, Keep::Meeting(record.clone()));
        }
        Ok(found)
    }

    async fn end_meeting(
        &self,
        scope: &Scope,
        meeting_id: &str,
        now_ms: i64,
    ) -> StoreResult<Option<()>> {
        let (scope, meeting_id) = (scope.clone(), meeting_id.to_owned());
        let changes = self.changes.clone();
        let ended = self
            .write_recording(
                |ended: &Option<Vec<String>>| Changed::Meetings(ended.clone().unwrap_or_default()),
                move |conn, rec| meetings::end(conn, rec, &scope, &meeting_id, now_ms),
                Some(Box::new(move |ended: &Option<Vec<String>>| {
                    for meeting_id in ended.iter().flatten() {
                        changes.publish(LiveChange::MeetingEnded {
                            meeting_id: meeting_id.clone(),
                        });
                    }
                })),
            )
            .await?;
        Ok(ended.map(drop))
    }

    async fn create_attendees(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendees: Vec<NewAttendee>,
    ) -> StoreResult<Option<Vec<AttendeeOutcome>>> {
        let (scope, meeting_id) = (scope.clone(), meeting_id.to_owned());
        let roster = Changed::Roster(meeting_id.clone());
        self.write_recording(
            move |_: &_| roster,
            move |conn, rec| scoped::create_attendees(conn, rec, &scope, &meeting_id, attendees),
            None,
        )
        .await
    }

    async fn get_attendee(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
    ) -> StoreResult<AttendeeLookup<AttendeeRecord>> {
        if let Some(hit) = self.hot.attendee(scope, meeting_id, attendee_id) {
            return Ok(hit);
        }
        let ticket = self.hot.ticket();
        let held = self.hot.holds(scope, meeting_id);
        let (scope, meeting_id) = (scope.clone(), meeting_id.to_owned());
        let attendee_id = attendee_id.to_owned();
        let (found, meeting) = self
            .read_statement(move |conn| {
                let found = attendees::find_in_meeting(conn, &scope, &meeting_id, &attendee_id)?;
                // The meeting's record too, to hold the attendee under it.
                let meeting = match found {
                    AttendeeLookup::Found(_) if !held => meetings::get(conn, &scope, &meeting_id)?,
                    _ => None,
                };
                Ok((found, meeting))
            })
            .await?;
        if let AttendeeLookup::Found(attendee) = &found {
            self.hot
                .keep(ticket, Keep::Attendee(meeting, attendee.clone()));
        }
        Ok(found)
    }

    /// A page from the meeting's roster when it is held. Otherwise the first miss reads the page
    /// and the meeting's record (so that one-off reads of many meetings stay as cheap as the
    /// page), and a later one reads and holds the whole roster.
    async fn list_attendees(
        &self,
        scope: &Scope,
        meeting_id: &str,
        after: Option<i64>,
        limit: usize,
    ) -> StoreResult<Option<AttendeePage>> {
        if let Some(page) = self.hot.page(scope, meeting_id, after, limit) {
            return Ok(Some(page));
        }
        let ticket = self.hot.ticket();
        let held = self.hot.holds(scope, meeting_id);
        let (scope, meeting_id) = (scope.clone(), meeting_id.to_owned());
        let (page, keep) = self
            .read_statement(move |conn| list_missed(conn, &scope, &meeting_id, after, limit, held))
            .await?;
        if let Some(keep) = keep {
            self.hot.keep(ticket, keep);
        }
        Ok(page)
    }

    async fn delete_attendee(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
    ) -> StoreResult<AttendeeLookup<()>> {
        let (scope, meeting_id) = (scope.clone(), meeting_id.to_owned());
        let attendee_id = attendee_id.to_owned();
        let change = LiveChange::AttendeeDeleted {
            meeting_id: meeting_id.clone(),
            attendee_id: attendee_id.clone(),
        };
        let changes = self.changes.clone();
        let changed = Changed::attendee(&meeting_id, &attendee_id);
        self.write_recording(
            move |_: &_| changed,
            move |conn, rec| scoped::delete_attendee(conn, rec, &scope, &meeting_id, &attendee_id),
            Some(Box::new(move |deleted: &AttendeeLookup<()>| {
                if *deleted == AttendeeLookup::Found(()) {
                    changes.publish(change);
                }
            })),
        )
        .await
    }

    async fn update_attendee_capabilities(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
        capabilities: AttendeeCapabilities,
    ) -> StoreResult<AttendeeLookup<AttendeeRecord>> {
        let (scope, meeting_id) = (scope.clone(), meeting_id.to_owned());
        let attendee_id = attendee_id.to_owned();
        let change = LiveChange::CapabilitiesChanged {
            meeting_id: meeting_id.clone(),
        };
        let changes = self.changes.clone();
        let changed = Changed::attendee(&meeting_id, &attendee_id);
        self.write_recording(
            move |_: &_| changed,
            move |conn, rec| {
                let (id, caps) = (&meeting_id, &capabilities);
                scoped::update_capabilities(conn, rec, &scope, id, &attendee_id, caps)
            },
            Some(Box::new(move |updated: &AttendeeLookup<AttendeeRecord>| {
                if matches!(updated, AttendeeLookup::Found(_)) {
                    changes.publish(change);
                }
            })),
        )
        .await
    }

    async fn update_capabilities_except(
        &self,
        scope: &Scope,
        meeting_id: &str,
        excluded_attendee_ids: &[String],
        capabilities: AttendeeCapabilities,
    ) -> StoreResult<Option<()>> {
        let (scope, meeting_id) = (scope.clone(), meeting_id.to_owned());
        let excluded = excluded_attendee_ids.to_vec();
        let change = LiveChange::CapabilitiesChanged {
            meeting_id: meeting_id.clone(),
        };
        let changes = self.changes.clone();
        let changed = Changed::AttendeesOf(meeting_id.clone());
        self.write_recording(
            move |_: &_| changed,
            move |conn, rec| {
                let (id, caps) = (&meeting_id, &capabilities);
                scoped::update_capabilities_except(conn, rec, &scope, id, &excluded, caps)
            },
            Some(Box::new(move |updated: &Option<()>| {
                if updated.is_some() {
                    changes.publish(change);
                }
            })),
        )
        .await
    }

    async fn set_transcription(
        &self,
        scope: &Scope,
        meeting_id: &str,
        configuration: Option<TranscriptionConfiguration>,
    ) -> StoreResult<Option<()>> {
        let (scope, meeting_id) = (scope.clone(), meeting_id.to_owned());
        let changed = Changed::Meetings(vec![meeting_id.clone()]);
        self.write_recording(
            move |_: &_| changed,
            move |conn, rec| {
                let config = configuration.as_ref();
                meetings::set_transcription(conn, rec, &scope, &meeting_id, config)
            },
            None,
        )
        .await
    }

    async fn tag_meeting(
        &self,
        scope: &Scope,
        meeting_id: &str,
        tags: Vec<Tag>,
        max_tags: usize,
    ) -> StoreResult<Option<TagOutcome>> {
        let (scope, meeting_id) = (scope.clone(), meeting_id.to_owned());
        self.write(nothing, move |conn| {
            with_meeting(conn, &scope, &meeting_id, |meeting| {
                tags::tag(conn, &tags::MEETING, meeting.seq, tags, max_tags)
            })
        })
        .await
    }

    async fn untag_meeting(
        &self,
        scope: &Scope,
        meeting_id: &str,
        keys: Vec<String>,
    ) -> StoreResult<Option<()>> {
        let (scope, meeting_id) = (scope.clone(), meeting_id.to_owned());
        self.write(nothing, move |conn| {
            with_meeting(conn, &scope, &meeting_id, |meeting| {
                tags::untag(conn, &tags::MEETING, meeting.seq, &keys)
            })
        })
        .await
    }

    async fn list_meeting_tags(
        &self,
        scope: &Scope,
        meeting_id: &str,
    ) -> StoreResult<Option<Vec<Tag>>> {
        let (scope, meeting_id) = (scope.clone(), meeting_id.to_owned());
        self.read(move |conn| {
            with_meeting(conn, &scope, &meeting_id, |meeting| {
                tags::list(conn, &tags::MEETING, meeting.seq)
            })
        })
        .await
    }

    async fn list_meetings(
        &self,
        scope: &Scope,
        after: Option<i64>,
        limit: usize,
    ) -> StoreResult<MeetingPage> {
        let scope = scope.clone();
        self.read(move |conn| meetings::list(conn, &scope, after, limit))
            .await
    }

    async fn tag_attendee(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
        tags: Vec<Tag>,
        max_tags: usize,
    ) -> StoreResult<AttendeeLookup<TagOutcome>> {
        let (scope, meeting_id) = (scope.clone(), meeting_id.to_owned());
        let attendee_id = attendee_id.to_owned();
        self.write(nothing, move |conn| {
            with_attendee(conn, &scope, &meeting_id, &attendee_id, |seq| {
                tags::tag(conn, &tags::ATTENDEE, seq, tags, max_tags)
            })
        })
        .await
    }

    async fn untag_attendee(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
        keys: Vec<String>,
    ) -> StoreResult<AttendeeLookup<()>> {
        let (scope, meeting_id) = (scope.clone(), meeting_id.to_owned());
        let attendee_id = attendee_id.to_owned();
        self.write(nothing, move |conn| {
            with_attendee(conn, &scope, &meeting_id, &attendee_id, |seq| {
                tags::untag(conn, &tags::ATTENDEE, seq, &keys)
            })
        })
        .await
    }

    async fn list_attendee_tags(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
    ) -> StoreResult<AttendeeLookup<Vec<Tag>>> {
        let (scope, meeting_id) = (scope.clone(), meeting_id.to_owned());
        let attendee_id = attendee_id.to_owned();
        self.read(move |conn| {
            with_attendee(conn, &scope, &meeting_id, &attendee_id, |seq| {
                tags::list(conn, &tags::ATTENDEE, seq)
            })
        })
        .await
    }

    async fn join_lookup(&self, meeting_id: &str, attendee_id: &str) -> StoreResult<JoinLookup> {
        let (meeting_id, attendee_id) = (meeting_id.to_owned(), attendee_id.to_owned());
        self.read(move |conn| meetings::join_lookup(conn, &meeting_id, &attendee_id))
            .await
    }

    async fn mark_presence(&self, marks: &[PresenceMark]) -> StoreResult<()> {
        if marks.is_empty() {
            return Ok(());
        }
        let marks = marks.to_vec();
        self.write(nothing, move |conn| lifecycle::mark_presence(conn, &marks))
            .await
    }

    async fn end_expired(
        &self,
        now_ms: i64,
        policy: &LifecyclePolicy,
    ) -> StoreResult<Vec<EndedMeeting>> {
        let policy = policy.clone();
        let changes = self.changes.clone();
        self.write_recording(
            |ended: &Vec<EndedMeeting>| {
                Changed::Meetings(ended.iter().map(|m| m.meeting_id.clone()).collect())
            },
            move |conn, rec| lifecycle::end_expired(conn, rec, now_ms, &policy),
            Some(Box::new(move |ended: &Vec<EndedMeeting>| {
                for meeting in ended {
                    changes.publish(LiveChange::MeetingEnded {
                        meeting_id: meeting.meeting_id.clone(),
                    });
                }
            })),
        )
        .await
    }

    fn set_event_routing(&self, routing: EventRouting) {
        self.set_routing(routing);
    }

    async fn record_events(&self, events: Vec<MeetingEvent>) -> StoreResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        self.write_recording(
            nothing,
            move |conn, rec| rec.record_for_ids(conn, events),
            None,
        )
        .await
    }

    async fn record_client_events(&self, events: Vec<ClientEvent>) -> StoreResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        self.write_recording(
            nothing,
            move |conn, rec| rec.record_client(conn, events),
            None,
        )
        .await
    }

    async fn events_after(
        &self,
        after: EventPosition,
        limit: usize,
    ) -> StoreResult<Vec<StoredEvent>> {
        self.read(move |conn| events::after(conn, after, limit))
            .await
    }

    async fn last_event_position(&self) -> StoreResult<EventPosition> {
        self.read(events::last_position).await
    }

    async fn claim_deliveries(&self, claim: &Claim) -> StoreResult<Vec<Delivery>> {
        let claim = claim.clone();
        self.write(nothing, move |conn| deliveries::claim(conn, &claim))
            .await
    }

    async fn settle_deliveries(&self, settlements: Vec<Settlement>) -> StoreResult<()> {
        if settlements.is_empty() {
            return Ok(());
        }
        self.write(nothing, move |conn| deliveries::settle(conn, &settlements))
            .await
    }

    async fn dead_letters(
        &self,
        after: Option<DeliveryKey>,
        limit: usize,
    ) -> StoreResult<Vec<DeadLetter>> {
        self.read(move |conn| deliveries::dead_letters(conn, after.as_ref(), limit))
            .await
    }

    async fn replay_dead_letters(
        &self,
        keys: Option<Vec<DeliveryKey>>,
        now_ms: i64,
    ) -> StoreResult<u64> {
        self.write(nothing, move |conn| {
            deliveries::replay(conn, keys.as_deref(), now_ms)
        })
        .await
    }

    async fn prune_events(&self, before_ms: i64, limit: usize) -> StoreResult<u64> {
        self.write(nothing, move |conn| {
            deliveries::prune(conn, before_ms, limit)
        })
        .await
    }

    fn events_logged(&self) -> tokio::sync::watch::Receiver<u64> {
        self.logged.subscribe()
    }

    fn changes(&self) -> tokio::sync::broadcast::Receiver<LiveChange> {
        self.changes.subscribe()
    }

    async fn admin_meetings(
        &self,
        filter: &MeetingFilter,
        after: Option<i64>,
        limit: usize,
    ) -> StoreResult<Page<StoredMeeting>> {
        let filter = filter.clone();
        self.read(move |conn| admin::meetings(conn, &filter, after, limit))
            .await
    }

    async fn admin_meeting(&self, meeting_id: &str) -> StoreResult<Option<(StoredMeeting, u64)>> {
        let meeting_id = meeting_id.to_ascii_lowercase();
        self.read(move |conn| admin::meeting_with_events(conn, &meeting_id))
            .await
    }

    async fn admin_attendees(
        &self,
        meeting_id: &str,
        after: Option<i64>,
        limit: usize,
    ) -> StoreResult<Option<Page<StoredAttendee>>> {
        let meeting_id = meeting_id.to_ascii_lowercase();
        self.read(move |conn| admin::attendees(conn, &meeting_id, after, limit))
            .await
    }

    async fn is_empty(&self) -> StoreResult<bool> {
        self.read(admin::is_empty).await
    }

    async fn reset(&self) -> StoreResult<()> {
        let changes = self.changes.clone();
        self.write_recording(
            |_: &()| Changed::Everything,
            |conn, _| admin::reset(conn),
            Some(Box::new(move |_: &()| changes.publish(LiveChange::Resync))),
        )
        .await
    }

    async fn import(&self, items: Vec<Imported>) -> StoreResult<Result<(), ImportRefusal>> {
        if items.is_empty() {
            return Ok(Ok(()));
        }
        self.write(
            |_: &_| Changed::Everything,
            move |conn| admin::import(conn, items),
        )
        .await
    }

    /// Goes through the writer: it is the part that can stop (a full disk, a lost file).
    async fn ping(&self) -> StoreResult<()> {
        self.write(nothing, |conn| {
            conn.query_row("SELECT 1", [], |_| Ok(()))
                .map_err(|e| StoreError::new(format!("sqlite: ping: {e}")))
        })
        .await
    }
}

/// ListAttendees after the hot cache missed: a held meeting's whole roster (the page is cut from
/// it, as the database would cut it), else the page and the meeting's record, with what to keep.
fn list_missed(
    conn: &Connection,
    scope: &Scope,
    meeting_id: &str,
    after: Option<i64>,
    limit: usize,
    held: bool,
) -> StoreResult<(Option<AttendeePage>, Option<Keep>)> {
    if held {
        match attendees::rows_in_meeting(conn, scope, meeting_id, None, ROSTER_MAX)? {
            None => return Ok((None, None)),
            Some(roster) if roster.len() <= ROSTER_MAX => {
                let page = hot::page_of(&roster, after, limit);
                return Ok((
                    Some(page),
                    Some(Keep::Roster(meeting_id.to_owned(), roster)),
                ));
            }
            // More than a roster holds: the page alone, as for a meeting not held.
            Some(_) => {}
        }
    }
    let page = attendees::list_in_meeting(conn, scope, meeting_id, after, limit)?;
    let meeting = match (&page, held) {
        (Some(_), false) => meetings::get(conn, scope, meeting_id)?,
        _ => None,
    };
    Ok((page, meeting.map(Keep::Meeting)))
}

/// What most writes change among the records the hot cache holds: none of them.
fn nothing<T>(_: &T) -> Changed {
    Changed::Nothing
}
