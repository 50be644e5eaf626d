//! Values unique to a test run, and checks of the shapes of ids and JoinTokens.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A value unique within this test run: `<prefix>-<pid>-<time>-<n>`, made only of characters
/// every id shape accepts (letters, digits, `-`).
pub fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() % 1_000_000_000)
        .unwrap_or(0);
    format!("{prefix}-{}-{t}-{n}", std::process::id())
}

/// A random-looking GUID that no meeting has (version nibble 4).
pub fn unknown_guid() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let hex = format!("{:016x}{:016x}", t as u64, n ^ 0x5eed_0000_0000);
    format!(
        "{}-{}-4{}-8{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

/// Asserts a lower-case GUID (8-4-4-4-12 hex digits).
pub fn assert_guid(id: &str) {
    assert_eq!(id.len(), 36, "not a GUID: {id}");
    for (i, c) in id.chars().enumerate() {
        match i {
            8 | 13 | 18 | 23 => assert_eq!(c, '-', "not a GUID: {id}"),
            _ => assert!(
                c.is_ascii_digit() || ('a'..='f').contains(&c),
                "not a lower-case GUID: {id}"
            ),
        }
    }
}

/// Decodes standard base64 without padding (the JoinToken's encoding).
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(text)
        .ok()
}

/// Asserts the AWS JoinToken shape: unpadded base64 of `<AttendeeId>:<uuid>`, with no `/`, `+`
/// or `=`.
pub fn assert_join_token(token: &str, attendee_id: &str) {
    assert!(!token.contains(['/', '+', '=']), "JoinToken {token}");
    let raw = base64_decode(token).unwrap_or_else(|| panic!("JoinToken is not base64: {token}"));
    let raw = String::from_utf8(raw).expect("JoinToken decodes to text");
    let (id, random) = raw
        .split_once(':')
        .unwrap_or_else(|| panic!("JoinToken does not decode to <id>:<uuid>: {raw}"));
    assert_eq!(id, attendee_id, "JoinToken names another attendee");
    assert_guid(random);
}

/// The ARN of a meeting of the current API.
pub fn meeting_arn(region: &str, account: &str, meeting_id: &str) -> String {
    format!("arn:aws:chime:{region}:{account}:meeting/{meeting_id}")
}
