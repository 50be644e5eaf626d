use super::*;
use crate::rule::SessionKey;

fn spec(json: serde_json::Value) -> RuleSpec {
    serde_json::from_value(json).unwrap()
}

fn req<'a>(api: Api, operation: &'a str, meeting_id: Option<&'a str>) -> ApiRequest<'a> {
    ApiRequest {
        api,
        operation,
        account_id: "111122223333",
        meeting_id,
    }
}

fn now() -> i64 {
    carillon_core::clock::now_ms()
}

const MEETING: &str = "4a5b7c8d-1234-4321-8888-0123456789ab";

#[test]
fn matches_by_api_operation_account_and_meeting() {
    let f = Faults::seeded(1);
    f.add(spec(serde_json::json!({
        "api": "meetings", "operation": "GetMeeting", "accountId": "111122223333",
        "meetingId": MEETING.to_uppercase(), "action": "error", "error": "NotFoundException"
    })))
    .unwrap();
    let hit = f
        .api(&req(Api::Meetings, "GetMeeting", Some(MEETING)))
        .unwrap();
    assert!(
        matches!(hit.outcome, Some(Outcome::Error(e)) if e.name == "NotFoundException" && e.status == 404)
    );
    for miss in [
        req(Api::Legacy, "GetMeeting", Some(MEETING)),
        req(Api::Meetings, "DeleteMeeting", Some(MEETING)),
        req(
            Api::Meetings,
            "GetMeeting",
            Some("4a5b7c8d-1234-4321-8888-000000000000"),
        ),
        req(Api::Meetings, "GetMeeting", None),
        ApiRequest {
            account_id: "444455556666",
            ..req(Api::Meetings, "GetMeeting", Some(MEETING))
        },
    ] {
        assert_eq!(f.api(&miss), None, "{miss:?}");
    }
    assert_eq!(f.list()[0].hits, 1);
}

#[test]
fn a_rule_without_operation_matches_every_operation_with_the_operation_s_status() {
    let f = Faults::seeded(1);
    f.add(spec(
        serde_json::json!({"action": "error", "error": "ServiceUnavailableException"}),
    ))
    .unwrap();
    for (api, op) in [
        (Api::Meetings, "CreateMeeting"),
        (Api::Legacy, "ListMeetings"),
    ] {
        let hit = f.api(&req(api, op, None)).unwrap();
        assert!(
            matches!(hit.outcome, Some(Outcome::Error(e)) if e.status == 503),
            "{op}"
        );
    }
}

#[test]
fn latencies_add_up_and_the_first_terminal_rule_that_fires_decides() {
    let f = Faults::seeded(1);
    f.add(spec(
        serde_json::json!({"action": "latency", "latencyMs": 100}),
    ))
    .unwrap();
    f.add(spec(
        serde_json::json!({"action": "error", "error": "ServiceFailureException"}),
    ))
    .unwrap();
    f.add(spec(serde_json::json!({"action": "drop", "count": 1})))
        .unwrap();
    f.add(spec(
        serde_json::json!({"action": "latency", "latencyMs": 20}),
    ))
    .unwrap();
    let hit = f.api(&req(Api::Meetings, "CreateMeeting", None)).unwrap();
    assert_eq!(hit.latency, Duration::from_millis(120));
    assert!(matches!(hit.outcome, Some(Outcome::Error(e)) if e.name == "ServiceFailureException"));
    // The drop rule after it was not rolled: its count is intact.
    let listed = f.list();
    assert_eq!(listed[2].hits, 0);
    assert_eq!(listed[2].remaining, Some(1));
    assert_eq!(
        listed.iter().map(|r| r.hits).collect::<Vec<_>>(),
        [1, 1, 0, 1]
    );
}

#[test]
fn a_counted_rule_is_used_up_and_disappears() {
    let f = Faults::seeded(1);
    f.add(spec(serde_json::json!({"action": "drop", "count": 2})))
        .unwrap();
    let r = req(Api::Meetings, "CreateMeeting", None);
    assert_eq!(f.api(&r).unwrap().outcome, Some(Outcome::Drop));
    assert_eq!(f.list()[0].remaining, Some(1));
    assert_eq!(f.api(&r).unwrap().outcome, Some(Outcome::Drop));
    assert_eq!(f.api(&r), None);
    assert!(f.list().is_empty());
    assert_eq!(f.api_rules.load(Ordering::Relaxed), 0);
}

#[test]
fn a_rule_expires_after_its_ttl() {
    let f = Faults::seeded(1);
    let view = f
        .add(spec(
            serde_json::json!({"action": "drop", "ttlSeconds": 60}),
        ))
        .unwrap();
    assert_eq!(view.expires_at, Some(view.created_at + 60_000));
    let r = req(Api::Meetings, "CreateMeeting", None);
    assert!(f.api_at(&r, now() + 59_000).is_some());
    assert_eq!(f.api_at(&r, now() + 61_000), None);
    // Gone for good, not only skipped.
    assert!(f.list().is_empty());
}

#[test]
fn probability_fires_about_as_often_as_asked() {
    let f = Faults::seeded(7);
    f.add(spec(
        serde_json::json!({"action": "drop", "probability": 0.25}),
    ))
    .unwrap();
    let r = req(Api::Meetings, "GetMeeting", None);
    let fired = (0..10_000).filter(|_| f.api(&r).is_some()).count();
    // Expected 2,500, standard deviation about 43: the bound is over ten deviations wide.
    assert!((2_000..=3_000).contains(&fired), "{fired}");
    assert_eq!(f.list()[0].hits, fired as u64);
}

#[test]
fn probability_with_a_seed_is_reproducible() {
    let run = || {
        let f = Faults::seeded(42);
        f.add(spec(
            serde_json::json!({"action": "drop", "probability": 0.5}),
        ))
        .unwrap();
        let r = req(Api::Meetings, "GetMeeting", None);
        (0..64).map(|_| f.api(&r).is_some()).collect::<Vec<_>>()
    };
    let first = run();
    assert_eq!(first, run());
    assert!(first.contains(&true) && first.contains(&false));
}

#[test]
fn a_counted_rule_with_a_probability_counts_only_its_firings() {
    let f = Faults::seeded(3);
    f.add(spec(
        serde_json::json!({"action": "drop", "probability": 0.5, "count": 5}),
    ))
    .unwrap();
    let r = req(Api::Meetings, "GetMeeting", None);
    let fired = (0..1_000).filter(|_| f.api(&r).is_some()).count();
    assert_eq!(fired, 5);
}

#[test]
fn invalid_rules_are_refused_with_a_reason() {
    let f = Faults::seeded(1);
    for (json, says) in [
        (
            serde_json::json!({"action": "error", "operation": "CreateAttendee", "api": "meetings", "error": "ConflictException"}),
            "does not model ConflictException",
        ),
        (serde_json::json!({"action": "error"}), "needs the name"),
        (
            serde_json::json!({"action": "error", "operation": "CreateAttendee", "error": "ResourceLimitExceededException"}),
            "meetings API does not model",
        ),
        (serde_json::json!({"action": "latency"}), "needs latencyMs"),
        (
            serde_json::json!({"action": "latency", "latencyMs": 0}),
            "from 1 to",
        ),
        (
            serde_json::json!({"action": "drop", "probability": 0}),
            "probability",
        ),
        (
            serde_json::json!({"action": "drop", "probability": 1.5}),
            "probability",
        ),
        (serde_json::json!({"action": "drop", "count": 0}), "count"),
        (
            serde_json::json!({"action": "drop", "ttlSeconds": 0}),
            "ttlSeconds",
        ),
        (
            serde_json::json!({"action": "drop", "operation": "Nope"}),
            "no operation named",
        ),
        (
            serde_json::json!({"action": "drop", "api": "other"}),
            "api must be",
        ),
        (
            serde_json::json!({"action": "drop", "attendeeId": "a"}),
            "signaling",
        ),
        (
            serde_json::json!({"action": "refuseJoin", "api": "meetings"}),
            "signaling",
        ),
        (
            serde_json::json!({"action": "refuseJoin", "operation": "CreateMeeting"}),
            "no operations",
        ),
        (serde_json::json!({"action": "explode"}), "action must be"),
    ] {
        let e = f.add(spec(json.clone())).unwrap_err();
        assert!(e.contains(says), "{json}: {e}");
    }
    assert!(f.list().is_empty());
    // Unknown members are refused by the JSON reader.
    assert!(
        serde_json::from_value::<RuleSpec>(serde_json::json!({"action": "drop", "bogus": 1}))
            .is_err()
    );
}

#[test]
fn rules_are_removed_one_by_one_or_all() {
    let f = Faults::seeded(1);
    let a = f.add(spec(serde_json::json!({"action": "drop"}))).unwrap();
    f.add(spec(serde_json::json!({"action": "refuseJoin"})))
        .unwrap();
    f.add(spec(
        serde_json::json!({"action": "latency", "latencyMs": 5}),
    ))
    .unwrap();
    assert!(f.remove(&a.id));
    assert!(!f.remove(&a.id));
    assert_eq!(f.list().len(), 2);
    assert!(f.has_signaling_rules());
    assert_eq!(f.clear(), 2);
    assert!(!f.has_signaling_rules());
    assert_eq!(f.api(&req(Api::Meetings, "GetMeeting", None)), None);
}

#[test]
fn signaling_rules_match_meeting_and_attendee_and_its_content_share() {
    let f = Faults::seeded(1);
    f.add(spec(serde_json::json!({"action": "refuseJoin", "meetingId": MEETING, "attendeeId": "ABC", "count": 2})))
        .unwrap();
    f.add(spec(
        serde_json::json!({"action": "delayFrames", "latencyMs": 30}),
    ))
    .unwrap();
    let key = |attendee_id| SessionKey {
        account_id: "111122223333",
        meeting_id: MEETING,
        attendee_id,
    };
    assert!(!f.refuse_join(&key("other")));
    assert!(f.refuse_join(&key("abc")));
    assert!(f.refuse_join(&key("abc#content")));
    assert!(!f.refuse_join(&key("abc")), "used up");
    assert_eq!(f.frame_delay(&key("x")), Some(Duration::from_millis(30)));
    // Signaling rules never touch API requests, nor API rules sessions.
    assert_eq!(f.api(&req(Api::Meetings, "GetMeeting", None)), None);
    f.add(spec(serde_json::json!({"action": "drop"}))).unwrap();
    assert!(!f.refuse_join(&key("abc")));
}

#[test]
fn the_number_of_rules_is_bounded() {
    let f = Faults::seeded(1);
    let specs = (0..MAX_RULES)
        .map(|_| spec(serde_json::json!({"action": "drop", "meetingId": "x"})))
        .collect();
    f.add_all(specs).unwrap();
    let e = f
        .add(spec(serde_json::json!({"action": "drop"})))
        .unwrap_err();
    assert!(e.contains("at most"), "{e}");
}

#[test]
fn a_file_is_all_or_nothing() {
    let f = Faults::seeded(1);
    let file = crate::FaultFile::parse(
        r#"{"rules": [{"action": "drop"}, {"action": "latency", "latencyMs": -1}]}"#,
    );
    assert!(file.is_err());
    let file = crate::FaultFile::parse(r#"{"rules": [{"action": "drop"}, {"action": "latency"}]}"#)
        .unwrap();
    let e = f.add_all(file.rules).unwrap_err();
    assert!(e.starts_with("rule 1:"), "{e}");
    assert!(f.list().is_empty());
}
