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

mod checks;
mod ledger;
mod load;
mod outcome;
mod probe;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use carillon_testkit::{Options, Server};

use crate::checks::{check_after_restart, Checks};
use crate::ledger::{lock, Fate, Ledger, LoadStats, MeetingEntry};
use crate::load::load_and_kill;

/// Tasks sending requests at once, during the load and during the checks.
pub(crate) const TASKS: usize = 32;
/// Kill points, in milliseconds after the load started.
pub(crate) const KILL_AFTER_MS: (u64, u64) = (50, 800);
/// Attendees per BatchCreateAttendee.
pub(crate) const BATCH: (u64, u64) = (10, 50);
/// Attendees (acknowledged or in flight) above which a meeting gets no more creates; below the
/// default cap of 250 so that LimitExceeded stays rare.
pub(crate) const SOFT_CAP: usize = 220;
/// Meetings open for new attendees below which the load creates meetings first.
pub(crate) const MIN_OPEN: usize = 4;
/// Live meetings above which a round deletes meetings three times as often, so that a long run
/// keeps a bounded amount of live data to check.
pub(crate) const LIVE_MEETINGS: usize = 120;
/// ClientRequestTokens of acknowledged meetings replayed after each restart.
pub(crate) const TOKEN_REPLAYS: usize = 16;
/// Acknowledged attendees whose CreateAttendee is repeated after each restart.
pub(crate) const ATTENDEE_REPLAYS: usize = 8;
/// GetAttendee calls per check beyond which attendees checked after an earlier restart and
/// unchanged since are sampled (ListAttendees still shows every one, with its JoinToken).
pub(crate) const GET_ATTENDEE_BUDGET: usize = 20_000;
/// Bound on each phase, so that a stuck server fails the test instead of hanging it.
pub(crate) const PHASE_TIMEOUT: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------------------------------------
// Randomness: a seeded SplitMix64, so a run can be repeated.
// ---------------------------------------------------------------------------------------------

pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn range(&mut self, (lo, hi): (u64, u64)) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

pub(crate) fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    Some(
        text.trim()
            .parse()
            .unwrap_or_else(|e| panic!("{name}={text:?} is not a number: {e}")),
    )
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
