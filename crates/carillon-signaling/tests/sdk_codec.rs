//! Our frame codec against the Amazon Chime SDK for JavaScript's own: the protobufjs module the
//! SDK ships (`build/signalingprotocol/SignalingProtocol.js`), driven through
//! `tests/browser/codec.mjs`. Every frame the server sends is encoded here and must decode in
//! the SDK to what we meant; every frame the SDK sends is encoded by the SDK and must decode
//! here with the fields the server reads.
//!
//! It needs `node` and `npm --prefix tests/browser ci`. Without them the tests say so and pass,
//! except in CI (`CI=true`), where they fail.

#![allow(clippy::unwrap_used)] // Helpers of tests unwrap as tests do.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use carillon_signaling::data::IngestClock;
use carillon_signaling::frames::{
    self, FrameType, PingPongType, SdkAudioAttendeeState, SdkAudioMetadataFrame,
    SdkAudioStatusFrame, SdkAudioStreamIdInfo, SdkAudioStreamIdInfoFrame, SdkDataMessageFrame,
    SdkDataMessagePayload, SdkErrorFrame, SdkIndexFrame, SdkJoinAckFrame, SdkLeaveAckFrame,
    SdkPingPongFrame, SdkSignalFrame, SdkStreamAllocation, SdkStreamDescriptor,
    SdkSubscribeAckFrame, SdkTrackMapping, SdkTurnCredentials, ServerSideNetworkAdaption,
    StreamMediaType, StreamServiceType,
};
use carillon_signaling::sdp::{self, AnswerParams, Direction};
use serde_json::{json, Value};

/// A clock reading past 2^32 ms, so that a 64-bit field is really exercised.
const TIMESTAMP_MS: u64 = 1_796_000_000_123;

/// A time in nanoseconds of the same day that a JavaScript number holds exactly (a multiple of
/// 256 ns). The SDK's protobufjs reads 64-bit fields as numbers when it finds no long.js, as
/// here, so a time of arbitrary nanoseconds would come out rounded; what that rounding does to
/// the server's stamps is checked by `ingest_times_stay_apart_as_the_sdk_reads_them`.
const INGEST_TIME_NS: i64 = 1_796_000_000_123_456_768;

/// A 64-bit value with bits set in both halves that a JavaScript number holds exactly.
const AUDIO_SESSION_ID: u64 = 0x0012_3456_789a_bcde;

/// The directory of the browser tests, which holds `codec.mjs` and its `node_modules`.
fn browser_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser")
}

/// Whether the SDK's codec can be run; when it cannot, says so loudly, or fails in CI.
fn sdk_codec_available() -> bool {
    let dir = browser_dir();
    let module = dir.join("node_modules/amazon-chime-sdk-js/build/signalingprotocol");
    let node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    let missing = if !node {
        "`node` is not on the PATH"
    } else if !module.is_dir() {
        "tests/browser/node_modules is not installed (npm --prefix tests/browser ci)"
    } else {
        return true;
    };
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("the SDK's codec cannot run in CI: {missing}");
    }
    // Straight to the process's standard error: the harness would hold back an `eprintln!` of
    // a passing test, and a skip must be seen.
    let rule = "=".repeat(78);
    let _ = writeln!(
        std::io::stderr(),
        "{rule}\nSKIPPED: the cross-check against the Chime SDK's codec: {missing}\n{rule}"
    );
    false
}

/// Runs `node codec.mjs <mode>` on `lines`; one output line per input line.
fn sdk_codec(mode: &str, lines: &[String]) -> Vec<String> {
    let dir = browser_dir();
    let mut child = Command::new("node")
        .arg(dir.join("codec.mjs"))
        .arg(mode)
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node starts");
    let mut input = lines.join("\n");
    input.push('\n');
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // Written from a thread: the output is read at the same time, so neither pipe fills up.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("node runs");
    writer.join().unwrap().expect("node reads its input");
    assert!(
        output.status.success(),
        "codec.mjs {mode} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let out: Vec<String> = String::from_utf8(output.stdout)
        .expect("UTF-8")
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(out.len(), lines.len(), "one line out per line in: {out:?}");
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex: {text}");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap_or_else(|_| panic!("{text}")))
        .collect()
}

fn frame(kind: FrameType) -> SdkSignalFrame {
    SdkSignalFrame::new(kind, TIMESTAMP_MS)
}

/// The SDP answer the server gives Chrome's usual offer.
fn answer() -> String {
    let offer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendrecv\r\n\
        a=rtpmap:111 opus/48000/2\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n\
        a=mid:1\r\na=inactive\r\na=rtpmap:96 VP8/90000\r\n";
    let candidate: SocketAddr = "127.0.0.1:3478".parse().unwrap();
    let params = AnswerParams {
        ice_ufrag: "srvufrag",
        ice_pwd: "serverpasswordserverpass",
        candidate,
        fingerprint: "AB:CD",
        audio_direction: Direction::SendRecv,
        audio_ssrc: 4_000_000_001,
        stream_label: "carillon-stream",
        track_label: "carillon-audio",
        session_id: 1,
        version: 2,
    };
    sdp::answer(offer, &params).expect("an answer").sdp
}

/// Every kind of frame the server sends, and what the SDK must read in it.
fn server_frames() -> Vec<(SdkSignalFrame, Value)> {
    let ts = TIMESTAMP_MS.to_string();
    let mut cases = Vec::new();

    // JOIN_ACK as the server sends it, then with every field.
    let mut f = frame(FrameType::JoinAck);
    f.joinack = Some(SdkJoinAckFrame {
        turn_credentials: None,
        video_subscription_limit: None,
        wants_compressed_sdp: Some(false),
        default_server_side_network_adaption: None,
    });
    cases.push((
        f,
        json!({"timestampMs": ts, "type": "JOIN_ACK", "joinack": {"wantsCompressedSdp": false}}),
    ));
    let mut f = frame(FrameType::JoinAck);
    f.joinack = Some(SdkJoinAckFrame {
        turn_credentials: Some(SdkTurnCredentials {
            username: Some("1796000000:attendee".into()),
            password: Some("secret".into()),
            ttl: Some(86_400),
            uris: vec![
                "turn:127.0.0.1:3478?transport=udp".into(),
                "turns:example.com:443?transport=tcp".into(),
            ],
        }),
        video_subscription_limit: Some(25),
        wants_compressed_sdp: Some(false),
        default_server_side_network_adaption: Some(
            ServerSideNetworkAdaption::BandwidthProbingAndVideoQualityAdaption as i32,
        ),
    });
    cases.push((
        f,
        json!({"timestampMs": ts, "type": "JOIN_ACK", "joinack": {
            "turnCredentials": {
                "username": "1796000000:attendee",
                "password": "secret",
                "ttl": 86400,
                "uris": ["turn:127.0.0.1:3478?transport=udp", "turns:example.com:443?transport=tcp"],
            },
            "videoSubscriptionLimit": 25,
            "wantsCompressedSdp": false,
            "defaultServerSideNetworkAdaption": "BANDWIDTH_PROBING_AND_VIDEO_QUALITY_ADAPTION",
        }}),
    ));

    // INDEX as the server sends it (no video sources yet), then with a source.
    let mut f = frame(FrameType::Index);
    f.index = Some(SdkIndexFrame {
        at_capacity: Some(false),
        sources: Vec::new(),
        paused_at_source_ids: Vec::new(),
        num_participants: None,
    });
    cases.push((
        f,
        json!({"timestampMs": ts, "type": "INDEX", "index": {"atCapacity": false}}),
    ));
    let mut f = frame(FrameType::Index);
    f.index = Some(SdkIndexFrame {
        at_capacity: Some(true),
        sources: vec![SdkStreamDescriptor {
            stream_id: Some(7),
            framerate: Some(15),
            max_bitrate_kbps: Some(1400),
            track_label: Some("b18ba5e0-video".into()),
            group_id: Some(3),
            avg_bitrate_bps: Some(900_000),
            attendee_id: Some("3ac49552-1184-a866-2dd6-27f0d63a2f26".into()),
            media_type: Some(StreamMediaType::Video as i32),
            external_user_id: Some("alice".into()),
            width: Some(1280),
            height: Some(720),
        }],
        paused_at_source_ids: vec![7, 9],
        num_participants: Some(3),
    });
    cases.push((
        f,
        json!({"timestampMs": ts, "type": "INDEX", "index": {
            "atCapacity": true,
            "sources": [{
                "streamId": 7,
                "framerate": 15,
                "maxBitrateKbps": 1400,
                "trackLabel": "b18ba5e0-video",
                "groupId": 3,
                "avgBitrateBps": 900000,
                "attendeeId": "3ac49552-1184-a866-2dd6-27f0d63a2f26",
                "mediaType": "VIDEO",
                "externalUserId": "alice",
                "width": 1280,
                "height": 720,
            }],
            "pausedAtSourceIds": [7, 9],
            "numParticipants": 3,
        }}),
    ));

    // SUBSCRIBE_ACK with a real answer (CRLFs and all), allocations and track mappings.
    let sdp_answer = answer();
    let mut f = frame(FrameType::SubscribeAck);
    f.suback = Some(SdkSubscribeAckFrame {
        duplex: Some(StreamServiceType::Duplex as i32),
        allocations: vec![SdkStreamAllocation {
            track_label: Some("video-track".into()),
            stream_id: Some(2),
            group_id: Some(1),
        }],
        sdp_answer: Some(sdp_answer.clone()),
        tracks: vec![SdkTrackMapping {
            stream_id: Some(2),
            ssrc: Some(4_000_000_001),
            track_label: Some("video-track".into()),
        }],
        compressed_sdp_answer: None,
    });
    cases.push((
        f,
        json!({"timestampMs": ts, "type": "SUBSCRIBE_ACK", "suback": {
            "duplex": "DUPLEX",
            "allocations": [{"trackLabel": "video-track", "streamId": 2, "groupId": 1}],
            "sdpAnswer": sdp_answer,
            "tracks": [{"streamId": 2, "ssrc": 4000000001u32, "trackLabel": "video-track"}],
        }}),
    ));

    // Presence: a roster entry, a mute update, a departure, a drop.
    let mut f = frame(FrameType::AudioStreamIdInfo);
    f.audio_stream_id_info = Some(SdkAudioStreamIdInfoFrame {
        streams: vec![
            SdkAudioStreamIdInfo {
                audio_stream_id: Some(1),
                attendee_id: Some("3ac49552-1184-a866-2dd6-27f0d63a2f26#content".into()),
                muted: Some(false),
                external_user_id: Some("alice#content".into()),
                dropped: None,
            },
            SdkAudioStreamIdInfo {
                audio_stream_id: Some(2),
                attendee_id: None,
                muted: Some(true),
                external_user_id: None,
                dropped: None,
            },
            SdkAudioStreamIdInfo {
                audio_stream_id: Some(3),
                attendee_id: None,
                muted: None,
                external_user_id: None,
                dropped: None,
            },
            SdkAudioStreamIdInfo {
                audio_stream_id: Some(4),
                attendee_id: None,
                muted: None,
                external_user_id: None,
                dropped: Some(true),
            },
        ],
    });
    cases.push((
        f,
        json!({"timestampMs": ts, "type": "AUDIO_STREAM_ID_INFO", "audioStreamIdInfo": {"streams": [
            {
                "audioStreamId": 1,
                "attendeeId": "3ac49552-1184-a866-2dd6-27f0d63a2f26#content",
                "muted": false,
                "externalUserId": "alice#content",
            },
            {"audioStreamId": 2, "muted": true},
            {"audioStreamId": 3},
            {"audioStreamId": 4, "dropped": true},
        ]}}),
    ));

    // Volumes (not sent yet: they wait for the mixer).
    let mut f = frame(FrameType::AudioMetadata);
    f.audio_metadata = Some(SdkAudioMetadataFrame {
        attendee_states: vec![SdkAudioAttendeeState {
            audio_stream_id: Some(1),
            volume: Some(30),
            muted: Some(false),
            signal_strength: Some(2),
        }],
    });
    cases.push((
        f,
        json!({"timestampMs": ts, "type": "AUDIO_METADATA", "audioMetadata": {"attendeeStates": [
            {"audioStreamId": 1, "volume": 30, "muted": false, "signalStrength": 2},
        ]}}),
    ));

    let mut f = frame(FrameType::PingPong);
    f.ping_pong = Some(SdkPingPongFrame {
        r#type: Some(PingPongType::Pong as i32),
        ping_id: Some(u32::MAX),
    });
    cases.push((
        f,
        json!({"timestampMs": ts, "type": "PING_PONG", "pingPong": {"type": "PONG", "pingId": u32::MAX}}),
    ));

    let mut f = frame(FrameType::LeaveAck);
    f.leave_ack = Some(SdkLeaveAckFrame {});
    cases.push((
        f,
        json!({"timestampMs": ts, "type": "LEAVE_ACK", "leaveAck": {}}),
    ));

    let mut f = frame(FrameType::AudioStatus);
    f.audio_status = Some(SdkAudioStatusFrame {
        audio_status: Some(410),
    });
    cases.push((
        f,
        json!({"timestampMs": ts, "type": "AUDIO_STATUS", "audioStatus": {"audioStatus": 410}}),
    ));

    // A relayed message with every field, and a throttled one (ingest time 0, which must be
    // on the wire: the SDK reads it as "throttled").
    let data = vec![0u8, 1, 0x7f, 0x80, 0xff, b'h', b'i'];
    let mut f = frame(FrameType::DataMessage);
    f.data_message = Some(SdkDataMessageFrame {
        messages: vec![
            SdkDataMessagePayload {
                topic: Some("chat_1-x".into()),
                data: Some(data.clone()),
                lifetime_ms: Some(300_000),
                sender_attendee_id: Some("3ac49552-1184-a866-2dd6-27f0d63a2f26".into()),
                ingest_time_ns: Some(INGEST_TIME_NS),
                sender_external_user_id: Some("alice".into()),
            },
            SdkDataMessagePayload {
                topic: Some("chat".into()),
                data: Some(b"x".to_vec()),
                lifetime_ms: None,
                sender_attendee_id: Some("3ac49552-1184-a866-2dd6-27f0d63a2f26".into()),
                ingest_time_ns: Some(0),
                sender_external_user_id: Some("alice".into()),
            },
        ],
    });
    cases.push((
        f,
        json!({"timestampMs": ts, "type": "DATA_MESSAGE", "dataMessage": {"messages": [
            {
                "topic": "chat_1-x",
                "data": STANDARD.encode(&data),
                "lifetimeMs": 300000,
                "senderAttendeeId": "3ac49552-1184-a866-2dd6-27f0d63a2f26",
                "ingestTimeNs": INGEST_TIME_NS.to_string(),
                "senderExternalUserId": "alice",
            },
            {
                "topic": "chat",
                "data": STANDARD.encode(b"x"),
                "senderAttendeeId": "3ac49552-1184-a866-2dd6-27f0d63a2f26",
                "ingestTimeNs": "0",
                "senderExternalUserId": "alice",
            },
        ]}}),
    ));

    // Error frames, as the server answers a SUBSCRIBE it cannot and a frame type it does not
    // know.
    for (kind, name) in [
        (FrameType::SubscribeAck, "SUBSCRIBE_ACK"),
        (FrameType::Notification, "NOTIFICATION"),
    ] {
        let mut f = frame(kind);
        f.error = Some(SdkErrorFrame {
            status: Some(400),
            description: Some("the offer has no audio section".into()),
        });
        cases.push((
            f,
            json!({"timestampMs": ts, "type": name, "error": {
                "status": 400,
                "description": "the offer has no audio section",
            }}),
        ));
    }
    cases
}

#[test]
fn the_sdk_reads_every_frame_the_server_sends() {
    if !sdk_codec_available() {
        return;
    }
    let cases = server_frames();
    let lines: Vec<String> = cases.iter().map(|(f, _)| hex(&frames::encode(f))).collect();
    let decoded = sdk_codec("decode", &lines);
    for ((sent, expected), line) in cases.iter().zip(&decoded) {
        let mut read: Value = serde_json::from_str(line).expect("JSON");
        let mut expected = expected.clone();
        exact_longs(&mut read);
        exact_longs(&mut expected);
        assert_eq!(read, expected, "the SDK reads {sent:?}");
    }
}

/// Writes every 64-bit integer (a string of digits, in `toObject`'s form) as the exact value of
/// the JavaScript number it stands for: without long.js the SDK prints a number's shortest
/// form ("1796000000123456800" for 1796000000123456768), with it the exact digits.
fn exact_longs(value: &mut Value) {
    match value {
        Value::String(text) => {
            let digits = text.strip_prefix('-').unwrap_or(text);
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                let number: f64 = text.parse().expect("a number");
                *text = (number as i128).to_string();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(exact_longs),
        Value::Object(members) => members.values_mut().for_each(exact_longs),
        _ => {}
    }
}

/// What the SDK sends, in its `toObject` form: every frame type a client sends.
fn client_frames() -> Vec<Value> {
    let ts = TIMESTAMP_MS.to_string();
    let offer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\n";
    vec![
        json!({"timestampMs": ts, "type": "JOIN", "join": {
            "protocolVersion": 2,
            "maxNumOfVideos": 25,
            "flags": 18,
            "clientDetails": {
                "appName": "meetingV2",
                "appVersion": "1.0.0",
                "deviceModel": "X11",
                "deviceMake": "Linux",
                "platformName": "Chrome",
                "platformVersion": "156",
                "clientSource": "amazon-chime-sdk-js",
                "chimeSdkVersion": "3.32.0",
                "clientUtcOffset": "+00:00",
                "osName": "Linux",
                "osVersion": "x86_64",
            },
            "audioSessionId": AUDIO_SESSION_ID.to_string(),
            "wantsCompressedSdp": true,
            "serverSideNetworkAdaption": "BANDWIDTH_PROBING",
            "supportedServerSideNetworkAdaptions": ["BANDWIDTH_PROBING", "BANDWIDTH_PROBING_AND_VIDEO_QUALITY_ADAPTION"],
            "wantsAllTemporalLayersInIndex": true,
            "disablePeriodicKeyframeRequestOnContentSender": false,
        }}),
        json!({"timestampMs": ts, "type": "SUBSCRIBE", "sub": {
            "duplex": "DUPLEX",
            "sendStreams": [
                {"streamId": 1, "groupId": 1, "trackLabel": "AmazonChimeExpressAudio", "mediaType": "AUDIO"},
                {"streamId": 2, "groupId": 2, "trackLabel": "video", "mediaType": "VIDEO", "maxBitrateKbps": 1400, "framerate": 15},
            ],
            "receiveStreamIds": [0, 7],
            "sdpOffer": offer,
            "audioHost": "abcd.k.m1.ue1.app.chime.aws:3478",
            "audioCheckin": false,
            "audioMuted": true,
            "videoSubscriptionConfiguration": [{
                "mid": "1",
                "attendeeId": "3ac49552-1184-a866-2dd6-27f0d63a2f26",
                "streamId": 7,
                "priority": 1,
                "targetBitrateKbps": 1000,
                "groupId": 3,
                "qualityAdaptationPreference": "BALANCED",
            }],
        }}),
        json!({"timestampMs": ts, "type": "AUDIO_CONTROL", "audioControl": {"muted": true}}),
        json!({"timestampMs": ts, "type": "AUDIO_CONTROL", "audioControl": {"muted": false}}),
        json!({"timestampMs": ts, "type": "DATA_MESSAGE", "dataMessage": {"messages": [
            {"topic": "chat", "data": STANDARD.encode([0u8, 0xff, b'o', b'k']), "lifetimeMs": 300000},
            {"topic": "reactions", "data": STANDARD.encode(b"+1")},
        ]}}),
        json!({"timestampMs": ts, "type": "PING_PONG", "pingPong": {"type": "PING", "pingId": u32::MAX}}),
        json!({"timestampMs": ts, "type": "PING_PONG", "pingPong": {"type": "PONG", "pingId": 3}}),
        json!({"timestampMs": ts, "type": "LEAVE", "leave": {}}),
        json!({"timestampMs": ts, "type": "CLIENT_METRIC", "clientMetric": {
            "globalMetrics": [
                {"type": "RTC_MIC_JITTER_MS", "value": 1.5},
                {"type": "STUN_RTT_MS", "value": 12},
            ],
            "streamMetricFrames": [{
                "streamId": 2,
                "groupId": 2,
                "metrics": [{"type": "VIDEO_SENT_BITRATE", "value": 123456.5}],
                "dimensions": [{"type": "VIDEO_ENCODER_NAME", "value": {"stringValue": "libvpx"}}],
                "mediaType": "VIDEO",
            }],
        }}),
        json!({"timestampMs": ts, "type": "MEETING_SESSION_TIMING", "meetingSessionTiming": {
            "signaling": [{
                "startMs": "1796000000000",
                "joinSentMs": "1796000000010",
                "joinAckReceivedMs": "1796000000020",
                "subscribeSentMs": "1796000000030",
                "subscribeAckMs": "1796000000040",
                "timedOut": false,
            }],
            "remoteAudio": [{"addedMs": "1796000000050", "firstPacketReceivedMs": "1796000000060"}],
        }}),
    ]
}

#[test]
fn the_server_reads_every_frame_the_sdk_sends() {
    if !sdk_codec_available() {
        return;
    }
    let objects = client_frames();
    let lines: Vec<String> = objects.iter().map(Value::to_string).collect();
    let encoded = sdk_codec("encode", &lines);
    let mut decoded = Vec::new();
    for (object, line) in objects.iter().zip(&encoded) {
        assert!(!line.starts_with('{'), "the SDK refused {object}: {line}");
        let (kind, frame) = frames::decode(&unhex(line))
            .unwrap_or_else(|e| panic!("{e} decoding the SDK's {object}"));
        assert_eq!(frame.timestamp_ms, Some(TIMESTAMP_MS));
        assert_eq!(frame.kind(), Some(kind));
        decoded.push((kind, frame));
    }
    let mut frames = decoded.into_iter();
    let mut next = |expected: FrameType| {
        let (kind, frame) = frames.next().expect("a frame");
        assert_eq!(kind, expected);
        frame
    };

    let join = next(FrameType::Join).join.expect("the JOIN frame");
    assert_eq!(join.protocol_version, Some(2));
    assert_eq!(join.max_num_of_videos, Some(25));
    assert_eq!(join.flags, Some(18));
    assert_eq!(join.audio_session_id, Some(AUDIO_SESSION_ID));
    assert_eq!(join.wants_compressed_sdp, Some(true));
    let details = join.client_details.expect("client details");
    assert_eq!(details.app_name.as_deref(), Some("meetingV2"));
    assert_eq!(details.app_version.as_deref(), Some("1.0.0"));
    assert_eq!(details.platform_name.as_deref(), Some("Chrome"));
    assert_eq!(details.chime_sdk_version.as_deref(), Some("3.32.0"));

    let sub = next(FrameType::Subscribe).sub.expect("the SUBSCRIBE frame");
    assert_eq!(sub.duplex, Some(StreamServiceType::Duplex as i32));
    assert_eq!(
        sub.sdp_offer.as_deref(),
        objects[1]["sub"]["sdpOffer"].as_str()
    );
    assert_eq!(
        sub.audio_host.as_deref(),
        Some("abcd.k.m1.ue1.app.chime.aws:3478")
    );
    assert_eq!(sub.audio_checkin, Some(false));
    assert_eq!(sub.audio_muted, Some(true));
    assert_eq!(sub.receive_stream_ids, vec![0, 7]);
    assert_eq!(sub.compressed_sdp_offer, None);
    let streams: Vec<_> = sub
        .send_streams
        .iter()
        .map(|s| {
            (
                s.stream_id,
                s.group_id,
                s.track_label.as_deref(),
                s.media_type,
            )
        })
        .collect();
    assert_eq!(
        streams,
        vec![
            (
                Some(1),
                Some(1),
                Some("AmazonChimeExpressAudio"),
                Some(StreamMediaType::Audio as i32)
            ),
            (
                Some(2),
                Some(2),
                Some("video"),
                Some(StreamMediaType::Video as i32)
            ),
        ]
    );
    assert_eq!(sub.send_streams[1].max_bitrate_kbps, Some(1400));

    for muted in [true, false] {
        let control = next(FrameType::AudioControl).audio_control;
        assert_eq!(control.and_then(|c| c.muted), Some(muted));
    }

    let messages = next(FrameType::DataMessage)
        .data_message
        .expect("the DATA_MESSAGE frame")
        .messages;
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].topic.as_deref(), Some("chat"));
    assert_eq!(
        messages[0].data.as_deref(),
        Some(&[0u8, 0xff, b'o', b'k'][..])
    );
    assert_eq!(messages[0].lifetime_ms, Some(300_000));
    assert_eq!(messages[1].topic.as_deref(), Some("reactions"));
    assert_eq!(messages[1].data.as_deref(), Some(&b"+1"[..]));
    assert_eq!(messages[1].lifetime_ms, None);
    assert!(messages
        .iter()
        .all(|m| m.sender_attendee_id.is_none() && m.ingest_time_ns.is_none()));

    for (kind, id) in [(PingPongType::Ping, u32::MAX), (PingPongType::Pong, 3)] {
        let ping = next(FrameType::PingPong).ping_pong.expect("PING_PONG");
        assert_eq!((ping.r#type, ping.ping_id), (Some(kind as i32), Some(id)));
    }

    assert!(next(FrameType::Leave).leave.is_some());
    // Telemetry: understood as such, its content skipped.
    next(FrameType::ClientMetric);
    next(FrameType::MeetingSessionTiming);
    assert!(frames.next().is_none());
}

#[test]
fn ingest_times_stay_apart_as_the_sdk_reads_them() {
    if !sdk_codec_available() {
        return;
    }
    // Stamped one after the other, as the messages of one DATA_MESSAGE frame are. The SDK
    // turns each into `ingestTimeNs / 1e6` ms, and apps drop a message whose time is not after
    // the previous one's: the times must stay strictly increasing as JavaScript numbers.
    let mut clock = IngestClock::default();
    let mut f = frame(FrameType::DataMessage);
    f.data_message = Some(SdkDataMessageFrame {
        messages: (0..1000)
            .map(|_| SdkDataMessagePayload {
                topic: Some("t".into()),
                data: None,
                lifetime_ms: None,
                sender_attendee_id: None,
                ingest_time_ns: Some(clock.stamp()),
                sender_external_user_id: None,
            })
            .collect(),
    });
    let decoded = sdk_codec("decode", &[hex(&frames::encode(&f))]);
    let read: Value = serde_json::from_str(&decoded[0]).expect("JSON");
    let times: Vec<f64> = read["dataMessage"]["messages"]
        .as_array()
        .expect("the messages")
        .iter()
        .map(|m| {
            let ns: f64 = m["ingestTimeNs"].as_str().expect("a time").parse().unwrap();
            ns / 1e6
        })
        .collect();
    assert_eq!(times.len(), 1000);
    for pair in times.windows(2) {
        assert!(pair[1] > pair[0], "{} ms, then {} ms", pair[0], pair[1]);
    }
}
