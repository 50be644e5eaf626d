use super::*;

fn plan(text: &str) -> Result<Plan, String> {
    parse(text.as_bytes())
}

fn refused(text: &str) -> String {
    match plan(text) {
        Ok(plan) => panic!("accepted {text}: {plan:?}"),
        Err(message) => message,
    }
}

#[test]
fn omitted_members_get_their_defaults() {
    let plan = plan(r#"{"meetings":[{}]}"#).unwrap();
    assert_eq!((plan.meetings, plan.attendees), (1, 0));
    let t = &plan.templates[0];
    assert_eq!(t.scope.account_id, DEFAULT_ACCOUNT_ID);
    assert_eq!(t.scope.namespace, Namespace::Meetings);
    assert_eq!(t.media_region, "us-east-1");
    assert_eq!(t.control_region, "us-east-1");
    assert_eq!(t.external_meeting_id(0), "seed");
    assert_eq!(t.max_attendees, None);
    assert!(t.tags.is_empty());
    assert_eq!(t.attendees.len(), 0);
}

#[test]
fn listed_and_generated_attendees_and_numbered_copies() {
    let plan = plan(
        r#"{"meetings":[
        {"accountId":"210987654321","api":"legacy","externalMeetingId":"standup",
         "mediaRegion":"eu-west-1","tags":[{"key":"team","value":"core"}],
         "attendees":[{"externalUserId":"alice"},{"externalUserId":"bob"}]},
        {"externalMeetingId":"load","count":3,"indexFrom":10,"attendeeCount":250,
         "externalUserIdPrefix":"u"}]}"#,
    )
    .unwrap();
    assert_eq!((plan.meetings, plan.attendees), (4, 2 + 3 * 250));
    let standup = &plan.templates[0];
    assert_eq!(standup.scope.namespace, Namespace::Legacy);
    assert_eq!(standup.external_meeting_id(0), "standup");
    let ids: Vec<_> = standup.attendees.external_user_ids().collect();
    assert_eq!(ids, ["alice", "bob"]);
    let load = &plan.templates[1];
    assert_eq!(load.copies(), 3);
    assert_eq!(
        (0..3)
            .map(|i| load.external_meeting_id(i))
            .collect::<Vec<_>>(),
        ["load-10", "load-11", "load-12"]
    );
    let ids: Vec<_> = load.attendees.external_user_ids().collect();
    assert_eq!(
        (ids.len(), ids[0].as_str(), ids[249].as_str()),
        (250, "u1", "u250")
    );
}

#[test]
fn what_is_wrong_is_named_with_where() {
    let cases = [
        (r#"{"meetings":[]}"#, "at least one meeting"),
        (r#"{"meeting":[{}]}"#, "not valid"),
        (
            r#"{"meetings":[{"colour":"red"}]}"#,
            "unknown field `colour`",
        ),
        (
            r#"{"meetings":[{},{"accountId":"12"}]}"#,
            "meetings[1].accountId",
        ),
        (r#"{"meetings":[{"api":"chime"}]}"#, "meetings[0].api"),
        (
            r#"{"meetings":[{"mediaRegion":"mars-1"}]}"#,
            "meetings[0].mediaRegion",
        ),
        (
            r#"{"meetings":[{"externalMeetingId":"x"}]}"#,
            "externalMeetingId: 1 characters",
        ),
        (
            r#"{"meetings":[{"externalMeetingId":"aws:x"}]}"#,
            "reserved prefix",
        ),
        (
            r#"{"meetings":[{"maxAttendees":251}]}"#,
            "maxAttendees: expected 1 to 250",
        ),
        (
            r#"{"meetings":[{"api":"legacy","maxAttendees":5}]}"#,
            "legacy API has no",
        ),
        (r#"{"meetings":[{"count":0}]}"#, "count: expected 1"),
        (
            r#"{"meetings":[{"indexFrom":3}]}"#,
            "indexFrom: only with count",
        ),
        (
            r#"{"meetings":[{"attendees":[{"externalUserId":"al"},{"externalUserId":"al"}]}]}"#,
            "attendees[1].externalUserId: given twice",
        ),
        (
            r#"{"meetings":[{"attendees":[{"externalUserId":"a*b"}]}]}"#,
            "attendees[0].externalUserId: Member must satisfy",
        ),
        (
            r#"{"meetings":[{"attendees":[],"attendeeCount":3}]}"#,
            "not both",
        ),
        (
            r#"{"meetings":[{"attendeeCount":3,"externalUserIdPrefix":""}]}"#,
            "externalUserIdPrefix: 1 characters",
        ),
        (
            r#"{"meetings":[{"externalUserIdPrefix":"u"}]}"#,
            "only with attendeeCount",
        ),
        (
            r#"{"meetings":[{"tags":[{"key":"","value":""}]}]}"#,
            "tags[0].key",
        ),
        (
            r#"{"meetings":[{"tags":[{"key":"a","value":"*"}]}]}"#,
            "tags[0].value",
        ),
        (
            r#"{"meetings":[{"tags":[{"key":"a","value":""},{"key":"a","value":""}]}]}"#,
            "tags[1].key",
        ),
    ];
    for (text, expected) in cases {
        let message = refused(text);
        assert!(message.contains(expected), "{text}: {message}");
    }
}

#[test]
fn the_attendee_cap_is_checked_up_front() {
    let message = refused(r#"{"meetings":[{"attendeeCount":251}]}"#);
    assert!(
        message.contains("251 attendees for a meeting of at most 250"),
        "{message}"
    );
    let message = refused(r#"{"meetings":[{"maxAttendees":2,"attendeeCount":3}]}"#);
    assert!(message.contains("at most 2"), "{message}");
    assert!(plan(r#"{"meetings":[{"attendeeCount":250}]}"#).is_ok());
    assert!(plan(r#"{"meetings":[{"maxAttendees":3,"attendeeCount":3}]}"#).is_ok());
}

#[test]
fn generated_ids_are_checked_at_their_longest() {
    // 60 characters of prefix: "…1" fits in 64, "…12345" does not.
    let prefix = "p".repeat(60);
    let fits =
        format!(r#"{{"meetings":[{{"attendeeCount":9,"externalUserIdPrefix":"{prefix}"}}]}}"#);
    assert!(plan(&fits).is_ok());
    let long =
        format!(r#"{{"meetings":[{{"attendeeCount":250,"externalUserIdPrefix":"{prefix}pp"}}]}}"#);
    assert!(refused(&long).contains("externalUserIdPrefix: 65 characters"));
    let name = "m".repeat(62);
    let numbered = format!(r#"{{"meetings":[{{"externalMeetingId":"{name}","count":10}}]}}"#);
    assert!(refused(&numbered).contains("externalMeetingId: 65 characters"));
}

#[test]
fn a_request_makes_a_bounded_number_of_meetings() {
    let half = MAX_MEETINGS / 2;
    let ok = format!(r#"{{"meetings":[{{"count":{half}}},{{"count":{half}}}]}}"#);
    assert_eq!(plan(&ok).unwrap().meetings, MAX_MEETINGS);
    let over = format!(r#"{{"meetings":[{{"count":{half}}},{{"count":{half}}},{{}}]}}"#);
    assert!(refused(&over).contains("several requests"));
}
