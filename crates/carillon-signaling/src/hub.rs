//! The rooms of this node, and what the store announces to them.
//!
//! A change (meeting ended, attendee deleted) is applied in two steps: it is first remembered
//! for a while (a tombstone), then the room, if any, ends the sessions concerned. A joiner is
//! checked against the tombstones under its room's lock, so one whose JoinToken was looked up
//! just before the change committed is either refused at the door or found in the room and
//! ended: never left connected.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use carillon_core::LiveChange;

use crate::data::DataLimits;
use crate::ending::Ending;
use crate::presence::PresenceReports;
use crate::room::Room;

/// How long a change is remembered for joiners that looked their token up before it. A token
/// lookup and the join that follows take far less.
const TOMBSTONE_TTL: Duration = Duration::from_secs(300);

#[derive(Debug, Default)]
struct Tombstones {
    ended: HashSet<String>,
    /// `(meeting, attendee)`.
    removed: HashSet<(String, String)>,
    order: VecDeque<(Instant, LiveChange)>,
}

impl Tombstones {
    fn remember(&mut self, change: &LiveChange, now: Instant) {
        while let Some((at, _)) = self.order.front() {
            if now.duration_since(*at) < TOMBSTONE_TTL {
                break;
            }
            if let Some((_, old)) = self.order.pop_front() {
                match old {
                    LiveChange::MeetingEnded { meeting_id } => {
                        self.ended.remove(&meeting_id);
                    }
                    LiveChange::AttendeeDeleted {
                        meeting_id,
                        attendee_id,
                    } => {
                        self.removed.remove(&(meeting_id, attendee_id));
                    }
                    LiveChange::CapabilitiesChanged { .. } | LiveChange::Resync => {}
                }
            }
        }
        match change {
            LiveChange::MeetingEnded { meeting_id } => {
                self.ended.insert(meeting_id.clone());
            }
            LiveChange::AttendeeDeleted {
                meeting_id,
                attendee_id,
            } => {
                self.removed
                    .insert((meeting_id.clone(), attendee_id.clone()));
            }
            // Not a refusal of anyone: nothing to remember.
            LiveChange::CapabilitiesChanged { .. } | LiveChange::Resync => return,
        }
        self.order.push_back((now, change.clone()));
    }

    fn check(&self, meeting_id: &str, attendee_id: &str) -> Result<(), Ending> {
        if self.ended.contains(meeting_id) {
            return Err(Ending::MEETING_ENDED);
        }
        let base = attendee_id
            .strip_suffix(carillon_core::ids::CONTENT_SUFFIX)
            .unwrap_or(attendee_id);
        if self
            .removed
            .contains(&(meeting_id.to_owned(), base.to_owned()))
        {
            return Err(Ending::ATTENDEE_REMOVED);
        }
        Ok(())
    }
}

#[derive(Debug)]
pub struct Hub {
    rooms: Mutex<HashMap<Arc<str>, Arc<Room>>>,
    tombstones: Mutex<Tombstones>,
    limits: DataLimits,
    presence: Arc<PresenceReports>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Hub {
    /// Rooms whose occupancy is recorded in `presence`.
    pub fn new(limits: DataLimits, presence: Arc<PresenceReports>) -> Self {
        Hub {
            rooms: Mutex::default(),
            tombstones: Mutex::default(),
            limits,
            presence,
        }
    }

    /// Where the rooms record their occupancy.
    pub fn presence(&self) -> &PresenceReports {
        &self.presence
    }

    /// The meeting's room, made when it has none.
    pub fn room(&self, meeting_id: &str) -> Arc<Room> {
        let mut rooms = lock(&self.rooms);
        if let Some(room) = rooms.get(meeting_id) {
            return room.clone();
        }
        let id: Arc<str> = meeting_id.into();
        let room = Arc::new(Room::new(id.clone(), self.limits, self.presence.clone()));
        rooms.insert(id, room.clone());
        room
    }

    /// Forgets `room` once nobody is in it.
    pub fn release(&self, room: &Arc<Room>) {
        let mut rooms = lock(&self.rooms);
        let current = rooms
            .get(&room.meeting_id)
            .is_some_and(|r| Arc::ptr_eq(r, room));
        if current && room.retire_if_empty() {
            rooms.remove(&room.meeting_id);
        }
    }

    /// Whether a joiner of this meeting may still get in, as far as changes seen here go.
    pub fn admitted(&self, meeting_id: &str, attendee_id: &str) -> Result<(), Ending> {
        lock(&self.tombstones).check(meeting_id, attendee_id)
    }

    /// Applies a change the store announced.
    pub fn apply(&self, change: &LiveChange) {
        lock(&self.tombstones).remember(change, Instant::now());
        match change {
            LiveChange::MeetingEnded { meeting_id } => {
                if let Some(room) = self.existing(meeting_id) {
                    room.end_meeting();
                    self.release(&room);
                }
            }
            LiveChange::AttendeeDeleted {
                meeting_id,
                attendee_id,
            } => {
                if let Some(room) = self.existing(meeting_id) {
                    room.remove_attendee(attendee_id);
                    self.release(&room);
                }
            }
            // Need the store: the plane reads them (`Plane::recapabilities`).
            LiveChange::CapabilitiesChanged { .. } | LiveChange::Resync => {}
        }
    }

    pub(crate) fn existing(&self, meeting_id: &str) -> Option<Arc<Room>> {
        lock(&self.rooms).get(meeting_id).cloned()
    }

    /// Every room, for a check against the store or a shutdown.
    pub fn rooms(&self) -> Vec<Arc<Room>> {
        lock(&self.rooms).values().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tombstones_refuse_joiners_of_what_changed() {
        let mut t = Tombstones::default();
        let now = Instant::now();
        t.remember(
            &LiveChange::AttendeeDeleted {
                meeting_id: "m".into(),
                attendee_id: "a".into(),
            },
            now,
        );
        assert_eq!(t.check("m", "a"), Err(Ending::ATTENDEE_REMOVED));
        assert_eq!(t.check("m", "a#content"), Err(Ending::ATTENDEE_REMOVED));
        assert_eq!(t.check("m", "b"), Ok(()));
        t.remember(
            &LiveChange::MeetingEnded {
                meeting_id: "n".into(),
            },
            now,
        );
        assert_eq!(t.check("n", "b"), Err(Ending::MEETING_ENDED));
        // Forgotten after their time.
        t.remember(&LiveChange::Resync, now + TOMBSTONE_TTL);
        assert_eq!(t.check("m", "a"), Ok(()));
        assert_eq!(t.check("n", "b"), Ok(()));
    }
}
