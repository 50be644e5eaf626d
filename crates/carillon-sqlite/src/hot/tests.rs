use carillon_core::conformance::{attendee, meeting_record, new_scope, ENDED_AT_MS};
use carillon_core::store::rules;

use super::*;

fn roster(meeting: &MeetingRecord, n: usize) -> Vec<(AttendeeRecord, i64)> {
    // Positions with gaps, as deleted attendees leave them.
    (0..n)
        .map(|i| (attendee(meeting, &format!("user-{i}")), 3 * i as i64 + 1))
        .collect()
}

/// A cache holding `meeting` and, under it, its roster.
fn holding(meeting: &MeetingRecord, roster: &[(AttendeeRecord, i64)]) -> Hot {
    let hot = Hot::default();
    hot.keep(hot.ticket(), Keep::Meeting(meeting.clone()));
    let id = meeting.meeting_id.clone();
    hot.keep(hot.ticket(), Keep::Roster(id, roster.to_vec()));
    hot
}

#[test]
fn a_kept_meeting_is_served_to_its_scope_only() {
    let scope = new_scope();
    let meeting = meeting_record(&scope);
    let hot = Hot::default();
    assert_eq!(hot.meeting(&scope, &meeting.meeting_id), None);
    hot.keep(hot.ticket(), Keep::Meeting(meeting.clone()));
    assert_eq!(
        hot.meeting(&scope, &meeting.meeting_id),
        Some(meeting.clone())
    );
    assert_eq!(hot.meeting(&new_scope(), &meeting.meeting_id), None);
    assert!(!hot.holds(&new_scope(), &meeting.meeting_id));
}

#[test]
fn an_ended_meeting_is_not_kept() {
    let scope = new_scope();
    let meeting = MeetingRecord {
        ended_at_ms: Some(ENDED_AT_MS),
        ..meeting_record(&scope)
    };
    let hot = Hot::default();
    hot.keep(hot.ticket(), Keep::Meeting(meeting.clone()));
    assert_eq!(hot.meeting(&scope, &meeting.meeting_id), None);
}

#[test]
fn what_was_read_before_a_forgetting_is_not_kept() {
    let scope = new_scope();
    let meeting = meeting_record(&scope);
    let hot = Hot::default();
    let ticket = hot.ticket();
    hot.forget(&Changed::Meetings(vec![meeting.meeting_id.clone()]));
    hot.keep(ticket, Keep::Meeting(meeting.clone()));
    assert_eq!(hot.meeting(&scope, &meeting.meeting_id), None);

    // A write that changed nothing held does not refuse later keeps.
    let ticket = hot.ticket();
    hot.forget(&Changed::Nothing);
    hot.keep(ticket, Keep::Meeting(meeting.clone()));
    assert!(hot.holds(&scope, &meeting.meeting_id));
}

#[test]
fn attendees_are_kept_only_under_a_held_meeting() {
    let scope = new_scope();
    let meeting = meeting_record(&scope);
    let a = attendee(&meeting, "a");
    let hot = Hot::default();
    hot.keep(hot.ticket(), Keep::Attendee(None, a.clone()));
    assert_eq!(
        hot.attendee(&scope, &meeting.meeting_id, &a.attendee_id),
        None
    );
    hot.keep(
        hot.ticket(),
        Keep::Attendee(Some(meeting.clone()), a.clone()),
    );
    assert_eq!(
        hot.attendee(&scope, &meeting.meeting_id, &a.attendee_id),
        Some(AttendeeLookup::Found(a.clone()))
    );
    // Held one by one, an unknown attendee is not known to be absent.
    assert_eq!(hot.attendee(&scope, &meeting.meeting_id, "other"), None);
    assert_eq!(
        hot.attendee(&new_scope(), &meeting.meeting_id, &a.attendee_id),
        None
    );
}

#[test]
fn a_held_roster_answers_for_every_attendee() {
    let scope = new_scope();
    let meeting = meeting_record(&scope);
    let rows = roster(&meeting, 5);
    let hot = holding(&meeting, &rows);
    for (a, _) in &rows {
        assert_eq!(
            hot.attendee(&scope, &meeting.meeting_id, &a.attendee_id),
            Some(AttendeeLookup::Found(a.clone()))
        );
    }
    assert_eq!(
        hot.attendee(&scope, &meeting.meeting_id, "absent"),
        Some(AttendeeLookup::AttendeeNotFound)
    );
}

/// Every page a held roster serves is the one [`rules::page`] cuts from the rows the
/// database's page statement returns (those after the position, one more than the limit).
#[test]
fn pages_from_a_roster_are_the_databases() {
    let scope = new_scope();
    let meeting = meeting_record(&scope);
    for n in [0, 1, 7, 10, 11, 30] {
        let rows = roster(&meeting, n);
        let hot = holding(&meeting, &rows);
        for limit in [0, 1, 2, 5, 10, 100] {
            for after in [
                None,
                Some(0),
                Some(1),
                Some(2),
                Some(4),
                Some(16),
                Some(1000),
            ] {
                let from_db: Vec<_> = rows
                    .iter()
                    .filter(|(_, p)| *p > after.unwrap_or(0))
                    .take(rules::rows_for_page(limit) as usize)
                    .cloned()
                    .collect();
                let want = rules::page(from_db, limit, after);
                let got = hot
                    .page(&scope, &meeting.meeting_id, after, limit)
                    .expect("held");
                assert_eq!(got.items, want.items, "n={n} limit={limit} after={after:?}");
                assert_eq!(got.next, want.next, "n={n} limit={limit} after={after:?}");
            }
        }
    }
}

#[test]
fn each_change_forgets_what_it_says() {
    let scope = new_scope();
    let meeting = meeting_record(&scope);
    let id = meeting.meeting_id.clone();
    let rows = roster(&meeting, 3);
    let (first, second) = (rows[0].0.clone(), rows[1].0.clone());
    let with_one_by_one = || {
        let hot = holding(&meeting, &rows);
        hot.keep(hot.ticket(), Keep::Attendee(None, first.clone()));
        hot
    };

    // A create: the roster is gone, the attendees held one by one are not.
    let hot = with_one_by_one();
    hot.forget(&Changed::Roster(id.clone()));
    assert!(hot.page(&scope, &id, None, 10).is_none());
    assert!(hot.attendee(&scope, &id, &first.attendee_id).is_some());
    assert_eq!(hot.attendee(&scope, &id, &second.attendee_id), None);

    // One attendee: it and the roster.
    let hot = with_one_by_one();
    hot.forget(&Changed::attendee(&id, &first.attendee_id));
    assert_eq!(hot.attendee(&scope, &id, &first.attendee_id), None);
    assert!(hot.page(&scope, &id, None, 10).is_none());
    assert!(hot.holds(&scope, &id));

    // Every attendee: the meeting stays.
    let hot = with_one_by_one();
    hot.forget(&Changed::AttendeesOf(id.clone()));
    assert_eq!(hot.attendee(&scope, &id, &first.attendee_id), None);
    assert!(hot.page(&scope, &id, None, 10).is_none());
    assert!(hot.holds(&scope, &id));
    assert_eq!(hot.lock().attendees, 0);

    // The meeting: all of it.
    for changed in [Changed::Meetings(vec![id.clone()]), Changed::Everything] {
        let hot = with_one_by_one();
        hot.forget(&changed);
        assert!(!hot.holds(&scope, &id));
        assert_eq!(hot.lock().attendees, 0);
    }
}

#[test]
fn memory_stays_within_its_bounds() {
    let scope = new_scope();
    let hot = Hot::default();
    let per_meeting = 200;
    for _ in 0..(ATTENDEES_MAX / per_meeting + 20) {
        let meeting = meeting_record(&scope);
        hot.keep(hot.ticket(), Keep::Meeting(meeting.clone()));
        let rows = roster(&meeting, per_meeting);
        hot.keep(hot.ticket(), Keep::Roster(meeting.meeting_id.clone(), rows));
        let state = hot.lock();
        let counted: usize = state.meetings.values().map(Held::size).sum();
        assert_eq!(state.attendees, counted);
        assert!(state.attendees <= ATTENDEES_MAX);
    }
    for _ in 0..MEETINGS_MAX + 10 {
        hot.keep(hot.ticket(), Keep::Meeting(meeting_record(&scope)));
    }
    assert!(hot.lock().meetings.len() <= MEETINGS_MAX);
    // A roster larger than any meeting may hold is not kept.
    let meeting = meeting_record(&scope);
    hot.keep(hot.ticket(), Keep::Meeting(meeting.clone()));
    let rows = roster(&meeting, ROSTER_MAX + 1);
    hot.keep(hot.ticket(), Keep::Roster(meeting.meeting_id.clone(), rows));
    assert!(hot.page(&scope, &meeting.meeting_id, None, 10).is_none());
}
