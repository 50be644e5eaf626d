//! Hot meetings and attendees, served from memory.
//!
//! One process owns the database file and every write goes through its one writer thread, so a
//! cache can be exact: each write says what it changed ([`Changed`]) and the writer forgets those
//! records once the write is committed, before it is acknowledged. A read that acknowledged
//! writes could affect therefore never finds a record they made stale.
//!
//! Records come into the cache only from reads, never from the writer (whose thread bounds every
//! write's throughput). A read that missed takes a [`Ticket`] before reading the database and
//! keeps what it read only if no write has forgotten anything since: otherwise the record it read
//! may predate a write whose forgetting already ran. Both happen under one lock, so a record read
//! before a commit is either refused (the commit's forgetting ran first) or kept and then
//! forgotten by it.
//!
//! What is held:
//! - active meetings' records, by MeetingId (an ended meeting is forgotten, and reads of it fall
//!   through to the database, which knows it as ended);
//! - under a held meeting, attendees read one by one (GetAttendee, by AttendeeId), and the
//!   meeting's whole roster in creation order with each attendee's position (ListAttendees,
//!   pages cut from it as the database would cut them) when it has at most [`ROSTER_MAX`].
//!
//! Only records found are held: a create therefore changes no held record, only the roster.
//! Memory is bounded: at most [`MEETINGS_MAX`] meetings and about [`ATTENDEES_MAX`] attendees;
//! past either, a meeting chosen at random is dropped with all it holds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use carillon_core::{AttendeeLookup, AttendeePage, AttendeeRecord, MeetingRecord, Scope};
use indexmap::IndexMap;

/// Meetings held at most.
pub(crate) const MEETINGS_MAX: usize = 10_000;
/// Attendees held at most, one by one and in rosters together (a few hundred bytes each).
pub(crate) const ATTENDEES_MAX: usize = 50_000;
/// The largest roster held; a larger meeting's pages are read from the database.
pub(crate) const ROSTER_MAX: usize = 1_000;

/// What a committed write changed among the records the cache may hold. Every write says it;
/// saying less than it changed would let a read serve a stale record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Changed {
    /// No meeting's or attendee's record (tags, events, deliveries, presence, a new meeting).
    Nothing,
    /// These meetings' records (ended or altered), and so everything held under them.
    Meetings(Vec<String>),
    /// Which attendees the meeting has (some were created), not any held attendee's record.
    Roster(String),
    /// One attendee's record (altered or deleted), and so its meeting's roster.
    Attendee {
        meeting_id: String,
        attendee_id: String,
    },
    /// Every attendee record of the meeting.
    AttendeesOf(String),
    /// Anything (a reset, an import).
    Everything,
}

impl Changed {
    pub(crate) fn attendee(meeting_id: &str, attendee_id: &str) -> Self {
        Changed::Attendee {
            meeting_id: meeting_id.to_owned(),
            attendee_id: attendee_id.to_owned(),
        }
    }
}

/// What a read that missed saw of the cache before reading the database: see [`Hot::keep`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ticket(u64);

/// An answer from memory, or `None` when the database must be read.
pub(crate) type Hit<T> = Option<T>;

#[derive(Default)]
pub(crate) struct Hot {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Bumped by every forgetting that may have removed something.
    generation: u64,
    meetings: IndexMap<String, Held>,
    /// Attendees held, one by one and in rosters.
    attendees: usize,
}

struct Held {
    record: MeetingRecord,
    one_by_one: HashMap<String, AttendeeRecord>,
    /// Every attendee in creation order, each with its position.
    roster: Option<Arc<[(AttendeeRecord, i64)]>>,
}

impl Held {
    fn size(&self) -> usize {
        self.one_by_one.len() + self.roster.as_ref().map_or(0, |r| r.len())
    }
}

/// What a read that missed brings back to keep.
pub(crate) enum Keep {
    Meeting(MeetingRecord),
    /// An attendee of a meeting, with the meeting's record when it was read too.
    Attendee(Option<MeetingRecord>, AttendeeRecord),
    /// A held meeting's whole roster.
    Roster(String, Vec<(AttendeeRecord, i64)>),
}

impl Hot {
    /// The active meeting of `scope` with this id, if held.
    pub(crate) fn meeting(&self, scope: &Scope, meeting_id: &str) -> Hit<MeetingRecord> {
        let state = self.lock();
        state
            .held(scope, meeting_id)
            .map(|held| held.record.clone())
    }

    /// Whether the meeting is held (a read that missed need not read its record again).
    pub(crate) fn holds(&self, scope: &Scope, meeting_id: &str) -> bool {
        self.lock().held(scope, meeting_id).is_some()
    }

    /// GetAttendee from memory: found one by one or in the roster, or absent from a held roster.
    pub(crate) fn attendee(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
    ) -> Hit<AttendeeLookup<AttendeeRecord>> {
        let state = self.lock();
        let held = state.held(scope, meeting_id)?;
        if let Some(attendee) = held.one_by_one.get(attendee_id) {
            return Some(AttendeeLookup::Found(attendee.clone()));
        }
        let roster = held.roster.as_ref()?;
        Some(
            match roster.iter().find(|(a, _)| a.attendee_id == attendee_id) {
                Some((attendee, _)) => AttendeeLookup::Found(attendee.clone()),
                None => AttendeeLookup::AttendeeNotFound,
            },
        )
    }

    /// ListAttendees from a held roster: the page the database would give.
    pub(crate) fn page(
        &self,
        scope: &Scope,
        meeting_id: &str,
        after: Option<i64>,
        limit: usize,
    ) -> Hit<AttendeePage> {
        let roster = {
            let state = self.lock();
            state.held(scope, meeting_id)?.roster.clone()?
        };
        Some(page_of(&roster, after, limit))
    }

    pub(crate) fn ticket(&self) -> Ticket {
        Ticket(self.lock().generation)
    }

    /// Keeps what a read brought back, unless a write has forgotten anything since `ticket`.
    /// An attendee or roster is kept only under a held meeting (or the one read with it).
    pub(crate) fn keep(&self, ticket: Ticket, keep: Keep) {
        let mut state = self.lock();
        if state.generation != ticket.0 {
            return;
        }
        let (meeting, size) = match &keep {
            Keep::Meeting(record) => (Some(record), 0),
            Keep::Attendee(meeting, _) => (meeting.as_ref(), 1),
            Keep::Roster(_, roster) => (None, roster.len()),
        };
        if size > ROSTER_MAX {
            return;
        }
        let new_meeting = meeting
            .filter(|r| r.is_active() && !state.meetings.contains_key(&r.meeting_id))
            .cloned();
        state.make_room(usize::from(new_meeting.is_some()), size);
        if let Some(record) = new_meeting {
            let held = Held {
                record,
                one_by_one: HashMap::new(),
                roster: None,
            };
            state.meetings.insert(held.record.meeting_id.clone(), held);
        }
        let added = match keep {
            Keep::Meeting(_) => 0,
            Keep::Attendee(_, attendee) => match state.meetings.get_mut(&attendee.meeting_id) {
                Some(held) => {
                    let key = attendee.attendee_id.clone();
                    usize::from(held.one_by_one.insert(key, attendee).is_none())
                }
                None => 0,
            },
            Keep::Roster(meeting_id, roster) => match state.meetings.get_mut(&meeting_id) {
                Some(held) if held.roster.is_none() => {
                    held.roster = Some(roster.into());
                    size
                }
                _ => 0,
            },
        };
        state.attendees += added;
    }

    /// Forgets what a committed write changed; runs on the writer thread before the write is
    /// acknowledged.
    pub(crate) fn forget(&self, changed: &Changed) {
        if *changed == Changed::Nothing {
            return;
        }
        let mut state = self.lock();
        state.generation = state.generation.wrapping_add(1);
        match changed {
            Changed::Nothing => {}
            Changed::Everything => {
                state.meetings.clear();
                state.attendees = 0;
            }
            Changed::Meetings(ids) => {
                for id in ids {
                    if let Some(held) = state.meetings.swap_remove(id) {
                        state.attendees -= held.size();
                    }
                }
            }
            Changed::Roster(meeting_id) => state.edit(meeting_id, |held| {
                held.roster = None;
            }),
            Changed::Attendee {
                meeting_id,
                attendee_id,
            } => state.edit(meeting_id, |held| {
                held.roster = None;
                held.one_by_one.remove(attendee_id);
            }),
            Changed::AttendeesOf(meeting_id) => state.edit(meeting_id, |held| {
                held.roster = None;
                held.one_by_one.clear();
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every change under the lock leaves the state whole (counts are updated last, and an
        // overcount only makes room early), so a panic elsewhere does not spoil it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl State {
    fn held(&self, scope: &Scope, meeting_id: &str) -> Option<&Held> {
        self.meetings
            .get(meeting_id)
            .filter(|held| held.record.scope == *scope)
    }

    /// Applies `edit` to a held meeting, keeping the count of attendees held true.
    fn edit(&mut self, meeting_id: &str, edit: impl FnOnce(&mut Held)) {
        if let Some(held) = self.meetings.get_mut(meeting_id) {
            let before = held.size();
            edit(held);
            let after = held.size();
            self.attendees -= before - after;
        }
    }

    /// Drops meetings at random until `meetings` more meetings and `attendees` more attendees fit.
    fn make_room(&mut self, meetings: usize, attendees: usize) {
        while !self.meetings.is_empty()
            && (self.meetings.len() + meetings > MEETINGS_MAX
                || self.attendees + attendees > ATTENDEES_MAX)
        {
            let victim = (self.generation as usize ^ self.attendees.wrapping_mul(0x9E37_79B9))
                % self.meetings.len();
            if let Some((_, held)) = self.meetings.swap_remove_index(victim) {
                self.attendees -= held.size();
            }
        }
    }
}

/// The page after position `after` of at most `limit` attendees, as `rules::page` cuts it from
/// the rows the database's page statement returns: `next` is the position of the last attendee
/// kept (`after` when none was) when more follow. Only the attendees kept are cloned.
pub(crate) fn page_of(
    roster: &[(AttendeeRecord, i64)],
    after: Option<i64>,
    limit: usize,
) -> AttendeePage {
    let start = roster.partition_point(|(_, position)| *position <= after.unwrap_or(0));
    let rest = &roster[start..];
    let kept = &rest[..limit.min(rest.len())];
    let next = (rest.len() > limit).then(|| kept.last().map_or(after.unwrap_or(0), |(_, p)| *p));
    AttendeePage {
        items: kept.iter().map(|(attendee, _)| attendee.clone()).collect(),
        next,
    }
}

#[cfg(test)]
mod tests;
