//! `MediaPlacement` URLs. They are shaped like the ones AWS returns (for us-east-1, e.g.
//! `wss://signal.m3.ue1.app.chime.aws/control/<MeetingId>` and
//! `https://<last four of MeetingId>.cell.us-east-1.meetings.chime.aws/v2/turn_sessions`) but
//! point at this server's public address, so the signaling and media endpoints can live there
//! later. They are derived on every response rather than stored, so changing the public URL
//! moves every meeting.

use serde::Serialize;

/// The public base URL clients use to reach this server, e.g. `http://127.0.0.1:8080`.
#[derive(Debug, Clone)]
pub struct PublicEndpoint {
    secure: bool,
    authority: String,
}

impl PublicEndpoint {
    /// Accepts `http://host[:port]` or `https://host[:port]`, with an optional trailing `/`.
    pub fn parse(url: &str) -> Result<Self, String> {
        let (secure, rest) = if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(format!(
                "public URL must start with http:// or https://: {url}"
            ));
        };
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains(['/', '?', '#', ' ']) {
            return Err(format!(
                "public URL must be scheme://host[:port] only: {url}"
            ));
        }
        Ok(PublicEndpoint {
            secure,
            authority: authority.to_string(),
        })
    }

    pub fn media_placement(&self, meeting_id: &str) -> MediaPlacement {
        let (ws, http) = if self.secure {
            ("wss", "https")
        } else {
            ("ws", "http")
        };
        let a = &self.authority;
        let screen = format!("{ws}://{a}/v2/screen/{meeting_id}");
        MediaPlacement {
            audio_host_url: a.clone(),
            audio_fallback_url: format!("{ws}://{a}/calls/{meeting_id}"),
            signaling_url: format!("{ws}://{a}/control/{meeting_id}"),
            turn_control_url: format!("{http}://{a}/v2/turn_sessions"),
            screen_data_url: screen.clone(),
            screen_viewing_url: format!(
                "{ws}://{a}/ws/connect?passcode=null&viewer_uuid=null&X-BitHub-Call-Id={meeting_id}"
            ),
            screen_sharing_url: screen,
            event_ingestion_url: format!("{http}://{a}/v1/client-events"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MediaPlacement {
    pub audio_host_url: String,
    pub audio_fallback_url: String,
    pub signaling_url: String,
    pub turn_control_url: String,
    pub screen_data_url: String,
    pub screen_viewing_url: String,
    pub screen_sharing_url: String,
    pub event_ingestion_url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_point_at_the_public_endpoint() {
        let id = "396bc713-ecdb-4fac-a406-1db789d52713";
        let p = PublicEndpoint::parse("http://127.0.0.1:8080/")
            .unwrap()
            .media_placement(id);
        assert_eq!(p.signaling_url, format!("ws://127.0.0.1:8080/control/{id}"));
        assert_eq!(p.audio_host_url, "127.0.0.1:8080");
        assert_eq!(
            p.audio_fallback_url,
            format!("ws://127.0.0.1:8080/calls/{id}")
        );
        assert_eq!(p.turn_control_url, "http://127.0.0.1:8080/v2/turn_sessions");
        assert_eq!(p.screen_sharing_url, p.screen_data_url);
        let s = PublicEndpoint::parse("https://meet.example.com")
            .unwrap()
            .media_placement(id);
        assert_eq!(
            s.signaling_url,
            format!("wss://meet.example.com/control/{id}")
        );
        assert!(!s.signaling_url.contains('?'));
        assert_eq!(
            s.event_ingestion_url,
            "https://meet.example.com/v1/client-events"
        );
    }

    #[test]
    fn bad_public_urls_are_refused() {
        for bad in ["", "ftp://x", "http://", "http://a/b", "127.0.0.1:8080"] {
            assert!(PublicEndpoint::parse(bad).is_err(), "{bad}");
        }
    }
}
