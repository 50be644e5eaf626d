//! The quota file: resolution member by member, the documented example, and refusals.

use crate::quota::policy::operation_index;
use carillon_core::rate::Rate;

use super::*;

#[test]
fn an_account_falls_back_member_by_member() {
    let config = QuotaConfig::from_json(
        r#"{"default": {"all_operations": {"burst": 7},
                        "operations": {"GetMeeting": {"rate": 2}, "GetAttendee": {"burst": 3}},
                        "max_active_meetings": 9, "legacy_max_active_meetings": 8},
            "accounts": {"111122223333": {"all_operations": {"rate": 0.5},
                                          "operations": {"GetMeeting": {"burst": 4}},
                                          "legacy_max_active_meetings": 1}}}"#,
    )
    .unwrap();
    let get_meeting = operation_index("GetMeeting").unwrap();
    let get_attendee = operation_index("GetAttendee").unwrap();
    let create = operation_index("CreateMeeting").unwrap();
    let stop = operation_index("StopMeetingTranscription").unwrap();

    let own = &config.accounts[A];
    assert_eq!(own.all, Rate::new(0.5, 7));
    assert_eq!(own.operations[get_meeting], Some(Rate::new(2.0, 4)));
    assert_eq!(own.operations[get_attendee], Some(Rate::new(10.0, 3)));
    assert_eq!(own.operations[create], Some(Rate::new(10.0, 20)));
    assert_eq!(own.operations[stop], None);
    assert_eq!(own.max_active_meetings, [9, 1]);

    let default = &config.default;
    assert_eq!(default.all, Rate::new(10.0, 7));
    assert_eq!(default.operations[get_meeting], Some(Rate::new(2.0, 20)));
    assert_eq!(default.max_active_meetings, [9, 8]);
}

/// The example of the quota file guide.
fn documented_example() -> String {
    let guide = include_str!("../../../../../docs/quotas.md");
    let start = guide.find("```json\n").expect("a json example") + "```json\n".len();
    let end = start + guide[start..].find("```\n").expect("its end");
    guide[start..end].to_owned()
}

#[test]
fn the_documented_example_parses_and_means_what_the_doc_says() {
    let q = from_json(&documented_example());
    let t0 = Instant::now();
    let other = "999988887777";
    assert_eq!(admitted(&q, A, Meetings, "CreateMeeting", t0, 100), 40);
    assert_eq!(admitted(&q, A, Meetings, "GetMeeting", t0, 100), 20);
    assert_eq!(admitted(&q, A, Meetings, "DeleteMeeting", t0, 100), 20);
    let big = "123456789012";
    assert_eq!(admitted(&q, big, Meetings, "GetMeeting", t0, 100), 20);
    assert_eq!(admitted(&q, big, Meetings, "GetAttendee", t0, 100), 10);
    assert_eq!(admitted(&q, big, Meetings, "CreateMeeting", t0, 100), 40);
    // GetMeeting refills at 100/s: one every 10 ms (10/s would refuse it).
    let t1 = t0 + ms(1000);
    assert_eq!(admitted(&q, big, Meetings, "GetMeeting", t1, 100), 20);
    assert!(q.admit(big, Meetings, "GetMeeting", t1 + ms(10)).is_ok());
    assert_eq!(q.max_active_meetings(big, Meetings), Some(5000));
    assert_eq!(q.max_active_meetings(big, Legacy), Some(10));
    assert_eq!(q.max_active_meetings(other, Meetings), Some(1000));
    assert_eq!(q.max_active_meetings(other, Legacy), Some(250));
    // Every other account: 100 together.
    let mut together = 0;
    for op in [
        "DeleteMeeting",
        "GetMeeting",
        "ListAttendees",
        "GetAttendee",
    ] {
        together += admitted(&q, other, Meetings, op, t0, 100);
    }
    assert_eq!(together, 20 + 20 + 20 + 40);
    assert!(q
        .admit(other, Meetings, "StopMeetingTranscription", t0)
        .is_err());
}

#[test]
fn an_empty_file_is_aws_defaults() {
    assert_eq!(
        QuotaConfig::from_json("{}").unwrap(),
        QuotaConfig::default()
    );
    let config = QuotaConfig::default();
    assert_eq!(config.default.all, Rate::new(10.0, 20));
    assert_eq!(config.default.max_active_meetings, [250, 250]);
    let limited = config.default.operations.iter().flatten().count();
    assert_eq!(limited, AWS_RATE_LIMITED.len());
}

#[test]
fn bad_files_are_refused_naming_the_member() {
    let cases: &[(&str, &str)] = &[
        ("", "quota file"),
        ("[]", "quota file: expected a JSON object"),
        (r#"{"defaults": {}}"#, "unknown field `defaults`"),
        (
            r#"{"default": {"max_meetings": 3}}"#,
            "unknown field `max_meetings`",
        ),
        (
            r#"{"default": {"max_active_meetings": -1}}"#,
            "invalid value",
        ),
        (
            r#"{"default": {"max_active_meetings": "3"}}"#,
            "invalid type",
        ),
        (
            r#"{"default": {"operations": {"GetMeting": {"rate": 1}}}}"#,
            "default.operations: unknown operation \"GetMeting\"",
        ),
        (
            r#"{"default": {"operations": {"GetMeeting": {"rate": 0}}}}"#,
            "default.operations.GetMeeting.rate",
        ),
        (
            r#"{"default": {"all_operations": {"rate": -5}}}"#,
            "default.all_operations.rate",
        ),
        (
            r#"{"default": {"all_operations": {"rate": 1e10}}}"#,
            "default.all_operations.rate",
        ),
        (
            r#"{"default": {"all_operations": {"burst": 0}}}"#,
            "default.all_operations.burst: must be at least 1",
        ),
        (
            r#"{"default": {"all_operations": {"burst": 2.5}}}"#,
            "invalid type",
        ),
        (
            r#"{"default": {"all_operations": {"rate": 1, "bust": 2}}}"#,
            "unknown field `bust`",
        ),
        (
            r#"{"accounts": {"12345": {}}}"#,
            "\"12345\" is not a 12-digit account id",
        ),
        (
            r#"{"accounts": {"12345678901a": {}}}"#,
            "is not a 12-digit account id",
        ),
        (
            r#"{"accounts": {"111122223333": {"operations": {"getmeeting": {}}}}}"#,
            "accounts.111122223333.operations: unknown operation \"getmeeting\"",
        ),
        (
            r#"{"accounts": {"111122223333": {"operations": {"GetMeeting": {"burst": 0}}}}}"#,
            "accounts.111122223333.operations.GetMeeting.burst",
        ),
    ];
    for (text, expected) in cases {
        match QuotaConfig::from_json(text) {
            Ok(config) => panic!("{text} was accepted: {config:?}"),
            Err(e) => assert!(e.contains(expected), "{text}: {e}"),
        }
    }
}

#[test]
fn fractional_rates_and_huge_bursts_are_fine() {
    let q = from_json(r#"{"default": {"all_operations": {"rate": 0.5, "burst": 4294967295}}}"#);
    let t0 = Instant::now();
    assert_eq!(admitted(&q, A, Meetings, "GetAttendee", t0, 1000), 1000);
    let q = from_json(r#"{"default": {"all_operations": {"rate": 0.5, "burst": 1}}}"#);
    let t0 = Instant::now();
    assert!(q.admit(A, Meetings, "GetAttendee", t0).is_ok());
    let refused = q.admit(A, Meetings, "GetAttendee", t0).unwrap_err();
    assert_eq!(refused.retry_after_ms, 2000);
    assert_eq!(refused.retry_after_secs(), 2);
    assert!(q.admit(A, Meetings, "GetAttendee", t0 + ms(2000)).is_ok());
}
