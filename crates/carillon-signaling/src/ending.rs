//! How the server ends a session, and what the SDK makes of it.
//!
//! The SDK reads two things: an AUDIO_STATUS frame (`MeetingSessionStatus.fromAudioStatus`:
//! 301 joined from another device, 403 authentication rejected, 409 at capacity, 410 meeting
//! ended, 411 attendee removed; all terminal) and the WebSocket close code. While it waits for
//! JOIN_ACK and INDEX, 4410 means MeetingEnded and any other close SignalingBadRequest (both
//! terminal). Once joined, a close with 1006 or 4500-4599 makes it reconnect, and any other close
//! raises nothing by itself; so a session ended for a reason the SDK must know is sent the
//! AUDIO_STATUS first.
//!
//! | ending | AUDIO_STATUS | close | the SDK |
//! |---|---|---|---|
//! | bad or stale token, content share not allowed | 403 | 4403 | `AudioAuthenticationRejected` |
//! | meeting ended or unknown, at join | — | 4410 | `MeetingEnded` |
//! | meeting ended, joined | 410 | 4410 | `MeetingEnded` |
//! | attendee deleted | 411 | 4411 | `AudioAttendeeRemoved` |
//! | the same attendee joined again | 301 | 4301 | `AudioJoinedFromAnotherDevice` |
//! | content shares at capacity | 409 | 4409 | `AudioCallAtCapacity` |
//! | not the protocol (frame before JOIN, undecodable frame, text) | — | 4400 | `SignalingBadRequest` at join |
//! | data messages over the hard limits | — | 4429 | no reconnect |
//! | nothing received for the idle timeout (four missed pings) | — | 4408 | no reconnect |
//! | send queue full (a client that does not read) | — | 4508 | reconnects |
//! | the node shuts down | — | 4503 | reconnects (to another node) |
//! | the client sent LEAVE but did not close | — | 1000 | — |
//! | a join refused by a fault rule | 403 | 4403 | `AudioAuthenticationRejected` |
//! | sessions dropped by an operator (fault injection) | — | none: the connection is cut (the SDK sees 1006) | reconnects |

/// Why the server ends a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ending {
    /// The AUDIO_STATUS frame sent before closing, if any.
    pub audio_status: Option<u32>,
    pub close_code: u16,
    /// The close frame's reason: short, and never anything from the client.
    pub reason: &'static str,
    /// A name for logs and metrics.
    pub name: &'static str,
}

impl Ending {
    /// Whether the connection is cut without a close frame (1006 is never sent: it is what a
    /// client reports for a connection lost without one).
    pub fn is_cut(&self) -> bool {
        self.close_code == 1006
    }

    const fn new(
        audio_status: Option<u32>,
        close_code: u16,
        name: &'static str,
        reason: &'static str,
    ) -> Self {
        Ending {
            audio_status,
            close_code,
            reason,
            name,
        }
    }

    pub const AUTHENTICATION: Ending =
        Ending::new(Some(403), 4403, "authentication", "join token refused");
    pub const CONTENT_NOT_ALLOWED: Ending = Ending::new(
        Some(403),
        4403,
        "content_not_allowed",
        "content share is not among the attendee's capabilities",
    );
    pub const MEETING_NOT_FOUND: Ending = Ending::new(
        None,
        4410,
        "meeting_not_found",
        "meeting not found or ended",
    );
    pub const MEETING_ENDED: Ending =
        Ending::new(Some(410), 4410, "meeting_ended", "meeting ended");
    pub const ATTENDEE_REMOVED: Ending =
        Ending::new(Some(411), 4411, "attendee_removed", "attendee removed");
    pub const REPLACED: Ending = Ending::new(
        Some(301),
        4301,
        "replaced",
        "the attendee joined from another connection",
    );
    pub const AT_CAPACITY: Ending =
        Ending::new(Some(409), 4409, "at_capacity", "the meeting is at capacity");
    pub const PROTOCOL: Ending = Ending::new(None, 4400, "protocol", "not the signaling protocol");
    pub const DATA_FLOOD: Ending = Ending::new(
        None,
        4429,
        "data_flood",
        "data messages over the hard limit",
    );
    pub const IDLE: Ending = Ending::new(None, 4408, "idle", "nothing received in time");
    pub const SLOW: Ending = Ending::new(None, 4508, "slow", "the client does not read its frames");
    pub const AFTER_LEAVE: Ending = Ending::new(None, 1000, "left", "left the meeting");
    /// A join refused by a fault rule: the refusal the SDK knows for a join the server turns
    /// down (AUDIO_STATUS 403, then a 4xxx close other than 4410 while it waits for JOIN_ACK:
    /// terminal), rather than 4410, which would tell the application the meeting ended.
    pub const FAULT_REFUSED: Ending = Ending::new(
        Some(403),
        4403,
        "fault_refused",
        "join refused by a fault rule",
    );
    /// A session cut by an operator as a network drop would cut it: no AUDIO_STATUS, no close
    /// frame ([`Ending::is_cut`]); the SDK sees an abnormal closure (1006) and reconnects.
    pub const FAULT_DROPPED: Ending = Ending::new(None, 1006, "fault_dropped", "");
    pub const GOING_AWAY: Ending =
        Ending::new(None, 4503, "going_away", "the server is shutting down");
}
