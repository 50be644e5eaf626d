//! Limits replaced at run time: taking effect at the next request, buckets restarting full,
//! resolution against the file's default, refusals that change nothing, and the view.

use super::*;

const ONE_PER_SECOND: &str = r#"{"operations": {"CreateAttendee": {"rate": 1, "burst": 1}}}"#;

#[test]
fn an_override_applies_from_the_next_request_and_a_reset_restores_the_default() {
    let q = aws_defaults();
    let t0 = Instant::now();
    assert_eq!(admitted(&q, A, Meetings, "CreateAttendee", t0, 3), 3);

    // A clone is a handle on the same quotas, as the admin listener holds them.
    q.clone().set_account(A, ONE_PER_SECOND).unwrap();
    assert_eq!(admitted(&q, A, Meetings, "CreateAttendee", t0, 5), 1);
    let refused = q.admit(A, Meetings, "CreateAttendee", t0).unwrap_err();
    assert_eq!((refused.rate, refused.burst), (1.0, 1));
    assert_eq!(refused.retry_after_ms, 1000);
    // Other operations of the account keep the default (the aggregate restarted full too, less
    // the CreateAttendee), and so do other accounts.
    assert_eq!(admitted(&q, A, Meetings, "CreateMeeting", t0, 25), 19);
    assert_eq!(admitted(&q, B, Meetings, "CreateAttendee", t0, 25), 20);

    assert_eq!(q.reset_account(A), Ok(true));
    assert_eq!(q.reset_account(A), Ok(false));
    assert_eq!(admitted(&q, A, Meetings, "CreateAttendee", t0, 25), 20);
}

#[test]
fn an_accounts_buckets_restart_full_at_the_new_limits() {
    let q = aws_defaults();
    let t0 = Instant::now();
    assert_eq!(admitted(&q, A, Meetings, "GetMeeting", t0, 25), 20);
    assert_eq!(admitted(&q, B, Meetings, "GetMeeting", t0, 25), 20);
    q.set_account(
        A,
        r#"{"all_operations": {"burst": 30}, "operations": {"GetMeeting": {"burst": 30}}}"#,
    )
    .unwrap();
    // A's drained buckets are full again, at the new burst; B's stay drained.
    assert_eq!(admitted(&q, A, Meetings, "GetMeeting", t0, 40), 30);
    assert_eq!(admitted(&q, A, Legacy, "GetMeeting", t0, 40), 30);
    assert_eq!(admitted(&q, B, Meetings, "GetMeeting", t0, 5), 0);
}

#[test]
fn an_override_resolves_against_the_default_in_force_and_replaces_the_files_entry() {
    let q = from_json(
        r#"{"default": {"max_active_meetings": 7, "operations": {"GetMeeting": {"rate": 2}}},
            "accounts": {"111122223333": {"max_active_meetings": 100}}}"#,
    );
    assert_eq!(q.max_active_meetings(A, Meetings), Some(100));
    // The override replaces the file's entry whole: what it leaves out comes from `default`.
    q.set_account(A, r#"{"legacy_max_active_meetings": 1}"#)
        .unwrap();
    assert_eq!(q.max_active_meetings(A, Meetings), Some(7));
    assert_eq!(q.max_active_meetings(A, Legacy), Some(1));
    let view = q.view().unwrap();
    assert_eq!(view.accounts[A].operations["GetMeeting"].rate, Some(2.0));
    assert_eq!(view.overridden_accounts, [A]);

    // A new default applies to every account without the member, the file's included.
    q.set_default(r#"{"max_active_meetings": 3}"#).unwrap();
    assert_eq!(q.max_active_meetings(B, Meetings), Some(3));
    assert_eq!(q.max_active_meetings(A, Meetings), Some(3));
    assert!(q.view().unwrap().overridden_default);
    assert_eq!(q.reset_default(), Ok(true));
    assert_eq!(q.max_active_meetings(B, Meetings), Some(7));

    // Reset: the file's entry is back.
    assert_eq!(q.reset_account(A), Ok(true));
    assert_eq!(q.max_active_meetings(A, Meetings), Some(100));
    assert_eq!(q.max_active_meetings(A, Legacy), Some(250));
    assert!(q.view().unwrap().overridden_accounts.is_empty());
}

#[test]
fn invalid_overrides_are_refused_naming_the_member_and_change_nothing() {
    let q = aws_defaults();
    q.set_account(A, ONE_PER_SECOND).unwrap();
    let before = q.view().unwrap();
    for (account, entry, expected) in [
        (
            A,
            r#"{"operations": {"CreateAtendee": {"rate": 1}}}"#,
            "accounts.111122223333.operations: unknown operation \"CreateAtendee\"",
        ),
        (
            A,
            r#"{"operations": {"GetMeeting": {"burst": 0}}}"#,
            "operations.GetMeeting.burst: must be at least 1",
        ),
        (
            A,
            r#"{"all_operations": {"rate": -1}}"#,
            "all_operations.rate: must be a number",
        ),
        (A, r#"{"max_meetings": 3}"#, "unknown field `max_meetings`"),
        (A, r#"{"max_active_meetings": -3}"#, "expected u32"),
        (A, "[]", "expected a JSON object"),
        (A, "{", "accounts.111122223333"),
        ("12345", "{}", "\"12345\" is not a 12-digit account id"),
    ] {
        match q.set_account(account, entry) {
            Err(OverrideError::Invalid(message)) => {
                assert!(message.contains(expected), "{entry}: {message}")
            }
            other => panic!("{entry}: {other:?}"),
        }
    }
    assert!(
        matches!(q.set_default("[1]"), Err(OverrideError::Invalid(m)) if m.starts_with("default: "))
    );
    assert_eq!(q.view().unwrap(), before);
}

#[test]
fn with_quotas_off_there_is_nothing_to_override() {
    let q = Quotas::disabled();
    assert_eq!(q.set_account(A, "{}"), Err(OverrideError::Off));
    assert_eq!(q.reset_account(A), Err(OverrideError::Off));
    assert_eq!(q.set_default("{}"), Err(OverrideError::Off));
    assert_eq!(q.view(), Err(OverrideError::Off));
    assert!(OverrideError::Off.to_string().contains("quotas are off"));
}

#[test]
fn the_view_read_back_as_a_quota_file_means_the_same_limits() {
    let q = from_json(
        r#"{"default": {"all_operations": {"rate": 0.5}, "operations": {"GetAttendee": {"burst": 3}}},
            "accounts": {"444455556666": {"legacy_max_active_meetings": 4}}}"#,
    );
    q.set_account(A, ONE_PER_SECOND).unwrap();
    let view = q.view().unwrap();
    let file = serde_json::json!({"default": view.default, "accounts": view.accounts});
    let again = Quotas::new(QuotaConfig::from_json(&file.to_string()).unwrap());
    assert_eq!(again.view().unwrap().accounts, view.accounts);
    assert_eq!(again.view().unwrap().default, view.default);
    for account in [A, B, "777788889999"] {
        for op in [
            "CreateAttendee",
            "GetAttendee",
            "GetMeeting",
            "StopMeetingTranscription",
        ] {
            let limits = |q: &Quotas| match &*q.mode {
                Mode::PerProcess { table, .. } => table.load().limits(account).drawn(op).to_vec(),
                _ => unreachable!(),
            };
            assert_eq!(limits(&again), limits(&q), "{account} {op}");
        }
    }
}
