//! A CreateAttendee load spread round-robin over several nodes, with failover: a request that
//! gets no answer (the node died) or a 5xx is sent again, the same ExternalUserId, to the next
//! node until one answers. CreateAttendee is idempotent on ExternalUserId, so a retry of a
//! request the first node did apply returns the same attendee: every request ends with exactly
//! one attendee, acknowledged. Every attempt is recorded (node, time, outcome) for the checks.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use aws_sdk_chimesdkmeetings::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_chimesdkmeetings::Client;
use tokio::task::JoinSet;

use carillon_testkit::{list_all_attendees, REGION};

/// Attendees per meeting before the load opens another meeting (the cap is 250).
const PER_MEETING: usize = 200;

/// The label of a successful attempt.
pub const OK: &str = "200";
/// The label of a 503 `ServiceUnavailableException` with `Retry-After: 1`.
pub const UNAVAILABLE: &str = "503 ServiceUnavailableException";
/// The label of an attempt without an answer within the call limit.
pub const HANG: &str = "no answer in time";
/// The label of an attempt that failed without an HTTP answer (connection refused or reset).
pub const TRANSPORT: &str = "transport error";

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// How one attempt failed.
#[derive(Debug, Clone)]
pub struct Failure {
    /// [`UNAVAILABLE`], [`HANG`], [`TRANSPORT`], or `"<status> <code>"`.
    pub label: String,
    pub detail: String,
    /// Worth sending again (to another node): no answer, or a 5xx.
    pub retryable: bool,
}

/// Sends one request, bounded by `limit`, and classifies its failure.
pub async fn attempt<T, E>(
    limit: Duration,
    request: impl Future<Output = Result<T, SdkError<E>>>,
) -> Result<T, Failure>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let result = match tokio::time::timeout(limit, request).await {
        Ok(result) => result,
        Err(_) => {
            return Err(Failure {
                label: HANG.to_owned(),
                detail: format!("no answer within {limit:?}"),
                retryable: true,
            })
        }
    };
    let e = match result {
        Ok(out) => return Ok(out),
        Err(e) => e,
    };
    let detail = DisplayErrorContext(&e).to_string();
    Err(match &e {
        SdkError::ServiceError(ctx) => {
            let status = ctx.raw().status().as_u16();
            let code = ctx.err().code().unwrap_or("(no code)");
            let retry_after = ctx.raw().headers().get("retry-after");
            let mut label = format!("{status} {code}");
            if status == 503 && retry_after != Some("1") {
                label.push_str(&format!(" with Retry-After {retry_after:?}"));
            }
            Failure {
                label,
                detail,
                retryable: status >= 500,
            }
        }
        SdkError::ResponseError(ctx) => Failure {
            label: format!("unparsable {} answer", ctx.raw().status().as_u16()),
            detail,
            retryable: true,
        },
        _ => Failure {
            label: TRANSPORT.to_owned(),
            detail,
            retryable: true,
        },
    })
}

/// One request sent to one node.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub node: usize,
    pub started: Instant,
    pub elapsed: Duration,
    /// [`OK`] or [`Failure::label`].
    pub label: String,
    pub detail: String,
}

/// An attendee the cluster acknowledged.
#[derive(Debug, Clone)]
pub struct Acked {
    pub meeting_id: String,
    pub attendee_id: String,
    pub join_token: String,
}

#[derive(Debug, Clone)]
pub struct LoadConfig {
    pub tasks: usize,
    /// Meetings created before the load starts.
    pub meetings: usize,
    /// Bound on one attempt.
    pub call_limit: Duration,
    /// Bound on one request's attempts, all nodes together.
    pub give_up_after: Duration,
    /// Pause of a task between two requests.
    pub pause: Duration,
}

pub struct Load {
    clients: Vec<Client>,
    run: String,
    config: LoadConfig,
    /// Meeting ids with the number of attendees requested in each.
    meetings: Mutex<Vec<(String, usize)>>,
    /// By ExternalUserId (unique in a run).
    acked: Mutex<HashMap<String, Acked>>,
    attempts: Mutex<Vec<Attempt>>,
    /// Attempts under way, by node.
    in_flight: Vec<AtomicUsize>,
    /// Attempts sent again to another node.
    failovers: AtomicUsize,
    /// Requests that needed more than one attempt.
    failed_over_requests: AtomicUsize,
    /// Requests without an acknowledgement after `give_up_after`, or rejected (4xx).
    unresolved: Mutex<Vec<String>>,
    stop: AtomicBool,
}

impl Load {
    /// `run` prefixes the ExternalUserIds and ClientRequestTokens (unique per run).
    pub async fn new(clients: Vec<Client>, run: String, config: LoadConfig) -> Arc<Load> {
        let load = Arc::new(Load {
            run,
            meetings: Mutex::new(Vec::new()),
            acked: Mutex::new(HashMap::new()),
            attempts: Mutex::new(Vec::new()),
            in_flight: clients.iter().map(|_| AtomicUsize::new(0)).collect(),
            failovers: AtomicUsize::new(0),
            failed_over_requests: AtomicUsize::new(0),
            unresolved: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
            config,
            clients,
        });
        for i in 0..load.config.meetings {
            let id = load
                .open_meeting(&format!("initial-{i}"), i)
                .await
                .expect("cannot create the load's meetings");
            lock(&load.meetings).push((id, 0));
        }
        load
    }

    /// Starts the tasks.
    pub fn spawn(self: &Arc<Self>) -> JoinSet<()> {
        let mut set = JoinSet::new();
        for task in 0..self.config.tasks {
            let load = Arc::clone(self);
            set.spawn(async move { load.task(task).await });
        }
        set
    }

    /// Tells the tasks to stop after the request each has under way (resolved by then).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    pub fn acked_count(&self) -> usize {
        lock(&self.acked).len()
    }

    pub fn attempts(&self) -> Vec<Attempt> {
        lock(&self.attempts).clone()
    }

    /// Attempts sent again to another node.
    pub fn failovers(&self) -> usize {
        self.failovers.load(Ordering::SeqCst)
    }

    /// Requests that needed more than one attempt.
    pub fn failed_over_requests(&self) -> usize {
        self.failed_over_requests.load(Ordering::SeqCst)
    }

    /// Attempts sent to `node` and not answered yet.
    pub fn in_flight(&self, node: usize) -> usize {
        self.in_flight[node].load(Ordering::SeqCst)
    }

    pub fn unresolved(&self) -> Vec<String> {
        lock(&self.unresolved).clone()
    }

    pub fn meeting_count(&self) -> usize {
        lock(&self.meetings).len()
    }

    /// Successful attempts on `node` that started at or after `since`.
    pub fn successes_since(&self, node: usize, since: Instant) -> usize {
        lock(&self.attempts)
            .iter()
            .filter(|a| a.node == node && a.started >= since && a.label == OK)
            .count()
    }

    /// How many attempts had each outcome.
    pub fn histogram(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for a in lock(&self.attempts).iter() {
            *counts.entry(a.label.clone()).or_insert(0) += 1;
        }
        counts
    }

    async fn task(&self, task: usize) {
        let mut n = 0usize;
        while !self.stop.load(Ordering::SeqCst) {
            let external_user_id = format!("{}-t{task}-{n}", self.run);
            let meeting_id = match self.reserve(task) {
                Some(id) => id,
                None => {
                    let Some(id) = self.open_meeting(&format!("t{task}-{n}"), task + n).await
                    else {
                        return;
                    };
                    lock(&self.meetings).push((id.clone(), 1));
                    id
                }
            };
            self.create_attendee(&meeting_id, &external_user_id, task + n)
                .await;
            n += 1;
            tokio::time::sleep(self.config.pause).await;
        }
    }

    /// A place in a meeting that has room.
    fn reserve(&self, task: usize) -> Option<String> {
        let mut meetings = lock(&self.meetings);
        let len = meetings.len();
        (0..len).map(|i| (task + i) % len).find_map(|i| {
            let (id, used) = &mut meetings[i];
            (*used < PER_MEETING).then(|| {
                *used += 1;
                id.clone()
            })
        })
    }

    fn record(&self, node: usize, started: Instant, label: &str, detail: String) {
        lock(&self.attempts).push(Attempt {
            node,
            started,
            elapsed: started.elapsed(),
            label: label.to_owned(),
            detail,
        });
    }

    /// Sends `send` to node `first`, then to the next ones on failures worth a retry, until
    /// one answers or `give_up_after` passes. `None` (noted as unresolved) when none did.
    async fn with_failover<T, E, F, Fut>(&self, what: &str, first: usize, send: F) -> Option<T>
    where
        F: Fn(Client) -> Fut,
        Fut: Future<Output = Result<T, SdkError<E>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let deadline = Instant::now() + self.config.give_up_after;
        let nodes = self.clients.len();
        let mut node = first % nodes;
        let mut failures = 0u32;
        loop {
            let started = Instant::now();
            self.in_flight[node].fetch_add(1, Ordering::SeqCst);
            let result = attempt(self.config.call_limit, send(self.clients[node].clone())).await;
            self.in_flight[node].fetch_sub(1, Ordering::SeqCst);
            match result {
                Ok(out) => {
                    self.record(node, started, OK, String::new());
                    return Some(out);
                }
                Err(failure) => {
                    self.record(node, started, &failure.label, failure.detail.clone());
                    if !failure.retryable || Instant::now() > deadline {
                        lock(&self.unresolved).push(format!(
                            "{what}: {} after {} attempts: {}",
                            failure.label,
                            failures + 1,
                            failure.detail
                        ));
                        return None;
                    }
                    if failures == 0 {
                        self.failed_over_requests.fetch_add(1, Ordering::Relaxed);
                    }
                    self.failovers.fetch_add(1, Ordering::Relaxed);
                    failures += 1;
                    node = (node + 1) % nodes;
                    // At once to the next node the first time round; then back off a little, the
                    // cluster as a whole being unavailable.
                    if failures >= nodes as u32 {
                        let pause = 25 * u64::from(failures.min(8));
                        tokio::time::sleep(Duration::from_millis(pause)).await;
                    }
                }
            }
        }
    }

    /// Creates (or, when retried, finds again by its ClientRequestToken) a meeting.
    async fn open_meeting(&self, name: &str, first: usize) -> Option<String> {
        let token = format!("{}-{name}", self.run);
        let meeting = self
            .with_failover(&format!("CreateMeeting {token}"), first, |client| {
                let token = token.clone();
                async move {
                    client
                        .create_meeting()
                        .client_request_token(token)
                        .media_region(REGION)
                        .external_meeting_id("fault-load")
                        .send()
                        .await
                }
            })
            .await?;
        Some(
            meeting
                .meeting
                .and_then(|m| m.meeting_id)
                .expect("CreateMeeting returns a MeetingId"),
        )
    }

    async fn create_attendee(&self, meeting_id: &str, external_user_id: &str, first: usize) {
        let what = format!("CreateAttendee {external_user_id} in {meeting_id}");
        let Some(out) = self
            .with_failover(&what, first, |client| {
                let meeting_id = meeting_id.to_owned();
                let external_user_id = external_user_id.to_owned();
                async move {
                    client
                        .create_attendee()
                        .meeting_id(meeting_id)
                        .external_user_id(external_user_id)
                        .send()
                        .await
                }
            })
            .await
        else {
            return;
        };
        let attendee = out.attendee.expect("CreateAttendee returns an Attendee");
        assert_eq!(attendee.external_user_id(), Some(external_user_id));
        let acked = Acked {
            meeting_id: meeting_id.to_owned(),
            attendee_id: attendee.attendee_id.expect("AttendeeId"),
            join_token: attendee.join_token.expect("JoinToken"),
        };
        let previous = lock(&self.acked).insert(external_user_id.to_owned(), acked);
        assert!(previous.is_none(), "{external_user_id} was sent twice");
    }

    /// Checks, on every client given: each acknowledged attendee is there (GetAttendee: same
    /// AttendeeId and JoinToken), every ExternalUserId is listed exactly once, and each meeting
    /// has exactly the attendees acknowledged in it. Returns the number of attendees checked.
    pub async fn verify(&self, clients: &[Client]) -> usize {
        let unresolved = self.unresolved();
        assert!(
            unresolved.is_empty(),
            "{} requests got no acknowledgement: {unresolved:#?}",
            unresolved.len()
        );
        let acked: Vec<(String, Acked)> = lock(&self.acked)
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let meetings: Vec<String> = lock(&self.meetings)
            .iter()
            .map(|(id, _)| id.clone())
            .collect();

        // Listings: every meeting on every client.
        for client in clients {
            for meeting_id in &meetings {
                let listed = list_all_attendees(client, meeting_id).await;
                let mut seen: HashMap<&str, &str> = HashMap::new();
                for a in &listed {
                    let user = a.external_user_id().expect("ExternalUserId");
                    let id = a.attendee_id().expect("AttendeeId");
                    assert!(
                        seen.insert(user, id).is_none(),
                        "{user} is listed twice in {meeting_id}: {listed:#?}"
                    );
                }
                let expected: HashMap<&str, &str> = acked
                    .iter()
                    .filter(|(_, a)| &a.meeting_id == meeting_id)
                    .map(|(user, a)| (user.as_str(), a.attendee_id.as_str()))
                    .collect();
                let missing: Vec<_> = expected.keys().filter(|u| !seen.contains_key(*u)).collect();
                let extra: Vec<_> = seen.keys().filter(|u| !expected.contains_key(*u)).collect();
                assert!(
                    missing.is_empty() && extra.is_empty(),
                    "meeting {meeting_id}: {} listed, {} acknowledged; missing {missing:?}, \
                     never acknowledged {extra:?}",
                    seen.len(),
                    expected.len()
                );
                assert_eq!(seen, expected, "meeting {meeting_id}: other AttendeeIds");
            }
        }

        // GetAttendee for each acknowledged attendee, spread over the clients, a few at once.
        let acked = Arc::new(acked);
        let mut checks = JoinSet::new();
        const CHECKERS: usize = 8;
        for checker in 0..CHECKERS {
            let acked = Arc::clone(&acked);
            let clients = clients.to_vec();
            checks.spawn(async move {
                for (i, (user, a)) in acked.iter().enumerate().skip(checker).step_by(CHECKERS) {
                    let client = &clients[i % clients.len()];
                    let got = client
                        .get_attendee()
                        .meeting_id(&a.meeting_id)
                        .attendee_id(&a.attendee_id)
                        .send()
                        .await
                        .unwrap_or_else(|e| {
                            panic!("GetAttendee {user}: {}", DisplayErrorContext(&e))
                        })
                        .attendee
                        .expect("GetAttendee returns an Attendee");
                    assert_eq!(got.attendee_id(), Some(a.attendee_id.as_str()), "{user}");
                    assert_eq!(got.join_token(), Some(a.join_token.as_str()), "{user}");
                    assert_eq!(got.external_user_id(), Some(user.as_str()));
                }
            });
        }
        while let Some(joined) = checks.join_next().await {
            joined.expect("a GetAttendee check failed");
        }
        let distinct: HashSet<&str> = acked.iter().map(|(u, _)| u.as_str()).collect();
        assert_eq!(distinct.len(), acked.len());
        acked.len()
    }
}
