//! Per-connection workload state: which operation comes next, and the meeting a connection's
//! creates go to (rotated before it could reach the 250-attendee cap).
//!
//! Kept apart from the HTTP code so the rotation rules can be tested without a server.

use std::sync::Arc;

use crate::workload::{
    self, Op, Pool, RequestSpec, Rng, Workload, ATTENDEES_PER_MEETING, BATCHES_PER_MEETING, MIX,
};

/// Decides and builds one connection's requests.
#[derive(Debug)]
pub struct Driver {
    workload: Workload,
    conn: usize,
    run_id: Arc<str>,
    pool: Arc<Pool>,
    rng: Rng,
    /// The meeting this connection's CreateAttendee / BatchCreateAttendee calls go to.
    meeting: Option<String>,
    /// Calls already sent to `meeting`.
    used: u32,
    /// A per-connection sequence number, for unique tokens and ExternalUserIds.
    seq: u64,
    /// Members added to every CreateMeeting (`,"Name":value` each).
    meeting_members: String,
}

impl Driver {
    /// `run_id` makes tokens unique across runs; `pool` must be non-empty for read workloads.
    pub fn new(workload: Workload, conn: usize, run_id: Arc<str>, pool: Arc<Pool>) -> Self {
        Driver {
            workload,
            conn,
            run_id,
            pool,
            rng: Rng::new(conn as u64 + 1),
            meeting: None,
            used: 0,
            seq: 0,
            meeting_members: String::new(),
        }
    }

    /// Adds `members` (`,"Name":value` each) to every CreateMeeting this driver builds.
    pub fn with_meeting_members(mut self, members: &str) -> Self {
        self.meeting_members = members.to_owned();
        self
    }

    /// The operation of the next request.
    pub fn next_op(&mut self) -> Op {
        match self.workload {
            Workload::CreateMeeting => Op::CreateMeeting,
            Workload::CreateAttendee => Op::CreateAttendee,
            Workload::BatchCreate => Op::BatchCreateAttendee,
            Workload::GetAttendee => Op::GetAttendee,
            Workload::ListAttendees => Op::ListAttendees,
            Workload::Mixed => {
                let mut roll = (self.rng.next_u64() % 100) as u32;
                for (op, weight) in MIX {
                    if roll < weight {
                        return op;
                    }
                    roll -= weight;
                }
                Op::GetAttendee
            }
        }
    }

    /// Whether `op` needs a fresh meeting first (see [`Driver::meeting_request`]).
    pub fn needs_meeting(&self, op: Op) -> bool {
        let limit = match op {
            Op::CreateAttendee => ATTENDEES_PER_MEETING,
            Op::BatchCreateAttendee => BATCHES_PER_MEETING,
            _ => return false,
        };
        self.meeting.is_none() || self.used >= limit
    }

    /// A CreateMeeting with a token no other request of any run uses.
    pub fn meeting_request(&mut self) -> RequestSpec {
        self.seq += 1;
        let token = format!("{}-{}-{}", self.run_id, self.conn, self.seq);
        let external = format!("bench-{}-{}", self.conn, self.seq);
        workload::create_meeting_with(&token, &external, &self.meeting_members)
    }

    /// The meeting the next creates go to.
    pub fn set_meeting(&mut self, meeting_id: String) {
        self.meeting = Some(meeting_id);
        self.used = 0;
    }

    /// The request for `op`. Creates need a meeting ([`Driver::needs_meeting`] is false).
    pub fn request(&mut self, op: Op) -> RequestSpec {
        match op {
            Op::CreateMeeting => self.meeting_request(),
            Op::CreateAttendee | Op::BatchCreateAttendee => {
                let meeting = self.meeting.as_deref().unwrap_or("missing-meeting");
                let prefix = format!("u{}-{}", self.conn, self.used);
                self.used += 1;
                if op == Op::CreateAttendee {
                    workload::create_attendee(meeting, &prefix)
                } else {
                    workload::batch_create(meeting, &prefix)
                }
            }
            Op::GetAttendee => {
                let (m, attendee) = &self.pool.attendees[self.rng.below(self.pool.attendees.len())];
                workload::get_attendee(&self.pool.meetings[*m], attendee)
            }
            Op::ListAttendees => {
                let m = &self.pool.meetings[self.rng.below(self.pool.meetings.len())];
                workload::list_attendees(m)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> Arc<Pool> {
        Arc::new(Pool {
            meetings: vec!["m0".into(), "m1".into()],
            attendees: vec![(0, "a0".into()), (1, "a1".into())],
        })
    }

    #[test]
    fn create_attendee_rotates_meetings_before_the_cap() {
        let mut d = Driver::new(Workload::CreateAttendee, 3, "run".into(), pool());
        let mut meetings = 0;
        let mut per_meeting = 0;
        for _ in 0..1000 {
            let op = d.next_op();
            if d.needs_meeting(op) {
                meetings += 1;
                per_meeting = 0;
                d.set_meeting(format!("m{meetings}"));
            }
            let spec = d.request(op);
            per_meeting += 1;
            assert!(per_meeting <= 250);
            assert_eq!(spec.path, format!("/meetings/m{meetings}/attendees"));
        }
        assert_eq!(meetings, 5);
    }

    #[test]
    fn batch_create_uses_a_meeting_for_two_calls() {
        let mut d = Driver::new(Workload::BatchCreate, 0, "run".into(), pool());
        let mut meetings = 0;
        for _ in 0..10 {
            let op = d.next_op();
            if d.needs_meeting(op) {
                meetings += 1;
                d.set_meeting(format!("m{meetings}"));
            }
            assert_eq!(d.request(op).query, "operation=batch-create");
        }
        assert_eq!(meetings, 5);
    }

    #[test]
    fn tokens_are_unique_and_valid() {
        let mut d = Driver::new(
            Workload::CreateMeeting,
            7,
            "0123456789abcdef".into(),
            pool(),
        );
        let a = d.request(Op::CreateMeeting);
        let b = d.request(Op::CreateMeeting);
        assert_ne!(a.body, b.body);
        let v: serde_json::Value = serde_json::from_slice(&a.body).unwrap();
        let token = v["ClientRequestToken"].as_str().unwrap();
        assert!(token.len() <= 64);
        assert!(token
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    }

    #[test]
    fn mixed_follows_the_documented_mix() {
        let mut d = Driver::new(Workload::Mixed, 1, "run".into(), pool());
        let mut counts = [0u32; 5];
        for _ in 0..10_000 {
            counts[d.next_op().index()] += 1;
        }
        for (op, weight) in MIX {
            let share = f64::from(counts[op.index()]) / 100.0;
            assert!((share - f64::from(weight)).abs() < 2.0, "{op:?} {share}");
        }
        assert_eq!(counts[Op::BatchCreateAttendee.index()], 0);
    }
}
