//! What live sessions must learn from the store: a meeting ended, an attendee was deleted.
//!
//! Each store announces these changes once they are durable, on every node that has sessions
//! (the signaling plane listens). The announcement comes from the store, not the service, so
//! that a meeting ended any way at all (DeleteMeeting of either API, the end of a primary that
//! takes its replicas along, and later an automatic end) reaches the sessions.

use tokio::sync::broadcast;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveChange {
    /// The meeting ended; its attendees are gone with it.
    MeetingEnded { meeting_id: String },
    /// One attendee was deleted.
    AttendeeDeleted {
        meeting_id: String,
        attendee_id: String,
    },
    /// Attendees' capabilities changed (UpdateAttendeeCapabilities, or the batch update of a
    /// meeting's attendees): whoever holds their sessions reads them again.
    CapabilitiesChanged { meeting_id: String },
    /// Changes may have been missed (a listener fell behind, or a connection that carries them
    /// between nodes was re-established): whoever holds sessions checks each against the store.
    Resync,
}

/// Changes not yet taken by a slow listener before it is told to resync instead.
const BACKLOG: usize = 4096;

/// The fan-out of one process: stores publish, listeners subscribe. A listener that falls more
/// than [`BACKLOG`] changes behind gets `Lagged` from its receiver, which it must treat as
/// [`LiveChange::Resync`].
#[derive(Debug, Clone)]
pub struct ChangeBus {
    sender: broadcast::Sender<LiveChange>,
}

impl Default for ChangeBus {
    fn default() -> Self {
        ChangeBus {
            sender: broadcast::channel(BACKLOG).0,
        }
    }
}

impl ChangeBus {
    /// Announces a change to every current listener (none listening is fine).
    pub fn publish(&self, change: LiveChange) {
        let _ = self.sender.send(change);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LiveChange> {
        self.sender.subscribe()
    }
}
