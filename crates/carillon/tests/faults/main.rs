//! Faults of a PostgreSQL cluster, process by process: a node killed under load (its clients fail
//! over to the others and nothing is lost or duplicated), the database stopping and starting
//! again under the nodes (503 `ServiceUnavailableException` meanwhile, never a 500 or a hang, and
//! recovery without restarting a node), and a node's connection pool exhausted (503, not a hang).
//!
//! Skipped, loudly, without a reachable PostgreSQL or its server binaries (a failure in CI); see
//! `carillon_postgres::testing` and `faults/private_pg.rs`.
//!
//! ```text
//! cargo test -p carillon --test faults -- --nocapture
//! ```

mod load;
mod private_pg;

use std::time::{Duration, Instant};

use aws_sdk_chimesdkmeetings::Client;
use carillon_postgres::testing::TestDatabase;
use tokio_postgres::NoTls;

use carillon_testkit::*;
use load::{attempt, Load, LoadConfig, HANG, OK, TRANSPORT, UNAVAILABLE};
use private_pg::PrivatePostgres;

/// `GET /ready` on a node: its status and how long it took (never more than a few seconds).
async fn ready(node: &Server) -> (u16, Duration) {
    let started = Instant::now();
    let response = tokio::time::timeout(
        Duration::from_secs(5),
        node.send(&RawRequest::new("GET", "/ready")),
    )
    .await
    .expect("/ready did not answer within 5 s");
    (response.status, started.elapsed())
}

/// Polls `/ready` until it answers 200, within `within`.
async fn until_ready(node: &Server, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let (status, _) = ready(node).await;
        if status == 200 {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "/ready still answers {status} after {within:?}; stderr:\n{}",
            node.stderr()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// A node killed under load
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_node_loses_nothing() {
    let Some(db) = TestDatabase::create("faults_kill") else {
        return;
    };
    let started = Instant::now();
    let nodes: Vec<Server> = (0..3)
        .map(|_| Server::start(Options::postgres(&db.url)))
        .collect();
    let clients: Vec<Client> = nodes.iter().map(Server::client).collect();
    let load = Load::new(
        clients.clone(),
        unique("kill"),
        LoadConfig {
            tasks: 8,
            meetings: 4,
            call_limit: Duration::from_secs(10),
            give_up_after: Duration::from_secs(20),
            pause: Duration::from_millis(2),
        },
    )
    .await;
    let mut tasks = load.spawn();

    // Some acknowledged requests first, then the kill in the middle of the load.
    let deadline = Instant::now() + Duration::from_secs(30);
    while load.acked_count() < 150 {
        assert!(
            Instant::now() < deadline,
            "only {} attendees acknowledged in 30 s: {:?}",
            load.acked_count(),
            load.histogram()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Preferably while it has requests under way (committed or not, unanswered).
    const VICTIM: usize = 1;
    let deadline = Instant::now() + Duration::from_secs(2);
    while load.in_flight(VICTIM) < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    let acked_at_kill = load.acked_count();
    let kill_sent = Instant::now();
    nodes[VICTIM].kill();
    let killed_at = Instant::now();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let acked_after_kill = load.acked_count() - acked_at_kill;
    load.stop();
    while let Some(joined) = tasks.join_next().await {
        joined.expect("a load task panicked");
    }
    let load_done = Instant::now();

    let attempts = load.attempts();
    let histogram = load.histogram();
    eprintln!("a_killed_node_loses_nothing: attempts by outcome {histogram:?}");
    let mut in_flight_at_kill = 0;
    for a in &attempts {
        // Sent before the SIGKILL, answered by no one.
        let cut_short = a.node == VICTIM && a.started < kill_sent && a.label != OK;
        if cut_short {
            in_flight_at_kill += 1;
        }
        // A response cut short by the kill may also fail to parse.
        assert!(
            [OK, TRANSPORT, UNAVAILABLE].contains(&a.label.as_str())
                || (cut_short && a.label.starts_with("unparsable")),
            "node {} answered {}: {}",
            a.node,
            a.label,
            a.detail
        );
        if a.node == VICTIM && a.started > killed_at {
            assert_eq!(a.label, TRANSPORT, "the killed node answered: {a:?}");
        }
    }
    assert!(
        acked_after_kill > 0,
        "nothing was acknowledged after the kill: {histogram:?}"
    );
    let failed_on_victim = attempts
        .iter()
        .filter(|a| a.node == VICTIM && a.label != OK)
        .count();
    assert!(failed_on_victim > 0, "no request met the killed node");
    for (i, node) in nodes.iter().enumerate() {
        assert!(
            !node.stderr().contains("panicked"),
            "node {i}: {}",
            node.stderr()
        );
    }

    let survivors = [clients[0].clone(), clients[2].clone()];
    let checked = load.verify(&survivors).await;
    eprintln!(
        "a_killed_node_loses_nothing: {checked} attendees acknowledged ({acked_at_kill} before \
         the kill, {acked_after_kill} in the 1.5 s after it) in {} meetings; {} requests \
         failed over ({} attempts sent again; {failed_on_victim} attempts failed on the killed \
         node, {in_flight_at_kill} of them in flight at the kill); load after the kill {:.1?}, \
         checks {:.1?}, total {:.1?}",
        load.meeting_count(),
        load.failed_over_requests(),
        load.failovers(),
        load_done - killed_at,
        load_done.elapsed(),
        started.elapsed(),
    );
    drop(nodes);
}

// ---------------------------------------------------------------------------------------------
// The database stopping and starting again
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_database_restarting_is_survived() {
    let started = Instant::now();
    let Some(pg) = tokio::task::spawn_blocking(PrivatePostgres::start)
        .await
        .expect("starting PostgreSQL panicked")
    else {
        return;
    };
    let pg_started = started.elapsed();
    let nodes: Vec<Server> = (0..2)
        .map(|_| {
            Server::start(
                Options::postgres(&pg.url)
                    .arg("--store-acquire-timeout-ms")
                    .arg("500")
                    .arg("--store-operation-timeout-secs")
                    .arg("2"),
            )
        })
        .collect();
    for node in &nodes {
        assert_eq!(ready(node).await.0, 200, "{}", node.stderr());
    }
    let clients: Vec<Client> = nodes.iter().map(Server::client).collect();
    const CALL_LIMIT: Duration = Duration::from_secs(5);
    let load = Load::new(
        clients.clone(),
        unique("pgrestart"),
        LoadConfig {
            tasks: 4,
            meetings: 2,
            call_limit: CALL_LIMIT,
            give_up_after: Duration::from_secs(30),
            pause: Duration::from_millis(5),
        },
    )
    .await;
    let mut tasks = load.spawn();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let acked_before = load.acked_count();
    assert!(
        acked_before > 0,
        "nothing acknowledged: {:?}",
        load.histogram()
    );

    // The outage.
    tokio::task::block_in_place(|| pg.stop());
    let down_at = Instant::now();
    for node in &nodes {
        let (status, took) = ready(node).await;
        assert_eq!(
            status,
            503,
            "/ready while the database is down ({took:?}); stderr:\n{}",
            node.stderr()
        );
    }
    tokio::time::sleep_until((down_at + Duration::from_secs(2)).into()).await;
    let restart_at = Instant::now();
    tokio::task::block_in_place(|| pg.start_again());
    let up_at = Instant::now();

    // Until requests succeed again on both nodes.
    let deadline = up_at + Duration::from_secs(20);
    while !(0..nodes.len()).all(|n| load.successes_since(n, restart_at) > 0) {
        assert!(
            Instant::now() < deadline,
            "no success on every node within 20 s of the restart: {:?}; stderr:\n{}",
            load.histogram(),
            nodes[0].stderr()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    load.stop();
    while let Some(joined) = tasks.join_next().await {
        joined.expect("a load task panicked");
    }
    let mut ready_again = Duration::ZERO;
    for node in &nodes {
        ready_again = ready_again.max(until_ready(node, Duration::from_secs(10)).await);
    }

    // Every answer was a success or a 503 with Retry-After: 1, none took long, and while the
    // database was down every one was a 503.
    let attempts = load.attempts();
    let histogram = load.histogram();
    eprintln!("the_database_restarting_is_survived: attempts by outcome {histogram:?}");
    for a in &attempts {
        assert!(
            a.label == OK || a.label == UNAVAILABLE,
            "node {} answered {} after {:?}: {}",
            a.node,
            a.label,
            a.elapsed,
            a.detail
        );
    }
    assert!(!histogram.contains_key(HANG));
    let slowest = attempts.iter().map(|a| a.elapsed).max().unwrap_or_default();
    let during: Vec<_> = attempts
        .iter()
        .filter(|a| a.started >= down_at && a.started + a.elapsed <= restart_at)
        .collect();
    assert!(
        during.iter().all(|a| a.label == UNAVAILABLE),
        "answers while the database was down: {during:?}"
    );
    assert!(!during.is_empty(), "no request was sent during the outage");
    let unavailable = histogram.get(UNAVAILABLE).copied().unwrap_or(0);
    let first_success = attempts
        .iter()
        .filter(|a| a.started >= restart_at && a.label == OK)
        .map(|a| a.started + a.elapsed)
        .min()
        .expect("a success after the restart");
    let recovery = first_success.saturating_duration_since(restart_at);
    for (i, node) in nodes.iter().enumerate() {
        assert!(
            !node.stderr().contains("panicked"),
            "node {i}: {}",
            node.stderr()
        );
    }

    let checked = load.verify(&clients).await;
    eprintln!(
        "the_database_restarting_is_survived: {unavailable} answers 503 ({} during the {:.1?} \
         outage); PostgreSQL started again in {:.1?} (pg_ctl start -w), first success {:.0?} \
         after pg_ctl start began, /ready 200 again within {:.0?} of the load's end; slowest \
         answer {slowest:.0?}; {checked} \
         attendees acknowledged ({acked_before} before the outage) in {} meetings, {} requests \
         failed over; private PostgreSQL set up in {pg_started:.1?}, total {:.1?}",
        during.len(),
        restart_at - down_at,
        up_at - restart_at,
        recovery,
        ready_again,
        load.meeting_count(),
        load.failed_over_requests(),
        started.elapsed(),
    );
    drop(nodes);
    drop(pg);
}

// ---------------------------------------------------------------------------------------------
// The pool exhausted
// ---------------------------------------------------------------------------------------------

/// A session outside the nodes holding a meeting's row lock, as a slow transaction of another
/// node would.
struct Locker {
    client: tokio_postgres::Client,
    driver: tokio::task::JoinHandle<Result<(), tokio_postgres::Error>>,
    /// A second session, to see who waits for the lock.
    observer: tokio_postgres::Client,
    observer_driver: tokio::task::JoinHandle<Result<(), tokio_postgres::Error>>,
}

impl Locker {
    async fn lock_meeting(url: &str, meeting_id: &str) -> Locker {
        let (client, connection) = tokio_postgres::connect(url, NoTls)
            .await
            .expect("cannot connect to the test database");
        let driver = tokio::spawn(connection);
        let (observer, connection) = tokio_postgres::connect(url, NoTls)
            .await
            .expect("cannot connect to the test database");
        let observer_driver = tokio::spawn(connection);
        client.batch_execute("BEGIN").await.expect("BEGIN");
        let locked = client
            .query(
                "SELECT 1 FROM meetings WHERE meeting_id = $1 FOR UPDATE",
                &[&meeting_id],
            )
            .await
            .expect("locking the meeting");
        assert_eq!(locked.len(), 1, "no meeting {meeting_id} in the database");
        Locker {
            client,
            driver,
            observer,
            observer_driver,
        }
    }

    /// Waits (at most `within`) until another session waits for a lock in the database.
    async fn until_a_waiter(&self, within: Duration) {
        let started = Instant::now();
        loop {
            let waiting: i64 = self
                .observer
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity \
                     WHERE datname = current_database() AND wait_event_type = 'Lock'",
                    &[],
                )
                .await
                .expect("reading pg_stat_activity")
                .get(0);
            if waiting > 0 {
                return;
            }
            assert!(
                started.elapsed() < within,
                "no request waited for the meeting's lock within {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Rolls back: the lock is free.
    async fn release(self) {
        self.client
            .batch_execute("ROLLBACK")
            .await
            .expect("ROLLBACK");
        drop((self.client, self.observer));
        let _ = self.driver.await;
        let _ = self.observer_driver.await;
    }
}

/// The node logs at `warn` (the harness's level): each of the `failed` requests has one line,
/// with its own request id and the store's fault as its cause, and no other line names a request.
fn assert_each_failure_logged_once(log: &str, failed: usize) {
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("request_id=")).collect();
    assert_eq!(lines.len(), failed, "{log}");
    let mut ids = std::collections::HashSet::new();
    for line in lines {
        assert!(line.contains("request failed"), "{line}");
        assert!(line.contains("cause=\"store: "), "{line}");
        let id = line.split("request_id=").nth(1).and_then(|t| t.get(..38));
        assert!(ids.insert(id), "request id logged twice: {line}");
    }
}

/// A node with a single database connection, 300 ms to get it and 2 s per store operation.
fn single_connection_node(db: &TestDatabase) -> Server {
    Server::start(
        Options::postgres(&db.url)
            .arg("--store-max-connections")
            .arg("1")
            .arg("--store-acquire-timeout-ms")
            .arg("300")
            .arg("--store-operation-timeout-secs")
            .arg("2"),
    )
}

/// Sends a CreateAttendee from a task of its own: its outcome and how long it took.
fn spawn_create_attendee(
    client: &Client,
    meeting_id: &str,
    user: &str,
) -> tokio::task::JoinHandle<(Result<(), load::Failure>, Duration)> {
    let request = client
        .create_attendee()
        .meeting_id(meeting_id)
        .external_user_id(user);
    tokio::spawn(async move {
        let sent = Instant::now();
        let result = attempt(Duration::from_secs(10), request.send()).await;
        (result.map(drop), sent.elapsed())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pool_exhaustion_answers_503_not_a_hang() {
    let Some(db) = TestDatabase::create("faults_pool") else {
        return;
    };
    let started = Instant::now();
    let node = single_connection_node(&db);
    let client = node.client();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
    let locker = Locker::lock_meeting(&db.url, &meeting_id).await;

    // A CreateAttendee waits for that lock, on the node's only connection...
    let user = unique("blocked");
    let blocked = spawn_create_attendee(&client, &meeting_id, &user);
    locker.until_a_waiter(Duration::from_secs(10)).await;

    // ... so a GetMeeting finds no connection: 503 after the acquire timeout, not a hang.
    let sent = Instant::now();
    let got = attempt(
        Duration::from_secs(10),
        client.get_meeting().meeting_id(&meeting_id).send(),
    )
    .await;
    let get_took = sent.elapsed();
    let failure = got.expect_err("GetMeeting got a connection the CreateAttendee holds");
    assert_eq!(failure.label, UNAVAILABLE, "{}", failure.detail);
    assert!(
        get_took < Duration::from_secs(2),
        "GetMeeting took {get_took:?}"
    );

    // The CreateAttendee gives up after the operation timeout: 503 too.
    let (result, create_took) = blocked.await.expect("the CreateAttendee task");
    let failure = result.expect_err("CreateAttendee went through a locked meeting");
    assert_eq!(failure.label, UNAVAILABLE, "{}", failure.detail);
    assert!(
        create_took < Duration::from_secs(4),
        "CreateAttendee took {create_took:?} with a 2 s operation timeout"
    );

    // The lock released, the node serves again on the same connection pool.
    locker.release().await;
    let released = Instant::now();
    let attendee = attempt(
        Duration::from_secs(5),
        client
            .create_attendee()
            .meeting_id(&meeting_id)
            .external_user_id(&user)
            .send(),
    )
    .await
    .unwrap_or_else(|f| panic!("CreateAttendee after the release: {} {}", f.label, f.detail))
    .attendee
    .expect("an Attendee");
    let recovered = released.elapsed();
    let meeting = attempt(
        Duration::from_secs(5),
        client.get_meeting().meeting_id(&meeting_id).send(),
    )
    .await
    .unwrap_or_else(|f| panic!("GetMeeting after the release: {} {}", f.label, f.detail));
    assert_eq!(
        meeting.meeting.and_then(|m| m.meeting_id).as_deref(),
        Some(meeting_id.as_str())
    );
    // The timed-out request left nothing behind: one attendee for that user.
    let listed = list_all_attendees(&client, &meeting_id).await;
    assert_eq!(listed.len(), 1, "{listed:#?}");
    assert_eq!(listed[0].attendee_id(), attendee.attendee_id());
    assert_eq!(listed[0].external_user_id(), Some(user.as_str()));
    assert_eq!(ready(&node).await.0, 200);
    assert!(!node.stderr().contains("panicked"), "{}", node.stderr());
    assert_each_failure_logged_once(&node.stderr(), 2);
    eprintln!(
        "pool_exhaustion_answers_503_not_a_hang: GetMeeting 503 in {get_took:.0?}, blocked \
         CreateAttendee 503 in {create_took:.0?}, first CreateAttendee after the release in \
         {recovered:.0?}; total {:.1?}",
        started.elapsed()
    );
}

/// Once an operation has been answered 503 for its timeout, the connection it used serves the
/// next requests: what the abandoned statement waits for must not keep failing the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_timed_out_operation_does_not_poison_its_connection() {
    let Some(db) = TestDatabase::create("faults_poison") else {
        return;
    };
    let node = single_connection_node(&db);
    let client = node.client();
    let locked_meeting = create_meeting(&client).await.meeting_id.unwrap();
    let other_meeting = create_meeting(&client).await.meeting_id.unwrap();
    let locker = Locker::lock_meeting(&db.url, &locked_meeting).await;

    let blocked = spawn_create_attendee(&client, &locked_meeting, &unique("blocked"));
    locker.until_a_waiter(Duration::from_secs(10)).await;
    let (result, took) = blocked.await.expect("the CreateAttendee task");
    let failure = result.expect_err("CreateAttendee went through a locked meeting");
    assert_eq!(failure.label, UNAVAILABLE, "{}", failure.detail);
    assert!(
        took < Duration::from_secs(4),
        "CreateAttendee took {took:?}"
    );

    // The meeting is still locked, but nothing waits for it any more: another meeting is served.
    let mut outcomes = Vec::new();
    for _ in 0..3 {
        let sent = Instant::now();
        let got = attempt(
            Duration::from_secs(10),
            client.get_meeting().meeting_id(&other_meeting).send(),
        )
        .await;
        outcomes.push((got.map(drop).map_err(|f| f.label), sent.elapsed()));
    }
    locker.release().await;
    assert!(
        outcomes
            .iter()
            .all(|(r, took)| r.is_ok() && *took < Duration::from_secs(1)),
        "GetMeeting of another meeting after a timed-out CreateAttendee, its lock still held: \
         {outcomes:?}"
    );
}
