//! A whole run: resolve endpoints, create the shared pool a read workload needs, start one task
//! per connection (round-robin over endpoints), print progress once per second, merge results.

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use carillon_testkit::sigv4::{Credentials, Signer};
use tokio::time::Instant;

use crate::client::{answer, run_connection, Conn, Endpoint, Live, Schedule};
use crate::driver::Driver;
use crate::report::{Report, RunInfo};
use crate::workload::{self, BatchOutput, Op, Pool, Workload, BATCHES_PER_MEETING, POOL_MEETINGS};

/// What to run.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// `http://host:port`, one or more; connections go round-robin over them.
    pub endpoints: Vec<String>,
    pub workload: Workload,
    pub connections: usize,
    /// The measured window.
    pub duration: Duration,
    /// Sent but not recorded, before the window.
    pub warmup: Duration,
    /// Open loop: aggregate requests per second over all connections.
    pub rate: Option<f64>,
    /// Members added to every CreateMeeting body, each as `,"Name":value` (empty: none).
    pub meeting_members: String,
    pub credentials: Credentials,
    /// Print a progress line to stderr once per second.
    pub progress: bool,
}

/// Why a run could not take place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BenchError {
    /// The arguments make no sense.
    Config(String),
    /// Creating the meetings and attendees the workload reads failed.
    Setup(String),
}

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BenchError::Config(m) => write!(f, "invalid configuration: {m}"),
            BenchError::Setup(m) => write!(f, "setup failed: {m}"),
        }
    }
}

impl std::error::Error for BenchError {}

/// Runs the benchmark and reports what it measured. Must run inside a tokio runtime with the
/// time and I/O drivers enabled.
pub async fn run(config: &RunConfig) -> Result<Report, BenchError> {
    if config.endpoints.is_empty() {
        return Err(BenchError::Config("at least one --endpoint".into()));
    }
    if config.connections == 0 {
        return Err(BenchError::Config(
            "--connections must be at least 1".into(),
        ));
    }
    if config.duration.is_zero() {
        return Err(BenchError::Config("--duration must be positive".into()));
    }
    if let Some(rate) = config.rate {
        if !(rate.is_finite() && rate > 0.0) {
            return Err(BenchError::Config("--rate must be positive".into()));
        }
    }
    let mut endpoints = Vec::with_capacity(config.endpoints.len());
    for url in &config.endpoints {
        endpoints.push(Arc::new(
            Endpoint::resolve(url).await.map_err(BenchError::Config)?,
        ));
    }

    let run_id: Arc<str> = uuid::Uuid::new_v4().simple().to_string()[..16].into();
    let pool = if config.workload.needs_pool() {
        build_pool(
            &endpoints[0],
            &config.credentials,
            &run_id,
            &config.meeting_members,
        )
        .await?
    } else {
        Pool::default()
    };
    let pool = Arc::new(pool);

    let start = Instant::now();
    let measure_start = start + config.warmup;
    let end = measure_start + config.duration;
    let interval = config
        .rate
        .map(|rate| Duration::from_secs_f64(config.connections as f64 / rate));

    let mut tasks = Vec::with_capacity(config.connections);
    let mut lives = Vec::with_capacity(config.connections);
    for i in 0..config.connections {
        let live = Arc::new(Live::default());
        lives.push(Arc::clone(&live));
        let schedule = Schedule {
            measure_start,
            end,
            // Phases spread the connections' sends evenly over one interval.
            open_loop: interval
                .map(|iv| (start + iv.mul_f64(i as f64 / config.connections as f64), iv)),
        };
        let driver = Driver::new(config.workload, i, Arc::clone(&run_id), Arc::clone(&pool))
            .with_meeting_members(&config.meeting_members);
        tasks.push(tokio::spawn(run_connection(
            Arc::clone(&endpoints[i % endpoints.len()]),
            Signer::new(config.credentials.clone()),
            driver,
            schedule,
            live,
        )));
    }
    let progress = config
        .progress
        .then(|| tokio::spawn(progress(lives, start, config.warmup)));

    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        // A panicking connection task is a bug; its results are lost, the others still count.
        if let Ok(result) = task.await {
            results.push(result);
        }
    }
    if let Some(p) = progress {
        p.abort();
    }
    let info = RunInfo {
        workload: config.workload.name().to_owned(),
        connections: config.connections,
        endpoints: config.endpoints.clone(),
        duration: config.duration,
        warmup: config.warmup,
        target_rate: config.rate,
    };
    Ok(Report::new(info, &results))
}

/// Creates [`POOL_MEETINGS`] meetings of 200 attendees each (two batches of 100) through the
/// first endpoint. Against the reference server every meeting and attendee has the same fixed
/// ids; nothing here requires them to be distinct.
async fn build_pool(
    endpoint: &Endpoint,
    creds: &Credentials,
    run_id: &str,
    members: &str,
) -> Result<Pool, BenchError> {
    let setup = |e: String| BenchError::Setup(e);
    let mut conn = Conn::open(endpoint).await.map_err(setup)?;
    let mut signer = Signer::new(creds.clone());
    let mut pool = Pool::default();
    for m in 0..POOL_MEETINGS {
        let spec = workload::create_meeting_with(
            &format!("{run_id}-pool-{m}"),
            &format!("pool-{m}"),
            members,
        );
        let meeting = conn
            .create_meeting(endpoint, &mut signer, &spec)
            .await
            .map_err(setup)?;
        for b in 0..BATCHES_PER_MEETING {
            let spec = workload::batch_create(&meeting, &format!("pool{b}"));
            let (status, body) = conn
                .send(endpoint, &mut signer, &spec)
                .await
                .map_err(setup)?;
            let out: BatchOutput = serde_json::from_slice(&body)
                .ok()
                .filter(|out: &BatchOutput| status == 200 && out.errors.is_empty())
                .ok_or_else(|| BenchError::Setup(answer(Op::BatchCreateAttendee, status, &body)))?;
            pool.attendees
                .extend(out.attendees.into_iter().map(|a| (m, a.attendee_id)));
        }
        pool.meetings.push(meeting);
    }
    if pool.attendees.is_empty() {
        return Err(BenchError::Setup("no attendee was created".into()));
    }
    Ok(pool)
}

/// Once per second: elapsed time, successful requests in the last second, errors so far.
async fn progress(lives: Vec<Arc<Live>>, start: Instant, warmup: Duration) {
    let mut tick = tokio::time::interval_at(start + Duration::from_secs(1), Duration::from_secs(1));
    let mut last_ok = 0u64;
    loop {
        tick.tick().await;
        let ok: u64 = lives.iter().map(|l| l.ok.load(Ordering::Relaxed)).sum();
        let errors: u64 = lives.iter().map(|l| l.errors.load(Ordering::Relaxed)).sum();
        let elapsed = start.elapsed();
        let phase = if elapsed < warmup { " (warm-up)" } else { "" };
        eprintln!(
            "[{:>5.1}s] {:>8} req/s, {} errors{phase}",
            elapsed.as_secs_f64(),
            ok - last_ok,
            errors
        );
        last_ok = ok;
    }
}
