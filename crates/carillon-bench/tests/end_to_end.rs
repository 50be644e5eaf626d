//! Every workload against a real `carillon` server, and one against the reference server.
//!
//! Cargo builds the `carillon` binary only for the `carillon` package's own tests, so this test
//! takes the one beside its own executable (`<target>/<profile>/carillon`, see
//! [`carillon_binary`], which honours `CARGO_TARGET_DIR` without reading it) and first runs
//! `cargo build -p carillon --bin carillon` into that same target directory (a no-op of about a
//! second when it is up to date; cargo has released its build lock by the time tests run), so
//! the server under test is never stale. Only when cargo cannot be started at all (the test
//! executable run by hand without cargo) is an existing binary used as it is. `CARILLON_BIN`,
//! when set, names the binary to use instead (the test command builds it first and sets it).

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use carillon_bench::audio::{self, AudioConfig};
use carillon_bench::signaling::{self, SignalingConfig, SignalingWorkload};
use carillon_bench::sink::{self, SinkConfig};
use carillon_bench::{reference, run, Credentials, Report, RunConfig, Workload};
use carillon_testkit::{carillon_binary, Options, Server};

/// The `carillon` binary of this test's target directory and profile, built first.
fn built_carillon() -> PathBuf {
    if let Some(binary) = std::env::var_os("CARILLON_BIN") {
        return PathBuf::from(binary);
    }
    let binary = carillon_binary();
    let profile_dir = binary.parent().expect("<target>/<profile>");
    let target_dir = profile_dir.parent().expect("<target>");
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(&workspace)
        .args(["build", "-p", "carillon", "--bin", "carillon"])
        .env("CARGO_TARGET_DIR", target_dir);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    match build.status() {
        Ok(status) => assert!(status.success(), "cargo build -p carillon failed"),
        Err(e) => assert!(binary.exists(), "cannot run cargo ({e}) and no {binary:?}"),
    }
    binary
}

/// A `carillon` process (in memory, quotas off), killed when dropped.
fn start_server() -> Server {
    Server::start(Options::in_memory().binary(&built_carillon()))
}

fn config(url: &str, workload: Workload) -> RunConfig {
    RunConfig {
        endpoints: vec![url.to_owned()],
        workload,
        connections: 4,
        duration: Duration::from_secs(1),
        warmup: Duration::from_millis(100),
        rate: None,
        meeting_members: String::new(),
        credentials: Credentials::default(),
        progress: false,
    }
}

fn assert_clean(report: &Report) {
    let name = &report.workload;
    assert!(report.requests > 0, "{name}: no successful request");
    assert!(
        report.statuses.keys().all(|s| s.starts_with('2')),
        "{name}: {:?}, first error {:?}",
        report.statuses,
        report.first_error
    );
    assert_eq!(report.statuses.values().sum::<u64>(), report.requests);
    assert_eq!(
        report.transport_errors, 0,
        "{name}: {:?}",
        report.first_error
    );
    assert_eq!(report.setup_errors, 0, "{name}: {:?}", report.first_error);
    assert!(report.latency_us.p50 > 0 && report.latency_us.max >= report.latency_us.p99);
}

#[test]
fn every_workload_runs_cleanly_against_carillon() {
    let server = start_server();
    let rt = tokio::runtime::Runtime::new().unwrap();
    for workload in [
        Workload::CreateMeeting,
        Workload::CreateAttendee,
        Workload::BatchCreate,
        Workload::GetAttendee,
        Workload::ListAttendees,
        Workload::Mixed,
    ] {
        let report = rt
            .block_on(run(&config(&server.endpoint(), workload)))
            .unwrap_or_else(|e| panic!("{}: {e}", workload.name()));
        assert_clean(&report);
        match workload {
            Workload::BatchCreate => assert_eq!(report.attendees, 100 * report.requests),
            Workload::CreateAttendee => assert_eq!(report.attendees, report.requests),
            _ => {}
        }
    }
}

#[test]
fn open_loop_against_the_reference_server() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (listener, addr) = reference::bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let server = tokio::spawn(reference::serve(listener, reference::Mode::Bare));
        let url = format!("http://{addr}");
        for (workload, rate) in [
            (Workload::Mixed, None),
            (Workload::GetAttendee, Some(400.0)),
        ] {
            let report = run(&RunConfig {
                rate,
                ..config(&url, workload)
            })
            .await
            .unwrap();
            assert_clean(&report);
            if rate.is_some() {
                // Open loop sends on schedule: 400 req/s for 1 s, give or take the edges.
                assert!(
                    (380..=420).contains(&report.requests),
                    "{}",
                    report.requests
                );
                assert_eq!(report.latency_from, "intended-send-when-late");
            }
        }
        server.abort();
    });
}

#[test]
fn a_server_that_is_down_is_reported_not_counted() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    // Port 1 on loopback: nothing listens there.
    let mut cfg = config("http://127.0.0.1:1", Workload::CreateMeeting);
    cfg.duration = Duration::from_millis(300);
    let report = rt.block_on(run(&cfg)).unwrap();
    assert_eq!(report.requests, 0);
    assert!(report.transport_errors > 0);
    let setup = rt.block_on(run(&config("http://127.0.0.1:1", Workload::GetAttendee)));
    assert!(matches!(setup, Err(carillon_bench::BenchError::Setup(_))));
}

/// Each signaling workload, scaled down to about a second, against a real server.
#[test]
fn signaling_workloads_run_against_carillon() {
    let server = start_server();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let small = |workload| SignalingConfig {
        sessions: 20,
        per_meeting: 10,
        duration: Duration::from_secs(1),
        warmup: Duration::from_millis(200),
        join_rate: 50.0,
        data_rate: 50.0,
        senders: 2,
        rejoins: 3,
        rejoin_rate: 10.0,
        ping_interval: Duration::from_millis(250),
        server_pid: server.pid(),
        ..SignalingConfig::new(server.endpoint(), workload)
    };
    let report = rt
        .block_on(signaling::run(&small(SignalingWorkload::Sessions)))
        .unwrap();
    assert_eq!(report.errors, 0, "{:?}", report.first_error);
    assert_eq!((report.meetings, report.attendees), (2, 20));
    assert_eq!(report.counts["sessions_joined"], 20);
    assert_eq!(report.counts["sessions_open_at_end"], 20);
    assert_eq!(report.latency["subscribe_to_ack"].count, 20);
    assert!(report.latency["ping_rtt"].count > 0);
    let memory = report.memory.expect("the server's memory is read");
    assert!(memory.rss_before_kib > 0 && memory.sessions == 20);
    assert!(report.server_cpu_cores.contains_key("hold"));

    let report = rt
        .block_on(signaling::run(&small(SignalingWorkload::Meeting)))
        .unwrap();
    assert_eq!(report.errors, 0, "{:?}", report.first_error);
    assert_eq!(report.counts["joins_fill"], 19);
    assert_eq!(report.counts["joins_fill_incomplete"], 0);
    assert_eq!(report.counts["joins_rejoin"], 3);
    assert_eq!(report.counts["joins_rejoin_incomplete"], 0);
    assert_eq!(report.latency["presence_fill_each"].count, 19 * 20 / 2);
    assert_eq!(report.counts["data_sent"], 50);
    assert_eq!(report.counts["data_throttled"], 0);
    assert_eq!(report.counts["data_received"], 50 * 19);
    assert_eq!(
        report.counts["data_received"],
        report.counts["data_expected"]
    );
    assert_eq!(report.latency["data_all"].count, 50);

    let report = rt
        .block_on(signaling::run(&small(SignalingWorkload::Joins)))
        .unwrap();
    assert_eq!(report.errors, 0, "{:?}", report.first_error);
    assert_eq!(report.counts["joins_scheduled"], 60);
    assert_eq!(report.counts["joins_failed"], 0);
    let recorded = report.counts["joins_recorded"];
    assert!((45..=55).contains(&recorded), "{recorded}");
    assert_eq!(report.latency["open_to_index"].count, recorded);
    assert_eq!(report.latency["subscribe_to_ack"].count, recorded);
}

/// One meeting of three, two of them speaking, for 3 s: every participant connects over real
/// WebRTC, audio flows both ways at one packet per 20 ms, and each burst a listener should hear
/// is heard and timed. Timing targets are the benchmark's, not this test's.
#[test]
fn the_audio_workload_runs_against_carillon() {
    let server = start_server();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let report = rt
        .block_on(audio::run(&AudioConfig {
            meetings: 1,
            per_meeting: 3,
            speakers: 2,
            duration: Duration::from_secs(3),
            warmup: Duration::from_secs(1),
            server_pid: server.pid(),
            ..AudioConfig::new(server.endpoint())
        }))
        .unwrap();
    assert_eq!(report.errors, 0, "{:?}", report.first_error);
    assert_eq!((report.participants, report.participants_failed), (3, 0));
    // Three senders and three listeners, 50 packets a second each, give or take the edges of
    // the window and the server's counters' 200 ms refresh.
    let p = &report.packets;
    assert!((140.0..=160.0).contains(&p.clients_sent_per_s), "{p:?}");
    assert!(
        p.per_listener_min > 40.0 && p.per_listener_max <= 51.0,
        "{p:?}"
    );
    assert!(
        p.server_in_per_s > 100.0 && p.server_out_per_s > 100.0,
        "{p:?}"
    );
    assert!(
        report.ticks.on_time + report.ticks.late > 100,
        "{:?}",
        report.ticks
    );
    // Two speakers, one burst a second each, heard by the two others: 12 in 3 s.
    let o = &report.onsets;
    assert_eq!(o.expected, 12, "{o:?}");
    assert_eq!(o.timed, o.expected, "{o:?}");
    assert_eq!((o.unmatched, o.undecodable), (0, 0), "{o:?}");
    let l = &report.latency.latency_us;
    assert!(l.p50 > 0 && l.max >= l.p99, "{l:?}");
    let server_figures = report.server.expect("the server's CPU and memory are read");
    assert!(server_figures.cpu_cores > 0.0 && server_figures.rss_with_clients_kib > 0);
}

/// CreateAttendee against a server with a webhook pointing at the sink: every event arrives
/// once, signed, timed; the delivery counter the `deliveries` watch reads moves with it.
#[test]
fn the_webhook_sink_receives_and_times_every_event() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (listener, addr) = sink::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let sink = tokio::spawn(sink::run(
            listener,
            SinkConfig {
                secret: Some("s3cret".into()),
                warmup: Duration::ZERO,
                idle: Duration::from_secs(1),
                max_duration: Some(Duration::from_secs(60)),
                progress: false,
            },
        ));
        let server = Server::start(
            Options::in_memory()
                .binary(&built_carillon())
                .arg(&format!("--webhook=bench=http://{addr}/events"))
                .arg("--webhook-secret=s3cret"),
        );
        let endpoint = server.endpoint();
        let watch = tokio::spawn(async move {
            let (idle, max) = (Duration::from_secs(1), Duration::from_secs(60));
            carillon_bench::watch::watch(&endpoint, "webhook", idle, max, false).await
        });
        // The watch's first reading (its baseline) before the first event.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let report = run(&config(&server.endpoint(), Workload::CreateAttendee))
            .await
            .unwrap();
        assert_clean(&report);
        let received = sink.await.unwrap();
        assert_eq!(received.bad_signatures, 0);
        assert_eq!((received.duplicates, received.unparsed), (0, 0));
        // The warm-up's attendees and each connection's meeting send events too.
        let added = received.event_types["chime:AttendeeAdded"];
        assert!(added >= report.requests, "{added} < {}", report.requests);
        assert!(received.event_types["chime:MeetingStarted"] >= 4);
        assert_eq!(received.latency_recorded, received.received);
        assert!(received.latency_us.p50 > 0 && received.peak_rate > 0);
        let counted = watch.await.unwrap().unwrap();
        assert_eq!(counted.delivered, received.received);
    });
}
