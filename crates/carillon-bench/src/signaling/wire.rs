//! The signaling client: one WebSocket per session, speaking the SDK's frames.
//!
//! It opens the socket as the Amazon Chime SDK for JavaScript does: `GET
//! /control/<MeetingId>?X-Chime-Control-Protocol-Version=3` with the subprotocols
//! `_aws_wt_session` and the JoinToken, over a `TcpStream` with `TCP_NODELAY` (the browser's
//! WebSocket does not wait for Nagle either). Every message is the prefix byte and an
//! `SdkSignalFrame` ([`carillon_signaling::frames`]). Buffers are small, since the sessions
//! workload holds 10,000 of these in one process.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use carillon_signaling::frames::{
    self, FrameType, PingPongType, SdkDataMessageFrame, SdkDataMessagePayload, SdkJoinFrame,
    SdkLeaveFrame, SdkPingPongFrame, SdkSignalFrame, SdkSubscribeFrame, StreamServiceType,
};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::client::Endpoint;

/// How long a session waits for a frame it needs (JOIN_ACK, SUBSCRIBE_ACK, LEAVE_ACK) before
/// the step counts as failed.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// The topic of the data messages the workloads send.
pub const DATA_TOPIC: &str = "bench";

/// An offer shaped as Chrome's for an SDK session that sends and receives audio and has one
/// video transceiver not yet sending: BUNDLE, ICE and DTLS attributes, Opus with RED and
/// telephone events, the usual header extensions, VP8 and H.264 for video. About 2.3 KB, the
/// size of what the SDK sends on its first SUBSCRIBE.
pub const OFFER: &str = concat!(
    "v=0\r\n",
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n",
    "s=-\r\n",
    "t=0 0\r\n",
    "a=group:BUNDLE 0 1\r\n",
    "a=extmap-allow-mixed\r\n",
    "a=msid-semantic: WMS bench-stream\r\n",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n",
    "c=IN IP4 0.0.0.0\r\n",
    "a=rtcp:9 IN IP4 0.0.0.0\r\n",
    "a=ice-ufrag:Bnch\r\n",
    "a=ice-pwd:benchbenchbenchbenchbe\r\n",
    "a=ice-options:trickle\r\n",
    "a=fingerprint:sha-256 5B:2F:0C:9A:55:43:B1:16:7E:AA:93:1D:21:78:C4:0E:8D:33:61:52:",
    "F0:BC:2A:77:19:E6:4D:08:3F:A5:D2:6C\r\n",
    "a=setup:actpass\r\n",
    "a=mid:0\r\n",
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n",
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n",
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n",
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n",
    "a=sendrecv\r\n",
    "a=msid:bench-stream bench-audio\r\n",
    "a=rtcp-mux\r\n",
    "a=rtpmap:111 opus/48000/2\r\n",
    "a=rtcp-fb:111 transport-cc\r\n",
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n",
    "a=rtpmap:63 red/48000/2\r\n",
    "a=fmtp:63 111/111\r\n",
    "a=rtpmap:9 G722/8000\r\n",
    "a=rtpmap:0 PCMU/8000\r\n",
    "a=rtpmap:8 PCMA/8000\r\n",
    "a=rtpmap:13 CN/8000\r\n",
    "a=rtpmap:110 telephone-event/48000\r\n",
    "a=rtpmap:126 telephone-event/8000\r\n",
    "a=ssrc:3735928559 cname:benchbenchbenchb\r\n",
    "a=ssrc:3735928559 msid:bench-stream bench-audio\r\n",
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 45 46\r\n",
    "c=IN IP4 0.0.0.0\r\n",
    "a=rtcp:9 IN IP4 0.0.0.0\r\n",
    "a=ice-ufrag:Bnch\r\n",
    "a=ice-pwd:benchbenchbenchbenchbe\r\n",
    "a=ice-options:trickle\r\n",
    "a=fingerprint:sha-256 5B:2F:0C:9A:55:43:B1:16:7E:AA:93:1D:21:78:C4:0E:8D:33:61:52:",
    "F0:BC:2A:77:19:E6:4D:08:3F:A5:D2:6C\r\n",
    "a=setup:actpass\r\n",
    "a=mid:1\r\n",
    "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset\r\n",
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n",
    "a=extmap:13 urn:3gpp:video-orientation\r\n",
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n",
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n",
    "a=inactive\r\n",
    "a=rtcp-mux\r\n",
    "a=rtcp-rsize\r\n",
    "a=rtpmap:96 VP8/90000\r\n",
    "a=rtcp-fb:96 goog-remb\r\n",
    "a=rtcp-fb:96 transport-cc\r\n",
    "a=rtcp-fb:96 ccm fir\r\n",
    "a=rtcp-fb:96 nack\r\n",
    "a=rtcp-fb:96 nack pli\r\n",
    "a=rtpmap:97 rtx/90000\r\n",
    "a=fmtp:97 apt=96\r\n",
    "a=rtpmap:102 H264/90000\r\n",
    "a=rtcp-fb:102 goog-remb\r\n",
    "a=rtcp-fb:102 transport-cc\r\n",
    "a=rtcp-fb:102 ccm fir\r\n",
    "a=rtcp-fb:102 nack\r\n",
    "a=rtcp-fb:102 nack pli\r\n",
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n",
    "a=rtpmap:103 rtx/90000\r\n",
    "a=fmtp:103 apt=102\r\n",
    "a=rtpmap:45 AV1/90000\r\n",
    "a=rtcp-fb:45 goog-remb\r\n",
    "a=rtcp-fb:45 transport-cc\r\n",
    "a=rtcp-fb:45 nack\r\n",
    "a=rtpmap:46 rtx/90000\r\n",
    "a=fmtp:46 apt=45\r\n",
);

/// One signaling session's socket.
pub struct Wire {
    ws: WebSocketStream<TcpStream>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn frame(kind: FrameType) -> SdkSignalFrame {
    SdkSignalFrame::new(kind, now_ms())
}

impl Wire {
    /// Connects and upgrades (TCP connect, HTTP upgrade with the server's admission of the
    /// token). The server echoes `_aws_wt_session`; anything else is an error.
    pub async fn open(endpoint: &Endpoint, meeting_id: &str, token: &str) -> Result<Wire, String> {
        Ok(Wire::open_timed(endpoint, meeting_id, token).await?.0)
    }

    /// [`Wire::open`], also answering how long the TCP connect took (the rest is the upgrade).
    pub async fn open_timed(
        endpoint: &Endpoint,
        meeting_id: &str,
        token: &str,
    ) -> Result<(Wire, Duration), String> {
        let url = format!(
            "ws://{}/control/{meeting_id}?X-Chime-Control-Protocol-Version=3",
            endpoint.host
        );
        let mut request = url
            .into_client_request()
            .map_err(|e| format!("request: {e}"))?;
        let protocols = HeaderValue::from_str(&format!("_aws_wt_session, {token}"))
            .map_err(|e| format!("token: {e}"))?;
        request
            .headers_mut()
            .insert("sec-websocket-protocol", protocols);
        let connecting = std::time::Instant::now();
        let stream = TcpStream::connect(endpoint.addr)
            .await
            .map_err(|e| format!("connect {}: {e}", endpoint.url))?;
        let connected = connecting.elapsed();
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let config = WebSocketConfig::default()
            .read_buffer_size(4096)
            .write_buffer_size(0)
            .max_message_size(Some(1 << 20));
        let (ws, response) =
            tokio_tungstenite::client_async_with_config(request, stream, Some(config))
                .await
                .map_err(|e| format!("upgrade: {e}"))?;
        let echoed = response
            .headers()
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok());
        if echoed != Some("_aws_wt_session") {
            return Err(format!("upgrade answered subprotocol {echoed:?}"));
        }
        Ok((Wire { ws }, connected))
    }

    /// Sends one frame (and flushes it).
    pub async fn send(&mut self, frame: &SdkSignalFrame) -> Result<(), String> {
        self.ws
            .send(Message::Binary(frames::encode(frame)))
            .await
            .map_err(|e| format!("send: {e}"))
    }

    /// The next frame. Cancel-safe (the partial read stays in the stream), so it can be used in
    /// `select!`. A close, a failure or an undecodable frame is an error.
    pub async fn next(&mut self) -> Result<(FrameType, SdkSignalFrame), String> {
        loop {
            match self.ws.next().await {
                Some(Ok(Message::Binary(bytes))) => {
                    return frames::decode(&bytes).map_err(|e| format!("server sent {e}"));
                }
                Some(Ok(Message::Close(close))) => {
                    return Err(match close {
                        Some(c) => format!("closed by the server: {} {}", c.code, c.reason),
                        None => "closed by the server".into(),
                    });
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(format!("read: {e}")),
                None => return Err("connection closed".into()),
            }
        }
    }

    /// Reads until a frame of `kind`, handing every other frame to `other`; at most
    /// [`STEP_TIMEOUT`]. An error frame of `kind` (the server refusing a step) is an error.
    pub async fn until(
        &mut self,
        kind: FrameType,
        mut other: impl FnMut(FrameType, &SdkSignalFrame),
    ) -> Result<SdkSignalFrame, String> {
        let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
        loop {
            let (got, frame) = tokio::time::timeout_at(deadline, self.next())
                .await
                .map_err(|_| format!("no {} within {STEP_TIMEOUT:?}", kind.name()))??;
            if got == kind {
                if let Some(error) = &frame.error {
                    return Err(format!(
                        "{} with error {:?}: {}",
                        kind.name(),
                        error.status,
                        error.description.as_deref().unwrap_or("")
                    ));
                }
                return Ok(frame);
            }
            other(got, &frame);
        }
    }

    /// JOIN as the SDK sends it (protocol 2, up to 25 videos, wants compressed SDP).
    pub async fn send_join(&mut self) -> Result<(), String> {
        let mut join = frame(FrameType::Join);
        join.join = Some(SdkJoinFrame {
            protocol_version: Some(2),
            max_num_of_videos: Some(25),
            flags: Some(2),
            client_details: None,
            audio_session_id: Some(rand_u64()),
            wants_compressed_sdp: Some(true),
        });
        self.send(&join).await
    }

    /// SUBSCRIBE with [`OFFER`], duplex, unmuted.
    pub async fn send_subscribe(&mut self) -> Result<(), String> {
        let mut sub = frame(FrameType::Subscribe);
        sub.sub = Some(SdkSubscribeFrame {
            duplex: Some(StreamServiceType::Duplex as i32),
            send_streams: Vec::new(),
            receive_stream_ids: Vec::new(),
            sdp_offer: Some(OFFER.to_owned()),
            audio_host: None,
            audio_checkin: None,
            audio_muted: Some(false),
            compressed_sdp_offer: None,
        });
        self.send(&sub).await
    }

    pub async fn send_ping(&mut self, id: u32) -> Result<(), String> {
        let mut ping = frame(FrameType::PingPong);
        ping.ping_pong = Some(SdkPingPongFrame {
            r#type: Some(PingPongType::Ping as i32),
            ping_id: Some(id),
        });
        self.send(&ping).await
    }

    /// One data message on [`DATA_TOPIC`] carrying `payload`, no lifetime (nothing buffered).
    pub async fn send_data(&mut self, payload: Vec<u8>) -> Result<(), String> {
        let mut data = frame(FrameType::DataMessage);
        data.data_message = Some(SdkDataMessageFrame {
            messages: vec![SdkDataMessagePayload {
                topic: Some(DATA_TOPIC.into()),
                data: Some(payload),
                lifetime_ms: None,
                sender_attendee_id: None,
                ingest_time_ns: None,
                sender_external_user_id: None,
            }],
        });
        self.send(&data).await
    }

    pub async fn send_leave(&mut self) -> Result<(), String> {
        let mut leave = frame(FrameType::Leave);
        leave.leave = Some(SdkLeaveFrame {});
        self.send(&leave).await
    }

    /// Closes the socket (close frame, then waits briefly for the server's).
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.ws.close(None)).await;
    }
}

/// Whether a PING_PONG frame is a PONG, and its id.
pub fn pong_id(frame: &SdkSignalFrame) -> Option<u32> {
    let pp = frame.ping_pong.as_ref()?;
    (pp.r#type == Some(PingPongType::Pong as i32)).then_some(pp.ping_id.unwrap_or(0))
}

/// A random u64 without another dependency: the std hasher's random keys.
pub fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::Instant::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offer_is_answered_by_the_servers_sdp_code() {
        let params = carillon_signaling::sdp::AnswerParams {
            ice_ufrag: "abcd",
            ice_pwd: "0123456789abcdef012345",
            candidate: "127.0.0.1:3478".parse().unwrap(),
            fingerprint: "AA:BB",
            audio_direction: carillon_signaling::sdp::Direction::SendRecv,
            audio_ssrc: 1,
            stream_label: "s",
            track_label: "t",
            session_id: 1,
            version: 1,
        };
        let answer = carillon_signaling::sdp::answer(OFFER, &params).unwrap();
        assert!(answer.contains("a=mid:0") && answer.contains("a=mid:1"));
        assert!((2000..3000).contains(&OFFER.len()), "{}", OFFER.len());
    }

    #[test]
    fn pongs_are_recognised() {
        let mut f = frame(FrameType::PingPong);
        f.ping_pong = Some(SdkPingPongFrame {
            r#type: Some(PingPongType::Pong as i32),
            ping_id: Some(9),
        });
        assert_eq!(pong_id(&f), Some(9));
        f.ping_pong.as_mut().unwrap().r#type = Some(PingPongType::Ping as i32);
        assert_eq!(pong_id(&f), None);
    }
}
