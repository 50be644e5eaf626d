//! The plane under load and abuse: a client that does not read, data message floods, silence,
//! thousands of sockets, the session cap, content shares at capacity, a full meeting, and what
//! the logs and metrics say. Each test also checks that the sessions not at fault carry on.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use aws_sdk_chimesdkmeetings::types::{Attendee, MediaCapabilities, Meeting};
use carillon_signaling::frames::{FrameType, SdkAudioStreamIdInfo, SdkSignalFrame};
use tokio::net::TcpStream;

use carillon_testkit::signaling::tungstenite::protocol::WebSocketConfig;
use carillon_testkit::signaling::*;
use carillon_testkit::*;

/// Opens a session with `token` and joins (JOIN → JOIN_ACK + INDEX) as `attendee_id`, which is
/// what the session is known as (`<AttendeeId>#content` for a content share).
async fn join_as(server: SocketAddr, meeting_id: &str, token: &str, attendee_id: &str) -> Client {
    let mut client = Client::open(server, meeting_id, token).await;
    client.attendee_id = attendee_id.to_owned();
    client.send_join().await;
    client.expect(FrameType::JoinAck).await;
    client.expect(FrameType::Index).await;
    client
}

/// The server's `/metrics` text.
async fn metrics(server: &Server) -> String {
    let response = server.send(&RawRequest::new("GET", "/metrics")).await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.text()
}

/// The value of one sample (`name` with its labels, as written) of a metrics text; 0 when absent,
/// as a counter no one has touched yet is not written.
fn sample(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .map_or(0.0, |value| value.trim().parse().expect("a number"))
}

async fn sessions(server: &Server) -> f64 {
    sample(&metrics(server).await, "carillon_signaling_sessions")
}

/// Waits (at most `within`) for the open-sessions gauge to read `expected`.
async fn wait_for_sessions(server: &Server, expected: f64, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let now = sessions(server).await;
        if now == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "carillon_signaling_sessions is {now}, not {expected}, after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The departure of the session whose stream is `stream`, if `frame` announces it.
fn departure(frame: &SdkSignalFrame, stream: u32) -> Option<SdkAudioStreamIdInfo> {
    frame
        .audio_stream_id_info
        .as_ref()?
        .streams
        .iter()
        .find(|s| s.audio_stream_id == Some(stream) && s.attendee_id.is_none() && s.muted.is_none())
        .cloned()
}

/// The audio stream id of `attendee_id` in a presence update.
fn stream_of(entries: &[SdkAudioStreamIdInfo], attendee_id: &str) -> u32 {
    entries
        .iter()
        .find(|s| s.attendee_id.as_deref() == Some(attendee_id))
        .and_then(|s| s.audio_stream_id)
        .unwrap_or_else(|| panic!("{attendee_id} is not in {entries:?}"))
}

/// PING with `id`, then frames until its PONG; returns how long the PONG took.
async fn ping_pong(client: &mut Client, id: u32) -> Duration {
    let sent = Instant::now();
    client.ping(id).await;
    loop {
        let frame = client.next_within(WAIT).await.expect("a PONG");
        if let Some(pong) = frame.ping_pong {
            assert_eq!(pong.ping_id, Some(id));
            return sent.elapsed();
        }
    }
}

/// The next frame of `kind`, skipping others (presence, which a member gets whether or not it
/// subscribed).
async fn next_of(client: &mut Client, kind: FrameType) -> SdkSignalFrame {
    loop {
        let frame = client
            .next_within(WAIT)
            .await
            .unwrap_or_else(|| panic!("no {kind:?} frame"));
        if frame.kind() == Some(kind) {
            return frame;
        }
    }
}

/// LEAVE, then frames until LEAVE_ACK.
async fn leave(client: &mut Client) {
    let mut leave = frame(FrameType::Leave);
    leave.leave = Some(carillon_signaling::frames::SdkLeaveFrame {});
    client.send_frame(&leave).await;
    next_of(client, FrameType::LeaveAck).await;
}

/// A TCP connection to `server` that holds little in flight towards this end: a small receive
/// buffer, and the smallest segment size Linux lets a socket announce, which the server's kernel
/// sizes its send buffer by (on loopback, with 64 KiB segments, it starts at about 4 MiB).
async fn cramped_connection(server: SocketAddr) -> TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.set_tcp_mss(88).unwrap();
    socket.set_nonblocking(true).unwrap();
    let socket = tokio::net::TcpSocket::from_std_stream(socket.into());
    socket.connect(server).await.expect("connect")
}

/// An offer with an audio section and `videos` minimal video sections, about 28 bytes each.
/// The answer to it carries the server's ICE and DTLS lines in every section, some 400 bytes
/// each: 127 sections are answered with some 50 KB.
fn offer_with_videos(videos: usize) -> String {
    let mut offer = String::from(
        "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
         m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\n",
    );
    for mid in 1..=videos {
        offer.push_str(&format!("m=video 9 X 96\r\na=mid:{mid}\r\n"));
    }
    offer
}

/// A client that joins and subscribes, then renegotiates with offers whose answers are far
/// more than the connection holds (see [`cramped_connection`], [`offer_with_videos`]), and
/// from then on reads nothing: the server's session is left waiting to write that answer, so
/// that its queue then fills frame by frame, whatever the kernel's buffers would have taken.
async fn join_and_stop_reading(
    server: &Server,
    meeting: &Meeting,
    attendee: &Attendee,
) -> (Client, u32) {
    let id = meeting.meeting_id().unwrap();
    let stream = cramped_connection(server.addr).await;
    let mut client = Client::try_open_on(
        stream,
        None,
        server.addr,
        id,
        attendee.join_token().unwrap(),
    )
    .await
    .expect("the upgrade is accepted");
    client.send_join().await;
    client.expect(FrameType::JoinAck).await;
    client.expect(FrameType::Index).await;
    client.subscribe().await;
    let roster = client.presence().await;
    let stream = stream_of(&roster, attendee.attendee_id().unwrap());
    // Offers are capped at 128 sections: renegotiate often instead, each answer some 50 KB.
    let offer = offer_with_videos(127);
    for _ in 0..70 {
        client.send_subscribe(&offer).await;
    }
    (client, stream)
}

#[tokio::test]
async fn a_client_that_does_not_read_is_dropped_without_slowing_the_others() {
    let server = shared_server();
    let (meeting, [alice, bob, carol]) = meeting_with(&server, ["alice", "bob", "carol"]).await;
    let mut sender = Client::join_audio(server.addr, &meeting, &alice).await;
    sender.presence().await;
    let mut observer = Client::join_audio(server.addr, &meeting, &bob).await;
    observer.presence().await;
    sender.presence().await;
    let (mut stalled, stalled_stream) = join_and_stop_reading(&server, &meeting, &carol).await;
    sender.presence().await;
    observer.presence().await;

    // The observer reads everything, on its own, until the stalled one is announced dropped.
    let watch = tokio::spawn(async move {
        loop {
            let frame = observer.next_within(WAIT).await.expect("presence");
            if let Some(entry) = departure(&frame, stalled_stream) {
                assert_eq!(entry.dropped, Some(true), "{entry:?}");
                return observer;
            }
        }
    });

    // The meeting makes frames: every mute toggle goes to every member. (Data messages are
    // throttled to 200 at once per meeting, far fewer frames than a queue holds.) The sender
    // reads its own echoes, and sends a PING after every hundred toggles, whose PONG must come
    // back while the stalled session fills up: the 1,280 frames of its queue and a few more.
    // The answer to the stalled session's offer takes the server a moment to write; a first
    // PONG after it keeps that out of what is measured.
    ping_pong(&mut sender, 0).await;
    let start = Instant::now();
    let mut toggles = 0u32;
    let mut worst_pong = Duration::ZERO;
    let mut dropped = false;
    let mut ping_id = 0;
    while !dropped {
        assert!(
            toggles < 5_000,
            "{toggles} toggles in {:?} and the stalled session is still in",
            start.elapsed()
        );
        for _ in 0..100 {
            toggles += 1;
            sender.mute(toggles % 2 == 1).await;
        }
        ping_id += 1;
        let sent = Instant::now();
        sender.ping(ping_id).await;
        loop {
            let frame = sender.next_within(WAIT).await.expect("echoes and a PONG");
            if let Some(entry) = departure(&frame, stalled_stream) {
                assert_eq!(entry.dropped, Some(true), "{entry:?}");
                dropped = true;
            }
            if let Some(pong) = frame.ping_pong {
                assert_eq!(pong.ping_id, Some(ping_id));
                worst_pong = worst_pong.max(sent.elapsed());
                break;
            }
        }
    }
    eprintln!(
        "the stalled session was dropped after {toggles} mute toggles, {:?}; slowest PONG {worst_pong:?}",
        start.elapsed()
    );
    assert!(worst_pong < Duration::from_secs(1), "{worst_pong:?}");
    let mut observer = watch.await.unwrap();

    // Reading again, it gets what was queued, then the close for a client that does not read;
    // or, when what was queued takes longer than the server gives its last frames (5 s through
    // this cramped connection), the connection is simply cut.
    let closed = stalled.closed().await;
    assert!(
        closed
            == Closed {
                audio_status: None,
                code: Some(4508)
            }
            || closed.code.is_none(),
        "{closed:?}"
    );

    // The others carry on.
    ping_pong(&mut observer, 1).await;
    sender.mute(true).await;
    let update = next_of(&mut observer, FrameType::AudioStreamIdInfo).await;
    assert_eq!(
        update.audio_stream_id_info.unwrap().streams[0].muted,
        Some(true)
    );
}

#[tokio::test]
async fn a_client_that_does_not_read_in_a_quiet_meeting_is_ended_all_the_same() {
    // No frames for the room to queue, so nothing fills the stalled session's queue: what ends
    // it is its send, waiting for as long as a client may stay silent (1 s here), then its
    // close, waiting for a bounded time. A server of its own: its session gauge is read.
    let server = Server::start(
        Options::in_memory()
            .arg("--session-idle-timeout-secs")
            .arg("1"),
    );
    let (meeting, [alice, bob]) = meeting_with(&server, ["alice", "bob"]).await;
    let mut observer = Client::join_audio(server.addr, &meeting, &bob).await;
    observer.presence().await;
    let (_stalled, stalled_stream) = join_and_stop_reading(&server, &meeting, &alice).await;
    observer.presence().await;
    assert_eq!(sessions(&server).await, 2.0);

    // The observer pings (it must not fall silent itself) until the stalled session is gone.
    let start = Instant::now();
    let mut seen = None;
    let mut ping_id = 0;
    while seen.is_none() || sessions(&server).await != 1.0 {
        assert!(
            start.elapsed() < Duration::from_secs(12),
            "the stalled session is still open after {:?}",
            start.elapsed()
        );
        ping_id += 1;
        observer.ping(ping_id).await;
        loop {
            let frame = observer.next_within(WAIT).await.expect("a PONG");
            if let Some(entry) = departure(&frame, stalled_stream) {
                seen = Some(entry);
            }
            if frame.ping_pong.is_some() {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    eprintln!("the stalled session was ended after {:?}", start.elapsed());
    assert_eq!(seen.unwrap().dropped, Some(true));
    ping_pong(&mut observer, 0).await;
}

/// Data messages of one sender, in one DATA_MESSAGE frame.
fn messages(count: usize) -> Vec<carillon_signaling::frames::SdkDataMessagePayload> {
    (0..count)
        .map(|i| data("flood", &i.to_string(), None))
        .collect()
}

#[tokio::test]
async fn an_attendee_over_its_hard_limit_is_hung_up() {
    let server = shared_server();
    let (meeting, [alice, bob]) = meeting_with(&server, ["alice", "bob"]).await;
    let id = meeting.meeting_id().unwrap();
    let mut flooder = Client::join_audio(server.addr, &meeting, &alice).await;
    flooder.presence().await;
    let mut other = Client::join_audio(server.addr, &meeting, &bob).await;
    let flooder_stream = stream_of(&other.presence().await, alice.attendee_id().unwrap());
    flooder.presence().await;

    // 2,100 in three frames: the attendee's burst of 2,000 passes (200 relayed, the rest
    // bounced by the meeting's soft limit), the 2,001st hangs up.
    for _ in 0..3 {
        flooder.send_data(messages(700)).await;
    }
    assert_eq!(
        flooder.closed().await,
        Closed {
            audio_status: None,
            code: Some(4429)
        }
    );

    // The other got the soft limit's burst, then the flooder's departure.
    let mut relayed = 0;
    loop {
        let frame = other
            .next_within(WAIT)
            .await
            .expect("data, then a departure");
        if let Some(data) = &frame.data_message {
            relayed += data.messages.len();
        }
        if let Some(entry) = departure(&frame, flooder_stream) {
            assert_eq!(entry.dropped, Some(true), "{entry:?}");
            break;
        }
    }
    assert!((200..=220).contains(&relayed), "{relayed} relayed");
    ping_pong(&mut other, 1).await;

    // Its limit is its own: the other still sends, once the meeting's soft limit has refilled
    // a little (100 a second).
    let carol = create_attendee(&server.client(), id, "carol").await;
    let mut third = Client::join(server.addr, &meeting, &carol).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    other
        .send_data(vec![data("chat", "still here", None)])
        .await;
    let got = third.expect(FrameType::DataMessage).await;
    let message = &got.data_message.unwrap().messages[0];
    assert_eq!(message.data.as_deref(), Some(&b"still here"[..]));
    assert_ne!(message.ingest_time_ns, Some(0), "not throttled");
}

#[tokio::test]
async fn a_meeting_over_its_hard_limit_hangs_up_whoever_goes_over() {
    let server = shared_server();
    let meeting = create_meeting(&server.client()).await;
    let id = meeting.meeting_id().unwrap();
    let mut senders = Vec::new();
    for i in 0..6 {
        let who = create_attendee(&server.client(), id, &format!("sender-{i}")).await;
        senders.push(Client::join(server.addr, &meeting, &who).await);
    }
    // Five attendees each within their own burst of 2,000 take 9,995 of the meeting's 10,000;
    // the sixth, within its own limit too, goes over the meeting's. Sessions run side by side,
    // so each sender waits for a PONG, which comes once its frame has been taken in.
    for (i, sender) in senders[..5].iter_mut().enumerate() {
        sender.send_data(messages(1999)).await;
        ping_pong(sender, i as u32).await;
    }
    let mut last = senders.pop().unwrap();
    last.send_data(messages(1999)).await;
    assert_eq!(
        last.closed().await,
        Closed {
            audio_status: None,
            code: Some(4429)
        }
    );
    for (i, sender) in senders.iter_mut().enumerate() {
        ping_pong(sender, 10 + i as u32).await;
    }
}

#[tokio::test]
async fn a_silent_client_is_closed_and_a_pinging_one_stays() {
    let server = Server::start(
        Options::in_memory()
            .arg("--session-idle-timeout-secs")
            .arg("1"),
    );
    let (meeting, [alice, bob]) = meeting_with(&server, ["alice", "bob"]).await;
    let id = meeting.meeting_id().unwrap();

    let mut pinger = Client::join_audio(server.addr, &meeting, &bob).await;
    pinger.presence().await;
    let mut silent = Client::join_audio(server.addr, &meeting, &alice).await;
    let silent_since = Instant::now();
    silent.presence().await;
    let silent_stream = stream_of(&pinger.presence().await, alice.attendee_id().unwrap());
    // Upgraded, never joined: silent too.
    let mut lurker = Client::open(server.addr, id, alice.join_token().unwrap()).await;
    let silent_closed = tokio::spawn(async move {
        let closed = silent.closed().await;
        (closed, silent_since.elapsed())
    });

    // Pings every 300 ms for 2.4 s, well past the timeout; the silent one's departure comes
    // among the PONGs.
    let mut seen = None;
    for ping_id in 1..=8 {
        pinger.ping(ping_id).await;
        loop {
            let frame = pinger.next_within(WAIT).await.expect("a PONG");
            if let Some(entry) = departure(&frame, silent_stream) {
                seen = Some(entry);
            }
            if frame.ping_pong.is_some() {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let (closed, after) = silent_closed.await.unwrap();
    assert_eq!(
        closed,
        Closed {
            audio_status: None,
            code: Some(4408)
        }
    );
    assert!(
        after >= Duration::from_millis(900) && after < Duration::from_secs(3),
        "closed after {after:?}"
    );
    let entry = seen.expect("the silent one's departure");
    assert_eq!(entry.dropped, Some(true), "{entry:?}");
    assert_eq!(lurker.closed().await.code, Some(4408));
    ping_pong(&mut pinger, 99).await;
}

/// The soft limit on open files of this process, from `/proc/self/limits`.
fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Opens a WebSocket with small buffers of its own (thousands are held at once).
async fn open_lean(server: SocketAddr, meeting_id: &str, token: &str) -> Client {
    let stream = TcpStream::connect(server).await.expect("connect");
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    Client::try_open_on(stream, Some(config), server, meeting_id, token)
        .await
        .expect("the upgrade is accepted")
}

#[tokio::test]
async fn thousands_of_idle_sessions_leave_the_server_responsive() {
    // Each socket takes a descriptor here and one in the server, which inherits this limit.
    const WANTED: usize = 2000;
    let count = match open_files_limit() {
        Some(limit) if limit < WANTED + 300 => {
            let fit = limit.saturating_sub(300) / 2 * 2;
            eprintln!("open files limited to {limit}: {fit} sockets instead of {WANTED}");
            fit
        }
        _ => WANTED,
    };
    let server = Server::start(Options::in_memory());
    let client = server.client();
    // Half of them joined, to five meetings of 200 attendees; the other half upgraded but not
    // yet joined (with the same tokens).
    let mut tokens = Vec::new();
    for m in 0..5 {
        let meeting = create_meeting(&client).await;
        let meeting_id = meeting.meeting_id().unwrap().to_owned();
        for batch in 0..2 {
            let out = client
                .batch_create_attendee()
                .meeting_id(&meeting_id)
                .set_attendees(Some(
                    (0..100)
                        .map(|i| item(&format!("user-{m}-{batch}-{i}")))
                        .collect(),
                ))
                .send()
                .await
                .expect("BatchCreateAttendee");
            for a in out.attendees() {
                tokens.push((meeting_id.clone(), a.join_token().unwrap().to_owned()));
            }
        }
    }
    let rss_before = server_rss_kib(&server);
    let start = Instant::now();
    let mut clients = Vec::with_capacity(count);
    let mut set = tokio::task::JoinSet::new();
    for i in 0..count {
        let (meeting_id, token) = tokens[(i / 2) % tokens.len()].clone();
        let addr = server.addr;
        set.spawn(async move {
            let mut c = open_lean(addr, &meeting_id, &token).await;
            if i % 2 == 0 {
                c.send_join().await;
                c.expect(FrameType::JoinAck).await;
                c.expect(FrameType::Index).await;
            }
            c
        });
        // At most a hundred handshakes at a time.
        if set.len() >= 100 {
            clients.push(set.join_next().await.unwrap().unwrap());
        }
    }
    while let Some(c) = set.join_next().await {
        clients.push(c.unwrap());
    }
    let opened_in = start.elapsed();
    assert_eq!(clients.len(), count);
    let text = metrics(&server).await;
    assert_eq!(sample(&text, "carillon_signaling_sessions"), count as f64);
    assert_eq!(
        sample(&text, "carillon_signaling_joins_total"),
        count.div_ceil(2) as f64
    );
    if let (Some(before), Some(after)) = (rss_before, server_rss_kib(&server)) {
        eprintln!(
            "{count} sessions opened in {opened_in:?}; server RSS {before} KiB → {after} KiB ({} KiB a session)",
            after.saturating_sub(before) / count as u64
        );
    }

    // Still answers the API and a new join promptly.
    let asked = Instant::now();
    let meeting = create_meeting(&client).await;
    let newcomer =
        create_attendee(&server.client(), meeting.meeting_id().unwrap(), "newcomer").await;
    let mut fresh = Client::join_audio(server.addr, &meeting, &newcomer).await;
    assert_eq!(fresh.presence().await.len(), 1);
    let answered = asked.elapsed();
    eprintln!("CreateMeeting, CreateAttendee and a join took {answered:?} beside them");
    assert!(answered < Duration::from_secs(2), "{answered:?}");
    ping_pong(&mut fresh, 1).await;

    // Gone with their connections.
    let closing = Instant::now();
    drop(clients);
    fresh.drop_connection().await;
    wait_for_sessions(&server, 0.0, Duration::from_secs(10)).await;
    eprintln!("all closed in {:?}", closing.elapsed());
}

/// The server's resident memory, from `/proc/<pid>/status`.
fn server_rss_kib(server: &Server) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid()?)).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test]
async fn sessions_over_the_cap_are_refused_at_the_upgrade() {
    let server = Server::start(Options::in_memory().arg("--max-sessions").arg("3"));
    let meeting = create_meeting(&server.client()).await;
    let id = meeting.meeting_id().unwrap();
    let mut clients = Vec::new();
    for user in ["user-a", "user-b", "user-c"] {
        let who = create_attendee(&server.client(), id, user).await;
        clients.push(Client::join(server.addr, &meeting, &who).await);
    }
    let dave = create_attendee(&server.client(), id, "user-d").await;
    let token = dave.join_token().unwrap();
    match Client::try_open(server.addr, id, token).await {
        Err(OpenError::Upgrade(tungstenite::Error::Http(response))) => {
            assert_eq!(response.status(), 503);
        }
        Err(e) => panic!("refused otherwise: {e}"),
        Ok(_) => panic!("a fourth session got in"),
    }
    let text = metrics(&server).await;
    assert_eq!(
        sample(
            &text,
            r#"carillon_signaling_refusals_total{reason="overloaded"}"#
        ),
        1.0
    );
    // The three carry on.
    for (i, c) in clients.iter_mut().enumerate() {
        ping_pong(c, i as u32).await;
    }

    // One goes; then there is room again.
    clients.pop().unwrap().drop_connection().await;
    wait_for_sessions(&server, 2.0, WAIT).await;
    let mut fourth = join_as(server.addr, id, token, dave.attendee_id().unwrap()).await;
    ping_pong(&mut fourth, 1).await;
}

#[tokio::test]
async fn content_shares_join_as_their_own_attendee_up_to_two() {
    let server = shared_server();
    let client = server.client();
    let meeting = create_meeting(&client).await;
    let id = meeting.meeting_id().unwrap();
    let alice = create_attendee(&server.client(), id, "alice-user").await;
    let bob = create_attendee(&server.client(), id, "bob-user").await;
    let carol = create_attendee(&server.client(), id, "carol-user").await;
    let dave = client
        .create_attendee()
        .meeting_id(id)
        .external_user_id("dave-user")
        .capabilities(caps(
            MediaCapabilities::SendReceive,
            MediaCapabilities::SendReceive,
            MediaCapabilities::Receive,
        ))
        .send()
        .await
        .expect("CreateAttendee with content Receive")
        .attendee
        .unwrap();
    let mut a = Client::join_audio(server.addr, &meeting, &alice).await;
    a.presence().await;

    let share = |who: &Attendee| {
        (
            format!("{}#content", who.join_token().unwrap()),
            format!("{}#content", who.attendee_id().unwrap()),
        )
    };
    let mut shares = Vec::new();
    for (who, user) in [(&alice, "alice-user"), (&bob, "bob-user")] {
        let (token, as_id) = share(who);
        let mut s = join_as(server.addr, id, &token, &as_id).await;
        s.subscribe().await;
        let roster = s.presence().await;
        let own = roster
            .iter()
            .find(|e| e.attendee_id.as_deref() == Some(as_id.as_str()))
            .unwrap_or_else(|| panic!("{as_id} not in {roster:?}"));
        assert_eq!(
            own.external_user_id.as_deref(),
            Some(format!("{user}#content").as_str())
        );
        // The attendee's own session sees the share arrive under the same names.
        let news = a.presence().await;
        assert_eq!(news[0].attendee_id.as_deref(), Some(as_id.as_str()));
        assert_eq!(
            news[0].external_user_id.as_deref(),
            Some(format!("{user}#content").as_str())
        );
        shares.push(s);
    }

    // A third share at once: at capacity.
    let (carol_token, carol_share) = share(&carol);
    let mut third = Client::open(server.addr, id, &carol_token).await;
    third.send_join().await;
    assert_eq!(
        third.closed().await,
        Closed {
            audio_status: Some(409),
            code: Some(4409)
        }
    );
    // Once one stops, it gets in.
    leave(&mut shares[0]).await;
    shares.remove(0);
    a.presence().await;
    let mut third = join_as(server.addr, id, &carol_token, &carol_share).await;
    third.subscribe().await;
    third.presence().await;

    // An attendee that may only receive content may not share it, but joins as itself.
    let (dave_token, _) = share(&dave);
    let mut refused = Client::open(server.addr, id, &dave_token).await;
    refused.send_join().await;
    assert_eq!(
        refused.closed().await,
        Closed {
            audio_status: Some(403),
            code: Some(4403)
        }
    );
    let mut d = Client::join(server.addr, &meeting, &dave).await;
    ping_pong(&mut d, 1).await;
    ping_pong(&mut a, 2).await;
}

/// Joins and subscribes; returns the roster the joiner got (the first presence after its
/// SUBSCRIBE_ACK that has itself) and the attendees it heard of besides (others joining at the
/// same time), as attendee ids.
async fn join_audio_seeing(
    server: SocketAddr,
    meeting: &Meeting,
    who: &Attendee,
) -> (Client, HashSet<String>, HashSet<String>) {
    let mut c = Client::join(server, meeting, who).await;
    c.send_subscribe(OFFER).await;
    let mut early = HashSet::new();
    let mut answered = false;
    loop {
        let frame = c
            .next_within(WAIT)
            .await
            .expect("SUBSCRIBE_ACK, then the roster");
        if frame.kind() == Some(FrameType::SubscribeAck) {
            answered = true;
            continue;
        }
        let Some(info) = frame.audio_stream_id_info else {
            panic!("unexpected {frame:?}");
        };
        let ids: HashSet<String> = info
            .streams
            .into_iter()
            .filter_map(|e| e.attendee_id)
            .collect();
        if answered && ids.contains(&c.attendee_id) {
            return (c, ids, early);
        }
        early.extend(ids);
    }
}

#[tokio::test]
async fn a_full_meeting_of_250_sees_everyone() {
    let server = shared_server();
    let client = server.client();
    let meeting = create_meeting(&client).await;
    let id = meeting.meeting_id().unwrap().to_owned();
    let mut attendees = Vec::new();
    for (batch, size) in [100, 100, 50].into_iter().enumerate() {
        let out = client
            .batch_create_attendee()
            .meeting_id(&id)
            .set_attendees(Some(
                (0..size)
                    .map(|i| item(&format!("full-{batch}-{i}")))
                    .collect(),
            ))
            .send()
            .await
            .expect("BatchCreateAttendee");
        assert!(out.errors().is_empty(), "{:?}", out.errors());
        attendees.extend(out.attendees().iter().cloned());
    }
    assert_eq!(attendees.len(), 250);
    // The API stops at 250, so no meeting has more sessions (content shares aside).
    let over = client
        .create_attendee()
        .meeting_id(&id)
        .external_user_id("one-too-many")
        .send()
        .await;
    assert!(over.is_err(), "a 251st attendee: {over:?}");

    // Ten at a time: the roster each of a group gets has itself and everyone who joined before
    // the group started; the last one, alone, gets all 250.
    let start = Instant::now();
    let all: HashSet<String> = attendees
        .iter()
        .map(|a| a.attendee_id().unwrap().to_owned())
        .collect();
    let mut joined: Vec<(Client, HashSet<String>)> = Vec::new();
    let (last, rest) = attendees.split_last().unwrap();
    for group in rest.chunks(10) {
        let before: HashSet<String> = joined.iter().map(|(c, _)| c.attendee_id.clone()).collect();
        let mut set = tokio::task::JoinSet::new();
        for who in group {
            let (addr, meeting, who) = (server.addr, meeting.clone(), who.clone());
            set.spawn(async move { join_audio_seeing(addr, &meeting, &who).await });
        }
        while let Some(done) = set.join_next().await {
            let (c, roster, early) = done.unwrap();
            assert!(roster.contains(&c.attendee_id), "the roster has the joiner");
            assert!(
                roster.is_superset(&before),
                "the roster misses earlier joiners"
            );
            joined.push((c, &roster | &early));
        }
    }
    let (_last, roster, early) = join_audio_seeing(server.addr, &meeting, last).await;
    assert_eq!(roster, all);
    assert!(early.is_empty(), "{early:?}");
    eprintln!("250 joined in {:?}", start.elapsed());

    // Every earlier joiner hears of every later one: no presence is lost.
    for (c, seen) in &mut joined {
        while seen.len() < 250 {
            let update = c.presence().await;
            seen.extend(update.into_iter().filter_map(|e| e.attendee_id));
        }
        assert_eq!(*seen, all);
    }
    eprintln!("and all saw everyone after {:?}", start.elapsed());
}

#[tokio::test]
async fn logs_name_attendees_but_never_their_tokens() {
    let server = Server::start(Options::in_memory().env("RUST_LOG", "info"));
    let meeting = create_meeting(&server.client()).await;
    let other = create_meeting(&server.client()).await;
    let id = meeting.meeting_id().unwrap();
    let alice = create_attendee(&server.client(), id, "alice-user").await;
    let alice_id = alice.attendee_id().unwrap();
    let token = alice.join_token().unwrap();

    // Join and leave; join and drop; share content; be refused elsewhere and with a forged
    // secret.
    let mut a = Client::join_audio(server.addr, &meeting, &alice).await;
    a.presence().await;
    a.leave().await;
    a.drop_connection().await;
    let a = Client::join_audio(server.addr, &meeting, &alice).await;
    let content_token = format!("{token}#content");
    let mut share = join_as(
        server.addr,
        id,
        &content_token,
        &format!("{alice_id}#content"),
    )
    .await;
    share.leave().await;
    a.drop_connection().await;
    let mut elsewhere = Client::open(server.addr, other.meeting_id().unwrap(), token).await;
    elsewhere.send_join().await;
    assert_eq!(elsewhere.closed().await.code, Some(4403));
    use base64::Engine;
    let forged = base64::engine::general_purpose::STANDARD_NO_PAD
        .encode(format!("{alice_id}:11111111-2222-4333-8444-555555555555"));
    let mut forger = Client::open(server.addr, id, &forged).await;
    forger.send_join().await;
    assert_eq!(forger.closed().await.code, Some(4403));

    // The lines come: joined, left, ended (the drop), refused.
    let deadline = Instant::now() + WAIT;
    let log = loop {
        let log = server.stderr();
        let ended = log
            .lines()
            .filter(|l| l.contains("attendee session ended") && l.contains(alice_id))
            .count();
        if ended >= 1 && log.matches("join refused").count() >= 2 {
            break log;
        }
        assert!(Instant::now() < deadline, "missing log lines:\n{log}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for line in ["attendee joined", "attendee left"] {
        assert!(
            log.lines()
                .any(|l| l.contains(line) && l.contains(alice_id)),
            "no {line:?} line naming {alice_id}:\n{log}"
        );
    }
    assert!(log.contains(&format!("{alice_id}#content")), "{log}");

    let raw = base64_decode(token).expect("base64");
    let secret = String::from_utf8(raw)
        .unwrap()
        .split_once(':')
        .unwrap()
        .1
        .to_owned();
    let half = token.len() / 2;
    for (what, text) in [
        ("the token", token),
        ("its first half", &token[..half]),
        ("its second half", &token[half..]),
        ("its secret", secret.as_str()),
        ("the forged token", forged.as_str()),
    ] {
        assert!(!log.contains(text), "the log shows {what}:\n{log}");
    }
}

#[tokio::test]
async fn metrics_count_sessions_frames_and_joins() {
    let server = Server::start(Options::in_memory());
    let (meeting, [alice, bob]) = meeting_with(&server, ["alice", "bob"]).await;
    let id = meeting.meeting_id().unwrap();
    let mut a = Client::join_audio(server.addr, &meeting, &alice).await;
    a.presence().await;
    let mut b = Client::join(server.addr, &meeting, &bob).await;
    a.mute(true).await;
    a.presence().await;
    a.send_data(vec![data("chat", "hi", None)]).await;
    next_of(&mut b, FrameType::DataMessage).await;
    ping_pong(&mut a, 1).await;
    assert_eq!(sessions(&server).await, 2.0);
    a.leave().await;
    a.drop_connection().await;
    b.drop_connection().await;
    let mut refused = Client::open(server.addr, id, "bm90LWEtdG9rZW4").await;
    refused.send_join().await;
    assert_eq!(refused.closed().await.code, Some(4403));
    wait_for_sessions(&server, 0.0, WAIT).await;

    let text = metrics(&server).await;
    let frames = |kind: &str| {
        sample(
            &text,
            &format!(r#"carillon_signaling_frames_received_total{{type="{kind}"}}"#),
        )
    };
    assert_eq!(frames("JOIN"), 2.0, "{text}");
    assert_eq!(frames("SUBSCRIBE"), 1.0, "{text}");
    assert_eq!(frames("AUDIO_CONTROL"), 1.0, "{text}");
    assert_eq!(frames("DATA_MESSAGE"), 1.0, "{text}");
    assert_eq!(frames("PING_PONG"), 1.0, "{text}");
    assert_eq!(frames("LEAVE"), 1.0, "{text}");
    assert_eq!(sample(&text, "carillon_signaling_joins_total"), 2.0);
    let departures = |how: &str| {
        sample(
            &text,
            &format!(r#"carillon_signaling_departures_total{{how="{how}"}}"#),
        )
    };
    assert_eq!(departures("left"), 1.0, "{text}");
    assert_eq!(departures("dropped"), 1.0, "{text}");
    assert_eq!(
        sample(
            &text,
            r#"carillon_signaling_refusals_total{reason="authentication"}"#
        ),
        1.0,
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"carillon_signaling_data_messages_total{result="relayed"}"#
        ),
        1.0,
        "{text}"
    );
}
