//! The checks after a restart: what the server says against the ledger.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use aws_sdk_chimesdkmeetings::types::Attendee;
use carillon_testkit::{Server, REGION};

use crate::ledger::{lock, AttendeeEntry, Fate, Ledger, MeetingEntry};
use crate::load::write_after_restart;
use crate::outcome::describe;
use crate::probe::{in_parallel, probe_attendee, see_meeting, AttendeeProbe, MeetingSeen};
use crate::{Rng, ATTENDEE_REPLAYS, GET_ATTENDEE_BUDGET, TASKS, TOKEN_REPLAYS};

/// What the checks of one round did.
#[derive(Debug, Default)]
pub(crate) struct Checks {
    pub(crate) meetings_live: usize,
    pub(crate) meetings_gone: usize,
    pub(crate) listed: usize,
    pub(crate) get_attendee: usize,
    pub(crate) get_attendee_skipped: usize,
    pub(crate) unsure_meeting_deletes_applied: usize,
    pub(crate) unsure_meeting_deletes_not_applied: usize,
    pub(crate) unsure_attendee_deletes_applied: usize,
    pub(crate) unsure_attendee_deletes_not_applied: usize,
    pub(crate) unanswered_creates: usize,
    pub(crate) unanswered_creates_applied: usize,
    pub(crate) unanswered_meetings: usize,
    pub(crate) tokens_replayed: usize,
    pub(crate) attendees_replayed: usize,
    pub(crate) writes_after_restart: usize,
}

/// Compares what the server says about one meeting with the ledger, resolves the requests that
/// had no answer, and queues the GetAttendee checks.
pub(crate) fn judge(
    ledger: &mut Ledger,
    seen: MeetingSeen,
    checks: &mut Checks,
    probes: &mut Vec<AttendeeProbe>,
    failures: &mut Vec<String>,
) {
    let Ledger {
        meetings,
        deletable,
        ..
    } = ledger;
    let id = seen.id;
    let m = meetings
        .get_mut(&id)
        .expect("seen meetings are in the ledger");
    let found = match seen.get {
        Ok(found) => found,
        Err(e) => {
            failures.push(e);
            return;
        }
    };
    if let Some(got) = &found {
        if got != &id {
            failures.push(format!("GetMeeting {id} answered MeetingId {got}"));
        }
    }
    match (m.fate, found.is_some()) {
        (Fate::Live, false) => {
            failures.push(format!(
                "acknowledged meeting {id} is lost: GetMeeting answers NotFound"
            ));
            return;
        }
        (Fate::Deleted, true) => {
            failures.push(format!(
                "meeting {id}, acknowledged as deleted, came back: GetMeeting finds it"
            ));
            return;
        }
        (Fate::Unsure, true) => {
            m.fate = Fate::Live;
            checks.unsure_meeting_deletes_not_applied += 1;
        }
        (Fate::Unsure, false) => {
            m.fate = Fate::Deleted;
            checks.unsure_meeting_deletes_applied += 1;
        }
        _ => {}
    }
    let unanswered = std::mem::take(&mut m.unanswered);
    checks.unanswered_creates += unanswered.len();

    if m.fate == Fate::Deleted {
        checks.meetings_gone += 1;
        match seen.list {
            Ok(None) => {}
            Ok(Some(listed)) => failures.push(format!(
                "ListAttendees lists {} attendees of meeting {id}, which GetMeeting does not find",
                listed.len()
            )),
            Err(e) => failures.push(e),
        }
        // Its attendees are checked once, after the crash that follows the delete.
        if !m.gone_checked {
            m.gone_checked = true;
            probes.extend(m.attendees.keys().map(|aid| AttendeeProbe {
                meeting_id: id.clone(),
                attendee_id: aid.clone(),
                expect: None,
                settled: false,
            }));
        }
        return;
    }

    checks.meetings_live += 1;
    let listed = match seen.list {
        Ok(Some(listed)) => listed,
        Ok(None) => {
            failures.push(format!(
                "ListAttendees answers NotFound for meeting {id}, which GetMeeting finds"
            ));
            return;
        }
        Err(e) => {
            failures.push(e);
            return;
        }
    };
    checks.listed += listed.len();
    let live_before = m.count(Fate::Live);
    let unsure_before = m.count(Fate::Unsure);
    let (mut revived, mut adopted) = (0, 0);
    let mut seen_ids = HashSet::new();
    let mut seen_exts = HashSet::new();
    for a in &listed {
        let (aid, ext, token) = (
            a.attendee_id().unwrap_or_default(),
            a.external_user_id().unwrap_or_default(),
            a.join_token().unwrap_or_default(),
        );
        if !seen_ids.insert(aid.to_string()) {
            failures.push(format!("ListAttendees of {id} lists attendee {aid} twice"));
            continue;
        }
        if !seen_exts.insert(ext.to_string()) {
            failures.push(format!(
                "ListAttendees of {id} lists two attendees with ExternalUserId {ext}"
            ));
        }
        let settled = match m.attendees.get_mut(aid) {
            Some(e) => {
                let settled = e.settled && e.fate == Fate::Live;
                e.settled = true;
                if e.join_token != token || e.external_user_id != ext {
                    failures.push(format!(
                        "attendee {id}/{aid} changed after the crash: ExternalUserId {} -> {ext}, \
                         JoinToken {} -> {token}",
                        e.external_user_id, e.join_token
                    ));
                }
                match e.fate {
                    Fate::Live => {}
                    Fate::Deleted => failures.push(format!(
                        "attendee {id}/{aid}, acknowledged as deleted, came back in ListAttendees"
                    )),
                    Fate::Unsure => {
                        e.fate = Fate::Live;
                        revived += 1;
                    }
                }
                settled
            }
            None if unanswered.contains(ext) => {
                adopted += 1;
                m.attendees.insert(
                    aid.to_string(),
                    AttendeeEntry {
                        external_user_id: ext.to_string(),
                        join_token: token.to_string(),
                        fate: Fate::Live,
                        deleting: false,
                        settled: true,
                    },
                );
                deletable.push((id.clone(), aid.to_string()));
                false
            }
            None => {
                failures.push(format!(
                    "ListAttendees of {id} lists attendee {aid} ({ext}) that was neither \
                     acknowledged nor in flight at the kill"
                ));
                false
            }
        };
        probes.push(AttendeeProbe {
            meeting_id: id.clone(),
            attendee_id: aid.to_string(),
            expect: Some(a.clone()),
            settled,
        });
    }
    let mut applied_deletes = 0;
    for (aid, e) in &mut m.attendees {
        if seen_ids.contains(aid) {
            continue;
        }
        let settled = e.settled && e.fate == Fate::Deleted;
        e.settled = true;
        match e.fate {
            Fate::Live => failures.push(format!(
                "acknowledged attendee {id}/{aid} ({}) is lost: ListAttendees does not list it",
                e.external_user_id
            )),
            Fate::Deleted => {}
            Fate::Unsure => {
                e.fate = Fate::Deleted;
                applied_deletes += 1;
            }
        }
        probes.push(AttendeeProbe {
            meeting_id: id.clone(),
            attendee_id: aid.clone(),
            expect: None,
            settled,
        });
    }
    checks.unsure_attendee_deletes_applied += applied_deletes;
    checks.unsure_attendee_deletes_not_applied += revived;
    checks.unanswered_creates_applied += adopted;
    // Acknowledged creates minus acknowledged deletes, plus at most what was in flight.
    let n = listed.len();
    if n < live_before || n > live_before + unsure_before + unanswered.len() {
        failures.push(format!(
            "meeting {id} has {n} attendees; acknowledged: {live_before}, plus at most \
             {unsure_before} unanswered deletes and {} unanswered creates",
            unanswered.len()
        ));
    } else if n != live_before + revived + adopted {
        failures.push(format!(
            "meeting {id} has {n} attendees, expected {live_before} + {revived} + {adopted}"
        ));
    }
}

/// Checks everything the ledger holds against the restarted server, resolves what was in
/// flight, and writes a little more. Returns the failures.
pub(crate) async fn check_after_restart(
    server: &Server,
    ledger: &Arc<Mutex<Ledger>>,
    rng: &mut Rng,
    round: u64,
    checks: &mut Checks,
) -> Vec<String> {
    let client = server.client();
    let mut failures = Vec::new();

    // Every meeting ever acknowledged: GetMeeting and every page of ListAttendees.
    let mut ids: Vec<String> = lock(ledger).meetings.keys().cloned().collect();
    ids.sort();
    let c = client.clone();
    let seen = in_parallel(ids, TASKS, move |id| see_meeting(c.clone(), id)).await;
    let mut probes = Vec::new();
    {
        let mut ledger = lock(ledger);
        for s in seen {
            judge(&mut ledger, s, checks, &mut probes, &mut failures);
        }
    }

    // GetAttendee sees exactly what ListAttendees lists: every attendee new or changed since the
    // last restart, and the others too unless a long run has made them too many.
    let (mut probes, mut settled): (Vec<_>, Vec<_>) = probes.into_iter().partition(|p| !p.settled);
    let room = GET_ATTENDEE_BUDGET.saturating_sub(probes.len());
    while settled.len() > room {
        settled.swap_remove(rng.below(settled.len()));
        checks.get_attendee_skipped += 1;
    }
    probes.extend(settled);
    checks.get_attendee += probes.len();
    let c = client.clone();
    let probed = in_parallel(probes, TASKS, move |p| probe_attendee(c.clone(), p)).await;
    failures.extend(probed.into_iter().flatten());

    // CreateMeeting requests without an answer: replaying the token gives the meeting (created
    // before the crash, or now); either way it is a new, live meeting.
    let unanswered = std::mem::take(&mut lock(ledger).unanswered_meetings);
    checks.unanswered_meetings += unanswered.len();
    // And a sample of acknowledged tokens must still name their meetings, ended or not.
    let mut known: Vec<(String, String)> = lock(ledger)
        .meetings
        .iter()
        .map(|(id, m)| (m.token.clone(), id.clone()))
        .collect();
    known.sort();
    let mut replays: Vec<(String, Option<String>)> =
        unanswered.into_iter().map(|t| (t, None)).collect();
    for _ in 0..TOKEN_REPLAYS.min(known.len()) {
        let (token, id) = known.swap_remove(rng.below(known.len()));
        replays.push((token, Some(id)));
    }
    checks.tokens_replayed += replays.len();
    let c = client.clone();
    let replayed = in_parallel(replays, TASKS, move |(token, expected)| {
        let c = c.clone();
        async move {
            let got = c
                .create_meeting()
                .client_request_token(&token)
                .media_region(REGION)
                .external_meeting_id("crash-replay")
                .send()
                .await;
            (
                token,
                expected,
                got.map(|o| o.meeting.and_then(|m| m.meeting_id)),
            )
        }
    })
    .await;
    {
        let mut ledger = lock(ledger);
        for (token, expected, got) in replayed {
            match (got, expected) {
                (Ok(Some(id)), Some(expected)) if id == expected => {}
                (Ok(Some(id)), None) if !ledger.meetings.contains_key(&id) => {
                    ledger.meetings.insert(id, MeetingEntry::new(token));
                }
                (Ok(got), expected) => failures.push(format!(
                    "CreateMeeting replaying ClientRequestToken {token} answered {got:?}, \
                     expected {}",
                    expected.unwrap_or_else(|| "a meeting not seen before".into())
                )),
                (Err(e), _) => failures.push(format!(
                    "CreateMeeting replaying ClientRequestToken {token}: {}",
                    describe(&e)
                )),
            }
        }
    }

    // A repeated CreateAttendee still returns the same attendee.
    let mut live: Vec<(String, String, AttendeeEntry)> = {
        let ledger = lock(ledger);
        ledger
            .meetings
            .iter()
            .filter(|(_, m)| m.fate == Fate::Live)
            .flat_map(|(mid, m)| {
                m.attendees
                    .iter()
                    .filter(|(_, a)| a.fate == Fate::Live)
                    .map(|(aid, a)| (mid.clone(), aid.clone(), a.clone()))
            })
            .collect()
    };
    live.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    for _ in 0..ATTENDEE_REPLAYS.min(live.len()) {
        let (mid, aid, a) = live.swap_remove(rng.below(live.len()));
        checks.attendees_replayed += 1;
        match client
            .create_attendee()
            .meeting_id(&mid)
            .external_user_id(&a.external_user_id)
            .send()
            .await
        {
            Ok(out) => {
                let got = out.attendee.unwrap_or_else(|| Attendee::builder().build());
                if got.attendee_id() != Some(aid.as_str())
                    || got.join_token() != Some(a.join_token.as_str())
                {
                    failures.push(format!(
                        "CreateAttendee repeating {} on {mid} answered {:?}, expected {aid}",
                        a.external_user_id,
                        got.attendee_id()
                    ));
                }
            }
            Err(e) => failures.push(format!(
                "CreateAttendee repeating {} on {mid}: {}",
                a.external_user_id,
                describe(&e)
            )),
        }
    }

    // New writes are accepted: a meeting, attendees, a delete; kept in the ledger so that the
    // next crash checks them too.
    match write_after_restart(&client, round).await {
        Ok((token, meeting_id, attendees, deleted, writes)) => {
            checks.writes_after_restart += writes;
            let mut entry = MeetingEntry::new(token);
            for a in attendees {
                let aid = a.attendee_id().unwrap_or_default().to_string();
                entry.attendees.insert(
                    aid.clone(),
                    AttendeeEntry {
                        external_user_id: a.external_user_id().unwrap_or_default().into(),
                        join_token: a.join_token().unwrap_or_default().into(),
                        fate: if aid == deleted {
                            Fate::Deleted
                        } else {
                            Fate::Live
                        },
                        deleting: false,
                        settled: false,
                    },
                );
            }
            lock(ledger).meetings.insert(meeting_id, entry);
        }
        Err(e) => failures.push(format!("writing after the restart: {e}")),
    }
    failures
}
