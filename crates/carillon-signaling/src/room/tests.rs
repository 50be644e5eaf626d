//! The room's occupancy as the presence reports see it.

use super::*;
use crate::presence::{Mark, PresenceReports};

struct Fixture {
    room: Room,
    reports: Arc<PresenceReports>,
    /// Kept so that the sessions' queues stay open.
    queues: Vec<mpsc::Receiver<Bytes>>,
}

impl Fixture {
    fn new() -> Self {
        let reports = Arc::new(PresenceReports::default());
        Fixture {
            room: Room::new("m".into(), DataLimits::default(), reports.clone()),
            reports,
            queues: Vec::new(),
        }
    }

    fn join(&mut self, session: SessionId, attendee_id: &str) -> Result<Joined, JoinRefusal> {
        let (frames, queue) = mpsc::channel(16);
        self.queues.push(queue);
        let joiner = Joiner {
            session,
            attendee_id: attendee_id.into(),
            external_user_id: "user".into(),
            content: attendee_id.ends_with("#content"),
            link: SessionLink {
                frames,
                end: Arc::default(),
            },
        };
        self.room.join(joiner, &[], || Ok(()))
    }

    /// The mark the room's transitions since the last call left pending, if any.
    fn mark(&self) -> Option<Mark> {
        let mut pending = self.reports.take_pending();
        assert!(pending.len() <= 1);
        pending.pop().map(|(meeting_id, mark)| {
            assert_eq!(&*meeting_id, "m");
            mark
        })
    }
}

fn idle(mark: Option<Mark>) -> bool {
    matches!(mark, Some(Mark::Idle { .. }))
}

#[test]
fn the_first_attendee_occupies_and_the_last_one_vacates() {
    let mut f = Fixture::new();
    f.join(1, "alice").unwrap();
    assert_eq!(f.mark(), Some(Mark::Connected));
    f.join(2, "bob").unwrap();
    f.room.leave(1, Departure::Left);
    assert_eq!(f.mark(), None);
    let before = carillon_core::clock::now_ms();
    f.room.leave(2, Departure::Dropped);
    let after = carillon_core::clock::now_ms();
    match f.mark() {
        Some(Mark::Idle { since_ms }) => assert!((before..=after).contains(&since_ms)),
        other => panic!("{other:?}"),
    }
    assert_eq!(f.reports.occupied_meetings(), 0);
}

#[test]
fn a_content_share_alone_does_not_occupy_the_meeting() {
    let mut f = Fixture::new();
    f.join(1, "alice#content").unwrap();
    assert_eq!(f.mark(), None);
    f.join(2, "alice").unwrap();
    assert_eq!(f.mark(), Some(Mark::Connected));
    // The attendee leaves its content share behind: nobody is connected any more.
    f.room.leave(2, Departure::Left);
    assert!(idle(f.mark()));
}

#[test]
fn a_replaced_connection_keeps_the_meeting_occupied() {
    let mut f = Fixture::new();
    f.join(1, "alice").unwrap();
    assert_eq!(f.mark(), Some(Mark::Connected));
    f.join(2, "alice").unwrap();
    assert_eq!(f.mark(), None);
    assert_eq!(f.reports.occupied_meetings(), 1);
}

#[test]
fn every_way_the_server_ends_sessions_vacates() {
    let mut f = Fixture::new();
    f.join(1, "alice").unwrap();
    f.join(2, "alice#content").unwrap();
    f.mark();
    f.room.remove_attendee("alice");
    assert!(idle(f.mark()));

    f.join(3, "bob").unwrap();
    f.mark();
    f.room.end_all(Ending::GOING_AWAY);
    assert!(idle(f.mark()));

    f.join(4, "carol").unwrap();
    f.mark();
    f.room.end_meeting();
    assert!(idle(f.mark()));
    assert_eq!(f.reports.occupied_meetings(), 0);
}

#[test]
fn an_evicted_last_member_vacates() {
    let mut f = Fixture::new();
    f.join(1, "alice").unwrap();
    f.mark();
    // Alice stops reading: her queue fills up with her own mute updates and she is dropped.
    f.room.subscribe(1, false);
    for i in 0..64 {
        f.room.mute(1, i % 2 == 0);
    }
    assert!(idle(f.mark()));
}

#[test]
fn an_attendee_marked_present_occupies_the_meeting_without_a_session() {
    let mut f = Fixture::new();
    assert_eq!(f.room.mark("alice", true), Ok(true));
    assert_eq!(f.room.mark("alice", true), Ok(false), "already marked");
    assert_eq!(f.mark(), Some(Mark::Connected));
    assert!(
        !f.room.retire_if_empty(),
        "a marked attendee keeps the room"
    );
    f.join(1, "bob").unwrap();
    f.room.leave(1, Departure::Left);
    assert_eq!(f.mark(), None, "still occupied by the mark");
    assert_eq!(f.room.mark("alice", false), Ok(true));
    assert!(idle(f.mark()));
    assert_eq!(f.room.mark("alice", false), Ok(false));

    f.room.mark("carol", true).unwrap();
    f.room.remove_attendee("carol");
    assert!(idle(f.mark()), "a deleted attendee's mark goes with it");
    f.room.mark("dave", true).unwrap();
    f.room.end_meeting();
    assert!(matches!(
        f.room.mark("dave", true),
        Err(JoinRefusal::Ended(_))
    ));
}

#[test]
fn presence_names_the_sessions_and_the_marks_here_now() {
    let mut f = Fixture::new();
    assert_eq!(f.room.present(), (vec![], vec![]));
    f.join(1, "alice").unwrap();
    f.join(2, "alice#content").unwrap();
    f.room.mark("bob", true).unwrap();
    let (mut sessions, marked) = f.room.present();
    sessions.sort();
    assert_eq!(
        sessions,
        vec![Arc::from("alice"), Arc::from("alice#content")]
    );
    assert_eq!(marked, vec![Arc::from("bob")]);
    f.room.leave(2, Departure::Left);
    f.room.mark("bob", false).unwrap();
    assert_eq!(f.room.present(), (vec![Arc::from("alice")], vec![]));
}
