//! Crash safety under load. A write-heavy concurrent load (CreateMeeting, CreateAttendee,
//! BatchCreateAttendee, DeleteAttendee, DeleteMeeting) runs through the official SDK from many
//! tasks; the server is killed with SIGKILL at a random moment; it is restarted on the same data
//! directory and everything it acknowledged must be there, exactly, and nothing it acknowledged as
//! deleted may come back. Requests without an answer at the kill may or may not have been applied;
//! the checks resolve them. Several rounds run on the same directory, so the database also has to
//! survive repeated crashes.
//!
//! `CARILLON_CRASH_ROUNDS=N` runs N rounds (default 3); `CARILLON_CRASH_SEED=S` repeats the kill
//! points and random choices of an earlier run (the seed is printed first; the interleaving of
//! the concurrent requests is up to the scheduler):
//!
//! ```text
//! CARILLON_CRASH_ROUNDS=100 cargo test -p carillon --test crash -- --nocapture
//! ```

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_chimesdkmeetings::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_chimesdkmeetings::operation::get_attendee::GetAttendeeError;
use aws_sdk_chimesdkmeetings::operation::get_meeting::GetMeetingError;
use aws_sdk_chimesdkmeetings::operation::list_attendees::ListAttendeesError;
use aws_sdk_chimesdkmeetings::types::{Attendee, CreateAttendeeRequestItem};
use aws_sdk_chimesdkmeetings::Client;
use tokio::task::JoinSet;

use carillon_testkit::*;

/// Tasks sending requests at once, during the load and during the checks.
const TASKS: usize = 32;
/// Kill points, in milliseconds after the load started.
const KILL_AFTER_MS: (u64, u64) = (50, 800);
/// Attendees per BatchCreateAttendee.
const BATCH: (u64, u64) = (10, 50);
/// Attendees (acknowledged or in flight) above which a meeting gets no more creates; below the
/// default cap of 250 so that LimitExceeded stays rare.
const SOFT_CAP: usize = 220;
/// Meetings open for new attendees below which the load creates meetings first.
const MIN_OPEN: usize = 4;
/// Live meetings above which a round deletes meetings three times as often, so that a long run
/// keeps a bounded amount of live data to check.
const LIVE_MEETINGS: usize = 120;
/// ClientRequestTokens of acknowledged meetings replayed after each restart.
const TOKEN_REPLAYS: usize = 16;
/// Acknowledged attendees whose CreateAttendee is repeated after each restart.
const ATTENDEE_REPLAYS: usize = 8;
/// GetAttendee calls per check beyond which attendees checked after an earlier restart and
/// unchanged since are sampled (ListAttendees still shows every one, with its JoinToken).
const GET_ATTENDEE_BUDGET: usize = 20_000;
/// Bound on each phase, so that a stuck server fails the test instead of hanging it.
const PHASE_TIMEOUT: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------------------------------------
// Randomness: a seeded SplitMix64, so a run can be repeated.
// ---------------------------------------------------------------------------------------------

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, (lo, hi): (u64, u64)) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    Some(
        text.trim()
            .parse()
            .unwrap_or_else(|e| panic!("{name}={text:?} is not a number: {e}")),
    )
}

// ---------------------------------------------------------------------------------------------
// Outcomes
// ---------------------------------------------------------------------------------------------

/// What became of one request.
enum Outcome<T> {
    /// A 2xx answer: the write must survive.
    Acked(T),
    /// A 4xx answer: the write was not applied.
    Rejected(String),
    /// No answer (the kill), or a 5xx: the write may or may not have been applied.
    Unknown(String),
}

impl<T> Outcome<T> {
    fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        match self {
            Outcome::Acked(out) => Outcome::Acked(f(out)),
            Outcome::Rejected(why) => Outcome::Rejected(why),
            Outcome::Unknown(why) => Outcome::Unknown(why),
        }
    }
}

/// The answer to a CreateAttendee or BatchCreateAttendee: the attendees created, and the
/// (ExternalUserId, ErrorCode) of the others.
type Created = (Vec<Attendee>, Vec<(String, String)>);

fn outcome<T, E>(result: Result<T, SdkError<E>>) -> Outcome<T>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(out) => Outcome::Acked(out),
        Err(SdkError::ServiceError(ctx)) => {
            let status = ctx.raw().status().as_u16();
            let code = format!(
                "HTTP {} {}",
                status,
                ctx.err().code().unwrap_or("(no code)")
            );
            if status >= 500 {
                Outcome::Unknown(code)
            } else {
                Outcome::Rejected(code)
            }
        }
        Err(e) => Outcome::Unknown(DisplayErrorContext(&e).to_string()),
    }
}

fn describe<E>(e: &SdkError<E>) -> String
where
    E: std::error::Error + Send + Sync + 'static,
{
    DisplayErrorContext(e).to_string()
}

// ---------------------------------------------------------------------------------------------
// The ledger: what the server acknowledged, across all rounds.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Live,
    /// Acknowledged as deleted.
    Deleted,
    /// A delete without an answer: resolved by the checks after the restart.
    Unsure,
}

#[derive(Debug, Clone)]
struct AttendeeEntry {
    external_user_id: String,
    join_token: String,
    fate: Fate,
    /// A DeleteAttendee is in flight.
    deleting: bool,
    /// GetAttendee confirmed its present state after a restart, and nothing changed since.
    settled: bool,
}

#[derive(Debug, Clone)]
struct MeetingEntry {
    token: String,
    fate: Fate,
    /// A DeleteMeeting is in flight or was sent.
    deleting: bool,
    /// Attendees acknowledged (or found after a crash, from a request without an answer).
    attendees: HashMap<String, AttendeeEntry>,
    /// ExternalUserIds of creates without an answer since the last check.
    unanswered: HashSet<String>,
    /// Live attendees plus creates in flight, to stay under the cap.
    load: usize,
    /// Its attendees were checked to be gone after it ended.
    gone_checked: bool,
}

impl MeetingEntry {
    fn new(token: String) -> Self {
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

    fn count(&self, fate: Fate) -> usize {
        self.attendees.values().filter(|a| a.fate == fate).count()
    }
}

const OPS: [&str; 5] = [
    "CreateMeeting",
    "CreateAttendee",
    "BatchCreateAttendee",
    "DeleteAttendee",
    "DeleteMeeting",
];

/// Counters of one round's load, per operation (indexes of [`OPS`]).
#[derive(Debug, Default, Clone)]
struct LoadStats {
    acked: [usize; 5],
    rejected: [usize; 5],
    unknown: [usize; 5],
    attendees_acked: usize,
    attendees_unanswered: usize,
}

impl LoadStats {
    fn total(counts: &[usize; 5]) -> usize {
        counts.iter().sum()
    }

    fn per_op(counts: &[usize; 5]) -> String {
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
struct Ledger {
    meetings: HashMap<String, MeetingEntry>,
    /// ClientRequestTokens of CreateMeeting requests without an answer.
    unanswered_meetings: Vec<String>,
    /// Live meetings that take new attendees.
    open: Vec<String>,
    /// Live meetings, candidates for DeleteMeeting (checked when picked).
    live: Vec<String>,
    /// More live meetings than [`LIVE_MEETINGS`] at the start of the round: delete more.
    crowded: bool,
    /// Candidates for DeleteAttendee (checked when picked).
    deletable: Vec<(String, String)>,
    stats: LoadStats,
    /// Answers the server should not have given, found during the load.
    anomalies: Vec<String>,
}

enum Plan {
    CreateMeeting,
    CreateAttendee(String),
    Batch(String, usize),
    DeleteAttendee(String, String),
    DeleteMeeting(String),
}

impl Ledger {
    /// Prepares a new round: which meetings take attendees, which attendees can be deleted.
    fn reopen(&mut self) {
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

    fn plan(&mut self, rng: &mut Rng) -> Plan {
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

    fn pick_open(&mut self, rng: &mut Rng, n: usize) -> Option<String> {
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

    fn pick_meeting_to_delete(&mut self, rng: &mut Rng) -> Option<String> {
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

    fn pick_attendee_to_delete(&mut self, rng: &mut Rng) -> Option<(String, String)> {
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

    fn count(&mut self, op: usize, outcome: &Outcome<impl Sized>) {
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

    fn record_meeting(&mut self, token: String, result: Outcome<Option<String>>) {
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
    fn record_attendees(
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

    fn record_delete_attendee(&mut self, meeting_id: &str, attendee_id: &str, result: Outcome<()>) {
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

    fn record_delete_meeting(&mut self, meeting_id: &str, result: Outcome<()>) {
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

fn lock(ledger: &Mutex<Ledger>) -> MutexGuard<'_, Ledger> {
    ledger.lock().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------------------------------------
// The load
// ---------------------------------------------------------------------------------------------

async fn worker(
    client: Client,
    ledger: Arc<Mutex<Ledger>>,
    stop: Arc<AtomicBool>,
    mut rng: Rng,
    name: String,
) {
    let mut seq = 0u64;
    while !stop.load(Ordering::SeqCst) {
        seq += 1;
        let request = format!("{name}-{seq}");
        let plan = lock(&ledger).plan(&mut rng);
        match plan {
            Plan::CreateMeeting => {
                let token = format!("crash-{request}");
                let result = client
                    .create_meeting()
                    .client_request_token(&token)
                    .media_region(REGION)
                    .external_meeting_id(format!("crash-{request}"))
                    .send()
                    .await;
                let result = outcome(result).map(|out| out.meeting.and_then(|m| m.meeting_id));
                lock(&ledger).record_meeting(token, result);
            }
            Plan::CreateAttendee(meeting_id) => {
                let ext = format!("u-{request}");
                let result = client
                    .create_attendee()
                    .meeting_id(&meeting_id)
                    .external_user_id(&ext)
                    .send()
                    .await;
                let result =
                    outcome(result).map(|out| (out.attendee.into_iter().collect(), vec![]));
                lock(&ledger).record_attendees(1, &meeting_id, &[ext], result);
            }
            Plan::Batch(meeting_id, n) => {
                let exts: Vec<String> = (0..n).map(|i| format!("u-{request}-{i}")).collect();
                let items: Vec<CreateAttendeeRequestItem> = exts.iter().map(|e| item(e)).collect();
                let result = client
                    .batch_create_attendee()
                    .meeting_id(&meeting_id)
                    .set_attendees(Some(items))
                    .send()
                    .await;
                let result = outcome(result).map(|out| {
                    let errors = out
                        .errors()
                        .iter()
                        .map(|e| {
                            (
                                e.external_user_id().unwrap_or_default().to_string(),
                                e.error_code().unwrap_or_default().to_string(),
                            )
                        })
                        .collect();
                    (out.attendees().to_vec(), errors)
                });
                lock(&ledger).record_attendees(2, &meeting_id, &exts, result);
            }
            Plan::DeleteAttendee(meeting_id, attendee_id) => {
                let result = client
                    .delete_attendee()
                    .meeting_id(&meeting_id)
                    .attendee_id(&attendee_id)
                    .send()
                    .await;
                let result = outcome(result).map(|_| ());
                lock(&ledger).record_delete_attendee(&meeting_id, &attendee_id, result);
            }
            Plan::DeleteMeeting(meeting_id) => {
                let result = client.delete_meeting().meeting_id(&meeting_id).send().await;
                let result = outcome(result).map(|_| ());
                lock(&ledger).record_delete_meeting(&meeting_id, result);
            }
        }
    }
}

/// Runs the load on `server` and kills the server `kill_after` into it. Returns the round's
/// counters and the time the kill actually happened.
async fn load_and_kill(
    server: &Server,
    ledger: &Arc<Mutex<Ledger>>,
    round: u64,
    kill_after: Duration,
    seed: u64,
) -> (LoadStats, Duration) {
    lock(ledger).reopen();
    let client = server.client();
    let stop = Arc::new(AtomicBool::new(false));
    let mut seeds = Rng::new(seed);
    let mut tasks = JoinSet::new();
    let started = Instant::now();
    for t in 0..TASKS {
        tasks.spawn(worker(
            client.clone(),
            Arc::clone(ledger),
            Arc::clone(&stop),
            Rng::new(seeds.next()),
            format!("r{round}t{t}"),
        ));
    }
    tokio::time::sleep(kill_after).await;
    // No request starts after this; those already sent are in flight when the process dies.
    stop.store(true, Ordering::SeqCst);
    server.kill();
    let killed_at = started.elapsed();
    let joined = tokio::time::timeout(PHASE_TIMEOUT, async {
        while let Some(joined) = tasks.join_next().await {
            joined.expect("a load task panicked");
        }
    })
    .await;
    assert!(
        joined.is_ok(),
        "requests to the killed server did not fail within {PHASE_TIMEOUT:?}"
    );
    (lock(ledger).stats.clone(), killed_at)
}

// ---------------------------------------------------------------------------------------------
// The checks after a restart
// ---------------------------------------------------------------------------------------------

/// Runs `f` on every item, `width` at a time.
async fn in_parallel<T, R, F, Fut>(items: Vec<T>, width: usize, f: F) -> Vec<R>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
{
    let queue = Arc::new(Mutex::new(items.into_iter()));
    let f = Arc::new(f);
    let mut tasks = JoinSet::new();
    for _ in 0..width {
        let queue = Arc::clone(&queue);
        let f = Arc::clone(&f);
        tasks.spawn(async move {
            let mut out = Vec::new();
            loop {
                let next = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
                let Some(item) = next else { break };
                out.push(f(item).await);
            }
            out
        });
    }
    let mut all = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        all.extend(joined.expect("a check task panicked"));
    }
    all
}

/// What the restarted server says about one meeting.
struct MeetingSeen {
    id: String,
    /// `Ok(Some(MeetingId))`, `Ok(None)` for NotFound.
    get: Result<Option<String>, String>,
    /// Every page of ListAttendees; `Ok(None)` for NotFound.
    list: Result<Option<Vec<Attendee>>, String>,
}

async fn see_meeting(client: Client, id: String) -> MeetingSeen {
    let get = match client.get_meeting().meeting_id(&id).send().await {
        Ok(out) => Ok(Some(
            out.meeting.and_then(|m| m.meeting_id).unwrap_or_default(),
        )),
        Err(e)
            if matches!(
                e.as_service_error(),
                Some(GetMeetingError::NotFoundException(_))
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(format!("GetMeeting {id}: {}", describe(&e))),
    };
    let mut list = Ok(Some(Vec::new()));
    let mut next: Option<String> = None;
    loop {
        match client
            .list_attendees()
            .meeting_id(&id)
            .max_results(100)
            .set_next_token(next.clone())
            .send()
            .await
        {
            Ok(page) => {
                if let Ok(Some(all)) = &mut list {
                    all.extend(page.attendees().iter().cloned());
                }
                match page.next_token() {
                    Some(t) => next = Some(t.to_string()),
                    None => break,
                }
            }
            Err(e)
                if next.is_none()
                    && matches!(
                        e.as_service_error(),
                        Some(ListAttendeesError::NotFoundException(_))
                    ) =>
            {
                list = Ok(None);
                break;
            }
            Err(e) => {
                list = Err(format!("ListAttendees {id}: {}", describe(&e)));
                break;
            }
        }
    }
    MeetingSeen { id, get, list }
}

/// A GetAttendee to send: `Some(attendee)` if it must be found as listed, `None` if NotFound.
struct AttendeeProbe {
    meeting_id: String,
    attendee_id: String,
    expect: Option<Attendee>,
    /// Checked after an earlier restart and unchanged since: may be left out of a long run.
    settled: bool,
}

async fn probe_attendee(client: Client, p: AttendeeProbe) -> Option<String> {
    let got = client
        .get_attendee()
        .meeting_id(&p.meeting_id)
        .attendee_id(&p.attendee_id)
        .send()
        .await;
    let (mid, aid) = (&p.meeting_id, &p.attendee_id);
    match (got, p.expect) {
        (Ok(out), Some(expected)) => match out.attendee {
            Some(a) if a == expected => None,
            other => Some(format!(
                "GetAttendee {mid}/{aid} differs from ListAttendees: {other:?} vs {expected:?}"
            )),
        },
        (Ok(_), None) => Some(format!(
            "GetAttendee {mid}/{aid} finds an attendee that must be gone (deleted, or its meeting \
             deleted) and that ListAttendees does not list"
        )),
        (Err(e), None)
            if matches!(
                e.as_service_error(),
                Some(GetAttendeeError::NotFoundException(_))
            ) =>
        {
            None
        }
        (Err(e), _) => Some(format!("GetAttendee {mid}/{aid}: {}", describe(&e))),
    }
}

/// What the checks of one round did.
#[derive(Debug, Default)]
struct Checks {
    meetings_live: usize,
    meetings_gone: usize,
    listed: usize,
    get_attendee: usize,
    get_attendee_skipped: usize,
    unsure_meeting_deletes_applied: usize,
    unsure_meeting_deletes_not_applied: usize,
    unsure_attendee_deletes_applied: usize,
    unsure_attendee_deletes_not_applied: usize,
    unanswered_creates: usize,
    unanswered_creates_applied: usize,
    unanswered_meetings: usize,
    tokens_replayed: usize,
    attendees_replayed: usize,
    writes_after_restart: usize,
}

/// Compares what the server says about one meeting with the ledger, resolves the requests that
/// had no answer, and queues the GetAttendee checks.
fn judge(
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
async fn check_after_restart(
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

/// CreateMeeting, CreateAttendee, BatchCreateAttendee, DeleteAttendee and the reads that show
/// them. Returns the token, the meeting, its attendees, the deleted one and the request count.
async fn write_after_restart(
    client: &Client,
    round: u64,
) -> Result<(String, String, Vec<Attendee>, String, usize), String> {
    let token = format!("crash-after-{round}");
    let meeting_id = client
        .create_meeting()
        .client_request_token(&token)
        .media_region(REGION)
        .external_meeting_id(format!("crash-after-{round}"))
        .send()
        .await
        .map_err(|e| format!("CreateMeeting: {}", describe(&e)))?
        .meeting
        .and_then(|m| m.meeting_id)
        .ok_or("CreateMeeting without a MeetingId")?;
    let first = client
        .create_attendee()
        .meeting_id(&meeting_id)
        .external_user_id(format!("after-{round}-0"))
        .send()
        .await
        .map_err(|e| format!("CreateAttendee: {}", describe(&e)))?
        .attendee
        .ok_or("CreateAttendee without an Attendee")?;
    let batch = client
        .batch_create_attendee()
        .meeting_id(&meeting_id)
        .set_attendees(Some(
            (1..=10)
                .map(|i| item(&format!("after-{round}-{i}")))
                .collect(),
        ))
        .send()
        .await
        .map_err(|e| format!("BatchCreateAttendee: {}", describe(&e)))?;
    if !batch.errors().is_empty() || batch.attendees().len() != 10 {
        return Err(format!("BatchCreateAttendee answered {batch:?}"));
    }
    let mut attendees = vec![first];
    attendees.extend(batch.attendees().iter().cloned());
    let deleted = attendees[0].attendee_id().unwrap_or_default().to_string();
    client
        .delete_attendee()
        .meeting_id(&meeting_id)
        .attendee_id(&deleted)
        .send()
        .await
        .map_err(|e| format!("DeleteAttendee: {}", describe(&e)))?;
    let listed = client
        .list_attendees()
        .meeting_id(&meeting_id)
        .send()
        .await
        .map_err(|e| format!("ListAttendees: {}", describe(&e)))?;
    if listed.attendees() != &attendees[1..] {
        return Err(format!(
            "ListAttendees after the writes lists {:?}",
            listed.attendees()
        ));
    }
    Ok((token, meeting_id, attendees, deleted, 5))
}

// ---------------------------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_repeated_crashes_under_load() {
    let rounds = env_number("CARILLON_CRASH_ROUNDS").unwrap_or(3).max(1);
    let seed = env_number("CARILLON_CRASH_SEED").unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
            ^ u64::from(std::process::id()) << 32
    });
    println!(
        "crash test: {rounds} rounds, {TASKS} tasks, seed {seed} \
         (CARILLON_CRASH_SEED={seed} repeats the kill points)"
    );
    let mut rng = Rng::new(seed);
    let dir = tempfile::tempdir().expect("temporary directory");
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let began = Instant::now();
    let mut server = Server::start(Options::data_dir(dir.path()));
    let mut totals = (0usize, 0usize, 0usize, 0usize);

    for round in 1..=rounds {
        let kill_after = Duration::from_millis(rng.range(KILL_AFTER_MS));
        let load_seed = rng.next();
        let (stats, killed_at) =
            load_and_kill(&server, &ledger, round, kill_after, load_seed).await;
        drop(server);

        let restarting = Instant::now();
        server = Server::start(Options::data_dir(dir.path()));
        let restart = restarting.elapsed();

        let checking = Instant::now();
        let mut checks = Checks::default();
        let failures = tokio::time::timeout(
            PHASE_TIMEOUT,
            check_after_restart(&server, &ledger, &mut rng, round, &mut checks),
        )
        .await
        .unwrap_or_else(|_| {
            vec![format!(
                "the checks after the restart took more than {PHASE_TIMEOUT:?}"
            )]
        });
        let anomalies = std::mem::take(&mut lock(&ledger).anomalies);

        let acked = LoadStats::total(&stats.acked);
        let unknown = LoadStats::total(&stats.unknown);
        totals.0 += acked;
        totals.1 += unknown;
        totals.2 += checks.listed;
        totals.3 += checks.get_attendee;
        let (live_meetings, live_attendees) = {
            let ledger = lock(&ledger);
            let live: Vec<&MeetingEntry> = ledger
                .meetings
                .values()
                .filter(|m| m.fate == Fate::Live)
                .collect();
            (
                live.len(),
                live.iter().map(|m| m.count(Fate::Live)).sum::<usize>(),
            )
        };
        println!(
            "round {round}/{rounds}: kill point {} ms (actual {} ms, seed {load_seed}); \
             acknowledged {acked} requests ({}), {} attendees created; \
             rejected {} ({}); in flight at the kill {unknown} ({}, {} attendees)",
            kill_after.as_millis(),
            killed_at.as_millis(),
            LoadStats::per_op(&stats.acked),
            stats.attendees_acked,
            LoadStats::total(&stats.rejected),
            LoadStats::per_op(&stats.rejected),
            LoadStats::per_op(&stats.unknown),
            stats.attendees_unanswered,
        );
        println!(
            "round {round}/{rounds}: restart {} ms; checked {} live and {} ended meetings \
             (GetMeeting + ListAttendees), {} attendees listed, {} GetAttendee ({} unchanged \
             ones left out); in flight \
             resolved: {}/{} attendee creates applied, {} meeting creates replayed, attendee \
             deletes {} applied / {} not, meeting deletes {} applied / {} not; {} \
             ClientRequestTokens and {} ExternalUserIds replayed; {} writes after the restart; \
             now {live_meetings} live meetings with {live_attendees} attendees; checks {} ms",
            restart.as_millis(),
            checks.meetings_live,
            checks.meetings_gone,
            checks.listed,
            checks.get_attendee,
            checks.get_attendee_skipped,
            checks.unanswered_creates_applied,
            checks.unanswered_creates,
            checks.unanswered_meetings,
            checks.unsure_attendee_deletes_applied,
            checks.unsure_attendee_deletes_not_applied,
            checks.unsure_meeting_deletes_applied,
            checks.unsure_meeting_deletes_not_applied,
            checks.tokens_replayed,
            checks.attendees_replayed,
            checks.writes_after_restart,
            checking.elapsed().as_millis(),
        );

        if !failures.is_empty() || !anomalies.is_empty() {
            let kept = dir.keep();
            let mut report = format!(
                "round {round} (seed {seed}, kill point {} ms): {} check failures, {} wrong \
                 answers during the load; data directory kept at {}\n",
                kill_after.as_millis(),
                failures.len(),
                anomalies.len(),
                kept.display()
            );
            for line in failures.iter().chain(&anomalies).take(40) {
                report.push_str("  ");
                report.push_str(line);
                report.push('\n');
            }
            let stderr = server.stderr();
            let tail: String = stderr
                .chars()
                .skip(stderr.chars().count().saturating_sub(4000))
                .collect();
            panic!("{report}server stderr (end):\n{tail}");
        }
    }
    println!(
        "crash test: {rounds} rounds in {:.1} s: {} requests acknowledged, {} in flight at \
         kills, {} attendee listings and {} GetAttendee checked",
        began.elapsed().as_secs_f64(),
        totals.0,
        totals.1,
        totals.2,
        totals.3
    );
}
