//! `NextToken`: where the next page of a list starts. Opaque to callers (URL-safe base64 without
//! padding) and bound to its list: a token of one list is refused by every other, as is any
//! token this server did not issue, with the same `BadRequestException`.
//!
//! The text inside names the list, then the position: `1:<MeetingId>:<position>` for a meeting's
//! attendees, `m1:<position>` for the scope's meetings. Tokens already handed out stay valid, so
//! the forms do not change.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::ServiceError;

/// The list a token pages through.
#[derive(Debug, Clone, Copy)]
pub(super) enum Listing<'a> {
    /// ListAttendees of this meeting.
    Attendees { meeting_id: &'a str },
    /// ListMeetings (legacy) of the caller's scope.
    Meetings,
}

impl Listing<'_> {
    fn prefix(self) -> String {
        match self {
            Listing::Attendees { meeting_id } => format!("1:{meeting_id}:"),
            Listing::Meetings => "m1:".to_owned(),
        }
    }

    pub(super) fn encode(self, position: i64) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}{position}", self.prefix()))
    }

    /// The position a request's `NextToken` names; `None` (the first page) when it has none or
    /// an empty one.
    pub(super) fn decode(self, token: Option<&str>) -> Result<Option<i64>, ServiceError> {
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        let invalid =
            || ServiceError::BadRequest("The NextToken is not valid for this request".into());
        let raw = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
        let raw = String::from_utf8(raw).map_err(|_| invalid())?;
        raw.strip_prefix(&self.prefix())
            .and_then(|position| position.parse().ok())
            .map(Some)
            .ok_or_else(invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: &str = "396bc713-ecdb-4fac-a406-1db789d52713";

    fn attendees(meeting_id: &str) -> Listing<'_> {
        Listing::Attendees { meeting_id }
    }

    #[test]
    fn tokens_keep_their_form() {
        assert_eq!(
            attendees(M).encode(42),
            URL_SAFE_NO_PAD.encode(format!("1:{M}:42"))
        );
        assert_eq!(Listing::Meetings.encode(7), "bTE6Nw");
    }

    #[test]
    fn an_attendee_token_round_trips_on_its_meeting_only() {
        let t = attendees(M).encode(42);
        assert!(!t.contains(M), "the token is opaque");
        assert_eq!(attendees(M).decode(Some(&t)).unwrap(), Some(42));
        let other = "aaaaaaaa-ecdb-4fac-a406-1db789d52713";
        assert!(attendees(other).decode(Some(&t)).is_err());
        assert!(Listing::Meetings.decode(Some(&t)).is_err());
        for bad in [
            "!!!",
            "bm90IGEgdG9rZW4",
            &URL_SAFE_NO_PAD.encode(format!("1:{M}:x")),
            &URL_SAFE_NO_PAD.encode(format!("2:{M}:1")),
            &URL_SAFE_NO_PAD.encode(format!("1:{M}:1:2")),
        ] {
            assert!(attendees(M).decode(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_meetings_token_round_trips() {
        let t = Listing::Meetings.encode(7);
        assert_eq!(Listing::Meetings.decode(Some(&t)).unwrap(), Some(7));
        assert!(attendees(M).decode(Some(&t)).is_err());
        for bad in ["%%", "bTE6eA", "eDox"] {
            assert!(Listing::Meetings.decode(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn no_token_or_an_empty_one_is_the_first_page() {
        for listing in [attendees(M), Listing::Meetings] {
            assert_eq!(listing.decode(None).unwrap(), None);
            assert_eq!(listing.decode(Some("")).unwrap(), None);
        }
    }

    #[test]
    fn an_invalid_token_says_so() {
        let err = Listing::Meetings.decode(Some("eDox")).unwrap_err();
        assert!(
            matches!(&err, ServiceError::BadRequest(m) if m == "The NextToken is not valid for this request"),
            "{err:?}"
        );
    }
}
