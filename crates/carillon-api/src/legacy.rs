//! What the legacy `chime` API needs beyond its model: defaults and limits it documents but does
//! not model.

use serde_json::Value;

use crate::error::ApiError;

/// The legacy `MediaRegion` default ("Default: us-east-1").
const DEFAULT_MEDIA_REGION: &str = "us-east-1";

/// BatchCreateAttendee "creates up to 100 new attendees"; the legacy model sets no maximum.
const MAX_BATCH_ATTENDEES: usize = 100;

/// Fills documented defaults and checks documented limits on a validated legacy input.
pub fn adapt_input(operation: &str, input: &mut Value) -> Result<(), ApiError> {
    let Some(members) = input.as_object_mut() else {
        return Ok(());
    };
    match operation {
        "CreateMeeting" | "CreateMeetingWithAttendees" => {
            members
                .entry("MediaRegion")
                .or_insert_with(|| Value::from(DEFAULT_MEDIA_REGION));
        }
        "BatchCreateAttendee" => {
            let count = members
                .get("Attendees")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            if count > MAX_BATCH_ATTENDEES {
                return Err(ApiError::bad_request(format!(
                    "1 validation error detected: Value at 'Attendees' failed to satisfy constraint: Member must have length less than or equal to {MAX_BATCH_ATTENDEES}"
                )));
            }
        }
        _ => {}
    }
    Ok(())
}

/// Renames what the legacy API names differently in outputs: the `ErrorCode` of attendees a
/// batch refused takes the legacy `ErrorCode` enum value (`ResourceLimitExceeded`, where the
/// current API says `LimitExceeded`).
pub fn adapt_output(output: &mut Value) {
    let Some(errors) = output.get_mut("Errors").and_then(Value::as_array_mut) else {
        return;
    };
    for error in errors {
        if let Some(code) = error.get_mut("ErrorCode") {
            if code == "LimitExceeded" {
                *code = Value::from("ResourceLimitExceeded");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{adapt_input, adapt_output};

    #[test]
    fn batch_error_codes_take_legacy_names() {
        let mut output = json!({"Attendees": [], "Errors": [
            {"ExternalUserId": "a", "ErrorCode": "LimitExceeded", "ErrorMessage": "full"},
            {"ExternalUserId": "b", "ErrorCode": "NotFound", "ErrorMessage": "ended"},
        ]});
        adapt_output(&mut output);
        assert_eq!(output["Errors"][0]["ErrorCode"], "ResourceLimitExceeded");
        assert_eq!(output["Errors"][1]["ErrorCode"], "NotFound");
        let mut meeting = json!({"Meeting": {"MeetingId": "m"}});
        adapt_output(&mut meeting);
        assert_eq!(meeting, json!({"Meeting": {"MeetingId": "m"}}));
    }

    #[test]
    fn media_region_defaults_to_us_east_1() {
        let mut input = json!({"ClientRequestToken": "t1"});
        adapt_input("CreateMeeting", &mut input).unwrap();
        assert_eq!(input["MediaRegion"], "us-east-1");
        let mut input = json!({"ClientRequestToken": "t1", "MediaRegion": "eu-west-2"});
        adapt_input("CreateMeetingWithAttendees", &mut input).unwrap();
        assert_eq!(input["MediaRegion"], "eu-west-2");
    }

    #[test]
    fn batch_create_attendee_is_capped_at_100() {
        let attendees: Vec<_> = (0..101)
            .map(|i| json!({"ExternalUserId": format!("u{i}")}))
            .collect();
        let mut input = json!({"MeetingId": "m", "Attendees": attendees});
        let e = adapt_input("BatchCreateAttendee", &mut input).unwrap_err();
        assert_eq!(e.name, "BadRequestException");
        assert!(e.message.contains("'Attendees'"));
        let mut input = json!({"MeetingId": "m", "Attendees": [{"ExternalUserId": "u1"}]});
        assert!(adapt_input("BatchCreateAttendee", &mut input).is_ok());
    }
}
