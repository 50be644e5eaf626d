//! How the workloads use the signaling client ([`carillon_testkit::signaling::Wire`], shared
//! with the tests): sockets opened with small buffers, since the sessions workload holds 10,000
//! of them in one process, the offer and data messages they send, and waiting for a step.

use std::time::Duration;

use carillon_signaling::frames::{FrameType, SdkSignalFrame};
use carillon_testkit::signaling::tungstenite::protocol::WebSocketConfig;
use carillon_testkit::signaling::{message, Wire};
use tokio::net::TcpStream;

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

/// Connects (with `TCP_NODELAY`, as the browser's WebSocket does) and upgrades; the server
/// echoes `_aws_wt_session`, anything else is an error.
pub async fn open(endpoint: &Endpoint, meeting_id: &str, token: &str) -> Result<Wire, String> {
    Ok(open_timed(endpoint, meeting_id, token).await?.0)
}

/// [`open`], also answering how long the TCP connect took (the rest is the upgrade).
pub async fn open_timed(
    endpoint: &Endpoint,
    meeting_id: &str,
    token: &str,
) -> Result<(Wire, Duration), String> {
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
    let wire = Wire::open_on(stream, Some(config), &endpoint.host, meeting_id, token)
        .await
        .map_err(|e| e.to_string())?;
    Ok((wire, connected))
}

/// JOIN with a random audio session id, as the SDK's.
pub async fn send_join(wire: &mut Wire) -> Result<(), String> {
    wire.send_join(rand_u64()).await
}

/// One data message on [`DATA_TOPIC`] carrying `payload`, no lifetime (nothing buffered).
pub async fn send_data(wire: &mut Wire, payload: Vec<u8>) -> Result<(), String> {
    wire.send_data(vec![message(DATA_TOPIC, payload, None)])
        .await
}

/// Reads until a frame of `kind`, handing every other frame to `other`; at most
/// [`STEP_TIMEOUT`]. An error frame of `kind` (the server refusing a step) is an error.
pub async fn until(
    wire: &mut Wire,
    kind: FrameType,
    mut other: impl FnMut(FrameType, &SdkSignalFrame),
) -> Result<SdkSignalFrame, String> {
    let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
    loop {
        let (got, frame) = tokio::time::timeout_at(deadline, wire.next())
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
        let answer = carillon_signaling::sdp::answer(OFFER, &params).unwrap().sdp;
        assert!(answer.contains("a=mid:0") && answer.contains("a=mid:1"));
        assert!((2000..3000).contains(&OFFER.len()), "{}", OFFER.len());
    }
}
