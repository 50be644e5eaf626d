//! The reference server's unavoidable-work mode, in both layouts, in process on a free port,
//! driven by the load generator's own client and signer.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use carillon_bench::client::{Conn, Endpoint};
use carillon_bench::reference::{self, Durable, Layout, Mode, REF_MEETING_ID};
use carillon_bench::workload::{self, RequestSpec};
use carillon_bench::Credentials;
use carillon_testkit::sigv4::Signer;
use rusqlite::Connection;
use serde_json::Value;

/// An unavoidable-work server whose writes go to `database`; its store and endpoint.
async fn start(database: &Path) -> (Arc<Durable>, Arc<Endpoint>) {
    start_with(database, Layout::Append).await
}

async fn start_with(database: &Path, layout: Layout) -> (Arc<Durable>, Arc<Endpoint>) {
    let store = Arc::new(Durable::open(Some(database), layout).expect("the database opens"));
    let any_port = "127.0.0.1:0".parse().expect("an address");
    let (listener, addr) = reference::bind(any_port).await.expect("a free port");
    tokio::spawn(reference::serve(
        listener,
        Mode::Unavoidable(Arc::clone(&store)),
    ));
    let endpoint = Endpoint::resolve(&format!("http://{addr}"))
        .await
        .expect("a loopback endpoint");
    (store, Arc::new(endpoint))
}

/// Sends `spec` signed as the load generator signs by default: its status and JSON body.
async fn send(endpoint: &Endpoint, credentials: Credentials, spec: &RequestSpec) -> (u16, Value) {
    let mut conn = Conn::open(endpoint).await.expect("the server accepts");
    let mut signer = Signer::new(credentials);
    let (status, body) = conn
        .send(endpoint, &mut signer, spec)
        .await
        .expect("the server answers");
    (
        status,
        serde_json::from_slice(&body).expect("a JSON answer"),
    )
}

/// CreateMeeting with this ClientRequestToken, signed as the generator signs by default.
async fn create_meeting(endpoint: &Endpoint, token: &str) -> (u16, Value) {
    let spec = workload::create_meeting(token, "e-1");
    send(endpoint, Credentials::default(), &spec).await
}

fn attendee_rows(database: &Path, external_user_id: &str) -> i64 {
    let conn = Connection::open(database).expect("the database opens");
    conn.query_row(
        "SELECT count(*) FROM attendees WHERE external_user_id = ?1",
        [external_user_id],
        |r| r.get(0),
    )
    .expect("the attendees table")
}

#[tokio::test]
async fn signed_requests_get_the_fixed_answers() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, endpoint) = start(&dir.path().join("ref.db")).await;
    let ok = Credentials::default();
    let m = REF_MEETING_ID;

    let (status, meeting) = create_meeting(&endpoint, "t-1").await;
    assert_eq!(status, 200, "{meeting}");
    // The meeting stored is named, wherever the fixed answer names its meeting.
    let stored = meeting["Meeting"]["MeetingId"].as_str().unwrap();
    assert_ne!(stored, m);
    assert!(meeting["Meeting"]["MediaPlacement"]["SignalingUrl"]
        .as_str()
        .unwrap()
        .ends_with(stored));

    let (status, created) = send(&endpoint, ok.clone(), &workload::create_attendee(m, "u-1")).await;
    assert_eq!(status, 200, "{created}");
    let attendee = created["Attendee"]["AttendeeId"]
        .as_str()
        .unwrap()
        .to_owned();

    let (status, batch) = send(&endpoint, ok.clone(), &workload::batch_create(m, "b")).await;
    assert_eq!(status, 200, "{batch}");
    assert_eq!(batch["Attendees"].as_array().unwrap().len(), 100);

    let (status, got) = send(&endpoint, ok.clone(), &workload::get_attendee(m, &attendee)).await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["Attendee"]["AttendeeId"], attendee.as_str());

    let (status, page) = send(&endpoint, ok, &workload::list_attendees(m)).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["Attendees"].as_array().unwrap().len(), 10);
    assert!(page["NextToken"].is_string());
}

#[tokio::test]
async fn a_wrong_signature_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("ref.db");
    let (_store, endpoint) = start(&database).await;
    let wrong_secret = Credentials {
        secret_access_key: "not the secret".into(),
        ..Credentials::default()
    };
    let spec = workload::create_attendee(REF_MEETING_ID, "forged");
    let (status, body) = send(&endpoint, wrong_secret, &spec).await;
    assert_eq!(status, 403);
    // As Carillon's front door: the message alone.
    assert!(body["message"]
        .as_str()
        .unwrap()
        .starts_with("The request signature we calculated does not match"));
    assert_eq!(attendee_rows(&database, "forged"), 0);

    let unknown_key = Credentials {
        access_key_id: "AKIDUNKNOWN".into(),
        ..Credentials::default()
    };
    let (status, _) = send(&endpoint, unknown_key, &spec).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn an_answered_create_attendee_is_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("ref.db");
    let (store, endpoint) = start(&database).await;
    let spec = workload::create_attendee(REF_MEETING_ID, "stored-1");
    let (status, _) = send(&endpoint, Credentials::default(), &spec).await;
    assert_eq!(status, 200);
    assert_eq!(attendee_rows(&database, "stored-1"), 1);
    assert_eq!(store.counts(), (1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_share_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("ref.db");
    let (store, endpoint) = start(&database).await;
    // Another connection holds the write lock for a while, so that the writes sent meanwhile
    // queue behind the writer's first transaction, as they do behind a slow fsync under load.
    let blocker = Connection::open(&database).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let clients: Vec<_> = (0..64)
        .map(|i| {
            let endpoint = Arc::clone(&endpoint);
            tokio::spawn(async move {
                let spec = workload::create_attendee(REF_MEETING_ID, &format!("c-{i}"));
                send(&endpoint, Credentials::default(), &spec).await.0
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    blocker.execute_batch("COMMIT").unwrap();
    for client in clients {
        assert_eq!(client.await.unwrap(), 200);
    }
    let rows: i64 = blocker
        .query_row("SELECT count(*) FROM attendees", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 64);
    let (writes, transactions) = store.counts();
    assert_eq!(writes, 64);
    assert!(
        transactions < 8,
        "{transactions} transactions for 64 writes"
    );
}

#[tokio::test]
async fn the_indexed_layout_keeps_the_api_rules() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("ref.db");
    let (store, endpoint) = start_with(&database, Layout::Indexed).await;
    let ok = Credentials::default();
    let (status, meeting) = create_meeting(&endpoint, "t-1").await;
    assert_eq!(status, 200, "{meeting}");
    let m = meeting["Meeting"]["MeetingId"].as_str().unwrap().to_owned();
    // CreateMeeting is idempotent: the same token answers the same meeting.
    let (status, again) = create_meeting(&endpoint, "t-1").await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["Meeting"]["MeetingId"], m.as_str());

    for _ in 0..2 {
        let (status, created) =
            send(&endpoint, ok.clone(), &workload::create_attendee(&m, "u-1")).await;
        assert_eq!(status, 200, "{created}");
    }
    assert_eq!(attendee_rows(&database, "u-1"), 1);

    // A meeting that was never created.
    let (status, refused) = send(
        &endpoint,
        ok,
        &workload::create_attendee(REF_MEETING_ID, "u-2"),
    )
    .await;
    assert_eq!(status, 404, "{refused}");
    assert_eq!(refused["Code"], "NotFound");
    assert_eq!(attendee_rows(&database, "u-2"), 0);
    assert_eq!(store.counts().0, 5);
}
