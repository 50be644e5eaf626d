//! The rules every backend applies alike, as pure functions of what the backend read inside its
//! transaction (under whatever locks keep those reads true until it commits). A backend reads,
//! asks here what follows, and writes; the storage conformance suite checks the whole.

use std::collections::{HashMap, HashSet};

use crate::domain::{AttendeeRecord, MeetingRecord, Tag};
use crate::store::{AttendeeOutcome, CreateMeetingOutcome, JoinLookup, NewMeeting, Page};

pub mod caused;
mod sweep;
pub use sweep::*;

/// What the writes to one meeting need to know of it, read (and, in a backend that locks rows,
/// locked) at the start of their transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveMeeting {
    /// The backend's key for the meeting's row: what its attendees and tags refer to, and its
    /// position in creation order.
    pub seq: i64,
    pub meeting_id: String,
    pub max_attendees: i64,
    /// How many undeleted attendees it holds.
    pub attendee_count: i64,
    pub primary_meeting_id: Option<String>,
}

impl ActiveMeeting {
    /// The meeting just stored under `seq`, before any attendee.
    pub fn inserted(record: &MeetingRecord, seq: i64) -> Self {
        ActiveMeeting {
            seq,
            meeting_id: record.meeting_id.clone(),
            max_attendees: i64::from(record.max_attendees()),
            attendee_count: 0,
            primary_meeting_id: record.primary_meeting_id.clone(),
        }
    }

    pub fn is_replica(&self) -> bool {
        self.primary_meeting_id.is_some()
    }
}

/// What a backend read, in the transaction that would create a meeting, for
/// [`creation_refusal`].
#[derive(Debug)]
pub struct CreationFacts {
    /// The scope's meeting with the new one's ClientRequestToken, active or ended.
    pub same_token: Option<MeetingRecord>,
    /// When `PrimaryMeetingId` is set: what the backend found under it.
    pub primary: Option<PrimaryFacts>,
    /// The scope already holds [`NewMeeting::max_active_meetings`] active meetings (never true
    /// when that is unlimited).
    pub at_quota: bool,
}

/// What a backend found under a new meeting's `PrimaryMeetingId`.
#[derive(Debug)]
pub struct PrimaryFacts {
    /// The active meeting of the scope with that id, if any.
    pub meeting: Option<ActiveMeeting>,
    /// How many active meetings name it as their primary.
    pub active_replicas: usize,
}

/// Whether a meeting may be created. The first rule that holds answers:
///
/// 1. the scope has a meeting with the same ClientRequestToken: that meeting, as it is, even
///    ended, even at the quota (a retry must see what the first attempt did);
/// 2. `PrimaryMeetingId` names no active meeting of the scope;
/// 3. it names a replica (a replica's primary must be a primary);
/// 4. the primary already has [`NewMeeting::max_replicas`] active replicas;
/// 5. the scope already holds [`NewMeeting::max_active_meetings`] active meetings.
///
/// `None`: create it.
pub fn creation_refusal(new: &NewMeeting, facts: CreationFacts) -> Option<CreateMeetingOutcome> {
    if let Some(meeting) = facts.same_token {
        return Some(CreateMeetingOutcome::Replayed { meeting });
    }
    if let Some(primary) = facts.primary {
        match primary.meeting {
            None => return Some(CreateMeetingOutcome::PrimaryNotFound),
            Some(meeting) if meeting.is_replica() => {
                return Some(CreateMeetingOutcome::PrimaryIsReplica)
            }
            Some(_) if primary.active_replicas >= new.max_replicas as usize => {
                return Some(CreateMeetingOutcome::TooManyReplicas)
            }
            Some(_) => {}
        }
    }
    facts
        .at_quota
        .then_some(CreateMeetingOutcome::TooManyMeetings)
}

/// The attendee cap of one meeting while attendees are created in order: a new attendee takes a
/// seat, one returned for its ExternalUserId takes none, and no new one is created once every
/// seat is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seats {
    taken: i64,
    max: i64,
    at_start: i64,
}

impl Seats {
    pub fn of(meeting: &ActiveMeeting) -> Self {
        Seats {
            taken: meeting.attendee_count,
            max: meeting.max_attendees,
            at_start: meeting.attendee_count,
        }
    }

    /// A new attendee fits.
    pub fn free(&self) -> bool {
        self.taken < self.max
    }

    /// `n` new attendees all fit.
    pub fn fit(&self, n: usize) -> bool {
        i64::try_from(n).unwrap_or(i64::MAX) <= self.max - self.taken
    }

    pub fn take(&mut self) {
        self.taken += 1;
    }

    /// How many seats are taken now, when that changed.
    pub fn changed(&self) -> Option<i64> {
        (self.taken != self.at_start).then_some(self.taken)
    }
}

/// What an attendee that was not inserted gets: the meeting's undeleted attendee with its
/// ExternalUserId, returned as it is; with none, the meeting was full.
pub fn not_inserted(existing: Option<AttendeeRecord>, external_user_id: String) -> AttendeeOutcome {
    match existing {
        Some(attendee) => AttendeeOutcome::Existing(attendee),
        None => AttendeeOutcome::LimitExceeded { external_user_id },
    }
}

/// The meetings that end when `meeting` ends, as `(seq, MeetingId)`, itself first: a primary
/// takes its active replicas (`active_replicas`, those that name it as their primary) with it; a
/// replica ends alone. Ending one deletes its attendees and tags, and is announced.
pub fn ending(meeting: ActiveMeeting, active_replicas: Vec<(i64, String)>) -> Vec<(i64, String)> {
    let replicas = if meeting.is_replica() {
        Vec::new()
    } else {
        active_replicas
    };
    let mut ending = Vec::with_capacity(1 + replicas.len());
    ending.push((meeting.seq, meeting.meeting_id));
    ending.extend(replicas);
    ending
}

/// Tags as a resource keeps them: a key given twice counts once, keeps the place it was first
/// given and takes the last value given.
pub fn dedup_tags(tags: Vec<Tag>) -> Vec<Tag> {
    let mut index: HashMap<String, usize> = HashMap::with_capacity(tags.len());
    let mut kept: Vec<Tag> = Vec::with_capacity(tags.len());
    for tag in tags {
        match index.get(&tag.key) {
            Some(&i) => kept[i].value = tag.value,
            None => {
                index.insert(tag.key.clone(), kept.len());
                kept.push(tag);
            }
        }
    }
    kept
}

/// The tags to add or overwrite on a resource whose tags have `existing_keys`, as
/// [`dedup_tags`] has them; `None` when the resource would end up with more than `max_tags`
/// tags, and then nothing may change.
pub fn merge_tags(
    existing_keys: impl IntoIterator<Item = String>,
    tags: Vec<Tag>,
    max_tags: usize,
) -> Option<Vec<Tag>> {
    let existing: HashSet<String> = existing_keys.into_iter().collect();
    let tags = dedup_tags(tags);
    let added = tags.iter().filter(|t| !existing.contains(&t.key)).count();
    (existing.len() + added <= max_tags).then_some(tags)
}

/// How many rows to read for a page of at most `limit` items: one more, whose presence says that
/// another page follows.
pub fn rows_for_page(limit: usize) -> i64 {
    i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX)
}

/// The page of at most `limit` items from rows read after position `after` with
/// [`rows_for_page`]`(limit)`, each row with its position. When another page follows, `next` is
/// the position of the last item kept (`after` when none was).
pub fn page<T>(mut rows: Vec<(T, i64)>, limit: usize, after: Option<i64>) -> Page<T> {
    let next = (rows.len() > limit).then(|| {
        rows.truncate(limit);
        rows.last()
            .map_or(after.unwrap_or(0), |(_, position)| *position)
    });
    Page {
        items: rows.into_iter().map(|(item, _)| item).collect(),
        next,
    }
}

/// What a JoinToken's two ids find, from the meeting with that id in any scope (active or
/// ended) and that meeting's attendee with that id. An ended meeting has no attendees left, and
/// is told apart from an unknown one.
pub fn join_lookup(meeting: Option<MeetingRecord>, attendee: Option<AttendeeRecord>) -> JoinLookup {
    match (meeting, attendee) {
        (None, _) => JoinLookup::MeetingNotFound,
        (Some(meeting), _) if !meeting.is_active() => JoinLookup::MeetingEnded(meeting),
        (Some(meeting), Some(attendee)) => JoinLookup::Found(meeting, attendee),
        (Some(meeting), None) => JoinLookup::AttendeeNotFound(meeting),
    }
}

#[cfg(test)]
mod sweep_tests;
#[cfg(test)]
pub(crate) mod tests;
