//! Who may join: the JoinToken (the second WebSocket subprotocol) names an attendee of the
//! meeting in the path, which must be active, and must match that attendee's token.
//!
//! The token is unpadded base64 of `<AttendeeId>:<secret>`, so the attendee to look up is read
//! from the token itself; the whole token is then compared, in constant time, with the one the
//! store holds. A content-share session presents `<JoinToken>#content` and joins as
//! `<AttendeeId>#content` (and `<ExternalUserId>#content`), as the SDK expects.
//!
//! What the attendee's capabilities change now: audio sets the direction of the audio section of
//! the SDP answer (`SendReceive` sendrecv, `Send` recvonly, `Receive` sendonly, `None` inactive:
//! the server's side of it); content must include sending for a content-share session to be
//! admitted. Video, and what audio and content carry, wait for media.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use carillon_core::ids::CONTENT_SUFFIX;
use carillon_core::{
    AttendeeRecord, JoinLookup, MediaCapability, MeetingEvent, MeetingRecord, SessionChange, Store,
    StoreError,
};
use subtle::ConstantTimeEq;

use crate::ending::Ending;
use crate::sdp::Direction;

/// The subprotocol the SDK offers first and expects echoed.
pub const SUBPROTOCOL: &str = "_aws_wt_session";

/// Longest JoinToken considered (the model's limit).
const MAX_TOKEN_LEN: usize = 2048;

/// A session let in.
#[derive(Debug, Clone)]
pub struct Admitted {
    pub meeting_id: Arc<str>,
    /// With `#content` for a content-share session.
    pub attendee_id: Arc<str>,
    pub external_user_id: Arc<str>,
    pub content: bool,
    pub audio_direction: Direction,
    /// The `a=msid` ids of the audio the server sends this session.
    pub stream_label: String,
    pub track_label: String,
    /// The meeting and attendee as admitted: what the session's events say of them.
    pub records: Arc<(MeetingRecord, AttendeeRecord)>,
}

impl Admitted {
    /// The session's `change` as a meeting event (of the content share for a content session).
    pub fn event(&self, change: SessionChange) -> MeetingEvent {
        let (meeting, attendee) = &*self.records;
        let now = carillon_core::clock::now_ms();
        MeetingEvent::session(meeting, attendee, change, self.content, now)
    }

    /// What fault rules match the session by.
    pub fn fault_key(&self) -> carillon_faults::SessionKey<'_> {
        carillon_faults::SessionKey {
            account_id: &self.records.0.scope.account_id,
            meeting_id: &self.meeting_id,
            attendee_id: &self.attendee_id,
        }
    }

    /// `chime:AttendeeAuthorized`: the attendee joined again from another session.
    pub fn authorized_again(&self) -> MeetingEvent {
        let (meeting, attendee) = &*self.records;
        let now = carillon_core::clock::now_ms();
        MeetingEvent::attendee_authorized(meeting, attendee, now)
    }
}

/// The token among the offered subprotocols (`Sec-WebSocket-Protocol: _aws_wt_session, <token>`):
/// `None` when the SDK's subprotocol or a token is missing.
pub fn token_from_protocols(header: &str) -> Option<&str> {
    let mut offered = header.split(',').map(str::trim);
    let mut ours = false;
    let mut token = None;
    for protocol in offered.by_ref() {
        if protocol == SUBPROTOCOL {
            ours = true;
        } else if !protocol.is_empty() && token.is_none() {
            token = Some(protocol);
        }
    }
    if ours {
        token
    } else {
        None
    }
}

/// The attendee a token names, if it is shaped as the server issues them.
pub(crate) fn attendee_in(token: &str) -> Option<String> {
    let raw = STANDARD_NO_PAD.decode(token).ok()?;
    let text = std::str::from_utf8(&raw).ok()?;
    let (attendee_id, secret) = text.split_once(':')?;
    (!attendee_id.is_empty() && !secret.is_empty()).then(|| attendee_id.to_owned())
}

/// Decides on a joining session.
pub async fn admit(
    store: &dyn Store,
    meeting_id: &str,
    presented: &str,
) -> Result<Result<Admitted, Ending>, StoreError> {
    let meeting_id = meeting_id.to_ascii_lowercase();
    if presented.len() > MAX_TOKEN_LEN + CONTENT_SUFFIX.len() {
        return Ok(Err(Ending::AUTHENTICATION));
    }
    let (token, content) = match presented.strip_suffix(CONTENT_SUFFIX) {
        Some(token) => (token, true),
        None => (presented, false),
    };
    let Some(attendee_id) = attendee_in(token) else {
        return Ok(Err(Ending::AUTHENTICATION));
    };
    let (meeting, attendee) = match store.join_lookup(&meeting_id, &attendee_id).await? {
        JoinLookup::Found(meeting, attendee) => (meeting, attendee),
        JoinLookup::MeetingNotFound | JoinLookup::MeetingEnded(_) => {
            return Ok(Err(Ending::MEETING_NOT_FOUND))
        }
        JoinLookup::AttendeeNotFound(_) => return Ok(Err(Ending::AUTHENTICATION)),
    };
    if !bool::from(attendee.join_token.as_bytes().ct_eq(token.as_bytes())) {
        return Ok(Err(Ending::AUTHENTICATION));
    }
    let capabilities = attendee
        .capabilities
        .unwrap_or(carillon_core::AttendeeCapabilities {
            audio: MediaCapability::SendReceive,
            video: MediaCapability::SendReceive,
            content: MediaCapability::SendReceive,
        });
    if content
        && !matches!(
            capabilities.content,
            MediaCapability::SendReceive | MediaCapability::Send
        )
    {
        return Ok(Err(Ending::CONTENT_NOT_ALLOWED));
    }
    let audio_direction = audio_direction(capabilities.audio);
    let suffix = if content { CONTENT_SUFFIX } else { "" };
    Ok(Ok(Admitted {
        stream_label: format!("carillon-{}", meeting.meeting_id),
        track_label: format!("carillon-audio-{}", attendee.attendee_id),
        meeting_id: meeting.meeting_id.as_str().into(),
        attendee_id: format!("{}{suffix}", attendee.attendee_id).into(),
        external_user_id: format!("{}{suffix}", attendee.external_user_id).into(),
        content,
        audio_direction,
        records: Arc::new((meeting, attendee)),
    }))
}

/// The server's direction of the answer's audio section for an attendee's Audio capability.
pub fn audio_direction(audio: MediaCapability) -> Direction {
    match audio {
        MediaCapability::SendReceive => Direction::SendRecv,
        MediaCapability::Send => Direction::RecvOnly,
        MediaCapability::Receive => Direction::SendOnly,
        MediaCapability::None => Direction::Inactive,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_the_other_subprotocol() {
        assert_eq!(token_from_protocols("_aws_wt_session, abc"), Some("abc"));
        assert_eq!(token_from_protocols("abc,_aws_wt_session"), Some("abc"));
        assert_eq!(token_from_protocols("_aws_wt_session"), None);
        assert_eq!(token_from_protocols("abc"), None);
        assert_eq!(token_from_protocols(""), None);
    }

    #[test]
    fn the_attendee_is_read_from_the_token() {
        let token = carillon_core::ids::new_join_token("3ac49552-1184-a866-2dd6-27f0d63a2f26");
        assert_eq!(
            attendee_in(&token).as_deref(),
            Some("3ac49552-1184-a866-2dd6-27f0d63a2f26")
        );
        for bad in [
            "",
            "!!!",
            "YWJj",
            &STANDARD_NO_PAD.encode(":x"),
            &STANDARD_NO_PAD.encode("a:"),
        ] {
            assert_eq!(attendee_in(bad), None, "{bad}");
        }
    }
}
