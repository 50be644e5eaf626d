//! The ledger: what the server acknowledged, across all rounds, and what the load does next.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::{Mutex, MutexGuard};

use crate::outcome::{Created, Outcome};
use crate::{Rng, BATCH, LIVE_MEETINGS, MIN_OPEN, SOFT_CAP};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    Live,
    /// Acknowledged as deleted.
    Deleted,
    /// A delete without an answer: resolved by the checks after the restart.
    Unsure,
}

#[derive(Debug, Clone)]
pub(crate) struct AttendeeEntry {
    pub(crate) external_user_id: String,
    pub(crate) join_token: String,
    pub(crate) fate: Fate,
    /// A DeleteAttendee is in flight.
    pub(crate) deleting: bool,
    /// GetAttendee confirmed its present state after a restart, and nothing changed since.
    pub(crate) settled: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct MeetingEntry {
    pub(crate) token: String,
    pub(crate) fate: Fate,
    /// A DeleteMeeting is in flight or was sent.
    pub(crate) deleting: bool,
    /// Attendees acknowledged (or found after a crash, from a request without an answer).
    pub(crate) attendees: HashMap<String, AttendeeEntry>,
    /// ExternalUserIds of creates without an answer since the last check.
    pub(crate) unanswered: HashSet<String>,
    /// Live attendees plus creates in flight, to stay under the cap.
    pub(crate) load: usize,
    /// Its attendees were checked to be gone after it ended.
    pub(crate) gone_checked: bool,
}

impl MeetingEntry {
    pub(crate) fn new(token: String) -> Self {
        MeetingEntry {
            token,
            fate: Fate::Live,
            deleting: false,
            attendees: HashMap::new(),
            unanswered: HashSet::new(),
            load: 0,
            gone_checked: false,
        }
    }

    pub(crate) fn count(&self, fate: Fate) -> usize {
        self.attendees.values().filter(|a| a.fate == fate).count()
    }
}

pub(crate) const OPS: [&str; 5] = [
    "CreateMeeting",
    "CreateAttendee",
    "BatchCreateAttendee",
    "DeleteAttendee",
    "DeleteMeeting",
];

/// Counters of one round's load, per operation (indexes of [`OPS`]).
#[derive(Debug, Default, Clone)]
pub(crate) struct LoadStats {
    pub(crate) acked: [usize; 5],
    pub(crate) rejected: [usize; 5],
    pub(crate) unknown: [usize; 5],
    pub(crate) attendees_acked: usize,
    pub(crate) attendees_unanswered: usize,
}

impl LoadStats {
    pub(crate) fn total(counts: &[usize; 5]) -> usize {
        counts.iter().sum()
    }

    pub(crate) fn per_op(counts: &[usize; 5]) -> String {
        let mut out = String::new();
        for (name, n) in OPS.iter().zip(counts) {
            if !out.is_empty() {
                out.push_str(", ");
            }
            let _ = write!(out, "{name} {n}");
        }
        out
    }
}

#[derive(Default)]
pub(crate) struct Ledger {
    pub(crate) meetings: HashMap<String, MeetingEntry>,
    /// ClientRequestTokens of CreateMeeting requests without an answer.
    pub(crate) unanswered_meetings: Vec<String>,
    /// Live meetings that take new attendees.
    pub(crate) open: Vec<String>,
    /// Live meetings, candidates for DeleteMeeting (checked when picked).
    pub(crate) live: Vec<String>,
    /// More live meetings than [`LIVE_MEETINGS`] at the start of the round: delete more.
    pub(crate) crowded: bool,
    /// Candidates for DeleteAttendee (checked when picked).
    pub(crate) deletable: Vec<(String, String)>,
    pub(crate) stats: LoadStats,
    /// Answers the server should not have given, found during the load.
    pub(crate) anomalies: Vec<String>,
}

pub(crate) enum Plan {
    CreateMeeting,
    CreateAttendee(String),
    Batch(String, usize),
    DeleteAttendee(String, String),
    DeleteMeeting(String),
}

impl Ledger {
    /// Prepares a new round: which meetings take attendees, which attendees can be deleted.
    pub(crate) fn reopen(&mut self) {
        self.stats = LoadStats::default();
        let mut open: Vec<String> = Vec::new();
        let mut live: Vec<String> = Vec::new();
        let mut deletable = Vec::new();
        for (id, m) in &mut self.meetings {
            if m.fate != Fate::Live {
                continue;
            }
            m.deleting = false;
            live.push(id.clone());
            m.load = m.count(Fate::Live);
            if m.load < SOFT_CAP - BATCH.1 as usize {
                open.push(id.clone());
            }
            for (aid, a) in &mut m.attendees {
                a.deleting = false;
                if a.fate == Fate::Live {
                    deletable.push((id.clone(), aid.clone()));
                }
            }
        }
        // HashMap order varies between processes; sort so a seed picks the same targets.
        open.sort();
        deletable.sort();
        live.sort();
        self.crowded = live.len() > LIVE_MEETINGS;
        self.open = open;
        self.live = live;
        self.deletable = deletable;
    }

    pub(crate) fn plan(&mut self, rng: &mut Rng) -> Plan {
        let roll = rng.below(100);
        if self.open.len() < MIN_OPEN || roll < 10 {
            return Plan::CreateMeeting;
        }
        if roll >= if self.crowded { 85 } else { 95 } {
            if let Some(id) = self.pick_meeting_to_delete(rng) {
                return Plan::DeleteMeeting(id);
            }
        } else if roll >= 60 {
            if let Some((m, a)) = self.pick_attendee_to_delete(rng) {
                return Plan::DeleteAttendee(m, a);
            }
        }
        let n = if roll < 35 {
            1
        } else {
            rng.range(BATCH) as usize
        };
        match self.pick_open(rng, n) {
            Some(id) if n == 1 => Plan::CreateAttendee(id),
            Some(id) => Plan::Batch(id, n),
            None => Plan::CreateMeeting,
        }
    }

    pub(crate) fn pick_open(&mut self, rng: &mut Rng, n: usize) -> Option<String> {
        while !self.open.is_empty() {
            let i = rng.below(self.open.len());
            let m = &self.meetings[&self.open[i]];
            if m.fate == Fate::Live && !m.deleting && m.load + n <= SOFT_CAP {
                let id = self.open[i].clone();
                self.meetings.get_mut(&id).expect("open meeting").load += n;
                return Some(id);
            }
            if m.fate != Fate::Live || m.deleting || m.load + BATCH.0 as usize > SOFT_CAP {
                self.open.swap_remove(i);
            } else {
                return None;
            }
        }
        None
    }

    pub(crate) fn pick_meeting_to_delete(&mut self, rng: &mut Rng) -> Option<String> {
        if self.live.len() <= MIN_OPEN {
            return None;
        }
        let id = self.live.swap_remove(rng.below(self.live.len()));
        let m = self.meetings.get_mut(&id).expect("live meeting");
        if m.fate != Fate::Live || m.deleting {
            return None;
        }
        m.deleting = true;
        Some(id)
    }

    pub(crate) fn pick_attendee_to_delete(&mut self, rng: &mut Rng) -> Option<(String, String)> {
        for _ in 0..8 {
            if self.deletable.is_empty() {
                return None;
            }
            let (mid, aid) = self.deletable.swap_remove(rng.below(self.deletable.len()));
            let Some(m) = self.meetings.get_mut(&mid) else {
                continue;
            };
            if m.fate != Fate::Live || m.deleting {
                continue;
            }
            match m.attendees.get_mut(&aid) {
                Some(a) if a.fate == Fate::Live && !a.deleting => {
                    a.deleting = true;
                    return Some((mid, aid));
                }
                _ => continue,
            }
        }
        None
    }

    pub(crate) fn count(&mut self, op: usize, outcome: &Outcome<impl Sized>) {
        match outcome {
            Outcome::Acked(_) => self.stats.acked[op] += 1,
            Outcome::Rejected(_) => self.stats.rejected[op] += 1,
            Outcome::Unknown(why) => {
                self.stats.unknown[op] += 1;
                if why.starts_with("HTTP 5") {
                    self.anomalies.push(format!("{} answered {why}", OPS[op]));
                }
            }
        }
    }

    pub(crate) fn record_meeting(&mut self, token: String, result: Outcome<Option<String>>) {
        self.count(0, &result);
        match result {
            Outcome::Acked(Some(id)) => {
                if self.meetings.contains_key(&id) {
                    self.anomalies
                        .push(format!("CreateMeeting returned the MeetingId {id} twice"));
                    return;
                }
                self.meetings.insert(id.clone(), MeetingEntry::new(token));
                self.open.push(id.clone());
                self.live.push(id);
            }
            Outcome::Acked(None) => self
                .anomalies
                .push("CreateMeeting answered without a MeetingId".into()),
            Outcome::Rejected(why) => self
                .anomalies
                .push(format!("CreateMeeting was refused: {why}")),
            Outcome::Unknown(_) => self.unanswered_meetings.push(token),
        }
    }

    /// Records a CreateAttendee (`op` 1) or BatchCreateAttendee (`op` 2) of `requested`
    /// ExternalUserIds: the attendees created and the ErrorCodes of the others.
    pub(crate) fn record_attendees(
        &mut self,
        op: usize,
        meeting_id: &str,
        requested: &[String],
        result: Outcome<Created>,
    ) {
        self.count(op, &result);
        let Ledger {
            meetings,
            deletable,
            stats,
            anomalies,
            ..
        } = self;
        let m = meetings
            .get_mut(meeting_id)
            .expect("planned on a known meeting");
        match result {
            Outcome::Acked((created, errors)) => {
                let mut answered = HashSet::new();
                for a in created {
                    let (Some(aid), Some(ext), Some(token)) =
                        (a.attendee_id(), a.external_user_id(), a.join_token())
                    else {
                        anomalies.push(format!("{} answered an incomplete attendee", OPS[op]));
                        continue;
                    };
                    if !requested.iter().any(|r| r == ext) || !answered.insert(ext.to_string()) {
                        anomalies.push(format!(
                            "{} answered ExternalUserId {ext} it was not asked for (or twice)",
                            OPS[op]
                        ));
                    }
                    if m.attendees.contains_key(aid) {
                        anomalies.push(format!("AttendeeId {aid} handed out twice"));
                        continue;
                    }
                    stats.attendees_acked += 1;
                    m.attendees.insert(
                        aid.to_string(),
                        AttendeeEntry {
                            external_user_id: ext.to_string(),
                            join_token: token.to_string(),
                            fate: Fate::Live,
                            deleting: false,
                            settled: false,
                        },
                    );
                    deletable.push((meeting_id.to_string(), aid.to_string()));
                }
                for (ext, code) in errors {
                    m.load = m.load.saturating_sub(1);
                    if code != "LimitExceeded" {
                        anomalies.push(format!(
                            "BatchCreateAttendee reported {code} for {ext} on meeting {meeting_id}"
                        ));
                    }
                    if !answered.insert(ext.clone()) {
                        anomalies.push(format!("BatchCreateAttendee answered {ext} twice"));
                    }
                }
                if answered.len() != requested.len() {
                    anomalies.push(format!(
                        "{} answered {} of {} attendees",
                        OPS[op],
                        answered.len(),
                        requested.len()
                    ));
                }
            }
            Outcome::Rejected(why) => {
                m.load = m.load.saturating_sub(requested.len());
                let expected = why.ends_with("LimitExceededException")
                    || (why.ends_with("NotFoundException") && (m.deleting || m.fate != Fate::Live));
                if !expected {
                    anomalies.push(format!(
                        "{} on meeting {meeting_id} was refused: {why}",
                        OPS[op]
                    ));
                }
            }
            Outcome::Unknown(_) => {
                stats.attendees_unanswered += requested.len();
                m.unanswered.extend(requested.iter().cloned());
            }
        }
    }

    pub(crate) fn record_delete_attendee(
        &mut self,
        meeting_id: &str,
        attendee_id: &str,
        result: Outcome<()>,
    ) {
        self.count(3, &result);
        let m = self.meetings.get_mut(meeting_id).expect("known meeting");
        let meeting_ending = m.deleting || m.fate != Fate::Live;
        let a = m.attendees.get_mut(attendee_id).expect("known attendee");
        a.settled = false;
        match result {
            Outcome::Acked(()) => {
                a.fate = Fate::Deleted;
                m.load = m.load.saturating_sub(1);
            }
            Outcome::Rejected(why) => {
                a.deleting = false;
                if !(meeting_ending && why.ends_with("NotFoundException")) {
                    self.anomalies.push(format!(
                        "DeleteAttendee of {attendee_id} (live) on meeting {meeting_id} was refused: {why}"
                    ));
                }
            }
            Outcome::Unknown(_) => a.fate = Fate::Unsure,
        }
    }

    pub(crate) fn record_delete_meeting(&mut self, meeting_id: &str, result: Outcome<()>) {
        self.count(4, &result);
        let m = self.meetings.get_mut(meeting_id).expect("known meeting");
        match result {
            Outcome::Acked(()) => m.fate = Fate::Deleted,
            Outcome::Rejected(why) => {
                m.deleting = false;
                self.anomalies.push(format!(
                    "DeleteMeeting of live meeting {meeting_id} was refused: {why}"
                ));
            }
            Outcome::Unknown(_) => m.fate = Fate::Unsure,
        }
    }
}

pub(crate) fn lock(ledger: &Mutex<Ledger>) -> MutexGuard<'_, Ledger> {
    ledger.lock().unwrap_or_else(|e| e.into_inner())
}
