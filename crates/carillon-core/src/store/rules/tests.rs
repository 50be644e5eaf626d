use super::*;
use crate::domain::{Namespace, Scope};

/// A meeting of account 123456789012 in the current namespace.
pub(crate) fn record(meeting_id: &str, primary: Option<&str>) -> MeetingRecord {
    MeetingRecord {
        meeting_id: meeting_id.into(),
        scope: Scope {
            account_id: "123456789012".into(),
            namespace: Namespace::Meetings,
        },
        control_region: "us-east-1".into(),
        client_request_token: format!("token-{meeting_id}"),
        media_region: "us-east-1".into(),
        external_meeting_id: Some("external".into()),
        meeting_host_id: None,
        primary_meeting_id: primary.map(str::to_owned),
        tenant_ids: Vec::new(),
        features: None,
        notifications: None,
        media_placement_network_type: None,
        transcription: None,
        created_at_ms: 1,
        ended_at_ms: None,
        end_reason: None,
    }
}

fn active(seq: i64, meeting_id: &str, primary: Option<&str>) -> ActiveMeeting {
    ActiveMeeting::inserted(&record(meeting_id, primary), seq)
}

fn new_meeting(primary: Option<&str>) -> NewMeeting {
    NewMeeting {
        record: record("new", primary),
        tags: Vec::new(),
        max_replicas: 2,
        max_active_meetings: Some(3),
    }
}

fn facts(
    same_token: Option<MeetingRecord>,
    primary: Option<PrimaryFacts>,
    at_quota: bool,
) -> CreationFacts {
    CreationFacts {
        same_token,
        primary,
        at_quota,
    }
}

fn primary(meeting: Option<ActiveMeeting>, active_replicas: usize) -> Option<PrimaryFacts> {
    Some(PrimaryFacts {
        meeting,
        active_replicas,
    })
}

fn outcome(o: Option<CreateMeetingOutcome>) -> &'static str {
    match o {
        None => "create",
        Some(CreateMeetingOutcome::Created { .. }) => "created",
        Some(CreateMeetingOutcome::Replayed { .. }) => "replayed",
        Some(CreateMeetingOutcome::PrimaryNotFound) => "primary not found",
        Some(CreateMeetingOutcome::PrimaryIsReplica) => "primary is a replica",
        Some(CreateMeetingOutcome::TooManyReplicas) => "too many replicas",
        Some(CreateMeetingOutcome::TooManyMeetings) => "too many meetings",
    }
}

#[test]
fn a_replay_answers_before_any_other_rule() {
    let new = new_meeting(Some("p"));
    let earlier = record("earlier", None);
    let decided = creation_refusal(&new, facts(Some(earlier.clone()), primary(None, 0), true));
    match decided {
        Some(CreateMeetingOutcome::Replayed { meeting }) => assert!(meeting == earlier),
        other => panic!("{}", outcome(other)),
    }
}

#[test]
fn the_primary_rules_come_before_the_quota() {
    let new = new_meeting(Some("p"));
    let decide = |p, at_quota| outcome(creation_refusal(&new, facts(None, p, at_quota)));
    assert_eq!(decide(primary(None, 0), true), "primary not found");
    let replica = active(1, "p", Some("q"));
    assert_eq!(
        decide(primary(Some(replica), 0), true),
        "primary is a replica"
    );
    let p = active(1, "p", None);
    assert_eq!(
        decide(primary(Some(p.clone()), 2), true),
        "too many replicas"
    );
    assert_eq!(
        decide(primary(Some(p.clone()), 1), true),
        "too many meetings"
    );
    assert_eq!(decide(primary(Some(p), 1), false), "create");
}

#[test]
fn without_a_primary_only_the_quota_can_refuse() {
    let new = new_meeting(None);
    let decide = |at_quota| outcome(creation_refusal(&new, facts(None, None, at_quota)));
    assert_eq!(decide(true), "too many meetings");
    assert_eq!(decide(false), "create");
}

#[test]
fn only_new_attendees_take_seats() {
    let mut meeting = active(1, "m", None);
    meeting.max_attendees = 3;
    meeting.attendee_count = 1;
    let mut seats = Seats::of(&meeting);
    assert_eq!(seats.changed(), None);
    assert!(seats.fit(2) && !seats.fit(3));
    seats.take();
    assert!(seats.free());
    seats.take();
    assert!(!seats.free() && seats.fit(0) && !seats.fit(1));
    assert_eq!(seats.changed(), Some(3));
    assert!(!seats.fit(usize::MAX));
}

#[test]
fn an_attendee_not_inserted_is_the_existing_one_or_refused() {
    let existing = AttendeeRecord {
        meeting_id: "m".into(),
        attendee_id: "a".into(),
        external_user_id: "u".into(),
        join_token: "t".into(),
        capabilities: None,
    };
    match not_inserted(Some(existing.clone()), "u".into()) {
        AttendeeOutcome::Existing(a) => assert_eq!(a, existing),
        other => panic!("{other:?}"),
    }
    match not_inserted(None, "v".into()) {
        AttendeeOutcome::LimitExceeded { external_user_id } => assert_eq!(external_user_id, "v"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_primary_ends_with_its_replicas_and_a_replica_alone() {
    let replicas = vec![(5, "r1".to_owned()), (9, "r2".to_owned())];
    assert_eq!(
        ending(active(2, "p", None), replicas.clone()),
        [(2, "p".into()), (5, "r1".into()), (9, "r2".into())]
    );
    assert_eq!(
        ending(active(5, "r1", Some("p")), replicas),
        [(5, "r1".into())]
    );
    assert_eq!(ending(active(3, "m", None), Vec::new()), [(3, "m".into())]);
}

fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.into(),
        value: value.into(),
    }
}

fn keys(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| (*k).to_owned()).collect()
}

#[test]
fn a_repeated_key_keeps_its_first_place_and_its_last_value() {
    let tags = vec![
        tag("k1", "a"),
        tag("k2", "b"),
        tag("k1", "c"),
        tag("k1", "d"),
    ];
    assert_eq!(dedup_tags(tags), [tag("k1", "d"), tag("k2", "b")]);
    assert_eq!(dedup_tags(Vec::new()), []);
}

#[test]
fn the_tag_cap_counts_distinct_keys_after_the_change() {
    let existing = || keys(&["k1", "k2"]);
    let change = || vec![tag("k2", "x"), tag("k3", "y"), tag("k3", "z")];
    assert_eq!(
        merge_tags(existing(), change(), 3),
        Some(vec![tag("k2", "x"), tag("k3", "z")])
    );
    assert_eq!(merge_tags(existing(), change(), 2), None);
    // Overwriting only never passes the cap, even a resource already at it.
    assert_eq!(
        merge_tags(existing(), vec![tag("k1", "v")], 2),
        Some(vec![tag("k1", "v")])
    );
    assert_eq!(merge_tags(keys(&[]), vec![tag("a", "1")], 0), None);
}

#[test]
fn a_page_reads_one_row_more_than_it_keeps() {
    assert_eq!(rows_for_page(10), 11);
    assert_eq!(rows_for_page(usize::MAX), i64::MAX);

    let rows = || vec![("a", 5), ("b", 7), ("c", 9)];
    let full = page(rows(), 2, None);
    assert_eq!((full.items, full.next), (vec!["a", "b"], Some(7)));
    let last = page(rows(), 3, Some(4));
    assert_eq!((last.items, last.next), (vec!["a", "b", "c"], None));
    let empty = page(Vec::<(&str, i64)>::new(), 3, Some(4));
    assert_eq!((empty.items.len(), empty.next), (0, None));
    // A page of none that is followed by more starts again where it was.
    assert_eq!(page(rows(), 0, Some(4)).next, Some(4));
    assert_eq!(page(rows(), 0, None).next, Some(0));
}

#[test]
fn a_join_tells_an_ended_meeting_from_an_unknown_one() {
    let attendee = AttendeeRecord {
        meeting_id: "m".into(),
        attendee_id: "a".into(),
        external_user_id: "u".into(),
        join_token: "t".into(),
        capabilities: None,
    };
    let meeting = record("m", None);
    let mut ended = meeting.clone();
    ended.ended_at_ms = Some(2);
    assert_eq!(join_lookup(None, None), JoinLookup::MeetingNotFound);
    assert_eq!(
        join_lookup(Some(ended.clone()), Some(attendee.clone())),
        JoinLookup::MeetingEnded(ended)
    );
    assert_eq!(
        join_lookup(Some(meeting.clone()), None),
        JoinLookup::AttendeeNotFound(meeting.clone())
    );
    assert_eq!(
        join_lookup(Some(meeting.clone()), Some(attendee.clone())),
        JoinLookup::Found(meeting, attendee)
    );
}
