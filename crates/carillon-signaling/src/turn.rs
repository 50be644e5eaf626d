//! TURN credentials for JOIN_ACK, in the form coturn's REST API (`use-auth-secret`) checks.
//!
//! The SDK uses TURN only when JOIN_ACK carries credentials, and then with
//! `iceTransportPolicy: 'relay'`: all of its media goes through the TURN server, which relays it
//! to the media port from its own address. That is what a browser needs when it cannot send UDP
//! to the media port (UDP blocked except to a relay, or `turns:` over TCP/TLS 443 only).
//!
//! Nothing is shared with the TURN server but a secret: the username is
//! `<expiry in Unix seconds>:<attendee id>` and the password base64(HMAC-SHA1(secret, username)),
//! so the TURN server checks each one, and its expiry, without asking Carillon (coturn:
//! `use-auth-secret` and `static-auth-secret=<the same secret>`).

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::frames::SdkTurnCredentials;

/// The TURN servers the SDK is sent to, and how their credentials are made.
#[derive(Clone)]
pub struct TurnConfig {
    /// `turn:` / `turns:` URIs, as the SDK hands them to `RTCPeerConnection`.
    pub uris: Vec<String>,
    /// The TURN server's `static-auth-secret`.
    pub secret: String,
    /// How long credentials stay valid, in seconds: at least as long as a session may last
    /// (the SDK asks for none again while connected).
    pub ttl_secs: u32,
}

impl std::fmt::Debug for TurnConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret stays out of logs.
        f.debug_struct("TurnConfig")
            .field("uris", &self.uris)
            .field("ttl_secs", &self.ttl_secs)
            .finish_non_exhaustive()
    }
}

impl TurnConfig {
    /// Credentials for `attendee_id`, valid from `now_secs` (Unix time) for the TTL.
    pub fn credentials(&self, attendee_id: &str, now_secs: u64) -> SdkTurnCredentials {
        let username = format!("{}:{attendee_id}", now_secs + u64::from(self.ttl_secs));
        let mut mac = Hmac::<Sha1>::new_from_slice(self.secret.as_bytes())
            .expect("HMAC takes a key of any length");
        mac.update(username.as_bytes());
        let password =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        SdkTurnCredentials {
            username: Some(username),
            password: Some(password),
            ttl: Some(self.ttl_secs),
            uris: self.uris.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_what_coturn_checks() {
        let config = TurnConfig {
            uris: vec!["turn:turn.example.com:3478?transport=udp".into()],
            secret: "north".into(),
            ttl_secs: 86_400,
        };
        let creds = config.credentials("a1b2", 1_700_000_000);
        assert_eq!(creds.username.as_deref(), Some("1700086400:a1b2"));
        // base64(HMAC-SHA1("north", "1700086400:a1b2")), computed independently with
        // `printf %s 1700086400:a1b2 | openssl dgst -sha1 -hmac north -binary | base64`.
        assert_eq!(
            creds.password.as_deref(),
            Some("Kdk3+D6jCzCJVvnDdGzyt2n7oFk=")
        );
        assert_eq!(creds.ttl, Some(86_400));
        assert_eq!(creds.uris, config.uris);
    }

    #[test]
    fn the_secret_is_not_in_debug_output() {
        let config = TurnConfig {
            uris: Vec::new(),
            secret: "hunter2".into(),
            ttl_secs: 60,
        };
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
