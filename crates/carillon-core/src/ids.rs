//! Identifiers shaped like the ones AWS returns: a MeetingId or AttendeeId is a lower-case GUID
//! (`396bc713-ecdb-4fac-a406-1db789d52713`), a JoinToken the unpadded base64 of
//! `<AttendeeId>:<random GUID>` (98 characters).

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use uuid::Uuid;

/// An AWS account id: exactly 12 digits.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The character set documented for `ExternalUserId` and `ExternalMeetingId`:
/// `[-_&@+=,(){}\[\]\/«».:|'"#a-zA-Z0-9À-ÿ\s]*`.
fn allowed_external_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || "-_&@+=,(){}[]/«».:|'\"#".contains(c)
        || ('\u{C0}'..='\u{FF}').contains(&c)
        || matches!(c, ' ' | '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r')
}

/// Checks one external id: the documented characters, and no `aws:` prefix in any case.
pub fn check_external_id(value: &str) -> Option<String> {
    if !value.chars().all(allowed_external_id_char) {
        return Some(
            "Member must satisfy regular expression pattern: [-_&@+=,(){}\\[\\]\\/«».:|'\"#a-zA-Z0-9À-ÿ\\s]*"
                .into(),
        );
    }
    if value
        .get(..4)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("aws:"))
    {
        return Some("Member must not begin with the reserved prefix aws:".into());
    }
    None
}

/// What a content-share session appends to its attendee's AttendeeId, JoinToken and
/// ExternalUserId: the Chime SDK derives a content share's credentials this way.
pub const CONTENT_SUFFIX: &str = "#content";

/// A lower-case GUID (random, version 4, from a thread-local CSPRNG seeded by the operating
/// system: `uuid`'s `fast-rng`, ChaCha-based, without a system call per id).
pub fn new_id() -> String {
    Uuid::new_v4().to_string()
}

/// `JoinToken`: unpadded base64 of `<AttendeeId>:<random uuid>`, as AWS issues them. The input is
/// 73 ASCII bytes of hex digits, `-` and `:`; its base64 never contains `/` or `+` because no
/// 6-bit group of those bytes reaches 62 (checked by a test over many tokens), and `=` padding is
/// left out.
pub fn new_join_token(attendee_id: &str) -> String {
    join_token(attendee_id, Uuid::new_v4().as_bytes())
}

/// The JoinToken of `attendee_id` whose random half is the GUID of these 16 bytes.
pub fn join_token(attendee_id: &str, random: &[u8; 16]) -> String {
    let mut raw = Vec::with_capacity(attendee_id.len() + 1 + 36);
    raw.extend_from_slice(attendee_id.as_bytes());
    raw.push(b':');
    let mut guid = Uuid::encode_buffer();
    raw.extend_from_slice(
        Uuid::from_bytes(*random)
            .hyphenated()
            .encode_lower(&mut guid)
            .as_bytes(),
    );
    STANDARD_NO_PAD.encode(raw)
}

/// The random half of `token` when `token` is exactly what [`join_token`] makes of
/// `attendee_id` and that half, so that a store can keep these 16 bytes in place of the 98
/// characters and give back the same token; `None` for any other token.
///
/// Only the GUID's text needs checking: the decoder refuses padding and stray trailing bits, so
/// any other base64 spelling of the same bytes is refused already.
pub fn join_token_random_half(attendee_id: &str, token: &str) -> Option<[u8; 16]> {
    let raw = STANDARD_NO_PAD.decode(token).ok()?;
    let text = raw
        .strip_prefix(attendee_id.as_bytes())?
        .strip_prefix(b":")?;
    let random = Uuid::try_parse_ascii(text).ok()?;
    let mut canonical = Uuid::encode_buffer();
    let canonical = random.hyphenated().encode_lower(&mut canonical);
    (canonical.as_bytes() == text).then_some(*random.as_bytes())
}

/// Lower-cases a GUID taken from a request, so that `ABC…` and `abc…` name the same meeting.
pub fn normalize_id(id: &str) -> String {
    id.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_lower_case_guids() {
        let id = new_id();
        assert_eq!(id.len(), 36);
        assert_eq!(id, id.to_ascii_lowercase());
        assert!(Uuid::parse_str(&id).is_ok());
    }

    #[test]
    fn join_token_decodes_to_attendee_id_and_uuid() {
        let attendee = new_id();
        let token = new_join_token(&attendee);
        assert_eq!(token.len(), 98);
        let raw = String::from_utf8(STANDARD_NO_PAD.decode(&token).unwrap()).unwrap();
        let (id, random) = raw.split_once(':').unwrap();
        assert_eq!(id, attendee);
        assert!(Uuid::parse_str(random).is_ok());
    }

    #[test]
    fn a_join_token_is_rebuilt_from_its_random_half() {
        for _ in 0..1_000 {
            let attendee = new_id();
            let token = new_join_token(&attendee);
            let random = join_token_random_half(&attendee, &token).unwrap();
            assert_eq!(join_token(&attendee, &random), token);
        }
    }

    #[test]
    fn only_canonical_join_tokens_have_a_random_half() {
        let attendee = new_id();
        let other = new_id();
        let uuid = Uuid::new_v4();
        let random = *uuid.as_bytes();
        let upper =
            STANDARD_NO_PAD.encode(format!("{attendee}:{}", uuid.hyphenated()).to_uppercase());
        let simple = STANDARD_NO_PAD.encode(format!("{attendee}:{}", uuid.simple()));
        let padded = format!("{}=", join_token(&attendee, &random));
        for token in [
            join_token(&other, &random),
            upper,
            simple,
            padded,
            "not base64!".to_string(),
            String::new(),
        ] {
            assert_eq!(join_token_random_half(&attendee, &token), None, "{token}");
        }
        let short = join_token("short", &random);
        assert_eq!(join_token_random_half("short", &short), Some(random));
    }

    #[test]
    fn join_tokens_never_contain_slash_plus_or_padding() {
        for _ in 0..20_000 {
            let token = new_join_token(&new_id());
            assert!(!token.contains(['/', '+', '=']), "{token}");
        }
    }

    #[test]
    fn the_aws_sample_token_has_the_same_shape() {
        // A JoinToken of a real CreateAttendee response, published in a public issue.
        let sample = "MzVhMzkyZDMtOTUwMi0yMmRmLTgzMGEtYmE2ZDA0N2JiNjgxOjI5N2M3ODgyLTkzZDUtNGZjNi05YmY2LTA4NjFmNzhhMTEwMQ";
        let raw = String::from_utf8(STANDARD_NO_PAD.decode(sample).unwrap()).unwrap();
        assert_eq!(
            raw,
            "35a392d3-9502-22df-830a-ba6d047bb681:297c7882-93d5-4fc6-9bf6-0861f78a1101"
        );
    }
}
