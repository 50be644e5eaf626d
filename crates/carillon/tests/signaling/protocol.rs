use std::time::Duration;

use carillon_signaling::frames::FrameType;

use carillon_testkit::signaling::*;
use carillon_testkit::*;

#[tokio::test]
async fn presence_is_sent_by_the_sdks_rules() {
    let server = shared_server();
    let (meeting, [alice, bob]) = meeting_with(&server, ["alice-user", "bob-user"]).await;

    let mut a = Client::join_audio(server.addr, &meeting, &alice).await;
    // The joiner's roster includes itself.
    let roster = a.presence().await;
    assert_eq!(roster.len(), 1);
    assert_eq!(roster[0].attendee_id.as_deref(), alice.attendee_id());
    assert_eq!(roster[0].external_user_id.as_deref(), Some("alice-user"));
    let alice_stream = roster[0].audio_stream_id.unwrap();
    assert!(alice_stream > 0);

    let mut b = Client::join_audio(server.addr, &meeting, &bob).await;
    let roster = b.presence().await;
    let ids: Vec<_> = roster
        .iter()
        .map(|s| s.attendee_id.clone().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&alice.attendee_id().unwrap().to_owned()));
    assert!(ids.contains(&bob.attendee_id().unwrap().to_owned()));
    let bob_stream = roster
        .iter()
        .find(|s| s.attendee_id.as_deref() == bob.attendee_id())
        .unwrap()
        .audio_stream_id
        .unwrap();
    assert!(bob_stream > alice_stream, "stream ids increase");
    // Alice hears of Bob.
    let news = a.presence().await;
    assert_eq!(news.len(), 1);
    assert_eq!(news[0].attendee_id.as_deref(), bob.attendee_id());

    // Mute reaches everyone, the sender too.
    b.mute(true).await;
    for client in [&mut a, &mut b] {
        let update = client.presence().await;
        assert_eq!(update[0].audio_stream_id, Some(bob_stream));
        assert_eq!(update[0].muted, Some(true));
        assert_eq!(update[0].attendee_id, None);
    }

    // PING → PONG with the same id.
    a.ping(77).await;
    let pong = a.expect(FrameType::PingPong).await.ping_pong.unwrap();
    assert_eq!((pong.r#type, pong.ping_id), (Some(2), Some(77)));

    // LEAVE → LEAVE_ACK, and the others see the stream go, not dropped.
    b.leave().await;
    let gone = a.presence().await;
    assert_eq!(gone[0].audio_stream_id, Some(bob_stream));
    assert_eq!((gone[0].attendee_id.clone(), gone[0].dropped), (None, None));

    // A rejoin gets a new, higher stream id; a closed connection is a drop.
    let b = Client::join_audio(server.addr, &meeting, &bob).await;
    let back = a.presence().await;
    assert!(back[0].audio_stream_id.unwrap() > bob_stream);
    b.drop_connection().await;
    let dropped = a.presence().await;
    assert_eq!(dropped[0].dropped, Some(true));
}

#[tokio::test]
async fn data_messages_are_relayed_to_the_others_only() {
    let server = shared_server();
    let (meeting, [alice, bob]) = meeting_with(&server, ["alice-user", "bob-user"]).await;
    let id = meeting.meeting_id().unwrap();
    let mut a = Client::join(server.addr, &meeting, &alice).await;
    let mut b = Client::join(server.addr, &meeting, &bob).await;

    let mut forged = data("chat", "hello", None);
    forged.sender_attendee_id = Some("someone-else".into());
    a.send_data(vec![forged, data("chat", "again", Some(60_000))])
        .await;
    let mut last = 0;
    for text in ["hello", "again"] {
        let message = b
            .expect(FrameType::DataMessage)
            .await
            .data_message
            .unwrap()
            .messages;
        assert_eq!(message.len(), 1);
        let m = &message[0];
        assert_eq!(m.data.as_deref(), Some(text.as_bytes()));
        assert_eq!(m.sender_attendee_id.as_deref(), alice.attendee_id());
        assert_eq!(m.sender_external_user_id.as_deref(), Some("alice-user"));
        let at = m.ingest_time_ns.unwrap();
        assert!(at > last, "ingest times increase");
        last = at;
    }
    // Never echoed.
    a.expect_silence(Duration::from_millis(300)).await;

    // A bad topic or too much data comes back to the sender, marked throttled.
    a.send_data(vec![
        data("bad topic", "x", None),
        data("chat", &"x".repeat(2049), None),
    ])
    .await;
    let bounced = a
        .expect(FrameType::DataMessage)
        .await
        .data_message
        .unwrap()
        .messages;
    assert_eq!(bounced.len(), 2);
    assert!(bounced.iter().all(|m| m.ingest_time_ns == Some(0)));
    b.expect_silence(Duration::from_millis(300)).await;

    // A late joiner gets the messages that have a lifetime.
    let carol = create_attendee(&server.client(), id, "carol-user").await;
    let mut c = Client::join(server.addr, &meeting, &carol).await;
    let replayed = c
        .expect(FrameType::DataMessage)
        .await
        .data_message
        .unwrap()
        .messages;
    assert_eq!(replayed[0].data.as_deref(), Some(&b"again"[..]));
    c.expect_silence(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn data_messages_over_the_soft_limit_are_throttled() {
    let server = shared_server();
    let (meeting, [alice, bob]) = meeting_with(&server, ["alice-user", "bob-user"]).await;
    let mut a = Client::join(server.addr, &meeting, &alice).await;
    let mut b = Client::join(server.addr, &meeting, &bob).await;
    // 300 at once: the burst of 200 passes, the rest comes back throttled.
    a.send_data((0..300).map(|i| data("t", &i.to_string(), None)).collect())
        .await;
    let mut relayed = 0;
    while relayed < 200 {
        b.expect(FrameType::DataMessage).await;
        relayed += 1;
    }
    let bounced = a
        .expect(FrameType::DataMessage)
        .await
        .data_message
        .unwrap()
        .messages;
    assert!(bounced.len() >= 90, "{}", bounced.len());
    assert!(bounced.iter().all(|m| m.ingest_time_ns == Some(0)));
}

#[tokio::test]
async fn the_control_plane_ends_sessions() {
    let server = shared_server();
    let client = server.client();
    let meeting = create_meeting(&client).await;
    let id = meeting.meeting_id().unwrap();
    let alice = create_attendee(&server.client(), id, "alice-user").await;
    let bob = create_attendee(&server.client(), id, "bob-user").await;
    let mut a = Client::join_audio(server.addr, &meeting, &alice).await;
    a.presence().await;
    let mut b = Client::join_audio(server.addr, &meeting, &bob).await;
    b.presence().await;
    a.presence().await;

    client
        .delete_attendee()
        .meeting_id(id)
        .attendee_id(bob.attendee_id().unwrap())
        .send()
        .await
        .expect("DeleteAttendee");
    assert_eq!(
        b.closed().await,
        Closed {
            audio_status: Some(411),
            code: Some(4411)
        }
    );
    let gone = a.presence().await;
    assert_eq!(gone[0].attendee_id, None);
    // Its token no longer gets in.
    let mut again = Client::open(server.addr, id, bob.join_token().unwrap()).await;
    again.send_join().await;
    assert_eq!(again.closed().await.code, Some(4403));

    client
        .delete_meeting()
        .meeting_id(id)
        .send()
        .await
        .expect("DeleteMeeting");
    assert_eq!(
        a.closed().await,
        Closed {
            audio_status: Some(410),
            code: Some(4410)
        }
    );
    // Joining an ended meeting closes with 4410 during the join.
    let mut late = Client::open(server.addr, id, alice.join_token().unwrap()).await;
    late.send_join().await;
    assert_eq!(
        late.closed().await,
        Closed {
            audio_status: None,
            code: Some(4410)
        }
    );
}

#[tokio::test]
async fn a_second_connection_replaces_the_first() {
    let server = shared_server();
    let (meeting, [alice, bob]) = meeting_with(&server, ["alice-user", "bob-user"]).await;
    let mut b = Client::join_audio(server.addr, &meeting, &bob).await;
    b.presence().await;
    let mut first = Client::join_audio(server.addr, &meeting, &alice).await;
    first.presence().await;
    let old = b.presence().await[0].audio_stream_id.unwrap();

    let mut second = Client::join(server.addr, &meeting, &alice).await;
    assert_eq!(
        first.closed().await,
        Closed {
            audio_status: Some(301),
            code: Some(4301)
        }
    );
    second.subscribe().await;
    // The newcomer first, then the old stream's departure, in one frame.
    let update = b.presence().await;
    assert_eq!(update.len(), 2, "{update:?}");
    assert_eq!(update[0].attendee_id.as_deref(), alice.attendee_id());
    assert!(update[0].audio_stream_id.unwrap() > old);
    assert_eq!(
        (update[1].audio_stream_id, update[1].attendee_id.clone()),
        (Some(old), None)
    );
}

#[tokio::test]
async fn forged_and_misplaced_tokens_are_refused() {
    let server = shared_server();
    let meeting = create_meeting(&server.client()).await;
    let other = create_meeting(&server.client()).await;
    let id = meeting.meeting_id().unwrap();
    let alice = create_attendee(&server.client(), id, "alice-user").await;
    let token = alice.join_token().unwrap();
    // The right attendee with a wrong secret; a token that is not one; another meeting's path.
    let forged = carillon_core_token(alice.attendee_id().unwrap());
    for (meeting_id, token, code) in [
        (id, forged.as_str(), 4403),
        (id, "bm90LWEtdG9rZW4", 4403),
        (other.meeting_id().unwrap(), token, 4403),
        (unknown_guid().as_str(), token, 4410),
    ] {
        let mut client = Client::open(server.addr, meeting_id, token).await;
        client.send_join().await;
        let closed = client.closed().await;
        assert_eq!(closed.code, Some(code), "{meeting_id} {token}");
    }
    // Without the SDK's subprotocols there is no upgrade at all.
    let refused = Client::try_open(server.addr, id, "").await;
    assert!(refused.is_err());
}

/// A token of the server's shape for this attendee, with a secret of our own.
fn carillon_core_token(attendee_id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(format!(
        "{attendee_id}:00000000-0000-4000-8000-000000000000"
    ))
}

#[tokio::test]
async fn bad_input_closes_with_a_clear_code() {
    let server = shared_server();
    let (meeting, [alice]) = meeting_with(&server, ["alice-user"]).await;
    let id = meeting.meeting_id().unwrap();
    let token = alice.join_token().unwrap();

    // The SDK pings as soon as the socket opens, before JOIN: answered. Any other frame before
    // JOIN is not the protocol.
    let mut c = Client::open(server.addr, id, token).await;
    c.ping(1).await;
    assert_eq!(
        c.expect(FrameType::PingPong)
            .await
            .ping_pong
            .unwrap()
            .ping_id,
        Some(1)
    );
    c.mute(true).await;
    assert_eq!(c.closed().await.code, Some(4400));
    // Not a frame at all.
    let mut c = Client::open(server.addr, id, token).await;
    c.send_raw(vec![0x05, 0xff, 0xff]).await;
    assert_eq!(c.closed().await.code, Some(4400));
    // Too big.
    let mut c = Client::open(server.addr, id, token).await;
    c.send_raw(vec![0x05; 300 * 1024]).await;
    let closed = c.closed().await;
    assert_ne!(closed.code, None::<u16>.or(Some(1000)));

    // An unknown frame type is answered with an error frame; the session goes on.
    let mut c = Client::join(server.addr, &meeting, &alice).await;
    c.send_raw(vec![0x05, 0x08, 0x01, 0x10, 99]).await;
    let error = c.next_within(WAIT).await.expect("an error frame");
    assert_eq!(error.error.unwrap().status, Some(400));
    c.ping(5).await;
    assert_eq!(
        c.expect(FrameType::PingPong)
            .await
            .ping_pong
            .unwrap()
            .ping_id,
        Some(5)
    );
}

#[tokio::test]
async fn meetings_of_the_legacy_api_are_joined_the_same_way() {
    let server = shared_server();
    let created = server
        .legacy_signed(
            "POST",
            "/meetings?operation=create-attendees",
            &serde_json::json!({
                "ClientRequestToken": unique("legacy"),
                "Attendees": [{"ExternalUserId": "legacy-alice"}, {"ExternalUserId": "legacy-bob"}]
            })
            .to_string(),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let body = created.json();
    let meeting_id = body["Meeting"]["MeetingId"].as_str().unwrap();
    let attendees = body["Attendees"].as_array().unwrap();
    let signaling = body["Meeting"]["MediaPlacement"]["SignalingUrl"]
        .as_str()
        .unwrap();
    assert_eq!(
        signaling,
        format!("ws://{}/control/{meeting_id}", server.addr)
    );
    let mut clients = Vec::new();
    for a in attendees {
        let mut c = Client::open(server.addr, meeting_id, a["JoinToken"].as_str().unwrap()).await;
        c.send_join().await;
        c.expect(FrameType::JoinAck).await;
        c.expect(FrameType::Index).await;
        c.subscribe().await;
        clients.push(c);
    }
    let roster = clients[1].presence().await;
    assert_eq!(roster.len(), 2);
}

#[tokio::test]
async fn client_events_answer_any_origin_and_need_a_join_token() {
    let server = shared_server();
    let preflight = send_http(
        server.addr,
        &RawRequest::new("OPTIONS", "/v1/client-events"),
    )
    .await;
    assert_eq!(preflight.status, 204);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    let allowed = preflight
        .header("access-control-allow-headers")
        .unwrap_or_default();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"));
    // Without a JoinToken: refused, in a form the page can read (CORS) and the SDK parses.
    let batch = send_http(
        server.addr,
        &RawRequest::new("POST", "/v1/client-events")
            .json_body(r#"{"metadata":{"meetingId":"x"},"events":[]}"#),
    )
    .await;
    assert_eq!(batch.status, 401);
    assert_eq!(batch.header("access-control-allow-origin"), Some("*"));
    assert!(batch.json()["message"].is_string());
}

#[tokio::test]
async fn join_ack_carries_turn_credentials_when_turn_is_configured() {
    let mut options = Options::in_memory();
    options.args.extend(
        [
            "--turn-uri",
            "turn:turn.example.com:3478?transport=udp,turns:turn.example.com:443?transport=tcp",
            "--turn-secret",
            "north",
            "--turn-ttl",
            "1h",
        ]
        .map(String::from),
    );
    let server = Server::start(options);
    let (meeting, [alice]) = meeting_with(&server, ["alice-user"]).await;
    let mut client = Client::open(
        server.addr,
        meeting.meeting_id().unwrap(),
        alice.join_token().unwrap(),
    )
    .await;
    client.send_join().await;
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let ack = client.expect(FrameType::JoinAck).await;
    let turn = ack
        .joinack
        .unwrap()
        .turn_credentials
        .expect("TURN credentials");
    assert_eq!(
        turn.uris,
        [
            "turn:turn.example.com:3478?transport=udp",
            "turns:turn.example.com:443?transport=tcp"
        ]
    );
    assert_eq!(turn.ttl, Some(3600));
    // `<expiry>:<attendee id>`, and the password coturn derives from it with the secret.
    let username = turn.username.unwrap();
    let (expiry, attendee) = username.split_once(':').unwrap();
    assert_eq!(Some(attendee), alice.attendee_id());
    let expiry: u64 = expiry.parse().unwrap();
    assert!(
        (before + 3600..=before + 3602).contains(&expiry),
        "{expiry}"
    );
    let expected = carillon_signaling::turn::TurnConfig {
        uris: Vec::new(),
        secret: "north".into(),
        ttl_secs: 3600,
    }
    .credentials(attendee, expiry - 3600);
    assert_eq!(turn.password, expected.password);

    // Without the flags, none (the SDK then uses host candidates only).
    let server = shared_server();
    let (meeting, [bob]) = meeting_with(&server, ["bob-user"]).await;
    let mut client = Client::open(
        server.addr,
        meeting.meeting_id().unwrap(),
        bob.join_token().unwrap(),
    )
    .await;
    client.send_join().await;
    let ack = client.expect(FrameType::JoinAck).await;
    assert_eq!(ack.joinack.unwrap().turn_credentials, None);
}
